/* notation_int.h: Notation (Notary Project) signatures, the files' shared types.
 *
 * notation_jws.c and notation_cose.c read an envelope into one notation_env (what is
 * signed, the signature, the signed attributes, the certificate chain); notation_trust.c
 * reads the trust policy and the trust store; notation.c checks an envelope against them
 * (ocidig_notation_verify).  Crypto is OpenSSL's (EVP, X509_STORE); CBOR is libcbor's. */
#ifndef OCIDIG_NOTATION_INT_H
#define OCIDIG_NOTATION_INT_H

#include "sig_int.h"

/* The algorithms Notation allows (its signature specification). */
typedef enum ntn_alg {
  NTN_ALG_NONE = 0,
  NTN_PS256,
  NTN_PS384,
  NTN_PS512,
  NTN_ES256,
  NTN_ES384,
  NTN_ES512,
} ntn_alg;
const char *ntn_alg_name(ntn_alg a);
/* The JWS name ("PS256") to the algorithm; NTN_ALG_NONE when not one of them. */
ntn_alg ntn_alg_from_jws(const char *name);

#define NTN_PAYLOAD_CTY "application/vnd.cncf.notary.payload.v1+json"
#define NTN_SCHEME_X509 "notary.x509"
#define NTN_SCHEME_SA "notary.x509.signingAuthority"

/* An envelope read: owned buffers, freed by ntn_env_free. */
typedef struct ntn_env {
  const char *format; /* "jws" or "cose" */
  ntn_alg alg;
  sig_buf tbs;       /* the bytes signed: JWS signing input, COSE Sig_structure */
  sig_buf signature; /* as the envelope has it (ECDSA: r || s) */
  sig_buf payload;   /* the payload's bytes (JSON) */
  char *cty, *scheme;
  bool has_signing_time, has_authentic_time, has_expiry, has_timestamp;
  unsigned crit; /* NTN_CRIT_*: the names the crit list holds */
  int64_t signing_time, authentic_time, expiry;
  STACK_OF(X509) *chain; /* the signing certificate first */
} ntn_env;
void ntn_env_free(ntn_env *e);

/* Each reads the envelope; false with the verdict (malformed, unsupported) in r. */
bool ntn_jws_read(const uint8_t *p, size_t n, ntn_env *e, ocidig_sig_result *r);
bool ntn_cose_read(const uint8_t *p, size_t n, ntn_env *e, ocidig_sig_result *r);
/* Shared by both: one name of the crit list, added to e->crit; false (unsupported) for a
 * name this verifier does not process (a verification plugin's). */
#define NTN_CRIT_SCHEME 1u
#define NTN_CRIT_EXPIRY 2u
#define NTN_CRIT_AUTHENTIC 4u
bool ntn_crit_add(ntn_env *e, const char *name, ocidig_sig_result *r);
/* A certificate from DER (the whole buffer), pushed on the chain. */
bool ntn_push_der(ntn_env *e, const uint8_t *p, size_t n, size_t i, ocidig_sig_result *r);

/* ------------------------------------------------------------ notation_trust.c */
typedef enum ntn_level { NTN_STRICT, NTN_PERMISSIVE, NTN_AUDIT, NTN_SKIP } ntn_level;
const char *ntn_level_name(ntn_level l);
typedef struct ntn_store {
  char *name;            /* "ca:alpine" as the policy names it */
  STACK_OF(X509) *certs; /* may be empty */
} ntn_store;
typedef struct ntn_policy {
  char *name;
  char **scopes;
  size_t n_scopes;
  bool global;
  ntn_level level;
  /* true: enforced, false: logged (from the level and its override) */
  bool authenticity, authentic_timestamp, expiry;
  size_t *stores; /* indexes into the trust's stores */
  size_t n_stores;
  char **identities; /* "x509.subject: ..." values, or the one "*" */
  size_t n_identities;
  bool any_identity;
} ntn_policy;

struct ocidig_notation_trust {
  ntn_policy *policies;
  size_t n_policies;
  ntn_store *stores;
  size_t n_stores;
};

/* The policy for a repository (NULL: only the global one applies); NULL: none applies. */
const ntn_policy *ntn_policy_for(const ocidig_notation_trust *t, const char *repository);
/* Does the subject (X509_NAME) hold every attribute of the identity ("x509.subject: C=US,
 * ST=WA, ...": Notation's DN syntax, '\' escapes)?  *bad: the identity does not parse.
 * Out of memory reading the subject marks r (when not NULL). */
bool ntn_identity_match(const char *identity, const X509_NAME *subject, bool *bad, ocidig_sig_result *r);

#endif
