/* What the console, account and activation pages share: a page builder,
 * CSRF tokens and the officer's session. */
#include "api/console.h"

#include <stdio.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"
#include "idp/audit.h"

#define TOKEN_LEN 43

enum eid_lang eid_page_lang(struct eid_http_request *req)
{
	const char *ui = NULL;

	(void)eid_http_query_param(req, "ui_locales", &ui);
	return eid_lang_negotiate(ui, eid_http_header(req, "Accept-Language"));
}

void eid_page_raw(struct eid_page *p, const char *markup)
{
	if (p->r == EID_OK)
		p->r = eid_buf_put_str(&p->b, markup);
}

void eid_page_text(struct eid_page *p, const char *s)
{
	if (p->r == EID_OK)
		p->r = eid_html_text(&p->b, s);
}

void eid_page_t(struct eid_page *p, const char *en, const char *vi)
{
	eid_page_text(p, p->lang == EID_LANG_EN ? en : vi);
}

void eid_page_begin(struct eid_page *p, enum eid_lang lang,
		    const char *title_en, const char *title_vi)
{
	const char *title = lang == EID_LANG_EN ? title_en : title_vi;

	eid_buf_init(&p->b, EID_HTML_MAX);
	p->lang = lang;
	p->r = eid_html_begin(&p->b, lang, title);
	eid_page_raw(p, "<h1>");
	eid_page_text(p, title);
	eid_page_raw(p, "</h1>");
}

void eid_page_hidden(struct eid_page *p, const char *name, const char *value)
{
	if (p->r == EID_OK)
		p->r = eid_html_hidden(&p->b, name, value);
}

void eid_page_input(struct eid_page *p, const char *en, const char *vi,
		    const char *type, const char *name, const char *value,
		    const char *attrs)
{
	eid_page_raw(p, "<label>");
	eid_page_t(p, en, vi);
	eid_page_raw(p, "<input type=\"");
	eid_page_text(p, type);
	eid_page_raw(p, "\" name=\"");
	eid_page_text(p, name);
	eid_page_raw(p, "\" ");
	eid_page_raw(p, attrs);
	if (value != NULL) {
		eid_page_raw(p, " value=\"");
		eid_page_text(p, value);
		eid_page_raw(p, "\"");
	}
	eid_page_raw(p, "></label>");
}

void eid_page_notice(struct eid_page *p, const char *cls, const char *en,
		     const char *vi, const char *detail)
{
	eid_page_raw(p, "<p class=\"");
	eid_page_text(p, cls);
	eid_page_raw(p, "\" role=\"alert\">");
	eid_page_t(p, en, vi);
	if (detail != NULL && detail[0] != '\0') {
		eid_page_raw(p, " ");
		eid_page_text(p, detail);
	}
	eid_page_raw(p, "</p>");
}

void eid_page_row(struct eid_page *p, const char *en, const char *vi,
		  const char *value)
{
	eid_page_raw(p, "<tr><th>");
	eid_page_t(p, en, vi);
	eid_page_raw(p, "</th><td>");
	eid_page_text(p, value);
	eid_page_raw(p, "</td></tr>");
}

int eid_page_reply(struct eid_page *p, struct eid_http_response *res,
		   unsigned status)
{
	const char *html;
	int r;

	if (p->r == EID_OK)
		p->r = eid_html_end(&p->b, p->lang);
	r = p->r;
	if (r == EID_OK) {
		html = eid_buf_cstr(&p->b);
		r = html != NULL ? eid_http_reply_html(res, status, html) :
				   EID_ENOMEM;
	}
	eid_buf_free(&p->b);
	return r;
}

int eid_page_error(struct eid_http_response *res, enum eid_lang lang,
		   unsigned status, const char *en, const char *vi)
{
	struct eid_page p;

	eid_page_begin(&p, lang, "Something went wrong", "Đã xảy ra lỗi");
	eid_page_notice(&p, "error", en, vi, NULL);
	return eid_page_reply(&p, res, status);
}

/* ---- CSRF ---- */

int eid_console_cookie(struct eid_http_request *req,
		       struct eid_http_response *res, const char *name,
		       const char *value, long max_age)
{
	struct eid_http_cookie_opts o = {
		.path = "/", .max_age = max_age, .http_only = true,
		.secure = !eid_http_is_loopback(req),
		.same_site = EID_HTTP_SAMESITE_STRICT,
	};

	return eid_http_set_cookie(res, name, max_age != 0 ? value : "", &o);
}

int eid_page_csrf_cookie(struct eid_http_request *req,
			 struct eid_http_response *res, const char *cookie,
			 const char *path, char out[44])
{
	const char *c = eid_http_cookie(req, cookie);
	struct eid_http_cookie_opts o = {
		.path = path, .max_age = -1, .http_only = true,
		.secure = !eid_http_is_loopback(req),
		.same_site = EID_HTTP_SAMESITE_STRICT,
	};
	uint8_t raw[32];
	int r;

	if (c != NULL && strlen(c) == TOKEN_LEN) {
		memcpy(out, c, TOKEN_LEN + 1);
		return EID_OK;
	}
	if ((r = eid_random_bytes(raw, sizeof(raw))) != EID_OK ||
	    (r = eid_b64url_encode_str(raw, sizeof(raw), out, TOKEN_LEN + 1)))
		return r;
	return eid_http_set_cookie(res, cookie, out, &o);
}

static bool token_equal(const char *want, const char *sent)
{
	return want != NULL && sent != NULL && strlen(want) == TOKEN_LEN &&
	       eid_ct_equal_len(want, TOKEN_LEN, sent, strlen(sent));
}

bool eid_page_csrf_cookie_ok(struct eid_http_request *req, const char *cookie)
{
	const char *sent = NULL;

	return eid_http_param(req, "csrf", &sent) == EID_OK &&
	       token_equal(eid_http_cookie(req, cookie), sent);
}

bool eid_page_csrf_ok(struct eid_http_request *req, const char *token)
{
	const char *sent = NULL;

	return eid_http_param(req, "csrf", &sent) == EID_OK &&
	       token_equal(token, sent);
}

/* ---- the officer ---- */

int eid_console_officer(struct eid_app *app, struct eid_http_request *req,
			struct eid_http_response *res,
			struct eid_officer_session *ret)
{
	const char *cookie = eid_http_cookie(req, EID_OFFICER_COOKIE);
	bool post = strcmp(eid_http_method(req), "POST") == 0;
	int r;

	r = eid_officer_session_lookup(app->store, cookie,
				       eid_store_now(app->store), ret);
	if (r == EID_ENOTFOUND) {
		if (!post) {
			r = eid_http_reply_redirect(res, 303,
						    EID_PATH_OFFICER_LOGIN);
			return r == EID_OK ? EID_ENOTFOUND : r;
		}
		r = eid_page_error(res, eid_page_lang(req), 403,
				   "Your console session has ended. Sign in again.",
				   "Phiên làm việc đã kết thúc. Vui lòng đăng nhập lại.");
		return r == EID_OK ? EID_ENOTFOUND : r;
	}
	if (r != EID_OK)
		return r;
	if (post && !eid_page_csrf_ok(req, ret->csrf)) {
		r = eid_page_error(res, eid_page_lang(req), 403,
				   "This form has expired or was not sent from this site.",
				   "Biểu mẫu đã hết hạn hoặc không được gửi từ trang này.");
		return r == EID_OK ? EID_EPERM : r;
	}
	return EID_OK;
}

const char *eid_console_actor(const struct eid_officer_session *os,
			      char *buf, size_t cap)
{
	if (eid_officer_session_actor(os, buf, cap) != EID_OK)
		snprintf(buf, cap, "officer:?");
	return buf;
}

void eid_console_header(struct eid_page *p,
			const struct eid_officer_session *os)
{
	eid_page_raw(p, "<form method=\"post\" action=\""
			EID_PATH_OFFICER_LOGOUT "\" class=\"who\"><span>");
	eid_page_text(p, os->officer_id);
	eid_page_raw(p, " · ");
	eid_page_text(p, os->unit);
	eid_page_raw(p, "</span>");
	eid_page_hidden(p, "csrf", os->csrf);
	eid_page_raw(p, "<button type=\"submit\" class=\"secondary\">");
	eid_page_t(p, "Sign out", "Đăng xuất");
	eid_page_raw(p, "</button></form><p><a href=\"" EID_PATH_OFFICER "\">");
	eid_page_t(p, "Look up a citizen", "Tra cứu công dân");
	eid_page_raw(p, "</a></p>");
}

int eid_console_audit(struct eid_app *app, struct eid_http_request *req,
		      const struct eid_officer_session *os, const char *type,
		      const char *subject, json_t *details)
{
	char actor[EID_ACTOR_MAX + 1];
	eid_txn *t = NULL;
	int r;

	if (details == NULL)
		details = json_object();
	if (details != NULL)
		json_object_set_new(details, "unit", json_string(os->unit));
	if ((r = eid_store_begin(app->store, true, &t)) != EID_OK) {
		json_decref(details);
		return r;
	}
	r = eid_audit_record(t, type, eid_console_actor(os, actor, sizeof(actor)),
			     subject, eid_http_remote(req), details,
			     (int64_t)eid_store_now(app->store));
	return eid_txn_finish(t, r);
}
