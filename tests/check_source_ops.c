/* check_source_ops.c: the source interface (src/lib/source/source.h) on its own, below the
 * layout.  This program is linked from the sources and the helpers they use (util, error,
 * hasher) and from nothing else: a source that called up into layout.c (or anything
 * above) would not link.  What a source meets is seen through the events it reports.
 * Fixture: testdata/samples/buildah-multiarch (made by buildah 1.28.2); archives are
 * written from it at test time with libarchive. */
#include "testutil.h"
#include "source/source.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SAMPLE TESTDATA "/samples/buildah-multiarch"
/* FIPS 180-2, appendix B.1: SHA-256("abc") */
#define ABC_SHA256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

/* ------------------------------------------------------ what was reported */

typedef struct rec {
  oci_source_member *m;
  size_t n;
  char **warnings;
  size_t n_warnings;
  char **unlisted;
  size_t n_unlisted;
  size_t plans;
  const char *keep;  /* plan: keep this member (NULL: keep every one) */
  const char *hash;  /* plan: hash this member */
  size_t fail_at;    /* member: fail on the member of this ordinal + 1 (0: never) */
  uint64_t progress; /* the last progress reported */
} rec;

static void on_warn(void *ctx, const char *message)
{
  rec *r = ctx;
  r->warnings = realloc(r->warnings, (r->n_warnings + 1) * sizeof *r->warnings);
  r->warnings[r->n_warnings++] = strdup(message);
}

static void on_plan(void *ctx, const char *path, int64_t declared, oci_source_plan *plan)
{
  rec *r = ctx;
  (void)declared;
  r->plans++;
  plan->keep = !r->keep || !strcmp(path, r->keep);
  plan->keep_max = 1 << 20;
  plan->hash = r->hash && !strcmp(path, r->hash);
  plan->alg = OCIDIG_DIGEST_SHA256;
}

static ocidig_code on_member(void *ctx, oci_source_member *m, ocidig_error *err)
{
  rec *r = ctx;
  if (r->fail_at && m->ordinal + 1 == r->fail_at) {
    free(m->path);
    free(m->link_target);
    free(m->data);
    free(m->actual_hex);
    memset(m, 0, sizeof *m);
    err->code = OCIDIG_ERR_CORRUPT_ARCHIVE;
    snprintf(err->message, sizeof err->message, "refused by the layer above");
    return OCIDIG_ERR_CORRUPT_ARCHIVE;
  }
  r->m = realloc(r->m, (r->n + 1) * sizeof *r->m);
  r->m[r->n++] = *m;
  memset(m, 0, sizeof *m); /* taken over */
  return OCIDIG_OK;
}

static void on_unlisted(void *ctx, const char *path, const char *message)
{
  rec *r = ctx;
  char *s;
  ck_assert(asprintf(&s, "%s|%s", path, message) > 0);
  r->unlisted = realloc(r->unlisted, (r->n_unlisted + 1) * sizeof *r->unlisted);
  r->unlisted[r->n_unlisted++] = s;
}

static void on_progress(void *ctx, uint64_t bytes)
{
  ((rec *)ctx)->progress = bytes;
}

static const oci_source_events events = {on_warn, on_plan, on_member, on_unlisted, on_progress};

static void rec_free(rec *r)
{
  for (size_t i = 0; i < r->n; i++) {
    free(r->m[i].path);
    free(r->m[i].link_target);
    free(r->m[i].data);
    free(r->m[i].actual_hex);
  }
  free(r->m);
  for (size_t i = 0; i < r->n_warnings; i++)
    free(r->warnings[i]);
  free(r->warnings);
  for (size_t i = 0; i < r->n_unlisted; i++)
    free(r->unlisted[i]);
  free(r->unlisted);
}

static const oci_source_member *rec_find(const rec *r, const char *path)
{
  for (size_t i = 0; i < r->n; i++)
    if (!strcmp(r->m[i].path, path))
      return &r->m[i];
  return NULL;
}

static bool rec_warned(const rec *r, const char *needle)
{
  for (size_t i = 0; i < r->n_warnings; i++)
    if (strstr(r->warnings[i], needle))
      return true;
  return false;
}

typedef struct buf {
  char *s;
  size_t n;
} buf;

static ocidig_code buf_sink(void *ctx, const void *data, size_t len, ocidig_error *err)
{
  buf *b = ctx;
  (void)err;
  b->s = realloc(b->s, b->n + len + 1);
  memcpy(b->s + b->n, data, len);
  b->n += len;
  b->s[b->n] = '\0';
  return OCIDIG_OK;
}

/* ------------------------------------------------------------- directory */

static oci_source *dir_open(const char *path, rec *r)
{
  oci_source_options o = {.path = path};
  oci_source *s;
  ocidig_error e;
  ck_assert_msg(oci_source_dir_open(&o, &events, r, &s, &e) == OCIDIG_OK, "%s", e.message);
  ck_assert_str_eq(s->ops->kind, "directory");
  return s;
}

START_TEST(test_dir_by_name)
{
  rec r = {0};
  oci_source *s = dir_open(SAMPLE, &r);
  ocidig_entry en;
  ocidig_error e;
  buf b = {0};
  size_t len;
  char *want = tu_read_file(SAMPLE "/index.json", &len);
  int fd, err;

  ck_assert_int_eq(s->ops->stat(s, "index.json", &en, &e), OCIDIG_OK);
  ck_assert_int_eq(en.type, OCIDIG_ENTRY_FILE);
  ck_assert_int_eq(en.size, (int64_t)len);
  ck_assert_int_eq(s->ops->stream(s, "./index.json", SIZE_MAX, buf_sink, &b, &e), OCIDIG_OK);
  ck_assert(b.n == len && !memcmp(b.s, want, len));
  /* the cap */
  ck_assert_int_eq(s->ops->stream(s, "index.json", len - 1, buf_sink, &b, &e), OCIDIG_ERR_JSON_TOO_LARGE);
  /* absent, outside */
  ck_assert_int_eq(s->ops->stat(s, "no-such-file", &en, &e), OCIDIG_ERR_BLOB_MISSING);
  ck_assert_int_eq(s->ops->stat(s, "../buildah-multiarch/index.json", &en, &e), OCIDIG_ERR_BLOB_MISSING);
  ck_assert_int_eq(s->ops->stat(s, "blobs", &en, &e), OCIDIG_ERR_BLOB_MISSING);
  ck_assert(rec_warned(&r, "blobs is not a regular file"));
  /* open: a descriptor of the file itself */
  fd = s->ops->open(s, "index.json", &err);
  ck_assert_int_ge(fd, 0);
  {
    char *got = malloc(len);
    ck_assert_int_eq(read(fd, got, len), (ssize_t)len);
    ck_assert(!memcmp(got, want, len));
    free(got);
  }
  close(fd);
  ck_assert_int_eq(s->ops->open(s, "blobs", &err), -1);
  ck_assert_int_eq(err, -1);
  ck_assert_int_eq(s->ops->open(s, "absent", &err), -1);
  ck_assert_int_eq(err, ENOENT);
  /* a directory has no one-pass operations */
  ck_assert_ptr_null(s->ops->confirm);
  ck_assert_ptr_null(s->ops->reread);
  ck_assert(!s->ops->failed(s));
  s->ops->close(s);
  free(b.s);
  free(want);
  rec_free(&r);
}
END_TEST

START_TEST(test_dir_walk_and_links)
{
  char *dir = tu_mkdtemp(), *outside = tu_mkdtemp(), path[4200], *canon = NULL, *link = NULL, *target = NULL;
  rec r = {0};
  oci_source *s;
  const oci_source_member *m;
  struct stat st;
  ocidig_entry en;
  ocidig_error e;
  int fd, err;

  tu_write(dir, "blobs/sha256/abc", "abc", 3);
  tu_write(dir, "index.json", "{}", 2);
  tu_write(outside, "secret", "secret", 6);
  snprintf(path, sizeof path, "%s/inside", dir);
  ck_assert_int_eq(symlink("blobs/sha256/abc", path), 0);
  snprintf(path, sizeof path, "%s/leaves", dir);
  ck_assert_int_eq(symlink(outside, path), 0);
  snprintf(path, sizeof path, "%s/fifo", dir);
  ck_assert_int_eq(mkfifo(path, 0600), 0);

  s = dir_open(dir, &r);
  ck_assert(!s->ops->at_end(s));
  ck_assert_int_eq(s->ops->scan(s, NULL, NULL, NULL, NULL, &e), OCIDIG_OK);
  ck_assert(s->ops->at_end(s));
  ck_assert_int_eq(r.n, 7); /* blobs, blobs/sha256, blobs/sha256/abc, index.json, inside, leaves, fifo */
  ck_assert_ptr_nonnull(m = rec_find(&r, "blobs/sha256/abc"));
  ck_assert_int_eq(m->type, OCIDIG_ENTRY_FILE);
  ck_assert_int_eq(m->size, 3);
  ck_assert_ptr_nonnull(m = rec_find(&r, "blobs"));
  ck_assert_int_eq(m->type, OCIDIG_ENTRY_DIRECTORY);
  ck_assert(!m->escapes);
  ck_assert_ptr_nonnull(m = rec_find(&r, "inside"));
  ck_assert_int_eq(m->type, OCIDIG_ENTRY_SYMLINK);
  ck_assert(!m->escapes);
  ck_assert_int_eq(m->size, 3); /* its target's */
  ck_assert_ptr_nonnull(m = rec_find(&r, "leaves"));
  ck_assert(m->escapes);
  ck_assert_str_eq(m->link_target, outside);
  ck_assert_ptr_nonnull(m = rec_find(&r, "fifo"));
  ck_assert_int_eq(m->type, OCIDIG_ENTRY_SPECIAL);
  /* walked once */
  ck_assert_int_eq(s->ops->scan(s, NULL, NULL, NULL, NULL, &e), OCIDIG_OK);
  ck_assert_int_eq(r.n, 7);

  /* a link inside is followed; one that leaves is absent, with a warning naming it */
  ck_assert_int_eq(s->ops->stat(s, "inside", &en, &e), OCIDIG_OK);
  ck_assert_int_eq(en.size, 3);
  ck_assert_int_eq(s->ops->stat(s, "leaves/secret", &en, &e), OCIDIG_ERR_BLOB_MISSING);
  ck_assert(rec_warned(&r, "leaves/secret leads outside the layout through the symbolic link leaves"));
  ck_assert_int_eq(s->ops->open(s, "leaves/secret", &err), -1);
  ck_assert_int_eq(err, -1);
  ck_assert_int_eq(s->ops->stat(s, "fifo", &en, &e), OCIDIG_ERR_BLOB_MISSING);
  ck_assert(rec_warned(&r, "fifo is not a regular file"));
  ck_assert_int_eq(s->ops->resolve(s, "inside", &st, &canon, NULL, NULL), 0);
  ck_assert_str_eq(canon, "blobs/sha256/abc");
  ck_assert(S_ISREG(st.st_mode));
  ck_assert_int_eq(s->ops->resolve(s, "leaves/secret", NULL, NULL, &link, &target), EXDEV);
  ck_assert_str_eq(link, "leaves");
  ck_assert_str_eq(target, outside);
  free(canon);
  free(link);
  free(target);
  /* an absolute link that comes back beneath the root is followed (the canonical root) */
  {
    char *real = realpath(dir, NULL), abs[4300];
    snprintf(abs, sizeof abs, "%s/index.json", real);
    snprintf(path, sizeof path, "%s/back", dir);
    ck_assert_int_eq(symlink(abs, path), 0);
    fd = s->ops->open(s, "back", &err);
    ck_assert_int_ge(fd, 0);
    close(fd);
    free(real);
  }
  s->ops->close(s);
  rec_free(&r);
  tu_rmtree(dir);
  tu_rmtree(outside);
  free(dir);
  free(outside);
}
END_TEST

START_TEST(test_dir_unlisted)
{
  char *dir = tu_mkdtemp(), path[4200];
  rec r = {0};
  oci_source *s;
  ocidig_error e;
  if (geteuid() == 0) { /* root lists everything */
    tu_rmtree(dir);
    free(dir);
    return;
  }
  tu_write(dir, "blobs/sha256/abc", "abc", 3);
  snprintf(path, sizeof path, "%s/blobs/sha256", dir);
  ck_assert_int_eq(chmod(path, 0), 0);
  s = dir_open(dir, &r);
  ck_assert_int_eq(s->ops->scan(s, NULL, NULL, NULL, NULL, &e), OCIDIG_OK);
  ck_assert_int_eq(r.n_unlisted, 1);
  ck_assert_msg(!strncmp(r.unlisted[0], "blobs/sha256|blobs/sha256/ could not be listed", 47), "%s", r.unlisted[0]);
  s->ops->close(s);
  ck_assert_int_eq(chmod(path, 0755), 0);
  rec_free(&r);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* --------------------------------------------------------------- archive */

static void add(struct archive *a, const char *name, const char *data, mode_t type, const char *link)
{
  struct archive_entry *e = archive_entry_new();
  size_t len = data ? strlen(data) : 0;
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

/* A tar of: the sample's index.json, "abc", a link inside, a link out, "../up", a FIFO, and
 * index.json again. */
static char *write_tar(const char *dir, char **index_json)
{
  struct archive *a = archive_write_new();
  char *path;
  size_t len;
  *index_json = tu_read_file(SAMPLE "/index.json", &len);
  ck_assert(asprintf(&path, "%s/x.tar", dir) > 0);
  archive_write_set_format_pax_restricted(a);
  ck_assert_int_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
  add(a, "./index.json", *index_json, AE_IFREG, NULL);
  add(a, "blobs/sha256/abc", "abc", AE_IFREG, NULL);
  add(a, "blobs/link", NULL, AE_IFLNK, "sha256/abc");
  add(a, "out", NULL, AE_IFLNK, "../../etc/passwd");
  add(a, "../up", "x", AE_IFREG, NULL);
  add(a, "fifo", NULL, AE_IFIFO, NULL);
  add(a, "index.json", "{}", AE_IFREG, NULL);
  ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  return path;
}

static oci_source *archive_open(const char *path, rec *r)
{
  oci_source_options o = {.path = path};
  oci_source *s;
  ocidig_error e;
  ck_assert_msg(oci_source_archive_open(&o, &events, r, &s, &e) == OCIDIG_OK, "%s", e.message);
  ck_assert_str_eq(s->ops->kind, "archive");
  return s;
}

START_TEST(test_archive_stream_order)
{
  char *dir = tu_mkdtemp(), *index_json, *tar = write_tar(dir, &index_json);
  rec r = {.keep = "index.json", .hash = "blobs/sha256/abc"};
  oci_source *s = archive_open(tar, &r);
  ocidig_error e;
  buf b = {0};

  ck_assert_int_eq(s->ops->scan(s, NULL, NULL, NULL, NULL, &e), OCIDIG_OK);
  ck_assert(s->ops->at_end(s));
  ck_assert(!s->ops->failed(s));
  ck_assert(s->ops->bytes_read(s) > 0);
  ck_assert_int_eq(r.progress, s->ops->bytes_read(s));
  ck_assert_int_eq(r.n, 7);
  for (size_t i = 0; i < r.n; i++)
    ck_assert_int_eq(r.m[i].ordinal, i);
  /* names cleaned; the first index.json kept (the plan said so), in full */
  ck_assert_str_eq(r.m[0].path, "index.json");
  ck_assert_ptr_nonnull(r.m[0].data);
  ck_assert_int_eq(r.m[0].size, (int64_t)strlen(index_json));
  ck_assert(!memcmp(r.m[0].data, index_json, strlen(index_json)));
  /* abc: hashed, not kept */
  ck_assert_str_eq(r.m[1].path, "blobs/sha256/abc");
  ck_assert_ptr_null(r.m[1].data);
  ck_assert_str_eq(r.m[1].actual_hex, ABC_SHA256);
  /* links: one inside, one out */
  ck_assert_int_eq(r.m[2].type, OCIDIG_ENTRY_SYMLINK);
  ck_assert(!r.m[2].escapes);
  ck_assert_str_eq(r.m[2].link_target, "sha256/abc");
  ck_assert(r.m[3].escapes);
  /* a bad name is reported as it is, never planned */
  ck_assert_str_eq(r.m[4].path, "../up");
  ck_assert(r.m[4].bad_name && r.m[4].escapes);
  ck_assert_int_eq(r.m[5].type, OCIDIG_ENTRY_SPECIAL);
  /* the second index.json: the source reports it, the rules about it are the layer above's */
  ck_assert_str_eq(r.m[6].path, "index.json");
  ck_assert_int_eq(r.m[6].size, 2);
  ck_assert(r.m[6].data && !memcmp(r.m[6].data, "{}", 2));
  ck_assert_int_eq(r.plans, 3); /* the regular members with good names */
  ck_assert_int_eq(r.n_warnings, 0); /* the sources say nothing of member kinds */

  /* a member passed over, read again from the archive */
  ck_assert_int_eq(s->ops->reread(s, "blobs/sha256/abc", 1, 3, buf_sink, &b, &e), OCIDIG_OK);
  ck_assert_int_eq(b.n, 3);
  ck_assert_str_eq(b.s, "abc");
  ck_assert_int_eq(s->ops->reread(s, "index.json", 6, 1, buf_sink, &b, &e), OCIDIG_ERR_IO);
  ck_assert_msg(strstr(e.message, "changed size"), "%s", e.message);
  s->ops->close(s);
  free(b.s);
  rec_free(&r);
  free(index_json);
  tu_rmtree(dir);
  free(tar);
  free(dir);
}
END_TEST

START_TEST(test_archive_lazy_and_sink)
{
  char *dir = tu_mkdtemp(), *index_json, *tar = write_tar(dir, &index_json);
  rec r = {.keep = "none"};
  oci_source *s = archive_open(tar, &r);
  ocidig_error e;
  buf b = {0};
  bool streamed = false;

  /* only as far as asked; the member asked for streams to the sink as it passes */
  ck_assert_int_eq(s->ops->scan(s, "blobs/sha256/abc", buf_sink, &b, &streamed, &e), OCIDIG_OK);
  ck_assert(streamed);
  ck_assert_str_eq(b.s, "abc");
  ck_assert_int_eq(r.n, 2);
  ck_assert(r.m[1].served);
  ck_assert(!r.m[0].served);
  ck_assert(!s->ops->at_end(s));
  ck_assert(s->ops->rest_is_cheap(s)); /* a plain tar file: headers and seeks */
  ck_assert_int_eq(s->ops->streaming_size(s), -1);
  ck_assert_int_eq(s->ops->confirm(s, 1, &e), OCIDIG_OK);
  ck_assert_int_eq(s->ops->scan(s, NULL, NULL, NULL, NULL, &e), OCIDIG_OK);
  ck_assert_int_eq(r.n, 7);
  ck_assert(!s->ops->rest_is_cheap(s)); /* nothing left */
  s->ops->close(s);
  free(b.s);
  rec_free(&r);
  free(index_json);
  tu_rmtree(dir);
  free(tar);
  free(dir);
}
END_TEST

START_TEST(test_archive_errors_sticky)
{
  char *dir = tu_mkdtemp(), *index_json, *tar = write_tar(dir, &index_json), *cut;
  rec r = {.fail_at = 3};
  oci_source *s = archive_open(tar, &r);
  ocidig_error e, e2;
  struct stat st;

  /* the layer above refuses a member: the stream is broken for good */
  ck_assert_int_eq(s->ops->scan(s, NULL, NULL, NULL, NULL, &e), OCIDIG_ERR_CORRUPT_ARCHIVE);
  ck_assert_str_eq(e.message, "refused by the layer above");
  ck_assert(s->ops->failed(s));
  ck_assert_int_eq(s->ops->scan(s, "index.json", NULL, NULL, NULL, &e2), OCIDIG_ERR_CORRUPT_ARCHIVE);
  ck_assert_str_eq(e2.message, e.message);
  ck_assert_int_eq(s->ops->confirm(s, 0, &e2), OCIDIG_ERR_CORRUPT_ARCHIVE);
  ck_assert_int_eq(r.n, 2);
  s->ops->close(s);
  rec_free(&r);

  /* a cut archive: truncated, named */
  ck_assert_int_eq(stat(tar, &st), 0);
  ck_assert(asprintf(&cut, "%s/cut.tar", dir) > 0);
  {
    size_t len;
    char *all = tu_read_file(tar, &len);
    tu_write(dir, "cut.tar", all, 512 + 100); /* the first header and part of its data */
    free(all);
  }
  memset(&r, 0, sizeof r);
  s = archive_open(cut, &r);
  ck_assert_int_eq(s->ops->scan(s, NULL, NULL, NULL, NULL, &e), OCIDIG_ERR_TRUNCATED_ARCHIVE);
  ck_assert_msg(strstr(e.message, "cut.tar") && strstr(e.message, "index.json"), "%s", e.message);
  s->ops->close(s);
  rec_free(&r);

  /* not an archive at all: said at open */
  {
    oci_source_options o = {.path = SAMPLE "/oci-layout"};
    memset(&r, 0, sizeof r);
    ck_assert_int_eq(oci_source_archive_open(&o, &events, &r, &s, &e), OCIDIG_ERR_NOT_A_LAYOUT);
    ck_assert_ptr_null(s);
  }
  free(cut);
  free(index_json);
  tu_rmtree(dir);
  free(tar);
  free(dir);
}
END_TEST

START_TEST(test_archive_max_bytes)
{
  char *dir = tu_mkdtemp(), *index_json, *tar = write_tar(dir, &index_json);
  rec r = {0};
  oci_source_options o = {.path = tar, .max_bytes = 10};
  oci_source *s;
  ocidig_error e;
  ck_assert_int_eq(oci_source_archive_open(&o, &events, &r, &s, &e), OCIDIG_OK);
  ck_assert_int_eq(s->ops->scan(s, NULL, NULL, NULL, NULL, &e), OCIDIG_ERR_LIMIT);
  ck_assert_msg(strstr(e.message, "more than 10 bytes"), "%s", e.message);
  s->ops->close(s);
  rec_free(&r);
  free(index_json);
  tu_rmtree(dir);
  free(tar);
  free(dir);
}
END_TEST

/* ------------------------------------------------------------------ names */

START_TEST(test_names)
{
  bool unsafe, nomem;
  char *s;
  ck_assert_str_eq(s = oci_member_name_clean("./a//b/./c", &unsafe), "a/b/c");
  ck_assert(!unsafe);
  free(s);
  ck_assert_str_eq(s = oci_member_name_clean("./", &unsafe), "");
  free(s);
  ck_assert_ptr_null(oci_member_name_clean("/etc/passwd", &unsafe));
  ck_assert(unsafe);
  ck_assert_ptr_null(oci_member_name_clean("a/../../b", &unsafe));
  ck_assert(unsafe);
  ck_assert_ptr_null(oci_member_name_clean("", &unsafe));
  ck_assert(unsafe);

  ck_assert(!oci_link_escapes("blobs/link", "sha256/abc", false));
  ck_assert(!oci_link_escapes("blobs/link", "../index.json", false));
  ck_assert(oci_link_escapes("blobs/link", "../../x", false));
  ck_assert(oci_link_escapes("link", "/etc/passwd", false));
  ck_assert(!oci_link_escapes("blobs/sha256/x", "blobs/sha256/y", true)); /* a hard link names a member */
  ck_assert(oci_link_escapes("a", "../b", true));

  ck_assert_str_eq(s = oci_link_join("blobs/link", "sha256/./abc", &nomem), "blobs/sha256/abc");
  free(s);
  ck_assert_str_eq(s = oci_link_join("", "a/b/../c", &nomem), "a/c");
  free(s);
  ck_assert_ptr_null(oci_link_join("a/link", "../../x", &nomem));
  ck_assert(!nomem);
  ck_assert_ptr_null(oci_link_join("link", "/abs", &nomem));
}
END_TEST

int main(void)
{
  Suite *s = suite_create("source_ops");
  TCase *d = tcase_create("directory"), *a = tcase_create("archive"), *n = tcase_create("names");
  tcase_add_test(d, test_dir_by_name);
  tcase_add_test(d, test_dir_walk_and_links);
  tcase_add_test(d, test_dir_unlisted);
  tcase_add_test(a, test_archive_stream_order);
  tcase_add_test(a, test_archive_lazy_and_sink);
  tcase_add_test(a, test_archive_errors_sticky);
  tcase_add_test(a, test_archive_max_bytes);
  tcase_add_test(n, test_names);
  suite_add_tcase(s, d);
  suite_add_tcase(s, a);
  suite_add_tcase(s, n);
  return tu_run(s);
}
