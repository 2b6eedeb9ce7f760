/* The lifecycle sweep: locks the accounts whose card the registry marks
 * revoked or whose card has expired (day boundary in Vietnam's time), as a
 * login would, without waiting for the citizen to sign in.
 *
 * The walk goes through the accounts table in key order in bounded
 * batches: each batch reads at most `batch` accounts in a read
 * transaction (so memory stays bounded at any number of citizens and
 * writers are never blocked by the walk), and only when it found accounts
 * to lock does it hand them to eid_account_sync_card_status, which takes
 * one short write transaction, in which each is checked again and locked
 * (reason card_expired or card_revoked, actor "system", audited), and
 * after the commit ends each locked citizen's sessions, grants and
 * signing certificate (eid_account_end_everything, as for an officer's
 * lock); then a notice goes to their phone.  The registry (reg, which
 * may be a remote service) is asked only about active and pending
 * accounts, between the batch's read transaction and that write one; an
 * account it cannot answer for is left alone and counted as unavailable,
 * and once it has failed the rest of the batch is not asked.  A cursor
 * (the last key seen) lets a walk resume in a later transaction. */
#ifndef EID_SWEEP_H
#define EID_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "idp/notify.h"
#include "idp/registry.h"
#include "idp/store.h"

#define EID_SWEEP_BATCH 1000u
#define EID_SWEEP_BATCH_MAX 100000u

struct eid_sweep_stats {
	uint64_t scanned;        /* accounts read */
	uint64_t locked_expired; /* locked with card_expired */
	uint64_t locked_revoked; /* locked with card_revoked */
	uint64_t errors;         /* damaged records, failed notices or ends */
	/* Accounts left as they were because the registry could not say
	 * (unavailable: unknown is never revoked); the next walk asks again. */
	uint64_t unavailable;
};

struct eid_sweep_cursor {
	uint8_t after[EID_STORE_MAX_KEY]; /* the last key seen */
	size_t after_len;                 /* 0: from the start */
	bool done;                        /* the walk reached the end */
};

/* One batch of at most batch (1..EID_SWEEP_BATCH_MAX) accounts after the
 * cursor, which moves on (done once the end is reached); the counts are
 * added to *st.  notify may be NULL (no notices).  Returns a store error
 * (the batch's locks then did not happen); per-account trouble is counted
 * in st->errors and the walk goes on. */
int eid_sweep_batch(eid_store *s, const eid_registry *reg,
		    const eid_notify *notify, struct eid_sweep_cursor *cur,
		    size_t batch, int64_t now, struct eid_sweep_stats *st);

/* A whole walk from the start, batch by batch (batch 0:
 * EID_SWEEP_BATCH).  stop (may be NULL) is read between batches: when
 * it returns true the walk ends early with EID_OK. */
int eid_sweep_run(eid_store *s, const eid_registry *reg,
		  const eid_notify *notify, size_t batch, int64_t now,
		  bool (*stop)(void *arg), void *stop_arg,
		  struct eid_sweep_stats *ret);

/* ---- the background worker of eidd ---- */

typedef struct eid_sweeper eid_sweeper;

/* A thread that runs a sweep at once and then every interval seconds
 * (> 0), by the store's clock for `now`.  store, reg and notify must
 * outlive it. */
int eid_sweeper_start(eid_store *s, const eid_registry *reg,
		      const eid_notify *notify, uint64_t interval,
		      eid_sweeper **ret);
/* Stop: a walk in progress ends after its current batch; the thread is
 * joined.  Safe on NULL. */
void eid_sweeper_stop(eid_sweeper *w);
/* Totals over every walk so far, and the number of completed walks. */
void eid_sweeper_get_stats(eid_sweeper *w, struct eid_sweep_stats *ret,
			   uint64_t *ret_runs);

#endif
