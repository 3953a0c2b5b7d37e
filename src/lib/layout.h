/* layout.h: the layout object shared by the directory and archive sources.
 *
 * Access model: an archive is read in one streaming pass, lazily (only as far as a
 * request needs) unless OCIDIG_OPEN_FULL_SCAN.  Small regular members are kept in
 * memory; larger ones are recorded (path, size, ordinal) and skipped (libarchive seeks
 * past them in a plain file).  Reading a large member later re-opens the archive and
 * streams it; that is impossible on stdin, unless the member is still ahead.
 * A directory is read on demand, every path opened beneath a descriptor of the root. */
#ifndef OCIDIG_LAYOUT_H
#define OCIDIG_LAYOUT_H

#include "internal.h"

struct archive;
struct archive_entry;

typedef struct oci_member {
  char *path;
  ocidig_entry_type type;
  int64_t size;
  char *link_target;
  bool escapes;   /* absolute or ".." name, or a link leaving the root */
  bool duplicate; /* an earlier member had the same name */
  bool replaced;  /* a later member with the same name replaced this one */
  size_t clobber; /* a regular file: index + 1 of the directory, link or device of its name that
                   * came after it (tar extracts that, so the file cannot be read), else 0 */
  bool kept;      /* data holds the bytes */
  bool served;    /* its bytes or its size were handed out (a lazy reader acted on this copy) */
  uint8_t *data;
  size_t ordinal; /* position in the archive */
  ocidig_hash_state hash;
  char *actual_hex; /* what the bytes hash to, when hashed (a pointer: 200,000 members fit in 64 MiB) */
} oci_member;

struct ocidig_layout {
  char *path;
  bool is_archive;
  unsigned flags;
  size_t small_cap;
  /* directory */
  int root_fd;        /* the root, opened once (O_PATH): every path is opened beneath it; -1 */
  char *root_canon;   /* its canonical path (realpath, at open), for absolute link targets; or NULL */
  bool no_openat2;    /* the kernel (or a filter) refuses openat2: every open takes the walk */
  char **list_errors; /* folders that could not be listed, entries that could not be examined */
  char **list_error_paths; /* their paths ("." the root) */
  size_t n_list_errors;
  /* archive */
  struct archive *ar;
  bool from_stdin;
  bool ar_eof;
  ocidig_error ar_error; /* a read error met while streaming: sticky */
  bool ar_failed;
  bool ambiguous; /* a member already handed out turned up again, different: ar_error says which */
  struct archive_entry *pending; /* a header read ahead (at open, or to confirm the member before it), its
                                  * data not consumed yet: the next read takes it first */
  bool last_unread; /* the last member's data was passed over unread: it is complete only once the next
                     * header is read (a size in a header is a claim until then) */
  int64_t want_declared; /* while a member streams to a sink: the size its header declares, or -1 */
  size_t next_ordinal;
  uint64_t bytes_read;
  size_t kept_bytes;
  uint64_t counted;   /* member bytes the reader produced (sparse holes included) */
  uint64_t max_bytes; /* ocidig_open_options.max_bytes: the cap on counted, 0 = none */
  /* members (archive) or the walked tree (directory, on demand) */
  oci_member *members;
  size_t n_members, cap_members;
  size_t *table; /* open addressing: member index + 1, 0 = empty */
  size_t table_cap;
  bool dir_walked;
  ocidig_entry *entries; /* the listing ocidig_layout_entries handed out (built once) */
  size_t n_entries;
  size_t entries_members; /* n_members when it was built */
  ocidig_entry **old_entries; /* earlier listings, kept valid until close */
  size_t n_old_entries;
  char **warnings;
  size_t n_warnings;
  size_t dropped_warnings;
  void (*progress)(void *, uint64_t, int64_t);
  void *progress_ctx;
  int64_t input_size;
  /* State the layers above keep per layout (the view, the graph's cache of documents walked):
   * layout.c only frees it, through the function each layer registered; it never calls up
   * otherwise.  Indexed by enum oci_layout_slot. */
  void *upper[2];
  void (*upper_free[2])(void *);
};

enum oci_layout_slot { OCI_SLOT_VIEW = 0, OCI_SLOT_GRAPH = 1 };

#define OCI_MAX_WARNINGS 200

void oci_layout_warn(ocidig_layout *l, const char *fmt, ...) OCI_PRINTF(2, 3);
/* True when the rest of an archive is headers and seeks (an uncompressed tar, cpio or ar
 * file): reading it to the end costs no layer bytes. */
bool oci_archive_rest_is_cheap(const ocidig_layout *l);
/* Member table (archive, and the directory walk). */
ocidig_code oci_member_add(ocidig_layout *l, oci_member *m, ocidig_error *err);
oci_member *oci_member_find(ocidig_layout *l, const char *path);
void oci_member_free(oci_member *m);
/* Normalizes an archive member name: strips "./" and empty components.  Returns NULL
 * (and sets *unsafe) for absolute names and ".." components. */
char *oci_member_name_clean(const char *name, bool *unsafe);
/* If path is blobs/<alg>/<hex> with a valid digest, sets *alg and returns the hex. */
const char *oci_blob_path_hex(const char *path, ocidig_digest_alg *alg);

/* Does a link at `path` (relative to the root) pointing at `target` leave the root on
 * paper?  A hard link's target is a member name; a symlink's is relative to its folder. */
bool oci_link_escapes(const char *path, const char *target, bool hardlink);
/* The path a symlink at link_path pointing at target leads to (link_path "": target
 * itself), normalized; NULL when it is absolute or empty or climbs out of the root, or
 * when out of memory (then *nomem, if given, is set). */
char *oci_link_join(const char *link_path, const char *target, bool *nomem);

/* Directory source. */
ocidig_code oci_dir_open(ocidig_layout *l, ocidig_error *err);
ocidig_code oci_dir_stat(ocidig_layout *l, const char *relpath, ocidig_entry *out, ocidig_error *err);
ocidig_code oci_dir_stream(ocidig_layout *l, const char *relpath, size_t max, ocidig_sink sink, void *ctx,
                           ocidig_error *err);
ocidig_code oci_dir_walk(ocidig_layout *l, ocidig_error *err);
void oci_dir_close(ocidig_layout *l);
struct stat;
/* Opens relpath (relative to the root; "" is the root) beneath the root, following the
 * symbolic links that stay inside it, with no window between a check and the open
 * (openat2 RESOLVE_BENEATH, else a walk one component at a time with O_NOFOLLOW).  flags:
 * open(2) flags (O_CLOEXEC is added).  Returns the descriptor, or -1 with *e: ENOENT or
 * ENOTDIR (absent), EXDEV (a symbolic link leaves the root: an absolute target, or ".."
 * above it, that does not lead back beneath the root's canonical path), ELOOP (more than
 * 40 links), or another errno (EACCES...).  Thread-safe. */
int oci_dir_openat(const ocidig_layout *l, const char *relpath, int flags, int *e);
/* Looks relpath up the same way without opening it for reading (O_PATH, one component at
 * a time).  Returns 0 (found: *st, and *canon, the path it led to relative to the root,
 * malloc'd) or the errno oci_dir_openat would give; with EXDEV or ELOOP, *link and *target
 * name the last symbolic link followed (malloc'd).  Any pointer may be NULL. */
int oci_dir_resolve(const ocidig_layout *l, const char *relpath, struct stat *st, char **canon, char **link,
                    char **target);

/* The root, in the one order every command uses: index.json / manifest.json present (else
 * missing-index-json), then oci-layout for an OCI layout.  *absent: no oci-layout; doc
 * (optional): a valid oci-layout's parsed document, which the caller frees. */
struct oci_json_doc;
ocidig_code oci_layout_check_root(ocidig_layout *l, ocidig_layout_format *format, bool *absent,
                                  struct oci_json_doc *doc, ocidig_error *err);

/* Archive source. */
ocidig_code oci_archive_open(ocidig_layout *l, ocidig_error *err);
void oci_archive_close(ocidig_layout *l);
/* Reads on until `path` has been seen (NULL: to the end).  If sink is given and the
 * member named path is met, its bytes go to sink as they stream by. */
ocidig_code oci_archive_advance(ocidig_layout *l, const char *path, ocidig_sink sink, void *ctx, bool *streamed,
                                ocidig_error *err);
/* Establishes that m's data is all there before anything is judged by the size its header
 * declares: when m is the last member read and its data was passed over unread, reads the
 * next header (kept pending, its data untouched).  A cut archive: truncated-archive. */
ocidig_code oci_archive_confirm(ocidig_layout *l, const oci_member *m, ocidig_error *err);
/* Streams a member that was passed without being kept, by re-opening the archive. */
ocidig_code oci_archive_reread(ocidig_layout *l, const oci_member *m, ocidig_sink sink, void *ctx,
                               ocidig_error *err);

#endif
