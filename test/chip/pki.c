#include "pki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "chip/issuer.h"
#include "crypto/error.h"

uint8_t pki_dg1[7] = { 0x61, 0x05, 0x5f, 0x1f, 0x02, 'V', 'N' };
uint8_t pki_dg2[5] = { 0x75, 0x03, 0x01, 0x02, 0x03 };
uint8_t pki_dg13[5] = { 0x6d, 0x03, 0x02, 0x01, 0x01 };

const struct eid_dg_bytes pki_dgs[3] = {
	{ 1, pki_dg1, sizeof(pki_dg1) },
	{ 2, pki_dg2, sizeof(pki_dg2) },
	{ 13, pki_dg13, sizeof(pki_dg13) },
};

static EVP_PKEY *ec_key(const char *group, bool explicit_params)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *key = NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
				       (char *)group, 0),
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING,
				       explicit_params ? "explicit" :
							 "named_curve", 0),
		OSSL_PARAM_END,
	};

	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_params(ctx, params) <= 0 ||
	    EVP_PKEY_generate(ctx, &key) <= 0)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	return key;
}

EVP_PKEY *pki_key(const char *kind)
{
	if (strcmp(kind, "rsa2048") == 0)
		return EVP_RSA_gen(2048);
	if (strcmp(kind, "rsa1024") == 0)
		return EVP_RSA_gen(1024);
	if (strcmp(kind, "p256") == 0)
		return ec_key("prime256v1", false);
	if (strcmp(kind, "brainpool-explicit") == 0)
		return ec_key("brainpoolP256r1", true);
	return NULL;
}

X509 *pki_cert(const char *cn, EVP_PKEY *key, X509 *issuer,
	       EVP_PKEY *issuer_key, long from_days, long to_days, long serial,
	       bool ca)
{
	X509 *x = NULL;

	if (eid_issuer_cert(cn, key, issuer, issuer_key, from_days * PKI_DAY,
			    to_days * PKI_DAY, serial, ca, &x) != EID_OK)
		return NULL;
	return x;
}

static bool revoke(X509_CRL *crl, long serial)
{
	X509_REVOKED *rev = X509_REVOKED_new();
	ASN1_INTEGER *sn = ASN1_INTEGER_new();
	ASN1_TIME *when = X509_gmtime_adj(NULL, -PKI_DAY);
	bool ok = rev != NULL && sn != NULL && when != NULL &&
		  ASN1_INTEGER_set(sn, serial) &&
		  X509_REVOKED_set_serialNumber(rev, sn) &&
		  X509_REVOKED_set_revocationDate(rev, when) &&
		  X509_CRL_add0_revoked(crl, rev);

	if (!ok)
		X509_REVOKED_free(rev);
	ASN1_INTEGER_free(sn);
	ASN1_TIME_free(when);
	return ok;
}

X509_CRL *pki_crl(X509 *ca, EVP_PKEY *ca_key, long serial, long next_days)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *last = X509_gmtime_adj(NULL, -PKI_DAY);
	ASN1_TIME *next = X509_gmtime_adj(NULL, next_days * PKI_DAY);
	bool ok = crl != NULL && last != NULL && next != NULL &&
		  X509_CRL_set_version(crl, 1) &&
		  X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) &&
		  X509_CRL_set1_lastUpdate(crl, last) &&
		  X509_CRL_set1_nextUpdate(crl, next);

	if (ok && serial >= 0)
		ok = revoke(crl, serial);
	ok = ok && X509_CRL_sort(crl) && X509_CRL_sign(crl, ca_key, EVP_sha256());
	ASN1_TIME_free(last);
	ASN1_TIME_free(next);
	if (!ok) {
		X509_CRL_free(crl);
		return NULL;
	}
	return crl;
}

size_t pki_cert_der(X509 *x, unsigned char **ret)
{
	int n;

	*ret = NULL;
	n = i2d_X509(x, ret);
	return n > 0 ? (size_t)n : 0;
}

size_t pki_crl_der(X509_CRL *crl, unsigned char **ret)
{
	int n;

	*ret = NULL;
	n = i2d_X509_CRL(crl, ret);
	return n > 0 ? (size_t)n : 0;
}

bool pki_write_cert_pem(const char *path, X509 *x)
{
	FILE *f = fopen(path, "w");
	bool ok;

	if (f == NULL)
		return false;
	ok = PEM_write_X509(f, x) == 1;
	return fclose(f) == 0 && ok;
}

bool pki_write_key_pem(const char *path, EVP_PKEY *key)
{
	FILE *f = fopen(path, "w");
	bool ok;

	if (f == NULL)
		return false;
	ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1;
	return fclose(f) == 0 && ok;
}

bool pki_write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	bool ok;

	if (f == NULL)
		return false;
	ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok;
}

unsigned char *pki_read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)n + 1)) != NULL) {
		if (fread(p, 1, (size_t)n, f) != (size_t)n) {
			free(p);
			p = NULL;
		} else {
			*ret_len = (size_t)n;
		}
	}
	fclose(f);
	return p;
}
