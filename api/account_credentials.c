/* The citizen's second factor on the account page (idp/credentials.h).
 *   POST /account/totp          begin: the secret as an otpauth:// QR code
 *                               and as base32 text, and a form for the
 *                               first code (the pending secret is shown
 *                               again until confirmed)
 *   POST /account/totp/confirm  the first code: the app is on, and the ten
 *                               recovery codes are shown, once
 *   POST /account/totp/disable  with the password or a current code
 *   POST /account/recovery      a new set of recovery codes, with the
 *                               password; the old set is void
 * Only level-2 accounts have a step-up, so only they are offered the app.
 * A wrong password here counts like a wrong sign-in (lockout); wrong codes
 * count in the second factor's own record. */
#include <stdio.h>
#include <string.h>

#include "api/account.h"
#include "api/qr.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/credentials.h"

#define URI_MAX 512
#define SVG_MAX (256 * 1024)

static const char *actor_of(const struct eid_flow_session *fs, char out[32])
{
	(void)snprintf(out, 32, "citizen:%s", fs->ses.personal_id);
	return out;
}

/* Commit a transaction whose function wrote a failure count even when it
 * refused (EID_EAUTH); abort it otherwise.  Returns r, or the commit's
 * error. */
static int settle(eid_txn *t, int r)
{
	int c;

	if (r == EID_OK || r == EID_EAUTH) {
		if ((c = eid_txn_commit(t)) != EID_OK)
			return c;
	} else {
		eid_txn_abort(t);
	}
	return r;
}

static void totp_section(struct eid_app *app, struct eid_page *p,
			 const struct eid_flow_session *fs)
{
	struct eid_cred_status st = { 0 };
	char left[16];
	eid_txn *t = NULL;
	int r;

	if ((r = eid_store_begin(app->store, false, &t)) == EID_OK)
		r = eid_cred_status(t, fs->ses.personal_id, &st);
	eid_txn_abort(t);
	if (r != EID_OK && p->r == EID_OK)
		p->r = r;
	/* Only level 2 has a second factor to choose. */
	if (fs->account_level < 2)
		return;
	eid_page_raw(p, "<h2>");
	eid_page_t(p, "Two-step sign-in", "Đăng nhập hai bước");
	eid_page_raw(p, "</h2><p id=\"totp-state\">");
	if (!st.totp_active) {
		eid_page_t(p, "Services that ask for level 2 send a code to your phone by SMS. An authenticator app is safer.",
			   "Các dịch vụ yêu cầu mức 2 gửi mã tới điện thoại của bạn qua SMS. Ứng dụng xác thực an toàn hơn.");
		eid_page_raw(p, "</p><form method=\"post\" action=\""
				EID_PATH_ACCOUNT_TOTP "\">");
		eid_page_hidden(p, "csrf", fs->ses.csrf);
		eid_page_raw(p, "<button type=\"submit\" id=\"totp-begin\">");
		eid_page_t(p, "Set up an authenticator app", "Thiết lập ứng dụng xác thực");
		eid_page_raw(p, "</button></form>");
		return;
	}
	eid_page_t(p, "An authenticator app is on: level-2 sign-ins ask for its code.",
		   "Ứng dụng xác thực đang bật: đăng nhập mức 2 sẽ yêu cầu mã từ ứng dụng.");
	eid_page_raw(p, "</p><p id=\"recovery-left\">");
	if (st.recovery_left == 0) {
		eid_page_t(p, "You have no recovery codes left. Make a new set.",
			   "Bạn đã hết mã khôi phục. Hãy tạo bộ mã mới.");
	} else {
		snprintf(left, sizeof(left), "%u", st.recovery_left);
		eid_page_t(p, "Recovery codes left: ", "Số mã khôi phục còn lại: ");
		eid_page_text(p, left);
	}
	eid_page_raw(p, "</p><form method=\"post\" action=\""
			EID_PATH_ACCOUNT_RECOVERY "\" id=\"recovery-form\">");
	eid_page_hidden(p, "csrf", fs->ses.csrf);
	eid_page_input(p, "Password", "Mật khẩu", "password", "password", "",
		       "autocomplete=\"current-password\" required");
	eid_page_raw(p, "<button type=\"submit\">");
	eid_page_t(p, "New recovery codes", "Tạo mã khôi phục mới");
	eid_page_raw(p, "</button></form><form method=\"post\" action=\""
			EID_PATH_ACCOUNT_TOTP_DISABLE "\" id=\"totp-disable-form\">");
	eid_page_hidden(p, "csrf", fs->ses.csrf);
	eid_page_input(p, "Password, or a code from the app",
		       "Mật khẩu, hoặc mã từ ứng dụng", "password", "password",
		       "", "autocomplete=\"current-password\" required");
	eid_page_raw(p, "<button type=\"submit\" class=\"secondary\">");
	eid_page_t(p, "Turn off the authenticator app", "Tắt ứng dụng xác thực");
	eid_page_raw(p, "</button></form>");
}

static void password_section(struct eid_page *p,
			     const struct eid_flow_session *fs)
{
	static const char attrs[] = "autocomplete=\"new-password\" required";

	eid_page_raw(p, "<h2>");
	eid_page_t(p, "Change password", "Đổi mật khẩu");
	eid_page_raw(p, "</h2><form method=\"post\" action=\""
			EID_PATH_ACCOUNT_PASSWORD "\" id=\"password-form\">");
	eid_page_hidden(p, "csrf", fs->ses.csrf);
	eid_page_input(p, "Current password", "Mật khẩu hiện tại", "password",
		       "current", "", "autocomplete=\"current-password\" required");
	eid_page_input(p, "New password", "Mật khẩu mới", "password", "new", "",
		       attrs);
	eid_page_input(p, "New password again", "Nhập lại mật khẩu mới",
		       "password", "confirm", "", attrs);
	eid_page_raw(p, "<button type=\"submit\">");
	eid_page_t(p, "Change password", "Đổi mật khẩu");
	eid_page_raw(p, "</button></form>");
}

void eid_account_credentials_section(struct eid_app *app, struct eid_page *p,
				     const struct eid_flow_session *fs)
{
	totp_section(app, p, fs);
	password_section(p, fs);
}

/* The QR code, the same secret as text, and the form for the first
 * code.  The secret is on the page only: nothing else logs it. */
static int enroll_page(struct eid_app *app, struct eid_http_request *req,
		       struct eid_http_response *res,
		       const struct eid_flow_session *fs,
		       const uint8_t secret[EID_TOTP_SECRET_LEN], bool wrong)
{
	struct eid_page p;
	eid_buf uri, b32, svg;
	int r;

	eid_buf_init_secret(&uri, URI_MAX);
	eid_buf_init_secret(&b32, 64);
	eid_buf_init_secret(&svg, SVG_MAX);
	if ((r = eid_cred_totp_uri(app->cfg->credentials.totp_issuer,
				   fs->ses.personal_id, secret, &uri)) ||
	    (r = eid_base32_encode(secret, EID_TOTP_SECRET_LEN, &b32)) ||
	    (r = eid_qr_svg(eid_buf_cstr(&uri), &svg)))
		goto out;
	eid_page_begin(&p, eid_page_lang(req), "Set up an authenticator app",
		       "Thiết lập ứng dụng xác thực");
	if (wrong)
		eid_page_notice(&p, "error", "The code is wrong. Check the time on your phone and try the next one.",
				"Mã không đúng. Hãy kiểm tra giờ trên điện thoại và thử mã tiếp theo.", NULL);
	eid_page_raw(&p, "<p>");
	eid_page_t(&p, "Scan this code with an authenticator app (any app for one-time codes, RFC 6238), or type the key below. Then enter the 6-digit code the app shows.",
		   "Quét mã này bằng ứng dụng xác thực (bất kỳ ứng dụng mã một lần nào, RFC 6238), hoặc nhập khóa bên dưới. Sau đó nhập mã 6 chữ số ứng dụng hiển thị.");
	eid_page_raw(&p, "</p><div id=\"totp-qr\">");
	eid_page_raw(&p, eid_buf_cstr(&svg));
	eid_page_raw(&p, "</div><p>");
	eid_page_t(&p, "Key: ", "Khóa: ");
	eid_page_raw(&p, "<code id=\"totp-secret\">");
	eid_page_text(&p, eid_buf_cstr(&b32));
	eid_page_raw(&p, "</code></p><form method=\"post\" action=\""
			 EID_PATH_ACCOUNT_TOTP_CONFIRM "\">");
	eid_page_hidden(&p, "csrf", fs->ses.csrf);
	eid_page_input(&p, "Code", "Mã xác thực", "text", "code", "",
		       "inputmode=\"numeric\" pattern=\"[0-9]{6}\" "
		       "maxlength=\"6\" autocomplete=\"one-time-code\" required");
	eid_page_raw(&p, "<button type=\"submit\">");
	eid_page_t(&p, "Turn on", "Bật");
	eid_page_raw(&p, "</button></form>");
	r = eid_page_reply(&p, res, 200);
out:
	eid_buf_free(&uri);
	eid_buf_free(&b32);
	eid_buf_free(&svg);
	return r;
}

/* The ten codes, shown this once. */
static int codes_page(struct eid_http_request *req,
		      struct eid_http_response *res, const char *title_en,
		      const char *title_vi,
		      eid_recovery_code codes[EID_RECOVERY_CODES])
{
	struct eid_page p;

	eid_page_begin(&p, eid_page_lang(req), title_en, title_vi);
	eid_page_raw(&p, "<p>");
	eid_page_t(&p, "Keep these recovery codes somewhere safe, apart from your phone. Each one signs you in once in place of the app's code. They are shown only now.",
		   "Hãy cất giữ các mã khôi phục này ở nơi an toàn, tách khỏi điện thoại. Mỗi mã thay cho mã của ứng dụng được một lần. Mã chỉ hiển thị lần này.");
	eid_page_raw(&p, "</p><ol id=\"recovery-codes\">");
	for (unsigned i = 0; i < EID_RECOVERY_CODES; i++) {
		eid_page_raw(&p, "<li><code>");
		eid_page_text(&p, codes[i]);
		eid_page_raw(&p, "</code></li>");
	}
	eid_page_raw(&p, "</ol><p><a href=\"" EID_PATH_ACCOUNT "\">");
	eid_page_t(&p, "Back to your account", "Quay lại tài khoản");
	eid_page_raw(&p, "</a></p>");
	return eid_page_reply(&p, res, 200);
}

static int too_many(struct eid_app *app, struct eid_http_request *req,
		    struct eid_http_response *res,
		    const struct eid_flow_session *fs)
{
	return eid_account_reply(app, req, res, fs, "error",
				 "Too many wrong codes or passwords. Try again later.",
				 "Quá nhiều lần nhập sai. Vui lòng thử lại sau.");
}

int eid_page_account_totp(struct eid_http_request *req,
			  struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_flow_session fs;
	uint8_t secret[EID_TOTP_SECRET_LEN];
	eid_txn *t = NULL;
	bool done;
	int r = eid_account_citizen(app, req, res, &fs, &done);

	if (done)
		goto out;
	if (fs.account_level < 2) {
		r = eid_account_reply(app, req, res, &fs, "error",
				      "An authenticator app is for level-2 accounts.",
				      "Ứng dụng xác thực dành cho tài khoản mức 2.");
		goto out;
	}
	if ((r = eid_store_begin(app->store, true, &t)) != EID_OK)
		goto out;
	r = eid_cred_totp_begin(t, &app->cred_keys, fs.ses.personal_id,
				(int64_t)eid_store_now(app->store), secret);
	if ((r = eid_txn_finish(t, r)) == EID_OK)
		r = enroll_page(app, req, res, &fs, secret, false);
	else if (r == EID_ESTATE)
		r = eid_account_reply(app, req, res, &fs, "notice",
				      "An authenticator app is already on.",
				      "Ứng dụng xác thực đã được bật.");
out:
	eid_wipe(secret, sizeof(secret));
	eid_wipe(&fs, sizeof(fs));
	return r;
}

static int confirm(struct eid_app *app, const struct eid_flow_session *fs,
		   const char *code, eid_recovery_code codes[EID_RECOVERY_CODES])
{
	char actor[32];
	eid_txn *t = NULL;
	int r;

	if ((r = eid_store_begin(app->store, true, &t)) != EID_OK)
		return r;
	r = eid_cred_totp_confirm(t, &app->cred_keys, &app->policy.lockout,
				  fs->ses.personal_id, code,
				  (int64_t)eid_store_now(app->store),
				  actor_of(fs, actor), codes);
	return settle(t, r);
}

/* The pending secret, to show the enrollment page again. */
static int pending_secret(struct eid_app *app, const struct eid_flow_session *fs,
			  uint8_t ret[EID_TOTP_SECRET_LEN])
{
	eid_txn *t = NULL;
	int r;

	if ((r = eid_store_begin(app->store, true, &t)) != EID_OK)
		return r;
	r = eid_cred_totp_begin(t, &app->cred_keys, fs->ses.personal_id,
				(int64_t)eid_store_now(app->store), ret);
	return eid_txn_finish(t, r);
}

int eid_page_account_totp_confirm(struct eid_http_request *req,
				  struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_flow_session fs;
	eid_recovery_code codes[EID_RECOVERY_CODES];
	uint8_t secret[EID_TOTP_SECRET_LEN];
	const char *code = NULL;
	bool done;
	int r = eid_account_citizen(app, req, res, &fs, &done);

	if (done)
		goto out;
	if (eid_http_form_param(req, "code", &code) != EID_OK)
		code = "";
	r = confirm(app, &fs, code, codes);
	if (r == EID_OK)
		r = codes_page(req, res, "The authenticator app is on",
			       "Ứng dụng xác thực đã được bật", codes);
	else if (r == EID_EAUTH &&
		 (r = pending_secret(app, &fs, secret)) == EID_OK)
		r = enroll_page(app, req, res, &fs, secret, true);
	else if (r == EID_ELIMIT)
		r = too_many(app, req, res, &fs);
	else if (r == EID_ESTATE)
		r = eid_account_reply(app, req, res, &fs, "error",
				      "Start the set-up again from this page.",
				      "Hãy bắt đầu thiết lập lại từ trang này.");
out:
	eid_wipe(codes, sizeof(codes));
	eid_wipe(secret, sizeof(secret));
	eid_wipe(&fs, sizeof(fs));
	return r;
}

/* The posted "password" (when code_allowed, six digits are taken for a
 * TOTP code instead: no password is that short).  EID_OK, EID_EAUTH,
 * EID_ELIMIT. */
static int reauthenticate(struct eid_app *app, struct eid_http_request *req,
			  const struct eid_flow_session *fs, bool code_allowed)
{
	int64_t now = (int64_t)eid_store_now(app->store);
	const char *secret = NULL;
	struct eid_account a;
	eid_txn *t = NULL;
	int r;

	if (eid_http_form_param(req, "password", &secret) != EID_OK)
		secret = "";
	if (code_allowed && strlen(secret) == EID_TOTP_DIGITS &&
	    strspn(secret, "0123456789") == EID_TOTP_DIGITS) {
		if ((r = eid_store_begin(app->store, true, &t)) != EID_OK)
			return r;
		r = eid_cred_check(t, &app->cred_keys, &app->policy.lockout,
				   fs->ses.personal_id, secret, now,
				   eid_http_remote(req), NULL, NULL);
		return settle(t, r);
	}
	r = eid_account_authenticate(app->store, &app->registry,
				     &app->policy,
				     fs->ses.personal_id, secret,
				     eid_http_remote(req), now, &a, NULL);
	if (r == EID_OK)
		eid_account_clear(&a);
	return r;
}

int eid_page_account_totp_disable(struct eid_http_request *req,
				  struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_flow_session fs;
	char actor[32];
	eid_txn *t = NULL;
	bool done;
	int r = eid_account_citizen(app, req, res, &fs, &done);

	if (done)
		goto out;
	r = reauthenticate(app, req, &fs, true);
	if (r == EID_OK && (r = eid_store_begin(app->store, true, &t)) == EID_OK) {
		r = eid_cred_remove(t, fs.ses.personal_id, "totp.disable",
				    actor_of(&fs, actor), NULL,
				    (int64_t)eid_store_now(app->store));
		r = eid_txn_finish(t, r);
	}
	if (r == EID_OK || r == EID_ENOTFOUND)
		r = eid_account_reply(app, req, res, &fs, "notice",
				      "The authenticator app is off; its recovery codes are void.",
				      "Ứng dụng xác thực đã tắt; các mã khôi phục không còn hiệu lực.");
	else if (r == EID_EAUTH)
		r = eid_account_reply(app, req, res, &fs, "error",
				      "The password or the code is wrong.",
				      "Mật khẩu hoặc mã không đúng.");
	else if (r == EID_ELIMIT)
		r = too_many(app, req, res, &fs);
out:
	eid_wipe(&fs, sizeof(fs));
	return r;
}

int eid_page_account_recovery(struct eid_http_request *req,
			      struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_flow_session fs;
	eid_recovery_code codes[EID_RECOVERY_CODES];
	char actor[32];
	eid_txn *t = NULL;
	bool done;
	int r = eid_account_citizen(app, req, res, &fs, &done);

	if (done)
		goto out;
	r = reauthenticate(app, req, &fs, false);
	if (r == EID_OK && (r = eid_store_begin(app->store, true, &t)) == EID_OK) {
		r = eid_cred_recovery_regenerate(t, &app->cred_keys,
						 fs.ses.personal_id,
						 (int64_t)eid_store_now(app->store),
						 actor_of(&fs, actor), codes);
		r = eid_txn_finish(t, r);
	}
	if (r == EID_OK)
		r = codes_page(req, res, "New recovery codes",
			       "Mã khôi phục mới", codes);
	else if (r == EID_EAUTH)
		r = eid_account_reply(app, req, res, &fs, "error",
				      "The password is wrong.",
				      "Mật khẩu không đúng.");
	else if (r == EID_ELIMIT)
		r = too_many(app, req, res, &fs);
	else if (r == EID_ESTATE)
		r = eid_account_reply(app, req, res, &fs, "error",
				      "Turn on an authenticator app first.",
				      "Hãy bật ứng dụng xác thực trước.");
out:
	eid_wipe(codes, sizeof(codes));
	eid_wipe(&fs, sizeof(fs));
	return r;
}
