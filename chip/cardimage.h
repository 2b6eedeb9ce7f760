/* A test card on disk: everything the virtual card (chip/vcard.h) serves,
 * as `eidctl card issue` writes it.  The file is one BER-TLV element so the
 * loader reuses the bounded TLV reader; every member is checked on load:
 *
 *   E1 {                         card image
 *     80  01                     format version (1)
 *     81  MRZ information        ASCII, 24..40 chars, check digits valid
 *     82  CAN                    ASCII digits, 6..12 (optional)
 *     83  access control         01 BAC, 02 PACE and BAC
 *     84  max read size          1..3 bytes big-endian, 1..65536
 *     85  extended length        00 or 01
 *     A0 { 80 FID (2 bytes)  81 file contents }   one per file, <= 20
 *     86  AA private key         PKCS#8 DER (optional: no AA)
 *     87  CA private key         PKCS#8 DER (optional: no CA)
 *   }
 *
 * Members appear in this order, each once (files repeat); anything else is
 * EID_EMALFORMED, another version EID_EUNSUPPORTED.  The keys are secrets:
 * their buffers are wiped when released. */
#ifndef EID_CARDIMAGE_H
#define EID_CARDIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "chip/bac.h"
#include "crypto/buf.h"

#define EID_CARDIMAGE_VERSION 1
#define EID_CARDIMAGE_MAX (2u * 1024 * 1024)  /* the whole file */
#define EID_CARDIMAGE_FILE_MAX (256u * 1024)  /* one elementary file */
#define EID_CARDIMAGE_MAX_FILES 20
#define EID_CARDIMAGE_KEY_MAX 8192            /* PKCS#8 DER */
#define EID_CARDIMAGE_CAN_MIN 6
#define EID_CARDIMAGE_CAN_MAX 12
#define EID_CARDIMAGE_READ_MAX 65536u

enum eid_card_access {
	EID_CARD_ACCESS_BAC = 1,
	EID_CARD_ACCESS_PACE_BAC = 2, /* EF.CardAccess offers PACE */
};

struct eid_cardimage_file {
	uint16_t fid;
	eid_buf data;
};

struct eid_cardimage {
	char mrz_info[EID_BAC_MRZ_INFO_MAX + 1];
	char can[EID_CARDIMAGE_CAN_MAX + 1];    /* "" when absent */
	enum eid_card_access access;
	size_t max_read; /* largest READ BINARY answer (Ne) the card gives */
	bool extended;   /* extended-length APDUs accepted */
	struct eid_cardimage_file files[EID_CARDIMAGE_MAX_FILES];
	size_t n_files;
	eid_buf aa_key; /* empty: the card has no Active Authentication */
	eid_buf ca_key; /* empty: no Chip Authentication */
};

/* An empty image: BAC, max read 256, short APDUs only. */
void eid_cardimage_init(struct eid_cardimage *img);
/* Free every buffer (the keys wiped); img is empty again afterwards. */
void eid_cardimage_clear(struct eid_cardimage *img);

/* Add the file fid, or replace its contents.  EID_ETOOBIG past
 * EID_CARDIMAGE_FILE_MAX or EID_CARDIMAGE_MAX_FILES. */
int eid_cardimage_set_file(struct eid_cardimage *img, uint16_t fid,
			   const uint8_t *p, size_t n);
/* Drop the file fid (no-op when absent). */
void eid_cardimage_remove_file(struct eid_cardimage *img, uint16_t fid);
/* The file's contents, NULL when the card has no such file. */
const eid_buf *eid_cardimage_file(const struct eid_cardimage *img,
				  uint16_t fid);

/* The checks the loader makes, for images built in memory: MRZ information
 * and CAN well formed, access and max read size in range (at most 256
 * without extended length). */
int eid_cardimage_check(const struct eid_cardimage *img);

/* Parse an image (strictly, see above) into ret, which the caller then
 * clears.  ret is untouched on failure. */
int eid_cardimage_parse(const uint8_t *p, size_t n, struct eid_cardimage *ret);
/* Decode one of the image's keys (aa_key, ca_key: PKCS#8 DER) into
 * *ret, the caller's to free; *ret is NULL for an empty buffer (the card
 * has no such key).  EID_EMALFORMED when it does not parse. */
int eid_cardimage_key(const eid_buf *der, EVP_PKEY **ret);
/* Append the encoding of a checked image to out. */
int eid_cardimage_encode(const struct eid_cardimage *img, eid_buf *out);

/* Read and parse the file at path (EID_EIO, EID_ETOOBIG, parse errors). */
int eid_cardimage_load(const char *path, struct eid_cardimage *ret);
/* Encode and write to path with mode 0600 (it holds private keys),
 * replacing it atomically. */
int eid_cardimage_save(const struct eid_cardimage *img, const char *path);

#endif
