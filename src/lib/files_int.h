/* files_int.h: what files.c (the merged tree of an image, `ocidig files`) and files_cat.c
 * (`ocidig cat --file`) share.  Not installed. */
#ifndef OCIDIG_FILES_INT_H
#define OCIDIG_FILES_INT_H

#include "image.h"
#include "layer.h"
#include "tree.h"

/* A layer read into the tree. */
typedef struct files_layer {
  char *digest, *media_type;
  int64_t size;
  uint64_t entries, uncompressed;
} files_layer;

/* An image's layer as its manifest says it (kept for cat --file). */
typedef struct layer_desc {
  char *digest_string, *media_type;
  ocidig_digest digest;
  ocidig_code digest_code;
  int64_t size;
} layer_desc;

struct ocidig_files {
  oci_tree *tree;
  files_layer *layers; /* those read */
  size_t n_layers, total_layers;
  bool one_layer;
  unsigned layer;
  char *image;
  char **warnings;
  size_t n_warnings;
  layer_desc *descs; /* every layer of the image (for cat --file) */
  size_t n_descs;
  /* loaded with digests: per layer read, the sha256 of each regular file's bytes by its
   * ordinal (32 bytes; zero for entries without bytes) */
  uint8_t **sums;
  size_t *n_sums;
};

/* "sha256:<hex>" of the bytes of the item (a regular file, or a hard link to one) into buf
 * (OCIDIG_DIGEST_STRING_MAX), or NULL (not loaded with digests, or no bytes). */
const char *oci_files_item_digest(const ocidig_files *f, const oci_tree_item *it, char *buf);

/* Before a layer is read: a valid digest, a compression layer.h reads, the blob present
 * (a foreign layer that is absent said so). */
ocidig_code oci_files_layer_check(oci_view *v, const layer_desc *d, size_t i, oci_layer_compression *c, ocidig_error *err);
/* After: an error for a stream cut or corrupt, or bytes that are not the blob's; with f, a
 * warning on it for data after the end or a tar without its end marker. */
ocidig_code oci_files_layer_result(ocidig_files *f, const layer_desc *d, size_t i, const oci_layer_result *res,
                               bool blob_ok, ocidig_error *err);

#endif
