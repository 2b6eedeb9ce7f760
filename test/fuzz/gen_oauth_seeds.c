/* Writes the seeds of the dpop and client_assertion corpora, made by our
 * own signer so that they pass every check at the fuzz targets' fixed
 * clock (FUZZ_NOW), plus one seed per refusal:
 *   build/test/fuzz/gen_oauth_seeds test/fuzz/corpus
 * Not run as a test: the committed seeds are its output (the DPoP keys are
 * fresh each run; the client's key is the RFC 7515 A.3 one). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjose/header.h>
#include <cjose/jwk.h>
#include <cjose/jws.h>
#include <jansson.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "idp/dpop.h"
#include "fuzz_tmpstore.h"
#include "jws_fixture.h"

/* RFC 7515 A.3: the published private key of fuzz_client_assertion's
 * registered public key. */
static const char rfc7515_a3_private[] =
	"{\"kty\":\"EC\",\"crv\":\"P-256\","
	"\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
	"\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\","
	"\"d\":\"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\"}";

static void write_seed(const char *dir, const char *corpus, const char *name,
		       const char *text)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, corpus, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(text, 1, strlen(text), f) != strlen(text) || fclose(f)) {
		fprintf(stderr, "gen_oauth_seeds: cannot write %s\n", path);
		exit(1);
	}
}

static json_t *dpop_claims(const char *jti, const char *htm, const char *htu)
{
	return json_pack("{s:s,s:s,s:s,s:I}", "jti", jti, "htm", htm, "htu",
			 htu, "iat", (json_int_t)FUZZ_NOW);
}

static void dpop_seed(const char *dir, const char *name, const eid_key *k,
		      const char *typ, json_t *jwk, json_t *claims)
{
	json_t *pub = NULL, *extra;
	char *jws = NULL;

	if (jwk == NULL && eid_key_public_jwk(k, &pub) != EID_OK)
		exit(1);
	extra = json_pack("{s:O}", "jwk", jwk != NULL ? jwk : pub);
	if (eid_jws_sign_ex(k, typ, extra, claims, &jws) != EID_OK)
		exit(1);
	write_seed(dir, "dpop", name, jws);
	free(jws);
	json_decref(extra);
	json_decref(pub);
	json_decref(claims);
}

static void dpop_seeds(const char *dir)
{
	static const uint8_t nkey[32] = {
		0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
		0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
		0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
		0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
	};
	const char *tok = "https://idp.example/token";
	const char *ui = "https://idp.example/userinfo";
	char nonce[EID_DPOP_NONCE_LEN + 1], ath[64];
	uint8_t d[32];
	eid_key *ec = NULL, *rsa = NULL;
	json_t *c, *pub = NULL;
	eid_buf b;

	if (eid_key_generate(EID_ALG_ES256, &ec) != EID_OK ||
	    eid_key_generate(EID_ALG_PS256, &rsa) != EID_OK ||
	    eid_dpop_nonce_issue(nkey, FUZZ_NOW, nonce) != EID_OK ||
	    eid_sha256("fuzz-access-token", 17, d) != EID_OK)
		exit(1);
	eid_buf_init(&b, sizeof(ath) - 1);
	if (eid_b64url_encode(d, sizeof(d), &b) != EID_OK)
		exit(1);
	memcpy(ath, b.data, b.len);
	ath[b.len] = '\0';
	eid_buf_free(&b);

	dpop_seed(dir, "token-es256", ec, "dpop+jwt", NULL,
		  dpop_claims("j1", "POST", tok));
	dpop_seed(dir, "token-ps256", rsa, "dpop+jwt", NULL,
		  dpop_claims("j2", "POST", "HTTPS://IDP.example:443/token?x"));
	c = dpop_claims("j3", "GET", ui);
	json_object_set_new(c, "ath", json_string(ath));
	json_object_set_new(c, "nonce", json_string(nonce));
	dpop_seed(dir, "userinfo-ath-nonce", ec, "dpop+jwt", NULL, c);
	dpop_seed(dir, "typ-jwt", ec, "JWT", NULL,
		  dpop_claims("j4", "POST", tok));
	if (eid_key_public_jwk(ec, &pub) != EID_OK)
		exit(1);
	json_object_set_new(pub, "d",
		json_string("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"));
	dpop_seed(dir, "private-jwk", ec, "dpop+jwt", pub,
		  dpop_claims("j5", "POST", tok));
	json_decref(pub);
	c = dpop_claims("j6", "POST", tok);
	json_object_set_new(c, "iat", json_integer(1));
	dpop_seed(dir, "stale-iat", ec, "dpop+jwt", NULL, c);
	{
		char *payload = json_dumps(dpop_claims("j7", "POST", tok),
					   JSON_COMPACT);
		char *none = jws_fixture_raw("{\"typ\":\"dpop+jwt\",\"alg\":\"none\","
				     "\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-256\","
				     "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
				     "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}}",
				     payload, "");

		write_seed(dir, "dpop", "alg-none", none);
		free(none);
		free(payload);
	}
	write_seed(dir, "dpop", "nonce", nonce);
	eid_key_free(ec);
	eid_key_free(rsa);
}

/* Sign claims with the RFC 7515 A.3 key through cjose (our eid_key takes
 * no private JWK from outside). */
static void assertion_seed(const char *dir, const char *name, json_t *claims)
{
	cjose_jwk_t *jwk;
	cjose_header_t *hdr;
	cjose_jws_t *jws;
	const char *ser = NULL;
	char *payload = json_dumps(claims, JSON_COMPACT);
	cjose_err err;

	jwk = cjose_jwk_import(rfc7515_a3_private, strlen(rfc7515_a3_private),
			       &err);
	hdr = cjose_header_new(&err);
	if (jwk == NULL || hdr == NULL || payload == NULL ||
	    !cjose_header_set(hdr, CJOSE_HDR_ALG, "ES256", &err) ||
	    (jws = cjose_jws_sign(jwk, hdr, (uint8_t *)payload,
				  strlen(payload), &err)) == NULL ||
	    !cjose_jws_export(jws, &ser, &err))
		exit(1);
	write_seed(dir, "client_assertion", name, ser);
	cjose_jws_release(jws);
	cjose_header_release(hdr);
	cjose_jwk_release(jwk);
	free(payload);
	json_decref(claims);
}

static json_t *assertion(const char *jti)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", "iss", "rp-one", "sub",
			 "rp-one", "aud", "https://idp.example", "jti", jti,
			 "iat", (json_int_t)FUZZ_NOW, "exp",
			 (json_int_t)FUZZ_NOW + 60);
}

static void assertion_seeds(const char *dir)
{
	json_t *c;
	char *payload;
	char *s;

	assertion_seed(dir, "valid", assertion("a1"));
	c = assertion("a2");
	json_object_set_new(c, "aud", json_pack("[s,s]", "https://rp.example",
						"https://idp.example/token"));
	json_object_set_new(c, "nbf", json_integer((json_int_t)FUZZ_NOW));
	assertion_seed(dir, "aud-array-nbf", c);
	c = assertion("a3");
	json_object_set_new(c, "exp", json_integer((json_int_t)FUZZ_NOW - 60));
	assertion_seed(dir, "expired", c);
	c = assertion("a4");
	json_object_set_new(c, "aud", json_string("https://other.example"));
	assertion_seed(dir, "wrong-aud", c);
	c = assertion("a5");
	json_object_set_new(c, "sub", json_string("rp-two"));
	assertion_seed(dir, "iss-not-sub", c);
	c = assertion("a6");
	json_object_del(c, "exp");
	assertion_seed(dir, "no-exp", c);
	c = assertion("a7");
	payload = json_dumps(c, JSON_COMPACT);
	s = jws_fixture_raw("{\"alg\":\"none\"}", payload, "");
	write_seed(dir, "client_assertion", "alg-none", s);
	free(s);
	s = jws_fixture_raw("{\"alg\":\"HS256\"}", payload, "c2ln");
	write_seed(dir, "client_assertion", "alg-hs256", s);
	free(s);
	free(payload);
	json_decref(c);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_oauth_seeds CORPUS-DIR\n");
		return 2;
	}
	dpop_seeds(argv[1]);
	assertion_seeds(argv[1]);
	return 0;
}
