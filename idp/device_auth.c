#include "idp/device_auth.h"

#include <string.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/keys.h"
#include "idp/dpop.h"
#include "idp/jwt.h"

#define TAG_JTI 'v'

_Static_assert(EID_DEVICE_NONCE_LEN == EID_DPOP_NONCE_LEN,
	       "device nonces are DPoP-style nonces");

int eid_device_nonce_issue(const uint8_t key[32], uint64_t now,
			   char ret_nonce[EID_DEVICE_NONCE_LEN + 1])
{
	return eid_dpop_nonce_issue(key, now, ret_nonce);
}

int eid_device_jws_claims(const char *jws, size_t len, json_t **ret)
{
	const char *d1, *d2, *end = jws + len;
	json_t *o;
	eid_buf b;
	int r = EID_EMALFORMED;

	if (jws == NULL || len > EID_JWS_MAX)
		return EID_EMALFORMED;
	d1 = memchr(jws, '.', len);
	d2 = d1 != NULL ? memchr(d1 + 1, '.', (size_t)(end - d1 - 1)) : NULL;
	if (d2 == NULL)
		return EID_EMALFORMED;
	eid_buf_init(&b, EID_JWS_MAX);
	if (eid_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &b) == EID_OK) {
		o = json_loadb((const char *)b.data, b.len, 0, NULL);
		if (json_is_object(o)) {
			*ret = o;
			r = EID_OK;
		} else {
			json_decref(o);
		}
	}
	eid_buf_free(&b);
	return r;
}

int eid_device_jws_iss(const char *jws, size_t len, char *ret, size_t cap)
{
	json_t *o = NULL;
	const char *iss;
	int r;

	if ((r = eid_device_jws_claims(jws, len, &o)) != EID_OK)
		return r;
	iss = json_string_value(json_object_get(o, "iss"));
	r = EID_EMALFORMED;
	if (iss != NULL && strlen(iss) > 0 && strlen(iss) < cap) {
		memcpy(ret, iss, strlen(iss) + 1);
		r = EID_OK;
	}
	json_decref(o);
	return r;
}

static int check_claims(eid_store *s, const json_t *c, const char *iss,
			const struct eid_device_auth_request *req)
{
	const char *ciss, *aud, *jti, *nonce;
	uint64_t iat = 0;
	int r;

	if ((r = eid_jwt_str(c, "iss", 128, true, &ciss)) ||
	    (r = eid_jwt_str(c, "aud", 2048, true, &aud)) ||
	    (r = eid_jwt_str(c, "jti", EID_DEVICE_JTI_MAX, true, &jti)) ||
	    (r = eid_jwt_str(c, "nonce", 256, true, &nonce)) ||
	    (r = eid_jwt_time(c, "iat", true, &iat, NULL)))
		return r;
	if (strcmp(ciss, iss) != 0 || strcmp(aud, req->aud) != 0)
		return EID_EMISMATCH;
	if (iat > req->now + EID_DEVICE_IAT_WINDOW ||
	    iat + EID_DEVICE_IAT_WINDOW < req->now)
		return EID_EEXPIRED;
	if (eid_dpop_nonce_check(req->nonce_key, nonce, req->now) != EID_OK)
		return EID_ESTATE;
	return eid_jwt_jti_once(s, TAG_JTI, iss, jti,
				req->now + 2 * EID_DEVICE_IAT_WINDOW + 1);
}

int eid_device_auth_check(eid_store *s, const char *jws, size_t len,
			  const json_t *jwk, const char *iss,
			  const struct eid_device_auth_request *req)
{
	static const char *const algs[] = { "ES256", NULL };
	json_t *hdr = NULL, *claims = NULL;
	eid_key *key = NULL;
	const char *typ;
	int r;

	if (s == NULL || jws == NULL || jwk == NULL || iss == NULL ||
	    req == NULL || req->aud == NULL || req->nonce_key == NULL)
		return EID_EINVAL;
	if ((r = eid_key_from_public_jwk(jwk, &key)) != EID_OK)
		return r;
	/* The stored key is the only candidate: its kid or none. */
	r = eid_jws_verify(jws, len, (const eid_key *const *)&key, 1, algs,
			   &hdr, &claims);
	if (r == EID_ENOTFOUND)
		r = EID_EVERIFY;
	if (r != EID_OK)
		goto out;
	typ = json_string_value(json_object_get(hdr, "typ"));
	if (typ == NULL || strcmp(typ, EID_DEVICE_JWS_TYP) != 0) {
		r = EID_EMISMATCH;
		goto out;
	}
	r = check_claims(s, claims, iss, req);
out:
	json_decref(hdr);
	json_decref(claims);
	eid_key_free(key);
	return r;
}

int eid_device_auth_verify(eid_store *s, const char *jws, size_t len,
			   const struct eid_device_auth_request *req,
			   struct eid_device *ret)
{
	char iss[EID_DEVICE_ID_LEN + 1];
	struct eid_device d = { 0 };
	eid_txn *t = NULL;
	int r;

	if ((r = eid_device_jws_iss(jws, len, iss, sizeof(iss))) != EID_OK)
		return r;
	if ((r = eid_store_begin(s, false, &t)) != EID_OK)
		return r;
	r = eid_device_get(t, iss, &d);
	eid_txn_abort(t);
	if (r != EID_OK)
		return r;
	if (!d.active)
		r = EID_ENOTFOUND;
	else
		r = eid_device_auth_check(s, jws, len, d.jwk, iss, req);
	if (r == EID_OK) {
		*ret = d;
		return EID_OK;
	}
	eid_device_clear(&d);
	return r;
}
