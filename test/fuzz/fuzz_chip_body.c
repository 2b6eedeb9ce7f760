/* The body of POST /chip/verify: whatever parses holds the required
 * members within their limits, and the files point into the body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/chipverify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eid_chip_body *b = malloc(sizeof(*b));
	const char *member = NULL;
	int r;

	if (b == NULL)
		return 0;
	eid_chip_body_init(b);
	r = eid_chip_body_parse(data, size, b, &member);
	if (member == NULL)
		__builtin_trap();
	if (r == EID_OK &&
	    (b->up.sod.len == 0 || b->up.dg1.len == 0 ||
	     b->up.challenge_id == NULL ||
	     strlen(b->up.challenge_id) > EID_CHIPVERIFY_ID_LEN ||
	     b->up.sod.data != b->files[0].data ||
	     b->up.aa_signature.len > EID_AA_MAX_SIG))
		__builtin_trap();
	eid_chip_body_clear(b);
	free(b);
	return 0;
}
