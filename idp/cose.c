/* COSE_Key parsing on libcbor, keys built with OpenSSL 3's param API. */
#include "idp/cose.h"

#include <string.h>

#include <cbor.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "crypto/error.h"
#include "idp/cbor_util.h"

/* COSE labels and values (RFC 9053). */
#define KTY 1
#define ALG 3
#define KTY_EC2 2
#define KTY_RSA 3
#define EC2_CRV (-1)
#define EC2_X (-2)
#define EC2_Y (-3)
#define CRV_P256 1
#define RSA_N (-1)
#define RSA_E (-2)

static int ec2_key(const cbor_item_t *m, EVP_PKEY **ret)
{
	uint8_t pt[65];
	const uint8_t *x, *y;
	size_t xl, yl;
	int64_t crv;
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = NULL;
	int r;

	if ((r = eid_cbor_map_int(m, EC2_CRV, &crv)) ||
	    (r = eid_cbor_map_bytes(m, EC2_X, &x, &xl)) ||
	    (r = eid_cbor_map_bytes(m, EC2_Y, &y, &yl)))
		return r;
	if (crv != CRV_P256)
		return EID_EUNSUPPORTED;
	if (xl != 32 || yl != 32)
		return EID_EMALFORMED;
	pt[0] = 0x04;
	memcpy(pt + 1, x, 32);
	memcpy(pt + 33, y, 32);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     (char *)"prime256v1", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
						      pt, sizeof(pt));
	params[2] = OSSL_PARAM_construct_end();
	r = EID_ECRYPTO;
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1)
		goto out;
	/* fromdata checks the point lies on the curve. */
	r = EVP_PKEY_fromdata(ctx, ret, EVP_PKEY_PUBLIC_KEY, params) == 1 ?
		    EID_OK : EID_EMALFORMED;
out:
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static int rsa_key(const cbor_item_t *m, EVP_PKEY **ret)
{
	const uint8_t *n, *e;
	size_t nl, el;
	BIGNUM *bn = NULL, *be = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	int r, bits;

	if ((r = eid_cbor_map_bytes(m, RSA_N, &n, &nl)) ||
	    (r = eid_cbor_map_bytes(m, RSA_E, &e, &el)))
		return r;
	if (nl == 0 || el == 0 || el > 8)
		return EID_EMALFORMED;
	r = EID_ENOMEM;
	if ((bn = BN_bin2bn(n, (int)nl, NULL)) == NULL ||
	    (be = BN_bin2bn(e, (int)el, NULL)) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto out;
	bits = BN_num_bits(bn);
	if (bits < EID_COSE_RSA_MIN_BITS || bits > EID_COSE_RSA_MAX_BITS ||
	    !BN_is_odd(be) || BN_is_one(be)) {
		r = EID_EUNSUPPORTED;
		goto out;
	}
	r = EID_ECRYPTO;
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	*ret = key;
	r = EID_OK;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return r;
}

int eid_cose_key_parse(const uint8_t *p, size_t n, size_t *ret_len,
		       int *ret_alg, EVP_PKEY **ret_key)
{
	cbor_item_t *m = NULL;
	EVP_PKEY *key = NULL;
	int64_t kty, alg;
	size_t len;
	int r;

	if ((r = eid_cbor_load_prefix(p, n, EID_COSE_KEY_MAX, &m, &len)))
		return r;
	r = EID_EMALFORMED;
	if (!cbor_isa_map(m))
		goto out;
	if ((r = eid_cbor_map_int(m, KTY, &kty)) ||
	    (r = eid_cbor_map_int(m, ALG, &alg)))
		goto out;
	if (kty == KTY_EC2 && alg == EID_COSE_ES256)
		r = ec2_key(m, &key);
	else if (kty == KTY_RSA && alg == EID_COSE_RS256)
		r = rsa_key(m, &key);
	else
		r = EID_EUNSUPPORTED;
	if (r != EID_OK)
		goto out;
	*ret_len = len;
	*ret_alg = (int)alg;
	*ret_key = key;
	key = NULL;
out:
	EVP_PKEY_free(key);
	cbor_decref(&m);
	return r;
}

int eid_cose_verify(EVP_PKEY *key, int alg, const uint8_t *msg, size_t mlen,
		    const uint8_t *sig, size_t slen)
{
	EVP_MD_CTX *md = NULL;
	int r = EID_EUNSUPPORTED, base;

	base = EVP_PKEY_get_base_id(key);
	if ((alg == EID_COSE_ES256 && base != EVP_PKEY_EC) ||
	    (alg == EID_COSE_RS256 && base != EVP_PKEY_RSA) ||
	    (alg != EID_COSE_ES256 && alg != EID_COSE_RS256))
		return r;
	r = EID_ECRYPTO;
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) != 1)
		goto out;
	/* RSA's default padding is PKCS#1 v1.5, which RS256 is. */
	r = EVP_DigestVerify(md, sig, slen, msg, mlen) == 1 ? EID_OK :
							      EID_EVERIFY;
out:
	EVP_MD_CTX_free(md);
	return r;
}
