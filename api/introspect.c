/* POST /introspect (RFC 7662): the token of an authenticated client. */
#include "api/endpoints.h"
#include "api/oauth.h"
#include "crypto/error.h"
#include "idp/discovery.h"
#include "idp/introspect.h"

int eid_api_introspect(struct eid_http_request *req,
		       struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_introspect_env env = eid_api_introspect_env(app);
	struct eid_client client = { 0 };
	const char *token = NULL;
	json_t *answer = NULL;
	int r;

	static const struct eid_oauth_error public_client = {
		"invalid_client", "public clients may not introspect",
	};

	if ((r = eid_api_token_request(req, res, app,
					 EID_PATH_INTROSPECT, &client,
					 &token)) != EID_OK)
		goto out;
	/* A client_id is no secret: it must not reveal tokens. */
	if (client.auth_method == EID_AUTH_NONE) {
		r = eid_api_oauth_reply(res, &public_client, false);
		goto out;
	}
	if ((r = eid_introspect(&env, &client, token, &answer)) != EID_OK)
		goto out;
	r = eid_http_reply_json(res, 200, answer);
out:
	json_decref(answer);
	eid_client_clear(&client);
	return r == EID_API_REPLIED ? EID_OK : r;
}

