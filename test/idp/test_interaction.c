#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/interaction.h"
#include "tmpstore.h"

#define CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

static int setup(void **state)
{
	struct tmpstore *ts = calloc(1, sizeof(*ts));

	assert_non_null(ts);
	tmpstore_clock_now = TMPSTORE_NOW;
	tmpstore_open(ts, tmpstore_movable_clock);
	*state = ts;
	return 0;
}

static int teardown(void **state)
{
	tmpstore_close(*state);
	free(*state);
	return 0;
}

/* A new interaction for a sample request, into id. */
static void create(eid_store *s, char id[EID_INTERACTION_ID_LEN + 1])
{
	struct eid_authz_request r;

	memset(&r, 0, sizeof(r));
	r.client_id = "rp";
	r.redirect_uri = "https://rp.example/cb";
	r.scope = "openid";
	r.scopes = 1;
	r.state = "st";
	r.code_challenge = CHALLENGE;
	r.max_age = -1;
	r.acr_level = 2;
	assert_int_equal(eid_interaction_create(s, &r,
						(uint64_t)tmpstore_clock_now,
						id), EID_OK);
}

static void test_round_trip_and_expiry(void **state)
{
	eid_store *s = ((struct tmpstore *)*state)->store;
	char id[EID_INTERACTION_ID_LEN + 1];
	struct eid_interaction it;

	create(s, id);
	assert_int_equal(strlen(id), EID_INTERACTION_ID_LEN);
	assert_int_equal(eid_interaction_get(s, id, &it), EID_OK);
	assert_string_equal(it.id, id);
	assert_string_equal(it.req.client_id, "rp");
	assert_string_equal(it.req.state, "st");
	assert_int_equal(it.req.acr_level, 2);
	assert_string_equal(it.login_sid, "");
	eid_interaction_clear(&it);

	assert_int_equal(eid_interaction_set_login(s, id, "sid-1"), EID_OK);
	assert_int_equal(eid_interaction_get(s, id, &it), EID_OK);
	assert_string_equal(it.login_sid, "sid-1");
	eid_interaction_clear(&it);

	tmpstore_clock_now += EID_INTERACTION_TTL + 1;
	assert_int_equal(eid_interaction_get(s, id, &it), EID_ENOTFOUND);
}

static void test_end_and_bad_ids(void **state)
{
	eid_store *s = ((struct tmpstore *)*state)->store;
	char id[EID_INTERACTION_ID_LEN + 1];
	struct eid_interaction it;

	create(s, id);
	assert_int_equal(eid_interaction_end(s, id), EID_OK);
	assert_int_equal(eid_interaction_get(s, id, &it), EID_ENOTFOUND);
	assert_int_equal(eid_interaction_get(s, NULL, &it), EID_ENOTFOUND);
	assert_int_equal(eid_interaction_get(s, "short", &it), EID_ENOTFOUND);
	assert_int_equal(eid_interaction_get(s, "!!!!!!!!!!!!!!!!!!!!!!!!!!"
					     "!!!!!!!!!!!!!!!!!", &it),
			 EID_ENOTFOUND);
}

static void test_session_clients(void **state)
{
	eid_store *s = ((struct tmpstore *)*state)->store;
	uint64_t exp = (uint64_t)tmpstore_clock_now + 3600;
	json_t *list = NULL;
	char id[16];

	assert_int_equal(eid_session_rp_add(s, "sid-1", "rp-a", exp), EID_OK);
	assert_int_equal(eid_session_rp_add(s, "sid-1", "rp-b", exp), EID_OK);
	assert_int_equal(eid_session_rp_add(s, "sid-1", "rp-a", exp), EID_OK);
	assert_int_equal(eid_session_rp_add(s, "sid-2", "rp-c", exp), EID_OK);
	assert_int_equal(eid_session_rp_take(s, "sid-1", &list), EID_OK);
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(json_string_value(json_array_get(list, 0)), "rp-a");
	assert_string_equal(json_string_value(json_array_get(list, 1)), "rp-b");
	json_decref(list);
	/* Taken: a second logout finds nothing to tell. */
	assert_int_equal(eid_session_rp_take(s, "sid-1", &list), EID_OK);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	/* Bounded. */
	for (int i = 0; i < EID_SESSION_RPS_MAX; i++) {
		snprintf(id, sizeof(id), "c%d", i);
		assert_int_equal(eid_session_rp_add(s, "sid-3", id, exp), EID_OK);
	}
	assert_int_equal(eid_session_rp_add(s, "sid-3", "one-more", exp),
			 EID_EFULL);
	assert_int_equal(eid_session_rp_add(s, "", "rp", exp), EID_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip_and_expiry,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_and_bad_ids, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_session_clients, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
