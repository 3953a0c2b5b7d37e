/* walk.c: the walk of the documents: index.json, then every index and manifest it reaches (read,
 * parsed, checked, each descriptor type-checked, each blob looked up for presence and size),
 * manifests once whoever points at them, indexes once (cycles, nesting). */
#include "verify.h"

#include "graph.h"

/* The layout's graph; NULL when out of memory (v->nomem). */
static oci_graph *graph(vstate *v)
{
  oci_graph *g;
  ocidig_error e;
  if (oci_graph_get(v->l, &g, &e) != OCIDIG_OK) {
    v->nomem = true;
    return NULL;
  }
  return g;
}

/* A document the graph read through d: what it says of its bytes.  Bytes that passed their
 * checks are not hashed again; a read error is the blob's; size and digest are the blob
 * checks' to report.  Returns whether the content was read (n->parsed). */
static bool node_read(vstate *v, vctx c, const oci_gnode *n, const oci_gdesc *d, size_t bi, const char *path)
{
  vblob *b = &v->blobs[bi];
  oci_vcode code;
  if (n->code == OCIDIG_ERR_NOMEM) {
    v->nomem = true;
    return false;
  }
  if (n->parsed) {
    if (n->code != OCIDIG_ERR_SIZE_MISMATCH && n->code != OCIDIG_ERR_DIGEST_MISMATCH && !oci_gdesc_inline_ok(d) &&
        b->hash == OCIDIG_HASH_UNKNOWN && !b->unreadable) {
      b->hash = OCIDIG_HASH_OK;
      if (!b->hashed_here) {
        b->hashed_here = true;
        v->bytes_hashed = oci_bytes_add(v->bytes_hashed, b->size);
      }
    }
    return true;
  }
  code = oci_vcode_of(n->code);
  if (code == VF_BLOB_UNREADABLE) {
    if (!b->read_error && !(b->read_error = oci_strdup(oci_str(n->message))))
      v->nomem = true;
  } else if (code != VF_BLOB_MISSING && code != VF_SIZE_MISMATCH && code != VF_DIGEST_MISMATCH) {
    char dbuf[OCIDIG_DIGEST_STRING_MAX];
    oci_finding_add(v, c, code, oci_vblob_digest(v, b, dbuf), path, "%s", oci_str(n->message));
  }
  return false;
}

bool oci_vdoc_parse(vstate *v, vctx c, const uint8_t *data, size_t len, const char *what, const char *digest,
                    const char *path, oci_json_doc *doc)
{
  ocidig_error e;
  ocidig_code rc = oci_json_parse(data, len, what, doc, &e);
  return oci_vdoc_check(v, c, rc, &e, what, digest, path, doc);
}

bool oci_vdoc_check(vstate *v, vctx c, ocidig_code rc, const ocidig_error *e, const char *what, const char *digest,
                    const char *path, const oci_json_doc *doc)
{
  if (rc != OCIDIG_OK) {
    if (rc == OCIDIG_ERR_NOMEM)
      v->nomem = true;
    oci_finding_add(v, c, rc == OCIDIG_ERR_JSON_TOO_LARGE ? VF_JSON_TOO_LARGE : VF_INVALID_JSON, digest, path, "%s",
                    e->message);
    return false;
  }
  if (doc->n_dup_keys) {
    oci_buf b = {0};
    for (size_t i = 0; i < doc->n_dup_keys; i++) {
      oci_buf_puts(&b, i ? ", \"" : "\"");
      oci_buf_quote(&b, doc->dup_keys[i], strlen(doc->dup_keys[i]) > 80 ? 80 : strlen(doc->dup_keys[i]));
      oci_buf_puts(&b, "\"");
    }
    oci_finding_add(
        v, c, VF_JSON_DUPLICATE_KEY, digest, path,
        "%s: key%s %s appear%s more than once in one object; containerd takes the last one, other parsers may "
        "not (expected unique keys)",
        what, doc->n_dup_keys > 1 ? "s" : "", b.s ? b.s : "?", doc->n_dup_keys > 1 ? "" : "s");
    oci_buf_free(&b);
  }
  return true;
}

/* The children of an index as the graph read them (leniently): each digest described, each
 * attestation noted for later.  Verify's descriptor of each is made when it is looked at (one
 * at a time: 100,000 entries of index.json are not copied). */
static void index_children(vstate *v, vctx c, const oci_gnode *n, const char *what)
{
  for (size_t i = 0; i < n->n_lenient_children; i++) {
    vdesc kd;
    oci_vkid(v, n->lenient_children, i, what, &kd);
    if (kd.digest_ok) {
      size_t bi = oci_vblob_get(v, &kd.d);
      if (bi != NONE)
        v->blobs[bi].described = true;
    }
    if (kd.ref_type && !strcmp(kd.ref_type, "attestation-manifest") &&
        oci_grow((void **)&v->atts, &v->cap_atts, v->n_atts + 1, sizeof *v->atts)) {
      vatt *a = &v->atts[v->n_atts++];
      a->target = oci_strdup(oci_str(kd.ref_digest));
      a->where = oci_strdup(kd.where);
      a->digest = oci_strdup(kd.digest);
      a->image = c.image;
    }
    oci_vdesc_clear(&kd);
  }
}

/* ------------------------------------------------------------------ walk */

const vplat_rare *oci_vplat_rare(const vstate *v, const vplat *p)
{
  return p->rare == VNONE32 ? NULL : &v->prare[p->rare];
}

const char *oci_vimage_digest(const vstate *v, size_t i, char *buf)
{
  const vimage *im = &v->vimages[i];
  if (im->digest || im->blob == VNONE32)
    return im->digest;
  return oci_vblob_digest(v, &v->blobs[im->blob], buf);
}

static size_t new_unit(vstate *v, size_t bi, bool is_index)
{
  vunit *u;
  if (v->n_units >= VNONE32 - 1 || !oci_grow((void **)&v->units, &v->cap_units, v->n_units + 1, sizeof *v->units)) {
    v->nomem = true;
    return NONE;
  }
  u = &v->units[v->n_units];
  memset(u, 0, sizeof *u);
  u->blob = (uint32_t)bi;
  u->config_platform = VNONE32;
  u->is_index = is_index;
  return v->n_units++;
}

static void unit_add(vstate *v, size_t ui, size_t bi, const char *role, long index, const vdesc *d, bool present)
{
  vunit *u;
  if (ui == NONE)
    return;
  u = &v->units[ui];
  u->n_blobs++;
  if (d->size_ok)
    u->size = oci_size_add(u->size, d->size);
  if (present)
    return;
  {
    vmissing *m = realloc(u->missing, (u->n_missing + 1) * sizeof *m);
    if (!m) {
      v->nomem = true;
      return;
    }
    u->missing = m;
    m[u->n_missing++] = (vmissing){bi, role, index, d->size_ok ? d->size : -1};
  }
}

/* A blob of the unit whose digest has an unregistered algorithm (gd->digest_code): it cannot
 * be verified, so the unit is not complete; counted apart from present and missing. */
static bool unit_unverified(vstate *v, size_t ui, const oci_gdesc *gd, const vdesc *d)
{
  if (gd->digest_code != OCIDIG_ERR_UNSUPPORTED_DIGEST_ALGORITHM)
    return false;
  if (ui != NONE) {
    v->units[ui].n_blobs++;
    v->units[ui].n_unverified++;
    if (d->size_ok)
      v->units[ui].size = oci_size_add(v->units[ui].size, d->size);
  }
  return true;
}

/* The rare strings of row pi, made on first use (NULL: out of memory). */
static vplat_rare *plat_rare(vstate *v, size_t pi)
{
  vplat *p = &v->plats[pi];
  if (p->rare == VNONE32) {
    if (v->n_prare >= VNONE32 - 1 || !oci_grow((void **)&v->prare, &v->cap_prare, v->n_prare + 1, sizeof *v->prare)) {
      v->nomem = true;
      return NULL;
    }
    memset(&v->prare[v->n_prare], 0, sizeof *v->prare);
    p->rare = (uint32_t)v->n_prare++;
  }
  return &v->prare[p->rare];
}

static size_t new_plat(vstate *v, long image, const vdesc *d)
{
  vplat *p;
  size_t pi;
  if (v->n_plats >= VNONE32 - 1 || !oci_grow((void **)&v->plats, &v->cap_plats, v->n_plats + 1, sizeof *v->plats)) {
    v->nomem = true;
    return NONE;
  }
  pi = v->n_plats++;
  p = &v->plats[pi];
  memset(p, 0, sizeof *p);
  p->image = (int32_t)image;
  p->unit = VNONE32;
  p->again = VNONE32;
  p->rare = VNONE32;
  p->platform = VNONE32;
  if (d->has_platform) {
    char *text = oci_vdesc_platform_text(d);
    if (!text)
      v->nomem = true;
    else
      p->platform = oci_vpool_intern_id(v, text);
    free(text);
  }
  p->media_type = oci_vpool_intern_id(v, d->media_type);
  if (d->ref_type && !strcmp(d->ref_type, "attestation-manifest")) {
    vplat_rare *r = plat_rare(v, pi);
    if (r && !(r->attestation_of = oci_vpool_keep(v, d->ref_digest ? d->ref_digest : "")))
      v->nomem = true;
  }
  return pi;
}

/* A walked reference: presence and size.  true when the blob is present. */
static bool check_ref(vstate *v, vctx c, const vdesc *d, size_t bi)
{
  vblob *b = &v->blobs[bi];
  char pathbuf[OCIDIG_DIGEST_STRING_MAX + 8], dbuf[OCIDIG_DIGEST_STRING_MAX];
  const char *path;
  ocidig_digest dd;
  if (!b->referenced) {
    b->referenced = true;
    b->image = (int32_t)c.image;
    b->plat = (int32_t)c.plat;
  }
  if (!oci_vblob_present(v, bi))
    return false;
  b = &v->blobs[bi];
  path = oci_vblob_member(v, oci_vblob_d(v, b, &dd), pathbuf);
  if (d->size_ok && !b->unreadable && d->size != b->size)
    oci_finding_add(v, c, VF_SIZE_MISMATCH, oci_vblob_digest(v, b, dbuf), path,
                    "%s is %lld bytes, but the descriptor (%s) says %lld", path, (long long)b->size, d->where,
                    (long long)d->size);
  return true;
}

static bool same_platform(const vstate *v, const ocidig_platform *a, const ocidig_platform *b)
{
  ocidig_platform na = {0}, nb = {0};
  bool same;
  if (ocidig_platform_normalize(a, v->host, &na, NULL) != OCIDIG_OK ||
      ocidig_platform_normalize(b, v->host, &nb, NULL) != OCIDIG_OK) {
    ocidig_platform_clear(&na);
    ocidig_platform_clear(&nb);
    return true;
  }
  same = oci_streq(na.os, nb.os) && oci_streq(na.architecture, nb.architecture) &&
         (!na.variant || !nb.variant || oci_streq(na.variant, nb.variant));
  ocidig_platform_clear(&na);
  ocidig_platform_clear(&nb);
  return same;
}

/* An image config, read through the graph (once per layout, as every command reads it): what
 * the graph finds wrong with it is a finding through oci_vcode_of, except what the blob
 * checks report (absent, size, digest: conclude_blobs).  A config that fails its checks gives
 * no platform: its bytes are not trusted.  Its platform against the manifest's descriptor. */
static void check_config(vstate *v, vctx c, const vdesc *md, const vdesc *cd, const oci_gdesc *gd, size_t cbi,
                         size_t ui)
{
  char what[OCIDIG_DIGEST_STRING_MAX + 16], pathbuf[OCIDIG_DIGEST_STRING_MAX + 8];
  const char *path;
  const oci_gnode *n;
  const ocidig_platform *p;
  oci_graph *g;
  ocidig_error e;
  vblob *b;
  snprintf(what, sizeof what, "config %s", cd->digest);
  path = oci_vblob_member(v, &cd->d, pathbuf);
  if (!(g = graph(v)))
    return;
  if (oci_graph_config(g, gd, &n, &e) != OCIDIG_OK) {
    if (ui != NONE)
      v->units[ui].broken = true;
    if (e.code == OCIDIG_ERR_NOMEM)
      v->nomem = true;
    else
      oci_finding_add(v, c, oci_vcode_of(e.code), cd->digest, path, "%s: %s", what, e.message);
    return;
  }
  b = &v->blobs[cbi];
  if (n->code == OCIDIG_ERR_NOMEM) {
    v->nomem = true;
    return;
  }
  oci_vshapes_report(v, c, n, cd->digest, path); /* the config's fields, each on its own */
  if (n->code != OCIDIG_OK) {
    oci_vcode code = oci_vcode_of(n->code);
    if (ui != NONE && code != VF_BLOB_MISSING)
      v->units[ui].broken = true;
    if (code == VF_BLOB_UNREADABLE) {
      if (!b->read_error && !(b->read_error = oci_strdup(oci_str(n->message))))
        v->nomem = true;
    } else if (code != VF_BLOB_MISSING && code != VF_SIZE_MISMATCH && code != VF_DIGEST_MISMATCH) {
      oci_finding_add(v, c, code, cd->digest, path, "%s", oci_str(n->message));
    }
    return;
  }
  /* read whole and checked (size, digest): not hashed again */
  if (b->hash == OCIDIG_HASH_UNKNOWN && !b->unreadable) {
    b->hash = OCIDIG_HASH_OK;
    if (!b->hashed_here) {
      b->hashed_here = true;
      v->bytes_hashed = oci_bytes_add(v->bytes_hashed, b->size);
    }
  }
  oci_vdup_keys(v, c, what, n->dup_keys, n->n_dup_keys, cd->digest, path);
  if (!(p = n->platform))
    return;
  if ((p->os || p->architecture) && ui != NONE && v->units[ui].config_platform == VNONE32) {
    char *text = ocidig_platform_format(p);
    if (!text)
      v->nomem = true;
    else
      v->units[ui].config_platform = oci_vpool_intern_id(v, text);
    free(text);
  }
  if (md->has_platform && p->os && p->architecture && !same_platform(v, &md->platform, p)) {
    char *x = ocidig_platform_format(&md->platform), *y = ocidig_platform_format(p);
    oci_finding_add(v, c, VF_CONFIG_PLATFORM_MISMATCH, cd->digest, path,
                    "%s: the index lists manifest %s for %s, but its config says %s", what, md->digest, x ? x : "?",
                    y ? y : "?");
    free(x);
    free(y);
  }
}

static void walk_manifest(vstate *v, vctx c, const vdesc *md, const oci_gdesc *gd, size_t bi, size_t ui)
{
  char what[OCIDIG_DIGEST_STRING_MAX + 16], pathbuf[OCIDIG_DIGEST_STRING_MAX + 8];
  const char *path;
  const oci_gnode *n;
  oci_graph *g;
  ocidig_error e;
  snprintf(what, sizeof what, "manifest %s", md->digest);
  path = oci_vblob_member(v, &md->d, pathbuf);
  if (!(g = graph(v)))
    return;
  if (oci_graph_open(g, gd, &n, &e) != OCIDIG_OK) {
    v->nomem = true;
    return;
  }
  /* The manifest is walked once (its unit is memoized): the bytes an archive kept of it are
   * not needed again (100,000 manifests: the 8 MiB kept of them go as they are read).  Not
   * a configuration or a layer, which other images share. */
  if (!v->foreign && (v->released += oci_layout_release_member(v->l, path)) >= OCI_TRIM_AFTER) {
    v->released = 0;
    oci_heap_trim();
  }
  /* usable as every command uses it: read, JSON, kind, its descriptors decode */
  if (n->code != OCIDIG_OK || n->layers_code != OCIDIG_OK || n->config_code != OCIDIG_OK)
    v->units[ui].broken = true;
  if (!node_read(v, c, n, gd, bi, path))
    return;
  oci_vdup_keys(v, c, what, n->dup_keys, n->n_dup_keys, md->digest, path);
  oci_vshapes_report(v, c, n, md->digest, path);
  /* config */
  if (n->lenient_config) {
    vdesc cd;
    char where[OCIDIG_DIGEST_STRING_MAX + 32];
    snprintf(where, sizeof where, "%s config", what);
    oci_vdesc_from(v, n->lenient_config, where, false, &cd);
    if (cd.digest_ok) {
      size_t cbi = oci_vblob_get(v, &cd.d);
      if (cbi != NONE) {
        bool present = check_ref(v, c, &cd, cbi);
        unit_add(v, ui, cbi, "config", -1, &cd, present);
        if (present && cd.media_type &&
            (!strcmp(cd.media_type, MT_OCI_CONFIG) || !strcmp(cd.media_type, MT_DOCKER_CONFIG)))
          check_config(v, c, md, &cd, n->lenient_config, cbi, ui);
      }
    } else {
      unit_unverified(v, ui, n->lenient_config, &cd);
    }
    oci_vdesc_clear(&cd);
  }
  /* layers */
  for (size_t i = 0; i < n->n_lenient_layers; i++) {
    vdesc ld;
    char where[OCIDIG_DIGEST_STRING_MAX + 48];
    size_t lbi;
    snprintf(where, sizeof where, "%s layers[%zu]", what, i);
    oci_vdesc_from(v, &n->lenient_layers[i], where, false, &ld);
    if (ld.digest_ok && (lbi = oci_vblob_get(v, &ld.d)) != NONE) {
      if (ld.foreign && !oci_vblob_present(v, lbi)) {
        char lp[OCIDIG_DIGEST_STRING_MAX + 8];
        v->blobs[lbi].referenced = true;
        /* not a finding, but the layout does not hold the whole image (ls: not complete) */
        v->units[ui].broken = true;
        oci_finding_add(v, c, VF_FOREIGN_LAYER_ABSENT, ld.digest, oci_vblob_member(v, &ld.d, lp),
                        "%s: a non-distributable layer (%s) is not in the layout, as expected; it is fetched from "
                        "its urls",
                        where, oci_str(ld.media_type));
      } else {
        bool present = check_ref(v, c, &ld, lbi);
        unit_add(v, ui, lbi, "layer", (long)i, &ld, present);
      }
    } else if (!ld.digest_ok) {
      unit_unverified(v, ui, &n->lenient_layers[i], &ld);
    }
    oci_vdesc_clear(&ld);
  }
  /* --deep: the layers read inside later (deep.c), each once */
  if (v->o->deep)
    oci_vdeep_manifest(v, c, md->digest, n->lenient_config, n->lenient_layers, n->n_lenient_layers);
  /* subject (OCI 1.1 referrers): checked when present, may point outside the layout */
  if (n->lenient_subject) {
    vdesc sd;
    char where[OCIDIG_DIGEST_STRING_MAX + 32];
    size_t sbi;
    snprintf(where, sizeof where, "%s subject", what);
    oci_vdesc_from(v, n->lenient_subject, where, false, &sd);
    if (sd.digest_ok && (sbi = oci_vblob_get(v, &sd.d)) != NONE) {
      v->blobs[sbi].described = true;
      if (oci_vblob_present(v, sbi))
        check_ref(v, c, &sd, sbi);
    }
    oci_vdesc_clear(&sd);
  }
}

static void visit_child(vstate *v, vctx c, const vdesc *kd, const oci_gdesc *gd, unsigned level);

/* A manifest, or a child of another media type (checked as a blob only). */
static void visit_unit(vstate *v, vctx c, const vdesc *kd, const oci_gdesc *gd, size_t bi, bool manifest)
{
  size_t pi = new_plat(v, c.image, kd), ui;
  bool present;
  if (pi == NONE)
    return;
  c.plat = (long)pi;
  present = check_ref(v, c, kd, bi);
  if (!manifest && oci_media_type_valid(kd->media_type)) {
    /* a well-formed type of another kind (a malformed one is media-type-invalid, an error) */
    char path[OCIDIG_DIGEST_STRING_MAX + 8];
    oci_finding_add(
        v, c, VF_UNKNOWN_MEDIA_TYPE, kd->digest, oci_vblob_member(v, &kd->d, path),
        "%s: media type %s is neither an image index nor an image manifest: its blob is checked, its content "
        "is not",
        kd->where, kd->media_type ? kd->media_type : "(none)");
  }
  if (v->blobs[bi].unit != VNONE32) {
    v->plats[pi].unit = v->blobs[bi].unit;
    return;
  }
  if ((ui = new_unit(v, bi, false)) == NONE)
    return;
  v->blobs[bi].unit = (uint32_t)ui;
  v->plats[pi].unit = (uint32_t)ui;
  unit_add(v, ui, bi, manifest ? "manifest" : "blob", -1, kd, present);
  if (manifest && present)
    walk_manifest(v, c, kd, gd, bi, ui);
}

/* Whether the platforms of rows from..to-1 have all their blobs (an index walked already:
 * its own). */
static bool plats_complete(const vstate *v, size_t from, size_t to)
{
  for (size_t i = from; i < to; i++) {
    const vplat *p = &v->plats[i];
    const vunit *u = p->unit != VNONE32 ? &v->units[p->unit] : NULL;
    const vplat_rare *r = oci_vplat_rare(v, p);
    if ((r && r->unverified) || (p->again != VNONE32 ? !v->blobs[p->again].index_complete
                                           : u && (u->n_missing || u->n_unverified || u->broken ||
                                                   v->blobs[u->blob].hash == OCIDIG_HASH_MISMATCH)))
      return false;
  }
  return true;
}

/* One row that stands for an index (absent, not usable, nested too deep, in a cycle): its
 * platforms are unknown; not complete (as ls shows it, an error row). */
static void index_row(vstate *v, vctx c, const vdesc *kd, size_t bi, bool present)
{
  size_t pi = new_plat(v, c.image, kd), ui;
  if (pi != NONE && (ui = new_unit(v, bi, true)) != NONE) {
    v->plats[pi].unit = (uint32_t)ui;
    unit_add(v, ui, bi, "index", -1, kd, present);
    v->units[ui].broken = present;
  }
}

static void visit_index(vstate *v, vctx c, const vdesc *kd, const oci_gdesc *gd, size_t bi, unsigned level)
{
  char what[OCIDIG_DIGEST_STRING_MAX + 16], pathbuf[OCIDIG_DIGEST_STRING_MAX + 8];
  const char *path;
  size_t first;
  bool walk_kids = false;
  const oci_gnode *n = NULL;
  oci_graph *g;
  ocidig_error e;
  vblob *b = &v->blobs[bi];

  snprintf(what, sizeof what, "index %s", kd->digest);
  path = oci_vblob_member(v, &kd->d, pathbuf);
  if (b->index_state == 1) {
    oci_finding_add(v, c, VF_INDEX_CYCLE, kd->digest, path, "%s contains itself (a cycle through %s)", what, kd->where);
    index_row(v, c, kd, bi, true);
    return;
  }
  if (b->index_state == 2) {
    /* Walked already, on another path or for another entry: its platforms are listed once,
     * where it was walked, and one row here stands for them.  A copy of its rows for each
     * path made a graph whose levels each list the next twice cost 2^depth rows. */
    size_t pi;
    check_ref(v, c, kd, bi);
    if ((pi = new_plat(v, c.image, kd)) != NONE)
      v->plats[pi].again = (uint32_t)bi;
    return;
  }
  if (level > OCIDIG_MAX_INDEX_NESTING) {
    oci_finding_add(v, c, VF_NESTING_TOO_DEEP, kd->digest, path,
                    "%s is nested %u levels deep, more than the limit of %d", what, level, OCIDIG_MAX_INDEX_NESTING);
    index_row(v, c, kd, bi, true);
    return;
  }
  first = v->n_plats;
  if (!check_ref(v, c, kd, bi)) {
    /* Absent: its platforms are unknown; one record stands for it. */
    index_row(v, c, kd, bi, false);
    v->blobs[bi].index_state = 2;
    v->blobs[bi].index_image = (int32_t)c.image;
    v->blobs[bi].index_complete = false;
    return;
  }
  v->blobs[bi].index_state = 1;
  v->blobs[bi].index_image = (int32_t)c.image;
  if ((g = graph(v)) != NULL && oci_graph_open(g, gd, &n, &e) != OCIDIG_OK) {
    v->nomem = true;
    n = NULL;
  }
  if (n && n->code != OCIDIG_OK && n->code != OCIDIG_ERR_NOMEM)
    index_row(v, c, kd, bi, true);
  if (n && node_read(v, c, n, gd, bi, path)) {
    oci_vdup_keys(v, c, what, n->dup_keys, n->n_dup_keys, kd->digest, path);
    oci_vshapes_report(v, c, n, kd->digest, path);
    if (n->n_lenient_children) {
      index_children(v, c, n, what);
      oci_vref_names_check(v, n->lenient_children, n->n_lenient_children, what);
      walk_kids = true;
    }
  }
  for (size_t i = 0; walk_kids && i < n->n_lenient_children; i++) {
    vdesc kid;
    oci_vkid(v, n->lenient_children, i, what, &kid);
    /* --platform keeps what resolve picks; --ref alone keeps all of the entry's platforms */
    if (v->scoped && v->o->matcher) {
      size_t k = kid.digest_ok ? oci_vblob_find(v, kid.digest) : NONE;
      if (k == NONE || !v->blobs[k].scope) {
        oci_vdesc_clear(&kid);
        continue;
      }
    }
    visit_child(v, c, &kid, &n->lenient_children[i], level + 1);
    oci_vdesc_clear(&kid);
  }
  v->blobs[bi].index_state = 2;
  v->blobs[bi].index_complete = plats_complete(v, first, v->n_plats);
}

static void visit_child(vstate *v, vctx c, const vdesc *kd, const oci_gdesc *gd, unsigned level)
{
  size_t bi;
  if (!kd->digest_ok && gd->digest_code == OCIDIG_ERR_UNSUPPORTED_DIGEST_ALGORITHM && gd->digest) {
    /* A manifest or index whose digest has an unregistered algorithm: it cannot be verified
     * (a warning, unsupported-digest-algorithm); one row stands for it, not complete, so that
     * every image reaching it (through an index walked once, too) is not complete. */
    size_t pi = new_plat(v, c.image, kd);
    vplat_rare *r = pi != NONE ? plat_rare(v, pi) : NULL;
    if (r && !(r->unverified = oci_vpool_keep(v, gd->digest)))
      v->nomem = true;
    return;
  }
  if (!kd->digest_ok || (bi = oci_vblob_get(v, &kd->d)) == NONE)
    return;
  switch (ocidig_media_type_kind(kd->media_type)) {
  case OCIDIG_KIND_INDEX:
    visit_index(v, c, kd, gd, bi, level);
    break;
  case OCIDIG_KIND_MANIFEST:
    visit_unit(v, c, kd, gd, bi, true);
    break;
  default:
    visit_unit(v, c, kd, gd, bi, false);
    break;
  }
}

/* index.json through the graph (read as it streams: any number of images).  What cannot be
 * read is missing-index-json, invalid-json, json-too-large, or the verification's error. */
ocidig_code oci_verify_walk_root(vstate *v)
{
  const oci_gnode *root = NULL;
  oci_graph *g;
  ocidig_error e;
  ocidig_code rc;
  bool *is_image, scratch;
  size_t n_kids;
  ocidig_verify_report *r = v->r;
  const char *name = oci_vroot_name(v);

  rc = oci_graph_get(v->l, &g, &e);
  if (rc == OCIDIG_OK)
    rc = oci_graph_root(g, &root, &e);
  if (rc == OCIDIG_ERR_NOMEM) {
    v->nomem = true;
    return rc;
  }
  if (rc == OCIDIG_OK && root->code == OCIDIG_ERR_NOMEM) {
    v->nomem = true;
    return OCIDIG_ERR_NOMEM;
  }
  if (rc == OCIDIG_ERR_MISSING_INDEX_JSON || rc == OCIDIG_ERR_BLOB_MISSING ||
      (rc == OCIDIG_OK && !root->parsed &&
       (root->code == OCIDIG_ERR_BLOB_MISSING || root->code == OCIDIG_ERR_MISSING_INDEX_JSON))) {
    oci_finding_add(v, LAYOUT_CTX, VF_MISSING_INDEX_JSON, NULL, "index.json",
                    "the layout has no index.json: not an OCI image layout");
    return oci_fail(&r->error, OCIDIG_ERR_MISSING_INDEX_JSON, "%s: no index.json: not an OCI image layout", v->l->path);
  }
  if (rc != OCIDIG_OK) {
    r->error = e;
    return rc;
  }
  if (!root->parsed) {
    if (root->code == OCIDIG_ERR_INVALID_JSON || root->code == OCIDIG_ERR_JSON_TOO_LARGE) {
      oci_finding_add(v, LAYOUT_CTX, oci_vcode_of(root->code), NULL, name, "%s", oci_str(root->message));
      return OCIDIG_OK;
    }
    oci_fail(&r->error, root->code, "%s", oci_str(root->message));
    return root->code;
  }
  oci_vdup_keys(v, LAYOUT_CTX, name, root->dup_keys, root->n_dup_keys, NULL, name);
  oci_vshapes_report(v, LAYOUT_CTX, root, NULL, name);
  if (!root->lenient_children && !root->walkable)
    return OCIDIG_OK;
  n_kids = root->n_lenient_children;
  index_children(v, LAYOUT_CTX, root, name);
  v->root_walked = true;
  oci_vref_names_check(v, root->lenient_children, n_kids, name);

  if (!(is_image = calloc(n_kids ? n_kids : 1, sizeof *is_image))) {
    v->nomem = true;
    return OCIDIG_ERR_NOMEM;
  }
  rc = oci_verify_scope(v, root->lenient_children, n_kids, name, is_image);
  if (rc == OCIDIG_OK) {
    size_t k = 0;
    for (size_t i = 0; i < n_kids; i++)
      k += is_image[i];
    /* one platform and one manifest for each image, at least */
    oci_vreserve((void **)&v->plats, &v->cap_plats, k, sizeof *v->plats);
    oci_vreserve((void **)&v->units, &v->cap_units, k, sizeof *v->units);
    if (k >= VNONE32 || !oci_vreserve((void **)&v->vimages, &v->cap_vimages, k ? k : 1, sizeof *v->vimages)) {
      v->nomem = true;
      rc = OCIDIG_ERR_NOMEM;
    }
  }
  /* Each image's manifests and configs are read in the graph's scratch (graph.h): what the
   * walk keeps of them is its own (blob, manifest and platform records, strings in the
   * pool), so memory is one image's documents, not every manifest of the layout.  Not from
   * standard input, which cannot be read again. */
  scratch = strcmp(oci_layout_path(v->l), "-") != 0;
  /* Every image in scope: an archive read again from its start is told the walk's
   * documents ahead, in its order (a pass for every few megabytes, not one each). */
  if (rc == OCIDIG_OK && scratch && !v->o->ref && !v->o->matcher && oci_graph_announce_walk(g, &r->error) != OCIDIG_OK) {
    v->nomem = true;
    rc = OCIDIG_ERR_NOMEM;
  }
  for (size_t i = 0; rc == OCIDIG_OK && i < n_kids; i++) {
    vimage *im;
    vdesc kid;
    vctx c;
    if (!is_image[i])
      continue;
    oci_vkid(v, root->lenient_children, i, name, &kid);
    /* the image's strings are the report's, in the pool (ocidig_verify_report.storage);
     * its digest is its blob's (made into the report's string after the walk) */
    im = &v->vimages[v->n_vimages];
    memset(im, 0, sizeof *im);
    im->blob = VNONE32;
    im->name = oci_vpool_keep(v, oci_vdesc_image_name(&kid));
    im->media_type = oci_vpool_intern(v, kid.media_type);
    c.image = (long)v->n_vimages++;
    c.plat = -1;
    /* The entry itself is always in scope. */
    if (kid.digest_ok) {
      size_t bi = oci_vblob_get(v, &kid.d);
      if (bi != NONE) {
        char dbuf[OCIDIG_DIGEST_STRING_MAX];
        v->blobs[bi].scope = true;
        if (!strcmp(oci_vblob_digest(v, &v->blobs[bi], dbuf), kid.digest))
          im->blob = (uint32_t)bi;
      }
    }
    if (kid.digest && im->blob == VNONE32)
      im->digest = oci_vpool_keep(v, kid.digest);
    else if (im->blob == VNONE32 && root->lenient_children[i].digest_code == OCIDIG_ERR_UNSUPPORTED_DIGEST_ALGORITHM)
      im->digest = oci_vpool_keep(v, root->lenient_children[i].digest); /* as written: not verified */
    if (scratch)
      oci_graph_scratch_begin(g);
    visit_child(v, c, &kid, &root->lenient_children[i], 1);
    if (scratch)
      oci_graph_scratch_end(g);
    oci_vdesc_clear(&kid);
  }
  free(is_image);
  return rc;
}
