/* files_cat.c: `ocidig cat --file`: one file of the merged tree (files.c) streamed out of
 * the layer that holds its bytes, the layer read to its end so that the blob's digest is
 * checked too.
 *
 * Threads: the layer reader parses on a worker thread (layer.h), but the caller's sink
 * must run on the caller's thread (ocidig.h).  So the caller's thread streams the blob
 * (oci_view_blob_stream) and hands each piece to a feeder thread, which feeds the reader;
 * while it waits, it writes what the worker hands back (the file's bytes, one piece at a
 * time).  Neither hand-off copies: each side waits until the other has taken the piece. */
#include "files_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct cat_state {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  oci_layer_reader *r;
  /* caller -> feeder: a piece of the blob, or the end */
  const void *in;
  size_t in_len;
  bool in_full, in_end, feeder_done;
  ocidig_code feed_rc;
  ocidig_error feed_err;
  /* worker -> caller: a piece of the file */
  const void *out;
  size_t out_len;
  bool out_full;
  ocidig_code out_rc;
  ocidig_error out_err;
  ocidig_sink sink;
  void *ctx;
  uint64_t written;
  /* the entry */
  uint64_t ordinal;
  bool found;
  oci_layer_result res;
} cat_state;

/* With the lock held: writes what the worker handed over (if anything); true if it did. */
static bool drain_one(cat_state *st)
{
  const void *p;
  size_t n;
  ocidig_error e;
  ocidig_code rc = OCIDIG_OK;
  if (!st->out_full)
    return false;
  p = st->out;
  n = st->out_len;
  pthread_mutex_unlock(&st->mu);
  if (st->out_rc == OCIDIG_OK)
    rc = st->sink(st->ctx, p, n, &e);
  pthread_mutex_lock(&st->mu);
  if (rc != OCIDIG_OK && st->out_rc == OCIDIG_OK) {
    st->out_rc = rc;
    st->out_err = e;
  } else if (rc == OCIDIG_OK && st->out_rc == OCIDIG_OK) {
    st->written += n;
  }
  st->out_full = false;
  pthread_cond_broadcast(&st->cv);
  return true;
}

/* The worker's sink (inside oci_layer_entry_stream): hands the piece to the caller's thread. */
static ocidig_code out_sink(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  cat_state *st = ctx;
  ocidig_code rc;
  pthread_mutex_lock(&st->mu);
  if (st->out_rc == OCIDIG_OK) {
    st->out = buf;
    st->out_len = len;
    st->out_full = true;
    pthread_cond_broadcast(&st->cv);
    while (st->out_full)
      pthread_cond_wait(&st->cv, &st->mu);
  }
  rc = st->out_rc;
  if (rc != OCIDIG_OK && err)
    *err = st->out_err;
  pthread_mutex_unlock(&st->mu);
  return rc;
}

static ocidig_code cat_entry(void *ctx, oci_layer_reader *r, const oci_layer_entry *e, ocidig_error *err)
{
  cat_state *st = ctx;
  if (e->index != st->ordinal || st->found)
    return OCIDIG_OK;
  st->found = true;
  return oci_layer_entry_stream(r, out_sink, st, err);
}

static void *feeder(void *arg)
{
  cat_state *st = arg;
  pthread_mutex_lock(&st->mu);
  for (;;) {
    while (!st->in_full && !st->in_end)
      pthread_cond_wait(&st->cv, &st->mu);
    if (st->in_full) {
      const void *p = st->in;
      size_t n = st->in_len;
      ocidig_error e;
      ocidig_code rc = OCIDIG_OK;
      bool skip = st->feed_rc != OCIDIG_OK;
      pthread_mutex_unlock(&st->mu);
      if (!skip)
        rc = oci_layer_reader_feed(st->r, p, n, &e);
      pthread_mutex_lock(&st->mu);
      if (rc != OCIDIG_OK && st->feed_rc == OCIDIG_OK) {
        st->feed_rc = rc;
        st->feed_err = e;
      }
      st->in_full = false;
      pthread_cond_broadcast(&st->cv);
      continue;
    }
    {
      ocidig_error e;
      ocidig_code rc;
      pthread_mutex_unlock(&st->mu);
      rc = oci_layer_reader_finish(st->r, &st->res, &e);
      pthread_mutex_lock(&st->mu);
      if (rc != OCIDIG_OK && st->feed_rc == OCIDIG_OK) {
        st->feed_rc = rc;
        st->feed_err = e;
      }
      st->feeder_done = true;
      pthread_cond_broadcast(&st->cv);
      break;
    }
  }
  pthread_mutex_unlock(&st->mu);
  return NULL;
}

/* The caller's sink for oci_view_blob_stream: hands the piece to the feeder and writes the
 * file's bytes until the feeder has taken it. */
static ocidig_code in_sink(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  cat_state *st = ctx;
  ocidig_code rc;
  pthread_mutex_lock(&st->mu);
  if (st->feed_rc == OCIDIG_OK) {
    st->in = buf;
    st->in_len = len;
    st->in_full = true;
    pthread_cond_broadcast(&st->cv);
    while (st->in_full)
      if (!drain_one(st))
        pthread_cond_wait(&st->cv, &st->mu);
  }
  rc = st->feed_rc;
  if (rc != OCIDIG_OK && err)
    *err = st->feed_err;
  pthread_mutex_unlock(&st->mu);
  return rc;
}

/* Why path names no bytes, as a usage error naming it. */
static ocidig_code path_error(oci_tree_lookup_status ls, const char *path, const oci_tree_item *it, ocidig_error *err)
{
  char *q = oci_escape(path, 300), *at = oci_escape(it->path, 300);
  ocidig_code rc;
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  switch (ls) {
  case OCI_TREE_NOT_FOUND:
    if (!strncmp(base, ".wh.", 4))
      rc = oci_fail(err, OCIDIG_ERR_USAGE, "%s: a whiteout's name; whiteouts delete files of lower layers and are "
                                           "not files of the merged tree", q ? q : path);
    else
      rc = oci_fail(err, OCIDIG_ERR_USAGE, "%s: no such file in the image's merged tree (/%s is not there)",
                    q ? q : path, at ? at : "");
    break;
  case OCI_TREE_REMOVED:
    rc = oci_fail(err, OCIDIG_ERR_USAGE, "%s: /%s was removed by layer %u (a whiteout, an opaque directory, or a "
                                         "non-directory in place of a directory)",
                  q ? q : path, at ? at : "", it->layer);
    break;
  case OCI_TREE_NOT_DIR:
    rc = oci_fail(err, OCIDIG_ERR_USAGE, "%s: /%s is not a directory", q ? q : path, at ? at : "");
    break;
  case OCI_TREE_LOOP:
    rc = oci_fail(err, OCIDIG_ERR_USAGE, "%s: more than %d symbolic links (a loop?) at /%s", q ? q : path,
                  OCI_TREE_MAX_LINKS, at ? at : "");
    break;
  case OCI_TREE_ESCAPE:
    rc = oci_fail(err, OCIDIG_ERR_USAGE, "%s: the symbolic link /%s leaves the image's tree (\"..\" above its root); "
                                         "it is not followed",
                  q ? q : path, at ? at : "");
    break;
  default:
    rc = oci_fail(err, OCIDIG_ERR_USAGE, "%s: not found", q ? q : path);
    break;
  }
  free(q);
  free(at);
  return rc;
}

ocidig_code ocidig_files_cat(ocidig_layout *layout, ocidig_files *f, const char *path, ocidig_sink sink, void *ctx,
                             uint64_t *written, ocidig_error *err)
{
  oci_tree_item it;
  oci_tree_lookup_status ls;
  const layer_desc *d;
  oci_layer_compression c;
  oci_layer_callbacks cb = {.entry = cat_entry};
  oci_view *v;
  cat_state st;
  pthread_t th;
  ocidig_code rc, stream_rc;
  ocidig_error serr;
  if (written)
    *written = 0;
  OCI_REQUIRE(layout, "layout", err);
  OCI_REQUIRE(f, "f", err);
  OCI_REQUIRE(path, "path", err);
  OCI_REQUIRE(sink, "sink", err);
  if (f->one_layer)
    return oci_fail(err, OCIDIG_ERR_USAGE, "ocidig_files_cat: the tree was loaded with one layer's changes only");
  ls = oci_tree_lookup(f->tree, path, true, &it);
  if (ls != OCI_TREE_FOUND)
    return path_error(ls, path, &it, err);
  if (it.type == 'd')
    return oci_fail(err, OCIDIG_ERR_USAGE, "%s: /%s is a directory ('ocidig files SOURCE %s' lists it)", path, it.path,
                    path);
  if (!it.has_data) {
    if (it.type == 'h')
      return oci_fail(err, OCIDIG_ERR_USAGE, "%s: /%s is a hard link to %s, which was no regular file of the tree when "
                                             "the link was made",
                      path, it.path, oci_str(it.link));
    return oci_fail(err, OCIDIG_ERR_USAGE, "%s: /%s is a %s: it has no bytes to write", path, it.path,
                    ocidig_file_type_name(it.type));
  }
  if (it.data_layer >= f->n_descs)
    return oci_fail(err, OCIDIG_ERR_USAGE, "%s: layer %u is not in the image", path, it.data_layer);
  d = &f->descs[it.data_layer];
  if ((rc = oci_view_get(layout, &v, err)) != OCIDIG_OK)
    return rc;
  if ((rc = oci_files_layer_check(v, d, it.data_layer, &c, err)) != OCIDIG_OK)
    return rc;

  memset(&st, 0, sizeof st);
  st.sink = sink;
  st.ctx = ctx;
  st.ordinal = it.data_ordinal;
  if (!(st.r = oci_layer_reader_new(c, &cb, &st, err)))
    return OCIDIG_ERR_NOMEM;
  oci_layer_reader_hash_input(st.r, d->digest.alg);
  pthread_mutex_init(&st.mu, NULL);
  pthread_cond_init(&st.cv, NULL);
  if (pthread_create(&th, NULL, feeder, &st)) {
    oci_layer_reader_free(st.r);
    pthread_mutex_destroy(&st.mu);
    pthread_cond_destroy(&st.cv);
    return oci_nomem(err);
  }
  stream_rc = oci_view_blob_stream(v, &d->digest, in_sink, &st, &serr);
  pthread_mutex_lock(&st.mu);
  st.in_end = true;
  pthread_cond_broadcast(&st.cv);
  while (!st.feeder_done)
    if (!drain_one(&st))
      pthread_cond_wait(&st.cv, &st.mu);
  pthread_mutex_unlock(&st.mu);
  pthread_join(th, NULL);
  oci_layer_reader_free(st.r);
  pthread_mutex_destroy(&st.mu);
  pthread_cond_destroy(&st.cv);
  if (written)
    *written = st.written;

  if (st.out_rc != OCIDIG_OK) {
    if (err)
      *err = st.out_err;
    return st.out_rc;
  }
  if (stream_rc != OCIDIG_OK && stream_rc != st.feed_rc) {
    if (err)
      *err = serr;
    oci_error_prefix(err, "layer %u (%s)", it.data_layer, d->digest_string);
    return stream_rc;
  }
  if (st.feed_rc != OCIDIG_OK) {
    if (err)
      *err = st.feed_err;
    return st.feed_rc;
  }
  {
    bool blob_ok = st.res.have_digests && ocidig_digest_equal(&st.res.input, &d->digest) &&
                   (d->size < 0 || st.res.input_bytes == (uint64_t)d->size);
    if ((rc = oci_files_layer_result(NULL, d, it.data_layer, &st.res, blob_ok, err)) != OCIDIG_OK) {
      if (st.written)
        oci_error_prefix(err, "the %llu bytes written are not verified", (unsigned long long)st.written);
      return rc;
    }
  }
  if (!st.found)
    return oci_fail(err, OCIDIG_ERR_CORRUPT_ARCHIVE, "layer %u (%s): entry %u (/%s) was not there on a second read",
                    it.data_layer, d->digest_string, it.data_ordinal, it.path);
  return OCIDIG_OK;
}
