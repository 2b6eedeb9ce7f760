#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cjose/header.h>
#include <cjose/jws.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/keys.h"
#include "key_fixture.h"

/* ---- base64url ---- */

static void expect_encode(const char *in, size_t n, const char *want)
{
	eid_buf b;

	eid_buf_init(&b, 1024);
	assert_int_equal(eid_b64url_encode(in, n, &b), EID_OK);
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.data, want, b.len);
	eid_buf_reset(&b);
	assert_int_equal(eid_b64url_decode(want, strlen(want), &b), EID_OK);
	assert_int_equal(b.len, n);
	if (n > 0)
		assert_memory_equal(b.data, in, n);
	eid_buf_free(&b);
}

static void test_b64url_vectors(void **state)
{
	/* RFC 4648 section 10, and the two URL-safe characters. */
	expect_encode("", 0, "");
	expect_encode("f", 1, "Zg");
	expect_encode("fo", 2, "Zm8");
	expect_encode("foo", 3, "Zm9v");
	expect_encode("foob", 4, "Zm9vYg");
	expect_encode("fooba", 5, "Zm9vYmE");
	expect_encode("foobar", 6, "Zm9vYmFy");
	expect_encode("\xfb\xff\xbf", 3, "-_-_");
	expect_encode("\x00\x00", 2, "AAA");
}

static void test_b64url_strict(void **state)
{
	static const char *const bad[] = {
		"Z", "Zg==", "Zg=", "Zm9v=", "Zh", "Zm9", "Zm9vYh", "Zm+v",
		"Zm/v", "Zm9v\n", " Zm9v", "Zm 9v", "Zm9vY", "Zm9v\x80", "====",
		"Zm\0v",
	};
	eid_buf b;

	eid_buf_init(&b, 64);
	assert_int_equal(eid_buf_put(&b, "keep", 4), EID_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = i == sizeof(bad) / sizeof(bad[0]) - 1 ? 4 : strlen(bad[i]);
		assert_int_equal(eid_b64url_decode(bad[i], n, &b), EID_EMALFORMED);
		/* A failed decode leaves the buffer as it was. */
		assert_int_equal(b.len, 4);
	}
	eid_buf_free(&b);
	eid_buf_init(&b, 2);
	assert_int_equal(eid_b64url_decode("Zm9v", 4, &b), EID_ETOOBIG);
	assert_int_equal(eid_b64url_encode("foo", 3, &b), EID_ETOOBIG);
	assert_int_equal(b.len, 0);
	eid_buf_free(&b);
}

static void test_b64url_random(void **state)
{
	uint8_t in[100];
	eid_buf enc, dec;

	eid_buf_init(&enc, 1024);
	eid_buf_init(&dec, 1024);
	for (size_t n = 0; n <= sizeof(in); n++) {
		for (size_t i = 0; i < n; i++)
			in[i] = (uint8_t)(rand() & 0xff);
		eid_buf_reset(&enc);
		eid_buf_reset(&dec);
		assert_int_equal(eid_b64url_encode(in, n, &enc), EID_OK);
		assert_int_equal(enc.len, (n * 4 + 2) / 3);
		assert_int_equal(eid_b64url_decode((char *)enc.data, enc.len,
						   &dec), EID_OK);
		assert_int_equal(dec.len, n);
		if (n > 0)
			assert_memory_equal(dec.data, in, n);
	}
	eid_buf_free(&enc);
	eid_buf_free(&dec);
}

/* Every possible final character: exactly the canonical ones decode. */
static void test_b64url_canonical(void **state)
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	int ok2 = 0, ok3 = 0;
	char s[4];
	eid_buf b;

	eid_buf_init(&b, 16);
	for (int c = 0; c < 256; c++) {
		s[0] = 'Q';
		s[1] = (char)c;
		s[2] = (char)c;
		if (eid_b64url_decode(s, 2, &b) == EID_OK) {
			ok2++;
			assert_non_null(strchr(alpha, c));
		}
		eid_buf_reset(&b);
		if (eid_b64url_decode(s, 3, &b) == EID_OK)
			ok3++;
		eid_buf_reset(&b);
	}
	assert_int_equal(ok2, 4);  /* low 4 bits zero */
	assert_int_equal(ok3, 16); /* low 2 bits zero */
	eid_buf_free(&b);
}

/* ---- hashes ---- */

static void test_b64url_encode_str(void **state)
{
	char out[EID_B64URL_LEN(3) + 1];

	assert_int_equal(EID_B64URL_LEN(32), 43);
	assert_int_equal(eid_b64url_encode_str("\xfb\xff\x01", 3, out,
					       sizeof(out)), EID_OK);
	assert_string_equal(out, "-_8B");
	assert_int_equal(eid_b64url_encode_str("ab", 2, out, sizeof(out)),
			 EID_OK);
	assert_string_equal(out, "YWI");
	assert_int_equal(eid_b64url_encode_str("abcd", 4, out, sizeof(out)),
			 EID_ETOOBIG);
	assert_int_equal(eid_b64url_encode_str("", 0, out, 1), EID_OK);
	assert_string_equal(out, "");
	assert_int_equal(eid_b64url_encode_str("a", 1, out, 0), EID_EINVAL);
}

static void test_json_merge(void **state)
{
	static const char *const reserved[] = { "iss", "sub", NULL };
	json_t *dst = json_pack("{s:s}", "iss", "me");
	json_t *src = json_pack("{s:i,s:[]}", "a", 1, "b");
	json_t *bad = json_pack("{s:i,s:s}", "z", 1, "sub", "forged");
	json_t *arr = json_array();

	assert_int_equal(eid_json_merge(dst, src, reserved), EID_OK);
	assert_int_equal(json_object_size(dst), 3);
	assert_int_equal(eid_json_merge(dst, NULL, reserved), EID_OK);
	assert_int_equal(eid_json_merge(dst, bad, reserved), EID_EINVAL);
	assert_null(json_object_get(dst, "z")); /* unchanged */
	assert_string_equal(json_string_value(json_object_get(dst, "iss")),
			    "me");
	assert_int_equal(eid_json_merge(dst, bad, NULL), EID_OK);
	assert_string_equal(json_string_value(json_object_get(dst, "sub")),
			    "forged");
	assert_int_equal(eid_json_merge(dst, arr, NULL), EID_EINVAL);
	assert_int_equal(eid_json_merge(arr, src, NULL), EID_EINVAL);
	json_decref(dst);
	json_decref(src);
	json_decref(bad);
	json_decref(arr);
}

static void test_sha256(void **state)
{
	static const uint8_t want[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
		0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
		0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	uint8_t d[32];

	assert_int_equal(eid_sha256("abc", 3, d), EID_OK);
	assert_memory_equal(d, want, 32);
}

static const char rfc7638_n[] =
	"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

static void test_thumbprint(void **state)
{
	json_t *jwk = json_pack("{s:s,s:s,s:s,s:s,s:s}", "kty", "RSA", "n",
				rfc7638_n, "e", "AQAB", "alg", "RS256", "kid",
				"2011-04-29");
	char tp[EID_THUMBPRINT_LEN + 1];

	/* RFC 7638 section 3.1. */
	assert_int_equal(eid_jwk_thumbprint(jwk, tp), EID_OK);
	assert_string_equal(tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	json_object_del(jwk, "e");
	assert_int_equal(eid_jwk_thumbprint(jwk, tp), EID_EMALFORMED);
	json_object_set_new(jwk, "kty", json_string("oct"));
	assert_int_equal(eid_jwk_thumbprint(jwk, tp), EID_EUNSUPPORTED);
	json_decref(jwk);
	assert_int_equal(eid_jwk_thumbprint(NULL, tp), EID_EMALFORMED);
}

static void test_hash_half(void **state)
{
	eid_buf b;

	eid_buf_init(&b, 64);
	assert_int_equal(eid_oidc_hash_half(EID_ALG_ES256, "abc", &b), EID_OK);
	assert_int_equal(b.len, 22);
	assert_memory_equal(b.data, "ungWv48Bz-pBQUDeXa4iIw", 22);
	eid_buf_reset(&b);
	assert_int_equal(eid_oidc_hash_half(EID_ALG_PS256, "abc", &b), EID_OK);
	assert_memory_equal(b.data, "ungWv48Bz-pBQUDeXa4iIw", 22);
	eid_buf_reset(&b);
	assert_int_equal(eid_oidc_hash_half(EID_ALG_ES384, "abc", &b), EID_OK);
	assert_int_equal(b.len, 32);
	assert_memory_equal(b.data, "ywB1P0WjXou1oD1pmsZQBycsMqsO3tFj", 32);
	assert_int_equal(eid_oidc_hash_half(EID_ALG_UNSET, "abc", &b),
			 EID_EINVAL);
	eid_buf_free(&b);
}

/* ---- JWS ---- */

static const eid_alg *const algs = fixture_algs;
static const char *const all_algs[] = { "ES256", "RS256", "PS256", "ES384",
					NULL };

static const eid_key *const *kl(struct fixture *f)
{
	return (const eid_key *const *)f->keys;
}

static int verify(struct fixture *f, const char *jws, const char *const *allowed)
{
	json_t *claims = NULL;
	int r = eid_jws_verify(jws, strlen(jws), kl(f), 3, allowed, NULL,
			       &claims);

	if (r != EID_OK)
		assert_null(claims);
	json_decref(claims);
	return r;
}

/* A malloc'd JWS (the caller frees it). */
static char *sign(const eid_key *key)
{
	json_t *claims = json_pack("{s:s,s:i}", "sub", "alice", "exp", 42);
	char *out = NULL;
	int r = eid_jws_sign(key, "at+jwt", claims, &out);

	json_decref(claims);
	assert_int_equal(r, EID_OK);
	assert_non_null(out);
	return out;
}

static void test_sign_verify(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 3; i++) {
		json_t *hdr = NULL, *claims = NULL;
		char *jws = sign(f->keys[i]);

		assert_int_equal(eid_jws_verify(jws, strlen(jws), kl(f), 3,
						all_algs, &hdr, &claims),
				 EID_OK);
		assert_string_equal(json_string_value(json_object_get(hdr, "alg")),
				    eid_alg_name(algs[i]));
		assert_string_equal(json_string_value(json_object_get(hdr, "kid")),
				    eid_key_kid(f->keys[i]));
		assert_string_equal(json_string_value(json_object_get(hdr, "typ")),
				    "at+jwt");
		assert_string_equal(json_string_value(json_object_get(claims, "sub")),
				    "alice");
		assert_int_equal(json_integer_value(json_object_get(claims, "exp")),
				 42);
		json_decref(hdr);
		json_decref(claims);
		free(jws);
	}
}

static void test_sign_no_typ(void **state)
{
	struct fixture *f = *state;
	json_t *claims = json_object(), *hdr = NULL, *got = NULL;
	char *jws = NULL;

	assert_int_equal(eid_jws_sign(f->keys[0], NULL, claims, &jws), EID_OK);
	assert_int_equal(eid_jws_verify(jws, strlen(jws), kl(f), 3, all_algs,
					&hdr, &got), EID_OK);
	assert_null(json_object_get(hdr, "typ"));
	assert_int_equal(json_object_size(got), 0);
	json_decref(hdr);
	json_decref(got);
	free(jws);
	assert_int_equal(eid_jws_sign(f->keys[0], NULL, NULL, &jws), EID_EINVAL);
	json_decref(claims);
}

/* Extra header members travel as JSON of any type; ours cannot be
 * overridden. */
static void test_sign_ex_header(void **state)
{
	struct fixture *f = *state;
	json_t *claims = json_pack("{s:s}", "sub", "x"), *pub = NULL;
	json_t *extra, *hdr = NULL, *got = NULL;
	char *jws = NULL;

	assert_int_equal(eid_key_public_jwk(f->keys[0], &pub), EID_OK);
	extra = json_pack("{s:O,s:i,s:[s]}", "jwk", pub, "n", 7, "a", "b");
	assert_int_equal(eid_jws_sign_ex(f->keys[0], "dpop+jwt", extra, claims,
					 &jws), EID_OK);
	assert_int_equal(eid_jws_verify(jws, strlen(jws), kl(f), 3, all_algs,
					&hdr, &got), EID_OK);
	assert_true(json_equal(json_object_get(hdr, "jwk"), pub));
	assert_int_equal(json_integer_value(json_object_get(hdr, "n")), 7);
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(hdr, "a"), 0)), "b");
	assert_string_equal(json_string_value(json_object_get(hdr, "typ")),
			    "dpop+jwt");
	free(jws);
	json_decref(hdr);
	json_decref(got);
	json_decref(extra);
	for (int i = 0; i < 3; i++) {
		const char *name[] = { "alg", "kid", "typ" };

		jws = NULL;
		extra = json_pack("{s:s}", name[i], "none");
		assert_int_equal(eid_jws_sign_ex(f->keys[0], NULL, extra,
						 claims, &jws), EID_EINVAL);
		assert_null(jws);
		json_decref(extra);
	}
	extra = json_array();
	assert_int_equal(eid_jws_sign_ex(f->keys[0], NULL, extra, claims, &jws),
			 EID_EINVAL);
	json_decref(extra);
	json_decref(pub);
	json_decref(claims);
}

/* ES256 signatures are raw R || S: always 64 bytes, 86 characters. */
static void test_es256_raw_signature(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 300; i++) {
		char *jws = sign(f->keys[0]);
		const char *dot = strrchr(jws, '.');
		size_t n = dot != NULL ? strlen(dot + 1) : 0;

		free(jws);
		assert_int_equal(n, 86);
	}
}

static const char rfc_payload[] =
	"eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";

static void expect_rfc_vector(json_t *jwk, const char *jws, const char *alg)
{
	const char *const allowed[] = { alg, NULL };
	json_t *claims = NULL;
	eid_key *k = NULL;

	assert_int_equal(eid_key_from_public_jwk(jwk, &k), EID_OK);
	assert_int_equal(eid_jws_verify(jws, strlen(jws),
					(const eid_key *const *)&k, 1, allowed,
					NULL, &claims), EID_OK);
	assert_string_equal(json_string_value(json_object_get(claims, "iss")),
			    "joe");
	assert_int_equal(json_integer_value(json_object_get(claims, "exp")),
			 1300819380);
	assert_true(json_is_true(json_object_get(claims,
						 "http://example.com/is_root")));
	json_decref(claims);
	eid_key_free(k);
}

/* RFC 7515 appendix A.3: ES256, published key and token. */
static void test_rfc7515_a3(void **state)
{
	json_t *jwk = json_pack("{s:s,s:s,s:s,s:s}", "kty", "EC", "crv", "P-256",
				"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
				"y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0");
	char jws[512];

	snprintf(jws, sizeof(jws), "eyJhbGciOiJFUzI1NiJ9.%s.%s", rfc_payload,
		 "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q");
	expect_rfc_vector(jwk, jws, "ES256");
	json_decref(jwk);
}

/* RFC 7515 appendix A.2: RS256, published key and token. */
static void test_rfc7515_a2(void **state)
{
	json_t *jwk = json_pack("{s:s,s:s,s:s}", "kty", "RSA", "e", "AQAB", "n",
				"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ");
	char jws[1024];

	snprintf(jws, sizeof(jws), "eyJhbGciOiJSUzI1NiJ9.%s.%s", rfc_payload,
		 "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw");
	expect_rfc_vector(jwk, jws, "RS256");
	/* The same token offered as PS256 is refused by the alg list. */
	json_decref(jwk);
}

/* Replace part idx (0..2) of jws with the base64url of text. */
static char *with_part(const char *jws, int idx, const char *text)
{
	const char *d1 = strchr(jws, '.'), *d2 = strchr(d1 + 1, '.');
	eid_buf b;
	char *out;

	eid_buf_init(&b, 65536);
	if (idx == 0) {
		assert_int_equal(eid_b64url_encode(text, strlen(text), &b), EID_OK);
		assert_int_equal(eid_buf_put_str(&b, d1), EID_OK);
	} else if (idx == 1) {
		assert_int_equal(eid_buf_put(&b, jws, (size_t)(d1 + 1 - jws)), EID_OK);
		assert_int_equal(eid_b64url_encode(text, strlen(text), &b), EID_OK);
		assert_int_equal(eid_buf_put_str(&b, d2), EID_OK);
	} else {
		assert_int_equal(eid_buf_put(&b, jws, (size_t)(d2 + 1 - jws)), EID_OK);
		assert_int_equal(eid_b64url_encode(text, strlen(text), &b), EID_OK);
	}
	assert_int_equal(eid_buf_take_str(&b, &out), EID_OK);
	eid_buf_free(&b);
	return out;
}

static void expect_part(struct fixture *f, const char *jws, int idx,
			const char *text, int want)
{
	char *t = with_part(jws, idx, text);

	assert_int_equal(verify(f, t, all_algs), want);
	free(t);
}

static void test_tampered(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 3; i++) {
		char *jws = sign(f->keys[i]);
		char *d2 = strrchr(jws, '.');
		char hdr[256];

		expect_part(f, jws, 1, "{\"sub\":\"mallory\",\"exp\":42}",
			    EID_EVERIFY);
		snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"JWT\"}",
			 eid_alg_name(algs[i]), eid_key_kid(f->keys[i]));
		expect_part(f, jws, 0, hdr, EID_EVERIFY);
		/* Flip bits across the signature. */
		for (size_t j = 1; j + 1 < strlen(d2); j += 7) {
			char c = d2[j];
			d2[j] = c == 'A' ? 'B' : 'A';
			assert_int_equal(verify(f, jws, all_algs), EID_EVERIFY);
			d2[j] = c;
		}
		/* Drop the signature's last character: bad length. */
		jws[strlen(jws) - 1] = '\0';
		assert_int_not_equal(verify(f, jws, all_algs), EID_OK);
		free(jws);
	}
}

static void test_alg_none_and_hmac(void **state)
{
	struct fixture *f = *state;
	const char *const none[] = { "none", "HS256", "ES256", NULL };
	char *jws = sign(f->keys[0]);
	char *t;

	t = with_part(jws, 0, "{\"alg\":\"none\"}");
	t[strrchr(t, '.') - t + 1] = '\0';
	assert_int_equal(verify(f, t, none), EID_EUNSUPPORTED);
	free(t);
	t = with_part(jws, 0, "{\"alg\":\"HS256\"}");
	assert_int_equal(verify(f, t, none), EID_EUNSUPPORTED);
	free(t);
	expect_part(f, jws, 0, "{\"alg\":\"None\"}", EID_EUNSUPPORTED);
	expect_part(f, jws, 0, "{\"alg\":\"\"}", EID_EUNSUPPORTED);
	free(jws);
}

static void test_alg_confusion(void **state)
{
	struct fixture *f = *state;
	char *jws = sign(f->keys[0]), hdr[256];
	const char *const only_rs[] = { "RS256", NULL };

	/* An RS256 header naming the EC key. */
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
		 eid_key_kid(f->keys[0]));
	expect_part(f, jws, 0, hdr, EID_EMISMATCH);
	/* PS256 header on the RS256 key: same kty, still refused. */
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"PS256\",\"kid\":\"%s\"}",
		 eid_key_kid(f->keys[1]));
	expect_part(f, jws, 0, hdr, EID_EMISMATCH);
	/* A good token whose alg the caller does not allow. */
	assert_int_equal(verify(f, jws, only_rs), EID_EUNSUPPORTED);
	free(jws);
}

static void test_kid(void **state)
{
	struct fixture *f = *state;
	char *jws = sign(f->keys[0]), hdr[256];
	json_t *claims = NULL;

	expect_part(f, jws, 0, "{\"alg\":\"ES256\",\"kid\":\"nope\"}",
		    EID_ENOTFOUND);
	expect_part(f, jws, 0, "{\"alg\":\"ES256\",\"kid\":7}", EID_EMALFORMED);
	/* Another key's kid: the right alg, the wrong key. */
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"%s\"}",
		 eid_key_kid(f->keys[1]));
	expect_part(f, jws, 0, hdr, EID_EMISMATCH);
	/* Only the key set without the signer. */
	assert_int_equal(eid_jws_verify(jws, strlen(jws), kl(f) + 1, 2,
					all_algs, NULL, &claims), EID_ENOTFOUND);
	assert_int_equal(eid_jws_verify(jws, strlen(jws), NULL, 0, all_algs,
					NULL, &claims), EID_ENOTFOUND);
	free(jws);
}

/* A token with no kid: every key of a fitting alg is tried. */
static void test_no_kid(void **state)
{
	struct fixture *f = *state;
	cjose_header_t *h = cjose_header_new(NULL);
	cjose_jws_t *jws;
	const char *ser;

	cjose_header_set(h, CJOSE_HDR_ALG, "PS256", NULL);
	jws = cjose_jws_sign(eid_key_cjose(f->keys[2]), h, (const uint8_t *)"{}",
			     2, NULL);
	assert_non_null(jws);
	assert_true(cjose_jws_export(jws, &ser, NULL));
	assert_int_equal(verify(f, ser, all_algs), EID_OK);
	cjose_jws_release(jws);
	/* A validly signed payload that is not an object. */
	jws = cjose_jws_sign(eid_key_cjose(f->keys[2]), h,
			     (const uint8_t *)"[1]", 3, NULL);
	assert_true(cjose_jws_export(jws, &ser, NULL));
	assert_int_equal(verify(f, ser, all_algs), EID_EMALFORMED);
	cjose_jws_release(jws);
	cjose_header_release(h);
}

static void test_malformed(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"", ".", "..", "...", "a", "a.b", "a.b.c.d", "!!!.e30.AA",
		"e30.e30.AA", "eyJhbGciOiJFUzI1NiJ9",
		"eyJhbGciOiJFUzI1NiJ9=.e30.AA", " eyJhbGciOiJFUzI1NiJ9.e30.AA",
	};
	char *jws = sign(f->keys[0]);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(verify(f, bad[i], all_algs), EID_EMALFORMED);
	expect_part(f, jws, 0, "not json", EID_EMALFORMED);
	expect_part(f, jws, 0, "[\"ES256\"]", EID_EMALFORMED);
	expect_part(f, jws, 0, "\"ES256\"", EID_EMALFORMED);
	expect_part(f, jws, 0, "{\"alg\":1}", EID_EMALFORMED);
	expect_part(f, jws, 0, "{\"kid\":\"x\"}", EID_EMALFORMED);
	expect_part(f, jws, 0, "{\"alg\":\"ES256\",\"alg\":\"ES256\"}",
		    EID_EMALFORMED);
	expect_part(f, jws, 0, "{\"alg\":\"ES256\",\"crit\":[\"b64\"]}",
		    EID_EUNSUPPORTED);
	expect_part(f, jws, 2, "", EID_EVERIFY);
	/* The signature is checked before the payload is looked at. */
	assert_int_equal(verify(f, "eyJhbGciOiJFUzI1NiJ9..", all_algs),
			 EID_EVERIFY);
	free(jws);
}

static void test_oversize(void **state)
{
	struct fixture *f = *state;
	char *big = malloc(EID_JWS_MAX + 2);
	json_t *claims = NULL, *pad;
	char *jws = NULL;

	memset(big, 'A', EID_JWS_MAX + 1);
	big[EID_JWS_MAX + 1] = '\0';
	assert_int_equal(verify(f, big, all_algs), EID_ETOOBIG);
	free(big);
	/* A validly signed token one byte over the cap. */
	pad = json_object();
	for (int i = 0; i < 700; i++) {
		char k[8];
		snprintf(k, sizeof(k), "k%d", i);
		json_object_set_new(pad, k, json_string("xxxxxxxxxxxxxxxx"));
	}
	assert_int_equal(eid_jws_sign(f->keys[0], NULL, pad, &jws), EID_OK);
	assert_true(strlen(jws) > EID_JWS_MAX);
	assert_int_equal(eid_jws_verify(jws, strlen(jws), kl(f), 3, all_algs,
					NULL, &claims), EID_ETOOBIG);
	free(jws);
	json_decref(pad);
}

int main(void)
{
	const struct CMUnitTest helpers[] = {
		cmocka_unit_test(test_b64url_vectors),
		cmocka_unit_test(test_b64url_strict),
		cmocka_unit_test(test_b64url_random),
		cmocka_unit_test(test_b64url_canonical),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_b64url_encode_str),
		cmocka_unit_test(test_json_merge),
		cmocka_unit_test(test_thumbprint),
		cmocka_unit_test(test_hash_half),
		cmocka_unit_test(test_rfc7515_a3),
		cmocka_unit_test(test_rfc7515_a2),
	};
	const struct CMUnitTest jws[] = {
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_sign_no_typ),
		cmocka_unit_test(test_sign_ex_header),
		cmocka_unit_test(test_es256_raw_signature),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_alg_none_and_hmac),
		cmocka_unit_test(test_alg_confusion),
		cmocka_unit_test(test_kid),
		cmocka_unit_test(test_no_kid),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_oversize),
	};
	int r = cmocka_run_group_tests(helpers, NULL, NULL);

	return r | cmocka_run_group_tests(jws, fixture_setup, fixture_teardown);
}
