/* GET|POST /authorize: check the request (plain parameters, or a pushed
 * one named by request_uri), keep it as an interaction bound to this
 * browser, and go on to the first step it needs. */
#include <string.h>

#include "api/flow.h"
#include "api/front.h"
#include "crypto/error.h"
#include "idp/codes.h"

static int http_lookup(void *arg, const char *name, const char **ret_value)
{
	return eid_http_param(arg, name, ret_value);
}

/* A pushed request: its stored parameters, but the client_id of the
 * request that redeems it (the pushed ones may leave it out, having
 * authenticated the client instead). */
struct par_lookup {
	json_t *params;
	const char *client_id;
};

static int par_lookup(void *arg, const char *name, const char **ret_value)
{
	struct par_lookup *pl = arg;

	if (strcmp(name, "client_id") == 0) {
		const char *inner = NULL;
		int r = eid_authz_param_json(pl->params, name, &inner);
		if (r == EID_OK && strcmp(inner, pl->client_id) != 0)
			return EID_EINVAL;
		if (r != EID_OK && r != EID_ENOTFOUND)
			return r;
		*ret_value = pl->client_id;
		return EID_OK;
	}
	return eid_authz_param_json(pl->params, name, ret_value);
}

/* A refused request: to the RP when that is safe, else a page. */
static int refuse(struct eid_app *app, struct eid_http_response *res,
		  enum eid_lang lang, const struct eid_authz_error *err)
{
	enum eid_msg msg = EID_MSG_BAD_REQUEST;

	if (err->redirectable)
		return eid_flow_redirect_rp(app, res, err->redirect_uri, NULL,
					    err->error, err->description,
					    err->state);
	if (strcmp(err->error, "invalid_client") == 0)
		msg = EID_MSG_UNKNOWN_CLIENT;
	else if (strstr(err->description, "redirect_uri") != NULL)
		msg = EID_MSG_BAD_REDIRECT;
	return eid_flow_error_page(res, lang, 400, msg, err->error);
}

/* Check the request, from the query/form or from /par (pl->params then
 * holds the pushed parameters, which err may borrow). */
static int parse(struct eid_app *app, struct eid_http_request *req,
		 const struct eid_client *c, struct par_lookup *pl,
		 struct eid_authz_request *ret, struct eid_authz_error *err,
		 const char **ret_page_error)
{
	const char *request_uri = NULL;
	int r = eid_http_param(req, "request_uri", &request_uri);

	if (r == EID_ENOTFOUND)
		return eid_authz_request_parse(c, false, http_lookup, req, ret,
					       err);
	*ret_page_error = "invalid_request_uri";
	if (r != EID_OK || c == NULL || c->status != EID_CLIENT_ACTIVE)
		return r == EID_OK ? EID_ENOTFOUND : EID_EINVAL;
	r = eid_par_take(app->store, request_uri, pl->client_id, &pl->params);
	if (r != EID_OK)
		return r == EID_ENOMEM ? r : EID_ENOTFOUND;
	*ret_page_error = NULL;
	return eid_authz_request_parse(c, true, par_lookup, pl, ret, err);
}

int eid_api_authorize(struct eid_http_request *req,
		      struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_client c = { 0 };
	struct eid_authz_error err = { 0 };
	struct eid_interaction it = { 0 };
	struct par_lookup pl = { NULL, NULL };
	const char *ui = NULL, *page_error = NULL;
	bool have_client = false;
	enum eid_lang lang;
	int r;

	(void)eid_http_param(req, "ui_locales", &ui);
	lang = eid_flow_lang(req, ui);
	if (eid_http_param(req, "client_id", &pl.client_id) == EID_OK &&
	    strlen(pl.client_id) <= EID_CLIENT_ID_MAX) {
		r = eid_client_get(app->store, pl.client_id, &c);
		if (r != EID_OK && r != EID_ENOTFOUND)
			goto out;
		have_client = r == EID_OK;
	}
	r = parse(app, req, have_client ? &c : NULL, &pl, &it.req, &err,
		  &page_error);
	if (page_error != NULL && r != EID_OK && r != EID_ENOMEM) {
		r = eid_flow_error_page(res, lang, 400, EID_MSG_SESSION_EXPIRED,
					page_error);
		goto out;
	}
	if (r == EID_EINVAL) {
		r = refuse(app, res, lang, &err);
		goto out;
	}
	if (r == EID_OK)
		r = eid_flow_begin(app, req, res, &it);
out:
	json_decref(pl.params);
	eid_interaction_clear(&it);
	eid_client_clear(&c);
	return r;
}
