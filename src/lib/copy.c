/* copy.c: a blob copied out with its digest checked (ocidig_copy_verified, for `ocidig cat`):
 * a small blob is read, hashed and only then written; a large one is hashed as it streams
 * out, and a mismatch says that the bytes written are not verified.  An archive member not
 * reached yet (stdin has no second pass) goes through a sink that holds back what fits. */
#include "layout.h"

#include <stdlib.h>
#include <string.h>

typedef struct hash_sink {
  oci_hasher *h;
  ocidig_sink sink;
  void *ctx;
  uint64_t n;
} hash_sink;

static ocidig_code hash_sink_write(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  hash_sink *s = ctx;
  ocidig_code rc;
  oci_hasher_update(s->h, buf, len);
  if ((rc = s->sink(s->ctx, buf, len, err)) != OCIDIG_OK)
    return rc;
  s->n += len;
  return OCIDIG_OK;
}

/* An archive member not reached yet is streamed as it passes (on stdin there is no second
 * pass): up to small_cap bytes are held back and checked before they go out, as for a
 * member read first; beyond that they go out as they come, hashed. */
typedef struct held_sink {
  ocidig_layout *l;
  oci_hasher *h;
  ocidig_sink sink;
  void *ctx;
  const char *dstr, *relpath;
  int64_t size;
  size_t small_cap;
  uint8_t *buf;
  size_t len, cap;
  bool started, passing;
  uint64_t n, written;
} held_sink;

static ocidig_code held_sink_write(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  held_sink *s = ctx;
  ocidig_code rc;
  if (!s->started) {
    /* The member's header is read: the size it declares (-1: unknown) is known now. */
    int64_t declared = oci_layout_streaming_size(s->l);
    s->started = true;
    if (s->size >= 0 && declared >= 0 && declared != s->size)
      return oci_fail(err, OCIDIG_ERR_SIZE_MISMATCH, "%s: %s is %lld bytes, the descriptor says %lld; nothing written",
                      s->dstr, s->relpath, (long long)declared, (long long)s->size);
    s->passing = declared >= 0 && (uint64_t)declared > s->small_cap;
  }
  oci_hasher_update(s->h, buf, len);
  s->n += len;
  if (s->size >= 0 && s->n > (uint64_t)s->size)
    return oci_fail(err, OCIDIG_ERR_SIZE_MISMATCH, "%s: %s has more than the %lld bytes the descriptor says", s->dstr,
                    s->relpath, (long long)s->size);
  if (!s->passing) {
    if (s->len + len <= s->small_cap) {
      if (!oci_grow((void **)&s->buf, &s->cap, s->len + len, 1))
        return oci_nomem(err);
      memcpy(s->buf + s->len, buf, len);
      s->len += len;
      return OCIDIG_OK;
    }
    s->passing = true; /* larger than it said (or it said nothing): what is held goes out first */
    if (s->len && (rc = s->sink(s->ctx, s->buf, s->len, err)) != OCIDIG_OK)
      return rc;
    s->written += s->len;
    s->len = 0;
  }
  if ((rc = s->sink(s->ctx, buf, len, err)) != OCIDIG_OK)
    return rc;
  s->written += len;
  return OCIDIG_OK;
}

static ocidig_code copy_streaming(ocidig_layout *l, const char *relpath, const ocidig_digest *digest, int64_t size,
                                  size_t small_cap, ocidig_sink sink, void *ctx, uint64_t *written,
                                  const char *dstr, ocidig_error *err)
{
  held_sink s = {.l = l, .h = oci_hasher_new(digest->alg), .sink = sink, .ctx = ctx, .dstr = dstr,
                 .relpath = relpath, .size = size, .small_cap = small_cap};
  char hex[129];
  ocidig_code rc;
  if (!s.h)
    return oci_nomem(err);
  rc = ocidig_layout_stream_file(l, relpath, held_sink_write, &s, err);
  oci_hasher_final_hex(s.h, hex);
  oci_hasher_free(s.h);
  *written = s.written;
  if (rc == OCIDIG_ERR_SIZE_MISMATCH) {
    /* A size judged by its header: the member's data must be all there first. */
    ocidig_code rc2 = oci_layout_confirm(l, relpath, err);
    if (rc2 != OCIDIG_OK)
      rc = rc2;
  }
  if (rc == OCIDIG_OK && size >= 0 && s.n != (uint64_t)size)
    rc = oci_fail(err, OCIDIG_ERR_SIZE_MISMATCH, "%s: %s gave %llu bytes, the descriptor says %lld%s", dstr, relpath,
                  (unsigned long long)s.n, (long long)size,
                  s.written ? "; the bytes written are NOT verified" : "; nothing written");
  if (rc == OCIDIG_OK && strcmp(hex, digest->hex))
    rc = s.written ? oci_fail(err, OCIDIG_ERR_DIGEST_MISMATCH,
                              "%s: the %llu bytes of %s written out hash to %s:%s: they are NOT verified, discard them",
                              dstr, (unsigned long long)s.n, relpath, ocidig_digest_alg_name(digest->alg), hex)
                   : oci_fail(err, OCIDIG_ERR_DIGEST_MISMATCH, "%s: the bytes of %s hash to %s:%s; nothing written",
                              dstr, relpath, ocidig_digest_alg_name(digest->alg), hex);
  if (rc == OCIDIG_OK && s.len) { /* held back, and verified: out they go */
    if ((rc = sink(ctx, s.buf, s.len, err)) == OCIDIG_OK)
      *written += s.len;
  } else if (rc != OCIDIG_OK && s.written && rc != OCIDIG_ERR_DIGEST_MISMATCH && rc != OCIDIG_ERR_SIZE_MISMATCH) {
    oci_error_prefix(err, "%s: %llu bytes were written before the error and were NOT verified", dstr,
                     (unsigned long long)s.written);
  }
  free(s.buf);
  return rc;
}

ocidig_code ocidig_copy_verified(ocidig_layout *l, const char *relpath, const ocidig_digest *digest, int64_t size,
                                 size_t small_cap, ocidig_sink sink, void *ctx, uint64_t *written, ocidig_error *err)
{
  ocidig_entry e;
  ocidig_code rc;
  char dstr[OCIDIG_DIGEST_STRING_MAX], hex[129];
  uint64_t unused;

  if (!written)
    written = &unused;
  *written = 0;
  OCI_REQUIRE(l, "the layout", err);
  OCI_REQUIRE(relpath, "relpath", err);
  OCI_REQUIRE(digest, "the digest", err);
  OCI_REQUIRE(sink, "the sink", err);
  if (!small_cap)
    small_cap = OCIDIG_DEFAULT_SMALL_CAP;
  ocidig_digest_format(digest, dstr);
  if (oci_layout_member_ahead(l, relpath))
    return copy_streaming(l, relpath, digest, size, small_cap, sink, ctx, written, dstr, err);
  if ((rc = ocidig_layout_stat(l, relpath, &e, err)) != OCIDIG_OK)
    return rc;
  if (size >= 0 && e.size != size)
    return oci_fail(err, OCIDIG_ERR_SIZE_MISMATCH, "%s: %s is %lld bytes, the descriptor says %lld; nothing written",
                    dstr, relpath, (long long)e.size, (long long)size);
  if (e.size >= 0 && (uint64_t)e.size <= small_cap) {
    uint8_t *data;
    size_t len;
    if ((rc = ocidig_layout_read_file(l, relpath, small_cap, &data, &len, err)) != OCIDIG_OK)
      return rc;
    if (!oci_hash_hex(digest->alg, data, len, hex)) {
      free(data);
      return oci_nomem(err);
    }
    if (strcmp(hex, digest->hex)) {
      free(data);
      return oci_fail(err, OCIDIG_ERR_DIGEST_MISMATCH, "%s: the bytes of %s hash to %s:%s; nothing written", dstr,
                      relpath, ocidig_digest_alg_name(digest->alg), hex);
    }
    rc = len ? sink(ctx, data, len, err) : OCIDIG_OK;
    if (rc == OCIDIG_OK)
      *written = len;
    free(data);
    return rc;
  }
  {
    hash_sink s = {.h = oci_hasher_new(digest->alg), .sink = sink, .ctx = ctx};
    if (!s.h)
      return oci_nomem(err);
    rc = ocidig_layout_stream_file(l, relpath, hash_sink_write, &s, err);
    oci_hasher_final_hex(s.h, hex);
    oci_hasher_free(s.h);
    *written = s.n;
    if (rc != OCIDIG_OK) {
      if (s.n)
        oci_error_prefix(err, "%s: %llu bytes were written before the error and were NOT verified", dstr,
                         (unsigned long long)s.n);
      return rc;
    }
    if (size >= 0 && s.n != (uint64_t)size)
      return oci_fail(err, OCIDIG_ERR_SIZE_MISMATCH,
                      "%s: %s gave %llu bytes, the descriptor says %lld; the bytes written are NOT verified", dstr,
                      relpath, (unsigned long long)s.n, (long long)size);
    if (strcmp(hex, digest->hex))
      return oci_fail(err, OCIDIG_ERR_DIGEST_MISMATCH,
                      "%s: the %llu bytes of %s written out hash to %s:%s: they are NOT verified, discard them", dstr,
                      (unsigned long long)s.n, relpath, ocidig_digest_alg_name(digest->alg), hex);
  }
  return OCIDIG_OK;
}
