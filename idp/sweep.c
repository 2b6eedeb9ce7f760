/* The lifecycle sweep (idp/sweep.h): batches read without the write lock,
 * a short write transaction only for the accounts to lock. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/error.h"
#include "idp/accounts.h"
#include "idp/registry.h"
#include "idp/sweep.h"
#include "idp/worker.h"

#define LOCK_NOTICE                                                        \
	"eID: tai khoan dinh danh dien tu cua ban da bi khoa vi the can "  \
	"cuoc het han hoac bi thu hoi. Hay lam lai the tai co quan cong "  \
	"an, roi de nghi mo khoa. / eID: your account was locked because " \
	"your ID card expired or was revoked. Renew the card at the "      \
	"police office, then ask for the account to be unlocked."

/* One batch's worth of personal IDs. */
struct batch {
	char (*ids)[EID_PERSONAL_ID_LEN + 1];
	size_t n, max;
	struct eid_sweep_cursor *cur;
	uint64_t bad_keys;
};

static int collect(const void *key, size_t klen, const void *val,
		   size_t vlen, void *arg)
{
	struct batch *b = arg;

	(void)val;
	(void)vlen;
	memcpy(b->cur->after, key, klen);
	b->cur->after_len = klen;
	if (klen != EID_PERSONAL_ID_LEN)
		b->bad_keys++; /* not an account's key: counted, skipped */
	else {
		memcpy(b->ids[b->n], key, klen);
		b->ids[b->n][klen] = '\0';
		b->n++;
	}
	return b->n + b->bad_keys >= b->max ? 1 : EID_OK;
}

/* May the account be locked for its card (active or pending)?  Only
 * these are asked of the registry. */
static int may_lock(eid_txn *t, const char *id, bool *ret)
{
	struct eid_account a;
	int r;

	*ret = false;
	if ((r = eid_account_get(t, id, &a)) == EID_OK)
		*ret = a.status == EID_ACCOUNT_ACTIVE ||
		       a.status == EID_ACCOUNT_PENDING_ACTIVATION;
	eid_account_clear(&a);
	return r;
}

/* Read the batch's keys after the cursor and keep the accounts that may
 * be locked (their IDs stay in b->ids[0..*ret_n)).  The registry is not
 * asked here: the read transaction ends first. */
static int find_candidates(eid_store *s, struct batch *b,
			   struct eid_sweep_stats *st, size_t *ret_n)
{
	eid_txn *t = NULL;
	size_t keep = 0;
	bool lock;
	int r, e;

	if ((r = eid_store_begin(s, false, &t)) != EID_OK)
		return r;
	r = eid_txn_scan_after(t, EID_TABLE_ACCOUNTS, NULL, 0, b->cur->after,
			       b->cur->after_len, collect, b);
	if (r == EID_OK && b->n + b->bad_keys < b->max)
		b->cur->done = true;
	st->errors += b->bad_keys;
	for (size_t i = 0; r == EID_OK && i < b->n; i++) {
		st->scanned++;
		e = may_lock(t, b->ids[i], &lock);
		if (e == EID_ENOMEM || e == EID_ESTORE)
			r = e;
		else if (e != EID_OK)
			st->errors++; /* a damaged record: left for the operator */
		else if (lock)
			memmove(b->ids[keep++], b->ids[i], sizeof(b->ids[i]));
	}
	eid_txn_abort(t);
	if (r == EID_OK)
		*ret_n = keep;
	return r;
}

/* After eid_account_sync_card_status: count a lock (which ended
 * everything issued to the citizen) and tell the citizen, or count an
 * account the registry could not answer for. */
static void tally(const eid_notify *notify, const struct eid_card_sync *l,
		  struct eid_sweep_stats *st)
{
	if (!l->locked) {
		/* The registry could not say: the account stays as it is. */
		st->unavailable += l->checked != EID_OK;
		return;
	}
	if (l->reason == EID_LOCK_CARD_REVOKED)
		st->locked_revoked++;
	else
		st->locked_expired++;
	if (l->ended != EID_OK)
		st->errors++;
	if (notify != NULL && l->phone[0] != '\0' &&
	    eid_notify_sms(notify, l->phone, LOCK_NOTICE) != EID_OK)
		st->errors++;
}

int eid_sweep_batch(eid_store *s, const eid_registry *reg,
		    const eid_notify *notify, struct eid_sweep_cursor *cur,
		    size_t batch, int64_t now, struct eid_sweep_stats *st)
{
	struct batch b = { .cur = cur, .max = batch };
	struct eid_card_sync *locked = NULL;
	size_t n = 0;
	int r;

	if (s == NULL || reg == NULL || cur == NULL || st == NULL || now < 0 ||
	    batch == 0 || batch > EID_SWEEP_BATCH_MAX)
		return EID_EINVAL;
	if (cur->done)
		return EID_OK;
	if ((b.ids = calloc(batch, sizeof(*b.ids))) == NULL)
		return EID_ENOMEM;
	r = find_candidates(s, &b, st, &n);
	if (r == EID_OK && n > 0) {
		if ((locked = calloc(n, sizeof(*locked))) == NULL)
			r = EID_ENOMEM;
		else
			r = eid_account_sync_card_status(s, reg, b.ids, n, now,
							 locked);
	}
	for (size_t i = 0; r == EID_OK && i < n; i++)
		tally(notify, &locked[i], st);
	free(locked);
	free(b.ids);
	return r;
}

int eid_sweep_run(eid_store *s, const eid_registry *reg,
		  const eid_notify *notify, size_t batch, int64_t now,
		  bool (*stop)(void *arg), void *stop_arg,
		  struct eid_sweep_stats *ret)
{
	struct eid_sweep_cursor cur;
	struct eid_sweep_stats st = { 0 };
	int r = EID_OK;

	if (ret == NULL)
		return EID_EINVAL;
	memset(&cur, 0, sizeof(cur));
	while (r == EID_OK && !cur.done &&
	       (stop == NULL || !stop(stop_arg)))
		r = eid_sweep_batch(s, reg, notify, &cur,
				    batch != 0 ? batch : EID_SWEEP_BATCH, now,
				    &st);
	*ret = st;
	return r;
}

/* ---- the worker ---- */

struct eid_sweeper {
	eid_store *store;
	const eid_registry *reg;
	const eid_notify *notify;
	uint64_t interval;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* on CLOCK_MONOTONIC */
	bool stopping;
	struct eid_sweep_stats totals;
	uint64_t runs;
};

static bool is_stopping(void *arg)
{
	eid_sweeper *w = arg;
	bool stop;

	pthread_mutex_lock(&w->mu);
	stop = w->stopping;
	pthread_mutex_unlock(&w->mu);
	return stop;
}

static void add_stats(struct eid_sweep_stats *to,
		      const struct eid_sweep_stats *from)
{
	to->scanned += from->scanned;
	to->locked_expired += from->locked_expired;
	to->locked_revoked += from->locked_revoked;
	to->errors += from->errors;
	to->unavailable += from->unavailable;
}

static void *sweeper_main(void *arg)
{
	eid_sweeper *w = arg;
	struct eid_sweep_stats st;
	struct timespec until;

	for (;;) {
		int r = eid_sweep_run(w->store, w->reg, w->notify, 0,
				      (int64_t)eid_store_now(w->store),
				      is_stopping, w, &st);

		pthread_mutex_lock(&w->mu);
		add_stats(&w->totals, &st);
		if (r != EID_OK)
			w->totals.errors++;
		else
			w->runs++;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += (time_t)w->interval;
		while (!w->stopping &&
		       pthread_cond_timedwait(&w->cv, &w->mu, &until) == 0)
			;
		if (w->stopping) {
			pthread_mutex_unlock(&w->mu);
			return NULL;
		}
		pthread_mutex_unlock(&w->mu);
	}
}

int eid_sweeper_start(eid_store *s, const eid_registry *reg,
		      const eid_notify *notify, uint64_t interval,
		      eid_sweeper **ret)
{
	pthread_condattr_t ca;
	eid_sweeper *w;
	int r = EID_EINTERNAL;

	if (s == NULL || reg == NULL || interval == 0 || ret == NULL)
		return EID_EINVAL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return EID_ENOMEM;
	w->store = s;
	w->reg = reg;
	w->notify = notify;
	w->interval = interval;
	if (pthread_condattr_init(&ca) != 0) {
		free(w);
		return EID_EINTERNAL;
	}
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
	    pthread_cond_init(&w->cv, &ca) == 0) {
		pthread_mutex_init(&w->mu, NULL);
		if (pthread_create(&w->thread, NULL, sweeper_main, w) == 0)
			r = EID_OK;
		else {
			pthread_mutex_destroy(&w->mu);
			pthread_cond_destroy(&w->cv);
		}
	}
	pthread_condattr_destroy(&ca);
	if (r != EID_OK) {
		free(w);
		return r;
	}
	*ret = w;
	return EID_OK;
}

void eid_sweeper_stop(eid_sweeper *w)
{
	if (w == NULL)
		return;
	eid_worker_stop(&w->mu, &w->cv, &w->stopping, w->thread);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

void eid_sweeper_get_stats(eid_sweeper *w, struct eid_sweep_stats *ret,
			   uint64_t *ret_runs)
{
	pthread_mutex_lock(&w->mu);
	*ret = w->totals;
	if (ret_runs != NULL)
		*ret_runs = w->runs;
	pthread_mutex_unlock(&w->mu);
}
