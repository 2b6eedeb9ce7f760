/* The printed QR code, as a scanner hands it over: whatever parses must
 * encode to a code that parses back to the same fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chip/vnqr.h"
#include "crypto/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eid_dg13 *d = calloc(1, sizeof(*d));
	struct eid_dg13 *back = calloc(1, sizeof(*back));
	json_t *j = NULL;
	eid_buf b;

	eid_buf_init(&b, 1 << 16);
	if (d == NULL || back == NULL ||
	    eid_vnqr_parse((const char *)data, size, d) != EID_OK)
		goto out;
	if (eid_vnqr_encode(d, &b) != EID_OK ||
	    eid_vnqr_parse((const char *)b.data, b.len, back) != EID_OK ||
	    memcmp(d, back, sizeof(*d)) != 0)
		__builtin_trap();
	if (eid_dg13_to_json(d, &j) == EID_OK)
		json_decref(j);
out:
	eid_buf_free(&b);
	free(d);
	free(back);
	return 0;
}
