/* What self-service level 2 takes from outside: the biometric service's
 * answer and the selfie member of the app's upload.  An answer judged a
 * match must carry a score in [0, 1] at or over the threshold; a selfie
 * accepted must be a bounded JPEG. */
#include <stdint.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/biometric.h"
#include "idp/level2_self.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eid_biometric_verdict v;
	unsigned threshold = size > 0 ? data[0] % 101 : 80;
	eid_buf b;

	if (eid_biometric_parse_answer(data, size, threshold, &v) == EID_OK &&
	    (v.score < 0.0 || v.score > 1.0 ||
	     (v.match && v.score * 100.0 + 1e-9 < (double)threshold)))
		__builtin_trap();
	eid_buf_init(&b, EID_BIOMETRIC_IMAGE_MAX);
	if (eid_level2_self_selfie(data, size, &b) == EID_OK &&
	    (b.len < 3 || b.len > EID_BIOMETRIC_IMAGE_MAX || b.data[0] != 0xff ||
	     b.data[1] != 0xd8))
		__builtin_trap();
	eid_buf_free(&b);
	return 0;
}
