/* Outside JWTs and JWKs: eid_jws_verify against a fixed ES256 public key
 * (RFC 7515 A.3, so a seed verifies for real), the strict base64url
 * decoder, and the input parsed as JSON through eid_key_from_public_jwk and
 * eid_jwk_thumbprint. */
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed_jwk[] =
	"{\"kty\":\"EC\",\"crv\":\"P-256\","
	"\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
	"\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}";

static void fuzz_verify(const uint8_t *data, size_t size)
{
	static const char *const algs[] = { "ES256", "RS256", "PS256", NULL };
	json_t *jwk = json_loads(fixed_jwk, 0, NULL);
	json_t *hdr = NULL, *claims = NULL;
	eid_key *key = NULL;

	if (eid_key_from_public_jwk(jwk, &key) == EID_OK &&
	    eid_jws_verify((const char *)data, size,
			   (const eid_key *const *)&key, 1, algs, &hdr,
			   &claims) == EID_OK) {
		json_decref(hdr);
		json_decref(claims);
	}
	eid_key_free(key);
	json_decref(jwk);
}

static void fuzz_jwk(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	char tp[EID_THUMBPRINT_LEN + 1];
	json_t *pub = NULL;
	eid_key *key = NULL;

	if (j == NULL)
		return;
	(void)eid_jwk_thumbprint(j, tp);
	if (eid_key_from_public_jwk(j, &key) == EID_OK &&
	    eid_key_public_jwk(key, &pub) == EID_OK)
		json_decref(pub);
	eid_key_free(key);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	eid_buf b;

	fuzz_verify(data, size);
	eid_buf_init(&b, 1u << 20);
	(void)eid_b64url_decode((const char *)data, size, &b);
	eid_buf_free(&b);
	fuzz_jwk(data, size);
	return 0;
}
