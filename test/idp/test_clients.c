/* Clients: every registration rule with its exact error and reason, exact
 * redirect matching, secrets, the store operations with their audit
 * events, the storage form, and subjects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "crypto/keys.h"
#include "crypto/secret.h"
#include "idp/audit.h"
#include "idp/clients.h"
#include "idp/subject.h"
#include "jwks_fixture.h"
#include "tmpstore.h"

#define BASE "{\"client_id\":\"rp1\",\"name\":\"D\xe1\xbb\x8b" \
	     "ch v\xe1\xbb\xa5 c\xc3\xb4ng\"," \
	     "\"redirect_uris\":[\"https://rp.example/cb\"]}"

/* BASE with the members of extra (JSON text) laid over it. */
static json_t *meta(const char *extra)
{
	json_t *o = json_loads(BASE, 0, NULL);
	json_t *x = extra ? json_loads(extra, 0, NULL) : json_object();

	assert_non_null(o);
	assert_non_null(x);
	assert_int_equal(json_object_update(o, x), 0);
	json_decref(x);
	return o;
}

/* eid_client_from_json on BASE+extra must fail with r and exactly why. */
static void refused(const char *extra, int r, const char *why)
{
	struct eid_client c;
	json_t *m = meta(extra);
	eid_buf b;

	eid_buf_init(&b, 1024);
	if (eid_client_from_json(m, &c, &b) != r)
		fail_msg("%s: not %s (%s)", extra, eid_errname(r),
			 eid_buf_cstr(&b));
	assert_string_equal(eid_buf_cstr(&b), why);
	eid_buf_free(&b);
	json_decref(m);
}

static void accepted(const char *extra)
{
	struct eid_client c;
	json_t *m = meta(extra);
	eid_buf b;

	eid_buf_init(&b, 1024);
	if (eid_client_from_json(m, &c, &b) != EID_OK)
		fail_msg("refused %s: %s", extra, eid_buf_cstr(&b));
	eid_client_clear(&c);
	eid_buf_free(&b);
	json_decref(m);
}

static void test_defaults(void **state)
{
	struct eid_client c;
	json_t *m = meta(NULL);

	assert_int_equal(eid_client_from_json(m, &c, NULL), EID_OK);
	assert_string_equal(c.client_id, "rp1");
	assert_int_equal(c.grant_types, EID_GRANT_AUTHORIZATION_CODE);
	assert_int_equal(c.auth_method, EID_AUTH_CLIENT_SECRET_BASIC);
	assert_int_equal(c.scopes, EID_SCOPE_OPENID);
	assert_int_equal(c.subject_type, EID_SUBJECT_PUBLIC);
	assert_int_equal(c.id_token_alg, EID_ALG_ES256);
	assert_false(c.require_par);
	assert_int_equal(c.access_token_ttl, 0);
	eid_client_clear(&c);
	json_decref(m);
}

static void test_client_id(void **state)
{
	static const char why[] =
		"client_id must be 1-128 characters of A-Z a-z 0-9 . _ ~ -";
	char extra[300], id[130];

	refused("{\"client_id\":\"\"}", EID_EMALFORMED, why);
	refused("{\"client_id\":\"a b\"}", EID_EMALFORMED, why);
	refused("{\"client_id\":\"a/b\"}", EID_EMALFORMED, why);
	refused("{\"client_id\":\"r\\u00e9\"}", EID_EMALFORMED, why);
	refused("{\"client_id\":7}", EID_EMALFORMED, why);
	memset(id, 'a', 129);
	id[129] = '\0';
	snprintf(extra, sizeof(extra), "{\"client_id\":\"%s\"}", id);
	refused(extra, EID_EMALFORMED, why);
	id[128] = '\0';
	snprintf(extra, sizeof(extra), "{\"client_id\":\"%s\"}", id);
	accepted(extra);
	accepted("{\"client_id\":\"A-z.0_9~\"}");
	refused("{\"client_id\":null}", EID_EINVAL,
		"client_id and name are required");
}

static void test_name(void **state)
{
	char extra[200], name[102];

	refused("{\"name\":\"\"}", EID_EMALFORMED,
		"name must be 1-100 bytes of UTF-8");
	refused("{\"name\":\"a\\nb\"}", EID_EMALFORMED,
		"name has control characters");
	memset(name, 'n', 101);
	name[101] = '\0';
	snprintf(extra, sizeof(extra), "{\"name\":\"%s\"}", name);
	refused(extra, EID_EMALFORMED, "name must be 1-100 bytes of UTF-8");
	name[100] = '\0';
	snprintf(extra, sizeof(extra), "{\"name\":\"%s\"}", name);
	accepted(extra);
}

static void test_enums(void **state)
{
	refused("{\"grant_types\":[\"implicit\"]}", EID_EUNSUPPORTED,
		"grant_types: unknown grant 'implicit'");
	refused("{\"grant_types\":[]}", EID_EMALFORMED,
		"grant_types must be a non-empty array");
	refused("{\"grant_types\":[1]}", EID_EMALFORMED,
		"grant_types[0] is not a string");
	refused("{\"token_endpoint_auth_method\":\"tls_client_auth\"}",
		EID_EUNSUPPORTED, "token_endpoint_auth_method: unknown value "
		"'tls_client_auth'");
	refused("{\"subject_type\":\"random\"}", EID_EUNSUPPORTED,
		"subject_type: unknown value 'random'");
	refused("{\"scope\":\"openid admin\"}", EID_EUNSUPPORTED,
		"scope: unknown scope 'admin'");
	refused("{\"scope\":\" \"}", EID_EMALFORMED, "scope is empty");
	accepted("{\"scope\":\"openid profile phone email address citizen "
		 "offline_access sign\"}");
	refused("{\"id_token_signed_response_alg\":\"HS256\"}",
		EID_EUNSUPPORTED, "id_token_signed_response_alg must be "
		"ES256, RS256 or PS256");
	refused("{\"id_token_signed_response_alg\":\"ES384\"}",
		EID_EUNSUPPORTED, "id_token_signed_response_alg must be "
		"ES256, RS256 or PS256");
	accepted("{\"id_token_signed_response_alg\":\"PS256\"}");
	refused("{\"require_par\":\"yes\"}", EID_EMALFORMED,
		"require_par is not a boolean");
	refused("{\"require_dpop\":1}", EID_EMALFORMED,
		"require_dpop is not a boolean");
	refused("{\"colour\":\"red\"}", EID_EINVAL, "unknown member 'colour'");
	refused("{\"secret_hash\":\"x\"}", EID_EINVAL,
		"unknown member 'secret_hash'");
}

static void test_lifetimes(void **state)
{
	refused("{\"access_token_ttl\":0}", EID_EMALFORMED,
		"access_token_ttl must be 1-86400 seconds");
	refused("{\"access_token_ttl\":86401}", EID_EMALFORMED,
		"access_token_ttl must be 1-86400 seconds");
	refused("{\"id_token_ttl\":\"60\"}", EID_EMALFORMED,
		"id_token_ttl must be 1-86400 seconds");
	refused("{\"refresh_token_ttl\":31536001}", EID_EMALFORMED,
		"refresh_token_ttl must be 1-31536000 seconds");
	accepted("{\"access_token_ttl\":60,\"refresh_token_ttl\":31536000,"
		 "\"id_token_ttl\":86400}");
}

static void redirect_refused(const char *uri, const char *reason)
{
	char extra[600], why[300];

	snprintf(extra, sizeof(extra), "{\"redirect_uris\":[\"%s\"]}", uri);
	snprintf(why, sizeof(why), "redirect_uris[0] %s", reason);
	refused(extra, EID_EMALFORMED, why);
}

static void test_redirect_rules(void **state)
{
	static const char *const ok[] = {
		"https://rp.example/cb", "https://rp.example:8443/cb?x=1",
		"http://127.0.0.1:8080/cb", "http://[::1]/cb",
		"http://localhost/cb", "vn.gov.app:/callback",
	};
	char extra[300];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(extra, sizeof(extra), "{\"redirect_uris\":[\"%s\"]}",
			 ok[i]);
		accepted(extra);
	}
	redirect_refused("http://rp.example/cb", "uses http on a host that "
			 "is not loopback (127.0.0.1, [::1], localhost)");
	redirect_refused("http://127.0.0.2/cb", "uses http on a host that "
			 "is not loopback (127.0.0.1, [::1], localhost)");
	redirect_refused("https://rp.example/cb#top", "has a fragment");
	redirect_refused("https://rp.example/cb#", "has a fragment");
	redirect_refused("rp.example/cb", "is not an absolute URI");
	redirect_refused("/cb", "is not an absolute URI");
	redirect_refused("", "is empty");
	redirect_refused("https://rp.example/a b",
			 "has spaces, control or non-ASCII characters");
	redirect_refused("https://user:pw@rp.example/cb",
			 "has a user name or password");
	redirect_refused("myapp:/cb", "uses a scheme other than https that "
			 "is not a reverse domain name (RFC 8252)");
	redirect_refused("javascript:alert(1)", "uses a scheme other than "
			 "https that is not a reverse domain name (RFC 8252)");
	redirect_refused("HTTPS://rp.example/cb", "has a scheme that is not "
			 "lower-case letters, digits, '+', '-', '.'");
	redirect_refused("vn.gov.app://callback",
			 "of a native app must be SCHEME:/PATH");
	redirect_refused("https:///cb", "has no host");
	redirect_refused("https://", "is not a valid URL");
	refused("{\"redirect_uris\":[]}", EID_EINVAL,
		"authorization_code needs at least one redirect URI");
	refused("{\"redirect_uris\":\"https://rp.example/cb\"}",
		EID_EMALFORMED,
		"redirect_uris must be an array of at most 32 URIs");
	refused("{\"post_logout_redirect_uris\":[\"https://rp.example/#x\"]}",
		EID_EMALFORMED, "post_logout_redirect_uris[0] has a fragment");
	refused("{\"backchannel_logout_uri\":\"http://rp.example/bc\"}",
		EID_EMALFORMED, "backchannel_logout_uri uses http on a host "
		"that is not loopback (127.0.0.1, [::1], localhost)");
	refused("{\"backchannel_logout_uri\":\"vn.gov.app:/bc\"}",
		EID_EMALFORMED, "backchannel_logout_uri is not an https URL");
	refused("{\"jwks_uri\":\"http://rp.example/jwks\"}", EID_EMALFORMED,
		"jwks_uri uses http on a host that is not loopback "
		"(127.0.0.1, [::1], localhost)");
	accepted("{\"backchannel_logout_uri\":\"http://127.0.0.1:9/bc\"}");
}

static void test_redirect_exact(void **state)
{
	struct eid_client c;
	json_t *m = meta("{\"redirect_uris\":[\"https://rp.example/cb\","
			 "\"https://rp.example/cb2?a=1\"],"
			 "\"post_logout_redirect_uris\":"
			 "[\"https://rp.example/bye\"]}");

	assert_int_equal(eid_client_from_json(m, &c, NULL), EID_OK);
	assert_true(eid_client_redirect_allowed(&c, "https://rp.example/cb"));
	assert_true(eid_client_redirect_allowed(&c,
						"https://rp.example/cb2?a=1"));
	assert_false(eid_client_redirect_allowed(&c, "https://rp.example/cb/"));
	assert_false(eid_client_redirect_allowed(&c, "https://RP.example/cb"));
	assert_false(eid_client_redirect_allowed(&c, "https://rp.example/CB"));
	assert_false(eid_client_redirect_allowed(&c,
						 "https://rp.example/cb?x=1"));
	assert_false(eid_client_redirect_allowed(&c,
						 "https://rp.example/cb2"));
	assert_false(eid_client_redirect_allowed(&c,
						 "https://rp.example:443/cb"));
	assert_false(eid_client_redirect_allowed(&c, "http://rp.example/cb"));
	assert_false(eid_client_redirect_allowed(&c, NULL));
	assert_false(eid_client_redirect_allowed(&c, "https://rp.example/bye"));
	assert_true(eid_client_post_logout_allowed(&c,
						   "https://rp.example/bye"));
	assert_false(eid_client_post_logout_allowed(&c,
						    "https://rp.example/cb"));
	eid_client_clear(&c);
	json_decref(m);
}

static void jwks_case(const char *jwks, int r, const char *why)
{
	char extra[4096];

	snprintf(extra, sizeof(extra),
		 "{\"token_endpoint_auth_method\":\"private_key_jwt\","
		 "\"jwks\":%s}", jwks);
	if (r == EID_OK)
		accepted(extra);
	else
		refused(extra, r, why);
}

static void test_cross_rules(void **state)
{
	char *good = jwks_fixture_one_key(NULL, NULL, false);
	char *priv = jwks_fixture_one_key(NULL, NULL, true);
	char *enc = jwks_fixture_one_key(NULL, "enc", false), extra[4096];

	refused("{\"token_endpoint_auth_method\":\"none\","
		"\"grant_types\":[\"authorization_code\","
		"\"client_credentials\"]}", EID_EINVAL,
		"a public client (auth method none) cannot use "
		"client_credentials");
	refused("{\"token_endpoint_auth_method\":\"private_key_jwt\"}",
		EID_EINVAL, "private_key_jwt needs jwks or jwks_uri");
	snprintf(extra, sizeof(extra), "{\"jwks\":%s,\"jwks_uri\":"
		 "\"https://rp.example/jwks\"}", good);
	refused(extra, EID_EINVAL, "jwks and jwks_uri exclude each other");
	refused("{\"grant_types\":[\"refresh_token\"]}", EID_EINVAL,
		"refresh_token needs authorization_code, CIBA or the "
		"device_code grant");
	refused("{\"token_endpoint_auth_method\":\"none\","
		"\"grant_types\":[\"authorization_code\","
		"\"urn:openid:params:grant-type:ciba\"]}", EID_EINVAL,
		"a public client (auth method none) cannot use CIBA");
	accepted("{\"grant_types\":[\"urn:openid:params:grant-type:ciba\","
		 "\"refresh_token\"],\"redirect_uris\":[]}");
	/* A TV: the device grant alone needs no redirect URI. */
	accepted("{\"token_endpoint_auth_method\":\"none\","
		 "\"grant_types\":[\"" EID_GRANT_TYPE_DEVICE_CODE "\","
		 "\"refresh_token\"],\"redirect_uris\":[]}");
	accepted("{\"grant_types\":[\"client_credentials\"],"
		 "\"redirect_uris\":[]}");
	accepted("{\"token_endpoint_auth_method\":\"private_key_jwt\","
		 "\"jwks_uri\":\"https://rp.example/jwks\"}");
	jwks_case(good, EID_OK, NULL);
	jwks_case(priv, EID_EINVAL, "jwks: key 0 has private key members");
	jwks_case(enc, EID_EMALFORMED, "jwks: has no signature key");
	jwks_case("{\"keys\":[{\"kty\":\"EC\"}]}", EID_EMALFORMED,
		  "jwks: key 0 is malformed");
	jwks_case("[1]", EID_EMALFORMED,
		  "jwks: is not a JWK Set ({\"keys\":[...]})");
	{
		struct eid_client c;
		json_t *a = json_array();
		eid_buf b;

		eid_buf_init(&b, 256);
		assert_int_equal(eid_client_from_json(a, &c, &b),
				 EID_EMALFORMED);
		assert_string_equal(eid_buf_cstr(&b),
				    "client metadata is not a JSON object");
		eid_buf_free(&b);
		json_decref(a);
	}
	free(good);
	free(priv);
	free(enc);
}

static void test_sector(void **state)
{
	struct eid_client c;
	json_t *m;

	m = meta("{\"subject_type\":\"pairwise\",\"redirect_uris\":"
		 "[\"https://RP.example/a\",\"https://rp.example:8443/b\"]}");
	assert_int_equal(eid_client_from_json(m, &c, NULL), EID_OK);
	assert_int_equal(eid_client_check(&c, NULL), EID_EINVAL); /* no secret */
	assert_string_equal(c.sector_identifier, "rp.example");
	eid_client_clear(&c);
	json_decref(m);
	refused("{\"subject_type\":\"pairwise\",\"redirect_uris\":"
		"[\"https://a.example/cb\",\"https://b.example/cb\"]}",
		EID_EINVAL, "pairwise subjects need a sector_identifier unless "
		"every redirect URI is on one https host");
	refused("{\"subject_type\":\"pairwise\",\"redirect_uris\":"
		"[\"vn.gov.app:/cb\"]}", EID_EINVAL, "pairwise subjects need a "
		"sector_identifier unless every redirect URI is on one https "
		"host");
	accepted("{\"subject_type\":\"pairwise\",\"sector_identifier\":"
		 "\"gov.example\",\"redirect_uris\":[\"https://a.example/cb\","
		 "\"vn.gov.app:/cb\"]}");
	refused("{\"sector_identifier\":\"Gov.example\"}", EID_EMALFORMED,
		"sector_identifier must be a host name in lower case");
	refused("{\"sector_identifier\":\"a..b\"}", EID_EMALFORMED,
		"sector_identifier must be a host name in lower case");
	refused("{\"sector_identifier\":\"https://a.b\"}", EID_EMALFORMED,
		"sector_identifier must be a host name in lower case");
}

/* ---- store ---- */

static int add(struct tmpstore *ts, const char *extra, char **ret_secret,
	       eid_buf *why)
{
	json_t *m = meta(extra);
	int r = eid_client_add(ts->store, m, NULL, 0, "operator", ret_secret,
			       why);

	json_decref(m);
	return r;
}

static uint64_t audit_count(struct tmpstore *ts)
{
	uint8_t h[EID_AUDIT_HASH_LEN];
	eid_txn *t;
	uint64_t n = 0;

	assert_int_equal(eid_store_begin(ts->store, false, &t), EID_OK);
	assert_int_equal(eid_audit_head(t, &n, h), EID_OK);
	eid_txn_abort(t);
	return n;
}

static void test_add_get_secret(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_client c;
	char *secret = NULL;
	json_t *out = NULL;
	eid_buf why;

	eid_buf_init(&why, 512);
	assert_int_equal(add(ts, NULL, &secret, &why), EID_OK);
	assert_int_equal(strlen(secret), EID_CLIENT_SECRET_LEN);
	assert_int_equal(audit_count(ts), 1);
	assert_int_equal(eid_client_get(ts->store, "rp1", &c), EID_OK);
	assert_true(c.has_secret);
	assert_int_equal(c.created_at, TMPSTORE_NOW);
	assert_true(eid_client_check_secret(&c, secret, strlen(secret)));
	assert_false(eid_client_check_secret(&c, secret, strlen(secret) - 1));
	secret[0] ^= 1;
	assert_false(eid_client_check_secret(&c, secret, strlen(secret)));
	assert_false(eid_client_check_secret(&c, "", 0));
	assert_int_equal(eid_client_to_json(&c, &out), EID_OK);
	assert_null(json_object_get(out, "secret_hash"));
	assert_null(json_object_get(out, "secret_salt"));
	assert_string_equal(json_string_value(json_object_get(out, "status")),
			    "active");
	json_decref(out);
	eid_client_clear(&c);
	eid_free_secret_str(secret);
	/* Taken id. */
	assert_int_equal(add(ts, NULL, &secret, &why), EID_EEXIST);
	assert_string_equal(eid_buf_cstr(&why), "client_id 'rp1' is taken");
	assert_int_equal(audit_count(ts), 1);
	assert_int_equal(eid_client_get(ts->store, "nobody", &c),
			 EID_ENOTFOUND);
	eid_buf_free(&why);
}

static void test_secret_rules(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_client c;
	json_t *m;
	eid_buf why;
	const char *mine = "0123456789abcdef0123456789abcdef";

	eid_buf_init(&why, 512);
	m = meta("{\"token_endpoint_auth_method\":\"none\"}");
	assert_int_equal(eid_client_add(ts->store, m, mine, strlen(mine),
					"operator", NULL, &why), EID_EINVAL);
	assert_string_equal(eid_buf_cstr(&why), "a client secret is only for "
			    "client_secret_basic and client_secret_post");
	eid_buf_reset(&why);
	/* A public client needs no secret holder. */
	assert_int_equal(eid_client_add(ts->store, m, NULL, 0, "operator",
					NULL, &why), EID_OK);
	json_decref(m);
	m = meta("{\"client_id\":\"rp2\",\"token_endpoint_auth_method\":"
		 "\"client_secret_post\"}");
	assert_int_equal(eid_client_add(ts->store, m, "short", 5, "operator",
					NULL, &why), EID_EINVAL);
	assert_string_equal(eid_buf_cstr(&why),
			    "a client secret must be 32-256 bytes");
	assert_int_equal(eid_client_add(ts->store, m, NULL, 0, "operator",
					NULL, NULL), EID_EINVAL);
	assert_int_equal(eid_client_add(ts->store, m, mine, strlen(mine),
					"operator", NULL, NULL), EID_OK);
	assert_int_equal(eid_client_get(ts->store, "rp2", &c), EID_OK);
	assert_true(eid_client_check_secret(&c, mine, strlen(mine)));
	eid_client_clear(&c);
	assert_int_equal(eid_client_get(ts->store, "rp1", &c), EID_OK);
	assert_false(c.has_secret);
	assert_false(eid_client_check_secret(&c, "", 0));
	eid_client_clear(&c);
	json_decref(m);
	eid_buf_free(&why);
}

static void test_update(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_client c;
	char *secret = NULL, *s2 = NULL;
	json_t *ch;
	eid_buf why;

	eid_buf_init(&why, 512);
	assert_int_equal(add(ts, "{\"backchannel_logout_uri\":"
			     "\"https://rp.example/bc\",\"scope\":"
			     "\"openid profile\"}", &secret, &why), EID_OK);
	ch = json_pack("{s:s, s:n}", "name", "New", "backchannel_logout_uri");
	assert_int_equal(eid_client_update(ts->store, "rp1", ch, "operator",
					   NULL, &why), EID_OK);
	json_decref(ch);
	assert_int_equal(eid_client_get(ts->store, "rp1", &c), EID_OK);
	assert_string_equal(c.name, "New");
	assert_null(c.backchannel_logout_uri);
	assert_int_equal(c.scopes, EID_SCOPE_OPENID | EID_SCOPE_PROFILE);
	assert_true(eid_client_check_secret(&c, secret, strlen(secret)));
	eid_client_clear(&c);
	/* The id stays. */
	ch = json_pack("{s:s}", "client_id", "rp9");
	assert_int_equal(eid_client_update(ts->store, "rp1", ch, "operator",
					   NULL, &why), EID_EINVAL);
	assert_string_equal(eid_buf_cstr(&why), "client_id cannot change");
	json_decref(ch);
	eid_buf_reset(&why);
	/* A bad change leaves the record as it was. */
	ch = json_pack("{s:[s]}", "redirect_uris", "http://rp.example/x");
	assert_int_equal(eid_client_update(ts->store, "rp1", ch, "operator",
					   NULL, &why), EID_EMALFORMED);
	json_decref(ch);
	/* To a public client and back: the secret goes, a new one comes. */
	ch = json_pack("{s:s}", "token_endpoint_auth_method", "none");
	assert_int_equal(eid_client_update(ts->store, "rp1", ch, "operator",
					   NULL, NULL), EID_OK);
	json_decref(ch);
	assert_int_equal(eid_client_get(ts->store, "rp1", &c), EID_OK);
	assert_false(c.has_secret);
	assert_false(eid_client_check_secret(&c, secret, strlen(secret)));
	eid_client_clear(&c);
	ch = json_pack("{s:s}", "token_endpoint_auth_method",
		       "client_secret_basic");
	assert_int_equal(eid_client_update(ts->store, "rp1", ch, "operator",
					   NULL, NULL), EID_EINVAL);
	assert_int_equal(eid_client_update(ts->store, "rp1", ch, "operator",
					   &s2, NULL), EID_OK);
	json_decref(ch);
	assert_non_null(s2);
	assert_int_equal(eid_client_get(ts->store, "rp1", &c), EID_OK);
	assert_true(eid_client_check_secret(&c, s2, strlen(s2)));
	eid_client_clear(&c);
	ch = json_object();
	assert_int_equal(eid_client_update(ts->store, "nobody", ch,
					   "operator", NULL, NULL),
			 EID_ENOTFOUND);
	json_decref(ch);
	eid_free_secret_str(secret);
	eid_free_secret_str(s2);
	eid_buf_free(&why);
}

static void test_pairwise_sector_pinned(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_client c;
	char *secret = NULL;
	json_t *ch;

	assert_int_equal(add(ts, "{\"subject_type\":\"pairwise\"}", &secret,
			     NULL), EID_OK);
	ch = json_pack("{s:[s]}", "redirect_uris", "https://other.example/cb");
	assert_int_equal(eid_client_update(ts->store, "rp1", ch, "operator",
					   NULL, NULL), EID_OK);
	json_decref(ch);
	assert_int_equal(eid_client_get(ts->store, "rp1", &c), EID_OK);
	assert_string_equal(c.sector_identifier, "rp.example");
	eid_client_clear(&c);
	eid_free_secret_str(secret);
}

static void test_disable_delete(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_client c;
	char *secret = NULL;

	assert_int_equal(add(ts, NULL, &secret, NULL), EID_OK);
	assert_int_equal(eid_client_disable(ts->store, "rp1", "operator"),
			 EID_OK);
	assert_int_equal(eid_client_get(ts->store, "rp1", &c), EID_OK);
	assert_int_equal(c.status, EID_CLIENT_DISABLED);
	eid_client_clear(&c);
	assert_int_equal(eid_client_disable(ts->store, "rp1", "operator"),
			 EID_ESTATE);
	assert_int_equal(eid_client_enable(ts->store, "rp1", "operator"),
			 EID_OK);
	assert_int_equal(eid_client_delete(ts->store, "rp1", "operator"),
			 EID_OK);
	assert_int_equal(eid_client_get(ts->store, "rp1", &c), EID_ENOTFOUND);
	assert_int_equal(eid_client_delete(ts->store, "rp1", "operator"),
			 EID_ENOTFOUND);
	assert_int_equal(eid_client_disable(ts->store, "rp1", "operator"),
			 EID_ENOTFOUND);
	assert_int_equal(audit_count(ts), 4);
	eid_free_secret_str(secret);
}

static void test_rotate(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_client c;
	char *old = NULL, *new = NULL;

	assert_int_equal(add(ts, NULL, &old, NULL), EID_OK);
	assert_int_equal(eid_client_rotate_secret(ts->store, "rp1", NULL, 0,
						  "operator", &new), EID_OK);
	assert_string_not_equal(old, new);
	assert_int_equal(eid_client_get(ts->store, "rp1", &c), EID_OK);
	assert_false(eid_client_check_secret(&c, old, strlen(old)));
	assert_true(eid_client_check_secret(&c, new, strlen(new)));
	eid_client_clear(&c);
	assert_int_equal(add(ts, "{\"client_id\":\"pub\","
			     "\"token_endpoint_auth_method\":\"none\"}", NULL,
			     NULL), EID_OK);
	eid_free_secret_str(new);
	new = NULL;
	assert_int_equal(eid_client_rotate_secret(ts->store, "pub", NULL, 0,
						  "operator", &new),
			 EID_ESTATE);
	assert_null(new);
	eid_free_secret_str(old);
}

struct seen {
	char ids[4][EID_CLIENT_ID_MAX + 1];
	size_t n;
};

static int collect(const struct eid_client *c, void *arg)
{
	struct seen *s = arg;

	memcpy(s->ids[s->n++], c->client_id, sizeof(c->client_id));
	return s->n == 4 ? 1 : EID_OK;
}

static int audit_types(json_t *e, void *arg)
{
	eid_buf *b = arg;

	(void)eid_buf_printf(b, "%s ",
			     json_string_value(json_object_get(e, "type")));
	return EID_OK;
}

static void test_list_and_audit(void **state)
{
	struct tmpstore *ts = *state;
	struct seen s = { .n = 0 };
	char *sec = NULL;
	eid_txn *t;
	eid_buf b;

	assert_int_equal(add(ts, "{\"client_id\":\"b\"}", &sec, NULL), EID_OK);
	eid_free_secret_str(sec);
	assert_int_equal(add(ts, "{\"client_id\":\"a\"}", &sec, NULL), EID_OK);
	eid_free_secret_str(sec);
	sec = NULL;
	assert_int_equal(eid_client_rotate_secret(ts->store, "a", NULL, 0,
						  "operator", &sec), EID_OK);
	eid_free_secret_str(sec);
	assert_int_equal(eid_client_disable(ts->store, "b", "operator"),
			 EID_OK);
	assert_int_equal(eid_client_list(ts->store, collect, &s), EID_OK);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.ids[0], "a");
	assert_string_equal(s.ids[1], "b");
	eid_buf_init(&b, 1024);
	assert_int_equal(eid_store_begin(ts->store, false, &t), EID_OK);
	assert_int_equal(eid_audit_scan(t, 0, 0, audit_types, &b), EID_OK);
	eid_txn_abort(t);
	assert_string_equal(eid_buf_cstr(&b), "client.add client.add "
			    "client.rotate_secret client.disable ");
	eid_buf_free(&b);
}

static void test_storage_form(void **state)
{
	struct eid_client c, back;
	json_t *m = meta("{\"post_logout_redirect_uris\":"
			 "[\"https://rp.example/bye\"],\"require_dpop\":true,"
			 "\"access_token_ttl\":120}");
	eid_buf rec;
	char *p;

	eid_buf_init(&rec, EID_CLIENT_JSON_MAX);
	assert_int_equal(eid_client_from_json(m, &c, NULL), EID_OK);
	c.has_secret = true;
	memset(c.secret_hash, 7, sizeof(c.secret_hash));
	assert_int_equal(eid_client_encode(&c, &rec), EID_OK);
	assert_memory_equal(rec.data, "{\"v\":1,", 7);
	assert_int_equal(eid_client_decode(rec.data, rec.len, &back), EID_OK);
	assert_true(back.require_dpop);
	assert_int_equal(back.access_token_ttl, 120);
	assert_memory_equal(back.secret_hash, c.secret_hash, 32);
	assert_true(eid_client_post_logout_allowed(&back,
						   "https://rp.example/bye"));
	eid_client_clear(&back);
	p = (char *)rec.data;
	p[5] = '2';
	assert_int_equal(eid_client_decode(rec.data, rec.len, &back),
			 EID_EUNSUPPORTED);
	assert_int_equal(eid_client_decode("{}", 2, &back), EID_EMALFORMED);
	assert_int_equal(eid_client_decode("nonsense", 8, &back),
			 EID_EMALFORMED);
	/* A confidential client without its hash is damage, not a client. */
	assert_int_equal(eid_client_decode(
		"{\"v\":1,\"client_id\":\"x\",\"name\":\"x\",\"redirect_uris\":"
		"[\"https://x.example/\"],\"status\":\"active\","
		"\"created_at\":1,\"updated_at\":1}", 116, &back),
		EID_EMALFORMED);
	eid_client_clear(&c);
	eid_buf_free(&rec);
	json_decref(m);
}

/* ---- CIBA token delivery ---- */

#define CIBA_GRANT "\"grant_types\":[\"urn:openid:params:grant-type:ciba\"]"

static void test_ciba_delivery(void **state)
{
	struct eid_client c, back;
	json_t *m, *out = NULL;
	eid_buf rec;

	(void)state;
	refused("{" CIBA_GRANT ",\"backchannel_token_delivery_mode\":"
		"\"push\"}", EID_EUNSUPPORTED,
		"backchannel_token_delivery_mode: unknown value 'push'");
	refused("{" CIBA_GRANT ",\"backchannel_token_delivery_mode\":1}",
		EID_EMALFORMED,
		"backchannel_token_delivery_mode is not a string");
	refused("{" CIBA_GRANT ",\"backchannel_token_delivery_mode\":"
		"\"ping\"}", EID_EINVAL,
		"backchannel_client_notification_endpoint is required with "
		"ping delivery and only with it");
	refused("{" CIBA_GRANT ",\"backchannel_client_notification_endpoint"
		"\":\"https://rp.example/ping\"}", EID_EINVAL,
		"backchannel_client_notification_endpoint is required with "
		"ping delivery and only with it");
	refused("{\"backchannel_token_delivery_mode\":\"ping\","
		"\"backchannel_client_notification_endpoint\":"
		"\"https://rp.example/ping\"}", EID_EINVAL,
		"backchannel_token_delivery_mode ping needs the CIBA grant");
	/* The URI rules of the other back-channel URIs. */
	refused("{" CIBA_GRANT ",\"backchannel_token_delivery_mode\":"
		"\"ping\",\"backchannel_client_notification_endpoint\":"
		"\"http://rp.example/ping\"}", EID_EMALFORMED,
		"backchannel_client_notification_endpoint uses http on a "
		"host that is not loopback (127.0.0.1, [::1], localhost)");
	refused("{" CIBA_GRANT ",\"backchannel_token_delivery_mode\":"
		"\"ping\",\"backchannel_client_notification_endpoint\":"
		"\"https://rp.example/ping#x\"}", EID_EMALFORMED,
		"backchannel_client_notification_endpoint has a fragment");
	accepted("{" CIBA_GRANT ",\"backchannel_token_delivery_mode\":"
		 "\"poll\"}");
	accepted("{" CIBA_GRANT ",\"backchannel_token_delivery_mode\":"
		 "\"ping\",\"backchannel_client_notification_endpoint\":"
		 "\"http://127.0.0.1:8080/ping\"}");

	/* Kept through the storage form and shown as metadata. */
	m = meta("{" CIBA_GRANT ",\"backchannel_token_delivery_mode\":"
		 "\"ping\",\"backchannel_client_notification_endpoint\":"
		 "\"https://rp.example/ping\"}");
	eid_buf_init(&rec, EID_CLIENT_JSON_MAX);
	assert_int_equal(eid_client_from_json(m, &c, NULL), EID_OK);
	assert_int_equal(c.ciba_delivery, EID_CIBA_DELIVERY_PING);
	c.has_secret = true;
	assert_int_equal(eid_client_encode(&c, &rec), EID_OK);
	assert_int_equal(eid_client_decode(rec.data, rec.len, &back), EID_OK);
	assert_int_equal(back.ciba_delivery, EID_CIBA_DELIVERY_PING);
	assert_string_equal(back.ciba_notification_endpoint,
			    "https://rp.example/ping");
	assert_int_equal(eid_client_to_json(&back, &out), EID_OK);
	assert_string_equal(json_string_value(json_object_get(
		out, "backchannel_token_delivery_mode")), "ping");
	json_decref(out);
	eid_client_clear(&back);
	eid_client_clear(&c);
	json_decref(m);
	/* A CIBA client without the member polls, and says so. */
	m = meta("{" CIBA_GRANT "}");
	assert_int_equal(eid_client_from_json(m, &c, NULL), EID_OK);
	assert_int_equal(c.ciba_delivery, EID_CIBA_DELIVERY_POLL);
	assert_int_equal(eid_client_to_json(&c, &out), EID_OK);
	assert_string_equal(json_string_value(json_object_get(
		out, "backchannel_token_delivery_mode")), "poll");
	assert_null(json_object_get(out,
				    "backchannel_client_notification_endpoint"));
	json_decref(out);
	eid_client_clear(&c);
	json_decref(m);
	eid_buf_free(&rec);
}

/* ---- subjects ---- */

static void client_of(const char *extra, struct eid_client *c)
{
	json_t *m = meta(extra);

	assert_int_equal(eid_client_from_json(m, c, NULL), EID_OK);
	json_decref(m);
}

static void test_subjects(void **state)
{
	struct eid_client pub, pw1, pw2, pw3;
	uint8_t kek[32], kek2[32], key[32], key2[32], again[32];
	char a[EID_SUBJECT_LEN + 1], b[EID_SUBJECT_LEN + 1];
	char c[EID_SUBJECT_LEN + 1], d[EID_SUBJECT_LEN + 1];
	const char *id = "079203000001";

	memset(kek, 1, sizeof(kek));
	memset(kek2, 2, sizeof(kek2));
	assert_int_equal(eid_subject_key_derive(kek, key), EID_OK);
	assert_int_equal(eid_subject_key_derive(kek, again), EID_OK);
	assert_memory_equal(key, again, 32);
	assert_int_equal(eid_subject_key_derive(kek2, key2), EID_OK);
	assert_memory_not_equal(key, key2, 32);
	client_of(NULL, &pub);
	client_of("{\"client_id\":\"x\",\"subject_type\":\"pairwise\"}", &pw1);
	client_of("{\"client_id\":\"y\",\"subject_type\":\"pairwise\","
		  "\"redirect_uris\":[\"https://rp.example/other\"]}", &pw2);
	client_of("{\"subject_type\":\"pairwise\",\"redirect_uris\":"
		  "[\"https://tax.example/cb\"]}", &pw3);
	assert_int_equal(eid_subject_for(&pub, id, key, a), EID_OK);
	assert_int_equal(strlen(a), EID_SUBJECT_LEN);
	assert_null(strstr(a, id));
	assert_int_equal(eid_subject_for(&pw1, id, key, b), EID_OK);
	assert_string_not_equal(a, b);
	/* Same sector, another client: the same subject. */
	assert_int_equal(eid_subject_for(&pw2, id, key, c), EID_OK);
	assert_string_equal(b, c);
	assert_int_equal(eid_subject_for(&pw3, id, key, d), EID_OK);
	assert_string_not_equal(b, d);
	/* Stable, per person, per key. */
	assert_int_equal(eid_subject_for(&pub, id, key, c), EID_OK);
	assert_string_equal(a, c);
	assert_int_equal(eid_subject_for(&pub, "079203000002", key, c), EID_OK);
	assert_string_not_equal(a, c);
	assert_int_equal(eid_subject_for(&pub, id, key2, c), EID_OK);
	assert_string_not_equal(a, c);
	assert_int_equal(eid_subject_for(&pub, "07920300000", key, c),
			 EID_EINVAL);
	pw3.sector_identifier[0] = '\0';
	assert_int_equal(eid_subject_for(&pw3, id, key, c), EID_EINVAL);
	eid_client_clear(&pub);
	eid_client_clear(&pw1);
	eid_client_clear(&pw2);
	eid_client_clear(&pw3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_client_id),
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_enums),
		cmocka_unit_test(test_lifetimes),
		cmocka_unit_test(test_redirect_rules),
		cmocka_unit_test(test_redirect_exact),
		cmocka_unit_test(test_cross_rules),
		cmocka_unit_test(test_sector),
		cmocka_unit_test_setup_teardown(test_add_get_secret,
						tmpstore_setup,
						tmpstore_teardown),
		cmocka_unit_test_setup_teardown(test_secret_rules,
						tmpstore_setup,
						tmpstore_teardown),
		cmocka_unit_test_setup_teardown(test_update, tmpstore_setup,
						tmpstore_teardown),
		cmocka_unit_test_setup_teardown(test_pairwise_sector_pinned,
						tmpstore_setup,
						tmpstore_teardown),
		cmocka_unit_test_setup_teardown(test_disable_delete,
						tmpstore_setup,
						tmpstore_teardown),
		cmocka_unit_test_setup_teardown(test_rotate, tmpstore_setup,
						tmpstore_teardown),
		cmocka_unit_test_setup_teardown(test_list_and_audit,
						tmpstore_setup,
						tmpstore_teardown),
		cmocka_unit_test(test_storage_form),
		cmocka_unit_test(test_ciba_delivery),
		cmocka_unit_test(test_subjects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
