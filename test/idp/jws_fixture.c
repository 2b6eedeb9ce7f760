#include "jws_fixture.h"

#include <string.h>

#include "crypto/error.h"
#include "crypto/jose.h"

char *jws_fixture_raw(const char *hdr, const char *payload, const char *sig)
{
	eid_buf b;
	char *s = NULL;

	eid_buf_init(&b, 1 << 16);
	if (eid_b64url_encode(hdr, strlen(hdr), &b) != EID_OK ||
	    eid_buf_put_str(&b, ".") != EID_OK ||
	    eid_b64url_encode(payload, strlen(payload), &b) != EID_OK ||
	    eid_buf_printf(&b, ".%s", sig) != EID_OK ||
	    eid_buf_take_str(&b, &s) != EID_OK)
		s = NULL;
	eid_buf_free(&b);
	return s;
}
