/* check_sig.c: Sigstore bundles (ocidig_sig_verify_bundle) over the sigstore-conformance
 * cases in testdata/sig: valid cases verify (their signer, issuer and signing time are the
 * fixtures' own values), and one byte changed in the signature, the artifact, the
 * certificate, the log entry's body, the SET, the inclusion proof, the checkpoint, the
 * timestamp, the DSSE payload or the trusted root's keys and certificates turns each into
 * its own failure verdict. */
#include "testutil.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdlib.h>
#include <string.h>

#define CASES TESTDATA "/sig/bundle-verify/"
#define PROD TESTDATA "/sig/production_trusted_root.json"
#define ID "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
#define ISS "https://token.actions.githubusercontent.com"
/* a.txt's digest as every bundle of the suite records it (hashedrekord's data.hash) */
#define A_TXT "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"

/* The value at a dotted path ("a.b.0.c"): digits index arrays. */
static json_object *at(json_object *o, const char *path)
{
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *tok = strtok(buf, "."); tok && o; tok = strtok(NULL, ".")) {
    if (tok[0] >= '0' && tok[0] <= '9')
      o = json_object_array_get_idx(o, (size_t)atoi(tok));
    else if (!json_object_object_get_ex(o, tok, &o))
      o = NULL;
  }
  ck_assert_msg(o != NULL, "no %s", path);
  return o;
}

static void set_at(json_object *root, const char *path, json_object *v)
{
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  char *dot = strrchr(buf, '.');
  ck_assert(dot);
  *dot = '\0';
  json_object *parent = at(root, buf);
  if (dot[1] >= '0' && dot[1] <= '9')
    json_object_array_put_idx(parent, (size_t)atoi(dot + 1), v);
  else
    json_object_object_add(parent, dot + 1, v);
}

/* Flips one bit of byte `pos` (negative: from the end) of the base64 value at path. */
static void flip_b64(json_object *root, const char *path, long pos)
{
  const char *s = json_object_get_string(at(root, path));
  size_t n = strlen(s);
  unsigned char *raw = malloc(n), *enc = malloc(n + 8);
  int len = EVP_DecodeBlock(raw, (const unsigned char *)s, (int)n);
  ck_assert_int_gt(len, 0);
  len -= (n > 0 && s[n - 1] == '=') + (n > 1 && s[n - 2] == '=');
  size_t i = pos < 0 ? (size_t)(len + pos) : (size_t)pos;
  ck_assert_uint_lt(i, (size_t)len);
  raw[i] ^= 0x01;
  EVP_EncodeBlock(enc, raw, len);
  set_at(root, path, json_object_new_string((char *)enc));
  free(raw);
  free(enc);
}

/* Changes the character `back` places before the end of the string at path. */
static void flip_text(json_object *root, const char *path, size_t back)
{
  char *s = strdup(json_object_get_string(at(root, path)));
  size_t n = strlen(s);
  ck_assert_uint_gt(n, back);
  s[n - back] = s[n - back] == 'A' ? 'B' : 'A';
  set_at(root, path, json_object_new_string(s));
  free(s);
}

typedef struct tcase_in {
  json_object *bundle, *root;
  ocidig_sig_artifact art;
  ocidig_sig_options opts;
  char *key;
  size_t key_len;
} tcase_in;

static void load(tcase_in *t, const char *name, const char *root_path)
{
  char path[512];
  memset(t, 0, sizeof *t);
  snprintf(path, sizeof path, CASES "%s/bundle.sigstore.json", name);
  t->bundle = json_object_from_file(path);
  ck_assert_msg(t->bundle != NULL, "%s", path);
  if (!root_path) {
    snprintf(path, sizeof path, CASES "%s/trusted_root.json", name);
    root_path = path;
  }
  t->root = json_object_from_file(root_path);
  ck_assert_msg(t->root != NULL, "%s", root_path);
  ck_assert_int_eq(ocidig_sig_artifact_from_file(CASES "a.txt", &t->art, NULL), OCIDIG_OK);
  t->opts.identity = ID;
  t->opts.issuer = ISS;
}

static ocidig_sig_result check(tcase_in *t)
{
  ocidig_sig_result r;
  ocidig_error err;
  const char *b = json_object_to_json_string_ext(t->bundle, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
  char *bundle = strdup(b);
  const char *root = json_object_to_json_string_ext(t->root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
  t->opts.trusted_root = (const uint8_t *)root;
  t->opts.trusted_root_len = strlen(root);
  ck_assert_int_eq(ocidig_sig_verify_bundle((const uint8_t *)bundle, strlen(bundle), &t->art, &t->opts, &r, &err),
                   OCIDIG_OK);
  free(bundle);
  return r;
}

static void done(tcase_in *t)
{
  json_object_put(t->bundle);
  json_object_put(t->root);
  free(t->key);
}

#define EXPECT(t, want)                                                                                    \
  do {                                                                                                     \
    ocidig_sig_result r_ = check(t);                                                                       \
    ck_assert_msg(r_.verdict == (want), "verdict %s (%s), wanted %s", ocidig_sig_verdict_name(r_.verdict), \
                  r_.reason, ocidig_sig_verdict_name(want));                                               \
  } while (0)

START_TEST(test_artifact_digest)
{
  ocidig_sig_artifact a, b;
  ck_assert_int_eq(ocidig_sig_artifact_from_file(CASES "a.txt", &a, NULL), OCIDIG_OK);
  ck_assert_int_eq(ocidig_sig_artifact_from_digest(A_TXT, &b, NULL), OCIDIG_OK);
  ck_assert_mem_eq(a.sha256, b.sha256, 32);
  ck_assert_int_eq(ocidig_sig_artifact_from_digest("sha256:A0CF", &b, NULL), OCIDIG_ERR_INVALID_DIGEST);
  ck_assert_int_eq(ocidig_sig_artifact_from_file(CASES "no-such-file", &b, NULL), OCIDIG_ERR_NOT_FOUND);
}
END_TEST

START_TEST(test_v01_verified)
{
  tcase_in t;
  load(&t, "happy-path-v0.1", PROD);
  ocidig_sig_result r = check(&t);
  ck_assert_msg(r.verdict == OCIDIG_SIG_VERIFIED, "%s", r.reason);
  ck_assert_str_eq(r.signer, ID);
  ck_assert_str_eq(r.issuer, ISS);
  ck_assert_int_eq(r.signed_at, 1689177396); /* the entry's integratedTime */
  ck_assert_int_eq(r.bundle_version, 1);
  char *json = ocidig_sig_result_to_json(&r);
  ck_assert_ptr_nonnull(strstr(json, "\"verdict\": \"verified\""));
  ck_assert_ptr_nonnull(strstr(json, "\"signedAt\": 1689177396"));
  free(json);
  done(&t);
}
END_TEST

START_TEST(test_v01_signature_byte)
{
  tcase_in t;
  load(&t, "happy-path-v0.1", PROD);
  flip_b64(t.bundle, "messageSignature.signature", -1);
  EXPECT(&t, OCIDIG_SIG_BAD_SIGNATURE);
  done(&t);
}
END_TEST

START_TEST(test_v01_artifact_byte)
{
  tcase_in t;
  load(&t, "happy-path-v0.1", PROD);
  t.art.sha256[31] ^= 1;
  EXPECT(&t, OCIDIG_SIG_SUBJECT_MISMATCH);
  /* without the bundle's messageDigest hint, the signature itself refuses it */
  json_object_object_del(at(t.bundle, "messageSignature"), "messageDigest");
  EXPECT(&t, OCIDIG_SIG_BAD_SIGNATURE);
  done(&t);
}
END_TEST

START_TEST(test_v01_certificate_byte)
{
  tcase_in t;
  load(&t, "happy-path-v0.1", PROD);
  /* a byte of the CA's signature on the leaf: same key, another certificate than the one logged */
  flip_b64(t.bundle, "verificationMaterial.x509CertificateChain.certificates.0.rawBytes", -1);
  EXPECT(&t, OCIDIG_SIG_TLOG_INVALID);
  done(&t);
}
END_TEST

START_TEST(test_v01_body_byte)
{
  tcase_in t;
  load(&t, "happy-path-v0.1", PROD);
  flip_b64(t.bundle, "verificationMaterial.tlogEntries.0.canonicalizedBody", 100);
  EXPECT(&t, OCIDIG_SIG_TLOG_INVALID);
  done(&t);
}
END_TEST

START_TEST(test_v01_set_byte)
{
  tcase_in t;
  load(&t, "happy-path-v0.1", PROD);
  flip_b64(t.bundle, "verificationMaterial.tlogEntries.0.inclusionPromise.signedEntryTimestamp", -1);
  EXPECT(&t, OCIDIG_SIG_TLOG_INVALID);
  done(&t);
}
END_TEST

START_TEST(test_v01_proof_byte)
{
  tcase_in t;
  load(&t, "happy-path-v0.1", PROD);
  flip_b64(t.bundle, "verificationMaterial.tlogEntries.0.inclusionProof.hashes.3", 0);
  EXPECT(&t, OCIDIG_SIG_TLOG_INVALID);
  done(&t);
}
END_TEST

START_TEST(test_v01_checkpoint_byte)
{
  tcase_in t;
  load(&t, "happy-path-v0.1", PROD);
  flip_text(t.bundle, "verificationMaterial.tlogEntries.0.inclusionProof.checkpoint.envelope", 5);
  EXPECT(&t, OCIDIG_SIG_TLOG_INVALID);
  done(&t);
}
END_TEST

START_TEST(test_v01_future)
{
  tcase_in t;
  load(&t, "happy-path-v0.1", PROD);
  t.opts.now = 1689177396 - 3600; /* an hour before the log integrated it */
  EXPECT(&t, OCIDIG_SIG_TLOG_INVALID);
  done(&t);
}
END_TEST

START_TEST(test_root_ca_byte)
{
  tcase_in t;
  load(&t, "happy-path-v0.1", PROD);
  json_object *cas = at(t.root, "certificateAuthorities");
  for (size_t i = 0; i < json_object_array_length(cas); i++) {
    char path[128];
    snprintf(path, sizeof path, "certificateAuthorities.%zu.certChain.certificates.0.rawBytes", i);
    flip_b64(t.root, path, -1); /* the root's signature on the intermediate */
  }
  EXPECT(&t, OCIDIG_SIG_UNTRUSTED_KEY);
  done(&t);
}
END_TEST

START_TEST(test_root_ct_keys)
{
  tcase_in t;
  load(&t, "happy-path-v0.1", PROD);
  json_object *ct = at(t.root, "ctlogs");
  const char *other = json_object_get_string(at(t.root, "tlogs.0.publicKey.rawBytes"));
  for (size_t i = 0; i < json_object_array_length(ct); i++) {
    char path[128];
    snprintf(path, sizeof path, "ctlogs.%zu.publicKey.rawBytes", i);
    set_at(t.root, path, json_object_new_string(other));
  }
  EXPECT(&t, OCIDIG_SIG_UNTRUSTED_KEY);
  done(&t);
}
END_TEST

START_TEST(test_identity_policy)
{
  tcase_in t;
  load(&t, "happy-path-v0.1", PROD);
  t.opts.identity = ID "x";
  EXPECT(&t, OCIDIG_SIG_IDENTITY_MISMATCH);
  t.opts.identity = ID;
  t.opts.issuer = "https://accounts.google.com";
  EXPECT(&t, OCIDIG_SIG_IDENTITY_MISMATCH);
  t.opts.issuer = NULL;
  t.opts.issuer_regexp = "^https://token\\.actions\\.githubusercontent\\.com$";
  t.opts.identity = NULL;
  t.opts.identity_regexp = "^https://github\\.com/sigstore-conformance/";
  EXPECT(&t, OCIDIG_SIG_VERIFIED);
  t.opts.identity_regexp = "^https://gitlab\\.com/";
  EXPECT(&t, OCIDIG_SIG_IDENTITY_MISMATCH);
  t.opts.identity_regexp = "(unclosed";
  EXPECT(&t, OCIDIG_SIG_MALFORMED);
  done(&t);
}
END_TEST

START_TEST(test_rekor2_verified_and_timestamp_byte)
{
  tcase_in t;
  load(&t, "rekor2-happy-path", NULL);
  ocidig_sig_result r = check(&t);
  ck_assert_msg(r.verdict == OCIDIG_SIG_VERIFIED, "%s", r.reason);
  ck_assert_int_eq(r.signed_at, 1749729740); /* the RFC 3161 genTime, 2025-06-12T12:02:20Z */
  flip_b64(t.bundle, "verificationMaterial.timestampVerificationData.rfc3161Timestamps.0.signedTimestamp", -1);
  EXPECT(&t, OCIDIG_SIG_TIMESTAMP_INVALID);
  done(&t);
}
END_TEST

START_TEST(test_rekor2_log_key_byte)
{
  tcase_in t;
  load(&t, "rekor2-happy-path", NULL);
  flip_b64(t.root, "tlogs.1.publicKey.rawBytes", -1); /* the Ed25519 key of log2025-alpha1 */
  EXPECT(&t, OCIDIG_SIG_TLOG_INVALID);
  done(&t);
}
END_TEST

/* A Rekor v2 entry has no integrated time: the RFC 3161 timestamp (genTime
 * 2025-06-12T12:02:20Z) dates it, and the log key's window in the trusted root (tlogs[1],
 * log2025-alpha1, from 2025-04-16T00:00:00Z, no end) must hold that time; both ends
 * inclusive. */
static void set_window(tcase_in *t, const char *start, const char *end)
{
  json_object *vf = at(t->root, "tlogs.1.publicKey.validFor");
  json_object_object_add(vf, "start", json_object_new_string(start));
  if (end)
    json_object_object_add(vf, "end", json_object_new_string(end));
  else
    json_object_object_del(vf, "end");
}

START_TEST(test_rekor2_log_key_window)
{
  tcase_in t;
  load(&t, "rekor2-happy-path", NULL);
  ck_assert(!json_object_object_get_ex(at(t.root, "tlogs.1.publicKey.validFor"), "end", NULL));
  set_window(&t, "2025-04-16T00:00:00Z", "2025-06-01T00:00:00Z"); /* ended before the timestamp */
  ocidig_sig_result r = check(&t);
  ck_assert_msg(r.verdict == OCIDIG_SIG_TLOG_INVALID, "%s: %s", ocidig_sig_verdict_name(r.verdict), r.reason);
  ck_assert_msg(strstr(r.reason, "tlog entry 0: its log's key is valid from 2025-04-16T00:00:00Z to "
                                 "2025-06-01T00:00:00Z in the trusted root, not at 2025-06-12T12:02:20Z"),
                "%s", r.reason);
  set_window(&t, "2025-04-16T00:00:00Z", "2025-06-12T12:02:19Z"); /* a second too early */
  EXPECT(&t, OCIDIG_SIG_TLOG_INVALID);
  set_window(&t, "2025-04-16T00:00:00Z", "2025-06-12T12:02:20Z"); /* ends at the very time: inclusive */
  EXPECT(&t, OCIDIG_SIG_VERIFIED);
  set_window(&t, "2025-06-12T12:02:20Z", NULL); /* starts at the very time */
  EXPECT(&t, OCIDIG_SIG_VERIFIED);
  set_window(&t, "2025-06-12T12:02:21Z", NULL); /* starts after it */
  r = check(&t);
  ck_assert_msg(r.verdict == OCIDIG_SIG_TLOG_INVALID, "%s: %s", ocidig_sig_verdict_name(r.verdict), r.reason);
  ck_assert_msg(strstr(r.reason, "valid from 2025-06-12T12:02:21Z on in the trusted root, not at 2025-06-12T12:02:20Z"),
                "%s", r.reason);
  done(&t);
}
END_TEST

START_TEST(test_dsse_payload_byte)
{
  tcase_in t;
  load(&t, "happy-path-intoto-in-dsse-v3", PROD);
  EXPECT(&t, OCIDIG_SIG_VERIFIED);
  flip_b64(t.bundle, "dsseEnvelope.payload", 10);
  EXPECT(&t, OCIDIG_SIG_BAD_SIGNATURE);
  done(&t);
}
END_TEST

START_TEST(test_dsse_subject)
{
  tcase_in t;
  load(&t, "happy-path-intoto-in-dsse-v3", PROD);
  t.art.sha256[0] ^= 1;
  EXPECT(&t, OCIDIG_SIG_SUBJECT_MISMATCH);
  done(&t);
}
END_TEST

START_TEST(test_managed_key)
{
  tcase_in t;
  load(&t, "managed-key-happy-path", PROD);
  t.key = tu_read_file(CASES "managed-key-happy-path/key.pub", &t.key_len);
  t.opts.key_pem = (const uint8_t *)t.key;
  t.opts.key_pem_len = t.key_len;
  t.opts.identity = t.opts.issuer = NULL;
  ocidig_sig_result r = check(&t);
  ck_assert_msg(r.verdict == OCIDIG_SIG_VERIFIED, "%s", r.reason);
  ck_assert_str_eq(r.signer, "key SHA256:4cb32c4837c6dda8cfb1681efb3fef5f94ffce5b979e6bdb9139302c857af139");
  /* another P-256 key */
  EVP_PKEY *k = EVP_EC_gen("P-256");
  BIO *bio = BIO_new(BIO_s_mem());
  ck_assert(k && bio && PEM_write_bio_PUBKEY(bio, k) == 1);
  char *pem = NULL;
  long n = BIO_get_mem_data(bio, &pem);
  t.opts.key_pem = (const uint8_t *)pem;
  t.opts.key_pem_len = (size_t)n;
  EXPECT(&t, OCIDIG_SIG_BAD_SIGNATURE);
  BIO_free(bio);
  EVP_PKEY_free(k);
  done(&t);
}
END_TEST

START_TEST(test_usage)
{
  ocidig_sig_artifact a;
  ocidig_sig_options o;
  ocidig_sig_result r;
  ocidig_error err;
  memset(&a, 0, sizeof a);
  memset(&o, 0, sizeof o);
  o.trusted_root = (const uint8_t *)"{}";
  o.trusted_root_len = 2;
  ck_assert_int_eq(ocidig_sig_verify_bundle((const uint8_t *)"{}", 2, &a, &o, &r, &err), OCIDIG_ERR_USAGE);
  ck_assert_int_eq(ocidig_sig_verify_bundle(NULL, 0, &a, &o, &r, NULL), OCIDIG_ERR_USAGE);
  ck_assert_str_eq(ocidig_sig_verdict_name(OCIDIG_SIG_TLOG_INVALID), "tlog-invalid");
  ck_assert_str_eq(ocidig_sig_verdict_name((ocidig_sig_verdict)99), "unknown");
}
END_TEST

int main(void)
{
  Suite *s = suite_create("sig");
  TCase *tc = tcase_create("bundles");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_artifact_digest);
  tcase_add_test(tc, test_v01_verified);
  tcase_add_test(tc, test_v01_signature_byte);
  tcase_add_test(tc, test_v01_artifact_byte);
  tcase_add_test(tc, test_v01_certificate_byte);
  tcase_add_test(tc, test_v01_body_byte);
  tcase_add_test(tc, test_v01_set_byte);
  tcase_add_test(tc, test_v01_proof_byte);
  tcase_add_test(tc, test_v01_checkpoint_byte);
  tcase_add_test(tc, test_v01_future);
  tcase_add_test(tc, test_root_ca_byte);
  tcase_add_test(tc, test_root_ct_keys);
  tcase_add_test(tc, test_identity_policy);
  tcase_add_test(tc, test_rekor2_verified_and_timestamp_byte);
  tcase_add_test(tc, test_rekor2_log_key_byte);
  tcase_add_test(tc, test_rekor2_log_key_window);
  tcase_add_test(tc, test_dsse_payload_byte);
  tcase_add_test(tc, test_dsse_subject);
  tcase_add_test(tc, test_managed_key);
  tcase_add_test(tc, test_usage);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
