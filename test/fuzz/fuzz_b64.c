/* Standard base64 (the signing API's signatures and documents) on
 * arbitrary bytes: what decodes encodes back to exactly the input (one
 * encoding per value), and a refusal leaves the output untouched. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/jose.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	eid_buf dec, enc;
	int r;

	eid_buf_init(&dec, 1u << 20);
	eid_buf_init(&enc, 2u << 20);
	r = eid_b64_decode((const char *)data, size, &dec);
	if (r == EID_OK) {
		if (eid_b64_encode(dec.data, dec.len, &enc) != EID_OK ||
		    enc.len != size ||
		    (size > 0 && memcmp(enc.data, data, size) != 0))
			abort();
	} else if (r != EID_EMALFORMED || dec.len != 0) {
		abort();
	}
	eid_buf_free(&dec);
	eid_buf_free(&enc);
	return 0;
}
