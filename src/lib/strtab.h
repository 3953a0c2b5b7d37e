/* strtab.h: the library's one hash table from a string to a position in an array.
 *
 * Open addressing over positions (+1) into an array the caller owns; the keys are not
 * copied: key(ctx, i) gives the key of element i (a member's path, a node's digest), so the
 * table costs one size_t per slot and stays valid while the array is reallocated (pass the
 * array's owner as ctx, not the array).  The load factor stays at or under 1/2.  Not
 * thread-safe; no global state. */
#ifndef OCIDIG_STRTAB_H
#define OCIDIG_STRTAB_H

#include <stdbool.h>
#include <stddef.h>

#define OCI_STRTAB_NONE ((size_t)-1)

typedef const char *(*oci_strtab_key)(const void *ctx, size_t i);

typedef struct oci_strtab {
  size_t *slots; /* position + 1; 0 empty */
  size_t cap, n;
} oci_strtab;

/* FNV-1a of a NUL-terminated string. */
size_t oci_str_hash(const char *s);
/* The position stored under `key`, or OCI_STRTAB_NONE (also for a NULL key). */
size_t oci_strtab_find(const oci_strtab *t, const char *key, oci_strtab_key fn, const void *ctx);
/* Stores position i under its key fn(ctx, i) (not NULL).  When the key is there already,
 * its position is replaced if `replace`, else kept.  false: out of memory (the table is
 * unchanged). */
bool oci_strtab_put(oci_strtab *t, size_t i, oci_strtab_key fn, const void *ctx, bool replace);
void oci_strtab_free(oci_strtab *t);

#endif
