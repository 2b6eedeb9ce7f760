#include "idp/discovery.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/buf.h"
#include "crypto/error.h"
#include "idp/claims.h"
#include "idp/clients.h"

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
			  " s:[s,s], s:[s], s:b, s:b, s:b, s:b, s:b, s:b, s:b}",
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
			  "request_uri_parameter_supported", 1,
			  "require_pushed_authorization_requests", 0);
	if (fixed == NULL)
		return EID_ENOMEM;
	r = json_object_update_missing(o, fixed) == 0 ? EID_OK : EID_ENOMEM;
	json_decref(fixed);
	return r;
}

/* A NULL-terminated list of names as a JSON array. */
static int set_list(json_t *o, const char *name, const char *const *v)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && v[i] != NULL; i++)
		if (json_array_append_new(a, json_string(v[i])) != 0) {
			json_decref(a);
			a = NULL;
		}
	return a != NULL && json_object_set_new(o, name, a) == 0 ? EID_OK :
								    EID_ENOMEM;
}

static const char *const auth_methods[] = {
	"client_secret_basic", "client_secret_post", "private_key_jwt",
	"none", NULL,
};
/* Introspection tells about tokens: a client_id alone is not enough. */
static const char *const auth_methods_confidential[] = {
	"client_secret_basic", "client_secret_post", "private_key_jwt", NULL,
};
/* What eid_client_assertion_verify and eid_dpop_verify accept. */
static const char *const jws_algs[] = { "ES256", "PS256", "RS256", NULL };

static const char *const grant_types[] = {
	"authorization_code", "refresh_token", "client_credentials",
	"urn:openid:params:grant-type:ciba", EID_GRANT_TYPE_DEVICE_CODE, NULL,
};
static const char *const ciba_modes[] = { "poll", "ping", NULL };
/* "sign": the remote signing API (client_credentials tokens). */
static const char *const scopes[] = {
	"openid", "profile", "phone", "email", "address", "citizen",
	"offline_access", "sign", NULL,
};
static const char *const subject_types[] = { "public", "pairwise", NULL };
static const char *const pkce_methods[] = { "S256", NULL };
static const char *const acr_values[] = {
	"urn:eid:loa:1", "urn:eid:loa:2", NULL,
};

/* The claims of eid_claims_names and those of every ID token. */
static int set_claims(json_t *o)
{
	static const char *const token_claims[] = {
		"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce",
		"acr", "amr", "sid", NULL,
	};
	json_t *a;
	int r;

	if ((r = set_list(o, "claims_supported", token_claims)) != EID_OK)
		return r;
	a = json_object_get(o, "claims_supported");
	for (size_t i = 0; eid_claims_names[i] != NULL; i++)
		if (json_array_append_new(a, json_string(eid_claims_names[i])))
			return EID_ENOMEM;
	return json_object_set_new(o, "claims_parameter_supported",
				   json_true()) == 0 ? EID_OK : EID_ENOMEM;
}

/* The back-channel endpoints and what they accept. */
static int set_backchannel(json_t *o, const char *issuer)
{
	static const struct {
		const char *name;
		const char *path;
	} urls[] = {
		{ "token_endpoint", EID_PATH_TOKEN },
		{ "pushed_authorization_request_endpoint", EID_PATH_PAR },
		{ "userinfo_endpoint", EID_PATH_USERINFO },
		{ "introspection_endpoint", EID_PATH_INTROSPECT },
		{ "revocation_endpoint", EID_PATH_REVOKE },
		{ "backchannel_authentication_endpoint",
		  EID_PATH_BC_AUTHORIZE },
		{ "device_authorization_endpoint",
		  EID_PATH_DEVICE_AUTHORIZATION },
	};
	static const struct {
		const char *name;
		const char *const *v;
	} lists[] = {
		{ "grant_types_supported",
		  grant_types },
		{ "token_endpoint_auth_methods_supported", auth_methods },
		{ "token_endpoint_auth_signing_alg_values_supported",
		  jws_algs },
		{ "introspection_endpoint_auth_methods_supported",
		  auth_methods_confidential },
		{ "introspection_endpoint_auth_signing_alg_values_supported",
		  jws_algs },
		{ "revocation_endpoint_auth_methods_supported", auth_methods },
		{ "revocation_endpoint_auth_signing_alg_values_supported",
		  jws_algs },
		{ "dpop_signing_alg_values_supported", jws_algs },
		{ "scopes_supported",
		  scopes },
		{ "subject_types_supported",
		  subject_types },
		{ "code_challenge_methods_supported",
		  pkce_methods },
		{ "acr_values_supported",
		  acr_values },
		{ "backchannel_token_delivery_modes_supported", ciba_modes },
	};
	int r = EID_OK;

	for (size_t i = 0; r == EID_OK && i < sizeof(urls) / sizeof(urls[0]);
	     i++)
		r = set_url(o, urls[i].name, issuer, urls[i].path);
	for (size_t i = 0;
	     r == EID_OK && i < sizeof(lists) / sizeof(lists[0]); i++)
		r = set_list(o, lists[i].name, lists[i].v);
	/* CIBA: no user_code (the bound device is the proof). */
	if (r == EID_OK &&
	    json_object_set_new(o, "backchannel_user_code_parameter_supported",
				json_false()) != 0)
		r = EID_ENOMEM;
	return r == EID_OK ? set_claims(o) : r;
}

/* ID tokens are signed with the configured algorithm ([keys] algorithm,
 * listed first), or with RS256 or PS256 for a client registered so: a key
 * of that algorithm is made when such a client is added. */
static int set_id_token_algs(json_t *o, const char *primary)
{
	static const char *const algs[] = { "ES256", "RS256", "PS256" };
	json_t *a = json_pack("[s]", primary);

	for (size_t i = 0; a != NULL && i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(algs[i], primary) != 0 &&
		    json_array_append_new(a, json_string(algs[i])) != 0) {
			json_decref(a);
			a = NULL;
		}
	if (a == NULL)
		return EID_ENOMEM;
	return json_object_set_new(o, "id_token_signing_alg_values_supported",
				   a) == 0 ? EID_OK : EID_ENOMEM;
}

int eid_discovery_build(const char *issuer, const char *id_token_alg,
			json_t **ret_metadata)
{
	json_t *o;
	int r;

	if (issuer == NULL || issuer[0] == '\0' || id_token_alg == NULL)
		return EID_EINVAL;
	o = json_object();
	if (o == NULL)
		return EID_ENOMEM;
	if (json_object_set_new(o, "issuer", json_string(issuer)) != 0) {
		r = EID_ENOMEM;
		goto out;
	}
	if ((r = set_url(o, "jwks_uri", issuer, EID_PATH_JWKS)) != EID_OK ||
	    (r = set_backchannel(o, issuer)) != EID_OK ||
	    (r = front_channel(o, issuer)) != EID_OK)
		goto out;
	if ((r = set_id_token_algs(o, id_token_alg)) != EID_OK)
		goto out;
	*ret_metadata = o;
	return EID_OK;
out:
	json_decref(o);
	return r;
}
