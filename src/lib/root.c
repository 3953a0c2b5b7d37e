/* root.c: the start every command shares, above the layout: which format the root holds
 * (index.json, manifest.json), oci-layout's check, and a digest found from a prefix of it
 * (the blobs present, index.json's descriptors, a docker save's image IDs and layers).
 * It reads the layout only through its functions (layout.h, ocidig.h). */
#include "layout.h"
#include "json.h"

#include <stdlib.h>
#include <string.h>

/* oci-layout (doc/resolution.md §2.1): one check for every command, so that one condition gets one
 * code, one exit status and one message. */
/* doc: when given and oci-layout is valid, its parsed document (the caller frees it), for
 * the duplicate keys verify reports: the file is read once. */
static ocidig_code check_oci_layout(ocidig_layout *l, bool *absent, oci_json_doc *out, ocidig_error *err)
{
  static const char expected[] = "expected {\"imageLayoutVersion\": \"1.0.0\"}";
  uint8_t *data;
  size_t len;
  oci_json_doc doc;
  json_object *v;
  ocidig_error e;
  ocidig_code rc;

  if (absent)
    *absent = false;
  if (!l)
    return oci_fail(err, OCIDIG_ERR_USAGE, "no layout given");
  rc = ocidig_layout_read_file(l, "oci-layout", 64 * 1024, &data, &len, &e);
  if (rc == OCIDIG_ERR_BLOB_MISSING) {
    if (absent)
      *absent = true;
    return OCIDIG_OK;
  }
  if (rc == OCIDIG_ERR_JSON_TOO_LARGE)
    return oci_fail(err, OCIDIG_ERR_BAD_OCI_LAYOUT, "oci-layout: larger than 64 KiB; %s", expected);
  if (rc != OCIDIG_OK) {
    /* an unreadable oci-layout: the layout cannot be read as one (exit 3), whatever the command.
     * The message is passed as it is: it names oci-layout when it is about that file, and
     * otherwise (an archive cut or corrupt in another member read on the way) it is not. */
    return oci_fail(err, rc, "%s", e.message);
  }
  rc = oci_json_parse(data, len, "oci-layout", &doc, &e);
  free(data);
  if (rc == OCIDIG_ERR_NOMEM)
    return oci_fail(err, rc, "%s", e.message);
  if (rc != OCIDIG_OK)
    return oci_fail(err, OCIDIG_ERR_BAD_OCI_LAYOUT, "%s; %s", e.message, expected);
  v = oci_json_get(doc.root, "imageLayoutVersion");
  if (!json_object_is_type(doc.root, json_type_object)) {
    rc = oci_fail(err, OCIDIG_ERR_BAD_OCI_LAYOUT, "oci-layout is %s, not an object; %s",
                  oci_json_type_name(doc.root), expected);
  } else if (!v || !json_object_is_type(v, json_type_string)) {
    rc = oci_fail(err, OCIDIG_ERR_BAD_OCI_LAYOUT, "oci-layout: imageLayoutVersion is %s; expected the string \"1.0.0\"",
                  v ? oci_json_type_name(v) : "absent");
  } else if (strcmp(json_object_get_string(v), "1.0.0") || json_object_get_string_len(v) != 5) {
    char *q = oci_quote(json_object_get_string(v), (size_t)json_object_get_string_len(v), 80);
    rc = oci_fail(err, OCIDIG_ERR_BAD_OCI_LAYOUT, "oci-layout: imageLayoutVersion is %s; expected \"1.0.0\"",
                  q ? q : "?");
    free(q);
  }
  if (rc == OCIDIG_OK && out)
    *out = doc;
  else
    oci_json_doc_free(&doc);
  return rc;
}

ocidig_code ocidig_layout_check_oci_layout(ocidig_layout *l, bool *absent, ocidig_error *err)
{
  return check_oci_layout(l, absent, NULL, err);
}

/* The start every command shares, in one order (RESOLUTION.md §7.5: a missing index.json is
 * the root failure): which of index.json and manifest.json the root holds first, then, for
 * an OCI layout (index.json there), oci-layout.  A docker save archive (manifest.json, no
 * index.json) has no oci-layout to check.  absent and doc as check_oci_layout (optional). */
ocidig_code oci_layout_check_root(ocidig_layout *l, ocidig_layout_format *format, bool *absent, oci_json_doc *doc,
                                  ocidig_error *err)
{
  ocidig_code rc;
  if (absent)
    *absent = false;
  if (doc)
    memset(doc, 0, sizeof *doc);
  if ((rc = ocidig_layout_format_detect(l, format, err)) != OCIDIG_OK)
    return rc;
  if (*format == OCIDIG_FORMAT_NONE)
    return oci_fail(err, OCIDIG_ERR_MISSING_INDEX_JSON,
                    "%s: neither index.json (an OCI layout) nor manifest.json (a docker save archive)", oci_layout_path(l));
  if (*format == OCIDIG_FORMAT_DOCKER_ARCHIVE || *format == OCIDIG_FORMAT_CIMAGE_DIR)
    return OCIDIG_OK;
  return check_oci_layout(l, absent, doc, err);
}

/* Adds d to the candidates when `want` names it (once). */
static bool note_candidate(char ***v, size_t *n, const char *d, const char *want)
{
  if (!d || !ocidig_digest_matches(d, want))
    return true;
  for (size_t i = 0; i < *n; i++)
    if (!strcmp((*v)[i], d))
      return true;
  return oci_strv_push(v, n, d);
}

ocidig_code ocidig_layout_find_digest(ocidig_layout *l, const char *prefix, char *out, ocidig_error *err)
{
  ocidig_digest d;
  const ocidig_entry *ents;
  size_t n_ents, n = 0;
  char **cand = NULL;
  bool ok = true;
  ocidig_layout_format f = OCIDIG_FORMAT_NONE;
  ocidig_code rc;
  uint8_t *data;
  size_t len;

  if (!l || !prefix || !out)
    return oci_fail(err, OCIDIG_ERR_USAGE, "no layout or no digest given");
  if (ocidig_digest_parse(prefix, strlen(prefix), &d, NULL) == OCIDIG_OK) {
    ocidig_digest_format(&d, out);
    return OCIDIG_OK;
  }
  if (strchr(prefix, ':') && (!ocidig_digest_is_prefix(prefix) || (strncmp(prefix, "sha256:", 7) &&
                                                                   strncmp(prefix, "sha512:", 7))))
    return ocidig_digest_parse(prefix, strlen(prefix), &d, err); /* its own message: grammar, algorithm */
  if (!strncmp(prefix, "sha256:", 7) && strlen(prefix + 7) > 64)
    return oci_fail(err, OCIDIG_ERR_INVALID_DIGEST, "%s is not a digest, nor a prefix of one: sha256 takes %d to 64 "
                                                    "hex digits",
                    prefix, OCIDIG_MIN_DIGEST_PREFIX);
  if (!ocidig_digest_is_prefix(prefix))
    return oci_fail(err, OCIDIG_ERR_INVALID_DIGEST,
                    "%s is not a digest, nor a prefix of one (\"alg:HEX\" or \"HEX\" with at least %d lowercase hex "
                    "digits)",
                    prefix, OCIDIG_MIN_DIGEST_PREFIX);
  /* the blobs present */
  if ((rc = ocidig_layout_scan_all(l, err)) != OCIDIG_OK || (rc = ocidig_layout_entries(l, &ents, &n_ents, err)) != OCIDIG_OK)
    return rc;
  for (size_t i = 0; i < n_ents && ok; i++) {
    ocidig_digest_alg alg;
    const char *hex;
    char s[OCIDIG_DIGEST_STRING_MAX];
    if (ents[i].type == OCIDIG_ENTRY_DIRECTORY || !(hex = oci_blob_path_hex(ents[i].path, &alg)))
      continue;
    snprintf(s, sizeof s, "%s:%s", ocidig_digest_alg_name(alg), hex);
    ok = note_candidate(&cand, &n, s, prefix);
  }
  /* the descriptors of index.json */
  if (ok && ocidig_layout_read_file(l, "index.json", OCIDIG_MAX_JSON_SIZE, &data, &len, NULL) == OCIDIG_OK) {
    oci_json_doc doc;
    if (oci_json_parse(data, len, "index.json", &doc, NULL) == OCIDIG_OK) {
      json_object *m = oci_json_get(doc.root, "manifests");
      size_t k = json_object_is_type(m, json_type_array) ? json_object_array_length(m) : 0;
      for (size_t i = 0; i < k && ok; i++) {
        json_object *dg = oci_json_get(json_object_array_get_idx(m, i), "digest");
        if (json_object_is_type(dg, json_type_string))
          ok = note_candidate(&cand, &n, json_object_get_string(dg), prefix);
      }
      oci_json_doc_free(&doc);
    }
    free(data);
  }
  /* a docker save archive: image IDs, layer digests and diff_ids */
  if (ok && ocidig_layout_format_detect(l, &f, NULL) == OCIDIG_OK &&
      (f == OCIDIG_FORMAT_DOCKER_ARCHIVE || f == OCIDIG_FORMAT_HYBRID)) {
    ocidig_docker_archive *a = NULL;
    if (ocidig_docker_archive_read(l, &a, NULL) == OCIDIG_OK) {
      for (size_t i = 0; i < a->n_images && ok; i++) {
        const ocidig_docker_image *im = &a->images[i];
        ok = note_candidate(&cand, &n, im->image_id, prefix) && note_candidate(&cand, &n, im->config_digest, prefix);
        for (size_t k = 0; k < im->n_layers && ok; k++)
          ok = note_candidate(&cand, &n, im->layers[k].digest, prefix) &&
               note_candidate(&cand, &n, im->layers[k].diff_id, prefix);
      }
    }
    ocidig_docker_archive_free(a);
  }
  if (!ok) {
    oci_strv_free(cand, n);
    return oci_nomem(err);
  }
  if (n == 1) {
    snprintf(out, OCIDIG_DIGEST_STRING_MAX, "%s", cand[0]);
    rc = OCIDIG_OK;
  } else if (n == 0) {
    rc = oci_fail(err, OCIDIG_ERR_BLOB_MISSING, "no blob or descriptor of %s has a digest that begins with %s",
                  ocidig_layout_is_archive(l) && !strcmp(oci_layout_path(l), "-") ? "standard input" : oci_layout_path(l), prefix);
  } else {
    oci_buf b = {0};
    for (size_t i = 0; i < n && i < 10; i++)
      oci_buf_printf(&b, "%s%s", i ? ", " : "", cand[i]);
    rc = oci_fail(err, OCIDIG_ERR_REF_AMBIGUOUS, "%s is ambiguous: %zu digests begin with it: %s%s; give more digits",
                  prefix, n, b.s ? b.s : "", n > 10 ? ", ..." : "");
    oci_buf_free(&b);
  }
  oci_strv_free(cand, n);
  return rc;
}
