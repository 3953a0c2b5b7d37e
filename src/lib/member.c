/* member.c: the member table over a source, and the rules the layout applies to what its
 * source meets (the events it passes to the source): which members are kept in memory and
 * which hashed as they pass, duplicates and replaced members (tar extracts the last of a
 * name), names and links that leave the root, warnings and progress. */
#include "layout.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ warnings */

static void warn_add(ocidig_layout *l, const char *s)
{
  if (l->n_warnings >= OCI_MAX_WARNINGS) {
    l->dropped_warnings++;
    return;
  }
  for (size_t i = 0; i < l->n_warnings; i++)
    if (!strcmp(l->warnings[i], s))
      return;
  if (!oci_strv_push(&l->warnings, &l->n_warnings, s))
    l->dropped_warnings++;
}

void oci_layout_warn(ocidig_layout *l, const char *fmt, ...)
{
  va_list ap;
  char *s;
  int n;
  if (l->n_warnings >= OCI_MAX_WARNINGS) {
    l->dropped_warnings++;
    return;
  }
  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || !(s = malloc((size_t)n + 1)))
    return;
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  warn_add(l, s);
  free(s);
}

/* -------------------------------------------------------- member table */

static size_t path_hash(const char *s)
{
  size_t h = 1469598103934665603u;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211u;
  return h;
}

static bool table_grow(ocidig_layout *l)
{
  size_t cap = l->table_cap ? l->table_cap * 2 : 64;
  size_t *t = calloc(cap, sizeof *t);
  if (!t)
    return false;
  for (size_t i = 0; i < l->n_members; i++) {
    const oci_member *m = &l->members[i];
    size_t h;
    if (m->type != OCIDIG_ENTRY_FILE || m->escapes || m->replaced)
      continue;
    for (h = path_hash(m->path) & (cap - 1); t[h]; h = (h + 1) & (cap - 1))
      ;
    t[h] = i + 1;
  }
  free(l->table);
  l->table = t;
  l->table_cap = cap;
  return true;
}

static size_t *table_slot(ocidig_layout *l, const char *path)
{
  size_t h;
  if (!l->table_cap)
    return NULL;
  for (h = path_hash(path) & (l->table_cap - 1); l->table[h]; h = (h + 1) & (l->table_cap - 1))
    if (!strcmp(l->members[l->table[h] - 1].path, path))
      return &l->table[h];
  return &l->table[h];
}

oci_member *oci_member_find(ocidig_layout *l, const char *path)
{
  size_t *slot = table_slot(l, path);
  return slot && *slot ? &l->members[*slot - 1] : NULL;
}

const char *oci_member_hex(const oci_member *m)
{
  ocidig_digest_alg alg;
  if (m->actual_hex)
    return m->actual_hex;
  return m->hash == OCIDIG_HASH_OK ? oci_blob_path_hex(m->path, &alg) : NULL;
}

/* 0: the two copies of a member hold the same bytes; 1: they differ; -1: unknown (neither
 * kept in memory nor hashed). */
static int compare_copies(const oci_member *a, const oci_member *b)
{
  const char *ha = oci_member_hex(a), *hb = oci_member_hex(b);
  if (a->size != b->size)
    return 1;
  if (a->kept && b->kept)
    return memcmp(a->data, b->data, (size_t)a->size) ? 1 : 0;
  if (ha && hb)
    return strcmp(ha, hb) ? 1 : 0;
  return -1;
}

static const char *type_noun(ocidig_entry_type t)
{
  switch (t) {
  case OCIDIG_ENTRY_DIRECTORY:
    return "directory";
  case OCIDIG_ENTRY_SYMLINK:
    return "symbolic link";
  case OCIDIG_ENTRY_HARDLINK:
    return "hard link";
  case OCIDIG_ENTRY_SPECIAL:
    return "device, FIFO or socket";
  default:
    return "file";
  }
}

/* type: the later copy's (a regular file: two differing copies). */
static ocidig_code ambiguous_copies(ocidig_layout *l, const char *path, ocidig_entry_type type, ocidig_error *err)
{
  char *q = oci_escape(path, 200);
  ocidig_code rc;
  l->ambiguous = true;
  if (type == OCIDIG_ENTRY_FILE)
    rc = oci_fail(err, OCIDIG_ERR_CORRUPT_ARCHIVE,
                  "%s: %s appears more than once in the archive, with different contents, and the "
                  "first copy was read before the second turned up: ambiguous (tar extracts the last "
                  "copy)",
                  l->path, q ? q : "a member");
  else
    rc = oci_fail(err, OCIDIG_ERR_CORRUPT_ARCHIVE,
                  "%s: %s is a regular file in the archive and then a %s, which turned up after the file "
                  "was read: ambiguous (tar extracts the %s, and no file %s is left)",
                  l->path, q ? q : "a member", type_noun(type), type_noun(type), q ? q : "");
  free(q);
  return rc;
}

/* A regular file that a later directory, link or device of its name replaces (tar extracts
 * that): reading it is corrupt-archive, whether the other came before the request or after. */
ocidig_code oci_member_clobbered(ocidig_layout *l, const oci_member *m, ocidig_error *err)
{
  char *q = oci_escape(m->path, 200);
  ocidig_entry_type t = l->members[m->clobber - 1].type;
  ocidig_code rc = oci_fail(err, OCIDIG_ERR_CORRUPT_ARCHIVE,
                            "%s: %s is a regular file in the archive and then a %s: ambiguous (tar extracts "
                            "the %s, and no file %s is left)",
                            l->path, q ? q : "a member", type_noun(t), type_noun(t), q ? q : "");
  free(q);
  return rc;
}

/* Takes ownership of m's strings and data. Only safe regular files can be looked up. */
ocidig_code oci_member_add(ocidig_layout *l, oci_member *m, ocidig_error *err)
{
  size_t idx;
  if (l->n_members >= OCIDIG_MAX_ARCHIVE_MEMBERS) {
    oci_member_free(m);
    return oci_fail(err, OCIDIG_ERR_LIMIT, "%s: more than %d members", l->path, OCIDIG_MAX_ARCHIVE_MEMBERS);
  }
  if (!oci_grow((void **)&l->members, &l->cap_members, l->n_members + 1, sizeof *l->members) ||
      ((l->n_members + 2) * 2 > l->table_cap && !table_grow(l))) {
    oci_member_free(m);
    return oci_nomem(err);
  }
  idx = l->n_members++;
  l->members[idx] = *m;
  memset(m, 0, sizeof *m);
  m = &l->members[idx];
  if (m->type != OCIDIG_ENTRY_FILE) {
    /* tar replaces the regular file of that name with this folder, link or device (also
     * one that leaves the root: its name is a clean one all the same; an unsafe name never
     * matches one). */
    size_t *slot = table_slot(l, m->path);
    oci_member *old = slot && *slot ? &l->members[*slot - 1] : NULL;
    char *q;
    if (!old)
      return OCIDIG_OK;
    if (old->served)
      return ambiguous_copies(l, m->path, m->type, err);
    if (old->clobber) {
      l->members[old->clobber - 1].replaced = true; /* replaced in turn by this one */
    } else if (old->kept) {
      l->kept_bytes -= (size_t)old->size;
      free(old->data);
      old->data = NULL;
      old->kept = false;
    }
    old->clobber = (uint32_t)(idx + 1);
    m->duplicate = true;
    q = oci_escape(m->path, 200);
    oci_layout_warn(l, "%s is a regular file in the archive and then a %s: tar extracts the %s, so it cannot be read",
                    q ? q : "a member", type_noun(m->type), type_noun(m->type));
    free(q);
    return OCIDIG_OK;
  }
  if (m->escapes)
    return OCIDIG_OK;
  {
    size_t *slot = table_slot(l, m->path);
    if (*slot && l->members[*slot - 1].clobber) {
      /* A file, then a folder or link, then a file again: tar extracts this last file. */
      oci_member *old = &l->members[*slot - 1];
      l->members[old->clobber - 1].replaced = true;
      old->replaced = true;
      m->duplicate = true;
      {
        char *q = oci_escape(m->path, 200);
        oci_layout_warn(l, "%s appears more than once in the archive; the last copy is used", q ? q : "a member");
        free(q);
      }
    } else if (*slot) {
      oci_member *old = &l->members[*slot - 1];
      /* The last copy wins, as tar extraction does.  But when the first copy was already
       * handed out (a lazy reader read it before the archive was read to the end), a
       * second copy that is not provably the same makes the archive ambiguous: this
       * reader acted on one copy, tar (and a full scan) would take the other. */
      int cmp = compare_copies(old, m);
      if (old->served && cmp != 0)
        return ambiguous_copies(l, m->path, OCIDIG_ENTRY_FILE, err);
      old->replaced = true;
      if (old->kept) {
        l->kept_bytes -= (size_t)old->size;
        free(old->data);
        old->data = NULL;
        old->kept = false;
      }
      m->duplicate = true;
      {
        char *q = oci_escape(m->path, 200);
        oci_layout_warn(l, "%s appears more than once in the archive%s", q ? q : "a member",
                        cmp == 0 ? " (identical copies)" : "; the last copy is used");
        free(q);
      }
    }
    *slot = idx + 1;
  }
  return OCIDIG_OK;
}

void oci_member_free(oci_member *m)
{
  /* m->path is the pool's (l->paths), freed with the layout */
  free(m->link_target);
  free(m->data);
  free(m->actual_hex);
  memset(m, 0, sizeof *m);
}


const char *oci_blob_path_hex(const char *path, ocidig_digest_alg *alg)
{
  ocidig_digest d;
  const char *rest;
  char buf[OCIDIG_DIGEST_STRING_MAX];
  if (strncmp(path, "blobs/", 6))
    return NULL;
  rest = strchr(path + 6, '/');
  if (!rest || (size_t)(rest - path - 6) + strlen(rest) >= sizeof buf)
    return NULL;
  snprintf(buf, sizeof buf, "%.*s:%s", (int)(rest - path - 6), path + 6, rest + 1);
  if (ocidig_digest_parse(buf, strlen(buf), &d, NULL) != OCIDIG_OK)
    return NULL;
  *alg = d.alg;
  return rest + 1;
}

/* ------------------------------------ what a re-read pass keeps (refill) */

#define EXPECT_NONE UINT32_MAX /* an entry not (yet) a member */

static void expect_clear(ocidig_layout *l)
{
  for (size_t i = 0; i < l->n_expect; i++) {
    if (l->expect[i] != EXPECT_NONE)
      l->members[l->expect[i]].again &= (uint8_t)~OCI_MEMBER_EXPECTED;
    if (l->expect_pending)
      free(l->expect_pending[i]);
  }
  free(l->expect);
  free(l->expect_pending);
  l->expect = NULL;
  l->expect_pending = NULL;
  l->n_expect = l->expect_next = l->n_pending = l->cap_expect = l->expect_again = 0;
}

void oci_layout_expect_again_here(ocidig_layout *l)
{
  if (l && l->n_expect)
    l->expect_again = l->n_expect;
}

/* Entry j names path: the member's index, unless no member has that name yet (an archive
 * read so far: kept as a name, for later).  A member may be named by several entries (a
 * manifest read ahead for its config, then again by the walk). */
static bool expect_set(ocidig_layout *l, size_t j, const char *path)
{
  oci_member *m = path ? oci_member_find(l, path) : NULL;
  l->expect[j] = EXPECT_NONE;
  if (m) {
    m->again |= OCI_MEMBER_EXPECTED;
    l->expect[j] = (uint32_t)(m - l->members);
  } else if (path && !l->src->ops->at_end(l->src)) {
    if (!l->expect_pending && !(l->expect_pending = calloc(l->cap_expect ? l->cap_expect : 1, sizeof(char *))))
      return false;
    if (!(l->expect_pending[j] = oci_strdup(path)))
      return false;
    l->n_pending++;
  }
  return true;
}

void oci_layout_expect(ocidig_layout *l, size_t n, const char *(*path_at)(void *ctx, size_t i), void *ctx)
{
  if (!l || !l->is_archive)
    return;
  expect_clear(l);
  if (!n || !l->src->ops->reread_passes || !l->src->ops->reread_passes(l->src) ||
      n > OCIDIG_MAX_ARCHIVE_MEMBERS || !(l->expect = malloc(n * sizeof *l->expect)))
    return;
  l->n_expect = l->cap_expect = n;
  for (size_t i = 0; i < n; i++)
    if (!expect_set(l, i, path_at(ctx, i))) {
      expect_clear(l); /* out of memory: nothing expected */
      return;
    }
}

void oci_layout_expect_more(ocidig_layout *l, size_t n, const char *(*path_at)(void *ctx, size_t i), void *ctx)
{
  size_t old;
  if (!l || !l->is_archive || !n || !l->src->ops->reread_passes || !l->src->ops->reread_passes(l->src))
    return;
  if (!l->n_expect) {
    oci_layout_expect(l, n, path_at, ctx);
    return;
  }
  old = l->n_expect;
  if (n > OCI_MAX_EXPECTED - old)
    return; /* bound the memory: what is left is not announced (costs passes, not answers) */
  if (old + n > l->cap_expect) {
    size_t cap = l->cap_expect * 2 > old + n ? l->cap_expect * 2 : old + n;
    uint32_t *e = realloc(l->expect, cap * sizeof *e);
    if (!e) {
      expect_clear(l);
      return;
    }
    l->expect = e;
    if (l->expect_pending) {
      char **p = realloc(l->expect_pending, cap * sizeof *p);
      if (!p) {
        expect_clear(l);
        return;
      }
      memset(p + l->cap_expect, 0, (cap - l->cap_expect) * sizeof *p);
      l->expect_pending = p;
    }
    l->cap_expect = cap;
  }
  l->n_expect = old + n;
  for (size_t i = 0; i < n; i++)
    if (!expect_set(l, old + i, path_at(ctx, i))) {
      expect_clear(l);
      return;
    }
}

/* The entries that named no member yet, looked up again (the archive read further). */
static void expect_resolve(ocidig_layout *l)
{
  if (!l->n_pending)
    return;
  for (size_t j = 0; j < l->n_expect; j++) {
    char *path = l->expect_pending[j];
    oci_member *m;
    if (!path || (!(m = oci_member_find(l, path)) && !l->src->ops->at_end(l->src)))
      continue;
    if (m) {
      m->again |= OCI_MEMBER_EXPECTED;
      l->expect[j] = (uint32_t)(m - l->members);
    }
    free(path);
    l->expect_pending[j] = NULL;
    l->n_pending--;
  }
}

void oci_member_handed_out(ocidig_layout *l, oci_member *m)
{
  uint32_t idx = (uint32_t)(m - l->members);
  m->served = true;
  m->again |= OCI_MEMBER_USED;
  /* The layer above asks in the order it said, mostly: the next expected is after this one
   * when this one is among the next few, or among the first few (a walk begun again: ls
   * lists twice); a bounded look, so that a request out of the order costs nothing. */
  if (!(m->again & OCI_MEMBER_EXPECTED) || (l->expect_next && l->expect[l->expect_next - 1] == idx))
    return; /* the one met last, again (its size, then its bytes) */
  for (size_t j = l->expect_next; j < l->n_expect && j < l->expect_next + 64; j++)
    if (l->expect[j] == idx) {
      l->expect_next = j + 1;
      return;
    }
  for (size_t j = l->expect_again; j < l->n_expect && j < l->expect_again + 64 && j < l->expect_next; j++)
    if (l->expect[j] == idx) {
      l->expect_next = j + 1;
      return;
    }
}

/* Not kept, but could be by a pass: a regular file that can be read, small enough. */
static bool refill_candidate(const ocidig_layout *l, const oci_member *m)
{
  return m->type == OCIDIG_ENTRY_FILE && !m->escapes && !m->replaced && !m->clobber && !m->kept && m->size >= 0 &&
         (uint64_t)m->size <= l->small_cap;
}

bool oci_layout_rereads(ocidig_layout *l)
{
  if (!l || !l->is_archive || l->from_stdin || !l->src->ops->reread_passes || !l->src->ops->reread_passes(l->src))
    return false;
  if (!(l->src->ops->at_end(l->src) || l->src->ops->failed(l->src)))
    return true;
  for (size_t i = 0; i < l->n_members; i++)
    if (refill_candidate(l, &l->members[i]))
      return true;
  return false;
}

/* Marks m to be kept by the pass, if it fits in *room (its bytes counted there). */
static bool refill_take(ocidig_layout *l, oci_member *m, size_t *room)
{
  if ((uint64_t)m->size > *room)
    return false;
  *room -= (size_t)m->size;
  m->again |= OCI_MEMBER_WANT;
  if (!m->kept) {
    l->refill_left++;
    if (m->ordinal >= l->refill_until)
      l->refill_until = (size_t)m->ordinal + 1;
  }
  return true;
}

/* Takes into the pass, within *part, the members not expected (and not handed out, unless
 * `served`) of at most `most` bytes: those kept, then the others before ordinal `before`. */
static void refill_unexpected(ocidig_layout *l, size_t *part, uint64_t most, size_t before, bool served)
{
  for (int kept = 1; kept >= 0; kept--)
    for (size_t i = 0; i < (kept ? l->n_members : before) && i < l->n_members && *part; i++) {
      oci_member *m = &l->members[i];
      if ((kept ? m->kept : refill_candidate(l, m)) && (served || !m->served) && (uint64_t)m->size <= most &&
          !(m->again & (OCI_MEMBER_WANT | OCI_MEMBER_EXPECTED)))
        refill_take(l, m, part);
    }
}

void oci_member_refill_plan(ocidig_layout *l, oci_member *want)
{
  size_t room = OCIDIG_MAX_KEPT_BYTES, part, quarter = OCIDIG_MAX_KEPT_BYTES / 4;
  l->refill_left = l->refill_until = 0;
  l->refilling = false;
  /* Only once the archive has been read to its end (or broke): no later copy of a name can
   * turn up then, to be compared with the bytes of a copy handed out (oci_member_add). */
  if (l->from_stdin || !l->src->ops->reread_passes || !l->src->ops->reread_passes(l->src) ||
      !(l->src->ops->at_end(l->src) || l->src->ops->failed(l->src)))
    return;
  expect_resolve(l);
  for (size_t i = 0; i < l->n_members; i++)
    l->members[i].again &= (uint8_t)~OCI_MEMBER_WANT;
  /* 1. handed out since the last pass and not announced (asked for again and again: the
   *    config images share), the member asked for now among them: a quarter at most */
  part = room < quarter ? room : quarter;
  room -= part;
  if (refill_candidate(l, want) && (!(want->again & OCI_MEMBER_EXPECTED) || want->served))
    refill_take(l, want, &part); /* announced, but asked for again: as often again, maybe */
  for (size_t i = 0; i < l->n_members && part; i++) {
    oci_member *m = &l->members[i];
    if (m->kept && (m->again & OCI_MEMBER_USED) && !(m->again & (OCI_MEMBER_EXPECTED | OCI_MEMBER_WANT)))
      refill_take(l, m, &part);
  }
  room += part;
  /* 2. small ones not announced (each image's config, read after its manifest, in each
   *    walk): another quarter.  Nothing announced: those not handed out yet, all there is
   *    room for, of what the pass meets on its way to the member (a reader goes on forward
   *    for a member further on: those come cheaply without being kept). */
  if (l->n_expect) {
    part = room < quarter ? room : quarter;
    room -= part;
    refill_unexpected(l, &part, 64 * 1024, l->n_members, true);
    room += part;
  } else {
    refill_unexpected(l, &room, l->small_cap, want->ordinal, false);
  }
  /* 3. the members announced, from the next one on, in order, as long as they fit; past
   *    the last, the first of a walk made again (oci_layout_expect_again_here: ls lists
   *    twice when the archive may fail past its images) */
  for (size_t j = l->expect_next, wrapped = 0;; j++) {
    uint32_t idx;
    oci_member *m;
    if (j >= l->n_expect && !wrapped && l->expect_again < l->expect_next) {
      j = l->expect_again;
      wrapped = 1;
    }
    if (j >= l->n_expect || (wrapped && j >= l->expect_next))
      break;
    idx = l->expect[j];
    m = idx == EXPECT_NONE ? NULL : &l->members[idx];
    if (!m || m == want || m->again & OCI_MEMBER_WANT || !(m->kept || refill_candidate(l, m)))
      continue;
    if (!refill_take(l, m, &room))
      break;
  }
  /* What is kept of any other member goes first (a later request reads it again). */
  for (size_t i = 0; i < l->n_members; i++) {
    oci_member *m = &l->members[i];
    if (m->kept && !(m->again & OCI_MEMBER_WANT)) {
      l->kept_bytes -= (size_t)m->size;
      free(m->data);
      m->data = NULL;
      m->kept = false;
    }
    m->again &= (uint8_t)~OCI_MEMBER_USED;
  }
  l->refilling = l->refill_left > 0;
}

void oci_member_refill_end(ocidig_layout *l)
{
  l->refilling = false;
  l->refill_left = l->refill_until = 0;
}

/* --------------------------------------------------- the source's events */

static int on_again(void *ctx, size_t ordinal, const char *path, int64_t declared)
{
  ocidig_layout *l = ctx;
  oci_member *m;
  if (!l->refilling || !l->refill_left || ordinal >= l->refill_until || ordinal >= l->n_members)
    return OCI_AGAIN_STOP;
  m = &l->members[ordinal];
  /* the member as the first pass met it (a file changed since is not taken) */
  if (!(m->again & OCI_MEMBER_WANT) || m->kept || m->ordinal != ordinal || m->size != declared ||
      strcmp(m->path, path))
    return OCI_AGAIN_PASS;
  return OCI_AGAIN_KEEP;
}

static void on_refill(void *ctx, size_t ordinal, uint8_t *data, size_t len)
{
  ocidig_layout *l = ctx;
  oci_member *m = ordinal < l->n_members ? &l->members[ordinal] : NULL;
  if (!m || m->kept || !(m->again & OCI_MEMBER_WANT) || (int64_t)len != m->size ||
      l->kept_bytes + len > OCIDIG_MAX_KEPT_BYTES) {
    free(data);
    return;
  }
  m->data = data;
  m->kept = true;
  m->again &= (uint8_t)~OCI_MEMBER_WANT;
  l->kept_bytes += len;
  if (l->refill_left)
    l->refill_left--;
}

static void on_warn(void *ctx, const char *message)
{
  warn_add(ctx, message);
}

/* What to do with an archive member's data as it passes. */
static void on_plan(void *ctx, const char *path, int64_t declared, oci_source_plan *plan)
{
  ocidig_layout *l = ctx;
  ocidig_digest_alg alg;
  const char *hex = oci_blob_path_hex(path, &alg);
  plan->keep = declared <= (int64_t)l->small_cap &&
               l->kept_bytes + (size_t)(declared < 0 ? 0 : declared) <= OCIDIG_MAX_KEPT_BYTES;
  plan->keep_max = l->small_cap;
  /* Under OCIDIG_OPEN_HASH_BLOBS every blob is hashed as it passes, and so is (with
   * sha256) any other file too large to keep (or of unknown size), such as a docker save
   * archive's layer.tar: verify then needs no second pass, which stdin could not give it. */
  plan->hash = (l->flags & OCIDIG_OPEN_HASH_BLOBS) && (hex || !plan->keep || declared < 0);
  plan->alg = hex ? alg : OCIDIG_DIGEST_SHA256;
  if (l->tap_plan)
    l->tap_plan(l->upper[OCI_SLOT_TAP], path, declared, plan);
}

/* What an archive member's kind says: a bad name, a link, a device. */
static void archive_member_warnings(ocidig_layout *l, const oci_source_member *m)
{
  /* Names and link targets are the archive's words: control characters escaped before
   * they go into a warning that may reach a terminal. */
  char *qname, *qlink = NULL;
  const char *link = oci_str(m->link_target);
  if (m->bad_name) {
    char *q = oci_quote(m->path, strlen(m->path), 200);
    if (strlen(m->path) > OCIDIG_MAX_PATH_LENGTH)
      oci_layout_warn(l, "archive member %s has a name longer than %d bytes: ignored", q ? q : "?",
                      OCIDIG_MAX_PATH_LENGTH);
    else
      oci_layout_warn(l, "archive member %s has an absolute or \"..\" name: ignored", q ? q : "?");
    free(q);
  }
  qname = oci_escape(m->path, 200);
  switch (m->type) {
  case OCIDIG_ENTRY_HARDLINK:
    qlink = oci_escape(link, 200);
    oci_layout_warn(l, "archive member %s is a hard link (to %s%s): not read as a blob", qname ? qname : "?",
                    m->escapes ? "outside the layout: " : "", qlink ? qlink : "?");
    break;
  case OCIDIG_ENTRY_SYMLINK:
    if (m->escapes || !strncmp(m->path, "blobs/", 6) || !strcmp(m->path, "index.json") ||
        !strcmp(m->path, "oci-layout")) {
      qlink = oci_escape(link, 200);
      oci_layout_warn(l, "archive member %s is a symbolic link (to %s%s): not read as a blob", qname ? qname : "?",
                      m->escapes ? "outside the layout: " : "", qlink ? qlink : "?");
    }
    break;
  case OCIDIG_ENTRY_SPECIAL:
    oci_layout_warn(l, "archive member %s is a device, FIFO or socket: ignored", qname ? qname : "?");
    break;
  default:
    break;
  }
  free(qname);
  free(qlink);
}

static ocidig_code on_member(void *ctx, oci_source_member *sm, ocidig_error *err)
{
  ocidig_layout *l = ctx;
  oci_member m = {0};
  if (l->is_archive)
    archive_member_warnings(l, sm);
  m.path = oci_strpool_dup(&l->paths, sm->path);
  m.type = (uint8_t)sm->type;
  m.size = sm->size;
  m.link_target = sm->link_target;
  m.escapes = sm->escapes;
  m.served = sm->served;
  m.data = sm->data;
  m.ordinal = (uint32_t)sm->ordinal; /* < OCIDIG_MAX_ARCHIVE_MEMBERS (oci_member_add) */
  m.actual_hex = sm->actual_hex;
  free(sm->path);
  memset(sm, 0, sizeof *sm);
  if (!m.path) {
    oci_member_free(&m);
    return oci_nomem(err);
  }
  /* Small members are kept, within OCIDIG_MAX_KEPT_BYTES in all. */
  if (m.data) {
    if (l->kept_bytes + (uint64_t)m.size > OCIDIG_MAX_KEPT_BYTES) {
      free(m.data);
      m.data = NULL;
    } else {
      m.kept = true;
      l->kept_bytes += (size_t)m.size;
    }
  }
  /* Hashed as it passed: a blob's name says what it should hash to (any other file has no
   * name to hold its hash to: UNKNOWN, actual_hex set). */
  if (m.actual_hex) {
    ocidig_digest_alg alg;
    const char *hex = oci_blob_path_hex(m.path, &alg);
    if (hex)
      m.hash = (uint8_t)(strcmp(m.actual_hex, hex) ? OCIDIG_HASH_MISMATCH : OCIDIG_HASH_OK);
    /* its name holds the hash: 80 bytes a member fewer (100,000 blobs: 8 MB) */
    if (m.hash == OCIDIG_HASH_OK) {
      free(m.actual_hex);
      m.actual_hex = NULL;
    }
  }
  return oci_member_add(l, &m, err);
}

/* A directory's folder that could not be listed: a warning, and a note for verify. */
static void on_unlisted(void *ctx, const char *path, const char *message)
{
  ocidig_layout *l = ctx;
  warn_add(l, message);
  if (oci_strv_push(&l->list_errors, &l->n_list_errors, message)) {
    size_t n = l->n_list_errors - 1;
    if (!oci_strv_push(&l->list_error_paths, &n, path))
      free(l->list_errors[--l->n_list_errors]); /* the two lists stay in step */
  }
}

static void on_progress(void *ctx, uint64_t bytes_read)
{
  ocidig_layout *l = ctx;
  l->progress(l->progress_ctx, bytes_read, l->input_size);
}

void oci_layout_source_events(const ocidig_layout *l, oci_source_events *ev)
{
  memset(ev, 0, sizeof *ev);
  ev->warn = on_warn;
  ev->plan = on_plan;
  ev->member = on_member;
  ev->unlisted = on_unlisted;
  ev->again = on_again;
  ev->refill = on_refill;
  if (l->progress)
    ev->progress = on_progress;
}

/* ------------------------------------------------------ links by name */

static int cmp_link(const void *a, const void *b)
{
  const oci_link_ref *x = a, *y = b;
  int c = strcmp(x->path, y->path);
  return c ? c : (x->index > y->index) - (x->index < y->index);
}

const char *oci_layout_link_target(ocidig_layout *l, const char *path)
{
  size_t lo = 0, hi;
  if (!l || !path || !l->is_archive)
    return NULL;
  if (!l->links || l->links_members != l->n_members) {
    size_t n = 0;
    oci_link_ref *v;
    for (size_t i = 0; i < l->n_members; i++)
      n += l->members[i].type == OCIDIG_ENTRY_SYMLINK && !l->members[i].escapes;
    if (!(v = malloc((n ? n : 1) * sizeof *v)))
      return NULL;
    n = 0;
    for (size_t i = 0; i < l->n_members; i++)
      if (l->members[i].type == OCIDIG_ENTRY_SYMLINK && !l->members[i].escapes)
        v[n++] = (oci_link_ref){l->members[i].path, i};
    qsort(v, n, sizeof *v, cmp_link);
    free(l->links);
    l->links = v;
    l->n_links = n;
    l->links_members = l->n_members;
  }
  /* The first entry not below path, then the last of those equal to it. */
  hi = l->n_links;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(l->links[mid].path, path) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == l->n_links || strcmp(l->links[lo].path, path))
    return NULL;
  while (lo + 1 < l->n_links && !strcmp(l->links[lo + 1].path, path))
    lo++;
  return oci_str(l->members[l->links[lo].index].link_target);
}
