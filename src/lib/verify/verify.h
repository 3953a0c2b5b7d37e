/* verify.h: the private state and the seams of `ocidig verify` (src/lib/verify/).
 *
 * The files, by concept (ocidig_verify in report.c runs them in this order):
 *  listing.c           the listing: links, special members, unsafe names, duplicates, blob names
 *  layout_rules.c      the blob table (each digest once: listed, present, hashed) and the root
 *                      (index.json or manifest.json, then oci-layout)
 *  descriptor_rules.c  the shape problems the graph found in a document (shape.c: its header,
 *                      each descriptor) as findings; ref names
 *  scope.c             --ref and --platform: what ocidig_resolve picks for each image
 *  walk.c              the walk of the documents from index.json, over the graph (graph.h):
 *                      each document read once per layout, as every command reads it
 *  hash.c              hashing what the walk did not read (a pool of threads for a directory)
 *  docker_files.c      docker save archives: the files manifest.json names (links followed,
 *                      hashed once), and the files nothing names
 *  docker_rules.c      docker save archives: manifest.json's shape, configs, layers against
 *                      diff_ids, repositories against RepoTags, a hybrid's disagreements
 *  deep.c              verify --deep: the layers in scope read once, diff_ids, hazards across layers;
 *                      deep_entries.c (a layer's record as it is read), deep_sets.c (hash sets),
 *                      deep_pass.c (layers read in an archive's one pass), deep_int.h
 *  findings.c          the one table of finding codes (code, severity, meaning)
 *  pool.c              the strings kept for blobs and rows, in chunks, interned where they repeat
 *  report.c            findings as they are found, the conclusions, the report
 *  report_json.c       the report as JSON, written as it is made
 *
 * Not thread-safe: one vstate per ocidig_verify call (hash.c's workers touch only their jobs). */
#ifndef OCIDIG_VERIFY_H
#define OCIDIG_VERIFY_H

#include "descriptor.h"
#include "layout.h"
#include "strtab.h"
#include "view.h"

#include <string.h>

#define ANN_REF_NAME "org.opencontainers.image.ref.name"
#define ANN_CONTAINERD_NAME "io.containerd.image.name"
#define ANN_REF_TYPE "vnd.docker.reference.type"
#define ANN_REF_DIGEST "vnd.docker.reference.digest"
#define MT_EMPTY "application/vnd.oci.empty.v1+json"
#define EMPTY_DIGEST "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"

#define MAX_FINDINGS 5000
#define OCI_TRIM_AFTER ((size_t)1 << 20)
#define NONE ((size_t)-1)
#define FNV0 1469598103934665603u

/* ------------------------------------------------------------ finding codes */

/* Every finding has one of these codes; findings.c holds each one's name, severity and
 * meaning (the README's table is printed from it: tests/check_findings.c).  A code is added
 * here and in findings.c's table, nowhere else. */
typedef enum oci_vcode {
  /* errors */
  VF_OCI_LAYOUT_MISSING,
  VF_BAD_OCI_LAYOUT,
  VF_MISSING_INDEX_JSON,
  VF_INVALID_JSON,
  VF_JSON_TOO_LARGE,
  VF_SCHEMA_VERSION,
  VF_MEDIA_TYPE_MISMATCH,
  VF_KIND_MISMATCH,
  VF_FIELD_MISSING,
  VF_FIELD_TYPE,
  VF_INVALID_DIGEST,
  VF_UNSUPPORTED_DIGEST_ALGORITHM,
  VF_SIZE_NEGATIVE,
  VF_BLOB_MISSING,
  VF_BLOB_UNREADABLE,
  VF_LISTING_UNREADABLE,
  VF_SIZE_MISMATCH,
  VF_DIGEST_MISMATCH,
  VF_DATA_MISMATCH,
  VF_EMPTY_DESCRIPTOR_INVALID,
  VF_INDEX_CYCLE,
  VF_NESTING_TOO_DEEP,
  VF_LIMIT_EXCEEDED,
  VF_LINK_ESCAPES,
  VF_SPECIAL_MEMBER,
  VF_PATH_UNSAFE,
  VF_MEMBER_REPLACED,
  VF_REF_NAME_DUPLICATE,
  VF_PLATFORM_NOT_FOUND,
  VF_DOCKER_MANIFEST_INVALID,
  VF_DIFF_ID_MISMATCH,
  VF_MEDIA_TYPE_INVALID,
  VF_URL_INVALID,
  /* errors of verify --deep (deep.c) */
  VF_LAYER_COUNT_MISMATCH,
  VF_LAYER_TRUNCATED,
  VF_LAYER_CORRUPT,
  VF_LAYER_TRAILING_DATA,
  VF_LAYER_TAR_INVALID,
  VF_LAYER_PATH_UNSAFE,
  VF_LAYER_PATH_THROUGH_SYMLINK,
  VF_LAYER_HARDLINK_MISSING,
  /* warnings */
  VF_JSON_DUPLICATE_KEY,
  VF_LINK_MEMBER,
  VF_DUPLICATE_MEMBER,
  VF_BLOB_NAME_INVALID,
  VF_REF_NAME_INVALID,
  VF_REF_NAME_REPEATED,
  VF_ATTESTATION_SUBJECT_MISSING,
  VF_CONFIG_PLATFORM_MISMATCH,
  VF_BLOB_UNREFERENCED,
  VF_IMAGE_INCOMPLETE,
  VF_PLATFORM_MISMATCH,
  VF_REPOSITORIES_MISMATCH,
  VF_DOCKER_MANIFEST_DISAGREES,
  VF_LAYERS_EMPTY,
  VF_CONFIG_ENV_INVALID,
  /* warnings of verify --deep */
  VF_LAYER_WHITEOUT_MALFORMED,
  VF_LAYER_SPECIAL_FILE,
  VF_LAYER_SETUID,
  VF_LAYER_SETGID,
  /* info */
  VF_FOREIGN_LAYER_ABSENT,
  VF_UNKNOWN_MEDIA_TYPE,
  VF_LAYER_WORLD_WRITABLE,
  VF_LAYER_NOT_READ,
  VF_LAYER_TAR_NO_END,
  VF_N_CODES
} oci_vcode;

typedef struct oci_vcode_info {
  const char *code;         /* stable kebab-case name (the report's and the JSON's "code") */
  ocidig_severity severity; /* never changes for a code */
  bool docker;              /* only in docker save archives (manifest.json) */
  const char *meaning;      /* one line: the condition */
  const char *readme;       /* what the README adds in parentheses, or NULL */
  const char *rule;         /* the image spec's rule it checks (file, section: MUST/SHOULD), or NULL */
} oci_vcode_info;

/* The entry of a code (never NULL for a code of the enum). */
const oci_vcode_info *oci_vcode_get(oci_vcode c);
/* The finding for a library error code (a graph node's, a read's): the same name where the
 * condition is the same, blob-unreadable for what could not be read. */
oci_vcode oci_vcode_of(ocidig_code rc);
/* The whole table, in the enum's order. */
const oci_vcode_info *oci_vcode_table(size_t *n);

/* -------------------------------------------------------------------- state */

typedef struct vctx {
  long image; /* -1: the layout */
  long plat;  /* global platform record, -1: none */
} vctx;

#define LAYOUT_CTX ((vctx){-1, -1})

/* One digest, once (a layout of 100,000 images has 100,000 of them: kept small).  Its digest is
 * not copied: a blob the member table names (blobs/<alg>/<hex>, a regular file) refers to
 * its member, whose name holds the digest; only a digest that names no member keeps its
 * own string (v->own).  oci_vblob_digest gives it as text, oci_vblob_d as a digest. */
#define VBLOB_OWN 0x80000000u
#define VNONE32 UINT32_MAX
typedef struct vblob {
  int64_t size;     /* actual size when present */
  char *actual;     /* "alg:hex" of the bytes, with OCIDIG_HASH_MISMATCH */
  char *read_error;
  uint32_t name;    /* the member's index, or VBLOB_OWN | its string's index in v->own */
  uint32_t unit;    /* manifest memo (VNONE32: none) */
  int32_t index_image; /* the image an index was walked for */
  int32_t image, plat; /* first walked reference, for findings */
  uint8_t hash;        /* ocidig_hash_state */
  uint8_t index_state; /* 0 new, 1 open, 2 done */
  bool listed : 1;     /* a blob path in the listing */
  bool present : 1;    /* a regular file (or, in a directory, a link to one inside the layout) */
  bool unreadable : 1; /* present, but could not even be looked at (size unknown): read_error says why */
  bool looked_up : 1;
  bool referenced : 1; /* a walked descriptor points at it */
  bool described : 1;  /* a descriptor of a parsed index points at it */
  bool scope : 1;      /* --platform/--ref: the walk may descend into it */
  bool missing_counted : 1;
  bool hashed_here : 1;    /* bytes_hashed already counts it */
  bool index_complete : 1; /* every platform under it complete (set when done) */
  bool entry_scoped : 1;   /* --platform: scope_from_resolution ran for an index.json entry with this digest */
} vblob;

typedef struct vmissing {
  size_t blob;
  const char *role;
  long index;
  int64_t size;
} vmissing;

/* A manifest (or other leaf, or a missing index) once, whoever points at it. */
typedef struct vunit {
  int64_t size;
  vmissing *missing;
  uint32_t blob;
  uint32_t config_platform; /* interned in v->pool (oci_vpool_str), VNONE32: none */
  uint32_t n_blobs, n_missing;
  uint32_t n_unverified; /* blobs whose digest has an unregistered algorithm: cannot be verified */
  bool is_index;
  bool broken; /* the manifest or its config cannot be used (read, JSON, kind, config): not complete */
} vunit;

/* One manifest of one image (100,000 images: 100,000 of them, kept small: strings by their
 * number in the pool's interned list, the rare ones apart). */
typedef struct vplat {
  uint32_t platform;   /* interned (oci_vpool_str), VNONE32: none (the descriptor has no platform) */
  uint32_t media_type; /* interned */
  uint32_t unit;       /* VNONE32: none */
  uint32_t again;      /* VNONE32, or the blob of an index walked already (on another path): this row stands for it */
  int32_t image;
  uint32_t rare;       /* VNONE32, or its vplat_rare in v->prare */
} vplat;

/* What few rows have (in v->pool): the digest an attestation manifest attests, and the
 * digest (of an unregistered algorithm) of a manifest or index that cannot be verified
 * (then unit and again are VNONE32). */
typedef struct vplat_rare {
  const char *attestation_of;
  const char *unverified;
} vplat_rare;

/* An entry of index.json in scope, as the walk keeps it: the report's image is made from it
 * after the walk (oci_vimage_digest: its digest). */
typedef struct vimage {
  const char *name;       /* in the pool */
  const char *media_type; /* interned in the pool */
  const char *digest;     /* in the pool when it is not its blob's (as written), else NULL */
  uint32_t blob;          /* the blob named by its digest, VNONE32: none */
  uint32_t rows;          /* build_report: how many rows it has, then where they start */
} vimage;

typedef struct vatt {
  char *target;
  char *where;
  char *digest; /* the attestation manifest */
  long image;
} vatt;

/* A descriptor as read, leniently: whatever is usable, after the findings. */
typedef struct vdesc {
  char *where;
  char *media_type;
  char *digest; /* valid digests only */
  ocidig_digest d;
  bool digest_ok;
  int64_t size;
  bool size_ok;
  bool has_platform;
  ocidig_platform platform;
  char *ref_name, *containerd_name, *ref_type, *ref_digest;
  bool foreign;
  bool borrowed; /* the strings (all but where) and the platform's are the graph's: not freed */
} vdesc;

/* Open addressing over indexes (+1) of an array whose element i has the key key(ctx, i)
 * (docker save archives: the listing and the files by path, names). */
typedef struct ptab {
  size_t *t;
  size_t cap, used;
} ptab;

typedef struct vfinding {
  ocidig_finding f;
  uint64_t key;
} vfinding;

/* pool.c: strings kept in chunks; those that repeat, once (interned). */
typedef struct vpool {
  char **chunks;
  size_t n_chunks, cap_chunks;
  size_t used, size; /* of the last chunk */
  const char **interned;
  size_t n_interned, cap_interned;
  oci_strtab tab;
} vpool;

/* A report's rows as the OCI walk makes them (ocidig_verify_report.storage): every platform
 * and missing blob in one array each, their strings and the images' in the pool that held
 * them during the verification. */
struct ocidig_verify_storage {
  vpool pool;
  ocidig_verify_platform *platforms;
  ocidig_verify_missing *missing;
};

typedef struct vstate {
  ocidig_layout *l;
  const ocidig_verify_options *o;
  ocidig_verify_report *r;
  const ocidig_platform *host;
  bool scoped;
  bool root_walked; /* index.json was read and its children listed */
  bool nomem;
  vpool pool;
  vblob *blobs;
  size_t n_blobs, cap_blobs;
  /* blobs by digest: through the member table (by_member[member index], VNONE32: none; the
   * members the listing saw), else through tab over the digests that name no member (own) */
  uint32_t *by_member;
  size_t n_by_member;
  const char **own; /* in the pool */
  size_t n_own, cap_own;
  oci_strtab tab;
  const char **kept; /* build_report: each blob's digest in the pool, once (NULL: not yet) */
  vunit *units;
  size_t n_units, cap_units;
  vplat *plats;
  size_t n_plats, cap_plats;
  vplat_rare *prare;
  size_t n_prare, cap_prare;
  vimage *vimages; /* the OCI walk's images (a docker save's are the report's at once) */
  size_t n_vimages, cap_vimages;
  vatt *atts;
  size_t n_atts, cap_atts;
  vfinding *findings;
  size_t n_findings, cap_findings;
  size_t *ftab;
  size_t ftab_cap;
  uint64_t bytes_hashed;
  size_t released; /* kept bytes of manifests released since the heap was last trimmed */
  /* the view the walk reads through; `foreign`: a format whose blobs are not blobs/<alg>/<hex>
   * (containers/image dir:, docker save): their files are where the view says (docker_files.c) */
  oci_view *view;
  bool foreign;
  /* docker save archives */
  bool docker;              /* manifest.json without index.json */
  const ocidig_entry *ents; /* the listing, looked up by path through etab */
  size_t n_ents;
  ptab etab;
  struct dfile *dfiles; /* the config and layer files, each once, by path */
  size_t n_dfiles, cap_dfiles;
  ptab dtab;
  /* verify --deep (deep.c): the layers and manifests to read inside */
  struct vdeep *deep;
} vstate;

/* ------------------------------------------------------------------ helpers */

static inline uint64_t oci_vfnv(uint64_t h, const char *s)
{
  if (!s)
    return (h ^ 0xff) * 1099511628211u;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211u;
  return (h ^ 0xfe) * 1099511628211u;
}

static inline bool oci_vjson_is(json_object *v, json_type t)
{
  return v && json_object_is_type(v, t);
}

/* b's digest as "alg:hex": its own string, or formatted from its member's name into buf
 * (OCIDIG_DIGEST_STRING_MAX bytes). */
const char *oci_vblob_digest(const vstate *v, const vblob *b, char *buf);
/* b's digest as an ocidig_digest (in *out). */
const ocidig_digest *oci_vblob_d(const vstate *v, const vblob *b, ocidig_digest *out);
/* Blob bi's digest as a string of the pool (the report's), made once per blob. */
const char *oci_vblob_kept(vstate *v, size_t bi);

static inline const char *oci_vblob_path(const ocidig_digest *d, char *buf)
{
  ocidig_digest_blob_path(d, buf);
  return buf;
}

/* pool.c: s copied into v's pool (NULL for NULL; out of memory: NULL, v->nomem); interned:
 * the same string once, whoever asks. */
const char *oci_vpool_keep(vstate *v, const char *s);
const char *oci_vpool_intern(vstate *v, const char *s);
/* The same by its number in the interned list (VNONE32 for NULL, and when out of memory:
 * v->nomem), and the string of a number (NULL for VNONE32). */
uint32_t oci_vpool_intern_id(vstate *v, const char *s);
const char *oci_vpool_str(const vstate *v, uint32_t id);
/* A row's rare strings (NULL when it has none). */
const vplat_rare *oci_vplat_rare(const vstate *v, const vplat *p);
/* Image i's digest (its blob's in buf, OCIDIG_DIGEST_STRING_MAX bytes, or as written), or NULL. */
const char *oci_vimage_digest(const vstate *v, size_t i, char *buf);
void oci_vpool_free(vpool *p);

/* report.c: a finding (once: the same code, digest, path and message are reported once). */
void oci_finding_add(vstate *v, vctx c, oci_vcode code, const char *digest, const char *path, const char *fmt, ...)
    OCI_PRINTF(6, 7);

/* layout_rules.c: the blob table.  oci_vblob_get creates the record of a digest on first use
 * (NONE when out of memory); indexes stay valid, pointers into v->blobs do not survive it. */
size_t oci_vblob_find(const vstate *v, const char *digest);
size_t oci_vblob_get(vstate *v, const ocidig_digest *d);
/* After the listing's first pass (every member known): the table of blobs by member. */
void oci_vblob_table_init(vstate *v);
bool oci_vblob_present(vstate *v, size_t bi);
/* Room for n records of an array (exactly n when it holds fewer: a layout of 100,000 blobs
 * does not get 131,072); growing it later doubles as oci_grow does.  false: out of memory
 * (nothing changed, v->nomem not set: the room was only a hint). */
bool oci_vreserve(void **arr, size_t *cap, size_t n, size_t elem);
/* What a stat of blob b said: present (a regular file, its size), absent, unreadable (there
 * but not readable: blob-unreadable), or out of memory (v->nomem). */
void oci_vblob_stat_result(vstate *v, vblob *b, ocidig_code rc, const ocidig_entry *e, const ocidig_error *err);
ocidig_code oci_verify_root(vstate *v, ocidig_layout_format *format);

/* listing.c */
ocidig_code oci_verify_listing(vstate *v);

/* descriptor_rules.c: the graph's shape problems of a node as findings (digest, path: the
 * document's), a node's descriptor as verify's (index_child: its platform is kept). */
struct oci_gnode;
struct oci_gdesc;
void oci_vshapes_report(vstate *v, vctx c, const struct oci_gnode *n, const char *digest, const char *path);
bool oci_vshapes_any(const struct oci_gnode *n, uint32_t slot);
void oci_vdup_keys(vstate *v, vctx c, const char *what, const char *const *keys, size_t n, const char *digest,
                   const char *path);
void oci_vdesc_from(vstate *v, const struct oci_gdesc *g, const char *where, bool index_child, vdesc *out);
void oci_vdesc_clear(vdesc *d);
const char *oci_vdesc_image_name(const vdesc *d);
char *oci_vdesc_platform_text(const vdesc *d);
/* Child i of an index (what: "index.json", "index sha256:..."), as verify's descriptor
 * ("WHAT manifests[i]"); cleared with oci_vdesc_clear. */
void oci_vkid(vstate *v, const struct oci_gdesc *kids, size_t i, const char *what, vdesc *out);
void oci_vref_names_check(vstate *v, const struct oci_gdesc *kids, size_t n, const char *what);

/* walk.c */
bool oci_vdoc_parse(vstate *v, vctx c, const uint8_t *data, size_t len, const char *what, const char *digest,
                    const char *path, oci_json_doc *doc);
/* The same for a document parsed elsewhere (a stream): rc and e say how its parse ended. */
bool oci_vdoc_check(vstate *v, vctx c, ocidig_code rc, const ocidig_error *e, const char *what, const char *digest,
                    const char *path, const oci_json_doc *doc);
ocidig_code oci_verify_walk_root(vstate *v);

/* scope.c: which entries of index.json are images here (--ref), and what --platform selects
 * (gkids: the same entries as the graph's root holds them). */
ocidig_code oci_verify_scope(vstate *v, const struct oci_gdesc *kids, size_t n, const char *what, bool *is_image);

/* report.c: is the whole layout in scope (unreferenced blobs are looked for)? */
bool oci_verify_whole(const vstate *v);
/* report.c: Match (ocidig_matcher_test), out of memory noted in v (the report is dropped). */
bool oci_verify_match(vstate *v, const ocidig_matcher *m, const ocidig_platform *p);

/* hash.c: hashes the blobs whose hash is not known yet (see there). */
void oci_verify_hash_pending(vstate *v);

/* docker_files.c: where the view keeps a blob (formats other than OCI).  oci_vblob_member:
 * blobs/<alg>/<hex> for an OCI layout, else the view's member (buf holds
 * OCIDIG_DIGEST_STRING_MAX + 8 bytes; a longer name is the view's, valid until the next call
 * on it), or the root's name for a document the view synthesized.  oci_vblob_file: the
 * view's member of a foreign format's blob (owned by the view), NULL for an OCI layout. */
const char *oci_vblob_member(const vstate *v, const ocidig_digest *d, char *buf);
const char *oci_vblob_file(const vstate *v, const ocidig_digest *d);
/* The root's name ("index.json", or the file a synthesized index was made from). */
const char *oci_vroot_name(const vstate *v);
/* Reads the root index, or a document blob, through the view (at most max bytes). */
ocidig_code oci_vroot_read(vstate *v, size_t max, uint8_t **data, size_t *len, ocidig_error *e);
ocidig_code oci_vblob_read_doc(vstate *v, const ocidig_digest *d, size_t max, uint8_t **data, size_t *len,
                               ocidig_error *e);
/* A foreign format's blob: present where the view says (a synthesized document always is). */
bool oci_vblob_present_foreign(vstate *v, size_t bi);
/* A foreign format's listing: the files the view names by digest are blobs (listed). */
void oci_vforeign_listing(vstate *v);

/* deep.c: verify --deep.  The walk registers each manifest in scope (its config and layer
 * descriptors; a docker save's image: its layer files), oci_verify_deep reads each layer
 * once and reports what is inside, oci_verify_deep_report makes the report's layer rows. */
typedef struct vdeep vdeep;
struct oci_gdesc;
void oci_vdeep_manifest(vstate *v, vctx c, const char *manifest, const struct oci_gdesc *config,
                        const struct oci_gdesc *layers, size_t n_layers);
void oci_vdeep_docker_image(vstate *v, vctx c, const char *label, const char *const *paths,
                            const char *const *digests, size_t n_layers);
/* A code other than OCIDIG_OK: the layers could not be read at all (a thread that cannot
 * start), *err says why. */
ocidig_code oci_verify_deep(vstate *v, ocidig_error *err);
/* The layers read (once; oci_verify_deep does it if nobody did before): a docker save's
 * rules read them first, to take their files' sha256 from the read (the uncompressed stream
 * of a docker save layer is its file: its diff_id is the file's digest). */
void oci_vdeep_read(vstate *v);
/* The sha256 of a layer file the read took whole (uncompressed), by member; NULL: unknown. */
const char *oci_vdeep_sha256_of(vstate *v, const char *member);
/* A verify without deep: the records an OCIDIG_OPEN_READ_LAYERS pass kept are let go. */
void oci_vdeep_pass_done(vstate *v);
void oci_verify_deep_report(vstate *v);
void oci_verify_deep_free(vstate *v);

/* docker_rules.c, docker_files.c */
ocidig_code oci_verify_walk_docker(vstate *v);
void oci_verify_compare_hybrid(vstate *v);
void oci_verify_docker_free(vstate *v);

/* ------------------------------------------------------- signatures.c */
struct oci_attached_table;
struct oci_sig_checks;
/* Before the walk: what is attached, each signature verified (the table and the verdicts,
 * the caller's: oci_attached_table_free, free(checks->v)).  Errors: out of memory only. */
ocidig_code oci_verify_signatures_check(vstate *v, struct oci_attached_table **table, struct oci_sig_checks *checks);
/* After build_report: the verdicts of the images in scope into the report, the policy
 * counted (false: out of memory). */
bool oci_verify_signatures_conclude(vstate *v, const struct oci_attached_table *t, const struct oci_sig_checks *checks);
/* The report's "signatures" array (doc/signatures.md), image by image; NULL out of memory. */
struct json_object *oci_verify_signatures_json(const ocidig_verify_report *r);

#endif
