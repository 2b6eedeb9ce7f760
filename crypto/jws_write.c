/* Direct JWS writing: see jws_write.h. */
#include "crypto/jws_write.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/json_write.h"
#include "crypto/secret.h"

#define SIG_MAX 1024    /* a signature as OpenSSL gives it: RSA-8192 */
#define HEADER_MAX 1024 /* alg, a kid of EID_KID_MAX and a typ */

/* One INTEGER of a DER ECDSA signature as n bytes, big-endian, at dst. */
static int der_scalar(eid_rd *rd, size_t n, uint8_t *dst)
{
	const uint8_t *p;
	uint8_t tag, len;

	if (eid_rd_u8(rd, &tag) != EID_OK || tag != 0x02 ||
	    eid_rd_u8(rd, &len) != EID_OK || len == 0 || len > 0x7f ||
	    eid_rd_bytes(rd, len, &p) != EID_OK)
		return EID_ECRYPTO;
	/* DER puts a 0 before a high bit; the scalar is at most n bytes. */
	while (len > 0 && p[0] == 0) {
		p++;
		len--;
	}
	if (len > n)
		return EID_ECRYPTO;
	memset(dst, 0, n - len);
	memcpy(dst + n - len, p, len);
	return EID_OK;
}

/* OpenSSL's DER ECDSA signature, SEQUENCE { INTEGER r, INTEGER s }, as
 * JOSE's fixed-size R || S.  Read here rather than through d2i_ECDSA_SIG
 * and two BIGNUMs, which cost as much as the rest of the JWS around the
 * signature; the bytes are OpenSSL's own, and anything but that shape is
 * refused. */
static int ec_der_to_raw(const uint8_t *der, size_t derlen, size_t n,
			 eid_buf *out)
{
	eid_rd rd = eid_rd_make(der, derlen);
	uint8_t tag, len, *dst;
	size_t start = out->len;

	if (eid_rd_u8(&rd, &tag) != EID_OK || tag != 0x30 ||
	    eid_rd_u8(&rd, &len) != EID_OK)
		return EID_ECRYPTO;
	if (len == 0x81) {
		/* The long form of one byte (past 127: P-521's could). */
		if (eid_rd_u8(&rd, &len) != EID_OK || len < 0x80)
			return EID_ECRYPTO;
	} else if (len >= 0x80) {
		return EID_ECRYPTO;
	}
	if (eid_rd_left(&rd) != len ||
	    eid_buf_reserve(out, 2 * n, &dst) != EID_OK)
		return EID_ECRYPTO;
	if (der_scalar(&rd, n, dst) != EID_OK ||
	    der_scalar(&rd, n, dst + n) != EID_OK || eid_rd_left(&rd) != 0) {
		eid_buf_truncate(out, start);
		return EID_ECRYPTO;
	}
	return EID_OK;
}

/* A key in memory: the digest, then a copy of the prepared context signs
 * it.  ret_len 0 on failure. */
static void sign_prepared(const eid_key *key, const void *input, size_t len,
			  uint8_t raw[SIG_MAX], size_t *ret_len)
{
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	EVP_PKEY_CTX *ctx = NULL;

	if (EVP_Digest(input, len, d, &dlen, eid_key_md(key), NULL) != 1 ||
	    (ctx = EVP_PKEY_CTX_dup(eid_key_sign_ctx(key))) == NULL ||
	    EVP_PKEY_sign(ctx, raw, ret_len, d, dlen) != 1)
		*ret_len = 0;
	EVP_PKEY_CTX_free(ctx);
}

/* A key in a token: EVP_DigestSign through its handle, one operation at a
 * time on the token.  ret_len 0 on failure. */
static void sign_in_token(const eid_key *key, const eid_alg_info *info,
			  const void *input, size_t len, uint8_t raw[SIG_MAX],
			  size_t *ret_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;

	if (ctx == NULL) {
		*ret_len = 0;
		return;
	}
	eid_key_lock(key);
	if (EVP_DigestSignInit(ctx, &pctx, EVP_get_digestbyname(info->md),
			       NULL, eid_key_pkey(key)) != 1 ||
	    (info->pss &&
	     (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
					       RSA_PSS_SALTLEN_DIGEST) != 1)) ||
	    EVP_DigestSign(ctx, raw, ret_len, input, len) != 1)
		*ret_len = 0;
	eid_key_unlock(key);
	EVP_MD_CTX_free(ctx);
}

/* A key held by the signer process (crypto/signer_proc.h): the digest
 * here, the signature there, any of our algorithms.  ret_len 0 on
 * failure, *ret_r the reason. */
static void sign_remote(const eid_key *key, const eid_alg_info *info,
			const void *input, size_t len, uint8_t raw[SIG_MAX],
			size_t *ret_len, int *ret_r)
{
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;

	*ret_r = EID_ECRYPTO;
	if (EVP_Digest(input, len, d, &dlen, EVP_get_digestbyname(info->md),
		       NULL) != 1 ||
	    (*ret_r = eid_key_sign_digest(key, d, dlen, raw, SIG_MAX,
					  ret_len)) != EID_OK)
		*ret_len = 0;
}

int eid_jws_signature(const eid_key *key, const void *input, size_t len,
		      eid_buf *sig)
{
	const eid_alg_info *info;
	uint8_t raw[SIG_MAX];
	size_t rawlen = sizeof(raw);
	int r = EID_ECRYPTO;

	if (key == NULL || (input == NULL && len > 0) || sig == NULL ||
	    !eid_key_has_private(key) ||
	    (info = eid_alg_info_get(eid_key_alg(key))) == NULL)
		return EID_EINVAL;
	if (eid_key_sign_ctx(key) != NULL)
		sign_prepared(key, input, len, raw, &rawlen);
	else if (eid_key_token_label(key) != NULL)
		sign_in_token(key, info, input, len, raw, &rawlen);
	else if (eid_key_is_remote(key))
		sign_remote(key, info, input, len, raw, &rawlen, &r);
	else
		return EID_EINVAL;
	if (rawlen > 0)
		r = info->ec ? ec_der_to_raw(raw, rawlen, info->ec_len, sig) :
			       eid_buf_put(sig, raw, rawlen);
	ERR_clear_error();
	return r;
}

int eid_jws_header(const eid_key *key, const char *typ, eid_buf *out)
{
	const char *alg;
	int r;

	if (key == NULL || out == NULL ||
	    (alg = eid_alg_name(eid_key_alg(key))) == NULL)
		return EID_EINVAL;
	if ((r = eid_json_open(out)) != EID_OK ||
	    (r = eid_json_member_str(out, "alg", alg)) != EID_OK ||
	    (r = eid_json_member_str(out, "kid", eid_key_kid(key))) != EID_OK ||
	    (r = eid_json_member_str(out, "typ", typ)) != EID_OK)
		return r;
	return eid_json_close(out);
}

int eid_jws_compact(const eid_key *key, const void *header, size_t hlen,
		    const void *payload, size_t plen, char **ret_compact)
{
	eid_buf out, sig;
	int r = EID_EINVAL;

	if (key == NULL || header == NULL || (payload == NULL && plen > 0) ||
	    ret_compact == NULL)
		return EID_EINVAL;
	if (hlen > EID_JWS_PART_MAX || plen > EID_JWS_PART_MAX)
		return EID_ETOOBIG;
	/* Room for both parts in base64url, the signature and the dots. */
	eid_buf_init(&out, EID_B64URL_LEN(hlen) + EID_B64URL_LEN(plen) +
				   EID_B64URL_LEN(SIG_MAX) + 3);
	eid_buf_init(&sig, SIG_MAX);
	/* That room at once (about 2 KiB): no doubling as the parts come. */
	if ((r = eid_buf_room(&out, out.max)) != EID_OK ||
	    (r = eid_b64url_encode(header, hlen, &out)) != EID_OK ||
	    (r = eid_buf_put_u8(&out, '.')) != EID_OK ||
	    (r = eid_b64url_encode(payload, plen, &out)) != EID_OK ||
	    (r = eid_jws_signature(key, out.data, out.len, &sig)) != EID_OK ||
	    (r = eid_buf_put_u8(&out, '.')) != EID_OK ||
	    (r = eid_b64url_encode(sig.data, sig.len, &out)) != EID_OK ||
	    (r = eid_buf_take_str(&out, ret_compact)) != EID_OK)
		goto out;
	r = EID_OK;
out:
	eid_buf_free(&out);
	eid_buf_free(&sig);
	return r;
}

int eid_jws_sign_payload(const eid_key *key, const char *typ,
			 const void *payload, size_t plen,
			 char **ret_compact)
{
	eid_buf h;
	int r;

	eid_buf_init(&h, HEADER_MAX);
	if ((r = eid_buf_room(&h, 256)) == EID_OK &&
	    (r = eid_jws_header(key, typ, &h)) == EID_OK)
		r = eid_jws_compact(key, h.data, h.len, payload, plen,
				    ret_compact);
	eid_buf_free(&h);
	return r;
}
