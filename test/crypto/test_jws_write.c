/* crypto/jws_write.c: the JWS written and signed directly must be exactly
 * the header and payload asked for, and its signature must verify with
 * cjose (an independent implementation) and with our verifier, and with
 * no other key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cjose/jws.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/jws_write.h"
#include "crypto/keys.h"
#include "key_fixture.h"

static const char payload[] =
	"{\"iss\":\"https://id.example\",\"sub\":\"rp\",\"iat\":1,\"exp\":2}";
static const char *const all_algs[] = { "ES256", "RS256", "PS256", NULL };

/* Part i (0, 1, 2) of a compact JWS, base64url-decoded into out. */
static void part(const char *jws, int i, eid_buf *out)
{
	const char *start = jws, *end;

	for (int k = 0; k < i; k++)
		start = strchr(start, '.') + 1;
	end = strchr(start, '.');
	if (end == NULL)
		end = start + strlen(start);
	eid_buf_reset(out);
	assert_int_equal(eid_b64url_decode(start, (size_t)(end - start), out),
			 EID_OK);
}

static void expect_cjose(const char *jws, const eid_key *key, bool ok)
{
	cjose_err err;
	cjose_jws_t *j = cjose_jws_import(jws, strlen(jws), &err);

	assert_non_null(j);
	assert_int_equal(cjose_jws_verify(j, (cjose_jwk_t *)eid_key_cjose(key),
					  &err), ok);
	cjose_jws_release(j);
}

/* Header and payload byte for byte; the signature verifies with cjose and
 * with eid_jws_verify, for each algorithm we sign with. */
static void test_exact_and_verifies(void **state)
{
	struct fixture *f = *state;
	const eid_key *keys[3] = { f->keys[0], f->keys[1], f->keys[2] };
	eid_buf b;

	eid_buf_init(&b, 4096);
	for (int i = 0; i < 3; i++) {
		char want[256], *jws = NULL;
		json_t *claims = NULL;

		snprintf(want, sizeof(want),
			 "{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"at+jwt\"}",
			 eid_alg_name(fixture_algs[i]), eid_key_kid(keys[i]));
		assert_int_equal(eid_jws_sign_payload(keys[i], "at+jwt",
						      payload,
						      strlen(payload), &jws),
				 EID_OK);
		part(jws, 0, &b);
		assert_int_equal(b.len, strlen(want));
		assert_memory_equal(b.data, want, b.len);
		part(jws, 1, &b);
		assert_int_equal(b.len, strlen(payload));
		assert_memory_equal(b.data, payload, b.len);
		part(jws, 2, &b);
		if (fixture_algs[i] == EID_ALG_ES256)
			assert_int_equal(b.len, 64); /* R || S, not DER */
		else
			assert_int_equal(b.len, 384); /* RSA-3072 */
		expect_cjose(jws, keys[i], true);
		assert_int_equal(eid_jws_verify(jws, strlen(jws), keys, 3,
						all_algs, NULL, &claims),
				 EID_OK);
		assert_int_equal(json_integer_value(json_object_get(claims,
								    "exp")),
				 2);
		json_decref(claims);
		free(jws);
	}
	eid_buf_free(&b);
}

/* A JWS whose header names one key but which another key of the same
 * algorithm signed does not verify, with cjose nor with eid_jws_verify;
 * nor does a JWS whose payload changed after signing. */
static void test_wrong_key_fails(void **state)
{
	struct fixture *f = *state;
	const eid_key *mine[1] = { f->keys[0] };
	eid_key *other = NULL;
	json_t *claims = NULL;
	char *jws = NULL, *dot;
	eid_buf h;

	assert_int_equal(eid_key_generate(EID_ALG_ES256, &other), EID_OK);
	eid_buf_init(&h, 1024);
	assert_int_equal(eid_jws_header(f->keys[0], NULL, &h), EID_OK);
	assert_int_equal(eid_jws_compact(other, h.data, h.len, payload,
					 strlen(payload), &jws), EID_OK);
	expect_cjose(jws, other, true);
	expect_cjose(jws, f->keys[0], false);
	assert_int_equal(eid_jws_verify(jws, strlen(jws), mine, 1, all_algs,
					NULL, &claims), EID_EVERIFY);
	assert_null(claims);
	free(jws);
	jws = NULL;
	assert_int_equal(eid_jws_sign_payload(f->keys[0], NULL, payload,
					      strlen(payload), &jws), EID_OK);
	expect_cjose(jws, f->keys[0], true);
	dot = strchr(jws, '.') + 1; /* "eyJ": '{' '"' */
	dot[3] = dot[3] == 'p' ? 'q' : 'p';
	expect_cjose(jws, f->keys[0], false);
	assert_int_equal(eid_jws_verify(jws, strlen(jws), mine, 1, all_algs,
					NULL, &claims), EID_EVERIFY);
	free(jws);
	eid_buf_free(&h);
	eid_key_free(other);
}

/* ECDSA nonces are random: two signatures over the same bytes differ and
 * both verify. */
static void test_randomised(void **state)
{
	struct fixture *f = *state;
	char *a = NULL, *b = NULL;

	assert_int_equal(eid_jws_sign_payload(f->keys[0], "JWT", payload,
					      strlen(payload), &a), EID_OK);
	assert_int_equal(eid_jws_sign_payload(f->keys[0], "JWT", payload,
					      strlen(payload), &b), EID_OK);
	assert_int_equal(strlen(a), strlen(b));
	assert_memory_equal(a, b, (size_t)(strrchr(a, '.') - a));
	assert_string_not_equal(strrchr(a, '.'), strrchr(b, '.'));
	expect_cjose(a, f->keys[0], true);
	expect_cjose(b, f->keys[0], true);
	free(a);
	free(b);
}

/* R and S are read from OpenSSL's DER by hand: one in 128 signatures has
 * a scalar shorter than 32 bytes (a leading zero byte, left out of the
 * DER INTEGER), which must come out padded.  Enough signatures that such
 * scalars certainly occur, each verified. */
static void test_short_scalars(void **state)
{
	struct fixture *f = *state;
	const eid_key *mine[1] = { f->keys[0] };
	int padded = 0;
	eid_buf b;

	eid_buf_init(&b, 128);
	for (int i = 0; i < 2000; i++) {
		char *jws = NULL;
		json_t *claims = NULL;

		assert_int_equal(eid_jws_sign_payload(f->keys[0], "JWT",
						      payload,
						      strlen(payload), &jws),
				 EID_OK);
		part(jws, 2, &b);
		assert_int_equal(b.len, 64);
		padded += b.data[0] == 0 || b.data[32] == 0;
		assert_int_equal(eid_jws_verify(jws, strlen(jws), mine, 1,
						all_algs, NULL, &claims),
				 EID_OK);
		json_decref(claims);
		free(jws);
	}
	assert_true(padded > 0);
	eid_buf_free(&b);
}

/* The same JWS as eid_jws_sign but for the signature: the header as
 * eid_jws_header writes it, the payload as eid_json_write does. */
static void test_header_no_typ_and_jose(void **state)
{
	struct fixture *f = *state;
	json_t *claims = json_pack("{s:s,s:i}", "iss", "https://id.example",
				   "exp", 2);
	char *viajose = NULL;
	eid_buf h, b;

	eid_buf_init(&h, 1024);
	eid_buf_init(&b, 4096);
	assert_int_equal(eid_jws_header(f->keys[0], NULL, &h), EID_OK);
	assert_non_null(eid_buf_cstr(&h));
	assert_null(strstr((const char *)h.data, "typ"));
	assert_int_equal(eid_jws_sign(f->keys[0], NULL, claims, &viajose),
			 EID_OK);
	part(viajose, 0, &b);
	assert_int_equal(b.len, h.len);
	assert_memory_equal(b.data, h.data, h.len);
	part(viajose, 1, &b);
	assert_int_equal(b.len, strlen("{\"iss\":\"https://id.example\","
				       "\"exp\":2}"));
	expect_cjose(viajose, f->keys[0], true);
	free(viajose);
	json_decref(claims);
	eid_buf_free(&h);
	eid_buf_free(&b);
}

static void test_refused(void **state)
{
	struct fixture *f = *state;
	json_t *jwk = NULL;
	eid_key *pub = NULL;
	char *jws = NULL, *big;
	eid_buf sig;

	/* A public key cannot sign, and has no prepared context. */
	assert_int_equal(eid_key_public_jwk(f->keys[0], &jwk), EID_OK);
	assert_int_equal(eid_key_from_public_jwk(jwk, &pub), EID_OK);
	assert_null(eid_key_sign_ctx(pub));
	assert_non_null(eid_key_sign_ctx(f->keys[0]));
	assert_int_equal(eid_jws_sign_payload(pub, NULL, payload,
					      strlen(payload), &jws),
			 EID_EINVAL);
	eid_buf_init(&sig, 1024);
	assert_int_equal(eid_jws_signature(pub, "x", 1, &sig), EID_EINVAL);
	assert_int_equal(sig.len, 0);
	eid_buf_free(&sig);
	/* Past the part cap. */
	big = calloc(1, EID_JWS_PART_MAX + 2);
	assert_non_null(big);
	memset(big, 'a', EID_JWS_PART_MAX + 1);
	assert_int_equal(eid_jws_sign_payload(f->keys[0], NULL, big,
					      EID_JWS_PART_MAX + 1, &jws),
			 EID_ETOOBIG);
	assert_null(jws);
	free(big);
	eid_key_free(pub);
	json_decref(jwk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_and_verifies),
		cmocka_unit_test(test_wrong_key_fails),
		cmocka_unit_test(test_randomised),
		cmocka_unit_test(test_short_scalars),
		cmocka_unit_test(test_header_no_typ_and_jose),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
