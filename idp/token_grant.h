/* The grants of the token endpoint (RFC 6749 4.1.3, 4.4, 6; OIDC Core
 * 3.1.3, 12), on an authenticated client and parsed parameters.  The
 * api/ layer authenticates the client and checks the DPoP proof; this
 * module decides what to issue and signs it.
 *
 *   authorization_code  the code redeemed once (client, redirect URI,
 *                       PKCE); a replayed code revokes its grant.  The
 *                       grant is recorded; an access token, an ID token
 *                       and, for clients with the refresh_token grant, a
 *                       refresh token are issued.
 *   refresh_token       rotated on every use (reuse revokes the grant);
 *                       the scope may be narrowed for the new access
 *                       token, never widened; a locked or revoked account,
 *                       or one whose sessions were ended after the grant,
 *                       ends the grant.
 *   urn:openid:params:grant-type:ciba
 *                       a CIBA request (idp/ciba.h) polled: pending,
 *                       slow_down, denied, expired, or approved by the
 *                       citizen's bound device, whose approval is taken
 *                       once and recorded as a grant (amr hwk and user,
 *                       the level the device reaches); tokens as for a
 *                       code.
 *   device_code         (RFC 8628 3.4) the device's poll: pending,
 *                       slow_down, denied or expired until the citizen
 *                       approved; then the same tokens as the code, once.
 *   client_credentials  a token for the client itself (sub = client_id),
 *                       scope within the client's own minus openid and
 *                       offline_access.  Writes nothing: the hot path.
 *
 * Every token is bound to the DPoP key when a proof came (cnf.jkt), and a
 * client registered with require_dpop gets nothing without one. */
#ifndef EID_TOKEN_GRANT_H
#define EID_TOKEN_GRANT_H

#include <stdbool.h>
#include <stdint.h>

#include "idp/claims.h"
#include "idp/clients.h"
#include "idp/config.h"
#include "idp/grants.h"
#include "idp/oauth_error.h"
#include "idp/rcache.h"
#include "idp/registry.h"
#include "idp/signing.h"
#include "idp/store.h"

struct eid_token_env {
	eid_store *store;
	eid_signer *signer;
	const eid_registry *registry;
	/* Accounts and clients decoded for the token paths (idp/rcache.h);
	 * NULL: none. */
	eid_rcache *accounts;
	eid_rcache *clients;
	const struct eid_config *cfg; /* [tokens] lifetimes */
	const uint8_t *subject_key;   /* EID_SUBJECT_KEY_LEN bytes */
	const char *issuer;
	uint64_t now;
};

/* The parameters of the request; NULL when not sent. */
struct eid_token_request {
	const char *code;
	const char *redirect_uri;
	const char *code_verifier;
	const char *refresh_token;
	const char *device_code;
	const char *scope;
	const char *auth_req_id; /* CIBA */
	const char *dpop_jkt; /* thumbprint of a verified DPoP proof */
};

struct eid_token_response {
	char *access_token;
	char *id_token;  /* NULL: none */
	char refresh_token[EID_REFRESH_TOKEN_LEN + 1]; /* "": none */
	char scope[EID_SCOPE_STR_MAX];
	uint64_t expires_in;
	bool dpop;       /* token_type DPoP rather than Bearer */
};

/* Free and wipe; safe on a zeroed struct. */
void eid_token_response_clear(struct eid_token_response *res);

/* Each returns EID_OK with res filled, or an error with err set to the
 * OAuth error: EID_EINVAL (invalid_request, invalid_scope,
 * unauthorized_client) or EID_EPERM (invalid_grant); other codes are
 * server errors. */
int eid_token_authorization_code(const struct eid_token_env *env,
				 const struct eid_client *client,
				 const struct eid_token_request *req,
				 struct eid_token_response *res,
				 struct eid_oauth_error *err);
int eid_token_refresh(const struct eid_token_env *env,
		      const struct eid_client *client,
		      const struct eid_token_request *req,
		      struct eid_token_response *res,
		      struct eid_oauth_error *err);
/* EID_EPERM also for the CIBA poll answers authorization_pending,
 * slow_down, access_denied and expired_token. */
int eid_token_ciba(const struct eid_token_env *env,
		   const struct eid_client *client,
		   const struct eid_token_request *req,
		   struct eid_token_response *res,
		   struct eid_oauth_error *err);
int eid_token_device_code(const struct eid_token_env *env,
			  const struct eid_client *client,
			  const struct eid_token_request *req,
			  struct eid_token_response *res,
			  struct eid_oauth_error *err);
int eid_token_client_credentials(const struct eid_token_env *env,
				 const struct eid_client *client,
				 const struct eid_token_request *req,
				 struct eid_token_response *res,
				 struct eid_oauth_error *err);

/* The userinfo answer (OIDC Core 5.3) for a verified access token's
 * claims and its active grant (both from eid_access_token_verify_grant):
 * sub as in the ID token and the claims of the token's scope and of the
 * grant's claims request ("userinfo" member).  EID_EPERM with err
 * invalid_token for a token without a citizen (client_credentials),
 * insufficient_scope without openid. */
int eid_token_userinfo(const struct eid_token_env *env, const json_t *at,
		       const struct eid_grant *grant, json_t **ret,
		       struct eid_oauth_error *err);

/* The access token lifetime for client (its own, else the server's). */
uint64_t eid_token_access_ttl(const struct eid_token_env *env,
			      const struct eid_client *client);

/* The citizen and account behind a grant, for claims (userinfo, ID
 * token).  ret_account may be NULL; its password is "" (read through
 * env->accounts).  EID_ENOTFOUND when either is gone. */
int eid_token_subject_data(const struct eid_token_env *env,
			   const char *personal_id,
			   struct eid_citizen *ret_citizen,
			   struct eid_account *ret_account);

#endif
