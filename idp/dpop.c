#include "idp/dpop.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/hmac.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/jwt.h"

#define TAG_JTI 'd'
#define HEADER_MAX 4096
#define NONCE_RAW 24
#define NONCE_MAC 16

static const char *const dpop_algs[] = { "ES256", "RS256", "PS256", NULL };

/* ---- htu ---- */

static void lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* RFC 9449 section 4.3 (and RFC 3986 6.2.2/6.2.3): scheme and host
 * compared case-insensitively, default port dropped, dot segments
 * removed (curl's parser does that), query and fragment ignored. */
static int htu_normalise(const char *url, eid_buf *out)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	int r = EID_EMALFORMED;

	if (u == NULL)
		return EID_ENOMEM;
	if (strnlen(url, EID_DPOP_HTU_MAX + 1) > EID_DPOP_HTU_MAX ||
	    curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		goto out;
	(void)curl_url_get(u, CURLUPART_PORT, &port, CURLU_NO_DEFAULT_PORT);
	lower(scheme);
	lower(host);
	if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)
		goto out;
	r = eid_buf_printf(out, "%s://%s%s%s%s", scheme, host,
			   port != NULL ? ":" : "", port != NULL ? port : "",
			   path);
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return r;
}

static int htu_match(const char *proof_htu, const char *server_htu)
{
	eid_buf a, b;
	int r;

	eid_buf_init(&a, 3 * EID_DPOP_HTU_MAX);
	eid_buf_init(&b, 3 * EID_DPOP_HTU_MAX);
	if ((r = htu_normalise(server_htu, &b)) != EID_OK) {
		r = EID_EINVAL;
		goto out;
	}
	r = EID_EMISMATCH;
	if (htu_normalise(proof_htu, &a) == EID_OK && a.len == b.len &&
	    memcmp(a.data, b.data, a.len) == 0)
		r = EID_OK;
out:
	eid_buf_free(&a);
	eid_buf_free(&b);
	return r;
}

/* ---- nonces ---- */

static int nonce_mac(const uint8_t key[32], const uint8_t step[8],
		     uint8_t mac[32])
{
	static const char label[] = "eid-dpop-nonce";
	uint8_t msg[sizeof(label) + 8];
	unsigned int n = 0;

	memcpy(msg, label, sizeof(label));
	memcpy(msg + sizeof(label), step, 8);
	if (HMAC(EVP_sha256(), key, 32, msg, sizeof(msg), mac, &n) == NULL ||
	    n != 32)
		return EID_ECRYPTO;
	return EID_OK;
}

static void be64(uint64_t v, uint8_t out[8])
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		out[i] = (uint8_t)v;
}

int eid_dpop_nonce_issue(const uint8_t key[32], uint64_t now,
			 char ret_nonce[EID_DPOP_NONCE_LEN + 1])
{
	uint8_t raw[NONCE_RAW], mac[32];
	int r;

	if (key == NULL || ret_nonce == NULL)
		return EID_EINVAL;
	be64(now / EID_DPOP_NONCE_STEP, raw);
	if ((r = nonce_mac(key, raw, mac)) != EID_OK)
		return r;
	memcpy(raw + 8, mac, NONCE_MAC);
	r = eid_b64url_encode_str(raw, sizeof(raw), ret_nonce,
				  EID_DPOP_NONCE_LEN + 1);
	eid_wipe(mac, sizeof(mac));
	return r;
}

int eid_dpop_nonce_check(const uint8_t key[32], const char *nonce,
			 uint64_t now)
{
	uint64_t step = 0, cur = now / EID_DPOP_NONCE_STEP;
	uint8_t mac[32];
	eid_buf b;
	int r = EID_EMALFORMED;

	if (key == NULL)
		return EID_EINVAL;
	if (nonce == NULL ||
	    strnlen(nonce, EID_DPOP_NONCE_LEN + 1) != EID_DPOP_NONCE_LEN)
		return EID_EMALFORMED;
	eid_buf_init(&b, NONCE_RAW);
	if (eid_b64url_decode(nonce, EID_DPOP_NONCE_LEN, &b) != EID_OK ||
	    b.len != NONCE_RAW)
		goto out;
	for (int i = 0; i < 8; i++)
		step = step << 8 | b.data[i];
	r = EID_EEXPIRED;
	if (step != cur && step + 1 != cur)
		goto out;
	if ((r = nonce_mac(key, b.data, mac)) != EID_OK)
		goto out;
	r = eid_ct_equal(mac, b.data + 8, NONCE_MAC) ? EID_OK : EID_EVERIFY;
out:
	eid_wipe(mac, sizeof(mac));
	eid_buf_free(&b);
	return r;
}

/* ---- proofs ---- */

/* The protected header, read before any key is known: the key is in it. */
static int proof_header(const char *proof, size_t len, json_t **ret)
{
	const char *dot = len > 0 ? memchr(proof, '.', len) : NULL;
	json_t *h;
	eid_buf b;
	int r = EID_EMALFORMED;

	if (dot == NULL)
		return EID_EMALFORMED;
	eid_buf_init(&b, HEADER_MAX);
	if (eid_b64url_decode(proof, (size_t)(dot - proof), &b) != EID_OK ||
	    b.len == 0)
		goto out;
	h = json_loadb((const char *)b.data, b.len, JSON_REJECT_DUPLICATES,
		       NULL);
	if (!json_is_object(h)) {
		json_decref(h);
		goto out;
	}
	*ret = h;
	r = EID_OK;
out:
	eid_buf_free(&b);
	return r;
}

/* Explicit typing and an asymmetric alg, checked before the key is
 * parsed so that "none" and HS256 are refused as such. */
static int header_check(const json_t *h)
{
	const char *typ = json_string_value(json_object_get(h, "typ"));
	const char *alg = json_string_value(json_object_get(h, "alg"));

	if (typ == NULL || strcmp(typ, "dpop+jwt") != 0 || alg == NULL)
		return EID_EMALFORMED;
	for (const char *const *a = dpop_algs; *a != NULL; a++)
		if (strcmp(*a, alg) == 0)
			return json_is_object(json_object_get(h, "jwk")) ?
				       EID_OK : EID_EMALFORMED;
	return EID_EUNSUPPORTED;
}

/* The signature, with the key the header carries; its thumbprint. */
static int proof_signature(const char *proof, size_t len, const json_t *h,
			   json_t **ret_claims, char jkt[EID_THUMBPRINT_LEN + 1])
{
	const json_t *jwk = json_object_get(h, "jwk");
	eid_key *key = NULL;
	int r;

	if ((r = eid_key_from_public_jwk(jwk, &key)) != EID_OK ||
	    (r = eid_jws_verify(proof, len, (const eid_key *const *)&key, 1,
				dpop_algs, NULL, ret_claims)) != EID_OK)
		goto out;
	if ((r = eid_jwk_thumbprint(jwk, jkt)) != EID_OK) {
		json_decref(*ret_claims);
		*ret_claims = NULL;
	}
out:
	eid_key_free(key);
	return r;
}

/* ath = base64url(SHA-256(access token)). */
static int ath_check(const json_t *claims, const char *access_token)
{
	const char *ath = NULL;
	char want[EID_B64URL_LEN(32) + 1];
	uint8_t d[32];
	int r;

	if (access_token == NULL)
		return EID_OK;
	if (eid_jwt_str(claims, "ath", 64, false, &ath) != EID_OK ||
	    ath == NULL)
		return EID_EMISMATCH;
	if ((r = eid_sha256(access_token, strlen(access_token), d)) != EID_OK ||
	    (r = eid_b64url_encode_str(d, sizeof(d), want, sizeof(want))))
		return r;
	return eid_ct_equal_len(want, strlen(want), ath, strlen(ath)) ?
		       EID_OK : EID_EMISMATCH;
}

struct proof_claims {
	const char *jti, *htm, *htu, *nonce;
	uint64_t iat;
};

static int claims_read(const json_t *c, struct proof_claims *pc)
{
	int r;

	if ((r = eid_jwt_str(c, "jti", EID_DPOP_JTI_MAX, true, &pc->jti)) ||
	    (r = eid_jwt_str(c, "htm", 32, true, &pc->htm)) ||
	    (r = eid_jwt_str(c, "htu", EID_DPOP_HTU_MAX, true, &pc->htu)) ||
	    (r = eid_jwt_str(c, "nonce", 256, false, &pc->nonce)) ||
	    (r = eid_jwt_time(c, "iat", true, &pc->iat, NULL)))
		return r;
	return EID_OK;
}

static uint64_t iat_window(const struct eid_dpop_request *req)
{
	return req->iat_window != 0 ? req->iat_window : EID_DPOP_IAT_WINDOW;
}

static int claims_check(const json_t *c, const struct eid_dpop_request *req,
			struct proof_claims *pc)
{
	uint64_t w = iat_window(req);
	int r;

	if ((r = claims_read(c, pc)) != EID_OK)
		return r;
	if (strcmp(pc->htm, req->htm) != 0)
		return EID_EMISMATCH;
	if ((r = htu_match(pc->htu, req->htu)) != EID_OK)
		return r;
	if (pc->iat + w < req->now || pc->iat > req->now + w)
		return EID_EEXPIRED;
	if ((r = ath_check(c, req->access_token)) != EID_OK)
		return r;
	if (req->nonce_key != NULL &&
	    (pc->nonce == NULL ||
	     eid_dpop_nonce_check(req->nonce_key, pc->nonce, req->now) !=
		     EID_OK))
		return EID_ESTATE;
	return EID_OK;
}

int eid_dpop_verify(const char *proof, size_t len,
		    const struct eid_dpop_request *req, eid_store *s,
		    char ret_jkt[EID_THUMBPRINT_LEN + 1])
{
	char jkt[EID_THUMBPRINT_LEN + 1];
	struct proof_claims pc = { 0 };
	json_t *h = NULL, *claims = NULL;
	int r;

	if ((proof == NULL && len > 0) || req == NULL || req->htm == NULL ||
	    req->htu == NULL || s == NULL || ret_jkt == NULL)
		return EID_EINVAL;
	if (len > EID_DPOP_MAX)
		return EID_ETOOBIG;
	if ((r = proof_header(proof, len, &h)) != EID_OK ||
	    (r = header_check(h)) != EID_OK ||
	    (r = proof_signature(proof, len, h, &claims, jkt)) != EID_OK ||
	    (r = claims_check(claims, req, &pc)) != EID_OK)
		goto out;
	/* Last, so that a proof refused for another reason does not use up
	 * its jti; kept for as long as the proof could still be accepted. */
	r = eid_jwt_jti_once(s, TAG_JTI, jkt, pc.jti,
			     pc.iat + iat_window(req) + 1);
	if (r == EID_OK)
		memcpy(ret_jkt, jkt, sizeof(jkt));
out:
	json_decref(h);
	json_decref(claims);
	return r;
}
