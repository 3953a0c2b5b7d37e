/* source_archive.c: a layout inside any archive libarchive reads, in one streaming pass. */
#include "layout.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

/* The block size given to libarchive.  For a file, libarchive reads 64 KiB at a time
 * whatever it is given; bsdtar's 10240 then lays its buffers out as bsdtar's are, which
 * measured 5 to 10% faster on a compressed stream than 32 or 64 KiB (and 1 MiB blocks
 * cost twice the time in libarchive's read-ahead copies).  A pipe is read 64 KiB at a
 * time, as much as one read can give. */
#define FILE_BLOCK 10240
#define STDIN_BLOCK (64u * 1024)
/* Members from this size are hashed on a second thread (hasher.c): below it the thread
 * costs more than it saves. */
#define PIPELINE_MIN (4 * 1024 * 1024)

/* Formats and filters that decode in-process.  Not mtree: its entries name files on the
 * host, which would read outside the layout.  No filter that runs an external program. */
static void enable_formats(struct archive *a)
{
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_bzip2(a);
  archive_read_support_filter_xz(a);
  archive_read_support_filter_lzma(a);
  archive_read_support_filter_lzip(a);
  archive_read_support_filter_zstd(a);
  archive_read_support_filter_lz4(a);
  archive_read_support_filter_compress(a);
  archive_read_support_format_tar(a);
  archive_read_support_format_gnutar(a);
  archive_read_support_format_cpio(a);
  archive_read_support_format_zip(a);
  archive_read_support_format_7zip(a);
  archive_read_support_format_ar(a);
  archive_read_support_format_iso9660(a);
  archive_read_support_format_xar(a);
  archive_read_support_format_cab(a);
  archive_read_support_format_lha(a);
  archive_read_support_format_rar(a);
  archive_read_support_format_rar5(a);
  archive_read_support_format_empty(a);
}

/* libarchive reports all read errors as text; tell truncation from corruption. */
static ocidig_code archive_failure(ocidig_layout *l, struct archive *a, const char *member, ocidig_error *err)
{
  const char *msg = archive_error_string(a);
  const char *src = l->from_stdin ? "standard input" : l->path;
  ocidig_code code = OCIDIG_ERR_CORRUPT_ARCHIVE;
  if (!msg) {
    /* libarchive gives no text when a compressed stream ends before its trailer (gzip). */
    msg = "read error: the input ends early";
    code = OCIDIG_ERR_TRUNCATED_ARCHIVE;
  } else if (strstr(msg, "runcated") || strstr(msg, "remature end") || strstr(msg, "nexpected end") ||
             strstr(msg, "unexpected EOF") || strstr(msg, "No progress is possible") ||
             strstr(msg, "decompression failed (-5)") || strstr(msg, "unknown error 10")) {
    /* "No progress is possible": liblzma at the end of a cut xz stream.  In a zip member,
     * zlib's Z_BUF_ERROR (-5) and liblzma's LZMA_BUF_ERROR (10) say the same: the
     * decoder was given no more input, the member's data ends early. */
    code = OCIDIG_ERR_TRUNCATED_ARCHIVE;
  } else if (archive_errno(a) > 0 && (!strncmp(msg, "Error reading", 13) || !strncmp(msg, "Can't stat", 10) ||
                                      !strncmp(msg, "Failed to open", 14) || !strncmp(msg, "Seek error", 10))) {
    /* The input itself could not be read (libarchive's read callbacks): a system error. */
    code = OCIDIG_ERR_IO;
    msg = strerror(archive_errno(a));
    if (!member)
      return oci_fail(err, code, "%s: cannot be read: %s", src, msg);
  } else if (strstr(msg, "Unrecognized archive format") && l->next_ordinal == 0) {
    return oci_fail(err, OCIDIG_ERR_NOT_A_LAYOUT, "%s: not a layout directory and not an archive libarchive can read",
                    src);
  }
  if (member) {
    char *q = oci_escape(member, 200);
    ocidig_code rc = oci_fail(err, code, "%s: reading %s: %s", src, q ? q : "a member", msg);
    free(q);
    return rc;
  }
  return oci_fail(err, code, "%s: %s", src, msg);
}

static struct archive *reader_open(ocidig_layout *l, ocidig_error *err)
{
  struct archive *a = archive_read_new();
  int r;
  if (!a) {
    oci_nomem(err);
    return NULL;
  }
  enable_formats(a);
  if (l->from_stdin)
    r = archive_read_open_fd(a, 0, STDIN_BLOCK);
  else
    r = archive_read_open_filename(a, l->path, FILE_BLOCK);
  if (r != ARCHIVE_OK) {
    archive_failure(l, a, NULL, err); /* the format is detected at open */
    archive_read_free(a);
    return NULL;
  }
  return a;
}

/* Does a link at `path` pointing at `target` stay inside the root? */
bool oci_link_escapes(const char *path, const char *target, bool hardlink)
{
  int depth = 0;
  const char *p;
  if (!target || !*target || *target == '/')
    return true;
  if (!hardlink)
    for (p = path; (p = strchr(p, '/')); p++)
      depth++;
  for (p = target; *p;) {
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      if (--depth < 0)
        return true;
    } else if (n && !(n == 1 && p[0] == '.')) {
      depth++;
    }
    p += n;
    if (*p == '/')
      p++;
  }
  return false;
}

/* The path a link at link_path pointing at target leads to (link_path "": target itself),
 * normalized; NULL when it is absolute or empty or climbs out of the root (*nomem: or when
 * out of memory). */
char *oci_link_join(const char *link_path, const char *target, bool *nomem)
{
  bool ignored;
  const char *slash = strrchr(link_path, '/');
  size_t dlen = slash ? (size_t)(slash - link_path) : 0, n = 0, len = 0;
  char *joined, *p, *out;
  char **comp;
  if (!nomem)
    nomem = &ignored;
  *nomem = false;
  if (!target || !*target || *target == '/')
    return NULL;
  if (!(joined = oci_sprintf("%.*s/%s", (int)dlen, link_path, target))) {
    *nomem = true;
    return NULL;
  }
  comp = calloc(strlen(joined) / 2 + 2, sizeof *comp);
  out = malloc(strlen(joined) + 1);
  if (!comp || !out) {
    *nomem = true;
    goto fail;
  }
  for (p = joined; p;) {
    char *next = strchr(p, '/');
    if (next)
      *next++ = '\0';
    if (!strcmp(p, "..")) {
      if (n == 0)
        goto fail;
      n--;
    } else if (*p && strcmp(p, ".")) {
      comp[n++] = p;
    }
    p = next;
  }
  for (size_t i = 0; i < n; i++) {
    size_t k = strlen(comp[i]);
    if (i)
      out[len++] = '/';
    memcpy(out + len, comp[i], k);
    len += k;
  }
  out[len] = '\0';
  free(joined);
  free(comp);
  if (!len) {
    free(out);
    return NULL;
  }
  return out;
fail:
  free(joined);
  free(comp);
  free(out);
  return NULL;
}

/* The caller's opt-in cap on member bytes (ocidig_open_options.max_bytes): `counted`
 * member bytes read so far in this pass, sparse holes included.  There is no cap on the
 * ratio of member bytes to input bytes: members are streamed, never written or held
 * whole, so a highly compressible archive (a layer of zeros or of repeated text, a
 * sparse file) costs reading time, not memory. */
static ocidig_code check_cap(ocidig_layout *l, uint64_t counted, ocidig_error *err)
{
  if (!l->max_bytes || counted <= l->max_bytes)
    return OCIDIG_OK;
  return oci_fail(err, OCIDIG_ERR_LIMIT,
                  "%s: more than %llu bytes of archive members read, the cap set for this read (--max-bytes): "
                  "raise it, or give 0 for no cap",
                  l->from_stdin ? "standard input" : l->path, (unsigned long long)l->max_bytes);
}

/* A sink failed on a member that is being kept: its error is saved, the member read on. */
static void save_sink_error(ocidig_code rc, const ocidig_error *err, ocidig_code *sink_rc, ocidig_error *sink_err)
{
  *sink_rc = rc;
  if (err)
    *sink_err = *err;
  sink_err->code = rc;
}

static void report_progress(ocidig_layout *l, struct archive *a)
{
  if (a != l->ar)
    return; /* a second reader (a member read again) is not the open's progress */
  if (l->ar)
    l->bytes_read = (uint64_t)archive_filter_bytes(l->ar, -1);
  if (l->progress)
    l->progress(l->progress_ctx, l->bytes_read, l->input_size);
}

/* Where consume_data's bytes go. */
typedef struct data_out {
  bool keep;
  oci_hasher *hasher;
  ocidig_sink sink;
  void *ctx;
  uint8_t *buf;
  size_t cap;
  ocidig_code sink_rc; /* a sink's error while the member is kept: the member is read on */
  ocidig_error sink_err;
  bool from_sink; /* the error returned is the sink's */
  uint64_t stop_at; /* from_sink, not kept: the bytes read from the member when it stopped */
} data_out;

/* Hands size bytes at pos (block: NULL for zeros, a hole of a sparse member) to o,
 * counting them against the cap and reporting progress every 16 MiB. */
static ocidig_code put_bytes(ocidig_layout *l, struct archive *a, data_out *o, const void *block, uint64_t pos,
                             size_t size, uint64_t *counted, ocidig_error *err)
{
  static const uint8_t zeros[64 * 1024];
  ocidig_code rc;
  while (size) {
    size_t n = block || size <= sizeof zeros ? size : sizeof zeros;
    const void *p = block ? block : zeros;
    *counted += n;
    if ((rc = check_cap(l, *counted, err)) != OCIDIG_OK)
      return rc;
    /* A layer of gigabytes takes seconds: progress every 16 MiB of it too. */
    if (l->progress && ((pos + n) >> 24) != (pos >> 24))
      report_progress(l, a);
    if (o->hasher)
      oci_hasher_update(o->hasher, p, n);
    if (o->sink && (rc = o->sink(o->ctx, p, n, err)) != OCIDIG_OK) {
      if (!o->keep) {
        o->from_sink = true;
        o->stop_at = pos + n;
        return rc;
      }
      save_sink_error(rc, err, &o->sink_rc, &o->sink_err);
      o->sink = NULL;
    }
    if (o->keep) {
      if (pos + n > l->small_cap || !oci_grow((void **)&o->buf, &o->cap, pos + n + 1, 1)) {
        o->keep = false; /* larger than it said: record only */
        free(o->buf);
        o->buf = NULL;
      } else {
        memcpy(o->buf + pos, p, n);
      }
    }
    pos += n;
    size -= n;
  }
  return OCIDIG_OK;
}

enum { SINK_STOPPED = 1, SINK_FAILED = 2 };

/* Reads the current member's data: kept in memory when `keep`, hashed with `hasher`,
 * passed to `sink`.  A sparse member's holes (between the blocks libarchive gives, and
 * after the last one up to its size) read as zeros.  Returns the number of bytes in
 * *total; counts them in *counted (against the cap).
 * When the sink returns an error, *sink_failed is set and its error returned as it is:
 * a member still being kept is read on to its end (without the sink), else it is left
 * where it stopped, for the next header to skip. */
static ocidig_code consume_data(ocidig_layout *l, struct archive *a, const char *name, bool keep, int64_t declared,
                                bool sparse, oci_hasher *hasher, ocidig_sink sink, void *ctx, uint8_t **kept,
                                uint64_t *total, uint64_t *counted, int *sink_failed, ocidig_error *err)
{
  data_out o = {.keep = keep, .hasher = hasher, .sink = sink, .ctx = ctx};
  uint64_t pos = 0;
  ocidig_code rc = OCIDIG_OK;
  if (keep && declared >= 0) {
    o.cap = (size_t)declared + 1;
    if (!(o.buf = malloc(o.cap)))
      return oci_nomem(err);
  }
  for (;;) {
    const void *block;
    size_t size;
    la_int64_t offset;
    int r = archive_read_data_block(a, &block, &size, &offset);
    if (r == ARCHIVE_EOF) {
      /* A sparse member that ends in a hole: libarchive gives no block for it. */
      if (sparse && declared >= 0 && pos < (uint64_t)declared)
        offset = declared;
      else
        break;
      size = 0;
    } else if (r < ARCHIVE_WARN) {
      rc = archive_failure(l, a, name, err);
      goto out;
    }
    /* Sparse members: the holes read as zeros. */
    if (offset >= 0 && (uint64_t)offset > pos) {
      uint64_t gap = (uint64_t)offset - pos;
      if (!o.hasher && !o.sink && !o.keep) {
        *counted += gap; /* nobody looks at them: count them at once */
        if ((rc = check_cap(l, *counted, err)) != OCIDIG_OK)
          goto out;
        pos += gap;
      }
      while (pos < (uint64_t)offset) {
        size_t n = (uint64_t)offset - pos > ((size_t)1 << 30) ? ((size_t)1 << 30) : (size_t)((uint64_t)offset - pos);
        if ((rc = put_bytes(l, a, &o, NULL, pos, n, counted, err)) != OCIDIG_OK)
          goto out;
        pos += n;
      }
    }
    if (r == ARCHIVE_EOF)
      break;
    /* An empty block (a stored zip member's last) may come with a NULL buffer. */
    if (size && (rc = put_bytes(l, a, &o, block, pos, size, counted, err)) != OCIDIG_OK)
      goto out;
    pos += size;
  }
  if (declared >= 0 && pos < (uint64_t)declared) {
    char *q = oci_escape(name, 200);
    rc = oci_fail(err, OCIDIG_ERR_TRUNCATED_ARCHIVE, "%s: member %s ends after %llu of its %lld bytes",
                  l->from_stdin ? "standard input" : l->path, q ? q : "?", (unsigned long long)pos,
                  (long long)declared);
    free(q);
    goto out;
  }
  *total = pos;
  if (o.sink_rc != OCIDIG_OK) { /* the member was read to its end (and kept): the sink's error stands */
    rc = o.sink_rc;
    if (err)
      *err = o.sink_err;
    o.from_sink = true;
  }
out:
  if (sink_failed) /* SINK_STOPPED: in the middle of the member; SINK_FAILED: read to its end all the same */
    *sink_failed = !o.from_sink ? 0 : o.sink_rc == OCIDIG_OK ? SINK_STOPPED : SINK_FAILED;
  if (o.from_sink && o.sink_rc == OCIDIG_OK) /* stopped in the middle */
    *total = o.stop_at;
  if ((rc != OCIDIG_OK && !o.from_sink) || !o.keep) {
    free(o.buf);
    o.buf = NULL;
  }
  if (kept)
    *kept = o.buf;
  else
    free(o.buf);
  return rc;
}

/* Would skipping the current member's data inflate it anyway?  Then it is read here
 * instead (at the same cost) so that the --max-bytes cap sees it: behind a compression
 * filter, and in formats that compress members (zip, 7-Zip, RAR, ...).  Plain tar, cpio
 * and ar on a file are skipped by seeking. */
static bool skip_inflates(struct archive *a)
{
  switch (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) {
  case ARCHIVE_FORMAT_TAR:
  case ARCHIVE_FORMAT_CPIO:
  case ARCHIVE_FORMAT_AR:
  case ARCHIVE_FORMAT_EMPTY:
    return archive_filter_count(a) > 1;
  default:
    return true;
  }
}

bool oci_archive_rest_is_cheap(const ocidig_layout *l)
{
  /* A reader that failed stays failed: scanning on repeats its error (an ambiguity found
   * by an earlier walk of the same layout is refused again). */
  return l->is_archive && l->ar && !l->ar_eof && !l->from_stdin && !skip_inflates(l->ar);
}

/* Reads the next header into l->pending (its data untouched); at the end, sets l->ar_eof.
 * A member whose data was passed over unread is complete once this succeeds. */
static ocidig_code read_header(ocidig_layout *l, ocidig_error *err)
{
  struct archive_entry *e;
  int r = archive_read_next_header(l->ar, &e);
  const char *skipped = l->last_unread && l->n_members ? l->members[l->n_members - 1].path : NULL;
  if (r == ARCHIVE_EOF) {
    l->ar_eof = true;
    l->last_unread = false;
    report_progress(l, l->ar);
    return OCIDIG_OK;
  }
  if (r < ARCHIVE_WARN) /* skipping the data of the member before failed: name it */
    return archive_failure(l, l->ar, skipped, err);
  l->pending = e;
  l->last_unread = false;
  return OCIDIG_OK;
}

/* Reads one header (unless one is pending) and what must be read of its data. */
static ocidig_code read_member(ocidig_layout *l, const char *want, ocidig_sink sink, void *ctx, bool *streamed,
                               bool *found, bool *sink_failed, ocidig_error *err)
{
  struct archive_entry *e;
  oci_member m = {0};
  const char *raw, *link;
  char *qname, *qlink = NULL;
  bool unsafe, unread = false;
  ocidig_code rc, sink_rc = OCIDIG_OK;

  *sink_failed = false;
  if (!l->pending && ((rc = read_header(l, err)) != OCIDIG_OK || l->ar_eof))
    return rc;
  e = l->pending;
  l->pending = NULL;
  m.ordinal = l->next_ordinal++;
  raw = archive_entry_pathname(e);
  if (!raw)
    raw = archive_entry_pathname_utf8(e);
  m.path = oci_member_name_clean(raw, &unsafe);
  if (unsafe) {
    char *q = oci_quote(raw ? raw : "", raw ? strlen(raw) : 0, 200);
    if (raw && strlen(raw) > OCIDIG_MAX_PATH_LENGTH)
      oci_layout_warn(l, "archive member %s has a name longer than %d bytes: ignored", q ? q : "?",
                      OCIDIG_MAX_PATH_LENGTH);
    else
      oci_layout_warn(l, "archive member %s has an absolute or \"..\" name: ignored", q ? q : "?");
    free(q);
    m.path = oci_strdup(raw ? raw : "");
    m.escapes = true;
  }
  if (!m.path)
    return oci_nomem(err);
  /* Names and link targets are the archive's words: control characters escaped before
   * they go into a warning that may reach a terminal. */
  qname = oci_escape(m.path, 200);

  if ((link = archive_entry_hardlink(e)) != NULL) {
    m.type = OCIDIG_ENTRY_HARDLINK;
    m.link_target = oci_strdup(link);
    m.escapes = m.escapes || oci_link_escapes(m.path, link, true);
    qlink = oci_escape(link, 200);
    oci_layout_warn(l, "archive member %s is a hard link (to %s%s): not read as a blob", qname ? qname : "?",
                    m.escapes ? "outside the layout: " : "", qlink ? qlink : "?");
  } else {
    switch (archive_entry_filetype(e)) {
    case AE_IFREG:
      m.type = OCIDIG_ENTRY_FILE;
      break;
    case AE_IFDIR:
      m.type = OCIDIG_ENTRY_DIRECTORY;
      break;
    case AE_IFLNK:
      m.type = OCIDIG_ENTRY_SYMLINK;
      link = archive_entry_symlink(e);
      m.link_target = oci_strdup(link ? link : "");
      m.escapes = m.escapes || oci_link_escapes(m.path, link, false);
      if (m.escapes || !strncmp(m.path, "blobs/", 6) || !strcmp(m.path, "index.json") ||
          !strcmp(m.path, "oci-layout")) {
        qlink = oci_escape(link ? link : "", 200);
        oci_layout_warn(l, "archive member %s is a symbolic link (to %s%s): not read as a blob",
                        qname ? qname : "?", m.escapes ? "outside the layout: " : "", qlink ? qlink : "?");
      }
      break;
    default:
      m.type = OCIDIG_ENTRY_SPECIAL;
      oci_layout_warn(l, "archive member %s is a device, FIFO or socket: ignored", qname ? qname : "?");
      break;
    }
  }
  free(qname);
  free(qlink);

  if (m.type == OCIDIG_ENTRY_FILE && !m.escapes) {
    bool is_want = want && !strcmp(m.path, want);
    int64_t declared = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
    bool sparse = archive_entry_sparse_count(e) > 0;
    ocidig_digest_alg alg;
    const char *hex = oci_blob_path_hex(m.path, &alg);
    oci_hasher *h = NULL;
    bool keep = declared <= (int64_t)l->small_cap && l->kept_bytes + (size_t)(declared < 0 ? 0 : declared) <=
                                                        OCIDIG_MAX_KEPT_BYTES;
    bool use_sink = is_want && sink;
    uint64_t total = 0;
    /* Under OCIDIG_OPEN_HASH_BLOBS every blob is hashed as it passes, and so is (with
     * sha256) any other file too large to keep (or of unknown size), such as a docker save archive's
     * layer.tar: verify then needs no second pass, which stdin could not give it.  A
     * large one is hashed on a second core while this one inflates what follows. */
    bool hash = (l->flags & OCIDIG_OPEN_HASH_BLOBS) && (hex || !keep || declared < 0);
    if (!hex)
      alg = OCIDIG_DIGEST_SHA256;
    if (hash && !(h = declared >= PIPELINE_MIN ? oci_hasher_new_pipelined(alg) : oci_hasher_new(alg))) {
      oci_member_free(&m);
      return oci_nomem(err);
    }
    if (keep || h || use_sink || declared < 0 || skip_inflates(l->ar)) {
      int stopped = 0;
      l->want_declared = declared;
      rc = consume_data(l, l->ar, m.path, keep, declared, sparse, h, use_sink ? sink : NULL, ctx, &m.data,
                        &total, &l->counted, &stopped, err);
      l->want_declared = -1;
      if (rc != OCIDIG_OK && !stopped) {
        oci_hasher_free(h);
        oci_member_free(&m);
        return rc;
      }
      /* The caller's sink returned rc: that call fails, the archive does not.  The member is
       * recorded all the same: read to its end when it was being kept, else as its header
       * declares it (the rest of its data left for the next header to skip). */
      sink_rc = rc;
      if (stopped == SINK_STOPPED) {
        oci_hasher_free(h);
        h = NULL;
        if (declared < 0) { /* no size to record: read on to learn it */
          uint64_t rest = 0;
          int ignored;
          ocidig_error e2;
          if ((rc = consume_data(l, l->ar, m.path, false, -1, false, NULL, NULL, NULL, NULL, &rest, &l->counted,
                                 &ignored, &e2)) != OCIDIG_OK) {
            oci_member_free(&m);
            if (err)
              *err = e2;
            return rc;
          }
          total += rest;
        } else {
          total = (uint64_t)declared;
          unread = true;
        }
      }
      m.size = (int64_t)total;
      if (m.data) {
        if (l->kept_bytes + total > OCIDIG_MAX_KEPT_BYTES) {
          free(m.data);
          m.data = NULL;
        } else {
          m.kept = true;
          l->kept_bytes += total;
        }
      }
      if (h) {
        m.actual_hex = malloc(alg == OCIDIG_DIGEST_SHA512 ? 129 : 65);
        if (!m.actual_hex) {
          oci_hasher_free(h);
          oci_member_free(&m);
          return oci_nomem(err);
        }
        oci_hasher_final_hex(h, m.actual_hex);
        /* A non-blob file has no name to hold its hash to: UNKNOWN, actual_hex set. */
        if (hex)
          m.hash = strcmp(m.actual_hex, hex) ? OCIDIG_HASH_MISMATCH : OCIDIG_HASH_OK;
        oci_hasher_free(h);
      }
      if (use_sink && streamed && sink_rc == OCIDIG_OK)
        *streamed = true;
      m.served = use_sink && sink_rc == OCIDIG_OK;
    } else {
      m.size = declared; /* skipped: libarchive seeks past it when it can */
      unread = true;
    }
    if (is_want)
      *found = true;
  }
  {
    ocidig_error e2;
    if ((rc = oci_member_add(l, &m, &e2)) != OCIDIG_OK) {
      if (err)
        *err = e2;
      return rc; /* an ambiguous archive: that is the archive's error */
    }
  }
  l->last_unread = unread;
  if ((l->next_ordinal & 63) == 0) /* m was emptied by oci_member_add */
    report_progress(l, l->ar);
  *sink_failed = sink_rc != OCIDIG_OK;
  return sink_rc; /* OK, or the sink's error (its message in *err) */
}

ocidig_code oci_archive_advance(ocidig_layout *l, const char *path, ocidig_sink sink, void *ctx, bool *streamed,
                                ocidig_error *err)
{
  ocidig_code rc;
  bool found = false, sink_failed = false;
  ocidig_error e;
  if (streamed)
    *streamed = false;
  if (l->ar_failed) {
    if (err)
      *err = l->ar_error;
    return l->ar_error.code;
  }
  while (!l->ar_eof && !found) {
    rc = read_member(l, path, sink, ctx, streamed, &found, &sink_failed, &e);
    if (rc != OCIDIG_OK) {
      /* A broken stream stays broken: every later request gets the same error.  A caller's
       * sink that failed is that call's error only. */
      if (rc != OCIDIG_ERR_NOMEM && !sink_failed) {
        l->ar_failed = true;
        l->ar_error = e;
      }
      if (err)
        *err = e;
      return rc;
    }
  }
  return OCIDIG_OK;
}

ocidig_code oci_archive_confirm(ocidig_layout *l, const oci_member *m, ocidig_error *err)
{
  ocidig_error e;
  ocidig_code rc;
  if (l->ar_failed) {
    if (err)
      *err = l->ar_error;
    return l->ar_error.code;
  }
  if (!l->last_unread || l->pending || l->ar_eof || !l->n_members || m != &l->members[l->n_members - 1])
    return OCIDIG_OK;
  if ((rc = read_header(l, &e)) != OCIDIG_OK) {
    if (rc != OCIDIG_ERR_NOMEM) {
      l->ar_failed = true;
      l->ar_error = e;
    }
    if (err)
      *err = e;
  }
  return rc;
}

ocidig_code oci_archive_open(ocidig_layout *l, ocidig_error *err)
{
  l->ar = reader_open(l, err);
  if (!l->ar)
    return err ? err->code : OCIDIG_ERR_IO;
  l->want_declared = -1;
  /* Read the first header now so that "not an archive" is known at open; its data waits
   * for the first request (which may want it streamed: stdin passes only once). */
  return read_header(l, err);
}

void oci_archive_close(ocidig_layout *l)
{
  if (l->ar) {
    archive_read_free(l->ar);
    l->ar = NULL;
  }
}

ocidig_code oci_archive_reread(ocidig_layout *l, const oci_member *m, ocidig_sink sink, void *ctx, ocidig_error *err)
{
  struct archive *a;
  struct archive_entry *e;
  ocidig_code rc = OCIDIG_OK;
  uint64_t total = 0, counted = 0;
  if (l->from_stdin) {
    /* Why it was asked for only after it went by is the caller's to say (a document read
     * first that named it, a short digest looked up over the whole stream, ...). */
    return oci_fail(err, OCIDIG_ERR_NOT_REREADABLE,
                    "%s has already gone by in the archive on standard input, and a stream cannot be re-read "
                    "(members up to %zu bytes are kept, %u bytes in all); give the archive as a file",
                    m->path, l->small_cap, OCIDIG_MAX_KEPT_BYTES);
  }
  if (!(a = reader_open(l, err)))
    return err ? err->code : OCIDIG_ERR_IO;
  for (size_t i = 0;; i++) {
    int r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF) {
      rc = oci_fail(err, OCIDIG_ERR_IO, "%s: member %s is gone (was the file changed?)", l->path, m->path);
      break;
    }
    if (r < ARCHIVE_WARN) {
      rc = archive_failure(l, a, m->path, err);
      break;
    }
    if (i == m->ordinal) {
      rc = consume_data(l, a, m->path, false, m->size, archive_entry_sparse_count(e) > 0, NULL, sink, ctx, NULL,
                        &total, &counted, NULL, err);
      if (rc == OCIDIG_OK && (int64_t)total != m->size)
        rc = oci_fail(err, OCIDIG_ERR_IO, "%s: member %s changed size (was the file changed?)", l->path, m->path);
      break;
    }
  }
  archive_read_free(a);
  return rc;
}
