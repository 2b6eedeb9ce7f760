/* Citizen accounts: one per personal ID number, stored as JSON in
 * EID_TABLE_ACCOUNTS (a leading format version "v"), with an index in
 * EID_TABLE_ACCOUNT_INDEX ("phone:+84..." and "email:..." to the personal
 * ID) that keeps a phone number and an e-mail address to one account.
 *
 * Every change appends its audit event in the same write transaction.
 * Actors are strings: "operator:root", "officer:hbt01", "citizen:0010...",
 * "system".  Times are unix seconds. */
#ifndef EID_ACCOUNTS_H
#define EID_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/buf.h"
#include "idp/citizen.h"
#include "idp/lockout.h"
#include "idp/password.h"
#include "idp/personal_id.h"
#include "idp/rcache.h"
#include "idp/registry.h"
#include "idp/store.h"

#define EID_ACCOUNT_FORMAT 1
#define EID_PHONE_MAX 16  /* "+" and at most 15 digits (E.164) */
#define EID_EMAIL_MAX 254 /* RFC 5321 path limit */
#define EID_ACTOR_MAX 96

enum eid_account_status {
	EID_ACCOUNT_ACTIVE,
	EID_ACCOUNT_LOCKED,
	EID_ACCOUNT_REVOKED,
	EID_ACCOUNT_PENDING_ACTIVATION, /* level 2 waiting for its code */
};

#define EID_LOCK_REASONS(X)                                          \
	X(EID_LOCK_NONE, "")                                         \
	X(EID_LOCK_CITIZEN_REQUEST, "citizen_request")               \
	X(EID_LOCK_OFFICER, "officer")                               \
	X(EID_LOCK_CARD_EXPIRED, "card_expired")                     \
	X(EID_LOCK_CARD_REVOKED, "card_revoked")                     \
	X(EID_LOCK_LOST_DEVICE, "lost_device")                       \
	X(EID_LOCK_SUSPECTED_FRAUD, "suspected_fraud")

enum eid_lock_reason {
#define EID_LOCK_ENUM(e, name) e,
	EID_LOCK_REASONS(EID_LOCK_ENUM)
#undef EID_LOCK_ENUM
};

struct eid_account {
	char personal_id[EID_PERSONAL_ID_LEN + 1];
	char phone[EID_PHONE_MAX + 1];   /* E.164 */
	char email[EID_EMAIL_MAX + 1];   /* "" when none */
	int level;                       /* 1 or 2 */
	enum eid_account_status status;
	enum eid_lock_reason lock_reason; /* EID_LOCK_NONE unless locked */
	char locked_by[EID_ACTOR_MAX + 1];
	char password[EID_PASSWORD_PHC_MAX + 1]; /* PHC; "" when none yet */
	int64_t created_at;
	int64_t updated_at;
	uint64_t failed_logins;          /* consecutive */
	int64_t last_failure_at;
	/* Sessions and tokens issued before this time are no longer valid
	 * (set by lock and revoke); 0: none ended. */
	int64_t sessions_revoked_before;
	/* A minor's account made by a guardian (idp/guardian.h): the phone is
	 * the guardian's and stays out of the phone index.  "" otherwise. */
	char guardian_id[EID_PERSONAL_ID_LEN + 1];
};

/* The rules in force: the password and lockout sections of the config. */
struct eid_account_policy {
	struct eid_password_params password;
	struct eid_lockout_params lockout;
};

void eid_account_policy_from_config(const struct eid_config *c,
				    struct eid_account_policy *ret);

/* After a lock or revocation has committed: end the citizen's browser
 * sessions and revoke every grant, so refresh tokens fail and access
 * tokens introspect as inactive at once (not only at their expiry), and
 * revoke the citizen's signing certificate (cessationOfOperation).
 * Runs its own transactions: call it outside any write transaction. */
int eid_account_end_everything(eid_store *s, const char *personal_id,
			       uint64_t now);

/* Wipe the record (it holds the password hash). */
void eid_account_clear(struct eid_account *a);

const char *eid_account_status_name(enum eid_account_status s);
const char *eid_lock_reason_name(enum eid_lock_reason r);
/* EID_EMALFORMED for an unknown name (and for "", which is no reason). */
int eid_lock_reason_parse(const char *name, enum eid_lock_reason *ret);

/* A phone number in E.164.  Vietnamese numbers may be written nationally
 * ("0912 345 678") or internationally ("+84912345678", "84912345678");
 * they must be mobile numbers (9 national digits starting 3, 5, 7, 8 or 9).
 * Other countries: "+", a country code not starting with 0, 8 to 15 digits
 * in all.  Blanks, dots and hyphens between digits are dropped.
 * EID_EMALFORMED otherwise. */
int eid_phone_normalize(const char *in, char ret[EID_PHONE_MAX + 1]);
/* A loose check of an e-mail address (one '@', a dotted domain, printable,
 * no blanks, at most 254 bytes, local part at most 64); the domain is
 * lower-cased.  EID_EMALFORMED otherwise. */
int eid_email_normalize(const char *in, char ret[EID_EMAIL_MAX + 1]);

/* ---- creation and lookup ---- */

struct eid_account_new {
	const char *personal_id;
	const char *phone;
	const char *email;    /* NULL or "": none */
	int level;            /* 1 or 2 (0: 1) */
	/* NULL: none yet, only for level 2, which is then pending activation
	 * (the citizen chooses it with the activation code). */
	const char *password;
	/* When set, these must equal the registry's (registration matches
	 * what the citizen typed); a mismatch never says which field. */
	const char *full_name;
	const struct eid_date *birthdate;
	/* The registry's record, looked up by the caller before t began
	 * (the server's registry may be a remote service, not to be waited
	 * for inside a transaction); NULL: read from the local table in t. */
	const struct eid_citizen *citizen;
};

/* Create an account for a citizen of the local registry (write txn t).
 * Refusals, with a one-line reason appended to why (may be NULL):
 *   EID_EMALFORMED  bad personal ID, phone, e-mail or level
 *   EID_ENOTFOUND   no such citizen in the registry
 *   EID_EMISMATCH   full_name/birthdate differ from the registry
 *   EID_EPERM       under 14 at level 1, or under 6 ("only through a
 *                   guardian's level-2 account")
 *   EID_ESTATE      the card is revoked or expired
 *   EID_EINVAL      the password fails the policy
 *   EID_EEXIST      the citizen has an account, or the phone or e-mail
 *                   belongs to another
 * Audit: account.create. */
int eid_account_create(eid_txn *t, const struct eid_account_policy *pol,
		       const struct eid_account_new *a, int64_t now,
		       const char *actor, eid_buf *why);

/* EID_ENOTFOUND when absent; the record is copied into *ret. */
int eid_account_get(eid_txn *t, const char *personal_id,
		    struct eid_account *ret);
/* A cache of account records (idp/rcache.h) for the token paths
 * (userinfo, grant checks), which never need the password hash: what it
 * hands out has password "". */
int eid_account_cache_new(size_t entries, eid_rcache **ret_cache);
/* eid_account_get through c (NULL: read and decode as always), with
 * password "". */
int eid_account_get_cached(eid_rcache *c, eid_txn *t,
			   const char *personal_id, struct eid_account *ret);
/* The account holding a phone number (any written form). */
int eid_account_find_by_phone(eid_txn *t, const char *phone,
			      struct eid_account *ret);

/* The record as JSON for output (never the password hash). */
int eid_account_to_json(const struct eid_account *a, json_t **ret);

/* ---- lifecycle (write txn; each with its audit event) ---- */

/* Lock an active or pending account; ends its sessions.  EID_ESTATE when
 * already locked or revoked; EID_EINVAL for EID_LOCK_NONE. */
int eid_account_lock(eid_txn *t, const char *personal_id,
		     enum eid_lock_reason reason, const char *actor,
		     int64_t now);
/* Unlock, and clear the failure count.  EID_ESTATE when not locked, when
 * revoked (revocation is final), or when locked for the card which is
 * still revoked or expired. */
int eid_account_unlock(eid_txn *t, const char *personal_id,
		       const char *actor, int64_t now);
/* Revoke for good: ends its sessions and frees its phone and e-mail for
 * other accounts.  EID_ESTATE when already revoked. */
int eid_account_revoke(eid_txn *t, const char *personal_id,
		       const char *actor, int64_t now);
/* Set a new password (policy-checked; EID_EINVAL with the reason in why).
 * A pending level-2 account becomes active. */
int eid_account_set_password(eid_txn *t, const struct eid_account_policy *pol,
			     const char *personal_id, const char *password,
			     const char *actor, int64_t now, eid_buf *why);
/* End every session, code and token issued to the account up to now
 * (sessions_revoked_before = now + 1), e.g. after a password reset.
 * Audit: account.sessions_ended. */
int eid_account_end_sessions(eid_txn *t, const char *personal_id,
			     const char *actor, int64_t now);
/* Move the account to a new phone number; officers only (the actor starts
 * with "officer:"; EID_EPERM otherwise).  EID_EEXIST when another account
 * holds the number. */
int eid_account_change_phone(eid_txn *t, const char *personal_id,
			     const char *phone, const char *actor,
			     int64_t now, eid_buf *why);
/* Raise an active or pending account to level 2, pending activation (the
 * citizen finishes with an activation code).  EID_ESTATE when locked or
 * revoked.  Audit: account.level2_pending. */
int eid_account_raise_pending(eid_txn *t, const char *personal_id,
			      const char *actor, int64_t now);
/* Raise an active account to level 2 and keep it active (self-service
 * level 2 from the citizen's bound device: no activation code, see
 * docs/accounts.md).  EID_ESTATE unless active.  Audit: account.level2. */
int eid_account_raise_active(eid_txn *t, const char *personal_id,
			     const char *actor, int64_t now);
/* True when the registry's card expiry date has passed (in Vietnam's
 * time zone) at now; a card without one never expires. */
bool eid_account_card_expired(const struct eid_citizen *c, int64_t now);
/* The lock an active or pending account is due for its card at now
 * (EID_LOCK_CARD_REVOKED, EID_LOCK_CARD_EXPIRED or EID_LOCK_NONE), asking
 * reg (outside any transaction: it may be a remote service); no lookup
 * for an account that is not active or pending, none due for a citizen
 * the registry does not know.  A lookup that fails (EID_ENETWORK: the
 * registry is unavailable) is returned and *ret is EID_LOCK_NONE: unknown
 * is never revoked. */
int eid_account_card_lock_due(const eid_registry *reg,
			      const struct eid_account *a, int64_t now,
			      enum eid_lock_reason *ret);

/* What eid_account_sync_card_status did to one account. */
struct eid_card_sync {
	bool locked;                   /* locked by this call */
	enum eid_lock_reason reason;   /* with locked */
	char phone[EID_PHONE_MAX + 1]; /* with locked: to tell the citizen */
	int ended; /* eid_account_end_everything's result; EID_OK unless locked */
	/* EID_OK, or why the registry could not say (EID_ENETWORK: it is
	 * unavailable); the account was then left as it was. */
	int checked;
};

/* The one lock for card status changes (the login and the lifecycle sweep
 * both use it).  For each account ids[0..n) that is active or pending and
 * whose card reg marks revoked or expired at now: lock it
 * (reason card_revoked or card_expired, actor "system", account.lock
 * audited), all in one write transaction, taken only when a read found
 * something to lock (each account is checked again inside it); then,
 * once that transaction has committed, end each locked citizen's
 * sessions, grants (refresh tokens, access tokens at introspection) and
 * signing certificate (eid_account_end_everything).  A lock for the card
 * thus never leaves tokens alive past this call.  Accounts not found are
 * skipped.  ret[i] tells what happened to ids[i].  Returns
 * a store error when the transaction failed (nothing was locked); a
 * failure to end is in ret[i].ended, after every locked account was
 * tried.  The registry is asked between the transactions, never inside
 * one; an account it could not answer for is left alone, with the error
 * in ret[i].checked.  Runs its own transactions: call it outside any. */
int eid_account_sync_card_status(eid_store *s, const eid_registry *reg,
				 const char (*ids)[EID_PERSONAL_ID_LEN + 1],
				 size_t n, int64_t now,
				 struct eid_card_sync *ret);

/* ---- login ---- */

/* Why a login did not succeed, for logs and audit (never for the
 * citizen: EID_EAUTH must not say whether the ID or the password was
 * wrong). */
struct eid_login_info {
	uint64_t retry_after; /* seconds, with EID_ELIMIT */
	const char *reason;   /* static: "wrong_password", "unknown_account",... */
};

/* Check a citizen's password.  In order: the source address's limit
 * (EID_ELIMIT), the account's delay after repeated failures (EID_ELIMIT,
 * even for the right password), the password (EID_EAUTH; an unknown ID
 * costs the same Argon2 work and is throttled the same way), then the
 * state (locked or revoked: EID_ELOCKED, told only to whom knows the
 * password; a card revoked or expired in the registry locks it now;
 * pending activation: EID_ESTATE).  The card is asked of reg once the
 * password is right; when reg is unavailable the login fails with its
 * error (EID_ENETWORK), counted neither as a failure nor a success.  On
 * success the failure count is
 * cleared and the hash redone when the parameters changed.  Audit:
 * login.success / login.failure.  info (may be NULL) is filled on every
 * return. */
int eid_account_authenticate(eid_store *s, const eid_registry *reg,
			     const struct eid_account_policy *pol,
			     const char *personal_id, const char *password,
			     const char *remote_addr, int64_t now,
			     struct eid_account *ret_account,
			     struct eid_login_info *info);

#endif
