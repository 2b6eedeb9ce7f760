/* CMS SignedData the way ICAO uses it (EF.SOD, Master Lists): one signer,
 * its certificate embedded, the content encapsulated with an ICAO content
 * type.  Shared by chip/sod.c and chip/pa.c. */
#ifndef EID_SIGNEDDATA_H
#define EID_SIGNEDDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/cms.h>
#include <openssl/x509.h>

#include "crypto/buf.h"

/* Decode a ContentInfo (DER or BER) that must span exactly n bytes, be a
 * SignedData and carry econtent_oid (dotted) as its content type.
 * EID_EMALFORMED otherwise. */
int eid_signeddata_parse(const uint8_t *p, size_t n, const char *econtent_oid,
			 CMS_ContentInfo **ret_cms);

/* The only SignerInfo and the certificate among the SignedData's that it
 * names (up-referenced; the caller frees it), which also becomes the
 * SignerInfo's signer certificate.  EID_EMALFORMED when there is not
 * exactly one signer or its certificate is absent. */
int eid_signeddata_signer(CMS_ContentInfo *cms, CMS_SignerInfo **ret_si,
			  X509 **ret_cert);

/* The encapsulated content, borrowed from cms.  EID_EMALFORMED when
 * detached. */
int eid_signeddata_content(CMS_ContentInfo *cms, const uint8_t **ret_p,
			   size_t *ret_n);

/* The signer's signature over the signed attributes and the content's
 * message digest, with the algorithm the SignerInfo names.  Does not look
 * at the signer certificate's chain.  EID_EVERIFY with a reason (may be
 * NULL) when it does not hold. */
int eid_signeddata_verify(CMS_ContentInfo *cms, char *reason,
			  size_t reason_len);

/* OpenSSL's reason for the oldest queued error, after prefix, into out;
 * clears the error queue. */
void eid_signeddata_ossl_reason(const char *prefix, char *out, size_t len);

/* A DER ContentInfo: SignedData over content with type econtent_oid,
 * signed attributes (content-type, message-digest, signing-time), the
 * signer's certificate embedded; RSASSA-PSS when pss (RSA keys), else the
 * key's usual scheme (RSA v1.5, ECDSA).  Appended to out. */
int eid_signeddata_sign(const uint8_t *content, size_t len,
			const char *econtent_oid, X509 *cert, EVP_PKEY *key,
			const EVP_MD *md, bool pss, eid_buf *out);

#endif
