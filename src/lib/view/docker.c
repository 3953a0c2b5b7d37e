/* view/docker.c: a docker save without index.json (docker save before Docker 25, and
 * containers/image's docker-archive: as buildah, podman and skopeo write it) seen as an OCI
 * layout, as containers/image's docker-archive source presents it: per manifest.json entry a
 * synthesized image manifest (Docker schema 2) whose config is the Config file and whose
 * layers are the Layers files, and a synthesized index naming them by RepoTag.  The
 * synthesized documents are the view's own bytes (marked synthesized: no registry manifest
 * exists; an image is known by its image ID); the config and layer files are blobs mapped
 * to the members that hold them (symbolic links inside the archive followed, as
 * docker_archive.c finds them). */
#include "view_int.h"

#include "json.h"

#include <stdlib.h>
#include <string.h>

#define ANN_CONTAINERD_NAME "io.containerd.image.name"

/* Hashes a file's bytes (a layer whose name carries no digest and whose config gives no
 * diff_id: its own bytes are the only digest it has). */
typedef struct hash_ctx {
  oci_hasher *h;
} hash_ctx;

static ocidig_code hash_sink(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  (void)err;
  oci_hasher_update(((hash_ctx *)ctx)->h, buf, len);
  return OCIDIG_OK;
}

/* The digest manifest.json gives a file: the one its name carries, else `fallback` (the
 * image ID, a diff_id), else the digest of its bytes, else (absent too) a stand-in made
 * from its path, so that the file is still named: reading it says it is missing. */
static ocidig_code pick_digest(oci_view *v, const char *named, const char *fallback, const char *file,
                               const char *path, char *out, ocidig_error *err)
{
  ocidig_digest d;
  const char *c[2] = {named, fallback};
  for (int i = 0; i < 2; i++)
    if (c[i] && ocidig_digest_parse(c[i], strlen(c[i]), &d, NULL) == OCIDIG_OK) {
      ocidig_digest_format(&d, out);
      return OCIDIG_OK;
    }
  if (file) {
    hash_ctx hc = {oci_hasher_new(OCIDIG_DIGEST_SHA256)};
    char hex[129];
    ocidig_error e;
    ocidig_code rc;
    if (!hc.h)
      return oci_nomem(err);
    rc = ocidig_layout_stream_file(v->l, file, hash_sink, &hc, &e);
    oci_hasher_final_hex(hc.h, hex);
    oci_hasher_free(hc.h);
    if (rc == OCIDIG_OK) {
      snprintf(out, OCIDIG_DIGEST_STRING_MAX, "sha256:%s", hex);
      return OCIDIG_OK;
    }
    if (rc == OCIDIG_ERR_NOMEM)
      return oci_nomem(err);
  }
  if (!oci_view_sha256(path, strlen(path), out))
    return oci_nomem(err);
  return OCIDIG_OK;
}

static json_object *descriptor(const char *mt, const char *digest, int64_t size)
{
  json_object *o = json_object_new_object();
  if (!o)
    return NULL;
  if (!oci_json_add(o, "mediaType", json_object_new_string(mt)) ||
      !oci_json_add(o, "digest", json_object_new_string(digest)) ||
      !oci_json_add(o, "size", json_object_new_int64(size > 0 ? size : 0))) {
    json_object_put(o);
    return NULL;
  }
  return o;
}

/* Serializes and releases o; *text malloc'd.  NULL o: out of memory. */
static ocidig_code serialize(json_object *o, uint8_t **text, size_t *len, ocidig_error *err)
{
  return oci_json_text(o, text, len) ? OCIDIG_OK : oci_nomem(err);
}

/* The image manifest of manifest.json entry i; adds it, its config and layers to the blobs
 * and its entries (one per RepoTag) to `manifests`. */
static ocidig_code synthesize_image(oci_view *v, const ocidig_docker_image *im, size_t i, json_object *manifests,
                                    ocidig_error *err)
{
  char cfg[OCIDIG_DIGEST_STRING_MAX], dig[OCIDIG_DIGEST_STRING_MAX];
  json_object *m = json_object_new_object(), *layers = json_object_new_array();
  uint8_t *text;
  size_t len;
  ocidig_code rc;

  if (!m || !layers || !oci_json_add(m, "schemaVersion", json_object_new_int(2)) ||
      !oci_json_add(m, "mediaType", json_object_new_string(OCIDIG_MT_DOCKER_MANIFEST))) {
    json_object_put(m);
    json_object_put(layers);
    return oci_nomem(err);
  }
  if ((rc = pick_digest(v, im->config_digest, im->image_id, NULL, im->config_path, cfg, err)) != OCIDIG_OK ||
      (rc = oci_view_add_blob(v, cfg, im->config_file ? im->config_file : im->config_path, NULL, 0, (size_t)-1,
                              err)) != OCIDIG_OK) {
    json_object_put(m);
    json_object_put(layers);
    return rc;
  }
  if (!(v->docker_configs[i] = oci_strdup(cfg)) ||
      !oci_json_add(m, "config", descriptor(OCIDIG_MT_DOCKER_CONFIG, cfg, im->config_size))) {
    json_object_put(m);
    json_object_put(layers);
    return oci_nomem(err);
  }
  if (json_object_object_add(m, "layers", layers)) {
    json_object_put(m);
    json_object_put(layers);
    return oci_nomem(err);
  }
  for (size_t k = 0; k < im->n_layers; k++) {
    const ocidig_docker_layer *ly = &im->layers[k];
    if ((rc = pick_digest(v, ly->digest, ly->diff_id, ly->file, ly->path, dig, err)) != OCIDIG_OK ||
        (rc = oci_view_add_blob(v, dig, ly->file ? ly->file : ly->path, NULL, 0, (size_t)-1, err)) != OCIDIG_OK) {
      json_object_put(m);
      return rc;
    }
    if (!oci_json_push(layers, descriptor(OCIDIG_MT_DOCKER_LAYER, dig, ly->size))) {
      json_object_put(m);
      return oci_nomem(err);
    }
  }
  if ((rc = serialize(m, &text, &len, err)) != OCIDIG_OK)
    return rc;
  if (!oci_view_sha256(text, len, dig)) {
    free(text);
    return oci_nomem(err);
  }
  if ((rc = oci_view_add_blob(v, dig, NULL, text, len, i, err)) != OCIDIG_OK)
    return rc;
  /* One index entry per RepoTag (an untagged image: one, without a name), as Docker 25
   * writes index.json: every command groups entries of one digest as one image. */
  for (size_t k = 0; k < (im->n_repo_tags ? im->n_repo_tags : 1); k++) {
    json_object *d = descriptor(OCIDIG_MT_DOCKER_MANIFEST, dig, (int64_t)len), *ann = NULL;
    if (d && im->n_repo_tags) {
      ann = json_object_new_object();
      if (!ann || !oci_json_add(ann, ANN_CONTAINERD_NAME, json_object_new_string(im->repo_tags[k]))) {
        json_object_put(ann);
        json_object_put(d);
        d = NULL;
      } else if (!oci_json_add(d, "annotations", ann)) { /* ann released */
        json_object_put(d);
        d = NULL;
      }
    }
    if (!oci_json_push(manifests, d))
      return oci_nomem(err);
  }
  return OCIDIG_OK;
}

ocidig_code oci_view_docker_build(oci_view *v, ocidig_error *err)
{
  const ocidig_docker_archive *a;
  json_object *idx, *manifests;
  ocidig_code rc;

  if ((rc = oci_view_docker_archive(v, &a, err)) != OCIDIG_OK)
    return rc;
  v->root_name = "manifest.json";
  idx = json_object_new_object();
  manifests = json_object_new_array();
  if (!idx || !manifests || !oci_json_add(idx, "schemaVersion", json_object_new_int(2)) ||
      !oci_json_add(idx, "mediaType", json_object_new_string(OCIDIG_MT_OCI_INDEX))) {
    json_object_put(idx);
    json_object_put(manifests);
    return oci_nomem(err);
  }
  if (json_object_object_add(idx, "manifests", manifests)) {
    json_object_put(idx);
    json_object_put(manifests);
    return oci_nomem(err);
  }
  if (a && a->n_images && !(v->docker_configs = calloc(a->n_images, sizeof *v->docker_configs))) {
    json_object_put(idx);
    return oci_nomem(err);
  }
  v->n_docker_configs = a ? a->n_images : 0;
  for (size_t i = 0; a && i < a->n_images; i++)
    if ((rc = synthesize_image(v, &a->images[i], i, manifests, err)) != OCIDIG_OK) {
      json_object_put(idx);
      return rc;
    }
  return serialize(idx, &v->root, &v->root_len, err);
}
