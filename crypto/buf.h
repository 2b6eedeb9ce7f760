/* Bounded byte buffers.  Every parser of outside data reads through an
 * eid_rd (a cursor over borrowed bytes that refuses to run past the end),
 * and everything built from outside data is written into an eid_buf, which
 * grows up to a hard cap fixed by its owner and refuses to grow beyond it.
 * Modelled on openssh's sshbuf and curl's dynbuf. */
#ifndef EID_BUF_H
#define EID_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct eid_buf {
	uint8_t *data; /* NULL until the first write */
	size_t len;    /* bytes in use */
	size_t alloc;  /* bytes allocated */
	size_t max;    /* hard cap on len */
	bool secret;   /* wipe on growth, reset and free */
} eid_buf;

/* An empty buffer that will hold at most max bytes.  Allocates nothing. */
void eid_buf_init(eid_buf *b, size_t max);
/* The same, for secrets: old storage is wiped whenever it is released. */
void eid_buf_init_secret(eid_buf *b, size_t max);
/* Release storage (wiped first when secret); the buffer is empty again. */
void eid_buf_free(eid_buf *b);
/* Drop the contents but keep the storage (wiped when secret). */
void eid_buf_reset(eid_buf *b);

/* Append n bytes; EID_ETOOBIG past max, EID_ENOMEM when allocation fails.
 * On failure the buffer is unchanged. */
int eid_buf_put(eid_buf *b, const void *p, size_t n);
int eid_buf_put_u8(eid_buf *b, uint8_t v);
int eid_buf_put_u16be(eid_buf *b, uint16_t v);
int eid_buf_put_u32be(eid_buf *b, uint32_t v);
int eid_buf_put_u64be(eid_buf *b, uint64_t v);
/* Append a C string without its terminating NUL. */
int eid_buf_put_str(eid_buf *b, const char *s);
/* Append why a check refused to why, when the caller asked (why may be
 * NULL); a full buffer keeps what it holds. */
void eid_buf_say(eid_buf *why, const char *reason);
/* Append formatted text (no NUL counted in len). */
int eid_buf_printf(eid_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Make room for n more bytes and hand back where they start; len grows by
 * n.  The caller must fill all n bytes. */
int eid_buf_reserve(eid_buf *b, size_t n, uint8_t **ret_ptr);
/* Allocate room for n more bytes now (up to max), for a writer that knows
 * about how much it will write: one allocation instead of a doubling
 * from 64 bytes.  len does not change. */
int eid_buf_room(eid_buf *b, size_t n);
/* Shrink len to n (n <= len); the dropped tail is wiped when secret. */
void eid_buf_truncate(eid_buf *b, size_t n);

/* The contents as a NUL-terminated string (a NUL is kept after len without
 * counting it).  NULL when out of memory or over max.  Contents containing
 * a NUL byte are reported as EID_EMALFORMED by eid_buf_take_str. */
const char *eid_buf_cstr(eid_buf *b);
/* Hand the contents to the caller as a malloc'd NUL-terminated string and
 * leave the buffer empty.  EID_EMALFORMED when the contents hold a NUL. */
int eid_buf_take_str(eid_buf *b, char **ret_str);

/* Append the whole of the file at path: EID_ETOOBIG when it would pass
 * max (nothing kept then), EID_ENOTFOUND when it does not exist, EID_EIO
 * for other failures. */
int eid_buf_read_file(eid_buf *b, const char *path);
/* Write all n bytes to fd (retrying short writes and EINTR); EID_EIO. */
int eid_write_all(int fd, const void *p, size_t n);
/* Replace the file at path with the contents of b, atomically (a
 * temporary file beside it, synced, then renamed) and created with mode
 * (0600 for secrets).  EID_EIO on failure, EID_EINVAL for a path too long. */
int eid_buf_write_file(const eid_buf *b, const char *path, unsigned mode);
/* A 64-bit value as 8 bytes big-endian at p, and back. */
static inline void eid_be64_store(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static inline uint64_t eid_be64_load(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Lowercase hex of n bytes into out, which holds 2n + 1 (NUL-terminated). */
void eid_hex_encode(const void *p, size_t n, char *out);
/* Hex digits (either case, slen of them, even) into out (at most max
 * bytes).  EID_EMALFORMED for an odd length or a non-hex character,
 * EID_ETOOBIG past max. */
int eid_hex_decode(const char *s, size_t slen, uint8_t *out, size_t max,
		   size_t *ret_len);

/* A read cursor over len bytes at p, which it borrows. */
typedef struct eid_rd {
	const uint8_t *p;
	size_t len;
	size_t off;
} eid_rd;

static inline eid_rd eid_rd_make(const void *p, size_t len)
{
	eid_rd r = { (const uint8_t *)p, p == NULL ? 0 : len, 0 };
	return r;
}

static inline size_t eid_rd_left(const eid_rd *r)
{
	return r->len - r->off;
}

static inline const uint8_t *eid_rd_ptr(const eid_rd *r)
{
	return r->p + r->off;
}

/* Every reader returns EID_ETRUNCATED, and consumes nothing, when fewer
 * bytes are left than it needs. */
int eid_rd_u8(eid_rd *r, uint8_t *ret);
int eid_rd_peek_u8(const eid_rd *r, uint8_t *ret);
int eid_rd_u16be(eid_rd *r, uint16_t *ret);
int eid_rd_u32be(eid_rd *r, uint32_t *ret);
int eid_rd_u64be(eid_rd *r, uint64_t *ret);
/* Borrow the next n bytes (valid as long as the underlying data). */
int eid_rd_bytes(eid_rd *r, size_t n, const uint8_t **ret);
int eid_rd_copy(eid_rd *r, void *dst, size_t n);
int eid_rd_skip(eid_rd *r, size_t n);
/* A cursor over the next n bytes, which are consumed from r. */
int eid_rd_sub(eid_rd *r, size_t n, eid_rd *ret);

#endif
