/* layer_tar.c: the layer reader's worker (layer.h): takes the decoded bytes from the queue
 * (hashing them: the diff_id), gives them to libarchive (format tar only, no filter) through
 * its read callback, turns each header into an oci_layer_entry for the consumer, and says
 * whether the tar is valid to its end-of-archive marker.  After the tar (its end, or an
 * error) it drains the queue, hashing, so that the diff_id covers every byte.  Also the
 * names: cleaning a path, whiteouts. */
#include "layer_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ the queue's consumer */

static la_ssize_t tar_read(struct archive *a, void *arg, const void **buf)
{
  oci_layer_reader *r = arg;
  unsigned i;
  size_t len;
  bool stop;
  (void)a;
  pthread_mutex_lock(&r->mu);
  if (r->held) { /* libarchive is done with the slot it had */
    r->held = false;
    r->tail = (r->tail + 1) % LAYER_SLOTS;
    r->queued--;
    pthread_cond_signal(&r->has_space);
  }
  while (r->queued == 0 && !r->eof)
    pthread_cond_wait(&r->has_data, &r->mu);
  if (r->queued == 0) {
    r->saw_eof = true;
    pthread_mutex_unlock(&r->mu);
    *buf = NULL;
    return 0;
  }
  r->held = true;
  i = r->tail;
  len = r->slot_len[i];
  stop = r->stop;
  pthread_mutex_unlock(&r->mu);
  if (!stop && r->diff_hash)
    oci_hasher_update(r->diff_hash, r->slot[i], len);
  r->output_bytes += len;
  *buf = r->slot[i];
  return (la_ssize_t)len;
}

/* Ends the read for the producer too (a consumer's stop or error). */
static void worker_stop(oci_layer_reader *r, ocidig_code rc, const ocidig_error *e)
{
  pthread_mutex_lock(&r->mu);
  if (rc != OCIDIG_OK && r->cb_rc == OCIDIG_OK) {
    r->cb_rc = rc;
    if (e)
      r->cb_err = *e;
    else
      oci_fail(&r->cb_err, rc, "layer reader: out of memory");
  }
  r->stop = true;
  pthread_cond_broadcast(&r->has_space);
  pthread_mutex_unlock(&r->mu);
}

static void tar_status(oci_layer_reader *r, oci_layer_tar_status st, const char *fmt, ...) OCI_PRINTF(3, 4);
static void tar_status(oci_layer_reader *r, oci_layer_tar_status st, const char *fmt, ...)
{
  va_list ap;
  r->tar = st;
  va_start(ap, fmt);
  vsnprintf(r->tar_message, sizeof r->tar_message, fmt, ap);
  va_end(ap);
}

/* libarchive failed: a stream cut short (its messages say "Truncated", or the read callback
 * had reached the end), or a damaged one. */
static void tar_failed(oci_layer_reader *r, struct archive *a, const char *where, uint64_t entry, bool at_open)
{
  const char *m = archive_error_string(a);
  bool truncated = (m && !strncmp(m, "Truncated", 9)) || r->saw_eof;
  /* libarchive out of memory: no fault of the tar.  ENOMEM, or libarchive's own words for
   * it ("No memory", "Can't allocate ..."); at the open only, a failure with no error set at
   * all (an allocation of archive_read_open's fails so).  Anything else is the data's. */
  if (archive_errno(a) == ENOMEM || (m && (!strncmp(m, "No memory", 9) || !strncmp(m, "Can't allocate", 14))) ||
      (at_open && !m && !archive_errno(a))) {
    tar_status(r, OCI_LAYER_TAR_NOT_READ, "out of memory");
    worker_stop(r, OCIDIG_ERR_NOMEM, NULL);
    return;
  }
  if (!m)
    m = "unreadable";
  if (r->entries == 0 && r->output_bytes == 0 && r->saw_eof)
    tar_status(r, OCI_LAYER_TAR_NO_MARKER, "an empty stream (no end-of-archive marker)");
  else if (r->entries == 0 && !strcmp(m, "Unrecognized archive format"))
    tar_status(r, OCI_LAYER_TAR_CORRUPT, "not a tar stream");
  else if (truncated)
    tar_status(r, OCI_LAYER_TAR_TRUNCATED, "the tar ends early (%s, entry %llu): %s", where,
               (unsigned long long)entry, m);
  else
    tar_status(r, OCI_LAYER_TAR_CORRUPT, "a damaged tar (%s, entry %llu, at byte %lld): %s", where,
               (unsigned long long)entry, (long long)archive_filter_bytes(a, 0), m);
}

/* ------------------------------------------------------------ names */

static bool ensure(char **buf, size_t *cap, size_t need)
{
  if (need <= *cap)
    return true;
  size_t n = *cap ? *cap : 256;
  while (n < need)
    n *= 2;
  char *b = realloc(*buf, n);
  if (!b)
    return false;
  *buf = b;
  *cap = n;
  return true;
}

/* Is every component of name empty or "."? */
static bool root_name(const char *name)
{
  for (const char *p = name; *p;) {
    size_t n = strcspn(p, "/");
    if (n > 1 || (n == 1 && *p != '.'))
      return false;
    p += n;
    if (*p == '/')
      p++;
  }
  return true;
}

/* raw cleaned into *buf ("./a//b/" -> "a/b", "./" -> ""); absolute or with a ".." component:
 * *bad and raw as is.  false: out of memory. */
static bool clean_name(const char *raw, char **buf, size_t *cap, bool *bad)
{
  size_t len = strlen(raw), o = 0;
  const char *p = raw;
  /* absolute: a leading "/", unless the name is the root itself ("/", "/./": umoci writes it) */
  *bad = raw[0] == '/' && !root_name(raw);
  if (!ensure(buf, cap, len + 1))
    return false;
  while (*p && !*bad) {
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    if (n == 2 && p[0] == '.' && p[1] == '.')
      *bad = true;
    else if (n && !(n == 1 && p[0] == '.')) {
      if (o)
        (*buf)[o++] = '/';
      memcpy(*buf + o, p, n);
      o += n;
    }
    p += n;
    if (*p == '/')
      p++;
  }
  if (*bad) {
    memcpy(*buf, raw, len + 1);
    return true;
  }
  (*buf)[o] = '\0';
  return true;
}

static const char *base_of(const char *path)
{
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

bool oci_layer_is_whiteout(const char *path)
{
  return path && !strncmp(base_of(path), ".wh.", 4);
}

bool oci_layer_whiteout_of(const char *path, char **target, bool *opaque)
{
  const char *base;
  size_t dirlen;
  *target = NULL;
  *opaque = false;
  if (!oci_layer_is_whiteout(path))
    return false;
  base = base_of(path);
  dirlen = (size_t)(base - path); /* with its '/' */
  if (!strcmp(base, ".wh..wh..opq")) {
    if (!(*target = oci_strndup(path, dirlen ? dirlen - 1 : 0)))
      return false;
    *opaque = true;
    return true;
  }
  if (!base[4] || !strncmp(base, ".wh..wh.", 8)) /* ".wh." alone; aufs's other meta files */
    return false;
  *target = oci_sprintf("%.*s%s", (int)dirlen, path, base + 4);
  return *target != NULL;
}

/* ------------------------------------------------------------ entries */

static char type_of(struct archive_entry *e)
{
  if (archive_entry_hardlink(e))
    return 'h';
  switch (archive_entry_filetype(e)) {
  case AE_IFREG:
    return 'f';
  case AE_IFDIR:
    return 'd';
  case AE_IFLNK:
    return 'l';
  case AE_IFCHR:
    return 'c';
  case AE_IFBLK:
    return 'b';
  case AE_IFIFO:
    return 'p';
  default:
    return '?';
  }
}

static const char *name_of(const char *mbs, const char *utf8)
{
  return mbs ? mbs : utf8 ? utf8 : NULL;
}

/* One header to the consumer.  false: the read ends here (stopped, or failed). */
static bool deliver(oci_layer_reader *r, struct archive_entry *ae)
{
  oci_layer_entry e = {0};
  const char *raw = name_of(archive_entry_pathname(ae), archive_entry_pathname_utf8(ae));
  const char *link = NULL;
  ocidig_error err = {0};
  ocidig_code rc = OCIDIG_OK;

  e.raw_name = raw ? raw : "";
  e.type = type_of(ae);
  if (!clean_name(e.raw_name, &r->pathbuf, &r->pathcap, &e.bad_name)) {
    worker_stop(r, OCIDIG_ERR_NOMEM, NULL);
    return false;
  }
  e.path = r->pathbuf;
  if (e.type == 'h') {
    link = name_of(archive_entry_hardlink(ae), archive_entry_hardlink_utf8(ae));
    if (!clean_name(link ? link : "", &r->linkbuf, &r->linkcap, &e.bad_link)) {
      worker_stop(r, OCIDIG_ERR_NOMEM, NULL);
      return false;
    }
    e.link = r->linkbuf;
  } else if (e.type == 'l') {
    link = name_of(archive_entry_symlink(ae), archive_entry_symlink_utf8(ae));
    e.link = link ? link : "";
  }
  e.mode = (uint32_t)archive_entry_mode(ae) & 07777;
  e.uid = archive_entry_uid(ae);
  e.gid = archive_entry_gid(ae);
  e.size = archive_entry_size_is_set(ae) ? archive_entry_size(ae) : 0;
  e.mtime = archive_entry_mtime(ae);
  e.devmajor = (uint32_t)archive_entry_rdevmajor(ae);
  e.devminor = (uint32_t)archive_entry_rdevminor(ae);
  e.index = r->entries;
  r->entries++;
  if (!r->cb.entry)
    return true;
  r->in_entry = true;
  rc = r->cb.entry(r->ctx, r, &e, &err);
  r->in_entry = false;
  if (rc != OCIDIG_OK) {
    if (err.code == OCIDIG_OK)
      err.code = rc;
    worker_stop(r, rc, &err);
    return false;
  }
  if (r->stopped) {
    worker_stop(r, OCIDIG_OK, NULL);
    return false;
  }
  return !r->data_failed;
}

void oci_layer_stop(oci_layer_reader *r)
{
  if (r && r->in_entry)
    r->stopped = true;
}

#define ZEROS_SIZE 65536

ocidig_code oci_layer_entry_stream(oci_layer_reader *r, ocidig_sink sink, void *ctx, ocidig_error *err)
{
  static const uint8_t zeros[ZEROS_SIZE];
  struct archive *a;
  int64_t pos = 0;
  if (!r || !r->in_entry || !sink)
    return oci_fail(err, OCIDIG_ERR_USAGE, "oci_layer_entry_stream: %s",
                    !r || !sink ? "an argument is NULL" : "called outside entry()");
  if (r->data_failed)
    return oci_fail(err, r->tar == OCI_LAYER_TAR_TRUNCATED ? OCIDIG_ERR_TRUNCATED_ARCHIVE : OCIDIG_ERR_CORRUPT_ARCHIVE,
                    "%s", r->tar_message);
  a = r->a;
  for (;;) {
    const void *buf;
    size_t size;
    la_int64_t off;
    ocidig_code rc;
    int ar = archive_read_data_block(a, &buf, &size, &off);
    if (ar == ARCHIVE_EOF)
      return OCIDIG_OK;
    if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN) {
      r->data_failed = true;
      tar_failed(r, a, "in its data", r->entries, false);
      return oci_fail(err, r->tar == OCI_LAYER_TAR_TRUNCATED ? OCIDIG_ERR_TRUNCATED_ARCHIVE
                                                              : OCIDIG_ERR_CORRUPT_ARCHIVE,
                      "%s", r->tar_message);
    }
    while (off > pos) { /* a hole of a sparse file: zeros */
      size_t k = off - pos > ZEROS_SIZE ? ZEROS_SIZE : (size_t)(off - pos);
      if ((rc = sink(ctx, zeros, k, err)) != OCIDIG_OK)
        return rc;
      pos += (int64_t)k;
    }
    if (size && (rc = sink(ctx, buf, size, err)) != OCIDIG_OK)
      return rc;
    pos += (int64_t)size;
  }
}

/* ------------------------------------------------------------ the worker */

static void parse(oci_layer_reader *r, struct archive *a)
{
  bool entry = false;
  int ar;
  if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
      archive_read_open(a, r, NULL, tar_read, NULL) != ARCHIVE_OK) {
    tar_failed(r, a, "at its start", 1, true);
    return;
  }
  for (;;) {
    struct archive_entry *ae;
    la_int64_t before, after;
    if (entry && (ar = archive_read_data_skip(a)) != ARCHIVE_OK && ar != ARCHIVE_WARN) {
      tar_failed(r, a, "in an entry's data", r->entries, false);
      return;
    }
    before = archive_filter_bytes(a, 0);
    ar = archive_read_next_header(a, &ae);
    if (ar == ARCHIVE_EOF) {
      /* at a block boundary libarchive takes the end of the stream for the end of the
       * archive (some writers omit the marker); the marker is a zero block it consumed */
      after = archive_filter_bytes(a, 0);
      if (after > before) {
        r->tar_end = (uint64_t)after;
      } else if (r->output_bytes == 0) {
        tar_status(r, OCI_LAYER_TAR_NO_MARKER, "an empty stream (no end-of-archive marker)");
      } else {
        tar_status(r, OCI_LAYER_TAR_NO_MARKER, "the tar ends after entry %llu without its end-of-archive marker",
                   (unsigned long long)r->entries);
      }
      return;
    }
    if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN) { /* ARCHIVE_RETRY too: a damaged header */
      tar_failed(r, a, "in a header", r->entries + 1, false);
      return;
    }
    entry = true;
    if (!deliver(r, ae))
      return;
  }
}

void *oci_layer_worker(void *arg)
{
  oci_layer_reader *r = arg;
  struct archive *a = archive_read_new();
  const void *buf;
  if (!a)
    worker_stop(r, OCIDIG_ERR_NOMEM, NULL);
  else {
    r->a = a;
    parse(r, a);
  }
  while (tar_read(NULL, r, &buf) > 0) /* the rest: hashed, not parsed */
    ;
  if (a)
    archive_read_free(a);
  r->a = NULL;
  return NULL;
}
