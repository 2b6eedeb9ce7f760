/* The citizen record: the registry's view of one person, as the population
 * database holds it.  Field names are the JSON and CSV names (see
 * EID_CITIZEN_FIELDS); every value entering through eid_citizen_set or a
 * decoder is validated, and eid_citizen_check adds the rules that tie
 * fields together. */
#ifndef EID_CITIZEN_H
#define EID_CITIZEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/buf.h"
#include "idp/personal_id.h"

#define EID_CITIZEN_NAME_MAX 200  /* full_name, bytes of UTF-8 */
#define EID_CITIZEN_TEXT_MAX 100  /* ethnicity, religion */
#define EID_CITIZEN_PLACE_MAX 400 /* place_of_origin, residence */
#define EID_CITIZEN_JSON_MAX (64u * 1024) /* one record as JSON text */

/* A calendar date; year 0 means absent. */
struct eid_date {
	int year;
	int month;
	int day;
};

enum eid_card_status {
	EID_CARD_VALID = 0,
	EID_CARD_REVOKED = 1,
};

struct eid_citizen {
	char personal_id[EID_PERSONAL_ID_LEN + 1];
	char full_name[EID_CITIZEN_NAME_MAX + 1];
	struct eid_date birthdate;
	enum eid_sex sex;
	bool has_sex;
	char nationality[4];                  /* ISO 3166 alpha-3, "VNM" */
	char ethnicity[EID_CITIZEN_TEXT_MAX + 1];
	char religion[EID_CITIZEN_TEXT_MAX + 1];
	char place_of_origin[EID_CITIZEN_PLACE_MAX + 1];
	char residence[EID_CITIZEN_PLACE_MAX + 1];
	char card_number[EID_PERSONAL_ID_LEN + 1]; /* 9 or 12 digits */
	struct eid_date card_issued;
	struct eid_date card_expires;
	enum eid_card_status card_status;
	char guardian_id[EID_PERSONAL_ID_LEN + 1];
	int64_t updated_at;                   /* unix seconds; 0: unset */
};

/* Field names in their order of output. */
#define EID_CITIZEN_FIELDS(X)                                          \
	X(personal_id) X(full_name) X(birthdate) X(sex) X(nationality) \
	X(ethnicity) X(religion) X(place_of_origin) X(residence)       \
	X(card_number) X(card_issued) X(card_expires) X(card_status)   \
	X(guardian_id) X(updated_at)

/* An empty record with the defaults (nationality VNM, card valid). */
void eid_citizen_init(struct eid_citizen *c);

/* Set one field from text (n bytes, no NUL needed).  An empty value makes
 * the field absent (or its default).  EID_EMALFORMED, with a one-line
 * reason naming the field appended to why (may be NULL), for an unknown
 * field or an invalid value; c is unchanged then. */
int eid_citizen_set(struct eid_citizen *c, const char *field,
		    const char *value, size_t n, eid_buf *why);
/* The same by index in EID_CITIZEN_FIELDS (EID_EINVAL past the end). */
int eid_citizen_set_field(struct eid_citizen *c, size_t index,
			  const char *value, size_t n, eid_buf *why);
/* The index of a field name in EID_CITIZEN_FIELDS, or -1. */
int eid_citizen_field_index(const char *name, size_t n);
size_t eid_citizen_field_count(void);
const char *eid_citizen_field_name(size_t index);

/* No clock: skip the "not in the future" rules (for stored records). */
#define EID_CITIZEN_NO_CLOCK INT64_MIN

/* The rules across fields: personal_id, full_name, birthdate and sex are
 * required (EID_EMALFORMED); the ID's birth year and sex must agree with
 * birthdate and sex (EID_EMISMATCH); birthdate and card_issued are not
 * after today in Vietnam (UTC+7) at now, card_issued not before birthdate,
 * card_expires after card_issued, guardian_id not the person's own ID
 * (EID_EMALFORMED).  A reason is appended to why (may be NULL). */
int eid_citizen_check(const struct eid_citizen *c, int64_t now, eid_buf *why);

/* Decode and check a JSON object with exactly the field names above (each
 * a string or null; null and "" mean absent).  Unknown fields are refused
 * with their name in the reason. */
int eid_citizen_from_json(const json_t *obj, int64_t now,
			  struct eid_citizen *ret, eid_buf *why);
/* The same from JSON text (at most EID_CITIZEN_JSON_MAX bytes). */
int eid_citizen_parse_json(const char *s, size_t n, int64_t now,
			   struct eid_citizen *ret, eid_buf *why);
/* The same with the caller's buffer for the decoded members, initialised
 * with eid_buf_init(scratch, EID_CITIZEN_JSON_SCRATCH), so that a reader
 * of many lines allocates it once.  Its contents are undefined after. */
#define EID_CITIZEN_JSON_SCRATCH (EID_CITIZEN_JSON_MAX + 2)
int eid_citizen_parse_json_buf(const char *s, size_t n, int64_t now,
			       eid_buf *scratch, struct eid_citizen *ret,
			       eid_buf *why);
/* A JSON object of the present fields (nationality and card_status always). */
int eid_citizen_to_json(const struct eid_citizen *c, json_t **ret);
/* Compact JSON text appended to out. */
int eid_citizen_format_json(const struct eid_citizen *c, eid_buf *out);

/* The storage form, appended to out: a format byte (1), updated_at as 8
 * bytes big-endian, then each present field as index, 16-bit length, text.
 * Two records that differ only in updated_at pack to the same bytes after
 * EID_CITIZEN_PACK_HEADER. */
#define EID_CITIZEN_PACK_V1 1u
#define EID_CITIZEN_PACK_HEADER 9u
int eid_citizen_pack(const struct eid_citizen *c, eid_buf *out);
/* EID_EUNSUPPORTED for another format byte, EID_EMALFORMED for damage. */
int eid_citizen_unpack(const void *p, size_t n, struct eid_citizen *ret);
/* Equal in every field but updated_at. */
bool eid_citizen_same(const struct eid_citizen *a,
		      const struct eid_citizen *b);

/* Dates.  eid_date_parse takes exactly YYYY-MM-DD naming a real day. */
int eid_date_parse(const char *s, size_t n, struct eid_date *ret);
/* "YYYY-MM-DD" into out (11 bytes with the NUL). */
void eid_date_format(const struct eid_date *d, char out[11]);
/* The civil date in Vietnam (UTC+7) at unix time t. */
void eid_date_today(int64_t t, struct eid_date *ret);
int eid_date_cmp(const struct eid_date *a, const struct eid_date *b);

/* Age in whole years on a date (a 29 February birthday counts from
 * 1 March in common years).  EID_EINVAL when on is before birth. */
int eid_age_on(const struct eid_date *birth, const struct eid_date *on,
	       int *ret_age);

/* The bands of Decree 69/2024. */
enum eid_age_band {
	EID_AGE_UNDER_6,  /* only through a guardian */
	EID_AGE_6_TO_13,  /* level 1 through a guardian, level 2 on request */
	EID_AGE_14_PLUS,  /* self-service */
};
enum eid_age_band eid_age_band_of(int age);

/* NULL when the n bytes at s are UTF-8 without control characters (C0,
 * DEL, C1), else what is wrong ("is not valid UTF-8", ...). */
const char *eid_text_problem(const char *s, size_t n);

#endif
