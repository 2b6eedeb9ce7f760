/* Making test documents: keys, CSCA and DSC certificates, and a small
 * face image, for `eidctl card issue` and the tests.  Nothing here is
 * used to read or verify a card. */
#ifndef EID_ISSUER_H
#define EID_ISSUER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crypto/buf.h"

#define EID_ISSUER_DAY (24L * 3600)

enum eid_issuer_key {
	EID_ISSUER_KEY_P256 = 1,
	EID_ISSUER_KEY_RSA2048 = 2,
};

/* A fresh key (owned by the caller). */
int eid_issuer_keygen(enum eid_issuer_key kind, EVP_PKEY **ret_key);

/* A certificate for key, valid from now+from_secs to now+to_secs, signed
 * with SHA-256 by issuer_key under issuer (self-signed when issuer is
 * NULL), subject C=VN, CN=cn, with key identifiers.  ca adds
 * basicConstraints CA and keyCertSign/cRLSign; otherwise digitalSignature. */
int eid_issuer_cert(const char *cn, EVP_PKEY *key, X509 *issuer,
		    EVP_PKEY *issuer_key, long from_secs, long to_secs,
		    long serial, bool ca, X509 **ret_cert);

/* PEM files: certificates world-readable, keys 0600 (PKCS#8, written
 * through a temporary file and renamed). */
int eid_issuer_write_cert(const char *path, X509 *x);
int eid_issuer_write_key(const char *path, EVP_PKEY *key);
int eid_issuer_read_cert(const char *path, X509 **ret_cert);
int eid_issuer_read_key(const char *path, EVP_PKEY **ret_key);

/* A key's PKCS#8 DER appended to out (use a secret buffer). */
int eid_issuer_key_pkcs8(EVP_PKEY *key, eid_buf *out);

/* A tiny baseline JPEG (JFIF, 8-bit grayscale, one DC value per 8x8
 * block) of a stylised face, width x height pixels (multiples of 8, at
 * most 1024), appended to out.  pad_to > 0 adds comment segments until
 * the file is at least pad_to bytes (for read-size measurements). */
int eid_issuer_face_jpeg(unsigned width, unsigned height, size_t pad_to,
			 eid_buf *out);

#endif
