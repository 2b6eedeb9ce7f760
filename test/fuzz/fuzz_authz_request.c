/* The authorization request checks on arbitrary query strings (parsed as
 * /authorize parses them) for a fixed client: whatever is accepted must
 * survive the interaction's JSON round trip; a refusal must name an
 * error, and one about the client or redirect URI must not redirect.
 * The same query as a device authorization request (RFC 8628): accepted
 * only with openid within the client's scopes, never redirectable. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/form.h"
#include "crypto/error.h"
#include "idp/authz_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int lookup(void *arg, const char *name, const char **ret)
{
	return eid_form_get(arg, name, ret);
}

static void client(struct eid_client *c)
{
	json_t *m = json_pack("{s:s, s:s, s:[s,s], s:[s], s:s}", "client_id",
			      "rp", "name", "RP", "grant_types",
			      "authorization_code", "refresh_token",
			      "redirect_uris", "https://rp.example/cb", "scope",
			      "openid profile citizen offline_access");

	if (m == NULL || eid_client_from_json(m, c, NULL) != EID_OK)
		abort();
	json_decref(m);
}

static void round_trip(const struct eid_authz_request *req)
{
	struct eid_authz_request back;
	json_t *j = NULL;

	if (eid_authz_request_to_json(req, &j) != EID_OK ||
	    eid_authz_request_from_json(j, &back) != EID_OK ||
	    strcmp(back.scope, req->scope) != 0 ||
	    strcmp(back.code_challenge, req->code_challenge) != 0 ||
	    back.max_age != req->max_age || back.acr_level != req->acr_level)
		abort();
	eid_authz_request_clear(&back);
	json_decref(j);
}

static void device_request(const struct eid_client *c, eid_form *f)
{
	struct eid_authz_request req;
	struct eid_authz_error err = { 0 };
	int r = eid_authz_device_request_parse(c, lookup, f, &req, &err);

	if (r == EID_OK) {
		if (!(req.scopes & 1) || (req.scopes & ~c->scopes) != 0 ||
		    strcmp(req.client_id, c->client_id) != 0 ||
		    req.redirect_uri != NULL)
			abort();
		eid_authz_request_clear(&req);
	} else if (r == EID_EINVAL) {
		if (err.error == NULL || err.description == NULL ||
		    err.redirectable)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eid_client c = { 0 };
	struct eid_authz_request req;
	struct eid_authz_error err = { 0 };
	eid_form *f = NULL;
	int r;

	if (eid_form_parse((const char *)data, size, &f) != EID_OK)
		return 0;
	client(&c);
	device_request(&c, f);
	r = eid_authz_request_parse(&c, false, lookup, f, &req, &err);
	if (r == EID_OK) {
		if (!(req.scopes & 1) || req.code_challenge == NULL)
			abort();
		round_trip(&req);
		eid_authz_request_clear(&req);
	} else if (r == EID_EINVAL) {
		if (err.error == NULL || err.description == NULL ||
		    (err.redirectable && err.redirect_uri == NULL))
			abort();
	}
	eid_client_clear(&c);
	eid_form_free(f);
	return 0;
}
