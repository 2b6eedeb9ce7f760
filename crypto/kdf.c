#include "crypto/kdf.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "crypto/error.h"
#include "crypto/secret.h"

int eid_kek_derive(const uint8_t kek[32], const char *purpose, uint8_t *out,
		   size_t n)
{
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *ctx = NULL;
	OSSL_PARAM params[4];
	uint8_t key[64];
	int r = EID_ECRYPTO;

	if (kek == NULL || purpose == NULL || purpose[0] == '\0' ||
	    out == NULL || n == 0 || n > sizeof(key))
		return EID_EINVAL;
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						      (void *)kek, 32);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
						      (void *)purpose,
						      strlen(purpose));
	params[3] = OSSL_PARAM_construct_end();
	if (ctx != NULL && EVP_KDF_derive(ctx, key, n, params) == 1) {
		memcpy(out, key, n);
		r = EID_OK;
	}
	eid_wipe(key, sizeof(key));
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return r;
}
