/* bundle.c: a Sigstore bundle (protobuf-specs' Bundle in its JSON form), v0.1 to v0.3:
 * verification material (x509CertificateChain, certificate or publicKey; tlogEntries;
 * timestampVerificationData) and content (messageSignature or dsseEnvelope).  Strict:
 * RFC 8259 JSON without duplicate keys (json.h), padded standard base64, int64 strings. */
#include "sig_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A string field; NULL when absent or not a string. */
static const char *str(json_object *o, const char *key)
{
  json_object *v = oci_json_get(o, key);
  return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static json_object *obj(json_object *o, const char *key)
{
  json_object *v = oci_json_get(o, key);
  return v && json_object_is_type(v, json_type_object) ? v : NULL;
}

/* An int64 field written as protobuf's JSON writes it: a decimal string (or a number). */
static bool int64_field(json_object *o, const char *key, int64_t *out, bool *present)
{
  json_object *v = oci_json_get(o, key);
  *present = v != NULL;
  *out = 0;
  if (!v)
    return true;
  if (json_object_is_type(v, json_type_int))
    return oci_json_int64(v, out);
  if (!json_object_is_type(v, json_type_string))
    return false;
  const char *s = json_object_get_string(v);
  char *end = NULL;
  if (!*s || (*s != '-' && (*s < '0' || *s > '9')))
    return false;
  errno = 0;
  long long n = strtoll(s, &end, 10);
  if (errno || *end)
    return false;
  *out = n;
  return true;
}

static bool b64_field(json_object *o, const char *key, sig_buf *out, bool required, const char *what,
                      ocidig_sig_result *r)
{
  const char *s = str(o, key);
  if (!s) {
    if (required || oci_json_has(o, key))
      return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: %s.%s is %s", what, key,
                      oci_json_has(o, key) ? "not a string" : "missing");
    return true;
  }
  if (!sig_b64_decode(s, out, r))
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: %s.%s is not base64", what, key);
  return true;
}

static bool parse_entry(json_object *e, size_t i, sig_tlog_entry *t, ocidig_sig_result *r)
{
  char what[64];
  bool has;
  snprintf(what, sizeof what, "tlogEntries[%zu]", i);
  if (!json_object_is_type(e, json_type_object))
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: %s is not an object", what);
  if (!int64_field(e, "logIndex", &t->log_index, &has) || !has)
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: %s.logIndex is missing or not an integer", what);
  if (t->log_index < 0)
    return sig_fail(r, OCIDIG_SIG_TLOG_INVALID, "%s: negative log index %lld", what, (long long)t->log_index);
  json_object *id = obj(e, "logId"), *kv = obj(e, "kindVersion");
  if (!id || !b64_field(id, "keyId", &t->log_id, true, what, r))
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: %s.logId.keyId is missing", what);
  if (!kv || !str(kv, "kind") || !str(kv, "version"))
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: %s.kindVersion is missing", what);
  t->kind = oci_strdup(str(kv, "kind"));
  t->version = oci_strdup(str(kv, "version"));
  if (!t->kind || !t->version)
    return sig_nomem(r);
  if (!int64_field(e, "integratedTime", &t->integrated_time, &has) || t->integrated_time < 0)
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: %s.integratedTime is not a time", what);
  json_object *promise = obj(e, "inclusionPromise");
  if (promise && !b64_field(promise, "signedEntryTimestamp", &t->set, true, what, r))
    return false;
  json_object *proof = obj(e, "inclusionProof");
  if (proof) {
    t->has_proof = true;
    bool h1, h2;
    if (!int64_field(proof, "logIndex", &t->proof_index, &h1) || !h1 ||
        !int64_field(proof, "treeSize", &t->tree_size, &h2) || !h2 || t->proof_index < 0 || t->tree_size < 0)
      return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: %s.inclusionProof: logIndex or treeSize missing or invalid",
                      what);
    if (!b64_field(proof, "rootHash", &t->root_hash, true, what, r))
      return false;
    json_object *hashes = oci_json_get(proof, "hashes");
    if (hashes && !oci_json_is_strings(hashes))
      return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: %s.inclusionProof.hashes is not a list of strings", what);
    size_t n = hashes ? json_object_array_length(hashes) : 0;
    if (n > 64)
      return sig_fail(r, OCIDIG_SIG_TLOG_INVALID, "%s: an inclusion proof of %zu hashes (at most 64)", what, n);
    if (n) {
      t->hashes = calloc(n, sizeof *t->hashes);
      if (!t->hashes)
        return sig_nomem(r);
      t->n_hashes = n;
      for (size_t k = 0; k < n; k++)
        if (!sig_b64_decode(json_object_get_string(json_object_array_get_idx(hashes, k)), &t->hashes[k], r))
          return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: %s.inclusionProof.hashes[%zu] is not base64", what, k);
    }
    json_object *cp = obj(proof, "checkpoint");
    if (cp && str(cp, "envelope")) {
      t->checkpoint = oci_strdup(str(cp, "envelope"));
      if (!t->checkpoint)
        return sig_nomem(r);
    }
  }
  return b64_field(e, "canonicalizedBody", &t->body, true, what, r);
}

static bool parse_certs(json_object *vm, sig_bundle *b, ocidig_sig_result *r)
{
  json_object *chain = obj(vm, "x509CertificateChain"), *one = obj(vm, "certificate");
  json_object *key = obj(vm, "publicKey");
  if ((chain != NULL) + (one != NULL) + (key != NULL) != 1)
    return sig_fail(r, OCIDIG_SIG_MALFORMED,
                    "bundle: verificationMaterial needs exactly one of x509CertificateChain, certificate, publicKey");
  if (key) {
    b->has_key = true;
    return true;
  }
  if (one) {
    if (b->version < 3)
      return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: a v0.%d bundle with verificationMaterial.certificate", b->version);
    b->certs = calloc(1, sizeof *b->certs);
    if (!b->certs)
      return sig_nomem(r);
    b->n_certs = 1;
    return b64_field(one, "rawBytes", &b->certs[0], true, "verificationMaterial.certificate", r);
  }
  if (b->version >= 3)
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: a v0.3 bundle must carry certificate, not x509CertificateChain");
  json_object *list = oci_json_get(chain, "certificates");
  size_t n = list && json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
  if (n == 0)
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: the certificate chain is empty");
  if (n > 10)
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: a certificate chain of %zu certificates (at most 10)", n);
  b->certs = calloc(n, sizeof *b->certs);
  if (!b->certs)
    return sig_nomem(r);
  b->n_certs = n;
  for (size_t i = 0; i < n; i++) {
    json_object *c = json_object_array_get_idx(list, i);
    if (!json_object_is_type(c, json_type_object) ||
        !b64_field(c, "rawBytes", &b->certs[i], true, "verificationMaterial.x509CertificateChain.certificates[]", r))
      return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: certificate %zu of the chain is not readable", i);
  }
  return true;
}

static bool parse_content(json_object *root, sig_bundle *b, ocidig_sig_result *r)
{
  json_object *ms = obj(root, "messageSignature"), *env = obj(root, "dsseEnvelope");
  if ((ms != NULL) == (env != NULL))
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: needs exactly one of messageSignature, dsseEnvelope");
  if (ms) {
    json_object *md = obj(ms, "messageDigest");
    if (md) {
      const char *alg = str(md, "algorithm");
      if (!alg || strcmp(alg, "SHA2_256"))
        return sig_fail(r, OCIDIG_SIG_UNSUPPORTED, "bundle: messageDigest algorithm %s (only SHA2_256)",
                        alg ? alg : "missing");
      b->has_digest = true;
      if (!b64_field(md, "digest", &b->digest, true, "messageSignature.messageDigest", r))
        return false;
    }
    return b64_field(ms, "signature", &b->signature, true, "messageSignature", r);
  }
  b->dsse = true;
  const char *pt = str(env, "payloadType");
  if (!pt)
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: dsseEnvelope.payloadType is missing");
  b->payload_type = oci_strdup(pt);
  if (!b->payload_type)
    return sig_nomem(r);
  if (!b64_field(env, "payload", &b->payload, true, "dsseEnvelope", r))
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: dsseEnvelope.payload is missing");
  json_object *sigs = oci_json_get(env, "signatures");
  if (!sigs || !json_object_is_type(sigs, json_type_array) || json_object_array_length(sigs) != 1)
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: dsseEnvelope must carry exactly one signature");
  json_object *s0 = json_object_array_get_idx(sigs, 0);
  if (!json_object_is_type(s0, json_type_object))
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: dsseEnvelope.signatures[0] is not an object");
  return b64_field(s0, "sig", &b->signature, true, "dsseEnvelope.signatures[0]", r);
}

bool sig_bundle_parse(const uint8_t *text, size_t n, sig_bundle *b, ocidig_sig_result *r)
{
  ocidig_error err;
  memset(b, 0, sizeof *b);
  ocidig_code rc = oci_json_parse(text, n, "bundle", &b->doc, &err);
  if (rc != OCIDIG_OK)
    return sig_json_nomem(rc, r) ? false : sig_fail(r, OCIDIG_SIG_MALFORMED, "%s", err.message);
  json_object *root = b->doc.root;
  if (b->doc.n_dup_keys)
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: key \"%s\" occurs twice in one object", b->doc.dup_keys[0]);
  if (!json_object_is_type(root, json_type_object))
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: not a JSON object");
  const char *mt = str(root, "mediaType");
  if (!mt)
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: mediaType is missing");
  if (!strcmp(mt, "application/vnd.dev.sigstore.bundle+json;version=0.1"))
    b->version = 1;
  else if (!strcmp(mt, "application/vnd.dev.sigstore.bundle+json;version=0.2") ||
           !strcmp(mt, "application/vnd.dev.sigstore.bundle.v0.2+json"))
    b->version = 2;
  else if (!strcmp(mt, "application/vnd.dev.sigstore.bundle+json;version=0.3") ||
           !strcmp(mt, "application/vnd.dev.sigstore.bundle.v0.3+json"))
    b->version = 3;
  else
    return sig_fail(r, OCIDIG_SIG_UNSUPPORTED, "bundle: media type %.200s is not a known bundle version", mt);
  r->bundle_version = b->version;
  json_object *vm = obj(root, "verificationMaterial");
  if (!vm)
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: verificationMaterial is missing");
  if (!parse_certs(vm, b, r))
    return false;
  json_object *tl = oci_json_get(vm, "tlogEntries");
  if (tl && !json_object_is_type(tl, json_type_array))
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: tlogEntries is not a list");
  size_t nt = tl ? json_object_array_length(tl) : 0;
  if (nt > 32)
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: %zu tlog entries (at most 32)", nt);
  if (nt) {
    b->tlog = calloc(nt, sizeof *b->tlog);
    if (!b->tlog)
      return sig_nomem(r);
    b->n_tlog = nt;
    for (size_t i = 0; i < nt; i++)
      if (!parse_entry(json_object_array_get_idx(tl, i), i, &b->tlog[i], r))
        return false;
  }
  json_object *tvd = obj(vm, "timestampVerificationData");
  json_object *ts = tvd ? oci_json_get(tvd, "rfc3161Timestamps") : NULL;
  if (ts && !json_object_is_type(ts, json_type_array))
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: rfc3161Timestamps is not a list");
  size_t nts = ts ? json_object_array_length(ts) : 0;
  if (nts > 16)
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: %zu timestamps (at most 16)", nts);
  if (nts) {
    b->tsa = calloc(nts, sizeof *b->tsa);
    if (!b->tsa)
      return sig_nomem(r);
    b->n_tsa = nts;
    for (size_t i = 0; i < nts; i++) {
      json_object *t = json_object_array_get_idx(ts, i);
      if (!json_object_is_type(t, json_type_object) ||
          !b64_field(t, "signedTimestamp", &b->tsa[i], true, "rfc3161Timestamps[]", r))
        return sig_fail(r, OCIDIG_SIG_MALFORMED, "bundle: timestamp %zu is not readable", i);
    }
  }
  if (!parse_content(root, b, r))
    return false;
  r->dsse = b->dsse;
  return true;
}

void sig_bundle_free(sig_bundle *b)
{
  for (size_t i = 0; i < b->n_certs; i++)
    sig_buf_free(&b->certs[i]);
  free(b->certs);
  for (size_t i = 0; i < b->n_tlog; i++) {
    sig_tlog_entry *t = &b->tlog[i];
    sig_buf_free(&t->log_id);
    free(t->kind);
    free(t->version);
    sig_buf_free(&t->set);
    sig_buf_free(&t->root_hash);
    for (size_t k = 0; k < t->n_hashes; k++)
      sig_buf_free(&t->hashes[k]);
    free(t->hashes);
    free(t->checkpoint);
    sig_buf_free(&t->body);
  }
  free(b->tlog);
  for (size_t i = 0; i < b->n_tsa; i++)
    sig_buf_free(&b->tsa[i]);
  free(b->tsa);
  sig_buf_free(&b->digest);
  sig_buf_free(&b->signature);
  free(b->payload_type);
  sig_buf_free(&b->payload);
  oci_json_doc_free(&b->doc);
  memset(b, 0, sizeof *b);
}

bool sig_pae(const sig_bundle *b, sig_buf *out)
{
  char head[64];
  size_t tn = strlen(b->payload_type);
  int hn = snprintf(head, sizeof head, "DSSEv1 %zu ", tn);
  char mid[32];
  int mn = snprintf(mid, sizeof mid, " %zu ", b->payload.n);
  size_t n = (size_t)hn + tn + (size_t)mn + b->payload.n;
  out->p = malloc(n ? n : 1);
  out->n = 0;
  if (!out->p)
    return false;
  memcpy(out->p, head, (size_t)hn);
  memcpy(out->p + hn, b->payload_type, tn);
  memcpy(out->p + hn + tn, mid, (size_t)mn);
  if (b->payload.n)
    memcpy(out->p + hn + tn + mn, b->payload.p, b->payload.n);
  out->n = n;
  return true;
}
