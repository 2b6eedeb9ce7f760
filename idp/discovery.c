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

/* The front channel: code flow only, PKCE S256, answers in the query with
 * iss (RFC 9207), no request objects (PAR instead), RP-initiated and
 * back-channel logout. */
static int front_channel(json_t *o, const char *issuer)
{
	json_t *fixed;
	int r;

	if ((r = set_url(o, "authorization_endpoint", issuer,
			 EID_PATH_AUTHORIZE)) != EID_OK ||
	    (r = set_url(o, "end_session_endpoint", issuer,
			 EID_PATH_END_SESSION)) != EID_OK)
		return r;
	fixed = json_pack("{s:[s], s:[s], s:[s,s,s,s], s:[s,s],"
			  " s:[s,s], s:[s], s:b, s:b, s:b, s:b, s:b, s:b}",
			  "response_types_supported", "code",
			  "response_modes_supported", "query",
			  "prompt_values_supported", "none", "login", "consent",
			  "select_account",
			  "ui_locales_supported", "vi", "en",
			  "acr_values_supported", "urn:eid:loa:1", "urn:eid:loa:2",
			  "code_challenge_methods_supported", "S256",
			  "claims_parameter_supported", 1,
			  "backchannel_logout_supported", 1,
			  "backchannel_logout_session_supported", 1,
			  "authorization_response_iss_parameter_supported", 1,
			  "request_parameter_supported", 0,
			  "request_uri_parameter_supported", 1);
	if (fixed == NULL)
		return EID_ENOMEM;
	r = json_object_update_missing(o, fixed) == 0 ? EID_OK : EID_ENOMEM;
	json_decref(fixed);
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
	if ((r = set_url(o, "jwks_uri", issuer, EID_PATH_JWKS)) != EID_OK ||
	    (r = front_channel(o, issuer)) != EID_OK)
		goto out;
	*ret_metadata = o;
	return EID_OK;
out:
	json_decref(o);
	return r;
}
