/* inflate.c: streaming gzip, multi-member, over ISA-L (isal_inflate, ISAL_GZIP) or zlib
 * (inflate with 16+MAX_WBITS, reset per member).  See inflate.h.
 *
 * This file decides what comes between members: up to four bytes are held until they
 * show whether another member begins (1f 8b, method 8, no reserved flag set: checked here
 * for both backends alike), the stream ends, or the bytes are trailing data.  zlib then
 * reads the rest of the header, the deflate data and the trailer (CRC32, ISIZE).  ISA-L
 * 2.30's own gzip header reader goes wrong when a header arrives in pieces (a name split
 * across two calls, or any FHCRC, ends in "incorrect checksum"): with ISA-L the rest of the
 * header (RFC 1952: MTIME XFL OS, FEXTRA, FNAME, FCOMMENT, FHCRC checked against zlib's
 * crc32) is read here, a byte at a time as it comes, and isal_inflate decodes the deflate
 * data and checks the trailer (ISAL_GZIP_NO_HDR_VER). */
#include "config.h"

#include "inflate.h"
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(HAVE_ISAL) && !defined(OCI_INFLATE_NO_ISAL)
#define OCI_USE_ISAL 1
#include <isa-l/igzip_lib.h>
#else
#define OCI_USE_ISAL 0
#endif
#include <zlib.h>

enum { PH_HEAD, PH_FIELDS, PH_MEMBER, PH_TRAILER };
/* PH_FIELDS (ISA-L): where in the header after its first four bytes */
enum { HF_FIXED, HF_XLEN, HF_EXTRA, HF_NAME, HF_COMMENT, HF_HCRC, HF_DONE };

struct oci_inflate {
#if OCI_USE_ISAL
  struct inflate_state st;
#else
  z_stream zs;
  gz_header gzh; /* only .done read: whether zlib is past the header */
  bool zinit;
#endif
  bool check;       /* the trailers checked (oci_inflate_new), or read past (unchecked) */
  int phase;
  uint32_t skip;    /* PH_TRAILER (unchecked): trailer bytes still to read past */
  int field;        /* PH_FIELDS: HF_* */
  uint32_t need;    /* bytes left of the field (HF_FIXED, HF_XLEN, HF_EXTRA, HF_HCRC) */
  uint32_t value;   /* XLEN or the stored header CRC, little-endian as read */
  uLong hcrc;       /* CRC32 of the header so far */
  oci_inflate_status done; /* sticky final status; OK while running */
  uint8_t head[4];         /* the first bytes of a member, held until checked */
  size_t nhead;
  uint64_t total_in;  /* bytes consumed, the held ones included */
  uint64_t member_end; /* total_in at the end of the last complete member */
  uint64_t members;   /* complete members */
  bool bad_trailer;   /* CORRUPT: a CRC32 or ISIZE mismatch (the member's data all given) */
  char msg[160];
};

/* One call of the backend gives it at most this much (both count in 32 bits). */
#define OCI_INFLATE_CHUNK ((size_t)1 << 30)

const char *oci_inflate_backend(void)
{
  return OCI_USE_ISAL ? "isa-l" : "zlib";
}

static oci_inflate *make(bool check)
{
  oci_inflate *z = calloc(1, sizeof *z);
  if (!z)
    return NULL;
  z->check = check;
#if !OCI_USE_ISAL
  /* 16 + MAX_WBITS: a gzip wrapper, nothing else; checks CRC32 and ISIZE. */
  if (inflateInit2(&z->zs, 16 + MAX_WBITS) != Z_OK) {
    free(z);
    return NULL;
  }
  z->zinit = true;
#endif
  z->phase = PH_HEAD;
  z->done = OCI_INFLATE_OK;
  return z;
}

oci_inflate *oci_inflate_new(void)
{
  return make(true);
}

oci_inflate *oci_inflate_new_unchecked(void)
{
  return make(false);
}

void oci_inflate_free(oci_inflate *z)
{
  if (!z)
    return;
#if !OCI_USE_ISAL
  if (z->zinit)
    inflateEnd(&z->zs);
#endif
  free(z);
}

uint64_t oci_inflate_total_in(const oci_inflate *z)
{
  if (z->done == OCI_INFLATE_TRAILING)
    return z->member_end;
  return z->total_in;
}

uint64_t oci_inflate_members(const oci_inflate *z)
{
  return z->members;
}

bool oci_inflate_bad_trailer(const oci_inflate *z)
{
  return z->done == OCI_INFLATE_CORRUPT && z->bad_trailer;
}

const char *oci_inflate_message(const oci_inflate *z)
{
  return z->msg;
}

static oci_inflate_status finish(oci_inflate *z, oci_inflate_status s, const char *fmt, ...)
    OCI_PRINTF(3, 4);
static oci_inflate_status finish(oci_inflate *z, oci_inflate_status s, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(z->msg, sizeof z->msg, fmt, ap);
  va_end(ap);
  z->done = s;
  return s;
}

/* ------------------------------------------------------------------ backends
 * member_begin: the decoder ready for a new member.  decode: as much as fits; *ended when
 * the member (trailer checked) is complete, or (unchecked) its deflate data is, z->skip then
 * the trailer bytes it has not taken; returns OK or a final status (message set). */

#if OCI_USE_ISAL

static void member_begin(oci_inflate *z)
{
  z->skip = 0;
  isal_inflate_init(&z->st);
  /* deflate data, then the trailer checked; unchecked: raw deflate, no CRC32 computed */
  z->st.crc_flag = z->check ? ISAL_GZIP_NO_HDR_VER : ISAL_DEFLATE;
}

static const char *isal_reason(int r)
{
  switch (r) {
  case ISAL_INVALID_BLOCK: return "bad deflate data: invalid block";
  case ISAL_INVALID_SYMBOL: return "bad deflate data: invalid symbol";
  case ISAL_INVALID_LOOKBACK: return "bad deflate data: invalid distance";
  case ISAL_INVALID_WRAPPER: return "bad gzip header";
  case ISAL_UNSUPPORTED_METHOD: return "unknown compression method";
  case ISAL_INCORRECT_CHECKSUM: return "CRC32 or ISIZE mismatch";
  default: return "bad deflate data";
  }
}

static bool in_header(const oci_inflate *z)
{
  (void)z;
  return false; /* the header is read in PH_FIELDS */
}

static oci_inflate_status decode(oci_inflate *z, const uint8_t **in, size_t *in_len, uint8_t *out,
                                 size_t out_cap, size_t *produced, bool *ended)
{
  struct inflate_state *st = &z->st;
  size_t ilen = *in_len > OCI_INFLATE_CHUNK ? OCI_INFLATE_CHUNK : *in_len;
  size_t olen = out_cap > OCI_INFLATE_CHUNK ? OCI_INFLATE_CHUNK : out_cap;
  st->next_in = (uint8_t *)(uintptr_t)*in;
  st->avail_in = (uint32_t)ilen;
  st->next_out = out;
  st->avail_out = (uint32_t)olen;
  int r = isal_inflate(st);
  size_t used = ilen - st->avail_in;
  *in += used;
  *in_len -= used;
  z->total_in += used;
  *produced = olen - st->avail_out;
  if (r == ISAL_INCORRECT_CHECKSUM)
    z->bad_trailer = true;
  if (r < 0 && r != ISAL_NEED_DICT)
    return finish(z, OCI_INFLATE_CORRUPT, "member %llu: %s", (unsigned long long)z->members + 1,
                  isal_reason(r));
  if (r == ISAL_NEED_DICT)
    return finish(z, OCI_INFLATE_CORRUPT, "member %llu: bad data", (unsigned long long)z->members + 1);
  *ended = st->block_state == ISAL_BLOCK_FINISH;
  if (*ended && !z->check) {
    /* Raw deflate ends with the bytes after the data that ISA-L had read ahead in its bit
     * buffer (whole bytes: the bits short of one are the last byte's padding), and in its
     * header buffer, which a finished block header leaves empty; both come before next_in,
     * as ISA-L's own trailer check takes them.  They are the first trailer bytes: the bit
     * buffer holds at most eight. */
    uint32_t held = (uint32_t)(st->read_in_length / 8) + (uint32_t)st->tmp_in_size;
    if (held > 8)
      return finish(z, OCI_INFLATE_CORRUPT, "member %llu: the decoder holds %u bytes past the data",
                    (unsigned long long)z->members + 1, held);
    z->skip = 8 - held;
  }
  return OCI_INFLATE_OK;
}

#else

static void member_begin(oci_inflate *z)
{
  z->skip = 0;
  inflateReset(&z->zs);
  memset(&z->gzh, 0, sizeof z->gzh); /* no buffers: extra, name and comment skipped */
  inflateGetHeader(&z->zs, &z->gzh);
}

static bool in_header(const oci_inflate *z)
{
  return z->gzh.done == 0;
}

static oci_inflate_status decode(oci_inflate *z, const uint8_t **in, size_t *in_len, uint8_t *out,
                                 size_t out_cap, size_t *produced, bool *ended)
{
  z_stream *zs = &z->zs;
  size_t ilen = *in_len > OCI_INFLATE_CHUNK ? OCI_INFLATE_CHUNK : *in_len;
  size_t olen = out_cap > OCI_INFLATE_CHUNK ? OCI_INFLATE_CHUNK : out_cap;
  zs->next_in = (Bytef *)(uintptr_t)*in;
  zs->avail_in = (uInt)ilen;
  zs->next_out = out;
  zs->avail_out = (uInt)olen;
  int r = inflate(zs, Z_NO_FLUSH);
  size_t used = ilen - zs->avail_in;
  *in += used;
  *in_len -= used;
  z->total_in += used;
  *produced = olen - zs->avail_out;
  switch (r) {
  case Z_OK:
  case Z_BUF_ERROR: /* no progress possible: more input or more room */
    return OCI_INFLATE_OK;
  case Z_STREAM_END:
    *ended = true;
    return OCI_INFLATE_OK;
  case Z_MEM_ERROR:
    return finish(z, OCI_INFLATE_NOMEM, "out of memory");
  default: {
    const char *why = zs->msg ? zs->msg : "";
    const char *pre = "bad deflate data: ";
    if (!z->check && r == Z_DATA_ERROR && !strcmp(why, "incorrect data check")) {
      *ended = true; /* zlib took the CRC32 (4 bytes) and stopped: the ISIZE is read past */
      z->skip = 4;
      return OCI_INFLATE_OK;
    }
    if (!z->check && r == Z_DATA_ERROR && !strcmp(why, "incorrect length check")) {
      *ended = true; /* the whole trailer taken */
      z->skip = 0;
      return OCI_INFLATE_OK;
    }
    /* said as the ISA-L backend says them, where both know the same */
    if (!strcmp(why, "incorrect data check") || !strcmp(why, "incorrect length check")) {
      pre = "", why = "CRC32 or ISIZE mismatch";
      z->bad_trailer = true;
    }
    else if (!strcmp(why, "header crc mismatch"))
      pre = "", why = "bad gzip header (header CRC mismatch)";
    else if (in_header(z))
      pre = "bad gzip header: ";
    return finish(z, OCI_INFLATE_CORRUPT, "member %llu: %s%s", (unsigned long long)z->members + 1, pre, why);
  }
  }
}

#endif

/* ---------------------------------------------------------------------- run */

/* Takes bytes into z->head until it holds n. */
static void take_head(oci_inflate *z, const uint8_t **in, size_t *in_len, size_t n)
{
  while (z->nhead < n && *in_len > 0) {
    z->head[z->nhead++] = **in;
    (*in)++;
    (*in_len)--;
    z->total_in++;
  }
}

/* PH_HEAD: decides from the held bytes.  Returns OK with z->phase set to PH_MEMBER when a
 * member begins (its first bytes given to the backend), OK with phase still PH_HEAD when
 * more input is needed, or a final status. */
static oci_inflate_status head(oci_inflate *z, const uint8_t **in, size_t *in_len, bool final)
{
  unsigned long long m = (unsigned long long)z->members + 1;
  take_head(z, in, in_len, 2);
  if (z->nhead == 0) {
    if (!final)
      return OCI_INFLATE_OK;
    if (z->members == 0)
      return finish(z, OCI_INFLATE_TRUNCATED, "empty stream (no gzip member)");
    z->done = OCI_INFLATE_END;
    return OCI_INFLATE_END;
  }
  if (z->head[0] != 0x1f || (z->nhead >= 2 && z->head[1] != 0x8b)) {
    if (z->members == 0)
      return finish(z, OCI_INFLATE_CORRUPT, "not a gzip stream (it begins with 0x%02x%s)",
                    z->head[0], z->nhead >= 2 ? "..." : "");
    return finish(z, OCI_INFLATE_TRAILING, "data after gzip member %llu (at byte %llu): not a gzip member",
                  (unsigned long long)z->members, (unsigned long long)z->member_end);
  }
  take_head(z, in, in_len, 4);
  if (z->nhead < 4) {
    if (!final)
      return OCI_INFLATE_OK;
    return finish(z, OCI_INFLATE_TRUNCATED, "member %llu: the stream ends inside its header", m);
  }
  if (z->head[2] != 8)
    return finish(z, OCI_INFLATE_CORRUPT, "member %llu: bad gzip header (compression method %u, not deflate)",
                  m, z->head[2]);
  if (z->head[3] & 0xe0)
    return finish(z, OCI_INFLATE_CORRUPT, "member %llu: bad gzip header (reserved flags 0x%02x set)", m,
                  z->head[3] & 0xe0);
#if OCI_USE_ISAL
  z->hcrc = crc32(crc32(0L, Z_NULL, 0), z->head, 4);
  z->phase = PH_FIELDS;
  z->field = HF_FIXED;
  z->need = 6;
  z->nhead = 0;
  return OCI_INFLATE_OK;
#else
  member_begin(z);
  /* The held bytes to the backend: four header bytes produce no output. */
  const uint8_t *h = z->head;
  size_t hl = z->nhead;
  uint64_t keep = z->total_in;
  uint8_t none[1];
  size_t produced = 0;
  bool ended = false;
  oci_inflate_status s = decode(z, &h, &hl, none, 0, &produced, &ended);
  if (s != OCI_INFLATE_OK)
    return s;
  if (hl > 0 || produced > 0 || ended) /* neither backend does this with four header bytes */
    return finish(z, OCI_INFLATE_CORRUPT, "member %llu: bad gzip header", m);
  z->total_in = keep; /* counted once, when taken */
  z->nhead = 0;
  z->phase = PH_MEMBER;
  return OCI_INFLATE_OK;
#endif
}

#if OCI_USE_ISAL
/* The next field the flags (z->head[3]) ask for after `after`. */
static void next_field(oci_inflate *z, int after)
{
  uint8_t flg = z->head[3];
  int f = after + 1;
  if (f == HF_EXTRA) /* entered from HF_XLEN only, when XLEN > 0 */
    f = HF_NAME;
  z->need = 0;
  z->value = 0;
  if (f == HF_XLEN && !(flg & 4))
    f = HF_NAME;
  if (f == HF_NAME && !(flg & 8))
    f = HF_COMMENT;
  if (f == HF_COMMENT && !(flg & 16))
    f = HF_HCRC;
  if (f == HF_HCRC && !(flg & 2))
    f = HF_DONE;
  if (f == HF_XLEN || f == HF_HCRC)
    z->need = 2;
  z->field = f;
}

/* PH_FIELDS: the header after its first four bytes, from whatever input there is.  The
 * held flags byte stays in z->head[3]. */
static oci_inflate_status fields(oci_inflate *z, const uint8_t **in, size_t *in_len, bool final)
{
  unsigned long long m = (unsigned long long)z->members + 1;
  while (z->field != HF_DONE) {
    if (*in_len == 0) {
      if (final)
        return finish(z, OCI_INFLATE_TRUNCATED, "member %llu: the stream ends inside its header", m);
      return OCI_INFLATE_OK;
    }
    const uint8_t *p = *in;
    size_t n = 0;
    switch (z->field) {
    case HF_FIXED:
    case HF_EXTRA:
      n = *in_len < z->need ? *in_len : z->need;
      z->need -= (uint32_t)n;
      break;
    case HF_XLEN:
    case HF_HCRC:
      n = 1;
      z->value |= (uint32_t)p[0] << (8 * (2 - z->need));
      z->need--;
      break;
    case HF_NAME:
    case HF_COMMENT: {
      const uint8_t *nul = memchr(p, 0, *in_len);
      n = nul ? (size_t)(nul - p) + 1 : *in_len;
      if (nul)
        z->need = 0;
      else
        z->need = 1; /* not ended yet */
      break;
    }
    }
    if (z->field != HF_HCRC)
      z->hcrc = crc32(z->hcrc, p, (uInt)n);
    *in += n;
    *in_len -= n;
    z->total_in += n;
    if (z->need > 0)
      continue;
    if (z->field == HF_XLEN && z->value > 0) {
      z->field = HF_EXTRA;
      z->need = z->value;
      continue;
    }
    if (z->field == HF_HCRC && z->value != (z->hcrc & 0xffff))
      return finish(z, OCI_INFLATE_CORRUPT, "member %llu: bad gzip header (header CRC mismatch)", m);
    next_field(z, z->field);
  }
  member_begin(z);
  z->phase = PH_MEMBER;
  return OCI_INFLATE_OK;
}
#endif

oci_inflate_status oci_inflate_run(oci_inflate *z, const uint8_t **in, size_t *in_len, bool final,
                                   uint8_t *out, size_t out_cap, size_t *out_len)
{
  *out_len = 0;
  if (z->done != OCI_INFLATE_OK)
    return z->done;
  for (;;) {
    if (z->phase == PH_HEAD) {
      oci_inflate_status s = head(z, in, in_len, final);
      if (s != OCI_INFLATE_OK || z->phase == PH_HEAD)
        return s;
    }
#if OCI_USE_ISAL
    if (z->phase == PH_FIELDS) {
      oci_inflate_status s = fields(z, in, in_len, final);
      if (s != OCI_INFLATE_OK || z->phase == PH_FIELDS)
        return s;
    }
#endif
    if (z->phase == PH_TRAILER) {
      size_t n = *in_len < z->skip ? *in_len : z->skip;
      *in += n;
      *in_len -= n;
      z->total_in += n;
      z->skip -= (uint32_t)n;
      if (z->skip > 0) {
        if (final)
          return finish(z, OCI_INFLATE_TRUNCATED, "member %llu: the stream ends inside its trailer",
                        (unsigned long long)z->members + 1);
        return OCI_INFLATE_OK;
      }
      z->members++;
      z->member_end = z->total_in;
      z->phase = PH_HEAD;
      continue;
    }
    size_t room = out_cap - *out_len;
    if (room == 0)
      return OCI_INFLATE_OK;
    size_t produced = 0;
    bool ended = false;
    oci_inflate_status s = decode(z, in, in_len, out + *out_len, room, &produced, &ended);
    *out_len += produced;
    if (s != OCI_INFLATE_OK)
      return s;
    if (ended && z->skip > 0) {
      z->phase = PH_TRAILER; /* unchecked: the rest of the trailer read past */
      continue;
    }
    if (ended) {
      z->members++;
      z->member_end = z->total_in;
      z->phase = PH_HEAD;
      continue;
    }
    if (produced == room)
      return OCI_INFLATE_OK; /* full: call again with room */
    if (*in_len > 0)
      continue; /* the backend stopped at its chunk limit */
    if (final)
      return finish(z, OCI_INFLATE_TRUNCATED, "member %llu: the stream ends inside its %s",
                    (unsigned long long)z->members + 1, in_header(z) ? "header" : "data");
    return OCI_INFLATE_OK;
  }
}
