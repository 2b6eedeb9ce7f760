#include "chip/vcard.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "chip/aa.h"
#include "chip/ca.h"
#include "chip/cardaccess.h"
#include "chip/lds.h"
#include "chip/pace.h"
#include "chip/reader.h"
#include "chip/tlv.h"
#include "crypto/error.h"
#include "crypto/secret.h"

const uint8_t eid_vcard_aid[EID_VCARD_AID_LEN] = {
	0xa0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01,
};

#define SW_OK 0x9000u
#define SW_AUTH_FAILED 0x6300u
#define SW_WRONG_LENGTH 0x6700u
#define SW_SM_UNSUPPORTED 0x6882u
#define SW_SECURITY 0x6982u
#define SW_CONDITIONS 0x6985u
#define SW_NO_EF 0x6986u
#define SW_SM_INCORRECT 0x6988u
#define SW_WRONG_DATA 0x6a80u
#define SW_NOT_FOUND 0x6a82u
#define SW_WRONG_P1P2 0x6b00u
#define SW_INS 0x6d00u
#define SW_CLA 0x6e00u
#define SW_UNKNOWN 0x6f00u

#define INS_SELECT 0xa4
#define INS_READ_BINARY 0xb0
#define INS_READ_BINARY_ODD 0xb1
#define INS_GET_CHALLENGE 0x84
#define INS_EXTERNAL_AUTH 0x82
#define INS_INTERNAL_AUTH 0x88
#define INS_MSE 0x22
#define INS_GENERAL_AUTH 0x86

#define SW_REF_NOT_FOUND 0x6a88u
#define MSE_PACE_AT 0xc1a4u /* MSE:Set AT for PACE (mutual auth.) */
#define MSE_CA_AT 0x41a4u   /* MSE:Set AT for Chip Authentication */
#define MSE_CA_KAT 0x41a6u  /* MSE:Set KAT (3DES Chip Authentication) */

#define FID_MF 0x3f00
#define RAPDU_MAX (EID_CARDIMAGE_READ_MAX + 64)

/* Historical bytes "eID VCARD" after 3B 89 80 01; TCK computed. */
static const uint8_t atr_head[] = { 0x3b, 0x89, 0x80, 0x01, 'e', 'I', 'D',
				    ' ', 'V', 'C', 'A', 'R', 'D' };
#define ATR_LEN (sizeof(atr_head) + 1)

struct eid_vcard {
	const struct eid_cardimage *img;
	struct eid_bac_keys bac;
	EVP_PKEY *aa_key;
	EVP_PKEY *ca_key;
	eid_bac_random_fn rnd;
	void *rnd_ctx;
	uint8_t atr[ATR_LEN];
	/* state */
	bool applet;             /* the eMRTD application is selected */
	int file;                /* selected EF, -1 for none */
	eid_sm *sm;
	bool busy;               /* a handler runs: session changes wait */
	eid_sm *pending;         /* ... here */
	bool has_pending;
	uint8_t rnd_ic[EID_BAC_RND_LEN];
	bool challenge;          /* rnd_ic is fresh */
	eid_buf rest;            /* response data GET RESPONSE has to give */
	struct eid_vcard_stats stats;
	eid_pace_card *pace;     /* NULL: the card offers no PACE */
	struct eid_ca_info ca;   /* from DG14, when has_ca */
	bool has_ca;
	bool ca_armed;           /* MSE:Set AT for CA done: 86 is CA's */
};

/* ---- files ---- */

static bool in_mf(uint16_t fid)
{
	return fid == EID_FID_CARD_ACCESS;
}

/* The file fid in the current DF; EF.CardAccess only on PACE cards. */
static const eid_buf *file_get(const eid_vcard *vc, uint16_t fid)
{
	if (in_mf(fid) != !vc->applet)
		return NULL;
	if (fid == EID_FID_CARD_ACCESS &&
	    vc->img->access != EID_CARD_ACCESS_PACE_BAC)
		return NULL;
	return eid_cardimage_file(vc->img, fid);
}

/* Short file identifiers are the FID's low five bits for every eMRTD
 * file. */
static int file_by_sfi(const eid_vcard *vc, uint8_t sfi)
{
	for (size_t i = 0; i < vc->img->n_files; i++) {
		uint16_t fid = vc->img->files[i].fid;

		if ((fid & 0x1f) == sfi && (fid >> 5) == (0x0100 >> 5) &&
		    file_get(vc, fid) != NULL)
			return fid;
	}
	return -1;
}

/* Reading a data group needs the session that access control opened. */
static bool may_read(const eid_vcard *vc, uint16_t fid)
{
	return in_mf(fid) || vc->sm != NULL;
}

/* ---- handlers ---- */

static uint16_t select_aid(eid_vcard *vc, const struct eid_apdu *cmd)
{
	if (cmd->nc != EID_VCARD_AID_LEN ||
	    memcmp(cmd->data, eid_vcard_aid, EID_VCARD_AID_LEN) != 0)
		return SW_NOT_FOUND;
	vc->applet = true;
	vc->file = -1;
	return SW_OK;
}

static uint16_t do_select(eid_vcard *vc, const struct eid_apdu *cmd,
			  eid_buf *resp)
{
	uint16_t fid;

	(void)resp;
	if (cmd->p1 == 0x04)
		return select_aid(vc, cmd);
	if (cmd->p1 != 0x00 && cmd->p1 != 0x02)
		return SW_WRONG_P1P2;
	if (cmd->nc == 0 && cmd->p1 == 0x00) {
		eid_vcard_end_sm(vc);
		vc->applet = false;
		vc->file = -1;
		return SW_OK;
	}
	if (cmd->nc != 2)
		return SW_WRONG_LENGTH;
	fid = (uint16_t)(cmd->data[0] << 8 | cmd->data[1]);
	if (fid == FID_MF && cmd->p1 == 0x00) {
		vc->applet = false;
		vc->file = -1;
		return SW_OK;
	}
	if (file_get(vc, fid) == NULL)
		return SW_NOT_FOUND;
	vc->file = fid;
	return SW_OK;
}

/* Where a READ BINARY starts and how many data bytes it may return. */
static uint16_t read_target(eid_vcard *vc, const struct eid_apdu *cmd,
			    size_t *ret_off, size_t *ret_max)
{
	struct eid_tlv t;
	size_t off = 0, hdr = 0;
	int fid;

	if (cmd->ins == INS_READ_BINARY_ODD) {
		if (eid_tlv_parse_exact(cmd->data, cmd->nc, &t) != EID_OK ||
		    t.tag != 0x54 || t.len == 0 || t.len > 3)
			return SW_WRONG_DATA;
		for (size_t i = 0; i < t.len; i++)
			off = off << 8 | t.value[i];
		hdr = cmd->ne < 0x82 ? 2 : cmd->ne < 0x103 ? 3 : 4;
	} else if (cmd->p1 & 0x80) {
		if ((cmd->p1 & 0x60) != 0 ||
		    (fid = file_by_sfi(vc, cmd->p1 & 0x1f)) < 0)
			return SW_NOT_FOUND;
		vc->file = fid;
		off = cmd->p2;
	} else {
		off = (size_t)cmd->p1 << 8 | cmd->p2;
	}
	if (cmd->ins == INS_READ_BINARY && cmd->nc != 0)
		return SW_WRONG_LENGTH;
	if (cmd->ne == 0 || cmd->ne <= hdr)
		return SW_WRONG_LENGTH;
	*ret_off = off;
	*ret_max = cmd->ne - hdr;
	return SW_OK;
}

static uint16_t do_read(eid_vcard *vc, const struct eid_apdu *cmd,
			eid_buf *resp)
{
	const eid_buf *f;
	size_t off = 0, max = 0, n;
	uint16_t sw;

	if (cmd->ne > vc->img->max_read)
		return SW_WRONG_LENGTH;
	if ((sw = read_target(vc, cmd, &off, &max)) != SW_OK)
		return sw;
	if (vc->file < 0 || (f = file_get(vc, (uint16_t)vc->file)) == NULL)
		return SW_NO_EF;
	if (!may_read(vc, (uint16_t)vc->file))
		return SW_SECURITY;
	if (off >= f->len)
		return SW_WRONG_P1P2;
	n = f->len - off < max ? f->len - off : max;
	if (cmd->ins == INS_READ_BINARY_ODD)
		sw = eid_tlv_put(resp, 0x53, f->data + off, n) == EID_OK
			     ? SW_OK : SW_UNKNOWN;
	else
		sw = eid_buf_put(resp, f->data + off, n) == EID_OK ? SW_OK
								   : SW_UNKNOWN;
	if (sw == SW_OK)
		vc->stats.reads++;
	return sw;
}

static uint16_t do_get_challenge(eid_vcard *vc, const struct eid_apdu *cmd,
				 eid_buf *resp)
{
	if (cmd->nc != 0 || cmd->ne != EID_BAC_RND_LEN)
		return SW_WRONG_LENGTH;
	if (vc->rnd(vc->rnd_ctx, vc->rnd_ic, EID_BAC_RND_LEN) != EID_OK)
		return SW_UNKNOWN;
	vc->challenge = true;
	return eid_buf_put(resp, vc->rnd_ic, EID_BAC_RND_LEN) == EID_OK
		       ? SW_OK : SW_UNKNOWN;
}

static uint16_t do_external_auth(eid_vcard *vc, const struct eid_apdu *cmd,
				 eid_buf *resp)
{
	eid_sm *sm = NULL;
	int r;

	if (!vc->challenge)
		return SW_CONDITIONS;
	vc->challenge = false; /* one try per challenge */
	if (cmd->nc != EID_BAC_AUTH_LEN)
		return SW_WRONG_LENGTH;
	r = eid_bac_card_authenticate(&vc->bac, vc->rnd_ic, cmd->data, cmd->nc,
				      vc->rnd, vc->rnd_ctx, resp, &sm);
	eid_wipe(vc->rnd_ic, sizeof(vc->rnd_ic));
	if (r == EID_EAUTH) {
		eid_vcard_end_sm(vc);
		return SW_AUTH_FAILED;
	}
	if (r != EID_OK)
		return SW_UNKNOWN;
	eid_vcard_set_sm(vc, sm);
	return SW_OK;
}

static uint16_t do_internal_auth(eid_vcard *vc, const struct eid_apdu *cmd,
				 eid_buf *resp)
{
	if (vc->aa_key == NULL)
		return SW_INS;
	if (vc->sm == NULL)
		return SW_SECURITY;
	if (cmd->nc != EID_AA_CHALLENGE_LEN || cmd->ne == 0)
		return SW_WRONG_LENGTH;
	return eid_aa_sign(vc->aa_key, cmd->data, NULL, resp) == EID_OK
		       ? SW_OK : SW_UNKNOWN;
}

/* ---- PACE and Chip Authentication (chip/pace.h, chip/ca.h card sides) */

static uint16_t sw_of_pace(int r)
{
	switch (r) {
	case EID_OK:
		return SW_OK;
	case EID_ENOTFOUND:
		return SW_REF_NOT_FOUND;
	case EID_EAUTH:
		return SW_AUTH_FAILED;
	case EID_ESTATE:
		return SW_CONDITIONS;
	case EID_EMALFORMED:
	case EID_EVERIFY:
	case EID_EINVAL:
		return SW_WRONG_DATA;
	default:
		return SW_UNKNOWN;
	}
}

/* MSE:Set AT for PACE (plain, before the applet) or for CA (under the
 * session access control opened), MSE:Set KAT for 3DES CA. */
static uint16_t do_mse(eid_vcard *vc, const struct eid_apdu *cmd,
		       eid_buf *resp)
{
	uint16_t p1p2 = (uint16_t)(cmd->p1 << 8 | cmd->p2);
	eid_sm *sm = NULL;
	int r;

	(void)resp;
	vc->ca_armed = false;
	if (p1p2 == MSE_PACE_AT) {
		if (vc->pace == NULL)
			return SW_REF_NOT_FOUND;
		return sw_of_pace(eid_pace_card_set_at(vc->pace, cmd->data,
						       cmd->nc));
	}
	if (p1p2 != MSE_CA_AT && p1p2 != MSE_CA_KAT)
		return SW_WRONG_P1P2;
	if (!vc->has_ca || vc->ca_key == NULL)
		return SW_REF_NOT_FOUND;
	if (vc->sm == NULL)
		return SW_SECURITY;
	if (p1p2 == MSE_CA_AT) {
		r = eid_ca_card_set_at(&vc->ca, cmd->data, cmd->nc);
		vc->ca_armed = r == EID_OK;
		return sw_of_pace(r);
	}
	r = eid_ca_card_set_kat(vc->ca_key, &vc->ca, cmd->data, cmd->nc, &sm);
	if (r == EID_OK)
		eid_vcard_set_sm(vc, sm); /* after this answer */
	return sw_of_pace(r);
}

static uint16_t do_general_auth(eid_vcard *vc, const struct eid_apdu *cmd,
				eid_buf *resp)
{
	eid_sm *sm = NULL;
	uint16_t sw;
	int r;

	if (vc->ca_armed) {
		vc->ca_armed = false;
		r = eid_ca_card_general_authenticate(vc->ca_key, &vc->ca,
						     cmd->data, cmd->nc, resp,
						     &sm);
	} else if (vc->pace != NULL && vc->sm == NULL) {
		r = eid_pace_card_general_authenticate(vc->pace, cmd->cla,
						       cmd->data, cmd->nc,
						       resp, &sm);
	} else {
		return SW_CONDITIONS;
	}
	sw = sw_of_pace(r);
	if (r == EID_OK && sm != NULL)
		eid_vcard_set_sm(vc, sm); /* after this answer */
	return sw;
}

/* Instructions the card knows, each through the handler interface in
 * vcard.h. */
static const struct {
	uint8_t ins;
	eid_vcard_handler_fn fn;
} handlers[] = {
	{ INS_SELECT, do_select },
	{ INS_READ_BINARY, do_read },
	{ INS_READ_BINARY_ODD, do_read },
	{ INS_GET_CHALLENGE, do_get_challenge },
	{ INS_EXTERNAL_AUTH, do_external_auth },
	{ INS_INTERNAL_AUTH, do_internal_auth },
	{ INS_MSE, do_mse },
	{ INS_GENERAL_AUTH, do_general_auth },
};

/* Session changes a handler asks for wait until its answer is wrapped. */
static uint16_t dispatch(eid_vcard *vc, const struct eid_apdu *cmd,
			 eid_buf *resp)
{
	uint16_t sw = SW_INS;

	/* Interindustry classes; bit 0x10 is command chaining (PACE). */
	if ((cmd->cla & 0xe0) != 0x00)
		return SW_CLA;
	vc->busy = true;
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (handlers[i].ins == cmd->ins) {
			sw = handlers[i].fn(vc, cmd, resp);
			break;
		}
	vc->busy = false;
	return sw;
}

static void apply_pending(eid_vcard *vc)
{
	if (!vc->has_pending)
		return;
	vc->has_pending = false;
	eid_vcard_set_sm(vc, vc->pending);
	vc->pending = NULL;
}

/* ---- the APDU loop ---- */

static int put_plain(eid_buf *rapdu, const eid_buf *data, uint16_t sw)
{
	int r = EID_OK;

	/* An error status carries no data (ISO 7816-4 5.1.3). */
	if ((sw == SW_OK || (sw >> 8) == 0x62 || (sw >> 8) == 0x63) &&
	    data->len > 0)
		r = eid_buf_put(rapdu, data->data, data->len);
	return r == EID_OK ? eid_buf_put_u16be(rapdu, sw) : r;
}

/* Unwrap a protected command; the status word to answer with at once
 * (plain) when it cannot be. */
static uint16_t unwrap(eid_vcard *vc, const struct eid_apdu *in,
		       eid_buf *data, struct eid_apdu *ret_plain)
{
	if (vc->sm == NULL)
		return SW_SM_UNSUPPORTED;
	if (eid_sm_card_unprotect(vc->sm, in, data, ret_plain) != EID_OK) {
		vc->stats.sm_failures++;
		eid_vcard_end_sm(vc);
		return SW_SM_INCORRECT;
	}
	return SW_OK;
}

/* The whole answer to one command (any length). */
static int answer(eid_vcard *vc, const uint8_t *capdu, size_t n,
		  eid_buf *rapdu)
{
	struct eid_apdu in, plain;
	eid_buf cmd_data, resp;
	eid_sm *wrap = NULL;
	/* Extended length on a card without it (Lc or Le field 00 xx xx). */
	bool ext_refused = n > 5 && capdu[4] == 0x00 && !vc->img->extended;
	uint16_t sw;
	int r;

	vc->stats.commands++;
	eid_buf_init_secret(&cmd_data, EID_APDU_EXT_NC_MAX);
	eid_buf_init_secret(&resp, RAPDU_MAX);
	if (eid_apdu_decode(capdu, n, &in) != EID_OK) {
		eid_vcard_end_sm(vc);
		sw = SW_WRONG_LENGTH;
	} else if ((in.cla & 0x0c) == 0x0c) {
		if ((sw = unwrap(vc, &in, &cmd_data, &plain)) == SW_OK) {
			wrap = vc->sm;
			sw = ext_refused ? SW_WRONG_LENGTH
					 : dispatch(vc, &plain, &resp);
		}
	} else {
		/* A plain command ends secure messaging. */
		eid_vcard_end_sm(vc);
		sw = ext_refused ? SW_WRONG_LENGTH : dispatch(vc, &in, &resp);
	}
	/* The answer goes out under the session the command came in. */
	if (wrap != NULL)
		r = eid_sm_card_protect(wrap, plain.ins, resp.data,
					sw == SW_OK ? resp.len : 0, sw, rapdu);
	else
		r = put_plain(rapdu, &resp, sw);
	apply_pending(vc);
	eid_buf_free(&cmd_data);
	eid_buf_free(&resp);
	return r;
}

/* GET RESPONSE (00 C0 00 00 Le): the next part of a long answer. */
static int get_response(eid_vcard *vc, const struct eid_apdu *cmd,
			eid_buf *rapdu)
{
	size_t ne = cmd->ne == 0 ? EID_APDU_SHORT_NE_MAX : cmd->ne;
	size_t n = vc->rest.len < ne ? vc->rest.len : ne;
	size_t left = vc->rest.len - n;
	int r;

	if ((r = eid_buf_put(rapdu, vc->rest.data, n)) != EID_OK)
		return r;
	memmove(vc->rest.data, vc->rest.data + n, left);
	eid_buf_truncate(&vc->rest, left);
	if (left == 0)
		return eid_buf_put_u16be(rapdu, SW_OK);
	return eid_buf_put_u16be(rapdu, (uint16_t)(0x6100 |
						   (left > 0xff ? 0 : left)));
}

/* A short command gets at most 256 bytes at once; the rest waits for
 * GET RESPONSE behind 61xx (ISO 7816-4 5.3.4), as on real chips. */
static int split_long(eid_vcard *vc, eid_buf *rapdu, size_t start)
{
	size_t data_len = rapdu->len - start - 2;
	uint16_t sw;
	int r;

	if (data_len <= EID_APDU_SHORT_NE_MAX)
		return EID_OK;
	sw = (uint16_t)(rapdu->data[rapdu->len - 2] << 8 |
			rapdu->data[rapdu->len - 1]);
	if (sw != SW_OK)
		return EID_OK;
	eid_buf_reset(&vc->rest);
	if ((r = eid_buf_put(&vc->rest, rapdu->data + start +
					EID_APDU_SHORT_NE_MAX,
			     data_len - EID_APDU_SHORT_NE_MAX)) != EID_OK)
		return r;
	eid_buf_truncate(rapdu, start + EID_APDU_SHORT_NE_MAX);
	data_len -= EID_APDU_SHORT_NE_MAX;
	sw = (uint16_t)(0x6100 | (data_len > 0xff ? 0 : data_len));
	return eid_buf_put_u16be(rapdu, sw);
}

int eid_vcard_process(eid_vcard *vc, const uint8_t *capdu, size_t n,
		      eid_buf *rapdu)
{
	struct eid_apdu a;
	size_t start = rapdu->len;
	bool short_cmd;
	int r;

	if (eid_apdu_decode(capdu, n, &a) == EID_OK && a.cla == 0x00 &&
	    a.ins == 0xc0 && a.p1 == 0 && a.p2 == 0 && a.nc == 0 &&
	    vc->rest.len > 0)
		return get_response(vc, &a, rapdu);
	eid_buf_reset(&vc->rest);
	short_cmd = !(n > 5 && capdu[4] == 0x00);
	if ((r = answer(vc, capdu, n, rapdu)) != EID_OK)
		return r;
	return short_cmd ? split_long(vc, rapdu, start) : EID_OK;
}

int eid_vcard_transmit(void *vc, const uint8_t *capdu, size_t n,
		       eid_buf *rapdu)
{
	return eid_vcard_process(vc, capdu, n, rapdu);
}

int eid_vcard_vpcd_message(eid_vcard *vc, const uint8_t *msg, size_t n,
			   eid_buf *reply, bool *ret_reply)
{
	int r;

	if (n == 0)
		return EID_EMALFORMED;
	if (n > 1) {
		if ((r = eid_vcard_process(vc, msg, n, reply)) != EID_OK)
			return r;
		*ret_reply = true;
		return EID_OK;
	}
	*ret_reply = false;
	switch (msg[0]) {
	case EID_VPCD_POWER_OFF:
	case EID_VPCD_POWER_ON:
	case EID_VPCD_RESET:
		eid_vcard_reset(vc);
		return EID_OK;
	case EID_VPCD_GET_ATR:
		if ((r = eid_buf_put(reply, vc->atr, ATR_LEN)) != EID_OK)
			return r;
		*ret_reply = true;
		return EID_OK;
	default:
		return EID_OK;
	}
}

/* ---- life cycle ---- */

/* PACE as EF.CardAccess offers it, with the image's CAN and MRZ. */
static int setup_pace(eid_vcard *vc, struct eid_security_infos *si)
{
	const eid_buf *f = eid_cardimage_file(vc->img, EID_FID_CARD_ACCESS);
	struct eid_pace_card_config cfg = { 0 };
	int r;

	if (vc->img->access != EID_CARD_ACCESS_PACE_BAC || f == NULL)
		return EID_OK;
	/* A file we cannot parse is served as it is, without PACE (test
	 * images carry odd ones on purpose). */
	if ((r = eid_security_infos_parse(f->data, f->len, si)) != EID_OK)
		return r == EID_ENOMEM ? r : EID_OK;
	if (si->npace == 0)
		return EID_OK;
	cfg = (struct eid_pace_card_config){
		.infos = si->pace, .ninfos = si->npace,
		.can = vc->img->can[0] != '\0' ? vc->img->can : NULL,
		.mrz_info = vc->img->mrz_info, .rnd = vc->rnd,
		.rnd_ctx = vc->rnd_ctx,
	};
	return eid_pace_card_new(&cfg, &vc->pace);
}

/* Chip Authentication as DG14 announces it (with the image's CA key). */
static int setup_ca(eid_vcard *vc, struct eid_security_infos *si)
{
	const eid_buf *f = eid_cardimage_file(vc->img, EID_FID_DG14);
	struct eid_lds_dg14 d = { 0 };
	int r;

	if (f == NULL || vc->ca_key == NULL)
		return EID_OK;
	if ((r = eid_lds_dg14_parse(f->data, f->len, &d)) == EID_OK &&
	    (r = eid_security_infos_parse(d.security_infos,
					  d.security_infos_len, si)) ==
		    EID_OK &&
	    si->nca > 0) {
		vc->ca = si->ca[0];
		vc->has_ca = true;
	}
	eid_lds_dg14_clear(&d);
	return r;
}

static int setup_eac(eid_vcard *vc)
{
	struct eid_security_infos *si = calloc(1, sizeof(*si));
	int r;

	if (si == NULL)
		return EID_ENOMEM;
	r = setup_pace(vc, si);
	if (r == EID_OK) {
		memset(si, 0, sizeof(*si));
		r = setup_ca(vc, si);
	}
	free(si);
	return r;
}

int eid_vcard_new(const struct eid_cardimage *img, eid_bac_random_fn rnd,
		  void *rnd_ctx, eid_vcard **ret_vc)
{
	eid_vcard *vc;
	int r;

	if ((vc = calloc(1, sizeof(*vc))) == NULL)
		return EID_ENOMEM;
	vc->img = img;
	eid_buf_init_secret(&vc->rest, RAPDU_MAX);
	vc->rnd = rnd != NULL ? rnd : eid_bac_random;
	vc->rnd_ctx = rnd_ctx;
	memcpy(vc->atr, atr_head, sizeof(atr_head));
	for (size_t i = 1; i < sizeof(atr_head); i++)
		vc->atr[ATR_LEN - 1] ^= atr_head[i];
	if ((r = eid_bac_keys_from_mrz_info(img->mrz_info, &vc->bac)) ||
	    (r = eid_cardimage_key(&img->aa_key, &vc->aa_key)) ||
	    (r = eid_cardimage_key(&img->ca_key, &vc->ca_key)) ||
	    (r = setup_eac(vc))) {
		eid_vcard_free(vc);
		return r == EID_EINVAL ? EID_EMALFORMED : r;
	}
	eid_vcard_reset(vc);
	*ret_vc = vc;
	return EID_OK;
}

void eid_vcard_free(eid_vcard *vc)
{
	if (vc == NULL)
		return;
	eid_sm_free(vc->sm);
	eid_sm_free(vc->pending);
	eid_buf_free(&vc->rest);
	EVP_PKEY_free(vc->aa_key);
	EVP_PKEY_free(vc->ca_key);
	eid_pace_card_free(vc->pace);
	eid_bac_keys_wipe(&vc->bac);
	eid_free_secret(vc, sizeof(*vc));
}

void eid_vcard_reset(eid_vcard *vc)
{
	eid_vcard_end_sm(vc);
	vc->applet = false;
	vc->file = -1;
	vc->challenge = false;
	vc->ca_armed = false;
	eid_wipe(vc->rnd_ic, sizeof(vc->rnd_ic));
	eid_buf_reset(&vc->rest);
}

size_t eid_vcard_atr(const eid_vcard *vc, const uint8_t **ret_atr)
{
	*ret_atr = vc->atr;
	return ATR_LEN;
}

void eid_vcard_stats(const eid_vcard *vc, struct eid_vcard_stats *ret)
{
	*ret = vc->stats;
}

const struct eid_cardimage *eid_vcard_image(const eid_vcard *vc)
{
	return vc->img;
}

EVP_PKEY *eid_vcard_ca_key(const eid_vcard *vc)
{
	return vc->ca_key;
}

bool eid_vcard_applet_selected(const eid_vcard *vc)
{
	return vc->applet;
}

void eid_vcard_set_sm(eid_vcard *vc, eid_sm *sm)
{
	if (vc->busy) {
		if (vc->pending != sm)
			eid_sm_free(vc->pending);
		vc->pending = sm;
		vc->has_pending = true;
		return;
	}
	if (vc->sm != sm)
		eid_sm_free(vc->sm);
	vc->sm = sm;
}

void eid_vcard_end_sm(eid_vcard *vc)
{
	eid_vcard_set_sm(vc, NULL);
}
