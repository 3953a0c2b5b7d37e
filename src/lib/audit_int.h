/* audit_int.h: the lock as audit reads it (lock_read.c) and what audit.c keeps of a source. */
#ifndef OCIDIG_AUDIT_INT_H
#define OCIDIG_AUDIT_INT_H
#include "internal.h"

typedef struct oci_lock_platform {
  char *platform; /* NULL: unknown */
  char *manifest; /* or the nested index's digest; NULL in a docker save */
  bool present, attestation;
} oci_lock_platform;

typedef struct oci_lock_blob {
  char *digest;
  int64_t size;
  bool present;
} oci_lock_blob;

typedef struct oci_lock_image {
  char *digest;
  char **names, **sources;
  size_t n_names, n_sources;
  oci_lock_platform *platforms;
  size_t n_platforms;
  oci_lock_blob *blobs;
  size_t n_blobs;
} oci_lock_image;

struct ocidig_lock {
  char *name;
  oci_lock_image *images;
  size_t n_images;
};

#endif
