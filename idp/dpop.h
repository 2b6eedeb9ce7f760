/* DPoP (RFC 9449): proof-of-possession JWTs sent by clients in the DPoP
 * header, and the stateless server nonces of section 8.
 *
 * eid_dpop_verify runs the checks of section 4.3 on a proof the api/ layer
 * took from the request, and returns the RFC 7638 thumbprint of the proof's
 * key: the "jkt" that access tokens carry in cnf.jkt and that codes and
 * refresh tokens may be bound to. */
#ifndef EID_DPOP_H
#define EID_DPOP_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/jose.h"
#include "idp/store.h"

#define EID_DPOP_MAX 8192        /* a proof, in bytes */
#define EID_DPOP_JTI_MAX 64      /* characters of its jti */
#define EID_DPOP_HTU_MAX 2048
#define EID_DPOP_IAT_WINDOW 60   /* default: iat within now +- 60 s */

/* A nonce: base64url of an 8-byte time step and a 16-byte HMAC.  Valid in
 * the step it was issued and the next, so for EID_DPOP_NONCE_STEP to twice
 * that; the server sends a fresh one with every response. */
#define EID_DPOP_NONCE_LEN 32
#define EID_DPOP_NONCE_STEP 120

/* What the request that carried the proof was. */
struct eid_dpop_request {
	const char *htm;          /* the request's method ("POST") */
	const char *htu;          /* the endpoint's URL as the server names it */
	const char *access_token; /* the token presented with it; NULL: none */
	const uint8_t *nonce_key; /* 32 bytes: a nonce is required and checked
				   * with it; NULL: no nonce required */
	uint64_t now;
	uint64_t iat_window;      /* 0: EID_DPOP_IAT_WINDOW */
};

/* Verify a proof of len bytes.  On success the jti is recorded in the
 * "jti" namespace until the proof could no longer be accepted, and ret_jkt
 * gets the key's thumbprint.
 *   EID_EINVAL        NULL arguments or a bad request htu; or the jwk header
 *                     holds private key members
 *   EID_ETOOBIG       len > EID_DPOP_MAX
 *   EID_EMALFORMED    not a JWS; typ not "dpop+jwt"; no jwk object; a claim
 *                     missing or of the wrong type; jti empty or longer than
 *                     EID_DPOP_JTI_MAX; a badly encoded jwk
 *   EID_EUNSUPPORTED  alg other than ES256, RS256, PS256 (none and HS* are
 *                     never accepted); a jwk of an unknown kind
 *   EID_ENOTFOUND     a kid header that does not name the jwk
 *   EID_EMISMATCH     alg does not fit the jwk; htm, htu or ath differs (ath
 *                     is required when an access token is presented)
 *   EID_EVERIFY       bad signature
 *   EID_EEXPIRED      iat outside now +- the window
 *   EID_ESTATE        a nonce is required and is missing, stale or not
 *                     ours: the caller answers "use_dpop_nonce" with a
 *                     fresh DPoP-Nonce
 *   EID_EREPLAY       the jti was seen already (for this key) */
int eid_dpop_verify(const char *proof, size_t len,
		    const struct eid_dpop_request *req, eid_store *s,
		    char ret_jkt[EID_THUMBPRINT_LEN + 1]);

/* A server nonce for now, NUL terminated. */
int eid_dpop_nonce_issue(const uint8_t key[32], uint64_t now,
			 char ret_nonce[EID_DPOP_NONCE_LEN + 1]);

/* EID_OK for a nonce made with key in this time step or the previous one;
 * EID_EMALFORMED when it is not a nonce, EID_EEXPIRED when older or from
 * the future, EID_EVERIFY when made with another key. */
int eid_dpop_nonce_check(const uint8_t key[32], const char *nonce,
			 uint64_t now);

#endif
