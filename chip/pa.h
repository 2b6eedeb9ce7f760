/* Passive Authentication (ICAO 9303-11 section 5.1): the SOD's signature
 * by its Document Signer, the DSC's chain to a trusted CSCA (and the CSCA's
 * CRL when we hold one), and the hash of every data group read against the
 * SOD.  Trust anchors live in an eid_csca_store, filled from PEM/DER files,
 * CRLs and ICAO Master Lists. */
#ifndef EID_PA_H
#define EID_PA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "chip/sod.h"

#define EID_CSCA_MAX_FILE (4u * 1024 * 1024) /* a master list or a CRL */
#define EID_CSCA_MAX_CERTS 4096              /* per store */

typedef struct eid_csca_store eid_csca_store;

int eid_csca_store_new(eid_csca_store **ret_store);
void eid_csca_store_free(eid_csca_store *store);

/* One trusted certificate (DER), or every certificate in a PEM text. */
int eid_csca_store_add_der(eid_csca_store *store, const uint8_t *p, size_t n);
int eid_csca_store_add_pem(eid_csca_store *store, const char *pem, size_t n);
/* A CRL (DER or PEM).  It is used for the DSCs of the CSCA that issued it;
 * its signature and dates are checked at verification time. */
int eid_csca_store_add_crl(eid_csca_store *store, const uint8_t *p, size_t n);
/* Every regular file in dir: certificates (PEM or DER) and CRLs (PEM or
 * DER).  Files that are neither are skipped and counted in ret_skipped
 * (may be NULL); ret_added (may be NULL) counts certificates and CRLs. */
int eid_csca_store_load_dir(eid_csca_store *store, const char *dir,
			    size_t *ret_added, size_t *ret_skipped);
size_t eid_csca_store_count(const eid_csca_store *store);
/* The DER of the i-th entry (0 .. count-1, in no particular order)
 * appended to out; EID_ENOTFOUND past the end or when the entry is a CRL.
 * This is how the trusted certificates are saved elsewhere. */
int eid_csca_store_cert_der(const eid_csca_store *store, size_t i,
			    eid_buf *out);

/* An ICAO Master List (ICAO 9303-12 section 9): a CMS SignedData with
 * content type 2.23.136.1.1.2 holding CscaMasterList {version, SET OF
 * Certificate}.  The list is verified when its signer's certificate chains,
 * at now, to a CSCA already in the store and the CMS signature holds.
 * With require_verified, an unverified list is refused (EID_EVERIFY) and
 * nothing is added; without it, its certificates are added anyway and
 * ret_verified tells the caller what it trusted.  A list whose signature is
 * broken is always refused. */
int eid_csca_store_import_master_list(eid_csca_store *store,
				      const uint8_t *p, size_t n, time_t now,
				      bool require_verified,
				      size_t *ret_added, bool *ret_verified);

enum eid_pa_verdict {
	EID_PA_VALID,
	EID_PA_INVALID,
	EID_PA_NOT_CHECKED, /* crl: no CRL held for the CSCA; others: an
			     * earlier step failed */
};

enum eid_pa_dg_verdict {
	EID_PA_DG_VALID,
	EID_PA_DG_INVALID,
	EID_PA_DG_NOT_READ,         /* in the SOD, not supplied */
	EID_PA_DG_MISSING_FROM_SOD, /* supplied, not in the SOD */
};

#define EID_PA_REASON_MAX 160
#define EID_PA_NAME_MAX 256

struct eid_pa_dg_result {
	int number;
	enum eid_pa_dg_verdict verdict;
};

struct eid_pa_report {
	enum eid_pa_verdict overall;
	enum eid_pa_verdict signature;
	enum eid_pa_verdict chain;
	enum eid_pa_verdict crl;
	enum eid_pa_verdict dg_hashes;
	/* Empty when the check passed or was not run. */
	char signature_reason[EID_PA_REASON_MAX];
	char chain_reason[EID_PA_REASON_MAX];
	char crl_reason[EID_PA_REASON_MAX];
	char dg_reason[EID_PA_REASON_MAX];
	char dsc_subject[EID_PA_NAME_MAX]; /* RFC 2253 */
	char dsc_issuer[EID_PA_NAME_MAX];
	char dsc_serial[EID_PA_NAME_MAX];  /* hex */
	size_t n_dgs;                      /* sorted by number */
	struct eid_pa_dg_result dgs[EID_SOD_MAX_DGS];
};

/* Run every check at time now and fill report.  Returns EID_OK when the
 * overall verdict is valid, EID_EVERIFY when a check failed (the report
 * says which and why); in both cases report is complete.  Other errors
 * (EID_EINVAL, EID_ENOMEM, ...) leave it unspecified.  dgs holds at most
 * EID_SOD_MAX_DGS data groups with distinct numbers. */
int eid_pa_verify(const eid_csca_store *store, const eid_sod *sod,
		  const struct eid_dg_bytes *dgs, size_t n_dgs, time_t now,
		  struct eid_pa_report *report);

const char *eid_pa_verdict_name(enum eid_pa_verdict v);   /* "valid" */
const char *eid_pa_dg_verdict_name(enum eid_pa_dg_verdict v); /* "not_read" */

/* {"overall":"valid","signature":{"verdict":..,"reason":..},"chain":..,
 *  "crl":..,"dg_hashes":..,"dsc":{"subject","issuer","serial"},
 *  "data_groups":[{"number":1,"verdict":"valid"},..]} */
int eid_pa_report_to_json(const struct eid_pa_report *report,
			  json_t **ret_json);

#endif
