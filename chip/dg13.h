/* DG13 of the Vietnamese citizen card (CCCD): the holder's details in
 * Vietnamese, as DESIGN.md section 4 describes:
 *   6D { SEQUENCE { INTEGER 1, OID 1.0.10646.1.0.8,
 *                   SET { SEQUENCE { INTEGER n, value } ... } } }
 * The parser also accepts the nestings that public readers accept (an
 * extra SEQUENCE around that, no SEQUENCE at all, the entries directly in
 * a SEQUENCE) and both spellings of fields 13 and 14.  The same struct is
 * what the printed QR code parses to (chip/vnqr.h). */
#ifndef EID_DG13_H
#define EID_DG13_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/buf.h"

/* Bytes per value, not counting the NUL. */
#define EID_DG13_STR_MAX 512

typedef char eid_dg13_str[EID_DG13_STR_MAX + 1];

/* UTF-8 strings, "" when the card leaves the field out.  Dates are ISO
 * 8601: "YYYY-MM-DD", or "YYYY-MM" / "YYYY" when the card records only
 * that much.  card_expires is "" for cards without an expiry date. */
struct eid_dg13 {
	eid_dg13_str personal_id;       /* 1: 12 digits */
	eid_dg13_str full_name;         /* 2 */
	eid_dg13_str birthdate;         /* 3 */
	eid_dg13_str sex;               /* 4: as written, "Nam" / "Nữ" */
	eid_dg13_str nationality;       /* 5 */
	eid_dg13_str ethnicity;         /* 6 */
	eid_dg13_str religion;          /* 7 */
	eid_dg13_str place_of_origin;   /* 8 */
	eid_dg13_str residence;         /* 9 */
	eid_dg13_str identifying_marks; /* 10 */
	eid_dg13_str card_issued;       /* 11 */
	eid_dg13_str card_expires;      /* 12 */
	eid_dg13_str father_name;       /* 13, first */
	eid_dg13_str mother_name;       /* 13, second */
	eid_dg13_str spouse_name;       /* 14 */
	/* 15 or 16, whichever holds a 9- or 12-digit number (sources
	 * disagree on which it is). */
	eid_dg13_str old_personal_id;
};

/* Parse a DG13 file.  EID_EMALFORMED for a structure we do not recognise,
 * bad UTF-8, control characters, bad dates or a repeated field;
 * EID_EUNSUPPORTED when the OID names another text encoding than UTF-8;
 * EID_ETOOBIG for a value over EID_DG13_STR_MAX or a file over 64 KiB;
 * EID_ETRUNCATED when the input ends inside an element. */
int eid_dg13_parse(const uint8_t *p, size_t n, struct eid_dg13 *ret);

/* Encode as the cards do: field-number order, UTF8String values, 13 as
 * SEQUENCE { father, mother }, 14 as SEQUENCE { spouse }, the old ID as
 * 15, empty fields left out.  EID_EINVAL for bad UTF-8 or dates. */
int eid_dg13_encode(const struct eid_dg13 *d, eid_buf *out);

/* A JSON object with the non-empty fields under the struct's member names;
 * "sex" is "male" for "Nam", "female" for "Nữ", left out otherwise. */
int eid_dg13_to_json(const struct eid_dg13 *d, json_t **ret);

/* Helpers shared with the QR parser. */
/* True when s[0..n) is valid UTF-8 without control characters. */
bool eid_dg13_text_ok(const uint8_t *s, size_t n);
/* "DD/MM/YYYY", "MM/YYYY" or "YYYY" (sep '/') or the same without
 * separators (sep '\0', "DDMMYYYY") to ISO 8601 in ret. */
int eid_dg13_date_iso(const char *s, size_t n, char sep, eid_dg13_str ret);

#endif
