#include "idp/discovery.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/buf.h"
#include "crypto/error.h"

#define URL_MAX 2048

static int set_url(json_t *o, const char *name, const char *issuer,
		   const char *path)
{
	eid_buf b;
	int r;

	eid_buf_init(&b, URL_MAX);
	r = eid_buf_printf(&b, "%s%s", issuer, path);
	if (r == EID_OK && json_object_set_new(o, name,
					       json_string(eid_buf_cstr(&b))) != 0)
		r = EID_ENOMEM;
	eid_buf_free(&b);
	return r;
}

int eid_discovery_build(const char *issuer, json_t **ret_metadata)
{
	json_t *o;
	int r;

	if (issuer == NULL || issuer[0] == '\0')
		return EID_EINVAL;
	o = json_object();
	if (o == NULL)
		return EID_ENOMEM;
	if (json_object_set_new(o, "issuer", json_string(issuer)) != 0) {
		r = EID_ENOMEM;
		goto out;
	}
	if ((r = set_url(o, "jwks_uri", issuer, EID_PATH_JWKS)) != EID_OK)
		goto out;
	*ret_metadata = o;
	return EID_OK;
out:
	json_decref(o);
	return r;
}
