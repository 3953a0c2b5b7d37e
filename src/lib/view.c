/* view.c: the dispatch every view goes through, the OCI view (the layout as it is: a blob
 * is blobs/<alg>/<hex>) and the table of blobs by digest that the other kinds fill
 * (view/docker.c: docker save without index.json; view/cimage_dir.c: containers/image's
 * dir:).  See view.h. */
#include "view/view_int.h"

#include "layout.h"

#include <stdlib.h>
#include <string.h>

static void view_free(void *p)
{
  oci_view *v = p;
  if (!v)
    return;
  for (size_t i = 0; i < v->n_blobs; i++) {
    free(v->blobs[i].digest);
    free(v->blobs[i].member);
    free(v->blobs[i].data);
  }
  free(v->blobs);
  free(v->root);
  ocidig_docker_archive_free(v->docker);
  oci_strv_free(v->folders, v->n_folders);
  oci_view_cimage_free(v);
  oci_strv_free(v->docker_configs, v->n_docker_configs);
  free(v);
}

ocidig_code oci_view_get(ocidig_layout *l, oci_view **out, ocidig_error *err)
{
  ocidig_layout_format f;
  ocidig_code rc = OCIDIG_OK;
  oci_view *v;

  OCI_REQUIRE(out, "out", err);
  *out = NULL;
  OCI_REQUIRE(l, "the layout", err);
  if (l->upper[OCI_SLOT_VIEW]) {
    *out = l->upper[OCI_SLOT_VIEW];
    return OCIDIG_OK;
  }
  {
    /* index.json there makes an OCI view, whether or not a manifest.json is beside it (a
     * hybrid): that is asked only when someone needs it (oci_view_format,
     * oci_view_docker_archive), so that a lazy command does not read an archive to its end
     * to learn that manifest.json is absent. */
    ocidig_entry st;
    ocidig_error e;
    rc = ocidig_layout_stat(l, "index.json", &st, &e);
    if (rc == OCIDIG_OK) {
      if ((rc = ocidig_layout_check_oci_layout(l, NULL, err)) != OCIDIG_OK)
        return rc;
      f = OCIDIG_FORMAT_OCI;
    } else if (rc != OCIDIG_ERR_BLOB_MISSING) {
      if (err)
        *err = e;
      return rc;
    } else if ((rc = oci_layout_check_root(l, &f, NULL, NULL, err)) != OCIDIG_OK) {
      return rc;
    }
  }
  if (!(v = calloc(1, sizeof *v)))
    return oci_nomem(err);
  v->l = l;
  v->format = f;
  v->format_pending = f == OCIDIG_FORMAT_OCI;
  v->root_name = "index.json";
  if (f == OCIDIG_FORMAT_DOCKER_ARCHIVE)
    rc = oci_view_docker_build(v, err);
  else if (f == OCIDIG_FORMAT_CIMAGE_DIR)
    rc = oci_view_cimage_build(v, err);
  if (rc != OCIDIG_OK) {
    /* Not kept: a later call meets the same root and fails the same way. */
    view_free(v);
    return rc;
  }
  oci_view_sort_blobs(v);
  l->upper[OCI_SLOT_VIEW] = v;
  l->upper_free[OCI_SLOT_VIEW] = view_free;
  *out = v;
  return OCIDIG_OK;
}

ocidig_layout *oci_view_layout(const oci_view *v)
{
  return v ? v->l : NULL;
}

ocidig_layout_format oci_view_format(const oci_view *v)
{
  if (v && v->format_pending) {
    ocidig_layout_format f;
    if (ocidig_layout_format_detect(v->l, &f, NULL) == OCIDIG_OK) {
      ((oci_view *)v)->format = f;
      ((oci_view *)v)->format_pending = false;
    }
  }
  return v ? v->format : OCIDIG_FORMAT_NONE;
}

const char *oci_view_root_name(const oci_view *v)
{
  return v ? v->root_name : "index.json";
}

bool oci_view_root_synthesized(const oci_view *v)
{
  return v && v->root;
}

ocidig_code oci_view_root_stream(oci_view *v, ocidig_sink sink, void *ctx, ocidig_error *err)
{
  OCI_REQUIRE(v, "the view", err);
  OCI_REQUIRE(sink, "the sink", err);
  if (v->root)
    return sink(ctx, v->root, v->root_len, err);
  return ocidig_layout_stream_file(v->l, "index.json", sink, ctx, err);
}

/* ------------------------------------------------------------ blobs by digest */

bool oci_view_sha256(const void *data, size_t len, char *out)
{
  char hex[129];
  if (!oci_hash_hex(OCIDIG_DIGEST_SHA256, data, len, hex))
    return false;
  snprintf(out, OCIDIG_DIGEST_STRING_MAX, "sha256:%s", hex);
  return true;
}

ocidig_code oci_view_add_blob(oci_view *v, const char *digest, const char *member, uint8_t *data, size_t len,
                              size_t image, ocidig_error *err)
{
  oci_view_blob *b;
  if (!oci_grow((void **)&v->blobs, &v->cap_blobs, v->n_blobs + 1, sizeof *v->blobs)) {
    free(data);
    return oci_nomem(err);
  }
  b = &v->blobs[v->n_blobs];
  memset(b, 0, sizeof *b);
  b->digest = oci_strdup(digest);
  b->member = member ? oci_strdup(member) : NULL;
  b->data = data;
  b->len = len;
  b->image = image;
  b->seq = v->n_blobs;
  if (!b->digest || (member && !b->member)) {
    free(b->digest);
    free(b->member);
    free(data);
    return oci_nomem(err);
  }
  v->n_blobs++;
  v->sorted = false;
  return OCIDIG_OK;
}

static int cmp_blob(const void *a, const void *b)
{
  const oci_view_blob *x = a, *y = b;
  int c = strcmp(x->digest, y->digest);
  return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

void oci_view_sort_blobs(oci_view *v)
{
  if (v->sorted)
    return;
  if (v->n_blobs > 1)
    qsort(v->blobs, v->n_blobs, sizeof *v->blobs, cmp_blob);
  v->sorted = true;
}

const oci_view_blob *oci_view_find_blob(const oci_view *v, const ocidig_digest *d)
{
  char ds[OCIDIG_DIGEST_STRING_MAX];
  size_t lo = 0, hi;
  if (!v || !d || !v->n_blobs || !v->sorted)
    return NULL;
  ocidig_digest_format(d, ds);
  hi = v->n_blobs;
  /* The first with that digest (the one added first). */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(v->blobs[mid].digest, ds) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < v->n_blobs && !strcmp(v->blobs[lo].digest, ds) ? &v->blobs[lo] : NULL;
}

/* The member a blob the view does not know would have: blobs/<alg>/<hex> (OCI, and a docker
 * save of Docker 25 or later names its blobs so), or <hex> beside the first image's
 * manifest.json (dir:). */
static const char *default_member(oci_view *v, const ocidig_digest *d)
{
  if (v->format == OCIDIG_FORMAT_CIMAGE_DIR) {
    const char *folder = v->n_folders ? v->folders[0] : "";
    snprintf(v->name, sizeof v->name, "%s%s%s", folder, *folder ? "/" : "", d->hex);
  } else {
    ocidig_digest_blob_path(d, v->name);
  }
  return v->name;
}

const char *oci_view_blob_member(const oci_view *v, const ocidig_digest *d, const uint8_t **synth,
                                 size_t *synth_len)
{
  const oci_view_blob *b;
  if (synth)
    *synth = NULL;
  if (synth_len)
    *synth_len = 0;
  if (!v || !d)
    return NULL;
  if ((b = oci_view_find_blob(v, d))) {
    if (b->member)
      return b->member;
    if (synth)
      *synth = b->data;
    if (synth_len)
      *synth_len = b->len;
    return NULL;
  }
  /* Valid until the next call on this view (the name is made, not stored). */
  return default_member((oci_view *)v, d);
}

typedef struct expect_ctx {
  oci_view *v;
  bool (*digest_at)(void *ctx, size_t i, ocidig_digest *d);
  void *ctx;
} expect_ctx;

static const char *expect_path(void *ctx, size_t i)
{
  expect_ctx *x = ctx;
  ocidig_digest d;
  return x->digest_at(x->ctx, i, &d) ? oci_view_blob_member(x->v, &d, NULL, NULL) : NULL;
}

void oci_view_expect(oci_view *v, size_t n, bool (*digest_at)(void *ctx, size_t i, ocidig_digest *d), void *ctx)
{
  expect_ctx x = {v, digest_at, ctx};
  if (v && digest_at)
    oci_layout_expect(v->l, n, expect_path, &x);
}

void oci_view_expect_more(oci_view *v, size_t n, bool (*digest_at)(void *ctx, size_t i, ocidig_digest *d),
                          void *ctx)
{
  expect_ctx x = {v, digest_at, ctx};
  if (v && digest_at)
    oci_layout_expect_more(v->l, n, expect_path, &x);
}

bool oci_view_rereads(const oci_view *v)
{
  return v && oci_layout_rereads(v->l);
}

void oci_view_expect_again_here(oci_view *v)
{
  if (v)
    oci_layout_expect_again_here(v->l);
}

bool oci_view_blob_synthesized(const oci_view *v, const ocidig_digest *d)
{
  const oci_view_blob *b = oci_view_find_blob(v, d);
  return b && !b->member;
}

ocidig_code oci_view_blob_stat(oci_view *v, const ocidig_digest *d, ocidig_entry *out, ocidig_error *err)
{
  const uint8_t *synth;
  size_t synth_len;
  const char *member;
  char ds[OCIDIG_DIGEST_STRING_MAX];
  ocidig_code rc;
  OCI_REQUIRE(v, "the view", err);
  OCI_REQUIRE(d, "the digest", err);
  OCI_REQUIRE(out, "out", err);
  member = oci_view_blob_member(v, d, &synth, &synth_len);
  if (!member) {
    memset(out, 0, sizeof *out);
    out->path = v->root_name;
    out->type = OCIDIG_ENTRY_FILE;
    out->size = (int64_t)synth_len;
    return OCIDIG_OK;
  }
  rc = ocidig_layout_stat(v->l, member, out, err);
  if (rc == OCIDIG_ERR_BLOB_MISSING && v->format != OCIDIG_FORMAT_OCI && v->format != OCIDIG_FORMAT_HYBRID) {
    ocidig_digest_format(d, ds);
    return oci_fail(err, rc, "blob %s is missing (no %s in the %s)", ds, member,
                    ocidig_layout_is_archive(v->l) ? "archive" : "directory");
  }
  return rc;
}

ocidig_code oci_view_blob_read(oci_view *v, const ocidig_digest *d, int64_t size, size_t max, uint8_t **data,
                               size_t *len, ocidig_error *err)
{
  char dstr[OCIDIG_DIGEST_STRING_MAX], hex[129];
  const uint8_t *synth;
  size_t synth_len;
  const char *member;
  ocidig_entry e;
  ocidig_code rc;

  OCI_REQUIRE(data, "data", err);
  OCI_REQUIRE(len, "len", err);
  *data = NULL;
  *len = 0;
  OCI_REQUIRE(v, "the view", err);
  OCI_REQUIRE(d, "the digest", err);
  if (v->format == OCIDIG_FORMAT_OCI || v->format == OCIDIG_FORMAT_HYBRID)
    return ocidig_layout_read_blob(v->l, d, size, max, data, len, err);
  ocidig_digest_format(d, dstr);
  member = oci_view_blob_member(v, d, &synth, &synth_len);
  if (!member) {
    /* A synthesized document: made to its digest; only the size can disagree. */
    if ((int64_t)synth_len != size)
      return oci_fail(err, OCIDIG_ERR_SIZE_MISMATCH, "blob %s: the document synthesized from %s is %zu bytes, the "
                                                     "descriptor says %lld",
                      dstr, v->root_name, synth_len, (long long)size);
    if (synth_len > max)
      return oci_fail(err, OCIDIG_ERR_JSON_TOO_LARGE,
                      "blob %s: %zu bytes, more than the %zu-byte limit for a document", dstr, synth_len, max);
    if (!(*data = malloc(synth_len ? synth_len : 1)))
      return oci_nomem(err);
    memcpy(*data, synth, synth_len);
    *len = synth_len;
    return OCIDIG_OK;
  }
  if ((rc = oci_view_blob_stat(v, d, &e, err)) != OCIDIG_OK)
    return rc;
  member = oci_view_blob_member(v, d, NULL, NULL); /* the stat may have reused the name buffer */
  if (e.size != size)
    return oci_fail(err, OCIDIG_ERR_SIZE_MISMATCH, "blob %s: %s is %lld bytes, the descriptor says %lld", dstr,
                    member, (long long)e.size, (long long)size);
  if ((uint64_t)size > max)
    return oci_fail(err, OCIDIG_ERR_JSON_TOO_LARGE, "blob %s: %lld bytes, more than the %zu-byte limit for a document",
                    dstr, (long long)size, max);
  if ((rc = ocidig_layout_read_file(v->l, member, max, data, len, err)) != OCIDIG_OK)
    return rc;
  if ((int64_t)*len != size) {
    free(*data);
    *data = NULL;
    return oci_fail(err, OCIDIG_ERR_SIZE_MISMATCH, "blob %s: read %zu bytes from %s, the descriptor says %lld", dstr,
                    *len, member, (long long)size);
  }
  if (!oci_hash_hex(d->alg, *data, *len, hex)) {
    free(*data);
    *data = NULL;
    return oci_nomem(err);
  }
  if (strcmp(hex, d->hex)) {
    free(*data);
    *data = NULL;
    return oci_fail(err, OCIDIG_ERR_DIGEST_MISMATCH, "blob %s: the bytes of %s hash to %s:%s", dstr, member,
                    ocidig_digest_alg_name(d->alg), hex);
  }
  return OCIDIG_OK;
}

ocidig_code oci_view_blob_stream(oci_view *v, const ocidig_digest *d, ocidig_sink sink, void *ctx,
                                 ocidig_error *err)
{
  const uint8_t *synth;
  size_t synth_len;
  const char *member;
  OCI_REQUIRE(v, "the view", err);
  OCI_REQUIRE(d, "the digest", err);
  OCI_REQUIRE(sink, "the sink", err);
  member = oci_view_blob_member(v, d, &synth, &synth_len);
  if (!member)
    return sink(ctx, synth, synth_len, err);
  return ocidig_layout_stream_file(v->l, member, sink, ctx, err);
}

/* ------------------------------------------------------------ format accessors */

size_t oci_view_docker_image_of(const oci_view *v, const ocidig_digest *manifest)
{
  const oci_view_blob *b = oci_view_find_blob(v, manifest);
  return b && !b->member && v->format == OCIDIG_FORMAT_DOCKER_ARCHIVE ? b->image : (size_t)-1;
}

const char *oci_view_docker_manifest_of(const oci_view *v, size_t i)
{
  if (!v || v->format != OCIDIG_FORMAT_DOCKER_ARCHIVE)
    return NULL;
  for (size_t k = 0; k < v->n_blobs; k++)
    if (!v->blobs[k].member && v->blobs[k].image == i)
      return v->blobs[k].digest;
  return NULL;
}

const char *oci_view_docker_config_of(const oci_view *v, size_t i)
{
  if (!v || v->format != OCIDIG_FORMAT_DOCKER_ARCHIVE || i >= v->n_docker_configs)
    return NULL;
  return v->docker_configs[i];
}

ocidig_code oci_view_docker_archive(oci_view *v, const ocidig_docker_archive **out, ocidig_error *err)
{
  OCI_REQUIRE(out, "out", err);
  *out = NULL;
  OCI_REQUIRE(v, "the view", err);
  if (oci_view_format(v) != OCIDIG_FORMAT_DOCKER_ARCHIVE && v->format != OCIDIG_FORMAT_HYBRID)
    return OCIDIG_OK;
  if (!v->docker_read) {
    v->docker_rc = ocidig_docker_archive_read(v->l, &v->docker, &v->docker_err);
    if (v->docker_rc == OCIDIG_ERR_NOMEM)
      return oci_nomem(err); /* not kept: another call may have the memory */
    v->docker_read = true;
  }
  if (v->docker_rc != OCIDIG_OK) {
    if (err)
      *err = v->docker_err;
    return v->docker_rc;
  }
  *out = v->docker;
  return OCIDIG_OK;
}

/* The digest manifest.json gives a config or layer: the one its name carries, else the
 * image ID / diff_id (as the docker view synthesizes them). */
static bool same_digest(const char *a, const char *b, const ocidig_digest *d)
{
  char ds[OCIDIG_DIGEST_STRING_MAX];
  ocidig_digest_format(d, ds);
  return (a && !strcmp(a, ds)) || (!a && b && !strcmp(b, ds));
}

ocidig_code oci_view_repo_tags_for(oci_view *v, const ocidig_digest *config, const ocidig_digest *layers,
                                   size_t n_layers, char ***tags, size_t *n_tags, ocidig_error *err)
{
  const ocidig_docker_archive *a;
  ocidig_code rc;
  OCI_REQUIRE(tags, "tags", err);
  OCI_REQUIRE(n_tags, "n_tags", err);
  *tags = NULL;
  *n_tags = 0;
  OCI_REQUIRE(config, "the config", err);
  if (n_layers)
    OCI_REQUIRE(layers, "the layers", err);
  if ((rc = oci_view_docker_archive(v, &a, err)) != OCIDIG_OK || !a)
    return rc;
  for (size_t i = 0; i < a->n_images; i++) {
    const ocidig_docker_image *im = &a->images[i];
    bool same = im->n_layers == n_layers && same_digest(im->config_digest, im->image_id, config);
    for (size_t k = 0; k < n_layers && same; k++)
      same = same_digest(im->layers[k].digest, im->layers[k].diff_id, &layers[k]);
    for (size_t k = 0; k < im->n_repo_tags && same; k++) {
      bool dup = false;
      for (size_t j = 0; j < *n_tags && !dup; j++)
        dup = !strcmp((*tags)[j], im->repo_tags[k]);
      if (!dup && !oci_strv_push(tags, n_tags, im->repo_tags[k])) {
        oci_strv_free(*tags, *n_tags);
        *tags = NULL;
        *n_tags = 0;
        return oci_nomem(err);
      }
    }
  }
  return OCIDIG_OK;
}

size_t oci_view_cimage_images(const oci_view *v)
{
  return v && v->format == OCIDIG_FORMAT_CIMAGE_DIR ? v->n_folders : 0;
}

const char *oci_view_cimage_folder(const oci_view *v, size_t i)
{
  return v && v->format == OCIDIG_FORMAT_CIMAGE_DIR && i < v->n_folders ? v->folders[i] : NULL;
}
