/* Guardians on the account page (Decree 69/2024, idp/guardian.h):
 *   the list of minors the registry links to the signed-in citizen, and
 *   POST /account/minor   create a minor's level-1 account (minor_id,
 *                         password; a level-2 guardian only).
 * The form carries the browser session's CSRF token. */
#include <stdio.h>
#include <string.h>

#include "api/account.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/guardian.h"

static void ward_row(struct eid_page *p, const struct eid_flow_session *fs,
		     const struct eid_ward *w)
{
	char born[16];

	snprintf(born, sizeof(born), "%04d-%02d-%02d", w->birthdate.year,
		 w->birthdate.month, w->birthdate.day);
	eid_page_raw(p, "<tr><td>");
	eid_page_text(p, w->full_name);
	eid_page_raw(p, "</td><td>");
	eid_page_text(p, w->personal_id);
	eid_page_raw(p, "</td><td>");
	eid_page_text(p, born);
	eid_page_raw(p, "</td><td>");
	if (w->has_account)
		eid_page_t(p, "has an account", "đã có tài khoản");
	else if (!w->may_create)
		eid_page_t(p, "14 or over: registers themselves",
			   "từ 14 tuổi: tự đăng ký");
	else if (fs->account_level != 2)
		eid_page_t(p, "needs your level-2 account",
			   "cần tài khoản mức 2 của bạn");
	else {
		eid_page_raw(p, "<form method=\"post\" action=\""
				EID_PATH_ACCOUNT_MINOR "\">");
		eid_page_hidden(p, "csrf", fs->ses.csrf);
		eid_page_hidden(p, "minor_id", w->personal_id);
		eid_page_input(p, "The child's password (at least 12 characters)",
			       "Mật khẩu của trẻ (tối thiểu 12 ký tự)",
			       "password", "password", NULL,
			       "autocomplete=\"new-password\" maxlength=\"1024\" required");
		eid_page_raw(p, "<button type=\"submit\">");
		eid_page_t(p, "Create the account", "Tạo tài khoản");
		eid_page_raw(p, "</button></form>");
	}
	eid_page_raw(p, "</td></tr>");
}

int eid_account_wards_section(struct eid_app *app, struct eid_page *p,
			      const struct eid_flow_session *fs)
{
	struct eid_ward w[EID_GUARDIAN_WARDS_MAX];
	eid_txn *t = NULL;
	size_t n = 0;
	int r;

	if ((r = eid_store_begin(app->store, false, &t)) != EID_OK)
		return r;
	r = eid_guardian_wards(t, fs->ses.personal_id,
			       (int64_t)eid_store_now(app->store), w,
			       EID_GUARDIAN_WARDS_MAX, &n);
	eid_txn_abort(t);
	if (r != EID_OK || n == 0)
		return r;
	eid_page_raw(p, "<h2>");
	eid_page_t(p, "Children in your care", "Trẻ em do bạn giám hộ");
	eid_page_raw(p, "</h2><table id=\"wards\"><tr><th>");
	eid_page_t(p, "Name", "Họ và tên");
	eid_page_raw(p, "</th><th>");
	eid_page_t(p, "Personal ID number", "Số định danh cá nhân");
	eid_page_raw(p, "</th><th>");
	eid_page_t(p, "Born", "Ngày sinh");
	eid_page_raw(p, "</th><th></th></tr>");
	for (size_t i = 0; i < n; i++)
		ward_row(p, fs, &w[i]);
	eid_page_raw(p, "</table>");
	return p->r;
}

/* The notice for a refusal of eid_guardian_create_minor. */
static unsigned refusal(int r, const char **en, const char **vi)
{
	switch (r) {
	case EID_EINVAL:
		*en = "The password cannot be used:";
		*vi = "Không thể dùng mật khẩu này:";
		return 400;
	case EID_EEXIST:
		*en = "This child already has an account.";
		*vi = "Trẻ đã có tài khoản.";
		return 409;
	case EID_ESTATE:
		*en = "The child's ID card is revoked or expired.";
		*vi = "Thẻ căn cước của trẻ đã bị thu hồi hoặc hết hạn.";
		return 409;
	default: /* EID_EPERM, EID_ENOTFOUND */
		*en = "You cannot create this account:";
		*vi = "Bạn không thể tạo tài khoản này:";
		return 403;
	}
}

static int create(struct eid_app *app, const char *guardian,
		  const char *minor, const char *pw, eid_buf *why)
{
	eid_txn *t = NULL;
	int r;

	if ((r = eid_store_begin(app->store, true, &t)) != EID_OK)
		return r;
	r = eid_guardian_create_minor(t, &app->policy, guardian, minor, pw,
				      (int64_t)eid_store_now(app->store), why);
	if (r == EID_OK)
		return eid_txn_commit(t);
	eid_txn_abort(t);
	return r;
}

int eid_page_account_minor(struct eid_http_request *req,
			   struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_flow_session fs;
	const char *minor = NULL, *pw = NULL, *en, *vi;
	bool done;
	eid_buf why;
	int r = eid_account_citizen(app, req, res, &fs, &done);

	eid_buf_init(&why, 256);
	if (done)
		goto out;
	if (eid_http_form_param(req, "minor_id", &minor) != EID_OK ||
	    eid_http_form_param(req, "password", &pw) != EID_OK) {
		r = eid_http_reply_oauth_error(res, 400, "invalid_request",
					       "minor_id and password are required");
		goto out;
	}
	r = create(app, fs.ses.personal_id, minor, pw, &why);
	if (r == EID_OK) {
		r = eid_account_reply_status(app, req, res, &fs, 200, "notice",
					    "The child's account was created. The child signs in with their personal ID number and this password.",
					    "Đã tạo tài khoản cho trẻ. Trẻ đăng nhập bằng số định danh cá nhân và mật khẩu này.",
					    NULL);
	} else if (r == EID_EINVAL || r == EID_EEXIST || r == EID_ESTATE ||
		   r == EID_EPERM || r == EID_ENOTFOUND) {
		unsigned status = refusal(r, &en, &vi);

		r = eid_account_reply_status(app, req, res, &fs, status,
					     "error", en, vi,
					     why.len ? eid_buf_cstr(&why) : NULL);
	}
out:
	eid_buf_free(&why);
	eid_wipe(&fs, sizeof(fs));
	return r;
}
