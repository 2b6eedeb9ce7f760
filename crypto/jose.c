#include "crypto/jose.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "crypto/error.h"
#include "crypto/json_write.h"
#include "crypto/jws_write.h"
#include "crypto/secret.h"

#define JWS_HEADER_MAX 4096 /* decoded protected header */
#define JWS_SIG_MAX 1024    /* decoded signature: RSA-8192 */
#define DER_SIG_MAX 128     /* ECDSA-P384 signature in DER */

/* ---- base64url ---- */

static const char b64url_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* n bytes at in as the EID_B64URL_LEN(n) characters of abc at d, unpadded.
 * Every JWS part and token goes through here: OpenSSL's EVP_EncodeBlock
 * through a bounce buffer, remapped character by character, cost about
 * three times as much. */
static void b64_encode_to(const uint8_t *in, size_t n, const char *abc,
			  uint8_t *d)
{
	size_t i = 0;
	uint32_t v;

	for (; n - i >= 3; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		*d++ = (uint8_t)abc[v >> 18];
		*d++ = (uint8_t)abc[v >> 12 & 63];
		*d++ = (uint8_t)abc[v >> 6 & 63];
		*d++ = (uint8_t)abc[v & 63];
	}
	if (n - i > 0) {
		v = (uint32_t)in[i] << 16 |
		    (n - i == 2 ? (uint32_t)in[i + 1] << 8 : 0);
		*d++ = (uint8_t)abc[v >> 18];
		*d++ = (uint8_t)abc[v >> 12 & 63];
		if (n - i == 2)
			*d = (uint8_t)abc[v >> 6 & 63];
	}
}

/* Appended to out in one reservation: no copy is left behind (out may be
 * a secret). */
static int b64_encode(const void *p, size_t n, const char *abc, eid_buf *out)
{
	uint8_t *d;
	int r;

	if ((p == NULL && n > 0) || out == NULL)
		return EID_EINVAL;
	if (n > SIZE_MAX / 4)
		return EID_ETOOBIG;
	if ((r = eid_buf_reserve(out, EID_B64URL_LEN(n), &d)) != EID_OK)
		return r;
	b64_encode_to(p, n, abc, d);
	return EID_OK;
}

int eid_b64url_encode(const void *p, size_t n, eid_buf *out)
{
	return b64_encode(p, n, b64url_alphabet, out);
}

/* The value of c in the base64url alphabet (url) or the standard one;
 * -1 outside it.  The two differ only in 62 and 63. */
static int b64_val(unsigned char c, bool url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/* Decode the 2..4 characters at s into 1..3 bytes at dst.  A short final
 * group must leave its unused low bits zero. */
static int b64_group(const char *s, size_t k, bool url, uint8_t *dst)
{
	uint32_t acc = 0;

	for (size_t i = 0; i < 4; i++) {
		int v = i < k ? b64_val((unsigned char)s[i], url) : 0;
		if (v < 0)
			return EID_EMALFORMED;
		acc = (acc << 6) | (uint32_t)v;
	}
	if ((k == 2 && (acc & 0xffff) != 0) || (k == 3 && (acc & 0xff) != 0))
		return EID_EMALFORMED;
	for (size_t i = 0; i + 1 < k; i++)
		dst[i] = (uint8_t)(acc >> (16 - 8 * i));
	return EID_OK;
}

/* n characters of one alphabet, unpadded, appended to out. */
static int b64_decode(const char *s, size_t n, bool url, eid_buf *out)
{
	size_t start, outlen, k;
	uint8_t *dst;
	int r;

	if ((s == NULL && n > 0) || out == NULL)
		return EID_EINVAL;
	if (n % 4 == 1)
		return EID_EMALFORMED;
	outlen = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
	start = out->len;
	r = eid_buf_reserve(out, outlen, &dst);
	if (r != EID_OK)
		return r;
	for (size_t i = 0; i < n; i += 4) {
		k = n - i < 4 ? n - i : 4;
		r = b64_group(s + i, k, url, dst);
		if (r != EID_OK) {
			eid_buf_truncate(out, start);
			return r;
		}
		dst += k - 1;
	}
	return EID_OK;
}

int eid_b64url_decode(const char *s, size_t n, eid_buf *out)
{
	return b64_decode(s, n, true, out);
}

int eid_b64_encode(const void *p, size_t n, eid_buf *out)
{
	size_t start, pad = (3 - n % 3) % 3;
	int r;

	if (out == NULL)
		return EID_EINVAL;
	start = out->len;
	if ((r = b64_encode(p, n, b64_alphabet, out)) != EID_OK)
		return r;
	if ((r = eid_buf_put(out, "==", pad)) != EID_OK)
		eid_buf_truncate(out, start);
	return r;
}

/* Straight from s, without a copy of the text (it may be a secret, as in
 * HTTP Basic credentials). */
int eid_b64_decode(const char *s, size_t n, eid_buf *out)
{
	size_t pad = 0;

	if ((s == NULL && n > 0) || out == NULL)
		return EID_EINVAL;
	if (n % 4 != 0)
		return EID_EMALFORMED;
	while (pad < 2 && pad < n && s[n - 1 - pad] == '=')
		pad++;
	return b64_decode(s, n - pad, false, out);
}

/* ---- hashes and thumbprints ---- */

int eid_sha256(const void *p, size_t n, uint8_t ret_digest[32])
{
	if ((p == NULL && n > 0) || ret_digest == NULL)
		return EID_EINVAL;
	if (EVP_Digest(p, n, ret_digest, NULL, EVP_sha256(), NULL) != 1) {
		ERR_clear_error();
		return EID_ECRYPTO;
	}
	return EID_OK;
}

int eid_b64url_encode_str(const void *p, size_t n, char *ret,
			  size_t retsize)
{
	if (ret == NULL || retsize == 0 || (p == NULL && n > 0))
		return EID_EINVAL;
	if (n > SIZE_MAX / 4 || EID_B64URL_LEN(n) >= retsize)
		return EID_ETOOBIG;
	b64_encode_to(p, n, b64url_alphabet, (uint8_t *)ret);
	ret[EID_B64URL_LEN(n)] = '\0';
	return EID_OK;
}

int eid_jwk_thumbprint(const json_t *jwk, char ret[EID_THUMBPRINT_LEN + 1])
{
	static const char *const ec[] = { "crv", "kty", "x", "y", NULL };
	static const char *const rsa[] = { "e", "kty", "n", NULL };
	const char *const *names;
	const char *kty;
	json_t *canon = NULL;
	char *s = NULL;
	uint8_t d[32];
	int r = EID_EMALFORMED;

	if (ret == NULL)
		return EID_EINVAL;
	kty = json_string_value(json_object_get(jwk, "kty"));
	if (kty == NULL)
		return EID_EMALFORMED;
	if (strcmp(kty, "EC") == 0)
		names = ec;
	else if (strcmp(kty, "RSA") == 0)
		names = rsa;
	else
		return EID_EUNSUPPORTED;
	if ((canon = json_object()) == NULL)
		return EID_ENOMEM;
	for (; *names != NULL; names++) {
		json_t *v = json_object_get(jwk, *names);
		if (!json_is_string(v))
			goto out;
		if (json_object_set(canon, *names, v) != 0) {
			r = EID_ENOMEM;
			goto out;
		}
	}
	/* RFC 7638: required members only, sorted, no whitespace. */
	r = EID_ENOMEM;
	s = json_dumps(canon, JSON_COMPACT | JSON_SORT_KEYS);
	if (s == NULL)
		goto out;
	if ((r = eid_sha256(s, strlen(s), d)) != EID_OK)
		goto out;
	r = eid_b64url_encode_str(d, sizeof(d), ret, EID_THUMBPRINT_LEN + 1);
out:
	free(s);
	json_decref(canon);
	return r;
}

int eid_oidc_hash_half(eid_alg alg, const char *token, eid_buf *out)
{
	const eid_alg_info *info = eid_alg_info_get(alg);
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	const EVP_MD *md;

	if (info == NULL || token == NULL || out == NULL)
		return EID_EINVAL;
	md = EVP_get_digestbyname(info->md);
	if (md == NULL ||
	    EVP_Digest(token, strlen(token), d, &dlen, md, NULL) != 1) {
		ERR_clear_error();
		return EID_ECRYPTO;
	}
	return eid_b64url_encode(d, dlen / 2, out);
}

/* ---- signing ---- */

/* Header members we set ourselves, never from extra_header. */
static const char *const header_reserved[] = { "alg", "kid", "typ", NULL };

int eid_json_merge(json_t *dst, const json_t *src,
		   const char *const *reserved)
{
	const char *name;
	json_t *v;

	if (src == NULL)
		return EID_OK;
	if (!json_is_object(dst) || !json_is_object(src))
		return EID_EINVAL;
	json_object_foreach((json_t *)src, name, v) {
		for (const char *const *n = reserved; n != NULL && *n != NULL;
		     n++)
			if (strcmp(*n, name) == 0)
				return EID_EINVAL;
	}
	return json_object_update(dst, (json_t *)src) == 0 ? EID_OK :
							     EID_ENOMEM;
}

int eid_jws_sign_ex(const eid_key *key, const char *typ,
		    const json_t *extra_header, const json_t *claims,
		    char **ret_compact)
{
	json_t *hdr = NULL;
	eid_buf h, payload;
	const char *alg;
	int r;

	if (key == NULL || !json_is_object(claims) || ret_compact == NULL ||
	    !eid_key_has_private(key) ||
	    (alg = eid_alg_name(eid_key_alg(key))) == NULL)
		return EID_EINVAL;
	eid_buf_init(&h, EID_JWS_PART_MAX);
	eid_buf_init(&payload, EID_JWS_PART_MAX);
	r = EID_ENOMEM;
	if ((hdr = json_pack("{s:s,s:s}", "alg", alg, "kid",
			     eid_key_kid(key))) == NULL ||
	    (typ != NULL &&
	     json_object_set_new(hdr, "typ", json_string(typ)) != 0))
		goto out;
	if ((r = eid_json_merge(hdr, extra_header, header_reserved)) !=
		    EID_OK ||
	    (r = eid_json_write(hdr, &h)) != EID_OK ||
	    (r = eid_json_write(claims, &payload)) != EID_OK)
		goto out;
	r = eid_jws_compact(key, h.data, h.len, payload.data, payload.len,
			    ret_compact);
out:
	json_decref(hdr);
	eid_buf_free(&h);
	eid_buf_free(&payload);
	return r;
}

int eid_jws_sign(const eid_key *key, const char *typ, const json_t *claims,
		 char **ret_compact)
{
	return eid_jws_sign_ex(key, typ, NULL, claims, ret_compact);
}

/* ---- verification ---- */

/* The three parts of a compact JWS, borrowed from the input. */
struct jws_parts {
	const char *hdr, *payload, *sig;
	size_t hdrlen, payloadlen, siglen;
};

static int jws_split(const char *s, size_t len, struct jws_parts *p)
{
	const char *d1, *d2;

	if (len == 0 || (d1 = memchr(s, '.', len)) == NULL)
		return EID_EMALFORMED;
	d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - s));
	if (d2 == NULL ||
	    memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - s)) != NULL)
		return EID_EMALFORMED;
	p->hdr = s;
	p->hdrlen = (size_t)(d1 - s);
	p->payload = d1 + 1;
	p->payloadlen = (size_t)(d2 - p->payload);
	p->sig = d2 + 1;
	p->siglen = len - (size_t)(p->sig - s);
	return EID_OK;
}

/* base64url of a JSON object, decoded to at most cap bytes. */
static int json_from_b64(const char *s, size_t n, size_t cap,
			 json_t **ret_obj)
{
	json_t *o = NULL;
	eid_buf b;
	int r;

	eid_buf_init(&b, cap);
	r = eid_b64url_decode(s, n, &b);
	if (r == EID_ETOOBIG)
		r = EID_EMALFORMED;
	if (r != EID_OK)
		goto out;
	r = EID_EMALFORMED;
	if (b.len == 0)
		goto out;
	o = json_loadb((const char *)b.data, b.len, JSON_REJECT_DUPLICATES,
		       NULL);
	if (!json_is_object(o))
		goto out;
	*ret_obj = o;
	o = NULL;
	r = EID_OK;
out:
	json_decref(o);
	eid_buf_free(&b);
	return r;
}

/* The header's alg, refused unless the caller allows it and we know it. */
static int jws_alg(const json_t *hdr, const char *const *allowed,
		   eid_alg *ret_alg)
{
	const char *name = json_string_value(json_object_get(hdr, "alg"));
	bool ok = false;

	if (name == NULL)
		return EID_EMALFORMED;
	/* We understand no JWS extension, so any "crit" must be refused. */
	if (json_object_get(hdr, "crit") != NULL)
		return EID_EUNSUPPORTED;
	for (; *allowed != NULL && !ok; allowed++)
		ok = strcmp(*allowed, name) == 0;
	if (!ok)
		return EID_EUNSUPPORTED;
	return eid_alg_from_name(name, ret_alg);
}

/* JOSE carries ECDSA as R || S of fixed size; OpenSSL wants DER. */
static int ec_sig_to_der(const uint8_t *sig, size_t siglen, size_t n,
			 uint8_t der[DER_SIG_MAX], size_t *ret_len)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *br, *bs;
	unsigned char *p = der;
	int len, r = EID_EVERIFY;

	if (es == NULL)
		return EID_ENOMEM;
	if (siglen != 2 * n)
		goto out;
	br = BN_bin2bn(sig, (int)n, NULL);
	bs = BN_bin2bn(sig + n, (int)n, NULL);
	if (br == NULL || bs == NULL || ECDSA_SIG_set0(es, br, bs) != 1) {
		BN_free(br);
		BN_free(bs);
		r = EID_ENOMEM;
		goto out;
	}
	len = i2d_ECDSA_SIG(es, NULL);
	if (len <= 0 || len > DER_SIG_MAX || i2d_ECDSA_SIG(es, &p) != len)
		goto out;
	*ret_len = (size_t)len;
	r = EID_OK;
out:
	ECDSA_SIG_free(es);
	return r;
}

static int sig_check(const eid_key *key, const eid_alg_info *info,
		     const struct jws_parts *p, const uint8_t *sig,
		     size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t der[DER_SIG_MAX];
	size_t input = p->hdrlen + 1 + p->payloadlen;
	int r = EID_ENOMEM;

	if (ctx == NULL)
		return EID_ENOMEM;
	if (info->ec) {
		r = ec_sig_to_der(sig, siglen, info->ec_len, der, &siglen);
		if (r != EID_OK)
			goto out;
		sig = der;
	}
	r = EID_ECRYPTO;
	if (EVP_DigestVerifyInit(ctx, &pctx, EVP_get_digestbyname(info->md),
				 NULL, eid_key_pkey(key)) != 1)
		goto out;
	if (info->pss &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
		goto out;
	r = EVP_DigestVerify(ctx, sig, siglen, (const uint8_t *)p->hdr,
			     input) == 1 ? EID_OK : EID_EVERIFY;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return r;
}

/* Try the keys the header's kid names (all keys without a kid). */
static int jws_check(const json_t *hdr, eid_alg alg, const struct jws_parts *p,
		     const eid_key *const *keys, size_t nkeys)
{
	const json_t *kidv = json_object_get(hdr, "kid");
	const char *kid = json_string_value(kidv);
	const eid_alg_info *info = eid_alg_info_get(alg);
	bool found = false, fits = false;
	eid_buf sig;
	int r;

	if (kidv != NULL && kid == NULL)
		return EID_EMALFORMED;
	eid_buf_init(&sig, JWS_SIG_MAX);
	r = eid_b64url_decode(p->sig, p->siglen, &sig);
	if (r != EID_OK) {
		eid_buf_free(&sig);
		return r == EID_ETOOBIG ? EID_EVERIFY : r;
	}
	r = EID_EVERIFY;
	for (size_t i = 0; i < nkeys && r == EID_EVERIFY; i++) {
		if (keys[i] == NULL ||
		    (kid != NULL && strcmp(kid, eid_key_kid(keys[i])) != 0))
			continue;
		found = true;
		if (!eid_key_accepts(keys[i], alg))
			continue;
		fits = true;
		r = sig_check(keys[i], info, p, sig.data, sig.len);
	}
	eid_buf_free(&sig);
	if (r == EID_EVERIFY && !found)
		return EID_ENOTFOUND;
	if (r == EID_EVERIFY && !fits)
		return EID_EMISMATCH;
	return r;
}

/* eid_jws_verify: parse, check the header and the signature against
 * keys, then parse the claims. */
static int jws_open(const char *compact, size_t len, const eid_key *const *keys,
		    size_t nkeys, const char *const *allowed_algs,
		    json_t **ret_header, json_t **ret_claims)
{
	struct jws_parts p;
	json_t *hdr = NULL, *claims = NULL;
	eid_alg alg;
	int r;

	if (len > EID_JWS_MAX)
		return EID_ETOOBIG;
	if ((r = jws_split(compact, len, &p)) != EID_OK ||
	    (r = json_from_b64(p.hdr, p.hdrlen, JWS_HEADER_MAX, &hdr)) != EID_OK ||
	    (r = jws_alg(hdr, allowed_algs, &alg)) != EID_OK ||
	    (r = jws_check(hdr, alg, &p, keys, nkeys)) != EID_OK ||
	    (r = json_from_b64(p.payload, p.payloadlen, EID_JWS_MAX,
			       &claims)) != EID_OK)
		goto out;
	if (ret_header != NULL) {
		*ret_header = hdr;
		hdr = NULL;
	}
	*ret_claims = claims;
	claims = NULL;
out:
	json_decref(hdr);
	json_decref(claims);
	return r;
}

int eid_jws_verify(const char *compact, size_t len,
		   const eid_key *const *keys, size_t nkeys,
		   const char *const *allowed_algs, json_t **ret_header,
		   json_t **ret_claims)
{
	static const eid_key *const none[1] = { NULL };

	if ((compact == NULL && len > 0) || (keys == NULL && nkeys > 0) ||
	    allowed_algs == NULL || ret_claims == NULL)
		return EID_EINVAL;
	return jws_open(compact, len, keys != NULL ? keys : none, nkeys,
			allowed_algs, ret_header, ret_claims);
}
