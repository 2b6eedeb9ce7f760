/* Per-address request limits (api/limits.h). */
#include "api/limits.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/html.h"
#include "api/i18n.h"
#include "api/selfservice.h"
#include "crypto/error.h"
#include "idp/discovery.h"
#include "idp/ratelimit.h"

struct limited {
	const char *method; /* NULL: any */
	const char *path;
	bool prefix;
	enum eid_rl_class cls;
};

/* What is limited; everything else is not. */
static const struct limited limited[] = {
	{ "POST", "/token", false, EID_RL_TOKEN },
	{ "POST", EID_PATH_DEVICE_AUTHORIZATION, false, EID_RL_TOKEN },
	{ "POST", EID_PATH_DEVICE, false, EID_RL_USER_CODE },
	{ "POST", "/login", false, EID_RL_LOGIN },
	{ "POST", "/login/passkey", true, EID_RL_LOGIN },
	{ "POST", "/officer/login", false, EID_RL_LOGIN },
	{ "POST", "/api/v1/registrations", true, EID_RL_REGISTRATION },
	{ "POST", "/api/v1/password-resets", true, EID_RL_REGISTRATION },
	{ "POST", "/register", true, EID_RL_REGISTRATION },
	{ NULL, "/chip/", true, EID_RL_CHIP },
};

static bool classify(const char *method, const char *path,
		     enum eid_rl_class *ret_cls)
{
	for (size_t i = 0; i < sizeof(limited) / sizeof(limited[0]); i++) {
		const struct limited *l = &limited[i];
		bool hit = l->prefix ?
				   strncmp(path, l->path, strlen(l->path)) == 0 :
				   strcmp(path, l->path) == 0;
		if (hit && (l->method == NULL || strcmp(method, l->method) == 0)) {
			*ret_cls = l->cls;
			return true;
		}
	}
	return false;
}

/* Browsers get a page; API clients {"error":"rate_limited"}. */
static bool wants_page(const char *path)
{
	return strcmp(path, "/login") == 0 || strcmp(path, EID_PATH_DEVICE) == 0 ||
	       strcmp(path, "/login/passkey") == 0 ||
	       strncmp(path, "/officer/", 9) == 0 ||
	       strncmp(path, "/register", 9) == 0;
}

static int reply_page(struct eid_http_request *req,
		      struct eid_http_response *res)
{
	enum eid_lang lang = eid_lang_negotiate(
		NULL, eid_http_header(req, "Accept-Language"));
	const char *msg = eid_msg(lang, EID_MSG_TOO_MANY);
	const char *html;
	eid_buf b;
	int r;

	eid_buf_init(&b, EID_HTML_MAX);
	r = eid_html_begin(&b, lang, msg);
	if (r == EID_OK)
		r = eid_buf_put_str(&b, "<main><p class=\"error\">");
	if (r == EID_OK)
		r = eid_html_text(&b, msg);
	if (r == EID_OK)
		r = eid_buf_put_str(&b, "</p></main>");
	if (r == EID_OK)
		r = eid_html_end(&b, lang);
	if (r == EID_OK && (html = eid_buf_cstr(&b)) == NULL)
		r = EID_ENOMEM;
	if (r == EID_OK)
		r = eid_http_reply_html(res, 429, html);
	eid_buf_free(&b);
	return r;
}

static int reply_limited(struct eid_http_request *req,
			 struct eid_http_response *res, uint64_t retry_after)
{
	char v[24];
	int r;

	if (!wants_page(eid_http_path(req)))
		return eid_ss_error(res, 429, "rate_limited",
				    "too many requests from this address",
				    retry_after);
	(void)snprintf(v, sizeof(v), "%llu", (unsigned long long)retry_after);
	r = reply_page(req, res);
	if (r == EID_OK)
		r = eid_http_set_header(res, "Retry-After", v);
	return r;
}

int eid_api_limits(struct eid_http_request *req,
		   struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_ratelimit_params p;
	enum eid_rl_class cls;
	uint64_t retry_after = 0;
	int r;

	if (!classify(eid_http_method(req), eid_http_path(req), &cls))
		return EID_OK;
	eid_ratelimit_params_from_config(app->cfg, &p);
	r = eid_ratelimit_hit(app->store, &p, cls, eid_http_remote(req),
			      &retry_after);
	if (r == EID_ELIMIT)
		return reply_limited(req, res, retry_after);
	return r;
}
