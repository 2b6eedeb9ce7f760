#include "chip/transport.h"

#include <string.h>

#include "crypto/error.h"

void eid_transport_init_callback(struct eid_transport *t, eid_card_fn fn,
				 void *card)
{
	t->transmit = fn;
	t->close = NULL;
	t->ctx = card;
}

int eid_transport_transmit(const struct eid_transport *t,
			   const uint8_t *capdu, size_t n, eid_buf *rapdu)
{
	int r;

	if (t == NULL || t->transmit == NULL)
		return EID_EINVAL;
	eid_buf_reset(rapdu);
	r = t->transmit(t->ctx, capdu, n, rapdu);
	if (r != EID_OK)
		return r;
	return rapdu->len < 2 ? EID_ETRANSPORT : EID_OK;
}

void eid_transport_close(struct eid_transport *t)
{
	if (t->close != NULL)
		t->close(t->ctx);
	memset(t, 0, sizeof(*t));
}

/* Encode cmd, exchange it and split the answer into view (borrowing raw). */
static int exchange(const struct eid_transport *t, const struct eid_apdu *cmd,
		    eid_buf *enc, eid_buf *raw, struct eid_rapdu_view *view)
{
	int r;

	eid_buf_reset(enc);
	if ((r = eid_apdu_encode(cmd, enc)) != EID_OK)
		return r;
	if ((r = eid_transport_transmit(t, enc->data, enc->len, raw)) != EID_OK)
		return r;
	return eid_rapdu_parse(raw->data, raw->len, view);
}

int eid_card_transceive(const struct eid_transport *t,
			const struct eid_apdu *cmd, struct eid_rapdu *resp)
{
	struct eid_apdu retry = *cmd;
	struct eid_apdu get = { .cla = 0x00, .ins = 0xc0 };
	struct eid_rapdu_view v;
	eid_buf enc, raw;
	int r, rounds = 0;

	eid_buf_init(&enc, EID_APDU_MAX_ENCODED);
	eid_buf_init(&raw, EID_RAPDU_MAX);
	eid_buf_reset(&resp->data);
	if ((r = exchange(t, cmd, &enc, &raw, &v)) != EID_OK)
		goto out;
	if ((v.sw >> 8) == 0x6c) {
		/* Wrong Le: the card tells the exact length; ask once more. */
		retry.ne = (v.sw & 0xff) == 0 ? 256 : (v.sw & 0xff);
		if ((r = exchange(t, &retry, &enc, &raw, &v)) != EID_OK)
			goto out;
	}
	for (;;) {
		if ((r = eid_buf_put(&resp->data, v.data, v.len)) != EID_OK)
			goto out;
		if ((v.sw >> 8) != 0x61)
			break;
		if (++rounds > EID_GET_RESPONSE_MAX) {
			r = EID_ECARD;
			goto out;
		}
		get.ne = (v.sw & 0xff) == 0 ? 256 : (v.sw & 0xff);
		if ((r = exchange(t, &get, &enc, &raw, &v)) != EID_OK)
			goto out;
	}
	resp->sw = v.sw;
	r = EID_OK;
out:
	eid_buf_free(&enc);
	eid_buf_free(&raw);
	return r;
}
