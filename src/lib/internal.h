/* internal.h: helpers shared by the library's files; not installed. */
#ifndef OCIDIG_INTERNAL_H
#define OCIDIG_INTERNAL_H

#include "config.h"

#include "ocidig.h"

#include <stdarg.h>
#include <stdio.h>

#if defined(__GNUC__)
#define OCI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define OCI_PRINTF(a, b)
#endif

#define OCI_STR_(x) #x
#define OCI_STR(x) OCI_STR_(x)

/* Sets err (if any) and returns code. */
ocidig_code oci_fail(ocidig_error *err, ocidig_code code, const char *fmt, ...) OCI_PRINTF(3, 4);
ocidig_code oci_nomem(ocidig_error *err);
/* A public function given NULL for a pointer it requires: OCIDIG_ERR_USAGE, with a
 * message naming the function and the argument ("ocidig_resolve: out is NULL"). */
#define OCI_REQUIRE(ptr, name, err)                                                          \
  do {                                                                                       \
    if (!(ptr))                                                                              \
      return oci_fail((err), OCIDIG_ERR_USAGE, "%s: %s is NULL", __func__, (name));         \
  } while (0)
/* Prefixes err->message with "prefix: ". */
void oci_error_prefix(ocidig_error *err, const char *fmt, ...) OCI_PRINTF(2, 3);

char *oci_strdup(const char *s);           /* NULL in -> NULL out */
char *oci_strndup(const char *s, size_t n);
char *oci_sprintf(const char *fmt, ...) OCI_PRINTF(1, 2);
const char *oci_str(const char *s); /* NULL -> "" */
bool oci_streq(const char *a, const char *b); /* NULL equals "" */
/* Grows *arr (of *cap elements of size elem) to hold at least need; false on overflow/ENOMEM. */
bool oci_grow(void **arr, size_t *cap, size_t need, size_t elem);
/* Appends a copy of s to a string list. */
bool oci_strv_push(char ***v, size_t *n, const char *s);
void oci_strv_free(char **v, size_t n);

/* Strings that live as long as their pool, copied into 64 KiB chunks: no allocation (and
 * no allocator header) per string.  100,000 member names cost their bytes. */
typedef struct oci_strpool {
  struct oci_strpool_chunk *chunks;
} oci_strpool;
/* A copy of s in the pool; NULL when out of memory (or for NULL). */
char *oci_strpool_dup(oci_strpool *p, const char *s);
void oci_strpool_free(oci_strpool *p);

/* Gives the pages of freed memory back to the system (glibc's malloc_trim; elsewhere
 * nothing): after a cache of many small blocks is freed, before large arrays are made, so
 * that the peak resident size is what is in use, not what was.  Touches no state of ours. */
void oci_heap_trim(void);

/* Growable string. */
typedef struct oci_buf {
  char *s;
  size_t len, cap;
  bool failed; /* an allocation failed; s stays valid */
} oci_buf;
void oci_buf_add(oci_buf *b, const char *s, size_t n);
void oci_buf_puts(oci_buf *b, const char *s);
void oci_buf_printf(oci_buf *b, const char *fmt, ...) OCI_PRINTF(2, 3);
/* Appends s with control and non-printable bytes escaped (for messages about hostile names). */
void oci_buf_quote(oci_buf *b, const char *s, size_t n);
/* Returns the string (caller frees) or NULL if an allocation failed. */
char *oci_buf_take(oci_buf *b);
void oci_buf_free(oci_buf *b);
/* A quoted, length-limited copy of untrusted text for messages (malloc'd; never NULL
 * unless out of memory). */
char *oci_quote(const char *s, size_t n, size_t limit);
/* The same without the quotes: a name from an archive as it reads, but with control
 * characters escaped, so that a message naming it cannot drive a terminal. */
char *oci_escape(const char *s, size_t limit);

/* Sums of sizes (layers, blobs, totals) saturate at INT64_MAX, the largest size a descriptor
 * can state, instead of overflowing (two layers of 2^63-1 bytes made -2); a negative size (an
 * error reported where it is read) adds nothing.  The CLI shows a saturated total as "8 EiB or
 * more". */
static inline int64_t oci_size_add(int64_t total, int64_t size)
{
  int64_t r;
  if (size <= 0)
    return total;
  if (total < 0)
    total = 0;
  return __builtin_add_overflow(total, size, &r) ? INT64_MAX : r;
}
static inline uint64_t oci_bytes_add(uint64_t total, int64_t size)
{
  if (size <= 0)
    return total;
  return total > (uint64_t)INT64_MAX - (uint64_t)size ? (uint64_t)INT64_MAX : total + (uint64_t)size;
}

/* Streaming hash over EVP (hasher.c). */
typedef struct oci_hasher oci_hasher;
oci_hasher *oci_hasher_new(ocidig_digest_alg alg);
/* The same, hashing on a thread of its own (4 MiB of buffers) so that the caller can go
 * on reading, inflating, while the bytes before are hashed: for large blobs.  Inline on
 * a single CPU.  One caller thread only. */
oci_hasher *oci_hasher_new_pipelined(ocidig_digest_alg alg);
void oci_hasher_update(oci_hasher *h, const void *buf, size_t n);
/* Writes lowercase hex (NUL-terminated) into hex (129 bytes). */
void oci_hasher_final_hex(oci_hasher *h, char *hex);
void oci_hasher_free(oci_hasher *h);
/* Are the n bytes at s all lowercase hex (the encoding of sha256 and sha512 digests)? */
bool oci_lower_hex(const char *s, size_t n);
/* False (hex "") when out of memory: a caller reports OCIDIG_ERR_NOMEM, not a mismatch. */
bool oci_hash_hex(ocidig_digest_alg alg, const void *buf, size_t n, char *hex);

/* mediatype.c: is mt a media type name of RFC 6838 section 4.2 (type "/" subtype, each a
 * restricted-name: a letter or digit, then at most 126 of letters, digits and !#$&-^_.+),
 * as the image spec requires of mediaType and artifactType?  Says nothing of whether the
 * type is known. */
bool oci_media_type_valid(const char *mt);
/* A URI of RFC 3986 section 3 with a scheme (scheme ":" hier-part ["?" query] ["#" fragment],
 * only the characters a URI may hold, percent-encodings whole), as descriptor urls must be. */
bool oci_uri_absolute(const char *s);

/* reference.c: do two image references name the same thing, Docker's short forms counted
 * ("alpine:3" is "docker.io/library/alpine:3")?  Does a full name end in ":tag"? */
bool oci_reference_same(const char *a, const char *b);
/* The full form ("alpine:3" -> "docker.io/library/alpine:3"), malloc'd. */
char *oci_reference_full(const char *ref);
bool oci_reference_has_tag(const char *name, const char *tag);

/* docker_archive.c: the hook resolve.c calls. */
/* index.json and a manifest.json side by side: appends to r->warnings where they disagree. */
void oci_docker_hybrid_warnings(ocidig_layout *layout, ocidig_resolution *r);

/* resolve.c: index.json read and decoded once, for resolving its entries one by one (ls and
 * verify with a platform resolve "@DIGEST" of each image: reading index.json again for each
 * made N entries cost N parses of it).  oci_entries_load returns NULL only when out of
 * memory; a layout whose index.json cannot be read or walked gives each resolution the
 * error ocidig_resolve would.  oci_resolve_entry is ocidig_resolve over the entries loaded,
 * for a layout that does not change in between, without the warnings about a manifest.json
 * beside index.json. */
typedef struct oci_entries oci_entries;
oci_entries *oci_entries_load(ocidig_layout *layout);
ocidig_code oci_resolve_entry(ocidig_layout *layout, const ocidig_resolve_options *opts, const oci_entries *entries,
                              ocidig_resolution **out, ocidig_error *err);
void oci_entries_free(oci_entries *entries);

#endif
