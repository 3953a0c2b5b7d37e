/* report_json.c: a verify report as JSON, written as it is made (json.h's writer): to a sink in
 * pieces (ocidig_verify_report_write_json), or as one text (ocidig_verify_report_to_json).
 * Each finding and each platform is a small json-c tree, serialized and freed at once: the
 * JSON of 100,000 images is never one text, nor one tree, in memory. */
#include "verify.h"

#include "json.h"

static json_object *str_or_null(const char *s)
{
  return s ? json_object_new_string(s) : NULL;
}

static json_object *finding_to_json(const ocidig_finding *f)
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "code", json_object_new_string(f->code));
  json_object_object_add(o, "severity", json_object_new_string(ocidig_severity_name(f->severity)));
  if (f->digest)
    json_object_object_add(o, "digest", json_object_new_string(f->digest));
  if (f->path)
    json_object_object_add(o, "path", json_object_new_string(f->path));
  json_object_object_add(o, "message", json_object_new_string(f->message));
  if (f->image >= 0) {
    json_object_object_add(o, "image", json_object_new_int64(f->image));
    if (f->platform >= 0)
      json_object_object_add(o, "platform", json_object_new_int64(f->platform));
  }
  return o;
}

static json_object *platform_to_json(const ocidig_verify_platform *p)
{
  json_object *po = json_object_new_object(), *miss = json_object_new_array();
  json_object_object_add(po, "platform", str_or_null(p->platform));
  json_object_object_add(po, "platformSource", str_or_null(p->platform_source));
  json_object_object_add(po, p->is_index ? "index" : "manifest", str_or_null(p->manifest));
  json_object_object_add(po, "mediaType", str_or_null(p->media_type));
  if (p->attestation_of)
    json_object_object_add(po, "attestationOf", json_object_new_string(p->attestation_of));
  if (p->walked_already) {
    json_object_object_add(po, "walkedAlready", json_object_new_boolean(true));
    json_object_object_add(po, "walkedIn", json_object_new_int64(p->walked_image));
  }
  json_object_object_add(po, "requested", json_object_new_boolean(p->requested));
  json_object_object_add(po, "complete", json_object_new_boolean(p->complete));
  json_object_object_add(po, "blobs", json_object_new_int64((int64_t)p->n_blobs));
  json_object_object_add(po, "present", json_object_new_int64((int64_t)(p->n_blobs - p->n_missing - p->n_unverified)));
  json_object_object_add(po, "unverified", json_object_new_int64((int64_t)p->n_unverified));
  json_object_object_add(po, "size", json_object_new_int64(p->size));
  for (size_t j = 0; j < p->n_missing; j++) {
    json_object *m = json_object_new_object();
    json_object_object_add(m, "digest", str_or_null(p->missing[j].digest));
    json_object_object_add(m, "role", json_object_new_string(p->missing[j].role));
    if (p->missing[j].index >= 0)
      json_object_object_add(m, "index", json_object_new_int64(p->missing[j].index));
    json_object_object_add(m, "size", json_object_new_int64(p->missing[j].size));
    json_object_array_add(miss, m);
  }
  json_object_object_add(po, "missing", miss);
  json_object_object_add(po, "errors", json_object_new_int64((int64_t)p->n_errors));
  json_object_object_add(po, "warnings", json_object_new_int64((int64_t)p->n_warnings));
  return po;
}

/* {schemaVersion, source, format, scope, findings, images, summary[, error]}, with the
 * caller's head members after the opening brace and tail members before the closing one. */
static void report_write(const ocidig_verify_report *r, const ocidig_json_options *o, oci_json_writer *w)
{
  const ocidig_verify_summary *s = &r->summary;
  json_object *scope = json_object_new_object(), *sum = json_object_new_object();

  oci_json_writer_open(w, NULL, '{');
  oci_json_writer_put_members(w, o->head, o->n_head);
  oci_json_writer_put(w, "schemaVersion", json_object_new_int(1));
  oci_json_writer_put(w, "source", str_or_null(r->source));
  oci_json_writer_put(w, "format", str_or_null(r->format));
  json_object_object_add(scope, "platform", str_or_null(r->request));
  json_object_object_add(scope, "strict", json_object_new_boolean(r->strict));
  json_object_object_add(scope, "ref", str_or_null(r->ref));
  oci_json_writer_put(w, "scope", scope);
  oci_json_writer_open(w, "findings", '[');
  for (size_t i = 0; i < r->n_findings; i++)
    oci_json_writer_put(w, NULL, finding_to_json(&r->findings[i]));
  oci_json_writer_close(w);
  oci_json_writer_open(w, "images", '[');
  for (size_t i = 0; i < r->n_images; i++) {
    const ocidig_verify_image *im = &r->images[i];
    oci_json_writer_open(w, NULL, '{');
    oci_json_writer_put(w, "name", str_or_null(im->name));
    oci_json_writer_put(w, "digest", str_or_null(im->digest));
    oci_json_writer_put(w, "mediaType", str_or_null(im->media_type));
    oci_json_writer_put(w, "complete", json_object_new_boolean(im->complete));
    oci_json_writer_put(w, "errors", json_object_new_int64((int64_t)im->n_errors));
    oci_json_writer_put(w, "warnings", json_object_new_int64((int64_t)im->n_warnings));
    oci_json_writer_open(w, "platforms", '[');
    for (size_t k = 0; k < im->n_platforms; k++)
      oci_json_writer_put(w, NULL, platform_to_json(&im->platforms[k]));
    oci_json_writer_close(w);
    oci_json_writer_close(w);
  }
  oci_json_writer_close(w);
  /* verify --deep: a row per layer read inside (absent otherwise) */
  if (r->layers) {
    oci_json_writer_open(w, "layers", '[');
    for (size_t i = 0; i < r->n_layers; i++) {
      const ocidig_verify_layer *L = &r->layers[i];
      json_object *o2 = json_object_new_object();
      json_object_object_add(o2, "digest", str_or_null(L->digest));
      json_object_object_add(o2, "mediaType", str_or_null(L->media_type));
      json_object_object_add(o2, "compression", json_object_new_string(L->compression));
      json_object_object_add(o2, "read", json_object_new_boolean(L->read));
      json_object_object_add(o2, "skipped", str_or_null(L->skipped));
      json_object_object_add(o2, "diffId", str_or_null(L->diff_id));
      json_object_object_add(o2, "entries", L->read ? json_object_new_int64((int64_t)L->entries) : NULL);
      json_object_object_add(o2, "uncompressedSize",
                             L->read ? json_object_new_int64((int64_t)L->uncompressed_size) : NULL);
      json_object_object_add(o2, "errors", json_object_new_int64((int64_t)L->n_errors));
      json_object_object_add(o2, "warnings", json_object_new_int64((int64_t)L->n_warnings));
      json_object_object_add(o2, "info", json_object_new_int64((int64_t)L->n_infos));
      json_object_object_add(o2, "image", L->image >= 0 ? json_object_new_int64(L->image) : NULL);
      oci_json_writer_put(w, NULL, o2);
    }
    oci_json_writer_close(w);
  }
  json_object *sigs = oci_verify_signatures_json(r);
  if (sigs)
    oci_json_writer_put(w, "signatures", sigs);
  else
    oci_json_writer_put_text(w, "signatures", NULL); /* out of memory: the writer fails */
  json_object_object_add(sum, "blobsChecked", json_object_new_int64((int64_t)s->blobs_checked));
  json_object_object_add(sum, "bytesHashed", json_object_new_int64((int64_t)s->bytes_hashed));
  json_object_object_add(sum, "blobsMissing", json_object_new_int64((int64_t)s->blobs_missing));
  json_object_object_add(sum, "errors", json_object_new_int64((int64_t)s->errors));
  json_object_object_add(sum, "warnings", json_object_new_int64((int64_t)s->warnings));
  json_object_object_add(sum, "info", json_object_new_int64((int64_t)s->infos));
  if (s->unreferenced_checked) {
    json_object_object_add(sum, "unreferencedBlobs", json_object_new_int64((int64_t)s->blobs_unreferenced));
    json_object_object_add(sum, "unreferencedBytes", json_object_new_int64((int64_t)s->unreferenced_bytes));
  } else {
    json_object_object_add(sum, "unreferencedBlobs", NULL);
    json_object_object_add(sum, "unreferencedBytes", NULL);
  }
  json_object_object_add(sum, "findingsDropped", json_object_new_int64((int64_t)s->findings_dropped));
  {
    size_t verified = 0;
    for (size_t i = 0; i < r->n_signatures; i++)
      verified += r->signatures[i].verdict == OCIDIG_SIG_VERIFIED;
    json_object_object_add(sum, "signatures", json_object_new_int64((int64_t)r->n_signatures));
    json_object_object_add(sum, "signaturesVerified", json_object_new_int64((int64_t)verified));
    json_object_object_add(sum, "trustGiven", json_object_new_boolean(r->trust_given));
    json_object_object_add(sum, "imagesUnsigned", r->trust_given ? json_object_new_int64((int64_t)r->images_unsigned) : NULL);
  }
  oci_json_writer_put(w, "summary", sum);
  if (r->error.code != OCIDIG_OK) {
    json_object *e = json_object_new_object();
    json_object_object_add(e, "code", json_object_new_string(ocidig_code_name(r->error.code)));
    json_object_object_add(e, "message", json_object_new_string(r->error.message));
    oci_json_writer_put(w, "error", e);
  }
  oci_json_writer_put_members(w, o->tail, o->n_tail);
  oci_json_writer_close(w);
}

char *ocidig_verify_report_to_json(const ocidig_verify_report *r, bool pretty)
{
  ocidig_json_options o = {.pretty = pretty};
  oci_json_writer w;
  if (!r)
    return NULL;
  oci_json_writer_init(&w, pretty);
  report_write(r, &o, &w);
  return oci_json_writer_take(&w);
}

ocidig_code ocidig_verify_report_write_json(const ocidig_verify_report *r, const ocidig_json_options *opts,
                                            ocidig_sink sink, void *ctx, ocidig_error *err)
{
  static const ocidig_json_options none = {0};
  oci_json_writer w;
  OCI_REQUIRE(r, "the report", err);
  OCI_REQUIRE(sink, "the sink", err);
  if (!opts)
    opts = &none;
  oci_json_writer_init_sink(&w, opts->pretty, sink, ctx);
  report_write(r, opts, &w);
  return oci_json_writer_finish(&w, err);
}
