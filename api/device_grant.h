/* The device authorization grant (RFC 8628) on the HTTP side: the
 * devices' endpoint, the citizens' verification page and its QR code.
 * The logic is in idp/devgrant.h; the sign-in, step-up and consent are
 * the front channel's own (api/flow.h), on an interaction that carries
 * the user code instead of a redirect URI. */
#ifndef EID_API_DEVICE_GRANT_H
#define EID_API_DEVICE_GRANT_H

#include "api/app.h"
#include "api/oauth.h"
#include "idp/devgrant.h"
#include "idp/interaction.h"
#include "idp/session.h"

/* POST /device_authorization (RFC 8628 3.1, 3.2) */
int eid_api_device_authorization(struct eid_http_request *req,
				 struct eid_http_response *res, void *app);
/* GET|POST /device: enter and confirm the user code */
int eid_page_device(struct eid_http_request *req,
		    struct eid_http_response *res, void *app);
/* GET /device/qr.png?user_code=...: the verification_uri_complete */
int eid_page_device_qr(struct eid_http_request *req,
		       struct eid_http_response *res, void *app);

/* issuer + path + "?user_code=XXXX-XXXX" for a normalised code. */
int eid_device_grant_url(const struct eid_app *app, const char *path,
			 const char *user_code, char out[EID_API_URL_MAX]);

/* The end of the front-channel flow for a device interaction (the
 * interaction is ended either way): approve records the grant of session
 * ses for the device, otherwise the request is denied; the citizen gets a
 * page that says which, and the decision is audited.  error is the
 * reason of a denial ("access_denied", "unmet_authentication_requirements"). */
int eid_device_grant_finish(struct eid_app *app,
			    const struct eid_http_request *req,
			    struct eid_http_response *res,
			    const struct eid_interaction *it,
			    const struct eid_session *ses, const char *error);

#endif
