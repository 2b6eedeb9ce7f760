#include "api/passkey_util.h"

#include <string.h>

#include "crypto/error.h"
#include "crypto/jose.h"

void eid_pk_fields_init(struct eid_pk_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		eid_buf_init(&f[i].b, f[i].max);
}

void eid_pk_fields_free(struct eid_pk_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		eid_buf_free(&f[i].b);
}

int eid_pk_fields_read(const struct eid_http_request *req,
		       struct eid_pk_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = NULL;
		int r;

		if (eid_http_form_param(req, f[i].name, &v) != EID_OK)
			continue;
		r = eid_b64url_decode(v, strlen(v), &f[i].b);
		if (r != EID_OK)
			return r == EID_ETOOBIG ? r : EID_EMALFORMED;
	}
	return EID_OK;
}

int eid_pk_json_b64(json_t **o, const char *name, const void *p, size_t n)
{
	eid_buf b;
	int r;

	if (*o == NULL && (*o = json_object()) == NULL)
		return EID_ENOMEM;
	eid_buf_init(&b, 4 * n / 3 + 4);
	r = eid_b64url_encode(p, n, &b);
	if (r == EID_OK && (eid_buf_cstr(&b) == NULL ||
			    json_object_set_new(*o, name,
						json_string(eid_buf_cstr(&b)))))
		r = EID_ENOMEM;
	eid_buf_free(&b);
	return r;
}
