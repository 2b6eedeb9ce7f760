/* An EVP_PKEY whose private operations go to the signer process
 * (crypto/signer_proc.h).
 *
 * OpenSSL 3.0 treats a key with a non-default EC_KEY_METHOD or RSA_METHOD
 * as "foreign" and signs through the method, as libp11 does for PKCS#11
 * keys: X509_sign, X509_CRL_sign and OCSP_basic_sign then sign with it
 * unchanged.  Those methods are OpenSSL's deprecated legacy interface,
 * hence OPENSSL_SUPPRESS_DEPRECATED in this one file; an OpenSSL provider
 * would do the same in ten times the code.  The methods and ex_data
 * indexes are made once per process and never change afterwards. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "crypto/signer_proc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "crypto/error.h"
#include "crypto/signer_wire.h"

/* What a forwarding key knows: where to sign and under which name. */
struct fwd_ref {
	eid_sigproc *sp;
	eid_alg alg;
	char kid[EID_SIGNER_KID_MAX + 1];
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static EC_KEY_METHOD *ec_meth;
static RSA_METHOD *rsa_meth;
static int ec_idx = -1, rsa_idx = -1;

static void ref_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
		     long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

static int ec_sign(int type, const unsigned char *dgst, int dlen,
		   unsigned char *sig, unsigned int *siglen,
		   const BIGNUM *kinv, const BIGNUM *rp, EC_KEY *ec)
{
	const struct fwd_ref *ref = EC_KEY_get_ex_data(ec, ec_idx);
	size_t len = 0;
	int max = ECDSA_size(ec);

	(void)type;
	(void)kinv;
	(void)rp;
	if (ref == NULL || dlen <= 0 || max <= 0 ||
	    eid_sigproc_sign(ref->sp, ref->kid, ref->alg, dgst, (size_t)dlen,
			     sig, (size_t)max, &len) != EID_OK)
		return 0;
	*siglen = (unsigned int)len;
	return 1;
}

static ECDSA_SIG *ec_sign_sig(const unsigned char *dgst, int dlen,
			      const BIGNUM *kinv, const BIGNUM *rp, EC_KEY *ec)
{
	unsigned char der[160];
	const unsigned char *p = der;
	unsigned int len = 0;

	if (ECDSA_size(ec) > (int)sizeof(der) ||
	    ec_sign(0, dgst, dlen, der, &len, kinv, rp, ec) != 1)
		return NULL;
	return d2i_ECDSA_SIG(NULL, &p, (long)len);
}

/* PKCS#1 v1.5 (RS256) only: a PSS or raw private operation through the
 * method would need the signer to apply RSA to anything we send. */
static int rsa_sign(int type, const unsigned char *m, unsigned int mlen,
		    unsigned char *sig, unsigned int *siglen, const RSA *rsa)
{
	const struct fwd_ref *ref = RSA_get_ex_data(rsa, rsa_idx);
	size_t len = 0;

	if (ref == NULL || type != NID_sha256 || ref->alg != EID_ALG_RS256 ||
	    eid_sigproc_sign(ref->sp, ref->kid, ref->alg, m, mlen, sig,
			     (size_t)RSA_size(rsa), &len) != EID_OK)
		return 0;
	*siglen = (unsigned int)len;
	return 1;
}

static int rsa_refuse(int flen, const unsigned char *from, unsigned char *to,
		      RSA *rsa, int padding)
{
	(void)flen;
	(void)from;
	(void)to;
	(void)rsa;
	(void)padding;
	return -1;
}

static void methods_make(void)
{
	ec_idx = EC_KEY_get_ex_new_index(0, NULL, NULL, NULL, ref_free);
	rsa_idx = RSA_get_ex_new_index(0, NULL, NULL, NULL, ref_free);
	ec_meth = EC_KEY_METHOD_new(EC_KEY_get_default_method());
	if (ec_meth != NULL)
		EC_KEY_METHOD_set_sign(ec_meth, ec_sign, NULL, ec_sign_sig);
	rsa_meth = RSA_meth_dup(RSA_get_default_method());
	if (rsa_meth != NULL &&
	    (RSA_meth_set1_name(rsa_meth, "eid signer process") != 1 ||
	     RSA_meth_set_sign(rsa_meth, rsa_sign) != 1 ||
	     RSA_meth_set_priv_enc(rsa_meth, rsa_refuse) != 1 ||
	     RSA_meth_set_priv_dec(rsa_meth, rsa_refuse) != 1)) {
		RSA_meth_free(rsa_meth);
		rsa_meth = NULL;
	}
}

/* Both take ref: it is freed with the key, or here on failure. */
static int ec_wrap(EVP_PKEY *pub, struct fwd_ref *ref, EVP_PKEY *out)
{
	EC_KEY *ec = EVP_PKEY_get1_EC_KEY(pub);

	if (ec == NULL || ec_meth == NULL || ec_idx < 0 ||
	    EC_KEY_set_method(ec, ec_meth) != 1 ||
	    EC_KEY_set_ex_data(ec, ec_idx, ref) != 1) {
		EC_KEY_free(ec);
		free(ref);
		return EID_ECRYPTO;
	}
	/* ref belongs to ec from here on (freed by ref_free). */
	if (EVP_PKEY_assign_EC_KEY(out, ec) != 1) {
		EC_KEY_free(ec);
		return EID_ECRYPTO;
	}
	return EID_OK;
}

static int rsa_wrap(EVP_PKEY *pub, struct fwd_ref *ref, EVP_PKEY *out)
{
	RSA *rsa = EVP_PKEY_get1_RSA(pub);

	if (rsa == NULL || rsa_meth == NULL || rsa_idx < 0 ||
	    RSA_set_method(rsa, rsa_meth) != 1 ||
	    RSA_set_ex_data(rsa, rsa_idx, ref) != 1) {
		RSA_free(rsa);
		free(ref);
		return EID_ECRYPTO;
	}
	if (EVP_PKEY_assign_RSA(out, rsa) != 1) {
		RSA_free(rsa);
		return EID_ECRYPTO;
	}
	return EID_OK;
}

int eid_sigproc_pkey(eid_sigproc *sp, EVP_PKEY *pub, const char *kid,
		     eid_alg alg, EVP_PKEY **ret_pkey)
{
	const eid_alg_info *info = eid_alg_info_get(alg);
	struct fwd_ref *ref = NULL;
	EVP_PKEY *out = NULL;
	int r = EID_EINVAL;

	if (sp == NULL || pub == NULL || kid == NULL || info == NULL ||
	    strlen(kid) == 0 || strlen(kid) > EID_SIGNER_KID_MAX)
		return EID_EINVAL;
	if (pthread_once(&once, methods_make) != 0)
		return EID_EINTERNAL;
	r = EID_ENOMEM;
	if ((ref = calloc(1, sizeof(*ref))) == NULL ||
	    (out = EVP_PKEY_new()) == NULL)
		goto fail;
	ref->sp = sp;
	ref->alg = alg;
	memcpy(ref->kid, kid, strlen(kid) + 1);
	r = EID_EMISMATCH;
	if (info->ec != (EVP_PKEY_is_a(pub, "EC") == 1))
		goto fail;
	r = info->ec ? ec_wrap(pub, ref, out) : rsa_wrap(pub, ref, out);
	ref = NULL;
	if (r != EID_OK)
		goto fail;
	*ret_pkey = out;
	return EID_OK;
fail:
	ERR_clear_error();
	free(ref);
	EVP_PKEY_free(out);
	return r;
}
