/* docker_manifest.c: what a docker save says of itself, read below the view.
 *
 * Before Docker 25, `docker save` wrote manifest.json (one object per image: Config, RepoTags,
 * Layers), repositories, <image ID>.json configs and <legacy id>/{VERSION,json,layer.tar};
 * containers/image writes the same with <diff_id>.tar layers and the legacy layer.tar as symbolic
 * links to them.  Such an archive carries no registry manifest: an image is known by its config,
 * whose digest is Docker's image ID.  Docker 25 and `ctr images export` write an OCI layout with
 * a manifest.json beside index.json (a hybrid); there index.json is authoritative and
 * manifest.json is only compared with it.
 *
 * Here: which format the root holds (ocidig_layout_format_detect: OCI, docker save, hybrid,
 * containers/image dir:), reading manifest.json and repositories (the document the docker
 * view is built from), and picking an image of it by RepoTag or image ID.  It reads the
 * layout only (layout.h); the view (view.c, view/docker.c) and root.c build on it, and it
 * calls nothing above the layout. */
#include "docker_manifest.h"
#include "layout.h"
#include "descriptor.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#define MAX_LINK_HOPS 8

const char *ocidig_layout_format_name(ocidig_layout_format f)
{
  switch (f) {
  case OCIDIG_FORMAT_OCI:
    return "oci";
  case OCIDIG_FORMAT_DOCKER_ARCHIVE:
    return "docker-archive";
  case OCIDIG_FORMAT_HYBRID:
    return "oci+docker-archive";
  case OCIDIG_FORMAT_CIMAGE_DIR:
    return "dir";
  default:
    return "none";
  }
}

/* Is relpath a regular file of the layout?  Absence is not an error. */
static ocidig_code has_file(ocidig_layout *l, const char *relpath, bool *yes, ocidig_error *err)
{
  ocidig_entry e;
  ocidig_error e2;
  ocidig_code rc = ocidig_layout_stat(l, relpath, &e, &e2);
  *yes = rc == OCIDIG_OK;
  if (rc == OCIDIG_OK || rc == OCIDIG_ERR_BLOB_MISSING)
    return OCIDIG_OK;
  if (err)
    *err = e2;
  return rc;
}

/* The first byte of a file that is not JSON white space (0: none). */
static ocidig_code first_char_sink(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  int *c = ctx;
  const unsigned char *p = buf;
  (void)err;
  for (size_t i = 0; i < len && !*c; i++)
    if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
      *c = p[i];
  return OCIDIG_OK;
}

#define CIMAGE_VERSION "Directory Transport Version: 1."

ocidig_code oci_cimage_folder_is_image(ocidig_layout *l, const char *folder, bool *yes, ocidig_error *err)
{
  char path[OCIDIG_MAX_PATH_LENGTH + 32];
  uint8_t *data = NULL;
  size_t len = 0;
  int c = 0;
  ocidig_error e;
  ocidig_code rc;
  *yes = false;
  if (strlen(folder) > OCIDIG_MAX_PATH_LENGTH)
    return OCIDIG_OK;
  snprintf(path, sizeof path, "%s%sversion", folder, *folder ? "/" : "");
  rc = ocidig_layout_read_file(l, path, 256, &data, &len, &e);
  if (rc == OCIDIG_ERR_NOMEM)
    return oci_nomem(err);
  if (rc != OCIDIG_OK)
    return OCIDIG_OK; /* absent, too long, unreadable: not this format */
  *yes = len >= strlen(CIMAGE_VERSION) && !memcmp(data, CIMAGE_VERSION, strlen(CIMAGE_VERSION));
  free(data);
  if (!*yes)
    return OCIDIG_OK;
  snprintf(path, sizeof path, "%s%smanifest.json", folder, *folder ? "/" : "");
  rc = ocidig_layout_stream_file(l, path, first_char_sink, &c, &e);
  if (rc == OCIDIG_ERR_NOMEM)
    return oci_nomem(err);
  *yes = rc == OCIDIG_OK && c == '{';
  return OCIDIG_OK;
}

/* Image folders of containers/image's dir: side by side (skopeo sync --dest dir), at any
 * depth: a folder holding "version" and a manifest.json object.  Only when the root has
 * neither index.json nor manifest.json; a listing that fails finds none. */
static ocidig_code cimage_tree(ocidig_layout *l, bool *yes, ocidig_error *err)
{
  const ocidig_entry *ents;
  size_t n, n_folders = 0;
  char **folders = NULL;
  ocidig_error e;
  ocidig_code rc;
  *yes = false;
  if (ocidig_layout_entries(l, &ents, &n, &e) != OCIDIG_OK)
    return e.code == OCIDIG_ERR_NOMEM ? oci_nomem(err) : OCIDIG_OK;
  rc = oci_cimage_folders(l, ents, n, 1, &folders, &n_folders, err);
  *yes = n_folders > 0;
  oci_strv_free(folders, n_folders);
  return rc;
}

ocidig_code oci_cimage_folders(ocidig_layout *l, const ocidig_entry *ents, size_t n, size_t max, char ***folders,
                               size_t *n_folders, ocidig_error *err)
{
  for (size_t i = 0; i < n && *n_folders < max; i++) {
    const char *p = ents[i].path, *slash = strrchr(p, '/');
    char *folder;
    bool yes = false;
    ocidig_code rc;
    if (!slash || strcmp(slash + 1, "version") || ents[i].escapes || ents[i].type == OCIDIG_ENTRY_DIRECTORY ||
        ents[i].type == OCIDIG_ENTRY_SPECIAL)
      continue;
    if (!(folder = oci_strndup(p, (size_t)(slash - p))))
      return oci_nomem(err);
    rc = oci_cimage_folder_is_image(l, folder, &yes, err);
    if (rc == OCIDIG_OK && yes && !oci_strv_push(folders, n_folders, folder))
      rc = oci_nomem(err);
    free(folder);
    if (rc != OCIDIG_OK)
      return rc;
  }
  return OCIDIG_OK;
}

ocidig_code ocidig_layout_format_detect(ocidig_layout *l, ocidig_layout_format *out, ocidig_error *err)
{
  bool index = false, manifest = false, dir = false;
  ocidig_code rc;
  OCI_REQUIRE(out, "out", err);
  *out = OCIDIG_FORMAT_NONE;
  OCI_REQUIRE(l, "the layout", err);
  if ((rc = has_file(l, "index.json", &index, err)) != OCIDIG_OK ||
      (rc = has_file(l, "manifest.json", &manifest, err)) != OCIDIG_OK)
    return rc;
  if (index) {
    *out = manifest ? OCIDIG_FORMAT_HYBRID : OCIDIG_FORMAT_OCI;
    return OCIDIG_OK;
  }
  /* containers/image dir: manifest.json an object (docker save's is an array) beside a
   * version file; or several such folders side by side. */
  if ((rc = manifest ? oci_cimage_folder_is_image(l, "", &dir, err) : cimage_tree(l, &dir, err)) != OCIDIG_OK)
    return rc;
  if (dir)
    *out = OCIDIG_FORMAT_CIMAGE_DIR;
  else if (manifest)
    *out = OCIDIG_FORMAT_DOCKER_ARCHIVE;
  return OCIDIG_OK;
}

/* ------------------------------------------------------------ paths */

/* What reading one manifest.json needs: the symbolic links of an archive, sorted by name
 * (built when first needed), and budgets against a manifest.json that names the same huge
 * config or layer again and again. */
typedef struct dctx {
  ocidig_layout *l;
  const oci_member **links;
  size_t n_links;
  bool links_built;
  uint64_t config_bytes;
  size_t n_layers;
} dctx;

#define MAX_CONFIG_BYTES (256ull * 1024 * 1024) /* configs read and hashed, in total */
#define MAX_LAYER_ENTRIES OCIDIG_MAX_INDEX_DESCRIPTORS /* Layers entries, in total */

static int cmp_link(const void *a, const void *b)
{
  const oci_member *x = *(const oci_member *const *)a, *y = *(const oci_member *const *)b;
  int c = strcmp(x->path, y->path);
  return c ? c : (x->ordinal > y->ordinal) - (x->ordinal < y->ordinal);
}

/* The last symbolic link member named path (archives: the directory source follows links). */
static const oci_member *find_symlink(dctx *c, const char *path)
{
  size_t lo = 0, hi;
  if (!c->links_built) {
    ocidig_layout *l = c->l;
    c->links_built = true;
    for (size_t i = 0; i < l->n_members; i++)
      if (l->members[i].type == OCIDIG_ENTRY_SYMLINK && !l->members[i].escapes)
        c->n_links++;
    if (!c->n_links || !(c->links = calloc(c->n_links, sizeof *c->links))) {
      c->n_links = 0;
      return NULL;
    }
    c->n_links = 0;
    for (size_t i = 0; i < l->n_members; i++)
      if (l->members[i].type == OCIDIG_ENTRY_SYMLINK && !l->members[i].escapes)
        c->links[c->n_links++] = &l->members[i];
    qsort(c->links, c->n_links, sizeof *c->links, cmp_link);
  }
  /* The first entry not below path, then the last of those equal to it. */
  hi = c->n_links;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(c->links[mid]->path, path) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == c->n_links || strcmp(c->links[lo]->path, path))
    return NULL;
  while (lo + 1 < c->n_links && !strcmp(c->links[lo + 1]->path, path))
    lo++;
  return c->links[lo];
}

/* Finds the regular file a path of manifest.json names, following symbolic links inside an
 * archive.  Absent (or a link leading nowhere): OCIDIG_ERR_BLOB_MISSING. */
static ocidig_code find_file(dctx *c, const char *path, char **file, int64_t *size, ocidig_error *err)
{
  ocidig_layout *l = c->l;
  bool nomem;
  char *cur = oci_link_join("", path, &nomem);
  *file = NULL;
  *size = -1;
  if (!cur && nomem)
    return oci_nomem(err);
  if (!cur)
    return oci_fail(err, OCIDIG_ERR_BLOB_MISSING, "%s: not a path inside the archive", path);
  for (int hop = 0; hop <= MAX_LINK_HOPS; hop++) {
    ocidig_entry e;
    ocidig_error e2;
    const oci_member *m;
    char *next;
    ocidig_code rc = ocidig_layout_stat(l, cur, &e, &e2);
    if (rc == OCIDIG_OK) {
      *file = cur;
      *size = e.size;
      return OCIDIG_OK;
    }
    if (rc != OCIDIG_ERR_BLOB_MISSING) {
      free(cur);
      if (err)
        *err = e2;
      return rc;
    }
    if (!l->is_archive || !(m = find_symlink(c, cur)))
      break;
    next = oci_link_join(cur, m->link_target, &nomem);
    free(cur);
    if (!(cur = next) && nomem)
      return oci_nomem(err);
    if (!cur)
      return oci_fail(err, OCIDIG_ERR_BLOB_MISSING, "%s: a symbolic link leading outside the archive", path);
  }
  free(cur);
  return oci_fail(err, OCIDIG_ERR_BLOB_MISSING, "%s is not in the %s", path,
                  l->is_archive ? "archive" : "directory");
}

static bool all_hex(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
      return false;
  return true;
}

/* The digest a file name carries: blobs/<alg>/<hex>, or <64 hex>.json / <64 hex>.tar / <64 hex>
 * (sha256) as docker save and containers/image name configs and layers.  NULL otherwise. */
static char *path_digest(const char *path)
{
  ocidig_digest_alg alg;
  const char *hex = oci_blob_path_hex(path, &alg);
  size_t n = strlen(path);
  if (hex)
    return oci_sprintf("%s:%s", ocidig_digest_alg_name(alg), hex);
  if (strchr(path, '/'))
    return NULL;
  if ((n == 64 || (n == 69 && !strcmp(path + 64, ".json")) || (n == 68 && !strcmp(path + 64, ".tar"))) &&
      all_hex(path, 64))
    return oci_sprintf("sha256:%.64s", path);
  return NULL;
}

/* ------------------------------------------------------------ reading */

static void archive_warn(ocidig_docker_archive *a, const char *fmt, ...) OCI_PRINTF(2, 3);
static void archive_warn(ocidig_docker_archive *a, const char *fmt, ...)
{
  char buf[OCIDIG_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  for (size_t i = 0; i < a->n_warnings; i++)
    if (!strcmp(a->warnings[i], buf))
      return;
  oci_strv_push(&a->warnings, &a->n_warnings, buf);
}

/* A JSON array of strings (null: empty); `what` names it in messages. */
static ocidig_code string_list(json_object *v, const char *what, char ***out, size_t *n, ocidig_error *err)
{
  size_t len;
  *out = NULL;
  *n = 0;
  if (!v)
    return OCIDIG_OK;
  if (!json_object_is_type(v, json_type_array))
    return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s must be an array of strings, not %s", what,
                    oci_json_type_name(v));
  len = json_object_array_length(v);
  for (size_t i = 0; i < len; i++) {
    json_object *e = json_object_array_get_idx(v, i);
    char *s;
    if (!e || !json_object_is_type(e, json_type_string)) {
      oci_strv_free(*out, *n);
      *out = NULL;
      *n = 0;
      return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s[%zu] must be a string, not %s", what, i,
                      oci_json_type_name(e));
    }
    s = oci_json_strdup(e);
    if (!s || !oci_strv_push(out, n, s)) {
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

static void set_config_error(ocidig_docker_image *im, const ocidig_error *e)
{
  im->config_code = e->code;
  free(im->config_error);
  im->config_error = oci_strdup(e->message);
}

/* Reads an image's config: hashes it (the image ID), takes its platform and diff_ids. */
static ocidig_code read_config(dctx *c, ocidig_docker_image *im, char ***diff_ids, size_t *n_diff_ids,
                               ocidig_error *err)
{
  ocidig_layout *l = c->l;
  uint8_t *data = NULL;
  size_t len = 0;
  oci_json_doc doc;
  ocidig_error e;
  ocidig_code rc;
  ocidig_digest_alg alg = OCIDIG_DIGEST_SHA256;
  char hex[129], what[OCIDIG_MAX_PATH_LENGTH + 16];

  *diff_ids = NULL;
  *n_diff_ids = 0;
  im->config_digest = path_digest(im->config_path);
  rc = find_file(c, im->config_path, &im->config_file, &im->config_size, &e);
  if (rc == OCIDIG_OK && im->config_size > 0 && c->config_bytes + (uint64_t)im->config_size > MAX_CONFIG_BYTES)
    return oci_fail(err, OCIDIG_ERR_LIMIT, "manifest.json: its configs total more than %llu bytes",
                    (unsigned long long)MAX_CONFIG_BYTES);
  if (rc == OCIDIG_OK)
    rc = ocidig_layout_read_file(l, im->config_file, OCIDIG_MAX_JSON_SIZE, &data, &len, &e);
  if (rc == OCIDIG_OK)
    c->config_bytes += len;
  if (rc == OCIDIG_ERR_NOMEM)
    return oci_nomem(err);
  if (rc != OCIDIG_OK) {
    if (rc == OCIDIG_ERR_BLOB_MISSING)
      im->n_missing++;
    if (rc == OCIDIG_ERR_JSON_TOO_LARGE)
      oci_fail(&e, rc, "config %s: larger than the %u-byte limit for a document", im->config_path,
               OCIDIG_MAX_JSON_SIZE);
    set_config_error(im, &e);
    return OCIDIG_OK;
  }
  if (im->config_digest) {
    ocidig_digest d;
    if (ocidig_digest_parse(im->config_digest, strlen(im->config_digest), &d, NULL) == OCIDIG_OK)
      alg = d.alg;
  }
  if (oci_hash_hex(alg, data, len, hex))
    im->image_id = oci_sprintf("%s:%s", ocidig_digest_alg_name(alg), hex);
  if (!im->image_id) {
    free(data);
    return oci_nomem(err);
  }
  if (im->config_digest && strcmp(im->config_digest, im->image_id)) {
    im->config_mismatch = true;
    oci_fail(&e, OCIDIG_ERR_DIGEST_MISMATCH, "config %s: its bytes hash to %s, its name says %s", im->config_path,
             im->image_id, im->config_digest);
    set_config_error(im, &e);
  }
  snprintf(what, sizeof what, "config %s", im->config_path);
  rc = oci_json_parse(data, len, what, &doc, &e);
  free(data);
  if (rc == OCIDIG_ERR_NOMEM)
    return oci_nomem(err);
  if (rc != OCIDIG_OK) {
    if (!im->config_mismatch)
      set_config_error(im, &e);
    return OCIDIG_OK;
  }
  if (!json_object_is_type(doc.root, json_type_object)) {
    oci_fail(&e, OCIDIG_ERR_INVALID_JSON, "%s is %s, not an object", what, oci_json_type_name(doc.root));
  } else if ((rc = oci_platform_parse_json(doc.root, what, &im->platform, NULL, &e)) == OCIDIG_OK) {
    json_object *rootfs = oci_json_get(doc.root, "rootfs");
    im->has_platform = true;
    if (rootfs && json_object_is_type(rootfs, json_type_object)) {
      char w2[OCIDIG_MAX_PATH_LENGTH + 64];
      snprintf(w2, sizeof w2, "%s: rootfs.diff_ids", what);
      rc = string_list(oci_json_get(rootfs, "diff_ids"), w2, diff_ids, n_diff_ids, &e);
    }
  }
  oci_json_doc_free(&doc);
  if (rc == OCIDIG_ERR_NOMEM)
    return oci_nomem(err);
  if (rc != OCIDIG_OK && !im->config_mismatch)
    set_config_error(im, &e);
  return OCIDIG_OK;
}

/* What manifest.json says of image i, read as its element streams by: the config's path, the
 * RepoTags, the layers' paths (im->layers[k].path).  No file is looked at here. */
static ocidig_code read_image_entry(dctx *c, json_object *obj, size_t i, ocidig_docker_image *im, ocidig_error *err)
{
  char what[64];
  json_object *cfg, *layers;
  char **paths = NULL;
  size_t n_paths = 0;
  ocidig_code rc;

  im->config_size = -1;
  snprintf(what, sizeof what, "manifest.json[%zu]", i);
  if (!json_object_is_type(obj, json_type_object))
    return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s must be an object, not %s", what, oci_json_type_name(obj));
  cfg = oci_json_get(obj, "Config");
  if (!cfg || !json_object_is_type(cfg, json_type_string) || !json_object_get_string_len(cfg))
    return oci_fail(err, OCIDIG_ERR_INVALID_JSON, "%s: \"Config\" must be a file name, not %s", what,
                    cfg ? oci_json_type_name(cfg) : "absent");
  if (!(im->config_path = oci_json_strdup(cfg)))
    return oci_nomem(err);
  {
    char w[80];
    snprintf(w, sizeof w, "%s.RepoTags", what);
    if ((rc = string_list(oci_json_get(obj, "RepoTags"), w, &im->repo_tags, &im->n_repo_tags, err)) != OCIDIG_OK)
      return rc;
    snprintf(w, sizeof w, "%s.Layers", what);
    layers = oci_json_get(obj, "Layers");
    if ((rc = string_list(layers, w, &paths, &n_paths, err)) != OCIDIG_OK)
      return rc;
  }
  if ((c->n_layers += n_paths) > MAX_LAYER_ENTRIES) {
    oci_strv_free(paths, n_paths);
    return oci_fail(err, OCIDIG_ERR_LIMIT, "manifest.json: more than %d layers in all", MAX_LAYER_ENTRIES);
  }
  if (!(im->layers = calloc(n_paths ? n_paths : 1, sizeof *im->layers))) {
    oci_strv_free(paths, n_paths);
    return oci_nomem(err);
  }
  for (size_t k = 0; k < n_paths; k++)
    im->layers[k].path = paths[k];
  im->n_layers = n_paths;
  free(paths);
  return OCIDIG_OK;
}

/* The files image im names: its config (read: image ID, platform, diff_ids), its layers
 * (found; their digests from their names and the diff_ids). */
static ocidig_code read_image_files(dctx *c, ocidig_docker_image *im, ocidig_error *err)
{
  char **diff_ids = NULL;
  size_t n_diff_ids = 0;
  ocidig_code rc;
  if ((rc = read_config(c, im, &diff_ids, &n_diff_ids, err)) != OCIDIG_OK)
    goto out;
  for (size_t k = 0; k < im->n_layers; k++) {
    ocidig_docker_layer *ly = &im->layers[k];
    ocidig_error e;
    ly->digest = path_digest(ly->path);
    if (k < n_diff_ids) {
      ly->diff_id = diff_ids[k];
      diff_ids[k] = NULL;
    }
    rc = find_file(c, ly->path, &ly->file, &ly->size, &e);
    if (rc == OCIDIG_OK) {
      im->layers_size = oci_size_add(im->layers_size, ly->size);
    } else if (rc == OCIDIG_ERR_BLOB_MISSING) {
      im->n_missing++;
    } else {
      if (err)
        *err = e;
      goto out;
    }
  }
  rc = OCIDIG_OK;
out:
  oci_strv_free(diff_ids, n_diff_ids);
  return rc;
}

const char *oci_docker_image_label(const ocidig_docker_image *im)
{
  if (im->n_repo_tags)
    return im->repo_tags[0];
  if (im->image_id)
    return im->image_id;
  return im->config_path;
}

/* repositories: {"repo": {"tag": "<top layer id>"}}.  Each tag is checked against RepoTags. */
static ocidig_code read_repositories(ocidig_layout *l, ocidig_docker_archive *a, ocidig_error *err)
{
  uint8_t *data;
  size_t len;
  oci_json_doc doc;
  ocidig_error e;
  size_t cap = 0;
  ocidig_code rc = ocidig_layout_read_file(l, "repositories", OCIDIG_MAX_JSON_SIZE, &data, &len, &e);
  if (rc == OCIDIG_ERR_BLOB_MISSING)
    return OCIDIG_OK;
  if (rc == OCIDIG_ERR_NOMEM)
    return oci_nomem(err);
  if (rc != OCIDIG_OK) {
    archive_warn(a, "repositories could not be read: %s", e.message);
    return OCIDIG_OK;
  }
  a->has_repositories = true;
  rc = oci_json_parse(data, len, "repositories", &doc, &e);
  free(data);
  if (rc != OCIDIG_OK) {
    archive_warn(a, "%s; the file is ignored", e.message);
    return rc == OCIDIG_ERR_NOMEM ? oci_nomem(err) : OCIDIG_OK;
  }
  if (!json_object_is_type(doc.root, json_type_object)) {
    archive_warn(a, "repositories is %s, not an object; the file is ignored", oci_json_type_name(doc.root));
    oci_json_doc_free(&doc);
    return OCIDIG_OK;
  }
  json_object_object_foreach(doc.root, repo, tags)
  {
    if (!tags || !json_object_is_type(tags, json_type_object)) {
      archive_warn(a, "repositories: \"%s\" is %s, not an object of tags; ignored", repo, oci_json_type_name(tags));
      continue;
    }
    json_object_object_foreach(tags, tag, id)
    {
      ocidig_docker_tag *t;
      if (!oci_grow((void **)&a->repositories, &cap, a->n_repositories + 1, sizeof *a->repositories)) {
        oci_json_doc_free(&doc);
        return oci_nomem(err);
      }
      t = &a->repositories[a->n_repositories];
      memset(t, 0, sizeof *t);
      t->name = oci_sprintf("%s:%s", repo, tag);
      t->layer_id = id && json_object_is_type(id, json_type_string) ? oci_json_strdup(id) : NULL;
      a->n_repositories++;
      if (!t->name) {
        oci_json_doc_free(&doc);
        return oci_nomem(err);
      }
    }
  }
  oci_json_doc_free(&doc);
  for (size_t i = 0; i < a->n_repositories; i++) {
    bool found = false;
    for (size_t k = 0; k < a->n_images && !found; k++)
      for (size_t j = 0; j < a->images[k].n_repo_tags && !found; j++)
        found = !strcmp(a->images[k].repo_tags[j], a->repositories[i].name);
    if (!found)
      archive_warn(a, "repositories names %s, which no image of manifest.json has among its RepoTags",
                   a->repositories[i].name);
  }
  return OCIDIG_OK;
}

/* manifest.json as it streams by: each image's entry (read_image_entry), kept as it comes. */
typedef struct manifest_read {
  dctx *c;
  ocidig_docker_archive *a;
  size_t cap;
  oci_json_stream *js;
} manifest_read;

static ocidig_code manifest_element(void *ctx, size_t i, json_object *elem, ocidig_error *err)
{
  manifest_read *mr = ctx;
  ocidig_docker_archive *a = mr->a;
  if (i == SIZE_MAX) /* not for a top array; as the stream's contract has it */
    return OCIDIG_OK;
  if (i >= OCIDIG_MAX_INDEX_DESCRIPTORS)
    return oci_fail(err, OCIDIG_ERR_LIMIT, "manifest.json: more than %d images", OCIDIG_MAX_INDEX_DESCRIPTORS);
  if (!oci_grow((void **)&a->images, &mr->cap, a->n_images + 1, sizeof *a->images))
    return oci_nomem(err);
  memset(&a->images[a->n_images], 0, sizeof *a->images);
  a->n_images++;
  return read_image_entry(mr->c, elem, i, &a->images[a->n_images - 1], err);
}

/* manifest.json is read as a stream, its images one by one: a save of many images is read
 * whatever the size of the file (memory: what is kept of each image), as index.json is. */
ocidig_code ocidig_docker_archive_read(ocidig_layout *l, ocidig_docker_archive **out, ocidig_error *err)
{
  ocidig_docker_archive *a;
  oci_json_doc doc;
  ocidig_code rc;
  bool index = false;
  dctx c = {.l = l};
  manifest_read mr = {.c = &c};
  const ocidig_error *refused;

  OCI_REQUIRE(out, "out", err);
  *out = NULL;
  OCI_REQUIRE(l, "the layout", err);

  if (!(a = calloc(1, sizeof *a)) || !(mr.js = oci_json_stream_new("manifest.json", NULL, manifest_element, &mr))) {
    free(a);
    return oci_nomem(err);
  }
  mr.a = a;
  rc = ocidig_layout_stream_file(l, "manifest.json", oci_json_stream_sink, mr.js, err);
  if (rc == OCIDIG_OK && (rc = oci_json_stream_finish(mr.js, &doc, err)) == OCIDIG_OK) {
    if (!json_object_is_type(doc.root, json_type_array)) {
      rc = oci_fail(err, OCIDIG_ERR_INVALID_JSON, "manifest.json must be an array of images, not %s",
                    oci_json_type_name(doc.root));
    } else if ((refused = oci_json_stream_refused(mr.js))) {
      rc = refused->code;
      if (err)
        *err = *refused;
    }
    oci_json_doc_free(&doc);
  }
  oci_json_stream_free(mr.js);
  if (rc == OCIDIG_ERR_BLOB_MISSING)
    rc = oci_fail(err, rc, "%s: no manifest.json: not a docker save archive", l->path);
  for (size_t i = 0; rc == OCIDIG_OK && i < a->n_images; i++)
    rc = read_image_files(&c, &a->images[i], err);
  if (rc != OCIDIG_OK) {
    ocidig_docker_archive_free(a);
    free(c.links);
    return rc;
  }
  free(c.links);
  for (size_t i = 0; i < a->n_images; i++) {
    const ocidig_docker_image *im = &a->images[i];
    size_t with_diff = 0;
    for (size_t k = 0; k < im->n_layers; k++)
      with_diff += im->layers[k].diff_id != NULL;
    if (im->has_platform && with_diff != im->n_layers)
      archive_warn(a, "image %s: manifest.json lists %zu layers, its config %zu diff_ids", oci_docker_image_label(im),
                   im->n_layers, with_diff);
  }
  if ((rc = read_repositories(l, a, err)) != OCIDIG_OK ||
      (rc = has_file(l, "index.json", &index, err)) != OCIDIG_OK) {
    ocidig_docker_archive_free(a);
    return rc;
  }
  a->format = index ? OCIDIG_FORMAT_HYBRID : OCIDIG_FORMAT_DOCKER_ARCHIVE;
  *out = a;
  return OCIDIG_OK;
}

void ocidig_docker_archive_free(ocidig_docker_archive *a)
{
  if (!a)
    return;
  for (size_t i = 0; i < a->n_images; i++) {
    ocidig_docker_image *im = &a->images[i];
    oci_strv_free(im->repo_tags, im->n_repo_tags);
    free(im->config_path);
    free(im->config_file);
    free(im->config_digest);
    free(im->image_id);
    free(im->config_error);
    ocidig_platform_clear(&im->platform);
    for (size_t k = 0; k < im->n_layers; k++) {
      free(im->layers[k].path);
      free(im->layers[k].file);
      free(im->layers[k].digest);
      free(im->layers[k].diff_id);
    }
    free(im->layers);
  }
  free(a->images);
  for (size_t i = 0; i < a->n_repositories; i++) {
    free(a->repositories[i].name);
    free(a->repositories[i].layer_id);
  }
  free(a->repositories);
  oci_strv_free(a->warnings, a->n_warnings);
  free(a);
}

/* ------------------------------------------------------------ --ref */

static const char *image_key(const ocidig_docker_image *im)
{
  return im->image_id ? im->image_id : im->config_path;
}

ocidig_code ocidig_docker_archive_pick(const ocidig_docker_archive *a, const char *ref, size_t *index,
                                       ocidig_error *err)
{
  size_t hits[2], n_hits = 0;
  oci_buf b = {0};
  ocidig_code rc;
  OCI_REQUIRE(a, "the archive", err);
  OCI_REQUIRE(ref, "ref", err);
  OCI_REQUIRE(index, "index", err);
  for (int pass = 0; pass < 2 && n_hits == 0; pass++) {
    for (size_t i = 0; i < a->n_images; i++) {
      const ocidig_docker_image *im = &a->images[i];
      bool hit = false, same = false;
      if (ref[0] == '@') {
        if (pass)
          break;
        hit = ocidig_digest_matches(im->image_id, ref + 1) || ocidig_digest_matches(im->config_digest, ref + 1);
      } else {
        for (size_t k = 0; k < im->n_repo_tags && !hit; k++)
          hit = pass == 0 ? oci_reference_same(im->repo_tags[k], ref) : oci_reference_has_tag(im->repo_tags[k], ref);
      }
      if (!hit)
        continue;
      for (size_t j = 0; j < n_hits && j < 2; j++)
        same = same || !strcmp(image_key(&a->images[hits[j]]), image_key(im));
      if (same)
        continue;
      if (n_hits < 2)
        hits[n_hits] = i;
      n_hits++;
    }
  }
  if (n_hits == 1) {
    *index = hits[0];
    return OCIDIG_OK;
  }
  if (n_hits == 0) {
    for (size_t i = 0; i < a->n_images; i++)
      for (size_t k = 0; k < a->images[i].n_repo_tags; k++)
        oci_buf_printf(&b, "%s%s", b.len ? ", " : "", a->images[i].repo_tags[k]);
    rc = oci_fail(err, OCIDIG_ERR_REF_NOT_FOUND,
                  "--ref %s names no image of manifest.json (RepoTags there: %s; an untagged image is picked by "
                  "--ref @<image ID>)",
                  ref, b.len ? b.s : "none");
  } else {
    for (size_t i = 0; i < a->n_images; i++) {
      const ocidig_docker_image *im = &a->images[i];
      bool hit = false;
      for (size_t k = 0; k < im->n_repo_tags && !hit; k++)
        hit = oci_reference_same(im->repo_tags[k], ref) || oci_reference_has_tag(im->repo_tags[k], ref);
      if (ref[0] == '@')
        hit = ocidig_digest_matches(im->image_id, ref + 1) || ocidig_digest_matches(im->config_digest, ref + 1);
      if (hit)
        oci_buf_printf(&b, "%s%s (image ID %s)", b.len ? ", " : "", oci_docker_image_label(im), oci_str(im->image_id));
    }
    rc = oci_fail(err, OCIDIG_ERR_REF_AMBIGUOUS, "--ref %s is ambiguous: it names %zu different images: %s", ref,
                  n_hits, b.s ? b.s : "");
  }
  oci_buf_free(&b);
  return rc;
}

