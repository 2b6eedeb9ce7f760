/* The citizen signing CA (docs/signatures.md).
 *
 * One issuing CA lives in the store (table "ca"): its certificate and its
 * private key sealed under the key-encryption key.  Citizens' signing keys
 * and certificates live in table "certs":
 *
 *   "c:<personal id>"  the citizen's current key (sealed) and its serial
 *   "s:<serial hex>"   every certificate ever issued, with its status
 *
 * A citizen has at most one current certificate.  It is made on first use
 * (eid_citizen_cert_ensure), reused while it is good, and replaced by a new
 * key and certificate when it has expired or was revoked: a revoked key
 * never signs again, and its sealed copy is deleted. */
#ifndef EID_CA_H
#define EID_CA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "crypto/buf.h"
#include "crypto/keys.h"
#include "crypto/signer_proc.h"
#include "crypto/x509.h"
#include "idp/citizen.h"
#include "idp/store.h"

/* Defaults for `eidctl ca init` ([ca] in the configuration). */
#define EID_CA_DEFAULT_SUBJECT "C=VN, O=eid, CN=eid Citizen Signing CA"
#define EID_CA_DEFAULT_DAYS 3650
/* Longest life of a citizen certificate, before the card's and the CA's
 * caps: two years, so keys are renewed well within a card's life. */
#define EID_CITIZEN_CERT_DAYS 730
#define EID_CA_MAX_DAYS (30 * 366)

typedef struct eid_ca eid_ca;

/* Create the CA: a new key (ES256: ECDSA P-256; RS256: RSA-3072 with
 * PKCS#1 v1.5 SHA-256 signatures, `--alg RS3072`), a self-signed
 * certificate valid from the store's clock for validity_days, the key
 * sealed under kek.  EID_EEXIST when a CA exists: it is never overwritten
 * (certificates it issued would no longer verify).  Audited as ca.init. */
int eid_ca_init(eid_store *s, const uint8_t kek[32], eid_alg alg,
		const char *subject, unsigned validity_days);

/* The same with the CA key generated in p11's token (crypto/pkcs11.h):
 * the store keeps only a reference to it.  p11 NULL is eid_ca_init. */
int eid_ca_init_pkcs11(eid_store *s, const uint8_t kek[32], eid_pkcs11 *p11,
		       eid_alg alg, const char *subject, unsigned validity_days);

/* Install an existing CA (for instance one issued under a national root):
 * PEM certificate and unencrypted PEM private key.  The certificate must
 * be a CA (basicConstraints CA:TRUE, keyCertSign when key usage is
 * present), valid by the store's clock, and match the key (EID_EMISMATCH
 * otherwise; EID_EINVAL for a certificate that is no CA or not valid now;
 * EID_EUNSUPPORTED for a key other than P-256 or RSA).  EID_EEXIST when a
 * CA exists.  Audited as ca.import. */
int eid_ca_import(eid_store *s, const uint8_t kek[32], const char *cert_pem,
		  size_t cert_len, const char *key_pem, size_t key_len);

/* Load the CA with its private key.  issuer_url is the server's base URL,
 * from which citizen certificates get their CRL and OCSP addresses (it is
 * deployment configuration, not part of the CA).  EID_ENOTFOUND when there
 * is no CA, EID_EVERIFY for a wrong KEK. */
int eid_ca_load(eid_store *s, const uint8_t kek[32], const char *issuer_url,
		eid_ca **ret_ca);
/* The same when the CA key may be in p11's token (NULL: a CA key in a
 * token fails with EID_ESTATE).  p11 must outlive the CA. */
int eid_ca_load_pkcs11(eid_store *s, const uint8_t kek[32], eid_pkcs11 *p11,
		       const char *issuer_url, eid_ca **ret_ca);
/* Load only the certificate: enough to verify and show, not to sign
 * (those return EID_ESTATE). */
/* The same with the CA key in the signer process (crypto/signer_proc.h):
 * the sealed key is opened there, a PKCS#11 reference here through p11.
 * Citizens' keys then go there too (eid_citizen_cert_ensure). */
int eid_ca_load_remote(eid_store *s, eid_sigproc *sp, eid_pkcs11 *p11,
		       const char *issuer_url, eid_ca **ret_ca);
int eid_ca_load_public(eid_store *s, eid_ca **ret_ca);
void eid_ca_free(eid_ca *ca);

/* Borrowed, valid as long as ca. */
X509 *eid_ca_cert(const eid_ca *ca);
/* NULL for a public-only CA. */
EVP_PKEY *eid_ca_pkey(const eid_ca *ca);
/* The key (NULL for a public-only CA): eid_key_lock around each use of
 * eid_ca_pkey for signing. */
const eid_key *eid_ca_key(const eid_ca *ca);
/* True when the CA's private key lives in a PKCS#11 token (also known to
 * a public-only CA). */
bool eid_ca_key_in_token(const eid_ca *ca);

/* A citizen's signing key and certificate. */
typedef struct eid_citizen_cert eid_citizen_cert;

/* The citizen's current key and certificate, made on first use (and after
 * expiry or revocation): an ECDSA P-256 key sealed under kek (for a CA
 * from eid_ca_load_remote: made, sealed and opened in its signer process,
 * kek unused and may be NULL; the key returned signs there), a
 * certificate valid from now until the earliest of now +
 * EID_CITIZEN_CERT_DAYS, the end of the card's expiry day (Vietnam time)
 * and the CA's notAfter (a card without an expiry date, as for citizens
 * past 60, caps nothing).  EID_EPERM for a revoked card, EID_EEXPIRED when
 * the card or the CA has expired, EID_ESTATE for a public-only CA or one
 * loaded without an issuer URL.  Issuing is audited as sign.cert.issue. */
int eid_citizen_cert_ensure(eid_store *s, const uint8_t kek[32],
			    const eid_ca *ca, const struct eid_citizen *c,
			    uint64_t now, eid_citizen_cert **ret_cert);
void eid_citizen_cert_free(eid_citizen_cert *cc);
X509 *eid_citizen_cert_x509(const eid_citizen_cert *cc);
EVP_PKEY *eid_citizen_cert_pkey(const eid_citizen_cert *cc);
const char *eid_citizen_cert_serial(const eid_citizen_cert *cc);
/* True when ensure made it in this call. */
bool eid_citizen_cert_created(const eid_citizen_cert *cc);

/* Revoke the citizen's current certificate (the account was locked, the
 * card revoked, the key compromised).  EID_ENOTFOUND when the citizen has
 * none.  Audited as sign.cert.revoke. */
int eid_citizen_cert_revoke(eid_store *s, const char *personal_id,
			    enum eid_crl_reason reason, uint64_t now);

/* What the CA knows of a certificate it issued. */
struct eid_cert_status {
	bool revoked;
	uint64_t revoked_at;
	enum eid_crl_reason reason;
	uint64_t not_after;
	char personal_id[EID_PERSONAL_ID_LEN + 1];
};

/* By serial (its magnitude bytes).  EID_ENOTFOUND when this CA never
 * issued it. */
int eid_ca_cert_status(eid_store *s, const uint8_t *serial, size_t len,
		       struct eid_cert_status *ret);

/* A DER CRL of every revoked certificate, thisUpdate now, nextUpdate
 * next_update, the next CRL number (kept in the store, so numbers only
 * grow).  Appended to ret_der. */
int eid_ca_crl(eid_store *s, const eid_ca *ca, uint64_t now,
	       uint64_t next_update, eid_buf *ret_der);

#endif
