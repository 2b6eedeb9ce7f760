/* Password reset through the phone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/otp.h"
#include "idp/password_reset.h"
#include "notify_fixture.h"
#include "tmpstore.h"

#define ADULT "001090012345"
#define PHONE "+84912345678"
#define OLD_PW "a quiet river at dawn"
#define NEW_PW "seven green hills tonight"
#define now tmpstore_clock_now

static const char citizen_json[] =
	"{\"personal_id\":\"" ADULT "\",\"full_name\":\"Nguyễn Văn An\","
	"\"birthdate\":\"1990-03-15\",\"sex\":\"male\"}";

struct fx {
	struct tmpstore_pol p;
	struct fake_notify fake;
	eid_notify n;
	struct eid_registration_ctx ctx;
};

static int setup(void **state)
{
	static struct fx f;
	struct eid_account_new a = { .personal_id = ADULT, .phone = PHONE,
				     .password = OLD_PW };
	struct eid_citizen c;
	eid_txn *t = NULL;

	memset(&f, 0, sizeof(f));
	tmpstore_clock_now = TMPSTORE_NOW;
	tmpstore_open(&f.p.ts, tmpstore_movable_clock);
	tmpstore_test_policy(&f.p.pol);
	fake_notify_init(&f.fake, &f.n);
	assert_int_equal(eid_citizen_parse_json(citizen_json,
						strlen(citizen_json),
						EID_CITIZEN_NO_CLOCK, &c, NULL),
			 EID_OK);
	assert_int_equal(eid_store_begin(f.p.ts.store, true, &t), EID_OK);
	assert_int_equal(eid_registry_put(t, &c), EID_OK);
	assert_int_equal(eid_account_create(t, &f.p.pol, &a, now, "test", NULL),
			 EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	f.ctx = (struct eid_registration_ctx){ .store = f.p.ts.store,
					       .notify = &f.n,
					       .policy = &f.p.pol,
					       .per_address_max = 100,
					       .per_id_max = 100,
					       .window = 3600 };
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tmpstore_close(&f->p.ts);
	return 0;
}

static int login(struct fx *f, const char *pw)
{
	struct eid_account a;
	struct eid_login_info info;
	int r = eid_account_authenticate(f->p.ts.store, &f->p.ts.reg, &f->p.pol,
					 ADULT, pw,
					 "192.0.2.9", now, &a, &info);

	eid_account_clear(&a);
	return r;
}

static void test_reset(void **state)
{
	struct fx *f = *state;
	struct eid_registration_result res;
	struct eid_account a;
	eid_txn *t = NULL;
	char code[7];

	assert_int_equal(eid_password_reset_start(&f->ctx, ADULT, "0912 345 678",
						  NULL, now, &res, NULL), EID_OK);
	assert_int_equal(f->fake.sent, 1);
	fake_notify_code(&f->fake, code);
	assert_int_equal(eid_password_reset_confirm(&f->ctx, res.id, code,
						    "password", NULL, now, NULL),
			 EID_EINVAL);
	now += 10;
	assert_int_equal(eid_password_reset_confirm(&f->ctx, res.id, code,
						    NEW_PW, NULL, now, NULL),
			 EID_OK);
	assert_int_equal(login(f, OLD_PW), EID_EAUTH);
	assert_int_equal(login(f, NEW_PW), EID_OK);
	assert_int_equal(eid_store_begin(f->p.ts.store, false, &t), EID_OK);
	assert_int_equal(eid_account_get(t, ADULT, &a), EID_OK);
	eid_txn_abort(t);
	assert_int_equal(a.sessions_revoked_before, now + 1);
	eid_account_clear(&a);
	assert_int_equal(eid_password_reset_confirm(&f->ctx, res.id, code,
						    NEW_PW, NULL, now, NULL),
			 EID_ENOTFOUND);
}

static void test_no_match_is_silent(void **state)
{
	struct fx *f = *state;
	struct eid_registration_result res;

	assert_int_equal(eid_password_reset_start(&f->ctx, ADULT, "0987654321",
						  NULL, now, &res, NULL), EID_OK);
	assert_int_equal(eid_password_reset_start(&f->ctx, "001090099999",
						  PHONE, NULL, now, &res, NULL),
			 EID_OK);
	assert_int_equal(f->fake.sent, 0);
	/* Weak passwords are told the same way; codes fail. */
	assert_int_equal(eid_password_reset_confirm(&f->ctx, res.id, "123456",
						    "password", NULL, now, NULL),
			 EID_EINVAL);
	assert_int_not_equal(eid_password_reset_confirm(&f->ctx, res.id, "123456",
							NEW_PW, NULL, now, NULL),
			     EID_OK);
	assert_int_equal(login(f, OLD_PW), EID_OK);
	assert_int_equal(eid_password_reset_start(&f->ctx, "12", PHONE, NULL,
						  now, &res, NULL),
			 EID_EMALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_match_is_silent, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
