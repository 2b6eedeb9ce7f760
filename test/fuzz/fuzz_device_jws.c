/* The e-ID app's requests: the EID-Device JWS of the Authorization
 * header (its unverified iss, then the full check against a device key),
 * and the input as the JWK of a device binding. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_tmpstore.h"
#include "idp/device.h"
#include "idp/device_auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RFC 7517 appendix A.1's P-256 key. */
#define JWK "{\"kty\":\"EC\",\"crv\":\"P-256\"," \
	"\"x\":\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\"," \
	"\"y\":\"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM\"}"

static const uint8_t nonce_key[32] = { 0x42 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eid_device_auth_request q = {
		.aud = "https://idp.example/api/v1/devices/current",
		.nonce_key = nonce_key, .now = FUZZ_NOW,
	};
	char iss[64];
	json_t *jwk = json_loads(JWK, 0, NULL), *in;

	if (eid_device_jws_iss((const char *)data, size, iss, sizeof(iss)) ==
	    EID_OK)
		(void)eid_device_auth_check(fuzz_store(), (const char *)data,
					    size, jwk, iss, &q);
	in = json_loadb((const char *)data, size, 0, NULL);
	(void)eid_device_check_jwk(in, NULL);
	json_decref(in);
	json_decref(jwk);
	return 0;
}
