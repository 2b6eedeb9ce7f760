/* private_key_jwt client assertions: eid_client_assertion_verify with the
 * RFC 7515 A.3 EC key as the client's only registered key, so seeds made
 * with its published private half verify for real. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "fuzz_tmpstore.h"
#include "idp/client_assertion.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char client_jwk[] =
	"{\"kty\":\"EC\",\"crv\":\"P-256\","
	"\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
	"\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *jwk = json_loads(client_jwk, 0, NULL);
	eid_key *key = NULL;

	if (eid_key_from_public_jwk(jwk, &key) == EID_OK)
		(void)eid_client_assertion_verify(
			(const char *)data, size, (const eid_key *const *)&key,
			1, "rp-one", "https://idp.example",
			"https://idp.example/token", FUZZ_NOW, fuzz_store());
	eid_key_free(key);
	json_decref(jwk);
	return 0;
}
