/* X.509 for the citizen signing CA (docs/signatures.md): the CA's
 * self-signed certificate, citizens' end-entity certificates, CRLs, and
 * the small conversions around them.  Pure crypto on OpenSSL 3: no store,
 * no clock (every time is passed in, unix seconds), no printing. */
#ifndef EID_X509_H
#define EID_X509_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crypto/buf.h"

/* Largest certificate or CRL accepted from outside, DER or PEM. */
#define EID_X509_MAX (256u * 1024)
/* Serials we issue: 16 random bytes, top bit clear (positive), next bit
 * set (so DER keeps all 16 bytes): 126 bits of randomness. */
#define EID_X509_SERIAL_LEN 16
/* Lowercase hex of a serial's magnitude (at most 20 bytes, RFC 5280) and
 * a NUL. */
#define EID_X509_SERIAL_HEX_MAX 41
/* RFC 5280 ub-common-name: characters in a CN. */
#define EID_X509_CN_MAX_CHARS 64
/* A distinguished name as text ("C=VN, O=eid, CN=..."). */
#define EID_X509_DN_MAX 512

/* CRLReason (RFC 5280 5.3.1).  Values are the wire values. */
enum eid_crl_reason {
	EID_CRL_UNSPECIFIED = 0,
	EID_CRL_KEY_COMPROMISE = 1,
	EID_CRL_CA_COMPROMISE = 2,
	EID_CRL_AFFILIATION_CHANGED = 3,
	EID_CRL_SUPERSEDED = 4,
	EID_CRL_CESSATION_OF_OPERATION = 5,
	EID_CRL_CERTIFICATE_HOLD = 6,
	EID_CRL_PRIVILEGE_WITHDRAWN = 9,
	EID_CRL_AA_COMPROMISE = 10,
};

/* "keyCompromise", ...; NULL for a value not in the enum. */
const char *eid_crl_reason_name(enum eid_crl_reason r);
/* EID_EINVAL for an unknown name. */
int eid_crl_reason_from_name(const char *name, enum eid_crl_reason *ret);

/* Parse "C=VN, O=eid, CN=eid Citizen Signing CA": comma-separated
 * TYPE=VALUE pairs (types OpenSSL knows: C, O, OU, CN, L, ST,
 * serialNumber...), values UTF-8 without ',' '=' or '\\', blanks around
 * them trimmed.  EID_EMALFORMED otherwise, EID_ETOOBIG past
 * EID_X509_DN_MAX. */
int eid_x509_name_parse(const char *dn, X509_NAME **ret_name);

/* A self-signed CA certificate for key: v3, a random serial, basic
 * constraints CA:TRUE pathlen 0 and key usage keyCertSign cRLSign (both
 * critical), subject and authority key identifiers; signed with SHA-256
 * (ECDSA or RSA PKCS#1 v1.5). */
int eid_x509_ca_new(EVP_PKEY *key, const char *subject_dn,
		    uint64_t not_before, uint64_t not_after, X509 **ret_cert);

/* What goes into a citizen's certificate. */
struct eid_x509_citizen {
	const char *personal_id; /* 12 digits: subject serialNumber (2.5.4.5) */
	const char *full_name;   /* UTF-8: subject CN as a UTF8String */
	/* Base URL ("https://id.example.vn"): the CRL distribution point is
	 * BASE/ca/crl and the OCSP responder (AIA) BASE/ca/ocsp.  Printable
	 * ASCII without blanks. */
	const char *base_url;
	uint64_t not_before, not_after;
};

/* An end-entity certificate for the public key pub, issued by ca with
 * ca_key: subject C=VN, CN=<full name>, serialNumber=<personal ID>; key
 * usage digitalSignature + nonRepudiation (critical); basic constraints
 * CA:FALSE; SKI, AKI, CRL distribution point, AIA OCSP; a random serial.
 * No extended key usage: see docs/signatures.md.  not_after is capped at
 * the CA's notAfter.  EID_EINVAL for a bad personal ID, URL or times (none
 * left after the cap), EID_ETOOBIG for a name over EID_X509_CN_MAX_CHARS,
 * EID_EMALFORMED for a name that is not UTF-8. */
int eid_x509_citizen_new(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *pub,
			 const struct eid_x509_citizen *c, X509 **ret_cert);

/* One revoked certificate for a CRL. */
struct eid_x509_revoked {
	uint8_t serial[20];
	size_t serial_len;
	uint64_t revoked_at;
	enum eid_crl_reason reason; /* unspecified: no reasonCode entry */
};

/* A v2 CRL from ca: the entries, the CRL number and authority key
 * identifier extensions, thisUpdate and nextUpdate. */
int eid_x509_crl_new(X509 *ca, EVP_PKEY *ca_key,
		     const struct eid_x509_revoked *list, size_t n,
		     uint64_t crl_number, uint64_t this_update,
		     uint64_t next_update, X509_CRL **ret_crl);

/* DER encodings appended to out. */
int eid_x509_der(X509 *cert, eid_buf *out);
int eid_x509_crl_der(X509_CRL *crl, eid_buf *out);
/* PEM text ("-----BEGIN CERTIFICATE-----") appended to out. */
int eid_x509_pem(X509 *cert, eid_buf *out);
/* Any DER as PEM with the given label ("X509 CRL"). */
int eid_x509_pem_encode(const char *label, const uint8_t *der, size_t n,
			eid_buf *out);

/* A certificate spanning exactly n DER bytes; EID_EMALFORMED otherwise. */
int eid_x509_from_der(const uint8_t *p, size_t n, X509 **ret_cert);
/* The first certificate in PEM text; EID_EMALFORMED when there is none. */
int eid_x509_from_pem(const char *pem, size_t n, X509 **ret_cert);
/* An unencrypted private key in PEM (PKCS#8 or traditional). */
int eid_x509_key_from_pem(const char *pem, size_t n, EVP_PKEY **ret_key);

/* The serial as lowercase hex of its magnitude; EID_EMALFORMED for a
 * negative, zero-length or over-20-byte serial. */
int eid_x509_serial_hex(const ASN1_INTEGER *serial,
			char ret_hex[EID_X509_SERIAL_HEX_MAX]);
/* The serial's magnitude bytes (the inverse). */
int eid_x509_serial_bytes(const ASN1_INTEGER *serial, uint8_t ret[20],
			  size_t *ret_len);
/* SHA-256 of the DER certificate. */
int eid_x509_fingerprint(X509 *cert, uint8_t ret[32]);
/* An ASN1_TIME as unix seconds. */
int eid_x509_time(const ASN1_TIME *t, uint64_t *ret);
/* notBefore and notAfter as unix seconds. */
int eid_x509_validity(const X509 *cert, uint64_t *ret_not_before,
		      uint64_t *ret_not_after);
/* The first value of an attribute (NID_commonName, NID_serialNumber...) in
 * a name, as UTF-8 into out (len bytes with the NUL).  EID_ENOTFOUND when
 * absent, EID_ETOOBIG when it does not fit, EID_EMALFORMED for a value
 * with a NUL. */
int eid_x509_name_attr(const X509_NAME *name, int nid, char *out,
		       size_t len);
/* The name as one line of UTF-8 ("C=VN, O=eid, CN=...") into out. */
int eid_x509_name_text(const X509_NAME *name, eid_buf *out);

#endif
