/* check_verify_json.c: a verify report written as it is made (ocidig_verify_report_write_json)
 * is the text of ocidig_verify_report_to_json (whose text cli_verify.sh and the other CLI
 * suites hold to their expectations), with the caller's members before and after the
 * report's own, handed over in pieces of about 64 KiB that each end between two values; a
 * sink's error stops the writing and is the call's error.  Over the layouts of
 * testdata/verify (findings of every kind, missing blobs, docker save archives) and
 * testdata/samples (made by buildah, skopeo, podman, docker; see testdata/README.md), and a
 * layout of 3,000 images written here, each missing its config. */
#include "testutil.h"

#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const ocidig_json_member head[] = {{"tool", "\"ocidig \\\"test\\\"\""}};
static const ocidig_json_member tail[] = {{"done", "true"}, {"n", "2"}};

/* text, with head's member right after its opening brace and tail's before its last. */
static char *wrapped(const char *text, bool pretty)
{
  char *out;
  const char *close = strrchr(text, '}');
  ck_assert_ptr_nonnull(close);
  ck_assert(asprintf(&out,
                     pretty ? "{\n  \"tool\": \"ocidig \\\"test\\\"\",%.*s,\n  \"done\": true,\n  \"n\": 2\n}"
                            : "{\"tool\":\"ocidig \\\"test\\\"\",%.*s,\"done\":true,\"n\":2}",
                     (int)(close - text - 1 - (pretty ? 1 : 0)), text + 1) > 0);
  return out;
}

static ocidig_verify_report *verify(const char *path, const char *platform)
{
  ocidig_layout *l;
  ocidig_verify_report *r = NULL;
  ocidig_matcher *m = NULL;
  ocidig_error e;
  ocidig_open_options oo = {.flags = OCIDIG_OPEN_HASH_BLOBS};
  ck_assert_msg(ocidig_layout_open(path, &oo, &l, &e) == OCIDIG_OK, "%s: %s", path, e.message);
  if (platform) {
    ocidig_platform p = {0};
    ck_assert_int_eq(ocidig_platform_parse(platform, NULL, &p, &e), OCIDIG_OK);
    ck_assert_int_eq(ocidig_matcher_new(OCIDIG_MATCHER_ONLY, &p, 1, NULL, &m, &e), OCIDIG_OK);
    ocidig_platform_clear(&p);
  }
  {
    ocidig_verify_options vo = {.matcher = m};
    ocidig_layout_verify(l, &vo, &r, &e);
  }
  ck_assert_msg(r != NULL, "%s: no report", path);
  ocidig_matcher_free(m);
  ocidig_layout_close(l);
  return r;
}

static void check_report(const ocidig_verify_report *r, bool pretty)
{
  ocidig_json_options o = {.pretty = pretty, .head = head, .n_head = 1, .tail = tail, .n_tail = 2};
  tu_collect c = {0}, plain = {0}, failing = {.fail_after = 1};
  ocidig_error e;
  char *text = ocidig_verify_report_to_json(r, pretty), *want, *flat;
  json_object *parsed;

  ck_assert_ptr_nonnull(text);
  ck_assert_int_eq(ocidig_verify_report_write_json(r, &o, tu_collect_sink, &c, &e), OCIDIG_OK);
  want = wrapped(text, pretty);
  ck_assert_str_eq(c.text, want);
  parsed = json_tokener_parse(c.text); /* the streamed text is one JSON document */
  ck_assert_ptr_nonnull(parsed);
  ck_assert_int_eq(json_object_get_int(json_object_object_get(parsed, "n")), 2);
  ck_assert_uint_eq(json_object_array_length(json_object_object_get(parsed, "findings")), r->n_findings);
  ck_assert_uint_eq(json_object_array_length(json_object_object_get(parsed, "images")), r->n_images);
  json_object_put(parsed);

  ck_assert_int_eq(ocidig_verify_report_write_json(r, NULL, tu_collect_sink, &plain, &e), OCIDIG_OK);
  flat = ocidig_verify_report_to_json(r, false);
  ck_assert_str_eq(plain.text, flat);

  ck_assert_int_eq(ocidig_verify_report_write_json(r, &o, tu_collect_sink, &failing, &e), OCIDIG_ERR_OUTPUT);
  ck_assert_str_eq(e.message, "the reader went away");
  ck_assert_uint_eq(failing.pieces, 1); /* nothing more after the error */
  free(flat);
  free(want);
  free(text);
  free(c.text);
  free(plain.text);
}

START_TEST(test_fixtures)
{
  static const char *const layouts[] = {
      "verify/clean",           "verify/config-missing",           "verify/layer-tampered",
      "verify/index-cycle",     "verify/sparse-platform",          "verify/duplicate-key",
      "verify/index-json-invalid", "verify/docker-layer-tampered.tar", "verify/docker-repositories-mismatch.tar",
      "verify/attestation-subject-missing", "samples/buildah-multiarch", "samples/containerd-export-allplatforms.tar",
      "samples/docker-save-legacy-build.tar", "samples/skopeo-v2-zstd"};
  for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", TESTDATA, layouts[i]);
    for (int pass = 0; pass < 2; pass++) {
      ocidig_verify_report *r = verify(path, pass ? "linux/arm64" : NULL);
      check_report(r, false);
      check_report(r, true);
      ocidig_verify_report_free(r);
    }
  }
}
END_TEST

/* The streamed text of fixtures whose content is known from how they were made
 * (tests/verify/mkfixtures.py, testdata/verify/MANIFEST: one mutation each), pinned against
 * fixed text: the comparison with ocidig_verify_report_to_json above holds for any text both
 * make, since both are written by one function. */
static json_object *streamed(const char *name, tu_collect *c)
{
  char path[512];
  ocidig_json_options o = {.pretty = false, .head = head, .n_head = 1, .tail = tail, .n_tail = 2};
  ocidig_error e;
  ocidig_verify_report *r;
  json_object *j;
  snprintf(path, sizeof path, "%s/verify/%s", TESTDATA, name);
  r = verify(path, NULL);
  ck_assert_int_eq(ocidig_verify_report_write_json(r, &o, tu_collect_sink, c, &e), OCIDIG_OK);
  ocidig_verify_report_free(r);
  ck_assert_ptr_nonnull(j = json_tokener_parse(c->text));
  return j;
}

static const char *jstr(json_object *o, const char *key)
{
  json_object *v = json_object_object_get(o, key);
  return v ? json_object_get_string(v) : "(absent)";
}

/* Does a finding of that code and severity exist? */
static bool has_finding(json_object *j, const char *code, const char *severity)
{
  json_object *f = json_object_object_get(j, "findings");
  for (size_t i = 0; f && i < json_object_array_length(f); i++) {
    json_object *x = json_object_array_get_idx(f, i);
    if (!strcmp(jstr(x, "code"), code) && !strcmp(jstr(x, "severity"), severity))
      return true;
  }
  return false;
}

START_TEST(test_pinned)
{
  tu_collect c = {0};
  json_object *j = streamed("clean", &c), *im, *rows, *sum;
  /* the caller's members first and last, the report's own between them */
  ck_assert_str_eq(strstr(c.text, "{\"tool\":\"ocidig \\\"test\\\"\",\"schemaVersion\":1,\"source\":") ? "yes" : c.text,
                   "yes");
  ck_assert_str_eq(c.text + c.len - strlen(",\"done\":true,\"n\":2}"), ",\"done\":true,\"n\":2}");
  ck_assert_ptr_eq(strstr(c.text, "{\"tool\""), c.text);
  ck_assert_str_eq(jstr(j, "format"), "oci");
  /* clean: one index.json entry, an index of linux/amd64 and linux/arm64/v8 and an attestation */
  ck_assert_uint_eq(json_object_array_length(json_object_object_get(j, "findings")), 0);
  ck_assert_uint_eq(json_object_array_length(json_object_object_get(j, "images")), 1);
  im = json_object_array_get_idx(json_object_object_get(j, "images"), 0);
  ck_assert_str_eq(jstr(im, "mediaType"), "application/vnd.oci.image.index.v1+json");
  ck_assert_str_eq(jstr(im, "complete"), "true");
  rows = json_object_object_get(im, "platforms");
  ck_assert_uint_eq(json_object_array_length(rows), 3);
  ck_assert_str_eq(jstr(json_object_array_get_idx(rows, 0), "platform"), "linux/amd64");
  ck_assert_str_eq(jstr(json_object_array_get_idx(rows, 1), "platform"), "linux/arm64/v8");
  /* a manifest, its config and two layers, all there */
  ck_assert_str_eq(jstr(json_object_array_get_idx(rows, 0), "blobs"), "4");
  ck_assert_str_eq(jstr(json_object_array_get_idx(rows, 0), "present"), "4");
  ck_assert_str_eq(jstr(json_object_array_get_idx(rows, 0), "unverified"), "0");
  sum = json_object_object_get(j, "summary");
  ck_assert_str_eq(jstr(sum, "errors"), "0");
  ck_assert_str_eq(jstr(sum, "blobsMissing"), "0");
  json_object_put(j);
  free(c.text);

  memset(&c, 0, sizeof c);
  j = streamed("layer-tampered", &c); /* one flipped byte of a layer */
  ck_assert(has_finding(j, "digest-mismatch", "error"));
  ck_assert_str_eq(jstr(json_object_object_get(j, "summary"), "errors"), "1");
  json_object_put(j);
  free(c.text);

  memset(&c, 0, sizeof c);
  j = streamed("config-missing", &c); /* a config removed */
  ck_assert(has_finding(j, "image-incomplete", "warning"));
  im = json_object_array_get_idx(json_object_object_get(j, "images"), 0);
  ck_assert_str_eq(jstr(im, "complete"), "false");
  ck_assert_str_eq(jstr(json_object_object_get(j, "summary"), "blobsMissing"), "1");
  json_object_put(j);
  free(c.text);
}
END_TEST

START_TEST(test_null)
{
  ocidig_error e;
  tu_collect c = {0};
  ck_assert_int_eq(ocidig_verify_report_write_json(NULL, NULL, tu_collect_sink, &c, &e), OCIDIG_ERR_USAGE);
  ck_assert_uint_eq(c.pieces, 0);
}
END_TEST

static void sha256_hex(const char *s, char hex[65])
{
  unsigned char md[32];
  unsigned int n = 0;
  ck_assert(EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL) == 1 && n == 32);
  for (int i = 0; i < 32; i++)
    snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* 3,000 images whose config is absent (a finding each): the text comes in pieces of about
 * 64 KiB, never whole. */
START_TEST(test_pieces)
{
  char *dir = tu_mkdtemp();
  ocidig_verify_report *r;
  tu_collect c = {0};
  ocidig_error e;
  char *text, *idx = NULL, chex[65];
  size_t idx_len = 0;
  FILE *ix = open_memstream(&idx, &idx_len);
  static const char config[] = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";

  sha256_hex(config, chex); /* the config is never written */
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
  tu_write(dir, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);

  r = verify(dir, NULL);
  ck_assert_uint_eq(r->n_images, 3000);
  ck_assert_uint_ge(r->n_findings, 3000);
  ck_assert_int_eq(ocidig_verify_report_write_json(r, NULL, tu_collect_sink, &c, &e), OCIDIG_OK);
  text = ocidig_verify_report_to_json(r, false);
  ck_assert_str_eq(c.text, text);
  ck_assert_uint_gt(c.pieces, c.len / (128 * 1024));
  ck_assert_uint_lt(c.max_piece, 80 * 1024);
  free(text);
  free(c.text);
  ocidig_verify_report_free(r);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("verify_json");
  TCase *t = tcase_create("write_json");
  tcase_set_timeout(t, 120);
  tcase_add_test(t, test_fixtures);
  tcase_add_test(t, test_pinned);
  tcase_add_test(t, test_null);
  tcase_add_test(t, test_pieces);
  suite_add_tcase(s, t);
  return tu_run(s);
}
