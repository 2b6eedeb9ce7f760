/* The one lock for card status changes (eid_account_sync_card_status in
 * idp/accounts.h): the locks commit together, then everything issued to
 * each locked citizen ends.  Before, each caller paired the lock with
 * eid_account_end_everything itself, and a new caller could forget.
 *
 * The registry may be a remote service: it is asked between a read
 * transaction and the write one, so no transaction waits on the network,
 * and the write lock is taken only when something is due. */
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/accounts.h"
#include "idp/accounts_priv.h"

/* The accounts to ask the registry about: those found active or pending,
 * read in one read transaction, which ends before any lookup. */
static int read_candidates(eid_store *s,
			   const char (*ids)[EID_PERSONAL_ID_LEN + 1],
			   size_t n, struct eid_account *ret)
{
	eid_txn *t = NULL;
	int r;

	if ((r = eid_store_begin(s, false, &t)) != EID_OK)
		return r;
	for (size_t i = 0; r == EID_OK && i < n; i++) {
		r = eid_account_get(t, ids[i], &ret[i]);
		if (r == EID_ENOTFOUND) {
			memset(&ret[i], 0, sizeof(ret[i]));
			ret[i].status = EID_ACCOUNT_REVOKED; /* never asked */
			r = EID_OK;
		}
	}
	eid_txn_abort(t);
	return r;
}

/* Ask the registry for each account (no transaction open: it may be a
 * remote service that takes its time); due[i] is the lock due.  Once it
 * has failed, the rest are not asked but given the same error: a
 * registry that is down would otherwise cost its timeout per account (a
 * sweep's batch, a shutdown waiting for it). */
static void ask_registry(const eid_registry *reg,
			 const struct eid_account *accts, size_t n,
			 int64_t now, enum eid_lock_reason *due,
			 struct eid_card_sync *out, bool *ret_any)
{
	int failed = EID_OK;

	*ret_any = false;
	for (size_t i = 0; i < n; i++) {
		bool asks = accts[i].status == EID_ACCOUNT_ACTIVE ||
			    accts[i].status == EID_ACCOUNT_PENDING_ACTIVATION;

		due[i] = EID_LOCK_NONE;
		if (failed != EID_OK && asks)
			out[i].checked = failed;
		else
			out[i].checked = eid_account_card_lock_due(
				reg, &accts[i], now, &due[i]);
		if (out[i].checked == EID_OK)
			*ret_any |= due[i] != EID_LOCK_NONE;
		else if (out[i].checked != EID_EMALFORMED)
			failed = out[i].checked; /* unknown is never revoked */
	}
}

/* Lock what is due, each account read again under the write lock. */
static int lock_due(eid_store *s, const char (*ids)[EID_PERSONAL_ID_LEN + 1],
		    size_t n, const enum eid_lock_reason *due, int64_t now,
		    struct eid_card_sync *out)
{
	struct eid_account a;
	eid_txn *t = NULL;
	int r;

	if ((r = eid_store_begin(s, true, &t)) != EID_OK)
		return r;
	for (size_t i = 0; r == EID_OK && i < n; i++) {
		if (due[i] == EID_LOCK_NONE)
			continue;
		r = eid_account_get(t, ids[i], &a);
		if (r == EID_ENOTFOUND) {
			r = EID_OK;
			continue;
		}
		if (r == EID_OK)
			r = eid_account_sync_loaded(t, &a, due[i], now,
						    &out[i].locked);
		if (r == EID_OK && out[i].locked) {
			out[i].reason = a.lock_reason;
			memcpy(out[i].phone, a.phone, sizeof(out[i].phone));
		}
		eid_account_clear(&a);
	}
	return eid_txn_finish(t, r);
}

static void clear_accounts(struct eid_account *a, size_t n)
{
	for (size_t i = 0; a != NULL && i < n; i++)
		eid_account_clear(&a[i]);
	free(a);
}

int eid_account_sync_card_status(eid_store *s, const eid_registry *reg,
				 const char (*ids)[EID_PERSONAL_ID_LEN + 1],
				 size_t n, int64_t now,
				 struct eid_card_sync *ret)
{
	struct eid_card_sync *out = ret;
	struct eid_account *accts = NULL;
	enum eid_lock_reason *due = NULL;
	bool any = false;
	int r;

	if (s == NULL || reg == NULL || ids == NULL || ret == NULL || now < 0)
		return EID_EINVAL;
	memset(out, 0, n * sizeof(*out));
	if (n == 0)
		return EID_OK;
	accts = calloc(n, sizeof(*accts));
	due = calloc(n, sizeof(*due));
	r = accts == NULL || due == NULL ? EID_ENOMEM :
					    read_candidates(s, ids, n, accts);
	if (r == EID_OK)
		ask_registry(reg, accts, n, now, due, out, &any);
	if (r == EID_OK && any)
		r = lock_due(s, ids, n, due, now, out);
	clear_accounts(accts, n);
	free(due);
	if (r != EID_OK) {
		memset(out, 0, n * sizeof(*out));
		return r;
	}
	for (size_t i = 0; i < n; i++)
		if (out[i].locked)
			out[i].ended = eid_account_end_everything(
				s, ids[i], (uint64_t)now);
	return EID_OK;
}
