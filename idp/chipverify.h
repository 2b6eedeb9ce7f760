/* Server-side verification of a chip ID card read elsewhere (the officer
 * console's reader, the phone app): the client first asks for a one-time
 * Active Authentication challenge bound to its caller, lets the card sign
 * it, then uploads the SOD, the data groups and the card's signature.  We
 * run Passive Authentication against the CSCA store and Active
 * Authentication over our own challenge, and parse the identity.
 *
 * Challenges live in EID_EPH_CHALLENGES under "chip:<id>" for
 * EID_CHIPVERIFY_TTL seconds.  Each is taken exactly once: a second use is
 * EID_EREPLAY whether or not the first verification succeeded.
 *
 * The verdict is valid only when Passive Authentication AND Active
 * Authentication are valid (and DG1 and DG13 agree on the personal ID).  A
 * card without DG15 (no AA key) reports "aa": "not_supported" and is
 * never valid: a copy of the data groups would pass Passive Authentication
 * alone, and level 2 needs proof that the chip itself was present. */
#ifndef EID_IDP_CHIPVERIFY_H
#define EID_IDP_CHIPVERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "chip/aa.h"
#include "chip/dg13.h"
#include "chip/mrz.h"
#include "chip/pa.h"
#include "idp/store.h"

#define EID_CHIPVERIFY_TTL 300u           /* seconds a challenge lives */
#define EID_CHIPVERIFY_ID_LEN 22          /* base64url of 16 random bytes */
#define EID_CHIPVERIFY_BINDING_MAX 200    /* "session:<sid>", "officer:<id>" */
#define EID_CHIPVERIFY_FILE_MAX (64u * 1024) /* one data group (DG2 ~30 KB) */
#define EID_CHIPVERIFY_REASON_MAX 160

/* One file as uploaded; len 0 (data may be NULL) means absent. */
struct eid_chip_file {
	const uint8_t *data;
	size_t len;
};

/* What the client uploads: every member borrowed.  sod, dg1 and
 * challenge_id are required; dg15 and aa_signature are needed for Active
 * Authentication. */
struct eid_chip_upload {
	struct eid_chip_file sod, dg1, dg2, dg13, dg14, dg15;
	struct eid_chip_file aa_signature;
	const char *challenge_id;
};

enum eid_chip_check {
	EID_CHIP_VALID,
	EID_CHIP_INVALID,
	EID_CHIP_NOT_SUPPORTED, /* aa: the card has no DG15 */
	EID_CHIP_NOT_CHECKED,   /* an input it needs was missing or bad */
};

struct eid_chip_verdict {
	bool valid;                    /* pa, aa and consistency all valid */
	enum eid_chip_check pa;
	enum eid_chip_check aa;
	enum eid_chip_check consistency; /* DG1 and DG13 personal IDs */
	char pa_reason[EID_CHIPVERIFY_REASON_MAX];
	char aa_reason[EID_CHIPVERIFY_REASON_MAX];
	char consistency_reason[EID_CHIPVERIFY_REASON_MAX];
	bool has_pa_report;            /* pa_report filled */
	struct eid_pa_report pa_report;
	char aa_hash[16];              /* ECDSA: "SHA-256" ...; "" otherwise */
	bool has_mrz;
	struct eid_mrz mrz;
	char mrz_birthdate[11];        /* ISO 8601, "" when not a date */
	char mrz_expiry[11];
	bool has_dg13;
	struct eid_dg13 dg13;          /* ~8 KB: keep the verdict on the heap */
};

/* Issue a challenge for binding (a NUL-terminated string of 1 to
 * EID_CHIPVERIFY_BINDING_MAX bytes naming the caller).  ret_challenge gets
 * the 8 random bytes the card must sign, ret_id the public handle the
 * upload names.  It expires at now + EID_CHIPVERIFY_TTL. */
int eid_chipverify_challenge(eid_store *s, const char *binding, uint64_t now,
			     uint8_t ret_challenge[EID_AA_CHALLENGE_LEN],
			     char ret_id[EID_CHIPVERIFY_ID_LEN + 1]);

/* Take up->challenge_id (once), then verify the upload at now against the
 * CSCAs in csca and fill ret (completely, also when the card is not
 * valid).  Returns EID_OK when a verdict was reached (look at ret->valid),
 * or, with ret unspecified:
 *   EID_EINVAL     sod, dg1 or challenge_id missing, a file over
 *                  EID_CHIPVERIFY_FILE_MAX (EF.SOD: EID_SOD_MAX_LEN);
 *   EID_EREPLAY    the challenge is unknown or was already used;
 *   EID_EEXPIRED   it was issued more than EID_CHIPVERIFY_TTL ago;
 *   EID_EPERM      it was issued to another binding;
 *   EID_ENOMEM, EID_ESTORE ... */
int eid_chipverify_run(eid_store *s, const eid_csca_store *csca,
		       const struct eid_chip_upload *up, const char *binding,
		       uint64_t now, struct eid_chip_verdict *ret);

/* ---- the upload as POST /chip/verify carries it ---- */

#define EID_CHIPVERIFY_BODY_MAX (512u * 1024)

/* A JSON object whose members sod, dg1, dg2, dg13, dg14, dg15 and
 * aa_signature are base64url strings (strict, no padding) and challenge_id
 * a string; unknown members are ignored.  The decoded bytes live in the
 * body; up points into them. */
struct eid_chip_body {
	eid_buf files[7];
	char challenge_id[EID_CHIPVERIFY_ID_LEN + 1];
	struct eid_chip_upload up;
};

void eid_chip_body_init(struct eid_chip_body *b);
void eid_chip_body_clear(struct eid_chip_body *b);
/* Parse into an initialised body.  EID_EMALFORMED for anything but such an
 * object (ret_member, when not NULL, names the bad member or is ""),
 * EID_ETOOBIG past EID_CHIPVERIFY_BODY_MAX or a file over its limit,
 * EID_EINVAL when sod, dg1 or challenge_id is missing. */
int eid_chip_body_parse(const uint8_t *p, size_t n, struct eid_chip_body *b,
			const char **ret_member);

/* "valid", "invalid", "not_supported", "not_checked". */
const char *eid_chip_check_name(enum eid_chip_check c);

/* The verdict as JSON:
 * {"valid":false,
 *  "passive_authentication":{"verdict":"valid", "reason"?,
 *                            "report":{eid_pa_report_to_json}},
 *  "active_authentication":{"verdict":"not_supported","reason"?,"hash"?},
 *  "consistency":{"verdict":..,"reason"?},
 *  "identity":{"personal_id","full_name","birthdate","sex",
 *              "document_number","card_expires",...},
 *  "mrz":{...}, "dg13":{eid_dg13_to_json}}
 * identity takes DG13's fields first and the MRZ's where DG13 is absent. */
int eid_chipverify_verdict_to_json(const struct eid_chip_verdict *v,
				   json_t **ret_json);

#endif
