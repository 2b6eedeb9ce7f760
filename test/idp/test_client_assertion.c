#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "idp/client_assertion.h"
#include "jws_fixture.h"
#include "tmpstore.h"

#define NOW ((uint64_t)TMPSTORE_NOW)
#define CLIENT "rp-one"
#define ISSUER "https://idp.example"
#define TOKEN_EP "https://idp.example/token"

struct fx {
	struct tmpstore ts; /* first: see tmpstore_member_setup */
	eid_key *ec, *rsa, *stranger; /* private keys */
	eid_key *pub[2];              /* the client's registered JWKS */
	int jti;
};

static eid_key *public_of(const eid_key *k)
{
	json_t *jwk = NULL;
	eid_key *pub = NULL;

	assert_int_equal(eid_key_public_jwk(k, &jwk), EID_OK);
	assert_int_equal(eid_key_from_public_jwk(jwk, &pub), EID_OK);
	json_decref(jwk);
	return pub;
}

static int group_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(eid_key_generate(EID_ALG_ES256, &f->ec), EID_OK);
	assert_int_equal(eid_key_generate(EID_ALG_PS256, &f->rsa), EID_OK);
	assert_int_equal(eid_key_generate(EID_ALG_ES256, &f->stranger), EID_OK);
	f->pub[0] = public_of(f->ec);
	f->pub[1] = public_of(f->rsa);
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fx *f = *state;

	eid_key_free(f->ec);
	eid_key_free(f->rsa);
	eid_key_free(f->stranger);
	eid_key_free(f->pub[0]);
	eid_key_free(f->pub[1]);
	free(f);
	return 0;
}

static json_t *claims(struct fx *f, const char *client)
{
	char jti[32];

	snprintf(jti, sizeof(jti), "jti-%d", ++f->jti);
	return json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", "iss", client, "sub",
			 client, "aud", ISSUER, "jti", jti, "iat",
			 (json_int_t)NOW, "exp", (json_int_t)NOW + 60);
}

static char *sign(const eid_key *k, json_t *c)
{
	char *jws = NULL;

	assert_int_equal(eid_jws_sign(k, NULL, c, &jws), EID_OK);
	json_decref(c);
	return jws;
}

/* Verify jws (freed) as CLIENT's assertion. */
static int check_as(struct fx *f, char *jws, const char *client)
{
	int r = eid_client_assertion_verify(jws, strlen(jws),
					    (const eid_key *const *)f->pub, 2,
					    client, ISSUER, TOKEN_EP, NOW,
					    f->ts.store);

	free(jws);
	return r;
}

static int check(struct fx *f, char *jws)
{
	return check_as(f, jws, CLIENT);
}

/* A good assertion by the EC key with one claim changed (v NULL: gone). */
static int check_claim(struct fx *f, const char *name, json_t *v)
{
	json_t *c = claims(f, CLIENT);

	if (v == NULL)
		json_object_del(c, name);
	else
		json_object_set_new(c, name, v);
	return check(f, sign(f->ec, c));
}

static void test_valid(void **state)
{
	struct fx *f = *state;
	json_t *c = claims(f, CLIENT);

	assert_int_equal(check(f, sign(f->ec, json_deep_copy(c))), EID_OK);
	json_object_set_new(c, "aud", json_string(TOKEN_EP));
	json_object_set_new(c, "jti", json_string("another"));
	assert_int_equal(check(f, sign(f->rsa, c)), EID_OK);
	assert_int_equal(check_claim(f, "aud", json_pack("[s,s]",
		"https://other.example", ISSUER)), EID_OK);
	assert_int_equal(check_claim(f, "aud", json_pack("[s]", TOKEN_EP)),
			 EID_OK);
	/* iat and nbf are optional. */
	assert_int_equal(check_claim(f, "iat", NULL), EID_OK);
	assert_int_equal(check_claim(f, "nbf", json_integer((json_int_t)NOW)),
			 EID_OK);
}

static void test_wrong_key(void **state)
{
	struct fx *f = *state;
	char *jws = sign(f->ec, claims(f, CLIENT));

	assert_int_equal(check(f, sign(f->stranger, claims(f, CLIENT))),
			 EID_ENOTFOUND);
	jws[strlen(jws) - 5] = jws[strlen(jws) - 5] == 'A' ? 'B' : 'A';
	assert_int_equal(check(f, jws), EID_EVERIFY);
	/* No keys registered at all. */
	jws = sign(f->ec, claims(f, CLIENT));
	assert_int_equal(eid_client_assertion_verify(jws, strlen(jws), NULL, 0,
						     CLIENT, ISSUER, TOKEN_EP,
						     NOW, f->ts.store),
			 EID_ENOTFOUND);
	free(jws);
}

static void test_expiry(void **state)
{
	struct fx *f = *state;
	const json_int_t now = (json_int_t)NOW;

	assert_int_equal(check_claim(f, "exp", NULL), EID_EMALFORMED);
	assert_int_equal(check_claim(f, "exp", json_string("1748736060")),
			 EID_EMALFORMED);
	assert_int_equal(check_claim(f, "exp", json_real(1748736060.0)),
			 EID_EMALFORMED);
	assert_int_equal(check_claim(f, "exp", json_integer(now - 31)),
			 EID_EEXPIRED);
	assert_int_equal(check_claim(f, "exp", json_integer(now - 30)),
			 EID_EEXPIRED);
	assert_int_equal(check_claim(f, "exp", json_integer(now - 29)),
			 EID_OK);
	assert_int_equal(check_claim(f, "iat", json_integer(now + 31)),
			 EID_EEXPIRED);
	assert_int_equal(check_claim(f, "nbf", json_integer(now + 31)),
			 EID_EEXPIRED);
	assert_int_equal(check_claim(f, "nbf", json_string("x")),
			 EID_EMALFORMED);
	/* Too long-lived: from now, or from its own iat. */
	assert_int_equal(check_claim(f, "exp", json_integer(now + 601)),
			 EID_ETOOBIG);
	assert_int_equal(check_claim(f, "exp", json_integer(now + 600)),
			 EID_OK);
	{
		json_t *c = claims(f, CLIENT);

		json_object_set_new(c, "iat", json_integer(now - 10));
		json_object_set_new(c, "exp", json_integer(now + 591));
		assert_int_equal(check(f, sign(f->ec, c)), EID_ETOOBIG);
	}
}

static void test_replay(void **state)
{
	struct fx *f = *state;
	json_t *c = claims(f, CLIENT), *other;

	assert_int_equal(check(f, sign(f->ec, json_deep_copy(c))), EID_OK);
	assert_int_equal(check(f, sign(f->ec, json_deep_copy(c))),
			 EID_EREPLAY);
	/* Signed again with the other key: the jti is what counts. */
	assert_int_equal(check(f, sign(f->rsa, json_deep_copy(c))),
			 EID_EREPLAY);
	/* Another client may use the same jti. */
	other = json_deep_copy(c);
	json_object_set_new(other, "iss", json_string("rp-two"));
	json_object_set_new(other, "sub", json_string("rp-two"));
	assert_int_equal(check_as(f, sign(f->ec, other), "rp-two"), EID_OK);
	json_decref(c);
	/* A refused assertion does not use up its jti. */
	c = claims(f, CLIENT);
	json_object_set_new(c, "aud", json_string("https://other.example"));
	assert_int_equal(check(f, sign(f->ec, json_deep_copy(c))), EID_EPERM);
	json_object_set_new(c, "aud", json_string(ISSUER));
	assert_int_equal(check(f, sign(f->ec, c)), EID_OK);
	assert_int_equal(check_claim(f, "jti", NULL), EID_EMALFORMED);
	assert_int_equal(check_claim(f, "jti", json_string("")),
			 EID_EMALFORMED);
	assert_int_equal(check_claim(f, "jti", json_integer(1)),
			 EID_EMALFORMED);
}

static void test_audience(void **state)
{
	struct fx *f = *state;

	assert_int_equal(check_claim(f, "aud", json_string(
		"https://idp.example/authorize")), EID_EPERM);
	assert_int_equal(check_claim(f, "aud", json_string(
		"https://idp.example/")), EID_EPERM);
	assert_int_equal(check_claim(f, "aud", json_pack("[s]",
		"https://other.example")), EID_EPERM);
	assert_int_equal(check_claim(f, "aud", json_pack("[s,i]", ISSUER, 1)),
			 EID_EMALFORMED);
	assert_int_equal(check_claim(f, "aud", json_array()), EID_EMALFORMED);
	assert_int_equal(check_claim(f, "aud", NULL), EID_EMALFORMED);
	assert_int_equal(check_claim(f, "aud", json_integer(3)),
			 EID_EMALFORMED);
}

static void test_subject(void **state)
{
	struct fx *f = *state;

	assert_int_equal(check_claim(f, "sub", json_string("rp-two")),
			 EID_EMISMATCH);
	assert_int_equal(check_claim(f, "iss", json_string("rp-two")),
			 EID_EMISMATCH);
	assert_int_equal(check_claim(f, "sub", NULL), EID_EMALFORMED);
	assert_int_equal(check_claim(f, "iss", NULL), EID_EMALFORMED);
	assert_int_equal(check_claim(f, "iss", json_integer(1)),
			 EID_EMALFORMED);
	/* Signed by one of rp-one's keys, but claiming to be rp-two. */
	assert_int_equal(check_as(f, sign(f->ec, claims(f, CLIENT)), "rp-two"),
			 EID_EMISMATCH);
}

static void test_alg_none_and_hmac(void **state)
{
	struct fx *f = *state;
	json_t *c = claims(f, CLIENT);
	char *payload = json_dumps(c, JSON_COMPACT), hdr[256];

	snprintf(hdr, sizeof(hdr), "{\"alg\":\"none\",\"kid\":\"%s\"}",
		 eid_key_kid(f->ec));
	assert_int_equal(check(f, jws_fixture_raw(hdr, payload, "")), EID_EUNSUPPORTED);
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"kid\":\"%s\"}",
		 eid_key_kid(f->ec));
	assert_int_equal(check(f, jws_fixture_raw(hdr, payload, "c2ln")),
			 EID_EUNSUPPORTED);
	/* RS256 over an EC key: algorithm confusion. */
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
		 eid_key_kid(f->ec));
	assert_int_equal(check(f, jws_fixture_raw(hdr, payload, "c2ln")),
			 EID_EMISMATCH);
	free(payload);
	json_decref(c);
}

static void test_malformed(void **state)
{
	struct fx *f = *state;
	char *big = malloc(EID_CLIENT_ASSERTION_MAX + 1);
	const eid_key *const *keys = (const eid_key *const *)f->pub;

	assert_non_null(big);
	memset(big, 'a', EID_CLIENT_ASSERTION_MAX + 1);
	assert_int_equal(eid_client_assertion_verify(big,
		EID_CLIENT_ASSERTION_MAX + 1, keys, 2, CLIENT, ISSUER,
		TOKEN_EP, NOW, f->ts.store), EID_ETOOBIG);
	free(big);
	assert_int_equal(eid_client_assertion_verify("", 0, keys, 2, CLIENT,
		ISSUER, TOKEN_EP, NOW, f->ts.store), EID_EMALFORMED);
	assert_int_equal(eid_client_assertion_verify("a.b", 3, keys, 2, CLIENT,
		ISSUER, TOKEN_EP, NOW, f->ts.store), EID_EMALFORMED);
	assert_int_equal(eid_client_assertion_verify("a.b.c", 5, keys, 2, NULL,
		ISSUER, TOKEN_EP, NOW, f->ts.store), EID_EINVAL);
	assert_int_equal(eid_client_assertion_verify("a.b.c", 5, keys, 2,
		CLIENT, ISSUER, TOKEN_EP, NOW, NULL), EID_EINVAL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, tmpstore_member_setup, \
						 tmpstore_member_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_valid),
		T(test_wrong_key),
		T(test_expiry),
		T(test_replay),
		T(test_audience),
		T(test_subject),
		T(test_alg_none_and_hmac),
		T(test_malformed),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
