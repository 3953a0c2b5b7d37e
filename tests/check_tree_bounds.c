/* check_tree_bounds.c: what hostile names cost the merged file tree (src/lib/tree.c).
 *  - an entry beneath a symbolic link costs its own components, not the link's target again
 *    (CPU time beside the same entries beneath a plain directory);
 *  - a kept resolution is dropped when the tree changes under it (the entries go where an
 *    unpacker puts them: OCI image-spec layer.md, a link followed inside the root);
 *  - one lookup walks OCI_TREE_MAX_STEPS components at most, through its links, whether the
 *    links' resolutions are kept or not;
 *  - a name or link target of PATH_MAX (4,096) bytes or more is skipped and counted (Linux
 *    refuses it: ENAMETOOLONG), one of 4,095 bytes is applied;
 *  - the implicit directories the tree makes are bounded (65,536 and 4 for each entry): a
 *    5 MB input cannot make hundreds of megabytes of tree. */
#include "testutil.h"

#include "tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint32_t ordinal;

static void add(oci_tree *t, const char *path, char type, const char *link)
{
  oci_tree_input e = {.path = path, .type = type, .mode = type == 'd' ? 0755 : 0644, .link = link};
  ocidig_error err;
  ck_assert_int_eq(oci_tree_apply(t, &e, ordinal++, &err), OCIDIG_OK);
}
#define F(t, p) add(t, p, 'f', NULL)
#define D(t, p) add(t, p, 'd', NULL)
#define L(t, p, target) add(t, p, 'l', target)
#define H(t, p, target) add(t, p, 'h', target)

/* "s" repeated n times, joined by '/', then `tail` (malloc'd). */
static char *repeat(const char *s, size_t n, const char *tail)
{
  size_t k = strlen(s), o = 0;
  char *p = malloc(n * (k + 1) + strlen(tail) + 1);
  ck_assert_ptr_nonnull(p);
  for (size_t i = 0; i < n; i++) {
    memcpy(p + o, s, k);
    o += k;
    p[o++] = '/';
  }
  strcpy(p + o, tail);
  if (!*tail && o)
    p[o - 1] = '\0';
  return p;
}

static double cpu_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void stats(oci_tree *t, oci_tree_stats *s)
{
  oci_tree_stats_get(t, s);
}

/* Finding 4 of the s7 review: 20,000 entries beneath a link to a directory 2,000 deep took
 * 2.7 s of CPU (the target walked again for each), 10,000 times the same entries beneath a
 * plain directory.  Now within 10 times that (and 50 ms). */
START_TEST(test_link_walk_cost)
{
  enum { N = 20000, DEPTH = 1990 };
  char name[64];
  char *deep = repeat("a", DEPTH, ""); /* "a/a/.../a": 3,979 bytes */
  char *file = repeat("a", DEPTH, "f");
  oci_tree *t = oci_tree_new();
  oci_tree_item it;
  oci_tree_stats s;
  ck_assert_ptr_nonnull(t);
  oci_tree_layer_begin(t, 0);
  F(t, file);
  L(t, "l", deep);
  D(t, "plain");
  double t0 = cpu_now();
  for (unsigned i = 0; i < N; i++) {
    snprintf(name, sizeof name, "plain/f%u", i);
    F(t, name);
  }
  double t1 = cpu_now();
  for (unsigned i = 0; i < N; i++) {
    /* two directories beneath the link, in turn: no one cached parent serves them all */
    snprintf(name, sizeof name, "l/%s/f%u", i % 2 ? "x" : "y", i);
    if (i < 2)
      D(t, i % 2 ? "l/x" : "l/y");
    F(t, name);
  }
  double t2 = cpu_now();
  printf("check_tree_bounds: %u entries beneath a plain directory %.3f s, beneath a link %u deep %.3f s\n", N,
         t1 - t0, DEPTH, t2 - t1);
  ck_assert_msg(t2 - t1 <= 10 * (t1 - t0) + 0.05, "beneath the link: %.3f s, beneath a directory: %.3f s", t2 - t1,
                t1 - t0);
  /* where they went: beneath the link's target */
  char *where = repeat("a", DEPTH, "x/f1");
  ck_assert_int_eq(oci_tree_lookup(t, where, false, &it), OCI_TREE_FOUND);
  ck_assert_int_eq(oci_tree_lookup(t, "l/y/f0", false, &it), OCI_TREE_FOUND);
  ck_assert_uint_eq(strlen(it.path), 2 * DEPTH + 4);
  stats(t, &s);
  ck_assert_uint_eq(s.files, 1 + 2 * N);
  ck_assert_uint_eq(s.skipped_parent + s.skipped_long + s.skipped_implicit, 0);
  oci_tree_free(t);
  free(deep);
  free(file);
  free(where);
}
END_TEST

/* A resolution kept for a link is not used once the tree changed beneath it. */
START_TEST(test_link_cache_invalidated)
{
  oci_tree *t = oci_tree_new();
  oci_tree_item it;
  oci_tree_stats s;
  oci_tree_layer_begin(t, 0);
  D(t, "a");
  D(t, "a/b");
  L(t, "l", "a/b");
  F(t, "l/f1");
  L(t, "m", "a/b");
  F(t, "m/g");
  D(t, "p");
  D(t, "q");
  L(t, "k", "p");
  F(t, "k/1");
  D(t, "a/c");
  L(t, "n", "a/c");
  F(t, "n/x");
  ck_assert_int_eq(oci_tree_lookup(t, "a/b/f1", false, &it), OCI_TREE_FOUND);
  ck_assert_int_eq(oci_tree_lookup(t, "p/1", false, &it), OCI_TREE_FOUND);
  ck_assert_int_eq(oci_tree_lookup(t, "a/c/x", false, &it), OCI_TREE_FOUND);

  oci_tree_layer_begin(t, 1);
  L(t, "l", "a");  /* the link set again: to a */
  F(t, "l/f2");
  F(t, "a/.wh.b"); /* m's directory removed */
  F(t, "m/h");
  F(t, "a/c");     /* n's directory now a file */
  F(t, "n/y");
  L(t, "p", "q");  /* k's directory now a link to q */
  F(t, "k/2");
  ck_assert_int_eq(oci_tree_lookup(t, "a/f2", false, &it), OCI_TREE_FOUND);
  /* m/h: m leads to a/b, removed; containerd's unpacker makes a/b again for it (mkparent) */
  ck_assert_int_eq(oci_tree_lookup(t, "a/b/f2", false, &it), OCI_TREE_NOT_FOUND);
  ck_assert_int_eq(oci_tree_lookup(t, "m/h", false, &it), OCI_TREE_FOUND);
  ck_assert_str_eq(it.path, "a/b/h");
  ck_assert_int_eq(oci_tree_lookup(t, "q/2", false, &it), OCI_TREE_FOUND);
  ck_assert_int_eq(oci_tree_lookup(t, "k/2", false, &it), OCI_TREE_FOUND);
  ck_assert_str_eq(it.path, "q/2");
  ck_assert_int_eq(oci_tree_lookup(t, "n/y", false, &it), OCI_TREE_NOT_DIR);
  stats(t, &s);
  ck_assert_uint_eq(s.skipped_parent, 1); /* n/y (a/c a file) */

  /* a directory set again over a directory keeps its resolution's target */
  oci_tree_layer_begin(t, 2);
  L(t, "r", "q");
  F(t, "r/3");
  D(t, "q");
  F(t, "r/4");
  ck_assert_int_eq(oci_tree_lookup(t, "q/4", false, &it), OCI_TREE_FOUND);
  ck_assert_int_eq(oci_tree_lookup(t, "q/2", false, &it), OCI_TREE_FOUND);
  oci_tree_free(t);
}
END_TEST

/* Links whose targets go 800 down and 800 up again (1,600 components each): k1 leads to the
 * root in 1,600 steps; kN -> "k(N-1)/<the same>" costs 1 + cost(k(N-1)) + 1,600.  "k5/x" is
 * 1 + 8,004 + 1 = 8,006 steps (found), "k6/x" 9,607 (over 8,192: LOOP), cold or warm. */
START_TEST(test_lookup_steps)
{
  oci_tree *t = oci_tree_new();
  oci_tree_item it;
  oci_tree_stats s;
  char name[16], prev[16];
  char *down = repeat("x", 800, "f");
  char *updown = repeat("x", 800, "");
  char *ups = repeat("..", 800, "");
  size_t ul = strlen(updown) + 1 + strlen(ups) + 1;
  char *target = malloc(ul + 16);
  ck_assert_ptr_nonnull(target);
  oci_tree_layer_begin(t, 0);
  F(t, down);
  for (int k = 1; k <= 6; k++) {
    snprintf(name, sizeof name, "k%d", k);
    if (k == 1)
      snprintf(target, ul + 16, "%s/%s", updown, ups);
    else
      snprintf(target, ul + 16, "%s/%s/%s", prev, updown, ups);
    ck_assert_uint_lt(strlen(target), OCI_TREE_MAX_PATH);
    L(t, name, target);
    strcpy(prev, name);
  }
  for (int round = 0; round < 2; round++) { /* cold, then with the resolutions kept */
    ck_assert_int_eq(oci_tree_lookup(t, "k6/x", false, &it), OCI_TREE_LOOP);
    ck_assert_int_eq(oci_tree_lookup(t, "k5/x", false, &it), OCI_TREE_FOUND);
    ck_assert_str_eq(it.path, "x");
    ck_assert_int_eq(oci_tree_lookup(t, "k6/x", false, &it), OCI_TREE_LOOP);
  }
  /* an entry beneath k6 is unpacked where containerd puts it: its walk of a link's target
   * is text ("x/../" cancels before it is looked up), so k6 leads to the root at once */
  F(t, "k5/x/new");
  F(t, "k6/x/new2");
  ck_assert_int_eq(oci_tree_lookup(t, "x/new", false, &it), OCI_TREE_FOUND);
  ck_assert_int_eq(oci_tree_lookup(t, "x/new2", false, &it), OCI_TREE_FOUND);
  stats(t, &s);
  ck_assert_uint_eq(s.skipped_parent, 0);
  /* a plain path of 2,047 components (4,095 bytes, the most PATH_MAX allows) is within bounds */
  char *longest = repeat("y", 2047, "z");
  ck_assert_uint_eq(strlen(longest), 4095);
  F(t, longest);
  ck_assert_int_eq(oci_tree_lookup(t, longest, false, &it), OCI_TREE_FOUND);
  oci_tree_free(t);
  free(down);
  free(updown);
  free(ups);
  free(target);
  free(longest);
}
END_TEST

START_TEST(test_path_max)
{
  oci_tree *t = oci_tree_new();
  oci_tree_item it;
  oci_tree_stats s;
  char *n4095 = malloc(4097), *n4096 = malloc(4097);
  ck_assert_ptr_nonnull(n4095);
  ck_assert_ptr_nonnull(n4096);
  /* "d/" then 200-byte components (NAME_MAX is 255) up to the length */
  for (int which = 0; which < 2; which++) {
    char *p = which ? n4096 : n4095;
    size_t len = which ? 4096 : 4095;
    for (size_t i = 0; i < len; i++)
      p[i] = i % 201 == 200 ? '/' : 'c';
    p[len] = '\0';
    p[0] = 'd';
    p[1] = '/';
  }
  oci_tree_layer_begin(t, 0);
  F(t, n4095);
  F(t, n4096);
  L(t, "ok", n4095);
  L(t, "long", n4096);
  H(t, "hlong", n4096);
  F(t, "././/////.");  /* the root, cleaned: not a file */
  ck_assert_int_eq(oci_tree_lookup(t, n4095, false, &it), OCI_TREE_FOUND);
  ck_assert_int_eq(oci_tree_lookup(t, n4096, false, &it), OCI_TREE_NOT_FOUND);
  ck_assert_int_eq(oci_tree_lookup(t, "ok", true, &it), OCI_TREE_FOUND);
  ck_assert_int_eq(oci_tree_lookup(t, "long", false, &it), OCI_TREE_NOT_FOUND);
  ck_assert_int_eq(oci_tree_lookup(t, "hlong", false, &it), OCI_TREE_NOT_FOUND);
  stats(t, &s);
  ck_assert_uint_eq(s.skipped_long, 3);
  ck_assert_uint_eq(s.skipped_parent, 1);
  ck_assert_uint_eq(s.symlinks, 1);
  /* a name made long by "./" is cleaned first: it is its cleaned length that counts */
  char *dotted = malloc(2 * 4096 + 8);
  ck_assert_ptr_nonnull(dotted);
  dotted[0] = '\0';
  for (int i = 0; i < 4096; i++)
    strcat(dotted, "./");
  strcat(dotted, "short");
  F(t, dotted);
  ck_assert_int_eq(oci_tree_lookup(t, "short", false, &it), OCI_TREE_FOUND);
  oci_tree_free(t);
  free(n4095);
  free(n4096);
  free(dotted);
}
END_TEST

/* Finding 7 of the s7 review: 5 entries of 1 MB names a/a/... made 2.5 M implicit directories
 * (392 MB).  Names of 4,000 bytes (2,000 components, the most a name within PATH_MAX makes),
 * each in a directory of its own: entries 1-32 fit in 65,536 + 4 per entry, the 33rd does
 * not (33 x 2,000 > 65,536 + 4 x 33), nor any after it; it makes nothing. */
START_TEST(test_implicit_bound)
{
  enum { N = 40, DEPTH = 1999 };
  oci_tree *t = oci_tree_new();
  oci_tree_item it;
  oci_tree_stats s;
  char *tail = repeat("a", DEPTH, "f");
  size_t tl = strlen(tail);
  char *name = malloc(tl + 32);
  ck_assert_ptr_nonnull(name);
  oci_tree_layer_begin(t, 0);
  for (unsigned i = 0; i < N; i++) {
    snprintf(name, tl + 32, "d%u/%s", i, tail);
    F(t, name);
  }
  stats(t, &s);
  ck_assert_uint_eq(s.skipped_implicit, N - 32);
  ck_assert_uint_eq(s.files, 32);
  ck_assert_int_eq(oci_tree_lookup(t, "d31", false, &it), OCI_TREE_FOUND);
  ck_assert_int_eq(oci_tree_lookup(t, "d32", false, &it), OCI_TREE_NOT_FOUND);
  /* what the tree holds: about 64,000 nodes, not 80,000 */
  printf("check_tree_bounds: %u names of %zu bytes: %zu entries, %zu bytes\n", N, tl + 4, s.entries,
         oci_tree_memory(t));
  ck_assert_uint_le(s.entries, 65536 + 4 * N + N);
  ck_assert_uint_le(oci_tree_memory(t), (size_t)200 * (65536 + 4 * N + N));
  /* an entry whose parents are there is no implicit directory: applied */
  snprintf(name, tl + 32, "d0/%s", tail);
  strcpy(name + strlen(name) - 1, "g");
  F(t, name);
  F(t, "top");
  stats(t, &s);
  ck_assert_uint_eq(s.files, 34);
  ck_assert_uint_eq(s.skipped_implicit, N - 32);
  oci_tree_free(t);
  free(tail);
  free(name);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("tree_bounds");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_link_walk_cost);
  tcase_add_test(tc, test_link_cache_invalidated);
  tcase_add_test(tc, test_lookup_steps);
  tcase_add_test(tc, test_path_max);
  tcase_add_test(tc, test_implicit_bound);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return tu_run(suite());
}
