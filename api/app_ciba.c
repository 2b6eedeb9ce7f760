/* The app's side of CIBA: GET /api/v1/ciba (the citizen's pending
 * requests), GET /api/v1/ciba/{id} (one of them), POST /api/v1/ciba/{id}
 * (approve or deny).  Only the device bound to the citizen a request
 * names sees or decides it; to any other it does not exist. */
#include <string.h>

#include "api/device.h"
#include "api/selfservice.h"
#include "crypto/error.h"
#include "idp/ciba.h"
#include "idp/claims.h"

static int not_found(struct eid_http_response *res)
{
	return eid_ss_error(res, 404, "not_found",
			    "the request is unknown, expired or decided", 0);
}

/* The user claims the request's scopes release (what the citizen is
 * asked to share), besides sub. */
static json_t *claims_of(const char *scope)
{
	json_t *a = json_array();
	unsigned bits = 0;

	if (a == NULL || eid_claims_scope_bits(scope, &bits) != EID_OK)
		return a;
	for (size_t i = 0; eid_claims_names[i] != NULL; i++)
		if ((eid_claims_scope_of(eid_claims_names[i]) & bits) &&
		    json_array_append_new(a, json_string(eid_claims_names[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *describe(const struct eid_ciba_request *q, uint64_t now)
{
	static const char *const status[] = { "pending", "approved",
					      "denied" };
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o*, s:i, s:I}", "id",
			      q->id, "status", status[q->status], "client_id",
			      q->client_id, "client_name", q->client_name,
			      "scope", q->scope, "claims", claims_of(q->scope),
			      "acr_level", q->acr_level, "expires_in",
			      (json_int_t)(q->expires_at > now ?
						   q->expires_at - now :
						   0));

	if (o != NULL && q->binding_message[0] != '\0' &&
	    json_object_set_new(o, "binding_message",
				json_string(q->binding_message))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int reply(struct eid_http_response *res, unsigned status, json_t *o)
{
	int r = o != NULL ? eid_http_reply_json(res, status, o) : EID_ENOMEM;

	json_decref(o);
	return r;
}

int eid_api_app_ciba_list(struct eid_http_request *req,
			  struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_ciba_request q[EID_CIBA_LIST_MAX];
	struct eid_device d = { 0 };
	uint64_t now = eid_store_now(app->store);
	json_t *a = NULL;
	size_t n = 0;
	bool done;
	int r;

	if ((r = eid_app_device_auth(app, req, res, &d, &done)) || done)
		return r;
	if ((r = eid_ciba_list(app->store, d.personal_id, q, &n)) != EID_OK)
		goto out;
	a = json_array();
	for (size_t i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, describe(&q[i], now)) != 0) {
			json_decref(a);
			a = NULL;
		}
	r = reply(res, 200, a != NULL ? json_pack("{s:o}", "requests", a) :
					NULL);
out:
	eid_device_clear(&d);
	return r;
}

static int decide(struct eid_app *app, struct eid_http_request *req,
		  struct eid_http_response *res, const struct eid_device *d,
		  const struct eid_ciba_request *q)
{
	bool approve = false, done = false;
	int r;

	if ((r = eid_app_decision(req, res, &approve, &done)) || done)
		return r;
	r = eid_ciba_decide(app->store, q->id, d, approve,
			    eid_store_now(app->store));
	if (r == EID_ENOTFOUND)
		return not_found(res);
	if (r == EID_ESTATE)
		return eid_ss_error(res, 409, "already_decided",
				    "this request was approved or denied "
				    "already", 0);
	if (r != EID_OK ||
	    (r = eid_app_audit_decision(app, req, d,
					approve ? "login.ciba_approve" :
						  "login.ciba_deny",
					json_pack("{s:s}", "client_id",
						  q->client_id))))
		return r;
	return reply(res, 200,
		     json_pack("{s:s, s:i}", "status",
			       approve ? "approved" : "denied", "level",
			       approve ? d->level : 0));
}

int eid_api_app_ciba(struct eid_http_request *req,
		     struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	const char *id = eid_http_path(req) + strlen(EID_PATH_APP_CIBA "/");
	struct eid_ciba_request q;
	struct eid_device d = { 0 };
	bool done;
	int r;

	if ((r = eid_app_device_auth(app, req, res, &d, &done)) || done)
		return r;
	r = eid_ciba_get(app->store, id, d.personal_id, &q);
	if (r == EID_ENOTFOUND)
		r = not_found(res);
	else if (r == EID_OK && strcmp(eid_http_method(req), "POST") == 0)
		r = decide(app, req, res, &d, &q);
	else if (r == EID_OK)
		r = reply(res, 200, describe(&q, eid_store_now(app->store)));
	eid_device_clear(&d);
	return r;
}
