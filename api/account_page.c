/* The citizen's own account (signed in: eid_session cookie).
 *   GET  /account               level, status, the live sessions
 *   POST /account/session/end   end one of them (by sid)
 *   POST /account/consent/revoke withdraw the consent given to a service
 *   POST /account/lock          lock the account (reason citizen_request):
 *                               every session and token ends at once
 * and, for guardians, the children in their care (api/account_minor.c).
 * The second factor and the password change are in account_credentials.c
 * and account_password.c, the passkeys in passkey_account.c.  Forms carry
 * the browser session's CSRF token. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/account.h"
#include "api/passkey.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/clients.h"
#include "idp/consent.h"
#include "idp/session.h"

struct list_arg {
	struct eid_app *app;
	struct eid_page *p;
	const struct eid_flow_session *fs;
};

void eid_account_when(uint64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(out, 32, "%llu", (unsigned long long)t);
}

static int list_one(const struct eid_session *ses, void *arg)
{
	struct list_arg *a = arg;
	struct eid_page *p = a->p;
	char at[32], level[4];

	eid_account_when(ses->created_at, at);
	snprintf(level, sizeof(level), "%d", ses->level);
	eid_page_raw(p, "<tr><td>");
	eid_page_text(p, at);
	eid_page_raw(p, "</td><td>");
	eid_page_text(p, ses->remote);
	eid_page_raw(p, "</td><td>");
	eid_page_text(p, level);
	eid_page_raw(p, "</td><td>");
	if (strcmp(ses->sid, a->fs->ses.sid) == 0) {
		eid_page_t(p, "this browser", "trình duyệt này");
	} else {
		eid_page_raw(p, "<form method=\"post\" action=\""
				EID_PATH_ACCOUNT_SESSION_END "\">");
		eid_page_hidden(p, "csrf", a->fs->ses.csrf);
		eid_page_hidden(p, "sid", ses->sid);
		eid_page_raw(p, "<button type=\"submit\" class=\"secondary\">");
		eid_page_t(p, "End", "Kết thúc");
		eid_page_raw(p, "</button></form>");
	}
	eid_page_raw(p, "</td></tr>");
	return p->r;
}

/* One service the citizen consented to, with a button to withdraw. */
static int consent_one(const char *client_id, unsigned scopes,
		       const json_t *claims, int64_t granted_at, void *arg)
{
	struct list_arg *a = arg;
	struct eid_page *p = a->p;
	struct eid_client c;
	char at[32];

	(void)scopes;
	(void)claims;
	eid_account_when((uint64_t)granted_at, at);
	eid_page_raw(p, "<tr><td>");
	if (eid_client_get(a->app->store, client_id, &c) == EID_OK) {
		eid_page_text(p, c.name);
		eid_client_clear(&c);
	} else {
		eid_page_text(p, client_id);
	}
	eid_page_raw(p, "</td><td>");
	eid_page_text(p, at);
	eid_page_raw(p, "</td><td><form method=\"post\" action=\""
			EID_PATH_ACCOUNT_CONSENT_REVOKE "\">");
	eid_page_hidden(p, "csrf", a->fs->ses.csrf);
	eid_page_hidden(p, "client_id", client_id);
	eid_page_raw(p, "<button type=\"submit\" class=\"secondary\">");
	eid_page_t(p, "Withdraw", "Rút lại");
	eid_page_raw(p, "</button></form></td></tr>");
	return p->r;
}

int eid_account_reply(struct eid_app *app, struct eid_http_request *req,
		      struct eid_http_response *res,
		      const struct eid_flow_session *fs, const char *cls,
		      const char *notice_en, const char *notice_vi)
{
	return eid_account_reply_status(app, req, res, fs, 200, cls, notice_en,
					notice_vi, NULL);
}

int eid_account_reply_status(struct eid_app *app,
			     struct eid_http_request *req,
			     struct eid_http_response *res,
			     const struct eid_flow_session *fs, unsigned status,
			     const char *cls, const char *notice_en,
			     const char *notice_vi, const char *detail)
{
	struct list_arg la;
	struct eid_page p;
	char level[4];
	int r;

	eid_page_begin(&p, eid_page_lang(req), "Your account", "Tài khoản của bạn");
	if (notice_en != NULL)
		eid_page_notice(&p, cls, notice_en, notice_vi, detail);
	snprintf(level, sizeof(level), "%d", fs->account_level);
	eid_page_raw(&p, "<table class=\"record\" id=\"account\">");
	eid_page_row(&p, "Personal ID number", "Số định danh cá nhân",
		     fs->ses.personal_id);
	eid_page_row(&p, "Level", "Mức", level);
	eid_page_row(&p, "Status", "Trạng thái", "active");
	eid_page_raw(&p, "</table><h2>");
	eid_page_t(&p, "Signed-in sessions", "Các phiên đăng nhập");
	eid_page_raw(&p, "</h2><table id=\"sessions\"><tr><th>");
	eid_page_t(&p, "Since", "Từ");
	eid_page_raw(&p, "</th><th>");
	eid_page_t(&p, "From", "Địa chỉ");
	eid_page_raw(&p, "</th><th>");
	eid_page_t(&p, "Level", "Mức");
	eid_page_raw(&p, "</th><th></th></tr>");
	la.app = app;
	la.p = &p;
	la.fs = fs;
	r = eid_session_list(app->store, fs->ses.personal_id, list_one, &la);
	if (r != EID_OK && p.r == EID_OK)
		p.r = r;
	eid_page_raw(&p, "</table><h2>");
	eid_page_t(&p, "Services you share data with", "Các dịch vụ bạn chia sẻ thông tin");
	eid_page_raw(&p, "</h2><table id=\"consents\"><tr><th>");
	eid_page_t(&p, "Service", "Dịch vụ");
	eid_page_raw(&p, "</th><th>");
	eid_page_t(&p, "Since", "Từ");
	eid_page_raw(&p, "</th><th></th></tr>");
	r = eid_consent_list(app->store, fs->ses.personal_id, consent_one, &la);
	if (r != EID_OK && p.r == EID_OK)
		p.r = r;
	eid_page_raw(&p, "</table>");
	r = eid_account_wards_section(app, &p, fs);
	if (r != EID_OK && p.r == EID_OK)
		p.r = r;
	eid_account_credentials_section(app, &p, fs);
	r = eid_account_passkeys_section(app, &p, fs);
	if (r != EID_OK && p.r == EID_OK)
		p.r = r;
	eid_page_raw(&p, "<h2>");
	eid_page_t(&p, "Lock my account", "Khóa tài khoản");
	eid_page_raw(&p, "</h2><p>");
	eid_page_t(&p, "Locking ends every session at once. Only the police of your commune can unlock it.",
		   "Khóa tài khoản sẽ kết thúc mọi phiên đăng nhập ngay lập tức. Chỉ công an cấp xã mới có thể mở khóa.");
	eid_page_raw(&p, "</p><form method=\"post\" action=\"" EID_PATH_ACCOUNT_LOCK "\">");
	eid_page_hidden(&p, "csrf", fs->ses.csrf);
	eid_page_raw(&p, "<button type=\"submit\" id=\"lock\">");
	eid_page_t(&p, "Lock my account", "Khóa tài khoản");
	eid_page_raw(&p, "</button></form><p><a href=\"" EID_PATH_ME_HISTORY "\">");
	eid_page_t(&p, "Usage history (JSON)", "Lịch sử sử dụng (JSON)");
	eid_page_raw(&p, "</a></p>");
	return eid_page_reply(&p, res, status);
}

int eid_account_citizen(struct eid_app *app, struct eid_http_request *req,
			struct eid_http_response *res,
			struct eid_flow_session *fs, bool *ret_done)
{
	int r = eid_flow_session(app, req, fs);

	*ret_done = true;
	if (r == EID_ENOTFOUND)
		return eid_page_error(res, eid_page_lang(req), 401,
				      "Sign in first, through a service that uses the national electronic identity.",
				      "Vui lòng đăng nhập trước, qua một dịch vụ sử dụng định danh điện tử quốc gia.");
	if (r != EID_OK)
		return r;
	if (strcmp(eid_http_method(req), "POST") == 0 &&
	    !eid_page_csrf_ok(req, fs->ses.csrf))
		return eid_page_error(res, eid_page_lang(req), 403,
				      "This form has expired or was not sent from this site.",
				      "Biểu mẫu đã hết hạn hoặc không được gửi từ trang này.");
	*ret_done = false;
	return EID_OK;
}

int eid_page_account(struct eid_http_request *req,
		     struct eid_http_response *res, void *arg)
{
	struct eid_flow_session fs;
	bool done;
	int r = eid_account_citizen(arg, req, res, &fs, &done);

	if (!done)
		r = eid_account_reply(arg, req, res, &fs, "notice", NULL, NULL);
	eid_wipe(&fs, sizeof(fs));
	return r;
}

int eid_page_account_session_end(struct eid_http_request *req,
				 struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_flow_session fs;
	const char *sid = NULL;
	bool done;
	int r = eid_account_citizen(app, req, res, &fs, &done);

	if (done)
		goto out;
	if (eid_http_form_param(req, "sid", &sid) != EID_OK)
		sid = "";
	r = eid_session_end_sid(app->store, fs.ses.personal_id, sid);
	if (r == EID_OK || r == EID_ENOTFOUND)
		r = eid_account_reply(app, req, res, &fs, "notice", "The session has ended.",
				 "Phiên đăng nhập đã kết thúc.");
out:
	eid_wipe(&fs, sizeof(fs));
	return r;
}

/* Withdrawing consent makes the service ask again next time; tokens it
 * already holds are not touched (a grant ends with its own revocation). */
int eid_page_account_consent_revoke(struct eid_http_request *req,
				    struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_flow_session fs;
	char actor[EID_ACTOR_MAX + 1];
	const char *client_id = NULL;
	bool done;
	int r = eid_account_citizen(app, req, res, &fs, &done);

	if (done)
		goto out;
	if (eid_http_form_param(req, "client_id", &client_id) != EID_OK)
		client_id = "";
	snprintf(actor, sizeof(actor), "citizen:%s", fs.ses.personal_id);
	r = eid_consent_revoke(app->store, fs.ses.personal_id, client_id, actor,
			       (int64_t)eid_store_now(app->store));
	if (r == EID_OK || r == EID_ENOTFOUND)
		r = eid_account_reply(app, req, res, &fs, "notice", "Consent withdrawn.",
				 "Đã rút lại sự đồng ý.");
out:
	eid_wipe(&fs, sizeof(fs));
	return r;
}

static int lock(struct eid_app *app, const char *pid)
{
	char actor[EID_ACTOR_MAX + 1];
	eid_txn *t = NULL;
	int r;

	snprintf(actor, sizeof(actor), "citizen:%s", pid);
	if ((r = eid_store_begin(app->store, true, &t)) != EID_OK)
		return r;
	r = eid_account_lock(t, pid, EID_LOCK_CITIZEN_REQUEST, actor,
			     (int64_t)eid_store_now(app->store));
	if (r == EID_OK)
		return eid_txn_commit(t);
	eid_txn_abort(t);
	return r;
}

int eid_page_account_lock(struct eid_http_request *req,
			  struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_flow_session fs;
	struct eid_page p;
	bool done;
	int r = eid_account_citizen(app, req, res, &fs, &done);

	if (done)
		goto out;
	if ((r = lock(app, fs.ses.personal_id)) != EID_OK)
		goto out;
	if ((r = eid_account_end_everything(app->store, fs.ses.personal_id,
					    eid_store_now(app->store))) != EID_OK)
		goto out;
	if ((r = eid_flow_set_cookie(req, res, EID_SESSION_COOKIE, "", 0)))
		goto out;
	eid_page_begin(&p, eid_page_lang(req), "Your account is locked",
		       "Tài khoản đã bị khóa");
	eid_page_raw(&p, "<p id=\"locked\">");
	eid_page_t(&p, "Every session has ended. To unlock the account, go to the police of your commune with your ID card.",
		   "Mọi phiên đăng nhập đã kết thúc. Để mở khóa, vui lòng mang thẻ căn cước tới công an cấp xã.");
	eid_page_raw(&p, "</p>");
	r = eid_page_reply(&p, res, 200);
out:
	eid_wipe(&fs, sizeof(fs));
	return r;
}
