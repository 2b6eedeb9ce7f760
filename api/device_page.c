/* GET /device: the page where a citizen enters the code a TV or kiosk
 * shows (pre-filled from verification_uri_complete, never submitted for
 * them); POST /device: the code checked (every attempt counts against
 * [limits] user_code, api/limits.c), then the usual sign-in, step-up and
 * a consent page that names the device's code (RFC 8628 5.4: the citizen
 * confirms it is the code in front of them).  GET /device/qr.png: the
 * QR code of verification_uri_complete for a kiosk to show.
 *
 * The code form carries no CSRF token: posting it only starts an
 * interaction; nothing is granted before the consent page's own
 * CSRF-protected approval. */
#include <stdio.h>
#include <string.h>

#include "api/device_grant.h"
#include "api/flow.h"
#include "api/html.h"
#include "api/qr.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/audit.h"
#include "idp/discovery.h"

#define PNG_MAX (256u * 1024)
#define PNG_SCALE 4u

static int code_form(eid_buf *b, enum eid_lang lang, const char *shown,
		     enum eid_msg error)
{
	int r;

	if ((r = eid_html_begin(b, lang, eid_msg(lang, EID_MSG_DEVICE_TITLE))) ||
	    (r = eid_buf_put_str(b, "<h1>")) ||
	    (r = eid_html_text(b, eid_msg(lang, EID_MSG_DEVICE_TITLE))) ||
	    (r = eid_buf_put_str(b, "</h1><p>")) ||
	    (r = eid_html_text(b, eid_msg(lang, EID_MSG_DEVICE_ENTER))) ||
	    (r = eid_buf_put_str(b, "</p>")) ||
	    (r = eid_html_alert(b, lang, error)))
		return r;
	/* A code that came in the link: the citizen checks it first. */
	if (shown[0] != '\0' &&
	    ((r = eid_buf_put_str(b, "<p><strong>")) ||
	     (r = eid_html_text(b, eid_msg(lang, EID_MSG_DEVICE_CONFIRM))) ||
	     (r = eid_buf_put_str(b, "</strong></p>"))))
		return r;
	if ((r = eid_buf_put_str(b, "<form method=\"post\" action=\""
				    EID_PATH_DEVICE "\"><label for=\"user_code\">")) ||
	    (r = eid_html_text(b, eid_msg(lang, EID_MSG_DEVICE_CODE))) ||
	    (r = eid_buf_put_str(b, "</label><input id=\"user_code\" "
				    "name=\"user_code\" type=\"text\" "
				    "maxlength=\"32\" autocomplete=\"off\" "
				    "autocapitalize=\"characters\" value=\"")) ||
	    (r = eid_html_text(b, shown)) ||
	    (r = eid_buf_put_str(b, "\" required><button type=\"submit\">")) ||
	    (r = eid_html_text(b, eid_msg(lang, EID_MSG_DEVICE_NEXT))) ||
	    (r = eid_buf_put_str(b, "</button></form>")))
		return r;
	return eid_html_end(b, lang);
}

static int reply_form(const struct eid_http_request *req,
		      struct eid_http_response *res, unsigned status,
		      const char *shown, enum eid_msg error)
{
	eid_buf b;
	int r;

	eid_buf_init(&b, EID_HTML_MAX);
	r = code_form(&b, eid_flow_lang(req, NULL), shown, error);
	if (r == EID_OK)
		r = eid_http_reply_html(res, status, eid_buf_cstr(&b));
	eid_buf_free(&b);
	return r;
}

/* The code of the request ("user_code"), normalised; "" when absent or
 * not a well-formed code. */
static void user_code_param(const struct eid_http_request *req, bool form,
			    char ret[EID_DEVGRANT_USER_CODE_LEN + 1])
{
	const char *v = NULL;
	int r = form ? eid_http_form_param(req, "user_code", &v) :
		       eid_http_param(req, "user_code", &v);

	if (r != EID_OK ||
	    eid_devgrant_user_code_normalise(v, ret) != EID_OK)
		ret[0] = '\0';
}

/* The request of the interaction that runs the sign-in and consent for
 * request d. */
static int device_request(const struct eid_devgrant *d,
			  struct eid_interaction *it)
{
	struct eid_authz_request *q = &it->req;

	q->max_age = -1;
	q->scopes = d->scopes;
	q->acr_level = d->acr_level;
	/* Always the consent page: it shows the code to confirm. */
	q->prompt = EID_PROMPT_CONSENT;
	if ((q->client_id = strdup(d->client_id)) == NULL ||
	    (q->scope = strdup(d->scope)) == NULL ||
	    (q->user_code = strdup(d->user_code)) == NULL)
		return EID_ENOMEM;
	return EID_OK;
}

static int code_posted(struct eid_app *app, struct eid_http_request *req,
		       struct eid_http_response *res)
{
	char code[EID_DEVGRANT_USER_CODE_LEN + 1];
	struct eid_interaction it = { 0 };
	struct eid_devgrant d;
	int r;

	user_code_param(req, true, code);
	r = code[0] != '\0' ? eid_devgrant_by_user_code(app->store, code, &d) :
			      EID_ENOTFOUND;
	if (r == EID_ENOTFOUND || r == EID_EMALFORMED)
		return reply_form(req, res, 400, "", EID_MSG_DEVICE_WRONG);
	if (r != EID_OK)
		return r;
	if ((r = device_request(&d, &it)) == EID_OK)
		r = eid_flow_begin(app, req, res, &it);
	eid_interaction_clear(&it);
	return r;
}

int eid_page_device(struct eid_http_request *req,
		    struct eid_http_response *res, void *arg)
{
	char code[EID_DEVGRANT_USER_CODE_LEN + 1];
	char shown[EID_DEVGRANT_USER_CODE_SHOWN + 1] = "";

	if (strcmp(eid_http_method(req), "POST") == 0)
		return code_posted(arg, req, res);
	user_code_param(req, false, code);
	if (code[0] != '\0')
		eid_devgrant_user_code_show(code, shown);
	return reply_form(req, res, 200, shown, EID_MSG_COUNT);
}

/* Any well-formed code gets its picture, pending or not: the image must
 * not tell a guesser which codes are live. */
int eid_page_device_qr(struct eid_http_request *req,
		       struct eid_http_response *res, void *arg)
{
	char code[EID_DEVGRANT_USER_CODE_LEN + 1];
	char url[EID_API_URL_MAX];
	eid_buf png;
	int r;

	user_code_param(req, false, code);
	if (code[0] == '\0')
		return eid_http_reply_text(res, 400, "user_code is missing or "
					   "malformed\n");
	if ((r = eid_device_grant_url(arg, EID_PATH_DEVICE, code, url)) !=
	    EID_OK)
		return r;
	eid_buf_init(&png, PNG_MAX);
	if ((r = eid_qr_png(url, PNG_SCALE, &png)) == EID_OK)
		r = eid_http_reply_bytes(res, 200, "image/png", png.data,
					 png.len);
	eid_buf_free(&png);
	return r;
}

/* ---- the end of the citizen's part ---- */

static int audit_decision(struct eid_app *app,
			  const struct eid_http_request *req,
			  const struct eid_interaction *it,
			  const struct eid_session *ses, const char *error)
{
	char actor[32] = "anonymous";
	eid_txn *t = NULL;
	int r;

	if (ses != NULL)
		(void)snprintf(actor, sizeof(actor), "citizen:%s",
			       ses->personal_id);
	if ((r = eid_store_begin(app->store, true, &t)) != EID_OK)
		return r;
	r = eid_audit_record(t, error == NULL ? "device.approve" :
						"device.deny",
			     actor, ses != NULL ? ses->personal_id : NULL,
			     eid_http_remote(req),
			     json_pack("{s:s, s:s, s:s?}", "client_id",
				       it->req.client_id, "scope",
				       it->req.scope, "error", error),
			     (int64_t)eid_store_now(app->store));
	if (r == EID_OK)
		return eid_txn_commit(t);
	eid_txn_abort(t);
	return r;
}

static int decide(struct eid_app *app, const struct eid_interaction *it,
		  const struct eid_session *ses, const char *error)
{
	struct eid_grant g;
	int r;

	if (error != NULL)
		return eid_devgrant_decide(app->store, it->req.user_code, false,
					   NULL);
	if ((r = eid_flow_grant(ses, &it->req, &g)) != EID_OK)
		return r;
	/* The session is the phone's browser's, not the device's: the
	 * device's tokens do not end with it. */
	g.sid = NULL;
	r = eid_devgrant_decide(app->store, it->req.user_code, true, &g);
	json_decref(g.amr);
	return r;
}

static int result_page(struct eid_http_response *res, enum eid_lang lang,
		       enum eid_msg msg)
{
	eid_buf b;
	int r;

	eid_buf_init(&b, EID_HTML_MAX);
	if ((r = eid_html_begin(&b, lang, eid_msg(lang, EID_MSG_DEVICE_TITLE))) ||
	    (r = eid_buf_put_str(&b, "<h1>")) ||
	    (r = eid_html_text(&b, eid_msg(lang, EID_MSG_DEVICE_TITLE))) ||
	    (r = eid_buf_put_str(&b, "</h1><p>")) ||
	    (r = eid_html_text(&b, eid_msg(lang, msg))) ||
	    (r = eid_buf_put_str(&b, "</p>")) ||
	    (r = eid_html_end(&b, lang)))
		goto out;
	r = eid_http_reply_html(res, 200, eid_buf_cstr(&b));
out:
	eid_buf_free(&b);
	return r;
}

int eid_device_grant_finish(struct eid_app *app,
			    const struct eid_http_request *req,
			    struct eid_http_response *res,
			    const struct eid_interaction *it,
			    const struct eid_session *ses, const char *error)
{
	enum eid_lang lang = eid_flow_lang(req, it->req.ui_locales);
	struct eid_flow_session fs;
	bool have_session = false;
	int r;

	if (error == NULL && ses == NULL)
		return EID_EINVAL;
	/* Who denied, for the audit trail, when someone had signed in. */
	if (ses == NULL && eid_flow_session(app, req, &fs) == EID_OK) {
		have_session = true;
		ses = &fs.ses;
	}
	r = decide(app, it, ses, error);
	(void)eid_interaction_end(app->store, it->id);
	/* Expired meanwhile, or decided in another browser. */
	if (r == EID_ENOTFOUND || r == EID_ESTATE)
		r = eid_flow_error_page(res, lang, 400, EID_MSG_DEVICE_WRONG,
					"expired_token");
	else if (r == EID_OK &&
		 (r = audit_decision(app, req, it, ses, error)) == EID_OK)
		r = result_page(res, lang, error == NULL ?
						   EID_MSG_DEVICE_DONE :
						   EID_MSG_DEVICE_DENIED);
	if (r == EID_OK)
		r = eid_flow_set_cookie(req, res, EID_INTERACTION_COOKIE, NULL,
					0);
	if (have_session)
		eid_wipe(&fs, sizeof(fs));
	return r;
}
