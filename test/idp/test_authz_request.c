#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/authz_request.h"

#define CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
#define REDIRECT "https://rp.example/cb"

/* A request as name/value pairs; a name may appear twice. */
struct params {
	const char *kv[64];
	size_t n;
};

static int lookup(void *arg, const char *name, const char **ret)
{
	struct params *p = arg;
	const char *found = NULL;

	for (size_t i = 0; i + 1 < p->n; i += 2) {
		if (strcmp(p->kv[i], name) != 0)
			continue;
		if (found != NULL)
			return EID_EINVAL;
		found = p->kv[i + 1];
	}
	if (found == NULL)
		return EID_ENOTFOUND;
	*ret = found;
	return EID_OK;
}

/* The base request, with name set to value (NULL: removed) and extra
 * pairs appended. */
static void build(struct params *p, const char *name, const char *value)
{
	static const char *base[] = {
		"client_id", "rp",
		"redirect_uri", REDIRECT,
		"response_type", "code",
		"scope", "openid profile",
		"state", "st-1",
		"nonce", "n-1",
		"code_challenge", CHALLENGE,
		"code_challenge_method", "S256",
	};

	p->n = 0;
	for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i += 2) {
		if (name != NULL && strcmp(base[i], name) == 0) {
			if (value != NULL) {
				p->kv[p->n++] = base[i];
				p->kv[p->n++] = value;
			}
			name = NULL;
			continue;
		}
		p->kv[p->n++] = base[i];
		p->kv[p->n++] = base[i + 1];
	}
	if (name != NULL) {
		p->kv[p->n++] = name;
		p->kv[p->n++] = value;
	}
}

static void add(struct params *p, const char *name, const char *value)
{
	p->kv[p->n++] = name;
	p->kv[p->n++] = value;
}

static int setup(void **state)
{
	struct eid_client *c = calloc(1, sizeof(*c));
	json_t *m = json_pack("{s:s, s:s, s:[s,s], s:[s], s:s}", "client_id",
			      "rp", "name", "RP", "grant_types",
			      "authorization_code", "refresh_token",
			      "redirect_uris", REDIRECT, "scope",
			      "openid profile citizen offline_access");

	assert_non_null(c);
	assert_int_equal(eid_client_from_json(m, c, NULL), EID_OK);
	json_decref(m);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	eid_client_clear(*state);
	free(*state);
	return 0;
}

static void expect_ok(const struct eid_client *c, struct params *p,
		      struct eid_authz_request *req)
{
	struct eid_authz_error err = { 0 };
	int r = eid_authz_request_parse(c, false, lookup, p, req, &err);

	if (r != EID_OK)
		fail_msg("refused: %s (%s)", err.error, err.description);
}

/* The request is refused with error; redirectable says where it goes. */
static void expect_err(const struct eid_client *c, bool par,
		       struct params *p, const char *error, bool redirectable)
{
	struct eid_authz_request req;
	struct eid_authz_error err = { 0 };

	assert_int_equal(eid_authz_request_parse(c, par, lookup, p, &req, &err),
			 EID_EINVAL);
	assert_string_equal(err.error, error);
	assert_non_null(err.description);
	assert_int_equal(err.redirectable, redirectable);
}

static void test_valid(void **state)
{
	struct eid_authz_request req;
	struct params p;

	build(&p, "max_age", "300");
	add(&p, "acr_values", "urn:eid:loa:2");
	add(&p, "login_hint", "001090012345");
	add(&p, "ui_locales", "en vi");
	add(&p, "prompt", "login consent");
	add(&p, "dpop_jkt", "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
	add(&p, "claims", "{\"userinfo\":{\"name\":{\"essential\":true}},"
			  "\"id_token\":{\"personal_id\":null}}");
	add(&p, "unknown_parameter", "ignored");
	expect_ok(*state, &p, &req);
	assert_string_equal(req.client_id, "rp");
	assert_string_equal(req.redirect_uri, REDIRECT);
	assert_string_equal(req.scope, "openid profile");
	assert_string_equal(req.state, "st-1");
	assert_string_equal(req.nonce, "n-1");
	assert_string_equal(req.code_challenge, CHALLENGE);
	assert_int_equal(req.max_age, 300);
	assert_int_equal(req.acr_level, 2);
	assert_int_equal(req.prompt, EID_PROMPT_LOGIN | EID_PROMPT_CONSENT);
	assert_string_equal(req.login_hint, "001090012345");
	assert_string_equal(req.ui_locales, "en vi");
	assert_non_null(req.claims);
	assert_non_null(req.dpop_jkt);
	assert_false(req.par);
	eid_authz_request_clear(&req);

	/* Optional ones absent. */
	build(&p, "state", NULL);
	expect_ok(*state, &p, &req);
	assert_null(req.state);
	assert_int_equal(req.max_age, -1);
	assert_int_equal(req.acr_level, 0);
	assert_int_equal(req.prompt, 0);
	eid_authz_request_clear(&req);
}

static void test_client_errors_are_not_redirected(void **state)
{
	struct params p;

	build(&p, "client_id", NULL);
	expect_err(*state, false, &p, "invalid_request", false);
	build(&p, "client_id", "other");
	expect_err(*state, false, &p, "invalid_client", false);
	expect_err(NULL, false, &p, "invalid_client", false);
	build(&p, NULL, NULL);
	add(&p, "client_id", "rp");
	expect_err(*state, false, &p, "invalid_request", false);

	build(&p, "redirect_uri", NULL);
	expect_err(*state, false, &p, "invalid_request", false);
	build(&p, "redirect_uri", "https://rp.example/cb/");
	expect_err(*state, false, &p, "invalid_request", false);
	build(&p, "redirect_uri", "https://evil.example/cb");
	expect_err(*state, false, &p, "invalid_request", false);
	build(&p, NULL, NULL);
	add(&p, "redirect_uri", REDIRECT);
	expect_err(*state, false, &p, "invalid_request", false);

	/* A disabled client is unknown. */
	((struct eid_client *)*state)->status = EID_CLIENT_DISABLED;
	build(&p, NULL, NULL);
	expect_err(*state, false, &p, "invalid_client", false);
	((struct eid_client *)*state)->status = EID_CLIENT_ACTIVE;
}

static void test_flow(void **state)
{
	struct eid_client *c = *state;
	struct params p;

	build(&p, "response_type", NULL);
	expect_err(c, false, &p, "invalid_request", true);
	build(&p, "response_type", "token");
	expect_err(c, false, &p, "unsupported_response_type", true);
	build(&p, "response_type", "code id_token");
	expect_err(c, false, &p, "unsupported_response_type", true);
	build(&p, "response_mode", "fragment");
	expect_err(c, false, &p, "invalid_request", true);
	build(&p, "response_mode", "form_post");
	expect_err(c, false, &p, "invalid_request", true);
	build(&p, "request", "eyJhbGciOiJub25lIn0.e30.");
	expect_err(c, false, &p, "request_not_supported", true);
	build(&p, "request_uri", "urn:ietf:params:oauth:request_uri:x");
	expect_err(c, true, &p, "invalid_request", true);

	c->require_par = true;
	build(&p, NULL, NULL);
	expect_err(c, false, &p, "invalid_request", true);
	{
		struct eid_authz_request req;
		struct eid_authz_error err;
		assert_int_equal(eid_authz_request_parse(c, true, lookup, &p,
							 &req, &err), EID_OK);
		assert_true(req.par);
		eid_authz_request_clear(&req);
	}
	c->require_par = false;

	c->grant_types = EID_GRANT_CLIENT_CREDENTIALS;
	expect_err(c, false, &p, "unauthorized_client", true);
	c->grant_types = EID_GRANT_AUTHORIZATION_CODE | EID_GRANT_REFRESH_TOKEN;
}

static void test_scope(void **state)
{
	struct eid_client *c = *state;
	struct eid_authz_request req;
	struct params p;

	build(&p, "scope", NULL);
	expect_err(c, false, &p, "invalid_scope", true);
	build(&p, "scope", "profile");
	expect_err(c, false, &p, "invalid_scope", true);
	build(&p, "scope", "openid email");
	expect_err(c, false, &p, "invalid_scope", true);
	build(&p, "scope", "openid bogus");
	expect_err(c, false, &p, "invalid_scope", true);

	/* Canonical order, duplicates and extra blanks folded. */
	build(&p, "scope", "citizen  openid openid profile");
	expect_ok(c, &p, &req);
	assert_string_equal(req.scope, "openid profile citizen");
	assert_int_equal(req.scopes,
			 EID_SCOPE_OPENID | EID_SCOPE_PROFILE | EID_SCOPE_CITIZEN);
	eid_authz_request_clear(&req);

	/* offline_access is kept for a client that may refresh, dropped for
	 * one that may not (OIDC Core 11). */
	build(&p, "scope", "openid offline_access");
	expect_ok(c, &p, &req);
	assert_string_equal(req.scope, "openid offline_access");
	eid_authz_request_clear(&req);
	c->grant_types = EID_GRANT_AUTHORIZATION_CODE;
	expect_ok(c, &p, &req);
	assert_string_equal(req.scope, "openid");
	eid_authz_request_clear(&req);
	c->grant_types = EID_GRANT_AUTHORIZATION_CODE | EID_GRANT_REFRESH_TOKEN;
}

static void test_pkce(void **state)
{
	struct params p;

	build(&p, "code_challenge", NULL);
	expect_err(*state, false, &p, "invalid_request", true);
	build(&p, "code_challenge_method", NULL);
	expect_err(*state, false, &p, "invalid_request", true);
	build(&p, "code_challenge_method", "plain");
	expect_err(*state, false, &p, "invalid_request", true);
	build(&p, "code_challenge", "short");
	expect_err(*state, false, &p, "invalid_request", true);
}

static void test_prompt_max_age_acr(void **state)
{
	struct eid_authz_request req;
	struct params p;

	build(&p, "prompt", "none");
	expect_ok(*state, &p, &req);
	assert_int_equal(req.prompt, EID_PROMPT_NONE);
	eid_authz_request_clear(&req);
	build(&p, "prompt", "select_account");
	expect_ok(*state, &p, &req);
	assert_int_equal(req.prompt, EID_PROMPT_SELECT_ACCOUNT);
	eid_authz_request_clear(&req);
	build(&p, "prompt", "none login");
	expect_err(*state, false, &p, "invalid_request", true);
	build(&p, "prompt", "consent none");
	expect_err(*state, false, &p, "invalid_request", true);
	build(&p, "prompt", "sometimes");
	expect_err(*state, false, &p, "invalid_request", true);

	build(&p, "max_age", "0");
	expect_ok(*state, &p, &req);
	assert_int_equal(req.max_age, 0);
	eid_authz_request_clear(&req);
	build(&p, "max_age", "-1");
	expect_err(*state, false, &p, "invalid_request", true);
	build(&p, "max_age", "");
	expect_err(*state, false, &p, "invalid_request", true);
	build(&p, "max_age", "1e3");
	expect_err(*state, false, &p, "invalid_request", true);
	build(&p, "max_age", "99999999999");
	expect_err(*state, false, &p, "invalid_request", true);
	build(&p, "max_age", "999999999");
	expect_err(*state, false, &p, "invalid_request", true);

	/* The lowest accepted level is the requirement. */
	build(&p, "acr_values", "urn:eid:loa:2 urn:eid:loa:1");
	expect_ok(*state, &p, &req);
	assert_int_equal(req.acr_level, 1);
	eid_authz_request_clear(&req);
	build(&p, "acr_values", "urn:eid:loa:3");
	expect_err(*state, false, &p, "invalid_request", true);
	build(&p, "acr_values", "urn:eid:loa:2 http://eidas.europa.eu/LoA/high");
	expect_err(*state, false, &p, "invalid_request", true);

	/* An essential acr in the claims request counts as well. */
	build(&p, "claims", "{\"id_token\":{\"acr\":{\"essential\":true,"
			    "\"values\":[\"urn:eid:loa:2\"]}}}");
	expect_ok(*state, &p, &req);
	assert_int_equal(req.acr_level, 2);
	eid_authz_request_clear(&req);
	build(&p, "claims", "{\"id_token\":{\"acr\":{\"essential\":true,"
			    "\"value\":\"urn:other\"}}}");
	expect_err(*state, false, &p, "invalid_request", true);
}

static void test_claims(void **state)
{
	static const char *bad[] = {
		"[]", "not json", "{\"access_token\":{}}",
		"{\"userinfo\":[]}", "{\"userinfo\":{\"name\":1}}",
		"{\"userinfo\":{\"name\":{\"essential\":1}}}",
		"{\"userinfo\":{\"name\":{\"other\":true}}}",
		"{\"userinfo\":{\"name\":{\"values\":[1]}}}",
		"{\"userinfo\":{\"\":null}}",
		"{\"userinfo\":{},\"userinfo\":{}}",
	};
	char big[EID_AUTHZ_CLAIMS_MAX + 64];
	struct params p;
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		build(&p, "claims", bad[i]);
		expect_err(*state, false, &p, "invalid_request", true);
	}
	/* More than the cap of names in one member. */
	n = (size_t)snprintf(big, sizeof(big), "{\"userinfo\":{");
	for (int i = 0; i <= EID_AUTHZ_CLAIMS_NAMES_MAX; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%s\"c%d\":null",
				      i ? "," : "", i);
	snprintf(big + n, sizeof(big) - n, "}}");
	build(&p, "claims", big);
	expect_err(*state, false, &p, "invalid_request", true);
	/* Past the byte cap. */
	memset(big, ' ', sizeof(big) - 1);
	big[0] = '{';
	big[sizeof(big) - 2] = '}';
	big[sizeof(big) - 1] = '\0';
	build(&p, "claims", big);
	expect_err(*state, false, &p, "invalid_request", true);
}

static void test_caps_and_repeats(void **state)
{
	static const char *names[] = {
		"response_type", "scope", "state", "nonce", "code_challenge",
		"code_challenge_method", "prompt", "max_age", "acr_values",
		"login_hint", "ui_locales", "claims", "dpop_jkt", "response_mode",
	};
	char big[5000];
	struct params p;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		build(&p, names[i], "x");
		add(&p, names[i], "y");
		expect_err(*state, false, &p, "invalid_request", true);
		build(&p, names[i], big);
		expect_err(*state, false, &p, "invalid_request", true);
	}
	/* Control characters in echoed text. */
	build(&p, "state", "a\nb");
	expect_err(*state, false, &p, "invalid_request", true);
	build(&p, "nonce", "a\x01");
	expect_err(*state, false, &p, "invalid_request", true);
	build(&p, "dpop_jkt", "not-a-thumbprint");
	expect_err(*state, false, &p, "invalid_request", true);
}

/* The state of a refused request is echoed only when it is usable. */
static void test_error_state(void **state)
{
	struct eid_authz_request req;
	struct eid_authz_error err = { 0 };
	struct params p;

	build(&p, "response_type", "token");
	assert_int_equal(eid_authz_request_parse(*state, false, lookup, &p,
						 &req, &err), EID_EINVAL);
	assert_string_equal(err.state, "st-1");
	build(&p, "state", "bad\n");
	add(&p, "response_type", "x");
	memset(&err, 0, sizeof(err));
	assert_int_equal(eid_authz_request_parse(*state, false, lookup, &p,
						 &req, &err), EID_EINVAL);
	assert_null(err.state);
}

static void test_json_round_trip(void **state)
{
	struct eid_authz_request req, back;
	struct params p;
	json_t *j;
	char *a, *b;

	build(&p, "claims", "{\"userinfo\":{\"name\":null}}");
	add(&p, "max_age", "60");
	add(&p, "acr_values", "urn:eid:loa:1");
	expect_ok(*state, &p, &req);
	assert_int_equal(eid_authz_request_to_json(&req, &j), EID_OK);
	assert_int_equal(eid_authz_request_from_json(j, &back), EID_OK);
	json_decref(j);
	assert_string_equal(back.scope, req.scope);
	assert_string_equal(back.state, req.state);
	assert_null(back.login_hint);
	assert_int_equal(back.max_age, 60);
	assert_int_equal(back.acr_level, 1);
	a = json_dumps(req.claims, JSON_SORT_KEYS);
	b = json_dumps(back.claims, JSON_SORT_KEYS);
	assert_string_equal(a, b);
	free(a);
	free(b);
	eid_authz_request_clear(&req);
	eid_authz_request_clear(&back);

	j = json_pack("{s:s}", "client_id", "rp");
	assert_int_equal(eid_authz_request_from_json(j, &back), EID_EMALFORMED);
	json_decref(j);
}

/* A device's request: scope and acr_values only, by the same rules; its
 * interaction's JSON has a user code and no redirect or PKCE. */
static void test_device_request(void **state)
{
	struct eid_authz_request req, back;
	struct eid_authz_error err = { 0 };
	struct params p = { { "scope", "profile openid", "acr_values",
			      "urn:eid:loa:2" }, 4 };
	json_t *j;

	assert_int_equal(eid_authz_device_request_parse(*state, lookup, &p,
							&req, &err), EID_OK);
	assert_string_equal(req.client_id, "rp");
	assert_string_equal(req.scope, "openid profile");
	assert_int_equal(req.acr_level, 2);
	assert_null(req.redirect_uri);
	assert_non_null(req.user_code = strdup("WDJBMJHT"));
	assert_int_equal(eid_authz_request_to_json(&req, &j), EID_OK);
	assert_int_equal(eid_authz_request_from_json(j, &back), EID_OK);
	json_decref(j);
	assert_string_equal(back.user_code, "WDJBMJHT");
	assert_null(back.redirect_uri);
	assert_null(back.code_challenge);
	eid_authz_request_clear(&req);
	eid_authz_request_clear(&back);

	p = (struct params){ { "scope", "profile" }, 2 };
	assert_int_equal(eid_authz_device_request_parse(*state, lookup, &p,
							&req, &err),
			 EID_EINVAL);
	assert_string_equal(err.error, "invalid_scope");
	assert_false(err.redirectable);
	p = (struct params){ { "scope", "openid email" }, 2 };
	assert_int_equal(eid_authz_device_request_parse(*state, lookup, &p,
							&req, &err),
			 EID_EINVAL);
	assert_string_equal(err.error, "invalid_scope");
	p = (struct params){ { "scope", "openid", "acr_values", "urn:x" }, 4 };
	assert_int_equal(eid_authz_device_request_parse(*state, lookup, &p,
							&req, &err),
			 EID_EINVAL);
	p = (struct params){ { "acr_values", "urn:eid:loa:1" }, 2 };
	assert_int_equal(eid_authz_device_request_parse(*state, lookup, &p,
							&req, &err),
			 EID_EINVAL);
	assert_string_equal(err.error, "invalid_scope");
}

static void test_json_lookup(void **state)
{
	json_t *o = json_pack("{s:s, s:i, s:s#}", "a", "x", "b", 1, "c",
			      "n\0ul", (size_t)4);
	const char *v;

	assert_int_equal(eid_authz_param_json(o, "a", &v), EID_OK);
	assert_string_equal(v, "x");
	assert_int_equal(eid_authz_param_json(o, "b", &v), EID_EINVAL);
	assert_int_equal(eid_authz_param_json(o, "c", &v), EID_EINVAL);
	assert_int_equal(eid_authz_param_json(o, "d", &v), EID_ENOTFOUND);
	json_decref(o);
	assert_string_equal(eid_acr_for_level(1), EID_ACR_LOA1);
	assert_string_equal(eid_acr_for_level(2), EID_ACR_LOA2);
	assert_null(eid_acr_for_level(3));
}

/* What /par keeps: the known parameters, not the others, and a pushed
 * request parses again to the same request. */
static void test_params_collect(void **state)
{
	const struct eid_client *c = *state;
	struct eid_authz_request a = { 0 }, b = { 0 };
	struct eid_authz_error err = { 0 };
	struct params p;
	json_t *o = NULL;

	build(&p, "acr_values", "urn:eid:loa:2");
	add(&p, "client_secret", "not kept");
	add(&p, "unknown", "ignored");
	assert_int_equal(eid_authz_request_parse(c, true, lookup, &p, &a, &err),
			 EID_OK);
	assert_int_equal(eid_authz_params_collect(lookup, &p, &o), EID_OK);
	assert_null(json_object_get(o, "client_secret"));
	assert_null(json_object_get(o, "unknown"));
	assert_string_equal(json_string_value(json_object_get(o, "scope")),
			    "openid profile");
	assert_int_equal(eid_authz_request_parse(c, true, eid_authz_param_json,
						 o, &b, &err), EID_OK);
	assert_string_equal(a.scope, b.scope);
	assert_string_equal(a.code_challenge, b.code_challenge);
	assert_int_equal(b.acr_level, 2);
	assert_true(b.par);
	json_decref(o);
	eid_authz_request_clear(&a);
	eid_authz_request_clear(&b);

	/* Repeated, or not UTF-8: refused. */
	build(&p, NULL, NULL);
	add(&p, "state", "again");
	assert_int_equal(eid_authz_params_collect(lookup, &p, &o), EID_EINVAL);
	build(&p, "nonce", "\xff\xfe");
	assert_int_equal(eid_authz_params_collect(lookup, &p, &o), EID_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_client_errors_are_not_redirected),
		cmocka_unit_test(test_flow),
		cmocka_unit_test(test_scope),
		cmocka_unit_test(test_pkce),
		cmocka_unit_test(test_prompt_max_age_acr),
		cmocka_unit_test(test_claims),
		cmocka_unit_test(test_caps_and_repeats),
		cmocka_unit_test(test_error_state),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_device_request),
		cmocka_unit_test(test_json_lookup),
		cmocka_unit_test(test_params_collect),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
