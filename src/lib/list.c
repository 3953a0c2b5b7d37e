/* list.c: what a layout holds, for `ocidig ls` (ocidig_list, ocidig_listing_to_json): each
 * entry of the root index (index.json, or the index a view synthesized: a docker save's
 * images, containers/image dir: folders) with its platforms, whether each is complete,
 * attestations beside them; blobs counted once for the footer (shared, missing,
 * unreferenced); with a platform, what resolving each entry selects (resolve --ref over the
 * same view).  Documents come from the graph (graph.h), checked as every command checks
 * them: an error of a document a row needs (its manifest, its config) is the row's error.
 * The formats differ only in wording read from the view: a docker save image has no
 * registry manifest and is shown by its image ID (oci_view_docker_image_of).
 *
 * Made one image at a time (ocidig_layout_list_each): each image's documents are read in
 * the graph's scratch and its rows handed out and freed before the next, so that what is
 * kept across images is only what the footer needs: the blobs met (a compact set, keys the
 * graph's index strings where they can be) and the warnings (list_warnings_merge). */
#include "attached.h"
#include "image.h"
#include "layout.h"

typedef struct blobinfo {
  const char *key; /* the digest: a string of the graph's that outlives the listing (an index's
                    * child), or a copy (owned), or "file:<path>" (owned) */
  int64_t size;
  /* the last row (or image, for indexes) that referenced it, +1, modulo 2^32: two rows of one
   * blob 2^32 rows apart, with none between, would be taken for one (24 bytes a blob) */
  uint32_t last_ref;
  uint8_t refs : 2;       /* rows that reference it: 0, 1, 2 (two or more) */
  uint8_t unverified : 1; /* its digest has an unregistered algorithm: cannot be verified */
  bool owned;
  bool present;
  bool synth; /* a document the view synthesized (no file: not counted) */
} blobinfo;

/* At most this many distinct warnings, then one line saying how many more there were (as
 * resolve does): 20,000 images each resolving to another platform give one line each. */
#define LIST_MAX_WARNINGS 100

/* The warnings come in the order they would had every image been walked before the next
 * step (the walks' warnings, then the format's, then the resolutions'): each step logs its
 * own, merged at the end (list_warnings_merge): the first LIST_MAX_WARNINGS distinct kept,
 * the calls past them counted.  A log keeps its first distinct ones with how often each
 * came and, of the calls past those, only a hash (not the text). */
typedef struct wlog {
  char **v;
  size_t *count;
  size_t n;
  size_t *over;
  size_t n_over, cap_over;
} wlog;

enum { LOG_WALK, LOG_FORMAT, LOG_RESOLVE, LOG_N };

typedef struct lctx {
  ocidig_layout *layout;
  const ocidig_list_options *opts;
  ocidig_listing *out; /* the listing's head and summary (images: NULL, n_images: the count) */
  ocidig_list_image_fn fn;
  void *fn_ctx;
  oci_graph *g;
  oci_view *v;
  oci_strtab blobs; /* key -> index into info */
  blobinfo *info;
  size_t n_info, cap_info;
  size_t next_ref;
  oci_entries *entries; /* for list_resolve */
  wlog logs[LOG_N];
  unsigned log;    /* where list_warn writes */
  bool warn_nomem; /* a warning could not be logged */
  /* the manifests the current image's rows were read from, for manifest.json's RepoTags (hybrid) */
  const oci_gnode **mrows;
  size_t n_mrows, cap_mrows;
  oci_attached_table *attached; /* what is attached to what (attached.h), made once */
} lctx;

/* false: out of memory */
static bool wlog_add(wlog *w, const char *s)
{
  for (size_t i = 0; i < w->n; i++)
    if (!strcmp(w->v[i], s)) {
      w->count[i]++;
      return true;
    }
  if (w->n < LIST_MAX_WARNINGS) {
    size_t *cnt = realloc(w->count, (w->n + 1) * sizeof *cnt);
    if (!cnt)
      return false;
    w->count = cnt;
    cnt[w->n] = 1;
    return oci_strv_push(&w->v, &w->n, s);
  }
  if (!oci_grow((void **)&w->over, &w->cap_over, w->n_over + 1, sizeof *w->over))
    return false;
  w->over[w->n_over++] = oci_str_hash(s);
  return true;
}

static void wlog_free(wlog *w)
{
  oci_strv_free(w->v, w->n);
  free(w->count);
  free(w->over);
  memset(w, 0, sizeof *w);
}

static void list_warn(lctx *c, const char *fmt, ...) OCI_PRINTF(2, 3);
static void list_warn(lctx *c, const char *fmt, ...)
{
  char buf[OCIDIG_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (!wlog_add(&c->logs[c->log], buf))
    c->warn_nomem = true;
}

/* The logs, in their order, into out->warnings: what one list filled call by call would
 * hold (the first distinct ones), and how many calls found it full and without theirs. */
static bool list_warnings_merge(lctx *c, size_t *dropped)
{
  ocidig_listing *out = c->out;
  size_t hashes[LIST_MAX_WARNINGS];
  *dropped = 0;
  for (unsigned k = 0; k < LOG_N; k++) {
    const wlog *w = &c->logs[k];
    for (size_t i = 0; i < w->n; i++) {
      bool had = false;
      for (size_t j = 0; j < out->n_warnings && !had; j++)
        had = !strcmp(out->warnings[j], w->v[i]);
      if (had)
        continue;
      if (out->n_warnings >= LIST_MAX_WARNINGS)
        *dropped += w->count[i];
      else if (!oci_strv_push(&out->warnings, &out->n_warnings, w->v[i]))
        return false;
    }
    /* past a full log: the list is full too (its first distinct ones are in it or found it full) */
    for (size_t j = 0; w->n_over && j < out->n_warnings; j++)
      hashes[j] = oci_str_hash(out->warnings[j]);
    for (size_t i = 0; i < w->n_over; i++) {
      bool had = false;
      for (size_t j = 0; j < out->n_warnings && !had; j++)
        had = hashes[j] == w->over[i];
      *dropped += !had;
    }
  }
  return true;
}

static const char *blob_key(const void *ctx, size_t i)
{
  return ((const lctx *)ctx)->info[i].key;
}

static bool blob_noted(const lctx *c, const char *key)
{
  return oci_strtab_find(&c->blobs, key, blob_key, c) != OCI_STRTAB_NONE;
}

/* The indexes already expanded for one image, by digest (the strings are the graph's). */
typedef struct dset {
  const char **v;
  size_t n, cap;
  oci_strtab tab;
} dset;

static const char *dset_key(const void *ctx, size_t i)
{
  return ((const dset *)ctx)->v[i];
}

/* Adds digest; *had: it was there already.  false: out of memory. */
static bool dset_add(dset *s, const char *digest, bool *had)
{
  *had = oci_strtab_find(&s->tab, digest, dset_key, s) != OCI_STRTAB_NONE;
  if (*had)
    return true;
  if (!oci_grow((void **)&s->v, &s->cap, s->n + 1, sizeof *s->v))
    return false;
  s->v[s->n] = digest;
  if (!oci_strtab_put(&s->tab, s->n, dset_key, s, false))
    return false;
  s->n++;
  return true;
}

static void dset_free(dset *s)
{
  free(s->v);
  oci_strtab_free(&s->tab);
}

/* Counts a blob for the footer; `present`/`size` are computed when first met.  With d, key
 * is d's digest: kept as it is when d is an index's child (stable: indexes live as long as
 * the layout), else copied (a manifest's config and layers are read in scratch and freed
 * with it).  Without d, a file's key ("file:<path>", "sha256:<hex>"), copied. */
static blobinfo *note_blob(lctx *c, const char *key, const oci_gdesc *d, bool stable, const char *file, size_t ref,
                           ocidig_error *err)
{
  size_t i;
  blobinfo *b;
  if (!key)
    return NULL;
  if ((i = oci_strtab_find(&c->blobs, key, blob_key, c)) == OCI_STRTAB_NONE) {
    if (!oci_grow((void **)&c->info, &c->cap_info, c->n_info + 1, sizeof *c->info)) {
      oci_nomem(err);
      return NULL;
    }
    i = c->n_info;
    b = &c->info[i];
    memset(b, 0, sizeof *b);
    b->owned = !(d && stable);
    b->key = b->owned ? oci_strdup(key) : key;
    if (!b->key || !oci_strtab_put(&c->blobs, i, blob_key, c, false)) {
      if (b->owned)
        free((char *)b->key);
      oci_nomem(err);
      return NULL;
    }
    c->n_info++;
    if (d) {
      ocidig_digest dg;
      bool nomem = false;
      b->synth = oci_gdesc_digest(d, &dg) && oci_view_blob_synthesized(c->v, &dg);
      b->present = oci_gdesc_present(c->v, d, &b->size, &nomem);
      b->unverified = d->digest_code == OCIDIG_ERR_UNSUPPORTED_DIGEST_ALGORITHM;
      if (nomem) {
        oci_nomem(err);
        return NULL;
      }
      if (!b->present)
        b->size = d->size;
    } else {
      ocidig_entry e;
      b->present = file && ocidig_layout_stat(c->layout, file, &e, NULL) == OCIDIG_OK;
      b->size = b->present ? e.size : 0;
    }
  }
  b = &c->info[i];
  if (b->last_ref != (uint32_t)(ref + 1)) {
    b->refs += b->refs < 2;
    b->last_ref = (uint32_t)(ref + 1);
  }
  return b;
}

static ocidig_list_row *new_row(ocidig_list_image *img, ocidig_error *err)
{
  ocidig_list_row *r = realloc(img->rows, (img->n_rows + 1) * sizeof *r);
  if (!r) {
    oci_nomem(err);
    return NULL;
  }
  img->rows = r;
  r = &r[img->n_rows++];
  memset(r, 0, sizeof *r);
  r->size = 0;
  return r;
}

/* ls --lock: d appended to a row's or an image's blobs when the caller asked for them (a
 * document the view synthesized has no file: left out).  false: out of memory. */
static bool add_blob(const lctx *c, ocidig_list_blob **v, size_t *n, const oci_gdesc *d, const blobinfo *b)
{
  ocidig_list_blob *x;
  if (!c->opts->blobs || !d->digest || !b || b->synth)
    return true;
  if (!(x = realloc(*v, (*n + 1) * sizeof *x)))
    return false;
  *v = x;
  x = &x[*n];
  memset(x, 0, sizeof *x);
  x->size = d->size;
  x->present = b->present;
  if (!(x->digest = oci_strdup(d->digest)) || (d->media_type && !(x->media_type = oci_strdup(d->media_type)))) {
    free(x->digest);
    return false;
  }
  (*n)++;
  return true;
}

static void blobs_free(ocidig_list_blob *v, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(v[i].digest);
    free(v[i].media_type);
  }
  free(v);
}

static ocidig_code row_error(ocidig_list_row *row, ocidig_code code, const char *msg, ocidig_error *err)
{
  row->code = code;
  if (!(row->error = oci_strdup(msg)))
    return oci_nomem(err);
  return OCIDIG_OK;
}

/* Is the only problem of the manifest's layers digests of an unregistered algorithm?  Such a
 * layer cannot be verified (the row is not complete), but ls does not need it: not an error
 * (the rule of resolve, which stops only where its walk needs the blob). */
static bool layers_only_unverified(const oci_gnode *n)
{
  if (n->layers_code != OCIDIG_ERR_UNSUPPORTED_DIGEST_ALGORITHM)
    return false;
  for (size_t i = 0; i < n->n_shapes; i++)
    if (n->shapes[i].slot < OCI_SHAPE_SUBJECT && n->shapes[i].code != OCI_SHAPE_UNSUPPORTED_DIGEST_ALGORITHM)
      return false;
  return true;
}

static ocidig_code list_manifest(lctx *c, ocidig_list_image *img, const oci_gdesc *d, ocidig_error *err)
{
  ocidig_list_row *row = new_row(img, err);
  size_t ref = c->next_ref++;
  const char *att;
  const oci_gnode *n = NULL, *cn;
  blobinfo *b;
  ocidig_code rc;
  bool needs_platform;
  if (!row)
    return OCIDIG_ERR_NOMEM;
  if ((!(row->manifest = oci_strdup(d->digest)) && d->digest) ||
      (!(row->media_type = oci_strdup(d->media_type)) && d->media_type))
    return oci_nomem(err);
  if (ocidig_media_type_kind(d->media_type) == OCIDIG_KIND_OTHER)
    row->other = true;
  if (d->platform) {
    if (!(row->platform = ocidig_platform_format(d->platform)))
      return oci_nomem(err);
    row->platform_source = "descriptor";
  }
  att = oci_gdesc_annotation(d, ANN_REF_TYPE);
  if (att && !strcmp(att, "attestation-manifest")) {
    const char *t = oci_gdesc_annotation(d, ANN_REF_DIGEST);
    if (!(row->attestation_of = oci_strdup(t ? t : "")))
      return oci_nomem(err);
  }
  row->n_blobs = 1;
  if (!(b = note_blob(c, d->digest, d, true, NULL, ref, err)) && d->digest)
    return OCIDIG_ERR_NOMEM;
  if (!add_blob(c, &row->blob_list, &row->n_blob_list, d, b))
    return oci_nomem(err);
  if (d->digest_code == OCIDIG_ERR_UNSUPPORTED_DIGEST_ALGORITHM) {
    /* the manifest is needed to list it (as resolve needs it): an error, not a missing blob */
    row->n_unverified++;
    return row_error(row, d->digest_code, "its digest's algorithm is not supported: it cannot be verified", err);
  }
  if (d->digest_code != OCIDIG_OK) {
    row->n_missing++;
    return row_error(row, OCIDIG_ERR_INVALID_DIGEST, "not a valid digest", err);
  }
  if (!row->other) {
    if ((rc = oci_graph_open(c->g, d, &n, err)) != OCIDIG_OK)
      return rc;
    if (!oci_grow((void **)&c->mrows, &c->cap_mrows, c->n_mrows + 1, sizeof *c->mrows))
      return oci_nomem(err);
    c->mrows[c->n_mrows++] = n;
  }
  row->present = n ? n->code != OCIDIG_ERR_BLOB_MISSING : (b && b->present);
  if (!row->present)
    row->n_missing++;
  if (!n) {
    row->complete = row->present;
    return OCIDIG_OK;
  }
  if (n->code != OCIDIG_OK)
    return row->present ? row_error(row, n->code, n->message, err) : OCIDIG_OK;
  if (!n->config && n->config_code == OCIDIG_ERR_INVALID_JSON)
    return row_error(row, n->config_code, oci_str(n->config_message), err); /* a config that is no descriptor */
  if (n->layers_code != OCIDIG_OK && !layers_only_unverified(n) &&
      row_error(row, n->layers_code, oci_str(n->layers_message), err) != OCIDIG_OK)
    return OCIDIG_ERR_NOMEM; /* a layer that does not decode: the row's size and blobs are not known */
  if (n->config) {
    row->n_blobs++;
    if (!(row->image_id = oci_strdup(n->config->digest)) && n->config->digest)
      return oci_nomem(err);
    if (!(b = note_blob(c, n->config->digest, n->config, false, NULL, ref, err)) && n->config->digest)
      return OCIDIG_ERR_NOMEM;
    if (!add_blob(c, &row->blob_list, &row->n_blob_list, n->config, b))
      return oci_nomem(err);
    if (!b || !b->present)
      row->n_missing++;
    /* The config is read and checked as resolve and verify read it: a corrupt one is an
     * error of the row, and nothing is shown from its bytes.  Its JSON is held to the rules
     * only where its platform is needed (no descriptor platform, not an attestation). */
    needs_platform = !row->platform && !row->attestation_of;
    if ((rc = oci_graph_config(c->g, n->config, &cn, err)) != OCIDIG_OK)
      return rc;
    if (cn->code == OCIDIG_OK && needs_platform && cn->platform &&
        (cn->platform->os || cn->platform->architecture)) {
      if (!(row->platform = ocidig_platform_format(cn->platform)))
        return oci_nomem(err);
      row->platform_source = "config";
    } else if (cn->code != OCIDIG_OK && cn->code != OCIDIG_ERR_BLOB_MISSING &&
               (needs_platform || (cn->code != OCIDIG_ERR_INVALID_JSON && cn->code != OCIDIG_ERR_JSON_TOO_LARGE)) &&
               row_error(row, cn->code, oci_str(cn->message), err) != OCIDIG_OK) {
      return OCIDIG_ERR_NOMEM;
    }
  }
  for (size_t i = 0; i < n->n_layers; i++) {
    const oci_gdesc *ly = &n->layers[i];
    row->n_blobs++;
    row->size = oci_size_add(row->size, ly->size);
    if (!(b = note_blob(c, ly->digest, ly, false, NULL, ref, err)) && ly->digest)
      return OCIDIG_ERR_NOMEM;
    if (!add_blob(c, &row->blob_list, &row->n_blob_list, ly, b))
      return oci_nomem(err);
    if (ly->digest_code == OCIDIG_ERR_UNSUPPORTED_DIGEST_ALGORITHM)
      row->n_unverified++;
    else if (!b || !b->present)
      row->n_missing++;
  }
  row->complete = row->n_missing == 0 && row->n_unverified == 0 && row->code == OCIDIG_OK;
  return OCIDIG_OK;
}

/* Walks an index.json entry down to its manifests.  `seen`: the nested indexes already
 * expanded for this image (a DAG is walked once per index, not once per path). */
static ocidig_code list_walk(lctx *c, ocidig_list_image *img, const oci_gdesc *d, size_t image_ref,
                             const char **stack, unsigned depth, dset *seen, ocidig_error *err)
{
  const oci_gnode *n = NULL;
  ocidig_list_row *row;
  ocidig_code rc;
  if (ocidig_media_type_kind(d->media_type) != OCIDIG_KIND_INDEX)
    return list_manifest(c, img, d, err);
  const blobinfo *ib = NULL;
  if (d->digest && !(ib = note_blob(c, d->digest, d, true, NULL, image_ref, err)))
    return OCIDIG_ERR_NOMEM;
  for (unsigned i = 0; i < depth && d->digest; i++)
    if (!strcmp(stack[i], d->digest)) {
      list_warn(c, "index %s contains itself (a cycle)", d->digest);
      return OCIDIG_OK;
    }
  if (d->digest_code == OCIDIG_OK && depth < OCIDIG_MAX_INDEX_NESTING &&
      (rc = oci_graph_open(c->g, d, &n, err)) != OCIDIG_OK)
    return rc;
  if (!n || n->code != OCIDIG_OK) {
    bool nomem = false;
    if (!(row = new_row(img, err)))
      return OCIDIG_ERR_NOMEM;
    row->is_index = true;
    row->n_blobs = 1;
    if (!add_blob(c, &row->blob_list, &row->n_blob_list, d, ib))
      return oci_nomem(err);
    row->present = n ? n->code != OCIDIG_ERR_BLOB_MISSING : oci_gdesc_present(c->v, d, NULL, &nomem);
    if (nomem)
      return oci_nomem(err);
    row->n_missing = !row->present;
    if (!(row->manifest = oci_strdup(d->digest)) && d->digest)
      return oci_nomem(err);
    if (!(row->media_type = oci_strdup(d->media_type)) && d->media_type)
      return oci_nomem(err);
    if (d->platform && !(row->platform = ocidig_platform_format(d->platform)))
      return oci_nomem(err);
    if (n && n->code != OCIDIG_ERR_BLOB_MISSING)
      return row_error(row, n->code, n->message, err);
    if (!n && d->digest_code != OCIDIG_OK)
      return row_error(row, OCIDIG_ERR_INVALID_DIGEST, "not a valid digest", err);
    if (!n)
      return row_error(row, OCIDIG_ERR_NESTING_TOO_DEEP, "nested too deep", err);
    return OCIDIG_OK;
  }
  {
    bool had;
    if (!dset_add(seen, n->digest, &had))
      return oci_nomem(err);
    if (had)
      return OCIDIG_OK;
  }
  if (!add_blob(c, &img->index_blobs, &img->n_index_blobs, d, ib))
    return oci_nomem(err);
  stack[depth] = n->digest;
  for (size_t i = 0; i < n->n_children; i++)
    if ((rc = list_walk(c, img, &n->children[i], image_ref, stack, depth + 1, seen, err)) != OCIDIG_OK)
      return rc;
  return OCIDIG_OK;
}

static void list_image_clear(ocidig_list_image *img)
{
  free(img->name);
  oci_strv_free(img->names, img->n_names);
  free(img->digest);
  free(img->media_type);
  free(img->error);
  for (size_t i = 0; i < img->n_rows; i++) {
    ocidig_list_row *r = &img->rows[i];
    free(r->platform);
    free(r->manifest);
    free(r->media_type);
    free(r->image_id);
    free(r->attestation_of);
    free(r->error);
    blobs_free(r->blob_list, r->n_blob_list);
  }
  free(img->rows);
  blobs_free(img->index_blobs, img->n_index_blobs);
  ocidig_attached_free(img->attached, img->n_attached);
}

void ocidig_listing_free(ocidig_listing *l)
{
  if (!l)
    return;
  free(l->request);
  for (size_t i = 0; l->images && i < l->n_images; i++) /* a summary: n_images, no images */
    list_image_clear(&l->images[i]);
  free(l->images);
  oci_strv_free(l->warnings, l->n_warnings);
  free(l);
}

static ocidig_code finish_image(ocidig_list_image *img, ocidig_error *err)
{
  oci_buf b = {0};
  img->complete = img->n_rows > 0;
  for (size_t i = 0; i < img->n_rows; i++)
    img->complete = img->complete && img->rows[i].complete;
  for (size_t i = 0; i < img->n_names; i++)
    oci_buf_printf(&b, "%s%s", i ? ", " : "", img->names[i]);
  if (!img->n_names)
    oci_buf_puts(&b, oci_str(img->digest));
  if (!(img->name = oci_buf_take(&b))) {
    oci_buf_free(&b);
    return oci_nomem(err);
  }
  return OCIDIG_OK;
}

/* With a matcher: what an index.json entry resolves to. */
static ocidig_code list_resolve(lctx *c, ocidig_list_image *img, ocidig_error *err)
{
  ocidig_resolution *r = NULL;
  char *ref = oci_sprintf("@%s", oci_str(img->digest));
  ocidig_resolve_options ro = {.matcher = c->opts->matcher, .host = c->opts->host, .ref = ref};
  if (!ref)
    return oci_nomem(err);
  /* index.json once for all images, not once for each (N images cost N^2). */
  if (!c->entries && !(c->entries = oci_entries_load(c->layout))) {
    free(ref);
    return oci_nomem(err);
  }
  oci_resolve_entry(c->layout, &ro, c->entries, &r, NULL);
  free(ref);
  if (!r)
    return oci_nomem(err);
  img->outcome = r->outcome;
  /* What resolve --ref says of this image, warnings included: a root manifest is selected
   * whatever its platform, with a warning when it does not match (doc/resolution.md §5.3). */
  for (size_t i = 0; i < r->n_warnings; i++)
    list_warn(c, "%s", r->warnings[i]);
  if (r->outcome == OCIDIG_OUTCOME_SELECTED) {
    bool found = false;
    for (size_t i = 0; i < img->n_rows && !found; i++)
      if (!img->rows[i].attestation_of &&
          oci_streq(img->rows[i].manifest ? img->rows[i].manifest : img->rows[i].image_id, r->selected.digest_string))
        img->rows[i].selected = found = true;
  } else if (r->outcome == OCIDIG_OUTCOME_ERROR) {
    img->code = r->error.code;
    img->error = oci_strdup(r->error.message);
  }
  ocidig_resolution_free(r);
  return OCIDIG_OK;
}

/* A docker save image (the synthesized manifest of a manifest.json entry): no registry
 * manifest, so the image and its row are shown by the image ID (its config's digest), as
 * resolve shows it (oci_docker_present). */
static ocidig_code docker_wording(lctx *c, ocidig_list_image *img, ocidig_error *err)
{
  ocidig_digest d;
  ocidig_list_row *row = img->n_rows == 1 ? &img->rows[0] : NULL;
  if (!img->digest || ocidig_digest_parse(img->digest, strlen(img->digest), &d, NULL) != OCIDIG_OK ||
      oci_view_docker_image_of(c->v, &d) == (size_t)-1 || !row)
    return OCIDIG_OK;
  free(img->digest);
  free(img->media_type);
  free(row->media_type);
  free(row->manifest);
  row->manifest = NULL;
  img->digest = row->image_id ? oci_strdup(row->image_id) : NULL;
  img->media_type = oci_strdup(OCIDIG_MT_DOCKER_CONFIG);
  row->media_type = oci_strdup(OCIDIG_MT_DOCKER_CONFIG);
  if ((row->image_id && !img->digest) || !img->media_type || !row->media_type)
    return oci_nomem(err);
  /* the row counts the config and the layers: the manifest is the view's, not a file */
  if (row->n_blobs)
    row->n_blobs--;
  return OCIDIG_OK;
}

/* A hybrid (manifest.json beside index.json): the RepoTags of the manifest.json entries
 * that describe a row's manifest (its config and its layers: a config alone may be shared
 * by the images of one export) name the row's image too. */
static ocidig_code hybrid_names(lctx *c, ocidig_list_image *img, ocidig_error *err)
{
  ocidig_digest *layers = NULL;
  size_t cap = 0;
  ocidig_code rc = OCIDIG_OK;
  for (size_t k = 0; k < c->n_mrows && rc == OCIDIG_OK; k++) {
    const oci_gnode *n = c->mrows[k];
    ocidig_digest cfg;
    char **tags = NULL;
    size_t n_tags = 0, nl = 0;
    if (!n || n->code != OCIDIG_OK || !n->config || !oci_gdesc_digest(n->config, &cfg))
      continue;
    if (!oci_grow((void **)&layers, &cap, n->n_layers + 1, sizeof *layers)) {
      rc = oci_nomem(err);
      break;
    }
    for (size_t i = 0; i < n->n_layers; i++)
      if (oci_gdesc_digest(&n->layers[i], &layers[nl]))
        nl++;
    if (nl != n->n_layers)
      continue;
    if ((rc = oci_view_repo_tags_for(c->v, &cfg, layers, nl, &tags, &n_tags, err)) != OCIDIG_OK) {
      if (rc != OCIDIG_ERR_NOMEM)
        rc = OCIDIG_OK; /* an unreadable manifest.json: warned (oci_docker_hybrid_notes) */
      break;
    }
    rc = oci_names_merge(&img->names, &img->n_names, tags, n_tags, err);
    oci_strv_free(tags, n_tags);
  }
  free(layers);
  return rc;
}

/* The entries of the root that share a digest are one image, at the first of them (with
 * the names of all): next[i] is the next entry of i's digest (SIZE_MAX: none), later[i]
 * says that an earlier one has it.  Sorted positions, not a copy of the strings. */
typedef struct same_digest {
  const oci_gdesc *kids;
  size_t *next;
  uint8_t *later;
} same_digest;

typedef struct same_pos {
  const char *digest;
  size_t pos;
} same_pos;

static int same_cmp(const void *a, const void *b)
{
  const same_pos *x = a, *y = b;
  int r = strcmp(x->digest, y->digest);
  return r ? r : (x->pos > y->pos) - (x->pos < y->pos);
}

static bool same_digest_init(same_digest *s, const oci_gnode *root)
{
  size_t n = root->n_children;
  same_pos *order;
  s->kids = root->children;
  s->next = malloc((n ? n : 1) * sizeof *s->next);
  s->later = calloc(n ? n : 1, 1);
  order = malloc((n ? n : 1) * sizeof *order);
  if (!s->next || !s->later || !order) {
    free(order);
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    order[i] = (same_pos){oci_str(s->kids[i].digest), i};
    s->next[i] = SIZE_MAX;
  }
  if (n > 1)
    qsort(order, n, sizeof *order, same_cmp);
  for (size_t i = 1; i < n; i++)
    if (!strcmp(order[i - 1].digest, order[i].digest)) {
      s->next[order[i - 1].pos] = order[i].pos;
      s->later[order[i].pos] = 1;
    }
  free(order);
  return true;
}

static void same_digest_free(same_digest *s)
{
  free(s->next);
  free(s->later);
}

/* One image: the root's entry i and those of its digest after it. */
static ocidig_code list_image(lctx *c, const same_digest *same, size_t i, ocidig_list_image *img,
                              ocidig_error *err)
{
  const char *stack[OCIDIG_MAX_INDEX_NESTING + 2];
  const oci_gdesc *d = &same->kids[i];
  ocidig_code rc;
  dset seen = {0};
  if ((!(img->digest = oci_strdup(d->digest)) && d->digest) ||
      (!(img->media_type = oci_strdup(d->media_type)) && d->media_type))
    return oci_nomem(err);
  {
    oci_strset names;
    bool ok = true;
    oci_strset_init(&names, &img->names, &img->n_names);
    for (size_t k = i; k != SIZE_MAX && ok; k = same->next[k])
      ok = oci_entry_names_add(&same->kids[k], &names);
    oci_strset_free(&names);
    if (!ok)
      return oci_nomem(err);
  }
  c->n_mrows = 0;
  c->log = LOG_WALK;
  rc = list_walk(c, img, d, c->next_ref++, stack, 0, &seen, err);
  dset_free(&seen);
  if (rc != OCIDIG_OK)
    return rc;
  if (c->out->format == OCIDIG_FORMAT_HYBRID && (rc = hybrid_names(c, img, err)) != OCIDIG_OK)
    return rc;
  if ((rc = docker_wording(c, img, err)) != OCIDIG_OK || (rc = finish_image(img, err)) != OCIDIG_OK)
    return rc;
  {
    /* what is attached to the image or to one of its platform manifests */
    const char **kids = img->n_rows ? calloc(img->n_rows, sizeof *kids) : NULL;
    if (img->n_rows && !kids)
      return oci_nomem(err);
    for (size_t k = 0; k < img->n_rows; k++)
      kids[k] = img->rows[k].manifest;
    rc = oci_attached_table_get(c->attached, img->digest, kids, img->n_rows, &img->attached, &img->n_attached, err);
    free(kids);
    if (rc != OCIDIG_OK)
      return rc;
  }
  for (size_t k = 0; k < img->n_rows; k++)
    c->out->n_errors += img->rows[k].code != OCIDIG_OK;
  c->log = LOG_RESOLVE;
  if (c->opts->matcher && (rc = list_resolve(c, img, err)) != OCIDIG_OK)
    return rc;
  return OCIDIG_OK;
}

/* Every image of the root, one at a time: made, handed to c->fn, freed.  Each image's
 * manifests and configs are read in the graph's scratch (graph.h), so that memory is one
 * image's documents and the compact blob set, not the layout's; unless the layout is read
 * from standard input, which cannot be read again: there what is read is kept. */
static ocidig_code list_images(lctx *c, ocidig_error *err)
{
  ocidig_code rc = OCIDIG_OK;
  const oci_gnode *root;
  same_digest same = {0};
  bool scratch = strcmp(oci_layout_path(c->layout), "-") != 0;
  if ((rc = oci_graph_root(c->g, &root, err)) != OCIDIG_OK)
    return rc;
  if (root->code != OCIDIG_OK)
    return oci_fail(err, root->code, "%s", root->message);
  /* An archive read again from its start is told every image's documents ahead, in the
   * walk's order (graph.h): a pass for every few megabytes of them, not one each. */
  if (scratch && (rc = oci_graph_announce_walk(c->g, err)) != OCIDIG_OK)
    return rc;
  if (!same_digest_init(&same, root)) {
    same_digest_free(&same);
    return oci_nomem(err);
  }
  for (size_t i = 0; i < root->n_children && rc == OCIDIG_OK; i++) {
    ocidig_list_image img = {0};
    if (same.later[i])
      continue;
    if (scratch)
      oci_graph_scratch_begin(c->g);
    rc = list_image(c, &same, i, &img, err);
    c->n_mrows = 0;
    if (scratch)
      oci_graph_scratch_end(c->g);
    if (rc == OCIDIG_OK && c->warn_nomem)
      rc = oci_nomem(err);
    if (rc == OCIDIG_OK) {
      c->out->n_images++;
      rc = c->fn(c->fn_ctx, c->out, &img, err);
    }
    list_image_clear(&img);
  }
  same_digest_free(&same);
  return rc;
}

/* Is path a file the format keeps beside its blobs (its own metadata, never a blob)? */
static bool format_metadata(ocidig_layout_format f, const char *path)
{
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  if (!strcmp(path, "index.json") || !strcmp(path, "oci-layout"))
    return true;
  if (f == OCIDIG_FORMAT_DOCKER_ARCHIVE)
    return !strcmp(path, "manifest.json") || !strcmp(path, "repositories") ||
           (slash && (!strcmp(base, "json") || !strcmp(base, "VERSION")));
  if (f == OCIDIG_FORMAT_CIMAGE_DIR)
    return !strcmp(base, "version") || oci_view_cimage_sig_name(path);
  return false;
}

/* Files nothing references: blobs/ for an OCI layout; for a view synthesized from other
 * files (a docker save, containers/image dir:), every file that holds no blob listed and
 * is not the format's metadata (manifest.json, repositories, <id>/json, <id>/VERSION;
 * version, signature-N). */
typedef struct unref_ctx {
  lctx *c;
  bool synthesized;
  ocidig_layout_format format;
  dset members;
} unref_ctx;

static bool unref_entry(void *ctx, const ocidig_entry *e)
{
  unref_ctx *u = ctx;
  ocidig_digest_alg alg;
  const char *hex;
  char key[OCIDIG_MAX_PATH_LENGTH + 8];
  if (e->type != OCIDIG_ENTRY_FILE || e->escapes)
    return true;
  if (u->synthesized) {
    if (format_metadata(u->format, e->path) ||
        oci_strtab_find(&u->members.tab, e->path, dset_key, &u->members) != OCI_STRTAB_NONE)
      return true;
  } else {
    if (!(hex = oci_blob_path_hex(e->path, &alg)))
      return true;
    snprintf(key, sizeof key, "%s:%s", ocidig_digest_alg_name(alg), hex);
    if (blob_noted(u->c, key))
      return true;
  }
  u->c->out->n_unreferenced++;
  u->c->out->unreferenced_bytes = oci_bytes_add(u->c->out->unreferenced_bytes, e->size);
  return true;
}

static ocidig_code count_unreferenced(lctx *c, ocidig_error *err)
{
  unref_ctx u = {.c = c, .synthesized = oci_view_root_synthesized(c->v), .format = oci_view_format(c->v)};
  ocidig_code rc = OCIDIG_OK;
  /* the members that hold the blobs listed (a view names them: <hex>.json, <id>/layer.tar, ...) */
  for (size_t i = 0; u.synthesized && i < c->n_info; i++) {
    ocidig_digest d;
    const char *m;
    char *copy;
    bool had;
    if (ocidig_digest_parse(c->info[i].key, strlen(c->info[i].key), &d, NULL) != OCIDIG_OK ||
        !(m = oci_view_blob_member(c->v, &d, NULL, NULL)))
      continue;
    if (!(copy = oci_strdup(m)) || !dset_add(&u.members, copy, &had)) {
      free(copy);
      rc = oci_nomem(err);
      goto out;
    }
    if (had)
      free(copy);
  }
  /* the entries one at a time (100,000 blobs: no array of them) */
  rc = oci_layout_each_entry(c->layout, unref_entry, &u, err);
out:
  for (size_t i = 0; i < u.members.n; i++)
    free((char *)u.members.v[i]);
  dset_free(&u.members);
  return rc;
}

/* The format's own notes (a hybrid's comparison, what the view met reading a docker save's
 * manifest.json and repositories), after the images as ever. */
static ocidig_code format_notes(lctx *c, ocidig_error *err)
{
  ocidig_code rc;
  c->log = LOG_FORMAT;
  if (c->out->format == OCIDIG_FORMAT_HYBRID) {
    char **w = NULL;
    size_t n_w = 0;
    if ((rc = oci_docker_hybrid_notes(c->v, &w, &n_w, err)) != OCIDIG_OK)
      return rc;
    for (size_t i = 0; i < n_w; i++)
      list_warn(c, "%s", w[i]);
    oci_strv_free(w, n_w);
  } else if (oci_view_root_synthesized(c->v)) {
    const ocidig_docker_archive *a = NULL;
    if ((rc = oci_view_docker_archive(c->v, &a, err)) != OCIDIG_OK)
      return rc;
    for (size_t i = 0; a && i < a->n_warnings; i++)
      list_warn(c, "%s", a->warnings[i]);
  }
  return OCIDIG_OK;
}

/* The listing, image by image to c->fn; the head and the summary in c->out. */
static ocidig_code list_run(lctx *c, ocidig_error *err)
{
  ocidig_code rc;
  size_t dropped = 0;
  /* The view: index.json / manifest.json first, then oci-layout (the order of every
   * command); then the root index, read and checked by the graph. */
  if ((rc = oci_view_get(c->layout, &c->v, err)) != OCIDIG_OK || (rc = oci_graph_get(c->layout, &c->g, err)) != OCIDIG_OK)
    return rc;
  c->out->format = oci_view_format(c->v);
  if (c->opts->matcher && !(c->out->request = ocidig_platform_format(ocidig_matcher_request(c->opts->matcher))))
    return oci_nomem(err);
  if ((rc = oci_attached_table_build(c->layout, false, &c->attached, err)) != OCIDIG_OK ||
      (rc = list_images(c, err)) != OCIDIG_OK || (rc = format_notes(c, err)) != OCIDIG_OK ||
      (rc = count_unreferenced(c, err)) != OCIDIG_OK)
    return rc;
  for (size_t i = 0; i < c->n_info; i++) {
    const blobinfo *b = &c->info[i];
    if (b->synth)
      continue;
    if (b->unverified) {
      c->out->n_unverified++;
      continue;
    }
    if (!b->present) {
      c->out->n_missing++;
      continue;
    }
    c->out->n_blobs++;
    c->out->total_bytes = oci_bytes_add(c->out->total_bytes, b->size);
    if (b->refs > 1) {
      c->out->n_shared++;
      c->out->shared_bytes = oci_bytes_add(c->out->shared_bytes, b->size);
    }
  }
  if (c->warn_nomem || !list_warnings_merge(c, &dropped))
    return oci_nomem(err);
  if (dropped) {
    char buf[64];
    snprintf(buf, sizeof buf, "%zu more warnings not shown", dropped);
    if (!oci_strv_push(&c->out->warnings, &c->out->n_warnings, buf))
      return oci_nomem(err);
  }
  return OCIDIG_OK;
}

ocidig_code ocidig_layout_list_each(ocidig_layout *l, const ocidig_list_options *opts, ocidig_list_image_fn fn,
                                    void *ctx, ocidig_listing **out, ocidig_error *err)
{
  static const ocidig_list_options none = {0};
  lctx c = {.layout = l, .opts = opts ? opts : &none, .fn = fn, .fn_ctx = ctx};
  ocidig_code rc;

  OCI_REQUIRE(out, "out", err);
  *out = NULL;
  OCI_REQUIRE(l, "the layout", err);
  OCI_REQUIRE(fn, "the function", err);
  if (!(c.out = calloc(1, sizeof *c.out)))
    return oci_nomem(err);
  if ((rc = list_run(&c, err)) == OCIDIG_OK) {
    *out = c.out;
    c.out = NULL;
  }
  free(c.mrows);
  oci_attached_table_free(c.attached);
  oci_strtab_free(&c.blobs);
  for (size_t i = 0; i < c.n_info; i++)
    if (c.info[i].owned)
      free((char *)c.info[i].key);
  free(c.info);
  for (unsigned k = 0; k < LOG_N; k++)
    wlog_free(&c.logs[k]);
  oci_entries_free(c.entries);
  ocidig_listing_free(c.out);
  return rc;
}

/* ocidig_list: the images collected into the listing (taken over, not copied). */
typedef struct collect {
  ocidig_list_image *v;
  size_t n, cap;
} collect;

static ocidig_code collect_image(void *ctx, const ocidig_listing *head, ocidig_list_image *img, ocidig_error *err)
{
  collect *k = ctx;
  (void)head;
  if (!oci_grow((void **)&k->v, &k->cap, k->n + 1, sizeof *k->v))
    return oci_nomem(err);
  k->v[k->n++] = *img;
  memset(img, 0, sizeof *img);
  return OCIDIG_OK;
}

ocidig_code ocidig_list(ocidig_layout *l, const ocidig_list_options *opts, ocidig_listing **out, ocidig_error *err)
{
  collect k = {0};
  ocidig_code rc;
  OCI_REQUIRE(out, "out", err);
  *out = NULL;
  OCI_REQUIRE(l, "the layout", err);
  if ((rc = ocidig_layout_list_each(l, opts, collect_image, &k, out, err)) != OCIDIG_OK) {
    for (size_t i = 0; i < k.n; i++)
      list_image_clear(&k.v[i]);
    free(k.v);
    return rc;
  }
  (*out)->images = k.v;
  return OCIDIG_OK;
}
