/* GET/POST /officer/login: an officer signs in with officer ID, password
 * and a TOTP code (an officer without a second factor cannot);
 * POST /officer/logout ends the session. */
#include <stdio.h>
#include <string.h>

#include "api/console.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/officers.h"

#define CSRF_COOKIE "eid_officer_csrf"

static int login_page(struct eid_http_request *req,
		      struct eid_http_response *res, unsigned status,
		      const char *err_en, const char *err_vi)
{
	struct eid_page p;
	char csrf[44];
	int r;

	eid_page_begin(&p, eid_page_lang(req), "Officer sign-in",
		       "Cán bộ đăng nhập");
	if ((r = eid_page_csrf_cookie(req, res, CSRF_COOKIE, EID_PATH_OFFICER,
				      csrf)) != EID_OK)
		p.r = r;
	if (err_en != NULL)
		eid_page_notice(&p, "error", err_en, err_vi, NULL);
	eid_page_raw(&p, "<form method=\"post\" action=\""
			 EID_PATH_OFFICER_LOGIN "\">");
	eid_page_hidden(&p, "csrf", csrf);
	eid_page_input(&p, "Officer ID", "Mã cán bộ", "text", "officer_id",
		       NULL, "autocomplete=\"username\" maxlength=\"64\" required");
	eid_page_input(&p, "Password", "Mật khẩu", "password", "password",
		       NULL, "autocomplete=\"current-password\" "
			     "maxlength=\"1024\" required");
	eid_page_input(&p, "Authenticator code (6 digits)",
		       "Mã xác thực (6 chữ số)", "text", "totp", NULL,
		       "inputmode=\"numeric\" pattern=\"[0-9]{6}\" "
		       "maxlength=\"6\" autocomplete=\"one-time-code\" required");
	eid_page_raw(&p, "<button type=\"submit\">");
	eid_page_t(&p, "Sign in", "Đăng nhập");
	eid_page_raw(&p, "</button></form>");
	eid_wipe(csrf, sizeof(csrf));
	return eid_page_reply(&p, res, status);
}

static int signed_in(struct eid_app *app, struct eid_http_request *req,
		     struct eid_http_response *res,
		     const struct eid_officer *o)
{
	char cookie[EID_OFFICER_TOKEN_LEN + 1];
	const char *old = eid_http_cookie(req, EID_OFFICER_COOKIE);
	int r;

	if (old != NULL)
		(void)eid_officer_session_end(app->store, old);
	r = eid_officer_session_create(app->store, o, eid_http_remote(req),
				       eid_store_now(app->store), cookie, NULL);
	if (r == EID_OK)
		r = eid_console_cookie(req, res, EID_OFFICER_COOKIE, cookie,
				       EID_OFFICER_SESSION_MAX);
	if (r == EID_OK)
		r = eid_http_reply_redirect(res, 303, EID_PATH_OFFICER);
	eid_wipe(cookie, sizeof(cookie));
	return r;
}

static int refused(struct eid_http_request *req, struct eid_http_response *res,
		   int verdict, const struct eid_login_info *info)
{
	char after[24];
	int r;

	switch (verdict) {
	case EID_ELIMIT:
		snprintf(after, sizeof(after), "%llu",
			 (unsigned long long)(info->retry_after ?
						      info->retry_after : 1));
		r = login_page(req, res, 429, "Too many attempts. Try again later.",
			       "Quá nhiều lần thử. Vui lòng thử lại sau.");
		return r == EID_OK ? eid_http_set_header(res, "Retry-After", after) : r;
	case EID_EPERM:
		return login_page(req, res, 403,
				  "No second factor is enrolled for this officer: "
				  "a supervisor must enroll one before you can sign in.",
				  "Cán bộ chưa đăng ký yếu tố xác thực thứ hai: cần "
				  "đăng ký trước khi đăng nhập.");
	case EID_ELOCKED:
		return login_page(req, res, 403, "This officer account is disabled.",
				  "Tài khoản cán bộ đã bị vô hiệu hóa.");
	case EID_EREPLAY:
		return login_page(req, res, 200,
				  "This code was used already. Wait for the next one.",
				  "Mã này đã được sử dụng. Vui lòng chờ mã tiếp theo.");
	case EID_EAUTH:
		return login_page(req, res, 200,
				  "The officer ID, password or code is wrong.",
				  "Mã cán bộ, mật khẩu hoặc mã xác thực không đúng.");
	default:
		return verdict;
	}
}

static const char *param(struct eid_http_request *req, const char *name)
{
	const char *v = NULL;

	return eid_http_form_param(req, name, &v) == EID_OK ? v : "";
}

int eid_page_officer_login(struct eid_http_request *req,
			   struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_login_info info = { 0 };
	struct eid_officer o;
	int r;

	if (strcmp(eid_http_method(req), "POST") != 0)
		return login_page(req, res, 200, NULL, NULL);
	if (!eid_page_csrf_cookie_ok(req, CSRF_COOKIE))
		return login_page(req, res, 403,
				  "This form has expired. Sign in again.",
				  "Biểu mẫu đã hết hạn. Vui lòng đăng nhập lại.");
	memset(&o, 0, sizeof(o));
	r = eid_officer_authenticate(app->store, &app->policy, &app->cred_keys,
				     param(req, "officer_id"),
				     param(req, "password"), param(req, "totp"),
				     eid_http_remote(req),
				     (int64_t)eid_store_now(app->store), &o,
				     &info);
	if (r == EID_OK)
		r = signed_in(app, req, res, &o);
	else
		r = refused(req, res, r, &info);
	eid_officer_clear(&o);
	return r;
}

int eid_page_officer_logout(struct eid_http_request *req,
			    struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_officer_session os;
	int r;

	if ((r = eid_console_officer(app, req, res, &os)) != EID_OK)
		return r == EID_ENOTFOUND || r == EID_EPERM ? EID_OK : r;
	(void)eid_console_audit(app, req, &os, "officer.logout", NULL, NULL);
	(void)eid_officer_session_end(app->store,
				      eid_http_cookie(req, EID_OFFICER_COOKIE));
	r = eid_console_cookie(req, res, EID_OFFICER_COOKIE, "", 0);
	if (r == EID_OK)
		r = eid_http_reply_redirect(res, 303, EID_PATH_OFFICER_LOGIN);
	eid_wipe(&os, sizeof(os));
	return r;
}
