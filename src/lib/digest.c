/* digest.c: the OCI digest grammar (image-spec descriptor.md) for sha256 and sha512.
 * A blob path is only ever built from a digest that passed this parser. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static bool alg_component_char(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool alg_separator(char c)
{
  return c == '+' || c == '.' || c == '_' || c == '-';
}

static bool encoded_char(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '=' || c == '_' ||
         c == '-';
}

bool oci_lower_hex(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return true;
}

/* A digest refused: the text quoted (only now: a digest that parses costs no copy). */
static ocidig_code refuse(ocidig_error *err, ocidig_code code, const char *s, size_t len, const char *why)
{
  char *q = oci_quote(s, len, 140);
  ocidig_code rc = oci_fail(err, code, "%s %s: %s", code == OCIDIG_ERR_INVALID_DIGEST ? "invalid digest" : "digest",
                            q ? q : "", why);
  free(q);
  return rc;
}

ocidig_code ocidig_digest_parse(const char *s, size_t len, ocidig_digest *out, ocidig_error *err)
{
  const char *colon;
  size_t alen, elen;
  char *q;
  ocidig_code rc;

  OCI_REQUIRE(s, "the string", err);
  OCI_REQUIRE(out, "out", err);

  if (len == 0)
    return oci_fail(err, OCIDIG_ERR_INVALID_DIGEST, "invalid digest \"\": empty");
  if (len > OCIDIG_MAX_DIGEST_LENGTH) {
    q = oci_quote(s, len, 80);
    rc = oci_fail(err, OCIDIG_ERR_INVALID_DIGEST, "invalid digest %s: longer than %d characters", q ? q : "",
                  OCIDIG_MAX_DIGEST_LENGTH);
    free(q);
    return rc;
  }
  colon = memchr(s, ':', len);
  if (!colon)
    return refuse(err, OCIDIG_ERR_INVALID_DIGEST, s, len,
                  "no \":\" nor encoded part (want \"sha256:<64 hex>\")");
  alen = (size_t)(colon - s);
  elen = len - alen - 1;
  /* algorithm ::= component (separator component)* */
  for (size_t i = 0; i < alen; i++) {
    bool ok = alg_component_char(s[i]) ||
              (alg_separator(s[i]) && i > 0 && i + 1 < alen && alg_component_char(s[i - 1]));
    if (!ok || alen == 0)
      return refuse(err, OCIDIG_ERR_INVALID_DIGEST, s, len, "bad algorithm");
  }
  if (alen == 0)
    return refuse(err, OCIDIG_ERR_INVALID_DIGEST, s, len, "empty algorithm");
  if (elen == 0)
    return refuse(err, OCIDIG_ERR_INVALID_DIGEST, s, len, "empty encoded part");
  for (size_t i = alen + 1; i < len; i++)
    if (!encoded_char(s[i]))
      return refuse(err, OCIDIG_ERR_INVALID_DIGEST, s, len, "bad character in encoded part");
  if (alen == 6 && !memcmp(s, "sha256", 6)) {
    out->alg = OCIDIG_DIGEST_SHA256;
    if (elen != 64 || !oci_lower_hex(colon + 1, elen))
      return refuse(err, OCIDIG_ERR_INVALID_DIGEST, s, len, "sha256 wants 64 lowercase hex characters");
  } else if (alen == 6 && !memcmp(s, "sha512", 6)) {
    out->alg = OCIDIG_DIGEST_SHA512;
    if (elen != 128 || !oci_lower_hex(colon + 1, elen))
      return refuse(err, OCIDIG_ERR_INVALID_DIGEST, s, len, "sha512 wants 128 lowercase hex characters");
  } else {
    return refuse(err, OCIDIG_ERR_UNSUPPORTED_DIGEST_ALGORITHM, s, len, "unsupported algorithm (supported: sha256, sha512)");
  }
  memcpy(out->hex, colon + 1, elen);
  out->hex[elen] = '\0';
  return OCIDIG_OK;
}

const char *ocidig_digest_alg_name(ocidig_digest_alg alg)
{
  return alg == OCIDIG_DIGEST_SHA512 ? "sha512" : "sha256";
}

void ocidig_digest_format(const ocidig_digest *d, char *buf)
{
  if (!buf)
    return;
  if (!d) {
    buf[0] = '\0';
    return;
  }
  snprintf(buf, OCIDIG_DIGEST_STRING_MAX, "%s:%s", ocidig_digest_alg_name(d->alg), d->hex);
}

void ocidig_digest_blob_path(const ocidig_digest *d, char *buf)
{
  if (!buf)
    return;
  if (!d) {
    buf[0] = '\0';
    return;
  }
  snprintf(buf, OCIDIG_DIGEST_STRING_MAX + 8, "blobs/%s/%s", ocidig_digest_alg_name(d->alg), d->hex);
}

bool ocidig_digest_equal(const ocidig_digest *a, const ocidig_digest *b)
{
  if (!a || !b)
    return a == b;
  return a->alg == b->alg && !strcmp(a->hex, b->hex);
}

/* Short digests (as the text output shows them, and as Docker accepts image IDs). */
bool ocidig_digest_is_prefix(const char *s)
{
  const char *colon = s ? strchr(s, ':') : NULL;
  const char *hex = colon ? colon + 1 : s;
  size_t n;
  if (!s)
    return false;
  if (colon) {
    if (colon == s)
      return false;
    for (const char *p = s; p < colon; p++)
      if (!alg_component_char(*p) && !alg_separator(*p))
        return false;
  }
  n = strlen(hex);
  return n >= OCIDIG_MIN_DIGEST_PREFIX && n <= 128 && oci_lower_hex(hex, n);
}

bool ocidig_digest_matches(const char *digest, const char *want)
{
  const char *dc, *wc, *hex;
  size_t n;
  if (!digest || !want)
    return false;
  if (!strcmp(digest, want))
    return true;
  if (!ocidig_digest_is_prefix(want) || !(dc = strchr(digest, ':')))
    return false;
  wc = strchr(want, ':');
  hex = wc ? wc + 1 : want;
  n = strlen(hex);
  /* A full digest (or bare hex as long as an algorithm's) is not a prefix: it matches
   * exactly, that algorithm only (so it never picks a longer, invalid digest string). */
  if (!wc && (n == 64 || n == 128))
    return (size_t)(dc - digest) == 6 && !memcmp(digest, n == 64 ? "sha256" : "sha512", 6) &&
           !strcmp(dc + 1, hex);
  if (wc && (size_t)(wc - want) == 6 &&
      ((n == 64 && !memcmp(want, "sha256", 6)) || (n == 128 && !memcmp(want, "sha512", 6))))
    return false; /* not equal to digest (compared above) */
  if (wc && ((size_t)(wc - want) != (size_t)(dc - digest) || memcmp(want, digest, (size_t)(wc - want))))
    return false;
  return strlen(dc + 1) >= n && !memcmp(dc + 1, hex, n);
}
