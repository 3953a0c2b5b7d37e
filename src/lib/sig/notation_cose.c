/* notation_cose.c: a Notation COSE envelope (application/cose), COSE_Sign1_Tagged read with
 * libcbor: tag 18 over [protected (bstr: a map), unprotected (map), payload (bstr),
 * signature (bstr)] (libcbor 0.8 does not read tag 18 in its one-byte form: see below).  Protected: alg (label 1: -37/-38/-39 PS256..PS512, -7/-35/-36
 * ES256..ES512), crit (2), content type (3), io.cncf.notary.signingScheme, signingTime,
 * authenticSigningTime, expiry (tag 1 epoch times).  Unprotected (or protected): x5chain
 * (label 33, one bstr or an array of them), io.cncf.notary.timestampSignature.  What is
 * signed is Sig_structure ["Signature1", protected, h'', payload], encoded by libcbor.
 *
 * Before libcbor builds a tree, the bytes are walked with its streaming decoder: at most
 * NTN_COSE_MAX_ITEMS items, NTN_COSE_MAX_DEPTH deep, and no array or map that announces
 * more elements than bytes are left (libcbor allocates an announced size up front, and
 * frees a tree recursively). */
#include "notation_int.h"

#include <stdlib.h>
#include <string.h>

#ifndef HAVE_CBOR

bool ntn_cose_read(const uint8_t *p, size_t n, ntn_env *e, ocidig_sig_result *r)
{
  (void)p;
  (void)n;
  e->format = "cose";
  return sig_fail(r, OCIDIG_SIG_UNSUPPORTED, "COSE envelope: built without libcbor");
}

#else

#include <cbor.h>

#define NTN_COSE_MAX_ITEMS 65536

#define NTN_COSE_MAX_DEPTH 32 /* a Notation envelope nests 4 deep */

/* The streaming pre-scan's state: the open containers (what each still holds; SIZE_MAX: an
 * indefinite one, closed by a break). */
typedef struct prescan {
  size_t left; /* bytes after the item being decoded */
  size_t open[NTN_COSE_MAX_DEPTH];
  size_t depth;
  bool bad;
} prescan;

/* One item complete: its container holds one fewer; the containers it completes close. */
static void done(prescan *s)
{
  while (s->depth && s->open[s->depth - 1] != SIZE_MAX && --s->open[s->depth - 1] == 0)
    s->depth--;
}

static void open_(prescan *s, size_t holds)
{
  if (holds == 0) {
    done(s);
    return;
  }
  if (s->depth == NTN_COSE_MAX_DEPTH) {
    s->bad = true;
    return;
  }
  s->open[s->depth++] = holds;
}

static void on_u8(void *c, uint8_t v) { (void)v, done(c); }
static void on_u16(void *c, uint16_t v) { (void)v, done(c); }
static void on_u32(void *c, uint32_t v) { (void)v, done(c); }
static void on_u64(void *c, uint64_t v) { (void)v, done(c); }
static void on_bytes(void *c, cbor_data p, size_t n) { (void)p, (void)n, done(c); }
static void on_float(void *c, float v) { (void)v, done(c); }
static void on_double(void *c, double v) { (void)v, done(c); }
static void on_simple(void *c) { done(c); }
static void on_bool(void *c, bool v) { (void)v, done(c); }
static void on_indef(void *c) { open_(c, SIZE_MAX); }
static void on_tag(void *c, uint64_t v) { (void)v, open_(c, 1); }

static void on_array(void *ctx, size_t size)
{
  prescan *s = ctx;
  if (size > s->left || size > NTN_COSE_MAX_ITEMS)
    s->bad = true;
  else
    open_(s, size);
}

static void on_map(void *ctx, size_t size)
{
  prescan *s = ctx;
  if (size > s->left / 2 || size > NTN_COSE_MAX_ITEMS / 2)
    s->bad = true;
  else
    open_(s, 2 * size);
}

static void on_break(void *ctx)
{
  prescan *s = ctx;
  if (!s->depth || s->open[s->depth - 1] != SIZE_MAX) {
    s->bad = true;
    return;
  }
  s->depth--;
  done(s);
}

/* Is the buffer one CBOR item of at most NTN_COSE_MAX_ITEMS items, NTN_COSE_MAX_DEPTH
 * deep?  (libcbor's streaming decoder allocates nothing; its tree builder, cbor_load,
 * allocates what an array or map announces and frees a tree recursively.) */
static bool prescan_ok(const uint8_t *p, size_t n)
{
  struct cbor_callbacks cb = {
    .uint8 = on_u8,         .uint16 = on_u16,         .uint32 = on_u32,        .uint64 = on_u64,
    .negint8 = on_u8,       .negint16 = on_u16,       .negint32 = on_u32,      .negint64 = on_u64,
    .byte_string = on_bytes, .string = on_bytes,      .byte_string_start = on_indef,
    .string_start = on_indef, .array_start = on_array, .indef_array_start = on_indef,
    .map_start = on_map,    .indef_map_start = on_indef, .tag = on_tag,       .float2 = on_float,
    .float4 = on_float,     .float8 = on_double,      .undefined = on_simple,  .null = on_simple,
    .boolean = on_bool,     .indef_break = on_break,
  };
  prescan s = {.left = n};
  size_t off = 0, count = 0;
  while (off < n) {
    struct cbor_decoder_result d = cbor_stream_decode(p + off, n - off, &cb, &s);
    if (d.status != CBOR_DECODER_FINISHED || d.read == 0)
      return false;
    off += d.read;
    s.left = n - off;
    if (s.bad || ++count > NTN_COSE_MAX_ITEMS || (s.depth == 0 && off < n))
      return false; /* s.depth 0 before the end: a second item */
  }
  return s.depth == 0;
}

/* One CBOR item, the whole buffer; NULL when it is not (r untouched) or out of memory (r
 * marked). */
static cbor_item_t *load(const uint8_t *p, size_t n, ocidig_sig_result *r)
{
  if (!prescan_ok(p, n))
    return NULL;
  struct cbor_load_result res;
  cbor_item_t *it = cbor_load(p, n, &res);
  if (res.error.code == CBOR_ERR_MEMERROR)
    sig_nomem(r);
  if (it && (res.error.code != CBOR_ERR_NONE || res.read != n)) {
    cbor_decref(&it);
    return NULL;
  }
  return it;
}

static bool is_bstr(const cbor_item_t *it)
{
  return it && cbor_isa_bytestring(it) && cbor_bytestring_is_definite(it);
}

static bool is_tstr(const cbor_item_t *it)
{
  return it && cbor_isa_string(it) && cbor_string_is_definite(it);
}

static bool tstr_eq(const cbor_item_t *it, const char *s)
{
  size_t n = strlen(s);
  return is_tstr(it) && cbor_string_length(it) == n && memcmp(cbor_string_handle(it), s, n) == 0;
}

/* An integer label's value (COSE labels: small ints); false when the key is no integer. */
static bool int_label(const cbor_item_t *it, int64_t *out)
{
  if (!it || !cbor_is_int(it))
    return false;
  uint64_t v = cbor_get_int(it);
  if (v > INT64_MAX)
    return false;
  *out = cbor_isa_uint(it) ? (int64_t)v : -1 - (int64_t)v;
  return true;
}

/* The text string as a C string; NULL when it holds a NUL, or out of memory (r marked). */
static char *tstr_dup(const cbor_item_t *it, ocidig_sig_result *r)
{
  size_t n = cbor_string_length(it);
  if (memchr(cbor_string_handle(it), 0, n))
    return NULL;
  char *s = malloc(n + 1);
  if (!s)
    sig_nomem(r);
  if (s) {
    if (n)
      memcpy(s, cbor_string_handle(it), n);
    s[n] = '\0';
  }
  return s;
}

/* An epoch date/time (tag 1 over an integer or a float), in seconds. */
static bool epoch(const cbor_item_t *it, int64_t *out)
{
  if (!it || !cbor_isa_tag(it) || cbor_tag_value(it) != 1)
    return false;
  cbor_item_t *v = cbor_tag_item(it);
  bool ok = false;
  if (cbor_is_int(v)) {
    int64_t x;
    ok = int_label(v, &x);
    *out = x;
  } else if (cbor_is_float(v)) {
    double d = cbor_float_get_float(v);
    ok = d > -1e15 && d < 1e15;
    *out = ok ? (int64_t)d : 0;
  }
  cbor_decref(&v);
  return ok;
}

static bool x5chain(ntn_env *e, const cbor_item_t *v, ocidig_sig_result *r)
{
  if (sk_X509_num(e->chain) > 0)
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "COSE envelope: x5chain is given twice");
  if (is_bstr(v))
    return ntn_push_der(e, cbor_bytestring_handle(v), cbor_bytestring_length(v), 0, r);
  if (!cbor_isa_array(v) || cbor_array_size(v) == 0)
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "COSE envelope: x5chain is not a certificate or an array of them");
  cbor_item_t **a = cbor_array_handle(v);
  for (size_t i = 0; i < cbor_array_size(v); i++) {
    if (!is_bstr(a[i]))
      return sig_fail(r, OCIDIG_SIG_MALFORMED, "COSE envelope: x5chain[%zu] is not a byte string", i);
    if (!ntn_push_der(e, cbor_bytestring_handle(a[i]), cbor_bytestring_length(a[i]), i, r))
      return false;
  }
  return true;
}

static ntn_alg cose_alg(int64_t v)
{
  switch (v) {
  case -37: return NTN_PS256;
  case -38: return NTN_PS384;
  case -39: return NTN_PS512;
  case -7: return NTN_ES256;
  case -35: return NTN_ES384;
  case -36: return NTN_ES512;
  default: return NTN_ALG_NONE;
  }
}

static bool read_protected(const cbor_item_t *m, ntn_env *e, ocidig_sig_result *r)
{
  if (!cbor_isa_map(m))
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "COSE envelope: the protected header is not a map");
  struct cbor_pair *kv = cbor_map_handle(m);
  bool has_alg = false;
  for (size_t i = 0; i < cbor_map_size(m); i++) {
    const cbor_item_t *k = kv[i].key, *v = kv[i].value;
    int64_t label;
    if (int_label(k, &label)) {
      if (label == 1) {
        int64_t a;
        if (!int_label(v, &a))
          return sig_fail(r, OCIDIG_SIG_UNSUPPORTED, "COSE envelope: alg is not an integer");
        e->alg = cose_alg(a);
        if (e->alg == NTN_ALG_NONE)
          return sig_fail(r, OCIDIG_SIG_UNSUPPORTED,
                          "COSE envelope: alg %lld is not one Notation allows (PS256..PS512, ES256..ES512)", (long long)a);
        has_alg = true;
      } else if (label == 2) {
        if (!cbor_isa_array(v) || cbor_array_size(v) == 0)
          return sig_fail(r, OCIDIG_SIG_MALFORMED, "COSE envelope: crit is not a non-empty array");
        cbor_item_t **c = cbor_array_handle(v);
        for (size_t j = 0; j < cbor_array_size(v); j++) {
          if (!is_tstr(c[j]))
            return sig_fail(r, OCIDIG_SIG_UNSUPPORTED, "COSE envelope: crit[%zu] is not a header name this verifier processes",
                            j);
          char *name = tstr_dup(c[j], r);
          bool ok = name && ntn_crit_add(e, name, r);
          if (!name)
            sig_fail(r, OCIDIG_SIG_MALFORMED, "COSE envelope: crit[%zu] holds a NUL", j);
          free(name);
          if (!ok)
            return false;
        }
      } else if (label == 3) {
        if (!is_tstr(v))
          return sig_fail(r, OCIDIG_SIG_UNSUPPORTED, "COSE envelope: the content type is not a media type string");
        free(e->cty);
        e->cty = tstr_dup(v, r);
        if (!e->cty)
          return sig_fail(r, OCIDIG_SIG_MALFORMED, "COSE envelope: the content type holds a NUL");
      } else if (label == 33) {
        if (!x5chain(e, v, r))
          return false;
      }
      continue;
    }
    if (tstr_eq(k, "io.cncf.notary.signingScheme")) {
      if (!is_tstr(v) || !(e->scheme = tstr_dup(v, r)))
        return sig_fail(r, OCIDIG_SIG_MALFORMED, "COSE envelope: io.cncf.notary.signingScheme is not a string");
    } else if (tstr_eq(k, "io.cncf.notary.signingTime")) {
      if (!(e->has_signing_time = epoch(v, &e->signing_time)))
        return sig_fail(r, OCIDIG_SIG_MALFORMED, "COSE envelope: io.cncf.notary.signingTime is not an epoch time");
    } else if (tstr_eq(k, "io.cncf.notary.authenticSigningTime")) {
      if (!(e->has_authentic_time = epoch(v, &e->authentic_time)))
        return sig_fail(r, OCIDIG_SIG_MALFORMED, "COSE envelope: io.cncf.notary.authenticSigningTime is not an epoch time");
    } else if (tstr_eq(k, "io.cncf.notary.expiry")) {
      if (!(e->has_expiry = epoch(v, &e->expiry)))
        return sig_fail(r, OCIDIG_SIG_MALFORMED, "COSE envelope: io.cncf.notary.expiry is not an epoch time");
    }
  }
  if (!has_alg)
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "COSE envelope: the protected header has no alg");
  return true;
}

static bool read_unprotected(const cbor_item_t *m, ntn_env *e, ocidig_sig_result *r)
{
  if (!cbor_isa_map(m))
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "COSE envelope: the unprotected header is not a map");
  struct cbor_pair *kv = cbor_map_handle(m);
  for (size_t i = 0; i < cbor_map_size(m); i++) {
    int64_t label;
    if (int_label(kv[i].key, &label) && label == 33) {
      if (!x5chain(e, kv[i].value, r))
        return false;
    } else if (tstr_eq(kv[i].key, "io.cncf.notary.timestampSignature"))
      e->has_timestamp = true;
  }
  return true;
}

/* Sig_structure for COSE_Sign1 (RFC 9052 §4.4), encoded by libcbor. */
static bool sig_structure(const cbor_item_t *prot, const cbor_item_t *payload, sig_buf *out)
{
  static const uint8_t none[1] = {0};
  cbor_item_t *a = cbor_new_definite_array(4);
  /* each built on its own: libcbor's cbor_move dereferences what it is given */
  cbor_item_t *items[4] = {
    cbor_build_string("Signature1"),
    cbor_build_bytestring(cbor_bytestring_handle(prot), cbor_bytestring_length(prot)),
    cbor_build_bytestring(none, 0),
    cbor_build_bytestring(cbor_bytestring_handle(payload), cbor_bytestring_length(payload)),
  };
  bool ok = a != NULL;
  for (size_t i = 0; i < 4; i++) {
    ok = ok && items[i] && cbor_array_push(a, items[i]); /* the array takes its own reference */
    if (items[i])
      cbor_decref(&items[i]);
  }
  unsigned char *buf = NULL;
  size_t size = 0, len = ok ? cbor_serialize_alloc(a, &buf, &size) : 0;
  if (a)
    cbor_decref(&a);
  if (!len) {
    free(buf);
    return false;
  }
  out->p = buf;
  out->n = len;
  return true;
}

static bool copy_bstr(const cbor_item_t *it, sig_buf *out)
{
  size_t n = cbor_bytestring_length(it);
  out->p = malloc(n ? n : 1);
  if (!out->p)
    return false;
  if (n)
    memcpy(out->p, cbor_bytestring_handle(it), n);
  out->n = n;
  return true;
}

bool ntn_cose_read(const uint8_t *p, size_t n, ntn_env *e, ocidig_sig_result *r)
{
  e->format = "cose";
  /* COSE_Sign1_Tagged: tag 18.  libcbor 0.8 refuses the tags 6 to 20 in their one-byte form
   * (0xd2 here: "unassigned" to it), so that byte is taken off first; the two-byte form
   * (0xd8 0x12) it reads. */
  bool short_tag = n > 0 && p[0] == 0xd2;
  cbor_item_t *top = short_tag ? load(p + 1, n - 1, r) : load(p, n, r), *prot_map = NULL;
  bool ok = false;
  if (!top) {
    sig_fail(r, OCIDIG_SIG_MALFORMED, "COSE envelope: not one well-formed CBOR item (of at most %d items, %d deep)",
             NTN_COSE_MAX_ITEMS, NTN_COSE_MAX_DEPTH);
    goto out;
  }
  if (!short_tag && (!cbor_isa_tag(top) || cbor_tag_value(top) != 18)) {
    sig_fail(r, OCIDIG_SIG_MALFORMED, "COSE envelope: not a COSE_Sign1_Tagged message (tag 18)");
    goto out;
  }
  cbor_item_t *msg = short_tag ? cbor_incref(top) : cbor_tag_item(top); /* given back at once: top keeps it */
  cbor_item_t **f = cbor_isa_array(msg) && cbor_array_size(msg) == 4 ? cbor_array_handle(msg) : NULL;
  cbor_decref(&msg);
  if (!f) {
    sig_fail(r, OCIDIG_SIG_MALFORMED, "COSE envelope: COSE_Sign1 is not an array of 4");
    goto out;
  }
  if (!is_bstr(f[0]) || !is_bstr(f[3])) {
    sig_fail(r, OCIDIG_SIG_MALFORMED, "COSE envelope: the protected header or the signature is not a byte string");
    goto out;
  }
  if (!is_bstr(f[2])) {
    sig_fail(r, OCIDIG_SIG_UNSUPPORTED, "COSE envelope: a detached payload (Notation's envelope carries it)");
    goto out;
  }
  if (cbor_bytestring_length(f[0]) == 0 ||
      !(prot_map = load(cbor_bytestring_handle(f[0]), cbor_bytestring_length(f[0]), r))) {
    sig_fail(r, OCIDIG_SIG_MALFORMED, "COSE envelope: the protected header is not one CBOR map");
    goto out;
  }
  if (!read_protected(prot_map, e, r) || !read_unprotected(f[1], e, r))
    goto out;
  if (!copy_bstr(f[2], &e->payload) || !copy_bstr(f[3], &e->signature) || !sig_structure(f[0], f[2], &e->tbs)) {
    sig_nomem(r);
    goto out;
  }
  if (sk_X509_num(e->chain) <= 0) {
    sig_fail(r, OCIDIG_SIG_MALFORMED, "COSE envelope: no x5chain certificate chain");
    goto out;
  }
  ok = true;
out:
  if (prot_map)
    cbor_decref(&prot_map);
  if (top)
    cbor_decref(&top);
  return ok;
}

#endif
