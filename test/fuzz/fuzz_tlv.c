/* BER-TLV from a card: walk every element, recursing into constructed
 * ones, and re-encode what was read. */
#include <stdint.h>
#include <string.h>

#include "chip/tlv.h"
#include "crypto/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const uint8_t *p, size_t n, int depth)
{
	eid_rd r = eid_rd_make(p, n);
	struct eid_tlv t;
	eid_buf b;

	if (depth > 16)
		return;
	while (eid_rd_left(&r) > 0 && eid_tlv_read(&r, &t) == EID_OK) {
		/* What we read must re-encode to an element that reads back the
		 * same (the encoder and the parser agree). */
		eid_buf_init(&b, 1 << 24);
		if (eid_tlv_put(&b, t.tag, t.value, t.len) == EID_OK) {
			struct eid_tlv back;
			if (eid_tlv_parse_exact(b.data, b.len, &back) != EID_OK ||
			    back.tag != t.tag || back.len != t.len ||
			    memcmp(back.value, t.value, t.len) != 0)
				__builtin_trap();
		}
		eid_buf_free(&b);
		if (t.constructed)
			walk(t.value, t.len, depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eid_tlv t;

	walk(data, size, 0);
	(void)eid_tlv_find(data, size, 0x5f1f, &t);
	return 0;
}
