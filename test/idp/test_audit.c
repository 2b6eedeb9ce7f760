#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/audit.h"
#include "idp/store.h"

struct fixture {
	char dir[64];
	eid_store *store;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/eid-test-audit-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(eid_store_open(f->dir, NULL, &f->store), EID_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	eid_store_close(f->store);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void append_n(eid_store *s, int n)
{
	for (int i = 0; i < n; i++) {
		eid_txn *t = NULL;
		json_t *d = json_pack("{s:i}", "i", i);
		struct eid_audit_event ev = {
			.type = "login.success",
			.actor = "citizen:001099012345",
			.subject = "001099012345",
			.remote = "127.0.0.1",
			.details = d,
		};
		uint64_t seq = 0;

		assert_int_equal(eid_store_begin(s, true, &t), EID_OK);
		assert_int_equal(eid_audit_append(t, &ev, 1000 + (uint64_t)i,
						  &seq), EID_OK);
		assert_int_equal(eid_txn_commit(t), EID_OK);
		json_decref(d);
	}
}

static int verify(eid_store *s, uint64_t *bad, char *why, size_t whylen)
{
	eid_txn *t = NULL;
	eid_buf reason;
	uint64_t count = 0;
	int r;

	eid_buf_init(&reason, 256);
	assert_int_equal(eid_store_begin(s, false, &t), EID_OK);
	r = eid_audit_verify(t, &count, bad, &reason);
	eid_txn_abort(t);
	snprintf(why, whylen, "%s", reason.len ? eid_buf_cstr(&reason) : "");
	eid_buf_free(&reason);
	return r;
}

static void key_of(uint64_t seq, uint8_t k[8])
{
	for (int i = 7; i >= 0; i--, seq >>= 8)
		k[i] = (uint8_t)seq;
}

static void test_empty_and_intact_chain(void **state)
{
	struct fixture *f = *state;
	uint64_t bad = 99;
	char why[256];

	assert_int_equal(verify(f->store, &bad, why, sizeof(why)), EID_OK);
	append_n(f->store, 20);
	assert_int_equal(verify(f->store, &bad, why, sizeof(why)), EID_OK);
}

static void test_altered_entry_detected(void **state)
{
	struct fixture *f = *state;
	eid_txn *t = NULL;
	eid_buf v;
	uint8_t k[8];
	uint64_t bad = 0;
	char why[256];
	uint8_t *hit;

	append_n(f->store, 5);
	key_of(3, k);
	eid_buf_init(&v, 1 << 16);
	assert_int_equal(eid_store_begin(f->store, true, &t), EID_OK);
	assert_int_equal(eid_txn_get(t, EID_TABLE_AUDIT, k, 8, &v), EID_OK);
	/* Change who logged in: 001099012345 -> 001099012346. */
	hit = memmem(v.data + 64, v.len - 64, "012345", 6);
	assert_non_null(hit);
	hit[5] = '6';
	assert_int_equal(eid_txn_put(t, EID_TABLE_AUDIT, k, 8, v.data, v.len),
			 EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	eid_buf_free(&v);
	assert_int_equal(verify(f->store, &bad, why, sizeof(why)), EID_EVERIFY);
	assert_int_equal(bad, 3);
	assert_non_null(strstr(why, "altered"));
}

static void test_removed_entry_detected(void **state)
{
	struct fixture *f = *state;
	eid_txn *t = NULL;
	uint8_t k[8];
	uint64_t bad = 0;
	char why[256];

	append_n(f->store, 5);
	key_of(2, k);
	assert_int_equal(eid_store_begin(f->store, true, &t), EID_OK);
	assert_int_equal(eid_txn_del(t, EID_TABLE_AUDIT, k, 8), EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	assert_int_equal(verify(f->store, &bad, why, sizeof(why)), EID_EVERIFY);
	assert_int_equal(bad, 2);
}

static void test_removed_tail_detected(void **state)
{
	struct fixture *f = *state;
	eid_txn *t = NULL;
	uint8_t k[8];
	uint64_t bad = 0;
	char why[256];

	append_n(f->store, 5);
	key_of(5, k);
	assert_int_equal(eid_store_begin(f->store, true, &t), EID_OK);
	assert_int_equal(eid_txn_del(t, EID_TABLE_AUDIT, k, 8), EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	assert_int_equal(verify(f->store, &bad, why, sizeof(why)), EID_EVERIFY);
	assert_non_null(strstr(why, "removed from the end"));
}

static void test_aborted_append_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	eid_txn *t = NULL;
	struct eid_audit_event ev = { .type = "account.lock" };
	uint8_t h[EID_AUDIT_HASH_LEN];
	uint64_t seq = 0;
	uint64_t bad = 0;
	char why[256];

	append_n(f->store, 2);
	assert_int_equal(eid_store_begin(f->store, true, &t), EID_OK);
	assert_int_equal(eid_audit_append(t, &ev, 5000, &seq), EID_OK);
	assert_int_equal(seq, 3);
	eid_txn_abort(t);
	assert_int_equal(eid_store_begin(f->store, false, &t), EID_OK);
	assert_int_equal(eid_audit_head(t, &seq, h), EID_OK);
	eid_txn_abort(t);
	assert_int_equal(seq, 2);
	assert_int_equal(verify(f->store, &bad, why, sizeof(why)), EID_OK);
}

static void test_bad_events_refused(void **state)
{
	struct fixture *f = *state;
	eid_txn *t = NULL;
	json_t *arr = json_array();
	struct eid_audit_event no_type = { .type = NULL };
	struct eid_audit_event empty = { .type = "" };
	struct eid_audit_event bad_details = { .type = "x", .details = arr };

	assert_int_equal(eid_store_begin(f->store, true, &t), EID_OK);
	assert_int_equal(eid_audit_append(t, &no_type, 1, NULL), EID_EINVAL);
	assert_int_equal(eid_audit_append(t, &empty, 1, NULL), EID_EINVAL);
	assert_int_equal(eid_audit_append(t, &bad_details, 1, NULL), EID_EINVAL);
	eid_txn_abort(t);
	json_decref(arr);
}

struct collect {
	int n;
	uint64_t first;
};

static int collect_one(json_t *e, void *arg)
{
	struct collect *c = arg;

	if (c->n++ == 0)
		c->first = (uint64_t)json_integer_value(json_object_get(e, "seq"));
	assert_non_null(json_object_get(e, "hash"));
	assert_string_equal(json_string_value(json_object_get(e, "type")),
			    "login.success");
	return EID_OK;
}

static void test_scan_filters(void **state)
{
	struct fixture *f = *state;
	eid_txn *t = NULL;
	struct collect c = { 0 };

	append_n(f->store, 10); /* ts 1000..1009 */
	assert_int_equal(eid_store_begin(f->store, false, &t), EID_OK);
	assert_int_equal(eid_audit_scan(t, 4, 0, collect_one, &c), EID_OK);
	assert_int_equal(c.n, 7);
	assert_int_equal(c.first, 4);
	c = (struct collect){ 0 };
	assert_int_equal(eid_audit_scan(t, 0, 1008, collect_one, &c), EID_OK);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.first, 9);
	eid_txn_abort(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty_and_intact_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_altered_entry_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_entry_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_tail_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aborted_append_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_events_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_filters, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
