/* The virtual card: an eMRTD served from a card image (chip/cardimage.h),
 * as a pure function from a command APDU to a response APDU, so it can be
 * tested without sockets and reached through the in-process transport.
 * tools/eid-vcard puts it behind vsmartcard's vpcd.
 *
 * What it answers: SELECT (the eMRTD application by AID A0000002471001,
 * the MF, EFs by FID), READ BINARY (B0 with offset or short file
 * identifier, B1 with DO'54'), GET CHALLENGE and EXTERNAL AUTHENTICATE
 * (BAC), INTERNAL AUTHENTICATE (Active Authentication), all under secure
 * messaging once access control has run.  EF.CardAccess sits in the MF
 * when the image offers PACE.  Data groups need secure messaging; a plain
 * command during secure messaging ends it (ICAO 9303-11 9.8), and so does
 * a command whose MAC does not verify (answered 6988).
 *
 * PACE (MSE:Set AT C1A4 and chained GENERAL AUTHENTICATE, chip/pace.h's
 * card side) runs with the image's CAN or MRZ information when the
 * image's EF.CardAccess offers it; Chip Authentication (MSE:Set AT 41A4 +
 * GENERAL AUTHENTICATE, or MSE:Set KAT 41A6, chip/ca.h's card side) with
 * the image's CA key when DG14 announces it, under the session access
 * control opened.
 *
 * Commands are dispatched through a table of instruction handlers in
 * vcard.c, using the handler interface at the end of this header. */
#ifndef EID_VCARD_H
#define EID_VCARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "chip/apdu.h"
#include "chip/bac.h"
#include "chip/cardimage.h"
#include "chip/sm.h"

/* The eMRTD application identifier. */
#define EID_VCARD_AID_LEN 7
extern const uint8_t eid_vcard_aid[EID_VCARD_AID_LEN];

/* vpcd control messages (a one-byte payload). */
#define EID_VPCD_POWER_OFF 0x00
#define EID_VPCD_POWER_ON 0x01
#define EID_VPCD_RESET 0x02
#define EID_VPCD_GET_ATR 0x04

typedef struct eid_vcard eid_vcard;

/* A card serving img, which it borrows (img must outlive the card).  The
 * AA and CA keys are decoded here (EID_EMALFORMED when they do not
 * parse).  rnd draws the card's randomness (NULL: the CSPRNG); tests pass
 * a replay of the ICAO worked example. */
int eid_vcard_new(const struct eid_cardimage *img, eid_bac_random_fn rnd,
		  void *rnd_ctx, eid_vcard **ret_vc);
/* Wipes the BAC keys and the session; safe on NULL. */
void eid_vcard_free(eid_vcard *vc);

/* Power cycle or reset: the MF selected, no session, no challenge. */
void eid_vcard_reset(eid_vcard *vc);
/* The answer to reset; returns its length. */
size_t eid_vcard_atr(const eid_vcard *vc, const uint8_t **ret_atr);

/* Answer one command APDU of n bytes: the response (data and SW1SW2) is
 * appended to rapdu.  Any input gets a status word (6700 for a malformed
 * APDU, 6D00 for an unknown instruction, ...); the return value is an
 * error only when the response cannot be built (EID_ENOMEM, EID_ETOOBIG
 * when rapdu is too small). */
int eid_vcard_process(eid_vcard *vc, const uint8_t *capdu, size_t n,
		      eid_buf *rapdu);
/* The same, shaped as an eid_card_fn for eid_transport_init_callback. */
int eid_vcard_transmit(void *vc, const uint8_t *capdu, size_t n,
		       eid_buf *rapdu);

/* One vpcd message payload: control bytes (power off/on, reset: no
 * reply; get ATR: the ATR) or a command APDU (its response).
 * *ret_reply tells whether reply holds something to send back.  Unknown
 * control bytes get no reply; an empty payload is EID_EMALFORMED. */
int eid_vcard_vpcd_message(eid_vcard *vc, const uint8_t *msg, size_t n,
			   eid_buf *reply, bool *ret_reply);

/* Counters for tests and logs. */
struct eid_vcard_stats {
	unsigned long commands;
	unsigned long reads;       /* READ BINARY answered with data */
	unsigned long sm_failures; /* sessions ended by a bad MAC */
};
void eid_vcard_stats(const eid_vcard *vc, struct eid_vcard_stats *ret);

/* ---- the handler interface (PACE and CA plug in through this) ---- */

/* A handler gets the plain command (unwrapped when it came under secure
 * messaging), appends its response data to resp and returns the status
 * word.  The response is wrapped with the session that was current when
 * the command arrived (none: plain). */
typedef uint16_t (*eid_vcard_handler_fn)(eid_vcard *vc,
					 const struct eid_apdu *cmd,
					 eid_buf *resp);

const struct eid_cardimage *eid_vcard_image(const eid_vcard *vc);
/* The Chip Authentication private key (NULL when the image has none). */
EVP_PKEY *eid_vcard_ca_key(const eid_vcard *vc);
bool eid_vcard_applet_selected(const eid_vcard *vc);
/* Start secure messaging with sm (owned by the card from now on), ending
 * any earlier session; later commands must come protected by it. */
void eid_vcard_set_sm(eid_vcard *vc, eid_sm *sm);
/* End secure messaging (the card's answer to a broken protocol run). */
void eid_vcard_end_sm(eid_vcard *vc);

#endif
