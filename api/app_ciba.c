/* The app's side of CIBA: GET /api/v1/ciba (the citizen's pending
 * requests), GET /api/v1/ciba/{id} (one of them), POST /api/v1/ciba/{id}
 * (approve or deny).  Only the device bound to the citizen a request
 * names sees or decides it; to any other it does not exist.  A decision
 * on a ping-mode request queues the ping to the client (CIBA 10.2). */
#include <string.h>

#include "api/device.h"
#include "api/selfservice.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/audit.h"
#include "idp/ciba.h"
#include "idp/claims.h"
#include "idp/logout.h"

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

/* A ping that could not even be queued is in the audit trail as one
 * that failed every attempt (the worker records those). */
static void ping_not_queued(struct eid_app *app,
			    const struct eid_ciba_request *q, int why)
{
	json_t *d = json_pack("{s:s, s:s, s:s}", "client_id", q->client_id,
			      "request_id", q->id, "error", eid_errname(why));
	eid_txn *t = NULL;

	if (d == NULL || eid_store_begin(app->store, true, &t) != EID_OK) {
		json_decref(d);
		return;
	}
	if (eid_audit_record(t, "login.ciba_ping_failed", "eid",
			     q->personal_id, NULL, d,
			     (int64_t)eid_store_now(app->store)) == EID_OK)
		(void)eid_txn_commit(t);
	else
		eid_txn_abort(t);
}

/* Ping mode: POST {"auth_req_id"} with the client's notification token
 * to its registered endpoint, from the back-channel worker (timeouts,
 * retries, and the audit of a failure there): the citizen's answer does
 * not wait on the client's server.  A client that is disabled or moved
 * to poll mode since is not pinged. */
static void ping(struct eid_app *app, const struct eid_ciba_request *q)
{
	char areq[EID_CIBA_AUTH_REQ_ID_LEN + 1] = "";
	char token[EID_CIBA_NOTIFY_TOKEN_MAX + 1] = "";
	struct eid_client c = { 0 };
	json_t *details = NULL, *body = NULL;
	char *text = NULL;
	int r = eid_ciba_ping_take(app->store, q->id, areq, token);

	if (r == EID_ENOTFOUND)
		return; /* poll mode */
	if (r != EID_OK ||
	    (r = eid_client_get(app->store, q->client_id, &c)) != EID_OK)
		goto out;
	if (c.status != EID_CLIENT_ACTIVE ||
	    c.ciba_delivery != EID_CIBA_DELIVERY_PING)
		goto out;
	r = EID_ENOMEM;
	details = json_pack("{s:s, s:s}", "client_id", q->client_id,
			    "request_id", q->id);
	body = json_pack("{s:s}", "auth_req_id", areq);
	if (details == NULL || body == NULL ||
	    (text = json_dumps(body, JSON_COMPACT)) == NULL)
		goto out;
	r = eid_bcl_enqueue_bearer(app->bcl, c.ciba_notification_endpoint,
				   text, token,
				   &(struct eid_bcl_audit){
					   .store = app->store,
					   .event = "login.ciba_ping_failed",
					   .subject = q->personal_id,
					   .details = details });
out:
	if (r != EID_OK)
		ping_not_queued(app, q, r);
	eid_free_secret_str(text);
	json_decref(body);
	json_decref(details);
	eid_client_clear(&c);
	eid_wipe(areq, sizeof(areq));
	eid_wipe(token, sizeof(token));
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
	ping(app, q);
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
