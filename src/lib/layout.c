/* layout.c: opening a layout and reading its files, whatever the source: the lookups over
 * the member table (member.c) and the source's operations (source/source.h), and what the
 * layers above ask of a layout. */
#include "layout.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

ocidig_code oci_layout_open(const char *path, const ocidig_open_options *opts, const oci_layout_tap *tap,
                            ocidig_layout **out, ocidig_error *err)
{
  ocidig_layout *l = NULL;
  struct stat st;
  ocidig_code rc;
  oci_source_options so = {.path = path};

  if (!out || !path || !*path || !(l = calloc(1, sizeof *l)) || !(l->path = strdup(path))) {
    if (out)
      *out = NULL;
    if (tap && tap->free_ctx)
      tap->free_ctx(tap->ctx);
    free(l);
    OCI_REQUIRE(out, "out", err);
    OCI_REQUIRE(path, "the path", err);
    if (!*path)
      return oci_fail(err, OCIDIG_ERR_USAGE, "no source given");
    return oci_nomem(err);
  }
  *out = NULL;
  if (tap) {
    l->tap_plan = tap->plan;
    l->upper[OCI_SLOT_TAP] = tap->ctx;
    l->upper_free[OCI_SLOT_TAP] = tap->free_ctx;
  }
  l->input_size = -1;
  if (opts) {
    l->flags = opts->flags;
    l->small_cap = opts->small_cap;
    l->progress = opts->progress;
    l->progress_ctx = opts->progress_ctx;
    so.max_bytes = opts->max_bytes;
  }
  if (l->flags & OCIDIG_OPEN_HASH_BLOBS)
    l->flags |= OCIDIG_OPEN_FULL_SCAN;
  if (!l->small_cap)
    l->small_cap = OCIDIG_DEFAULT_SMALL_CAP;
  oci_layout_source_events(l, &l->events);

  if (!strcmp(path, "-")) {
    l->from_stdin = so.from_stdin = true;
    l->is_archive = true;
    if (fstat(0, &st) != 0)
      rc = oci_fail(err, OCIDIG_ERR_IO, "standard input: %s", errno == EBADF ? "closed" : strerror(errno));
    else if (S_ISDIR(st.st_mode))
      rc = oci_fail(err, OCIDIG_ERR_IO,
                    "standard input is a directory, not an archive (give a layout directory as SOURCE, not -)");
    else
      rc = oci_source_archive_open(&so, &l->events, l, &l->src, err);
  } else if (stat(path, &st) != 0) {
    rc = oci_fail(err, errno == ENOENT ? OCIDIG_ERR_NOT_FOUND : OCIDIG_ERR_IO, "%s: %s", path, strerror(errno));
  } else if (S_ISDIR(st.st_mode)) {
    rc = oci_source_dir_open(&so, &l->events, l, &l->src, err);
  } else if (S_ISREG(st.st_mode)) {
    l->is_archive = true;
    l->input_size = (int64_t)st.st_size;
    rc = oci_source_archive_open(&so, &l->events, l, &l->src, err);
  } else {
    rc = oci_fail(err, OCIDIG_ERR_NOT_A_LAYOUT, "%s: neither a directory nor a regular file", path);
  }
  if (rc == OCIDIG_OK && (l->flags & OCIDIG_OPEN_FULL_SCAN))
    rc = ocidig_layout_scan_all(l, err);
  if (rc != OCIDIG_OK) {
    ocidig_layout_close(l);
    return rc;
  }
  *out = l;
  return OCIDIG_OK;
}

void oci_layout_release_caches(ocidig_layout *l, unsigned what)
{
  if ((what & OCI_RELEASE_GRAPH) && l->upper[OCI_SLOT_GRAPH] && l->upper_free[OCI_SLOT_GRAPH]) {
    l->upper_free[OCI_SLOT_GRAPH](l->upper[OCI_SLOT_GRAPH]);
    l->upper[OCI_SLOT_GRAPH] = NULL;
  }
  if (!(what & OCI_RELEASE_KEPT) || l->from_stdin)
    return; /* what is kept of standard input cannot be read again */
  for (size_t i = 0; i < l->n_members; i++)
    if (l->members[i].kept) {
      free(l->members[i].data);
      l->members[i].data = NULL;
      l->members[i].kept = false;
    }
  l->kept_bytes = 0;
}

size_t oci_layout_release_member(ocidig_layout *l, const char *path)
{
  oci_member *m;
  if (!l->is_archive || l->from_stdin || !(m = oci_member_find(l, path)) || !m->kept)
    return 0;
  free(m->data);
  m->data = NULL;
  m->kept = false;
  l->kept_bytes -= (size_t)m->size;
  return (size_t)m->size;
}

void ocidig_layout_close(ocidig_layout *l)
{
  if (!l)
    return;
  for (size_t i = 0; i < sizeof l->upper / sizeof l->upper[0]; i++)
    if (l->upper[i] && l->upper_free[i])
      l->upper_free[i](l->upper[i]);
  if (l->src)
    l->src->ops->close(l->src);
  oci_strv_free(l->list_errors, l->n_list_errors);
  oci_strv_free(l->list_error_paths, l->n_list_errors);
  free(l->links);
  oci_layout_expect(l, 0, NULL, NULL);
  for (size_t i = 0; i < l->n_members; i++)
    oci_member_free(&l->members[i]);
  free(l->members);
  oci_strpool_free(&l->paths);
  free(l->table);
  free(l->entries);
  for (size_t i = 0; i < l->n_old_entries; i++)
    free(l->old_entries[i]);
  free(l->old_entries);
  oci_strv_free(l->warnings, l->n_warnings);
  free(l->path);
  free(l);
}

bool ocidig_layout_is_archive(const ocidig_layout *l)
{
  return l && l->is_archive;
}

/* The source read on until `path` has been met (NULL: to the end); sink as the scan op. */
static ocidig_code scan(ocidig_layout *l, const char *path, ocidig_sink sink, void *ctx, bool *streamed,
                        ocidig_error *err)
{
  ocidig_code rc = l->src->ops->scan(l->src, path, sink, ctx, streamed, err);
  if (rc == OCIDIG_OK && l->cap_members > l->n_members && l->n_members > 1024 && l->src->ops->at_end(l->src)) {
    /* every member known: the table's slack goes (a third of it, 100,000 members in) */
    oci_member *m = realloc(l->members, l->n_members * sizeof *m);
    if (m) {
      l->members = m;
      l->cap_members = l->n_members;
    }
  }
  return rc;
}

static bool at_end(const ocidig_layout *l)
{
  return l->src->ops->at_end(l->src);
}

/* A member's data is all there before anything is judged by the size its header declares. */
static ocidig_code confirm(ocidig_layout *l, const oci_member *m, ocidig_error *err)
{
  return l->src->ops->confirm ? l->src->ops->confirm(l->src, m->ordinal, err) : OCIDIG_OK;
}

/* Streams a member of an archive that was passed without being kept; a pass over what comes
 * before it keeps, on its way, what will be asked for next (oci_member_refill_plan). */
static ocidig_code reread(ocidig_layout *l, oci_member *m, ocidig_sink sink, void *ctx, ocidig_error *err)
{
  ocidig_code rc;
  if (l->from_stdin) {
    /* Why it was asked for only after it went by is the caller's to say (a document read
     * first that named it, a short digest looked up over the whole stream, ...). */
    return oci_fail(err, OCIDIG_ERR_NOT_REREADABLE,
                    "%s has already gone by in the archive on standard input, and a stream cannot be re-read "
                    "(members up to %zu bytes are kept, %u bytes in all); give the archive as a file",
                    m->path, l->small_cap, OCIDIG_MAX_KEPT_BYTES);
  }
  if (!at_end(l) && l->src->ops->reread_passes && l->src->ops->reread_passes(l->src) &&
      !l->src->ops->failed(l->src)) {
    /* Read again from its start: the archive is read to its end first (once; what is kept
     * of it as ever), so that the passes know where every member is, and no later copy of
     * a member handed out can turn up to be compared with bytes a pass dropped.  An error
     * there (cut, corrupt, ambiguous) is the archive's, which every request then gets. */
    size_t idx = (size_t)(m - l->members);
    if ((rc = scan(l, NULL, NULL, NULL, NULL, err)) != OCIDIG_OK)
      return rc;
    m = &l->members[idx];
  }
  if (l->in_order)
    return l->src->ops->reread(l->src, m->path, m->ordinal, m->size, sink, ctx, err);
  oci_member_refill_plan(l, m);
  rc = l->src->ops->reread(l->src, m->path, m->ordinal, m->size, sink, ctx, err);
  oci_member_refill_end(l);
  return rc;
}

void oci_layout_in_order(ocidig_layout *l, bool on)
{
  if (l)
    l->in_order = on;
}

/* Finds a regular member of an archive, reading on if it has not been seen yet. */
static ocidig_code archive_lookup(ocidig_layout *l, const char *relpath, oci_member **out, ocidig_error *err)
{
  ocidig_code rc;
  *out = oci_member_find(l, relpath);
  if (!*out && !at_end(l)) {
    if ((rc = scan(l, relpath, NULL, NULL, NULL, err)) != OCIDIG_OK)
      return rc;
    *out = oci_member_find(l, relpath);
  }
  if (!*out)
    return oci_fail(err, OCIDIG_ERR_BLOB_MISSING, "%s is not in the archive", relpath);
  /* Its size is only a claim until its data is known to be there. */
  if ((rc = confirm(l, *out, err)) != OCIDIG_OK)
    return rc;
  if ((*out)->clobber)
    return oci_member_clobbered(l, *out, err);
  oci_member_handed_out(l, *out);
  return OCIDIG_OK;
}

static void entry_from_member(const oci_member *m, ocidig_entry *e)
{
  memset(e, 0, sizeof *e);
  e->path = m->path;
  e->type = (ocidig_entry_type)m->type;
  e->size = m->size;
  e->link_target = m->link_target;
  e->escapes = m->escapes;
  e->duplicate = m->duplicate;
  e->hash = (ocidig_hash_state)m->hash;
  if (oci_member_hex(m))
    snprintf(e->actual_hex, sizeof e->actual_hex, "%s", oci_member_hex(m));
}

ocidig_code ocidig_layout_stat(ocidig_layout *l, const char *relpath, ocidig_entry *out, ocidig_error *err)
{
  oci_member *m;
  ocidig_code rc;
  OCI_REQUIRE(l, "the layout", err);
  OCI_REQUIRE(relpath, "relpath", err);
  OCI_REQUIRE(out, "out", err);
  if (!l->is_archive)
    return l->src->ops->stat(l->src, relpath, out, err);
  if ((rc = archive_lookup(l, relpath, &m, err)) != OCIDIG_OK)
    return rc;
  entry_from_member(m, out);
  return OCIDIG_OK;
}

typedef struct mem_sink {
  uint8_t *buf;
  size_t len, cap, max;
  const char *path;
} mem_sink;

static ocidig_code mem_sink_write(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  mem_sink *s = ctx;
  if (len > s->max - s->len)
    return oci_fail(err, OCIDIG_ERR_JSON_TOO_LARGE, "%s: larger than the %zu-byte limit", s->path, s->max);
  if (!oci_grow((void **)&s->buf, &s->cap, s->len + len + 1, 1))
    return oci_nomem(err);
  memcpy(s->buf + s->len, buf, len);
  s->len += len;
  return OCIDIG_OK;
}

ocidig_code ocidig_layout_stream_file(ocidig_layout *l, const char *relpath, ocidig_sink sink, void *ctx,
                                      ocidig_error *err)
{
  oci_member *m;
  ocidig_code rc;
  bool streamed = false;
  OCI_REQUIRE(l, "the layout", err);
  OCI_REQUIRE(relpath, "relpath", err);
  OCI_REQUIRE(sink, "the sink", err);
  if (!l->is_archive)
    return l->src->ops->stream(l->src, relpath, SIZE_MAX, sink, ctx, err);
  m = oci_member_find(l, relpath);
  if (!m && !at_end(l)) {
    /* Not seen yet: stream it as it goes by (works on stdin too). */
    if ((rc = scan(l, relpath, sink, ctx, &streamed, err)) != OCIDIG_OK)
      return rc;
    if (streamed)
      return OCIDIG_OK;
    m = oci_member_find(l, relpath);
  }
  if (!m)
    return oci_fail(err, OCIDIG_ERR_BLOB_MISSING, "%s is not in the archive", relpath);
  if ((rc = confirm(l, m, err)) != OCIDIG_OK)
    return rc;
  if (m->clobber)
    return oci_member_clobbered(l, m, err);
  oci_member_handed_out(l, m);
  if (m->kept)
    return m->size ? sink(ctx, m->data, (size_t)m->size, err) : OCIDIG_OK;
  return reread(l, m, sink, ctx, err);
}

ocidig_code ocidig_layout_read_file(ocidig_layout *l, const char *relpath, size_t max, uint8_t **data,
                                    size_t *len, ocidig_error *err)
{
  mem_sink s = {.max = max, .path = relpath};
  ocidig_code rc;
  OCI_REQUIRE(data, "data", err);
  OCI_REQUIRE(len, "len", err);
  *data = NULL;
  *len = 0;
  OCI_REQUIRE(l, "the layout", err);
  OCI_REQUIRE(relpath, "relpath", err);
  if (l->is_archive) {
    oci_member *m = oci_member_find(l, relpath);
    if (!m && !at_end(l)) {
      /* Not seen yet: take its bytes as they stream by, whatever the cap (works on stdin). */
      bool streamed = false;
      if ((rc = scan(l, relpath, mem_sink_write, &s, &streamed, err)) != OCIDIG_OK) {
        free(s.buf);
        /* Over the limit: but a member whose data is not all there is a cut archive first. */
        if (rc == OCIDIG_ERR_JSON_TOO_LARGE && (m = oci_member_find(l, relpath)) != NULL) {
          ocidig_code rc2 = confirm(l, m, err);
          if (rc2 != OCIDIG_OK)
            return rc2;
        }
        return rc;
      }
      if (streamed)
        goto done;
      free(s.buf);
      s.buf = NULL;
      s.len = s.cap = 0;
    }
    if ((rc = archive_lookup(l, relpath, &m, err)) != OCIDIG_OK)
      return rc;
    if (m->size >= 0 && (uint64_t)m->size > max)
      return oci_fail(err, OCIDIG_ERR_JSON_TOO_LARGE, "%s: %lld bytes, more than the %zu-byte limit", relpath,
                      (long long)m->size, max);
    if (m->kept) {
      s.buf = malloc((size_t)m->size + 1);
      if (!s.buf)
        return oci_nomem(err);
      memcpy(s.buf, m->data, (size_t)m->size);
      s.buf[m->size] = '\0';
      *data = s.buf;
      *len = (size_t)m->size;
      return OCIDIG_OK;
    }
    rc = reread(l, m, mem_sink_write, &s, err);
  } else {
    rc = l->src->ops->stream(l->src, relpath, max, mem_sink_write, &s, err);
  }
  if (rc != OCIDIG_OK) {
    free(s.buf);
    return rc;
  }
done:
  if (!s.buf && !(s.buf = malloc(1)))
    return oci_nomem(err);
  s.buf[s.len] = '\0';
  *data = s.buf;
  *len = s.len;
  return OCIDIG_OK;
}

ocidig_code ocidig_layout_read_blob(ocidig_layout *l, const ocidig_digest *digest, int64_t size, size_t max,
                                    uint8_t **data, size_t *len, ocidig_error *err)
{
  char path[OCIDIG_DIGEST_STRING_MAX + 8], dstr[OCIDIG_DIGEST_STRING_MAX], hex[129];
  ocidig_entry e;
  ocidig_code rc;

  OCI_REQUIRE(data, "data", err);
  OCI_REQUIRE(len, "len", err);
  *data = NULL;
  *len = 0;
  OCI_REQUIRE(l, "the layout", err);
  OCI_REQUIRE(digest, "the digest", err);
  ocidig_digest_blob_path(digest, path);
  ocidig_digest_format(digest, dstr);
  if ((rc = ocidig_layout_stat(l, path, &e, err)) != OCIDIG_OK) {
    if (rc == OCIDIG_ERR_BLOB_MISSING)
      return oci_fail(err, rc, "blob %s is missing (no %s in the layout)", dstr, path);
    return rc;
  }
  if (e.size != size)
    return oci_fail(err, OCIDIG_ERR_SIZE_MISMATCH, "blob %s: %s is %lld bytes, the descriptor says %lld", dstr, path,
                    (long long)e.size, (long long)size);
  if ((uint64_t)size > max)
    return oci_fail(err, OCIDIG_ERR_JSON_TOO_LARGE, "blob %s: %lld bytes, more than the %zu-byte limit for a document",
                    dstr, (long long)size, max);
  if ((rc = ocidig_layout_read_file(l, path, max, data, len, err)) != OCIDIG_OK)
    return rc;
  if ((int64_t)*len != size) {
    free(*data);
    *data = NULL;
    return oci_fail(err, OCIDIG_ERR_SIZE_MISMATCH, "blob %s: read %zu bytes, the descriptor says %lld", dstr, *len,
                    (long long)size);
  }
  if (!oci_hash_hex(digest->alg, *data, *len, hex)) {
    free(*data);
    *data = NULL;
    return oci_nomem(err);
  }
  if (strcmp(hex, digest->hex)) {
    free(*data);
    *data = NULL;
    return oci_fail(err, OCIDIG_ERR_DIGEST_MISMATCH, "blob %s: the bytes of %s hash to %s:%s", dstr, path,
                    ocidig_digest_alg_name(digest->alg), hex);
  }
  return OCIDIG_OK;
}

ocidig_code ocidig_layout_scan_all(ocidig_layout *l, ocidig_error *err)
{
  OCI_REQUIRE(l, "the layout", err);
  if (!l->is_archive)
    return OCIDIG_OK;
  /* To the end; a broken stream gives its error again. */
  return scan(l, NULL, NULL, NULL, NULL, err);
}

ocidig_code oci_layout_entries_each(ocidig_layout *l, oci_entry_fn fn, void *ctx, ocidig_error *err)
{
  ocidig_code rc;
  size_t n;
  if ((rc = scan(l, NULL, NULL, NULL, NULL, err)) != OCIDIG_OK)
    return rc;
  if (l->entries && l->entries_members == l->n_members) {
    for (size_t i = 0; i < l->n_entries; i++)
      fn(ctx, &l->entries[i]);
    return OCIDIG_OK;
  }
  /* the members as they are now: one fn calls may add (a stat, a link looked up) is not listed,
   * as it would not be in ocidig_layout_entries' array */
  n = l->n_members;
  for (size_t i = 0; i < n; i++) {
    ocidig_entry e;
    if (l->members[i].replaced || l->members[i].clobber)
      continue;
    entry_from_member(&l->members[i], &e);
    fn(ctx, &e);
  }
  return OCIDIG_OK;
}

ocidig_code ocidig_layout_entries(ocidig_layout *l, const ocidig_entry **entries, size_t *n, ocidig_error *err)
{
  ocidig_code rc;
  ocidig_entry *e;
  size_t k = 0;
  OCI_REQUIRE(l, "the layout", err);
  OCI_REQUIRE(entries, "entries", err);
  OCI_REQUIRE(n, "n", err);
  /* An archive read to its end; a directory walked (once). */
  if ((rc = scan(l, NULL, NULL, NULL, NULL, err)) != OCIDIG_OK)
    return rc;
  /* The members are all known now (an archive read to its end, a directory walked once):
   * the listing is built once and handed out again.  Should members have been added since,
   * a new listing is built and the old one kept until close: every array handed out stays
   * valid until ocidig_layout_close. */
  if (l->entries && l->entries_members == l->n_members) {
    *entries = l->entries;
    *n = l->n_entries;
    return OCIDIG_OK;
  }
  e = calloc(l->n_members ? l->n_members : 1, sizeof *e);
  if (!e)
    return oci_nomem(err);
  if (l->entries) {
    ocidig_entry **old = realloc(l->old_entries, (l->n_old_entries + 1) * sizeof *old);
    if (!old) {
      free(e);
      return oci_nomem(err);
    }
    l->old_entries = old;
    l->old_entries[l->n_old_entries++] = l->entries;
  }
  /* The last member of each name: what tar extracts (a file replaced by a directory or a
   * link is left out; that one has duplicate set). */
  for (size_t i = 0; i < l->n_members; i++)
    if (!l->members[i].replaced && !l->members[i].clobber)
      entry_from_member(&l->members[i], &e[k++]);
  l->entries = e;
  l->n_entries = k;
  l->entries_members = l->n_members;
  *entries = e;
  *n = k;
  return OCIDIG_OK;
}

bool oci_layout_known_whole(const ocidig_layout *l)
{
  return !l->is_archive || at_end(l);
}

ocidig_code oci_layout_each_entry(ocidig_layout *l, bool (*fn)(void *ctx, const ocidig_entry *e), void *ctx,
                                  ocidig_error *err)
{
  ocidig_code rc;
  ocidig_entry e;
  if ((rc = scan(l, NULL, NULL, NULL, NULL, err)) != OCIDIG_OK)
    return rc;
  for (size_t i = 0; i < l->n_members; i++)
    if (!l->members[i].replaced && !l->members[i].clobber) {
      entry_from_member(&l->members[i], &e);
      if (!fn(ctx, &e))
        break;
    }
  return OCIDIG_OK;
}

size_t ocidig_layout_warnings(const ocidig_layout *l, const char *const **warnings)
{
  if (warnings)
    *warnings = l ? (const char *const *)l->warnings : NULL;
  return l ? l->n_warnings : 0;
}

uint64_t ocidig_layout_bytes_read(const ocidig_layout *l)
{
  return l && l->src && l->src->ops->bytes_read ? l->src->ops->bytes_read(l->src) : 0;
}

/* ------------------------------------------- what the layers above ask */

const char *oci_layout_path(const ocidig_layout *l)
{
  return l ? l->path : "";
}

bool oci_layout_member_known(ocidig_layout *l, const char *path)
{
  return l && path && oci_member_find(l, path) != NULL;
}

bool oci_layout_member_ahead(ocidig_layout *l, const char *path)
{
  return l && path && l->is_archive && !at_end(l) && !l->src->ops->failed(l->src) && !oci_member_find(l, path);
}

int64_t oci_layout_streaming_size(const ocidig_layout *l)
{
  return l && l->src && l->src->ops->streaming_size ? l->src->ops->streaming_size(l->src) : -1;
}

ocidig_code oci_layout_confirm(ocidig_layout *l, const char *path, ocidig_error *err)
{
  oci_member *m = l && path ? oci_member_find(l, path) : NULL;
  return m ? confirm(l, m, err) : OCIDIG_OK;
}

bool oci_layout_rest_is_cheap(const ocidig_layout *l)
{
  return l && l->src && l->src->ops->rest_is_cheap && l->src->ops->rest_is_cheap(l->src);
}

bool oci_layout_ambiguous(const ocidig_layout *l)
{
  return l && l->ambiguous;
}

size_t oci_layout_list_errors(const ocidig_layout *l, const char *const **messages, const char *const **paths)
{
  if (messages)
    *messages = l ? (const char *const *)l->list_errors : NULL;
  if (paths)
    *paths = l ? (const char *const *)l->list_error_paths : NULL;
  return l ? l->n_list_errors : 0;
}

int oci_layout_open_member(const ocidig_layout *l, const char *path, int *e)
{
  if (!l || !l->src || !l->src->ops->open) {
    *e = ENOTSUP;
    return -1;
  }
  return l->src->ops->open(l->src, path, e);
}

int oci_layout_resolve(const ocidig_layout *l, const char *path, struct stat *st, char **canon, char **link,
                       char **target)
{
  if (canon)
    *canon = NULL;
  if (link)
    *link = NULL;
  if (target)
    *target = NULL;
  if (!l || !l->src || !l->src->ops->resolve)
    return ENOTSUP;
  return l->src->ops->resolve(l->src, path, st, canon, link, target);
}
