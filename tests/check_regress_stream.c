/* check_regress_stream.c: issue 12, defect 19 (and 10 through the API): a sink that fails
 * while a member of an archive streams fails that call only; its code and message reach the
 * caller unchanged, and later reads of the same layout work (on stdin, all but the member
 * that was streaming when the sink stopped, unless it was small enough to be kept).  The
 * archives are written here with libarchive; digests are computed with OpenSSL. */
#include "testutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BIG_SIZE (5u * 1024 * 1024 + 123)
#define STOP_CODE OCIDIG_ERR_KIND_MISMATCH /* a code no read of a member gives by itself */
#define STOP_MESSAGE "caller stopped early (test sink)"

static const ocidig_platform host = {.os = "linux", .architecture = "amd64"};

typedef struct fixture {
  char *dir, *tar, *plain_dir;
  char big_path[128], manifest_path[128];
  uint8_t *big;
  char index_json[1024];
} fixture;

static void digest_hex(const void *data, size_t len, char hex[65])
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  ck_assert_int_eq(EVP_Digest(data, len, md, &n, EVP_sha256(), NULL), 1);
  ck_assert_uint_eq(n, 32);
  for (int i = 0; i < 32; i++)
    snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static void add(struct archive *a, const char *dir, const char *path, const void *data, size_t len)
{
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, path);
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, (la_int64_t)len);
  ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
  ck_assert_int_eq(archive_write_data(a, data, len), (la_ssize_t)len);
  archive_entry_free(e);
  tu_write(dir, path, data, len); /* the same layout as a directory */
}

/* order: oci-layout, index.json, the 5 MB layer, the config, the manifest. */
static void fixture_make(fixture *f)
{
  char cfg_hex[65], big_hex[65], man_hex[65], cfg[512], man[1024], path[128];
  struct archive *a = archive_write_new();
  memset(f, 0, sizeof *f);
  f->dir = tu_mkdtemp();
  ck_assert(asprintf(&f->tar, "%s/layout.tar", f->dir) > 0);
  ck_assert(asprintf(&f->plain_dir, "%s/dir", f->dir) > 0);
  f->big = malloc(BIG_SIZE);
  ck_assert_ptr_nonnull(f->big);
  for (size_t i = 0; i < BIG_SIZE; i++)
    f->big[i] = (uint8_t)(i * 7 + (i >> 12));
  digest_hex(f->big, BIG_SIZE, big_hex);
  snprintf(cfg, sizeof cfg,
           "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:%s\"]}}",
           big_hex);
  digest_hex(cfg, strlen(cfg), cfg_hex);
  snprintf(man, sizeof man,
           "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
           "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:%s\",\"size\":%zu},"
           "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:%s\",\"size\":%u}]}",
           cfg_hex, strlen(cfg), big_hex, BIG_SIZE);
  digest_hex(man, strlen(man), man_hex);
  snprintf(f->index_json, sizeof f->index_json,
           "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
           "\"digest\":\"sha256:%s\",\"size\":%zu,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}",
           man_hex, strlen(man));
  snprintf(f->big_path, sizeof f->big_path, "blobs/sha256/%s", big_hex);
  snprintf(f->manifest_path, sizeof f->manifest_path, "blobs/sha256/%s", man_hex);
  archive_write_set_format_pax_restricted(a);
  ck_assert_int_eq(archive_write_open_filename(a, f->tar), ARCHIVE_OK);
  add(a, f->plain_dir, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
  add(a, f->plain_dir, "index.json", f->index_json, strlen(f->index_json));
  add(a, f->plain_dir, f->big_path, f->big, BIG_SIZE);
  snprintf(path, sizeof path, "blobs/sha256/%s", cfg_hex);
  add(a, f->plain_dir, path, cfg, strlen(cfg));
  add(a, f->plain_dir, f->manifest_path, man, strlen(man));
  ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
}

static void fixture_free(fixture *f)
{
  tu_rmtree(f->dir);
  free(f->dir);
  free(f->tar);
  free(f->plain_dir);
  free(f->big);
}

/* Puts the archive on fd 0 (each Check test runs in its own process). */
static void archive_on_stdin(const fixture *f)
{
  int fd = open(f->tar, O_RDONLY);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(dup2(fd, 0), 0);
  close(fd);
}

typedef struct counter {
  size_t n, stop_after;  /* stop_after 0: never stop */
  const uint8_t *expect; /* when set: the bytes must be these */
  bool same;
} counter;

static ocidig_code count_sink(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  counter *c = ctx;
  if (c->stop_after && c->n + len >= c->stop_after) {
    if (err) {
      err->code = STOP_CODE;
      snprintf(err->message, sizeof err->message, "%s", STOP_MESSAGE);
    }
    return STOP_CODE;
  }
  if (c->expect && memcmp(c->expect + c->n, buf, len))
    c->same = false;
  c->n += len;
  return OCIDIG_OK;
}

static ocidig_code stream(ocidig_layout *l, const char *path, size_t stop_after, size_t *n, ocidig_error *e)
{
  counter c = {.stop_after = stop_after};
  ocidig_code rc;
  rc = ocidig_layout_stream_file(l, path, count_sink, &c, e);
  *n = c.n;
  return rc;
}

static void expect_stopped(ocidig_code rc, const ocidig_error *e)
{
  ck_assert_int_eq(rc, STOP_CODE);
  ck_assert_int_eq(e->code, STOP_CODE);
  ck_assert_str_eq(e->message, STOP_MESSAGE);
}

static void expect_resolves(ocidig_layout *l, const fixture *f)
{
  ocidig_resolve_options opts = {.host = &host};
  ocidig_resolution *r = NULL;
  ocidig_error e = {0};
  ocidig_resolve(l, &opts, &r, &e);
  ck_assert_ptr_nonnull(r);
  ck_assert_msg(r->outcome == OCIDIG_OUTCOME_SELECTED, "resolve: %s", r->error.message);
  ck_assert_str_eq(r->selected.digest_string + 7, f->manifest_path + 13); /* sha256:HEX, blobs/sha256/HEX */
  ocidig_resolution_free(r);
}

static void expect_index(ocidig_layout *l, const fixture *f)
{
  uint8_t *data;
  size_t len;
  ocidig_error e;
  ck_assert_int_eq(ocidig_layout_read_file(l, "index.json", OCIDIG_MAX_JSON_SIZE, &data, &len, &e), OCIDIG_OK);
  ck_assert_uint_eq(len, strlen(f->index_json));
  ck_assert(memcmp(data, f->index_json, len) == 0);
  free(data);
}

/* _i: 0 an archive file, 1 the archive on stdin, 2 the same layout as a directory. */
static ocidig_layout *open_kind(fixture *f, int kind)
{
  ocidig_layout *l = NULL;
  ocidig_error e;
  if (kind == 1)
    archive_on_stdin(f);
  ck_assert_msg(ocidig_layout_open(kind == 0 ? f->tar : kind == 1 ? "-" : f->plain_dir, NULL, &l, &e) == OCIDIG_OK,
                "open: %s", e.message);
  return l;
}

START_TEST(test_index_sink_error_is_that_calls_only)
{
  fixture f;
  ocidig_layout *l;
  ocidig_error e;
  size_t n;
  fixture_make(&f);
  l = open_kind(&f, _i);
  /* defect 19: the sink stops on index.json, the first thing asked of the layout */
  expect_stopped(stream(l, "index.json", 1, &n, &e), &e);
  /* later reads of the same layout work, index.json included (small: kept in memory) */
  expect_index(l, &f);
  ck_assert_int_eq(stream(l, "index.json", 0, &n, &e), OCIDIG_OK);
  ck_assert_uint_eq(n, strlen(f.index_json));
  expect_resolves(l, &f);
  if (_i != 1) { /* the 5 MB layer passed by on stdin while resolve read on to the manifest */
    ck_assert_int_eq(stream(l, f.big_path, 0, &n, &e), OCIDIG_OK);
    ck_assert_uint_eq(n, BIG_SIZE);
  }
  ocidig_layout_close(l);
  fixture_free(&f);
}
END_TEST

START_TEST(test_large_member_sink_error)
{
  fixture f;
  ocidig_layout *l;
  ocidig_error e;
  size_t n;
  counter c = {.same = true};
  fixture_make(&f);
  l = open_kind(&f, _i);
  /* defect 19: the sink stops half-way through the 5 MB layer (too large to be kept) */
  expect_stopped(stream(l, f.big_path, BIG_SIZE / 2, &n, &e), &e);
  ck_assert_uint_lt(n, BIG_SIZE);
  if (_i == 1) {
    /* on stdin that member is gone, and the error says so; the others are not */
    ck_assert_int_eq(stream(l, f.big_path, 0, &n, &e), OCIDIG_ERR_NOT_REREADABLE);
  } else {
    c.expect = f.big;
    ck_assert_msg(ocidig_layout_stream_file(l, f.big_path, count_sink, &c, &e) == OCIDIG_OK, "%s", e.message);
    ck_assert_uint_eq(c.n, BIG_SIZE);
    ck_assert(c.same);
  }
  expect_index(l, &f);
  expect_resolves(l, &f);
  ocidig_layout_close(l);
  fixture_free(&f);
}
END_TEST

/* read_file's own limit (json-too-large while the member streams) is that call's error too. */
START_TEST(test_read_file_limit_is_that_calls_only)
{
  fixture f;
  ocidig_layout *l;
  ocidig_error e;
  uint8_t *data;
  size_t len;
  fixture_make(&f);
  l = open_kind(&f, _i);
  ck_assert_int_eq(ocidig_layout_read_file(l, "index.json", 10, &data, &len, &e), OCIDIG_ERR_JSON_TOO_LARGE);
  expect_index(l, &f);
  expect_resolves(l, &f);
  ocidig_layout_close(l);
  fixture_free(&f);
}
END_TEST

/* defect 10 through the API: a large member streams from stdin wherever it is, also when it
 * is the first member (whose header is read at open). */
START_TEST(test_stdin_streams_large_member_as_it_passes)
{
  fixture f;
  ocidig_layout *l;
  ocidig_error e;
  size_t n;
  char *tar2;
  struct archive *a = archive_write_new();
  fixture_make(&f);
  ck_assert(asprintf(&tar2, "%s/first.tar", f.dir) > 0);
  archive_write_set_format_pax_restricted(a);
  ck_assert_int_eq(archive_write_open_filename(a, tar2), ARCHIVE_OK);
  add(a, f.plain_dir, f.big_path, f.big, BIG_SIZE);
  add(a, f.plain_dir, "index.json", f.index_json, strlen(f.index_json));
  ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  free(f.tar);
  f.tar = tar2;
  l = open_kind(&f, 1);
  ck_assert_msg(stream(l, f.big_path, 0, &n, &e) == OCIDIG_OK, "%s", e.message);
  ck_assert_uint_eq(n, BIG_SIZE);
  expect_index(l, &f);
  ocidig_layout_close(l);
  fixture_free(&f);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("regress_stream");
  TCase *t = tcase_create("defect 19: a sink's error is that call's error only");
  tcase_add_loop_test(t, test_index_sink_error_is_that_calls_only, 0, 3);
  tcase_add_loop_test(t, test_large_member_sink_error, 0, 3);
  tcase_add_loop_test(t, test_read_file_limit_is_that_calls_only, 0, 3);
  TCase *t10 = tcase_create("defect 10: a large member streams from stdin as it passes");
  tcase_add_test(t10, test_stdin_streams_large_member_as_it_passes);
  tcase_set_timeout(t, 60);
  tcase_set_timeout(t10, 60);
  suite_add_tcase(s, t);
  suite_add_tcase(s, t10);
  return tu_run(s);
}
