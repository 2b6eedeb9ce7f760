/* POST /officer/activation/attest: the officer attests the face check of
 * a verified case; the account becomes level 2 (pending activation) and
 * the activation code is shown once, as text and as a QR code that opens
 * /activate with the code filled in.  A minor's case also records the
 * guardian's consent, and the code goes by SMS to the guardian's phone
 * instead of the screen. */
#include <string.h>

#include "api/console.h"
#include "api/form.h"
#include "api/qr.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/activation.h"
#include "idp/notify.h"

#define WHY_MAX 256
#define SMS_MAX 320

/* <issuer>/activate?personal_id=..&code=.. */
static int activate_url(const struct eid_app *app, const char *pid,
			const char *code, eid_buf *out)
{
	int r = eid_buf_put_str(out, app->cfg->server.issuer);

	if (r == EID_OK)
		r = eid_buf_put_str(out, EID_PATH_ACTIVATE "?");
	if (r == EID_OK)
		r = eid_form_encode_append(out, "personal_id", pid);
	if (r == EID_OK)
		r = eid_form_encode_append(out, "code", code);
	return r;
}

static int code_page(struct eid_app *app, struct eid_http_request *req,
		     struct eid_http_response *res,
		     const struct eid_officer_session *os,
		     const struct eid_activation *c, const char *code)
{
	struct eid_page p;
	eid_buf url, svg;
	int r;

	eid_buf_init_secret(&url, 1024);
	eid_buf_init_secret(&svg, 256 * 1024);
	r = activate_url(app, c->personal_id, code, &url);
	if (r == EID_OK)
		r = eid_qr_svg(eid_buf_cstr(&url), &svg);
	eid_page_begin(&p, eid_page_lang(req), "Activation code",
		       "Mã kích hoạt");
	p.r = p.r ? p.r : r;
	eid_console_header(&p, os);
	eid_page_raw(&p, "<p>");
	eid_page_t(&p, "Give the citizen this code. It is shown only once; the citizen enters it at",
		   "Đưa mã này cho công dân. Mã chỉ hiển thị một lần; công dân nhập mã tại");
	eid_page_raw(&p, " <code>" EID_PATH_ACTIVATE "</code>.</p>"
			 "<p class=\"code\" id=\"activation-code\">");
	eid_page_text(&p, code);
	eid_page_raw(&p, "</p><div class=\"qr\">");
	eid_page_raw(&p, svg.len ? eid_buf_cstr(&svg) : "");
	eid_page_raw(&p, "</div><p>");
	eid_page_t(&p, "Personal ID number:", "Số định danh cá nhân:");
	eid_page_raw(&p, " ");
	eid_page_text(&p, c->personal_id);
	eid_page_raw(&p, "</p>");
	eid_buf_free(&url);
	eid_buf_free(&svg);
	r = eid_page_reply(&p, res, 200);
	return r;
}

/* A minor's code goes to the guardian's phone (Decree 69/2024: the
 * guardian holds the child's account); the desk only says where. */
static int send_to_guardian(struct eid_app *app, const struct eid_activation *c,
			    const char *phone, const char *code)
{
	char text[SMS_MAX];
	int n = snprintf(text, sizeof(text),
			 "eID: ma kich hoat muc 2 cho tai khoan cua tre %s: %s "
			 "(nhap tai %s" EID_PATH_ACTIVATE "). / eID: level-2 "
			 "activation code for your child's account %s: %s "
			 "(enter it at %s" EID_PATH_ACTIVATE ").",
			 c->personal_id, code, app->cfg->server.issuer,
			 c->personal_id, code, app->cfg->server.issuer);
	int r = n > 0 && (size_t)n < sizeof(text) ?
			eid_notify_sms(&app->notify, phone, text) : EID_EINVAL;

	eid_wipe(text, sizeof(text));
	return r;
}

static int sent_page(struct eid_http_request *req, struct eid_http_response *res,
		     const struct eid_officer_session *os,
		     const struct eid_activation *c, const char *phone)
{
	char masked[EID_PHONE_MAX + 1];
	struct eid_page p;

	eid_notify_mask_phone(phone, masked, sizeof(masked));
	eid_page_begin(&p, eid_page_lang(req), "Activation code",
		       "Mã kích hoạt");
	eid_console_header(&p, os);
	eid_page_raw(&p, "<p id=\"code-sent\">");
	eid_page_t(&p, "The guardian's consent is recorded. The activation code was sent by SMS to the guardian's phone:",
		   "Đã ghi nhận sự đồng ý của người giám hộ. Mã kích hoạt đã được gửi bằng SMS đến điện thoại của người giám hộ:");
	eid_page_raw(&p, " <code>");
	eid_page_text(&p, masked);
	eid_page_raw(&p, "</code></p><p>");
	eid_page_t(&p, "The guardian enters it with the child's personal ID number at",
		   "Người giám hộ nhập mã cùng số định danh của trẻ tại");
	eid_page_raw(&p, " <code>" EID_PATH_ACTIVATE "</code>: ");
	eid_page_text(&p, c->personal_id);
	eid_page_raw(&p, "</p>");
	return eid_page_reply(&p, res, 200);
}

static const char *case_param(struct eid_http_request *req)
{
	const char *id = NULL;

	return eid_http_form_param(req, "case", &id) == EID_OK ? id : "";
}

static bool ticked(struct eid_http_request *req, const char *name)
{
	const char *v = NULL;

	return eid_http_form_param(req, name, &v) == EID_OK &&
	       strcmp(v, "1") == 0;
}

static int attest(struct eid_app *app, struct eid_http_request *req,
		  const struct eid_officer_session *os, struct eid_activation *c,
		  char code[EID_ACTIVATION_CODE_LEN + 1],
		  char sms_to[EID_PHONE_MAX + 1], eid_buf *why)
{
	struct eid_activation_attest a = { 0 };
	struct eid_citizen cz;
	bool minor = false;
	eid_txn *t = NULL;
	int r;

	a.case_id = case_param(req);
	if (eid_http_form_param(req, "phone", &a.phone) != EID_OK)
		a.phone = NULL;
	a.face_checked = ticked(req, "face_checked");
	a.guardian_consent = ticked(req, "guardian_consent");
	a.officer_id = os->officer_id;
	a.unit = os->unit;
	a.role = os->role;
	a.code_ttl = app->cfg->activation.code_ttl;
	/* An adult's account is created from the registry's record, asked
	 * before the transaction. */
	r = eid_console_case_citizen(app, a.case_id, &minor, &cz);
	if (r == EID_ENOTFOUND) {
		eid_buf_say(why, "no such case, or its citizen is no longer "
				 "in the registry");
		return EID_ENOTFOUND;
	}
	if (r == EID_ENETWORK)
		return r;
	if (r == EID_OK && !minor)
		a.citizen = &cz; /* otherwise the attest below says why */
	if ((r = eid_store_begin(app->store, true, &t)) != EID_OK)
		return r;
	r = eid_activation_attest(t, &app->policy, &a,
				  (int64_t)eid_store_now(app->store), code, c,
				  why);
	memcpy(sms_to, a.ret_sms_to, EID_PHONE_MAX + 1);
	if (r == EID_OK)
		return eid_txn_commit(t);
	eid_txn_abort(t);
	return r;
}

int eid_page_officer_activation_attest(struct eid_http_request *req,
				       struct eid_http_response *res,
				       void *arg)
{
	struct eid_app *app = arg;
	struct eid_officer_session os;
	struct eid_activation c;
	char code[EID_ACTIVATION_CODE_LEN + 1] = "";
	char sms_to[EID_PHONE_MAX + 1] = "";
	eid_buf why;
	int r;

	if ((r = eid_console_officer(app, req, res, &os)) != EID_OK)
		return r == EID_ENOTFOUND || r == EID_EPERM ? EID_OK : r;
	eid_buf_init(&why, WHY_MAX);
	r = attest(app, req, &os, &c, code, sms_to, &why);
	if (r == EID_OK && sms_to[0] != '\0') {
		/* Committed: a code that cannot be sent is lost with it, and
		 * a new case issues another (it replaces this one). */
		r = send_to_guardian(app, &c, sms_to, code);
		r = r == EID_OK ? sent_page(req, res, &os, &c, sms_to) :
			eid_page_error(res, eid_page_lang(req), 503,
				       "The activation code could not be sent to the guardian's phone: open a new case.",
				       "Không gửi được mã kích hoạt đến điện thoại của người giám hộ: hãy mở hồ sơ mới.");
	} else if (r == EID_OK) {
		r = code_page(app, req, res, &os, &c, code);
	} else if (r == EID_EPERM) {
		r = eid_console_case_denied(app, req, &os, case_param(req),
					    "attest");
		if (r == EID_OK)
			r = eid_console_case_denied_page(req, res);
	} else if (r == EID_ENETWORK) {
		r = eid_page_error(res, eid_page_lang(req), 503,
				   eid_msg(EID_LANG_EN, EID_MSG_REGISTRY_UNAVAILABLE),
				   eid_msg(EID_LANG_VI, EID_MSG_REGISTRY_UNAVAILABLE));
	} else if (r != EID_ENOMEM && r != EID_ESTORE) {
		r = eid_page_error(res, eid_page_lang(req), 409,
				   why.len ? eid_buf_cstr(&why) :
					     "The case cannot go on.",
				   why.len ? eid_buf_cstr(&why) :
					     "Hồ sơ không thể tiếp tục.");
	}
	eid_wipe(code, sizeof(code));
	eid_buf_free(&why);
	eid_wipe(&os, sizeof(os));
	return r;
}
