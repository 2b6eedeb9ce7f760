#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <cjose/jwk.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/keys.h"
#include "key_fixture.h"
#include "crypto/secret.h"

static const eid_alg *const algs = fixture_algs;
static const uint8_t kek[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
				 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
				 25, 26, 27, 28, 29, 30, 31, 32 };

static void seal(const eid_key *key, eid_buf *blob)
{
	eid_buf_init(blob, EID_KEY_SEAL_MAX);
	assert_int_equal(eid_key_seal(key, kek, blob), EID_OK);
}

static void test_generate(void **state)
{
	struct fixture *f = *state;
	eid_key *k = NULL;

	for (int i = 0; i < 3; i++) {
		assert_int_equal(eid_key_alg(f->keys[i]), algs[i]);
		assert_true(eid_key_has_private(f->keys[i]));
		assert_int_equal(strlen(eid_key_kid(f->keys[i])), 43);
	}
	assert_int_equal(EVP_PKEY_get_bits(eid_key_pkey(f->keys[1])), 3072);
	assert_int_equal(eid_key_generate(EID_ALG_ES384, &k), EID_EUNSUPPORTED);
	assert_int_equal(eid_key_generate(EID_ALG_UNSET, &k), EID_EUNSUPPORTED);
	assert_null(k);
	eid_key_free(NULL);
}

static void test_seal_roundtrip(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 3; i++) {
		eid_key *k = NULL;
		eid_buf blob;
		json_t *claims = json_pack("{s:s}", "sub", "x"), *got = NULL;
		char *jws = NULL;

		seal(f->keys[i], &blob);
		assert_int_equal(eid_key_unseal(blob.data, blob.len, kek, &k),
				 EID_OK);
		assert_string_equal(eid_key_kid(k), eid_key_kid(f->keys[i]));
		assert_int_equal(eid_key_alg(k), algs[i]);
		/* The unsealed key signs what the original verifies. */
		const char *alg[] = { eid_alg_name(algs[i]), NULL };
		assert_int_equal(eid_jws_sign(k, "JWT", claims, &jws), EID_OK);
		assert_int_equal(eid_jws_verify(jws, strlen(jws),
						(const eid_key *const *)&f->keys[i],
						1, alg, NULL, &got), EID_OK);
		free(jws);
		json_decref(got);
		json_decref(claims);
		eid_key_free(k);
		eid_buf_free(&blob);
	}
}

static void test_seal_wrong_kek(void **state)
{
	struct fixture *f = *state;
	uint8_t other[32];
	eid_key *k = NULL;
	eid_buf blob;

	memcpy(other, kek, sizeof(other));
	other[31] ^= 1;
	seal(f->keys[0], &blob);
	assert_int_equal(eid_key_unseal(blob.data, blob.len, other, &k),
			 EID_EVERIFY);
	assert_null(k);
	eid_buf_free(&blob);
}

static void test_seal_tamper(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 3; i++) {
		eid_key *k = NULL;
		eid_buf blob;

		seal(f->keys[i], &blob);
		for (size_t j = 0; j < blob.len; j++) {
			blob.data[j] ^= 0x01;
			assert_int_not_equal(eid_key_unseal(blob.data, blob.len,
							    kek, &k), EID_OK);
			blob.data[j] ^= 0x01;
			blob.data[j] ^= 0x80;
			assert_int_not_equal(eid_key_unseal(blob.data, blob.len,
							    kek, &k), EID_OK);
			blob.data[j] ^= 0x80;
		}
		assert_null(k);
		/* Past the header, a flip is a failed tag, nothing else. */
		blob.data[blob.len - 1] ^= 1;
		assert_int_equal(eid_key_unseal(blob.data, blob.len, kek, &k),
				 EID_EVERIFY);
		blob.data[blob.len - 1] ^= 1;
		blob.data[1] = EID_ALG_RS256 + (i == 1); /* alg is AAD */
		assert_int_equal(eid_key_unseal(blob.data, blob.len, kek, &k),
				 EID_EVERIFY);
		eid_buf_free(&blob);
	}
}

static void test_seal_truncated(void **state)
{
	struct fixture *f = *state;
	eid_key *k = NULL;
	eid_buf blob;

	seal(f->keys[0], &blob);
	for (size_t n = 0; n < blob.len; n++) {
		int r = eid_key_unseal(blob.data, n, kek, &k);
		assert_true(r == EID_EMALFORMED || r == EID_EVERIFY);
		/* Short of the header, nonce and a tag: malformed. */
		if (n <= 3 + 43 + 12 + 16)
			assert_int_equal(r, EID_EMALFORMED);
	}
	assert_int_equal(eid_key_unseal(NULL, 0, kek, &k), EID_EMALFORMED);
	blob.data[0] = 0x02;
	assert_int_equal(eid_key_unseal(blob.data, blob.len, kek, &k),
			 EID_EUNSUPPORTED);
	assert_null(k);
	eid_buf_free(&blob);
}

static void test_seal_public_refused(void **state)
{
	struct fixture *f = *state;
	json_t *jwk = NULL;
	eid_key *pub = NULL;
	eid_buf blob;

	assert_int_equal(eid_key_public_jwk(f->keys[0], &jwk), EID_OK);
	assert_int_equal(eid_key_from_public_jwk(jwk, &pub), EID_OK);
	eid_buf_init(&blob, EID_KEY_SEAL_MAX);
	assert_int_equal(eid_key_seal(pub, kek, &blob), EID_EINVAL);
	assert_int_equal(blob.len, 0);
	eid_buf_free(&blob);
	eid_key_free(pub);
	json_decref(jwk);
}

/* ---- KEK ---- */

static char tmpdir[64];

static int kek_setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/eid-kek-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int kek_teardown(void **state)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/kek", tmpdir);
	unlink(path);
	return rmdir(tmpdir);
}

static void write_kek(const char *path, const char *text, mode_t mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static const char hex64[] =
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char b64_43[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

static void expect_kek(const char *path, const char *text, int want)
{
	uint8_t got[32];

	write_kek(path, text, 0600);
	assert_int_equal(eid_kek_load(path, NULL, got), want);
	if (want == EID_OK)
		for (int i = 0; i < 32; i++)
			assert_int_equal(got[i], i);
}

static void test_kek_forms(void **state)
{
	char path[128];
	char buf[200];

	snprintf(path, sizeof(path), "%s/kek", tmpdir);
	expect_kek(path, hex64, EID_OK);
	snprintf(buf, sizeof(buf), "%s\n", hex64);
	expect_kek(path, buf, EID_OK);
	snprintf(buf, sizeof(buf), "%s\r\n", hex64);
	expect_kek(path, buf, EID_OK);
	expect_kek(path, b64_43, EID_OK);
	snprintf(buf, sizeof(buf), "%s=\n", b64_43);
	expect_kek(path, buf, EID_OK);
	/* Bad lengths, characters, padding, doubled newlines. */
	expect_kek(path, hex64 + 1, EID_EMALFORMED);
	snprintf(buf, sizeof(buf), "%s0", hex64);
	expect_kek(path, buf, EID_EMALFORMED);
	snprintf(buf, sizeof(buf), "%.63sg", hex64);
	expect_kek(path, buf, EID_EMALFORMED);
	snprintf(buf, sizeof(buf), "%s\n\n", hex64);
	expect_kek(path, buf, EID_EMALFORMED);
	snprintf(buf, sizeof(buf), "%s==", b64_43);
	expect_kek(path, buf, EID_EMALFORMED);
	snprintf(buf, sizeof(buf), "%.42s+", b64_43);
	expect_kek(path, buf, EID_EMALFORMED);
	expect_kek(path, b64_43 + 1, EID_EMALFORMED);
	expect_kek(path, "", EID_EMALFORMED);
	snprintf(buf, sizeof(buf), "%s%s", hex64, hex64);
	expect_kek(path, buf, EID_EMALFORMED);
}

static void test_kek_permissions(void **state)
{
	char path[128];
	uint8_t got[32];

	snprintf(path, sizeof(path), "%s/kek", tmpdir);
	write_kek(path, hex64, 0644);
	assert_int_equal(eid_kek_load(path, NULL, got), EID_EPERM);
	write_kek(path, hex64, 0640);
	assert_int_equal(eid_kek_load(path, NULL, got), EID_EPERM);
	write_kek(path, hex64, 0602);
	assert_int_equal(eid_kek_load(path, NULL, got), EID_EPERM);
	write_kek(path, hex64, 0400);
	assert_int_equal(eid_kek_load(path, NULL, got), EID_OK);
	assert_int_equal(eid_kek_load(tmpdir, NULL, got), EID_EIO);
	unlink(path);
}

static void test_kek_env(void **state)
{
	char path[128];
	uint8_t got[32];

	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	unsetenv("EID_TEST_KEK");
	assert_int_equal(eid_kek_load(NULL, NULL, got), EID_ENOTFOUND);
	assert_int_equal(eid_kek_load(path, "EID_TEST_KEK", got),
			 EID_ENOTFOUND);
	setenv("EID_TEST_KEK", hex64, 1);
	assert_int_equal(eid_kek_load(NULL, "EID_TEST_KEK", got), EID_OK);
	assert_int_equal(got[31], 31);
	/* A missing file falls back to the variable. */
	memset(got, 0, sizeof(got));
	assert_int_equal(eid_kek_load(path, "EID_TEST_KEK", got), EID_OK);
	assert_int_equal(got[31], 31);
	setenv("EID_TEST_KEK", b64_43, 1);
	assert_int_equal(eid_kek_load(NULL, "EID_TEST_KEK", got), EID_OK);
	setenv("EID_TEST_KEK", "short", 1);
	assert_int_equal(eid_kek_load(NULL, "EID_TEST_KEK", got),
			 EID_EMALFORMED);
	unsetenv("EID_TEST_KEK");
}

static void test_kek_generate_file(void **state)
{
	char path[128];
	uint8_t a[32], b[32];
	struct stat st;

	snprintf(path, sizeof(path), "%s/kek", tmpdir);
	unlink(path);
	assert_int_equal(eid_kek_generate_file(path), EID_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 65);
	assert_int_equal(eid_kek_load(path, NULL, a), EID_OK);
	assert_int_equal(eid_kek_generate_file(path), EID_EEXIST);
	assert_int_equal(eid_kek_load(path, NULL, b), EID_OK);
	assert_memory_equal(a, b, 32);
	unlink(path);
}

/* ---- public JWKs ---- */

static void assert_no_private(const json_t *jwk)
{
	static const char *const priv[] = { "d", "p", "q", "dp", "dq", "qi",
					    "oth", "k" };

	for (size_t i = 0; i < sizeof(priv) / sizeof(priv[0]); i++)
		assert_null(json_object_get(jwk, priv[i]));
}

static void test_public_jwk(void **state)
{
	struct fixture *f = *state;
	char tp[EID_THUMBPRINT_LEN + 1];

	for (int i = 0; i < 3; i++) {
		json_t *jwk = NULL;

		assert_int_equal(eid_key_public_jwk(f->keys[i], &jwk), EID_OK);
		assert_no_private(jwk);
		assert_string_equal(json_string_value(json_object_get(jwk, "use")),
				    "sig");
		assert_string_equal(json_string_value(json_object_get(jwk, "alg")),
				    eid_alg_name(algs[i]));
		assert_string_equal(json_string_value(json_object_get(jwk, "kid")),
				    eid_key_kid(f->keys[i]));
		assert_int_equal(eid_jwk_thumbprint(jwk, tp), EID_OK);
		assert_string_equal(tp, eid_key_kid(f->keys[i]));
		if (i == 0) {
			assert_string_equal(json_string_value(json_object_get(jwk, "crv")),
					    "P-256");
			assert_int_equal(json_string_length(json_object_get(jwk, "x")), 43);
			assert_int_equal(json_string_length(json_object_get(jwk, "y")), 43);
		} else {
			assert_string_equal(json_string_value(json_object_get(jwk, "e")),
					    "AQAB");
			assert_int_equal(json_string_length(json_object_get(jwk, "n")), 512);
		}
		json_decref(jwk);
	}
}

static void test_jwks(void **state)
{
	struct fixture *f = *state;
	json_t *jwks = NULL, *arr;

	assert_int_equal(eid_jwks_build((const eid_key *const *)f->keys, 3, &jwks),
			 EID_OK);
	arr = json_object_get(jwks, "keys");
	assert_int_equal(json_array_size(arr), 3);
	for (size_t i = 0; i < 3; i++)
		assert_no_private(json_array_get(arr, i));
	assert_int_equal(json_object_size(jwks), 1);
	json_decref(jwks);
	assert_int_equal(eid_jwks_build(NULL, 0, &jwks), EID_OK);
	assert_int_equal(json_array_size(json_object_get(jwks, "keys")), 0);
	json_decref(jwks);
}

static void test_from_public_jwk_roundtrip(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 3; i++) {
		json_t *jwk = NULL, *again = NULL;
		eid_key *k = NULL;

		assert_int_equal(eid_key_public_jwk(f->keys[i], &jwk), EID_OK);
		assert_int_equal(eid_key_from_public_jwk(jwk, &k), EID_OK);
		assert_false(eid_key_has_private(k));
		assert_int_equal(eid_key_alg(k), algs[i]);
		assert_string_equal(eid_key_kid(k), eid_key_kid(f->keys[i]));
		assert_int_equal(eid_key_public_jwk(k, &again), EID_OK);
		assert_true(json_equal(jwk, again));
		json_decref(again);
		json_decref(jwk);
		eid_key_free(k);
	}
}

static json_t *cjose_public(cjose_jwk_t *cj)
{
	char *s = cjose_jwk_to_json(cj, false, NULL);
	json_t *o = json_loads(s, 0, NULL);

	free(s);
	cjose_jwk_release(cj);
	return o;
}

static void expect_jwk(json_t *jwk, int want)
{
	eid_key *k = NULL;

	assert_int_equal(eid_key_from_public_jwk(jwk, &k), want);
	if (want != EID_OK)
		assert_null(k);
	eid_key_free(k);
}

static void test_from_public_jwk_other(void **state)
{
	json_t *p384 = cjose_public(cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_384,
							       NULL));
	static const uint8_t e[] = { 1, 0, 1 };
	json_t *rsa1024 = cjose_public(cjose_jwk_create_RSA_random(1024, e, 3,
								   NULL));
	json_t *rsa = json_pack("{s:s,s:s,s:s}", "kty", "RSA", "e", "AQAB", "n",
				"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw");
	eid_key *k = NULL;

	assert_int_equal(eid_key_from_public_jwk(p384, &k), EID_OK);
	assert_int_equal(eid_key_alg(k), EID_ALG_ES384);
	assert_true(eid_key_accepts(k, EID_ALG_ES384));
	assert_false(eid_key_accepts(k, EID_ALG_ES256));
	eid_key_free(k);
	expect_jwk(rsa1024, EID_EUNSUPPORTED);
	/* RSA without alg: kid is the thumbprint, RS256 and PS256 both fit. */
	assert_int_equal(eid_key_from_public_jwk(rsa, &k), EID_OK);
	assert_string_equal(eid_key_kid(k),
			    "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	assert_int_equal(eid_key_alg(k), EID_ALG_UNSET);
	assert_true(eid_key_accepts(k, EID_ALG_RS256));
	assert_true(eid_key_accepts(k, EID_ALG_PS256));
	assert_false(eid_key_accepts(k, EID_ALG_ES256));
	eid_key_free(k);
	json_object_set_new(rsa, "kid", json_string("2011-04-29"));
	json_object_set_new(rsa, "alg", json_string("RS256"));
	assert_int_equal(eid_key_from_public_jwk(rsa, &k), EID_OK);
	assert_string_equal(eid_key_kid(k), "2011-04-29");
	assert_false(eid_key_accepts(k, EID_ALG_PS256));
	eid_key_free(k);
	json_object_set_new(rsa, "alg", json_string("ES256"));
	expect_jwk(rsa, EID_EMISMATCH);
	json_object_set_new(p384, "alg", json_string("ES256"));
	expect_jwk(p384, EID_EMISMATCH);
	json_object_set_new(p384, "alg", json_string("RS256"));
	expect_jwk(p384, EID_EMISMATCH);
	json_object_set_new(p384, "alg", json_string("HS256"));
	expect_jwk(p384, EID_EUNSUPPORTED);
	json_decref(p384);
	json_decref(rsa1024);
	json_decref(rsa);
}

static void test_from_public_jwk_refused(void **state)
{
	struct fixture *f = *state;
	static const char *const priv[] = { "d", "p", "q", "dp", "dq", "qi",
					    "oth", "k" };
	json_t *jwk = NULL, *bad;
	char y[64];

	assert_int_equal(eid_key_public_jwk(f->keys[0], &jwk), EID_OK);
	for (size_t i = 0; i < sizeof(priv) / sizeof(priv[0]); i++) {
		bad = json_deep_copy(jwk);
		json_object_set_new(bad, priv[i], json_string("AAAA"));
		expect_jwk(bad, EID_EINVAL);
		json_decref(bad);
	}
	bad = json_deep_copy(jwk);
	json_object_set_new(bad, "kty", json_string("oct"));
	expect_jwk(bad, EID_EUNSUPPORTED);
	json_object_set_new(bad, "kty", json_string("OKP"));
	expect_jwk(bad, EID_EUNSUPPORTED);
	json_object_del(bad, "kty");
	expect_jwk(bad, EID_EMALFORMED);
	json_decref(bad);
	bad = json_deep_copy(jwk);
	json_object_set_new(bad, "crv", json_string("P-521"));
	expect_jwk(bad, EID_EUNSUPPORTED);
	json_object_set_new(bad, "crv", json_string("P-256"));
	json_object_set_new(bad, "use", json_string("enc"));
	expect_jwk(bad, EID_EUNSUPPORTED);
	json_object_set_new(bad, "use", json_integer(1));
	expect_jwk(bad, EID_EMALFORMED);
	json_object_del(bad, "use");
	json_object_set_new(bad, "x", json_string("AAAA"));
	expect_jwk(bad, EID_EMALFORMED);
	json_object_set_new(bad, "x", json_integer(7));
	expect_jwk(bad, EID_EMALFORMED);
	json_decref(bad);
	/* A point off the curve. */
	bad = json_deep_copy(jwk);
	snprintf(y, sizeof(y), "%s", json_string_value(json_object_get(jwk, "y")));
	y[5] = y[5] == 'A' ? 'B' : 'A';
	json_object_set_new(bad, "y", json_string(y));
	expect_jwk(bad, EID_EMALFORMED);
	json_decref(bad);
	bad = json_array();
	expect_jwk(bad, EID_EMALFORMED);
	json_decref(bad);
	expect_jwk(NULL, EID_EMALFORMED);
	json_decref(jwk);
}

int main(void)
{
	const struct CMUnitTest key_tests[] = {
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_seal_roundtrip),
		cmocka_unit_test(test_seal_wrong_kek),
		cmocka_unit_test(test_seal_tamper),
		cmocka_unit_test(test_seal_truncated),
		cmocka_unit_test(test_seal_public_refused),
		cmocka_unit_test(test_public_jwk),
		cmocka_unit_test(test_jwks),
		cmocka_unit_test(test_from_public_jwk_roundtrip),
		cmocka_unit_test(test_from_public_jwk_other),
		cmocka_unit_test(test_from_public_jwk_refused),
	};
	const struct CMUnitTest kek_tests[] = {
		cmocka_unit_test(test_kek_forms),
		cmocka_unit_test(test_kek_permissions),
		cmocka_unit_test(test_kek_env),
		cmocka_unit_test(test_kek_generate_file),
	};
	int r = cmocka_run_group_tests(key_tests, fixture_setup, fixture_teardown);

	return r | cmocka_run_group_tests(kek_tests, kek_setup, kek_teardown);
}
