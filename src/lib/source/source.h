/* source.h: where a layout's bytes come from (a directory, or an archive libarchive reads),
 * behind one table of operations per kind, as libarchive gives each format a table.
 *
 * A source knows bytes and names, nothing of OCI: it finds, lists and streams members, and
 * resolves links inside its root.  The rules about members (duplicates, replaced members,
 * what is kept in memory, which members are hashed, warnings about links and devices) are
 * the layer above's (layout.c): a source reports what it meets through the events the
 * layer above passes in at open, and through its return values.  A source never calls up
 * otherwise, and nothing above it sees its state: only the operations below.
 *
 * Directory: every path is opened beneath a descriptor of the root, race-free (openat2
 * RESOLVE_BENEATH where the kernel has it, else a walk with O_NOFOLLOW); links that stay
 * inside the root are followed.  Looked up by name: stat, stream, open, resolve.
 * Archive: read in one streaming pass, as far as a request needs; members are reported in
 * stream order (scan), the layer above keeps the table and asks for a member passed over
 * again (reread: the archive re-opened, impossible on standard input).
 *
 * Not thread-safe, except `open` and `resolve` (a directory: no shared state). */
#ifndef OCIDIG_SOURCE_H
#define OCIDIG_SOURCE_H

#include "internal.h"

struct stat;
typedef struct oci_source oci_source;

/* A member as the source met it.  Strings and data are malloc'd; the `member` event takes
 * them over. */
typedef struct oci_source_member {
  char *path;       /* the cleaned name; the raw name (or "") when bad_name */
  ocidig_entry_type type;
  int64_t size;     /* a file's size; a directory's symlink: its target's, if a file inside */
  char *link_target;
  bool escapes;     /* a bad name, or a link that leaves the root */
  bool bad_name;    /* an absolute name, a ".." component, or longer than OCIDIG_MAX_PATH_LENGTH */
  bool served;      /* its bytes went to the caller's sink as they passed */
  uint8_t *data;    /* its bytes (size of them) when the plan kept them, else NULL */
  char *actual_hex; /* what its bytes hash to, when the plan hashed them, else NULL */
  size_t ordinal;   /* its position in the stream (0, 1, ...); a directory: in the walk */
} oci_source_member;

/* What to do with a regular member's data as it passes (an archive). */
typedef struct oci_source_plan {
  bool keep;       /* keep its bytes (data), as long as they stay within keep_max */
  size_t keep_max;
  bool hash;       /* hash them (actual_hex) with alg */
  ocidig_digest_alg alg;
  /* A tap (optional): the member's bytes go to tap as they pass, as to the hasher.  The
   * tap's error is its own: it is detached, the member read on.  tap_end is called once
   * when the member's data has ended or could not be read: whole when every byte went to
   * the tap (size of them); hex: what they hash to (hash, in alg), else NULL.  Its failure
   * never breaks the stream. */
  ocidig_sink tap;
  void *tap_ctx;
  void (*tap_end)(void *tap_ctx, bool whole, uint64_t size, const char *hex);
} oci_source_plan;

/* What a source reports, to the layer that opened it (ctx: that layer's). */
typedef struct oci_source_events {
  /* A warning (a link leaving the root, a file that is not a regular one, ...), formatted. */
  void (*warn)(void *ctx, const char *message);
  /* An archive's regular member is about to be read: *plan (zeroed) says what to do. */
  void (*plan)(void *ctx, const char *path, int64_t declared, oci_source_plan *plan);
  /* A member met (in stream order; a directory: in the walk).  Takes m's strings and data,
   * also when it fails; its error stops the scan (an archive: for good). */
  ocidig_code (*member)(void *ctx, oci_source_member *m, ocidig_error *err);
  /* A directory's folder (path, "." the root) that could not be listed, or some of whose
   * entries could not be examined: message says which. */
  void (*unlisted)(void *ctx, const char *path, const char *message);
  /* Bytes of the input read so far (an archive): NULL for none. */
  void (*progress)(void *ctx, uint64_t bytes_read);
  /* A re-read pass (reread on an archive that is read again from its start) meets member
   * `ordinal` again (path: its cleaned name; declared: its size, -1 for what is not a
   * regular file): OCI_AGAIN_KEEP its bytes (then `refill` takes them), OCI_AGAIN_PASS it,
   * or, once the member asked for has been met, OCI_AGAIN_STOP the pass there.  NULL:
   * every member passed, the pass stops at the member asked for. */
  int (*again)(void *ctx, size_t ordinal, const char *path, int64_t declared);
  /* The bytes of a member `again` said to keep, read whole (data malloc'd, taken over). */
  void (*refill)(void *ctx, size_t ordinal, uint8_t *data, size_t len);
} oci_source_events;

enum { OCI_AGAIN_PASS = 0, OCI_AGAIN_KEEP = 1, OCI_AGAIN_STOP = 2 };

typedef struct oci_source_options {
  const char *path;   /* the directory or the archive file */
  bool from_stdin;    /* an archive on standard input (path "-") */
  uint64_t max_bytes; /* an archive: the cap on member bytes read in one pass, 0 = none */
} oci_source_options;

/* The operations of a kind of source.  An operation a kind lacks is NULL. */
typedef struct oci_source_ops {
  const char *kind; /* "directory", "archive" */
  /* By name (a directory).  stat and stream: a regular file inside the root; absent, not a
   * regular file, or reached through a link that leaves the root: OCIDIG_ERR_BLOB_MISSING
   * (with a warning for the latter two).  stream: at most max bytes (else json-too-large). */
  ocidig_code (*stat)(oci_source *s, const char *path, ocidig_entry *out, ocidig_error *err);
  ocidig_code (*stream)(oci_source *s, const char *path, size_t max, ocidig_sink sink, void *ctx,
                        ocidig_error *err);
  /* Opens path for reading if it is a regular file inside the root: the descriptor, or -1
   * with *e: an errno, or -1 (not a regular file, or reached through a link that leaves the
   * root).  Thread-safe. */
  int (*open)(const oci_source *s, const char *path, int *e);
  /* Looks path up without opening it (O_PATH, one component at a time).  Returns 0 (found:
   * *st, and *canon, the path it led to relative to the root, malloc'd) or an errno: ENOENT
   * or ENOTDIR (absent), EXDEV (a symbolic link leaves the root), ELOOP; with EXDEV or
   * ELOOP, *link and *target name the last symbolic link followed (malloc'd).  Any pointer
   * may be NULL.  Thread-safe. */
  int (*resolve)(const oci_source *s, const char *path, struct stat *st, char **canon, char **link,
                 char **target);
  /* Reports members (the member event) until `want` has been met, or to the end (NULL).  If
   * sink is given and the member named want is met, its bytes go to sink as they stream by
   * (*streamed: they all did).  A directory walks its tree once (want ignored).  An error
   * that breaks the stream is sticky: every later scan and confirm returns it. */
  ocidig_code (*scan)(oci_source *s, const char *want, ocidig_sink sink, void *ctx, bool *streamed,
                      ocidig_error *err);
  bool (*at_end)(const oci_source *s); /* every member reported */
  bool (*failed)(const oci_source *s); /* the stream broke (the sticky error) */
  /* One pass (an archive).  confirm: the member at `ordinal`, if it is the last one met and
   * its data was passed over unread, is complete only once the next header is read: read
   * it (a cut archive: truncated-archive).  reread: streams a member passed over, by
   * opening the archive again (size: as it was met; on its way, and past the member while
 * the `again` event asks, the members that event says to keep go to `refill`).  rest_is_cheap: the rest is headers
   * and seeks (an uncompressed tar, cpio or ar file).  streaming_size: while a member goes
   * to a scan's sink, the size its header declares, else -1. */
  ocidig_code (*confirm)(oci_source *s, size_t ordinal, ocidig_error *err);
  ocidig_code (*reread)(oci_source *s, const char *path, size_t ordinal, int64_t size, ocidig_sink sink,
                        void *ctx, ocidig_error *err);
  bool (*rest_is_cheap)(const oci_source *s);
  /* reread reaches a member passed over only by reading what comes before it again (a
   * compressed stream, a format that compresses its members): not standard input (which
   * cannot be re-read at all), not an uncompressed tar file (read from the member's header). */
  bool (*reread_passes)(const oci_source *s);
  int64_t (*streaming_size)(const oci_source *s);
  uint64_t (*bytes_read)(const oci_source *s); /* input bytes read, as last reported */
  void (*close)(oci_source *s);                /* frees s */
} oci_source_ops;

/* Every kind's state begins with this. */
struct oci_source {
  const oci_source_ops *ops;
  const oci_source_events *ev;
  void *ctx;
};

/* The kinds.  On success *out is the source (closed with (*out)->ops->close). */
ocidig_code oci_source_dir_open(const oci_source_options *o, const oci_source_events *ev, void *ctx,
                                oci_source **out, ocidig_error *err);
ocidig_code oci_source_archive_open(const oci_source_options *o, const oci_source_events *ev, void *ctx,
                                    oci_source **out, ocidig_error *err);

/* source.c: what the sources share. */
/* Formats a warning and reports it (the warn event). */
void oci_source_warn(oci_source *s, const char *fmt, ...) OCI_PRINTF(2, 3);
/* Normalizes a member name: strips "./" and empty components.  Returns NULL (and sets
 * *unsafe) for absolute names, ".." components, empty names and names longer than
 * OCIDIG_MAX_PATH_LENGTH. */
char *oci_member_name_clean(const char *name, bool *unsafe);
/* Does a link at `path` (relative to the root) pointing at `target` leave the root on
 * paper?  A hard link's target is a member name; a symlink's is relative to its folder. */
bool oci_link_escapes(const char *path, const char *target, bool hardlink);
/* The path a symlink at link_path pointing at target leads to (link_path "": target
 * itself), normalized; NULL when it is absolute or empty or climbs out of the root, or
 * when out of memory (then *nomem, if given, is set). */
char *oci_link_join(const char *link_path, const char *target, bool *nomem);

#endif
