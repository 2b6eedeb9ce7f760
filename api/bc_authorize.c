/* POST /bc-authorize (OpenID CIBA Core 1.0, 7; poll and ping modes): a
 * relying party asks the citizen's bound e-ID app for an approval. */
#include <stdio.h>
#include <string.h>

#include "api/endpoints.h"
#include "api/oauth.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/accounts.h"
#include "idp/audit.h"
#include "idp/ciba.h"
#include "idp/device.h"
#include "idp/discovery.h"
#include "idp/grants.h"
#include "idp/tokens.h"

static int read_params(struct eid_http_request *req,
		       struct eid_http_response *res,
		       struct eid_ciba_params *p)
{
	int r;

	if ((r = eid_api_body_param(req, res, "scope", &p->scope)) ||
	    (r = eid_api_body_param(req, res, "login_hint",
				    &p->login_hint)) ||
	    (r = eid_api_body_param(req, res, "id_token_hint",
				    &p->id_token_hint)) ||
	    (r = eid_api_body_param(req, res, "login_hint_token",
				    &p->login_hint_token)) ||
	    (r = eid_api_body_param(req, res, "binding_message",
				    &p->binding_message)) ||
	    (r = eid_api_body_param(req, res, "acr_values",
				    &p->acr_values)) ||
	    (r = eid_api_body_param(req, res, "client_notification_token",
				    &p->client_notification_token)))
		return r;
	return eid_api_body_param(req, res, "requested_expiry",
				  &p->requested_expiry);
}

/* The citizen of an ID token we issued to this client: its sub is
 * looked up in the index the grants keep (a sub cannot be reversed). */
static int hint_citizen(struct eid_app *app, const struct eid_client *c,
			const char *hint, char ret_pid[13],
			struct eid_oauth_error *err)
{
	json_t *claims = NULL, *aud;
	const char *sub, *a;
	int r;

	r = eid_id_token_verify_hint(app->signer, hint, strlen(hint),
				     app->cfg->server.issuer, &claims);
	if (r != EID_OK)
		return eid_oauth_fail(err, "invalid_request",
				      "id_token_hint is not an ID token of "
				      "this server", EID_EINVAL);
	aud = json_object_get(claims, "aud");
	if (json_is_array(aud) && json_array_size(aud) == 1)
		aud = json_array_get(aud, 0);
	a = json_string_value(aud);
	sub = json_string_value(json_object_get(claims, "sub"));
	if (a == NULL || strcmp(a, c->client_id) != 0 || sub == NULL)
		r = eid_oauth_fail(err, "invalid_request",
				   "id_token_hint was issued to another "
				   "client", EID_EINVAL);
	else if ((r = eid_grant_subject_find(app->store, c->client_id, sub,
					     ret_pid)) == EID_ENOTFOUND)
		r = eid_oauth_fail(err, "unknown_user_id",
				   "id_token_hint names no citizen known to "
				   "this client", EID_EINVAL);
	json_decref(claims);
	return r;
}

/* The citizen must have an active account and a bound device whose
 * approval reaches the level asked for; ret_device gets it. */
static int reachable(struct eid_app *app, const struct eid_ciba_request *q,
		     struct eid_device *ret_device,
		     struct eid_oauth_error *err)
{
	struct eid_account a = { 0 };
	eid_txn *t = NULL;
	int r;

	if ((r = eid_store_begin(app->store, false, &t)) != EID_OK)
		return r;
	r = eid_account_get(t, q->personal_id, &a);
	if (r == EID_OK)
		r = eid_device_active(t, q->personal_id, ret_device);
	eid_txn_abort(t);
	if (r == EID_ENOTFOUND)
		r = eid_oauth_fail(err, "unknown_user_id",
				   "no account with a bound e-ID app for "
				   "this citizen", EID_EINVAL);
	else if (r == EID_OK && a.status != EID_ACCOUNT_ACTIVE)
		r = eid_oauth_fail(err, "access_denied",
				   "the citizen's account is not active",
				   EID_EINVAL);
	if (r == EID_OK) {
		ret_device->level = eid_device_level_now(ret_device, a.level);
		if (ret_device->level < q->acr_level)
			r = eid_oauth_fail(err, "access_denied",
					   "the citizen's app cannot reach "
					   "the level asked for", EID_EINVAL);
	}
	eid_account_clear(&a);
	return r;
}

/* The request in the store and the citizen's audit trail (their usage
 * history shows who asked). */
static int record(struct eid_app *app, const struct eid_http_request *req,
		  struct eid_ciba_request *q, uint64_t ttl,
		  char areq[EID_CIBA_AUTH_REQ_ID_LEN + 1],
		  struct eid_oauth_error *err)
{
	uint64_t now = eid_store_now(app->store);
	char actor[EID_CLIENT_ID_MAX + 8];
	eid_txn *t = NULL;
	int r = eid_ciba_create(app->store, q, now, ttl, areq);

	if (r == EID_ELIMIT)
		return eid_oauth_fail(err, "access_denied",
				      "too many requests wait for this "
				      "citizen's decision", EID_EINVAL);
	if (r != EID_OK || (r = eid_store_begin(app->store, true, &t)))
		return r;
	(void)snprintf(actor, sizeof(actor), "client:%s", q->client_id);
	r = eid_audit_record(t, "login.ciba_request", actor, q->personal_id,
			     eid_http_remote(req),
			     json_pack("{s:s, s:s}", "client_id", q->client_id,
				       "request_id", q->id),
			     (int64_t)now);
	if (r == EID_OK)
		return eid_txn_commit(t);
	eid_txn_abort(t);
	return r;
}

/* The push to the phone; the request stands without it (the app lists
 * pending requests), so a gateway failure is not the RP's error. */
static void push(struct eid_app *app, const struct eid_device *d,
		 const struct eid_ciba_request *q)
{
	char text[512];

	(void)snprintf(text, sizeof(text), "%s: %s%s%s [%s]", q->client_name,
		       "xác nhận đăng nhập / approve sign-in",
		       q->binding_message[0] != '\0' ? " — " : "",
		       q->binding_message, q->id);
	(void)eid_notify_push(&app->notify, d->id, "eID", text);
}

static int reply(struct eid_http_response *res, const char *auth_req_id,
		 uint64_t ttl)
{
	json_t *o = json_pack("{s:s, s:I, s:i}", "auth_req_id", auth_req_id,
			      "expires_in", (json_int_t)ttl, "interval",
			      EID_CIBA_INTERVAL);
	int r = o != NULL ? eid_http_reply_json(res, 200, o) : EID_ENOMEM;

	json_decref(o);
	return r;
}

int eid_api_bc_authorize(struct eid_http_request *req,
			 struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_client client = { 0 };
	struct eid_ciba_params p = { 0 };
	struct eid_ciba_request q = { 0 };
	struct eid_oauth_error err = { 0 };
	struct eid_device d = { 0 };
	char areq[EID_CIBA_AUTH_REQ_ID_LEN + 1] = "";
	uint64_t ttl = 0;
	int r;

	if ((r = read_params(req, res, &p)) != EID_OK ||
	    (r = eid_api_client_authenticate(req, res, app,
					     EID_PATH_BC_AUTHORIZE,
					     &client)) != EID_OK)
		goto out;
	if ((r = eid_ciba_request_check(&client, &p, &q, &ttl, &err)) ||
	    (p.id_token_hint != NULL &&
	     (r = hint_citizen(app, &client, p.id_token_hint, q.personal_id,
			       &err))) ||
	    (r = reachable(app, &q, &d, &err)) ||
	    (r = record(app, req, &q, ttl, areq, &err)))
		goto out;
	push(app, &d, &q);
	r = reply(res, areq, ttl);
out:
	if (r != EID_OK && r != EID_API_REPLIED && err.error != NULL)
		r = eid_api_oauth_reply(res, &err, false);
	eid_wipe(areq, sizeof(areq));
	eid_wipe(q.notify_token, sizeof(q.notify_token));
	eid_device_clear(&d);
	eid_client_clear(&client);
	return r == EID_API_REPLIED ? EID_OK : r;
}
