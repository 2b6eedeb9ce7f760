/* BER-TLV as ISO 7816-4 and ICAO 9303 use it: tags of one to three bytes,
 * definite lengths of up to four length bytes.  Values are borrowed from
 * the input; nothing is allocated when reading. */
#ifndef EID_TLV_H
#define EID_TLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/buf.h"

struct eid_tlv {
	uint32_t tag;         /* the tag bytes as written: 0x5F1F, 0x7F61, 0x87 */
	bool constructed;     /* bit 6 of the first tag byte */
	const uint8_t *value; /* borrowed */
	size_t len;
	const uint8_t *raw;   /* the whole element: tag, length and value */
	size_t raw_len;
};

/* Read one element from r.  EID_ETRUNCATED when the input ends inside it,
 * EID_EMALFORMED for an indefinite length, a tag longer than three bytes or
 * a length field longer than four bytes.  Consumes nothing on error. */
int eid_tlv_read(eid_rd *r, struct eid_tlv *ret);

/* Parse input that must be exactly one element (no trailing bytes:
 * EID_EMALFORMED). */
int eid_tlv_parse_exact(const uint8_t *p, size_t n, struct eid_tlv *ret);

/* Find the first element with this tag among the siblings in p..p+n.
 * EID_ENOTFOUND when absent; a malformed sibling before it is an error. */
int eid_tlv_find(const uint8_t *p, size_t n, uint32_t tag,
		 struct eid_tlv *ret);

/* Append a length field / a whole element to b. */
int eid_tlv_put_len(eid_buf *b, size_t len);
int eid_tlv_put(eid_buf *b, uint32_t tag, const void *value, size_t len);
/* Append the tag and length of an element whose value the caller appends
 * next (len bytes). */
int eid_tlv_put_header(eid_buf *b, uint32_t tag, size_t len);

#endif
