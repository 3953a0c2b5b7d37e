/* deep_pass.c: verify --deep's layers read in the archive's one pass (issue 14).
 *
 * Standard input only (a file's layers in scope are read after the walk by deep.c's one
 * forward pass: here nothing).  Opened with OCIDIG_OPEN_READ_LAYERS, a layout asks the tap
 * below about each archive member as it passes (member.c's plan rule; the source pushes the bytes: source.h's
 * plan->tap).  Nothing is known of the member yet (index.json comes last in most archives,
 * and on standard input nothing can wait): what its first bytes say decides.  A gzip
 * member (1f 8b), a zstd frame (28 b5 2f fd) or a tar header (ustar at 257, a valid header
 * checksum, or the zero block of an empty tar) is read through a layer reader of that
 * compression as it streams by: one layer in flight at a time, through the reader's bounded
 * queue; anything else is let go at its first 512 bytes.  What the read makes is the same
 * record deep.c would make reading the layer later (deep_entries.c: results, the layer's own
 * findings, the compact sets), kept by member name.
 *
 * After the walk, deep.c takes the record of each layer in scope whose media type says the
 * compression its bytes had (oci_deep_pass_take); the rest are dropped.  A layer the pass
 * did not read as its media type says is read again by deep.c (a file: in the order of the
 * archive, one forward pass).  The pass hashes every blob once, as without --deep (the
 * source's hasher): the reader here hashes only the decoded bytes (the diff_id).
 * Out of memory in the pass fails the verification (never a finding, never a layer read
 * differently). */
#include "deep_int.h"

#include "strtab.h"

#include <stdlib.h>

#define HEAD 512
/* Standard input only (a file is read again, in one forward pass, for the layers in scope:
 * nothing is read there on speculation).  A speculative read stops once it has decoded
 * more than 64 times its compressed size plus 64 MiB: real layers compress by far less
 * (a gzip layer of text: 3-10x), a decompression bomb by thousands; the records of the
 * speculative reads are kept within 32 MiB together (past it the largest go).  A layer in
 * scope whose read stopped or whose record went is reported not checked (layer-not-read),
 * never read as something it is not. */
#define SPEC_RATIO 64u
#define SPEC_BASE (64ull << 20)
#define SPEC_KEEP ((size_t)32 << 20)

typedef struct prec {
  char *member;
  oci_layer_compression comp; /* what its first bytes said */
  bool usable;                /* read whole, the reader sound, its name once in the archive */
  bool taken;
  bool whole;                 /* every byte went by the tap */
  bool capped;                /* decoded past the bound of a speculative read */
  bool dropped;               /* its record went (the records' bound) */
  size_t bytes;               /* what its record holds */
  uint64_t size;
  uint8_t head[HEAD];         /* its first bytes (a layer of another compression: what the reader says of them) */
  size_t n_head;
  dlayer L;
} prec;

typedef struct oci_deep_tap {
  prec *recs;
  size_t n, cap;
  oci_strtab tab; /* recs by member */
  bool nomem;
  bool speculate; /* standard input: read what looks like a layer (else nothing) */
  size_t kept;    /* the usable records' bytes */
  bool spent;     /* a verify has had the records (one deep verify per open) */
  /* the member passing now */
  char *path;
  int64_t declared;
  uint8_t head[HEAD];
  size_t n_head;
  oci_layer_reader *r;
  size_t cur; /* its record, or NONE */
  bool off;   /* let go */
  bool hashed; /* the source hashes it in sha256: an uncompressed layer is not hashed again */
  bool given;  /* its reader was told so (oci_layer_reader_diff_given) */
} oci_deep_tap;

static const char *rec_key(const void *ctx, size_t i)
{
  return ((const oci_deep_tap *)ctx)->recs[i].member;
}

static void rec_clear_in(oci_deep_tap *t, prec *p)
{
  if (p->usable && t)
    t->kept -= p->bytes;
  p->bytes = 0;
  oci_deep_record_clear(&p->L);
  p->usable = false;
}
#define rec_clear(p) rec_clear_in(NULL, p)

static size_t strv_bytes(const strv *s)
{
  size_t n = s->cap * sizeof *s->v;
  for (size_t i = 0; i < s->n; i++)
    n += strlen(s->v[i]) + 1;
  return n;
}

/* What a record holds (its sets and strings, its findings). */
static size_t rec_bytes(const dlayer *L)
{
  size_t n = (L->n_paths + L->n_nondirs + L->n_wh + L->n_opq) * sizeof(uint64_t);
  n += strv_bytes(&L->symlinks) + strv_bytes(&L->whiteouts) + strv_bytes(&L->opaques) + strv_bytes(&L->parents) +
       strv_bytes(&L->hardlinks);
  n += L->cap_finds * sizeof *L->finds;
  for (size_t i = 0; i < L->n_finds; i++)
    n += L->finds[i].msg ? strlen(L->finds[i].msg) + 1 : 0;
  return n;
}

/* The records within SPEC_KEEP: the largest go first. */
static void keep_bounded(oci_deep_tap *t)
{
  while (t->kept > SPEC_KEEP) {
    size_t big = NONE;
    for (size_t i = 0; i < t->n; i++)
      if (t->recs[i].usable && (big == NONE || t->recs[i].bytes > t->recs[big].bytes))
        big = i;
    if (big == NONE)
      break;
    rec_clear_in(t, &t->recs[big]);
    t->recs[big].dropped = true;
  }
}

static void tap_free(void *ctx)
{
  oci_deep_tap *t = ctx;
  if (!t)
    return;
  if (t->r) {
    oci_layer_reader_free(t->r);
    t->r = NULL;
  }
  for (size_t i = 0; i < t->n; i++) {
    rec_clear(&t->recs[i]);
    free(t->recs[i].member);
  }
  free(t->recs);
  oci_strtab_free(&t->tab);
  free(t->path);
  free(t);
}

/* What a member's first bytes (n of them, all it has if fewer than HEAD) say it is. */
static oci_layer_compression sniff(const uint8_t *b, size_t n)
{
  unsigned long sum = 0, want = 0;
  bool zero = true, digits = false;
  if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
    return OCI_LAYER_GZIP;
  if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)
    return OCI_LAYER_ZSTD;
  if (n < HEAD)
    return OCI_LAYER_UNKNOWN;
  if (!memcmp(b + 257, "ustar", 5))
    return OCI_LAYER_NONE;
  /* a v7 header: its checksum (octal, at 148, the sum of the header's bytes with the field
   * itself read as spaces) */
  for (size_t i = 0; i < HEAD; i++) {
    zero = zero && !b[i];
    sum += i >= 148 && i < 156 ? ' ' : b[i];
  }
  if (zero)
    return OCI_LAYER_NONE; /* an empty tar: its end-of-archive marker */
  for (size_t i = 148; i < 156; i++) {
    if (b[i] >= '0' && b[i] <= '7') {
      want = want * 8 + (unsigned long)(b[i] - '0');
      digits = true;
    } else if (b[i] != ' ' && b[i] != 0) {
      return OCI_LAYER_UNKNOWN;
    } else if (digits) {
      break;
    }
  }
  return digits && want == sum ? OCI_LAYER_NONE : OCI_LAYER_UNKNOWN;
}

/* The first bytes are in: a layer?  Then its record and its reader, fed the head.  false:
 * let go (not a layer, or a failure said on t). */
static bool begin(oci_deep_tap *t)
{
  static const oci_layer_callbacks cb = {oci_deep_on_entry};
  oci_layer_compression c = sniff(t->head, t->n_head);
  ocidig_error e;
  prec *p;
  if (c == OCI_LAYER_UNKNOWN || !t->path)
    return false;
  if (!oci_grow((void **)&t->recs, &t->cap, t->n + 1, sizeof *t->recs)) {
    t->nomem = true;
    return false;
  }
  p = &t->recs[t->n];
  memset(p, 0, sizeof *p);
  p->member = t->path;
  p->comp = c;
  memcpy(p->head, t->head, t->n_head);
  p->n_head = t->n_head;
  if (!oci_strtab_put(&t->tab, t->n, rec_key, t, false)) {
    t->nomem = true;
    return false;
  }
  t->path = NULL;
  t->cur = t->n++;
  if (!(t->r = oci_layer_reader_new(c, &cb, &p->L, &e))) {
    if (e.code == OCIDIG_ERR_NOMEM)
      t->nomem = true;
    return false;
  }
  /* a tar's bytes are its diff_id's: the source's hash of the member is taken (hashed once) */
  t->given = c == OCI_LAYER_NONE && t->hashed;
  if (t->given)
    oci_layer_reader_diff_given(t->r);
  oci_layer_reader_limit_output(t->r, (t->declared > 0 ? (uint64_t)t->declared * SPEC_RATIO : 0) + SPEC_BASE);
  if (oci_layer_reader_feed(t->r, t->head, t->n_head, &e) != OCIDIG_OK) {
    if (e.code == OCIDIG_ERR_NOMEM || p->L.nomem)
      t->nomem = true;
    return false;
  }
  return true;
}

static ocidig_code tap_feed(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  oci_deep_tap *t = ctx;
  const uint8_t *b = buf;
  if (t->off || t->nomem)
    return oci_fail(err, OCIDIG_ERR_USAGE, "not read as a layer");
  if (!t->r) {
    size_t take = len < HEAD - t->n_head ? len : HEAD - t->n_head;
    memcpy(t->head + t->n_head, b, take);
    t->n_head += take;
    b += take;
    len -= take;
    if (t->n_head < HEAD)
      return OCIDIG_OK;
    if (!begin(t)) {
      t->off = true;
      return oci_fail(err, OCIDIG_ERR_USAGE, "not read as a layer");
    }
  }
  if (len && oci_layer_reader_feed(t->r, b, len, err) != OCIDIG_OK) {
    if (err->code == OCIDIG_ERR_NOMEM || t->recs[t->cur].L.nomem)
      t->nomem = true;
    t->off = true;
    return err->code;
  }
  return OCIDIG_OK;
}

static void tap_end(void *ctx, bool whole, uint64_t size, const char *hex)
{
  oci_deep_tap *t = ctx;
  if (!t->r && !t->off && whole && t->n_head && t->n_head < HEAD && !begin(t))
    whole = false; /* a small member: its head is all of it */
  if (t->cur != NONE) {
    prec *p = &t->recs[t->cur];
    ocidig_error e;
    ocidig_code rc = OCIDIG_ERR_USAGE;
    if (t->r) {
      rc = oci_layer_reader_finish(t->r, &p->L.res, &e);
      p->capped = oci_layer_reader_capped(t->r);
      oci_layer_reader_free(t->r);
      t->r = NULL;
    }
    if (rc == OCIDIG_ERR_NOMEM || p->L.nomem)
      t->nomem = true;
    if (rc == OCIDIG_OK && t->given && p->L.res.have_digests) { /* the source's hash is the diff_id */
      if (hex && strlen(hex) == 64)
        memcpy(p->L.res.diff_id.hex, hex, 65);
      else
        whole = false;
    }
    oci_deep_read_end(&p->L, rc == OCIDIG_OK && whole && !t->off);
    p->whole = whole;
    p->size = size;
    if (p->L.nomem)
      t->nomem = true;
    p->usable = rc == OCIDIG_OK && whole && !t->off && !p->L.nomem && !t->nomem && !p->capped;
    if (!p->usable) {
      rec_clear(p);
    } else {
      p->bytes = rec_bytes(&p->L);
      t->kept += p->bytes;
      keep_bounded(t);
    }
  }
  t->cur = NONE;
  t->n_head = 0;
  t->off = false;
  free(t->path);
  t->path = NULL;
}

static void tap_plan(void *ctx, const char *path, int64_t declared, oci_source_plan *plan)
{
  oci_deep_tap *t = ctx;
  size_t i;
  if (t->nomem || !t->speculate)
    return;
  /* a name met again: neither copy is trusted here (deep.c reads what the layout serves) */
  if ((i = oci_strtab_find(&t->tab, path, rec_key, t)) != OCI_STRTAB_NONE) {
    rec_clear_in(t, &t->recs[i]);
    t->recs[i].capped = t->recs[i].dropped = false;
    return;
  }
  t->declared = declared;
  free(t->path);
  if (!(t->path = oci_strdup(path))) {
    t->nomem = true;
    return;
  }
  t->cur = NONE;
  t->n_head = 0;
  t->off = false;
  t->given = false;
  t->hashed = plan->hash && plan->alg == OCIDIG_DIGEST_SHA256;
  plan->tap = tap_feed;
  plan->tap_ctx = t;
  plan->tap_end = tap_end;
}

bool oci_deep_tap_init(oci_layout_tap *tap, bool speculate)
{
  oci_deep_tap *t = calloc(1, sizeof *t);
  memset(tap, 0, sizeof *tap);
  if (!t)
    return false;
  t->cur = NONE;
  t->speculate = speculate;
  tap->plan = tap_plan;
  tap->ctx = t;
  tap->free_ctx = tap_free;
  return true;
}

static oci_deep_tap *tap_of(ocidig_layout *l)
{
  return l && l->upper_free[OCI_SLOT_TAP] == tap_free ? l->upper[OCI_SLOT_TAP] : NULL;
}

bool oci_deep_pass_take(ocidig_layout *l, const char *member, oci_layer_compression comp, ocidig_digest_alg alg,
                        dlayer *out, bool *nomem)
{
  oci_deep_tap *t = tap_of(l);
  size_t i;
  prec *p;
  *nomem = false;
  if (!t)
    return false;
  if (t->nomem) {
    *nomem = true;
    return false;
  }
  if ((i = oci_strtab_find(&t->tab, member, rec_key, t)) == OCI_STRTAB_NONE)
    return false;
  p = &t->recs[i];
  /* read as its media type says, for a sha256 diff_id (the reader's default) */
  if (!p->usable || p->taken || p->comp != comp || alg != OCIDIG_DIGEST_SHA256)
    return false;
  *out = p->L;
  memset(&p->L, 0, sizeof p->L);
  p->taken = true;
  p->usable = false;
  t->kept -= p->bytes;
  p->bytes = 0;
  return true;
}

bool oci_deep_pass_spent(ocidig_layout *l)
{
  oci_deep_tap *t = tap_of(l);
  return t && t->spent;
}

const char *oci_deep_pass_why(ocidig_layout *l, const char *member)
{
  oci_deep_tap *t = tap_of(l);
  size_t i;
  if (!t || (i = oci_strtab_find(&t->tab, member, rec_key, t)) == OCI_STRTAB_NONE)
    return NULL;
  if (t->recs[i].capped)
    return "standard input, index.json after the layers: the layer decodes to more than 64 times its size plus "
           "64 MiB, where reading it on speculation stopped";
  if (t->recs[i].dropped)
    return "standard input, index.json after the layers: the records of the layers read on speculation went "
           "over 32 MiB, this one's was let go";
  return NULL;
}

bool oci_deep_pass_other(ocidig_layout *l, const char *member, oci_layer_compression comp, ocidig_digest_alg alg,
                         dlayer *out, bool *nomem)
{
  static const oci_layer_callbacks cb = {oci_deep_on_entry};
  oci_deep_tap *t = tap_of(l);
  const oci_member *m;
  ocidig_error e;
  oci_layer_reader *r;
  ocidig_code rc;
  size_t i;
  prec *p;
  bool ok;
  *nomem = false;
  if (!t || (i = oci_strtab_find(&t->tab, member, rec_key, t)) == OCI_STRTAB_NONE)
    return false;
  p = &t->recs[i];
  /* a gzip or zstd stream whose magic is not there fails at its first bytes; a tar of a
   * stream that is gzip or zstd at its first header, its bytes (the diff_id) being the
   * blob's, as the pass hashed them */
  if (!p->whole || p->comp == comp || alg != OCIDIG_DIGEST_SHA256 || p->n_head < 4 || !(m = oci_member_find(l, member)))
    return false;
  if (comp == OCI_LAYER_NONE && (!oci_member_hex(m) || strlen(oci_member_hex(m)) != 64))
    return false;
  if (!(r = oci_layer_reader_new(comp, &cb, out, &e))) {
    *nomem = e.code == OCIDIG_ERR_NOMEM;
    return false;
  }
  rc = oci_layer_reader_feed(r, p->head, p->n_head, &e);
  if (rc == OCIDIG_OK)
    rc = oci_layer_reader_finish(r, &out->res, &e);
  oci_layer_reader_free(r);
  oci_deep_read_end(out, rc == OCIDIG_OK);
  ok = rc == OCIDIG_OK && !out->nomem;
  if (ok && comp != OCI_LAYER_NONE) {
    ok = out->res.decode == OCI_LAYER_DECODE_CORRUPT && out->res.decoded_end < p->n_head; /* failed inside them */
    out->res.input_bytes = p->size;
  } else if (ok) {
    ok = out->res.tar == OCI_LAYER_TAR_CORRUPT && out->res.entries == 0;
    out->res.input_bytes = out->res.output_bytes = out->res.decoded_end = p->size;
    memset(&out->res.diff_id, 0, sizeof out->res.diff_id);
    out->res.diff_id.alg = OCIDIG_DIGEST_SHA256;
    memcpy(out->res.diff_id.hex, oci_member_hex(m), 65);
    out->res.have_digests = true;
  }
  if (!ok) {
    *nomem = rc == OCIDIG_ERR_NOMEM || out->nomem;
    oci_deep_record_clear(out);
    memset(&out->res, 0, sizeof out->res);
    out->nomem = false;
  }
  return ok;
}

void oci_deep_pass_drop(ocidig_layout *l)
{
  oci_deep_tap *t = tap_of(l);
  if (!t)
    return;
  t->spent = true;
  for (size_t i = 0; i < t->n; i++)
    rec_clear_in(t, &t->recs[i]);
}
