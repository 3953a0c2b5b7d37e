/* notation.c: ocidig_notation_verify: a Notation envelope checked against the trust policy
 * and store (ocidig.h says the order and what each level enforces): the signed attributes,
 * the algorithm against the signing key, the signature (EVP; ECDSA's r || s made DER with
 * ECDSA_SIG_set0 + i2d_ECDSA_SIG), the envelope's chain (Notation's certificate
 * requirements), the payload's targetArtifact, the chain to the trust store (X509_STORE),
 * trustedIdentities, the chain's validity at the verification time, the expiry. */
#include "notation_int.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const alg_names[] = {"", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"};

const char *ntn_alg_name(ntn_alg a)
{
  return (unsigned)a <= NTN_ES512 ? alg_names[a] : "";
}

ntn_alg ntn_alg_from_jws(const char *name)
{
  for (int a = NTN_PS256; a <= NTN_ES512; a++)
    if (!strcmp(name, alg_names[a]))
      return (ntn_alg)a;
  return NTN_ALG_NONE;
}

void ntn_env_free(ntn_env *e)
{
  sig_buf_free(&e->tbs);
  sig_buf_free(&e->signature);
  sig_buf_free(&e->payload);
  free(e->cty);
  free(e->scheme);
  sk_X509_pop_free(e->chain, X509_free);
  memset(e, 0, sizeof *e);
}

bool ntn_crit_add(ntn_env *e, const char *name, ocidig_sig_result *r)
{
  if (!strcmp(name, "io.cncf.notary.signingScheme"))
    e->crit |= NTN_CRIT_SCHEME;
  else if (!strcmp(name, "io.cncf.notary.expiry"))
    e->crit |= NTN_CRIT_EXPIRY;
  else if (!strcmp(name, "io.cncf.notary.authenticSigningTime"))
    e->crit |= NTN_CRIT_AUTHENTIC;
  else if (!strcmp(name, "io.cncf.notary.verificationPlugin") ||
           !strcmp(name, "io.cncf.notary.verificationPluginMinVersion"))
    return sig_fail(r, OCIDIG_SIG_UNSUPPORTED, "the envelope asks for a verification plugin (%.100s)", name);
  else
    return sig_fail(r, OCIDIG_SIG_UNSUPPORTED, "the envelope's crit names %.100s, which this verifier does not process",
                    name);
  return true;
}

bool ntn_push_der(ntn_env *e, const uint8_t *p, size_t n, size_t i, ocidig_sig_result *r)
{
  if (!e->chain && !(e->chain = sk_X509_new_null()))
    return sig_nomem(r);
  X509 *x = sig_x509_der(p, n, r);
  if (!x)
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "the envelope's certificate %zu is not a DER X.509 certificate", i);
  if (sk_X509_num(e->chain) >= 16) {
    X509_free(x);
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "the envelope's certificate chain is longer than 16");
  }
  if (!sk_X509_push(e->chain, x)) {
    X509_free(x);
    return sig_nomem(r);
  }
  return true;
}

/* ------------------------------------------------------------------ one verification */

typedef struct ntn_run {
  ocidig_notation_result *res;
  const ntn_policy *pol;
  const ocidig_notation_trust *trust;
  ntn_env env;
  int64_t now, vtime; /* the clock; the time the chain is checked at */
} ntn_run;

/* A validation's failure: enforced, it is the verdict (false: stop); logged, it is added
 * to res->logged (true: go on). */
static bool outcome(ntn_run *s, bool enforced, ocidig_sig_verdict v, const char *fmt, ...) OCI_PRINTF(4, 5);
static bool outcome(ntn_run *s, bool enforced, ocidig_sig_verdict v, const char *fmt, ...)
{
  char msg[OCIDIG_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (enforced)
    return sig_fail(&s->res->sig, v, "%s", msg);
  size_t used = strlen(s->res->logged);
  snprintf(s->res->logged + used, sizeof s->res->logged - used, "%s%s: %s", used ? "; " : "", ocidig_sig_verdict_name(v),
           msg);
  return true;
}

/* A distinguished name as Notation writes it; "" when it could not be written: out of
 * memory (r marked). */
static void dn(const X509_NAME *name, char *out, size_t cap, ocidig_sig_result *r)
{
  out[0] = '\0';
  BIO *b = BIO_new(BIO_s_mem());
  if (!b) {
    sig_nomem(r);
    return;
  }
  unsigned long flags = (ASN1_STRFLGS_RFC2253 & ~(unsigned long)ASN1_STRFLGS_ESC_MSB) | XN_FLAG_SEP_CPLUS_SPC |
                        XN_FLAG_FN_SN | XN_FLAG_DUMP_UNKNOWN_FIELDS;
  if (X509_NAME_print_ex(b, name, 0, flags) >= 0) {
    char *p;
    long n = BIO_get_mem_data(b, &p);
    if (n > 0)
      snprintf(out, cap, "%.*s", (int)(n < (long)cap ? n : (long)cap - 1), p);
  } else {
    sig_nomem(r); /* a memory BIO refuses a write for want of memory only */
  }
  BIO_free(b);
}

/* The signed attributes as the signing scheme wants them. */
static bool check_attributes(ntn_run *s)
{
  ntn_env *e = &s->env;
  ocidig_sig_result *r = &s->res->sig;
  if (!e->cty || strcmp(e->cty, NTN_PAYLOAD_CTY))
    return sig_fail(r, OCIDIG_SIG_UNSUPPORTED, "the payload's content type is %.100s, not " NTN_PAYLOAD_CTY,
                    e->cty ? e->cty : "missing");
  if (!e->scheme)
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "the envelope has no io.cncf.notary.signingScheme");
  if (!(e->crit & NTN_CRIT_SCHEME))
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "io.cncf.notary.signingScheme is not marked critical");
  if (e->has_expiry && !(e->crit & NTN_CRIT_EXPIRY))
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "io.cncf.notary.expiry is not marked critical");
  if (e->has_authentic_time && !(e->crit & NTN_CRIT_AUTHENTIC))
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "io.cncf.notary.authenticSigningTime is not marked critical");
  if (!strcmp(e->scheme, NTN_SCHEME_X509)) {
    if (!e->has_signing_time)
      return sig_fail(r, OCIDIG_SIG_MALFORMED, "signing scheme notary.x509 without io.cncf.notary.signingTime");
    s->vtime = s->now; /* no timestamp is used: the chain is checked now */
    s->res->sig.signed_at = e->signing_time;
  } else if (!strcmp(e->scheme, NTN_SCHEME_SA)) {
    if (!e->has_authentic_time)
      return sig_fail(r, OCIDIG_SIG_MALFORMED,
                      "signing scheme notary.x509.signingAuthority without io.cncf.notary.authenticSigningTime");
    s->vtime = e->authentic_time;
    s->res->sig.signed_at = e->authentic_time;
    s->res->authentic_time = true;
  } else
    return sig_fail(r, OCIDIG_SIG_UNSUPPORTED, "signing scheme %.100s (notary.x509 and notary.x509.signingAuthority are)",
                    e->scheme);
  return true;
}

/* The algorithm the signing key calls for (Notation's algorithm selection). */
static ntn_alg key_alg(EVP_PKEY *k, int *bits)
{
  *bits = EVP_PKEY_get_bits(k);
  if (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA)
    return *bits == 2048 ? NTN_PS256 : *bits == 3072 ? NTN_PS384 : *bits == 4096 ? NTN_PS512 : NTN_ALG_NONE;
  if (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC)
    return *bits == 256 ? NTN_ES256 : *bits == 384 ? NTN_ES384 : *bits == 521 ? NTN_ES512 : NTN_ALG_NONE;
  return NTN_ALG_NONE;
}

/* r || s (each the curve's size) to a DER ECDSA-Sig-Value; false when it is not that
 * size, or out of memory (res marked). */
static bool ecdsa_der(const sig_buf *raw, int bits, sig_buf *out, ocidig_sig_result *res)
{
  size_t half = ((size_t)bits + 7) / 8;
  if (raw->n != 2 * half)
    return false;
  ECDSA_SIG *sig = ECDSA_SIG_new();
  BIGNUM *r = BN_bin2bn(raw->p, (int)half, NULL), *s = BN_bin2bn(raw->p + half, (int)half, NULL);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return sig_nomem(res); /* numbers of the right size: only memory can be missing */
  }
  unsigned char *der = NULL;
  int n = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (n <= 0)
    return sig_nomem(res);
  out->p = der; /* OPENSSL_malloc'd: freed with OPENSSL_free */
  out->n = (size_t)n;
  return true;
}

static bool check_signature(ntn_run *s, X509 *leaf)
{
  ocidig_sig_result *r = &s->res->sig;
  EVP_PKEY *k = X509_get0_pubkey(leaf);
  int bits = 0;
  ntn_alg want = k ? key_alg(k, &bits) : NTN_ALG_NONE;
  if (want == NTN_ALG_NONE)
    return sig_fail(r, OCIDIG_SIG_UNSUPPORTED,
                    "the signing certificate's key (%d bits) is not RSA 2048/3072/4096 or EC P-256/P-384/P-521", bits);
  if (want != s->env.alg)
    return sig_fail(r, OCIDIG_SIG_BAD_SIGNATURE, "alg %s does not match the signing certificate's key, which calls for %s",
                    ntn_alg_name(s->env.alg), ntn_alg_name(want));
  const EVP_MD *md = want == NTN_PS256 || want == NTN_ES256   ? EVP_sha256()
                     : want == NTN_PS384 || want == NTN_ES384 ? EVP_sha384()
                                                              : EVP_sha512();
  bool ec = want >= NTN_ES256;
  sig_buf der = {0};
  ERR_clear_error();
  if (ec && !ecdsa_der(&s->env.signature, bits, &der, r))
    return sig_fail(r, OCIDIG_SIG_BAD_SIGNATURE, "the ECDSA signature is not r || s of %d bits each", bits);
  const sig_buf *sig = ec ? &der : &s->env.signature;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  if (!ctx)
    sig_nomem(r);
  bool ok = ctx && EVP_DigestVerifyInit(ctx, &pctx, md, NULL, k) == 1 &&
            (ec || (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
                    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1)) &&
            EVP_DigestVerify(ctx, sig->p, sig->n, s->env.tbs.p, s->env.tbs.n) == 1;
  EVP_MD_CTX_free(ctx);
  if (ec)
    OPENSSL_free(der.p);
  if (!ok && ctx)
    sig_ossl_nomem(r);
  if (!ok)
    return sig_fail(r, OCIDIG_SIG_BAD_SIGNATURE, "the %s signature does not verify with the signing certificate's key",
                    ntn_alg_name(want));
  return true;
}

static bool critical(X509 *x, int nid)
{
  int i = X509_get_ext_by_NID(x, nid, -1);
  return i >= 0 && X509_EXTENSION_get_critical(X509_get_ext(x, i)) == 1;
}

/* Notation's certificate requirements and the order of the envelope's chain: each
 * certificate issued (and signed) by the next, the last self-signed. */
static bool check_chain_shape(ntn_run *s)
{
  ocidig_sig_result *r = &s->res->sig;
  STACK_OF(X509) *c = s->env.chain;
  int n = sk_X509_num(c);
  char subj[256];
  for (int i = 0; i < n; i++) {
    X509 *x = sk_X509_value(c, i);
    dn(X509_get_subject_name(x), subj, sizeof subj, r);
    if (sig_is_nomem(r))
      return false;
    uint32_t flags = X509_get_extension_flags(x), ku = X509_get_key_usage(x);
    int nid = X509_get_signature_nid(x);
    EVP_PKEY *k = X509_get0_pubkey(x);
    int bits = k ? EVP_PKEY_get_bits(k) : 0;
    if (!k || (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA && bits < 2048) ||
        (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC && bits < 256))
      return sig_fail(r, OCIDIG_SIG_UNTRUSTED_KEY, "certificate %d (%s): a key shorter than RSA 2048 or EC 256 bits", i,
                      subj);
    if (nid == NID_sha1WithRSAEncryption || nid == NID_ecdsa_with_SHA1)
      return sig_fail(r, OCIDIG_SIG_UNTRUSTED_KEY, "certificate %d (%s) is signed with SHA-1", i, subj);
    if (!(flags & EXFLAG_KUSAGE) || !critical(x, NID_key_usage))
      return sig_fail(r, OCIDIG_SIG_UNTRUSTED_KEY, "certificate %d (%s) has no critical key usage", i, subj);
    if (i == 0) { /* the signing certificate (a lone root too) */
      if ((flags & EXFLAG_BCONS) && (flags & EXFLAG_CA))
        return sig_fail(r, OCIDIG_SIG_UNTRUSTED_KEY, "the signing certificate (%s) is a CA certificate", subj);
      if (!(ku & KU_DIGITAL_SIGNATURE) || (ku & (KU_KEY_ENCIPHERMENT | KU_DATA_ENCIPHERMENT | KU_KEY_AGREEMENT |
                                                 KU_KEY_CERT_SIGN | KU_CRL_SIGN | KU_ENCIPHER_ONLY | KU_DECIPHER_ONLY)))
        return sig_fail(r, OCIDIG_SIG_UNTRUSTED_KEY,
                        "the signing certificate (%s): its key usage is not digitalSignature (only)", subj);
      if ((flags & EXFLAG_XKUSAGE) &&
          (X509_get_extended_key_usage(x) & (XKU_SSL_SERVER | XKU_SSL_CLIENT | XKU_SMIME | XKU_TIMESTAMP | XKU_OCSP_SIGN | XKU_ANYEKU)))
        return sig_fail(r, OCIDIG_SIG_UNTRUSTED_KEY,
                        "the signing certificate (%s) is not a code-signing certificate: its extended key usage "
                        "names server, client, e-mail, time-stamping, OCSP signing or any use",
                        subj);
    } else {
      if (!(flags & EXFLAG_BCONS) || !(flags & EXFLAG_CA) || !critical(x, NID_basic_constraints) ||
          !(ku & KU_KEY_CERT_SIGN))
        return sig_fail(r, OCIDIG_SIG_UNTRUSTED_KEY,
                        "certificate %d (%s) is not a CA certificate (critical basic constraints, keyCertSign)", i, subj);
      long pathlen = X509_get_pathlen(x);
      if (pathlen >= 0 && i - 1 > pathlen)
        return sig_fail(r, OCIDIG_SIG_UNTRUSTED_KEY, "certificate %d (%s): its path length %ld is exceeded", i, subj,
                        pathlen);
    }
    /* the last: self-signed (X509_self_signed: its name and key identifiers, its
     * signature; a lone root is a signing certificate: no keyCertSign asked) */
    X509 *up = i + 1 < n ? sk_X509_value(c, i + 1) : NULL;
    EVP_PKEY *uk = up ? X509_get0_pubkey(up) : NULL;
    ERR_clear_error();
    bool issued = up ? X509_check_issued(up, x) == X509_V_OK && uk && X509_verify(x, uk) == 1
                     : X509_self_signed(x, 1) == 1;
    if (!issued && sig_ossl_nomem(r))
      return false;
    if (!issued)
      return sig_fail(r, OCIDIG_SIG_UNTRUSTED_KEY,
                      i + 1 < n ? "the envelope's chain: certificate %d (%s) is not issued by the next one"
                                : "the envelope's chain does not end with a self-signed root (certificate %d: %s)",
                      i, subj);
  }
  return true;
}

/* The payload {"targetArtifact": descriptor} against the target. */
static bool check_target(ntn_run *s, const ocidig_notation_target *t)
{
  ocidig_sig_result *r = &s->res->sig;
  oci_json_doc doc = {0};
  ocidig_error jerr;
  ocidig_code rc = oci_json_parse(s->env.payload.p, s->env.payload.n, "the signed payload", &doc, &jerr);
  if (rc != OCIDIG_OK)
    return sig_json_nomem(rc, r) ? false : sig_fail(r, OCIDIG_SIG_MALFORMED, "%s", jerr.message);
  json_object *d = oci_json_get(doc.root, "targetArtifact");
  json_object *mt = d ? oci_json_get(d, "mediaType") : NULL, *dg = d ? oci_json_get(d, "digest") : NULL,
              *sz = d ? oci_json_get(d, "size") : NULL;
  int64_t size = -1;
  bool ok = false;
  if (!d || !json_object_is_type(d, json_type_object) || !mt || !json_object_is_type(mt, json_type_string) || !dg ||
      !json_object_is_type(dg, json_type_string) || !sz || !oci_json_int64(sz, &size)) {
    sig_fail(r, OCIDIG_SIG_MALFORMED, "the signed payload is not {\"targetArtifact\": a descriptor}");
    goto out;
  }
  const char *m = json_object_get_string(mt), *g = json_object_get_string(dg);
  if (strcmp(g, t->digest) || size != t->size || strcmp(m, t->media_type)) {
    sig_fail(r, OCIDIG_SIG_SUBJECT_MISMATCH,
             "the payload's targetArtifact (%.80s, %lld bytes, %.80s) is not the signed manifest (%.80s, %lld bytes, %.80s)",
             g, (long long)size, m, t->digest, (long long)t->size, t->media_type);
    goto out;
  }
  ok = true;
out:
  oci_json_doc_free(&doc);
  return ok;
}

/* Authenticity: the chain to a certificate of the policy's stores of the scheme's kind
 * (X509_STORE; an anchor may be any certificate of the chain, as Notation pins), then
 * trustedIdentities. */
static bool check_trust(ntn_run *s)
{
  const ntn_policy *p = s->pol;
  X509 *leaf = sk_X509_value(s->env.chain, 0);
  const char *kind = !strcmp(s->env.scheme, NTN_SCHEME_SA) ? "signingAuthority:" : "ca:";
  X509_STORE *store = X509_STORE_new();
  X509_STORE_CTX *ctx = X509_STORE_CTX_new();
  STACK_OF(X509) *untrusted = sk_X509_new_null();
  size_t anchors = 0;
  bool ok = store && ctx && untrusted, trusted = false;
  for (size_t i = 0; ok && i < p->n_stores; i++) {
    const ntn_store *st = &s->trust->stores[p->stores[i]];
    if (strncmp(st->name, kind, strlen(kind)))
      continue;
    for (int j = 0; ok && j < sk_X509_num(st->certs); j++, anchors++)
      ok = X509_STORE_add_cert(store, sk_X509_value(st->certs, j)) == 1;
  }
  for (int i = 1; ok && i < sk_X509_num(s->env.chain); i++)
    ok = sk_X509_push(untrusted, sk_X509_value(s->env.chain, i)) > 0;
  ERR_clear_error();
  if (ok && anchors && (ok = X509_STORE_CTX_init(ctx, store, leaf, untrusted) == 1)) {
    X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME);
    trusted = X509_verify_cert(ctx) == 1;
  }
  int verr = ctx ? X509_STORE_CTX_get_error(ctx) : 0;
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  sk_X509_free(untrusted);
  /* made and filled from what is in memory: only memory can be missing */
  if (!ok || (!trusted && (verr == X509_V_ERR_OUT_OF_MEM || sig_ossl_nomem(&s->res->sig))))
    return sig_nomem(&s->res->sig);
  ERR_clear_error();
  char stores[256] = "";
  for (size_t i = 0, used = 0; i < p->n_stores && used < sizeof stores; i++)
    used += (size_t)snprintf(stores + used, sizeof stores - used, "%s%s", i ? ", " : "",
                             s->trust->stores[p->stores[i]].name);
  if (!trusted &&
      !outcome(s, p->authenticity, OCIDIG_SIG_UNTRUSTED_KEY, "the certificate chain does not lead to a certificate of "
               "the trust stores %s%s%s", stores, anchors ? ": " : " (no certificate of this kind in them)",
               anchors ? X509_verify_cert_error_string(verr) : ""))
    return false;
  if (p->any_identity)
    return true;
  const X509_NAME *subject = X509_get_subject_name(leaf);
  for (size_t i = 0; i < p->n_identities; i++) {
    bool bad_id;
    if (ntn_identity_match(p->identities[i], subject, &bad_id, &s->res->sig))
      return true;
    if (sig_is_nomem(&s->res->sig))
      return false;
  }
  return outcome(s, p->authenticity, OCIDIG_SIG_IDENTITY_MISMATCH,
                 "the signing certificate's subject (%s) is none of the policy's trustedIdentities", s->res->sig.signer);
}

/* Authentic timestamp: every certificate of the chain valid at the verification time. */
static bool check_validity(ntn_run *s)
{
  int64_t t = s->vtime;
  for (int i = 0; i < sk_X509_num(s->env.chain); i++) {
    X509 *x = sk_X509_value(s->env.chain, i);
    int64_t nb, na; /* read here, not by X509_cmp_time, which allocates and says 0 when it cannot */
    if (!sig_asn1_time(X509_get0_notBefore(x), &nb) || !sig_asn1_time(X509_get0_notAfter(x), &na))
      return sig_fail(&s->res->sig, OCIDIG_SIG_MALFORMED, "certificate %d: its validity is unreadable", i);
    bool early = nb > t, late = na <= t; /* as X509_cmp_time compares */
    if (early || late) {
      char subj[256];
      dn(X509_get_subject_name(x), subj, sizeof subj, &s->res->sig);
      return outcome(s, s->pol->authentic_timestamp, OCIDIG_SIG_EXPIRED,
                     "certificate %d (%s) is %s at the verification time (%s; no timestamp is used)", i, subj,
                     early ? "not yet valid" : "expired", s->vtime == s->now ? "now" : "the authentic signing time");
    }
  }
  return true;
}

/* One verification, its verdict in res (marked out of memory when memory ran out). */
static void verify_once(const ocidig_notation_trust *t, const char *media_type, const uint8_t *envelope, size_t len,
                        const ocidig_notation_target *target, int64_t now, ocidig_notation_result *res)
{
  memset(res, 0, sizeof *res);
  res->sig.verdict = OCIDIG_SIG_VERIFIED;
  ntn_run s = {.res = res, .trust = t, .now = now};
  ocidig_sig_result *r = &res->sig;
  s.pol = ntn_policy_for(t, target->repository);
  if (!s.pol) {
    sig_fail(r, OCIDIG_SIG_UNTRUSTED_KEY, "no trust policy applies to %.200s (no registry scope names it, no \"*\")",
             target->repository ? target->repository : "an image whose repository the layout does not name");
    return;
  }
  snprintf(res->policy, sizeof res->policy, "%s", s.pol->name);
  snprintf(res->level, sizeof res->level, "%s", ntn_level_name(s.pol->level));
  if (s.pol->level == NTN_SKIP) {
    res->skipped = true;
    snprintf(r->reason, sizeof r->reason, "not verified: trust policy \"%.100s\" has level skip", s.pol->name);
    return;
  }
  bool ok;
  ERR_clear_error(); /* what OpenSSL's queue holds from here on is this verification's */
  if (!strcmp(media_type, "application/jose+json"))
    ok = ntn_jws_read(envelope, len, &s.env, r);
  else if (!strcmp(media_type, "application/cose"))
    ok = ntn_cose_read(envelope, len, &s.env, r);
  else
    ok = sig_fail(r, OCIDIG_SIG_UNSUPPORTED,
                  "envelope media type %.100s (Notation's are application/jose+json and application/cose)", media_type);
  if (s.env.format)
    snprintf(res->envelope, sizeof res->envelope, "%s", s.env.format);
  if (ok)
    snprintf(res->alg, sizeof res->alg, "%s", ntn_alg_name(s.env.alg));
  X509 *leaf = ok ? sk_X509_value(s.env.chain, 0) : NULL;
  if (leaf) {
    dn(X509_get_subject_name(leaf), r->signer, sizeof r->signer, r);
    dn(X509_get_issuer_name(leaf), r->issuer, sizeof r->issuer, r);
  }
  /* integrity: enforced at every level */
  ok = ok && check_attributes(&s) && check_signature(&s, leaf) && check_chain_shape(&s) && check_target(&s, target);
  /* authenticity, authentic timestamp, expiry: enforced or logged by the level */
  ok = ok && check_trust(&s) && check_validity(&s);
  if (ok && s.env.has_expiry && s.now >= s.env.expiry) {
    char when[32];
    time_t et = (time_t)s.env.expiry;
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&et, &tm));
    outcome(&s, s.pol->expiry, OCIDIG_SIG_EXPIRED, "the signature expired at %s (io.cncf.notary.expiry)", when);
  }
  if (r->verdict != OCIDIG_SIG_VERIFIED)
    r->signed_at = 0;
  ntn_env_free(&s.env);
  ERR_clear_error(); /* OpenSSL's queue is the thread's: leave it as it was */
}

ocidig_code ocidig_notation_verify(const ocidig_notation_trust *t, const char *media_type, const uint8_t *envelope,
                                   size_t len, const ocidig_notation_target *target, int64_t now,
                                   ocidig_notation_result *res, ocidig_error *err)
{
  OCI_REQUIRE(res, "res", err);
  memset(res, 0, sizeof *res);
  res->sig.verdict = OCIDIG_SIG_MALFORMED;
  snprintf(res->sig.reason, sizeof res->sig.reason, "not verified");
  OCI_REQUIRE(t, "t", err);
  OCI_REQUIRE(media_type, "media_type", err);
  OCI_REQUIRE(envelope, "envelope", err);
  OCI_REQUIRE(target, "target", err);
  OCI_REQUIRE(target->digest, "target->digest", err);
  OCI_REQUIRE(target->media_type, "target->media_type", err);
  now = now ? now : (int64_t)time(NULL);
  verify_once(t, media_type, envelope, len, target, now, res);
  if ((res->sig.verdict != OCIDIG_SIG_VERIFIED || res->logged[0]) && !sig_is_nomem(&res->sig)) {
    /* a failure (enforced or logged) confirmed by a second verification (as ocidig_sig_verify_bundle does): OpenSSL
     * 3 does not always say that it ran out of memory */
    ocidig_notation_result again;
    verify_once(t, media_type, envelope, len, target, now, &again);
    if (!sig_result_same(&res->sig, &again.sig) || strcmp(res->logged, again.logged) || res->skipped != again.skipped)
      sig_nomem(&res->sig);
  }
  if (sig_is_nomem(&res->sig)) { /* never a verdict */
    memset(res, 0, sizeof *res);
    res->sig.verdict = OCIDIG_SIG_MALFORMED;
    snprintf(res->sig.reason, sizeof res->sig.reason, "not verified: out of memory");
    return oci_nomem(err);
  }
  return OCIDIG_OK;
}

char *ocidig_notation_result_to_json(const ocidig_notation_result *res)
{
  if (!res)
    return NULL;
  char *base = ocidig_sig_result_to_json(&res->sig);
  json_object *o = NULL;
  if (base) {
    o = json_tokener_parse(base);
    free(base);
  }
  if (o) {
    json_object_object_del(o, "bundleVersion");
    json_object_object_del(o, "content");
  }
  bool ok = o && oci_json_add(o, "scheme", json_object_new_string("notation")) &&
            oci_json_add(o, "envelope", json_object_new_string(res->envelope)) &&
            oci_json_add(o, "alg", json_object_new_string(res->alg)) &&
            oci_json_add(o, "policy", json_object_new_string(res->policy)) &&
            oci_json_add(o, "level", json_object_new_string(res->level)) &&
            oci_json_add(o, "skipped", json_object_new_boolean(res->skipped)) &&
            oci_json_add(o, "logged", json_object_new_string(res->logged)) &&
            oci_json_add(o, "verified", json_object_new_boolean(res->sig.verdict == OCIDIG_SIG_VERIFIED && !res->skipped));
  if (!ok) {
    json_object_put(o);
    return NULL;
  }
  const char *text = json_object_to_json_string_ext(
          o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
  char *copy = text ? oci_strdup(text) : NULL;
  json_object_put(o);
  return copy;
}
