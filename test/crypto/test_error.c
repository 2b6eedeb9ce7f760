#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"

static void test_every_code_has_a_message(void **state)
{
	for (int r = 0; r >= EID_EMISMATCH; r--) {
		assert_string_not_equal(eid_strerror(r), "unknown error");
		assert_true(strncmp(eid_errname(r), "EID_", 4) == 0);
		assert_string_not_equal(eid_errname(r), "EID_EUNKNOWN");
	}
}

static void test_unknown_code(void **state)
{
	assert_string_equal(eid_strerror(-9999), "unknown error");
	assert_string_equal(eid_strerror(1), "unknown error");
	assert_string_equal(eid_errname(-9999), "EID_EUNKNOWN");
	assert_string_equal(eid_errname(EID_EINVAL), "EID_EINVAL");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_code_has_a_message),
		cmocka_unit_test(test_unknown_code),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
