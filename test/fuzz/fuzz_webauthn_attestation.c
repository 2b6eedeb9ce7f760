/* A registration's attestation object (CBOR: fmt, attStmt, authData with
 * the credential and its COSE key), checked as the account page's
 * registration does, against a fixed clientDataJSON.  The input is also
 * read as a COSE key on its own. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_webauthn.h"
#include "idp/webauthn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char cd[] = FUZZ_WA_CLIENT_DATA("webauthn.create");
	uint8_t ch[32];
	struct eid_wa_expect x = { FUZZ_WA_RP, FUZZ_WA_ORIGIN, ch, 32, true };
	struct eid_wa_credential c;
	EVP_PKEY *key = NULL;
	size_t len;
	int alg;

	memset(ch, FUZZ_WA_CHALLENGE_BYTE, sizeof(ch));
	(void)eid_wa_register(&x, (const uint8_t *)cd, sizeof(cd) - 1, data,
			      size, &c);
	if (eid_cose_key_parse(data, size, &len, &alg, &key) == 0)
		EVP_PKEY_free(key);
	return 0;
}
