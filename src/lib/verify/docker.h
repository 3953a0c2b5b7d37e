/* docker.h: what docker_files.c and docker_rules.c share (private to src/lib/verify/).  A docker
 * save archive without index.json: manifest.json names each image's config and layer files;
 * they are verified as files (present, links followed inside the root, hashed once). */
#ifndef OCIDIG_VERIFY_DOCKER_H
#define OCIDIG_VERIFY_DOCKER_H

#include "verify.h"

#define MAX_LINK_HOPS 8

/* A config or layer file of a docker save archive, once however many images use it. */
typedef struct dfile {
  char *path; /* the regular file, links followed (the key) */
  int64_t size;
  bool want[2]; /* a digest of this algorithm (OCIDIG_DIGEST_SHA256, _SHA512) is to be checked */
  bool have[2];
  char hex[2][129]; /* what the bytes hash to, when have[] */
  char *read_error;
  bool config; /* hashed by ocidig_docker_archive_read (the image ID) */
  bool absent; /* named by manifest.json, not in the archive */
  bool hashed; /* counted in blobs_checked and bytes_hashed */
} dfile;

/* A layer of an image, checked once its file is hashed.  The strings belong to the archive. */
typedef struct dlayer {
  long image;
  size_t index;
  size_t file;
  const char *path;
  const char *name_digest;
  const char *diff_id;
  const char *label;
} dlayer;

typedef const char *(*key_fn)(const void *ctx, size_t i);

/* Open addressing over indexes (+1) of an array whose element i has the key key(ctx, i). */
const char *oci_vkey_ent(const void *ctx, size_t i);   /* ctx: vstate, the listing */
const char *oci_vkey_dfile(const void *ctx, size_t i); /* ctx: vstate, the files */
const char *oci_vkey_str(const void *ctx, size_t i);   /* ctx: char *[] */
size_t oci_vptab_find(const ptab *p, key_fn key, const void *ctx, const char *s);
/* Adds element i; with `replace`, it takes the place of an element with the same key. */
bool oci_vptab_put(ptab *p, key_fn key, const void *ctx, size_t i, bool replace);

/* The listing, by path (v->ents, v->etab). */
bool oci_vdocker_entries(vstate *v, ocidig_error *e);

enum { DF_FOUND, DF_ABSENT, DF_ESCAPES, DF_OUTSIDE };
/* Follows a path of manifest.json to the regular file it names.  DF_FOUND: *out is that
 * file's path (malloc'd).  DF_ESCAPES: a link on the way leaves the root (*bad_link: that
 * member, or NULL).  DF_OUTSIDE: the path itself is absolute or climbs out. */
int oci_vdocker_follow(vstate *v, const char *path, char **out, const char **bad_link);
/* The record of a file (takes path), created on first use; NONE when out of memory. */
size_t oci_vdfile_get(vstate *v, char *path, int64_t size);
void oci_vdfile_want(dfile *f, const char *digest);
/* Does the file hash to digest?  1 yes, 0 no (*actual: what it hashes to), -1 unknown. */
int oci_vdfile_matches(const dfile *f, const char *digest, char *actual, size_t n);
/* Hashes every layer file whose digests are not known yet: streamed in chunks, each once. */
void oci_vdocker_hash(vstate *v);
/* The files nothing refers to. */
void oci_vdocker_unreferenced(vstate *v);

#endif
