/* POST /token (RFC 6749 3.2, 4.1.3, 4.4, 6; RFC 8628 3.4; RFC 9449 5). */
#include <string.h>

#include "api/endpoints.h"
#include "api/oauth.h"
#include "crypto/error.h"
#include "crypto/json_write.h"
#include "idp/discovery.h"
#include "idp/token_grant.h"

typedef int (*grant_fn)(const struct eid_token_env *env,
			const struct eid_client *client,
			const struct eid_token_request *req,
			struct eid_token_response *res,
			struct eid_oauth_error *err);

static grant_fn grant_of(const char *grant_type)
{
	if (strcmp(grant_type, "authorization_code") == 0)
		return eid_token_authorization_code;
	if (strcmp(grant_type, "refresh_token") == 0)
		return eid_token_refresh;
	if (strcmp(grant_type, "client_credentials") == 0)
		return eid_token_client_credentials;
	if (strcmp(grant_type, EID_GRANT_TYPE_CIBA) == 0)
		return eid_token_ciba;
	if (strcmp(grant_type, EID_GRANT_TYPE_DEVICE_CODE) == 0)
		return eid_token_device_code;
	return NULL;
}

static int grant_type(struct eid_http_request *req,
		      struct eid_http_response *res, grant_fn *ret)
{
	struct eid_oauth_error e = { "invalid_request",
				     "grant_type is required" };
	const char *gt;
	int r;

	if ((r = eid_api_body_param(req, res, "grant_type", &gt)) != EID_OK)
		return r;
	if (gt != NULL && (*ret = grant_of(gt)) != NULL)
		return EID_OK;
	if (gt != NULL)
		e = (struct eid_oauth_error){ "unsupported_grant_type",
					      "grant_type is not supported" };
	return eid_api_oauth_reply(res, &e, false);
}

static int token_params(struct eid_http_request *req,
			struct eid_http_response *res,
			struct eid_token_request *tr)
{
	int r;

	if ((r = eid_api_body_param(req, res, "code", &tr->code)) != EID_OK ||
	    (r = eid_api_body_param(req, res, "redirect_uri",
				    &tr->redirect_uri)) != EID_OK ||
	    (r = eid_api_body_param(req, res, "code_verifier",
				    &tr->code_verifier)) != EID_OK ||
	    (r = eid_api_body_param(req, res, "refresh_token",
				    &tr->refresh_token)) != EID_OK ||
	    (r = eid_api_body_param(req, res, "device_code",
				    &tr->device_code)) != EID_OK ||
	    (r = eid_api_body_param(req, res, "scope", &tr->scope)) != EID_OK ||
	    (r = eid_api_body_param(req, res, "auth_req_id",
				    &tr->auth_req_id)) != EID_OK)
		return r;
	return EID_OK;
}

/* The response written straight as JSON text (RFC 6749 5.1). */
#define REPLY_MAX (64u * 1024)

static int reply_tokens(struct eid_http_response *res,
			const struct eid_token_response *tr)
{
	/* The tokens and at most about 200 bytes around them. */
	size_t room = 256 + (tr->access_token != NULL ?
				     strlen(tr->access_token) : 0) +
		      (tr->id_token != NULL ? strlen(tr->id_token) : 0);
	eid_buf b;
	int r;

	eid_buf_init(&b, REPLY_MAX);
	if ((r = eid_buf_room(&b, room)) != EID_OK ||
	    (r = eid_json_open(&b)) != EID_OK ||
	    (r = eid_json_member_str(&b, "access_token",
				     tr->access_token)) != EID_OK ||
	    (r = eid_json_member_str(&b, "token_type",
				     tr->dpop ? "DPoP" : "Bearer")) != EID_OK ||
	    (r = eid_json_member_u64(&b, "expires_in", tr->expires_in)) !=
		    EID_OK ||
	    (r = eid_json_member_str(&b, "scope", tr->scope[0] != '\0' ?
						  tr->scope : NULL)) != EID_OK ||
	    (r = eid_json_member_str(&b, "id_token", tr->id_token)) != EID_OK ||
	    (r = eid_json_member_str(&b, "refresh_token",
				     tr->refresh_token[0] != '\0' ?
					     tr->refresh_token : NULL)) !=
		    EID_OK ||
	    (r = eid_json_close(&b)) != EID_OK)
		goto out;
	r = eid_http_reply_buf(res, 200, "application/json", &b);
out:
	eid_buf_free(&b);
	return r;
}

int eid_api_token(struct eid_http_request *req, struct eid_http_response *res,
		  void *arg)
{
	struct eid_app *app = arg;
	struct eid_token_env env = eid_api_token_env(app);
	struct eid_client client = { 0 };
	struct eid_token_request tr = { 0 };
	struct eid_token_response out = { 0 };
	struct eid_oauth_error err = { 0 };
	char jkt[EID_THUMBPRINT_LEN + 1];
	grant_fn fn = NULL;
	int r;

	if ((r = grant_type(req, res, &fn)) != EID_OK ||
	    (r = token_params(req, res, &tr)) != EID_OK ||
	    (r = eid_api_client_authenticate(req, res, app, EID_PATH_TOKEN,
					     &client)) != EID_OK ||
	    (r = eid_api_dpop_proof(req, res, app, EID_PATH_TOKEN, NULL, false,
				    jkt)) != EID_OK)
		goto out;
	tr.dpop_jkt = jkt[0] != '\0' ? jkt : NULL;
	r = fn(&env, &client, &tr, &out, &err);
	if (r == EID_OK)
		r = reply_tokens(res, &out);
	else if (err.error != NULL)
		r = eid_api_oauth_reply(res, &err, false);
out:
	eid_token_response_clear(&out);
	eid_client_clear(&client);
	return r == EID_API_REPLIED ? EID_OK : r;
}
