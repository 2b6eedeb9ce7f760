/* Stored key records (crypto/keys.h): a sealed key or a reference to a
 * key in a PKCS#11 token.  Without a token and with a fixed KEK nothing
 * here may open: a reference must be refused as malformed or as needing a
 * token, and no input may crash the parser. */
#include <stdint.h>

#include "crypto/error.h"
#include "crypto/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t kek[32] = { 0x42 };
	eid_key *key = NULL;
	int r = eid_key_open(data, size, kek, NULL, &key);

	if (eid_key_blob_in_token(data, size) && r != EID_EMALFORMED &&
	    r != EID_ESTATE)
		__builtin_trap();
	if (r == EID_OK)
		__builtin_trap(); /* no blob opens under this KEK */
	eid_key_free(key);
	return 0;
}
