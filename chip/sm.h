/* ICAO 9303 Part 11 secure messaging (section 9.8): a session holds
 * KSenc, KSmac and the send sequence counter, which is incremented before
 * each command and before each response.  The terminal protects commands
 * and unprotects responses; the card side (the virtual card) does the
 * mirror image with the same primitives.  A response's MAC is always
 * checked, in constant time, before anything is decrypted; after any
 * failure to verify, the session refuses further use (EID_ESTATE), as the
 * chip itself ends secure messaging. */
#ifndef EID_SM_H
#define EID_SM_H

#include <stddef.h>
#include <stdint.h>

#include "chip/apdu.h"
#include "chip/smcrypto.h"

typedef struct eid_sm eid_sm;

/* A session for alg with the two session keys (klen bytes each) and the
 * initial SSC (8 bytes for 3DES, 16 for AES). */
int eid_sm_new(enum eid_sm_alg alg, const uint8_t *ksenc,
	       const uint8_t *ksmac, size_t klen, const uint8_t *ssc,
	       size_t ssc_len, eid_sm **ret_sm);
/* Wipe the keys and free; safe on NULL. */
void eid_sm_free(eid_sm *sm);

/* The cipher's block size: 8 for 3DES, 16 for AES. */
size_t eid_sm_block_size(const eid_sm *sm);

/* The current SSC (tests and diagnostics); returns its length. */
size_t eid_sm_ssc(const eid_sm *sm, uint8_t out[EID_SM_BLOCK_MAX]);

/* Terminal side.  Protect cmd (CLA without SM bits): ret_cmd gets CLA |
 * 0x0C, a body of DO'87' (DO'85' for an odd INS), DO'97' and DO'8E' held
 * in body (reset first), and Le 00 (0000 when extended). */
int eid_sm_protect(eid_sm *sm, const struct eid_apdu *cmd, eid_buf *body,
		   struct eid_apdu *ret_cmd);
/* Unprotect a response: DO'87'/'85' (optional), DO'99' and DO'8E'
 * (mandatory, EID_EVERIFY when absent), nothing else.  The plain data goes
 * to out->data (reset first) and the protected status word to out->sw.  A
 * plain 6987 is EID_ECARD and 6988 EID_EVERIFY; any other unprotected
 * error status is EID_ECARD; a MAC mismatch is EID_EVERIFY. */
int eid_sm_unprotect(eid_sm *sm, const struct eid_rapdu *in,
		     struct eid_rapdu *out);

/* Card side.  Unprotect a decoded command: ret_cmd gets the plain header
 * (CLA without SM bits), its data in data (reset first) and Ne from
 * DO'97'.  EID_EVERIFY on a wrong or missing MAC. */
int eid_sm_card_unprotect(eid_sm *sm, const struct eid_apdu *in,
			  eid_buf *data, struct eid_apdu *ret_cmd);
/* Protect a response to a command with instruction ins: DO'87' (DO'85'
 * when ins is odd) when len > 0, DO'99', DO'8E', then SW1SW2, appended to
 * out. */
int eid_sm_card_protect(eid_sm *sm, uint8_t ins, const uint8_t *data,
			size_t len, uint16_t sw, eid_buf *out);

#endif
