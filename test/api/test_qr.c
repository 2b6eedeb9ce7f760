/* QR codes as SVG (api/qr.h): the symbol's size for known inputs, and
 * every dark module drawn once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api/qr.h"
#include "crypto/error.h"

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void test_sizes(void **state)
{
	eid_buf b;
	int modules = 0;

	(void)state;
	eid_buf_init(&b, 1u << 20);
	/* 8 bytes at level M: version 1, 21 modules */
	assert_int_equal(eid_qr_svg("ABCD2345", &b, &modules), EID_OK);
	assert_int_equal(modules, 21);
	assert_non_null(strstr(eid_buf_cstr(&b), "viewBox=\"0 0 29 29\""));
	/* the three finder patterns alone hold 3 * 33 dark modules */
	assert_true(count(eid_buf_cstr(&b), "h1v1h-1z") > 99);
	eid_buf_truncate(&b, 0);
	/* 56 bytes at level M: version 4 (62 bytes), 33 modules */
	assert_int_equal(eid_qr_svg("http://127.0.0.1:8080/activate?"
				    "personal_id=001090012345",
				    &b, &modules), EID_OK);
	assert_int_equal(modules, 33);
	eid_buf_free(&b);
}

static void test_refusals(void **state)
{
	char big[1100];
	eid_buf b;

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	eid_buf_init(&b, 1u << 20);
	assert_int_equal(eid_qr_svg("", &b, NULL), EID_EINVAL);
	assert_int_equal(eid_qr_svg(NULL, &b, NULL), EID_EINVAL);
	assert_int_equal(eid_qr_svg(big, &b, NULL), EID_EINVAL);
	assert_int_equal(b.len, 0);
	eid_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
