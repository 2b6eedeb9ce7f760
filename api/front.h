/* The front channel: the pages a citizen's browser goes through between
 * a relying party and back (see api/flow.h for the steps). */
#ifndef EID_API_FRONT_H
#define EID_API_FRONT_H

#include "api/http.h"

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

#endif
