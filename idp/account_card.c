/* The one lock for card status changes (eid_account_sync_card_status in
 * idp/accounts.h): the locks commit together, then everything issued to
 * each locked citizen ends.  Before, each caller paired the lock with
 * eid_account_end_everything itself, and a new caller could forget. */
#include <string.h>

#include "crypto/error.h"
#include "idp/accounts.h"
#include "idp/accounts_priv.h"

/* Does any of the accounts have a card lock due?  A read transaction, so
 * the common case (nothing to lock: every successful login) takes no
 * write lock. */
static int any_due(eid_store *s, const char (*ids)[EID_PERSONAL_ID_LEN + 1],
		   size_t n, int64_t now, bool *ret)
{
	enum eid_lock_reason reason = EID_LOCK_NONE;
	struct eid_account a;
	eid_txn *t = NULL;
	int r;

	*ret = false;
	if ((r = eid_store_begin(s, false, &t)) != EID_OK)
		return r;
	for (size_t i = 0; r == EID_OK && !*ret && i < n; i++) {
		r = eid_account_get(t, ids[i], &a);
		if (r == EID_OK)
			r = eid_account_card_lock_due(t, &a, now, &reason);
		else if (r == EID_ENOTFOUND)
			r = EID_OK;
		*ret = r == EID_OK && reason != EID_LOCK_NONE;
		eid_account_clear(&a);
	}
	eid_txn_abort(t);
	return r;
}

/* Lock what is due, each account checked again under the write lock. */
static int lock_due(eid_store *s, const char (*ids)[EID_PERSONAL_ID_LEN + 1],
		    size_t n, int64_t now, struct eid_card_sync *out)
{
	struct eid_account a;
	eid_txn *t = NULL;
	int r;

	if ((r = eid_store_begin(s, true, &t)) != EID_OK)
		return r;
	for (size_t i = 0; r == EID_OK && i < n; i++) {
		r = eid_account_get(t, ids[i], &a);
		if (r == EID_ENOTFOUND) {
			r = EID_OK;
			continue;
		}
		if (r == EID_OK)
			r = eid_account_sync_loaded(t, &a, now, &out[i].locked);
		if (r == EID_OK && out[i].locked) {
			out[i].reason = a.lock_reason;
			memcpy(out[i].phone, a.phone, sizeof(out[i].phone));
		}
		eid_account_clear(&a);
	}
	return eid_txn_finish(t, r);
}

int eid_account_sync_card_status(eid_store *s,
				 const char (*ids)[EID_PERSONAL_ID_LEN + 1],
				 size_t n, int64_t now,
				 struct eid_card_sync *ret)
{
	struct eid_card_sync *out = ret;
	bool due = false;
	int r;

	if (s == NULL || ids == NULL || ret == NULL || now < 0)
		return EID_EINVAL;
	memset(out, 0, n * sizeof(*out));
	if ((r = any_due(s, ids, n, now, &due)) != EID_OK || !due ||
	    (r = lock_due(s, ids, n, now, out)) != EID_OK) {
		memset(out, 0, n * sizeof(*out));
		return r;
	}
	for (size_t i = 0; i < n; i++)
		if (out[i].locked)
			out[i].ended = eid_account_end_everything(
				s, ids[i], (uint64_t)now);
	return EID_OK;
}
