/* check_layer.c: the layer reader (src/lib/layer.h) over real layer streams made by GNU
 * tar, bsdtar, Python's tarfile, gzip and zstd (testdata/layer-reader/, written by
 * tests/gen_layer_reader.sh), and over cut, extended and garbage variants of them.  The
 * expectations are the tools': the names as bsdtar lists them (NAME.list), sha256sum of the
 * stream (NAME.sha256), of each file as bsdtar extracts it (NAME.files). */
#include "testutil.h"

#include "layer.h"
#include "view.h"

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define LR TESTDATA "/layer-reader/"

/* ------------------------------------------------------------ helpers */

static char *path_of(const char *name)
{
  static char buf[4][1024];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s%s", LR, name);
  return buf[k];
}

static char *expect_text(const char *name)
{
  size_t len;
  return tu_read_file(path_of(name), &len);
}

/* The hex in NAME.sha256 (one line). */
static void expect_sha(const char *name, char *hex)
{
  char *t = expect_text(name);
  ck_assert_uint_ge(strlen(t), 64);
  memcpy(hex, t, 64);
  hex[64] = '\0';
  free(t);
}

typedef struct got_entry {
  char *path, *raw, *link;
  char type;
  uint32_t mode, devmajor, devminor;
  int64_t uid, gid, size, mtime;
  bool bad_name, bad_link;
  char data_sha[65]; /* regular files when streamed */
} got_entry;

typedef struct collect {
  got_entry *v;
  size_t n, cap;
  bool stream;          /* stream each regular file's data */
  size_t stop_at;       /* oci_layer_stop at this entry (1-based; 0 never) */
  size_t fail_at;       /* fail at this entry (1-based; 0 never) */
  EVP_MD_CTX *md;
  ocidig_code stream_rc;
} collect;

static ocidig_code md_sink(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  (void)err;
  EVP_DigestUpdate(ctx, buf, len);
  return OCIDIG_OK;
}

static ocidig_code fail_code;

/* The entry callback's error. */
static ocidig_code fail_test(ocidig_error *err)
{
  if (err) {
    err->code = fail_code;
    snprintf(err->message, sizeof err->message, "the consumer failed here");
  }
  return fail_code;
}

static ocidig_code on_entry(void *ctx, oci_layer_reader *r, const oci_layer_entry *e, ocidig_error *err)
{
  collect *c = ctx;
  got_entry *g;
  if (c->n == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 64;
    c->v = realloc(c->v, c->cap * sizeof *c->v);
    ck_assert_ptr_nonnull(c->v);
  }
  g = &c->v[c->n++];
  memset(g, 0, sizeof *g);
  g->path = strdup(e->path);
  g->raw = strdup(e->raw_name);
  g->link = e->link ? strdup(e->link) : NULL;
  g->type = e->type;
  g->mode = e->mode;
  g->uid = e->uid;
  g->gid = e->gid;
  g->size = e->size;
  g->mtime = e->mtime;
  g->devmajor = e->devmajor;
  g->devminor = e->devminor;
  g->bad_name = e->bad_name;
  g->bad_link = e->bad_link;
  ck_assert_uint_eq(e->index, c->n - 1);
  if (c->stream && e->type == 'f') {
    unsigned char md[32];
    unsigned int len = 0;
    EVP_DigestInit_ex(c->md, EVP_sha256(), NULL);
    c->stream_rc = oci_layer_entry_stream(r, md_sink, c->md, err);
    if (c->stream_rc == OCIDIG_OK) {
      EVP_DigestFinal_ex(c->md, md, &len);
      for (unsigned i = 0; i < len; i++)
        sprintf(g->data_sha + 2 * i, "%02x", md[i]);
    } else {
      return OCIDIG_OK; /* the read's result says why */
    }
  }
  if (c->stop_at && c->n == c->stop_at)
    oci_layer_stop(r);
  if (c->fail_at && c->n == c->fail_at)
    return fail_test(err);
  return OCIDIG_OK;
}

static void collect_free(collect *c)
{
  for (size_t i = 0; i < c->n; i++) {
    free(c->v[i].path);
    free(c->v[i].raw);
    free(c->v[i].link);
  }
  free(c->v);
  if (c->md)
    EVP_MD_CTX_free(c->md);
  memset(c, 0, sizeof *c);
}

/* Feeds file `name` to a reader of compression comp in pieces of `chunk` bytes. */
static ocidig_code run(const char *name, oci_layer_compression comp, size_t chunk, collect *c, oci_layer_result *res,
                       ocidig_error *err)
{
  static const oci_layer_callbacks cb = {on_entry};
  size_t len;
  char *data = tu_read_file(path_of(name), &len);
  ocidig_code rc = OCIDIG_OK;
  oci_layer_reader *r = oci_layer_reader_new(comp, &cb, c, err);
  ck_assert_ptr_nonnull(r);
  if (!c->md)
    c->md = EVP_MD_CTX_new();
  oci_layer_reader_hash_input(r, OCIDIG_DIGEST_SHA256);
  for (size_t off = 0; off < len && rc == OCIDIG_OK; off += chunk)
    rc = oci_layer_reader_feed(r, data + off, len - off < chunk ? len - off : chunk, err);
  if (rc == OCIDIG_OK)
    rc = oci_layer_reader_finish(r, res, err);
  else
    oci_layer_reader_finish(r, res, NULL);
  oci_layer_reader_free(r);
  free(data);
  return rc;
}

/* The entries' raw names, one a line, as bsdtar -tf lists them. */
static void check_list(const collect *c, const char *list)
{
  char *t = expect_text(list), *line, *save = NULL;
  size_t i = 0;
  for (line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
    ck_assert_uint_lt(i, c->n);
    ck_assert_str_eq(c->v[i].raw, line);
  }
  ck_assert_uint_eq(i, c->n);
  free(t);
}

/* Every regular file's data against NAME.files (sha256sum of bsdtar -xO). */
static void check_files(const collect *c, const char *files)
{
  char *t = expect_text(files), *line, *save = NULL;
  size_t n = 0, nf = 0;
  for (line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    const char *name = line + 66;
    bool found = false;
    for (size_t i = 0; i < c->n; i++)
      if (!strcmp(c->v[i].raw, name) && c->v[i].type == 'f') {
        ck_assert_msg(!strncmp(c->v[i].data_sha, line, 64), "%s: data %s, bsdtar says %.64s", name, c->v[i].data_sha,
                      line);
        found = true;
        break;
      }
    ck_assert_msg(found, "%s: no such file entry", name);
    n++;
  }
  for (size_t i = 0; i < c->n; i++)
    nf += c->v[i].type == 'f';
  ck_assert_uint_eq(n, nf);
  free(t);
}

static const got_entry *find(const collect *c, const char *raw)
{
  for (size_t i = 0; i < c->n; i++)
    if (!strcmp(c->v[i].raw, raw))
      return &c->v[i];
  ck_abort_msg("no entry %s", raw);
  return NULL;
}

static size_t file_size(const char *name)
{
  size_t len;
  free(tu_read_file(path_of(name), &len));
  return len;
}

/* ------------------------------------------------------------ whole streams */

static const size_t chunks[] = {1, 511, 4093, 65536, 1 << 20};

static void whole(const char *file, oci_layer_compression comp, const char *base, size_t min_chunk)
{
  char want[65], list[64], files[64], sha[64], insha[128];
  snprintf(list, sizeof list, "%s.list", base);
  snprintf(files, sizeof files, "%s.files", base);
  snprintf(sha, sizeof sha, "%s.sha256", base);
  for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
    collect c = {.stream = true};
    oci_layer_result res;
    ocidig_error err = {0};
    if (chunks[k] < min_chunk)
      continue;
    ck_assert_int_eq(run(file, comp, chunks[k], &c, &res, &err), OCIDIG_OK);
    ck_assert_msg(res.decode == OCI_LAYER_DECODE_END, "%s by %zu: decode %d %s", file, chunks[k], res.decode,
                  res.decode_message);
    ck_assert_msg(res.tar == OCI_LAYER_TAR_END, "%s by %zu: tar %d %s", file, chunks[k], res.tar, res.tar_message);
    ck_assert(res.have_digests && !res.stopped);
    expect_sha(sha, want);
    ck_assert_str_eq(res.diff_id.hex, want);
    snprintf(insha, sizeof insha, "%s.sha256", file);
    if (comp != OCI_LAYER_NONE)
      expect_sha(insha, want);
    ck_assert_str_eq(res.input.hex, want);
    ck_assert_uint_eq(res.input_bytes, file_size(file));
    ck_assert_uint_eq(res.decoded_end, file_size(file));
    ck_assert_uint_eq(res.entries, c.n);
    snprintf(insha, sizeof insha, "%s.tar", base);
    ck_assert_uint_eq(res.output_bytes, file_size(insha));
    ck_assert_uint_le(res.tar_end, res.output_bytes);
    ck_assert_uint_gt(res.tar_end, 0);
    check_list(&c, list);
    check_files(&c, files);
    collect_free(&c);
  }
}

START_TEST(test_gnu_tar) { whole("gnu.tar", OCI_LAYER_NONE, "gnu", 511); }
END_TEST
START_TEST(test_bsd_tar) { whole("bsd.tar", OCI_LAYER_NONE, "bsd", 511); }
END_TEST
START_TEST(test_python_tar) { whole("py.tar", OCI_LAYER_NONE, "py", 1); }
END_TEST
START_TEST(test_empty_tar) { whole("empty.tar", OCI_LAYER_NONE, "empty", 1); }
END_TEST
START_TEST(test_gnu_gzip) { whole("gnu.tar.gz", OCI_LAYER_GZIP, "gnu", 1); }
END_TEST
START_TEST(test_gnu_zstd) { whole("gnu.tar.zst", OCI_LAYER_ZSTD, "gnu", 1); }
END_TEST
START_TEST(test_gzip_two_members) { whole("bsd.tar.gz", OCI_LAYER_GZIP, "bsd", 1); }
END_TEST
START_TEST(test_zstd_frames_and_skippable) { whole("bsd.tar.zst", OCI_LAYER_ZSTD, "bsd", 1); }
END_TEST
START_TEST(test_empty_gzip) { whole("empty.tar.gz", OCI_LAYER_GZIP, "empty", 1); }
END_TEST

/* ------------------------------------------------------------ what a header says */

START_TEST(test_entry_fields)
{
  collect c = {0};
  oci_layer_result res;
  ocidig_error err = {0};
  const got_entry *e;
  ck_assert_int_eq(run("py.tar", OCI_LAYER_NONE, 4096, &c, &res, &err), OCIDIG_OK);
  e = find(&c, "./");
  ck_assert_str_eq(e->path, "");
  ck_assert_int_eq(e->type, 'd');
  e = find(&c, "./dev/null");
  ck_assert_str_eq(e->path, "dev/null");
  ck_assert_int_eq(e->type, 'c');
  ck_assert_uint_eq(e->devmajor, 1);
  ck_assert_uint_eq(e->devminor, 3);
  ck_assert_uint_eq(e->mode, 0666);
  e = find(&c, "./dev/sda");
  ck_assert_int_eq(e->type, 'b');
  ck_assert_uint_eq(e->devmajor, 8);
  ck_assert_int_eq(find(&c, "./dev/pipe")->type, 'p');
  e = find(&c, "./bin/su");
  ck_assert_uint_eq(e->mode, 04755);
  ck_assert_int_eq(e->size, 7);
  ck_assert_int_eq(e->mtime, 1704164645);
  ck_assert_uint_eq(find(&c, "./bin/wall")->mode, 02755);
  e = find(&c, "./tmp/");
  ck_assert_str_eq(e->path, "tmp");
  ck_assert_uint_eq(e->mode, 01777);
  ck_assert_uint_eq(find(&c, "./open/")->mode, 0777);
  e = find(&c, "/abs/name");
  ck_assert(e->bad_name);
  ck_assert_str_eq(e->path, "/abs/name");
  ck_assert(find(&c, "../outside")->bad_name);
  e = find(&c, "a/../../b");
  ck_assert(e->bad_name);
  ck_assert_str_eq(e->path, "a/../../b");
  ck_assert(!find(&c, "./open/file")->bad_name);
  e = find(&c, "bin/sh-hard");
  ck_assert_int_eq(e->type, 'h');
  ck_assert_str_eq(e->link, "bin/does-not-exist");
  ck_assert(!e->bad_link);
  e = find(&c, "etc/link");
  ck_assert_int_eq(e->type, 'l');
  ck_assert_str_eq(e->link, "/etc/passwd");
  ck_assert_int_eq(find(&c, "etc/.wh.shadow")->size, 10);
  ck_assert_str_eq(find(&c, "var/.wh..wh..opq")->path, "var/.wh..wh..opq");
  ck_assert_str_eq(find(&c, "etc/caf\xc3\xa9")->path, "etc/caf\xc3\xa9");
  ck_assert_ptr_null(find(&c, "./bin/su")->link);
  collect_free(&c);

  ck_assert_int_eq(run("gnu.tar", OCI_LAYER_NONE, 65536, &c, &res, &err), OCIDIG_OK);
  e = find(&c, "usr/bin/hello-hard");
  ck_assert_int_eq(e->type, 'h');
  ck_assert_str_eq(e->link, "usr/bin/hello");
  e = find(&c, "etc/hello-link");
  ck_assert_int_eq(e->type, 'l');
  ck_assert_str_eq(e->link, "../usr/bin/hello");
  e = find(&c, "usr/bin/hello");
  ck_assert_uint_eq(e->mode, 0755);
  ck_assert_int_eq(e->uid, 0);
  ck_assert_int_eq(e->gid, 0);
  ck_assert_int_eq(e->mtime, 1704164645);
  ck_assert_int_eq(find(&c, "usr/share/doc/sparse.img")->size, 3000000);
  ck_assert_str_eq(find(&c, "usr/")->path, "usr");
  collect_free(&c);
}
END_TEST

/* ------------------------------------------------------------ broken streams */

static void broken(const char *file, oci_layer_compression comp, oci_layer_decode_status dec, oci_layer_tar_status tar,
                   const char *decode_says, const char *tar_says, const char *diff_sha)
{
  for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
    collect c = {.stream = true};
    oci_layer_result res;
    ocidig_error err = {0};
    char want[65], insha[128];
    ck_assert_int_eq(run(file, comp, chunks[k], &c, &res, &err), OCIDIG_OK);
    ck_assert_msg(res.decode == dec, "%s by %zu: decode %d (%s), want %d", file, chunks[k], res.decode,
                  res.decode_message, dec);
    ck_assert_msg(res.tar == tar, "%s by %zu: tar %d (%s), want %d", file, chunks[k], res.tar, res.tar_message, tar);
    if (decode_says)
      ck_assert_msg(strstr(res.decode_message, decode_says), "%s: decode says %s", file, res.decode_message);
    if (tar_says)
      ck_assert_msg(strstr(res.tar_message, tar_says), "%s: tar says %s", file, res.tar_message);
    ck_assert(res.have_digests);
    ck_assert_uint_eq(res.input_bytes, file_size(file));
    snprintf(insha, sizeof insha, "%s.sha256", file);
    if (comp != OCI_LAYER_NONE) {
      expect_sha(insha, want);
      ck_assert_str_eq(res.input.hex, want);
    }
    if (diff_sha) { /* the whole decoded stream was hashed, whatever the tar said */
      expect_sha(diff_sha, want);
      ck_assert_str_eq(res.diff_id.hex, want);
    }
    collect_free(&c);
  }
}

START_TEST(test_gzip_cut) { broken("cut.tar.gz", OCI_LAYER_GZIP, OCI_LAYER_DECODE_TRUNCATED, OCI_LAYER_TAR_TRUNCATED, "gzip", NULL, NULL); }
END_TEST
START_TEST(test_gzip_trailing)
{
  broken("trailing.tar.gz", OCI_LAYER_GZIP, OCI_LAYER_DECODE_TRAILING, OCI_LAYER_TAR_END, "gzip", NULL, "gnu.sha256");
  broken("zeros-after.tar.gz", OCI_LAYER_GZIP, OCI_LAYER_DECODE_TRAILING, OCI_LAYER_TAR_END, "gzip", NULL,
         "gnu.sha256");
}
END_TEST
START_TEST(test_gzip_trailing_offset)
{
  collect c = {0};
  oci_layer_result res;
  ocidig_error err = {0};
  ck_assert_int_eq(run("trailing.tar.gz", OCI_LAYER_GZIP, 100, &c, &res, &err), OCIDIG_OK);
  ck_assert_uint_eq(res.decoded_end, file_size("gnu.tar.gz"));
  collect_free(&c);
}
END_TEST
START_TEST(test_zstd_cut) { broken("cut.tar.zst", OCI_LAYER_ZSTD, OCI_LAYER_DECODE_TRUNCATED, OCI_LAYER_TAR_TRUNCATED, "zstd", NULL, NULL); }
END_TEST
START_TEST(test_zstd_trailing)
{
  collect c = {0};
  oci_layer_result res;
  ocidig_error err = {0};
  broken("trailing.tar.zst", OCI_LAYER_ZSTD, OCI_LAYER_DECODE_TRAILING, OCI_LAYER_TAR_END, "zstd", NULL, "gnu.sha256");
  ck_assert_int_eq(run("trailing.tar.zst", OCI_LAYER_ZSTD, 7, &c, &res, &err), OCIDIG_OK);
  ck_assert_uint_eq(res.decoded_end, file_size("gnu.tar.zst"));
  collect_free(&c);
}
END_TEST
START_TEST(test_not_compressed)
{
  broken("text.bin", OCI_LAYER_GZIP, OCI_LAYER_DECODE_CORRUPT, OCI_LAYER_TAR_NO_MARKER, "gzip", "empty", NULL);
  broken("text.bin", OCI_LAYER_ZSTD, OCI_LAYER_DECODE_CORRUPT, OCI_LAYER_TAR_NO_MARKER, "zstd", "empty", NULL);
  broken("gnu.tar", OCI_LAYER_ZSTD, OCI_LAYER_DECODE_CORRUPT, OCI_LAYER_TAR_NO_MARKER, "zstd", NULL, NULL);
}
END_TEST
START_TEST(test_empty_input)
{
  broken("zero.tar", OCI_LAYER_ZSTD, OCI_LAYER_DECODE_TRUNCATED, OCI_LAYER_TAR_NO_MARKER, "empty", "empty", NULL);
  broken("zero.tar", OCI_LAYER_NONE, OCI_LAYER_DECODE_END, OCI_LAYER_TAR_NO_MARKER, NULL, "empty", NULL);
}
END_TEST
START_TEST(test_tar_cut_in_data) { broken("cut-data.tar", OCI_LAYER_NONE, OCI_LAYER_DECODE_END, OCI_LAYER_TAR_TRUNCATED, NULL, "ends early", "cut-data.sha256"); }
END_TEST
START_TEST(test_tar_cut_in_header) { broken("cut-header.tar", OCI_LAYER_NONE, OCI_LAYER_DECODE_END, OCI_LAYER_TAR_TRUNCATED, NULL, "ends early", "cut-header.sha256"); }
END_TEST
START_TEST(test_tar_no_marker)
{
  collect c = {0};
  oci_layer_result res;
  ocidig_error err = {0};
  broken("nomarker.tar", OCI_LAYER_NONE, OCI_LAYER_DECODE_END, OCI_LAYER_TAR_NO_MARKER, NULL, "end-of-archive marker",
         "nomarker.sha256");
  ck_assert_int_eq(run("nomarker.tar", OCI_LAYER_NONE, 4096, &c, &res, &err), OCIDIG_OK);
  ck_assert_uint_eq(c.n, 22); /* every entry of py.tar */
  collect_free(&c);
}
END_TEST
START_TEST(test_tar_bad_checksum)
{
  collect c = {0};
  oci_layer_result res;
  ocidig_error err = {0};
  broken("badsum.tar", OCI_LAYER_NONE, OCI_LAYER_DECODE_END, OCI_LAYER_TAR_CORRUPT, NULL, "damaged", "badsum.sha256");
  ck_assert_int_eq(run("badsum.tar", OCI_LAYER_NONE, 4096, &c, &res, &err), OCIDIG_OK);
  ck_assert_uint_eq(c.n, 2); /* the third header is the damaged one */
  collect_free(&c);
}
END_TEST
START_TEST(test_not_a_tar) { broken("text.bin", OCI_LAYER_NONE, OCI_LAYER_DECODE_END, OCI_LAYER_TAR_CORRUPT, NULL, "not a tar", NULL); }
END_TEST

/* A zstd frame whose window is over the 128 MiB decoded here (zstd --long=28): valid, not
 * read; said apart from corruption. */
START_TEST(test_zstd_window_too_large)
{
  collect c = {0};
  oci_layer_result res;
  ocidig_error err = {0};
  ck_assert_int_eq(run("bigwindow.tar.zst", OCI_LAYER_ZSTD, 100, &c, &res, &err), OCIDIG_OK);
  ck_assert_int_eq(res.decode, OCI_LAYER_DECODE_CORRUPT);
  ck_assert(res.limited);
  ck_assert_msg(strstr(res.decode_message, "window over 128 MiB"), "%s", res.decode_message);
  collect_free(&c);
  ck_assert_int_eq(run("gnu.tar.zst", OCI_LAYER_ZSTD, 100, &c, &res, &err), OCIDIG_OK);
  ck_assert(!res.limited);
  collect_free(&c);
  ck_assert_int_eq(run("text.bin", OCI_LAYER_ZSTD, 100, &c, &res, &err), OCIDIG_OK);
  ck_assert(!res.limited);
  collect_free(&c);
}
END_TEST

/* ------------------------------------------------------------ consumers */

START_TEST(test_stop)
{
  collect c = {.stop_at = 3};
  oci_layer_result res;
  ocidig_error err = {0};
  ck_assert_int_eq(run("gnu.tar.gz", OCI_LAYER_GZIP, 512, &c, &res, &err), OCIDIG_OK);
  ck_assert(res.stopped);
  ck_assert(!res.have_digests);
  ck_assert_int_eq(res.tar, OCI_LAYER_TAR_NOT_READ);
  ck_assert_uint_eq(c.n, 3);
  ck_assert_uint_eq(res.entries, 3);
  collect_free(&c);
}
END_TEST

START_TEST(test_consumer_error)
{
  for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
    collect c = {.fail_at = 2};
    oci_layer_result res;
    ocidig_error err = {0};
    fail_code = OCIDIG_ERR_OUTPUT;
    ck_assert_int_eq(run("gnu.tar.zst", OCI_LAYER_ZSTD, chunks[k], &c, &res, &err), OCIDIG_ERR_OUTPUT);
    ck_assert_str_eq(err.message, "the consumer failed here");
    ck_assert_uint_eq(c.n, 2);
    ck_assert(res.stopped && !res.have_digests);
    collect_free(&c);
  }
}
END_TEST

START_TEST(test_free_unfinished)
{
  size_t len;
  char *data = tu_read_file(path_of("gnu.tar"), &len);
  collect c = {0};
  static const oci_layer_callbacks cb = {on_entry};
  oci_layer_reader *r = oci_layer_reader_new(OCI_LAYER_NONE, &cb, &c, NULL);
  ck_assert_ptr_nonnull(r);
  ck_assert_int_eq(oci_layer_reader_feed(r, data, len / 2, NULL), OCIDIG_OK);
  oci_layer_reader_free(r);
  /* and one never fed */
  r = oci_layer_reader_new(OCI_LAYER_ZSTD, &cb, &c, NULL);
  ck_assert_ptr_nonnull(r);
  oci_layer_reader_free(r);
  free(data);
  collect_free(&c);
}
END_TEST

START_TEST(test_usage)
{
  ocidig_error err = {0};
  oci_layer_result res;
  oci_layer_reader *r;
  ck_assert_ptr_null(oci_layer_reader_new(OCI_LAYER_UNKNOWN, NULL, NULL, &err));
  ck_assert_int_eq(err.code, OCIDIG_ERR_USAGE);
  r = oci_layer_reader_new(OCI_LAYER_NONE, NULL, NULL, &err);
  ck_assert_ptr_nonnull(r);
  ck_assert_int_eq(oci_layer_reader_finish(r, &res, &err), OCIDIG_OK); /* nothing fed: an empty stream */
  ck_assert_int_eq(res.tar, OCI_LAYER_TAR_NO_MARKER);
  ck_assert_int_eq(oci_layer_reader_finish(r, &res, &err), OCIDIG_ERR_USAGE);
  ck_assert_int_eq(oci_layer_reader_feed(r, "x", 1, &err), OCIDIG_ERR_USAGE);
  ck_assert_int_eq(oci_layer_entry_stream(r, md_sink, NULL, &err), OCIDIG_ERR_USAGE);
  oci_layer_reader_free(r);
}
END_TEST

/* ------------------------------------------------------------ names */

START_TEST(test_whiteout_of)
{
  static const struct {
    const char *path, *target;
    bool is, opaque;
  } cases[] = {
      {"etc/.wh.passwd", "etc/passwd", true, false},
      {".wh.top", "top", true, false},
      {"a/b/.wh..wh..opq", "a/b", true, true},
      {".wh..wh..opq", "", true, true},
      {"a/.wh.", NULL, false, false},        /* no name after the prefix */
      {"a/.wh..wh.plnk", NULL, false, false}, /* aufs's own meta files */
      {"a/.wh..hidden", "a/.hidden", true, false},
      {"a/x.wh.y", NULL, false, false},
      {".whx/y", NULL, false, false},
      {"a/b", NULL, false, false},
      {"", NULL, false, false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *t = (char *)1;
    bool opaque = true;
    bool is = oci_layer_whiteout_of(cases[i].path, &t, &opaque);
    ck_assert_msg(is == cases[i].is, "%s", cases[i].path);
    ck_assert(opaque == cases[i].opaque);
    if (cases[i].target)
      ck_assert_str_eq(t, cases[i].target);
    else
      ck_assert_ptr_null(t);
    free(t);
  }
  ck_assert(oci_layer_is_whiteout("a/.wh."));
  ck_assert(oci_layer_is_whiteout("a/.wh..wh.plnk"));
  ck_assert(!oci_layer_is_whiteout("a/b.wh.c"));
}
END_TEST

START_TEST(test_compression_of)
{
  ck_assert_int_eq(oci_layer_compression_of("application/vnd.oci.image.layer.v1.tar"), OCI_LAYER_NONE);
  ck_assert_int_eq(oci_layer_compression_of("application/vnd.oci.image.layer.v1.tar+gzip"), OCI_LAYER_GZIP);
  ck_assert_int_eq(oci_layer_compression_of("application/vnd.oci.image.layer.v1.tar+zstd"), OCI_LAYER_ZSTD);
  ck_assert_int_eq(oci_layer_compression_of("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"),
                   OCI_LAYER_GZIP);
  ck_assert_int_eq(oci_layer_compression_of("application/vnd.docker.image.rootfs.diff.tar.gzip"), OCI_LAYER_GZIP);
  ck_assert_int_eq(oci_layer_compression_of("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"),
                   OCI_LAYER_GZIP);
  ck_assert_int_eq(oci_layer_compression_of("application/vnd.docker.image.rootfs.diff.tar"), OCI_LAYER_NONE);
  ck_assert_int_eq(oci_layer_compression_of("application/vnd.in-toto+json"), OCI_LAYER_UNKNOWN);
  ck_assert_int_eq(oci_layer_compression_of("application/vnd.oci.image.layer.v1.tar+gzip+encrypted"),
                   OCI_LAYER_UNKNOWN);
  ck_assert_int_eq(oci_layer_compression_of(NULL), OCI_LAYER_UNKNOWN);
  ck_assert_str_eq(oci_layer_compression_name(OCI_LAYER_ZSTD), "zstd");
}
END_TEST

/* The root written as "/" (umoci does) is the root, not an absolute name; "/..." is one. */
static ocidig_code names_entry(void *ctx, oci_layer_reader *r, const oci_layer_entry *e, ocidig_error *err)
{
  char *out = ctx;
  (void)r;
  (void)err;
  snprintf(out + strlen(out), 256 - strlen(out), "[%s|%d]", e->path, (int)e->bad_name);
  return OCIDIG_OK;
}

static la_ssize_t mem_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
  (void)a;
  ck_assert_int_eq(oci_layer_reader_feed(ctx, buf, len, NULL), OCIDIG_OK);
  return (la_ssize_t)len;
}

START_TEST(test_root_names)
{
  static const oci_layer_callbacks cb = {names_entry};
  static const char *names[] = {"/", "/./", "./", "/...", "/a", "//"};
  char out[256] = "";
  oci_layer_result res;
  oci_layer_reader *r = oci_layer_reader_new(OCI_LAYER_NONE, &cb, out, NULL);
  struct archive *w = archive_write_new();
  struct archive_entry *e = archive_entry_new();
  archive_write_set_format_pax_restricted(w);
  ck_assert_int_eq(archive_write_open(w, r, NULL, mem_write, NULL), ARCHIVE_OK);
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    archive_entry_clear(e);
    archive_entry_set_pathname(e, names[i]);
    archive_entry_set_filetype(e, AE_IFDIR);
    archive_entry_set_perm(e, 0755);
    ck_assert_int_eq(archive_write_header(w, e), ARCHIVE_OK);
  }
  archive_write_close(w);
  archive_write_free(w);
  archive_entry_free(e);
  ck_assert_int_eq(oci_layer_reader_finish(r, &res, NULL), OCIDIG_OK);
  oci_layer_reader_free(r);
  ck_assert_str_eq(out, "[|0][|0][|0][/.../|1][/a/|1][|0]"); /* a bad name: as written */
}
END_TEST

/* ------------------------------------------------------------ a large stream, bounded memory */

typedef struct big {
  oci_layer_reader *r;
  EVP_MD_CTX *md;
  uint64_t n;
} big;

static la_ssize_t big_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
  big *b = ctx;
  (void)a;
  EVP_DigestUpdate(b->md, buf, len);
  b->n += len;
  ck_assert_int_eq(oci_layer_reader_feed(b->r, buf, len, NULL), OCIDIG_OK);
  return (la_ssize_t)len;
}

static ocidig_code count_entry(void *ctx, oci_layer_reader *r, const oci_layer_entry *e, ocidig_error *err)
{
  (void)r;
  (void)err;
  (void)e;
  (*(uint64_t *)ctx)++;
  return OCIDIG_OK;
}

/* 320 MiB of tar (libarchive's writer: four files of 64 MiB and 20,000 small ones) through
 * the reader: the diff_id is the stream's, and the process grows by a few MiB only. */
START_TEST(test_large_stream)
{
  static const oci_layer_callbacks cb = {count_entry};
  uint64_t entries = 0;
  big b = {0};
  struct archive *w = archive_write_new();
  struct archive_entry *e = archive_entry_new();
  static char block[1 << 16];
  struct rusage ru0, ru1;
  oci_layer_result res;
  char want[65];
  unsigned char md[32];
  unsigned int mdlen;
  getrusage(RUSAGE_SELF, &ru0);
  b.md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(b.md, EVP_sha256(), NULL);
  b.r = oci_layer_reader_new(OCI_LAYER_NONE, &cb, &entries, NULL);
  ck_assert_ptr_nonnull(b.r);
  archive_write_set_format_pax_restricted(w);
  archive_write_set_bytes_per_block(w, 10240);
  ck_assert_int_eq(archive_write_open(w, &b, NULL, big_write, NULL), ARCHIVE_OK);
  memset(block, 'x', sizeof block);
  for (int i = 0; i < 20004; i++) {
    char name[64];
    int64_t size = i < 4 ? (int64_t)64 << 20 : 100;
    snprintf(name, sizeof name, "dir%d/file%d", i % 100, i);
    archive_entry_clear(e);
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, size);
    ck_assert_int_eq(archive_write_header(w, e), ARCHIVE_OK);
    for (int64_t off = 0; off < size; off += (int64_t)sizeof block)
      archive_write_data(w, block, size - off < (int64_t)sizeof block ? (size_t)(size - off) : sizeof block);
  }
  ck_assert_int_eq(archive_write_close(w), ARCHIVE_OK);
  archive_write_free(w);
  archive_entry_free(e);
  ck_assert_int_eq(oci_layer_reader_finish(b.r, &res, NULL), OCIDIG_OK);
  oci_layer_reader_free(b.r);
  EVP_DigestFinal_ex(b.md, md, &mdlen);
  EVP_MD_CTX_free(b.md);
  for (unsigned i = 0; i < mdlen; i++)
    sprintf(want + 2 * i, "%02x", md[i]);
  ck_assert_str_eq(res.diff_id.hex, want);
  ck_assert_uint_eq(res.output_bytes, b.n);
  ck_assert_uint_gt(b.n, (uint64_t)256 << 20);
  ck_assert_uint_eq(entries, 20004);
  ck_assert_int_eq(res.tar, OCI_LAYER_TAR_END);
  getrusage(RUSAGE_SELF, &ru1);
#if !defined(__SANITIZE_ADDRESS__)
  ck_assert_msg(ru1.ru_maxrss - ru0.ru_maxrss < 24 * 1024, "grew by %ld KiB", ru1.ru_maxrss - ru0.ru_maxrss);
#endif
}
END_TEST

/* ------------------------------------------------------------ over a view */

START_TEST(test_read_over_view)
{
  char *dir = tu_mkdtemp(), want[65], path[256];
  size_t len;
  char *gz = tu_read_file(path_of("gnu.tar.gz"), &len);
  ocidig_layout *l = NULL;
  oci_view *v = NULL;
  ocidig_digest d;
  oci_layer_result res;
  ocidig_error err = {0};
  collect c = {.stream = true};
  static const oci_layer_callbacks cb = {on_entry};
  bool ok = false;
  c.md = EVP_MD_CTX_new();
  expect_sha("gnu.tar.gz.sha256", want);
  d.alg = OCIDIG_DIGEST_SHA256;
  memcpy(d.hex, want, 65);
  snprintf(path, sizeof path, "blobs/sha256/%s", want);
  tu_write(dir, path, gz, len);
  tu_write(dir, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
  tu_write(dir, "index.json", "{\"schemaVersion\":2,\"manifests\":[]}", 34);
  ck_assert_int_eq(ocidig_layout_open(dir, NULL, &l, &err), OCIDIG_OK);
  ck_assert_int_eq(oci_view_get(l, &v, &err), OCIDIG_OK);
  ck_assert_int_eq(oci_layer_read(v, &d, "application/vnd.oci.image.layer.v1.tar+gzip", (int64_t)len, &cb, &c, &res,
                                  &ok, &err),
                   OCIDIG_OK);
  ck_assert(ok);
  expect_sha("gnu.sha256", want);
  ck_assert_str_eq(res.diff_id.hex, want);
  check_list(&c, "gnu.list");
  check_files(&c, "gnu.files");
  collect_free(&c);
  /* a size that does not match: not the blob */
  ck_assert_int_eq(oci_layer_read(v, &d, "application/vnd.oci.image.layer.v1.tar+gzip", (int64_t)len + 1, NULL, NULL,
                                  &res, &ok, &err),
                   OCIDIG_OK);
  ck_assert(!ok);
  /* stopped by the consumer: no error */
  c.stop_at = 1;
  ck_assert_int_eq(oci_layer_read(v, &d, "application/vnd.oci.image.layer.v1.tar+gzip", (int64_t)len, &cb, &c, &res,
                                  &ok, &err),
                   OCIDIG_OK);
  ck_assert(res.stopped && !ok);
  collect_free(&c);
  ck_assert_int_eq(oci_layer_read(v, &d, "application/vnd.in-toto+json", (int64_t)len, &cb, &c, &res, &ok, &err),
                   OCIDIG_ERR_USAGE);
  d.hex[0] = d.hex[0] == '0' ? '1' : '0';
  ck_assert_int_eq(oci_layer_read(v, &d, "application/vnd.oci.image.layer.v1.tar+gzip", (int64_t)len, &cb, &c, &res,
                                  &ok, &err),
                   OCIDIG_ERR_BLOB_MISSING);
  collect_free(&c);
  ocidig_layout_close(l);
  tu_rmtree(dir);
  free(dir);
  free(gz);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("layer");
  TCase *t = tcase_create("streams");
  tcase_set_timeout(t, 120);
  tcase_add_test(t, test_gnu_tar);
  tcase_add_test(t, test_bsd_tar);
  tcase_add_test(t, test_python_tar);
  tcase_add_test(t, test_empty_tar);
  tcase_add_test(t, test_gnu_gzip);
  tcase_add_test(t, test_gnu_zstd);
  tcase_add_test(t, test_gzip_two_members);
  tcase_add_test(t, test_zstd_frames_and_skippable);
  tcase_add_test(t, test_empty_gzip);
  tcase_add_test(t, test_entry_fields);
  tcase_add_test(t, test_gzip_cut);
  tcase_add_test(t, test_gzip_trailing);
  tcase_add_test(t, test_gzip_trailing_offset);
  tcase_add_test(t, test_zstd_cut);
  tcase_add_test(t, test_zstd_trailing);
  tcase_add_test(t, test_not_compressed);
  tcase_add_test(t, test_empty_input);
  tcase_add_test(t, test_tar_cut_in_data);
  tcase_add_test(t, test_tar_cut_in_header);
  tcase_add_test(t, test_tar_no_marker);
  tcase_add_test(t, test_tar_bad_checksum);
  tcase_add_test(t, test_not_a_tar);
  tcase_add_test(t, test_zstd_window_too_large);
  tcase_add_test(t, test_stop);
  tcase_add_test(t, test_consumer_error);
  tcase_add_test(t, test_free_unfinished);
  tcase_add_test(t, test_usage);
  tcase_add_test(t, test_whiteout_of);
  tcase_add_test(t, test_root_names);
  tcase_add_test(t, test_compression_of);
  tcase_add_test(t, test_large_stream);
  tcase_add_test(t, test_read_over_view);
  suite_add_tcase(s, t);
  return s;
}

int main(void)
{
  return tu_run(suite());
}
