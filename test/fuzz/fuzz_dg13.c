/* DG13 from a Vietnamese card: whatever parses must encode to a file that
 * parses back to the same fields, and must export as JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chip/dg13.h"
#include "crypto/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eid_dg13 *d = calloc(1, sizeof(*d));
	struct eid_dg13 *back = calloc(1, sizeof(*back));
	json_t *j = NULL;
	eid_buf b;

	eid_buf_init(&b, 1 << 20);
	if (d == NULL || back == NULL)
		goto out;
	if (eid_dg13_parse(data, size, d) != EID_OK)
		goto out;
	/* Every member is a NUL-terminated string: compare the whole. */
	if (eid_dg13_encode(d, &b) != EID_OK ||
	    eid_dg13_parse(b.data, b.len, back) != EID_OK)
		__builtin_trap();
	for (size_t off = 0; off < sizeof(*d); off += sizeof(eid_dg13_str))
		if (strcmp((char *)d + off, (char *)back + off) != 0)
			__builtin_trap();
	if (eid_dg13_to_json(d, &j) == EID_OK)
		json_decref(j);
out:
	eid_buf_free(&b);
	free(d);
	free(back);
	return 0;
}
