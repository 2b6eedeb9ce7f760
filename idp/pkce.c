#include "idp/pkce.h"

#include <stdint.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"
#include "idp/opaque.h"

int eid_pkce_method_check(const char *method)
{
	if (method == NULL)
		return EID_EINVAL;
	return strcmp(method, "S256") == 0 ? EID_OK : EID_EUNSUPPORTED;
}

int eid_pkce_challenge_check(const char *challenge)
{
	return eid_opaque_check(challenge, EID_PKCE_CHALLENGE_LEN);
}

/* RFC 7636 section 4.1: ALPHA / DIGIT / "-" / "." / "_" / "~". */
static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

int eid_pkce_verifier_check(const char *verifier)
{
	size_t n;

	if (verifier == NULL)
		return EID_EMALFORMED;
	n = strnlen(verifier, EID_PKCE_VERIFIER_MAX + 1);
	if (n < EID_PKCE_VERIFIER_MIN || n > EID_PKCE_VERIFIER_MAX)
		return EID_EMALFORMED;
	for (size_t i = 0; i < n; i++)
		if (!unreserved((unsigned char)verifier[i]))
			return EID_EMALFORMED;
	return EID_OK;
}

int eid_pkce_challenge(const char *verifier,
		       char ret[EID_PKCE_CHALLENGE_LEN + 1])
{
	uint8_t d[32];
	int r;

	if (ret == NULL)
		return EID_EINVAL;
	if ((r = eid_pkce_verifier_check(verifier)) != EID_OK ||
	    (r = eid_sha256(verifier, strlen(verifier), d)) != EID_OK)
		return r;
	return eid_b64url_encode_str(d, sizeof(d), ret,
				     EID_PKCE_CHALLENGE_LEN + 1);
}

int eid_pkce_verify(const char *verifier, const char *challenge)
{
	char want[EID_PKCE_CHALLENGE_LEN + 1];
	int r;

	if ((r = eid_pkce_challenge_check(challenge)) != EID_OK ||
	    (r = eid_pkce_challenge(verifier, want)) != EID_OK)
		return r;
	r = eid_ct_equal(want, challenge, EID_PKCE_CHALLENGE_LEN) ?
		    EID_OK : EID_EVERIFY;
	eid_wipe(want, sizeof(want));
	return r;
}
