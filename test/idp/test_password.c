#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/config.h"
#include "idp/password.h"

static unsigned calls;

static void count_call(void *arg)
{
	(void)arg;
	calls++;
}

/* Small Argon2 parameters: the tests check behaviour, not cost. */
static struct eid_password_params small(void)
{
	struct eid_password_params p = {
		.memory_kib = 64, .iterations = 1, .parallelism = 1,
		.min_length = 12, .max_length = 128,
		.on_argon2 = count_call,
	};
	return p;
}

static void test_defaults_from_config(void **state)
{
	struct eid_config c;
	struct eid_password_params p;

	assert_int_equal(eid_config_defaults(&c), EID_OK);
	eid_password_params_from_config(&c, &p);
	assert_int_equal(p.memory_kib, 19456);
	assert_int_equal(p.iterations, 2);
	assert_int_equal(p.parallelism, 1);
	assert_int_equal(p.min_length, 12);
	assert_int_equal(p.max_length, 128);
	eid_config_free(&c);
}

static void test_hash_and_verify(void **state)
{
	struct eid_password_params p = small();
	char phc[EID_PASSWORD_PHC_MAX + 1], phc2[EID_PASSWORD_PHC_MAX + 1];
	const char *pw = "correct horse battery";

	assert_int_equal(eid_password_hash(&p, pw, strlen(pw), phc), EID_OK);
	assert_true(strncmp(phc, "$argon2id$v=19$m=64,t=1,p=1$", 28) == 0);
	assert_int_equal(eid_password_verify(&p, phc, pw, strlen(pw)), EID_OK);
	assert_int_equal(eid_password_verify(&p, phc, "correct horse batterY", 21),
			 EID_EAUTH);
	/* A fresh salt every time. */
	assert_int_equal(eid_password_hash(&p, pw, strlen(pw), phc2), EID_OK);
	assert_string_not_equal(phc, phc2);
	assert_int_equal(eid_password_verify(&p, "$2y$10$abc", pw, strlen(pw)),
			 EID_EMALFORMED);
}

static void test_needs_rehash(void **state)
{
	struct eid_password_params p = small(), q;
	char phc[EID_PASSWORD_PHC_MAX + 1];

	assert_int_equal(eid_password_hash(&p, "abc", 3, phc), EID_OK);
	assert_false(eid_password_needs_rehash(phc, &p));
	q = p;
	q.memory_kib = 128;
	assert_true(eid_password_needs_rehash(phc, &q));
	q = p;
	q.iterations = 2;
	assert_true(eid_password_needs_rehash(phc, &q));
	q = p;
	q.parallelism = 2;
	assert_true(eid_password_needs_rehash(phc, &q));
	assert_true(eid_password_needs_rehash("$argon2i$v=19$m=64,t=1,p=1$x$y", &p));
	assert_true(eid_password_needs_rehash("", &p));
}

/* The dummy path does real Argon2 work, once, like a verification. */
static void test_dummy_does_the_work(void **state)
{
	struct eid_password_params p = small();
	char phc[EID_PASSWORD_PHC_MAX + 1];

	assert_int_equal(eid_password_hash(&p, "x", 1, phc), EID_OK);
	calls = 0;
	assert_int_equal(eid_password_verify_dummy(&p, "guess", 5), EID_EAUTH);
	assert_int_equal(calls, 1);
	assert_int_equal(eid_password_verify(&p, phc, "guess", 5), EID_EAUTH);
	assert_int_equal(calls, 2);
	/* A stored value that is not ours still costs one computation. */
	assert_int_equal(eid_password_verify(&p, "garbage", "guess", 5),
			 EID_EMALFORMED);
	assert_int_equal(calls, 3);
}

static int policy(const char *pw, const struct eid_password_context *ctx,
		  char *why, size_t whylen)
{
	struct eid_password_params p = small();
	eid_buf b;
	int r;

	eid_buf_init(&b, 256);
	r = eid_password_check_policy(&p, pw, strlen(pw), ctx, &b);
	snprintf(why, whylen, "%s", b.len ? eid_buf_cstr(&b) : "");
	eid_buf_free(&b);
	return r;
}

static void test_policy_length_in_code_points(void **state)
{
	char why[256];
	char longpw[200];

	/* 11 code points in 22 bytes: too short although 22 bytes. */
	assert_int_equal(policy("ẩẩẩẩẩbcdefg", NULL, why, sizeof(why)),
			 EID_EINVAL);
	assert_non_null(strstr(why, "shorter than 12"));
	/* 12 Vietnamese code points: fine. */
	assert_int_equal(policy("Đường phố Huế", NULL, why, sizeof(why)), EID_OK);
	memset(longpw, 'a', sizeof(longpw) - 1);
	longpw[sizeof(longpw) - 1] = '\0';
	for (size_t i = 0; i < sizeof(longpw) - 1; i++)
		longpw[i] = (char)('a' + i % 26);
	assert_int_equal(policy(longpw, NULL, why, sizeof(why)), EID_EINVAL);
	assert_non_null(strstr(why, "longer than 128"));
}

static void test_policy_refusals(void **state)
{
	struct eid_date birth = { 1990, 3, 15 };
	struct eid_password_context ctx = {
		.personal_id = "001090012345",
		.phone = "+84912345678",
		.birthdate = &birth,
	};
	char why[256];

	assert_int_equal(policy("bad\x01 control char", NULL, why, sizeof(why)),
			 EID_EINVAL);
	assert_int_equal(policy("\xff\xfe invalid utf8 x", NULL, why, sizeof(why)),
			 EID_EINVAL);
	assert_int_equal(policy("aaaaaaaaaaaaaaaa", NULL, why, sizeof(why)),
			 EID_EINVAL);
	assert_int_equal(policy("Password1234", NULL, why, sizeof(why)),
			 EID_EINVAL);
	assert_non_null(strstr(why, "most common"));
	assert_int_equal(policy("QWERTYUIOP123", NULL, why, sizeof(why)),
			 EID_EINVAL);
	assert_int_equal(policy("id001090012345!", &ctx, why, sizeof(why)),
			 EID_EINVAL);
	assert_non_null(strstr(why, "personal ID"));
	assert_int_equal(policy("call me 0912-345-678", &ctx, why, sizeof(why)),
			 EID_EINVAL);
	assert_non_null(strstr(why, "phone"));
	assert_int_equal(policy("born 15/03/1990 ok", &ctx, why, sizeof(why)),
			 EID_EINVAL);
	assert_non_null(strstr(why, "date of birth"));
	assert_int_equal(policy("born 1990-03-15 ok", &ctx, why, sizeof(why)),
			 EID_EINVAL);
	assert_int_equal(policy("a quiet river at dawn", &ctx, why, sizeof(why)),
			 EID_OK);
}

static void test_config_checks(void **state)
{
	struct eid_config c;
	eid_buf err;

	assert_int_equal(eid_config_defaults(&c), EID_OK);
	eid_buf_init(&err, 512);
	assert_int_equal(eid_config_load_string(&c, "t",
						"[passwords]\nmin_length = 40\n"
						"max_length = 20\n", &err),
			 EID_ECONFIG);
	assert_non_null(strstr(eid_buf_cstr(&err), "t:3: min_length"));
	eid_buf_reset(&err);
	assert_int_equal(eid_config_load_string(&c, "t",
						"[lockout]\nbase_delay = 2h\n",
						&err),
			 EID_ECONFIG);
	eid_buf_reset(&err);
	assert_int_equal(eid_config_load_string(&c, "t",
						"[passwords]\nmemory_kib = 64\n"
						"iterations = 1\n[lockout]\n"
						"max_failures = 3\n", &err),
			 EID_OK);
	assert_int_equal(c.passwords.memory_kib, 64);
	assert_int_equal(c.lockout.max_failures, 3);
	eid_buf_free(&err);
	eid_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_from_config),
		cmocka_unit_test(test_hash_and_verify),
		cmocka_unit_test(test_needs_rehash),
		cmocka_unit_test(test_dummy_does_the_work),
		cmocka_unit_test(test_policy_length_in_code_points),
		cmocka_unit_test(test_policy_refusals),
		cmocka_unit_test(test_config_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
