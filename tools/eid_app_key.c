/* eid-app's key file: the device's private key encrypted under the PIN.
 *
 * State file (JSON, mode 0600):
 *   {"v":1, "server", "personal_id", "device_id",
 *    "key": {"kdf":"pbkdf2-sha256", "iter", "salt", "iv", "ct"}}
 * ct is AES-256-GCM (tag appended) of the key's PKCS#8 DER, under
 * PBKDF2-HMAC-SHA256(PIN, salt, iter); the device id is the GCM AAD.  The
 * PIN never leaves the machine. */
#include "tools/eid_app.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"

#define KDF_ITER 600000
#define SALT_LEN 16
#define IV_LEN 12
#define TAG_LEN 16
#define DER_MAX 512

static int derive(const char *pin, const uint8_t *salt, int iter,
		  uint8_t out[32])
{
	return PKCS5_PBKDF2_HMAC(pin, (int)strlen(pin), salt, SALT_LEN, iter,
				 EVP_sha256(), 32, out) == 1 ? EID_OK :
							      EID_ECRYPTO;
}

static int gcm(bool enc, const uint8_t key[32], const uint8_t iv[IV_LEN],
	       const char *aad, const uint8_t *in, int n, uint8_t *out,
	       uint8_t tag[TAG_LEN])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len = 0, ok;

	if (c == NULL)
		return EID_ENOMEM;
	ok = EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv, enc) &&
	     EVP_CipherUpdate(c, NULL, &len, (const uint8_t *)aad,
			      (int)strlen(aad)) &&
	     EVP_CipherUpdate(c, out, &len, in, n) &&
	     (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
					 tag)) &&
	     EVP_CipherFinal_ex(c, out + len, &len) &&
	     (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
					  tag));
	EVP_CIPHER_CTX_free(c);
	return ok ? EID_OK : (enc ? EID_ECRYPTO : EID_EVERIFY);
}

static json_t *b64(const void *p, size_t n)
{
	eid_buf b;
	json_t *s = NULL;

	eid_buf_init(&b, 4096);
	if (eid_b64url_encode(p, n, &b) == EID_OK)
		s = json_stringn((const char *)b.data, b.len);
	eid_buf_free(&b);
	return s;
}

int eid_app_key_seal(const eid_key *key, const char *pin, const char *aad,
		     json_t **ret)
{
	uint8_t salt[SALT_LEN], iv[IV_LEN], k[32], der[DER_MAX],
		ct[DER_MAX + TAG_LEN], *p = der;
	int n, r;

	n = i2d_PrivateKey(eid_key_pkey(key), NULL);
	if (n <= 0 || n > DER_MAX)
		return EID_ECRYPTO;
	(void)i2d_PrivateKey(eid_key_pkey(key), &p);
	if ((r = eid_random_bytes(salt, sizeof(salt))) ||
	    (r = eid_random_bytes(iv, sizeof(iv))) ||
	    (r = derive(pin, salt, KDF_ITER, k)) ||
	    (r = gcm(true, k, iv, aad, der, n, ct, ct + n)))
		goto out;
	*ret = json_pack("{s:s, s:i, s:o, s:o, s:o}", "kdf", "pbkdf2-sha256",
			 "iter", KDF_ITER, "salt", b64(salt, sizeof(salt)),
			 "iv", b64(iv, sizeof(iv)), "ct",
			 b64(ct, (size_t)n + TAG_LEN));
	r = *ret != NULL ? EID_OK : EID_ENOMEM;
out:
	eid_wipe(der, sizeof(der));
	eid_wipe(k, sizeof(k));
	return r;
}

static int unb64(const json_t *o, const char *name, eid_buf *out)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s != NULL ? eid_b64url_decode(s, strlen(s), out) :
			   EID_EMALFORMED;
}

int eid_app_key_unseal(const json_t *sealed, const char *pin, const char *aad,
		       eid_key **ret)
{
	json_int_t iter = json_integer_value(json_object_get(sealed, "iter"));
	uint8_t k[32], der[DER_MAX];
	const uint8_t *p = der;
	eid_buf salt, iv, ct;
	EVP_PKEY *pk = NULL;
	int r = EID_EMALFORMED;
	size_t n;

	eid_buf_init(&salt, SALT_LEN);
	eid_buf_init(&iv, IV_LEN);
	eid_buf_init(&ct, DER_MAX + TAG_LEN);
	if (iter < 10000 || iter > 10000000 || unb64(sealed, "salt", &salt) ||
	    unb64(sealed, "iv", &iv) || unb64(sealed, "ct", &ct) ||
	    salt.len != SALT_LEN || iv.len != IV_LEN || ct.len <= TAG_LEN)
		goto out;
	n = ct.len - TAG_LEN;
	if ((r = derive(pin, salt.data, (int)iter, k)) ||
	    (r = gcm(false, k, iv.data, aad, ct.data, (int)n, der,
		     ct.data + n)))
		goto out;
	pk = d2i_AutoPrivateKey(NULL, &p, (long)n);
	r = pk != NULL ? eid_key_from_pkey(pk, ret) : EID_EMALFORMED;
out:
	EVP_PKEY_free(pk);
	eid_wipe(der, sizeof(der));
	eid_wipe(k, sizeof(k));
	eid_buf_free(&salt);
	eid_buf_free(&iv);
	eid_buf_free(&ct);
	return r;
}
