/* view/cimage_dir.c: containers/image's dir: transport seen as an OCI layout.
 *
 * `skopeo copy ... dir:DIR` (and `podman save --format docker-dir`) writes manifest.json
 * (the image's manifest, or with --all the list, byte for byte as the source had it), the
 * blobs named by their hex (<hex>), the per-platform manifests of a list as
 * <hex>.manifest.json, and a file "version" ("Directory Transport Version: 1.1").
 * `skopeo sync --dest dir` writes one such folder per image, side by side.  manifest.json is
 * a real blob (its digest is its bytes'); only the index above it is synthesized: one entry
 * (one image at the root) or one per image folder, named by the folder's path
 * (org.opencontainers.image.ref.name). */
#include "view_int.h"

#include "json.h"
#include "layout.h"

#include <stdlib.h>
#include <string.h>

#define ANN_REF_NAME "org.opencontainers.image.ref.name"
#define MT_DOCKER_V1 "application/vnd.docker.distribution.manifest.v1+prettyjws"

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool is_hex64(const char *s, size_t n)
{
  return n == 64 && oci_lower_hex(s, n);
}

/* The media type manifest.json's entry is given: its own mediaType, else what its fields
 * say (an OCI index has manifests, a schema 1 manifest says schemaVersion 1), else an OCI
 * image manifest (the graph then judges the document as it reads it). */
static char *media_type_of(const uint8_t *data, size_t len, const char *what)
{
  oci_json_doc doc;
  json_object *mt;
  char *out = NULL;
  int64_t sv = 0;
  if (oci_json_parse(data, len, what, &doc, NULL) != OCIDIG_OK)
    return oci_strdup(OCIDIG_MT_OCI_MANIFEST);
  if (json_object_is_type(doc.root, json_type_object)) {
    if ((mt = oci_json_get(doc.root, "mediaType")) && json_object_is_type(mt, json_type_string))
      out = oci_json_strdup(mt);
    else if (oci_json_has(doc.root, "manifests"))
      out = oci_strdup(OCIDIG_MT_OCI_INDEX);
    else if (oci_json_int64(oci_json_get(doc.root, "schemaVersion"), &sv) && sv == 1)
      out = oci_strdup(MT_DOCKER_V1);
  }
  if (!out)
    out = oci_strdup(OCIDIG_MT_OCI_MANIFEST);
  oci_json_doc_free(&doc);
  return out;
}

/* Finds the image folders: the root alone when it holds manifest.json, else every folder
 * with a version file and a manifest.json object (sorted by path). */
static ocidig_code find_folders(oci_view *v, const ocidig_entry *ents, size_t n, ocidig_error *err)
{
  ocidig_entry e;
  ocidig_error e2;
  if (ocidig_layout_stat(v->l, "manifest.json", &e, &e2) == OCIDIG_OK)
    return oci_strv_push(&v->folders, &v->n_folders, "") ? OCIDIG_OK : oci_nomem(err);
  {
    ocidig_code rc = oci_cimage_folders(v->l, ents, n, SIZE_MAX, &v->folders, &v->n_folders, err);
    if (rc != OCIDIG_OK)
      return rc;
  }
  if (v->n_folders > 1)
    qsort(v->folders, v->n_folders, sizeof *v->folders, cmp_str);
  if (!v->n_folders) /* detection said yes: the layout changed under us */
    return oci_fail(err, OCIDIG_ERR_MISSING_INDEX_JSON, "%s: no manifest.json of containers/image's dir: format",
                    v->l->path);
  return OCIDIG_OK;
}

static bool is_folder(const oci_view *v, const char *path, size_t n)
{
  size_t lo = 0, hi = v->n_folders;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strncmp(v->folders[mid], path, n);
    if (c == 0 && v->folders[mid][n])
      c = 1;
    if (c < 0)
      lo = mid + 1;
    else if (c > 0)
      hi = mid;
    else
      return true;
  }
  return false;
}

/* Reads folder/manifest.json, adds it to the blobs and its entry to `manifests`. */
static ocidig_code add_image(oci_view *v, const char *folder, json_object *manifests, ocidig_error *err)
{
  char path[OCIDIG_MAX_PATH_LENGTH + 32], dig[OCIDIG_DIGEST_STRING_MAX];
  uint8_t *data = NULL;
  size_t len = 0;
  char *mt;
  json_object *d;
  ocidig_code rc;

  snprintf(path, sizeof path, "%s%smanifest.json", folder, *folder ? "/" : "");
  if ((rc = ocidig_layout_read_file(v->l, path, OCIDIG_MAX_JSON_SIZE, &data, &len, err)) != OCIDIG_OK) {
    if (rc == OCIDIG_ERR_JSON_TOO_LARGE)
      return oci_fail(err, rc, "%s: larger than the %u-byte limit for a document", path, OCIDIG_MAX_JSON_SIZE);
    return rc;
  }
  mt = oci_view_sha256(data, len, dig) ? media_type_of(data, len, path) : NULL;
  free(data);
  if (!mt)
    return oci_nomem(err);
  if ((rc = oci_view_add_blob(v, dig, path, NULL, 0, (size_t)-1, err)) != OCIDIG_OK) {
    free(mt);
    return rc;
  }
  d = json_object_new_object();
  if (!d || !oci_json_add(d, "mediaType", json_object_new_string(mt)) ||
      !oci_json_add(d, "digest", json_object_new_string(dig)) ||
      !oci_json_add(d, "size", json_object_new_int64((int64_t)len))) {
    free(mt);
    json_object_put(d);
    return oci_nomem(err);
  }
  free(mt);
  if (*folder) {
    json_object *ann = json_object_new_object();
    if (!ann || !oci_json_add(ann, ANN_REF_NAME, json_object_new_string(folder))) {
      json_object_put(ann);
      json_object_put(d);
      return oci_nomem(err);
    }
    if (!oci_json_add(d, "annotations", ann)) { /* ann released */
      json_object_put(d);
      return oci_nomem(err);
    }
  }
  return oci_json_push(manifests, d) ? OCIDIG_OK : oci_nomem(err);
}

ocidig_code oci_view_cimage_build(oci_view *v, ocidig_error *err)
{
  const ocidig_entry *ents;
  size_t n;
  json_object *idx, *manifests;
  ocidig_code rc;

  if ((rc = ocidig_layout_entries(v->l, &ents, &n, err)) != OCIDIG_OK || (rc = find_folders(v, ents, n, err)) != OCIDIG_OK)
    return rc;
  /* Not "manifest.json" alone: that names a docker save's root (ocidig_resolution_is_docker_archive). */
  v->root_name = v->folders[0][0] ? "the image folders (manifest.json, version)" : "manifest.json (dir:)";
  idx = json_object_new_object();
  manifests = json_object_new_array();
  if (!idx || !manifests || !oci_json_add(idx, "schemaVersion", json_object_new_int(2)) ||
      !oci_json_add(idx, "mediaType", json_object_new_string(OCIDIG_MT_OCI_INDEX))) {
    json_object_put(idx);
    json_object_put(manifests);
    return oci_nomem(err);
  }
  if (!oci_json_add(idx, "manifests", manifests)) {
    json_object_put(idx);
    return oci_nomem(err);
  }
  /* manifest.json first: where a hex-named file has the same digest, both hold the same bytes
   * or one of them is damaged, and manifest.json is the one the format names. */
  for (size_t i = 0; i < v->n_folders; i++)
    if ((rc = add_image(v, v->folders[i], manifests, err)) != OCIDIG_OK) {
      json_object_put(idx);
      return rc;
    }
  /* The blobs: <hex> and <hex>.manifest.json in an image folder. */
  for (size_t i = 0; i < n; i++) {
    const char *p = ents[i].path, *slash = strrchr(p, '/'), *base = slash ? slash + 1 : p;
    size_t blen = strlen(base);
    char dig[OCIDIG_DIGEST_STRING_MAX];
    if (ents[i].type == OCIDIG_ENTRY_DIRECTORY || ents[i].type == OCIDIG_ENTRY_SPECIAL || ents[i].escapes)
      continue;
    if (!(is_hex64(base, blen) || (blen == 64 + 14 && !strcmp(base + 64, ".manifest.json") && is_hex64(base, 64))))
      continue;
    if (!is_folder(v, p, slash ? (size_t)(slash - p) : 0))
      continue;
    snprintf(dig, sizeof dig, "sha256:%.64s", base);
    if ((rc = oci_view_add_blob(v, dig, p, NULL, 0, (size_t)-1, err)) != OCIDIG_OK) {
      json_object_put(idx);
      return rc;
    }
  }
  return oci_json_text(idx, &v->root, &v->root_len) ? OCIDIG_OK : oci_nomem(err);
}
