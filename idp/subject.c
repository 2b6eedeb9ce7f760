#include "idp/subject.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"
#include "idp/personal_id.h"

static const char info[] = "eid subject v1";

int eid_subject_key_derive(const uint8_t kek[32],
			   uint8_t ret_key[EID_SUBJECT_KEY_LEN])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	uint8_t key[EID_SUBJECT_KEY_LEN];
	OSSL_PARAM params[4];
	int r = EID_ECRYPTO;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						      (void *)kek, 32);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
						      (void *)info,
						      sizeof(info) - 1);
	params[3] = OSSL_PARAM_construct_end();
	if (ctx != NULL && EVP_KDF_derive(ctx, key, sizeof(key), params) == 1) {
		memcpy(ret_key, key, sizeof(key));
		r = EID_OK;
	}
	eid_wipe(key, sizeof(key));
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return r;
}

static bool twelve_digits(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n != EID_PERSONAL_ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* HMAC-SHA256 over the parts, NULL-terminated. */
static int hmac(const uint8_t key[EID_SUBJECT_KEY_LEN],
		const char *const *parts, uint8_t ret_mac[32])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[2];
	size_t len = 0;
	int r = EID_ECRYPTO;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx == NULL ||
	    EVP_MAC_init(ctx, key, EID_SUBJECT_KEY_LEN, params) != 1)
		goto out;
	for (; *parts != NULL; parts++)
		if (EVP_MAC_update(ctx, (const uint8_t *)*parts,
				   strlen(*parts)) != 1)
			goto out;
	if (EVP_MAC_final(ctx, ret_mac, &len, 32) == 1 && len == 32)
		r = EID_OK;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return r;
}

int eid_subject_for(const struct eid_client *client, const char *personal_id,
		    const uint8_t key[EID_SUBJECT_KEY_LEN],
		    char ret_sub[EID_SUBJECT_LEN + 1])
{
	const char *pub[] = { "public|", personal_id, NULL };
	const char *pair[] = { "pairwise|", client->sector_identifier, "|",
			       personal_id, NULL };
	bool pairwise = client->subject_type == EID_SUBJECT_PAIRWISE;
	uint8_t mac[32];
	eid_buf out;
	int r;

	if (!twelve_digits(personal_id) ||
	    (pairwise && client->sector_identifier[0] == '\0'))
		return EID_EINVAL;
	eid_buf_init(&out, EID_SUBJECT_LEN);
	r = hmac(key, pairwise ? pair : pub, mac);
	if (r == EID_OK)
		r = eid_b64url_encode(mac, sizeof(mac), &out);
	if (r == EID_OK && out.len != EID_SUBJECT_LEN)
		r = EID_EINTERNAL;
	if (r == EID_OK) {
		memcpy(ret_sub, out.data, EID_SUBJECT_LEN);
		ret_sub[EID_SUBJECT_LEN] = '\0';
	}
	eid_wipe(mac, sizeof(mac));
	eid_buf_free(&out);
	return r;
}
