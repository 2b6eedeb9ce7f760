/* The backchannel authentication request checks on arbitrary form bodies
 * (parsed as POST /bc-authorize parses them) for a fixed CIBA client, in
 * poll and in ping mode: whatever is accepted must hold a known scope
 * with openid, a personal ID or nothing (id_token_hint), a binding
 * message of at most 64 characters, a lifetime within bounds, and in
 * ping mode only a notification token of 1 to 1024 bearer-token
 * characters (it goes into an Authorization header); a refusal must name
 * an error. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/form.h"
#include "crypto/error.h"
#include "idp/ciba.h"
#include "idp/claims.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *param(eid_form *f, const char *name)
{
	const char *v = NULL;

	return eid_form_get(f, name, &v) == EID_OK ? v : NULL;
}

static void check_token(const struct eid_ciba_request *q, bool ping)
{
	size_t n = strlen(q->notify_token);

	if (!ping) {
		if (n != 0)
			abort();
		return;
	}
	if (n == 0 || n > EID_CIBA_NOTIFY_TOKEN_MAX ||
	    strcspn(q->notify_token, " \t\r\n\",\\") != n)
		abort();
}

static void check_accepted(const struct eid_ciba_request *q, uint64_t ttl,
			   bool ping)
{
	unsigned bits = 0;
	size_t chars = 0;

	check_token(q, ping);
	if (eid_claims_scope_bits(q->scope, &bits) != EID_OK ||
	    !(bits & EID_SCOPE_OPENID) || ttl == 0 || ttl > EID_CIBA_TTL_MAX ||
	    (q->personal_id[0] != '\0' && strlen(q->personal_id) != 12) ||
	    q->acr_level < 0 || q->acr_level > 2)
		abort();
	for (const char *p = q->binding_message; *p != '\0'; p++)
		if (((unsigned char)*p & 0xc0) != 0x80)
			chars++;
	if (chars > EID_CIBA_BINDING_MAX)
		abort();
}

static void check(const struct eid_ciba_params *p, bool ping)
{
	struct eid_client c = { 0 };
	struct eid_ciba_request q;
	struct eid_oauth_error err = { 0 };
	uint64_t ttl = 0;
	int r;

	strcpy(c.client_id, "bank");
	strcpy(c.name, "Bank");
	c.grant_types = EID_GRANT_CIBA;
	c.auth_method = EID_AUTH_CLIENT_SECRET_BASIC;
	c.scopes = EID_SCOPE_OPENID | EID_SCOPE_PROFILE | EID_SCOPE_PHONE;
	c.ciba_delivery = ping ? EID_CIBA_DELIVERY_PING : EID_CIBA_DELIVERY_POLL;
	r = eid_ciba_request_check(&c, p, &q, &ttl, &err);
	if (r == EID_OK)
		check_accepted(&q, ttl, ping);
	else if (r != EID_EINVAL || err.error == NULL ||
		 err.description == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eid_ciba_params p;
	eid_form *f = NULL;

	if (eid_form_parse((const char *)data, size, &f) != EID_OK)
		return 0;
	p = (struct eid_ciba_params){
		.scope = param(f, "scope"),
		.login_hint = param(f, "login_hint"),
		.id_token_hint = param(f, "id_token_hint"),
		.login_hint_token = param(f, "login_hint_token"),
		.binding_message = param(f, "binding_message"),
		.acr_values = param(f, "acr_values"),
		.requested_expiry = param(f, "requested_expiry"),
		.client_notification_token =
			param(f, "client_notification_token"),
	};
	check(&p, false);
	check(&p, true);
	eid_form_free(f);
	return 0;
}
