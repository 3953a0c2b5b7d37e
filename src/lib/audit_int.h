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

typedef struct oci_lock_key {
  const char *digest;
  size_t index;
} oci_lock_key;

struct ocidig_lock {
  char *name;
  oci_lock_image *images;
  size_t n_images;
  oci_lock_key *by_digest; /* the images with a digest, sorted by it (audit's lookups) */
  size_t n_by_digest;
};

/* The image of the lock with this digest (a binary search); NULL: none. */
const oci_lock_image *oci_lock_find(const ocidig_lock *k, const char *digest);

#endif
