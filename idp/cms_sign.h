/* Citizens' signatures: CAdES-BES detached CMS SignedData over a document
 * hash (the relying party sends the hash, never the document), and their
 * verification against the CA, revocation at signing time and the signer's
 * identity.  Profile: docs/signatures.md. */
#ifndef EID_CMS_SIGN_H
#define EID_CMS_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "crypto/buf.h"
#include "idp/ca.h"
#include "idp/citizen.h"
#include "idp/store.h"

/* Largest signature accepted for verification. */
#define EID_CMS_MAX (256u * 1024)
/* A signing time this far ahead of the verifier's clock is still taken. */
#define EID_CMS_CLOCK_SKEW 300u

enum eid_digest {
	EID_DIGEST_SHA256 = 1,
	EID_DIGEST_SHA384 = 2,
	EID_DIGEST_SHA512 = 3,
};

/* "sha256", "SHA-256", "sha384"... EID_EUNSUPPORTED otherwise. */
int eid_digest_from_name(const char *name, enum eid_digest *ret);
/* "sha256"...; NULL for an unknown value. */
const char *eid_digest_name(enum eid_digest d);
/* Bytes of the hash; 0 for an unknown value. */
size_t eid_digest_len(enum eid_digest d);

/* The SignedData (DER ContentInfo) appended to out: eContentType id-data,
 * no eContent (detached); the signer's and the CA's certificates; one
 * SignerInfo (issuerAndSerialNumber) with the signed attributes
 * content-type, message-digest = hash, signing-time = signing_time and
 * ESS signing-certificate-v2 (SHA-256 of the signer's certificate,
 * RFC 5035), signed with the signer's key (ECDSA or RSA PKCS#1 v1.5) and
 * digest d.  EID_EINVAL when hash_len is not d's length.  ca_cert may be
 * NULL. */
int eid_cms_sign_hash(X509 *signer, EVP_PKEY *key, X509 *ca_cert,
		      enum eid_digest d, const uint8_t *hash, size_t hash_len,
		      uint64_t signing_time, eid_buf *out);

/* Who signs, and for whom the audit trail records it. */
struct eid_sign_request {
	enum eid_digest digest;
	const uint8_t *hash;
	size_t hash_len;
	const char *audit_type;  /* "sign.operator", "sign.app" */
	const char *actor;       /* "operator", "client:<id>" */
	const char *remote;      /* may be NULL */
	const char *document;    /* display name for the history; may be NULL */
	const char *client_id;   /* the relying party that asked; may be NULL */
};

/* Sign for a citizen: their key and certificate (made on first use, see
 * eid_citizen_cert_ensure), then the signature, then an audit event
 * (subject: the personal ID, as every account event, so the citizen's
 * history shows it; details: serial, digest, hash, document and client
 * when given) committed before
 * the signature is handed out.  The caller checks the citizen's level and
 * consent first. */
int eid_cms_sign_citizen(eid_store *s, const uint8_t kek[32],
			 const eid_ca *ca, const struct eid_citizen *c,
			 const struct eid_sign_request *req, uint64_t now,
			 eid_buf *out);

/* The signer's certificate (DER) of a SignedData we made: the included
 * certificate that names the SignerInfo's issuer and serial, appended to
 * out.  EID_EMALFORMED when there is none. */
int eid_cms_signer_cert(const uint8_t *sig, size_t len, eid_buf *out);

/* What a signature is checked against: the document, or its hash. */
struct eid_cms_content {
	const uint8_t *data; /* the document; NULL to give the hash instead */
	size_t len;
	const uint8_t *hash;
	size_t hash_len;
	enum eid_digest digest; /* the hash's algorithm */
};

/* A valid signature's facts. */
struct eid_cms_report {
	char signer_name[EID_CITIZEN_NAME_MAX + 1];
	char personal_id[EID_PERSONAL_ID_LEN + 1];
	char serial[EID_X509_SERIAL_HEX_MAX];
	char issuer[EID_X509_DN_MAX + 1];
	enum eid_digest digest;
	uint64_t signing_time;
	/* Revoked after the signature was made (still valid). */
	bool revoked;
	uint64_t revoked_at;
	enum eid_crl_reason revocation_reason;
};

/* EID_OK with ret_report when the signature holds: one signer, its
 * signature over the signed attributes, the message digest equal to the
 * content's (or the given hash), a signing time not after now (plus
 * EID_CMS_CLOCK_SKEW), the ESS signing certificate matching, the signer's
 * certificate chaining to ca's at the signing time with key usage for
 * signatures, issued by ca and not revoked at or before the signing time.
 * Otherwise one line of reason is appended to why (may be NULL) and:
 *   EID_EMALFORMED  not a detached CMS SignedData we can read
 *   EID_EMISMATCH   the content or hash does not match
 *   EID_EVERIFY     signature, chain, time or revocation fails
 *   EID_EUNSUPPORTED a digest other than SHA-256/384/512 */
int eid_cms_verify(eid_store *s, const eid_ca *ca, const uint8_t *sig,
		   size_t len, const struct eid_cms_content *content,
		   uint64_t now, struct eid_cms_report *ret_report,
		   eid_buf *why);

/* The report as a JSON object (times as unix seconds and RFC 3339). */
int eid_cms_report_json(const struct eid_cms_report *r, json_t **ret);

#endif
