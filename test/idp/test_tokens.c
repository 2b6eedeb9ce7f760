#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "idp/grants.h"
#include "idp/tokens.h"
#include "tmpstore.h"

#define ISS "https://idp.example"
#define CLIENT "rp-one"
#define JKT "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
#define T0 ((uint64_t)TMPSTORE_NOW)

/* OIDC Core A.4: this access token has at_hash 77QmUPtjPfzWtF2AnpK9RQ. */
#define OIDC_AT "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
#define OIDC_AT_HASH "77QmUPtjPfzWtF2AnpK9RQ"

static uint64_t clock_now;

static uint64_t test_clock(void *arg)
{
	return clock_now;
}

struct fx {
	struct tmpstore ts;
	eid_signer *sg;
	char gid[EID_GRANT_ID_LEN + 1];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t kek[32];
	struct eid_grant g = { 0 };

	assert_non_null(f);
	clock_now = T0;
	tmpstore_open(&f->ts, test_clock);
	memset(kek, 0x11, sizeof(kek));
	assert_int_equal(eid_signing_ensure(f->ts.store, kek, EID_ALG_ES256,
					    T0, NULL), EID_OK);
	assert_int_equal(eid_signer_open(f->ts.store, kek, 3600, &f->sg),
			 EID_OK);
	g.personal_id = "001099012345";
	g.client_id = CLIENT;
	g.scope = "openid";
	assert_int_equal(eid_grant_create(f->ts.store, &g, T0, f->gid), EID_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	eid_signer_close(f->sg);
	tmpstore_close(&f->ts);
	free(f);
	return 0;
}

static json_t *decode(struct fx *f, const char *jwt, json_t **ret_hdr)
{
	json_t *h = NULL, *c = NULL;

	assert_int_equal(eid_signer_verify(f->sg, jwt, strlen(jwt), &h, &c),
			 EID_OK);
	if (ret_hdr != NULL)
		*ret_hdr = h;
	else
		json_decref(h);
	return c;
}

static const char *str(const json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

static json_int_t num(const json_t *o, const char *name)
{
	return json_integer_value(json_object_get(o, name));
}

static struct eid_id_token_params id_params(void)
{
	struct eid_id_token_params p = {
		.issuer = ISS, .sub = "pairwise-sub", .client_id = CLIENT,
		.nonce = "n-0S6", .acr = "urn:eid:loa:2", .sid = "sid-1",
		.access_token = OIDC_AT, .auth_time = T0 - 30, .now = T0,
		.ttl = 300,
	};

	return p;
}

static void test_id_token(void **state)
{
	struct fx *f = *state;
	struct eid_id_token_params p = id_params();
	json_t *amr = json_pack("[s,s]", "pwd", "otp");
	json_t *extra = json_pack("{s:s,s:i}", "name", "Nguyễn Văn A",
				  "eid_level", 2);
	json_t *c, *h = NULL;
	char *jwt = NULL;

	p.amr = amr;
	p.claims = extra;
	assert_int_equal(eid_id_token_issue(f->sg, &p, &jwt), EID_OK);
	c = decode(f, jwt, &h);
	assert_string_equal(str(h, "typ"), "JWT");
	assert_string_equal(str(h, "alg"), "ES256");
	assert_string_equal(str(c, "iss"), ISS);
	assert_string_equal(str(c, "sub"), "pairwise-sub");
	assert_string_equal(str(c, "aud"), CLIENT);
	assert_int_equal(num(c, "iat"), T0);
	assert_int_equal(num(c, "exp"), T0 + 300);
	assert_int_equal(num(c, "auth_time"), T0 - 30);
	assert_string_equal(str(c, "nonce"), "n-0S6");
	assert_string_equal(str(c, "acr"), "urn:eid:loa:2");
	assert_string_equal(str(c, "sid"), "sid-1");
	assert_true(json_equal(json_object_get(c, "amr"), amr));
	assert_string_equal(str(c, "at_hash"), OIDC_AT_HASH);
	assert_string_equal(str(c, "name"), "Nguyễn Văn A");
	assert_int_equal(num(c, "eid_level"), 2);
	json_decref(c);
	json_decref(h);
	free(jwt);

	/* Optional members left out. */
	p = id_params();
	p.nonce = p.acr = p.sid = p.access_token = NULL;
	assert_int_equal(eid_id_token_issue(f->sg, &p, &jwt), EID_OK);
	c = decode(f, jwt, NULL);
	assert_null(json_object_get(c, "nonce"));
	assert_null(json_object_get(c, "at_hash"));
	assert_null(json_object_get(c, "amr"));
	assert_null(json_object_get(c, "sid"));
	json_decref(c);
	free(jwt);
	json_decref(amr);
	json_decref(extra);
}

static void test_id_token_refuses(void **state)
{
	struct fx *f = *state;
	struct eid_id_token_params p = id_params();
	static const char *const names[] = { "iss", "sub", "aud", "nonce",
					     "at_hash", "cnf", "gid" };
	char *jwt = NULL;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		json_t *extra = json_pack("{s:s}", names[i], "forged");

		p.claims = extra;
		assert_int_equal(eid_id_token_issue(f->sg, &p, &jwt),
				 EID_EINVAL);
		json_decref(extra);
	}
	p = id_params();
	p.claims = json_array();
	assert_int_equal(eid_id_token_issue(f->sg, &p, &jwt), EID_EINVAL);
	json_decref((json_t *)p.claims);
	p = id_params();
	p.amr = json_object();
	assert_int_equal(eid_id_token_issue(f->sg, &p, &jwt), EID_EINVAL);
	json_decref((json_t *)p.amr);
	p = id_params();
	p.issuer = NULL;
	assert_int_equal(eid_id_token_issue(f->sg, &p, &jwt), EID_EINVAL);
	p = id_params();
	p.ttl = 0;
	assert_int_equal(eid_id_token_issue(f->sg, &p, &jwt), EID_EINVAL);
	p = id_params();
	p.nonce = "\xff\xfe";
	assert_int_equal(eid_id_token_issue(f->sg, &p, &jwt), EID_EINVAL);
	assert_null(jwt);
}

static char *access_token(struct fx *f, const char *gid, const char *jkt,
			  const char *aud)
{
	struct eid_access_token_params p = {
		.issuer = ISS, .sub = "pairwise-sub", .client_id = CLIENT,
		.aud = aud, .scope = "openid profile", .acr = "urn:eid:loa:1",
		.gid = gid, .dpop_jkt = jkt, .auth_time = T0 - 30,
		.now = clock_now, .ttl = 600,
	};
	char *jwt = NULL;

	assert_int_equal(eid_access_token_issue(f->sg, &p, &jwt), EID_OK);
	return jwt;
}

static int verify(struct fx *f, const char *jwt, enum eid_token_use use,
		  const char *jkt)
{
	json_t *c = NULL;
	int r = eid_access_token_verify(f->sg, f->ts.store, jwt, strlen(jwt),
					ISS, use, jkt, clock_now, &c);

	if (r == EID_OK)
		assert_non_null(c);
	else
		assert_null(c);
	json_decref(c);
	return r;
}

static void test_access_token_claims(void **state)
{
	struct fx *f = *state;
	char *jwt = access_token(f, f->gid, JKT, NULL), *jwt2;
	json_t *c, *h = NULL, *v = NULL;

	c = decode(f, jwt, &h);
	assert_string_equal(str(h, "typ"), "at+jwt");
	assert_string_equal(str(c, "iss"), ISS);
	assert_string_equal(str(c, "sub"), "pairwise-sub");
	assert_string_equal(str(c, "aud"), CLIENT);
	assert_string_equal(str(c, "client_id"), CLIENT);
	assert_string_equal(str(c, "scope"), "openid profile");
	assert_string_equal(str(c, "acr"), "urn:eid:loa:1");
	assert_string_equal(str(c, "gid"), f->gid);
	assert_int_equal(num(c, "iat"), T0);
	assert_int_equal(num(c, "exp"), T0 + 600);
	assert_int_equal(num(c, "auth_time"), T0 - 30);
	assert_int_equal(strlen(str(c, "jti")), 22);
	assert_string_equal(str(json_object_get(c, "cnf"), "jkt"), JKT);
	/* jti differs between tokens. */
	jwt2 = access_token(f, f->gid, NULL, "https://api.example");
	v = decode(f, jwt2, NULL);
	assert_string_not_equal(str(v, "jti"), str(c, "jti"));
	assert_string_equal(str(v, "aud"), "https://api.example");
	assert_null(json_object_get(v, "cnf"));
	json_decref(v);
	json_decref(c);
	json_decref(h);
	free(jwt);
	free(jwt2);
}

static void test_access_token_binding(void **state)
{
	struct fx *f = *state;
	char *bound = access_token(f, f->gid, JKT, NULL);
	char *bearer = access_token(f, f->gid, NULL, NULL);
	json_t *c = NULL;

	assert_int_equal(verify(f, bound, EID_TOKEN_DPOP, JKT), EID_OK);
	assert_int_equal(verify(f, bound, EID_TOKEN_INTROSPECT, NULL), EID_OK);
	assert_int_equal(verify(f, bound, EID_TOKEN_DPOP,
		"1ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"), EID_EAUTH);
	assert_int_equal(verify(f, bound, EID_TOKEN_BEARER, NULL), EID_EAUTH);
	assert_int_equal(verify(f, bearer, EID_TOKEN_BEARER, NULL), EID_OK);
	assert_int_equal(verify(f, bearer, EID_TOKEN_INTROSPECT, NULL), EID_OK);
	assert_int_equal(verify(f, bearer, EID_TOKEN_DPOP, JKT), EID_EAUTH);
	assert_int_equal(eid_access_token_verify(f->sg, f->ts.store, bound,
						 strlen(bound), ISS,
						 EID_TOKEN_DPOP, NULL,
						 clock_now, &c), EID_EINVAL);
	free(bound);
	free(bearer);
}

static void test_access_token_lifetime_and_grant(void **state)
{
	struct fx *f = *state;
	char *jwt = access_token(f, f->gid, NULL, NULL);
	char *nogrant = access_token(f, NULL, NULL, NULL);
	char unknown[EID_GRANT_ID_LEN + 1], *orphan;

	clock_now = T0 + 599;
	assert_int_equal(verify(f, jwt, EID_TOKEN_BEARER, NULL), EID_OK);
	clock_now = T0 + 600;
	assert_int_equal(verify(f, jwt, EID_TOKEN_BEARER, NULL), EID_EEXPIRED);
	clock_now = T0;
	/* Revoking the grant ends its tokens; client_credentials tokens have
	 * no grant to check. */
	assert_int_equal(eid_grant_revoke(f->ts.store, f->gid, T0), EID_OK);
	assert_int_equal(verify(f, jwt, EID_TOKEN_BEARER, NULL), EID_EPERM);
	assert_int_equal(verify(f, jwt, EID_TOKEN_INTROSPECT, NULL), EID_EPERM);
	assert_int_equal(verify(f, nogrant, EID_TOKEN_BEARER, NULL), EID_OK);
	assert_int_equal(eid_grant_new_id(unknown), EID_OK);
	orphan = access_token(f, unknown, NULL, NULL);
	assert_int_equal(verify(f, orphan, EID_TOKEN_BEARER, NULL), EID_EPERM);
	free(jwt);
	free(nogrant);
	free(orphan);
}

static void test_token_confusion(void **state)
{
	struct fx *f = *state;
	struct eid_id_token_params p = id_params();
	char *id = NULL, *at = access_token(f, f->gid, NULL, NULL);
	json_t *c = NULL;

	assert_int_equal(eid_id_token_issue(f->sg, &p, &id), EID_OK);
	assert_int_equal(verify(f, id, EID_TOKEN_BEARER, NULL), EID_EMISMATCH);
	assert_int_equal(eid_id_token_verify_hint(f->sg, at, strlen(at), ISS,
						  &c), EID_EMISMATCH);
	assert_int_equal(eid_access_token_verify(f->sg, f->ts.store, at,
						 strlen(at),
						 "https://other.example",
						 EID_TOKEN_BEARER, NULL,
						 clock_now, &c), EID_EMISMATCH);
	/* A hint is good long after the token expired. */
	clock_now = T0 + 86400;
	assert_int_equal(eid_id_token_verify_hint(f->sg, id, strlen(id), ISS,
						  &c), EID_OK);
	assert_string_equal(str(c, "aud"), CLIENT);
	json_decref(c);
	c = NULL;
	assert_int_equal(eid_id_token_verify_hint(f->sg, id, strlen(id),
						  "https://other.example", &c),
			 EID_EMISMATCH);
	id[strlen(id) - 4] = id[strlen(id) - 4] == 'A' ? 'B' : 'A';
	assert_int_equal(eid_id_token_verify_hint(f->sg, id, strlen(id), ISS,
						  &c), EID_EVERIFY);
	assert_null(c);
	free(id);
	free(at);
}

static void test_forged(void **state)
{
	struct fx *f = *state;
	char *at = access_token(f, f->gid, NULL, NULL), *forged = NULL;
	json_t *c = decode(f, at, NULL);
	eid_key *k = NULL;
	char *big;

	/* The same claims signed by a key we never published. */
	assert_int_equal(eid_key_generate(EID_ALG_ES256, &k), EID_OK);
	assert_int_equal(eid_jws_sign(k, "at+jwt", c, &forged), EID_OK);
	assert_int_equal(verify(f, forged, EID_TOKEN_BEARER, NULL),
			 EID_ENOTFOUND);
	at[strlen(at) - 4] = at[strlen(at) - 4] == 'A' ? 'B' : 'A';
	assert_int_equal(verify(f, at, EID_TOKEN_BEARER, NULL), EID_EVERIFY);
	assert_int_equal(verify(f, "", EID_TOKEN_BEARER, NULL), EID_EMALFORMED);
	assert_int_equal(verify(f, "a.b.c", EID_TOKEN_BEARER, NULL),
			 EID_EMALFORMED);
	big = malloc(EID_TOKEN_MAX + 2);
	assert_non_null(big);
	memset(big, 'a', EID_TOKEN_MAX + 1);
	big[EID_TOKEN_MAX + 1] = '\0';
	assert_int_equal(verify(f, big, EID_TOKEN_BEARER, NULL), EID_ETOOBIG);
	free(big);
	eid_key_free(k);
	json_decref(c);
	free(forged);
	free(at);
}

/* The claims are written directly as JSON text (not through jansson):
 * byte for byte, in the order they always had, jti aside. */
static void test_access_token_exact(void **state)
{
	struct fx *f = *state;
	char *jwt = access_token(f, f->gid, JKT, NULL);
	size_t at = strcspn(jwt, ".") + 1, len = strcspn(jwt + at, ".");
	char want[1024], jti[64];
	json_t *c = decode(f, jwt, NULL);
	eid_buf b;

	snprintf(jti, sizeof(jti), "%s", str(c, "jti"));
	snprintf(want, sizeof(want),
		 "{\"iss\":\"" ISS "\",\"sub\":\"pairwise-sub\","
		 "\"aud\":\"" CLIENT "\",\"iat\":%llu,\"exp\":%llu,"
		 "\"jti\":\"%s\",\"client_id\":\"" CLIENT "\","
		 "\"scope\":\"openid profile\",\"acr\":\"urn:eid:loa:1\","
		 "\"gid\":\"%s\",\"auth_time\":%llu,"
		 "\"cnf\":{\"jkt\":\"" JKT "\"}}",
		 (unsigned long long)T0, (unsigned long long)T0 + 600, jti,
		 f->gid, (unsigned long long)T0 - 30);
	eid_buf_init(&b, 4096);
	/* Offsets, not pointers into jwt: GCC 12 at -O3 inlines
	 * access_token() and calls such pointers dangling. */
	assert_int_equal(eid_b64url_decode(jwt + at, len, &b), EID_OK);
	assert_non_null(eid_buf_cstr(&b));
	assert_string_equal((const char *)b.data, want);
	eid_buf_free(&b);
	json_decref(c);
	free(jwt);
}

static void test_access_token_refuses(void **state)
{
	struct fx *f = *state;
	struct eid_access_token_params p = {
		.issuer = ISS, .sub = "s", .client_id = CLIENT,
		.scope = "openid", .now = T0, .ttl = 60,
	};
	char *jwt = NULL;

	p.scope = NULL;
	assert_int_equal(eid_access_token_issue(f->sg, &p, &jwt), EID_EINVAL);
	p.scope = "openid";
	p.client_id = NULL;
	assert_int_equal(eid_access_token_issue(f->sg, &p, &jwt), EID_EINVAL);
	p.client_id = CLIENT;
	p.ttl = 0;
	assert_int_equal(eid_access_token_issue(f->sg, &p, &jwt), EID_EINVAL);
	p.ttl = 60;
	p.sub = NULL;
	assert_int_equal(eid_access_token_issue(f->sg, &p, &jwt), EID_EINVAL);
	/* Not UTF-8: jansson refused it, the direct writer does too. */
	p.sub = "s";
	p.aud = "\xc3\x28";
	assert_int_equal(eid_access_token_issue(f->sg, &p, &jwt), EID_EINVAL);
	assert_null(jwt);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_id_token),
		T(test_id_token_refuses),
		T(test_access_token_claims),
		T(test_access_token_exact),
		T(test_access_token_binding),
		T(test_access_token_lifetime_and_grant),
		T(test_token_confusion),
		T(test_forged),
		T(test_access_token_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
