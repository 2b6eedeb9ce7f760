/* The lifecycle sweep: card expiry (Vietnam's day boundary) and
 * revocation lock accounts through the officers' lock path, in batches. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/accounts.h"
#include "idp/audit.h"
#include "idp/grants.h"
#include "idp/session.h"
#include "idp/sweep.h"
#include "notify_fixture.h"
#include "tmpstore.h"

#define EXPIRING "001090012345" /* card valid until 2025-06-10 */
#define REVOKING "001095012346" /* card revoked later */
#define OLD "001055012345"      /* over 60: no expiry date */
#define PW "correct horse battery staple"

#define fx tmpstore_pol

static void put(struct fx *f, const char *id, const char *name,
		const char *extra)
{
	char json[512];

	snprintf(json, sizeof(json),
		 "{\"personal_id\":\"%s\",\"full_name\":\"%s\","
		 "\"birthdate\":\"19%.2s-01-01\",\"sex\":\"male\"%s}",
		 id, name, id + 4, extra);
	tmpstore_put_citizen(f->ts.store, json);
}

static void create(struct fx *f, const char *id, const char *phone)
{
	struct eid_account_new a = {
		.personal_id = id, .phone = phone, .level = 1, .password = PW,
	};
	eid_txn *t = NULL;

	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	assert_int_equal(eid_account_create(t, &f->pol, &a, tmpstore_clock_now,
					    "operator:test", NULL), EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
}

static void get(struct fx *f, const char *id, struct eid_account *a)
{
	eid_txn *t = NULL;

	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_account_get(t, id, a), EID_OK);
	eid_txn_abort(t);
}

static int setup(void **state)
{
	struct fx *f;

	tmpstore_pol_setup(state);
	f = *state;
	put(f, EXPIRING, "Nguyễn Văn An",
	    ",\"card_issued\":\"2021-06-10\",\"card_expires\":\"2025-06-10\"");
	put(f, REVOKING, "Trần Văn Bình",
	    ",\"card_issued\":\"2021-04-10\",\"card_expires\":\"2035-01-01\"");
	put(f, OLD, "Lê Văn Cả", "");
	create(f, EXPIRING, "0912345001");
	create(f, REVOKING, "0912345002");
	create(f, OLD, "0912345003");
	return 0;
}

static int sweep(struct fx *f, eid_notify *n, struct eid_sweep_stats *st)
{
	return eid_sweep_run(f->ts.store, &f->ts.reg, n, 0, tmpstore_clock_now,
			     NULL, NULL,
			     st);
}

struct count_arg {
	const char *type;
	unsigned n;
};

static int count_system_locks(json_t *e, void *arg)
{
	struct count_arg *c = arg;

	if (strcmp(json_string_value(json_object_get(e, "type")), c->type) == 0 &&
	    strcmp(json_string_value(json_object_get(e, "actor")), "system") == 0)
		c->n++;
	return EID_OK;
}

static unsigned system_locks(struct fx *f)
{
	struct count_arg c = { "account.lock", 0 };
	eid_txn *t = NULL;

	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_audit_scan(t, 0, 0, count_system_locks, &c), EID_OK);
	eid_txn_abort(t);
	return c.n;
}

/* The card is good through its expiry date in Vietnam (UTC+7): the lock
 * comes at 17:00 UTC that day, with sessions and grants ended at once. */
static void test_expiry_day_boundary(void **state)
{
	struct fx *f = *state;
	struct fake_notify fake = { 0 };
	struct eid_sweep_stats st;
	struct eid_account a;
	struct eid_grant g = { .personal_id = EXPIRING, .client_id = "rp",
			       .scope = "openid" };
	char cookie[EID_SESSION_TOKEN_LEN + 1], gid[EID_GRANT_ID_LEN + 1];
	struct eid_session sess;
	eid_notify n;

	fake_notify_init(&fake, &n);
	assert_int_equal(eid_session_create(f->ts.store, EXPIRING, 1, "pwd",
					    "127.0.0.1", tmpstore_clock_now,
					    86400 * 30, cookie, NULL), EID_OK);
	assert_int_equal(eid_grant_create(f->ts.store, &g, tmpstore_clock_now,
					  gid), EID_OK);

	tmpstore_clock_now = INT64_C(1749574799); /* 2025-06-10T23:59:59+07 */
	assert_int_equal(sweep(f, &n, &st), EID_OK);
	assert_int_equal(st.scanned, 3);
	assert_int_equal(st.locked_expired + st.locked_revoked, 0);
	assert_int_equal(fake.sent, 0);

	tmpstore_clock_now++; /* 2025-06-11T00:00:00+07 */
	assert_int_equal(sweep(f, &n, &st), EID_OK);
	assert_int_equal(st.scanned, 3);
	assert_int_equal(st.locked_expired, 1);
	assert_int_equal(st.locked_revoked, 0);
	assert_int_equal(st.errors, 0);
	get(f, EXPIRING, &a);
	assert_int_equal(a.status, EID_ACCOUNT_LOCKED);
	assert_int_equal(a.lock_reason, EID_LOCK_CARD_EXPIRED);
	assert_string_equal(a.locked_by, "system");
	eid_account_clear(&a);
	assert_int_equal(system_locks(f), 1);
	/* The same path as an officer's lock: everything ended at once. */
	assert_int_equal(eid_session_lookup(f->ts.store, cookie, &sess),
			 EID_ENOTFOUND);
	assert_int_equal(eid_grant_check_active(f->ts.store, gid), EID_EPERM);
	assert_int_equal(fake.sent, 1);
	assert_string_equal(fake.phone, "+84912345001");
	assert_non_null(strstr(fake.text, "locked"));

	/* Nothing to do a second time. */
	assert_int_equal(sweep(f, &n, &st), EID_OK);
	assert_int_equal(st.locked_expired + st.locked_revoked, 0);
	assert_int_equal(fake.sent, 1);
	eid_notify_close(&n);
}

static void test_revoked_and_renewed(void **state)
{
	struct fx *f = *state;
	struct eid_sweep_stats st;
	struct eid_account a;
	eid_txn *t = NULL;

	put(f, REVOKING, "Trần Văn Bình",
	    ",\"card_issued\":\"2021-04-10\",\"card_expires\":\"2035-01-01\","
	    "\"card_status\":\"revoked\"");
	tmpstore_clock_now = INT64_C(1749574800); /* EXPIRING's card too */
	assert_int_equal(sweep(f, NULL, &st), EID_OK);
	assert_int_equal(st.locked_revoked, 1);
	assert_int_equal(st.locked_expired, 1);
	get(f, REVOKING, &a);
	assert_int_equal(a.lock_reason, EID_LOCK_CARD_REVOKED);
	eid_account_clear(&a);
	get(f, OLD, &a); /* no expiry date: never locked for it */
	assert_int_equal(a.status, EID_ACCOUNT_ACTIVE);
	eid_account_clear(&a);

	/* A renewed card, then an officer's unlock: the sweep leaves it. */
	put(f, EXPIRING, "Nguyễn Văn An",
	    ",\"card_issued\":\"2025-06-12\",\"card_expires\":\"2040-06-12\"");
	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	assert_int_equal(eid_account_unlock(t, EXPIRING, "officer:hbt01",
					    tmpstore_clock_now), EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	assert_int_equal(sweep(f, NULL, &st), EID_OK);
	assert_int_equal(st.locked_expired + st.locked_revoked, 0);
	get(f, EXPIRING, &a);
	assert_int_equal(a.status, EID_ACCOUNT_ACTIVE);
	eid_account_clear(&a);
}

/* A registry that fails for the IDs before down_until, as a remote one
 * does during an outage; it counts the lookups and answers the rest from
 * the store. */
struct flaky {
	eid_registry local;
	const char *down_until; /* IDs below it fail; NULL: all */
	unsigned calls;
};

static int flaky_lookup(void *ctx, const char *id, struct eid_citizen *ret)
{
	struct flaky *fl = ctx;

	fl->calls++;
	if (fl->down_until == NULL || strcmp(id, fl->down_until) < 0)
		return EID_ENETWORK;
	return eid_registry_lookup(&fl->local, id, ret);
}

/* Unavailable is unknown, never revoked: a walk while the registry is
 * down locks nobody, asks it once per batch, and counts the accounts it
 * could not check; the next walk does the work. */
static void test_registry_down(void **state)
{
	struct fx *f = *state;
	struct flaky fl = { .local = f->ts.reg };
	eid_registry reg = { .lookup = flaky_lookup, .ctx = &fl };
	struct eid_sweep_stats st;
	struct eid_account a;

	put(f, REVOKING, "Trần Văn Bình",
	    ",\"card_issued\":\"2021-04-10\",\"card_expires\":\"2035-01-01\","
	    "\"card_status\":\"revoked\"");
	tmpstore_clock_now = INT64_C(1749574800); /* EXPIRING's card too */
	assert_int_equal(eid_sweep_run(f->ts.store, &reg, NULL, 0,
				       tmpstore_clock_now, NULL, NULL, &st),
			 EID_OK);
	assert_int_equal(st.scanned, 3);
	assert_int_equal(st.locked_expired + st.locked_revoked, 0);
	assert_int_equal(st.unavailable, 3);
	assert_int_equal(fl.calls, 1);
	get(f, REVOKING, &a);
	assert_int_equal(a.status, EID_ACCOUNT_ACTIVE);
	eid_account_clear(&a);

	/* Down for the first account only: the others are not asked in
	 * that walk either; one walk later, with it back, both lock. */
	fl.down_until = "001090000000";
	fl.calls = 0;
	assert_int_equal(eid_sweep_run(f->ts.store, &reg, NULL, 0,
				       tmpstore_clock_now, NULL, NULL, &st),
			 EID_OK);
	assert_int_equal(st.unavailable, 3);
	assert_int_equal(fl.calls, 1);
	fl.down_until = "";
	assert_int_equal(eid_sweep_run(f->ts.store, &reg, NULL, 0,
				       tmpstore_clock_now, NULL, NULL, &st),
			 EID_OK);
	assert_int_equal(st.unavailable, 0);
	assert_int_equal(st.locked_revoked, 1);
	assert_int_equal(st.locked_expired, 1);
}

/* Batches resume where the last one ended and see every account once. */
static void test_batches(void **state)
{
	struct fx *f = *state;
	struct eid_sweep_cursor cur;
	struct eid_sweep_stats st = { 0 };
	unsigned batches = 0;
	char id[16], phone[16];

	for (unsigned i = 0; i < 40; i++) {
		snprintf(id, sizeof(id), "0010850%05u", i);
		snprintf(phone, sizeof(phone), "09130%05u", i);
		put(f, id, "Phạm Văn Dũng",
		    ",\"card_issued\":\"2015-06-05\",\"card_expires\":\"2025-06-05\"");
		create(f, id, phone);
	}
	tmpstore_clock_now += 86400 * 10; /* after 2025-06-05 */
	memset(&cur, 0, sizeof(cur));
	while (!cur.done) {
		assert_int_equal(eid_sweep_batch(f->ts.store, &f->ts.reg, NULL,
						 &cur, 7,
						 tmpstore_clock_now, &st), EID_OK);
		batches++;
	}
	assert_int_equal(batches, 7); /* 43 accounts, 7 a batch */
	assert_int_equal(st.scanned, 43);
	assert_int_equal(st.locked_expired, 41); /* and EXPIRING */
	assert_int_equal(st.errors, 0);
	assert_int_equal(system_locks(f), 41);
	assert_int_equal(eid_sweep_batch(f->ts.store, &f->ts.reg, NULL, &cur, 0,
					 tmpstore_clock_now, &st), EID_EINVAL);
}

/* The worker sweeps at once when started and stops cleanly. */
static void test_worker(void **state)
{
	struct fx *f = *state;
	struct eid_sweep_stats st;
	eid_sweeper *w = NULL;
	uint64_t runs = 0;

	tmpstore_clock_now = INT64_C(1749574800);
	assert_int_equal(eid_sweeper_start(f->ts.store, &f->ts.reg, NULL, 3600,
					   &w), EID_OK);
	for (int i = 0; i < 500 && runs == 0; i++) {
		eid_sweeper_get_stats(w, &st, &runs);
		if (runs == 0) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	assert_int_equal(runs, 1);
	assert_int_equal(st.locked_expired, 1);
	eid_sweeper_stop(w); /* wakes it from its hour's wait */
	assert_int_equal(eid_sweeper_start(f->ts.store, &f->ts.reg, NULL, 0, &w),
			 EID_EINVAL);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, tmpstore_pol_teardown)
	const struct CMUnitTest tests[] = {
		T(test_expiry_day_boundary),
		T(test_revoked_and_renewed),
		T(test_registry_down),
		T(test_batches),
		T(test_worker),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
