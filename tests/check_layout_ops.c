/* check_layout_ops.c: the layout over its sources, and what the layers above may ask of it
 * (layout.h).  Linked from layout.c, member.c, the sources and the helpers they use (digest,
 * util, error, hasher) and nothing above: a layout that called up into a view, the graph or
 * a command would not link.  Archives are written at test time with libarchive; the
 * directory is testdata/samples/buildah-multiarch (made by buildah 1.28.2). */
#include "testutil.h"
#include "layout.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SAMPLE TESTDATA "/samples/buildah-multiarch"

static void add(struct archive *a, const char *name, const char *data, size_t len, mode_t type, const char *link)
{
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, name);
  archive_entry_set_filetype(e, type);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, (la_int64_t)len);
  if (link)
    archive_entry_set_symlink(e, link);
  ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
  if (len)
    ck_assert_int_eq(archive_write_data(a, data, len), (la_ssize_t)len);
  archive_entry_free(e);
}

/* a.tar: "abc", a large member, two links of one name (the later one wins), a link out,
 * a large member last. */
static char *write_tar(const char *dir, size_t big)
{
  struct archive *a = archive_write_new();
  char *path, *data = malloc(big);
  memset(data, 'x', big);
  ck_assert(asprintf(&path, "%s/a.tar", dir) > 0);
  archive_write_set_format_pax_restricted(a);
  ck_assert_int_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
  add(a, "blobs/sha256/abc", "abc", 3, AE_IFREG, NULL);
  add(a, "big", data, big, AE_IFREG, NULL);
  add(a, "link", NULL, 0, AE_IFLNK, "blobs/sha256/first");
  add(a, "link", NULL, 0, AE_IFLNK, "blobs/sha256/abc");
  add(a, "out", NULL, 0, AE_IFLNK, "../../etc/passwd");
  add(a, "last", data, big, AE_IFREG, NULL);
  ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  free(data);
  return path;
}

static bool warned(const ocidig_layout *l, const char *needle)
{
  const char *const *w;
  size_t n = ocidig_layout_warnings(l, &w);
  for (size_t i = 0; i < n; i++)
    if (strstr(w[i], needle))
      return true;
  return false;
}

START_TEST(test_archive_accessors)
{
  char *dir = tu_mkdtemp(), *tar = write_tar(dir, 64 * 1024);
  ocidig_open_options o = {.small_cap = 1024};
  ocidig_layout *l;
  ocidig_error e;
  ocidig_entry en;
  int err;

  ck_assert_int_eq(oci_layout_open(tar, &o, NULL, &l, &e), OCIDIG_OK);
  ck_assert(ocidig_layout_is_archive(l));
  ck_assert_str_eq(oci_layout_path(l), tar);
  /* lazy: nothing read beyond the first header */
  ck_assert(!oci_layout_member_known(l, "blobs/sha256/abc"));
  ck_assert(oci_layout_member_ahead(l, "blobs/sha256/abc"));
  ck_assert(oci_layout_rest_is_cheap(l));
  ck_assert_int_eq(oci_layout_streaming_size(l), -1);
  /* "big" passed over (larger than small_cap): known, and complete only once the next
   * header is read, which confirm does */
  ck_assert_int_eq(ocidig_layout_stat(l, "big", &en, &e), OCIDIG_OK);
  ck_assert_int_eq(en.size, 64 * 1024);
  ck_assert(oci_layout_member_known(l, "big"));
  ck_assert(!oci_layout_member_ahead(l, "big"));
  ck_assert(oci_layout_member_ahead(l, "last"));
  ck_assert_int_eq(oci_layout_confirm(l, "big", &e), OCIDIG_OK);
  ck_assert_int_eq(oci_layout_confirm(l, "never-there", &e), OCIDIG_OK);
  /* links: not looked up before they are met; the last one of a name wins */
  ck_assert_ptr_null(oci_layout_link_target(l, "link"));
  ck_assert_int_eq(ocidig_layout_scan_all(l, &e), OCIDIG_OK);
  ck_assert_str_eq(oci_layout_link_target(l, "link"), "blobs/sha256/abc");
  ck_assert_ptr_null(oci_layout_link_target(l, "out")); /* it leaves the root */
  ck_assert_ptr_null(oci_layout_link_target(l, "big"));
  ck_assert(warned(l, "archive member out is a symbolic link (to outside the layout: ../../etc/passwd)"));
  ck_assert(!oci_layout_rest_is_cheap(l));
  ck_assert(!oci_layout_member_ahead(l, "absent"));
  ck_assert(!oci_layout_ambiguous(l));
  /* a directory's operations are not an archive's */
  ck_assert_int_eq(oci_layout_open_member(l, "blobs/sha256/abc", &err), -1);
  ck_assert_int_eq(err, ENOTSUP);
  ck_assert_int_eq(oci_layout_resolve(l, "link", NULL, NULL, NULL, NULL), ENOTSUP);
  ck_assert_int_eq(oci_layout_list_errors(l, NULL, NULL), 0);
  ck_assert(ocidig_layout_bytes_read(l) > 0);
  ocidig_layout_close(l);

  /* a member already read turns up again, different: ambiguous */
  {
    struct archive *a = archive_write_new();
    char *amb;
    uint8_t *data;
    size_t len;
    ck_assert(asprintf(&amb, "%s/amb.tar", dir) > 0);
    archive_write_set_format_pax_restricted(a);
    ck_assert_int_eq(archive_write_open_filename(a, amb), ARCHIVE_OK);
    add(a, "index.json", "{}", 2, AE_IFREG, NULL);
    add(a, "index.json", "[]", 2, AE_IFREG, NULL);
    ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    ck_assert_int_eq(oci_layout_open(amb, NULL, NULL, &l, &e), OCIDIG_OK);
    ck_assert_int_eq(ocidig_layout_read_file(l, "index.json", 100, &data, &len, &e), OCIDIG_OK);
    free(data);
    ck_assert_int_eq(ocidig_layout_scan_all(l, &e), OCIDIG_ERR_CORRUPT_ARCHIVE);
    ck_assert(oci_layout_ambiguous(l));
    ocidig_layout_close(l);
    free(amb);
  }
  tu_rmtree(dir);
  free(tar);
  free(dir);
}
END_TEST

START_TEST(test_directory_accessors)
{
  ocidig_layout *l;
  ocidig_error e;
  char *want, *got, *canon;
  size_t len;
  int fd, err;
  struct stat st;

  ck_assert_int_eq(oci_layout_open(SAMPLE, NULL, NULL, &l, &e), OCIDIG_OK);
  ck_assert(!ocidig_layout_is_archive(l));
  /* the hashing pool's open: the file itself, read whole */
  want = tu_read_file(SAMPLE "/index.json", &len);
  fd = oci_layout_open_member(l, "index.json", &err);
  ck_assert_int_ge(fd, 0);
  got = malloc(len);
  ck_assert_int_eq(read(fd, got, len), (ssize_t)len);
  ck_assert(!memcmp(got, want, len));
  close(fd);
  ck_assert_int_eq(oci_layout_open_member(l, "blobs", &err), -1);
  ck_assert_int_eq(err, -1);
  ck_assert_int_eq(oci_layout_open_member(l, "absent", &err), -1);
  ck_assert_int_eq(err, ENOENT);
  ck_assert_int_eq(oci_layout_resolve(l, "./blobs/../index.json", &st, &canon, NULL, NULL), 0);
  ck_assert_str_eq(canon, "index.json");
  ck_assert(S_ISREG(st.st_mode));
  free(canon);
  ck_assert(!oci_layout_member_ahead(l, "index.json"));
  ck_assert_int_eq(oci_layout_streaming_size(l), -1);
  ck_assert(!oci_layout_rest_is_cheap(l));
  ck_assert_ptr_null(oci_layout_link_target(l, "index.json"));
  ck_assert_int_eq(oci_layout_confirm(l, "index.json", &e), OCIDIG_OK);
  ck_assert_int_eq(ocidig_layout_bytes_read(l), 0);
  ocidig_layout_close(l);
  free(want);
  free(got);
}
END_TEST

START_TEST(test_directory_unlisted)
{
  char *dir = tu_mkdtemp(), path[4200];
  ocidig_layout *l;
  ocidig_error e;
  const ocidig_entry *ents;
  const char *const *msgs, *const *paths;
  size_t n;
  if (geteuid() == 0) { /* root lists everything: nothing to see */
    tu_rmtree(dir);
    free(dir);
    return;
  }
  tu_write(dir, "blobs/sha256/abc", "abc", 3);
  snprintf(path, sizeof path, "%s/blobs/sha256", dir);
  ck_assert_int_eq(chmod(path, 0), 0);
  ck_assert_int_eq(oci_layout_open(dir, NULL, NULL, &l, &e), OCIDIG_OK);
  ck_assert_int_eq(ocidig_layout_entries(l, &ents, &n, &e), OCIDIG_OK);
  ck_assert_int_eq(oci_layout_list_errors(l, &msgs, &paths), 1);
  ck_assert_str_eq(paths[0], "blobs/sha256");
  ck_assert(strstr(msgs[0], "could not be listed"));
  ck_assert(warned(l, msgs[0]));
  ocidig_layout_close(l);
  ck_assert_int_eq(chmod(path, 0755), 0);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("layout_ops");
  TCase *t = tcase_create("accessors");
  tcase_add_test(t, test_archive_accessors);
  tcase_add_test(t, test_directory_accessors);
  tcase_add_test(t, test_directory_unlisted);
  suite_add_tcase(s, t);
  return tu_run(s);
}
