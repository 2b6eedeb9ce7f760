/* private_key_jwt client authentication (RFC 7523 section 3, OIDC Core
 * section 9): the client signs a short-lived JWT with one of its
 * registered keys and sends it as client_assertion.
 *
 * Audience: FAPI 2.0 asks clients to send the issuer identifier, RFC 7523
 * and OIDC Core the token endpoint URL; both are accepted, as a string or
 * as one element of an array.  Each jti is accepted once per client for as
 * long as the assertion could be accepted. */
#ifndef EID_CLIENT_ASSERTION_H
#define EID_CLIENT_ASSERTION_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/keys.h"
#include "idp/store.h"

#define EID_CLIENT_ASSERTION_MAX 8192     /* bytes */
#define EID_CLIENT_ASSERTION_JTI_MAX 256  /* characters */
#define EID_CLIENT_ASSERTION_AUD_MAX 16   /* elements of an aud array */
/* exp may be at most this far after now (and after iat when present):
 * an assertion is meant for one request, not to be kept. */
#define EID_CLIENT_ASSERTION_LIFETIME 600
/* Tolerated difference between the client's clock and ours. */
#define EID_CLIENT_ASSERTION_SKEW 30

/* Verify the assertion (len bytes) of client_id with the client's public
 * keys (chosen by kid, or all tried without one), for a server whose
 * issuer identifier and token endpoint URL are given.
 *   EID_EINVAL        NULL arguments
 *   EID_ETOOBIG       len > EID_CLIENT_ASSERTION_MAX; or exp is more than
 *                     EID_CLIENT_ASSERTION_LIFETIME after now or iat
 *   EID_EMALFORMED    not a JWS; iss, sub, aud, exp or jti missing or of
 *                     the wrong type; iat or nbf of the wrong type
 *   EID_EUNSUPPORTED  alg other than ES256, PS256, RS256 (never none, HS*)
 *   EID_ENOTFOUND     no key has the header's kid
 *   EID_EMISMATCH     alg does not fit the key; iss or sub is not client_id
 *   EID_EVERIFY       bad signature
 *   EID_EPERM         aud names neither the issuer nor the token endpoint
 *   EID_EEXPIRED      exp is past, or nbf or iat is in the future (both
 *                     beyond EID_CLIENT_ASSERTION_SKEW)
 *   EID_EREPLAY       this client used this jti already */
int eid_client_assertion_verify(const char *jwt, size_t len,
				const eid_key *const *keys, size_t nkeys,
				const char *client_id, const char *issuer,
				const char *token_endpoint, uint64_t now,
				eid_store *s);

#endif
