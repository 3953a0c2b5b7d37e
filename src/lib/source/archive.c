/* archive.c: the archive source: any archive libarchive reads, in one streaming pass, as far
 * as a request needs.  Members are reported in stream order; what is kept or hashed as it
 * passes, the layer above's plan says.  See source.h. */
#include "source.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_ISAL
#include "inflate.h"
#endif

#ifdef OCIDIG_LAYOUT_H
#error "a source knows nothing of the layout above it (source.h)"
#endif

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

typedef struct gz_feed gz_feed;

typedef struct archive_source {
  oci_source base;
  char *path;
  bool from_stdin;
  struct archive *ar;
  bool eof;
  bool failed;
  ocidig_error error; /* a read error met while streaming: sticky */
  struct archive_entry *pending; /* a header read ahead (at open, or to confirm the member before it), its
                                  * data not consumed yet: the next read takes it first */
  bool last_unread; /* the last member's data was passed over unread: it is complete only once the next
                     * header is read (a size in a header is a claim until then) */
  char *last_name;  /* that member's name, for an error met skipping its data */
  int64_t want_declared; /* while a member streams to a sink: the size its header declares, or -1 */
  size_t next_ordinal;
  uint64_t bytes_read;
  uint64_t counted;   /* member bytes the reader produced (sparse holes included) */
  uint64_t max_bytes; /* the cap on counted, 0 = none */
  /* The second reader of reread, kept open between calls: members passed over are asked
   * for again mostly in the order they were written (a level of the graph, in the order
   * its parent lists them), so the next one asked for is usually further on; the reader
   * then goes on from where it stopped instead of scanning from the start again. */
  struct archive *rr;
  size_t rr_next; /* the ordinal of the next header rr reads */
  /* An uncompressed tar file: where each member's header begins (by ordinal), so that a
   * member passed over is read again from there, not by reading every header before it (a
   * tar of a layout directory lists its blobs in the file system's order, not the order
   * the graph reads them in: 20,000 images took ls 52 s, each read going back to the
   * start).  Empty for any other archive. */
  uint64_t *offsets;
  size_t n_offsets, cap_offsets;
  bool inflating;  /* the readers are given a gzip stream inflated here (gz_feed), not the file */
  gz_feed *ar_feed; /* s->ar's, while it is open: the compressed bytes read, for progress */
  /* The plan's tap for the member read_member is about to consume (taken by consume_data,
   * so that no other read sees it); tap_whole: every byte of it went to the tap. */
  ocidig_sink tap;
  void *tap_ctx;
  bool tap_whole;
} archive_source;

/* Formats and filters that decode in-process.  Not mtree: its entries name files on the
 * host, which would read outside the layout.  No filter that runs an external program.
 * false: out of memory. */
static bool enable_formats(struct archive *a)
{
  static int (*const enable[])(struct archive *) = {
    archive_read_support_filter_gzip,
    archive_read_support_filter_bzip2,
    archive_read_support_filter_xz,
    archive_read_support_filter_lzma,
    archive_read_support_filter_lzip,
    archive_read_support_filter_zstd,
    archive_read_support_filter_lz4,
    archive_read_support_filter_compress,
    archive_read_support_format_tar,
    archive_read_support_format_gnutar,
    archive_read_support_format_cpio,
    archive_read_support_format_zip,
    archive_read_support_format_7zip,
    archive_read_support_format_ar,
    archive_read_support_format_iso9660,
    archive_read_support_format_xar,
    archive_read_support_format_cab,
    archive_read_support_format_lha,
    archive_read_support_format_rar,
    archive_read_support_format_rar5,
    archive_read_support_format_empty,
  };
  /* ARCHIVE_WARN: a decoder that is not built in (an external program would run): left
   * off, as is any other refusal but out of memory. */
  for (size_t i = 0; i < sizeof enable / sizeof enable[0]; i++)
    if (enable[i](a) < ARCHIVE_WARN && archive_errno(a) == ENOMEM)
      return false;
  return true;
}

/* libarchive reports all read errors as text; tell truncation from corruption.  Out of
 * memory: libarchive says ENOMEM, or (some of its allocations fail without a word) says
 * nothing while errno, cleared before the call, is ENOMEM. */
static ocidig_code archive_failure(archive_source *s, struct archive *a, const char *member, ocidig_error *err)
{
  int sys = errno;
  const char *msg = archive_error_string(a);
  const char *src = s->from_stdin ? "standard input" : s->path;
  ocidig_code code = OCIDIG_ERR_CORRUPT_ARCHIVE;
  if (archive_errno(a) == ENOMEM || (!msg && sys == ENOMEM)) /* not the input's fault */
    return oci_nomem(err);
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
  } else if (strstr(msg, "Unrecognized archive format") && s->next_ordinal == 0) {
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

/* ------------------------------------------------------------ gzip, inflated here
 * Built with ISA-L (configure --with-isal), a gzip stream is inflated by inflate.c, about
 * twice as fast as libarchive's zlib filter, and libarchive is given the tar it holds
 * through its read callback (it then sees no filter).  Anything else, and everything
 * without ISA-L, is libarchive's as before.  As with libarchive's gzip filter, what comes
 * after the last gzip member is not read, and the stream is inflated only as far as the
 * reader asks. */
struct gz_feed {
  int fd;
  bool close_fd;
  const char *src; /* for messages: the source's path, or "standard input" */
#ifdef HAVE_ISAL
  oci_inflate *z; /* NULL: the bytes as they are (stdin that turned out not to be gzip) */
#endif
  uint8_t *in, *out;
  size_t in_pos, in_len;
  bool in_eof, ended;
  uint64_t raw_read; /* bytes read from fd */
  int fail_errno;    /* an error to give at the next call, when output came first */
  char fail_msg[256];
};

/* Reads of 64 KiB, as libarchive's own (the kernel copies into a buffer that stays in
 * cache: 256 KiB reads cost a third more system time); 256 KiB of output a call, so that
 * ISA-L's per-call work (it keeps the last 32 KiB of output as history) stays small. */
#define GZ_IN (64u * 1024)
#define GZ_OUT (256u * 1024)

static void gz_free(gz_feed *g)
{
  if (!g)
    return;
#ifdef HAVE_ISAL
  oci_inflate_free(g->z);
#endif
  if (g->close_fd && g->fd >= 0)
    close(g->fd);
  free(g->in);
  free(g->out);
  free(g);
}

static int gz_close_cb(struct archive *a, void *cd)
{
  (void)a;
  gz_free(cd);
  return ARCHIVE_OK;
}

/* Reads more input; false with fail_* set on a read error. */
static bool gz_fill(gz_feed *g)
{
  ssize_t n;
  do
    n = read(g->fd, g->in, GZ_IN);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    g->fail_errno = errno ? errno : EIO;
    snprintf(g->fail_msg, sizeof g->fail_msg, "Error reading %s", g->src);
    return false;
  }
  g->in_pos = 0;
  g->in_len = (size_t)n;
  g->in_eof = n == 0;
  g->raw_read += (uint64_t)n;
  return true;
}

#ifdef HAVE_ISAL
/* Inflates into g->out until it is full, the stream ends or fails (fail_* set); returns
 * the bytes produced. */
static size_t gz_step(gz_feed *g)
{
  size_t produced = 0;
  while (produced < GZ_OUT && !g->ended && !g->fail_errno) {
    if (g->in_pos == g->in_len && !g->in_eof && !gz_fill(g))
      break;
    const uint8_t *p = g->in + g->in_pos;
    size_t left = g->in_len - g->in_pos, got = 0;
    oci_inflate_status st = oci_inflate_run(g->z, &p, &left, g->in_eof, g->out + produced, GZ_OUT - produced, &got);
    g->in_pos = g->in_len - left;
    produced += got;
    if (st == OCI_INFLATE_OK)
      continue;
    if (st == OCI_INFLATE_END || st == OCI_INFLATE_TRAILING) {
      /* Data after the last member is not read, and a member's CRC32 and ISIZE are not
       * checked (the decoder is unchecked: read past, the CRC32 not even computed), as
       * libarchive's gzip filter does neither (tests/adversarial.sh and archive_gzip.sh pin
       * both down; every blob read is checked against its digest all the same). */
      g->ended = true;
    } else if (st == OCI_INFLATE_NOMEM) {
      g->fail_errno = ENOMEM;
      snprintf(g->fail_msg, sizeof g->fail_msg, "out of memory");
    } else {
      g->fail_errno = -1; /* libarchive's ARCHIVE_ERRNO_MISC: not a system error */
      snprintf(g->fail_msg, sizeof g->fail_msg, "%s gzip input: %s",
               st == OCI_INFLATE_TRUNCATED ? "truncated" : "corrupt", oci_inflate_message(g->z));
    }
  }
  return produced;
}
#endif

static la_ssize_t gz_read_cb(struct archive *a, void *cd, const void **buf)
{
  gz_feed *g = cd;
  size_t produced = 0;
  if (g->fail_errno) {
    archive_set_error(a, g->fail_errno, "%s", g->fail_msg);
    return ARCHIVE_FATAL;
  }
  if (g->ended)
    return 0;
#ifdef HAVE_ISAL
  if (g->z) {
    /* An error is reported at once, the bytes inflated before it in this call dropped, as
     * libarchive's gzip filter does: a reader that needs no more (resolve, once it has
     * what it needs) still learns that the stream is cut or corrupt. */
    produced = gz_step(g);
    if (g->fail_errno) {
      archive_set_error(a, g->fail_errno, "%s", g->fail_msg);
      return ARCHIVE_FATAL;
    }
    *buf = g->out;
    return (la_ssize_t)produced;
  }
#endif
  if (g->in_pos == g->in_len && !gz_fill(g)) {
    archive_set_error(a, g->fail_errno, "%s", g->fail_msg);
    return ARCHIVE_FATAL;
  }
  *buf = g->in + g->in_pos;
  produced = g->in_len - g->in_pos;
  g->in_pos = g->in_len;
  return (la_ssize_t)produced;
}

/* At the archive's end: the gzip stream inflated to its own end, so that a stream cut
 * short after the tar's end (its trailer missing) is reported, as libarchive's filter,
 * which reads ahead, reports it.  OCIDIG_OK, or the error. */
static ocidig_code gz_finish(archive_source *s, gz_feed *g, ocidig_error *err)
{
#ifdef HAVE_ISAL
  if (g->z)
    while (!g->ended && !g->fail_errno)
      gz_step(g);
#endif
  if (!g->fail_errno)
    return OCIDIG_OK;
  if (g->fail_errno == ENOMEM)
    return oci_nomem(err);
  if (g->fail_errno > 0)
    return oci_fail(err, OCIDIG_ERR_IO, "%s: cannot be read: %s", g->src, strerror(g->fail_errno));
  (void)s;
  return oci_fail(err, strstr(g->fail_msg, "truncated") ? OCIDIG_ERR_TRUNCATED_ARCHIVE : OCIDIG_ERR_CORRUPT_ARCHIVE,
                  "%s: %s", g->src, g->fail_msg);
}

#ifdef HAVE_ISAL
/* The first bytes of a gzip member as libarchive's gzip filter bids on them: magic,
 * deflate, no reserved flag. */
static bool gz_header_like(const uint8_t *b, size_t n)
{
  return n >= 4 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8 && !(b[3] & 0xe0);
}

/* A feed for this source when its input is gzip: *out set (NULL: not gzip, or the file
 * cannot be opened here: libarchive opens it as before and says why).  false: out of
 * memory. */
static bool gz_open(archive_source *s, gz_feed **out)
{
  gz_feed *g = calloc(1, sizeof *g);
  *out = NULL;
  if (!g || !(g->in = malloc(GZ_IN))) {
    gz_free(g);
    return false;
  }
  g->src = s->from_stdin ? "standard input" : s->path;
  if (s->from_stdin) {
    g->fd = 0;
  } else if ((g->fd = open(s->path, O_RDONLY | O_CLOEXEC)) >= 0) {
    g->close_fd = true;
  } else {
    gz_free(g);
    return true;
  }
  if (!gz_fill(g)) {
    gz_free(g); /* a read error: libarchive meets it again and says so */
    return true;
  }
  if (!gz_header_like(g->in, g->in_len)) {
    /* Not gzip.  A file, or stdin where it is a file: libarchive reads it from the start
     * (and skips members by seeking).  A pipe: what was read is given first, as it is. */
    if (!s->from_stdin || lseek(0, -(off_t)g->in_len, SEEK_CUR) >= 0) {
      gz_free(g);
      return true;
    }
    *out = g;
    return true;
  }
  if (!(g->out = malloc(GZ_OUT)) || !(g->z = oci_inflate_new_unchecked())) {
    gz_free(g);
    return false;
  }
  *out = g;
  return true;
}
#endif

static struct archive *reader_open(archive_source *s, gz_feed **feed, ocidig_error *err)
{
  struct archive *a = archive_read_new();
  gz_feed *g = NULL;
  int r;
  *feed = NULL;
  if (!a) {
    oci_nomem(err);
    return NULL;
  }
  if (!enable_formats(a)) {
    archive_read_free(a);
    oci_nomem(err);
    return NULL;
  }
#ifdef HAVE_ISAL
  if (!gz_open(s, &g)) {
    archive_read_free(a);
    oci_nomem(err);
    return NULL;
  }
  if (g && g->z)
    s->inflating = true;
#endif
  errno = 0;
  if (g) /* freed by gz_close_cb, whatever happens from here */
    r = archive_read_open2(a, g, NULL, gz_read_cb, NULL, gz_close_cb);
  else if (s->from_stdin)
    r = archive_read_open_fd(a, 0, STDIN_BLOCK);
  else
    r = archive_read_open_filename(a, s->path, FILE_BLOCK);
  if (r != ARCHIVE_OK) {
    archive_failure(s, a, NULL, err); /* the format is detected at open */
    archive_read_free(a);
    return NULL;
  }
  *feed = g;
  return a;
}

/* The caller's opt-in cap on member bytes (ocidig_open_options.max_bytes): `counted`
 * member bytes read so far in this pass, sparse holes included.  There is no cap on the
 * ratio of member bytes to input bytes: members are streamed, never written or held
 * whole, so a highly compressible archive (a layer of zeros or of repeated text, a
 * sparse file) costs reading time, not memory. */
static ocidig_code check_cap(archive_source *s, uint64_t counted, ocidig_error *err)
{
  if (!s->max_bytes || counted <= s->max_bytes)
    return OCIDIG_OK;
  return oci_fail(err, OCIDIG_ERR_LIMIT,
                  "%s: more than %llu bytes of archive members read, the cap set for this read (--max-bytes): "
                  "raise it, or give 0 for no cap",
                  s->from_stdin ? "standard input" : s->path, (unsigned long long)s->max_bytes);
}

/* A sink failed on a member that is being kept: its error is saved, the member read on. */
static void save_sink_error(ocidig_code rc, const ocidig_error *err, ocidig_code *sink_rc, ocidig_error *sink_err)
{
  *sink_rc = rc;
  if (err)
    *sink_err = *err;
  sink_err->code = rc;
}

static void report_progress(archive_source *s, struct archive *a)
{
  if (a != s->ar)
    return; /* a second reader (a member read again) is not the open's progress */
  if (s->ar_feed) /* the compressed bytes consumed, as libarchive counts them for its own filters */
    s->bytes_read = s->ar_feed->raw_read - (s->ar_feed->in_len - s->ar_feed->in_pos);
  else if (s->ar)
    s->bytes_read = (uint64_t)archive_filter_bytes(s->ar, -1);
  if (s->base.ev->progress)
    s->base.ev->progress(s->base.ctx, s->bytes_read);
}

/* Where consume_data's bytes go. */
typedef struct data_out {
  bool keep;
  size_t keep_max;
  oci_hasher *hasher;
  ocidig_sink sink;
  void *ctx;
  uint8_t *buf;
  size_t cap;
  ocidig_code sink_rc; /* a sink's error while the member is kept: the member is read on */
  ocidig_error sink_err;
  bool from_sink; /* the error returned is the sink's */
  uint64_t stop_at; /* from_sink, not kept: the bytes read from the member when it stopped */
  ocidig_sink tap;  /* the plan's tap: detached at its first error */
  void *tap_ctx;
} data_out;

/* Hands size bytes at pos (block: NULL for zeros, a hole of a sparse member) to o,
 * counting them against the cap and reporting progress every 16 MiB. */
static ocidig_code put_bytes(archive_source *s, struct archive *a, data_out *o, const void *block, uint64_t pos,
                             size_t size, uint64_t *counted, ocidig_error *err)
{
  static const uint8_t zeros[64 * 1024];
  ocidig_code rc;
  while (size) {
    size_t n = block || size <= sizeof zeros ? size : sizeof zeros;
    const void *p = block ? block : zeros;
    *counted += n;
    if ((rc = check_cap(s, *counted, err)) != OCIDIG_OK)
      return rc;
    /* A layer of gigabytes takes seconds: progress every 16 MiB of it too. */
    if (s->base.ev->progress && ((pos + n) >> 24) != (pos >> 24))
      report_progress(s, a);
    if (o->hasher)
      oci_hasher_update(o->hasher, p, n);
    if (o->tap) {
      ocidig_error te;
      if (o->tap(o->tap_ctx, p, n, &te) != OCIDIG_OK)
        o->tap = NULL; /* the tap's failure is its own */
    }
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
      if (pos + n > o->keep_max || !oci_grow((void **)&o->buf, &o->cap, pos + n + 1, 1)) {
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
 * *total; counts them in *counted (against the cap).  Kept: at most keep_max bytes.
 * When the sink returns an error, *sink_failed is set and its error returned as it is:
 * a member still being kept is read on to its end (without the sink), else it is left
 * where it stopped, for the next header to skip. */
static ocidig_code consume_data(archive_source *s, struct archive *a, const char *name, bool keep, size_t keep_max,
                                int64_t declared, bool sparse, oci_hasher *hasher, ocidig_sink sink, void *ctx,
                                uint8_t **kept, uint64_t *total, uint64_t *counted, int *sink_failed,
                                ocidig_error *err)
{
  data_out o = {.keep = keep, .keep_max = keep_max, .hasher = hasher, .sink = sink, .ctx = ctx,
                .tap = s->tap, .tap_ctx = s->tap_ctx};
  uint64_t pos = 0;
  ocidig_code rc = OCIDIG_OK;
  s->tap = NULL;
  s->tap_whole = false;
  if (keep && declared >= 0) {
    o.cap = (size_t)declared + 1;
    if (!(o.buf = malloc(o.cap)))
      return oci_nomem(err);
  }
  for (;;) {
    const void *block;
    size_t size;
    la_int64_t offset;
    int r;
    errno = 0;
    r = archive_read_data_block(a, &block, &size, &offset);
    if (r == ARCHIVE_EOF) {
      /* A sparse member that ends in a hole: libarchive gives no block for it. */
      if (sparse && declared >= 0 && pos < (uint64_t)declared)
        offset = declared;
      else
        break;
      size = 0;
    } else if (r < ARCHIVE_WARN) {
      rc = archive_failure(s, a, name, err);
      goto out;
    }
    /* Sparse members: the holes read as zeros. */
    if (offset >= 0 && (uint64_t)offset > pos) {
      uint64_t gap = (uint64_t)offset - pos;
      if (!o.hasher && !o.sink && !o.keep) {
        *counted += gap; /* nobody looks at them: count them at once */
        if ((rc = check_cap(s, *counted, err)) != OCIDIG_OK)
          goto out;
        pos += gap;
      }
      while (pos < (uint64_t)offset) {
        size_t n = (uint64_t)offset - pos > ((size_t)1 << 30) ? ((size_t)1 << 30) : (size_t)((uint64_t)offset - pos);
        if ((rc = put_bytes(s, a, &o, NULL, pos, n, counted, err)) != OCIDIG_OK)
          goto out;
        pos += n;
      }
    }
    if (r == ARCHIVE_EOF)
      break;
    /* An empty block (a stored zip member's last) may come with a NULL buffer. */
    if (size && (rc = put_bytes(s, a, &o, block, pos, size, counted, err)) != OCIDIG_OK)
      goto out;
    pos += size;
  }
  if (declared >= 0 && pos < (uint64_t)declared) {
    char *q = oci_escape(name, 200);
    rc = oci_fail(err, OCIDIG_ERR_TRUNCATED_ARCHIVE, "%s: member %s ends after %llu of its %lld bytes",
                  s->from_stdin ? "standard input" : s->path, q ? q : "?", (unsigned long long)pos,
                  (long long)declared);
    free(q);
    goto out;
  }
  *total = pos;
  s->tap_whole = o.tap != NULL;
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
static bool skip_inflates(const archive_source *s, struct archive *a)
{
  if (s->inflating)
    return true;
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

static bool archive_rest_is_cheap(const oci_source *src)
{
  const archive_source *s = (const archive_source *)src;
  /* A reader that failed stays failed: scanning on repeats its error (an ambiguity found
   * by an earlier walk of the same layout is refused again). */
  return s->ar && !s->eof && !s->from_stdin && !skip_inflates(s, s->ar);
}

/* Reads the next header into s->pending (its data untouched); at the end, sets s->eof.
 * A member whose data was passed over unread is complete once this succeeds. */
static ocidig_code read_header(archive_source *s, ocidig_error *err)
{
  struct archive_entry *e;
  const char *skipped = s->last_unread ? s->last_name : NULL;
  int r;
  errno = 0;
  r = archive_read_next_header(s->ar, &e);
  if (r == ARCHIVE_EOF) {
    ocidig_code rc = s->ar_feed ? gz_finish(s, s->ar_feed, err) : OCIDIG_OK;
    if (rc != OCIDIG_OK)
      return rc;
    s->eof = true;
    s->last_unread = false;
    report_progress(s, s->ar);
    return OCIDIG_OK;
  }
  if (r < ARCHIVE_WARN) /* skipping the data of the member before failed: name it */
    return archive_failure(s, s->ar, skipped, err);
  if (!s->from_stdin && !s->inflating && s->n_offsets == s->next_ordinal &&
      (archive_format(s->ar) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_TAR && archive_filter_count(s->ar) == 1 &&
      oci_grow((void **)&s->offsets, &s->cap_offsets, s->n_offsets + 1, sizeof *s->offsets))
    s->offsets[s->n_offsets++] = (uint64_t)archive_read_header_position(s->ar);
  s->pending = e;
  s->last_unread = false;
  return OCIDIG_OK;
}

static void member_free(oci_source_member *m)
{
  free(m->path);
  free(m->link_target);
  free(m->data);
  free(m->actual_hex);
  memset(m, 0, sizeof *m);
}

/* Reads one header (unless one is pending) and what must be read of its data, and reports
 * the member. */
static ocidig_code read_member(archive_source *s, const char *want, ocidig_sink sink, void *ctx, bool *streamed,
                               bool *found, bool *sink_failed, ocidig_error *err)
{
  struct archive_entry *e;
  oci_source_member m = {0};
  const char *raw, *link;
  bool unsafe, unread = false;
  ocidig_code rc, sink_rc = OCIDIG_OK;

  *sink_failed = false;
  if (!s->pending && ((rc = read_header(s, err)) != OCIDIG_OK || s->eof))
    return rc;
  e = s->pending;
  s->pending = NULL;
  m.ordinal = s->next_ordinal++;
  raw = archive_entry_pathname(e);
  if (!raw)
    raw = archive_entry_pathname_utf8(e);
  m.path = oci_member_name_clean(raw, &unsafe);
  if (unsafe) {
    m.path = oci_strdup(raw ? raw : "");
    m.escapes = m.bad_name = true;
  }
  if (!m.path)
    return oci_nomem(err);

  if ((link = archive_entry_hardlink(e)) != NULL) {
    m.type = OCIDIG_ENTRY_HARDLINK;
    m.link_target = oci_strdup(link);
    m.escapes = m.escapes || oci_link_escapes(m.path, link, true);
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
      break;
    default:
      m.type = OCIDIG_ENTRY_SPECIAL;
      break;
    }
  }

  if (m.type == OCIDIG_ENTRY_FILE && !m.escapes) {
    bool is_want = want && !strcmp(m.path, want);
    int64_t declared = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
    bool sparse = archive_entry_sparse_count(e) > 0;
    oci_source_plan plan = {0};
    oci_hasher *h = NULL;
    bool use_sink = is_want && sink;
    uint64_t total = 0;
    /* What to keep and what to hash is the layer above's to say.  A large member is hashed
     * on a second core while this one inflates what follows. */
    s->base.ev->plan(s->base.ctx, m.path, declared, &plan);
    if (plan.hash &&
        !(h = declared >= PIPELINE_MIN ? oci_hasher_new_pipelined(plan.alg) : oci_hasher_new(plan.alg))) {
      if (plan.tap_end)
        plan.tap_end(plan.tap_ctx, false, 0, NULL);
      member_free(&m);
      return oci_nomem(err);
    }
    if (plan.keep || h || use_sink || plan.tap || declared < 0 || skip_inflates(s, s->ar)) {
      int stopped = 0;
      bool tap_whole;
      s->want_declared = declared;
      s->tap = plan.tap;
      s->tap_ctx = plan.tap_ctx;
      rc = consume_data(s, s->ar, m.path, plan.keep, plan.keep_max, declared, sparse, h, use_sink ? sink : NULL, ctx,
                        &m.data, &total, &s->counted, &stopped, err);
      s->want_declared = -1;
      /* whole only if the caller's sink did not stop the member halfway */
      tap_whole = s->tap_whole && (rc == OCIDIG_OK || stopped == SINK_FAILED);
      if (rc != OCIDIG_OK && !stopped) {
        if (plan.tap_end)
          plan.tap_end(plan.tap_ctx, false, total, NULL);
        oci_hasher_free(h);
        member_free(&m);
        return rc;
      }
      /* The caller's sink returned rc: that call fails, the archive does not.  The member is
       * reported all the same: read to its end when it was being kept, else as its header
       * declares it (the rest of its data left for the next header to skip). */
      sink_rc = rc;
      if (stopped == SINK_STOPPED) {
        oci_hasher_free(h);
        h = NULL;
        if (declared < 0) { /* no size to record: read on to learn it */
          uint64_t rest = 0;
          int ignored;
          ocidig_error e2;
          if ((rc = consume_data(s, s->ar, m.path, false, 0, -1, false, NULL, NULL, NULL, NULL, &rest, &s->counted,
                                 &ignored, &e2)) != OCIDIG_OK) {
            member_free(&m);
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
      if (h) {
        m.actual_hex = malloc(plan.alg == OCIDIG_DIGEST_SHA512 ? 129 : 65);
        if (!m.actual_hex) {
          if (plan.tap_end)
            plan.tap_end(plan.tap_ctx, false, total, NULL);
          oci_hasher_free(h);
          member_free(&m);
          return oci_nomem(err);
        }
        oci_hasher_final_hex(h, m.actual_hex);
        oci_hasher_free(h);
      }
      if (plan.tap_end)
        plan.tap_end(plan.tap_ctx, tap_whole, total, m.actual_hex);
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
  /* The name of a member whose data was passed over, for an error met skipping it. */
  free(s->last_name);
  s->last_name = NULL;
  if (unread && !(s->last_name = oci_strdup(m.path))) {
    member_free(&m);
    return oci_nomem(err);
  }
  {
    ocidig_error e2;
    if ((rc = s->base.ev->member(s->base.ctx, &m, &e2)) != OCIDIG_OK) {
      if (err)
        *err = e2;
      return rc; /* an ambiguous archive: that is the archive's error */
    }
  }
  s->last_unread = unread;
  if ((s->next_ordinal & 63) == 0)
    report_progress(s, s->ar);
  *sink_failed = sink_rc != OCIDIG_OK;
  return sink_rc; /* OK, or the sink's error (its message in *err) */
}

static ocidig_code archive_scan(oci_source *src, const char *path, ocidig_sink sink, void *ctx, bool *streamed,
                                ocidig_error *err)
{
  archive_source *s = (archive_source *)src;
  ocidig_code rc;
  bool found = false, sink_failed = false;
  ocidig_error e;
  if (streamed)
    *streamed = false;
  if (s->failed) {
    if (err)
      *err = s->error;
    return s->error.code;
  }
  while (!s->eof && !found) {
    rc = read_member(s, path, sink, ctx, streamed, &found, &sink_failed, &e);
    if (rc != OCIDIG_OK) {
      /* A broken stream stays broken: every later request gets the same error.  A caller's
       * sink that failed is that call's error only. */
      if (rc != OCIDIG_ERR_NOMEM && !sink_failed) {
        s->failed = true;
        s->error = e;
      }
      if (err)
        *err = e;
      return rc;
    }
  }
  return OCIDIG_OK;
}

static ocidig_code archive_confirm(oci_source *src, size_t ordinal, ocidig_error *err)
{
  archive_source *s = (archive_source *)src;
  ocidig_error e;
  ocidig_code rc;
  if (s->failed) {
    if (err)
      *err = s->error;
    return s->error.code;
  }
  if (!s->last_unread || s->pending || s->eof || !s->next_ordinal || ordinal != s->next_ordinal - 1)
    return OCIDIG_OK;
  if ((rc = read_header(s, &e)) != OCIDIG_OK) {
    if (rc != OCIDIG_ERR_NOMEM) {
      s->failed = true;
      s->error = e;
    }
    if (err)
      *err = e;
  }
  return rc;
}

static void archive_close(oci_source *src)
{
  archive_source *s = (archive_source *)src;
  if (!s)
    return;
  if (s->ar)
    archive_read_free(s->ar);
  s->ar_feed = NULL;
  if (s->rr)
    archive_read_free(s->rr);
  free(s->offsets);
  free(s->path);
  free(s->last_name);
  free(s);
}

/* A tar read from a position of the file on (a member's header): pread, never a seek
 * libarchive would make relative to the start of the file. */
typedef struct tar_at {
  int fd;
  uint64_t pos;
  uint8_t buf[64 * 1024];
} tar_at;

static la_ssize_t tar_at_read(struct archive *a, void *ctx, const void **out)
{
  tar_at *t = ctx;
  ssize_t n;
  do
    n = pread(t->fd, t->buf, sizeof t->buf, (off_t)t->pos);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    archive_set_error(a, errno, "Error reading");
    return -1;
  }
  t->pos += (uint64_t)n;
  *out = t->buf;
  return n;
}

static la_int64_t tar_at_skip(struct archive *a, void *ctx, la_int64_t request)
{
  (void)a;
  ((tar_at *)ctx)->pos += (uint64_t)request;
  return request;
}

/* Reads member `ordinal` of an uncompressed tar again from where its header begins.
 * *done false: not possible here (not such a tar; the header there is not the member's,
 * as when the file was changed): the caller reads from the start. */
static ocidig_code reread_at(archive_source *s, const char *path, size_t ordinal, int64_t size, ocidig_sink sink,
                             void *ctx, bool *done, ocidig_error *err)
{
  struct archive *a;
  struct archive_entry *e;
  tar_at *t;
  ocidig_code rc = OCIDIG_OK;
  uint64_t total = 0, counted = 0;
  int stopped = 0;
  char *name;
  bool unsafe;
  *done = false;
  if (ordinal >= s->n_offsets)
    return OCIDIG_OK;
  if (!(t = malloc(sizeof *t)))
    return oci_nomem(err);
  t->pos = s->offsets[ordinal];
  if ((t->fd = open(s->path, O_RDONLY | O_CLOEXEC)) < 0) {
    free(t);
    return OCIDIG_OK;
  }
  if (!(a = archive_read_new())) {
    close(t->fd);
    free(t);
    return oci_nomem(err);
  }
  if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
      archive_read_open2(a, t, NULL, tar_at_read, tar_at_skip, NULL) != ARCHIVE_OK ||
      archive_read_next_header(a, &e) < ARCHIVE_WARN) {
    if (archive_errno(a) == ENOMEM)
      rc = oci_nomem(err);
  } else if ((name = oci_member_name_clean(archive_entry_pathname(e), &unsafe)) != NULL) {
    if (!strcmp(name, path) && (!archive_entry_size_is_set(e) || archive_entry_size(e) == size)) {
      *done = true;
      rc = consume_data(s, a, path, false, 0, size, archive_entry_sparse_count(e) > 0, NULL, sink, ctx, NULL, &total,
                        &counted, &stopped, err);
      if (rc == OCIDIG_OK && (int64_t)total != size)
        rc = oci_fail(err, OCIDIG_ERR_IO, "%s: member %s changed size (was the file changed?)", s->path, path);
    }
    free(name);
  }
  archive_read_free(a);
  close(t->fd);
  free(t);
  return rc;
}

/* A member met again by the re-read reader that the layer above wants kept: read whole,
 * handed to the refill event.  Counted against the cap on its own (it is not what was
 * asked for).  OCIDIG_OK, or the read error. */
static ocidig_code refill_member(archive_source *s, struct archive_entry *e, size_t k, const char *name,
                                 int64_t declared, ocidig_error *err)
{
  uint8_t *data = NULL;
  uint64_t total = 0, counted = 0;
  int stopped = 0;
  ocidig_code rc = consume_data(s, s->rr, name, true, (size_t)declared, declared, archive_entry_sparse_count(e) > 0,
                                NULL, NULL, NULL, &data, &total, &counted, &stopped, err);
  if (rc != OCIDIG_OK)
    return rc;
  if (data && (int64_t)total == declared)
    s->base.ev->refill(s->base.ctx, k, data, (size_t)total);
  else
    free(data);
  return OCIDIG_OK;
}

/* What the layer above says of member k met again (a regular file of a clean name that
 * the cap lets be read whole; anything else is passed, or ends a pass that has met its
 * member when the layer above wants nothing more). */
static int again(archive_source *s, struct archive_entry *e, size_t k, char **name)
{
  bool unsafe;
  int64_t declared = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
  *name = NULL;
  if (!s->base.ev->again || !s->base.ev->refill)
    return OCI_AGAIN_STOP;
  if (archive_entry_hardlink(e) || archive_entry_filetype(e) != AE_IFREG || declared < 0 ||
      (s->max_bytes && (uint64_t)declared > s->max_bytes) ||
      !(*name = oci_member_name_clean(archive_entry_pathname(e), &unsafe)))
    return s->base.ev->again(s->base.ctx, k, "", -1) == OCI_AGAIN_STOP ? OCI_AGAIN_STOP : OCI_AGAIN_PASS;
  return s->base.ev->again(s->base.ctx, k, *name, declared);
}

static ocidig_code archive_reread(oci_source *src, const char *path, size_t ordinal, int64_t size, ocidig_sink sink,
                                  void *ctx, ocidig_error *err)
{
  archive_source *s = (archive_source *)src;
  struct archive_entry *e;
  ocidig_code rc = OCIDIG_OK;
  uint64_t total = 0, counted = 0;
  int stopped = 0;
  bool met = false, fresh = false;
  if (s->from_stdin) /* the layer above says why it was asked for only after it went by */
    return oci_fail(err, OCIDIG_ERR_NOT_REREADABLE,
                    "%s has already gone by in the archive on standard input, and a stream cannot be re-read", path);
  /* Behind where the reader stands (or no reader yet): an uncompressed tar is read from
   * the member's header on, any other archive opened again. */
  if (!s->rr || ordinal < s->rr_next) {
    bool done;
    rc = reread_at(s, path, ordinal, size, sink, ctx, &done, err);
    if (done || rc != OCIDIG_OK)
      return rc;
  }
  if (s->rr && ordinal < s->rr_next) {
    archive_read_free(s->rr);
    s->rr = NULL;
  }
  if (!s->rr) {
    gz_feed *unused;
    if (!(s->rr = reader_open(s, &unused, err)))
      return err ? err->code : OCIDIG_ERR_IO;
    s->rr_next = 0;
    fresh = true;
  }
  /* On the way to the member, and past it while the layer above asks (never past the
   * members the first reader has met: those ahead are its own), the members the layer
   * above wants kept are read whole: a later request is served from memory, so that a
   * stream read again from its start costs a pass for every few megabytes of documents
   * asked for out of order, not one pass per document.  Past it only on a pass from the
   * start: a reader that went on forward serves requests in the archive's order (the
   * layers of verify --deep), which a pass to the end would send back to the start. */
  for (;;) {
    int r, say;
    size_t k;
    char *name;
    if (met && (!fresh || s->rr_next >= s->next_ordinal))
      break;
    /* nothing more wanted (asked before the next header is read: the reader then stands
     * before it, and a request for it goes on forward instead of starting again) */
    if (met && s->base.ev->again && s->base.ev->again(s->base.ctx, s->rr_next, "", -1) == OCI_AGAIN_STOP)
      break;
    errno = 0;
    r = archive_read_next_header(s->rr, &e);
    if (r == ARCHIVE_EOF) {
      if (!met)
        rc = oci_fail(err, OCIDIG_ERR_IO, "%s: member %s is gone (was the file changed?)", s->path, path);
      break;
    }
    if (r < ARCHIVE_WARN) {
      if (!met)
        rc = archive_failure(s, s->rr, path, err);
      else
        stopped = -1; /* the member was served: the error is the next request's to meet */
      break;
    }
    k = s->rr_next++;
    say = again(s, e, k, &name);
    if (k == ordinal) {
      uint8_t *data = NULL;
      bool keep = say == OCI_AGAIN_KEEP && name && !strcmp(name, path);
      free(name);
      rc = consume_data(s, s->rr, path, keep, (size_t)size, size, archive_entry_sparse_count(e) > 0, NULL, sink, ctx,
                        keep ? &data : NULL, &total, &counted, &stopped, err);
      if (rc == OCIDIG_OK && (int64_t)total != size)
        rc = oci_fail(err, OCIDIG_ERR_IO, "%s: member %s changed size (was the file changed?)", s->path, path);
      if (rc == OCIDIG_OK && data)
        s->base.ev->refill(s->base.ctx, k, data, (size_t)total);
      else
        free(data);
      if (rc != OCIDIG_OK)
        break;
      met = true;
      continue;
    }
    if (say == OCI_AGAIN_KEEP) {
      ocidig_error e2;
      ocidig_code rc2 = refill_member(s, e, k, name, archive_entry_size(e), &e2);
      free(name);
      if (rc2 != OCIDIG_OK) {
        /* Before the member: skipping these bytes would have met the same error. */
        if (!met) {
          rc = rc2;
          if (err)
            *err = e2;
        } else {
          stopped = -1;
        }
        break;
      }
      continue;
    }
    free(name);
    if (met && say == OCI_AGAIN_STOP)
      break;
  }
  /* A reader that met an error or the end starts again next time; one whose caller's sink
   * stopped it inside the member goes on (the next header skips the rest). */
  if ((rc != OCIDIG_OK && stopped <= 0) || stopped < 0) {
    archive_read_free(s->rr);
    s->rr = NULL;
  }
  return rc;
}

static bool archive_reread_passes(const oci_source *src)
{
  const archive_source *s = (const archive_source *)src;
  /* An uncompressed tar file is read again from a member's header (offsets) */
  return !s->from_stdin && s->ar && skip_inflates(s, s->ar);
}

static bool archive_at_end(const oci_source *src)
{
  return ((const archive_source *)src)->eof;
}

static bool archive_failed(const oci_source *src)
{
  return ((const archive_source *)src)->failed;
}

static int64_t archive_streaming_size(const oci_source *src)
{
  return ((const archive_source *)src)->want_declared;
}

static uint64_t archive_bytes_read(const oci_source *src)
{
  return ((const archive_source *)src)->bytes_read;
}

static const oci_source_ops archive_ops = {
    .kind = "archive",
    .scan = archive_scan,
    .at_end = archive_at_end,
    .failed = archive_failed,
    .confirm = archive_confirm,
    .reread = archive_reread,
    .rest_is_cheap = archive_rest_is_cheap,
    .reread_passes = archive_reread_passes,
    .streaming_size = archive_streaming_size,
    .bytes_read = archive_bytes_read,
    .close = archive_close,
};

ocidig_code oci_source_archive_open(const oci_source_options *o, const oci_source_events *ev, void *ctx,
                                    oci_source **out, ocidig_error *err)
{
  archive_source *s = calloc(1, sizeof *s);
  ocidig_code rc;
  *out = NULL;
  if (!s || !(s->path = oci_strdup(o->path))) {
    free(s);
    return oci_nomem(err);
  }
  s->base.ops = &archive_ops;
  s->base.ev = ev;
  s->base.ctx = ctx;
  s->from_stdin = o->from_stdin;
  s->max_bytes = o->max_bytes;
  s->want_declared = -1;
  if (!(s->ar = reader_open(s, &s->ar_feed, err))) {
    archive_close(&s->base);
    return err ? err->code : OCIDIG_ERR_IO;
  }
  /* Read the first header now so that "not an archive" is known at open; its data waits
   * for the first request (which may want it streamed: stdin passes only once). */
  if ((rc = read_header(s, err)) != OCIDIG_OK) {
    archive_close(&s->base);
    return rc;
  }
  *out = &s->base;
  return OCIDIG_OK;
}
