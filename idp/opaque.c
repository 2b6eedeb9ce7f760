#include "idp/opaque.h"

#include <string.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"

int eid_opaque_random(size_t n, char *ret, size_t retsize)
{
	uint8_t raw[64];
	int r;

	if (ret == NULL || n == 0 || n > sizeof(raw) ||
	    retsize < EID_B64URL_LEN(n) + 1)
		return EID_EINVAL;
	if ((r = eid_random_bytes(raw, n)) == EID_OK)
		r = eid_b64url_encode_str(raw, n, ret, retsize);
	eid_wipe(raw, sizeof(raw));
	return r;
}

int eid_opaque_check(const char *s, size_t len)
{
	eid_buf b;
	int r;

	if (s == NULL || strnlen(s, len + 1) != len)
		return EID_EMALFORMED;
	eid_buf_init_secret(&b, len);
	r = eid_b64url_decode(s, len, &b);
	eid_buf_free(&b);
	return r == EID_OK ? EID_OK : EID_EMALFORMED;
}

int eid_opaque_key(uint8_t tag, const void *value, size_t n,
		   uint8_t ret[EID_OPAQUE_KEY_LEN])
{
	if (ret == NULL)
		return EID_EINVAL;
	ret[0] = tag;
	return eid_sha256(value, n, ret + 1);
}
