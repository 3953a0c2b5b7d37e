/* tlog.c: transparency log entries (Rekor v1 and v2).  Each entry's log must be in the
 * trusted root; its body (hashedrekord 0.0.1/0.0.2, dsse 0.0.1, intoto 0.0.2) must record
 * this bundle's signature, key or certificate and digest; its signed entry timestamp (SET:
 * the log's signature over the canonical JSON {body, integratedTime, logID, logIndex})
 * must verify; its inclusion proof (RFC 9162 §2.1.3.2, SHA-256) must lead to the root hash
 * of a checkpoint (the signed-note format: origin, size, root hash; then "— name
 * base64(keyhint || signature)" lines) that the log signed.  A v0.1 bundle needs the SET,
 * later versions the inclusion proof and its checkpoint.  A verified SET makes the entry's
 * integrated time a verified signing time. */
#include "sig_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *str(json_object *o, const char *key)
{
  json_object *v = o ? oci_json_get(o, key) : NULL;
  return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static json_object *obj(json_object *o, const char *key)
{
  json_object *v = o ? oci_json_get(o, key) : NULL;
  return v && json_object_is_type(v, json_type_object) ? v : NULL;
}

/* ------------------------------------------------------------ body matching */

/* base64 of a PEM certificate or key, as hashedrekord 0.0.1, dsse and intoto record the
 * verifier: the signing certificate or key of the bundle? */
static bool pem_is_signer(sig_run *s, const char *b64pem)
{
  sig_buf pem = {0}, der = {0};
  if (!sig_b64_decode(b64pem, &pem, s->res))
    return false;
  EVP_PKEY *k = sig_pkey_pem(pem.p, pem.n, &der, s->res);
  bool ok = false;
  if (k) {
    if (der.n) /* a certificate: the bundle's leaf itself */
      ok = !s->b.has_key && s->b.n_certs && sig_buf_eq(&der, s->b.certs[0].p, s->b.certs[0].n);
    else {
      sig_buf spki = {0};
      ok = s->b.has_key && sig_pkey_spki(k, &spki, s->res) && sig_buf_eq(&spki, s->key_spki.p, s->key_spki.n);
      sig_buf_free(&spki);
    }
  }
  EVP_PKEY_free(k);
  sig_buf_free(&der);
  sig_buf_free(&pem);
  return ok;
}

static bool b64_is(sig_run *s, const char *b64, const sig_buf *want)
{
  sig_buf v = {0};
  bool ok = sig_b64_decode(b64, &v, s->res) && sig_buf_eq(&v, want->p, want->n);
  sig_buf_free(&v);
  return ok;
}

static bool hex_is(const char *hex, const uint8_t *d, size_t n)
{
  char want[129];
  if (!hex || n > 64)
    return false;
  sig_hex(d, n, want);
  return !strcmp(hex, want);
}

/* The digest the body must record for a message signature: the artifact's. */
static bool body_hashedrekord1(sig_run *s, json_object *spec)
{
  json_object *hash = obj(obj(spec, "data"), "hash"), *sig = obj(spec, "signature");
  if (s->b.dsse)
    return false;
  const char *alg = str(hash, "algorithm");
  return alg && !strcmp(alg, "sha256") && hex_is(str(hash, "value"), s->art->sha256, 32) &&
         b64_is(s, str(sig, "content"), &s->b.signature) && pem_is_signer(s, str(obj(sig, "publicKey"), "content"));
}

static bool body_hashedrekord2(sig_run *s, json_object *spec)
{
  json_object *v = obj(spec, "hashedRekordV002");
  json_object *data = obj(v, "data"), *sig = obj(v, "signature"), *ver = obj(sig, "verifier");
  const char *alg = str(data, "algorithm");
  uint8_t want[32];
  if (s->b.dsse) { /* hashedrekord over DSSE: the digest of the PAE */
    sig_buf pae = {0};
    bool ok = sig_pae(&s->b, &pae) ? sig_sha256(pae.p, pae.n, want, s->res) : sig_nomem(s->res);
    sig_buf_free(&pae);
    if (!ok)
      return false;
  } else {
    memcpy(want, s->art->sha256, 32);
  }
  sig_buf d = {0};
  bool ok = alg && !strcmp(alg, "SHA2_256") && sig_b64_decode(str(data, "digest"), &d, s->res) &&
            sig_buf_eq(&d, want, 32) && b64_is(s, str(sig, "content"), &s->b.signature);
  sig_buf_free(&d);
  if (!ok)
    return false;
  json_object *cert = obj(ver, "x509Certificate"), *key = obj(ver, "publicKey");
  if (cert)
    return !s->b.has_key && b64_is(s, str(cert, "rawBytes"), &s->b.certs[0]);
  return key && s->b.has_key && b64_is(s, str(key, "rawBytes"), &s->key_spki);
}

static bool payload_hash_is(sig_run *s, json_object *ph)
{
  uint8_t d[32];
  const char *alg = str(ph, "algorithm");
  return alg && !strcmp(alg, "sha256") && sig_sha256(s->b.payload.p, s->b.payload.n, d, s->res) &&
         hex_is(str(ph, "value"), d, 32);
}

static bool body_dsse(sig_run *s, json_object *spec)
{
  if (!s->b.dsse || !payload_hash_is(s, obj(spec, "payloadHash")))
    return false;
  json_object *sigs = oci_json_get(spec, "signatures");
  if (!sigs || !json_object_is_type(sigs, json_type_array))
    return false;
  for (size_t i = 0; i < json_object_array_length(sigs); i++) {
    json_object *e = json_object_array_get_idx(sigs, i);
    if (json_object_is_type(e, json_type_object) && b64_is(s, str(e, "signature"), &s->b.signature) &&
        pem_is_signer(s, str(e, "verifier")))
      return true;
    if (sig_is_nomem(s->res))
      return false;
  }
  return false;
}

static bool body_intoto2(sig_run *s, json_object *spec)
{
  json_object *content = obj(spec, "content"), *env = obj(content, "envelope");
  if (!s->b.dsse || !payload_hash_is(s, obj(content, "payloadHash")))
    return false;
  const char *pt = str(env, "payloadType");
  if (!pt || strcmp(pt, s->b.payload_type))
    return false;
  json_object *sigs = oci_json_get(env, "signatures");
  if (!sigs || !json_object_is_type(sigs, json_type_array))
    return false;
  for (size_t i = 0; i < json_object_array_length(sigs); i++) {
    json_object *e = json_object_array_get_idx(sigs, i);
    sig_buf once = {0};
    /* intoto 0.0.2 keeps the envelope's base64 signature base64-encoded once more */
    bool ok = json_object_is_type(e, json_type_object) && sig_b64_decode(str(e, "sig"), &once, s->res);
    if (ok) {
      char *inner = oci_strndup((const char *)once.p, once.n);
      ok = inner ? b64_is(s, inner, &s->b.signature) && pem_is_signer(s, str(e, "publicKey")) : sig_nomem(s->res);
      free(inner);
    }
    sig_buf_free(&once);
    if (ok)
      return true;
    if (sig_is_nomem(s->res))
      return false;
  }
  return false;
}

static bool body_check(sig_run *s, const sig_tlog_entry *t, size_t i)
{
  oci_json_doc doc;
  ocidig_error err;
  ocidig_code rc = oci_json_parse(t->body.p, t->body.n, "the log entry's body", &doc, &err);
  if (rc != OCIDIG_OK)
    return sig_json_nomem(rc, s->res) ? false : sig_fail(s->res, OCIDIG_SIG_TLOG_INVALID, "tlog entry %zu: %s", i, err.message);
  json_object *root = doc.root;
  const char *kind = json_object_is_type(root, json_type_object) ? str(root, "kind") : NULL;
  const char *ver = kind ? str(root, "apiVersion") : NULL;
  json_object *spec = kind ? obj(root, "spec") : NULL;
  bool ok = false, known = true;
  if (!kind || !ver || !spec || strcmp(kind, t->kind) || strcmp(ver, t->version)) {
    oci_json_doc_free(&doc);
    return sig_fail(s->res, OCIDIG_SIG_TLOG_INVALID, "tlog entry %zu: the body is not a %s %s entry", i, t->kind,
                    t->version);
  }
  if (!strcmp(kind, "hashedrekord") && !strcmp(ver, "0.0.1"))
    ok = body_hashedrekord1(s, spec);
  else if (!strcmp(kind, "hashedrekord") && !strcmp(ver, "0.0.2"))
    ok = body_hashedrekord2(s, spec);
  else if (!strcmp(kind, "dsse") && !strcmp(ver, "0.0.1"))
    ok = body_dsse(s, spec);
  else if (!strcmp(kind, "intoto") && !strcmp(ver, "0.0.2"))
    ok = body_intoto2(s, spec);
  else
    known = false;
  oci_json_doc_free(&doc);
  if (!known)
    return sig_fail(s->res, OCIDIG_SIG_UNSUPPORTED, "tlog entry %zu: kind %.100s %.40s", i, t->kind, t->version);
  if (!ok)
    return sig_fail(s->res, OCIDIG_SIG_TLOG_INVALID,
                    "tlog entry %zu: the %s body does not record this bundle's signature, key or digest", i, t->kind);
  return true;
}

/* ------------------------------------------------------------ SET */

static bool set_check(sig_run *s, const sig_tlog_entry *t, const sig_log *log, size_t i)
{
  char id[2 * 32 + 1];
  if (t->log_id.n > 32) /* a trusted log's ID: never longer */
    return sig_fail(s->res, OCIDIG_SIG_TLOG_INVALID, "tlog entry %zu: a log ID of %zu bytes", i, t->log_id.n);
  char *body = sig_b64_encode(t->body.p, t->body.n);
  if (!body)
    return sig_nomem(s->res);
  sig_hex(t->log_id.p, t->log_id.n, id);
  char *msg = oci_sprintf("{\"body\":\"%s\",\"integratedTime\":%" PRId64 ",\"logID\":\"%s\",\"logIndex\":%" PRId64 "}",
                          body, t->integrated_time, id, t->log_index);
  free(body);
  if (!msg)
    return sig_nomem(s->res);
  bool ok = sig_verify(log->key, false, false, (const uint8_t *)msg, strlen(msg), t->set.p, t->set.n, s->res);
  free(msg);
  if (!ok)
    return sig_fail(s->res, OCIDIG_SIG_TLOG_INVALID, "tlog entry %zu: the signed entry timestamp does not verify", i);
  return true;
}

/* ------------------------------------------------------------ inclusion proof */

static bool node_hash(const uint8_t *l, const uint8_t *r, uint8_t out[32], ocidig_sig_result *res)
{
  uint8_t buf[65];
  buf[0] = 1;
  memcpy(buf + 1, l, 32);
  memcpy(buf + 33, r, 32);
  return sig_sha256(buf, sizeof buf, out, res);
}

static bool proof_check(sig_run *s, const sig_tlog_entry *t, size_t i)
{
  uint64_t fn = (uint64_t)t->proof_index, sn = (uint64_t)t->tree_size - 1;
  uint8_t r[32];
  if (t->proof_index >= t->tree_size)
    return sig_fail(s->res, OCIDIG_SIG_TLOG_INVALID, "tlog entry %zu: proof index %" PRId64 " beyond tree size %" PRId64,
                    i, t->proof_index, t->tree_size);
  uint8_t *leaf = malloc(t->body.n + 1);
  if (!leaf)
    return sig_nomem(s->res);
  leaf[0] = 0;
  memcpy(leaf + 1, t->body.p, t->body.n);
  bool hashed = sig_sha256(leaf, t->body.n + 1, r, s->res);
  free(leaf);
  if (!hashed)
    return false;
  for (size_t k = 0; k < t->n_hashes; k++) {
    const sig_buf *p = &t->hashes[k];
    if (p->n != 32 || sn == 0)
      return sig_fail(s->res, OCIDIG_SIG_TLOG_INVALID, "tlog entry %zu: the inclusion proof is malformed", i);
    if ((fn & 1) || fn == sn) {
      if (!node_hash(p->p, r, r, s->res))
        return false;
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else if (!node_hash(r, p->p, r, s->res)) {
      return false;
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0 || !sig_buf_eq(&t->root_hash, r, 32))
    return sig_fail(s->res, OCIDIG_SIG_TLOG_INVALID, "tlog entry %zu: the inclusion proof does not lead to the root hash",
                    i);
  return true;
}

/* ------------------------------------------------------------ checkpoint */

static bool checkpoint_check(sig_run *s, const sig_tlog_entry *t, const sig_log *log, size_t i)
{
  const char *text = t->checkpoint;
  const char *split = strstr(text, "\n\n");
  if (!split)
    return sig_fail(s->res, OCIDIG_SIG_TLOG_INVALID, "tlog entry %zu: the checkpoint has no signature block", i);
  size_t body_len = (size_t)(split - text) + 1;
  /* origin, size, root hash */
  const char *l1 = text, *e1 = memchr(l1, '\n', body_len);
  const char *l2 = e1 ? e1 + 1 : NULL, *e2 = l2 ? memchr(l2, '\n', body_len - (size_t)(l2 - text)) : NULL;
  const char *l3 = e2 ? e2 + 1 : NULL, *e3 = l3 ? memchr(l3, '\n', body_len - (size_t)(l3 - text)) : NULL;
  if (!e3 || e1 == l1 || e2 == l2 || e3 == l3)
    return sig_fail(s->res, OCIDIG_SIG_TLOG_INVALID,
                    "tlog entry %zu: the checkpoint lacks its origin, size or root hash line", i);
  char *origin = oci_strndup(l1, (size_t)(e1 - l1)), *size = oci_strndup(l2, (size_t)(e2 - l2));
  char *root = oci_strndup(l3, (size_t)(e3 - l3));
  sig_buf rh = {0};
  char *end = NULL;
  if (!origin || !size || !root) {
    free(origin);
    free(size);
    free(root);
    return sig_nomem(s->res);
  }
  bool ok = size[0] >= '0' && size[0] <= '9';
  long long n = ok ? strtoll(size, &end, 10) : -1;
  ok = ok && end && !*end && n == t->tree_size && sig_b64_decode(root, &rh, s->res) &&
       sig_buf_eq(&rh, t->root_hash.p, t->root_hash.n);
  free(size);
  free(root);
  sig_buf_free(&rh);
  if (!ok) {
    free(origin);
    return sig_fail(s->res, OCIDIG_SIG_TLOG_INVALID,
                    "tlog entry %zu: the checkpoint's size or root hash is not the inclusion proof's", i);
  }
  /* the signature lines: one by this log (its name, its key hint) must verify */
  static const char dash[] = "\xe2\x80\x94 "; /* U+2014 and a space */
  bool verified = false;
  const char *line = split + 2;
  while (!verified && *line) {
    const char *eol = strchr(line, '\n');
    size_t len = eol ? (size_t)(eol - line) : strlen(line);
    if (len > sizeof dash - 1 && !memcmp(line, dash, sizeof dash - 1)) {
      const char *name = line + sizeof dash - 1;
      const char *sp = memchr(name, ' ', len - (sizeof dash - 1));
      if (sp) {
        char *who = oci_strndup(name, (size_t)(sp - name));
        char *b64 = oci_strndup(sp + 1, len - (size_t)(sp + 1 - line));
        sig_buf sig = {0};
        if (!who || !b64)
          sig_nomem(s->res);
        bool named = who && b64 && (oci_streq(who, log->host) || !strcmp(who, origin));
        if (named && sig_b64_decode(b64, &sig, s->res) && sig.n > 4 && log->log_id_len >= 4 &&
            !memcmp(sig.p, log->log_id, 4))
          verified = sig_verify(log->key, false, false, (const uint8_t *)text, body_len, sig.p + 4, sig.n - 4, s->res);
        sig_buf_free(&sig);
        free(who);
        free(b64);
      }
    }
    if (!eol || sig_is_nomem(s->res))
      break;
    line = eol + 1;
  }
  free(origin);
  if (!verified)
    return sig_fail(s->res, OCIDIG_SIG_TLOG_INVALID, "tlog entry %zu: no signature of the log on the checkpoint verifies",
                    i);
  return true;
}

/* ------------------------------------------------------------ entries */

static bool entry_check(sig_run *s, const sig_tlog_entry *t, size_t i)
{
  const sig_log *log = sig_trust_log(s->trust.tlogs, s->trust.n_tlogs, t->log_id.p, t->log_id.n);
  if (!log)
    return sig_fail(s->res, OCIDIG_SIG_TLOG_INVALID, "tlog entry %zu: its log is not a transparency log of the trusted root",
                    i);
  if (!body_check(s, t, i))
    return false;
  if (t->set.n && !set_check(s, t, log, i))
    return false;
  if (s->b.version == 1 && !t->set.n)
    return sig_fail(s->res, OCIDIG_SIG_TLOG_INVALID, "tlog entry %zu: a v0.1 bundle's entry needs its signed entry timestamp",
                    i);
  if (s->b.version >= 2 && !t->has_proof)
    return sig_fail(s->res, OCIDIG_SIG_TLOG_INVALID, "tlog entry %zu: no inclusion proof", i);
  if (t->has_proof) {
    if (!proof_check(s, t, i))
      return false;
    if (!t->checkpoint && s->b.version >= 2)
      return sig_fail(s->res, OCIDIG_SIG_TLOG_INVALID, "tlog entry %zu: the inclusion proof has no checkpoint", i);
    if (t->checkpoint && !checkpoint_check(s, t, log, i))
      return false;
  }
  if (t->integrated_time) {
    if (!sig_range_has(&log->valid, t->integrated_time))
      return sig_fail(s->res, OCIDIG_SIG_TLOG_INVALID,
                      "tlog entry %zu: integrated at %" PRId64 ", outside the log key's validity in the trusted root", i,
                      t->integrated_time);
    if (t->integrated_time > s->now + 300)
      return sig_fail(s->res, OCIDIG_SIG_TLOG_INVALID, "tlog entry %zu: integrated time %" PRId64 " is in the future", i,
                      t->integrated_time);
    if (t->set.n && s->n_times < sizeof s->times / sizeof s->times[0])
      s->times[s->n_times++] = t->integrated_time;
  }
  return true;
}

bool sig_tlog_check(sig_run *s)
{
  if (s->b.n_tlog == 0)
    return sig_fail(s->res, OCIDIG_SIG_TLOG_INVALID, "the bundle has no transparency log entry");
  for (size_t i = 0; i < s->b.n_tlog; i++)
    if (!entry_check(s, &s->b.tlog[i], i))
      return false;
  return true;
}

bool sig_tlog_check_times(sig_run *s, const int64_t *times, size_t n)
{
  for (size_t i = 0; i < s->b.n_tlog; i++) {
    const sig_tlog_entry *t = &s->b.tlog[i];
    const sig_log *log = sig_trust_log(s->trust.tlogs, s->trust.n_tlogs, t->log_id.p, t->log_id.n);
    if (t->integrated_time || !log)
      continue; /* dated by its own integrated time (entry_check), or refused there */
    for (size_t k = 0; k < n; k++) {
      if (sig_range_has(&log->valid, times[k]))
        continue;
      char when[40], from[40], to[40] = "";
      sig_fmt_time(times[k], when, sizeof when);
      sig_fmt_time(log->valid.start, from, sizeof from);
      if (log->valid.has_end)
        sig_fmt_time(log->valid.end, to, sizeof to);
      return sig_fail(s->res, OCIDIG_SIG_TLOG_INVALID,
                      "tlog entry %zu: its log's key is valid from %s%s%s in the trusted root, not at %s, the time "
                      "stamped by the RFC 3161 timestamp that dates this entry (it has no integrated time)",
                      i, from, log->valid.has_end ? " to " : " on", log->valid.has_end ? to : "", when);
    }
  }
  return true;
}
