/* Per-address request limits in front of the abuse-prone endpoints
 * (idp/ratelimit.h, [limits]): installed as the HTTP server's `before`
 * hook, so no handler needs to know about them. */
#ifndef EID_API_LIMITS_H
#define EID_API_LIMITS_H

#include "api/http.h"

/* An eid_http_handler: replies 429 with Retry-After (JSON for the API, a
 * page for browsers) when the client address is over its class's limit;
 * otherwise leaves the response alone.  arg is the struct eid_app. */
int eid_api_limits(struct eid_http_request *req,
		   struct eid_http_response *res, void *arg);

#endif
