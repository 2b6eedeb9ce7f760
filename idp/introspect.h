/* Token introspection (RFC 7662) and revocation (RFC 7009) of our access
 * tokens (signed JWTs) and refresh tokens (opaque), for the client they
 * were issued to.
 *
 * Revocation: a refresh token ends its whole grant; an access token of a
 * grant ends the grant too (RFC 7009 2.1 allows it, and a grant is the
 * unit our checks read).  An access token without a grant
 * (client_credentials) goes on a list of revoked jtis in the short-lived
 * store until its exp, which introspection reads; resource servers that
 * verify offline see it until it expires, as with any JWT. */
#ifndef EID_INTROSPECT_H
#define EID_INTROSPECT_H

#include <stdint.h>

#include <jansson.h>

#include "idp/clients.h"
#include "idp/oauth_error.h"
#include "idp/rcache.h"
#include "idp/signing.h"
#include "idp/store.h"

struct eid_introspect_env {
	eid_store *store;
	eid_signer *signer;
	eid_rcache *grants; /* NULL: none (idp/rcache.h) */
	const char *issuer;
	const uint8_t *subject_key;
	uint64_t now;
};

/* The RFC 7662 answer for token as client asks: {"active":false} for
 * anything unknown, malformed, expired, revoked or issued to another
 * client; otherwise active with scope, client_id, sub, exp, iat, iss,
 * aud, token_type, and cnf, acr, auth_time when the token has them. */
int eid_introspect(const struct eid_introspect_env *env,
		   const struct eid_client *client, const char *token,
		   json_t **ret);

/* Revoke token for client.  EID_OK also for unknown, malformed or
 * expired tokens (RFC 7009 2.2); EID_EPERM with err set when the token
 * was issued to another client. */
int eid_revoke(const struct eid_introspect_env *env,
	       const struct eid_client *client, const char *token,
	       struct eid_oauth_error *err);

/* EID_EPERM when the access token with this jti was revoked, else EID_OK
 * (one read of the short-lived store). */
int eid_access_token_check_jti(eid_store *s, const char *jti);

#endif
