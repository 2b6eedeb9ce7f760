/* Guardians (Decree 69/2024): a child under 14 gets an account only
 * through a guardian's level-2 account.  The registry links a minor to
 * the guardian (guardian_id); the guardian, signed in, sees the minors
 * linked to them and creates a minor's level-1 account with the minor's
 * own password, chosen by the guardian.  The account's phone number is
 * the guardian's (one phone number per account still holds: the number
 * stays the guardian's in the phone index).  Audit: account.create with
 * actor "citizen:<guardian>" and the minor as subject. */
#ifndef EID_GUARDIAN_H
#define EID_GUARDIAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "idp/accounts.h"
#include "idp/citizen.h"

#define EID_GUARDIAN_WARDS_MAX 20 /* minors listed for one guardian */

struct eid_ward {
	char personal_id[EID_PERSONAL_ID_LEN + 1];
	char full_name[EID_CITIZEN_NAME_MAX + 1];
	struct eid_date birthdate;
	int age;           /* today, in Vietnam */
	bool has_account;
	bool may_create;   /* under 14 and no account yet */
};

/* The minors the registry links to guardian_id, at most max. */
int eid_guardian_wards(eid_txn *t, const char *guardian_id, int64_t now,
		       struct eid_ward *ret, size_t max, size_t *ret_n);

/* Create the minor's account (write txn t).  Refusals, with a one-line
 * reason in why (may be NULL):
 *   EID_EPERM     the guardian has no active level-2 account; the
 *                 registry does not name them the minor's guardian; the
 *                 minor is 14 or over (self-service registration)
 *   EID_ENOTFOUND no such citizen in the registry
 *   EID_ESTATE    the minor's card is revoked or expired
 *   EID_EEXIST    the minor has an account
 *   EID_EINVAL    the password fails the policy */
int eid_guardian_create_minor(eid_txn *t, const struct eid_account_policy *pol,
			      const char *guardian_id, const char *minor_id,
			      const char *password, int64_t now, eid_buf *why);

/* Level 2, pending activation, for a minor activated at the desk with the
 * guardian (eid_activation_attest; the guardian already checked): the
 * minor's account is created as eid_guardian_create_minor does (the
 * guardian's phone kept out of the phone index, guardian_id, no password:
 * chosen with the activation code) or, when it exists, raised
 * (eid_account_raise_pending).  EID_ESTATE when the minor's account is
 * locked or revoked.  Audit: account.create (level 2, pending) or
 * account.level2_pending, actor the officer. */
int eid_guardian_minor_level2(eid_txn *t, const struct eid_account *guardian,
			      const char *minor_id, const char *actor,
			      int64_t now, eid_buf *why);

#endif
