/* EF.SOD from a chip: parse it and walk what was parsed. */
#include <stdint.h>

#include "chip/sod.h"
#include "crypto/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct eid_sod_dg_hash *h;
	eid_sod *sod = NULL;

	if (eid_sod_parse(data, size, &sod) != EID_OK)
		return 0;
	for (size_t i = 0; i < eid_sod_dg_count(sod); i++) {
		h = eid_sod_dg_at(sod, i);
		if (h == NULL || h->hash_len < EID_SOD_MIN_HASH ||
		    h->hash_len > EID_SOD_MAX_HASH ||
		    eid_sod_dg_find(sod, h->number, &h) != EID_OK)
			__builtin_trap();
	}
	if (eid_sod_dsc(sod) == NULL || eid_sod_hash_md(sod) == NULL)
		__builtin_trap();
	eid_sod_free(sod);
	return 0;
}
