/* User codes typed at /device: whatever normalises is 8 letters of the
 * alphabet, and its shown form normalises back to it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/devgrant.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char code[EID_DEVGRANT_USER_CODE_LEN + 1];
	char again[EID_DEVGRANT_USER_CODE_LEN + 1];
	char shown[EID_DEVGRANT_USER_CODE_SHOWN + 1];
	char *s = malloc(size + 1);

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (eid_devgrant_user_code_normalise(s, code) == EID_OK) {
		if (strlen(code) != EID_DEVGRANT_USER_CODE_LEN ||
		    strspn(code, EID_DEVGRANT_ALPHABET) !=
			    EID_DEVGRANT_USER_CODE_LEN)
			__builtin_trap();
		eid_devgrant_user_code_show(code, shown);
		if (eid_devgrant_user_code_normalise(shown, again) != EID_OK ||
		    strcmp(code, again) != 0)
			__builtin_trap();
	}
	free(s);
	return 0;
}
