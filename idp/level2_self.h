/* Self-service level 2 (journey 3 of DESIGN.md): the citizen's app, signed
 * in on a bound device of an active level-1 account, reads the chip card
 * by NFC and uploads it with a selfie.  The card read is verified exactly
 * as the officer's (idp/chipverify: Passive Authentication, Active
 * Authentication over our challenge; idp/activation: DG13 against the
 * registry), then the card's portrait (DG2) is matched against the selfie
 * by the external biometric service (idp/biometric.h).  When every check
 * passes the account becomes level 2 at once: no activation code, since
 * the citizen already holds the account's password and bound device (see
 * docs/accounts.md), and that device logs in at level 2 from then on.
 *
 * The checks run in a fixed order and the first that fails is the
 * refusal: account, PA, AA, DG13, portrait, biometric. */
#ifndef EID_LEVEL2_SELF_H
#define EID_LEVEL2_SELF_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/buf.h"
#include "idp/activation.h"
#include "idp/biometric.h"
#include "idp/store.h"

enum eid_l2s_check {
	EID_L2S_OK,
	EID_L2S_ACCOUNT,     /* not an active level-1 account */
	EID_L2S_PA,          /* Passive Authentication (or DG1/DG13 differ) */
	EID_L2S_AA,          /* Active Authentication */
	EID_L2S_DG13,        /* no DG13, or it does not match the registry */
	EID_L2S_PORTRAIT,    /* no usable face image in DG2 */
	EID_L2S_BIOMETRIC_NOT_CONFIGURED,
	EID_L2S_BIOMETRIC_ERROR,    /* the service failed to answer */
	EID_L2S_BIOMETRIC_NO_MATCH,
};

struct eid_level2_self {
	const char *personal_id;
	const char *device_id;
	const char *remote;                  /* may be NULL */
	const struct eid_activation *judged; /* eid_activation_judge_chip's */
	bool has_portrait;                   /* DG2 held a JPEG/JP2 face */
	bool biometric_run;                  /* the service was asked */
	int biometric_rc;                    /* eid_biometric_match's answer */
	struct eid_biometric_verdict bio;    /* with biometric_rc EID_OK */
};

/* The first failed check of the chip and the face match (pure: the
 * account is checked by eid_level2_self_record). */
enum eid_l2s_check eid_level2_self_decide(const struct eid_level2_self *in);

/* Whether the face match is still worth running: the account is an
 * active level-1 one (EID_ESTATE otherwise, with a sentence in why). */
int eid_level2_self_admit(eid_txn *t, const char *personal_id, eid_buf *why);

/* The verdicts as a JSON object (NULL when out of memory):
 *   {"result": the check's name, "passive_authentication",
 *    "active_authentication": eid_activation_check_name,
 *    "dg13": "match"|"mismatch"|"not_checked",
 *    "biometric": "match"|"no_match"|"not_configured"|"error"|"not_run",
 *    "score"?: the service's} */
json_t *eid_level2_self_verdicts(const struct eid_level2_self *in,
				 enum eid_l2s_check c);

/* Decide and record in the caller's write transaction: with no failed
 * check the account becomes level 2 and stays active
 * (eid_account_raise_active) and the device goes to level 2.  Either way
 * audit activation.selfservice with the verdicts and the device_id.
 * ret_check gets the decision. */
int eid_level2_self_record(eid_txn *t, const struct eid_level2_self *in,
			   int64_t now, enum eid_l2s_check *ret_check);

/* "ok", "account", "pa", "aa", "dg13", "portrait",
 * "biometric_not_configured", "biometric_error", "biometric_no_match". */
const char *eid_level2_self_check_name(enum eid_l2s_check c);
/* A sentence for the citizen. */
const char *eid_level2_self_check_text(enum eid_l2s_check c);

/* The "selfie" member of the upload's JSON body (outside data): a
 * base64url JPEG (it starts FF D8 FF) of at most EID_BIOMETRIC_IMAGE_MAX
 * bytes, decoded into out.  EID_EINVAL when missing, EID_ETOOBIG when
 * over, EID_EMALFORMED otherwise. */
int eid_level2_self_selfie(const uint8_t *p, size_t n, eid_buf *out);

#endif
