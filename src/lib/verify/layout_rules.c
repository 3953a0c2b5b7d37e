/* layout_rules.c: the layout-level rules: the blob table (each digest once: listed, present,
 * looked up through the source) and the root (index.json or manifest.json, then oci-layout). */
#include "verify.h"

/* ------------------------------------------------------------ blob table */

/* The blob table: a digest that names a regular file of the member table (blobs/<alg>/<hex>)
 * is found through the layout's own table of members (by_member: the blob of each member);
 * the others (absent, a link, a foreign format's file) through the library's string table
 * (strtab.h) over their own strings.  The digest is never held twice: a layout of 100,000
 * blobs holds their names once, in the member table. */
static const char *own_key(const void *ctx, size_t i)
{
  const vstate *v = ctx;
  return v->own[v->blobs[i].name & ~VBLOB_OWN];
}

/* The member (a regular file the listing saw) whose name is d's blob path, or NONE. */
static size_t member_of(const vstate *v, const ocidig_digest *d)
{
  char path[OCIDIG_DIGEST_STRING_MAX + 8];
  oci_member *m;
  size_t mi;
  if (!v->n_by_member)
    return NONE;
  m = oci_member_find(v->l, oci_vblob_path(d, path));
  if (!m || m->type != OCIDIG_ENTRY_FILE)
    return NONE;
  mi = (size_t)(m - v->l->members);
  return mi < v->n_by_member ? mi : NONE;
}

void oci_vblob_table_init(vstate *v)
{
  size_t n = v->l->n_members;
  if (v->n_blobs || !n || n >= VBLOB_OWN || !(v->by_member = malloc(n * sizeof *v->by_member)))
    return; /* every digest keeps its own string: the same answers */
  memset(v->by_member, 0xff, n * sizeof *v->by_member);
  v->n_by_member = n;
}

static size_t find_d(const vstate *v, const ocidig_digest *d, size_t *mi, char *buf)
{
  size_t i;
  ocidig_digest_format(d, buf);
  if ((*mi = member_of(v, d)) != NONE)
    return v->by_member[*mi] == VNONE32 ? NONE : v->by_member[*mi];
  i = oci_strtab_find(&v->tab, buf, own_key, v);
  return i == OCI_STRTAB_NONE ? NONE : i;
}

size_t oci_vblob_find(const vstate *v, const char *digest)
{
  char buf[OCIDIG_DIGEST_STRING_MAX];
  ocidig_digest d;
  size_t mi, i;
  if (!digest || ocidig_digest_parse(digest, strlen(digest), &d, NULL) != OCIDIG_OK)
    return NONE;
  i = find_d(v, &d, &mi, buf);
  return i != NONE && !strcmp(buf, digest) ? i : NONE; /* the digest as written, exactly */
}

/* A member blob's name is blobs/<alg>/<hex> exactly (it was found by that name, formatted
 * from a parsed digest): its parts are read as they are, not parsed again. */
static const char *member_alg(const vstate *v, const vblob *b, size_t *alen)
{
  const char *alg = v->l->members[b->name].path + 6;
  const char *slash = strchr(alg, '/');
  *alen = slash ? (size_t)(slash - alg) : strlen(alg);
  return alg;
}

const char *oci_vblob_digest(const vstate *v, const vblob *b, char *buf)
{
  const char *alg;
  size_t alen;
  if (b->name & VBLOB_OWN)
    return v->own[b->name & ~VBLOB_OWN];
  alg = member_alg(v, b, &alen);
  snprintf(buf, OCIDIG_DIGEST_STRING_MAX, "%.*s:%s", (int)alen, alg, alg[alen] ? alg + alen + 1 : "");
  return buf;
}

const ocidig_digest *oci_vblob_d(const vstate *v, const vblob *b, ocidig_digest *out)
{
  const char *alg, *s;
  size_t alen;
  memset(out, 0, sizeof *out);
  if (b->name & VBLOB_OWN) {
    s = v->own[b->name & ~VBLOB_OWN];
    if (ocidig_digest_parse(s, strlen(s), out, NULL) != OCIDIG_OK)
      memset(out, 0, sizeof *out); /* never: the digest was formatted from a digest */
    return out;
  }
  alg = member_alg(v, b, &alen);
  out->alg = OCIDIG_DIGEST_SHA256;
  for (int a = OCIDIG_DIGEST_SHA256; a <= OCIDIG_DIGEST_SHA512; a++)
    if (strlen(ocidig_digest_alg_name((ocidig_digest_alg)a)) == alen &&
        !memcmp(alg, ocidig_digest_alg_name((ocidig_digest_alg)a), alen))
      out->alg = (ocidig_digest_alg)a;
  if (alg[alen])
    snprintf(out->hex, sizeof out->hex, "%s", alg + alen + 1);
  return out;
}

const char *oci_vblob_kept(vstate *v, size_t bi)
{
  const vblob *b = &v->blobs[bi];
  char buf[OCIDIG_DIGEST_STRING_MAX];
  if (b->name & VBLOB_OWN)
    return v->own[b->name & ~VBLOB_OWN];
  if (!v->kept && !(v->kept = calloc(v->n_blobs ? v->n_blobs : 1, sizeof *v->kept))) {
    v->nomem = true;
    return NULL;
  }
  if (!v->kept[bi])
    v->kept[bi] = oci_vpool_keep(v, oci_vblob_digest(v, b, buf));
  return v->kept[bi];
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
  size_t i, mi;
  vblob *b;
  if ((i = find_d(v, d, &mi, buf)) != NONE)
    return i;
  if (v->n_blobs >= VBLOB_OWN || !oci_grow((void **)&v->blobs, &v->cap_blobs, v->n_blobs + 1, sizeof *v->blobs)) {
    v->nomem = true;
    return NONE;
  }
  b = &v->blobs[v->n_blobs];
  memset(b, 0, sizeof *b);
  b->unit = VNONE32;
  b->image = -1;
  b->plat = -1;
  if (mi != NONE) {
    b->name = (uint32_t)mi;
    v->by_member[mi] = (uint32_t)v->n_blobs;
    return v->n_blobs++;
  }
  {
    const char *s = oci_vpool_keep(v, buf);
    if (!s || v->n_own >= VBLOB_OWN || !oci_grow((void **)&v->own, &v->cap_own, v->n_own + 1, sizeof *v->own)) {
      v->nomem = true;
      return NONE;
    }
    v->own[v->n_own] = s;
    b->name = VBLOB_OWN | (uint32_t)v->n_own;
    if (!oci_strtab_put(&v->tab, v->n_blobs, own_key, v, false)) {
      v->nomem = true;
      return NONE;
    }
    v->n_own++;
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
    ocidig_code rc = ocidig_layout_stat(v->l, oci_vblob_path(oci_vblob_d(v, b, &d), path), &e, &err);
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
