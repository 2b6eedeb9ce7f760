/* eid_nfc (idp/nfc.c): its quick path, which leaves a text of characters
 * from U+0000..U+02FF and U+1E00..U+1EFF as it is, checked against
 * libunistring's own tables for every character of those ranges and every
 * pair of them; and the same results as libunistring's u8_normalize. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "crypto/error.h"
#include "idp/nfc.h"

/* The characters the quick path accepts, in order; the NUL aside (eid_nfc
 * refuses it). */
static size_t stable_chars(ucs4_t *out)
{
	size_t n = 0;

	for (ucs4_t c = 1; c < 0x300; c++)
		out[n++] = c;
	for (ucs4_t c = 0x1E00; c <= 0x1EFF; c++)
		out[n++] = c;
	return n;
}

static bool is_stable(ucs4_t c)
{
	return (c >= 1 && c < 0x300) || (c >= 0x1E00 && c <= 0x1EFF);
}

/* eid_nfc and u8_normalize agree on s[n]. */
static void expect_like_libunistring(const uint8_t *s, size_t n)
{
	uint8_t ref_stack[64];
	size_t ref_len = sizeof(ref_stack);
	uint8_t *ref;
	eid_buf out;

	ref = u8_normalize(UNINORM_NFC, s, n, ref_stack, &ref_len);
	assert_non_null(ref);
	eid_buf_init(&out, 256);
	assert_int_equal(eid_nfc((const char *)s, n, &out), EID_OK);
	assert_int_equal(out.len, ref_len);
	assert_memory_equal(out.data, ref, ref_len);
	if (ref != ref_stack)
		free(ref);
	eid_buf_free(&out);
}

/* What makes a text of these characters its own NFC (UAX #15 section
 * 9): each is its own NFC and a starter (combining class 0), the first
 * character of its canonical decomposition is one of them again (so
 * reordering never crosses from one character into the next), and no two
 * of them compose. */
static void test_quick_path_tables(void **state)
{
	ucs4_t *cs = calloc(0x400, sizeof(*cs));
	ucs4_t d[UC_DECOMPOSITION_MAX_LENGTH];
	size_t n;

	(void)state;
	assert_non_null(cs);
	n = stable_chars(cs);
	assert_int_equal(n, 0x2FF + 0x100);
	for (size_t i = 0; i < n; i++) {
		uint8_t u[6];
		int len = u8_uctomb(u, cs[i], sizeof(u));

		assert_true(len > 0);
		expect_like_libunistring(u, (size_t)len);
		assert_int_equal(uc_combining_class(cs[i]), 0);
		if (uc_canonical_decomposition(cs[i], d) > 0)
			assert_true(is_stable(d[0]));
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (uc_composition(cs[i], cs[j]) != 0)
				fail_msg("U+%04X U+%04X compose", cs[i], cs[j]);
	free(cs);
}

/* Pairs through eid_nfc itself (a stride of the pairs: each first
 * character with every 7th second one). */
static void test_quick_path_pairs(void **state)
{
	ucs4_t *cs = calloc(0x400, sizeof(*cs));
	size_t n;

	(void)state;
	assert_non_null(cs);
	n = stable_chars(cs);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i % 7; j < n; j += 7) {
			uint8_t u[12];
			int a = u8_uctomb(u, cs[i], 6);
			int b = u8_uctomb(u + a, cs[j], 6);

			expect_like_libunistring(u, (size_t)(a + b));
		}
	free(cs);
}

/* Texts on both paths: precomposed Vietnamese stays as it is; a combining
 * mark anywhere, or a character outside the ranges, goes to libunistring
 * and comes back composed. */
static void test_texts(void **state)
{
	static const char *const texts[] = {
		"Nguyễn Thị Lan",
		"Số 12, đường Hàng Bài, Hoàn Kiếm, Hà Nội",
		"Đặng Quốc Bảo",
		"Nguye\xcc\x82\xcc\x83n",  /* e + U+0302 U+0303 */
		"Nguyễn Thi\xcc\xa3",      /* quick path until the U+0323 */
		"A\xcc\x8a",               /* A + ring: U+00C5 */
		"\xe2\x84\xab",            /* U+212B ANGSTROM SIGN: U+00C5 */
		"\xe0\xa5\x98",            /* U+0958: decomposes */
		"\xea\xb0\x80",            /* U+AC00, a Hangul syllable */
		"\xe1\x84\x80\xe1\x85\xa1", /* U+1100 U+1161: U+AC00 */
		"plain ASCII",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		expect_like_libunistring((const uint8_t *)texts[i],
					 strlen(texts[i]));
}

/* The errors are the same on the quick path: bad UTF-8 and a NUL are
 * refused, an input over the maximum or a result over out's cap is
 * EID_ETOOBIG with out unchanged. */
static void test_errors(void **state)
{
	static const char lan[] = "Nguyễn Thị Lan";
	char big[EID_NFC_INPUT_MAX + 1];
	eid_buf out;

	(void)state;
	eid_buf_init(&out, 8);
	assert_int_equal(eid_nfc("ab\xc3", 3, &out), EID_EMALFORMED);
	assert_int_equal(eid_nfc("a\0b", 3, &out), EID_EMALFORMED);
	assert_int_equal(eid_nfc(lan, strlen(lan), &out), EID_ETOOBIG);
	assert_int_equal(out.len, 0);
	assert_int_equal(eid_nfc("Lan", 3, &out), EID_OK);
	assert_int_equal(out.len, 3);
	memset(big, 'a', sizeof(big));
	assert_int_equal(eid_nfc(big, sizeof(big), &out), EID_ETOOBIG);
	assert_int_equal(out.len, 3);
	eid_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quick_path_tables),
		cmocka_unit_test(test_quick_path_pairs),
		cmocka_unit_test(test_texts),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
