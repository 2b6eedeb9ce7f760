#include "crypto/seal.h"

#include <openssl/err.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto/error.h"
#include "crypto/secret.h"

int eid_gcm_run(bool seal, const uint8_t key[32],
		const uint8_t nonce[EID_GCM_NONCE], const uint8_t *aad,
		size_t aadlen, const uint8_t *in, size_t n, uint8_t *out,
		uint8_t tag[EID_GCM_TAG])
{
	EVP_CIPHER_CTX *c;
	int l1 = 0, l2 = 0, r = EID_ECRYPTO;

	if (n > INT32_MAX || aadlen > INT32_MAX)
		return EID_EINVAL;
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return EID_ENOMEM;
	if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce,
			      seal ? 1 : 0) != 1 ||
	    EVP_CipherUpdate(c, NULL, &l1, aad, (int)aadlen) != 1 ||
	    EVP_CipherUpdate(c, out, &l1, in, (int)n) != 1)
		goto out;
	if (!seal && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, EID_GCM_TAG,
					 tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, out + l1, &l2) != 1) {
		r = seal ? EID_ECRYPTO : EID_EVERIFY;
		goto out;
	}
	if (seal && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, EID_GCM_TAG,
					tag) != 1)
		goto out;
	r = EID_OK;
out:
	ERR_clear_error();
	EVP_CIPHER_CTX_free(c);
	return r;
}

int eid_seal(const uint8_t key[32], const void *aad, size_t aadlen,
	     const uint8_t *pt, size_t n, eid_buf *out)
{
	size_t start = out->len;
	uint8_t *p;
	int r;

	if ((r = eid_buf_reserve(out, EID_SEAL_OVERHEAD + n, &p)) != EID_OK)
		return r;
	if ((r = eid_random_bytes(p, EID_GCM_NONCE)) == EID_OK)
		r = eid_gcm_run(true, key, p, aad, aadlen, pt, n,
				p + EID_GCM_NONCE, p + EID_GCM_NONCE + n);
	if (r != EID_OK)
		eid_buf_truncate(out, start);
	return r;
}

int eid_unseal(const uint8_t key[32], const void *aad, size_t aadlen,
	       const uint8_t *blob, size_t len, uint8_t *ret_pt, size_t n)
{
	uint8_t tag[EID_GCM_TAG];
	int r;

	if (len != EID_SEAL_OVERHEAD + n)
		return EID_EMALFORMED;
	memcpy(tag, blob + EID_GCM_NONCE + n, EID_GCM_TAG);
	r = eid_gcm_run(false, key, blob, aad, aadlen, blob + EID_GCM_NONCE, n,
			ret_pt, tag);
	if (r != EID_OK)
		eid_wipe(ret_pt, n);
	return r;
}
