/* GET /consent?i=ID: what the relying party asks for; POST /consent:
 * the citizen's answer (approve or deny). */
#include <string.h>

#include "api/flow.h"
#include "api/front.h"
#include "api/html.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/consent.h"
#include "idp/devgrant.h"

#define CSRF_PURPOSE "consent"

/* What each scope releases, and the claim names that may also be asked
 * one by one through the claims parameter.  Several claims share a line
 * (family_name, given_name and name are all "Full name"). */
static const struct {
	unsigned scope;
	const char *claim; /* NULL: the scope itself */
	enum eid_msg label;
} items[] = {
	{ EID_SCOPE_OPENID, "sub", EID_MSG_CLAIM_SUB },
	{ EID_SCOPE_PROFILE, "name", EID_MSG_CLAIM_NAME },
	{ EID_SCOPE_PROFILE, "family_name", EID_MSG_CLAIM_NAME },
	{ EID_SCOPE_PROFILE, "given_name", EID_MSG_CLAIM_NAME },
	{ EID_SCOPE_PROFILE, "birthdate", EID_MSG_CLAIM_BIRTHDATE },
	{ EID_SCOPE_PROFILE, "gender", EID_MSG_CLAIM_GENDER },
	{ EID_SCOPE_PHONE, "phone_number", EID_MSG_CLAIM_PHONE },
	{ EID_SCOPE_EMAIL, "email", EID_MSG_CLAIM_EMAIL },
	{ EID_SCOPE_ADDRESS, "address", EID_MSG_CLAIM_ADDRESS },
	{ EID_SCOPE_CITIZEN, "personal_id", EID_MSG_CLAIM_PERSONAL_ID },
	{ EID_SCOPE_CITIZEN, "eid_level", EID_MSG_CLAIM_EID_LEVEL },
	{ EID_SCOPE_OFFLINE_ACCESS, NULL, EID_MSG_SCOPE_OFFLINE },
	{ EID_SCOPE_SIGN, NULL, EID_MSG_SCOPE_SIGN },
};

#define N_ITEMS (sizeof(items) / sizeof(items[0]))

static bool asked(const struct eid_authz_request *q, size_t i,
		  const json_t *names)
{
	size_t k;
	json_t *v;

	if (q->scopes & items[i].scope)
		return true;
	if (items[i].claim == NULL)
		return false;
	json_array_foreach(names, k, v)
		if (strcmp(json_string_value(v), items[i].claim) == 0)
			return true;
	return false;
}

/* One <li> per label asked, each label once. */
static int claim_list(eid_buf *b, enum eid_lang lang,
		      const struct eid_authz_request *q)
{
	bool shown[EID_MSG_COUNT] = { false };
	json_t *names = NULL;
	int r;

	if ((r = eid_consent_claim_names(q->claims, &names)) != EID_OK)
		return r;
	r = eid_buf_put_str(b, "<ul class=\"claims\">");
	for (size_t i = 0; i < N_ITEMS && r == EID_OK; i++) {
		if (shown[items[i].label] || !asked(q, i, names))
			continue;
		shown[items[i].label] = true;
		if ((r = eid_buf_put_str(b, "<li>")) == EID_OK &&
		    (r = eid_html_text(b, eid_msg(lang, items[i].label))) == EID_OK)
			r = eid_buf_put_str(b, "</li>");
	}
	if (r == EID_OK)
		r = eid_buf_put_str(b, "</ul>");
	json_decref(names);
	return r;
}

/* A device's request (RFC 8628 5.4): which device, by the code it shows,
 * and a warning against codes sent by someone else. */
static int device_line(eid_buf *b, enum eid_lang lang,
		       const struct eid_authz_request *q,
		       const char *client_name)
{
	char shown[EID_DEVGRANT_USER_CODE_SHOWN + 1];
	int r;

	if (q->user_code == NULL ||
	    strlen(q->user_code) != EID_DEVGRANT_USER_CODE_LEN)
		return EID_OK;
	eid_devgrant_user_code_show(q->user_code, shown);
	if ((r = eid_buf_put_str(b, "<p><span class=\"client\">")) ||
	    (r = eid_html_text(b, client_name)) ||
	    (r = eid_buf_put_str(b, "</span> ")) ||
	    (r = eid_html_text(b, eid_msg(lang, EID_MSG_DEVICE_WANTS))) ||
	    (r = eid_buf_put_str(b, " <strong class=\"user-code\">")) ||
	    (r = eid_html_text(b, shown)) ||
	    (r = eid_buf_put_str(b, "</strong></p><p><strong>")) ||
	    (r = eid_html_text(b, eid_msg(lang, EID_MSG_DEVICE_CONFIRM))))
		return r;
	return eid_buf_put_str(b, "</strong></p>");
}

static int button(eid_buf *b, const char *name, const char *cls,
		  const char *label)
{
	int r;

	if ((r = eid_buf_printf(b, "<button type=\"submit\" name=\"%s\" "
				   "value=\"1\"%s>", name, cls)) ||
	    (r = eid_html_text(b, label)))
		return r;
	return eid_buf_put_str(b, "</button>");
}

static int consent_form(struct eid_app *app, eid_buf *b, enum eid_lang lang,
			const struct eid_interaction *it,
			const char *client_name)
{
	char csrf[EID_FLOW_CSRF_LEN + 1];
	int r;

	if ((r = eid_flow_csrf(app, CSRF_PURPOSE, it->id, csrf)) ||
	    (r = eid_html_begin(b, lang, eid_msg(lang, EID_MSG_CONSENT_TITLE))) ||
	    (r = eid_buf_put_str(b, "<h1>")) ||
	    (r = eid_html_text(b, eid_msg(lang, EID_MSG_CONSENT_TITLE))) ||
	    (r = eid_buf_put_str(b, "</h1>")) ||
	    (r = device_line(b, lang, &it->req, client_name)) ||
	    (r = eid_buf_put_str(b, "<p><span class=\"client\">")) ||
	    (r = eid_html_text(b, client_name)) ||
	    (r = eid_buf_put_str(b, "</span> ")) ||
	    (r = eid_html_text(b, eid_msg(lang, EID_MSG_CONSENT_ASKS))) ||
	    (r = eid_buf_put_str(b, "</p>")) ||
	    (r = claim_list(b, lang, &it->req)) ||
	    (r = eid_buf_put_str(b, "<p><small>")) ||
	    (r = eid_html_text(b, eid_msg(lang, EID_MSG_CONSENT_REMEMBER))) ||
	    (r = eid_buf_put_str(b, "</small></p><form method=\"post\" action=\""
				    EID_PATH_CONSENT "\">")) ||
	    (r = eid_html_hidden(b, "i", it->id)) ||
	    (r = eid_html_hidden(b, "csrf", csrf)) ||
	    (r = button(b, "approve", "", eid_msg(lang, EID_MSG_APPROVE))) ||
	    (r = button(b, "deny", " class=\"secondary\"",
			eid_msg(lang, EID_MSG_DENY))) ||
	    (r = eid_buf_put_str(b, "</form>")))
		return r;
	return eid_html_end(b, lang);
}

/* The interaction and a session that has done the login step; otherwise
 * the answer is already sent (an error page, or back to /login) and
 * *ret_done is set. */
static int load(struct eid_app *app, struct eid_http_request *req,
		struct eid_http_response *res, struct eid_interaction *it,
		struct eid_flow_session *fs, bool *ret_done)
{
	bool have_session;

	*ret_done = true;
	if (eid_flow_interaction(app, req, it) != EID_OK)
		return eid_flow_expired(req, res);
	have_session = eid_flow_session(app, req, fs) == EID_OK;
	if (!have_session || !eid_flow_login_done(app, it, fs) ||
	    it->req.acr_level > fs->ses.level)
		return eid_flow_next(app, req, res, it,
				     have_session ? fs : NULL);
	*ret_done = false;
	return EID_OK;
}

int eid_api_consent_page(struct eid_http_request *req,
			 struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_interaction it = { 0 };
	struct eid_flow_session fs = { 0 };
	struct eid_client c = { 0 };
	bool done;
	eid_buf b;
	int r;

	eid_buf_init(&b, EID_HTML_MAX);
	if ((r = load(app, req, res, &it, &fs, &done)) != EID_OK || done)
		goto out;
	if ((r = eid_client_get(app->store, it.req.client_id, &c)) != EID_OK ||
	    (r = consent_form(app, &b, eid_flow_lang(req, it.req.ui_locales),
			      &it, c.name)) != EID_OK)
		goto out;
	if ((r = eid_http_reply_html(res, 200, eid_buf_cstr(&b))) == EID_OK)
		r = eid_flow_csp(res, it.req.redirect_uri);
out:
	eid_buf_free(&b);
	eid_client_clear(&c);
	eid_interaction_clear(&it);
	eid_wipe(&fs, sizeof(fs));
	return r;
}

int eid_api_consent_post(struct eid_http_request *req,
			 struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_interaction it = { 0 };
	struct eid_flow_session fs = { 0 };
	const char *v;
	bool done;
	int r;

	if ((r = eid_flow_posted(app, req, res, CSRF_PURPOSE, &it, &done)) ||
	    done)
		goto out;
	eid_interaction_clear(&it);
	if ((r = load(app, req, res, &it, &fs, &done)) != EID_OK || done)
		goto out;
	if (eid_http_form_param(req, "approve", &v) != EID_OK) {
		r = eid_flow_fail(app, req, res, &it, "access_denied",
				  "the citizen did not consent");
		goto out;
	}
	if ((r = eid_consent_grant(app->store, fs.ses.personal_id,
				   it.req.client_id, it.req.scopes,
				   it.req.claims, eid_http_remote(req),
				   (int64_t)eid_store_now(app->store))) != EID_OK)
		goto out;
	r = eid_flow_finish(app, req, res, &it, &fs);
out:
	eid_interaction_clear(&it);
	eid_wipe(&fs, sizeof(fs));
	return r;
}
