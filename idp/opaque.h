/* Opaque secrets handed to clients (authorization codes, refresh tokens,
 * request URIs, identifiers): random bytes in base64url.  The store only
 * ever sees a tag byte followed by the SHA-256 of such a value, so reading
 * the database gives no usable secret. */
#ifndef EID_OPAQUE_H
#define EID_OPAQUE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/jose.h"

/* A store key: one tag byte, then SHA-256 of the value. */
#define EID_OPAQUE_KEY_LEN 33

/* n random bytes (1..64) as base64url into ret, NUL terminated; retsize
 * must be at least EID_B64URL_LEN(n) + 1, else EID_EINVAL. */
int eid_opaque_random(size_t n, char *ret, size_t retsize);

/* True when s is exactly len characters of the base64url alphabet that
 * decode strictly (what eid_opaque_random makes for len's byte count). */
int eid_opaque_check(const char *s, size_t len);

/* tag || SHA-256(value bytes). */
int eid_opaque_key(uint8_t tag, const void *value, size_t n,
		   uint8_t ret[EID_OPAQUE_KEY_LEN]);

#endif
