/* check_files.c: the public API of the merged file tree (ocidig_files_*, include/ocidig.h)
 * over a bundled sample (testdata/samples/buildah-multiarch, written by buildah: linux/amd64
 * holds bin/, bin/hello and platform.txt, as GNU tar extracts its layers), and what it
 * promises for NULL arguments and usage errors. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ocidig_layout *open_sample(void)
{
  ocidig_layout *l = NULL;
  ocidig_error err;
  ck_assert_int_eq(ocidig_layout_open(TESTDATA "/samples/buildah-multiarch", NULL, &l, &err), OCIDIG_OK);
  return l;
}

static ocidig_resolution *resolve(ocidig_layout *l, const char *spec)
{
  ocidig_platform p = {0};
  ocidig_matcher *m = NULL;
  ocidig_resolution *r = NULL;
  ocidig_error err;
  ck_assert_int_eq(ocidig_platform_parse(spec, NULL, &p, &err), OCIDIG_OK);
  ck_assert_int_eq(ocidig_matcher_new(OCIDIG_MATCHER_ONLY, &p, 1, NULL, &m, &err), OCIDIG_OK);
  ocidig_resolve_options o = {.matcher = m};
  ck_assert_int_eq(ocidig_layout_resolve(l, &o, &r, &err), OCIDIG_OK);
  ck_assert_int_eq(r->outcome, OCIDIG_OUTCOME_SELECTED);
  ocidig_matcher_free(m);
  ocidig_platform_clear(&p);
  return r;
}

typedef struct seen {
  char text[1024];
  size_t len;
} seen;

static ocidig_code collect(void *ctx, const ocidig_file *f, ocidig_error *err)
{
  seen *s = ctx;
  (void)err;
  s->len += (size_t)snprintf(s->text + s->len, sizeof s->text - s->len, "%s %c %04o %lld %s\n", f->path, f->type,
                             (unsigned)f->mode, (long long)f->size, f->change ? f->change : "-");
  return OCIDIG_OK;
}

START_TEST(test_sample_tree)
{
  ocidig_layout *l = open_sample();
  ocidig_resolution *r = resolve(l, "linux/amd64");
  ocidig_files *f = NULL;
  ocidig_error err;
  seen s = {{0}, 0};
  ocidig_files_summary sum;
  ocidig_files_layer layer;
  ck_assert_int_eq(ocidig_files_load(l, r, NULL, &f, &err), OCIDIG_OK);
  ck_assert_int_eq(ocidig_files_each(f, NULL, collect, &s, NULL, &err), OCIDIG_OK);
  ck_assert_str_eq(s.text, "bin d 0755 0 -\nbin/hello f 0755 34 -\nplatform.txt f 0644 12 -\n");
  ocidig_files_summary_get(f, &sum);
  ck_assert_uint_eq(sum.entries, 3);
  ck_assert_uint_eq(sum.files, 2);
  ck_assert_uint_eq(sum.dirs, 1);
  ck_assert_uint_eq(sum.file_bytes, 46);
  ck_assert_uint_eq(sum.wasted_bytes, 0);
  ck_assert_uint_eq(sum.layers, r->n_layers);
  ck_assert_ptr_nonnull(ocidig_files_layer_get(f, 0, &layer));
  ck_assert_str_eq(layer.digest, r->layers[0].digest_string);
  ck_assert_ptr_null(ocidig_files_layer_get(f, sum.layers_read, &layer));
  /* one file out, its bytes as GNU tar extracts them */
  tu_collect c = {0};
  uint64_t written = 0;
  ck_assert_int_eq(ocidig_files_cat(l, f, "/platform.txt", tu_collect_sink, &c, &written, &err), OCIDIG_OK);
  ck_assert_str_eq(c.text, "linux/amd64\n");
  ck_assert_uint_eq(written, 12);
  free(c.text);
  /* what cat cannot write: usage errors, nothing written */
  memset(&c, 0, sizeof c);
  ck_assert_int_eq(ocidig_files_cat(l, f, "bin", tu_collect_sink, &c, &written, &err), OCIDIG_ERR_USAGE);
  ck_assert_ptr_nonnull(strstr(err.message, "is a directory"));
  ck_assert_int_eq(ocidig_files_cat(l, f, "/nothing", tu_collect_sink, &c, &written, &err), OCIDIG_ERR_USAGE);
  ck_assert_ptr_nonnull(strstr(err.message, "no such file"));
  ck_assert_int_eq(ocidig_files_cat(l, f, "../platform.txt", tu_collect_sink, &c, &written, &err), OCIDIG_ERR_USAGE);
  ck_assert_uint_eq(c.len, 0);
  ck_assert_uint_eq(written, 0);
  /* the sink's error comes back as it is */
  memset(&c, 0, sizeof c);
  c.fail_after = 1;
  ck_assert_int_eq(ocidig_files_cat(l, f, "bin/hello", tu_collect_sink, &c, NULL, &err), OCIDIG_ERR_OUTPUT);
  free(c.text);
  /* JSON: the document of files --json */
  memset(&c, 0, sizeof c);
  const char *paths[] = {"/bin"};
  ck_assert_int_eq(ocidig_files_write_json(f, paths, 1, NULL, tu_collect_sink, &c, &err), OCIDIG_OK);
  json_object *doc = json_tokener_parse(c.text), *v;
  ck_assert_ptr_nonnull(doc);
  ck_assert(json_object_object_get_ex(doc, "entries", &v));
  ck_assert_int_eq((int)json_object_array_length(v), 2);
  ck_assert_str_eq(json_object_get_string(json_object_object_get(json_object_array_get_idx(v, 1), "path")),
                   "/bin/hello");
  ck_assert_str_eq(json_object_get_string(json_object_object_get(json_object_array_get_idx(v, 1), "mode")), "0755");
  json_object_put(doc);
  free(c.text);
  ocidig_files_free(f);
  /* one layer: its entries all added */
  ocidig_files_options o = {.one_layer = true, .layer = 0};
  ck_assert_int_eq(ocidig_files_load(l, r, &o, &f, &err), OCIDIG_OK);
  s.len = 0;
  ck_assert_int_eq(ocidig_files_each(f, "platform.txt", collect, &s, NULL, &err), OCIDIG_OK);
  ck_assert_str_eq(s.text, "platform.txt f 0644 12 added\n");
  ck_assert_int_eq(ocidig_files_cat(l, f, "platform.txt", tu_collect_sink, &c, NULL, &err), OCIDIG_ERR_USAGE);
  ocidig_files_free(f);
  o.layer = (unsigned)r->n_layers;
  ck_assert_int_eq(ocidig_files_load(l, r, &o, &f, &err), OCIDIG_ERR_USAGE);
  ck_assert_ptr_null(f);
  ocidig_resolution_free(r);
  ocidig_layout_close(l);
}
END_TEST

START_TEST(test_null_arguments)
{
  ocidig_files *f = (ocidig_files *)1;
  ocidig_error err;
  ocidig_files_summary s;
  ocidig_files_layer layer;
  ck_assert_int_eq(ocidig_files_load(NULL, NULL, NULL, &f, &err), OCIDIG_ERR_USAGE);
  ck_assert_ptr_null(f);
  ck_assert_int_eq(ocidig_files_load(NULL, NULL, NULL, NULL, &err), OCIDIG_ERR_USAGE);
  ck_assert_int_eq(ocidig_files_each(NULL, NULL, collect, NULL, NULL, &err), OCIDIG_ERR_USAGE);
  ck_assert_int_eq(ocidig_files_cat(NULL, NULL, "x", tu_collect_sink, NULL, NULL, &err), OCIDIG_ERR_USAGE);
  ck_assert_int_eq(ocidig_files_write_json(NULL, NULL, 0, NULL, tu_collect_sink, NULL, &err), OCIDIG_ERR_USAGE);
  memset(&s, 0xff, sizeof s);
  ocidig_files_summary_get(NULL, &s);
  ck_assert_uint_eq(s.entries, 0);
  ck_assert_ptr_null(ocidig_files_layer_get(NULL, 0, &layer));
  ocidig_files_free(NULL);
  ck_assert_str_eq(ocidig_file_type_name('h'), "hardlink");
  ck_assert_str_eq(ocidig_file_type_name('x'), "other");
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("files");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_sample_tree);
  tcase_add_test(tc, test_null_arguments);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return tu_run(suite());
}
