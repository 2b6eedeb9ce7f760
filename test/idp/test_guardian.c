/* Guardians create their minors' accounts (Decree 69/2024). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/audit.h"
#include "idp/guardian.h"
#include "idp/registry.h"
#include "tmpstore.h"

#define G "001090012345"  /* level 2 */
#define G1 "079195012346" /* level 1 */
#define M "001216000777"  /* 9, G's */
#define T "001222000111"  /* 3, G's */
#define TEEN "001210000222" /* 15, G's */
#define O "001217000333"  /* 8, G1's */
#define PW "a long enough pass phrase 2026"

#define fx tmpstore_pol

static void put(struct fx *f, const char *id, const char *birth,
		const char *sex, const char *guardian)
{
	char json[512];

	snprintf(json, sizeof(json),
		 "{\"personal_id\":\"%s\",\"full_name\":\"Nguyễn Văn Con\","
		 "\"birthdate\":\"%s\",\"sex\":\"%s\"%s%s%s}", id, birth, sex,
		 guardian ? ",\"guardian_id\":\"" : "", guardian ? guardian : "",
		 guardian ? "\"" : "");
	tmpstore_put_citizen(f->ts.store, json);
}

static void account(struct fx *f, const char *id, const char *phone,
		    int level)
{
	struct eid_account_new a = { .personal_id = id, .phone = phone,
				     .level = level, .password = PW };
	eid_txn *t = NULL;

	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	assert_int_equal(eid_account_create(t, &f->pol, &a, tmpstore_clock_now,
					    "operator:test", NULL), EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
}

static int setup(void **state)
{
	struct fx *f;

	tmpstore_pol_setup(state);
	f = *state;
	put(f, G, "1990-03-15", "male", NULL);
	put(f, G1, "1995-11-02", "female", NULL);
	put(f, M, "2016-06-01", "male", G);
	put(f, T, "2022-01-01", "male", G);
	put(f, TEEN, "2010-01-01", "male", G);
	put(f, O, "2017-02-02", "male", G1);
	account(f, G, "0912345678", 2);
	account(f, G1, "0987654321", 1);
	return 0;
}

static int create(struct fx *f, const char *guardian, const char *minor,
		  const char *pw, char *why, size_t whylen)
{
	eid_txn *t = NULL;
	eid_buf b;
	int r;

	eid_buf_init(&b, 256);
	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	r = eid_guardian_create_minor(t, &f->pol, guardian, minor, pw,
				      tmpstore_clock_now, &b);
	(void)tmpstore_settle(t, r);
	if (why != NULL)
		tmpstore_why(&b, why, whylen);
	eid_buf_free(&b);
	return r;
}

static void test_wards(void **state)
{
	struct fx *f = *state;
	struct eid_ward w[EID_GUARDIAN_WARDS_MAX];
	size_t n = 0;
	eid_txn *t = NULL;

	assert_int_equal(create(f, G, M, PW, NULL, 0), EID_OK);
	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_guardian_wards(t, G, tmpstore_clock_now, w,
					    EID_GUARDIAN_WARDS_MAX, &n), EID_OK);
	assert_int_equal(n, 3); /* in ID order */
	assert_string_equal(w[0].personal_id, TEEN);
	assert_int_equal(w[0].age, 15);
	assert_false(w[0].may_create);
	assert_string_equal(w[1].personal_id, M);
	assert_true(w[1].has_account);
	assert_false(w[1].may_create);
	assert_string_equal(w[2].personal_id, T);
	assert_int_equal(w[2].age, 3);
	assert_true(w[2].may_create);
	assert_int_equal(eid_guardian_wards(t, G1, tmpstore_clock_now, w,
					    EID_GUARDIAN_WARDS_MAX, &n), EID_OK);
	assert_int_equal(n, 1);
	assert_int_equal(eid_guardian_wards(t, O, tmpstore_clock_now, w,
					    EID_GUARDIAN_WARDS_MAX, &n), EID_OK);
	assert_int_equal(n, 0);
	eid_txn_abort(t);

	/* The registry moves T to another guardian: the index follows. */
	put(f, T, "2022-01-01", "male", G1);
	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_guardian_wards(t, G, tmpstore_clock_now, w,
					    EID_GUARDIAN_WARDS_MAX, &n), EID_OK);
	assert_int_equal(n, 2);
	assert_int_equal(eid_guardian_wards(t, G1, tmpstore_clock_now, w,
					    EID_GUARDIAN_WARDS_MAX, &n), EID_OK);
	assert_int_equal(n, 2);
	eid_txn_abort(t);
}

struct last {
	json_t *e;
};

static int keep_last(json_t *e, void *arg)
{
	struct last *l = arg;

	json_decref(l->e);
	l->e = json_incref(e);
	return EID_OK;
}

static void test_create(void **state)
{
	struct fx *f = *state;
	struct eid_account a, g;
	struct last l = { NULL };
	eid_txn *t = NULL;

	assert_int_equal(create(f, G, M, PW, NULL, 0), EID_OK);
	assert_int_equal(create(f, G, T, PW, NULL, 0), EID_OK); /* under 6 */
	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_account_get(t, M, &a), EID_OK);
	assert_int_equal(a.level, 1);
	assert_int_equal(a.status, EID_ACCOUNT_ACTIVE);
	assert_string_equal(a.phone, "+84912345678"); /* the guardian's */
	assert_string_equal(a.guardian_id, G);
	eid_account_clear(&a);
	/* The number still finds the guardian: one number, one account. */
	assert_int_equal(eid_account_find_by_phone(t, "0912345678", &g), EID_OK);
	assert_string_equal(g.personal_id, G);
	eid_account_clear(&g);
	assert_int_equal(eid_audit_scan(t, 0, 0, keep_last, &l), EID_OK);
	assert_string_equal(json_string_value(json_object_get(l.e, "type")),
			    "account.create");
	assert_string_equal(json_string_value(json_object_get(l.e, "actor")),
			    "citizen:" G);
	assert_string_equal(json_string_value(json_object_get(l.e, "subject")),
			    T);
	json_decref(l.e);
	eid_txn_abort(t);

	/* Revoking the minor's account leaves the guardian's number alone. */
	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	assert_int_equal(eid_account_revoke(t, M, "operator:test",
					    tmpstore_clock_now), EID_OK);
	assert_int_equal(eid_account_find_by_phone(t, "0912345678", &g), EID_OK);
	assert_string_equal(g.personal_id, G);
	eid_account_clear(&g);
	eid_txn_abort(t);
}

static void test_refusals(void **state)
{
	struct fx *f = *state;
	char why[128];

	assert_int_equal(create(f, G, TEEN, PW, why, sizeof(why)), EID_EPERM);
	assert_string_equal(why, "citizens of 14 and over register themselves");
	assert_int_equal(create(f, G, O, PW, why, sizeof(why)), EID_EPERM);
	assert_string_equal(why, "the registry does not name you this citizen's guardian");
	assert_int_equal(create(f, G1, O, PW, why, sizeof(why)), EID_EPERM);
	assert_string_equal(why, "a guardian needs an active level-2 account");
	assert_int_equal(create(f, M, T, PW, why, sizeof(why)), EID_EPERM);
	assert_int_equal(create(f, G, "001216000778", PW, NULL, 0),
			 EID_ENOTFOUND);
	assert_int_equal(create(f, G, M, "short", NULL, 0), EID_EINVAL);
	assert_int_equal(create(f, G, M, PW, NULL, 0), EID_OK);
	assert_int_equal(create(f, G, M, PW, why, sizeof(why)), EID_EEXIST);
}

/* A store from before the guardian index: reindex rebuilds it. */
static void test_reindex(void **state)
{
	struct fx *f = *state;
	struct eid_ward w[EID_GUARDIAN_WARDS_MAX];
	static const char *const keys[] = { G ":" M, G ":" T, G ":" TEEN,
					    G1 ":" O };
	uint64_t records = 0;
	eid_txn *t = NULL;
	size_t n = 9;

	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(eid_txn_del(t, EID_TABLE_GUARDIANS, keys[i],
					     strlen(keys[i])), EID_OK);
	assert_int_equal(eid_guardian_wards(t, G, tmpstore_clock_now, w,
					    EID_GUARDIAN_WARDS_MAX, &n), EID_OK);
	assert_int_equal(n, 0);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	assert_int_equal(eid_registry_reindex_guardians(f->ts.store, 4, &records),
			 EID_OK);
	assert_int_equal(records, 6);
	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_guardian_wards(t, G, tmpstore_clock_now, w,
					    EID_GUARDIAN_WARDS_MAX, &n), EID_OK);
	assert_int_equal(n, 3);
	eid_txn_abort(t);
}

int main(void)
{
#define TT(fn) cmocka_unit_test_setup_teardown(fn, setup, tmpstore_pol_teardown)
	const struct CMUnitTest tests[] = {
		TT(test_wards),
		TT(test_create),
		TT(test_refusals),
		TT(test_reindex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
