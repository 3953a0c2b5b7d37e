/* view_int.h: what the view kinds (view/oci.c, view/docker.c, view/cimage_dir.c) share with
 * the dispatch in view.c.  Private to the view layer. */
#ifndef OCIDIG_VIEW_INT_H
#define OCIDIG_VIEW_INT_H

#include "view.h"
#include "docker_manifest.h" /* oci_cimage_folder_is_image */

/* One blob the view knows by digest: a member that holds it, or bytes it synthesized. */
typedef struct oci_view_blob {
  char *digest;   /* "alg:hex" */
  char *member;   /* the member, or NULL: synthesized (data) */
  uint8_t *data;
  size_t len;
  size_t image;   /* docker: the manifest.json entry a synthesized manifest was made from; else (size_t)-1 */
  size_t seq;     /* order of adding: the first of two with one digest wins */
} oci_view_blob;

struct oci_view {
  ocidig_layout *l;
  ocidig_layout_format format;
  bool format_pending; /* index.json is there: OCI or hybrid, not asked yet (see oci_view_get) */
  char name[OCIDIG_MAX_PATH_LENGTH + OCIDIG_DIGEST_STRING_MAX + 16]; /* the last name oci_view_blob_member made */
  /* the root: index.json, or a synthesized index (root, root_len) made from root_name */
  const char *root_name;
  uint8_t *root;
  size_t root_len;
  /* blobs by digest (sorted once built): docker and dir: views */
  oci_view_blob *blobs;
  size_t n_blobs, cap_blobs;
  bool sorted;
  /* manifest.json of a docker save (the view's source) or of a hybrid (read on first call) */
  ocidig_docker_archive *docker;
  bool docker_read;
  ocidig_code docker_rc;
  ocidig_error docker_err;
  /* docker: the config digest of each image of manifest.json, as its manifest names it */
  char **docker_configs;
  size_t n_docker_configs;
  /* dir: image folders ("" for one image at the root), the digest of each one's manifest.json */
  char **folders;
  size_t n_folders;
  char **folder_digests;
  size_t n_folder_digests;
  /* dir: the signature-N files (scanned on first call: oci_view_cimage_signatures) */
  oci_dirsig *sigs;
  size_t n_sigs;
  bool sigs_scanned;
};

/* Adds a blob: member (copied) or data (taken, owned by the view from then on, even on
 * failure).  Out of memory: OCIDIG_ERR_NOMEM. */
ocidig_code oci_view_add_blob(oci_view *v, const char *digest, const char *member, uint8_t *data, size_t len,
                              size_t image, ocidig_error *err);
/* Sorts the blobs (after the last oci_view_add_blob). */
void oci_view_sort_blobs(oci_view *v);
const oci_view_blob *oci_view_find_blob(const oci_view *v, const ocidig_digest *d);
/* sha256 of data as "sha256:<hex>" into out (OCIDIG_DIGEST_STRING_MAX bytes). */
bool oci_view_sha256(const void *data, size_t len, char *out);

/* The kinds: fill v (format already set) or fail; v is freed by the caller on failure. */
ocidig_code oci_view_docker_build(oci_view *v, ocidig_error *err);
ocidig_code oci_view_cimage_build(oci_view *v, ocidig_error *err);
/* Frees what the dir: view keeps of its signature files and folders' digests. */
void oci_view_cimage_free(oci_view *v);

#endif
