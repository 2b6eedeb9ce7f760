/* GET/POST /register and /register/confirm: registration as server-rendered
 * pages (Vietnamese and English, no JavaScript).  The first form is
 * multipart/form-data (it uploads the portrait); both carry a CSRF token
 * that must equal the eid_reg_csrf cookie (double submit: a cookie the
 * page set, SameSite=Strict, HttpOnly). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/console.h"
#include "api/form.h"
#include "api/html.h"
#include "api/multipart.h"
#include "api/selfservice.h"
#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"

#define CSRF_COOKIE "eid_reg_csrf"
#define CSRF_LEN 43 /* base64url of 32 bytes */
#define WHY_MAX 512

static enum eid_lang page_lang(struct eid_http_request *req)
{
	const char *ui = NULL;

	(void)eid_http_query_param(req, "ui_locales", &ui);
	return eid_lang_negotiate(ui, eid_http_header(req, "Accept-Language"));
}

/* The page's CSRF token: the cookie's, or a new one set now. */
static int csrf_token(struct eid_http_request *req,
		      struct eid_http_response *res, char out[CSRF_LEN + 1])
{
	return eid_page_csrf_cookie(req, res, CSRF_COOKIE, "/register", out);
}

static bool csrf_ok(struct eid_http_request *req, const char *sent, size_t n)
{
	const char *c = eid_http_cookie(req, CSRF_COOKIE);

	return c != NULL && sent != NULL && strlen(c) == CSRF_LEN &&
	       eid_ct_equal_len(c, CSRF_LEN, sent, n);
}

/* <label>TEXT<input type name value attrs></label> */
static int field(eid_buf *b, enum eid_lang lang, enum eid_msg label,
		 const char *type, const char *name, const char *value,
		 const char *attrs)
{
	int r;

	if ((r = eid_buf_put_str(b, "<label>")) != EID_OK ||
	    (r = eid_html_text(b, eid_msg(lang, label))) != EID_OK ||
	    (r = eid_buf_printf(b, "<input type=\"%s\" name=\"%s\" %s", type,
				name, attrs)) != EID_OK)
		return r;
	if (value != NULL && ((r = eid_buf_put_str(b, " value=\"")) != EID_OK ||
			      (r = eid_html_text(b, value)) != EID_OK ||
			      (r = eid_buf_put_str(b, "\"")) != EID_OK))
		return r;
	return eid_buf_put_str(b, "></label>");
}

/* A notice above the form: a message and, when set, details. */
static int notice(eid_buf *b, enum eid_lang lang, enum eid_msg msg,
		  const char *detail)
{
	int r;

	if ((r = eid_buf_put_str(b, "<p class=\"error\" role=\"alert\">")) != EID_OK ||
	    (r = eid_html_text(b, eid_msg(lang, msg))) != EID_OK)
		return r;
	if (detail != NULL && detail[0] != '\0' &&
	    ((r = eid_buf_put_str(b, " ")) != EID_OK ||
	     (r = eid_html_text(b, detail)) != EID_OK))
		return r;
	return eid_buf_put_str(b, "</p>");
}

static int reply_page(struct eid_http_response *res, unsigned status,
		      eid_buf *b, int r)
{
	const char *html = r == EID_OK ? eid_buf_cstr(b) : NULL;

	if (r == EID_OK)
		r = html != NULL ? eid_http_reply_html(res, status, html) :
				   EID_ENOMEM;
	eid_buf_free(b);
	return r;
}

/* ---- /register ---- */

struct reg_form {
	const struct eid_registration_input *in; /* what to show again */
	enum eid_msg error;                      /* 0: none */
	const char *detail;
};

static int register_page(struct eid_http_response *res, enum eid_lang lang,
			 const char *csrf, unsigned status,
			 const struct reg_form *f)
{
	const struct eid_registration_input *in = f->in;
	char bd[11] = "";
	eid_buf b;
	int r;

	eid_buf_init(&b, EID_HTML_MAX);
	if (in != NULL && in->birthdate.year != 0)
		eid_date_format(&in->birthdate, bd);
	r = eid_html_begin(&b, lang, eid_msg(lang, EID_MSG_REGISTER_TITLE));
	if (r == EID_OK)
		r = eid_buf_put_str(&b, "<h1>");
	if (r == EID_OK)
		r = eid_html_text(&b, eid_msg(lang, EID_MSG_REGISTER_TITLE));
	if (r == EID_OK)
		r = eid_buf_put_str(&b, "</h1><p>");
	if (r == EID_OK)
		r = eid_html_text(&b, eid_msg(lang, EID_MSG_REGISTER_INTRO));
	if (r == EID_OK)
		r = eid_buf_put_str(&b, "</p>");
	if (r == EID_OK && f->error != 0)
		r = notice(&b, lang, f->error, f->detail);
	if (r == EID_OK)
		r = eid_buf_put_str(&b, "<form method=\"post\" action=\""
				    EID_PATH_REGISTER_PAGE "\" enctype="
				    "\"multipart/form-data\">");
	if (r == EID_OK)
		r = eid_html_hidden(&b, "csrf", csrf);
	if (r == EID_OK)
		r = field(&b, lang, EID_MSG_USERNAME, "text", "personal_id",
			  in ? in->personal_id : NULL,
			  "inputmode=\"numeric\" pattern=\"[0-9]{12}\" required");
	if (r == EID_OK)
		r = field(&b, lang, EID_MSG_FULL_NAME, "text", "full_name",
			  in ? in->full_name : NULL, "required");
	if (r == EID_OK)
		r = field(&b, lang, EID_MSG_BIRTHDATE, "date", "birthdate",
			  bd[0] ? bd : NULL, "required");
	if (r == EID_OK)
		r = field(&b, lang, EID_MSG_PHONE, "tel", "phone",
			  in ? in->phone : NULL, "required");
	if (r == EID_OK)
		r = field(&b, lang, EID_MSG_EMAIL_OPTIONAL, "email", "email",
			  in && in->email[0] ? in->email : NULL, "");
	if (r == EID_OK)
		r = field(&b, lang, EID_MSG_PORTRAIT, "file", "portrait", NULL,
			  "accept=\"image/jpeg\" required");
	if (r == EID_OK)
		r = eid_buf_put_str(&b, "<button type=\"submit\">");
	if (r == EID_OK)
		r = eid_html_text(&b, eid_msg(lang, EID_MSG_SUBMIT_REGISTER));
	if (r == EID_OK)
		r = eid_buf_put_str(&b, "</button></form>");
	if (r == EID_OK)
		r = eid_html_end(&b, lang);
	return reply_page(res, status, &b, r);
}

/* The form's fields into in.  EID_EPERM for a bad CSRF token. */
static int read_register_form(struct eid_http_request *req,
			      struct eid_registration_input *in, eid_buf *why)
{
	static const char *const names[] = { "personal_id", "full_name",
					     "birthdate", "phone", "email",
					     "portrait" };
	struct eid_multipart *m = calloc(1, sizeof(*m));
	const struct eid_multipart_part *p;
	char boundary[EID_MULTIPART_BOUNDARY_MAX + 1];
	size_t n = 0;
	const void *body = eid_http_body(req, &n);
	int r = EID_ENOMEM;

	if (m == NULL)
		return r;
	r = eid_multipart_boundary(eid_http_header(req, "Content-Type"),
				   boundary);
	if (r == EID_OK)
		r = eid_multipart_parse(boundary, body, n, m);
	if (r != EID_OK) {
		r = EID_EMALFORMED;
		goto out;
	}
	if (eid_multipart_get(m, "csrf", &p) != EID_OK ||
	    !csrf_ok(req, p->data, p->len)) {
		r = EID_EPERM;
		goto out;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		r = eid_multipart_get(m, names[i], &p);
		if (r == EID_ENOTFOUND)
			continue;
		if (r == EID_OK)
			r = eid_registration_input_set(in, names[i], p->data,
						       p->len, why);
		if (r != EID_OK)
			goto out;
	}
	r = eid_registration_input_complete(in, why);
out:
	free(m);
	return r;
}

static int register_refused(struct eid_http_response *res, enum eid_lang lang,
			    const char *csrf, int r,
			    const struct eid_registration_input *in,
			    const eid_buf *why, uint64_t retry_after)
{
	struct reg_form f = { .in = in };
	unsigned status = 400;

	switch (r) {
	case EID_EMALFORMED:
	case EID_ETOOBIG:
		f.error = EID_MSG_INVALID_INPUT;
		f.detail = why->len ? (const char *)why->data : NULL;
		break;
	case EID_EMISMATCH:
		f.error = EID_MSG_REGISTER_REJECTED;
		break;
	case EID_EPERM:
		f.error = EID_MSG_GUARDIAN_REQUIRED;
		status = 403;
		break;
	case EID_ELIMIT: {
		char v[24];

		snprintf(v, sizeof(v), "%llu",
			 (unsigned long long)(retry_after ? retry_after : 60));
		(void)eid_http_set_header(res, "Retry-After", v);
		f.error = EID_MSG_TOO_MANY;
		status = 429;
		break;
	}
	case EID_EBUSY: /* the SMS queue is full */
		(void)eid_http_set_header(res, "Retry-After", "60");
		f.error = EID_MSG_SMS_BUSY;
		status = 503;
		break;
	case EID_ENETWORK: /* the registry did not answer */
		(void)eid_http_set_header(res, "Retry-After", "60");
		f.error = EID_MSG_REGISTRY_UNAVAILABLE;
		status = 503;
		break;
	default:
		return r;
	}
	return register_page(res, lang, csrf, status, &f);
}

static int register_post(struct eid_http_request *req,
			 struct eid_http_response *res, struct eid_app *app,
			 enum eid_lang lang, const char *csrf)
{
	struct eid_registration_ctx ctx;
	struct eid_registration_input in;
	struct eid_registration_result out = { 0 };
	char loc[128];
	eid_buf why;
	int r;

	eid_registration_input_init(&in);
	eid_buf_init(&why, WHY_MAX);
	r = read_register_form(req, &in, &why);
	if (r == EID_EPERM) {
		struct reg_form f = { .error = EID_MSG_SESSION_EXPIRED };

		r = register_page(res, lang, csrf, 403, &f);
		goto out;
	}
	if (r == EID_OK) {
		eid_ss_registration_ctx(app, &ctx);
		r = eid_registration_start(&ctx, &in, eid_http_remote(req),
					   (int64_t)eid_store_now(app->store),
					   &out, &why);
	}
	if (r != EID_OK) {
		(void)eid_buf_cstr(&why); /* the reason as a C string */
		r = register_refused(res, lang, csrf, r, &in, &why,
				     out.retry_after);
		goto out;
	}
	(void)snprintf(loc, sizeof(loc), EID_PATH_REGISTER_CONFIRM_PAGE "?id=%s",
		       out.id);
	r = eid_http_reply_redirect(res, 303, loc);
out:
	eid_registration_input_free(&in);
	eid_buf_free(&why);
	return r;
}

int eid_page_register(struct eid_http_request *req,
		      struct eid_http_response *res, void *arg)
{
	enum eid_lang lang = page_lang(req);
	char csrf[CSRF_LEN + 1];
	struct reg_form none = { 0 };
	int r = csrf_token(req, res, csrf);

	if (r != EID_OK)
		return r;
	if (strcmp(eid_http_method(req), "POST") == 0)
		return register_post(req, res, arg, lang, csrf);
	return register_page(res, lang, csrf, 200, &none);
}

/* ---- /register/confirm ---- */

static int confirm_page(struct eid_http_response *res, enum eid_lang lang,
			const char *csrf, const char *id, unsigned status,
			enum eid_msg error, const char *detail)
{
	eid_buf b;
	int r;

	eid_buf_init(&b, EID_HTML_MAX);
	r = eid_html_begin(&b, lang, eid_msg(lang, EID_MSG_CONFIRM_TITLE));
	if (r == EID_OK)
		r = eid_buf_put_str(&b, "<h1>");
	if (r == EID_OK)
		r = eid_html_text(&b, eid_msg(lang, EID_MSG_CONFIRM_TITLE));
	if (r == EID_OK)
		r = eid_buf_put_str(&b, "</h1><p>");
	if (r == EID_OK)
		r = eid_html_text(&b, eid_msg(lang, EID_MSG_CODE_SENT));
	if (r == EID_OK)
		r = eid_buf_put_str(&b, "</p>");
	if (r == EID_OK && error != 0)
		r = notice(&b, lang, error, detail);
	if (r == EID_OK)
		r = eid_buf_put_str(&b, "<form method=\"post\" action=\""
				    EID_PATH_REGISTER_CONFIRM_PAGE "\">");
	if (r == EID_OK)
		r = eid_html_hidden(&b, "csrf", csrf);
	if (r == EID_OK)
		r = eid_html_hidden(&b, "id", id);
	if (r == EID_OK)
		r = field(&b, lang, EID_MSG_CODE, "text", "code", NULL,
			  "inputmode=\"numeric\" pattern=\"[0-9]{6}\" "
			  "autocomplete=\"one-time-code\" required");
	if (r == EID_OK)
		r = field(&b, lang, EID_MSG_NEW_PASSWORD, "password", "password",
			  NULL, "autocomplete=\"new-password\" required");
	if (r == EID_OK)
		r = eid_buf_put_str(&b, "<button type=\"submit\">");
	if (r == EID_OK)
		r = eid_html_text(&b, eid_msg(lang, EID_MSG_SUBMIT_CONFIRM));
	if (r == EID_OK)
		r = eid_buf_put_str(&b, "</button></form>");
	if (r == EID_OK)
		r = eid_html_end(&b, lang);
	return reply_page(res, status, &b, r);
}

static int done_page(struct eid_http_response *res, enum eid_lang lang)
{
	eid_buf b;
	int r;

	eid_buf_init(&b, EID_HTML_MAX);
	r = eid_html_begin(&b, lang, eid_msg(lang, EID_MSG_REGISTERED_TITLE));
	if (r == EID_OK)
		r = eid_buf_put_str(&b, "<h1>");
	if (r == EID_OK)
		r = eid_html_text(&b, eid_msg(lang, EID_MSG_REGISTERED_TITLE));
	if (r == EID_OK)
		r = eid_buf_put_str(&b, "</h1><p>");
	if (r == EID_OK)
		r = eid_html_text(&b, eid_msg(lang, EID_MSG_REGISTERED_TEXT));
	if (r == EID_OK)
		r = eid_buf_put_str(&b, "</p>");
	if (r == EID_OK)
		r = eid_html_end(&b, lang);
	return reply_page(res, 200, &b, r);
}

static int confirm_post(struct eid_http_request *req,
			struct eid_http_response *res, struct eid_app *app,
			enum eid_lang lang, const char *csrf, const char *id)
{
	struct eid_registration_ctx ctx;
	const char *sent = NULL, *code = NULL, *pw = NULL;
	eid_buf why;
	int r;

	(void)eid_http_form_param(req, "csrf", &sent);
	if (!csrf_ok(req, sent, sent ? strlen(sent) : 0))
		return confirm_page(res, lang, csrf, id, 403,
				    EID_MSG_SESSION_EXPIRED, NULL);
	if (eid_http_form_param(req, "code", &code) != EID_OK ||
	    eid_http_form_param(req, "password", &pw) != EID_OK)
		return confirm_page(res, lang, csrf, id, 400,
				    EID_MSG_BAD_REQUEST, NULL);
	eid_buf_init(&why, WHY_MAX);
	eid_ss_registration_ctx(app, &ctx);
	r = eid_registration_confirm(&ctx, id, code, pw, eid_http_remote(req),
				     (int64_t)eid_store_now(app->store), NULL,
				     &why);
	if (r == EID_OK)
		r = done_page(res, lang);
	else if (r == EID_EINVAL)
		r = confirm_page(res, lang, csrf, id, 400, EID_MSG_WEAK_PASSWORD,
				 why.len ? eid_buf_cstr(&why) : NULL);
	else if (r == EID_EAUTH || r == EID_EEXPIRED || r == EID_EREPLAY ||
		 r == EID_ELIMIT || r == EID_EMISMATCH)
		r = confirm_page(res, lang, csrf, id, 400, EID_MSG_CODE_WRONG,
				 NULL);
	else if (r == EID_ENOTFOUND)
		r = confirm_page(res, lang, csrf, id, 404,
				 EID_MSG_SESSION_EXPIRED, NULL);
	else if (r == EID_ENETWORK && (r = confirm_page(
			 res, lang, csrf, id, 503, EID_MSG_REGISTRY_UNAVAILABLE,
			 NULL)) == EID_OK)
		r = eid_http_set_header(res, "Retry-After", "60");
	eid_buf_free(&why);
	return r;
}

int eid_page_register_confirm(struct eid_http_request *req,
			      struct eid_http_response *res, void *arg)
{
	enum eid_lang lang = page_lang(req);
	char csrf[CSRF_LEN + 1];
	const char *id = NULL;
	int r = csrf_token(req, res, csrf);

	if (r != EID_OK)
		return r;
	if (eid_http_param(req, "id", &id) != EID_OK ||
	    strlen(id) != EID_REGISTRATION_ID_LEN)
		return confirm_page(res, lang, csrf, "", 404,
				    EID_MSG_SESSION_EXPIRED, NULL);
	if (strcmp(eid_http_method(req), "POST") == 0)
		return confirm_post(req, res, arg, lang, csrf, id);
	return confirm_page(res, lang, csrf, id, 200, 0, NULL);
}
