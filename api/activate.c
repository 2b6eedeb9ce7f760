/* GET/POST /activate: the citizen finishes a level-2 activation with the
 * personal ID number, the activation code the officer gave, and a new
 * password.  The account becomes active at level 2 and every session and
 * token issued before ends.  Double-submit CSRF (eid_act_csrf cookie). */
#include <string.h>

#include "api/console.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/activation.h"

#define CSRF_COOKIE "eid_act_csrf"
#define WHY_MAX 256

struct msg {
	unsigned status;
	const char *cls, *en, *vi, *detail;
};

static const char *query(struct eid_http_request *req, const char *name)
{
	const char *v = NULL;

	return eid_http_param(req, name, &v) == EID_OK ? v : NULL;
}

static int form_page(struct eid_http_request *req,
		     struct eid_http_response *res, const struct msg *m)
{
	struct eid_page p;
	char csrf[44] = "";
	int r;

	eid_page_begin(&p, eid_page_lang(req), "Activate your level-2 account",
		       "Kích hoạt tài khoản mức 2");
	if ((r = eid_page_csrf_cookie(req, res, CSRF_COOKIE, EID_PATH_ACTIVATE,
				      csrf)) != EID_OK)
		p.r = r;
	if (m->en != NULL)
		eid_page_notice(&p, m->cls, m->en, m->vi, m->detail);
	eid_page_raw(&p, "<form method=\"post\" action=\"" EID_PATH_ACTIVATE "\">");
	eid_page_hidden(&p, "csrf", csrf);
	eid_page_input(&p, "Personal ID number (12 digits)",
		       "Số định danh cá nhân (12 chữ số)", "text", "personal_id",
		       query(req, "personal_id"),
		       "inputmode=\"numeric\" pattern=\"[0-9]{12}\" "
		       "maxlength=\"12\" autocomplete=\"username\" required");
	eid_page_input(&p, "Activation code (from the police officer)",
		       "Mã kích hoạt (do cán bộ công an cấp)", "text", "code",
		       strcmp(eid_http_method(req), "GET") == 0 ?
			       query(req, "code") : NULL,
		       "maxlength=\"16\" autocomplete=\"off\" required");
	eid_page_input(&p, "New password (at least 12 characters)",
		       "Mật khẩu mới (tối thiểu 12 ký tự)", "password",
		       "password", NULL,
		       "autocomplete=\"new-password\" maxlength=\"1024\" required");
	eid_page_raw(&p, "<button type=\"submit\">");
	eid_page_t(&p, "Activate", "Kích hoạt");
	eid_page_raw(&p, "</button></form>");
	eid_wipe(csrf, sizeof(csrf));
	return eid_page_reply(&p, res, m->status);
}

static int done_page(struct eid_http_request *req, struct eid_http_response *res)
{
	struct eid_page p;

	eid_page_begin(&p, eid_page_lang(req), "Your account is active",
		       "Tài khoản đã được kích hoạt");
	eid_page_raw(&p, "<p id=\"activated\">");
	eid_page_t(&p, "Your level-2 account is active. Sign in with your personal ID number and your new password.",
		   "Tài khoản mức 2 của bạn đã được kích hoạt. Hãy đăng nhập bằng số định danh cá nhân và mật khẩu mới.");
	eid_page_raw(&p, "</p>");
	return eid_page_reply(&p, res, 200);
}

/* The refusal to show for a verdict of eid_activation_complete. */
static void refusal(int r, const eid_buf *why, struct msg *m)
{
	m->cls = "error";
	m->status = 400;
	switch (r) {
	case EID_EINVAL:
		m->en = "The password cannot be used:";
		m->vi = "Không thể dùng mật khẩu này:";
		m->detail = why->len ? (const char *)why->data : NULL;
		/* eid_buf_cstr ended it with a NUL (the caller) */
		break;
	case EID_EREPLAY:
		m->en = "This activation code was used already.";
		m->vi = "Mã kích hoạt này đã được sử dụng.";
		break;
	case EID_EEXPIRED:
		m->en = "This activation code has expired. Ask the police of your commune for a new one.";
		m->vi = "Mã kích hoạt đã hết hạn. Vui lòng đề nghị công an cấp xã cấp mã mới.";
		break;
	case EID_ELIMIT:
		m->status = 429;
		m->en = "Too many wrong codes: this code no longer works. Ask the police of your commune for a new one.";
		m->vi = "Nhập sai quá nhiều lần: mã này không còn hiệu lực. Vui lòng đề nghị công an cấp xã cấp mã mới.";
		break;
	default: /* EAUTH, ENOTFOUND: never which */
		m->en = "The personal ID number or the activation code is wrong.";
		m->vi = "Số định danh cá nhân hoặc mã kích hoạt không đúng.";
		break;
	}
}

int eid_page_activate(struct eid_http_request *req,
		      struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct msg m = { .status = 200 };
	const char *pid = NULL, *code = NULL, *pw = NULL;
	eid_buf why;
	int r;

	if (strcmp(eid_http_method(req), "POST") != 0)
		return form_page(req, res, &m);
	if (!eid_page_csrf_cookie_ok(req, CSRF_COOKIE)) {
		m = (struct msg){ 403, "error", "This form has expired. Try again.",
				  "Biểu mẫu đã hết hạn. Vui lòng thử lại.", NULL };
		return form_page(req, res, &m);
	}
	if (eid_http_form_param(req, "personal_id", &pid) != EID_OK ||
	    eid_http_form_param(req, "code", &code) != EID_OK ||
	    eid_http_form_param(req, "password", &pw) != EID_OK) {
		m = (struct msg){ 400, "error", "Fill in every field.",
				  "Vui lòng điền đủ các trường.", NULL };
		return form_page(req, res, &m);
	}
	eid_buf_init(&why, WHY_MAX);
	r = eid_activation_complete(app->store, &app->policy, pid, code, pw,
				    eid_http_remote(req),
				    (int64_t)eid_store_now(app->store), &why);
	if (r == EID_OK)
		r = done_page(req, res);
	else if (r == EID_ENOMEM || r == EID_ESTORE)
		;
	else {
		(void)eid_buf_cstr(&why);
		refusal(r, &why, &m);
		r = form_page(req, res, &m);
	}
	eid_buf_free(&why);
	return r;
}
