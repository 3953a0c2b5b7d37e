/* cosign.c: cosign's signatures verified offline (attached.h's verifiers for the schemes
 * cosign and sigstore-bundle).
 *
 * A cosign signature manifest holds one signature a layer: the layer's bytes (media type
 * application/vnd.dev.cosign.simplesigning.v1+json) are the signed message, annotation
 * dev.cosignproject.cosign/signature its standard base64 signature; with a key (--key) the
 * key verifies it (ECDSA and RSA over SHA-256, RSA PKCS#1 v1.5 or PSS; Ed25519 over the
 * bytes themselves); without one, the certificate of dev.sigstore.cosign/certificate (and
 * the chain of .../chain) must chain to a certificate authority of the trusted root at the
 * signing time, with the identity asked for, or, for a private PKI (--ca-roots), to one of
 * the roots given (cert.c; no SCT, no log entry asked for; without a verified signing time,
 * at the current time, as containers/image).  The Rekor entry of dev.sigstore.cosign/bundle
 * (its signed entry timestamp) and the RFC 3161 timestamp of
 * dev.sigstore.cosign/rfc3161timestamp are checked against the trusted root when one is
 * given.  The claim checked is critical.image.docker-manifest-digest: the digest of the
 * manifest the signature is attached to.
 *
 * The annotations are turned into the signature layer's own bundle (sig_int.h's sig_bundle,
 * v0.1: a message signature over the payload's SHA-256) and checked by the steps
 * ocidig_sig_verify_bundle runs; nothing of the crypto is new here.  A containers/image dir:
 * sigstore signature (sig/cosign_dir.c) is the same data (mimeType, payload, annotations)
 * and goes the same way (oci_cosign_check). */
#include "attached.h"
#include "image.h"
#include "sig_int.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <ctype.h>
#include <stdarg.h>
#include <time.h>

#define COSIGN_SIMPLESIGNING "application/vnd.dev.cosign.simplesigning.v1+json"
#define ANN_SIGNATURE "dev.cosignproject.cosign/signature"
#define ANN_CERT "dev.sigstore.cosign/certificate"
#define ANN_CHAIN "dev.sigstore.cosign/chain"
#define ANN_BUNDLE "dev.sigstore.cosign/bundle"
#define ANN_RFC3161 "dev.sigstore.cosign/rfc3161timestamp"
/* a simple-signing payload or a Sigstore bundle: a few KiB; bound what is read */
#define COSIGN_MAX_PAYLOAD (4u << 20)

static void set(ocidig_sig_check *c, ocidig_sig_verdict v, const char *fmt, ...) OCI_PRINTF(3, 4);
static void set(ocidig_sig_check *c, ocidig_sig_verdict v, const char *fmt, ...)
{
  va_list ap;
  c->verdict = v;
  va_start(ap, fmt);
  vsnprintf(c->reason, sizeof c->reason, fmt, ap);
  va_end(ap);
}

/* The certificates of PEM text, DER, appended to b->certs; false when there is none, or out
 * of memory (r marked). */
static bool pem_certs(const char *pem, sig_bundle *b, ocidig_sig_result *r)
{
  BIO *bio = BIO_new_mem_buf(pem, (int)strlen(pem));
  X509 *x;
  bool ok = bio != NULL;
  ERR_clear_error();
  while (ok && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    sig_buf *v = n > 0 ? realloc(b->certs, (b->n_certs + 1) * sizeof *v) : NULL;
    X509_free(x);
    if (!v) {
      OPENSSL_free(der);
      ok = false;
      break;
    }
    b->certs = v;
    v[b->n_certs].p = malloc((size_t)n);
    if (!v[b->n_certs].p) {
      OPENSSL_free(der);
      ok = false;
      break;
    }
    memcpy(v[b->n_certs].p, der, (size_t)n);
    v[b->n_certs++].n = (size_t)n;
    OPENSSL_free(der);
  }
  if (!ok) /* a certificate read and not kept: only memory can be missing */
    sig_nomem(r);
  sig_ossl_nomem(r); /* else the end of the PEM text, or out of memory reading it */
  BIO_free(bio);
  return ok && !sig_is_nomem(r) && b->n_certs > 0;
}

static bool hex_bytes(const char *hex, sig_buf *out, ocidig_sig_result *r)
{
  size_t n = hex ? strlen(hex) : 0;
  if (!n || n % 2 || n > 128)
    return false;
  if (!(out->p = malloc(n / 2)))
    return sig_nomem(r);
  for (size_t i = 0; i < n / 2; i++) {
    unsigned v;
    if (sscanf(hex + 2 * i, "%2x", &v) != 1 || !isxdigit((unsigned char)hex[2 * i]) ||
        !isxdigit((unsigned char)hex[2 * i + 1]))
      return false;
    out->p[i] = (uint8_t)v;
  }
  out->n = n / 2;
  return true;
}

static const char *jstr(json_object *o, const char *key)
{
  json_object *v = o && json_object_is_type(o, json_type_object) ? oci_json_get(o, key) : NULL;
  return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static bool jint(json_object *o, const char *key, int64_t *out)
{
  json_object *v = o && json_object_is_type(o, json_type_object) ? oci_json_get(o, key) : NULL;
  if (!v || !json_object_is_type(v, json_type_int))
    return false;
  *out = json_object_get_int64(v);
  return true;
}

/* dev.sigstore.cosign/bundle: {"SignedEntryTimestamp": b64, "Payload": {"body": b64,
 * "integratedTime": n, "logIndex": n, "logID": hex}} as the bundle's one log entry. */
static bool rekor_entry(const char *text, sig_bundle *b, char *why, size_t whylen, ocidig_sig_result *r)
{
  oci_json_doc doc;
  ocidig_error e;
  sig_tlog_entry *t;
  ocidig_code rc = oci_json_parse((const uint8_t *)text, strlen(text), ANN_BUNDLE, &doc, &e);
  if (rc != OCIDIG_OK) {
    snprintf(why, whylen, "%s", e.message);
    sig_json_nomem(rc, r);
    return false;
  }
  json_object *p = json_object_is_type(doc.root, json_type_object) ? oci_json_get(doc.root, "Payload") : NULL;
  bool ok = (t = calloc(1, sizeof *t)) != NULL || sig_nomem(r);
  if (ok) {
    b->tlog = t;
    b->n_tlog = 1;
  }
  ok = ok && sig_b64_decode(jstr(doc.root, "SignedEntryTimestamp"), &t->set, r) &&
       sig_b64_decode(jstr(p, "body"), &t->body, r) && jint(p, "integratedTime", &t->integrated_time) &&
       jint(p, "logIndex", &t->log_index) && hex_bytes(jstr(p, "logID"), &t->log_id, r);
  if (ok) {
    /* the entry's kind and version: its body's */
    oci_json_doc body;
    rc = oci_json_parse(t->body.p, t->body.n, "the Rekor entry's body", &body, &e);
    ok = rc == OCIDIG_OK;
    sig_json_nomem(rc, r);
    if (ok) {
      const char *kind = jstr(body.root, "kind"), *ver = jstr(body.root, "apiVersion");
      ok = kind && ver && (t->kind = oci_strdup(kind)) && (t->version = oci_strdup(ver));
      if (kind && ver && !ok)
        sig_nomem(r);
      oci_json_doc_free(&body);
    }
  }
  oci_json_doc_free(&doc);
  if (!ok)
    snprintf(why, whylen, "%s is not a Rekor bundle (SignedEntryTimestamp, Payload body, integratedTime, logIndex, logID)",
             ANN_BUNDLE);
  return ok;
}

/* dev.sigstore.cosign/rfc3161timestamp: {"SignedRFC3161Timestamp": b64 DER}. */
static bool tsa_entry(const char *text, sig_bundle *b, ocidig_sig_result *r)
{
  oci_json_doc doc;
  ocidig_error e;
  ocidig_code rc = oci_json_parse((const uint8_t *)text, strlen(text), ANN_RFC3161, &doc, &e);
  if (rc != OCIDIG_OK) {
    sig_json_nomem(rc, r);
    return false;
  }
  bool ok = ((b->tsa = calloc(1, sizeof *b->tsa)) != NULL || sig_nomem(r)) &&
            sig_b64_decode(jstr(doc.root, "SignedRFC3161Timestamp"), b->tsa, r);
  if (b->tsa && ok)
    b->n_tsa = 1;
  oci_json_doc_free(&doc);
  return ok;
}

/* The payload's critical.image.docker-manifest-digest is the subject's digest. */
static bool claim_check(const uint8_t *payload, size_t n, const char *subject, ocidig_sig_result *r)
{
  oci_json_doc doc;
  ocidig_error e;
  ocidig_code rc = oci_json_parse(payload, n, "the simple-signing payload", &doc, &e);
  if (rc != OCIDIG_OK)
    return sig_json_nomem(rc, r) ? false : sig_fail(r, OCIDIG_SIG_MALFORMED, "%s", e.message);
  json_object *crit = json_object_is_type(doc.root, json_type_object) ? oci_json_get(doc.root, "critical") : NULL;
  json_object *img = crit && json_object_is_type(crit, json_type_object) ? oci_json_get(crit, "image") : NULL;
  const char *dg = jstr(img, "docker-manifest-digest");
  bool ok = dg && !strcmp(dg, subject);
  if (!dg)
    sig_fail(r, OCIDIG_SIG_MALFORMED, "the payload has no critical.image.docker-manifest-digest");
  else if (!ok)
    sig_fail(r, OCIDIG_SIG_SUBJECT_MISMATCH, "the payload signs manifest %.100s, not %.100s", dg, subject);
  oci_json_doc_free(&doc);
  return ok;
}

static void sig_options_of(const ocidig_trust_options *t, ocidig_sig_options *o)
{
  memset(o, 0, sizeof *o);
  o->trusted_root = t->trusted_root;
  o->trusted_root_len = t->trusted_root_len;
  o->key_pem = t->key_pem;
  o->key_pem_len = t->key_pem_len;
  o->identity = t->identity;
  o->identity_regexp = t->identity_regexp;
  o->issuer = t->issuer;
  o->issuer_regexp = t->issuer_regexp;
  o->now = t->now;
}

static const char *ann_of(const oci_cosign_sig *sig, const char *key)
{
  for (size_t i = 0; i < sig->n_annotations; i++)
    if (sig->annotations[i].key && !strcmp(sig->annotations[i].key, key))
      return sig->annotations[i].value;
  return NULL;
}

/* The CA roots and intermediates given, parsed once for a run; bad: what is not PEM
 * certificates ("roots", "intermediates"), NULL when both are. */
struct oci_pki {
  STACK_OF(X509) *roots, *intermediates;
  const char *bad;
};

void oci_pki_free(struct oci_pki *pki)
{
  if (!pki)
    return;
  sk_X509_pop_free(pki->roots, X509_free);
  sk_X509_pop_free(pki->intermediates, X509_free);
  free(pki);
}

/* c->pki, parsed on first use (once a run, not once a signature: thousands of roots are
 * read once); false only out of memory. */
static bool pki_of(oci_attached_ctx *c)
{
  const ocidig_trust_options *t = c->trust;
  ocidig_sig_result r;
  if (c->pki || !t->ca_roots)
    return true;
  if (!(c->pki = calloc(1, sizeof *c->pki)))
    return false;
  memset(&r, 0, sizeof r);
  /* twice when it does not read (as a failing verdict is confirmed: OpenSSL 3 does not
   * always say that it ran out of memory, and what is kept here serves the whole run) */
  for (int k = 0; k < 2 && !sig_is_nomem(&r) && (k == 0 || c->pki->bad); k++) {
    const char *was = c->pki->bad;
    sk_X509_pop_free(c->pki->roots, X509_free);
    sk_X509_pop_free(c->pki->intermediates, X509_free);
    c->pki->roots = c->pki->intermediates = NULL;
    c->pki->bad = NULL;
    if (!sig_pem_certs(t->ca_roots, t->ca_roots_len, &c->pki->roots, &r))
      c->pki->bad = "roots";
    else if (t->ca_intermediates &&
             !sig_pem_certs(t->ca_intermediates, t->ca_intermediates_len, &c->pki->intermediates, &r))
      c->pki->bad = "intermediates";
    if (k == 1 && was != c->pki->bad)
      sig_nomem(&r);
  }
  ERR_clear_error();
  if (sig_is_nomem(&r)) {
    oci_pki_free(c->pki);
    c->pki = NULL;
    return false;
  }
  return true;
}

/* One signature over its payload (sig->payload, sig->len bytes): the verdict in *res. */
static void layer_verify(const ocidig_trust_options *trust, const struct oci_pki *pki, const oci_cosign_sig *sig,
                         const char *subject, int64_t now, ocidig_sig_result *res)
{
  ocidig_sig_options so;
  ocidig_sig_artifact art;
  sig_run s;
  char why[OCIDIG_ERROR_MESSAGE_MAX] = "";
  const uint8_t *payload = sig->payload;
  size_t n = sig->len;
  const char *cert = ann_of(sig, ANN_CERT), *chain = ann_of(sig, ANN_CHAIN);
  const char *rekor = ann_of(sig, ANN_BUNDLE), *ts = ann_of(sig, ANN_RFC3161);
  bool ok;
  sig_options_of(trust, &so);
  memset(&s, 0, sizeof s);
  memset(res, 0, sizeof *res);
  res->verdict = OCIDIG_SIG_VERIFIED;
  s.opts = &so;
  s.art = &art;
  s.res = res;
  s.now = now;
  if (pki) { /* borrowed: the run's */
    s.pki_roots = pki->roots;
    s.pki_intermediates = pki->intermediates;
  }
  ERR_clear_error(); /* what OpenSSL's queue holds from here on is this verification's */
  s.b.version = 1;
  s.b.has_digest = true;
  ok = sig_sha256(payload, n, art.sha256, res) && ((s.b.digest.p = malloc(32)) != NULL || sig_nomem(res));
  if (!ok)
    goto done;
  memcpy(s.b.digest.p, art.sha256, 32);
  s.b.digest.n = 32;
  if (!sig_b64_decode(ann_of(sig, ANN_SIGNATURE), &s.b.signature, res)) {
    sig_fail(res, OCIDIG_SIG_MALFORMED, "annotation %s is not base64", ANN_SIGNATURE);
    goto done;
  }
  if (trust->key_pem) {
    s.b.has_key = true; /* the key given verifies it, whatever certificate it carries (cosign --key) */
  } else if (!cert) {
    sig_fail(res, OCIDIG_SIG_UNTRUSTED_KEY, "signed by a key (no certificate): give the key (--key)");
    goto done;
  } else if (!trust->trusted_root && !trust->ca_roots) {
    res->verdict = OCIDIG_SIG_NOT_VERIFIED;
    snprintf(res->reason, sizeof res->reason,
             "signed by a certificate: give a trusted root (--trusted-root) or CA roots (--ca-roots)");
    goto done;
  } else if (pki && pki->bad) {
    sig_fail(res, OCIDIG_SIG_MALFORMED, "the CA %s given are not PEM certificates", pki->bad);
    goto done;
  } else if (!pem_certs(cert, &s.b, res) || (chain && !pem_certs(chain, &s.b, res))) {
    sig_fail(res, OCIDIG_SIG_MALFORMED, "annotation %s or %s is not PEM certificates", ANN_CERT, ANN_CHAIN);
    goto done;
  } else if (s.b.n_certs > 1) {
    /* the chain's root comes from the trusted root, never from the signature */
    X509 *last = NULL;
    const unsigned char *p = s.b.certs[s.b.n_certs - 1].p;
    if ((last = d2i_X509(NULL, &p, (long)s.b.certs[s.b.n_certs - 1].n)) && X509_check_issued(last, last) == X509_V_OK)
      sig_buf_free(&s.b.certs[--s.b.n_certs]);
    X509_free(last);
    if (!last && sig_ossl_nomem(res)) /* a certificate read once already: only memory can be missing */
      goto done;
  }
  if (rekor && !rekor_entry(rekor, &s.b, why, sizeof why, res)) {
    sig_fail(res, OCIDIG_SIG_TLOG_INVALID, "%s", why);
    goto done;
  }
  if (ts && !tsa_entry(ts, &s.b, res)) {
    sig_fail(res, OCIDIG_SIG_TIMESTAMP_INVALID, "annotation %s is not an RFC 3161 timestamp", ANN_RFC3161);
    goto done;
  }
  if (so.trusted_root && !sig_trust_parse(so.trusted_root, so.trusted_root_len, &s.trust, res))
    goto done;
  if (!sig_cert_load(&s))
    goto done;
  if (EVP_PKEY_get_base_id(s.key) == EVP_PKEY_ED25519) {
    /* Ed25519 signs the payload's bytes themselves */
    if (!sig_verify(s.key, false, false, payload, n, s.b.signature.p, s.b.signature.n, res)) {
      sig_fail(res, OCIDIG_SIG_BAD_SIGNATURE, "the signature does not verify over the payload");
      goto done;
    }
  } else if (!sig_content_check(&s)) {
    if (res->verdict == OCIDIG_SIG_BAD_SIGNATURE)
      snprintf(res->reason, sizeof res->reason, "the signature does not verify over the payload with %s",
               trust->key_pem ? "the key given" : "the certificate's key");
    goto done;
  }
  if (!claim_check(payload, n, subject, res))
    goto done;
  /* the log entry and timestamp: against the trusted root; without one (a key alone) not
   * checked, as cosign --insecure-ignore-tlog */
  if (s.b.n_tlog && so.trusted_root && !sig_tlog_check(&s))
    goto done;
  if (s.b.n_tsa && so.trusted_root && !sig_tsa_check(&s))
    goto done;
  if (s.leaf) {
    if (s.n_times == 0 && !s.pki_roots) {
      sig_fail(res, OCIDIG_SIG_TIMESTAMP_INVALID,
               "no verified signing time: no Rekor entry (%s) and no RFC 3161 timestamp", ANN_BUNDLE);
      goto done;
    }
    if (!sig_cert_check(&s))
      goto done;
  } else {
    uint8_t fp[32];
    char hex[65];
    if (sig_sha256(s.key_spki.p, s.key_spki.n, fp, res)) {
      sig_hex(fp, 32, hex);
      snprintf(res->signer, sizeof res->signer, "key SHA256:%s", hex);
    }
  }
  for (size_t i = 0; i < s.n_times; i++)
    if (!res->signed_at || s.times[i] < res->signed_at)
      res->signed_at = s.times[i];
done:
  if (res->verdict != OCIDIG_SIG_VERIFIED)
    res->signed_at = 0;
  EVP_PKEY_free(s.key);
  X509_free(s.leaf);
  sig_buf_free(&s.key_spki);
  sig_bundle_free(&s.b);
  sig_trust_free(&s.trust);
  ERR_clear_error();
}

static void result_into(ocidig_sig_check *c, const ocidig_sig_result *r)
{
  c->verdict = r->verdict;
  snprintf(c->reason, sizeof c->reason, "%s", r->reason);
  snprintf(c->signer, sizeof c->signer, "%s", r->signer);
  snprintf(c->issuer, sizeof c->issuer, "%s", r->issuer);
  c->signed_at = r->signed_at;
}

/* The signature manifest behind d, read through the graph; NULL with the verdict set. */
static const oci_gnode *sig_manifest(oci_attached_ctx *c, const oci_gdesc *d, ocidig_sig_check *chk, ocidig_code *rc,
                                     ocidig_error *err)
{
  const oci_gnode *n = NULL;
  *rc = OCIDIG_OK;
  if (ocidig_media_type_kind(d->media_type) != OCIDIG_KIND_MANIFEST) {
    set(chk, OCIDIG_SIG_UNSUPPORTED, "%.100s is %.100s, not a manifest", oci_str(d->digest), oci_str(d->media_type));
    return NULL;
  }
  if ((*rc = oci_graph_open(c->g, d, &n, err)) != OCIDIG_OK)
    return NULL;
  if (n->code != OCIDIG_OK) {
    set(chk, OCIDIG_SIG_MALFORMED, "%s", n->message);
    return NULL;
  }
  return n;
}

/* A layer's bytes (checked: present, size, digest); false with the verdict set. */
static bool layer_bytes(oci_attached_ctx *c, const oci_gdesc *ly, uint8_t **p, size_t *n, ocidig_sig_check *chk,
                        ocidig_code *rc, ocidig_error *err)
{
  ocidig_digest dg;
  ocidig_error e;
  *rc = OCIDIG_OK;
  if (!oci_gdesc_digest(ly, &dg)) {
    set(chk, OCIDIG_SIG_MALFORMED, "layer %.100s: not a digest this reader verifies", oci_str(ly->digest));
    return false;
  }
  ocidig_code r = oci_view_blob_read(c->v, &dg, ly->size, COSIGN_MAX_PAYLOAD, p, n, &e);
  if (r == OCIDIG_ERR_NOMEM) {
    *rc = oci_nomem(err);
    return false;
  }
  if (r != OCIDIG_OK) {
    set(chk, OCIDIG_SIG_MALFORMED, "%s", e.message);
    return false;
  }
  return true;
}

/* Is it a cosign signature: a simple-signing payload with its signature annotation?  Else
 * the verdict (unsupported, malformed) in chk. */
static bool shape_check(const oci_cosign_sig *sig, ocidig_sig_check *chk)
{
  if (!sig->media_type || strcmp(sig->media_type, COSIGN_SIMPLESIGNING)) {
    set(chk, OCIDIG_SIG_UNSUPPORTED, "%.100s is %.100s, not a simple-signing payload (%s)", sig->what,
        oci_str(sig->media_type), COSIGN_SIMPLESIGNING);
    return false;
  }
  if (!ann_of(sig, ANN_SIGNATURE)) {
    set(chk, OCIDIG_SIG_MALFORMED, "%.100s has no %s annotation", sig->what, ANN_SIGNATURE);
    return false;
  }
  return true;
}

bool oci_cosign_trust_given(const ocidig_trust_options *t, ocidig_sig_check *chk)
{
  if (t->key_pem || t->trusted_root || t->ca_roots)
    return true;
  set(chk, OCIDIG_SIG_NOT_VERIFIED, "no key (--key), trusted root (--trusted-root) or CA roots (--ca-roots) given");
  return false;
}

ocidig_code oci_cosign_check(oci_attached_ctx *c, const oci_cosign_sig *sig, const char *subject,
                             ocidig_sig_check *chk, ocidig_error *err)
{
  const ocidig_trust_options *trust = c->trust;
  ocidig_sig_result res;
  int64_t now = trust->now ? trust->now : (int64_t)time(NULL);
  if (!shape_check(sig, chk))
    return OCIDIG_OK;
  if (!trust->key_pem && !pki_of(c))
    return oci_nomem(err);
  layer_verify(trust, trust->key_pem ? NULL : c->pki, sig, subject, now, &res);
  if (res.verdict != OCIDIG_SIG_VERIFIED && !sig_is_nomem(&res)) {
    /* a failure confirmed by a second verification (as ocidig_sig_verify_bundle does):
     * OpenSSL 3 does not always say that it ran out of memory */
    ocidig_sig_result again;
    layer_verify(trust, trust->key_pem ? NULL : c->pki, sig, subject, now, &again);
    if (!sig_result_same(&res, &again))
      sig_nomem(&res);
  }
  if (sig_is_nomem(&res)) /* never a verdict */
    return oci_nomem(err);
  result_into(chk, &res);
  if (res.verdict != OCIDIG_SIG_VERIFIED && res.verdict != OCIDIG_SIG_NOT_VERIFIED) {
    char r2[sizeof chk->reason];
    snprintf(r2, sizeof r2, "%.900s", res.reason);
    snprintf(chk->reason, sizeof chk->reason, "%s", r2);
  }
  return OCIDIG_OK;
}

ocidig_code oci_cosign_verify(oci_attached_ctx *c, const ocidig_attached *a, const oci_gdesc *d, oci_sig_checks *out,
                              ocidig_error *err)
{
  ocidig_sig_check *chk;
  ocidig_code rc;
  const oci_gnode *n;
  if (!(chk = oci_sig_checks_add(out, a)))
    return oci_nomem(err);
  if (!oci_cosign_trust_given(c->trust, chk))
    return OCIDIG_OK;
  if (!(n = sig_manifest(c, d, chk, &rc, err)))
    return rc;
  if (!n->n_layers) {
    set(chk, OCIDIG_SIG_MALFORMED, "signature manifest %.100s has no layer", oci_str(d->digest));
    return OCIDIG_OK;
  }
  for (size_t i = 0; i < n->n_layers; i++) {
    const oci_gdesc *ly = &n->layers[i];
    uint8_t *p = NULL;
    size_t len = 0;
    char what[OCIDIG_SIG_DIGEST_MAX + 8];
    if (i > 0 && !(chk = oci_sig_checks_add(out, a)))
      return oci_nomem(err);
    snprintf(chk->layer, sizeof chk->layer, "%s", oci_str(ly->digest));
    snprintf(what, sizeof what, "layer %s", chk->layer);
    oci_cosign_sig sig = {what, ly->media_type, ly->annotations, ly->n_annotations, NULL, 0};
    if (!shape_check(&sig, chk)) /* not read */
      continue;
    if (!layer_bytes(c, ly, &p, &len, chk, &rc, err)) {
      if (rc != OCIDIG_OK)
        return rc;
      continue;
    }
    sig.payload = p;
    sig.len = len;
    rc = oci_cosign_check(c, &sig, a->subject, chk, err);
    free(p);
    if (rc != OCIDIG_OK)
      return rc;
  }
  return OCIDIG_OK;
}

/* A Sigstore bundle referrer: its layer is the bundle, the artifact the subject's digest. */
ocidig_code oci_sigstore_ref_verify(oci_attached_ctx *c, const ocidig_attached *a, const oci_gdesc *d,
                                    oci_sig_checks *out, ocidig_error *err)
{
  ocidig_sig_check *chk;
  ocidig_code rc;
  const oci_gnode *n;
  const ocidig_trust_options *t = c->trust;
  if (!(chk = oci_sig_checks_add(out, a)))
    return oci_nomem(err);
  if (!t->trusted_root) {
    set(chk, OCIDIG_SIG_NOT_VERIFIED, "no trusted root (--trusted-root) given");
    return OCIDIG_OK;
  }
  if (!t->key_pem && ((!t->identity && !t->identity_regexp) || (!t->issuer && !t->issuer_regexp))) {
    set(chk, OCIDIG_SIG_NOT_VERIFIED,
        "no certificate identity and OIDC issuer given (--certificate-identity, --certificate-oidc-issuer)");
    return OCIDIG_OK;
  }
  if (!(n = sig_manifest(c, d, chk, &rc, err)))
    return rc;
  if (n->n_layers != 1 || !n->layers[0].media_type ||
      strncmp(n->layers[0].media_type, AT_SIGSTORE_BUNDLE, strlen(AT_SIGSTORE_BUNDLE))) {
    set(chk, OCIDIG_SIG_MALFORMED, "bundle referrer %.100s: not one layer holding a Sigstore bundle", oci_str(d->digest));
    return OCIDIG_OK;
  }
  ocidig_sig_artifact art;
  ocidig_sig_options so;
  ocidig_sig_result res;
  ocidig_error e;
  uint8_t *p = NULL;
  size_t len = 0;
  if (ocidig_sig_artifact_from_digest(a->subject, &art, &e) != OCIDIG_OK) {
    set(chk, OCIDIG_SIG_UNSUPPORTED, "%s", e.message);
    return OCIDIG_OK;
  }
  snprintf(chk->layer, sizeof chk->layer, "%s", oci_str(n->layers[0].digest));
  if (!layer_bytes(c, &n->layers[0], &p, &len, chk, &rc, err))
    return rc;
  sig_options_of(t, &so);
  rc = ocidig_sig_verify_bundle(p, len, &art, &so, &res, &e);
  free(p);
  if (rc == OCIDIG_ERR_NOMEM)
    return oci_nomem(err);
  if (rc != OCIDIG_OK) {
    set(chk, OCIDIG_SIG_MALFORMED, "%s", e.message);
    return OCIDIG_OK;
  }
  result_into(chk, &res);
  return OCIDIG_OK;
}
