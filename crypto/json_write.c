/* Compact JSON writer: see json_write.h. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/json_write.h"

/* Largest text eid_json_dumps produces (a JWKS or a discovery document is
 * a few KiB; a userinfo with a portrait is the largest, under 1 MiB). */
#define DUMPS_MAX (16u * 1024 * 1024)

static const char hex[] = "0123456789ABCDEF"; /* as jansson */

/* Length of the UTF-8 sequence starting at p (at most left bytes), or 0
 * when it is not well formed (RFC 3629 section 4). */
static size_t utf8_seq_len(const uint8_t *p, size_t left)
{
	size_t n;
	uint8_t lo = 0x80, hi = 0xbf;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (left < n)
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0; /* overlong */
	else if (p[0] == 0xed)
		hi = 0x9f; /* surrogates */
	else if (p[0] == 0xf0)
		lo = 0x90; /* overlong */
	else if (p[0] == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

bool eid_utf8_valid(const void *p, size_t n)
{
	const uint8_t *s = p;
	size_t i = 0, k;

	if (p == NULL && n > 0)
		return false;
	while (i < n) {
		if (s[i] < 0x80) { /* most text: no call per byte */
			i++;
			continue;
		}
		k = utf8_seq_len(s + i, n - i);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

/* Whether byte c must be escaped inside a JSON string. */
static int needs_escape(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\';
}

static int put_escape(eid_buf *out, unsigned char c)
{
	char e[6] = { '\\', 0, 0, 0, 0, 0 };
	size_t n = 2;

	switch (c) {
	case '"': e[1] = '"'; break;
	case '\\': e[1] = '\\'; break;
	case '\b': e[1] = 'b'; break;
	case '\f': e[1] = 'f'; break;
	case '\n': e[1] = 'n'; break;
	case '\r': e[1] = 'r'; break;
	case '\t': e[1] = 't'; break;
	default:
		memcpy(e + 1, "u00", 3);
		e[4] = hex[c >> 4];
		e[5] = hex[c & 15];
		n = 6;
	}
	return eid_buf_put(out, e, n);
}

/* Whether c is plain text inside a JSON string: printable ASCII that
 * needs no escape. */
static bool byte_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* Whether all eight bytes of w are plain.  Bit tricks after "Bit Twiddling
 * Hacks": (x - 0x0101..) & ~x & 0x8080.. is nonzero when some byte of x
 * is 0 (x ^ 0x2222..: a '"'; x ^ 0x5c5c..: a '\\'), and (w - 0x2020..) &
 * ~w & 0x8080.. when some byte is below 0x20, all being below 0x80 (w's own
 * high bits are or-ed in: a byte above 0x7f is not plain either).  A word
 * with a byte that is not plain is never called plain; a plain word may
 * be called not plain (a borrow past such a byte), which only sends it to
 * the byte loop. */
static bool word_plain(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101u, high = ones * 0x80;
	uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');

	return ((w | ((w - ones * 0x20) & ~w) | ((q - ones) & ~q) |
		 ((b - ones) & ~b)) & high) == 0;
}

/* How many bytes s starts with that are plain: most strings we write
 * (tokens, URLs, identifiers) are plain throughout, eight bytes a step. */
static size_t plain_prefix(const char *s, size_t len)
{
	size_t i = 0;
	uint64_t w;

	for (; len - i >= 8; i += 8) {
		memcpy(&w, s + i, sizeof(w));
		if (!word_plain(w))
			break;
	}
	while (i < len && byte_plain((unsigned char)s[i]))
		i++;
	return i;
}

/* s as a JSON string; plain is plain_prefix(s, len). */
static int put_string_scanned(eid_buf *out, const char *s, size_t len,
			      size_t plain)
{
	size_t run = 0;
	uint8_t *d;
	int r;

	/* Plain throughout: the quotes and the text in one reservation. */
	if (plain == len) {
		if (len > SIZE_MAX - 2)
			return EID_ETOOBIG;
		if ((r = eid_buf_reserve(out, len + 2, &d)) != EID_OK)
			return r;
		d[0] = '"';
		memcpy(d + 1, s, len);
		d[len + 1] = '"';
		return EID_OK;
	}
	if ((r = eid_buf_put_u8(out, '"')) != EID_OK)
		return r;
	for (size_t i = plain; i < len; i++) {
		if (!needs_escape((unsigned char)s[i]))
			continue;
		if ((r = eid_buf_put(out, s + run, i - run)) != EID_OK ||
		    (r = put_escape(out, (unsigned char)s[i])) != EID_OK)
			return r;
		run = i + 1;
	}
	if ((r = eid_buf_put(out, s + run, len - run)) != EID_OK)
		return r;
	return eid_buf_put_u8(out, '"');
}

static int put_string(eid_buf *out, const char *s, size_t len)
{
	return put_string_scanned(out, s, len, plain_prefix(s, len));
}

/* Reals as jansson writes them: "%.17g", ".0" added to a result that
 * would read back as an integer, the exponent without '+' or leading
 * zeros ("1e+020" -> "1e20", "1e-07" -> "1e-7"). */
static int put_real(eid_buf *out, double d)
{
	char t[40], *e, *digits, *end;
	size_t n;
	int w;

	if (!isfinite(d))
		return EID_EINVAL;
	w = snprintf(t, sizeof(t), "%.17g", d);
	if (w < 0 || (size_t)w >= sizeof(t) - 2)
		return EID_EINTERNAL;
	n = (size_t)w;
	e = strchr(t, 'e');
	if (e == NULL && strchr(t, '.') == NULL) {
		memcpy(t + n, ".0", 3);
		n += 2;
	}
	if (e != NULL) {
		digits = e + 1;
		if (*digits == '+')
			memmove(digits, digits + 1, strlen(digits + 1) + 1);
		else if (*digits == '-')
			digits++;
		end = digits;
		while (end[0] == '0' && end[1] != '\0')
			end++;
		memmove(digits, end, strlen(end) + 1);
		n = strlen(t);
	}
	return eid_buf_put(out, t, n);
}

/* Decimal digits of v (printf's "%llu" without printf's cost). */
static int put_u64(eid_buf *out, uint64_t v)
{
	char t[20];
	size_t i = sizeof(t);

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return eid_buf_put(out, t + i, sizeof(t) - i);
}

static int put_int(eid_buf *out, json_int_t v)
{
	int r;

	if (v >= 0)
		return put_u64(out, (uint64_t)v);
	if ((r = eid_buf_put_u8(out, '-')) != EID_OK)
		return r;
	/* -(v + 1) + 1 stays in range for the most negative value. */
	return put_u64(out, (uint64_t)(-(v + 1)) + 1);
}

static int write_value(const json_t *v, eid_buf *out, unsigned depth);

static int write_object(const json_t *v, eid_buf *out, unsigned depth)
{
	const char *k;
	json_t *m;
	int r, first = 1;

	if ((r = eid_buf_put_u8(out, '{')) != EID_OK)
		return r;
	json_object_foreach((json_t *)v, k, m) {
		if ((!first && (r = eid_buf_put_u8(out, ',')) != EID_OK) ||
		    (r = put_string(out, k, strlen(k))) != EID_OK ||
		    (r = eid_buf_put_u8(out, ':')) != EID_OK ||
		    (r = write_value(m, out, depth + 1)) != EID_OK)
			return r;
		first = 0;
	}
	return eid_buf_put_u8(out, '}');
}

static int write_array(const json_t *v, eid_buf *out, unsigned depth)
{
	int r;

	if ((r = eid_buf_put_u8(out, '[')) != EID_OK)
		return r;
	for (size_t i = 0; i < json_array_size(v); i++)
		if ((i > 0 && (r = eid_buf_put_u8(out, ',')) != EID_OK) ||
		    (r = write_value(json_array_get(v, i), out, depth + 1)) !=
			    EID_OK)
			return r;
	return eid_buf_put_u8(out, ']');
}

static int write_value(const json_t *v, eid_buf *out, unsigned depth)
{
	if (v == NULL)
		return EID_EINVAL;
	if (depth >= EID_JSON_WRITE_DEPTH)
		return EID_ETOOBIG;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return write_object(v, out, depth);
	case JSON_ARRAY:
		return write_array(v, out, depth);
	case JSON_STRING:
		return put_string(out, json_string_value(v),
				  json_string_length(v));
	case JSON_INTEGER:
		return put_int(out, json_integer_value(v));
	case JSON_REAL:
		return put_real(out, json_real_value(v));
	case JSON_TRUE:
		return eid_buf_put(out, "true", 4);
	case JSON_FALSE:
		return eid_buf_put(out, "false", 5);
	case JSON_NULL:
		return eid_buf_put(out, "null", 4);
	}
	return EID_EINVAL;
}

int eid_json_write(const json_t *v, eid_buf *out)
{
	if (v == NULL || out == NULL)
		return EID_EINVAL;
	return write_value(v, out, 0);
}

char *eid_json_dumps(const json_t *v)
{
	eid_buf b;
	char *s = NULL;

	eid_buf_init(&b, DUMPS_MAX);
	if (eid_json_write(v, &b) != EID_OK || eid_buf_take_str(&b, &s) != EID_OK)
		s = NULL;
	eid_buf_free(&b);
	return s;
}

/* ---- member by member ---- */

int eid_json_open(eid_buf *out)
{
	return out == NULL ? EID_EINVAL : eid_buf_put_u8(out, '{');
}

int eid_json_close(eid_buf *out)
{
	return out == NULL ? EID_EINVAL : eid_buf_put_u8(out, '}');
}

/* [,]"name": (in one reservation for a plain name, as ours are) */
static int put_name(eid_buf *out, const char *name)
{
	size_t n;
	bool comma;
	uint8_t *d;
	int r;

	if (out == NULL || name == NULL || out->len == 0)
		return EID_EINVAL;
	n = strlen(name);
	comma = out->data[out->len - 1] != '{';
	if (plain_prefix(name, n) == n) {
		if ((r = eid_buf_reserve(out, n + 3 + comma, &d)) != EID_OK)
			return r;
		if (comma)
			*d++ = ',';
		d[0] = '"';
		memcpy(d + 1, name, n);
		d[n + 1] = '"';
		d[n + 2] = ':';
		return EID_OK;
	}
	if (comma && (r = eid_buf_put_u8(out, ',')) != EID_OK)
		return r;
	if ((r = put_string(out, name, n)) != EID_OK)
		return r;
	return eid_buf_put_u8(out, ':');
}

int eid_json_member_open(eid_buf *out, const char *name)
{
	int r = put_name(out, name);

	return r != EID_OK ? r : eid_buf_put_u8(out, '{');
}

int eid_json_member_str(eid_buf *out, const char *name, const char *value)
{
	size_t len, plain;
	int r;

	if (value == NULL)
		return EID_OK;
	len = strlen(value);
	plain = plain_prefix(value, len);
	if (plain < len && !eid_utf8_valid(value + plain, len - plain))
		return EID_EINVAL;
	if ((r = put_name(out, name)) != EID_OK)
		return r;
	return put_string_scanned(out, value, len, plain);
}

int eid_json_member_u64(eid_buf *out, const char *name, uint64_t value)
{
	int r = put_name(out, name);

	return r != EID_OK ? r : put_u64(out, value);
}
