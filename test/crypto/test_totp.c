#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "crypto/totp.h"

static const uint8_t rfc_key[] = "12345678901234567890";

/* RFC 4226 appendix D. */
static void test_hotp_rfc4226(void **state)
{
	static const uint32_t want[] = { 755224, 287082, 359152, 969429,
					 338314, 254676, 287922, 162583,
					 399871, 520489 };
	uint32_t v;

	for (uint64_t c = 0; c < 10; c++) {
		assert_int_equal(eid_hotp(rfc_key, 20, c, 6, &v), EID_OK);
		assert_int_equal(v, want[c]);
	}
	assert_int_equal(eid_hotp(rfc_key, 20, 0, 5, &v), EID_EINVAL);
	assert_int_equal(eid_hotp(rfc_key, 0, 0, 6, &v), EID_EINVAL);
}

/* RFC 6238 appendix B, the SHA-1 rows (8 digits). */
static void test_totp_rfc6238(void **state)
{
	static const struct {
		uint64_t t;
		uint32_t code;
	} rows[] = {
		{ 59, 94287082 },         { 1111111109, 7081804 },
		{ 1111111111, 14050471 }, { 1234567890, 89005924 },
		{ 2000000000, 69279037 }, { 20000000000ull, 65353130 },
	};
	uint32_t v;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(eid_hotp(rfc_key, 20, eid_totp_step(rows[i].t),
					  8, &v), EID_OK);
		assert_int_equal(v, rows[i].code);
	}
}

static void code_at(uint64_t t, char out[8])
{
	uint32_t v;

	assert_int_equal(eid_hotp(rfc_key, 20, eid_totp_step(t), 6, &v), EID_OK);
	snprintf(out, 8, "%06u", (unsigned)v);
}

static void test_totp_window_and_replay(void **state)
{
	const uint64_t now = 1234567890;
	uint64_t step = 0;
	char c[8];

	code_at(now, c);
	assert_int_equal(eid_totp_verify(rfc_key, 20, c, now, 0, &step), EID_OK);
	assert_int_equal(step, eid_totp_step(now));
	/* Used once: the same step again is a replay. */
	assert_int_equal(eid_totp_verify(rfc_key, 20, c, now, step, &step),
			 EID_EREPLAY);
	/* One step either side is accepted, two are not. */
	code_at(now - 30, c);
	assert_int_equal(eid_totp_verify(rfc_key, 20, c, now, 0, &step), EID_OK);
	code_at(now + 30, c);
	assert_int_equal(eid_totp_verify(rfc_key, 20, c, now, 0, &step), EID_OK);
	code_at(now - 60, c);
	assert_int_equal(eid_totp_verify(rfc_key, 20, c, now, 0, &step), EID_EAUTH);
	code_at(now + 60, c);
	assert_int_equal(eid_totp_verify(rfc_key, 20, c, now, 0, &step), EID_EAUTH);
	/* An older step than the last used is refused even inside the window. */
	code_at(now - 30, c);
	assert_int_equal(eid_totp_verify(rfc_key, 20, c, now,
					 eid_totp_step(now), &step), EID_EREPLAY);
	assert_int_equal(eid_totp_verify(rfc_key, 20, "12345", now, 0, &step),
			 EID_EMALFORMED);
	assert_int_equal(eid_totp_verify(rfc_key, 20, "12345a", now, 0, &step),
			 EID_EMALFORMED);
	assert_int_equal(eid_totp_verify(rfc_key, 20, NULL, now, 0, &step),
			 EID_EMALFORMED);
}

static void test_base32(void **state)
{
	/* RFC 4648 section 10, without padding. */
	static const char *const in[] = { "", "f", "fo", "foo", "foob",
					   "fooba", "foobar" };
	static const char *const out[] = { "", "MY", "MZXQ", "MZXW6",
					   "MZXW6YQ", "MZXW6YTB",
					   "MZXW6YTBOI" };
	eid_buf b;

	eid_buf_init(&b, 64);
	for (size_t i = 0; i < 7; i++) {
		eid_buf_reset(&b);
		assert_int_equal(eid_base32_encode(in[i], strlen(in[i]), &b),
				 EID_OK);
		assert_int_equal(b.len, strlen(out[i]));
		assert_memory_equal(b.data, out[i], b.len);
		eid_buf_reset(&b);
		assert_int_equal(eid_base32_decode(out[i], strlen(out[i]), &b),
				 EID_OK);
		assert_int_equal(b.len, strlen(in[i]));
		if (b.len)
			assert_memory_equal(b.data, in[i], b.len);
	}
	eid_buf_reset(&b);
	assert_int_equal(eid_base32_decode("mzxw6ytboi======", 16, &b), EID_OK);
	assert_memory_equal(b.data, "foobar", 6);
	eid_buf_reset(&b);
	assert_int_equal(eid_base32_decode("MZXW1", 5, &b), EID_EMALFORMED);
	assert_int_equal(eid_base32_decode("M", 1, &b), EID_EMALFORMED);
	assert_int_equal(b.len, 0);
	eid_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hotp_rfc4226),
		cmocka_unit_test(test_totp_rfc6238),
		cmocka_unit_test(test_totp_window_and_replay),
		cmocka_unit_test(test_base32),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
