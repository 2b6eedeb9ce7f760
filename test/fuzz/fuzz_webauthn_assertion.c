/* A sign-in assertion as the login page posts it, framed for fuzzing as
 *   u16be n, n bytes of stored COSE key, u16be m, m bytes of
 *   authenticatorData, the rest the signature
 * and checked against a fixed clientDataJSON.  The whole input is also
 * read as clientDataJSON and as authenticator data on their own. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crypto/buf.h"
#include "fuzz_webauthn.h"
#include "idp/webauthn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char cd[] = FUZZ_WA_CLIENT_DATA("webauthn.get");
	uint8_t ch[32];
	struct eid_wa_expect x = { FUZZ_WA_RP, FUZZ_WA_ORIGIN, ch, 32, true };
	struct eid_wa_client_data pcd;
	struct eid_wa_auth_data pad;
	const uint8_t *key, *ad;
	uint16_t n, m;
	uint32_t count;
	uint8_t flags;
	eid_rd rd = eid_rd_make(data, size);

	memset(ch, FUZZ_WA_CHALLENGE_BYTE, sizeof(ch));
	(void)eid_wa_client_data_parse(data, size, &pcd);
	(void)eid_wa_auth_data_parse(data, size, &pad);
	if (eid_rd_u16be(&rd, &n) || eid_rd_bytes(&rd, n, &key) ||
	    eid_rd_u16be(&rd, &m) || eid_rd_bytes(&rd, m, &ad))
		return 0;
	(void)eid_wa_assert(&x, key, n, (const uint8_t *)cd, sizeof(cd) - 1,
			    ad, m, eid_rd_ptr(&rd), eid_rd_left(&rd), &flags,
			    &count);
	return 0;
}
