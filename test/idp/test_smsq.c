/* The SMS queue: enqueue, delivery, retry with backoff on the store's
 * clock, give-up after the message's age, the bound, the worker. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/audit.h"
#include "idp/smsq.h"
#include "tmpstore.h"

#define PHONE "+84912345678"
#define AGE 300

struct gw {
	int answer;      /* what the gateway says */
	unsigned calls;
	char last[64];
};

static int fake_deliver(void *arg, const char *phone, const char *text)
{
	struct gw *g = arg;

	g->calls++;
	snprintf(g->last, sizeof(g->last), "%s %s", phone, text);
	return g->answer;
}

struct fx {
	struct tmpstore ts;
	struct gw gw;
	eid_smsq *q;
};

static int setup(void **state)
{
	static const struct eid_smsq_options o = { .queue_max = 3,
						   .max_age = AGE };
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	tmpstore_clock_now = TMPSTORE_NOW;
	tmpstore_open(&f->ts, tmpstore_movable_clock);
	assert_int_equal(eid_smsq_open(f->ts.store, &o, fake_deliver, &f->gw,
				       &f->q),
			 EID_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	eid_smsq_close(f->q);
	tmpstore_close(&f->ts);
	free(f);
	return 0;
}

static unsigned run(struct fx *f)
{
	unsigned n = 99;

	assert_int_equal(eid_smsq_run(f->q, &n), EID_OK);
	return n;
}

static uint64_t queued(struct fx *f)
{
	uint64_t n = 99;

	assert_int_equal(eid_smsq_count(f->q, &n), EID_OK);
	return n;
}

static uint64_t audit_entries(struct fx *f)
{
	uint8_t hash[EID_AUDIT_HASH_LEN];
	uint64_t seq = 0;
	eid_txn *t = NULL;

	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_audit_head(t, &seq, hash), EID_OK);
	eid_txn_abort(t);
	return seq;
}

/* The one message is gone, counted failed, with one audit entry. */
static void assert_dropped_and_audited(struct fx *f, uint64_t audit_before)
{
	struct eid_smsq_stats st;

	assert_int_equal(queued(f), 0);
	eid_smsq_get_stats(f->q, &st);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.delivered, 0);
	assert_int_equal(audit_entries(f), audit_before + 1);
}

static void test_deliver(void **state)
{
	struct fx *f = *state;
	struct eid_smsq_stats st;

	assert_int_equal(eid_smsq_enqueue(f->q, PHONE, "code 123456"), EID_OK);
	assert_int_equal(queued(f), 1);
	assert_int_equal(f->gw.calls, 0); /* nothing sent on enqueue */
	assert_int_equal(run(f), 1);
	assert_string_equal(f->gw.last, PHONE " code 123456");
	assert_int_equal(queued(f), 0);
	assert_int_equal(run(f), 0);
	eid_smsq_get_stats(f->q, &st);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(st.failed, 0);
}

static void test_retry_backoff(void **state)
{
	struct fx *f = *state;
	struct eid_smsq_stats st;

	f->gw.answer = EID_ETIMEOUT;
	assert_int_equal(eid_smsq_enqueue(f->q, PHONE, "code 1"), EID_OK);
	assert_int_equal(run(f), 1);
	assert_int_equal(run(f), 0); /* not due yet */
	tmpstore_clock_now += EID_SMSQ_BACKOFF - 1;
	assert_int_equal(run(f), 0);
	tmpstore_clock_now += 1;
	assert_int_equal(run(f), 1); /* second try after 2 s */
	tmpstore_clock_now += 2 * EID_SMSQ_BACKOFF - 1;
	assert_int_equal(run(f), 0); /* the pause doubled */
	tmpstore_clock_now += 1;
	f->gw.answer = EID_OK;
	assert_int_equal(run(f), 1);
	assert_int_equal(queued(f), 0);
	eid_smsq_get_stats(f->q, &st);
	assert_int_equal(st.retried, 2);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(f->gw.calls, 3);
}

static void test_backoff_cap(void **state)
{
	struct fx *f = *state;
	unsigned tries = 0;

	f->gw.answer = EID_ENETWORK;
	assert_int_equal(eid_smsq_enqueue(f->q, PHONE, "code 1"), EID_OK);
	/* one run a second for the whole age: tries at 0, 2, 6, 14, 30, 62,
	 * then every 60 s (122, 182, 242) */
	for (int s = 0; s < AGE - 1; s++, tmpstore_clock_now++)
		tries += run(f);
	assert_int_equal(tries, 9);
	assert_int_equal(queued(f), 1);
}

static void test_give_up_after_age(void **state)
{
	struct fx *f = *state;
	uint64_t before = audit_entries(f);

	f->gw.answer = EID_ENETWORK;
	assert_int_equal(eid_smsq_enqueue(f->q, PHONE, "code 1"), EID_OK);
	assert_int_equal(run(f), 1);
	tmpstore_clock_now += AGE;
	assert_int_equal(run(f), 0); /* too old: dropped, not sent */
	assert_int_equal(f->gw.calls, 1);
	assert_dropped_and_audited(f, before);
}

static void test_refused_for_good(void **state)
{
	struct fx *f = *state;
	uint64_t before = audit_entries(f);

	f->gw.answer = EID_EPERM;
	assert_int_equal(eid_smsq_enqueue(f->q, PHONE, "code 1"), EID_OK);
	assert_int_equal(run(f), 1);
	assert_dropped_and_audited(f, before);
}

static void test_bound(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 3; i++)
		assert_int_equal(eid_smsq_enqueue(f->q, PHONE, "x"), EID_OK);
	assert_int_equal(eid_smsq_enqueue(f->q, PHONE, "x"), EID_EBUSY);
	assert_int_equal(queued(f), 3);
	assert_int_equal(run(f), 3);
	assert_int_equal(eid_smsq_enqueue(f->q, PHONE, "x"), EID_OK);
}

static void test_worker(void **state)
{
	struct fx *f = *state;
	struct eid_smsq_stats st = { 0 };
	struct timespec ms10 = { 0, 10 * 1000 * 1000 };

	assert_int_equal(eid_smsq_start(f->q), EID_OK);
	assert_int_equal(eid_smsq_start(f->q), EID_ESTATE);
	assert_int_equal(eid_smsq_enqueue(f->q, PHONE, "code 2"), EID_OK);
	for (int i = 0; i < 300 && st.delivered == 0; i++) {
		nanosleep(&ms10, NULL);
		eid_smsq_get_stats(f->q, &st);
	}
	assert_int_equal(st.delivered, 1);
	eid_smsq_stop(f->q);
	eid_smsq_stop(f->q); /* twice is fine */
	assert_int_equal(queued(f), 0);
}

static void test_bad_options(void **state)
{
	struct fx *f = *state;
	struct eid_smsq_options o = { .max_age = 0 };
	eid_smsq *q = NULL;

	assert_int_equal(eid_smsq_open(f->ts.store, &o, fake_deliver, NULL, &q),
			 EID_EINVAL);
	o.max_age = 60;
	o.backoff = EID_SMSQ_BACKOFF_CAP + 1;
	assert_int_equal(eid_smsq_open(f->ts.store, &o, fake_deliver, NULL, &q),
			 EID_EINVAL);
	o.backoff = 0;
	assert_int_equal(eid_smsq_open(f->ts.store, &o, NULL, NULL, &q),
			 EID_EINVAL);
	assert_int_equal(eid_smsq_enqueue(f->q, PHONE, NULL), EID_EINVAL);
	eid_smsq_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_deliver),	  T(test_retry_backoff),
		T(test_backoff_cap),	  T(test_give_up_after_age),
		T(test_refused_for_good), T(test_bound),
		T(test_worker),		  T(test_bad_options),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
