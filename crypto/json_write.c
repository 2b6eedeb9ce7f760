/* Compact JSON writer: see json_write.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/json_write.h"

/* Largest text eid_json_dumps produces (a JWKS or a discovery document is
 * a few KiB; a userinfo with a portrait is the largest, under 1 MiB). */
#define DUMPS_MAX (16u * 1024 * 1024)

static const char hex[] = "0123456789ABCDEF"; /* as jansson */

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

static int put_string(eid_buf *out, const char *s, size_t len)
{
	size_t run = 0;
	int r;

	if ((r = eid_buf_put_u8(out, '"')) != EID_OK)
		return r;
	for (size_t i = 0; i < len; i++) {
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
		return eid_buf_printf(out, "%" JSON_INTEGER_FORMAT,
				      json_integer_value(v));
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
