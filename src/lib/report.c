/* report.c: the JSON report of a resolution (doc/resolution.md §7). */
#include "descriptor.h"

#include <string.h>

static json_object *str_or_null(const char *s)
{
  return s ? json_object_new_string(s) : NULL;
}

static json_object *normalized_platform(const ocidig_platform *p)
{
  json_object *o = json_object_new_object();
  json_object *f = json_object_new_array();
  json_object_object_add(o, "os", json_object_new_string(oci_str(p->os)));
  json_object_object_add(o, "architecture", json_object_new_string(oci_str(p->architecture)));
  json_object_object_add(o, "variant", json_object_new_string(oci_str(p->variant)));
  json_object_object_add(o, "os.version", json_object_new_string(oci_str(p->os_version)));
  for (size_t i = 0; i < p->n_os_features; i++)
    json_object_array_add(f, json_object_new_string(p->os_features[i]));
  json_object_object_add(o, "os.features", f);
  return o;
}

static json_object *descriptor_json(const ocidig_descriptor *d)
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "digest", json_object_new_string(oci_str(d->digest_string)));
  json_object_object_add(o, "mediaType", json_object_new_string(oci_str(d->media_type)));
  json_object_object_add(o, "size", json_object_new_int64(d->size));
  return o;
}

/* Written as it goes (json.h's writer): a walk of 10,000 rows, each with its annotations,
 * took 60 MiB as one json-c tree; the text is the same.  With a sink, only a piece of the
 * text is held at a time. */
static void resolution_write(const ocidig_resolution *r, const ocidig_json_options *opts, oci_json_writer *w)
{
  json_object *req;

  oci_json_writer_open(w, NULL, '{');
  oci_json_writer_put_members(w, opts->head, opts->n_head);
  oci_json_writer_put(w, "schemaVersion", json_object_new_int(1));
  req = json_object_new_object();
  json_object_object_add(req, "platform", json_object_new_string(oci_str(r->request)));
  json_object_object_add(req, "strict", json_object_new_boolean(r->strict));
  oci_json_writer_put(w, "request", req);
  oci_json_writer_put(w, "outcome", json_object_new_string(ocidig_outcome_name(r->outcome)));

  if (r->outcome == OCIDIG_OUTCOME_SELECTED) {
    json_object *sel = descriptor_json(&r->selected);
    json_object *path = json_object_new_array();
    json_object_object_add(sel, "platform", r->selected_has_platform ? normalized_platform(&r->selected_platform) : NULL);
    json_object_object_add(sel, "platformSource", str_or_null(r->platform_source));
    for (size_t i = 0; i < r->n_path; i++)
      json_object_array_add(path, json_object_new_string(r->path[i]));
    json_object_object_add(sel, "path", path);
    if (r->manifest_read) {
      json_object *layers = json_object_new_array();
      json_object_object_add(sel, "manifestMediaType", str_or_null(r->manifest_media_type));
      json_object_object_add(sel, "config", r->config.digest_string ? descriptor_json(&r->config) : NULL);
      for (size_t i = 0; i < r->n_layers; i++)
        json_object_array_add(layers, descriptor_json(&r->layers[i]));
      json_object_object_add(sel, "layers", layers);
      json_object_object_add(sel, "layersSize", json_object_new_int64(r->layers_size));
    }
    oci_json_writer_put(w, "selected", sel);
  } else {
    oci_json_writer_put(w, "selected", NULL);
  }

  oci_json_writer_open(w, "descriptors", '[');
  for (size_t i = 0; i < r->n_rows; i++) {
    const ocidig_row *row = &r->rows[i];
    json_object *o = descriptor_json(&row->desc);
    json_object *parent = json_object_new_string(oci_str(row->parent));
    json_object *ordered = json_object_new_object();
    json_object_object_add(ordered, "parent", parent);
    json_object_object_foreach(o, k, v) json_object_object_add(ordered, k, json_object_get(v));
    json_object_put(o);
    json_object_object_add(ordered, "platform",
                           row->desc.has_platform ? oci_platform_to_json(&row->desc.platform, row->desc.platform_keys)
                                                  : NULL);
    json_object_object_add(ordered, "verdict", json_object_new_string(ocidig_verdict_name(row->verdict)));
    json_object_object_add(ordered, "reason", json_object_new_string(oci_str(row->reason)));
    json_object_object_add(ordered, "depth", json_object_new_int((int)row->depth));
    if (row->desc.n_annotations) {
      json_object *ann = json_object_new_object();
      for (size_t j = 0; j < row->desc.n_annotations; j++)
        json_object_object_add(ann, row->desc.annotations[j].key,
                               json_object_new_string(oci_str(row->desc.annotations[j].value)));
      json_object_object_add(ordered, "annotations", ann);
    }
    oci_json_writer_put(w, NULL, ordered);
  }
  oci_json_writer_close(w);
  oci_json_writer_open(w, "warnings", '[');
  for (size_t i = 0; i < r->n_warnings; i++)
    oci_json_writer_put(w, NULL, json_object_new_string(r->warnings[i]));
  oci_json_writer_close(w);
  if (r->outcome == OCIDIG_OUTCOME_ERROR) {
    json_object *e = json_object_new_object();
    json_object_object_add(e, "code", json_object_new_string(ocidig_code_name(r->error.code)));
    json_object_object_add(e, "message", json_object_new_string(r->error.message));
    oci_json_writer_put(w, "error", e);
  }
  oci_json_writer_put_members(w, opts->tail, opts->n_tail);
  oci_json_writer_close(w);
}

char *ocidig_resolution_to_json(const ocidig_resolution *r, bool pretty)
{
  ocidig_json_options o = {.pretty = pretty};
  oci_json_writer w;
  if (!r)
    return NULL;
  oci_json_writer_init(&w, pretty);
  resolution_write(r, &o, &w);
  return oci_json_writer_take(&w);
}

ocidig_code ocidig_resolution_write_json(const ocidig_resolution *r, const ocidig_json_options *opts,
                                         ocidig_sink sink, void *ctx, ocidig_error *err)
{
  static const ocidig_json_options none = {0};
  oci_json_writer w;
  OCI_REQUIRE(r, "the resolution", err);
  OCI_REQUIRE(sink, "the sink", err);
  if (!opts)
    opts = &none;
  oci_json_writer_init_sink(&w, opts->pretty, sink, ctx);
  resolution_write(r, opts, &w);
  return oci_json_writer_finish(&w, err);
}
