/* check_pki.c: cosign signatures from a private PKI through the library (ocidig_verify with
 * ocidig_trust_options.ca_roots), over containers/image's real signature
 * (testdata/sig/cosign/layouts/cimage-cosign-pki: its certificate is valid from
 * 2024-10-01T14:28:43Z to 2052-02-16T14:28:43Z, as openssl x509 -dates prints it):
 * verified with the roots; at a time before its validity (trust.now) expired; a caller
 * that gives no identity gets identity-mismatch, never a crash; roots that are not PEM
 * certificates (a PEM public key, a truncated certificate) are malformed;
 * ocidig_sig_pem_certs_check (what the CLI asks of --ca-roots before a run): the fixture's
 * roots and intermediates counted as openssl counts their blocks, a public key, a cut
 * certificate, empty text refused (usage). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEYS TESTDATA "/sig/cosign/keys/"
#define LAYOUT TESTDATA "/sig/cosign/layouts/cimage-cosign-pki"
#define IMAGE "sha256:253c890b744fe3efa923b68e3a1be07bd007eb44ba29da1e7deb1d4c53b3e212"

/* The verdict of the one signature attached to the fixture's image under trust t. */
static ocidig_sig_verdict verdict_of(const ocidig_trust_options *t, char *reason, size_t n)
{
  ocidig_layout *l = NULL;
  ocidig_verify_report *r = NULL;
  ocidig_verify_options vo;
  ocidig_error e;
  ck_assert_int_eq(ocidig_layout_open(LAYOUT, NULL, &l, &e), OCIDIG_OK);
  ocidig_verify_options_init(&vo);
  vo.trust = t;
  ck_assert_int_eq(ocidig_verify(l, &vo, &r, &e), OCIDIG_OK);
  ck_assert_uint_eq(r->n_signatures, 1);
  ck_assert_str_eq(r->signatures[0].subject, IMAGE);
  ocidig_sig_verdict v = r->signatures[0].verdict;
  snprintf(reason, n, "%s", r->signatures[0].reason);
  ocidig_verify_report_free(r);
  ocidig_layout_close(l);
  return v;
}

static void roots(ocidig_trust_options *t, const char *path, char **keep)
{
  size_t n;
  *keep = tu_read_file(path, &n);
  t->ca_roots = (const uint8_t *)*keep;
  t->ca_roots_len = n;
}

START_TEST(test_verified_and_times)
{
  ocidig_trust_options t;
  char *pem, why[OCIDIG_ERROR_MESSAGE_MAX];
  memset(&t, 0, sizeof t);
  roots(&t, KEYS "pki_root_crts.pem", &pem);
  t.identity = "qiwan@redhat.com";
  ck_assert_int_eq(verdict_of(&t, why, sizeof why), OCIDIG_SIG_VERIFIED);
  t.now = 1727740800; /* 2024-10-01T00:00:00Z: before the certificate's validity */
  ck_assert_int_eq(verdict_of(&t, why, sizeof why), OCIDIG_SIG_EXPIRED);
  ck_assert_ptr_nonnull(strstr(why, "2024-10-01T00:00:00Z (the current time"));
  t.now = 1728000000; /* 2024-10-04: inside it */
  ck_assert_int_eq(verdict_of(&t, why, sizeof why), OCIDIG_SIG_VERIFIED);
  free(pem);
}
END_TEST

START_TEST(test_no_identity)
{
  ocidig_trust_options t;
  char *pem, why[OCIDIG_ERROR_MESSAGE_MAX];
  memset(&t, 0, sizeof t);
  roots(&t, KEYS "pki_root_crts.pem", &pem);
  ck_assert(ocidig_trust_options_any(&t));
  ck_assert_int_eq(verdict_of(&t, why, sizeof why), OCIDIG_SIG_IDENTITY_MISMATCH);
  ck_assert_ptr_nonnull(strstr(why, "no certificate identity"));
  free(pem);
}
END_TEST

START_TEST(test_not_pem_certificates)
{
  ocidig_trust_options t;
  char *pem, why[OCIDIG_ERROR_MESSAGE_MAX];
  memset(&t, 0, sizeof t);
  t.identity = "qiwan@redhat.com";
  roots(&t, KEYS "cosign.pub", &pem); /* a PEM public key */
  ck_assert_int_eq(verdict_of(&t, why, sizeof why), OCIDIG_SIG_MALFORMED);
  free(pem);
  /* the root, then a certificate cut in its middle: the block that does not read fails it */
  size_t n;
  char *root = tu_read_file(KEYS "pki_root_crts.pem", &n);
  char *two = malloc(2 * n + 1);
  ck_assert_ptr_nonnull(two);
  memcpy(two, root, n);
  memcpy(two + n, root, n);
  const char *end = strstr(two + n, "-----END");
  ck_assert_ptr_nonnull(end);
  memmove(two + n + 100, end, strlen(end) + 1); /* the body's tail gone */
  t.ca_roots = (const uint8_t *)two;
  t.ca_roots_len = strlen(two);
  ck_assert_int_eq(verdict_of(&t, why, sizeof why), OCIDIG_SIG_MALFORMED);
  t.ca_roots_len = n; /* the root alone */
  ck_assert_int_eq(verdict_of(&t, why, sizeof why), OCIDIG_SIG_VERIFIED);
  free(two);
  free(root);
}
END_TEST

START_TEST(test_pem_certs_check)
{
  size_t n, count = 99;
  ocidig_error e;
  char *root = tu_read_file(KEYS "pki_root_crts.pem", &n);
  ck_assert_int_eq(ocidig_sig_pem_certs_check((const uint8_t *)root, n, &count, &e), OCIDIG_OK);
  ck_assert_uint_eq(count, 1); /* grep -c BEGIN: 1 */
  /* the root twice, then cut in the middle of its second body */
  char *two = malloc(2 * n + 1);
  ck_assert_ptr_nonnull(two);
  memcpy(two, root, n);
  memcpy(two + n, root, n);
  two[2 * n] = '\0';
  ck_assert_int_eq(ocidig_sig_pem_certs_check((const uint8_t *)two, 2 * n, &count, &e), OCIDIG_OK);
  ck_assert_uint_eq(count, 2);
  const char *end = strstr(two + n, "-----END");
  ck_assert_ptr_nonnull(end);
  memmove(two + n + 100, end, strlen(end) + 1);
  ck_assert_int_eq(ocidig_sig_pem_certs_check((const uint8_t *)two, strlen(two), &count, &e), OCIDIG_ERR_USAGE);
  ck_assert_uint_eq(count, 0);
  ck_assert_ptr_nonnull(strstr(e.message, "not PEM certificates"));
  free(two);
  free(root);
  char *key = tu_read_file(KEYS "cosign.pub", &n);
  ck_assert_int_eq(ocidig_sig_pem_certs_check((const uint8_t *)key, n, NULL, &e), OCIDIG_ERR_USAGE);
  free(key);
  ck_assert_int_eq(ocidig_sig_pem_certs_check((const uint8_t *)"", 0, NULL, &e), OCIDIG_ERR_USAGE);
  ck_assert_int_eq(ocidig_sig_pem_certs_check(NULL, 0, NULL, &e), OCIDIG_ERR_USAGE);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("pki");
  TCase *tc = tcase_create("ca_roots");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_verified_and_times);
  tcase_add_test(tc, test_no_identity);
  tcase_add_test(tc, test_not_pem_certificates);
  tcase_add_test(tc, test_pem_certs_check);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
