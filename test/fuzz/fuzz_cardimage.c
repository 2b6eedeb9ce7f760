/* A card image file as eid-vcard loads it: strict parsing, and whatever
 * parses re-encodes and parses again to the same members. */
#include <stdint.h>
#include <string.h>

#include "chip/cardimage.h"
#include "crypto/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eid_cardimage img, again;
	eid_buf b;

	if (eid_cardimage_parse(data, size, &img) != EID_OK)
		return 0;
	eid_buf_init(&b, EID_CARDIMAGE_MAX);
	if (eid_cardimage_encode(&img, &b) != EID_OK ||
	    eid_cardimage_parse(b.data, b.len, &again) != EID_OK)
		__builtin_trap();
	if (again.n_files != img.n_files || again.max_read != img.max_read ||
	    strcmp(again.mrz_info, img.mrz_info) != 0)
		__builtin_trap();
	eid_cardimage_clear(&again);
	eid_cardimage_clear(&img);
	eid_buf_free(&b);
	return 0;
}
