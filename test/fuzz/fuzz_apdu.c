/* APDUs from outside: a command as the virtual card receives it (strict
 * decoding must re-encode to the very same bytes), a response split into
 * data and status, and the same bytes as a card's answer to
 * eid_card_transceive (61xx chaining and 6Cxx retry, bounded). */
#include <stdint.h>
#include <string.h>

#include "chip/apdu.h"
#include "chip/transport.h"
#include "crypto/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct canned {
	const uint8_t *p;
	size_t n;
};

static int canned_transmit(void *card, const uint8_t *capdu, size_t n,
			   eid_buf *rapdu)
{
	struct canned *c = card;

	(void)capdu;
	(void)n;
	return eid_buf_put(rapdu, c->p, c->n);
}

static void command(const uint8_t *data, size_t size)
{
	struct eid_apdu a;
	eid_buf b;

	if (eid_apdu_decode(data, size, &a) != EID_OK)
		return;
	eid_buf_init(&b, EID_APDU_MAX_ENCODED);
	if (eid_apdu_encode(&a, &b) != EID_OK || b.len != size ||
	    memcmp(b.data, data, size) != 0)
		__builtin_trap();
	eid_buf_free(&b);
}

static void response(const uint8_t *data, size_t size)
{
	struct canned c = { data, size };
	struct eid_transport t;
	struct eid_apdu cmd = { .ins = 0xb0, .ne = 256 };
	struct eid_rapdu_view v;
	struct eid_rapdu resp;

	if (eid_rapdu_parse(data, size, &v) == EID_OK && v.len + 2 != size)
		__builtin_trap();
	eid_transport_init_callback(&t, canned_transmit, &c);
	eid_rapdu_init(&resp, 1 << 16);
	(void)eid_card_transceive(&t, &cmd, &resp);
	eid_rapdu_free(&resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	command(data, size);
	response(data, size);
	return 0;
}
