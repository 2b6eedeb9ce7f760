#include "idp/jwt.h"

#include <string.h>

#include <openssl/evp.h>

#include "crypto/error.h"
#include "idp/opaque.h"

int eid_jwt_str(const json_t *o, const char *name, size_t max, bool required,
		const char **ret)
{
	const json_t *v = json_object_get(o, name);
	size_t n;

	if (ret == NULL)
		return EID_EINVAL;
	if (v == NULL) {
		if (required)
			return EID_EMALFORMED;
		*ret = NULL;
		return EID_OK;
	}
	if (!json_is_string(v))
		return EID_EMALFORMED;
	n = json_string_length(v);
	if (n == 0 || n > max || strlen(json_string_value(v)) != n)
		return EID_EMALFORMED;
	*ret = json_string_value(v);
	return EID_OK;
}

int eid_jwt_time(const json_t *o, const char *name, bool required,
		 uint64_t *ret, bool *ret_present)
{
	const json_t *v = json_object_get(o, name);

	if (ret == NULL)
		return EID_EINVAL;
	if (v == NULL) {
		if (required)
			return EID_EMALFORMED;
		*ret = 0;
		if (ret_present != NULL)
			*ret_present = false;
		return EID_OK;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return EID_EMALFORMED;
	*ret = (uint64_t)json_integer_value(v);
	if (ret_present != NULL)
		*ret_present = true;
	return EID_OK;
}

int eid_jwt_jti_once(eid_store *s, uint8_t tag, const char *scope,
		     const char *jti, uint64_t expires_at)
{
	uint8_t key[EID_OPAQUE_KEY_LEN];
	EVP_MD_CTX *ctx;
	unsigned int n = 0;
	int r;

	if (s == NULL || scope == NULL || jti == NULL)
		return EID_EINVAL;
	/* scope and jti separated by a NUL, which neither may contain. */
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return EID_ENOMEM;
	key[0] = tag;
	r = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, scope, strlen(scope) + 1) == 1 &&
	    EVP_DigestUpdate(ctx, jti, strlen(jti)) == 1 &&
	    EVP_DigestFinal_ex(ctx, key + 1, &n) == 1 ? EID_OK : EID_ECRYPTO;
	EVP_MD_CTX_free(ctx);
	if (r != EID_OK)
		return r;
	r = eid_eph_put(s, EID_EPH_JTI, key, sizeof(key), "", 0, expires_at);
	return r == EID_EEXIST ? EID_EREPLAY : r;
}
