#include "idp/jsonrec.h"

#include <string.h>

#include "crypto/error.h"
#include "crypto/buf.h"
#include "crypto/jose.h"
#include "crypto/secret.h"

int eid_jrec_text(json_t *o, const char *name, char *dst, size_t cap)
{
	json_t *v = json_object_get(o, name);
	size_t n;

	if (!json_is_string(v) || (n = json_string_length(v)) >= cap)
		return EID_EMALFORMED;
	memcpy(dst, json_string_value(v), n + 1);
	return strlen(dst) == n ? EID_OK : EID_EMALFORMED;
}

int eid_jrec_int(json_t *o, const char *name, int64_t *ret)
{
	json_t *v = json_object_get(o, name);

	if (!json_is_integer(v))
		return EID_EMALFORMED;
	*ret = json_integer_value(v);
	return EID_OK;
}

void eid_jrec_wipe(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	if (json_is_string(v))
		eid_wipe((char *)json_string_value(v), json_string_length(v));
}

char *eid_jrec_dump(const json_t *o)
{
	return json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
}

int eid_jrec_set_b64url(json_t *o, const char *name, const void *p, size_t n)
{
	eid_buf b;
	const char *s;
	int r;

	eid_buf_init(&b, EID_B64URL_LEN(n) + 1);
	r = eid_b64url_encode(p, n, &b);
	if (r == EID_OK)
		r = (s = eid_buf_cstr(&b)) != NULL &&
				    json_object_set_new(o, name,
							json_string(s)) == 0
			    ? EID_OK : EID_ENOMEM;
	eid_buf_free(&b);
	return r;
}
