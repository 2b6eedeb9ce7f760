#include "api/flow.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "api/device_grant.h"
#include "api/form.h"
#include "api/html.h"
#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"
#include "idp/codes.h"
#include "idp/consent.h"

#define URL_MAX (8u * 1024)

enum eid_lang eid_flow_lang(const struct eid_http_request *req,
			    const char *ui_locales)
{
	return eid_lang_negotiate(ui_locales,
				  eid_http_header(req, "Accept-Language"));
}

bool eid_flow_cookie_secure(const struct eid_http_request *req)
{
	return !eid_http_is_loopback(req);
}

int eid_flow_set_cookie(const struct eid_http_request *req,
			struct eid_http_response *res, const char *name,
			const char *value, long max_age)
{
	struct eid_http_cookie_opts o = {
		.path = "/",
		.max_age = max_age,
		.http_only = true,
		.secure = eid_flow_cookie_secure(req),
		.same_site = EID_HTTP_SAMESITE_LAX,
	};

	return eid_http_set_cookie(res, name, max_age > 0 ? value : "", &o);
}

/* scheme://authority of an http(s) URI, or scheme: of a private-use one,
 * when it is safe inside a CSP source list. */
static int csp_source(const char *uri, eid_buf *out)
{
	const char *p = strchr(uri, ':');
	size_t n;

	if (p == NULL)
		return EID_EMALFORMED;
	n = (size_t)(p - uri) + 1;
	if (strncmp(p, "://", 3) == 0)
		n += 2 + strcspn(p + 3, "/?#");
	for (size_t i = 0; i < n; i++)
		if (uri[i] <= ' ' || uri[i] > '~' || strchr(";,'\"", uri[i]))
			return EID_EMALFORMED;
	return eid_buf_put(out, uri, n);
}

int eid_flow_csp(struct eid_http_response *res, const char *target)
{
	static const char base[] = EID_HTTP_CSP_HTML;
	static const char fa[] = "form-action 'self'";
	const char *at = strstr(base, fa);
	size_t head;
	eid_buf b;
	int r;

	if (target == NULL || at == NULL)
		return EID_OK;
	head = (size_t)(at - base) + sizeof(fa) - 1;
	eid_buf_init(&b, sizeof(base) + EID_CLIENT_URI_MAX + 2);
	if ((r = eid_buf_put(&b, base, head)) == EID_OK &&
	    (r = eid_buf_put_u8(&b, ' ')) == EID_OK &&
	    (r = csp_source(target, &b)) == EID_OK &&
	    (r = eid_buf_put_str(&b, base + head)) == EID_OK)
		r = eid_http_set_header(res, "Content-Security-Policy",
					eid_buf_cstr(&b));
	eid_buf_free(&b);
	return r == EID_EMALFORMED ? EID_OK : r;
}

int eid_flow_error_page(struct eid_http_response *res, enum eid_lang lang,
			unsigned status, enum eid_msg msg, const char *error)
{
	eid_buf b;
	int r;

	eid_buf_init(&b, EID_HTML_MAX);
	if ((r = eid_html_begin(&b, lang, eid_msg(lang, EID_MSG_ERROR_TITLE))) ||
	    (r = eid_buf_put_str(&b, "<h1>")) ||
	    (r = eid_html_text(&b, eid_msg(lang, EID_MSG_ERROR_TITLE))) ||
	    (r = eid_buf_put_str(&b, "</h1><p class=\"error\">")) ||
	    (r = eid_html_text(&b, eid_msg(lang, msg))) ||
	    (r = eid_buf_put_str(&b, "</p>")))
		goto out;
	if (error != NULL &&
	    ((r = eid_buf_put_str(&b, "<p><small>")) ||
	     (r = eid_html_text(&b, eid_msg(lang, EID_MSG_ERROR_CODE))) ||
	     (r = eid_buf_put_str(&b, " <code>")) ||
	     (r = eid_html_text(&b, error)) ||
	     (r = eid_buf_put_str(&b, "</code></small></p>"))))
		goto out;
	if ((r = eid_html_end(&b, lang)) == EID_OK)
		r = eid_http_reply_html(res, status, eid_buf_cstr(&b));
out:
	eid_buf_free(&b);
	return r;
}

int eid_flow_redirect_rp(const struct eid_app *app,
			 struct eid_http_response *res,
			 const char *redirect_uri, const char *code,
			 const char *error, const char *description,
			 const char *state)
{
	eid_buf b;
	int r;

	eid_buf_init_secret(&b, URL_MAX);
	if ((r = eid_form_url_begin(&b, redirect_uri)) != EID_OK)
		goto out;
	if (code != NULL)
		r = eid_form_encode_append(&b, "code", code);
	else if ((r = eid_form_encode_append(&b, "error", error)) == EID_OK &&
		 description != NULL)
		r = eid_form_encode_append(&b, "error_description", description);
	if (r == EID_OK && state != NULL)
		r = eid_form_encode_append(&b, "state", state);
	if (r == EID_OK)
		r = eid_form_encode_append(&b, "iss", app->cfg->server.issuer);
	if (r == EID_OK)
		r = eid_http_reply_redirect(res, 303, eid_buf_cstr(&b));
out:
	eid_buf_free(&b);
	return r;
}

int eid_flow_csrf(const struct eid_app *app, const char *purpose,
		  const char *value, char ret[EID_FLOW_CSRF_LEN + 1])
{
	uint8_t mac[32];
	unsigned n = 0;
	eid_buf msg;
	int r;

	if (purpose == NULL || value == NULL)
		return EID_EINVAL;
	eid_buf_init(&msg, 1024);
	if ((r = eid_buf_printf(&msg, "%s|%s", purpose, value)) != EID_OK)
		goto out;
	if (HMAC(EVP_sha256(), app->csrf_key, sizeof(app->csrf_key), msg.data,
		 msg.len, mac, &n) == NULL || n != sizeof(mac)) {
		r = EID_ECRYPTO;
		goto out;
	}
	r = eid_b64url_encode_str(mac, sizeof(mac), ret, EID_FLOW_CSRF_LEN + 1);
out:
	eid_wipe(mac, sizeof(mac));
	eid_buf_free(&msg);
	return r;
}

bool eid_flow_csrf_ok(const struct eid_app *app, const char *purpose,
		      const char *value, const char *presented)
{
	char want[EID_FLOW_CSRF_LEN + 1];
	bool ok;

	if (presented == NULL ||
	    eid_flow_csrf(app, purpose, value, want) != EID_OK)
		return false;
	ok = eid_ct_equal_len(want, strlen(want), presented,
			      strnlen(presented, EID_FLOW_CSRF_LEN + 1));
	eid_wipe(want, sizeof(want));
	return ok;
}

int eid_flow_interaction(const struct eid_app *app,
			 const struct eid_http_request *req,
			 struct eid_interaction *ret)
{
	const char *id = NULL, *cookie = eid_http_cookie(req,
							 EID_INTERACTION_COOKIE);

	if (eid_http_param(req, "i", &id) != EID_OK || cookie == NULL ||
	    !eid_ct_equal_len(id, strnlen(id, EID_INTERACTION_ID_LEN + 1),
			      cookie,
			      strnlen(cookie, EID_INTERACTION_ID_LEN + 1)))
		return EID_ENOTFOUND;
	return eid_interaction_get(app->store, id, ret);
}

int eid_flow_expired(const struct eid_http_request *req,
		     struct eid_http_response *res)
{
	return eid_flow_error_page(res, eid_flow_lang(req, NULL), 400,
				   EID_MSG_SESSION_EXPIRED, NULL);
}

int eid_flow_posted(const struct eid_app *app,
		    const struct eid_http_request *req,
		    struct eid_http_response *res, const char *purpose,
		    struct eid_interaction *ret, bool *ret_done)
{
	const char *csrf = NULL;

	*ret_done = true;
	if (eid_flow_interaction(app, req, ret) != EID_OK)
		return eid_flow_expired(req, res);
	(void)eid_http_form_param(req, "csrf", &csrf);
	if (!eid_flow_csrf_ok(app, purpose, ret->id, csrf))
		return eid_flow_error_page(res,
					   eid_flow_lang(req, ret->req.ui_locales),
					   403, EID_MSG_FORBIDDEN, NULL);
	*ret_done = false;
	return EID_OK;
}

/* The account behind a session must still be active and must not have
 * ended its sessions after this one began (a lock, a revocation). */
static int session_account_ok(const struct eid_app *app,
			      const struct eid_session *ses, int *ret_level)
{
	struct eid_account a;
	eid_txn *t = NULL;
	int r;

	if ((r = eid_store_begin(app->store, false, &t)) != EID_OK)
		return r;
	r = eid_account_get(t, ses->personal_id, &a);
	eid_txn_abort(t);
	if (r != EID_OK)
		return r == EID_ENOTFOUND ? EID_ENOTFOUND : r;
	if (a.status != EID_ACCOUNT_ACTIVE ||
	    (a.sessions_revoked_before > 0 &&
	     (int64_t)ses->created_at < a.sessions_revoked_before))
		r = EID_ENOTFOUND;
	else
		*ret_level = a.level;
	eid_account_clear(&a);
	return r;
}

int eid_flow_session(const struct eid_app *app,
		     const struct eid_http_request *req,
		     struct eid_flow_session *ret)
{
	const char *cookie = eid_http_cookie(req, EID_SESSION_COOKIE);
	struct eid_flow_session fs = { 0 };
	int r;

	if (cookie == NULL || strlen(cookie) != EID_SESSION_TOKEN_LEN)
		return EID_ENOTFOUND;
	if ((r = eid_session_lookup(app->store, cookie, &fs.ses)) != EID_OK ||
	    (r = session_account_ok(app, &fs.ses, &fs.account_level)) != EID_OK)
		goto out;
	memcpy(fs.cookie, cookie, EID_SESSION_TOKEN_LEN + 1);
	*ret = fs;
out:
	eid_wipe(&fs, sizeof(fs));
	return r;
}

bool eid_flow_login_done(const struct eid_app *app,
			 const struct eid_interaction *it,
			 const struct eid_flow_session *fs)
{
	const struct eid_authz_request *q = &it->req;
	uint64_t now = eid_store_now(app->store);

	if (fs == NULL)
		return false;
	/* A login made for this very interaction satisfies everything. */
	if (it->login_sid[0] != '\0' && strcmp(it->login_sid, fs->ses.sid) == 0)
		return true;
	if (q->prompt & (EID_PROMPT_LOGIN | EID_PROMPT_SELECT_ACCOUNT))
		return false;
	if (q->max_age >= 0 &&
	    (fs->ses.auth_time > now ||
	     now - fs->ses.auth_time > (uint64_t)q->max_age))
		return false;
	return true;
}

int eid_flow_fail(struct eid_app *app, const struct eid_http_request *req,
		  struct eid_http_response *res, struct eid_interaction *it,
		  const char *error, const char *description)
{
	int r;

	/* A device's request has no redirect: the device learns it polling. */
	if (it->req.user_code != NULL)
		return eid_device_grant_finish(app, req, res, it, NULL, error);
	(void)eid_interaction_end(app->store, it->id);
	if ((r = eid_flow_set_cookie(req, res, EID_INTERACTION_COOKIE, NULL,
				     0)) != EID_OK)
		return r;
	return eid_flow_redirect_rp(app, res, it->req.redirect_uri, NULL,
				    error, description, it->req.state);
}

static int redirect_step(struct eid_http_response *res, const char *path,
			 const char *id)
{
	eid_buf b;
	int r;

	eid_buf_init(&b, 256);
	if ((r = eid_buf_put_str(&b, path)) == EID_OK &&
	    (r = eid_buf_put_u8(&b, '?')) == EID_OK &&
	    (r = eid_form_encode_append(&b, "i", id)) == EID_OK)
		r = eid_http_reply_redirect(res, 303, eid_buf_cstr(&b));
	eid_buf_free(&b);
	return r;
}

int eid_flow_next(struct eid_app *app, const struct eid_http_request *req,
		  struct eid_http_response *res, struct eid_interaction *it,
		  const struct eid_flow_session *fs)
{
	const struct eid_authz_request *q = &it->req;
	bool none = (q->prompt & EID_PROMPT_NONE) != 0, covered = false;
	int r;

	if (!eid_flow_login_done(app, it, fs)) {
		if (none)
			return eid_flow_fail(app, req, res, it, "login_required",
					     "the citizen must sign in");
		return redirect_step(res, EID_PATH_LOGIN, it->id);
	}
	/* Never a lower level than asked: a level-2 account steps up with a
	 * one-time code to its phone; any other cannot reach the level. */
	if (q->acr_level > fs->ses.level) {
		if (fs->account_level < q->acr_level)
			return eid_flow_fail(app, req, res, it,
					     "unmet_authentication_requirements",
					     "the requested level of assurance cannot be met");
		if (none)
			return eid_flow_fail(app, req, res, it,
					     "interaction_required",
					     "the citizen must confirm a one-time code");
		return redirect_step(res, EID_PATH_LOGIN_OTP, it->id);
	}
	if (!(q->prompt & EID_PROMPT_CONSENT) &&
	    (r = eid_consent_check(app->store, fs->ses.personal_id,
				   q->client_id, q->scopes, q->claims,
				   &covered)) != EID_OK)
		return r;
	if (!covered) {
		if (none)
			return eid_flow_fail(app, req, res, it, "consent_required",
					     "the citizen must consent");
		return redirect_step(res, EID_PATH_CONSENT, it->id);
	}
	return eid_flow_finish(app, req, res, it, fs);
}

int eid_flow_begin(struct eid_app *app, const struct eid_http_request *req,
		   struct eid_http_response *res, struct eid_interaction *it)
{
	struct eid_flow_session fs;
	bool have_session;
	int r;

	if ((r = eid_interaction_create(app->store, &it->req,
					eid_store_now(app->store), it->id)) ||
	    (r = eid_flow_set_cookie(req, res, EID_INTERACTION_COOKIE, it->id,
				     EID_INTERACTION_TTL)))
		return r;
	have_session = eid_flow_session(app, req, &fs) == EID_OK;
	r = eid_flow_next(app, req, res, it, have_session ? &fs : NULL);
	if (have_session)
		eid_wipe(&fs, sizeof(fs));
	return r;
}

/* amr as a JSON array from the session's space-separated list. */
static json_t *amr_array(const char *amr)
{
	json_t *a = json_array();

	while (a != NULL && *amr != '\0') {
		size_t n = strcspn(amr, " ");
		if (n > 0 &&
		    json_array_append_new(a, json_stringn(amr, n)) != 0) {
			json_decref(a);
			return NULL;
		}
		amr += n;
		while (*amr == ' ')
			amr++;
	}
	return a;
}

int eid_flow_grant(const struct eid_session *ses,
		   const struct eid_authz_request *q, struct eid_grant *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->personal_id = (char *)ses->personal_id;
	ret->client_id = q->client_id;
	ret->scope = q->scope;
	ret->acr = (char *)eid_acr_for_level(ses->level);
	ret->sid = (char *)ses->sid;
	ret->dpop_jkt = q->dpop_jkt;
	ret->claims = q->claims;
	ret->auth_time = ses->auth_time;
	return (ret->amr = amr_array(ses->amr)) != NULL ? EID_OK : EID_ENOMEM;
}

int eid_flow_finish(struct eid_app *app, const struct eid_http_request *req,
		    struct eid_http_response *res, struct eid_interaction *it,
		    const struct eid_flow_session *fs)
{
	const struct eid_authz_request *q = &it->req;
	const struct eid_config *cfg = app->cfg;
	struct eid_code_grant cg = { 0 };
	char code[EID_CODE_LEN + 1];
	uint64_t now = eid_store_now(app->store);
	int r;

	if (q->user_code != NULL)
		return eid_device_grant_finish(app, req, res, it, &fs->ses,
					       NULL);
	if ((r = eid_flow_grant(&fs->ses, q, &cg.grant)) != EID_OK)
		return r;
	cg.redirect_uri = q->redirect_uri;
	cg.code_challenge = q->code_challenge;
	cg.nonce = q->nonce;
	r = eid_code_issue(app->store, &cg, now, cfg->tokens.code_ttl,
			   cfg->tokens.access_token_ttl, code);
	json_decref(cg.grant.amr);
	if (r != EID_OK)
		return r;
	/* Best effort: a session that cannot list this RP only costs the RP
	 * its back-channel call. */
	(void)eid_session_rp_add(app->store, fs->ses.sid, q->client_id,
				 fs->ses.expires_at);
	(void)eid_interaction_end(app->store, it->id);
	if ((r = eid_flow_set_cookie(req, res, EID_INTERACTION_COOKIE, NULL,
				     0)) == EID_OK)
		r = eid_flow_redirect_rp(app, res, q->redirect_uri, code, NULL,
					 NULL, q->state);
	eid_wipe(code, sizeof(code));
	return r;
}
