/* The per-citizen audit index: a citizen's history newest first, paged
 * with a cursor, cut at the retention limit, at a few thousand entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/audit.h"
#include "tmpstore.h"

#define A "001090012345"
#define B "079195012346"
#define N 3000
#define T0 UINT64_C(1700000000000) /* ms */

/* Entry i (1-based seq) is at T0 + i s.  Every 3rd is about A (actor and
 * subject A), every 3rd + 1 about B, every 3rd + 2 about nobody (a client
 * credentials event); every 100th is A acting for B (a guardian). */
static void fill(eid_store *s)
{
	eid_txn *t = NULL;

	assert_int_equal(eid_store_begin(s, true, &t), EID_OK);
	for (uint64_t seq = 1; seq <= N; seq++) {
		struct eid_audit_event ev = { .type = "login.success" };

		if (seq % 100 == 0) {
			ev.type = "account.create";
			ev.actor = "citizen:" A;
			ev.subject = B;
		} else if (seq % 3 == 0) {
			ev.actor = "citizen:" A;
			ev.subject = A;
		} else if (seq % 3 == 1) {
			ev.actor = "citizen:" B;
			ev.subject = B;
		} else {
			ev.type = "token.client";
			ev.actor = "client:web";
			ev.subject = "web";
		}
		assert_int_equal(eid_audit_append(t, &ev, T0 + seq * 1000, NULL),
				 EID_OK);
	}
	assert_int_equal(eid_txn_commit(t), EID_OK);
}

struct page {
	uint64_t seqs[EID_AUDIT_HISTORY_MAX];
	size_t n;
};

static int collect(json_t *e, void *arg)
{
	struct page *p = arg;

	p->seqs[p->n++] = (uint64_t)json_integer_value(json_object_get(e, "seq"));
	return EID_OK;
}

static bool about(uint64_t seq, char who)
{
	if (seq % 100 == 0)
		return true; /* A for B: in both histories */
	return who == 'A' ? seq % 3 == 0 : seq % 3 == 1;
}

/* Walk every page of a history; check the order and the membership. */
static size_t walk(eid_txn *t, const char *pid, char who, uint64_t since,
		   size_t limit)
{
	uint64_t before = 0, expect = N + 1;
	size_t total = 0;
	bool more = true;

	while (more) {
		struct page p = { .n = 0 };

		assert_int_equal(eid_audit_history(t, pid, before, since, limit,
						   collect, &p, &more), EID_OK);
		for (size_t i = 0; i < p.n; i++) {
			while (--expect > 0 && !about(expect, who))
				;
			assert_int_equal(p.seqs[i], expect);
		}
		assert_true(p.n == limit || !more);
		total += p.n;
		if (p.n > 0)
			before = p.seqs[p.n - 1];
	}
	return total;
}

static size_t expected(char who, uint64_t from)
{
	size_t n = 0;

	for (uint64_t seq = from; seq <= N; seq++)
		n += about(seq, who);
	return n;
}

static void test_history_pages(void **state)
{
	struct tmpstore *ts = *state;
	eid_txn *t = NULL;

	fill(ts->store);
	assert_int_equal(eid_store_begin(ts->store, false, &t), EID_OK);
	assert_int_equal(walk(t, A, 'A', 0, EID_AUDIT_HISTORY_MAX),
			 expected('A', 1));
	assert_int_equal(walk(t, B, 'B', 0, 7), expected('B', 1));
	/* The retention cut: nothing before entry 2500. */
	assert_int_equal(walk(t, A, 'A', T0 + 2500 * 1000, 100),
			 expected('A', 2500));
	eid_txn_abort(t);
}

static void test_history_refusals(void **state)
{
	struct tmpstore *ts = *state;
	struct page p = { .n = 0 };
	eid_txn *t = NULL;
	bool more = true;

	fill(ts->store);
	assert_int_equal(eid_store_begin(ts->store, false, &t), EID_OK);
	assert_int_equal(eid_audit_history(t, "00109001234", 0, 0, 10, collect,
					   &p, NULL), EID_EINVAL);
	assert_int_equal(eid_audit_history(t, "web", 0, 0, 10, collect, &p,
					   NULL), EID_EINVAL);
	assert_int_equal(eid_audit_history(t, A, 0, 0, 0, collect, &p, NULL),
			 EID_EINVAL);
	assert_int_equal(eid_audit_history(t, A, 0, 0,
					   EID_AUDIT_HISTORY_MAX + 1, collect,
					   &p, NULL), EID_EINVAL);
	/* A citizen without entries; a cursor before the first entry. */
	assert_int_equal(eid_audit_history(t, "001088012345", 0, 0, 10,
					   collect, &p, &more), EID_OK);
	assert_int_equal(p.n, 0);
	assert_false(more);
	assert_int_equal(eid_audit_history(t, A, 3, 0, 10, collect, &p, &more),
			 EID_OK);
	assert_int_equal(p.n, 0);
	eid_txn_abort(t);
}

static void test_seq_parse(void **state)
{
	static const char *const bad[] = { "", "0", "007", "-1", "1e3", "12 ",
		"18446744073709551616", "123456789012345678901" };
	uint64_t v = 0;

	(void)state;
	assert_int_equal(eid_audit_seq_parse("42", 2, &v), EID_OK);
	assert_int_equal(v, 42);
	assert_int_equal(eid_audit_seq_parse("18446744073709551615", 20, &v),
			 EID_OK);
	assert_true(v == UINT64_MAX);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(eid_audit_seq_parse(bad[i], strlen(bad[i]), &v),
				 EID_EMALFORMED);
}

struct keys {
	char k[N + 200][40];
	size_t n;
};

static int keep_key(const void *key, size_t klen, const void *val,
		    size_t vlen, void *arg)
{
	struct keys *ks = arg;

	(void)val;
	(void)vlen;
	assert_true(klen < sizeof(ks->k[0]) && ks->n < N + 200);
	memcpy(ks->k[ks->n], key, klen);
	ks->k[ks->n++][klen] = '\0';
	return EID_OK;
}

/* A store from before the index: reindex rebuilds it, in batches. */
static void test_reindex(void **state)
{
	static struct keys ks;
	struct tmpstore *ts = *state;
	eid_txn *t = NULL;
	uint64_t entries = 0;

	fill(ts->store);
	ks.n = 0;
	assert_int_equal(eid_store_begin(ts->store, true, &t), EID_OK);
	assert_int_equal(eid_txn_scan(t, EID_TABLE_AUDIT_INDEX, NULL, 0,
				      keep_key, &ks), EID_OK);
	for (size_t i = 0; i < ks.n; i++)
		assert_int_equal(eid_txn_del(t, EID_TABLE_AUDIT_INDEX, ks.k[i],
					     strlen(ks.k[i])), EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	assert_int_equal(eid_store_begin(ts->store, false, &t), EID_OK);
	assert_int_equal(walk(t, A, 'A', 0, 10), 0); /* nothing indexed */
	eid_txn_abort(t);

	assert_int_equal(eid_audit_reindex(ts->store, 700, &entries), EID_OK);
	assert_int_equal(entries, N);
	assert_int_equal(eid_store_begin(ts->store, false, &t), EID_OK);
	assert_int_equal(walk(t, A, 'A', 0, 100), expected('A', 1));
	assert_int_equal(walk(t, B, 'B', 0, 100), expected('B', 1));
	eid_txn_abort(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq_parse),
		cmocka_unit_test_setup_teardown(test_history_pages,
						tmpstore_setup,
						tmpstore_teardown),
		cmocka_unit_test_setup_teardown(test_reindex, tmpstore_setup,
						tmpstore_teardown),
		cmocka_unit_test_setup_teardown(test_history_refusals,
						tmpstore_setup,
						tmpstore_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
