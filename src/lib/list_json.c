/* list_json.c: a listing (ocidig_list's result) as JSON, written as it goes through json.h's
 * writer: each image a small json-c tree, serialized and freed at once, so that the JSON of
 * 100,000 images costs one image's tree and, with a sink, one piece of text. */
#include "attached.h"
#include "image.h"
#include "layout.h"

/* One image as a small tree, written and freed at once. */
static json_object *image_json(const ocidig_listing *l, const ocidig_list_image *img)
{
  json_object *o = json_object_new_object(), *rows = json_object_new_array(), *atts = json_object_new_array();
  json_object_object_add(o, "name", oci_jstr(img->name));
  json_object_object_add(o, "names", oci_jstrv(img->names, img->n_names));
  json_object_object_add(o, "digest", oci_jstr(img->digest));
  json_object_object_add(o, "mediaType", oci_jstr(img->media_type));
  json_object_object_add(o, "complete", json_object_new_boolean(img->complete));
  for (size_t k = 0; k < img->n_rows; k++) {
    const ocidig_list_row *r = &img->rows[k];
    json_object *p = json_object_new_object();
    json_object_object_add(p, "platform", oci_jstr(r->platform));
    json_object_object_add(p, "platformSource", oci_jstr(r->platform_source));
    json_object_object_add(p, "manifest", oci_jstr(r->manifest));
    json_object_object_add(p, "mediaType", oci_jstr(r->media_type));
    json_object_object_add(p, "imageId", oci_jstr(r->image_id));
    if (r->attestation_of)
      json_object_object_add(p, "attestationOf", oci_jstr(r->attestation_of));
    json_object_object_add(p, "kind", json_object_new_string(r->is_index ? "index" : r->other ? "other"
                                                                : r->attestation_of ? "attestation"
                                                                                    : "image"));
    json_object_object_add(p, "present", json_object_new_boolean(r->present));
    json_object_object_add(p, "complete", json_object_new_boolean(r->complete));
    json_object_object_add(p, "blobs", json_object_new_int64((int64_t)r->n_blobs));
    json_object_object_add(p, "missing", json_object_new_int64((int64_t)r->n_missing));
    json_object_object_add(p, "unverified", json_object_new_int64((int64_t)r->n_unverified));
    json_object_object_add(p, "size", json_object_new_int64(r->size));
    if (l->request)
      json_object_object_add(p, "selected", json_object_new_boolean(r->selected));
    if (r->code != OCIDIG_OK) {
      json_object *e = json_object_new_object();
      json_object_object_add(e, "code", json_object_new_string(ocidig_code_name(r->code)));
      json_object_object_add(e, "message", oci_jstr(r->error));
      json_object_object_add(p, "error", e);
    }
    json_object_array_add(r->attestation_of ? atts : rows, p);
  }
  json_object_object_add(o, "platforms", rows);
  json_object_object_add(o, "attestations", atts);
  json_object_object_add(o, "attached", oci_attached_json(img->attached, img->n_attached));
  if (l->request) {
    json_object *res = json_object_new_object();
    json_object_object_add(res, "outcome", json_object_new_string(ocidig_outcome_name(img->outcome)));
    for (size_t k = 0; k < img->n_rows; k++)
      if (img->rows[k].selected) {
        json_object_object_add(res, "manifest", oci_jstr(img->rows[k].manifest));
        json_object_object_add(res, "platform", oci_jstr(img->rows[k].platform));
        json_object_object_add(res, "imageId", oci_jstr(img->rows[k].image_id));
      }
    if (img->outcome == OCIDIG_OUTCOME_ERROR) {
      json_object *e = json_object_new_object();
      json_object_object_add(e, "code", json_object_new_string(ocidig_code_name(img->code)));
      json_object_object_add(e, "message", oci_jstr(img->error));
      json_object_object_add(res, "error", e);
    }
    json_object_object_add(o, "resolved", res);
  }
  return o;
}

/* The top object up to its "images" array, open. */
static void listing_head(const ocidig_listing *l, const ocidig_json_options *opts, oci_json_writer *w)
{
  oci_json_writer_open(w, NULL, '{');
  oci_json_writer_put_members(w, opts->head, opts->n_head);
  oci_json_writer_put(w, "format", json_object_new_string(ocidig_layout_format_name(l->format)));
  oci_json_writer_put(w, "request", oci_jstr(l->request));
  oci_json_writer_open(w, "images", '[');
}

/* From the end of the "images" array to the end. */
static void listing_tail(const ocidig_listing *l, const ocidig_json_options *opts, oci_json_writer *w)
{
  json_object *sum = json_object_new_object();
  oci_json_writer_close(w);
  json_object_object_add(sum, "blobs", json_object_new_int64((int64_t)l->n_blobs));
  json_object_object_add(sum, "totalBytes", json_object_new_int64((int64_t)l->total_bytes));
  json_object_object_add(sum, "sharedBlobs", json_object_new_int64((int64_t)l->n_shared));
  json_object_object_add(sum, "sharedBytes", json_object_new_int64((int64_t)l->shared_bytes));
  json_object_object_add(sum, "unreferencedFiles", json_object_new_int64((int64_t)l->n_unreferenced));
  json_object_object_add(sum, "unreferencedBytes", json_object_new_int64((int64_t)l->unreferenced_bytes));
  json_object_object_add(sum, "missingBlobs", json_object_new_int64((int64_t)l->n_missing));
  json_object_object_add(sum, "unverifiedBlobs", json_object_new_int64((int64_t)l->n_unverified));
  json_object_object_add(sum, "errors", json_object_new_int64((int64_t)l->n_errors));
  oci_json_writer_put(w, "summary", sum);
  oci_json_writer_put(w, "warnings", oci_jstrv(l->warnings, l->n_warnings));
  oci_json_writer_put_members(w, opts->tail, opts->n_tail);
  oci_json_writer_close(w);
}

static void listing_write(const ocidig_listing *l, const ocidig_json_options *opts, oci_json_writer *w)
{
  listing_head(l, opts, w);
  for (size_t i = 0; l->images && i < l->n_images; i++)
    oci_json_writer_put(w, NULL, image_json(l, &l->images[i]));
  listing_tail(l, opts, w);
}

char *ocidig_listing_to_json(const ocidig_listing *l, bool pretty)
{
  ocidig_json_options o = {.pretty = pretty};
  oci_json_writer w;
  if (!l)
    return NULL;
  oci_json_writer_init(&w, pretty);
  listing_write(l, &o, &w);
  return oci_json_writer_take(&w);
}

ocidig_code ocidig_listing_write_json(const ocidig_listing *l, const ocidig_json_options *opts, ocidig_sink sink,
                                      void *ctx, ocidig_error *err)
{
  static const ocidig_json_options none = {0};
  oci_json_writer w;
  OCI_REQUIRE(l, "the listing", err);
  OCI_REQUIRE(sink, "the sink", err);
  if (!opts)
    opts = &none;
  oci_json_writer_init_sink(&w, opts->pretty, sink, ctx);
  listing_write(l, opts, &w);
  return oci_json_writer_finish(&w, err);
}

typedef struct stream_ctx {
  oci_json_writer w;
  const ocidig_json_options *opts;
  bool started;
} stream_ctx;

static ocidig_code stream_image(void *ctx, const ocidig_listing *head, ocidig_list_image *img, ocidig_error *err)
{
  stream_ctx *s = ctx;
  if (!s->started)
    listing_head(head, s->opts, &s->w);
  s->started = true;
  oci_json_writer_put(&s->w, NULL, image_json(head, img));
  if (s->w.sink_rc != OCIDIG_OK) {
    if (err)
      *err = s->w.sink_err;
    return s->w.sink_rc; /* the output failed: no use listing on */
  }
  return OCIDIG_OK;
}

static ocidig_code no_image(void *ctx, const ocidig_listing *head, ocidig_list_image *img, ocidig_error *err)
{
  (void)ctx;
  (void)head;
  (void)img;
  (void)err;
  return OCIDIG_OK;
}

/* An archive not read to its end once its root is read (index.json before the blobs) may
 * still turn out cut or corrupt when the footer counts its files, after the images: it is
 * listed once without writing, so that such an error comes before the first byte.  Read to
 * its end already (index.json last, as most tools write it), or a directory: nothing past
 * the images can fail but an allocation, and one listing is enough. */
static ocidig_code dry_run(ocidig_layout *layout, const ocidig_list_options *opts, ocidig_error *err)
{
  oci_graph *g;
  const oci_gnode *root;
  ocidig_listing *l = NULL;
  ocidig_code rc;
  if ((rc = oci_graph_get(layout, &g, err)) != OCIDIG_OK || (rc = oci_graph_root(g, &root, err)) != OCIDIG_OK)
    return rc;
  if (oci_layout_known_whole(layout))
    return OCIDIG_OK; /* (a root that failed fails the listing before its first image) */
  rc = ocidig_layout_list_each(layout, opts, no_image, NULL, &l, err);
  ocidig_listing_free(l);
  return rc;
}

ocidig_code ocidig_layout_list_write_json(ocidig_layout *layout, const ocidig_list_options *opts,
                                          const ocidig_json_options *jopts, ocidig_sink sink, void *ctx,
                                          ocidig_listing **summary, ocidig_error *err)
{
  static const ocidig_json_options none = {0};
  stream_ctx s = {.opts = jopts ? jopts : &none};
  ocidig_listing *l = NULL;
  ocidig_code rc;
  if (summary)
    *summary = NULL;
  OCI_REQUIRE(layout, "the layout", err);
  OCI_REQUIRE(sink, "the sink", err);
  oci_json_writer_init_sink(&s.w, s.opts->pretty, sink, ctx);
  if ((rc = dry_run(layout, opts, err)) != OCIDIG_OK) {
    oci_buf_free(&s.w.out);
    return rc;
  }
  if ((rc = ocidig_layout_list_each(layout, opts, stream_image, &s, &l, err)) != OCIDIG_OK) {
    if (s.w.sink_rc != OCIDIG_OK && err)
      *err = s.w.sink_err;
    oci_buf_free(&s.w.out); /* what was written stays cut where the error came */
    return s.w.sink_rc != OCIDIG_OK ? s.w.sink_rc : rc;
  }
  if (!s.started)
    listing_head(l, s.opts, &s.w);
  listing_tail(l, s.opts, &s.w);
  rc = oci_json_writer_finish(&s.w, err);
  if (summary && rc == OCIDIG_OK)
    *summary = l;
  else
    ocidig_listing_free(l);
  return rc;
}
