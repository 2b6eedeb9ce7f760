/* One-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238) with HMAC-SHA-1,
 * the profile every authenticator app implements, and the base32 text
 * (RFC 4648, no padding) in which their secrets travel. */
#ifndef EID_TOTP_H
#define EID_TOTP_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/buf.h"

#define EID_TOTP_SECRET_LEN 20 /* 160 bits, RFC 4226's recommendation */
#define EID_TOTP_SECRET_MAX 64
#define EID_TOTP_DIGITS 6
#define EID_TOTP_PERIOD 30
#define EID_TOTP_WINDOW 1 /* steps accepted either side of now */

/* The HOTP value of counter under key, digits 6 to 8.  EID_EINVAL for a
 * bad length or digit count. */
int eid_hotp(const uint8_t *key, size_t keylen, uint64_t counter,
	     unsigned digits, uint32_t *ret_code);

/* The TOTP time step of unix time t (period EID_TOTP_PERIOD). */
uint64_t eid_totp_step(uint64_t t);

/* Check a 6-digit code typed by a person against the steps within
 * EID_TOTP_WINDOW of now, in constant time over the candidates.  A step
 * at or before last_step (the last one accepted; 0: none yet) is refused
 * as EID_EREPLAY, so a code is good once.  EID_OK with *ret_step set to
 * the matching step; EID_EAUTH for a wrong code, EID_EMALFORMED for text
 * that is not six digits. */
int eid_totp_verify(const uint8_t *key, size_t keylen, const char *code,
		    uint64_t now, uint64_t last_step, uint64_t *ret_step);

/* A fresh random secret of EID_TOTP_SECRET_LEN bytes. */
int eid_totp_generate(uint8_t ret_key[EID_TOTP_SECRET_LEN]);

/* Base32 (RFC 4648 alphabet, upper case, no padding) appended to out. */
int eid_base32_encode(const void *p, size_t n, eid_buf *out);
/* Decode, ignoring case, blanks and trailing '='; EID_EMALFORMED for any
 * other character or a dangling partial byte. */
int eid_base32_decode(const char *s, size_t n, eid_buf *out);

#endif
