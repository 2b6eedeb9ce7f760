#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "idp/dpop.h"
#include "jws_fixture.h"
#include "tmpstore.h"

#define NOW ((uint64_t)TMPSTORE_NOW)
#define HTU "https://idp.example/token"
#define AT "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.sig"

struct fx {
	struct tmpstore ts; /* first: see tmpstore_member_setup */
	eid_key *ec, *rsa;
	int jti; /* a fresh jti per proof */
};

static int group_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(eid_key_generate(EID_ALG_ES256, &f->ec), EID_OK);
	assert_int_equal(eid_key_generate(EID_ALG_PS256, &f->rsa), EID_OK);
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fx *f = *state;

	eid_key_free(f->ec);
	eid_key_free(f->rsa);
	free(f);
	return 0;
}

/* Claims of a good proof for POST HTU at NOW. */
static json_t *claims(struct fx *f)
{
	char jti[32];

	snprintf(jti, sizeof(jti), "jti-%d", ++f->jti);
	return json_pack("{s:s,s:s,s:s,s:I}", "jti", jti, "htm", "POST",
			 "htu", HTU, "iat", (json_int_t)NOW);
}

/* Sign c with key, the header carrying jwk (the key's public JWK when
 * NULL) and typ; c is consumed. */
static char *proof_with(const eid_key *key, const char *typ, json_t *jwk,
			json_t *c)
{
	json_t *extra, *pub = NULL;
	char *jws = NULL;

	if (jwk == NULL)
		assert_int_equal(eid_key_public_jwk(key, &pub), EID_OK);
	extra = json_pack("{s:O}", "jwk", jwk != NULL ? jwk : pub);
	assert_int_equal(eid_jws_sign_ex(key, typ, extra, c, &jws), EID_OK);
	json_decref(extra);
	json_decref(pub);
	json_decref(c);
	return jws;
}

static char *proof(const eid_key *key, json_t *c)
{
	return proof_with(key, "dpop+jwt", NULL, c);
}

static struct eid_dpop_request req_token(void)
{
	struct eid_dpop_request r = { .htm = "POST", .htu = HTU, .now = NOW };

	return r;
}

/* Verify p (freed) against req. */
static int check(struct fx *f, char *p, const struct eid_dpop_request *req)
{
	char jkt[EID_THUMBPRINT_LEN + 1] = "";
	int r = eid_dpop_verify(p, strlen(p), req, f->ts.store, jkt);

	if (r != EID_OK)
		assert_string_equal(jkt, "");
	free(p);
	return r;
}

static void test_valid_and_thumbprint(void **state)
{
	struct fx *f = *state;
	struct eid_dpop_request req = req_token();
	char jkt[EID_THUMBPRINT_LEN + 1], want[EID_THUMBPRINT_LEN + 1];
	json_t *pub = NULL;
	char *p = proof(f->ec, claims(f));

	assert_int_equal(eid_dpop_verify(p, strlen(p), &req, f->ts.store, jkt),
			 EID_OK);
	assert_int_equal(eid_key_public_jwk(f->ec, &pub), EID_OK);
	assert_int_equal(eid_jwk_thumbprint(pub, want), EID_OK);
	assert_string_equal(jkt, want);
	assert_string_equal(jkt, eid_key_kid(f->ec));
	free(p);
	json_decref(pub);
	/* RSA-PSS with an access token and its ath. */
	req.access_token = AT;
	req.htm = "GET";
	req.htu = "https://idp.example/userinfo";
	{
		json_t *c = claims(f);
		eid_buf b;
		uint8_t d[32];

		eid_buf_init(&b, 64);
		assert_int_equal(eid_sha256(AT, strlen(AT), d), EID_OK);
		assert_int_equal(eid_b64url_encode(d, 32, &b), EID_OK);
		json_object_set_new(c, "ath", json_stringn((char *)b.data,
							   b.len));
		json_object_set_new(c, "htm", json_string("GET"));
		json_object_set_new(c, "htu", json_string(req.htu));
		eid_buf_free(&b);
		assert_int_equal(check(f, proof(f->rsa, c), &req), EID_OK);
	}
}

static void test_replay(void **state)
{
	struct fx *f = *state;
	struct eid_dpop_request req = req_token();
	json_t *c = claims(f);
	char *p1 = proof(f->ec, json_deep_copy(c));
	char *p2 = proof(f->rsa, json_deep_copy(c));
	char *p3 = proof(f->ec, c);

	assert_int_equal(check(f, p1, &req), EID_OK);
	/* The same jti under another key is another proof. */
	assert_int_equal(check(f, p2, &req), EID_OK);
	/* A new signature over the same claims is still a replay. */
	assert_int_equal(check(f, p3, &req), EID_EREPLAY);
}

static void test_refused_proof_keeps_jti(void **state)
{
	struct fx *f = *state;
	struct eid_dpop_request req = req_token();
	json_t *c = claims(f);
	char *bad;

	json_object_set_new(c, "htm", json_string("GET"));
	bad = proof(f->ec, json_deep_copy(c));
	assert_int_equal(check(f, bad, &req), EID_EMISMATCH);
	json_object_set_new(c, "htm", json_string("POST"));
	assert_int_equal(check(f, proof(f->ec, c), &req), EID_OK);
}

static void test_header_refusals(void **state)
{
	struct fx *f = *state;
	struct eid_dpop_request req = req_token();
	json_t *pub = NULL, *priv;
	char *p;

	assert_int_equal(check(f, proof_with(f->ec, "JWT", NULL, claims(f)),
			       &req), EID_EMALFORMED);
	assert_int_equal(check(f, proof_with(f->ec, NULL, NULL, claims(f)),
			       &req), EID_EMALFORMED);
	assert_int_equal(check(f, proof_with(f->ec, "DPOP+JWT", NULL,
					     claims(f)), &req),
			 EID_EMALFORMED);
	/* No jwk at all, or not an object. */
	priv = claims(f);
	assert_int_equal(eid_jws_sign(f->ec, "dpop+jwt", priv, &p), EID_OK);
	json_decref(priv);
	assert_int_equal(check(f, p, &req), EID_EMALFORMED);
	priv = json_string("x");
	assert_int_equal(check(f, proof_with(f->ec, "dpop+jwt", priv,
					     claims(f)), &req), EID_EMALFORMED);
	json_decref(priv);
	/* A jwk with private members is refused before anything else. */
	assert_int_equal(eid_key_public_jwk(f->ec, &pub), EID_OK);
	priv = json_deep_copy(pub);
	json_object_set_new(priv, "d",
		json_string("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"));
	assert_int_equal(check(f, proof_with(f->ec, "dpop+jwt", priv,
					     claims(f)), &req), EID_EINVAL);
	json_decref(priv);
	/* A symmetric jwk: its "k" is a secret. */
	priv = json_pack("{s:s,s:s}", "kty", "oct", "k", "c2VjcmV0");
	assert_int_equal(check(f, proof_with(f->ec, "dpop+jwt", priv,
					     claims(f)), &req), EID_EINVAL);
	json_decref(priv);
	/* A kind of key we do not take. */
	priv = json_pack("{s:s,s:s,s:s}", "kty", "OKP", "crv", "Ed25519", "x",
			 "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
	assert_int_equal(check(f, proof_with(f->ec, "dpop+jwt", priv,
					     claims(f)), &req),
			 EID_EUNSUPPORTED);
	json_decref(priv);
	/* The header names another key than the one that signed. */
	assert_int_equal(check(f, proof_with(f->rsa, "dpop+jwt", pub,
					     claims(f)), &req), EID_ENOTFOUND);
	json_decref(pub);
}

static void test_alg_none_and_hmac(void **state)
{
	struct fx *f = *state;
	struct eid_dpop_request req = req_token();
	json_t *pub = NULL, *c = claims(f);
	char *jwk, *payload, hdr[2048];

	assert_int_equal(eid_key_public_jwk(f->ec, &pub), EID_OK);
	jwk = json_dumps(pub, JSON_COMPACT);
	payload = json_dumps(c, JSON_COMPACT);
	snprintf(hdr, sizeof(hdr),
		 "{\"typ\":\"dpop+jwt\",\"alg\":\"none\",\"jwk\":%s}", jwk);
	assert_int_equal(check(f, jws_fixture_raw(hdr, payload, ""), &req),
			 EID_EUNSUPPORTED);
	snprintf(hdr, sizeof(hdr),
		 "{\"typ\":\"dpop+jwt\",\"alg\":\"HS256\",\"jwk\":%s}", jwk);
	assert_int_equal(check(f, jws_fixture_raw(hdr, payload, "c2ln"), &req),
			 EID_EUNSUPPORTED);
	snprintf(hdr, sizeof(hdr),
		 "{\"typ\":\"dpop+jwt\",\"alg\":\"ES384\",\"jwk\":%s}", jwk);
	assert_int_equal(check(f, jws_fixture_raw(hdr, payload, "c2ln"), &req),
			 EID_EUNSUPPORTED);
	snprintf(hdr, sizeof(hdr), "{\"typ\":\"dpop+jwt\",\"jwk\":%s}", jwk);
	assert_int_equal(check(f, jws_fixture_raw(hdr, payload, "c2ln"), &req),
			 EID_EMALFORMED);
	/* Duplicate members are ambiguous. */
	snprintf(hdr, sizeof(hdr), "{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\","
		 "\"alg\":\"ES256\",\"jwk\":%s}", jwk);
	assert_int_equal(check(f, jws_fixture_raw(hdr, payload, "c2ln"), &req),
			 EID_EMALFORMED);
	free(jwk);
	free(payload);
	json_decref(pub);
	json_decref(c);
}

static void test_signature(void **state)
{
	struct fx *f = *state;
	struct eid_dpop_request req = req_token();
	char *p = proof(f->ec, claims(f));
	char *dot = strrchr(p, '.');

	dot[5] = dot[5] == 'A' ? 'B' : 'A';
	assert_int_equal(check(f, p, &req), EID_EVERIFY);
	p = proof(f->ec, claims(f));
	dot = strchr(p, '.');
	dot[3] = dot[3] == 'A' ? 'B' : 'A';
	assert_int_equal(check(f, p, &req), EID_EVERIFY);
}

static int check_claim(struct fx *f, const struct eid_dpop_request *req,
		       const char *name, json_t *v)
{
	json_t *c = claims(f);

	if (v == NULL)
		json_object_del(c, name);
	else
		json_object_set_new(c, name, v);
	return check(f, proof(f->ec, c), req);
}

static void test_claims(void **state)
{
	struct fx *f = *state;
	struct eid_dpop_request req = req_token();
	char jti[80];

	assert_int_equal(check_claim(f, &req, "jti", NULL), EID_EMALFORMED);
	assert_int_equal(check_claim(f, &req, "jti", json_string("")),
			 EID_EMALFORMED);
	assert_int_equal(check_claim(f, &req, "jti", json_integer(5)),
			 EID_EMALFORMED);
	memset(jti, 'j', sizeof(jti));
	jti[EID_DPOP_JTI_MAX] = '\0';
	assert_int_equal(check_claim(f, &req, "jti", json_string(jti)), EID_OK);
	jti[EID_DPOP_JTI_MAX] = 'j';
	jti[EID_DPOP_JTI_MAX + 1] = '\0';
	assert_int_equal(check_claim(f, &req, "jti", json_string(jti)),
			 EID_EMALFORMED);
	assert_int_equal(check_claim(f, &req, "htm", NULL), EID_EMALFORMED);
	assert_int_equal(check_claim(f, &req, "htm", json_string("post")),
			 EID_EMISMATCH);
	assert_int_equal(check_claim(f, &req, "htu", NULL), EID_EMALFORMED);
	assert_int_equal(check_claim(f, &req, "iat", NULL), EID_EMALFORMED);
	assert_int_equal(check_claim(f, &req, "iat",
				     json_string("1748736000")), EID_EMALFORMED);
	assert_int_equal(check_claim(f, &req, "iat", json_real(1748736000.5)),
			 EID_EMALFORMED);
	assert_int_equal(check_claim(f, &req, "iat", json_integer(-1)),
			 EID_EMALFORMED);
}

static void test_htu(void **state)
{
	struct fx *f = *state;
	struct eid_dpop_request req = req_token();
	static const char *const same[] = {
		"HTTPS://IdP.Example/token",
		"https://idp.example:443/token",
		"https://idp.example/token?x=1",
		"https://idp.example/token#frag",
		"https://idp.example/a/../token",
	};
	static const char *const other[] = {
		"https://idp.example/Token",
		"https://idp.example:8443/token",
		"http://idp.example/token",
		"https://idp.example.evil/token",
		"https://idp.example/token/",
		"idp.example/token",
		"not a url",
		"ftp://idp.example/token",
	};

	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		assert_int_equal(check_claim(f, &req, "htu",
					     json_string(same[i])), EID_OK);
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		assert_int_equal(check_claim(f, &req, "htu",
					     json_string(other[i])),
				 EID_EMISMATCH);
	req.htu = "https://IDP.example:443/token?q";
	assert_int_equal(check_claim(f, &req, "htu", json_string(HTU)), EID_OK);
	req.htu = "::nonsense";
	assert_int_equal(check_claim(f, &req, "htu", json_string(HTU)),
			 EID_EINVAL);
}

static void test_iat_window(void **state)
{
	struct fx *f = *state;
	struct eid_dpop_request req = req_token();

	assert_int_equal(check_claim(f, &req, "iat",
				     json_integer((json_int_t)NOW - 60)),
			 EID_OK);
	assert_int_equal(check_claim(f, &req, "iat",
				     json_integer((json_int_t)NOW + 60)),
			 EID_OK);
	assert_int_equal(check_claim(f, &req, "iat",
				     json_integer((json_int_t)NOW - 61)),
			 EID_EEXPIRED);
	assert_int_equal(check_claim(f, &req, "iat",
				     json_integer((json_int_t)NOW + 61)),
			 EID_EEXPIRED);
	assert_int_equal(check_claim(f, &req, "iat", json_integer(0)),
			 EID_EEXPIRED);
	req.iat_window = 300;
	assert_int_equal(check_claim(f, &req, "iat",
				     json_integer((json_int_t)NOW - 299)),
			 EID_OK);
}

static void test_ath(void **state)
{
	struct fx *f = *state;
	struct eid_dpop_request req = req_token();

	req.access_token = AT;
	assert_int_equal(check_claim(f, &req, "ath", NULL), EID_EMISMATCH);
	assert_int_equal(check_claim(f, &req, "ath", json_string(
		"fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo")),
		EID_EMISMATCH);
	assert_int_equal(check_claim(f, &req, "ath", json_integer(1)),
			 EID_EMISMATCH);
	/* Without a token the ath is not looked at. */
	req.access_token = NULL;
	assert_int_equal(check_claim(f, &req, "ath", json_string("x")), EID_OK);
}

static void test_nonce_required(void **state)
{
	struct fx *f = *state;
	struct eid_dpop_request req = req_token();
	uint8_t key[32], other[32];
	char nonce[EID_DPOP_NONCE_LEN + 1];

	memset(key, 7, sizeof(key));
	memset(other, 8, sizeof(other));
	req.nonce_key = key;
	assert_int_equal(check_claim(f, &req, "nonce", NULL), EID_ESTATE);
	assert_int_equal(check_claim(f, &req, "nonce", json_string("abc")),
			 EID_ESTATE);
	assert_int_equal(eid_dpop_nonce_issue(other, NOW, nonce), EID_OK);
	assert_int_equal(check_claim(f, &req, "nonce", json_string(nonce)),
			 EID_ESTATE);
	assert_int_equal(eid_dpop_nonce_issue(key, NOW - 3 * EID_DPOP_NONCE_STEP,
					      nonce), EID_OK);
	assert_int_equal(check_claim(f, &req, "nonce", json_string(nonce)),
			 EID_ESTATE);
	assert_int_equal(eid_dpop_nonce_issue(key, NOW, nonce), EID_OK);
	assert_int_equal(check_claim(f, &req, "nonce", json_string(nonce)),
			 EID_OK);
	/* A nonce the server did not ask for is ignored. */
	req.nonce_key = NULL;
	assert_int_equal(check_claim(f, &req, "nonce", json_string("x")),
			 EID_OK);
}

static void test_nonce(void **state)
{
	uint8_t key[32], other[32];
	char n[EID_DPOP_NONCE_LEN + 1], bad[EID_DPOP_NONCE_LEN + 1];
	uint64_t t = 1000 * EID_DPOP_NONCE_STEP + 5;

	memset(key, 1, sizeof(key));
	memset(other, 2, sizeof(other));
	assert_int_equal(eid_dpop_nonce_issue(key, t, n), EID_OK);
	assert_int_equal(strlen(n), EID_DPOP_NONCE_LEN);
	assert_int_equal(eid_dpop_nonce_check(key, n, t), EID_OK);
	assert_int_equal(eid_dpop_nonce_check(key, n, t + EID_DPOP_NONCE_STEP),
			 EID_OK);
	assert_int_equal(eid_dpop_nonce_check(key, n,
					      t + 2 * EID_DPOP_NONCE_STEP),
			 EID_EEXPIRED);
	assert_int_equal(eid_dpop_nonce_check(key, n, t - EID_DPOP_NONCE_STEP),
			 EID_EEXPIRED);
	assert_int_equal(eid_dpop_nonce_check(other, n, t), EID_EVERIFY);
	memcpy(bad, n, sizeof(bad));
	bad[EID_DPOP_NONCE_LEN - 2] = bad[EID_DPOP_NONCE_LEN - 2] == 'A' ?
					      'B' : 'A';
	assert_int_equal(eid_dpop_nonce_check(key, bad, t), EID_EVERIFY);
	bad[3] = '*';
	assert_int_equal(eid_dpop_nonce_check(key, bad, t), EID_EMALFORMED);
	assert_int_equal(eid_dpop_nonce_check(key, "short", t), EID_EMALFORMED);
	assert_int_equal(eid_dpop_nonce_check(key, NULL, t), EID_EMALFORMED);
	assert_int_equal(eid_dpop_nonce_check(NULL, n, t), EID_EINVAL);
}

static void test_malformed(void **state)
{
	struct fx *f = *state;
	struct eid_dpop_request req = req_token();
	char jkt[EID_THUMBPRINT_LEN + 1];
	char *big = malloc(EID_DPOP_MAX + 1);

	assert_non_null(big);
	memset(big, 'a', EID_DPOP_MAX + 1);
	assert_int_equal(eid_dpop_verify(big, EID_DPOP_MAX + 1, &req,
					 f->ts.store, jkt), EID_ETOOBIG);
	free(big);
	assert_int_equal(eid_dpop_verify("", 0, &req, f->ts.store, jkt),
			 EID_EMALFORMED);
	assert_int_equal(eid_dpop_verify("a.b.c", 5, &req, f->ts.store, jkt),
			 EID_EMALFORMED);
	assert_int_equal(eid_dpop_verify("e30.e30.", 8, &req, f->ts.store,
					 jkt), EID_EMALFORMED);
	assert_int_equal(eid_dpop_verify(NULL, 0, &req, f->ts.store, jkt),
			 EID_EMALFORMED);
	assert_int_equal(eid_dpop_verify("x", 1, NULL, f->ts.store, jkt),
			 EID_EINVAL);
	assert_int_equal(eid_dpop_verify("x", 1, &req, NULL, jkt), EID_EINVAL);
	req.htm = NULL;
	assert_int_equal(eid_dpop_verify("x", 1, &req, f->ts.store, jkt),
			 EID_EINVAL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, tmpstore_member_setup, \
						 tmpstore_member_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_valid_and_thumbprint),
		T(test_replay),
		T(test_refused_proof_keeps_jti),
		T(test_header_refusals),
		T(test_alg_none_and_hmac),
		T(test_signature),
		T(test_claims),
		T(test_htu),
		T(test_iat_window),
		T(test_ath),
		T(test_nonce_required),
		cmocka_unit_test(test_nonce),
		T(test_malformed),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
