/* check_verify_data.c: a descriptor's inline "data" as verify reads it: standard base64 with
 * padding (RFC 4648 section 4, what the image spec's data is), decoded by OpenSSL.  A layout
 * copied from testdata/verify/clean whose index.json gives its entry a data field: the valid
 * encoding (made here by OpenSSL's encoder) is no finding; RFC 4648's test vectors decode to
 * their lengths (data-mismatch names the length); what RFC 4648 section 4 does not allow
 * (line breaks, whitespace, the URL alphabet, '=' in the middle, no padding) is field-type. */
#include "testutil.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENTRY_DIGEST "sha256:d8c5395f155f3631e5e11d15196a0dd2a4831058cf96f8a89f2ef32fb56395ca"
#define ENTRY_SIZE 883

static const char *const clean_files[] = {
    "oci-layout",
    "blobs/sha256/6c3bb41b20feed2f936dbb00619537716e7ddc00899892790109b765f7905d7e",
    "blobs/sha256/eba8ce8d475a3218ee903b32b96d8b80be456b1e6217aa71c612ce101251e0ea",
    "blobs/sha256/d8c5395f155f3631e5e11d15196a0dd2a4831058cf96f8a89f2ef32fb56395ca",
    "blobs/sha256/8ed06027d03c0b28727c309f232c221563a65fdf93ea1ec8b51e712444e87d75",
    "blobs/sha256/44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
    "blobs/sha256/2e2f5191f73267503f42af9a46cb80a6c2f4ea4292b0d308a6f0bc3ecf422914",
    "blobs/sha256/241de3ecb09d65dd6954a1926a353c1d8f4004b9778a694b69348d4ae6fff2d6",
    "blobs/sha256/a50fb322d89861a049b917c87d773562433ac33c1ffdd18ba81418d7ffbab511",
    "blobs/sha256/0c68a42fb56b1f53f604128822bf4817817b8051d4a917e391b62240329698df",
    "blobs/sha256/f5c590efdbc2882569a408df6d4db513eaacc68bce741aa9b0c80df5672fb35c",
    "blobs/sha256/d1b499d80f93a735745c3b46745c32f0fea316a85868e7f847d2c405b71fb723",
    NULL,
};

/* A copy of testdata/verify/clean without its index.json. */
static char *clean_copy(void)
{
  char *dir = tu_mkdtemp();
  for (int i = 0; clean_files[i]; i++) {
    char path[4096];
    size_t len;
    char *data;
    snprintf(path, sizeof path, "%s/verify/clean/%s", TESTDATA, clean_files[i]);
    data = tu_read_file(path, &len);
    tu_write(dir, clean_files[i], data, len);
    free(data);
  }
  return dir;
}

/* Base64 of bytes by OpenSSL's encoder (one line, padded). */
static char *encode(const unsigned char *data, size_t len)
{
  char *out = malloc(len / 3 * 4 + 8);
  ck_assert_ptr_nonnull(out);
  EVP_EncodeBlock((unsigned char *)out, data, (int)len);
  return out;
}

static ocidig_verify_report *verify_dir(const char *dir)
{
  ocidig_layout *l = NULL;
  ocidig_verify_report *r = NULL;
  ocidig_error err;
  ck_assert_int_eq(ocidig_layout_open(dir, NULL, &l, &err), OCIDIG_OK);
  ocidig_verify(l, NULL, &r, &err);
  ck_assert_ptr_nonnull(r);
  ocidig_layout_close(l);
  return r;
}

/* Verifies the clean layout whose index.json entry has "data": data_json (a JSON string
 * literal, quotes included). */
static ocidig_verify_report *with_data(const char *data_json)
{
  char *dir = clean_copy(), *idx;
  ocidig_verify_report *r;
  size_t n = strlen(data_json) + 512;
  idx = malloc(n);
  ck_assert_ptr_nonnull(idx);
  snprintf(idx, n,
           "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[{"
           "\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"digest\":\"%s\",\"size\":%d,\"data\":%s}]}",
           ENTRY_DIGEST, ENTRY_SIZE, data_json);
  tu_write(dir, "index.json", idx, strlen(idx));
  r = verify_dir(dir);
  free(idx);
  tu_rmtree(dir);
  free(dir);
  return r;
}

static const ocidig_finding *only_finding(const ocidig_verify_report *r, const char *what)
{
  if (r->n_findings != 1)
    for (size_t i = 0; i < r->n_findings; i++)
      fprintf(stderr, "%s: %s %s\n", what, r->findings[i].code, r->findings[i].message);
  ck_assert_msg(r->n_findings == 1, "%s: %zu findings, expected 1", what, r->n_findings);
  return &r->findings[0];
}

START_TEST(test_valid_encoding)
{
  char path[4096], *json, *b64;
  size_t len;
  unsigned char *bytes;
  ocidig_verify_report *r;
  snprintf(path, sizeof path, "%s/verify/clean/blobs/sha256/%s", TESTDATA, ENTRY_DIGEST + 7);
  bytes = (unsigned char *)tu_read_file(path, &len);
  ck_assert_uint_eq(len, ENTRY_SIZE);
  b64 = encode(bytes, len);
  json = malloc(strlen(b64) + 3);
  sprintf(json, "\"%s\"", b64);
  r = with_data(json);
  for (size_t i = 0; i < r->n_findings; i++)
    fprintf(stderr, "valid: %s %s\n", r->findings[i].code, r->findings[i].message);
  ck_assert_uint_eq(r->n_findings, 0);
  ocidig_verify_report_free(r);
  free(json);
  free(b64);
  free(bytes);
}
END_TEST

/* RFC 4648 section 10's vectors: the decoded length is what data-mismatch names. */
static const struct {
  const char *json;
  unsigned bytes;
} vectors[] = {
    {"\"\"", 0}, {"\"Zg==\"", 1}, {"\"Zm8=\"", 2}, {"\"Zm9v\"", 3}, {"\"Zm9vYg==\"", 4}, {"\"Zm9vYmE=\"", 5},
    {"\"Zm9vYmFy\"", 6},
};

START_TEST(test_vector_lengths)
{
  ocidig_verify_report *r = with_data(vectors[_i].json);
  const ocidig_finding *f = only_finding(r, vectors[_i].json);
  char want[128];
  snprintf(want, sizeof want, "inline data is %u bytes; the descriptor's size is %d", vectors[_i].bytes, ENTRY_SIZE);
  ck_assert_str_eq(f->code, "data-mismatch");
  ck_assert_msg(strstr(f->message, want) != NULL, "%s: %s; expected %s", vectors[_i].json, f->message, want);
  ocidig_verify_report_free(r);
}
END_TEST

/* Not RFC 4648 section 4's standard base64 with padding. */
static const char *const invalid[] = {
    "\"Zg\"",          /* no padding */
    "\"Zg=\"",         /* short padding */
    "\"Zg===\"",       /* too much */
    "\"Z===\"",        /* three pads */
    "\"====\"",        /* only pads */
    "\"Z=g=\"",        /* '=' in the middle (EVP_DecodeBlock alone takes it) */
    "\"Zg==Zm8=\"",    /* padding inside */
    "\" Zm9v\"",       /* leading space (EVP_DecodeBlock alone skips it) */
    "\"Zm9v \"",       /* trailing space */
    "\"Zm9v\\n\"",     /* trailing line break */
    "\"Zm9v\\r\\n\"",  /* trailing CRLF */
    "\"Zm9v\\nZm9v\"", /* a line break inside (MIME) */
    "\"Zm9v-\"",       /* EVP_DecodeBlock's end-of-data mark */
    "\"Zm9-\"",        /* the URL alphabet */
    "\"Zm_v\"",        /* the URL alphabet */
    "\"Zm9\\u0000\"",  /* a NUL */
    "\"Z\\u00e99\"",  /* not ASCII (Z, two bytes, 9) */
};

START_TEST(test_invalid)
{
  ocidig_verify_report *r = with_data(invalid[_i]);
  const ocidig_finding *f = only_finding(r, invalid[_i]);
  ck_assert_str_eq(f->code, "field-type");
  ck_assert_msg(strstr(f->message, "\"data\" is not valid standard base64") != NULL, "%s: %s", invalid[_i],
                f->message);
  ocidig_verify_report_free(r);
}
END_TEST

/* A blob of 900,000 bytes inline: 1,200,000 characters of base64, decoded in more than one
 * piece (EVP_DecodeBlock takes an int; the decoder goes by 1 MiB). */
START_TEST(test_large)
{
  const size_t n = 900000;
  unsigned char *blob = malloc(n), md[EVP_MAX_MD_SIZE];
  unsigned md_len = 0;
  char hex[65], rel[128], *b64, *idx, *dir = clean_copy();
  ocidig_verify_report *r;
  size_t cap;
  ck_assert_ptr_nonnull(blob);
  for (size_t i = 0; i < n; i++)
    blob[i] = (unsigned char)(i * 131 + (i >> 9));
  ck_assert_int_eq(EVP_Digest(blob, n, md, &md_len, EVP_sha256(), NULL), 1);
  for (unsigned i = 0; i < md_len; i++)
    sprintf(hex + 2 * i, "%02x", md[i]);
  snprintf(rel, sizeof rel, "blobs/sha256/%s", hex);
  tu_write(dir, rel, blob, n);
  b64 = encode(blob, n);
  ck_assert_uint_gt(strlen(b64), (size_t)1 << 20);
  cap = strlen(b64) + 1024;
  idx = malloc(cap);
  snprintf(idx, cap,
           "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"digest\":"
           "\"%s\",\"size\":%d},{\"mediaType\":\"application/octet-stream\",\"digest\":\"sha256:%s\",\"size\":%zu,"
           "\"data\":\"%s\"}]}",
           ENTRY_DIGEST, ENTRY_SIZE, hex, n, b64);
  tu_write(dir, "index.json", idx, strlen(idx));
  r = verify_dir(dir);
  /* the octet-stream child is checked as a blob: one info finding, nothing about its data */
  ck_assert_str_eq(only_finding(r, "large")->code, "unknown-media-type");
  ocidig_verify_report_free(r);
  /* one byte of the encoding changed: the decoded bytes no longer hash to the digest */
  b64[700000] = b64[700000] == 'A' ? 'B' : 'A';
  snprintf(idx, cap,
           "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/octet-stream\",\"digest\":\"sha256:%s\","
           "\"size\":%zu,\"data\":\"%s\"}]}",
           hex, n, b64);
  tu_write(dir, "index.json", idx, strlen(idx));
  r = verify_dir(dir);
  {
    bool mismatch = false;
    for (size_t i = 0; i < r->n_findings; i++)
      mismatch = mismatch || (!strcmp(r->findings[i].code, "data-mismatch") &&
                              strstr(r->findings[i].message, "inline data hashes to sha256:"));
    ck_assert_msg(mismatch, "large, one character changed: no data-mismatch");
  }
  ocidig_verify_report_free(r);
  tu_rmtree(dir);
  free(dir);
  free(idx);
  free(b64);
  free(blob);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("verify data");
  TCase *tc = tcase_create("base64");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_valid_encoding);
  tcase_add_loop_test(tc, test_vector_lengths, 0, (int)(sizeof vectors / sizeof *vectors));
  tcase_add_loop_test(tc, test_invalid, 0, (int)(sizeof invalid / sizeof *invalid));
  tcase_add_test(tc, test_large);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
