/* Passkeys on the pages: the citizen adds and removes them on the account
 * page and signs in with one on the login page (docs/accounts.md).
 * The browser half is one small script (EID_PATH_PASSKEY_JS) that asks
 * for the ceremony's options as JSON, runs navigator.credentials, and
 * posts the result as an ordinary form, so the answer is a page like any
 * other form's. */
#ifndef EID_API_PASSKEY_H
#define EID_API_PASSKEY_H

#include "api/account.h"
#include "api/app.h"
#include "api/i18n.h"
#include "idp/interaction.h"

/* The CSRF purpose of the login form, which the passkey form shares. */
#define EID_LOGIN_CSRF_PURPOSE "login"

#define EID_PATH_PASSKEY_JS "/static/passkey.js"
#define EID_PATH_ACCOUNT_PASSKEYS "/account/passkeys"
#define EID_PATH_ACCOUNT_PASSKEY_OPTIONS "/account/passkeys/options"
#define EID_PATH_ACCOUNT_PASSKEY_REMOVE "/account/passkeys/remove"
#define EID_PATH_LOGIN_PASSKEY "/login/passkey"
#define EID_PATH_LOGIN_PASSKEY_OPTIONS "/login/passkey/options"

/* GET /static/passkey.js */
int eid_api_passkey_js(struct eid_http_request *req,
		       struct eid_http_response *res, void *app);

/* POST /account/passkeys/options (csrf): creation options, JSON. */
int eid_api_account_passkey_options(struct eid_http_request *req,
				    struct eid_http_response *res, void *app);
/* POST /account/passkeys (csrf, name, clientDataJSON, attestationObject,
 * transports): register; the account page. */
int eid_page_account_passkey_add(struct eid_http_request *req,
				 struct eid_http_response *res, void *app);
/* POST /account/passkeys/remove (csrf, id) */
int eid_page_account_passkey_remove(struct eid_http_request *req,
				    struct eid_http_response *res, void *app);

/* POST /login/passkey/options (i, csrf): request options, JSON. */
int eid_api_login_passkey_options(struct eid_http_request *req,
				  struct eid_http_response *res, void *app);
/* POST /login/passkey (i, csrf, id, clientDataJSON, authenticatorData,
 * signature, userHandle): sign in, then the flow goes on. */
int eid_api_login_passkey(struct eid_http_request *req,
			  struct eid_http_response *res, void *app);

/* The passkey form of the login and step-up pages (csrf: the login
 * form's token, EID_LOGIN_CSRF_PURPOSE). */
int eid_login_passkey_block(eid_buf *b, enum eid_lang lang,
			    const struct eid_interaction *it,
			    const char *csrf);
/* The account page's passkey section. */
int eid_account_passkeys_section(struct eid_app *app, struct eid_page *p,
				 const struct eid_flow_session *fs);

#endif
