#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/session.h"
#include "tmpstore.h"

static uint64_t clock_now = 1800000000;

static uint64_t test_now(void *arg)
{
	(void)arg;
	return clock_now;
}

static int setup(void **state)
{
	struct tmpstore *ts = calloc(1, sizeof(*ts));

	assert_non_null(ts);
	clock_now = 1800000000;
	tmpstore_open(ts, test_now);
	*state = ts;
	return 0;
}

static int teardown(void **state)
{
	tmpstore_close(*state);
	free(*state);
	return 0;
}

static void test_create_lookup_end(void **state)
{
	struct tmpstore *ts = *state;
	char cookie[EID_SESSION_TOKEN_LEN + 1];
	struct eid_session ses, got;

	assert_int_equal(eid_session_create(ts->store, "001090012345", 1, "pwd",
					    "127.0.0.1", clock_now, 3600, cookie,
					    &ses), EID_OK);
	assert_int_equal(strlen(cookie), EID_SESSION_TOKEN_LEN);
	assert_int_equal(strlen(ses.sid), EID_SESSION_SID_LEN);
	assert_int_equal(eid_session_lookup(ts->store, cookie, &got), EID_OK);
	assert_string_equal(got.personal_id, "001090012345");
	assert_string_equal(got.sid, ses.sid);
	assert_string_equal(got.amr, "pwd");
	assert_int_equal(got.level, 1);
	assert_int_equal(got.expires_at, clock_now + 3600);
	assert_string_equal(got.csrf, ses.csrf);

	assert_int_equal(eid_session_end(ts->store, cookie), EID_OK);
	assert_int_equal(eid_session_lookup(ts->store, cookie, &got), EID_ENOTFOUND);
	assert_int_equal(eid_session_end(ts->store, cookie), EID_ENOTFOUND);
}

static void test_bad_cookies(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_session got;
	char cookie[EID_SESSION_TOKEN_LEN + 1];

	assert_int_equal(eid_session_lookup(ts->store, NULL, &got), EID_ENOTFOUND);
	assert_int_equal(eid_session_lookup(ts->store, "", &got), EID_ENOTFOUND);
	assert_int_equal(eid_session_lookup(ts->store, "short", &got), EID_ENOTFOUND);
	memset(cookie, 'A', EID_SESSION_TOKEN_LEN);
	cookie[EID_SESSION_TOKEN_LEN] = '\0';
	assert_int_equal(eid_session_lookup(ts->store, cookie, &got), EID_ENOTFOUND);
	cookie[5] = '%';
	assert_int_equal(eid_session_lookup(ts->store, cookie, &got), EID_ENOTFOUND);
	assert_int_equal(eid_session_create(ts->store, "12345", 1, "pwd", "",
					    clock_now, 60, cookie, NULL), EID_EINVAL);
	assert_int_equal(eid_session_create(ts->store, "001090012345", 3, "pwd", "",
					    clock_now, 60, cookie, NULL), EID_EINVAL);
}

static void test_expiry(void **state)
{
	struct tmpstore *ts = *state;
	char cookie[EID_SESSION_TOKEN_LEN + 1];
	struct eid_session got;

	assert_int_equal(eid_session_create(ts->store, "001090012345", 1, "pwd",
					    "", clock_now, 100, cookie, NULL), EID_OK);
	clock_now += 99;
	assert_int_equal(eid_session_lookup(ts->store, cookie, &got), EID_OK);
	clock_now += 1;
	assert_int_equal(eid_session_lookup(ts->store, cookie, &got), EID_ENOTFOUND);
}

static void test_raise(void **state)
{
	struct tmpstore *ts = *state;
	char cookie[EID_SESSION_TOKEN_LEN + 1];
	struct eid_session got;

	assert_int_equal(eid_session_create(ts->store, "001090012345", 1, "pwd",
					    "", clock_now, 600, cookie, NULL), EID_OK);
	clock_now += 10;
	assert_int_equal(eid_session_raise(ts->store, cookie, 2, "otp", clock_now),
			 EID_OK);
	assert_int_equal(eid_session_raise(ts->store, cookie, 2, "otp", clock_now),
			 EID_OK);
	assert_int_equal(eid_session_lookup(ts->store, cookie, &got), EID_OK);
	assert_int_equal(got.level, 2);
	assert_string_equal(got.amr, "pwd otp");
	assert_int_equal(got.auth_time, clock_now);
	assert_int_equal(got.expires_at, clock_now - 10 + 600);
}

struct seen {
	int n;
	char sid[4][EID_SESSION_SID_LEN + 1];
};

static int count_one(const struct eid_session *ses, void *arg)
{
	struct seen *s = arg;

	if (s->n < 4)
		strcpy(s->sid[s->n], ses->sid);
	s->n++;
	return EID_OK;
}

static void test_list_and_end_all(void **state)
{
	struct tmpstore *ts = *state;
	char c1[EID_SESSION_TOKEN_LEN + 1], c2[EID_SESSION_TOKEN_LEN + 1],
		c3[EID_SESSION_TOKEN_LEN + 1];
	struct eid_session s1, got;
	struct seen seen = { 0 };
	unsigned ended = 0;

	assert_int_equal(eid_session_create(ts->store, "001090012345", 1, "pwd",
					    "", clock_now, 600, c1, &s1), EID_OK);
	assert_int_equal(eid_session_create(ts->store, "001090012345", 1, "pwd",
					    "", clock_now, 600, c2, NULL), EID_OK);
	assert_int_equal(eid_session_create(ts->store, "079195012346", 1, "pwd",
					    "", clock_now, 600, c3, NULL), EID_OK);
	assert_int_equal(eid_session_list(ts->store, "001090012345", count_one,
					  &seen), EID_OK);
	assert_int_equal(seen.n, 2);

	/* The citizen ends one session from the list. */
	assert_int_equal(eid_session_end_sid(ts->store, "001090012345", s1.sid),
			 EID_OK);
	assert_int_equal(eid_session_lookup(ts->store, c1, &got), EID_ENOTFOUND);
	/* Someone else's sid does not end anything. */
	assert_int_equal(eid_session_end_sid(ts->store, "079195012346", s1.sid),
			 EID_ENOTFOUND);

	/* Locking the account ends the rest; the other citizen is untouched. */
	assert_int_equal(eid_session_end_all(ts->store, "001090012345", &ended),
			 EID_OK);
	assert_int_equal(ended, 1);
	assert_int_equal(eid_session_lookup(ts->store, c2, &got), EID_ENOTFOUND);
	assert_int_equal(eid_session_lookup(ts->store, c3, &got), EID_OK);
	seen.n = 0;
	assert_int_equal(eid_session_list(ts->store, "001090012345", count_one,
					  &seen), EID_OK);
	assert_int_equal(seen.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_lookup_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_cookies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_and_end_all, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
