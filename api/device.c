/* POST /api/v1/devices, POST /api/v1/devices/{binding}/confirm,
 * GET /api/v1/devices/nonce, GET /api/v1/devices/current. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/device.h"
#include "api/selfservice.h"
#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"
#include "idp/audit.h"
#include "idp/device_auth.h"
#include "idp/dpop.h"
#include "idp/otp.h"

#define BIND_PREFIX "devbind|"
#define BIND_ID_LEN 22
#define BIND_REC_MAX 4096

int eid_api_device_nonce(struct eid_http_request *req,
			 struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	char nonce[EID_DEVICE_NONCE_LEN + 1];
	uint8_t key[32];
	json_t *o = NULL;
	int r;

	(void)req;
	if ((r = eid_app_device_nonce_key(app, key)) != EID_OK ||
	    (r = eid_device_nonce_issue(key, eid_store_now(app->store),
					nonce)) != EID_OK)
		goto out;
	o = json_pack("{s:s, s:i}", "nonce", nonce, "expires_in",
		      EID_DPOP_NONCE_STEP);
	r = o != NULL ? eid_http_reply_json(res, 200, o) : EID_ENOMEM;
out:
	json_decref(o);
	eid_wipe(key, sizeof(key));
	return r;
}

/* ---- binding, step 1: the password, then a code to the phone ---- */

static int auth_refused(struct eid_http_response *res, int r,
			const struct eid_login_info *info)
{
	switch (r) {
	case EID_EAUTH:
		return eid_ss_error(res, 401, "invalid_grant",
				    "the personal ID number or the password "
				    "is wrong", 0);
	case EID_ELIMIT:
		return eid_ss_error(res, 429, "slow_down",
				    "too many attempts, try again later",
				    info->retry_after ? info->retry_after : 60);
	case EID_ELOCKED:
		return eid_ss_error(res, 403, "account_locked",
				    "the account is locked", 0);
	case EID_ESTATE:
		return eid_ss_error(res, 403, "account_not_active",
				    "the account is not activated yet", 0);
	case EID_ENETWORK:
		return eid_ss_registry_unavailable(res);
	default:
		return r;
	}
}

static int store_pending(struct eid_app *app, const char *bid,
			 const struct eid_account *a, const json_t *jwk,
			 uint64_t now)
{
	char key[64], *text;
	json_t *o = json_pack("{s:s, s:O, s:i}", "pid", a->personal_id,
			      "jwk", jwk, "level", a->level);
	int r;

	text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (text == NULL)
		return EID_ENOMEM;
	(void)snprintf(key, sizeof(key), BIND_PREFIX "%s", bid);
	r = eid_eph_put(app->store, EID_EPH_CHALLENGES, key, strlen(key), text,
			strlen(text), now + EID_OTP_TTL);
	free(text);
	return r;
}

static int bind_started(struct eid_app *app, struct eid_http_response *res,
			const struct eid_account *a, const json_t *jwk)
{
	uint64_t now = eid_store_now(app->store), retry = 0;
	char bid[BIND_ID_LEN + 1], uri[128];
	uint8_t raw[16];
	json_t *o;
	int r;

	if ((r = eid_random_bytes(raw, sizeof(raw))) ||
	    (r = eid_b64url_encode_str(raw, sizeof(raw), bid, sizeof(bid))) ||
	    (r = store_pending(app, bid, a, jwk, now)))
		return r;
	r = eid_otp_issue(app->store, EID_OTP_DEVICE, bid, a->phone,
			  &app->notify, (int64_t)now, &retry);
	if (r == EID_ELIMIT)
		return eid_ss_error(res, 429, "slow_down",
				    "a code was sent recently, wait", retry);
	if (r != EID_OK)
		return r;
	(void)snprintf(uri, sizeof(uri), EID_PATH_DEVICES "/%s/confirm", bid);
	o = json_pack("{s:s, s:s, s:i}", "binding_id", bid, "confirm_uri", uri,
		      "code_expires_in", EID_OTP_TTL);
	r = o != NULL ? eid_http_reply_json(res, 202, o) : EID_ENOMEM;
	json_decref(o);
	return r;
}

int eid_api_device_bind(struct eid_http_request *req,
			struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_login_info info = { 0 };
	struct eid_account a;
	const char *pid, *pw;
	json_t *body, *jwk;
	int r;

	if ((body = eid_ss_json_body(req, res)) == NULL)
		return EID_OK;
	pid = json_string_value(json_object_get(body, "personal_id"));
	pw = json_string_value(json_object_get(body, "password"));
	jwk = json_object_get(body, "jwk");
	if (pid == NULL || pw == NULL || !json_is_object(jwk)) {
		r = eid_ss_error(res, 400, "invalid_request",
				 "personal_id, password and jwk are required", 0);
		goto out;
	}
	if (eid_device_check_jwk(jwk, NULL) != EID_OK) {
		r = eid_ss_error(res, 400, "invalid_request",
				 "jwk must be a public EC P-256 key (ES256)", 0);
		goto out;
	}
	r = eid_account_authenticate(app->store, &app->registry,
				     &app->policy, pid, pw,
				     eid_http_remote(req),
				     (int64_t)eid_store_now(app->store), &a,
				     &info);
	if (r != EID_OK) {
		r = auth_refused(res, r, &info);
		goto out;
	}
	r = bind_started(app, res, &a, jwk);
	eid_account_clear(&a);
out:
	json_decref(body);
	return r;
}

/* ---- binding, step 2: the code and a JWS by the new key ---- */

struct pending {
	char bid[BIND_ID_LEN + 1];
	json_t *rec; /* {pid, jwk, level} */
};

static int pending_get(struct eid_app *app, const char *bid, bool take,
		       struct pending *ret)
{
	char key[64];
	eid_buf b;
	int r;

	(void)snprintf(key, sizeof(key), BIND_PREFIX "%s", bid);
	eid_buf_init(&b, BIND_REC_MAX);
	r = take ? eid_eph_take(app->store, EID_EPH_CHALLENGES, key,
				strlen(key), &b) :
		   eid_eph_get(app->store, EID_EPH_CHALLENGES, key, strlen(key),
			       &b, NULL);
	if (r == EID_OK && ret != NULL) {
		ret->rec = json_loadb((const char *)b.data, b.len, 0, NULL);
		r = json_is_object(ret->rec) ? EID_OK : EID_EMALFORMED;
	}
	eid_buf_free(&b);
	return r;
}

void eid_app_notify_citizen(struct eid_app *app, const char *personal_id,
			    const char *text)
{
	struct eid_account a;
	eid_txn *t = NULL;

	if (eid_store_begin(app->store, false, &t) != EID_OK)
		return;
	if (eid_account_get(t, personal_id, &a) == EID_OK) {
		(void)eid_notify_sms(&app->notify, a.phone, text);
		eid_account_clear(&a);
	}
	eid_txn_abort(t);
}

static int do_bind(struct eid_app *app, const struct eid_http_request *req,
		   struct eid_http_response *res, const struct pending *p)
{
	const char *pid = json_string_value(json_object_get(p->rec, "pid"));
	char old[EID_DEVICE_ID_LEN + 1];
	struct eid_device d = { 0 };
	struct eid_account a;
	eid_txn *t = NULL;
	json_t *o;
	int r;

	if (pid == NULL)
		return EID_EMALFORMED;
	if ((r = eid_store_begin(app->store, true, &t)) != EID_OK)
		return r;
	if ((r = eid_account_get(t, pid, &a)) != EID_OK)
		goto out;
	if (a.status != EID_ACCOUNT_ACTIVE) {
		eid_account_clear(&a);
		r = eid_ss_error(res, 403, "account_locked",
				 "the account is not active", 0);
		goto out;
	}
	/* The level now, not when the code was asked for. */
	r = eid_device_bind(t, pid, json_object_get(p->rec, "jwk"), a.level,
			    eid_http_remote(req),
			    (int64_t)eid_store_now(app->store), &d, old);
	eid_account_clear(&a);
	if (r != EID_OK || (r = eid_txn_commit(t)) != EID_OK)
		goto out;
	t = NULL;
	if (old[0] != '\0')
		eid_app_notify_citizen(app, pid,
				       "eID: mot thiet bi moi da duoc lien ket; "
				       "thiet bi cu khong con dung duoc. / "
				       "eID: a new device was linked to your "
				       "account; the previous one no longer "
				       "works. Not you? Lock your account.");
	o = json_pack("{s:s, s:s, s:s, s:i, s:I}", "device_id", d.id,
		      "personal_id", d.personal_id, "jkt", d.jkt, "level",
		      d.level, "created_at", (json_int_t)d.created_at);
	r = o != NULL ? eid_http_reply_json(res, 201, o) : EID_ENOMEM;
	json_decref(o);
out:
	eid_txn_abort(t);
	eid_device_clear(&d);
	return r;
}

int eid_api_device_confirm(struct eid_http_request *req,
			   struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct pending p = { 0 };
	const char *code;
	json_t *body = NULL;
	eid_buf none; /* no password here: no reason to give */
	int r;

	eid_buf_init(&none, 1);
	if (eid_ss_path_id(eid_http_path(req), EID_PATH_DEVICES, "confirm",
			   p.bid, sizeof(p.bid)) != EID_OK ||
	    pending_get(app, p.bid, false, &p) != EID_OK) {
		r = eid_ss_error(res, 404, "not_found",
				 "no such binding (or it expired)", 0);
		goto out;
	}
	if ((body = eid_ss_json_body(req, res)) == NULL) {
		r = EID_OK;
		goto out;
	}
	code = json_string_value(json_object_get(body, "code"));
	/* Proof of possession of the key being bound (iss: the binding). */
	if ((r = eid_app_device_jws(app, req, json_object_get(p.rec, "jwk"),
				    p.bid, NULL)) != EID_OK) {
		r = eid_app_device_unauthorized(app, res, r);
		goto out;
	}
	r = eid_otp_check(app->store, EID_OTP_DEVICE, p.bid,
			  code != NULL ? code : "",
			  (int64_t)eid_store_now(app->store));
	if (r == EID_OK && pending_get(app, p.bid, true, NULL) != EID_OK)
		r = EID_EREPLAY;
	if (r != EID_OK) {
		r = eid_ss_code_error(res, r, &none);
		goto out;
	}
	r = do_bind(app, req, res, &p);
out:
	json_decref(body);
	json_decref(p.rec);
	eid_buf_free(&none);
	return r;
}

int eid_api_device_current(struct eid_http_request *req,
			   struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_device d = { 0 };
	bool done;
	json_t *o;
	int r;

	if ((r = eid_app_device_auth(app, req, res, &d, &done)) || done)
		return r;
	o = json_pack("{s:s, s:s, s:s, s:i, s:I}", "device_id", d.id,
		      "personal_id", d.personal_id, "jkt", d.jkt, "level",
		      d.level, "created_at", (json_int_t)d.created_at);
	r = o != NULL ? eid_http_reply_json(res, 200, o) : EID_ENOMEM;
	json_decref(o);
	eid_device_clear(&d);
	return r;
}
