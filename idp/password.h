/* Passwords: Argon2id hashes in the PHC string format
 * ($argon2id$v=19$m=...,t=...,p=...$salt$hash, libargon2's encoding), the
 * password policy, and a dummy verification for unknown accounts so that
 * a login for an account that does not exist costs the same work as one
 * for an account that does. */
#ifndef EID_PASSWORD_H
#define EID_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/buf.h"
#include "idp/citizen.h"

struct eid_config;

/* Longest PHC string we produce or accept. */
#define EID_PASSWORD_PHC_MAX 255
#define EID_PASSWORD_SALT_LEN 16
#define EID_PASSWORD_HASH_LEN 32
/* Hard cap on the bytes of any password handed in, whatever the config
 * says: four bytes per code point at the largest max_length. */
#define EID_PASSWORD_MAX_BYTES 4096u

struct eid_password_params {
	uint32_t memory_kib;
	uint32_t iterations;
	uint32_t parallelism;
	uint32_t min_length; /* Unicode code points */
	uint32_t max_length;
	/* Called once for every Argon2 computation (hash, verify, dummy);
	 * tests count them.  NULL in production. */
	void (*on_argon2)(void *arg);
	void *hook_arg;
};

/* The [passwords] section of the configuration. */
void eid_password_params_from_config(const struct eid_config *c,
				     struct eid_password_params *ret);

/* Hash a password (n bytes, at most EID_PASSWORD_MAX_BYTES) with a fresh
 * random salt into ret_phc.  No policy check here. */
int eid_password_hash(const struct eid_password_params *p, const char *pw,
		      size_t n, char ret_phc[EID_PASSWORD_PHC_MAX + 1]);

/* EID_OK when pw matches the PHC string; EID_EAUTH when it does not;
 * EID_EMALFORMED for a PHC string that is not Argon2id v19 (the work is
 * then done on the dummy path, so the time is the same). */
int eid_password_verify(const struct eid_password_params *p,
			const char *phc, const char *pw, size_t n);

/* The work of a verification with the current parameters, for an account
 * that does not exist.  Always EID_EAUTH (or an allocation error). */
int eid_password_verify_dummy(const struct eid_password_params *p,
			      const char *pw, size_t n);

/* True when phc was made with other parameters (or another algorithm or
 * version) than p: the login path rehashes it. */
bool eid_password_needs_rehash(const char *phc,
			       const struct eid_password_params *p);

/* What the policy compares a password with (any member may be NULL). */
struct eid_password_context {
	const char *personal_id;          /* 12 digits */
	const char *phone;                /* E.164, "+84912345678" */
	const struct eid_date *birthdate;
};

/* The password policy: valid UTF-8 without control characters; between
 * min_length and max_length code points; at least 4 distinct characters;
 * not one of the most common passwords (any case); and not containing,
 * among its digits, the personal ID number, the phone number (national
 * form) or the birthdate (DDMMYYYY, YYYYMMDD, MMDDYYYY).  EID_OK, or
 * EID_EINVAL with a one-line reason for the citizen appended to why (may
 * be NULL). */
int eid_password_check_policy(const struct eid_password_params *p,
			      const char *pw, size_t n,
			      const struct eid_password_context *ctx,
			      eid_buf *why);

#endif
