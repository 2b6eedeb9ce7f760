/* A citizen's second factor: a TOTP authenticator (RFC 6238) and the
 * recovery codes that stand in for it.  One JSON record per personal ID
 * in EID_TABLE_CREDENTIALS; absent means neither.
 *
 * At rest the TOTP secret is sealed with AES-256-GCM under a key derived
 * from the KEK ("eid totp seal v1"), the personal ID as associated data,
 * so a copy of the store (or a record moved to another account) yields no
 * usable secret.  Recovery codes are 50 random bits each; only
 * HMAC-SHA256 under another derived key ("eid recovery v1") over the
 * personal ID and the code is kept: they are high-entropy, so a fast keyed
 * hash is enough, and without the KEK the table says nothing.
 *
 * A TOTP code is good once (the last accepted step is stored), within one
 * step either side of now.  Wrong codes and wrong recovery codes count in
 * the record and are throttled by the [lockout] rules (idp/lockout.h).
 *
 * The functions that check a code write the failure count: commit their
 * transaction whatever they return (EID_EAUTH included). */
#ifndef EID_CREDENTIALS_H
#define EID_CREDENTIALS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/buf.h"
#include "crypto/totp.h"
#include "idp/lockout.h"
#include "idp/store.h"

#define EID_RECOVERY_CODES 10
#define EID_RECOVERY_CHARS 10                            /* base32: 50 bits */
#define EID_RECOVERY_CODE_LEN (EID_RECOVERY_CHARS + 1)   /* "ABCDE-FGHIJ" */

struct eid_cred_keys {
	uint8_t seal[32];     /* the TOTP secrets */
	uint8_t recovery[32]; /* the recovery codes' HMAC */
};

typedef char eid_recovery_code[EID_RECOVERY_CODE_LEN + 1];

/* What the account page and eidctl show. */
struct eid_cred_status {
	bool totp_pending;  /* a secret shown, not yet confirmed */
	bool totp_active;
	unsigned recovery_left;
	uint64_t recovery_used; /* since the set was generated */
	uint64_t failures;      /* consecutive wrong codes */
	int64_t last_failure_at;
};

int eid_cred_keys_derive(const uint8_t kek[32], struct eid_cred_keys *ret);

/* The state; all zero when the citizen has no record. */
int eid_cred_status(eid_txn *t, const char *personal_id,
		    struct eid_cred_status *ret);

/* Begin enrollment: a fresh 160-bit secret, sealed, pending until
 * confirmed; a pending one already there is returned again (the page may
 * be reloaded after the QR code was scanned).  EID_ESTATE when a TOTP is
 * active already. */
int eid_cred_totp_begin(eid_txn *t, const struct eid_cred_keys *k,
			const char *personal_id, int64_t now,
			uint8_t ret_secret[EID_TOTP_SECRET_LEN]);

/* Confirm the pending secret with its first code: the TOTP becomes active
 * and a new set of recovery codes is made (copied to ret_codes to be
 * shown once).  EID_ESTATE without a pending secret; EID_EAUTH for a
 * wrong code (counted; audit totp.failure); EID_ELIMIT while throttled.
 * Audit: totp.enroll. */
int eid_cred_totp_confirm(eid_txn *t, const struct eid_cred_keys *k,
			  const struct eid_lockout_params *lp,
			  const char *personal_id, const char *code,
			  int64_t now, const char *actor,
			  eid_recovery_code ret_codes[EID_RECOVERY_CODES]);

/* The second factor at sign-in: six digits are a TOTP code, anything else
 * is taken for a recovery code (used up on success; audit
 * recovery.use with the number left).  EID_OK; EID_ENOTFOUND when no TOTP
 * is active; EID_ELIMIT while throttled (*ret_wait seconds, may be NULL);
 * EID_EAUTH for a wrong or replayed code (counted; audit totp.failure).
 * *ret_recovery (may be NULL) tells whether a recovery code was used. */
int eid_cred_check(eid_txn *t, const struct eid_cred_keys *k,
		   const struct eid_lockout_params *lp,
		   const char *personal_id, const char *code, int64_t now,
		   const char *remote, uint64_t *ret_wait, bool *ret_recovery);

/* A new set of recovery codes, the old set void.  EID_ESTATE without an
 * active TOTP.  Audit: recovery.regenerate. */
int eid_cred_recovery_regenerate(eid_txn *t, const struct eid_cred_keys *k,
				 const char *personal_id, int64_t now,
				 const char *actor,
				 eid_recovery_code ret_codes[EID_RECOVERY_CODES]);

/* Remove the TOTP and the recovery codes (the caller has checked the
 * password or a current code, or the citizen's identity).  EID_ENOTFOUND
 * when there is none.  Audit: event, with details (consumed, may be
 * NULL): totp.disable by the citizen, totp.reset by an officer or
 * operator. */
int eid_cred_remove(eid_txn *t, const char *personal_id, const char *event,
		    const char *actor, json_t *details, int64_t now);

/* The citizen lost the authenticator app and the recovery codes: an
 * officer or operator, having checked the citizen's identity in person,
 * removes both (eid_cred_remove, event totp.reset).  checked says how the
 * identity was checked: 1 to EID_CRED_CHECK_NOTE_MAX bytes of UTF-8
 * without control characters, else EID_EMALFORMED; it goes into the
 * audit event with unit (the officer's; NULL for an operator). */
#define EID_CRED_CHECK_NOTE_MAX 200
int eid_cred_totp_reset(eid_txn *t, const char *personal_id,
			const char *actor, const char *checked,
			const char *unit, int64_t now);

/* The otpauth:// URI for an authenticator app (Key URI Format): label
 * "issuer:personal_id", SHA1, 6 digits, 30 s. */
int eid_cred_totp_uri(const char *issuer, const char *personal_id,
		      const uint8_t secret[EID_TOTP_SECRET_LEN], eid_buf *out);

#endif
