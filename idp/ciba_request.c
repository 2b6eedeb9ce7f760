/* The checks of a backchannel authentication request (CIBA Core 7.1,
 * errors 13): everything that depends on the parameters and the client
 * alone.  Who the hint names is the caller's (it needs the store). */
#include "idp/ciba.h"

#include <string.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/authz_request.h"
#include "idp/citizen.h"
#include "idp/claims.h"
#include "idp/personal_id.h"

#define ACR_VALUES_MAX 256

static int fail(struct eid_oauth_error *err, const char *error,
		const char *description)
{
	return eid_oauth_fail(err, error, description, EID_EINVAL);
}

static int check_client(const struct eid_client *c,
			struct eid_oauth_error *err)
{
	if (!(c->grant_types & EID_GRANT_CIBA) ||
	    c->auth_method == EID_AUTH_NONE)
		return fail(err, "unauthorized_client",
			    "the client may not use CIBA");
	return EID_OK;
}

static int check_scope(const struct eid_client *c, const char *scope,
		       struct eid_ciba_request *ret,
		       struct eid_oauth_error *err)
{
	unsigned bits = 0;

	if (scope == NULL)
		return fail(err, "invalid_request", "scope is required");
	if (eid_claims_scope_bits(scope, &bits) != EID_OK ||
	    !(bits & EID_SCOPE_OPENID))
		return fail(err, "invalid_scope",
			    "scope must hold openid and only scopes we know");
	if ((bits & ~c->scopes) != 0)
		return fail(err, "invalid_scope",
			    "scope holds a scope this client may not ask for");
	return eid_claims_scope_string(bits, ret->scope);
}

/* Exactly one hint; login_hint must be a personal ID number. */
static int check_hint(const struct eid_ciba_params *p,
		      struct eid_ciba_request *ret,
		      struct eid_oauth_error *err)
{
	struct eid_personal_id pid;
	int n = (p->login_hint != NULL) + (p->id_token_hint != NULL) +
		(p->login_hint_token != NULL);

	if (n != 1)
		return fail(err, "invalid_request",
			    "exactly one of login_hint, id_token_hint and "
			    "login_hint_token is required");
	if (p->login_hint_token != NULL)
		return fail(err, "invalid_request",
			    "login_hint_token is not supported: send "
			    "login_hint or id_token_hint");
	if (p->login_hint == NULL)
		return EID_OK;
	if (eid_personal_id_parse(p->login_hint, &pid) != EID_OK)
		return fail(err, "unknown_user_id",
			    "login_hint must be a 12-digit personal ID "
			    "number");
	memcpy(ret->personal_id, p->login_hint, 13);
	return EID_OK;
}

/* Shown on the phone: at most EID_CIBA_BINDING_MAX printable characters
 * of UTF-8 (Vietnamese text needs more than ASCII). */
static int check_binding(const char *m, struct eid_ciba_request *ret,
			 struct eid_oauth_error *err)
{
	size_t n, chars = 0;

	if (m == NULL)
		return EID_OK;
	n = strnlen(m, sizeof(ret->binding_message));
	if (n == 0 || n >= sizeof(ret->binding_message))
		return fail(err, "invalid_binding_message",
			    "binding_message must be 1 to 64 characters");
	if (eid_text_problem(m, n) != NULL)
		return fail(err, "invalid_binding_message",
			    "binding_message must be printable UTF-8");
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)m[i] & 0xc0) != 0x80)
			chars++; /* a lead byte: one character */
	if (chars > EID_CIBA_BINDING_MAX)
		return fail(err, "invalid_binding_message",
			    "binding_message must be 1 to 64 characters");
	memcpy(ret->binding_message, m, n + 1);
	return EID_OK;
}

/* acr_values: the lowest listed level is what the RP requires; a value
 * we do not know is refused rather than skipped. */
static int check_acr(const char *v, struct eid_ciba_request *ret,
		     struct eid_oauth_error *err)
{
	size_t n, i = 0, k;
	int lowest = 0, l;

	if (v == NULL)
		return EID_OK;
	if ((n = strnlen(v, ACR_VALUES_MAX + 1)) > ACR_VALUES_MAX || n == 0)
		return fail(err, "invalid_request", "acr_values is too long");
	while (i < n) {
		k = strcspn(v + i, " ");
		if (k == 0 || (l = eid_acr_level_of(v + i, k)) == 0)
			return fail(err, "invalid_request",
				    "acr_values holds an unsupported value");
		if (lowest == 0 || l < lowest)
			lowest = l;
		i += k;
		if (i < n && ++i == n)
			return fail(err, "invalid_request",
				    "acr_values holds an unsupported value");
	}
	ret->acr_level = lowest;
	return EID_OK;
}

/* client_notification_token (7.1): required of a ping-mode client, at
 * most 1024 characters of an RFC 6750 (2.1) b64token, since it goes
 * back in our Authorization header.  A poll-mode client has no use for
 * one: it is ignored, as an unknown parameter would be. */
static int check_notify_token(const struct eid_client *c, const char *v,
			      struct eid_ciba_request *ret,
			      struct eid_oauth_error *err)
{
	static const char b64token[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcdefghijklmnopqrstuvwxyz"
				       "0123456789-._~+/";
	size_t n, k;

	if (c->ciba_delivery != EID_CIBA_DELIVERY_PING)
		return EID_OK;
	if (v == NULL)
		return fail(err, "invalid_request",
			    "client_notification_token is required in ping "
			    "mode");
	n = strnlen(v, EID_CIBA_NOTIFY_TOKEN_MAX + 1);
	k = strspn(v, b64token);
	if (k == 0 || n > EID_CIBA_NOTIFY_TOKEN_MAX ||
	    strspn(v + k, "=") != n - k)
		return fail(err, "invalid_request",
			    "client_notification_token must be 1 to 1024 "
			    "characters of an RFC 6750 bearer token");
	memcpy(ret->notify_token, v, n + 1);
	return EID_OK;
}

/* requested_expiry: a positive number of seconds; more than the most
 * we keep a request gets that most (expires_in tells the client). */
static int check_expiry(const char *v, uint64_t *ret_ttl,
			struct eid_oauth_error *err)
{
	uint64_t t = 0;
	size_t i;

	*ret_ttl = EID_CIBA_TTL;
	if (v == NULL)
		return EID_OK;
	for (i = 0; v[i] != '\0'; i++) {
		if (v[i] < '0' || v[i] > '9' || i >= 9)
			return fail(err, "invalid_request",
				    "requested_expiry must be a positive "
				    "integer");
		t = t * 10 + (uint64_t)(v[i] - '0');
	}
	if (t == 0)
		return fail(err, "invalid_request",
			    "requested_expiry must be a positive integer");
	*ret_ttl = t < EID_CIBA_TTL_MAX ? t : EID_CIBA_TTL_MAX;
	return EID_OK;
}

int eid_ciba_request_check(const struct eid_client *c,
			   const struct eid_ciba_params *p,
			   struct eid_ciba_request *ret, uint64_t *ret_ttl,
			   struct eid_oauth_error *err)
{
	struct eid_ciba_request q = { 0 };
	uint64_t ttl = 0;
	int r;

	if ((r = check_client(c, err)) != EID_OK ||
	    (r = check_scope(c, p->scope, &q, err)) != EID_OK ||
	    (r = check_hint(p, &q, err)) != EID_OK ||
	    (r = check_binding(p->binding_message, &q, err)) != EID_OK ||
	    (r = check_acr(p->acr_values, &q, err)) != EID_OK ||
	    (r = check_expiry(p->requested_expiry, &ttl, err)) != EID_OK ||
	    (r = check_notify_token(c, p->client_notification_token, &q,
				    err)) != EID_OK)
		goto out;
	memcpy(q.client_id, c->client_id, sizeof(q.client_id));
	memcpy(q.client_name, c->name, sizeof(q.client_name));
	*ret = q;
	*ret_ttl = ttl;
out:
	eid_wipe(q.notify_token, sizeof(q.notify_token));
	return r;
}
