/* The access token of a request to a protected resource (RFC 6750 2,
 * RFC 9449 7): /userinfo and the signing API. */
#include <string.h>
#include <strings.h>

#include "api/oauth.h"
#include "crypto/error.h"
#include "idp/tokens.h"

int eid_api_resource_challenge(struct eid_http_response *res, bool dpop,
			       const char *error, const char *description)
{
	unsigned status = strcmp(error, "insufficient_scope") == 0 ? 403 :
			  strcmp(error, "invalid_request") == 0 ? 400 : 401;
	int r = eid_http_reply_oauth_challenge(res, dpop ? "DPoP" : "Bearer",
					       error, description);

	/* The challenge always says 401: 400 and 403 keep its header. */
	if (r == EID_OK && status != 401)
		r = eid_http_reply_oauth_error(res, status, error,
					       description);
	return r == EID_OK ? EID_API_REPLIED : r;
}

/* The token from the Authorization header or, for POST with body_param,
 * the body (RFC 6750 2.1, 2.2); never both. */
static int presented_token(struct eid_http_request *req,
			   struct eid_http_response *res, bool body_param,
			   const char **ret_token, bool *ret_dpop)
{
	const char *auth = eid_http_header(req, "Authorization");
	const char *body = NULL, *token = NULL;
	int r;

	*ret_dpop = false;
	if (body_param && strcmp(eid_http_method(req), "POST") == 0 &&
	    (r = eid_api_body_param(req, res, "access_token", &body)) !=
		    EID_OK)
		return r;
	if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0) {
		token = auth + 7;
	} else if (auth != NULL && strncasecmp(auth, "DPoP ", 5) == 0) {
		token = auth + 5;
		*ret_dpop = true;
	}
	if (token != NULL && body != NULL)
		return eid_api_resource_challenge(
			res, false, "invalid_request",
			"the token came in more than one way");
	if (token == NULL)
		token = body;
	if (token == NULL || token[0] == '\0' ||
	    strlen(token) > EID_TOKEN_MAX)
		return eid_api_resource_challenge(
			res, *ret_dpop, "invalid_token",
			"an access token is required");
	*ret_token = token;
	return EID_OK;
}

int eid_api_resource_token(struct eid_http_request *req,
			   struct eid_http_response *res, struct eid_app *app,
			   const char *path, bool body_param, bool *ret_dpop,
			   json_t **ret_claims, struct eid_grant *ret_grant)
{
	char jkt[EID_THUMBPRINT_LEN + 1] = "";
	const char *token = NULL;
	bool dpop = false;
	int r;

	if ((r = presented_token(req, res, body_param, &token, &dpop)))
		return r;
	*ret_dpop = dpop;
	if (dpop) {
		if ((r = eid_api_dpop_proof(req, res, app, path, token, true,
					    jkt)) != EID_OK)
			return r;
		if (jkt[0] == '\0')
			return eid_api_resource_challenge(
				res, true, "invalid_dpop_proof",
				"a DPoP proof is required");
	}
	r = eid_access_token_verify_grant(
		app->signer, app->store, app->grant_cache, token,
		strlen(token), app->cfg->server.issuer,
		dpop ? EID_TOKEN_DPOP : EID_TOKEN_BEARER, dpop ? jkt : NULL,
		eid_store_now(app->store), ret_claims, ret_grant);
	if (r == EID_ENOMEM || r == EID_ESTORE || r == EID_EINTERNAL)
		return r;
	if (r != EID_OK)
		return eid_api_resource_challenge(
			res, dpop, "invalid_token",
			r == EID_EAUTH ? "the token's sender constraint is "
					 "not met" :
					 "the token is invalid, expired or "
					 "revoked");
	return EID_OK;
}
