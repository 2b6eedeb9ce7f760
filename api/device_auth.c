/* What the app API's handlers share: nonces, audiences, and the
 * EID-Device authorization of a request. */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "api/device.h"
#include "api/selfservice.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/device_auth.h"

#define AUD_MAX 2048

int eid_app_device_nonce_key(const struct eid_app *app, uint8_t ret[32])
{
	static const char label[] = "eid-device-nonce";
	unsigned n = 0;

	if (HMAC(EVP_sha256(), app->dpop_nonce_key,
		 sizeof(app->dpop_nonce_key), (const uint8_t *)label,
		 sizeof(label) - 1, ret, &n) == NULL || n != 32)
		return EID_ECRYPTO;
	return EID_OK;
}

int eid_app_audience(const struct eid_app *app, const char *path,
		     eid_buf *out)
{
	const char *iss = app->cfg->server.issuer;
	size_t n = strlen(iss);

	while (n > 0 && iss[n - 1] == '/')
		n--;
	if (eid_buf_put(out, iss, n) != EID_OK ||
	    eid_buf_put_str(out, path) != EID_OK)
		return EID_ETOOBIG;
	return EID_OK;
}

int eid_app_qr_url(const struct eid_app *app, const char *handle,
		   eid_buf *out)
{
	int r = eid_app_audience(app, EID_PATH_QR, out);

	return r == EID_OK ? eid_buf_put_str(out, handle) : r;
}

int eid_app_device_unauthorized(const struct eid_app *app,
				struct eid_http_response *res, int why)
{
	uint8_t key[32];
	char nonce[EID_DEVICE_NONCE_LEN + 1];
	const char *err = why == EID_ESTATE ? "use_device_nonce" :
					      "invalid_token";
	int r;

	if ((r = eid_app_device_nonce_key(app, key)) == EID_OK &&
	    (r = eid_device_nonce_issue(key, eid_store_now(app->store),
					nonce)) == EID_OK &&
	    (r = eid_http_set_header(res, "EID-Device-Nonce", nonce)) == EID_OK)
		r = eid_http_reply_oauth_challenge(
			res, EID_DEVICE_AUTH_SCHEME, err,
			why == EID_ESTATE ? "a fresh nonce is required" :
					    "the device authorization is not valid");
	eid_wipe(key, sizeof(key));
	return r;
}

/* The account must be active for its device to speak for it. */
static int account_active(struct eid_app *app, const char *personal_id,
			  int *ret_level)
{
	struct eid_account a;
	eid_txn *t = NULL;
	int r;

	if ((r = eid_store_begin(app->store, false, &t)) != EID_OK)
		return r;
	r = eid_account_get(t, personal_id, &a);
	eid_txn_abort(t);
	if (r != EID_OK)
		return r;
	*ret_level = a.level;
	r = a.status == EID_ACCOUNT_ACTIVE ? EID_OK : EID_ELOCKED;
	eid_account_clear(&a);
	return r;
}

int eid_app_device_jws(struct eid_app *app,
		       const struct eid_http_request *req, const json_t *jwk,
		       const char *iss, struct eid_device *ret)
{
	static const char scheme[] = EID_DEVICE_AUTH_SCHEME " ";
	const char *h = eid_http_header(req, "Authorization");
	struct eid_device_auth_request q = { 0 };
	uint8_t key[32];
	eid_buf aud;
	int r;

	if (h == NULL || strncmp(h, scheme, sizeof(scheme) - 1) != 0)
		return EID_EAUTH;
	h += sizeof(scheme) - 1;
	eid_buf_init(&aud, AUD_MAX);
	if ((r = eid_app_device_nonce_key(app, key)) != EID_OK ||
	    (r = eid_app_audience(app, eid_http_path(req), &aud)) != EID_OK)
		goto out;
	q.aud = eid_buf_cstr(&aud);
	q.nonce_key = key;
	q.now = eid_store_now(app->store);
	r = jwk != NULL ?
		    eid_device_auth_check(app->store, h, strlen(h), jwk, iss, &q) :
		    eid_device_auth_verify(app->store, h, strlen(h), &q, ret);
out:
	eid_wipe(key, sizeof(key));
	eid_buf_free(&aud);
	return r;
}

int eid_app_device_auth(struct eid_app *app,
			const struct eid_http_request *req,
			struct eid_http_response *res, struct eid_device *ret,
			bool *ret_done)
{
	int level = 0, r;

	*ret_done = true;
	r = eid_app_device_jws(app, req, NULL, NULL, ret);
	if (r == EID_OK &&
	    (r = account_active(app, ret->personal_id, &level)) != EID_OK) {
		eid_device_clear(ret);
		return r == EID_ELOCKED ?
			       eid_ss_error(res, 403, "account_locked",
					    "the account is not active", 0) :
			       r;
	}
	if (r == EID_OK) {
		/* What a login with the device reaches today. */
		ret->level = eid_device_level_now(ret, level);
		*ret_done = false;
	} else if (r != EID_ENOMEM && r != EID_EIO) {
		r = eid_app_device_unauthorized(app, res, r);
	}
	return r;
}
