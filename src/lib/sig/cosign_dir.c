/* cosign_dir.c: containers/image's dir: signature files verified (attached.h's verifier for
 * the entries attached.c finds through the view's oci_view_cimage_signatures).
 *
 * A sigstore signature file is "\0sigstore-json\n" and then JSON {"mimeType", "payload"
 * (standard base64 of the simple-signing payload), "annotations" (strings)}: the media type,
 * bytes and annotations a cosign signature layer has, so it is verified by cosign.c's
 * oci_cosign_check like a tag-scheme layer; the payload's SHA-256 stands for the layer's
 * digest.  A simple-signing file is an OpenPGP message: listed, verdict unsupported (ocidig
 * verifies no GPG signature). */
#include "attached.h"
#include "sig_int.h"

#include <stdarg.h>

#define DIRSIG_SIMPLE_REASON "a simple-signing (GPG) signature: ocidig verifies no OpenPGP signature"

static void verdict(ocidig_sig_check *c, ocidig_sig_verdict v, const char *fmt, ...) OCI_PRINTF(3, 4);
static void verdict(ocidig_sig_check *c, ocidig_sig_verdict v, const char *fmt, ...)
{
  va_list ap;
  c->verdict = v;
  va_start(ap, fmt);
  vsnprintf(c->reason, sizeof c->reason, fmt, ap);
  va_end(ap);
}

/* The annotations object's members (values must be strings), pointing into doc. */
static bool annotations_of(json_object *o, ocidig_annotation **out, size_t *n, const char **bad)
{
  size_t cap = o ? (size_t)json_object_object_length(o) : 0, k = 0;
  *out = NULL;
  *n = 0;
  *bad = NULL;
  if (!cap)
    return true;
  if (!(*out = calloc(cap, sizeof **out)))
    return false;
  json_object_object_foreach(o, key, val)
  {
    if (!json_object_is_type(val, json_type_string)) {
      *bad = key;
      return true;
    }
    if (k < cap) {
      (*out)[k].key = key;
      (*out)[k].value = (char *)json_object_get_string(val);
      k++;
    }
  }
  *n = k;
  return true;
}

/* The sigstore JSON of file (its bytes after the first line) verified for a->subject. */
static ocidig_code sigstore_one(oci_attached_ctx *c, const ocidig_attached *a, const oci_dirsig *s,
                                const uint8_t *data, size_t len, ocidig_sig_check *chk, ocidig_error *err)
{
  oci_json_doc doc;
  ocidig_error e;
  json_object *mt, *pl, *ann;
  ocidig_annotation *kv = NULL;
  size_t n_kv = 0;
  const char *bad = NULL;
  sig_buf payload = {0};
  ocidig_sig_result r = {0};
  uint8_t h[32];
  char hex[65];
  ocidig_code rc = OCIDIG_OK;

  if (oci_json_parse(data, len, s->member, &doc, &e) != OCIDIG_OK) {
    if (e.code == OCIDIG_ERR_NOMEM)
      return oci_nomem(err);
    verdict(chk, OCIDIG_SIG_MALFORMED, "%s", e.message);
    return OCIDIG_OK;
  }
  if (!json_object_is_type(doc.root, json_type_object)) {
    verdict(chk, OCIDIG_SIG_MALFORMED, "%.200s: a sigstore signature is a JSON object (mimeType, payload, annotations)",
            s->member);
    goto done;
  }
  mt = oci_json_get(doc.root, "mimeType");
  pl = oci_json_get(doc.root, "payload");
  ann = oci_json_get(doc.root, "annotations");
  if ((mt && !json_object_is_type(mt, json_type_string)) || !pl || !json_object_is_type(pl, json_type_string) ||
      (ann && !json_object_is_type(ann, json_type_object) && !json_object_is_type(ann, json_type_null))) {
    verdict(chk, OCIDIG_SIG_MALFORMED,
            "%.200s: mimeType and payload must be strings, annotations an object (containers/image's sigstore JSON)",
            s->member);
    goto done;
  }
  if (!sig_b64_decode(json_object_get_string(pl), &payload, &r)) {
    if (sig_is_nomem(&r))
      rc = oci_nomem(err);
    else
      verdict(chk, OCIDIG_SIG_MALFORMED, "%.200s: its payload is not base64", s->member);
    goto done;
  }
  if (!sig_sha256(payload.p, payload.n, h, &r)) {
    rc = oci_nomem(err);
    goto done;
  }
  sig_hex(h, 32, hex);
  snprintf(chk->layer, sizeof chk->layer, "sha256:%s", hex);
  if (!annotations_of(json_object_is_type(ann, json_type_object) ? ann : NULL, &kv, &n_kv, &bad)) {
    rc = oci_nomem(err);
    goto done;
  }
  if (bad) {
    verdict(chk, OCIDIG_SIG_MALFORMED, "%.200s: annotation %.200s is not a string", s->member, bad);
    goto done;
  }
  {
    oci_cosign_sig sig = {s->member, mt ? json_object_get_string(mt) : NULL, kv, n_kv, payload.p, payload.n};
    rc = oci_cosign_check(c, &sig, a->subject, chk, err);
  }
done:
  free(kv);
  sig_buf_free(&payload);
  oci_json_doc_free(&doc);
  return rc;
}

ocidig_code oci_cosign_dir_verify(oci_attached_ctx *c, const ocidig_attached *a, size_t file, oci_sig_checks *out,
                                  ocidig_error *err)
{
  ocidig_sig_check *chk;
  const oci_dirsig *s;
  size_t n;
  uint8_t *data = NULL;
  size_t len = 0;
  ocidig_error e;
  ocidig_code rc;

  if (!(chk = oci_sig_checks_add(out, a)))
    return oci_nomem(err);
  if ((rc = oci_view_cimage_signatures(c->v, &s, &n, err)) != OCIDIG_OK)
    return rc;
  if (file >= n) {
    verdict(chk, OCIDIG_SIG_MALFORMED, "%.200s: not a signature file of the layout", a->manifest);
    return OCIDIG_OK;
  }
  s += file;
  if (s->format == OCI_DIRSIG_SIMPLE_SIGNING) {
    verdict(chk, OCIDIG_SIG_UNSUPPORTED, DIRSIG_SIMPLE_REASON);
    return OCIDIG_OK;
  }
  if (s->format == OCI_DIRSIG_BAD) { /* known without trust material: not read, or not a format known */
    verdict(chk, s->code == OCIDIG_ERR_KIND_MISMATCH ? OCIDIG_SIG_UNSUPPORTED : OCIDIG_SIG_MALFORMED, "%s",
            s->message ? s->message : s->member);
    return OCIDIG_OK;
  }
  if (!oci_cosign_trust_given(c->trust, chk))
    return OCIDIG_OK;
  rc = oci_view_cimage_signature_read(c->v, file, &data, &len, &e);
  if (rc == OCIDIG_ERR_NOMEM)
    return oci_nomem(err);
  if (rc != OCIDIG_OK) {
    verdict(chk, OCIDIG_SIG_MALFORMED, "%s", e.message);
    return OCIDIG_OK;
  }
  rc = sigstore_one(c, a, s, data, len, chk, err);
  free(data);
  return rc;
}
