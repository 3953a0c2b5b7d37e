/* docker_rules.c: the rules of a docker save archive: manifest.json's shape, each image's config
 * (present, hashing to the image ID its name claims, JSON, rootfs.diff_ids), each layer file
 * against its name and its diff_id (docker save layers are stored uncompressed), repositories
 * against RepoTags, --ref and --platform over manifest.json's images, and a hybrid's
 * manifest.json against index.json.  In the report an image's digest is its image ID and its
 * one platform has no manifest. */
#include "../docker_manifest.h"
#include "docker.h"
#include "verify.h"

/* The platform its config says, unless the config is not the one its name claims: what
 * corrupt bytes say is no account of the image (the graph reads no platform from them). */
static const ocidig_platform *dimage_platform(const ocidig_docker_image *im)
{
  return im->has_platform && !im->config_mismatch ? &im->platform : NULL;
}

/* The shape of image i of manifest.json, as its element streams by. */
typedef struct shape_read {
  vstate *v;
  bool ok;
  oci_json_stream *js;
} shape_read;

static ocidig_code shape_element(void *ctx, size_t i, json_object *o, ocidig_error *err)
{
  shape_read *sr = ctx;
  vstate *v = sr->v;
  json_object *x;
  (void)err;
  if (i == SIZE_MAX)
    return OCIDIG_OK;
  if (!oci_vjson_is(o, json_type_object)) {
    oci_finding_add(v, LAYOUT_CTX, VF_DOCKER_MANIFEST_INVALID, NULL, "manifest.json",
                    "manifest.json[%zu] must be an object {\"Config\": file, \"RepoTags\": [names], \"Layers\": "
                    "[files]}, not %s",
                    i, oci_json_type_name(o));
    sr->ok = false;
    return OCIDIG_OK;
  }
  x = oci_json_get(o, "Config");
  if (!oci_json_has(o, "Config")) {
    oci_finding_add(v, LAYOUT_CTX, VF_DOCKER_MANIFEST_INVALID, NULL, "manifest.json",
                    "manifest.json[%zu] has no \"Config\" (the file name of the image's config)", i);
    sr->ok = false;
  } else if (!oci_vjson_is(x, json_type_string) || !json_object_get_string_len(x)) {
    oci_finding_add(v, LAYOUT_CTX, VF_DOCKER_MANIFEST_INVALID, NULL, "manifest.json",
                    "manifest.json[%zu]: \"Config\" must be the file name of the image's config, not %s", i,
                    oci_vjson_is(x, json_type_string) ? "an empty string" : oci_json_type_name(x));
    sr->ok = false;
  }
  x = oci_json_get(o, "RepoTags");
  if (x && !oci_json_is_strings(x)) {
    oci_finding_add(v, LAYOUT_CTX, VF_DOCKER_MANIFEST_INVALID, NULL, "manifest.json",
                    "manifest.json[%zu]: \"RepoTags\" must be null or an array of strings, not %s", i,
                    oci_json_type_name(x));
    sr->ok = false;
  }
  x = oci_json_get(o, "Layers");
  if (!x) {
    /* docker load reads it as no layers; docker save always writes the array */
    oci_finding_add(v, LAYOUT_CTX, VF_DOCKER_MANIFEST_INVALID, NULL, "manifest.json",
                    "manifest.json[%zu] %s; expected the array of the image's layer files, in order", i,
                    oci_json_has(o, "Layers") ? "has \"Layers\": null" : "has no \"Layers\"");
  } else if (!oci_json_is_strings(x)) {
    oci_finding_add(v, LAYOUT_CTX, VF_DOCKER_MANIFEST_INVALID, NULL, "manifest.json",
                    "manifest.json[%zu]: \"Layers\" must be an array of strings (file names), not %s", i,
                    oci_json_type_name(x));
    sr->ok = false;
  }
  return OCIDIG_OK;
}

/* manifest.json's shape, read as a stream (a save of many images is read whatever its size):
 * an array of {"Config": file, "RepoTags": [names], "Layers": [files]}. */
static bool docker_manifest_shape(vstate *v)
{
  shape_read sr = {v, true, NULL};
  oci_json_doc doc;
  ocidig_error e;
  ocidig_code rc;
  if (!(sr.js = oci_json_stream_new("manifest.json", NULL, shape_element, &sr))) {
    v->nomem = true;
    return false;
  }
  rc = ocidig_layout_stream_file(v->l, "manifest.json", oci_json_stream_sink, sr.js, &e);
  if (rc != OCIDIG_OK) {
    oci_json_stream_free(sr.js);
    if (rc == OCIDIG_ERR_NOMEM)
      v->nomem = true;
    oci_finding_add(v, LAYOUT_CTX, VF_BLOB_UNREADABLE, NULL, "manifest.json", "manifest.json: %s", e.message);
    return false;
  }
  rc = oci_json_stream_finish(sr.js, &doc, &e);
  oci_json_stream_free(sr.js);
  if (!oci_vdoc_check(v, LAYOUT_CTX, rc, &e, "manifest.json", NULL, "manifest.json", &doc))
    return false;
  if (!oci_vjson_is(doc.root, json_type_array)) {
    oci_finding_add(v, LAYOUT_CTX, VF_DOCKER_MANIFEST_INVALID, NULL, "manifest.json",
                    "manifest.json must be an array of images, each {\"Config\": file, \"RepoTags\": [names], "
                    "\"Layers\": [files]}, not %s",
                    oci_json_type_name(doc.root));
    sr.ok = false;
  }
  oci_json_doc_free(&doc);
  return sr.ok;
}

/* ocidig_docker_archive_read failed on a manifest.json of the right shape. */
static void docker_read_failed(vstate *v, const ocidig_error *e)
{
  oci_vcode code;
  switch (e->code) {
  case OCIDIG_ERR_NOMEM:
    v->nomem = true;
    return;
  case OCIDIG_ERR_LIMIT:
    code = VF_LIMIT_EXCEEDED;
    break;
  case OCIDIG_ERR_JSON_TOO_LARGE:
    code = VF_JSON_TOO_LARGE;
    break;
  case OCIDIG_ERR_INVALID_JSON:
    code = VF_DOCKER_MANIFEST_INVALID;
    break;
  default:
    code = VF_BLOB_UNREADABLE;
    break;
  }
  oci_finding_add(v, LAYOUT_CTX, code, NULL, "manifest.json", "%s; the images of manifest.json are not checked",
                  e->message);
}

/* A file manifest.json names that is not there: why, in a finding, and in the platform's
 * missing list. */
static void docker_absent(vstate *v, vctx c, ocidig_verify_platform *p, const char *role, long index,
                          const char *digest, const char *path, const char *label)
{
  char *file = NULL, what[48];
  const char *bad = NULL;
  int st = oci_vdocker_follow(v, path, &file, &bad);
  char *q = oci_quote(path, strlen(path), 200);
  size_t fi;
  if (index >= 0)
    snprintf(what, sizeof what, "%s %ld", role, index);
  else
    snprintf(what, sizeof what, "%s", role);
  free(file);
  if (st == DF_ESCAPES)
    oci_finding_add(v, c, VF_LINK_ESCAPES, digest, bad ? bad : path,
                    "%s of image %s, %s, is a symbolic link that leaves the %s: not followed", what, label, q ? q : "?",
                    v->l->is_archive ? "archive" : "directory");
  else if (st == DF_OUTSIDE)
    oci_finding_add(v, c, VF_DOCKER_MANIFEST_INVALID, digest, "manifest.json",
                    "%s of image %s: %s is not a path inside the %s (absolute, or climbing out with \"..\")", what,
                    label, q ? q : "?", v->l->is_archive ? "archive" : "directory");
  else
    oci_finding_add(v, c, VF_BLOB_MISSING, digest, path, "%s of image %s: %s is not in the %s", what, label,
                    q ? q : "?", v->l->is_archive ? "archive" : "directory");
  free(q);
  /* keyed apart from the files that are there ("\n" starts no member name), normalized */
  {
    bool oom;
    char *norm = oci_link_join("", path, &oom);
    fi = oci_vdfile_get(v, oci_sprintf("\n%s", norm ? norm : path), -1);
    free(norm);
  }
  if (fi != NONE && !v->dfiles[fi].absent) {
    v->dfiles[fi].absent = true;
    v->r->summary.blobs_missing++;
  }
  if (p) {
    ocidig_verify_missing *m = realloc(p->missing, (p->n_missing + 1) * sizeof *m);
    if (!m) {
      v->nomem = true;
      return;
    }
    p->missing = m;
    m = &m[p->n_missing++];
    m->digest = oci_strdup(digest);
    m->role = role;
    m->index = index;
    m->size = -1;
  }
}

/* An image's config, read again for what docker_archive.c does not check: a JSON object, its
 * platform fields, rootfs.diff_ids.  Returns the number of diff_ids, or -1 when unknown. */
static long docker_check_config(vstate *v, vctx c, const ocidig_docker_image *im, bool *unusable)
{
  uint8_t *data;
  size_t len;
  oci_json_doc doc;
  ocidig_error e;
  json_object *rootfs, *ids;
  long n = -1;
  const char *digest = im->config_digest ? im->config_digest : im->image_id;
  char *what = oci_sprintf("config %s", im->config_path);
  ocidig_code rc;
  if (!what) {
    v->nomem = true;
    return -1;
  }
  rc = ocidig_layout_read_file(v->l, im->config_file, OCIDIG_MAX_JSON_SIZE, &data, &len, &e);
  if (rc != OCIDIG_OK) {
    if (rc == OCIDIG_ERR_NOMEM)
      v->nomem = true;
    oci_finding_add(v, c, rc == OCIDIG_ERR_JSON_TOO_LARGE ? VF_JSON_TOO_LARGE : VF_BLOB_UNREADABLE, digest,
                    im->config_path, "%s: %s", what, e.message);
    free(what);
    *unusable = true;
    return -1;
  }
  if (!oci_vdoc_parse(v, c, data, len, what, digest, im->config_path, &doc)) {
    free(data);
    free(what);
    *unusable = true;
    return -1;
  }
  free(data);
  if (!oci_vjson_is(doc.root, json_type_object)) {
    oci_finding_add(v, c, VF_INVALID_JSON, digest, im->config_path, "%s is %s, not a JSON object", what,
                    oci_json_type_name(doc.root));
    *unusable = true;
    goto out;
  }
  {
    ocidig_platform p;
    ocidig_code prc = oci_platform_parse_json(doc.root, what, &p, NULL, &e);
    if (prc == OCIDIG_ERR_NOMEM) {
      v->nomem = true; /* never a finding */
      *unusable = true;
    } else if (prc != OCIDIG_OK) {
      oci_finding_add(v, c, VF_FIELD_TYPE, digest, im->config_path, "%s", e.message);
      *unusable = true;
    } else {
      ocidig_platform_clear(&p);
    }
  }
  rootfs = oci_json_get(doc.root, "rootfs");
  if (!oci_json_has(doc.root, "rootfs")) {
    oci_finding_add(v, c, VF_FIELD_MISSING, digest, im->config_path,
                    "%s has no \"rootfs\"; docker load requires rootfs.diff_ids (the digests of the layers' bytes)",
                    what);
  } else if (!oci_vjson_is(rootfs, json_type_object)) {
    oci_finding_add(v, c, VF_FIELD_TYPE, digest, im->config_path, "%s: \"rootfs\" must be an object, not %s", what,
                    oci_json_type_name(rootfs));
  } else if (!oci_json_has(rootfs, "diff_ids")) {
    oci_finding_add(v, c, VF_FIELD_MISSING, digest, im->config_path,
                    "%s has no rootfs.diff_ids (the digests of the layers' bytes)", what);
  } else if (!oci_vjson_is(ids = oci_json_get(rootfs, "diff_ids"), json_type_array)) {
    oci_finding_add(v, c, VF_FIELD_TYPE, digest, im->config_path, "%s: rootfs.diff_ids must be an array, not %s", what,
                    oci_json_type_name(ids));
  } else {
    n = (long)json_object_array_length(ids);
    for (long i = 0; i < n; i++) {
      json_object *x = json_object_array_get_idx(ids, (size_t)i);
      ocidig_digest d;
      ocidig_code dc;
      if (!oci_vjson_is(x, json_type_string)) {
        oci_finding_add(v, c, VF_FIELD_TYPE, digest, im->config_path,
                        "%s: rootfs.diff_ids[%ld] must be a digest string, not %s", what, i, oci_json_type_name(x));
        continue;
      }
      dc = ocidig_digest_parse(json_object_get_string(x), (size_t)json_object_get_string_len(x), &d, &e);
      if (dc != OCIDIG_OK)
        oci_finding_add(
            v, c, dc == OCIDIG_ERR_UNSUPPORTED_DIGEST_ALGORITHM ? VF_UNSUPPORTED_DIGEST_ALGORITHM : VF_INVALID_DIGEST,
            digest, im->config_path, "%s: rootfs.diff_ids[%ld]: %s", what, i, e.message);
    }
  }
out:
  oci_json_doc_free(&doc);
  free(what);
  return n;
}

static char *join_tags(const ocidig_docker_image *im)
{
  oci_buf b = {0};
  if (!im->n_repo_tags)
    return NULL;
  for (size_t i = 0; i < im->n_repo_tags; i++)
    oci_buf_printf(&b, "%s%s", i ? ", " : "", im->repo_tags[i]);
  return oci_buf_take(&b);
}

/* One image of manifest.json: its record in the report, its config, its layers (queued in dl
 * for their hashes). */
static void docker_image(vstate *v, const ocidig_docker_image *im, long k, dlayer **dl, size_t *n_dl, size_t *cap_dl)
{
  ocidig_verify_image *ri = &v->r->images[k];
  ocidig_verify_platform *p;
  vctx c = {k, -1};
  const char *label = oci_docker_image_label(im);
  long n_diff = -1;
  /* the config cannot be used (absent, unreadable, not its image ID, not a JSON object, bad
   * platform fields): the image is not complete, as ls says of it */
  bool unusable = false;

  ri->name = join_tags(im);
  /* the digest the view names the image by (its config's file name), as every command does */
  ri->digest = oci_strdup(im->config_digest ? im->config_digest : im->image_id);
  ri->media_type = oci_strdup(OCIDIG_MT_DOCKER_CONFIG);
  if (!(ri->platforms = calloc(1, sizeof *ri->platforms)) || !ri->media_type) {
    v->nomem = true;
    return;
  }
  ri->n_platforms = 1;
  p = &ri->platforms[0];
  if (dimage_platform(im)) {
    p->platform = ocidig_platform_format(dimage_platform(im));
    p->platform_source = "config";
  }
  p->requested = v->o->matcher != NULL;
  p->n_blobs = 1 + im->n_layers;
  p->size = (im->config_size > 0 ? im->config_size : 0) + im->layers_size;

  /* the config: present, its bytes hash to its name (the image ID), JSON */
  if (im->config_code == OCIDIG_ERR_BLOB_MISSING || !im->config_file) {
    docker_absent(v, c, p, "config", -1, im->config_digest, im->config_path, label);
    unusable = true;
  } else {
    char *file = NULL;
    const char *bad;
    size_t fi = NONE;
    if (oci_vdocker_follow(v, im->config_file, &file, &bad) == DF_FOUND)
      fi = oci_vdfile_get(v, file, im->config_size);
    else
      free(file);
    if (im->config_code == OCIDIG_ERR_JSON_TOO_LARGE) {
      oci_finding_add(v, c, VF_JSON_TOO_LARGE, im->config_digest, im->config_path, "%s", oci_str(im->config_error));
      unusable = true;
    } else if (!im->image_id) {
      unusable = true;
      oci_finding_add(v, c, VF_BLOB_UNREADABLE, im->config_digest, im->config_path, "config %s of image %s: %s",
                      im->config_path, label, oci_str(im->config_error));
    } else {
      if (fi != NONE && !v->dfiles[fi].hashed) {
        v->dfiles[fi].config = v->dfiles[fi].hashed = true;
        v->r->summary.blobs_checked++;
        v->bytes_hashed = oci_bytes_add(v->bytes_hashed, im->config_size);
      }
      unusable = unusable || im->config_mismatch;
      if (im->config_mismatch)
        oci_finding_add(
            v, c, VF_DIGEST_MISMATCH, im->config_digest, im->config_path,
            "config %s of image %s: its bytes hash to %s; its name says %s (an image ID is the digest of the "
            "config)",
            im->config_path, label, im->image_id, im->config_digest);
      n_diff = docker_check_config(v, c, im, &unusable);
    }
  }
  if (n_diff >= 0 && (size_t)n_diff != im->n_layers)
    oci_finding_add(v, c, VF_DIFF_ID_MISMATCH, ri->digest, im->config_path,
                    "image %s: manifest.json lists %zu layer%s, but its config's rootfs.diff_ids has %ld; docker load "
                    "refuses the image (layers length mismatch)",
                    label, im->n_layers, im->n_layers == 1 ? "" : "s", n_diff);

  /* the layers: present; hashed later (--deep: read inside later, deep.c) */
  const char **deep_paths = v->o->deep && im->n_layers ? calloc(im->n_layers, sizeof *deep_paths) : NULL;
  const char **deep_digests = deep_paths ? calloc(im->n_layers, sizeof *deep_digests) : NULL;
  if (v->o->deep && im->n_layers && !deep_digests)
    v->nomem = true;
  for (size_t i = 0; i < im->n_layers; i++) {
    const ocidig_docker_layer *ly = &im->layers[i];
    char *file = NULL;
    const char *bad;
    size_t fi;
    dlayer *d;
    if (!ly->file || oci_vdocker_follow(v, ly->file, &file, &bad) != DF_FOUND) {
      free(file);
      docker_absent(v, c, p, "layer", (long)i, ly->digest ? ly->digest : ly->diff_id, ly->path, label);
      continue;
    }
    if ((fi = oci_vdfile_get(v, file, ly->size)) == NONE)
      continue;
    oci_vdfile_want(&v->dfiles[fi], ly->digest);
    oci_vdfile_want(&v->dfiles[fi], ly->diff_id);
    if (deep_digests) {
      deep_paths[i] = v->dfiles[fi].path;
      deep_digests[i] = ly->digest ? ly->digest : ly->diff_id;
    }
    if (!oci_grow((void **)dl, cap_dl, *n_dl + 1, sizeof **dl)) {
      v->nomem = true;
      continue;
    }
    d = &(*dl)[(*n_dl)++];
    *d = (dlayer){k, i, fi, ly->path, ly->digest, ly->diff_id, label};
  }
  if (deep_digests)
    oci_vdeep_docker_image(v, c, label, deep_paths, deep_digests, im->n_layers);
  free(deep_paths);
  free(deep_digests);
  p->complete = p->n_missing == 0 && !unusable;
}

static void docker_layers_conclude(vstate *v, const dlayer *dl, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    const dlayer *d = &dl[i];
    const dfile *f = &v->dfiles[d->file];
    vctx c = {d->image, -1};
    char actual[OCIDIG_DIGEST_STRING_MAX];
    char *q = oci_quote(d->path, strlen(d->path), 200);
    int name_ok, diff_ok;
    if (f->read_error) {
      oci_finding_add(v, c, VF_BLOB_UNREADABLE, d->name_digest ? d->name_digest : d->diff_id, d->path,
                      "layer %zu of image %s: %s could not be read: %s", d->index, d->label, q ? q : "?",
                      f->read_error);
      free(q);
      continue;
    }
    name_ok = oci_vdfile_matches(f, d->name_digest, actual, sizeof actual);
    if (name_ok == 0)
      oci_finding_add(v, c, VF_DIGEST_MISMATCH, d->name_digest, d->path,
                      "layer %zu of image %s: the bytes of %s hash to %s; its name says %s", d->index, d->label,
                      q ? q : "?", actual, d->name_digest);
    diff_ok = oci_vdfile_matches(f, d->diff_id, actual, sizeof actual);
    /* the same complaint once: a <diff_id>.tar whose bytes changed */
    if (diff_ok == 0 && !(name_ok == 0 && oci_streq(d->name_digest, d->diff_id)))
      oci_finding_add(
          v, c, VF_DIFF_ID_MISMATCH, d->diff_id, d->path,
          "layer %zu of image %s: the bytes of %s hash to %s, but its config's rootfs.diff_ids[%zu] is %s (a "
          "docker save layer is stored uncompressed: its digest is its diff_id)",
          d->index, d->label, q ? q : "?", actual, d->index, d->diff_id);
    free(q);
  }
}

/* A set of names in their full form; owner[i]: whose name names[i] is. */
typedef struct nameset {
  char **names;
  size_t *owner;
  size_t n, cap, cap_owner;
  ptab tab;
} nameset;

static void nameset_add(vstate *v, nameset *s, const char *name, size_t owner)
{
  char *full = oci_reference_full(name);
  if (!full || !oci_grow((void **)&s->names, &s->cap, s->n + 1, sizeof *s->names) ||
      !oci_grow((void **)&s->owner, &s->cap_owner, s->n + 1, sizeof *s->owner)) {
    free(full);
    v->nomem = true;
    return;
  }
  s->names[s->n] = full;
  s->owner[s->n] = owner;
  if (!oci_vptab_put(&s->tab, oci_vkey_str, s->names, s->n, false)) {
    free(full);
    v->nomem = true;
    return;
  }
  s->n++;
}

/* The owner of name, or NONE. */
static size_t nameset_find(vstate *v, const nameset *s, const char *name)
{
  char *full = oci_reference_full(name);
  size_t i;
  if (!full) {
    v->nomem = true;
    return NONE;
  }
  i = oci_vptab_find(&s->tab, oci_vkey_str, s->names, full);
  free(full);
  return i == NONE ? NONE : s->owner[i];
}

static void nameset_free(nameset *s)
{
  oci_strv_free(s->names, s->n);
  free(s->owner);
  free(s->tab.t);
}

/* Is <id>/layer.tar (a file, or a link to one) the image's top layer? */
static bool is_top_layer(vstate *v, const ocidig_docker_image *im, const char *id)
{
  char *lpath, *got = NULL, *top = NULL;
  const char *bad;
  bool same;
  if (!im->n_layers || !im->layers[im->n_layers - 1].file)
    return true; /* nothing to compare with: the layer's own finding says why */
  if (strchr(id, '/'))
    return false;
  if (!(lpath = oci_sprintf("%s/layer.tar", id))) {
    v->nomem = true; /* not the archive's fault: no finding stands on it */
    return true;
  }
  same = oci_vdocker_follow(v, lpath, &got, &bad) == DF_FOUND &&
         oci_vdocker_follow(v, im->layers[im->n_layers - 1].file, &top, &bad) == DF_FOUND && !strcmp(got, top);
  free(lpath);
  free(got);
  free(top);
  return same;
}

/* repositories (legacy: {"repo": {"tag": "<top layer ID>"}}) against manifest.json. */
static void docker_repositories(vstate *v, const ocidig_docker_archive *a)
{
  uint8_t *data;
  size_t len;
  oci_json_doc doc;
  ocidig_error e;
  nameset tags = {0}, listed = {0};
  ocidig_code rc = ocidig_layout_read_file(v->l, "repositories", OCIDIG_MAX_JSON_SIZE, &data, &len, &e);
  if (rc == OCIDIG_ERR_BLOB_MISSING)
    return;
  if (rc != OCIDIG_OK) {
    if (rc == OCIDIG_ERR_NOMEM)
      v->nomem = true;
    oci_finding_add(v, LAYOUT_CTX, VF_REPOSITORIES_MISMATCH, NULL, "repositories", "repositories could not be read: %s",
                    e.message);
    return;
  }
  rc = oci_json_parse(data, len, "repositories", &doc, &e);
  free(data);
  if (rc != OCIDIG_OK) {
    if (rc == OCIDIG_ERR_NOMEM)
      v->nomem = true;
    oci_finding_add(v, LAYOUT_CTX, VF_REPOSITORIES_MISMATCH, NULL, "repositories",
                    "%s; expected {repository: {tag: layer ID}} (docker load reads manifest.json instead)", e.message);
    return;
  }
  if (!oci_vjson_is(doc.root, json_type_object)) {
    oci_finding_add(v, LAYOUT_CTX, VF_REPOSITORIES_MISMATCH, NULL, "repositories",
                    "repositories must be an object {repository: {tag: layer ID}}, not %s",
                    oci_json_type_name(doc.root));
    oci_json_doc_free(&doc);
    return;
  }
  for (size_t i = 0; i < a->n_images; i++)
    for (size_t k = 0; k < a->images[i].n_repo_tags; k++)
      nameset_add(v, &tags, a->images[i].repo_tags[k], i);
  json_object_object_foreach(doc.root, repo, tagmap)
  {
    if (!oci_vjson_is(tagmap, json_type_object)) {
      char *qr = oci_quote(repo, strlen(repo), 120);
      oci_finding_add(v, LAYOUT_CTX, VF_REPOSITORIES_MISMATCH, NULL, "repositories",
                      "repositories: %s must be an object {tag: layer ID}, not %s", qr ? qr : "?",
                      oci_json_type_name(tagmap));
      free(qr);
      continue;
    }
    json_object_object_foreach(tagmap, tag, id)
    {
      char *name = oci_sprintf("%s:%s", repo, tag), *qn;
      size_t owner;
      if (!name) {
        v->nomem = true;
        continue;
      }
      nameset_add(v, &listed, name, 0);
      owner = nameset_find(v, &tags, name);
      qn = oci_quote(name, strlen(name), 160);
      if (owner == NONE) {
        oci_finding_add(v, LAYOUT_CTX, VF_REPOSITORIES_MISMATCH, NULL, "repositories",
                        "repositories names %s, which no image of manifest.json has among its RepoTags", qn ? qn : "?");
      } else if (!oci_vjson_is(id, json_type_string)) {
        oci_finding_add(v, LAYOUT_CTX, VF_REPOSITORIES_MISMATCH, NULL, "repositories",
                        "repositories: %s must be the ID of the image's top layer (a string), not %s", qn ? qn : "?",
                        oci_json_type_name(id));
      } else if (!is_top_layer(v, &a->images[owner], json_object_get_string(id))) {
        const ocidig_docker_image *im = &a->images[owner];
        char *ql = oci_quote(json_object_get_string(id), (size_t)json_object_get_string_len(id), 80);
        oci_finding_add(v, LAYOUT_CTX, VF_REPOSITORIES_MISMATCH, NULL, "repositories",
                        "repositories: %s points at layer %s, but %s/layer.tar is not the top layer of image %s (%s)",
                        qn ? qn : "?", ql ? ql : "?", ql ? ql : "?", oci_docker_image_label(im),
                        im->layers[im->n_layers - 1].path);
        free(ql);
      }
      free(qn);
      free(name);
    }
  }
  oci_json_doc_free(&doc);
  /* every RepoTag is in repositories */
  for (size_t i = 0; i < a->n_images; i++) {
    const ocidig_docker_image *im = &a->images[i];
    for (size_t k = 0; k < im->n_repo_tags; k++)
      if (nameset_find(v, &listed, im->repo_tags[k]) == NONE) {
        char *q = oci_quote(im->repo_tags[k], strlen(im->repo_tags[k]), 160);
        oci_finding_add(v, LAYOUT_CTX, VF_REPOSITORIES_MISMATCH, NULL, "repositories",
                        "image %s has the RepoTag %s, which repositories does not list", oci_docker_image_label(im), q ? q : "?");
        free(q);
      }
  }
  nameset_free(&tags);
  nameset_free(&listed);
}

/* Is path <dir>/<leaf> with dir one component?  Sets *dlen. */
/* The images --ref and --platform select.  Each image of manifest.json is a root of its own (a
 * single config, no index): resolve --ref selects it whatever --platform asks, with a warning
 * when its config says another platform (doc/resolution.md 5.3), so verify --platform checks
 * every image and says so of the ones for another platform, as it does for an OCI layout's
 * single manifests.  The finding goes to the image it concerns: pick[i] images are numbered
 * in order. */
static ocidig_code docker_scope(vstate *v, const ocidig_docker_archive *a, bool *pick)
{
  const ocidig_matcher *m = v->o->matcher;
  long k = 0;
  if (v->o->ref) {
    size_t i;
    ocidig_error e;
    ocidig_code rc = ocidig_docker_archive_pick(a, v->o->ref, &i, &e);
    if (rc != OCIDIG_OK) {
      v->r->error = e;
      return rc;
    }
    pick[i] = true;
  } else {
    for (size_t i = 0; i < a->n_images; i++)
      pick[i] = true;
  }
  for (size_t i = 0; i < a->n_images; i++) {
    if (!pick[i])
      continue;
    if (m && dimage_platform(&a->images[i]) && !oci_verify_match(v, m, dimage_platform(&a->images[i]))) {
      char *f = ocidig_platform_format(dimage_platform(&a->images[i]));
      oci_finding_add(v, (vctx){k, -1}, VF_PLATFORM_MISMATCH,
                      a->images[i].config_digest ? a->images[i].config_digest : a->images[i].image_id, NULL,
                      "image %s is for %s (its config), not %s; it is verified because %s", oci_docker_image_label(&a->images[i]),
                      f ? f : "?", v->r->request ? v->r->request : "?",
                      v->o->ref ? "--ref names it" : "resolve selects it");
      free(f);
    }
    k++;
  }
  return OCIDIG_OK;
}

/* A docker save archive without index.json: the rules over the images of manifest.json as the
 * view read it (oci_view_docker_archive: read once per layout, the manifest.json every command
 * reads), not a second reading of it. */
ocidig_code oci_verify_walk_docker(vstate *v)
{
  ocidig_verify_report *r = v->r;
  const ocidig_docker_archive *a = NULL;
  ocidig_error e;
  ocidig_code rc;
  bool *pick;
  dlayer *dl = NULL;
  size_t n_dl = 0, cap_dl = 0, n = 0;

  if (!oci_vdocker_entries(v, &e)) {
    r->error = e;
    return e.code;
  }
  if (!docker_manifest_shape(v))
    return OCIDIG_OK;
  if ((rc = oci_view_get(v->l, &v->view, &e)) != OCIDIG_OK || (rc = oci_view_docker_archive(v->view, &a, &e)) != OCIDIG_OK) {
    docker_read_failed(v, &e);
    return OCIDIG_OK;
  }
  if (!a)
    return OCIDIG_OK; /* not a docker save: the view says so (the layout changed under us) */
  if (!(pick = calloc(a->n_images ? a->n_images : 1, sizeof *pick))) {
    v->nomem = true;
    return OCIDIG_OK;
  }
  if ((rc = docker_scope(v, a, pick)) != OCIDIG_OK) {
    free(pick);
    return rc;
  }
  for (size_t i = 0; i < a->n_images; i++)
    n += pick[i];
  if (!(r->images = calloc(n ? n : 1, sizeof *r->images))) {
    v->nomem = true;
  } else {
    for (size_t i = 0; i < a->n_images; i++)
      if (pick[i]) {
        long k = (long)r->n_images++;
        docker_image(v, &a->images[i], k, &dl, &n_dl, &cap_dl);
      }
    if (v->o->deep)
      oci_vdeep_read(v); /* each layer file read once: its sha256 from that read (docker_files.c) */
    oci_vdocker_hash(v);
    docker_layers_conclude(v, dl, n_dl);
  }
  docker_repositories(v, a);
  if (!v->scoped)
    oci_vdocker_unreferenced(v);
  free(dl);
  free(pick);
  return OCIDIG_OK;
}

/* A hybrid: index.json was verified; manifest.json beside it is read and compared. */
void oci_verify_compare_hybrid(vstate *v)
{
  ocidig_docker_archive *a = NULL;
  ocidig_error e;
  size_t n0;
  if (!oci_vdocker_entries(v, &e)) {
    if (e.code == OCIDIG_ERR_NOMEM)
      v->nomem = true;
    return;
  }
  if (!docker_manifest_shape(v))
    return;
  if (ocidig_docker_archive_read(v->l, &a, &e) != OCIDIG_OK) {
    docker_read_failed(v, &e);
    return;
  }
  n0 = a->n_warnings;
  if (ocidig_docker_archive_compare(v->l, a, &e) != OCIDIG_OK) {
    if (e.code == OCIDIG_ERR_NOMEM)
      v->nomem = true;
    else
      oci_finding_add(v, LAYOUT_CTX, VF_DOCKER_MANIFEST_DISAGREES, NULL, "manifest.json",
                      "manifest.json could not be compared with index.json: %s", e.message);
  }
  for (size_t i = n0; i < a->n_warnings; i++)
    oci_finding_add(v, LAYOUT_CTX, VF_DOCKER_MANIFEST_DISAGREES, NULL, "manifest.json", "%s", a->warnings[i]);
  docker_repositories(v, a);
  ocidig_docker_archive_free(a);
}
