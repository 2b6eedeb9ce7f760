/* QR rendering: the SVG and the PNG (checked with zlib: every chunk's
 * CRC, the IHDR, and the inflated scanlines). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "api/qr.h"
#include "crypto/error.h"

#define URL "https://idp.example/qr/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void test_svg(void **state)
{
	eid_buf b;

	(void)state;
	eid_buf_init(&b, 1u << 20);
	assert_int_equal(eid_qr_svg(URL, &b), EID_OK);
	assert_non_null(strstr(eid_buf_cstr(&b), "<svg "));
	assert_non_null(strstr(eid_buf_cstr(&b), "</svg>"));
	assert_int_equal(eid_qr_svg("", &b), EID_EINVAL);
	assert_int_equal(eid_qr_svg(NULL, &b), EID_EINVAL);
	eid_buf_free(&b);
}

static void test_png(void **state)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a,
					'\n' };
	uint8_t raw[200000];
	uLongf rawlen = sizeof(raw);
	const uint8_t *idat = NULL;
	uint32_t w = 0, idatlen = 0;
	size_t off = 8;
	eid_buf b;

	(void)state;
	eid_buf_init(&b, 1u << 20);
	assert_int_equal(eid_qr_png(URL, 4, &b), EID_OK);
	assert_memory_equal(b.data, sig, 8);
	while (off + 12 <= b.len) {
		uint32_t n = be32(b.data + off);
		const uint8_t *type = b.data + off + 4;

		assert_true(off + 12 + n <= b.len);
		assert_int_equal(crc32(0, type, 4 + n), be32(type + 4 + n));
		if (memcmp(type, "IHDR", 4) == 0) {
			w = be32(type + 4);
			assert_int_equal(be32(type + 8), w);
			assert_int_equal(type[12], 8);
			assert_int_equal(type[13], 0);
		} else if (memcmp(type, "IDAT", 4) == 0) {
			idat = type + 4;
			idatlen = n;
		}
		off += 12 + n;
	}
	assert_int_equal(off, b.len);
	assert_true(w > 0 && w % 4 == 0);
	assert_non_null(idat);
	assert_int_equal(uncompress(raw, &rawlen, idat, idatlen), Z_OK);
	assert_int_equal(rawlen, (uLongf)(w + 1) * w);
	assert_int_equal(eid_qr_png(URL, 0, &b), EID_EINVAL);
	eid_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_svg),
		cmocka_unit_test(test_png),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
