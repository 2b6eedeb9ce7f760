#include "chip/ka.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>

#include "crypto/error.h"
#include "crypto/secret.h"

/* Redraws of a private key before giving up: a draw is refused with
 * probability under 1/2 for every standard group. */
#define KEYGEN_TRIES 64

struct eid_ka {
	EC_GROUP *group;      /* ECDH; NULL for DH */
	BIGNUM *p, *q, *g;    /* DH; q NULL when unknown */
	const BIGNUM *order;  /* private keys lie in [1, order) */
	size_t field_len;     /* bytes of an x-coordinate, or of p */
};

struct eid_ka_key {
	BIGNUM *priv;
	size_t pub_len;
	uint8_t pub[EID_KA_ELEMENT_MAX];
};

int eid_ka_random(eid_ka_random_fn rnd, void *ctx, uint8_t *p, size_t n)
{
	return rnd != NULL ? rnd(ctx, p, n) : eid_random_bytes(p, n);
}

/* ---- domains ---- */

static int ec_nid(int param_id)
{
	static const int nids[] = {
		NID_X9_62_prime192v1, NID_brainpoolP192r1, NID_secp224r1,
		NID_brainpoolP224r1, NID_X9_62_prime256v1,
		NID_brainpoolP256r1, NID_brainpoolP320r1, NID_secp384r1,
		NID_brainpoolP384r1, NID_brainpoolP512r1, NID_secp521r1,
	};

	if (param_id < 8 || param_id > 18)
		return NID_undef;
	return nids[param_id - 8];
}

static eid_ka *ka_alloc(void)
{
	return calloc(1, sizeof(eid_ka));
}

/* Finish an EC domain around group (taken over). */
static int ka_ec(EC_GROUP *group, eid_ka **ret_ka)
{
	eid_ka *ka;

	if (group == NULL)
		return EID_ECRYPTO;
	if ((ka = ka_alloc()) == NULL) {
		EC_GROUP_free(group);
		return EID_ENOMEM;
	}
	ka->group = group;
	ka->order = EC_GROUP_get0_order(group);
	ka->field_len = ((size_t)EC_GROUP_get_degree(group) + 7) / 8;
	if (ka->order == NULL || 1 + 2 * ka->field_len > EID_KA_ELEMENT_MAX) {
		eid_ka_free(ka);
		return EID_EUNSUPPORTED;
	}
	*ret_ka = ka;
	return EID_OK;
}

/* Finish a DH domain around p, q (may be NULL) and g (taken over). */
static int ka_dh(BIGNUM *p, BIGNUM *q, BIGNUM *g, eid_ka **ret_ka)
{
	eid_ka *ka = NULL;
	int r = EID_ECRYPTO;

	if (p == NULL || g == NULL)
		goto out;
	r = EID_ENOMEM;
	if ((ka = ka_alloc()) == NULL)
		goto out;
	ka->p = p;
	ka->q = q;
	ka->g = g;
	p = q = g = NULL;
	ka->order = ka->q != NULL ? ka->q : ka->p;
	ka->field_len = (size_t)BN_num_bytes(ka->p);
	r = EID_EUNSUPPORTED;
	if (ka->field_len > EID_KA_ELEMENT_MAX || BN_is_zero(ka->order))
		goto out;
	*ret_ka = ka;
	ka = NULL;
	r = EID_OK;
out:
	BN_free(p);
	BN_free(q);
	BN_free(g);
	eid_ka_free(ka);
	return r;
}

/* p, q and g of a DH key or DH parameters. */
static int ka_dh_from_pkey(EVP_PKEY *key, eid_ka **ret_ka)
{
	BIGNUM *p = NULL, *q = NULL, *g = NULL;

	if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_FFC_P, &p) != 1 ||
	    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_FFC_G, &g) != 1) {
		BN_free(p);
		BN_free(g);
		return EID_ECRYPTO;
	}
	(void)EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_FFC_Q, &q);
	return ka_dh(p, q, g, ret_ka);
}

/* The RFC 5114 groups, as OpenSSL names them. */
static int ka_dh_named(const char *name, eid_ka **ret_ka)
{
	OSSL_PARAM params[2];
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "DHX", NULL);
	EVP_PKEY *key = NULL;
	int r = EID_ECRYPTO;

	params[0] = OSSL_PARAM_construct_utf8_string(
		OSSL_PKEY_PARAM_GROUP_NAME, (char *)name, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEY_PARAMETERS,
			      params) != 1)
		goto out;
	r = ka_dh_from_pkey(key, ret_ka);
out:
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(ctx);
	return r;
}

int eid_ka_new_standard(int param_id, eid_ka **ret_ka)
{
	static const char *const dh_names[] = {
		"dh_1024_160", "dh_2048_224", "dh_2048_256",
	};
	int nid;

	if (ret_ka == NULL)
		return EID_EINVAL;
	if (param_id >= 0 && param_id <= 2)
		return ka_dh_named(dh_names[param_id], ret_ka);
	if ((nid = ec_nid(param_id)) == NID_undef)
		return EID_EUNSUPPORTED;
	return ka_ec(EC_GROUP_new_by_curve_name(nid), ret_ka);
}

int eid_ka_new_from_pkey(EVP_PKEY *key, eid_ka **ret_ka)
{
	OSSL_PARAM *params = NULL;
	int type, r;

	if (key == NULL || ret_ka == NULL)
		return EID_EINVAL;
	type = EVP_PKEY_get_base_id(key);
	if (type == EVP_PKEY_DH || type == EVP_PKEY_DHX)
		return ka_dh_from_pkey(key, ret_ka);
	if (type != EVP_PKEY_EC)
		return EID_EUNSUPPORTED;
	/* Named or explicit: the parameters as OpenSSL exports them. */
	if (EVP_PKEY_todata(key, EVP_PKEY_KEY_PARAMETERS, &params) != 1)
		return EID_ECRYPTO;
	r = ka_ec(EC_GROUP_new_from_params(params, NULL, NULL), ret_ka);
	OSSL_PARAM_free(params);
	return r;
}

void eid_ka_free(eid_ka *ka)
{
	if (ka == NULL)
		return;
	EC_GROUP_free(ka->group);
	BN_free(ka->p);
	BN_free(ka->q);
	BN_free(ka->g);
	free(ka);
}

bool eid_ka_is_ec(const eid_ka *ka)
{
	return ka->group != NULL;
}

size_t eid_ka_public_len(const eid_ka *ka)
{
	return eid_ka_is_ec(ka) ? 1 + 2 * ka->field_len : ka->field_len;
}

size_t eid_ka_secret_len(const eid_ka *ka)
{
	return ka->field_len;
}

/* ---- elements ---- */

static int ec_encode(const eid_ka *ka, const EC_POINT *pt, uint8_t *out,
		     size_t *ret_len)
{
	size_t n = EC_POINT_point2oct(ka->group, pt,
				      POINT_CONVERSION_UNCOMPRESSED, out,
				      EID_KA_ELEMENT_MAX, NULL);

	if (n != eid_ka_public_len(ka))
		return EID_ECRYPTO;
	*ret_len = n;
	return EID_OK;
}

/* An uncompressed point on the curve, not at infinity. */
static int ec_decode(const eid_ka *ka, const uint8_t *p, size_t n,
		     EC_POINT **ret_pt)
{
	EC_POINT *pt;

	if (p == NULL || n != eid_ka_public_len(ka) || p[0] != 0x04)
		return EID_EVERIFY;
	if ((pt = EC_POINT_new(ka->group)) == NULL)
		return EID_ENOMEM;
	/* oct2point refuses a point off the curve. */
	if (EC_POINT_oct2point(ka->group, pt, p, n, NULL) != 1 ||
	    EC_POINT_is_at_infinity(ka->group, pt)) {
		EC_POINT_free(pt);
		return EID_EVERIFY;
	}
	*ret_pt = pt;
	return EID_OK;
}

static int dh_encode(const eid_ka *ka, const BIGNUM *y, uint8_t *out,
		     size_t *ret_len)
{
	if (BN_bn2binpad(y, out, (int)ka->field_len) < 0)
		return EID_ECRYPTO;
	*ret_len = ka->field_len;
	return EID_OK;
}

/* An element of the order-q subgroup: 1 < y < p - 1, y^q = 1. */
static int dh_decode(const eid_ka *ka, const uint8_t *p, size_t n,
		     BN_CTX *bn, BIGNUM **ret_y)
{
	BIGNUM *y = NULL, *t = BN_CTX_get(bn);
	int r = EID_EVERIFY;

	if (t == NULL)
		return EID_ENOMEM;
	if (p == NULL || n != ka->field_len)
		goto out;
	r = EID_ENOMEM;
	if ((y = BN_bin2bn(p, (int)n, NULL)) == NULL ||
	    BN_sub(t, ka->p, BN_value_one()) != 1)
		goto out;
	r = EID_EVERIFY;
	if (BN_cmp(y, BN_value_one()) <= 0 || BN_cmp(y, t) >= 0)
		goto out;
	if (ka->q != NULL) {
		r = EID_ECRYPTO;
		if (BN_mod_exp(t, y, ka->q, ka->p, bn) != 1)
			goto out;
		r = EID_EVERIFY;
		if (!BN_is_one(t))
			goto out;
	}
	*ret_y = y;
	y = NULL;
	r = EID_OK;
out:
	BN_free(y);
	return r;
}

int eid_ka_generator(const eid_ka *ka, eid_buf *out)
{
	uint8_t enc[EID_KA_ELEMENT_MAX];
	size_t n;
	int r;

	if (eid_ka_is_ec(ka))
		r = ec_encode(ka, EC_GROUP_get0_generator(ka->group), enc, &n);
	else
		r = dh_encode(ka, ka->g, enc, &n);
	return r != EID_OK ? r : eid_buf_put(out, enc, n);
}

/* base^priv (DH) or priv*base (EC), base NULL for the generator; the
 * result encoded into out. */
static int ka_mul(const eid_ka *ka, const BIGNUM *priv, const uint8_t *base,
		  size_t n, uint8_t *out, size_t *ret_len)
{
	BN_CTX *bn = BN_CTX_new();
	EC_POINT *in = NULL, *res = NULL;
	BIGNUM *y = NULL, *z;
	int r = EID_ENOMEM;

	if (bn == NULL)
		goto out;
	BN_CTX_start(bn);
	if (eid_ka_is_ec(ka)) {
		if (base != NULL && (r = ec_decode(ka, base, n, &in)) != EID_OK)
			goto out;
		r = EID_ENOMEM;
		if ((res = EC_POINT_new(ka->group)) == NULL)
			goto out;
		r = EID_ECRYPTO;
		if (EC_POINT_mul(ka->group, res, in == NULL ? priv : NULL, in,
				 in == NULL ? NULL : priv, bn) != 1)
			goto out;
		r = EID_EVERIFY;
		if (EC_POINT_is_at_infinity(ka->group, res))
			goto out;
		r = ec_encode(ka, res, out, ret_len);
	} else {
		if (base != NULL &&
		    (r = dh_decode(ka, base, n, bn, &y)) != EID_OK)
			goto out;
		r = EID_ENOMEM;
		if ((z = BN_CTX_get(bn)) == NULL)
			goto out;
		r = EID_ECRYPTO;
		if (BN_mod_exp(z, y != NULL ? y : ka->g, priv, ka->p, bn) != 1)
			goto out;
		r = dh_encode(ka, z, out, ret_len);
		BN_clear(z);
	}
out:
	EC_POINT_free(in);
	EC_POINT_clear_free(res);
	BN_free(y);
	if (bn != NULL)
		BN_CTX_end(bn);
	BN_CTX_free(bn);
	return r;
}

/* ---- keys ---- */

static eid_ka_key *key_alloc(void)
{
	eid_ka_key *k = calloc(1, sizeof(*k));

	if (k != NULL && (k->priv = BN_secure_new()) == NULL) {
		free(k);
		return NULL;
	}
	if (k != NULL)
		BN_set_flags(k->priv, BN_FLG_CONSTTIME);
	return k;
}

/* The public half of k->priv. */
static int key_finish(const eid_ka *ka, eid_ka_key *k)
{
	return ka_mul(ka, k->priv, NULL, 0, k->pub, &k->pub_len);
}

int eid_ka_keygen(const eid_ka *ka, eid_ka_random_fn rnd, void *rnd_ctx,
		  eid_ka_key **ret_key)
{
	uint8_t buf[EID_KA_ELEMENT_MAX];
	size_t n = (size_t)BN_num_bytes(ka->order);
	eid_ka_key *k = key_alloc();
	int r = EID_ENOMEM, i;

	if (k == NULL)
		goto out;
	for (i = 0; i < KEYGEN_TRIES; i++) {
		if ((r = eid_ka_random(rnd, rnd_ctx, buf, n)) != EID_OK)
			goto out;
		r = EID_ECRYPTO;
		if (BN_bin2bn(buf, (int)n, k->priv) == NULL)
			goto out;
		if (!BN_is_zero(k->priv) && BN_cmp(k->priv, ka->order) < 0)
			break;
	}
	r = EID_ECRYPTO;
	if (i == KEYGEN_TRIES)
		goto out;
	if ((r = key_finish(ka, k)) != EID_OK)
		goto out;
	*ret_key = k;
	k = NULL;
out:
	eid_wipe(buf, sizeof(buf));
	eid_ka_key_free(k);
	return r;
}

int eid_ka_key_from_pkey(const eid_ka *ka, EVP_PKEY *key,
			 eid_ka_key **ret_key)
{
	BIGNUM *priv = NULL;
	eid_ka_key *k = NULL;
	int r = EID_EINVAL;

	if (key == NULL ||
	    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &priv) != 1)
		goto out;
	r = EID_ENOMEM;
	if ((k = key_alloc()) == NULL || BN_copy(k->priv, priv) == NULL)
		goto out;
	if ((r = key_finish(ka, k)) != EID_OK)
		goto out;
	*ret_key = k;
	k = NULL;
out:
	BN_clear_free(priv);
	eid_ka_key_free(k);
	return r;
}

void eid_ka_key_free(eid_ka_key *k)
{
	if (k == NULL)
		return;
	BN_clear_free(k->priv);
	free(k);
}

const uint8_t *eid_ka_key_public(const eid_ka_key *k, size_t *ret_len)
{
	*ret_len = k->pub_len;
	return k->pub;
}

int eid_ka_pkey_public(const eid_ka *ka, EVP_PKEY *key, eid_buf *out)
{
	uint8_t enc[EID_KA_ELEMENT_MAX];
	size_t n = 0;
	BIGNUM *y = NULL;
	EC_POINT *pt = NULL;
	int r = EID_ECRYPTO;

	if (eid_ka_is_ec(ka)) {
		/* Compressed or not as stored: re-encode uncompressed. */
		if (EVP_PKEY_get_octet_string_param(
			    key, OSSL_PKEY_PARAM_PUB_KEY, enc, sizeof(enc),
			    &n) != 1)
			goto out;
		if ((pt = EC_POINT_new(ka->group)) == NULL ||
		    EC_POINT_oct2point(ka->group, pt, enc, n, NULL) != 1 ||
		    (r = ec_encode(ka, pt, enc, &n)) != EID_OK)
			goto out;
	} else {
		if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PUB_KEY,
					  &y) != 1 ||
		    BN_num_bytes(y) > (int)ka->field_len ||
		    (r = dh_encode(ka, y, enc, &n)) != EID_OK)
			goto out;
	}
	r = eid_buf_put(out, enc, n);
out:
	BN_free(y);
	EC_POINT_free(pt);
	return r;
}

/* ---- agreement and mapping ---- */

/* k * peer encoded, or its x-coordinate alone when x_only. */
static int shared(const eid_ka *ka, const eid_ka_key *k, const uint8_t *peer,
		  size_t n, bool x_only, eid_buf *out)
{
	uint8_t enc[EID_KA_ELEMENT_MAX];
	size_t len;
	int r;

	if (peer == NULL)
		return EID_EVERIFY;
	if ((r = ka_mul(ka, k->priv, peer, n, enc, &len)) != EID_OK)
		goto out;
	if (x_only && eid_ka_is_ec(ka))
		r = eid_buf_put(out, enc + 1, ka->field_len);
	else
		r = eid_buf_put(out, enc, len);
out:
	eid_wipe(enc, sizeof(enc));
	return r;
}

int eid_ka_shared_element(const eid_ka *ka, const eid_ka_key *k,
			  const uint8_t *peer, size_t n, eid_buf *out)
{
	return shared(ka, k, peer, n, false, out);
}

int eid_ka_shared_secret(const eid_ka *ka, const eid_ka_key *k,
			 const uint8_t *peer, size_t n, eid_buf *out)
{
	return shared(ka, k, peer, n, true, out);
}

/* G' = s*G + H on a copy of the curve. */
static int map_ec(const eid_ka *ka, const BIGNUM *s, const uint8_t *h,
		  size_t hlen, BN_CTX *bn, eid_ka **ret_ka)
{
	EC_POINT *hp = NULL, *gp = NULL;
	EC_GROUP *group = NULL;
	int r;

	if ((r = ec_decode(ka, h, hlen, &hp)) != EID_OK)
		return r;
	r = EID_ECRYPTO;
	if ((gp = EC_POINT_new(ka->group)) == NULL ||
	    EC_POINT_mul(ka->group, gp, s, hp, BN_value_one(), bn) != 1 ||
	    EC_POINT_is_at_infinity(ka->group, gp) ||
	    (group = EC_GROUP_dup(ka->group)) == NULL ||
	    EC_GROUP_set_generator(group, gp, ka->order,
				   EC_GROUP_get0_cofactor(ka->group)) != 1)
		goto out;
	r = ka_ec(group, ret_ka);
	group = NULL;
out:
	EC_POINT_clear_free(hp);
	EC_POINT_clear_free(gp);
	EC_GROUP_free(group);
	return r;
}

/* g' = g^s * h mod p. */
static int map_dh(const eid_ka *ka, const BIGNUM *s, const uint8_t *h,
		  size_t hlen, BN_CTX *bn, eid_ka **ret_ka)
{
	BIGNUM *hy = NULL, *g = BN_new(), *p = BN_dup(ka->p), *q = NULL;
	int r;

	if ((r = dh_decode(ka, h, hlen, bn, &hy)) != EID_OK)
		goto out;
	r = EID_ENOMEM;
	if (g == NULL || p == NULL ||
	    (ka->q != NULL && (q = BN_dup(ka->q)) == NULL))
		goto out;
	r = EID_ECRYPTO;
	if (BN_mod_exp(g, ka->g, s, ka->p, bn) != 1 ||
	    BN_mod_mul(g, g, hy, ka->p, bn) != 1 || BN_is_one(g))
		goto out;
	r = ka_dh(p, q, g, ret_ka);
	p = q = g = NULL;
out:
	BN_clear_free(hy);
	BN_clear_free(g);
	BN_free(p);
	BN_free(q);
	return r;
}

int eid_ka_map_generic(const eid_ka *ka, const uint8_t *s, size_t slen,
		       const uint8_t *h, size_t hlen, eid_ka **ret_ka)
{
	BN_CTX *bn = BN_CTX_new();
	BIGNUM *sn = BN_secure_new();
	int r = EID_ENOMEM;

	if (bn == NULL || sn == NULL)
		goto out;
	r = EID_EINVAL;
	if (s == NULL || slen == 0 || slen > EID_KA_ELEMENT_MAX ||
	    BN_bin2bn(s, (int)slen, sn) == NULL)
		goto out;
	BN_set_flags(sn, BN_FLG_CONSTTIME);
	BN_CTX_start(bn);
	if (eid_ka_is_ec(ka))
		r = map_ec(ka, sn, h, hlen, bn, ret_ka);
	else
		r = map_dh(ka, sn, h, hlen, bn, ret_ka);
	BN_CTX_end(bn);
out:
	BN_clear_free(sn);
	BN_CTX_free(bn);
	return r;
}
