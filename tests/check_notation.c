/* check_notation.c: Notation signatures (ocidig_notation_verify) over notation-go's JWS and
 * COSE envelopes in testdata/sig/notation: each case's signatures give CASE.json's verdict
 * (PASS: verified, by the certificate subject and at the signing time the fixture states;
 * the wrong target: subject-mismatch), and one change at a time turns a valid envelope into
 * its failure: a byte of the signature, the payload, the protected header or the
 * certificate; a trust store without the CA; a policy with other trustedIdentities or
 * another scope; an expiry in the past; what each verification level makes of them. */
#include "config.h"
#include "testutil.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NDIR TESTDATA "/sig/notation"
#define BLOB(hex) NDIR "/blobs/sha256/" hex
#define IMAGE "sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0"
#define OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define JWS_ENV "586c5e0f341d7d07e835a06b7c9f21c21fff4f4a85933079e5859f99ba0ad02d"
#define COSE_ENV "e62cab38856b4f9b93be3a18929a199dd7459e1f0762dbe1ff6e5398caaa78c8"
#define WRONG_ENV "be7eaa0df0c431565f7f187a8ea9bd406bcaaca7cd07aba365541b89e108fbea"
#define ALPINE "C=US, ST=WA, L=Seattle, O=Notary, CN=alpine"
/* the signing times the envelopes state: "2023-03-14T16:10:02+08:00" (JWS) and
 * 1(1678769122) (COSE, 2023-03-14T04:45:22Z) */
#define JWS_TIME 1678781402
#define COSE_TIME 1678769122
#define NOW_2024 1704067200  /* 2024-01-01T00:00:00Z */
#define NOW_2121 4765132800  /* 2121-01-01T00:00:00Z */

static const ocidig_notation_target alpine = {OCI_MANIFEST, IMAGE, 481, NULL};

static ocidig_notation_trust *trust_from(const char *policy, const char *store)
{
  ocidig_notation_trust *t = NULL;
  ocidig_error err;
  ocidig_code rc = ocidig_notation_trust_load(policy, store, &t, &err);
  ck_assert_msg(rc == OCIDIG_OK, "%s", err.message);
  return t;
}

static ocidig_notation_trust *fixture_trust(void)
{
  return trust_from(NDIR "/trustpolicy.json", NDIR "/truststore");
}

static ocidig_notation_result check(const ocidig_notation_trust *t, const char *mt, const uint8_t *p, size_t n,
                                    const ocidig_notation_target *target, int64_t now)
{
  ocidig_notation_result r;
  ocidig_error err;
  ck_assert_int_eq(ocidig_notation_verify(t, mt, p, n, target, now, &r, &err), OCIDIG_OK);
  return r;
}

static ocidig_notation_result check_file(const ocidig_notation_trust *t, const char *mt, const char *path,
                                         const ocidig_notation_target *target, int64_t now)
{
  size_t n;
  char *p = tu_read_file(path, &n);
  ocidig_notation_result r = check(t, mt, (const uint8_t *)p, n, target, now);
  free(p);
  return r;
}

#define ck_verdict(r, v)                                                                                          \
  ck_assert_msg((r).sig.verdict == (v), "verdict %s (%s), not %s", ocidig_sig_verdict_name((r).sig.verdict), \
                (r).sig.reason, ocidig_sig_verdict_name(v))

/* A policy file in dir (a copy of the fixture's with scope, level and identity given). */
static char *write_policy(const char *dir, const char *scope, const char *level, const char *identity,
                          const char *extra)
{
  char *text = NULL;
  ck_assert(asprintf(&text,
                     "{\"version\": \"1.0\", \"trustPolicies\": [{\"name\": \"p\", \"registryScopes\": [\"%s\"], "
                     "\"signatureVerification\": {\"level\": \"%s\"%s}, \"trustStores\": [\"ca:alpine\"], "
                     "\"trustedIdentities\": [\"%s\"]}]}",
                     scope, level, extra ? extra : "", identity) > 0);
  tu_write(dir, "policy.json", text, strlen(text));
  free(text);
  char *path = NULL;
  ck_assert(asprintf(&path, "%s/policy.json", dir) > 0);
  return path;
}

/* ------------------------------------------------------------ the cases */

/* Each case's index: every Notation signature manifest's envelope verified for the image
 * it names, against CASE.json's "expected" (PASS / FAIL). */
static void run_case(const char *name, ocidig_sig_verdict want)
{
  char rel[256];
  snprintf(rel, sizeof rel, "sig/notation/cases/%s/index.json", name);
  json_object *index = tu_load_json(rel);
  snprintf(rel, sizeof rel, "sig/notation/cases/%s/CASE.json", name);
  json_object *cs = tu_load_json(rel), *exp;
  ck_assert(json_object_object_get_ex(cs, "expected", &exp));
  ck_assert_int_eq(want == OCIDIG_SIG_VERIFIED, strncmp(json_object_get_string(exp), "PASS", 4) == 0);
  ocidig_notation_trust *t = fixture_trust();
  json_object *ms;
  ck_assert(json_object_object_get_ex(index, "manifests", &ms));
  int signatures = 0;
  for (size_t i = 0; i < json_object_array_length(ms); i++) {
    json_object *d = json_object_array_get_idx(ms, i), *at, *dg;
    if (!json_object_object_get_ex(d, "artifactType", &at) ||
        strcmp(json_object_get_string(at), "application/vnd.cncf.notary.signature"))
      continue;
    ck_assert(json_object_object_get_ex(d, "digest", &dg));
    snprintf(rel, sizeof rel, "sig/notation/blobs/sha256/%s", json_object_get_string(dg) + 7);
    json_object *m = tu_load_json(rel), *layers, *subject, *v;
    ck_assert(json_object_object_get_ex(m, "layers", &layers) && json_object_object_get_ex(m, "subject", &subject));
    json_object *layer = json_object_array_get_idx(layers, 0);
    ocidig_notation_target target = {0};
    ck_assert(json_object_object_get_ex(subject, "mediaType", &v));
    target.media_type = json_object_get_string(v);
    ck_assert(json_object_object_get_ex(subject, "digest", &v));
    target.digest = json_object_get_string(v);
    ck_assert(json_object_object_get_ex(subject, "size", &v));
    target.size = json_object_get_int64(v);
    ck_assert_str_eq(target.digest, IMAGE);
    char path[512];
    ck_assert(json_object_object_get_ex(layer, "digest", &v));
    snprintf(path, sizeof path, NDIR "/blobs/sha256/%s", json_object_get_string(v) + 7);
    ck_assert(json_object_object_get_ex(layer, "mediaType", &v));
    const char *mt = json_object_get_string(v);
    ocidig_notation_result r = check_file(t, mt, path, &target, NOW_2024);
#ifndef HAVE_CBOR
    if (!strcmp(mt, "application/cose")) {
      ck_verdict(r, OCIDIG_SIG_UNSUPPORTED);
      ck_assert_str_eq(r.sig.reason, "COSE envelope: built without libcbor");
      json_object_put(m);
      signatures++;
      continue;
    }
#endif
    ck_verdict(r, want);
    if (want == OCIDIG_SIG_VERIFIED) {
      ck_assert_str_eq(r.sig.signer, ALPINE);
      ck_assert_str_eq(r.sig.issuer, ALPINE);
      ck_assert_str_eq(r.alg, "PS256");
      ck_assert_int_eq(r.sig.signed_at, strcmp(mt, "application/cose") ? JWS_TIME : COSE_TIME);
      ck_assert_str_eq(r.policy, "alpine-test-layout");
      ck_assert_str_eq(r.level, "strict");
      ck_assert_str_eq(r.logged, "");
      ck_assert_str_eq(r.envelope, strcmp(mt, "application/cose") ? "jws" : "cose");
    }
    json_object_put(m);
    signatures++;
  }
  ck_assert_int_gt(signatures, 0);
  ocidig_notation_trust_free(t);
  json_object_put(index);
  json_object_put(cs);
}

START_TEST(test_case_jws)
{
  run_case("notation-jws-alpine", OCIDIG_SIG_VERIFIED);
}
END_TEST

START_TEST(test_case_cose)
{
  run_case("notation-cose-alpine", OCIDIG_SIG_VERIFIED);
}
END_TEST

START_TEST(test_case_both)
{
  run_case("notation-jws-and-cose-alpine", OCIDIG_SIG_VERIFIED);
}
END_TEST

START_TEST(test_case_wrong_target)
{
  run_case("notation-wrong-target-jws", OCIDIG_SIG_SUBJECT_MISMATCH);
  ocidig_notation_trust *t = fixture_trust();
  ocidig_notation_result r = check_file(t, "application/jose+json", BLOB(WRONG_ENV), &alpine, NOW_2024);
  ck_assert_msg(strstr(r.sig.reason, "sha256:60043cf45eaebc4c0867fea485a039b598f52fd09fd5b07b0b2d2f88fad9d74e"),
                "%s", r.sig.reason);
  ck_assert_str_eq(r.alg, "PS384");
  ocidig_notation_trust_free(t);
}
END_TEST

START_TEST(test_oci_policy)
{
  ocidig_notation_trust *t = trust_from(NDIR "/trustpolicy.oci.json", NDIR "/truststore");
  ocidig_notation_result r = check_file(t, "application/jose+json", BLOB(JWS_ENV), &alpine, NOW_2024);
  ck_verdict(r, OCIDIG_SIG_VERIFIED);
  char *json = ocidig_notation_result_to_json(&r);
  ck_assert(json && strstr(json, "\"verdict\": \"verified\"") && strstr(json, "\"scheme\": \"notation\"") &&
            strstr(json, "\"signer\": \"" ALPINE "\"") && strstr(json, "\"verified\": true"));
  free(json);
  ck_assert(!r.authentic_time); /* notary.x509: the time its signer states */
  ocidig_notation_trust_free(t);
  /* from the policy's text */
  size_t n;
  char *text = tu_read_file(NDIR "/trustpolicy.json", &n);
  ocidig_error err;
  t = NULL;
  ck_assert_int_eq(ocidig_notation_trust_parse((const uint8_t *)text, n, "policy", NDIR "/truststore", &t, &err),
                   OCIDIG_OK);
  r = check_file(t, "application/jose+json", BLOB(JWS_ENV), &alpine, NOW_2024);
  ck_verdict(r, OCIDIG_SIG_VERIFIED);
  ocidig_notation_trust_free(t);
  ck_assert_int_eq(ocidig_notation_trust_parse((const uint8_t *)text, n / 2, "policy", NDIR "/truststore", &t, &err),
                   OCIDIG_ERR_INVALID_JSON);
  ck_assert_msg(strstr(err.message, "policy"), "%s", err.message);
  free(text);
}
END_TEST

/* ------------------------------------------------------------ JWS mutations */

static json_object *jws(void)
{
  return tu_load_json("sig/notation/blobs/sha256/" JWS_ENV);
}

static ocidig_notation_result check_json(const ocidig_notation_trust *t, json_object *env,
                                         const ocidig_notation_target *target)
{
  const char *s = json_object_to_json_string_ext(env, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
  return check(t, "application/jose+json", (const uint8_t *)s, strlen(s), target, NOW_2024);
}

/* Changes the base64url character at pos of a string member to another of the alphabet. */
static void flip_char(json_object *o, const char *key, size_t pos)
{
  json_object *v;
  ck_assert(json_object_object_get_ex(o, key, &v));
  char *s = strdup(json_object_get_string(v));
  ck_assert(pos < strlen(s));
  s[pos] = s[pos] == 'A' ? 'B' : 'A';
  json_object_object_add(o, key, json_object_new_string(s));
  free(s);
}

/* base64url of bytes, no padding (EVP_EncodeBlock, then the URL alphabet). */
static char *b64url(const unsigned char *p, size_t n)
{
  char *s = malloc(n / 3 * 4 + 8);
  int len = EVP_EncodeBlock((unsigned char *)s, p, (int)n);
  while (len > 0 && s[len - 1] == '=')
    len--;
  s[len] = '\0';
  for (char *c = s; *c; c++)
    *c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
  return s;
}

static char *unb64url(const char *s, int *n)
{
  size_t len = strlen(s);
  char *t = malloc(len + 4);
  size_t i;
  for (i = 0; i < len; i++)
    t[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
  while (i % 4)
    t[i++] = '=';
  t[i] = '\0';
  char *out = malloc(i);
  *n = EVP_DecodeBlock((unsigned char *)out, (unsigned char *)t, (int)i) - (int)(i - len);
  free(t);
  return out;
}

/* The decoded member replaced: `from` becomes `to` in its text, re-encoded. */
static void replace_in(json_object *o, const char *key, const char *from, const char *to)
{
  json_object *v;
  ck_assert(json_object_object_get_ex(o, key, &v));
  int n;
  char *raw = unb64url(json_object_get_string(v), &n);
  char *text = malloc((size_t)n + strlen(to) + 1);
  memcpy(text, raw, (size_t)n);
  text[n] = '\0';
  char *at = strstr(text, from);
  ck_assert_msg(at, "no %s in %s", from, text);
  char *out = malloc((size_t)n + strlen(to) + 1);
  snprintf(out, (size_t)n + strlen(to) + 1, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
  char *enc = b64url((unsigned char *)out, strlen(out));
  json_object_object_add(o, key, json_object_new_string(enc));
  free(raw);
  free(text);
  free(out);
  free(enc);
}

START_TEST(test_jws_signature_byte)
{
  ocidig_notation_trust *t = fixture_trust();
  json_object *e = jws();
  flip_char(e, "signature", 100);
  ocidig_notation_result r = check_json(t, e, &alpine);
  ck_verdict(r, OCIDIG_SIG_BAD_SIGNATURE);
  json_object_put(e);
  ocidig_notation_trust_free(t);
}
END_TEST

START_TEST(test_jws_payload)
{
  ocidig_notation_trust *t = fixture_trust();
  json_object *e = jws();
  /* the payload names another size: the signature no longer covers it */
  replace_in(e, "payload", "\"size\":481", "\"size\":482");
  ocidig_notation_result r = check_json(t, e, &alpine);
  ck_verdict(r, OCIDIG_SIG_BAD_SIGNATURE);
  json_object_put(e);
  e = jws();
  flip_char(e, "payload", 40);
  r = check_json(t, e, &alpine);
  ck_verdict(r, OCIDIG_SIG_BAD_SIGNATURE);
  json_object_put(e);
  ocidig_notation_trust_free(t);
}
END_TEST

START_TEST(test_jws_protected_header)
{
  ocidig_notation_trust *t = fixture_trust();
  json_object *e = jws();
  replace_in(e, "protected", "2023-03-14T16:10:02+08:00", "2023-03-15T16:10:02+08:00");
  ocidig_notation_result r = check_json(t, e, &alpine);
  ck_verdict(r, OCIDIG_SIG_BAD_SIGNATURE);
  json_object_put(e);
  /* a critical header this verifier does not process */
  e = jws();
  replace_in(e, "protected", "\"crit\":[", "\"crit\":[\"io.example.unknown\",");
  r = check_json(t, e, &alpine);
  ck_verdict(r, OCIDIG_SIG_UNSUPPORTED);
  json_object_put(e);
  /* an algorithm Notation does not allow */
  e = jws();
  replace_in(e, "protected", "\"alg\":\"PS256\"", "\"alg\":\"HS256\"");
  r = check_json(t, e, &alpine);
  ck_verdict(r, OCIDIG_SIG_UNSUPPORTED);
  json_object_put(e);
  /* another Notation algorithm than the key's (algorithm substitution) */
  e = jws();
  replace_in(e, "protected", "\"alg\":\"PS256\"", "\"alg\":\"PS384\"");
  r = check_json(t, e, &alpine);
  ck_verdict(r, OCIDIG_SIG_BAD_SIGNATURE);
  ck_assert_msg(strstr(r.sig.reason, "calls for PS256"), "%s", r.sig.reason);
  json_object_put(e);
  ocidig_notation_trust_free(t);
}
END_TEST

/* The x5c certificate's DER, one byte changed at pos (negative: from the end). */
static void flip_cert(json_object *e, long pos)
{
  json_object *h, *x5c;
  ck_assert(json_object_object_get_ex(e, "header", &h) && json_object_object_get_ex(h, "x5c", &x5c));
  const char *s = json_object_get_string(json_object_array_get_idx(x5c, 0));
  unsigned char *der = malloc(strlen(s));
  int n = EVP_DecodeBlock(der, (const unsigned char *)s, (int)strlen(s));
  n -= (s[strlen(s) - 1] == '=') + (s[strlen(s) - 2] == '=');
  der[pos < 0 ? n + pos : pos] ^= 0x01;
  char *enc = malloc((size_t)n / 3 * 4 + 8);
  EVP_EncodeBlock((unsigned char *)enc, der, n);
  json_object_array_put_idx(x5c, 0, json_object_new_string(enc));
  free(der);
  free(enc);
}

START_TEST(test_jws_certificate_byte)
{
  ocidig_notation_trust *t = fixture_trust();
  /* the certificate's own signature: the envelope still verifies with its key, the
   * certificate is no longer self-signed */
  json_object *e = jws();
  flip_cert(e, -10);
  ocidig_notation_result r = check_json(t, e, &alpine);
  ck_verdict(r, OCIDIG_SIG_UNTRUSTED_KEY);
  json_object_put(e);
  /* a byte of the RSA modulus: the signature no longer verifies with the key */
  e = jws();
  flip_cert(e, 300);
  r = check_json(t, e, &alpine);
  ck_verdict(r, OCIDIG_SIG_BAD_SIGNATURE);
  json_object_put(e);
  ocidig_notation_trust_free(t);
}
END_TEST

START_TEST(test_jws_envelope_shape)
{
  ocidig_notation_trust *t = fixture_trust();
  json_object *e = jws();
  json_object_object_add(e, "signatures", json_object_new_array());
  ocidig_notation_result r = check_json(t, e, &alpine);
  ck_verdict(r, OCIDIG_SIG_MALFORMED);
  json_object_put(e);
  e = jws();
  json_object *h;
  ck_assert(json_object_object_get_ex(e, "header", &h));
  json_object_object_del(h, "x5c");
  r = check_json(t, e, &alpine);
  ck_verdict(r, OCIDIG_SIG_MALFORMED);
  json_object_put(e);
  r = check(t, "application/jose+json", (const uint8_t *)"{\"payload\"", 10, &alpine, NOW_2024);
  ck_verdict(r, OCIDIG_SIG_MALFORMED);
  r = check(t, "application/vnd.example+json", (const uint8_t *)"{}", 2, &alpine, NOW_2024);
  ck_verdict(r, OCIDIG_SIG_UNSUPPORTED);
  ocidig_notation_trust_free(t);
}
END_TEST

/* ------------------------------------------------------------ COSE mutations */

static ocidig_notation_result check_cose_flip(const ocidig_notation_trust *t, long pos)
{
  size_t n;
  char *p = tu_read_file(BLOB(COSE_ENV), &n);
  p[pos < 0 ? (long)n + pos : pos] ^= 0x01;
  ocidig_notation_result r = check(t, "application/cose", (const uint8_t *)p, n, &alpine, NOW_2024);
  free(p);
  return r;
}

/* The offset of text in the COSE envelope. */
static long cose_offset(const char *text)
{
  size_t n;
  char *p = tu_read_file(BLOB(COSE_ENV), &n);
  char *at = memmem(p, n, text, strlen(text));
  ck_assert(at);
  long off = at - p;
  free(p);
  return off;
}

START_TEST(test_cose_mutations)
{
#ifdef HAVE_CBOR
  ocidig_notation_trust *t = fixture_trust();
  /* the last byte belongs to the signature */
  ocidig_notation_result r = check_cose_flip(t, -1);
  ck_verdict(r, OCIDIG_SIG_BAD_SIGNATURE);
  /* a digit of the payload's digest */
  r = check_cose_flip(t, cose_offset("19dbd2e48e92") + 4);
  ck_verdict(r, OCIDIG_SIG_BAD_SIGNATURE);
  /* the protected header's signing time (1(0x640ffbe2)): its last byte */
  static const char when[] = {(char)0xc1, 0x1a, 0x64, 0x0f, (char)0xfb, (char)0xe2, 0};
  r = check_cose_flip(t, cose_offset(when) + 5);
  ck_verdict(r, OCIDIG_SIG_BAD_SIGNATURE);
  /* the tag: no longer COSE_Sign1_Tagged */
  r = check_cose_flip(t, 0);
  ck_verdict(r, OCIDIG_SIG_MALFORMED);
  /* cut short */
  size_t n;
  char *p = tu_read_file(BLOB(COSE_ENV), &n);
  r = check(t, "application/cose", (const uint8_t *)p, n - 1, &alpine, NOW_2024);
  ck_verdict(r, OCIDIG_SIG_MALFORMED);
  /* an array announcing 2^32 elements: refused before libcbor allocates them */
  static const uint8_t huge[] = {0xd2, 0x9b, 0, 0, 0, 1, 0, 0, 0, 0, 0x40};
  r = check(t, "application/cose", huge, sizeof huge, &alpine, NOW_2024);
  ck_verdict(r, OCIDIG_SIG_MALFORMED);
  /* 60,000 arrays one in the other (fewer items than the bound): refused for their depth
   * before libcbor builds (and recursively frees) them */
  uint8_t *deep = malloc(60002);
  deep[0] = 0xd2;
  memset(deep + 1, 0x81, 60000);
  deep[60001] = 0x80;
  r = check(t, "application/cose", deep, 60002, &alpine, NOW_2024);
  ck_verdict(r, OCIDIG_SIG_MALFORMED);
  ck_assert_msg(strstr(r.sig.reason, "32 deep"), "%s", r.sig.reason);
  free(deep);
  free(p);
  ocidig_notation_trust_free(t);
#else
  ocidig_notation_trust *t = fixture_trust();
  ocidig_notation_result r = check_file(t, "application/cose", BLOB(COSE_ENV), &alpine, NOW_2024);
  ck_verdict(r, OCIDIG_SIG_UNSUPPORTED);
  ck_assert_str_eq(r.sig.reason, "COSE envelope: built without libcbor");
  ocidig_notation_trust_free(t);
#endif
}
END_TEST

/* ------------------------------------------------------------ trust */

START_TEST(test_store_without_ca)
{
  char *dir = tu_mkdtemp();
  char store[512], policy[512];
  snprintf(store, sizeof store, "%s/store", dir);
  snprintf(policy, sizeof policy, "%s", NDIR "/trustpolicy.json");
  /* the named store there, empty */
  tu_write(dir, "store/x509/ca/alpine/README", "no certificate", 14);
  ocidig_notation_trust *t = trust_from(policy, store);
  ocidig_notation_result r = check_file(t, "application/jose+json", BLOB(JWS_ENV), &alpine, NOW_2024);
  ck_verdict(r, OCIDIG_SIG_UNTRUSTED_KEY);
  ocidig_notation_trust_free(t);
  /* another CA there: the root of the wrong-target envelope's chain, from its x5c */
  json_object *e = tu_load_json("sig/notation/blobs/sha256/" WRONG_ENV), *h, *x5c;
  ck_assert(json_object_object_get_ex(e, "header", &h) && json_object_object_get_ex(h, "x5c", &x5c));
  const char *root = json_object_get_string(json_object_array_get_idx(x5c, 1));
  unsigned char der[4096];
  int n = EVP_DecodeBlock(der, (const unsigned char *)root, (int)strlen(root));
  ck_assert_int_gt(n, 0);
  tu_write(dir, "store/x509/ca/alpine/other-root.cer", der, (size_t)n - (root[strlen(root) - 1] == '=') -
                                                            (root[strlen(root) - 2] == '='));
  t = trust_from(policy, store);
  r = check_file(t, "application/jose+json", BLOB(JWS_ENV), &alpine, NOW_2024);
  ck_verdict(r, OCIDIG_SIG_UNTRUSTED_KEY);
  ocidig_notation_trust_free(t);
  /* the store missing, or a symbolic link: the trust material is refused */
  ocidig_notation_trust *none = NULL;
  ocidig_error err;
  ck_assert_int_eq(ocidig_notation_trust_load(policy, dir, &none, &err), OCIDIG_ERR_USAGE);
  ck_assert_msg(strstr(err.message, "ca:alpine"), "%s", err.message);
  char link[600];
  snprintf(link, sizeof link, "%s/linked/x509/ca", dir);
  tu_write(dir, "linked/x509/ca/.keep", "", 0);
  snprintf(link, sizeof link, "%s/linked/x509/ca/alpine", dir);
  ck_assert_int_eq(symlink(NDIR "/truststore/x509/ca/alpine", link), 0);
  snprintf(link, sizeof link, "%s/linked", dir);
  ck_assert_int_eq(ocidig_notation_trust_load(policy, link, &none, &err), OCIDIG_ERR_USAGE);
  ck_assert_msg(strstr(err.message, "symbolic link"), "%s", err.message);
  json_object_put(e);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(test_identities)
{
  char *dir = tu_mkdtemp();
  ocidig_notation_result r;
  struct {
    const char *level, *identity;
    ocidig_sig_verdict want;
    bool logged;
  } cases[] = {
    {"strict", "x509.subject: C=US, ST=WA, O=Other", OCIDIG_SIG_IDENTITY_MISMATCH, false},
    {"permissive", "x509.subject: C=US, ST=WA, O=Other", OCIDIG_SIG_IDENTITY_MISMATCH, false},
    {"audit", "x509.subject: C=US, ST=WA, O=Other", OCIDIG_SIG_VERIFIED, true},
    {"strict", "x509.subject: C=US, ST=WA, L=Seattle, O=Notary, CN=alpine2", OCIDIG_SIG_IDENTITY_MISMATCH, false},
    /* a partial DN, another order, spaces: the attributes given must all be the subject's */
    {"strict", "x509.subject: CN=alpine,O=Notary ,  ST=WA, C=US", OCIDIG_SIG_VERIFIED, false},
    {"strict", "*", OCIDIG_SIG_VERIFIED, false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *policy = write_policy(dir, "*", cases[i].level, cases[i].identity, NULL);
    ocidig_notation_trust *t = trust_from(policy, NDIR "/truststore");
    r = check_file(t, "application/jose+json", BLOB(JWS_ENV), &alpine, NOW_2024);
    ck_verdict(r, cases[i].want);
    ck_assert_msg(cases[i].logged == (strstr(r.logged, "identity-mismatch") != NULL), "%zu: logged %s", i, r.logged);
    ocidig_notation_trust_free(t);
    free(policy);
  }
  /* an identity without C, ST and O is refused with the policy */
  char *policy = write_policy(dir, "*", "strict", "x509.subject: CN=alpine", NULL);
  ocidig_notation_trust *t = NULL;
  ocidig_error err;
  ck_assert_int_eq(ocidig_notation_trust_load(policy, NDIR "/truststore", &t, &err), OCIDIG_ERR_USAGE);
  free(policy);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(test_scopes_and_skip)
{
  char *dir = tu_mkdtemp();
  char *policy = write_policy(dir, "docker.io/library/alpine", "strict", "*", NULL);
  ocidig_notation_trust *t = trust_from(policy, NDIR "/truststore");
  /* the layout names no repository: a policy for one repository does not apply */
  ocidig_notation_result r = check_file(t, "application/jose+json", BLOB(JWS_ENV), &alpine, NOW_2024);
  ck_verdict(r, OCIDIG_SIG_UNTRUSTED_KEY);
  ck_assert_msg(strstr(r.sig.reason, "no trust policy applies"), "%s", r.sig.reason);
  ocidig_notation_target named = alpine;
  named.repository = "docker.io/library/alpine";
  r = check_file(t, "application/jose+json", BLOB(JWS_ENV), &named, NOW_2024);
  ck_verdict(r, OCIDIG_SIG_VERIFIED);
  named.repository = "docker.io/library/busybox";
  r = check_file(t, "application/jose+json", BLOB(JWS_ENV), &named, NOW_2024);
  ck_verdict(r, OCIDIG_SIG_UNTRUSTED_KEY);
  ocidig_notation_trust_free(t);
  free(policy);
  /* level skip: nothing checked, not verified */
  const char *skip = "{\"version\": \"1.0\", \"trustPolicies\": [{\"name\": \"s\", \"registryScopes\": "
                     "[\"docker.io/library/alpine\"], \"signatureVerification\": {\"level\": \"skip\"}}]}";
  tu_write(dir, "skip.json", skip, strlen(skip));
  char path[600];
  snprintf(path, sizeof path, "%s/skip.json", dir);
  t = trust_from(path, NDIR "/truststore");
  named.repository = "docker.io/library/alpine";
  r = check(t, "application/jose+json", (const uint8_t *)"garbage", 7, &named, NOW_2024);
  ck_assert(r.skipped);
  ck_assert_str_eq(r.level, "skip");
  char *json = ocidig_notation_result_to_json(&r);
  ck_assert(json && strstr(json, "\"verified\": false") && strstr(json, "\"skipped\": true"));
  free(json);
  ocidig_notation_trust_free(t);
  /* policies Notation refuses */
  static const char *const refused[] = {
    "{\"version\": \"2.0\", \"trustPolicies\": []}",
    "{\"version\": \"1.0\", \"trustPolicies\": [{\"name\": \"a\", \"registryScopes\": [\"*\"], "
    "\"signatureVerification\": {\"level\": \"strict\"}, \"trustStores\": [\"ca:alpine\"], \"trustedIdentities\": "
    "[\"*\"]}, {\"name\": \"b\", \"registryScopes\": [\"*\"], \"signatureVerification\": {\"level\": \"audit\"}, "
    "\"trustStores\": [\"ca:alpine\"], \"trustedIdentities\": [\"*\"]}]}",
    "{\"version\": \"1.0\", \"trustPolicies\": [{\"name\": \"a\", \"registryScopes\": [\"*\"], "
    "\"signatureVerification\": {\"level\": \"lenient\"}, \"trustStores\": [\"ca:alpine\"], \"trustedIdentities\": "
    "[\"*\"]}]}",
    "{\"version\": \"1.0\", \"trustPolicies\": [{\"name\": \"a\", \"registryScopes\": [\"*\"], "
    "\"signatureVerification\": {\"level\": \"strict\"}, \"trustStores\": [\"x509:alpine\"], \"trustedIdentities\": "
    "[\"*\"]}]}",
    "{\"version\": \"1.0\", \"trustPolicies\": [{\"name\": \"a\", \"signatureVerification\": {\"level\": "
    "\"strict\"}, \"trustStores\": [\"ca:alpine\"], \"trustedIdentities\": [\"*\"]}]}",
  };
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    tu_write(dir, "bad.json", refused[i], strlen(refused[i]));
    snprintf(path, sizeof path, "%s/bad.json", dir);
    ocidig_notation_trust *bad = NULL;
    ocidig_error err;
    ck_assert_msg(ocidig_notation_trust_load(path, NDIR "/truststore", &bad, &err) == OCIDIG_ERR_USAGE, "%zu", i);
    ck_assert(bad == NULL);
    ck_assert_msg(strstr(err.message, "bad.json"), "%s", err.message);
  }
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* The wrong-target envelope for the manifest its payload names: expiry 2120-11-09, a chain
 * (leaf and root "Notation Test Root", valid to 2122) whose root is in no store here. */
START_TEST(test_expiry)
{
  ocidig_notation_target docker = {"application/vnd.docker.distribution.manifest.v2+json",
                                   "sha256:60043cf45eaebc4c0867fea485a039b598f52fd09fd5b07b0b2d2f88fad9d74e", 528, NULL};
  char *dir = tu_mkdtemp();
  /* authenticity only logged: before the expiry, verified (the untrusted chain logged) */
  char *policy = write_policy(dir, "*", "strict", "*", ", \"override\": {\"authenticity\": \"log\"}");
  ocidig_notation_trust *t = trust_from(policy, NDIR "/truststore");
  ocidig_notation_result r = check_file(t, "application/jose+json", BLOB(WRONG_ENV), &docker, NOW_2024);
  ck_verdict(r, OCIDIG_SIG_VERIFIED);
  ck_assert_msg(strstr(r.logged, "untrusted-key"), "%s", r.logged);
  /* after it: expired (strict enforces expiry) */
  r = check_file(t, "application/jose+json", BLOB(WRONG_ENV), &docker, NOW_2121);
  ck_verdict(r, OCIDIG_SIG_EXPIRED);
  ck_assert_msg(strstr(r.sig.reason, "2120-11-09T07:00:00Z"), "%s", r.sig.reason);
  ocidig_notation_trust_free(t);
  free(policy);
  /* expiry only logged */
  policy = write_policy(dir, "*", "strict", "*", ", \"override\": {\"authenticity\": \"log\", \"expiry\": \"log\"}");
  t = trust_from(policy, NDIR "/truststore");
  r = check_file(t, "application/jose+json", BLOB(WRONG_ENV), &docker, NOW_2121);
  ck_verdict(r, OCIDIG_SIG_VERIFIED);
  ck_assert_msg(strstr(r.logged, "expired"), "%s", r.logged);
  ocidig_notation_trust_free(t);
  free(policy);
  /* audit: authenticity, timestamp and expiry logged */
  policy = write_policy(dir, "*", "audit", "*", NULL);
  t = trust_from(policy, NDIR "/truststore");
  r = check_file(t, "application/jose+json", BLOB(WRONG_ENV), &docker, NOW_2121);
  ck_verdict(r, OCIDIG_SIG_VERIFIED);
  ocidig_notation_trust_free(t);
  free(policy);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* The certificate's validity at the verification time: the alpine leaf ends 2123-08-29. */
START_TEST(test_certificate_validity)
{
  ocidig_notation_trust *t = fixture_trust();
  ocidig_notation_result r = check_file(t, "application/jose+json", BLOB(JWS_ENV), &alpine, 4852000000 /* 2123-10 */);
  ck_verdict(r, OCIDIG_SIG_EXPIRED);
  ocidig_notation_trust_free(t);
  char *dir = tu_mkdtemp();
  char *policy = write_policy(dir, "*", "permissive", "x509.subject: C=US, ST=WA, O=Notary", NULL);
  t = trust_from(policy, NDIR "/truststore");
  r = check_file(t, "application/jose+json", BLOB(JWS_ENV), &alpine, 4852000000);
  ck_verdict(r, OCIDIG_SIG_VERIFIED);
  ck_assert_msg(strstr(r.logged, "expired"), "%s", r.logged);
  ocidig_notation_trust_free(t);
  free(policy);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* A chain made by Python's cryptography (testdata/sig/notation/chain, tests/gen_ntn_chain.py):
 * leaf -> intermediate -> root for ES256/384/512 and PS256; a leaf whose extended key usage
 * names OCSPSigning beside codeSigning is refused, as notation-core-go refuses it (review s9
 * finding 6); alg ES256 over an RSA key is a bad signature. */
START_TEST(test_chain_made_elsewhere)
{
  ocidig_notation_trust *t = trust_from(NDIR "/chain/trustpolicy.json", NDIR "/chain/truststore");
  static const char *const good[] = {"es256", "es384", "es521", "ps256"};
  char path[512];
  for (size_t i = 0; i < 4; i++) {
    snprintf(path, sizeof path, NDIR "/chain/%s.jws", good[i]);
    ocidig_notation_result r = check_file(t, "application/jose+json", path, &alpine, 1704067200);
    ck_verdict(r, OCIDIG_SIG_VERIFIED);
  }
  ocidig_notation_result r = check_file(t, "application/jose+json", NDIR "/chain/ocsp.jws", &alpine, 1704067200);
  ck_verdict(r, OCIDIG_SIG_UNTRUSTED_KEY);
  ck_assert_msg(strstr(r.sig.reason, "OCSP signing") != NULL, "%s", r.sig.reason);
  r = check_file(t, "application/jose+json", NDIR "/chain/rsa_es.jws", &alpine, 1704067200);
  ck_verdict(r, OCIDIG_SIG_BAD_SIGNATURE);
  ocidig_notation_trust_free(t);
}
END_TEST

START_TEST(test_usage)
{
  ocidig_notation_result r;
  ocidig_error err;
  ocidig_notation_trust *t = fixture_trust();
  ck_assert_int_eq(ocidig_notation_verify(NULL, "application/cose", (const uint8_t *)"", 0, &alpine, 0, &r, &err),
                   OCIDIG_ERR_USAGE);
  ck_assert_int_eq(ocidig_notation_verify(t, "application/cose", (const uint8_t *)"", 0, NULL, 0, &r, &err),
                   OCIDIG_ERR_USAGE);
  ocidig_notation_trust_free(t);
  ck_assert_int_eq(ocidig_notation_trust_load(NDIR "/none.json", NDIR "/truststore", &t, &err), OCIDIG_ERR_NOT_FOUND);
  ck_assert(t == NULL);
  ocidig_notation_trust_free(NULL);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("notation");
  TCase *tc = tcase_create("notation");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_case_jws);
  tcase_add_test(tc, test_case_cose);
  tcase_add_test(tc, test_case_both);
  tcase_add_test(tc, test_case_wrong_target);
  tcase_add_test(tc, test_oci_policy);
  tcase_add_test(tc, test_jws_signature_byte);
  tcase_add_test(tc, test_jws_payload);
  tcase_add_test(tc, test_jws_protected_header);
  tcase_add_test(tc, test_jws_certificate_byte);
  tcase_add_test(tc, test_jws_envelope_shape);
  tcase_add_test(tc, test_cose_mutations);
  tcase_add_test(tc, test_store_without_ca);
  tcase_add_test(tc, test_identities);
  tcase_add_test(tc, test_scopes_and_skip);
  tcase_add_test(tc, test_expiry);
  tcase_add_test(tc, test_certificate_validity);
  tcase_add_test(tc, test_usage);
  tcase_add_test(tc, test_chain_made_elsewhere);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
