/* view/cimage_dir.c: containers/image's dir: transport seen as an OCI layout.
 *
 * `skopeo copy ... dir:DIR` (and `podman save --format docker-dir`) writes manifest.json
 * (the image's manifest, or with --all the list, byte for byte as the source had it), the
 * blobs named by their hex (<hex>), the per-platform manifests of a list as
 * <hex>.manifest.json, and a file "version" ("Directory Transport Version: 1.1").
 * `skopeo sync --dest dir` writes one such folder per image, side by side.  manifest.json is
 * a real blob (its digest is its bytes'); only the index above it is synthesized: one entry
 * (one image at the root) or one per image folder, named by the folder's path
 * (org.opencontainers.image.ref.name). */
#include "view_int.h"

#include "json.h"
#include "layout.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define ANN_REF_NAME "org.opencontainers.image.ref.name"
#define MT_DOCKER_V1 "application/vnd.docker.distribution.manifest.v1+prettyjws"

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool is_hex64(const char *s, size_t n)
{
  return n == 64 && oci_lower_hex(s, n);
}

/* The media type manifest.json's entry is given: its own mediaType, else what its fields
 * say (an OCI index has manifests, a schema 1 manifest says schemaVersion 1), else an OCI
 * image manifest (the graph then judges the document as it reads it). */
static char *media_type_of(const uint8_t *data, size_t len, const char *what)
{
  oci_json_doc doc;
  json_object *mt;
  char *out = NULL;
  int64_t sv = 0;
  if (oci_json_parse(data, len, what, &doc, NULL) != OCIDIG_OK)
    return oci_strdup(OCIDIG_MT_OCI_MANIFEST);
  if (json_object_is_type(doc.root, json_type_object)) {
    if ((mt = oci_json_get(doc.root, "mediaType")) && json_object_is_type(mt, json_type_string))
      out = oci_json_strdup(mt);
    else if (oci_json_has(doc.root, "manifests"))
      out = oci_strdup(OCIDIG_MT_OCI_INDEX);
    else if (oci_json_int64(oci_json_get(doc.root, "schemaVersion"), &sv) && sv == 1)
      out = oci_strdup(MT_DOCKER_V1);
  }
  if (!out)
    out = oci_strdup(OCIDIG_MT_OCI_MANIFEST);
  oci_json_doc_free(&doc);
  return out;
}

/* Finds the image folders: the root alone when it holds manifest.json, else every folder
 * with a version file and a manifest.json object (sorted by path). */
static ocidig_code find_folders(oci_view *v, const ocidig_entry *ents, size_t n, ocidig_error *err)
{
  ocidig_entry e;
  ocidig_error e2;
  if (ocidig_layout_stat(v->l, "manifest.json", &e, &e2) == OCIDIG_OK)
    return oci_strv_push(&v->folders, &v->n_folders, "") ? OCIDIG_OK : oci_nomem(err);
  {
    ocidig_code rc = oci_cimage_folders(v->l, ents, n, SIZE_MAX, &v->folders, &v->n_folders, err);
    if (rc != OCIDIG_OK)
      return rc;
  }
  if (v->n_folders > 1)
    qsort(v->folders, v->n_folders, sizeof *v->folders, cmp_str);
  if (!v->n_folders) /* detection said yes: the layout changed under us */
    return oci_fail(err, OCIDIG_ERR_MISSING_INDEX_JSON, "%s: no manifest.json of containers/image's dir: format",
                    v->l->path);
  return OCIDIG_OK;
}

/* The image folder a path is in, or (size_t)-1. */
static size_t folder_of(const oci_view *v, const char *path, size_t n)
{
  size_t lo = 0, hi = v->n_folders;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strncmp(v->folders[mid], path, n);
    if (c == 0 && v->folders[mid][n])
      c = 1;
    if (c < 0)
      lo = mid + 1;
    else if (c > 0)
      hi = mid;
    else
      return mid;
  }
  return (size_t)-1;
}

static bool is_folder(const oci_view *v, const char *path, size_t n)
{
  return folder_of(v, path, n) != (size_t)-1;
}

/* Reads folder/manifest.json, adds it to the blobs and its entry to `manifests`. */
static ocidig_code add_image(oci_view *v, const char *folder, json_object *manifests, ocidig_error *err)
{
  char path[OCIDIG_MAX_PATH_LENGTH + 32], dig[OCIDIG_DIGEST_STRING_MAX];
  uint8_t *data = NULL;
  size_t len = 0;
  char *mt;
  json_object *d;
  ocidig_code rc;

  snprintf(path, sizeof path, "%s%smanifest.json", folder, *folder ? "/" : "");
  if ((rc = ocidig_layout_read_file(v->l, path, OCIDIG_MAX_JSON_SIZE, &data, &len, err)) != OCIDIG_OK) {
    if (rc == OCIDIG_ERR_JSON_TOO_LARGE)
      return oci_fail(err, rc, "%s: larger than the %u-byte limit for a document", path, OCIDIG_MAX_JSON_SIZE);
    return rc;
  }
  mt = oci_view_sha256(data, len, dig) ? media_type_of(data, len, path) : NULL;
  free(data);
  if (!mt || !oci_strv_push(&v->folder_digests, &v->n_folder_digests, dig)) {
    free(mt);
    return oci_nomem(err);
  }
  if ((rc = oci_view_add_blob(v, dig, path, NULL, 0, (size_t)-1, err)) != OCIDIG_OK) {
    free(mt);
    return rc;
  }
  d = json_object_new_object();
  if (!d || !oci_json_add(d, "mediaType", json_object_new_string(mt)) ||
      !oci_json_add(d, "digest", json_object_new_string(dig)) ||
      !oci_json_add(d, "size", json_object_new_int64((int64_t)len))) {
    free(mt);
    json_object_put(d);
    return oci_nomem(err);
  }
  free(mt);
  if (*folder) {
    json_object *ann = json_object_new_object();
    if (!ann || !oci_json_add(ann, ANN_REF_NAME, json_object_new_string(folder))) {
      json_object_put(ann);
      json_object_put(d);
      return oci_nomem(err);
    }
    if (!oci_json_add(d, "annotations", ann)) { /* ann released */
      json_object_put(d);
      return oci_nomem(err);
    }
  }
  return oci_json_push(manifests, d) ? OCIDIG_OK : oci_nomem(err);
}

ocidig_code oci_view_cimage_build(oci_view *v, ocidig_error *err)
{
  const ocidig_entry *ents;
  size_t n;
  json_object *idx, *manifests;
  ocidig_code rc;

  if ((rc = ocidig_layout_entries(v->l, &ents, &n, err)) != OCIDIG_OK || (rc = find_folders(v, ents, n, err)) != OCIDIG_OK)
    return rc;
  /* Not "manifest.json" alone: that names a docker save's root (ocidig_resolution_is_docker_archive). */
  v->root_name = v->folders[0][0] ? "the image folders (manifest.json, version)" : "manifest.json (dir:)";
  idx = json_object_new_object();
  manifests = json_object_new_array();
  if (!idx || !manifests || !oci_json_add(idx, "schemaVersion", json_object_new_int(2)) ||
      !oci_json_add(idx, "mediaType", json_object_new_string(OCIDIG_MT_OCI_INDEX))) {
    json_object_put(idx);
    json_object_put(manifests);
    return oci_nomem(err);
  }
  if (!oci_json_add(idx, "manifests", manifests)) {
    json_object_put(idx);
    return oci_nomem(err);
  }
  /* manifest.json first: where a hex-named file has the same digest, both hold the same bytes
   * or one of them is damaged, and manifest.json is the one the format names. */
  for (size_t i = 0; i < v->n_folders; i++)
    if ((rc = add_image(v, v->folders[i], manifests, err)) != OCIDIG_OK) {
      json_object_put(idx);
      return rc;
    }
  /* The blobs: <hex> and <hex>.manifest.json in an image folder. */
  for (size_t i = 0; i < n; i++) {
    const char *p = ents[i].path, *slash = strrchr(p, '/'), *base = slash ? slash + 1 : p;
    size_t blen = strlen(base);
    char dig[OCIDIG_DIGEST_STRING_MAX];
    if (ents[i].type == OCIDIG_ENTRY_DIRECTORY || ents[i].type == OCIDIG_ENTRY_SPECIAL || ents[i].escapes)
      continue;
    if (!(is_hex64(base, blen) || (blen == 64 + 14 && !strcmp(base + 64, ".manifest.json") && is_hex64(base, 64))))
      continue;
    if (!is_folder(v, p, slash ? (size_t)(slash - p) : 0))
      continue;
    snprintf(dig, sizeof dig, "sha256:%.64s", base);
    if ((rc = oci_view_add_blob(v, dig, p, NULL, 0, (size_t)-1, err)) != OCIDIG_OK) {
      json_object_put(idx);
      return rc;
    }
  }
  return oci_json_text(idx, &v->root, &v->root_len) ? OCIDIG_OK : oci_nomem(err);
}

/* ------------------------------------------------------------ signatures */

#define SIGSTORE_FORMAT "sigstore-json"
#define SIMPLE_FORMAT "simple-signing"
#define FORMAT_NAME_MAX 64 /* the room left for the first line past OCI_DIRSIG_MAX */

/* "signature-N" (N from 1, no leading zero, at most 9 digits): N, else 0. */
static unsigned long sig_number(const char *s)
{
  unsigned long n = 0;
  size_t k = 0;
  if (strncmp(s, "signature-", 10))
    return 0;
  s += 10;
  if (*s < '1' || *s > '9')
    return 0;
  for (; s[k]; k++) {
    if (k >= 9 || !isdigit((unsigned char)s[k]))
      return 0;
    n = n * 10 + (unsigned long)(s[k] - '0');
  }
  return n;
}

/* What a signature file's bytes are (containers/image's FromBlob): the format, and where
 * its content starts (after the first line).  OCI_DIRSIG_BAD: *code and why. */
static oci_dirsig_format sig_format(const uint8_t *p, size_t n, size_t *start, ocidig_code *code, char *why,
                                    size_t whylen)
{
  const uint8_t *nl;
  size_t k;
  *start = 0;
  *code = OCIDIG_OK;
  if (!n || p[0] != 0)
    return OCI_DIRSIG_SIMPLE_SIGNING; /* 0 is never an OpenPGP message's first byte */
  nl = memchr(p + 1, '\n', n - 1); /* anywhere, as containers/image looks for it */
  if (!nl) {
    *code = OCIDIG_ERR_INVALID_JSON;
    snprintf(why, whylen, "starts with a 0 byte (a signature format's name) but no newline follows");
    return OCI_DIRSIG_BAD;
  }
  k = (size_t)(nl - (p + 1));
  *start = k + 2;
  if (k == strlen(SIGSTORE_FORMAT) && !memcmp(p + 1, SIGSTORE_FORMAT, k))
    return OCI_DIRSIG_SIGSTORE;
  if (k == strlen(SIMPLE_FORMAT) && !memcmp(p + 1, SIMPLE_FORMAT, k))
    return OCI_DIRSIG_SIMPLE_SIGNING;
  for (size_t i = 1; i <= k; i++)
    if (p[i] < 32 || p[i] >= 0x7f) { /* containers/image: an invalid format */
      *code = OCIDIG_ERR_INVALID_JSON;
      snprintf(why, whylen, "a signature format whose name is not printable ASCII");
      return OCI_DIRSIG_BAD;
    }
  *code = OCIDIG_ERR_KIND_MISMATCH;
  snprintf(why, whylen, "signature format \"%.*s%s\": containers/image knows %s and %s",
           (int)(k < FORMAT_NAME_MAX ? k : FORMAT_NAME_MAX), (const char *)p + 1, k > FORMAT_NAME_MAX ? "..." : "",
           SIGSTORE_FORMAT, SIMPLE_FORMAT);
  return OCI_DIRSIG_BAD;
}

/* Reads a signature file whole (at most OCI_DIRSIG_MAX bytes after FORMAT_NAME_MAX + 2). */
static ocidig_code sig_bytes(oci_view *v, const oci_dirsig *s, uint8_t **data, size_t *len, ocidig_error *err)
{
  if (s->size > (int64_t)OCI_DIRSIG_MAX + FORMAT_NAME_MAX + 2)
    return oci_fail(err, OCIDIG_ERR_LIMIT, "%s: %lld bytes, more than the %u bytes a signature may have: not read",
                    s->member, (long long)s->size, OCI_DIRSIG_MAX);
  return ocidig_layout_read_file(v->l, s->member, OCI_DIRSIG_MAX + FORMAT_NAME_MAX + 2, data, len, err);
}

/* Classifies one signature file (its bytes read once, not kept); false: out of memory. */
static bool sig_classify(oci_view *v, oci_dirsig *s)
{
  uint8_t *data = NULL;
  size_t len = 0, start;
  ocidig_error e;
  char why[256];
  ocidig_code rc = sig_bytes(v, s, &data, &len, &e);
  if (rc == OCIDIG_ERR_NOMEM)
    return false;
  if (rc != OCIDIG_OK) {
    s->format = OCI_DIRSIG_BAD;
    s->code = rc;
    return (s->message = oci_strdup(e.message)) != NULL;
  }
  s->size = (int64_t)len; /* what was read (a link's entry may say its own size) */
  s->format = sig_format(data, len, &start, &s->code, why, sizeof why);
  free(data);
  if (s->format != OCI_DIRSIG_BAD)
    return true;
  {
    char msg[OCIDIG_ERROR_MESSAGE_MAX];
    snprintf(msg, sizeof msg, "%s: %s", s->member, why);
    return (s->message = oci_strdup(msg)) != NULL;
  }
}

bool oci_view_cimage_sig_name(const char *path)
{
  const char *slash = path ? strrchr(path, '/') : NULL, *base = slash ? slash + 1 : path;
  if (!base)
    return false;
  return sig_number(base) || (strlen(base) > 65 && base[64] == '.' && is_hex64(base, 64) && sig_number(base + 65));
}

/* A per-platform manifest's signature (<hex>.signature-N), not the folder's own. */
static bool sig_of_instance(const char *member)
{
  const char *slash = strrchr(member, '/');
  return strncmp(slash ? slash + 1 : member, "signature-", 10) != 0;
}

static int cmp_sig(const void *a, const void *b)
{
  const oci_dirsig *x = a, *y = b;
  bool xi = sig_of_instance(x->member), yi = sig_of_instance(y->member);
  int c;
  if (x->folder != y->folder)
    return x->folder < y->folder ? -1 : 1;
  if (xi != yi) /* the folder's own manifest first, then the per-platform ones */
    return xi ? 1 : -1;
  if ((c = strcmp(x->subject, y->subject)))
    return c;
  return (x->n > y->n) - (x->n < y->n);
}

static void free_sigs(oci_view *v)
{
  for (size_t i = 0; i < v->n_sigs; i++) {
    free(v->sigs[i].member);
    free(v->sigs[i].subject);
    free(v->sigs[i].message);
  }
  free(v->sigs);
  v->sigs = NULL;
  v->n_sigs = 0;
}

void oci_view_cimage_free(oci_view *v)
{
  free_sigs(v);
  oci_strv_free(v->folder_digests, v->n_folder_digests);
  v->folder_digests = NULL;
  v->n_folder_digests = 0;
}

/* containers/image reads signature-1, -2, ... of a manifest up to the first number missing
 * (its dir: GetSignatures): a file past that gap is no signature of the image there, so it is
 * listed, not read as one (unsupported, its reason the number missing).  sigs: sorted. */
static bool sig_mark_gaps(oci_view *v)
{
  unsigned long want = 1;
  for (size_t i = 0; i < v->n_sigs; i++) {
    oci_dirsig *s = &v->sigs[i];
    const oci_dirsig *p = i ? &v->sigs[i - 1] : NULL;
    char msg[OCIDIG_ERROR_MESSAGE_MAX];
    if (!p || p->folder != s->folder || sig_of_instance(p->member) != sig_of_instance(s->member) ||
        strcmp(p->subject, s->subject))
      want = 1; /* another manifest's signatures */
    if (s->n == want) {
      want++;
      continue;
    }
    snprintf(msg, sizeof msg, "%s: past a number missing (signature-%lu): containers/image reads signature-1, -2, "
             "... up to the first one missing, and so not this one", s->member, want);
    free(s->message);
    s->format = OCI_DIRSIG_BAD;
    s->code = OCIDIG_ERR_KIND_MISMATCH;
    if (!(s->message = oci_strdup(msg)))
      return false;
    want = 0; /* every later one of this manifest too (n is never 0) */
  }
  return true;
}

static ocidig_code sig_scan(oci_view *v, ocidig_error *err)
{
  const ocidig_entry *ents;
  size_t n, cap = 0;
  ocidig_code rc;
  if ((rc = ocidig_layout_entries(v->l, &ents, &n, err)) != OCIDIG_OK)
    return rc;
  for (size_t i = 0; i < n; i++) {
    const char *p = ents[i].path, *slash = strrchr(p, '/'), *base = slash ? slash + 1 : p;
    size_t folder, blen = strlen(base);
    unsigned long num;
    char subject[OCIDIG_DIGEST_STRING_MAX];
    oci_dirsig *s;
    if (ents[i].type == OCIDIG_ENTRY_DIRECTORY || ents[i].type == OCIDIG_ENTRY_SPECIAL || ents[i].escapes)
      continue;
    if ((num = sig_number(base)) != 0)
      subject[0] = 0;
    else if (blen > 65 && base[64] == '.' && is_hex64(base, 64) && (num = sig_number(base + 65)) != 0)
      snprintf(subject, sizeof subject, "sha256:%.64s", base);
    else
      continue;
    if ((folder = folder_of(v, p, slash ? (size_t)(slash - p) : 0)) == (size_t)-1 || folder >= v->n_folder_digests)
      continue;
    if (!oci_grow((void **)&v->sigs, &cap, v->n_sigs + 1, sizeof *v->sigs))
      return oci_nomem(err);
    s = &v->sigs[v->n_sigs++];
    memset(s, 0, sizeof *s);
    s->n = num;
    s->folder = folder;
    s->size = ents[i].size;
    if (!(s->member = oci_strdup(p)) || !(s->subject = oci_strdup(*subject ? subject : v->folder_digests[folder])) ||
        !sig_classify(v, s))
      return oci_nomem(err);
  }
  if (v->n_sigs > 1)
    qsort(v->sigs, v->n_sigs, sizeof *v->sigs, cmp_sig);
  return sig_mark_gaps(v) ? OCIDIG_OK : oci_nomem(err);
}

ocidig_code oci_view_cimage_signatures(oci_view *v, const oci_dirsig **out, size_t *n, ocidig_error *err)
{
  OCI_REQUIRE(out, "out", err);
  OCI_REQUIRE(n, "n", err);
  *out = NULL;
  *n = 0;
  OCI_REQUIRE(v, "the view", err);
  if (!oci_view_cimage_images(v))
    return OCIDIG_OK;
  if (!v->sigs_scanned) {
    ocidig_code rc = sig_scan(v, err);
    if (rc != OCIDIG_OK) { /* not kept: a later call scans again */
      free_sigs(v);
      return rc;
    }
    v->sigs_scanned = true;
  }
  *out = v->sigs;
  *n = v->n_sigs;
  return OCIDIG_OK;
}

ocidig_code oci_view_cimage_signature_read(oci_view *v, size_t i, uint8_t **data, size_t *len, ocidig_error *err)
{
  const oci_dirsig *s;
  size_t start;
  ocidig_code rc, code;
  char why[256];
  OCI_REQUIRE(data, "data", err);
  OCI_REQUIRE(len, "len", err);
  *data = NULL;
  *len = 0;
  OCI_REQUIRE(v, "the view", err);
  if (!v->sigs_scanned || i >= v->n_sigs)
    return oci_fail(err, OCIDIG_ERR_USAGE, "oci_view_cimage_signature_read: no signature file %zu", i);
  s = &v->sigs[i];
  if (s->format == OCI_DIRSIG_BAD)
    return oci_fail(err, s->code, "%s", s->message ? s->message : s->member);
  if ((rc = sig_bytes(v, s, data, len, err)) != OCIDIG_OK)
    return rc;
  if ((int64_t)*len != s->size || sig_format(*data, *len, &start, &code, why, sizeof why) != s->format) {
    size_t was = *len;
    free(*data);
    *data = NULL;
    *len = 0;
    return oci_fail(err, OCIDIG_ERR_SIZE_MISMATCH, "%s: not the file the listing read (%lld bytes, now %zu)",
                    s->member, (long long)s->size, was);
  }
  memmove(*data, *data + start, *len - start);
  *len -= start;
  return OCIDIG_OK;
}
