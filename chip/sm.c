#include "chip/sm.h"

#include <stdlib.h>
#include <string.h>

#include "chip/tlv.h"
#include "crypto/error.h"
#include "crypto/secret.h"

/* Protected bodies stay within an extended APDU. */
#define SM_BODY_MAX EID_APDU_EXT_NC_MAX
#define TAG_CRYPTO_ODD 0x85
#define TAG_CRYPTO 0x87
#define TAG_LE 0x97
#define TAG_STATUS 0x99
#define TAG_MAC 0x8e
#define PAD_INDICATOR 0x01
#define CLA_SM 0x0c

struct eid_sm {
	struct eid_symkey kenc, kmac;
	uint8_t ssc[EID_SM_BLOCK_MAX];
	size_t ssc_len;
	bool broken; /* a verification failed: secure messaging is over */
};

/* The data objects of one protected message, in ICAO order. */
struct sm_dos {
	struct eid_tlv crypto, mid, mac; /* mid: DO'97' or DO'99' */
	bool has_crypto, has_mid, has_mac;
	size_t mac_off; /* bytes before DO'8E': what the MAC covers */
};

int eid_sm_new(enum eid_sm_alg alg, const uint8_t *ksenc,
	       const uint8_t *ksmac, size_t klen, const uint8_t *ssc,
	       size_t ssc_len, eid_sm **ret_sm)
{
	eid_sm *sm = NULL;
	int r = EID_EINVAL;

	if (ssc == NULL || ssc_len != eid_smcrypto_block(alg))
		return r;
	if ((sm = calloc(1, sizeof(*sm))) == NULL)
		return EID_ENOMEM;
	if ((r = eid_symkey_set(&sm->kenc, alg, ksenc, klen)) != EID_OK ||
	    (r = eid_symkey_set(&sm->kmac, alg, ksmac, klen)) != EID_OK)
		goto out;
	memcpy(sm->ssc, ssc, ssc_len);
	sm->ssc_len = ssc_len;
	*ret_sm = sm;
	sm = NULL;
out:
	eid_sm_free(sm);
	return r;
}

void eid_sm_free(eid_sm *sm)
{
	eid_free_secret(sm, sizeof(*sm));
}

size_t eid_sm_ssc(const eid_sm *sm, uint8_t out[EID_SM_BLOCK_MAX])
{
	memcpy(out, sm->ssc, sm->ssc_len);
	return sm->ssc_len;
}

/* Big-endian increment; a counter that wraps would repeat IVs and MAC
 * inputs, so it ends the session instead. */
static int ssc_next(eid_sm *sm)
{
	size_t i = sm->ssc_len;

	if (sm->broken)
		return EID_ESTATE;
	while (i > 0 && ++sm->ssc[i - 1] == 0)
		i--;
	if (i == 0) {
		sm->broken = true;
		return EID_ESTATE;
	}
	return EID_OK;
}

static size_t sm_block(const eid_sm *sm)
{
	return eid_smcrypto_block(sm->kenc.alg);
}

size_t eid_sm_block_size(const eid_sm *sm)
{
	return sm_block(sm);
}

/* MAC over pad(SSC || [pad(header)] || dos). */
static int sm_mac(const eid_sm *sm, const uint8_t *hdr, const uint8_t *dos,
		  size_t n, uint8_t out[EID_SM_MAC_LEN])
{
	eid_buf m;
	int r;

	eid_buf_init(&m, sm->ssc_len + EID_SM_BLOCK_MAX + n + EID_SM_BLOCK_MAX);
	if ((r = eid_buf_put(&m, sm->ssc, sm->ssc_len)) != EID_OK)
		goto out;
	if (hdr != NULL && ((r = eid_buf_put(&m, hdr, 4)) != EID_OK ||
			    (r = eid_smcrypto_pad(&m, sm_block(sm))) != EID_OK))
		goto out;
	if ((r = eid_buf_put(&m, dos, n)) != EID_OK ||
	    (r = eid_smcrypto_pad(&m, sm_block(sm))) != EID_OK)
		goto out;
	r = eid_smcrypto_mac(&sm->kmac, m.data, m.len, out);
out:
	eid_buf_free(&m);
	return r;
}

/* 3DES uses the zero IV; AES uses E(KSenc, SSC). */
static int sm_iv(const eid_sm *sm, uint8_t iv[EID_SM_BLOCK_MAX])
{
	memset(iv, 0, EID_SM_BLOCK_MAX);
	if (sm->kenc.alg == EID_SM_3DES)
		return EID_OK;
	return eid_smcrypto_ecb_block(&sm->kenc, sm->ssc, iv);
}

/* Append DO'87' (01 || E(pad(data))) or, for an odd INS, DO'85'. */
static int put_crypto_do(const eid_sm *sm, bool odd, const uint8_t *data,
			 size_t n, eid_buf *out)
{
	uint8_t iv[EID_SM_BLOCK_MAX], *dst;
	size_t old = out->len, ctlen;
	eid_buf plain;
	int r;

	eid_buf_init_secret(&plain, n + EID_SM_BLOCK_MAX);
	if ((r = eid_buf_put(&plain, data, n)) != EID_OK ||
	    (r = eid_smcrypto_pad(&plain, sm_block(sm))) != EID_OK ||
	    (r = sm_iv(sm, iv)) != EID_OK)
		goto out;
	ctlen = plain.len;
	if (odd)
		r = eid_tlv_put_header(out, TAG_CRYPTO_ODD, ctlen);
	else if ((r = eid_tlv_put_header(out, TAG_CRYPTO, ctlen + 1)) == EID_OK)
		r = eid_buf_put_u8(out, PAD_INDICATOR);
	if (r != EID_OK || (r = eid_buf_reserve(out, ctlen, &dst)) != EID_OK)
		goto out;
	r = eid_smcrypto_cbc(&sm->kenc, iv, true, plain.data, ctlen, dst);
out:
	if (r != EID_OK)
		eid_buf_truncate(out, old);
	eid_buf_free(&plain);
	return r;
}

/* Decrypt a DO'87'/'85' value, strip the padding and put the plain data
 * in out (reset first; its cap applies to the plain data only). */
static int get_crypto_do(const eid_sm *sm, const struct eid_tlv *t,
			 eid_buf *out)
{
	const uint8_t *ct = t->value;
	size_t n = t->len, plain_len;
	uint8_t iv[EID_SM_BLOCK_MAX], *dst;
	eid_buf plain;
	int r;

	if (t->tag == TAG_CRYPTO) {
		if (n < 1 || ct[0] != PAD_INDICATOR)
			return EID_EMALFORMED;
		ct++;
		n--;
	}
	if (n == 0 || n % sm_block(sm) != 0)
		return EID_EMALFORMED;
	eid_buf_init_secret(&plain, n);
	if ((r = sm_iv(sm, iv)) != EID_OK ||
	    (r = eid_buf_reserve(&plain, n, &dst)) != EID_OK ||
	    (r = eid_smcrypto_cbc(&sm->kenc, iv, false, ct, n, dst)) != EID_OK ||
	    (r = eid_smcrypto_unpad(dst, n, sm_block(sm), &plain_len)) != EID_OK)
		goto out;
	eid_buf_reset(out);
	r = eid_buf_put(out, plain.data, plain_len);
out:
	eid_buf_free(&plain);
	return r;
}

/* Split p..p+n into [DO'85'|'87'] [DO mid_tag] DO'8E', in that order and
 * nothing else; which ones are mandatory is the caller's to check. */
static int parse_dos(const uint8_t *p, size_t n, uint32_t mid_tag,
		     struct sm_dos *ret)
{
	struct sm_dos d = { 0 };
	eid_rd rd = eid_rd_make(p, n);
	struct eid_tlv t;
	int r, stage = 0;

	while (eid_rd_left(&rd) > 0) {
		size_t off = rd.off;
		if ((r = eid_tlv_read(&rd, &t)) != EID_OK)
			return r;
		if (stage < 1 && (t.tag == TAG_CRYPTO || t.tag == TAG_CRYPTO_ODD)) {
			d.crypto = t;
			d.has_crypto = true;
			stage = 1;
		} else if (stage < 2 && t.tag == mid_tag) {
			d.mid = t;
			d.has_mid = true;
			stage = 2;
		} else if (stage < 3 && t.tag == TAG_MAC) {
			d.mac = t;
			d.has_mac = true;
			d.mac_off = off;
			stage = 3;
		} else {
			return EID_EMALFORMED;
		}
	}
	*ret = d;
	return EID_OK;
}

/* Constant-time check of DO'8E' against our MAC over what precedes it. */
static int check_mac(const eid_sm *sm, const uint8_t *hdr, const uint8_t *p,
		     const struct sm_dos *d)
{
	uint8_t mac[EID_SM_MAC_LEN];
	int r;

	if (!d->has_mac || d->mac.len != EID_SM_MAC_LEN)
		return EID_EVERIFY;
	if ((r = sm_mac(sm, hdr, p, d->mac_off, mac)) != EID_OK)
		return r;
	r = eid_ct_equal(mac, d->mac.value, EID_SM_MAC_LEN) ? EID_OK
							    : EID_EVERIFY;
	eid_wipe(mac, sizeof(mac));
	return r;
}

static int put_mac_do(const eid_sm *sm, const uint8_t *hdr, eid_buf *b,
		      size_t from)
{
	uint8_t mac[EID_SM_MAC_LEN];
	int r = sm_mac(sm, hdr, b->data + from, b->len - from, mac);

	if (r == EID_OK)
		r = eid_tlv_put(b, TAG_MAC, mac, sizeof(mac));
	return r;
}

int eid_sm_protect(eid_sm *sm, const struct eid_apdu *cmd, eid_buf *body,
		   struct eid_apdu *ret_cmd)
{
	uint8_t hdr[4] = { (uint8_t)(cmd->cla | CLA_SM), cmd->ins, cmd->p1,
			   cmd->p2 };
	bool ext = cmd->extended || cmd->nc > EID_APDU_SHORT_NC_MAX ||
		   cmd->ne > EID_APDU_SHORT_NE_MAX;
	uint8_t le[2] = { (uint8_t)(cmd->ne >> 8), (uint8_t)cmd->ne };
	int r;

	if ((r = ssc_next(sm)) != EID_OK)
		return r;
	eid_buf_reset(body);
	if (cmd->nc > 0 &&
	    (r = put_crypto_do(sm, cmd->ins & 1, cmd->data, cmd->nc, body)) != EID_OK)
		return r;
	if (cmd->ne > 0 &&
	    (r = eid_tlv_put(body, TAG_LE, ext ? le : le + 1, ext ? 2 : 1)) != EID_OK)
		return r;
	if ((r = put_mac_do(sm, hdr, body, 0)) != EID_OK)
		return r;
	ext = ext || body->len > EID_APDU_SHORT_NC_MAX;
	*ret_cmd = (struct eid_apdu){ .cla = hdr[0], .ins = hdr[1],
				      .p1 = hdr[2], .p2 = hdr[3],
				      .data = body->data, .nc = body->len,
				      .ne = ext ? EID_APDU_EXT_NE_MAX
						: EID_APDU_SHORT_NE_MAX,
				      .extended = ext };
	return EID_OK;
}

/* A response without data objects: the card has left secure messaging. */
static int plain_status(uint16_t sw)
{
	if (sw == EID_SW_SM_INCORRECT)
		return EID_EVERIFY;
	if (sw == EID_SW_OK || (sw >> 8) == 0x61 || (sw >> 8) == 0x62 ||
	    (sw >> 8) == 0x63)
		return EID_EVERIFY; /* success without a MAC: refused */
	return EID_ECARD;
}

static int unprotect_response(eid_sm *sm, const struct eid_rapdu *in,
			      struct eid_rapdu *out)
{
	const uint8_t *p = in->data.data;
	struct sm_dos d;
	int r;

	if (in->data.len == 0)
		return plain_status(in->sw);
	if ((r = parse_dos(p, in->data.len, TAG_STATUS, &d)) != EID_OK)
		return r;
	if ((r = check_mac(sm, NULL, p, &d)) != EID_OK)
		return r;
	/* Authentic from here on; a card that left out DO'99' is refused. */
	if (!d.has_mid || d.mid.len != 2)
		return EID_EVERIFY;
	eid_buf_reset(&out->data);
	if (d.has_crypto && (r = get_crypto_do(sm, &d.crypto, &out->data)) != EID_OK)
		return r;
	out->sw = (uint16_t)((d.mid.value[0] << 8) | d.mid.value[1]);
	return EID_OK;
}

int eid_sm_unprotect(eid_sm *sm, const struct eid_rapdu *in,
		     struct eid_rapdu *out)
{
	int r;

	if ((r = ssc_next(sm)) != EID_OK)
		return r;
	r = unprotect_response(sm, in, out);
	if (r != EID_OK)
		sm->broken = true;
	return r;
}

static size_t le_value(const struct eid_tlv *t)
{
	size_t v = t->len == 1 ? t->value[0]
			       : ((size_t)t->value[0] << 8) | t->value[1];

	if (v == 0)
		return t->len == 1 ? EID_APDU_SHORT_NE_MAX : EID_APDU_EXT_NE_MAX;
	return v;
}

static int unprotect_command(eid_sm *sm, const struct eid_apdu *in,
			     eid_buf *data, struct eid_apdu *ret_cmd)
{
	uint8_t hdr[4] = { in->cla, in->ins, in->p1, in->p2 };
	struct eid_apdu c = { .cla = (uint8_t)(in->cla & ~CLA_SM),
			      .ins = in->ins, .p1 = in->p1, .p2 = in->p2 };
	struct sm_dos d;
	int r;

	/* Missing or malformed SM data objects: the card answers 6987. */
	if ((in->cla & CLA_SM) != CLA_SM)
		return EID_EMALFORMED;
	if ((r = parse_dos(in->data, in->nc, TAG_LE, &d)) != EID_OK)
		return r;
	if (!d.has_mac || (d.has_mid && d.mid.len != 1 && d.mid.len != 2))
		return EID_EMALFORMED;
	if ((r = check_mac(sm, hdr, in->data, &d)) != EID_OK)
		return r;
	eid_buf_reset(data);
	if (d.has_crypto && (r = get_crypto_do(sm, &d.crypto, data)) != EID_OK)
		return r;
	c.data = data->len > 0 ? data->data : NULL;
	c.nc = data->len;
	c.ne = d.has_mid ? le_value(&d.mid) : 0;
	c.extended = c.nc > EID_APDU_SHORT_NC_MAX || c.ne > EID_APDU_SHORT_NE_MAX;
	*ret_cmd = c;
	return EID_OK;
}

int eid_sm_card_unprotect(eid_sm *sm, const struct eid_apdu *in,
			  eid_buf *data, struct eid_apdu *ret_cmd)
{
	int r;

	if ((r = ssc_next(sm)) != EID_OK)
		return r;
	r = unprotect_command(sm, in, data, ret_cmd);
	if (r != EID_OK)
		sm->broken = true;
	return r;
}

int eid_sm_card_protect(eid_sm *sm, uint8_t ins, const uint8_t *data,
			size_t len, uint16_t sw, eid_buf *out)
{
	uint8_t swb[2] = { (uint8_t)(sw >> 8), (uint8_t)sw };
	size_t start = out->len;
	int r;

	if ((r = ssc_next(sm)) != EID_OK)
		return r;
	if ((len > 0 && (r = put_crypto_do(sm, ins & 1, data, len, out)) != EID_OK) ||
	    (r = eid_tlv_put(out, TAG_STATUS, swb, 2)) != EID_OK ||
	    (r = put_mac_do(sm, NULL, out, start)) != EID_OK ||
	    (r = eid_buf_put(out, swb, 2)) != EID_OK)
		eid_buf_truncate(out, start);
	return r;
}
