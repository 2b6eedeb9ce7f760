/* Authorization codes and pushed authorization requests (RFC 9126), in the
 * short-lived store.
 *
 * A code is 32 random bytes in base64url.  Only its SHA-256 is a key in the
 * store ("codes" namespace), holding the grant context as JSON: who logged
 * in, for which client and redirect URI, the PKCE challenge, nonce, acr,
 * amr, auth_time, sid, claims request, DPoP key binding, and the id the
 * grant will have.  Redemption takes the entry (get and delete in one
 * step) so it succeeds at most once, then leaves a tombstone (hash ->
 * grant id) until the code's expiry plus the replay window (the access
 * token lifetime): a code presented again is recognised as a replay and the
 * caller revokes the grant, ending every token issued from it (RFC 6749
 * section 4.1.2).
 *
 * A tombstone is written just after the take: a second redemption racing
 * the first within that instant sees a plain unknown code. */
#ifndef EID_CODES_H
#define EID_CODES_H

#include <stdint.h>

#include <jansson.h>

#include "idp/grants.h"
#include "idp/store.h"

#define EID_CODE_LEN 43 /* 32 bytes, base64url */

/* The grant context of a code.  Owned by the struct when filled by the
 * library (eid_code_grant_clear), borrowed as input. */
struct eid_code_grant {
	struct eid_grant grant; /* grant.id is made by eid_code_issue */
	char *redirect_uri;
	char *code_challenge;   /* S256 */
	char *nonce;            /* NULL: none */
	uint64_t expires_at;
};

void eid_code_grant_clear(struct eid_code_grant *cg);

/* A new code for cg (whose grant.id and expires_at are ignored), valid
 * code_ttl seconds from now; a replay stays recognisable for replay_ttl
 * seconds after that.  EID_EINVAL when client_id, personal_id, scope,
 * redirect_uri or a well-formed code_challenge is missing, EID_ETOOBIG
 * when a member exceeds its cap. */
int eid_code_issue(eid_store *s, const struct eid_code_grant *cg,
		   uint64_t now, uint64_t code_ttl, uint64_t replay_ttl,
		   char ret_code[EID_CODE_LEN + 1]);

/* Redeem a code at the token endpoint.  The code is consumed by the first
 * call whatever its outcome.  dpop_jkt is the thumbprint of the request's
 * DPoP proof key (NULL: no proof).
 *   EID_EMALFORMED  code or code_verifier not well formed
 *   EID_ENOTFOUND   unknown or expired code
 *   EID_EREPLAY     already redeemed: see eid_code_replayed_grant
 *   EID_EEXPIRED    past its expiry by the caller's clock
 *   EID_EMISMATCH   issued to another client or redirect URI, or bound to
 *                   a DPoP key that the proof does not match or lacks
 *   EID_EVERIFY     the PKCE verifier does not match the challenge */
int eid_code_redeem(eid_store *s, const char *code, const char *client_id,
		    const char *redirect_uri, const char *code_verifier,
		    const char *dpop_jkt, uint64_t now,
		    struct eid_code_grant *ret_grant);

/* The grant id recorded for a redeemed code, so the caller can revoke it
 * after EID_EREPLAY.  EID_ENOTFOUND when the code was never redeemed or
 * its tombstone has expired. */
int eid_code_replayed_grant(eid_store *s, const char *code,
			    char ret_gid[EID_GRANT_ID_LEN + 1]);

/* Pushed authorization requests. */
#define EID_PAR_URN "urn:ietf:params:oauth:request_uri:"
#define EID_PAR_URI_LEN (sizeof(EID_PAR_URN) - 1 + 43)
#define EID_PAR_MAX (32u * 1024) /* the stored request */

/* Keep params (a JSON object of the authorization request parameters) for
 * client_id for ttl seconds; ret_uri gets the request_uri.  EID_EINVAL for
 * a missing client_id or non-object params, EID_ETOOBIG past EID_PAR_MAX. */
int eid_par_store(eid_store *s, const char *client_id, const json_t *params,
		  uint64_t now, uint64_t ttl,
		  char ret_uri[EID_PAR_URI_LEN + 1]);

/* Take the request back, once.  EID_EMALFORMED when request_uri is not one
 * of ours, EID_ENOTFOUND when unknown, used or expired, EID_EMISMATCH when
 * it was pushed by another client (it is consumed all the same). */
int eid_par_take(eid_store *s, const char *request_uri, const char *client_id,
		 json_t **ret_params);

#endif
