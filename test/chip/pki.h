/* A throw-away PKI for the chip tests: keys, CSCA and DSC certificates,
 * CRLs, written with OpenSSL so the tests need no fixture files. */
#ifndef EID_TEST_PKI_H
#define EID_TEST_PKI_H

#include <stdbool.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "chip/sod.h"

#define PKI_DAY (24L * 3600)

/* Three small data groups (DG1, DG2, DG13) to hash and sign; tests may
 * flip a byte and must restore it. */
extern uint8_t pki_dg1[7], pki_dg2[5], pki_dg13[5];
extern const struct eid_dg_bytes pki_dgs[3];
#define PKI_N_DGS 3

/* "rsa2048", "rsa1024", "p256", "brainpool-explicit" (brainpoolP256r1
 * with explicit curve parameters).  NULL on failure. */
EVP_PKEY *pki_key(const char *kind);

/* A certificate for key, valid from now+from_days to now+to_days, signed
 * by issuer_key under issuer (self-signed when issuer is NULL).  ca adds
 * basicConstraints CA and keyCertSign/cRLSign; otherwise digitalSignature.
 * NULL on failure. */
X509 *pki_cert(const char *cn, EVP_PKEY *key, X509 *issuer,
	       EVP_PKEY *issuer_key, long from_days, long to_days, long serial,
	       bool ca);

/* A CRL by ca revoking serial (none when serial < 0), valid from
 * now-1 day to now+next_days. */
X509_CRL *pki_crl(X509 *ca, EVP_PKEY *ca_key, long serial, long next_days);

/* DER of a certificate / CRL in a malloc'd buffer; 0 on failure. */
size_t pki_cert_der(X509 *x, unsigned char **ret);
size_t pki_crl_der(X509_CRL *crl, unsigned char **ret);

/* Write PEM files; true on success. */
bool pki_write_cert_pem(const char *path, X509 *x);
bool pki_write_key_pem(const char *path, EVP_PKEY *key);
/* Write n bytes to path; true on success. */
bool pki_write_file(const char *path, const void *p, size_t n);
/* Read a whole file into a malloc'd buffer; NULL on failure. */
unsigned char *pki_read_file(const char *path, size_t *ret_len);

#endif
