/* Flat JSON object reader: see json_flat.h. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/json_flat.h"

struct lex {
	const uint8_t *p, *end;
};

static void skip_ws(struct lex *x)
{
	while (x->p < x->end && (*x->p == ' ' || *x->p == '\t' ||
				 *x->p == '\n' || *x->p == '\r'))
		x->p++;
}

static bool take(struct lex *x, uint8_t c)
{
	if (x->p >= x->end || *x->p != c)
		return false;
	x->p++;
	return true;
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629 section 4: no
 * overlong forms, no surrogates, nothing past U+10FFFF), 0 if none. */
static size_t utf8_len(const uint8_t *p, const uint8_t *end)
{
	size_t n = (size_t)(end - p);
	uint8_t lo = 0x80, hi = 0xBF;

	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		return n >= 2 && p[1] >= 0x80 && p[1] <= 0xBF ? 2 : 0;
	if (p[0] >= 0xE0 && p[0] <= 0xEF) {
		if (p[0] == 0xE0)
			lo = 0xA0;
		if (p[0] == 0xED)
			hi = 0x9F;
		return n >= 3 && p[1] >= lo && p[1] <= hi && p[2] >= 0x80 &&
			       p[2] <= 0xBF ? 3 : 0;
	}
	if (p[0] >= 0xF0 && p[0] <= 0xF4) {
		if (p[0] == 0xF0)
			lo = 0x90;
		if (p[0] == 0xF4)
			hi = 0x8F;
		return n >= 4 && p[1] >= lo && p[1] <= hi && p[2] >= 0x80 &&
			       p[2] <= 0xBF && p[3] >= 0x80 && p[3] <= 0xBF ?
			       4 : 0;
	}
	return 0;
}

static int hex4(struct lex *x, uint32_t *ret)
{
	uint32_t v = 0;

	if (x->end - x->p < 4)
		return EID_EMALFORMED;
	for (int i = 0; i < 4; i++) {
		uint8_t c = *x->p++;
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return EID_EMALFORMED;
	}
	*ret = v;
	return EID_OK;
}

static int put_utf8(eid_buf *out, uint32_t cp)
{
	uint8_t u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (uint8_t)(0xC0 | cp >> 6);
		u[1] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (uint8_t)(0xE0 | cp >> 12);
		u[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
		u[2] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (uint8_t)(0xF0 | cp >> 18);
		u[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
		u[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
		u[3] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return eid_buf_put(out, u, n);
}

/* \uXXXX, with a surrogate pair joined; x->p is just past the 'u'. */
static int unicode_escape(struct lex *x, eid_buf *out)
{
	uint32_t cp, lo;
	int r;

	if ((r = hex4(x, &cp)) != EID_OK)
		return r;
	if (cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
		return EID_EMALFORMED;
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		if (!take(x, '\\') || !take(x, 'u') ||
		    (r = hex4(x, &lo)) != EID_OK)
			return EID_EMALFORMED;
		if (lo < 0xDC00 || lo > 0xDFFF)
			return EID_EMALFORMED;
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
	}
	return put_utf8(out, cp);
}

static int escape(struct lex *x, eid_buf *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *at;

	if (x->p >= x->end)
		return EID_EMALFORMED;
	if (*x->p == 'u') {
		x->p++;
		return unicode_escape(x, out);
	}
	at = memchr(from, *x->p, sizeof(from) - 1);
	if (at == NULL)
		return EID_EMALFORMED;
	x->p++;
	return eid_buf_put_u8(out, (uint8_t)to[at - from]);
}

/* The bytes a string takes as they are: ASCII from U+0020 on, the quote
 * and the backslash aside (a lookup instead of four tests per byte). */
static const bool plain[256] = {
	[0x20 ... 0x21] = true, /* '"' is 0x22 */
	[0x23 ... 0x5B] = true, /* '\\' is 0x5C */
	[0x5D ... 0x7F] = true,
};

/* A string (x->p at its opening quote), decoded and appended to out. */
static int string(struct lex *x, eid_buf *out)
{
	const uint8_t *run;
	size_t u;
	int r;

	if (!take(x, '"'))
		return EID_EMALFORMED;
	run = x->p;
	while (x->p < x->end) {
		uint8_t c = *x->p;
		if (plain[c]) {
			x->p++;
			continue;
		}
		if (c >= 0x80) {
			if ((u = utf8_len(x->p, x->end)) == 0)
				return EID_EMALFORMED;
			x->p += u;
			continue;
		}
		if ((r = eid_buf_put(out, run, (size_t)(x->p - run))) != EID_OK)
			return r;
		if (c == '"') {
			x->p++;
			return EID_OK;
		}
		if (c != '\\')
			return EID_EMALFORMED; /* a control character */
		x->p++;
		if ((r = escape(x, out)) != EID_OK)
			return r;
		run = x->p;
	}
	return EID_EMALFORMED; /* no closing quote */
}

static int member(struct lex *x, eid_buf *scratch, eid_json_flat_fn fn,
		  void *arg)
{
	struct eid_json_flat_member m = { 0 };
	size_t klen, voff = 0;
	bool null = false;
	int r;

	eid_buf_reset(scratch);
	if ((r = string(x, scratch)) != EID_OK)
		return r;
	klen = scratch->len;
	if ((r = eid_buf_put_u8(scratch, 0)) != EID_OK)
		return r;
	skip_ws(x);
	if (!take(x, ':'))
		return EID_EMALFORMED;
	skip_ws(x);
	if (x->end - x->p >= 4 && memcmp(x->p, "null", 4) == 0) {
		x->p += 4;
		null = true;
	} else {
		voff = scratch->len;
		if ((r = string(x, scratch)) != EID_OK ||
		    (r = eid_buf_put_u8(scratch, 0)) != EID_OK)
			return r;
	}
	m.key = (const char *)scratch->data;
	m.klen = klen;
	/* A NUL can only come from "\u0000", which is refused above. */
	if (!null) {
		m.value = (const char *)scratch->data + voff;
		m.vlen = scratch->len - voff - 1;
	}
	return fn(&m, arg);
}

int eid_json_flat_parse(const char *text, size_t n, eid_buf *scratch,
			eid_json_flat_fn fn, void *arg)
{
	struct lex x = { (const uint8_t *)text, (const uint8_t *)text + n };
	int r;

	if ((text == NULL && n > 0) || scratch == NULL || fn == NULL)
		return EID_EINVAL;
	skip_ws(&x);
	if (!take(&x, '{'))
		return EID_EMALFORMED;
	skip_ws(&x);
	if (!take(&x, '}')) {
		do {
			skip_ws(&x);
			if ((r = member(&x, scratch, fn, arg)) != EID_OK)
				return r;
			skip_ws(&x);
		} while (take(&x, ','));
		if (!take(&x, '}'))
			return EID_EMALFORMED;
	}
	skip_ws(&x);
	return x.p == x.end ? EID_OK : EID_EMALFORMED;
}
