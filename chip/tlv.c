#include "chip/tlv.h"

#include "crypto/error.h"

/* Largest tag we accept is three bytes (ISO 7816-4 allows up to three). */
#define TLV_MAX_TAG_BYTES 3
/* 0x84 + four bytes covers anything a card or a document can hold. */
#define TLV_MAX_LEN_BYTES 4

static int read_tag(eid_rd *r, uint32_t *ret_tag, bool *ret_constructed)
{
	uint8_t b;
	uint32_t tag;
	int n = 1, rc;

	if ((rc = eid_rd_u8(r, &b)) != EID_OK)
		return rc;
	tag = b;
	*ret_constructed = (b & 0x20) != 0;
	if ((b & 0x1f) != 0x1f) {
		*ret_tag = tag;
		return EID_OK;
	}
	do {
		if (++n > TLV_MAX_TAG_BYTES)
			return EID_EMALFORMED;
		if ((rc = eid_rd_u8(r, &b)) != EID_OK)
			return rc;
		tag = (tag << 8) | b;
	} while (b & 0x80);
	*ret_tag = tag;
	return EID_OK;
}

static int read_len(eid_rd *r, size_t *ret_len)
{
	uint8_t b, nbytes;
	size_t len = 0;
	int rc;

	if ((rc = eid_rd_u8(r, &b)) != EID_OK)
		return rc;
	if (b < 0x80) {
		*ret_len = b;
		return EID_OK;
	}
	nbytes = b & 0x7f;
	/* 0x80 alone is BER's indefinite length, which no LDS element uses. */
	if (nbytes == 0 || nbytes > TLV_MAX_LEN_BYTES)
		return EID_EMALFORMED;
	for (uint8_t i = 0; i < nbytes; i++) {
		if ((rc = eid_rd_u8(r, &b)) != EID_OK)
			return rc;
		len = (len << 8) | b;
	}
	*ret_len = len;
	return EID_OK;
}

int eid_tlv_read(eid_rd *r, struct eid_tlv *ret)
{
	eid_rd cur = *r;
	struct eid_tlv t;
	size_t start = r->off;
	int rc;

	if ((rc = read_tag(&cur, &t.tag, &t.constructed)) != EID_OK)
		return rc;
	if ((rc = read_len(&cur, &t.len)) != EID_OK)
		return rc;
	if ((rc = eid_rd_bytes(&cur, t.len, &t.value)) != EID_OK)
		return rc;
	t.raw = r->p + start;
	t.raw_len = cur.off - start;
	*r = cur;
	*ret = t;
	return EID_OK;
}

int eid_tlv_parse_exact(const uint8_t *p, size_t n, struct eid_tlv *ret)
{
	eid_rd r = eid_rd_make(p, n);
	struct eid_tlv t;
	int rc;

	if ((rc = eid_tlv_read(&r, &t)) != EID_OK)
		return rc;
	if (eid_rd_left(&r) != 0)
		return EID_EMALFORMED;
	*ret = t;
	return EID_OK;
}

int eid_tlv_find(const uint8_t *p, size_t n, uint32_t tag,
		 struct eid_tlv *ret)
{
	eid_rd r = eid_rd_make(p, n);
	struct eid_tlv t;
	int rc;

	while (eid_rd_left(&r) > 0) {
		if ((rc = eid_tlv_read(&r, &t)) != EID_OK)
			return rc;
		if (t.tag == tag) {
			*ret = t;
			return EID_OK;
		}
	}
	return EID_ENOTFOUND;
}

int eid_tlv_put_len(eid_buf *b, size_t len)
{
	uint8_t x[1 + TLV_MAX_LEN_BYTES];
	size_t n = 0;

	if (len < 0x80)
		return eid_buf_put_u8(b, (uint8_t)len);
	if (len > 0xffffffffu)
		return EID_ETOOBIG;
	for (size_t v = len; v > 0; v >>= 8)
		n++;
	x[0] = (uint8_t)(0x80 | n);
	for (size_t i = 0; i < n; i++)
		x[n - i] = (uint8_t)(len >> (8 * i));
	return eid_buf_put(b, x, n + 1);
}

int eid_tlv_put_header(eid_buf *b, uint32_t tag, size_t len)
{
	size_t old = b->len;
	int rc = EID_OK;

	if (tag > 0xffffff)
		return EID_EINVAL;
	if (tag > 0xffff)
		rc = eid_buf_put_u8(b, (uint8_t)(tag >> 16));
	if (rc == EID_OK && tag > 0xff)
		rc = eid_buf_put_u8(b, (uint8_t)(tag >> 8));
	if (rc == EID_OK)
		rc = eid_buf_put_u8(b, (uint8_t)tag);
	if (rc == EID_OK)
		rc = eid_tlv_put_len(b, len);
	if (rc != EID_OK)
		eid_buf_truncate(b, old);
	return rc;
}

int eid_tlv_put(eid_buf *b, uint32_t tag, const void *value, size_t len)
{
	size_t old = b->len;
	int rc = eid_tlv_put_header(b, tag, len);

	if (rc == EID_OK)
		rc = eid_buf_put(b, value, len);
	if (rc != EID_OK)
		eid_buf_truncate(b, old);
	return rc;
}
