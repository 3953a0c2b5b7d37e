/* check_view.c: the views of src/lib/view.h over real tools' output.
 *
 * containers/image dir: layouts made by skopeo 1.9.3 (testdata/cimage/, testdata/README.md
 * says how), in directory form and packed at test time with libarchive; docker save
 * archives of Docker 20.10, buildah and podman (testdata/samples/) and of the verify
 * fixtures; a ctr export hybrid.  Every expected digest comes from the fixtures themselves
 * (the OCI layout skopeo copied from, manifest.json and the configs read here with
 * libarchive and json-c, bytes hashed here with OpenSSL), never from the view. */
#include "testutil.h"

#include "layout.h"
#include "view.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CIMAGE TESTDATA "/cimage"
#define SAMPLES TESTDATA "/samples"
#define VERIFY TESTDATA "/verify"

/* ---------------------------------------------------------------- helpers */

static void sha256_hex(const void *data, size_t len, char *out /* 72 */)
{
  unsigned char md[32];
  unsigned int n = 0;
  ck_assert(EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) == 1);
  strcpy(out, "sha256:");
  for (unsigned i = 0; i < n; i++)
    sprintf(out + 7 + 2 * i, "%02x", md[i]);
}

static ocidig_layout *open_layout(const char *path)
{
  ocidig_layout *l = NULL;
  ocidig_error e;
  ocidig_code rc = ocidig_layout_open(path, NULL, &l, &e);
  ck_assert_msg(rc == OCIDIG_OK, "%s: %s", path, e.message);
  return l;
}

static oci_view *get_view(ocidig_layout *l)
{
  oci_view *v = NULL;
  ocidig_error e;
  ocidig_code rc = oci_view_get(l, &v, &e);
  ck_assert_msg(rc == OCIDIG_OK, "oci_view_get: %s (%d)", e.message, rc);
  ck_assert_ptr_nonnull(v);
  return v;
}

static ocidig_code collect(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  oci_buf *b = ctx;
  (void)err;
  oci_buf_add(b, buf, len);
  return OCIDIG_OK;
}

/* The synthesized (or real) root index, parsed. */
static json_object *root_index(oci_view *v)
{
  oci_buf b = {0};
  ocidig_error e;
  json_object *o;
  ck_assert_int_eq(oci_view_root_stream(v, collect, &b, &e), OCIDIG_OK);
  o = json_tokener_parse(b.s ? b.s : "");
  ck_assert_ptr_nonnull(o);
  oci_buf_free(&b);
  return o;
}

/* Parses len bytes of JSON (not NUL-terminated). */
static json_object *parse_n(const void *data, size_t len)
{
  char *copy = strndup(data, len);
  json_object *o;
  ck_assert_ptr_nonnull(copy);
  o = json_tokener_parse(copy);
  free(copy);
  return o;
}

static ocidig_digest digest_of(const char *s)
{
  ocidig_digest d;
  ck_assert_msg(ocidig_digest_parse(s, strlen(s), &d, NULL) == OCIDIG_OK, "%s", s);
  return d;
}

static const char *jstr(json_object *o, const char *key)
{
  json_object *v = NULL;
  if (!json_object_object_get_ex(o, key, &v))
    return NULL;
  return json_object_get_string(v);
}

static const char *annotation(json_object *desc, const char *key)
{
  json_object *a = NULL;
  if (!json_object_object_get_ex(desc, "annotations", &a))
    return NULL;
  return jstr(a, key);
}

/* Reads a blob through the view (checked: present, size, digest). */
static uint8_t *view_read(oci_view *v, const char *digest, int64_t size, size_t *len, ocidig_code want)
{
  ocidig_digest d = digest_of(digest);
  uint8_t *data = NULL;
  ocidig_error e;
  ocidig_code rc = oci_view_blob_read(v, &d, size, 64u << 20, &data, len, &e);
  ck_assert_msg(rc == want, "%s: %s (%d, wanted %d)", digest, e.message, rc, want);
  return data;
}

/* What a blob streamed through the view hashes to. */
static void view_stream_hash(oci_view *v, const char *digest, char *out)
{
  ocidig_digest d = digest_of(digest);
  oci_buf b = {0};
  ocidig_error e;
  ocidig_code rc = oci_view_blob_stream(v, &d, collect, &b, &e);
  ck_assert_msg(rc == OCIDIG_OK, "%s: %s", digest, e.message);
  sha256_hex(b.s ? b.s : "", b.len, out);
  oci_buf_free(&b);
}

/* One member of a tar file, read with libarchive (malloc'd). */
static char *tar_member(const char *tar, const char *name, size_t *len)
{
  struct archive *a = archive_read_new();
  struct archive_entry *ae;
  char *out = NULL;
  archive_read_support_format_all(a);
  archive_read_support_filter_all(a);
  ck_assert_int_eq(archive_read_open_filename(a, tar, 10240), ARCHIVE_OK);
  while (archive_read_next_header(a, &ae) == ARCHIVE_OK) {
    if (strcmp(archive_entry_pathname(ae), name))
      continue;
    size_t n = (size_t)archive_entry_size(ae);
    out = malloc(n + 1);
    ck_assert_int_eq(archive_read_data(a, out, n), (la_ssize_t)n);
    out[n] = 0;
    if (len)
      *len = n;
    break;
  }
  archive_read_free(a);
  ck_assert_msg(out != NULL, "%s has no %s", tar, name);
  return out;
}

/* Packs a directory into a tar at test time (libarchive, pax). */
static void pack_dir(struct archive *w, const char *root, const char *rel)
{
  char full[8192];
  DIR *d;
  struct dirent *de;
  snprintf(full, sizeof full, "%s%s%s", root, *rel ? "/" : "", rel);
  ck_assert_ptr_nonnull(d = opendir(full));
  while ((de = readdir(d))) {
    char sub[4096], path[8192];
    struct stat st;
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
    snprintf(path, sizeof path, "%s/%s", root, sub);
    ck_assert_int_eq(stat(path, &st), 0);
    if (S_ISDIR(st.st_mode)) {
      pack_dir(w, root, sub);
    } else {
      struct archive_entry *ae = archive_entry_new();
      size_t n;
      char *data = tu_read_file(path, &n);
      archive_entry_set_pathname(ae, sub);
      archive_entry_set_filetype(ae, AE_IFREG);
      archive_entry_set_perm(ae, 0644);
      archive_entry_set_size(ae, (la_int64_t)n);
      ck_assert_int_eq(archive_write_header(w, ae), ARCHIVE_OK);
      ck_assert_int_eq(archive_write_data(w, data, n), (la_ssize_t)n);
      archive_entry_free(ae);
      free(data);
    }
  }
  closedir(d);
}

static char *make_tar(const char *dir, const char *tmp, const char *name)
{
  char *out = malloc(4096);
  struct archive *w = archive_write_new();
  snprintf(out, 4096, "%s/%s", tmp, name);
  archive_write_set_format_pax_restricted(w);
  ck_assert_int_eq(archive_write_open_filename(w, out), ARCHIVE_OK);
  pack_dir(w, dir, "");
  archive_write_close(w);
  archive_write_free(w);
  return out;
}

/* The entry of an OCI index.json whose ref name is `ref`. */
static json_object *oci_entry(const char *index_path, const char *ref)
{
  json_object *idx = json_object_from_file(index_path), *ms, *out = NULL;
  ck_assert_ptr_nonnull(idx);
  ck_assert(json_object_object_get_ex(idx, "manifests", &ms));
  for (size_t i = 0; i < json_object_array_length(ms) && !out; i++) {
    json_object *m = json_object_array_get_idx(ms, i);
    const char *r = annotation(m, "org.opencontainers.image.ref.name");
    if (r && !strcmp(r, ref))
      out = json_object_get(m);
  }
  json_object_put(idx);
  ck_assert_msg(out != NULL, "%s: no %s", index_path, ref);
  return out;
}

/* ------------------------------------------------------------- dir: views */

/* skopeo copy oci:umoci-multitag:v1 dir:...: manifest.json is v1's manifest, byte for byte. */
static void check_cimage_single(const char *path)
{
  ocidig_layout *l = open_layout(path);
  ocidig_layout_format f;
  oci_view *v;
  json_object *idx, *ms, *m, *want = oci_entry(SAMPLES "/umoci-multitag/index.json", "v1"), *man, *cfg, *layers;
  const char *md = jstr(want, "digest");
  int64_t msize = json_object_get_int64(json_object_object_get(want, "size"));
  uint8_t *data;
  size_t len;
  char h[80];
  ocidig_digest d;
  ocidig_entry ent;
  ocidig_error e;

  ck_assert_int_eq(ocidig_layout_format_detect(l, &f, &e), OCIDIG_OK);
  ck_assert_int_eq(f, OCIDIG_FORMAT_CIMAGE_DIR);
  ck_assert_str_eq(ocidig_layout_format_name(f), "dir");
  v = get_view(l);
  ck_assert_int_eq(oci_view_format(v), OCIDIG_FORMAT_CIMAGE_DIR);
  ck_assert(oci_view_root_synthesized(v));
  ck_assert_str_eq(oci_view_root_name(v), "manifest.json (dir:)");
  ck_assert_uint_eq(oci_view_cimage_images(v), 1);
  ck_assert_str_eq(oci_view_cimage_folder(v, 0), "");
  idx = root_index(v);
  ck_assert_str_eq(jstr(idx, "mediaType"), OCIDIG_MT_OCI_INDEX);
  ms = json_object_object_get(idx, "manifests");
  ck_assert_uint_eq(json_object_array_length(ms), 1);
  m = json_object_array_get_idx(ms, 0);
  ck_assert_str_eq(jstr(m, "digest"), md);
  ck_assert_int_eq(json_object_get_int64(json_object_object_get(m, "size")), msize);
  ck_assert_str_eq(jstr(m, "mediaType"), OCIDIG_MT_OCI_MANIFEST);
  ck_assert_ptr_null(json_object_object_get(m, "annotations"));
  /* manifest.json is a real blob, not synthesized */
  d = digest_of(md);
  ck_assert(!oci_view_blob_synthesized(v, &d));
  ck_assert_str_eq(oci_view_blob_member(v, &d, NULL, NULL), "manifest.json");
  data = view_read(v, md, msize, &len, OCIDIG_OK);
  man = parse_n(data, len);
  free(data);
  ck_assert_ptr_nonnull(man);
  /* config and layer: hex-named files, read and hashed through the view */
  cfg = json_object_object_get(man, "config");
  data = view_read(v, jstr(cfg, "digest"), json_object_get_int64(json_object_object_get(cfg, "size")), &len,
                   OCIDIG_OK);
  sha256_hex(data, len, h);
  ck_assert_str_eq(h, jstr(cfg, "digest"));
  free(data);
  d = digest_of(jstr(cfg, "digest"));
  ck_assert_str_eq(oci_view_blob_member(v, &d, NULL, NULL), jstr(cfg, "digest") + 7);
  layers = json_object_object_get(man, "layers");
  ck_assert_uint_eq(json_object_array_length(layers), 1);
  view_stream_hash(v, jstr(json_object_array_get_idx(layers, 0), "digest"), h);
  ck_assert_str_eq(h, jstr(json_object_array_get_idx(layers, 0), "digest"));
  d = digest_of(jstr(json_object_array_get_idx(layers, 0), "digest"));
  ck_assert_int_eq(oci_view_blob_stat(v, &d, &ent, &e), OCIDIG_OK);
  ck_assert_int_eq(ent.size, json_object_get_int64(json_object_object_get(json_object_array_get_idx(layers, 0), "size")));
  /* a wrong size is said before the bytes are read; an absent blob is blob-missing */
  free(view_read(v, jstr(cfg, "digest"), 1, &len, OCIDIG_ERR_SIZE_MISMATCH));
  free(view_read(v, "sha256:0000000000000000000000000000000000000000000000000000000000000000", 1, &len,
                 OCIDIG_ERR_BLOB_MISSING));
  /* no docker accessors here */
  ck_assert_uint_eq(oci_view_docker_image_of(v, &d), (size_t)-1);
  json_object_put(man);
  json_object_put(idx);
  json_object_put(want);
  ocidig_layout_close(l);
}

START_TEST(cimage_single_dir)
{
  check_cimage_single(CIMAGE "/umoci-v1");
}
END_TEST

START_TEST(cimage_single_archive)
{
  char *tmp = tu_mkdtemp(), *tar = make_tar(CIMAGE "/umoci-v1", tmp, "umoci-v1.tar");
  check_cimage_single(tar);
  free(tar);
  tu_rmtree(tmp);
  free(tmp);
}
END_TEST

/* skopeo copy --all: manifest.json is the index buildah wrote; the per-platform manifests are
 * <hex>.manifest.json. */
static void check_cimage_multi(const char *path)
{
  ocidig_layout *l = open_layout(path);
  oci_view *v = get_view(l);
  json_object *idx = root_index(v), *m, *want = json_object_from_file(SAMPLES "/buildah-multiarch/index.json");
  json_object *wm = json_object_array_get_idx(json_object_object_get(want, "manifests"), 0), *list, *lm;
  uint8_t *data;
  size_t len;
  char member[160];
  ocidig_digest d;

  m = json_object_array_get_idx(json_object_object_get(idx, "manifests"), 0);
  ck_assert_uint_eq(json_object_array_length(json_object_object_get(idx, "manifests")), 1);
  ck_assert_str_eq(jstr(m, "digest"), jstr(wm, "digest"));
  ck_assert_str_eq(jstr(m, "mediaType"), OCIDIG_MT_OCI_INDEX);
  data = view_read(v, jstr(m, "digest"), json_object_get_int64(json_object_object_get(m, "size")), &len, OCIDIG_OK);
  list = parse_n(data, len);
  free(data);
  ck_assert_ptr_nonnull(list);
  ck_assert_uint_eq(json_object_array_length(json_object_object_get(list, "manifests")), 9);
  for (size_t i = 0; i < 9; i++) {
    char h[80];
    lm = json_object_array_get_idx(json_object_object_get(list, "manifests"), i);
    d = digest_of(jstr(lm, "digest"));
    snprintf(member, sizeof member, "%s.manifest.json", d.hex);
    ck_assert_str_eq(oci_view_blob_member(v, &d, NULL, NULL), member);
    data = view_read(v, jstr(lm, "digest"), json_object_get_int64(json_object_object_get(lm, "size")), &len,
                     OCIDIG_OK);
    sha256_hex(data, len, h);
    ck_assert_str_eq(h, jstr(lm, "digest"));
    free(data);
  }
  json_object_put(list);
  json_object_put(idx);
  json_object_put(want);
  ocidig_layout_close(l);
}

START_TEST(cimage_multi_dir)
{
  check_cimage_multi(CIMAGE "/multiarch-all");
}
END_TEST

START_TEST(cimage_multi_archive)
{
  char *tmp = tu_mkdtemp(), *tar = make_tar(CIMAGE "/multiarch-all", tmp, "multi.tar");
  check_cimage_multi(tar);
  free(tar);
  tu_rmtree(tmp);
  free(tmp);
}
END_TEST

/* skopeo sync --dest dir: one folder per image, named <name>:<tag>; the folder names the
 * entry. */
static void check_cimage_sync(const char *path)
{
  ocidig_layout *l = open_layout(path);
  ocidig_layout_format f;
  ocidig_error e;
  oci_view *v;
  json_object *idx, *ms, *m0, *m1;
  json_object *v1 = oci_entry(SAMPLES "/umoci-multitag/index.json", "v1");
  json_object *multi = json_object_from_file(SAMPLES "/buildah-multiarch/index.json");
  json_object *mm = json_object_array_get_idx(json_object_object_get(multi, "manifests"), 0);
  ocidig_digest d;
  size_t len;

  ck_assert_int_eq(ocidig_layout_format_detect(l, &f, &e), OCIDIG_OK);
  ck_assert_int_eq(f, OCIDIG_FORMAT_CIMAGE_DIR);
  v = get_view(l);
  ck_assert_uint_eq(oci_view_cimage_images(v), 2);
  ck_assert_str_eq(oci_view_cimage_folder(v, 0), "multiarch:latest");
  ck_assert_str_eq(oci_view_cimage_folder(v, 1), "umoci:v1");
  idx = root_index(v);
  ms = json_object_object_get(idx, "manifests");
  ck_assert_uint_eq(json_object_array_length(ms), 2);
  m0 = json_object_array_get_idx(ms, 0);
  m1 = json_object_array_get_idx(ms, 1);
  ck_assert_str_eq(annotation(m0, "org.opencontainers.image.ref.name"), "multiarch:latest");
  ck_assert_str_eq(annotation(m1, "org.opencontainers.image.ref.name"), "umoci:v1");
  ck_assert_str_eq(jstr(m0, "digest"), jstr(mm, "digest"));
  ck_assert_str_eq(jstr(m1, "digest"), jstr(v1, "digest"));
  d = digest_of(jstr(m1, "digest"));
  ck_assert_str_eq(oci_view_blob_member(v, &d, NULL, NULL), "umoci:v1/manifest.json");
  free(view_read(v, jstr(m1, "digest"), json_object_get_int64(json_object_object_get(m1, "size")), &len, OCIDIG_OK));
  free(view_read(v, jstr(m0, "digest"), json_object_get_int64(json_object_object_get(m0, "size")), &len, OCIDIG_OK));
  json_object_put(idx);
  json_object_put(v1);
  json_object_put(multi);
  ocidig_layout_close(l);
}

START_TEST(cimage_sync_dir)
{
  check_cimage_sync(CIMAGE "/sync");
}
END_TEST

START_TEST(cimage_sync_archive)
{
  char *tmp = tu_mkdtemp(), *tar = make_tar(CIMAGE "/sync", tmp, "sync.tar");
  check_cimage_sync(tar);
  free(tar);
  tu_rmtree(tmp);
  free(tmp);
}
END_TEST

/* A damaged dir: layout: a flipped byte in the config is a digest mismatch through the view;
 * a version file of another format, or a manifest.json array, is not this format. */
START_TEST(cimage_damaged)
{
  char *tmp = tu_mkdtemp(), path[4096], *cfgname = NULL;
  json_object *man = json_object_from_file(CIMAGE "/umoci-v1/manifest.json"), *cfg;
  const char *files[] = {"manifest.json", "version", NULL};
  ocidig_layout *l;
  ocidig_layout_format f;
  ocidig_error e;
  oci_view *v;
  size_t len;
  DIR *d;
  struct dirent *de;

  ck_assert_ptr_nonnull(man);
  cfg = json_object_object_get(man, "config");
  ck_assert_ptr_nonnull(d = opendir(CIMAGE "/umoci-v1"));
  while ((de = readdir(d))) {
    char src[4096];
    char *data;
    size_t n;
    if (de->d_name[0] == '.')
      continue;
    snprintf(src, sizeof src, "%s/%s", CIMAGE "/umoci-v1", de->d_name);
    data = tu_read_file(src, &n);
    if (!strcmp(de->d_name, jstr(cfg, "digest") + 7)) {
      data[10] ^= 1;
      cfgname = strdup(de->d_name);
    }
    tu_write(tmp, de->d_name, data, n);
    free(data);
  }
  closedir(d);
  ck_assert_ptr_nonnull(cfgname);
  l = open_layout(tmp);
  v = get_view(l);
  free(view_read(v, jstr(cfg, "digest"), json_object_get_int64(json_object_object_get(cfg, "size")), &len,
                 OCIDIG_ERR_DIGEST_MISMATCH));
  ocidig_layout_close(l);

  /* another version text: not dir: (then manifest.json, an object, is a bad docker save) */
  tu_write(tmp, "version", "Directory Transport Version: 2.0\n", 33);
  l = open_layout(tmp);
  ck_assert_int_eq(ocidig_layout_format_detect(l, &f, &e), OCIDIG_OK);
  ck_assert_int_eq(f, OCIDIG_FORMAT_DOCKER_ARCHIVE);
  ocidig_layout_close(l);
  /* a docker save's manifest.json (an array) beside a dir: version file: docker save */
  tu_write(tmp, "version", "Directory Transport Version: 1.1\n", 33);
  tu_write(tmp, "manifest.json", "[]", 2);
  l = open_layout(tmp);
  ck_assert_int_eq(ocidig_layout_format_detect(l, &f, &e), OCIDIG_OK);
  ck_assert_int_eq(f, OCIDIG_FORMAT_DOCKER_ARCHIVE);
  ocidig_layout_close(l);
  /* neither index.json nor manifest.json, and no image folder: none (missing-index-json) */
  for (int i = 0; files[i]; i++) {
    snprintf(path, sizeof path, "%s/%s", tmp, files[i]);
    ck_assert_int_eq(unlink(path), 0);
  }
  l = open_layout(tmp);
  ck_assert_int_eq(ocidig_layout_format_detect(l, &f, &e), OCIDIG_OK);
  ck_assert_int_eq(f, OCIDIG_FORMAT_NONE);
  ck_assert_int_eq(oci_view_get(l, &v, &e), OCIDIG_ERR_MISSING_INDEX_JSON);
  ocidig_layout_close(l);
  free(cfgname);
  json_object_put(man);
  tu_rmtree(tmp);
  free(tmp);
}
END_TEST

/* ------------------------------------------------------------ docker save views */

/* Checks the docker view of `tar` against its own manifest.json and configs: one index
 * entry per RepoTag (io.containerd.image.name) or one unnamed; a synthesized Docker schema 2
 * manifest per image whose config is the Config file (digest from its name) and whose layers
 * carry the digest their name gives, else the config's diff_id; each blob read or streamed
 * through the view hashes to its digest. */
static void check_docker(const char *tar)
{
  char *mj = tar_member(tar, "manifest.json", NULL);
  json_object *want = json_tokener_parse(mj), *idx, *ms;
  ocidig_layout *l = open_layout(tar);
  ocidig_layout_format f;
  ocidig_error e;
  oci_view *v;
  size_t k = 0;

  ck_assert_ptr_nonnull(want);
  ck_assert_int_eq(ocidig_layout_format_detect(l, &f, &e), OCIDIG_OK);
  ck_assert_int_eq(f, OCIDIG_FORMAT_DOCKER_ARCHIVE);
  v = get_view(l);
  ck_assert(oci_view_root_synthesized(v));
  ck_assert_str_eq(oci_view_root_name(v), "manifest.json");
  idx = root_index(v);
  ck_assert_str_eq(jstr(idx, "mediaType"), OCIDIG_MT_OCI_INDEX);
  ms = json_object_object_get(idx, "manifests");
  for (size_t i = 0; i < json_object_array_length(want); i++) {
    json_object *im = json_object_array_get_idx(want, i), *tags = json_object_object_get(im, "RepoTags");
    json_object *wl = json_object_object_get(im, "Layers"), *man, *cfgj, *diff_ids, *layers, *c;
    size_t n_tags = tags ? json_object_array_length(tags) : 0, len;
    const char *cfgname = jstr(im, "Config");
    char cfgdig[80], h[80], *cfgtext;
    json_object *first = json_object_array_get_idx(ms, k);
    ocidig_digest md = digest_of(jstr(first, "digest"));
    uint8_t *data;

    /* the entries of this image: one per tag, same manifest */
    for (size_t t = 0; t < (n_tags ? n_tags : 1); t++, k++) {
      json_object *ent = json_object_array_get_idx(ms, k);
      ck_assert_ptr_nonnull(ent);
      ck_assert_str_eq(jstr(ent, "digest"), jstr(first, "digest"));
      ck_assert_str_eq(jstr(ent, "mediaType"), OCIDIG_MT_DOCKER_MANIFEST);
      if (n_tags)
        ck_assert_str_eq(annotation(ent, "io.containerd.image.name"),
                         json_object_get_string(json_object_array_get_idx(tags, t)));
      else
        ck_assert_ptr_null(json_object_object_get(ent, "annotations"));
    }
    ck_assert(oci_view_blob_synthesized(v, &md));
    ck_assert_ptr_null(oci_view_blob_member(v, &md, NULL, NULL));
    ck_assert_uint_eq(oci_view_docker_image_of(v, &md), i);
    data = view_read(v, jstr(first, "digest"), json_object_get_int64(json_object_object_get(first, "size")), &len,
                     OCIDIG_OK);
    sha256_hex(data, len, h);
    ck_assert_str_eq(h, jstr(first, "digest"));
    man = parse_n(data, len);
    free(data);
    ck_assert_ptr_nonnull(man);
    ck_assert_str_eq(jstr(man, "mediaType"), OCIDIG_MT_DOCKER_MANIFEST);
    /* the config: named by its file, its bytes as the archive holds them */
    snprintf(cfgdig, sizeof cfgdig, "sha256:%.64s", strrchr(cfgname, '/') ? strrchr(cfgname, '/') + 1 : cfgname);
    c = json_object_object_get(man, "config");
    ck_assert_str_eq(jstr(c, "digest"), cfgdig);
    ck_assert_str_eq(jstr(c, "mediaType"), OCIDIG_MT_DOCKER_CONFIG);
    cfgtext = tar_member(tar, cfgname, &len);
    ck_assert_int_eq(json_object_get_int64(json_object_object_get(c, "size")), (int64_t)len);
    cfgj = json_tokener_parse(cfgtext);
    free(cfgtext);
    data = view_read(v, cfgdig, (int64_t)len, &len, OCIDIG_OK);
    free(data);
    {
      ocidig_digest cd = digest_of(cfgdig);
      ck_assert(!oci_view_blob_synthesized(v, &cd));
    }
    /* the layers */
    diff_ids = json_object_object_get(json_object_object_get(cfgj, "rootfs"), "diff_ids");
    layers = json_object_object_get(man, "layers");
    ck_assert_uint_eq(json_object_array_length(layers), json_object_array_length(wl));
    for (size_t j = 0; j < json_object_array_length(layers); j++) {
      json_object *ly = json_object_array_get_idx(layers, j);
      const char *name = json_object_get_string(json_object_array_get_idx(wl, j));
      const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
      char want_dig[80];
      if (strlen(base) == 68 && !strcmp(base + 64, ".tar"))
        snprintf(want_dig, sizeof want_dig, "sha256:%.64s", base);
      else
        snprintf(want_dig, sizeof want_dig, "%s", json_object_get_string(json_object_array_get_idx(diff_ids, j)));
      ck_assert_str_eq(jstr(ly, "digest"), want_dig);
      ck_assert_str_eq(jstr(ly, "mediaType"), OCIDIG_MT_DOCKER_LAYER);
      view_stream_hash(v, want_dig, h);
      ck_assert_str_eq(h, want_dig);
    }
    json_object_put(cfgj);
    json_object_put(man);
  }
  ck_assert_uint_eq(json_object_array_length(ms), k);
  json_object_put(idx);
  json_object_put(want);
  free(mj);
  ocidig_layout_close(l);
}

START_TEST(docker_legacy)
{
  check_docker(SAMPLES "/docker-save-legacy-build.tar"); /* Docker 20.10: <id>/layer.tar, digest = diff_id */
}
END_TEST

START_TEST(docker_by_id)
{
  check_docker(SAMPLES "/docker-save-by-id.tar"); /* RepoTags null: one unnamed entry */
}
END_TEST

START_TEST(docker_cimage_archive)
{
  check_docker(SAMPLES "/buildah-arm64.docker-archive.tar"); /* two RepoTags, <diff_id>.tar */
  check_docker(SAMPLES "/podman-save.docker-archive.tar");
  check_docker(VERIFY "/docker-clean.tar");
  check_docker(VERIFY "/docker-clean-links.tar"); /* two images, one untagged, a shared layer */
}
END_TEST

/* manifest.json naming the legacy <id>/layer.tar, a symbolic link to ../<diff_id>.tar (as
 * containers/image writes it): the view maps the layer to the file the link leads to. */
START_TEST(docker_layer_through_link)
{
  char *tmp = tu_mkdtemp(), out[4096];
  const char *src = SAMPLES "/podman-save.docker-archive.tar";
  struct archive *r = archive_read_new(), *w = archive_write_new();
  struct archive_entry *ae;
  const char *link = NULL;
  char linkname[200] = "", target[100] = "";
  ocidig_layout *l;
  oci_view *v;
  ocidig_digest d;
  json_object *idx, *man;
  uint8_t *data;
  size_t len;

  snprintf(out, sizeof out, "%s/linked.tar", tmp);
  archive_read_support_format_all(r);
  ck_assert_int_eq(archive_read_open_filename(r, src, 10240), ARCHIVE_OK);
  archive_write_set_format_pax_restricted(w);
  ck_assert_int_eq(archive_write_open_filename(w, out), ARCHIVE_OK);
  while (archive_read_next_header(r, &ae) == ARCHIVE_OK) {
    const char *name = archive_entry_pathname(ae);
    size_t n = (size_t)archive_entry_size(ae);
    char *buf = malloc(n + 1);
    if (archive_entry_filetype(ae) == AE_IFLNK) {
      link = archive_entry_symlink(ae);
      snprintf(linkname, sizeof linkname, "%s", name);
      snprintf(target, sizeof target, "%s", strrchr(link, '/') + 1);
    }
    if (n)
      ck_assert_int_eq(archive_read_data(r, buf, n), (la_ssize_t)n);
    if (!strcmp(name, "manifest.json")) {
      /* Layers: the link instead of the file */
      json_object *mj = parse_n(buf, n);
      char *s;
      ck_assert_ptr_nonnull(mj);
      ck_assert(linkname[0]); /* the link member comes before manifest.json in this archive */
      json_object_array_put_idx(json_object_object_get(json_object_array_get_idx(mj, 0), "Layers"), 0,
                                json_object_new_string(linkname));
      s = strdup(json_object_to_json_string_ext(mj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
      json_object_put(mj);
      free(buf);
      buf = s;
      n = strlen(s);
      archive_entry_set_size(ae, (la_int64_t)n);
    }
    ck_assert_int_eq(archive_write_header(w, ae), ARCHIVE_OK);
    if (n)
      ck_assert_int_eq(archive_write_data(w, buf, n), (la_ssize_t)n);
    free(buf);
  }
  archive_read_free(r);
  archive_write_close(w);
  archive_write_free(w);

  l = open_layout(out);
  v = get_view(l);
  idx = root_index(v);
  data = view_read(v, jstr(json_object_array_get_idx(json_object_object_get(idx, "manifests"), 0), "digest"),
                   json_object_get_int64(json_object_object_get(
                       json_object_array_get_idx(json_object_object_get(idx, "manifests"), 0), "size")),
                   &len, OCIDIG_OK);
  man = parse_n(data, len);
  free(data);
  ck_assert_ptr_nonnull(man);
  {
    /* the digest: the config's diff_id (layer.tar carries none in its name), which is the
     * hex the target's name carries */
    json_object *ly = json_object_array_get_idx(json_object_object_get(man, "layers"), 0);
    char want[80], h[80];
    ck_assert(strlen(target) == 68);
    snprintf(want, sizeof want, "sha256:%.64s", target);
    ck_assert_str_eq(jstr(ly, "digest"), want);
    d = digest_of(want);
    ck_assert_str_eq(oci_view_blob_member(v, &d, NULL, NULL), target);
    view_stream_hash(v, want, h);
    ck_assert_str_eq(h, want);
  }
  json_object_put(man);
  json_object_put(idx);
  ocidig_layout_close(l);
  tu_rmtree(tmp);
  free(tmp);
}
END_TEST

/* The verify fixtures' faults, seen through the view: a tampered layer file does not hash to
 * its digest; a tampered config is a digest mismatch; an absent config is blob-missing. */
START_TEST(docker_faults)
{
  struct {
    const char *tar;
    ocidig_code want;
  } cases[] = {
      {VERIFY "/docker-config-tampered.tar", OCIDIG_ERR_DIGEST_MISMATCH},
      {VERIFY "/docker-config-missing.tar", OCIDIG_ERR_BLOB_MISSING},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *mj = tar_member(cases[i].tar, "manifest.json", NULL);
    json_object *want = json_tokener_parse(mj);
    ocidig_layout *l = open_layout(cases[i].tar);
    oci_view *v = get_view(l);
    size_t hits = 0;
    /* the image whose config is at fault gives the fault; the others read */
    for (size_t k = 0; k < json_object_array_length(want); k++) {
      const char *cfgname = jstr(json_object_array_get_idx(want, k), "Config");
      char dig[80];
      ocidig_digest d;
      ocidig_entry ent;
      ocidig_error e;
      ocidig_code rc;
      size_t len;
      uint8_t *data = NULL;
      snprintf(dig, sizeof dig, "sha256:%.64s", cfgname);
      d = digest_of(dig);
      rc = oci_view_blob_stat(v, &d, &ent, &e);
      if (rc == OCIDIG_OK)
        rc = oci_view_blob_read(v, &d, ent.size, 1u << 20, &data, &len, &e);
      free(data);
      if (rc == OCIDIG_OK)
        continue;
      ck_assert_int_eq(rc, cases[i].want);
      ck_assert_msg(strstr(e.message, cfgname) != NULL, "%s", e.message);
      hits++;
    }
    ck_assert_uint_eq(hits, 1);
    json_object_put(want);
    free(mj);
    ocidig_layout_close(l);
  }
  {
    /* the tampered layer: its bytes no longer hash to the diff_id the view names it by */
    const char *tar = VERIFY "/docker-layer-tampered.tar";
    ocidig_layout *l = open_layout(tar);
    oci_view *v = get_view(l);
    json_object *idx = root_index(v), *man, *ly;
    json_object *m = json_object_array_get_idx(json_object_object_get(idx, "manifests"), 0);
    size_t len;
    bool differs = false;
    uint8_t *data = view_read(v, jstr(m, "digest"), json_object_get_int64(json_object_object_get(m, "size")), &len,
                              OCIDIG_OK);
    man = parse_n(data, len);
    free(data);
    ck_assert_ptr_nonnull(man);
    ly = json_object_object_get(man, "layers");
    for (size_t j = 0; j < json_object_array_length(ly); j++) {
      char h[80];
      view_stream_hash(v, jstr(json_object_array_get_idx(ly, j), "digest"), h);
      differs = differs || strcmp(h, jstr(json_object_array_get_idx(ly, j), "digest"));
    }
    ck_assert(differs);
    json_object_put(man);
    json_object_put(idx);
    ocidig_layout_close(l);
  }
}
END_TEST

/* ---------------------------------------------------------------- hybrid */

/* ctr export: index.json is the view's root; manifest.json's RepoTags belong to an image only
 * when its Config and Layers are what that image's manifest references. */
START_TEST(hybrid_repo_tags)
{
  const char *tar = SAMPLES "/containerd-export-allplatforms.tar";
  char *mj = tar_member(tar, "manifest.json", NULL);
  json_object *want = json_tokener_parse(mj), *im = json_object_array_get_idx(want, 0);
  json_object *wl = json_object_object_get(im, "Layers");
  ocidig_layout *l = open_layout(tar);
  oci_view *v = get_view(l);
  ocidig_digest cfg, layers[4], other;
  char **tags;
  size_t n, nl = json_object_array_length(wl);
  const ocidig_docker_archive *a;
  ocidig_error e;

  ck_assert_int_eq(oci_view_format(v), OCIDIG_FORMAT_HYBRID);
  ck_assert(!oci_view_root_synthesized(v));
  ck_assert_str_eq(oci_view_root_name(v), "index.json");
  ck_assert_int_eq(oci_view_docker_archive(v, &a, &e), OCIDIG_OK);
  ck_assert_ptr_nonnull(a);
  ck_assert_uint_le(nl, 4);
  {
    /* "blobs/sha256/<hex>" -> "sha256:<hex>" */
    char s[80];
    snprintf(s, sizeof s, "sha256:%s", strrchr(jstr(im, "Config"), '/') + 1);
    cfg = digest_of(s);
    for (size_t i = 0; i < nl; i++) {
      snprintf(s, sizeof s, "sha256:%s", strrchr(json_object_get_string(json_object_array_get_idx(wl, i)), '/') + 1);
      layers[i] = digest_of(s);
    }
  }
  ck_assert_int_eq(oci_view_repo_tags_for(v, &cfg, layers, nl, &tags, &n, &e), OCIDIG_OK);
  ck_assert_uint_eq(n, 1);
  ck_assert_str_eq(tags[0], json_object_get_string(json_object_array_get_idx(json_object_object_get(im, "RepoTags"), 0)));
  oci_strv_free(tags, n);
  /* the same config with other layers, or fewer: no tag */
  ck_assert_int_eq(oci_view_repo_tags_for(v, &cfg, layers, 0, &tags, &n, &e), OCIDIG_OK);
  ck_assert_uint_eq(n, 0);
  ck_assert_ptr_null(tags);
  other = digest_of("sha256:0000000000000000000000000000000000000000000000000000000000000000");
  ck_assert_int_eq(oci_view_repo_tags_for(v, &other, layers, nl, &tags, &n, &e), OCIDIG_OK);
  ck_assert_uint_eq(n, 0);
  json_object_put(want);
  free(mj);
  ocidig_layout_close(l);
}
END_TEST

/* An OCI layout: the view is the layout as it is. */
START_TEST(oci_plain)
{
  ocidig_layout *l = open_layout(SAMPLES "/umoci-multitag");
  oci_view *v = get_view(l), *again = NULL;
  json_object *want = oci_entry(SAMPLES "/umoci-multitag/index.json", "v2"), *idx = root_index(v);
  ocidig_digest d = digest_of(jstr(want, "digest"));
  const ocidig_docker_archive *a = (void *)1;
  ocidig_error e;
  char path[160];
  size_t len;
  ck_assert_int_eq(oci_view_get(l, &again, &e), OCIDIG_OK);
  ck_assert_ptr_eq(again, v); /* kept with the layout */
  ck_assert(!oci_view_root_synthesized(v));
  ck_assert_uint_eq(json_object_array_length(json_object_object_get(idx, "manifests")), 4);
  snprintf(path, sizeof path, "blobs/sha256/%s", d.hex);
  ck_assert_str_eq(oci_view_blob_member(v, &d, NULL, NULL), path);
  ck_assert(!oci_view_blob_synthesized(v, &d));
  free(view_read(v, jstr(want, "digest"), json_object_get_int64(json_object_object_get(want, "size")), &len,
                 OCIDIG_OK));
  ck_assert_int_eq(oci_view_docker_archive(v, &a, &e), OCIDIG_OK);
  ck_assert_ptr_null(a);
  ck_assert_uint_eq(oci_view_cimage_images(v), 0);
  json_object_put(idx);
  json_object_put(want);
  ocidig_layout_close(l);
}
END_TEST

/* ---------------------------------------------------- resolve over the views */

static ocidig_resolution *resolve_ref(const char *path, const char *ref, const char *platform, ocidig_code want)
{
  ocidig_layout *l = open_layout(path);
  ocidig_resolution *r = NULL;
  ocidig_matcher *m = NULL;
  ocidig_platform p;
  ocidig_resolve_options o = {.ref = ref};
  ocidig_error e;
  ocidig_code rc;
  if (platform) {
    ck_assert_int_eq(ocidig_platform_parse(platform, NULL, &p, &e), OCIDIG_OK);
    ck_assert_int_eq(ocidig_matcher_new(OCIDIG_MATCHER_ONLY, &p, 1, NULL, &m, &e), OCIDIG_OK);
    ocidig_platform_clear(&p);
    o.matcher = m;
  }
  rc = ocidig_resolve(l, &o, &r, &e);
  ck_assert_msg(rc == want, "%s --ref %s: %s (%d)", path, ref ? ref : "-", e.message, rc);
  ocidig_matcher_free(m);
  ocidig_layout_close(l);
  return r;
}

/* A dir: tree resolves like any layout: --ref the folder name selects that image's manifest
 * (the digest the OCI layout skopeo copied from gives). */
START_TEST(resolve_cimage)
{
  json_object *v1 = oci_entry(SAMPLES "/umoci-multitag/index.json", "v1");
  ocidig_resolution *r = resolve_ref(CIMAGE "/sync", "umoci:v1", NULL, OCIDIG_OK);
  ck_assert_int_eq(r->outcome, OCIDIG_OUTCOME_SELECTED);
  ck_assert_str_eq(r->selected.digest_string, jstr(v1, "digest"));
  ck_assert(!ocidig_resolution_is_docker_archive(r));
  ocidig_resolution_free(r);
  r = resolve_ref(CIMAGE "/multiarch-all", NULL, "linux/arm/v7", OCIDIG_OK);
  ck_assert_int_eq(r->outcome, OCIDIG_OUTCOME_SELECTED);
  ck_assert_str_eq(r->selected_platform.architecture, "arm");
  ocidig_resolution_free(r);
  json_object_put(v1);
}
END_TEST

/* A docker save resolves over its view and is said by image ID: the selection is the config
 * (manifest.json's Config names its digest), one row per image under manifest.json, --ref
 * by RepoTag, by tag alone and by @<image ID>. */
START_TEST(resolve_docker)
{
  const char *tar = VERIFY "/docker-clean-links.tar";
  char *mj = tar_member(tar, "manifest.json", NULL);
  json_object *want = json_tokener_parse(mj);
  const char *cfg0 = jstr(json_object_array_get_idx(want, 0), "Config");
  const char *cfg1 = jstr(json_object_array_get_idx(want, 1), "Config");
  char id0[80], id1[80], ref[90];
  ocidig_resolution *r;
  snprintf(id0, sizeof id0, "sha256:%.64s", cfg0);
  snprintf(id1, sizeof id1, "sha256:%.64s", cfg1);
  r = resolve_ref(tar, NULL, NULL, OCIDIG_OK);
  ck_assert(ocidig_resolution_is_docker_archive(r));
  ck_assert_str_eq(r->selected.digest_string, id0);
  ck_assert_str_eq(r->selected.media_type, OCIDIG_MT_DOCKER_CONFIG);
  ck_assert_ptr_null(r->manifest_media_type);
  ck_assert_uint_eq(r->n_rows, json_object_array_length(want)); /* one per image, not per RepoTag */
  for (size_t i = 0; i < r->n_rows; i++)
    ck_assert_str_eq(r->rows[i].parent, "manifest.json");
  ocidig_resolution_free(r);
  r = resolve_ref(tar, "fixture/app:latest", NULL, OCIDIG_OK);
  ck_assert_str_eq(r->selected.digest_string, id0);
  ocidig_resolution_free(r);
  snprintf(ref, sizeof ref, "@%s", id1);
  r = resolve_ref(tar, ref, NULL, OCIDIG_OK); /* the untagged image */
  ck_assert_str_eq(r->selected.digest_string, id1);
  ocidig_resolution_free(r);
  r = resolve_ref(tar, "nosuch", NULL, OCIDIG_ERR_REF_NOT_FOUND);
  ck_assert_msg(strstr(r->error.message, "RepoTags there: fixture/app:1, fixture/app:latest") != NULL, "%s",
                r->error.message);
  ocidig_resolution_free(r);
  json_object_put(want);
  free(mj);
}
END_TEST

static Suite *view_suite(void)
{
  Suite *s = suite_create("view");
  TCase *c = tcase_create("cimage");
  tcase_set_timeout(c, 60);
  tcase_add_test(c, cimage_single_dir);
  tcase_add_test(c, cimage_single_archive);
  tcase_add_test(c, cimage_multi_dir);
  tcase_add_test(c, cimage_multi_archive);
  tcase_add_test(c, cimage_sync_dir);
  tcase_add_test(c, cimage_sync_archive);
  tcase_add_test(c, cimage_damaged);
  suite_add_tcase(s, c);
  c = tcase_create("docker");
  tcase_set_timeout(c, 60);
  tcase_add_test(c, docker_legacy);
  tcase_add_test(c, docker_by_id);
  tcase_add_test(c, docker_cimage_archive);
  tcase_add_test(c, docker_layer_through_link);
  tcase_add_test(c, docker_faults);
  tcase_add_test(c, hybrid_repo_tags);
  tcase_add_test(c, oci_plain);
  suite_add_tcase(s, c);
  c = tcase_create("resolve");
  tcase_set_timeout(c, 60);
  tcase_add_test(c, resolve_cimage);
  tcase_add_test(c, resolve_docker);
  suite_add_tcase(s, c);
  return s;
}

int main(void)
{
  return tu_run(view_suite());
}
