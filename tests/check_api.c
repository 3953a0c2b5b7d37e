/* check_api.c: what include/ocidig.h promises an embedder (issue 13, item 7).
 *
 *  - Results are independent of their handles: a resolution, listing, verify report, image,
 *    docker archive and related array read the same (their JSON, byte for byte) after the
 *    layout is closed, the matcher freed and (for the image) the resolution freed, with
 *    freed memory overwritten (glibc's M_PERTURB; the sanitizer build and valgrind see any
 *    read of it too).
 *  - A matcher is shareable: threads that each open their own layout of one fixture and
 *    resolve, list and verify it with one shared matcher, and threads calling its match
 *    and less at once, get what one thread gets.
 *  - Options: a zeroed struct, one set by ocidig_<noun>_options_init and NULL give the same
 *    result; _init overwrites whatever the struct held.
 *  - The array accessors return the elements, NULL past the end and for NULL.
 *  - The names of the pattern (ocidig_layout_resolve, ...) give what the old names give.
 *
 * Fixtures: testdata/samples (buildah, docker save, containerd export: real tools' output). */
#include "testutil.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAMPLES TESTDATA "/samples/"

static const char *const sources[] = {
  SAMPLES "buildah-multiarch",
  SAMPLES "buildah-multiarch.oci-archive.tar",
  SAMPLES "docker-save-legacy-build.tar",
  SAMPLES "containerd-export-allplatforms.tar",
};
#define N_SOURCES (sizeof sources / sizeof sources[0])

static ocidig_matcher *matcher_for(const char *spec)
{
  ocidig_platform p = {0};
  ocidig_matcher *m = NULL;
  ocidig_error e = {0};
  ck_assert_int_eq(ocidig_platform_parse(spec, NULL, &p, &e), OCIDIG_OK);
  ck_assert_msg(ocidig_matcher_new(OCIDIG_MATCHER_ONLY, &p, 1, NULL, &m, &e) == OCIDIG_OK, "%s", e.message);
  ocidig_platform_clear(&p);
  return m;
}

static ocidig_layout *open_source(const char *path, unsigned flags)
{
  ocidig_open_options o = {.flags = flags};
  ocidig_layout *l = NULL;
  ocidig_error e = {0};
  ck_assert_msg(ocidig_layout_open(path, &o, &l, &e) == OCIDIG_OK, "%s: %s", path, e.message);
  return l;
}

/* Everything the API gives for one source, as text. */
typedef struct texts {
  char *resolution, *listing, *report, *image, *docker, *related;
} texts;

static void texts_free(texts *t)
{
  free(t->resolution);
  free(t->listing);
  free(t->report);
  free(t->image);
  free(t->docker);
  free(t->related);
}

static char *docker_text(const ocidig_docker_archive *a)
{
  /* no _to_json: the fields a caller reads */
  size_t cap = 4096, n = 0;
  char *s = malloc(cap);
  ck_assert_ptr_nonnull(s);
  n += (size_t)snprintf(s + n, cap - n, "%zu images;", a->n_images);
  for (size_t i = 0; i < a->n_images && n < cap; i++) {
    const ocidig_docker_image *im = &a->images[i];
    n += (size_t)snprintf(s + n, cap - n, "%s %s %s %zu layers", im->config_path ? im->config_path : "-",
                          im->image_id ? im->image_id : "-", im->n_repo_tags ? im->repo_tags[0] : "-", im->n_layers);
    for (size_t k = 0; k < im->n_layers && n < cap; k++)
      n += (size_t)snprintf(s + n, cap - n, " %s", im->layers[k].path ? im->layers[k].path : "-");
  }
  return s;
}

static char *related_text(const ocidig_related *v, size_t nv)
{
  size_t cap = 4096, n = 0;
  char *s = malloc(cap);
  ck_assert_ptr_nonnull(s);
  n += (size_t)snprintf(s + n, cap - n, "%zu;", nv);
  for (size_t i = 0; i < nv && n < cap; i++)
    n += (size_t)snprintf(s + n, cap - n, "%s %s %s;", v[i].desc.digest_string ? v[i].desc.digest_string : "-",
                          v[i].found_in ? v[i].found_in : "-", v[i].artifact_type ? v[i].artifact_type : "-");
  return s;
}

START_TEST(test_results_outlive_handles)
{
  const char *src = sources[_i];
  ocidig_matcher *m;
  ocidig_layout *l;
  ocidig_error e = {0};
  ocidig_resolution *r = NULL;
  ocidig_listing *li = NULL;
  ocidig_verify_report *v = NULL;
  ocidig_image *img = NULL;
  ocidig_docker_archive *da = NULL;
  ocidig_related *rel = NULL;
  size_t n_rel = 0;
  texts before = {0}, after = {0};

  mallopt(M_PERTURB, 0xa5); /* freed memory is overwritten */
  m = matcher_for("linux/amd64");
  l = open_source(src, OCIDIG_OPEN_HASH_BLOBS);
  {
    ocidig_resolve_options ro = {.matcher = m};
    ocidig_list_options lo = {.matcher = m};
    ocidig_verify_options vo = {.matcher = m, .threads = 2};
    ck_assert_int_eq(ocidig_resolve(l, &ro, &r, &e), OCIDIG_OK);
    ck_assert_int_eq(r->outcome, OCIDIG_OUTCOME_SELECTED);
    ck_assert_int_eq(ocidig_image_load(l, r, &img, &e), OCIDIG_OK);
    ck_assert_int_eq(ocidig_list(l, &lo, &li, &e), OCIDIG_OK);
    ck_assert_int_eq(ocidig_verify(l, &vo, &v, &e), OCIDIG_OK);
    if (ocidig_docker_archive_read(l, &da, NULL) != OCIDIG_OK)
      da = NULL; /* an OCI layout has no manifest.json */
    if (!ocidig_resolution_is_docker_archive(r))
      ck_assert_int_eq(ocidig_find_related(l, r->selected.digest_string, &rel, &n_rel, &e), OCIDIG_OK);
  }
  before.resolution = ocidig_resolution_to_json(r, false);
  before.listing = ocidig_listing_to_json(li, false);
  before.report = ocidig_verify_report_to_json(v, false);
  before.image = ocidig_image_to_json(img, false);
  before.docker = da ? docker_text(da) : NULL;
  before.related = related_text(rel, n_rel);
  ck_assert_ptr_nonnull(before.resolution);
  ck_assert_ptr_nonnull(before.listing);
  ck_assert_ptr_nonnull(before.report);
  ck_assert_ptr_nonnull(before.image);
  if (strstr(src, "docker-save"))
    ck_assert_msg(da != NULL, "%s: a docker save archive without manifest.json?", src);

  /* the handles go, and the resolution the image came from */
  ocidig_layout_close(l);
  ocidig_matcher_free(m);
  {
    char *again = ocidig_resolution_to_json(r, false);
    ck_assert_str_eq(again, before.resolution);
    free(again);
  }
  ocidig_resolution_free(r);
  /* churn the heap so that freed blocks are reused and overwritten */
  for (int k = 0; k < 64; k++) {
    void *p = malloc(64 * (size_t)(k + 1));
    ck_assert_ptr_nonnull(p);
    memset(p, 0x5a, 64 * (size_t)(k + 1));
    free(p);
  }
  after.listing = ocidig_listing_to_json(li, false);
  after.report = ocidig_verify_report_to_json(v, false);
  after.image = ocidig_image_to_json(img, false);
  after.docker = da ? docker_text(da) : NULL;
  after.related = related_text(rel, n_rel);
  ck_assert_str_eq(after.listing, before.listing);
  ck_assert_str_eq(after.report, before.report);
  ck_assert_str_eq(after.image, before.image);
  if (da)
    ck_assert_str_eq(after.docker, before.docker);
  ck_assert_str_eq(after.related, before.related);
  ocidig_listing_free(li);
  ocidig_verify_report_free(v);
  ocidig_image_free(img);
  ocidig_docker_archive_free(da);
  ocidig_related_free(rel, n_rel);
  texts_free(&before);
  texts_free(&after);
}
END_TEST

static ocidig_code discard(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  (void)ctx, (void)buf, (void)len, (void)err;
  return OCIDIG_OK;
}

/* ------------------------------------------------------------- a shared matcher */

typedef struct worker {
  const ocidig_matcher *m;
  const char *source;
  char *resolution, *listing, *report;
  bool ok;
} worker;

static void *work(void *arg)
{
  worker *w = arg;
  ocidig_open_options oo = {.flags = OCIDIG_OPEN_HASH_BLOBS};
  ocidig_layout *l = NULL;
  ocidig_resolution *r = NULL;
  ocidig_listing *li = NULL;
  ocidig_verify_report *v = NULL;
  ocidig_resolve_options ro = {.matcher = w->m};
  ocidig_list_options lo = {.matcher = w->m};
  ocidig_verify_options vo = {.matcher = w->m, .threads = 1};
  if (ocidig_layout_open(w->source, &oo, &l, NULL) != OCIDIG_OK)
    return NULL;
  w->ok = ocidig_resolve(l, &ro, &r, NULL) == OCIDIG_OK && ocidig_list(l, &lo, &li, NULL) == OCIDIG_OK &&
          ocidig_verify(l, &vo, &v, NULL) == OCIDIG_OK;
  w->resolution = ocidig_resolution_to_json(r, false);
  w->listing = ocidig_listing_to_json(li, false);
  w->report = ocidig_verify_report_to_json(v, false);
  ocidig_resolution_free(r);
  ocidig_listing_free(li);
  ocidig_verify_report_free(v);
  ocidig_layout_close(l);
  return NULL;
}

START_TEST(test_matcher_shared_between_threads)
{
  enum { N = 4 };
  ocidig_matcher *m = matcher_for("linux/arm64");
  worker one = {.m = m, .source = sources[_i]}, many[N];
  pthread_t t[N];
  work(&one);
  ck_assert_msg(one.ok && one.resolution && one.listing && one.report, "%s: one thread failed", sources[_i]);
  for (int k = 0; k < N; k++) {
    many[k] = (worker){.m = m, .source = sources[_i]};
    ck_assert_int_eq(pthread_create(&t[k], NULL, work, &many[k]), 0);
  }
  for (int k = 0; k < N; k++) {
    ck_assert_int_eq(pthread_join(t[k], NULL), 0);
    ck_assert_msg(many[k].ok, "%s: thread %d failed", sources[_i], k);
    ck_assert_str_eq(many[k].resolution, one.resolution);
    ck_assert_str_eq(many[k].listing, one.listing);
    ck_assert_str_eq(many[k].report, one.report);
    free(many[k].resolution);
    free(many[k].listing);
    free(many[k].report);
  }
  free(one.resolution);
  free(one.listing);
  free(one.report);
  ocidig_matcher_free(m);
}
END_TEST

typedef struct matcher_job {
  const ocidig_matcher *m;
  const ocidig_platform *cands;
  size_t n;
  unsigned long verdicts; /* one bit per candidate: matched; then less of each pair */
  bool stable;
} matcher_job;

static unsigned long matcher_bits(const matcher_job *j)
{
  unsigned long bits = 0;
  size_t b = 0;
  for (size_t i = 0; i < j->n; i++)
    bits |= (unsigned long)ocidig_matcher_match(j->m, &j->cands[i]) << b++;
  for (size_t i = 0; i + 1 < j->n; i++)
    bits |= (unsigned long)ocidig_matcher_less(j->m, &j->cands[i], &j->cands[i + 1]) << b++;
  return bits;
}

static void *match_many(void *arg)
{
  matcher_job *j = arg;
  j->stable = true;
  for (int k = 0; k < 2000; k++)
    if (matcher_bits(j) != j->verdicts)
      j->stable = false;
  return NULL;
}

START_TEST(test_matcher_match_between_threads)
{
  enum { N = 4 };
  static const char *const specs[] = {"linux/arm64", "linux/arm/v7", "linux/arm/v8", "linux/amd64", "windows/arm64",
                                      "linux/arm64/v8", "linux/arm/v5"};
  ocidig_platform cands[sizeof specs / sizeof specs[0]] = {{0}};
  ocidig_matcher *m = matcher_for("linux/arm64");
  matcher_job jobs[N];
  pthread_t t[N];
  unsigned long want;
  for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
    ck_assert_int_eq(ocidig_platform_parse(specs[i], NULL, &cands[i], NULL), OCIDIG_OK);
  jobs[0] = (matcher_job){.m = m, .cands = cands, .n = sizeof specs / sizeof specs[0]};
  want = matcher_bits(&jobs[0]);
  ck_assert_msg(want & 1u, "linux/arm64 does not match itself");
  ck_assert_msg(want & 2u, "linux/arm64 does not accept linux/arm/v7 (containerd's fallback)");
  ck_assert_msg(!(want & 8u), "linux/arm64 accepts linux/amd64");
  for (int k = 0; k < N; k++) {
    jobs[k] = (matcher_job){.m = m, .cands = cands, .n = sizeof specs / sizeof specs[0], .verdicts = want};
    ck_assert_int_eq(pthread_create(&t[k], NULL, match_many, &jobs[k]), 0);
  }
  for (int k = 0; k < N; k++) {
    ck_assert_int_eq(pthread_join(t[k], NULL), 0);
    ck_assert_msg(jobs[k].stable, "thread %d saw other answers from the shared matcher", k);
  }
  for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
    ocidig_platform_clear(&cands[i]);
  ocidig_matcher_free(m);
}
END_TEST

/* ------------------------------------------------------------- options and accessors */

START_TEST(test_options_init)
{
  ocidig_open_options oo, oz = {0};
  ocidig_resolve_options ro, rz = {0};
  ocidig_list_options lo, lz = {0};
  ocidig_verify_options vo, vz = {0};
  memset(&oo, 0xff, sizeof oo);
  memset(&ro, 0xff, sizeof ro);
  memset(&lo, 0xff, sizeof lo);
  memset(&vo, 0xff, sizeof vo);
  ocidig_open_options_init(&oo);
  ocidig_resolve_options_init(&ro);
  ocidig_list_options_init(&lo);
  ocidig_verify_options_init(&vo);
  ck_assert_int_eq(memcmp(&oo, &oz, sizeof oo), 0);
  ck_assert_int_eq(memcmp(&ro, &rz, sizeof ro), 0);
  ck_assert_int_eq(memcmp(&lo, &lz, sizeof lo), 0);
  ck_assert_int_eq(memcmp(&vo, &vz, sizeof vo), 0);
  ocidig_open_options_init(NULL);
  ocidig_resolve_options_init(NULL);
  ocidig_list_options_init(NULL);
  ocidig_verify_options_init(NULL);
}
END_TEST

START_TEST(test_options_zero_init_null_same)
{
  /* resolve over a zeroed struct, an _init one and NULL: one answer */
  const char *src = sources[_i];
  char *text[3];
  for (int k = 0; k < 3; k++) {
    ocidig_layout *l = open_source(src, 0);
    ocidig_resolve_options zero = {0}, init;
    ocidig_resolution *r = NULL;
    ocidig_resolve_options_init(&init);
    ocidig_resolve(l, k == 0 ? &zero : k == 1 ? &init : NULL, &r, NULL);
    ck_assert_ptr_nonnull(r);
    text[k] = ocidig_resolution_to_json(r, false);
    ocidig_resolution_free(r);
    ocidig_layout_close(l);
  }
  ck_assert_str_eq(text[0], text[2]);
  ck_assert_str_eq(text[1], text[2]);
  for (int k = 0; k < 3; k++)
    free(text[k]);
}
END_TEST

START_TEST(test_accessors)
{
  ocidig_layout *l = open_source(sources[0], OCIDIG_OPEN_HASH_BLOBS);
  ocidig_resolution *r = NULL;
  ocidig_listing *li = NULL;
  ocidig_verify_report *v = NULL;
  ck_assert_int_eq(ocidig_resolve(l, NULL, &r, NULL), OCIDIG_OK);
  ck_assert_int_eq(ocidig_list(l, NULL, &li, NULL), OCIDIG_OK);
  ck_assert_int_eq(ocidig_verify(l, NULL, &v, NULL), OCIDIG_OK);
  ck_assert_uint_gt(r->n_rows, 1);
  for (size_t i = 0; i < r->n_rows; i++)
    ck_assert_ptr_eq(ocidig_resolution_row(r, i), &r->rows[i]);
  ck_assert_ptr_null(ocidig_resolution_row(r, r->n_rows));
  ck_assert_ptr_null(ocidig_resolution_row(NULL, 0));
  ck_assert_uint_gt(li->n_images, 0);
  for (size_t i = 0; i < li->n_images; i++) {
    const ocidig_list_image *im = ocidig_listing_image(li, i);
    ck_assert_ptr_eq(im, &li->images[i]);
    ck_assert_uint_gt(im->n_rows, 0);
    for (size_t k = 0; k < im->n_rows; k++)
      ck_assert_ptr_eq(ocidig_list_image_row(im, k), &im->rows[k]);
    ck_assert_ptr_null(ocidig_list_image_row(im, im->n_rows));
  }
  ck_assert_ptr_null(ocidig_listing_image(li, li->n_images));
  ck_assert_ptr_null(ocidig_listing_image(NULL, 0));
  ck_assert_ptr_null(ocidig_list_image_row(NULL, 0));
  ck_assert_uint_gt(v->n_images, 0);
  for (size_t i = 0; i < v->n_images; i++) {
    const ocidig_verify_image *im = ocidig_verify_report_image(v, i);
    ck_assert_ptr_eq(im, &v->images[i]);
    for (size_t k = 0; k < im->n_platforms; k++)
      ck_assert_ptr_eq(ocidig_verify_image_platform(im, k), &im->platforms[k]);
    ck_assert_ptr_null(ocidig_verify_image_platform(im, im->n_platforms));
  }
  for (size_t i = 0; i < v->n_findings; i++)
    ck_assert_ptr_eq(ocidig_verify_report_finding(v, i), &v->findings[i]);
  ck_assert_ptr_null(ocidig_verify_report_finding(v, v->n_findings));
  ck_assert_ptr_null(ocidig_verify_report_image(v, v->n_images));
  ck_assert_ptr_null(ocidig_verify_report_finding(NULL, 0));
  ck_assert_ptr_null(ocidig_verify_report_image(NULL, 0));
  ck_assert_ptr_null(ocidig_verify_image_platform(NULL, 0));
  ocidig_resolution_free(r);
  ocidig_listing_free(li);
  ocidig_verify_report_free(v);
  ocidig_layout_close(l);
}
END_TEST

START_TEST(test_names_of_the_pattern)
{
  /* the new names are the old functions: the same answers */
  const char *src = sources[_i];
  ocidig_layout *a = open_source(src, OCIDIG_OPEN_HASH_BLOBS), *b = open_source(src, OCIDIG_OPEN_HASH_BLOBS);
  ocidig_resolution *ra = NULL, *rb = NULL;
  ocidig_listing *la = NULL, *lb = NULL;
  ocidig_verify_report *va = NULL, *vb = NULL;
  char *ta, *tb;
  ck_assert_int_eq(ocidig_resolve(a, NULL, &ra, NULL), ocidig_layout_resolve(b, NULL, &rb, NULL));
  ck_assert_int_eq(ocidig_list(a, NULL, &la, NULL), ocidig_layout_list(b, NULL, &lb, NULL));
  ck_assert_int_eq(ocidig_verify(a, NULL, &va, NULL), ocidig_layout_verify(b, NULL, &vb, NULL));
  ta = ocidig_resolution_to_json(ra, false);
  tb = ocidig_resolution_to_json(rb, false);
  ck_assert_str_eq(ta, tb);
  free(ta);
  free(tb);
  ta = ocidig_listing_to_json(la, false);
  tb = ocidig_listing_to_json(lb, false);
  ck_assert_str_eq(ta, tb);
  free(ta);
  free(tb);
  ck_assert_int_eq(ocidig_verify_exit_status(va, false), ocidig_verify_report_exit_status(vb, false));
  if (ra->outcome == OCIDIG_OUTCOME_SELECTED && !ocidig_resolution_is_docker_archive(ra)) {
    ocidig_related *xa = NULL, *xb = NULL;
    size_t na = 0, nb = 0;
    uint64_t wa = 0, wb = 0;
    char path[OCIDIG_DIGEST_STRING_MAX + 8];
    ck_assert_int_eq(ocidig_find_related(a, ra->selected.digest_string, &xa, &na, NULL),
                     ocidig_layout_find_related(b, rb->selected.digest_string, &xb, &nb, NULL));
    ck_assert_uint_eq(na, nb);
    ocidig_related_free(xa, na);
    ocidig_related_free(xb, nb);
    ocidig_digest_blob_path(&ra->selected.digest, path);
    ck_assert_int_eq(ocidig_copy_verified(a, path, &ra->selected.digest, -1, 0, discard, NULL, &wa, NULL), OCIDIG_OK);
    ck_assert_int_eq(ocidig_layout_copy_verified(b, path, &rb->selected.digest, -1, 0, discard, NULL, &wb, NULL),
                     OCIDIG_OK);
    ck_assert_uint_eq(wa, wb);
    ck_assert_uint_gt(wa, 0);
  }
  ck_assert_str_eq(ocidig_media_type_compression("application/vnd.oci.image.layer.v1.tar+zstd"),
                   ocidig_layer_compression("application/vnd.oci.image.layer.v1.tar+zstd"));
  ta = ocidig_json_utf8("\"a\xff\"");
  tb = ocidig_json_make_utf8("\"a\xff\"");
  ck_assert_str_eq(ta, tb);
  free(ta);
  free(tb);
  ocidig_resolution_free(ra);
  ocidig_resolution_free(rb);
  ocidig_listing_free(la);
  ocidig_listing_free(lb);
  ocidig_verify_report_free(va);
  ocidig_verify_report_free(vb);
  ocidig_layout_close(a);
  ocidig_layout_close(b);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("api");
  TCase *tc = tcase_create("api");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, test_results_outlive_handles, 0, (int)N_SOURCES);
  tcase_add_loop_test(tc, test_matcher_shared_between_threads, 0, (int)N_SOURCES);
  tcase_add_test(tc, test_matcher_match_between_threads);
  tcase_add_test(tc, test_options_init);
  tcase_add_loop_test(tc, test_options_zero_init_null_same, 0, (int)N_SOURCES);
  tcase_add_test(tc, test_accessors);
  tcase_add_loop_test(tc, test_names_of_the_pattern, 0, (int)N_SOURCES);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
