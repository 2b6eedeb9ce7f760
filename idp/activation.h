/* Level-2 activation (journey 2 of DESIGN.md): an officer, signed in with
 * a second factor, opens a case for a citizen; the chip card read at the
 * desk is verified (Passive and Active Authentication, by idp/chipverify)
 * and its DG13 matched against the registry field by field; the officer
 * attests the face check; the account is raised to level 2 in state
 * pending_activation and a one-time activation code is issued, which the
 * citizen enters with a new password to finish.
 *
 * Cases and codes are durable (EID_TABLE_ACTIVATIONS): an activation code
 * is a credential.  Keys: "case:<id>" and "code:<personal id>".
 *
 * Codes: EID_ACTIVATION_CODE_LEN characters of an alphabet without the
 * look-alikes (0/O, 1/I/L), about 39 bits, stored as a salted SHA-256,
 * valid for the configured time, good once, and burnt after
 * EID_ACTIVATION_MAX_ATTEMPTS wrong tries. */
#ifndef EID_ACTIVATION_H
#define EID_ACTIVATION_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "chip/dg13.h"
#include "crypto/buf.h"
#include "idp/accounts.h"
#include "idp/chipverify.h"
#include "idp/officers.h"
#include "idp/store.h"

#define EID_ACTIVATION_ID_LEN 22 /* base64url of 16 random bytes */
#define EID_ACTIVATION_CODE_LEN 8
#define EID_ACTIVATION_ALPHABET "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
#define EID_ACTIVATION_MAX_ATTEMPTS 5
#define EID_ACTIVATION_CODE_TTL (24 * 3600) /* the default of the config */
#define EID_ACTIVATION_REASON_MAX 160
#define EID_ACTIVATION_MAX_FIELDS 8

enum eid_activation_state {
	EID_ACTIVATION_STARTED,     /* waiting for the card read */
	EID_ACTIVATION_CHIP_OK,     /* verified and matching: face check next */
	EID_ACTIVATION_CHIP_FAILED, /* final: the case cannot proceed */
	EID_ACTIVATION_CODE_ISSUED, /* attested; the citizen has a code */
	EID_ACTIVATION_COMPLETED,   /* the citizen used the code */
	/* A minor without a chip card: the birth data match the registry;
	 * face check and the guardian's consent next. */
	EID_ACTIVATION_BIRTH_OK,
};

/* The guardian of a minor's case (idp/activation_minor.c). */
enum eid_activation_guardian {
	EID_AGUARDIAN_NONE,     /* an adult's case: no guardian involved */
	EID_AGUARDIAN_WAITING,  /* the guardian's card is to be read */
	EID_AGUARDIAN_VERIFIED, /* the guardian's card passed PA, AA, DG13 */
};

/* What the chip verification said, whatever did it. */
enum eid_activation_check {
	EID_ACHECK_VALID,
	EID_ACHECK_INVALID,
	EID_ACHECK_NOT_SUPPORTED,
	EID_ACHECK_NOT_CHECKED,
};

struct eid_activation_chip {
	enum eid_activation_check pa, aa;
	char pa_reason[EID_ACTIVATION_REASON_MAX];
	char aa_reason[EID_ACTIVATION_REASON_MAX];
	bool has_dg13;
	struct eid_dg13 dg13; /* ~8 KB */
};

/* One DG13 field against the registry. */
struct eid_activation_field {
	char name[24];                      /* "personal_id", "full_name"... */
	char registry[EID_DG13_STR_MAX + 1];
	char card[EID_DG13_STR_MAX + 1];
	bool match;
};

struct eid_activation {
	char id[EID_ACTIVATION_ID_LEN + 1];
	char personal_id[EID_PERSONAL_ID_LEN + 1];
	char officer[EID_OFFICER_ID_MAX + 1]; /* who opened it */
	char unit[EID_OFFICER_UNIT_MAX + 1];
	enum eid_activation_state state;
	int64_t created_at, updated_at;
	bool chip_read;                 /* the verdicts below are set */
	enum eid_activation_check pa, aa;
	char pa_reason[EID_ACTIVATION_REASON_MAX];
	char aa_reason[EID_ACTIVATION_REASON_MAX];
	size_t n_fields;
	struct eid_activation_field fields[EID_ACTIVATION_MAX_FIELDS];
	char refusal[EID_ACTIVATION_REASON_MAX]; /* why it cannot proceed */
	int64_t code_expires_at;        /* with CODE_ISSUED */
	/* A minor's case (under 14): the guardian the registry names, and
	 * the verdicts on the guardian's own card read at the desk. */
	char guardian_id[EID_PERSONAL_ID_LEN + 1]; /* "" for an adult */
	enum eid_activation_guardian guardian;
	enum eid_activation_check guardian_pa, guardian_aa;
};

const char *eid_activation_state_name(enum eid_activation_state s);
const char *eid_activation_guardian_name(enum eid_activation_guardian g);
const char *eid_activation_check_name(enum eid_activation_check c);

/* Open a case for a citizen of the registry (write txn): cz is the
 * registry's record of personal_id, looked up before t began (the
 * server's registry may be a remote service; NULL: not in the registry;
 * a minor's guardian is still read from the local table).  A citizen
 * under 14 gets a minor's case (Decree 69/2024: only together with the
 * guardian; see eid_activation_minor_check).  Refusals, with a sentence
 * for the officer in why (may be NULL):
 *   EID_EMALFORMED  not a personal ID number
 *   EID_ENOTFOUND   not in the registry
 *   EID_EPERM       under 14 and the registry names no guardian, or the
 *                   guardian has no active level-2 account (locked,
 *                   revoked, level 1, none)
 *   EID_ESTATE      card revoked or expired (the guardian's too, for a
 *                   minor); account revoked or locked; already active at
 *                   level 2
 * Audit: activation.start (actor officer:<id>, details the unit, and
 * guardian_id for a minor). */
int eid_activation_start(eid_txn *t, const char *personal_id,
			 const struct eid_citizen *cz,
			 const char *officer_id, const char *unit,
			 int64_t now, struct eid_activation *ret,
			 eid_buf *why);

int eid_activation_get(eid_txn *t, const char *case_id,
		       struct eid_activation *ret);

/* A case belongs to the unit of the officer who opened it: that officer
 * and the supervisors of the same unit may see and continue it; nobody
 * else, not even another officer of the unit or a supervisor of another
 * one (the citizen lookup stays open to every officer, audited). */
bool eid_activation_may_access(const struct eid_activation *c,
			       const char *officer_id, const char *unit,
			       enum eid_officer_role role);

/* Record the verified card read of a started case: the verdicts and the
 * DG13 fields matched against cz, the registry's record of the case's
 * citizen, looked up before t began (EID_ENOTFOUND when it is NULL or
 * another citizen's).  The case moves to CHIP_OK
 * only when Passive and Active Authentication are valid and every field
 * matches; otherwise to CHIP_FAILED for good.  EID_EPERM when the officer
 * may not access the case (eid_activation_may_access); EID_ESTATE when
 * the case is not waiting for a read.  Audit: activation.chip. */
int eid_activation_record_chip(eid_txn *t, const char *case_id,
			       const struct eid_citizen *cz,
			       const char *officer_id, const char *unit,
			       enum eid_officer_role role,
			       const struct eid_activation_chip *chip,
			       int64_t now, struct eid_activation *ret);

/* Judge a verified card read against the registry's record of
 * personal_id (asked of reg, outside any transaction: it may be the
 * remote registry, EID_ENETWORK when it is unavailable) without storing
 * anything: ret gets the verdicts, the DG13
 * fields matched one by one, state CHIP_OK, or CHIP_FAILED with the
 * refusal (the first failed of PA, AA, DG13 present, DG13 matching).
 * The officer's case (above) and the citizen's self-service
 * (idp/level2_self.h) take the same rules from here. */
int eid_activation_judge_chip(const eid_registry *reg,
			      const char *personal_id,
			      const struct eid_activation_chip *chip,
			      struct eid_activation *ret);

/* chipverify's verdict in the activation's terms. */
void eid_activation_chip_from_verdict(const struct eid_chip_verdict *v,
				      struct eid_activation_chip *c);

struct eid_activation_attest {
	const char *case_id;
	const char *officer_id;
	const char *unit;
	enum eid_officer_role role;
	bool face_checked;  /* the officer ticked the face check */
	const char *phone;  /* needed when the citizen has no account yet */
	uint64_t code_ttl;  /* 0: EID_ACTIVATION_CODE_TTL */
	/* A minor's case: the guardian, present, consents (ticked). */
	bool guardian_consent;
	/* Out, for a minor's case: the guardian's phone, where the code
	 * must go (never shown at the desk); "" for an adult's case. */
	char ret_sms_to[EID_PHONE_MAX + 1];
	/* An adult's case: the citizen's registry record, looked up before
	 * the transaction, for the account created (eid_account_new's
	 * citizen); NULL: read from the local table. */
	const struct eid_citizen *citizen;
};

/* The officer attests the face check of a CHIP_OK case: the account is
 * created (level 2, pending activation, with a) phone) or raised to level
 * 2 and set pending activation, and an activation code is issued into
 * ret_code (secret: show it once, then wipe).  EID_EPERM when the officer
 * may not access the case; EID_ESTATE when the case is not CHIP_OK; EID_EINVAL when the face check is not ticked;
 * eid_account_create's refusals (with why).  Audit: activation.attest.
 *
 * A minor's case (CHIP_OK or BIRTH_OK) also needs the guardian VERIFIED
 * (EID_ESTATE), the consent ticked (EID_EINVAL) and the guardian's
 * account still active at level 2 (EID_ESTATE); the minor's account is
 * created with the guardian's phone and guardian_id (as a guardian's own
 * eid_guardian_create_minor does) or raised; a->ret_sms_to gets the
 * guardian's phone; the consent is audited as activation.guardian_consent
 * (actor the guardian, subject the minor: in both histories). */
int eid_activation_attest(eid_txn *t, const struct eid_account_policy *pol,
			  struct eid_activation_attest *a, int64_t now,
			  char ret_code[EID_ACTIVATION_CODE_LEN + 1],
			  struct eid_activation *ret, eid_buf *why);

/* A minor's case without a chip card (the registry has no card number):
 * the officer has the child's birth certificate and types the full name
 * and the date of birth (YYYY-MM-DD) it shows; both must equal the
 * registry's (the name in NFC, blanks collapsed).  STARTED moves to
 * BIRTH_OK, or to CHIP_FAILED for good on a difference (the fields are
 * recorded one by one, as a card's DG13).  EID_EPERM when the officer may
 * not access the case; EID_ESTATE when it is not a minor's case waiting
 * for it, or the child has a card (read the card instead); EID_EINVAL for
 * a missing name or a date that is not one.  Audit:
 * activation.birth_record. */
int eid_activation_record_birth(eid_txn *t, const char *case_id,
				const char *officer_id, const char *unit,
				enum eid_officer_role role,
				const char *full_name, const char *birthdate,
				int64_t now, struct eid_activation *ret,
				eid_buf *why);

/* The guardian's own card, read at the desk for a minor's case (before
 * the attestation), judged as a citizen's card against the guardian's
 * registry record: the guardian becomes VERIFIED, or the case ends
 * (CHIP_FAILED, the refusal naming the guardian's card).  EID_EPERM when
 * the officer may not access the case; EID_ESTATE when it is not a
 * minor's case waiting for the guardian.  Audit: activation.guardian_chip. */
int eid_activation_record_guardian_chip(eid_txn *t, const char *case_id,
					const char *officer_id,
					const char *unit,
					enum eid_officer_role role,
					const struct eid_activation_chip *chip,
					int64_t now, struct eid_activation *ret);

/* The citizen finishes with the code and a new password (own write
 * transactions).  In order: the code (EID_ENOTFOUND none issued,
 * EID_EREPLAY used, EID_EEXPIRED, EID_ELIMIT burnt after too many wrong
 * tries, EID_EAUTH wrong: one try counted), then the password policy
 * (EID_EINVAL with the reason in why; the code is not spent).  On success
 * the account is active at level 2, its earlier sessions, codes and
 * tokens end, and the case is COMPLETED.  Audit: activation.complete. */
int eid_activation_complete(eid_store *s, const struct eid_account_policy *pol,
			    const char *personal_id, const char *code,
			    const char *password, const char *remote,
			    int64_t now, eid_buf *why);

/* The case as JSON (for eidctl and the console). */
int eid_activation_to_json(const struct eid_activation *c, json_t **ret);

#endif
