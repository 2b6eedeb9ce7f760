/* PKCE (RFC 7636), S256 only: FAPI 2.0 and OAuth 2.1 forbid "plain", and a
 * public client cannot log in without it.  Pure functions over the values
 * the api/ layer parsed. */
#ifndef EID_PKCE_H
#define EID_PKCE_H

#include <stddef.h>

/* base64url(SHA-256(verifier)) without padding. */
#define EID_PKCE_CHALLENGE_LEN 43
#define EID_PKCE_VERIFIER_MIN 43
#define EID_PKCE_VERIFIER_MAX 128

/* code_challenge_method: EID_OK for "S256"; EID_EUNSUPPORTED for "plain"
 * or anything else; EID_EINVAL when NULL (the method is required: an
 * absent one would mean "plain"). */
int eid_pkce_method_check(const char *method);

/* EID_OK when challenge is 43 base64url characters that decode to 32
 * bytes; EID_EMALFORMED otherwise (NULL included). */
int eid_pkce_challenge_check(const char *challenge);

/* EID_OK when verifier is 43..128 characters of the unreserved set
 * [A-Za-z0-9-._~]; EID_EMALFORMED otherwise (NULL included). */
int eid_pkce_verifier_check(const char *verifier);

/* The S256 challenge of a valid verifier, NUL terminated. */
int eid_pkce_challenge(const char *verifier,
		       char ret[EID_PKCE_CHALLENGE_LEN + 1]);

/* EID_OK when S256(verifier) equals challenge (compared in constant time);
 * EID_EMALFORMED when either is not well formed; EID_EVERIFY when they
 * differ. */
int eid_pkce_verify(const char *verifier, const char *challenge);

#endif
