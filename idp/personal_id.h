/* The 12-digit personal identification number (số định danh cá nhân, the
 * number on the CCCD chip card), as Circular 07/2016/TT-BCA defines it:
 *
 *   PPP  province (or centrally-run city) where the birth was registered
 *   C    century and sex: 0/1 male/female born 1900-1999, 2/3 2000-2099,
 *        4/5 2100-2199, 6/7 2200-2299, 8/9 2300-2399
 *   YY   last two digits of the year of birth
 *   NNNNNN  a random serial
 *
 * Province codes are those of the circular (63 units, 001 Hà Nội ...
 * 096 Cà Mau); the 2025 merger of provinces did not renumber issued IDs. */
#ifndef EID_PERSONAL_ID_H
#define EID_PERSONAL_ID_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/buf.h"

#define EID_PERSONAL_ID_LEN 12
#define EID_PERSONAL_ID_MAX_SERIAL 999999u
#define EID_PERSONAL_ID_MIN_YEAR 1900
#define EID_PERSONAL_ID_MAX_YEAR 2399

enum eid_sex {
	EID_SEX_MALE = 0,
	EID_SEX_FEMALE = 1,
};

struct eid_personal_id {
	char digits[EID_PERSONAL_ID_LEN + 1]; /* NUL-terminated */
	unsigned province;                    /* 1..96, a known code */
	enum eid_sex sex;
	int birth_year;                       /* 1900..2399 */
	uint32_t serial;                      /* 0..999999 */
};

struct eid_province {
	unsigned code;
	const char *name; /* UTF-8, as the circular writes it */
};

/* The official table, in code order; *ret_count gets its length (63). */
const struct eid_province *eid_province_table(size_t *ret_count);
/* The name of a province code, or NULL when the code is not assigned. */
const char *eid_province_name(unsigned code);

/* Parse exactly 12 ASCII digits.  EID_EMALFORMED for anything else,
 * including an unassigned province code. */
int eid_personal_id_parse(const char *s, struct eid_personal_id *ret);
/* The same for n bytes at s (no NUL needed); when why is not NULL a
 * one-line reason is appended to it on failure. */
int eid_personal_id_parse_n(const char *s, size_t n,
			    struct eid_personal_id *ret, eid_buf *why);

/* EID_OK when the ID's century/sex digit and year digits agree with the
 * year of birth and the sex; EID_EMISMATCH otherwise. */
int eid_personal_id_check_birth(const struct eid_personal_id *id, int year,
				enum eid_sex sex);

/* Build a valid ID (for tests and generated data).  EID_EINVAL for an
 * unknown province, a year outside 1900..2399 or a serial over 999999. */
int eid_personal_id_make(unsigned province, enum eid_sex sex, int birth_year,
			 uint32_t serial,
			 char ret[EID_PERSONAL_ID_LEN + 1]);

/* "male" / "female"; and back (EID_EMALFORMED for anything else). */
const char *eid_sex_name(enum eid_sex sex);
int eid_sex_parse(const char *s, size_t n, enum eid_sex *ret);

#endif
