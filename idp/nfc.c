#include "idp/nfc.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>
#include <uninorm.h>

#include "crypto/error.h"

/* NFC may lengthen a text a little (a few characters decompose without
 * composing again); a result that does not fit is malloc'd by
 * libunistring, which is allowed for, not expected. */
#define STACK_MAX (EID_NFC_INPUT_MAX + 256)

int eid_nfc(const char *s, size_t n, eid_buf *out)
{
	uint8_t stack[STACK_MAX];
	uint8_t *nfc;
	size_t len = sizeof(stack);
	int r;

	if (out == NULL || (s == NULL && n > 0))
		return EID_EINVAL;
	if (n == 0)
		return EID_OK;
	if (n > EID_NFC_INPUT_MAX)
		return EID_ETOOBIG;
	if (memchr(s, '\0', n) != NULL ||
	    u8_check((const uint8_t *)s, n) != NULL)
		return EID_EMALFORMED;
	nfc = u8_normalize(UNINORM_NFC, (const uint8_t *)s, n, stack, &len);
	if (nfc == NULL)
		return errno == ENOMEM ? EID_ENOMEM : EID_EMALFORMED;
	r = eid_buf_put(out, nfc, len);
	if (nfc != stack)
		free(nfc);
	return r;
}
