/* util.c: what the signature files share: the verdict, base64 and hex, times, public keys
 * and the one signature check (OpenSSL EVP). */
#include "sig_int.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

bool sig_fail(ocidig_sig_result *r, ocidig_sig_verdict v, const char *fmt, ...)
{
  if (r->verdict != OCIDIG_SIG_VERIFIED)
    return false; /* the first failure stays */
  va_list ap;
  r->verdict = v;
  va_start(ap, fmt);
  vsnprintf(r->reason, sizeof r->reason, fmt, ap);
  va_end(ap);
  return false;
}

bool sig_nomem(ocidig_sig_result *r)
{
  r->verdict = SIG_NOMEM;
  snprintf(r->reason, sizeof r->reason, "out of memory");
  return false;
}

bool sig_ossl_nomem(ocidig_sig_result *r)
{
  bool nomem = false;
  unsigned long e;
  while ((e = ERR_get_error()) != 0)
    if (ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE)
      nomem = true;
  if (nomem)
    sig_nomem(r);
  return nomem;
}

bool sig_json_nomem(ocidig_code rc, ocidig_sig_result *r)
{
  if (rc != OCIDIG_ERR_NOMEM)
    return false;
  sig_nomem(r);
  return true;
}

void sig_buf_free(sig_buf *b)
{
  if (b) {
    free(b->p);
    b->p = NULL;
    b->n = 0;
  }
}

bool sig_buf_eq(const sig_buf *a, const uint8_t *p, size_t n)
{
  return a->n == n && (n == 0 || memcmp(a->p, p, n) == 0);
}

bool sig_b64_decode(const char *s, sig_buf *out, ocidig_sig_result *r)
{
  out->p = NULL;
  out->n = 0;
  if (!s)
    return false;
  size_t len = strlen(s);
  if (len > INT32_MAX)
    return false;
  size_t chars = 0; /* standard alphabet, '=' padding, line breaks (as PEM and Go allow) */
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '\n' || s[i] == '\r')
      continue;
    if (!(s[i] >= 'A' && s[i] <= 'Z') && !(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= '0' && s[i] <= '9') &&
        s[i] != '+' && s[i] != '/' && s[i] != '=')
      return false;
    chars++;
  }
  uint8_t *p = malloc(len / 4 * 3 + 4);
  EVP_ENCODE_CTX *ctx = p ? EVP_ENCODE_CTX_new() : NULL;
  int n1 = 0, n2 = 0;
  if (!ctx) {
    free(p);
    return sig_nomem(r);
  }
  bool ok = true;
  {
    EVP_DecodeInit(ctx);
    ok = EVP_DecodeUpdate(ctx, p, &n1, (const unsigned char *)s, (int)len) >= 0 &&
         EVP_DecodeFinal(ctx, p + n1, &n2) == 1;
    /* EVP_Decode* accepts a last quantum without its padding; a bundle's base64 is
     * padded (protobuf's JSON form), and what is not a whole number of quanta is not it. */
    ok = ok && chars % 4 == 0;
  }
  EVP_ENCODE_CTX_free(ctx);
  if (!ok) {
    free(p);
    return false;
  }
  out->p = p;
  out->n = (size_t)n1 + (size_t)n2;
  return true;
}

char *sig_b64_encode(const uint8_t *p, size_t n)
{
  if (n > INT32_MAX / 2)
    return NULL; /* never: what is encoded is a document of a few MiB at most */
  char *s = malloc((n + 2) / 3 * 4 + 1);
  if (s)
    EVP_EncodeBlock((unsigned char *)s, p, (int)n);
  return s;
}

void sig_hex(const uint8_t *p, size_t n, char *out)
{
  static const char h[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = h[p[i] >> 4];
    out[2 * i + 1] = h[p[i] & 15];
  }
  out[2 * n] = '\0';
}

/* Days since 1970-01-01 of a proleptic Gregorian date (the civil-from-days inverse). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static bool digits(const char *s, int n, int *out)
{
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool sig_parse_time(const char *s, int64_t *out)
{
  int y, mo, d, h, mi, se;
  if (!s || strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
      !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) || s[13] != ':' ||
      !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se))
    return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
    return false;
  const char *p = s + 19;
  if (*p == '.') {
    p++;
    if (*p < '0' || *p > '9')
      return false;
    while (*p >= '0' && *p <= '9')
      p++;
  }
  int64_t off = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int oh, om;
    if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om))
      return false;
    off = (int64_t)(oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
    p += 6;
  } else {
    return false;
  }
  if (*p)
    return false;
  *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
  return true;
}

bool sig_asn1_time(const ASN1_TIME *t, int64_t *out)
{
  struct tm tm;
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
    return false;
  *out = days_from_civil((int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * 86400 + tm.tm_hour * 3600 +
         tm.tm_min * 60 + tm.tm_sec;
  return true;
}

void sig_fmt_time(int64_t t, char *buf, size_t n)
{
  time_t tt = (time_t)t;
  struct tm tm;
  if (gmtime_r(&tt, &tm))
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
  else
    snprintf(buf, n, "%lld", (long long)t);
}

bool sig_result_same(const ocidig_sig_result *a, const ocidig_sig_result *b)
{
  return a->verdict == b->verdict && !strcmp(a->reason, b->reason) && !strcmp(a->signer, b->signer) &&
         !strcmp(a->issuer, b->issuer) && a->signed_at == b->signed_at && a->bundle_version == b->bundle_version &&
         a->dsse == b->dsse;
}

/* A certificate OpenSSL 3 parsed whole but not quite: its key left undecoded, or its
 * extensions' cache marked invalid or without a fingerprint.  A decoder that runs out of
 * memory leaves exactly that, without a word (x509_pubkey_ex_d2i_ex sets its errors
 * aside), and the cache is kept for the certificate's life. */
static bool degraded(X509 *x)
{
  return !X509_get0_pubkey(x) || (X509_get_extension_flags(x) & (EXFLAG_INVALID | EXFLAG_NO_FINGERPRINT));
}

static X509 *d2i_whole(const uint8_t *p, size_t n)
{
  const unsigned char *q = p;
  X509 *x = d2i_X509(NULL, &q, (long)n);
  if (x && q != p + n) {
    X509_free(x);
    return NULL;
  }
  return x;
}

X509 *sig_x509_der(const uint8_t *p, size_t n, ocidig_sig_result *r)
{
  if (n == 0 || n > INT32_MAX)
    return NULL;
  ERR_clear_error();
  X509 *x = d2i_whole(p, n);
  if (!x) {
    sig_ossl_nomem(r);
    return NULL;
  }
  if (!degraded(x))
    return x;
  /* read once more: the same bytes read the same, unless memory ran out on one reading */
  X509 *y = d2i_whole(p, n);
  if (!y) {
    X509_free(x);
    if (!sig_ossl_nomem(r))
      sig_nomem(r); /* it read a moment ago */
    return NULL;
  }
  if (!degraded(y)) {
    X509_free(x);
    return y;
  }
  bool same = (X509_get0_pubkey(x) == NULL) == (X509_get0_pubkey(y) == NULL) &&
              X509_get_extension_flags(x) == X509_get_extension_flags(y);
  X509_free(y);
  ERR_clear_error();
  if (!same) {
    X509_free(x);
    sig_nomem(r);
    return NULL;
  }
  return x; /* as it is: a key OpenSSL does not read, or extensions it refuses */
}

bool sig_x509_settle(X509 **x, ocidig_sig_result *r)
{
  if (!degraded(*x))
    return true;
  unsigned char *der = NULL;
  int n = i2d_X509(*x, &der);
  if (n <= 0) {
    OPENSSL_free(der);
    return sig_nomem(r); /* a certificate read from its encoding: only memory can be missing */
  }
  X509 *y = sig_x509_der(der, (size_t)n, r);
  OPENSSL_free(der);
  if (!y) {
    if (!sig_is_nomem(r))
      sig_nomem(r);
    return false;
  }
  X509_free(*x);
  *x = y;
  return true;
}

EVP_PKEY *sig_pkey_der(const uint8_t *p, size_t n, ocidig_sig_result *r)
{
  if (n == 0 || n > INT32_MAX)
    return NULL;
  const unsigned char *q = p;
  EVP_PKEY *k = d2i_PUBKEY(NULL, &q, (long)n);
  if (k && q == p + n)
    return k;
  EVP_PKEY_free(k);
  q = p;
  k = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, (long)n); /* PKCS#1 RSAPublicKey */
  if (k && q == p + n)
    return k;
  EVP_PKEY_free(k);
  if (sig_ossl_nomem(r))
    return NULL;
  /* OpenSSL 3's decoders set their errors aside (ERR_pop_to_mark), out of memory too: the
   * same bytes read once more read the same, unless memory ran out */
  q = p;
  k = d2i_PUBKEY(NULL, &q, (long)n);
  if (k && q == p + n)
    return k; /* the first reading ran out of memory */
  EVP_PKEY_free(k);
  sig_ossl_nomem(r);
  return NULL;
}

EVP_PKEY *sig_pkey_pem(const uint8_t *p, size_t n, sig_buf *cert_der, ocidig_sig_result *r)
{
  cert_der->p = NULL;
  cert_der->n = 0;
  if (n == 0 || n > INT32_MAX)
    return NULL;
  BIO *bio = BIO_new_mem_buf(p, (int)n);
  if (!bio) {
    sig_nomem(r);
    return NULL;
  }
  EVP_PKEY *k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
  bool nomem = false;
  if (!k) {
    nomem = sig_ossl_nomem(r); /* not a public key, or out of memory reading it */
    (void)BIO_reset(bio);
    X509 *c = nomem ? NULL : PEM_read_bio_X509(bio, NULL, NULL, NULL);
    if (c && !sig_x509_settle(&c, r)) {
      X509_free(c);
      c = NULL;
      nomem = true;
    }
    if (c) {
      k = X509_get_pubkey(c);
      unsigned char *der = NULL;
      int dn = i2d_X509(c, &der);
      if (k && dn > 0) {
        cert_der->p = malloc((size_t)dn);
        if (cert_der->p) {
          memcpy(cert_der->p, der, (size_t)dn);
          cert_der->n = (size_t)dn;
        }
      }
      OPENSSL_free(der);
      X509_free(c);
      if (!cert_der->p) { /* a certificate OpenSSL read: only memory can be missing */
        EVP_PKEY_free(k);
        k = NULL;
        ERR_clear_error();
        sig_nomem(r);
      }
    } else if (!nomem) {
      sig_ossl_nomem(r);
    }
  }
  BIO_free(bio);
  return k;
}

bool sig_pkey_spki(EVP_PKEY *k, sig_buf *out, ocidig_sig_result *r)
{
  unsigned char *der = NULL;
  int n = i2d_PUBKEY(k, &der);
  out->p = NULL;
  out->n = 0;
  if (n > 0 && (out->p = malloc((size_t)n)) != NULL) {
    memcpy(out->p, der, (size_t)n);
    out->n = (size_t)n;
  }
  OPENSSL_free(der);
  if (!out->p) /* a key OpenSSL holds is always encoded, but for memory */
    return sig_nomem(r);
  return true;
}

bool sig_sha256(const void *p, size_t n, uint8_t out[32], ocidig_sig_result *r)
{
  unsigned int len = 0;
  if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) == 1 && len == 32)
    return true;
  ERR_clear_error();
  return sig_nomem(r); /* SHA-256 of bytes in memory fails for want of memory only */
}

static bool verify_once(EVP_PKEY *k, bool pss, bool prehashed, const uint8_t *msg, size_t n, const uint8_t *sig,
                        size_t sn, ocidig_sig_result *r);

bool sig_verify(EVP_PKEY *k, bool pss, bool prehashed, const uint8_t *msg, size_t n, const uint8_t *sig, size_t sn,
                ocidig_sig_result *r)
{
  ERR_clear_error(); /* what the queue holds after a failure is this check's */
  if (verify_once(k, pss, prehashed, msg, n, sig, sn, r))
    return true;
  sig_ossl_nomem(r);
  return false;
}

static bool verify_once(EVP_PKEY *k, bool pss, bool prehashed, const uint8_t *msg, size_t n, const uint8_t *sig,
                        size_t sn, ocidig_sig_result *r)
{
  int id = EVP_PKEY_get_base_id(k);
  bool ok = false;
  if (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448) {
    if (prehashed)
      return false; /* pure EdDSA signs the message, not a digest of it */
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md)
      return sig_nomem(r);
    ok = EVP_DigestVerifyInit(md, NULL, NULL, NULL, k) == 1 && EVP_DigestVerify(md, sig, sn, msg, n) == 1;
    EVP_MD_CTX_free(md);
    return ok;
  }
  if (id != EVP_PKEY_EC && id != EVP_PKEY_RSA && id != EVP_PKEY_RSA_PSS)
    return false;
  uint8_t digest[32];
  if (!prehashed) {
    if (!sig_sha256(msg, n, digest, r))
      return false;
    msg = digest;
    n = 32;
  }
  if (n != 32)
    return false;
  EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(k, NULL);
  if (!pc)
    return sig_nomem(r);
  ok = EVP_PKEY_verify_init(pc) == 1 && EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) == 1;
  if (ok && (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS))
    ok = EVP_PKEY_CTX_set_rsa_padding(pc, pss || id == EVP_PKEY_RSA_PSS ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) == 1;
  if (ok && (pss || id == EVP_PKEY_RSA_PSS))
    ok = EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_AUTO) == 1;
  ok = ok && EVP_PKEY_verify(pc, sig, sn, msg, n) == 1;
  EVP_PKEY_CTX_free(pc);
  return ok;
}
