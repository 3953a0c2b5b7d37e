/* util.c: what the signature files share: the verdict, base64 and hex, times, public keys
 * and the one signature check (OpenSSL EVP). */
#include "sig_int.h"

#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <stdlib.h>
#include <string.h>

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

bool sig_b64_decode(const char *s, sig_buf *out)
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
  if (!p)
    return false;
  EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
  int n1 = 0, n2 = 0;
  bool ok = ctx != NULL;
  if (ok) {
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
    return NULL;
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

EVP_PKEY *sig_pkey_der(const uint8_t *p, size_t n)
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
  return NULL;
}

EVP_PKEY *sig_pkey_pem(const uint8_t *p, size_t n, sig_buf *cert_der)
{
  cert_der->p = NULL;
  cert_der->n = 0;
  if (n == 0 || n > INT32_MAX)
    return NULL;
  BIO *bio = BIO_new_mem_buf(p, (int)n);
  if (!bio)
    return NULL;
  EVP_PKEY *k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
  if (!k) {
    (void)BIO_reset(bio);
    X509 *c = PEM_read_bio_X509(bio, NULL, NULL, NULL);
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
      if (!cert_der->p) {
        EVP_PKEY_free(k);
        k = NULL;
      }
    }
  }
  BIO_free(bio);
  return k;
}

bool sig_pkey_spki(EVP_PKEY *k, sig_buf *out)
{
  unsigned char *der = NULL;
  int n = i2d_PUBKEY(k, &der);
  out->p = NULL;
  out->n = 0;
  if (n <= 0)
    return false;
  out->p = malloc((size_t)n);
  if (out->p) {
    memcpy(out->p, der, (size_t)n);
    out->n = (size_t)n;
  }
  OPENSSL_free(der);
  return out->p != NULL;
}

bool sig_sha256(const void *p, size_t n, uint8_t out[32])
{
  unsigned int len = 0;
  return EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) == 1 && len == 32;
}

bool sig_verify(EVP_PKEY *k, bool pss, bool prehashed, const uint8_t *msg, size_t n, const uint8_t *sig,
                size_t sn)
{
  int id = EVP_PKEY_get_base_id(k);
  bool ok = false;
  if (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448) {
    if (prehashed)
      return false; /* pure EdDSA signs the message, not a digest of it */
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    ok = md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, k) == 1 && EVP_DigestVerify(md, sig, sn, msg, n) == 1;
    EVP_MD_CTX_free(md);
    return ok;
  }
  if (id != EVP_PKEY_EC && id != EVP_PKEY_RSA && id != EVP_PKEY_RSA_PSS)
    return false;
  uint8_t digest[32];
  if (!prehashed) {
    if (!sig_sha256(msg, n, digest))
      return false;
    msg = digest;
    n = 32;
  }
  if (n != 32)
    return false;
  EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(k, NULL);
  ok = pc && EVP_PKEY_verify_init(pc) == 1 && EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) == 1;
  if (ok && (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS))
    ok = EVP_PKEY_CTX_set_rsa_padding(pc, pss || id == EVP_PKEY_RSA_PSS ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) == 1;
  if (ok && (pss || id == EVP_PKEY_RSA_PSS))
    ok = EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_AUTO) == 1;
  ok = ok && EVP_PKEY_verify(pc, sig, sn, msg, n) == 1;
  EVP_PKEY_CTX_free(pc);
  return ok;
}
