#include "chip/aa.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "crypto/error.h"
#include "crypto/secret.h"

/* ISO/IEC 9796-2 scheme 1 message representative, partial recovery:
 * header 6A (or 6B BB .. BA with padding) || M1 || H(M1 || M2) || trailer. */
#define ISO9796_HEADER_PARTIAL 0x6a
#define ISO9796_TRAILER_IMPLICIT 0xbc
#define ISO9796_TRAILER_EXPLICIT 0xcc

struct hash_id {
	int nid;
	uint8_t iso9796;  /* ISO/IEC 10118-3 hash identifier */
	const char *oid;  /* BSI TR-03111 ecdsa-plain-* */
};

static const struct hash_id hashes[] = {
	{ NID_sha1, 0x33, "0.4.0.127.0.7.1.1.4.1.1" },
	{ NID_sha224, 0x38, "0.4.0.127.0.7.1.1.4.1.2" },
	{ NID_sha256, 0x34, "0.4.0.127.0.7.1.1.4.1.3" },
	{ NID_sha384, 0x36, "0.4.0.127.0.7.1.1.4.1.4" },
	{ NID_sha512, 0x35, "0.4.0.127.0.7.1.1.4.1.5" },
};
#define N_HASHES (sizeof(hashes) / sizeof(hashes[0]))

static const struct hash_id *hash_by_nid(int nid)
{
	for (size_t i = 0; i < N_HASHES; i++)
		if (hashes[i].nid == nid)
			return &hashes[i];
	return NULL;
}

static const struct hash_id *hash_by_iso9796(uint8_t id)
{
	for (size_t i = 0; i < N_HASHES; i++)
		if (hashes[i].iso9796 == id)
			return &hashes[i];
	return NULL;
}

int eid_aa_ecdsa_md_from_oid(const char *oid, const EVP_MD **ret_md)
{
	if (oid == NULL || ret_md == NULL)
		return EID_EINVAL;
	for (size_t i = 0; i < N_HASHES; i++) {
		if (strcmp(hashes[i].oid, oid) == 0) {
			*ret_md = EVP_get_digestbynid(hashes[i].nid);
			return EID_OK;
		}
	}
	return EID_EUNSUPPORTED;
}

/* H(M1 || challenge) */
static int hash_m1_challenge(const EVP_MD *md, const uint8_t *m1,
			     size_t m1_len, const uint8_t *challenge,
			     uint8_t *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int r = EID_ECRYPTO;

	if (ctx != NULL && EVP_DigestInit_ex(ctx, md, NULL) &&
	    EVP_DigestUpdate(ctx, m1, m1_len) &&
	    EVP_DigestUpdate(ctx, challenge, EID_AA_CHALLENGE_LEN) &&
	    EVP_DigestFinal_ex(ctx, out, NULL))
		r = EID_OK;
	EVP_MD_CTX_free(ctx);
	return r;
}

/* The raw RSA operation, public (recover) or private (sign). */
static int rsa_raw(EVP_PKEY *key, bool sign, const uint8_t *in, size_t len,
		   uint8_t *out, size_t *out_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	int r = EID_ECRYPTO;

	if (ctx == NULL ||
	    (sign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_recover_init(ctx))
		    <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) <= 0)
		goto out;
	if ((sign ? EVP_PKEY_sign(ctx, out, out_len, in, len) :
		    EVP_PKEY_verify_recover(ctx, out, out_len, in, len)) <= 0)
		goto out;
	r = EID_OK;
out:
	EVP_PKEY_CTX_free(ctx);
	return r;
}

/* Where the trailer says which hash, and how long the trailer is. */
static int iso9796_trailer(const uint8_t *m, size_t k, const EVP_MD **ret_md,
			   size_t *ret_len)
{
	const struct hash_id *h;

	if (m[k - 1] == ISO9796_TRAILER_IMPLICIT) {
		*ret_md = EVP_sha1();
		*ret_len = 1;
		return EID_OK;
	}
	if (m[k - 1] != ISO9796_TRAILER_EXPLICIT ||
	    (h = hash_by_iso9796(m[k - 2])) == NULL)
		return EID_EVERIFY;
	*ret_md = EVP_get_digestbynid(h->nid);
	*ret_len = 2;
	return EID_OK;
}

/* Where M1 starts: after the header byte, or after the BB..BA padding. */
static int iso9796_m1_start(const uint8_t *m, size_t k, size_t *ret_off)
{
	size_t i = 1;

	if ((m[0] & 0xe0) != (ISO9796_HEADER_PARTIAL & 0xe0))
		return EID_EVERIFY; /* not "01" + partial recovery */
	if ((m[0] & 0x0f) == 0x0a) {
		*ret_off = 1;
		return EID_OK;
	}
	if ((m[0] & 0x0f) != 0x0b)
		return EID_EVERIFY;
	while (i < k && m[i] == 0xbb)
		i++;
	if (i == k || m[i] != 0xba)
		return EID_EVERIFY;
	*ret_off = i + 1;
	return EID_OK;
}

static int iso9796_check(const uint8_t *m, size_t k, const uint8_t *challenge)
{
	uint8_t h[EVP_MAX_MD_SIZE];
	const EVP_MD *md;
	size_t tlen, hlen, m1_off;
	int r;

	if (k < 3)
		return EID_EVERIFY;
	if ((r = iso9796_trailer(m, k, &md, &tlen)) != EID_OK ||
	    (r = iso9796_m1_start(m, k, &m1_off)) != EID_OK)
		return r;
	hlen = (size_t)EVP_MD_get_size(md);
	if (m1_off + hlen + tlen > k)
		return EID_EVERIFY;
	r = hash_m1_challenge(md, m + m1_off, k - m1_off - hlen - tlen,
			      challenge, h);
	if (r != EID_OK)
		return r;
	if (!eid_ct_equal(h, m + k - tlen - hlen, hlen))
		return EID_EVERIFY;
	return EID_OK;
}

static int rsa_verify(EVP_PKEY *pub, const uint8_t *challenge,
		      const uint8_t *sig, size_t sig_len)
{
	uint8_t m[EID_AA_MAX_SIG];
	size_t k = (size_t)EVP_PKEY_get_size(pub), m_len = sizeof(m);
	int r;

	if (k > sizeof(m))
		return EID_EUNSUPPORTED;
	if (sig_len != k)
		return EID_EVERIFY;
	/* A value at or above the modulus is refused here: not a signature. */
	if (rsa_raw(pub, false, sig, sig_len, m, &m_len) != EID_OK ||
	    m_len != k) {
		ERR_clear_error();
		return EID_EVERIFY;
	}
	r = iso9796_check(m, k, challenge);
	eid_wipe(m, sizeof(m));
	return r;
}

/* Plain signatures carry R and S on the order's length each. */
static size_t ec_order_len(EVP_PKEY *key)
{
	return ((size_t)EVP_PKEY_get_bits(key) + 7) / 8;
}

static const EVP_MD *ec_default_md(EVP_PKEY *key)
{
	int bits = EVP_PKEY_get_bits(key);

	if (bits <= 160)
		return EVP_sha1();
	if (bits <= 224)
		return EVP_sha224();
	if (bits <= 256)
		return EVP_sha256();
	if (bits <= 384)
		return EVP_sha384();
	return EVP_sha512();
}

static const EVP_MD *checked_md(const EVP_MD *md)
{
	return md != NULL && hash_by_nid(EVP_MD_get_type(md)) != NULL ? md :
									NULL;
}

/* R||S to the DER ECDSA-Sig-Value OpenSSL verifies. */
static int plain_to_der(const uint8_t *sig, size_t n, uint8_t **ret_der,
			size_t *ret_len)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *br = BN_bin2bn(sig, (int)n, NULL);
	BIGNUM *bs = BN_bin2bn(sig + n, (int)n, NULL);
	unsigned char *der = NULL;
	int len, r = EID_ENOMEM;

	if (es == NULL || br == NULL || bs == NULL ||
	    !ECDSA_SIG_set0(es, br, bs))
		goto out;
	br = bs = NULL; /* owned by es */
	if ((len = i2d_ECDSA_SIG(es, &der)) <= 0)
		goto out;
	*ret_der = der;
	*ret_len = (size_t)len;
	r = EID_OK;
out:
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(es);
	return r;
}

static int ecdsa_verify(EVP_PKEY *pub, const uint8_t *challenge,
			const uint8_t *sig, size_t sig_len, const EVP_MD *md)
{
	size_t n = ec_order_len(pub), der_len = 0;
	EVP_MD_CTX *ctx = NULL;
	uint8_t *der = NULL;
	int r;

	if (md == NULL)
		md = ec_default_md(pub);
	else if ((md = checked_md(md)) == NULL)
		return EID_EUNSUPPORTED;
	if (n == 0 || sig_len != 2 * n)
		return EID_EVERIFY;
	if ((r = plain_to_der(sig, n, &der, &der_len)) != EID_OK)
		goto out;
	r = EID_ENOMEM;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	r = EID_EVERIFY;
	if (EVP_DigestVerifyInit_ex(ctx, NULL, EVP_MD_get0_name(md), NULL,
				    NULL, pub, NULL) == 1 &&
	    EVP_DigestVerify(ctx, der, der_len, challenge,
			     EID_AA_CHALLENGE_LEN) == 1)
		r = EID_OK;
out:
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	ERR_clear_error();
	return r;
}

int eid_aa_verify(EVP_PKEY *pub, const uint8_t challenge[EID_AA_CHALLENGE_LEN],
		  const uint8_t *sig, size_t sig_len, const EVP_MD *ecdsa_md)
{
	if (pub == NULL || challenge == NULL || (sig == NULL && sig_len > 0))
		return EID_EINVAL;
	if (sig_len > EID_AA_MAX_SIG)
		return EID_EVERIFY;
	switch (EVP_PKEY_get_base_id(pub)) {
	case EVP_PKEY_RSA:
		return rsa_verify(pub, challenge, sig, sig_len);
	case EVP_PKEY_EC:
		return ecdsa_verify(pub, challenge, sig, sig_len, ecdsa_md);
	}
	return EID_EUNSUPPORTED;
}

/* The card side. */

static int iso9796_block(const EVP_MD *md, const uint8_t *challenge,
			 uint8_t *m, size_t k)
{
	const struct hash_id *h = hash_by_nid(EVP_MD_get_type(md));
	size_t hlen = (size_t)EVP_MD_get_size(md);
	size_t tlen = EVP_MD_get_type(md) == NID_sha1 ? 1 : 2;
	size_t m1_len;
	int r;

	if (h == NULL)
		return EID_EUNSUPPORTED;
	if (k < 1 + hlen + tlen + 1)
		return EID_EUNSUPPORTED; /* key too small for this hash */
	m1_len = k - 1 - hlen - tlen;
	m[0] = ISO9796_HEADER_PARTIAL;
	if ((r = eid_random_bytes(m + 1, m1_len)) != EID_OK)
		return r;
	r = hash_m1_challenge(md, m + 1, m1_len, challenge, m + 1 + m1_len);
	if (r != EID_OK)
		return r;
	if (tlen == 1) {
		m[k - 1] = ISO9796_TRAILER_IMPLICIT;
	} else {
		m[k - 2] = h->iso9796;
		m[k - 1] = ISO9796_TRAILER_EXPLICIT;
	}
	return EID_OK;
}

static int rsa_sign(EVP_PKEY *key, const uint8_t *challenge,
		    const EVP_MD *md, eid_buf *out)
{
	uint8_t m[EID_AA_MAX_SIG], sig[EID_AA_MAX_SIG];
	size_t k = (size_t)EVP_PKEY_get_size(key), sig_len = sizeof(sig);
	int r = EID_EUNSUPPORTED;

	/* 6A... must stay below the modulus: a whole number of bytes. */
	if (k > sizeof(m) || EVP_PKEY_get_bits(key) % 8 != 0)
		goto out;
	r = iso9796_block(md != NULL ? md : EVP_sha1(), challenge, m, k);
	if (r != EID_OK)
		goto out;
	if ((r = rsa_raw(key, true, m, k, sig, &sig_len)) != EID_OK)
		goto out;
	r = eid_buf_put(out, sig, sig_len);
out:
	eid_wipe(m, sizeof(m));
	ERR_clear_error();
	return r;
}

static int der_to_plain(const uint8_t *der, size_t der_len, size_t n,
			eid_buf *out)
{
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	uint8_t rs[2 * (EID_AA_MAX_SIG / 2)];
	const BIGNUM *br, *bs;
	int r = EID_ECRYPTO;

	if (es == NULL || 2 * n > sizeof(rs))
		goto out;
	ECDSA_SIG_get0(es, &br, &bs);
	if (BN_bn2binpad(br, rs, (int)n) < 0 ||
	    BN_bn2binpad(bs, rs + n, (int)n) < 0)
		goto out;
	r = eid_buf_put(out, rs, 2 * n);
out:
	ECDSA_SIG_free(es);
	return r;
}

static int ecdsa_sign(EVP_PKEY *key, const uint8_t *challenge,
		      const EVP_MD *md, eid_buf *out)
{
	uint8_t der[EID_AA_MAX_SIG];
	size_t der_len = sizeof(der);
	EVP_MD_CTX *ctx = NULL;
	int r = EID_EUNSUPPORTED;

	if (md == NULL)
		md = ec_default_md(key);
	else if ((md = checked_md(md)) == NULL)
		goto out;
	r = EID_ECRYPTO;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit_ex(ctx, NULL, EVP_MD_get0_name(md), NULL, NULL,
				  key, NULL) != 1 ||
	    EVP_DigestSign(ctx, der, &der_len, challenge,
			   EID_AA_CHALLENGE_LEN) != 1)
		goto out;
	r = der_to_plain(der, der_len, ec_order_len(key), out);
out:
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return r;
}

int eid_aa_sign(EVP_PKEY *key, const uint8_t challenge[EID_AA_CHALLENGE_LEN],
		const EVP_MD *md, eid_buf *out)
{
	if (key == NULL || challenge == NULL || out == NULL)
		return EID_EINVAL;
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:
		return rsa_sign(key, challenge, md, out);
	case EVP_PKEY_EC:
		return ecdsa_sign(key, challenge, md, out);
	}
	return EID_EUNSUPPORTED;
}
