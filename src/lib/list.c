/* list.c: what a layout holds, for `ocidig ls` (ocidig_list, ocidig_listing_to_json): each
 * entry of the root index (index.json, or the index a view synthesized: a docker save's
 * images, containers/image dir: folders) with its platforms, whether each is complete,
 * attestations beside them; blobs counted once for the footer (shared, missing,
 * unreferenced); with a platform, what resolving each entry selects (resolve --ref over the
 * same view).  Documents come from the graph (graph.h), checked as every command checks
 * them: an error of a document a row needs (its manifest, its config) is the row's error.
 * The formats differ only in wording read from the view: a docker save image has no
 * registry manifest and is shown by its image ID (oci_view_docker_image_of). */
#include "image.h"
#include "layout.h"

typedef struct blobinfo {
  const char *key; /* the digest (the graph's string), or "file:<path>" (owned, below) */
  char *owned;
  int64_t size;
  bool present;
  size_t refs;     /* rows (or images, for indexes) that reference it */
  size_t last_ref; /* the last one, +1 */
  bool synth;      /* a document the view synthesized (no file: not counted) */
} blobinfo;

typedef struct lctx {
  ocidig_layout *layout;
  const ocidig_list_options *opts;
  ocidig_listing *out;
  oci_graph *g;
  oci_view *v;
  oci_strtab blobs; /* key -> index into info */
  blobinfo *info;
  size_t n_info, cap_info;
  size_t next_ref;
  oci_entries *entries; /* for list_resolve */
  size_t dropped_warnings;
  /* the manifests the rows were read from, for manifest.json's RepoTags (hybrid) */
  struct mrow {
    size_t image;
    const oci_gnode *n;
  } *mrows;
  size_t n_mrows, cap_mrows;
} lctx;

/* At most this many distinct warnings, then one line saying how many more there were (as
 * resolve does): 20,000 images each resolving to another platform give one line each. */
#define LIST_MAX_WARNINGS 100

static void list_warn(lctx *c, const char *fmt, ...) OCI_PRINTF(2, 3);
static void list_warn(lctx *c, const char *fmt, ...)
{
  char buf[OCIDIG_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  for (size_t i = 0; i < c->out->n_warnings; i++)
    if (!strcmp(c->out->warnings[i], buf))
      return;
  if (c->out->n_warnings >= LIST_MAX_WARNINGS)
    c->dropped_warnings++;
  else
    oci_strv_add_unique(&c->out->warnings, &c->out->n_warnings, buf);
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
 * is d's digest, kept as it is (the graph's strings live as long as the layout); without,
 * a file's key ("file:<path>", "sha256:<hex>"), copied. */
static blobinfo *note_blob(lctx *c, const char *key, const oci_gdesc *d, const char *file, size_t ref,
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
    b->key = d ? key : (b->owned = oci_strdup(key));
    if (!b->key || !oci_strtab_put(&c->blobs, i, blob_key, c, false)) {
      free(b->owned);
      oci_nomem(err);
      return NULL;
    }
    c->n_info++;
    if (d) {
      ocidig_digest dg;
      bool nomem = false;
      b->synth = oci_gdesc_digest(d, &dg) && oci_view_blob_synthesized(c->v, &dg);
      b->present = oci_gdesc_present(c->v, d, &b->size, &nomem);
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
  if (b->last_ref != ref + 1) {
    b->refs++;
    b->last_ref = ref + 1;
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

static ocidig_code row_error(ocidig_list_row *row, ocidig_code code, const char *msg, ocidig_error *err)
{
  row->code = code;
  if (!(row->error = oci_strdup(msg)))
    return oci_nomem(err);
  return OCIDIG_OK;
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
  if (!(b = note_blob(c, d->digest, d, NULL, ref, err)) && d->digest)
    return OCIDIG_ERR_NOMEM;
  if (d->digest_code != OCIDIG_OK) {
    row->n_missing++;
    return row_error(row, OCIDIG_ERR_INVALID_DIGEST, "not a valid digest", err);
  }
  if (!row->other) {
    if ((rc = oci_graph_open(c->g, d, &n, err)) != OCIDIG_OK)
      return rc;
    if (!oci_grow((void **)&c->mrows, &c->cap_mrows, c->n_mrows + 1, sizeof *c->mrows))
      return oci_nomem(err);
    c->mrows[c->n_mrows].image = (size_t)(img - c->out->images);
    c->mrows[c->n_mrows++].n = n;
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
  if (n->layers_code != OCIDIG_OK && row_error(row, n->layers_code, oci_str(n->layers_message), err) != OCIDIG_OK)
    return OCIDIG_ERR_NOMEM; /* a layer that does not decode: the row's size and blobs are not known */
  if (n->config) {
    row->n_blobs++;
    if (!(row->image_id = oci_strdup(n->config->digest)) && n->config->digest)
      return oci_nomem(err);
    if (!(b = note_blob(c, n->config->digest, n->config, NULL, ref, err)) && n->config->digest)
      return OCIDIG_ERR_NOMEM;
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
    if (!(b = note_blob(c, ly->digest, ly, NULL, ref, err)) && ly->digest)
      return OCIDIG_ERR_NOMEM;
    if (!b || !b->present)
      row->n_missing++;
  }
  row->complete = row->n_missing == 0 && row->code == OCIDIG_OK;
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
  if (d->digest && !note_blob(c, d->digest, d, NULL, image_ref, err))
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
  }
  free(img->rows);
}

void ocidig_listing_free(ocidig_listing *l)
{
  if (!l)
    return;
  free(l->request);
  for (size_t i = 0; i < l->n_images; i++)
    list_image_clear(&l->images[i]);
  free(l->images);
  oci_strv_free(l->warnings, l->n_warnings);
  free(l);
}

static ocidig_list_image *new_image(ocidig_listing *out, ocidig_error *err)
{
  ocidig_list_image *v = realloc(out->images, (out->n_images + 1) * sizeof *v);
  if (!v) {
    oci_nomem(err);
    return NULL;
  }
  out->images = v;
  v = &v[out->n_images++];
  memset(v, 0, sizeof *v);
  return v;
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

static const char *image_key(const void *ctx, size_t i)
{
  return oci_str(((const ocidig_listing *)ctx)->images[i].digest);
}

static ocidig_code list_oci(lctx *c, ocidig_error *err)
{
  ocidig_listing *out = c->out;
  const char *stack[OCIDIG_MAX_INDEX_NESTING + 2];
  ocidig_code rc = OCIDIG_OK;
  oci_strtab by_digest = {0}; /* an image's digest -> its position in out->images */
  const oci_gnode *root;
  if ((rc = oci_graph_root(c->g, &root, err)) != OCIDIG_OK)
    return rc;
  if (root->code != OCIDIG_OK)
    return oci_fail(err, root->code, "%s", root->message);
  for (size_t i = 0; i < root->n_children && rc == OCIDIG_OK; i++) {
    const oci_gdesc *d = &root->children[i];
    ocidig_list_image *img = NULL;
    size_t k;
    if ((k = oci_strtab_find(&by_digest, oci_str(d->digest), image_key, out)) != OCI_STRTAB_NONE) {
      img = &out->images[k];
      if (!oci_entry_names_add(d, &img->names, &img->n_names))
        rc = oci_nomem(err);
      continue;
    }
    if (!(img = new_image(out, err))) {
      rc = OCIDIG_ERR_NOMEM;
      break;
    }
    if ((!(img->digest = oci_strdup(d->digest)) && d->digest) ||
        (!(img->media_type = oci_strdup(d->media_type)) && d->media_type) ||
        !oci_entry_names_add(d, &img->names, &img->n_names) ||
        !oci_strtab_put(&by_digest, out->n_images - 1, image_key, out, false)) {
      rc = oci_nomem(err);
      break;
    }
    {
      dset seen = {0};
      rc = list_walk(c, img, d, c->next_ref++, stack, 0, &seen, err);
      dset_free(&seen);
    }
  }
  oci_strtab_free(&by_digest);
  return rc;
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
static ocidig_code hybrid_names(lctx *c, ocidig_error *err)
{
  ocidig_digest *layers = NULL;
  size_t cap = 0;
  ocidig_code rc = OCIDIG_OK;
  for (size_t k = 0; k < c->n_mrows && rc == OCIDIG_OK; k++) {
    const oci_gnode *n = c->mrows[k].n;
    ocidig_list_image *img = &c->out->images[c->mrows[k].image];
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
        rc = OCIDIG_OK; /* an unreadable manifest.json: warned below */
      break;
    }
    rc = oci_names_merge(&img->names, &img->n_names, tags, n_tags, err);
    oci_strv_free(tags, n_tags);
  }
  free(layers);
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
    return !strcmp(base, "version");
  return false;
}

/* Files nothing references: blobs/ for an OCI layout; for a view synthesized from other
 * files (a docker save, containers/image dir:), every file that holds no blob listed and
 * is not the format's metadata (manifest.json, repositories, <id>/json, <id>/VERSION;
 * version). */
static ocidig_code count_unreferenced(lctx *c, ocidig_error *err)
{
  const ocidig_entry *entries;
  size_t n;
  bool synthesized = oci_view_root_synthesized(c->v);
  ocidig_layout_format f = oci_view_format(c->v);
  dset members = {0}; /* the strings are copies, freed below */
  ocidig_code rc = ocidig_layout_entries(c->layout, &entries, &n, err);
  if (rc != OCIDIG_OK)
    return rc;
  /* the members that hold the blobs listed (a view names them: <hex>.json, <id>/layer.tar, ...) */
  for (size_t i = 0; synthesized && i < c->n_info; i++) {
    ocidig_digest d;
    const char *m;
    char *copy;
    bool had;
    if (ocidig_digest_parse(c->info[i].key, strlen(c->info[i].key), &d, NULL) != OCIDIG_OK ||
        !(m = oci_view_blob_member(c->v, &d, NULL, NULL)))
      continue;
    if (!(copy = oci_strdup(m)) || !dset_add(&members, copy, &had)) {
      free(copy);
      rc = oci_nomem(err);
      goto out;
    }
    if (had)
      free(copy);
  }
  for (size_t i = 0; i < n; i++) {
    const ocidig_entry *e = &entries[i];
    ocidig_digest_alg alg;
    const char *hex;
    char key[OCIDIG_MAX_PATH_LENGTH + 8];
    if (e->type != OCIDIG_ENTRY_FILE || e->escapes)
      continue;
    if (synthesized) {
      if (format_metadata(f, e->path) ||
          oci_strtab_find(&members.tab, e->path, dset_key, &members) != OCI_STRTAB_NONE)
        continue;
    } else {
      if (!(hex = oci_blob_path_hex(e->path, &alg)))
        continue;
      snprintf(key, sizeof key, "%s:%s", ocidig_digest_alg_name(alg), hex);
      if (blob_noted(c, key))
        continue;
    }
    c->out->n_unreferenced++;
    c->out->unreferenced_bytes = oci_bytes_add(c->out->unreferenced_bytes, e->size);
  }
out:
  for (size_t i = 0; i < members.n; i++)
    free((char *)members.v[i]);
  dset_free(&members);
  return rc;
}

ocidig_code ocidig_list(ocidig_layout *l, const ocidig_list_options *opts, ocidig_listing **out, ocidig_error *err)
{
  static const ocidig_list_options none = {0};
  lctx c = {.layout = l, .opts = opts ? opts : &none};
  ocidig_code rc;

  OCI_REQUIRE(out, "out", err);
  *out = NULL;
  OCI_REQUIRE(l, "the layout", err);
  if (!(c.out = calloc(1, sizeof *c.out)))
    return oci_nomem(err);
  /* The view: index.json / manifest.json first, then oci-layout (the order of every
   * command); then the root index, read and checked by the graph. */
  if ((rc = oci_view_get(l, &c.v, err)) != OCIDIG_OK || (rc = oci_graph_get(l, &c.g, err)) != OCIDIG_OK)
    goto fail;
  c.out->format = oci_view_format(c.v);
  if (c.opts->matcher && !(c.out->request = ocidig_platform_format(ocidig_matcher_request(c.opts->matcher)))) {
    rc = oci_nomem(err);
    goto fail;
  }
  if ((rc = list_oci(&c, err)) != OCIDIG_OK)
    goto fail;
  if (c.out->format == OCIDIG_FORMAT_HYBRID) {
    char **w = NULL;
    size_t n_w = 0;
    if ((rc = hybrid_names(&c, err)) != OCIDIG_OK || (rc = oci_docker_hybrid_notes(c.v, &w, &n_w, err)) != OCIDIG_OK)
      goto fail;
    for (size_t i = 0; i < n_w; i++)
      list_warn(&c, "%s", w[i]);
    oci_strv_free(w, n_w);
  } else if (oci_view_root_synthesized(c.v)) {
    /* what the view met reading a docker save's own files (manifest.json, repositories) */
    const ocidig_docker_archive *a = NULL;
    if ((rc = oci_view_docker_archive(c.v, &a, err)) != OCIDIG_OK)
      goto fail;
    for (size_t i = 0; a && i < a->n_warnings; i++)
      list_warn(&c, "%s", a->warnings[i]);
  }
  for (size_t i = 0; i < c.out->n_images; i++) {
    ocidig_list_image *img = &c.out->images[i];
    if ((rc = docker_wording(&c, img, err)) != OCIDIG_OK || (rc = finish_image(img, err)) != OCIDIG_OK)
      goto fail;
    for (size_t k = 0; k < img->n_rows; k++)
      c.out->n_errors += img->rows[k].code != OCIDIG_OK;
    if (c.opts->matcher && (rc = list_resolve(&c, img, err)) != OCIDIG_OK)
      goto fail;
  }
  if ((rc = count_unreferenced(&c, err)) != OCIDIG_OK)
    goto fail;
  for (size_t i = 0; i < c.n_info; i++) {
    const blobinfo *b = &c.info[i];
    if (b->synth)
      continue;
    if (!b->present) {
      c.out->n_missing++;
      continue;
    }
    c.out->n_blobs++;
    c.out->total_bytes = oci_bytes_add(c.out->total_bytes, b->size);
    if (b->refs > 1) {
      c.out->n_shared++;
      c.out->shared_bytes = oci_bytes_add(c.out->shared_bytes, b->size);
    }
  }
  if (c.dropped_warnings) {
    char buf[64];
    snprintf(buf, sizeof buf, "%zu more warnings not shown", c.dropped_warnings);
    if (!oci_strv_push(&c.out->warnings, &c.out->n_warnings, buf)) {
      rc = oci_nomem(err);
      goto fail;
    }
  }
  *out = c.out;
  c.out = NULL;
fail:
  free(c.mrows);
  oci_strtab_free(&c.blobs);
  for (size_t i = 0; i < c.n_info; i++)
    free(c.info[i].owned);
  free(c.info);
  oci_entries_free(c.entries);
  ocidig_listing_free(c.out);
  return rc;
}
