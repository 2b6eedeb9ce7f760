#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chip/tlv.h"
#include "crypto/error.h"

static void test_short_and_long_forms(void **state)
{
	/* 5F1F 03 'ABC', then 7F61 81 02 0102, then 87 82 0001 01 */
	const uint8_t in[] = { 0x5f, 0x1f, 0x03, 'A', 'B', 'C',
			       0x7f, 0x61, 0x81, 0x02, 0x01, 0x02,
			       0x87, 0x82, 0x00, 0x01, 0x01 };
	eid_rd r = eid_rd_make(in, sizeof(in));
	struct eid_tlv t;

	assert_int_equal(eid_tlv_read(&r, &t), EID_OK);
	assert_int_equal(t.tag, 0x5f1f);
	assert_false(t.constructed);
	assert_int_equal(t.len, 3);
	assert_memory_equal(t.value, "ABC", 3);
	assert_int_equal(t.raw_len, 6);

	assert_int_equal(eid_tlv_read(&r, &t), EID_OK);
	assert_int_equal(t.tag, 0x7f61);
	assert_true(t.constructed);
	assert_int_equal(t.len, 2);

	assert_int_equal(eid_tlv_read(&r, &t), EID_OK);
	assert_int_equal(t.tag, 0x87);
	assert_int_equal(t.len, 1);
	assert_int_equal(eid_rd_left(&r), 0);
}

static void test_truncated_and_malformed(void **state)
{
	const uint8_t trunc_value[] = { 0x61, 0x05, 0x01, 0x02 };
	const uint8_t trunc_len[] = { 0x61, 0x82, 0x01 };
	const uint8_t trunc_tag[] = { 0x5f };
	const uint8_t indefinite[] = { 0x30, 0x80, 0x00, 0x00 };
	const uint8_t long_tag[] = { 0x5f, 0x81, 0x82, 0x03, 0x00 };
	const uint8_t long_len[] = { 0x04, 0x85, 0, 0, 0, 0, 1, 0 };
	const uint8_t huge_len[] = { 0x04, 0x84, 0xff, 0xff, 0xff, 0xff };
	struct eid_tlv t;
	eid_rd r = eid_rd_make(trunc_value, sizeof(trunc_value));

	assert_int_equal(eid_tlv_read(&r, &t), EID_ETRUNCATED);
	assert_int_equal(r.off, 0);
	assert_int_equal(eid_tlv_parse_exact(trunc_len, sizeof(trunc_len), &t),
			 EID_ETRUNCATED);
	assert_int_equal(eid_tlv_parse_exact(trunc_tag, sizeof(trunc_tag), &t),
			 EID_ETRUNCATED);
	assert_int_equal(eid_tlv_parse_exact(indefinite, sizeof(indefinite), &t),
			 EID_EMALFORMED);
	assert_int_equal(eid_tlv_parse_exact(long_tag, sizeof(long_tag), &t),
			 EID_EMALFORMED);
	assert_int_equal(eid_tlv_parse_exact(long_len, sizeof(long_len), &t),
			 EID_EMALFORMED);
	assert_int_equal(eid_tlv_parse_exact(huge_len, sizeof(huge_len), &t),
			 EID_ETRUNCATED);
}

static void test_exact_and_find(void **state)
{
	const uint8_t one[] = { 0x80, 0x01, 0xaa, 0x00 };
	const uint8_t sibs[] = { 0x80, 0x01, 0xaa, 0x81, 0x02, 0xbb, 0xcc };
	struct eid_tlv t;

	assert_int_equal(eid_tlv_parse_exact(one, sizeof(one), &t),
			 EID_EMALFORMED);
	assert_int_equal(eid_tlv_parse_exact(one, 3, &t), EID_OK);
	assert_int_equal(eid_tlv_find(sibs, sizeof(sibs), 0x81, &t), EID_OK);
	assert_int_equal(t.len, 2);
	assert_int_equal(t.value[1], 0xcc);
	assert_int_equal(eid_tlv_find(sibs, sizeof(sibs), 0x82, &t),
			 EID_ENOTFOUND);
	assert_int_equal(eid_tlv_find(sibs, sizeof(sibs) - 1, 0x82, &t),
			 EID_ETRUNCATED);
}

static void test_encode_round_trip(void **state)
{
	static uint8_t big[70000];
	size_t sizes[] = { 0, 1, 127, 128, 255, 256, 65535, 65536, 70000 };
	eid_buf b;
	struct eid_tlv t;

	memset(big, 0x42, sizeof(big));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		eid_buf_init(&b, 1 << 20);
		assert_int_equal(eid_tlv_put(&b, 0x7f61, big, sizes[i]), EID_OK);
		assert_int_equal(eid_tlv_parse_exact(b.data, b.len, &t), EID_OK);
		assert_int_equal(t.tag, 0x7f61);
		assert_int_equal(t.len, sizes[i]);
		eid_buf_free(&b);
	}
	eid_buf_init(&b, 64);
	assert_int_equal(eid_tlv_put_len(&b, 0x80), EID_OK);
	assert_memory_equal(b.data, "\x81\x80", 2);
	eid_buf_reset(&b);
	assert_int_equal(eid_tlv_put_len(&b, 0x1234), EID_OK);
	assert_memory_equal(b.data, "\x82\x12\x34", 3);
	eid_buf_reset(&b);
	assert_int_equal(eid_tlv_put(&b, 0x1000000, "x", 1), EID_EINVAL);
	assert_int_equal(b.len, 0);
	eid_buf_free(&b);

	/* A cap too small for the value leaves the buffer unchanged. */
	eid_buf_init(&b, 4);
	assert_int_equal(eid_tlv_put(&b, 0x5f1f, "abcd", 4), EID_ETOOBIG);
	assert_int_equal(b.len, 0);
	eid_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_and_long_forms),
		cmocka_unit_test(test_truncated_and_malformed),
		cmocka_unit_test(test_exact_and_find),
		cmocka_unit_test(test_encode_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
