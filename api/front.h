/* The front channel: the pages a citizen's browser goes through between
 * a relying party and back (see api/flow.h for the steps). */
#ifndef EID_API_FRONT_H
#define EID_API_FRONT_H

#include "api/http.h"
#include "api/i18n.h"

/* GET|POST /authorize */
int eid_api_authorize(struct eid_http_request *req,
		      struct eid_http_response *res, void *app);
/* GET /login?i=ID, POST /login */
int eid_api_login_page(struct eid_http_request *req,
		       struct eid_http_response *res, void *app);
int eid_api_login_post(struct eid_http_request *req,
		       struct eid_http_response *res, void *app);
/* GET /login/otp?i=ID, POST /login/otp (level-2 step-up) */
int eid_api_stepup_page(struct eid_http_request *req,
			struct eid_http_response *res, void *app);
int eid_api_stepup_post(struct eid_http_request *req,
			struct eid_http_response *res, void *app);
/* GET /consent?i=ID, POST /consent */
int eid_api_consent_page(struct eid_http_request *req,
			 struct eid_http_response *res, void *app);
int eid_api_consent_post(struct eid_http_request *req,
			 struct eid_http_response *res, void *app);
/* GET|POST /end_session */
int eid_api_end_session(struct eid_http_request *req,
			struct eid_http_response *res, void *app);

/* For the login page's other ways in (QR login, api/login_qr.c): the
 * page with an error message (EID_MSG_COUNT: none), and the session of a
 * citizen who has just authenticated (ending the one this browser had,
 * which may be somebody else's), then the next step. */
struct eid_app;
struct eid_interaction;
int eid_login_reply(struct eid_app *app, const struct eid_http_request *req,
		    struct eid_http_response *res,
		    const struct eid_interaction *it, unsigned status,
		    enum eid_msg error);
int eid_login_open_session(struct eid_app *app,
			   const struct eid_http_request *req,
			   struct eid_http_response *res,
			   struct eid_interaction *it, const char *personal_id,
			   int account_level, int level, const char *amr);

#endif
