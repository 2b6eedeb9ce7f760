/* The app's side of a QR login: GET /api/v1/qr/{handle} (who asks for
 * what), POST /api/v1/qr/{handle} (approve or deny); and GET /qr/{handle},
 * the page a phone's camera opens when it is not the e-ID app. */
#include <stdio.h>
#include <string.h>

#include "api/device.h"
#include "api/html.h"
#include "api/selfservice.h"
#include "crypto/error.h"
#include "idp/clients.h"
#include "idp/qrlogin.h"

/* The handle after prefix in the path; NULL when the rest is not one. */
static const char *path_handle(const struct eid_http_request *req,
			       const char *prefix)
{
	const char *p = eid_http_path(req);
	size_t n = strlen(prefix);

	if (strncmp(p, prefix, n) != 0 ||
	    strlen(p + n) != EID_QR_HANDLE_LEN)
		return NULL;
	return p + n;
}

static int not_found(struct eid_http_response *res)
{
	return eid_ss_error(res, 404, "expired_handle",
			    "the QR code is unknown or expired", 0);
}

static int describe(struct eid_app *app, struct eid_http_response *res,
		    const struct eid_qr *q)
{
	struct eid_interaction it = { 0 };
	struct eid_client c = { 0 };
	uint64_t now = eid_store_now(app->store);
	json_t *o = NULL;
	int r;

	if (eid_interaction_get(app->store, q->interaction, &it) != EID_OK)
		return not_found(res);
	if ((r = eid_client_get(app->store, it.req.client_id, &c)) != EID_OK)
		goto out;
	o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:I}", "status",
		      eid_qr_status_name(q->status), "client_id", c.client_id,
		      "client_name", c.name, "scope",
		      it.req.scope != NULL ? it.req.scope : "", "acr_level",
		      it.req.acr_level, "expires_in",
		      (json_int_t)(q->expires_at > now ? q->expires_at - now : 0));
	if (o != NULL && it.req.claims != NULL)
		(void)json_object_set(o, "claims", it.req.claims);
	r = o != NULL ? eid_http_reply_json(res, 200, o) : EID_ENOMEM;
out:
	json_decref(o);
	eid_client_clear(&c);
	eid_interaction_clear(&it);
	return r;
}

static int decide(struct eid_app *app, struct eid_http_request *req,
		  struct eid_http_response *res, const char *handle,
		  const struct eid_device *d)
{
	bool approve = false, done = false;
	json_t *o;
	int r;

	if ((r = eid_app_decision(req, res, &approve, &done)) || done)
		return r;
	r = eid_qr_decide(app->store, handle, approve, d->personal_id, d->id,
			  d->level);
	if (r == EID_ENOTFOUND)
		return not_found(res);
	if (r == EID_ESTATE)
		return eid_ss_error(res, 409, "already_decided",
				    "this QR code was approved or denied "
				    "already", 0);
	if (r != EID_OK ||
	    (r = eid_app_audit_decision(app, req, d,
					approve ? "login.qr_approve" :
						  "login.qr_deny",
					json_object())))
		return r;
	o = json_pack("{s:s, s:i}", "status", approve ? "approved" : "denied",
		      "level", approve ? d->level : 0);
	r = o != NULL ? eid_http_reply_json(res, 200, o) : EID_ENOMEM;
	json_decref(o);
	return r;
}

int eid_api_app_qr(struct eid_http_request *req,
		   struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	const char *handle = path_handle(req, EID_PATH_APP_QR);
	struct eid_device d = { 0 };
	struct eid_qr q = { 0 };
	bool done;
	int r;

	if ((r = eid_app_device_auth(app, req, res, &d, &done)) || done)
		return r;
	if (handle == NULL || eid_qr_get(app->store, handle, &q) != EID_OK)
		r = not_found(res);
	else if (strcmp(eid_http_method(req), "POST") == 0)
		r = decide(app, req, res, handle, &d);
	else
		r = describe(app, res, &q);
	eid_device_clear(&d);
	return r;
}

int eid_page_qr_handle(struct eid_http_request *req,
		       struct eid_http_response *res, void *arg)
{
	enum eid_lang lang = eid_lang_negotiate(
		NULL, eid_http_header(req, "Accept-Language"));
	const char *t = lang == EID_LANG_EN ?
				"Scan this code with the national e-ID app." :
				"Quét mã này bằng ứng dụng định danh điện tử.";
	eid_buf b;
	int r;

	(void)arg;
	eid_buf_init(&b, EID_HTML_MAX);
	if ((r = eid_html_begin(&b, lang, t)) == EID_OK &&
	    (r = eid_buf_put_str(&b, "<p>")) == EID_OK &&
	    (r = eid_html_text(&b, t)) == EID_OK &&
	    (r = eid_buf_put_str(&b, "</p>")) == EID_OK &&
	    (r = eid_html_end(&b, lang)) == EID_OK)
		r = eid_http_reply_html(res, path_handle(req, EID_PATH_QR) ?
						     200 : 404,
					eid_buf_cstr(&b));
	eid_buf_free(&b);
	return r;
}
