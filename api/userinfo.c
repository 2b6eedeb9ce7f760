/* GET|POST /userinfo (OIDC Core 5.3; RFC 6750 2; RFC 9449 7). */
#include "api/endpoints.h"
#include "api/oauth.h"
#include "crypto/error.h"
#include "idp/discovery.h"
#include "idp/token_grant.h"

int eid_api_userinfo(struct eid_http_request *req,
		     struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_token_env env = eid_api_token_env(app);
	struct eid_oauth_error err = { 0 };
	struct eid_grant grant = { 0 };
	json_t *at = NULL, *answer = NULL;
	bool dpop = false;
	int r;

	if ((r = eid_api_resource_token(req, res, app, EID_PATH_USERINFO, true,
					&dpop, &at, &grant)) != EID_OK)
		goto out;
	r = eid_token_userinfo(&env, at, &grant, &answer, &err);
	if (r == EID_OK)
		r = eid_http_reply_json(res, 200, answer);
	else if (err.error != NULL)
		r = eid_api_resource_challenge(res, dpop, err.error,
					       err.description);
out:
	eid_grant_clear(&grant);
	json_decref(at);
	json_decref(answer);
	return r == EID_API_REPLIED ? EID_OK : r;
}
