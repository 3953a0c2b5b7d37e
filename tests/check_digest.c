/* check_digest.c: the OCI digest grammar and hashing.  Expected hashes are the
 * published test vectors (FIPS 180-2 "abc", and the empty string). */
#include "internal.h"
#include "testutil.h"

#include <string.h>

#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA256_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA512_ABC                                                                                            \
  "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"

static ocidig_code parse(const char *s, ocidig_digest *d, ocidig_error *e)
{
  return ocidig_digest_parse(s, strlen(s), d, e);
}

START_TEST(test_valid_sha256)
{
  ocidig_digest d;
  ocidig_error e;
  char buf[OCIDIG_DIGEST_STRING_MAX], path[OCIDIG_DIGEST_STRING_MAX + 8];
  ck_assert_int_eq(parse("sha256:" SHA256_ABC, &d, &e), OCIDIG_OK);
  ck_assert_int_eq(d.alg, OCIDIG_DIGEST_SHA256);
  ck_assert_str_eq(d.hex, SHA256_ABC);
  ocidig_digest_format(&d, buf);
  ck_assert_str_eq(buf, "sha256:" SHA256_ABC);
  ocidig_digest_blob_path(&d, path);
  ck_assert_str_eq(path, "blobs/sha256/" SHA256_ABC);
}
END_TEST

START_TEST(test_valid_sha512)
{
  ocidig_digest d;
  ck_assert_int_eq(parse("sha512:" SHA512_ABC, &d, NULL), OCIDIG_OK);
  ck_assert_int_eq(d.alg, OCIDIG_DIGEST_SHA512);
  ck_assert_str_eq(d.hex, SHA512_ABC);
}
END_TEST

static const struct {
  const char *input;
  ocidig_code code;
  const char *in_message;
} bad[] = {
  {"", OCIDIG_ERR_INVALID_DIGEST, "empty"},
  {SHA256_ABC, OCIDIG_ERR_INVALID_DIGEST, "no \":\" nor encoded part"},
  {"sha256", OCIDIG_ERR_INVALID_DIGEST, "no \":\" nor encoded part"},
  {"sha256:", OCIDIG_ERR_INVALID_DIGEST, "empty encoded"},
  {":" SHA256_ABC, OCIDIG_ERR_INVALID_DIGEST, "algorithm"},
  {"sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", OCIDIG_ERR_INVALID_DIGEST, "lowercase"},
  {"sha256:ba7816bf", OCIDIG_ERR_INVALID_DIGEST, "64"},
  {"sha256:" SHA256_ABC "00", OCIDIG_ERR_INVALID_DIGEST, "64"},
  {"sha256:../../../../etc/passwd", OCIDIG_ERR_INVALID_DIGEST, "bad character"},
  {"sha256:" SHA256_ABC "/../x", OCIDIG_ERR_INVALID_DIGEST, "bad character"},
  {"SHA256:" SHA256_ABC, OCIDIG_ERR_INVALID_DIGEST, "algorithm"},
  {"sha512:" SHA256_ABC, OCIDIG_ERR_INVALID_DIGEST, "128"},
  {"md5:d41d8cd98f00b204e9800998ecf8427e", OCIDIG_ERR_UNSUPPORTED_DIGEST_ALGORITHM, "unsupported"},
  {"sha384:abcd", OCIDIG_ERR_UNSUPPORTED_DIGEST_ALGORITHM, "unsupported"},
  {"sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564", OCIDIG_ERR_UNSUPPORTED_DIGEST_ALGORITHM, "unsupported"},
  {"sha256::" SHA256_ABC, OCIDIG_ERR_INVALID_DIGEST, "bad character"},
  {"-sha256:" SHA256_ABC, OCIDIG_ERR_INVALID_DIGEST, "algorithm"},
  {"sha256 :" SHA256_ABC, OCIDIG_ERR_INVALID_DIGEST, "algorithm"},
};

START_TEST(test_invalid)
{
  ocidig_digest d;
  ocidig_error e = {0};
  ck_assert_msg(parse(bad[_i].input, &d, &e) == bad[_i].code, "%s: got %s (%s)", bad[_i].input,
                ocidig_code_name(e.code), e.message);
  ck_assert_msg(strstr(e.message, bad[_i].in_message) != NULL, "%s: message '%s' lacks '%s'", bad[_i].input, e.message,
                bad[_i].in_message);
}
END_TEST

START_TEST(test_too_long_and_nul)
{
  char big[400];
  ocidig_digest d;
  ocidig_error e;
  memset(big, 'a', sizeof big);
  memcpy(big, "sha256:", 7);
  ck_assert_int_eq(ocidig_digest_parse(big, sizeof big, &d, &e), OCIDIG_ERR_INVALID_DIGEST);
  ck_assert_ptr_nonnull(strstr(e.message, "longer than"));
  /* An embedded NUL never passes for the shorter string. */
  ck_assert_int_eq(ocidig_digest_parse("sha256:" SHA256_ABC "\0x", 7 + 64 + 2, &d, &e), OCIDIG_ERR_INVALID_DIGEST);
}
END_TEST

/* Hashing through a layout: a blob whose bytes are "abc" is read and verified. */
START_TEST(test_hash_through_layout)
{
  char *dir = tu_mkdtemp();
  ocidig_layout *l;
  ocidig_digest d;
  ocidig_error e;
  uint8_t *data;
  size_t len;
  tu_write(dir, "blobs/sha256/" SHA256_ABC, "abc", 3);
  tu_write(dir, "blobs/sha256/" SHA256_EMPTY, "abd", 3);
  ck_assert_int_eq(ocidig_layout_open(dir, NULL, &l, &e), OCIDIG_OK);
  parse("sha256:" SHA256_ABC, &d, NULL);
  ck_assert_int_eq(ocidig_layout_read_blob(l, &d, 3, 1024, &data, &len, &e), OCIDIG_OK);
  ck_assert_mem_eq(data, "abc", 3);
  free(data);
  ck_assert_int_eq(ocidig_layout_read_blob(l, &d, 4, 1024, &data, &len, &e), OCIDIG_ERR_SIZE_MISMATCH);
  parse("sha256:" SHA256_EMPTY, &d, NULL);
  ck_assert_int_eq(ocidig_layout_read_blob(l, &d, 3, 1024, &data, &len, &e), OCIDIG_ERR_DIGEST_MISMATCH);
  ck_assert_msg(strstr(e.message, SHA256_EMPTY) && strstr(e.message, "hash to"), "%s", e.message);
  ocidig_layout_close(l);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* The hasher, inline and on its own thread (hasher.c, compiled in: it is internal).
 * 16 MiB + 12,345 bytes of 'a' fill the pipelined hasher's buffers several times over
 * and end on a partial one; fed in pieces that straddle its 1 MiB buffers.  Expected
 * digests from Python's hashlib. */
#define A_LEN (16u * 1024 * 1024 + 12345)
static const char *const a_sha256 = "e5d593fe6ee144aedb68d787576a7b8292527b86d78c128b38ffdae6bce4fb00";
static const char *const a_sha512 =
    "1d3bdd659ce8058b6a8eadfd939eb61598cb7d348680e5c33b8d2478f053901715047f49b3160df325b00635ffbd21"
    "18fb81f2e9fb9f4d686e094f619ca523a5";

START_TEST(test_hasher_modes)
{
  static const size_t pieces[] = {1, 7, 65536, 1048575, 3 * 1048576 + 3, 300000};
  uint8_t *a = malloc(A_LEN);
  ck_assert_ptr_nonnull(a);
  memset(a, 'a', A_LEN);
  for (int pipelined = 0; pipelined < 2; pipelined++) {
    for (int alg = 0; alg < 2; alg++) {
      ocidig_digest_alg da = alg ? OCIDIG_DIGEST_SHA512 : OCIDIG_DIGEST_SHA256;
      oci_hasher *h = pipelined ? oci_hasher_new_pipelined(da) : oci_hasher_new(da);
      char hex[129];
      size_t done = 0, k = 0;
      ck_assert_ptr_nonnull(h);
      while (done < A_LEN) {
        size_t n = pieces[k++ % (sizeof pieces / sizeof pieces[0])];
        if (n > A_LEN - done)
          n = A_LEN - done;
        oci_hasher_update(h, a + done, n);
        done += n;
      }
      oci_hasher_final_hex(h, hex);
      ck_assert_str_eq(hex, alg ? a_sha512 : a_sha256);
      oci_hasher_free(h);
    }
  }
  /* Freed without a final (an error path): the thread ends, nothing leaks. */
  {
    oci_hasher *h = oci_hasher_new_pipelined(OCIDIG_DIGEST_SHA256);
    oci_hasher_update(h, a, 5 * 1024 * 1024 + 1);
    oci_hasher_free(h);
  }
  free(a);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("digest");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_valid_sha256);
  tcase_add_test(tc, test_valid_sha512);
  tcase_add_loop_test(tc, test_invalid, 0, (int)(sizeof bad / sizeof bad[0]));
  tcase_add_test(tc, test_too_long_and_nul);
  tcase_add_test(tc, test_hash_through_layout);
  tcase_add_test(tc, test_hasher_modes);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
