#include "chip/signeddata.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

#include "crypto/error.h"

static bool oid_is(const ASN1_OBJECT *obj, const char *dotted)
{
	char txt[64];
	int n;

	if (obj == NULL)
		return false;
	n = OBJ_obj2txt(txt, sizeof(txt), obj, 1);
	return n > 0 && (size_t)n < sizeof(txt) && strcmp(txt, dotted) == 0;
}

int eid_signeddata_parse(const uint8_t *p, size_t n, const char *econtent_oid,
			 CMS_ContentInfo **ret_cms)
{
	const unsigned char *q = p;
	CMS_ContentInfo *cms = NULL;
	int r = EID_EMALFORMED;

	if (n > LONG_MAX)
		return EID_ETOOBIG;
	cms = d2i_CMS_ContentInfo(NULL, &q, (long)n);
	if (cms == NULL || q != p + n)
		goto out;
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed)
		goto out;
	if (!oid_is(CMS_get0_eContentType(cms), econtent_oid))
		goto out;
	*ret_cms = cms;
	cms = NULL;
	r = EID_OK;
out:
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return r;
}

int eid_signeddata_signer(CMS_ContentInfo *cms, CMS_SignerInfo **ret_si,
			  X509 **ret_cert)
{
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
	STACK_OF(X509) *certs = NULL;
	CMS_SignerInfo *si;
	int r = EID_EMALFORMED;

	if (sis == NULL || sk_CMS_SignerInfo_num(sis) != 1)
		goto out;
	si = sk_CMS_SignerInfo_value(sis, 0);
	if ((certs = CMS_get1_certs(cms)) == NULL)
		goto out;
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);
		if (CMS_SignerInfo_cert_cmp(si, x) != 0)
			continue;
		if (!X509_up_ref(x)) {
			r = EID_ENOMEM;
			goto out;
		}
		CMS_SignerInfo_set1_signer_cert(si, x);
		*ret_si = si;
		*ret_cert = x;
		r = EID_OK;
		break;
	}
out:
	sk_X509_pop_free(certs, X509_free);
	ERR_clear_error();
	return r;
}

int eid_signeddata_content(CMS_ContentInfo *cms, const uint8_t **ret_p,
			   size_t *ret_n)
{
	ASN1_OCTET_STRING **pos = CMS_get0_content(cms);

	if (pos == NULL || *pos == NULL)
		return EID_EMALFORMED;
	*ret_p = ASN1_STRING_get0_data(*pos);
	*ret_n = (size_t)ASN1_STRING_length(*pos);
	return EID_OK;
}

void eid_signeddata_ossl_reason(const char *prefix, char *out, size_t len)
{
	unsigned long e = ERR_peek_error();
	const char *why = e != 0 ? ERR_reason_error_string(e) : NULL;

	if (out != NULL && len > 0)
		snprintf(out, len, "%s%s%s", prefix, why != NULL ? ": " : "",
			 why != NULL ? why : "");
	ERR_clear_error();
}

int eid_signeddata_verify(CMS_ContentInfo *cms, char *reason,
			  size_t reason_len)
{
	const unsigned flags = CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY;

	ERR_clear_error();
	if (CMS_verify(cms, NULL, NULL, NULL, NULL, flags) == 1)
		return EID_OK;
	eid_signeddata_ossl_reason("CMS signature does not verify", reason,
				   reason_len);
	return EID_EVERIFY;
}

static int set_pss(CMS_SignerInfo *si)
{
	EVP_PKEY_CTX *pctx = CMS_SignerInfo_get0_pkey_ctx(si);

	if (pctx == NULL ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0)
		return EID_ECRYPTO;
	return EID_OK;
}

static int new_signed_data(const char *econtent_oid, X509 *cert,
			   EVP_PKEY *key, const EVP_MD *md, bool pss,
			   CMS_ContentInfo **ret_cms)
{
	const unsigned cms_flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
	CMS_ContentInfo *cms = NULL;
	ASN1_OBJECT *oid = NULL;
	CMS_SignerInfo *si;
	int r = EID_ECRYPTO;

	if ((cms = CMS_sign(NULL, NULL, NULL, NULL, cms_flags)) == NULL)
		goto out;
	if ((oid = OBJ_txt2obj(econtent_oid, 1)) == NULL ||
	    !CMS_set1_eContentType(cms, oid))
		goto out;
	si = CMS_add1_signer(cms, cert, key, md, cms_flags | CMS_KEY_PARAM);
	if (si == NULL)
		goto out;
	if (pss && (r = set_pss(si)) != EID_OK)
		goto out;
	*ret_cms = cms;
	cms = NULL;
	r = EID_OK;
out:
	ASN1_OBJECT_free(oid);
	CMS_ContentInfo_free(cms);
	return r;
}

int eid_signeddata_sign(const uint8_t *content, size_t len,
			const char *econtent_oid, X509 *cert, EVP_PKEY *key,
			const EVP_MD *md, bool pss, eid_buf *out)
{
	CMS_ContentInfo *cms = NULL;
	BIO *in = NULL;
	unsigned char *der = NULL;
	int der_len, r = EID_EINVAL;

	if (content == NULL || len == 0 || len > INT_MAX || cert == NULL ||
	    key == NULL || md == NULL || econtent_oid == NULL)
		goto out;
	if ((r = new_signed_data(econtent_oid, cert, key, md, pss, &cms)) !=
	    EID_OK)
		goto out;
	r = EID_ECRYPTO;
	if ((in = BIO_new_mem_buf(content, (int)len)) == NULL ||
	    !CMS_final(cms, in, NULL, CMS_BINARY))
		goto out;
	if ((der_len = i2d_CMS_ContentInfo(cms, &der)) <= 0)
		goto out;
	r = eid_buf_put(out, der, (size_t)der_len);
out:
	OPENSSL_free(der);
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return r;
}
