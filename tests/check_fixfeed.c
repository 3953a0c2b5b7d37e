/* check_fixfeed.c: OCIDIG_OPEN_READ_LAYERS is for one deep verify per open (review F3):
 * over a file, a second deep verify reads the layers again (the same rows); over standard
 * input, a second deep verify (or one after a verify without deep, which lets the pass's
 * records go) fails once with not-rereadable, saying why.  Fixture: testdata/layers/
 * docker-save.tar (a docker save). */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SAVE TESTDATA "/layers/docker-save.tar"

static ocidig_layout *open_layers(const char *path)
{
  ocidig_layout *l = NULL;
  ocidig_open_options oo;
  ocidig_error err = {0};
  ocidig_open_options_init(&oo);
  oo.flags = OCIDIG_OPEN_READ_LAYERS;
  ck_assert_int_eq(ocidig_layout_open(path, &oo, &l, &err), OCIDIG_OK);
  return l;
}

static ocidig_code verify(ocidig_layout *l, bool deep, ocidig_verify_report **r, ocidig_error *err)
{
  ocidig_verify_options o;
  ocidig_verify_options_init(&o);
  o.deep = deep;
  *r = NULL;
  return ocidig_verify(l, &o, r, err);
}

static void all_read(const ocidig_verify_report *r)
{
  ck_assert_uint_gt(r->n_layers, 0);
  for (size_t i = 0; i < r->n_layers; i++)
    ck_assert(r->layers[i].read);
}

static void stdin_from(const char *path)
{
  int fd = open(path, O_RDONLY);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(dup2(fd, 0), 0);
  close(fd);
}

START_TEST(test_file_twice)
{
  ocidig_layout *l = open_layers(SAVE);
  ocidig_verify_report *a, *b;
  ocidig_error err = {0};
  ck_assert_int_eq(verify(l, true, &a, &err), OCIDIG_OK);
  ck_assert_int_eq(verify(l, true, &b, &err), OCIDIG_OK);
  all_read(a);
  all_read(b);
  ck_assert_uint_eq(a->n_layers, b->n_layers);
  for (size_t i = 0; i < a->n_layers; i++)
    ck_assert_str_eq(a->layers[i].diff_id, b->layers[i].diff_id);
  ocidig_verify_report_free(a);
  ocidig_verify_report_free(b);
  ocidig_layout_close(l);
}
END_TEST

START_TEST(test_stdin_twice)
{
  ocidig_layout *l;
  ocidig_verify_report *a, *b;
  ocidig_error err = {0};
  stdin_from(SAVE);
  l = open_layers("-");
  ck_assert_int_eq(verify(l, true, &a, &err), OCIDIG_OK);
  all_read(a);
  ck_assert_int_eq(verify(l, true, &b, &err), OCIDIG_ERR_NOT_REREADABLE);
  ck_assert_ptr_nonnull(strstr(err.message, "one deep verify per open"));
  ocidig_verify_report_free(a);
  ocidig_verify_report_free(b);
  ocidig_layout_close(l);
}
END_TEST

START_TEST(test_stdin_after_plain)
{
  ocidig_layout *l;
  ocidig_verify_report *a, *b;
  ocidig_error err = {0};
  stdin_from(SAVE);
  l = open_layers("-");
  ck_assert_int_eq(verify(l, false, &a, &err), OCIDIG_OK);
  ck_assert_uint_eq(a->n_layers, 0);
  ck_assert_int_eq(verify(l, true, &b, &err), OCIDIG_ERR_NOT_REREADABLE);
  ocidig_verify_report_free(a);
  ocidig_verify_report_free(b);
  ocidig_layout_close(l);
}
END_TEST

/* opened for the layers, never verified: closed (the records freed: ASan, valgrind) */
START_TEST(test_stdin_closed_unverified)
{
  ocidig_layout *l;
  stdin_from(SAVE);
  l = open_layers("-");
  ocidig_layout_close(l);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("fixfeed");
  TCase *t = tcase_create("read_layers");
  tcase_set_timeout(t, 120);
  tcase_add_test(t, test_file_twice);
  tcase_add_test(t, test_stdin_twice);
  tcase_add_test(t, test_stdin_after_plain);
  tcase_add_test(t, test_stdin_closed_unverified);
  suite_add_tcase(s, t);
  return s;
}

int main(void)
{
  return tu_run(suite());
}
