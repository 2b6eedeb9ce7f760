/* POST /revoke (RFC 7009): the token of an authenticated client. */
#include "api/endpoints.h"
#include "api/oauth.h"
#include "crypto/error.h"
#include "idp/discovery.h"
#include "idp/introspect.h"

int eid_api_revoke(struct eid_http_request *req,
		   struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_introspect_env env = eid_api_introspect_env(app);
	struct eid_oauth_error err = { 0 };
	struct eid_client client = { 0 };
	const char *token = NULL;
	int r;

	if ((r = eid_api_token_request(req, res, app, EID_PATH_REVOKE,
					 &client, &token)) != EID_OK)
		goto out;
	r = eid_revoke(&env, &client, token, &err);
	if (r == EID_OK)
		r = eid_http_reply_text(res, 200, "");
	else if (err.error != NULL)
		r = eid_api_oauth_reply(res, &err, false);
out:
	eid_client_clear(&client);
	return r == EID_API_REPLIED ? EID_OK : r;
}
