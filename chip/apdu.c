#include "chip/apdu.h"

#include "crypto/error.h"

static bool apdu_is_extended(const struct eid_apdu *a)
{
	return a->extended || a->nc > EID_APDU_SHORT_NC_MAX ||
	       a->ne > EID_APDU_SHORT_NE_MAX;
}

/* Le on the wire: Ne 256 is 00 (short), Ne 65536 is 0000 (extended). */
static int put_le(eid_buf *out, size_t ne, bool ext)
{
	if (ext)
		return eid_buf_put_u16be(out, (uint16_t)(ne & 0xffff));
	return eid_buf_put_u8(out, (uint8_t)(ne & 0xff));
}

int eid_apdu_encode(const struct eid_apdu *a, eid_buf *out)
{
	uint8_t hdr[4] = { a->cla, a->ins, a->p1, a->p2 };
	size_t old = out->len;
	bool ext = apdu_is_extended(a);
	int r;

	if (a->nc > EID_APDU_EXT_NC_MAX || a->ne > EID_APDU_EXT_NE_MAX ||
	    (a->nc > 0 && a->data == NULL))
		return EID_EINVAL;
	if ((r = eid_buf_put(out, hdr, sizeof(hdr))) != EID_OK)
		goto out;
	/* Extended form: one 00 byte before the first length field only. */
	if (ext && (a->nc > 0 || a->ne > 0) &&
	    (r = eid_buf_put_u8(out, 0)) != EID_OK)
		goto out;
	if (a->nc > 0) {
		if (ext)
			r = eid_buf_put_u16be(out, (uint16_t)a->nc);
		else
			r = eid_buf_put_u8(out, (uint8_t)a->nc);
		if (r != EID_OK || (r = eid_buf_put(out, a->data, a->nc)) != EID_OK)
			goto out;
	}
	if (a->ne > 0)
		r = put_le(out, a->ne, ext);
out:
	if (r != EID_OK)
		eid_buf_truncate(out, old);
	return r;
}

static size_t le_short(uint8_t b)
{
	return b == 0 ? 256 : b;
}

static size_t le_ext(const uint8_t *p)
{
	size_t v = ((size_t)p[0] << 8) | p[1];
	return v == 0 ? 65536 : v;
}

/* Body after a short Lc byte: case 3S or 4S. */
static int decode_short(const uint8_t *p, size_t n, struct eid_apdu *a)
{
	size_t lc = p[4];

	if (n == 5 + lc) {
		a->nc = lc;
	} else if (n == 6 + lc) {
		a->nc = lc;
		a->ne = le_short(p[5 + lc]);
	} else {
		return EID_EMALFORMED;
	}
	a->data = p + 5;
	return EID_OK;
}

/* Body after the 00 marker of an extended APDU: case 2E, 3E or 4E. */
static int decode_ext(const uint8_t *p, size_t n, struct eid_apdu *a)
{
	size_t lc;

	a->extended = true;
	if (n == 7) {
		a->ne = le_ext(p + 5);
		return EID_OK;
	}
	if (n < 8)
		return EID_EMALFORMED;
	lc = ((size_t)p[5] << 8) | p[6];
	if (lc == 0)
		return EID_EMALFORMED;
	if (n == 7 + lc) {
		a->nc = lc;
	} else if (n == 9 + lc) {
		a->nc = lc;
		a->ne = le_ext(p + 7 + lc);
	} else {
		return EID_EMALFORMED;
	}
	a->data = p + 7;
	return EID_OK;
}

int eid_apdu_decode(const uint8_t *p, size_t n, struct eid_apdu *ret)
{
	struct eid_apdu a = { 0 };
	int r = EID_OK;

	if (p == NULL || n < 4)
		return EID_ETRUNCATED;
	if (n > EID_APDU_MAX_ENCODED)
		return EID_ETOOBIG;
	a.cla = p[0];
	a.ins = p[1];
	a.p1 = p[2];
	a.p2 = p[3];
	if (n == 5)
		a.ne = le_short(p[4]);
	else if (n > 5 && p[4] != 0)
		r = decode_short(p, n, &a);
	else if (n > 5)
		r = decode_ext(p, n, &a);
	if (r != EID_OK)
		return r;
	*ret = a;
	return EID_OK;
}

int eid_rapdu_parse(const uint8_t *p, size_t n, struct eid_rapdu_view *ret)
{
	if (p == NULL || n < 2)
		return EID_ETRUNCATED;
	ret->data = p;
	ret->len = n - 2;
	ret->sw = (uint16_t)((p[n - 2] << 8) | p[n - 1]);
	return EID_OK;
}

void eid_rapdu_init(struct eid_rapdu *r, size_t max)
{
	eid_buf_init(&r->data, max);
	r->sw = 0;
}

void eid_rapdu_free(struct eid_rapdu *r)
{
	eid_buf_free(&r->data);
	r->sw = 0;
}

int eid_sw_to_error(uint16_t sw)
{
	switch (sw) {
	case 0x9000:
		return EID_OK;
	case 0x6a82:
	case 0x6a83:
		return EID_ENOTFOUND;
	case 0x6982:
	case 0x6983:
	case 0x6984:
	case 0x6985:
		return EID_EPERM;
	case EID_SW_SM_INCORRECT:
		return EID_EVERIFY;
	default:
		return EID_ECARD;
	}
}
