/* layout.h: the layout: a member table over a source (source/source.h), whatever the kind.
 *
 * Access model: an archive is read in one streaming pass, lazily (only as far as a
 * request needs) unless OCIDIG_OPEN_FULL_SCAN.  Small regular members are kept in
 * memory; larger ones are recorded (path, size, ordinal) and skipped (libarchive seeks
 * past them in a plain file).  Reading a large member later re-opens the archive and
 * streams it; that is impossible on stdin, unless the member is still ahead.
 * A directory is read on demand, every path opened beneath a descriptor of the root.
 *
 * The layout's rules live here (layout.c, member.c), above the source: which members are
 * kept and hashed, duplicates and replaced members, names and links that leave the root,
 * warnings, progress.  The layers above use the functions below, not the fields. */
#ifndef OCIDIG_LAYOUT_H
#define OCIDIG_LAYOUT_H

#include "internal.h"
#include "source/source.h"

/* A symbolic link member, for lookups by name (oci_layout_link_target). */
typedef struct oci_link_ref {
  const char *path; /* the member's */
  size_t index;     /* in members */
} oci_link_ref;

typedef struct oci_member {
  /* 56 bytes: an archive of 100,000 blobs has 100,000 of these */
  char *path;       /* in the layout's pool of names (l->paths), not malloc'd */
  char *link_target;
  uint8_t *data;
  char *actual_hex; /* what the bytes hash to, when hashed and not what the name says (hash OK:
                     * NULL, the name holds it; oci_member_hex) */
  int64_t size;
  /* positions fit in 32 bits: a layout has at most OCIDIG_MAX_ARCHIVE_MEMBERS members */
  uint32_t ordinal; /* position in the archive */
  uint32_t clobber; /* a regular file: index + 1 of the directory, link or device of its name that
                     * came after it (tar extracts that, so the file cannot be read), else 0 */
  uint8_t type;     /* ocidig_entry_type */
  uint8_t hash;     /* ocidig_hash_state */
  bool escapes;     /* absolute or ".." name, or a link leaving the root */
  bool duplicate;   /* an earlier member had the same name */
  bool replaced;    /* a later member with the same name replaced this one */
  bool kept;        /* data holds the bytes */
  bool served;      /* its bytes or its size were handed out (a lazy reader acted on this copy) */
  uint8_t again;    /* OCI_MEMBER_*: what a re-read pass makes of it (member.c) */
} oci_member;

/* oci_member.again: expected (named in the order the layer above will ask: oci_layout_expect),
 * handed out since the last re-read pass, to be kept by the pass under way. */
enum { OCI_MEMBER_EXPECTED = 1, OCI_MEMBER_USED = 2, OCI_MEMBER_WANT = 4 };

struct ocidig_layout {
  char *path;
  bool is_archive;
  bool from_stdin;
  unsigned flags;
  size_t small_cap;
  oci_source *src;     /* the directory or the archive: its state is its own */
  oci_source_events events; /* what the layout does with what the source meets (member.c) */
  char **list_errors;  /* a directory's folders that could not be listed, entries that could not be examined */
  char **list_error_paths; /* their paths ("." the root) */
  size_t n_list_errors;
  bool ambiguous; /* a member already handed out turned up again, different: the archive's error says which */
  size_t kept_bytes;
  /* members (archive) or the walked tree (directory, on demand) */
  oci_member *members;
  size_t n_members, cap_members;
  oci_strpool paths; /* the members' names */
  size_t *table; /* open addressing: member index + 1, 0 = empty */
  size_t table_cap;
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
  /* A re-read pass (an archive read again from its start) keeps what will be asked for next:
   * the members the layer above expects, by index in the order it will ask for them (the
   * next at expect_next), and how many members the pass under way is to keep yet. */
  uint32_t *expect;      /* UINT32_MAX: no such member (yet) */
  char **expect_pending; /* NULL, or by entry the name of one no member had yet */
  size_t n_expect, expect_next, n_pending, cap_expect; /* expect_pending: cap_expect too */
  size_t expect_again; /* where a walk made again starts (oci_layout_expect_again_here) */
  size_t refill_left, refill_until; /* and the ordinal past the last of them */
  bool refilling;
  bool in_order; /* the layer above asks for members in the archive's order (oci_layout_in_order) */
  oci_link_ref *links; /* the symbolic links that stay inside, by name and then order */
  size_t n_links, links_members; /* n_members when built */
  /* State the layers above keep per layout (the view, the graph's cache of documents walked):
   * layout.c only frees it, through the function each layer registered; it never calls up
   * otherwise.  Indexed by enum oci_layout_slot. */
  void *upper[3];
  void (*upper_free[3])(void *);
  /* A tap registered at open (oci_layout_open): asked, with upper[OCI_SLOT_TAP], for each
   * archive member's plan after the layout's own rules (verify --deep reads layers in the
   * one pass through it). */
  void (*tap_plan)(void *ctx, const char *path, int64_t declared, oci_source_plan *plan);
};

enum oci_layout_slot { OCI_SLOT_VIEW = 0, OCI_SLOT_GRAPH = 1, OCI_SLOT_TAP = 2 };

/* What an upper layer registers at open to see archive members' bytes as they pass: plan
 * (called as the layout's plan rule ends, may set plan->tap), ctx (kept in
 * upper[OCI_SLOT_TAP], freed with free_ctx when the layout closes, also when the open
 * fails). */
typedef struct oci_layout_tap {
  void (*plan)(void *ctx, const char *path, int64_t declared, oci_source_plan *plan);
  void *ctx;
  void (*free_ctx)(void *ctx);
} oci_layout_tap;

/* ocidig_layout_open with a tap (NULL: none): api.c's public open passes verify --deep's
 * for OCIDIG_OPEN_READ_LAYERS. */
ocidig_code oci_layout_open(const char *path, const ocidig_open_options *opts, const oci_layout_tap *tap,
                            ocidig_layout **out, ocidig_error *err);

#define OCI_MAX_WARNINGS 200

void oci_layout_warn(ocidig_layout *l, const char *fmt, ...) OCI_PRINTF(2, 3);
/* Frees what is kept to answer later questions fast: the graph's documents (made again on
 * demand), the small members kept in memory (read again from the source when asked for;
 * not from standard input, which keeps them).  A command that has read what it needs calls
 * it before building a large result of its own (verify's report). */
enum { OCI_RELEASE_GRAPH = 1, OCI_RELEASE_KEPT = 2 };
void oci_layout_release_caches(ocidig_layout *l, unsigned what);
/* The same for one member (a reader that has what it needs of it and will not ask again):
 * its kept bytes are freed, unless they came from standard input.  Returns how many. */
size_t oci_layout_release_member(ocidig_layout *l, const char *path);
/* Member table (member.c). */
ocidig_code oci_member_add(ocidig_layout *l, oci_member *m, ocidig_error *err);
oci_member *oci_member_find(ocidig_layout *l, const char *path);
/* What the member's bytes hash to (hex), when hashed: actual_hex, or its name's hex. */
const char *oci_member_hex(const oci_member *m);
void oci_member_free(oci_member *m);
/* Nothing more of the source is to be read for its member table: a directory (whose
 * folders that cannot be listed are notes, not errors), or an archive read to its end.
 * Reading a member can still fail; listing the members cannot. */
bool oci_layout_known_whole(const ocidig_layout *l);
/* Every entry ocidig_layout_entries lists, in its order (an archive read to its end, a
 * directory walked once; the same errors), handed to fn one at a time (valid during the
 * call) instead of built into an array: for a question that only counts them.  fn returns
 * false to stop. */
ocidig_code oci_layout_each_entry(ocidig_layout *l, bool (*fn)(void *ctx, const ocidig_entry *e), void *ctx,
                                  ocidig_error *err);
/* A regular file that a later directory, link or device of its name replaces (tar extracts
 * that): reading it is corrupt-archive.  Returns that error. */
ocidig_code oci_member_clobbered(ocidig_layout *l, const oci_member *m, ocidig_error *err);
/* A member handed out (its bytes or its size): served, and used since the last re-read pass. */
void oci_member_handed_out(ocidig_layout *l, oci_member *m);
/* Before a re-read of `want` (a source whose reread passes over what comes before it, read
 * to its end or broken; else nothing is kept by the pass): which members the pass keeps, within OCIDIG_MAX_KEPT_BYTES: those handed out since the
 * last pass that the layer above did not announce (a shared config), a quarter of the
 * budget at most; then the members expected next, in order; then (nothing expected left)
 * any small member not yet handed out.  Kept bytes of any other member are dropped first.
 * oci_member_refill_end: after the pass. */
void oci_member_refill_plan(ocidig_layout *l, oci_member *want);
void oci_member_refill_end(ocidig_layout *l);
/* The events the layout passes to its source (member.c). */
void oci_layout_source_events(const ocidig_layout *l, oci_source_events *ev);
/* If path is blobs/<alg>/<hex> with a valid digest, sets *alg and returns the hex. */
const char *oci_blob_path_hex(const char *path, ocidig_digest_alg *alg);

/* What the layers above ask of a layout beyond the public API (ocidig.h).  None of them
 * reads anything it was not asked to. */
/* The path given at open ("-": standard input). */
const char *oci_layout_path(const ocidig_layout *l);
/* The member table already holds a regular file named path (an archive read so far, or a
 * directory walked); reads nothing. */
bool oci_layout_member_known(ocidig_layout *l, const char *path);
/* An archive not read to its end (nor broken), in which path has not turned up yet: a
 * request for it would stream it as it passes. */
bool oci_layout_member_ahead(ocidig_layout *l, const char *path);
/* While a member streams to a sink (ocidig_layout_stream_file of a member met on the way):
 * the size its header declares, else -1. */
int64_t oci_layout_streaming_size(const ocidig_layout *l);
/* An archive's member path, if it is the last one read and its data was passed over, is
 * complete only once the next header is read: reads it (a cut archive: truncated-archive).
 * Anything else: OK. */
ocidig_code oci_layout_confirm(ocidig_layout *l, const char *path, ocidig_error *err);
/* True when the rest of an archive is headers and seeks (an uncompressed tar, cpio or ar
 * file): reading it to the end costs no layer bytes. */
bool oci_layout_rest_is_cheap(const ocidig_layout *l);
/* The members the layer above will ask for next, in that order (path_at(ctx, i): the i-th
 * path, NULL to leave it out; valid until the next call): a re-read pass of an archive
 * that is read again from its start keeps the next of them (oci_member_refill_plan), so
 * that documents asked for in an order other than the archive's cost a pass for every few
 * megabytes of them, not one each.  Replaces what was expected before.  Reads nothing;
 * does nothing unless such an archive is the source (a directory, an uncompressed tar file
 * and standard input keep nothing for it); out of memory: nothing expected. */
void oci_layout_expect(ocidig_layout *l, size_t n, const char *(*path_at)(void *ctx, size_t i), void *ctx);
/* The layer above asks for members in the archive's order from now on (on) or no longer:
 * a re-read then keeps nothing for later, and a reader that went on forward serves the next
 * request (verify --deep's layers: one forward pass). */
void oci_layout_in_order(ocidig_layout *l, bool on);
/* The same, appended to what is expected (a member may be named more than once: asked for
 * again later); at most OCI_MAX_EXPECTED entries in all (past that, nothing more). */
#define OCI_MAX_EXPECTED (4 * (size_t)OCIDIG_MAX_ARCHIVE_MEMBERS)
void oci_layout_expect_more(ocidig_layout *l, size_t n, const char *(*path_at)(void *ctx, size_t i), void *ctx);
/* Whether a request may cost a pass over an archive read again from its start (a small
 * member the first read did not keep, or an archive not read to its end yet): the layer
 * above then announces what it will ask for (oci_layout_expect), else it need not. */
bool oci_layout_rereads(ocidig_layout *l);
/* What is expected from here on (the next entry appended) is what a walk made again asks
 * for (ls lists twice): past the last entry, the next is this one, not the first. */
void oci_layout_expect_again_here(ocidig_layout *l);
/* A member already handed out turned up again, different (the archive's error says so). */
bool oci_layout_ambiguous(const ocidig_layout *l);
/* The target of the last symbolic-link member named path that stays inside the root (an
 * archive; a directory's links are followed by the file system), or NULL. */
const char *oci_layout_link_target(ocidig_layout *l, const char *path);
/* The listing of ocidig_layout_entries one entry at a time, without making its array (176
 * bytes a member, kept until close): fn(ctx, entry) for each, in the same order; the entry
 * is valid during the call.  Errors: ocidig_layout_entries'. */
typedef void (*oci_entry_fn)(void *ctx, const ocidig_entry *e);
ocidig_code oci_layout_entries_each(ocidig_layout *l, oci_entry_fn fn, void *ctx, ocidig_error *err);
/* A directory's folders that could not be listed, or whose entries could not be examined,
 * as ocidig_layout_entries found them: messages and paths ("." the root). */
size_t oci_layout_list_errors(const ocidig_layout *l, const char *const **messages, const char *const **paths);
/* A directory: opens a regular file inside the root for reading, race-free: the descriptor,
 * or -1 with *e (an errno; -1: not a regular file, or reached through a symbolic link that
 * leaves the root).  An archive: -1, *e ENOTSUP.  Thread-safe: for a pool of threads. */
int oci_layout_open_member(const ocidig_layout *l, const char *path, int *e);
/* A directory: looks path up as opening it would (source.h, resolve).  An archive: ENOTSUP.
 * Thread-safe. */
struct stat;
int oci_layout_resolve(const ocidig_layout *l, const char *path, struct stat *st, char **canon, char **link,
                       char **target);

/* root.c (above the layout: it reads it through the functions here).
 * The root, in the one order every command uses: index.json / manifest.json present (else
 * missing-index-json), then oci-layout for an OCI layout.  *absent: no oci-layout; doc
 * (optional): a valid oci-layout's parsed document, which the caller frees. */
struct oci_json_doc;
ocidig_code oci_layout_check_root(ocidig_layout *l, ocidig_layout_format *format, bool *absent,
                                  struct oci_json_doc *doc, ocidig_error *err);

#endif
