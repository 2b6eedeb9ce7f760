/* The activation case in the console.
 *   POST /officer/activation/start     open a case for a citizen
 *   GET  /officer/activation?case=ID   the case: the card read's verdicts,
 *                                      DG13 against the registry field by
 *                                      field, the face-check attestation */
#include <stdio.h>
#include <string.h>

#include "api/console.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/activation.h"

#define WHY_MAX 256

static void verdict_rows(struct eid_page *p, const struct eid_activation *c)
{
	eid_page_raw(p, "<h2>");
	eid_page_t(p, "Chip verification", "Xác thực chip");
	eid_page_raw(p, "</h2><table class=\"record\" id=\"verdicts\">");
	eid_page_row(p, "Passive Authentication", "Xác thực thụ động",
		     eid_activation_check_name(c->pa));
	if (c->pa_reason[0] != '\0')
		eid_page_row(p, "", "", c->pa_reason);
	eid_page_row(p, "Active Authentication", "Xác thực chủ động",
		     eid_activation_check_name(c->aa));
	if (c->aa_reason[0] != '\0')
		eid_page_row(p, "", "", c->aa_reason);
	eid_page_raw(p, "</table>");
}

static void field_rows(struct eid_page *p, const struct eid_activation *c)
{
	eid_page_raw(p, "<h2>");
	eid_page_t(p, "Card (DG13) and registry", "Thẻ (DG13) và cơ sở dữ liệu");
	eid_page_raw(p, "</h2><table class=\"match\" id=\"fields\"><tr><th></th><th>");
	eid_page_t(p, "Registry", "Cơ sở dữ liệu");
	eid_page_raw(p, "</th><th>");
	eid_page_t(p, "Card", "Thẻ");
	eid_page_raw(p, "</th><th></th></tr>");
	for (size_t i = 0; i < c->n_fields; i++) {
		const struct eid_activation_field *f = &c->fields[i];

		eid_page_raw(p, f->match ? "<tr class=\"ok\"><th>" :
					   "<tr class=\"bad\"><th>");
		eid_page_text(p, f->name);
		eid_page_raw(p, "</th><td>");
		eid_page_text(p, f->registry);
		eid_page_raw(p, "</td><td>");
		eid_page_text(p, f->card);
		eid_page_raw(p, "</td><td>");
		eid_page_t(p, f->match ? "match" : "MISMATCH",
			   f->match ? "khớp" : "KHÔNG KHỚP");
		eid_page_raw(p, "</td></tr>");
	}
	eid_page_raw(p, "</table>");
}

/* How the officer's reader sends the card. */
static void read_step(struct eid_page *p, const struct eid_activation *c)
{
	eid_page_raw(p, "<p>");
	eid_page_t(p, "Put the card on the reader and run at this desk:",
		   "Đặt thẻ lên đầu đọc và chạy tại bàn làm việc:");
	eid_page_raw(p, "</p><pre id=\"read-command\">eidctl chip read "
			"--mrz-info DOCNO+YYMMDD+YYMMDD --upload "
			"&lt;server&gt;" EID_PATH_OFFICER_ACTIVATION "/");
	eid_page_text(p, c->id);
	eid_page_raw(p, " --cookie eid_officer=&lt;cookie&gt;</pre><p><a href=\"");
	eid_page_raw(p, EID_PATH_OFFICER_ACTIVATION "?case=");
	eid_page_text(p, c->id);
	eid_page_raw(p, "\">");
	eid_page_t(p, "Reload after the read", "Tải lại sau khi đọc thẻ");
	eid_page_raw(p, "</a></p>");
}

static void attest_step(struct eid_page *p, const struct eid_officer_session *os,
			const struct eid_activation *c, bool has_account)
{
	eid_page_raw(p, "<form method=\"post\" action=\""
			EID_PATH_OFFICER_ACTIVATION_ATTEST "\">");
	eid_page_hidden(p, "csrf", os->csrf);
	eid_page_hidden(p, "case", c->id);
	if (!has_account)
		eid_page_input(p, "Mobile phone number (the citizen has no account yet)",
			       "Số điện thoại di động (công dân chưa có tài khoản)",
			       "tel", "phone", NULL, "required");
	eid_page_raw(p, "<label class=\"check\"><input type=\"checkbox\" "
			"name=\"face_checked\" value=\"1\" required> ");
	eid_page_t(p, "I compared the citizen's face with the card's portrait: it is the same person.",
		   "Tôi đã đối chiếu khuôn mặt công dân với ảnh trên thẻ: đúng là một người.");
	eid_page_raw(p, "</label><button type=\"submit\" id=\"attest\">");
	eid_page_t(p, "Attest and issue the activation code",
		   "Xác nhận và cấp mã kích hoạt");
	eid_page_raw(p, "</button></form>");
}

static void state_part(struct eid_page *p, const struct eid_officer_session *os,
		       const struct eid_activation *c, bool has_account)
{
	eid_page_raw(p, "<p>");
	eid_page_t(p, "Case", "Hồ sơ");
	eid_page_raw(p, " <code id=\"case-id\">");
	eid_page_text(p, c->id);
	eid_page_raw(p, "</code> · ");
	eid_page_text(p, c->personal_id);
	eid_page_raw(p, " · <span id=\"state\">");
	eid_page_text(p, eid_activation_state_name(c->state));
	eid_page_raw(p, "</span></p>");
	if (c->chip_read) {
		verdict_rows(p, c);
		field_rows(p, c);
	}
	switch (c->state) {
	case EID_ACTIVATION_STARTED:
		read_step(p, c);
		break;
	case EID_ACTIVATION_CHIP_FAILED:
		eid_page_notice(p, "error", "This case cannot proceed:",
				"Hồ sơ này không thể tiếp tục:", c->refusal);
		break;
	case EID_ACTIVATION_CHIP_OK:
		attest_step(p, os, c, has_account);
		break;
	case EID_ACTIVATION_CODE_ISSUED:
		eid_page_notice(p, "notice", "The activation code was issued.",
				"Mã kích hoạt đã được cấp.", NULL);
		break;
	case EID_ACTIVATION_COMPLETED:
		eid_page_notice(p, "notice", "The citizen has activated the account.",
				"Công dân đã kích hoạt tài khoản.", NULL);
		break;
	}
}

int eid_console_case_denied(struct eid_app *app, struct eid_http_request *req,
			    const struct eid_officer_session *os,
			    const char *case_id, const char *action)
{
	return eid_console_audit(app, req, os, "activation.denied", NULL,
				 json_pack("{s:s, s:s}", "case", case_id,
					   "action", action));
}

int eid_console_case_denied_page(struct eid_http_request *req,
				 struct eid_http_response *res)
{
	return eid_page_error(res, eid_page_lang(req), 403,
			      "This activation case belongs to another "
			      "officer or unit.",
			      "Hồ sơ kích hoạt này thuộc cán bộ hoặc đơn vị "
			      "khác.");
}

int eid_console_case_page(struct eid_app *app, struct eid_http_request *req,
			  struct eid_http_response *res,
			  const struct eid_officer_session *os,
			  const char *case_id, unsigned status)
{
	struct eid_activation c;
	struct eid_account a;
	struct eid_page p;
	bool has_account = false;
	eid_txn *t = NULL;
	int r;

	if ((r = eid_store_begin(app->store, false, &t)) != EID_OK)
		return r;
	r = eid_activation_get(t, case_id, &c);
	if (r == EID_OK && eid_account_get(t, c.personal_id, &a) == EID_OK) {
		has_account = true;
		eid_account_clear(&a);
	}
	eid_txn_abort(t);
	if (r == EID_ENOTFOUND || r == EID_EMALFORMED)
		return eid_page_error(res, eid_page_lang(req), 404,
				      "No such activation case.",
				      "Không có hồ sơ kích hoạt này.");
	if (r != EID_OK)
		return r;
	if (!eid_activation_may_access(&c, os->officer_id, os->unit, os->role)) {
		r = eid_console_case_denied(app, req, os, c.id, "view");
		return r == EID_OK ? eid_console_case_denied_page(req, res) : r;
	}
	eid_page_begin(&p, eid_page_lang(req), "Level-2 activation",
		       "Kích hoạt mức 2");
	eid_console_header(&p, os);
	state_part(&p, os, &c, has_account);
	return eid_page_reply(&p, res, status);
}

int eid_page_officer_activation(struct eid_http_request *req,
				struct eid_http_response *res, void *arg)
{
	struct eid_officer_session os;
	const char *id = NULL;
	int r;

	if ((r = eid_console_officer(arg, req, res, &os)) != EID_OK)
		return r == EID_ENOTFOUND || r == EID_EPERM ? EID_OK : r;
	if (eid_http_query_param(req, "case", &id) != EID_OK)
		id = "";
	r = eid_console_case_page(arg, req, res, &os, id, 200);
	eid_wipe(&os, sizeof(os));
	return r;
}

int eid_page_officer_activation_start(struct eid_http_request *req,
				      struct eid_http_response *res,
				      void *arg)
{
	struct eid_app *app = arg;
	struct eid_officer_session os;
	struct eid_activation c;
	const char *pid = NULL;
	char loc[128];
	eid_txn *t = NULL;
	eid_buf why;
	int r;

	if ((r = eid_console_officer(app, req, res, &os)) != EID_OK)
		return r == EID_ENOTFOUND || r == EID_EPERM ? EID_OK : r;
	eid_buf_init(&why, WHY_MAX);
	if (eid_http_form_param(req, "id", &pid) != EID_OK)
		pid = "";
	if ((r = eid_store_begin(app->store, true, &t)) != EID_OK)
		goto out;
	r = eid_activation_start(t, pid, os.officer_id, os.unit,
				 (int64_t)eid_store_now(app->store), &c, &why);
	if (r == EID_OK) {
		r = eid_txn_commit(t);
		t = NULL;
	}
	if (r == EID_OK) {
		snprintf(loc, sizeof(loc), EID_PATH_OFFICER_ACTIVATION "?case=%s",
			 c.id);
		r = eid_http_reply_redirect(res, 303, loc);
	} else if (why.len > 0) {
		r = eid_console_citizen_page(app, req, res, &os, pid, 409, "error",
					     "Activation cannot start:",
					     "Không thể bắt đầu kích hoạt:",
					     eid_buf_cstr(&why));
	}
out:
	eid_txn_abort(t);
	eid_buf_free(&why);
	eid_wipe(&os, sizeof(os));
	return r;
}
