/* check_regress_api.c: regression tests for the library API defects of issue 12.
 *
 *  defect 18: ocidig_layout_entries freed the array it had returned before (a use after
 *             free when called twice); the arrays stay valid until ocidig_layout_close.
 *             The use after free shows under the sanitizer build (configure
 *             --enable-sanitizers) or valgrind: a plain build may read the freed block.
 *  defect 20: ocidig_resolve(layout, NULL, ...) crashed.  NULL options mean the defaults
 *             in every function that takes options; a required pointer that is NULL is
 *             OCIDIG_ERR_USAGE with a message, never a crash.
 *
 * Fixtures: testdata/samples/buildah-multiarch (made by buildah 1.28.2) and its
 * oci-archive form.  Each test runs in a process of its own (Check's fork mode), so a
 * crash fails that test only. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAMPLE_DIR TESTDATA "/samples/buildah-multiarch"
#define SAMPLE_TAR TESTDATA "/samples/buildah-multiarch.oci-archive.tar"
/* The manifest index.json names (from the fixture's index.json). */
#define SAMPLE_INDEX "sha256:45e83bb5f1dd05c0fd4452f7b0d3fcf8ffa8a143631586d71c5ba7410f45eaf8"
#define SAMPLE_INDEX_PATH "blobs/sha256/45e83bb5f1dd05c0fd4452f7b0d3fcf8ffa8a143631586d71c5ba7410f45eaf8"
#define SAMPLE_INDEX_SIZE 2057

static const char *const sources[] = {SAMPLE_DIR, SAMPLE_TAR};

static ocidig_layout *open_sample(int i)
{
  ocidig_layout *l = NULL;
  ocidig_error e = {0};
  ck_assert_msg(ocidig_layout_open(sources[i], NULL, &l, &e) == OCIDIG_OK, "%s: %s", sources[i], e.message);
  ck_assert_ptr_nonnull(l);
  return l;
}

/* A usage error with a message naming the function. */
#define ck_usage(call, fn)                                                                             \
  do {                                                                                                 \
    ocidig_error e_ = {0};                                                                             \
    ocidig_error *err = &e_;                                                                           \
    ocidig_code rc_ = (call);                                                                          \
    ck_assert_msg(rc_ == OCIDIG_ERR_USAGE, "%s: returned %s, wanted usage", #call, ocidig_code_name(rc_)); \
    ck_assert_int_eq(e_.code, OCIDIG_ERR_USAGE);                                                       \
    ck_assert_msg(strstr(e_.message, fn) != NULL, "%s: message '%s' does not name %s", #call, e_.message, fn); \
    /* and without an error struct: no crash either */                                                 \
    err = NULL;                                                                                        \
    ck_assert_int_eq((call), OCIDIG_ERR_USAGE);                                                        \
  } while (0)

/* ------------------------------------------------------------- defect 18 */

START_TEST(test_d18_entries_twice)
{
  /* "defect 18: ocidig_layout_entries called twice keeps the first array valid" */
  ocidig_layout *l = open_sample(_i);
  const ocidig_entry *a = NULL, *b = NULL;
  size_t na = 0, nb = 0;
  ocidig_error e = {0};
  char **paths;
  ck_assert_int_eq(ocidig_layout_entries(l, &a, &na, &e), OCIDIG_OK);
  ck_assert_uint_gt(na, 3);
  paths = calloc(na, sizeof *paths);
  ck_assert_ptr_nonnull(paths);
  for (size_t i = 0; i < na; i++)
    paths[i] = strdup(a[i].path);
  ck_assert_int_eq(ocidig_layout_entries(l, &b, &nb, &e), OCIDIG_OK);
  ck_assert_uint_eq(na, nb);
  /* The first array is read after the second call: freed memory before the fix. */
  for (size_t i = 0; i < na; i++) {
    ck_assert_str_eq(a[i].path, paths[i]);
    ck_assert_str_eq(b[i].path, paths[i]);
  }
  /* A third call, then the first array once more. */
  ck_assert_int_eq(ocidig_layout_entries(l, &b, &nb, &e), OCIDIG_OK);
  for (size_t i = 0; i < na; i++) {
    ck_assert_str_eq(a[i].path, paths[i]);
    free(paths[i]);
  }
  free(paths);
  ocidig_layout_close(l);
}
END_TEST

START_TEST(test_d18_entries_after_verify)
{
  /* "defect 18: entries taken before ocidig_verify stay valid after it" (verify lists
   * the layout itself) */
  ocidig_layout *l = open_sample(_i);
  const ocidig_entry *a = NULL;
  size_t na = 0;
  ocidig_error e = {0};
  ocidig_verify_report *r = NULL;
  bool seen_index = false;
  ck_assert_int_eq(ocidig_layout_entries(l, &a, &na, &e), OCIDIG_OK);
  ck_assert_int_eq(ocidig_verify(l, NULL, &r, &e), OCIDIG_OK);
  ck_assert_int_eq(ocidig_verify_exit_status(r, false), 0);
  ocidig_verify_report_free(r);
  for (size_t i = 0; i < na; i++)
    if (!strcmp(a[i].path, "index.json"))
      seen_index = true;
  ck_assert(seen_index);
  ocidig_layout_close(l);
}
END_TEST

/* ------------------------------------------------------------- defect 20 */

START_TEST(test_d20_resolve_null_options)
{
  /* "defect 20: ocidig_resolve with NULL options resolves with the defaults" */
  ocidig_layout *l = open_sample(_i);
  ocidig_resolution *r = NULL;
  ocidig_error e = {0};
  ck_assert_int_eq(ocidig_resolve(l, NULL, &r, &e), OCIDIG_OK);
  ck_assert_ptr_nonnull(r);
  /* The nil matcher: index.json's one entry is a nested index, whose first child is taken. */
  ck_assert_int_eq(r->outcome, OCIDIG_OUTCOME_SELECTED);
  ck_assert_uint_eq(r->n_path, 1);
  ck_assert_str_eq(r->path[0], SAMPLE_INDEX);
  ocidig_resolution_free(r);
  ocidig_layout_close(l);
}
END_TEST

START_TEST(test_d20_null_options_everywhere)
{
  /* "defect 20: NULL options mean the defaults in open, resolve, verify and list" */
  ocidig_layout *l = NULL;
  ocidig_resolution *res = NULL;
  ocidig_verify_report *vr = NULL;
  ocidig_listing *ls = NULL;
  ocidig_error e = {0};
  ck_assert_int_eq(ocidig_layout_open(sources[_i], NULL, &l, &e), OCIDIG_OK);
  ck_assert_int_eq(ocidig_resolve(l, NULL, &res, &e), OCIDIG_OK);
  ck_assert_int_eq(ocidig_verify(l, NULL, &vr, &e), OCIDIG_OK);
  ck_assert_int_eq(ocidig_list(l, NULL, &ls, &e), OCIDIG_OK);
  ck_assert_uint_eq(ls->n_images, 1);
  ck_assert_int_eq(ocidig_verify_exit_status(vr, false), 0);
  ocidig_listing_free(ls);
  ocidig_verify_report_free(vr);
  ocidig_resolution_free(res);
  ocidig_layout_close(l);
}
END_TEST

static ocidig_code null_sink(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  (void)ctx;
  (void)buf;
  (void)len;
  (void)err;
  return OCIDIG_OK;
}

START_TEST(test_d20_null_required_layout)
{
  /* "defect 20: a NULL layout is a usage error in every function that takes one" */
  ocidig_resolution *res = (ocidig_resolution *)1;
  ocidig_verify_report *vr = (ocidig_verify_report *)1;
  ocidig_listing *ls = (ocidig_listing *)1;
  ocidig_layout_format f;
  ocidig_docker_archive *da = NULL;
  ocidig_related *rel = NULL;
  ocidig_image *img = NULL;
  ocidig_entry en;
  const ocidig_entry *ents;
  uint8_t *data;
  size_t len, n;
  uint64_t written;
  ocidig_digest d = {0};
  ocidig_resolution dummy = {0};
  ocidig_docker_archive da0 = {0};

  ck_usage(ocidig_resolve(NULL, NULL, &res, err), "ocidig_resolve");
  ck_assert_ptr_null(res); /* *out is set even on failure */
  ck_usage(ocidig_verify(NULL, NULL, &vr, err), "ocidig_verify");
  ck_assert_ptr_null(vr);
  ck_usage(ocidig_list(NULL, NULL, &ls, err), "ocidig_list");
  ck_assert_ptr_null(ls);
  ck_usage(ocidig_layout_read_file(NULL, "index.json", 100, &data, &len, err), "ocidig_layout_read_file");
  ck_usage(ocidig_layout_stat(NULL, "index.json", &en, err), "ocidig_layout_stat");
  ck_usage(ocidig_layout_read_blob(NULL, &d, 0, 100, &data, &len, err), "ocidig_layout_read_blob");
  ck_usage(ocidig_layout_stream_file(NULL, "index.json", null_sink, NULL, err), "ocidig_layout_stream_file");
  ck_usage(ocidig_layout_scan_all(NULL, err), "ocidig_layout_scan_all");
  ck_usage(ocidig_layout_entries(NULL, &ents, &n, err), "ocidig_layout_entries");
  ck_usage(ocidig_layout_format_detect(NULL, &f, err), "ocidig_layout_format_detect");
  ck_usage(ocidig_docker_archive_read(NULL, &da, err), "ocidig_docker_archive_read");
  ck_usage(ocidig_docker_archive_compare(NULL, &da0, err), "ocidig_docker_archive_compare");
  ck_usage(ocidig_find_related(NULL, SAMPLE_INDEX, &rel, &n, err), "ocidig_find_related");
  ck_usage(ocidig_image_load(NULL, &dummy, &img, err), "ocidig_image_load");
  ck_usage(ocidig_copy_verified(NULL, "index.json", &d, -1, 0, null_sink, NULL, &written, err),
           "ocidig_copy_verified");
  /* The functions that do not return a code accept NULL quietly. */
  ocidig_layout_close(NULL);
  ck_assert(!ocidig_layout_is_archive(NULL));
  ck_assert_uint_eq(ocidig_layout_bytes_read(NULL), 0);
  {
    const char *const *w = (const char *const *)1;
    ck_assert_uint_eq(ocidig_layout_warnings(NULL, &w), 0);
    ck_assert_ptr_null(w);
  }
  ck_assert(!ocidig_resolution_is_docker_archive(NULL));
}
END_TEST

START_TEST(test_d20_null_required_other)
{
  /* "defect 20: NULL required pointers (out, path, digest, sink, ...) are usage errors" */
  ocidig_layout *l = open_sample(_i);
  ocidig_resolution *res = NULL;
  ocidig_listing *ls = NULL;
  ocidig_entry en;
  const ocidig_entry *ents;
  uint8_t *data;
  size_t len, n;
  uint64_t written;
  ocidig_digest d;
  ocidig_related *rel;
  ocidig_image *img;
  ocidig_docker_archive *da;
  ocidig_error e = {0};
  ocidig_layout_format f;

  ck_assert_int_eq(ocidig_digest_parse(SAMPLE_INDEX, strlen(SAMPLE_INDEX), &d, &e), OCIDIG_OK);
  /* open */
  ck_usage(ocidig_layout_open(SAMPLE_DIR, NULL, NULL, err), "ocidig_layout_open");
  {
    ocidig_layout *x = (ocidig_layout *)1;
    ck_usage(ocidig_layout_open(NULL, NULL, &x, err), "ocidig_layout_open");
    ck_assert_ptr_null(x);
  }
  /* outputs */
  ck_usage(ocidig_resolve(l, NULL, NULL, err), "ocidig_resolve");
  ck_usage(ocidig_verify(l, NULL, NULL, err), "ocidig_verify");
  ck_usage(ocidig_list(l, NULL, NULL, err), "ocidig_list");
  ck_usage(ocidig_layout_entries(l, NULL, &n, err), "ocidig_layout_entries");
  ck_usage(ocidig_layout_entries(l, &ents, NULL, err), "ocidig_layout_entries");
  ck_usage(ocidig_layout_stat(l, "index.json", NULL, err), "ocidig_layout_stat");
  ck_usage(ocidig_layout_read_file(l, "index.json", 100000, NULL, &len, err), "ocidig_layout_read_file");
  ck_usage(ocidig_layout_read_file(l, "index.json", 100000, &data, NULL, err), "ocidig_layout_read_file");
  ck_usage(ocidig_layout_read_blob(l, &d, SAMPLE_INDEX_SIZE, 100000, NULL, &len, err), "ocidig_layout_read_blob");
  ck_usage(ocidig_layout_format_detect(l, NULL, err), "ocidig_layout_format_detect");
  ck_usage(ocidig_docker_archive_read(l, NULL, err), "ocidig_docker_archive_read");
  ck_usage(ocidig_find_related(l, SAMPLE_INDEX, NULL, &n, err), "ocidig_find_related");
  ck_usage(ocidig_find_related(l, SAMPLE_INDEX, &rel, NULL, err), "ocidig_find_related");
  /* inputs */
  ck_usage(ocidig_layout_stat(l, NULL, &en, err), "ocidig_layout_stat");
  ck_usage(ocidig_layout_read_file(l, NULL, 100000, &data, &len, err), "ocidig_layout_read_file");
  ck_usage(ocidig_layout_read_blob(l, NULL, SAMPLE_INDEX_SIZE, 100000, &data, &len, err), "ocidig_layout_read_blob");
  ck_usage(ocidig_layout_stream_file(l, NULL, null_sink, NULL, err), "ocidig_layout_stream_file");
  ck_usage(ocidig_layout_stream_file(l, "index.json", NULL, NULL, err), "ocidig_layout_stream_file");
  ck_usage(ocidig_find_related(l, NULL, &rel, &n, err), "ocidig_find_related");
  ck_usage(ocidig_image_load(l, NULL, &img, err), "ocidig_image_load");
  ck_usage(ocidig_docker_archive_compare(l, NULL, err), "ocidig_docker_archive_compare");
  ck_usage(ocidig_copy_verified(l, NULL, &d, -1, 0, null_sink, NULL, &written, err), "ocidig_copy_verified");
  ck_usage(ocidig_copy_verified(l, SAMPLE_INDEX_PATH, NULL, -1, 0, null_sink, NULL, &written, err),
           "ocidig_copy_verified");
  ck_usage(ocidig_copy_verified(l, SAMPLE_INDEX_PATH, &d, -1, 0, NULL, NULL, &written, err), "ocidig_copy_verified");
  /* optional: the sink's context and the byte count */
  ck_assert_int_eq(ocidig_copy_verified(l, SAMPLE_INDEX_PATH, &d, SAMPLE_INDEX_SIZE, 0, null_sink, NULL, NULL, &e),
                   OCIDIG_OK);
  /* image_load needs a resolution that selected something */
  ck_assert_int_eq(ocidig_resolve(l, NULL, &res, &e), OCIDIG_OK);
  ck_usage(ocidig_image_load(l, res, NULL, err), "ocidig_image_load");
  ck_assert_int_eq(ocidig_image_load(l, res, &img, &e), OCIDIG_OK);
  ocidig_image_free(img);
  ocidig_resolution_free(res);
  /* the layout still works after all that */
  ck_assert_int_eq(ocidig_list(l, NULL, &ls, &e), OCIDIG_OK);
  ocidig_listing_free(ls);
  ck_assert_int_eq(ocidig_layout_format_detect(l, &f, &e), OCIDIG_OK);
  ck_assert_int_eq(f, OCIDIG_FORMAT_OCI);
  (void)da;
  ocidig_layout_close(l);
}
END_TEST

START_TEST(test_d20_null_platform_digest_matcher)
{
  /* "defect 20: platform, digest, matcher and config functions: NULL required pointers are
   * usage errors, NULL optional ones (host) the defaults" */
  ocidig_platform p = {0}, q = {0};
  ocidig_platform host = {.os = (char *)"linux", .architecture = (char *)"arm64"};
  ocidig_matcher *m = NULL;
  ocidig_digest d;
  ocidig_image_config cfg;
  ocidig_docker_archive a = {0};
  size_t idx, order[1];
  const ocidig_platform *cands[1] = {&host};
  ocidig_error e = {0};
  static const char cfgtext[] = "{\"os\":\"linux\",\"architecture\":\"amd64\"}";

  ck_usage(ocidig_platform_copy(NULL, &host, err), "ocidig_platform_copy");
  ck_usage(ocidig_platform_copy(&p, NULL, err), "ocidig_platform_copy");
  ck_usage(ocidig_platform_parse(NULL, NULL, &p, err), "ocidig_platform_parse");
  ck_usage(ocidig_platform_parse("linux", NULL, NULL, err), "ocidig_platform_parse");
  ck_usage(ocidig_platform_normalize(NULL, NULL, &p, err), "ocidig_platform_normalize");
  ck_usage(ocidig_platform_normalize(&host, NULL, NULL, err), "ocidig_platform_normalize");
  ck_usage(ocidig_platform_detect_host(NULL, err), "ocidig_platform_detect_host");
  ck_usage(ocidig_matcher_new(OCIDIG_MATCHER_ALL, NULL, 0, NULL, NULL, err), "ocidig_matcher_new");
  ck_usage(ocidig_digest_parse(NULL, 10, &d, err), "ocidig_digest_parse");
  ck_usage(ocidig_digest_parse(SAMPLE_INDEX, strlen(SAMPLE_INDEX), NULL, err), "ocidig_digest_parse");
  ck_usage(ocidig_image_config_parse(NULL, 10, "config", &cfg, err), "ocidig_image_config_parse");
  ck_usage(ocidig_image_config_parse((const uint8_t *)cfgtext, strlen(cfgtext), "config", NULL, err),
           "ocidig_image_config_parse");
  ck_usage(ocidig_docker_archive_pick(NULL, "x", &idx, err), "ocidig_docker_archive_pick");
  ck_usage(ocidig_docker_archive_pick(&a, NULL, &idx, err), "ocidig_docker_archive_pick");
  ck_usage(ocidig_docker_archive_pick(&a, "x", NULL, err), "ocidig_docker_archive_pick");

  /* optional: host (linux/amd64), the config's name */
  ck_assert_int_eq(ocidig_platform_parse("linux", NULL, &p, &e), OCIDIG_OK);
  ck_assert_str_eq(p.architecture, "amd64");
  ck_assert_int_eq(ocidig_platform_normalize(&p, NULL, &q, &e), OCIDIG_OK);
  ocidig_platform_clear(&q);
  ck_assert_int_eq(ocidig_image_config_parse((const uint8_t *)cfgtext, strlen(cfgtext), NULL, &cfg, &e), OCIDIG_OK);
  ocidig_image_config_clear(&cfg);

  ck_assert_int_eq(ocidig_matcher_new(OCIDIG_MATCHER_ONLY, &p, 1, NULL, &m, &e), OCIDIG_OK);
  ck_usage(ocidig_matcher_sort(NULL, cands, 1, order, err), "ocidig_matcher_sort");
  ck_usage(ocidig_matcher_sort(m, NULL, 1, order, err), "ocidig_matcher_sort");
  ck_usage(ocidig_matcher_sort(m, cands, 1, NULL, err), "ocidig_matcher_sort");
  ck_assert_int_eq(ocidig_matcher_sort(m, NULL, 0, NULL, &e), OCIDIG_OK); /* nothing to sort */
  ocidig_matcher_free(m);
  ocidig_platform_clear(&p);

  /* void, bool and string functions accept NULL quietly */
  ocidig_platform_clear(NULL);
  ocidig_matcher_free(NULL);
  ocidig_descriptor_clear(NULL);
  ocidig_image_config_clear(NULL);
  ocidig_resolution_free(NULL);
  ocidig_verify_report_free(NULL);
  ocidig_docker_archive_free(NULL);
  ocidig_image_free(NULL);
  ocidig_listing_free(NULL);
  ocidig_related_free(NULL, 0);
  ck_assert(ocidig_platform_equal(NULL, NULL));
  ck_assert(!ocidig_platform_equal(&host, NULL));
  ck_assert(!ocidig_platform_equal(NULL, &host));
  ck_assert_ptr_null(ocidig_platform_format(NULL));
  ck_assert(!ocidig_matcher_match(NULL, &host));
  ck_assert(!ocidig_matcher_less(NULL, &host, &host));
  {
    const ocidig_platform *acc = &host;
    ck_assert_uint_eq(ocidig_matcher_accepts(NULL, &acc), 0);
    ck_assert_ptr_null(acc);
  }
  ck_assert_ptr_null(ocidig_matcher_request(NULL));
  ck_assert(ocidig_digest_equal(NULL, NULL));
  ck_assert_int_eq(ocidig_media_type_kind(NULL), OCIDIG_KIND_OTHER);
  ck_assert_str_eq(ocidig_media_type_short(NULL), "(no media type)");
  ck_assert_ptr_null(ocidig_descriptor_annotation(NULL, "k"));
  ck_assert_ptr_null(ocidig_layer_compression(NULL));
  ck_assert_ptr_null(ocidig_resolution_to_json(NULL, false));
  ck_assert_ptr_null(ocidig_verify_report_to_json(NULL, false));
  ck_assert_ptr_null(ocidig_image_to_json(NULL, false));
  ck_assert_ptr_null(ocidig_listing_to_json(NULL, false));
}
END_TEST

/* ------------------------------------------------------------- review */

/* The index digest of the fixture, its 64 hex digits, and strings around it. */
#define SAMPLE_INDEX_HEX "45e83bb5f1dd05c0fd4452f7b0d3fcf8ffa8a143631586d71c5ba7410f45eaf8"

START_TEST(test_review_digest_matches_full)
{
  /* "review: a full digest, or bare hex of an algorithm's full length, matches exactly" */
  /* a longer, invalid digest string (as index.json may hold) that begins with the digest */
  static const char longer[] = SAMPLE_INDEX "00";
  /* a sha512 digest whose first 64 hex digits are the sha256 ones */
  static const char sha512[] = "sha512:" SAMPLE_INDEX_HEX SAMPLE_INDEX_HEX;
  ck_assert(ocidig_digest_matches(SAMPLE_INDEX, SAMPLE_INDEX));
  ck_assert(ocidig_digest_matches(SAMPLE_INDEX, SAMPLE_INDEX_HEX));
  ck_assert(!ocidig_digest_matches(longer, SAMPLE_INDEX));
  ck_assert(!ocidig_digest_matches(longer, SAMPLE_INDEX_HEX));
  ck_assert(!ocidig_digest_matches(sha512, SAMPLE_INDEX_HEX));
  ck_assert(ocidig_digest_matches(sha512, sha512));
  ck_assert(ocidig_digest_matches(sha512, SAMPLE_INDEX_HEX SAMPLE_INDEX_HEX));
  ck_assert(!ocidig_digest_matches("sha256:" SAMPLE_INDEX_HEX SAMPLE_INDEX_HEX, SAMPLE_INDEX_HEX SAMPLE_INDEX_HEX));
  /* prefixes still match */
  ck_assert(ocidig_digest_matches(SAMPLE_INDEX, "sha256:45e83bb5f1dd"));
  ck_assert(ocidig_digest_matches(SAMPLE_INDEX, "45e83bb5f1dd05c0"));
  ck_assert(ocidig_digest_matches(sha512, "45e83bb5f1dd05c0"));
  ck_assert(ocidig_digest_matches(longer, "sha256:45e83bb5f1dd"));
}
END_TEST

START_TEST(test_review_ref_full_digest_not_ambiguous)
{
  /* "review: --ref @<full digest> is not made ambiguous by a longer invalid digest in index.json" */
  static const char index_json[] =
    "{\"schemaVersion\":2,\"manifests\":["
    "{\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"digest\":\"" SAMPLE_INDEX "\",\"size\":2057},"
    "{\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"digest\":\"" SAMPLE_INDEX "00\",\"size\":2057}]}";
  char dir[] = "/tmp/ocidig-review-XXXXXX", path[256], cmd[512];
  ocidig_layout *l = NULL;
  ocidig_resolution *r = NULL;
  ocidig_resolve_options o = {.ref = "@" SAMPLE_INDEX};
  ocidig_error e = {0};
  FILE *f;
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(cmd, sizeof cmd, "cp -R '%s'/. '%s'", SAMPLE_DIR, dir);
  ck_assert_int_eq(system(cmd), 0);
  snprintf(path, sizeof path, "%s/index.json", dir);
  ck_assert_ptr_nonnull(f = fopen(path, "w"));
  fputs(index_json, f);
  fclose(f);
  ck_assert_int_eq(ocidig_layout_open(dir, NULL, &l, &e), OCIDIG_OK);
  ocidig_resolve(l, &o, &r, &e);
  ck_assert_ptr_nonnull(r);
  ck_assert_msg(r->error.code != OCIDIG_ERR_REF_AMBIGUOUS, "ref-ambiguous: %s", r->error.message);
  ck_assert_int_eq(r->outcome, OCIDIG_OUTCOME_SELECTED);
  ocidig_resolution_free(r);
  ocidig_layout_close(l);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_review_null_void_functions)
{
  /* "review: ocidig_related_free(NULL, n), ocidig_digest_format(NULL, buf) and
   * ocidig_digest_blob_path(NULL, buf) return early" */
  char buf[OCIDIG_DIGEST_STRING_MAX + 8];
  ocidig_digest d;
  ocidig_related_free(NULL, 3);
  memset(buf, 'x', sizeof buf);
  ocidig_digest_format(NULL, buf);
  ck_assert_str_eq(buf, "");
  memset(buf, 'x', sizeof buf);
  ocidig_digest_blob_path(NULL, buf);
  ck_assert_str_eq(buf, "");
  ck_assert_int_eq(ocidig_digest_parse(SAMPLE_INDEX, strlen(SAMPLE_INDEX), &d, NULL), OCIDIG_OK);
  ocidig_digest_format(&d, NULL);
  ocidig_digest_blob_path(&d, NULL);
  ocidig_digest_blob_path(&d, buf);
  ck_assert_str_eq(buf, SAMPLE_INDEX_PATH);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("regress_api");
  TCase *t18 = tcase_create("defect18");
  TCase *t20 = tcase_create("defect20");
  TCase *tr = tcase_create("review");
  tcase_set_timeout(t18, 60);
  tcase_set_timeout(t20, 60);
  tcase_set_timeout(tr, 60);
  /* _i: 0 the directory, 1 the archive */
  tcase_add_loop_test(t18, test_d18_entries_twice, 0, 2);
  tcase_add_loop_test(t18, test_d18_entries_after_verify, 0, 2);
  tcase_add_loop_test(t20, test_d20_resolve_null_options, 0, 2);
  tcase_add_loop_test(t20, test_d20_null_options_everywhere, 0, 2);
  tcase_add_test(t20, test_d20_null_required_layout);
  tcase_add_loop_test(t20, test_d20_null_required_other, 0, 2);
  tcase_add_test(t20, test_d20_null_platform_digest_matcher);
  tcase_add_test(tr, test_review_digest_matches_full);
  tcase_add_test(tr, test_review_ref_full_digest_not_ambiguous);
  tcase_add_test(tr, test_review_null_void_functions);
  suite_add_tcase(s, t18);
  suite_add_tcase(s, t20);
  suite_add_tcase(s, tr);
  return tu_run(s);
}
