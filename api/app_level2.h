/* Self-service level 2 from the citizen's app (docs/app-api.md). */
#ifndef EID_API_APP_LEVEL2_H
#define EID_API_APP_LEVEL2_H

#include "api/app.h"

#define EID_PATH_APP_LEVEL2 "/api/v1/me/level2"
#define EID_PATH_APP_LEVEL2_CHALLENGE "/api/v1/me/level2/challenge"

/* Uploads per account and window (seconds). */
#define EID_L2S_RATE_MAX 10u
#define EID_L2S_RATE_WINDOW 86400u

int eid_api_app_level2_challenge(struct eid_http_request *req,
				 struct eid_http_response *res, void *app);
int eid_api_app_level2(struct eid_http_request *req,
		       struct eid_http_response *res, void *app);

#endif
