#include "testutil.h"
START_TEST(test_placeholder_platform) { ck_assert_int_eq(ocidig_code_exit_status(OCIDIG_ERR_USAGE), 2); }
END_TEST
int main(void) { Suite *s = suite_create("platform"); TCase *tc = tcase_create("core"); tcase_add_test(tc, test_placeholder_platform); suite_add_tcase(s, tc); return tu_run(s); }
