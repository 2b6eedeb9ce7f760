/* Shared by api/passkey_*.c: the base64url form fields a ceremony posts,
 * and JSON members of options. */
#ifndef EID_API_PASSKEY_UTIL_H
#define EID_API_PASSKEY_UTIL_H

#include <jansson.h>

#include "api/http.h"
#include "crypto/buf.h"

struct eid_pk_field {
	const char *name;
	size_t max;  /* bytes once decoded */
	eid_buf b;
};

void eid_pk_fields_init(struct eid_pk_field *f, size_t n);
void eid_pk_fields_free(struct eid_pk_field *f, size_t n);
/* Decode each posted field (absent: empty).  EID_EMALFORMED for bad
 * base64url, EID_ETOOBIG past a field's max. */
int eid_pk_fields_read(const struct eid_http_request *req,
		       struct eid_pk_field *f, size_t n);
/* Set o[name] to base64url(p), creating the object when *o is NULL. */
int eid_pk_json_b64(json_t **o, const char *name, const void *p, size_t n);

#endif
