/* check_reread.c: members of an archive that were passed over without being kept are read
 * again (layout.c's reread, the archive source's reread op) with the right bytes whatever
 * the order they are asked for in: forward (the reader goes on from where it stopped),
 * backward and shuffled (the archive opened again), after a caller's sink stopped in the
 * middle of a member, and after a member was asked for that is not there.  Linked like
 * check_layout_ops: the layout over its sources and nothing above.  The archive is written
 * at test time with libarchive; each member's bytes say which member it is. */
#include "testutil.h"
#include "layout.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_MEMBERS 40
#define MEMBER_SIZE (3 * 1024)
#define BIG_SIZE (256 * 1024)

/* Member i: MEMBER_SIZE bytes, "member <i>" then the byte 'a' + i % 26 repeated; member
 * "big": BIG_SIZE bytes of 'z' after "big". */
static void fill(char *buf, size_t len, int i)
{
  memset(buf, i < 0 ? 'z' : 'a' + i % 26, len);
  if (i < 0)
    memcpy(buf, "big", 3);
  else
    snprintf(buf, 16, "member %d", i), buf[strlen(buf)] = ' ';
}

static void add(struct archive *a, const char *name, const char *data, size_t len)
{
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, name);
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, (la_int64_t)len);
  ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
  ck_assert_int_eq(archive_write_data(a, data, len), (la_ssize_t)len);
  archive_entry_free(e);
}

static char *write_tar(const char *dir, const char *filter)
{
  struct archive *a = archive_write_new();
  char *path, name[64], *data = malloc(BIG_SIZE);
  ck_assert(asprintf(&path, "%s/m.tar%s", dir, filter ? ".gz" : "") > 0);
  archive_write_set_format_pax_restricted(a);
  if (filter)
    ck_assert_int_eq(archive_write_add_filter_gzip(a), ARCHIVE_OK);
  ck_assert_int_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
  for (int i = 0; i < N_MEMBERS; i++) {
    snprintf(name, sizeof name, "blobs/m%02d", i);
    fill(data, MEMBER_SIZE, i);
    add(a, name, data, MEMBER_SIZE);
    if (i == N_MEMBERS / 2) {
      fill(data, BIG_SIZE, -1);
      add(a, "big", data, BIG_SIZE);
    }
  }
  ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  free(data);
  return path;
}

static void expect_member(ocidig_layout *l, int i)
{
  char name[64], want[MEMBER_SIZE];
  uint8_t *data = NULL;
  size_t len = 0;
  ocidig_error e;
  snprintf(name, sizeof name, "blobs/m%02d", i);
  fill(want, sizeof want, i);
  ck_assert_msg(ocidig_layout_read_file(l, name, 1 << 20, &data, &len, &e) == OCIDIG_OK, "%s: %s", name, e.message);
  ck_assert_uint_eq(len, MEMBER_SIZE);
  ck_assert_msg(!memcmp(data, want, len), "%s: other bytes", name);
  free(data);
}

static ocidig_code stop_sink(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  size_t *calls = ctx;
  (void)buf;
  (void)len;
  (*calls)++;
  return oci_fail(err, OCIDIG_ERR_IO, "the caller stops here");
}

static void run(const char *filter)
{
  char *dir = tu_mkdtemp(), *tar = write_tar(dir, filter);
  /* nothing kept: every member read through reread */
  ocidig_open_options o = {.small_cap = 16, .flags = OCIDIG_OPEN_FULL_SCAN};
  ocidig_layout *l;
  ocidig_error e;
  const ocidig_entry *ents;
  size_t n, calls = 0;
  int order[N_MEMBERS];
  uint8_t *data;
  size_t len;

  ck_assert_int_eq(oci_layout_open(tar, &o, NULL, &l, &e), OCIDIG_OK);
  ck_assert_int_eq(ocidig_layout_entries(l, &ents, &n, &e), OCIDIG_OK);
  ck_assert_uint_eq(n, N_MEMBERS + 1);
  for (int i = 0; i < N_MEMBERS; i++) /* forward */
    expect_member(l, i);
  for (int i = N_MEMBERS - 1; i >= 0; i--) /* backward */
    expect_member(l, i);
  for (int i = 0; i < N_MEMBERS; i++) /* the same one twice */
    expect_member(l, i), expect_member(l, i);
  for (int i = 0; i < N_MEMBERS; i++) /* shuffled (a fixed permutation) */
    order[i] = (i * 17 + 5) % N_MEMBERS;
  for (int i = 0; i < N_MEMBERS; i++)
    expect_member(l, order[i]);
  for (int i = 0; i < N_MEMBERS; i += 7) /* forward with gaps */
    expect_member(l, i);
  /* A sink that stops in the middle of a large member: that call fails, the next reads. */
  expect_member(l, 0);
  ck_assert_int_eq(ocidig_layout_stream_file(l, "big", stop_sink, &calls, &e), OCIDIG_ERR_IO);
  ck_assert_str_eq(e.message, "the caller stops here");
  ck_assert_uint_eq(calls, 1);
  expect_member(l, N_MEMBERS / 2 + 1);
  ck_assert_int_eq(ocidig_layout_stream_file(l, "big", stop_sink, &calls, &e), OCIDIG_ERR_IO);
  expect_member(l, N_MEMBERS / 2);
  ck_assert_int_eq(ocidig_layout_read_file(l, "big", 1 << 20, &data, &len, &e), OCIDIG_OK);
  ck_assert_uint_eq(len, BIG_SIZE);
  ck_assert(!memcmp(data, "bigzzz", 6) && data[BIG_SIZE - 1] == 'z');
  free(data);
  /* Absent: missing, and the members around it read as before. */
  ck_assert_int_eq(ocidig_layout_read_file(l, "blobs/none", 1 << 20, &data, &len, &e), OCIDIG_ERR_BLOB_MISSING);
  expect_member(l, N_MEMBERS - 1);
  expect_member(l, 1);
  ocidig_layout_close(l);
  unlink(tar);
  tu_rmtree(dir);
  free(tar);
  free(dir);
}

START_TEST(test_reread_tar)
{
  run(NULL);
}
END_TEST

START_TEST(test_reread_tar_gz)
{
  run("gzip");
}
END_TEST

int main(void)
{
  Suite *s = suite_create("reread");
  TCase *t = tcase_create("orders");
  tcase_add_test(t, test_reread_tar);
  tcase_add_test(t, test_reread_tar_gz);
  suite_add_tcase(s, t);
  return tu_run(s);
}
