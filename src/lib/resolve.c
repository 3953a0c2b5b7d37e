/* resolve.c: the walk of doc/resolution.md §2-§5 from index.json to one manifest.
 *
 * containerd's images.Manifest tries only the first candidate of each index; this walk
 * goes on to the next one and gives every child of every index it opens one verdict. */
#include "descriptor.h"
#include "layout.h"

#include <stdlib.h>
#include <string.h>

#define ANN_REF_NAME "org.opencontainers.image.ref.name"
#define ANN_CONTAINERD_NAME "io.containerd.image.name"
#define ANN_REF_TYPE "vnd.docker.reference.type"
#define ANN_REF_DIGEST "vnd.docker.reference.digest"

typedef struct walk {
  ocidig_layout *layout;
  const ocidig_matcher *matcher;
  const ocidig_platform *host;
  ocidig_resolution *r;
  char *request_text;
  const char *stack[OCIDIG_MAX_INDEX_NESTING + 2]; /* digests of the open indexes */
  size_t depth;
  /* Indexes already walked without a match.  The answer inside an index depends only on
   * its digest and the matcher, so a second path to it is not walked again: without
   * this, an index graph where each level lists the next twice takes 2^depth steps. */
  char **no_match;
  size_t n_no_match;
  size_t dropped_warnings;
} walk;

typedef enum step { STEP_SELECTED, STEP_SKIPPED, STEP_ERROR } step;

/* ---------------------------------------------------------------- helpers */

static void warn(walk *w, const char *fmt, ...) OCI_PRINTF(2, 3);
static void warn(walk *w, const char *fmt, ...)
{
  va_list ap;
  char buf[OCIDIG_ERROR_MESSAGE_MAX];
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  /* Bounded: a hostile layout can make a warning per descriptor. */
  if (w->r->n_warnings >= OCIDIG_MAX_WARNINGS) {
    w->dropped_warnings++;
    return;
  }
  for (size_t i = 0; i < w->r->n_warnings; i++)
    if (!strcmp(w->r->warnings[i], buf))
      return;
  oci_strv_push(&w->r->warnings, &w->r->n_warnings, buf);
}

static char *format_raw_platform(const ocidig_descriptor *d)
{
  if (!d->has_platform)
    return oci_strdup("(no platform)");
  if (!d->platform.os && !d->platform.architecture && !d->platform.variant)
    return oci_strdup("{}");
  return ocidig_platform_format(&d->platform);
}

static const char *digest_text(const ocidig_descriptor *d)
{
  return d->digest_string && *d->digest_string ? d->digest_string : "(no digest)";
}

/* Appends a row; returns its index, or (size_t)-1 when out of memory. */
static size_t add_row(walk *w, const char *parent, const ocidig_descriptor *d, ocidig_verdict v, unsigned depth,
                      const char *reason)
{
  ocidig_resolution *r = w->r;
  ocidig_row *rows;
  ocidig_row *row;
  if (r->n_rows >= OCIDIG_MAX_WALK_ROWS)
    return (size_t)-1;
  rows = realloc(r->rows, (r->n_rows + 1) * sizeof *rows);
  if (!rows)
    return (size_t)-1;
  r->rows = rows;
  row = &rows[r->n_rows];
  memset(row, 0, sizeof *row);
  row->parent = oci_strdup(parent);
  row->verdict = v;
  row->depth = depth;
  row->reason = oci_strdup(reason ? reason : "");
  if (oci_descriptor_copy(&row->desc, d, NULL) != OCIDIG_OK || !row->parent || !row->reason) {
    free(row->parent);
    free(row->reason);
    ocidig_descriptor_clear(&row->desc);
    return (size_t)-1;
  }
  return r->n_rows++;
}

static ocidig_code fail(walk *w, ocidig_code code, const char *fmt, ...) OCI_PRINTF(3, 4);

/* Why add_row gave no row: the row limit, or memory. */
static ocidig_code row_failed(walk *w)
{
  if (w->r->n_rows >= OCIDIG_MAX_WALK_ROWS)
    return fail(w, OCIDIG_ERR_LIMIT, "the walk met more than %d descriptors", OCIDIG_MAX_WALK_ROWS);
  return fail(w, OCIDIG_ERR_NOMEM, "out of memory");
}

static void set_row(walk *w, size_t i, ocidig_verdict v, const char *reason)
{
  ocidig_row *row;
  if (i == (size_t)-1)
    return;
  row = &w->r->rows[i];
  row->verdict = v;
  if (reason) {
    char *s = oci_strdup(reason);
    if (s) {
      free(row->reason);
      row->reason = s;
    }
  }
}

static ocidig_code fail(walk *w, ocidig_code code, const char *fmt, ...)
{
  va_list ap;
  w->r->error.code = code;
  va_start(ap, fmt);
  vsnprintf(w->r->error.message, sizeof w->r->error.message, fmt, ap);
  va_end(ap);
  return code;
}

static ocidig_code fail_with(walk *w, const ocidig_error *e)
{
  w->r->error = *e;
  return e->code;
}

/* A buildx attestation manifest, named as such in reasons. */
static char *attestation_note(const ocidig_descriptor *d)
{
  const char *type = ocidig_descriptor_annotation(d, ANN_REF_TYPE);
  const char *target = ocidig_descriptor_annotation(d, ANN_REF_DIGEST);
  if (!type || strcmp(type, "attestation-manifest"))
    return NULL;
  return oci_sprintf("buildx attestation manifest for %s", target && *target ? target : "(no digest named)");
}

/* ------------------------------------------------------------ documents */

/* Reads a JSON document behind a descriptor: digest, presence, size, digest match,
 * JSON, in the order of §4.  Inline data is used when it checks out (§5.10). */
static ocidig_code read_document(walk *w, const ocidig_descriptor *d, const char *what, oci_json_doc *doc,
                                 ocidig_error *err)
{
  uint8_t *data = NULL;
  size_t len = 0;
  ocidig_code rc;
  char *name;

  if (d->digest_code != OCIDIG_OK) {
    const char *ds = oci_str(d->digest_string);
    ocidig_digest tmp;
    ocidig_digest_parse(ds, strlen(ds), &tmp, err);
    oci_error_prefix(err, "%s", what);
    return err ? err->code : d->digest_code;
  }
  if (d->has_data) {
    char hex[129];
    if ((int64_t)d->data_len == d->size) {
      oci_hash_hex(d->digest.alg, d->data, d->data_len, hex);
      if (!strcmp(hex, d->digest.hex) && (data = malloc(d->data_len + 1))) {
        memcpy(data, d->data, d->data_len);
        len = d->data_len;
      }
    }
    if (!data)
      warn(w, "%s %s: inline data does not match the descriptor's size and digest; ignored, the blob is read", what,
           digest_text(d));
  }
  if (!data) {
    rc = ocidig_layout_read_blob(w->layout, &d->digest, d->size, OCIDIG_MAX_JSON_SIZE, &data, &len, err);
    if (rc != OCIDIG_OK)
      return rc;
  }
  name = oci_sprintf("%s %s", what, digest_text(d));
  rc = oci_json_parse(data, len, name ? name : what, doc, err);
  free(data);
  if (rc == OCIDIG_OK) {
    for (size_t i = 0; i < doc->n_dup_keys; i++)
      warn(w, "%s: key \"%s\" appears twice in one object; the last one is used", name ? name : what,
           doc->dup_keys[i]);
  }
  free(name);
  return rc;
}

/* containerd's validateMediaType: key presence counts, whatever the value. */
static ocidig_code check_kind(json_object *root, ocidig_kind want, const char *what, const char *media_type,
                              ocidig_error *err)
{
  json_object *mt;
  ocidig_kind body = OCIDIG_KIND_OTHER;
  if (!json_object_is_type(root, json_type_object))
    return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: the document is %s, not an object", what,
                    oci_json_type_name(root));
  mt = oci_json_get(root, "mediaType");
  if (mt && !json_object_is_type(mt, json_type_string))
    return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: \"mediaType\" must be a string, not %s", what,
                    oci_json_type_name(mt));
  if (mt)
    body = ocidig_media_type_kind(json_object_get_string(mt));
  if (oci_json_has(root, "fsLayers"))
    return oci_fail(err, OCIDIG_ERR_KIND_MISMATCH, "%s: a Docker schema 1 manifest (fsLayers) behind %s", what,
                    media_type);
  if (want == OCIDIG_KIND_MANIFEST && (oci_json_has(root, "manifests") || body == OCIDIG_KIND_INDEX))
    return oci_fail(err, OCIDIG_ERR_KIND_MISMATCH, "%s: expected a manifest (%s) but the body is an index", what,
                    media_type);
  if (want == OCIDIG_KIND_INDEX &&
      (oci_json_has(root, "config") || oci_json_has(root, "layers") || body == OCIDIG_KIND_MANIFEST))
    return oci_fail(err, OCIDIG_ERR_KIND_MISMATCH, "%s: expected an index (%s) but the body is a manifest", what,
                    media_type);
  return OCIDIG_OK;
}

typedef struct child_list {
  ocidig_descriptor *v;
  size_t n;
} child_list;

static void child_list_free(child_list *c)
{
  for (size_t i = 0; i < c->n; i++)
    ocidig_descriptor_clear(&c->v[i]);
  free(c->v);
  memset(c, 0, sizeof *c);
}

typedef struct oci_entry_pos {
  const char *digest; /* kids.v[pos].digest_string, "" for none */
  size_t pos;
} oci_entry_pos;

/* index.json read, checked and decoded once for many resolutions (oci_entries_load). */
struct oci_entries {
  bool missing;    /* no index.json */
  ocidig_error e;  /* e.code != OCIDIG_OK: why index.json cannot be walked */
  child_list kids;
  oci_entry_pos *order; /* kids by digest, then position */
  char **warnings; /* met on the way (oci-layout absent, duplicate keys, ...) */
  size_t n_warnings;
};

/* Decodes and type-checks every child of an index (as containerd does). */
static ocidig_code parse_children(walk *w, json_object *root, const char *what, child_list *out, ocidig_error *err)
{
  json_object *arr = oci_json_get(root, "manifests");
  size_t n;
  memset(out, 0, sizeof *out);
  if (!oci_json_has(root, "manifests")) {
    warn(w, "%s has no \"manifests\": read as an empty index", what);
    return OCIDIG_OK;
  }
  if (!arr)
    return OCIDIG_OK; /* null */
  if (!json_object_is_type(arr, json_type_array))
    return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: \"manifests\" must be an array, not %s", what,
                    oci_json_type_name(arr));
  n = json_object_array_length(arr);
  if (n > OCIDIG_MAX_INDEX_DESCRIPTORS)
    return oci_fail(err, OCIDIG_ERR_LIMIT, "%s: %zu descriptors, more than the limit of %d", what, n,
                    OCIDIG_MAX_INDEX_DESCRIPTORS);
  out->v = calloc(n ? n : 1, sizeof *out->v);
  if (!out->v)
    return oci_nomem(err);
  for (size_t i = 0; i < n; i++) {
    char where[256];
    ocidig_code rc;
    snprintf(where, sizeof where, "%.200s manifests[%zu]", what, i);
    rc = oci_descriptor_parse(json_object_array_get_idx(arr, i), where, &out->v[i], err);
    if (rc != OCIDIG_OK) {
      child_list_free(out);
      return rc;
    }
    out->n = i + 1;
  }
  return OCIDIG_OK;
}

/* The five platform fields of a config (newest containerd: ConfigPlatform). */
static ocidig_code config_platform(walk *w, json_object *manifest, const char *what, ocidig_descriptor *cfg,
                                   ocidig_platform *out, bool *missing, ocidig_error *err)
{
  json_object *c = oci_json_get(manifest, "config");
  oci_json_doc doc;
  ocidig_code rc;
  *missing = false;
  memset(cfg, 0, sizeof *cfg);
  if (!c)
    return oci_fail(err, OCIDIG_ERR_INVALID_DIGEST, "%s has no config descriptor", what);
  if ((rc = oci_descriptor_parse(c, what, cfg, err)) != OCIDIG_OK)
    return rc;
  rc = read_document(w, cfg, "config", &doc, err);
  if (rc == OCIDIG_ERR_BLOB_MISSING) {
    *missing = true;
    return rc;
  }
  if (rc != OCIDIG_OK)
    return rc;
  if (!json_object_is_type(doc.root, json_type_object)) {
    rc = oci_fail(err, OCIDIG_ERR_INVALID_JSON, "config %s is %s, not an object", digest_text(cfg),
                  oci_json_type_name(doc.root));
  } else {
    char where[OCIDIG_DIGEST_STRING_MAX + 16];
    snprintf(where, sizeof where, "config %.140s", digest_text(cfg));
    rc = oci_platform_parse_json(doc.root, where, out, NULL, err);
  }
  oci_json_doc_free(&doc);
  return rc;
}

/* Fills what the answer shows of the selected manifest (best effort: the walk has
 * already checked what it needed). */
static void describe_selected(walk *w, json_object *manifest)
{
  ocidig_resolution *r = w->r;
  json_object *mt = oci_json_get(manifest, "mediaType");
  json_object *c = oci_json_get(manifest, "config");
  json_object *layers = oci_json_get(manifest, "layers");
  r->manifest_read = true;
  if (mt && json_object_is_type(mt, json_type_string))
    r->manifest_media_type = oci_json_strdup(mt);
  if (c && oci_descriptor_parse(c, "config", &r->config, NULL) != OCIDIG_OK)
    memset(&r->config, 0, sizeof r->config);
  if (layers && json_object_is_type(layers, json_type_array)) {
    size_t n = json_object_array_length(layers);
    r->layers = calloc(n ? n : 1, sizeof *r->layers);
    if (!r->layers)
      return;
    for (size_t i = 0; i < n; i++) {
      if (oci_descriptor_parse(json_object_array_get_idx(layers, i), "layer", &r->layers[r->n_layers], NULL) !=
          OCIDIG_OK)
        continue;
      r->layers_size = oci_size_add(r->layers_size, r->layers[r->n_layers].size);
      r->n_layers++;
    }
  }
}

static void select_manifest(walk *w, const ocidig_descriptor *d, const ocidig_platform *platform,
                            const char *source, json_object *manifest)
{
  ocidig_resolution *r = w->r;
  ocidig_error e;
  oci_descriptor_copy(&r->selected, d, &e);
  r->platform_source = source;
  if (platform) {
    if (ocidig_platform_normalize(platform, w->host, &r->selected_platform, &e) == OCIDIG_OK)
      r->selected_has_platform = true;
  }
  for (size_t i = 1; i < w->depth; i++)
    oci_strv_push(&r->path, &r->n_path, w->stack[i]);
  describe_selected(w, manifest);
}

/* ------------------------------------------------------------------ walk */

static step walk_index(walk *w, const child_list *kids, const char *parent, unsigned level, bool *found);

static step try_manifest(walk *w, const ocidig_descriptor *d, size_t row, bool is_root, char **reason)
{
  oci_json_doc doc;
  ocidig_error e;
  ocidig_code rc;
  char *what = oci_sprintf("manifest %s", digest_text(d));
  step result = STEP_ERROR;

  rc = read_document(w, d, "manifest", &doc, &e);
  if (rc == OCIDIG_OK && (rc = check_kind(doc.root, OCIDIG_KIND_MANIFEST, what ? what : "manifest",
                                          oci_str(d->media_type), &e)) != OCIDIG_OK)
    oci_json_doc_free(&doc);
  if (rc == OCIDIG_ERR_BLOB_MISSING) {
    *reason = oci_sprintf("blob %s is not in the layout", digest_text(d));
    free(what);
    return STEP_SKIPPED;
  }
  if (rc != OCIDIG_OK) {
    fail_with(w, &e);
    free(what);
    return STEP_ERROR;
  }

  if (is_root || !w->matcher) {
    /* The root is never platform-checked (§5.3); the nil matcher takes the first manifest. */
    ocidig_platform cp = {0};
    ocidig_descriptor cfg;
    bool missing;
    const ocidig_platform *p = d->has_platform ? &d->platform : NULL;
    const char *source = d->has_platform ? "descriptor" : NULL;
    if (is_root && !d->has_platform) {
      rc = config_platform(w, doc.root, what ? what : "manifest", &cfg, &cp, &missing, &e);
      if (rc == OCIDIG_OK) {
        p = &cp;
        source = "config";
      } else {
        warn(w, "the platform of root %s could not be read from its config: %s", what ? what : "manifest",
             e.message);
      }
      ocidig_descriptor_clear(&cfg);
    }
    if (is_root && w->matcher) {
      if (!p)
        ;
      else if (!ocidig_matcher_match(w->matcher, p)) {
        char *f = ocidig_platform_format(p);
        warn(w, "the selected %s is for %s (from its %s), which does not match the request %s", what ? what : "manifest",
             f ? f : "?", source, w->request_text);
        free(f);
      }
    }
    select_manifest(w, d, p, source, doc.root);
    *reason = oci_strdup(is_root ? "the manifest --ref names (a root is not platform-checked)"
                                 : "the first manifest in document order (no platform filter)");
    ocidig_platform_clear(&cp);
    oci_json_doc_free(&doc);
    free(what);
    return STEP_SELECTED;
  }

  if (d->has_platform) {
    char *f = format_raw_platform(d);
    select_manifest(w, d, &d->platform, "descriptor", doc.root);
    *reason = oci_sprintf("platform %s matches %s", f ? f : "?", w->request_text);
    free(f);
    result = STEP_SELECTED;
  } else {
    ocidig_platform cp = {0};
    ocidig_descriptor cfg;
    bool missing;
    rc = config_platform(w, doc.root, what ? what : "manifest", &cfg, &cp, &missing, &e);
    if (rc == OCIDIG_OK) {
      char *f = ocidig_platform_format(&cp);
      if (ocidig_matcher_match(w->matcher, &cp)) {
        select_manifest(w, d, &cp, "config", doc.root);
        *reason = oci_sprintf("no platform on the descriptor; its config %s says %s, which matches %s",
                              digest_text(&cfg), f ? f : "?", w->request_text);
        result = STEP_SELECTED;
      } else {
        set_row(w, row, OCIDIG_VERDICT_CONFIG_PLATFORM_MISMATCH, NULL);
        *reason = oci_sprintf("no platform on the descriptor; its config %s says %s, which does not match %s",
                              digest_text(&cfg), f ? f : "?", w->request_text);
        result = STEP_SKIPPED;
      }
      free(f);
    } else if (missing) {
      set_row(w, row, OCIDIG_VERDICT_BLOB_MISSING, NULL);
      *reason = oci_sprintf("no platform on the descriptor, and its config %s is not in the layout",
                            digest_text(&cfg));
      result = STEP_SKIPPED;
    } else {
      fail_with(w, &e);
      result = STEP_ERROR;
    }
    ocidig_descriptor_clear(&cfg);
    ocidig_platform_clear(&cp);
  }
  oci_json_doc_free(&doc);
  free(what);
  return result;
}

static step try_index(walk *w, const ocidig_descriptor *d, unsigned level, char **reason)
{
  oci_json_doc doc;
  ocidig_error e;
  ocidig_code rc;
  child_list kids;
  char *what;
  bool found = false;
  step result;

  if (level > OCIDIG_MAX_INDEX_NESTING) {
    fail(w, OCIDIG_ERR_NESTING_TOO_DEEP, "index %s is nested %u levels deep, more than the limit of %d",
         digest_text(d), level, OCIDIG_MAX_INDEX_NESTING);
    return STEP_ERROR;
  }
  for (size_t i = 1; i < w->depth; i++)
    if (!strcmp(w->stack[i], oci_str(d->digest_string))) {
      fail(w, OCIDIG_ERR_INDEX_CYCLE, "index %s contains itself (a cycle)", digest_text(d));
      return STEP_ERROR;
    }
  for (size_t i = 0; i < w->n_no_match; i++)
    if (!strcmp(w->no_match[i], oci_str(d->digest_string))) {
      *reason = oci_sprintf("walked already on another path: nothing inside matches %s", w->request_text);
      return STEP_SKIPPED;
    }
  what = oci_sprintf("index %s", digest_text(d));
  rc = read_document(w, d, "index", &doc, &e);
  if (rc == OCIDIG_OK &&
      (rc = check_kind(doc.root, OCIDIG_KIND_INDEX, what ? what : "index", oci_str(d->media_type), &e)) != OCIDIG_OK)
    oci_json_doc_free(&doc);
  if (rc == OCIDIG_ERR_BLOB_MISSING) {
    *reason = oci_sprintf("blob %s is not in the layout", digest_text(d));
    free(what);
    return STEP_SKIPPED;
  }
  if (rc != OCIDIG_OK) {
    fail_with(w, &e);
    free(what);
    return STEP_ERROR;
  }
  rc = parse_children(w, doc.root, what ? what : "index", &kids, &e);
  oci_json_doc_free(&doc);
  if (rc != OCIDIG_OK) {
    fail_with(w, &e);
    free(what);
    return STEP_ERROR;
  }
  w->stack[w->depth++] = oci_str(d->digest_string);
  result = walk_index(w, &kids, oci_str(d->digest_string), level, &found);
  w->depth--;
  child_list_free(&kids);
  free(what);
  if (result == STEP_ERROR)
    return STEP_ERROR;
  if (found) {
    *reason = oci_sprintf("the selected manifest is inside");
    return STEP_SELECTED;
  }
  oci_strv_push(&w->no_match, &w->n_no_match, oci_str(d->digest_string));
  *reason = oci_sprintf("nothing inside matches %s", w->request_text);
  return STEP_SKIPPED;
}

/* Tries one candidate whose row is `row`. */
static step try_candidate(walk *w, const ocidig_descriptor *d, size_t row, unsigned level, bool is_root)
{
  char *reason = NULL;
  step s;
  switch (ocidig_media_type_kind(d->media_type)) {
  case OCIDIG_KIND_MANIFEST:
    set_row(w, row, OCIDIG_VERDICT_BLOB_MISSING, NULL); /* the verdict if the blob is absent */
    s = try_manifest(w, d, row, is_root, &reason);
    if (s == STEP_SELECTED)
      set_row(w, row, OCIDIG_VERDICT_SELECTED, reason);
    else if (s == STEP_SKIPPED)
      set_row(w, row, w->r->rows[row].verdict, reason);
    break;
  case OCIDIG_KIND_INDEX:
    s = try_index(w, d, level, &reason);
    if (s == STEP_SELECTED)
      set_row(w, row, OCIDIG_VERDICT_SELECTED, reason);
    else if (s == STEP_SKIPPED)
      set_row(w, row,
              reason && !strncmp(reason, "blob ", 5) ? OCIDIG_VERDICT_BLOB_MISSING : OCIDIG_VERDICT_NO_MATCH_IN_INDEX,
              reason);
    break;
  default: {
    char *att = attestation_note(d);
    reason = oci_sprintf("media type %s is neither an image index nor an image manifest%s%s",
                         d->media_type && *d->media_type ? d->media_type : "(none)", att ? "; " : "",
                         att ? att : "");
    free(att);
    set_row(w, row, OCIDIG_VERDICT_UNKNOWN_MEDIA_TYPE, reason);
    s = STEP_SKIPPED;
    break;
  }
  }
  if (s == STEP_ERROR)
    set_row(w, row, OCIDIG_VERDICT_ERROR, w->r->error.message);
  free(reason);
  return s;
}

static step walk_index(walk *w, const child_list *kids, const char *parent, unsigned level, bool *found)
{
  size_t n = kids->n, n_cand = 0, n_with = 0;
  size_t *cand = calloc(n ? n : 1, sizeof *cand);
  const ocidig_platform **plats = calloc(n ? n : 1, sizeof *plats);
  size_t *order = calloc(n ? n : 1, sizeof *order);
  step result = STEP_SKIPPED;
  unsigned child_level = level + 1;
  size_t i, k;

  *found = false;
  if (!cand || !plats || !order) {
    fail(w, OCIDIG_ERR_NOMEM, "out of memory");
    result = STEP_ERROR;
    goto out;
  }
  /* 1. Filter; the removed children come first, in document order. */
  for (i = 0; i < n; i++) {
    const ocidig_descriptor *d = &kids->v[i];
    if (w->matcher && d->has_platform && !ocidig_matcher_match(w->matcher, &d->platform)) {
      char *f = format_raw_platform(d);
      char *att = attestation_note(d);
      char *reason = att ? oci_sprintf("%s (platform %s)", att, f ? f : "?")
                         : oci_sprintf("platform %s does not match %s", f ? f : "?", w->request_text);
      size_t row = add_row(w, parent, d, OCIDIG_VERDICT_PLATFORM_MISMATCH, child_level, reason);
      free(f);
      free(att);
      free(reason);
      if (row == (size_t)-1) {
        row_failed(w);
        result = STEP_ERROR;
        goto out;
      }
      continue;
    }
    if (d->has_platform || !w->matcher)
      plats[n_with] = &d->platform, order[n_with++] = i;
  }
  /* 2. Sort: platform-bearing candidates by the matcher's preference, then the rest in
   * document order.  The nil matcher keeps document order for all. */
  if (w->matcher && n_with > 1) {
    size_t *perm = calloc(n_with, sizeof *perm);
    size_t *orig = malloc(n_with * sizeof *orig);
    ocidig_error e;
    if (!perm || !orig || ocidig_matcher_sort(w->matcher, plats, n_with, perm, &e) != OCIDIG_OK) {
      free(perm);
      free(orig);
      fail(w, OCIDIG_ERR_NOMEM, "out of memory");
      result = STEP_ERROR;
      goto out;
    }
    memcpy(orig, order, n_with * sizeof *orig);
    for (k = 0; k < n_with; k++)
      order[k] = orig[perm[k]];
    free(perm);
    free(orig);
  }
  for (k = 0; k < n_with; k++)
    cand[n_cand++] = order[k];
  if (w->matcher)
    for (i = 0; i < n; i++)
      if (!kids->v[i].has_platform)
        cand[n_cand++] = i;

  /* 3. Walk the candidates in that order; stop at the first success. */
  for (k = 0; k < n_cand; k++) {
    const ocidig_descriptor *d = &kids->v[cand[k]];
    size_t row = add_row(w, parent, d, OCIDIG_VERDICT_NOT_REACHED, child_level, "");
    step s;
    if (row == (size_t)-1) {
      row_failed(w);
      result = STEP_ERROR;
      break;
    }
    s = try_candidate(w, d, row, child_level, false);
    if (s == STEP_SELECTED) {
      *found = true;
      result = STEP_SELECTED;
      k++;
      break;
    }
    if (s == STEP_ERROR) {
      result = STEP_ERROR;
      k++;
      break;
    }
  }
  /* 4. The candidates after it are not reached. */
  for (; k < n_cand; k++)
    add_row(w, parent, &kids->v[cand[k]], OCIDIG_VERDICT_NOT_REACHED, child_level,
            result == STEP_ERROR ? "not tried: the walk stopped on an error" : "ranked after the selected manifest");
out:
  free(cand);
  free(plats);
  free(order);
  return result;
}

/* ------------------------------------------------------------------ root */

static const char *image_name(const ocidig_descriptor *d)
{
  const char *n = ocidig_descriptor_annotation(d, ANN_REF_NAME);
  if (!n || !*n)
    n = ocidig_descriptor_annotation(d, ANN_CONTAINERD_NAME);
  return n && *n ? n : NULL;
}

static void list_names(const child_list *kids, oci_buf *b)
{
  size_t shown = 0;
  for (size_t i = 0; i < kids->n; i++) {
    const char *names[2] = {ocidig_descriptor_annotation(&kids->v[i], ANN_REF_NAME),
                            ocidig_descriptor_annotation(&kids->v[i], ANN_CONTAINERD_NAME)};
    for (int j = 0; j < 2; j++) {
      if (!names[j] || !*names[j])
        continue;
      if (shown++ == 20) {
        oci_buf_puts(b, ", ...");
        return;
      }
      oci_buf_printf(b, "%s%s", shown > 1 ? ", " : "", names[j]);
    }
  }
  if (!shown)
    oci_buf_puts(b, "(none)");
}

/* Does entry d answer --ref in this pass?  Pass 0: exact names (or, for "@...", the digest
 * or a prefix of 12+ hex digits); 1: the same reference in Docker's short form ("alpine:3"
 * is "docker.io/library/alpine:3", as Docker 25 writes io.containerd.image.name); 2: a
 * full name ending in ":NAME". */
static bool ref_hit(const ocidig_descriptor *d, const char *ref, int pass)
{
  const char *a, *c;
  if (ref[0] == '@')
    return pass == 0 && ocidig_digest_matches(d->digest_string, ref + 1);
  a = ocidig_descriptor_annotation(d, ANN_REF_NAME);
  c = ocidig_descriptor_annotation(d, ANN_CONTAINERD_NAME);
  if (pass == 0)
    return (a && !strcmp(a, ref)) || (c && !strcmp(c, ref));
  if (pass == 1)
    return (a && oci_reference_same(a, ref)) || (c && oci_reference_same(c, ref));
  return (a && oci_reference_has_tag(a, ref)) || (c && oci_reference_has_tag(c, ref));
}

static int compare_strings(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* §5.4: picks the entries of index.json that a --ref names. */
static ocidig_code pick_ref(walk *w, const child_list *kids, const oci_entries *pre, const char *ref, size_t *pick)
{
  size_t first = 0;
  bool hit = false, several = false;
  int pass;
  oci_buf b = {0};
  ocidig_code rc;
  if (pre && ref[0] == '@') {
    /* The first entry with that digest, found in the sorted positions. */
    size_t lo = 0, hi = kids->n;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (strcmp(pre->order[mid].digest, ref + 1) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo < kids->n && !strcmp(pre->order[lo].digest, ref + 1)) {
      *pick = pre->order[lo].pos;
      return OCIDIG_OK;
    }
  }
  /* The first pass with any hit decides; entries with the same digest count as one hit. */
  for (pass = 0; pass < 3 && !hit; pass++)
    for (size_t i = 0; i < kids->n && !several; i++) {
      if (!ref_hit(&kids->v[i], ref, pass))
        continue;
      if (!hit) {
        hit = true;
        first = i;
      } else if (!oci_streq(kids->v[first].digest_string, kids->v[i].digest_string)) {
        several = true;
      }
    }
  pass--;
  if (hit && !several) {
    *pick = first;
    return OCIDIG_OK;
  }
  if (!hit) {
    list_names(kids, &b);
    rc = fail(w, OCIDIG_ERR_REF_NOT_FOUND, "--ref %s names no entry of index.json (names there: %s)", ref,
              b.s ? b.s : "");
  } else {
    /* The entries of the pass that decided, and how many different digests they have. */
    const char **digests = malloc(kids->n * sizeof *digests);
    size_t n = 0, distinct = 0;
    for (size_t i = 0; i < kids->n; i++)
      if (ref_hit(&kids->v[i], ref, pass)) {
        oci_buf_printf(&b, "%s%s (%s)", b.len ? ", " : "", image_name(&kids->v[i]), digest_text(&kids->v[i]));
        if (digests)
          digests[n++] = oci_str(kids->v[i].digest_string);
      }
    if (digests) {
      qsort(digests, n, sizeof *digests, compare_strings);
      for (size_t i = 0; i < n; i++)
        distinct += i == 0 || strcmp(digests[i - 1], digests[i]) != 0;
      free(digests);
      rc = fail(w, OCIDIG_ERR_REF_AMBIGUOUS, "--ref %s is ambiguous: it names %zu different manifests: %s", ref,
                distinct, b.s ? b.s : "");
    } else {
      rc = fail(w, OCIDIG_ERR_REF_AMBIGUOUS, "--ref %s is ambiguous: it names several different manifests: %s", ref,
                b.s ? b.s : "");
    }
  }
  oci_buf_free(&b);
  return rc;
}

static void note_several_images(walk *w, const child_list *kids)
{
  const char *first = NULL;
  bool several = false;
  oci_buf b = {0};
  for (size_t i = 0; i < kids->n; i++) {
    const char *n = image_name(&kids->v[i]);
    if (!n)
      continue;
    if (first && strcmp(first, n))
      several = true;
    if (!first)
      first = n;
  }
  if (!several)
    return;
  for (size_t i = 0; i < kids->n; i++) {
    const char *n = image_name(&kids->v[i]);
    if (n)
      oci_buf_printf(&b, "%s%s", b.len ? ", " : "", n);
  }
  warn(w, "index.json names several images (%s); resolved over all of them as containerd would; pick one with --ref",
       b.s ? b.s : "");
  oci_buf_free(&b);
}

/* oci-layout: absent is a warning (§2.1); unreadable or another version stops. */
static ocidig_code check_oci_layout(walk *w, ocidig_error *err)
{
  bool absent = false;
  ocidig_code rc = ocidig_layout_check_oci_layout(w->layout, &absent, err);
  if (rc == OCIDIG_OK && absent)
    warn(w, "the layout has no oci-layout file");
  return rc;
}

/* After the walk: bad digests on descriptors the walk never needed (§4). */
static void warn_unneeded_bad_digests(walk *w)
{
  for (size_t i = 0; i < w->r->n_rows; i++) {
    const ocidig_row *row = &w->r->rows[i];
    const char *ds;
    ocidig_digest tmp;
    ocidig_error e;
    if (row->desc.digest_code == OCIDIG_OK || row->verdict == OCIDIG_VERDICT_ERROR)
      continue;
    ds = oci_str(row->desc.digest_string);
    ocidig_digest_parse(ds, strlen(ds), &tmp, &e);
    warn(w, "a descriptor in %s: %s", row->parent, e.message);
  }
}

/* The start (§2.1): index.json read, oci-layout checked, index.json decoded into kids.  *missing:
 * there is no index.json (OCIDIG_ERR_BLOB_MISSING). */
static ocidig_code read_root(walk *w, child_list *kids, bool *missing, ocidig_error *e)
{
  uint8_t *data;
  size_t len;
  oci_json_doc doc;
  ocidig_code rc;

  memset(kids, 0, sizeof *kids);
  rc = ocidig_layout_read_file(w->layout, "index.json", OCIDIG_MAX_JSON_SIZE, &data, &len, e);
  if (rc == OCIDIG_ERR_BLOB_MISSING)
    *missing = true;
  if (rc != OCIDIG_OK)
    return rc;
  if ((rc = check_oci_layout(w, e)) != OCIDIG_OK) {
    free(data);
    return rc;
  }
  rc = oci_json_parse(data, len, "index.json", &doc, e);
  free(data);
  if (rc != OCIDIG_OK)
    return rc;
  for (size_t i = 0; i < doc.n_dup_keys; i++)
    warn(w, "index.json: key \"%s\" appears twice in one object; the last one is used", doc.dup_keys[i]);
  if ((rc = check_kind(doc.root, OCIDIG_KIND_INDEX, "index.json", OCIDIG_MT_OCI_INDEX, e)) == OCIDIG_OK)
    rc = parse_children(w, doc.root, "index.json", kids, e);
  oci_json_doc_free(&doc);
  return rc;
}

static ocidig_code run(walk *w, const ocidig_resolve_options *opts, const oci_entries *pre)
{
  ocidig_resolution *r = w->r;
  child_list own = {0};
  const child_list *kids = &own;
  ocidig_error e;
  ocidig_code rc;
  bool found = false, missing = false;

  if (pre) {
    for (size_t i = 0; i < pre->n_warnings; i++)
      warn(w, "%s", pre->warnings[i]);
    missing = pre->missing;
    e = pre->e;
    rc = missing ? OCIDIG_ERR_BLOB_MISSING : e.code;
    kids = &pre->kids;
  } else {
    rc = read_root(w, &own, &missing, &e);
  }
  if (missing) {
    /* A docker save archive (manifest.json, no index.json): docker_archive.c resolves it. */
    if ((rc = oci_docker_resolve(w->layout, opts, r)) != OCIDIG_ERR_MISSING_INDEX_JSON)
      return rc;
    return fail(w, OCIDIG_ERR_MISSING_INDEX_JSON, "%s: no index.json: not an OCI image layout",
                ocidig_layout_is_archive(w->layout) ? "the archive has" : "the directory has");
  }
  if (rc != OCIDIG_OK)
    return fail_with(w, &e);

  w->stack[w->depth++] = "index.json";
  if (opts->ref) {
    size_t pick = 0, row;
    step s;
    if ((rc = pick_ref(w, kids, pre, opts->ref, &pick)) != OCIDIG_OK) {
      child_list_free(&own);
      return rc;
    }
    row = add_row(w, "index.json", &kids->v[pick], OCIDIG_VERDICT_NOT_REACHED, 1, "");
    if (row == (size_t)-1) {
      child_list_free(&own);
      return row_failed(w);
    }
    s = try_candidate(w, &kids->v[pick], row, 1, true);
    found = s == STEP_SELECTED;
    rc = s == STEP_ERROR ? r->error.code : OCIDIG_OK;
  } else {
    step s;
    note_several_images(w, kids);
    s = walk_index(w, kids, "index.json", 0, &found);
    rc = s == STEP_ERROR ? r->error.code : OCIDIG_OK;
  }
  child_list_free(&own);
  /* Every index on the path to an error gets the verdict error (§5.2). */
  if (rc != OCIDIG_OK)
    return rc;
  r->outcome = found ? OCIDIG_OUTCOME_SELECTED : OCIDIG_OUTCOME_NO_MATCH;
  /* A manifest.json beside index.json (docker save >= 25, ctr export): where they disagree.
   * Not for each entry of a batch (oci_entries): its callers read no warnings. */
  if (!pre)
    oci_docker_hybrid_warnings(w->layout, r);
  return OCIDIG_OK;
}

/* The walk's answer came from a copy of a member that the archive contradicts later:
 * nothing of it stands.  The rows it selected become errors, as on any failed walk. */
static void drop_answer(ocidig_resolution *r)
{
  ocidig_descriptor_clear(&r->selected);
  ocidig_platform_clear(&r->selected_platform);
  r->selected_has_platform = false;
  r->platform_source = NULL;
  oci_strv_free(r->path, r->n_path);
  r->path = NULL;
  r->n_path = 0;
  r->manifest_read = false;
  free(r->manifest_media_type);
  r->manifest_media_type = NULL;
  ocidig_descriptor_clear(&r->config);
  for (size_t i = 0; i < r->n_layers; i++)
    ocidig_descriptor_clear(&r->layers[i]);
  free(r->layers);
  r->layers = NULL;
  r->n_layers = 0;
  r->layers_size = 0;
  for (size_t i = 0; i < r->n_rows; i++) {
    ocidig_row *row = &r->rows[i];
    if (row->verdict != OCIDIG_VERDICT_SELECTED)
      continue;
    row->verdict = OCIDIG_VERDICT_ERROR;
    free(row->reason);
    row->reason = oci_strdup(r->error.message);
  }
}

/* ocidig_resolve, and oci_resolve_entry with index.json decoded already (pre); layout and out
 * are not NULL. */
static ocidig_code resolve(ocidig_layout *layout, const ocidig_resolve_options *opts, const oci_entries *pre,
                           ocidig_resolution **out, ocidig_error *err)
{
  static const ocidig_resolve_options defaults; /* NULL options: the nil matcher, no --ref */
  walk w = {.layout = layout};
  ocidig_resolution *r;
  const char *const *lw;
  size_t nlw;
  ocidig_code rc;

  *out = NULL;
  if (!opts)
    opts = &defaults;
  w.matcher = opts->matcher;
  w.host = opts->host;
  r = calloc(1, sizeof *r);
  *out = r;
  if (!r)
    return oci_nomem(err);
  w.r = r;
  if (opts->matcher) {
    r->request = ocidig_platform_format(ocidig_matcher_request(opts->matcher));
  } else {
    r->request = oci_strdup("");
  }
  w.request_text = r->request && *r->request ? r->request : "(any platform)";
  rc = run(&w, opts, pre);
  /* A lazy walk answers as soon as it has what it needs, so a later copy of a member it
   * read (tar extracts the last copy) would go unseen.  Where the rest of the archive
   * costs only headers, read on: such an archive is then refused as ambiguous
   * (corrupt-archive), not answered from the first copy.  A compressed archive is not
   * inflated to its end for this (issue 8's early stop); verify reads everything. */
  if (rc == OCIDIG_OK && oci_layout_rest_is_cheap(layout)) {
    ocidig_error e = {0};
    if (ocidig_layout_scan_all(layout, &e) != OCIDIG_OK) {
      if (oci_layout_ambiguous(layout)) {
        rc = fail_with(&w, &e);
        drop_answer(r);
      } else {
        /* Damage past everything the answer used (a cut-off last member, say) does not
         * change it, as on a compressed archive where the walk stops early. */
        warn(&w, "after the members resolve used: %s", e.message);
      }
    }
  }
  if (rc != OCIDIG_OK) {
    r->outcome = OCIDIG_OUTCOME_ERROR;
    if (err)
      *err = r->error;
  }
  warn_unneeded_bad_digests(&w);
  oci_strv_free(w.no_match, w.n_no_match);
  nlw = ocidig_layout_warnings(layout, &lw);
  for (size_t i = 0; i < nlw; i++)
    warn(&w, "%s", lw[i]);
  if (w.dropped_warnings) {
    char buf[96];
    snprintf(buf, sizeof buf, "%zu more warnings not shown", w.dropped_warnings);
    oci_strv_push(&r->warnings, &r->n_warnings, buf);
  }
  return rc;
}

ocidig_code ocidig_resolve(ocidig_layout *layout, const ocidig_resolve_options *opts, ocidig_resolution **out,
                           ocidig_error *err)
{
  OCI_REQUIRE(out, "out", err);
  *out = NULL;
  OCI_REQUIRE(layout, "the layout", err);
  return resolve(layout, opts, NULL, out, err);
}

/* ------------------------------------------------- one entry at a time */

static int order_cmp(const void *a, const void *b)
{
  const oci_entry_pos *x = a, *y = b;
  int c = strcmp(x->digest, y->digest);
  return c ? c : x->pos < y->pos ? -1 : x->pos > y->pos;
}

oci_entries *oci_entries_load(ocidig_layout *layout)
{
  oci_entries *pre = calloc(1, sizeof *pre);
  ocidig_resolution *r = calloc(1, sizeof *r);
  walk w = {.layout = layout, .r = r};
  ocidig_code rc;
  if (!pre || !r) {
    free(pre);
    free(r);
    return NULL;
  }
  rc = read_root(&w, &pre->kids, &pre->missing, &pre->e);
  pre->e.code = pre->missing ? OCIDIG_OK : rc;
  pre->warnings = r->warnings;
  pre->n_warnings = r->n_warnings;
  r->warnings = NULL;
  r->n_warnings = 0;
  ocidig_resolution_free(r);
  if (rc == OCIDIG_ERR_NOMEM || !(pre->order = calloc(pre->kids.n ? pre->kids.n : 1, sizeof *pre->order))) {
    oci_entries_free(pre);
    return NULL;
  }
  for (size_t i = 0; i < pre->kids.n; i++)
    pre->order[i] = (oci_entry_pos){oci_str(pre->kids.v[i].digest_string), i};
  if (pre->kids.n > 1)
    qsort(pre->order, pre->kids.n, sizeof *pre->order, order_cmp);
  return pre;
}

void oci_entries_free(oci_entries *pre)
{
  if (!pre)
    return;
  child_list_free(&pre->kids);
  free(pre->order);
  oci_strv_free(pre->warnings, pre->n_warnings);
  free(pre);
}

ocidig_code oci_resolve_entry(ocidig_layout *layout, const ocidig_resolve_options *opts, const oci_entries *pre,
                              ocidig_resolution **out, ocidig_error *err)
{
  return resolve(layout, opts, pre, out, err);
}

void ocidig_resolution_free(ocidig_resolution *r)
{
  if (!r)
    return;
  free(r->request);
  ocidig_descriptor_clear(&r->selected);
  ocidig_platform_clear(&r->selected_platform);
  oci_strv_free(r->path, r->n_path);
  free(r->manifest_media_type);
  ocidig_descriptor_clear(&r->config);
  for (size_t i = 0; i < r->n_layers; i++)
    ocidig_descriptor_clear(&r->layers[i]);
  free(r->layers);
  for (size_t i = 0; i < r->n_rows; i++) {
    free(r->rows[i].parent);
    free(r->rows[i].reason);
    ocidig_descriptor_clear(&r->rows[i].desc);
  }
  free(r->rows);
  oci_strv_free(r->warnings, r->n_warnings);
  free(r);
}

const char *ocidig_verdict_name(ocidig_verdict v)
{
  static const char *const names[] = {"selected",           "platform-mismatch", "config-platform-mismatch",
                                      "no-match-in-index",  "unknown-media-type", "blob-missing",
                                      "not-reached",        "error"};
  return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "unknown";
}

const char *ocidig_outcome_name(ocidig_outcome o)
{
  static const char *const names[] = {"selected", "no-match", "error"};
  return (unsigned)o < sizeof names / sizeof names[0] ? names[o] : "unknown";
}
