/* Inside the accounts module: shared by accounts.c, account_login.c and
 * guardian.c, never included elsewhere. */
#ifndef EID_ACCOUNTS_PRIV_H
#define EID_ACCOUNTS_PRIV_H

#include <stdbool.h>

#include "idp/accounts.h"

/* Write the record (replacing the stored one). */
int eid_account_put(eid_txn *t, const struct eid_account *a);
/* Check password against the policy (with a's ID and phone and the
 * birthdate) and store its hash in a->password; EID_EINVAL with the
 * reason in why. */
int eid_account_hash_new_password(const struct eid_account_policy *pol,
				  struct eid_account *a,
				  const struct eid_date *birth,
				  const char *password, eid_buf *why);
/* Lock a (already read; updated) for due, the lock its card is due
 * (eid_account_card_lock_due, asked before t), when it is still active or
 * pending, in t.  Only for eid_account_sync_card_status, which ends
 * everything issued to the citizen after the commit. */
int eid_account_sync_loaded(eid_txn *t, struct eid_account *a,
			    enum eid_lock_reason due, int64_t now,
			    bool *ret_locked);

#endif
