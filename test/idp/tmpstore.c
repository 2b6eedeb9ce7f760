#define _GNU_SOURCE
#include "tmpstore.h"
#include "idp/registry.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/registry.h"

void tmpstore_open(struct tmpstore *ts, uint64_t (*now)(void *arg))
{
	struct eid_store_options so = { .now = now };

	snprintf(ts->dir, sizeof(ts->dir), "/tmp/eid-test-XXXXXX");
	assert_non_null(mkdtemp(ts->dir));
	assert_int_equal(eid_store_open(ts->dir, &so, &ts->store), EID_OK);
	assert_int_equal(eid_registry_open_local(ts->store, &ts->reg), EID_OK);
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	return remove(path);
}

void tmpstore_close(struct tmpstore *ts)
{
	eid_registry_close(&ts->reg);
	eid_store_close(ts->store);
	ts->store = NULL;
	nftw(ts->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

uint64_t tmpstore_fixed_clock(void *arg)
{
	return (uint64_t)TMPSTORE_NOW;
}

int tmpstore_setup(void **state)
{
	struct tmpstore *ts = calloc(1, sizeof(*ts));

	assert_non_null(ts);
	tmpstore_open(ts, tmpstore_fixed_clock);
	*state = ts;
	return 0;
}

int tmpstore_teardown(void **state)
{
	tmpstore_close(*state);
	free(*state);
	return 0;
}

int tmpstore_member_setup(void **state)
{
	tmpstore_open(*state, tmpstore_fixed_clock);
	return 0;
}

int tmpstore_member_teardown(void **state)
{
	tmpstore_close(*state);
	return 0;
}

int64_t tmpstore_clock_now = TMPSTORE_NOW;

uint64_t tmpstore_movable_clock(void *arg)
{
	(void)arg;
	return (uint64_t)tmpstore_clock_now;
}

void tmpstore_test_policy(struct eid_account_policy *pol)
{
	memset(pol, 0, sizeof(*pol));
	pol->password = (struct eid_password_params){
		.memory_kib = 64, .iterations = 1, .parallelism = 1,
		.min_length = 12, .max_length = 128,
	};
	pol->lockout = (struct eid_lockout_params){
		.max_failures = 5, .base_delay = 30, .max_delay = 3600,
		.per_address_max = 20, .per_address_window = 900,
	};
}

int tmpstore_pol_setup(void **state)
{
	struct tmpstore_pol *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	tmpstore_clock_now = TMPSTORE_NOW;
	tmpstore_open(&f->ts, tmpstore_movable_clock);
	tmpstore_test_policy(&f->pol);
	*state = f;
	return 0;
}

int tmpstore_pol_teardown(void **state)
{
	struct tmpstore_pol *f = *state;

	tmpstore_close(&f->ts);
	free(f);
	return 0;
}

void tmpstore_put_citizen(eid_store *s, const char *json)
{
	struct eid_citizen c;
	eid_txn *t = NULL;

	assert_int_equal(eid_citizen_parse_json(json, strlen(json),
						EID_CITIZEN_NO_CLOCK, &c, NULL),
			 EID_OK);
	assert_int_equal(eid_store_begin(s, true, &t), EID_OK);
	assert_int_equal(eid_registry_put(t, &c), EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
}

int tmpstore_settle(eid_txn *t, int r)
{
	if (r == EID_OK)
		assert_int_equal(eid_txn_commit(t), EID_OK);
	else
		eid_txn_abort(t);
	return r;
}

void tmpstore_why(eid_buf *why, char *out, size_t cap)
{
	snprintf(out, cap, "%s", why->len ? eid_buf_cstr(why) : "");
}
