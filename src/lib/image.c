/* image.c: what an image is made of and what a layout holds.
 *
 *  - image configs, parsed into ocidig_image_config;
 *  - the graph of everything index.json reaches (indexes and manifests, read once each; never a
 *    layer), from which come the listing of `ocidig ls`, the attestations and referrers of a
 *    manifest, and the comparison of a hybrid archive's manifest.json with index.json;
 *  - the image a resolution selected, for `ocidig inspect`;
 *  - copying a blob out with its digest checked, for `ocidig cat`. */
#include "descriptor.h"
#include "layout.h"

#include <stdlib.h>
#include <string.h>

#define ANN_REF_NAME "org.opencontainers.image.ref.name"
#define ANN_CONTAINERD_NAME "io.containerd.image.name"
#define ANN_REF_TYPE "vnd.docker.reference.type"
#define ANN_REF_DIGEST "vnd.docker.reference.digest"
#define ANN_PREDICATE "in-toto.io/predicate-type"

/* ------------------------------------------------------------ string map */

/* Open addressing from a string to an index; keys are copied. */
typedef struct smap {
  char **keys;
  size_t *vals;
  size_t cap, n;
} smap;

static size_t str_hash(const char *s)
{
  size_t h = 1469598103934665603u;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211u;
  return h;
}

static bool smap_get(const smap *m, const char *key, size_t *val)
{
  if (!m->cap || !key)
    return false;
  for (size_t h = str_hash(key) & (m->cap - 1); m->keys[h]; h = (h + 1) & (m->cap - 1))
    if (!strcmp(m->keys[h], key)) {
      if (val)
        *val = m->vals[h];
      return true;
    }
  return false;
}

static bool smap_put(smap *m, const char *key, size_t val)
{
  size_t h;
  if ((m->n + 1) * 2 > m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 64;
    char **keys = calloc(cap, sizeof *keys);
    size_t *vals = calloc(cap, sizeof *vals);
    if (!keys || !vals) {
      free(keys);
      free(vals);
      return false;
    }
    for (size_t i = 0; i < m->cap; i++) {
      if (!m->keys[i])
        continue;
      for (h = str_hash(m->keys[i]) & (cap - 1); keys[h]; h = (h + 1) & (cap - 1))
        ;
      keys[h] = m->keys[i];
      vals[h] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
  }
  for (h = str_hash(key) & (m->cap - 1); m->keys[h]; h = (h + 1) & (m->cap - 1))
    if (!strcmp(m->keys[h], key)) {
      m->vals[h] = val;
      return true;
    }
  if (!(m->keys[h] = oci_strdup(key)))
    return false;
  m->vals[h] = val;
  m->n++;
  return true;
}

static void smap_free(smap *m)
{
  for (size_t i = 0; i < m->cap; i++)
    free(m->keys[i]);
  free(m->keys);
  free(m->vals);
  memset(m, 0, sizeof *m);
}

/* ------------------------------------------------------------ small helpers */

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_annotation(const void *a, const void *b)
{
  return strcmp(((const ocidig_annotation *)a)->key, ((const ocidig_annotation *)b)->key);
}

static bool strv_has(char **v, size_t n, const char *s)
{
  for (size_t i = 0; i < n; i++)
    if (!strcmp(v[i], s))
      return true;
  return false;
}

/* Appends s unless it is already there. */
static bool strv_add_unique(char ***v, size_t *n, const char *s)
{
  if (!s || !*s || strv_has(*v, *n, s))
    return true;
  return oci_strv_push(v, n, s);
}

static void push_warning(char ***v, size_t *n, const char *fmt, ...) OCI_PRINTF(3, 4);
static void push_warning(char ***v, size_t *n, const char *fmt, ...)
{
  char buf[OCIDIG_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  strv_add_unique(v, n, buf);
}

static void descriptors_free(ocidig_descriptor *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    ocidig_descriptor_clear(&v[i]);
  free(v);
}

static void annotations_free(ocidig_annotation *v, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(v[i].key);
    free(v[i].value);
  }
  free(v);
}

/* An object of strings -> annotations (sorted when `sort`). */
static ocidig_code string_map(json_object *obj, const char *key, const char *where, ocidig_annotation **out, size_t *n,
                              bool sort, ocidig_error *err)
{
  json_object *v = oci_json_get(obj, key);
  *out = NULL;
  *n = 0;
  if (!v)
    return OCIDIG_OK;
  if (!json_object_is_type(v, json_type_object))
    return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: \"%s\" must be an object of strings, not %s", where, key,
                    oci_json_type_name(v));
  {
    size_t len = (size_t)json_object_object_length(v);
    *out = calloc(len ? len : 1, sizeof **out);
    if (!*out)
      return oci_nomem(err);
  }
  json_object_object_foreach(v, k, val)
  {
    ocidig_annotation *a = &(*out)[*n];
    if (val && !json_object_is_type(val, json_type_string)) {
      annotations_free(*out, *n);
      *out = NULL;
      *n = 0;
      return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: %s \"%s\" must be a string, not %s", where, key, k,
                      oci_json_type_name(val));
    }
    a->key = oci_strdup(k);
    a->value = val ? oci_json_strdup(val) : oci_strdup("");
    (*n)++;
    if (!a->key || !a->value) {
      annotations_free(*out, *n);
      *out = NULL;
      *n = 0;
      return oci_nomem(err);
    }
  }
  if (sort && *n > 1)
    qsort(*out, *n, sizeof **out, cmp_annotation);
  return OCIDIG_OK;
}

/* An array of strings; null or absent gives *has false. */
static ocidig_code string_array(json_object *obj, const char *key, const char *where, char ***out, size_t *n,
                                bool *has, ocidig_error *err)
{
  json_object *v = oci_json_get(obj, key);
  size_t len;
  *out = NULL;
  *n = 0;
  if (has)
    *has = v != NULL;
  if (!v)
    return OCIDIG_OK;
  if (!json_object_is_type(v, json_type_array))
    return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: \"%s\" must be an array of strings, not %s", where, key,
                    oci_json_type_name(v));
  len = json_object_array_length(v);
  for (size_t i = 0; i < len; i++) {
    json_object *e = json_object_array_get_idx(v, i);
    char *s;
    if (!e || !json_object_is_type(e, json_type_string)) {
      oci_strv_free(*out, *n);
      *out = NULL;
      *n = 0;
      return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: \"%s\"[%zu] must be a string, not %s", where, key, i,
                      oci_json_type_name(e));
    }
    if (!(s = oci_json_strdup(e)) || !oci_strv_push(out, n, s)) {
      free(s);
      oci_strv_free(*out, *n);
      *out = NULL;
      *n = 0;
      return oci_nomem(err);
    }
    free(s);
  }
  return OCIDIG_OK;
}

/* The keys of an object ({"80/tcp": {}}), sorted. */
static ocidig_code object_keys(json_object *obj, const char *key, const char *where, char ***out, size_t *n,
                               ocidig_error *err)
{
  json_object *v = oci_json_get(obj, key);
  *out = NULL;
  *n = 0;
  if (!v)
    return OCIDIG_OK;
  if (!json_object_is_type(v, json_type_object))
    return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: \"%s\" must be an object, not %s", where, key,
                    oci_json_type_name(v));
  json_object_object_foreach(v, k, val)
  {
    (void)val;
    if (!oci_strv_push(out, n, k)) {
      oci_strv_free(*out, *n);
      *out = NULL;
      *n = 0;
      return oci_nomem(err);
    }
  }
  if (*n > 1)
    qsort(*out, *n, sizeof **out, cmp_str);
  return OCIDIG_OK;
}

static ocidig_code object_field(json_object *obj, const char *key, const char *where, json_object **out,
                                ocidig_error *err)
{
  *out = oci_json_get(obj, key);
  if (*out && !json_object_is_type(*out, json_type_object))
    return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: \"%s\" must be an object, not %s", where, key,
                    oci_json_type_name(*out));
  return OCIDIG_OK;
}

/* ------------------------------------------------------------ configs */

static ocidig_code parse_history(json_object *root, const char *where, ocidig_image_config *c, ocidig_error *err)
{
  json_object *h = oci_json_get(root, "history");
  size_t n;
  long layer = 0;
  ocidig_code rc;
  if (!h)
    return OCIDIG_OK;
  if (!json_object_is_type(h, json_type_array))
    return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: \"history\" must be an array, not %s", where,
                    oci_json_type_name(h));
  n = json_object_array_length(h);
  c->history = calloc(n ? n : 1, sizeof *c->history);
  if (!c->history)
    return oci_nomem(err);
  for (size_t i = 0; i < n; i++) {
    json_object *e = json_object_array_get_idx(h, i), *empty;
    ocidig_history *hi = &c->history[i];
    char w[300];
    c->n_history = i + 1;
    snprintf(w, sizeof w, "%.200s history[%zu]", where, i);
    if (!e || !json_object_is_type(e, json_type_object))
      return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s must be an object, not %s", w, oci_json_type_name(e));
    if ((rc = oci_json_string_field(e, "created", w, &hi->created, err)) != OCIDIG_OK ||
        (rc = oci_json_string_field(e, "created_by", w, &hi->created_by, err)) != OCIDIG_OK ||
        (rc = oci_json_string_field(e, "author", w, &hi->author, err)) != OCIDIG_OK ||
        (rc = oci_json_string_field(e, "comment", w, &hi->comment, err)) != OCIDIG_OK)
      return rc;
    empty = oci_json_get(e, "empty_layer");
    if (empty && !json_object_is_type(empty, json_type_boolean))
      return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: \"empty_layer\" must be a boolean, not %s", w,
                      oci_json_type_name(empty));
    hi->empty_layer = empty && json_object_get_boolean(empty);
    hi->layer = hi->empty_layer ? -1 : layer++;
  }
  return OCIDIG_OK;
}

ocidig_code ocidig_image_config_parse(const uint8_t *data, size_t len, const char *what, ocidig_image_config *c,
                                      ocidig_error *err)
{
  oci_json_doc doc;
  json_object *cfg, *rootfs;
  ocidig_code rc;
  char w[300];

  OCI_REQUIRE(c, "out", err);
  memset(c, 0, sizeof *c);
  OCI_REQUIRE(data, "data", err);
  if (!what)
    what = "the config";
  if ((rc = oci_json_parse(data, len, what, &doc, err)) != OCIDIG_OK)
    return rc;
  if (!json_object_is_type(doc.root, json_type_object)) {
    rc = oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s is %s, not an object", what, oci_json_type_name(doc.root));
    goto out;
  }
  if ((rc = oci_platform_parse_json(doc.root, what, &c->platform, NULL, err)) != OCIDIG_OK ||
      (rc = oci_json_string_field(doc.root, "created", what, &c->created, err)) != OCIDIG_OK ||
      (rc = oci_json_string_field(doc.root, "author", what, &c->author, err)) != OCIDIG_OK ||
      (rc = object_field(doc.root, "config", what, &cfg, err)) != OCIDIG_OK ||
      (rc = object_field(doc.root, "rootfs", what, &rootfs, err)) != OCIDIG_OK)
    goto out;
  snprintf(w, sizeof w, "%.200s config", what);
  if (cfg && ((rc = oci_json_string_field(cfg, "User", w, &c->user, err)) != OCIDIG_OK ||
              (rc = oci_json_string_field(cfg, "WorkingDir", w, &c->working_dir, err)) != OCIDIG_OK ||
              (rc = oci_json_string_field(cfg, "StopSignal", w, &c->stop_signal, err)) != OCIDIG_OK ||
              (rc = string_array(cfg, "Entrypoint", w, &c->entrypoint, &c->n_entrypoint, &c->has_entrypoint, err)) !=
                OCIDIG_OK ||
              (rc = string_array(cfg, "Cmd", w, &c->cmd, &c->n_cmd, &c->has_cmd, err)) != OCIDIG_OK ||
              (rc = string_array(cfg, "Env", w, &c->env, &c->n_env, NULL, err)) != OCIDIG_OK ||
              (rc = object_keys(cfg, "ExposedPorts", w, &c->exposed_ports, &c->n_exposed_ports, err)) != OCIDIG_OK ||
              (rc = object_keys(cfg, "Volumes", w, &c->volumes, &c->n_volumes, err)) != OCIDIG_OK ||
              (rc = string_map(cfg, "Labels", w, &c->labels, &c->n_labels, true, err)) != OCIDIG_OK))
    goto out;
  snprintf(w, sizeof w, "%.200s rootfs", what);
  if (rootfs && ((rc = oci_json_string_field(rootfs, "type", w, &c->rootfs_type, err)) != OCIDIG_OK ||
                 (rc = string_array(rootfs, "diff_ids", w, &c->diff_ids, &c->n_diff_ids, NULL, err)) != OCIDIG_OK))
    goto out;
  rc = parse_history(doc.root, what, c, err);
out:
  oci_json_doc_free(&doc);
  if (rc != OCIDIG_OK)
    ocidig_image_config_clear(c);
  return rc;
}

void ocidig_image_config_clear(ocidig_image_config *c)
{
  if (!c)
    return;
  ocidig_platform_clear(&c->platform);
  free(c->created);
  free(c->author);
  free(c->user);
  free(c->working_dir);
  free(c->stop_signal);
  oci_strv_free(c->entrypoint, c->n_entrypoint);
  oci_strv_free(c->cmd, c->n_cmd);
  oci_strv_free(c->env, c->n_env);
  oci_strv_free(c->exposed_ports, c->n_exposed_ports);
  oci_strv_free(c->volumes, c->n_volumes);
  annotations_free(c->labels, c->n_labels);
  free(c->rootfs_type);
  oci_strv_free(c->diff_ids, c->n_diff_ids);
  for (size_t i = 0; i < c->n_history; i++) {
    free(c->history[i].created);
    free(c->history[i].created_by);
    free(c->history[i].author);
    free(c->history[i].comment);
  }
  free(c->history);
  memset(c, 0, sizeof *c);
}

static bool ends_with(const char *s, const char *suffix)
{
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && !strcmp(s + n - k, suffix);
}

const char *ocidig_layer_compression(const char *mt)
{
  if (!mt)
    return NULL;
  if (strstr(mt, ".nondistributable.") || strstr(mt, ".foreign."))
    return "foreign";
  if (ends_with(mt, "+encrypted"))
    return "encrypted";
  if (!strncmp(mt, "application/vnd.oci.image.layer.", 32) || !strncmp(mt, "application/vnd.docker.image.rootfs.", 36)) {
    if (ends_with(mt, "+gzip") || ends_with(mt, ".tar.gzip"))
      return "gzip";
    if (ends_with(mt, "+zstd") || ends_with(mt, ".tar.zstd"))
      return "zstd";
    if (!strcmp(mt, "application/vnd.oci.image.layer.v1.tar") || !strcmp(mt, OCIDIG_MT_DOCKER_LAYER))
      return "uncompressed";
  }
  return NULL;
}

/* ------------------------------------------------------------ the graph */

/* One index or manifest that index.json reaches. */
typedef struct gnode {
  char *digest;
  ocidig_descriptor desc; /* the first descriptor met for it */
  char *parent;           /* where: "index.json" or an index's digest */
  ocidig_kind kind;       /* by the descriptor's media type */
  bool present;
  ocidig_code code;       /* reading failed (other than absent) */
  char *error;
  ocidig_descriptor *kids; /* an index's children */
  size_t n_kids;
  char *body_media_type;  /* a manifest's */
  char *artifact_type;
  char *subject;
  bool has_config;
  ocidig_descriptor config;
  ocidig_descriptor *layers;
  size_t n_layers;
  ocidig_annotation *annotations;
  size_t n_annotations;
  int cfg_state;          /* 0 not read, 1 read, 2 could not be read */
  ocidig_platform cfg_platform;
} gnode;

typedef struct graph {
  ocidig_layout *layout;
  ocidig_descriptor *roots;
  size_t n_roots;
  gnode *nodes;
  size_t n_nodes, cap_nodes;
  smap by_digest;
  char **warnings;
  size_t n_warnings;
} graph;

static void gnode_free(gnode *n)
{
  free(n->digest);
  ocidig_descriptor_clear(&n->desc);
  free(n->parent);
  free(n->error);
  descriptors_free(n->kids, n->n_kids);
  free(n->body_media_type);
  free(n->artifact_type);
  free(n->subject);
  ocidig_descriptor_clear(&n->config);
  descriptors_free(n->layers, n->n_layers);
  annotations_free(n->annotations, n->n_annotations);
  ocidig_platform_clear(&n->cfg_platform);
}

static void graph_free(graph *g)
{
  descriptors_free(g->roots, g->n_roots);
  for (size_t i = 0; i < g->n_nodes; i++)
    gnode_free(&g->nodes[i]);
  free(g->nodes);
  smap_free(&g->by_digest);
  oci_strv_free(g->warnings, g->n_warnings);
  memset(g, 0, sizeof *g);
}

static gnode *graph_node(const graph *g, const char *digest)
{
  size_t i;
  return smap_get(&g->by_digest, digest, &i) ? &g->nodes[i] : NULL;
}

/* The "manifests" of an index document, each decoded. */
static ocidig_code parse_manifests(json_object *root, const char *what, ocidig_descriptor **out, size_t *n,
                                   ocidig_error *err)
{
  json_object *arr = oci_json_get(root, "manifests");
  size_t len;
  *out = NULL;
  *n = 0;
  if (!arr)
    return OCIDIG_OK;
  if (!json_object_is_type(arr, json_type_array))
    return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: \"manifests\" must be an array, not %s", what,
                    oci_json_type_name(arr));
  len = json_object_array_length(arr);
  if (len > OCIDIG_MAX_INDEX_DESCRIPTORS)
    return oci_fail(err, OCIDIG_ERR_LIMIT, "%s: %zu descriptors, more than the limit of %d", what, len,
                    OCIDIG_MAX_INDEX_DESCRIPTORS);
  *out = calloc(len ? len : 1, sizeof **out);
  if (!*out)
    return oci_nomem(err);
  for (size_t i = 0; i < len; i++) {
    char where[300];
    ocidig_code rc;
    snprintf(where, sizeof where, "%.200s manifests[%zu]", what, i);
    if ((rc = oci_descriptor_parse(json_object_array_get_idx(arr, i), where, &(*out)[i], err)) != OCIDIG_OK) {
      descriptors_free(*out, *n);
      *out = NULL;
      *n = 0;
      return rc;
    }
    *n = i + 1;
  }
  return OCIDIG_OK;
}

/* What the graph keeps of a manifest document. */
static ocidig_code parse_manifest_doc(json_object *root, const char *what, gnode *n, ocidig_error *err)
{
  json_object *c, *layers, *subject;
  ocidig_code rc;
  if ((rc = oci_json_string_field(root, "mediaType", what, &n->body_media_type, err)) != OCIDIG_OK ||
      (rc = oci_json_string_field(root, "artifactType", what, &n->artifact_type, err)) != OCIDIG_OK ||
      (rc = string_map(root, "annotations", what, &n->annotations, &n->n_annotations, false, err)) != OCIDIG_OK)
    return rc;
  if ((c = oci_json_get(root, "config")) != NULL) {
    char where[300];
    snprintf(where, sizeof where, "%.200s config", what);
    if ((rc = oci_descriptor_parse(c, where, &n->config, err)) != OCIDIG_OK)
      return rc;
    n->has_config = true;
  }
  if ((layers = oci_json_get(root, "layers")) != NULL) {
    size_t len;
    if (!json_object_is_type(layers, json_type_array))
      return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: \"layers\" must be an array, not %s", what,
                      oci_json_type_name(layers));
    len = json_object_array_length(layers);
    n->layers = calloc(len ? len : 1, sizeof *n->layers);
    if (!n->layers)
      return oci_nomem(err);
    for (size_t i = 0; i < len; i++) {
      char where[300];
      snprintf(where, sizeof where, "%.200s layers[%zu]", what, i);
      if ((rc = oci_descriptor_parse(json_object_array_get_idx(layers, i), where, &n->layers[i], err)) != OCIDIG_OK)
        return rc;
      n->n_layers = i + 1;
    }
  }
  if ((subject = oci_json_get(root, "subject")) != NULL) {
    ocidig_descriptor s;
    char where[300];
    snprintf(where, sizeof where, "%.200s subject", what);
    if ((rc = oci_descriptor_parse(subject, where, &s, err)) != OCIDIG_OK)
      return rc;
    n->subject = s.digest_string;
    s.digest_string = NULL;
    ocidig_descriptor_clear(&s);
  }
  return OCIDIG_OK;
}

static void node_error(gnode *n, const ocidig_error *e)
{
  n->code = e->code;
  free(n->error);
  n->error = oci_strdup(e->message);
}

static ocidig_code graph_visit(graph *g, const ocidig_descriptor *d, const char *parent, unsigned level,
                               ocidig_error *err);

/* Reads a node's document and, for an index, visits its children. */
static ocidig_code graph_read(graph *g, size_t ni, unsigned level, ocidig_error *err)
{
  gnode *n = &g->nodes[ni];
  uint8_t *data = NULL;
  size_t len = 0;
  oci_json_doc doc;
  ocidig_error e;
  ocidig_code rc;
  char what[OCIDIG_DIGEST_STRING_MAX + 16];
  bool is_index = n->kind == OCIDIG_KIND_INDEX;

  snprintf(what, sizeof what, "%s %s", is_index ? "index" : "manifest", n->digest);
  if (is_index && level > OCIDIG_MAX_INDEX_NESTING) {
    oci_fail(&e, OCIDIG_ERR_NESTING_TOO_DEEP, "%s is nested %u levels deep, more than the limit of %d", what, level,
             OCIDIG_MAX_INDEX_NESTING);
    n->present = true;
    node_error(n, &e);
    return OCIDIG_OK;
  }
  rc = ocidig_layout_read_blob(g->layout, &n->desc.digest, n->desc.size, OCIDIG_MAX_JSON_SIZE, &data, &len, &e);
  if (rc == OCIDIG_ERR_NOMEM)
    return oci_nomem(err);
  if (rc == OCIDIG_ERR_BLOB_MISSING)
    return OCIDIG_OK;
  n->present = true;
  if (rc != OCIDIG_OK) {
    node_error(n, &e);
    return OCIDIG_OK;
  }
  rc = oci_json_parse(data, len, what, &doc, &e);
  free(data);
  if (rc == OCIDIG_ERR_NOMEM)
    return oci_nomem(err);
  if (rc != OCIDIG_OK) {
    node_error(n, &e);
    return OCIDIG_OK;
  }
  if (!json_object_is_type(doc.root, json_type_object))
    rc = oci_fail(&e, OCIDIG_ERR_INVALID_JSON, "%s is %s, not an object", what, oci_json_type_name(doc.root));
  else if (is_index && (oci_json_has(doc.root, "config") || oci_json_has(doc.root, "layers")))
    rc = oci_fail(&e, OCIDIG_ERR_KIND_MISMATCH, "%s: expected an index but the body is a manifest", what);
  else if (!is_index && oci_json_has(doc.root, "manifests"))
    rc = oci_fail(&e, OCIDIG_ERR_KIND_MISMATCH, "%s: expected a manifest but the body is an index", what);
  else if (is_index)
    rc = parse_manifests(doc.root, what, &n->kids, &n->n_kids, &e);
  else
    rc = parse_manifest_doc(doc.root, what, n, &e);
  oci_json_doc_free(&doc);
  if (rc == OCIDIG_ERR_NOMEM)
    return oci_nomem(err);
  if (rc != OCIDIG_OK) {
    node_error(n, &e);
    return OCIDIG_OK;
  }
  if (is_index) {
    /* The children array does not move while g->nodes grows. */
    const ocidig_descriptor *kids = n->kids;
    size_t n_kids = n->n_kids;
    const char *self = n->digest;
    for (size_t i = 0; i < n_kids; i++)
      if ((rc = graph_visit(g, &kids[i], self, level + 1, err)) != OCIDIG_OK)
        return rc;
  }
  return OCIDIG_OK;
}

static ocidig_code graph_visit(graph *g, const ocidig_descriptor *d, const char *parent, unsigned level,
                               ocidig_error *err)
{
  gnode *n;
  size_t ni;
  if (d->digest_code != OCIDIG_OK) {
    push_warning(&g->warnings, &g->n_warnings, "a descriptor in %s has an invalid digest %s: skipped", parent,
                 d->digest_string ? d->digest_string : "(none)");
    return OCIDIG_OK;
  }
  if (smap_get(&g->by_digest, d->digest_string, NULL))
    return OCIDIG_OK;
  if (!oci_grow((void **)&g->nodes, &g->cap_nodes, g->n_nodes + 1, sizeof *g->nodes))
    return oci_nomem(err);
  ni = g->n_nodes;
  n = &g->nodes[ni];
  memset(n, 0, sizeof *n);
  n->kind = ocidig_media_type_kind(d->media_type);
  if (!(n->digest = oci_strdup(d->digest_string)) || !(n->parent = oci_strdup(parent)) ||
      oci_descriptor_copy(&n->desc, d, err) != OCIDIG_OK) {
    gnode_free(n);
    return oci_nomem(err);
  }
  g->n_nodes++;
  if (!smap_put(&g->by_digest, n->digest, ni))
    return oci_nomem(err);
  if (n->kind == OCIDIG_KIND_OTHER) {
    /* Not a type this tool reads; only its presence is known. */
    ocidig_entry e;
    char path[OCIDIG_DIGEST_STRING_MAX + 8];
    ocidig_digest_blob_path(&n->desc.digest, path);
    n->present = ocidig_layout_stat(g->layout, path, &e, NULL) == OCIDIG_OK;
    return OCIDIG_OK;
  }
  return graph_read(g, ni, level, err);
}

/* Reads index.json and everything it reaches.  No index.json: OCIDIG_ERR_BLOB_MISSING. */
static ocidig_code graph_build(ocidig_layout *l, graph *g, ocidig_error *err)
{
  uint8_t *data;
  size_t len;
  oci_json_doc doc;
  ocidig_code rc;

  memset(g, 0, sizeof *g);
  g->layout = l;
  rc = ocidig_layout_read_file(l, "index.json", OCIDIG_MAX_JSON_SIZE, &data, &len, err);
  if (rc != OCIDIG_OK)
    return rc;
  rc = oci_json_parse(data, len, "index.json", &doc, err);
  free(data);
  if (rc != OCIDIG_OK)
    return rc;
  if (!json_object_is_type(doc.root, json_type_object))
    rc = oci_fail(err, OCIDIG_ERR_INVALID_JSON, "index.json is %s, not an object", oci_json_type_name(doc.root));
  else
    rc = parse_manifests(doc.root, "index.json", &g->roots, &g->n_roots, err);
  oci_json_doc_free(&doc);
  for (size_t i = 0; i < g->n_roots && rc == OCIDIG_OK; i++)
    rc = graph_visit(g, &g->roots[i], "index.json", 1, err);
  if (rc != OCIDIG_OK)
    graph_free(g);
  return rc;
}

/* The platform in a manifest's config (read once). */
static const ocidig_platform *node_config_platform(graph *g, gnode *n)
{
  if (n->cfg_state == 0) {
    uint8_t *data;
    size_t len;
    oci_json_doc doc;
    n->cfg_state = 2;
    if (!n->has_config || n->config.digest_code != OCIDIG_OK ||
        ocidig_layout_read_blob(g->layout, &n->config.digest, n->config.size, OCIDIG_MAX_JSON_SIZE, &data, &len,
                                NULL) != OCIDIG_OK)
      return NULL;
    if (oci_json_parse(data, len, "config", &doc, NULL) == OCIDIG_OK) {
      if (json_object_is_type(doc.root, json_type_object) &&
          oci_platform_parse_json(doc.root, "config", &n->cfg_platform, NULL, NULL) == OCIDIG_OK)
        n->cfg_state = 1;
      oci_json_doc_free(&doc);
    }
    free(data);
  }
  return n->cfg_state == 1 ? &n->cfg_platform : NULL;
}

static bool blob_present(ocidig_layout *l, const ocidig_descriptor *d, int64_t *size)
{
  char path[OCIDIG_DIGEST_STRING_MAX + 8];
  ocidig_entry e;
  if (size)
    *size = -1;
  if (d->digest_code != OCIDIG_OK)
    return false;
  ocidig_digest_blob_path(&d->digest, path);
  if (ocidig_layout_stat(l, path, &e, NULL) != OCIDIG_OK)
    return false;
  if (size)
    *size = e.size;
  return true;
}

/* The names an index.json entry gives: io.containerd.image.name, then the ref name unless
 * it is only the tag of the former. */
static bool add_entry_names(const ocidig_descriptor *d, char ***names, size_t *n)
{
  const char *c = ocidig_descriptor_annotation(d, ANN_CONTAINERD_NAME);
  const char *r = ocidig_descriptor_annotation(d, ANN_REF_NAME);
  if (c && *c && !strv_add_unique(names, n, c))
    return false;
  if (r && *r) {
    size_t cl = c ? strlen(c) : 0, rl = strlen(r);
    bool tag_of_c = c && cl > rl && c[cl - rl - 1] == ':' && !strcmp(c + cl - rl, r);
    if (!tag_of_c && !strv_add_unique(names, n, r))
      return false;
  }
  return true;
}

/* ------------------------------------------------------------ hybrid archives */

/* Do the layer digests of a manifest equal the files manifest.json lists? */
static bool same_layers(const gnode *n, const ocidig_docker_image *im)
{
  if (n->n_layers != im->n_layers)
    return false;
  for (size_t i = 0; i < im->n_layers; i++)
    if (!im->layers[i].digest || !oci_streq(im->layers[i].digest, n->layers[i].digest_string))
      return false;
  return true;
}

/* A name as index.json may write it: "docker.io/library/x:t" and "x:t" are the same. */
static bool names_match(const char *a, const char *b)
{
  static const char *const prefixes[] = {"docker.io/library/", "docker.io/", "index.docker.io/library/",
                                         "index.docker.io/"};
  const char *sa = a, *sb = b;
  if (!strcmp(a, b))
    return true;
  for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
    size_t k = strlen(prefixes[i]);
    if (sa == a && !strncmp(a, prefixes[i], k))
      sa = a + k;
    if (sb == b && !strncmp(b, prefixes[i], k))
      sb = b + k;
  }
  return !strcmp(sa, sb);
}

static ocidig_code compare_with_graph(graph *g, ocidig_docker_archive *a)
{
  for (size_t i = 0; i < a->n_images; i++) {
    ocidig_docker_image *im = &a->images[i];
    const char *label = im->n_repo_tags ? im->repo_tags[0] : oci_str(im->image_id);
    const char *cfg = im->config_digest ? im->config_digest : im->image_id;
    const gnode *match = NULL, *layers_match = NULL;
    if (im->config_code == OCIDIG_ERR_BLOB_MISSING)
      push_warning(&a->warnings, &a->n_warnings, "manifest.json: image %s: its config %s is not in the archive",
                   label, im->config_path);
    for (size_t k = 0; k < im->n_layers; k++)
      if (!im->layers[k].file)
        push_warning(&a->warnings, &a->n_warnings, "manifest.json: image %s: layer %s is not in the archive", label,
                     im->layers[k].path);
    if (!cfg)
      continue;
    for (size_t k = 0; k < g->n_nodes && !layers_match; k++) {
      const gnode *n = &g->nodes[k];
      if (n->kind != OCIDIG_KIND_MANIFEST || !n->has_config || !oci_streq(n->config.digest_string, cfg))
        continue;
      if (!match)
        match = n;
      if (same_layers(n, im))
        layers_match = n;
    }
    if (!match) {
      push_warning(&a->warnings, &a->n_warnings,
                   "manifest.json disagrees with index.json: image %s (config %s) is not an image that index.json "
                   "reaches",
                   label, cfg);
      continue;
    }
    if (!layers_match)
      push_warning(&a->warnings, &a->n_warnings,
                   "manifest.json disagrees with index.json: image %s lists other layers than manifest %s, which "
                   "has the same config",
                   label, match->digest);
    /* Its RepoTags should be names index.json gives an entry leading to this manifest. */
    for (size_t t = 0; t < im->n_repo_tags; t++) {
      bool named = false;
      for (size_t r = 0; r < g->n_roots && !named; r++) {
        const char *names[2] = {ocidig_descriptor_annotation(&g->roots[r], ANN_CONTAINERD_NAME),
                                ocidig_descriptor_annotation(&g->roots[r], ANN_REF_NAME)};
        for (int j = 0; j < 2 && !named; j++)
          named = names[j] && names_match(names[j], im->repo_tags[t]);
      }
      if (!named)
        push_warning(&a->warnings, &a->n_warnings,
                     "manifest.json disagrees with index.json: RepoTag %s is not a name index.json gives", im->repo_tags[t]);
    }
  }
  return OCIDIG_OK;
}

ocidig_code ocidig_docker_archive_compare(ocidig_layout *l, ocidig_docker_archive *a, ocidig_error *err)
{
  graph g;
  ocidig_code rc;
  OCI_REQUIRE(l, "the layout", err);
  OCI_REQUIRE(a, "the archive", err);
  if ((rc = graph_build(l, &g, err)) != OCIDIG_OK)
    return rc;
  rc = compare_with_graph(&g, a);
  graph_free(&g);
  return rc;
}

/* ------------------------------------------------------------ attestations, referrers */

void ocidig_related_free(ocidig_related *v, size_t n)
{
  if (!v)
    return;
  for (size_t i = 0; i < n; i++) {
    ocidig_descriptor_clear(&v[i].desc);
    free(v[i].found_in);
    free(v[i].artifact_type);
    oci_strv_free(v[i].predicate_types, v[i].n_predicate_types);
  }
  free(v);
}

static ocidig_code add_related(ocidig_related **v, size_t *n, ocidig_related_kind kind, const ocidig_descriptor *d,
                               const char *found_in, const gnode *node, ocidig_error *err)
{
  ocidig_related *r;
  for (size_t i = 0; i < *n; i++)
    if (oci_streq((*v)[i].desc.digest_string, d->digest_string))
      return OCIDIG_OK;
  r = realloc(*v, (*n + 1) * sizeof *r);
  if (!r)
    return oci_nomem(err);
  *v = r;
  r = &r[*n];
  memset(r, 0, sizeof *r);
  (*n)++;
  r->kind = kind;
  r->present = node && node->present;
  if (oci_descriptor_copy(&r->desc, d, err) != OCIDIG_OK || !(r->found_in = oci_strdup(found_in)))
    return oci_nomem(err);
  if (kind == OCIDIG_RELATED_REFERRER) {
    const char *at = node && node->artifact_type ? node->artifact_type
                     : d->artifact_type          ? d->artifact_type
                     : node && node->has_config  ? node->config.media_type
                                                 : NULL;
    if (at && !(r->artifact_type = oci_strdup(at)))
      return oci_nomem(err);
  }
  if (node)
    for (size_t i = 0; i < node->n_layers; i++) {
      const char *p = ocidig_descriptor_annotation(&node->layers[i], ANN_PREDICATE);
      if (p && !strv_add_unique(&r->predicate_types, &r->n_predicate_types, p))
        return oci_nomem(err);
    }
  return OCIDIG_OK;
}

static bool attests(const ocidig_descriptor *d, const char *digest)
{
  const char *type = ocidig_descriptor_annotation(d, ANN_REF_TYPE);
  const char *target = ocidig_descriptor_annotation(d, ANN_REF_DIGEST);
  return type && !strcmp(type, "attestation-manifest") && target && !strcmp(target, digest);
}

static ocidig_code graph_related(graph *g, const char *digest, ocidig_related **out, size_t *n, ocidig_error *err)
{
  ocidig_code rc = OCIDIG_OK;
  *out = NULL;
  *n = 0;
  /* buildx attestation manifests, listed beside the image in an index (or index.json). */
  for (size_t i = 0; i < g->n_roots && rc == OCIDIG_OK; i++)
    if (attests(&g->roots[i], digest))
      rc = add_related(out, n, OCIDIG_RELATED_ATTESTATION, &g->roots[i], "index.json",
                       graph_node(g, g->roots[i].digest_string), err);
  for (size_t k = 0; k < g->n_nodes && rc == OCIDIG_OK; k++) {
    const gnode *idx = &g->nodes[k];
    for (size_t i = 0; i < idx->n_kids && rc == OCIDIG_OK; i++)
      if (attests(&idx->kids[i], digest))
        rc = add_related(out, n, OCIDIG_RELATED_ATTESTATION, &idx->kids[i], idx->digest,
                         graph_node(g, idx->kids[i].digest_string), err);
  }
  /* OCI 1.1 referrers: manifests whose subject is this one, wherever index.json reaches them
   * (listed in index.json, or in a referrers index tagged <alg>-<hex>). */
  for (size_t k = 0; k < g->n_nodes && rc == OCIDIG_OK; k++) {
    const gnode *m = &g->nodes[k];
    if (m->subject && !strcmp(m->subject, digest))
      rc = add_related(out, n, OCIDIG_RELATED_REFERRER, &m->desc, m->parent, m, err);
  }
  if (rc != OCIDIG_OK) {
    ocidig_related_free(*out, *n);
    *out = NULL;
    *n = 0;
  }
  return rc;
}

ocidig_code ocidig_find_related(ocidig_layout *l, const char *digest, ocidig_related **out, size_t *n,
                                ocidig_error *err)
{
  graph g;
  ocidig_code rc;
  OCI_REQUIRE(out, "out", err);
  OCI_REQUIRE(n, "n", err);
  *out = NULL;
  *n = 0;
  OCI_REQUIRE(l, "the layout", err);
  OCI_REQUIRE(digest, "the digest", err);
  if ((rc = graph_build(l, &g, err)) != OCIDIG_OK)
    return rc;
  rc = graph_related(&g, digest, out, n, err);
  graph_free(&g);
  return rc;
}

/* ------------------------------------------------------------ inspect */

void ocidig_image_free(ocidig_image *img)
{
  if (!img)
    return;
  oci_strv_free(img->names, img->n_names);
  ocidig_descriptor_clear(&img->manifest);
  free(img->manifest_media_type);
  annotations_free(img->annotations, img->n_annotations);
  free(img->subject);
  free(img->image_id);
  ocidig_platform_clear(&img->platform);
  ocidig_descriptor_clear(&img->config);
  ocidig_image_config_clear(&img->cfg);
  for (size_t i = 0; i < img->n_layers; i++) {
    ocidig_descriptor_clear(&img->layers[i].desc);
    free(img->layers[i].diff_id);
    free(img->layers[i].file);
  }
  free(img->layers);
  ocidig_related_free(img->related, img->n_related);
  oci_strv_free(img->warnings, img->n_warnings);
  free(img);
}

/* Parses the config's bytes into img->cfg. */
static ocidig_code load_config_bytes(ocidig_image *img, uint8_t *data, size_t len, const char *what,
                                     ocidig_error *err)
{
  ocidig_code rc = ocidig_image_config_parse(data, len, what, &img->cfg, err);
  free(data);
  if (rc == OCIDIG_OK)
    img->config_read = true;
  return rc;
}

static ocidig_code layers_alloc(ocidig_image *img, size_t n, ocidig_error *err)
{
  img->layers = calloc(n ? n : 1, sizeof *img->layers);
  return img->layers ? OCIDIG_OK : oci_nomem(err);
}

static ocidig_code load_docker(ocidig_layout *l, const ocidig_resolution *r, ocidig_image *img, ocidig_error *err)
{
  ocidig_docker_archive *a = NULL;
  const ocidig_docker_image *im = NULL;
  ocidig_code rc;
  uint8_t *data;
  size_t len;

  img->registry_manifest = false;
  if ((rc = ocidig_docker_archive_read(l, &a, err)) != OCIDIG_OK)
    return rc;
  for (size_t i = 0; i < a->n_images && !im; i++)
    if (oci_streq(a->images[i].image_id, r->selected.digest_string))
      im = &a->images[i];
  if (!im) {
    ocidig_docker_archive_free(a);
    return oci_fail(err, OCIDIG_ERR_BLOB_MISSING, "manifest.json: no image with the image ID %s",
                    oci_str(r->selected.digest_string));
  }
  for (size_t i = 0; i < a->n_warnings; i++)
    push_warning(&img->warnings, &img->n_warnings, "%s", a->warnings[i]);
  for (size_t i = 0; i < im->n_repo_tags; i++)
    if (!strv_add_unique(&img->names, &img->n_names, im->repo_tags[i]))
      goto nomem;
  if (!(img->image_id = oci_strdup(im->image_id)) || oci_descriptor_copy(&img->config, &r->config, err) != OCIDIG_OK)
    goto nomem;
  if ((rc = layers_alloc(img, im->n_layers, err)) != OCIDIG_OK)
    goto out;
  for (size_t i = 0; i < im->n_layers && i < r->n_layers; i++) {
    ocidig_image_layer *ly = &img->layers[i];
    img->n_layers = i + 1;
    if (oci_descriptor_copy(&ly->desc, &r->layers[i], err) != OCIDIG_OK)
      goto nomem;
    ly->compression = "uncompressed";
    ly->present = im->layers[i].file != NULL;
    ly->diff_id = oci_strdup(im->layers[i].diff_id);
    ly->file = oci_strdup(im->layers[i].file);
    if (!ly->present)
      img->n_missing++;
    img->layers_size = oci_size_add(img->layers_size, ly->desc.size);
  }
  rc = ocidig_layout_read_file(l, im->config_file, OCIDIG_MAX_JSON_SIZE, &data, &len, err);
  if (rc == OCIDIG_OK) {
    char what[OCIDIG_MAX_PATH_LENGTH + 16];
    snprintf(what, sizeof what, "config %s", im->config_path);
    rc = load_config_bytes(img, data, len, what, err);
  }
  goto out;
nomem:
  rc = oci_nomem(err);
out:
  ocidig_docker_archive_free(a);
  return rc;
}

/* The index.json entry the resolution started from: the row at depth 1 with verdict selected. */
static const char *root_digest(const ocidig_resolution *r)
{
  for (size_t i = 0; i < r->n_rows; i++)
    if (r->rows[i].depth == 1 && r->rows[i].verdict == OCIDIG_VERDICT_SELECTED)
      return r->rows[i].desc.digest_string;
  return r->selected.digest_string;
}

static ocidig_code load_oci(ocidig_layout *l, const ocidig_resolution *r, ocidig_image *img, ocidig_error *err)
{
  graph g;
  ocidig_code rc;
  uint8_t *data = NULL;
  size_t len = 0;
  oci_json_doc doc;
  const char *root = root_digest(r);
  char what[OCIDIG_DIGEST_STRING_MAX + 16];

  img->registry_manifest = true;
  if (oci_descriptor_copy(&img->manifest, &r->selected, err) != OCIDIG_OK ||
      oci_descriptor_copy(&img->config, &r->config, err) != OCIDIG_OK ||
      (r->config.digest_string && !(img->image_id = oci_strdup(r->config.digest_string))))
    return oci_nomem(err);

  /* The manifest once more, for what the resolution does not keep (annotations, subject). */
  snprintf(what, sizeof what, "manifest %s", oci_str(r->selected.digest_string));
  if (r->selected.digest_code != OCIDIG_OK)
    return oci_fail(err, OCIDIG_ERR_INVALID_DIGEST, "%s: not a valid digest", what);
  if (r->selected.has_data && (int64_t)r->selected.data_len == r->selected.size) {
    if ((data = malloc(r->selected.data_len + 1)) == NULL)
      return oci_nomem(err);
    memcpy(data, r->selected.data, r->selected.data_len);
    len = r->selected.data_len;
    {
      char hex[129];
      oci_hash_hex(r->selected.digest.alg, data, len, hex);
      if (strcmp(hex, r->selected.digest.hex)) {
        free(data);
        data = NULL;
      }
    }
  }
  if (!data && (rc = ocidig_layout_read_blob(l, &r->selected.digest, r->selected.size, OCIDIG_MAX_JSON_SIZE, &data,
                                             &len, err)) != OCIDIG_OK)
    return rc;
  rc = oci_json_parse(data, len, what, &doc, err);
  free(data);
  if (rc != OCIDIG_OK)
    return rc;
  if (json_object_is_type(doc.root, json_type_object)) {
    gnode tmp;
    memset(&tmp, 0, sizeof tmp);
    rc = parse_manifest_doc(doc.root, what, &tmp, err);
    img->manifest_media_type = tmp.body_media_type;
    img->annotations = tmp.annotations;
    img->n_annotations = tmp.n_annotations;
    img->subject = tmp.subject;
    tmp.body_media_type = NULL;
    tmp.annotations = NULL;
    tmp.n_annotations = 0;
    tmp.subject = NULL;
    gnode_free(&tmp);
  }
  oci_json_doc_free(&doc);
  if (rc != OCIDIG_OK)
    return rc;

  /* The config. */
  if (!r->config.digest_string) {
    push_warning(&img->warnings, &img->n_warnings, "manifest %s has no config descriptor",
                 oci_str(r->selected.digest_string));
  } else if (r->config.digest_code != OCIDIG_OK) {
    return oci_fail(err, OCIDIG_ERR_INVALID_DIGEST, "config %s: not a valid digest", r->config.digest_string);
  } else {
    rc = ocidig_layout_read_blob(l, &r->config.digest, r->config.size, OCIDIG_MAX_JSON_SIZE, &data, &len, err);
    if (rc == OCIDIG_ERR_BLOB_MISSING) {
      push_warning(&img->warnings, &img->n_warnings, "config %s is not in the layout: nothing of it is shown",
                   r->config.digest_string);
    } else if (rc != OCIDIG_OK) {
      return rc;
    } else {
      snprintf(what, sizeof what, "config %s", r->config.digest_string);
      if ((rc = load_config_bytes(img, data, len, what, err)) != OCIDIG_OK)
        return rc;
    }
  }

  /* The layers. */
  if ((rc = layers_alloc(img, r->n_layers, err)) != OCIDIG_OK)
    return rc;
  for (size_t i = 0; i < r->n_layers; i++) {
    ocidig_image_layer *ly = &img->layers[i];
    char path[OCIDIG_DIGEST_STRING_MAX + 8];
    img->n_layers = i + 1;
    if (oci_descriptor_copy(&ly->desc, &r->layers[i], err) != OCIDIG_OK)
      return oci_nomem(err);
    ly->compression = ocidig_layer_compression(ly->desc.media_type);
    if (img->config_read && i < img->cfg.n_diff_ids && !(ly->diff_id = oci_strdup(img->cfg.diff_ids[i])))
      return oci_nomem(err);
    ly->present = blob_present(l, &ly->desc, NULL);
    if (ly->present) {
      ocidig_digest_blob_path(&ly->desc.digest, path);
      if (!(ly->file = oci_strdup(path)))
        return oci_nomem(err);
    } else {
      img->n_missing++;
    }
    img->layers_size = oci_size_add(img->layers_size, ly->desc.size);
  }
  if (img->config_read && img->cfg.n_diff_ids != r->n_layers)
    push_warning(&img->warnings, &img->n_warnings, "the manifest lists %zu layers, its config %zu diff_ids",
                 r->n_layers, img->cfg.n_diff_ids);

  /* Names, attestations and referrers: from everything index.json reaches. */
  if ((rc = graph_build(l, &g, err)) != OCIDIG_OK)
    return rc;
  for (size_t i = 0; i < g.n_roots; i++)
    if (root && oci_streq(g.roots[i].digest_string, root) && !add_entry_names(&g.roots[i], &img->names, &img->n_names))
      rc = oci_nomem(err);
  if (rc == OCIDIG_OK && img->manifest.digest_string)
    rc = graph_related(&g, img->manifest.digest_string, &img->related, &img->n_related, err);
  if (rc == OCIDIG_OK) {
    ocidig_docker_archive *a = NULL;
    bool has = false;
    ocidig_entry e;
    has = ocidig_layout_stat(l, "manifest.json", &e, NULL) == OCIDIG_OK;
    if (has && ocidig_docker_archive_read(l, &a, NULL) == OCIDIG_OK) {
      compare_with_graph(&g, a);
      for (size_t i = 0; i < a->n_images; i++) {
        const ocidig_docker_image *im = &a->images[i];
        const char *cfg = im->config_digest ? im->config_digest : im->image_id;
        if (cfg && img->image_id && !strcmp(cfg, img->image_id))
          for (size_t t = 0; t < im->n_repo_tags; t++) {
            bool dup = false;
            for (size_t k = 0; k < img->n_names && !dup; k++)
              dup = names_match(img->names[k], im->repo_tags[t]);
            if (!dup && !oci_strv_push(&img->names, &img->n_names, im->repo_tags[t]))
              rc = oci_nomem(err);
          }
      }
      for (size_t i = 0; i < a->n_warnings; i++)
        push_warning(&img->warnings, &img->n_warnings, "%s", a->warnings[i]);
    } else if (has) {
      push_warning(&img->warnings, &img->n_warnings, "manifest.json (docker save) could not be read; index.json is used");
    }
    ocidig_docker_archive_free(a);
  }
  for (size_t i = 0; i < g.n_warnings; i++)
    push_warning(&img->warnings, &img->n_warnings, "%s", g.warnings[i]);
  graph_free(&g);
  return rc;
}

ocidig_code ocidig_image_load(ocidig_layout *l, const ocidig_resolution *r, ocidig_image **out, ocidig_error *err)
{
  ocidig_image *img;
  ocidig_code rc;
  OCI_REQUIRE(out, "out", err);
  *out = NULL;
  OCI_REQUIRE(l, "the layout", err);
  OCI_REQUIRE(r, "the resolution", err);
  if (r->outcome != OCIDIG_OUTCOME_SELECTED)
    return oci_fail(err, OCIDIG_ERR_USAGE, "no manifest was selected");
  if (!(img = calloc(1, sizeof *img)))
    return oci_nomem(err);
  if ((rc = ocidig_layout_format_detect(l, &img->format, err)) != OCIDIG_OK) {
    ocidig_image_free(img);
    return rc;
  }
  if (r->selected_has_platform) {
    if (ocidig_platform_copy(&img->platform, &r->selected_platform, err) != OCIDIG_OK) {
      ocidig_image_free(img);
      return oci_nomem(err);
    }
    img->has_platform = true;
    img->platform_source = r->platform_source;
  }
  for (size_t i = 0; i < r->n_warnings; i++)
    push_warning(&img->warnings, &img->n_warnings, "%s", r->warnings[i]);
  rc = ocidig_resolution_is_docker_archive(r) ? load_docker(l, r, img, err) : load_oci(l, r, img, err);
  if (rc != OCIDIG_OK) {
    ocidig_image_free(img);
    return rc;
  }
  *out = img;
  return OCIDIG_OK;
}

/* ------------------------------------------------------------ JSON */

static json_object *jstr(const char *s)
{
  return s ? json_object_new_string(s) : NULL;
}

static json_object *jstrv(char **v, size_t n)
{
  json_object *a = json_object_new_array();
  for (size_t i = 0; i < n; i++)
    json_object_array_add(a, json_object_new_string(v[i]));
  return a;
}

static json_object *jmap(const ocidig_annotation *v, size_t n)
{
  json_object *o = json_object_new_object();
  for (size_t i = 0; i < n; i++)
    json_object_object_add(o, v[i].key, json_object_new_string(oci_str(v[i].value)));
  return o;
}

static json_object *jdesc(const ocidig_descriptor *d)
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "digest", jstr(d->digest_string));
  json_object_object_add(o, "mediaType", jstr(d->media_type));
  json_object_object_add(o, "size", json_object_new_int64(d->size));
  return o;
}

static json_object *jplatform(const ocidig_platform *p)
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "os", json_object_new_string(oci_str(p->os)));
  json_object_object_add(o, "architecture", json_object_new_string(oci_str(p->architecture)));
  json_object_object_add(o, "variant", json_object_new_string(oci_str(p->variant)));
  json_object_object_add(o, "os.version", json_object_new_string(oci_str(p->os_version)));
  json_object_object_add(o, "os.features", jstrv(p->os_features, p->n_os_features));
  return o;
}

static char *json_text(json_object *root, bool pretty)
{
  char *out = oci_json_text_utf8(oci_strdup(json_object_to_json_string_ext(
    root, (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN) |
            JSON_C_TO_STRING_NOSLASHESCAPE)));
  json_object_put(root);
  return out;
}

static json_object *jconfig(const ocidig_image *img)
{
  const ocidig_image_config *c = &img->cfg;
  json_object *o = jdesc(&img->config), *h;
  if (!img->config_read)
    return o;
  json_object_object_add(o, "created", jstr(c->created));
  json_object_object_add(o, "author", jstr(c->author));
  json_object_object_add(o, "entrypoint", c->has_entrypoint ? jstrv(c->entrypoint, c->n_entrypoint) : NULL);
  json_object_object_add(o, "cmd", c->has_cmd ? jstrv(c->cmd, c->n_cmd) : NULL);
  json_object_object_add(o, "env", jstrv(c->env, c->n_env));
  json_object_object_add(o, "workingDir", jstr(c->working_dir));
  json_object_object_add(o, "user", jstr(c->user));
  json_object_object_add(o, "exposedPorts", jstrv(c->exposed_ports, c->n_exposed_ports));
  json_object_object_add(o, "volumes", jstrv(c->volumes, c->n_volumes));
  json_object_object_add(o, "stopSignal", jstr(c->stop_signal));
  json_object_object_add(o, "labels", jmap(c->labels, c->n_labels));
  json_object_object_add(o, "diffIds", jstrv(c->diff_ids, c->n_diff_ids));
  h = json_object_new_array();
  for (size_t i = 0; i < c->n_history; i++) {
    const ocidig_history *hi = &c->history[i];
    json_object *e = json_object_new_object();
    json_object_object_add(e, "created", jstr(hi->created));
    json_object_object_add(e, "createdBy", jstr(hi->created_by));
    json_object_object_add(e, "author", jstr(hi->author));
    json_object_object_add(e, "comment", jstr(hi->comment));
    json_object_object_add(e, "emptyLayer", json_object_new_boolean(hi->empty_layer));
    json_object_object_add(e, "layer", hi->layer >= 0 ? json_object_new_int64(hi->layer) : NULL);
    json_object_array_add(h, e);
  }
  json_object_object_add(o, "history", h);
  return o;
}

static json_object *jrelated(const ocidig_related *r)
{
  json_object *o = jdesc(&r->desc);
  json_object_object_add(o, "foundIn", jstr(r->found_in));
  json_object_object_add(o, "present", json_object_new_boolean(r->present));
  if (r->kind == OCIDIG_RELATED_REFERRER)
    json_object_object_add(o, "artifactType", jstr(r->artifact_type));
  else
    json_object_object_add(o, "predicateTypes", jstrv(r->predicate_types, r->n_predicate_types));
  if (r->desc.n_annotations)
    json_object_object_add(o, "annotations", jmap(r->desc.annotations, r->desc.n_annotations));
  return o;
}

char *ocidig_image_to_json(const ocidig_image *img, bool pretty)
{
  if (!img)
    return NULL;
  json_object *root = json_object_new_object();
  json_object *layers = json_object_new_array(), *att = json_object_new_array(), *ref = json_object_new_array();

  json_object_object_add(root, "format", json_object_new_string(ocidig_layout_format_name(img->format)));
  json_object_object_add(root, "registryManifest", json_object_new_boolean(img->registry_manifest));
  json_object_object_add(root, "names", jstrv(img->names, img->n_names));
  if (img->registry_manifest) {
    json_object *m = jdesc(&img->manifest);
    json_object_object_add(m, "bodyMediaType", jstr(img->manifest_media_type));
    json_object_object_add(m, "annotations", jmap(img->annotations, img->n_annotations));
    json_object_object_add(m, "subject", jstr(img->subject));
    json_object_object_add(root, "manifest", m);
  } else {
    json_object_object_add(root, "manifest", NULL);
  }
  json_object_object_add(root, "imageId", jstr(img->image_id));
  json_object_object_add(root, "platform", img->has_platform ? jplatform(&img->platform) : NULL);
  json_object_object_add(root, "platformSource", jstr(img->platform_source));
  json_object_object_add(root, "config", img->config.digest_string ? jconfig(img) : NULL);
  for (size_t i = 0; i < img->n_layers; i++) {
    const ocidig_image_layer *ly = &img->layers[i];
    json_object *o = jdesc(&ly->desc);
    json_object_object_add(o, "compression", jstr(ly->compression));
    json_object_object_add(o, "diffId", jstr(ly->diff_id));
    json_object_object_add(o, "present", json_object_new_boolean(ly->present));
    if (ly->desc.n_annotations)
      json_object_object_add(o, "annotations", jmap(ly->desc.annotations, ly->desc.n_annotations));
    json_object_array_add(layers, o);
  }
  json_object_object_add(root, "layers", layers);
  json_object_object_add(root, "layersSize", json_object_new_int64(img->layers_size));
  json_object_object_add(root, "layersMissing", json_object_new_int64((int64_t)img->n_missing));
  for (size_t i = 0; i < img->n_related; i++)
    json_object_array_add(img->related[i].kind == OCIDIG_RELATED_ATTESTATION ? att : ref, jrelated(&img->related[i]));
  json_object_object_add(root, "attestations", att);
  json_object_object_add(root, "referrers", ref);
  json_object_object_add(root, "warnings", jstrv(img->warnings, img->n_warnings));
  return json_text(root, pretty);
}

/* ------------------------------------------------------------ listing */

typedef struct blobinfo {
  int64_t size;
  bool present;
  size_t refs;     /* rows (or images, for indexes) that reference it */
  size_t last_ref; /* the last one, +1 */
} blobinfo;

typedef struct lctx {
  ocidig_layout *layout;
  const ocidig_list_options *opts;
  ocidig_listing *out;
  graph g;
  smap blobs; /* digest or "file:<path>" -> index into info */
  blobinfo *info;
  size_t n_info, cap_info;
  size_t next_ref;
  oci_entries *entries; /* for list_resolve */
} lctx;

/* Counts a blob for the footer; `present`/`size` are computed when first met (size -1: stat). */
static blobinfo *note_blob(lctx *c, const char *key, const ocidig_descriptor *d, const char *file, size_t ref,
                           ocidig_error *err)
{
  size_t i;
  blobinfo *b;
  if (!key)
    return NULL;
  if (!smap_get(&c->blobs, key, &i)) {
    if (!oci_grow((void **)&c->info, &c->cap_info, c->n_info + 1, sizeof *c->info) ||
        !smap_put(&c->blobs, key, c->n_info)) {
      oci_nomem(err);
      return NULL;
    }
    i = c->n_info++;
    b = &c->info[i];
    memset(b, 0, sizeof *b);
    if (d) {
      b->present = blob_present(c->layout, d, &b->size);
      if (!b->present)
        b->size = d->size;
    } else {
      ocidig_entry e;
      b->present = file && ocidig_layout_stat(c->layout, file, &e, NULL) == OCIDIG_OK;
      b->size = b->present ? e.size : 0;
    }
  }
  b = &c->info[i];
  if (b->last_ref != ref + 1) {
    b->refs++;
    b->last_ref = ref + 1;
  }
  return b;
}

static ocidig_list_row *new_row(ocidig_list_image *img, ocidig_error *err)
{
  ocidig_list_row *r = realloc(img->rows, (img->n_rows + 1) * sizeof *r);
  if (!r) {
    oci_nomem(err);
    return NULL;
  }
  img->rows = r;
  r = &r[img->n_rows++];
  memset(r, 0, sizeof *r);
  r->size = 0;
  return r;
}

static ocidig_code row_error(ocidig_list_row *row, ocidig_code code, const char *msg, ocidig_error *err)
{
  row->code = code;
  if (!(row->error = oci_strdup(msg)))
    return oci_nomem(err);
  return OCIDIG_OK;
}

static ocidig_code list_manifest(lctx *c, ocidig_list_image *img, const ocidig_descriptor *d, gnode *n,
                                 ocidig_error *err)
{
  ocidig_list_row *row = new_row(img, err);
  size_t ref = c->next_ref++;
  const char *att;
  blobinfo *b;
  if (!row)
    return OCIDIG_ERR_NOMEM;
  if (!(row->manifest = oci_strdup(d->digest_string)) || !(row->media_type = oci_strdup(d->media_type)))
    return oci_nomem(err);
  if (ocidig_media_type_kind(d->media_type) == OCIDIG_KIND_OTHER)
    row->other = true;
  if (d->has_platform) {
    row->platform = ocidig_platform_format(&d->platform);
    row->platform_source = "descriptor";
  }
  att = ocidig_descriptor_annotation(d, ANN_REF_TYPE);
  if (att && !strcmp(att, "attestation-manifest")) {
    const char *t = ocidig_descriptor_annotation(d, ANN_REF_DIGEST);
    if (!(row->attestation_of = oci_strdup(t ? t : "")))
      return oci_nomem(err);
  }
  row->n_blobs = 1;
  if (!(b = note_blob(c, d->digest_string, d, NULL, ref, err)) && d->digest_string)
    return OCIDIG_ERR_NOMEM;
  row->present = n ? n->present : (b && b->present);
  if (!row->present)
    row->n_missing++;
  if (!n) {
    if (d->digest_code != OCIDIG_OK)
      return row_error(row, OCIDIG_ERR_INVALID_DIGEST, "not a valid digest", err);
    row->complete = row->present;
    return OCIDIG_OK;
  }
  if (n->code != OCIDIG_OK)
    return row_error(row, n->code, n->error, err);
  if (row->other || !row->present) {
    row->complete = row->present && row->other;
    return OCIDIG_OK;
  }
  if (n->has_config) {
    row->n_blobs++;
    if (!(row->image_id = oci_strdup(n->config.digest_string)) && n->config.digest_string)
      return oci_nomem(err);
    if (!(b = note_blob(c, n->config.digest_string, &n->config, NULL, ref, err)) && n->config.digest_string)
      return OCIDIG_ERR_NOMEM;
    if (!b || !b->present)
      row->n_missing++;
    if (!row->platform && !row->attestation_of) {
      const ocidig_platform *p = node_config_platform(&c->g, n);
      if (p && (p->os || p->architecture)) {
        row->platform = ocidig_platform_format(p);
        row->platform_source = "config";
      }
    }
  }
  for (size_t i = 0; i < n->n_layers; i++) {
    const ocidig_descriptor *ly = &n->layers[i];
    row->n_blobs++;
    row->size = oci_size_add(row->size, ly->size);
    if (!(b = note_blob(c, ly->digest_string, ly, NULL, ref, err)) && ly->digest_string)
      return OCIDIG_ERR_NOMEM;
    if (!b || !b->present)
      row->n_missing++;
  }
  row->complete = row->n_missing == 0;
  return OCIDIG_OK;
}

/* Walks an index.json entry down to its manifests.  `seen`: the nested indexes already
 * expanded for this image (a DAG is walked once per index, not once per path). */
static ocidig_code list_walk(lctx *c, ocidig_list_image *img, const ocidig_descriptor *d, size_t image_ref,
                             const char **stack, unsigned depth, smap *seen, ocidig_error *err)
{
  gnode *n = d->digest_string ? graph_node(&c->g, d->digest_string) : NULL;
  ocidig_list_row *row;
  ocidig_code rc;
  if (ocidig_media_type_kind(d->media_type) != OCIDIG_KIND_INDEX)
    return list_manifest(c, img, d, n, err);
  if (d->digest_string && !note_blob(c, d->digest_string, d, NULL, image_ref, err))
    return OCIDIG_ERR_NOMEM;
  for (unsigned i = 0; i < depth; i++)
    if (n && !strcmp(stack[i], n->digest)) {
      push_warning(&c->out->warnings, &c->out->n_warnings, "index %s contains itself (a cycle)", n->digest);
      return OCIDIG_OK;
    }
  if (!n || !n->present || n->code != OCIDIG_OK || depth >= OCIDIG_MAX_INDEX_NESTING) {
    if (!(row = new_row(img, err)))
      return OCIDIG_ERR_NOMEM;
    row->is_index = true;
    row->n_blobs = 1;
    row->present = n && n->present;
    row->n_missing = !row->present;
    if (!(row->manifest = oci_strdup(d->digest_string)) && d->digest_string)
      return oci_nomem(err);
    if (!(row->media_type = oci_strdup(d->media_type)) && d->media_type)
      return oci_nomem(err);
    if (d->has_platform)
      row->platform = ocidig_platform_format(&d->platform);
    if (n && n->code != OCIDIG_OK)
      return row_error(row, n->code, n->error, err);
    if (!n && d->digest_code != OCIDIG_OK)
      return row_error(row, OCIDIG_ERR_INVALID_DIGEST, "not a valid digest", err);
    if (depth >= OCIDIG_MAX_INDEX_NESTING)
      return row_error(row, OCIDIG_ERR_NESTING_TOO_DEEP, "nested too deep", err);
    return OCIDIG_OK;
  }
  if (smap_get(seen, n->digest, NULL))
    return OCIDIG_OK;
  if (!smap_put(seen, n->digest, 0))
    return oci_nomem(err);
  stack[depth] = n->digest;
  for (size_t i = 0; i < n->n_kids; i++)
    if ((rc = list_walk(c, img, &n->kids[i], image_ref, stack, depth + 1, seen, err)) != OCIDIG_OK)
      return rc;
  return OCIDIG_OK;
}

static void list_image_clear(ocidig_list_image *img)
{
  free(img->name);
  oci_strv_free(img->names, img->n_names);
  free(img->digest);
  free(img->media_type);
  free(img->error);
  for (size_t i = 0; i < img->n_rows; i++) {
    ocidig_list_row *r = &img->rows[i];
    free(r->platform);
    free(r->manifest);
    free(r->media_type);
    free(r->image_id);
    free(r->attestation_of);
    free(r->error);
  }
  free(img->rows);
}

void ocidig_listing_free(ocidig_listing *l)
{
  if (!l)
    return;
  free(l->request);
  for (size_t i = 0; i < l->n_images; i++)
    list_image_clear(&l->images[i]);
  free(l->images);
  oci_strv_free(l->warnings, l->n_warnings);
  free(l);
}

static ocidig_list_image *new_image(ocidig_listing *out, ocidig_error *err)
{
  ocidig_list_image *v = realloc(out->images, (out->n_images + 1) * sizeof *v);
  if (!v) {
    oci_nomem(err);
    return NULL;
  }
  out->images = v;
  v = &v[out->n_images++];
  memset(v, 0, sizeof *v);
  return v;
}

static ocidig_code finish_image(ocidig_list_image *img, ocidig_error *err)
{
  oci_buf b = {0};
  img->complete = img->n_rows > 0;
  for (size_t i = 0; i < img->n_rows; i++)
    img->complete = img->complete && img->rows[i].complete;
  for (size_t i = 0; i < img->n_names; i++)
    oci_buf_printf(&b, "%s%s", i ? ", " : "", img->names[i]);
  if (!img->n_names)
    oci_buf_puts(&b, oci_str(img->digest));
  if (!(img->name = oci_buf_take(&b))) {
    oci_buf_free(&b);
    return oci_nomem(err);
  }
  return OCIDIG_OK;
}

/* With a matcher: what an index.json entry resolves to. */
static ocidig_code list_resolve(lctx *c, ocidig_list_image *img, ocidig_error *err)
{
  ocidig_resolution *r = NULL;
  char *ref = oci_sprintf("@%s", oci_str(img->digest));
  ocidig_resolve_options ro = {.matcher = c->opts->matcher, .host = c->opts->host, .ref = ref};
  if (!ref)
    return oci_nomem(err);
  /* index.json once for all images, not once for each (N images cost N^2). */
  if (!c->entries && !(c->entries = oci_entries_load(c->layout))) {
    free(ref);
    return oci_nomem(err);
  }
  oci_resolve_entry(c->layout, &ro, c->entries, &r, NULL);
  free(ref);
  if (!r)
    return oci_nomem(err);
  img->outcome = r->outcome;
  if (r->outcome == OCIDIG_OUTCOME_SELECTED) {
    bool found = false;
    /* A root manifest is returned whatever its platform: here it must match. */
    if (r->n_path == 0 && ocidig_media_type_kind(img->media_type) == OCIDIG_KIND_MANIFEST && r->selected_has_platform &&
        !ocidig_matcher_match(c->opts->matcher, &r->selected_platform))
      img->outcome = OCIDIG_OUTCOME_NO_MATCH;
    for (size_t i = 0; i < img->n_rows && !found && img->outcome == OCIDIG_OUTCOME_SELECTED; i++)
      if (!img->rows[i].attestation_of && oci_streq(img->rows[i].manifest, r->selected.digest_string))
        img->rows[i].selected = found = true;
  } else if (r->outcome == OCIDIG_OUTCOME_ERROR) {
    img->code = r->error.code;
    img->error = oci_strdup(r->error.message);
  }
  ocidig_resolution_free(r);
  return OCIDIG_OK;
}

static ocidig_code list_oci(lctx *c, ocidig_error *err)
{
  ocidig_listing *out = c->out;
  const char *stack[OCIDIG_MAX_INDEX_NESTING + 2];
  ocidig_code rc = OCIDIG_OK;
  smap by_digest = {0}; /* an image's digest -> its position in out->images */
  for (size_t i = 0; i < c->g.n_roots && rc == OCIDIG_OK; i++) {
    const ocidig_descriptor *d = &c->g.roots[i];
    ocidig_list_image *img = NULL;
    size_t k;
    if (smap_get(&by_digest, oci_str(d->digest_string), &k)) {
      img = &out->images[k];
      if (!add_entry_names(d, &img->names, &img->n_names))
        rc = oci_nomem(err);
      continue;
    }
    if (!smap_put(&by_digest, oci_str(d->digest_string), out->n_images)) {
      rc = oci_nomem(err);
      break;
    }
    if (!(img = new_image(out, err))) {
      rc = OCIDIG_ERR_NOMEM;
      break;
    }
    if ((!(img->digest = oci_strdup(d->digest_string)) && d->digest_string) ||
        (!(img->media_type = oci_strdup(d->media_type)) && d->media_type) ||
        !add_entry_names(d, &img->names, &img->n_names)) {
      rc = oci_nomem(err);
      break;
    }
    {
      smap seen = {0};
      rc = list_walk(c, img, d, c->next_ref++, stack, 0, &seen, err);
      smap_free(&seen);
    }
  }
  smap_free(&by_digest);
  return rc;
}

static ocidig_code list_docker(lctx *c, ocidig_docker_archive *a, bool hybrid, ocidig_error *err)
{
  ocidig_listing *out = c->out;
  for (size_t i = 0; i < a->n_images; i++) {
    const ocidig_docker_image *im = &a->images[i];
    size_t ref = c->next_ref++;
    if (hybrid) {
      /* The RepoTags go to the image whose platform uses this config; the files count as
       * referenced. */
      const char *cfg = im->config_digest ? im->config_digest : im->image_id;
      for (size_t k = 0; k < out->n_images && cfg; k++) {
        ocidig_list_image *img = &out->images[k];
        bool uses = false;
        for (size_t j = 0; j < img->n_rows && !uses; j++)
          uses = oci_streq(img->rows[j].image_id, cfg);
        for (size_t t = 0; uses && t < im->n_repo_tags; t++) {
          bool dup = false;
          for (size_t j = 0; j < img->n_names && !dup; j++)
            dup = names_match(img->names[j], im->repo_tags[t]);
          if (!dup && !oci_strv_push(&img->names, &img->n_names, im->repo_tags[t]))
            return oci_nomem(err);
        }
      }
      continue;
    }
    {
      ocidig_list_image *img = new_image(out, err);
      ocidig_list_row *row;
      char key[OCIDIG_MAX_PATH_LENGTH + 8];
      if (!img || !(row = new_row(img, err)))
        return OCIDIG_ERR_NOMEM;
      for (size_t t = 0; t < im->n_repo_tags; t++)
        if (!strv_add_unique(&img->names, &img->n_names, im->repo_tags[t]))
          return oci_nomem(err);
      if ((!(img->digest = oci_strdup(im->image_id)) && im->image_id) ||
          !(img->media_type = oci_strdup(OCIDIG_MT_DOCKER_CONFIG)) ||
          !(row->media_type = oci_strdup(OCIDIG_MT_DOCKER_CONFIG)) ||
          (!(row->image_id = oci_strdup(im->image_id)) && im->image_id))
        return oci_nomem(err);
      if (im->has_platform) {
        row->platform = ocidig_platform_format(&im->platform);
        row->platform_source = "config";
      }
      row->present = im->config_file != NULL;
      row->n_blobs = 1 + im->n_layers;
      row->n_missing = im->n_missing;
      row->size = im->layers_size;
      if (im->config_file) {
        snprintf(key, sizeof key, "file:%s", im->config_file);
        if (!note_blob(c, key, NULL, im->config_file, ref, err))
          return OCIDIG_ERR_NOMEM;
      }
      for (size_t k = 0; k < im->n_layers; k++) {
        if (!im->layers[k].file)
          continue;
        snprintf(key, sizeof key, "file:%s", im->layers[k].file);
        if (!note_blob(c, key, NULL, im->layers[k].file, ref, err))
          return OCIDIG_ERR_NOMEM;
      }
      if (im->config_code != OCIDIG_OK && im->config_code != OCIDIG_ERR_BLOB_MISSING &&
          row_error(row, im->config_code, oci_str(im->config_error), err) != OCIDIG_OK)
        return OCIDIG_ERR_NOMEM;
      row->complete = row->n_missing == 0 && row->code == OCIDIG_OK;
      if (c->opts->matcher) {
        if (row->code != OCIDIG_OK) {
          img->outcome = OCIDIG_OUTCOME_ERROR;
          img->code = row->code;
          img->error = oci_strdup(row->error);
        } else if (im->has_platform && ocidig_matcher_match(c->opts->matcher, &im->platform)) {
          img->outcome = OCIDIG_OUTCOME_SELECTED;
          row->selected = true;
        } else {
          img->outcome = OCIDIG_OUTCOME_NO_MATCH;
        }
      }
    }
  }
  return OCIDIG_OK;
}

/* Files nothing references: blobs/ for a layout; for a docker save archive, every file but
 * its metadata (manifest.json, repositories, <id>/json, <id>/VERSION). */
static ocidig_code count_unreferenced(lctx *c, bool docker_only, ocidig_error *err)
{
  const ocidig_entry *entries;
  size_t n;
  ocidig_code rc = ocidig_layout_entries(c->layout, &entries, &n, err);
  if (rc != OCIDIG_OK)
    return rc;
  for (size_t i = 0; i < n; i++) {
    const ocidig_entry *e = &entries[i];
    ocidig_digest_alg alg;
    const char *hex;
    char key[OCIDIG_MAX_PATH_LENGTH + 8];
    if (e->type != OCIDIG_ENTRY_FILE || e->escapes)
      continue;
    snprintf(key, sizeof key, "file:%s", e->path);
    if (smap_get(&c->blobs, key, NULL))
      continue;
    if (docker_only) {
      const char *slash = strrchr(e->path, '/');
      const char *base = slash ? slash + 1 : e->path;
      if (!strcmp(e->path, "manifest.json") || !strcmp(e->path, "repositories") || !strcmp(e->path, "index.json") ||
          !strcmp(e->path, "oci-layout") || (slash && (!strcmp(base, "json") || !strcmp(base, "VERSION"))))
        continue;
    } else {
      if (!(hex = oci_blob_path_hex(e->path, &alg)))
        continue;
      snprintf(key, sizeof key, "%s:%s", ocidig_digest_alg_name(alg), hex);
      if (smap_get(&c->blobs, key, NULL))
        continue;
    }
    c->out->n_unreferenced++;
    c->out->unreferenced_bytes = oci_bytes_add(c->out->unreferenced_bytes, e->size);
  }
  return OCIDIG_OK;
}

ocidig_code ocidig_list(ocidig_layout *l, const ocidig_list_options *opts, ocidig_listing **out, ocidig_error *err)
{
  static const ocidig_list_options none = {0};
  lctx c = {.layout = l, .opts = opts ? opts : &none};
  ocidig_docker_archive *a = NULL;
  ocidig_code rc;
  bool graph_built = false;

  OCI_REQUIRE(out, "out", err);
  *out = NULL;
  OCI_REQUIRE(l, "the layout", err);
  if (!(c.out = calloc(1, sizeof *c.out)))
    return oci_nomem(err);
  /* index.json / manifest.json first, then oci-layout: the order of every command */
  if ((rc = oci_layout_check_root(l, &c.out->format, NULL, NULL, err)) != OCIDIG_OK)
    goto fail;
  if (c.opts->matcher && !(c.out->request = ocidig_platform_format(ocidig_matcher_request(c.opts->matcher)))) {
    rc = oci_nomem(err);
    goto fail;
  }
  switch (c.out->format) {
  case OCIDIG_FORMAT_NONE: /* oci_layout_check_root said missing-index-json */
  case OCIDIG_FORMAT_DOCKER_ARCHIVE:
    if ((rc = ocidig_docker_archive_read(l, &a, err)) != OCIDIG_OK || (rc = list_docker(&c, a, false, err)) != OCIDIG_OK)
      goto fail;
    break;
  case OCIDIG_FORMAT_OCI:
  case OCIDIG_FORMAT_HYBRID:
    if ((rc = graph_build(l, &c.g, err)) != OCIDIG_OK)
      goto fail;
    graph_built = true;
    if ((rc = list_oci(&c, err)) != OCIDIG_OK)
      goto fail;
    if (c.out->format == OCIDIG_FORMAT_HYBRID) {
      if (ocidig_docker_archive_read(l, &a, NULL) == OCIDIG_OK) {
        compare_with_graph(&c.g, a);
        if ((rc = list_docker(&c, a, true, err)) != OCIDIG_OK)
          goto fail;
        /* manifest.json's files count as referenced too (by it), once. */
        for (size_t i = 0; i < a->n_images; i++) {
          const ocidig_docker_image *im = &a->images[i];
          size_t ref = c.next_ref++;
          for (size_t k = 0; k <= im->n_layers; k++) {
            const char *f = k < im->n_layers ? im->layers[k].file : im->config_file;
            char key[OCIDIG_MAX_PATH_LENGTH + 8];
            ocidig_digest_alg alg;
            const char *hex;
            if (!f)
              continue;
            if ((hex = oci_blob_path_hex(f, &alg)) != NULL)
              snprintf(key, sizeof key, "%s:%s", ocidig_digest_alg_name(alg), hex);
            else
              snprintf(key, sizeof key, "file:%s", f);
            if (smap_get(&c.blobs, key, NULL))
              continue;
            if (!note_blob(&c, key, NULL, f, ref, err)) {
              rc = OCIDIG_ERR_NOMEM;
              goto fail;
            }
          }
        }
      } else {
        push_warning(&c.out->warnings, &c.out->n_warnings,
                     "manifest.json (docker save) could not be read; index.json is used");
      }
    }
    break;
  }
  if (a)
    for (size_t i = 0; i < a->n_warnings; i++)
      push_warning(&c.out->warnings, &c.out->n_warnings, "%s", a->warnings[i]);
  for (size_t i = 0; i < c.g.n_warnings; i++)
    push_warning(&c.out->warnings, &c.out->n_warnings, "%s", c.g.warnings[i]);
  for (size_t i = 0; i < c.out->n_images; i++) {
    ocidig_list_image *img = &c.out->images[i];
    if ((rc = finish_image(img, err)) != OCIDIG_OK)
      goto fail;
    for (size_t k = 0; k < img->n_rows; k++)
      c.out->n_errors += img->rows[k].code != OCIDIG_OK;
    if (c.opts->matcher && c.out->format != OCIDIG_FORMAT_DOCKER_ARCHIVE && (rc = list_resolve(&c, img, err)) != OCIDIG_OK)
      goto fail;
  }
  if ((rc = count_unreferenced(&c, c.out->format == OCIDIG_FORMAT_DOCKER_ARCHIVE, err)) != OCIDIG_OK)
    goto fail;
  for (size_t i = 0; i < c.n_info; i++) {
    const blobinfo *b = &c.info[i];
    if (!b->present) {
      c.out->n_missing++;
      continue;
    }
    c.out->n_blobs++;
    c.out->total_bytes = oci_bytes_add(c.out->total_bytes, b->size);
    if (b->refs > 1) {
      c.out->n_shared++;
      c.out->shared_bytes = oci_bytes_add(c.out->shared_bytes, b->size);
    }
  }
  *out = c.out;
  c.out = NULL;
fail:
  if (graph_built)
    graph_free(&c.g);
  ocidig_docker_archive_free(a);
  smap_free(&c.blobs);
  free(c.info);
  oci_entries_free(c.entries);
  ocidig_listing_free(c.out);
  return rc;
}

char *ocidig_listing_to_json(const ocidig_listing *l, bool pretty)
{
  if (!l)
    return NULL;
  json_object *root = json_object_new_object();
  json_object *images = json_object_new_array(), *sum = json_object_new_object();
  json_object_object_add(root, "format", json_object_new_string(ocidig_layout_format_name(l->format)));
  json_object_object_add(root, "request", jstr(l->request));
  for (size_t i = 0; i < l->n_images; i++) {
    const ocidig_list_image *img = &l->images[i];
    json_object *o = json_object_new_object(), *rows = json_object_new_array(), *atts = json_object_new_array();
    json_object_object_add(o, "name", jstr(img->name));
    json_object_object_add(o, "names", jstrv(img->names, img->n_names));
    json_object_object_add(o, "digest", jstr(img->digest));
    json_object_object_add(o, "mediaType", jstr(img->media_type));
    json_object_object_add(o, "complete", json_object_new_boolean(img->complete));
    for (size_t k = 0; k < img->n_rows; k++) {
      const ocidig_list_row *r = &img->rows[k];
      json_object *p = json_object_new_object();
      json_object_object_add(p, "platform", jstr(r->platform));
      json_object_object_add(p, "platformSource", jstr(r->platform_source));
      json_object_object_add(p, "manifest", jstr(r->manifest));
      json_object_object_add(p, "mediaType", jstr(r->media_type));
      json_object_object_add(p, "imageId", jstr(r->image_id));
      if (r->attestation_of)
        json_object_object_add(p, "attestationOf", jstr(r->attestation_of));
      json_object_object_add(p, "kind", json_object_new_string(r->is_index ? "index" : r->other ? "other"
                                                                  : r->attestation_of ? "attestation"
                                                                                      : "image"));
      json_object_object_add(p, "present", json_object_new_boolean(r->present));
      json_object_object_add(p, "complete", json_object_new_boolean(r->complete));
      json_object_object_add(p, "blobs", json_object_new_int64((int64_t)r->n_blobs));
      json_object_object_add(p, "missing", json_object_new_int64((int64_t)r->n_missing));
      json_object_object_add(p, "size", json_object_new_int64(r->size));
      if (l->request)
        json_object_object_add(p, "selected", json_object_new_boolean(r->selected));
      if (r->code != OCIDIG_OK) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "code", json_object_new_string(ocidig_code_name(r->code)));
        json_object_object_add(e, "message", jstr(r->error));
        json_object_object_add(p, "error", e);
      }
      json_object_array_add(r->attestation_of ? atts : rows, p);
    }
    json_object_object_add(o, "platforms", rows);
    json_object_object_add(o, "attestations", atts);
    if (l->request) {
      json_object *res = json_object_new_object();
      json_object_object_add(res, "outcome", json_object_new_string(ocidig_outcome_name(img->outcome)));
      for (size_t k = 0; k < img->n_rows; k++)
        if (img->rows[k].selected) {
          json_object_object_add(res, "manifest", jstr(img->rows[k].manifest));
          json_object_object_add(res, "platform", jstr(img->rows[k].platform));
          json_object_object_add(res, "imageId", jstr(img->rows[k].image_id));
        }
      if (img->outcome == OCIDIG_OUTCOME_ERROR) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "code", json_object_new_string(ocidig_code_name(img->code)));
        json_object_object_add(e, "message", jstr(img->error));
        json_object_object_add(res, "error", e);
      }
      json_object_object_add(o, "resolved", res);
    }
    json_object_array_add(images, o);
  }
  json_object_object_add(root, "images", images);
  json_object_object_add(sum, "blobs", json_object_new_int64((int64_t)l->n_blobs));
  json_object_object_add(sum, "totalBytes", json_object_new_int64((int64_t)l->total_bytes));
  json_object_object_add(sum, "sharedBlobs", json_object_new_int64((int64_t)l->n_shared));
  json_object_object_add(sum, "sharedBytes", json_object_new_int64((int64_t)l->shared_bytes));
  json_object_object_add(sum, "unreferencedFiles", json_object_new_int64((int64_t)l->n_unreferenced));
  json_object_object_add(sum, "unreferencedBytes", json_object_new_int64((int64_t)l->unreferenced_bytes));
  json_object_object_add(sum, "missingBlobs", json_object_new_int64((int64_t)l->n_missing));
  json_object_object_add(sum, "errors", json_object_new_int64((int64_t)l->n_errors));
  json_object_object_add(root, "summary", sum);
  json_object_object_add(root, "warnings", jstrv(l->warnings, l->n_warnings));
  return json_text(root, pretty);
}

/* ------------------------------------------------------------ cat */

typedef struct hash_sink {
  oci_hasher *h;
  ocidig_sink sink;
  void *ctx;
  uint64_t n;
} hash_sink;

static ocidig_code hash_sink_write(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  hash_sink *s = ctx;
  ocidig_code rc;
  oci_hasher_update(s->h, buf, len);
  if ((rc = s->sink(s->ctx, buf, len, err)) != OCIDIG_OK)
    return rc;
  s->n += len;
  return OCIDIG_OK;
}

/* An archive member not reached yet is streamed as it passes (on stdin there is no second
 * pass): up to small_cap bytes are held back and checked before they go out, as for a
 * member read first; beyond that they go out as they come, hashed. */
typedef struct held_sink {
  ocidig_layout *l;
  oci_hasher *h;
  ocidig_sink sink;
  void *ctx;
  const char *dstr, *relpath;
  int64_t size;
  size_t small_cap;
  uint8_t *buf;
  size_t len, cap;
  bool started, passing;
  uint64_t n, written;
} held_sink;

static ocidig_code held_sink_write(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  held_sink *s = ctx;
  ocidig_code rc;
  if (!s->started) {
    /* The member's header is read: the size it declares (-1: unknown) is known now. */
    int64_t declared = s->l->want_declared;
    s->started = true;
    if (s->size >= 0 && declared >= 0 && declared != s->size)
      return oci_fail(err, OCIDIG_ERR_SIZE_MISMATCH, "%s: %s is %lld bytes, the descriptor says %lld; nothing written",
                      s->dstr, s->relpath, (long long)declared, (long long)s->size);
    s->passing = declared >= 0 && (uint64_t)declared > s->small_cap;
  }
  oci_hasher_update(s->h, buf, len);
  s->n += len;
  if (s->size >= 0 && s->n > (uint64_t)s->size)
    return oci_fail(err, OCIDIG_ERR_SIZE_MISMATCH, "%s: %s has more than the %lld bytes the descriptor says", s->dstr,
                    s->relpath, (long long)s->size);
  if (!s->passing) {
    if (s->len + len <= s->small_cap) {
      if (!oci_grow((void **)&s->buf, &s->cap, s->len + len, 1))
        return oci_nomem(err);
      memcpy(s->buf + s->len, buf, len);
      s->len += len;
      return OCIDIG_OK;
    }
    s->passing = true; /* larger than it said (or it said nothing): what is held goes out first */
    if (s->len && (rc = s->sink(s->ctx, s->buf, s->len, err)) != OCIDIG_OK)
      return rc;
    s->written += s->len;
    s->len = 0;
  }
  if ((rc = s->sink(s->ctx, buf, len, err)) != OCIDIG_OK)
    return rc;
  s->written += len;
  return OCIDIG_OK;
}

static ocidig_code copy_streaming(ocidig_layout *l, const char *relpath, const ocidig_digest *digest, int64_t size,
                                  size_t small_cap, ocidig_sink sink, void *ctx, uint64_t *written,
                                  const char *dstr, ocidig_error *err)
{
  held_sink s = {.l = l, .h = oci_hasher_new(digest->alg), .sink = sink, .ctx = ctx, .dstr = dstr,
                 .relpath = relpath, .size = size, .small_cap = small_cap};
  char hex[129];
  ocidig_code rc;
  if (!s.h)
    return oci_nomem(err);
  rc = ocidig_layout_stream_file(l, relpath, held_sink_write, &s, err);
  oci_hasher_final_hex(s.h, hex);
  oci_hasher_free(s.h);
  *written = s.written;
  if (rc == OCIDIG_ERR_SIZE_MISMATCH) {
    /* A size judged by its header: the member's data must be all there first. */
    oci_member *m = oci_member_find(l, relpath);
    ocidig_code rc2 = m ? oci_archive_confirm(l, m, err) : OCIDIG_OK;
    if (rc2 != OCIDIG_OK)
      rc = rc2;
  }
  if (rc == OCIDIG_OK && size >= 0 && s.n != (uint64_t)size)
    rc = oci_fail(err, OCIDIG_ERR_SIZE_MISMATCH, "%s: %s gave %llu bytes, the descriptor says %lld%s", dstr, relpath,
                  (unsigned long long)s.n, (long long)size,
                  s.written ? "; the bytes written are NOT verified" : "; nothing written");
  if (rc == OCIDIG_OK && strcmp(hex, digest->hex))
    rc = s.written ? oci_fail(err, OCIDIG_ERR_DIGEST_MISMATCH,
                              "%s: the %llu bytes of %s written out hash to %s:%s: they are NOT verified, discard them",
                              dstr, (unsigned long long)s.n, relpath, ocidig_digest_alg_name(digest->alg), hex)
                   : oci_fail(err, OCIDIG_ERR_DIGEST_MISMATCH, "%s: the bytes of %s hash to %s:%s; nothing written",
                              dstr, relpath, ocidig_digest_alg_name(digest->alg), hex);
  if (rc == OCIDIG_OK && s.len) { /* held back, and verified: out they go */
    if ((rc = sink(ctx, s.buf, s.len, err)) == OCIDIG_OK)
      *written += s.len;
  } else if (rc != OCIDIG_OK && s.written && rc != OCIDIG_ERR_DIGEST_MISMATCH && rc != OCIDIG_ERR_SIZE_MISMATCH) {
    oci_error_prefix(err, "%s: %llu bytes were written before the error and were NOT verified", dstr,
                     (unsigned long long)s.written);
  }
  free(s.buf);
  return rc;
}

ocidig_code ocidig_copy_verified(ocidig_layout *l, const char *relpath, const ocidig_digest *digest, int64_t size,
                                 size_t small_cap, ocidig_sink sink, void *ctx, uint64_t *written, ocidig_error *err)
{
  ocidig_entry e;
  ocidig_code rc;
  char dstr[OCIDIG_DIGEST_STRING_MAX], hex[129];
  uint64_t unused;

  if (!written)
    written = &unused;
  *written = 0;
  OCI_REQUIRE(l, "the layout", err);
  OCI_REQUIRE(relpath, "relpath", err);
  OCI_REQUIRE(digest, "the digest", err);
  OCI_REQUIRE(sink, "the sink", err);
  if (!small_cap)
    small_cap = OCIDIG_DEFAULT_SMALL_CAP;
  ocidig_digest_format(digest, dstr);
  if (l->is_archive && !l->ar_eof && !l->ar_failed && !oci_member_find(l, relpath))
    return copy_streaming(l, relpath, digest, size, small_cap, sink, ctx, written, dstr, err);
  if ((rc = ocidig_layout_stat(l, relpath, &e, err)) != OCIDIG_OK)
    return rc;
  if (size >= 0 && e.size != size)
    return oci_fail(err, OCIDIG_ERR_SIZE_MISMATCH, "%s: %s is %lld bytes, the descriptor says %lld; nothing written",
                    dstr, relpath, (long long)e.size, (long long)size);
  if (e.size >= 0 && (uint64_t)e.size <= small_cap) {
    uint8_t *data;
    size_t len;
    if ((rc = ocidig_layout_read_file(l, relpath, small_cap, &data, &len, err)) != OCIDIG_OK)
      return rc;
    oci_hash_hex(digest->alg, data, len, hex);
    if (strcmp(hex, digest->hex)) {
      free(data);
      return oci_fail(err, OCIDIG_ERR_DIGEST_MISMATCH, "%s: the bytes of %s hash to %s:%s; nothing written", dstr,
                      relpath, ocidig_digest_alg_name(digest->alg), hex);
    }
    rc = len ? sink(ctx, data, len, err) : OCIDIG_OK;
    if (rc == OCIDIG_OK)
      *written = len;
    free(data);
    return rc;
  }
  {
    hash_sink s = {.h = oci_hasher_new(digest->alg), .sink = sink, .ctx = ctx};
    if (!s.h)
      return oci_nomem(err);
    rc = ocidig_layout_stream_file(l, relpath, hash_sink_write, &s, err);
    oci_hasher_final_hex(s.h, hex);
    oci_hasher_free(s.h);
    *written = s.n;
    if (rc != OCIDIG_OK) {
      if (s.n)
        oci_error_prefix(err, "%s: %llu bytes were written before the error and were NOT verified", dstr,
                         (unsigned long long)s.n);
      return rc;
    }
    if (size >= 0 && s.n != (uint64_t)size)
      return oci_fail(err, OCIDIG_ERR_SIZE_MISMATCH,
                      "%s: %s gave %llu bytes, the descriptor says %lld; the bytes written are NOT verified", dstr,
                      relpath, (unsigned long long)s.n, (long long)size);
    if (strcmp(hex, digest->hex))
      return oci_fail(err, OCIDIG_ERR_DIGEST_MISMATCH,
                      "%s: the %llu bytes of %s written out hash to %s:%s: they are NOT verified, discard them", dstr,
                      (unsigned long long)s.n, relpath, ocidig_digest_alg_name(digest->alg), hex);
  }
  return OCIDIG_OK;
}
