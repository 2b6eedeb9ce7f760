/* The tokens we sign (through the keyring's active key) and check.
 *
 *  - ID token (OIDC Core 2, typ "JWT"): iss, sub, aud, exp, iat, auth_time,
 *    nonce, acr, amr, sid, at_hash, and the claims the client asked for.
 *  - Access token (RFC 9068, typ "at+jwt"): iss, sub, aud, client_id,
 *    exp, iat, jti, scope, acr, auth_time, gid (the grant) and cnf.jkt when
 *    DPoP-bound.  Resource servers verify it offline; our own /userinfo and
 *    /introspect also check that its grant is still active (one read).
 *
 * Every algorithm our keys sign with (ES256, RS256, PS256) hashes with
 * SHA-256, so at_hash is the left half of a SHA-256 whatever key signs. */
#ifndef EID_TOKENS_H
#define EID_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "idp/grants.h"
#include "idp/signing.h"
#include "idp/store.h"

#define EID_TOKEN_MAX 16384 /* a token we are asked to check */

struct eid_id_token_params {
	const char *issuer;
	const char *sub;          /* the subject identifier the client sees */
	const char *client_id;    /* aud */
	const char *nonce;        /* NULL: none in the request */
	const char *acr;          /* NULL: none */
	const json_t *amr;        /* array of strings; NULL: none */
	const char *sid;          /* NULL: none */
	const char *access_token; /* for at_hash; NULL: none issued with it */
	const json_t *claims;     /* more claims (object); NULL: none */
	uint64_t auth_time;
	uint64_t now;
	uint64_t ttl;
	eid_alg alg;              /* the client's; EID_ALG_UNSET: the primary */
};

/* Sign an ID token.  EID_EINVAL when issuer, sub, client_id or ttl is
 * missing, amr is not an array, claims is not an object or names one of the
 * claims set here (iss, sub, aud, exp, iat, auth_time, nonce, acr, amr,
 * sid, at_hash, azp, jti, cnf, gid, client_id, scope); EID_ESTATE when no
 * key of the algorithm signs now. */
int eid_id_token_issue(eid_signer *sg, const struct eid_id_token_params *p,
		       char **ret_jwt);

struct eid_access_token_params {
	const char *issuer;
	const char *sub;
	const char *client_id;
	const char *aud;       /* the resource; NULL: the client_id */
	const char *scope;
	const char *acr;       /* NULL: none */
	const char *gid;       /* the grant; NULL: none (client_credentials) */
	const char *dpop_jkt;  /* cnf.jkt; NULL: a bearer token */
	uint64_t auth_time;    /* 0: none */
	uint64_t now;
	uint64_t ttl;
};

/* Sign an access token with a fresh random jti.  EID_EINVAL when issuer,
 * sub, client_id, scope or ttl is missing; EID_ESTATE when no key signs. */
int eid_access_token_issue(eid_signer *sg,
			   const struct eid_access_token_params *p,
			   char **ret_jwt);

/* How the token came. */
enum eid_token_use {
	EID_TOKEN_BEARER,     /* Authorization: Bearer: must not be bound */
	EID_TOKEN_DPOP,       /* Authorization: DPoP: bound to the proof's key */
	EID_TOKEN_INTROSPECT, /* /introspect: the binding is reported in the
			       * claims (cnf), not checked */
};

/* Check one of our access tokens: signature by a published key, typ
 * "at+jwt", iss, exp, the grant's status and the sender constraint.
 * dpop_jkt is the thumbprint eid_dpop_verify returned (EID_TOKEN_DPOP).
 * ret_claims gets the claims (a new reference).
 *   EID_EINVAL       NULL arguments, or EID_TOKEN_DPOP without dpop_jkt
 *   EID_ETOOBIG, EID_EMALFORMED, EID_EUNSUPPORTED, EID_ENOTFOUND,
 *   EID_EMISMATCH, EID_EVERIFY   as eid_jws_verify (ENOTFOUND: not signed
 *                    by a key we publish)
 *   EID_EMISMATCH    typ is not "at+jwt" (an ID token, say), or iss differs
 *   EID_EMALFORMED   exp, gid or cnf of the wrong type or missing
 *   EID_EEXPIRED     exp is past
 *   EID_EPERM        its grant is revoked or gone
 *   EID_EAUTH        bound to a key and not presented with a proof of it,
 *                    or presented with a proof and not bound */
int eid_access_token_verify(eid_signer *sg, eid_store *s, const char *jwt,
			    size_t len, const char *issuer,
			    enum eid_token_use use, const char *dpop_jkt,
			    uint64_t now, json_t **ret_claims);

/* The same, the grant read through grants (NULL: no cache;
 * idp/rcache.h), and ret_grant (may be NULL) gets the token's grant record
 * read in the same check (a token without a grant, client_credentials,
 * leaves it zeroed: id[0] == '\0').  eid_grant_clear it after an EID_OK. */
int eid_access_token_verify_grant(eid_signer *sg, eid_store *s,
				  eid_rcache *grants,
				  const char *jwt, size_t len,
				  const char *issuer, enum eid_token_use use,
				  const char *dpop_jkt, uint64_t now,
				  json_t **ret_claims,
				  struct eid_grant *ret_grant);

/* An ID token we issued, as an id_token_hint (RP-initiated logout): the
 * signature, typ "JWT" and iss are checked, expiry is not (a hint may be
 * old).  Errors as eid_access_token_verify. */
int eid_id_token_verify_hint(eid_signer *sg, const char *jwt, size_t len,
			     const char *issuer, json_t **ret_claims);

#endif
