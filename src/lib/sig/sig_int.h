/* sig_int.h: the signature layer's shared types (Sigstore bundles verified offline).
 *
 * The folder is one module of its own between the helpers (internal.h, json.h) and the
 * questions: it needs no layout.  Each file is one concept: util.c (base64, times, keys,
 * the verdict), bundle.c (the bundle document), trust.c (trusted_root.json), cert.c (the
 * certificate chain, SCTs, identity), tlog.c (transparency log entries), tsa.c (RFC 3161
 * timestamps), content.c (the signature over the artifact or DSSE's PAE), verify.c (the
 * order of the checks, the public entry).  Crypto is OpenSSL's (EVP, X509_STORE, CT, TS). */
#ifndef OCIDIG_SIG_INT_H
#define OCIDIG_SIG_INT_H

#include "internal.h"
#include "json.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <stdbool.h>
#include <stdint.h>

typedef struct sig_buf {
  uint8_t *p;
  size_t n;
} sig_buf;

/* ------------------------------------------------------------------ util.c */
/* The verdict and its reason; false, so that a check can `return sig_fail(...)`.  The
 * first failure set is kept. */
bool sig_fail(ocidig_sig_result *r, ocidig_sig_verdict v, const char *fmt, ...) OCI_PRINTF(3, 4);
/* Out of memory is never a verdict.  sig_nomem marks the result: its verdict becomes
 * SIG_NOMEM (one past the public verdicts), which no later sig_fail replaces, and each
 * entry point (ocidig_sig_verify_bundle, ocidig_notation_verify, cosign's verifier) turns a
 * marked result into OCIDIG_ERR_NOMEM, never handing SIG_NOMEM out.  False. */
#define SIG_NOMEM OCIDIG_SIG_VERDICT_COUNT_
bool sig_nomem(ocidig_sig_result *r);
static inline bool sig_is_nomem(const ocidig_sig_result *r)
{
  return r->verdict == SIG_NOMEM;
}
/* After an OpenSSL call failed: did it fail for want of memory (ERR_R_MALLOC_FAILURE, or
 * X509_V_ERR_OUT_OF_MEM's reason, anywhere in the thread's error queue)?  Then marks r
 * (sig_nomem) and returns true.  The queue is emptied either way: what it held is this
 * failure's, read here. */
bool sig_ossl_nomem(ocidig_sig_result *r);
/* A JSON parse's code (oci_json_parse): out of memory marks r; true when it did. */
bool sig_json_nomem(ocidig_code rc, ocidig_sig_result *r);
/* Standard base64 (OpenSSL's EVP_Decode*); false when s is not base64 (r untouched) or out
 * of memory (r marked).  out->p is freed by the caller (sig_buf_free). */
bool sig_b64_decode(const char *s, sig_buf *out, ocidig_sig_result *r);
/* Standard base64 of the bytes (EVP_EncodeBlock); malloc'd; NULL only out of memory. */
char *sig_b64_encode(const uint8_t *p, size_t n);
void sig_buf_free(sig_buf *b);
bool sig_buf_eq(const sig_buf *a, const uint8_t *p, size_t n);
void sig_hex(const uint8_t *p, size_t n, char *out); /* out: 2n+1 */
/* RFC 3339 ("2021-01-12T11:53:27Z", fraction and offset allowed) to seconds since 1970. */
bool sig_parse_time(const char *s, int64_t *out);
bool sig_asn1_time(const ASN1_TIME *t, int64_t *out);
/* A time as RFC 3339 UTC ("2025-06-12T12:02:20Z"), for reasons. */
void sig_fmt_time(int64_t t, char *buf, size_t n);
/* A public key from DER SubjectPublicKeyInfo, or (RSA) a PKCS#1 RSAPublicKey; NULL when it
 * is neither (r untouched) or out of memory (r marked). */
EVP_PKEY *sig_pkey_der(const uint8_t *p, size_t n, ocidig_sig_result *r);
/* A public key or certificate from PEM text: the key (certificate's key), and, for a
 * certificate, its DER in *cert_der (else n = 0).  NULL as sig_pkey_der. */
EVP_PKEY *sig_pkey_pem(const uint8_t *p, size_t n, sig_buf *cert_der, ocidig_sig_result *r);
/* DER SubjectPublicKeyInfo of a key (malloc'd); false only out of memory (r marked). */
bool sig_pkey_spki(EVP_PKEY *k, sig_buf *out, ocidig_sig_result *r);
/* Verifies sig over msg with the key: SHA-256 for ECDSA and RSA (PKCS#1 v1.5, or PSS when
 * pss), the message itself for Ed25519.  prehashed: msg is a SHA-256 digest (not for
 * Ed25519).  False when it does not verify, or out of memory (r marked). */
bool sig_verify(EVP_PKEY *k, bool pss, bool prehashed, const uint8_t *msg, size_t n, const uint8_t *sig, size_t sn,
                ocidig_sig_result *r);
/* A certificate from DER, the whole buffer; NULL when it is not one (r untouched) or out of
 * memory (r marked).  OpenSSL 3 reads a certificate whose key or extensions it could not
 * decode for want of memory without a word: such a certificate is read once more, and kept
 * as it is only when the second reading says the same. */
X509 *sig_x509_der(const uint8_t *p, size_t n, ocidig_sig_result *r);
/* The same for a certificate read otherwise (PEM): replaced by a whole reading of its DER
 * when it is not whole; false only out of memory (r marked). */
bool sig_x509_settle(X509 **x, ocidig_sig_result *r);
/* Are two results the same (verdict, reason, signer, issuer, time, version, content)? */
bool sig_result_same(const ocidig_sig_result *a, const ocidig_sig_result *b);
/* SHA-256; false only out of memory (r marked). */
bool sig_sha256(const void *p, size_t n, uint8_t out[32], ocidig_sig_result *r);

/* ------------------------------------------------------------------ trust.c */
typedef struct sig_range {
  int64_t start, end;
  bool has_end; /* start is required */
} sig_range;
typedef struct sig_log {
  EVP_PKEY *key;
  uint8_t log_id[32];
  size_t log_id_len;
  char *host; /* baseUrl's host: the checkpoint's signer name */
  sig_range valid;
} sig_log;
typedef struct sig_authority {
  STACK_OF(X509) *chain; /* as listed: leaf or intermediate first, the root last */
  sig_range valid;
} sig_authority;
typedef struct sig_trust {
  sig_log *tlogs, *ctlogs;
  size_t n_tlogs, n_ctlogs;
  sig_authority *cas, *tsas;
  size_t n_cas, n_tsas;
} sig_trust;
/* Parses trusted_root.json; reason in r (malformed; or marked out of memory) on failure. */
bool sig_trust_parse(const uint8_t *text, size_t n, sig_trust *t, ocidig_sig_result *r);
void sig_trust_free(sig_trust *t);
bool sig_range_has(const sig_range *v, int64_t t);
const sig_log *sig_trust_log(const sig_log *logs, size_t n, const uint8_t *id, size_t idn);

/* ------------------------------------------------------------------ bundle.c */
typedef struct sig_tlog_entry {
  int64_t log_index;
  sig_buf log_id;
  char *kind, *version;
  int64_t integrated_time; /* 0: none (Rekor v2) */
  sig_buf set;             /* inclusionPromise.signedEntryTimestamp; n 0: none */
  bool has_proof;
  int64_t proof_index, tree_size;
  sig_buf root_hash;
  sig_buf *hashes;
  size_t n_hashes;
  char *checkpoint; /* NULL: none */
  sig_buf body;     /* canonicalizedBody, decoded */
} sig_tlog_entry;

typedef struct sig_bundle {
  int version; /* 1, 2, 3: v0.1 .. v0.3 */
  sig_buf *certs; /* DER, leaf first */
  size_t n_certs;
  bool has_key; /* verificationMaterial.publicKey */
  bool dsse;
  /* messageSignature */
  bool has_digest;
  sig_buf digest; /* messageDigest (SHA2_256) */
  /* both: the signature */
  sig_buf signature;
  /* dsseEnvelope */
  char *payload_type;
  sig_buf payload;
  sig_tlog_entry *tlog;
  size_t n_tlog;
  sig_buf *tsa; /* rfc3161Timestamps, DER TimeStampResp */
  size_t n_tsa;
  oci_json_doc doc;
} sig_bundle;
bool sig_bundle_parse(const uint8_t *text, size_t n, sig_bundle *b, ocidig_sig_result *r);
void sig_bundle_free(sig_bundle *b);
/* DSSE's pre-authentication encoding of the envelope (malloc'd); false only out of memory. */
bool sig_pae(const sig_bundle *b, sig_buf *out);

/* ------------------------------------------------------------------ the shared state */
typedef struct sig_run {
  const ocidig_sig_options *opts;
  const ocidig_sig_artifact *art;
  ocidig_sig_result *res;
  sig_trust trust;
  sig_bundle b;
  int64_t now;
  EVP_PKEY *key;  /* the signing key: the leaf's or the caller's */
  X509 *leaf;     /* NULL for a key-signed bundle */
  sig_buf key_spki;
  int64_t times[16]; /* verified timestamps */
  size_t n_times;
  /* a private PKI (cosign --ca-roots): the trust anchors and the intermediates given; NULL:
   * the trusted root's certificate authorities, SCTs required */
  STACK_OF(X509) *pki_roots, *pki_intermediates;
} sig_run;

/* content.c: the signature over the artifact digest or the PAE; DSSE's in-toto subject. */
bool sig_content_check(sig_run *s);
/* tlog.c: every log entry (body, SET, inclusion proof, checkpoint); adds integrated times. */
bool sig_tlog_check(sig_run *s);
/* tlog.c: an entry without an integrated time (Rekor v2) is dated by the RFC 3161
 * timestamps: its log's key must be valid (the trusted root's window) at each of their
 * verified times (tlog-invalid, naming the window, when not). */
bool sig_tlog_check_times(sig_run *s, const int64_t *times, size_t n);
/* tsa.c: every RFC 3161 timestamp; adds their times. */
bool sig_tsa_check(sig_run *s);
/* cert.c: the leaf from the bundle (s->leaf, s->key). */
bool sig_cert_load(sig_run *s);
/* cert.c: the chain to a CA of the trusted root at every verified time, SCTs, identity;
 * with pki_roots: the chain to one of them at every verified time (none: at s->now), no
 * SCT, the OIDC issuer only when asked for. */
bool sig_cert_check(sig_run *s);
/* cert.c: every certificate of PEM text (one at least; a block that is not a certificate:
 * false, r untouched; out of memory: false, r marked); *out is the caller's
 * (sk_X509_pop_free). */
bool sig_pem_certs(const uint8_t *pem, size_t n, STACK_OF(X509) **out, ocidig_sig_result *r);

#endif
