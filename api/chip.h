/* POST /chip/challenge and POST /chip/verify: server-side verification of
 * a chip ID card (idp/chipverify.h) for the officer console and the phone
 * app.  Both are bound to the caller: a citizen session (cookie
 * eid_session) or, failing that, a bearer access token we issued (its
 * `sub`).  Requests carry JSON (Content-Type: application/json, which a
 * cross-site form cannot send) and are rate limited per address ([limits]
 * chip, api/limits.c). */
#ifndef EID_API_CHIP_H
#define EID_API_CHIP_H

#include "api/http.h"

#define EID_PATH_CHIP_CHALLENGE "/chip/challenge"
#define EID_PATH_CHIP_VERIFY "/chip/verify"

int eid_api_chip_challenge(struct eid_http_request *req,
			   struct eid_http_response *res, void *app);
/* Issue a challenge bound to binding and answer as POST /chip/challenge
 * does (the officer console binds the challenge to its officer). */
struct eid_app;
int eid_api_chip_reply_challenge(struct eid_http_response *res,
				 struct eid_app *app, const char *binding);
int eid_api_chip_verify(struct eid_http_request *req,
			struct eid_http_response *res, void *app);

#endif
