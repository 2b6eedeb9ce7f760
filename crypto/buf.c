#include "crypto/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/error.h"
#include "crypto/secret.h"

void eid_buf_init(eid_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	/* Keep max + 1 (the spare NUL) and the doubling free of overflow. */
	b->max = max > SIZE_MAX / 4 ? SIZE_MAX / 4 : max;
}

void eid_buf_init_secret(eid_buf *b, size_t max)
{
	eid_buf_init(b, max);
	b->secret = true;
}

void eid_buf_free(eid_buf *b)
{
	if (b->data != NULL) {
		if (b->secret)
			eid_wipe(b->data, b->alloc);
		free(b->data);
	}
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
}

void eid_buf_reset(eid_buf *b)
{
	if (b->secret && b->data != NULL)
		eid_wipe(b->data, b->alloc);
	b->len = 0;
}

/* Ensure room for need bytes plus a spare NUL, growing geometrically. */
static int buf_grow(eid_buf *b, size_t need)
{
	size_t want;
	uint8_t *n;

	if (need > b->max)
		return EID_ETOOBIG;
	if (need < b->alloc)
		return EID_OK;
	want = b->alloc < 64 ? 64 : b->alloc;
	while (want <= need) {
		if (want > SIZE_MAX / 2) {
			want = need + 1;
			break;
		}
		want *= 2;
	}
	if (want > b->max + 1)
		want = b->max + 1;
	if (b->secret) {
		/* realloc could leave a copy behind: move by hand and wipe. */
		n = malloc(want);
		if (n == NULL)
			return EID_ENOMEM;
		if (b->data != NULL) {
			memcpy(n, b->data, b->len);
			eid_wipe(b->data, b->alloc);
			free(b->data);
		}
	} else {
		n = realloc(b->data, want);
		if (n == NULL)
			return EID_ENOMEM;
	}
	b->data = n;
	b->alloc = want;
	return EID_OK;
}

int eid_buf_room(eid_buf *b, size_t n)
{
	if (n > b->max - b->len)
		n = b->max - b->len;
	return buf_grow(b, b->len + n);
}

int eid_buf_reserve(eid_buf *b, size_t n, uint8_t **ret_ptr)
{
	int r;

	if (n > b->max || b->len > b->max - n)
		return EID_ETOOBIG;
	r = buf_grow(b, b->len + n);
	if (r != EID_OK)
		return r;
	*ret_ptr = b->data + b->len;
	b->len += n;
	return EID_OK;
}

int eid_buf_put(eid_buf *b, const void *p, size_t n)
{
	uint8_t *dst;
	int r;

	if (n == 0)
		return EID_OK;
	r = eid_buf_reserve(b, n, &dst);
	if (r != EID_OK)
		return r;
	memcpy(dst, p, n);
	return EID_OK;
}

int eid_buf_put_u8(eid_buf *b, uint8_t v)
{
	return eid_buf_put(b, &v, 1);
}

int eid_buf_put_u16be(eid_buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	return eid_buf_put(b, x, sizeof(x));
}

int eid_buf_put_u32be(eid_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };
	return eid_buf_put(b, x, sizeof(x));
}

int eid_buf_put_u64be(eid_buf *b, uint64_t v)
{
	int r = eid_buf_put_u32be(b, (uint32_t)(v >> 32));
	if (r != EID_OK)
		return r;
	r = eid_buf_put_u32be(b, (uint32_t)v);
	if (r != EID_OK)
		eid_buf_truncate(b, b->len - 4);
	return r;
}

int eid_buf_put_str(eid_buf *b, const char *s)
{
	return eid_buf_put(b, s, strlen(s));
}

void eid_buf_say(eid_buf *why, const char *reason)
{
	if (why != NULL)
		(void)eid_buf_put_str(why, reason);
}

int eid_buf_printf(eid_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, r;
	uint8_t *dst;
	size_t old = b->len;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return EID_EINVAL;
	r = eid_buf_reserve(b, (size_t)n, &dst);
	if (r != EID_OK)
		return r;
	/* buf_grow always keeps one spare byte for vsnprintf's NUL. */
	va_start(ap, fmt);
	if (vsnprintf((char *)dst, (size_t)n + 1, fmt, ap) != n) {
		va_end(ap);
		eid_buf_truncate(b, old);
		return EID_EINTERNAL;
	}
	va_end(ap);
	return EID_OK;
}

void eid_buf_truncate(eid_buf *b, size_t n)
{
	if (n >= b->len)
		return;
	if (b->secret)
		eid_wipe(b->data + n, b->len - n);
	b->len = n;
}

const char *eid_buf_cstr(eid_buf *b)
{
	if (buf_grow(b, b->len) != EID_OK)
		return NULL;
	b->data[b->len] = '\0';
	return (const char *)b->data;
}

int eid_buf_take_str(eid_buf *b, char **ret_str)
{
	char *s;

	if (eid_buf_cstr(b) == NULL)
		return EID_ENOMEM;
	if (memchr(b->data, '\0', b->len) != NULL)
		return EID_EMALFORMED;
	s = (char *)b->data;
	if (b->alloc > b->len + 1 && b->secret)
		eid_wipe(b->data + b->len + 1, b->alloc - b->len - 1);
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	*ret_str = s;
	return EID_OK;
}

int eid_rd_u8(eid_rd *r, uint8_t *ret)
{
	if (eid_rd_left(r) < 1)
		return EID_ETRUNCATED;
	*ret = r->p[r->off++];
	return EID_OK;
}

int eid_rd_peek_u8(const eid_rd *r, uint8_t *ret)
{
	if (eid_rd_left(r) < 1)
		return EID_ETRUNCATED;
	*ret = r->p[r->off];
	return EID_OK;
}

int eid_rd_u16be(eid_rd *r, uint16_t *ret)
{
	if (eid_rd_left(r) < 2)
		return EID_ETRUNCATED;
	*ret = (uint16_t)((r->p[r->off] << 8) | r->p[r->off + 1]);
	r->off += 2;
	return EID_OK;
}

int eid_rd_u32be(eid_rd *r, uint32_t *ret)
{
	const uint8_t *p;

	if (eid_rd_left(r) < 4)
		return EID_ETRUNCATED;
	p = r->p + r->off;
	*ret = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | (uint32_t)p[3];
	r->off += 4;
	return EID_OK;
}

int eid_rd_u64be(eid_rd *r, uint64_t *ret)
{
	uint32_t hi, lo;

	if (eid_rd_left(r) < 8)
		return EID_ETRUNCATED;
	(void)eid_rd_u32be(r, &hi);
	(void)eid_rd_u32be(r, &lo);
	*ret = ((uint64_t)hi << 32) | lo;
	return EID_OK;
}

int eid_rd_bytes(eid_rd *r, size_t n, const uint8_t **ret)
{
	if (eid_rd_left(r) < n)
		return EID_ETRUNCATED;
	*ret = r->p + r->off;
	r->off += n;
	return EID_OK;
}

int eid_rd_copy(eid_rd *r, void *dst, size_t n)
{
	const uint8_t *p;
	int rc = eid_rd_bytes(r, n, &p);

	if (rc != EID_OK)
		return rc;
	if (n > 0)
		memcpy(dst, p, n);
	return EID_OK;
}

int eid_rd_skip(eid_rd *r, size_t n)
{
	if (eid_rd_left(r) < n)
		return EID_ETRUNCATED;
	r->off += n;
	return EID_OK;
}

int eid_rd_sub(eid_rd *r, size_t n, eid_rd *ret)
{
	const uint8_t *p;
	int rc = eid_rd_bytes(r, n, &p);

	if (rc != EID_OK)
		return rc;
	*ret = eid_rd_make(p, n);
	return EID_OK;
}

int eid_buf_read_file(eid_buf *b, const char *path)
{
	uint8_t chunk[8192];
	size_t start = b->len;
	ssize_t got;
	int fd, r = EID_OK;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? EID_ENOTFOUND : EID_EIO;
	while (r == EID_OK && (got = read(fd, chunk, sizeof(chunk))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		r = got < 0 ? EID_EIO : eid_buf_put(b, chunk, (size_t)got);
	}
	close(fd);
	eid_wipe(chunk, sizeof(chunk));
	if (r != EID_OK)
		eid_buf_truncate(b, start);
	return r;
}

int eid_write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return EID_EIO;
		p += w;
		n -= (size_t)w;
	}
	return EID_OK;
}

int eid_buf_write_file(const eid_buf *b, const char *path, unsigned mode)
{
	char tmp[4096];
	int fd, r;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return EID_EINVAL;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
	if (fd < 0)
		return EID_EIO;
	r = eid_write_all(fd, b->data, b->len);
	if (r == EID_OK && fsync(fd) != 0)
		r = EID_EIO;
	if (close(fd) != 0 && r == EID_OK)
		r = EID_EIO;
	if (r == EID_OK && rename(tmp, path) != 0)
		r = EID_EIO;
	if (r != EID_OK)
		unlink(tmp);
	return r;
}

void eid_hex_encode(const void *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int eid_hex_decode(const char *s, size_t slen, uint8_t *out, size_t max,
		   size_t *ret_len)
{
	if (s == NULL || ret_len == NULL || (out == NULL && max > 0))
		return EID_EINVAL;
	if (slen % 2 != 0)
		return EID_EMALFORMED;
	if (slen / 2 > max)
		return EID_ETOOBIG;
	for (size_t i = 0; i < slen; i += 2) {
		int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);
		if (hi < 0 || lo < 0)
			return EID_EMALFORMED;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*ret_len = slen / 2;
	return EID_OK;
}
