/* The front channel's shared steps: the authorization endpoint, the login
 * and consent pages and logout use these to find the interaction and the
 * browser session, protect their forms, and answer the relying party.
 *
 * Where the next step is decided (eid_flow_next):
 *   no valid session, prompt=login or select_account not yet satisfied by
 *   a login of this interaction, max_age exceeded    -> /login (or
 *                                                   login_required with
 *                                                   prompt=none)
 *   the RP asks level 2, the session has level 1     -> /login/otp for a
 *                                                   level-2 account (a
 *                                                   one-time code by SMS;
 *                                                   interaction_required
 *                                                   with prompt=none);
 *                                                   any other account:
 *                                                   unmet_authentication_requirements
 *   no consent covering the request, prompt=consent  -> /consent (or
 *                                                   consent_required)
 *   otherwise                                        -> a code for the RP */
#ifndef EID_API_FLOW_H
#define EID_API_FLOW_H

#include <stdbool.h>

#include "api/app.h"
#include "api/i18n.h"
#include "idp/discovery.h"
#include "idp/grants.h"
#include "idp/interaction.h"
#include "idp/session.h"

#define EID_PATH_LOGIN "/login"
#define EID_PATH_LOGIN_OTP "/login/otp"
#define EID_PATH_CONSENT "/consent"

/* How long a browser session lasts after a login (absolute). */
#define EID_FLOW_SESSION_TTL (8 * 3600)

/* CSRF tokens: base64url(HMAC-SHA256(csrf_key, purpose "|" value)). */
#define EID_FLOW_CSRF_LEN 43

/* A browser session that is still good: the cookie names a live session
 * whose account is active and was not told to end its sessions after it
 * began. */
struct eid_flow_session {
	struct eid_session ses;
	char cookie[EID_SESSION_TOKEN_LEN + 1];
	int account_level;
};

/* The page's language: ui_locales (may be NULL), else Accept-Language. */
enum eid_lang eid_flow_lang(const struct eid_http_request *req,
			    const char *ui_locales);

/* Cookies are Secure unless the request came over loopback (plain http
 * for development and tests). */
bool eid_flow_cookie_secure(const struct eid_http_request *req);
/* Set (max_age > 0) or delete (0) one of our HttpOnly, SameSite=Lax
 * cookies. */
int eid_flow_set_cookie(const struct eid_http_request *req,
			struct eid_http_response *res, const char *name,
			const char *value, long max_age);

/* The pages' Content-Security-Policy, with form-action widened to the
 * origin of target (the RP's redirect or post-logout URI): browsers apply
 * form-action to the redirects that follow a form post, and ours end at
 * the RP.  target NULL: EID_HTTP_CSP_HTML as it is. */
int eid_flow_csp(struct eid_http_response *res, const char *target);

/* An HTML error page: msg, and the OAuth error code (may be NULL) for
 * whom needs to report it. */
int eid_flow_error_page(struct eid_http_response *res, enum eid_lang lang,
			unsigned status, enum eid_msg msg, const char *error);

/* 303 to redirect_uri with either code or error (+ description), and
 * state and iss (RFC 9207). */
int eid_flow_redirect_rp(const struct eid_app *app,
			 struct eid_http_response *res,
			 const char *redirect_uri, const char *code,
			 const char *error, const char *description,
			 const char *state);

/* The CSRF token for purpose and value, and its check (constant time). */
int eid_flow_csrf(const struct eid_app *app, const char *purpose,
		  const char *value, char ret[EID_FLOW_CSRF_LEN + 1]);
bool eid_flow_csrf_ok(const struct eid_app *app, const char *purpose,
		      const char *value, const char *presented);

/* The interaction named by the request's "i" parameter, which the
 * eid_interaction cookie must name too.  EID_ENOTFOUND otherwise. */
int eid_flow_interaction(const struct eid_app *app,
			 const struct eid_http_request *req,
			 struct eid_interaction *ret);

/* The interaction of a page's form post and its CSRF token for purpose.
 * When either is wrong the answer is sent (an expired page, 400, or a
 * refused form, 403) and *ret_done is set. */
int eid_flow_posted(const struct eid_app *app,
		    const struct eid_http_request *req,
		    struct eid_http_response *res, const char *purpose,
		    struct eid_interaction *ret, bool *ret_done);

/* The page for an interaction that is over, unknown or not this
 * browser's (400). */
int eid_flow_expired(const struct eid_http_request *req,
		     struct eid_http_response *res);

/* The request's browser session; EID_ENOTFOUND when there is none that
 * is still good. */
int eid_flow_session(const struct eid_app *app,
		     const struct eid_http_request *req,
		     struct eid_flow_session *ret);

/* Decide and answer the next step of the interaction (see above). fs is
 * the browser session (NULL: none). */
int eid_flow_next(struct eid_app *app, const struct eid_http_request *req,
		  struct eid_http_response *res, struct eid_interaction *it,
		  const struct eid_flow_session *fs);

/* Keep it->req as a new interaction (it->id set) bound to this browser by
 * its cookie, and answer its first step for the browser's session. */
int eid_flow_begin(struct eid_app *app, const struct eid_http_request *req,
		   struct eid_http_response *res, struct eid_interaction *it);

/* True when fs satisfies the interaction's login requirements (the step
 * before consent). */
bool eid_flow_login_done(const struct eid_app *app,
			 const struct eid_interaction *it,
			 const struct eid_flow_session *fs);

/* End the interaction and send the RP an error (a device's interaction:
 * deny it, eid_device_grant_finish). */
int eid_flow_fail(struct eid_app *app, const struct eid_http_request *req,
		  struct eid_http_response *res, struct eid_interaction *it,
		  const char *error, const char *description);

/* The grant of a finished interaction for session ses: strings borrowed
 * from ses and q, amr made from the session's (json_decref it). */
int eid_flow_grant(const struct eid_session *ses,
		   const struct eid_authz_request *q, struct eid_grant *ret);

/* Issue the code and send the browser back to the RP with it (a device's
 * interaction: eid_device_grant_finish). */
int eid_flow_finish(struct eid_app *app, const struct eid_http_request *req,
		    struct eid_http_response *res, struct eid_interaction *it,
		    const struct eid_flow_session *fs);

#endif
