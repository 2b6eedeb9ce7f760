/* The SMS queue (see smsq.h).
 *
 * Keys: the enqueue time (8 bytes big-endian, unix seconds) and 8 random
 * bytes, so a scan is oldest first.  Values: compact JSON {"to", "text",
 * "deadline", "next", "tries"}, expiring GRACE seconds after the deadline
 * (the worker gives up at the deadline and records it). */
#include "idp/smsq.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "crypto/buf.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/audit.h"
#include "idp/notify.h"
#include "idp/worker.h"

#define KEY_LEN 16u
#define VALUE_MAX (4u * 1024)
#define GRACE 60u
#define BATCH 32u

struct eid_smsq {
	eid_store *store;
	struct eid_smsq_options opt;
	eid_smsq_deliver_fn deliver;
	void *arg;
	pthread_mutex_t mu; /* stats, stopping, kick; one enqueue at a time */
	pthread_cond_t cv;
	pthread_t thread;
	bool running, stopping, kick;
	struct eid_smsq_stats stats;
};

struct msg {
	const char *to, *text;
	json_int_t deadline, next, tries;
};

int eid_smsq_open(eid_store *s, const struct eid_smsq_options *opt,
		  eid_smsq_deliver_fn deliver, void *arg, eid_smsq **ret)
{
	eid_smsq *q;

	if (s == NULL || opt == NULL || deliver == NULL || ret == NULL ||
	    opt->max_age == 0 || opt->max_age > INT32_MAX ||
	    opt->backoff > EID_SMSQ_BACKOFF_CAP)
		return EID_EINVAL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return EID_ENOMEM;
	q->store = s;
	q->opt = *opt;
	if (q->opt.queue_max == 0)
		q->opt.queue_max = EID_SMSQ_QUEUE_MAX;
	if (q->opt.backoff == 0)
		q->opt.backoff = EID_SMSQ_BACKOFF;
	q->deliver = deliver;
	q->arg = arg;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	*ret = q;
	return EID_OK;
}

void eid_smsq_close(eid_smsq *q)
{
	if (q == NULL)
		return;
	eid_smsq_stop(q);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

/* ---- the entries ---- */

static int put_msg(eid_smsq *q, const uint8_t key[KEY_LEN],
		   const struct msg *m)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I}", "to", m->to,
			      "text", m->text, "deadline", m->deadline,
			      "next", m->next, "tries", m->tries);
	char *v = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	int r;

	json_decref(o);
	if (v == NULL)
		return EID_ENOMEM;
	r = strlen(v) > VALUE_MAX ?
		    EID_ETOOBIG :
		    eid_eph_set(q->store, EID_EPH_SMSQ, key, KEY_LEN, v,
				strlen(v), (uint64_t)m->deadline + GRACE);
	eid_free_secret_str(v); /* it holds the code */
	return r;
}

/* Parse a value; *ret_o owns the strings m points into. */
static int parse_msg(const void *val, size_t vlen, json_t **ret_o,
		     struct msg *m)
{
	json_t *o = json_loadb(val, vlen, 0, NULL);

	if (o == NULL || json_unpack(o, "{s:s, s:s, s:I, s:I, s:I}", "to",
				     &m->to, "text", &m->text, "deadline",
				     &m->deadline, "next", &m->next, "tries",
				     &m->tries) != 0) {
		json_decref(o);
		return EID_EMALFORMED;
	}
	*ret_o = o;
	return EID_OK;
}

struct counting {
	uint64_t n, max;
};

static int count_one(const void *key, size_t klen, const void *val,
		     size_t vlen, void *arg)
{
	struct counting *c = arg;

	(void)key;
	(void)klen;
	(void)val;
	(void)vlen;
	return ++c->n >= c->max ? 1 : EID_OK;
}

static int count_locked(eid_smsq *q, uint64_t *ret_count)
{
	struct counting c = { 0, q->opt.queue_max };
	int r = eid_eph_scan(q->store, EID_EPH_SMSQ, NULL, 0, count_one, &c);

	if (r == EID_OK)
		*ret_count = c.n;
	return r;
}

int eid_smsq_count(eid_smsq *q, uint64_t *ret_count)
{
	int r;

	if (q == NULL || ret_count == NULL)
		return EID_EINVAL;
	pthread_mutex_lock(&q->mu);
	r = count_locked(q, ret_count);
	pthread_mutex_unlock(&q->mu);
	return r;
}

int eid_smsq_enqueue(eid_smsq *q, const char *phone, const char *text)
{
	uint8_t key[KEY_LEN];
	int64_t now;
	struct msg m = { .to = phone, .text = text };
	uint64_t n = 0;
	int r;

	if (q == NULL || phone == NULL || text == NULL)
		return EID_EINVAL;
	now = (int64_t)eid_store_now(q->store);
	m.deadline = now + (int64_t)q->opt.max_age;
	m.next = now;
	eid_be64_store(key, (uint64_t)now);
	if ((r = eid_random_bytes(key + 8, 8)) != EID_OK)
		return r;
	pthread_mutex_lock(&q->mu);
	r = count_locked(q, &n);
	if (r == EID_OK && n >= q->opt.queue_max)
		r = EID_EBUSY;
	if (r == EID_OK)
		r = put_msg(q, key, &m);
	if (r == EID_OK) {
		q->kick = true;
		pthread_cond_signal(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	return r;
}

/* ---- delivery ---- */

static void give_up(eid_smsq *q, const struct msg *m, int why, int64_t now)
{
	char masked[64];
	json_t *d;
	eid_txn *t = NULL;

	pthread_mutex_lock(&q->mu);
	q->stats.failed++;
	pthread_mutex_unlock(&q->mu);
	eid_notify_mask_phone(m->to, masked, sizeof(masked));
	d = json_pack("{s:s, s:I}", "error", eid_errname(why), "tries",
		      m->tries);
	if (eid_store_begin(q->store, true, &t) != EID_OK) {
		json_decref(d);
		return;
	}
	if (eid_audit_record(t, "notify.sms_failed", "eid", masked, NULL, d,
			     now) == EID_OK)
		(void)eid_txn_commit(t);
	else
		eid_txn_abort(t);
}

static uint64_t pause_after(const eid_smsq *q, json_int_t tries)
{
	uint64_t p = q->opt.backoff;

	for (json_int_t i = 1; i < tries && p < EID_SMSQ_BACKOFF_CAP; i++)
		p *= 2;
	return p < EID_SMSQ_BACKOFF_CAP ? p : EID_SMSQ_BACKOFF_CAP;
}

/* One try of one message, if it is still there and due. */
static int handle(eid_smsq *q, const uint8_t key[KEY_LEN], bool *ret_tried)
{
	eid_buf v;
	json_t *o = NULL;
	struct msg m;
	int64_t now = (int64_t)eid_store_now(q->store);
	int r, d;

	eid_buf_init_secret(&v, VALUE_MAX);
	r = eid_eph_get(q->store, EID_EPH_SMSQ, key, KEY_LEN, &v, NULL);
	if (r == EID_ENOTFOUND) {
		r = EID_OK;
		goto out;
	}
	if (r != EID_OK || (r = parse_msg(v.data, v.len, &o, &m)) != EID_OK)
		goto out;
	if (now >= m.deadline) {
		give_up(q, &m, EID_EEXPIRED, now);
		r = eid_eph_del(q->store, EID_EPH_SMSQ, key, KEY_LEN);
		goto out;
	}
	if (m.next > now)
		goto out;
	*ret_tried = true;
	m.tries++;
	d = q->deliver(q->arg, m.to, m.text);
	now = (int64_t)eid_store_now(q->store);
	if (d == EID_OK || d == EID_EPERM || d == EID_EMALFORMED) {
		if (d != EID_OK)
			give_up(q, &m, d, now);
		r = eid_eph_del(q->store, EID_EPH_SMSQ, key, KEY_LEN);
		pthread_mutex_lock(&q->mu);
		if (d == EID_OK)
			q->stats.delivered++;
		pthread_mutex_unlock(&q->mu);
		goto out;
	}
	m.next = now + (int64_t)pause_after(q, m.tries);
	r = put_msg(q, key, &m);
	pthread_mutex_lock(&q->mu);
	q->stats.retried++;
	pthread_mutex_unlock(&q->mu);
out:
	json_decref(o);
	eid_buf_free(&v);
	return r;
}

struct due {
	int64_t now;
	size_t n;
	uint8_t keys[BATCH][KEY_LEN];
};

static int collect_due(const void *key, size_t klen, const void *val,
		       size_t vlen, void *arg)
{
	struct due *d = arg;
	json_t *o = NULL;
	struct msg m;

	if (klen != KEY_LEN || parse_msg(val, vlen, &o, &m) != EID_OK)
		return EID_OK; /* not ours: it expires */
	if (m.next <= d->now || m.deadline <= d->now)
		memcpy(d->keys[d->n++], key, KEY_LEN);
	json_decref(o);
	return d->n < BATCH ? EID_OK : 1;
}

int eid_smsq_run(eid_smsq *q, unsigned *ret_tried)
{
	struct due d = { 0 };
	unsigned tried = 0;
	int r;

	if (q == NULL)
		return EID_EINVAL;
	d.now = (int64_t)eid_store_now(q->store);
	r = eid_eph_scan(q->store, EID_EPH_SMSQ, NULL, 0, collect_due, &d);
	for (size_t i = 0; r == EID_OK && i < d.n; i++) {
		bool t = false;

		pthread_mutex_lock(&q->mu);
		t = q->stopping;
		pthread_mutex_unlock(&q->mu);
		if (t)
			break;
		r = handle(q, d.keys[i], &t);
		tried += t;
	}
	if (ret_tried != NULL)
		*ret_tried = tried;
	return r;
}

void eid_smsq_get_stats(eid_smsq *q, struct eid_smsq_stats *ret)
{
	pthread_mutex_lock(&q->mu);
	*ret = q->stats;
	pthread_mutex_unlock(&q->mu);
}

/* ---- the worker ---- */

static void *worker(void *arg)
{
	eid_smsq *q = arg;
	struct timespec until;

	pthread_mutex_lock(&q->mu);
	while (!q->stopping) {
		q->kick = false;
		pthread_mutex_unlock(&q->mu);
		(void)eid_smsq_run(q, NULL); /* what failed is tried again */
		pthread_mutex_lock(&q->mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		while (!q->stopping && !q->kick &&
		       pthread_cond_timedwait(&q->cv, &q->mu, &until) !=
			       ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

int eid_smsq_start(eid_smsq *q)
{
	if (q == NULL)
		return EID_EINVAL;
	if (q->running)
		return EID_ESTATE;
	q->stopping = false;
	if (pthread_create(&q->thread, NULL, worker, q) != 0)
		return EID_EINTERNAL;
	q->running = true;
	return EID_OK;
}

void eid_smsq_stop(eid_smsq *q)
{
	if (q == NULL || !q->running)
		return;
	eid_worker_stop(&q->mu, &q->cv, &q->stopping, q->thread);
	q->running = false;
}
