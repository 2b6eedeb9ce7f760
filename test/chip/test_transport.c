#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chip/transport.h"
#include "chiptest.h"
#include "crypto/error.h"

static void test_get_response_chaining(void **state)
{
	/* The card hands 5 bytes, then says 61 03, then 61 00 (256). */
	static const char *const cmds[] = { "00CA010000", "00C0000003",
					    "00C0000000" };
	static const char *const resps[] = { "01020304056103", "0607086100",
					     "090A9000" };
	struct script s = { cmds, resps, 3, 0 };
	struct eid_transport t;
	struct eid_apdu cmd = { .ins = 0xca, .p1 = 0x01, .ne = 256 };
	struct eid_rapdu resp;

	eid_transport_init_callback(&t, script_transmit, &s);
	eid_rapdu_init(&resp, 4096);
	assert_int_equal(eid_card_transceive(&t, &cmd, &resp), EID_OK);
	assert_int_equal(resp.sw, 0x9000);
	assert_int_equal(resp.data.len, 10);
	assert_memory_equal(resp.data.data, "\1\2\3\4\5\6\7\x08\x09\x0a", 10);
	assert_int_equal(s.pos, 3);
	eid_rapdu_free(&resp);
}

static void test_wrong_le_retry(void **state)
{
	static const char *const cmds[] = { "00B0000000", "00B0000012" };
	static const char *const resps[] = {
		"6C12", "60145F0104303130365F36063034303030305C0261759000",
	};
	struct script s = { cmds, resps, 2, 0 };
	struct eid_transport t;
	struct eid_apdu cmd = { .ins = 0xb0, .ne = 256 };
	struct eid_rapdu resp;

	eid_transport_init_callback(&t, script_transmit, &s);
	eid_rapdu_init(&resp, 4096);
	assert_int_equal(eid_card_transceive(&t, &cmd, &resp), EID_OK);
	assert_int_equal(resp.sw, 0x9000);
	assert_int_equal(resp.data.len, 22);
	eid_rapdu_free(&resp);
}

/* A card that says 61 01 forever. */
static int endless(void *card, const uint8_t *capdu, size_t n, eid_buf *rapdu)
{
	unsigned *count = card;

	(*count)++;
	return eid_buf_put(rapdu, "\xaa\x61\x01", 3);
}

static int mute(void *card, const uint8_t *capdu, size_t n, eid_buf *rapdu)
{
	return eid_buf_put(rapdu, "\x90", 1);
}

static void test_bounds(void **state)
{
	unsigned count = 0;
	struct eid_transport t;
	struct eid_apdu cmd = { .ins = 0xca, .ne = 1 };
	struct eid_rapdu resp;

	eid_transport_init_callback(&t, endless, &count);
	eid_rapdu_init(&resp, 1 << 16);
	assert_int_equal(eid_card_transceive(&t, &cmd, &resp), EID_ECARD);
	assert_int_equal(count, EID_GET_RESPONSE_MAX + 1);
	/* The response cap bounds the total as well. */
	eid_rapdu_free(&resp);
	eid_rapdu_init(&resp, 4);
	count = 0;
	assert_int_equal(eid_card_transceive(&t, &cmd, &resp), EID_ETOOBIG);
	assert_int_equal(count, 5);
	/* Under two bytes is not a response. */
	eid_transport_init_callback(&t, mute, NULL);
	assert_int_equal(eid_card_transceive(&t, &cmd, &resp), EID_ETRANSPORT);
	eid_rapdu_free(&resp);
	eid_transport_close(&t);
	assert_null(t.transmit);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_response_chaining),
		cmocka_unit_test(test_wrong_le_retry),
		cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
