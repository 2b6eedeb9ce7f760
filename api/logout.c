/* GET|POST /end_session: OpenID Connect RP-Initiated Logout 1.0, and the
 * back-channel logout tokens it sends (Back-Channel Logout 1.0).
 *
 * A relying party proves it sends the citizen here with an id_token_hint
 * it received for this very session: the session ends at once.  Without
 * one (or with a hint for another session) the citizen is asked first, on
 * a form protected like the others, so a link on any page cannot sign
 * people out.  A post_logout_redirect_uri must be registered, byte for
 * byte, for the client named by client_id or by the hint's audience;
 * otherwise nothing redirects. */
#include <stdlib.h>
#include <string.h>

#include "api/flow.h"
#include "api/form.h"
#include "api/front.h"
#include "api/html.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/interaction.h"
#include "idp/logout.h"
#include "idp/subject.h"
#include "idp/tokens.h"

#define CSRF_PURPOSE "logout"
#define URL_MAX (4u * 1024)

struct logout {
	enum eid_lang lang;
	const char *client_id;     /* NULL: none named */
	const char *redirect_uri;  /* checked; NULL: none */
	const char *state;
	const char *hint_sid;      /* from a verified hint; NULL: none */
	json_t *hint;              /* its claims */
	struct eid_client client;
	bool have_client;
};

static const char *param(const struct eid_http_request *req, const char *n)
{
	const char *v = NULL;

	return eid_http_param(req, n, &v) == EID_OK ? v : NULL;
}

/* The hint's audience: a string, or an array of one. */
static const char *hint_aud(const json_t *claims)
{
	json_t *aud = json_object_get(claims, "aud");

	if (json_is_array(aud) && json_array_size(aud) == 1)
		aud = json_array_get(aud, 0);
	return json_string_value(aud);
}

/* Check what the RP sent; EID_EINVAL when it must get an error page. */
static int check(struct eid_app *app, const struct eid_http_request *req,
		 struct logout *lo)
{
	const char *hint = param(req, "id_token_hint"), *aud = NULL;
	int r;

	lo->client_id = param(req, "client_id");
	lo->redirect_uri = param(req, "post_logout_redirect_uri");
	lo->state = param(req, "state");
	if (lo->state != NULL && strlen(lo->state) > EID_AUTHZ_STATE_MAX)
		return EID_EINVAL;
	if (hint != NULL) {
		if (eid_id_token_verify_hint(app->signer, hint, strlen(hint),
					     app->cfg->server.issuer,
					     &lo->hint) != EID_OK)
			return EID_EINVAL;
		aud = hint_aud(lo->hint);
		lo->hint_sid = json_string_value(json_object_get(lo->hint, "sid"));
		if (aud == NULL ||
		    (lo->client_id != NULL && strcmp(aud, lo->client_id) != 0))
			return EID_EINVAL;
		lo->client_id = aud;
	}
	if (lo->client_id != NULL) {
		if (strlen(lo->client_id) > EID_CLIENT_ID_MAX)
			return EID_EINVAL;
		r = eid_client_get(app->store, lo->client_id, &lo->client);
		if (r != EID_OK && r != EID_ENOTFOUND)
			return r;
		lo->have_client = r == EID_OK;
	}
	if (lo->redirect_uri != NULL &&
	    (!lo->have_client ||
	     !eid_client_post_logout_allowed(&lo->client, lo->redirect_uri)))
		return EID_EINVAL;
	return EID_OK;
}

/* One back-channel logout token to each client the session signed into
 * that asked for them; queued, never waited for. */
static void notify_rps(struct eid_app *app, const struct eid_session *ses)
{
	uint64_t now = eid_store_now(app->store);
	json_t *clients = NULL, *v;
	size_t i;

	if (eid_session_rp_take(app->store, ses->sid, &clients) != EID_OK)
		return;
	json_array_foreach(clients, i, v) {
		struct eid_client c = { 0 };
		char sub[EID_SUBJECT_LEN + 1], *jwt = NULL;
		const char *id = json_string_value(v);
		if (id != NULL && eid_client_get(app->store, id, &c) == EID_OK &&
		    c.backchannel_logout_uri != NULL &&
		    c.status == EID_CLIENT_ACTIVE &&
		    eid_subject_for(&c, ses->personal_id, app->subject_key,
				    sub) == EID_OK &&
		    eid_logout_token_issue(app->signer, app->cfg->server.issuer,
					   c.client_id, sub, ses->sid, now,
					   &jwt) == EID_OK)
			(void)eid_bcl_enqueue(app->bcl, c.backchannel_logout_uri,
					      jwt);
		free(jwt);
		eid_client_clear(&c);
	}
	json_decref(clients);
}

static int signed_out_page(struct eid_http_response *res, enum eid_lang l)
{
	eid_buf b;
	int r;

	eid_buf_init(&b, EID_HTML_MAX);
	if ((r = eid_html_begin(&b, l, eid_msg(l, EID_MSG_LOGOUT_TITLE))) ||
	    (r = eid_buf_put_str(&b, "<h1>")) ||
	    (r = eid_html_text(&b, eid_msg(l, EID_MSG_SIGNED_OUT))) ||
	    (r = eid_buf_put_str(&b, "</h1>")) || (r = eid_html_end(&b, l)))
		goto out;
	r = eid_http_reply_html(res, 200, eid_buf_cstr(&b));
out:
	eid_buf_free(&b);
	return r;
}

/* Back to the RP's registered URI with its state, or our own page. */
static int signed_out(const struct eid_http_request *req,
		      struct eid_http_response *res, const struct logout *lo)
{
	eid_buf b;
	int r;

	if ((r = eid_flow_set_cookie(req, res, EID_SESSION_COOKIE, NULL, 0)))
		return r;
	if (lo->redirect_uri == NULL)
		return signed_out_page(res, lo->lang);
	if (lo->state == NULL)
		return eid_http_reply_redirect(res, 303, lo->redirect_uri);
	eid_buf_init(&b, URL_MAX);
	if ((r = eid_form_url_begin(&b, lo->redirect_uri)) == EID_OK &&
	    (r = eid_form_encode_append(&b, "state", lo->state)) == EID_OK)
		r = eid_http_reply_redirect(res, 303, eid_buf_cstr(&b));
	eid_buf_free(&b);
	return r;
}

static int confirm_page(struct eid_app *app, struct eid_http_response *res,
			const struct logout *lo, const struct eid_session *ses)
{
	char csrf[EID_FLOW_CSRF_LEN + 1];
	enum eid_lang l = lo->lang;
	eid_buf b;
	int r;

	eid_buf_init(&b, EID_HTML_MAX);
	if ((r = eid_flow_csrf(app, CSRF_PURPOSE, ses->sid, csrf)) ||
	    (r = eid_html_begin(&b, l, eid_msg(l, EID_MSG_LOGOUT_TITLE))) ||
	    (r = eid_buf_put_str(&b, "<h1>")) ||
	    (r = eid_html_text(&b, eid_msg(l, EID_MSG_LOGOUT_TITLE))) ||
	    (r = eid_buf_put_str(&b, "</h1><p>")) ||
	    (r = eid_html_text(&b, eid_msg(l, EID_MSG_LOGOUT_CONFIRM))) ||
	    (r = eid_buf_put_str(&b, "</p><form method=\"post\" action=\""
				     EID_PATH_END_SESSION "\">")) ||
	    (r = eid_html_hidden(&b, "csrf", csrf)) ||
	    (lo->have_client &&
	     (r = eid_html_hidden(&b, "client_id", lo->client.client_id))) ||
	    (lo->redirect_uri &&
	     (r = eid_html_hidden(&b, "post_logout_redirect_uri",
				  lo->redirect_uri))) ||
	    (lo->state && (r = eid_html_hidden(&b, "state", lo->state))) ||
	    (r = eid_buf_put_str(&b, "<button type=\"submit\" name=\"logout\" "
				     "value=\"1\">")) ||
	    (r = eid_html_text(&b, eid_msg(l, EID_MSG_LOGOUT_YES))) ||
	    (r = eid_buf_put_str(&b, "</button></form>")) ||
	    (r = eid_html_end(&b, l)))
		goto out;
	if ((r = eid_http_reply_html(res, 200, eid_buf_cstr(&b))) == EID_OK)
		r = eid_flow_csp(res, lo->redirect_uri);
out:
	eid_buf_free(&b);
	return r;
}

/* The citizen asked for it: a hint of this very session, or the
 * confirmation form with its CSRF token. */
static bool confirmed(struct eid_app *app, const struct eid_http_request *req,
		      const struct logout *lo, const struct eid_session *ses)
{
	const char *csrf = NULL, *yes = NULL;

	if (lo->hint_sid != NULL && strcmp(lo->hint_sid, ses->sid) == 0)
		return true;
	return eid_http_form_param(req, "logout", &yes) == EID_OK &&
	       eid_http_form_param(req, "csrf", &csrf) == EID_OK &&
	       eid_flow_csrf_ok(app, CSRF_PURPOSE, ses->sid, csrf);
}

int eid_api_end_session(struct eid_http_request *req,
			struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct logout lo = { 0 };
	struct eid_flow_session fs;
	int r;

	lo.lang = eid_flow_lang(req, param(req, "ui_locales"));
	if ((r = check(app, req, &lo)) == EID_EINVAL) {
		r = eid_flow_error_page(res, lo.lang, 400, EID_MSG_BAD_HINT,
					"invalid_request");
		goto out;
	}
	if (r != EID_OK)
		goto out;
	if (eid_flow_session(app, req, &fs) != EID_OK) {
		r = signed_out(req, res, &lo); /* nothing to end */
		goto out;
	}
	if (!confirmed(app, req, &lo, &fs.ses)) {
		r = confirm_page(app, res, &lo, &fs.ses);
	} else {
		(void)eid_session_end(app->store, fs.cookie);
		notify_rps(app, &fs.ses);
		r = signed_out(req, res, &lo);
	}
	eid_wipe(&fs, sizeof(fs));
out:
	json_decref(lo.hint);
	eid_client_clear(&lo.client);
	return r;
}
