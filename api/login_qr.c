/* The login page's QR login: the code on the page, its PNG, the status
 * the page polls, the continue form (which also works without
 * JavaScript), and the polling script. */
#include <string.h>

#include "api/device.h"
#include "api/flow.h"
#include "api/front.h"
#include "api/html.h"
#include "api/qr.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/qrlogin.h"

#define CSRF_PURPOSE "login" /* the login form's */
#define URL_MAX 1024u
#define PNG_MAX (256u * 1024)
#define PNG_SCALE 4u

static const char qr_js[] =
	"(function () {\n"
	"  'use strict';\n"
	"  var f = document.getElementById('qr-form');\n"
	"  if (!f) return;\n"
	"  var url = '" EID_PATH_LOGIN_QR_STATUS "?h=' +\n"
	"    encodeURIComponent(f.elements.h.value);\n"
	"  function poll() {\n"
	"    fetch(url, { credentials: 'same-origin', cache: 'no-store' })\n"
	"      .then(function (r) { return r.json(); })\n"
	"      .then(function (j) {\n"
	"        if (j.status === 'pending') setTimeout(poll, 1500);\n"
	"        else f.submit();\n"
	"      })\n"
	"      .catch(function () { setTimeout(poll, 3000); });\n"
	"  }\n"
	"  setTimeout(poll, 1000);\n"
	"})();\n";

int eid_login_qr_block(struct eid_app *app, eid_buf *b, enum eid_lang lang,
		       const struct eid_interaction *it, const char *csrf)
{
	char h[EID_QR_HANDLE_LEN + 1];
	eid_buf url;
	int r;

	eid_buf_init(&url, URL_MAX);
	if ((r = eid_qr_create(app->store, it->id, eid_store_now(app->store),
			       h)) ||
	    (r = eid_app_qr_url(app, h, &url)))
		goto out;
	if ((r = eid_buf_put_str(b, "<section class=\"qr\"><p>")) ||
	    (r = eid_html_text(b, eid_msg(lang, EID_MSG_QR_SCAN))) ||
	    (r = eid_buf_put_str(b, "</p>")) ||
	    (r = eid_qr_svg(eid_buf_cstr(&url), b)) ||
	    (r = eid_buf_put_str(b, "<p><small><a class=\"qr-png\" href=\""
				    EID_PATH_LOGIN_QR_PNG "?h=")) ||
	    (r = eid_buf_put_str(b, h)) ||
	    (r = eid_buf_put_str(b, "\">PNG</a> <code class=\"qr-url\">")) ||
	    (r = eid_html_text(b, eid_buf_cstr(&url))) ||
	    (r = eid_buf_put_str(b, "</code></small></p><form method=\"post\" "
				    "id=\"qr-form\" action=\""
				    EID_PATH_LOGIN_QR "\">")) ||
	    (r = eid_html_hidden(b, "i", it->id)) ||
	    (r = eid_html_hidden(b, "csrf", csrf)) ||
	    (r = eid_html_hidden(b, "h", h)) ||
	    (r = eid_buf_put_str(b, "<button type=\"submit\" "
				    "class=\"secondary\">")) ||
	    (r = eid_html_text(b, eid_msg(lang, EID_MSG_QR_CONTINUE))) ||
	    (r = eid_buf_put_str(b, "</button></form></section><script src=\""
				    EID_PATH_QR_JS "\" defer></script>")))
		goto out;
out:
	eid_buf_free(&url);
	return r;
}

int eid_api_qr_js(struct eid_http_request *req,
		  struct eid_http_response *res, void *arg)
{
	(void)req;
	(void)arg;
	return eid_http_reply_script(res, qr_js, sizeof(qr_js) - 1);
}

/* The status of the request's handle for this browser: EID_EPERM when
 * the handle is another browser's. */
static int browser_status(struct eid_app *app,
			  const struct eid_http_request *req,
			  const char **ret_h, enum eid_qr_status *ret)
{
	const char *h = NULL;

	if (eid_http_query_param(req, "h", &h) != EID_OK) {
		*ret = EID_QR_EXPIRED;
		return EID_OK;
	}
	*ret_h = h;
	return eid_qr_status(app->store, h,
			     eid_http_cookie(req, EID_INTERACTION_COOKIE), ret);
}

int eid_api_login_qr_status(struct eid_http_request *req,
			    struct eid_http_response *res, void *arg)
{
	enum eid_qr_status st = EID_QR_EXPIRED;
	const char *h = NULL;
	json_t *o;
	int r = browser_status(arg, req, &h, &st);

	if (r == EID_EPERM)
		return eid_http_reply_oauth_error(res, 403, "forbidden",
						  "not this browser's code");
	if (r != EID_OK)
		return r;
	o = json_pack("{s:s}", "status", eid_qr_status_name(st));
	r = o != NULL ? eid_http_reply_json(res, 200, o) : EID_ENOMEM;
	json_decref(o);
	return r;
}

int eid_api_login_qr_png(struct eid_http_request *req,
			 struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	enum eid_qr_status st = EID_QR_EXPIRED;
	const char *h = NULL;
	eid_buf url, png;
	int r = browser_status(app, req, &h, &st);

	if (r == EID_EPERM)
		return eid_http_reply_text(res, 403, "not this browser's code\n");
	if (r != EID_OK)
		return r;
	if (st != EID_QR_PENDING)
		return eid_http_reply_text(res, 404, "expired\n");
	eid_buf_init(&url, URL_MAX);
	eid_buf_init(&png, PNG_MAX);
	if ((r = eid_app_qr_url(app, h, &url)) == EID_OK &&
	    (r = eid_qr_png(eid_buf_cstr(&url), PNG_SCALE, &png)) == EID_OK)
		r = eid_http_reply_bytes(res, 200, "image/png", png.data,
					 png.len);
	eid_buf_free(&url);
	eid_buf_free(&png);
	return r;
}

/* The approval stands if the account is still active and the device
 * still bound; the level is recomputed from today's account. */
static int approved(struct eid_app *app, const struct eid_http_request *req,
		    struct eid_http_response *res, struct eid_interaction *it,
		    const struct eid_qr *q)
{
	struct eid_device d = { 0 };
	struct eid_account a;
	eid_txn *t = NULL;
	int r, level;

	if ((r = eid_store_begin(app->store, false, &t)) != EID_OK)
		return r;
	r = eid_account_get(t, q->personal_id, &a);
	if (r == EID_OK && (r = eid_device_get(t, q->device_id, &d)) == EID_OK &&
	    !d.active)
		r = EID_ENOTFOUND;
	eid_txn_abort(t);
	eid_device_clear(&d);
	if (r == EID_ENOTFOUND)
		return eid_login_reply(app, req, res, it, 200, EID_MSG_QR_DENIED);
	if (r != EID_OK)
		return r;
	if (a.status != EID_ACCOUNT_ACTIVE) {
		eid_account_clear(&a);
		return eid_login_reply(app, req, res, it, 403, EID_MSG_LOCKED);
	}
	level = q->level == 2 && a.level == 2 ? 2 : 1;
	/* RFC 8176: a hardware-held key, with the citizen present. */
	r = eid_login_open_session(app, req, res, it, a.personal_id, a.level,
				   level, "hwk user");
	eid_account_clear(&a);
	return r;
}

int eid_api_login_qr_post(struct eid_http_request *req,
			  struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_interaction it = { 0 };
	struct eid_qr q = { 0 };
	const char *h = NULL;
	bool done;
	int r;

	if ((r = eid_flow_posted(app, req, res, CSRF_PURPOSE, &it, &done)) ||
	    done)
		goto out;
	(void)eid_http_form_param(req, "h", &h);
	r = eid_qr_take(app->store, h, it.id, &q);
	if (r == EID_EPERM)
		r = eid_flow_error_page(res, eid_flow_lang(req, it.req.ui_locales),
					403, EID_MSG_FORBIDDEN, NULL);
	else if (r == EID_ESTATE || r == EID_ENOTFOUND)
		r = eid_login_reply(app, req, res, &it, 200, EID_MSG_QR_PENDING);
	else if (r == EID_OK && q.status != EID_QR_APPROVED)
		r = eid_login_reply(app, req, res, &it, 200, EID_MSG_QR_DENIED);
	else if (r == EID_OK)
		r = approved(app, req, res, &it, &q);
out:
	eid_interaction_clear(&it);
	return r;
}
