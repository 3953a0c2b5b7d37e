/* ocidig.h: public API of libocidig, an offline inspector for OCI image layouts.
 *
 * Conventions:
 *  - Every fallible function returns an ocidig_code (OCIDIG_OK is 0) and, when
 *    given a non-NULL ocidig_error, fills it with the same code and a message that
 *    names the file or digest at fault.
 *  - The library never prints, never exits and keeps no global state.  The host
 *    platform is always an explicit argument.
 *  - Strings in structs are owned by the struct; a NULL string means "".
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
#define OCIDIG_MAX_INDEX_DESCRIPTORS 100000              /* children of one index */
#define OCIDIG_MAX_ARCHIVE_MEMBERS   200000              /* members of one archive */
#define OCIDIG_MAX_KEPT_BYTES        (48u * 1024 * 1024) /* small members kept in memory, in total */
#define OCIDIG_DEFAULT_SMALL_CAP     (4u * 1024 * 1024)  /* members up to this size are kept */
#define OCIDIG_MAX_DIGEST_LENGTH     (7 + 128)           /* "sha512:" + 128 hex */
#define OCIDIG_MAX_PATH_LENGTH       4096                /* a member name or a path in the layout */

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
  OCIDIG_CODE_COUNT_
} ocidig_code;

#define OCIDIG_ERROR_MESSAGE_MAX 1024

typedef struct ocidig_error {
  ocidig_code code;
  char message[OCIDIG_ERROR_MESSAGE_MAX];
} ocidig_error;

/* The stable kebab-case name of a code ("digest-mismatch", ...). */
const char *ocidig_code_name(ocidig_code code);
/* The exit status the CLI uses for a code (RESOLUTION.md §5): 2 usage, 3 unreadable, 4 integrity. */
int ocidig_code_exit_status(ocidig_code code);
const char *ocidig_version(void);

/* ---------------------------------------------------------------- platforms */

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
bool ocidig_platform_equal(const ocidig_platform *a, const ocidig_platform *b);

/* containerd platforms.Parse (newest): "os", "arch", "os/arch", "os/arch/variant",
 * "os(version+feature...)/...".  A lone os or arch takes the rest from `host`. */
ocidig_code ocidig_platform_parse(const char *specifier, const ocidig_platform *host,
                                  ocidig_platform *out, ocidig_error *err);
/* containerd platforms.Normalize (newest).  An empty os becomes host->os. */
ocidig_code ocidig_platform_normalize(const ocidig_platform *in, const ocidig_platform *host,
                                      ocidig_platform *out, ocidig_error *err);
/* containerd platforms.FormatAll: "os(version+f1+f2)/arch/variant"; "unknown" when os is
 * empty.  Returns a malloc'd string, NULL on allocation failure. */
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

typedef struct ocidig_matcher ocidig_matcher;

/* Builds a matcher.  The platforms are taken raw (Only/OnlyStrict normalize them, as
 * containerd does); `host` is used wherever an empty os must be filled in. */
ocidig_code ocidig_matcher_new(ocidig_matcher_kind kind, const ocidig_platform *platforms,
                               size_t n_platforms, const ocidig_platform *host,
                               ocidig_matcher **out, ocidig_error *err);
void ocidig_matcher_free(ocidig_matcher *m);
/* Match(candidate); the candidate is raw (normalized inside). */
bool ocidig_matcher_match(const ocidig_matcher *m, const ocidig_platform *candidate);
/* Less(a, b): a is preferred over b. */
bool ocidig_matcher_less(const ocidig_matcher *m, const ocidig_platform *a, const ocidig_platform *b);
/* Stable sort of n candidates by Less; writes the permutation (input positions) to order. */
ocidig_code ocidig_matcher_sort(const ocidig_matcher *m, const ocidig_platform *const *candidates,
                                size_t n, size_t *order, ocidig_error *err);
/* The platforms the matcher accepts, most preferred first (Only: the fallback vector;
 * OnlyStrict: the one normalized platform).  Returns the count; *out points into m. */
size_t ocidig_matcher_accepts(const ocidig_matcher *m, const ocidig_platform **out);
/* The request as given (normalized for Only/OnlyStrict), for reports. */
const ocidig_platform *ocidig_matcher_request(const ocidig_matcher *m);

/* ------------------------------------------------------------------ digests */

typedef enum ocidig_digest_alg { OCIDIG_DIGEST_SHA256 = 0, OCIDIG_DIGEST_SHA512 = 1 } ocidig_digest_alg;

#define OCIDIG_DIGEST_STRING_MAX (OCIDIG_MAX_DIGEST_LENGTH + 1)

typedef struct ocidig_digest {
  ocidig_digest_alg alg;
  char hex[129]; /* lowercase, NUL-terminated: 64 or 128 characters */
} ocidig_digest;

/* Parses "alg:hex" per the OCI grammar; only sha256 and sha512 are supported. */
ocidig_code ocidig_digest_parse(const char *s, size_t len, ocidig_digest *out, ocidig_error *err);
/* Writes "alg:hex" into buf (at least OCIDIG_DIGEST_STRING_MAX bytes). */
void ocidig_digest_format(const ocidig_digest *d, char *buf);
const char *ocidig_digest_alg_name(ocidig_digest_alg alg);
/* "blobs/<alg>/<hex>" into buf (at least OCIDIG_DIGEST_STRING_MAX + 8 bytes). */
void ocidig_digest_blob_path(const ocidig_digest *d, char *buf);
bool ocidig_digest_equal(const ocidig_digest *a, const ocidig_digest *b);

/* ------------------------------------------------------------------ layouts */

typedef struct ocidig_layout ocidig_layout;

enum {
  /* Read every archive member now (default: lazily, only as far as asked). */
  OCIDIG_OPEN_FULL_SCAN = 1u << 0,
  /* Hash every blobs/<alg>/<hex> member with <alg> while streaming (implies FULL_SCAN). */
  OCIDIG_OPEN_HASH_BLOBS = 1u << 1,
};

typedef struct ocidig_open_options {
  unsigned flags;
  size_t small_cap; /* 0: OCIDIG_DEFAULT_SMALL_CAP */
  /* Optional progress callback (bytes read from the input so far, total or -1). */
  void (*progress)(void *ctx, uint64_t done, int64_t total);
  void *progress_ctx;
} ocidig_open_options;

/* Opens a layout directory, an archive file, or "-" (an archive on stdin). */
ocidig_code ocidig_layout_open(const char *path, const ocidig_open_options *opts, ocidig_layout **out,
                               ocidig_error *err);
void ocidig_layout_close(ocidig_layout *layout);
bool ocidig_layout_is_archive(const ocidig_layout *layout);

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

typedef struct ocidig_entry {
  const char *path;     /* relative to the layout root, no "./" */
  ocidig_entry_type type;
  int64_t size;         /* regular files */
  const char *link_target; /* symlinks and hard links, else NULL */
  bool escapes;         /* a link that leaves the root, or an unsafe name */
  bool duplicate;       /* the archive held this name more than once (this is the last) */
  ocidig_hash_state hash;
  char actual_hex[129]; /* with OCIDIG_HASH_MISMATCH: what the bytes hash to */
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
 * (RESOLUTION.md §7.11).  At most `max` bytes are read (else OCIDIG_ERR_JSON_TOO_LARGE). */
ocidig_code ocidig_layout_read_blob(ocidig_layout *layout, const ocidig_digest *digest, int64_t size,
                                    size_t max, uint8_t **data, size_t *len, ocidig_error *err);
/* Streams a file's bytes to `sink` in chunks (bounded memory). */
typedef ocidig_code (*ocidig_sink)(void *ctx, const void *buf, size_t len, ocidig_error *err);
ocidig_code ocidig_layout_stream_file(ocidig_layout *layout, const char *relpath, ocidig_sink sink,
                                      void *ctx, ocidig_error *err);
/* Reads the rest of an archive (no-op for a directory). */
ocidig_code ocidig_layout_scan_all(ocidig_layout *layout, ocidig_error *err);
/* All entries seen (after scan_all: all entries; for a directory, a walk of the tree,
 * links not followed).  Valid until the layout is closed. */
ocidig_code ocidig_layout_entries(ocidig_layout *layout, const ocidig_entry **entries, size_t *n,
                                  ocidig_error *err);
/* Warnings gathered while reading (unsafe members ignored, duplicates, ...). */
size_t ocidig_layout_warnings(const ocidig_layout *layout, const char *const **warnings);
/* Bytes read from the input so far (after decompression: archive bytes consumed). */
uint64_t ocidig_layout_bytes_read(const ocidig_layout *layout);

/* -------------------------------------------------------------- media types */

#define OCIDIG_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define OCIDIG_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCIDIG_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define OCIDIG_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"

typedef enum ocidig_kind { OCIDIG_KIND_OTHER = 0, OCIDIG_KIND_INDEX, OCIDIG_KIND_MANIFEST } ocidig_kind;

ocidig_kind ocidig_media_type_kind(const char *media_type);
/* "oci-index", "oci-manifest", "docker-list", "docker-manifest", or the type itself. */
const char *ocidig_media_type_short(const char *media_type);

/* -------------------------------------------------------------- descriptors */

typedef struct ocidig_annotation {
  char *key;
  char *value;
} ocidig_annotation;

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

typedef struct ocidig_resolve_options {
  /* NULL: the nil matcher (no filter, no sort, configs not read). */
  const ocidig_matcher *matcher;
  const ocidig_platform *host;
  const char *ref; /* NULL, "NAME" or "@DIGEST" */
} ocidig_resolve_options;

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
} ocidig_resolution;

/* Resolves the manifest for the matcher.  Always fills *out (also on error); returns
 * the error code (OCIDIG_OK for "selected" and "no-match"). */
ocidig_code ocidig_resolve(ocidig_layout *layout, const ocidig_resolve_options *opts,
                           ocidig_resolution **out, ocidig_error *err);
void ocidig_resolution_free(ocidig_resolution *r);
/* The RESOLUTION.md §6 report as a JSON text (malloc'd, caller frees). */
char *ocidig_resolution_to_json(const ocidig_resolution *r, bool pretty);

#ifdef __cplusplus
}
#endif
#endif /* OCIDIG_H */
