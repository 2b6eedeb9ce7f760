#include "idp/nfc.h"

#include <errno.h>
#include <stdbool.h>
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

/* Whether the UTF-8 text s[n] (already checked) is its own NFC by the
 * quick check of UAX #15 section 9: every character of U+0000..U+02FF
 * (Basic Latin to Spacing Modifier Letters) and of U+1E00..U+1EFF (Latin
 * Extended Additional, Vietnamese's precomposed letters) has
 * NFC_Quick_Check=Yes and canonical combining class 0, so a text of them
 * only is in NFC.  Any other character sends the text to libunistring.
 * test_nfc checks every character of both ranges, and every pair, against
 * libunistring's tables. */
static bool nfc_stable(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (s[i] < 0x80)
			i++;
		else if (s[i] < 0xCC) /* C2..CB: U+0080..U+02FF */
			i += 2;
		else if (s[i] == 0xE1 && s[i + 1] >= 0xB8 && s[i + 1] <= 0xBB)
			i += 3; /* E1 B8 80..E1 BB BF: U+1E00..U+1EFF */
		else
			return false;
	}
	return true;
}

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
	if (nfc_stable((const uint8_t *)s, n))
		return eid_buf_put(out, s, n);
	nfc = u8_normalize(UNINORM_NFC, (const uint8_t *)s, n, stack, &len);
	if (nfc == NULL)
		return errno == ENOMEM ? EID_ENOMEM : EID_EMALFORMED;
	r = eid_buf_put(out, nfc, len);
	if (nfc != stack)
		free(nfc);
	return r;
}
