/* check_verify_deep.c: ocidig_verify with deep set, through the public API, over h3's
 * testdata/layers/ (made by umoci, skopeo, GNU tar, bsdtar): a row per layer blob, each read,
 * its diff_id the config's rootfs.diff_ids entry (read here with json-c from the layout's
 * own files, not from ocidig), a shared layer once; the accessor; nothing without deep. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LAYERS TESTDATA "/layers/"

static ocidig_verify_report *verify(const char *name, bool deep, const char *platform)
{
  char path[1024];
  ocidig_layout *l = NULL;
  ocidig_verify_report *r = NULL;
  ocidig_verify_options o;
  ocidig_matcher *m = NULL;
  ocidig_platform p = {0};
  ocidig_error err = {0};
  snprintf(path, sizeof path, "%s%s", LAYERS, name);
  ck_assert_int_eq(ocidig_layout_open(path, NULL, &l, &err), OCIDIG_OK);
  ocidig_verify_options_init(&o);
  o.deep = deep;
  if (platform) {
    ck_assert_int_eq(ocidig_platform_parse(platform, NULL, &p, &err), OCIDIG_OK);
    ck_assert_int_eq(ocidig_matcher_new(OCIDIG_MATCHER_ONLY, &p, 1, NULL, &m, &err), OCIDIG_OK);
    o.matcher = m;
  }
  ck_assert_int_eq(ocidig_verify(l, &o, &r, &err), OCIDIG_OK);
  ocidig_layout_close(l);
  ocidig_matcher_free(m);
  ocidig_platform_clear(&p);
  return r;
}

/* The layout's own words: the diff_ids of the config of the manifest index.json names. */
static json_object *blob_json(const char *name, const char *digest)
{
  char path[1024];
  size_t len;
  char *text;
  json_object *o;
  snprintf(path, sizeof path, "%s%s/blobs/sha256/%s", LAYERS, name, strchr(digest, ':') + 1);
  text = tu_read_file(path, &len);
  o = json_tokener_parse(text);
  free(text);
  ck_assert_ptr_nonnull(o);
  return o;
}

START_TEST(test_diff_ids_are_the_configs)
{
  ocidig_verify_report *r = verify("umoci-multi", true, NULL);
  size_t len;
  char path[1024], *text;
  json_object *idx, *m, *cfg, *ids, *layers;
  snprintf(path, sizeof path, "%sumoci-multi/index.json", LAYERS);
  text = tu_read_file(path, &len);
  idx = json_tokener_parse(text);
  free(text);
  m = blob_json("umoci-multi", json_object_get_string(json_object_object_get(
                                   json_object_array_get_idx(json_object_object_get(idx, "manifests"), 0), "digest")));
  cfg = blob_json("umoci-multi",
                  json_object_get_string(json_object_object_get(json_object_object_get(m, "config"), "digest")));
  ids = json_object_object_get(json_object_object_get(cfg, "rootfs"), "diff_ids");
  layers = json_object_object_get(m, "layers");
  ck_assert_uint_eq(r->n_layers, json_object_array_length(layers));
  ck_assert_uint_eq(r->n_layers, json_object_array_length(ids));
  for (size_t i = 0; i < r->n_layers; i++) {
    const ocidig_verify_layer *L = ocidig_verify_report_layer(r, i);
    ck_assert_ptr_eq(L, &r->layers[i]);
    ck_assert(L->read);
    ck_assert_ptr_null(L->skipped);
    ck_assert_str_eq(L->digest,
                     json_object_get_string(json_object_object_get(json_object_array_get_idx(layers, i), "digest")));
    ck_assert_str_eq(L->diff_id, json_object_get_string(json_object_array_get_idx(ids, i)));
    ck_assert_str_eq(L->compression, "gzip");
    ck_assert_uint_gt(L->entries, 0);
    ck_assert_uint_gt(L->uncompressed_size, 0);
    ck_assert_uint_eq(L->uncompressed_size % 512, 0);
    ck_assert_uint_eq(L->n_errors + L->n_warnings, 0);
    ck_assert_int_eq(L->image, 0);
  }
  ck_assert_ptr_null(ocidig_verify_report_layer(r, r->n_layers));
  ck_assert_ptr_null(ocidig_verify_report_layer(NULL, 0));
  ck_assert_uint_eq(r->summary.errors, 0);
  json_object_put(idx);
  json_object_put(m);
  json_object_put(cfg);
  ocidig_verify_report_free(r);
}
END_TEST

START_TEST(test_not_deep)
{
  ocidig_verify_report *r = verify("hazards", false, NULL);
  ck_assert_ptr_null(r->layers);
  ck_assert_uint_eq(r->n_layers, 0);
  ck_assert_uint_eq(r->summary.errors, 0);
  ocidig_verify_report_free(r);
  r = verify("hazards", true, NULL);
  ck_assert_uint_eq(r->n_layers, 2);
  ck_assert_uint_gt(r->summary.errors, 0);
  ck_assert_uint_gt(r->layers[1].n_errors, 0);
  ocidig_verify_report_free(r);
}
END_TEST

/* One row per layer blob, whoever points at it (that it is read once, a row cannot show:
 * tests/deep_review.sh counts the findings of a shared layer). */
START_TEST(test_shared_layer_one_row)
{
  ocidig_verify_report *r = verify("shared-layer", true, NULL);
  size_t n = r->n_layers;
  ck_assert_uint_eq(n, 3); /* two platforms of two layers, the first shared */
  for (size_t i = 0; i < n; i++)
    for (size_t k = i + 1; k < n; k++)
      ck_assert_str_ne(r->layers[i].digest, r->layers[k].digest);
  ocidig_verify_report_free(r);
  r = verify("shared-layer", true, "linux/arm64/v8");
  ck_assert_uint_eq(r->n_layers, 2);
  ocidig_verify_report_free(r);
}
END_TEST

START_TEST(test_docker_save)
{
  ocidig_verify_report *r = verify("docker-save.tar", true, NULL);
  ck_assert_str_eq(r->format, "docker-archive");
  ck_assert_uint_eq(r->n_layers, 3);
  for (size_t i = 0; i < r->n_layers; i++) {
    ck_assert(r->layers[i].read);
    ck_assert_str_eq(r->layers[i].compression, "none");
    /* a docker save layer is stored uncompressed: its diff_id is its file's digest */
    ck_assert_str_eq(r->layers[i].diff_id, r->layers[i].digest);
  }
  ck_assert_uint_eq(r->summary.errors, 0);
  ocidig_verify_report_free(r);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("verify_deep");
  TCase *t = tcase_create("api");
  tcase_set_timeout(t, 60);
  tcase_add_test(t, test_diff_ids_are_the_configs);
  tcase_add_test(t, test_not_deep);
  tcase_add_test(t, test_shared_layer_one_row);
  tcase_add_test(t, test_docker_save);
  suite_add_tcase(s, t);
  return s;
}

int main(void)
{
  return tu_run(suite());
}
