#include "idp/client_assertion.h"

#include <stdbool.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "idp/jwt.h"

#define TAG_JTI 'a'
#define ID_MAX 1024

static bool aud_one(const json_t *v, const char *issuer, const char *endpoint)
{
	const char *s = json_string_value(v);

	return s != NULL && (strcmp(s, issuer) == 0 || strcmp(s, endpoint) == 0);
}

static int aud_check(const json_t *c, const char *issuer, const char *endpoint)
{
	const json_t *aud = json_object_get(c, "aud");
	const json_t *v;
	bool ok = false;
	size_t i;

	if (json_is_string(aud))
		return aud_one(aud, issuer, endpoint) ? EID_OK : EID_EPERM;
	if (!json_is_array(aud) || json_array_size(aud) == 0 ||
	    json_array_size(aud) > EID_CLIENT_ASSERTION_AUD_MAX)
		return EID_EMALFORMED;
	json_array_foreach(aud, i, v) {
		if (!json_is_string(v))
			return EID_EMALFORMED;
		ok = ok || aud_one(v, issuer, endpoint);
	}
	return ok ? EID_OK : EID_EPERM;
}

static int subject_check(const json_t *c, const char *client_id)
{
	const char *iss, *sub;
	int r;

	if ((r = eid_jwt_str(c, "iss", ID_MAX, true, &iss)) != EID_OK ||
	    (r = eid_jwt_str(c, "sub", ID_MAX, true, &sub)) != EID_OK)
		return r;
	if (strcmp(iss, client_id) != 0 || strcmp(sub, client_id) != 0)
		return EID_EMISMATCH;
	return EID_OK;
}

/* exp, iat and nbf; ret_exp gets exp. */
static int time_check(const json_t *c, uint64_t now, uint64_t *ret_exp)
{
	const uint64_t skew = EID_CLIENT_ASSERTION_SKEW;
	const uint64_t life = EID_CLIENT_ASSERTION_LIFETIME;
	uint64_t exp, iat, nbf;
	bool has_iat, has_nbf;
	int r;

	if ((r = eid_jwt_time(c, "exp", true, &exp, NULL)) != EID_OK ||
	    (r = eid_jwt_time(c, "iat", false, &iat, &has_iat)) != EID_OK ||
	    (r = eid_jwt_time(c, "nbf", false, &nbf, &has_nbf)) != EID_OK)
		return r;
	if (exp + skew <= now || (has_iat && iat > now + skew) ||
	    (has_nbf && nbf > now + skew))
		return EID_EEXPIRED;
	if (exp > now + life || (has_iat && exp > iat + life))
		return EID_ETOOBIG;
	*ret_exp = exp;
	return EID_OK;
}

int eid_client_assertion_verify(const char *jwt, size_t len,
				const eid_key *const *keys, size_t nkeys,
				const char *client_id, const char *issuer,
				const char *token_endpoint, uint64_t now,
				eid_store *s)
{
	static const char *const algs[] = { "ES256", "PS256", "RS256", NULL };
	json_t *c = NULL;
	const char *jti;
	uint64_t exp = 0;
	int r;

	if ((jwt == NULL && len > 0) || (keys == NULL && nkeys > 0) ||
	    client_id == NULL || issuer == NULL || token_endpoint == NULL ||
	    s == NULL)
		return EID_EINVAL;
	if (len > EID_CLIENT_ASSERTION_MAX)
		return EID_ETOOBIG;
	if ((r = eid_jws_verify(jwt, len, keys, nkeys, algs, NULL, &c)) ||
	    (r = subject_check(c, client_id)) != EID_OK ||
	    (r = aud_check(c, issuer, token_endpoint)) != EID_OK ||
	    (r = time_check(c, now, &exp)) != EID_OK ||
	    (r = eid_jwt_str(c, "jti", EID_CLIENT_ASSERTION_JTI_MAX, true,
			     &jti)) != EID_OK)
		goto out;
	r = eid_jwt_jti_once(s, TAG_JTI, client_id, jti,
			     exp + EID_CLIENT_ASSERTION_SKEW + 1);
out:
	json_decref(c);
	return r;
}
