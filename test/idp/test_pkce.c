#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/pkce.h"

/* RFC 7636 Appendix B. */
#define RFC_VERIFIER "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define RFC_CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

static void test_rfc7636_vector(void **state)
{
	char c[EID_PKCE_CHALLENGE_LEN + 1];

	assert_int_equal(eid_pkce_challenge(RFC_VERIFIER, c), EID_OK);
	assert_string_equal(c, RFC_CHALLENGE);
	assert_int_equal(eid_pkce_verify(RFC_VERIFIER, RFC_CHALLENGE), EID_OK);
}

static void test_mismatch(void **state)
{
	/* Last character of the verifier changed. */
	assert_int_equal(eid_pkce_verify(
		"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj", RFC_CHALLENGE),
		EID_EVERIFY);
	/* Another well-formed challenge. */
	assert_int_equal(eid_pkce_verify(RFC_VERIFIER,
		"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cA"), EID_EVERIFY);
}

static void test_method(void **state)
{
	assert_int_equal(eid_pkce_method_check("S256"), EID_OK);
	assert_int_equal(eid_pkce_method_check("plain"), EID_EUNSUPPORTED);
	assert_int_equal(eid_pkce_method_check("s256"), EID_EUNSUPPORTED);
	assert_int_equal(eid_pkce_method_check(""), EID_EUNSUPPORTED);
	assert_int_equal(eid_pkce_method_check(NULL), EID_EINVAL);
}

static void test_challenge_shape(void **state)
{
	char longer[64];

	assert_int_equal(eid_pkce_challenge_check(RFC_CHALLENGE), EID_OK);
	assert_int_equal(eid_pkce_challenge_check(NULL), EID_EMALFORMED);
	assert_int_equal(eid_pkce_challenge_check(""), EID_EMALFORMED);
	/* 42 characters, padded, standard alphabet, bad final bits */
	assert_int_equal(eid_pkce_challenge_check(
		"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c"), EID_EMALFORMED);
	assert_int_equal(eid_pkce_challenge_check(
		"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM="), EID_EMALFORMED);
	assert_int_equal(eid_pkce_challenge_check(
		"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"), EID_EMALFORMED);
	assert_int_equal(eid_pkce_challenge_check(
		"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"), EID_EMALFORMED);
	snprintf(longer, sizeof(longer), "%sA", RFC_CHALLENGE);
	assert_int_equal(eid_pkce_challenge_check(longer), EID_EMALFORMED);
	assert_int_equal(eid_pkce_verify(RFC_VERIFIER, longer), EID_EMALFORMED);
}

static void test_verifier_shape(void **state)
{
	char v[200];
	char c[EID_PKCE_CHALLENGE_LEN + 1];

	memset(v, 'a', sizeof(v));
	v[42] = '\0';
	assert_int_equal(eid_pkce_verifier_check(v), EID_EMALFORMED);
	v[42] = 'a';
	v[43] = '\0';
	assert_int_equal(eid_pkce_verifier_check(v), EID_OK);
	memset(v, 'a', sizeof(v));
	v[128] = '\0';
	assert_int_equal(eid_pkce_verifier_check(v), EID_OK);
	v[128] = 'a';
	v[129] = '\0';
	assert_int_equal(eid_pkce_verifier_check(v), EID_EMALFORMED);
	assert_int_equal(eid_pkce_challenge(v, c), EID_EMALFORMED);
	assert_int_equal(eid_pkce_verify(v, RFC_CHALLENGE), EID_EMALFORMED);
	/* the whole unreserved set, then one character outside it */
	snprintf(v, sizeof(v), "%s",
		 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~");
	assert_int_equal(eid_pkce_verifier_check(v), EID_OK);
	v[10] = '+';
	assert_int_equal(eid_pkce_verifier_check(v), EID_EMALFORMED);
	v[10] = ' ';
	assert_int_equal(eid_pkce_verifier_check(v), EID_EMALFORMED);
	v[10] = (char)0xc3;
	assert_int_equal(eid_pkce_verifier_check(v), EID_EMALFORMED);
	assert_int_equal(eid_pkce_verifier_check(NULL), EID_EMALFORMED);
	assert_int_equal(eid_pkce_challenge(RFC_VERIFIER, NULL), EID_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc7636_vector),
		cmocka_unit_test(test_mismatch),
		cmocka_unit_test(test_method),
		cmocka_unit_test(test_challenge_shape),
		cmocka_unit_test(test_verifier_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
