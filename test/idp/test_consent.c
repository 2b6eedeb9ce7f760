#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/audit.h"
#include "idp/clients.h"
#include "idp/consent.h"
#include "tmpstore.h"

#define PID "001090012345"
#define T0 TMPSTORE_NOW

static bool covered(eid_store *s, const char *client, unsigned scopes,
		    const char *claims_json)
{
	json_t *claims = claims_json ? json_loads(claims_json, 0, NULL) : NULL;
	bool c = true;

	assert_int_equal(eid_consent_check(s, PID, client, scopes, claims, &c),
			 EID_OK);
	json_decref(claims);
	return c;
}

static void grant(eid_store *s, const char *client, unsigned scopes,
		  const char *claims_json)
{
	json_t *claims = claims_json ? json_loads(claims_json, 0, NULL) : NULL;

	assert_int_equal(eid_consent_grant(s, PID, client, scopes, claims,
					   "127.0.0.1", T0), EID_OK);
	json_decref(claims);
}

static void test_remembered_per_client_and_scope(void **state)
{
	eid_store *s = ((struct tmpstore *)*state)->store;
	unsigned op = EID_SCOPE_OPENID | EID_SCOPE_PROFILE;

	assert_false(covered(s, "rp", op, NULL));
	grant(s, "rp", op, NULL);
	assert_true(covered(s, "rp", op, NULL));
	assert_true(covered(s, "rp", EID_SCOPE_OPENID, NULL));
	assert_false(covered(s, "rp", op | EID_SCOPE_CITIZEN, NULL));
	assert_false(covered(s, "other", op, NULL));
	/* A wider consent keeps the old one. */
	grant(s, "rp", EID_SCOPE_OPENID | EID_SCOPE_CITIZEN, NULL);
	assert_true(covered(s, "rp", op | EID_SCOPE_CITIZEN, NULL));
}

static void test_claims_request(void **state)
{
	eid_store *s = ((struct tmpstore *)*state)->store;
	const char *c1 = "{\"userinfo\":{\"personal_id\":null}}";
	const char *c2 = "{\"id_token\":{\"email\":{\"essential\":true}},"
			 "\"userinfo\":{\"personal_id\":null}}";

	grant(s, "rp", EID_SCOPE_OPENID, c1);
	assert_true(covered(s, "rp", EID_SCOPE_OPENID, c1));
	assert_true(covered(s, "rp", EID_SCOPE_OPENID, NULL));
	assert_false(covered(s, "rp", EID_SCOPE_OPENID, c2));
	grant(s, "rp", EID_SCOPE_OPENID, c2);
	assert_true(covered(s, "rp", EID_SCOPE_OPENID, c2));
	assert_true(covered(s, "rp", EID_SCOPE_OPENID, c1));
}

static void test_claim_names(void **state)
{
	json_t *req = json_loads("{\"userinfo\":{\"b\":null,\"a\":null},"
				 "\"id_token\":{\"a\":null,\"c\":null}}", 0,
				 NULL);
	json_t *names = NULL;
	char *text;

	assert_int_equal(eid_consent_claim_names(req, &names), EID_OK);
	text = json_dumps(names, JSON_COMPACT);
	assert_string_equal(text, "[\"a\",\"b\",\"c\"]");
	free(text);
	json_decref(names);
	json_decref(req);
	assert_int_equal(eid_consent_claim_names(NULL, &names), EID_OK);
	assert_int_equal(json_array_size(names), 0);
	json_decref(names);
}

struct seen {
	int n;
	char client[32];
	unsigned scopes;
};

static int visit(const char *client_id, unsigned scopes, const json_t *claims,
		 int64_t at, void *arg)
{
	struct seen *v = arg;

	(void)claims;
	assert_int_equal(at, T0);
	v->n++;
	snprintf(v->client, sizeof(v->client), "%s", client_id);
	v->scopes = scopes;
	return EID_OK;
}

static int audit_count(json_t *e, void *arg)
{
	const char *type = json_string_value(json_object_get(e, "type"));

	if (strncmp(type, "consent.", 8) == 0)
		(*(int *)arg)++;
	return EID_OK;
}

static void test_list_revoke_audit(void **state)
{
	eid_store *s = ((struct tmpstore *)*state)->store;
	struct seen v = { 0 };
	eid_txn *t;
	int events = 0;

	grant(s, "rp-b", EID_SCOPE_OPENID, NULL);
	assert_int_equal(eid_consent_list(s, PID, visit, &v), EID_OK);
	assert_int_equal(v.n, 1);
	assert_string_equal(v.client, "rp-b");
	assert_int_equal(v.scopes, EID_SCOPE_OPENID);

	assert_int_equal(eid_consent_revoke(s, PID, "rp-b", "citizen:" PID, T0),
			 EID_OK);
	assert_false(covered(s, "rp-b", EID_SCOPE_OPENID, NULL));
	assert_int_equal(eid_consent_revoke(s, PID, "rp-b", "citizen:" PID, T0),
			 EID_ENOTFOUND);
	memset(&v, 0, sizeof(v));
	assert_int_equal(eid_consent_list(s, PID, visit, &v), EID_OK);
	assert_int_equal(v.n, 0);

	assert_int_equal(eid_store_begin(s, false, &t), EID_OK);
	assert_int_equal(eid_audit_scan(t, 0, 0, audit_count, &events), EID_OK);
	eid_txn_abort(t);
	assert_int_equal(events, 2); /* consent.grant, consent.revoke */
}

static void test_bad_arguments(void **state)
{
	eid_store *s = ((struct tmpstore *)*state)->store;
	bool c;

	assert_int_equal(eid_consent_check(s, "123", "rp", 1, NULL, &c),
			 EID_EINVAL);
	assert_int_equal(eid_consent_check(s, PID, "", 1, NULL, &c),
			 EID_EINVAL);
	assert_int_equal(eid_consent_grant(s, PID, NULL, 1, NULL, NULL, T0),
			 EID_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_remembered_per_client_and_scope,
						tmpstore_setup, tmpstore_teardown),
		cmocka_unit_test_setup_teardown(test_claims_request,
						tmpstore_setup, tmpstore_teardown),
		cmocka_unit_test(test_claim_names),
		cmocka_unit_test_setup_teardown(test_list_revoke_audit,
						tmpstore_setup, tmpstore_teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments,
						tmpstore_setup, tmpstore_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
