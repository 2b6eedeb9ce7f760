/* The QR code printed on the Vietnamese citizen card:
 *   ID12|oldID9|Full name|DDMMYYYY|sex|address|DDMMYYYY
 * (birth date, then issue date), some cards leaving the old ID out
 * altogether (six fields).  Parsed into the DG13 struct, so both export
 * the same JSON (eid_dg13_to_json). */
#ifndef EID_VNQR_H
#define EID_VNQR_H

#include <stddef.h>

#include "chip/dg13.h"
#include "crypto/buf.h"

/* Fills personal_id, old_personal_id, full_name, birthdate, sex,
 * residence and card_issued; the rest stays "".  EID_EMALFORMED for a
 * wrong field count, an ID that is not 12 digits, an old ID that is not
 * empty, 9 or 12 digits, a bad date, a sex other than "Nam" / "Nữ", or
 * bad UTF-8; EID_ETOOBIG past 2 KiB or EID_DG13_STR_MAX per field.  One
 * trailing newline is allowed. */
int eid_vnqr_parse(const char *s, size_t n, struct eid_dg13 *ret);

/* The seven-field form (the old ID field empty when there is none).
 * EID_EINVAL when a field does not satisfy the parser or holds '|'. */
int eid_vnqr_encode(const struct eid_dg13 *d, eid_buf *out);

#endif
