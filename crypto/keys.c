#include "crypto/keys.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/pkcs11.h"
#include "crypto/seal.h"
#include "crypto/secret.h"

#define KID_MAX 128
#define SEAL_VERSION 0xE1
#define REF_VERSION 0xE2 /* a reference to a key in a PKCS#11 token */
#define SEAL_NONCE EID_GCM_NONCE
#define SEAL_TAG EID_GCM_TAG
#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 8192
#define RSA_GEN_BITS 3072
#define RAW_MAX 8  /* n, e, d, p, q, dp, dq, qi */

static const eid_alg_info alg_table[] = {
	{ EID_ALG_ES256, "ES256", true, "P-256", 32, "SHA256", 32, false, true },
	{ EID_ALG_RS256, "RS256", false, NULL, 0, "SHA256", 32, false, true },
	{ EID_ALG_PS256, "PS256", false, NULL, 0, "SHA256", 32, true, true },
	{ EID_ALG_ES384, "ES384", true, "P-384", 48, "SHA384", 48, false, false },
};

/* The curves we know, by OpenSSL group name and JWK name. */
static const struct curve {
	const char *group;
	const char *crv;
	size_t len;
	cjose_jwk_ec_curve cjose;
} curves[] = {
	{ "prime256v1", "P-256", 32, CJOSE_JWK_EC_P_256 },
	{ "secp384r1", "P-384", 48, CJOSE_JWK_EC_P_384 },
};

struct eid_key {
	char kid[KID_MAX + 1];
	eid_alg alg;
	bool priv;
	const struct curve *curve; /* NULL for RSA */
	EVP_PKEY *pkey;
	cjose_jwk_t *jwk;          /* built once: signing never re-parses */
	json_t *pub;               /* kty and crv/x/y or n/e */
	EVP_PKEY_CTX *sign_ctx;    /* in memory, private: set up to sign */
	EVP_MD *md;                /* with sign_ctx: the algorithm's digest */
	char *label;               /* in a token: the object's label */
	eid_pkcs11 *p11;           /* in a token: the token */
	eid_key_sign_fn remote;    /* signs elsewhere (signer process) */
	void *remote_ctx;
};

/* Parameters as big-endian bytes: EC x, y[, d]; RSA n, e[, d, p, q, dp,
 * dq, qi].  All buffers are secret so the private ones are wiped. */
struct key_raw {
	eid_buf v[RAW_MAX];
	size_t n;
};

static const char *const ec_params[] = {
	OSSL_PKEY_PARAM_EC_PUB_X, OSSL_PKEY_PARAM_EC_PUB_Y,
	OSSL_PKEY_PARAM_PRIV_KEY,
};
static const char *const rsa_params[] = {
	OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D,
	OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
	OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
	OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

const eid_alg_info *eid_alg_info_get(eid_alg alg)
{
	for (size_t i = 0; i < sizeof(alg_table) / sizeof(alg_table[0]); i++)
		if (alg_table[i].alg == alg)
			return &alg_table[i];
	return NULL;
}

int eid_alg_from_name(const char *name, eid_alg *ret_alg)
{
	if (name == NULL || ret_alg == NULL)
		return EID_EINVAL;
	for (size_t i = 0; i < sizeof(alg_table) / sizeof(alg_table[0]); i++) {
		if (strcmp(alg_table[i].name, name) == 0) {
			*ret_alg = alg_table[i].alg;
			return EID_OK;
		}
	}
	return EID_EUNSUPPORTED;
}

const char *eid_alg_name(eid_alg alg)
{
	const eid_alg_info *info = eid_alg_info_get(alg);

	return info == NULL ? NULL : info->name;
}

const char *eid_key_kid(const eid_key *key)
{
	return key->kid;
}

eid_alg eid_key_alg(const eid_key *key)
{
	return key->alg;
}

bool eid_key_has_private(const eid_key *key)
{
	return key->priv;
}

EVP_PKEY *eid_key_pkey(const eid_key *key)
{
	return key->pkey;
}

const cjose_jwk_t *eid_key_cjose(const eid_key *key)
{
	return key->jwk;
}

const EVP_PKEY_CTX *eid_key_sign_ctx(const eid_key *key)
{
	return key != NULL ? key->sign_ctx : NULL;
}

const EVP_MD *eid_key_md(const eid_key *key)
{
	return key != NULL ? key->md : NULL;
}

bool eid_key_accepts(const eid_key *key, eid_alg alg)
{
	const eid_alg_info *info = eid_alg_info_get(alg);

	if (info == NULL)
		return false;
	if (key->alg != EID_ALG_UNSET)
		return key->alg == alg;
	return key->curve == NULL && !info->ec;
}

void eid_key_free(eid_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_CTX_free(key->sign_ctx);
	EVP_MD_free(key->md);
	EVP_PKEY_free(key->pkey);
	cjose_jwk_release(key->jwk);
	json_decref(key->pub);
	free(key->label);
	free(key);
}

static const struct curve *curve_by_group(const char *group)
{
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (strcmp(curves[i].group, group) == 0)
			return &curves[i];
	return NULL;
}

static const struct curve *curve_by_crv(const char *crv)
{
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (strcmp(curves[i].crv, crv) == 0)
			return &curves[i];
	return NULL;
}

/* The key's shape must fit alg: the right curve, or RSA of a sane size. */
static int key_check_shape(EVP_PKEY *pkey, eid_alg alg,
			   const struct curve **ret_curve)
{
	const eid_alg_info *info = eid_alg_info_get(alg);
	const struct curve *c;
	char group[64];
	size_t glen = 0;
	int bits;

	if (EVP_PKEY_is_a(pkey, "EC")) {
		if (EVP_PKEY_get_group_name(pkey, group, sizeof(group),
					    &glen) != 1)
			return EID_EUNSUPPORTED;
		c = curve_by_group(group);
		if (c == NULL)
			return EID_EUNSUPPORTED;
		if (info == NULL || !info->ec || strcmp(info->crv, c->crv) != 0)
			return EID_EMISMATCH;
		*ret_curve = c;
		return EID_OK;
	}
	if (!EVP_PKEY_is_a(pkey, "RSA"))
		return EID_EUNSUPPORTED;
	if (info != NULL && info->ec)
		return EID_EMISMATCH;
	bits = EVP_PKEY_get_bits(pkey);
	if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS)
		return EID_EUNSUPPORTED;
	*ret_curve = NULL;
	return EID_OK;
}

static void raw_free(struct key_raw *raw)
{
	for (size_t i = 0; i < RAW_MAX; i++)
		eid_buf_free(&raw->v[i]);
}

/* One parameter as big-endian bytes, left-padded to pad when pad > 0. */
static int raw_param(EVP_PKEY *pkey, const char *name, size_t pad,
		     eid_buf *out)
{
	BIGNUM *bn = NULL;
	uint8_t *dst;
	size_t n;
	int r;

	if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) {
		ERR_clear_error();
		return EID_ECRYPTO;
	}
	n = pad > 0 ? pad : (size_t)BN_num_bytes(bn);
	r = EID_EMALFORMED;
	if ((size_t)BN_num_bytes(bn) > n || n == 0)
		goto out;
	r = eid_buf_reserve(out, n, &dst);
	if (r != EID_OK)
		goto out;
	if (BN_bn2binpad(bn, dst, (int)n) != (int)n)
		r = EID_ECRYPTO;
out:
	BN_clear_free(bn);
	return r;
}

static int raw_get(EVP_PKEY *pkey, const struct curve *c, bool priv,
		   struct key_raw *raw)
{
	const char *const *names = c != NULL ? ec_params : rsa_params;
	size_t n = c != NULL ? (priv ? 3 : 2) : (priv ? 8 : 2);
	int r;

	for (size_t i = 0; i < RAW_MAX; i++)
		eid_buf_init_secret(&raw->v[i], 1024);
	raw->n = n;
	for (size_t i = 0; i < n; i++) {
		r = raw_param(pkey, names[i], c != NULL ? c->len : 0,
			      &raw->v[i]);
		if (r != EID_OK)
			return r;
	}
	return EID_OK;
}

static int json_set_b64(json_t *obj, const char *name, const eid_buf *v)
{
	eid_buf b;
	int r;

	eid_buf_init(&b, 2048);
	r = eid_b64url_encode(v->data, v->len, &b);
	if (r == EID_OK && eid_buf_cstr(&b) == NULL)
		r = EID_ENOMEM;
	if (r == EID_OK &&
	    json_object_set_new(obj, name, json_string((char *)b.data)) != 0)
		r = EID_ENOMEM;
	eid_buf_free(&b);
	return r;
}

/* kty and the public members, in the shape RFC 7638 hashes. */
static int pub_build(const struct curve *c, const struct key_raw *raw,
		     json_t **ret_pub)
{
	json_t *o = json_object();
	int r = EID_ENOMEM;

	if (o == NULL)
		return EID_ENOMEM;
	if (json_object_set_new(o, "kty", json_string(c ? "EC" : "RSA")) != 0)
		goto out;
	if (c != NULL) {
		if (json_object_set_new(o, "crv", json_string(c->crv)) != 0)
			goto out;
		if ((r = json_set_b64(o, "x", &raw->v[0])) != EID_OK ||
		    (r = json_set_b64(o, "y", &raw->v[1])) != EID_OK)
			goto out;
	} else {
		if ((r = json_set_b64(o, "n", &raw->v[0])) != EID_OK ||
		    (r = json_set_b64(o, "e", &raw->v[1])) != EID_OK)
			goto out;
	}
	*ret_pub = o;
	o = NULL;
	r = EID_OK;
out:
	json_decref(o);
	return r;
}

static uint8_t *raw_ptr(const struct key_raw *raw, size_t i)
{
	return i < raw->n ? raw->v[i].data : NULL;
}

static size_t raw_len(const struct key_raw *raw, size_t i)
{
	return i < raw->n ? raw->v[i].len : 0;
}

static cjose_jwk_t *cjose_build(const struct curve *c,
				const struct key_raw *raw)
{
	cjose_err err;

	if (c != NULL) {
		cjose_jwk_ec_keyspec spec = {
			.crv = c->cjose,
			.x = raw_ptr(raw, 0), .xlen = raw_len(raw, 0),
			.y = raw_ptr(raw, 1), .ylen = raw_len(raw, 1),
			.d = raw_ptr(raw, 2), .dlen = raw_len(raw, 2),
		};
		return cjose_jwk_create_EC_spec(&spec, &err);
	}
	cjose_jwk_rsa_keyspec spec = {
		.n = raw_ptr(raw, 0), .nlen = raw_len(raw, 0),
		.e = raw_ptr(raw, 1), .elen = raw_len(raw, 1),
		.d = raw_ptr(raw, 2), .dlen = raw_len(raw, 2),
		.p = raw_ptr(raw, 3), .plen = raw_len(raw, 3),
		.q = raw_ptr(raw, 4), .qlen = raw_len(raw, 4),
		.dp = raw_ptr(raw, 5), .dplen = raw_len(raw, 5),
		.dq = raw_ptr(raw, 6), .dqlen = raw_len(raw, 6),
		.qi = raw_ptr(raw, 7), .qilen = raw_len(raw, 7),
	};
	return cjose_jwk_create_RSA_spec(&spec, &err);
}

/* Wrap pkey (always consumed) into a key: check its shape against alg,
 * build the public JWK members, the kid (kid, or the RFC 7638 thumbprint
 * when NULL) and the cjose JWK. */
/* What OpenSSL 3 looks up on every EVP_DigestSignInit (the digest and the
 * signature implementation, by name, from the provider) done once per
 * key: each signature duplicates this context instead. */
static int sign_prepare(eid_key *k)
{
	const eid_alg_info *info = eid_alg_info_get(k->alg);
	int r = EID_ECRYPTO;

	if (info == NULL || !info->can_sign)
		return EID_OK; /* a key we never sign with */
	if ((k->md = EVP_MD_fetch(NULL, info->md, NULL)) == NULL ||
	    (k->sign_ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey,
						      NULL)) == NULL ||
	    EVP_PKEY_sign_init(k->sign_ctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(k->sign_ctx, k->md) != 1 ||
	    (info->pss &&
	     (EVP_PKEY_CTX_set_rsa_padding(k->sign_ctx,
					   RSA_PKCS1_PSS_PADDING) != 1 ||
	      EVP_PKEY_CTX_set_rsa_pss_saltlen(k->sign_ctx,
					       RSA_PSS_SALTLEN_DIGEST) != 1)))
		goto out;
	r = EID_OK;
out:
	ERR_clear_error();
	return r;
}

static int key_wrap(EVP_PKEY *pkey, eid_alg alg, bool priv, const char *kid,
		    eid_key **ret_key)
{
	struct key_raw raw = { 0 };
	eid_key *k = NULL;
	int r;

	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		EVP_PKEY_free(pkey);
		return EID_ENOMEM;
	}
	k->pkey = pkey;
	k->alg = alg;
	k->priv = priv;
	if ((r = key_check_shape(pkey, alg, &k->curve)) != EID_OK ||
	    (r = raw_get(pkey, k->curve, priv, &raw)) != EID_OK ||
	    (r = pub_build(k->curve, &raw, &k->pub)) != EID_OK)
		goto out;
	if (kid == NULL) {
		r = eid_jwk_thumbprint(k->pub, k->kid);
		if (r != EID_OK)
			goto out;
	} else {
		r = EID_EMALFORMED;
		if (strlen(kid) == 0 || strlen(kid) > KID_MAX)
			goto out;
		memcpy(k->kid, kid, strlen(kid) + 1);
	}
	if (priv && (r = sign_prepare(k)) != EID_OK)
		goto out;
	r = EID_ECRYPTO;
	k->jwk = cjose_build(k->curve, &raw);
	if (k->jwk == NULL)
		goto out;
	*ret_key = k;
	k = NULL;
	r = EID_OK;
out:
	raw_free(&raw);
	eid_key_free(k);
	return r;
}

int eid_key_generate(eid_alg alg, eid_key **ret_key)
{
	const eid_alg_info *info = eid_alg_info_get(alg);
	EVP_PKEY *pkey;

	if (ret_key == NULL)
		return EID_EINVAL;
	if (info == NULL || !info->can_sign)
		return EID_EUNSUPPORTED;
	if (info->ec)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", info->crv);
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
					 (size_t)RSA_GEN_BITS);
	if (pkey == NULL) {
		ERR_clear_error();
		return EID_ECRYPTO;
	}
	return key_wrap(pkey, alg, true, NULL, ret_key);
}

/* A key whose private operations go through handle (a token's key, or
 * one forwarding to the signer process), with its public JWK, kid and
 * cjose key made from pub alone.  Both consumed, also on failure. */
static int key_wrap_split(EVP_PKEY *handle, EVP_PKEY *pub, eid_alg alg,
			  eid_key **ret_key)
{
	eid_key *k = NULL;
	int r;

	if (handle == NULL || pub == NULL) {
		EVP_PKEY_free(handle);
		EVP_PKEY_free(pub);
		return EID_EINVAL;
	}
	if ((r = key_wrap(pub, alg, false, NULL, &k)) != EID_OK) {
		EVP_PKEY_free(handle);
		return r;
	}
	EVP_PKEY_free(k->pkey);
	k->pkey = handle;
	k->priv = true;
	*ret_key = k;
	return EID_OK;
}

int eid_key_from_token(EVP_PKEY *priv, EVP_PKEY *pub, eid_alg alg,
		       const char *label, eid_pkcs11 *p11, eid_key **ret_key)
{
	eid_key *k = NULL;
	int r;

	if (label == NULL || p11 == NULL || ret_key == NULL ||
	    strlen(label) == 0 || strlen(label) > 255) {
		EVP_PKEY_free(priv);
		EVP_PKEY_free(pub);
		return EID_EINVAL;
	}
	if ((r = key_wrap_split(priv, pub, alg, &k)) != EID_OK)
		return r;
	if ((k->label = strdup(label)) == NULL) {
		eid_key_free(k);
		return EID_ENOMEM;
	}
	k->p11 = p11;
	*ret_key = k;
	return EID_OK;
}

int eid_key_from_remote(EVP_PKEY *fwd, EVP_PKEY *pub, eid_alg alg,
			const char *kid, eid_key_sign_fn fn, void *ctx,
			eid_key **ret_key)
{
	eid_key *k = NULL;
	int r;

	if (kid == NULL || fn == NULL || ret_key == NULL) {
		EVP_PKEY_free(fwd);
		EVP_PKEY_free(pub);
		return EID_EINVAL;
	}
	if ((r = key_wrap_split(fwd, pub, alg, &k)) != EID_OK)
		return r;
	if (strcmp(k->kid, kid) != 0) {
		eid_key_free(k);
		return EID_EMISMATCH;
	}
	k->remote = fn;
	k->remote_ctx = ctx;
	*ret_key = k;
	return EID_OK;
}

bool eid_key_is_remote(const eid_key *key)
{
	return key != NULL && key->remote != NULL;
}

int eid_key_sign_digest(const eid_key *key, const uint8_t *digest,
			size_t digest_len, uint8_t *sig, size_t sig_max,
			size_t *ret_len)
{
	if (!eid_key_is_remote(key))
		return EID_EINVAL;
	return key->remote(key->remote_ctx, key->kid, key->alg, digest,
			 digest_len, sig, sig_max, ret_len);
}

const char *eid_key_token_label(const eid_key *key)
{
	return key != NULL ? key->label : NULL;
}

void eid_key_lock(const eid_key *key)
{
	if (key != NULL && key->p11 != NULL)
		eid_pkcs11_lock(key->p11);
}

void eid_key_unlock(const eid_key *key)
{
	if (key != NULL && key->p11 != NULL)
		eid_pkcs11_unlock(key->p11);
}

int eid_key_from_pkey(EVP_PKEY *pkey, eid_key **ret_key)
{
	eid_alg alg = EID_ALG_RS256;
	int r;

	if (pkey == NULL || ret_key == NULL)
		return EID_EINVAL;
	if (EVP_PKEY_is_a(pkey, "EC"))
		alg = EID_ALG_ES256;
	else if (!EVP_PKEY_is_a(pkey, "RSA"))
		return EID_EUNSUPPORTED;
	if (EVP_PKEY_up_ref(pkey) != 1)
		return EID_ECRYPTO;
	r = key_wrap(pkey, alg, true, NULL, ret_key);
	if (r == EID_EMISMATCH)
		r = EID_EUNSUPPORTED; /* an EC curve other than P-256 */
	else if (r == EID_ECRYPTO || r == EID_EMALFORMED)
		r = EID_EINVAL; /* no private half to read */
	ERR_clear_error();
	return r;
}

/* ---- sealed storage ---- */

static int seal_header(const eid_key *key, eid_buf *out)
{
	size_t kidlen = strlen(key->kid);
	int r;

	if ((r = eid_buf_put_u8(out, SEAL_VERSION)) != EID_OK ||
	    (r = eid_buf_put_u8(out, (uint8_t)key->alg)) != EID_OK ||
	    (r = eid_buf_put_u8(out, (uint8_t)kidlen)) != EID_OK ||
	    (r = eid_buf_put(out, key->kid, kidlen)) != EID_OK)
		return r;
	return EID_OK;
}

/* The reference record of a token key: its kid, alg, label and public
 * key, nothing secret. */
static int ref_encode(const eid_key *key, eid_buf *out)
{
	size_t start = out->len, lablen = strlen(key->label);
	unsigned char *der = NULL;
	int len, r;

	len = i2d_PUBKEY(key->pkey, &der);
	r = EID_ECRYPTO;
	if (len <= 0)
		goto out;
	if ((r = eid_buf_put_u8(out, REF_VERSION)) != EID_OK ||
	    (r = eid_buf_put_u8(out, (uint8_t)key->alg)) != EID_OK ||
	    (r = eid_buf_put_u8(out, (uint8_t)strlen(key->kid))) != EID_OK ||
	    (r = eid_buf_put(out, key->kid, strlen(key->kid))) != EID_OK ||
	    (r = eid_buf_put_u8(out, (uint8_t)lablen)) != EID_OK ||
	    (r = eid_buf_put(out, key->label, lablen)) != EID_OK ||
	    (r = eid_buf_put(out, der, (size_t)len)) != EID_OK)
		goto out;
	r = EID_OK;
out:
	if (r != EID_OK)
		eid_buf_truncate(out, start);
	ERR_clear_error();
	OPENSSL_free(der);
	return r;
}

int eid_key_seal(const eid_key *key, const uint8_t kek[32], eid_buf *out)
{
	OSSL_ENCODER_CTX *ectx = NULL;
	unsigned char *der = NULL;
	size_t derlen = 0, start, hdrlen;
	uint8_t nonce[SEAL_NONCE], *ct, *tag;
	int r = EID_EINVAL;

	if (key != NULL && key->label != NULL && out != NULL)
		return ref_encode(key, out);
	if (key == NULL || kek == NULL || out == NULL || !key->priv ||
	    key->remote != NULL)
		return EID_EINVAL;
	start = out->len;
	r = EID_ECRYPTO;
	ectx = OSSL_ENCODER_CTX_new_for_pkey(key->pkey, EVP_PKEY_KEYPAIR,
					     "DER", "PrivateKeyInfo", NULL);
	if (ectx == NULL || OSSL_ENCODER_to_data(ectx, &der, &derlen) != 1)
		goto out;
	if ((r = eid_random_bytes(nonce, sizeof(nonce))) != EID_OK ||
	    (r = seal_header(key, out)) != EID_OK)
		goto out;
	hdrlen = out->len - start;
	if ((r = eid_buf_put(out, nonce, sizeof(nonce))) != EID_OK ||
	    (r = eid_buf_reserve(out, derlen + SEAL_TAG, &ct)) != EID_OK)
		goto out;
	tag = ct + derlen;
	r = eid_gcm_run(true, kek, nonce, out->data + start, hdrlen, der, derlen,
		    ct, tag);
out:
	if (r != EID_OK)
		eid_buf_truncate(out, start);
	ERR_clear_error();
	OSSL_ENCODER_CTX_free(ectx);
	OPENSSL_clear_free(der, derlen);
	return r;
}

static int pkcs8_decode(const uint8_t *der, size_t len, bool ec,
			EVP_PKEY **ret_pkey)
{
	OSSL_DECODER_CTX *dctx;
	EVP_PKEY *pkey = NULL;
	int r = EID_EMALFORMED;

	dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "DER", "PrivateKeyInfo",
					     ec ? "EC" : "RSA",
					     EVP_PKEY_KEYPAIR, NULL, NULL);
	if (dctx == NULL)
		return EID_ECRYPTO;
	if (OSSL_DECODER_from_data(dctx, &der, &len) == 1 && pkey != NULL &&
	    len == 0) {
		*ret_pkey = pkey;
		pkey = NULL;
		r = EID_OK;
	}
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	OSSL_DECODER_CTX_free(dctx);
	return r;
}

/* The parts of a sealed blob, all borrowed from it. */
struct sealed {
	const eid_alg_info *info;
	const uint8_t *kid, *nonce, *ct, *tag;
	size_t kidlen, hdrlen, ctlen;
};

static int seal_parse(const uint8_t *blob, size_t len, struct sealed *s)
{
	eid_rd rd = eid_rd_make(blob, len);
	uint8_t version, alg, kidlen;

	if (eid_rd_u8(&rd, &version) != EID_OK)
		return EID_EMALFORMED;
	if (version != SEAL_VERSION)
		return EID_EUNSUPPORTED;
	if (eid_rd_u8(&rd, &alg) != EID_OK ||
	    eid_rd_u8(&rd, &kidlen) != EID_OK || kidlen == 0 ||
	    eid_rd_bytes(&rd, kidlen, &s->kid) != EID_OK)
		return EID_EMALFORMED;
	s->info = eid_alg_info_get((eid_alg)alg);
	if (s->info == NULL || !s->info->can_sign)
		return EID_EMALFORMED;
	s->kidlen = kidlen;
	s->hdrlen = rd.off;
	if (eid_rd_bytes(&rd, SEAL_NONCE, &s->nonce) != EID_OK ||
	    eid_rd_left(&rd) <= SEAL_TAG || len > EID_KEY_SEAL_MAX)
		return EID_EMALFORMED;
	s->ctlen = eid_rd_left(&rd) - SEAL_TAG;
	s->ct = eid_rd_ptr(&rd);
	s->tag = s->ct + s->ctlen;
	return EID_OK;
}

int eid_key_unseal(const uint8_t *blob, size_t len, const uint8_t kek[32],
		   eid_key **ret_key)
{
	struct sealed s;
	eid_buf pt;
	uint8_t *p, tag[SEAL_TAG];
	EVP_PKEY *pkey = NULL;
	eid_key *key = NULL;
	int r;

	if ((blob == NULL && len > 0) || kek == NULL || ret_key == NULL)
		return EID_EINVAL;
	r = seal_parse(blob, len, &s);
	if (r != EID_OK)
		return r;
	eid_buf_init_secret(&pt, s.ctlen);
	memcpy(tag, s.tag, SEAL_TAG);
	if ((r = eid_buf_reserve(&pt, s.ctlen, &p)) != EID_OK ||
	    (r = eid_gcm_run(false, kek, s.nonce, blob, s.hdrlen, s.ct, s.ctlen,
			 p, tag)) != EID_OK ||
	    (r = pkcs8_decode(pt.data, pt.len, s.info->ec, &pkey)) != EID_OK)
		goto out;
	r = key_wrap(pkey, s.info->alg, true, NULL, &key);
	if (r != EID_OK)
		goto out;
	/* The kid was authenticated; it must also be this key's thumbprint. */
	r = EID_EVERIFY;
	if (strlen(key->kid) != s.kidlen ||
	    memcmp(key->kid, s.kid, s.kidlen) != 0)
		goto out;
	*ret_key = key;
	key = NULL;
	r = EID_OK;
out:
	eid_buf_free(&pt);
	eid_key_free(key);
	return r;
}

bool eid_key_blob_in_token(const uint8_t *blob, size_t len)
{
	return blob != NULL && len > 0 && blob[0] == REF_VERSION;
}

/* The parts of a reference record: the label copied out (NUL-terminated),
 * the rest borrowed. */
struct ref {
	const eid_alg_info *info;
	const uint8_t *kid, *spki;
	size_t kidlen, spkilen;
	char label[EID_PKCS11_LABEL_MAX + 1];
};

static int ref_parse(const uint8_t *blob, size_t len, struct ref *ref)
{
	eid_rd rd = eid_rd_make(blob, len);
	const uint8_t *label;
	uint8_t version, alg, kidlen, lablen;

	if (len > EID_KEY_SEAL_MAX || eid_rd_u8(&rd, &version) != EID_OK ||
	    version != REF_VERSION || eid_rd_u8(&rd, &alg) != EID_OK ||
	    eid_rd_u8(&rd, &kidlen) != EID_OK || kidlen == 0 ||
	    eid_rd_bytes(&rd, kidlen, &ref->kid) != EID_OK ||
	    eid_rd_u8(&rd, &lablen) != EID_OK || lablen == 0 ||
	    lablen > EID_PKCS11_LABEL_MAX ||
	    eid_rd_bytes(&rd, lablen, &label) != EID_OK ||
	    memchr(label, '\0', lablen) != NULL || eid_rd_left(&rd) == 0)
		return EID_EMALFORMED;
	ref->info = eid_alg_info_get((eid_alg)alg);
	if (ref->info == NULL || !ref->info->can_sign)
		return EID_EMALFORMED;
	ref->kidlen = kidlen;
	memcpy(ref->label, label, lablen);
	ref->label[lablen] = '\0';
	ref->spkilen = eid_rd_left(&rd);
	ref->spki = eid_rd_ptr(&rd);
	return EID_OK;
}

int eid_key_open(const uint8_t *blob, size_t len, const uint8_t kek[32],
		 eid_pkcs11 *p11, eid_key **ret_key)
{
	struct ref ref;
	eid_key *key = NULL;
	int r;

	if (!eid_key_blob_in_token(blob, len))
		return eid_key_unseal(blob, len, kek, ret_key);
	if (ret_key == NULL)
		return EID_EINVAL;
	if ((r = ref_parse(blob, len, &ref)) != EID_OK)
		return r;
	if (p11 == NULL)
		return EID_ESTATE;
	r = eid_pkcs11_load(p11, ref.label, ref.info->alg, &key);
	/* Not found would read as "no such record" to callers: the record
	 * is there, the token does not match it. */
	if (r == EID_ENOTFOUND)
		r = EID_EMISMATCH;
	if (r != EID_OK)
		return r;
	/* The kid is the thumbprint of the token's public key. */
	if (strlen(key->kid) != ref.kidlen ||
	    memcmp(key->kid, ref.kid, ref.kidlen) != 0) {
		eid_key_free(key);
		return EID_EMISMATCH;
	}
	*ret_key = key;
	return EID_OK;
}

/* ---- JWK export ---- */

int eid_key_public_jwk(const eid_key *key, json_t **ret_jwk)
{
	const char *alg;
	json_t *o;

	if (key == NULL || ret_jwk == NULL)
		return EID_EINVAL;
	o = json_deep_copy(key->pub);
	if (o == NULL)
		return EID_ENOMEM;
	alg = eid_alg_name(key->alg);
	if (json_object_set_new(o, "kid", json_string(key->kid)) != 0 ||
	    json_object_set_new(o, "use", json_string("sig")) != 0 ||
	    (alg != NULL &&
	     json_object_set_new(o, "alg", json_string(alg)) != 0)) {
		json_decref(o);
		return EID_ENOMEM;
	}
	*ret_jwk = o;
	return EID_OK;
}

int eid_jwks_build(const eid_key *const *keys, size_t n, json_t **ret_jwks)
{
	json_t *arr = json_array(), *jwks = NULL, *jwk;
	int r = EID_ENOMEM;

	if ((keys == NULL && n > 0) || ret_jwks == NULL) {
		json_decref(arr);
		return EID_EINVAL;
	}
	if (arr == NULL)
		return EID_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		r = eid_key_public_jwk(keys[i], &jwk);
		if (r != EID_OK)
			goto out;
		r = EID_ENOMEM;
		if (json_array_append_new(arr, jwk) != 0)
			goto out;
	}
	r = EID_ENOMEM;
	jwks = json_object();
	if (jwks == NULL || json_object_set(jwks, "keys", arr) != 0)
		goto out;
	*ret_jwks = jwks;
	jwks = NULL;
	r = EID_OK;
out:
	json_decref(jwks);
	json_decref(arr);
	return r;
}

/* ---- public keys from outside JWKs ---- */

static int pkey_from_bld(const char *type, OSSL_PARAM_BLD *bld,
			 EVP_PKEY **ret_pkey)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY_CTX *check = NULL;
	EVP_PKEY *pkey = NULL;
	int r = EID_ECRYPTO;

	if (params == NULL || ctx == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1)
		goto out;
	r = EID_EMALFORMED;
	if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (check == NULL || EVP_PKEY_public_check(check) != 1)
		goto out;
	*ret_pkey = pkey;
	pkey = NULL;
	r = EID_OK;
out:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return r;
}

/* A base64url member appended to out: exactly len bytes when len > 0,
 * never empty. */
static int jwk_member(const json_t *jwk, const char *name, size_t len,
		      eid_buf *out)
{
	const json_t *v = json_object_get(jwk, name);
	size_t start = out->len;
	int r;

	if (!json_is_string(v))
		return EID_EMALFORMED;
	r = eid_b64url_decode(json_string_value(v), json_string_length(v),
			      out);
	/* Too long: a fixed-size member is malformed, an RSA one too big. */
	if (r == EID_ETOOBIG)
		return len > 0 ? EID_EMALFORMED : EID_EUNSUPPORTED;
	if (r != EID_OK)
		return r;
	if ((len > 0 && out->len - start != len) || out->len == start)
		return EID_EMALFORMED;
	return EID_OK;
}

static int jwk_ec(const json_t *jwk, const struct curve *c,
		  EVP_PKEY **ret_pkey)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	eid_buf pt;
	int r = EID_ENOMEM;

	/* The uncompressed point 04 || x || y. */
	eid_buf_init(&pt, 1 + 2 * c->len);
	if (bld == NULL || eid_buf_put_u8(&pt, 0x04) != EID_OK)
		goto out;
	if ((r = jwk_member(jwk, "x", c->len, &pt)) != EID_OK ||
	    (r = jwk_member(jwk, "y", c->len, &pt)) != EID_OK)
		goto out;
	r = EID_ENOMEM;
	if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					    c->group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
					     pt.data, pt.len) != 1)
		goto out;
	r = pkey_from_bld("EC", bld, ret_pkey);
out:
	OSSL_PARAM_BLD_free(bld);
	eid_buf_free(&pt);
	return r;
}

static int jwk_rsa(const json_t *jwk, EVP_PKEY **ret_pkey)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *n = NULL, *e = NULL;
	eid_buf nb, eb;
	int r = EID_ENOMEM;

	eid_buf_init(&nb, RSA_MAX_BITS / 8);
	eid_buf_init(&eb, 8);
	if (bld == NULL)
		goto out;
	if ((r = jwk_member(jwk, "n", 0, &nb)) != EID_OK ||
	    (r = jwk_member(jwk, "e", 0, &eb)) != EID_OK)
		goto out;
	r = EID_ENOMEM;
	n = BN_bin2bn(nb.data, (int)nb.len, NULL);
	e = BN_bin2bn(eb.data, (int)eb.len, NULL);
	if (n == NULL || e == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1)
		goto out;
	r = pkey_from_bld("RSA", bld, ret_pkey);
out:
	BN_free(n);
	BN_free(e);
	OSSL_PARAM_BLD_free(bld);
	eid_buf_free(&nb);
	eid_buf_free(&eb);
	return r;
}

static const char *const private_members[] = {
	"d", "p", "q", "dp", "dq", "qi", "oth", "k",
};

/* The optional members: use must be "sig", alg a known one, kid a string. */
static int jwk_optional(const json_t *jwk, eid_alg *ret_alg,
			const char **ret_kid)
{
	const json_t *use = json_object_get(jwk, "use");
	const json_t *alg = json_object_get(jwk, "alg");
	const json_t *kid = json_object_get(jwk, "kid");
	int r;

	for (size_t i = 0; i < sizeof(private_members) / sizeof(char *); i++)
		if (json_object_get(jwk, private_members[i]) != NULL)
			return EID_EINVAL;
	if (use != NULL && !json_is_string(use))
		return EID_EMALFORMED;
	if (use != NULL && strcmp(json_string_value(use), "sig") != 0)
		return EID_EUNSUPPORTED;
	*ret_alg = EID_ALG_UNSET;
	if (alg != NULL) {
		if (!json_is_string(alg))
			return EID_EMALFORMED;
		r = eid_alg_from_name(json_string_value(alg), ret_alg);
		if (r != EID_OK)
			return r;
	}
	*ret_kid = NULL;
	if (kid != NULL) {
		if (!json_is_string(kid) || json_string_length(kid) == 0 ||
		    json_string_length(kid) > KID_MAX ||
		    strlen(json_string_value(kid)) != json_string_length(kid))
			return EID_EMALFORMED;
		*ret_kid = json_string_value(kid);
	}
	return EID_OK;
}

int eid_key_from_public_jwk(const json_t *jwk, eid_key **ret_key)
{
	const char *kty, *kid, *crv;
	const struct curve *c;
	EVP_PKEY *pkey = NULL;
	eid_alg alg;
	int r;

	if (ret_key == NULL)
		return EID_EINVAL;
	if (!json_is_object(jwk))
		return EID_EMALFORMED;
	if ((r = jwk_optional(jwk, &alg, &kid)) != EID_OK)
		return r;
	kty = json_string_value(json_object_get(jwk, "kty"));
	if (kty == NULL)
		return EID_EMALFORMED;
	if (strcmp(kty, "RSA") == 0) {
		if (alg != EID_ALG_UNSET && eid_alg_info_get(alg)->ec)
			return EID_EMISMATCH;
		r = jwk_rsa(jwk, &pkey);
	} else if (strcmp(kty, "EC") == 0) {
		crv = json_string_value(json_object_get(jwk, "crv"));
		if (crv == NULL)
			return EID_EMALFORMED;
		if ((c = curve_by_crv(crv)) == NULL)
			return EID_EUNSUPPORTED;
		for (size_t i = 0; alg == EID_ALG_UNSET &&
				   i < sizeof(alg_table) / sizeof(alg_table[0]);
		     i++)
			if (alg_table[i].ec && strcmp(alg_table[i].crv, crv) == 0)
				alg = alg_table[i].alg;
		r = jwk_ec(jwk, c, &pkey);
	} else {
		return EID_EUNSUPPORTED;
	}
	if (r != EID_OK)
		return r;
	return key_wrap(pkey, alg, false, kid, ret_key);
}
