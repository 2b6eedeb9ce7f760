#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/buf.h"
#include "crypto/error.h"

static void test_put_within_cap(void **state)
{
	eid_buf b;

	eid_buf_init(&b, 8);
	assert_int_equal(eid_buf_put(&b, "abcd", 4), EID_OK);
	assert_int_equal(eid_buf_put_u16be(&b, 0x0102), EID_OK);
	assert_int_equal(eid_buf_put_u8(&b, 0xff), EID_OK);
	assert_int_equal(b.len, 7);
	assert_memory_equal(b.data, "abcd\x01\x02\xff", 7);
	eid_buf_free(&b);
	assert_null(b.data);
}

static void test_put_over_cap_leaves_buffer_unchanged(void **state)
{
	eid_buf b;

	eid_buf_init(&b, 5);
	assert_int_equal(eid_buf_put(&b, "abc", 3), EID_OK);
	assert_int_equal(eid_buf_put(&b, "def", 3), EID_ETOOBIG);
	assert_int_equal(b.len, 3);
	assert_int_equal(eid_buf_put(&b, "de", 2), EID_OK);
	assert_int_equal(eid_buf_put_u8(&b, 0), EID_ETOOBIG);
	assert_string_equal(eid_buf_cstr(&b), "abcde");
	eid_buf_free(&b);
}

static void test_printf_and_take(void **state)
{
	eid_buf b;
	char *s = NULL;

	eid_buf_init(&b, 64);
	assert_int_equal(eid_buf_printf(&b, "%s=%d", "n", 42), EID_OK);
	assert_int_equal(eid_buf_printf(&b, ";%05u", 7u), EID_OK);
	assert_int_equal(b.len, strlen("n=42;00007"));
	assert_int_equal(eid_buf_take_str(&b, &s), EID_OK);
	assert_string_equal(s, "n=42;00007");
	assert_int_equal(b.len, 0);
	free(s);

	eid_buf_init(&b, 4);
	assert_int_equal(eid_buf_printf(&b, "%s", "hello"), EID_ETOOBIG);
	assert_int_equal(b.len, 0);
	eid_buf_free(&b);
}

static void test_say(void **state)
{
	eid_buf b;

	eid_buf_say(NULL, "nobody asked");
	eid_buf_init(&b, 8);
	eid_buf_say(&b, "short");
	eid_buf_say(&b, " and too long");
	assert_int_equal(b.len, strlen("short"));
	assert_memory_equal(b.data, "short", b.len);
	eid_buf_free(&b);
}

static void test_take_str_refuses_embedded_nul(void **state)
{
	eid_buf b;
	char *s = NULL;

	eid_buf_init(&b, 16);
	assert_int_equal(eid_buf_put(&b, "a\0b", 3), EID_OK);
	assert_int_equal(eid_buf_take_str(&b, &s), EID_EMALFORMED);
	assert_null(s);
	eid_buf_free(&b);
}

static void test_secret_growth(void **state)
{
	eid_buf b;
	uint8_t big[300];

	memset(big, 0x5a, sizeof(big));
	eid_buf_init_secret(&b, 1000);
	for (int i = 0; i < 3; i++)
		assert_int_equal(eid_buf_put(&b, big, sizeof(big)), EID_OK);
	assert_int_equal(b.len, 900);
	assert_int_equal(b.data[899], 0x5a);
	eid_buf_truncate(&b, 10);
	assert_int_equal(b.len, 10);
	eid_buf_free(&b);
}

/* Room made once: writes within it never move the data; it stops at the
 * cap, which writes still cannot pass. */
static void test_room(void **state)
{
	uint8_t z[298], *p;
	eid_buf b;

	(void)state;
	memset(z, 'z', sizeof(z));
	eid_buf_init(&b, 1000);
	assert_int_equal(eid_buf_put(&b, "ab", 2), EID_OK);
	assert_int_equal(eid_buf_room(&b, 700), EID_OK);
	assert_int_equal(b.len, 2);
	assert_true(b.alloc > 702);
	p = b.data;
	for (int i = 0; i < 700; i++)
		assert_int_equal(eid_buf_put_u8(&b, 'x'), EID_OK);
	assert_ptr_equal(b.data, p);
	assert_non_null(eid_buf_cstr(&b));
	assert_ptr_equal(b.data, p);
	assert_memory_equal(b.data, "abxx", 4);
	/* Past the cap: room up to it, and no further write. */
	assert_int_equal(eid_buf_room(&b, 5000), EID_OK);
	assert_true(b.alloc <= 1001);
	assert_int_equal(eid_buf_put(&b, z, sizeof(z)), EID_OK);
	assert_int_equal(eid_buf_put_u8(&b, 'y'), EID_ETOOBIG);
	assert_int_equal(b.len, 1000);
	eid_buf_free(&b);
}

static void test_reader_bounds(void **state)
{
	const uint8_t in[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07 };
	eid_rd r = eid_rd_make(in, sizeof(in));
	eid_rd sub;
	uint8_t u8 = 0;
	uint16_t u16 = 0;
	uint32_t u32 = 0;
	const uint8_t *p = NULL;

	assert_int_equal(eid_rd_u8(&r, &u8), EID_OK);
	assert_int_equal(u8, 1);
	assert_int_equal(eid_rd_u16be(&r, &u16), EID_OK);
	assert_int_equal(u16, 0x0203);
	assert_int_equal(eid_rd_u32be(&r, &u32), EID_OK);
	assert_int_equal(u32, 0x04050607);
	assert_int_equal(eid_rd_left(&r), 0);
	assert_int_equal(eid_rd_u8(&r, &u8), EID_ETRUNCATED);

	r = eid_rd_make(in, sizeof(in));
	assert_int_equal(eid_rd_sub(&r, 3, &sub), EID_OK);
	assert_int_equal(eid_rd_left(&sub), 3);
	assert_int_equal(eid_rd_u32be(&sub, &u32), EID_ETRUNCATED);
	assert_int_equal(eid_rd_left(&sub), 3);
	assert_int_equal(eid_rd_bytes(&r, 5, &p), EID_ETRUNCATED);
	assert_int_equal(eid_rd_bytes(&r, 4, &p), EID_OK);
	assert_memory_equal(p, in + 3, 4);
	assert_int_equal(eid_rd_skip(&r, 1), EID_ETRUNCATED);

	r = eid_rd_make(NULL, 10);
	assert_int_equal(eid_rd_left(&r), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_within_cap),
		cmocka_unit_test(test_put_over_cap_leaves_buffer_unchanged),
		cmocka_unit_test(test_printf_and_take),
		cmocka_unit_test(test_take_str_refuses_embedded_nul),
		cmocka_unit_test(test_say),
		cmocka_unit_test(test_secret_growth),
		cmocka_unit_test(test_room),
		cmocka_unit_test(test_reader_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
