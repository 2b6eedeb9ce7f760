/* Officer console sessions: idle and absolute lifetimes, sign-out, and
 * no confusion with citizens' sessions (idp/officer_session.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/officer_session.h"
#include "idp/session.h"
#include "tmpstore.h"

#define NOW ((uint64_t)TMPSTORE_NOW)

static void officer(struct eid_officer *o)
{
	memset(o, 0, sizeof(*o));
	strcpy(o->id, "hbt01");
	strcpy(o->unit, "CA-HN-HBT");
	o->role = EID_OFFICER_ROLE_OFFICER;
	o->status = EID_OFFICER_ACTIVE;
}

static void test_create_lookup_end(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_officer o;
	struct eid_officer_session os;
	struct eid_session cs;
	char cookie[EID_OFFICER_TOKEN_LEN + 1], actor[32];

	officer(&o);
	assert_int_equal(eid_officer_session_create(ts->store, &o, "10.0.0.1",
						    NOW, cookie, NULL), EID_OK);
	assert_int_equal(eid_officer_session_lookup(ts->store, cookie, NOW + 5,
						    &os), EID_OK);
	assert_string_equal(os.officer_id, "hbt01");
	assert_string_equal(os.unit, "CA-HN-HBT");
	assert_int_equal(strlen(os.csrf), EID_OFFICER_TOKEN_LEN);
	assert_int_equal(eid_officer_session_actor(&os, actor, sizeof(actor)),
			 EID_OK);
	assert_string_equal(actor, "officer:hbt01");
	/* never a citizen's session */
	assert_int_equal(eid_session_lookup(ts->store, cookie, &cs),
			 EID_ENOTFOUND);
	assert_int_equal(eid_officer_session_end(ts->store, cookie), EID_OK);
	assert_int_equal(eid_officer_session_lookup(ts->store, cookie, NOW + 6,
						    &os), EID_ENOTFOUND);
}

static void test_idle_and_absolute(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_officer o;
	struct eid_officer_session os;
	char cookie[EID_OFFICER_TOKEN_LEN + 1];
	uint64_t t = NOW;

	officer(&o);
	assert_int_equal(eid_officer_session_create(ts->store, &o, "", NOW,
						    cookie, NULL), EID_OK);
	/* used every 20 minutes: alive until the absolute end */
	while (t + 20 * 60 < NOW + EID_OFFICER_SESSION_MAX) {
		t += 20 * 60;
		assert_int_equal(eid_officer_session_lookup(ts->store, cookie,
							    t, &os), EID_OK);
	}
	assert_int_equal(eid_officer_session_lookup(ts->store, cookie,
						    NOW + EID_OFFICER_SESSION_MAX,
						    &os), EID_ENOTFOUND);
	/* a new one left alone for the idle time ends */
	assert_int_equal(eid_officer_session_create(ts->store, &o, "", NOW,
						    cookie, NULL), EID_OK);
	assert_int_equal(eid_officer_session_lookup(ts->store, cookie,
						    NOW + EID_OFFICER_SESSION_IDLE,
						    &os), EID_ENOTFOUND);
}

static void test_bad_cookies(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_officer_session os;
	struct eid_officer o;
	char cookie[EID_OFFICER_TOKEN_LEN + 1];

	assert_int_equal(eid_officer_session_lookup(ts->store, NULL, NOW, &os),
			 EID_ENOTFOUND);
	assert_int_equal(eid_officer_session_lookup(ts->store, "short", NOW, &os),
			 EID_ENOTFOUND);
	assert_int_equal(eid_officer_session_lookup(
				 ts->store,
				 "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
				 NOW, &os),
			 EID_ENOTFOUND);
	/* a disabled officer gets none */
	officer(&o);
	o.status = EID_OFFICER_DISABLED;
	assert_int_equal(eid_officer_session_create(ts->store, &o, "", NOW,
						    cookie, NULL), EID_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_lookup_end, tmpstore_setup, tmpstore_teardown),
		cmocka_unit_test_setup_teardown(test_idle_and_absolute, tmpstore_setup, tmpstore_teardown),
		cmocka_unit_test_setup_teardown(test_bad_cookies, tmpstore_setup, tmpstore_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
