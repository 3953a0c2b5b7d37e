/* trust.c: trusted_root.json (protobuf-specs' TrustedRoot): the transparency logs and CT
 * logs (a public key, its log ID, a validity window) and the certificate and timestamp
 * authorities (a certificate chain, a validity window).  A window's start is required (a
 * missing one is a malformed root, never "since forever"); its end is optional; both ends
 * are inclusive. */
#include "sig_int.h"

#include <stdlib.h>
#include <string.h>

static const char *str(json_object *o, const char *key)
{
  json_object *v = oci_json_get(o, key);
  return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

bool sig_range_has(const sig_range *v, int64_t t)
{
  return t >= v->start && (!v->has_end || t <= v->end);
}

static bool range(json_object *o, sig_range *v, const char *what, ocidig_sig_result *r)
{
  json_object *vf = oci_json_get(o, "validFor");
  if (!vf || !json_object_is_type(vf, json_type_object))
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "trusted root: %s has no validFor", what);
  if (!sig_parse_time(str(vf, "start"), &v->start))
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "trusted root: %s's validFor.start is %s", what,
                    oci_json_has(vf, "start") ? "not an RFC 3339 time" : "missing");
  json_object *end = oci_json_get(vf, "end");
  if (end) { /* null: no end, as protobuf's JSON reads it */
    if (!sig_parse_time(str(vf, "end"), &v->end))
      return sig_fail(r, OCIDIG_SIG_MALFORMED, "trusted root: %s's validFor.end is not an RFC 3339 time", what);
    v->has_end = true;
  }
  return true;
}

static bool parse_log(json_object *o, sig_log *l, const char *what, ocidig_sig_result *r)
{
  json_object *pk = oci_json_get(o, "publicKey"), *id = oci_json_get(o, "logId");
  sig_buf raw = {0}, kid = {0};
  if (!pk || !json_object_is_type(pk, json_type_object) || !sig_b64_decode(str(pk, "rawBytes"), &raw, r))
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "trusted root: %s has no readable publicKey.rawBytes", what);
  l->key = sig_pkey_der(raw.p, raw.n, r);
  sig_buf_free(&raw);
  if (!l->key)
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "trusted root: %s's public key is not a key OpenSSL reads", what);
  if (!id || !json_object_is_type(id, json_type_object) || !sig_b64_decode(str(id, "keyId"), &kid, r) ||
      kid.n == 0 || kid.n > sizeof l->log_id) {
    sig_buf_free(&kid);
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "trusted root: %s has no readable logId.keyId", what);
  }
  memcpy(l->log_id, kid.p, kid.n);
  l->log_id_len = kid.n;
  sig_buf_free(&kid);
  const char *url = str(o, "baseUrl");
  if (url) { /* the host and port: between "scheme://" and the next '/' */
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    l->host = oci_strndup(h, strcspn(h, "/"));
    if (!l->host)
      return sig_nomem(r);
  }
  return range(pk, &l->valid, what, r);
}

static bool parse_authority(json_object *o, sig_authority *a, const char *what, ocidig_sig_result *r)
{
  json_object *cc = oci_json_get(o, "certChain");
  json_object *list = cc && json_object_is_type(cc, json_type_object) ? oci_json_get(cc, "certificates") : NULL;
  size_t n = list && json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
  if (n == 0 || n > 10)
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "trusted root: %s has no certChain.certificates (or more than 10)", what);
  a->chain = sk_X509_new_null();
  if (!a->chain)
    return sig_nomem(r);
  for (size_t i = 0; i < n; i++) {
    json_object *c = json_object_array_get_idx(list, i);
    sig_buf der = {0};
    if (!json_object_is_type(c, json_type_object) || !sig_b64_decode(str(c, "rawBytes"), &der, r))
      return sig_fail(r, OCIDIG_SIG_MALFORMED, "trusted root: %s's certificate %zu is not base64", what, i);
    X509 *x = sig_x509_der(der.p, der.n, r);
    sig_buf_free(&der);
    if (!x)
      return sig_fail(r, OCIDIG_SIG_MALFORMED, "trusted root: %s's certificate %zu is not an X.509 certificate", what,
                      i);
    if (!sk_X509_push(a->chain, x)) {
      X509_free(x);
      return sig_nomem(r);
    }
  }
  return range(o, &a->valid, what, r);
}

static bool list(json_object *root, const char *key, size_t elem, void **arr, size_t *n, ocidig_sig_result *r)
{
  json_object *a = oci_json_get(root, key);
  *arr = NULL;
  *n = 0;
  if (!a)
    return true;
  if (!json_object_is_type(a, json_type_array))
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "trusted root: %s is not a list", key);
  size_t len = json_object_array_length(a);
  if (len > 256)
    return sig_fail(r, OCIDIG_SIG_MALFORMED, "trusted root: %zu %s (at most 256)", len, key);
  if (len == 0)
    return true;
  *arr = calloc(len, elem);
  if (!*arr)
    return sig_nomem(r);
  *n = len;
  return true;
}

bool sig_trust_parse(const uint8_t *text, size_t n, sig_trust *t, ocidig_sig_result *r)
{
  oci_json_doc doc;
  ocidig_error err;
  memset(t, 0, sizeof *t);
  ocidig_code rc = oci_json_parse(text, n, "trusted root", &doc, &err);
  if (rc != OCIDIG_OK)
    return sig_json_nomem(rc, r) ? false : sig_fail(r, OCIDIG_SIG_MALFORMED, "%s", err.message);
  json_object *root = doc.root;
  bool ok = json_object_is_type(root, json_type_object);
  if (!ok)
    sig_fail(r, OCIDIG_SIG_MALFORMED, "trusted root: not a JSON object");
  const char *mt = ok ? str(root, "mediaType") : NULL;
  if (ok && (!mt || strncmp(mt, "application/vnd.dev.sigstore.trustedroot", 40)))
    ok = sig_fail(r, OCIDIG_SIG_MALFORMED, "trusted root: mediaType %s is not a trusted root's",
                  mt ? mt : "(missing)");
  ok = ok && list(root, "tlogs", sizeof(sig_log), (void **)&t->tlogs, &t->n_tlogs, r) &&
       list(root, "ctlogs", sizeof(sig_log), (void **)&t->ctlogs, &t->n_ctlogs, r) &&
       list(root, "certificateAuthorities", sizeof(sig_authority), (void **)&t->cas, &t->n_cas, r) &&
       list(root, "timestampAuthorities", sizeof(sig_authority), (void **)&t->tsas, &t->n_tsas, r);
  char what[64];
  for (size_t i = 0; ok && i < t->n_tlogs; i++) {
    snprintf(what, sizeof what, "tlogs[%zu]", i);
    ok = parse_log(json_object_array_get_idx(oci_json_get(root, "tlogs"), i), &t->tlogs[i], what, r);
  }
  for (size_t i = 0; ok && i < t->n_ctlogs; i++) {
    snprintf(what, sizeof what, "ctlogs[%zu]", i);
    ok = parse_log(json_object_array_get_idx(oci_json_get(root, "ctlogs"), i), &t->ctlogs[i], what, r);
  }
  for (size_t i = 0; ok && i < t->n_cas; i++) {
    snprintf(what, sizeof what, "certificateAuthorities[%zu]", i);
    ok = parse_authority(json_object_array_get_idx(oci_json_get(root, "certificateAuthorities"), i), &t->cas[i],
                         what, r);
  }
  for (size_t i = 0; ok && i < t->n_tsas; i++) {
    snprintf(what, sizeof what, "timestampAuthorities[%zu]", i);
    ok = parse_authority(json_object_array_get_idx(oci_json_get(root, "timestampAuthorities"), i), &t->tsas[i],
                         what, r);
  }
  oci_json_doc_free(&doc);
  return ok;
}

static void free_logs(sig_log *l, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    EVP_PKEY_free(l[i].key);
    free(l[i].host);
  }
  free(l);
}

static void free_authorities(sig_authority *a, size_t n)
{
  for (size_t i = 0; i < n; i++)
    sk_X509_pop_free(a[i].chain, X509_free);
  free(a);
}

void sig_trust_free(sig_trust *t)
{
  free_logs(t->tlogs, t->n_tlogs);
  free_logs(t->ctlogs, t->n_ctlogs);
  free_authorities(t->cas, t->n_cas);
  free_authorities(t->tsas, t->n_tsas);
  memset(t, 0, sizeof *t);
}

const sig_log *sig_trust_log(const sig_log *logs, size_t n, const uint8_t *id, size_t idn)
{
  for (size_t i = 0; i < n; i++)
    if (logs[i].log_id_len == idn && !memcmp(logs[i].log_id, id, idn))
      return &logs[i];
  return NULL;
}
