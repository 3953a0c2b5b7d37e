/* cert.c: the signing certificate: its chain to a certificate authority of the trusted
 * root at each verified signing time (X509_STORE with the check time set), the code-signing
 * EKU, the SCTs embedded in it against the trusted root's CT logs (OpenSSL's CT API), and
 * the identity policy (SAN URI, email or DNS name; OIDC issuer extension
 * 1.3.6.1.4.1.57264.1.8, else .1.1), exact or POSIX extended regular expressions matched as
 * cosign's flags match.  A private PKI (cosign --ca-roots, containers/image's sigstoreSigned
 * pki): the chain to one of the roots given, through the intermediates given and those of
 * the signature's chain, at each verified signing time or else the current time (as
 * containers/image; cosign checks the chain at the leaf's NotBefore); no SCT; the EKU of
 * every certificate of the chain that has one names code signing or any (Go's x509 rule for
 * cosign's code-signing usage; an absent EKU allows any). */
#include "sig_int.h"

#include <openssl/ct.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A certificate from DER (the whole buffer); NULL when it is not one (r untouched) or out
 * of memory (r marked). */
static X509 *der_cert(const sig_buf *b, ocidig_sig_result *r)
{
  return sig_x509_der(b->p, b->n, r);
}

bool sig_cert_load(sig_run *s)
{
  const ocidig_sig_options *o = s->opts;
  if (s->b.has_key) {
    if (!o->key_pem)
      return sig_fail(s->res, OCIDIG_SIG_UNTRUSTED_KEY, "the bundle is signed by a key (publicKey) and no key was given");
    sig_buf cert = {0};
    s->key = sig_pkey_pem(o->key_pem, o->key_pem_len, &cert, s->res);
    sig_buf_free(&cert);
    if (!s->key)
      return sig_fail(s->res, OCIDIG_SIG_MALFORMED, "the key given is not a PEM public key");
  } else {
    if (o->key_pem)
      return sig_fail(s->res, OCIDIG_SIG_UNTRUSTED_KEY,
                      "the bundle is signed by a certificate, not by the key given");
    s->leaf = der_cert(&s->b.certs[0], s->res);
    if (!s->leaf)
      return sig_fail(s->res, OCIDIG_SIG_MALFORMED, "bundle: the signing certificate is not an X.509 certificate");
    for (size_t i = 0; i < s->b.n_certs; i++) {
      X509 *c = i ? der_cert(&s->b.certs[i], s->res) : s->leaf;
      if (!c)
        return sig_fail(s->res, OCIDIG_SIG_MALFORMED, "bundle: certificate %zu of the chain is not X.509", i);
      bool root = X509_check_issued(c, c) == X509_V_OK;
      if (i)
        X509_free(c);
      if (root) /* a root comes from the trusted root only, never from the bundle */
        return sig_fail(s->res, OCIDIG_SIG_UNTRUSTED_KEY, "bundle: certificate %zu of the chain is a self-signed root",
                        i);
    }
    s->key = X509_get_pubkey(s->leaf);
    if (!s->key && !sig_ossl_nomem(s->res))
      return sig_fail(s->res, OCIDIG_SIG_UNSUPPORTED, "the signing certificate's key is not one OpenSSL reads");
    if (!s->key)
      return false;
  }
  return sig_pkey_spki(s->key, &s->key_spki, s->res);
}

bool sig_pem_certs(const uint8_t *pem, size_t n, STACK_OF(X509) **out, ocidig_sig_result *r)
{
  *out = NULL;
  if (!pem || n == 0 || n > INT32_MAX)
    return false;
  ERR_clear_error();
  BIO *bio = BIO_new_mem_buf(pem, (int)n);
  STACK_OF(X509) *sk = bio ? sk_X509_new_null() : NULL;
  bool ok = sk != NULL;
  X509 *x;
  if (!ok) /* made from what is in memory: only memory can be missing */
    sig_nomem(r);
  while (ok && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
    if (!sig_x509_settle(&x, r) || !sk_X509_push(sk, x)) {
      X509_free(x);
      sig_nomem(r);
      ok = false;
    }
  }
  /* read to the end of the text: no further PEM block (a block that does not read is an
   * error of its own), unless for want of memory */
  unsigned long e = ERR_peek_last_error();
  bool end = ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
  if (ok && !end && sig_ossl_nomem(r))
    ok = false;
  ok = ok && end && sk_X509_num(sk) > 0;
  ERR_clear_error();
  BIO_free(bio);
  if (!ok) {
    sk_X509_pop_free(sk, X509_free);
    return false;
  }
  *out = sk;
  return true;
}

/* The chain of the leaf to one of the private PKI's roots at time t (every root a trust
 * anchor, as Go's x509 takes a root pool: X509_V_FLAG_PARTIAL_CHAIN; the roots handed over
 * as they were parsed once, X509_STORE_CTX_set0_trusted_stack, no store built for each
 * verification), through the intermediates given and the signature's chain (untrusted, as
 * cosign and containers/image use them); then every certificate of the chain with an EKU
 * names code signing or any, as Go's x509 asks of the whole chain for cosign's code-signing
 * usage (X509_V_ERR_INVALID_PURPOSE, the certificate's subject in bad).  X509_V_OK,
 * OpenSSL's error, or -1: out of memory. */
static int pki_chain_at(sig_run *s, int64_t t, char *bad, size_t badn)
{
  X509_STORE_CTX *ctx = X509_STORE_CTX_new();
  STACK_OF(X509) *untrusted = sk_X509_new_null();
  int rc = -1;
  if (!ctx || !untrusted)
    goto out;
  for (int i = 0; i < sk_X509_num(s->pki_intermediates); i++) {
    X509 *c = sk_X509_value(s->pki_intermediates, i);
    if (!sk_X509_push(untrusted, c))
      goto out;
    X509_up_ref(c);
  }
  for (size_t i = 1; i < s->b.n_certs; i++) {
    X509 *c = der_cert(&s->b.certs[i], s->res);
    if (!c || !sk_X509_push(untrusted, c)) {
      X509_free(c);
      goto out;
    }
  }
  if (X509_STORE_CTX_init(ctx, NULL, s->leaf, untrusted) != 1)
    goto out;
  X509_STORE_CTX_set0_trusted_stack(ctx, s->pki_roots);
  X509_VERIFY_PARAM *p = X509_STORE_CTX_get0_param(ctx);
  /* not X509_V_FLAG_X509_STRICT: a private CA need not carry what RFC 5280 asks of a public
   * one (the fixture's root has no key usage), and Go's x509, which cosign and
   * containers/image verify with, does not ask it either */
  X509_VERIFY_PARAM_set_flags(p, X509_V_FLAG_USE_CHECK_TIME | X509_V_FLAG_PARTIAL_CHAIN);
  X509_VERIFY_PARAM_set_time(p, (time_t)t);
  ERR_clear_error();
  rc = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
  if (rc != X509_V_OK && (rc == X509_V_ERR_OUT_OF_MEM || sig_ossl_nomem(s->res)))
    rc = -1;
  STACK_OF(X509) *chain = rc == X509_V_OK ? X509_STORE_CTX_get0_chain(ctx) : NULL;
  for (int i = 1; i < sk_X509_num(chain); i++) {
    X509 *c = sk_X509_value(chain, i);
    if ((X509_get_extension_flags(c) & EXFLAG_XKUSAGE) &&
        !(X509_get_extended_key_usage(c) & (XKU_CODE_SIGN | XKU_ANYEKU))) {
      X509_NAME_oneline(X509_get_subject_name(c), bad, (int)badn);
      rc = X509_V_ERR_INVALID_PURPOSE;
      break;
    }
  }
out:
  X509_STORE_CTX_free(ctx);
  sk_X509_pop_free(untrusted, X509_free);
  if (rc < 0)
    sig_nomem(s->res); /* made and filled from what is in memory: only memory can be missing */
  return rc;
}

/* The chain of the leaf to authority a at time t; its issuer (a reference) in *issuer.
 * X509_V_OK, the verification's error, or -1 out of memory. */
static int chain_at(X509 *leaf, const sig_authority *a, int64_t t, X509 **issuer, ocidig_sig_result *r)
{
  X509_STORE *store = X509_STORE_new();
  X509_STORE_CTX *ctx = X509_STORE_CTX_new();
  int rc = -1;
  ERR_clear_error();
  if (!store || !ctx)
    goto out;
  for (int i = 0; i < sk_X509_num(a->chain); i++)
    if (X509_STORE_add_cert(store, sk_X509_value(a->chain, i)) != 1)
      goto out;
  if (X509_STORE_CTX_init(ctx, store, leaf, NULL) != 1)
    goto out;
  X509_VERIFY_PARAM *p = X509_STORE_CTX_get0_param(ctx);
  X509_VERIFY_PARAM_set_flags(p, X509_V_FLAG_USE_CHECK_TIME | X509_V_FLAG_X509_STRICT);
  X509_VERIFY_PARAM_set_time(p, (time_t)t);
  if (X509_verify_cert(ctx) == 1) {
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
    *issuer = sk_X509_num(chain) > 1 ? sk_X509_value(chain, 1) : NULL;
    if (*issuer)
      X509_up_ref(*issuer);
    rc = X509_V_OK;
  } else {
    rc = X509_STORE_CTX_get_error(ctx);
    if (rc == X509_V_ERR_OUT_OF_MEM || sig_ossl_nomem(r))
      rc = -1;
  }
out:
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  if (rc < 0)
    sig_nomem(r);
  return rc;
}

/* The trusted root's CT logs as an OpenSSL CTLOG_STORE.  OpenSSL builds a store only from
 * its configuration format read from a file: the logs are written as that format into an
 * anonymous temporary file (tmpfile(), gone when closed) and read back through /dev/fd. */
static CTLOG_STORE *ct_store(const sig_trust *t, ocidig_sig_result *r)
{
  CTLOG_STORE *store = CTLOG_STORE_new();
  FILE *f = store ? tmpfile() : NULL;
  bool ok = store && f;
  if (!ok && (!store || errno == ENOMEM)) {
    CTLOG_STORE_free(store);
    sig_nomem(r);
    return NULL;
  }
  if (ok) {
    fputs("enabled_logs = ", f);
    for (size_t i = 0; i < t->n_ctlogs; i++)
      fprintf(f, "%slog%zu", i ? "," : "", i);
    fputs("\n", f);
    for (size_t i = 0; ok && i < t->n_ctlogs; i++) {
      sig_buf spki = {0};
      ok = sig_pkey_spki(t->ctlogs[i].key, &spki, r);
      char *b64 = ok ? sig_b64_encode(spki.p, spki.n) : NULL;
      sig_buf_free(&spki);
      if (ok && !b64)
        sig_nomem(r);
      ok = b64 != NULL;
      if (ok)
        fprintf(f, "[log%zu]\ndescription = ctlogs[%zu]\nkey = %s\n", i, i, b64);
      free(b64);
    }
    ok = ok && fflush(f) == 0 && !ferror(f);
  }
  if (ok) {
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", fileno(f));
    ok = t->n_ctlogs == 0 || CTLOG_STORE_load_file(store, path) == 1;
    if (!ok)
      sig_ossl_nomem(r);
  }
  if (f)
    fclose(f);
  if (!ok) {
    CTLOG_STORE_free(store);
    return NULL;
  }
  return store;
}

static bool sct_check(sig_run *s, X509 *issuer)
{
  ERR_clear_error();
  STACK_OF(SCT) *scts = X509_get_ext_d2i(s->leaf, NID_ct_precert_scts, NULL, NULL);
  if (!scts && sig_ossl_nomem(s->res))
    return false;
  if (!scts || sk_SCT_num(scts) == 0) {
    SCT_LIST_free(scts);
    return sig_fail(s->res, OCIDIG_SIG_UNTRUSTED_KEY, "the signing certificate carries no SCT");
  }
  CTLOG_STORE *store = ct_store(&s->trust, s->res);
  CT_POLICY_EVAL_CTX *ctx = store ? CT_POLICY_EVAL_CTX_new() : NULL;
  bool ok = false;
  if (store && !ctx)
    sig_nomem(s->res);
  if (!store && !sig_is_nomem(s->res))
    sig_fail(s->res, OCIDIG_SIG_UNTRUSTED_KEY, "the CT logs of the trusted root could not be loaded into OpenSSL");
  if (store && ctx && (CT_POLICY_EVAL_CTX_set1_cert(ctx, s->leaf) != 1 ||
                       CT_POLICY_EVAL_CTX_set1_issuer(ctx, issuer) != 1))
    sig_nomem(s->res); /* a reference taken: only memory can be missing */
  if (store && ctx && !sig_is_nomem(s->res)) {
    CT_POLICY_EVAL_CTX_set_shared_CTLOG_STORE(ctx, store);
    CT_POLICY_EVAL_CTX_set_time(ctx, (uint64_t)s->now * 1000);
    for (int i = 0; !ok && i < sk_SCT_num(scts); i++) {
      SCT *sct = sk_SCT_value(scts, i);
      ERR_clear_error();
      if (SCT_validate(sct, ctx) != 1) {
        if (sig_ossl_nomem(s->res))
          break;
        continue;
      }
      unsigned char *id = NULL;
      size_t idn = SCT_get0_log_id(sct, &id);
      const sig_log *log = sig_trust_log(s->trust.ctlogs, s->trust.n_ctlogs, id, idn);
      /* the log's window holds the SCT's time (milliseconds) */
      ok = log && sig_range_has(&log->valid, (int64_t)(SCT_get_timestamp(sct) / 1000));
    }
  }
  CT_POLICY_EVAL_CTX_free(ctx);
  CTLOG_STORE_free(store);
  SCT_LIST_free(scts);
  if (!ok)
    return sig_fail(s->res, OCIDIG_SIG_UNTRUSTED_KEY,
                    "no SCT of the signing certificate verifies against a CT log of the trusted root");
  return true;
}

/* pattern matched as cosign matches it (Go's regexp.MatchString: anywhere in the value).
 * *bad_regexp: it does not compile; out of memory compiling or matching marks r. */
static bool match(const char *value, const char *exact, const char *pattern, bool *bad_regexp, ocidig_sig_result *r)
{
  if (exact)
    return !strcmp(value, exact);
  regex_t re;
  int rc = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB);
  if (rc != 0) {
    if (rc == REG_ESPACE)
      return sig_nomem(r);
    *bad_regexp = true;
    return false;
  }
  rc = regexec(&re, value, 0, NULL, 0);
  regfree(&re);
  if (rc == REG_ESPACE)
    return sig_nomem(r);
  return rc == 0;
}

/* The issuer extension's value: .1.8 holds a DER UTF8String, .1.1 the raw text.  NULL when
 * there is none (or it holds a NUL), or out of memory (r marked). */
static char *oidc_issuer(X509 *leaf, ocidig_sig_result *r)
{
  static const char *const oids[] = {"1.3.6.1.4.1.57264.1.8", "1.3.6.1.4.1.57264.1.1"};
  for (int k = 0; k < 2; k++) {
    ASN1_OBJECT *obj = OBJ_txt2obj(oids[k], 1);
    if (!obj) { /* a dotted OID that parses: only memory can be missing */
      sig_nomem(r);
      return NULL;
    }
    int i = X509_get_ext_by_OBJ(leaf, obj, -1);
    ASN1_OBJECT_free(obj);
    if (i < 0)
      continue;
    ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(X509_get_ext(leaf, i));
    const unsigned char *p = ASN1_STRING_get0_data(os);
    int n = ASN1_STRING_length(os);
    char *s;
    size_t len;
    if (k == 0) {
      ERR_clear_error();
      ASN1_UTF8STRING *u = d2i_ASN1_UTF8STRING(NULL, &p, n);
      if (!u) {
        sig_ossl_nomem(r);
        return NULL;
      }
      len = (size_t)ASN1_STRING_length(u);
      s = oci_strndup((const char *)ASN1_STRING_get0_data(u), len);
      ASN1_UTF8STRING_free(u);
    } else {
      len = (size_t)n;
      s = oci_strndup((const char *)p, len);
    }
    if (!s)
      sig_nomem(r);
    if (s && strlen(s) != len) { /* a NUL inside: not a value to compare */
      free(s);
      s = NULL;
    }
    return s;
  }
  return NULL;
}

static bool identity_check(sig_run *s)
{
  const ocidig_sig_options *o = s->opts;
  bool bad = false, found = false;
  /* a policy is required (the CLI asks for it; a library caller may not have given one) */
  if (!o->identity && !o->identity_regexp)
    return sig_fail(s->res, OCIDIG_SIG_IDENTITY_MISMATCH, "no certificate identity was given to match");
  if (!s->pki_roots && !o->issuer && !o->issuer_regexp)
    return sig_fail(s->res, OCIDIG_SIG_IDENTITY_MISMATCH, "no OIDC issuer was given to match");
  ERR_clear_error();
  GENERAL_NAMES *names = X509_get_ext_d2i(s->leaf, NID_subject_alt_name, NULL, NULL);
  char first[OCIDIG_SIG_TEXT_MAX] = "";
  if (!names && sig_ossl_nomem(s->res))
    return false;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
    GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
    if (g->type != GEN_URI && g->type != GEN_EMAIL && g->type != GEN_DNS)
      continue;
    const ASN1_IA5STRING *v = g->d.ia5;
    size_t len = (size_t)ASN1_STRING_length(v);
    char *text = oci_strndup((const char *)ASN1_STRING_get0_data(v), len);
    if (!text) {
      sig_nomem(s->res);
      break;
    }
    if (strlen(text) == len) { /* no NUL inside */
      if (!first[0])
        snprintf(first, sizeof first, "%s", text);
      if (match(text, o->identity, o->identity_regexp, &bad, s->res)) {
        snprintf(first, sizeof first, "%s", text);
        found = true;
      }
    }
    free(text);
    if (found || sig_is_nomem(s->res))
      break;
  }
  GENERAL_NAMES_free(names);
  if (sig_is_nomem(s->res))
    return false;
  if (bad)
    return sig_fail(s->res, OCIDIG_SIG_MALFORMED, "the identity regular expression does not compile");
  if (!found)
    return sig_fail(s->res, OCIDIG_SIG_IDENTITY_MISMATCH, "the certificate's identity is %s, not %s%s",
                    first[0] ? first : "(none)", o->identity ? "" : "a match of ", o->identity ? o->identity : o->identity_regexp);
  char *iss = oidc_issuer(s->leaf, s->res);
  if (sig_is_nomem(s->res))
    return false;
  if (s->pki_roots && !o->issuer && !o->issuer_regexp) { /* a private PKI: not asked */
    snprintf(s->res->signer, sizeof s->res->signer, "%s", first);
    snprintf(s->res->issuer, sizeof s->res->issuer, "%s", iss ? iss : "");
    free(iss);
    return true;
  }
  /* none: the empty text, as cosign matches it (a regexp such as ".*" accepts it) */
  bool iok = match(iss ? iss : "", o->issuer, o->issuer_regexp, &bad, s->res);
  if (sig_is_nomem(s->res)) {
    free(iss);
    return false;
  }
  if (bad || !iok) {
    bool r = bad ? sig_fail(s->res, OCIDIG_SIG_MALFORMED, "the issuer regular expression does not compile")
                 : sig_fail(s->res, OCIDIG_SIG_IDENTITY_MISMATCH, "the certificate's OIDC issuer is %s, not %s%s",
                            iss ? iss : "(none)", o->issuer ? "" : "a match of ", o->issuer ? o->issuer : o->issuer_regexp);
    free(iss);
    return r;
  }
  snprintf(s->res->signer, sizeof s->res->signer, "%s", first);
  snprintf(s->res->issuer, sizeof s->res->issuer, "%s", iss ? iss : "");
  free(iss);
  return true;
}

/* A private PKI's chain at every verified signing time; without one, at s->now (as cosign
 * verifies a certificate with neither a log entry nor a timestamp). */
static bool pki_check(sig_run *s, int64_t nb, int64_t na)
{
  char when[40];
  size_t n = s->n_times ? s->n_times : 1;
  for (size_t k = 0; k < n; k++) {
    int64_t t = s->n_times ? s->times[k] : s->now;
    const char *now = s->n_times ? "" : " (the current time: no verified signing time)";
    sig_fmt_time(t, when, sizeof when);
    if (t < nb || t > na)
      return sig_fail(s->res, OCIDIG_SIG_EXPIRED, "%s %s%s, outside the signing certificate's validity",
                      s->n_times ? "signed at" : "at", when, now);
    char bad[256] = "";
    int why = pki_chain_at(s, t, bad, sizeof bad);
    if (why < 0)
      return false; /* out of memory (marked) */
    if (why == X509_V_ERR_INVALID_PURPOSE && bad[0])
      return sig_fail(s->res, OCIDIG_SIG_UNTRUSTED_KEY,
                      "certificate %s of the signing certificate's chain is not for code signing (its EKU names "
                      "neither code signing nor any)", bad);
    if (why != X509_V_OK)
      return sig_fail(s->res, OCIDIG_SIG_UNTRUSTED_KEY,
                      "the signing certificate does not chain to the CA roots given at %s%s: %s", when, now,
                      X509_verify_cert_error_string(why));
  }
  return true;
}

bool sig_cert_check(sig_run *s)
{
  int64_t nb, na;
  char when[40];
  if (!sig_asn1_time(X509_get0_notBefore(s->leaf), &nb) || !sig_asn1_time(X509_get0_notAfter(s->leaf), &na))
    return sig_fail(s->res, OCIDIG_SIG_MALFORMED, "the signing certificate's validity is unreadable");
  bool has_xku = X509_get_extension_flags(s->leaf) & EXFLAG_XKUSAGE;
  uint32_t xku = has_xku ? X509_get_extended_key_usage(s->leaf) : 0;
  if (s->pki_roots ? has_xku && !(xku & (XKU_CODE_SIGN | XKU_ANYEKU)) : !(xku & XKU_CODE_SIGN))
    return sig_fail(s->res, OCIDIG_SIG_UNTRUSTED_KEY, "the signing certificate is not for code signing (EKU)");
  if (s->pki_roots)
    return pki_check(s, nb, na) && identity_check(s);
  X509 *issuer = NULL;
  for (size_t k = 0; k < s->n_times; k++) {
    int64_t t = s->times[k];
    sig_fmt_time(t, when, sizeof when);
    if (t < nb || t > na) {
      X509_free(issuer);
      return sig_fail(s->res, OCIDIG_SIG_EXPIRED, "signed at %s, outside the signing certificate's validity", when);
    }
    bool any_ca = false, ok = false;
    int why = X509_V_OK;
    for (size_t i = 0; !ok && i < s->trust.n_cas; i++) {
      if (!sig_range_has(&s->trust.cas[i].valid, t))
        continue;
      any_ca = true;
      X509 *iss = NULL;
      why = chain_at(s->leaf, &s->trust.cas[i], t, &iss, s->res);
      if (why < 0) { /* out of memory (marked) */
        X509_free(issuer);
        return false;
      }
      ok = why == X509_V_OK;
      if (ok && !issuer)
        issuer = iss;
      else
        X509_free(iss);
    }
    if (!any_ca) {
      X509_free(issuer);
      return sig_fail(s->res, OCIDIG_SIG_UNTRUSTED_KEY, "no certificate authority of the trusted root is valid at %s",
                      when);
    }
    if (!ok) {
      X509_free(issuer);
      return sig_fail(s->res, OCIDIG_SIG_UNTRUSTED_KEY,
                      "the signing certificate does not chain to a certificate authority of the trusted root at %s: %s",
                      when, X509_verify_cert_error_string(why));
    }
  }
  bool ok = issuer && sct_check(s, issuer);
  X509_free(issuer);
  return ok && identity_check(s);
}
