#include "idp/citizen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/json_flat.h"
#include "idp/nfc.h"

enum kind {
	K_ID,     /* a 12-digit personal ID */
	K_TEXT,   /* UTF-8 without control characters */
	K_DATE,   /* YYYY-MM-DD */
	K_SEX,    /* male | female */
	K_NATION, /* ISO 3166 alpha-3 */
	K_CARDNO, /* 9 or 12 digits */
	K_STATUS, /* valid | revoked */
	K_TIME,   /* YYYY-MM-DDTHH:MM:SSZ */
};

struct field {
	const char *name;
	enum kind kind;
	size_t off;
	size_t cap; /* bytes of a char array field, NUL included */
};

#define F(name, kind) \
	{ #name, kind, offsetof(struct eid_citizen, name), \
	  sizeof(((struct eid_citizen *)0)->name) }

/* In the order of EID_CITIZEN_FIELDS. */
static const struct field fields[] = {
	F(personal_id, K_ID),
	F(full_name, K_TEXT),
	F(birthdate, K_DATE),
	F(sex, K_SEX),
	F(nationality, K_NATION),
	F(ethnicity, K_TEXT),
	F(religion, K_TEXT),
	F(place_of_origin, K_TEXT),
	F(residence, K_TEXT),
	F(card_number, K_CARDNO),
	F(card_issued, K_DATE),
	F(card_expires, K_DATE),
	F(card_status, K_STATUS),
	F(guardian_id, K_ID),
	F(updated_at, K_TIME),
};
#undef F

#define FIELD_COUNT (sizeof(fields) / sizeof(fields[0]))
#define COUNT_ONE(name) +1
_Static_assert(FIELD_COUNT == 0 EID_CITIZEN_FIELDS(COUNT_ONE),
	       "field table and EID_CITIZEN_FIELDS disagree");
#undef COUNT_ONE

/* Longest text of any field, NUL included. */
#define FIELD_TEXT_MAX (EID_CITIZEN_PLACE_MAX + 1)

/* Seconds east of UTC for the civil date in Vietnam. */
#define VN_UTC_OFFSET (7 * 3600)

size_t eid_citizen_field_count(void)
{
	return FIELD_COUNT;
}

const char *eid_citizen_field_name(size_t index)
{
	return index < FIELD_COUNT ? fields[index].name : NULL;
}

int eid_citizen_field_index(const char *name, size_t n)
{
	for (size_t i = 0; i < FIELD_COUNT; i++)
		if (strlen(fields[i].name) == n &&
		    memcmp(fields[i].name, name, n) == 0)
			return (int)i;
	return -1;
}

void eid_citizen_init(struct eid_citizen *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->nationality, "VNM", 4);
	c->card_status = EID_CARD_VALID;
}

/* ---- dates ---- */

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30,
				  31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, struct eid_date *ret)
{
	int64_t era, doe, yoe, y, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	ret->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	ret->month = (int)(mp < 10 ? mp + 3 : mp - 9);
	ret->year = (int)(y + (ret->month <= 2));
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int num(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

int eid_date_parse(const char *s, size_t n, struct eid_date *ret)
{
	struct eid_date d;

	if (n != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4) ||
	    !digits(s + 5, 2) || !digits(s + 8, 2))
		return EID_EMALFORMED;
	d.year = num(s, 4);
	d.month = num(s + 5, 2);
	d.day = num(s + 8, 2);
	if (d.year < 1 || d.month < 1 || d.month > 12 || d.day < 1 ||
	    d.day > days_in_month(d.year, d.month))
		return EID_EMALFORMED;
	*ret = d;
	return EID_OK;
}

/* width decimal digits of v (mod 10^width), zero-padded. */
static void put_digits(char *out, int v, int width)
{
	unsigned u = v < 0 ? 0u : (unsigned)v;

	for (int i = width - 1; i >= 0; i--) {
		out[i] = (char)('0' + u % 10);
		u /= 10;
	}
}

void eid_date_format(const struct eid_date *d, char out[11])
{
	put_digits(out, d->year, 4);
	out[4] = '-';
	put_digits(out + 5, d->month, 2);
	out[7] = '-';
	put_digits(out + 8, d->day, 2);
	out[10] = '\0';
}

void eid_date_today(int64_t t, struct eid_date *ret)
{
	int64_t s = t + VN_UTC_OFFSET;
	int64_t days = s / 86400 - (s % 86400 < 0);

	civil_from_days(days, ret);
}

int eid_date_cmp(const struct eid_date *a, const struct eid_date *b)
{
	if (a->year != b->year)
		return a->year < b->year ? -1 : 1;
	if (a->month != b->month)
		return a->month < b->month ? -1 : 1;
	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	return 0;
}

int eid_age_on(const struct eid_date *birth, const struct eid_date *on,
	       int *ret_age)
{
	int age;

	if (eid_date_cmp(on, birth) < 0)
		return EID_EINVAL;
	age = on->year - birth->year;
	/* Month/day order puts 29 February after 28 February, so a leap-day
	 * birthday is reached on 1 March in common years. */
	if (on->month < birth->month ||
	    (on->month == birth->month && on->day < birth->day))
		age--;
	*ret_age = age;
	return EID_OK;
}

enum eid_age_band eid_age_band_of(int age)
{
	if (age < 6)
		return EID_AGE_UNDER_6;
	if (age < 14)
		return EID_AGE_6_TO_13;
	return EID_AGE_14_PLUS;
}

/* 9999-12-31T23:59:59Z: the last time the text form can write. */
#define TIME_MAX 253402300799ull

/* YYYY-MM-DDTHH:MM:SSZ, UTC. */
static int time_parse(const char *s, size_t n, int64_t *ret)
{
	struct eid_date d;
	int hh, mm, ss;

	if (n != 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
	    s[19] != 'Z' || !digits(s + 11, 2) || !digits(s + 14, 2) ||
	    !digits(s + 17, 2) || eid_date_parse(s, 10, &d) != EID_OK)
		return EID_EMALFORMED;
	hh = num(s + 11, 2);
	mm = num(s + 14, 2);
	ss = num(s + 17, 2);
	if (d.year < 1970 || hh > 23 || mm > 59 || ss > 59)
		return EID_EMALFORMED;
	*ret = days_from_civil(d.year, d.month, d.day) * 86400 + hh * 3600 +
	       mm * 60 + ss;
	return EID_OK;
}

static size_t time_format(int64_t t, char out[21])
{
	struct eid_date d;
	int64_t rem = t % 86400;

	civil_from_days(t / 86400, &d);
	eid_date_format(&d, out);
	out[10] = 'T';
	put_digits(out + 11, (int)(rem / 3600), 2);
	out[13] = ':';
	put_digits(out + 14, (int)(rem / 60 % 60), 2);
	out[16] = ':';
	put_digits(out + 17, (int)(rem % 60), 2);
	out[19] = 'Z';
	out[20] = '\0';
	return 20;
}

/* ---- text ---- */

/* Length of the UTF-8 sequence at p (at most n bytes), 0 when invalid:
 * overlong forms, surrogates and code points past U+10FFFF refused. */
static size_t utf8_seq(const unsigned char *p, size_t n, uint32_t *ret_cp)
{
	uint32_t cp;
	size_t len;

	if (p[0] < 0x80) {
		*ret_cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return len;
}

const char *eid_text_problem(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t len = utf8_seq(p + i, n - i, &cp);
		if (len == 0)
			return "is not valid UTF-8";
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return "contains a control character";
		i += len;
	}
	return NULL;
}

/* ---- setting fields ---- */

static int refuse(eid_buf *why, const struct field *f, const char *reason)
{
	if (why != NULL)
		(void)eid_buf_printf(why, "%s: %s", f->name, reason);
	return EID_EMALFORMED;
}

static void put_text(struct eid_citizen *c, const struct field *f,
		     const char *s, size_t n)
{
	char *dst = (char *)c + f->off;

	memcpy(dst, s, n);
	dst[n] = '\0';
}

static int set_id(struct eid_citizen *c, const struct field *f,
		  const char *s, size_t n, eid_buf *why)
{
	struct eid_personal_id id;
	eid_buf reason;
	int r;

	eid_buf_init(&reason, 128);
	r = eid_personal_id_parse_n(s, n, &id, &reason);
	if (r != EID_OK) {
		const char *msg = eid_buf_cstr(&reason);
		(void)refuse(why, f, msg != NULL ? msg : "invalid");
		eid_buf_free(&reason);
		return r;
	}
	eid_buf_free(&reason);
	put_text(c, f, id.digits, EID_PERSONAL_ID_LEN);
	return EID_OK;
}

static int set_text(struct eid_citizen *c, const struct field *f,
		    const char *s, size_t n, eid_buf *why)
{
	const char *problem;
	eid_buf nfc;
	int r;

	if (n >= f->cap) {
		if (why != NULL)
			(void)eid_buf_printf(why, "%s: longer than %zu bytes",
					     f->name, f->cap - 1);
		return EID_EMALFORMED;
	}
	problem = eid_text_problem(s, n);
	if (problem != NULL)
		return refuse(why, f, problem);
	/* Stored as NFC, whatever form the registry or the form sent. */
	eid_buf_init(&nfc, f->cap - 1);
	r = eid_nfc(s, n, &nfc);
	if (r == EID_OK)
		put_text(c, f, (const char *)nfc.data, nfc.len);
	else if (r == EID_ETOOBIG && why != NULL)
		(void)eid_buf_printf(why, "%s: longer than %zu bytes",
				     f->name, f->cap - 1);
	else if (r == EID_EMALFORMED)
		(void)refuse(why, f, "not UTF-8");
	eid_buf_free(&nfc);
	return r == EID_ETOOBIG ? EID_EMALFORMED : r;
}

static int set_date(struct eid_citizen *c, const struct field *f,
		    const char *s, size_t n, eid_buf *why)
{
	struct eid_date d;

	if (eid_date_parse(s, n, &d) != EID_OK)
		return refuse(why, f, "not a calendar date YYYY-MM-DD");
	*(struct eid_date *)(void *)((char *)c + f->off) = d;
	return EID_OK;
}

static int set_nation(struct eid_citizen *c, const struct field *f,
		      const char *s, size_t n, eid_buf *why)
{
	if (n != 3)
		return refuse(why, f, "not an ISO 3166 alpha-3 code");
	for (size_t i = 0; i < n; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return refuse(why, f,
				      "not an ISO 3166 alpha-3 code");
	put_text(c, f, s, n);
	return EID_OK;
}

static int set_cardno(struct eid_citizen *c, const struct field *f,
		      const char *s, size_t n, eid_buf *why)
{
	if ((n != 9 && n != 12) || !digits(s, n))
		return refuse(why, f, "must be 9 or 12 digits");
	put_text(c, f, s, n);
	return EID_OK;
}

static int set_sex(struct eid_citizen *c, const struct field *f,
		   const char *s, size_t n, eid_buf *why)
{
	enum eid_sex sex;

	if (eid_sex_parse(s, n, &sex) != EID_OK)
		return refuse(why, f, "must be male or female");
	c->sex = sex;
	c->has_sex = true;
	return EID_OK;
}

static int set_status(struct eid_citizen *c, const struct field *f,
		      const char *s, size_t n, eid_buf *why)
{
	if (n == 5 && memcmp(s, "valid", 5) == 0)
		c->card_status = EID_CARD_VALID;
	else if (n == 7 && memcmp(s, "revoked", 7) == 0)
		c->card_status = EID_CARD_REVOKED;
	else
		return refuse(why, f, "must be valid or revoked");
	return EID_OK;
}

static int set_time(struct eid_citizen *c, const struct field *f,
		    const char *s, size_t n, eid_buf *why)
{
	int64_t t;

	if (time_parse(s, n, &t) != EID_OK)
		return refuse(why, f, "not a UTC time YYYY-MM-DDTHH:MM:SSZ");
	c->updated_at = t;
	return EID_OK;
}

static void clear_field(struct eid_citizen *c, const struct field *f)
{
	switch (f->kind) {
	case K_DATE:
		memset((char *)c + f->off, 0, sizeof(struct eid_date));
		break;
	case K_SEX:
		c->sex = EID_SEX_MALE;
		c->has_sex = false;
		break;
	case K_NATION:
		memcpy(c->nationality, "VNM", 4);
		break;
	case K_STATUS:
		c->card_status = EID_CARD_VALID;
		break;
	case K_TIME:
		c->updated_at = 0;
		break;
	default:
		((char *)c + f->off)[0] = '\0';
		break;
	}
}

static int set_field(struct eid_citizen *c, const struct field *f,
		     const char *s, size_t n, eid_buf *why)
{
	if (n == 0) {
		clear_field(c, f);
		return EID_OK;
	}
	switch (f->kind) {
	case K_ID:
		return set_id(c, f, s, n, why);
	case K_TEXT:
		return set_text(c, f, s, n, why);
	case K_DATE:
		return set_date(c, f, s, n, why);
	case K_SEX:
		return set_sex(c, f, s, n, why);
	case K_NATION:
		return set_nation(c, f, s, n, why);
	case K_CARDNO:
		return set_cardno(c, f, s, n, why);
	case K_STATUS:
		return set_status(c, f, s, n, why);
	case K_TIME:
		return set_time(c, f, s, n, why);
	}
	return EID_EINTERNAL;
}

/* A field name from outside, made printable and short for a reason. */
static void put_name(eid_buf *why, const char *s, size_t n)
{
	if (why == NULL)
		return;
	for (size_t i = 0; i < n && i < 40; i++) {
		unsigned char ch = (unsigned char)s[i];
		(void)eid_buf_put_u8(why, ch >= 0x20 && ch < 0x7f && ch != '"'
						  ? ch : '?');
	}
	if (n > 40)
		(void)eid_buf_put_str(why, "...");
}

static int unknown_field(eid_buf *why, const char *name, size_t nlen)
{
	if (why != NULL) {
		(void)eid_buf_put_str(why, "unknown field \"");
		put_name(why, name, nlen);
		(void)eid_buf_put_str(why, "\"");
	}
	return EID_EMALFORMED;
}

static int set_by_name(struct eid_citizen *c, const char *name, size_t nlen,
		       const char *value, size_t n, eid_buf *why)
{
	int i = eid_citizen_field_index(name, nlen);

	if (i < 0)
		return unknown_field(why, name, nlen);
	return set_field(c, &fields[i], value, n, why);
}

int eid_citizen_set(struct eid_citizen *c, const char *field,
		    const char *value, size_t n, eid_buf *why)
{
	if (field == NULL || (value == NULL && n > 0))
		return EID_EINVAL;
	return set_by_name(c, field, strlen(field), value, n, why);
}

int eid_citizen_set_field(struct eid_citizen *c, size_t index,
			  const char *value, size_t n, eid_buf *why)
{
	if (index >= FIELD_COUNT || (value == NULL && n > 0))
		return EID_EINVAL;
	return set_field(c, &fields[index], value, n, why);
}

/* ---- reading fields back as text ---- */

/* The text of a field into out; 0 when absent. */
/* One of the short constant names (sex, card status) into out, without
 * snprintf's cost on the import path. */
static size_t copy_name(const char *name, char out[FIELD_TEXT_MAX])
{
	size_t n = strlen(name);

	if (n >= FIELD_TEXT_MAX)
		return 0;
	memcpy(out, name, n + 1);
	return n;
}

static size_t field_text(const struct eid_citizen *c, const struct field *f,
			 char out[FIELD_TEXT_MAX])
{
	const char *p = (const char *)c + f->off;
	const struct eid_date *d = (const void *)p;

	switch (f->kind) {
	case K_DATE:
		if (d->year == 0)
			return 0;
		eid_date_format(d, out);
		return 10;
	case K_SEX:
		if (!c->has_sex)
			return 0;
		return copy_name(eid_sex_name(c->sex), out);
	case K_STATUS:
		return copy_name(c->card_status == EID_CARD_REVOKED ? "revoked"
								    : "valid",
				 out);
	case K_TIME:
		if (c->updated_at <= 0)
			return 0;
		return time_format(c->updated_at, out);
	default: {
		size_t n = strnlen(p, f->cap - 1);
		memcpy(out, p, n);
		out[n] = '\0';
		return n;
	}
	}
}

/* ---- rules across fields ---- */

static int check_required(const struct eid_citizen *c, eid_buf *why)
{
	const char *missing = NULL;

	if (c->personal_id[0] == '\0')
		missing = "personal_id";
	else if (c->full_name[0] == '\0')
		missing = "full_name";
	else if (c->birthdate.year == 0)
		missing = "birthdate";
	else if (!c->has_sex)
		missing = "sex";
	if (missing == NULL)
		return EID_OK;
	if (why != NULL)
		(void)eid_buf_printf(why, "%s: required", missing);
	return EID_EMALFORMED;
}

static int check_id(const struct eid_citizen *c, eid_buf *why)
{
	struct eid_personal_id id;

	if (eid_personal_id_parse(c->personal_id, &id) != EID_OK) {
		eid_buf_say(why, "personal_id: invalid");
		return EID_EMALFORMED;
	}
	if (id.birth_year != c->birthdate.year) {
		if (why != NULL)
			(void)eid_buf_printf(why,
				"personal_id: encodes birth year %d, "
				"birthdate says %d",
				id.birth_year, c->birthdate.year);
		return EID_EMISMATCH;
	}
	if (eid_personal_id_check_birth(&id, c->birthdate.year, c->sex) !=
	    EID_OK) {
		if (why != NULL)
			(void)eid_buf_printf(why,
				"personal_id: encodes sex %s, sex says %s",
				eid_sex_name(id.sex), eid_sex_name(c->sex));
		return EID_EMISMATCH;
	}
	return EID_OK;
}

static int rule(bool ok, eid_buf *why, const char *reason)
{
	if (ok)
		return EID_OK;
	eid_buf_say(why, reason);
	return EID_EMALFORMED;
}

static int check_dates(const struct eid_citizen *c, int64_t now,
		       eid_buf *why)
{
	const struct eid_date *iss = &c->card_issued;
	const struct eid_date *exp = &c->card_expires;
	struct eid_date today;
	int r;

	if (now != EID_CITIZEN_NO_CLOCK) {
		eid_date_today(now, &today);
		r = rule(eid_date_cmp(&c->birthdate, &today) <= 0, why,
			 "birthdate: in the future");
		if (r == EID_OK && iss->year != 0)
			r = rule(eid_date_cmp(iss, &today) <= 0, why,
				 "card_issued: in the future");
		if (r != EID_OK)
			return r;
	}
	if (iss->year != 0) {
		r = rule(eid_date_cmp(iss, &c->birthdate) >= 0, why,
			 "card_issued: before birthdate");
		if (r != EID_OK)
			return r;
	}
	if (exp->year != 0)
		return rule(eid_date_cmp(exp, iss->year != 0
						      ? iss : &c->birthdate) > 0,
			    why, iss->year != 0
				    ? "card_expires: not after card_issued"
				    : "card_expires: not after birthdate");
	return EID_OK;
}

int eid_citizen_check(const struct eid_citizen *c, int64_t now, eid_buf *why)
{
	int r;

	r = check_required(c, why);
	if (r == EID_OK)
		r = check_id(c, why);
	if (r == EID_OK)
		r = check_dates(c, now, why);
	if (r == EID_OK)
		r = rule(strcmp(c->guardian_id, c->personal_id) != 0, why,
			 "guardian_id: the citizen's own personal ID");
	return r;
}

/* ---- JSON ---- */

static int json_field(struct eid_citizen *c, const char *key, size_t klen,
		      const json_t *v, eid_buf *why)
{
	if (eid_citizen_field_index(key, klen) < 0)
		return unknown_field(why, key, klen);
	if (json_is_null(v))
		return set_by_name(c, key, klen, NULL, 0, why);
	if (!json_is_string(v)) {
		if (why != NULL)
			(void)eid_buf_printf(why, "%.*s: must be a string",
					     (int)klen, key);
		return EID_EMALFORMED;
	}
	return set_by_name(c, key, klen, json_string_value(v),
			   json_string_length(v), why);
}

int eid_citizen_from_json(const json_t *obj, int64_t now,
			  struct eid_citizen *ret, eid_buf *why)
{
	struct eid_citizen c;
	const char *key;
	size_t klen;
	json_t *v;
	int r;

	if (!json_is_object(obj)) {
		eid_buf_say(why, "not a JSON object");
		return EID_EMALFORMED;
	}
	eid_citizen_init(&c);
	/* The macro wants a non-const object; it only reads it. */
	json_object_keylen_foreach((json_t *)obj, key, klen, v) {
		r = json_field(&c, key, klen, v, why);
		if (r != EID_OK)
			return r;
	}
	r = eid_citizen_check(&c, now, why);
	if (r != EID_OK)
		return r;
	*ret = c;
	return EID_OK;
}

/* The fast way: members straight from the text (idp/json_flat.h) into
 * the record, each field once. */
struct flat_fill {
	struct eid_citizen c;
	uint32_t seen; /* bit per field index */
};

static int flat_member(const struct eid_json_flat_member *m, void *arg)
{
	struct flat_fill *f = arg;
	int i = eid_citizen_field_index(m->key, m->klen);

	if (i < 0 || (f->seen & 1u << i))
		return EID_EMALFORMED;
	f->seen |= 1u << i;
	return set_field(&f->c, &fields[i], m->value, m->vlen, NULL);
}

static int parse_flat(const char *s, size_t n, int64_t now,
		      eid_buf *scratch, struct eid_citizen *ret)
{
	struct flat_fill f = { .seen = 0 };
	int r;

	_Static_assert(FIELD_COUNT <= 32, "a bit per field in flat_fill.seen");
	eid_citizen_init(&f.c);
	r = eid_json_flat_parse(s, n, scratch, flat_member, &f);
	if (r == EID_OK)
		r = eid_citizen_check(&f.c, now, NULL);
	if (r == EID_OK)
		*ret = f.c;
	return r;
}

int eid_citizen_parse_json(const char *s, size_t n, int64_t now,
			   struct eid_citizen *ret, eid_buf *why)
{
	eid_buf scratch;
	int r;

	eid_buf_init(&scratch, EID_CITIZEN_JSON_SCRATCH);
	r = eid_citizen_parse_json_buf(s, n, now, &scratch, ret, why);
	eid_buf_free(&scratch);
	return r;
}

int eid_citizen_parse_json_buf(const char *s, size_t n, int64_t now,
			       eid_buf *scratch, struct eid_citizen *ret,
			       eid_buf *why)
{
	json_error_t err;
	json_t *obj;
	int r;

	if (n > EID_CITIZEN_JSON_MAX) {
		if (why != NULL)
			(void)eid_buf_printf(why, "record longer than %u bytes",
					     EID_CITIZEN_JSON_MAX);
		return EID_ETOOBIG;
	}
	/* A good line is read the fast way; anything else goes through
	 * jansson and eid_citizen_from_json, which say exactly why. */
	if (parse_flat(s, n, now, scratch, ret) == EID_OK)
		return EID_OK;
	obj = json_loadb(s, n, JSON_REJECT_DUPLICATES, &err);
	if (obj == NULL) {
		if (why != NULL)
			(void)eid_buf_printf(why, "invalid JSON: %s (column %d)",
					     err.text, err.column);
		return EID_EMALFORMED;
	}
	r = eid_citizen_from_json(obj, now, ret, why);
	json_decref(obj);
	return r;
}

int eid_citizen_to_json(const struct eid_citizen *c, json_t **ret)
{
	char text[FIELD_TEXT_MAX];
	json_t *obj = json_object();
	int r = EID_ENOMEM;

	if (obj == NULL)
		goto out;
	for (size_t i = 0; i < FIELD_COUNT; i++) {
		size_t n = field_text(c, &fields[i], text);
		if (n == 0)
			continue;
		if (json_object_set_new(obj, fields[i].name,
					json_stringn(text, n)) != 0)
			goto out;
	}
	*ret = obj;
	obj = NULL;
	r = EID_OK;
out:
	json_decref(obj);
	return r;
}

int eid_citizen_format_json(const struct eid_citizen *c, eid_buf *out)
{
	json_t *obj = NULL;
	char *s = NULL;
	int r;

	r = eid_citizen_to_json(c, &obj);
	if (r != EID_OK)
		goto out;
	r = EID_ENOMEM;
	s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s == NULL)
		goto out;
	r = eid_buf_put_str(out, s);
out:
	free(s);
	json_decref(obj);
	return r;
}

/* ---- storage form ---- */

int eid_citizen_pack(const struct eid_citizen *c, eid_buf *out)
{
	char text[FIELD_TEXT_MAX];
	size_t start = out->len;
	int r;

	r = eid_buf_put_u8(out, EID_CITIZEN_PACK_V1);
	if (r == EID_OK)
		r = eid_buf_put_u64be(out, (uint64_t)c->updated_at);
	for (size_t i = 0; i < FIELD_COUNT && r == EID_OK; i++) {
		size_t n;
		if (fields[i].kind == K_TIME)
			continue;
		uint8_t *p;
		n = field_text(c, &fields[i], text);
		if (n == 0)
			continue;
		/* index, 16-bit length, text: one reservation */
		r = eid_buf_reserve(out, 3 + n, &p);
		if (r != EID_OK)
			break;
		p[0] = (uint8_t)i;
		p[1] = (uint8_t)(n >> 8);
		p[2] = (uint8_t)n;
		memcpy(p + 3, text, n);
	}
	if (r != EID_OK)
		eid_buf_truncate(out, start);
	return r;
}

static int unpack_fields(eid_rd *rd, struct eid_citizen *c)
{
	while (eid_rd_left(rd) > 0) {
		const uint8_t *p;
		uint8_t idx;
		uint16_t n;

		if (eid_rd_u8(rd, &idx) != EID_OK ||
		    eid_rd_u16be(rd, &n) != EID_OK ||
		    eid_rd_bytes(rd, n, &p) != EID_OK || idx >= FIELD_COUNT ||
		    fields[idx].kind == K_TIME)
			return EID_EMALFORMED;
		if (set_field(c, &fields[idx], (const char *)p, n, NULL) !=
		    EID_OK)
			return EID_EMALFORMED;
	}
	return EID_OK;
}

int eid_citizen_unpack(const void *p, size_t n, struct eid_citizen *ret)
{
	eid_rd rd = eid_rd_make(p, n);
	struct eid_citizen c;
	uint64_t updated;
	uint8_t version;

	if (eid_rd_u8(&rd, &version) != EID_OK)
		return EID_EMALFORMED;
	if (version != EID_CITIZEN_PACK_V1)
		return EID_EUNSUPPORTED;
	if (eid_rd_u64be(&rd, &updated) != EID_OK || updated > TIME_MAX)
		return EID_EMALFORMED;
	eid_citizen_init(&c);
	c.updated_at = (int64_t)updated;
	if (unpack_fields(&rd, &c) != EID_OK ||
	    eid_citizen_check(&c, EID_CITIZEN_NO_CLOCK, NULL) != EID_OK)
		return EID_EMALFORMED;
	*ret = c;
	return EID_OK;
}

bool eid_citizen_same(const struct eid_citizen *a,
		      const struct eid_citizen *b)
{
	char ta[FIELD_TEXT_MAX], tb[FIELD_TEXT_MAX];

	for (size_t i = 0; i < FIELD_COUNT; i++) {
		size_t na, nb;
		if (fields[i].kind == K_TIME)
			continue;
		na = field_text(a, &fields[i], ta);
		nb = field_text(b, &fields[i], tb);
		if (na != nb || memcmp(ta, tb, na) != 0)
			return false;
	}
	return true;
}
