/* MRZ text from DG1 or from OCR: parse, and whatever parses must encode
 * to an MRZ that parses back to the same fields. */
#include <stdint.h>
#include <string.h>

#include "chip/mrz.h"
#include "crypto/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_or_trap(const struct eid_mrz *a, const struct eid_mrz *b)
{
	if (a->format != b->format || a->sex != b->sex ||
	    strcmp(a->doc_code, b->doc_code) != 0 ||
	    strcmp(a->issuer, b->issuer) != 0 ||
	    strcmp(a->docno, b->docno) != 0 || strcmp(a->dob, b->dob) != 0 ||
	    strcmp(a->expiry, b->expiry) != 0 ||
	    strcmp(a->nationality, b->nationality) != 0 ||
	    strcmp(a->optional1, b->optional1) != 0 ||
	    strcmp(a->optional2, b->optional2) != 0 ||
	    strcmp(a->primary, b->primary) != 0 ||
	    strcmp(a->secondary, b->secondary) != 0 ||
	    strcmp(a->personal_id, b->personal_id) != 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eid_mrz m, back;
	char iso[11];
	eid_buf b;

	if (eid_mrz_parse((const char *)data, size, &m) != EID_OK)
		return 0;
	eid_buf_init(&b, 256);
	if (eid_mrz_encode(&m, &b) != EID_OK)
		__builtin_trap();
	if (eid_mrz_parse((const char *)b.data, b.len, &back) != EID_OK)
		__builtin_trap();
	same_or_trap(&m, &back);
	eid_buf_reset(&b);
	(void)eid_mrz_info_build(m.docno, m.dob, m.expiry, &b);
	(void)eid_mrz_date_iso(m.dob, 2026, 0, iso);
	eid_buf_free(&b);
	return 0;
}
