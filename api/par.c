/* POST /par (RFC 9126): an authenticated client pushes its authorization
 * request, checked now with the rules of /authorize, and gets a
 * request_uri to send the browser with instead.  A DPoP proof at this
 * endpoint binds the future code to its key (RFC 9449 section 10.1). */
#include <string.h>

#include "api/endpoints.h"
#include "api/oauth.h"
#include "crypto/error.h"
#include "idp/authz_request.h"
#include "idp/codes.h"
#include "idp/discovery.h"

#define PAR_TTL 60

/* The body's parameters, with the client_id of the authenticated client
 * (a Basic or assertion client may leave it out of the body). */
struct par_form {
	struct eid_http_request *req;
	const char *client_id;
};

static int form_lookup(void *arg, const char *name, const char **ret_value)
{
	struct par_form *f = arg;
	int r;

	if (strcmp(name, "client_id") != 0)
		return eid_http_form_param(f->req, name, ret_value);
	r = eid_http_form_param(f->req, name, ret_value);
	if (r == EID_OK && strcmp(*ret_value, f->client_id) != 0)
		return EID_EINVAL;
	if (r != EID_OK && r != EID_ENOTFOUND)
		return r;
	*ret_value = f->client_id;
	return EID_OK;
}

/* The parameters to keep: those of the request, and the key of the DPoP
 * proof (jkt, "" when none), which must agree with a dpop_jkt sent. */
static int pushed_params(struct par_form *f, const struct eid_authz_request *q,
			 const char *jkt, json_t **ret,
			 struct eid_oauth_error *err)
{
	int r;

	if (jkt[0] != '\0' && q->dpop_jkt != NULL &&
	    strcmp(q->dpop_jkt, jkt) != 0) {
		*err = (struct eid_oauth_error){
			"invalid_request",
			"dpop_jkt does not match the DPoP proof key" };
		return EID_EINVAL;
	}
	if ((r = eid_authz_params_collect(form_lookup, f, ret)) != EID_OK) {
		*err = (struct eid_oauth_error){ "invalid_request",
						 "malformed parameters" };
		return r;
	}
	if (jkt[0] != '\0' &&
	    json_object_set_new(*ret, "dpop_jkt", json_string(jkt)) != 0)
		return EID_ENOMEM;
	return EID_OK;
}

static int reply_created(struct eid_http_response *res, const char *uri)
{
	json_t *o = json_pack("{s:s,s:i}", "request_uri", uri, "expires_in",
			      PAR_TTL);
	int r;

	if (o == NULL)
		return EID_ENOMEM;
	r = eid_http_reply_json(res, 201, o);
	json_decref(o);
	return r;
}

int eid_api_par(struct eid_http_request *req, struct eid_http_response *res,
		void *arg)
{
	struct eid_app *app = arg;
	struct eid_client client = { 0 };
	struct eid_authz_request q = { 0 };
	struct eid_authz_error aerr = { 0 };
	struct eid_oauth_error err = { 0 };
	struct par_form f = { req, NULL };
	char jkt[EID_THUMBPRINT_LEN + 1];
	char uri[EID_PAR_URI_LEN + 1];
	json_t *params = NULL;
	int r;

	if ((r = eid_api_client_authenticate(req, res, app, EID_PATH_PAR,
					     &client)) != EID_OK ||
	    (r = eid_api_dpop_proof(req, res, app, EID_PATH_PAR, NULL, false,
				    jkt)) != EID_OK)
		goto out;
	f.client_id = client.client_id;
	r = eid_authz_request_parse(&client, true, form_lookup, &f, &q, &aerr);
	if (r == EID_EINVAL) {
		err = (struct eid_oauth_error){ aerr.error, aerr.description };
		r = eid_api_oauth_reply(res, &err, false);
		goto out;
	}
	if (r != EID_OK)
		goto out;
	r = pushed_params(&f, &q, jkt, &params, &err);
	if (r == EID_EINVAL)
		r = eid_api_oauth_reply(res, &err, false);
	if (r != EID_OK)
		goto out;
	r = eid_par_store(app->store, client.client_id, params,
			  eid_store_now(app->store), PAR_TTL, uri);
	if (r == EID_OK) {
		r = reply_created(res, uri);
	} else if (r == EID_ETOOBIG) {
		err = (struct eid_oauth_error){ "invalid_request",
						"the request is too large" };
		r = eid_api_oauth_reply(res, &err, false);
	}
out:
	json_decref(params);
	eid_authz_request_clear(&q);
	eid_client_clear(&client);
	return r == EID_API_REPLIED ? EID_OK : r;
}
