/* deep.c: `ocidig verify --deep`: inside the layers (issue 14).
 *
 * Each layer blob of each manifest in scope is read once (layer.h: decoded to its end, the
 * tar parsed to its end-of-archive marker, the uncompressed bytes hashed), whoever points at
 * it, in the order of the first manifest that does.  Then, per manifest:
 *  - the config's rootfs.diff_ids: as many as the manifest has layers, each the digest of
 *    its layer's uncompressed bytes (a docker save's are checked by docker_rules.c);
 *  - the hazards that need the layers below: a name that passes through a symbolic link an
 *    earlier layer set, a hard link whose target no layer so far holds, an opaque marker in
 *    what a layer below made a symbolic link.
 * The hazards of one layer on its own are found while it streams by (on the reader's
 * worker thread, into the layer's record; findings are made from the record afterwards, on
 * the caller's thread): names that leave the root, names through a symbolic link of the
 * same layer, device nodes and FIFOs, setuid and setgid files, world-writable files and
 * directories without the sticky bit, malformed whiteouts.
 * What a layer keeps for the layers above it is small: its paths as 64-bit hashes (8 bytes
 * an entry), its symbolic links, whiteouts, opaque directories, the parent directories of
 * its entries and its unresolved hard links. */
#include "verify.h"

#include "graph.h"
#include "layer.h"

#include <stdlib.h>

#define PER_CODE 10 /* messages kept per code and layer; the rest counted */

/* ------------------------------------------------------------ hash sets of paths */

/* A path's hash: FNV-1a over its bytes, then mixed (the table's index is the low bits).
 * FNV runs a byte at a time, so the hashes of all the prefixes of a path come from one pass
 * (pfnv over the next bytes, pmix at each '/'): never a prefix hashed again from its start. */
#define PFNV0 1469598103934665603u
#define HSET_DEAD 1u /* a removed entry (hashes are never 0 or 1) */

static inline uint64_t pfnv(uint64_t h, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)s[i]) * 1099511628211u;
  return h;
}

static inline uint64_t pmix(uint64_t h)
{
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9u;
  h ^= h >> 32;
  return h > HSET_DEAD ? h : h + 2;
}

static uint64_t phash(const char *s, size_t n)
{
  return pmix(pfnv(PFNV0, s, n));
}

typedef struct hset {
  uint64_t *t;
  size_t cap, n;
} hset;

/* Open addressing; 0 empty, HSET_DEAD a removed entry (skipped by lookups, not reused). */
static bool hset_has(const hset *s, uint64_t h)
{
  if (!s->cap)
    return false;
  for (size_t i = (size_t)h & (s->cap - 1); s->t[i]; i = (i + 1) & (s->cap - 1))
    if (s->t[i] == h)
      return true;
  return false;
}

/* false: out of memory.  *added: it was not there. */
static bool hset_add(hset *s, uint64_t h, bool *added)
{
  if (added)
    *added = false;
  if ((s->n + 1) * 2 > s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    uint64_t *t = calloc(cap, sizeof *t);
    if (!t)
      return false;
    size_t live = 0;
    for (size_t i = 0; i < s->cap; i++)
      if (s->t[i] > HSET_DEAD) {
        size_t k = (size_t)s->t[i] & (cap - 1);
        live++;
        while (t[k])
          k = (k + 1) & (cap - 1);
        t[k] = s->t[i];
      }
    free(s->t);
    s->t = t;
    s->cap = cap;
    s->n = live;
  }
  for (size_t i = (size_t)h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
    if (s->t[i] == h)
      return true;
    if (!s->t[i]) {
      s->t[i] = h;
      s->n++;
      if (added)
        *added = true;
      return true;
    }
  }
}

/* Removes h (a tombstone: the probe sequences through it stay whole). */
static void hset_del(hset *s, uint64_t h)
{
  if (!s->cap)
    return;
  for (size_t i = (size_t)h & (s->cap - 1); s->t[i]; i = (i + 1) & (s->cap - 1))
    if (s->t[i] == h) {
      s->t[i] = HSET_DEAD;
      return;
    }
}

static void hset_free(hset *s)
{
  free(s->t);
  memset(s, 0, sizeof *s);
}

static int u64_cmp(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* ------------------------------------------------------------ the records */

typedef struct strv {
  char **v;
  size_t n, cap;
} strv;

static bool strv_add(strv *s, const char *a, size_t n)
{
  char *c;
  if (!oci_grow((void **)&s->v, &s->cap, s->n + 1, sizeof *s->v) || !(c = oci_strndup(a, n)))
    return false;
  s->v[s->n++] = c;
  return true;
}

static void strv_clear(strv *s)
{
  oci_strv_free(s->v, s->n);
  memset(s, 0, sizeof *s);
}

typedef struct dfind {
  oci_vcode code;
  char *msg;
} dfind;

/* One layer blob, read once. */
typedef struct dlayer {
  const char *digest; /* in v->pool */
  const char *media_type;
  const char *member; /* where its bytes are (v->pool), NULL: synthesized or unknown */
  int64_t size;
  vctx c;             /* where it was first met */
  size_t blob;
  bool tried, read;   /* read: the reader ran over it */
  ocidig_digest_alg diff_alg; /* of its diff_id: the first image's config that names it decides */
  char *skipped;      /* why its contents were not read */
  oci_layer_result res;
  /* what the layers above need */
  uint64_t *paths; /* sorted hashes of its entries' paths (whiteouts not counted) */
  size_t n_paths;
  uint64_t *nondirs_sorted; /* the same for its entries that are not directories */
  size_t n_nondirs;
  uint64_t *wh, *opq; /* sorted hashes of what its whiteouts remove, of its opaque directories */
  size_t n_wh, n_opq;
  strv symlinks, whiteouts, opaques, parents, hardlinks; /* hardlinks: "name\0target" as two entries */
  /* its findings, made on the caller's thread */
  dfind *finds;
  size_t n_finds, cap_finds;
  uint32_t per_code[VF_N_CODES];
  size_t n_err, n_warn, n_info;
  bool nomem;
  /* while it is read (the worker's) */
  hset seen, links, nondirs, parent_set;
  uint64_t link_dead; /* symlinks replaced in the same layer (dropped by links_compact) */
} dlayer;

/* One manifest in scope. */
typedef struct dimage {
  vctx c;
  const char *manifest; /* digest, in v->pool */
  const char *config;   /* digest, or NULL */
  const char *config_member;
  size_t *layers; /* indexes into v->deep->layers */
  size_t n_layers;
  char **diff_ids;
  size_t n_diff_ids;
  bool diff_ids_known;
} dimage;

struct vdeep {
  ocidig_code rc;   /* the layers could not be read at all (err says why) */
  ocidig_error err;
  dlayer *layers;
  size_t n_layers, cap_layers;
  oci_strtab tab; /* layers by digest */
  dimage *images;
  size_t n_images, cap_images;
};

static const char *layer_key(const void *ctx, size_t i)
{
  return ((const vdeep *)ctx)->layers[i].digest;
}

static vdeep *deep_of(vstate *v)
{
  if (!v->deep && !(v->deep = calloc(1, sizeof *v->deep)))
    v->nomem = true;
  return v->deep;
}

/* ------------------------------------------------------------ registering (the walk's) */

static size_t layer_get(vstate *v, vctx c, const char *digest, const char *mt, int64_t size, const char *member)
{
  vdeep *d = deep_of(v);
  size_t i;
  dlayer *L;
  if (!d)
    return NONE;
  if ((i = oci_strtab_find(&d->tab, digest, layer_key, d)) != OCI_STRTAB_NONE)
    return i;
  if (!oci_grow((void **)&d->layers, &d->cap_layers, d->n_layers + 1, sizeof *d->layers)) {
    v->nomem = true;
    return NONE;
  }
  L = &d->layers[d->n_layers];
  memset(L, 0, sizeof *L);
  L->digest = oci_vpool_keep(v, digest);
  L->media_type = oci_vpool_intern(v, mt ? mt : "");
  L->member = member ? oci_vpool_keep(v, member) : NULL;
  L->size = size;
  L->c = c;
  L->blob = NONE;
  if (!L->digest || !L->media_type || !oci_strtab_put(&d->tab, d->n_layers, layer_key, d, false)) {
    v->nomem = true;
    return NONE;
  }
  return d->n_layers++;
}

static dimage *image_new(vstate *v, vctx c, const char *manifest, size_t n_layers)
{
  vdeep *d = deep_of(v);
  dimage *im;
  if (!d || !oci_grow((void **)&d->images, &d->cap_images, d->n_images + 1, sizeof *d->images)) {
    v->nomem = true;
    return NULL;
  }
  im = &d->images[d->n_images];
  memset(im, 0, sizeof *im);
  im->c = c;
  im->manifest = oci_vpool_keep(v, manifest ? manifest : "");
  if (n_layers && !(im->layers = calloc(n_layers, sizeof *im->layers))) {
    v->nomem = true;
    return NULL;
  }
  d->n_images++;
  return im;
}

void oci_vdeep_manifest(vstate *v, vctx c, const char *manifest, const struct oci_gdesc *config,
                        const struct oci_gdesc *layers, size_t n_layers)
{
  dimage *im = image_new(v, c, manifest, n_layers);
  ocidig_digest dd;
  char buf[OCIDIG_DIGEST_STRING_MAX + 8];
  if (!im)
    return;
  /* an image's config (an artifact's, the empty descriptor of an attestation: no diff_ids) */
  if (config && config->media_type &&
      (!strcmp(config->media_type, MT_OCI_CONFIG) || !strcmp(config->media_type, MT_DOCKER_CONFIG)) &&
      oci_gdesc_digest(config, &dd)) {
    im->config = oci_vpool_keep(v, config->digest);
    im->diff_ids_known = false;
  }
  for (size_t i = 0; i < n_layers; i++) {
    size_t k;
    if (!oci_gdesc_digest(&layers[i], &dd)) {
      im->layers[im->n_layers++] = NONE;
      continue;
    }
    k = layer_get(v, c, layers[i].digest, layers[i].media_type, layers[i].size, oci_vblob_member(v, &dd, buf));
    im->layers[im->n_layers++] = k;
  }
}

void oci_vdeep_docker_image(vstate *v, vctx c, const char *label, const char *const *paths,
                            const char *const *digests, size_t n_layers)
{
  dimage *im = image_new(v, c, label, n_layers);
  if (!im)
    return;
  for (size_t i = 0; i < n_layers; i++)
    im->layers[im->n_layers++] =
        paths[i] ? layer_get(v, c, digests[i] ? digests[i] : paths[i], OCIDIG_MT_DOCKER_LAYER, -1, paths[i]) : NONE;
  /* diff_ids: docker_rules.c compares them (the bytes are stored uncompressed) */
}

/* ------------------------------------------------------------ one layer's entries (worker thread) */

static void note(dlayer *L, oci_vcode code, const char *fmt, ...) OCI_PRINTF(3, 4);
static void note(dlayer *L, oci_vcode code, const char *fmt, ...)
{
  va_list ap;
  char msg[1024];
  if (L->per_code[code]++ >= PER_CODE)
    return;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!oci_grow((void **)&L->finds, &L->cap_finds, L->n_finds + 1, sizeof *L->finds) ||
      !(L->finds[L->n_finds].msg = oci_strdup(msg))) {
    L->nomem = true;
    return;
  }
  L->finds[L->n_finds++].code = code;
}

/* A name for messages: quoted, control characters escaped, at most 200 bytes. */
static char *qn(const char *s)
{
  char *q = oci_quote(s, strlen(s), 200);
  return q;
}

static size_t parent_len(const char *path)
{
  const char *s = strrchr(path, '/');
  return s ? (size_t)(s - path) : 0;
}

/* Does a proper ancestor of path appear in set?  *at: its length. */
static bool ancestor_in(const hset *set, const char *path, size_t *at)
{
  uint64_t h = PFNV0;
  const char *from = path;
  if (!set->n)
    return false;
  for (const char *p = strchr(path, '/'); p; p = strchr(p + 1, '/')) {
    h = pfnv(h, from, (size_t)(p - from));
    from = p;
    if (hset_has(set, pmix(h))) {
      *at = (size_t)(p - path);
      return true;
    }
  }
  return false;
}

static ocidig_code on_entry(void *ctx, oci_layer_reader *r, const oci_layer_entry *e, ocidig_error *err)
{
  dlayer *L = ctx;
  const char *base;
  char *q = NULL;
  uint64_t h;
  size_t at, plen;
  bool added;
  (void)r;
  (void)err;
  if (L->nomem)
    return oci_nomem(err);
  if (e->bad_name) {
    q = qn(e->raw_name);
    note(L, VF_LAYER_PATH_UNSAFE, "entry %s %s", q ? q : "?",
         e->raw_name[0] == '/' ? "is an absolute name" : "has a \"..\" component");
    free(q);
    return OCIDIG_OK;
  }
  base = strrchr(e->path, '/');
  base = base ? base + 1 : e->path;
  plen = parent_len(e->path);
  if (ancestor_in(&L->links, e->path, &at)) {
    char *ql = oci_quote(e->path, at, 200);
    q = qn(e->path);
    note(L, VF_LAYER_PATH_THROUGH_SYMLINK, "entry %s passes through %s, a symbolic link set earlier in this layer",
         q ? q : "?", ql ? ql : "?");
    free(q);
    free(ql);
  }
  if (plen && !hset_has(&L->parent_set, phash(e->path, plen))) {
    if (!hset_add(&L->parent_set, phash(e->path, plen), NULL) || !strv_add(&L->parents, e->path, plen))
      L->nomem = true;
  }
  if (!strncmp(base, ".wh.", 4)) {
    bool opaque = !strcmp(base, ".wh..wh..opq");
    q = qn(e->path);
    if (!opaque && !strncmp(base, ".wh..wh.", 8)) {
      free(q);
      return OCIDIG_OK; /* aufs's own metadata: no whiteout (containerd ignores it) */
    }
    if (e->type != 'f')
      note(L, VF_LAYER_WHITEOUT_MALFORMED, "%s %s is not a regular file", opaque ? "opaque marker" : "whiteout",
           q ? q : "?");
    else if (e->size > 0)
      note(L, VF_LAYER_WHITEOUT_MALFORMED, "%s %s has content (%lld bytes): a whiteout is an empty file",
           opaque ? "opaque marker" : "whiteout", q ? q : "?", (long long)e->size);
    if (!opaque && !base[4])
      note(L, VF_LAYER_WHITEOUT_MALFORMED, "whiteout %s names nothing", q ? q : "?");
    if (opaque && plen && (hset_has(&L->nondirs, phash(e->path, plen)) || hset_has(&L->links, phash(e->path, plen)))) {
      char *qd = oci_quote(e->path, plen, 200);
      note(L, VF_LAYER_WHITEOUT_MALFORMED, "opaque marker %s is not in a directory: this layer made %s a %s",
           q ? q : "?", qd ? qd : "?", hset_has(&L->links, phash(e->path, plen)) ? "symbolic link" : "non-directory");
      free(qd);
    }
    free(q);
    if (opaque && !strv_add(&L->opaques, e->path, plen))
      L->nomem = true;
    else if (!opaque && base[4] && !strv_add(&L->whiteouts, e->path, strlen(e->path)))
      L->nomem = true;
    return OCIDIG_OK;
  }
  h = phash(e->path, strlen(e->path));
  if (e->type == 'l') {
    if (!hset_add(&L->links, h, &added) || (added && !strv_add(&L->symlinks, e->path, strlen(e->path))))
      L->nomem = true;
  } else if (hset_has(&L->links, h)) {
    /* a symbolic link replaced by this entry: no longer one (its string is dropped when the
     * layer ends: links_compact) */
    hset_del(&L->links, h);
    L->link_dead++;
  }
  if (e->type != 'd' && !hset_add(&L->nondirs, h, NULL))
    L->nomem = true;
  switch (e->type) {
  case 'h':
    if (e->bad_link) {
      char *qp = qn(e->path);
      q = qn(e->link);
      note(L, VF_LAYER_PATH_UNSAFE, "hard link %s points at %s, %s", qp ? qp : "?", q ? q : "?",
           e->link[0] == '/' ? "an absolute name" : "a name with a \"..\" component");
      free(qp);
      free(q);
    } else if (!hset_has(&L->seen, phash(e->link, strlen(e->link)))) {
      if (!strv_add(&L->hardlinks, e->path, strlen(e->path)) || !strv_add(&L->hardlinks, e->link, strlen(e->link)))
        L->nomem = true;
    }
    break;
  case 'c':
  case 'b':
    q = qn(e->path);
    note(L, VF_LAYER_SPECIAL_FILE, "%s is a %s device node (%u, %u)", q ? q : "?",
         e->type == 'c' ? "character" : "block", e->devmajor, e->devminor);
    free(q);
    break;
  case 'p':
    q = qn(e->path);
    note(L, VF_LAYER_SPECIAL_FILE, "%s is a FIFO", q ? q : "?");
    free(q);
    break;
  default:
    break;
  }
  if (e->type == 'f' && (e->mode & 06000)) {
    q = qn(e->path);
    if (e->mode & 04000)
      note(L, VF_LAYER_SETUID, "%s is setuid (mode %04o, owner %lld)", q ? q : "?", (unsigned)e->mode,
           (long long)e->uid);
    if (e->mode & 02000)
      note(L, VF_LAYER_SETGID, "%s is setgid (mode %04o, group %lld)", q ? q : "?", (unsigned)e->mode,
           (long long)e->gid);
    free(q);
  }
  if ((e->type == 'f' || e->type == 'd') && (e->mode & 0002) && !(e->mode & 01000)) {
    q = qn(e->path[0] ? e->path : "/");
    note(L, VF_LAYER_WORLD_WRITABLE, "%s %s is world-writable (mode %04o)%s", e->type == 'd' ? "directory" : "file",
         q ? q : "?", (unsigned)e->mode, e->type == 'd' ? " without the sticky bit" : "");
    free(q);
  }
  if (!hset_add(&L->seen, h, NULL))
    L->nomem = true;
  return L->nomem ? oci_nomem(err) : OCIDIG_OK;
}

/* ------------------------------------------------------------ reading a layer */

static void count(dlayer *L, oci_vcode code)
{
  ocidig_severity s = oci_vcode_get(code)->severity;
  if (s == OCIDIG_SEVERITY_ERROR)
    L->n_err++;
  else if (s == OCIDIG_SEVERITY_WARNING)
    L->n_warn++;
  else
    L->n_info++;
}

#define LFIND(v, L, code, ...)                                                                                     \
  do {                                                                                                             \
    count((L), (code));                                                                                            \
    oci_finding_add((v), (L)->c, (code), (L)->digest, (L)->member, __VA_ARGS__);                                    \
  } while (0)



typedef struct feed_ctx {
  oci_layer_reader *r;
  uint64_t n;
  ocidig_code reader_rc; /* the reader's own error (not the source's) */
} feed_ctx;

static ocidig_code feed(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  feed_ctx *f = ctx;
  ocidig_code rc;
  f->n += len;
  if ((rc = oci_layer_reader_feed(f->r, buf, len, err)) != OCIDIG_OK)
    f->reader_rc = rc;
  return rc;
}

static void skip(vstate *v, dlayer *L, const char *fmt, ...) OCI_PRINTF(3, 4);
static void skip(vstate *v, dlayer *L, const char *fmt, ...)
{
  va_list ap;
  char msg[512];
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  free(L->skipped);
  if (!(L->skipped = oci_strdup(msg)))
    v->nomem = true;
}

/* The blob's own checks from the bytes read here (verify hashes no blob twice). */
static void blob_checked(vstate *v, dlayer *L, const ocidig_digest *d, uint64_t n)
{
  vblob *b;
  if (L->blob == NONE || !L->res.have_digests)
    return;
  b = &v->blobs[L->blob];
  if (b->hash != OCIDIG_HASH_UNKNOWN)
    return;
  b->hash = strcmp(L->res.input.hex, d->hex) ? OCIDIG_HASH_MISMATCH : OCIDIG_HASH_OK;
  if (b->hash == OCIDIG_HASH_MISMATCH &&
      !(b->actual = oci_sprintf("%s:%s", ocidig_digest_alg_name(d->alg), L->res.input.hex)))
    v->nomem = true;
  if (!b->hashed_here) {
    b->hashed_here = true;
    v->bytes_hashed = oci_bytes_add(v->bytes_hashed, (int64_t)n);
  }
}

/* The layer's symbolic links as they stand at its end: those replaced by a later entry of
 * the layer (no longer in L->links) dropped, each path once (a link set again after it was
 * replaced is added twice).  false: out of memory. */
static bool links_compact(dlayer *L)
{
  hset kept = {0};
  size_t w = 0;
  bool ok = true;
  if (!L->link_dead)
    return true;
  for (size_t i = 0; i < L->symlinks.n; i++) {
    uint64_t h = phash(L->symlinks.v[i], strlen(L->symlinks.v[i]));
    bool added = false;
    if (ok && hset_has(&L->links, h) && !(ok = hset_add(&kept, h, &added)))
      added = false;
    if (added)
      L->symlinks.v[w++] = L->symlinks.v[i];
    else
      free(L->symlinks.v[i]);
  }
  L->symlinks.n = w;
  hset_free(&kept);
  return ok;
}

/* What the layer's whiteouts remove ("dir/.wh.name": dir/name) and its opaque directories,
 * as sorted hashes.  false: out of memory. */
static bool removal_hashes(dlayer *L)
{
  if ((L->whiteouts.n && !(L->wh = malloc(L->whiteouts.n * sizeof *L->wh))) ||
      (L->opaques.n && !(L->opq = malloc(L->opaques.n * sizeof *L->opq))))
    return false;
  for (size_t k = 0; k < L->whiteouts.n; k++) {
    const char *wp = L->whiteouts.v[k], *base = strrchr(wp, '/');
    size_t dl = base ? (size_t)(base - wp) + 1 : 0;
    const char *name = (base ? base + 1 : wp) + 4;
    L->wh[L->n_wh++] = pmix(pfnv(pfnv(PFNV0, wp, dl), name, strlen(name)));
  }
  for (size_t k = 0; k < L->opaques.n; k++)
    L->opq[L->n_opq++] = phash(L->opaques.v[k], strlen(L->opaques.v[k]));
  if (L->n_wh)
    qsort(L->wh, L->n_wh, sizeof *L->wh, u64_cmp);
  if (L->n_opq)
    qsort(L->opq, L->n_opq, sizeof *L->opq, u64_cmp);
  return true;
}

/* A set's hashes as a sorted array (*out malloc'd, NULL when empty).  false: out of memory. */
static bool sorted_of(const hset *set, uint64_t **out, size_t *n)
{
  *out = NULL;
  *n = 0;
  if (!set->n)
    return true;
  if (!(*out = malloc(set->n * sizeof **out)))
    return false;
  for (size_t i = 0; i < set->cap && *n < set->n; i++)
    if (set->t[i] > HSET_DEAD)
      (*out)[(*n)++] = set->t[i];
  qsort(*out, *n, sizeof **out, u64_cmp);
  return true;
}

static void read_layer(vstate *v, dlayer *L)
{
  static const oci_layer_callbacks cb = {on_entry};
  oci_layer_compression comp = oci_layer_compression_of(L->media_type);
  ocidig_digest d;
  bool have_d = ocidig_digest_parse(L->digest, strlen(L->digest), &d, NULL) == OCIDIG_OK;
  oci_layer_reader *r;
  ocidig_error e = {0};
  ocidig_code rc, frc;
  feed_ctx f = {0};
  L->tried = true;
  if (comp == OCI_LAYER_UNKNOWN) {
    skip(v, L, "not a layer tar (media type %s)", L->media_type[0] ? L->media_type : "(none)");
    LFIND(v, L, VF_LAYER_NOT_READ, "layer %s: its media type (%s) is no layer tar ocidig reads: its contents are not "
          "checked", L->digest, L->media_type[0] ? L->media_type : "none");
    return;
  }
  if (have_d)
    L->blob = oci_vblob_find(v, L->digest);
  if (L->blob != NONE && !oci_vblob_present(v, L->blob)) {
    skip(v, L, "absent");
    return;
  }
  if (!L->member) {
    skip(v, L, "no file holds it");
    return;
  }
  if (!(r = oci_layer_reader_new(comp, &cb, L, &e))) {
    if (e.code == OCIDIG_ERR_NOMEM)
      v->nomem = true;
    else
      skip(v, L, "%s", e.message);
    return;
  }
  if (have_d)
    oci_layer_reader_hash_input(r, d.alg);
  oci_layer_reader_diff_alg(r, L->diff_alg);
  f.r = r;
  rc = ocidig_layout_stream_file(v->l, L->member, feed, &f, &e);
  frc = oci_layer_reader_finish(r, &L->res, rc == OCIDIG_OK ? &e : NULL);
  oci_layer_reader_free(r);
  if (rc == OCIDIG_OK) {
    rc = frc;
    f.reader_rc = frc;
  }
  if (!links_compact(L))
    L->nomem = true;
  /* the reader itself failed (its thread did not start): no fault of the layer; the
   * verification stops with the reason */
  if (rc != OCIDIG_OK && f.reader_rc == rc && rc != OCIDIG_ERR_NOMEM && !L->nomem) {
    v->deep->rc = rc;
    v->deep->err = e;
    hset_free(&L->links);
    hset_free(&L->parent_set);
    hset_free(&L->nondirs);
    hset_free(&L->seen);
    skip(v, L, "%s", e.message);
    return;
  }
  hset_free(&L->links);
  hset_free(&L->parent_set);
  if (rc == OCIDIG_OK && !L->nomem && !sorted_of(&L->nondirs, &L->nondirs_sorted, &L->n_nondirs))
    L->nomem = true;
  hset_free(&L->nondirs);
  if (rc == OCIDIG_ERR_NOMEM || L->nomem) {
    v->nomem = true;
    hset_free(&L->seen);
    return;
  }
  if (rc != OCIDIG_OK) {
    char *q = qn(L->member);
    hset_free(&L->seen);
    skip(v, L, "unreadable: %s", e.message);
    if (L->blob != NONE && v->blobs[L->blob].hash == OCIDIG_HASH_UNKNOWN && !v->blobs[L->blob].read_error &&
        !(v->blobs[L->blob].read_error = oci_strdup(e.message)))
      v->nomem = true;
    free(q);
    return;
  }
  if (have_d)
    blob_checked(v, L, &d, f.n);
  if (L->res.limited) { /* valid, maybe: too large a window to decode here; not read */
    skip(v, L, "not checked: %s", L->res.decode_message);
    LFIND(v, L, VF_LAYER_NOT_READ, "layer %s: not checked inside: %s", L->digest, L->res.decode_message);
    hset_free(&L->seen);
    return;
  }
  L->read = true;
  /* the paths, sorted, for the layers above (8 bytes an entry) */
  if (!sorted_of(&L->seen, &L->paths, &L->n_paths) || !removal_hashes(L))
    v->nomem = true;
  hset_free(&L->seen);
}

static bool paths_has(const dlayer *L, uint64_t h)
{
  return L->n_paths && bsearch(&h, L->paths, L->n_paths, sizeof h, u64_cmp) != NULL;
}

static bool nondirs_has(const dlayer *L, uint64_t h)
{
  return L->n_nondirs && bsearch(&h, L->nondirs_sorted, L->n_nondirs, sizeof h, u64_cmp) != NULL;
}

/* ------------------------------------------------------------ findings */

/* What reading a layer found on its own: its stream, its tar, its entries. */
static void layer_findings(vstate *v, dlayer *L)
{
  const oci_layer_result *s = &L->res;
  const char *comp = oci_layer_compression_name(oci_layer_compression_of(L->media_type));
  if (s->decode == OCI_LAYER_DECODE_TRUNCATED)
    LFIND(v, L, VF_LAYER_TRUNCATED, "layer %s (%s) ends before its compressed stream does: %s", L->digest, comp,
          s->decode_message);
  else if (s->decode == OCI_LAYER_DECODE_CORRUPT)
    LFIND(v, L, VF_LAYER_CORRUPT, "layer %s does not decode as %s: %s", L->digest, comp, s->decode_message);
  else if (s->decode == OCI_LAYER_DECODE_TRAILING)
    LFIND(v, L, VF_LAYER_TRAILING_DATA, "layer %s: %llu bytes after the end of its %s stream (at byte %llu): %s",
          L->digest, (unsigned long long)(s->input_bytes - s->decoded_end), comp,
          (unsigned long long)s->decoded_end, s->decode_message);
  /* the tar, unless the stream broke under it (then that is the finding) */
  if (s->decode == OCI_LAYER_DECODE_END || s->decode == OCI_LAYER_DECODE_TRAILING) {
    if (s->tar == OCI_LAYER_TAR_TRUNCATED || s->tar == OCI_LAYER_TAR_CORRUPT)
      LFIND(v, L, VF_LAYER_TAR_INVALID, "layer %s: %s", L->digest, s->tar_message);
    else if (s->tar == OCI_LAYER_TAR_NO_MARKER)
      LFIND(v, L, VF_LAYER_TAR_NO_END, "layer %s: %s", L->digest, s->tar_message);
  }
  for (size_t i = 0; i < L->n_finds; i++)
    LFIND(v, L, L->finds[i].code, "layer %s: %s", L->digest, L->finds[i].msg);
  for (int c = 0; c < VF_N_CODES; c++)
    if (L->per_code[c] > PER_CODE) {
      uint32_t more = L->per_code[c] - PER_CODE;
      LFIND(v, L, (oci_vcode)c, "layer %s: %u more entr%s like the above", L->digest, (unsigned)more,
            more == 1 ? "y" : "ies");
    }
}

/* The image's config's rootfs.diff_ids (read through the view: a small blob). */
static void read_diff_ids(vstate *v, dimage *im)
{
  ocidig_digest d;
  uint8_t *data = NULL;
  size_t len = 0;
  ocidig_image_config cfg;
  ocidig_error e;
  if (!im->config || ocidig_digest_parse(im->config, strlen(im->config), &d, NULL) != OCIDIG_OK)
    return;
  if (oci_vblob_read_doc(v, &d, OCIDIG_MAX_JSON_SIZE, &data, &len, &e) != OCIDIG_OK) {
    if (e.code == OCIDIG_ERR_NOMEM)
      v->nomem = true;
    return; /* the walk reported it */
  }
  memset(&cfg, 0, sizeof cfg);
  if (ocidig_image_config_parse(data, len, im->config, &cfg, &e) == OCIDIG_OK) {
    im->diff_ids = cfg.diff_ids;
    im->n_diff_ids = cfg.n_diff_ids;
    cfg.diff_ids = NULL;
    cfg.n_diff_ids = 0;
    /* no rootfs at all: the shape rules say so; nothing to compare */
    im->diff_ids_known = cfg.rootfs_type || im->n_diff_ids;
  } else if (e.code == OCIDIG_ERR_NOMEM) {
    v->nomem = true;
  }
  ocidig_image_config_clear(&cfg);
  free(data);
}

typedef struct sym {
  const char *path; /* a layer's string */
  uint64_t h;
  size_t layer; /* position in the image */
} sym;

static int sym_cmp(const void *a, const void *b)
{
  uint64_t x = ((const sym *)a)->h, y = ((const sym *)b)->h;
  return x < y ? -1 : x > y;
}

/* The symbolic link at D's first n bytes in S (sorted by hash), or NULL. */
static const sym *sym_find(const sym *S, size_t nS, uint64_t h, const char *D, size_t n)
{
  size_t lo = 0, hi = nS;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (S[mid].h < h)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (; lo < nS && S[lo].h == h; lo++)
    if (strlen(S[lo].path) == n && !strncmp(S[lo].path, D, n))
      return &S[lo];
  return NULL;
}

static bool sorted_has(const uint64_t *a, size_t n, uint64_t h)
{
  return n && bsearch(&h, a, n, sizeof h, u64_cmp) != NULL;
}

/* Does layer B remove what a layer below it had at p (n bytes)?  A whiteout of p or of an
 * ancestor, an opaque marker in an ancestor (the root's too), or (nondirs) an ancestor B made
 * a file or symbolic link.  One pass over p, its prefixes' hashes extended a component at a
 * time. */
static bool removed_by(const dlayer *B, const char *p, size_t n, bool nondirs)
{
  uint64_t h = PFNV0;
  size_t from = 0;
  if (!B->n_wh && !B->n_opq && !(nondirs && B->n_nondirs))
    return false;
  if (sorted_has(B->opq, B->n_opq, pmix(h)))
    return true;
  for (size_t i = 0; i <= n; i++)
    if (i == n || p[i] == '/') {
      uint64_t m;
      h = pfnv(h, p + from, i - from);
      from = i;
      m = pmix(h);
      if (sorted_has(B->wh, B->n_wh, m))
        return true;
      if (i < n && (sorted_has(B->opq, B->n_opq, m) || (nondirs && sorted_has(B->nondirs_sorted, B->n_nondirs, m))))
        return true;
    }
  return false;
}

/* Cross-layer findings are capped as a layer's own are: PER_CODE messages per code and layer
 * of an image, then one that counts the rest. */
typedef struct xcap {
  uint32_t n[VF_N_CODES];
} xcap;

static bool xcap_take(vstate *v, dlayer *L, xcap *x, oci_vcode code)
{
  (void)v;
  if (x->n[code]++ >= PER_CODE)
    return false;
  count(L, code);
  return true;
}

static void xcap_rest(vstate *v, dimage *im, dlayer *L, size_t i, const xcap *x)
{
  for (int c = 0; c < VF_N_CODES; c++)
    if (x->n[c] > PER_CODE) {
      uint32_t more = x->n[c] - PER_CODE;
      count(L, (oci_vcode)c);
      oci_finding_add(v, im->c, (oci_vcode)c, L->digest, L->member, "layer %zu (%s): %u more like the above", i,
                      L->digest, (unsigned)more);
    }
}

/* The hazards across an image's layers, in order. */
static void image_layers(vstate *v, dimage *im)
{
  vdeep *d = v->deep;
  sym *S = NULL;
  size_t nS = 0, capS = 0;
  hset Sset = {0};
  bool all_below = true; /* every layer below was read (else a hard link's target may be in one) */
  for (size_t i = 0; i < im->n_layers; i++) {
    dlayer *L;
    xcap x;
    if (im->layers[i] == NONE || !d->layers[im->layers[i]].read) {
      all_below = false;
      continue;
    }
    L = &d->layers[im->layers[i]];
    memset(&x, 0, sizeof x);
    /* names through a symbolic link a layer below set: each parent directory's prefixes,
     * hashed in one pass */
    for (size_t k = 0; nS && k < L->parents.n; k++) {
      const char *D = L->parents.v[k];
      size_t len = strlen(D), from = 0;
      uint64_t h = PFNV0;
      for (size_t e = 0; e <= len; e++) {
        uint64_t m;
        const sym *f;
        if (e < len && D[e] != '/')
          continue;
        h = pfnv(h, D + from, e - from);
        from = e;
        m = pmix(h);
        /* unless this layer sets that path itself (a directory over the link replaces it) */
        if (!hset_has(&Sset, m) || paths_has(L, m) || !(f = sym_find(S, nS, m, D, e)))
          continue;
        if (xcap_take(v, L, &x, VF_LAYER_PATH_THROUGH_SYMLINK)) {
          char *q = qn(D), *ql = oci_quote(D, e, 200);
          oci_finding_add(v, im->c, VF_LAYER_PATH_THROUGH_SYMLINK, L->digest, L->member,
                          "layer %zu (%s): entries in %s pass through %s, a symbolic link set by layer %zu", i,
                          L->digest, q ? q : "?", ql ? ql : "?", f->layer);
          free(q);
          free(ql);
        }
      }
    }
    /* an opaque marker whose directory the nearest layer below that has the path made no
     * directory (a file, a symbolic link; its own layer's entries: checked as it streamed) */
    for (size_t o = 0; o < L->opaques.n; o++) {
      uint64_t h = phash(L->opaques.v[o], strlen(L->opaques.v[o]));
      if (!L->opaques.v[o][0] || paths_has(L, h))
        continue;
      for (size_t j = i; j-- > 0;) {
        const dlayer *B = im->layers[j] != NONE ? &d->layers[im->layers[j]] : NULL;
        if (!B || !B->read || !paths_has(B, h))
          continue;
        if (nondirs_has(B, h) && xcap_take(v, L, &x, VF_LAYER_WHITEOUT_MALFORMED)) {
          char *q = qn(L->opaques.v[o]);
          oci_finding_add(v, im->c, VF_LAYER_WHITEOUT_MALFORMED, L->digest, L->member,
                          "layer %zu (%s): an opaque marker in %s, which layer %zu made no directory (%s)", i,
                          L->digest, q ? q : "?", j, hset_has(&Sset, h) ? "a symbolic link" : "a file");
          free(q);
        }
        break;
      }
    }
    /* hard links to nothing: not earlier in the layer, nor in the tree the layers below make
     * (the nearest layer that has the path holds it, unless a layer between removed it: a
     * whiteout, an opaque directory, an ancestor made a file) */
    for (size_t k = 0; all_below && k + 1 < L->hardlinks.n; k += 2) {
      const char *t = L->hardlinks.v[k + 1];
      size_t tn = strlen(t);
      uint64_t h = phash(t, tn);
      bool found = false;
      size_t gone_at = NONE;
      for (size_t j = i; j-- > 0;) {
        const dlayer *B = &d->layers[im->layers[j]];
        if (paths_has(B, h)) {
          found = true;
          break;
        }
        if (removed_by(B, t, tn, true)) {
          gone_at = j;
          break;
        }
      }
      if (!found && xcap_take(v, L, &x, VF_LAYER_HARDLINK_MISSING)) {
        char *a = qn(L->hardlinks.v[k]), *b = qn(t);
        if (gone_at != NONE)
          oci_finding_add(v, im->c, VF_LAYER_HARDLINK_MISSING, L->digest, L->member,
                          "layer %zu (%s): hard link %s points at %s, which layer %zu removed", i, L->digest,
                          a ? a : "?", b ? b : "?", gone_at);
        else
          oci_finding_add(v, im->c, VF_LAYER_HARDLINK_MISSING, L->digest, L->member,
                          "layer %zu (%s): hard link %s points at %s, which neither an earlier entry of the layer "
                          "nor a layer below holds",
                          i, L->digest, a ? a : "?", b ? b : "?");
        free(a);
        free(b);
      }
    }
    xcap_rest(v, im, L, i, &x);
    /* this layer over the symbolic links below: replaced, whited out, made opaque (one pass
     * over each link's name against the layer's removals, hashed once) */
    if (nS) {
      size_t w = 0;
      for (size_t s = 0; s < nS; s++) {
        bool gone = paths_has(L, S[s].h) || removed_by(L, S[s].path, strlen(S[s].path), false);
        if (!gone)
          S[w++] = S[s];
      }
      nS = w;
    }
    for (size_t k = 0; k < L->symlinks.n; k++)
      if (L->symlinks.v[k][0]) {
        if (!oci_grow((void **)&S, &capS, nS + 1, sizeof *S)) {
          v->nomem = true;
          break;
        }
        S[nS].path = L->symlinks.v[k];
        S[nS].h = phash(S[nS].path, strlen(S[nS].path));
        S[nS].layer = i;
        nS++;
      }
    if (nS)
      qsort(S, nS, sizeof *S, sym_cmp);
    hset_free(&Sset);
    for (size_t s = 0; s < nS; s++)
      if (!hset_add(&Sset, S[s].h, NULL))
        v->nomem = true;
  }
  hset_free(&Sset);
  free(S);
}

/* diff_ids against what the layers decode to. */
static void image_diff_ids(vstate *v, dimage *im)
{
  vdeep *d = v->deep;
  if (!im->config)
    return; /* a docker save's: docker_rules.c */
  if (!im->diff_ids_known)
    return;
  if (im->n_diff_ids != im->n_layers) {
    char path[OCIDIG_DIGEST_STRING_MAX + 8];
    ocidig_digest cd;
    ocidig_digest_parse(im->config, strlen(im->config), &cd, NULL);
    oci_finding_add(v, im->c, VF_LAYER_COUNT_MISMATCH, im->config, oci_vblob_member(v, &cd, path),
                    "manifest %s has %zu layer%s, its config %s has %zu rootfs.diff_ids", im->manifest, im->n_layers,
                    im->n_layers == 1 ? "" : "s", im->config, im->n_diff_ids);
  }
  for (size_t i = 0; i < im->n_layers && i < im->n_diff_ids; i++) {
    dlayer *L;
    char got[OCIDIG_DIGEST_STRING_MAX];
    ocidig_digest want;
    ocidig_error e;
    ocidig_code rc;
    if (im->layers[i] == NONE)
      continue;
    L = &d->layers[im->layers[i]];
    /* a stream that does not decode whole has no diff_id to compare (that is the finding) */
    if (!L->read || !L->res.have_digests || L->res.decode == OCI_LAYER_DECODE_TRUNCATED ||
        L->res.decode == OCI_LAYER_DECODE_CORRUPT)
      continue;
    ocidig_digest_format(&L->res.diff_id, got);
    rc = ocidig_digest_parse(im->diff_ids[i], strlen(im->diff_ids[i]), &want, &e);
    if (rc == OCIDIG_ERR_UNSUPPORTED_DIGEST_ALGORITHM) {
      /* an algorithm ocidig does not compute: cannot be verified (not a mismatch) */
      count(L, VF_UNSUPPORTED_DIGEST_ALGORITHM);
      oci_finding_add(v, im->c, VF_UNSUPPORTED_DIGEST_ALGORITHM, L->digest, L->member,
                      "layer %zu of manifest %s (%s): its config's rootfs.diff_ids[%zu] cannot be verified: %s", i,
                      im->manifest, L->digest, i, e.message);
      continue;
    }
    if (rc == OCIDIG_OK && want.alg != L->res.diff_id.alg) {
      /* a layer shared with an image whose config names another algorithm: read once, in that one */
      count(L, VF_LAYER_NOT_READ);
      oci_finding_add(v, im->c, VF_LAYER_NOT_READ, L->digest, L->member,
                      "layer %zu of manifest %s (%s): its config's rootfs.diff_ids[%zu] (%s) is not compared: the "
                      "layer was read once, for a %s diff_id",
                      i, im->manifest, L->digest, i, ocidig_digest_alg_name(want.alg),
                      ocidig_digest_alg_name(L->res.diff_id.alg));
      continue;
    }
    if (strcmp(got, im->diff_ids[i])) {
      count(L, VF_DIFF_ID_MISMATCH);
      oci_finding_add(v, im->c, VF_DIFF_ID_MISMATCH, L->digest, L->member,
                      "layer %zu of manifest %s (%s) decodes to %s, but its config's rootfs.diff_ids[%zu] is %s", i,
                      im->manifest, L->digest, got, i, im->diff_ids[i]);
    }
  }
}

/* ------------------------------------------------------------ the pass */

ocidig_code oci_verify_deep(vstate *v, ocidig_error *err)
{
  vdeep *d = v->deep;
  if (!d)
    return OCIDIG_OK;
  for (size_t k = 0; k < d->n_images && !v->nomem && d->rc == OCIDIG_OK; k++) {
    dimage *im = &d->images[k];
    read_diff_ids(v, im); /* first: a sha512 diff_id asks the reader for sha512 */
    for (size_t i = 0; i < im->n_layers && !v->nomem && d->rc == OCIDIG_OK; i++) {
      dlayer *L;
      ocidig_digest dd;
      if (im->layers[i] == NONE)
        continue;
      L = &d->layers[im->layers[i]];
      if (!L->tried && i < im->n_diff_ids &&
          ocidig_digest_parse(im->diff_ids[i], strlen(im->diff_ids[i]), &dd, NULL) == OCIDIG_OK)
        L->diff_alg = dd.alg;
      if (!L->tried) {
        read_layer(v, L);
        if (L->read)
          layer_findings(v, L);
      }
    }
    if (d->rc != OCIDIG_OK)
      break;
    image_diff_ids(v, im);
    image_layers(v, im);
  }
  if (d->rc != OCIDIG_OK && err)
    *err = d->err;
  return d->rc;
}

/* The report's layer rows. */
void oci_verify_deep_report(vstate *v)
{
  vdeep *d = v->deep;
  ocidig_verify_report *r = v->r;
  if (!d || !d->n_layers)
    return;
  if (!(r->layers = calloc(d->n_layers, sizeof *r->layers))) {
    v->nomem = true;
    return;
  }
  for (size_t i = 0; i < d->n_layers; i++) {
    const dlayer *L = &d->layers[i];
    ocidig_verify_layer *o = &r->layers[r->n_layers++];
    char dd[OCIDIG_DIGEST_STRING_MAX];
    o->digest = oci_strdup(L->digest);
    o->media_type = oci_strdup(L->media_type);
    o->compression = oci_layer_compression_name(oci_layer_compression_of(L->media_type));
    o->read = L->read;
    o->image = L->c.image;
    o->platform = L->c.plat;
    if (L->skipped)
      o->skipped = oci_strdup(L->skipped);
    if (L->read) {
      o->entries = L->res.entries;
      o->uncompressed_size = L->res.output_bytes;
      if (L->res.have_digests) {
        ocidig_digest_format(&L->res.diff_id, dd);
        o->diff_id = oci_strdup(dd);
      }
    }
    o->n_errors = L->n_err;
    o->n_warnings = L->n_warn;
    o->n_infos = L->n_info;
    if (!o->digest || !o->media_type || (L->skipped && !o->skipped) || (L->read && L->res.have_digests && !o->diff_id))
      v->nomem = true;
  }
}

void oci_verify_deep_free(vstate *v)
{
  vdeep *d = v->deep;
  if (!d)
    return;
  for (size_t i = 0; i < d->n_layers; i++) {
    dlayer *L = &d->layers[i];
    free(L->skipped);
    free(L->paths);
    free(L->nondirs_sorted);
    free(L->wh);
    free(L->opq);
    strv_clear(&L->symlinks);
    strv_clear(&L->whiteouts);
    strv_clear(&L->opaques);
    strv_clear(&L->parents);
    strv_clear(&L->hardlinks);
    for (size_t k = 0; k < L->n_finds; k++)
      free(L->finds[k].msg);
    free(L->finds);
    hset_free(&L->seen);
    hset_free(&L->links);
    hset_free(&L->nondirs);
    hset_free(&L->parent_set);
  }
  free(d->layers);
  oci_strtab_free(&d->tab);
  for (size_t k = 0; k < d->n_images; k++) {
    free(d->images[k].layers);
    oci_strv_free(d->images[k].diff_ids, d->images[k].n_diff_ids);
  }
  free(d->images);
  free(d);
  v->deep = NULL;
}
