/* check_json_out.c: the reports written as they are made (ocidig_listing_write_json,
 * ocidig_resolution_write_json): the same text as their *_to_json twins, with the caller's
 * members before and after the report's own, handed over in pieces that each end between
 * two values; a sink's error stops the writing and is the call's error.  Over the layouts
 * of testdata/samples (made by buildah, skopeo, podman, docker; see testdata/README.md) and
 * a layout of 3,000 images written here. */
#include "testutil.h"

#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static void sha256_hex(const char *s, char hex[65])
{
  unsigned char md[32];
  unsigned int n = 0;
  ck_assert(EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL) == 1 && n == 32);
  for (int i = 0; i < 32; i++)
    snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static const ocidig_json_member head[] = {{"schemaVersion", "1"}, {"source", "\"a \\\"quoted\\\" path\""}};
static const ocidig_json_member tail[] = {{"strict", "false"}};

/* text, with head's members right after its opening brace and tail's before its last. */
static char *wrapped(const char *text, bool pretty)
{
  char *out;
  const char *close = strrchr(text, '}');
  ck_assert_ptr_nonnull(close);
  ck_assert(asprintf(&out, pretty ? "{\n  \"schemaVersion\": 1,\n  \"source\": \"a \\\"quoted\\\" path\",%.*s,\n  \"strict\": false\n}"
                                  : "{\"schemaVersion\":1,\"source\":\"a \\\"quoted\\\" path\",%.*s,\"strict\":false}",
                     (int)(close - text - 1 - (pretty ? 1 : 0)), text + 1) > 0);
  return out;
}

static void check_listing(const char *path, bool pretty)
{
  ocidig_layout *l;
  ocidig_listing *li = NULL;
  ocidig_error e;
  ocidig_json_options o = {.pretty = pretty, .head = head, .n_head = 2, .tail = tail, .n_tail = 1};
  tu_collect c = {0}, plain = {0}, failing = {.fail_after = 1};
  char *text, *want;
  ck_assert_msg(ocidig_layout_open(path, NULL, &l, &e) == OCIDIG_OK, "%s: %s", path, e.message);
  ck_assert_msg(ocidig_layout_list(l, NULL, &li, &e) == OCIDIG_OK, "%s: %s", path, e.message);
  text = ocidig_listing_to_json(li, pretty);
  ck_assert_ptr_nonnull(text);
  ck_assert_int_eq(ocidig_listing_write_json(li, &o, tu_collect_sink, &c, &e), OCIDIG_OK);
  want = wrapped(text, pretty);
  ck_assert_str_eq(c.text, want);
  {
    json_object *parsed = json_tokener_parse(c.text); /* the streamed text is one JSON document */
    ck_assert_ptr_nonnull(parsed);
    json_object_put(parsed);
  }
  ck_assert_int_eq(ocidig_listing_write_json(li, NULL, tu_collect_sink, &plain, &e), OCIDIG_OK);
  {
    char *flat = ocidig_listing_to_json(li, false);
    ck_assert_str_eq(plain.text, flat);
    free(flat);
  }
  ck_assert_int_eq(ocidig_listing_write_json(li, &o, tu_collect_sink, &failing, &e), OCIDIG_ERR_OUTPUT);
  ck_assert_str_eq(e.message, "the reader went away");
  ck_assert_uint_eq(failing.pieces, 1); /* nothing more after the error */
  free(want);
  free(text);
  free(c.text);
  free(plain.text);
  ocidig_listing_free(li);
  ocidig_layout_close(l);
}

static void check_resolution(const char *path, const char *platform, bool pretty)
{
  ocidig_layout *l;
  ocidig_resolution *r = NULL;
  ocidig_matcher *m = NULL;
  ocidig_error e;
  ocidig_json_options o = {.pretty = pretty, .head = head, .n_head = 2, .tail = tail, .n_tail = 1};
  tu_collect c = {0}, plain = {0};
  char *text, *want;
  ck_assert_int_eq(ocidig_layout_open(path, NULL, &l, &e), OCIDIG_OK);
  if (platform) {
    ocidig_platform p = {0};
    ck_assert_int_eq(ocidig_platform_parse(platform, NULL, &p, &e), OCIDIG_OK);
    ck_assert_int_eq(ocidig_matcher_new(OCIDIG_MATCHER_ONLY, &p, 1, NULL, &m, &e), OCIDIG_OK);
    ocidig_platform_clear(&p);
  }
  {
    ocidig_resolve_options ro = {.matcher = m};
    ocidig_layout_resolve(l, &ro, &r, &e);
  }
  ck_assert_ptr_nonnull(r);
  text = ocidig_resolution_to_json(r, pretty);
  ck_assert_int_eq(ocidig_resolution_write_json(r, &o, tu_collect_sink, &c, &e), OCIDIG_OK);
  want = wrapped(text, pretty);
  ck_assert_str_eq(c.text, want);
  ck_assert_int_eq(ocidig_resolution_write_json(r, NULL, tu_collect_sink, &plain, &e), OCIDIG_OK);
  {
    char *flat = ocidig_resolution_to_json(r, false);
    ck_assert_str_eq(plain.text, flat);
    free(flat);
  }
  free(want);
  free(text);
  free(c.text);
  free(plain.text);
  ocidig_resolution_free(r);
  ocidig_matcher_free(m);
  ocidig_layout_close(l);
}

START_TEST(test_samples)
{
  static const char *const samples[] = {"buildah-multiarch", "buildah-multiarch.oci-archive.tar",
                                        "docker-save-legacy-build.tar", "containerd-export-allplatforms.tar",
                                        "umoci-multitag", "skopeo-v2-zstd"};
  for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/samples/%s", TESTDATA, samples[i]);
    for (int pretty = 0; pretty < 2; pretty++) {
      check_listing(path, pretty);
      check_resolution(path, NULL, pretty);
      check_resolution(path, "linux/arm64", pretty);
    }
  }
}
END_TEST

/* 3,000 images (one manifest and config each, no layer): the text comes in pieces of
 * about 64 KiB, never whole. */
START_TEST(test_pieces)
{
  char *dir = tu_mkdtemp();
  char path[4200];
  ocidig_layout *l;
  ocidig_listing *li = NULL;
  ocidig_error e;
  tu_collect c = {0};
  char *text;
  static const char config[] = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
  char chex[65];
  sha256_hex(config, chex);
  snprintf(path, sizeof path, "blobs/sha256/%s", chex);
  tu_write(dir, path, config, strlen(config));
  {
    /* the manifests, then index.json naming them */
    char *idx = NULL;
    size_t idx_len = 0;
    FILE *ix = open_memstream(&idx, &idx_len);
    fputs("{\"schemaVersion\":2,\"manifests\":[", ix);
    for (int i = 0; i < 3000; i++) {
      char man[512], mhex[65], rel[128];
      int n = snprintf(man, sizeof man,
                       "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                       "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":"
                       "\"sha256:%s\",\"size\":%zu},\"layers\":[],\"annotations\":{\"n\":\"%d\"}}",
                       chex, strlen(config), i);
      sha256_hex(man, mhex);
      snprintf(rel, sizeof rel, "blobs/sha256/%s", mhex);
      tu_write(dir, rel, man, (size_t)n);
      fprintf(ix,
              "%s{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:%s\","
              "\"size\":%d,\"annotations\":{\"org.opencontainers.image.ref.name\":\"r%04d\"}}",
              i ? "," : "", mhex, n, i);
    }
    fputs("]}", ix);
    fclose(ix);
    tu_write(dir, "index.json", idx, idx_len);
    free(idx);
  }
  tu_write(dir, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
  ck_assert_msg(ocidig_layout_open(dir, NULL, &l, &e) == OCIDIG_OK, "%s", e.message);
  ck_assert_msg(ocidig_layout_list(l, NULL, &li, &e) == OCIDIG_OK, "%s", e.message);
  ck_assert_uint_eq(li->n_images, 3000);
  ck_assert_int_eq(ocidig_listing_write_json(li, NULL, tu_collect_sink, &c, &e), OCIDIG_OK);
  text = ocidig_listing_to_json(li, false);
  ck_assert_str_eq(c.text, text);
  ck_assert_uint_gt(c.pieces, c.len / (128 * 1024));
  ck_assert_uint_lt(c.max_piece, 80 * 1024);
  free(text);
  free(c.text);
  ocidig_listing_free(li);
  ocidig_layout_close(l);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("json_out");
  TCase *t = tcase_create("write_json");
  tcase_set_timeout(t, 120);
  tcase_add_test(t, test_samples);
  tcase_add_test(t, test_pieces);
  suite_add_tcase(s, t);
  return tu_run(s);
}
