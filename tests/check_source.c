/* check_source.c: every source kind gives the same contents; the size cap; the safety
 * rules for archive members and directory links.  Archive variants are written at test
 * time from testdata/samples/buildah-multiarch (made by buildah 1.28.2) with libarchive. */
#include "testutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SAMPLE TESTDATA "/samples/buildah-multiarch"

typedef struct file {
  char *path;
  char *data;
  size_t len;
} file;

typedef struct tree {
  file *f;
  size_t n;
} tree;

static void tree_add_dir(tree *t, const char *root, const char *rel)
{
  char full[8300];
  DIR *d;
  struct dirent *de;
  snprintf(full, sizeof full, "%s/%s", root, rel);
  d = opendir(full);
  ck_assert_ptr_nonnull(d);
  while ((de = readdir(d))) {
    char sub[4096];
    struct stat st;
    if (strlen(rel) + strlen(de->d_name) + 2 > sizeof sub)
      continue;
    if (de->d_name[0] == '.')
      continue;
    /* Checked return values: the names fit (tested above), and gcc sees it. */
    ck_assert_int_lt(snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", de->d_name), (int)sizeof sub);
    ck_assert_int_lt(snprintf(full, sizeof full, "%s/%s", root, sub), (int)sizeof full);
    ck_assert_int_eq(stat(full, &st), 0);
    if (S_ISDIR(st.st_mode)) {
      tree_add_dir(t, root, sub);
      continue;
    }
    t->f = realloc(t->f, (t->n + 1) * sizeof *t->f);
    t->f[t->n].path = strdup(sub);
    t->f[t->n].data = tu_read_file(full, &t->f[t->n].len);
    t->n++;
  }
  closedir(d);
}

static int by_path(const void *a, const void *b)
{
  return strcmp(((const file *)a)->path, ((const file *)b)->path);
}

static tree load_tree(const char *root)
{
  tree t = {0};
  tree_add_dir(&t, root, "");
  qsort(t.f, t.n, sizeof *t.f, by_path);
  return t;
}

static void tree_free(tree *t)
{
  for (size_t i = 0; i < t->n; i++) {
    free(t->f[i].path);
    free(t->f[i].data);
  }
  free(t->f);
}

enum { OPT_DOTSLASH = 1, OPT_INDEX_LAST = 2, OPT_NO_DIRS = 4 };

static void add_member(struct archive *a, const char *name, const void *data, size_t len, mode_t type)
{
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, name);
  archive_entry_set_filetype(e, type);
  archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
  archive_entry_set_size(e, type == AE_IFREG ? (la_int64_t)len : 0);
  ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
  if (len && type == AE_IFREG)
    ck_assert_int_eq(archive_write_data(a, data, len), (la_ssize_t)len);
  archive_entry_free(e);
}

/* Writes the tree as an archive of `format` through `filter`. */
static char *write_archive(const tree *t, const char *dir, const char *name, int format, int filter, int opts)
{
  char *path;
  struct archive *a = archive_write_new();
  const char *pre = (opts & OPT_DOTSLASH) ? "./" : "";
  ck_assert(asprintf(&path, "%s/%s", dir, name) > 0);
  archive_write_set_format(a, format);
  if (filter != ARCHIVE_FILTER_NONE)
    archive_write_add_filter(a, filter);
  ck_assert_int_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
  if (!(opts & OPT_NO_DIRS)) {
    char d1[64], d2[64];
    snprintf(d1, sizeof d1, "%sblobs", pre);
    snprintf(d2, sizeof d2, "%sblobs/sha256", pre);
    add_member(a, d1, NULL, 0, AE_IFDIR);
    add_member(a, d2, NULL, 0, AE_IFDIR);
  }
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < t->n; i++) {
      bool top = !strncmp(t->f[i].path, "blobs/", 6) ? false : true;
      char member[4200];
      /* index-first: top-level files in pass 0; index-last: blobs in pass 0. */
      if ((pass == 0) != ((opts & OPT_INDEX_LAST) ? !top : top))
        continue;
      snprintf(member, sizeof member, "%s%s", pre, t->f[i].path);
      add_member(a, member, t->f[i].data, t->f[i].len, AE_IFREG);
    }
  ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  return path;
}

/* Every file of the reference tree reads back identically from the layout. */
static void assert_same_contents(const char *source, const tree *t, const ocidig_open_options *opts)
{
  ocidig_layout *l;
  ocidig_error e;
  ck_assert_msg(ocidig_layout_open(source, opts, &l, &e) == OCIDIG_OK, "%s: %s", source, e.message);
  for (size_t i = 0; i < t->n; i++) {
    uint8_t *data;
    size_t len;
    ck_assert_msg(ocidig_layout_read_file(l, t->f[i].path, 1 << 24, &data, &len, &e) == OCIDIG_OK, "%s: %s: %s",
                  source, t->f[i].path, e.message);
    ck_assert_msg(len == t->f[i].len && !memcmp(data, t->f[i].data, len), "%s: %s differs", source, t->f[i].path);
    free(data);
  }
  ocidig_layout_close(l);
}

static const struct {
  const char *name;
  int format, filter, opts;
} variants[] = {
  {"ustar.tar", ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, 0},
  {"pax.tar", ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_NONE, 0},
  {"gnu.tar", ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_NONE, 0},
  {"x.tar.gz", ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_GZIP, 0},
  {"x.tar.zst", ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_ZSTD, 0},
  {"x.tar.xz", ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_XZ, 0},
  {"x.tar.bz2", ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_BZIP2, 0},
  {"dotslash.tar", ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_NONE, OPT_DOTSLASH},
  {"indexlast.tar.gz", ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_GZIP, OPT_INDEX_LAST},
  {"nodirs.tar", ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, OPT_NO_DIRS},
  {"x.zip", ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, 0},
  {"x.cpio", ARCHIVE_FORMAT_CPIO_SVR4_NOCRC, ARCHIVE_FILTER_NONE, 0},
};

START_TEST(test_source_kinds)
{
  tree t = load_tree(SAMPLE);
  char *dir = tu_mkdtemp();
  char *path = write_archive(&t, dir, variants[_i].name, variants[_i].format, variants[_i].filter, variants[_i].opts);
  ck_assert_uint_gt(t.n, 20);
  assert_same_contents(SAMPLE, &t, NULL);
  assert_same_contents(path, &t, NULL);
  {
    /* Read everything at once, and with a tiny cap (large members are re-read). */
    ocidig_open_options full = {.flags = OCIDIG_OPEN_FULL_SCAN};
    ocidig_open_options tiny = {.small_cap = 64};
    assert_same_contents(path, &t, &full);
    assert_same_contents(path, &t, &tiny);
  }
  free(path);
  tu_rmtree(dir);
  free(dir);
  tree_free(&t);
}
END_TEST

/* Archives made by real tools: GNU tar with ./ names, index.json last, gzip -9, zstd -19. */
START_TEST(test_real_archives)
{
  static const char *names[] = {"variant-multiarch-dotslash.tar", "variant-multiarch-indexlast.tar",
                                "variant-multiarch.tar.gz", "variant-multiarch.tar.zst",
                                "buildah-multiarch.oci-archive.tar"};
  tree t = load_tree(SAMPLE);
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/samples/%s", TESTDATA, names[i]);
    assert_same_contents(path, &t, NULL);
  }
  tree_free(&t);
}
END_TEST

START_TEST(test_stdin)
{
  tree t = load_tree(SAMPLE);
  char path[4096];
  int fd;
  snprintf(path, sizeof path, "%s/samples/variant-multiarch.tar.zst", TESTDATA);
  fd = open(path, O_RDONLY);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(dup2(fd, 0), 0); /* each Check test runs in its own process */
  close(fd);
  assert_same_contents("-", &t, NULL);
  tree_free(&t);
}
END_TEST

/* On stdin, a member passed without being kept cannot be read again: a clear error.
 * The member asked for is taken as it streams by, whatever the cap. */
START_TEST(test_stdin_not_rereadable)
{
  char path[4096], blob[4096];
  ocidig_open_options tiny = {.small_cap = 16};
  ocidig_layout *l;
  ocidig_error e;
  uint8_t *data;
  size_t len;
  int fd;
  tree t = load_tree(SAMPLE);
  snprintf(blob, sizeof blob, "%s", t.f[0].path); /* sorted: a blobs/ file */
  ck_assert(strncmp(blob, "blobs/", 6) == 0 && t.f[0].len > 16);
  snprintf(path, sizeof path, "%s/samples/variant-multiarch-indexlast.tar", TESTDATA);
  fd = open(path, O_RDONLY);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(dup2(fd, 0), 0);
  close(fd);
  ck_assert_int_eq(ocidig_layout_open("-", &tiny, &l, &e), OCIDIG_OK);
  /* index.json comes after the blobs: reading it passes them all. */
  ck_assert_int_eq(ocidig_layout_read_file(l, "index.json", 1 << 20, &data, &len, &e), OCIDIG_OK);
  ck_assert(len > 16 && data[0] == '{');
  free(data);
  ck_assert_int_eq(ocidig_layout_read_file(l, blob, 1 << 20, &data, &len, &e), OCIDIG_ERR_NOT_REREADABLE);
  ck_assert_msg(strstr(e.message, "standard input") != NULL, "%s", e.message);
  ocidig_layout_close(l);
  tree_free(&t);
}
END_TEST

/* ------------------------------------------------------------- safety */

static char *craft(const char *dir, const char *name, void (*fill)(struct archive *))
{
  char *path;
  struct archive *a = archive_write_new();
  ck_assert(asprintf(&path, "%s/%s", dir, name) > 0);
  archive_write_set_format_pax_restricted(a);
  ck_assert_int_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
  fill(a);
  archive_write_close(a);
  archive_write_free(a);
  return path;
}

static void add_link(struct archive *a, const char *name, const char *target, bool hard)
{
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, name);
  if (hard) {
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_hardlink(e, target);
  } else {
    archive_entry_set_filetype(e, AE_IFLNK);
    archive_entry_set_symlink(e, target);
  }
  archive_entry_set_perm(e, 0777);
  archive_write_header(a, e);
  archive_entry_free(e);
}

static void fill_hostile(struct archive *a)
{
  add_member(a, "index.json", "{}", 2, AE_IFREG);
  add_member(a, "../escape", "x", 1, AE_IFREG);
  add_member(a, "/abs/file", "x", 1, AE_IFREG);
  add_member(a, "blobs/../../up", "x", 1, AE_IFREG);
  add_link(a, "blobs/sha256/aaaa", "/etc/passwd", false);
  add_link(a, "blobs/sha256/bbbb", "../../../etc/passwd", false);
  add_link(a, "blobs/sha256/cccc", "index.json", true);
  add_member(a, "blobs/sha256/fifo", NULL, 0, AE_IFIFO);
  add_member(a, "blobs/sha256/chr", NULL, 0, AE_IFCHR);
  add_member(a, "dup", "first", 5, AE_IFREG);
  add_member(a, "dup", "second", 6, AE_IFREG);
}

static bool has_warning(ocidig_layout *l, const char *needle)
{
  const char *const *w;
  size_t n = ocidig_layout_warnings(l, &w);
  for (size_t i = 0; i < n; i++)
    if (strstr(w[i], needle))
      return true;
  return false;
}

START_TEST(test_hostile_members)
{
  char *dir = tu_mkdtemp();
  char *path = craft(dir, "hostile.tar", fill_hostile);
  ocidig_open_options full = {.flags = OCIDIG_OPEN_FULL_SCAN};
  ocidig_layout *l;
  ocidig_error e;
  uint8_t *data;
  size_t len;
  const ocidig_entry *ents;
  size_t n;
  static const char *unreadable[] = {"escape", "abs/file", "up", "blobs/sha256/aaaa", "blobs/sha256/bbbb",
                                     "blobs/sha256/cccc", "blobs/sha256/fifo", "blobs/sha256/chr"};
  ck_assert_int_eq(ocidig_layout_open(path, &full, &l, &e), OCIDIG_OK);
  for (size_t i = 0; i < sizeof unreadable / sizeof unreadable[0]; i++)
    ck_assert_msg(ocidig_layout_read_file(l, unreadable[i], 1024, &data, &len, &e) == OCIDIG_ERR_BLOB_MISSING,
                  "%s was readable", unreadable[i]);
  /* The last copy wins, with a warning. */
  ck_assert_int_eq(ocidig_layout_read_file(l, "dup", 1024, &data, &len, &e), OCIDIG_OK);
  ck_assert_uint_eq(len, 6);
  ck_assert_mem_eq(data, "second", 6);
  free(data);
  ck_assert(has_warning(l, "dup appears more than once"));
  ck_assert(has_warning(l, "absolute or \"..\" name"));
  ck_assert(has_warning(l, "hard link"));
  ck_assert(has_warning(l, "symbolic link"));
  ck_assert(has_warning(l, "FIFO"));
  ck_assert_int_eq(ocidig_layout_entries(l, &ents, &n, &e), OCIDIG_OK);
  for (size_t i = 0; i < n; i++) {
    if (!strcmp(ents[i].path, "blobs/sha256/aaaa") || !strcmp(ents[i].path, "blobs/sha256/bbbb"))
      ck_assert_msg(ents[i].escapes && ents[i].type == OCIDIG_ENTRY_SYMLINK, "%s", ents[i].path);
    if (!strcmp(ents[i].path, "blobs/sha256/cccc"))
      ck_assert(ents[i].type == OCIDIG_ENTRY_HARDLINK && !ents[i].escapes);
    if (!strcmp(ents[i].path, "blobs/sha256/fifo"))
      ck_assert(ents[i].type == OCIDIG_ENTRY_SPECIAL);
  }
  ocidig_layout_close(l);
  free(path);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(test_directory_links)
{
  char *dir = tu_mkdtemp();
  char *outside = tu_mkdtemp();
  char p[4096];
  ocidig_layout *l;
  ocidig_error e;
  uint8_t *data;
  size_t len;
  tu_write(dir, "index.json", "{}", 2);
  tu_write(dir, "blobs/sha256/real", "inside", 6);
  tu_write(outside, "secret", "secret", 6);
  snprintf(p, sizeof p, "%s/secret", outside);
  {
    char link[4096];
    snprintf(link, sizeof link, "%s/blobs/sha256/abs", dir);
    ck_assert_int_eq(symlink(p, link), 0);
  }
  snprintf(p, sizeof p, "%s/blobs/sha256/rel", dir);
  ck_assert_int_eq(symlink("../../../../../../../../etc/passwd", p), 0);
  snprintf(p, sizeof p, "%s/blobs/sha256/ok", dir);
  ck_assert_int_eq(symlink("real", p), 0);
  snprintf(p, sizeof p, "%s/blobs/sha256/fifo", dir);
  ck_assert_int_eq(mkfifo(p, 0644), 0);
  snprintf(p, sizeof p, "%s/blobs/sha256/adir", dir);
  ck_assert_int_eq(mkdir(p, 0755), 0);
  snprintf(p, sizeof p, "%s/blobs/sha512", dir);
  ck_assert_int_eq(symlink(outside, p), 0); /* a symlinked blobs/ folder */

  ck_assert_int_eq(ocidig_layout_open(dir, NULL, &l, &e), OCIDIG_OK);
  ck_assert_int_eq(ocidig_layout_read_file(l, "blobs/sha256/abs", 1024, &data, &len, &e), OCIDIG_ERR_BLOB_MISSING);
  ck_assert_int_eq(ocidig_layout_read_file(l, "blobs/sha256/rel", 1024, &data, &len, &e), OCIDIG_ERR_BLOB_MISSING);
  ck_assert_int_eq(ocidig_layout_read_file(l, "blobs/sha512/secret", 1024, &data, &len, &e), OCIDIG_ERR_BLOB_MISSING);
  ck_assert_int_eq(ocidig_layout_read_file(l, "blobs/sha256/fifo", 1024, &data, &len, &e), OCIDIG_ERR_BLOB_MISSING);
  ck_assert_int_eq(ocidig_layout_read_file(l, "blobs/sha256/adir", 1024, &data, &len, &e), OCIDIG_ERR_BLOB_MISSING);
  ck_assert_int_eq(ocidig_layout_read_file(l, "../x", 1024, &data, &len, &e), OCIDIG_ERR_BLOB_MISSING);
  ck_assert(has_warning(l, "outside the layout"));
  ck_assert(has_warning(l, "not a regular file"));
  /* A link inside the layout is followed. */
  ck_assert_int_eq(ocidig_layout_read_file(l, "blobs/sha256/ok", 1024, &data, &len, &e), OCIDIG_OK);
  ck_assert_mem_eq(data, "inside", 6);
  free(data);
  ocidig_layout_close(l);
  tu_rmtree(dir);
  tu_rmtree(outside);
  free(dir);
  free(outside);
}
END_TEST

static char *write_bytes(const char *dir, const char *name, const void *data, size_t len)
{
  char *path;
  tu_write(dir, name, data, len);
  ck_assert(asprintf(&path, "%s/%s", dir, name) > 0);
  return path;
}

/* A plain tar of a real layout (buildah, testdata/samples), index.json first, and then a
 * member `extra` at the end; cut: the archive ends inside that member. */
static char *tar_with_trailer(const char *dir, const char *name, const char *extra, size_t extra_len, bool cut)
{
  tree t = load_tree(TESTDATA "/samples/buildah-multiarch");
  char *path = write_archive(&t, dir, name, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_NONE, OPT_NO_DIRS);
  char *tmp;
  struct archive *a = archive_write_new();
  struct archive *r = archive_read_new();
  struct archive_entry *e;
  tree_free(&t);
  /* Copy the archive member by member, then add the trailer. */
  ck_assert(asprintf(&tmp, "%s.tmp", path) > 0);
  archive_read_support_format_tar(r);
  ck_assert_int_eq(archive_read_open_filename(r, path, 10240), ARCHIVE_OK);
  archive_write_set_format(a, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
  ck_assert_int_eq(archive_write_open_filename(a, tmp), ARCHIVE_OK);
  while (archive_read_next_header(r, &e) == ARCHIVE_OK) {
    char buf[8192];
    la_ssize_t n;
    ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
    while ((n = archive_read_data(r, buf, sizeof buf)) > 0)
      ck_assert_int_eq(archive_write_data(a, buf, (size_t)n), n);
  }
  archive_read_free(r);
  add_member(a, strncmp(extra, "{", 1) ? "zzjunk" : "index.json", extra, extra_len, AE_IFREG);
  ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  ck_assert_int_eq(rename(tmp, path), 0);
  free(tmp);
  if (cut) {
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(truncate(path, st.st_size - 1024 - (off_t)extra_len / 2), 0);
  }
  return path;
}

static bool row_selected(const ocidig_resolution *r)
{
  for (size_t i = 0; i < r->n_rows; i++)
    if (r->rows[i].verdict == OCIDIG_VERDICT_SELECTED)
      return true;
  return false;
}

/* resolve reads the rest of a plain tar's headers after its answer: a later index.json
 * that differs refuses the archive (every time, not only on the first walk), and leaves
 * no answer behind; damage after the answer's members is a warning only. */
START_TEST(test_resolve_reads_plain_tar_to_end)
{
  char *dir = tu_mkdtemp();
  static const char other[] = "{\"schemaVersion\":2,\"manifests\":[]}";
  char *dup = tar_with_trailer(dir, "dup.tar", other, sizeof other - 1, false);
  char junk[100000];
  char *cut;
  ocidig_layout *l;
  ocidig_resolution *r;
  ocidig_resolve_options opts = {0};
  ocidig_error e;
  bool warned = false;

  ck_assert_int_eq(ocidig_layout_open(dup, NULL, &l, &e), OCIDIG_OK);
  for (int round = 0; round < 2; round++) {
    ck_assert_int_eq(ocidig_resolve(l, &opts, &r, &e), OCIDIG_ERR_CORRUPT_ARCHIVE);
    ck_assert_int_eq(r->outcome, OCIDIG_OUTCOME_ERROR);
    ck_assert_msg(strstr(r->error.message, "index.json appears more than once"), "%s", r->error.message);
    ck_assert_ptr_null(r->selected.digest_string);
    ck_assert_uint_eq(r->n_layers, 0);
    ck_assert_uint_eq(r->n_path, 0);
    ck_assert(!row_selected(r));
    ocidig_resolution_free(r);
  }
  ocidig_layout_close(l);

  memset(junk, 'j', sizeof junk);
  cut = tar_with_trailer(dir, "cut.tar", junk, sizeof junk, true);
  ck_assert_int_eq(ocidig_layout_open(cut, NULL, &l, &e), OCIDIG_OK);
  ck_assert_int_eq(ocidig_resolve(l, &opts, &r, &e), OCIDIG_OK);
  ck_assert_int_eq(r->outcome, OCIDIG_OUTCOME_SELECTED);
  ck_assert_ptr_nonnull(r->selected.digest_string);
  for (size_t i = 0; i < r->n_warnings; i++)
    warned = warned || (strstr(r->warnings[i], "after the members resolve used") &&
                        strstr(r->warnings[i], "zzjunk"));
  ck_assert_msg(warned, "no warning about the cut-off member");
  ocidig_resolution_free(r);
  ocidig_layout_close(l);
  free(dup);
  free(cut);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

typedef struct progress_log {
  bool opened;
  unsigned calls, calls_after_open;
  uint64_t last;
} progress_log;

static void log_progress(void *ctx, uint64_t done, int64_t total)
{
  progress_log *p = ctx;
  (void)total;
  p->calls++;
  p->calls_after_open += p->opened;
  p->last = done;
}

static ocidig_code count_sink(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  (void)buf;
  (void)err;
  *(uint64_t *)ctx += len;
  return OCIDIG_OK;
}

/* The open's progress callback reports the first pass, also inside a large member hashed
 * as it passes (every 16 MiB); a member read again later (a second reader) does not
 * report through it. */
START_TEST(test_progress_first_pass_only)
{
  char *dir = tu_mkdtemp(), *path;
  size_t big = 40u * 1024 * 1024;
  uint8_t *zeros = calloc(1, big);
  struct archive *a = archive_write_new();
  progress_log log = {0};
  ocidig_open_options o = {.flags = OCIDIG_OPEN_HASH_BLOBS, .small_cap = 4096, .progress = log_progress,
                           .progress_ctx = &log};
  ocidig_layout *l;
  ocidig_error e;
  uint64_t streamed = 0;

  ck_assert(asprintf(&path, "%s/big.tar", dir) > 0);
  archive_write_set_format(a, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
  ck_assert_int_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
  add_member(a, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30, AE_IFREG);
  add_member(a, "big", zeros, big, AE_IFREG);
  ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  free(zeros);

  ck_assert_int_eq(ocidig_layout_open(path, &o, &l, &e), OCIDIG_OK);
  ck_assert_uint_ge(log.calls, 3); /* 16 and 32 MiB inside "big", and its end */
  log.opened = true;
  ck_assert_int_eq(ocidig_layout_stream_file(l, "big", count_sink, &streamed, &e), OCIDIG_OK);
  ck_assert_uint_eq(streamed, big);
  ck_assert_uint_eq(log.calls_after_open, 0);
  ocidig_layout_close(l);
  free(path);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(test_broken_inputs)
{
  tree t = load_tree(SAMPLE);
  char *dir = tu_mkdtemp();
  char *tar = write_archive(&t, dir, "ok.tar", ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, OPT_INDEX_LAST);
  char *gz = write_archive(&t, dir, "ok.tar.gz", ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, OPT_INDEX_LAST);
  size_t tlen, glen;
  char *tbytes = tu_read_file(tar, &tlen), *gbytes = tu_read_file(gz, &glen);
  ocidig_open_options full = {.flags = OCIDIG_OPEN_FULL_SCAN};
  ocidig_layout *l = NULL;
  ocidig_error e;
  char *p;

  /* Not an archive. */
  p = write_bytes(dir, "text.txt", "hello, this is not an archive\n", 30);
  ck_assert_int_eq(ocidig_layout_open(p, NULL, &l, &e), OCIDIG_ERR_NOT_A_LAYOUT);
  free(p);
  /* Missing source. */
  ck_assert_int_eq(ocidig_layout_open("/nonexistent/ocidig", NULL, &l, &e), OCIDIG_ERR_NOT_FOUND);
  /* Truncated in the middle of a member. */
  p = write_bytes(dir, "trunc.tar", tbytes, tlen / 2 + 100);
  ck_assert_int_eq(ocidig_layout_open(p, &full, &l, &e), OCIDIG_ERR_TRUNCATED_ARCHIVE);
  ck_assert_msg(strstr(e.message, "trunc.tar") != NULL, "%s", e.message);
  free(p);
  /* Truncated gzip. */
  p = write_bytes(dir, "trunc.tar.gz", gbytes, glen / 2);
  ck_assert_int_eq(ocidig_layout_open(p, &full, &l, &e), OCIDIG_ERR_TRUNCATED_ARCHIVE);
  free(p);
  /* Corrupt deflate data. */
  for (size_t i = glen / 3; i < glen / 3 + 64; i++)
    gbytes[i] ^= 0x5a;
  p = write_bytes(dir, "corrupt.tar.gz", gbytes, glen);
  {
    ocidig_code rc = ocidig_layout_open(p, &full, &l, &e);
    ck_assert_msg(rc == OCIDIG_ERR_CORRUPT_ARCHIVE || rc == OCIDIG_ERR_TRUNCATED_ARCHIVE, "%s: %s",
                  ocidig_code_name(rc), e.message);
    ck_assert_int_eq(ocidig_code_exit_status(rc), 3);
  }
  free(p);
  free(tbytes);
  free(gbytes);
  free(tar);
  free(gz);
  tu_rmtree(dir);
  free(dir);
  tree_free(&t);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("source");
  TCase *kinds = tcase_create("kinds");
  TCase *safety = tcase_create("safety");
  tcase_add_loop_test(kinds, test_source_kinds, 0, (int)(sizeof variants / sizeof variants[0]));
  tcase_add_test(kinds, test_real_archives);
  tcase_add_test(kinds, test_stdin);
  tcase_add_test(kinds, test_stdin_not_rereadable);
  tcase_set_timeout(kinds, 60);
  tcase_add_test(safety, test_hostile_members);
  tcase_add_test(safety, test_directory_links);
  tcase_add_test(safety, test_broken_inputs);
  tcase_add_test(safety, test_resolve_reads_plain_tar_to_end);
  tcase_add_test(kinds, test_progress_first_pass_only);
  suite_add_tcase(s, kinds);
  suite_add_tcase(s, safety);
  return tu_run(s);
}
