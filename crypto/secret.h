/* Secrets: one wipe primitive, constant-time comparison, randomness. */
#ifndef EID_SECRET_H
#define EID_SECRET_H

#include <stdbool.h>
#include <stddef.h>

/* Overwrite n bytes at p so the compiler cannot elide it (OPENSSL_cleanse). */
void eid_wipe(void *p, size_t n);

/* Wipe then free; safe on NULL. */
void eid_free_secret(void *p, size_t n);

/* Wipe and free a NUL-terminated secret string; safe on NULL. */
void eid_free_secret_str(char *s);

/* True when the two n-byte regions are equal; time depends on n only. */
bool eid_ct_equal(const void *a, const void *b, size_t n);

/* True when two byte strings of possibly different lengths are equal.
 * Leaks only whether the lengths differ, never where contents differ. */
bool eid_ct_equal_len(const void *a, size_t alen, const void *b, size_t blen);

/* Fill p with n bytes from the CSPRNG.  Returns EID_OK or EID_ECRYPTO. */
int eid_random_bytes(void *p, size_t n);

/* A uniformly random integer in [0, bound), bound > 0.  EID_OK or error. */
int eid_random_uniform(unsigned long bound, unsigned long *ret_value);

/* Read a small secret file (the KEK, a token PIN) into text, which has
 * room for cap + 1 bytes; *ret_len gets the length (no NUL is added).
 *   EID_ENOTFOUND  the file does not exist
 *   EID_EPERM      it is readable or writable by group or others, or we
 *                  may not read it
 *   EID_EIO        it cannot be read or is not a regular file
 *   EID_EMALFORMED it holds more than cap bytes
 * The caller wipes text. */
int eid_secret_file_read(const char *path, char *text, size_t cap,
			 size_t *ret_len);

#endif
