/* Issuing test cards for `eidctl card issue`: a registry citizen becomes
 * a card image (chip/cardimage.h) with DG1, DG2, DG13, DG14, DG15, EF.COM,
 * EF.CardAccess and an SOD signed by the test PKI's DSC; faults make the
 * broken cards the tests need. */
#ifndef EID_TOOLS_CARDISSUE_H
#define EID_TOOLS_CARDISSUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "chip/cardimage.h"
#include "chip/issuer.h"
#include "idp/citizen.h"

enum eid_card_fault {
	EID_FAULT_NONE = 0,
	EID_FAULT_TAMPERED_DG1,   /* a DG1 byte changed after signing */
	EID_FAULT_TAMPERED_DG13,  /* a DG13 byte changed after signing */
	EID_FAULT_WRONG_SOD_SIGNER, /* SOD by a DSC of another CSCA */
	EID_FAULT_EXPIRED_DSC,    /* SOD by a DSC whose validity ended */
	EID_FAULT_NO_DG15,        /* no DG15, no Active Authentication */
	EID_FAULT_BAC_ONLY,       /* no EF.CardAccess, no PACE */
};

/* "tampered-dg1" ...; EID_EINVAL for an unknown name. */
int eid_card_fault_parse(const char *name, enum eid_card_fault *ret);

/* The test PKI: a CSCA and its DSC, kept in a directory as csca.pem,
 * csca.key, dsc.pem, dsc.key (keys 0600), ECDSA P-256. */
struct eid_test_pki {
	X509 *csca;
	EVP_PKEY *csca_key;
	X509 *dsc;
	EVP_PKEY *dsc_key;
};

/* Load the PKI from dir, creating the directory (0700) and whatever is
 * missing on first use.  ret_created (may be NULL) tells whether anything
 * was made. */
int eid_test_pki_open(const char *dir, struct eid_test_pki *ret,
		      bool *ret_created);
void eid_test_pki_close(struct eid_test_pki *pki);

struct eid_card_issue_opts {
	enum eid_card_fault fault;
	enum eid_issuer_key aa_key; /* RSA-2048 (the default) or P-256 */
	size_t max_read;            /* 0: 256 */
	bool extended;
	size_t face_bytes;          /* 0: the bare image; else pad the JPEG */
	int64_t now;                /* for the computed expiry date */
};

/* Build the image of citizen c's card into ret (initialised here; the
 * caller clears it). */
int eid_card_issue(const struct eid_citizen *c,
		   const struct eid_test_pki *pki,
		   const struct eid_card_issue_opts *opts,
		   struct eid_cardimage *ret);

/* The ICAO transliteration of a Vietnamese name for the MRZ: diacritics
 * dropped (Đ becomes D), upper case, anything else a space.  out gets at
 * most cap - 1 characters. */
void eid_card_mrz_name(const char *utf8, char *out, size_t cap);

#endif
