/* testutil.c: fixtures and helpers shared by the Check tests. */
#define _GNU_SOURCE
#include "testutil.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ck_assert may only run inside a test; these helpers also serve main(). */
#define TU_CHECK(cond, ...)                                                                                  \
  do {                                                                                                       \
    if (!(cond)) {                                                                                           \
      fprintf(stderr, __VA_ARGS__);                                                                          \
      fputc('\n', stderr);                                                                                   \
      abort();                                                                                               \
    }                                                                                                        \
  } while (0)

char *tu_read_file(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  size_t n = 0, cap = 0;
  TU_CHECK(f != NULL, "cannot open %s: %s", path, strerror(errno));
  for (;;) {
    if (n + 65536 + 1 > cap) {
      cap = (n + 65536 + 1) * 2;
      buf = realloc(buf, cap);
      TU_CHECK(buf != NULL, "out of memory");
    }
    size_t r = fread(buf + n, 1, 65536, f);
    n += r;
    if (r == 0)
      break;
  }
  fclose(f);
  buf[n] = '\0';
  if (len)
    *len = n;
  return buf;
}

json_object *tu_load_json(const char *relpath)
{
  char path[4096];
  json_object *o;
  snprintf(path, sizeof path, "%s/%s", TESTDATA, relpath);
  o = json_object_from_file(path);
  TU_CHECK(o != NULL, "cannot load %s", path);
  return o;
}

char *tu_mkdtemp(void)
{
  const char *tmp = getenv("TMPDIR");
  char *p;
  if (!tmp || !*tmp)
    tmp = "/tmp";
  TU_CHECK(asprintf(&p, "%s/ocidig-test-XXXXXX", tmp) > 0, "asprintf");
  TU_CHECK(mkdtemp(p) != NULL, "mkdtemp: %s", strerror(errno));
  return p;
}

static void mkparents(char *path)
{
  for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
    *s = '\0';
    mkdir(path, 0755);
    *s = '/';
  }
}

void tu_write(const char *dir, const char *relpath, const void *data, size_t len)
{
  char path[4096];
  FILE *f;
  snprintf(path, sizeof path, "%s/%s", dir, relpath);
  mkparents(path);
  f = fopen(path, "wb");
  TU_CHECK(f != NULL, "cannot write %s: %s", path, strerror(errno));
  TU_CHECK(fwrite(data, 1, len, f) == len, "short write to %s", path);
  fclose(f);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(p);
}

void tu_rmtree(const char *path)
{
  nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int tu_run(Suite *s)
{
  SRunner *sr = srunner_create(s);
  int failed;
  srunner_run_all(sr, CK_ENV);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

ocidig_code tu_collect_sink(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  tu_collect *c = ctx;
  c->pieces++;
  if (c->fail_after && c->pieces >= c->fail_after) {
    snprintf(err->message, sizeof err->message, "the reader went away");
    err->code = OCIDIG_ERR_OUTPUT;
    return OCIDIG_ERR_OUTPUT;
  }
  if (len > c->max_piece)
    c->max_piece = len;
  c->text = realloc(c->text, c->len + len + 1);
  ck_assert_ptr_nonnull(c->text);
  memcpy(c->text + c->len, buf, len);
  c->len += len;
  c->text[c->len] = '\0';
  return OCIDIG_OK;
}
