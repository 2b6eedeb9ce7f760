/* The remote signing API (docs/signatures.md): the relying party's
 * requests, results and verification, and the citizen app's list and
 * decisions. */
#ifndef EID_API_SIGN_H
#define EID_API_SIGN_H

#include "api/app.h"
#include "api/http.h"
#include "idp/signreq.h"

#define EID_PATH_SIGN_REQUESTS "/api/v1/sign/requests"
#define EID_PATH_SIGN_REQUEST "/api/v1/sign/requests/" /* {id}[/approve|/deny] */
#define EID_PATH_SIGN_PENDING "/api/v1/sign/pending"
#define EID_PATH_SIGN_VERIFY "/api/v1/sign/verify"
/* Largest document sent to the verify endpoint (decoded). */
#define EID_SIGN_VERIFY_CONTENT_MAX (256u * 1024)

/* POST /api/v1/sign/requests (relying party, scope sign) */
int eid_api_sign_create(struct eid_http_request *req,
			struct eid_http_response *res, void *app);
/* GET /api/v1/sign/requests/{id} (the relying party that asked) */
int eid_api_sign_get(struct eid_http_request *req,
		     struct eid_http_response *res, void *app);
/* POST /api/v1/sign/verify (relying party, scope sign) */
int eid_api_sign_verify(struct eid_http_request *req,
			struct eid_http_response *res, void *app);
/* GET /api/v1/sign/pending (the citizen's app, EID-Device) */
int eid_api_sign_pending(struct eid_http_request *req,
			 struct eid_http_response *res, void *app);
/* POST /api/v1/sign/requests/{id}/approve|deny (the app, EID-Device) */
int eid_api_sign_decide(struct eid_http_request *req,
			struct eid_http_response *res, void *app);

/* The answer about a request: {"id", "status", "document_name",
 * "hash_alg", "hash", "expires_at"} and, once signed, "signature" and
 * "certificate" (base64 DER).  A new reference in *ret. */
int eid_api_sign_status_json(struct eid_app *app, const struct eid_signreq *q,
			     json_t **ret);

#endif
