/* The Logical Data Structure of an eMRTD (ICAO 9303 Part 10): EF.COM and
 * the data groups this project reads (DG1 MRZ, DG2 face, DG14 security
 * infos, DG15 Active Authentication key), parsers and encoders.  Parsers
 * take a whole file as read from the card (one TLV, nothing after it);
 * what they return points into that input unless said otherwise. */
#ifndef EID_LDS_H
#define EID_LDS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "chip/mrz.h"
#include "crypto/buf.h"

/* ---- the file table ---- */

#define EID_LDS_COM 0  /* EF.COM in the table below */
#define EID_LDS_SOD 17 /* EF.SOD in the table below */

struct eid_lds_file {
	int dg;         /* 1..16, EID_LDS_COM or EID_LDS_SOD */
	uint32_t tag;   /* 0x61 for DG1 */
	uint16_t fid;   /* 0x0101 for DG1 */
	uint8_t sfi;    /* short file identifier, 0x01 for DG1 */
	const char *name;
};

/* NULL when there is no such file. */
const struct eid_lds_file *eid_lds_by_dg(int dg);
const struct eid_lds_file *eid_lds_by_tag(uint32_t tag);
const struct eid_lds_file *eid_lds_by_fid(uint16_t fid);

/* ---- EF.COM ---- */

#define EID_LDS_COM_MAX_TAGS 32

struct eid_lds_com {
	char lds_version[5];     /* "0107" (LDS 1.7) */
	char unicode_version[7]; /* "040000" */
	uint8_t tags[EID_LDS_COM_MAX_TAGS]; /* data-group tags present */
	size_t ntags;
};

int eid_lds_com_parse(const uint8_t *p, size_t n, struct eid_lds_com *ret);
int eid_lds_com_encode(const struct eid_lds_com *c, eid_buf *out);

/* ---- DG1: the MRZ ---- */

int eid_lds_dg1_parse(const uint8_t *p, size_t n, struct eid_mrz *ret);
int eid_lds_dg1_encode(const struct eid_mrz *m, eid_buf *out);

/* ---- DG2: the face ---- */

enum eid_image_type {
	EID_IMAGE_JPEG = 1,
	EID_IMAGE_JP2 = 2,
};

struct eid_lds_dg2 {
	const uint8_t *image; /* borrowed from the input */
	size_t image_len;
	enum eid_image_type type;
	uint16_t width, height; /* from the 19794-5 header; 0 when absent */
};

/* The first face image.  EID_EUNSUPPORTED when the image is neither JPEG
 * nor JPEG 2000. */
int eid_lds_dg2_parse(const uint8_t *p, size_t n, struct eid_lds_dg2 *ret);
/* A DG2 holding one ISO/IEC 19794-5:2005 facial record around the JPEG or
 * JPEG 2000 image (EID_EINVAL for anything else). */
int eid_lds_dg2_encode(const uint8_t *image, size_t len, uint16_t width,
		       uint16_t height, eid_buf *out);

/* ---- DG14: SecurityInfos ---- */

struct eid_lds_dg14 {
	const uint8_t *security_infos; /* the DER SET, borrowed */
	size_t security_infos_len;
	/* The first ChipAuthenticationPublicKeyInfo's SubjectPublicKeyInfo
	 * (borrowed; NULL when there is none) and that key when OpenSSL can
	 * decode it (owned: eid_lds_dg14_clear frees it). */
	const uint8_t *ca_spki;
	size_t ca_spki_len;
	EVP_PKEY *ca_key;
};

int eid_lds_dg14_parse(const uint8_t *p, size_t n, struct eid_lds_dg14 *ret);
void eid_lds_dg14_clear(struct eid_lds_dg14 *d);
/* DG14 around a SecurityInfos SET that the caller built. */
int eid_lds_dg14_encode(const uint8_t *security_infos, size_t len,
			eid_buf *out);
/* DG14 announcing Chip Authentication with key (EC or DH): its
 * ChipAuthenticationPublicKeyInfo and a ChipAuthenticationInfo for
 * AES-128 (version 1). */
int eid_lds_dg14_encode_ca(EVP_PKEY *key, eid_buf *out);

/* ---- DG15: the Active Authentication public key ---- */

/* An RSA or EC key (EID_EUNSUPPORTED otherwise), owned by the caller. */
int eid_lds_dg15_parse(const uint8_t *p, size_t n, EVP_PKEY **ret_key);
int eid_lds_dg15_encode(EVP_PKEY *key, eid_buf *out);

#endif
