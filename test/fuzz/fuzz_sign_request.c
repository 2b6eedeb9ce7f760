/* The relying party's signing request (POST /api/v1/sign/requests) on
 * arbitrary bytes, as the endpoint reads it (a JSON object, duplicates
 * refused): accepted input is within every bound; refusals say why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/signreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eid_signreq_input in;
	json_t *o = json_loadb((const char *)data, size,
			       JSON_REJECT_DUPLICATES, NULL);
	char b64[EID_SIGNREQ_B64_MAX];
	eid_buf why;
	int r;

	if (o == NULL)
		return 0;
	eid_buf_init(&why, 1024);
	r = eid_signreq_parse(o, &in, &why);
	if (r == EID_OK &&
	    (strlen(in.personal_id) != EID_PERSONAL_ID_LEN ||
	     in.hash_len != eid_digest_len(in.digest) ||
	     in.document[0] == '\0' ||
	     eid_signreq_hash_b64(&in, b64) != EID_OK))
		abort();
	if (r != EID_OK && (r != EID_EMALFORMED || why.len == 0))
		abort();
	eid_buf_free(&why);
	json_decref(o);
	return 0;
}
