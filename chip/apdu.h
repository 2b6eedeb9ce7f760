/* ISO 7816-4 command and response APDUs.  A command is built as a struct
 * and encoded into an eid_buf (cases 1 to 4, short or extended length);
 * the virtual card decodes commands with strict length checks. */
#ifndef EID_APDU_H
#define EID_APDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/buf.h"

#define EID_APDU_SHORT_NC_MAX 255u
#define EID_APDU_SHORT_NE_MAX 256u
#define EID_APDU_EXT_NC_MAX 65535u
#define EID_APDU_EXT_NE_MAX 65536u
/* The longest encoded command: header, 00 Lc1 Lc2, data, Le1 Le2. */
#define EID_APDU_MAX_ENCODED (4u + 3u + EID_APDU_EXT_NC_MAX + 2u)
/* Status words the code tests by name. */
#define EID_SW_OK 0x9000u
#define EID_SW_EOF_WARNING 0x6282u
#define EID_SW_WRONG_LENGTH 0x6700u
#define EID_SW_SM_MISSING 0x6987u
#define EID_SW_SM_INCORRECT 0x6988u

struct eid_apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data; /* borrowed; nc bytes */
	size_t nc;           /* 0 .. 65535 */
	size_t ne;           /* 0 = no Le field, else 1 .. 65536 */
	bool extended;       /* force extended length even when short fits */
};

/* Append the encoding of a to out.  Short length when nc <= 255, ne <= 256
 * and a->extended is false; Ne 256 is Le 00, extended Ne 65536 is 0000.
 * EID_EINVAL for out-of-range nc/ne. */
int eid_apdu_encode(const struct eid_apdu *a, eid_buf *out);

/* Decode a command APDU (the card's side).  Exactly one of the ISO 7816-3
 * cases must match the length; anything else is EID_EMALFORMED (or
 * EID_ETRUNCATED under four bytes).  ret->data borrows from p. */
int eid_apdu_decode(const uint8_t *p, size_t n, struct eid_apdu *ret);

/* A response APDU seen in place: data borrowed, SW1SW2 apart. */
struct eid_rapdu_view {
	const uint8_t *data;
	size_t len;
	uint16_t sw;
};

/* Split a response into data and status word (EID_ETRUNCATED under two
 * bytes). */
int eid_rapdu_parse(const uint8_t *p, size_t n, struct eid_rapdu_view *ret);

/* A response APDU whose data the caller owns. */
struct eid_rapdu {
	eid_buf data;
	uint16_t sw;
};

void eid_rapdu_init(struct eid_rapdu *r, size_t max);
void eid_rapdu_free(struct eid_rapdu *r);

/* Map a final status word to the error space: 9000 is EID_OK (warnings are
 * the caller's to accept); 6A82/6A83 EID_ENOTFOUND; 6982/6983/6984/6985
 * EID_EPERM; 6988 (incorrect SM data objects: the card could not verify
 * our MAC) EID_EVERIFY; anything else, 6987 included, EID_ECARD. */
int eid_sw_to_error(uint16_t sw);

#endif
