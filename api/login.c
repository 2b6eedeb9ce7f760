/* GET /login?i=ID: the sign-in form; POST /login: check the personal ID
 * number and password, open the browser session, go on. */
#include <stdio.h>
#include <string.h>

#include "api/device.h"
#include "api/flow.h"
#include "api/front.h"
#include "api/html.h"
#include "api/passkey.h"
#include "crypto/error.h"
#include "crypto/secret.h"

#define CSRF_PURPOSE "login"

/* A 12-digit login_hint pre-fills the form; anything else is not shown. */
static const char *hint_value(const struct eid_authz_request *q)
{
	const char *h = q->login_hint;

	if (h == NULL || strlen(h) != 12 || strspn(h, "0123456789") != 12)
		return "";
	return h;
}

static int put_field(eid_buf *b, enum eid_lang lang, enum eid_msg label,
		     const char *attrs, const char *value)
{
	const char *name = strstr(attrs, "password") ? "password" : "username";
	int r;

	if ((r = eid_buf_printf(b, "<label for=\"%s\">", name)) ||
	    (r = eid_html_text(b, eid_msg(lang, label))) ||
	    (r = eid_buf_printf(b, "</label><input id=\"%s\" name=\"%s\" %s",
				name, name, attrs)))
		return r;
	if (value != NULL &&
	    ((r = eid_buf_put_str(b, " value=\"")) ||
	     (r = eid_html_text(b, value)) || (r = eid_buf_put_str(b, "\""))))
		return r;
	return eid_buf_put_str(b, " required>");
}

static int login_form(struct eid_app *app, eid_buf *b, enum eid_lang lang,
		      const struct eid_interaction *it, const char *client_name,
		      enum eid_msg error)
{
	char csrf[EID_FLOW_CSRF_LEN + 1];
	int r;

	if ((r = eid_flow_csrf(app, CSRF_PURPOSE, it->id, csrf)) != EID_OK)
		return r;
	if ((r = eid_html_begin(b, lang, eid_msg(lang, EID_MSG_LOGIN_TITLE))) ||
	    (r = eid_buf_put_str(b, "<h1>")) ||
	    (r = eid_html_text(b, eid_msg(lang, EID_MSG_LOGIN_TITLE))) ||
	    (r = eid_buf_put_str(b, "</h1><p>")) ||
	    (r = eid_html_text(b, eid_msg(lang, EID_MSG_LOGIN_FOR))) ||
	    (r = eid_buf_put_str(b, " <span class=\"client\">")) ||
	    (r = eid_html_text(b, client_name)) ||
	    (r = eid_buf_put_str(b, "</span></p>")))
		return r;
	if ((r = eid_html_alert(b, lang, error)))
		return r;
	if ((r = eid_buf_put_str(b, "<form method=\"post\" action=\""
				    EID_PATH_LOGIN "\">")) ||
	    (r = eid_html_hidden(b, "i", it->id)) ||
	    (r = eid_html_hidden(b, "csrf", csrf)) ||
	    (r = put_field(b, lang, EID_MSG_USERNAME,
			   "type=\"text\" inputmode=\"numeric\" "
			   "pattern=\"[0-9]{12}\" maxlength=\"12\" "
			   "autocomplete=\"username\"",
			   hint_value(&it->req))) ||
	    (r = put_field(b, lang, EID_MSG_PASSWORD,
			   "type=\"password\" autocomplete=\"current-password\" "
			   "maxlength=\"1024\"", NULL)) ||
	    (r = eid_html_submit_cancel(b, lang, EID_MSG_SUBMIT_LOGIN)) ||
	    (r = eid_login_passkey_block(b, lang, it, csrf)) ||
	    (r = eid_login_qr_block(app, b, lang, it, csrf)))
		return r;
	return eid_html_end(b, lang);
}

int eid_login_reply(struct eid_app *app, const struct eid_http_request *req,
		    struct eid_http_response *res,
		    const struct eid_interaction *it, unsigned status,
		    enum eid_msg error)
{
	enum eid_lang lang = eid_flow_lang(req, it->req.ui_locales);
	struct eid_client c = { 0 };
	eid_buf b;
	int r;

	if ((r = eid_client_get(app->store, it->req.client_id, &c)) != EID_OK)
		return r;
	eid_buf_init(&b, EID_HTML_MAX);
	r = login_form(app, &b, lang, it, c.name, error);
	if (r == EID_OK)
		r = eid_http_reply_html(res, status, eid_buf_cstr(&b));
	if (r == EID_OK)
		r = eid_flow_csp(res, it->req.redirect_uri);
	eid_buf_free(&b);
	eid_client_clear(&c);
	return r;
}

int eid_api_login_page(struct eid_http_request *req,
		       struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_interaction it = { 0 };
	int r;

	if (eid_flow_interaction(app, req, &it) != EID_OK)
		return eid_flow_expired(req, res);
	r = eid_login_reply(app, req, res, &it, 200, EID_MSG_COUNT);
	eid_interaction_clear(&it);
	return r;
}

int eid_login_open_session(struct eid_app *app,
			   const struct eid_http_request *req,
			   struct eid_http_response *res,
			   struct eid_interaction *it, const char *personal_id,
			   int account_level, int level, const char *amr)
{
	const char *old = eid_http_cookie(req, EID_SESSION_COOKIE);
	struct eid_flow_session fs = { 0 };
	int r;

	if (old != NULL)
		(void)eid_session_end(app->store, old);
	fs.account_level = account_level;
	if ((r = eid_session_create(app->store, personal_id, level, amr,
				    eid_http_remote(req),
				    eid_store_now(app->store),
				    EID_FLOW_SESSION_TTL, fs.cookie,
				    &fs.ses)) != EID_OK ||
	    (r = eid_flow_set_cookie(req, res, EID_SESSION_COOKIE, fs.cookie,
				     EID_FLOW_SESSION_TTL)) != EID_OK ||
	    (r = eid_interaction_set_login(app->store, it->id,
					   fs.ses.sid)) != EID_OK)
		goto out;
	memcpy(it->login_sid, fs.ses.sid, sizeof(it->login_sid));
	r = eid_flow_next(app, req, res, it, &fs);
out:
	eid_wipe(&fs, sizeof(fs));
	return r;
}

static int refused(struct eid_app *app, const struct eid_http_request *req,
		   struct eid_http_response *res, struct eid_interaction *it,
		   int verdict, const struct eid_login_info *info)
{
	char after[24];
	int r;

	switch (verdict) {
	case EID_ELIMIT:
		snprintf(after, sizeof(after), "%llu",
			 (unsigned long long)(info->retry_after ? info->retry_after : 1));
		if ((r = eid_login_reply(app, req, res, it, 429, EID_MSG_TOO_MANY)))
			return r;
		return eid_http_set_header(res, "Retry-After", after);
	case EID_ELOCKED:
		return eid_login_reply(app, req, res, it, 403, EID_MSG_LOCKED);
	case EID_ESTATE:
		return eid_login_reply(app, req, res, it, 403, EID_MSG_NOT_ACTIVE);
	case EID_EAUTH:
		/* Never which of the two was wrong. */
		return eid_login_reply(app, req, res, it, 200, EID_MSG_BAD_CREDENTIALS);
	case EID_ENETWORK: /* the registry could not say whether the card
			      is still good: no session, no lock */
		if ((r = eid_login_reply(app, req, res, it, 503,
					 EID_MSG_REGISTRY_UNAVAILABLE)))
			return r;
		return eid_http_set_header(res, "Retry-After", "60");
	default:
		return verdict;
	}
}

int eid_api_login_post(struct eid_http_request *req,
		       struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_interaction it = { 0 };
	struct eid_login_info info = { 0 };
	struct eid_account acct;
	const char *user = NULL, *pw = NULL, *cancel = NULL;
	bool done;
	int r;

	if ((r = eid_flow_posted(app, req, res, CSRF_PURPOSE, &it, &done)) ||
	    done)
		goto out;
	if (eid_http_form_param(req, "cancel", &cancel) == EID_OK) {
		r = eid_flow_fail(app, req, res, &it, "access_denied",
				  "the citizen cancelled the sign-in");
		goto out;
	}
	if (eid_http_form_param(req, "username", &user) != EID_OK)
		user = "";
	if (eid_http_form_param(req, "password", &pw) != EID_OK)
		pw = "";
	r = eid_account_authenticate(app->store, &app->registry,
				     &app->policy, user, pw,
				     eid_http_remote(req),
				     (int64_t)eid_store_now(app->store), &acct,
				     &info);
	if (r == EID_OK) {
		/* A password alone is level 1, whatever the account's. */
		r = eid_login_open_session(app, req, res, &it,
					   acct.personal_id, acct.level, 1,
					   "pwd");
		eid_account_clear(&acct);
	} else {
		r = refused(app, req, res, &it, r, &info);
	}
out:
	eid_interaction_clear(&it);
	return r;
}
