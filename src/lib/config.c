/* config.c: image configs (ocidig_image_config_parse), what a layer's media type says of its
 * compression, and the JSON readers they share with the manifests (an object of strings, an
 * array of strings, the keys of an object). */
#include "image.h"

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_annotation(const void *a, const void *b)
{
  return strcmp(((const ocidig_annotation *)a)->key, ((const ocidig_annotation *)b)->key);
}

void oci_annotations_free(ocidig_annotation *v, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(v[i].key);
    free(v[i].value);
  }
  free(v);
}

/* An object of strings -> annotations (sorted when `sort`). */
ocidig_code oci_annotations_parse(json_object *obj, const char *key, const char *where, ocidig_annotation **out,
                                  size_t *n, bool sort, ocidig_error *err)
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
      oci_annotations_free(*out, *n);
      *out = NULL;
      *n = 0;
      return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: %s \"%s\" must be a string, not %s", where, key, k,
                      oci_json_type_name(val));
    }
    a->key = oci_strdup(k);
    a->value = val ? oci_json_strdup(val) : oci_strdup("");
    (*n)++;
    if (!a->key || !a->value) {
      oci_annotations_free(*out, *n);
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
              (rc = oci_annotations_parse(cfg, "Labels", w, &c->labels, &c->n_labels, true, err)) != OCIDIG_OK))
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
  oci_annotations_free(c->labels, c->n_labels);
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
