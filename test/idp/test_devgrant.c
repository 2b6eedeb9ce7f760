#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/devgrant.h"
#include "tmpstore.h"

#define CLIENT "tv-one"
#define OTHER "tv-two"
#define TTL 600
#define INTERVAL 5

struct req {
	char code[EID_DEVGRANT_CODE_LEN + 1];
	char user[EID_DEVGRANT_USER_CODE_LEN + 1];
};

static void start(eid_store *s, struct req *q)
{
	assert_int_equal(eid_devgrant_start(s, CLIENT, "openid profile", 3, 1,
					    (uint64_t)tmpstore_clock_now, TTL,
					    INTERVAL, q->code, q->user),
			 EID_OK);
	assert_int_equal(strlen(q->code), EID_DEVGRANT_CODE_LEN);
	assert_int_equal(strlen(q->user), EID_DEVGRANT_USER_CODE_LEN);
}

static void sample_grant(struct eid_grant *g)
{
	memset(g, 0, sizeof(*g));
	g->personal_id = "001099012345";
	g->client_id = CLIENT;
	g->scope = "openid profile";
	g->acr = "urn:eid:loa:1";
	g->sid = "sess-1";
	g->auth_time = (uint64_t)TMPSTORE_NOW - 5;
}

static int poll(eid_store *s, const char *code, const char *client,
		struct eid_grant *g)
{
	return eid_devgrant_poll(s, code, client,
				 (uint64_t)tmpstore_clock_now, g);
}

static void test_user_code_alphabet(void **state)
{
	char c[EID_DEVGRANT_USER_CODE_LEN + 1];
	struct tmpstore *ts = *state;
	unsigned seen[26] = { 0 };
	struct req q;

	for (int i = 0; i < 200; i++) {
		start(ts->store, &q);
		for (size_t k = 0; k < EID_DEVGRANT_USER_CODE_LEN; k++) {
			assert_non_null(strchr(EID_DEVGRANT_ALPHABET,
					       q.user[k]));
			seen[q.user[k] - 'A']++;
		}
		assert_int_equal(eid_devgrant_user_code_normalise(q.user, c),
				 EID_OK);
		assert_string_equal(c, q.user);
	}
	/* 1600 letters: every one of the 20 shows up. */
	for (const char *a = EID_DEVGRANT_ALPHABET; *a != '\0'; a++)
		assert_true(seen[*a - 'A'] > 0);
	assert_int_equal(seen['A' - 'A'] + seen['E' - 'A'] + seen['I' - 'A'] +
			 seen['O' - 'A'] + seen['U' - 'A'] + seen['Y' - 'A'], 0);
}

static void test_normalise(void **state)
{
	char c[EID_DEVGRANT_USER_CODE_LEN + 1], shown[10];

	(void)state;
	assert_int_equal(eid_devgrant_user_code_normalise("wdjb-mjht", c),
			 EID_OK);
	assert_string_equal(c, "WDJBMJHT");
	assert_int_equal(eid_devgrant_user_code_normalise(" W D J B - M J H T ",
							  c), EID_OK);
	assert_string_equal(c, "WDJBMJHT");
	eid_devgrant_user_code_show(c, shown);
	assert_string_equal(shown, "WDJB-MJHT");
	/* A vowel, a digit, too short, too long, other punctuation. */
	assert_int_equal(eid_devgrant_user_code_normalise("WDJB-MJHA", c),
			 EID_EMALFORMED);
	assert_int_equal(eid_devgrant_user_code_normalise("WDJB-MJH1", c),
			 EID_EMALFORMED);
	assert_int_equal(eid_devgrant_user_code_normalise("WDJB-MJH", c),
			 EID_EMALFORMED);
	assert_int_equal(eid_devgrant_user_code_normalise("WDJB-MJHTB", c),
			 EID_EMALFORMED);
	assert_int_equal(eid_devgrant_user_code_normalise("WDJB_MJHT", c),
			 EID_EMALFORMED);
	assert_int_equal(eid_devgrant_user_code_normalise("", c),
			 EID_EMALFORMED);
	assert_int_equal(eid_devgrant_user_code_normalise(NULL, c),
			 EID_EMALFORMED);
}

static void test_approve_single_use(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_devgrant d;
	struct eid_grant g, got = { 0 };
	struct req q;

	start(ts->store, &q);
	assert_int_equal(eid_devgrant_by_user_code(ts->store, q.user, &d),
			 EID_OK);
	assert_string_equal(d.client_id, CLIENT);
	assert_string_equal(d.scope, "openid profile");
	assert_int_equal(d.acr_level, 1);
	assert_int_equal(poll(ts->store, q.code, CLIENT, &got), EID_ESTATE);
	sample_grant(&g);
	tmpstore_clock_now += INTERVAL;
	assert_int_equal(eid_devgrant_decide(ts->store, q.user, true, &g),
			 EID_OK);
	/* Decided: the user code names nothing any more. */
	assert_int_equal(eid_devgrant_by_user_code(ts->store, q.user, &d),
			 EID_ENOTFOUND);
	assert_int_equal(eid_devgrant_decide(ts->store, q.user, false, NULL),
			 EID_ENOTFOUND);
	assert_int_equal(poll(ts->store, q.code, CLIENT, &got), EID_OK);
	assert_string_equal(got.personal_id, "001099012345");
	assert_string_equal(got.scope, "openid profile");
	assert_string_equal(got.acr, "urn:eid:loa:1");
	assert_int_equal(got.auth_time, (uint64_t)TMPSTORE_NOW - 5);
	assert_int_equal(strlen(got.id), EID_GRANT_ID_LEN);
	eid_grant_clear(&got);
	tmpstore_clock_now += INTERVAL;
	assert_int_equal(poll(ts->store, q.code, CLIENT, &got), EID_EREPLAY);
}

static void test_deny(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_grant got = { 0 };
	struct req q;

	start(ts->store, &q);
	assert_int_equal(eid_devgrant_decide(ts->store, q.user, false, NULL),
			 EID_OK);
	assert_int_equal(poll(ts->store, q.code, CLIENT, &got), EID_EPERM);
	assert_int_equal(poll(ts->store, q.code, CLIENT, &got), EID_EREPLAY);
}

static void test_slow_down(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_devgrant d;
	struct eid_grant got = { 0 };
	struct req q;

	start(ts->store, &q);
	assert_int_equal(poll(ts->store, q.code, CLIENT, &got), EID_ESTATE);
	tmpstore_clock_now += INTERVAL - 1;
	assert_int_equal(poll(ts->store, q.code, CLIENT, &got), EID_ELIMIT);
	assert_int_equal(eid_devgrant_by_user_code(ts->store, q.user, &d),
			 EID_OK);
	assert_int_equal(d.interval, INTERVAL + EID_DEVGRANT_SLOW_DOWN);
	/* The old interval is not enough any more. */
	tmpstore_clock_now += INTERVAL;
	assert_int_equal(poll(ts->store, q.code, CLIENT, &got), EID_ELIMIT);
	tmpstore_clock_now += INTERVAL + 2 * EID_DEVGRANT_SLOW_DOWN;
	assert_int_equal(poll(ts->store, q.code, CLIENT, &got), EID_ESTATE);
}

static void test_expiry(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_devgrant d;
	struct eid_grant g, got = { 0 };
	struct req q;

	start(ts->store, &q);
	tmpstore_clock_now += TTL;
	sample_grant(&g);
	assert_int_equal(eid_devgrant_by_user_code(ts->store, q.user, &d),
			 EID_ENOTFOUND);
	assert_int_equal(eid_devgrant_decide(ts->store, q.user, true, &g),
			 EID_ENOTFOUND);
	assert_int_equal(poll(ts->store, q.code, CLIENT, &got), EID_EEXPIRED);
	/* Long after: an unknown code. */
	tmpstore_clock_now += EID_DEVGRANT_GRACE;
	assert_int_equal(poll(ts->store, q.code, CLIENT, &got), EID_ENOTFOUND);
}

static void test_other_client_and_unknown(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_grant g, got = { 0 };
	struct req q;
	char fake[EID_DEVGRANT_CODE_LEN + 1];

	start(ts->store, &q);
	sample_grant(&g);
	assert_int_equal(eid_devgrant_decide(ts->store, q.user, true, &g),
			 EID_OK);
	assert_int_equal(eid_devgrant_decide(ts->store, q.user, true, &g),
			 EID_ENOTFOUND);
	/* Another client's poll neither redeems nor spoils the code. */
	assert_int_equal(poll(ts->store, q.code, OTHER, &got), EID_EMISMATCH);
	memset(fake, 'A', EID_DEVGRANT_CODE_LEN);
	fake[EID_DEVGRANT_CODE_LEN] = '\0';
	assert_int_equal(poll(ts->store, fake, CLIENT, &got), EID_ENOTFOUND);
	assert_int_equal(poll(ts->store, "short", CLIENT, &got),
			 EID_EMALFORMED);
	assert_int_equal(poll(ts->store, q.code, CLIENT, &got), EID_OK);
	eid_grant_clear(&got);
	assert_int_equal(eid_devgrant_by_user_code(ts->store, "BCDFGHJK", NULL),
			 EID_ENOTFOUND);
}

/* *state is a struct tmpstore_pol, whose first member is the store. */
#define T(fn) \
	cmocka_unit_test_setup_teardown(fn, tmpstore_pol_setup, tmpstore_pol_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_user_code_alphabet),
		T(test_normalise),
		T(test_approve_single_use),
		T(test_deny),
		T(test_slow_down),
		T(test_expiry),
		T(test_other_client_and_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
