/* deep_int.h: what verify --deep's files share (deep.c, deep_sets.c, deep_entries.c,
 * deep_pass.c): the hash sets of paths, a layer's record as reading it makes it.  Private
 * to src/lib/verify/. */
#ifndef OCIDIG_DEEP_INT_H
#define OCIDIG_DEEP_INT_H

#include "verify.h"

#include "layer.h"

#define PER_CODE 10 /* messages kept per code and layer; the rest counted */

/* ------------------------------------------------------------ hash sets of paths */


/* A path's hash: FNV-1a over its bytes, then mixed (the table's index is the low bits).
 * FNV runs a byte at a time, so the hashes of all the prefixes of a path come from one pass
 * (pfnv over the next bytes, pmix at each '/'): never a prefix hashed again from its start. */
#define PFNV0 1469598103934665603u
#define HSET_DEAD 1u /* a removed entry (hashes are never 0 or 1) */

static inline uint64_t pfnv(uint64_t h, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)s[i]) * 1099511628211u;
  return h;
}

static inline uint64_t pmix(uint64_t h)
{
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9u;
  h ^= h >> 32;
  return h > HSET_DEAD ? h : h + 2;
}

static inline uint64_t phash(const char *s, size_t n)
{
  return pmix(pfnv(PFNV0, s, n));
}


typedef struct hset {
  uint64_t *t;
  size_t cap, n;
} hset;


/* deep_sets.c: open addressing; 0 empty, HSET_DEAD a removed entry. */
bool hset_has(const hset *s, uint64_t h);
bool hset_add(hset *s, uint64_t h, bool *added); /* false: out of memory.  *added: it was not there */
void hset_del(hset *s, uint64_t h);              /* a tombstone */
void hset_free(hset *s);
int u64_cmp(const void *a, const void *b);
/* A set's hashes as a sorted array (*out malloc'd, NULL when empty).  false: out of memory. */
bool sorted_of(const hset *set, uint64_t **out, size_t *n);

/* ------------------------------------------------------------ a layer's record */

typedef struct strv {
  char **v;
  size_t n, cap;
} strv;

bool strv_add(strv *s, const char *a, size_t n); /* false: out of memory */
void strv_clear(strv *s);

typedef struct dfind {
  oci_vcode code;
  char *msg;
} dfind;

/* One layer blob, read once. */
typedef struct dlayer {
  const char *digest; /* in v->pool */
  const char *media_type;
  const char *member; /* where its bytes are (v->pool), NULL: synthesized or unknown */
  int64_t size;
  vctx c;             /* where it was first met */
  size_t blob;
  bool tried, read;   /* read: the reader ran over it */
  bool alg_set;       /* diff_alg decided */
  bool emitted;       /* its own findings made */
  uint32_t ordinal;   /* its member's position in an archive */
  ocidig_digest_alg diff_alg; /* of its diff_id: the first image's config that names it decides */
  char *skipped;      /* why its contents were not read */
  oci_layer_result res;
  /* what the layers above need */
  uint64_t *paths; /* sorted hashes of its entries' paths (whiteouts not counted) */
  size_t n_paths;
  uint64_t *nondirs_sorted; /* the same for its entries that are not directories */
  size_t n_nondirs;
  uint64_t *wh, *opq; /* sorted hashes of what its whiteouts remove, of its opaque directories */
  size_t n_wh, n_opq;
  strv symlinks, whiteouts, opaques, parents, hardlinks; /* hardlinks: "name\0target" as two entries */
  /* its findings, made on the caller's thread */
  dfind *finds;
  size_t n_finds, cap_finds;
  uint32_t per_code[VF_N_CODES];
  size_t n_err, n_warn, n_info;
  bool nomem;
  /* while it is read (the worker's) */
  hset seen, links, nondirs, parent_set;
  uint64_t link_dead; /* symlinks replaced in the same layer (dropped by links_compact) */
} dlayer;


/* A name for messages: quoted, control characters escaped, at most 200 bytes. */
static inline char *qn(const char *s)
{
  return oci_quote(s, strlen(s), 200);
}

/* deep_entries.c: one layer's entries as the reader hands them over (its worker thread;
 * ctx: the dlayer), and the record made compact when the read has ended (ok: it ended
 * without error; then the sorted paths, non-directories and removals are made). */
ocidig_code oci_deep_on_entry(void *ctx, oci_layer_reader *r, const oci_layer_entry *e, ocidig_error *err);
void oci_deep_read_end(dlayer *L, bool ok);
/* Frees what reading a layer made (its record's parts), and zeroes them. */
void oci_deep_record_clear(dlayer *L);

/* deep_pass.c: the layers of an archive read in its one pass (OCIDIG_OPEN_READ_LAYERS). */
/* The tap ocidig_layout_open registers (ctx: new state; false: out of memory). */
/* speculate: standard input (what looks like a layer is read, bounded); a file: nothing is
 * read in the pass (deep.c reads the layers in scope in one forward pass). */
bool oci_deep_tap_init(oci_layout_tap *tap, bool speculate);
/* The record of member (a layer of compression comp, its diff_id in alg) if the pass read
 * it whole as that: moved into *out (which the caller's walk fields are then set on), true.
 * *nomem: the pass ran out of memory (then nothing it read is trusted). */
bool oci_deep_pass_take(ocidig_layout *l, const char *member, oci_layer_compression comp, ocidig_digest_alg alg,
                        dlayer *out, bool *nomem);
/* A layer the pass read as another compression than comp (its media type's), that cannot
 * be read again (standard input): *out as reading it as comp would have made it, where its
 * first bytes decide (a gzip or zstd stream without its magic; a tar of a gzip or zstd
 * stream, its diff_id the blob's sha256).  false: they do not (*nomem: out of memory). */
bool oci_deep_pass_other(ocidig_layout *l, const char *member, oci_layer_compression comp, ocidig_digest_alg alg,
                         dlayer *out, bool *nomem);
/* Frees the records the pass kept (their first bytes stay, for oci_deep_pass_other). */
void oci_deep_pass_drop(ocidig_layout *l);
/* Why the pass has no record of member it began reading (its read stopped at the bound of
 * a speculative read, or its record went for the records' bound), or NULL. */
const char *oci_deep_pass_why(ocidig_layout *l, const char *member);
/* A verify has had the pass's records (dropped them, or taken them for its layers). */
bool oci_deep_pass_spent(ocidig_layout *l);

#endif
