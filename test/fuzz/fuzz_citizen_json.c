/* Citizen JSON from outside: whatever decodes must encode, decode again to
 * the same record, and survive the storage form unchanged. */
#include <stdint.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/citizen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 2025-06-01T00:00:00Z: a fixed clock keeps runs reproducible. */
#define NOW INT64_C(1748736000)

static void round_trip(const struct eid_citizen *c)
{
	struct eid_citizen back;
	eid_buf b;

	eid_buf_init(&b, 1 << 20);
	if (eid_citizen_format_json(c, &b) != EID_OK ||
	    eid_citizen_parse_json((const char *)b.data, b.len, NOW, &back,
				   NULL) != EID_OK ||
	    memcmp(&back, c, sizeof(back)) != 0)
		__builtin_trap();
	eid_buf_reset(&b);
	if (eid_citizen_pack(c, &b) != EID_OK ||
	    eid_citizen_unpack(b.data, b.len, &back) != EID_OK ||
	    memcmp(&back, c, sizeof(back)) != 0)
		__builtin_trap();
	eid_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eid_citizen c;
	eid_buf why;

	/* The same bytes also go to the storage decoder. */
	(void)eid_citizen_unpack(data, size, &c);
	eid_buf_init(&why, 1024);
	memset(&c, 0, sizeof(c));
	if (eid_citizen_parse_json((const char *)data, size, NOW, &c, &why) ==
	    EID_OK)
		round_trip(&c);
	else if (why.len == 0)
		__builtin_trap();
	eid_buf_free(&why);
	return 0;
}
