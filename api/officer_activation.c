/* The activation case in the console.
 *   POST /officer/activation/start     open a case for a citizen
 *   GET  /officer/activation?case=ID   the case: the card read's verdicts,
 *                                      DG13 against the registry field by
 *                                      field, the face-check attestation;
 *                                      for a minor, the guardian's card
 *                                      and consent
 *   POST /officer/activation/birth     a minor without a card: the birth
 *                                      certificate's data */
#include <stdio.h>
#include <string.h>

#include "api/console.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/activation.h"
#include "idp/registry.h"

#define WHY_MAX 256

/* What the case page needs besides the case. */
struct case_facts {
	bool has_account;
	bool has_card; /* the registry has a card number for the citizen */
};

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

/* The command line of the officer's reader: the citizen's card, or
 * (guardian) the guardian's card of a minor's case. */
static void read_command(struct eid_page *p, const struct eid_activation *c,
			 bool guardian)
{
	eid_page_raw(p, guardian ? "<pre id=\"guardian-read-command\">" :
				   "<pre id=\"read-command\">");
	eid_page_raw(p, "eidctl chip read --mrz-info DOCNO+YYMMDD+YYMMDD "
			"--upload &lt;server&gt;" EID_PATH_OFFICER_ACTIVATION "/");
	eid_page_text(p, c->id);
	eid_page_raw(p, guardian ? "/guardian" : "");
	eid_page_raw(p, " --cookie eid_officer=&lt;cookie&gt;</pre>");
}

/* How the officer's reader sends the card. */
static void read_step(struct eid_page *p, const struct eid_activation *c)
{
	eid_page_raw(p, "<p>");
	eid_page_t(p, "Put the card on the reader and run at this desk:",
		   "Đặt thẻ lên đầu đọc và chạy tại bàn làm việc:");
	eid_page_raw(p, "</p>");
	read_command(p, c, false);
	eid_page_raw(p, "<p><a href=\"");
	eid_page_raw(p, EID_PATH_OFFICER_ACTIVATION "?case=");
	eid_page_text(p, c->id);
	eid_page_raw(p, "\">");
	eid_page_t(p, "Reload after the read", "Tải lại sau khi đọc thẻ");
	eid_page_raw(p, "</a></p>");
}

/* A minor without a card: the birth certificate against the registry. */
static void birth_step(struct eid_page *p, const struct eid_officer_session *os,
		       const struct eid_activation *c)
{
	eid_page_raw(p, "<p>");
	eid_page_t(p, "The child has no chip card. Type the full name and the date of birth from the child's birth certificate:",
		   "Trẻ chưa có thẻ căn cước. Nhập họ tên và ngày sinh theo giấy khai sinh của trẻ:");
	eid_page_raw(p, "</p><form method=\"post\" id=\"birth-form\" action=\""
			EID_PATH_OFFICER_ACTIVATION_BIRTH "\">");
	eid_page_hidden(p, "csrf", os->csrf);
	eid_page_hidden(p, "case", c->id);
	eid_page_input(p, "Full name", "Họ và tên", "text", "full_name", NULL,
		       "required");
	eid_page_input(p, "Date of birth (YYYY-MM-DD)", "Ngày sinh (YYYY-MM-DD)",
		       "text", "birthdate", NULL,
		       "required pattern=\"[0-9]{4}-[0-9]{2}-[0-9]{2}\"");
	eid_page_raw(p, "<button type=\"submit\" id=\"check-birth\">");
	eid_page_t(p, "Check against the registry", "Đối chiếu với cơ sở dữ liệu");
	eid_page_raw(p, "</button></form>");
}

/* A minor's case: the guardian, their card's verdicts, and how to read
 * the card while it is still to be read. */
static void guardian_part(struct eid_page *p, const struct eid_activation *c)
{
	bool open = c->state != EID_ACTIVATION_CHIP_FAILED &&
		    c->state != EID_ACTIVATION_CODE_ISSUED &&
		    c->state != EID_ACTIVATION_COMPLETED;

	eid_page_raw(p, "<h2>");
	eid_page_t(p, "Guardian", "Người giám hộ");
	eid_page_raw(p, "</h2><table class=\"record\" id=\"guardian\">");
	eid_page_row(p, "Personal ID number", "Số định danh cá nhân",
		     c->guardian_id);
	eid_page_row(p, "Identified", "Xác minh",
		     eid_activation_guardian_name(c->guardian));
	eid_page_row(p, "Passive Authentication", "Xác thực thụ động",
		     eid_activation_check_name(c->guardian_pa));
	eid_page_row(p, "Active Authentication", "Xác thực chủ động",
		     eid_activation_check_name(c->guardian_aa));
	eid_page_raw(p, "</table>");
	if (c->guardian != EID_AGUARDIAN_WAITING || !open)
		return;
	eid_page_raw(p, "<p>");
	eid_page_t(p, "The guardian must be present: put the guardian's own chip card on the reader and run:",
		   "Người giám hộ phải có mặt: đặt thẻ căn cước của người giám hộ lên đầu đọc và chạy:");
	eid_page_raw(p, "</p>");
	read_command(p, c, true);
}

static void attest_step(struct eid_page *p, const struct eid_officer_session *os,
			const struct eid_activation *c, bool has_account)
{
	bool minor = c->guardian != EID_AGUARDIAN_NONE;

	if (minor && c->guardian != EID_AGUARDIAN_VERIFIED) {
		eid_page_notice(p, "notice", "Identify the guardian next (their chip card, above); then the faces and the consent.",
				"Tiếp theo, xác minh người giám hộ (thẻ căn cước, ở trên); sau đó đối chiếu khuôn mặt và ghi nhận sự đồng ý.",
				NULL);
		return;
	}
	eid_page_raw(p, "<form method=\"post\" action=\""
			EID_PATH_OFFICER_ACTIVATION_ATTEST "\">");
	eid_page_hidden(p, "csrf", os->csrf);
	eid_page_hidden(p, "case", c->id);
	if (minor) {
		eid_page_raw(p, "<label class=\"check\"><input type=\"checkbox\" "
				"name=\"face_checked\" value=\"1\" required> ");
		eid_page_t(p, "The child is here with the guardian; I compared their faces with the cards' portraits (the child's birth certificate when the child has no card).",
			   "Trẻ có mặt cùng người giám hộ; tôi đã đối chiếu khuôn mặt với ảnh trên thẻ (giấy khai sinh khi trẻ chưa có thẻ).");
		eid_page_raw(p, "</label><label class=\"check\"><input type=\"checkbox\" "
				"name=\"guardian_consent\" value=\"1\" required> ");
		eid_page_t(p, "The guardian consents to the child's level-2 account; the activation code goes to the guardian's phone.",
			   "Người giám hộ đồng ý kích hoạt mức 2 cho tài khoản của trẻ; mã kích hoạt được gửi đến điện thoại của người giám hộ.");
		eid_page_raw(p, "</label><button type=\"submit\" id=\"attest\">");
		eid_page_t(p, "Record the consent and send the code to the guardian",
			   "Ghi nhận sự đồng ý và gửi mã cho người giám hộ");
		eid_page_raw(p, "</button></form>");
		return;
	}
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
		       const struct eid_activation *c,
		       const struct case_facts *f)
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
	} else if (c->n_fields > 0) { /* a birth certificate's data */
		field_rows(p, c);
	}
	if (c->guardian != EID_AGUARDIAN_NONE)
		guardian_part(p, c);
	switch (c->state) {
	case EID_ACTIVATION_STARTED:
		if (c->guardian != EID_AGUARDIAN_NONE && !f->has_card)
			birth_step(p, os, c);
		else
			read_step(p, c);
		break;
	case EID_ACTIVATION_CHIP_FAILED:
		eid_page_notice(p, "error", "This case cannot proceed:",
				"Hồ sơ này không thể tiếp tục:", c->refusal);
		break;
	case EID_ACTIVATION_CHIP_OK:
	case EID_ACTIVATION_BIRTH_OK:
		attest_step(p, os, c, f->has_account);
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
	struct case_facts f = { false, false };
	struct eid_activation c;
	struct eid_citizen cz;
	struct eid_account a;
	struct eid_page p;
	eid_txn *t = NULL;
	int r;

	if ((r = eid_store_begin(app->store, false, &t)) != EID_OK)
		return r;
	r = eid_activation_get(t, case_id, &c);
	if (r == EID_OK && eid_account_get(t, c.personal_id, &a) == EID_OK) {
		f.has_account = true;
		eid_account_clear(&a);
	}
	if (r == EID_OK && eid_registry_get(t, c.personal_id, &cz) == EID_OK)
		f.has_card = cz.card_number[0] != '\0';
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
	state_part(&p, os, &c, &f);
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

/* After a step: the case page (GET, so a reload does not post again). */
static int to_case(struct eid_http_response *res, const char *case_id)
{
	char loc[128];

	snprintf(loc, sizeof(loc), EID_PATH_OFFICER_ACTIVATION "?case=%s",
		 case_id);
	return eid_http_reply_redirect(res, 303, loc);
}

int eid_page_officer_activation_start(struct eid_http_request *req,
				      struct eid_http_response *res,
				      void *arg)
{
	struct eid_app *app = arg;
	struct eid_officer_session os;
	struct eid_activation c;
	struct eid_citizen cz;
	const char *pid = NULL;
	eid_txn *t = NULL;
	bool found;
	eid_buf why;
	int r;

	if ((r = eid_console_officer(app, req, res, &os)) != EID_OK)
		return r == EID_ENOTFOUND || r == EID_EPERM ? EID_OK : r;
	eid_buf_init(&why, WHY_MAX);
	if (eid_http_form_param(req, "id", &pid) != EID_OK)
		pid = "";
	/* The registry first, with no transaction open (it may be the
	 * remote one); an ID it cannot parse is told by the start below. */
	r = eid_registry_lookup(&app->registry, pid, &cz);
	if (r == EID_ENETWORK) {
		r = eid_console_citizen_page(app, req, res, &os, pid, 503,
					     NULL, NULL, NULL, NULL);
		goto out;
	}
	if (r != EID_OK && r != EID_ENOTFOUND && r != EID_EMALFORMED)
		goto out;
	found = r == EID_OK;
	if ((r = eid_store_begin(app->store, true, &t)) != EID_OK)
		goto out;
	r = eid_activation_start(t, pid, found ? &cz : NULL, os.officer_id,
				 os.unit, (int64_t)eid_store_now(app->store),
				 &c, &why);
	if (r == EID_OK) {
		r = eid_txn_commit(t);
		t = NULL;
	}
	if (r == EID_OK)
		r = to_case(res, c.id);
	else if (why.len > 0)
		r = eid_console_citizen_page(app, req, res, &os, pid, 409, "error",
					     "Activation cannot start:",
					     "Không thể bắt đầu kích hoạt:",
					     eid_buf_cstr(&why));
out:
	eid_txn_abort(t);
	eid_buf_free(&why);
	eid_wipe(&os, sizeof(os));
	return r;
}

int eid_page_officer_activation_birth(struct eid_http_request *req,
				      struct eid_http_response *res,
				      void *arg)
{
	struct eid_app *app = arg;
	struct eid_officer_session os;
	struct eid_activation c;
	const char *id = NULL, *name = NULL, *bd = NULL;
	eid_txn *t = NULL;
	eid_buf why;
	int r;

	if ((r = eid_console_officer(app, req, res, &os)) != EID_OK)
		return r == EID_ENOTFOUND || r == EID_EPERM ? EID_OK : r;
	eid_buf_init(&why, WHY_MAX);
	if (eid_http_form_param(req, "case", &id) != EID_OK)
		id = "";
	if (eid_http_form_param(req, "full_name", &name) != EID_OK)
		name = NULL;
	if (eid_http_form_param(req, "birthdate", &bd) != EID_OK)
		bd = NULL;
	if ((r = eid_store_begin(app->store, true, &t)) != EID_OK)
		goto out;
	r = eid_activation_record_birth(t, id, os.officer_id, os.unit, os.role,
					name, bd,
					(int64_t)eid_store_now(app->store), &c,
					&why);
	r = eid_txn_finish(t, r);
	t = NULL;
	if (r == EID_OK) {
		r = to_case(res, c.id);
	} else if (r == EID_EPERM) {
		r = eid_console_case_denied(app, req, &os, id, "birth_record");
		if (r == EID_OK)
			r = eid_console_case_denied_page(req, res);
	} else if (r == EID_ENOTFOUND || r == EID_EMALFORMED) {
		r = eid_page_error(res, eid_page_lang(req), 404,
				   "No such activation case.",
				   "Không có hồ sơ kích hoạt này.");
	} else if (why.len > 0) {
		r = eid_page_error(res, eid_page_lang(req), 409,
				   eid_buf_cstr(&why), eid_buf_cstr(&why));
	}
out:
	eid_txn_abort(t);
	eid_buf_free(&why);
	eid_wipe(&os, sizeof(os));
	return r;
}
