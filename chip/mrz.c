#include "chip/mrz.h"

#include <string.h>

#include "crypto/error.h"

/* Two lines of 44 plus CRLFs is 92; anything much longer is not an MRZ. */
#define MRZ_INPUT_MAX 200
#define TD1_LINE 30
#define TD3_LINE 44

static int char_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	if (c == '<')
		return 0;
	return -1;
}

static bool is_mrz_char(char c)
{
	return char_value(c) >= 0;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int eid_mrz_check_digit(const char *s, size_t n, char *ret)
{
	static const int weight[3] = { 7, 3, 1 };
	int sum = 0, v;

	for (size_t i = 0; i < n; i++) {
		if ((v = char_value(s[i])) < 0)
			return EID_EMALFORMED;
		sum = (sum + v * weight[i % 3]) % 10;
	}
	*ret = (char)('0' + sum);
	return EID_OK;
}

/* The character set is checked before any check digit, so a failure here
 * is always a mismatch, never a bad character. */
static int verify_cd(const char *s, size_t n, char cd)
{
	char want;

	if (eid_mrz_check_digit(s, n, &want) != EID_OK)
		return EID_EMALFORMED;
	return want == cd ? EID_OK : EID_EVERIFY;
}

/* Copy n characters, fillers as spaces, trailing fillers dropped. */
static void copy_field(char *dst, size_t cap, const char *s, size_t n)
{
	while (n > 0 && s[n - 1] == '<')
		n--;
	if (n >= cap)
		n = cap - 1;
	for (size_t i = 0; i < n; i++)
		dst[i] = s[i] == '<' ? ' ' : s[i];
	dst[n] = '\0';
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

static int days_in_month(int year, int month)
{
	static const int days[12] = { 31, 29, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	if (month == 2 && year >= 0 && !leap)
		return 28;
	return days[month - 1];
}

/* YYMMDD with a real month and a day that month can have; year < 0 means
 * the century is not known yet, so 29 February is allowed. */
static int check_date(const char *s, int year)
{
	int month, day;

	if (!all_digits(s, 6))
		return EID_EMALFORMED;
	month = (s[2] - '0') * 10 + (s[3] - '0');
	day = (s[4] - '0') * 10 + (s[5] - '0');
	if (month < 1 || month > 12 || day < 1 ||
	    day > days_in_month(year, month))
		return EID_EMALFORMED;
	return EID_OK;
}

static int parse_sex(char c, char *ret)
{
	if (c == 'M' || c == 'F') {
		*ret = c;
		return EID_OK;
	}
	if (c == '<' || c == 'X') {
		*ret = 'X';
		return EID_OK;
	}
	return EID_EMALFORMED;
}

/* Primary and secondary identifiers are separated by the first "<<". */
static void parse_name(const char *s, size_t n, struct eid_mrz *m)
{
	size_t i;

	for (i = 0; i + 1 < n; i++)
		if (s[i] == '<' && s[i + 1] == '<')
			break;
	if (i + 1 >= n) {
		copy_field(m->primary, sizeof(m->primary), s, n);
		m->secondary[0] = '\0';
		return;
	}
	copy_field(m->primary, sizeof(m->primary), s, i);
	copy_field(m->secondary, sizeof(m->secondary), s + i + 2, n - i - 2);
}

/* Join lines separated by "\n" / "\r\n" into flat; the run itself is
 * accepted when its length is 90 or 88. */
static int flatten(const char *s, size_t n, char *flat, size_t *ret_len,
		   size_t *ret_line)
{
	size_t len = 0, line = 0, lines = 0, cur = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			continue;
		if (s[i] == '\n') {
			if (line != 0 && cur != line)
				return EID_EMALFORMED;
			line = cur;
			cur = 0;
			lines++;
			continue;
		}
		if (len == EID_MRZ_TD1_LEN)
			return EID_EMALFORMED;
		flat[len++] = s[i];
		cur++;
	}
	if (cur > 0) {
		if (line != 0 && cur != line)
			return EID_EMALFORMED;
		if (line == 0)
			line = cur;
		lines++;
	}
	if (lines > 1 && !((line == TD1_LINE && lines == 3) ||
			   (line == TD3_LINE && lines == 2)))
		return EID_EMALFORMED;
	*ret_len = len;
	*ret_line = line;
	return EID_OK;
}

/* The composite check digit covers these parts of the MRZ (Part 5 4.2.2
 * for TD1, Part 4 4.2.2 for TD3): the same for parsing and encoding. */
#define TD1_COMP_LEN (25 + 7 + 7 + 11)
#define TD3_COMP_LEN (10 + 7 + 22)

static void td1_composite(const char *s, char comp[TD1_COMP_LEN])
{
	memcpy(comp, s + 5, 25);
	memcpy(comp + 25, s + TD1_LINE, 7);
	memcpy(comp + 32, s + TD1_LINE + 8, 7);
	memcpy(comp + 39, s + TD1_LINE + 18, 11);
}

static void td3_composite(const char *s, char comp[TD3_COMP_LEN])
{
	memcpy(comp, s + TD3_LINE, 10);
	memcpy(comp + 10, s + TD3_LINE + 13, 7);
	memcpy(comp + 17, s + TD3_LINE + 21, 22);
}

static int check_charset(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_mrz_char(s[i]))
			return EID_EMALFORMED;
	return EID_OK;
}

static int parse_doc_code(const char *s, struct eid_mrz *m)
{
	if (s[0] < 'A' || s[0] > 'Z')
		return EID_EMALFORMED;
	copy_field(m->doc_code, sizeof(m->doc_code), s, 2);
	copy_field(m->issuer, sizeof(m->issuer), s + 2, 3);
	return EID_OK;
}

/* The fields that sit in the same order in TD1 line 2 and TD3 line 2
 * (from the date of birth to the expiry check digit). */
static int parse_dates_sex(const char *s, struct eid_mrz *m)
{
	int r;

	if ((r = verify_cd(s, 6, s[6])) != EID_OK ||
	    (r = verify_cd(s + 8, 6, s[14])) != EID_OK)
		return r;
	if (check_date(s, -1) != EID_OK || check_date(s + 8, -1) != EID_OK)
		return EID_EMALFORMED;
	memcpy(m->dob, s, 6);
	m->dob[6] = '\0';
	memcpy(m->expiry, s + 8, 6);
	m->expiry[6] = '\0';
	return parse_sex(s[7], &m->sex);
}

/* Part 5 note j: with the check digit position a filler, the document
 * number continues in the optional data up to the first filler, whose last
 * character before it is the check digit of the whole number. */
static int parse_td1_docno(const char *l1, struct eid_mrz *m,
			   size_t *ret_opt_start)
{
	char full[EID_MRZ_DOCNO_MAX + 1];
	const char *opt = l1 + 15;
	size_t tail;

	if (l1[14] != '<') {
		copy_field(m->docno, sizeof(m->docno), l1 + 5, 9);
		*ret_opt_start = 0;
		return verify_cd(l1 + 5, 9, l1[14]);
	}
	for (tail = 0; tail < 15 && opt[tail] != '<'; tail++)
		;
	/* At least one more character, the check digit, then a filler. */
	if (tail < 2 || tail == 15)
		return EID_EMALFORMED;
	memcpy(full, l1 + 5, 9);
	memcpy(full + 9, opt, tail - 1);
	if (verify_cd(full, 9 + tail - 1, opt[tail - 1]) != EID_OK)
		return EID_EVERIFY;
	copy_field(m->docno, sizeof(m->docno), full, 9 + tail - 1);
	*ret_opt_start = tail + 1;
	return EID_OK;
}

/* Vietnamese cards open the optional data with the 12-digit personal ID,
 * whose last 9 digits fill the document-number field. */
static void find_personal_id(struct eid_mrz *m)
{
	m->personal_id[0] = '\0';
	if (strlen(m->optional1) < 12 || !all_digits(m->optional1, 12) ||
	    strlen(m->docno) != 9 || memcmp(m->optional1 + 3, m->docno, 9) != 0)
		return;
	memcpy(m->personal_id, m->optional1, 12);
	m->personal_id[12] = '\0';
}

static int parse_td1(const char *s, struct eid_mrz *m)
{
	const char *l1 = s, *l2 = s + TD1_LINE, *l3 = s + 2 * TD1_LINE;
	char comp[TD1_COMP_LEN];
	size_t opt;
	int r;

	m->format = EID_MRZ_TD1;
	if ((r = parse_doc_code(l1, m)) != EID_OK ||
	    (r = parse_td1_docno(l1, m, &opt)) != EID_OK ||
	    (r = parse_dates_sex(l2, m)) != EID_OK)
		return r;
	td1_composite(s, comp);
	if ((r = verify_cd(comp, sizeof(comp), l2[29])) != EID_OK)
		return r;
	copy_field(m->optional1, sizeof(m->optional1), l1 + 15 + opt, 15 - opt);
	copy_field(m->nationality, sizeof(m->nationality), l2 + 15, 3);
	copy_field(m->optional2, sizeof(m->optional2), l2 + 18, 11);
	parse_name(l3, TD1_LINE, m);
	find_personal_id(m);
	return EID_OK;
}

/* The personal number's check digit may be a filler when it is empty. */
static int verify_personal_cd(const char *s)
{
	bool empty = true;

	for (size_t i = 0; i < 14; i++)
		if (s[i] != '<')
			empty = false;
	if (empty && s[14] == '<')
		return EID_OK;
	return verify_cd(s, 14, s[14]);
}

static int parse_td3(const char *s, struct eid_mrz *m)
{
	const char *l1 = s, *l2 = s + TD3_LINE;
	char comp[TD3_COMP_LEN];
	int r;

	m->format = EID_MRZ_TD3;
	if ((r = parse_doc_code(l1, m)) != EID_OK ||
	    (r = verify_cd(l2, 9, l2[9])) != EID_OK ||
	    (r = parse_dates_sex(l2 + 13, m)) != EID_OK ||
	    (r = verify_personal_cd(l2 + 28)) != EID_OK)
		return r;
	td3_composite(s, comp);
	if ((r = verify_cd(comp, sizeof(comp), l2[43])) != EID_OK)
		return r;
	copy_field(m->docno, sizeof(m->docno), l2, 9);
	copy_field(m->nationality, sizeof(m->nationality), l2 + 10, 3);
	copy_field(m->optional1, sizeof(m->optional1), l2 + 28, 14);
	m->optional2[0] = '\0';
	parse_name(l1 + 5, TD3_LINE - 5, m);
	m->personal_id[0] = '\0';
	return EID_OK;
}

int eid_mrz_parse(const char *s, size_t n, struct eid_mrz *ret)
{
	char flat[EID_MRZ_TD1_LEN];
	struct eid_mrz m;
	size_t len, line;
	int r;

	if (s == NULL)
		return EID_EINVAL;
	if (n > MRZ_INPUT_MAX)
		return EID_ETOOBIG;
	memset(&m, 0, sizeof(m));
	if ((r = flatten(s, n, flat, &len, &line)) != EID_OK)
		return r;
	if ((r = check_charset(flat, len)) != EID_OK)
		return r;
	if (len == EID_MRZ_TD1_LEN)
		r = parse_td1(flat, &m);
	else if (len == EID_MRZ_TD3_LEN)
		r = parse_td3(flat, &m);
	else
		r = EID_EMALFORMED;
	if (r != EID_OK)
		return r;
	*ret = m;
	return EID_OK;
}

/* ---- encoding ---- */

/* Write s into width characters, spaces as fillers, padded with fillers. */
static int put_field(char *dst, size_t width, const char *s)
{
	size_t n = strlen(s);

	if (n > width)
		return EID_ETOOBIG;
	for (size_t i = 0; i < n; i++) {
		char c = s[i] == ' ' ? '<' : s[i];
		if (!is_mrz_char(c))
			return EID_EINVAL;
		dst[i] = c;
	}
	memset(dst + n, '<', width - n);
	return EID_OK;
}

static int put_cd(char *dst, const char *field, size_t n)
{
	return eid_mrz_check_digit(field, n, dst);
}

static int put_date(char *dst, const char *yymmdd)
{
	if (strlen(yymmdd) != 6 || check_date(yymmdd, -1) != EID_OK)
		return EID_EINVAL;
	memcpy(dst, yymmdd, 6);
	return put_cd(dst + 6, dst, 6);
}

/* ICAO truncates names that do not fit; we cut at the line's end, which is
 * the last step of its truncation rules. */
static int put_name(char *dst, size_t width, const struct eid_mrz *m)
{
	char tmp[sizeof(m->primary) + 2 + sizeof(m->secondary)];
	size_t n = strlen(m->primary), k = strlen(m->secondary);
	int r;

	if (n >= sizeof(m->primary) || k >= sizeof(m->secondary))
		return EID_EINVAL;
	memcpy(tmp, m->primary, n);
	if (k > 0) {
		memcpy(tmp + n, "<<", 2);
		memcpy(tmp + n + 2, m->secondary, k);
		n += 2 + k;
	}
	if (n > width)
		n = width;
	tmp[n] = '\0';
	if ((r = put_field(dst, width, tmp)) != EID_OK)
		return r == EID_ETOOBIG ? EID_EINTERNAL : r;
	return EID_OK;
}

static char sex_char(char sex)
{
	return sex == 'M' || sex == 'F' ? sex : '<';
}

static int put_dates_sex(char *dst, const struct eid_mrz *m)
{
	int r;

	if ((r = put_date(dst, m->dob)) != EID_OK ||
	    (r = put_date(dst + 8, m->expiry)) != EID_OK)
		return r;
	if (m->sex != 'M' && m->sex != 'F' && m->sex != 'X' && m->sex != '<')
		return EID_EINVAL;
	dst[7] = sex_char(m->sex);
	return EID_OK;
}

static int put_doc_code(char *dst, const struct eid_mrz *m)
{
	int r;

	if (m->doc_code[0] < 'A' || m->doc_code[0] > 'Z')
		return EID_EINVAL;
	if ((r = put_field(dst, 2, m->doc_code)) != EID_OK)
		return r;
	return put_field(dst + 2, 3, m->issuer);
}

/* Line 1 from position 6: the document number, its check digit and the
 * optional data, a long number overflowing as Part 5 note j says. */
static int put_td1_docno(char *dst, const struct eid_mrz *m)
{
	size_t n = strlen(m->docno), tail;
	char full[EID_MRZ_DOCNO_MAX];
	int r;

	if (n <= 9) {
		if ((r = put_field(dst, 9, m->docno)) != EID_OK ||
		    (r = put_cd(dst + 9, dst, 9)) != EID_OK)
			return r;
		return put_field(dst + 10, 15, m->optional1);
	}
	if (n > EID_MRZ_DOCNO_MAX)
		return EID_ETOOBIG;
	/* The tail, its check digit, a filler, then the optional data. */
	tail = n - 9;
	if (tail + 2 + strlen(m->optional1) > 15)
		return EID_ETOOBIG;
	if ((r = put_field(full, n, m->docno)) != EID_OK)
		return r;
	memcpy(dst, full, 9);
	dst[9] = '<';
	memcpy(dst + 10, full + 9, tail);
	if ((r = put_cd(dst + 10 + tail, full, n)) != EID_OK)
		return r;
	dst[10 + tail + 1] = '<';
	return put_field(dst + 10 + tail + 2, 15 - (tail + 2), m->optional1);
}

/* For issuing a Vietnamese card: the optional data opens with the ID. */
static const char *td1_optional1(const struct eid_mrz *m)
{
	return m->optional1[0] == '\0' ? m->personal_id : m->optional1;
}

int eid_mrz_encode_td1(const struct eid_mrz *m, eid_buf *out)
{
	char s[EID_MRZ_TD1_LEN];
	char comp[TD1_COMP_LEN];
	char *l1 = s, *l2 = s + TD1_LINE, *l3 = s + 2 * TD1_LINE;
	struct eid_mrz tmp = *m;
	int r;

	if (strlen(td1_optional1(m)) >= sizeof(tmp.optional1))
		return EID_ETOOBIG;
	memcpy(tmp.optional1, td1_optional1(m), strlen(td1_optional1(m)) + 1);
	if ((r = put_doc_code(l1, &tmp)) != EID_OK ||
	    (r = put_td1_docno(l1 + 5, &tmp)) != EID_OK ||
	    (r = put_dates_sex(l2, &tmp)) != EID_OK ||
	    (r = put_field(l2 + 15, 3, tmp.nationality)) != EID_OK ||
	    (r = put_field(l2 + 18, 11, tmp.optional2)) != EID_OK ||
	    (r = put_name(l3, TD1_LINE, &tmp)) != EID_OK)
		return r;
	td1_composite(s, comp);
	if ((r = put_cd(l2 + 29, comp, sizeof(comp))) != EID_OK)
		return r;
	return eid_buf_put(out, s, sizeof(s));
}

int eid_mrz_encode_td3(const struct eid_mrz *m, eid_buf *out)
{
	char s[EID_MRZ_TD3_LEN];
	char comp[TD3_COMP_LEN];
	char *l1 = s, *l2 = s + TD3_LINE;
	int r;

	if ((r = put_doc_code(l1, m)) != EID_OK ||
	    (r = put_name(l1 + 5, TD3_LINE - 5, m)) != EID_OK ||
	    (r = put_field(l2, 9, m->docno)) != EID_OK ||
	    (r = put_cd(l2 + 9, l2, 9)) != EID_OK ||
	    (r = put_field(l2 + 10, 3, m->nationality)) != EID_OK ||
	    (r = put_dates_sex(l2 + 13, m)) != EID_OK ||
	    (r = put_field(l2 + 28, 14, m->optional1)) != EID_OK ||
	    (r = put_cd(l2 + 42, l2 + 28, 14)) != EID_OK)
		return r;
	td3_composite(s, comp);
	if ((r = put_cd(l2 + 43, comp, sizeof(comp))) != EID_OK)
		return r;
	return eid_buf_put(out, s, sizeof(s));
}

int eid_mrz_encode(const struct eid_mrz *m, eid_buf *out)
{
	if (m->format == EID_MRZ_TD1)
		return eid_mrz_encode_td1(m, out);
	if (m->format == EID_MRZ_TD3)
		return eid_mrz_encode_td3(m, out);
	return EID_EINVAL;
}

int eid_mrz_info_build(const char *docno, const char *dob,
		       const char *expiry, eid_buf *out)
{
	char s[EID_MRZ_DOCNO_MAX + 1 + 14];
	size_t n, old = out->len;
	int r;

	if (docno == NULL || dob == NULL || expiry == NULL)
		return EID_EINVAL;
	n = strlen(docno);
	if (n == 0 || n > EID_MRZ_DOCNO_MAX)
		return EID_EINVAL;
	if (n < 9)
		n = 9;
	if ((r = put_field(s, n, docno)) != EID_OK ||
	    (r = put_cd(s + n, s, n)) != EID_OK ||
	    (r = put_date(s + n + 1, dob)) != EID_OK ||
	    (r = put_date(s + n + 8, expiry)) != EID_OK)
		return r == EID_ETOOBIG ? EID_EINVAL : r;
	if ((r = eid_buf_put(out, s, n + 15)) != EID_OK)
		eid_buf_truncate(out, old);
	return r;
}

int eid_mrz_century(int yy, int ref_year, int max_ahead)
{
	int limit = ref_year + max_ahead;
	int year = limit - ((limit % 100) - yy);

	if (year > limit)
		year -= 100;
	return year;
}

int eid_mrz_date_iso(const char *yymmdd, int ref_year, int max_ahead,
		     char ret[11])
{
	int year;

	if (yymmdd == NULL || strlen(yymmdd) != 6 ||
	    check_date(yymmdd, -1) != EID_OK)
		return EID_EMALFORMED;
	year = eid_mrz_century((yymmdd[0] - '0') * 10 + (yymmdd[1] - '0'),
			       ref_year, max_ahead);
	if (year < 0 || year > 9999 || check_date(yymmdd, year) != EID_OK)
		return EID_EMALFORMED;
	ret[0] = (char)('0' + year / 1000);
	ret[1] = (char)('0' + year / 100 % 10);
	ret[2] = yymmdd[0];
	ret[3] = yymmdd[1];
	ret[4] = '-';
	ret[5] = yymmdd[2];
	ret[6] = yymmdd[3];
	ret[7] = '-';
	ret[8] = yymmdd[4];
	ret[9] = yymmdd[5];
	ret[10] = '\0';
	return EID_OK;
}
