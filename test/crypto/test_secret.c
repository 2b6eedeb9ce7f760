#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "crypto/secret.h"

static void test_wipe(void **state)
{
	uint8_t k[32];

	memset(k, 0xaa, sizeof(k));
	eid_wipe(k, sizeof(k));
	for (size_t i = 0; i < sizeof(k); i++)
		assert_int_equal(k[i], 0);
	eid_wipe(NULL, 10);
	eid_free_secret(NULL, 10);
	eid_free_secret_str(NULL);
	eid_free_secret_str(strdup("hunter2"));
}

static void test_ct_equal(void **state)
{
	assert_true(eid_ct_equal("abc", "abc", 3));
	assert_false(eid_ct_equal("abc", "abd", 3));
	assert_true(eid_ct_equal("x", "y", 0));
	assert_true(eid_ct_equal_len("abc", 3, "abc", 3));
	assert_false(eid_ct_equal_len("abc", 3, "abcd", 4));
	assert_false(eid_ct_equal_len("abcd", 4, "abce", 4));
}

static void test_random(void **state)
{
	uint8_t a[32] = { 0 }, b[32] = { 0 };
	unsigned long counts[6] = { 0 }, v = 0;

	assert_int_equal(eid_random_bytes(a, sizeof(a)), EID_OK);
	assert_int_equal(eid_random_bytes(b, sizeof(b)), EID_OK);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(eid_random_bytes(NULL, 4), EID_EINVAL);
	assert_int_equal(eid_random_uniform(0, &v), EID_EINVAL);
	for (int i = 0; i < 6000; i++) {
		assert_int_equal(eid_random_uniform(6, &v), EID_OK);
		assert_true(v < 6);
		counts[v]++;
	}
	/* Each face ~1000; a fair die falls outside 800..1200 with p < 1e-9. */
	for (int i = 0; i < 6; i++)
		assert_in_range(counts[i], 800, 1200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wipe),
		cmocka_unit_test(test_ct_equal),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
