/* check_regress_dir.c: issue 12, defect 3, in process.  The directory source opens every
 * path beneath a descriptor of the root.  Built twice: check_regress_dir against libocidig
 * (openat2 RESOLVE_BENEATH where the kernel has it) and check_regress_dir_walk from the
 * library's sources with OCIDIG_NO_OPENAT2 (the component-by-component O_NOFOLLOW walk that
 * kernels without openat2, or a seccomp filter refusing it, get).  Both must keep the rules
 * of doc/resolution.md §5.12 and lose the race: a blob (or blobs/) swapped for a symbolic link
 * to a file outside, over and over while it is read, is never read. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef OCIDIG_NO_OPENAT2
#define HOW "the O_NOFOLLOW walk"
#else
#define HOW "openat2"
#endif

static bool has_warning(ocidig_layout *l, const char *needle)
{
  const char *const *w;
  size_t n = ocidig_layout_warnings(l, &w);
  for (size_t i = 0; i < n; i++)
    if (strstr(w[i], needle))
      return true;
  return false;
}

static void mklink(const char *target, const char *dir, const char *rel)
{
  char p[4096];
  snprintf(p, sizeof p, "%s/%s", dir, rel);
  ck_assert_msg(symlink(target, p) == 0, "symlink %s: %s", p, strerror(errno));
}

static ocidig_code read_small(ocidig_layout *l, const char *rel, char *out, size_t cap)
{
  uint8_t *data;
  size_t len;
  ocidig_error e;
  ocidig_code rc = ocidig_layout_read_file(l, rel, 1 << 20, &data, &len, &e);
  out[0] = '\0';
  if (rc == OCIDIG_OK) {
    snprintf(out, cap, "%.*s", (int)len, (const char *)data);
    free(data);
  }
  return rc;
}

/* The rules for links stay (RESOLUTION.md §7.13): followed while the target stays inside
 * (also through folders and "..", an absolute target inside, and ".." above the root that
 * comes back in), leaving the root absent with a warning, loops absent. */
START_TEST(test_defect3_link_rules)
{
  char *dir = tu_mkdtemp(), *outside = tu_mkdtemp(), p[4096], got[256], *cdir, *cout;
  ocidig_layout *l;
  ocidig_error e;
  ocidig_entry en;
  const char *base = strrchr(dir, '/') + 1, *obase = strrchr(outside, '/') + 1;
  tu_write(dir, "index.json", "{}", 2);
  tu_write(dir, "blobs/sha256/real", "inside", 6);
  tu_write(dir, "other/deep/file", "deep", 4);
  tu_write(outside, "secret", "secret", 6);
  snprintf(p, sizeof p, "%s/secret", outside);
  mklink(p, dir, "blobs/sha256/abs");                        /* absolute, out */
  mklink("../../../secret", dir, "blobs/sha256/rel");         /* relative, out */
  mklink("real", dir, "blobs/sha256/ok");                     /* inside */
  mklink("../../other/deep/file", dir, "blobs/sha256/up");    /* inside, through .. */
  mklink("../../other", dir, "blobs/sha256/odir");            /* a folder inside */
  mklink("loop2", dir, "blobs/sha256/loop1");
  mklink("loop1", dir, "blobs/sha256/loop2");
  mklink(outside, dir, "blobs/sha512");                       /* blobs/sha512 leads out */
  snprintf(p, sizeof p, "../../../%s/blobs/sha256/real", base);
  mklink(p, dir, "blobs/sha256/outandback");                  /* out of the root and back */
  ck_assert((cdir = realpath(dir, NULL)) != NULL && (cout = realpath(outside, NULL)) != NULL);
  snprintf(p, sizeof p, "%s/blobs/sha256/real", cdir);
  mklink(p, dir, "blobs/sha256/absin");                       /* absolute, pointing inside */
  snprintf(p, sizeof p, "%s/other", cdir);
  mklink(p, dir, "blobs/sha256/absdir");                      /* absolute, a folder inside */
  snprintf(p, sizeof p, "%s//./blobs/../other/deep/file", cdir);
  mklink(p, dir, "blobs/sha256/absdots");                     /* absolute, inside, with . and .. */
  snprintf(p, sizeof p, "%s/blobs/../../%s/secret", cdir, obase);
  mklink(p, dir, "blobs/sha256/absinout");                    /* absolute, in and out again */
  snprintf(p, sizeof p, "%s/../%s/secret", cdir, obase);
  mklink(p, dir, "blobs/sha256/absdotout");                   /* absolute, ".." above the root */
  snprintf(p, sizeof p, "%s/secret", cout);
  mklink(p, dir, "blobs/sha256/abscanon");                    /* absolute, canonical, out */
  snprintf(p, sizeof p, "../%s/other/deep/file", base);
  mklink(p, dir, "topback");                                  /* from the root, out and back */
  mklink("/", dir, "slash");                                  /* the file system's root */
  mklink("blobs/sha256/absin", dir, "chain");                 /* a link to an absolute link inside */

  ck_assert_int_eq(ocidig_layout_open(dir, NULL, &l, &e), OCIDIG_OK);
  ck_assert_int_eq(read_small(l, "blobs/sha256/ok", got, sizeof got), OCIDIG_OK);
  ck_assert_str_eq(got, "inside");
  ck_assert_int_eq(read_small(l, "blobs/sha256/up", got, sizeof got), OCIDIG_OK);
  ck_assert_str_eq(got, "deep");
  ck_assert_int_eq(read_small(l, "blobs/sha256/odir/deep/file", got, sizeof got), OCIDIG_OK);
  ck_assert_str_eq(got, "deep");
  ck_assert_int_eq(ocidig_layout_stat(l, "blobs/sha256/up", &en, &e), OCIDIG_OK);
  ck_assert_int_eq(en.size, 4);
  ck_assert_int_eq(read_small(l, "blobs/sha256/abs", got, sizeof got), OCIDIG_ERR_BLOB_MISSING);
  ck_assert(has_warning(l, "blobs/sha256/abs is a symbolic link leading outside the layout"));
  ck_assert_int_eq(read_small(l, "blobs/sha256/rel", got, sizeof got), OCIDIG_ERR_BLOB_MISSING);
  ck_assert(has_warning(l, "blobs/sha256/rel is a symbolic link leading outside the layout (to ../../../secret)"));
  ck_assert_int_eq(read_small(l, "blobs/sha512/secret", got, sizeof got), OCIDIG_ERR_BLOB_MISSING);
  ck_assert(has_warning(l, "blobs/sha512/secret leads outside the layout through the symbolic link blobs/sha512"));
  /* out of the root and back, or an absolute target inside: followed, as by realpath before */
  ck_assert_int_eq(read_small(l, "blobs/sha256/outandback", got, sizeof got), OCIDIG_OK);
  ck_assert_str_eq(got, "inside");
  ck_assert_int_eq(read_small(l, "blobs/sha256/absin", got, sizeof got), OCIDIG_OK);
  ck_assert_str_eq(got, "inside");
  ck_assert_int_eq(ocidig_layout_stat(l, "blobs/sha256/absin", &en, &e), OCIDIG_OK);
  ck_assert_int_eq(en.size, 6);
  ck_assert_int_eq(read_small(l, "blobs/sha256/absdir/deep/file", got, sizeof got), OCIDIG_OK);
  ck_assert_str_eq(got, "deep");
  ck_assert_int_eq(read_small(l, "blobs/sha256/absdots", got, sizeof got), OCIDIG_OK);
  ck_assert_str_eq(got, "deep");
  ck_assert_int_eq(read_small(l, "topback", got, sizeof got), OCIDIG_OK);
  ck_assert_str_eq(got, "deep");
  ck_assert_int_eq(read_small(l, "chain", got, sizeof got), OCIDIG_OK);
  ck_assert_str_eq(got, "inside");
  /* absolute targets outside, however spelled: absent, with a warning */
  ck_assert_int_eq(read_small(l, "blobs/sha256/absinout", got, sizeof got), OCIDIG_ERR_BLOB_MISSING);
  ck_assert(has_warning(l, "blobs/sha256/absinout is a symbolic link leading outside the layout"));
  ck_assert_int_eq(read_small(l, "blobs/sha256/absdotout", got, sizeof got), OCIDIG_ERR_BLOB_MISSING);
  ck_assert(has_warning(l, "blobs/sha256/absdotout is a symbolic link leading outside the layout"));
  ck_assert_int_eq(read_small(l, "blobs/sha256/abscanon", got, sizeof got), OCIDIG_ERR_BLOB_MISSING);
  ck_assert(has_warning(l, "blobs/sha256/abscanon is a symbolic link leading outside the layout"));
  snprintf(p, sizeof p, "slash%s/secret", cout);
  ck_assert_int_eq(read_small(l, p, got, sizeof got), OCIDIG_ERR_BLOB_MISSING);
  ck_assert(has_warning(l, "through the symbolic link slash (to /)"));
  snprintf(p, sizeof p, "slash%s/blobs/sha256/real", cdir);
  ck_assert_int_eq(read_small(l, p, got, sizeof got), OCIDIG_OK); /* "/" then back beneath the root */
  ck_assert_str_eq(got, "inside");
  ck_assert_int_eq(read_small(l, "blobs/sha256/loop1", got, sizeof got), OCIDIG_ERR_BLOB_MISSING);
  ck_assert(has_warning(l, "loop of symbolic links"));
  ck_assert_int_eq(read_small(l, "blobs/sha256/nothere", got, sizeof got), OCIDIG_ERR_BLOB_MISSING);
  ck_assert_int_eq(read_small(l, "blobs/sha256/odir", got, sizeof got), OCIDIG_ERR_BLOB_MISSING);
  ck_assert(has_warning(l, "not a regular file"));
  /* The listing: links that leave are marked, those inside carry their target's size. */
  {
    const ocidig_entry *ents;
    size_t n;
    int seen = 0;
    ck_assert_int_eq(ocidig_layout_entries(l, &ents, &n, &e), OCIDIG_OK);
    for (size_t i = 0; i < n; i++) {
      const char *q = ents[i].path;
      if (!strcmp(q, "blobs/sha256/abs") || !strcmp(q, "blobs/sha256/rel") || !strcmp(q, "blobs/sha512") ||
          !strcmp(q, "blobs/sha256/absinout") || !strcmp(q, "blobs/sha256/absdotout") ||
          !strcmp(q, "blobs/sha256/abscanon") || !strcmp(q, "slash")) {
        ck_assert_msg(ents[i].type == OCIDIG_ENTRY_SYMLINK && ents[i].escapes, "%s should escape", q);
        seen++;
      } else if (!strcmp(q, "blobs/sha256/up") || !strcmp(q, "blobs/sha256/ok") ||
                 !strcmp(q, "blobs/sha256/outandback") || !strcmp(q, "blobs/sha256/absin") ||
                 !strcmp(q, "topback") || !strcmp(q, "chain")) {
        ck_assert_msg(ents[i].type == OCIDIG_ENTRY_SYMLINK && !ents[i].escapes, "%s should stay inside", q);
        ck_assert_int_eq(ents[i].size, !strcmp(q, "blobs/sha256/up") || !strcmp(q, "topback") ? 4 : 6);
        seen++;
      } else if (!strcmp(q, "other/deep/file")) {
        ck_assert(ents[i].type == OCIDIG_ENTRY_FILE && ents[i].size == 4);
        seen++;
      }
    }
    ck_assert_int_eq(seen, 14);
  }
  ocidig_layout_close(l);
  tu_rmtree(dir);
  tu_rmtree(outside);
  free(dir);
  free(outside);
  free(cdir);
  free(cout);
}
END_TEST

/* ------------------------------------------------------------ the race */

typedef struct flipper {
  char name[4096], spare[4096];
  atomic_bool stop;
  atomic_long flips;
} flipper;

static void *flip(void *arg)
{
  flipper *f = arg;
  while (!atomic_load(&f->stop)) {
    if (renameat2(AT_FDCWD, f->name, AT_FDCWD, f->spare, RENAME_EXCHANGE) != 0) {
      char hold[4200];
      snprintf(hold, sizeof hold, "%s.hold", f->name);
      if (rename(f->name, hold) != 0 || rename(f->spare, f->name) != 0 || rename(hold, f->spare) != 0)
        break;
    }
    atomic_fetch_add(&f->flips, 1);
  }
  return NULL;
}

typedef struct seen {
  size_t marker_bytes;
} seen;

#define MARKER "OUTSIDE-THE-LAYOUT"

static ocidig_code count_marker(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  seen *s = ctx;
  const char *p = buf;
  (void)err;
  for (const char *q = p; (q = memmem(q, len - (size_t)(q - p), MARKER, strlen(MARKER))) != NULL; q++)
    s->marker_bytes += strlen(MARKER);
  return OCIDIG_OK;
}

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* _i: 0 swaps the blob, 1 swaps blobs/. */
START_TEST(test_defect3_race)
{
  char *dir = tu_mkdtemp(), *outside = tu_mkdtemp(), p[4096];
  const char *hex = "0000000000000000000000000000000000000000000000000000000000000000";
  char rel[200];
  flipper f = {0};
  pthread_t t;
  ocidig_layout *l;
  ocidig_error e;
  long attempts = 0, ok_reads = 0;
  size_t leaked = 0;
  double start;
  snprintf(rel, sizeof rel, "blobs/sha256/%s", hex);
  tu_write(dir, "index.json", "{}", 2);
  tu_write(dir, rel, "the blob inside", 15);
  tu_write(outside, rel, MARKER MARKER, 2 * strlen(MARKER));
  if (_i == 0) {
    snprintf(p, sizeof p, "%s/%s", outside, rel);
    mklink(p, dir, "blobs/sha256/swap");
    snprintf(f.name, sizeof f.name, "%s/%s", dir, rel);
    snprintf(f.spare, sizeof f.spare, "%s/blobs/sha256/swap", dir);
  } else {
    snprintf(p, sizeof p, "%s/blobs", outside);
    mklink(p, dir, "swap");
    snprintf(f.name, sizeof f.name, "%s/blobs", dir);
    snprintf(f.spare, sizeof f.spare, "%s/swap", dir);
  }
  ck_assert_int_eq(ocidig_layout_open(dir, NULL, &l, &e), OCIDIG_OK);
  ck_assert_int_eq(pthread_create(&t, NULL, flip, &f), 0);
  start = now();
  /* at least 20,000 reads, at most 3 s once past 2,000 */
  while (attempts < 20000 && (attempts < 2000 || now() - start < 3.0)) {
    seen s = {0};
    if (ocidig_layout_stream_file(l, rel, count_marker, &s, &e) == OCIDIG_OK)
      ok_reads++;
    leaked += s.marker_bytes;
    attempts++;
  }
  atomic_store(&f.stop, true);
  pthread_join(t, NULL);
  printf("defect 3 (%s, %s swapped): %ld reads (%ld read the blob), %ld swaps, %zu bytes from outside\n", HOW,
         _i ? "blobs/" : "the blob", attempts, ok_reads, atomic_load(&f.flips), leaked);
  ck_assert_int_ge(attempts, 1000);
  ck_assert_int_gt(atomic_load(&f.flips), 0);
  ck_assert_uint_eq(leaked, 0);
  ocidig_layout_close(l);
  tu_rmtree(dir);
  tu_rmtree(outside);
  free(dir);
  free(outside);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("regress_dir (" HOW ")");
  TCase *tc = tcase_create("defect 3");
  tcase_add_test(tc, test_defect3_link_rules);
  tcase_add_loop_test(tc, test_defect3_race, 0, 2);
  tcase_set_timeout(tc, 120);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
