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
/* Standard base64 (OpenSSL's EVP_Decode*); false when s is not base64.  out->p is freed by
 * the caller (sig_buf_free). */
bool sig_b64_decode(const char *s, sig_buf *out);
/* Standard base64 of the bytes (EVP_EncodeBlock); malloc'd. */
char *sig_b64_encode(const uint8_t *p, size_t n);
void sig_buf_free(sig_buf *b);
bool sig_buf_eq(const sig_buf *a, const uint8_t *p, size_t n);
void sig_hex(const uint8_t *p, size_t n, char *out); /* out: 2n+1 */
/* RFC 3339 ("2021-01-12T11:53:27Z", fraction and offset allowed) to seconds since 1970. */
bool sig_parse_time(const char *s, int64_t *out);
bool sig_asn1_time(const ASN1_TIME *t, int64_t *out);
/* A public key from DER SubjectPublicKeyInfo, or (RSA) a PKCS#1 RSAPublicKey. */
EVP_PKEY *sig_pkey_der(const uint8_t *p, size_t n);
/* A public key or certificate from PEM text: the key (certificate's key), and, for a
 * certificate, its DER in *cert_der (else n = 0). */
EVP_PKEY *sig_pkey_pem(const uint8_t *p, size_t n, sig_buf *cert_der);
/* DER SubjectPublicKeyInfo of a key (malloc'd). */
bool sig_pkey_spki(EVP_PKEY *k, sig_buf *out);
/* Verifies sig over msg with the key: SHA-256 for ECDSA and RSA (PKCS#1 v1.5, or PSS when
 * pss), the message itself for Ed25519.  prehashed: msg is a SHA-256 digest (not for
 * Ed25519). */
bool sig_verify(EVP_PKEY *k, bool pss, bool prehashed, const uint8_t *msg, size_t n,
                const uint8_t *sig, size_t sn);
bool sig_sha256(const void *p, size_t n, uint8_t out[32]);

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
/* Parses trusted_root.json; reason in r (malformed) on failure. */
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
/* DSSE's pre-authentication encoding of the envelope (malloc'd). */
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
/* tsa.c: every RFC 3161 timestamp; adds their times. */
bool sig_tsa_check(sig_run *s);
/* cert.c: the leaf from the bundle (s->leaf, s->key). */
bool sig_cert_load(sig_run *s);
/* cert.c: the chain to a CA of the trusted root at every verified time, SCTs, identity;
 * with pki_roots: the chain to one of them at every verified time (none: at s->now), no
 * SCT, the OIDC issuer only when asked for. */
bool sig_cert_check(sig_run *s);
/* cert.c: every certificate of PEM text (one at least; a block that is not a certificate:
 * false); *out is the caller's (sk_X509_pop_free). */
bool sig_pem_certs(const uint8_t *pem, size_t n, STACK_OF(X509) **out);

#endif
