/* ocidig.h: public API of libocidig, an offline inspector for OCI image layouts.
 *
 * Conventions:
 *  - Every fallible function returns an ocidig_code (OCIDIG_OK is 0) and, when
 *    given a non-NULL ocidig_error, fills it with the same code and a message that
 *    names the file or digest at fault.
 *  - The library never prints, never exits and keeps no global state.  The host
 *    platform is always an explicit argument.
 *  - Strings in structs are owned by the struct; a NULL string means "".
 *  - Pointer arguments.  `err` is always optional.  An options pointer (ocidig_open_options,
 *    ocidig_resolve_options, ocidig_verify_options, ocidig_list_options) may be NULL: the
 *    defaults, as a zeroed struct gives them.  A `host` platform may be NULL: linux/amd64.
 *    Other arguments said to be optional below may be NULL too.  Any other pointer is
 *    required: a function returning ocidig_code that is given NULL for it returns
 *    OCIDIG_ERR_USAGE ("ocidig_resolve: out is NULL") and, where it has an `out`, sets *out
 *    to NULL first when out itself is given.  The _free and _clear functions accept NULL;
 *    the others return a neutral value for a NULL object (false, 0, NULL; see each).
 *
 * Ownership (who frees what, and what stays valid until when):
 *  - Handles: ocidig_layout (ocidig_layout_open .. ocidig_layout_close) and ocidig_matcher
 *    (ocidig_matcher_new .. ocidig_matcher_free) are opaque; the caller frees each once.
 *  - Results: ocidig_resolution, ocidig_listing, ocidig_verify_report, ocidig_image and
 *    ocidig_docker_archive are allocated by the function that returns them and freed by the
 *    caller with their own _free (ocidig_resolution_free, ...; ocidig_related_free for the
 *    array of ocidig_find_related).  Every string and array they hold is theirs (freed with
 *    them; the few said to be "static" are constants).  Nothing in a result points into the
 *    layout, the matcher, the options or another result: a result stays valid after
 *    ocidig_layout_close and ocidig_matcher_free, and ocidig_image_load's image after its
 *    resolution is freed.
 *  - Value structs the caller provides (ocidig_platform, ocidig_descriptor,
 *    ocidig_image_config): a function filling one gives it strings the caller releases with
 *    ocidig_platform_clear, ocidig_descriptor_clear, ocidig_image_config_clear.
 *    ocidig_error and ocidig_digest hold no pointers.
 *  - Borrowed from a handle, not freed by the caller: ocidig_layout_entries' array (valid
 *    until ocidig_layout_close), ocidig_layout_warnings' array (until the next call that
 *    reads the layout), ocidig_matcher_accepts' and ocidig_matcher_request's platforms
 *    (until ocidig_matcher_free).  Names returned as const char * (ocidig_code_name,
 *    ocidig_verdict_name, ocidig_media_type_short, ...) are static.
 *  - Text: ocidig_*_to_json, ocidig_platform_format and ocidig_json_utf8 return malloc'd
 *    strings the caller frees with free(); ocidig_layout_read_file and ocidig_layout_read_blob
 *    a malloc'd buffer, likewise.
 *  - Options structs are read during the call only, with one exception: the progress
 *    callback and progress_ctx of ocidig_open_options are kept by the layout, which calls
 *    them while later calls read it, so progress_ctx must stay valid until
 *    ocidig_layout_close.  Arguments (paths, refs, hosts) are copied where they are kept.
 *
 * Threads (the library keeps no global state, so different handles are independent):
 *  - ocidig_layout: one thread at a time.  Every function taking a layout, the const ones
 *    included (its reads fill caches, an archive advances), must not run concurrently with
 *    another on the same layout; two layouts can be used from two threads at once, even
 *    over the same path.  ocidig_verify hashes a directory's blobs on threads of its own
 *    and joins them before it returns.
 *  - ocidig_matcher: immutable after ocidig_matcher_new; share it between threads and
 *    layouts freely (match, less, sort, accepts, request), and free it once after every
 *    call using it has returned.
 *  - Results and value structs: plain data; read them from any number of threads; free
 *    once, when no thread reads them.
 *  - Callbacks (progress, an ocidig_sink) run on the thread that made the call, never on
 *    the library's own threads, and only during calls on the layout they were given to.
 *
 * Options structs (ocidig_open_options, ocidig_resolve_options, ocidig_list_options,
 * ocidig_verify_options) grow by appending fields.  The rule: a zeroed struct is the
 * defaults, and stays so (each field added later means, at zero, what the library did
 * before it existed), so `ocidig_resolve_options o = {0}` or designated initializers
 * (`{.matcher = m}`) keep working; ocidig_<noun>_options_init() sets the same defaults, for
 * callers that prefer a call.  There is no size or version field: a program is rebuilt
 * against the header of the library it runs with (the soname changes when a public struct
 * does).  Result structs are allocated by the library and grow by appending fields too;
 * their arrays can be read through accessors (ocidig_resolution_row, ...) that do not
 * depend on the element's size.
 *
 * Names: public functions are ocidig_<noun>_<verb> (ocidig_layout_open,
 * ocidig_matcher_free); those that are not are listed at the end of this header.
 */
#ifndef OCIDIG_H
#define OCIDIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ limits */

#define OCIDIG_MAX_INDEX_NESTING     64                  /* nested index levels below index.json */
#define OCIDIG_MAX_JSON_SIZE         (4u * 1024 * 1024)  /* index, manifest, config documents */
#define OCIDIG_MAX_JSON_DEPTH        64                  /* nesting of arrays/objects in one document */
#define OCIDIG_MAX_JSON_MEMORY       (16u * 1024 * 1024) /* json-c's tree of one document, estimated */
#define OCIDIG_MAX_INDEX_DESCRIPTORS 1000000             /* children of one index (kept compact: ~300 B each) */
#define OCIDIG_MAX_ARCHIVE_MEMBERS   200000              /* members of one archive */
#define OCIDIG_MAX_KEPT_BYTES        (8u * 1024 * 1024)  /* small members kept in memory, in total */
/* No limit on how many member bytes an archive's input expands to: members are streamed,
 * never written, so compressible ones (zeros, repeated text, sparse files) cost time, not
 * memory.  A caller that wants a bound sets ocidig_open_options.max_bytes. */
#define OCIDIG_DEFAULT_SMALL_CAP     (4u * 1024 * 1024)  /* members up to this size are kept */
#define OCIDIG_MAX_DIGEST_LENGTH     (7 + 128)           /* "sha512:" + 128 hex */
#define OCIDIG_MAX_PATH_LENGTH       4096                /* a member name or a path in the layout */
#define OCIDIG_MAX_WALK_ROWS         10000               /* descriptors one resolve walk reports */
#define OCIDIG_MAX_WARNINGS          100                 /* warnings one report keeps (then a count) */

/* ------------------------------------------------------------------ errors */

typedef enum ocidig_code {
  OCIDIG_OK = 0,
  OCIDIG_ERR_NOMEM,                        /* out-of-memory */
  OCIDIG_ERR_USAGE,                        /* usage: a bad argument */
  OCIDIG_ERR_INVALID_PLATFORM,             /* invalid-platform: a platform specifier that does not parse */
  OCIDIG_ERR_REF_NOT_FOUND,                /* ref-not-found */
  OCIDIG_ERR_REF_AMBIGUOUS,                /* ref-ambiguous */
  OCIDIG_ERR_NOT_FOUND,                    /* not-found: the source path does not exist */
  OCIDIG_ERR_IO,                           /* io-error: reading failed */
  OCIDIG_ERR_NOT_A_LAYOUT,                 /* not-a-layout: neither a layout directory nor an archive */
  OCIDIG_ERR_BAD_OCI_LAYOUT,               /* bad-oci-layout: oci-layout invalid or another version */
  OCIDIG_ERR_MISSING_INDEX_JSON,           /* missing-index-json */
  OCIDIG_ERR_TRUNCATED_ARCHIVE,            /* truncated-archive */
  OCIDIG_ERR_CORRUPT_ARCHIVE,              /* corrupt-archive: decompression or format error */
  OCIDIG_ERR_LIMIT,                        /* limit-exceeded: a hard limit of this file was reached */
  OCIDIG_ERR_NOT_REREADABLE,               /* not-rereadable: a member of a stream that was passed */
  OCIDIG_ERR_BLOB_MISSING,                 /* blob-missing */
  OCIDIG_ERR_INVALID_DIGEST,               /* invalid-digest */
  OCIDIG_ERR_UNSUPPORTED_DIGEST_ALGORITHM, /* unsupported-digest-algorithm */
  OCIDIG_ERR_SIZE_MISMATCH,                /* size-mismatch */
  OCIDIG_ERR_DIGEST_MISMATCH,              /* digest-mismatch */
  OCIDIG_ERR_INVALID_JSON,                 /* invalid-json */
  OCIDIG_ERR_KIND_MISMATCH,                /* kind-mismatch */
  OCIDIG_ERR_NESTING_TOO_DEEP,             /* nesting-too-deep */
  OCIDIG_ERR_INDEX_CYCLE,                  /* index-cycle */
  OCIDIG_ERR_JSON_TOO_LARGE,               /* json-too-large */
  OCIDIG_ERR_OUTPUT,                       /* output-error: a caller's sink could not write (exit 5) */
  OCIDIG_CODE_COUNT_
} ocidig_code;

#define OCIDIG_ERROR_MESSAGE_MAX 1024

/* A value (no pointers), provided by the caller; optional in every call. */
typedef struct ocidig_error {
  ocidig_code code;
  char message[OCIDIG_ERROR_MESSAGE_MAX];
} ocidig_error;

/* The stable kebab-case name of a code ("digest-mismatch", ...). */
const char *ocidig_code_name(ocidig_code code);
/* The exit status the CLI uses for a code (doc/resolution.md §6): 2 usage, 3 unreadable, 4 integrity;
 * 5 for OCIDIG_ERR_OUTPUT (the output could not be written). */
int ocidig_code_exit_status(ocidig_code code);
const char *ocidig_version(void);

/* ---------------------------------------------------------------- platforms */

/* A value: its strings are its own (ocidig_platform_clear); plain data for threads. */
typedef struct ocidig_platform {
  char *os;
  char *architecture;
  char *variant;
  char *os_version;
  char **os_features;
  size_t n_os_features;
} ocidig_platform;

/* Which of the five OCI keys a raw platform object carried (for reports). */
enum {
  OCIDIG_PLATFORM_KEY_OS = 1u << 0,
  OCIDIG_PLATFORM_KEY_ARCHITECTURE = 1u << 1,
  OCIDIG_PLATFORM_KEY_VARIANT = 1u << 2,
  OCIDIG_PLATFORM_KEY_OS_VERSION = 1u << 3,
  OCIDIG_PLATFORM_KEY_OS_FEATURES = 1u << 4,
};

void ocidig_platform_clear(ocidig_platform *p);
ocidig_code ocidig_platform_copy(ocidig_platform *dst, const ocidig_platform *src, ocidig_error *err);
/* NULL equals only NULL. */
bool ocidig_platform_equal(const ocidig_platform *a, const ocidig_platform *b);

/* containerd platforms.Parse (newest): "os", "arch", "os/arch", "os/arch/variant",
 * "os(version+feature...)/...".  A lone os or arch takes the rest from `host` (optional). */
ocidig_code ocidig_platform_parse(const char *specifier, const ocidig_platform *host,
                                  ocidig_platform *out, ocidig_error *err);
/* containerd platforms.Normalize (newest).  An empty os becomes host->os (host optional). */
ocidig_code ocidig_platform_normalize(const ocidig_platform *in, const ocidig_platform *host,
                                      ocidig_platform *out, ocidig_error *err);
/* containerd platforms.FormatAll: "os(version+f1+f2)/arch/variant"; "unknown" when os is
 * empty.  Returns a malloc'd string, NULL on allocation failure or when p is NULL. */
char *ocidig_platform_format(const ocidig_platform *p);
/* The host platform as containerd's DefaultSpec() sees it (runtime os/arch; on ARM the
 * variant from /proc/cpuinfo).  Reads the machine: only the CLI calls it. */
ocidig_code ocidig_platform_detect_host(ocidig_platform *out, ocidig_error *err);

typedef enum ocidig_matcher_kind {
  OCIDIG_MATCHER_ONLY,            /* Only(platforms[0]): the default */
  OCIDIG_MATCHER_ONLY_STRICT,     /* OnlyStrict(platforms[0]) */
  OCIDIG_MATCHER_ORDERED,         /* Ordered(platforms...) */
  OCIDIG_MATCHER_ANY,             /* Any(platforms...) */
  OCIDIG_MATCHER_ALL,             /* All */
  OCIDIG_MATCHER_NEW_MATCHER,     /* NewMatcher(platforms[0]), no ordering */
  OCIDIG_MATCHER_ONLY_OS,         /* OnlyOS(platforms[0]) */
  OCIDIG_MATCHER_WINDOWS_DEFAULT, /* Default() on a Windows host whose DefaultSpec() is platforms[0] */
} ocidig_matcher_kind;

/* Opaque.  Immutable after ocidig_matcher_new: share it between threads and layouts;
 * ocidig_matcher_free once, after the last call using it. */
typedef struct ocidig_matcher ocidig_matcher;

/* Builds a matcher.  The platforms are taken raw (Only/OnlyStrict normalize them, as
 * containerd does); `host` (optional) is used wherever an empty os must be filled in.
 * `platforms` may be NULL only when n_platforms is 0 (All, Ordered, Any, WindowsDefault). */
ocidig_code ocidig_matcher_new(ocidig_matcher_kind kind, const ocidig_platform *platforms,
                               size_t n_platforms, const ocidig_platform *host,
                               ocidig_matcher **out, ocidig_error *err);
void ocidig_matcher_free(ocidig_matcher *m);
/* Match(candidate); the candidate is raw (normalized inside).  False when either is NULL,
 * and when normalizing the candidate runs out of memory: ocidig_matcher_test tells that
 * apart (OCIDIG_ERR_NOMEM; *matches false), and is what the library uses itself. */
bool ocidig_matcher_match(const ocidig_matcher *m, const ocidig_platform *candidate);
ocidig_code ocidig_matcher_test(const ocidig_matcher *m, const ocidig_platform *candidate, bool *matches,
                                ocidig_error *err);
/* Less(a, b): a is preferred over b.  False when any argument is NULL. */
bool ocidig_matcher_less(const ocidig_matcher *m, const ocidig_platform *a, const ocidig_platform *b);
/* Stable sort of n candidates by Less; writes the permutation (input positions) to order
 * (candidates and order may be NULL when n is 0). */
ocidig_code ocidig_matcher_sort(const ocidig_matcher *m, const ocidig_platform *const *candidates,
                                size_t n, size_t *order, ocidig_error *err);
/* The platforms the matcher accepts, most preferred first (Only: the fallback vector;
 * OnlyStrict: the one normalized platform).  Returns the count; *out points into m (out
 * optional; a NULL m: 0, *out NULL). */
size_t ocidig_matcher_accepts(const ocidig_matcher *m, const ocidig_platform **out);
/* The request as given (normalized for Only/OnlyStrict), for reports; NULL for a NULL m. */
const ocidig_platform *ocidig_matcher_request(const ocidig_matcher *m);

/* ------------------------------------------------------------------ digests */

typedef enum ocidig_digest_alg { OCIDIG_DIGEST_SHA256 = 0, OCIDIG_DIGEST_SHA512 = 1 } ocidig_digest_alg;

#define OCIDIG_DIGEST_STRING_MAX (OCIDIG_MAX_DIGEST_LENGTH + 1)

/* A value (no pointers). */
typedef struct ocidig_digest {
  ocidig_digest_alg alg;
  char hex[129]; /* lowercase, NUL-terminated: 64 or 128 characters */
} ocidig_digest;

/* Parses "alg:hex" per the OCI grammar; only sha256 and sha512 are supported. */
ocidig_code ocidig_digest_parse(const char *s, size_t len, ocidig_digest *out, ocidig_error *err);
/* Writes "alg:hex" into buf (at least OCIDIG_DIGEST_STRING_MAX bytes); a NULL d writes "",
 * a NULL buf nothing (likewise ocidig_digest_blob_path). */
void ocidig_digest_format(const ocidig_digest *d, char *buf);
const char *ocidig_digest_alg_name(ocidig_digest_alg alg);
/* "blobs/<alg>/<hex>" into buf (at least OCIDIG_DIGEST_STRING_MAX + 8 bytes). */
void ocidig_digest_blob_path(const ocidig_digest *d, char *buf);
bool ocidig_digest_equal(const ocidig_digest *a, const ocidig_digest *b); /* NULL equals only NULL */

/* Short digests, as the text output shows them ("sha256:6dbe130e3ff3") and as Docker takes
 * image IDs: "alg:HEX" or a bare "HEX" of at least OCIDIG_MIN_DIGEST_PREFIX lowercase hex
 * digits.  ocidig_digest_is_prefix: s has that form (a full digest has it too).
 * ocidig_digest_matches: `want` is `digest` itself, or such a prefix of it (a bare HEX
 * matches whatever the algorithm).  A full sha256/sha512 digest, or a bare HEX of 64 or
 * 128 digits, is no prefix: it matches that exact sha256 (64) or sha512 (128) digest only. */
#define OCIDIG_MIN_DIGEST_PREFIX 12
bool ocidig_digest_is_prefix(const char *s);
bool ocidig_digest_matches(const char *digest, const char *want);

/* ------------------------------------------------------------------ layouts */

/* Opaque.  One thread at a time (see the top of this header); ocidig_layout_close frees
 * it and whatever it lent (entries, warnings, the strings of an ocidig_entry). */
typedef struct ocidig_layout ocidig_layout;

enum {
  /* Read every archive member now (default: lazily, only as far as asked). */
  OCIDIG_OPEN_FULL_SCAN = 1u << 0,
  /* Hash every blobs/<alg>/<hex> member with <alg> while streaming (implies FULL_SCAN). */
  OCIDIG_OPEN_HASH_BLOBS = 1u << 1,
  /* For ocidig_verify with deep (implies HASH_BLOBS): one deep verify per open.  Standard
   * input's layers are read inside as they pass in the one pass (what looks like a layer:
   * bounded, see verify --deep in README.md); a file's layers in scope are read in one forward
   * pass after the walk.  What the pass kept is freed by the first ocidig_verify (deep or
   * not), else at ocidig_layout_close.  A second deep verify of a file reads its layers
   * again; of standard input it fails with not-rereadable. */
  OCIDIG_OPEN_READ_LAYERS = 1u << 2,
};

/* Read by ocidig_layout_open, except progress and progress_ctx, which the layout keeps
 * until ocidig_layout_close.  Zeroed: the defaults (ocidig_open_options_init). */
typedef struct ocidig_open_options {
  unsigned flags;
  size_t small_cap; /* 0: OCIDIG_DEFAULT_SMALL_CAP */
  /* Optional progress callback (bytes read from the input so far, total or -1). */
  void (*progress)(void *ctx, uint64_t done, int64_t total);
  void *progress_ctx;
  /* An archive: the most member bytes one pass may read (decompressed, the holes of sparse
   * members included; members skipped by seeking are not read), past which reading stops
   * with OCIDIG_ERR_LIMIT.  0: no cap.  A directory's files are not counted. */
  uint64_t max_bytes;
} ocidig_open_options;

/* Opens a layout directory, an archive file, or "-" (an archive on stdin).  opts optional. */
ocidig_code ocidig_layout_open(const char *path, const ocidig_open_options *opts, ocidig_layout **out,
                               ocidig_error *err);
void ocidig_layout_close(ocidig_layout *layout);
bool ocidig_layout_is_archive(const ocidig_layout *layout); /* false for NULL */

typedef enum ocidig_hash_state {
  OCIDIG_HASH_UNKNOWN = 0, /* not hashed yet */
  OCIDIG_HASH_OK,          /* the bytes hash to the name */
  OCIDIG_HASH_MISMATCH,
} ocidig_hash_state;

typedef enum ocidig_entry_type {
  OCIDIG_ENTRY_FILE = 0,
  OCIDIG_ENTRY_DIRECTORY,
  OCIDIG_ENTRY_SYMLINK,
  OCIDIG_ENTRY_HARDLINK,
  OCIDIG_ENTRY_SPECIAL, /* device, FIFO, socket */
} ocidig_entry_type;

/* Filled by ocidig_layout_stat and ocidig_layout_entries: its strings belong to the
 * layout (valid until ocidig_layout_close). */
typedef struct ocidig_entry {
  const char *path;     /* relative to the layout root, no "./" */
  ocidig_entry_type type;
  int64_t size;         /* regular files */
  const char *link_target; /* symlinks and hard links, else NULL */
  bool escapes;         /* a link that leaves the root, or an unsafe name */
  bool duplicate;       /* the archive held this name more than once (this is the last); on a
                         * directory, link or special entry: it replaced a regular file of that
                         * name, which then cannot be read (corrupt-archive) */
  ocidig_hash_state hash;
  /* with OCIDIG_HASH_MISMATCH: what the bytes hash to.  With OCIDIG_HASH_UNKNOWN and an
   * archive opened with OCIDIG_OPEN_HASH_BLOBS: a file outside blobs/ too large to keep
   * in memory (a docker save layer.tar), its sha256, or "" if it was not read. */
  char actual_hex[129];
} ocidig_entry;

/* Reads a file of the layout ("index.json", "oci-layout", "blobs/sha256/...") whole into
 * memory, at most `max` bytes (else OCIDIG_ERR_JSON_TOO_LARGE).  Absent: OCIDIG_ERR_BLOB_MISSING.
 * The caller frees *data. */
ocidig_code ocidig_layout_read_file(ocidig_layout *layout, const char *relpath, size_t max,
                                    uint8_t **data, size_t *len, ocidig_error *err);
/* Looks a file up without reading it.  Absent: OCIDIG_ERR_BLOB_MISSING. */
ocidig_code ocidig_layout_stat(ocidig_layout *layout, const char *relpath, ocidig_entry *out,
                               ocidig_error *err);
/* Reads a blob and checks it against the descriptor: present, size, digest, in that order
 * (doc/resolution.md §4).  At most `max` bytes are read (else OCIDIG_ERR_JSON_TOO_LARGE). */
ocidig_code ocidig_layout_read_blob(ocidig_layout *layout, const ocidig_digest *digest, int64_t size,
                                    size_t max, uint8_t **data, size_t *len, ocidig_error *err);
/* Streams a file's bytes to `sink` in chunks (bounded memory).  ctx is optional (passed on).
 * A sink that returns an error ends that call, which returns the sink's code and message as
 * they are; later reads of the layout are not affected (but on stdin a member too large to
 * keep that the sink stopped in has gone by: not-rereadable). */
typedef ocidig_code (*ocidig_sink)(void *ctx, const void *buf, size_t len, ocidig_error *err);
ocidig_code ocidig_layout_stream_file(ocidig_layout *layout, const char *relpath, ocidig_sink sink,
                                      void *ctx, ocidig_error *err);
/* Reads the rest of an archive (no-op for a directory). */
ocidig_code ocidig_layout_scan_all(ocidig_layout *layout, ocidig_error *err);
/* All entries (an archive is read to its end first; a directory is walked once, links not
 * followed).  The listing is built once: a later call returns the same array.  Every array
 * (and the strings its entries point to) handed out stays valid until ocidig_layout_close;
 * the caller does not free it. */
ocidig_code ocidig_layout_entries(ocidig_layout *layout, const ocidig_entry **entries, size_t *n,
                                  ocidig_error *err);
/* Warnings gathered while reading (unsafe members ignored, duplicates, ...); valid until the
 * next call that reads the layout.  warnings optional; a NULL layout: 0 (and *warnings NULL). */
size_t ocidig_layout_warnings(const ocidig_layout *layout, const char *const **warnings);
/* Bytes read from the input so far (after decompression: archive bytes consumed); 0 for NULL. */
uint64_t ocidig_layout_bytes_read(const ocidig_layout *layout);
/* The one digest of the layout that `prefix` (a full digest, "alg:HEX" or a bare "HEX" of at
 * least OCIDIG_MIN_DIGEST_PREFIX digits) names, among the blobs present (an archive is read to
 * its end for their names), the descriptors of index.json and, in a docker save archive, the
 * image IDs, layer digests and diff_ids of manifest.json.  Writes it to out (at least
 * OCIDIG_DIGEST_STRING_MAX bytes).  A full digest is returned as it is, looked up or not.
 * None: OCIDIG_ERR_BLOB_MISSING; several: OCIDIG_ERR_REF_AMBIGUOUS (the message lists them);
 * not a digest nor a prefix: OCIDIG_ERR_INVALID_DIGEST. */
ocidig_code ocidig_layout_find_digest(ocidig_layout *layout, const char *prefix, char *out, ocidig_error *err);
/* The file of the layout that holds the blob `digest`, as the layout's format names it
 * (blobs/<alg>/<hex> in an OCI layout; in a docker save the config or layer file whose name,
 * image ID or diff_id is that digest; <hex> in a containers/image dir: layout), written to
 * out (out_size bytes; OCIDIG_MAX_PATH_LENGTH + 1 hold any).  The name is given whether or
 * not the file is there.  A document no file holds (a docker save's image manifest, made
 * from manifest.json): OCIDIG_ERR_BLOB_MISSING.  A layout whose root cannot be read (no
 * index.json nor manifest.json, ...): blobs/<alg>/<hex>.  Errors: out of memory. */
ocidig_code ocidig_layout_find_blob(ocidig_layout *layout, const ocidig_digest *digest, char *out, size_t out_size,
                                    ocidig_error *err);
/* Checks the layout's oci-layout file: OCIDIG_OK when it is {"imageLayoutVersion": "1.0.0"}
 * or absent (then *absent, when not NULL, is true: a warning, not a failure);
 * OCIDIG_ERR_BAD_OCI_LAYOUT when it is not JSON, not an object, larger than 64 KiB or names
 * another version; the read error (io-error, truncated-archive, ...) when it cannot be read.
 * resolve, inspect, ls, verify and cat all use it: one condition, one code. */
ocidig_code ocidig_layout_check_oci_layout(ocidig_layout *layout, bool *absent, ocidig_error *err);

/* Sets *opts to the defaults (the same as zeroing it); NULL: nothing. */
void ocidig_open_options_init(ocidig_open_options *opts);

/* -------------------------------------------------------------- media types */

#define OCIDIG_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define OCIDIG_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCIDIG_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define OCIDIG_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"

typedef enum ocidig_kind { OCIDIG_KIND_OTHER = 0, OCIDIG_KIND_INDEX, OCIDIG_KIND_MANIFEST } ocidig_kind;

ocidig_kind ocidig_media_type_kind(const char *media_type); /* OTHER for NULL */
/* "oci-index", "oci-manifest", "docker-list", "docker-manifest", or the type itself;
 * "(no media type)" for NULL or "". */
const char *ocidig_media_type_short(const char *media_type);

/* -------------------------------------------------------------- descriptors */

typedef struct ocidig_annotation {
  char *key;
  char *value;
} ocidig_annotation;

/* A value: its strings and buffers are its own (ocidig_descriptor_clear); inside a result,
 * the result's. */
typedef struct ocidig_descriptor {
  char *media_type;
  char *digest_string;   /* as written */
  ocidig_digest digest;  /* valid only when digest_code == OCIDIG_OK */
  ocidig_code digest_code;
  int64_t size;
  bool has_platform;     /* platform present and not null */
  ocidig_platform platform; /* raw, as written */
  unsigned platform_keys;   /* OCIDIG_PLATFORM_KEY_* present in the raw object */
  ocidig_annotation *annotations;
  size_t n_annotations;
  char *artifact_type;
  uint8_t *data;         /* decoded inline "data", or NULL */
  size_t data_len;
  bool has_data;
  bool data_invalid;     /* "data" present but not valid base64 */
  char **urls;
  size_t n_urls;
} ocidig_descriptor;

void ocidig_descriptor_clear(ocidig_descriptor *d);
/* The value of annotation key, or NULL (also when d or key is NULL). */
const char *ocidig_descriptor_annotation(const ocidig_descriptor *d, const char *key);

/* ------------------------------------------------------------------ resolve */

typedef enum ocidig_verdict {
  OCIDIG_VERDICT_SELECTED = 0,
  OCIDIG_VERDICT_PLATFORM_MISMATCH,
  OCIDIG_VERDICT_CONFIG_PLATFORM_MISMATCH,
  OCIDIG_VERDICT_NO_MATCH_IN_INDEX,
  OCIDIG_VERDICT_UNKNOWN_MEDIA_TYPE,
  OCIDIG_VERDICT_BLOB_MISSING,
  OCIDIG_VERDICT_NOT_REACHED,
  OCIDIG_VERDICT_ERROR,
} ocidig_verdict;

const char *ocidig_verdict_name(ocidig_verdict v);

typedef enum ocidig_outcome {
  OCIDIG_OUTCOME_SELECTED = 0,
  OCIDIG_OUTCOME_NO_MATCH,
  OCIDIG_OUTCOME_ERROR,
} ocidig_outcome;

const char *ocidig_outcome_name(ocidig_outcome o);

typedef struct ocidig_row {
  char *parent;          /* "index.json" or the parent index's digest */
  ocidig_descriptor desc;
  ocidig_verdict verdict;
  char *reason;
  unsigned depth;        /* 1 for children of index.json */
} ocidig_row;

/* Read during ocidig_resolve only.  Zeroed: the defaults (ocidig_resolve_options_init). */
typedef struct ocidig_resolve_options {
  /* NULL: the nil matcher (no filter, no sort, configs not read). */
  const ocidig_matcher *matcher;
  const ocidig_platform *host; /* NULL: linux/amd64 */
  const char *ref; /* NULL, "NAME" or "@DIGEST" */
} ocidig_resolve_options;

/* What a source holds at its root. */
typedef enum ocidig_layout_format {
  OCIDIG_FORMAT_NONE = 0,       /* neither index.json nor manifest.json */
  OCIDIG_FORMAT_OCI,            /* index.json (an OCI image layout) */
  OCIDIG_FORMAT_DOCKER_ARCHIVE, /* manifest.json and no index.json: docker save before Docker 25, or a
                                 * containers/image docker-archive.  It carries no registry manifest. */
  OCIDIG_FORMAT_HYBRID,         /* index.json and manifest.json: docker save since Docker 25, ctr export */
  OCIDIG_FORMAT_CIMAGE_DIR,     /* containers/image's dir: transport (skopeo copy ... dir:DIR, podman save
                                 * --format docker-dir): manifest.json an object, blobs named by hex, a
                                 * version file; or several such folders side by side (skopeo sync --dest dir) */
} ocidig_layout_format;

/* A result: the caller's, freed with ocidig_resolution_free; plain data (any threads may
 * read it); independent of the layout and matcher it came from. */
typedef struct ocidig_resolution {
  ocidig_outcome outcome;
  /* the request as formatted for the report ("" with a nil matcher) */
  char *request;
  bool strict;
  /* selected (outcome == SELECTED) */
  ocidig_descriptor selected;
  ocidig_platform selected_platform; /* normalized */
  bool selected_has_platform;
  const char *platform_source;       /* "descriptor", "config" or NULL */
  char **path;                       /* digests of the nested indexes on the way */
  size_t n_path;
  /* what the selected manifest holds (filled when it could be read) */
  bool manifest_read;
  char *manifest_media_type;         /* body mediaType */
  ocidig_descriptor config;
  ocidig_descriptor *layers;
  size_t n_layers;
  int64_t layers_size;
  /* the walk */
  ocidig_row *rows;
  size_t n_rows;
  char **warnings;
  size_t n_warnings;
  ocidig_error error; /* outcome == ERROR */
  /* the root the walk began at, as the view names it: "index.json", "manifest.json" (a
   * docker save), "manifest.json (dir:)", ...; NULL when there was none to read */
  char *root;
  /* OCIDIG_FORMAT_OCI for an index.json (a hybrid included), else the format whose
   * manifest.json the root index was synthesized from; OCIDIG_FORMAT_NONE: no root */
  ocidig_layout_format root_format;
} ocidig_resolution;

/* Resolves the manifest for the matcher.  opts optional (NULL: the nil matcher, no ref).
 * Always fills *out (also on error; NULL only when out of memory or on a usage error);
 * returns the error code (OCIDIG_OK for "selected" and "no-match"). */
ocidig_code ocidig_resolve(ocidig_layout *layout, const ocidig_resolve_options *opts,
                           ocidig_resolution **out, ocidig_error *err);
void ocidig_resolution_free(ocidig_resolution *r);
/* The report of doc/resolution.md §7 as a JSON text (malloc'd, caller frees). */
char *ocidig_resolution_to_json(const ocidig_resolution *r, bool pretty); /* NULL for NULL */

/* Sets *opts to the defaults (the same as zeroing it); NULL: nothing. */
void ocidig_resolve_options_init(ocidig_resolve_options *opts);
/* r->rows[i], or NULL past the end or for a NULL r (an accessor that does not depend on
 * sizeof(ocidig_row)). */
const ocidig_row *ocidig_resolution_row(const ocidig_resolution *r, size_t i);

/* ------------------------------------------------------------------- verify */

/* ocidig verify: every digest, size and rule of a layout.  The finding codes are listed
 * (with their severities and meanings) in src/lib/verify/findings.c and in the README. */

typedef enum ocidig_severity {
  OCIDIG_SEVERITY_INFO = 0,
  OCIDIG_SEVERITY_WARNING,
  OCIDIG_SEVERITY_ERROR,
} ocidig_severity;

/* "info", "warning", "error". */
const char *ocidig_severity_name(ocidig_severity s);

typedef struct ocidig_finding {
  const char *code;         /* stable kebab-case code (static storage) */
  ocidig_severity severity;
  char *digest;             /* the blob or document concerned, or NULL */
  char *path;               /* the file or member concerned, or NULL */
  char *message;            /* what is wrong and what was expected */
  long image;               /* index into report->images, or -1 (the layout as a whole) */
  long platform;            /* index into that image's platforms, or -1 */
} ocidig_finding;

typedef struct ocidig_verify_missing {
  char *digest;
  const char *role;         /* "manifest", "index", "config", "layer", "blob" (static storage) */
  long index;               /* the layer's position, else -1 */
  int64_t size;             /* as the descriptor says */
} ocidig_verify_missing;

/* One manifest (or one missing nested index, or one nested index walked already) of an image. */
typedef struct ocidig_verify_platform {
  char *platform;           /* formatted ("linux/arm64/v8"), or NULL when unknown */
  const char *platform_source; /* "descriptor", "config" or NULL (static storage) */
  char *manifest;           /* the manifest's digest (or the missing index's) */
  char *media_type;         /* its descriptor's mediaType */
  char *attestation_of;     /* a buildx attestation manifest: the digest it attests */
  bool is_index;            /* a nested index that is absent: its platforms are unknown; or walked_already */
  bool walked_already;      /* an index met again on another path, or the entry of an image met before:
                               it is walked once, and its platforms are listed there (under image
                               walked_image); complete says whether they all are */
  long walked_image;        /* with walked_already: an index into report->images */
  bool requested;           /* in the scope of --platform */
  bool complete;            /* every blob it references is present */
  size_t n_blobs;           /* blobs it references: manifest, config, layers */
  int64_t size;             /* their sizes, as the descriptors say */
  ocidig_verify_missing *missing;
  size_t n_missing;
  size_t n_errors, n_warnings; /* findings attributed to it */
  size_t n_unverified;      /* of n_blobs, those whose digest has an unregistered algorithm: they
                               cannot be verified (not complete); neither present nor missing */
} ocidig_verify_platform;

/* One entry of index.json (in the scope of --ref). */
typedef struct ocidig_verify_image {
  char *name;               /* org.opencontainers.image.ref.name, else io.containerd.image.name, or NULL */
  char *digest;
  char *media_type;
  bool complete;            /* every platform complete */
  ocidig_verify_platform *platforms;
  size_t n_platforms;
  size_t n_errors, n_warnings; /* findings attributed to the image (platforms included) */
  bool attachment;          /* the entry is itself a signature or attestation attached to an image */
  size_t n_signatures;      /* report->signatures attached to it or to a manifest its index lists */
  size_t n_verified;        /* of those, verified */
} ocidig_verify_image;

typedef struct ocidig_verify_summary {
  size_t blobs_checked;        /* distinct referenced blobs found and hashed */
  uint64_t bytes_hashed;
  size_t blobs_missing;        /* distinct referenced blobs absent */
  size_t errors, warnings, infos;
  bool unreferenced_checked;   /* false when --ref or --platform narrowed the scope, or index.json
                                  could not be walked */
  size_t blobs_unreferenced;
  uint64_t unreferenced_bytes;
  size_t findings_dropped;     /* beyond the limit kept in memory (still counted above) */
} ocidig_verify_summary;

/* Defined with the signatures, below. */
typedef struct ocidig_trust_options ocidig_trust_options;
typedef struct ocidig_sig_check ocidig_sig_check;

/* Read during ocidig_verify only; progress runs on the calling thread.  Zeroed: the
 * defaults (ocidig_verify_options_init). */
typedef struct ocidig_verify_options {
  /* NULL: everything reachable from index.json.  Else only what ocidig_resolve selects
   * for each image, plus the indexes on the way. */
  const ocidig_matcher *matcher;
  bool strict;                 /* for the report only: the matcher is OnlyStrict */
  const ocidig_platform *host; /* NULL: linux/amd64 */
  const char *ref;             /* NULL, "NAME" or "@DIGEST": only that entry of index.json */
  unsigned threads;            /* hashing threads for a directory; 0: one per CPU (at most 16) */
  /* Optional: bytes hashed so far and the total, while a directory's blobs are hashed
   * (an archive reports through ocidig_open_options.progress instead). */
  void (*progress)(void *ctx, uint64_t done, int64_t total);
  void *progress_ctx;
  /* --deep: also inside each layer of each manifest in scope (read once, whoever points at
   * it): the config's rootfs.diff_ids, the compressed stream to its end, the tar to its
   * end-of-archive marker, the hazards of its entries (the layer-* finding codes); a row per
   * layer in report->layers. */
  bool deep;
  /* Trust material for the signatures attached to the images in scope (NULL: none; they
   * are listed, not verified).  With material, every image in scope must carry at least
   * one signature that verifies, else the exit status is 6 (policy not met). */
  const ocidig_trust_options *trust;
} ocidig_verify_options;

/* One layer blob read by verify --deep (report->layers), in the order they were met. */
typedef struct ocidig_verify_layer {
  char *digest;            /* the layer blob's (a docker save's: the digest its file's name carries) */
  char *media_type;
  const char *compression; /* "none", "gzip", "zstd", "unknown" (static storage) */
  bool read;               /* its contents were read to the end (else `skipped` says why not) */
  char *skipped;           /* NULL, or why not: absent, not a tar layer (its media type), unreadable */
  char *diff_id;           /* the digest of its uncompressed bytes, when read whole, or NULL */
  uint64_t entries;        /* tar entries */
  uint64_t uncompressed_size;
  size_t n_errors, n_warnings, n_infos; /* the findings about its contents */
  long image, platform;    /* where it was first met (report->images[image].platforms[platform]), or -1 */
} ocidig_verify_layer;

/* A result: the caller's, freed with ocidig_verify_report_free; plain data; independent
 * of the layout and matcher. */
typedef struct ocidig_verify_report {
  char *source;
  bool archive;
  char *request;               /* the formatted platform request, or NULL (all platforms) */
  bool strict;
  char *ref;
  ocidig_finding *findings;    /* grouped: the layout first, then by image and platform */
  size_t n_findings;
  ocidig_verify_image *images;
  size_t n_images;
  ocidig_verify_summary summary;
  ocidig_error error;          /* code != OCIDIG_OK: the verification could not run to the end */
  /* What the source holds (static storage): "oci", "docker-archive" (manifest.json, no index.json:
   * then each image's digest is its image ID, its one platform has no manifest, and its blobs are
   * the config and layer files), "oci+docker-archive" (index.json verified, manifest.json compared
   * with it), or "none". */
  const char *format;
  /* The library's: where the rows of images (their platforms, missing blobs and strings) are
   * kept, all freed at once by ocidig_verify_report_free (a row of 100,000 images is not
   * a dozen allocations each).  NULL in a report the caller made itself (then each string
   * and array of images is freed on its own).  Read the rows, never free one of them. */
  struct ocidig_verify_storage *storage;
  /* verify --deep: a row per layer blob read (or skipped), each once; NULL, 0 otherwise. */
  ocidig_verify_layer *layers;
  size_t n_layers;
  /* The signatures attached to the images in scope (cosign, Sigstore bundles, Notation),
   * each with its verdict: not-verified without trust material (opts->trust). */
  ocidig_sig_check *signatures;
  size_t n_signatures;
  bool trust_given;         /* opts->trust held trust material: every image must be signed */
  size_t images_unsigned;   /* with trust_given: images in scope (not themselves attachments)
                             * without a verified signature: the policy is not met */
} ocidig_verify_report;

/* Verifies a layout.  Open an archive with OCIDIG_OPEN_HASH_BLOBS so that its blobs are
 * hashed in the single pass that reads it (else each blob is streamed again).  opts
 * optional (NULL: everything, host linux/amd64).  Always fills *out (unless out of memory
 * or on a usage error: then *out is NULL).  Returns OCIDIG_OK when the verification ran (the
 * report says what it found), else the reason it could not (missing-index-json, a
 * --ref that names nothing, ...), also in report->error.  With glibc, between its phases it
 * gives the memory it freed back to the system (malloc_trim(0), which acts on the whole
 * process's heap: the peak of a verification of 100,000 images is what one phase needs,
 * not the sum; it changes no allocation of the caller's). */
ocidig_code ocidig_verify(ocidig_layout *layout, const ocidig_verify_options *opts, ocidig_verify_report **out,
                          ocidig_error *err);
void ocidig_verify_report_free(ocidig_verify_report *r);
/* {schemaVersion, source, format, scope, findings, images, summary[, error]} (malloc'd; to a
 * sink as it is made: ocidig_verify_report_write_json, below). */
char *ocidig_verify_report_to_json(const ocidig_verify_report *r, bool pretty); /* NULL for NULL */
/* 0 when no error finding (and no warning with fail_on_warning); 4 when there is one,
 * but 3 when every error finding is blob-unreadable or listing-unreadable (the input could
 * not be read, resolve's io-error); the error's status (2, 3) when the verification could
 * not run; 3 for a NULL report. */
int ocidig_verify_exit_status(const ocidig_verify_report *r, bool fail_on_warning);

/* Sets *opts to the defaults (the same as zeroing it); NULL: nothing. */
void ocidig_verify_options_init(ocidig_verify_options *opts);
/* r->findings[i], r->images[i], im->platforms[i]; NULL past the end or for NULL. */
const ocidig_finding *ocidig_verify_report_finding(const ocidig_verify_report *r, size_t i);
const ocidig_verify_image *ocidig_verify_report_image(const ocidig_verify_report *r, size_t i);
const ocidig_verify_platform *ocidig_verify_image_platform(const ocidig_verify_image *im, size_t i);
/* r->layers[i] (verify --deep); NULL past the end or for NULL. */
const ocidig_verify_layer *ocidig_verify_report_layer(const ocidig_verify_report *r, size_t i);

/* ------------------------------------------------------- docker save archives */

/* ocidig_layout_format: above, with the resolution that names its root's. */

/* "none", "oci", "docker-archive", "oci+docker-archive", "dir". */
const char *ocidig_layout_format_name(ocidig_layout_format f);
/* Looks for index.json and manifest.json (an archive is read on until both are settled). */
ocidig_code ocidig_layout_format_detect(ocidig_layout *layout, ocidig_layout_format *out, ocidig_error *err);

#define OCIDIG_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define OCIDIG_MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar"

typedef struct ocidig_docker_layer {
  char *path;    /* as manifest.json names it ("<id>/layer.tar", "<hex>.tar", "blobs/sha256/<hex>") */
  char *file;    /* the regular file holding it, symbolic links inside the archive followed; NULL: absent */
  int64_t size;  /* that file's size; -1 when absent */
  char *digest;  /* the digest its name carries (blobs/<alg>/<hex>, <hex>.tar), else NULL */
  char *diff_id; /* the config's rootfs.diff_ids[i], else NULL */
} ocidig_docker_layer;

typedef struct ocidig_docker_image {
  char **repo_tags;         /* "RepoTags" (null or absent: none) */
  size_t n_repo_tags;
  char *config_path;        /* "Config" */
  char *config_file;        /* symbolic links followed; NULL when absent */
  int64_t config_size;      /* -1 when absent */
  char *config_digest;      /* the digest the config's name carries (<hex>.json, blobs/<alg>/<hex>), or NULL */
  char *image_id;           /* the digest of the config's bytes (Docker's image ID); NULL when not read */
  bool config_mismatch;     /* config_digest and image_id differ: the config was altered */
  ocidig_code config_code;  /* OCIDIG_OK, or why the config could not be read (blob-missing, invalid-json, ...) */
  char *config_error;       /* its message, or NULL */
  bool has_platform;        /* the config was read: platform holds its os, architecture, ... (raw) */
  ocidig_platform platform;
  ocidig_docker_layer *layers;
  size_t n_layers;
  int64_t layers_size;      /* the sizes of the layer files present */
  size_t n_missing;         /* config and layer files absent */
} ocidig_docker_image;

typedef struct ocidig_docker_tag { /* one entry of "repositories" */
  char *name;                      /* "repository:tag" */
  char *layer_id;                  /* the top layer's legacy ID */
} ocidig_docker_tag;

/* A result: the caller's, freed with ocidig_docker_archive_free; plain data; independent
 * of the layout (ocidig_docker_archive_compare reads the layout, one thread at a time). */
typedef struct ocidig_docker_archive {
  ocidig_layout_format format;     /* DOCKER_ARCHIVE or HYBRID */
  ocidig_docker_image *images;     /* manifest.json, in order */
  size_t n_images;
  bool has_repositories;
  ocidig_docker_tag *repositories;
  size_t n_repositories;
  char **warnings;                 /* repositories and manifest.json disagreeing, ...; (hybrid, after
                                    * ocidig_docker_archive_compare) where manifest.json and index.json disagree */
  size_t n_warnings;
} ocidig_docker_archive;

/* Reads manifest.json (and repositories), each image's config (small; hashed to give the image
 * ID) and the sizes of its layer files, never their bytes.  Fails only when manifest.json itself
 * is absent (blob-missing) or unreadable (invalid-json, ...); a config or layer that is absent or
 * bad is recorded in its image.  For verify: a config's bytes must hash to config_digest (when its
 * name carries one); a layer file's bytes to its digest, else (a docker save <id>/layer.tar,
 * always uncompressed) to its diff_id. */
ocidig_code ocidig_docker_archive_read(ocidig_layout *layout, ocidig_docker_archive **out, ocidig_error *err);
void ocidig_docker_archive_free(ocidig_docker_archive *a);
/* Picks the image a --ref names: a RepoTag (exact, "docker.io/library/" forms equal), else a tag
 * alone (":NAME" suffix), or "@DIGEST" (the image ID).  ref-not-found / ref-ambiguous otherwise. */
ocidig_code ocidig_docker_archive_pick(const ocidig_docker_archive *a, const char *ref, size_t *index,
                                       ocidig_error *err);
/* A hybrid archive: adds to a->warnings where manifest.json disagrees with what index.json
 * reaches (an image whose config no manifest uses, other layers, RepoTags index.json does not
 * name, files absent). */
ocidig_code ocidig_docker_archive_compare(ocidig_layout *layout, ocidig_docker_archive *a, ocidig_error *err);
/* True when r was resolved over a docker save archive's manifest.json (no index.json): then
 * r->selected describes the image's config (its digest is the image ID), not a manifest, and the
 * rows' parent is "manifest.json".  False for NULL. */
bool ocidig_resolution_is_docker_archive(const ocidig_resolution *r);

/* ------------------------------------------------------------------ images */

typedef struct ocidig_history {
  char *created;
  char *created_by;
  char *author;
  char *comment;
  bool empty_layer;
  long layer;               /* the layer this step made (index into the layers), -1 for an empty layer */
} ocidig_history;

/* An image config (OCI or Docker: the same keys).  NULL strings and empty lists when absent. */
/* A value: its strings are its own (ocidig_image_config_clear); inside an ocidig_image,
 * the image's. */
typedef struct ocidig_image_config {
  ocidig_platform platform; /* raw */
  char *created;
  char *author;
  char *user;
  char *working_dir;
  char *stop_signal;
  bool has_entrypoint;
  char **entrypoint;
  size_t n_entrypoint;
  bool has_cmd;
  char **cmd;
  size_t n_cmd;
  char **env;
  size_t n_env;
  char **exposed_ports;     /* "80/tcp", sorted */
  size_t n_exposed_ports;
  char **volumes;           /* sorted */
  size_t n_volumes;
  ocidig_annotation *labels; /* sorted by key */
  size_t n_labels;
  char *rootfs_type;
  char **diff_ids;
  size_t n_diff_ids;
  ocidig_history *history;
  size_t n_history;
} ocidig_image_config;

/* Parses a config; `what` (optional) names it in messages.  Wrong types are invalid-json; null
 * is absent. */
ocidig_code ocidig_image_config_parse(const uint8_t *data, size_t len, const char *what, ocidig_image_config *out,
                                      ocidig_error *err);
void ocidig_image_config_clear(ocidig_image_config *c);

/* What a layer media type says of its bytes: "gzip", "zstd", "uncompressed", "foreign"
 * (non-distributable: its bytes live elsewhere), "encrypted", or NULL for a type not known (or NULL). */
const char *ocidig_layer_compression(const char *media_type);

/* ------------------------------------------ signatures and attestations attached */
/* What is attached to an image, found over the one graph (no walk of its own):
 *  - cosign's tag scheme: an index.json entry named (org.opencontainers.image.ref.name)
 *    sha256-<hex>.sig, .att or .sbom is attached to the manifest or index sha256:<hex>;
 *    an entry `cosign save` marks with annotation kind dev.cosignproject.cosign/sigs or
 *    .../atts and no such name is attached to the entries it marks .../image;
 *  - OCI 1.1 referrers: a manifest whose subject names the image (listed in index.json, in
 *    an index tagged by the referrers tag schema sha256-<hex>, or anywhere index.json
 *    reaches), classified by artifactType: Sigstore bundles
 *    (application/vnd.dev.sigstore.bundle*: a signature, or an attestation when it holds a
 *    DSSE envelope), Notation (application/vnd.cncf.notary.signature), else "other";
 *  - buildx attestation manifests (vnd.docker.reference.type attestation-manifest), by the
 *    predicate types of their in-toto layers;
 *  - containers/image's dir: signature files: signature-N beside an image folder's
 *    manifest.json (and <hex>.signature-N of a per-platform manifest): a sigstore one
 *    ("\0sigstore-json\n" first) is a cosign signature, any other a simple-signing (GPG) one. */
typedef enum ocidig_attached_kind {
  OCIDIG_ATTACHED_SIGNATURE = 0, /* "signature" */
  OCIDIG_ATTACHED_ATTESTATION,   /* "attestation" */
  OCIDIG_ATTACHED_SBOM,          /* "sbom" (cosign's .sbom tag) */
  OCIDIG_ATTACHED_OTHER,         /* "other": a referrer of another artifact type */
} ocidig_attached_kind;
typedef enum ocidig_attached_scheme {
  OCIDIG_SCHEME_COSIGN = 0,      /* "cosign": the tag scheme or cosign save's kind annotations */
  OCIDIG_SCHEME_SIGSTORE_BUNDLE, /* "sigstore-bundle": a Sigstore bundle referrer */
  OCIDIG_SCHEME_NOTATION,        /* "notation" */
  OCIDIG_SCHEME_BUILDX,          /* "buildx": an attestation manifest */
  OCIDIG_SCHEME_REFERRER,        /* "referrer": any other OCI 1.1 referrer */
  OCIDIG_SCHEME_SIMPLE_SIGNING,  /* "simple-signing": a dir: signature file signed with GPG (not verified) */
} ocidig_attached_scheme;
const char *ocidig_attached_kind_name(ocidig_attached_kind k);     /* "unknown" out of range */
const char *ocidig_attached_scheme_name(ocidig_attached_scheme s); /* "unknown" out of range */

/* Plain data, the caller's (ocidig_attached_free). */
typedef struct ocidig_attached {
  ocidig_attached_kind kind;
  ocidig_attached_scheme scheme;
  char *subject;          /* the digest of the image or platform manifest it is attached to */
  char *manifest;         /* the digest of the signature or attestation manifest (or index); a
                           * dir: signature file: its path ("signature-1") */
  char *media_type;       /* that document's media type, as its descriptor says */
  char *artifact_type;    /* its artifactType, or NULL */
  char *found_as;         /* "tag sha256-<hex>.sig", "kind dev.cosignproject.cosign/sigs", "referrer",
                           * "attestation-manifest", "dir signature-1" */
  char **predicate_types; /* attestations: the predicate types (in-toto layers, cosign's
                           * predicateType, a bundle's dev.sigstore.bundle.predicateType) */
  size_t n_predicate_types;
  bool present;           /* the document is in the layout and reads */
} ocidig_attached;

/* Everything attached to the manifest or index `digest`, and, when it is an index, to the
 * manifests it lists: in index.json's order, the tag scheme first.  Reads every document
 * index.json reaches (the referrers are found by their subject). */
ocidig_code ocidig_layout_find_attached(ocidig_layout *layout, const char *digest, ocidig_attached **out, size_t *n,
                                        ocidig_error *err);
void ocidig_attached_free(ocidig_attached *v, size_t n);

typedef enum ocidig_related_kind {
  OCIDIG_RELATED_ATTESTATION = 0, /* buildx: vnd.docker.reference.type attestation-manifest */
  OCIDIG_RELATED_REFERRER,        /* OCI 1.1: a manifest whose subject is the image's manifest */
} ocidig_related_kind;

/* Results of ocidig_find_related: the caller's array, freed with ocidig_related_free;
 * plain data; independent of the layout. */
typedef struct ocidig_related {
  ocidig_related_kind kind;
  ocidig_descriptor desc;   /* as the index that lists it says */
  char *found_in;           /* "index.json" or the digest of the index listing it */
  char *artifact_type;      /* referrer: artifactType (manifest, else descriptor, else the config's mediaType) */
  char **predicate_types;   /* attestation: in-toto.io/predicate-type of its layers */
  size_t n_predicate_types;
  bool present;             /* its manifest is in the layout */
} ocidig_related;

/* Everything index.json reaches (through nested indexes) that is about the manifest `digest`. */
ocidig_code ocidig_find_related(ocidig_layout *layout, const char *digest, ocidig_related **out, size_t *n,
                                ocidig_error *err);
void ocidig_related_free(ocidig_related *v, size_t n);

typedef struct ocidig_image_layer {
  ocidig_descriptor desc;   /* as the manifest says (docker save archive: built from manifest.json) */
  const char *compression;  /* ocidig_layer_compression(), or NULL */
  char *diff_id;            /* rootfs.diff_ids[i] of the config, or NULL */
  char *file;               /* the file holding it, or NULL when absent */
  bool present;
} ocidig_image_layer;

/* A result: the caller's, freed with ocidig_image_free; plain data; independent of the
 * layout and of the resolution it was loaded from. */
typedef struct ocidig_image {
  ocidig_layout_format format;
  bool registry_manifest;   /* false for a docker save archive without index.json: no manifest digest exists */
  char **names;             /* io.containerd.image.name, ref names, RepoTags (deduplicated) */
  size_t n_names;
  ocidig_descriptor manifest; /* the selected manifest's descriptor (empty without a registry manifest) */
  char *manifest_media_type;  /* the body's mediaType */
  ocidig_annotation *annotations; /* the manifest's annotations */
  size_t n_annotations;
  char *subject;            /* the manifest's subject digest, or NULL */
  char *image_id;           /* the config's digest (Docker's image ID) */
  bool has_platform;
  ocidig_platform platform; /* normalized */
  const char *platform_source; /* "descriptor" or "config" (static) */
  ocidig_descriptor config;
  bool config_read;         /* cfg holds the parsed config */
  ocidig_image_config cfg;
  ocidig_image_layer *layers;
  size_t n_layers;
  int64_t layers_size;      /* the layers' sizes (compressed) */
  size_t n_missing;         /* layers absent */
  ocidig_related *related;
  size_t n_related;
  ocidig_attached *attached; /* signatures and attestations of the manifest or its index.json entry */
  size_t n_attached;
  char **warnings;
  size_t n_warnings;
} ocidig_image;

/* The image r selected (outcome selected): manifest, parsed config, layers, the names it goes by,
 * attestations and referrers.  Integrity failures (a config that does not hash to its digest) are
 * errors; an absent config or layer is recorded. */
ocidig_code ocidig_image_load(ocidig_layout *layout, const ocidig_resolution *r, ocidig_image **out,
                              ocidig_error *err);
void ocidig_image_free(ocidig_image *img);
/* The image as one JSON object (malloc'd). */
char *ocidig_image_to_json(const ocidig_image *img, bool pretty); /* NULL for NULL */

/* What differs between two images (ocidig diff).  Each difference once, in a fixed order:
 * config (platform, user, working_dir, entrypoint, cmd, stop_signal), env (by name), labels
 * (by key), ports, volumes, history (by step: what made it, not when), layers (by digest:
 * those only in a, then those only in b), then, from ocidig_files_diff, files (by path).
 * Not differences: when the images were built (config created, history timestamps, file
 * mtimes), which differ between any two builds. */
typedef enum ocidig_diff_change {
  OCIDIG_DIFF_ADDED = 0, /* in b only */
  OCIDIG_DIFF_REMOVED,   /* in a only */
  OCIDIG_DIFF_CHANGED,   /* in both, not the same */
} ocidig_diff_change;
const char *ocidig_diff_change_name(ocidig_diff_change c); /* "added", "removed", "changed" */

typedef struct ocidig_diff_entry {
  const char *section; /* "config", "env", "labels", "ports", "volumes", "history", "layers", "files" */
  const char *key;     /* the field, variable, label, port, volume, "step N", layer digest, or path */
  ocidig_diff_change change;
  const char *a, *b;   /* the value in each image as text (NULL: absent there; a set's member: NULL) */
} ocidig_diff_entry;
typedef ocidig_code (*ocidig_diff_fn)(void *ctx, const ocidig_diff_entry *e, ocidig_error *err);

typedef struct ocidig_diff_counts {
  size_t differences;   /* entries given to fn */
  size_t layers_shared; /* layers (by digest) in both images */
} ocidig_diff_counts;

/* Config and layers of a and b (ocidig_image_load): fn for each difference (strings valid
 * during the call).  fn's error stops it and is returned.  counts optional. */
ocidig_code ocidig_image_diff(const ocidig_image *a, const ocidig_image *b, ocidig_diff_fn fn, void *ctx,
                              ocidig_diff_counts *counts, ocidig_error *err);

/* ------------------------------------------------------------------ listing */

/* A blob an image needs, as its descriptor names it (ocidig_list_options.blobs). */
typedef struct ocidig_list_blob {
  char *digest;       /* as written */
  char *media_type;   /* NULL: absent */
  int64_t size;       /* the descriptor's */
  bool present;       /* a file of the layout holds it (not checked against its digest) */
} ocidig_list_blob;

typedef struct ocidig_list_row {
  char *platform;           /* formatted, NULL when unknown */
  const char *platform_source; /* "descriptor", "config" or NULL (static) */
  char *manifest;           /* its digest; NULL in a docker save archive (no registry manifest) */
  char *media_type;         /* its descriptor's mediaType */
  char *image_id;           /* the config digest, when known */
  char *attestation_of;     /* a buildx attestation manifest: the manifest it attests */
  bool other;               /* neither image manifest nor index (an artifact, schema 1, ...) */
  bool is_index;            /* a nested index that is absent or unreadable: its platforms are unknown */
  bool present;             /* the manifest is in the layout */
  bool complete;            /* and so are its config and every layer, each verifiable */
  size_t n_blobs, n_missing;
  size_t n_unverified;      /* of n_blobs, layers whose digest has an unregistered algorithm: they
                               cannot be verified (not complete), neither present nor missing */
  int64_t size;             /* its layers' sizes (compressed) */
  bool selected;            /* with a matcher: what the image resolves to */
  ocidig_code code;         /* reading it failed (digest-mismatch, invalid-json, ...) */
  char *error;
  /* With ocidig_list_options.blobs: the manifest, its config and its layers, in that order,
   * as far as they are known (a document the view synthesized is left out). */
  ocidig_list_blob *blob_list;
  size_t n_blob_list;
} ocidig_list_row;

typedef struct ocidig_list_image {
  char *name;               /* names joined by ", ", else the digest */
  char **names;
  size_t n_names;
  char *digest;             /* the index.json entry (docker save archive: the image ID) */
  char *media_type;
  bool complete;
  ocidig_list_row *rows;
  size_t n_rows;
  ocidig_outcome outcome;   /* with a matcher: selected, no-match or error */
  char *error;              /* outcome error: the message */
  ocidig_code code;
  /* With ocidig_list_options.blobs: the indexes read on the way to the rows (the entry's
   * own first), each once; a synthesized one left out. */
  ocidig_list_blob *index_blobs;
  size_t n_index_blobs;
  ocidig_attached *attached; /* signatures and attestations attached to it or its platform manifests */
  size_t n_attached;
} ocidig_list_image;

/* A result: the caller's, freed with ocidig_listing_free; plain data; independent of the
 * layout and matcher. */
typedef struct ocidig_listing {
  ocidig_layout_format format;
  char *request;            /* the formatted request, or NULL without a matcher */
  ocidig_list_image *images;
  size_t n_images;
  size_t n_blobs;           /* distinct blobs referenced and present */
  uint64_t total_bytes;     /* their sizes */
  size_t n_shared;          /* of those, referenced by more than one image or platform */
  uint64_t shared_bytes;
  size_t n_unreferenced;    /* files of the layout no image references */
  uint64_t unreferenced_bytes;
  size_t n_missing;         /* distinct blobs referenced and absent */
  size_t n_unverified;      /* distinct layers whose digest has an unregistered algorithm */
  size_t n_errors;          /* rows whose reading failed */
  char **warnings;
  size_t n_warnings;
} ocidig_listing;

/* Read during ocidig_list only.  Zeroed: the defaults (ocidig_list_options_init). */
typedef struct ocidig_list_options {
  const ocidig_matcher *matcher; /* NULL: every platform; else also what each image resolves to */
  const ocidig_platform *host;   /* NULL: linux/amd64 */
  bool blobs;                    /* fill rows' blob_list and images' index_blobs (ls --lock) */
} ocidig_list_options;

/* Every image of a layout (index.json entries, grouped by digest; or manifest.json's) and every
 * platform each offers.  Reads every manifest and the configs of platform-less ones; never a layer.
 * opts optional (NULL: every platform, no matcher). */
ocidig_code ocidig_list(ocidig_layout *layout, const ocidig_list_options *opts, ocidig_listing **out,
                        ocidig_error *err);
void ocidig_listing_free(ocidig_listing *l);
char *ocidig_listing_to_json(const ocidig_listing *l, bool pretty); /* NULL for NULL */

/* The listing as it is made, one image at a time: each image is handed to fn as soon as it
 * is complete (with head: the listing so far, its format and request set, images NULL) and
 * freed when fn returns, unless fn took it over (copied *img and zeroed it).  *out gets the
 * rest: format, request, the summary, the warnings, n_images (images NULL).  Memory is one
 * image's rows and documents and a compact set of the blobs met, not the whole listing:
 * 100,000 images are listed within a few tens of MiB.  The images and the summary are
 * exactly ocidig_layout_list's.  fn's error (not OCIDIG_OK) stops the listing and is
 * returned.  An error may come after images were handed out (an archive found cut or
 * corrupt past them, when the footer counts its files): then *out is NULL. */
typedef ocidig_code (*ocidig_list_image_fn)(void *ctx, const ocidig_listing *head, ocidig_list_image *img,
                                            ocidig_error *err);
ocidig_code ocidig_layout_list_each(ocidig_layout *layout, const ocidig_list_options *opts, ocidig_list_image_fn fn,
                                    void *ctx, ocidig_listing **out, ocidig_error *err);

/* Sets *opts to the defaults (the same as zeroing it); NULL: nothing. */
void ocidig_list_options_init(ocidig_list_options *opts);
/* l->images[i], img->rows[i]; NULL past the end or for NULL. */
const ocidig_list_image *ocidig_listing_image(const ocidig_listing *l, size_t i);
const ocidig_list_row *ocidig_list_image_row(const ocidig_list_image *img, size_t i);

/* ---------------------------------------------------------------- blob copy */

/* Streams a file of the layout to sink and checks that its bytes hash to `digest` (and are `size`
 * bytes, when size >= 0, checked before anything is written).  Files up to small_cap bytes (0: the
 * default) are read and checked before the first byte goes to the sink; larger ones are hashed as
 * they stream, so on digest-mismatch *written bytes already went out unverified.  An archive member
 * not reached yet is streamed as it passes (so a large one works on stdin too).  ctx and written
 * are optional. */
ocidig_code ocidig_copy_verified(ocidig_layout *layout, const char *relpath, const ocidig_digest *digest,
                                 int64_t size, size_t small_cap, ocidig_sink sink, void *ctx, uint64_t *written,
                                 ocidig_error *err);

/* ---------------------------------------------------------------- JSON out */

/* A copy of a JSON text that is valid UTF-8 whatever it holds: each byte that is not part of
 * a well-formed UTF-8 sequence (a tar member name, a path) becomes the visible text \xNN
 * (the JSON text holds \\xNN).  Every *_to_json function above already returns such a
 * text.  Malloc'd; NULL when text is NULL or an allocation failed. */
char *ocidig_json_utf8(const char *text);

/* The *_write_json functions write the text their *_to_json twin returns (valid UTF-8 the
 * same way) to sink, in pieces as it is made: a report of any size costs the memory of one
 * piece (about 64 KiB), not of the whole text.  head and tail: members added to the top
 * object before and after its own, each a key and its value as a JSON text (a number, a
 * quoted string, true, ...; written as it is, not checked); read during the call only. */
typedef struct ocidig_json_member {
  const char *key;
  const char *value;
} ocidig_json_member;
typedef struct ocidig_json_options {
  bool pretty;
  const ocidig_json_member *head, *tail;
  size_t n_head, n_tail;
} ocidig_json_options;
/* Returns OCIDIG_OK, the sink's first error (nothing more is written after it), or
 * out of memory.  opts optional (NULL: plain, no members added). */
ocidig_code ocidig_resolution_write_json(const ocidig_resolution *r, const ocidig_json_options *opts,
                                         ocidig_sink sink, void *ctx, ocidig_error *err);
ocidig_code ocidig_listing_write_json(const ocidig_listing *l, const ocidig_json_options *opts, ocidig_sink sink,
                                      void *ctx, ocidig_error *err);
ocidig_code ocidig_verify_report_write_json(const ocidig_verify_report *r, const ocidig_json_options *opts,
                                            ocidig_sink sink, void *ctx, ocidig_error *err);
/* The listing of a layout (ocidig_layout_list_each) written as it is made: the text of
 * ocidig_listing_write_json over ocidig_layout_list's listing, without the listing ever
 * whole in memory.  *summary (optional) gets the listing's head and summary as
 * ocidig_layout_list_each gives them.  A listing that fails writes nothing: an archive not
 * read to its end once its index is read (one that could still prove cut or corrupt past
 * the images) is listed once without writing first.  Only the sink's error, or running out
 * of memory, can leave the text cut. */
ocidig_code ocidig_layout_list_write_json(ocidig_layout *layout, const ocidig_list_options *opts,
                                          const ocidig_json_options *jopts, ocidig_sink sink, void *ctx,
                                          ocidig_listing **summary, ocidig_error *err);

/* ------------------------------------------------------------------- lock */

/* A lock file (ocidig ls --lock; doc/lock.md has its schema): for every image of the sources
 * its names, digest, platforms (manifest digests) and every blob it needs (digest, size,
 * mediaType, present), from listings made with ocidig_list_options.blobs.  Images are
 * merged by digest across sources and everything is sorted, so the text depends on the
 * images, not on the order or packing of the sources.  Returns OCIDIG_OK, the sink's first
 * error, or out of memory (the text may then be cut). */
typedef struct ocidig_lock_source {
  const char *name;               /* as the user named the source */
  const ocidig_listing *listing;  /* ocidig_list with .blobs set */
} ocidig_lock_source;
ocidig_code ocidig_lock_write_json(const ocidig_lock_source *sources, size_t n_sources, ocidig_sink sink,
                                   void *ctx, ocidig_error *err);

/* ------------------------------------------------------------------ audit */

/* A lock file read back (doc/lock.md).  name: for messages (NULL: "the lock").  Errors:
 * invalid-json (not a lock of version 1), out of memory. */
typedef struct ocidig_lock ocidig_lock;
ocidig_code ocidig_lock_read(const char *text, size_t len, const char *name, ocidig_lock **out, ocidig_error *err);
void ocidig_lock_free(ocidig_lock *lock);

/* What a row of an audit says (ocidig_audit_status_name: "ok", "missing", ...). */
typedef enum ocidig_audit_status {
  OCIDIG_AUDIT_OK = 0,
  OCIDIG_AUDIT_MISSING,    /* the lock has it (an image, a platform, a blob): the bundle does not */
  OCIDIG_AUDIT_EXTRA,      /* an image the lock does not have */
  OCIDIG_AUDIT_DRIFT,      /* a name the lock gives another digest (retagged), or a digest the lock names otherwise */
  OCIDIG_AUDIT_CORRUPT,    /* verify found an error (a digest mismatch, a document that fails) */
  OCIDIG_AUDIT_INCOMPLETE, /* blobs absent, and no lock to say whether they should be there */
  OCIDIG_AUDIT_UNREADABLE, /* the source cannot be read at all */
  OCIDIG_AUDIT_UNSIGNED,   /* --require-signature: no signature of the image verifies */
  OCIDIG_AUDIT_UNATTESTED, /* --require-attestation: no attestation of the type is attached */
  OCIDIG_AUDIT_STATUS_COUNT
} ocidig_audit_status;
const char *ocidig_audit_status_name(ocidig_audit_status status);

/* One row: a source x image x platform (platform NULL: the image or the source as a whole). */
typedef struct ocidig_audit_row {
  const char *source;   /* one of ocidig_audit.sources; NULL: in no source (an image the lock expects) */
  char *image;          /* its first name, else its digest; NULL: the source as a whole */
  char *digest;         /* the image's */
  char *platform;       /* formatted; NULL: the image as a whole, or unknown */
  char *manifest;
  ocidig_audit_status status;
  char *detail;         /* why (NULL when ok) */
} ocidig_audit_row;

typedef struct ocidig_audit {
  char **sources;       /* as given */
  size_t n_sources;
  size_t n_scanned;     /* fewer than n_sources when stopped */
  bool stopped;         /* options.stop was set: the rows are of the sources read so far, not held
                           against the lock */
  ocidig_audit_row *rows; /* by source in the order given, then what no source holds */
  size_t n_rows;
  size_t counts[OCIDIG_AUDIT_STATUS_COUNT]; /* rows by status */
  uint64_t bytes_hashed;
} ocidig_audit;

typedef struct ocidig_audit_options {
  const ocidig_lock *expect;          /* NULL: each source against itself (verify) */
  const ocidig_open_options *open;    /* for each source (flags are added; progress unused) */
  const ocidig_platform *host;
  bool deep;                          /* verify --deep */
  unsigned jobs;                      /* sources at once, 0: one per CPU */
  /* Optional, called on a worker thread (one at a time) as each source is done. */
  void (*progress)(void *ctx, size_t done, size_t total, uint64_t bytes_hashed);
  void *progress_ctx;
  /* Optional: set (e.g. by a signal handler) to stop taking new sources. */
  volatile int *stop;
  /* --require-platform: every image must hold a manifest (present; not an attestation)
   * whose platform each of these matchers accepts, else a missing row names it; names:
   * each one's text, for the rows' details. */
  const ocidig_matcher *const *require_platforms;
  const char *const *require_platform_names;
  size_t n_require_platforms;
  /* --require-signature: every image (not itself a signature or attestation) must carry a
   * signature that verifies with this trust material (verify's), else an unsigned row. */
  const ocidig_trust_options *trust;
  bool require_signature;
  /* --require-attestation TYPE: an attestation of each of these predicate types (a URI, or
   * cosign's names: slsaprovenance, slsaprovenance02, slsaprovenance1, spdx, spdxjson,
   * cyclonedx, vuln, openvex) must be attached to every image, else an unattested row. */
  const char *const *require_attestations;
  size_t n_require_attestations;
} ocidig_audit_options;
void ocidig_audit_options_init(ocidig_audit_options *opts);

/* Every source verified and listed (jobs at a time, each source on one thread), then all of
 * them held against opts->expect.  A source that cannot be read is a row, not an error:
 * errors are usage and out of memory.  The result is the caller's (ocidig_audit_free). */
ocidig_code ocidig_audit_run(const char *const *sources, size_t n_sources, const ocidig_audit_options *opts,
                             ocidig_audit **out, ocidig_error *err);
void ocidig_audit_free(ocidig_audit *audit);

/* ------------------------------------------------------------------- files */

/* The merged root filesystem of an image (ocidig files, ocidig cat --file): its layers
 * applied in order as OCI image-spec layer.md says (whiteouts and opaque directories; a
 * whiteout hides only what lower layers set), each entry with the layer that last set it.
 * Loaded from a resolution (ocidig_layout_resolve: the same selection every command makes),
 * reading each layer's blob through libarchive as a stream (never extracted), its digest
 * checked.  A handle: ocidig_files_free.  One thread at a time (its answers reuse buffers);
 * ocidig_files_cat reads the layout, so the layout's rules apply to it too.  The handle
 * keeps no pointer into the layout or the resolution. */
typedef struct ocidig_files ocidig_files;

/* Read during ocidig_files_load only.  Zeroed: every layer, the merged tree. */
typedef struct ocidig_files_options {
  /* true: the tree up to layer `layer` (0: the bottom one), and ocidig_files_each gives
   * that layer's own changes (added, modified, deleted against the layers below) */
  bool one_layer;
  unsigned layer;
  /* true: each regular file's bytes hashed as the layer is read (ocidig_file.digest) */
  bool digests;
} ocidig_files_options;

/* One entry of the tree.  Strings valid during the callback only. */
typedef struct ocidig_file {
  const char *path;   /* "etc/os-release" (no leading "/"); never the root */
  char type;          /* 'f' file, 'd' directory, 'l' symlink, 'h' hard link, 'c' 'b' devices, 'p' fifo, '?' */
  uint32_t mode;      /* 07777 */
  int64_t uid, gid;
  int64_t size;       /* a file's bytes (a hard link: its target's); 0 for the other types */
  int64_t mtime;      /* seconds since the epoch */
  const char *link;   /* a symlink's target as written, a hard link's target path; else NULL */
  uint32_t devmajor, devminor;
  unsigned layer;     /* the layer (0: the bottom one) that last set it, or that removed it */
  bool implicit;      /* a directory no entry sets, made for an entry beneath it (0755, 0:0) */
  const char *change; /* with one_layer: "added", "modified" or "deleted"; else NULL */
  const char *digest; /* loaded with digests: "sha256:<hex>" of a file's (a hard link: its target's) bytes */
} ocidig_file;

/* "file", "directory", "symlink", "hardlink", "char-device", "block-device", "fifo", "other". */
const char *ocidig_file_type_name(char type);

/* Reads the layers of the image r selected (outcome SELECTED, its manifest read).  Errors:
 * a layer missing (blob-missing; a foreign layer says so), not a layer tar (kind-mismatch),
 * cut short or corrupt (truncated-archive, corrupt-archive: the tree would be incomplete),
 * its bytes not its digest's (digest-mismatch, size-mismatch), a layer a stream has passed
 * (not-rereadable), out of memory; usage: one_layer past the last layer.  Data after a
 * layer's end, or a tar without its end marker, is a warning (ocidig_files_summary_get). */
ocidig_code ocidig_files_load(ocidig_layout *layout, const ocidig_resolution *r, const ocidig_files_options *opts,
                              ocidig_files **out, ocidig_error *err);
void ocidig_files_free(ocidig_files *f);

/* Every entry at or beneath `under` (NULL or "": all; "/usr/bin" and "usr/bin" alike,
 * compared component by component, no link followed), depth first, the entries of a
 * directory in byte order of their names.  With one_layer, that layer's changes only.  fn's
 * error stops the walk and is returned.  *matched (optional): whether anything was at or
 * beneath `under`. */
typedef ocidig_code (*ocidig_files_fn)(void *ctx, const ocidig_file *file, ocidig_error *err);
ocidig_code ocidig_files_each(ocidig_files *f, const char *under, ocidig_files_fn fn, void *ctx, bool *matched,
                              ocidig_error *err);

typedef struct ocidig_files_summary {
  const char *image;      /* the manifest's digest */
  size_t layers;          /* of the image */
  size_t layers_read;     /* all, or one_layer's layer + 1 */
  bool one_layer;
  unsigned layer;
  size_t entries;         /* in the tree, the root not counted */
  size_t files, dirs, symlinks, hardlinks, others;
  uint64_t file_bytes;    /* the regular files' sizes */
  uint64_t wasted_bytes;  /* sizes of regular files a later layer overwrote or removed (dive's wasted space) */
  size_t wasted_files;
  size_t whiteouts, opaques;
  size_t bad_names;       /* absolute names and names with "..", applied as containerd cleans them */
  size_t skipped;         /* entries skipped: all of the reasons below */
  size_t skipped_parent;  /*   their parent is no directory inside the tree */
  size_t too_long;        /*   a name or link target of PATH_MAX (4,096) bytes or more: no unpacker makes it */
  size_t over_bound;      /*   their missing parents would pass the tree's bound on implicit directories
                           *   (65,536 and 4 for each entry: what an input can make it hold) */
  size_t tree_bytes;      /* memory of the tree (bytes per entry: tree_bytes / entries) */
  const char *const *warnings; /* data after a layer's end, a tar without its end marker */
  size_t n_warnings;
} ocidig_files_summary;
/* Strings valid until ocidig_files_free.  NULL f: zeroed. */
void ocidig_files_summary_get(const ocidig_files *f, ocidig_files_summary *out);

typedef struct ocidig_files_layer {
  const char *digest, *media_type;
  int64_t size;
  uint64_t entries, uncompressed_size;
} ocidig_files_layer;
/* Layer i of those read (*out filled, strings valid until ocidig_files_free), or NULL. */
const ocidig_files_layer *ocidig_files_layer_get(const ocidig_files *f, size_t i, ocidig_files_layer *out);

/* The JSON document of `ocidig files --json` (README: image, layer, layers, entries,
 * summary, warnings), the entries of paths[0..n_paths) (none: all), written as it is made. */
ocidig_code ocidig_files_write_json(ocidig_files *f, const char *const *paths, size_t n_paths,
                                    const ocidig_json_options *opts, ocidig_sink sink, void *ctx, ocidig_error *err);

/* Streams the bytes of the file at path (symbolic links followed inside the tree: an
 * absolute target from the image's root; never out of it, at most 40) to sink, from the
 * layer that holds them, reading that layer to its end to check its digest: a mismatch
 * found after bytes went out says so (those bytes must be discarded).  *written
 * (optional): bytes the sink took.  Usage errors (nothing written), each naming the path:
 * not in the tree, removed by a layer (a whiteout), a directory, a type without bytes, a
 * symbolic link leaving the tree, a loop; the others as ocidig_files_load's. */
/* What differs between the trees of two whole images (ocidig diff's "files" section; see
 * ocidig_image_diff): paths only in a (removed), only in b (added), in both but not the same
 * (changed: type, mode, owner, size, link target, device, content).  Paths as written, no
 * link followed; modification times not compared.  Content: the same layer blob and entry
 * hold the same bytes; else the digests (both loaded with digests) decide.  The values are
 * "<type> <mode> <uid>:<gid> [<size> bytes] [-> <link>] [<digest>]". */
ocidig_code ocidig_files_diff(ocidig_files *a, ocidig_files *b, ocidig_diff_fn fn, void *ctx,
                              ocidig_diff_counts *counts, ocidig_error *err);

ocidig_code ocidig_files_cat(ocidig_layout *layout, ocidig_files *f, const char *path, ocidig_sink sink, void *ctx,
                             uint64_t *written, ocidig_error *err);

/* ------------------------------------------------------------------- names */

/* The pattern is ocidig_<noun>_<verb>: ocidig_layout_open, ocidig_matcher_free,
 * ocidig_image_config_parse.  Two forms count as the pattern: a getter or predicate names
 * what it returns after the noun (ocidig_code_name, ocidig_layout_warnings,
 * ocidig_layout_is_archive, ocidig_digest_equal, ocidig_resolution_row), and a conversion
 * says what it converts to (ocidig_resolution_to_json).  Not to the pattern, each with the
 * name to use (declared below; the old names stay, deprecated: the same functions;
 * define OCIDIG_WARN_DEPRECATED before including this header to be warned of them):
 *   ocidig_resolve           no noun          [ocidig_layout_resolve]
 *   ocidig_verify            no noun          [ocidig_layout_verify]
 *   ocidig_list              no noun; its result is an ocidig_listing  [ocidig_layout_list]
 *   ocidig_find_related      verb before noun [ocidig_layout_find_related]
 *   ocidig_copy_verified     verb before noun [ocidig_layout_copy_verified]
 *   ocidig_verify_exit_status  the noun is the report  [ocidig_verify_report_exit_status]
 *   ocidig_layer_compression   the noun is a media type  [ocidig_media_type_compression]
 *   ocidig_json_utf8         no verb          [ocidig_json_make_utf8]
 *   ocidig_version           no verb; as libarchive's archive_version_number, kept */

ocidig_code ocidig_layout_resolve(ocidig_layout *layout, const ocidig_resolve_options *opts, ocidig_resolution **out,
                                  ocidig_error *err);
ocidig_code ocidig_layout_verify(ocidig_layout *layout, const ocidig_verify_options *opts, ocidig_verify_report **out,
                                 ocidig_error *err);
ocidig_code ocidig_layout_list(ocidig_layout *layout, const ocidig_list_options *opts, ocidig_listing **out,
                               ocidig_error *err);
ocidig_code ocidig_layout_find_related(ocidig_layout *layout, const char *digest, ocidig_related **out, size_t *n,
                                       ocidig_error *err);
ocidig_code ocidig_layout_copy_verified(ocidig_layout *layout, const char *relpath, const ocidig_digest *digest,
                                        int64_t size, size_t small_cap, ocidig_sink sink, void *ctx,
                                        uint64_t *written, ocidig_error *err);
int ocidig_verify_report_exit_status(const ocidig_verify_report *r, bool fail_on_warning);
const char *ocidig_media_type_compression(const char *media_type);
char *ocidig_json_make_utf8(const char *text);

/* ------------------------------------------------- signatures: Sigstore bundles */
/* A Sigstore bundle (v0.1, v0.2, v0.3; a message signature or a DSSE envelope) verified
 * offline against a trusted root (trusted_root.json), for an artifact given by its SHA-256
 * digest: the certificate chain to a Fulcio CA valid at the signing time, the SCTs against
 * the root's CT logs, the identity policy, every transparency log entry (body, signed entry
 * timestamp, inclusion proof and its signed checkpoint; Rekor v1 and v2), every RFC 3161
 * timestamp, the signature.  Or, with a key, a bundle signed by that key.  Nothing is
 * fetched: every input is a buffer. */
typedef enum ocidig_sig_verdict {
  OCIDIG_SIG_VERIFIED = 0,        /* verified */
  OCIDIG_SIG_BAD_SIGNATURE,       /* bad-signature: the signature does not verify */
  OCIDIG_SIG_UNTRUSTED_KEY,       /* untrusted-key: no chain to a trusted CA, no valid SCT, a key that is not the one given */
  OCIDIG_SIG_IDENTITY_MISMATCH,   /* identity-mismatch: the certificate's identity or issuer is not the one asked for */
  OCIDIG_SIG_SUBJECT_MISMATCH,    /* subject-mismatch: what is signed is not the artifact */
  OCIDIG_SIG_EXPIRED,             /* expired: a signing time outside a certificate's or key's validity */
  OCIDIG_SIG_TLOG_INVALID,        /* tlog-invalid: a transparency log entry that does not hold */
  OCIDIG_SIG_TIMESTAMP_INVALID,   /* timestamp-invalid: an RFC 3161 timestamp that does not hold, or none at all */
  OCIDIG_SIG_MALFORMED,           /* malformed: the bundle or the trusted root cannot be read */
  OCIDIG_SIG_UNSUPPORTED,         /* unsupported: a version, kind or algorithm this verifier does not know */
  OCIDIG_SIG_NOT_VERIFIED,        /* not-verified: no trust material for it was given */
  OCIDIG_SIG_VERDICT_COUNT_
} ocidig_sig_verdict;
/* The kebab-case name ("bad-signature"); "unknown" out of range. */
const char *ocidig_sig_verdict_name(ocidig_sig_verdict v);

typedef struct ocidig_sig_options {
  const uint8_t *trusted_root; /* trusted_root.json's text (required) */
  size_t trusted_root_len;
  const uint8_t *key_pem;      /* optional: a PEM public key; the bundle must be signed by it */
  size_t key_pem_len;
  /* Certificate policy (bundles signed by a certificate): the SAN (URI, email or DNS name) and the
   * OIDC issuer (extension 1.3.6.1.4.1.57264.1.8, else .1.1), each exact or a POSIX
   * extended regular expression that must match the whole value (NULL: not asked).  One
   * of identity/identity_regexp and one of issuer/issuer_regexp are required. */
  const char *identity, *identity_regexp;
  const char *issuer, *issuer_regexp;
  int64_t now; /* seconds since 1970 for "in the future" and SCTs; 0: the clock */
} ocidig_sig_options;

typedef struct ocidig_sig_artifact {
  uint8_t sha256[32];
} ocidig_sig_artifact;

/* The artifact's digest from its file (read to its end, SHA-256; errors: not-found,
 * io-error), or from "sha256:" and 64 lowercase hex digits (invalid-digest). */
ocidig_code ocidig_sig_artifact_from_file(const char *path, ocidig_sig_artifact *out, ocidig_error *err);
ocidig_code ocidig_sig_artifact_from_digest(const char *digest, ocidig_sig_artifact *out, ocidig_error *err);

#define OCIDIG_SIG_TEXT_MAX 512
typedef struct ocidig_sig_result {
  ocidig_sig_verdict verdict;
  char reason[OCIDIG_ERROR_MESSAGE_MAX]; /* what failed ("" when verified) */
  char signer[OCIDIG_SIG_TEXT_MAX];      /* the certificate's identity, or "key SHA256:<hex>" */
  char issuer[OCIDIG_SIG_TEXT_MAX];      /* the OIDC issuer ("" for a key) */
  int64_t signed_at;                     /* the earliest verified timestamp (0: none) */
  int bundle_version;                    /* 1, 2, 3 (v0.1 .. v0.3); 0: unread */
  bool dsse;                             /* a DSSE envelope (else a message signature) */
} ocidig_sig_result;

/* Verifies bundle (its JSON text) for artifact.  OCIDIG_OK whenever a verdict was reached
 * (verified or not: see res->verdict and res->reason); OCIDIG_ERR_USAGE for a missing
 * argument or policy, OCIDIG_ERR_NOMEM (out of memory is never a verdict). */
ocidig_code ocidig_sig_verify_bundle(const uint8_t *bundle, size_t bundle_len, const ocidig_sig_artifact *artifact,
                                     const ocidig_sig_options *opts, ocidig_sig_result *res, ocidig_error *err);
/* The result as JSON, pretty (malloc'd, NULL when out of memory):
 * {"verdict": name, "verified": bool, "reason": text, "signer": text, "issuer": text,
 *  "signedAt": seconds or null, "bundleVersion": "0.N", "content": "messageSignature"|"dsseEnvelope"}. */
char *ocidig_sig_result_to_json(const ocidig_sig_result *res);

/* ------------------------------------------------- signatures: Notation */
/* Notation (Notary Project) signatures verified offline: a JWS JSON (application/jose+json)
 * or COSE_Sign1 (application/cose) envelope, against a trust policy (trustpolicy.json or
 * trustpolicy.oci.json, version "1.0") and a trust store directory
 * (x509/{ca,signingAuthority,tsa}/NAME/ *.pem|crt|cer, PEM or DER), both in Notation's own
 * formats.  Nothing is fetched: revocation (OCSP, CRL) is not checked, and a chain is
 * checked at the verification time (the clock, or the authentic signing time of the
 * notary.x509.signingAuthority scheme); an RFC 3161 timestamp in the envelope is not used.
 *
 * A policy applies by registryScopes: the one whose scopes list the target's repository
 * (ocidig_notation_target.repository, e.g. "docker.io/library/alpine": an offline bundle
 * names one only through its ref names), else the global one ("*"), else none (the
 * verdict is untrusted-key).  The checks, in order, and what each level makes of a failure:
 *   integrity: the envelope, its algorithm against the signing key, the signature, the
 *     certificate chain it carries (each signed by the next, Notation's code-signing and
 *     CA requirements), the payload's targetArtifact against the target (digest, size,
 *     mediaType): enforced at every level;
 *   authenticity: the chain to a certificate of the policy's trust stores (untrusted-key),
 *     trustedIdentities against the signing certificate's subject (identity-mismatch):
 *     enforced by strict and permissive, logged by audit;
 *   authentic timestamp: every certificate of the chain valid at the verification time
 *     (expired): enforced by strict, logged by permissive and audit;
 *   expiry (io.cncf.notary.expiry) against the verification time (expired): enforced by
 *     strict, logged by permissive and audit;
 * a policy's "override" changes authenticity, authenticTimestamp and expiry to enforce or
 * log.  Level skip: nothing is checked (skipped is set; the verdict is verified). */
typedef struct ocidig_notation_trust ocidig_notation_trust;

/* Reads the trust policy (its file) and, from store_dir, every named store the policy's
 * trustStores name.  Errors: not-found, io-error (a file), invalid-json (the policy's
 * text), usage (a policy Notation would refuse, a named store that is missing or a
 * symbolic link, a certificate file that holds no certificate), out-of-memory. */
ocidig_code ocidig_notation_trust_load(const char *policy_path, const char *store_dir, ocidig_notation_trust **out,
                                       ocidig_error *err);
/* The same from the policy's text; policy_name names it in messages. */
ocidig_code ocidig_notation_trust_parse(const uint8_t *policy, size_t len, const char *policy_name,
                                        const char *store_dir, ocidig_notation_trust **out, ocidig_error *err);
void ocidig_notation_trust_free(ocidig_notation_trust *t);

typedef struct ocidig_notation_target {
  const char *media_type; /* the signed manifest's descriptor */
  const char *digest;
  int64_t size;
  const char *repository; /* its fully qualified repository, or NULL: only a "*" scope applies */
} ocidig_notation_target;

typedef struct ocidig_notation_result {
  ocidig_sig_result sig; /* verdict and reason; signer: the signing certificate's subject;
                          * issuer: its issuer; signed_at: the signing time the envelope
                          * states (notary.x509: the signer's claim, not a timestamp) */
  char policy[128];      /* the trust policy applied ("" none) */
  char level[16];        /* strict, permissive, audit or skip ("" none) */
  char envelope[8];      /* "jws" or "cose" ("" unread) */
  char alg[8];           /* PS256 .. ES512 ("" unread) */
  bool authentic_time;   /* signed_at is the notary.x509.signingAuthority scheme's authentic
                          * signing time (else the time notary.x509's signer states) */
  bool skipped;          /* level skip: not verified */
  char logged[OCIDIG_ERROR_MESSAGE_MAX]; /* the failures the level only logs, "; " between */
} ocidig_notation_result;

/* Verifies one envelope (the signature manifest's layer: its bytes and media type) for
 * target, at `now` (seconds since 1970; 0: the clock).  OCIDIG_OK whenever a verdict was
 * reached (see res->sig.verdict); OCIDIG_ERR_USAGE for a missing argument, OCIDIG_ERR_NOMEM.
 * Built without libcbor, a COSE envelope's verdict is unsupported ("built without
 * libcbor"). */
ocidig_code ocidig_notation_verify(const ocidig_notation_trust *t, const char *media_type, const uint8_t *envelope,
                                   size_t len, const ocidig_notation_target *target, int64_t now,
                                   ocidig_notation_result *res, ocidig_error *err);
/* The result as JSON, pretty (malloc'd; NULL when out of memory): ocidig_sig_result_to_json's
 * verdict, verified, reason, signer, issuer, signedAt, and "scheme": "notation",
 * "envelope", "alg", "policy", "level", "skipped", "logged". */
char *ocidig_notation_result_to_json(const ocidig_notation_result *res);

/* ------------------------------------------- attached signatures verified (verify) */
/* Trust material for the signatures attached to images (ocidig verify --key ...).  Any
 * field may be absent; with none, signatures are listed as not-verified. */
typedef struct ocidig_trust_options {
  const uint8_t *key_pem;      /* cosign: a PEM public key (--key) */
  size_t key_pem_len;
  const uint8_t *trusted_root; /* Sigstore: trusted_root.json's text (--trusted-root) */
  size_t trusted_root_len;
  /* the certificate policy, as ocidig_sig_options has it (the SAN matched: URI, email or
   * DNS name); with ca_roots the issuer may be absent (a private PKI's certificate has no
   * OIDC issuer extension: not asked) */
  const char *identity, *identity_regexp;
  const char *issuer, *issuer_regexp;
  /* cosign: a private PKI (--ca-roots, --ca-intermediates): PEM text of one or more
   * certificates each.  A signature's certificate must chain to one of ca_roots (every one a
   * trust anchor) through ca_intermediates and the intermediates of its chain annotation
   * (every certificate of the chain with an extended key usage naming code signing or any),
   * at its verified signing time, else at `now`; no SCT and no transparency log asked for
   * (those of the trusted root, when one is also given, are still checked). */
  const uint8_t *ca_roots;
  size_t ca_roots_len;
  const uint8_t *ca_intermediates; /* optional */
  size_t ca_intermediates_len;
  /* Notation: the trust policy and store (ocidig_notation_trust_load) */
  const ocidig_notation_trust *notation;
  int64_t now; /* 0: the clock */
} ocidig_trust_options;
/* Is any trust material given (a key, a trusted root, CA roots, a trust policy)? */
bool ocidig_trust_options_any(const ocidig_trust_options *t);
/* Is pem (len bytes) what ca_roots and ca_intermediates take: PEM text of one certificate or
 * more, every PEM block a certificate?  OCIDIG_OK, the count in *count (may be NULL);
 * OCIDIG_ERR_USAGE when it is not (the message says why, without a file name: the caller
 * names its file); OCIDIG_ERR_NOMEM. */
ocidig_code ocidig_sig_pem_certs_check(const uint8_t *pem, size_t len, size_t *count, ocidig_error *err);

#define OCIDIG_SIG_DIGEST_MAX 160
/* One attached signature's verdict. */
typedef struct ocidig_sig_check {
  ocidig_attached_kind kind;
  ocidig_attached_scheme scheme;
  char subject[OCIDIG_SIG_DIGEST_MAX];  /* the image or platform manifest it is attached to */
  char manifest[OCIDIG_SIG_DIGEST_MAX]; /* the signature manifest (a dir: signature file: its path) */
  char layer[OCIDIG_SIG_DIGEST_MAX];    /* the layer that holds the signature (cosign: one a layer;
                                         * a bundle or envelope; a dir: sigstore signature: the
                                         * digest of its payload, as its layer's would be), or "" */
  ocidig_sig_verdict verdict;           /* OCIDIG_SIG_NOT_VERIFIED without trust material for it */
  char reason[OCIDIG_ERROR_MESSAGE_MAX];
  char signer[OCIDIG_SIG_TEXT_MAX];     /* "key SHA256:<hex of the SPKI's SHA-256>", or the certificate identity */
  char issuer[OCIDIG_SIG_TEXT_MAX];     /* the OIDC issuer ("" for a key) */
  int64_t signed_at;                    /* the verified signing time (0: none) */
} ocidig_sig_check;

#if defined(OCIDIG_WARN_DEPRECATED) && defined(__GNUC__)
#define OCIDIG_DEPRECATED_(use) __attribute__((deprecated("use " use)))
OCIDIG_DEPRECATED_("ocidig_layout_resolve")
ocidig_code ocidig_resolve(ocidig_layout *, const ocidig_resolve_options *, ocidig_resolution **, ocidig_error *);
OCIDIG_DEPRECATED_("ocidig_layout_verify")
ocidig_code ocidig_verify(ocidig_layout *, const ocidig_verify_options *, ocidig_verify_report **, ocidig_error *);
OCIDIG_DEPRECATED_("ocidig_layout_list")
ocidig_code ocidig_list(ocidig_layout *, const ocidig_list_options *, ocidig_listing **, ocidig_error *);
OCIDIG_DEPRECATED_("ocidig_layout_find_related")
ocidig_code ocidig_find_related(ocidig_layout *, const char *, ocidig_related **, size_t *, ocidig_error *);
OCIDIG_DEPRECATED_("ocidig_layout_copy_verified")
ocidig_code ocidig_copy_verified(ocidig_layout *, const char *, const ocidig_digest *, int64_t, size_t, ocidig_sink,
                                 void *, uint64_t *, ocidig_error *);
OCIDIG_DEPRECATED_("ocidig_verify_report_exit_status")
int ocidig_verify_exit_status(const ocidig_verify_report *, bool);
OCIDIG_DEPRECATED_("ocidig_media_type_compression")
const char *ocidig_layer_compression(const char *);
OCIDIG_DEPRECATED_("ocidig_json_make_utf8")
char *ocidig_json_utf8(const char *);
#undef OCIDIG_DEPRECATED_
#endif

#ifdef __cplusplus
}
#endif
#endif /* OCIDIG_H */
