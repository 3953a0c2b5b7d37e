/* layer.h: what is inside one layer blob (issue 14), read as a stream.
 *
 * Push in, entries out: the blob's bytes are fed to a reader (oci_layer_reader_feed is an
 * ocidig_sink, so oci_view_blob_stream, or verify's one pass over an archive, can drive it),
 * which
 *   - decodes them: none (a .tar layer, docker save's layer.tar), gzip (inflate.c: ISA-L or
 *     zlib), zstd (libzstd), each to its end, saying whether the stream ended exactly,
 *     was cut short, was corrupt, or had data after its last gzip member / zstd frame;
 *   - hashes the decoded bytes (the diff_id) and, when asked, the blob's own bytes;
 *   - parses the decoded tar with libarchive (format tar only, no filter: it reads the
 *     decoded bytes through a read callback), headers only unless a consumer streams an
 *     entry's data, and says whether the tar is valid to its end-of-archive marker;
 *   - calls entry() for every tar entry, in order.
 * Decoding runs on the caller's thread; the tar parse and the diff_id's hash on a worker
 * thread, fed through a bounded queue (four buffers of 512 KiB): memory is bounded
 * whatever the layer's size, and a push sink can feed a pull parser.
 *
 * Callbacks run on the worker thread: they must not call into the layout, view or graph
 * (collect what they need; the caller's thread is blocked in feed/finish meanwhile or
 * decoding the next bytes).  No global state; one reader per layer, fed by one thread. */
#ifndef OCIDIG_LAYER_H
#define OCIDIG_LAYER_H

#include "internal.h"

#include <stdint.h>

struct oci_view;

typedef enum oci_layer_compression {
  OCI_LAYER_NONE,
  OCI_LAYER_GZIP,
  OCI_LAYER_ZSTD,
  OCI_LAYER_UNKNOWN /* not a layer tar this reader knows (in-toto JSON, encrypted, ...) */
} oci_layer_compression;

/* The compression of a layer media type: OCI's layer.v1.tar[+gzip|+zstd] (and their
 * nondistributable forms), Docker's rootfs.diff.tar[.gzip] and rootfs.foreign.diff.tar.gzip
 * (NONE for docker save's rootfs.diff.tar, whose files are uncompressed); UNKNOWN for
 * anything else (NULL too). */
oci_layer_compression oci_layer_compression_of(const char *media_type);
const char *oci_layer_compression_name(oci_layer_compression c); /* "none", "gzip", "zstd", "unknown" */

/* One tar entry, as the header says it (valid during the entry() call only). */
typedef struct oci_layer_entry {
  const char *path;     /* cleaned: no leading "./" or "/", no empty or "." components, no
                           trailing "/"; "" is the root.  bad_name: the raw name */
  const char *raw_name; /* as in the header (for hazard messages) */
  char type;            /* 'f' file, 'd' dir, 'l' symlink, 'h' hard link, 'c' 'b' devices, 'p' fifo, '?' other */
  uint32_t mode;        /* permission bits incl. setuid/setgid/sticky (07777) */
  int64_t uid, gid, size, mtime;
  const char *link; /* symlink target as written, or hard link target (cleaned as path), else NULL */
  uint32_t devmajor, devminor;
  bool bad_name; /* absolute, or a ".." component (path then is the raw name) */
  bool bad_link; /* a hard link whose target is absolute or has a ".." component (link: the raw target) */
  uint64_t index; /* 0 for the first entry */
} oci_layer_entry;

typedef struct oci_layer_reader oci_layer_reader;

typedef struct oci_layer_callbacks {
  /* Every tar entry in order (whiteouts are ordinary entries here: classify them with
   * oci_layer_whiteout_of).  Inside it the consumer may stream the entry's data
   * (oci_layer_entry_stream) and may end the read (oci_layer_stop).  A code other than
   * OCIDIG_OK ends the read with that error (feed or finish returns it).  May be NULL. */
  ocidig_code (*entry)(void *ctx, oci_layer_reader *r, const oci_layer_entry *e, ocidig_error *err);
} oci_layer_callbacks;

/* A reader of one layer of compression c (UNKNOWN: usage error).  cb and ctx are kept.
 * NULL when out of memory (err says so). */
oci_layer_reader *oci_layer_reader_new(oci_layer_compression c, const oci_layer_callbacks *cb, void *ctx,
                                       ocidig_error *err);
/* Also hash the bytes fed (the blob's digest) in algorithm alg.  Before the first feed. */
void oci_layer_reader_hash_input(oci_layer_reader *r, ocidig_digest_alg alg);
/* The uncompressed digest's algorithm (default sha256: diff_ids are sha256 in practice; a
 * config whose diff_id is sha512 asks for it).  Before the first feed.  An uncompressed
 * layer (NONE) whose input is hashed in the same algorithm is hashed once: its diff_id is
 * its input's digest. */
void oci_layer_reader_diff_alg(oci_layer_reader *r, ocidig_digest_alg alg);
/* An uncompressed layer (NONE) whose bytes the caller hashes already, in the diff_id's
 * algorithm: the reader does not hash them again; the result's diff_id is left empty (its
 * alg set, hex ""), for the caller to fill.  Before the first feed; ignored for other
 * compressions. */
void oci_layer_reader_diff_given(oci_layer_reader *r);
/* Stop decoding once more than max bytes have been decoded (0: no bound): the read is
 * then incomplete (oci_layer_reader_capped), its result not the layer's. */
void oci_layer_reader_limit_output(oci_layer_reader *r, uint64_t max);
bool oci_layer_reader_capped(const oci_layer_reader *r);

/* An ocidig_sink (ctx: the reader): the blob's next bytes.  Errors: out of memory, and a
 * callback's error.  A decoding or tar problem is no error here: it is in the result. */
ocidig_code oci_layer_reader_feed(void *r, const void *buf, size_t len, ocidig_error *err);

/* Inside entry(): streams the current entry's data to sink (a regular file's bytes; nothing
 * for other types).  A tar problem inside the data is the read's (the result says it) and
 * returns OCIDIG_ERR_CORRUPT_ARCHIVE or OCIDIG_ERR_TRUNCATED_ARCHIVE here; the sink's
 * error is returned as it is. */
ocidig_code oci_layer_entry_stream(oci_layer_reader *r, ocidig_sink sink, void *ctx, ocidig_error *err);
/* Inside entry(): end the read after this entry (no error; the result says stopped, and has
 * no digests).  Later feeds return at once. */
void oci_layer_stop(oci_layer_reader *r);

typedef enum oci_layer_decode_status {
  OCI_LAYER_DECODE_END,       /* the stream decoded to its end, nothing after it */
  OCI_LAYER_DECODE_TRAILING,  /* complete, then data that begins no gzip member / zstd frame */
  OCI_LAYER_DECODE_TRUNCATED, /* the input ended inside a member / frame (or was empty) */
  OCI_LAYER_DECODE_CORRUPT    /* not that compression, bad data, a checksum that does not match */
} oci_layer_decode_status;

typedef enum oci_layer_tar_status {
  OCI_LAYER_TAR_END,       /* valid to its end-of-archive marker (a zero block) */
  OCI_LAYER_TAR_NO_MARKER, /* every entry whole, but the stream ended without the marker */
  OCI_LAYER_TAR_TRUNCATED, /* the stream ended inside a header or an entry's data */
  OCI_LAYER_TAR_CORRUPT,   /* not a tar, a bad header (checksum, fields) */
  OCI_LAYER_TAR_NOT_READ   /* stopped by a consumer before its end */
} oci_layer_tar_status;

typedef struct oci_layer_result {
  oci_layer_decode_status decode;
  char decode_message[256]; /* why, for anything but END */
  uint64_t input_bytes;     /* bytes fed */
  uint64_t decoded_end;     /* input bytes that decoded (TRAILING: where the trailing data begins) */
  oci_layer_tar_status tar;
  char tar_message[256];   /* why, for anything but END */
  uint64_t tar_end;        /* uncompressed offset just after the end-of-archive marker (END) */
  uint64_t output_bytes;   /* uncompressed bytes (the diff_id's) */
  uint64_t entries;        /* tar entries read */
  bool limited;            /* decode CORRUPT only because of ocidig's memory bound (a zstd frame whose
                              window is over 128 MiB, as zstd(1) refuses without --long): the
                              stream may be valid, it was not read */
  bool stopped;            /* a consumer ended the read (oci_layer_stop): no digests */
  bool have_digests;       /* the digests below are of the whole stream */
  ocidig_digest diff_id;   /* of the uncompressed bytes */
  ocidig_digest input;     /* of the bytes fed, with oci_layer_reader_hash_input */
} oci_layer_result;

/* The input has ended: finishes decoding and the tar parse, joins the worker, fills *res.
 * Errors: out of memory, a callback's error (then *res is still filled as far as known).
 * Once per reader. */
ocidig_code oci_layer_reader_finish(oci_layer_reader *r, oci_layer_result *res, ocidig_error *err);
/* Frees the reader (stopping its worker if finish was not called). */
void oci_layer_reader_free(oci_layer_reader *r);

/* A whiteout's name (OCI image-spec layer.md, "Whiteouts"): ".wh..wh..opq" as the last
 * component makes *opaque true and *target the directory (a path "" for the root); ".wh.NAME"
 * makes *target the path with the prefix removed ("a/b/.wh.c" -> "a/b/c").  Not a whiteout:
 * false.  *target is malloc'd (NULL when out of memory: then false and *target NULL, *opaque
 * false; callers that must know use oci_layer_is_whiteout first). */
bool oci_layer_whiteout_of(const char *path, char **target, bool *opaque);
/* Does the last component of path begin with ".wh."? */
bool oci_layer_is_whiteout(const char *path);

/* Convenience over the view: streams blob d (of media type mt, size `size` or -1) through a
 * reader of its compression, checking the blob's size and digest too: *res as
 * oci_layer_reader_finish fills it, plus *blob_ok (the bytes are the blob's: size and digest
 * match).  Errors: the view's (blob-missing, io-error, ...), unsupported media type (usage),
 * out of memory, a callback's. */
ocidig_code oci_layer_read(struct oci_view *v, const ocidig_digest *d, const char *mt, int64_t size,
                           const oci_layer_callbacks *cb, void *ctx, oci_layer_result *res, bool *blob_ok,
                           ocidig_error *err);

#endif
