/* check_list_each.c: the listing made one image at a time (ocidig_layout_list_each,
 * ocidig_layout_list_write_json) is the listing ocidig_layout_list makes whole: the same
 * images in the same order, the same summary and warnings, the same JSON text; a second
 * listing of one layout (ls lists twice: its documents were read in the graph's scratch
 * and freed) says the same as the first; the function's error stops the listing.  Over
 * the layouts of testdata/samples (made by buildah, skopeo, podman, docker, ctr, umoci;
 * see testdata/README.md), with and without a platform. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One image as the JSON of a listing that holds only it (format and request from head). */
static char *image_text(const ocidig_listing *head, const ocidig_list_image *img)
{
  ocidig_listing one = {.format = head->format, .request = head->request, .images = (ocidig_list_image *)img,
                        .n_images = 1};
  char *t = ocidig_listing_to_json(&one, false);
  ck_assert_ptr_nonnull(t);
  return t;
}

typedef struct seen {
  char **texts;
  size_t n;
  size_t stop_at; /* 1-based: the function fails on that image (0: never) */
} seen;

static ocidig_code see_image(void *ctx, const ocidig_listing *head, ocidig_list_image *img, ocidig_error *err)
{
  seen *s = ctx;
  ck_assert_ptr_null(head->images); /* the head: no images in it */
  s->texts = realloc(s->texts, (s->n + 1) * sizeof *s->texts);
  ck_assert_ptr_nonnull(s->texts);
  s->texts[s->n++] = image_text(head, img);
  if (s->stop_at && s->n == s->stop_at) {
    err->code = OCIDIG_ERR_OUTPUT;
    snprintf(err->message, sizeof err->message, "stopped here");
    return OCIDIG_ERR_OUTPUT;
  }
  return OCIDIG_OK;
}

static void seen_free(seen *s)
{
  for (size_t i = 0; i < s->n; i++)
    free(s->texts[i]);
  free(s->texts);
}

typedef struct text {
  char *s;
  size_t len;
} text;

static ocidig_code text_sink(void *ctx, const void *buf, size_t len, ocidig_error *err)
{
  text *t = ctx;
  (void)err;
  t->s = realloc(t->s, t->len + len + 1);
  ck_assert_ptr_nonnull(t->s);
  memcpy(t->s + t->len, buf, len);
  t->len += len;
  t->s[t->len] = '\0';
  return OCIDIG_OK;
}

static void same_summary(const ocidig_listing *a, const ocidig_listing *b, const char *what)
{
  ck_assert_msg(a->format == b->format && a->n_images == b->n_images && a->n_blobs == b->n_blobs &&
                    a->total_bytes == b->total_bytes && a->n_shared == b->n_shared &&
                    a->shared_bytes == b->shared_bytes && a->n_unreferenced == b->n_unreferenced &&
                    a->unreferenced_bytes == b->unreferenced_bytes && a->n_missing == b->n_missing &&
                    a->n_errors == b->n_errors && a->n_warnings == b->n_warnings,
                "%s: the summaries differ", what);
  ck_assert_str_eq(a->request ? a->request : "-", b->request ? b->request : "-");
  for (size_t i = 0; i < a->n_warnings; i++)
    ck_assert_str_eq(a->warnings[i], b->warnings[i]);
}

static void check_layout(const char *path, const char *platform)
{
  ocidig_layout *whole_l, *l;
  ocidig_listing *whole = NULL, *sum = NULL, *sum2 = NULL, *sum3 = NULL;
  ocidig_matcher *m = NULL;
  ocidig_list_options o = {0};
  ocidig_json_member head[] = {{"schemaVersion", "1"}};
  ocidig_json_options jo = {.pretty = true, .head = head, .n_head = 1};
  ocidig_error e;
  seen first = {0}, second = {0}, stopped = {.stop_at = 1};
  text streamed = {0}, kept = {0};
  char what[600];

  snprintf(what, sizeof what, "%s (%s)", path, platform ? platform : "every platform");
  if (platform) {
    ocidig_platform p = {0};
    ck_assert_int_eq(ocidig_platform_parse(platform, NULL, &p, &e), OCIDIG_OK);
    ck_assert_int_eq(ocidig_matcher_new(OCIDIG_MATCHER_ONLY, &p, 1, NULL, &m, &e), OCIDIG_OK);
    ocidig_platform_clear(&p);
    o.matcher = m;
  }
  /* the whole listing, from a layout of its own */
  ck_assert_msg(ocidig_layout_open(path, NULL, &whole_l, &e) == OCIDIG_OK, "%s: %s", what, e.message);
  ck_assert_msg(ocidig_layout_list(whole_l, &o, &whole, &e) == OCIDIG_OK, "%s: %s", what, e.message);
  ck_assert_msg(ocidig_listing_write_json(whole, &jo, text_sink, &kept, &e) == OCIDIG_OK, "%s", what);

  /* one image at a time, twice over one layout, then as JSON over it a third time */
  ck_assert_int_eq(ocidig_layout_open(path, NULL, &l, &e), OCIDIG_OK);
  ck_assert_msg(ocidig_layout_list_each(l, &o, see_image, &first, &sum, &e) == OCIDIG_OK, "%s: %s", what, e.message);
  ck_assert_msg(ocidig_layout_list_each(l, &o, see_image, &second, &sum2, &e) == OCIDIG_OK, "%s", what);
  ck_assert_ptr_null(sum->images);
  ck_assert_uint_eq(first.n, whole->n_images);
  ck_assert_uint_eq(second.n, whole->n_images);
  for (size_t i = 0; i < whole->n_images; i++) {
    char *t = image_text(whole, &whole->images[i]);
    ck_assert_msg(!strcmp(first.texts[i], t), "%s: image %zu differs:\n%s\n%s", what, i, first.texts[i], t);
    ck_assert_msg(!strcmp(second.texts[i], t), "%s: image %zu differs the second time", what, i);
    free(t);
  }
  same_summary(sum, whole, what);
  same_summary(sum2, whole, what);
  ck_assert_int_eq(ocidig_layout_list_write_json(l, &o, &jo, text_sink, &streamed, &sum3, &e), OCIDIG_OK);
  ck_assert_ptr_nonnull(sum3);
  same_summary(sum3, whole, what);
  ck_assert_msg(!strcmp(streamed.s, kept.s), "%s: the JSON written as it is made differs", what);

  /* the function's error is the listing's, and nothing comes after it */
  if (whole->n_images) {
    ocidig_listing *none = (ocidig_listing *)1;
    ck_assert_int_eq(ocidig_layout_list_each(l, &o, see_image, &stopped, &none, &e), OCIDIG_ERR_OUTPUT);
    ck_assert_ptr_null(none);
    ck_assert_uint_eq(stopped.n, 1);
    ck_assert_str_eq(e.message, "stopped here");
  }
  seen_free(&first);
  seen_free(&second);
  seen_free(&stopped);
  free(streamed.s);
  free(kept.s);
  ocidig_listing_free(whole);
  ocidig_listing_free(sum);
  ocidig_listing_free(sum2);
  ocidig_listing_free(sum3);
  ocidig_layout_close(l);
  ocidig_layout_close(whole_l);
  ocidig_matcher_free(m);
}

START_TEST(test_samples)
{
  static const char *const samples[] = {
    "buildah-multiarch",        "buildah-multiarch.oci-archive.tar", "buildah-arm64.docker-archive.tar",
    "docker-save-legacy-build.tar", "docker-save-by-id.tar",       "containerd-export-allplatforms.tar",
    "podman-save-ocidir",       "podman-save.docker-archive.tar",    "umoci-multitag",
    "skopeo-v2-zstd",           "variant-multiarch.tar.gz",          "variant-multiarch-indexlast.tar"};
  static const char *const platforms[] = {NULL, "linux/arm64", "linux/amd64"};
  for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
    for (size_t k = 0; k < sizeof platforms / sizeof platforms[0]; k++) {
      char path[512];
      snprintf(path, sizeof path, "%s/samples/%s", TESTDATA, samples[i]);
      check_layout(path, platforms[k]);
    }
}
END_TEST

/* Fixtures of testdata/verify whose listings hold errors, missing blobs, attestations. */
START_TEST(test_broken)
{
  static const char *const layouts[] = {"blob-unreferenced", "size-wrong", "unknown-media-type", "schema-version",
                                        "ref-name-invalid", "sparse-platform", "data-mismatch", "field-type"};
  for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/verify/%s", TESTDATA, layouts[i]);
    check_layout(path, NULL);
    check_layout(path, "linux/arm64");
  }
}
END_TEST

START_TEST(test_usage)
{
  ocidig_listing *out = (ocidig_listing *)1;
  ocidig_layout *l;
  ocidig_error e;
  char path[512];
  snprintf(path, sizeof path, "%s/samples/umoci-multitag", TESTDATA);
  ck_assert_int_eq(ocidig_layout_open(path, NULL, &l, &e), OCIDIG_OK);
  ck_assert_int_eq(ocidig_layout_list_each(l, NULL, NULL, NULL, &out, &e), OCIDIG_ERR_USAGE);
  ck_assert_ptr_null(out);
  ck_assert_int_eq(ocidig_layout_list_write_json(NULL, NULL, NULL, text_sink, NULL, NULL, &e), OCIDIG_ERR_USAGE);
  ocidig_layout_close(l);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("list_each");
  TCase *tc = tcase_create("list_each");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_samples);
  tcase_add_test(tc, test_broken);
  tcase_add_test(tc, test_usage);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
