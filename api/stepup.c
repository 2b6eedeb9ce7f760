/* GET /login/otp?i=ID: a level-2 step-up after the password: a one-time
 * code goes to the account's phone and this page asks for it; or the
 * citizen signs in again with a passkey (api/passkey_login.c), which with
 * user verification reaches level 2 by itself.
 * POST /login/otp: check the code; the right one raises the browser
 * session to level 2 (amr "otp" and "sms", RFC 8176), then the flow goes
 * on.  A wrong code shows the page again; after EID_OTP_MAX_ATTEMPTS
 * wrong ones the code is burnt and the relying party gets access_denied
 * (the citizen starts again from the service).
 *
 * A citizen who enrolled an authenticator app (idp/credentials.h) is
 * asked for its code, or a recovery code, instead, and no SMS is sent:
 * the app exists to take the phone network (SIM swap) out of the path,
 * so SMS is not offered beside it.  The right code gives amr "otp" alone.
 * Wrong codes count under the [lockout] rules; while throttled the
 * relying party gets access_denied. */
#include <string.h>

#include "api/flow.h"
#include "api/front.h"
#include "api/html.h"
#include "api/passkey.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/accounts.h"
#include "idp/credentials.h"
#include "idp/otp.h"

#define CSRF_PURPOSE "otp"

static int account_phone(const struct eid_app *app, const char *personal_id,
			 char ret[EID_PHONE_MAX + 1])
{
	struct eid_account a;
	eid_txn *t = NULL;
	int r;

	if ((r = eid_store_begin(app->store, false, &t)) != EID_OK)
		return r;
	r = eid_account_get(t, personal_id, &a);
	eid_txn_abort(t);
	if (r != EID_OK)
		return r;
	memcpy(ret, a.phone, EID_PHONE_MAX + 1);
	eid_account_clear(&a);
	return ret[0] != '\0' ? EID_OK : EID_ENOTFOUND;
}

/* A code for the session.  Throttled: the one sent a moment ago is still
 * good, so the page is shown all the same. */
static int send_code(struct eid_app *app, const struct eid_flow_session *fs)
{
	char phone[EID_PHONE_MAX + 1];
	int r;

	if ((r = account_phone(app, fs->ses.personal_id, phone)) != EID_OK)
		return r;
	r = eid_otp_issue(app->store, EID_OTP_STEPUP, fs->ses.sid, phone,
			  &app->notify, (int64_t)eid_store_now(app->store),
			  NULL);
	return r == EID_ELIMIT ? EID_OK : r;
}

/* Whether the citizen's second factor is an authenticator app.  An error
 * reading it is an error, never a quiet fall back to SMS. */
static int uses_totp(struct eid_app *app, const char *personal_id,
		     bool *ret_totp)
{
	struct eid_cred_status st;
	eid_txn *t = NULL;
	int r;

	if ((r = eid_store_begin(app->store, false, &t)) != EID_OK)
		return r;
	r = eid_cred_status(t, personal_id, &st);
	eid_txn_abort(t);
	if (r == EID_OK)
		*ret_totp = st.totp_active;
	return r;
}

static int code_input(eid_buf *b, enum eid_lang lang, bool totp)
{
	int r;

	if ((r = eid_buf_put_str(b, "<label for=\"code\">")) ||
	    (r = eid_html_text(b, eid_msg(lang, totp ? EID_MSG_TOTP_CODE
						     : EID_MSG_CODE))) ||
	    (r = eid_buf_put_str(b, "</label>")))
		return r;
	/* A recovery code is ten letters and digits, with a dash. */
	if (totp)
		return eid_buf_put_str(b, "<input id=\"code\" name=\"code\" "
					  "type=\"text\" maxlength=\"16\" "
					  "autocomplete=\"one-time-code\" "
					  "required>");
	return eid_buf_put_str(b, "<input id=\"code\" name=\"code\" "
				  "type=\"text\" inputmode=\"numeric\" "
				  "pattern=\"[0-9]{6}\" maxlength=\"6\" "
				  "autocomplete=\"one-time-code\" required>");
}

static int otp_form(struct eid_app *app, eid_buf *b, enum eid_lang lang,
		    const struct eid_interaction *it, bool totp,
		    enum eid_msg error)
{
	char csrf[EID_FLOW_CSRF_LEN + 1], login_csrf[EID_FLOW_CSRF_LEN + 1];
	int r;

	if ((r = eid_flow_csrf(app, CSRF_PURPOSE, it->id, csrf)) != EID_OK ||
	    (r = eid_flow_csrf(app, EID_LOGIN_CSRF_PURPOSE, it->id,
			       login_csrf)) != EID_OK)
		return r;
	if ((r = eid_html_begin(b, lang, eid_msg(lang, EID_MSG_STEPUP_TITLE))) ||
	    (r = eid_buf_put_str(b, "<h1>")) ||
	    (r = eid_html_text(b, eid_msg(lang, EID_MSG_STEPUP_TITLE))) ||
	    (r = eid_buf_put_str(b, "</h1><p>")) ||
	    (r = eid_html_text(b, eid_msg(lang, totp ? EID_MSG_STEPUP_TOTP_TEXT
						     : EID_MSG_STEPUP_TEXT))) ||
	    (r = eid_buf_put_str(b, "</p>")))
		return r;
	if ((r = eid_html_alert(b, lang, error)))
		return r;
	if ((r = eid_buf_put_str(b, "<form method=\"post\" action=\""
				    EID_PATH_LOGIN_OTP "\">")) ||
	    (r = eid_html_hidden(b, "i", it->id)) ||
	    (r = eid_html_hidden(b, "csrf", csrf)) ||
	    (r = code_input(b, lang, totp)) ||
	    (r = eid_html_submit_cancel(b, lang, EID_MSG_SUBMIT_REGISTER)) ||
	    (r = eid_login_passkey_block(b, lang, it, login_csrf)))
		return r;
	return eid_html_end(b, lang);
}

/* The page, with an error message (EID_MSG_COUNT: none). */
static int reply_form(struct eid_app *app, const struct eid_http_request *req,
		      struct eid_http_response *res,
		      const struct eid_interaction *it, bool totp,
		      enum eid_msg error)
{
	enum eid_lang lang = eid_flow_lang(req, it->req.ui_locales);
	eid_buf b;
	int r;

	eid_buf_init(&b, EID_HTML_MAX);
	r = otp_form(app, &b, lang, it, totp, error);
	if (r == EID_OK)
		r = eid_http_reply_html(res, 200, eid_buf_cstr(&b));
	if (r == EID_OK)
		r = eid_flow_csp(res, it->req.redirect_uri);
	eid_buf_free(&b);
	return r;
}

/* The browser session, when this interaction is at the step-up; otherwise
 * the flow decides where the browser goes, and *ret_done is set. */
static int at_stepup(struct eid_app *app, const struct eid_http_request *req,
		     struct eid_http_response *res, struct eid_interaction *it,
		     struct eid_flow_session *fs, bool *ret_done)
{
	bool have = eid_flow_session(app, req, fs) == EID_OK;

	*ret_done = !have || !eid_flow_login_done(app, it, fs) ||
		    fs->ses.level >= it->req.acr_level ||
		    fs->account_level < it->req.acr_level;
	if (!*ret_done)
		return EID_OK;
	return eid_flow_next(app, req, res, it, have ? fs : NULL);
}

int eid_api_stepup_page(struct eid_http_request *req,
			struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_interaction it = { 0 };
	struct eid_flow_session fs = { 0 };
	bool done, totp = false;
	int r;

	if (eid_flow_interaction(app, req, &it) != EID_OK)
		return eid_flow_expired(req, res);
	if ((r = at_stepup(app, req, res, &it, &fs, &done)) != EID_OK || done)
		goto out;
	if ((r = uses_totp(app, fs.ses.personal_id, &totp)) != EID_OK)
		goto out;
	if (totp)
		r = reply_form(app, req, res, &it, true, EID_MSG_COUNT);
	else if ((r = send_code(app, &fs)) == EID_OK)
		r = reply_form(app, req, res, &it, false, EID_MSG_COUNT);
out:
	eid_wipe(&fs, sizeof(fs));
	eid_interaction_clear(&it);
	return r;
}

/* The code was right: level 2, then on. */
static int raised(struct eid_app *app, const struct eid_http_request *req,
		  struct eid_http_response *res, struct eid_interaction *it,
		  struct eid_flow_session *fs, const char *amr)
{
	int r;

	if ((r = eid_session_raise(app->store, fs->cookie, 2, amr,
				   eid_store_now(app->store))) != EID_OK ||
	    (r = eid_flow_session(app, req, fs)) != EID_OK)
		return r;
	return eid_flow_next(app, req, res, it, fs);
}

static int check_code(struct eid_app *app, const struct eid_http_request *req,
		      struct eid_http_response *res, struct eid_interaction *it,
		      struct eid_flow_session *fs, const char *code)
{
	int r = eid_otp_check(app->store, EID_OTP_STEPUP, fs->ses.sid, code,
			      (int64_t)eid_store_now(app->store));

	switch (r) {
	case EID_OK:
		return raised(app, req, res, it, fs, "otp sms");
	case EID_EAUTH:
		return reply_form(app, req, res, it, false, EID_MSG_CODE_WRONG);
	case EID_ELIMIT:
		return eid_flow_fail(app, req, res, it, "access_denied",
				     "too many wrong one-time codes");
	case EID_EEXPIRED:
	case EID_EREPLAY:
	case EID_ENOTFOUND:
		/* Gone: a new one is on its way. */
		if ((r = send_code(app, fs)) != EID_OK)
			return r;
		return reply_form(app, req, res, it, false, EID_MSG_CODE_WRONG);
	default:
		return r;
	}
}

/* The authenticator's code or a recovery code; the failure count it
 * writes commits whatever the answer. */
static int check_totp(struct eid_app *app, const struct eid_http_request *req,
		      struct eid_http_response *res, struct eid_interaction *it,
		      struct eid_flow_session *fs, const char *code)
{
	eid_txn *t = NULL;
	int r, c;

	if ((r = eid_store_begin(app->store, true, &t)) != EID_OK)
		return r;
	r = eid_cred_check(t, &app->cred_keys, &app->policy.lockout,
			   fs->ses.personal_id, code,
			   (int64_t)eid_store_now(app->store),
			   eid_http_remote(req), NULL, NULL);
	if (r == EID_OK || r == EID_EAUTH) {
		if ((c = eid_txn_commit(t)) != EID_OK)
			return c;
	} else {
		eid_txn_abort(t);
	}
	switch (r) {
	case EID_OK:
		return raised(app, req, res, it, fs, "otp");
	case EID_EAUTH:
		return reply_form(app, req, res, it, true, EID_MSG_CODE_WRONG);
	case EID_ELIMIT:
		return eid_flow_fail(app, req, res, it, "access_denied",
				     "too many wrong one-time codes");
	default:
		return r;
	}
}

int eid_api_stepup_post(struct eid_http_request *req,
			struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_interaction it = { 0 };
	struct eid_flow_session fs = { 0 };
	const char *code = NULL, *cancel = NULL;
	bool done, totp = false;
	int r;

	if ((r = eid_flow_posted(app, req, res, CSRF_PURPOSE, &it, &done)) ||
	    done)
		goto out;
	if (eid_http_form_param(req, "cancel", &cancel) == EID_OK) {
		r = eid_flow_fail(app, req, res, &it, "access_denied",
				  "the citizen cancelled the sign-in");
		goto out;
	}
	if ((r = at_stepup(app, req, res, &it, &fs, &done)) != EID_OK || done)
		goto out;
	if (eid_http_form_param(req, "code", &code) != EID_OK)
		code = "";
	if ((r = uses_totp(app, fs.ses.personal_id, &totp)) != EID_OK)
		goto out;
	if (totp)
		r = check_totp(app, req, res, &it, &fs, code);
	else
		r = check_code(app, req, res, &it, &fs, code);
out:
	eid_wipe(&fs, sizeof(fs));
	eid_interaction_clear(&it);
	return r;
}
