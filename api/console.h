/* The officer console (/officer/...), the citizen's account page
 * (/account) and the activation page (/activate): server-rendered pages
 * without JavaScript, in Vietnamese and English.
 *
 * Forms of a signed-in page carry the session's own CSRF token; the
 * sign-in and activation forms, which have no session yet, a double-submit
 * token equal to a SameSite=Strict cookie. */
#ifndef EID_API_CONSOLE_H
#define EID_API_CONSOLE_H

#include <stdbool.h>

#include "api/app.h"
#include "api/html.h"
#include "idp/officer_session.h"

#define EID_PATH_OFFICER "/officer"
#define EID_PATH_OFFICER_LOGIN "/officer/login"
#define EID_PATH_OFFICER_LOGOUT "/officer/logout"
#define EID_PATH_OFFICER_CITIZEN "/officer/citizen"
#define EID_PATH_OFFICER_ACCOUNT "/officer/account"
#define EID_PATH_OFFICER_ACTIVATION "/officer/activation"
#define EID_PATH_OFFICER_ACTIVATION_START "/officer/activation/start"
#define EID_PATH_OFFICER_ACTIVATION_ATTEST "/officer/activation/attest"
#define EID_PATH_OFFICER_ACTIVATION_BIRTH "/officer/activation/birth"
#define EID_PATH_ACTIVATE "/activate"
#define EID_PATH_ACCOUNT "/account"
#define EID_PATH_ACCOUNT_SESSION_END "/account/session/end"
#define EID_PATH_ACCOUNT_LOCK "/account/lock"
#define EID_PATH_ACCOUNT_CONSENT_REVOKE "/account/consent/revoke"
#define EID_PATH_ACCOUNT_MINOR "/account/minor"
#define EID_PATH_ACCOUNT_TOTP "/account/totp"
#define EID_PATH_ACCOUNT_TOTP_CONFIRM "/account/totp/confirm"
#define EID_PATH_ACCOUNT_TOTP_DISABLE "/account/totp/disable"
#define EID_PATH_ACCOUNT_RECOVERY "/account/recovery"
#define EID_PATH_ACCOUNT_PASSWORD "/account/password"
#define EID_PATH_ME_HISTORY "/api/v1/me/history"

/* ---- handlers ---- */
int eid_page_officer_login(struct eid_http_request *req,
			   struct eid_http_response *res, void *app);
int eid_page_officer_logout(struct eid_http_request *req,
			    struct eid_http_response *res, void *app);
int eid_page_officer_home(struct eid_http_request *req,
			  struct eid_http_response *res, void *app);
int eid_page_officer_citizen(struct eid_http_request *req,
			     struct eid_http_response *res, void *app);
int eid_page_officer_account(struct eid_http_request *req,
			     struct eid_http_response *res, void *app);
int eid_page_officer_activation(struct eid_http_request *req,
				struct eid_http_response *res, void *app);
int eid_page_officer_activation_start(struct eid_http_request *req,
				      struct eid_http_response *res,
				      void *app);
int eid_page_officer_activation_attest(struct eid_http_request *req,
				       struct eid_http_response *res,
				       void *app);
int eid_page_officer_activation_birth(struct eid_http_request *req,
				      struct eid_http_response *res,
				      void *app);
int eid_page_activate(struct eid_http_request *req,
		      struct eid_http_response *res, void *app);
int eid_page_account(struct eid_http_request *req,
		     struct eid_http_response *res, void *app);
int eid_page_account_session_end(struct eid_http_request *req,
				 struct eid_http_response *res, void *app);
int eid_page_account_consent_revoke(struct eid_http_request *req,
				    struct eid_http_response *res, void *app);
int eid_page_account_lock(struct eid_http_request *req,
			  struct eid_http_response *res, void *app);
int eid_page_account_minor(struct eid_http_request *req,
			   struct eid_http_response *res, void *app);
/* POST /officer/activation/<case>/chip/{challenge,verify}, and
 * .../<case>/guardian/chip/{challenge,verify} for a minor's guardian */
int eid_api_officer_chip(struct eid_http_request *req,
			 struct eid_http_response *res, void *app);
int eid_api_me_history(struct eid_http_request *req,
		       struct eid_http_response *res, void *app);
/* The citizen's second factor and password (account_credentials.c,
 * account_password.c). */
int eid_page_account_totp(struct eid_http_request *req,
			  struct eid_http_response *res, void *app);
int eid_page_account_totp_confirm(struct eid_http_request *req,
				  struct eid_http_response *res, void *app);
int eid_page_account_totp_disable(struct eid_http_request *req,
				  struct eid_http_response *res, void *app);
int eid_page_account_recovery(struct eid_http_request *req,
			      struct eid_http_response *res, void *app);
int eid_page_account_password(struct eid_http_request *req,
			      struct eid_http_response *res, void *app);

/* ---- a page being built: every call is a no-op once one failed ---- */
struct eid_page {
	eid_buf b;
	int r;
	enum eid_lang lang;
};

/* The language by ui_locales in the query, else Accept-Language. */
enum eid_lang eid_page_lang(struct eid_http_request *req);
void eid_page_begin(struct eid_page *p, enum eid_lang lang,
		    const char *title_en, const char *title_vi);
void eid_page_raw(struct eid_page *p, const char *markup);
void eid_page_text(struct eid_page *p, const char *s);
/* The English or the Vietnamese text, escaped. */
void eid_page_t(struct eid_page *p, const char *en, const char *vi);
void eid_page_hidden(struct eid_page *p, const char *name, const char *value);
/* <label>TEXT<input type name value attrs></label> */
void eid_page_input(struct eid_page *p, const char *en, const char *vi,
		    const char *type, const char *name, const char *value,
		    const char *attrs);
/* <p class=CLASS role=alert>TEXT DETAIL</p> ("error" or "notice"). */
void eid_page_notice(struct eid_page *p, const char *cls, const char *en,
		     const char *vi, const char *detail);
/* A row of a two-column table. */
void eid_page_row(struct eid_page *p, const char *en, const char *vi,
		  const char *value);
/* Close the page, reply with status, free. */
int eid_page_reply(struct eid_page *p, struct eid_http_response *res,
		   unsigned status);
/* A whole error page. */
int eid_page_error(struct eid_http_response *res, enum eid_lang lang,
		   unsigned status, const char *en, const char *vi);

/* ---- CSRF ---- */
/* The double-submit token of a page without a session: the cookie's, or
 * a new one (set now, SameSite=Strict, HttpOnly, for path). */
int eid_page_csrf_cookie(struct eid_http_request *req,
			 struct eid_http_response *res, const char *cookie,
			 const char *path, char out[44]);
bool eid_page_csrf_cookie_ok(struct eid_http_request *req,
			     const char *cookie);
/* The posted "csrf" parameter against a session's token. */
bool eid_page_csrf_ok(struct eid_http_request *req, const char *token);

/* ---- the officer's session ---- */
/* The request's officer session.  When there is none, the answer is sent
 * (a redirect to the sign-in page for GET, 403 for POST) and
 * EID_ENOTFOUND returned; a POST without the session's CSRF token gets 403
 * (EID_EPERM). */
int eid_console_officer(struct eid_app *app, struct eid_http_request *req,
			struct eid_http_response *res,
			struct eid_officer_session *ret);
/* "officer:<id>" of a session. */
const char *eid_console_actor(const struct eid_officer_session *os,
			      char *buf, size_t cap);
/* Set (max_age > 0) or delete (0) a SameSite=Strict, HttpOnly cookie,
 * Secure unless the request came over loopback. */
int eid_console_cookie(struct eid_http_request *req,
		       struct eid_http_response *res, const char *name,
		       const char *value, long max_age);
/* The top of every console page: who is signed in and the sign-out. */
void eid_console_header(struct eid_page *p,
			const struct eid_officer_session *os);



/* Append an event about subject (may be NULL) by the session's officer,
 * with the unit added to details (consumed; may be NULL), in its own
 * write transaction. */
int eid_console_audit(struct eid_app *app, struct eid_http_request *req,
		      const struct eid_officer_session *os, const char *type,
		      const char *subject, json_t *details);
/* The citizen page of the console (registry record, account, actions),
 * with a notice on top (en NULL: none). */
/* The registry's record of an activation case's citizen, asked with no
 * transaction open (the server's registry may be the remote one:
 * EID_ENETWORK).  ret_minor (may be NULL): set true for a minor's case,
 * which is then not looked up. */
int eid_console_case_citizen(struct eid_app *app, const char *case_id,
			     bool *ret_minor, struct eid_citizen *ret);
int eid_console_citizen_page(struct eid_app *app, struct eid_http_request *req,
			     struct eid_http_response *res,
			     const struct eid_officer_session *os,
			     const char *personal_id, unsigned status,
			     const char *cls, const char *en, const char *vi,
			     const char *detail);
/* An officer refused a case of another officer or unit
 * (eid_activation_may_access): audited as activation.denied, details the
 * case, the action tried and the officer's unit. */
int eid_console_case_denied(struct eid_app *app, struct eid_http_request *req,
			    const struct eid_officer_session *os,
			    const char *case_id, const char *action);
/* Its answer for a page: 403, the reason in both languages. */
int eid_console_case_denied_page(struct eid_http_request *req,
				 struct eid_http_response *res);
/* The console's page of an activation case (403 for another unit's). */
int eid_console_case_page(struct eid_app *app, struct eid_http_request *req,
			  struct eid_http_response *res,
			  const struct eid_officer_session *os,
			  const char *case_id, unsigned status);

#endif
