#include "testutil.h"
START_TEST(test_placeholder_verify) { ck_assert_int_eq(ocidig_code_exit_status(OCIDIG_ERR_DIGEST_MISMATCH), 4); }
END_TEST
int main(void) { Suite *s = suite_create("verify"); TCase *tc = tcase_create("core"); tcase_add_test(tc, test_placeholder_verify); suite_add_tcase(s, tc); return tu_run(s); }
