/* EF.CardAccess or DG14's SecurityInfos as a card sends them: what parses
 * must have its PACEInfos encode to a file that parses back the same. */
#include <stdint.h>
#include <string.h>

#include "chip/cardaccess.h"
#include "chip/pace.h"
#include "crypto/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_pace(const struct eid_pace_info *a,
		      const struct eid_pace_info *b)
{
	return a->oid.len == b->oid.len &&
	       memcmp(a->oid.v, b->oid.v, a->oid.len) == 0 &&
	       a->version == b->version && a->param_id == b->param_id &&
	       a->ka == b->ka && a->alg == b->alg && a->keylen == b->keylen;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eid_security_infos si, back;
	const struct eid_pace_info *best;
	bool ambiguous;
	eid_buf b;

	if (eid_security_infos_parse(data, size, &si) != EID_OK)
		return 0;
	(void)eid_pace_choose(&si, &best, &ambiguous);
	if (si.npace == 0)
		return 0;
	eid_buf_init(&b, EID_CARDACCESS_MAX);
	if (eid_cardaccess_encode(si.pace, si.npace, &b) != EID_OK ||
	    eid_security_infos_parse(b.data, b.len, &back) != EID_OK ||
	    back.npace != si.npace)
		__builtin_trap();
	for (size_t i = 0; i < si.npace; i++)
		if (!same_pace(&si.pace[i], &back.pace[i]))
			__builtin_trap();
	eid_buf_free(&b);
	return 0;
}
