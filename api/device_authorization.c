/* POST /device_authorization (RFC 8628 3.1, 3.2): a TV or kiosk, as an
 * authenticated client allowed the device grant, asks for a device_code
 * to poll /token with and a user_code for the citizen to enter at
 * /device.  The answer also carries verification_uri_qr (an extension):
 * a PNG QR code of verification_uri_complete for the device to show. */
#include <string.h>

#include "api/device_grant.h"
#include "api/endpoints.h"
#include "api/form.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/authz_request.h"
#include "idp/discovery.h"

static int form_lookup(void *arg, const char *name, const char **ret_value)
{
	return eid_http_form_param(arg, name, ret_value);
}

int eid_device_grant_url(const struct eid_app *app, const char *path,
			 const char *user_code, char out[EID_API_URL_MAX])
{
	char shown[EID_DEVGRANT_USER_CODE_SHOWN + 1];
	eid_buf b;
	int r;

	eid_devgrant_user_code_show(user_code, shown);
	eid_buf_init(&b, EID_API_URL_MAX - 1);
	if ((r = eid_buf_put_str(&b, app->cfg->server.issuer)) == EID_OK &&
	    (r = eid_buf_put_str(&b, path)) == EID_OK &&
	    (r = eid_buf_put_u8(&b, '?')) == EID_OK &&
	    (r = eid_form_encode_append(&b, "user_code", shown)) == EID_OK)
		memcpy(out, eid_buf_cstr(&b), b.len + 1);
	eid_buf_free(&b);
	return r;
}

static int reply_codes(struct eid_app *app, struct eid_http_response *res,
		       const char *device_code, const char *user_code)
{
	char shown[EID_DEVGRANT_USER_CODE_SHOWN + 1];
	char uri[EID_API_URL_MAX], complete[EID_API_URL_MAX];
	char qr[EID_API_URL_MAX];
	json_t *o;
	int r;

	eid_devgrant_user_code_show(user_code, shown);
	if ((r = eid_api_url(app, EID_PATH_DEVICE, uri)) != EID_OK ||
	    (r = eid_device_grant_url(app, EID_PATH_DEVICE, user_code,
				      complete)) != EID_OK ||
	    (r = eid_device_grant_url(app, EID_PATH_DEVICE_QR, user_code,
				      qr)) != EID_OK)
		return r;
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "device_code",
		      device_code, "user_code", shown, "verification_uri", uri,
		      "verification_uri_complete", complete,
		      "verification_uri_qr", qr, "expires_in",
		      (json_int_t)app->cfg->device_grant.expires_in,
		      "interval", (json_int_t)app->cfg->device_grant.interval);
	if (o == NULL)
		return EID_ENOMEM;
	/* Cache-Control: no-store is every response's default. */
	r = eid_http_reply_json(res, 200, o);
	json_decref(o);
	return r;
}

int eid_api_device_authorization(struct eid_http_request *req,
				 struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_client client = { 0 };
	struct eid_authz_request q = { 0 };
	struct eid_authz_error aerr = { 0 };
	struct eid_oauth_error err = { "unauthorized_client",
				       "the client may not use the device "
				       "authorization grant" };
	char code[EID_DEVGRANT_CODE_LEN + 1];
	char user[EID_DEVGRANT_USER_CODE_LEN + 1];
	int r;

	if ((r = eid_api_client_authenticate(req, res, app,
					     EID_PATH_DEVICE_AUTHORIZATION,
					     &client)) != EID_OK)
		goto out;
	if (!(client.grant_types & EID_GRANT_DEVICE_CODE)) {
		r = eid_api_oauth_reply(res, &err, false);
		goto out;
	}
	r = eid_authz_device_request_parse(&client, form_lookup, req, &q,
					   &aerr);
	if (r == EID_EINVAL) {
		err = (struct eid_oauth_error){ aerr.error, aerr.description };
		r = eid_api_oauth_reply(res, &err, false);
		goto out;
	}
	if (r != EID_OK ||
	    (r = eid_devgrant_start(app->store, client.client_id, q.scope,
				    q.scopes, q.acr_level,
				    eid_store_now(app->store),
				    app->cfg->device_grant.expires_in,
				    app->cfg->device_grant.interval, code,
				    user)) != EID_OK)
		goto out;
	r = reply_codes(app, res, code, user);
	eid_wipe(code, sizeof(code));
out:
	eid_authz_request_clear(&q);
	eid_client_clear(&client);
	return r == EID_API_REPLIED ? EID_OK : r;
}
