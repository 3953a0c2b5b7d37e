/* notation_jws.c: a Notation JWS envelope (application/jose+json), the flattened JWS JSON
 * serialization: {"payload", "protected", "header", "signature"} and nothing else; the
 * protected header's alg, cty, crit, io.cncf.notary.signingScheme / signingTime /
 * authenticSigningTime / expiry; the unprotected header's x5c chain (standard base64 DER)
 * and timestampSignature.  What is signed is ASCII(protected '.' payload) as the envelope
 * has them.  base64url is translated to base64 and decoded by OpenSSL (EVP_Decode*). */
#include "notation_int.h"

#include <stdlib.h>
#include <string.h>

/* base64url without padding (RFC 7515 §2) to bytes: the alphabet checked, '-' '_' mapped
 * to '+' '/', the padding added, then EVP_Decode* (sig_b64_decode). */
static bool b64url_decode(const char *s, sig_buf *out, ocidig_sig_result *r)
{
  size_t n = strlen(s);
  if (n % 4 == 1 || n > INT32_MAX / 2)
    return false;
  char *t = malloc(n + 4);
  if (!t)
    return sig_nomem(r);
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
      free(t);
      return false;
    }
    t[i] = c;
  }
  size_t m = n;
  while (m % 4)
    t[m++] = '=';
  t[m] = '\0';
  bool ok = sig_b64_decode(t, out, r);
  free(t);
  return ok;
}

static const char *str(json_object *o, const char *key)
{
  json_object *v = oci_json_get(o, key);
  return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* An optional RFC 3339 time of the protected header. */
static bool time_field(json_object *h, const char *key, bool *has, int64_t *out, ocidig_sig_result *r)
{
  json_object *v = oci_json_get(h, key);
  *has = v != NULL;
  if (!v)
    return true;
  if (!json_object_is_type(v, json_type_string) || !sig_parse_time(json_object_get_string(v), out))
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "JWS envelope: the protected header's %s is not an RFC 3339 time", key);
  return true;
}

static bool read_protected(const sig_buf *text, ntn_env *e, ocidig_sig_result *r)
{
  oci_json_doc doc = {0};
  ocidig_error jerr;
  ocidig_code rc = oci_json_parse(text->p, text->n, "the JWS protected header", &doc, &jerr);
  if (rc != OCIDIG_OK)
    return sig_json_nomem(rc, r) ? false : sig_fail(r, OCIDIG_SIG_MALFORMED, "JWS envelope: %s", jerr.message);
  json_object *h = doc.root;
  bool ok = false;
  if (doc.n_dup_keys) {
    sig_fail(r, OCIDIG_SIG_MALFORMED, "JWS envelope: the protected header has the key \"%.100s\" twice",
             doc.dup_keys[0]);
    goto out;
  }
  if (!json_object_is_type(h, json_type_object)) {
    sig_fail(r, OCIDIG_SIG_MALFORMED, "JWS envelope: the protected header is not a JSON object");
    goto out;
  }
  const char *alg = str(h, "alg"), *cty = str(h, "cty"), *scheme = str(h, "io.cncf.notary.signingScheme");
  if (!alg) {
    sig_fail(r, OCIDIG_SIG_MALFORMED, "JWS envelope: the protected header has no alg");
    goto out;
  }
  e->alg = ntn_alg_from_jws(alg);
  if (e->alg == NTN_ALG_NONE) {
    sig_fail(r, OCIDIG_SIG_UNSUPPORTED, "JWS envelope: alg \"%.40s\" is not one Notation allows (PS256..PS512, ES256..ES512)",
             alg);
    goto out;
  }
  if ((oci_json_has(h, "cty") && !cty) || (oci_json_has(h, "io.cncf.notary.signingScheme") && !scheme)) {
    sig_fail(r, OCIDIG_SIG_MALFORMED, "JWS envelope: cty and io.cncf.notary.signingScheme are strings");
    goto out;
  }
  e->cty = oci_strdup(cty);
  e->scheme = oci_strdup(scheme);
  if ((cty && !e->cty) || (scheme && !e->scheme)) {
    sig_nomem(r);
    goto out;
  }
  json_object *crit = oci_json_get(h, "crit");
  if (crit && (!json_object_is_type(crit, json_type_array) || !oci_json_is_strings(crit))) {
    sig_fail(r, OCIDIG_SIG_MALFORMED, "JWS envelope: crit is not an array of strings");
    goto out;
  }
  for (size_t i = 0; crit && i < json_object_array_length(crit); i++)
    if (!ntn_crit_add(e, json_object_get_string(json_object_array_get_idx(crit, i)), r))
      goto out;
  ok = time_field(h, "io.cncf.notary.signingTime", &e->has_signing_time, &e->signing_time, r) &&
       time_field(h, "io.cncf.notary.authenticSigningTime", &e->has_authentic_time, &e->authentic_time, r) &&
       time_field(h, "io.cncf.notary.expiry", &e->has_expiry, &e->expiry, r);
out:
  oci_json_doc_free(&doc);
  return ok;
}

bool ntn_jws_read(const uint8_t *p, size_t n, ntn_env *e, ocidig_sig_result *r)
{
  e->format = "jws";
  oci_json_doc doc = {0};
  ocidig_error jerr;
  ocidig_code rc = oci_json_parse(p, n, "the JWS envelope", &doc, &jerr);
  if (rc != OCIDIG_OK)
    return sig_json_nomem(rc, r) ? false : sig_fail(r, OCIDIG_SIG_MALFORMED, "%s", jerr.message);
  json_object *o = doc.root;
  bool ok = false;
  sig_buf prot = {0};
  if (doc.n_dup_keys) {
    sig_fail(r, OCIDIG_SIG_MALFORMED, "JWS envelope: the key \"%.100s\" twice", doc.dup_keys[0]);
    goto out;
  }
  if (!json_object_is_type(o, json_type_object)) {
    sig_fail(r, OCIDIG_SIG_MALFORMED, "JWS envelope: not a JSON object");
    goto out;
  }
  json_object_object_foreach(o, key, val)
  {
    (void)val;
    if (strcmp(key, "payload") && strcmp(key, "protected") && strcmp(key, "header") && strcmp(key, "signature")) {
      sig_fail(r, OCIDIG_SIG_MALFORMED,
               "JWS envelope: \"%.100s\" is not a member of the flattened JWS JSON serialization Notation uses", key);
      goto out;
    }
  }
  const char *payload = str(o, "payload"), *protected_ = str(o, "protected"), *signature = str(o, "signature");
  json_object *header = oci_json_get(o, "header");
  if (!payload || !protected_ || !signature) {
    sig_fail(r, OCIDIG_SIG_MALFORMED, "JWS envelope: payload, protected and signature are required strings");
    goto out;
  }
  if (!header || !json_object_is_type(header, json_type_object)) {
    sig_fail(r, OCIDIG_SIG_MALFORMED, "JWS envelope: the unprotected header (header) is missing");
    goto out;
  }
  if (!b64url_decode(protected_, &prot, r) || !b64url_decode(payload, &e->payload, r) ||
      !b64url_decode(signature, &e->signature, r)) {
    sig_fail(r, OCIDIG_SIG_MALFORMED, "JWS envelope: protected, payload or signature is not base64url");
    goto out;
  }
  size_t pn = strlen(protected_), ln = strlen(payload);
  e->tbs.p = malloc(pn + 1 + ln);
  if (!e->tbs.p) {
    sig_nomem(r);
    goto out;
  }
  memcpy(e->tbs.p, protected_, pn);
  e->tbs.p[pn] = '.';
  memcpy(e->tbs.p + pn + 1, payload, ln);
  e->tbs.n = pn + 1 + ln;
  if (!read_protected(&prot, e, r))
    goto out;
  json_object *x5c = oci_json_get(header, "x5c");
  if (!x5c || !json_object_is_type(x5c, json_type_array) || json_object_array_length(x5c) == 0 ||
      !oci_json_is_strings(x5c)) {
    sig_fail(r, OCIDIG_SIG_MALFORMED, "JWS envelope: the unprotected header has no x5c certificate chain");
    goto out;
  }
  for (size_t i = 0; i < json_object_array_length(x5c); i++) {
    sig_buf der = {0};
    if (!sig_b64_decode(json_object_get_string(json_object_array_get_idx(x5c, i)), &der, r)) {
      sig_fail(r, OCIDIG_SIG_MALFORMED, "JWS envelope: x5c[%zu] is not base64", i);
      goto out;
    }
    bool pushed = ntn_push_der(e, der.p, der.n, i, r);
    sig_buf_free(&der);
    if (!pushed)
      goto out;
  }
  e->has_timestamp = oci_json_has(header, "io.cncf.notary.timestampSignature");
  ok = true;
out:
  sig_buf_free(&prot);
  oci_json_doc_free(&doc);
  return ok;
}
