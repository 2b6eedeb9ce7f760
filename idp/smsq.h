/* The SMS queue: messages for a slow gateway are delivered off the request
 * thread.
 *
 * A request only enqueues (a write to the ephemeral store, namespace
 * "smsq") and answers at once: "code sent" means "accepted for delivery".
 * A worker thread delivers through the callback (the HTTP SMS gateway),
 * one message at a time, retrying with a pause that doubles from
 * backoff (capped at EID_SMSQ_BACKOFF_CAP) until the message's max_age
 * is over: a one-time code older than its lifetime is useless, so the
 * message is then dropped with an audit entry (notify.sms_failed), as is
 * one the gateway refuses for good (401/403 or another 4xx).
 *
 * The ephemeral store (LMDB without fsync) is enough: the messages are
 * short-lived by nature, survive a restart of eidd (the next worker
 * delivers what is still young enough), and may be lost in a machine
 * crash, when the citizen asks for a new code.  Entries expire a little
 * after max_age, so what the worker did not see is swept anyway.
 *
 * The queue is bounded: past queue_max waiting messages, enqueue answers
 * EID_EBUSY (the API turns it into 503) rather than growing or blocking.
 * Times are the store's clock (tests move it). */
#ifndef EID_SMSQ_H
#define EID_SMSQ_H

#include <stdbool.h>
#include <stdint.h>

#include "idp/store.h"

#define EID_SMSQ_QUEUE_MAX 1000u
#define EID_SMSQ_BACKOFF 2u      /* seconds before the first retry */
#define EID_SMSQ_BACKOFF_CAP 60u /* longest pause between two tries */

/* Deliver one SMS: EID_OK, or an error; EID_EPERM and EID_EMALFORMED are
 * final (the gateway refuses it), anything else is tried again. */
typedef int (*eid_smsq_deliver_fn)(void *arg, const char *phone,
				   const char *text);

struct eid_smsq_options {
	unsigned queue_max; /* 0: EID_SMSQ_QUEUE_MAX */
	uint64_t max_age;   /* seconds a message is worth trying */
	uint64_t backoff;   /* 0: EID_SMSQ_BACKOFF */
};

struct eid_smsq_stats {
	uint64_t delivered, retried, failed;
};

typedef struct eid_smsq eid_smsq;

/* The store must outlive the queue; deliver/arg are kept. */
int eid_smsq_open(eid_store *s, const struct eid_smsq_options *opt,
		  eid_smsq_deliver_fn deliver, void *arg, eid_smsq **ret);
/* Stop the worker if running, free the queue.  Safe on NULL. */
void eid_smsq_close(eid_smsq *q);

/* Queue a message (copied into the store); EID_EBUSY when full. */
int eid_smsq_enqueue(eid_smsq *q, const char *phone, const char *text);
/* Try every message that is due now, once each, on the caller's thread;
 * what the worker does every second.  *ret_tried (may be NULL): how many. */
int eid_smsq_run(eid_smsq *q, unsigned *ret_tried);
/* Messages waiting (at most queue_max are counted). */
int eid_smsq_count(eid_smsq *q, uint64_t *ret_count);
void eid_smsq_get_stats(eid_smsq *q, struct eid_smsq_stats *ret);

/* The worker thread: a pass at once after an enqueue and every second.
 * Stop joins it after the delivery in flight (at most the gateway's
 * timeout); what is left stays queued in the store. */
int eid_smsq_start(eid_smsq *q);
void eid_smsq_stop(eid_smsq *q);

#endif
