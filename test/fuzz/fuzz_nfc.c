/* Unicode NFC of outside text (idp/nfc.h) and the name comparison form
 * built on it: whatever is accepted comes out as UTF-8 that NFC leaves
 * alone, and a name's form has no blank at either end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <uninorm.h>

#include "crypto/error.h"
#include "idp/nfc.h"
#include "idp/registration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *s)
{
	eid_buf n;

	eid_buf_init(&n, 2 * EID_NFC_INPUT_MAX);
	if (eid_name_normalize(s, &n) == EID_OK && n.len > 0 &&
	    (n.data[0] == ' ' || n.data[n.len - 1] == ' '))
		__builtin_trap();
	eid_buf_free(&n);
}

/* eid_nfc's quick path (idp/nfc.c) gives what libunistring gives. */
static void check_reference(const uint8_t *data, size_t size,
			    const eid_buf *once)
{
	size_t len = 0;
	uint8_t *ref;

	if (size == 0)
		return;
	ref = u8_normalize(UNINORM_NFC, data, size, NULL, &len);
	if (ref == NULL)
		__builtin_trap();
	if (len != once->len || (len > 0 && memcmp(ref, once->data, len) != 0))
		__builtin_trap();
	free(ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	eid_buf once, twice;
	int r;

	eid_buf_init(&once, 2 * EID_NFC_INPUT_MAX);
	eid_buf_init(&twice, 2 * EID_NFC_INPUT_MAX);
	r = eid_nfc((const char *)data, size, &once);
	if (r == EID_OK) {
		check_reference(data, size, &once);
		if (eid_nfc((const char *)once.data, once.len, &twice) != EID_OK ||
		    twice.len != once.len ||
		    (once.len > 0 &&
		     memcmp(twice.data, once.data, once.len) != 0))
			__builtin_trap(); /* NFC is idempotent */
		if (eid_buf_cstr(&once) != NULL)
			check_name(eid_buf_cstr(&once));
	} else if (r != EID_EMALFORMED && r != EID_ETOOBIG) {
		__builtin_trap();
	}
	eid_buf_free(&twice);
	eid_buf_free(&once);
	return 0;
}
