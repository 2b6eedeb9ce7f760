/* Personal ID numbers: whatever parses must be rebuilt by the generator
 * from its parts, digit for digit. */
#include <stdint.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/personal_id.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eid_personal_id id;
	char again[EID_PERSONAL_ID_LEN + 1];
	eid_buf why;

	eid_buf_init(&why, 256);
	if (eid_personal_id_parse_n((const char *)data, size, &id, &why) ==
	    EID_OK) {
		if (eid_personal_id_make(id.province, id.sex, id.birth_year,
					 id.serial, again) != EID_OK ||
		    memcmp(again, id.digits, sizeof(again)) != 0 ||
		    eid_personal_id_check_birth(&id, id.birth_year, id.sex) !=
			    EID_OK)
			__builtin_trap();
	} else if (why.len == 0) {
		__builtin_trap(); /* every refusal carries a reason */
	}
	eid_buf_free(&why);
	return 0;
}
