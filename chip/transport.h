/* How APDUs reach a card: a transmit function and an opaque context.  The
 * PC/SC reader (chip/pcsc.h), the in-process callback for tests, and later
 * an NFC bridge all fill the same struct. */
#ifndef EID_TRANSPORT_H
#define EID_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "chip/apdu.h"
#include "crypto/buf.h"

/* The largest raw response we accept: 65536 data bytes and SW1SW2. */
#define EID_RAPDU_MAX (65536u + 2u)
/* GET RESPONSE rounds before we give up on a card that keeps saying 61xx. */
#define EID_GET_RESPONSE_MAX 64

struct eid_transport {
	/* Send n bytes of command APDU and append the whole response (data
	 * and SW1SW2) to rapdu, which the caller passes empty. */
	int (*transmit)(void *ctx, const uint8_t *capdu, size_t n,
			eid_buf *rapdu);
	/* Release ctx (may be NULL). */
	void (*close)(void *ctx);
	void *ctx;
};

/* A card stood in for by a function in this process: tests and the
 * virtual card's own self-tests.  close stays NULL: the caller owns card. */
typedef int (*eid_card_fn)(void *card, const uint8_t *capdu, size_t n,
			   eid_buf *rapdu);
void eid_transport_init_callback(struct eid_transport *t, eid_card_fn fn,
				 void *card);

/* One raw exchange: rapdu is reset, filled and checked to hold at least
 * SW1SW2 (EID_ETRANSPORT otherwise). */
int eid_transport_transmit(const struct eid_transport *t,
			   const uint8_t *capdu, size_t n, eid_buf *rapdu);

/* Close the transport and clear it; safe to call twice. */
void eid_transport_close(struct eid_transport *t);

/* Send cmd and collect the complete response: on 61xx send GET RESPONSE
 * (at most EID_GET_RESPONSE_MAX times) and concatenate the data; on 6Cxx
 * resend once with Ne = xx.  Any final status word is EID_OK here: resp->sw
 * is the caller's to judge.  resp->data is reset first; its max bounds the
 * total. */
int eid_card_transceive(const struct eid_transport *t,
			const struct eid_apdu *cmd, struct eid_rapdu *resp);

#endif
