/* The row reader of the registry import: JSON Lines and CSV rows to
 * validated citizen records, without a store (so it is fuzzed alone). */
#include "idp/registry_import.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"

#define BLOCK_SIZE (64u * 1024)
#define MAX_COLUMNS 32 /* header columns; more is refused */

struct eid_import_reader {
	FILE *in;
	enum eid_import_format format;
	size_t max_line;
	size_t max_field;
	int64_t now;
	uint64_t line;     /* physical lines consumed */
	bool pending;      /* rec holds a JSONL row read while detecting */
	uint64_t pending_line;
	eid_buf rec;       /* the current row's bytes */
	eid_buf val;       /* decoded CSV values, back to back */
	eid_buf scratch;   /* a JSON line's decoded members */
	size_t ncols;
	int cols[MAX_COLUMNS];     /* column -> field index */
	size_t off[MAX_COLUMNS];   /* value offsets into val */
	size_t len[MAX_COLUMNS];
	uint8_t *blk;      /* read-ahead block */
	size_t blk_off;
	size_t blk_len;
};

bool eid_import_row_error(int r)
{
	return r == EID_EMALFORMED || r == EID_EMISMATCH || r == EID_ETOOBIG ||
	       r == EID_EEXIST;
}

enum eid_import_format eid_import_reader_format(const eid_import_reader *r)
{
	return r->format;
}

static int reason(eid_buf *why, int r, const char *text)
{
	eid_buf_say(why, text);
	return r;
}

/* ---- physical lines ---- */

/* EID_OK with bytes ready, 1 at the end of input, EID_EIO. */
static int fill(eid_import_reader *r)
{
	size_t n;

	if (r->blk_off < r->blk_len)
		return EID_OK;
	n = fread(r->blk, 1, BLOCK_SIZE, r->in);
	if (n == 0)
		return ferror(r->in) ? EID_EIO : 1;
	r->blk_off = 0;
	r->blk_len = n;
	return EID_OK;
}

/* Append the next line, without its LF, to rec.  1 at the end of input
 * when nothing was read; EID_ETOOBIG when rec would pass max_line (the
 * rest of the line is consumed and dropped). */
static int read_line(eid_import_reader *r)
{
	bool any = false, over = false;
	int rc;

	for (;;) {
		const uint8_t *p, *nl;
		size_t n;

		rc = fill(r);
		if (rc == EID_EIO)
			return rc;
		if (rc == 1) {
			if (!any)
				return 1;
			break;
		}
		any = true;
		p = r->blk + r->blk_off;
		nl = memchr(p, '\n', r->blk_len - r->blk_off);
		n = nl != NULL ? (size_t)(nl - p) : r->blk_len - r->blk_off;
		if (!over && eid_buf_put(&r->rec, p, n) != EID_OK)
			over = true;
		r->blk_off += n + (nl != NULL);
		if (nl != NULL)
			break;
	}
	r->line++;
	return over ? EID_ETOOBIG : EID_OK;
}

static void strip_cr(eid_buf *b)
{
	if (b->len > 0 && b->data[b->len - 1] == '\r')
		eid_buf_truncate(b, b->len - 1);
}

/* Whether rec ends inside a quoted value (RFC 4180: a value is quoted only
 * when it starts with a quote, and "" inside it is an escaped quote; a
 * stray quote elsewhere is left for the value parser to refuse). */
static bool quote_open(const eid_buf *b)
{
	bool at_start = true, quoted = false;

	for (size_t i = 0; i < b->len; i++) {
		uint8_t ch = b->data[i];
		if (quoted) {
			if (ch != '"')
				continue;
			if (i + 1 < b->len && b->data[i + 1] == '"')
				i++;
			else
				quoted = false;
		} else if (ch == ',') {
			at_start = true;
			continue;
		} else if (ch == '"' && at_start) {
			quoted = true;
		}
		at_start = false;
	}
	return quoted;
}

/* The next non-blank row into rec; *ret_line is its first line.  CSV rows
 * continue across line breaks inside quotes. */
static int read_row(eid_import_reader *r, uint64_t *ret_line, eid_buf *why)
{
	int rc;

	do {
		eid_buf_reset(&r->rec);
		*ret_line = r->line + 1;
		rc = read_line(r);
		if (rc != EID_OK)
			break;
		strip_cr(&r->rec);
	} while (r->rec.len == 0);
	while (rc == EID_OK && r->format == EID_IMPORT_CSV &&
	       quote_open(&r->rec)) {
		/* the line break belongs to the quoted value */
		if (eid_buf_put(&r->rec, "\n", 1) != EID_OK)
			rc = EID_ETOOBIG;
		else
			rc = read_line(r);
		if (rc == 1)
			return reason(why, EID_EMALFORMED,
				      "unterminated quoted value");
		if (rc == EID_OK)
			strip_cr(&r->rec);
	}
	if (rc == EID_ETOOBIG && why != NULL)
		(void)eid_buf_printf(why, "row longer than %zu bytes",
				     r->max_line);
	return rc;
}

/* ---- CSV ---- */

/* One value starting at *pos into val; *pos ends on the separator. */
static int csv_value(eid_import_reader *r, size_t *pos, size_t col,
		     eid_buf *why)
{
	const uint8_t *p = r->rec.data;
	size_t n = r->rec.len, i = *pos, start = r->val.len;
	int rc = EID_OK;

	if (i < n && p[i] == '"') {
		for (i++;; i++) {
			if (i >= n)
				return reason(why, EID_EMALFORMED,
					      "unterminated quoted value");
			if (p[i] == '"' && !(i + 1 < n && p[i + 1] == '"'))
				break;
			i += p[i] == '"';
			rc = eid_buf_put_u8(&r->val, p[i]);
			if (rc != EID_OK)
				break;
		}
		i++;
		if (rc == EID_OK && i < n && p[i] != ',')
			return reason(why, EID_EMALFORMED,
				      "text after a closing quote");
	} else {
		size_t end = i;
		while (end < n && p[end] != ',' && p[end] != '"')
			end++;
		if (end < n && p[end] == '"')
			return reason(why, EID_EMALFORMED,
				      "quote inside an unquoted value");
		rc = eid_buf_put(&r->val, p + i, end - i);
		i = end;
	}
	if (rc != EID_OK || r->val.len - start > r->max_field) {
		if (why != NULL)
			(void)eid_buf_printf(why, "value longer than %zu bytes",
					     r->max_field);
		return EID_ETOOBIG;
	}
	r->off[col] = start;
	r->len[col] = r->val.len - start;
	*pos = i;
	return EID_OK;
}

/* Split rec into values; *ret_count of them (at most MAX_COLUMNS). */
static int csv_split(eid_import_reader *r, size_t *ret_count, eid_buf *why)
{
	size_t pos = 0, col = 0;
	int rc;

	eid_buf_reset(&r->val);
	for (;;) {
		if (col == MAX_COLUMNS)
			return reason(why, EID_EMALFORMED, "too many values");
		rc = csv_value(r, &pos, col, why);
		if (rc != EID_OK)
			return rc;
		col++;
		if (pos >= r->rec.len)
			break;
		pos++; /* the comma */
	}
	*ret_count = col;
	return EID_OK;
}

static const char *val_ptr(const eid_import_reader *r, size_t col)
{
	/* an empty val has no storage yet */
	return r->val.data != NULL ? (const char *)r->val.data + r->off[col]
				   : "";
}

/* The header's values, with "header: " before a reason. */
static int csv_header_split(eid_import_reader *r, eid_buf *why)
{
	eid_buf reason_text;
	int rc;

	eid_buf_init(&reason_text, 256);
	rc = csv_split(r, &r->ncols, &reason_text);
	if (rc != EID_OK && why != NULL)
		(void)eid_buf_printf(why, "header: %s",
				     eid_buf_cstr(&reason_text) != NULL
					     ? eid_buf_cstr(&reason_text)
					     : "invalid");
	eid_buf_free(&reason_text);
	return rc;
}

static int csv_header(eid_import_reader *r, eid_buf *why)
{
	static const char *const required[] = { "personal_id", "full_name",
						"birthdate", "sex" };
	uint32_t seen = 0;
	int rc;

	rc = csv_header_split(r, why);
	if (rc != EID_OK)
		return rc;
	for (size_t c = 0; c < r->ncols; c++) {
		const char *name = val_ptr(r, c);
		int f = eid_citizen_field_index(name, r->len[c]);
		if (f < 0) {
			if (why != NULL)
				(void)eid_buf_printf(why,
					"unknown column \"%.*s\"",
					(int)(r->len[c] > 40 ? 40 : r->len[c]),
					name);
			return EID_EMALFORMED;
		}
		if (seen & (1u << f)) {
			if (why != NULL)
				(void)eid_buf_printf(why,
					"column \"%s\" appears twice",
					eid_citizen_field_name((size_t)f));
			return EID_EMALFORMED;
		}
		seen |= 1u << f;
		r->cols[c] = f;
	}
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		int f = eid_citizen_field_index(required[i],
						strlen(required[i]));
		if (!(seen & (1u << f))) {
			if (why != NULL)
				(void)eid_buf_printf(why,
					"missing column \"%s\"", required[i]);
			return EID_EMALFORMED;
		}
	}
	return EID_OK;
}

static int csv_row(eid_import_reader *r, struct eid_citizen *ret,
		   eid_buf *why)
{
	struct eid_citizen c;
	size_t count;
	int rc;

	rc = csv_split(r, &count, why);
	if (rc != EID_OK)
		return rc;
	if (count != r->ncols) {
		if (why != NULL)
			(void)eid_buf_printf(why,
				"%zu values where the header has %zu columns",
				count, r->ncols);
		return EID_EMALFORMED;
	}
	eid_citizen_init(&c);
	for (size_t col = 0; col < count; col++) {
		rc = eid_citizen_set_field(&c, (size_t)r->cols[col],
					   val_ptr(r, col), r->len[col], why);
		if (rc != EID_OK)
			return rc;
	}
	rc = eid_citizen_check(&c, r->now, why);
	if (rc != EID_OK)
		return rc;
	*ret = c;
	return EID_OK;
}

/* ---- opening and reading ---- */

static void skip_bom(eid_buf *b)
{
	if (b->len >= 3 && memcmp(b->data, "\xef\xbb\xbf", 3) == 0) {
		memmove(b->data, b->data + 3, b->len - 3);
		eid_buf_truncate(b, b->len - 3);
	}
}

/* Read the first row (skipping the BOM) and settle the format. */
static int reader_start(eid_import_reader *r, eid_buf *why)
{
	int rc;

	r->pending_line = r->line + 1;
	rc = read_line(r);
	if (rc == EID_OK) {
		skip_bom(&r->rec);
		strip_cr(&r->rec);
	}
	while (rc == EID_OK && r->rec.len == 0) {
		r->pending_line = r->line + 1;
		rc = read_line(r);
		if (rc == EID_OK)
			strip_cr(&r->rec);
	}
	if (rc == 1) {
		if (r->format == EID_IMPORT_CSV)
			return reason(why, EID_EMALFORMED, "no header row");
		r->format = EID_IMPORT_JSONL;
		return EID_OK;
	}
	if (rc == EID_ETOOBIG)
		return reason(why, rc, "first line too long");
	if (rc != EID_OK)
		return reason(why, rc, "cannot read the input");
	if (r->format == EID_IMPORT_AUTO)
		r->format = r->rec.data[0] == '{' ? EID_IMPORT_JSONL
						  : EID_IMPORT_CSV;
	if (r->format == EID_IMPORT_JSONL) {
		r->pending = true;
		return EID_OK;
	}
	return csv_header(r, why);
}

int eid_import_reader_open(FILE *in, const struct eid_import_options *opt,
			   int64_t now, eid_import_reader **ret_reader,
			   eid_buf *why)
{
	eid_import_reader *r = NULL;
	int rc = EID_ENOMEM;

	if (in == NULL || opt == NULL || opt->format > EID_IMPORT_CSV)
		return EID_EINVAL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		goto out;
	r->in = in;
	r->format = opt->format;
	r->now = now;
	r->max_line = opt->max_line != 0 ? opt->max_line : EID_IMPORT_MAX_LINE;
	r->max_field = opt->max_field != 0 ? opt->max_field
					   : EID_IMPORT_MAX_FIELD;
	eid_buf_init(&r->rec, r->max_line);
	eid_buf_init(&r->val, r->max_line);
	eid_buf_init(&r->scratch, EID_CITIZEN_JSON_SCRATCH);
	r->blk = malloc(BLOCK_SIZE);
	if (r->blk == NULL)
		goto out;
	rc = reader_start(r, why);
	if (rc != EID_OK)
		goto out;
	*ret_reader = r;
	r = NULL;
out:
	eid_import_reader_close(r);
	return rc;
}

int eid_import_reader_next(eid_import_reader *r, struct eid_citizen *ret,
			   uint64_t *ret_line, eid_buf *why)
{
	uint64_t line;
	int rc;

	if (r->pending) {
		r->pending = false;
		line = r->pending_line;
		rc = EID_OK;
	} else {
		rc = read_row(r, &line, why);
	}
	if (rc == 1)
		return 1;
	*ret_line = line;
	if (rc != EID_OK)
		return rc;
	if (r->format == EID_IMPORT_CSV)
		return csv_row(r, ret, why);
	return eid_citizen_parse_json_buf((const char *)r->rec.data,
					  r->rec.len, r->now, &r->scratch,
					  ret, why);
}

void eid_import_reader_close(eid_import_reader *r)
{
	if (r == NULL)
		return;
	eid_buf_free(&r->rec);
	eid_buf_free(&r->val);
	eid_buf_free(&r->scratch);
	free(r->blk);
	free(r);
}
