/* Response builders and the security headers every response carries. */
#define _GNU_SOURCE /* strcasestr */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/http.h"
#include "api/http_priv.h"
#include "crypto/error.h"
#include "crypto/json_write.h"

void eid_http_response_init(struct eid_http_response *res)
{
	memset(res, 0, sizeof(*res));
	eid_buf_init(&res->body, EID_HTTP_MAX_RESPONSE);
}

void eid_http_response_reset(struct eid_http_response *res)
{
	for (size_t i = 0; i < res->nheaders; i++) {
		free(res->headers[i].name);
		free(res->headers[i].value);
	}
	eid_buf_free(&res->body);
	eid_http_response_init(res);
}

const char *eid_http_response_header(const struct eid_http_response *res,
				     const char *name)
{
	for (size_t i = 0; i < res->nheaders; i++)
		if (strcasecmp(res->headers[i].name, name) == 0)
			return res->headers[i].value;
	return NULL;
}

/* True when s is min..max bytes, each accepted by ok. */
static bool valid_chars(const char *s, size_t min, size_t max,
			bool (*ok)(unsigned char))
{
	size_t n = strnlen(s, max + 1);

	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!ok((unsigned char)s[i]))
			return false;
	return true;
}

/* RFC 9110 section 5.6.2 tchar. */
static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Visible ASCII, space, tab and UTF-8 bytes; no CR, LF or other controls. */
static bool is_field_char(unsigned char c)
{
	return (c >= 0x20 || c == '\t') && c != 0x7f;
}

/* RFC 6749 appendix A.7/A.8 NQSCHAR: %x20-21 / %x23-5B / %x5D-7E. */
static bool is_nqschar(unsigned char c)
{
	return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
}

/* RFC 6265 section 4.1.1 cookie-octet. */
static bool is_cookie_octet(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';' &&
	       c != '\\';
}

static bool valid_token(const char *s, size_t max)
{
	return valid_chars(s, 1, max, is_tchar);
}

static bool valid_field_value(const char *s, size_t max)
{
	return valid_chars(s, 0, max, is_field_char);
}

static bool valid_nqschar(const char *s)
{
	return valid_chars(s, 0, EID_HTTP_MAX_HEADER_VALUE, is_nqschar);
}

static bool valid_cookie_value(const char *s)
{
	return valid_chars(s, 0, EID_HTTP_MAX_HEADER_VALUE, is_cookie_octet);
}

static bool is_framing_header(const char *name)
{
	return strcasecmp(name, "Content-Length") == 0 ||
	       strcasecmp(name, "Transfer-Encoding") == 0 ||
	       strcasecmp(name, "Connection") == 0;
}

/* Store name: value, replacing an earlier one unless append is set. */
static int header_put(struct eid_http_response *res, const char *name,
		      const char *value, bool append, size_t cap)
{
	struct eid_http_kv *kv = NULL;
	char *v;

	for (size_t i = 0; !append && i < res->nheaders; i++)
		if (strcasecmp(res->headers[i].name, name) == 0)
			kv = &res->headers[i];
	if ((v = strdup(value)) == NULL)
		return EID_ENOMEM;
	if (kv != NULL) {
		free(kv->value);
		kv->value = v;
		return EID_OK;
	}
	if (res->nheaders >= cap) {
		free(v);
		return EID_ETOOBIG;
	}
	kv = &res->headers[res->nheaders];
	if ((kv->name = strdup(name)) == NULL) {
		free(v);
		return EID_ENOMEM;
	}
	kv->value = v;
	res->nheaders++;
	return EID_OK;
}

int eid_http_set_header(struct eid_http_response *res, const char *name,
			const char *value)
{
	if (name == NULL || value == NULL ||
	    !valid_token(name, EID_HTTP_MAX_HEADER_NAME) ||
	    !valid_field_value(value, EID_HTTP_MAX_HEADER_VALUE) ||
	    is_framing_header(name))
		return EID_EINVAL;
	return header_put(res, name, value,
			  strcasecmp(name, "Set-Cookie") == 0,
			  EID_HTTP_MAX_USER_HEADERS);
}

/* Replace the body with n bytes of content_type at status. */
static int reply(struct eid_http_response *res, unsigned status,
		 const char *content_type, bool html, const void *p, size_t n)
{
	int r;

	if (status < 100 || status > 599)
		return EID_EINVAL;
	eid_buf_reset(&res->body);
	r = eid_buf_put(&res->body, p, n);
	if (r == EID_OK)
		r = header_put(res, "Content-Type", content_type, false,
			       EID_HTTP_MAX_HEADERS);
	if (r != EID_OK) {
		eid_buf_reset(&res->body);
		return r;
	}
	res->status = status;
	res->html = html;
	res->replied = true;
	return EID_OK;
}

int eid_http_reply_buf(struct eid_http_response *res, unsigned status,
		       const char *content_type, eid_buf *body)
{
	eid_buf old;
	int r;

	if (content_type == NULL || body == NULL || body->secret ||
	    body->len > EID_HTTP_MAX_RESPONSE || status < 100 ||
	    status > 599 ||
	    !valid_field_value(content_type, EID_HTTP_MAX_HEADER_VALUE))
		return EID_EINVAL;
	if ((r = header_put(res, "Content-Type", content_type, false,
			    EID_HTTP_MAX_HEADERS)) != EID_OK)
		return r;
	old = res->body;
	res->body = *body;
	res->body.max = EID_HTTP_MAX_RESPONSE;
	eid_buf_init(body, body->max);
	eid_buf_free(&old);
	res->status = status;
	res->html = false;
	res->replied = true;
	return EID_OK;
}

int eid_http_reply_json(struct eid_http_response *res, unsigned status,
			const json_t *body)
{
	char *s;
	int r;

	if (body == NULL)
		return EID_EINVAL;
	s = eid_json_dumps(body);
	if (s == NULL)
		return EID_ENOMEM;
	r = reply(res, status, "application/json", false, s, strlen(s));
	free(s);
	return r;
}

static int reply_str(struct eid_http_response *res, unsigned status,
		     const char *content_type, bool html, const char *s)
{
	if (s == NULL)
		return EID_EINVAL;
	return reply(res, status, content_type, html, s, strlen(s));
}

int eid_http_reply_bytes(struct eid_http_response *res, unsigned status,
			 const char *content_type, const void *p, size_t n)
{
	if (content_type == NULL || (p == NULL && n > 0) ||
	    !valid_field_value(content_type, EID_HTTP_MAX_HEADER_VALUE))
		return EID_EINVAL;
	return reply(res, status, content_type, false, p, n);
}

int eid_http_reply_text(struct eid_http_response *res, unsigned status,
			const char *text)
{
	return reply_str(res, status, "text/plain; charset=utf-8", false, text);
}

int eid_http_reply_html(struct eid_http_response *res, unsigned status,
			const char *html)
{
	return reply_str(res, status, "text/html; charset=utf-8", true, html);
}

int eid_http_reply_script(struct eid_http_response *res, const char *js,
			  size_t n)
{
	int r = eid_http_reply_bytes(res, 200, "text/javascript; charset=utf-8",
				     js, n);

	if (r == EID_OK)
		r = eid_http_set_header(res, "Cache-Control",
					"public, max-age=3600");
	return r;
}

int eid_http_reply_redirect(struct eid_http_response *res, unsigned status,
			    const char *location)
{
	int r;

	if ((status != 302 && status != 303) || location == NULL ||
	    location[0] == '\0' ||
	    !valid_field_value(location, EID_HTTP_MAX_HEADER_VALUE) ||
	    strchr(location, '\t') != NULL)
		return EID_EINVAL;
	r = reply(res, status, "text/plain; charset=utf-8", false, "", 0);
	if (r == EID_OK)
		r = header_put(res, "Location", location, false,
			       EID_HTTP_MAX_HEADERS);
	if (r != EID_OK)
		res->replied = false;
	return r;
}

static bool valid_oauth_error(const char *error, const char *description)
{
	return error != NULL && error[0] != '\0' && valid_nqschar(error) &&
	       (description == NULL || valid_nqschar(description));
}

int eid_http_reply_oauth_error(struct eid_http_response *res, unsigned status,
			       const char *error, const char *description)
{
	json_t *o = NULL;
	int r = EID_ENOMEM;

	if (!valid_oauth_error(error, description))
		return EID_EINVAL;
	if ((o = json_object()) == NULL ||
	    json_object_set_new(o, "error", json_string(error)) != 0)
		goto out;
	if (description != NULL &&
	    json_object_set_new(o, "error_description",
				json_string(description)) != 0)
		goto out;
	r = eid_http_reply_json(res, status, o);
out:
	json_decref(o);
	return r;
}

int eid_http_reply_oauth_challenge(struct eid_http_response *res,
				   const char *scheme, const char *error,
				   const char *description)
{
	eid_buf b;
	const char *v = NULL;
	int r;

	if (scheme == NULL || !valid_token(scheme, 32) ||
	    !valid_oauth_error(error, description))
		return EID_EINVAL;
	eid_buf_init(&b, EID_HTTP_MAX_HEADER_VALUE);
	r = eid_buf_printf(&b, "%s error=\"%s\"", scheme, error);
	if (r == EID_OK && description != NULL)
		r = eid_buf_printf(&b, ", error_description=\"%s\"", description);
	if (r == EID_OK)
		r = (v = eid_buf_cstr(&b)) == NULL ? EID_ENOMEM : EID_OK;
	if (r == EID_OK)
		r = eid_http_reply_oauth_error(res, 401, error, description);
	if (r == EID_OK)
		r = eid_http_set_header(res, "WWW-Authenticate", v);
	eid_buf_free(&b);
	return r;
}

static const char *samesite_name(enum eid_http_samesite s)
{
	switch (s) {
	case EID_HTTP_SAMESITE_LAX:
		return "Lax";
	case EID_HTTP_SAMESITE_STRICT:
		return "Strict";
	case EID_HTTP_SAMESITE_NONE:
		return "None";
	}
	return NULL;
}

static bool valid_cookie(const char *name, const char *value,
			 const struct eid_http_cookie_opts *o, const char *path)
{
	return name != NULL && value != NULL && o != NULL &&
	       valid_token(name, EID_HTTP_MAX_HEADER_NAME) &&
	       valid_cookie_value(value) && path[0] == '/' &&
	       valid_cookie_value(path) &&
	       samesite_name(o->same_site) != NULL &&
	       (o->same_site != EID_HTTP_SAMESITE_NONE || o->secure);
}

int eid_http_set_cookie(struct eid_http_response *res, const char *name,
			const char *value,
			const struct eid_http_cookie_opts *opts)
{
	const char *path = opts != NULL && opts->path != NULL ? opts->path : "/";
	const char *v = NULL;
	eid_buf b;
	int r;

	if (!valid_cookie(name, value, opts, path))
		return EID_EINVAL;
	eid_buf_init(&b, EID_HTTP_MAX_HEADER_VALUE);
	r = eid_buf_printf(&b, "%s=%s; Path=%s", name, value, path);
	if (r == EID_OK && opts->max_age >= 0)
		r = eid_buf_printf(&b, "; Max-Age=%ld", opts->max_age);
	if (r == EID_OK && opts->http_only)
		r = eid_buf_put_str(&b, "; HttpOnly");
	if (r == EID_OK && opts->secure)
		r = eid_buf_put_str(&b, "; Secure");
	if (r == EID_OK)
		r = eid_buf_printf(&b, "; SameSite=%s",
				   samesite_name(opts->same_site));
	if (r == EID_OK)
		r = (v = eid_buf_cstr(&b)) == NULL ? EID_ENOMEM : EID_OK;
	if (r == EID_OK)
		r = eid_http_set_header(res, "Set-Cookie", v);
	eid_buf_free(&b);
	return r;
}

/* Add name: value only when the handler did not choose its own. */
static int header_default(struct eid_http_response *res, const char *name,
			  const char *value)
{
	if (eid_http_response_header(res, name) != NULL)
		return EID_OK;
	return header_put(res, name, value, false, EID_HTTP_MAX_HEADERS);
}

int eid_http_response_finish(struct eid_http_response *res,
			     const char *request_id)
{
	const char *cc;
	int r;

	r = header_default(res, "Cache-Control", "no-store");
	cc = eid_http_response_header(res, "Cache-Control");
	if (r == EID_OK && cc != NULL && strcasestr(cc, "no-store") != NULL)
		r = header_default(res, "Pragma", "no-cache");
	if (r == EID_OK)
		r = header_default(res, "X-Content-Type-Options", "nosniff");
	if (r == EID_OK)
		r = header_default(res, "X-Frame-Options", "DENY");
	if (r == EID_OK)
		r = header_default(res, "Referrer-Policy", "no-referrer");
	if (r == EID_OK)
		r = header_default(res, "Content-Security-Policy",
				   res->html ? EID_HTTP_CSP_HTML :
					       EID_HTTP_CSP_STRICT);
	if (r == EID_OK)
		r = header_put(res, "X-Request-Id", request_id, false,
			       EID_HTTP_MAX_HEADERS);
	return r;
}
