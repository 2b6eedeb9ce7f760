/* GET /officer: the console's start (look up a citizen);
 * GET /officer/citizen?id=N: the registry record and the account, with
 * the officer's actions (audited as officer.lookup). */
#include <stdio.h>
#include <string.h>

#include "api/console.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/credentials.h"
#include "idp/registry.h"

static void lookup_form(struct eid_page *p, const char *value)
{
	eid_page_raw(p, "<form method=\"get\" action=\""
			EID_PATH_OFFICER_CITIZEN "\">");
	eid_page_input(p, "Personal ID number (12 digits)",
		       "Số định danh cá nhân (12 chữ số)", "text", "id", value,
		       "inputmode=\"numeric\" pattern=\"[0-9]{12}\" "
		       "maxlength=\"12\" required");
	eid_page_raw(p, "<button type=\"submit\">");
	eid_page_t(p, "Look up", "Tra cứu");
	eid_page_raw(p, "</button></form>");
}

int eid_page_officer_home(struct eid_http_request *req,
			  struct eid_http_response *res, void *arg)
{
	struct eid_officer_session os;
	struct eid_page p;
	int r;

	if ((r = eid_console_officer(arg, req, res, &os)) != EID_OK)
		return r == EID_ENOTFOUND || r == EID_EPERM ? EID_OK : r;
	eid_page_begin(&p, eid_page_lang(req), "Officer console",
		       "Trang cán bộ");
	eid_console_header(&p, &os);
	lookup_form(&p, NULL);
	eid_wipe(&os, sizeof(os));
	return eid_page_reply(&p, res, 200);
}

static void citizen_table(struct eid_page *p, const struct eid_citizen *c)
{
	char bd[11] = "", ex[11] = "";

	eid_date_format(&c->birthdate, bd);
	if (c->card_expires.year != 0)
		eid_date_format(&c->card_expires, ex);
	eid_page_raw(p, "<h2>");
	eid_page_t(p, "Population registry", "Cơ sở dữ liệu dân cư");
	eid_page_raw(p, "</h2><table class=\"record\">");
	eid_page_row(p, "Personal ID number", "Số định danh cá nhân",
		     c->personal_id);
	eid_page_row(p, "Full name", "Họ và tên", c->full_name);
	eid_page_row(p, "Date of birth", "Ngày sinh", bd);
	eid_page_raw(p, "<tr><th>");
	eid_page_t(p, "Sex", "Giới tính");
	eid_page_raw(p, "</th><td>");
	if (c->has_sex && c->sex == EID_SEX_FEMALE)
		eid_page_t(p, "female", "Nữ");
	else if (c->has_sex)
		eid_page_t(p, "male", "Nam");
	eid_page_raw(p, "</td></tr>");
	eid_page_row(p, "Residence", "Nơi cư trú", c->residence);
	eid_page_row(p, "Card expires", "Thẻ hết hạn", ex);
	if (c->guardian_id[0] != '\0')
		eid_page_row(p, "Guardian", "Người giám hộ", c->guardian_id);
	eid_page_raw(p, "<tr><th>");
	eid_page_t(p, "Card", "Thẻ");
	eid_page_raw(p, "</th><td>");
	if (c->card_status == EID_CARD_REVOKED)
		eid_page_t(p, "revoked", "đã thu hồi");
	else
		eid_page_t(p, "valid", "còn hiệu lực");
	eid_page_raw(p, "</td></tr>");
	eid_page_raw(p, "</table>");
}

static void action_form(struct eid_page *p, const char *path,
			const struct eid_officer_session *os, const char *pid,
			const char *action)
{
	eid_page_raw(p, "<form method=\"post\" action=\"");
	eid_page_text(p, path);
	eid_page_raw(p, "\">");
	eid_page_hidden(p, "csrf", os->csrf);
	eid_page_hidden(p, "id", pid);
	if (action != NULL)
		eid_page_hidden(p, "action", action);
}

static void account_actions(struct eid_page *p,
			    const struct eid_officer_session *os,
			    const struct eid_account *a)
{
	if (a->status == EID_ACCOUNT_LOCKED) {
		action_form(p, EID_PATH_OFFICER_ACCOUNT, os, a->personal_id,
			    "unlock");
		eid_page_raw(p, "<button type=\"submit\">");
		eid_page_t(p, "Unlock the account", "Mở khóa tài khoản");
		eid_page_raw(p, "</button></form>");
	} else if (a->status != EID_ACCOUNT_REVOKED) {
		action_form(p, EID_PATH_OFFICER_ACCOUNT, os, a->personal_id,
			    "lock");
		eid_page_raw(p, "<label>");
		eid_page_t(p, "Reason", "Lý do");
		eid_page_raw(p, "<select name=\"reason\">"
				"<option value=\"officer\">officer</option>"
				"<option value=\"lost_device\">lost_device</option>"
				"<option value=\"suspected_fraud\">suspected_fraud</option>"
				"<option value=\"citizen_request\">citizen_request</option>"
				"</select></label><button type=\"submit\">");
		eid_page_t(p, "Lock the account", "Khóa tài khoản");
		eid_page_raw(p, "</button></form>");
	}
	if (a->status == EID_ACCOUNT_REVOKED)
		return;
	action_form(p, EID_PATH_OFFICER_ACCOUNT, os, a->personal_id, "phone");
	eid_page_input(p, "New mobile phone number", "Số điện thoại mới", "tel",
		       "phone", NULL, "required");
	eid_page_raw(p, "<button type=\"submit\">");
	eid_page_t(p, "Change the phone number", "Đổi số điện thoại");
	eid_page_raw(p, "</button></form>");
}

/* A supervisor's form: the citizen lost the authenticator app and the
 * recovery codes, and is here in person with the card. */
static void totp_reset_form(struct eid_page *p, eid_txn *t,
			    const struct eid_officer_session *os,
			    const char *pid)
{
	struct eid_cred_status st;

	if (os->role != EID_OFFICER_ROLE_SUPERVISOR ||
	    eid_cred_status(t, pid, &st) != EID_OK ||
	    (!st.totp_active && !st.totp_pending && st.recovery_left == 0))
		return;
	action_form(p, EID_PATH_OFFICER_ACCOUNT, os, pid, "totp_reset");
	eid_page_input(p, "Identity check (how the citizen's identity was "
			  "verified, e.g. the chip card in person)",
		       "Kiểm tra danh tính (cách xác minh danh tính công dân, "
		       "ví dụ thẻ căn cước gắn chip, trực tiếp)",
		       "text", "checked", NULL, "required");
	eid_page_raw(p, "<button type=\"submit\" id=\"totp-reset\">");
	eid_page_t(p, "Reset the authenticator app",
		   "Đặt lại ứng dụng xác thực");
	eid_page_raw(p, "</button></form>");
}

static void account_part(struct eid_page *p, eid_txn *t,
			 const struct eid_officer_session *os, const char *pid)
{
	struct eid_account a;
	char level[4];
	int r = eid_account_get(t, pid, &a);

	eid_page_raw(p, "<h2>");
	eid_page_t(p, "Account", "Tài khoản");
	eid_page_raw(p, "</h2>");
	if (r != EID_OK) {
		eid_page_raw(p, "<p id=\"account\">");
		eid_page_t(p, "No account yet.", "Chưa có tài khoản.");
		eid_page_raw(p, "</p>");
	} else {
		snprintf(level, sizeof(level), "%d", a.level);
		eid_page_raw(p, "<table class=\"record\" id=\"account\">");
		eid_page_row(p, "Level", "Mức", level);
		eid_page_row(p, "Status", "Trạng thái",
			     eid_account_status_name(a.status));
		if (a.status == EID_ACCOUNT_LOCKED)
			eid_page_row(p, "Lock reason", "Lý do khóa",
				     eid_lock_reason_name(a.lock_reason));
		eid_page_row(p, "Phone", "Điện thoại", a.phone);
		eid_page_raw(p, "</table>");
		account_actions(p, os, &a);
		totp_reset_form(p, t, os, pid);
	}
	if (r != EID_OK || a.level < 2 || a.status != EID_ACCOUNT_ACTIVE) {
		action_form(p, EID_PATH_OFFICER_ACTIVATION_START, os, pid, NULL);
		eid_page_raw(p, "<button type=\"submit\" id=\"start-activation\">");
		eid_page_t(p, "Start level-2 activation",
			   "Bắt đầu kích hoạt mức 2");
		eid_page_raw(p, "</button></form>");
	}
	if (r == EID_OK)
		eid_account_clear(&a);
}

int eid_console_citizen_page(struct eid_app *app, struct eid_http_request *req,
			     struct eid_http_response *res,
			     const struct eid_officer_session *os,
			     const char *personal_id, unsigned status,
			     const char *cls, const char *en, const char *vi,
			     const char *detail)
{
	struct eid_citizen c;
	struct eid_page p;
	eid_txn *t = NULL;
	int r;

	eid_page_begin(&p, eid_page_lang(req), "Citizen", "Công dân");
	eid_console_header(&p, os);
	if (en != NULL)
		eid_page_notice(&p, cls, en, vi, detail);
	lookup_form(&p, personal_id);
	r = eid_registry_lookup(&app->registry, personal_id, &c);
	if (r == EID_ENOTFOUND || r == EID_EMALFORMED || r == EID_EINVAL) {
		eid_page_notice(&p, "error", "No such citizen in the registry.",
				"Không có công dân này trong cơ sở dữ liệu.", NULL);
		return eid_page_reply(&p, res, 404);
	}
	if (r == EID_ENETWORK) {
		eid_page_notice(&p, "error", eid_msg(EID_LANG_EN,
					EID_MSG_REGISTRY_UNAVAILABLE),
				eid_msg(EID_LANG_VI,
					EID_MSG_REGISTRY_UNAVAILABLE), NULL);
		return eid_page_reply(&p, res, 503);
	}
	if (r != EID_OK || (r = eid_store_begin(app->store, false, &t)) != EID_OK) {
		eid_buf_free(&p.b);
		return r;
	}
	citizen_table(&p, &c);
	account_part(&p, t, os, personal_id);
	eid_txn_abort(t);
	return eid_page_reply(&p, res, status);
}

int eid_page_officer_citizen(struct eid_http_request *req,
			     struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_officer_session os;
	const char *id = NULL;
	int r;

	if ((r = eid_console_officer(app, req, res, &os)) != EID_OK)
		return r == EID_ENOTFOUND || r == EID_EPERM ? EID_OK : r;
	if (eid_http_query_param(req, "id", &id) != EID_OK ||
	    strlen(id) != 12 || strspn(id, "0123456789") != 12) {
		r = eid_page_error(res, eid_page_lang(req), 400,
				   "A personal ID number has 12 digits.",
				   "Số định danh cá nhân gồm 12 chữ số.");
		goto out;
	}
	if ((r = eid_console_audit(app, req, &os, "officer.lookup", id,
				   NULL)) == EID_OK)
		r = eid_console_citizen_page(app, req, res, &os, id, 200, NULL,
					     NULL, NULL, NULL);
out:
	eid_wipe(&os, sizeof(os));
	return r;
}
