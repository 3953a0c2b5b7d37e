/* report.c: findings as they are found, the conclusions (digests, missing blobs per image and platform,
 * unreferenced blobs, attestations), the report and its exit status, and ocidig_verify (its JSON:
 * report_json.c). */
#include "attached.h"
#include "verify.h"

/* -------------------------------------------------------------- findings */

static bool finding_same(const ocidig_finding *f, const char *code, const char *digest, const char *path,
                         const char *msg)
{
  return !strcmp(f->code, code) && oci_streq(f->digest, digest) && oci_streq(f->path, path) && !strcmp(f->message, msg);
}

static bool ftab_grow(vstate *v)
{
  size_t cap = v->ftab_cap ? v->ftab_cap * 2 : 256;
  size_t *t = calloc(cap, sizeof *t);
  if (!t)
    return false;
  for (size_t i = 0; i < v->n_findings; i++) {
    size_t h = (size_t)v->findings[i].key & (cap - 1);
    while (t[h])
      h = (h + 1) & (cap - 1);
    t[h] = i + 1;
  }
  free(v->ftab);
  v->ftab = t;
  v->ftab_cap = cap;
  return true;
}

void oci_finding_add(vstate *v, vctx c, oci_vcode vcode, const char *digest, const char *path, const char *fmt, ...)
{
  const oci_vcode_info *info = oci_vcode_get(vcode);
  const char *code = info->code;
  ocidig_severity sev = info->severity;
  char msg[2048];
  va_list ap;
  uint64_t key;
  size_t h = 0;
  vfinding *f;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  key = oci_vfnv(oci_vfnv(oci_vfnv(oci_vfnv(FNV0, code), digest), path), msg);
  if (v->ftab_cap) {
    for (h = (size_t)key & (v->ftab_cap - 1); v->ftab[h]; h = (h + 1) & (v->ftab_cap - 1)) {
      const vfinding *o = &v->findings[v->ftab[h] - 1];
      if (o->key == key && finding_same(&o->f, code, digest, path, msg))
        return;
    }
  }
  if (sev == OCIDIG_SEVERITY_ERROR)
    v->r->summary.errors++;
  else if (sev == OCIDIG_SEVERITY_WARNING)
    v->r->summary.warnings++;
  else
    v->r->summary.infos++;
  if (v->n_findings >= MAX_FINDINGS) {
    v->r->summary.findings_dropped++;
    return;
  }
  if ((v->n_findings + 1) * 2 > v->ftab_cap && !ftab_grow(v)) {
    v->nomem = true;
    return;
  }
  if (!oci_grow((void **)&v->findings, &v->cap_findings, v->n_findings + 1, sizeof *v->findings)) {
    v->nomem = true;
    return;
  }
  f = &v->findings[v->n_findings];
  memset(f, 0, sizeof *f);
  f->key = key;
  f->f.code = code;
  f->f.severity = sev;
  f->f.digest = oci_strdup(digest);
  f->f.path = oci_strdup(path);
  f->f.message = oci_strdup(msg);
  f->f.image = c.image;
  f->f.platform = c.plat;
  if (!f->f.message || (digest && !f->f.digest) || (path && !f->f.path)) {
    free(f->f.digest);
    free(f->f.path);
    free(f->f.message);
    v->nomem = true;
    return;
  }
  for (h = (size_t)key & (v->ftab_cap - 1); v->ftab[h]; h = (h + 1) & (v->ftab_cap - 1))
    ;
  v->ftab[h] = ++v->n_findings;
}

/* ----------------------------------------------------------- conclusions */

static const char *role_text(const vmissing *m, char *buf, size_t n)
{
  if (m->index >= 0)
    snprintf(buf, n, "%s %ld", m->role, m->index);
  else
    snprintf(buf, n, "%s", m->role);
  return buf;
}

static void conclude_blobs(vstate *v)
{
  for (size_t i = 0; i < v->n_blobs; i++) {
    vblob *b = &v->blobs[i];
    char pathbuf[OCIDIG_DIGEST_STRING_MAX + 8], dbuf[OCIDIG_DIGEST_STRING_MAX];
    const char *path, *digest;
    ocidig_digest d;
    vctx c = {b->image, b->plat};
    if (!b->referenced || !b->present)
      continue;
    path = oci_vblob_member(v, oci_vblob_d(v, b, &d), pathbuf);
    digest = oci_vblob_digest(v, b, dbuf);
    if (b->hash == OCIDIG_HASH_MISMATCH) {
      oci_finding_add(v, c, VF_DIGEST_MISMATCH, digest, path, "the bytes of %s hash to %s; expected %s", path,
                      b->actual ? b->actual : "something else", digest);
    } else if (b->hash == OCIDIG_HASH_UNKNOWN) {
      oci_finding_add(v, c, VF_BLOB_UNREADABLE, digest, path, "%s could not be read: %s", path,
                      b->read_error ? b->read_error : "unknown error");
    }
    if (b->hash != OCIDIG_HASH_UNKNOWN)
      v->r->summary.blobs_checked++;
  }
}

static void conclude_platforms(vstate *v)
{
  bool requested = v->o->matcher != NULL;
  for (size_t pi = 0; pi < v->n_plats; pi++) {
    const vplat *p = &v->plats[pi];
    const vunit *u;
    vctx c = {p->image, (long)pi};
    const char *mdigest, *idigest;
    char mbuf[OCIDIG_DIGEST_STRING_MAX], ibuf[OCIDIG_DIGEST_STRING_MAX];
    if (p->unit == VNONE32)
      continue;
    u = &v->units[p->unit];
    for (size_t k = 0; k < u->n_missing; k++) {
      vblob *b = &v->blobs[u->missing[k].blob];
      if (!b->missing_counted) {
        b->missing_counted = true;
        v->r->summary.blobs_missing++;
      }
    }
    if (!u->n_missing)
      continue;
    mdigest = oci_vblob_digest(v, &v->blobs[u->blob], mbuf);
    idigest = oci_vimage_digest(v, (size_t)p->image, ibuf);
    /* A sparse layout: a platform-filtered export holds only some platforms of an image.
     * An entry of index.json that is absent is the image itself, with or without a
     * platform in its descriptor: blob-missing (issue 17). */
    if (p->platform != VNONE32 && !requested && /* a platform in its descriptor */
        !(u->missing[0].blob == u->blob && oci_streq(mdigest, idigest))) {
      oci_buf b = {0};
      const char *name = v->vimages[p->image].name;
      for (size_t k = 0; k < u->n_missing && k < 8; k++) {
        char role[48], kbuf[OCIDIG_DIGEST_STRING_MAX];
        oci_buf_printf(&b, "%s%s %s", k ? ", " : "", role_text(&u->missing[k], role, sizeof role),
                       oci_vblob_digest(v, &v->blobs[u->missing[k].blob], kbuf));
      }
      if (u->n_missing > 8)
        oci_buf_printf(&b, ", and %zu more", (size_t)u->n_missing - 8);
      if (u->missing[0].blob == u->blob)
        oci_finding_add(
            v, c, VF_IMAGE_INCOMPLETE, mdigest, NULL,
            "platform %s of image %s is absent (its %s %s is not in the layout): the layout holds only some "
            "platforms, as a platform-filtered export does; incomplete, not corrupt",
            oci_vpool_str(v, p->platform) ? oci_vpool_str(v, p->platform) : "?", name ? name : idigest,
            u->is_index ? "index" : "manifest", mdigest);
      else
        oci_finding_add(v, c, VF_IMAGE_INCOMPLETE, mdigest, NULL,
                        "platform %s of image %s is incomplete: %zu of its %zu blobs are not in the layout (%s)",
                        oci_vpool_str(v, p->platform) ? oci_vpool_str(v, p->platform) : "?", name ? name : idigest,
                        (size_t)u->n_missing, (size_t)u->n_blobs, b.s ? b.s : "?");
      oci_buf_free(&b);
      continue;
    }
    for (size_t k = 0; k < u->n_missing; k++) {
      const vmissing *m = &u->missing[k];
      const vblob *b = &v->blobs[m->blob];
      char pathbuf[OCIDIG_DIGEST_STRING_MAX + 8], role[48], dbuf[OCIDIG_DIGEST_STRING_MAX];
      ocidig_digest d;
      const char *path = oci_vblob_member(v, oci_vblob_d(v, b, &d), pathbuf), *digest = oci_vblob_digest(v, b, dbuf);
      role_text(m, role, sizeof role);
      if (m->blob == u->blob)
        oci_finding_add(v, c, VF_BLOB_MISSING, digest, path, "%s %s is not in the layout (no %s)%s", role, digest,
                        path, requested ? ", and the requested platform needs it" : "");
      else
        oci_finding_add(v, c, VF_BLOB_MISSING, digest, path, "%s %s of manifest %s is not in the layout (no %s)",
                        role, digest, mdigest, path);
    }
  }
}

bool oci_verify_whole(const vstate *v)
{
  return !v->scoped && v->root_walked && !oci_layout_list_errors(v->l, NULL, NULL);
}

bool oci_verify_match(vstate *v, const ocidig_matcher *m, const ocidig_platform *p)
{
  bool yes;
  if (ocidig_matcher_test(m, p, &yes, NULL) != OCIDIG_OK)
    v->nomem = true;
  return yes;
}

/* A blob and its digest for sorting: "alg:hex" (its own string) or "alg/hex" (its member's
 * name after "blobs/"); the separator compares as ':' (neither an algorithm's name nor a hex
 * holds one), so both sort as their digests do. */
typedef struct vsorted {
  const char *key;
  vblob *b;
} vsorted;

static int digest_order(const void *a, const void *b)
{
  const unsigned char *x = (const unsigned char *)((const vsorted *)a)->key;
  const unsigned char *y = (const unsigned char *)((const vsorted *)b)->key;
  for (;; x++, y++) {
    int cx = *x == '/' ? ':' : *x, cy = *y == '/' ? ':' : *y;
    if (cx != cy || !cx)
      return cx - cy;
  }
}

/* In the order of their digests, not of the listing: a directory and an archive of one
 * layout list their blobs in different orders and give the same findings. */
static void conclude_unreferenced(vstate *v)
{
  ocidig_verify_summary *s = &v->r->summary;
  vsorted *un;
  size_t n = 0;
  s->unreferenced_checked = oci_verify_whole(v);
  if (!s->unreferenced_checked)
    return;
  for (size_t i = 0; i < v->n_blobs; i++)
    n += v->blobs[i].listed && !v->blobs[i].referenced;
  if (!(un = malloc((n ? n : 1) * sizeof *un))) { /* as many as there are, not one per blob */
    v->nomem = true;
    return;
  }
  n = 0;
  for (size_t i = 0; i < v->n_blobs; i++)
    if (v->blobs[i].listed && !v->blobs[i].referenced) {
      vblob *b = &v->blobs[i];
      un[n].b = b;
      un[n++].key = b->name & VBLOB_OWN ? v->own[b->name & ~VBLOB_OWN] : v->l->members[b->name].path + 6;
    }
  if (n > 1)
    qsort(un, n, sizeof *un, digest_order);
  for (size_t i = 0; i < n; i++) {
    vblob *b = un[i].b;
    char pathbuf[OCIDIG_DIGEST_STRING_MAX + 8], dbuf[OCIDIG_DIGEST_STRING_MAX];
    ocidig_digest d;
    const char *path = oci_vblob_member(v, oci_vblob_d(v, b, &d), pathbuf);
    s->blobs_unreferenced++;
    s->unreferenced_bytes = oci_bytes_add(s->unreferenced_bytes, b->size);
    oci_finding_add(v, LAYOUT_CTX, VF_BLOB_UNREFERENCED, oci_vblob_digest(v, b, dbuf), path,
                    "%s (%lld bytes) is not referenced from %s%s", path, (long long)b->size, oci_vroot_name(v),
                    b->hash == OCIDIG_HASH_MISMATCH ? ", and its bytes do not hash to its name" : "");
  }
  free(un);
}

static void conclude_attestations(vstate *v)
{
  for (size_t i = 0; i < v->n_atts; i++) {
    const vatt *a = &v->atts[i];
    ocidig_digest d;
    size_t bi;
    vctx c = {a->image, -1};
    if (!a->target || !*a->target) {
      oci_finding_add(
          v, c, VF_ATTESTATION_SUBJECT_MISSING, a->digest, NULL,
          "%s is an attestation manifest without a %s annotation; expected the digest of the manifest it attests",
          a->where ? a->where : "?", ANN_REF_DIGEST);
      continue;
    }
    if (ocidig_digest_parse(a->target, strlen(a->target), &d, NULL) != OCIDIG_OK) {
      char *q = oci_quote(a->target, strlen(a->target), 140);
      oci_finding_add(v, c, VF_ATTESTATION_SUBJECT_MISSING, a->digest, NULL,
                      "%s is an attestation manifest whose %s is %s, not a valid digest", a->where ? a->where : "?",
                      ANN_REF_DIGEST, q ? q : "?");
      free(q);
      continue;
    }
    bi = oci_vblob_get(v, &d);
    if (bi != NONE && (v->blobs[bi].described || v->blobs[bi].referenced || oci_vblob_present(v, bi)))
      continue;
    oci_finding_add(
        v, c, VF_ATTESTATION_SUBJECT_MISSING, a->digest, NULL,
        "%s is an attestation manifest for %s, which nothing in the layout describes (no descriptor, no blob)",
        a->where ? a->where : "?", a->target);
  }
}

/* --------------------------------------------------------------- report */

/* The blob table, freed (build_report: before the images take their room). */
static void blobs_free(vstate *v)
{
  for (size_t i = 0; i < v->n_blobs; i++) {
    free(v->blobs[i].actual);
    free(v->blobs[i].read_error);
  }
  free(v->blobs);
  oci_strtab_free(&v->tab);
  free(v->by_member);
  free(v->own);
  free(v->kept);
  v->blobs = NULL;
  v->by_member = NULL;
  v->own = NULL;
  v->kept = NULL;
  v->n_blobs = v->cap_blobs = v->n_by_member = v->n_own = v->cap_own = 0;
}

static int finding_order(const void *a, const void *b)
{
  const vfinding *x = a, *y = b;
  if (x->f.image != y->f.image)
    return x->f.image < y->f.image ? -1 : 1;
  if (x->f.platform != y->f.platform)
    return x->f.platform < y->f.platform ? -1 : 1;
  /* key holds the insertion order here */
  return x->key < y->key ? -1 : x->key > y->key ? 1 : 0;
}

/* The walk's records become the report's rows.  Memory: the rows (one array of 120 bytes a
 * platform) are made first, while the walk's records are there, with the blob of each
 * digest they name (row_blob, miss_blob); the walk's platform and manifest records go as
 * soon as the rows hold what they said; then the digests become the pool's strings, once
 * each, and the blob table goes before the images take their room (100,000 images: the
 * largest arrays never all at once). */
static void build_report(vstate *v)
{
  ocidig_verify_report *r = v->r;
  struct ocidig_verify_storage *st = r->storage;
  int32_t *local = NULL; /* each walk row's position among its image's rows, -1: none */
  uint32_t *row_blob = NULL, *miss_blob = NULL; /* the blob of each row's manifest, missing blob */
  size_t n_rows = 0, n_missing = 0, n_plats = v->n_plats;
  if (n_plats && !(local = calloc(n_plats, sizeof *local))) {
    v->nomem = true;
    return;
  }
  /* platforms per image: each image's rows side by side in one array (st->platforms), the
   * missing blobs of all in another; their strings are the pool's (no copy).  vimages[i].rows
   * counts image i's rows, then says where they start. */
  for (size_t pi = 0; pi < n_plats; pi++) {
    const vplat *p = &v->plats[pi];
    const vplat_rare *pr = oci_vplat_rare(v, p);
    if (p->image < 0 || (size_t)p->image >= v->n_vimages ||
        (p->unit == VNONE32 && p->again == VNONE32 && !(pr && pr->unverified))) {
      local[pi] = -1;
      continue;
    }
    local[pi] = (int32_t)v->vimages[p->image].rows++;
    n_rows++;
    if (p->again == VNONE32 && p->unit != VNONE32)
      n_missing += v->units[p->unit].n_missing;
  }
  if (n_rows && (!st || !(st->platforms = calloc(n_rows, sizeof *st->platforms)) ||
                 !(row_blob = malloc(n_rows * sizeof *row_blob)) ||
                 (n_missing && (!(st->missing = calloc(n_missing, sizeof *st->missing)) ||
                                !(miss_blob = malloc(n_missing * sizeof *miss_blob)))))) {
    /* out of memory: no rows (the report is dropped) */
    v->nomem = true;
    for (size_t pi = 0; pi < n_plats; pi++)
      local[pi] = -1;
    n_rows = 0;
  }
  for (size_t i = 0, k = 0; i < v->n_vimages; i++) {
    uint32_t n = n_rows ? v->vimages[i].rows : 0;
    v->vimages[i].rows = (uint32_t)k;
    k += n;
  }
  n_missing = 0;
  for (size_t pi = 0; n_rows && pi < n_plats; pi++) {
    const vplat *p = &v->plats[pi];
    const vplat_rare *pr = oci_vplat_rare(v, p);
    const char *platform = oci_vpool_str(v, p->platform), *media_type = oci_vpool_str(v, p->media_type);
    ocidig_verify_platform *op;
    if (local[pi] < 0)
      continue;
    op = &st->platforms[v->vimages[p->image].rows + (size_t)local[pi]];
    row_blob[op - st->platforms] = VNONE32;
    if (pr && pr->unverified) {
      /* a manifest or index whose digest has an unregistered algorithm: cannot be verified */
      op->platform = (char *)platform;
      op->platform_source = platform ? "descriptor" : NULL;
      op->manifest = (char *)pr->unverified;
      op->media_type = (char *)media_type;
      op->is_index = ocidig_media_type_kind(media_type) == OCIDIG_KIND_INDEX;
      op->requested = v->o->matcher != NULL;
      op->complete = false;
      op->n_blobs = 1;
      op->n_unverified = 1;
    } else if (p->again != VNONE32) {
      const vblob *b = &v->blobs[p->again];
      op->platform = (char *)platform;
      op->platform_source = platform ? "descriptor" : NULL;
      row_blob[op - st->platforms] = p->again;
      op->media_type = (char *)media_type;
      op->is_index = true;
      op->walked_already = true;
      op->walked_image = b->index_image;
      op->requested = v->o->matcher != NULL;
      op->complete = b->index_complete;
    } else {
      const vunit *u = &v->units[p->unit];
      const char *config_platform = oci_vpool_str(v, u->config_platform);
      op->platform = (char *)(platform ? platform : config_platform);
      op->platform_source = platform ? "descriptor" : config_platform ? "config" : NULL;
      row_blob[op - st->platforms] = u->blob;
      op->media_type = (char *)media_type;
      op->attestation_of = (char *)(pr ? pr->attestation_of : NULL);
      op->is_index = u->is_index;
      op->requested = v->o->matcher != NULL;
      /* complete: every blob there, and the manifest and its config usable (as ls says) */
      op->complete = u->n_missing == 0 && u->n_unverified == 0 && !u->broken &&
                     v->blobs[u->blob].hash != OCIDIG_HASH_MISMATCH;
      op->n_blobs = u->n_blobs;
      op->n_unverified = u->n_unverified;
      op->size = u->size;
      if (u->n_missing) {
        op->missing = &st->missing[n_missing];
        for (size_t k = 0; k < u->n_missing; k++) {
          miss_blob[n_missing + k] = (uint32_t)u->missing[k].blob;
          op->missing[k].role = u->missing[k].role;
          op->missing[k].index = u->missing[k].index;
          op->missing[k].size = u->missing[k].size;
        }
        op->n_missing = u->n_missing;
        n_missing += u->n_missing;
      }
    }
  }
  /* the walk's platform and manifest records have said what they had to */
  for (size_t i = 0; i < v->n_units; i++)
    free(v->units[i].missing);
  free(v->units);
  free(v->plats);
  free(v->prare);
  v->units = NULL;
  v->plats = NULL;
  v->prare = NULL;
  v->n_units = v->cap_units = v->n_plats = v->cap_plats = v->n_prare = v->cap_prare = 0;
  /* the digests, each once in the pool: the rows', the missing blobs', the images' */
  for (size_t i = 0; i < n_rows; i++)
    if (row_blob[i] != VNONE32)
      st->platforms[i].manifest = (char *)oci_vblob_kept(v, row_blob[i]);
  for (size_t i = 0; n_rows && i < n_missing; i++)
    st->missing[i].digest = (char *)oci_vblob_kept(v, miss_blob[i]);
  for (size_t i = 0; i < v->n_vimages; i++)
    if (v->vimages[i].blob != VNONE32) {
      v->vimages[i].digest = oci_vblob_kept(v, v->vimages[i].blob);
      v->vimages[i].blob = VNONE32;
    }
  free(row_blob);
  free(miss_blob);
  if (!v->o->deep)
    blobs_free(v); /* nothing after asks for a blob (--deep's layer rows are its own, but keep them) */
  if (!v->docker && v->n_vimages) {
    /* the OCI walk's images become the report's, their strings the pool's */
    if (!(r->images = calloc(v->n_vimages, sizeof *r->images))) {
      v->nomem = true;
      free(local);
      return;
    }
    r->n_images = v->n_vimages;
    for (size_t i = 0; i < v->n_vimages; i++) {
      const vimage *im = &v->vimages[i];
      size_t end_row = i + 1 < v->n_vimages ? v->vimages[i + 1].rows : n_rows;
      r->images[i].name = (char *)im->name;
      r->images[i].media_type = (char *)im->media_type;
      r->images[i].digest = (char *)im->digest;
      r->images[i].n_platforms = n_rows ? end_row - im->rows : 0;
      r->images[i].platforms = r->images[i].n_platforms ? &st->platforms[im->rows] : NULL;
    }
    free(v->vimages);
    v->vimages = NULL;
    v->n_vimages = v->cap_vimages = 0;
  }
  for (size_t i = 0; i < r->n_images; i++) {
    ocidig_verify_image *im = &r->images[i];
    im->complete = im->digest != NULL; /* an entry whose digest is not usable: not verified */
    for (size_t k = 0; k < im->n_platforms; k++)
      im->complete = im->complete && im->platforms[k].complete;
  }
  /* a blob of an image that cannot be verified (an unregistered algorithm): not complete */
  for (size_t i = 0; i < v->n_findings; i++)
    if (v->findings[i].f.code == oci_vcode_get(VF_UNSUPPORTED_DIGEST_ALGORITHM)->code && v->findings[i].f.image >= 0 &&
        (size_t)v->findings[i].f.image < r->n_images)
      r->images[v->findings[i].f.image].complete = false;
  /* findings: the layout first, then by image and platform, else in the order found */
  for (size_t i = 0; i < v->n_findings; i++) {
    vfinding *f = &v->findings[i];
    if (f->f.platform >= 0 && (size_t)f->f.platform < n_plats)
      f->f.platform = local[f->f.platform];
    else
      f->f.platform = -1;
    if (f->f.image >= (long)r->n_images)
      f->f.image = -1;
    f->key = i;
  }
  free(local);
  if (v->n_findings > 1) /* qsort(NULL, 0, ...) is undefined: UBSan stops every clean verify */
    qsort(v->findings, v->n_findings, sizeof *v->findings, finding_order);
  r->findings = calloc(v->n_findings ? v->n_findings : 1, sizeof *r->findings);
  if (!r->findings) {
    v->nomem = true;
    return;
  }
  for (size_t i = 0; i < v->n_findings; i++) {
    ocidig_finding *f = &r->findings[i];
    *f = v->findings[i].f;
    memset(&v->findings[i].f, 0, sizeof v->findings[i].f);
    if (f->image >= 0) {
      ocidig_verify_image *im = &r->images[f->image];
      if (f->severity == OCIDIG_SEVERITY_ERROR)
        im->n_errors++;
      else if (f->severity == OCIDIG_SEVERITY_WARNING)
        im->n_warnings++;
      if (f->platform >= 0 && (size_t)f->platform < im->n_platforms) {
        if (f->severity == OCIDIG_SEVERITY_ERROR)
          im->platforms[f->platform].n_errors++;
        else if (f->severity == OCIDIG_SEVERITY_WARNING)
          im->platforms[f->platform].n_warnings++;
      }
    }
  }
  r->n_findings = v->n_findings;
  v->n_findings = 0;
}

static void vstate_free(vstate *v)
{
  blobs_free(v);
  free(v->prare);
  free(v->vimages);
  for (size_t i = 0; i < v->n_units; i++)
    free(v->units[i].missing);
  free(v->units);
  free(v->plats);
  for (size_t i = 0; i < v->n_atts; i++) {
    free(v->atts[i].target);
    free(v->atts[i].where);
    free(v->atts[i].digest);
  }
  free(v->atts);
  for (size_t i = 0; i < v->n_findings; i++) {
    free(v->findings[i].f.digest);
    free(v->findings[i].f.path);
    free(v->findings[i].f.message);
  }
  free(v->findings);
  free(v->ftab);
  oci_verify_docker_free(v);
  oci_verify_deep_free(v);
  oci_vpool_free(&v->pool);
}

/* ------------------------------------------------------------ public API */

const char *ocidig_severity_name(ocidig_severity s)
{
  switch (s) {
  case OCIDIG_SEVERITY_ERROR:
    return "error";
  case OCIDIG_SEVERITY_WARNING:
    return "warning";
  default:
    return "info";
  }
}

/* ocidig_verify: every digest, size and rule of a layout.
 *
 * The order of work:
 *  1. the listing (ocidig_layout_entries): links, special members, unsafe names,
 *     duplicate members, names under blobs/ that are not digests; an archive opened with
 *     OCIDIG_OPEN_HASH_BLOBS has hashed every blob while it streamed by;
 *  2. oci-layout and index.json;
 *  3. the scope: everything reachable from index.json, or (--ref, --platform) the entries
 *     and manifests ocidig_resolve picks for each image;
 *  4. the walk: every index and manifest document is read, parsed and checked, every
 *     descriptor type-checked, every blob looked up (presence, size);
 *  5. hashing what the walk did not read: a directory's blobs on a small pthread pool,
 *     each file streamed in chunks (memory stays bounded whatever the sizes);
 *  6. digests, missing blobs (per image and platform: a platform-filtered export is
 *     "incomplete", not corrupt, unless --platform asked for it), unreferenced blobs,
 *     attestations.
 *
 * A docker save archive (manifest.json, no index.json: docker save before Docker 25,
 * containers/image docker-archive) carries no registry manifest; steps 2 to 6 become:
 * manifest.json (JSON, shape), each image's config (present, hashing to the digest its name
 * claims, the image ID; JSON; rootfs.diff_ids), each layer file (present, symbolic links
 * inside the archive followed as docker_archive.c follows them; every byte hashed against
 * the digest its name carries and against its diff_id: docker save layers are stored
 * uncompressed), repositories against RepoTags, and the files nothing refers to.  In the
 * report an image's digest is its image ID and its one platform has no manifest.  A hybrid
 * (index.json and manifest.json: Docker 25+, ctr export) is verified through index.json;
 * where manifest.json disagrees with it is a warning. */
ocidig_code ocidig_verify(ocidig_layout *layout, const ocidig_verify_options *opts, ocidig_verify_report **out,
                          ocidig_error *err)
{
  static const ocidig_verify_options no_opts;
  static char linux_os[] = "linux", amd64[] = "amd64";
  ocidig_platform default_host = {.os = linux_os, .architecture = amd64};
  vstate v = {0};
  ocidig_verify_report *r;
  ocidig_layout_format format = OCIDIG_FORMAT_NONE;
  ocidig_code rc;
  oci_attached_table *sig_table = NULL;
  oci_sig_checks sig_checks = {0};

  OCI_REQUIRE(out, "out", err);
  *out = NULL;
  OCI_REQUIRE(layout, "the layout", err);
  if (!(r = calloc(1, sizeof *r)) || !(r->storage = calloc(1, sizeof *r->storage))) {
    free(r);
    return oci_nomem(err);
  }
  *out = r;
  v.l = layout;
  v.o = opts ? opts : &no_opts;
  v.r = r;
  v.host = v.o->host ? v.o->host : &default_host;
  v.scoped = v.o->matcher || v.o->ref;
  r->source = oci_strdup(layout->path);
  r->archive = layout->is_archive;
  r->strict = v.o->strict;
  r->ref = oci_strdup(v.o->ref);
  if (v.o->matcher)
    r->request = ocidig_platform_format(ocidig_matcher_request(v.o->matcher));

  r->format = ocidig_layout_format_name(OCIDIG_FORMAT_NONE);
  rc = oci_verify_listing(&v);
  if (rc == OCIDIG_OK && (rc = oci_verify_root(&v, &format)) == OCIDIG_OK) {
    r->format = ocidig_layout_format_name(format);
    v.docker = format == OCIDIG_FORMAT_DOCKER_ARCHIVE;
    /* containers/image dir: read through the view like an OCI layout: its synthesized index,
     * its files named by hex */
    if (format == OCIDIG_FORMAT_CIMAGE_DIR) {
      ocidig_error e;
      if ((rc = oci_view_get(layout, &v.view, &e)) == OCIDIG_OK) {
        v.foreign = true;
        oci_vforeign_listing(&v);
      } else if (rc == OCIDIG_ERR_NOMEM) {
        v.nomem = true;
        rc = OCIDIG_OK;
      } else {
        r->error = e;
      }
    }
  }
  /* the signatures attached, verified before the walk reads its documents in scratch */
  if (rc == OCIDIG_OK && !v.docker && format != OCIDIG_FORMAT_NONE &&
      oci_verify_signatures_check(&v, &sig_table, &sig_checks) == OCIDIG_ERR_NOMEM)
    v.nomem = true;
  if (rc == OCIDIG_OK && v.docker)
    rc = oci_verify_walk_docker(&v);
  else if (rc == OCIDIG_OK)
    rc = oci_verify_walk_root(&v);
  /* --deep: the layers read inside (their blobs' hashes from the same read) */
  if (rc == OCIDIG_OK && v.o->deep)
    rc = oci_verify_deep(&v, &r->error);
  else
    oci_vdeep_pass_done(&v); /* no deep verify: the layers the pass read are let go */
  if (!v.docker && (rc == OCIDIG_OK || rc == OCIDIG_ERR_MISSING_INDEX_JSON)) {
    oci_verify_hash_pending(&v);
    conclude_blobs(&v);
    conclude_platforms(&v);
    if (rc == OCIDIG_OK)
      conclude_unreferenced(&v);
    conclude_attestations(&v);
  }
  if (rc == OCIDIG_OK && format == OCIDIG_FORMAT_HYBRID)
    oci_verify_compare_hybrid(&v);
  r->summary.bytes_hashed = v.bytes_hashed;
  /* what the walk read is in the records now: its documents (a root index of 100,000
   * descriptors: 20 MB) make room for the report's rows */
  oci_layout_release_caches(layout, OCI_RELEASE_GRAPH | OCI_RELEASE_KEPT);
  oci_heap_trim();
  build_report(&v);
  oci_verify_deep_report(&v);
  if (!oci_verify_signatures_conclude(&v, sig_table, &sig_checks))
    v.nomem = true;
  oci_attached_table_free(sig_table);
  free(sig_checks.v);
  if (v.docker)
    for (size_t i = 0; i < r->n_images; i++)
      if (r->images[i].n_platforms == 1) {
        /* one platform per image: what concerns the image concerns it */
        r->images[i].platforms[0].n_errors = r->images[i].n_errors;
        r->images[i].platforms[0].n_warnings = r->images[i].n_warnings;
      }
  if (rc == OCIDIG_OK && v.nomem)
    rc = oci_nomem(&r->error);
  if (v.docker) {
    /* a docker save's rows are made one by one (docker_rules.c), each string its own */
    free(r->storage);
    r->storage = NULL;
  } else {
    /* the strings of the rows stay where the verification kept them */
    r->storage->pool = v.pool;
    memset(&v.pool, 0, sizeof v.pool);
  }
  vstate_free(&v);
  if (rc != OCIDIG_OK && err)
    *err = r->error;
  if (rc == OCIDIG_ERR_NOMEM) {
    /* What was found before memory ran out is no account of the layout (a document not
     * parsed leaves its blobs unreferenced, ...): no report, as ocidig.h says. */
    ocidig_verify_report_free(r);
    *out = NULL;
  }
  return rc;
}

void ocidig_verify_report_free(ocidig_verify_report *r)
{
  if (!r)
    return;
  for (size_t i = 0; i < r->n_layers; i++) {
    free(r->layers[i].digest);
    free(r->layers[i].media_type);
    free(r->layers[i].skipped);
    free(r->layers[i].diff_id);
  }
  free(r->layers);
  free(r->source);
  free(r->request);
  free(r->ref);
  for (size_t i = 0; i < r->n_findings; i++) {
    free(r->findings[i].digest);
    free(r->findings[i].path);
    free(r->findings[i].message);
  }
  free(r->findings);
  free(r->signatures);
  if (r->storage) {
    /* the rows' strings and arrays are the storage's */
    free(r->storage->platforms);
    free(r->storage->missing);
    oci_vpool_free(&r->storage->pool);
    free(r->storage);
    free(r->images);
    free(r);
    return;
  }
  for (size_t i = 0; i < r->n_images; i++) {
    ocidig_verify_image *im = &r->images[i];
    for (size_t k = 0; k < im->n_platforms; k++) {
      ocidig_verify_platform *p = &im->platforms[k];
      free(p->platform);
      free(p->manifest);
      free(p->media_type);
      free(p->attestation_of);
      for (size_t j = 0; j < p->n_missing; j++)
        free(p->missing[j].digest);
      free(p->missing);
    }
    free(im->platforms);
    free(im->name);
    free(im->digest);
    free(im->media_type);
  }
  free(r->images);
  free(r);
}

int ocidig_verify_exit_status(const ocidig_verify_report *r, bool fail_on_warning)
{
  if (!r)
    return 3;
  if (r->error.code != OCIDIG_OK)
    return ocidig_code_exit_status(r->error.code);
  if (r->summary.errors) {
    /* Only what could not be read (resolve's io-error) is 3, as in every command; one
     * integrity error, or findings the report dropped, make it 4. */
    if (r->summary.findings_dropped)
      return 4;
    for (size_t i = 0; i < r->n_findings; i++)
      if (r->findings[i].severity == OCIDIG_SEVERITY_ERROR &&
          strcmp(r->findings[i].code, oci_vcode_get(VF_BLOB_UNREADABLE)->code) &&
          strcmp(r->findings[i].code, oci_vcode_get(VF_LISTING_UNREADABLE)->code))
        return 4;
    return 3;
  }
  if (fail_on_warning && r->summary.warnings)
    return 4;
  if (r->trust_given && r->images_unsigned)
    return 6; /* policy not met: integrity errors win (above) */
  return 0;
}
