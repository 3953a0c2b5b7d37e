/* files.c: `ocidig files` and `ocidig cat --file`: the merged file tree of the image a
 * resolution selected (tree.h), read layer by layer through layer.h, and one file of it
 * streamed out. */
#include "files_int.h"

#include <stdlib.h>
#include <string.h>

const char *ocidig_file_type_name(char type)
{
  switch (type) {
  case 'f': return "file";
  case 'd': return "directory";
  case 'l': return "symlink";
  case 'h': return "hardlink";
  case 'c': return "char-device";
  case 'b': return "block-device";
  case 'p': return "fifo";
  default: return "other";
  }
}

void ocidig_files_free(ocidig_files *f)
{
  if (!f)
    return;
  oci_tree_free(f->tree);
  for (size_t i = 0; i < f->n_layers; i++) {
    free(f->layers[i].digest);
    free(f->layers[i].media_type);
  }
  free(f->layers);
  for (size_t i = 0; i < f->n_descs; i++) {
    free(f->descs[i].digest_string);
    free(f->descs[i].media_type);
  }
  free(f->descs);
  for (size_t i = 0; f->sums && i < f->total_layers; i++)
    free(f->sums[i]);
  free(f->sums);
  free(f->n_sums);
  free(f->image);
  oci_strv_free(f->warnings, f->n_warnings);
  free(f);
}

/* ------------------------------------------------------------ reading the layers */

typedef struct apply_ctx {
  oci_tree *tree;
  ocidig_files *f; /* with digests */
  size_t layer;
} apply_ctx;

static unsigned hexval(char c)
{
  return c >= 'a' ? (unsigned)(c - 'a' + 10) : (unsigned)(c - '0');
}

static ocidig_code hash_sink(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  (void)err;
  oci_hasher_update(ctx, buf, len);
  return OCIDIG_OK;
}

/* The sha256 of a regular file's bytes, at its ordinal in the layer's table. */
static ocidig_code hash_entry(apply_ctx *a, oci_layer_reader *r, uint64_t ordinal, ocidig_error *err)
{
  ocidig_files *f = a->f;
  size_t cap = f->n_sums[a->layer] / 32;
  oci_hasher *h;
  char hex[65];
  ocidig_code rc;
  if (ordinal >= cap) {
    size_t want = cap ? cap : 64;
    uint8_t *p;
    while (want <= ordinal)
      want *= 2;
    if (!(p = realloc(f->sums[a->layer], want * 32)))
      return oci_nomem(err);
    memset(p + cap * 32, 0, (want - cap) * 32);
    f->sums[a->layer] = p;
    f->n_sums[a->layer] = want * 32;
  }
  if (!(h = oci_hasher_new(OCIDIG_DIGEST_SHA256)))
    return oci_nomem(err);
  rc = oci_layer_entry_stream(r, hash_sink, h, err);
  oci_hasher_final_hex(h, hex);
  oci_hasher_free(h);
  if (rc == OCIDIG_OK)
    for (size_t i = 0; i < 32; i++)
      f->sums[a->layer][ordinal * 32 + i] = (uint8_t)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
  return rc;
}

static ocidig_code apply_entry(void *ctx, oci_layer_reader *r, const oci_layer_entry *e, ocidig_error *err)
{
  apply_ctx *a = ctx;
  oci_tree_input in = {.path = e->path, .type = e->type, .mode = e->mode, .uid = e->uid, .gid = e->gid,
                       .size = e->size, .mtime = e->mtime, .link = e->link, .devmajor = e->devmajor,
                       .devminor = e->devminor, .bad_name = e->bad_name};
  ocidig_code rc;
  if (e->index > UINT32_MAX)
    return oci_fail(err, OCIDIG_ERR_LIMIT, "more than %u entries in one layer", UINT32_MAX);
  if ((rc = oci_tree_apply(a->tree, &in, (uint32_t)e->index, err)) == OCIDIG_OK && a->f && e->type == 'f')
    rc = hash_entry(a, r, e->index, err);
  return rc;
}

/* What a layer's descriptor says before it is read: a digest, a compression this reader
 * knows, the blob present. */
ocidig_code oci_files_layer_check(oci_view *v, const layer_desc *d, size_t i, oci_layer_compression *c,
                               ocidig_error *err)
{
  ocidig_entry st;
  ocidig_code rc;
  if (d->digest_code != OCIDIG_OK)
    return oci_fail(err, d->digest_code, "layer %zu: %s is not a valid digest", i, d->digest_string);
  *c = oci_layer_compression_of(d->media_type);
  if (*c == OCI_LAYER_UNKNOWN)
    return oci_fail(err, OCIDIG_ERR_KIND_MISMATCH, "layer %zu (%s): media type %s is not a layer tar", i,
                    d->digest_string, *d->media_type ? d->media_type : "(none)");
  rc = oci_view_blob_stat(v, &d->digest, &st, err);
  if (rc == OCIDIG_ERR_BLOB_MISSING) {
    bool foreign = (strstr(d->media_type, "foreign") || strstr(d->media_type, "nondistributable"));
    return oci_fail(err, rc, "layer %zu (%s) is not in the layout%s", i, d->digest_string,
                    foreign ? ": a foreign (non-distributable) layer, to be fetched from its URLs" : "");
  }
  return rc;
}

/* The result of reading layer i: an error for what leaves the tree incomplete or the bytes
 * not the blob's; a warning for what does not. */
ocidig_code oci_files_layer_result(ocidig_files *f, const layer_desc *d, size_t i, const oci_layer_result *res,
                                bool blob_ok, ocidig_error *err)
{
  if (res->decode == OCI_LAYER_DECODE_TRUNCATED || res->decode == OCI_LAYER_DECODE_CORRUPT)
    return oci_fail(err, res->decode == OCI_LAYER_DECODE_TRUNCATED ? OCIDIG_ERR_TRUNCATED_ARCHIVE
                                                                   : OCIDIG_ERR_CORRUPT_ARCHIVE,
                    "layer %zu (%s): %s", i, d->digest_string, res->decode_message);
  if (res->tar == OCI_LAYER_TAR_TRUNCATED || res->tar == OCI_LAYER_TAR_CORRUPT)
    return oci_fail(err, res->tar == OCI_LAYER_TAR_TRUNCATED ? OCIDIG_ERR_TRUNCATED_ARCHIVE
                                                             : OCIDIG_ERR_CORRUPT_ARCHIVE,
                    "layer %zu (%s): its tar: %s", i, d->digest_string, res->tar_message);
  if (!blob_ok && d->size >= 0 && res->input_bytes != (uint64_t)d->size)
    return oci_fail(err, OCIDIG_ERR_SIZE_MISMATCH, "layer %zu (%s): the blob is %llu bytes, the manifest says %lld", i,
                    d->digest_string, (unsigned long long)res->input_bytes, (long long)d->size);
  if (!blob_ok)
    return oci_fail(err, OCIDIG_ERR_DIGEST_MISMATCH, "layer %zu (%s): the blob's bytes do not match its digest", i,
                    d->digest_string);
  if (!f)
    return OCIDIG_OK;
  if (res->decode == OCI_LAYER_DECODE_TRAILING)
    oci_warning_push(&f->warnings, &f->n_warnings, "layer %zu (%s): data after its end: %s", i, d->digest_string,
                     res->decode_message);
  if (res->tar == OCI_LAYER_TAR_NO_MARKER)
    oci_warning_push(&f->warnings, &f->n_warnings, "layer %zu (%s): its tar ends without an end-of-archive marker",
                     i, d->digest_string);
  return OCIDIG_OK;
}

ocidig_code ocidig_files_load(ocidig_layout *layout, const ocidig_resolution *r, const ocidig_files_options *opts,
                              ocidig_files **out, ocidig_error *err)
{
  ocidig_files *f;
  oci_view *v;
  ocidig_code rc;
  size_t upto;
  if (out)
    *out = NULL;
  OCI_REQUIRE(out, "out", err);
  OCI_REQUIRE(layout, "layout", err);
  OCI_REQUIRE(r, "r", err);
  if (r->outcome != OCIDIG_OUTCOME_SELECTED || !r->manifest_read)
    return oci_fail(err, OCIDIG_ERR_USAGE, "ocidig_files_load: the resolution selected no manifest that was read");
  if (opts && opts->one_layer && opts->layer >= r->n_layers)
    return oci_fail(err, OCIDIG_ERR_USAGE, "layer %u: the image has %zu layer%s (0 to %zu)", opts->layer,
                    r->n_layers, r->n_layers == 1 ? "" : "s", r->n_layers ? r->n_layers - 1 : 0);
  if ((rc = oci_view_get(layout, &v, err)) != OCIDIG_OK)
    return rc;
  if (!(f = calloc(1, sizeof *f)) || !(f->tree = oci_tree_new()) ||
      !(f->image = oci_strdup(r->selected.digest_string ? r->selected.digest_string : "")) ||
      (r->n_layers && !(f->layers = calloc(r->n_layers, sizeof *f->layers))) ||
      (r->n_layers && !(f->descs = calloc(r->n_layers, sizeof *f->descs)))) {
    ocidig_files_free(f);
    return oci_nomem(err);
  }
  if (opts && opts->digests && r->n_layers &&
      (!(f->sums = calloc(r->n_layers, sizeof *f->sums)) || !(f->n_sums = calloc(r->n_layers, sizeof *f->n_sums)))) {
    ocidig_files_free(f);
    return oci_nomem(err);
  }
  f->total_layers = r->n_layers;
  f->one_layer = opts && opts->one_layer;
  f->layer = f->one_layer ? opts->layer : 0;
  for (size_t i = 0; i < r->n_layers; i++, f->n_descs++) {
    layer_desc *ld = &f->descs[i];
    ld->digest = r->layers[i].digest;
    ld->digest_code = r->layers[i].digest_code;
    ld->size = r->layers[i].size;
    if (!(ld->digest_string = oci_strdup(oci_str(r->layers[i].digest_string))) ||
        !(ld->media_type = oci_strdup(oci_str(r->layers[i].media_type)))) {
      f->n_descs++;
      ocidig_files_free(f);
      return oci_nomem(err);
    }
  }
  upto = f->one_layer ? (size_t)f->layer + 1 : r->n_layers;
  for (size_t i = 0; i < upto; i++) {
    const layer_desc *d = &f->descs[i];
    oci_layer_compression c;
    oci_layer_result res;
    apply_ctx a = {f->tree, f->sums ? f : NULL, i};
    oci_layer_callbacks cb = {.entry = apply_entry};
    bool blob_ok = false;
    files_layer *fl = &f->layers[f->n_layers++];
    if (!(fl->digest = oci_strdup(d->digest_string)) || !(fl->media_type = oci_strdup(d->media_type))) {
      ocidig_files_free(f);
      return oci_nomem(err);
    }
    fl->size = d->size;
    if ((rc = oci_files_layer_check(v, d, i, &c, err)) != OCIDIG_OK) {
      ocidig_files_free(f);
      return rc;
    }
    oci_tree_layer_begin(f->tree, (unsigned)i);
    memset(&res, 0, sizeof res);
    rc = oci_layer_read(v, &d->digest, d->media_type, d->size, &cb, &a, &res, &blob_ok, err);
    if (rc == OCIDIG_OK)
      rc = oci_files_layer_result(f, d, i, &res, blob_ok, err);
    if (rc != OCIDIG_OK) {
      if (rc != OCIDIG_ERR_NOMEM && rc != OCIDIG_ERR_OUTPUT && !strstr(err ? err->message : "", "layer "))
        oci_error_prefix(err, "layer %zu (%s)", i, d->digest_string);
      ocidig_files_free(f);
      return rc;
    }
    fl->entries = res.entries;
    fl->uncompressed = res.output_bytes;
  }
  *out = f;
  return OCIDIG_OK;
}

/* ------------------------------------------------------------ answers */

const char *oci_files_item_digest(const ocidig_files *f, const oci_tree_item *it, char *buf)
{
  static const char hexd[] = "0123456789abcdef";
  const uint8_t *p;
  bool any = false;
  if (!f->sums || !it->has_data || it->data_layer >= f->total_layers ||
      (uint64_t)it->data_ordinal * 32 + 32 > f->n_sums[it->data_layer])
    return NULL;
  p = f->sums[it->data_layer] + (size_t)it->data_ordinal * 32;
  memcpy(buf, "sha256:", 7);
  for (size_t i = 0; i < 32; i++) {
    any |= p[i] != 0;
    buf[7 + 2 * i] = hexd[p[i] >> 4];
    buf[8 + 2 * i] = hexd[p[i] & 15];
  }
  buf[71] = 0;
  return any ? buf : NULL;
}

static void file_of(const ocidig_files *f, const oci_tree_item *it, ocidig_file *o, bool one_layer, char *dbuf)
{
  memset(o, 0, sizeof *o);
  o->path = it->path;
  o->type = it->type;
  o->mode = it->mode;
  o->uid = it->uid;
  o->gid = it->gid;
  o->size = it->size;
  o->mtime = it->mtime;
  o->link = it->link;
  o->devmajor = it->devmajor;
  o->devminor = it->devminor;
  o->layer = it->layer;
  o->implicit = it->implicit;
  o->change = one_layer ? oci_tree_change_name(it->change) : NULL;
  o->digest = oci_files_item_digest(f, it, dbuf);
}

typedef struct each_ctx {
  ocidig_files_fn fn;
  void *ctx;
  bool one_layer;
  const ocidig_files *f;
  char digest[OCIDIG_DIGEST_STRING_MAX];
} each_ctx;

static ocidig_code each_item(void *ctx, const oci_tree_item *it, ocidig_error *err)
{
  each_ctx *e = ctx;
  ocidig_file o;
  file_of(e->f, it, &o, e->one_layer, e->digest);
  return e->fn(e->ctx, &o, err);
}

ocidig_code ocidig_files_each(ocidig_files *f, const char *under, ocidig_files_fn fn, void *ctx, bool *matched,
                              ocidig_error *err)
{
  each_ctx e = {fn, ctx, f ? f->one_layer : false, f, {0}};
  OCI_REQUIRE(f, "f", err);
  OCI_REQUIRE(fn, "fn", err);
  return f->one_layer ? oci_tree_each_layer(f->tree, under, each_item, &e, matched, err)
                      : oci_tree_each(f->tree, under, each_item, &e, matched, err);
}

void ocidig_files_summary_get(const ocidig_files *f, ocidig_files_summary *s)
{
  oci_tree_stats st;
  if (!s)
    return;
  memset(s, 0, sizeof *s);
  if (!f)
    return;
  oci_tree_stats_get(f->tree, &st);
  s->image = f->image;
  s->layers = f->total_layers;
  s->layers_read = f->n_layers;
  s->one_layer = f->one_layer;
  s->layer = f->layer;
  s->entries = st.entries ? st.entries - 1 : 0; /* the root is not listed */
  s->files = st.files;
  s->dirs = st.dirs ? st.dirs - 1 : 0;
  s->symlinks = st.symlinks;
  s->hardlinks = st.hardlinks;
  s->others = st.others;
  s->file_bytes = st.file_bytes;
  s->wasted_bytes = st.wasted_bytes;
  s->wasted_files = st.wasted_files;
  s->whiteouts = st.whiteouts;
  s->opaques = st.opaques;
  s->bad_names = st.bad_names;
  s->skipped_parent = st.skipped_parent;
  s->too_long = st.skipped_long;
  s->over_bound = st.skipped_implicit;
  s->skipped = s->skipped_parent + s->too_long + s->over_bound;
  s->tree_bytes = oci_tree_memory(f->tree);
  s->warnings = (const char *const *)f->warnings;
  s->n_warnings = f->n_warnings;
}

const ocidig_files_layer *ocidig_files_layer_get(const ocidig_files *f, size_t i, ocidig_files_layer *out)
{
  if (!f || !out || i >= f->n_layers)
    return NULL;
  out->digest = f->layers[i].digest;
  out->media_type = f->layers[i].media_type;
  out->size = f->layers[i].size;
  out->entries = f->layers[i].entries;
  out->uncompressed_size = f->layers[i].uncompressed;
  return out;
}

/* ------------------------------------------------------------ JSON */

static json_object *file_json(const ocidig_file *e)
{
  json_object *o = json_object_new_object();
  char mode[8], *path = oci_sprintf("/%s", e->path);
  snprintf(mode, sizeof mode, "%04o", (unsigned)e->mode);
  json_object_object_add(o, "path", oci_jstr(path));
  free(path);
  json_object_object_add(o, "type", json_object_new_string(ocidig_file_type_name(e->type)));
  json_object_object_add(o, "mode", json_object_new_string(mode));
  json_object_object_add(o, "uid", json_object_new_int64(e->uid));
  json_object_object_add(o, "gid", json_object_new_int64(e->gid));
  json_object_object_add(o, "size", json_object_new_int64(e->size));
  json_object_object_add(o, "mtime", json_object_new_int64(e->mtime));
  json_object_object_add(o, "linkTarget", oci_jstr(e->link));
  if (e->type == 'c' || e->type == 'b') {
    json_object *d = json_object_new_object();
    json_object_object_add(d, "major", json_object_new_int64(e->devmajor));
    json_object_object_add(d, "minor", json_object_new_int64(e->devminor));
    json_object_object_add(o, "device", d);
  }
  json_object_object_add(o, "layer", json_object_new_int64(e->layer));
  json_object_object_add(o, "implicit", json_object_new_boolean(e->implicit));
  if (e->change)
    json_object_object_add(o, "change", json_object_new_string(e->change));
  return o;
}

static ocidig_code json_item(void *ctx, const ocidig_file *e, ocidig_error *err)
{
  oci_json_writer *w = ctx;
  (void)err;
  oci_json_writer_put(w, NULL, file_json(e));
  return w->sink_rc != OCIDIG_OK ? w->sink_rc : OCIDIG_OK;
}

ocidig_code ocidig_files_write_json(ocidig_files *f, const char *const *paths, size_t n_paths,
                                    const ocidig_json_options *opts, ocidig_sink sink, void *ctx, ocidig_error *err)
{
  static const ocidig_json_options none = {0};
  oci_json_writer w;
  ocidig_files_summary s;
  ocidig_code rc = OCIDIG_OK;
  json_object *layers, *sum;
  OCI_REQUIRE(f, "f", err);
  OCI_REQUIRE(sink, "sink", err);
  if (!opts)
    opts = &none;
  ocidig_files_summary_get(f, &s);
  oci_json_writer_init_sink(&w, opts->pretty, sink, ctx);
  oci_json_writer_open(&w, NULL, '{');
  oci_json_writer_put_members(&w, opts->head, opts->n_head);
  oci_json_writer_put(&w, "image", oci_jstr(f->image));
  oci_json_writer_put(&w, "layer", f->one_layer ? json_object_new_int64(f->layer) : NULL);
  layers = json_object_new_array();
  for (size_t i = 0; i < f->n_layers; i++) {
    json_object *l = json_object_new_object();
    json_object_object_add(l, "index", json_object_new_int64((int64_t)i));
    json_object_object_add(l, "digest", oci_jstr(f->layers[i].digest));
    json_object_object_add(l, "mediaType", oci_jstr(f->layers[i].media_type));
    json_object_object_add(l, "size", json_object_new_int64(f->layers[i].size));
    json_object_object_add(l, "entries", json_object_new_int64((int64_t)f->layers[i].entries));
    json_object_object_add(l, "uncompressedSize", json_object_new_int64((int64_t)f->layers[i].uncompressed));
    json_object_array_add(layers, l);
  }
  oci_json_writer_put(&w, "layers", layers);
  oci_json_writer_open(&w, "entries", '[');
  for (size_t i = 0; i < (n_paths ? n_paths : 1) && rc == OCIDIG_OK; i++)
    rc = ocidig_files_each(f, n_paths ? paths[i] : NULL, json_item, &w, NULL, err);
  oci_json_writer_close(&w);
  sum = json_object_new_object();
  json_object_object_add(sum, "entries", json_object_new_int64((int64_t)s.entries));
  json_object_object_add(sum, "files", json_object_new_int64((int64_t)s.files));
  json_object_object_add(sum, "directories", json_object_new_int64((int64_t)s.dirs));
  json_object_object_add(sum, "symlinks", json_object_new_int64((int64_t)s.symlinks));
  json_object_object_add(sum, "hardlinks", json_object_new_int64((int64_t)s.hardlinks));
  json_object_object_add(sum, "others", json_object_new_int64((int64_t)s.others));
  json_object_object_add(sum, "fileBytes", json_object_new_int64((int64_t)s.file_bytes));
  json_object_object_add(sum, "wastedBytes", json_object_new_int64((int64_t)s.wasted_bytes));
  json_object_object_add(sum, "wastedFiles", json_object_new_int64((int64_t)s.wasted_files));
  json_object_object_add(sum, "whiteouts", json_object_new_int64((int64_t)s.whiteouts));
  json_object_object_add(sum, "opaqueDirectories", json_object_new_int64((int64_t)s.opaques));
  json_object_object_add(sum, "namesCleaned", json_object_new_int64((int64_t)s.bad_names));
  json_object_object_add(sum, "entriesSkipped", json_object_new_int64((int64_t)s.skipped));
  json_object_object_add(sum, "entriesTooLong", json_object_new_int64((int64_t)s.too_long));
  json_object_object_add(sum, "entriesOverBound", json_object_new_int64((int64_t)s.over_bound));
  json_object_object_add(sum, "layers", json_object_new_int64((int64_t)s.layers));
  json_object_object_add(sum, "layersRead", json_object_new_int64((int64_t)s.layers_read));
  json_object_object_add(sum, "treeBytes", json_object_new_int64((int64_t)s.tree_bytes));
  oci_json_writer_put(&w, "summary", sum);
  oci_json_writer_put(&w, "warnings", oci_jstrv(f->warnings, f->n_warnings));
  oci_json_writer_put_members(&w, opts->tail, opts->n_tail);
  oci_json_writer_close(&w);
  if (rc != OCIDIG_OK && rc != w.sink_rc) {
    ocidig_error ignore;
    oci_json_writer_finish(&w, &ignore);
    return rc;
  }
  return oci_json_writer_finish(&w, err);
}
