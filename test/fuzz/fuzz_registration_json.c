/* The registration request (JSON API) on arbitrary bytes: accepted input
 * is complete and well-formed; refusals always say why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/registration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eid_registration_input in;
	eid_buf why;
	int r;

	eid_registration_input_init(&in);
	eid_buf_init(&why, 1024);
	r = eid_registration_input_from_json((const char *)data, size, &in,
					     &why);
	if (r == EID_OK &&
	    (eid_registration_input_complete(&in, NULL) != EID_OK ||
	     eid_portrait_check(in.portrait.data, in.portrait.len) != EID_OK ||
	     in.phone[0] != '+'))
		abort();
	if (r != EID_OK && why.len == 0)
		abort();
	eid_buf_free(&why);
	eid_registration_input_free(&in);
	return 0;
}
