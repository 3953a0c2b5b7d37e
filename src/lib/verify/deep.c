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
#include "deep_int.h"

#include "graph.h"

#include <stdlib.h>

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
  bool read_done; /* oci_vdeep_read ran */
  const dlayer **by_member; /* the layers read whole as tars, by member (oci_vdeep_sha256_of) */
  size_t n_by_member;
  bool by_member_made;
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
/* Can L be read at all?  Else said on L (its finding made with the others: emit). */
static bool readable(vstate *v, dlayer *L, oci_layer_compression comp, ocidig_digest *d, bool *have_d)
{
  *have_d = ocidig_digest_parse(L->digest, strlen(L->digest), d, NULL) == OCIDIG_OK;
  if (comp == OCI_LAYER_UNKNOWN) {
    skip(v, L, "not a layer tar (media type %s)", L->media_type[0] ? L->media_type : "(none)");
    return false;
  }
  if (*have_d)
    L->blob = oci_vblob_find(v, L->digest);
  if (L->blob != NONE && !oci_vblob_present(v, L->blob)) {
    skip(v, L, "absent");
    return false;
  }
  if (!L->member) {
    skip(v, L, "no file holds it");
    return false;
  }
  return true;
}

/* A read of L has ended (its record made compact): what it says. */
static void read_over(vstate *v, dlayer *L, ocidig_code rc, const ocidig_error *e, const ocidig_digest *d, uint64_t n)
{
  if (rc == OCIDIG_ERR_NOMEM || L->nomem) {
    v->nomem = true;
    return;
  }
  if (rc != OCIDIG_OK) {
    skip(v, L, "unreadable: %s", e->message);
    if (L->blob != NONE && v->blobs[L->blob].hash == OCIDIG_HASH_UNKNOWN && !v->blobs[L->blob].read_error &&
        !(v->blobs[L->blob].read_error = oci_strdup(e->message)))
      v->nomem = true;
    return;
  }
  if (d)
    blob_checked(v, L, d, n);
  if (L->res.limited) { /* valid, maybe: too large a window to decode here; not read */
    skip(v, L, "not checked: %s", L->res.decode_message);
    return;
  }
  L->read = true;
}

/* A layer standard input cannot give again, that the pass read as another compression:
 * what its first bytes say (oci_deep_pass_other), as if read now. */
static bool take_other(vstate *v, dlayer *L, oci_layer_compression comp)
{
  dlayer w = *L;
  bool nomem = false;
  oci_deep_record_clear(L);
  memset(&L->res, 0, sizeof L->res);
  memset(L->per_code, 0, sizeof L->per_code);
  if (!oci_deep_pass_other(v->l, L->member, comp, L->diff_alg, L, &nomem)) {
    if (nomem)
      v->nomem = true;
    return nomem;
  }
  (void)w;
  read_over(v, L, OCIDIG_OK, NULL, NULL, 0);
  return true;
}

static void read_layer(vstate *v, dlayer *L, oci_layer_compression comp, const ocidig_digest *d)
{
  static const oci_layer_callbacks cb = {oci_deep_on_entry};
  oci_layer_reader *r;
  ocidig_error e = {0};
  ocidig_code rc, frc;
  feed_ctx f = {0};
  if (!(r = oci_layer_reader_new(comp, &cb, L, &e))) {
    if (e.code == OCIDIG_ERR_NOMEM)
      v->nomem = true;
    else
      skip(v, L, "%s", e.message);
    return;
  }
  if (d)
    oci_layer_reader_hash_input(r, d->alg);
  oci_layer_reader_diff_alg(r, L->diff_alg);
  f.r = r;
  rc = ocidig_layout_stream_file(v->l, L->member, feed, &f, &e);
  frc = oci_layer_reader_finish(r, &L->res, rc == OCIDIG_OK ? &e : NULL);
  oci_layer_reader_free(r);
  if (rc == OCIDIG_OK) {
    rc = frc;
    f.reader_rc = frc;
  }
  /* the reader itself failed (its thread did not start): no fault of the layer; the
   * verification stops with the reason */
  if (rc != OCIDIG_OK && f.reader_rc == rc && rc != OCIDIG_ERR_NOMEM && !L->nomem) {
    v->deep->rc = rc;
    v->deep->err = e;
    oci_deep_read_end(L, false);
    skip(v, L, "%s", e.message);
    return;
  }
  oci_deep_read_end(L, rc == OCIDIG_OK);
  if (rc == OCIDIG_ERR_NOT_REREADABLE && !L->nomem && f.n == 0 && take_other(v, L, comp))
    return;
  read_over(v, L, rc, &e, d, f.n);
}

/* L as the archive's one pass read it, if it did as L's media type says (then its blob was
 * hashed by the pass too).  true: taken (or out of memory: v->nomem). */
static bool take_from_pass(vstate *v, dlayer *L, oci_layer_compression comp)
{
  dlayer w = *L;
  bool nomem = false;
  if (!oci_deep_pass_take(v->l, L->member, comp, L->diff_alg, L, &nomem)) {
    if (nomem)
      v->nomem = true;
    return nomem;
  }
  L->digest = w.digest;
  L->media_type = w.media_type;
  L->member = w.member;
  L->size = w.size;
  L->c = w.c;
  L->blob = w.blob;
  L->tried = w.tried;
  L->alg_set = w.alg_set;
  L->diff_alg = w.diff_alg;
  L->skipped = w.skipped;
  read_over(v, L, OCIDIG_OK, NULL, NULL, 0);
  return true;
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
  if (oci_layer_compression_of(L->media_type) == OCI_LAYER_UNKNOWN) {
    LFIND(v, L, VF_LAYER_NOT_READ, "layer %s: its media type (%s) is no layer tar ocidig reads: its contents are not "
          "checked", L->digest, L->media_type[0] ? L->media_type : "none");
    return;
  }
  if (!L->read && L->res.limited && L->skipped && !strncmp(L->skipped, "not checked: ", 13)) {
    LFIND(v, L, VF_LAYER_NOT_READ, "layer %s: not checked inside: %s", L->digest, L->res.decode_message);
    return;
  }
  if (!L->read)
    return;
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

/* Layers to read again, in the order of their members in the archive: a forward re-reader
 * meets each in turn (one pass for all, never one per layer). */
static int member_order(const void *a, const void *b)
{
  const dlayer *x = *(dlayer *const *)a, *y = *(dlayer *const *)b;
  return x->ordinal < y->ordinal ? -1 : x->ordinal > y->ordinal;
}

void oci_vdeep_read(vstate *v)
{
  vdeep *d = v->deep;
  dlayer **todo = NULL;
  size_t n_todo = 0;
  if (!d || d->read_done) {
    oci_deep_pass_drop(v->l);
    return;
  }
  d->read_done = true;
  /* standard input, whose layers went by for an earlier verify of this open: one error, not
   * one per layer (OCIDIG_OPEN_READ_LAYERS: one deep verify per open) */
  if (d->n_layers && v->l->from_stdin && oci_deep_pass_spent(v->l)) {
    d->rc = oci_fail(&d->err, OCIDIG_ERR_NOT_REREADABLE,
                     "standard input: its layers went by for an earlier verify of this open (one deep verify "
                     "per open of standard input): open it again");
    return;
  }
  /* the configs first: a sha512 diff_id asks the reader for sha512 (the first image that
   * names the layer decides) */
  for (size_t k = 0; k < d->n_images && !v->nomem; k++) {
    dimage *im = &d->images[k];
    read_diff_ids(v, im);
    for (size_t i = 0; i < im->n_layers; i++) {
      dlayer *L;
      ocidig_digest dd;
      if (im->layers[i] == NONE || (L = &d->layers[im->layers[i]])->alg_set)
        continue;
      L->alg_set = true;
      if (i < im->n_diff_ids && ocidig_digest_parse(im->diff_ids[i], strlen(im->diff_ids[i]), &dd, NULL) == OCIDIG_OK)
        L->diff_alg = dd.alg;
    }
  }
  /* each layer once: as the archive's one pass read it, else read now (an archive's in the
   * order of its members) */
  if (d->n_layers && !v->nomem && !(todo = malloc(d->n_layers * sizeof *todo)))
    v->nomem = true;
  for (size_t j = 0; j < d->n_layers && !v->nomem; j++) {
    dlayer *L = &d->layers[j];
    oci_layer_compression comp = oci_layer_compression_of(L->media_type);
    ocidig_digest dd;
    bool have_d;
    L->tried = true;
    if (!readable(v, L, comp, &dd, &have_d) || (ocidig_layout_is_archive(v->l) && take_from_pass(v, L, comp)))
      continue;
    if (ocidig_layout_is_archive(v->l) && L->member && oci_deep_pass_why(v->l, L->member)) {
      /* standard input: read on speculation, not whole (a bound): not checked, said why */
      const char *why = oci_deep_pass_why(v->l, L->member);
      L->res.limited = true;
      snprintf(L->res.decode_message, sizeof L->res.decode_message, "%s", why);
      skip(v, L, "not checked: %s", why);
      continue;
    }
    if (ocidig_layout_is_archive(v->l)) {
      const oci_member *m = oci_member_find(v->l, L->member);
      L->ordinal = m ? m->ordinal : 0;
    }
    todo[n_todo++] = L;
  }
  oci_deep_pass_drop(v->l); /* what the pass read of no layer in scope */
  if (n_todo > 1)
    qsort(todo, n_todo, sizeof *todo, member_order);
  oci_layout_in_order(v->l, true);
  for (size_t j = 0; j < n_todo && !v->nomem && d->rc == OCIDIG_OK; j++) {
    ocidig_digest dd;
    bool have_d = ocidig_digest_parse(todo[j]->digest, strlen(todo[j]->digest), &dd, NULL) == OCIDIG_OK;
    read_layer(v, todo[j], oci_layer_compression_of(todo[j]->media_type), have_d ? &dd : NULL);
  }
  oci_layout_in_order(v->l, false);
  free(todo);
}

static int member_key_cmp(const void *a, const void *b)
{
  return strcmp((*(const dlayer *const *)a)->member, (*(const dlayer *const *)b)->member);
}

static int by_member_cmp(const void *a, const void *b)
{
  const dlayer *x = *(const dlayer *const *)a, *y = *(const dlayer *const *)b;
  int c = strcmp(x->member, y->member);
  return c ? c : (x < y ? -1 : x > y); /* the first layer of a member first */
}

/* A docker layer file's sha256 from the layer read of it: the layers indexed by member
 * once (a docker save of many layers asks per file: never files x layers). */
void oci_vdeep_pass_done(vstate *v)
{
  oci_deep_pass_drop(v->l);
}

const char *oci_vdeep_sha256_of(vstate *v, const char *member)
{
  vdeep *d = v->deep;
  dlayer key;
  const dlayer *kp = &key, **hit;
  if (!d || !member || !d->read_done)
    return NULL;
  if (!d->by_member_made) {
    d->by_member_made = true;
    if (d->n_layers && !(d->by_member = malloc(d->n_layers * sizeof *d->by_member))) {
      v->nomem = true;
      return NULL;
    }
    for (size_t j = 0; j < d->n_layers; j++) {
      const dlayer *L = &d->layers[j];
      if (L->read && L->member && L->res.have_digests && oci_layer_compression_of(L->media_type) == OCI_LAYER_NONE &&
          L->res.decode == OCI_LAYER_DECODE_END && L->res.diff_id.alg == OCIDIG_DIGEST_SHA256)
        d->by_member[d->n_by_member++] = L;
    }
    if (d->n_by_member > 1)
      qsort(d->by_member, d->n_by_member, sizeof *d->by_member, by_member_cmp);
  }
  if (!d->n_by_member)
    return NULL;
  key.member = member;
  hit = bsearch(&kp, d->by_member, d->n_by_member, sizeof *d->by_member, member_key_cmp);
  return hit ? (*hit)->res.diff_id.hex : NULL;
}

ocidig_code oci_verify_deep(vstate *v, ocidig_error *err)
{
  vdeep *d = v->deep;
  oci_vdeep_read(v);
  if (!d)
    return OCIDIG_OK;
  /* the findings, image by image (each layer's own with the first image that has it) */
  for (size_t k = 0; k < d->n_images && !v->nomem && d->rc == OCIDIG_OK; k++) {
    dimage *im = &d->images[k];
    for (size_t i = 0; i < im->n_layers; i++) {
      dlayer *L;
      if (im->layers[i] == NONE || (L = &d->layers[im->layers[i]])->emitted)
        continue;
      L->emitted = true;
      layer_findings(v, L);
    }
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
    free(d->layers[i].skipped);
    oci_deep_record_clear(&d->layers[i]);
  }
  free(d->layers);
  free(d->by_member);
  oci_strtab_free(&d->tab);
  for (size_t k = 0; k < d->n_images; k++) {
    free(d->images[k].layers);
    oci_strv_free(d->images[k].diff_ids, d->images[k].n_diff_ids);
  }
  free(d->images);
  free(d);
  v->deep = NULL;
}
