/* DPoP proofs as they come in the DPoP header: eid_dpop_verify at the
 * token endpoint (no token, no nonce) and at a resource (access token and
 * a required nonce), and the input as a server nonce. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_tmpstore.h"
#include "idp/dpop.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_AT "fuzz-access-token"

static const uint8_t nonce_key[32] = {
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eid_dpop_request token = {
		.htm = "POST", .htu = "https://idp.example/token",
		.now = FUZZ_NOW,
	};
	struct eid_dpop_request resource = {
		.htm = "GET", .htu = "https://idp.example/userinfo",
		.access_token = FUZZ_AT, .nonce_key = nonce_key,
		.now = FUZZ_NOW,
	};
	char jkt[EID_THUMBPRINT_LEN + 1], nonce[64];
	eid_store *s = fuzz_store();

	(void)eid_dpop_verify((const char *)data, size, &token, s, jkt);
	(void)eid_dpop_verify((const char *)data, size, &resource, s, jkt);
	if (size < sizeof(nonce)) {
		memcpy(nonce, data, size);
		nonce[size] = '\0';
		(void)eid_dpop_nonce_check(nonce_key, nonce, FUZZ_NOW);
	}
	return 0;
}
