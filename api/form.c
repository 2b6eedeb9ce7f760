#include "api/form.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/json_write.h"

/* The decoder is ours rather than libmicrohttpd's MHD_http_unescape or
 * curl_easy_unescape: both pass "%zz" through and decode "%00", where an
 * OAuth endpoint must refuse the request instead. */

/* Decoded text lives in one buffer, "name\0value\0" per pair; pairs hold
 * offsets so the buffer may move while it grows. */
struct eid_form_entry {
	size_t name;
	size_t value;
};

struct eid_form {
	eid_buf text;
	struct eid_form_entry *pairs;
	size_t n;
	size_t cap; /* pairs allocated: grows by doubling to EID_FORM_MAX_PAIRS */
};

/* Most forms have a handful of pairs: allocating (and clearing) room for
 * EID_FORM_MAX_PAIRS up front cost more than parsing a token request. */
#define PAIRS_FIRST 8

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool eid_form_utf8_valid(const void *p, size_t n)
{
	return eid_utf8_valid(p, n);
}

/* Decode one name or value (len bytes at in) into f->text, NUL-terminated. */
static int decode_component(eid_form *f, const char *in, size_t len)
{
	size_t start = f->text.len, i = 0;
	uint8_t c;
	int hi, lo, r;

	while (i < len) {
		c = (uint8_t)in[i++];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (len - i < 2)
				return EID_EMALFORMED;
			hi = hex_value(in[i]);
			lo = hex_value(in[i + 1]);
			if (hi < 0 || lo < 0)
				return EID_EMALFORMED;
			c = (uint8_t)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0')
			return EID_EMALFORMED;
		r = eid_buf_put_u8(&f->text, c);
		if (r != EID_OK)
			return r;
	}
	if (!eid_form_utf8_valid(f->text.data + start, f->text.len - start))
		return EID_EMALFORMED;
	return eid_buf_put_u8(&f->text, '\0');
}

/* Decode one non-empty "name[=value]" segment into a new pair. */
static int parse_segment(eid_form *f, const char *seg, size_t len)
{
	const char *eq = memchr(seg, '=', len);
	size_t nlen = eq == NULL ? len : (size_t)(eq - seg);
	struct eid_form_entry *e;
	int r;

	if (nlen == 0)
		return EID_EMALFORMED;
	if (f->n >= EID_FORM_MAX_PAIRS)
		return EID_ETOOBIG;
	if (f->n == f->cap) {
		size_t cap = f->cap == 0 ? PAIRS_FIRST : 2 * f->cap;
		struct eid_form_entry *p;

		if (cap > EID_FORM_MAX_PAIRS)
			cap = EID_FORM_MAX_PAIRS;
		p = realloc(f->pairs, cap * sizeof(*p));
		if (p == NULL)
			return EID_ENOMEM;
		f->pairs = p;
		f->cap = cap;
	}
	e = &f->pairs[f->n];
	e->name = f->text.len;
	r = decode_component(f, seg, nlen);
	if (r != EID_OK)
		return r;
	e->value = f->text.len;
	if (eq == NULL)
		r = eid_buf_put_u8(&f->text, '\0');
	else
		r = decode_component(f, eq + 1, len - nlen - 1);
	if (r != EID_OK)
		return r;
	f->n++;
	return EID_OK;
}

int eid_form_parse(const char *in, size_t len, eid_form **ret_form)
{
	eid_form *f = NULL;
	const char *seg, *amp, *end;
	int r = EID_EINTERNAL;

	if (in == NULL && len > 0)
		return EID_EINVAL;
	/* An empty body may come as (NULL, 0): NULL + 0 is undefined in C
	 * (clang's UBSan reports it; found by fuzz_form). */
	if (in == NULL)
		in = "";
	end = in + len;
	if (len > EID_FORM_MAX_BYTES)
		return EID_ETOOBIG;
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		r = EID_ENOMEM;
		goto out;
	}
	/* Decoding never lengthens; each pair adds two NULs. */
	eid_buf_init(&f->text, len + 2 * EID_FORM_MAX_PAIRS);
	for (seg = in; seg != NULL && seg < end; seg = amp == NULL ? NULL : amp + 1) {
		amp = memchr(seg, '&', (size_t)(end - seg));
		if ((amp == NULL ? end : amp) == seg)
			continue;
		r = parse_segment(f, seg, (size_t)((amp == NULL ? end : amp) - seg));
		if (r != EID_OK)
			goto out;
	}
	*ret_form = f;
	f = NULL;
	r = EID_OK;
out:
	eid_form_free(f);
	return r;
}

void eid_form_free(eid_form *f)
{
	if (f == NULL)
		return;
	eid_buf_free(&f->text);
	free(f->pairs);
	free(f);
}

size_t eid_form_count(const eid_form *f)
{
	return f == NULL ? 0 : f->n;
}

int eid_form_pair(const eid_form *f, size_t i, const char **ret_name,
		  const char **ret_value)
{
	if (f == NULL || i >= f->n)
		return EID_ENOTFOUND;
	if (ret_name != NULL)
		*ret_name = (const char *)f->text.data + f->pairs[i].name;
	if (ret_value != NULL)
		*ret_value = (const char *)f->text.data + f->pairs[i].value;
	return EID_OK;
}

size_t eid_form_occurrences(const eid_form *f, const char *name)
{
	size_t count = 0;

	for (size_t i = 0; f != NULL && i < f->n; i++)
		if (strcmp((const char *)f->text.data + f->pairs[i].name, name) == 0)
			count++;
	return count;
}

int eid_form_get(const eid_form *f, const char *name, const char **ret_value)
{
	const char *found = NULL;

	for (size_t i = 0; f != NULL && i < f->n; i++) {
		if (strcmp((const char *)f->text.data + f->pairs[i].name, name) != 0)
			continue;
		if (found != NULL)
			return EID_EINVAL;
		found = (const char *)f->text.data + f->pairs[i].value;
	}
	if (found == NULL)
		return EID_ENOTFOUND;
	*ret_value = found;
	return EID_OK;
}

static bool is_unreserved(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

static int encode_component(eid_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const uint8_t *p = (const uint8_t *)s;
	int r = EID_OK;

	for (; *p != '\0' && r == EID_OK; p++) {
		if (is_unreserved(*p))
			r = eid_buf_put_u8(b, *p);
		else
			r = eid_buf_printf(b, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
	}
	return r;
}

int eid_form_encode_append(eid_buf *b, const char *name, const char *value)
{
	size_t old = b->len;
	uint8_t last = b->len > 0 ? b->data[b->len - 1] : '?';
	int r = EID_OK;

	if (name == NULL || name[0] == '\0' || value == NULL)
		return EID_EINVAL;
	if (last != '?' && last != '&')
		r = eid_buf_put_u8(b, '&');
	if (r == EID_OK)
		r = encode_component(b, name);
	if (r == EID_OK)
		r = eid_buf_put_u8(b, '=');
	if (r == EID_OK)
		r = encode_component(b, value);
	if (r != EID_OK)
		eid_buf_truncate(b, old);
	return r;
}

int eid_form_url_begin(eid_buf *b, const char *base)
{
	size_t old = b->len;
	char last;
	int r;

	if (base == NULL || base[0] == '\0' || strpbrk(base, "#\r\n") != NULL)
		return EID_EINVAL;
	last = base[strlen(base) - 1];
	r = eid_buf_put_str(b, base);
	if (r == EID_OK && last != '?' && last != '&')
		r = eid_buf_put_u8(b, strchr(base, '?') != NULL ? '&' : '?');
	if (r != EID_OK)
		eid_buf_truncate(b, old);
	return r;
}
