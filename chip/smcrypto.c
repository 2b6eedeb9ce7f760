#include "chip/smcrypto.h"

#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "crypto/error.h"
#include "crypto/secret.h"

#define DES_BLOCK 8

int eid_symkey_set(struct eid_symkey *k, enum eid_sm_alg alg,
		   const uint8_t *key, size_t len)
{
	bool ok = alg == EID_SM_3DES ? len == 16
				     : (len == 16 || len == 24 || len == 32);

	if (!ok || key == NULL)
		return EID_EINVAL;
	memset(k, 0, sizeof(*k));
	k->alg = alg;
	k->len = len;
	memcpy(k->key, key, len);
	return EID_OK;
}

void eid_symkey_wipe(struct eid_symkey *k)
{
	eid_wipe(k, sizeof(*k));
}

size_t eid_smcrypto_block(enum eid_sm_alg alg)
{
	return alg == EID_SM_3DES ? 8 : 16;
}

int eid_smcrypto_pad(eid_buf *b, size_t block)
{
	static const uint8_t zeros[EID_SM_BLOCK_MAX];
	size_t old = b->len, fill;
	int r;

	if ((r = eid_buf_put_u8(b, 0x80)) != EID_OK)
		return r;
	fill = (block - b->len % block) % block;
	if ((r = eid_buf_put(b, zeros, fill)) != EID_OK)
		eid_buf_truncate(b, old);
	return r;
}

int eid_smcrypto_unpad(const uint8_t *p, size_t n, size_t block,
		       size_t *ret_len)
{
	size_t i = n;

	while (i > 0 && n - i < block && p[i - 1] == 0x00)
		i--;
	if (i == 0 || p[i - 1] != 0x80 || n - (i - 1) > block)
		return EID_EMALFORMED;
	*ret_len = i - 1;
	return EID_OK;
}

static const EVP_CIPHER *cipher_for(const struct eid_symkey *k, bool cbc)
{
	if (k->alg == EID_SM_3DES)
		return cbc ? EVP_des_ede_cbc() : EVP_des_ede_ecb();
	switch (k->len) {
	case 16:
		return cbc ? EVP_aes_128_cbc() : EVP_aes_128_ecb();
	case 24:
		return cbc ? EVP_aes_192_cbc() : EVP_aes_192_ecb();
	case 32:
		return cbc ? EVP_aes_256_cbc() : EVP_aes_256_ecb();
	}
	return NULL;
}

/* Run cipher over n bytes without padding; n is a block multiple. */
static int run_cipher(const EVP_CIPHER *c, const uint8_t *key,
		      const uint8_t *iv, bool enc, const uint8_t *in, size_t n,
		      uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = NULL;
	int r = EID_ECRYPTO, l1 = 0, l2 = 0;

	if (c == NULL || n > INT_MAX || n % (size_t)EVP_CIPHER_get_block_size(c))
		return EID_EINVAL;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return EID_ENOMEM;
	if (EVP_CipherInit_ex2(ctx, c, key, iv, enc ? 1 : 0, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
	    EVP_CipherUpdate(ctx, out, &l1, in, (int)n) != 1 ||
	    EVP_CipherFinal_ex(ctx, out + l1, &l2) != 1 ||
	    (size_t)(l1 + l2) != n)
		goto out;
	r = EID_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

int eid_smcrypto_cbc(const struct eid_symkey *k, const uint8_t *iv, bool enc,
		     const uint8_t *in, size_t n, uint8_t *out)
{
	static const uint8_t zero_iv[EID_SM_BLOCK_MAX];

	return run_cipher(cipher_for(k, true), k->key, iv ? iv : zero_iv, enc,
			  in, n, out);
}

int eid_smcrypto_ecb_block(const struct eid_symkey *k, const uint8_t *in,
			   uint8_t *out)
{
	return run_cipher(cipher_for(k, false), k->key, NULL, true, in,
			  eid_smcrypto_block(k->alg), out);
}

/* ISO 9797-1 MAC algorithm 3 with DES: single-DES CBC under Ka over all
 * blocks but the last, then 3DES (Ka, Kb) on the last chained block.
 * Single DES lives in OpenSSL 3's legacy provider, so it runs as DES-EDE
 * with Ka || Ka, which is the same cipher. */
static int retail_mac(const struct eid_symkey *k, const uint8_t *in, size_t n,
		      uint8_t out[EID_SM_MAC_LEN])
{
	uint8_t kaka[16], h[DES_BLOCK] = { 0 }, *chain = NULL;
	int r = EID_EINVAL;

	if (n == 0 || n % DES_BLOCK != 0)
		return r;
	memcpy(kaka, k->key, 8);
	memcpy(kaka + 8, k->key, 8);
	if (n > DES_BLOCK) {
		r = EID_ENOMEM;
		if ((chain = OPENSSL_malloc(n - DES_BLOCK)) == NULL)
			goto out;
		r = run_cipher(EVP_des_ede_cbc(), kaka, h, true, in,
			       n - DES_BLOCK, chain);
		if (r != EID_OK)
			goto out;
		memcpy(h, chain + n - 2 * DES_BLOCK, DES_BLOCK);
	}
	for (size_t i = 0; i < DES_BLOCK; i++)
		h[i] ^= in[n - DES_BLOCK + i];
	r = run_cipher(EVP_des_ede_ecb(), k->key, NULL, true, h, DES_BLOCK, out);
out:
	eid_wipe(kaka, sizeof(kaka));
	eid_wipe(h, sizeof(h));
	if (chain != NULL)
		OPENSSL_clear_free(chain, n - DES_BLOCK);
	return r;
}

static int cmac8(const struct eid_symkey *k, const uint8_t *in, size_t n,
		 uint8_t out[EID_SM_MAC_LEN])
{
	const char *name = k->len == 16 ? "AES-128-CBC"
			   : k->len == 24 ? "AES-192-CBC" : "AES-256-CBC";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER,
						 (char *)name, 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	uint8_t full[16];
	size_t len = 0;
	int r = EID_ECRYPTO;

	if ((mac = EVP_MAC_fetch(NULL, "CMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(mac)) == NULL)
		goto out;
	if (EVP_MAC_init(ctx, k->key, k->len, params) != 1 ||
	    EVP_MAC_update(ctx, in, n) != 1 ||
	    EVP_MAC_final(ctx, full, &len, sizeof(full)) != 1 ||
	    len != sizeof(full))
		goto out;
	memcpy(out, full, EID_SM_MAC_LEN);
	r = EID_OK;
out:
	eid_wipe(full, sizeof(full));
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return r;
}

int eid_smcrypto_mac(const struct eid_symkey *k, const uint8_t *in, size_t n,
		     uint8_t out[EID_SM_MAC_LEN])
{
	return k->alg == EID_SM_3DES ? retail_mac(k, in, n, out)
				     : cmac8(k, in, n, out);
}

/* DES keys carry odd parity in the low bit of each byte. */
static void des_set_parity(uint8_t *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t b = k[i] & 0xfe;
		k[i] = b | (uint8_t)((__builtin_popcount(b) & 1) == 0);
	}
}

int eid_smcrypto_kdf(enum eid_sm_alg alg, size_t keylen, const uint8_t *seed,
		     size_t seedlen, uint32_t counter, struct eid_symkey *ret)
{
	uint8_t ctr[4] = { (uint8_t)(counter >> 24), (uint8_t)(counter >> 16),
			   (uint8_t)(counter >> 8), (uint8_t)counter };
	uint8_t md[EVP_MAX_MD_SIZE];
	const EVP_MD *h = keylen > 16 ? EVP_sha256() : EVP_sha1();
	EVP_MD_CTX *ctx = NULL;
	unsigned mdlen = 0;
	int r = EID_ECRYPTO;

	if ((alg == EID_SM_3DES && keylen != 16) ||
	    (alg == EID_SM_AES && keylen != 16 && keylen != 24 && keylen != 32))
		return EID_EINVAL;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return EID_ENOMEM;
	if (EVP_DigestInit_ex2(ctx, h, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, seed, seedlen) != 1 ||
	    EVP_DigestUpdate(ctx, ctr, sizeof(ctr)) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen < keylen)
		goto out;
	if (alg == EID_SM_3DES)
		des_set_parity(md, keylen);
	r = eid_symkey_set(ret, alg, md, keylen);
out:
	eid_wipe(md, sizeof(md));
	EVP_MD_CTX_free(ctx);
	return r;
}
