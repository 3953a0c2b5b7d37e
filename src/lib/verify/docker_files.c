/* docker_files.c: the files of a docker save archive (manifest.json, no index.json): the listing by
 * path, the config and layer files manifest.json names (symbolic links followed inside the
 * archive as docker_archive.c follows them, each file once however many images use it), their
 * hashes, and the files nothing refers to. */
#include "docker.h"
#include "verify.h"

#include <errno.h>
#include <sys/stat.h>

const char *oci_vkey_ent(const void *ctx, size_t i)
{
  return ((const vstate *)ctx)->ents[i].path;
}

const char *oci_vkey_dfile(const void *ctx, size_t i)
{
  return ((const vstate *)ctx)->dfiles[i].path;
}

const char *oci_vkey_str(const void *ctx, size_t i)
{
  return ((char *const *)ctx)[i];
}

static size_t *ptab_slot(const ptab *p, key_fn key, const void *ctx, const char *s)
{
  size_t h;
  if (!p->cap)
    return NULL;
  for (h = (size_t)oci_vfnv(FNV0, s) & (p->cap - 1); p->t[h]; h = (h + 1) & (p->cap - 1))
    if (!strcmp(key(ctx, p->t[h] - 1), s))
      return &p->t[h];
  return &p->t[h];
}

size_t oci_vptab_find(const ptab *p, key_fn key, const void *ctx, const char *s)
{
  size_t *slot = s ? ptab_slot(p, key, ctx, s) : NULL;
  return slot && *slot ? *slot - 1 : NONE;
}

/* Adds element i; with `replace`, it takes the place of an element with the same key. */
bool oci_vptab_put(ptab *p, key_fn key, const void *ctx, size_t i, bool replace)
{
  size_t *slot;
  if ((p->used + 1) * 2 > p->cap) {
    size_t ncap = p->cap ? p->cap * 2 : 64;
    size_t *nt = calloc(ncap, sizeof *nt);
    if (!nt)
      return false;
    for (size_t k = 0; k < p->cap; k++) {
      size_t h;
      if (!p->t[k])
        continue;
      for (h = (size_t)oci_vfnv(FNV0, key(ctx, p->t[k] - 1)) & (ncap - 1); nt[h]; h = (h + 1) & (ncap - 1))
        ;
      nt[h] = p->t[k];
    }
    free(p->t);
    p->t = nt;
    p->cap = ncap;
  }
  slot = ptab_slot(p, key, ctx, key(ctx, i));
  if (!*slot)
    p->used++;
  else if (!replace)
    return true;
  *slot = i + 1;
  return true;
}

/* The listing, by path.  A regular file wins over a link or folder of the same name, as
 * ocidig_layout_stat sees it; else the last member of that name, as docker_archive.c follows
 * the last symbolic link. */
bool oci_vdocker_entries(vstate *v, ocidig_error *e)
{
  ocidig_code rc = ocidig_layout_entries(v->l, &v->ents, &v->n_ents, e);
  if (rc != OCIDIG_OK)
    return false;
  for (size_t i = 0; i < v->n_ents; i++) {
    const ocidig_entry *en = &v->ents[i];
    size_t j;
    if (en->escapes && en->type != OCIDIG_ENTRY_SYMLINK && en->type != OCIDIG_ENTRY_HARDLINK)
      continue; /* an unsafe name */
    j = oci_vptab_find(&v->etab, oci_vkey_ent, v, en->path);
    if (!oci_vptab_put(&v->etab, oci_vkey_ent, v, i,
                       en->type == OCIDIG_ENTRY_FILE || (j != NONE && v->ents[j].type != OCIDIG_ENTRY_FILE))) {
      oci_nomem(e);
      return false;
    }
  }
  return true;
}

/* Follows a path of manifest.json to the regular file it names: in an archive through the
 * symbolic link members inside it (at most MAX_LINK_HOPS), in a directory through the file
 * system (inside the root).  DF_FOUND: *out is that file's path (malloc'd).  DF_ESCAPES: a link
 * on the way leaves the root (*bad_link: that member, or NULL).  DF_OUTSIDE: the path itself is
 * absolute or climbs out. */
int oci_vdocker_follow(vstate *v, const char *path, char **out, const char **bad_link)
{
  bool oom;
  char *cur = oci_link_join("", path, &oom);
  *out = NULL;
  *bad_link = NULL;
  if (!cur) {
    v->nomem = v->nomem || oom;
    return oom ? DF_ABSENT : DF_OUTSIDE;
  }
  if (!v->l->is_archive) {
    struct stat st;
    char *canon;
    int res = oci_layout_resolve(v->l, cur, &st, &canon, NULL, NULL);
    if (res == EXDEV) {
      free(cur);
      return DF_ESCAPES;
    }
    if (res == ENOMEM)
      v->nomem = true;
    if (res == ENOENT || res == ENOTDIR || res == ELOOP || res == ENOMEM) {
      free(cur);
      return DF_ABSENT;
    }
    if (res) { /* there but not reachable (EACCES...): reading it says so */
      *out = cur;
      return DF_FOUND;
    }
    free(cur);
    if (!S_ISREG(st.st_mode) || !*canon) {
      free(canon);
      return DF_ABSENT;
    }
    *out = canon;
    return DF_FOUND;
  }
  for (int hop = 0; hop <= MAX_LINK_HOPS; hop++) {
    size_t i = oci_vptab_find(&v->etab, oci_vkey_ent, v, cur);
    const ocidig_entry *e;
    char *next;
    if (i == NONE)
      break;
    e = &v->ents[i];
    if (e->type == OCIDIG_ENTRY_FILE && !e->escapes) {
      *out = cur;
      return DF_FOUND;
    }
    if (e->type != OCIDIG_ENTRY_SYMLINK)
      break;
    if (e->escapes || !(next = oci_link_join(cur, e->link_target, &oom))) {
      free(cur);
      if (oom) {
        v->nomem = true;
        return DF_ABSENT;
      }
      *bad_link = e->path;
      return DF_ESCAPES;
    }
    free(cur);
    cur = next;
  }
  free(cur);
  return DF_ABSENT;
}

/* The record of a file (takes path), created on first use; NONE when out of memory. */
size_t oci_vdfile_get(vstate *v, char *path, int64_t size)
{
  size_t i;
  dfile *f;
  if (!path) {
    v->nomem = true;
    return NONE;
  }
  if ((i = oci_vptab_find(&v->dtab, oci_vkey_dfile, v, path)) != NONE) {
    free(path);
    return i;
  }
  if (!oci_grow((void **)&v->dfiles, &v->cap_dfiles, v->n_dfiles + 1, sizeof *v->dfiles)) {
    free(path);
    v->nomem = true;
    return NONE;
  }
  f = &v->dfiles[v->n_dfiles];
  memset(f, 0, sizeof *f);
  f->path = path;
  f->size = size;
  if (!oci_vptab_put(&v->dtab, oci_vkey_dfile, v, v->n_dfiles, false)) {
    free(path);
    f->path = NULL;
    v->nomem = true;
    return NONE;
  }
  return v->n_dfiles++;
}

void oci_vdfile_want(dfile *f, const char *digest)
{
  ocidig_digest d;
  if (digest && ocidig_digest_parse(digest, strlen(digest), &d, NULL) == OCIDIG_OK)
    f->want[d.alg] = true;
}

/* manifest.json: read, parsed, and of the shape docker load reads.  false when its images
 * cannot be read (ocidig_docker_archive_read would refuse it). */
typedef struct dsink {
  oci_hasher *h[2];
  uint64_t bytes;
  vstate *v;
  uint64_t base, total;
} dsink;

static ocidig_code dsink_write(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  dsink *s = ctx;
  (void)err;
  for (int a = 0; a < 2; a++)
    if (s->h[a])
      oci_hasher_update(s->h[a], buf, len);
  s->bytes += len;
  if (s->v->o->progress && ((s->bytes >> 20) != ((s->bytes - len) >> 20)))
    s->v->o->progress(s->v->o->progress_ctx, s->base + s->bytes, (int64_t)s->total);
  return OCIDIG_OK;
}

/* What the listing already knows of a file's bytes: an archive opened with
 * OCIDIG_OPEN_HASH_BLOBS hashed it in the pass that read it. */
static void dfile_from_listing(vstate *v, dfile *f)
{
  size_t i = v->l->is_archive ? oci_vptab_find(&v->etab, oci_vkey_ent, v, f->path) : NONE;
  const ocidig_entry *e;
  ocidig_digest_alg alg;
  const char *hex;
  if (i == NONE)
    return;
  e = &v->ents[i];
  if (e->type != OCIDIG_ENTRY_FILE)
    return;
  if ((hex = oci_blob_path_hex(f->path, &alg)) != NULL) {
    if (e->hash == OCIDIG_HASH_UNKNOWN)
      return;
    f->have[alg] = true;
    snprintf(f->hex[alg], sizeof f->hex[alg], "%s", e->hash == OCIDIG_HASH_OK ? hex : e->actual_hex);
  } else if (e->hash == OCIDIG_HASH_UNKNOWN && strlen(e->actual_hex) == 64) {
    /* A member whose name carries no digest, too large to keep: the archive source
     * hashed it with sha256 in the pass (OCIDIG_OPEN_HASH_BLOBS). */
    f->have[OCIDIG_DIGEST_SHA256] = true;
    memcpy(f->hex[OCIDIG_DIGEST_SHA256], e->actual_hex, 65);
  }
}

/* Hashes every layer file whose digests are not known yet: streamed in chunks, each once. */
void oci_vdocker_hash(vstate *v)
{
  uint64_t total = 0, base = 0;
  for (size_t i = 0; i < v->n_dfiles; i++) {
    dfile *f = &v->dfiles[i];
    if (f->config || f->absent)
      continue;
    dfile_from_listing(v, f);
    if (f->want[OCIDIG_DIGEST_SHA256] && !f->have[OCIDIG_DIGEST_SHA256]) {
      /* verify --deep read it whole already: its diff_id is its digest (read once) */
      const char *hex = oci_vdeep_sha256_of(v, f->path);
      if (hex) {
        memcpy(f->hex[OCIDIG_DIGEST_SHA256], hex, 65);
        f->have[OCIDIG_DIGEST_SHA256] = true;
      }
    }
    if ((f->want[0] && !f->have[0]) || (f->want[1] && !f->have[1]))
      total = oci_bytes_add(total, f->size);
  }
  for (size_t i = 0; i < v->n_dfiles; i++) {
    dfile *f = &v->dfiles[i];
    dsink s = {.v = v, .base = base, .total = total};
    ocidig_error e;
    ocidig_code rc;
    bool need = false, fail = false;
    if (f->config || f->absent)
      continue;
    for (int a = 0; a < 2; a++)
      if (f->want[a] && !f->have[a]) {
        need = true;
        if (!(s.h[a] = oci_hasher_new((ocidig_digest_alg)a)))
          fail = true;
      }
    if (fail) {
      v->nomem = true;
    } else if (need) {
      rc = ocidig_layout_stream_file(v->l, f->path, dsink_write, &s, &e);
      if (rc == OCIDIG_OK) {
        for (int a = 0; a < 2; a++)
          if (s.h[a]) {
            oci_hasher_final_hex(s.h[a], f->hex[a]);
            f->have[a] = true;
          }
      } else {
        if (rc == OCIDIG_ERR_NOMEM)
          v->nomem = true;
        if (!(f->read_error = oci_strdup(e.message)))
          v->nomem = true;
      }
      base += s.bytes;
    }
    for (int a = 0; a < 2; a++)
      oci_hasher_free(s.h[a]);
    if (!f->read_error && (f->have[0] || f->have[1])) {
      f->hashed = true;
      v->r->summary.blobs_checked++;
      v->bytes_hashed = oci_bytes_add(v->bytes_hashed, f->size);
    }
  }
  if (v->o->progress && total)
    v->o->progress(v->o->progress_ctx, total, (int64_t)total);
}

/* Does the file hash to digest?  1 yes, 0 no (*actual: what it hashes to), -1 unknown. */
int oci_vdfile_matches(const dfile *f, const char *digest, char *actual, size_t n)
{
  ocidig_digest d;
  if (!digest || ocidig_digest_parse(digest, strlen(digest), &d, NULL) != OCIDIG_OK || !f->have[d.alg])
    return -1;
  snprintf(actual, n, "%s:%s", ocidig_digest_alg_name(d.alg), f->hex[d.alg]);
  return strcmp(f->hex[d.alg], d.hex) ? 0 : 1;
}

static bool legacy_member(const char *path, const char *leaf, size_t *dlen)
{
  const char *slash = strchr(path, '/');
  if (!slash || slash == path || strchr(slash + 1, '/'))
    return false;
  *dlen = (size_t)(slash - path);
  return !leaf || !strcmp(slash + 1, leaf);
}

/* Does path name, or lead hop by hop through links to, a file manifest.json names (present
 * or absent)? */
static bool leads_to_named(vstate *v, const char *path)
{
  bool oom, hit = false;
  char *cur = oci_link_join("", path, &oom);
  for (int hop = 0; cur && !hit && hop <= MAX_LINK_HOPS; hop++) {
    char *mark = oci_sprintf("\n%s", cur), *next;
    size_t i;
    hit = oci_vptab_find(&v->dtab, oci_vkey_dfile, v, cur) != NONE ||
          (mark && oci_vptab_find(&v->dtab, oci_vkey_dfile, v, mark) != NONE);
    v->nomem = v->nomem || !mark;
    free(mark);
    i = hit ? NONE : oci_vptab_find(&v->etab, oci_vkey_ent, v, cur);
    if (i == NONE || v->ents[i].type != OCIDIG_ENTRY_SYMLINK)
      break;
    next = oci_link_join(cur, v->ents[i].link_target, &oom);
    v->nomem = v->nomem || oom;
    free(cur);
    cur = next;
  }
  free(cur);
  if (!hit && !v->l->is_archive) {
    /* a directory: also through linked folders */
    char *file = NULL;
    const char *bad;
    if (oci_vdocker_follow(v, path, &file, &bad) == DF_FOUND)
      hit = oci_vptab_find(&v->dtab, oci_vkey_dfile, v, file) != NONE;
    free(file);
  }
  return hit;
}

/* The files nothing refers to: neither manifest.json (manifest.json itself, repositories, the
 * configs and layers and the links leading to them) nor a legacy layer directory in use
 * (<id>/layer.tar leading to a layer, and its VERSION and json). */
void oci_vdocker_unreferenced(vstate *v)
{
  ocidig_verify_summary *s = &v->r->summary;
  bool *live = calloc(v->n_ents ? v->n_ents : 1, sizeof *live);
  if (!live) {
    v->nomem = true;
    return;
  }
  s->unreferenced_checked = true;
  for (size_t pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < v->n_ents; i++) {
      const ocidig_entry *e = &v->ents[i];
      size_t dlen;
      bool used;
      if ((e->type != OCIDIG_ENTRY_FILE && e->type != OCIDIG_ENTRY_SYMLINK) || (pass == 1 && e->escapes))
        continue; /* a link leaving the root is link-escapes already */
      if (pass == 0 && !legacy_member(e->path, "layer.tar", &dlen))
        continue;
      if (!strcmp(e->path, "manifest.json") || !strcmp(e->path, "repositories"))
        continue;
      if (pass == 1 && live[i])
        continue;
      used = leads_to_named(v, e->path);
      if (pass == 0) {
        live[i] = used;
        continue;
      }
      if (!used && legacy_member(e->path, NULL, &dlen) &&
          (!strcmp(e->path + dlen + 1, "VERSION") || !strcmp(e->path + dlen + 1, "json"))) {
        /* its layer.tar leads to a layer, or is one manifest.json names that is absent */
        char *lt = oci_sprintf("\n%.*s/layer.tar", (int)dlen, e->path);
        size_t k = lt ? oci_vptab_find(&v->etab, oci_vkey_ent, v, lt + 1) : NONE;
        used = (k != NONE && live[k]) || (lt && oci_vptab_find(&v->dtab, oci_vkey_dfile, v, lt) != NONE);
        if (!lt)
          v->nomem = true;
        free(lt);
      }
      if (!used) {
        char *q = oci_quote(e->path, strlen(e->path), 200);
        int64_t size = e->type == OCIDIG_ENTRY_FILE && e->size > 0 ? e->size : 0;
        s->blobs_unreferenced++;
        s->unreferenced_bytes = oci_bytes_add(s->unreferenced_bytes, size);
        oci_finding_add(
            v, LAYOUT_CTX, VF_BLOB_UNREFERENCED, NULL, e->path,
            "%s (%s%lld bytes) is referenced neither by manifest.json nor by a legacy layer directory in use",
            q ? q : "?", e->type == OCIDIG_ENTRY_SYMLINK ? "a symbolic link, " : "", (long long)size);
        free(q);
      }
    }
  free(live);
}

/* Which images of manifest.json are verified: --ref names one; --platform keeps those whose
 * config is for it (and those whose platform is unknown: their config is at fault). */

void oci_verify_docker_free(vstate *v)
{
  for (size_t i = 0; i < v->n_dfiles; i++) {
    free(v->dfiles[i].path);
    free(v->dfiles[i].read_error);
  }
  free(v->dfiles);
  free(v->dtab.t);
  free(v->etab.t);
}

/* ------------------------------------------------------------ blobs through the view */

const char *oci_vblob_file(const vstate *v, const ocidig_digest *d)
{
  const char *m;
  if (!v->foreign || !v->view)
    return NULL;
  m = oci_view_blob_member(v->view, d, NULL, NULL);
  /* a name the view keeps (a blob it knows), not one it makes for the call */
  return m && oci_view_blob_synthesized(v->view, d) ? NULL : m;
}

const char *oci_vblob_member(const vstate *v, const ocidig_digest *d, char *buf)
{
  const char *m;
  if (!v->foreign || !v->view) {
    ocidig_digest_blob_path(d, buf);
    return buf;
  }
  if (!(m = oci_view_blob_member(v->view, d, NULL, NULL)))
    return oci_view_root_name(v->view);
  if (strlen(m) < OCIDIG_DIGEST_STRING_MAX + 8) {
    memcpy(buf, m, strlen(m) + 1);
    return buf;
  }
  return m;
}

const char *oci_vroot_name(const vstate *v)
{
  return v->foreign && v->view ? oci_view_root_name(v->view) : "index.json";
}

typedef struct vbuf {
  uint8_t *p;
  size_t n, cap, max;
} vbuf;

static ocidig_code vbuf_sink(void *ctx, const void *data, size_t len, ocidig_error *err)
{
  vbuf *b = ctx;
  if (len > b->max - b->n)
    return oci_fail(err, OCIDIG_ERR_JSON_TOO_LARGE, "more than the %zu-byte limit for a document", b->max);
  if (!oci_grow((void **)&b->p, &b->cap, b->n + len + 1, 1))
    return oci_nomem(err);
  memcpy(b->p + b->n, data, len);
  b->n += len;
  return OCIDIG_OK;
}

ocidig_code oci_vroot_read(vstate *v, size_t max, uint8_t **data, size_t *len, ocidig_error *e)
{
  vbuf b = {.max = max};
  ocidig_code rc;
  *data = NULL;
  *len = 0;
  if (!v->foreign || !v->view)
    return ocidig_layout_read_file(v->l, "index.json", max, data, len, e);
  if ((rc = oci_view_root_stream(v->view, vbuf_sink, &b, e)) != OCIDIG_OK) {
    free(b.p);
    return rc;
  }
  if (!b.p && !(b.p = malloc(1)))
    return oci_nomem(e);
  *data = b.p;
  *len = b.n;
  return OCIDIG_OK;
}

ocidig_code oci_vblob_read_doc(vstate *v, const ocidig_digest *d, size_t max, uint8_t **data, size_t *len,
                               ocidig_error *e)
{
  char path[OCIDIG_DIGEST_STRING_MAX + 8];
  const char *file;
  vbuf b = {.max = max};
  ocidig_code rc;
  *data = NULL;
  *len = 0;
  if (!v->foreign || !v->view)
    return ocidig_layout_read_file(v->l, oci_vblob_member(v, d, path), max, data, len, e);
  if ((file = oci_vblob_file(v, d)))
    return ocidig_layout_read_file(v->l, file, max, data, len, e);
  if ((rc = oci_view_blob_stream(v->view, d, vbuf_sink, &b, e)) != OCIDIG_OK) {
    free(b.p);
    return rc;
  }
  if (!b.p && !(b.p = malloc(1)))
    return oci_nomem(e);
  *data = b.p;
  *len = b.n;
  return OCIDIG_OK;
}

bool oci_vblob_present_foreign(vstate *v, size_t bi)
{
  vblob *b = &v->blobs[bi];
  const uint8_t *synth;
  size_t synth_len;
  ocidig_digest d;
  ocidig_entry e;
  ocidig_error err;
  ocidig_code rc;
  if (b->looked_up)
    return b->present;
  b->looked_up = true;
  oci_vblob_d(v, b, &d);
  if (!oci_view_blob_member(v->view, &d, &synth, &synth_len)) {
    /* a document the view made to its digest: there, and checked */
    b->present = true;
    b->size = (int64_t)synth_len;
    b->hash = OCIDIG_HASH_OK;
    return true;
  }
  rc = oci_view_blob_stat(v->view, &d, &e, &err);
  oci_vblob_stat_result(v, b, rc, &e, &err);
  return b->present;
}

static bool hex_name(const char *s, size_t n)
{
  return n == 64 && oci_lower_hex(s, n);
}

void oci_vforeign_listing(vstate *v)
{
  const ocidig_entry *ents;
  size_t n;
  ocidig_error e;
  if (!v->foreign || !v->view || ocidig_layout_entries(v->l, &ents, &n, &e) != OCIDIG_OK)
    return;
  for (size_t i = 0; i < n; i++) {
    const ocidig_entry *en = &ents[i];
    const char *slash = strrchr(en->path, '/'), *base = slash ? slash + 1 : en->path, *m;
    ocidig_digest d;
    size_t bi;
    if (en->type != OCIDIG_ENTRY_FILE || en->escapes || !hex_name(base, strlen(base) < 64 ? 0 : 64))
      continue;
    d.alg = OCIDIG_DIGEST_SHA256;
    memcpy(d.hex, base, 64);
    d.hex[64] = '\0';
    /* the view's file for that digest: this one (not a copy elsewhere, not a stray name) */
    if (!(m = oci_vblob_file(v, &d)) || strcmp(m, en->path) || (bi = oci_vblob_get(v, &d)) == NONE)
      continue;
    v->blobs[bi].listed = true;
    v->blobs[bi].size = en->size;
    v->blobs[bi].present = true;
    v->blobs[bi].looked_up = true;
  }
}
