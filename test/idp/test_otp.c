/* One-time codes: single use, expiry, attempts, the resend throttle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/otp.h"
#include "notify_fixture.h"
#include "tmpstore.h"

#define PHONE "+84912345678"
#define now tmpstore_clock_now

struct fx {
	struct tmpstore_pol p; /* first: tmpstore_pol_* work on it */
	struct fake_notify fake;
	eid_notify n;
};

static int setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof(f));
	tmpstore_clock_now = TMPSTORE_NOW;
	tmpstore_open(&f.p.ts, tmpstore_movable_clock);
	fake_notify_init(&f.fake, &f.n);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tmpstore_close(&f->p.ts);
	return 0;
}

static void issue(struct fx *f, const char *subject, char code[7])
{
	assert_int_equal(eid_otp_issue(f->p.ts.store, EID_OTP_REGISTER, subject,
				       PHONE, &f->n, now, NULL), EID_OK);
	fake_notify_code(&f->fake, code);
	assert_string_equal(f->fake.phone, PHONE);
}

static void wrong_of(const char code[7], char out[7])
{
	memcpy(out, code, 7);
	out[5] = (char)(out[5] == '9' ? '0' : out[5] + 1);
}

static void test_right_code_once(void **state)
{
	struct fx *f = *state;
	eid_store *s = f->p.ts.store;
	char code[7];

	issue(f, "reg1", code);
	assert_non_null(strstr(f->fake.text, code));
	/* Another purpose, another subject: not the same code. */
	assert_int_equal(eid_otp_check(s, EID_OTP_RESET, "reg1", code, now),
			 EID_ENOTFOUND);
	assert_int_equal(eid_otp_check(s, EID_OTP_REGISTER, "reg2", code, now),
			 EID_ENOTFOUND);
	assert_int_equal(eid_otp_check(s, EID_OTP_REGISTER, "reg1", code, now),
			 EID_OK);
	assert_int_equal(eid_otp_check(s, EID_OTP_REGISTER, "reg1", code, now),
			 EID_EREPLAY);
}

static void test_wrong_then_burnt(void **state)
{
	struct fx *f = *state;
	eid_store *s = f->p.ts.store;
	char code[7], wrong[7];

	issue(f, "reg1", code);
	wrong_of(code, wrong);
	assert_int_equal(eid_otp_check(s, EID_OTP_REGISTER, "reg1", "12a456", now),
			 EID_EAUTH);
	for (int i = 1; i < EID_OTP_MAX_ATTEMPTS; i++)
		assert_int_equal(eid_otp_check(s, EID_OTP_REGISTER, "reg1",
					       wrong, now), EID_EAUTH);
	/* The attempts are spent: even the right code is refused now. */
	assert_int_equal(eid_otp_check(s, EID_OTP_REGISTER, "reg1", code, now),
			 EID_ELIMIT);
}

static void test_expiry(void **state)
{
	struct fx *f = *state;
	eid_store *s = f->p.ts.store;
	char code[7];

	issue(f, "reg1", code);
	now += EID_OTP_TTL - 1;
	issue(f, "reg2", code); /* another phone interval has passed */
	now += EID_OTP_TTL;
	assert_int_equal(eid_otp_check(s, EID_OTP_REGISTER, "reg2", code, now),
			 EID_EEXPIRED);
	now += 2 * 3600;
	assert_int_equal(eid_otp_check(s, EID_OTP_REGISTER, "reg2", code, now),
			 EID_ENOTFOUND);
}

static void test_resend_throttle(void **state)
{
	struct fx *f = *state;
	eid_store *s = f->p.ts.store;
	uint64_t wait = 0;
	char first[7], code[7];

	issue(f, "reg1", first);
	now += 10;
	assert_int_equal(eid_otp_issue(s, EID_OTP_REGISTER, "reg1", PHONE,
				       &f->n, now, &wait), EID_ELIMIT);
	assert_int_equal(wait, EID_OTP_RESEND_INTERVAL - 10);
	/* The interval is per phone, whatever the purpose. */
	assert_int_equal(eid_otp_issue(s, EID_OTP_RESET, "x", PHONE, &f->n,
				       now, &wait), EID_ELIMIT);
	for (int i = 1; i < EID_OTP_MAX_PER_HOUR; i++) {
		now += EID_OTP_RESEND_INTERVAL;
		issue(f, "reg1", code);
	}
	/* A new code replaces the old one. */
	if (strcmp(first, code) != 0)
		assert_int_equal(eid_otp_check(s, EID_OTP_REGISTER, "reg1",
					       first, now), EID_EAUTH);
	now += EID_OTP_RESEND_INTERVAL;
	assert_int_equal(eid_otp_issue(s, EID_OTP_REGISTER, "reg1", PHONE,
				       &f->n, now, &wait), EID_ELIMIT);
	assert_int_equal(f->fake.sent, EID_OTP_MAX_PER_HOUR);
	now += 3600;
	issue(f, "reg1", code);
	assert_int_equal(eid_otp_check(s, EID_OTP_REGISTER, "reg1", code, now),
			 EID_OK);
}

static void test_silent_and_failing_gateway(void **state)
{
	struct fx *f = *state;
	eid_store *s = f->p.ts.store;

	assert_int_equal(eid_otp_issue(s, EID_OTP_STEPUP, "sid", PHONE, NULL,
				       now, NULL), EID_OK);
	assert_int_equal(f->fake.sent, 0);
	/* Stored all the same (one in a million, "000000" is the code). */
	assert_int_not_equal(eid_otp_check(s, EID_OTP_STEPUP, "sid", "000000",
					   now), EID_ENOTFOUND);
	now += EID_OTP_RESEND_INTERVAL;
	f->fake.fail = EID_ENETWORK;
	assert_int_equal(eid_otp_issue(s, EID_OTP_STEPUP, "sid", PHONE, &f->n,
				       now, NULL), EID_ENETWORK);
	/* A code that was never sent is withdrawn. */
	assert_int_equal(eid_otp_check(s, EID_OTP_STEPUP, "sid", "000000", now),
			 EID_ENOTFOUND);
}

static void test_bad_arguments(void **state)
{
	struct fx *f = *state;
	eid_store *s = f->p.ts.store;
	char longsub[EID_OTP_SUBJECT_MAX + 2];

	memset(longsub, 'a', sizeof(longsub) - 1);
	longsub[sizeof(longsub) - 1] = '\0';
	assert_int_equal(eid_otp_issue(s, EID_OTP_REGISTER, "", PHONE, &f->n,
				       now, NULL), EID_EINVAL);
	assert_int_equal(eid_otp_issue(s, EID_OTP_REGISTER, "a|b", PHONE,
				       &f->n, now, NULL), EID_EINVAL);
	assert_int_equal(eid_otp_issue(s, EID_OTP_REGISTER, longsub, PHONE,
				       &f->n, now, NULL), EID_EINVAL);
	assert_int_equal(eid_otp_issue(s, (enum eid_otp_purpose)7, "x", PHONE,
				       &f->n, now, NULL), EID_EINVAL);
	assert_int_equal(eid_otp_check(s, EID_OTP_REGISTER, NULL, "123456", now),
			 EID_EINVAL);
	assert_string_equal(eid_otp_purpose_name(EID_OTP_STEPUP), "stepup");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_right_code_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_then_burnt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resend_throttle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_and_failing_gateway,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
