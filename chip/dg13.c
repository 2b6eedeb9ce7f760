#include "chip/dg13.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "chip/tlv.h"
#include "crypto/error.h"

#define DG13_MAX (64 * 1024)
/* Wrappers seen around the field SET: at most two SEQUENCEs. */
#define DG13_MAX_DEPTH 4
/* Sixteen fields are defined; room for a few unknown ones. */
#define DG13_MAX_ENTRIES 64

#define ASN1_INTEGER 0x02
#define ASN1_OID 0x06
#define ASN1_UTF8 0x0c
#define ASN1_PRINTABLE 0x13
#define ASN1_IA5 0x16
#define ASN1_SEQUENCE 0x30
#define ASN1_SET 0x31

/* 1.0.10646.1.0.8: ISO/IEC 10646 in UTF-8. */
static const uint8_t oid_utf8[] = { 0x28, 0xcf, 0x06, 0x01, 0x00, 0x08 };

enum kind { TEXT, ID12, DATE, EXPIRY };

struct field {
	unsigned num;
	size_t off;
	enum kind kind;
};

/* The fields with one string value; 13, 14, 15 and 16 are special. */
static const struct field plain_fields[] = {
	{ 1, offsetof(struct eid_dg13, personal_id), ID12 },
	{ 2, offsetof(struct eid_dg13, full_name), TEXT },
	{ 3, offsetof(struct eid_dg13, birthdate), DATE },
	{ 4, offsetof(struct eid_dg13, sex), TEXT },
	{ 5, offsetof(struct eid_dg13, nationality), TEXT },
	{ 6, offsetof(struct eid_dg13, ethnicity), TEXT },
	{ 7, offsetof(struct eid_dg13, religion), TEXT },
	{ 8, offsetof(struct eid_dg13, place_of_origin), TEXT },
	{ 9, offsetof(struct eid_dg13, residence), TEXT },
	{ 10, offsetof(struct eid_dg13, identifying_marks), TEXT },
	{ 11, offsetof(struct eid_dg13, card_issued), DATE },
	{ 12, offsetof(struct eid_dg13, card_expires), EXPIRY },
};

#define NPLAIN (sizeof(plain_fields) / sizeof(plain_fields[0]))

static char *field_ptr(struct eid_dg13 *d, size_t off)
{
	return (char *)d + off;
}

static const char *field_cptr(const struct eid_dg13 *d, size_t off)
{
	return (const char *)d + off;
}

/* ---- text and dates ---- */

/* Length of the UTF-8 sequence at s (at most n bytes), 0 when invalid:
 * no overlong forms, no surrogates, nothing past U+10FFFF. */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

bool eid_dg13_text_ok(const uint8_t *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return false;
		if ((k = utf8_seq(s + i, n - i)) == 0)
			return false;
		i += k;
	}
	return true;
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int num2(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

static bool valid_day(int year, int month, int day)
{
	static const int days[12] = { 31, 29, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	if (month < 1 || month > 12 || day < 1 || day > days[month - 1])
		return false;
	return !(month == 2 && day == 29 && !leap);
}

/* Split s into day, month and year strings: "DD/MM/YYYY", "MM/YYYY",
 * "YYYY" with sep, "DDMMYYYY" without. */
static int split_date(const char *s, size_t n, char sep, const char **dd,
		      const char **mm, const char **yyyy)
{
	*dd = *mm = NULL;
	if (sep == '\0' && n == 8) {
		*dd = s, *mm = s + 2, *yyyy = s + 4;
	} else if (sep != '\0' && n == 10 && s[2] == sep && s[5] == sep) {
		*dd = s, *mm = s + 3, *yyyy = s + 6;
	} else if (sep != '\0' && n == 7 && s[2] == sep) {
		*mm = s, *yyyy = s + 3;
	} else if (sep != '\0' && n == 4) {
		*yyyy = s;
	} else {
		return EID_EMALFORMED;
	}
	if ((*dd != NULL && !digits(*dd, 2)) ||
	    (*mm != NULL && !digits(*mm, 2)) || !digits(*yyyy, 4))
		return EID_EMALFORMED;
	return EID_OK;
}

int eid_dg13_date_iso(const char *s, size_t n, char sep, eid_dg13_str ret)
{
	const char *dd, *mm, *yyyy;
	char out[11];
	size_t len = 4;
	int r;

	if ((r = split_date(s, n, sep, &dd, &mm, &yyyy)) != EID_OK)
		return r;
	memcpy(out, yyyy, 4);
	if (mm != NULL) {
		if (num2(mm) < 1 || num2(mm) > 12)
			return EID_EMALFORMED;
		out[4] = '-';
		memcpy(out + 5, mm, 2);
		len = 7;
	}
	if (dd != NULL) {
		if (!valid_day((yyyy[0] - '0') * 1000 + (yyyy[1] - '0') * 100 +
				       num2(yyyy + 2),
			       num2(mm), num2(dd)))
			return EID_EMALFORMED;
		out[7] = '-';
		memcpy(out + 8, dd, 2);
		len = 10;
	}
	memcpy(ret, out, len);
	ret[len] = '\0';
	return EID_OK;
}

/* ISO back to the card's "DD/MM/YYYY" (or "MM/YYYY", "YYYY"). */
static int date_card(const char *iso, char out[11])
{
	size_t n = strlen(iso);
	eid_dg13_str check;

	if (n == 10 && iso[4] == '-' && iso[7] == '-') {
		memcpy(out, iso + 8, 2);
		out[2] = '/';
		memcpy(out + 3, iso + 5, 2);
		out[5] = '/';
		memcpy(out + 6, iso, 4);
		out[10] = '\0';
	} else if (n == 7 && iso[4] == '-') {
		memcpy(out, iso + 5, 2);
		out[2] = '/';
		memcpy(out + 3, iso, 4);
		out[7] = '\0';
	} else if (n == 4) {
		memcpy(out, iso, 5);
	} else {
		return EID_EINVAL;
	}
	if (eid_dg13_date_iso(out, strlen(out), '/', check) != EID_OK)
		return EID_EINVAL;
	return EID_OK;
}

/* ---- parsing ---- */

static bool is_string(uint32_t tag)
{
	return tag == ASN1_UTF8 || tag == ASN1_PRINTABLE || tag == ASN1_IA5;
}

/* Copy a string element's value as validated, capped text. */
static int take_text(const struct eid_tlv *t, eid_dg13_str dst,
		     size_t *ret_len)
{
	if (!is_string(t->tag))
		return EID_EMALFORMED;
	if (t->len > EID_DG13_STR_MAX)
		return EID_ETOOBIG;
	if (!eid_dg13_text_ok(t->value, t->len))
		return EID_EMALFORMED;
	memcpy(dst, t->value, t->len);
	dst[t->len] = '\0';
	if (ret_len != NULL)
		*ret_len = t->len;
	return EID_OK;
}

/* A non-negative INTEGER of at most two value bytes. */
static int small_int(const struct eid_tlv *t, unsigned *ret)
{
	if (t->tag != ASN1_INTEGER || t->len == 0 || t->len > 2 ||
	    (t->value[0] & 0x80))
		return EID_EMALFORMED;
	*ret = t->len == 1 ? t->value[0] :
			     ((unsigned)t->value[0] << 8) | t->value[1];
	return EID_OK;
}

static int store_plain(const struct field *f, const struct eid_tlv *v,
		       struct eid_dg13 *d)
{
	char *dst = field_ptr(d, f->off);
	eid_dg13_str text;
	size_t n;
	int r;

	if ((r = take_text(v, text, &n)) != EID_OK)
		return r;
	if (n == 0) {
		dst[0] = '\0';
		return EID_OK;
	}
	switch (f->kind) {
	case ID12:
		if (n != 12 || !digits(text, 12))
			return EID_EMALFORMED;
		break;
	case DATE:
		return eid_dg13_date_iso(text, n, '/', dst);
	case EXPIRY:
		/* "Không thời hạn" (no time limit) on cards that never expire:
		 * any text that is not a date means no expiry date. */
		if (eid_dg13_date_iso(text, n, '/', dst) != EID_OK)
			dst[0] = '\0';
		return EID_OK;
	case TEXT:
		break;
	}
	memcpy(dst, text, n + 1);
	return EID_OK;
}

/* The names in field 13 or 14: either the rest of the entry holds the
 * strings, or it holds one SEQUENCE of them. */
static int take_names(eid_rd *rest, eid_dg13_str *dst[], size_t ndst)
{
	struct eid_tlv t, inner;
	eid_rd r = *rest;
	size_t i = 0;
	int rc;

	if (eid_rd_left(&r) == 0)
		return EID_OK;
	if ((rc = eid_tlv_read(&r, &t)) != EID_OK)
		return rc;
	if (t.tag == ASN1_SEQUENCE) {
		if (eid_rd_left(&r) != 0)
			return EID_EMALFORMED;
		r = eid_rd_make(t.value, t.len);
	} else {
		r = *rest;
	}
	while (eid_rd_left(&r) > 0) {
		if ((rc = eid_tlv_read(&r, &inner)) != EID_OK)
			return rc;
		if (i == ndst)
			return EID_EMALFORMED;
		if ((rc = take_text(&inner, *dst[i++], NULL)) != EID_OK)
			return rc;
	}
	return EID_OK;
}

/* 15 and 16: keep a 9- or 12-digit number, ignore anything else (one
 * source reads 16 as a hexadecimal serial). */
static int take_old_id(const struct eid_tlv *v, struct eid_dg13 *d)
{
	eid_dg13_str text;
	size_t n;
	int r;

	if ((r = take_text(v, text, &n)) != EID_OK)
		return r;
	if ((n == 9 || n == 12) && digits(text, n) &&
	    d->old_personal_id[0] == '\0')
		memcpy(d->old_personal_id, text, n + 1);
	return EID_OK;
}

static int parse_entry(unsigned num, eid_rd *rest, struct eid_dg13 *d)
{
	eid_dg13_str *parents[2] = { &d->father_name, &d->mother_name };
	eid_dg13_str *spouse[1] = { &d->spouse_name };
	struct eid_tlv v;
	int r;

	if (num == 13)
		return take_names(rest, parents, 2);
	if (num == 14)
		return take_names(rest, spouse, 1);
	/* A field that does not apply may be an entry with no value. */
	if (eid_rd_left(rest) == 0)
		return EID_OK;
	if ((r = eid_tlv_read(rest, &v)) != EID_OK)
		return r;
	if (eid_rd_left(rest) != 0)
		return EID_EMALFORMED;
	if (num == 15 || num == 16)
		return take_old_id(&v, d);
	for (size_t i = 0; i < NPLAIN; i++)
		if (plain_fields[i].num == num)
			return store_plain(&plain_fields[i], &v, d);
	return EID_OK; /* a field we do not know yet */
}

/* SEQUENCE { INTEGER n, ... } whose second element is not the OID of the
 * SEQUENCE { INTEGER 1, OID, SET } around the entries. */
static bool is_entry(const struct eid_tlv *t)
{
	eid_rd r = eid_rd_make(t->value, t->len);
	struct eid_tlv a, b;
	unsigned n;

	if (t->tag != ASN1_SEQUENCE || eid_tlv_read(&r, &a) != EID_OK ||
	    small_int(&a, &n) != EID_OK)
		return false;
	if (eid_rd_left(&r) == 0)
		return true;
	return eid_tlv_read(&r, &b) == EID_OK && b.tag != ASN1_OID;
}

/* Every entry among the elements at p; other elements (the version and
 * the OID in the flattest nesting) are passed over. */
static int parse_entries(const uint8_t *p, size_t n, struct eid_dg13 *d)
{
	eid_rd r = eid_rd_make(p, n), rest;
	struct eid_tlv t, num;
	uint32_t seen = 0;
	unsigned count = 0, k;
	int rc;

	while (eid_rd_left(&r) > 0) {
		if ((rc = eid_tlv_read(&r, &t)) != EID_OK)
			return rc;
		if (!is_entry(&t))
			continue;
		if (++count > DG13_MAX_ENTRIES)
			return EID_ETOOBIG;
		rest = eid_rd_make(t.value, t.len);
		if ((rc = eid_tlv_read(&rest, &num)) != EID_OK ||
		    (rc = small_int(&num, &k)) != EID_OK)
			return rc;
		if (k < 32) {
			if (seen & (1u << k))
				return EID_EMALFORMED;
			seen |= 1u << k;
		}
		if ((rc = parse_entry(k, &rest, d)) != EID_OK)
			return rc;
	}
	/* An empty SET is what an empty record encodes to. */
	return EID_OK;
}

/* Find the level that holds the entries: a SET, or a SEQUENCE of entries,
 * under up to DG13_MAX_DEPTH wrapping SEQUENCEs. */
static int find_entries(const uint8_t *p, size_t n, int depth,
			struct eid_dg13 *d)
{
	eid_rd r = eid_rd_make(p, n);
	struct eid_tlv t;
	int rc;

	if (depth > DG13_MAX_DEPTH)
		return EID_EMALFORMED;
	while (eid_rd_left(&r) > 0) {
		if ((rc = eid_tlv_read(&r, &t)) != EID_OK)
			return rc;
		if (t.tag == ASN1_SET)
			return parse_entries(t.value, t.len, d);
		if (is_entry(&t))
			return parse_entries(p, n, d);
		if (t.tag == ASN1_SEQUENCE)
			return find_entries(t.value, t.len, depth + 1, d);
		if (t.tag == ASN1_OID &&
		    (t.len != sizeof(oid_utf8) ||
		     memcmp(t.value, oid_utf8, t.len) != 0))
			return EID_EUNSUPPORTED;
	}
	return EID_EMALFORMED;
}

int eid_dg13_parse(const uint8_t *p, size_t n, struct eid_dg13 *ret)
{
	struct eid_dg13 *d = NULL;
	struct eid_tlv dg;
	int r;

	if (p == NULL || ret == NULL)
		return EID_EINVAL;
	if (n > DG13_MAX)
		return EID_ETOOBIG;
	if ((r = eid_tlv_parse_exact(p, n, &dg)) != EID_OK)
		return r;
	if (dg.tag != 0x6d)
		return EID_EMALFORMED;
	/* The struct is large: build it on the heap, hand it over whole. */
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return EID_ENOMEM;
	if ((r = find_entries(dg.value, dg.len, 0, d)) != EID_OK)
		goto out;
	memcpy(ret, d, sizeof(*d));
out:
	free(d);
	return r;
}

/* ---- encoding ---- */

static int put_text(eid_buf *b, const char *s)
{
	size_t n = strlen(s);

	if (n > EID_DG13_STR_MAX || !eid_dg13_text_ok((const uint8_t *)s, n))
		return EID_EINVAL;
	return eid_tlv_put(b, ASN1_UTF8, s, n);
}

/* SEQUENCE { INTEGER num, value } with value already encoded. */
static int put_entry(eid_buf *set, unsigned num, const eid_buf *value)
{
	uint8_t hdr[3] = { ASN1_INTEGER, 1, (uint8_t)num };
	size_t old = set->len;
	int r;

	if ((r = eid_tlv_put_header(set, ASN1_SEQUENCE,
				    sizeof(hdr) + value->len)) != EID_OK ||
	    (r = eid_buf_put(set, hdr, sizeof(hdr))) != EID_OK ||
	    (r = eid_buf_put(set, value->data, value->len)) != EID_OK)
		eid_buf_truncate(set, old);
	return r;
}

static int put_plain(eid_buf *set, eid_buf *tmp, const struct field *f,
		     const struct eid_dg13 *d)
{
	const char *s = field_cptr(d, f->off);
	char card[11];
	int r;

	if (s[0] == '\0')
		return EID_OK;
	eid_buf_reset(tmp);
	if (f->kind == DATE || f->kind == EXPIRY) {
		if ((r = date_card(s, card)) != EID_OK)
			return r;
		s = card;
	} else if (f->kind == ID12 && (strlen(s) != 12 || !digits(s, 12))) {
		return EID_EINVAL;
	}
	if ((r = put_text(tmp, s)) != EID_OK)
		return r;
	return put_entry(set, f->num, tmp);
}

/* SEQUENCE { names... } for 13 and 14; an absent first name stays as an
 * empty string so the second keeps its place. */
static int put_names(eid_buf *set, eid_buf *tmp, unsigned num,
		     const char *a, const char *b)
{
	eid_buf names;
	int r;

	if (a[0] == '\0' && (b == NULL || b[0] == '\0'))
		return EID_OK;
	eid_buf_init(&names, 4 * EID_DG13_STR_MAX);
	eid_buf_reset(tmp);
	if ((r = put_text(&names, a)) != EID_OK ||
	    (b != NULL && b[0] != '\0' && (r = put_text(&names, b)) != EID_OK) ||
	    (r = eid_tlv_put(tmp, ASN1_SEQUENCE, names.data, names.len)) !=
		    EID_OK)
		goto out;
	r = put_entry(set, num, tmp);
out:
	eid_buf_free(&names);
	return r;
}

static int put_fields(eid_buf *set, const struct eid_dg13 *d)
{
	eid_buf tmp;
	int r = EID_OK;

	eid_buf_init(&tmp, DG13_MAX);
	for (size_t i = 0; i < NPLAIN && r == EID_OK; i++)
		r = put_plain(set, &tmp, &plain_fields[i], d);
	if (r == EID_OK)
		r = put_names(set, &tmp, 13, d->father_name, d->mother_name);
	if (r == EID_OK)
		r = put_names(set, &tmp, 14, d->spouse_name, NULL);
	if (r == EID_OK && d->old_personal_id[0] != '\0') {
		size_t n = strlen(d->old_personal_id);
		eid_buf_reset(&tmp);
		if ((n != 9 && n != 12) || !digits(d->old_personal_id, n))
			r = EID_EINVAL;
		else if ((r = put_text(&tmp, d->old_personal_id)) == EID_OK)
			r = put_entry(set, 15, &tmp);
	}
	eid_buf_free(&tmp);
	return r;
}

int eid_dg13_encode(const struct eid_dg13 *d, eid_buf *out)
{
	static const uint8_t version[] = { ASN1_INTEGER, 1, 1 };
	eid_buf set, seq;
	int r;

	eid_buf_init(&set, DG13_MAX);
	eid_buf_init(&seq, DG13_MAX);
	if ((r = put_fields(&set, d)) != EID_OK ||
	    (r = eid_buf_put(&seq, version, sizeof(version))) != EID_OK ||
	    (r = eid_tlv_put(&seq, ASN1_OID, oid_utf8, sizeof(oid_utf8))) !=
		    EID_OK ||
	    (r = eid_tlv_put(&seq, ASN1_SET, set.data, set.len)) != EID_OK)
		goto out;
	eid_buf_reset(&set);
	if ((r = eid_tlv_put(&set, ASN1_SEQUENCE, seq.data, seq.len)) != EID_OK)
		goto out;
	r = eid_tlv_put(out, 0x6d, set.data, set.len);
out:
	eid_buf_free(&set);
	eid_buf_free(&seq);
	return r;
}

/* ---- JSON ---- */

static const struct {
	const char *name;
	size_t off;
} json_fields[] = {
	{ "personal_id", offsetof(struct eid_dg13, personal_id) },
	{ "full_name", offsetof(struct eid_dg13, full_name) },
	{ "birthdate", offsetof(struct eid_dg13, birthdate) },
	{ "nationality", offsetof(struct eid_dg13, nationality) },
	{ "ethnicity", offsetof(struct eid_dg13, ethnicity) },
	{ "religion", offsetof(struct eid_dg13, religion) },
	{ "place_of_origin", offsetof(struct eid_dg13, place_of_origin) },
	{ "residence", offsetof(struct eid_dg13, residence) },
	{ "identifying_marks", offsetof(struct eid_dg13, identifying_marks) },
	{ "card_issued", offsetof(struct eid_dg13, card_issued) },
	{ "card_expires", offsetof(struct eid_dg13, card_expires) },
	{ "father_name", offsetof(struct eid_dg13, father_name) },
	{ "mother_name", offsetof(struct eid_dg13, mother_name) },
	{ "spouse_name", offsetof(struct eid_dg13, spouse_name) },
	{ "old_personal_id", offsetof(struct eid_dg13, old_personal_id) },
};

static const char *sex_word(const char *s)
{
	if (strcmp(s, "Nam") == 0)
		return "male";
	if (strcmp(s, "N\xe1\xbb\xaf") == 0) /* "Nữ" */
		return "female";
	return NULL;
}

static int set_str(json_t *o, const char *key, const char *value)
{
	json_t *v;

	if (value == NULL || value[0] == '\0')
		return EID_OK;
	if ((v = json_string(value)) == NULL)
		return EID_ENOMEM;
	return json_object_set_new(o, key, v) == 0 ? EID_OK : EID_ENOMEM;
}

int eid_dg13_to_json(const struct eid_dg13 *d, json_t **ret)
{
	json_t *o = json_object();
	int r = EID_ENOMEM;

	if (o == NULL)
		goto out;
	for (size_t i = 0; i < sizeof(json_fields) / sizeof(json_fields[0]);
	     i++)
		if ((r = set_str(o, json_fields[i].name,
				 field_cptr(d, json_fields[i].off))) != EID_OK)
			goto out;
	if ((r = set_str(o, "sex", sex_word(d->sex))) != EID_OK)
		goto out;
	*ret = o;
	o = NULL;
out:
	json_decref(o);
	return r;
}
