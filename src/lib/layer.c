/* layer.c: the layer reader's caller side (layer.h): decoding (none, gzip through inflate.c,
 * zstd through libzstd) into the bounded queue the worker (layer_tar.c) reads, the blob's
 * own hash, the end of the stream and the result; oci_layer_read over the view.
 *
 * Why our decoders and not libarchive's filters: a layer must decode to its end with nothing
 * after it, and libarchive's filters say neither that a gzip stream was followed by other
 * bytes nor, always, that one was cut short. */
#include "layer_int.h"

#include "inflate.h"
#include "view.h"

#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>

/* ------------------------------------------------------------ media types */

static const struct {
  const char *mt;
  oci_layer_compression c;
} media_types[] = {
    {"application/vnd.oci.image.layer.v1.tar", OCI_LAYER_NONE},
    {"application/vnd.oci.image.layer.v1.tar+gzip", OCI_LAYER_GZIP},
    {"application/vnd.oci.image.layer.v1.tar+zstd", OCI_LAYER_ZSTD},
    {"application/vnd.oci.image.layer.nondistributable.v1.tar", OCI_LAYER_NONE},
    {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", OCI_LAYER_GZIP},
    {"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", OCI_LAYER_ZSTD},
    {"application/vnd.docker.image.rootfs.diff.tar", OCI_LAYER_NONE},
    {"application/vnd.docker.image.rootfs.diff.tar.gzip", OCI_LAYER_GZIP},
    {"application/vnd.docker.image.rootfs.diff.tar.zstd", OCI_LAYER_ZSTD},
    {"application/vnd.docker.image.rootfs.foreign.diff.tar", OCI_LAYER_NONE},
    {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", OCI_LAYER_GZIP},
};

oci_layer_compression oci_layer_compression_of(const char *media_type)
{
  if (!media_type)
    return OCI_LAYER_UNKNOWN;
  for (size_t i = 0; i < sizeof media_types / sizeof media_types[0]; i++)
    if (!strcmp(media_type, media_types[i].mt))
      return media_types[i].c;
  return OCI_LAYER_UNKNOWN;
}

const char *oci_layer_compression_name(oci_layer_compression c)
{
  switch (c) {
  case OCI_LAYER_NONE:
    return "none";
  case OCI_LAYER_GZIP:
    return "gzip";
  case OCI_LAYER_ZSTD:
    return "zstd";
  default:
    return "unknown";
  }
}

/* ------------------------------------------------------------ the reader */

static void layer_free_parts(oci_layer_reader *r)
{
  for (unsigned i = 0; i < LAYER_SLOTS; i++)
    free(r->slot[i]);
  oci_inflate_free(r->gz);
  ZSTD_freeDCtx(r->zs);
  oci_hasher_free(r->in_hash);
  oci_hasher_free(r->diff_hash);
  free(r->pathbuf);
  free(r->linkbuf);
  pthread_cond_destroy(&r->has_space);
  pthread_cond_destroy(&r->has_data);
  pthread_mutex_destroy(&r->mu);
  free(r);
}

oci_layer_reader *oci_layer_reader_new(oci_layer_compression c, const oci_layer_callbacks *cb, void *ctx,
                                       ocidig_error *err)
{
  oci_layer_reader *r;
  bool ok = true;
  if (c != OCI_LAYER_NONE && c != OCI_LAYER_GZIP && c != OCI_LAYER_ZSTD) {
    oci_fail(err, OCIDIG_ERR_USAGE, "oci_layer_reader_new: not a layer compression this reader knows");
    return NULL;
  }

  if (!(r = calloc(1, sizeof *r))) {
    oci_nomem(err);
    return NULL;
  }
  pthread_mutex_init(&r->mu, NULL);
  pthread_cond_init(&r->has_data, NULL);
  pthread_cond_init(&r->has_space, NULL);
  r->comp = c;
  if (cb)
    r->cb = *cb;
  r->ctx = ctx;
  r->diff_alg = OCIDIG_DIGEST_SHA256;
  r->decode = OCI_LAYER_DECODE_END;
  r->tar = OCI_LAYER_TAR_END;
  for (unsigned i = 0; i < LAYER_SLOTS; i++)
    ok = ok && (r->slot[i] = malloc(LAYER_SLOT_SIZE)) != NULL;
  if (ok && c == OCI_LAYER_GZIP)
    ok = (r->gz = oci_inflate_new()) != NULL;
  if (ok && c == OCI_LAYER_ZSTD)
    ok = (r->zs = ZSTD_createDCtx()) != NULL;
  if (!ok) {
    layer_free_parts(r);
    oci_nomem(err);
    return NULL;
  }
  return r;
}

void oci_layer_reader_hash_input(oci_layer_reader *r, ocidig_digest_alg alg)
{
  if (r && !r->fed) {
    r->in_alg = alg;
    oci_hasher_free(r->in_hash);
    r->in_hash = oci_hasher_new_pipelined(alg); /* NULL: out of memory, said by the first feed */
    r->hash_input = true;
  }
}

void oci_layer_reader_diff_alg(oci_layer_reader *r, ocidig_digest_alg alg)
{
  if (r && !r->fed)
    r->diff_alg = alg;
}

void oci_layer_reader_diff_given(oci_layer_reader *r)
{
  if (r && !r->fed && r->comp == OCI_LAYER_NONE)
    r->diff_given = true;
}

void oci_layer_reader_limit_output(oci_layer_reader *r, uint64_t max)
{
  if (r)
    r->out_max = max;
}

bool oci_layer_reader_capped(const oci_layer_reader *r)
{
  return r && r->capped;
}

/* The worker starts with the first feed (or finish), once the algorithms are known.  A
 * failed start is kept: every later feed and finish returns it (no thread to join, no
 * hash to finish).  A thread that cannot start (EAGAIN under a pids limit) is io-error,
 * with the reason: memory is not what ran out. */
static ocidig_code start(oci_layer_reader *r, ocidig_error *err)
{
  int e;
  if (r->fed) {
    if (r->start_rc != OCIDIG_OK && err)
      *err = r->start_err;
    return r->start_rc;
  }
  r->fed = true;
  /* an uncompressed layer's bytes are hashed once (the input's hash, or the caller's) */
  r->diff_is_input = r->comp == OCI_LAYER_NONE && !r->diff_given && r->hash_input && r->in_alg == r->diff_alg;
  if ((r->hash_input && !r->in_hash) ||
      (!r->diff_given && !r->diff_is_input && !(r->diff_hash = oci_hasher_new(r->diff_alg))))
    r->start_rc = oci_nomem(&r->start_err);
  else if ((e = pthread_create(&r->thread, NULL, oci_layer_worker, r)) != 0)
    r->start_rc = oci_fail(&r->start_err, OCIDIG_ERR_IO, "layer reader: cannot start its thread: %s", strerror(e));
  else
    r->thread_started = true;
  if (r->start_rc != OCIDIG_OK && err)
    *err = r->start_err;
  return r->start_rc;
}

/* ------------------------------------------------------------ the queue's producer */

/* The slot being filled (room: LAYER_SLOT_SIZE - r->fill), waiting for one to be free;
 * NULL when the read was stopped. */
static uint8_t *prod_slot(oci_layer_reader *r)
{
  uint8_t *s = NULL;
  pthread_mutex_lock(&r->mu);
  while (r->queued == LAYER_SLOTS && !r->stop)
    pthread_cond_wait(&r->has_space, &r->mu);
  if (!r->stop)
    s = r->slot[(r->tail + r->queued) % LAYER_SLOTS];
  pthread_mutex_unlock(&r->mu);
  return s;
}

static void publish(oci_layer_reader *r)
{
  if (!r->fill)
    return;
  pthread_mutex_lock(&r->mu);
  r->slot_len[(r->tail + r->queued) % LAYER_SLOTS] = r->fill;
  r->queued++;
  r->fill = 0;
  pthread_cond_signal(&r->has_data);
  pthread_mutex_unlock(&r->mu);
}

static void produced(oci_layer_reader *r, size_t n)
{
  r->fill += n;
  r->out_total += n;
  if (r->out_max && r->out_total > r->out_max && !r->capped) {
    /* past the caller's bound: the decoding stops here (the read is incomplete) */
    r->capped = true;
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    pthread_cond_broadcast(&r->has_data);
    pthread_cond_broadcast(&r->has_space);
    pthread_mutex_unlock(&r->mu);
  }
  if (r->fill == LAYER_SLOT_SIZE)
    publish(r);
}

static void decode_end(oci_layer_reader *r, oci_layer_decode_status st, uint64_t end, const char *fmt, ...)
    OCI_PRINTF(4, 5);
static void decode_end(oci_layer_reader *r, oci_layer_decode_status st, uint64_t end, const char *fmt, ...)
{
  va_list ap;
  r->decode_done = true;
  r->decode = st;
  r->decoded_end = end;
  va_start(ap, fmt);
  vsnprintf(r->decode_message, sizeof r->decode_message, fmt, ap);
  va_end(ap);
}

static void decode_none(oci_layer_reader *r, const uint8_t *in, size_t len, bool final)
{
  while (len) {
    uint8_t *s = prod_slot(r);
    size_t k = LAYER_SLOT_SIZE - r->fill;
    if (!s)
      return;
    if (k > len)
      k = len;
    memcpy(s + r->fill, in, k);
    in += k;
    len -= k;
    produced(r, k);
  }
  if (final)
    decode_end(r, OCI_LAYER_DECODE_END, r->input_bytes, "%s", "");
}

static void decode_gzip(oci_layer_reader *r, const uint8_t *in, size_t len, bool final)
{
  for (;;) {
    uint8_t *s = prod_slot(r);
    size_t room = LAYER_SLOT_SIZE - r->fill, out = 0, before = len;
    oci_inflate_status st;
    if (!s)
      return;
    st = oci_inflate_run(r->gz, &in, &len, final, s + r->fill, room, &out);
    produced(r, out);
    switch (st) {
    case OCI_INFLATE_OK:
      if (len == 0 && out < room) {
        if (final && out == 0 && before == 0) /* never: a final call ends with a status */
          decode_end(r, OCI_LAYER_DECODE_TRUNCATED, oci_inflate_total_in(r->gz), "gzip: the stream ends early");
        if (!final || r->decode_done)
          return;
      }
      break;
    case OCI_INFLATE_END:
      decode_end(r, OCI_LAYER_DECODE_END, oci_inflate_total_in(r->gz), "%s", "");
      return;
    case OCI_INFLATE_TRAILING:
      decode_end(r, OCI_LAYER_DECODE_TRAILING, oci_inflate_total_in(r->gz), "gzip: %s",
                 oci_inflate_message(r->gz));
      return;
    case OCI_INFLATE_TRUNCATED:
      decode_end(r, OCI_LAYER_DECODE_TRUNCATED, oci_inflate_total_in(r->gz), "gzip: %s",
                 oci_inflate_message(r->gz));
      return;
    case OCI_INFLATE_CORRUPT:
      decode_end(r, OCI_LAYER_DECODE_CORRUPT, oci_inflate_total_in(r->gz), "gzip: %s",
                 oci_inflate_message(r->gz));
      return;
    default:
      r->decode_done = true;
      r->nomem = true;
      return;
    }
  }
}

#define ZSTD_SKIPPABLE_MASK 0xFFFFFFF0u

/* zstd frames one after another (zstd(1) reads them as one stream), skippable frames
 * included; after a frame the next four bytes must begin another. */
static void decode_zstd(oci_layer_reader *r, const uint8_t *in, size_t len, bool final)
{
  uint64_t base = r->input_bytes - len; /* the stream offset of in[0] */
  ZSTD_inBuffer ib = {in, len, 0};
  for (;;) {
    uint8_t *s;
    ZSTD_outBuffer ob;
    size_t ret, in_before;
    if (r->zs_between) {
      uint32_t m;
      while (r->zs_nmagic < 4 && ib.pos < ib.size)
        r->zs_magic[r->zs_nmagic++] = in[ib.pos++];
      if (r->zs_nmagic < 4) {
        if (!final)
          return;
        if (r->zs_nmagic == 0)
          decode_end(r, OCI_LAYER_DECODE_END, r->decoded_end, "%s", "");
        else
          decode_end(r, OCI_LAYER_DECODE_TRAILING, r->decoded_end,
                     "zstd: %zu byte%s after the last frame", r->zs_nmagic, r->zs_nmagic == 1 ? "" : "s");
        return;
      }
      m = (uint32_t)r->zs_magic[0] | (uint32_t)r->zs_magic[1] << 8 | (uint32_t)r->zs_magic[2] << 16 |
          (uint32_t)r->zs_magic[3] << 24;
      if (m != ZSTD_MAGICNUMBER && (m & ZSTD_SKIPPABLE_MASK) != ZSTD_MAGIC_SKIPPABLE_START) {
        decode_end(r, OCI_LAYER_DECODE_TRAILING, r->decoded_end,
                   "zstd: data after frame %llu that begins no zstd frame (at byte %llu)",
                   (unsigned long long)r->zs_frames, (unsigned long long)r->decoded_end);
        return;
      }
      /* the magic to the decoder: it keeps a frame's header until it is whole */
      {
        ZSTD_inBuffer mb = {r->zs_magic, 4, 0};
        ZSTD_outBuffer none = {NULL, 0, 0};
        ret = ZSTD_decompressStream(r->zs, &none, &mb);
        if (ZSTD_isError(ret) || mb.pos != 4) {
          decode_end(r, OCI_LAYER_DECODE_CORRUPT, r->decoded_end, "zstd: frame %llu: %s",
                     (unsigned long long)r->zs_frames + 1, ZSTD_isError(ret) ? ZSTD_getErrorName(ret) : "bad header");
          return;
        }
      }
      r->zs_between = false;
      r->zs_nmagic = 0;
    }
    if (!(s = prod_slot(r)))
      return;
    ob.dst = s + r->fill;
    ob.size = LAYER_SLOT_SIZE - r->fill;
    ob.pos = 0;
    in_before = ib.pos;
    ret = ZSTD_decompressStream(r->zs, &ob, &ib);
    produced(r, ob.pos);
    if (ZSTD_isError(ret)) {
      if (ZSTD_getErrorCode(ret) == ZSTD_error_frameParameter_windowTooLarge) {
        /* valid zstd, but its window is over what is decoded here (zstd(1)'s default too) */
        r->limited = true;
        decode_end(r, OCI_LAYER_DECODE_CORRUPT, base + ib.pos,
                   "zstd: frame %llu needs a window over 128 MiB (written with --long): more memory than ocidig "
                   "decodes with",
                   (unsigned long long)r->zs_frames + 1);
        return;
      }
      decode_end(r, OCI_LAYER_DECODE_CORRUPT, base + ib.pos, "zstd: frame %llu: %s",
                 (unsigned long long)r->zs_frames + 1, ZSTD_getErrorName(ret));
      return;
    }
    if (ret == 0) { /* a frame decoded and flushed */
      r->zs_frames++;
      r->zs_between = true;
      r->decoded_end = base + ib.pos;
      continue;
    }
    if (ob.pos == 0 && ib.pos == in_before) { /* no progress: more input needed */
      if (final)
        decode_end(r, OCI_LAYER_DECODE_TRUNCATED, r->decoded_end,
                   r->zs_frames || base + ib.pos > 0 ? "zstd: the stream ends inside frame %llu"
                                                    : "zstd: empty stream (no frame)",
                   (unsigned long long)r->zs_frames + 1);
      return;
    }
  }
}

static void decode(oci_layer_reader *r, const uint8_t *in, size_t len, bool final)
{
  if (r->decode_done)
    return;
  switch (r->comp) {
  case OCI_LAYER_NONE:
    decode_none(r, in, len, final);
    break;
  case OCI_LAYER_GZIP:
    decode_gzip(r, in, len, final);
    break;
  default:
    decode_zstd(r, in, len, final);
    break;
  }
}

static bool is_stopped(oci_layer_reader *r)
{
  bool s;
  pthread_mutex_lock(&r->mu);
  s = r->stop;
  pthread_mutex_unlock(&r->mu);
  return s;
}

/* A worker's stop: its error, if any (cb_rc is set before stop, under the lock). */
static ocidig_code stopped_rc(oci_layer_reader *r, ocidig_error *err)
{
  ocidig_code rc;
  pthread_mutex_lock(&r->mu);
  rc = r->stop ? r->cb_rc : OCIDIG_OK;
  pthread_mutex_unlock(&r->mu);
  if (rc != OCIDIG_OK && err)
    *err = r->cb_err;
  return rc;
}

ocidig_code oci_layer_reader_feed(void *rv, const void *buf, size_t len, ocidig_error *err)
{
  oci_layer_reader *r = rv;
  ocidig_code rc;
  if (!r || r->finished)
    return oci_fail(err, OCIDIG_ERR_USAGE, "oci_layer_reader_feed: %s", r ? "after finish" : "r is NULL");
  if ((rc = start(r, err)) != OCIDIG_OK || (rc = stopped_rc(r, err)) != OCIDIG_OK)
    return rc;
  if (!len || is_stopped(r))
    return OCIDIG_OK;
  if (r->in_hash)
    oci_hasher_update(r->in_hash, buf, len);
  r->input_bytes += len;
  decode(r, buf, len, false);
  if (r->nomem)
    return oci_nomem(err);
  return stopped_rc(r, err);
}

ocidig_code oci_layer_reader_finish(oci_layer_reader *r, oci_layer_result *res, ocidig_error *err)
{
  ocidig_code rc;
  oci_layer_result tmp;
  if (!res)
    res = &tmp;
  memset(res, 0, sizeof *res);
  if (!r || r->finished)
    return oci_fail(err, OCIDIG_ERR_USAGE, "oci_layer_reader_finish: %s", r ? "called twice" : "r is NULL");
  if ((rc = start(r, err)) != OCIDIG_OK) {
    r->finished = true;
    res->input_bytes = r->input_bytes;
    res->stopped = true; /* nothing was read: no digests */
    res->tar = OCI_LAYER_TAR_NOT_READ;
    return rc;
  }
  r->finished = true;
  if (!is_stopped(r))
    decode(r, NULL, 0, true);
  publish(r);
  pthread_mutex_lock(&r->mu);
  r->eof = true;
  pthread_cond_signal(&r->has_data);
  pthread_mutex_unlock(&r->mu);
  pthread_join(r->thread, NULL);
  r->thread_started = false;

  res->decode = r->decode;
  res->limited = r->limited;
  snprintf(res->decode_message, sizeof res->decode_message, "%s", r->decode_message);
  res->input_bytes = r->input_bytes;
  res->decoded_end = r->decoded_end;
  res->tar = r->tar;
  snprintf(res->tar_message, sizeof res->tar_message, "%s", r->tar_message);
  res->tar_end = r->tar_end;
  res->output_bytes = r->output_bytes;
  res->entries = r->entries;
  res->stopped = r->stopped || r->cb_rc != OCIDIG_OK;
  if (res->stopped) {
    res->tar = OCI_LAYER_TAR_NOT_READ;
  } else {
    res->have_digests = true;
    res->diff_id.alg = r->diff_alg;
    res->diff_id.hex[0] = '\0'; /* diff_given: the caller's */
    if (r->diff_hash)
      oci_hasher_final_hex(r->diff_hash, res->diff_id.hex);
    if (r->in_hash) {
      res->input.alg = r->in_alg;
      oci_hasher_final_hex(r->in_hash, res->input.hex);
      if (r->diff_is_input)
        memcpy(res->diff_id.hex, res->input.hex, sizeof res->diff_id.hex);
    }
  }
  if (r->nomem)
    return oci_nomem(err);
  if (r->cb_rc != OCIDIG_OK) {
    if (err)
      *err = r->cb_err;
    return r->cb_rc;
  }
  return OCIDIG_OK;
}

void oci_layer_reader_free(oci_layer_reader *r)
{
  if (!r)
    return;
  if (r->thread_started) {
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    r->eof = true;
    pthread_cond_broadcast(&r->has_data);
    pthread_cond_broadcast(&r->has_space);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
  }
  layer_free_parts(r);
}

/* ------------------------------------------------------------ over the view */

typedef struct read_ctx {
  oci_layer_reader *r;
  uint64_t n;
  bool stopped; /* the reader stopped: the stream is ended with a code of ours */
} read_ctx;

static ocidig_code read_sink(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  read_ctx *c = ctx;
  ocidig_code rc = oci_layer_reader_feed(c->r, buf, len, err);
  c->n += len;
  if (rc == OCIDIG_OK && is_stopped(c->r)) {
    c->stopped = true;
    return oci_fail(err, OCIDIG_ERR_OUTPUT, "layer read stopped");
  }
  return rc;
}

ocidig_code oci_layer_read(struct oci_view *v, const ocidig_digest *d, const char *mt, int64_t size,
                           const oci_layer_callbacks *cb, void *ctx, oci_layer_result *res, bool *blob_ok,
                           ocidig_error *err)
{
  oci_layer_compression c = oci_layer_compression_of(mt);
  read_ctx rc_ = {0};
  ocidig_code rc, frc;
  oci_layer_result tmp;
  ocidig_error e2;
  if (!res)
    res = &tmp;
  memset(res, 0, sizeof *res);
  if (blob_ok)
    *blob_ok = false;
  if (c == OCI_LAYER_UNKNOWN)
    return oci_fail(err, OCIDIG_ERR_USAGE, "%s: not a layer media type ocidig reads (%s)", d->hex,
                    mt ? mt : "none");
  if (!(rc_.r = oci_layer_reader_new(c, cb, ctx, err)))
    return err ? err->code : OCIDIG_ERR_NOMEM;
  oci_layer_reader_hash_input(rc_.r, d->alg);
  rc = oci_view_blob_stream(v, d, read_sink, &rc_, err);
  if (rc_.stopped && rc == OCIDIG_ERR_OUTPUT)
    rc = OCIDIG_OK;
  frc = oci_layer_reader_finish(rc_.r, res, rc == OCIDIG_OK ? err : &e2);
  oci_layer_reader_free(rc_.r);
  if (rc == OCIDIG_OK)
    rc = frc;
  if (rc == OCIDIG_OK && blob_ok && res->have_digests)
    *blob_ok = (size < 0 || (uint64_t)size == rc_.n) && ocidig_digest_equal(&res->input, d);
  return rc;
}
