/* The citizen app's API (docs/app-api.md): device binding, device-
 * authenticated requests, QR login approval; and the login page's QR. */
#ifndef EID_API_DEVICE_H
#define EID_API_DEVICE_H

#include <stdbool.h>

#include "api/app.h"
#include "api/i18n.h"
#include "idp/interaction.h"
#include "idp/device.h"

#define EID_PATH_DEVICES "/api/v1/devices"
#define EID_PATH_DEVICE_NONCE "/api/v1/devices/nonce"
#define EID_PATH_DEVICE_CURRENT "/api/v1/devices/current"
#define EID_PATH_APP_QR "/api/v1/qr/"
#define EID_PATH_APP_CIBA "/api/v1/ciba"
#define EID_PATH_QR "/qr/"
#define EID_PATH_LOGIN_QR "/login/qr"
#define EID_PATH_LOGIN_QR_PNG "/login/qr.png"
#define EID_PATH_LOGIN_QR_STATUS "/login/qr/status"
#define EID_PATH_QR_JS "/static/qr.js"

/* GET /api/v1/devices/nonce */
int eid_api_device_nonce(struct eid_http_request *req,
			 struct eid_http_response *res, void *app);
/* POST /api/v1/devices: password, then a code to the phone */
int eid_api_device_bind(struct eid_http_request *req,
			struct eid_http_response *res, void *app);
/* POST /api/v1/devices/{binding_id}/confirm */
int eid_api_device_confirm(struct eid_http_request *req,
			   struct eid_http_response *res, void *app);
/* GET /api/v1/devices/current */
int eid_api_device_current(struct eid_http_request *req,
			   struct eid_http_response *res, void *app);
/* GET|POST /api/v1/qr/{handle} */
int eid_api_app_qr(struct eid_http_request *req,
		   struct eid_http_response *res, void *app);
/* GET /api/v1/ciba (the device's pending CIBA requests),
 * GET|POST /api/v1/ciba/{id} (one; its decision) */
int eid_api_app_ciba_list(struct eid_http_request *req,
			  struct eid_http_response *res, void *app);
int eid_api_app_ciba(struct eid_http_request *req,
		     struct eid_http_response *res, void *app);
/* GET /qr/{handle}: what a phone's camera app opens */
int eid_page_qr_handle(struct eid_http_request *req,
		       struct eid_http_response *res, void *app);

/* The login page's QR: the handle's image, its status, the continue
 * form, the polling script. */
int eid_api_login_qr_png(struct eid_http_request *req,
			 struct eid_http_response *res, void *app);
int eid_api_login_qr_status(struct eid_http_request *req,
			    struct eid_http_response *res, void *app);
int eid_api_login_qr_post(struct eid_http_request *req,
			  struct eid_http_response *res, void *app);
int eid_api_qr_js(struct eid_http_request *req,
		  struct eid_http_response *res, void *app);

/* The login page's QR part (a new handle for it): the SVG, the handle's
 * URL as text, the continue form (csrf: the login form's token) and the
 * polling script. */
int eid_login_qr_block(struct eid_app *app, eid_buf *b, enum eid_lang lang,
		       const struct eid_interaction *it, const char *csrf);

/* ---- shared ---- */

/* The device nonce key (derived from the app's DPoP nonce key). */
int eid_app_device_nonce_key(const struct eid_app *app, uint8_t ret[32]);
/* issuer + path, the aud of a device JWS. */
int eid_app_audience(const struct eid_app *app, const char *path,
		     eid_buf *out);
/* The request's EID-Device authorization for an active device of an
 * active account; ret->level becomes the level a QR login with it
 * reaches today (2 only when bound at level 2 and the account still is).
 * On failure the 401/403 answer is sent and *ret_done set. */
int eid_app_device_auth(struct eid_app *app,
			const struct eid_http_request *req,
			struct eid_http_response *res, struct eid_device *ret,
			bool *ret_done);
/* The request's EID-Device JWS checked against jwk for iss (a binding in
 * progress), or, jwk NULL, against the bound device it names (into ret).
 * EID_EAUTH without such a header; otherwise eid_device_auth_check's or
 * eid_device_auth_verify's answers. */
int eid_app_device_jws(struct eid_app *app,
		       const struct eid_http_request *req, const json_t *jwk,
		       const char *iss, struct eid_device *ret);
/* 401 with an EID-Device challenge (use_device_nonce for EID_ESTATE,
 * invalid_token otherwise) and a fresh EID-Device-Nonce. */
int eid_app_device_unauthorized(const struct eid_app *app,
				struct eid_http_response *res, int why);
/* The body {"decision": "approve"|"deny"} of an approval: *ret_approve,
 * or *ret_done after a 400 answer. */
int eid_app_decision(struct eid_http_request *req,
		     struct eid_http_response *res, bool *ret_approve,
		     bool *ret_done);
/* The audit entry of device d's decision (event, details consumed: the
 * device id is added). */
int eid_app_audit_decision(struct eid_app *app,
			   const struct eid_http_request *req,
			   const struct eid_device *d, const char *event,
			   json_t *details);
/* An SMS to the account's phone (best effort: a notice, not a code). */
void eid_app_notify_citizen(struct eid_app *app, const char *personal_id,
			    const char *text);
/* The QR URL of a handle: ISSUER/qr/HANDLE. */
int eid_app_qr_url(const struct eid_app *app, const char *handle,
		   eid_buf *out);

#endif
