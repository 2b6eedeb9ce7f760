/* What the back-channel endpoints (/token, /par, /introspect, /revoke,
 * /userinfo) share: body parameters with the OAuth rules (no repeats, a
 * size cap), OAuth error replies, client authentication from the request,
 * and DPoP proofs.
 *
 * The helpers that may reply return EID_API_REPLIED once they have
 * answered with an error; the handler then returns EID_OK. */
#ifndef EID_API_OAUTH_H
#define EID_API_OAUTH_H

#include <stdbool.h>

#include "api/app.h"
#include "crypto/jose.h"
#include "idp/client_auth.h"
#include "idp/clients.h"
#include "idp/introspect.h"
#include "idp/token_grant.h"
#include "idp/oauth_error.h"

#define EID_API_REPLIED 1
/* Longest parameter value (a client assertion or a DPoP-bound token). */
#define EID_API_PARAM_MAX 8192
#define EID_API_URL_MAX 2048

/* The body parameter name into *ret (NULL when absent).  A repeated name
 * or a value over EID_API_PARAM_MAX is answered with invalid_request. */
int eid_api_body_param(struct eid_http_request *req,
		       struct eid_http_response *res, const char *name,
		       const char **ret);

/* Reply err with the status RFC 6749 5.2 gives its code (401 for
 * invalid_client, with WWW-Authenticate: Basic realm="eid" when the
 * client tried Basic; 500 for server_error; 400 otherwise).  Returns
 * EID_API_REPLIED, or an error when the reply could not be built. */
int eid_api_oauth_reply(struct eid_http_response *res,
			const struct eid_oauth_error *err, bool basic);

/* The URL of one of our endpoints (issuer + path) into out. */
int eid_api_url(const struct eid_app *app, const char *path,
		char out[EID_API_URL_MAX]);

/* Authenticate the client of a back-channel request (path: the endpoint
 * it came to).  EID_OK with ret_client filled (eid_client_clear it),
 * EID_API_REPLIED after an error reply, or a server error. */
int eid_api_client_authenticate(struct eid_http_request *req,
				struct eid_http_response *res,
				struct eid_app *app, const char *path,
				struct eid_client *ret_client);

/* A DPoP proof (RFC 9449) in the DPoP header, checked for this request
 * (path, and access_token for a resource request: ath).  With no header,
 * EID_OK and ret_jkt "".  With one, EID_OK and the key's thumbprint;
 * otherwise the error is answered: at the token endpoint (resource false)
 * 400 invalid_dpop_proof or use_dpop_nonce (a nonce is required there), at
 * a resource 401 with a DPoP challenge.  Every answer of an endpoint that
 * takes proofs carries a fresh DPoP-Nonce (eid_api_dpop_nonce). */
int eid_api_dpop_proof(struct eid_http_request *req,
		       struct eid_http_response *res, struct eid_app *app,
		       const char *path, const char *access_token,
		       bool resource, char ret_jkt[EID_THUMBPRINT_LEN + 1]);
int eid_api_dpop_nonce(struct eid_http_response *res, struct eid_app *app);

/* The access token of a resource request (api/resource.c): from
 * "Authorization: Bearer" or "DPoP" (with its proof, checked for path),
 * or with body_param the access_token form parameter of a POST; verified
 * (signature, expiry, grant, sender constraint).  EID_OK with the claims
 * (a new reference), *ret_dpop and, when ret_grant is not NULL, the
 * token's grant (eid_access_token_verify_grant; eid_grant_clear it);
 * EID_API_REPLIED after a 400/401/403 challenge; or a server error. */
int eid_api_resource_token(struct eid_http_request *req,
			   struct eid_http_response *res, struct eid_app *app,
			   const char *path, bool body_param, bool *ret_dpop,
			   json_t **ret_claims, struct eid_grant *ret_grant);
/* A resource's refusal with its WWW-Authenticate challenge (scheme DPoP
 * or Bearer): 403 for insufficient_scope, 400 for invalid_request, 401
 * otherwise.  Returns EID_API_REPLIED or an error. */
int eid_api_resource_challenge(struct eid_http_response *res, bool dpop,
			       const char *error, const char *description);

/* The client (authenticated) and the token parameter of /introspect and
 * /revoke; EID_API_REPLIED after an error reply. */
int eid_api_token_request(struct eid_http_request *req,
			  struct eid_http_response *res, struct eid_app *app,
			  const char *path, struct eid_client *client,
			  const char **ret_token);
/* What the token logic needs of the app, now. */
struct eid_token_env eid_api_token_env(struct eid_app *app);
/* What introspection and revocation need of the app, now. */
struct eid_introspect_env eid_api_introspect_env(struct eid_app *app);

#endif
