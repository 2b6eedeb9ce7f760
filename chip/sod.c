#include "chip/sod.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "chip/signeddata.h"
#include "chip/tlv.h"
#include "crypto/error.h"

#define SOD_TAG 0x77
#define OID_LDS_SECURITY_OBJECT "2.23.136.1.1.1"
#define LDS_MAX_DER 4096 /* 16 SHA-512 hashes take about 1.2 KiB */

/* LDSSecurityObject ::= SEQUENCE {
 *   version LDSSecurityObjectVersion,
 *   hashAlgorithm DigestAlgorithmIdentifier,
 *   dataGroupHashValues SEQUENCE SIZE (2..ub-DataGroups) OF DataGroupHash,
 *   ldsVersionInfo LDSVersionInfo OPTIONAL }   (ICAO 9303-10 4.6.2.2) */
typedef struct {
	ASN1_INTEGER *number;
	ASN1_OCTET_STRING *hash;
} LDS_DG_HASH;

DEFINE_STACK_OF(LDS_DG_HASH)

typedef struct {
	ASN1_PRINTABLESTRING *lds_version;
	ASN1_PRINTABLESTRING *unicode_version;
} LDS_VERSION_INFO;

typedef struct {
	ASN1_INTEGER *version;
	X509_ALGOR *hash_alg;
	STACK_OF(LDS_DG_HASH) *hashes;
	LDS_VERSION_INFO *version_info;
} LDS_SO;

ASN1_SEQUENCE(LDS_DG_HASH) = {
	ASN1_SIMPLE(LDS_DG_HASH, number, ASN1_INTEGER),
	ASN1_SIMPLE(LDS_DG_HASH, hash, ASN1_OCTET_STRING),
} static_ASN1_SEQUENCE_END(LDS_DG_HASH)

ASN1_SEQUENCE(LDS_VERSION_INFO) = {
	ASN1_SIMPLE(LDS_VERSION_INFO, lds_version, ASN1_PRINTABLESTRING),
	ASN1_SIMPLE(LDS_VERSION_INFO, unicode_version, ASN1_PRINTABLESTRING),
} static_ASN1_SEQUENCE_END(LDS_VERSION_INFO)

ASN1_SEQUENCE(LDS_SO) = {
	ASN1_SIMPLE(LDS_SO, version, ASN1_INTEGER),
	ASN1_SIMPLE(LDS_SO, hash_alg, X509_ALGOR),
	ASN1_SEQUENCE_OF(LDS_SO, hashes, LDS_DG_HASH),
	ASN1_OPT(LDS_SO, version_info, LDS_VERSION_INFO),
} static_ASN1_SEQUENCE_END(LDS_SO)

struct eid_sod {
	CMS_ContentInfo *cms;
	CMS_SignerInfo *si; /* borrowed from cms */
	X509 *dsc;
	const EVP_MD *md;
	int version;
	size_t n_dgs;
	struct eid_sod_dg_hash dgs[EID_SOD_MAX_DGS];
};

/* The hashes ICAO 9303-12 allows for data groups. */
static const EVP_MD *allowed_md(int nid)
{
	switch (nid) {
	case NID_sha1:
	case NID_sha224:
	case NID_sha256:
	case NID_sha384:
	case NID_sha512:
		return EVP_get_digestbynid(nid);
	}
	return NULL;
}

/* Tag 77 around the ContentInfo.  Some chips write it with BER's
 * indefinite length (80 ... 00 00), which eid_tlv refuses, so that one
 * case is unwrapped here and the inner DER/BER left to OpenSSL. */
static int unwrap_sod(const uint8_t *p, size_t n, const uint8_t **ret_p,
		      size_t *ret_n)
{
	struct eid_tlv t;
	int r;

	if (n >= 4 && p[0] == SOD_TAG && p[1] == 0x80) {
		if (p[n - 1] != 0 || p[n - 2] != 0)
			return EID_EMALFORMED;
		*ret_p = p + 2;
		*ret_n = n - 4;
		return EID_OK;
	}
	if ((r = eid_tlv_parse_exact(p, n, &t)) != EID_OK)
		return r;
	if (t.tag != SOD_TAG)
		return EID_EMALFORMED;
	*ret_p = t.value;
	*ret_n = t.len;
	return EID_OK;
}

static int parse_dg_hash(const LDS_DG_HASH *h, size_t md_len,
			 struct eid_sod_dg_hash *ret)
{
	int64_t number;

	if (!ASN1_INTEGER_get_int64(&number, h->number) || number < 1 ||
	    number > EID_SOD_MAX_DGS)
		return EID_EMALFORMED;
	if ((size_t)ASN1_STRING_length(h->hash) != md_len)
		return EID_EMALFORMED;
	ret->number = (int)number;
	ret->hash_len = md_len;
	memcpy(ret->hash, ASN1_STRING_get0_data(h->hash), md_len);
	return EID_OK;
}

static int parse_dg_hashes(struct eid_sod *sod, STACK_OF(LDS_DG_HASH) *hs)
{
	int count = sk_LDS_DG_HASH_num(hs);
	size_t md_len = (size_t)EVP_MD_get_size(sod->md);
	int r;

	if (count < 1)
		return EID_EMALFORMED;
	if (count > EID_SOD_MAX_DGS)
		return EID_ETOOBIG;
	if (md_len < EID_SOD_MIN_HASH || md_len > EID_SOD_MAX_HASH)
		return EID_EUNSUPPORTED;
	for (int i = 0; i < count; i++) {
		struct eid_sod_dg_hash *d = &sod->dgs[i];
		const struct eid_sod_dg_hash *dup;

		r = parse_dg_hash(sk_LDS_DG_HASH_value(hs, i), md_len, d);
		if (r != EID_OK)
			return r;
		sod->n_dgs = (size_t)i;
		if (eid_sod_dg_find(sod, d->number, &dup) == EID_OK)
			return EID_EMALFORMED;
		sod->n_dgs = (size_t)i + 1;
	}
	return EID_OK;
}

static int parse_lds(struct eid_sod *sod)
{
	const unsigned char *p, *q;
	const ASN1_OBJECT *alg;
	LDS_SO *lds = NULL;
	int64_t version;
	size_t n;
	int r;

	if ((r = eid_signeddata_content(sod->cms, &p, &n)) != EID_OK)
		return r;
	r = EID_EMALFORMED;
	q = p;
	if (n > LDS_MAX_DER)
		goto out;
	lds = (LDS_SO *)ASN1_item_d2i(NULL, &q, (long)n,
				      ASN1_ITEM_rptr(LDS_SO));
	if (lds == NULL || q != p + n)
		goto out;
	if (!ASN1_INTEGER_get_int64(&version, lds->version) || version < 0 ||
	    version > 1)
		goto out;
	sod->version = (int)version;
	X509_ALGOR_get0(&alg, NULL, NULL, lds->hash_alg);
	if ((sod->md = allowed_md(OBJ_obj2nid(alg))) == NULL) {
		r = EID_EUNSUPPORTED;
		goto out;
	}
	r = parse_dg_hashes(sod, lds->hashes);
out:
	ASN1_item_free((ASN1_VALUE *)lds, ASN1_ITEM_rptr(LDS_SO));
	ERR_clear_error();
	return r;
}

int eid_sod_parse(const uint8_t *p, size_t n, eid_sod **ret_sod)
{
	struct eid_sod *sod = NULL;
	const uint8_t *inner;
	size_t inner_len;
	int r;

	if (p == NULL || ret_sod == NULL)
		return EID_EINVAL;
	if (n > EID_SOD_MAX_LEN)
		return EID_ETOOBIG;
	if ((r = unwrap_sod(p, n, &inner, &inner_len)) != EID_OK)
		goto out;
	if ((sod = calloc(1, sizeof(*sod))) == NULL) {
		r = EID_ENOMEM;
		goto out;
	}
	r = eid_signeddata_parse(inner, inner_len, OID_LDS_SECURITY_OBJECT,
				 &sod->cms);
	if (r != EID_OK)
		goto out;
	r = eid_signeddata_signer(sod->cms, &sod->si, &sod->dsc);
	if (r != EID_OK)
		goto out;
	if ((r = parse_lds(sod)) != EID_OK)
		goto out;
	*ret_sod = sod;
	sod = NULL;
out:
	eid_sod_free(sod);
	return r;
}

void eid_sod_free(eid_sod *sod)
{
	if (sod == NULL)
		return;
	X509_free(sod->dsc);
	CMS_ContentInfo_free(sod->cms);
	free(sod);
}

CMS_ContentInfo *eid_sod_cms(const eid_sod *sod)
{
	return sod->cms;
}

CMS_SignerInfo *eid_sod_signer(const eid_sod *sod)
{
	return sod->si;
}

X509 *eid_sod_dsc(const eid_sod *sod)
{
	return sod->dsc;
}

const EVP_MD *eid_sod_hash_md(const eid_sod *sod)
{
	return sod->md;
}

int eid_sod_version(const eid_sod *sod)
{
	return sod->version;
}

size_t eid_sod_dg_count(const eid_sod *sod)
{
	return sod->n_dgs;
}

const struct eid_sod_dg_hash *eid_sod_dg_at(const eid_sod *sod, size_t i)
{
	return i < sod->n_dgs ? &sod->dgs[i] : NULL;
}

int eid_sod_dg_find(const eid_sod *sod, int number,
		    const struct eid_sod_dg_hash **ret_hash)
{
	for (size_t i = 0; i < sod->n_dgs; i++) {
		if (sod->dgs[i].number == number) {
			*ret_hash = &sod->dgs[i];
			return EID_OK;
		}
	}
	return EID_ENOTFOUND;
}

/* Encoder. */

static int push_dg_hash(STACK_OF(LDS_DG_HASH) *hs, const EVP_MD *md,
			const struct eid_dg_bytes *dg)
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hlen;
	LDS_DG_HASH *e = NULL;
	int r = EID_ECRYPTO;

	if (dg->number < 1 || dg->number > EID_SOD_MAX_DGS ||
	    (dg->data == NULL && dg->len > 0))
		return EID_EINVAL;
	if (!EVP_Digest(dg->data, dg->len, h, &hlen, md, NULL))
		goto out;
	r = EID_ENOMEM;
	e = (LDS_DG_HASH *)ASN1_item_new(ASN1_ITEM_rptr(LDS_DG_HASH));
	if (e == NULL || !ASN1_INTEGER_set_int64(e->number, dg->number) ||
	    !ASN1_OCTET_STRING_set(e->hash, h, (int)hlen) ||
	    !sk_LDS_DG_HASH_push(hs, e))
		goto out;
	e = NULL;
	r = EID_OK;
out:
	ASN1_item_free((ASN1_VALUE *)e, ASN1_ITEM_rptr(LDS_DG_HASH));
	return r;
}

int eid_sod_encode_lds(const struct eid_dg_bytes *dgs, size_t n_dgs,
		       const EVP_MD *md, eid_buf *out)
{
	LDS_SO *lds = NULL;
	unsigned char *der = NULL;
	int der_len, r = EID_EINVAL;

	if (md == NULL || allowed_md(EVP_MD_get_type(md)) == NULL ||
	    n_dgs == 0 || n_dgs > EID_SOD_MAX_DGS || dgs == NULL)
		goto out;
	r = EID_ENOMEM;
	if ((lds = (LDS_SO *)ASN1_item_new(ASN1_ITEM_rptr(LDS_SO))) == NULL ||
	    !ASN1_INTEGER_set_int64(lds->version, 0))
		goto out;
	X509_ALGOR_set_md(lds->hash_alg, md);
	for (size_t i = 0; i < n_dgs; i++)
		if ((r = push_dg_hash(lds->hashes, md, &dgs[i])) != EID_OK)
			goto out;
	r = EID_ECRYPTO;
	der_len = ASN1_item_i2d((ASN1_VALUE *)lds, &der,
				ASN1_ITEM_rptr(LDS_SO));
	if (der_len <= 0)
		goto out;
	r = eid_buf_put(out, der, (size_t)der_len);
out:
	OPENSSL_free(der);
	ASN1_item_free((ASN1_VALUE *)lds, ASN1_ITEM_rptr(LDS_SO));
	ERR_clear_error();
	return r;
}

int eid_sod_sign(const uint8_t *lds, size_t lds_len, X509 *dsc,
		 EVP_PKEY *dsc_key, const EVP_MD *md, unsigned flags,
		 eid_buf *out)
{
	eid_buf der;
	int r = EID_EINVAL;

	eid_buf_init(&der, EID_SOD_MAX_LEN);
	if (lds == NULL || lds_len == 0 || lds_len > LDS_MAX_DER)
		goto out;
	r = eid_signeddata_sign(lds, lds_len, OID_LDS_SECURITY_OBJECT, dsc,
				dsc_key, md, (flags & EID_SOD_SIGN_PSS) != 0,
				&der);
	if (r == EID_OK)
		r = eid_tlv_put(out, SOD_TAG, der.data, der.len);
out:
	eid_buf_free(&der);
	return r;
}

int eid_sod_build(const struct eid_dg_bytes *dgs, size_t n_dgs,
		  const EVP_MD *md, X509 *dsc, EVP_PKEY *dsc_key,
		  unsigned flags, eid_buf *out)
{
	eid_buf lds;
	int r;

	eid_buf_init(&lds, LDS_MAX_DER);
	if ((r = eid_sod_encode_lds(dgs, n_dgs, md, &lds)) == EID_OK)
		r = eid_sod_sign(lds.data, lds.len, dsc, dsc_key, md, flags,
				 out);
	eid_buf_free(&lds);
	return r;
}
