/* check_strtab.c: the library's one string hash table (src/lib/strtab.c), checked against
 * a linear search over the same array. */
#include "testutil.h"

#include "strtab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct keys {
  char **v;
  size_t n;
} keys;

static const char *key_of(const void *ctx, size_t i)
{
  return ((const keys *)ctx)->v[i];
}

/* The first position holding s, by a linear search; SIZE_MAX when none. */
static size_t linear(const keys *k, const char *s)
{
  for (size_t i = 0; i < k->n; i++)
    if (!strcmp(k->v[i], s))
      return i;
  return SIZE_MAX;
}

START_TEST(test_many_keys)
{
  enum { N = 5000 };
  keys k = {calloc(N, sizeof(char *)), 0};
  oci_strtab t = {0};
  char buf[64];
  ck_assert_ptr_nonnull(k.v);
  for (size_t i = 0; i < N; i++) {
    /* prefixes of one another, the empty string, digests alike but for the end */
    if (i == 0)
      snprintf(buf, sizeof buf, "%s", "");
    else if (i % 3 == 0)
      snprintf(buf, sizeof buf, "sha256:%zu", i);
    else
      snprintf(buf, sizeof buf, "sha256:%zu%s", i / 3, i % 3 == 1 ? "x" : "xy");
    k.v[i] = strdup(buf);
    ck_assert_ptr_nonnull(k.v[i]);
    k.n = i + 1;
    ck_assert(oci_strtab_put(&t, i, key_of, &k, false));
  }
  ck_assert_uint_le(t.n * 2, t.cap);
  for (size_t i = 0; i < N; i++)
    ck_assert_uint_eq(oci_strtab_find(&t, k.v[i], key_of, &k), linear(&k, k.v[i]));
  ck_assert_uint_eq(oci_strtab_find(&t, "sha256:", key_of, &k), OCI_STRTAB_NONE);
  ck_assert_uint_eq(oci_strtab_find(&t, "sha256:1x ", key_of, &k), OCI_STRTAB_NONE);
  ck_assert_uint_eq(oci_strtab_find(&t, NULL, key_of, &k), OCI_STRTAB_NONE);
  oci_strtab_free(&t);
  ck_assert_uint_eq(oci_strtab_find(&t, k.v[1], key_of, &k), OCI_STRTAB_NONE);
  for (size_t i = 0; i < N; i++)
    free(k.v[i]);
  free(k.v);
}
END_TEST

START_TEST(test_same_key_twice)
{
  char *v[] = {"a", "b", "a", "a"};
  keys k = {v, 4};
  oci_strtab t = {0};
  ck_assert_uint_eq(oci_strtab_find(&t, "a", key_of, &k), OCI_STRTAB_NONE); /* empty table */
  ck_assert(oci_strtab_put(&t, 0, key_of, &k, false));
  ck_assert(oci_strtab_put(&t, 1, key_of, &k, false));
  ck_assert(oci_strtab_put(&t, 2, key_of, &k, false)); /* kept: the first */
  ck_assert_uint_eq(oci_strtab_find(&t, "a", key_of, &k), 0);
  ck_assert_uint_eq(t.n, 2);
  ck_assert(oci_strtab_put(&t, 3, key_of, &k, true)); /* replaced */
  ck_assert_uint_eq(oci_strtab_find(&t, "a", key_of, &k), 3);
  ck_assert_uint_eq(oci_strtab_find(&t, "b", key_of, &k), 1);
  ck_assert_uint_eq(t.n, 2);
  oci_strtab_free(&t);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("strtab");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_many_keys);
  tcase_add_test(tc, test_same_key_twice);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
