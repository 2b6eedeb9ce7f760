/* EF.SOD, the Document Security Object (ICAO 9303-10 section 4.6.2):
 * tag 77 around a CMS SignedData whose content (id-icao-mrtd-security-
 * ldsSecurityObject, 2.23.136.1.1.1) is the LDSSecurityObject, the list of
 * data-group hashes signed by the Document Signer (DSC).
 *
 * Parsing only decodes and checks the shape; the signature, the DSC chain
 * and the hashes are checked by Passive Authentication (chip/pa.h).  The
 * encoder is for the test-card issuer and the virtual card. */
#ifndef EID_SOD_H
#define EID_SOD_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crypto/buf.h"

#define EID_SOD_MAX_DGS 16      /* data groups 1..16 */
#define EID_SOD_MAX_HASH 64     /* SHA-512 */
#define EID_SOD_MIN_HASH 20     /* SHA-1 */
#define EID_SOD_MAX_LEN (256u * 1024) /* EF.SOD as read from the chip */

/* One data group as read from the chip (borrowed bytes, tag included). */
struct eid_dg_bytes {
	int number;          /* 1..16 */
	const uint8_t *data;
	size_t len;
};

/* One entry of the LDSSecurityObject. */
struct eid_sod_dg_hash {
	int number;
	uint8_t hash[EID_SOD_MAX_HASH];
	size_t hash_len;
};

typedef struct eid_sod eid_sod;

/* Parse EF.SOD (tag 77, definite or indefinite length; BER inside).
 * EID_EMALFORMED for anything that is not a SignedData with one signer,
 * its certificate, the ICAO content type and a well-formed
 * LDSSecurityObject; EID_EUNSUPPORTED for a hash other than SHA-1/224/
 * 256/384/512; EID_ETOOBIG beyond EID_SOD_MAX_LEN or EID_SOD_MAX_DGS. */
int eid_sod_parse(const uint8_t *p, size_t n, eid_sod **ret_sod);
void eid_sod_free(eid_sod *sod);

/* Borrowed from the SOD; valid until eid_sod_free. */
CMS_ContentInfo *eid_sod_cms(const eid_sod *sod);
CMS_SignerInfo *eid_sod_signer(const eid_sod *sod);
X509 *eid_sod_dsc(const eid_sod *sod);
/* The LDSSecurityObject's hash algorithm (for the data groups). */
const EVP_MD *eid_sod_hash_md(const eid_sod *sod);
int eid_sod_version(const eid_sod *sod); /* 0 (V0) or 1 (V1, LDS 1.8) */
size_t eid_sod_dg_count(const eid_sod *sod);
/* The i-th entry in the SOD's order; NULL when i is out of range. */
const struct eid_sod_dg_hash *eid_sod_dg_at(const eid_sod *sod, size_t i);
/* The entry for data group number; EID_ENOTFOUND when the SOD has none. */
int eid_sod_dg_find(const eid_sod *sod, int number,
		    const struct eid_sod_dg_hash **ret_hash);

/* Encoder.  The DER LDSSecurityObject (version 0) over the given data
 * groups hashed with md, appended to out. */
int eid_sod_encode_lds(const struct eid_dg_bytes *dgs, size_t n_dgs,
		       const EVP_MD *md, eid_buf *out);

#define EID_SOD_SIGN_PSS 0x1u /* RSA keys: RSASSA-PSS instead of v1.5 */

/* A CMS SignedData over lds (a DER LDSSecurityObject) with content type
 * 2.23.136.1.1.1, signed attributes (content-type, message-digest,
 * signing-time) and the DSC embedded, signed by dsc_key with digest md;
 * wrapped in tag 77 and appended to out. */
int eid_sod_sign(const uint8_t *lds, size_t lds_len, X509 *dsc,
		 EVP_PKEY *dsc_key, const EVP_MD *md, unsigned flags,
		 eid_buf *out);

/* Both steps: EF.SOD for these data groups (one md for the data-group
 * hashes and for the signature). */
int eid_sod_build(const struct eid_dg_bytes *dgs, size_t n_dgs,
		  const EVP_MD *md, X509 *dsc, EVP_PKEY *dsc_key,
		  unsigned flags, eid_buf *out);

#endif
