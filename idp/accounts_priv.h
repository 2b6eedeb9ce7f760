/* Inside the accounts module: shared by accounts.c and account_login.c,
 * never included elsewhere. */
#ifndef EID_ACCOUNTS_PRIV_H
#define EID_ACCOUNTS_PRIV_H

#include <stdbool.h>

#include "idp/accounts.h"

/* Write the record (replacing the stored one). */
int eid_account_put(eid_txn *t, const struct eid_account *a);
/* eid_account_sync_card_status on a record already read; a is updated. */
int eid_account_sync_loaded(eid_txn *t, struct eid_account *a, int64_t now,
			    bool *ret_locked);

#endif
