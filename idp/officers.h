/* Officer accounts (police officers who activate level-2 accounts, and
 * their supervisors), JSON in EID_TABLE_OFFICERS keyed by officer ID.
 * Signing in takes the password AND a TOTP code (RFC 6238): an officer
 * without an enrolled second factor cannot sign in at all.  Each code is
 * good once (the last accepted time step is remembered). */
#ifndef EID_OFFICERS_H
#define EID_OFFICERS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/buf.h"
#include "crypto/seal.h"
#include "crypto/totp.h"
#include "idp/accounts.h"
#include "idp/credentials.h"
#include "idp/store.h"

/* 2: the TOTP secret sealed ("totp_sealed"); 1, still read: plain base32
 * ("totp_secret"), sealed the next time the record is written. */
#define EID_OFFICER_FORMAT 2
#define EID_OFFICER_SEALED_LEN (EID_SEAL_OVERHEAD + EID_TOTP_SECRET_LEN)
#define EID_OFFICER_ID_MAX 64   /* [a-z0-9._-] */
#define EID_OFFICER_NAME_MAX 200
#define EID_OFFICER_UNIT_MAX 32 /* [A-Z0-9-], "CA-HN-HBT" */

enum eid_officer_role {
	EID_OFFICER_ROLE_OFFICER,
	EID_OFFICER_ROLE_SUPERVISOR,
};

enum eid_officer_status {
	EID_OFFICER_ACTIVE,
	EID_OFFICER_DISABLED,
};

struct eid_officer {
	char id[EID_OFFICER_ID_MAX + 1];
	char name[EID_OFFICER_NAME_MAX + 1];
	char unit[EID_OFFICER_UNIT_MAX + 1];
	enum eid_officer_role role;
	enum eid_officer_status status;
	char password[EID_PASSWORD_PHC_MAX + 1];
	bool has_totp;
	/* The secret is kept sealed (AES-256-GCM under the citizens' TOTP
	 * seal key, associated data "eid officer totp v1|ID").  A format-1
	 * record held it in plain: totp_plain, and totp_secret has it until
	 * the record is written again (sealed then). */
	bool totp_plain;
	uint8_t totp_secret[EID_TOTP_SECRET_LEN];
	uint8_t totp_sealed[EID_OFFICER_SEALED_LEN];
	uint64_t totp_last_step; /* last accepted; a code is good once */
	int64_t created_at;
	int64_t updated_at;
	uint64_t failed_logins;
	int64_t last_failure_at;
};

struct eid_officer_new {
	const char *id;
	const char *name;
	const char *unit;
	enum eid_officer_role role;
	const char *password;
	bool enroll_totp; /* generate the TOTP secret now */
};

/* Wipe the record (password hash, TOTP secret). */
void eid_officer_clear(struct eid_officer *o);

const char *eid_officer_role_name(enum eid_officer_role r);
int eid_officer_role_parse(const char *s, enum eid_officer_role *ret);

/* Add an officer (write txn).  EID_EMALFORMED for a bad ID, name, unit;
 * EID_EINVAL for a password the policy refuses; EID_EEXIST when the ID is
 * taken.  With enroll_totp the new secret is copied to ret_totp_secret
 * (may be NULL), to show the officer once.  Audit: officer.add. */
int eid_officer_add(eid_txn *t, const struct eid_account_policy *pol,
		    const struct eid_cred_keys *k,
		    const struct eid_officer_new *o, int64_t now,
		    const char *actor,
		    uint8_t ret_totp_secret[EID_TOTP_SECRET_LEN], eid_buf *why);

int eid_officer_get(eid_txn *t, const char *id, struct eid_officer *ret);

/* A fresh TOTP secret for the officer (replacing any), copied out once.
 * Audit: officer.totp_enroll. */
int eid_officer_enroll_totp(eid_txn *t, const struct eid_cred_keys *k,
			    const char *id, int64_t now,
			    const char *actor,
			    uint8_t ret_secret[EID_TOTP_SECRET_LEN]);

/* Seal every officer record that still holds its TOTP secret in plain
 * (format 1) now, instead of at the officer's next sign-in (write txn).
 * *ret_sealed (may be NULL): how many were.  Audit: officer.totp_seal
 * per record. */
int eid_officer_reseal(eid_txn *t, const struct eid_cred_keys *k, int64_t now,
		       const char *actor, unsigned *ret_sealed);

/* The otpauth:// provisioning URI (Key URI Format) for an authenticator
 * app, appended to out: label "ISSUER:ID", SHA1, 6 digits, 30 s. */
int eid_officer_totp_uri(const char *issuer, const char *officer_id,
			 const uint8_t secret[EID_TOTP_SECRET_LEN],
			 eid_buf *out);

/* The record as JSON for output (never the hash or the secret). */
int eid_officer_to_json(const struct eid_officer *o, json_t **ret);

/* Password, then TOTP.  Throttled like citizen logins (scope "officer").
 * EID_EAUTH for a wrong ID, password or code; EID_ELIMIT (info has the
 * wait); and, only after the right password: EID_ELOCKED when disabled,
 * EID_EPERM when no second factor is enrolled, EID_EREPLAY for a code
 * already used.  Audit: officer.login.success / officer.login.failure.
 * A record with a plain (format 1) secret is sealed when the outcome is
 * written, i.e. at any attempt that gets past the password. */
int eid_officer_authenticate(eid_store *s, const struct eid_account_policy *pol,
			     const struct eid_cred_keys *k,
			     const char *id, const char *password,
			     const char *totp_code, const char *remote_addr,
			     int64_t now, struct eid_officer *ret_officer,
			     struct eid_login_info *info);

#endif
