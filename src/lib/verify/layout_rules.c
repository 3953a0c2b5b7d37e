/* layout_rules.c: the layout-level rules: the blob table (each digest once: listed, present,
 * looked up through the source) and the root (index.json or manifest.json, then oci-layout). */
#include "verify.h"

/* ------------------------------------------------------------ blob table */

/* The blob table is the library's string table (strtab.h) over the records' digests. */
static const char *blob_key(const void *ctx, size_t i)
{
  return ((const vstate *)ctx)->blobs[i].digest;
}

size_t oci_vblob_find(const vstate *v, const char *digest)
{
  size_t i = oci_strtab_find(&v->tab, digest, blob_key, v);
  return i == OCI_STRTAB_NONE ? NONE : i;
}

bool oci_vreserve(void **arr, size_t *cap, size_t n, size_t elem)
{
  void *p;
  if (n <= *cap)
    return true;
  if (n > SIZE_MAX / elem || !(p = realloc(*arr, n * elem)))
    return false;
  *arr = p;
  *cap = n;
  return true;
}

/* The record of a digest, created on first use.  NONE when out of memory.  Indexes stay
 * valid; pointers into v->blobs do not survive this call. */
size_t oci_vblob_get(vstate *v, const ocidig_digest *d)
{
  char buf[OCIDIG_DIGEST_STRING_MAX];
  size_t i;
  vblob *b;
  ocidig_digest_format(d, buf);
  if ((i = oci_vblob_find(v, buf)) != NONE)
    return i;
  if (!oci_grow((void **)&v->blobs, &v->cap_blobs, v->n_blobs + 1, sizeof *v->blobs)) {
    v->nomem = true;
    return NONE;
  }
  b = &v->blobs[v->n_blobs];
  memset(b, 0, sizeof *b);
  if (!(b->digest = oci_vpool_keep(v, buf)))
    return NONE;
  b->unit = NONE;
  b->image = -1;
  b->plat = -1;
  if (!oci_strtab_put(&v->tab, v->n_blobs, blob_key, v, false)) {
    v->nomem = true;
    return NONE;
  }
  return v->n_blobs++;
}

void oci_vblob_stat_result(vstate *v, vblob *b, ocidig_code rc, const ocidig_entry *e, const ocidig_error *err)
{
  if (rc == OCIDIG_OK && e->type == OCIDIG_ENTRY_FILE) {
    b->present = true;
    b->size = e->size;
  } else if (rc == OCIDIG_ERR_NOMEM) {
    v->nomem = true;
  } else if (rc != OCIDIG_OK && rc != OCIDIG_ERR_BLOB_MISSING) {
    /* There, as far as anyone can tell, but not readable (a folder or file without
     * permission): blob-unreadable, not absent. */
    b->present = true;
    b->unreadable = true;
    if (!b->read_error && !(b->read_error = oci_strdup(err->message)))
      v->nomem = true;
  }
}

bool oci_vblob_present(vstate *v, size_t bi)
{
  vblob *b = &v->blobs[bi];
  if (v->foreign)
    return oci_vblob_present_foreign(v, bi);
  if (b->looked_up)
    return b->present;
  b->looked_up = true;
  if (!v->l->is_archive && !b->present) {
    /* Not a plain file in the listing: ask the source, which follows links that stay
     * inside the layout. */
    char path[OCIDIG_DIGEST_STRING_MAX + 8];
    ocidig_digest d;
    ocidig_entry e;
    ocidig_error err;
    ocidig_code rc = ocidig_layout_stat(v->l, oci_vblob_path(oci_vblob_d(b, &d), path), &e, &err);
    oci_vblob_stat_result(v, b, rc, &e, &err);
  }
  return b->present;
}

/* ------------------------------------------------------------ documents */

/* The root: oci_layout_check_root decides, in the order of every other command: no
 * index.json (nor manifest.json) is missing-index-json (oci_verify_walk_root says so); then oci-layout:
 * absent is a finding; invalid (bad-oci-layout) or unreadable (io-error, ...) stops the
 * verification with that code (exit 3), as resolve stops.  oci-layout is read once. */
ocidig_code oci_verify_root(vstate *v, ocidig_layout_format *format)
{
  oci_json_doc doc;
  ocidig_error e;
  bool absent = false;
  ocidig_code rc = oci_layout_check_root(v->l, format, &absent, &doc, &e);
  if (rc == OCIDIG_ERR_MISSING_INDEX_JSON)
    return OCIDIG_OK; /* oci_verify_walk_root reads index.json and reports it */
  if (rc == OCIDIG_ERR_NOMEM) {
    v->nomem = true;
    return OCIDIG_OK;
  }
  if (rc != OCIDIG_OK) {
    if (*format == OCIDIG_FORMAT_OCI || *format == OCIDIG_FORMAT_HYBRID)
      oci_finding_add(v, LAYOUT_CTX, rc == OCIDIG_ERR_BAD_OCI_LAYOUT ? VF_BAD_OCI_LAYOUT : VF_BLOB_UNREADABLE, NULL,
                      "oci-layout", "%s", e.message);
    v->r->error = e;
    return rc;
  }
  if (absent && *format != OCIDIG_FORMAT_DOCKER_ARCHIVE) {
    oci_finding_add(v, LAYOUT_CTX, VF_OCI_LAYOUT_MISSING, NULL, "oci-layout",
                    "the layout has no oci-layout file; expected {\"imageLayoutVersion\": \"1.0.0\"}");
    return OCIDIG_OK;
  }
  /* valid: only duplicate keys are left to report */
  for (size_t i = 0; i < doc.n_dup_keys; i++) {
    char *q = oci_quote(doc.dup_keys[i], strlen(doc.dup_keys[i]), 80);
    oci_finding_add(v, LAYOUT_CTX, VF_JSON_DUPLICATE_KEY, NULL, "oci-layout",
                    "oci-layout: key %s appears more than once in one object", q ? q : "?");
    free(q);
  }
  oci_json_doc_free(&doc);
  return OCIDIG_OK;
}
