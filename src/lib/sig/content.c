/* content.c: what is signed.  A message signature signs the artifact's SHA-256 digest
 * (its messageDigest, a hint, must agree); a DSSE envelope signs PAE(payloadType, payload),
 * and its in-toto statement must name the artifact among its subjects (digest.sha256). */
#include "sig_int.h"

#include <string.h>

static bool key_verify(EVP_PKEY *k, bool prehashed, const uint8_t *m, size_t n, const sig_buf *sig,
                       ocidig_sig_result *r)
{
  if (sig_verify(k, false, prehashed, m, n, sig->p, sig->n, r))
    return true;
  /* an RSA key signs with PKCS#1 v1.5 or PSS: the key does not say which */
  int id = EVP_PKEY_get_base_id(k);
  return id == EVP_PKEY_RSA && !sig_is_nomem(r) && sig_verify(k, true, prehashed, m, n, sig->p, sig->n, r);
}

static bool statement_subject(sig_run *s)
{
  oci_json_doc doc;
  ocidig_error err;
  char hex[65];
  sig_hex(s->art->sha256, 32, hex);
  ocidig_code rc = oci_json_parse(s->b.payload.p, s->b.payload.n, "the in-toto statement", &doc, &err);
  if (rc != OCIDIG_OK)
    return sig_json_nomem(rc, s->res) ? false : sig_fail(s->res, OCIDIG_SIG_MALFORMED, "%s", err.message);
  json_object *subj = json_object_is_type(doc.root, json_type_object) ? oci_json_get(doc.root, "subject") : NULL;
  bool found = false, listed = subj && json_object_is_type(subj, json_type_array);
  for (size_t i = 0; listed && !found && i < json_object_array_length(subj); i++) {
    json_object *e = json_object_array_get_idx(subj, i);
    json_object *d = json_object_is_type(e, json_type_object) ? oci_json_get(e, "digest") : NULL;
    json_object *v = d && json_object_is_type(d, json_type_object) ? oci_json_get(d, "sha256") : NULL;
    found = v && json_object_is_type(v, json_type_string) && !strcmp(json_object_get_string(v), hex);
  }
  oci_json_doc_free(&doc);
  if (!listed)
    return sig_fail(s->res, OCIDIG_SIG_MALFORMED, "the in-toto statement has no subject list");
  if (!found)
    return sig_fail(s->res, OCIDIG_SIG_SUBJECT_MISMATCH, "no subject of the in-toto statement has digest sha256:%s", hex);
  return true;
}

bool sig_content_check(sig_run *s)
{
  const sig_bundle *b = &s->b;
  if (!b->dsse) {
    if (b->has_digest && !sig_buf_eq(&b->digest, s->art->sha256, 32))
      return sig_fail(s->res, OCIDIG_SIG_SUBJECT_MISMATCH, "the bundle's messageDigest is not the artifact's digest");
    int id = EVP_PKEY_get_base_id(s->key);
    if (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448)
      return sig_fail(s->res, OCIDIG_SIG_UNSUPPORTED,
                      "a pure EdDSA message signature signs the artifact's bytes, not its digest");
    if (!key_verify(s->key, true, s->art->sha256, 32, &b->signature, s->res))
      return sig_fail(s->res, OCIDIG_SIG_BAD_SIGNATURE, "the signature does not verify over the artifact's digest");
    return true;
  }
  sig_buf pae = {0};
  if (!sig_pae(b, &pae))
    return sig_nomem(s->res);
  bool ok = key_verify(s->key, false, pae.p, pae.n, &b->signature, s->res);
  sig_buf_free(&pae);
  if (!ok)
    return sig_fail(s->res, OCIDIG_SIG_BAD_SIGNATURE, "the DSSE envelope's signature does not verify");
  if (strcmp(b->payload_type, "application/vnd.in-toto+json"))
    return sig_fail(s->res, OCIDIG_SIG_UNSUPPORTED, "DSSE payload type %.200s (only application/vnd.in-toto+json)",
                    b->payload_type);
  return statement_subject(s);
}
