/* GET|POST /userinfo (OIDC Core 5.3; RFC 6750 2; RFC 9449 7). */
#include <string.h>
#include <strings.h>

#include "api/endpoints.h"
#include "api/oauth.h"
#include "crypto/error.h"
#include "idp/discovery.h"
#include "idp/token_grant.h"
#include "idp/tokens.h"

struct presented {
	const char *token;
	bool dpop; /* Authorization: DPoP */
};

static int challenge(struct eid_http_response *res, bool dpop,
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

/* The token from the Authorization header or, for POST, the body
 * (RFC 6750 2.1, 2.2); never both. */
static int presented_token(struct eid_http_request *req,
			   struct eid_http_response *res,
			   struct presented *ret)
{
	const char *auth = eid_http_header(req, "Authorization");
	const char *body = NULL;
	int r;

	if (strcmp(eid_http_method(req), "POST") == 0 &&
	    (r = eid_api_body_param(req, res, "access_token", &body)) !=
		    EID_OK)
		return r;
	if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0) {
		ret->token = auth + 7;
	} else if (auth != NULL && strncasecmp(auth, "DPoP ", 5) == 0) {
		ret->token = auth + 5;
		ret->dpop = true;
	}
	if (ret->token != NULL && body != NULL)
		return challenge(res, false, "invalid_request",
				 "the token came in more than one way");
	if (ret->token == NULL)
		ret->token = body;
	if (ret->token == NULL || ret->token[0] == '\0' ||
	    strlen(ret->token) > EID_TOKEN_MAX)
		return challenge(res, ret->dpop, "invalid_token",
				 "an access token is required");
	return EID_OK;
}

static int verify(struct eid_http_request *req,
		  struct eid_http_response *res, struct eid_app *app,
		  const struct presented *p, json_t **ret_claims,
		  struct eid_grant *ret_grant)
{
	char jkt[EID_THUMBPRINT_LEN + 1] = "";
	int r;

	if (p->dpop) {
		if ((r = eid_api_dpop_proof(req, res, app, EID_PATH_USERINFO,
					    p->token, true, jkt)) != EID_OK)
			return r;
		if (jkt[0] == '\0')
			return challenge(res, true, "invalid_dpop_proof",
					 "a DPoP proof is required");
	}
	r = eid_access_token_verify_grant(
		app->signer, app->store, p->token, strlen(p->token),
		app->cfg->server.issuer,
		p->dpop ? EID_TOKEN_DPOP : EID_TOKEN_BEARER,
		p->dpop ? jkt : NULL, eid_store_now(app->store), ret_claims,
		ret_grant);
	if (r == EID_ENOMEM || r == EID_ESTORE || r == EID_EINTERNAL)
		return r;
	if (r != EID_OK)
		return challenge(res, p->dpop, "invalid_token",
				 r == EID_EAUTH ?
					 "the token's sender constraint is "
					 "not met" :
					 "the token is invalid, expired or "
					 "revoked");
	return EID_OK;
}

int eid_api_userinfo(struct eid_http_request *req,
		     struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_token_env env = eid_api_token_env(app);
	struct eid_oauth_error err = { 0 };
	struct presented p = { 0 };
	struct eid_grant grant = { 0 };
	json_t *at = NULL, *answer = NULL;
	int r;

	if ((r = presented_token(req, res, &p)) != EID_OK ||
	    (r = verify(req, res, app, &p, &at, &grant)) != EID_OK)
		goto out;
	r = eid_token_userinfo(&env, at, &grant, &answer, &err);
	if (r == EID_OK)
		r = eid_http_reply_json(res, 200, answer);
	else if (err.error != NULL)
		r = challenge(res, p.dpop, err.error, err.description);
out:
	eid_grant_clear(&grant);
	json_decref(at);
	json_decref(answer);
	return r == EID_API_REPLIED ? EID_OK : r;
}
