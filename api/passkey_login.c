/* Signing in with a passkey on the login page: the request options (a
 * challenge bound to the interaction), the form the script posts, and the
 * block on the login page. */
#include <string.h>

#include "api/front.h"
#include "api/html.h"
#include "api/passkey.h"
#include "api/passkey_util.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/passkeys.h"

#define CSRF_PURPOSE EID_LOGIN_CSRF_PURPOSE

int eid_login_passkey_block(eid_buf *b, enum eid_lang lang,
			    const struct eid_interaction *it, const char *csrf)
{
	static const char *const fields[] = {
		"id", "clientDataJSON", "authenticatorData", "signature",
		"userHandle",
	};
	int r;

	if ((r = eid_buf_put_str(b, "<section class=\"passkey\"><form "
				    "method=\"post\" id=\"passkey-login\" "
				    "action=\"" EID_PATH_LOGIN_PASSKEY "\">")) ||
	    (r = eid_html_hidden(b, "i", it->id)) ||
	    (r = eid_html_hidden(b, "csrf", csrf)))
		return r;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if ((r = eid_html_hidden(b, fields[i], "")))
			return r;
	if ((r = eid_buf_put_str(b, "<p class=\"passkey-error error\" hidden>")) ||
	    (r = eid_html_text(b, eid_msg(lang, EID_MSG_PASSKEY_FAILED))) ||
	    (r = eid_buf_put_str(b, "</p><button type=\"submit\" "
				    "class=\"secondary\" id=\"passkey-login-button\">")) ||
	    (r = eid_html_text(b, eid_msg(lang, EID_MSG_PASSKEY_LOGIN))) ||
	    (r = eid_buf_put_str(b, "</button></form></section><script src=\""
				    EID_PATH_PASSKEY_JS "\" defer></script>")))
		return r;
	return EID_OK;
}

int eid_api_login_passkey_options(struct eid_http_request *req,
				  struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_interaction it = { 0 };
	struct eid_passkey_rp rp;
	uint8_t ch[32];
	json_t *o = NULL;
	const char *csrf = NULL;
	int r;

	if (eid_flow_interaction(app, req, &it) != EID_OK ||
	    eid_http_form_param(req, "csrf", &csrf) != EID_OK ||
	    !eid_flow_csrf_ok(app, CSRF_PURPOSE, it.id, csrf)) {
		r = eid_http_reply_oauth_error(res, 403, "forbidden",
					       "not this browser's sign-in");
		goto out;
	}
	if ((r = eid_passkey_rp(app->cfg, &rp)) ||
	    (r = eid_passkey_challenge_new(app->store, "get", it.id, ch)))
		goto out;
	/* Discoverable credentials: the authenticator offers the citizen's
	 * passkeys for this RP ID, none are named here.  UV preferred: a
	 * level-2 account's sign-in is refused without it. */
	if ((r = eid_pk_json_b64(&o, "challenge", ch, sizeof(ch))))
		goto out;
	if (json_object_set_new(o, "rpId", json_string(rp.rp_id)) ||
	    json_object_set_new(o, "timeout",
				json_integer(EID_PASSKEY_CHALLENGE_TTL * 1000)) ||
	    json_object_set_new(o, "userVerification", json_string("preferred")) ||
	    json_object_set_new(o, "allowCredentials", json_array())) {
		r = EID_ENOMEM;
		goto out;
	}
	r = eid_http_reply_json(res, 200, o);
out:
	json_decref(o);
	eid_wipe(ch, sizeof(ch));
	eid_interaction_clear(&it);
	return r;
}

/* The page again with what went wrong. */
static int refused(struct eid_app *app, const struct eid_http_request *req,
		   struct eid_http_response *res, struct eid_interaction *it,
		   int r)
{
	switch (r) {
	case EID_ELOCKED:
		return eid_login_reply(app, req, res, it, 403, EID_MSG_LOCKED);
	case EID_ESTATE:
		return eid_login_reply(app, req, res, it, 403,
				       EID_MSG_NOT_ACTIVE);
	case EID_ENOMEM:
	case EID_ESTORE:
	case EID_EINTERNAL:
	case EID_ECRYPTO:
		return r;
	default:
		/* Unknown credential, bad signature, wrong origin, expired
		 * or replayed challenge, missing UV, counter regression. */
		return eid_login_reply(app, req, res, it, 401,
				       EID_MSG_PASSKEY_FAILED);
	}
}

int eid_api_login_passkey(struct eid_http_request *req,
			  struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_interaction it = { 0 };
	struct eid_passkey_assertion a = { 0 };
	struct eid_passkey_login li;
	struct eid_passkey_rp rp;
	struct eid_pk_field f[5] = {
		{ "id", EID_WA_CRED_ID_MAX },
		{ "clientDataJSON", EID_WA_CLIENT_DATA_MAX },
		{ "authenticatorData", EID_WA_AUTH_DATA_MAX },
		{ "signature", EID_WA_SIG_MAX },
		{ "userHandle", EID_PASSKEY_USER_HANDLE_LEN },
	};
	uint8_t ch[32];
	bool done;
	int r;

	eid_pk_fields_init(f, 5);
	if ((r = eid_flow_posted(app, req, res, CSRF_PURPOSE, &it, &done)) ||
	    done)
		goto out;
	/* The challenge goes first, whatever follows: one try each. */
	r = eid_passkey_challenge_take(app->store, "get", it.id, ch);
	if (r == EID_OK)
		r = eid_pk_fields_read(req, f, 5);
	if (r == EID_OK)
		r = eid_passkey_rp(app->cfg, &rp);
	if (r != EID_OK) {
		r = refused(app, req, res, &it, r);
		goto out;
	}
	a.cred_id = f[0].b.data;
	a.cred_id_len = f[0].b.len;
	a.client_data = f[1].b.data;
	a.client_data_len = f[1].b.len;
	a.auth_data = f[2].b.data;
	a.auth_data_len = f[2].b.len;
	a.sig = f[3].b.data;
	a.sig_len = f[3].b.len;
	a.user_handle = f[4].b.data;
	a.user_handle_len = f[4].b.len;
	r = eid_passkey_authenticate(app->store, &rp, ch, app->subject_key, &a,
				     eid_http_remote(req), &li);
	if (r != EID_OK) {
		r = refused(app, req, res, &it, r);
		goto out;
	}
	r = eid_login_open_session(app, req, res, &it, li.personal_id,
				   li.account_level, li.level, li.amr);
	eid_wipe(&li, sizeof(li));
out:
	eid_wipe(ch, sizeof(ch));
	eid_pk_fields_free(f, 5);
	eid_interaction_clear(&it);
	return r;
}
