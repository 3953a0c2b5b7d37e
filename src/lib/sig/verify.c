/* verify.c: ocidig_sig_verify_bundle: the order of the checks (trusted root, bundle,
 * signing key, what is signed, log entries, timestamps, certificate) and the verdict. */
#include "sig_int.h"

#include <openssl/err.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const names[OCIDIG_SIG_VERDICT_COUNT_] = {
  "verified", "bad-signature", "untrusted-key", "identity-mismatch", "subject-mismatch",
  "expired",  "tlog-invalid",  "timestamp-invalid", "malformed",     "unsupported",
  "not-verified",
};

const char *ocidig_sig_verdict_name(ocidig_sig_verdict v)
{
  return (unsigned)v < OCIDIG_SIG_VERDICT_COUNT_ ? names[v] : "unknown";
}

/* One verification, its verdict in res (marked out of memory when memory ran out). */
static void verify_once(const uint8_t *bundle, size_t bundle_len, const ocidig_sig_artifact *artifact,
                        const ocidig_sig_options *opts, int64_t now, ocidig_sig_result *res)
{
  memset(res, 0, sizeof *res);
  res->verdict = OCIDIG_SIG_VERIFIED;
  sig_run s;
  memset(&s, 0, sizeof s);
  s.opts = opts;
  s.art = artifact;
  s.res = res;
  s.now = now;
  ERR_clear_error(); /* what OpenSSL's queue holds from here on is this verification's */
  bool ok = sig_trust_parse(opts->trusted_root, opts->trusted_root_len, &s.trust, res) &&
            sig_bundle_parse(bundle, bundle_len, &s.b, res) && sig_cert_load(&s) && sig_content_check(&s) &&
            sig_tlog_check(&s);
  size_t tsa_from = s.n_times; /* the times the RFC 3161 timestamps add */
  ok = ok && sig_tsa_check(&s) && sig_tlog_check_times(&s, s.times + tsa_from, s.n_times - tsa_from);
  if (ok && s.leaf) {
    if (s.n_times == 0)
      ok = sig_fail(res, OCIDIG_SIG_TIMESTAMP_INVALID,
                    "no verified signing time: no signed entry timestamp and no RFC 3161 timestamp");
    else
      ok = sig_cert_check(&s);
  }
  if (ok && !s.leaf) {
    uint8_t fp[32];
    char hex[65];
    if (sig_sha256(s.key_spki.p, s.key_spki.n, fp, res)) {
      sig_hex(fp, 32, hex);
      snprintf(res->signer, sizeof res->signer, "key SHA256:%s", hex);
    }
  }
  for (size_t i = 0; ok && i < s.n_times; i++)
    if (!res->signed_at || s.times[i] < res->signed_at)
      res->signed_at = s.times[i];
  if (!ok)
    res->signed_at = 0;
  EVP_PKEY_free(s.key);
  X509_free(s.leaf);
  sig_buf_free(&s.key_spki);
  sig_bundle_free(&s.b);
  sig_trust_free(&s.trust);
  ERR_clear_error(); /* OpenSSL's queue is the thread's: leave it as it was */
}

ocidig_code ocidig_sig_verify_bundle(const uint8_t *bundle, size_t bundle_len, const ocidig_sig_artifact *artifact,
                                     const ocidig_sig_options *opts, ocidig_sig_result *res, ocidig_error *err)
{
  OCI_REQUIRE(res, "res", err);
  memset(res, 0, sizeof *res);
  res->verdict = OCIDIG_SIG_MALFORMED;
  snprintf(res->reason, sizeof res->reason, "not verified");
  OCI_REQUIRE(bundle, "bundle", err);
  OCI_REQUIRE(artifact, "artifact", err);
  OCI_REQUIRE(opts, "opts", err);
  OCI_REQUIRE(opts->trusted_root, "opts->trusted_root", err);
  if (!opts->key_pem && ((!opts->identity && !opts->identity_regexp) || (!opts->issuer && !opts->issuer_regexp)))
    return oci_fail(err, OCIDIG_ERR_USAGE,
                    "ocidig_sig_verify_bundle: a key, or a certificate identity and an OIDC issuer, are required");
  int64_t now = opts->now ? opts->now : (int64_t)time(NULL);
  verify_once(bundle, bundle_len, artifact, opts, now, res);
  if (res->verdict != OCIDIG_SIG_VERIFIED && !sig_is_nomem(res)) {
    /* OpenSSL 3 does not always say that it ran out of memory: its decoders and its chain
     * building set their errors aside (ERR_pop_to_mark) and report a key unsupported, an
     * issuer not found, a signature that does not verify.  A failure is confirmed by a
     * second verification of the same input, which says the same unless memory ran out
     * on one of them. */
    ocidig_sig_result again;
    verify_once(bundle, bundle_len, artifact, opts, now, &again);
    if (!sig_result_same(res, &again))
      sig_nomem(res);
  }
  if (sig_is_nomem(res)) { /* never a verdict */
    memset(res, 0, sizeof *res);
    res->verdict = OCIDIG_SIG_MALFORMED;
    snprintf(res->reason, sizeof res->reason, "not verified: out of memory");
    return oci_nomem(err);
  }
  return OCIDIG_OK;
}

char *ocidig_sig_result_to_json(const ocidig_sig_result *r)
{
  if (!r)
    return NULL;
  json_object *o = json_object_new_object();
  char ver[8];
  snprintf(ver, sizeof ver, "0.%d", r->bundle_version);
  bool ok = o && oci_json_add(o, "verdict", json_object_new_string(ocidig_sig_verdict_name(r->verdict))) &&
            oci_json_add(o, "verified", json_object_new_boolean(r->verdict == OCIDIG_SIG_VERIFIED)) &&
            oci_json_add(o, "reason", json_object_new_string(r->reason)) &&
            oci_json_add(o, "signer", json_object_new_string(r->signer)) &&
            oci_json_add(o, "issuer", json_object_new_string(r->issuer)) &&
            (r->signed_at ? oci_json_add(o, "signedAt", json_object_new_int64(r->signed_at))
                          : json_object_object_add(o, "signedAt", NULL) == 0) &&
            (r->bundle_version ? oci_json_add(o, "bundleVersion", json_object_new_string(ver))
                               : json_object_object_add(o, "bundleVersion", NULL) == 0) &&
            oci_json_add(o, "content", json_object_new_string(r->dsse ? "dsseEnvelope" : "messageSignature"));
  if (!ok) {
    json_object_put(o);
    return NULL;
  }
  /* pretty, as every JSON output of ocidig */
  const char *text = json_object_to_json_string_ext(
          o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
  char *copy = text ? oci_strdup(text) : NULL;
  json_object_put(o);
  return copy;
}

ocidig_code ocidig_sig_pem_certs_check(const uint8_t *pem, size_t len, size_t *count, ocidig_error *err)
{
  OCI_REQUIRE(pem || !len, "pem", err);
  ocidig_sig_result r;
  STACK_OF(X509) *sk = NULL;
  bool ok = false;
  memset(&r, 0, sizeof r);
  if (count)
    *count = 0;
  /* a failure read twice (OpenSSL 3 does not always say that it ran out of memory) */
  for (int k = 0; k < 2 && !ok && !sig_is_nomem(&r); k++)
    if ((ok = sig_pem_certs(pem, len, &sk, &r)) && k == 1)
      sig_nomem(&r);
  if (ok && count)
    *count = (size_t)sk_X509_num(sk);
  sk_X509_pop_free(sk, X509_free);
  ERR_clear_error();
  if (sig_is_nomem(&r))
    return oci_nomem(err);
  if (!ok)
    return oci_fail(err, OCIDIG_ERR_USAGE, "not PEM certificates (one or more; every PEM block a certificate)");
  return OCIDIG_OK;
}

ocidig_code ocidig_sig_artifact_from_file(const char *path, ocidig_sig_artifact *out, ocidig_error *err)
{
  OCI_REQUIRE(path, "path", err);
  OCI_REQUIRE(out, "out", err);
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "rb");
  if (!f)
    return oci_fail(err, errno == ENOENT ? OCIDIG_ERR_NOT_FOUND : OCIDIG_ERR_IO, "%s: %s", path, strerror(errno));
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  bool ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
  unsigned char buf[65536];
  size_t n;
  while (ok && (n = fread(buf, 1, sizeof buf, f)) > 0)
    ok = EVP_DigestUpdate(md, buf, n) == 1;
  bool rerr = ferror(f) != 0;
  unsigned int len = 0;
  ok = ok && !rerr && EVP_DigestFinal_ex(md, out->sha256, &len) == 1 && len == 32;
  EVP_MD_CTX_free(md);
  fclose(f);
  if (!ok)
    return oci_fail(err, rerr ? OCIDIG_ERR_IO : OCIDIG_ERR_NOMEM, "%s: %s", path, rerr ? "read error" : "hashing failed");
  return OCIDIG_OK;
}

ocidig_code ocidig_sig_artifact_from_digest(const char *digest, ocidig_sig_artifact *out, ocidig_error *err)
{
  OCI_REQUIRE(digest, "digest", err);
  OCI_REQUIRE(out, "out", err);
  memset(out, 0, sizeof *out);
  if (strncmp(digest, "sha256:", 7) || strlen(digest) != 7 + 64 || !oci_lower_hex(digest + 7, 64))
    return oci_fail(err, OCIDIG_ERR_INVALID_DIGEST, "%.100s is not sha256: and 64 lowercase hex digits", digest);
  for (size_t i = 0; i < 32; i++) {
    const char *h = digest + 7 + 2 * i;
    int hi = h[0] <= '9' ? h[0] - '0' : h[0] - 'a' + 10, lo = h[1] <= '9' ? h[1] - '0' : h[1] - 'a' + 10;
    out->sha256[i] = (uint8_t)(hi << 4 | lo);
  }
  return OCIDIG_OK;
}
