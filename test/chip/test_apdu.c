#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chip/apdu.h"
#include "chiptest.h"
#include "crypto/error.h"

static void expect_encoding(const struct eid_apdu *a, const char *want)
{
	uint8_t w[64];
	size_t n = hex(want, w, sizeof(w));
	eid_buf b;

	eid_buf_init(&b, EID_APDU_MAX_ENCODED);
	assert_int_equal(eid_apdu_encode(a, &b), EID_OK);
	assert_int_equal(b.len, n);
	assert_memory_equal(b.data, w, n);
	eid_buf_free(&b);
}

static void test_encode_cases(void **state)
{
	const uint8_t d[] = { 0x01, 0x1e };
	struct eid_apdu a = { .ins = 0xa4, .p1 = 0x02, .p2 = 0x0c };

	expect_encoding(&a, "00A4020C");                 /* case 1 */
	a.ne = 256;
	expect_encoding(&a, "00A4020C00");               /* case 2S, Le 00 */
	a.ne = 0;
	a.data = d;
	a.nc = 2;
	expect_encoding(&a, "00A4020C02011E");           /* case 3S */
	a.ne = 0x12;
	expect_encoding(&a, "00A4020C02011E12");         /* case 4S */
	a.ne = 65536;
	expect_encoding(&a, "00A4020C000002011E0000");   /* case 4E */
	a.nc = 0;
	a.data = NULL;
	expect_encoding(&a, "00A4020C000000");           /* case 2E, 0000 */
	a.ne = 0x12;
	a.extended = true;
	expect_encoding(&a, "00A4020C000012");           /* forced extended */
	a.ne = 0;
	a.data = d;
	a.nc = 2;
	expect_encoding(&a, "00A4020C000002011E");       /* case 3E */
}

static void test_encode_limits(void **state)
{
	static uint8_t big[65536];
	struct eid_apdu a = { .ins = 0xd6, .data = big, .nc = 65536 };
	eid_buf b;

	eid_buf_init(&b, EID_APDU_MAX_ENCODED);
	assert_int_equal(eid_apdu_encode(&a, &b), EID_EINVAL);
	a.nc = 256;
	assert_int_equal(eid_apdu_encode(&a, &b), EID_OK);
	assert_int_equal(b.len, 4 + 3 + 256); /* extended Lc */
	eid_buf_reset(&b);
	a.nc = 0;
	a.ne = 65537;
	assert_int_equal(eid_apdu_encode(&a, &b), EID_EINVAL);
	a.ne = 0;
	a.nc = 3;
	a.data = NULL;
	assert_int_equal(eid_apdu_encode(&a, &b), EID_EINVAL);
	assert_int_equal(b.len, 0);
	/* A cap too small leaves the buffer as it was. */
	eid_buf_free(&b);
	eid_buf_init(&b, 6);
	a.data = big;
	assert_int_equal(eid_apdu_encode(&a, &b), EID_ETOOBIG);
	assert_int_equal(b.len, 0);
	eid_buf_free(&b);
}

static void expect_decode(const char *in, int want_r, size_t nc, size_t ne,
			  bool ext)
{
	uint8_t w[64];
	size_t n = hex(in, w, sizeof(w));
	struct eid_apdu a;

	assert_int_equal(eid_apdu_decode(w, n, &a), want_r);
	if (want_r != EID_OK)
		return;
	assert_int_equal(a.nc, nc);
	assert_int_equal(a.ne, ne);
	assert_int_equal(a.extended, ext);
	/* Strict decoding means the encoding comes back byte for byte. */
	expect_encoding(&a, in);
}

static void test_decode_strict(void **state)
{
	expect_decode("00A4020C", EID_OK, 0, 0, false);
	expect_decode("0084000008", EID_OK, 0, 8, false);
	expect_decode("00B0000000", EID_OK, 0, 256, false);
	expect_decode("00A4020C02011E", EID_OK, 2, 0, false);
	expect_decode("00A4020C02011E00", EID_OK, 2, 256, false);
	expect_decode("00B0000000FFFF", EID_OK, 0, 65535, true);
	expect_decode("00B00000000000", EID_OK, 0, 65536, true);
	expect_decode("00A4020C000002011E", EID_OK, 2, 0, true);
	expect_decode("00A4020C000002011E0000", EID_OK, 2, 65536, true);

	expect_decode("00A402", EID_ETRUNCATED, 0, 0, false);
	expect_decode("00A4020C03011E", EID_EMALFORMED, 0, 0, false);
	expect_decode("00A4020C02011E0000", EID_EMALFORMED, 0, 0, false);
	expect_decode("00A4020C0000", EID_EMALFORMED, 0, 0, false);
	expect_decode("00A4020C00000000", EID_EMALFORMED, 0, 0, false);
	expect_decode("00A4020C000003011E", EID_EMALFORMED, 0, 0, false);
	expect_decode("00A4020C000002011E00", EID_EMALFORMED, 0, 0, false);
}

static void test_response(void **state)
{
	const uint8_t r1[] = { 0x60, 0x14, 0x90, 0x00 };
	const uint8_t r2[] = { 0x6a };
	struct eid_rapdu_view v;

	assert_int_equal(eid_rapdu_parse(r1, sizeof(r1), &v), EID_OK);
	assert_int_equal(v.len, 2);
	assert_int_equal(v.sw, 0x9000);
	assert_int_equal(eid_rapdu_parse(r1 + 2, 2, &v), EID_OK);
	assert_int_equal(v.len, 0);
	assert_int_equal(eid_rapdu_parse(r2, sizeof(r2), &v), EID_ETRUNCATED);
	assert_int_equal(eid_rapdu_parse(NULL, 0, &v), EID_ETRUNCATED);

	assert_int_equal(eid_sw_to_error(0x9000), EID_OK);
	assert_int_equal(eid_sw_to_error(0x6a82), EID_ENOTFOUND);
	assert_int_equal(eid_sw_to_error(0x6982), EID_EPERM);
	assert_int_equal(eid_sw_to_error(0x6988), EID_EVERIFY);
	assert_int_equal(eid_sw_to_error(0x6987), EID_ECARD);
	assert_int_equal(eid_sw_to_error(0x6f00), EID_ECARD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_cases),
		cmocka_unit_test(test_encode_limits),
		cmocka_unit_test(test_decode_strict),
		cmocka_unit_test(test_response),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
