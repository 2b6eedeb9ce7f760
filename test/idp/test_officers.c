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
#include "crypto/secret.h"
#include "crypto/totp.h"
#include "idp/audit.h"
#include "idp/officers.h"
#include "tmpstore.h"

#define PW "officer-password-2026"

#define clock_now tmpstore_clock_now

#define fx tmpstore_pol

static struct eid_cred_keys *keys(void)
{
	static const uint8_t kek[32] = "officers test key-encryption ke";
	static struct eid_cred_keys k;

	assert_int_equal(eid_cred_keys_derive(kek, &k), EID_OK);
	return &k;
}

static int add(struct fx *f, const char *id, const char *unit, bool totp,
	       uint8_t secret[EID_TOTP_SECRET_LEN])
{
	struct eid_officer_new n = {
		.id = id, .name = "Trần Văn Công", .unit = unit,
		.role = EID_OFFICER_ROLE_OFFICER, .password = PW,
		.enroll_totp = totp,
	};
	eid_txn *t = NULL;
	int r;

	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	r = eid_officer_add(t, &f->pol, keys(), &n, clock_now, "operator:test", secret,
			    NULL);
	if (r == EID_OK)
		assert_int_equal(eid_txn_commit(t), EID_OK);
	else
		eid_txn_abort(t);
	return r;
}

static void code_now(const uint8_t secret[EID_TOTP_SECRET_LEN], char out[8])
{
	uint32_t v;

	assert_int_equal(eid_hotp(secret, EID_TOTP_SECRET_LEN,
				  eid_totp_step((uint64_t)clock_now), 6, &v),
			 EID_OK);
	snprintf(out, 8, "%06u", (unsigned)v);
}

static int login(struct fx *f, const char *id, const char *pw,
		 const char *code, struct eid_login_info *info)
{
	struct eid_officer o;
	int r = eid_officer_authenticate(f->ts.store, &f->pol, keys(), id, pw,
					 code,
					 "203.0.113.5", clock_now, &o, info);
	if (r == EID_OK)
		assert_string_equal(o.id, id);
	eid_officer_clear(&o);
	return r;
}

static void test_add_and_show(void **state)
{
	struct fx *f = *state;
	uint8_t secret[EID_TOTP_SECRET_LEN];
	struct eid_officer o;
	eid_txn *t = NULL;
	json_t *j = NULL;
	char *text;

	assert_int_equal(add(f, "officer1", "CA-HN-HBT", true, secret), EID_OK);
	assert_int_equal(add(f, "officer1", "CA-HN-HBT", true, secret),
			 EID_EEXIST);
	assert_int_equal(add(f, "Bad ID", "CA-HN-HBT", true, secret),
			 EID_EMALFORMED);
	assert_int_equal(add(f, "officer2", "ca hn", true, secret),
			 EID_EMALFORMED);
	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_officer_get(t, "officer1", &o), EID_OK);
	eid_txn_abort(t);
	assert_string_equal(o.unit, "CA-HN-HBT");
	assert_true(o.has_totp);
	assert_false(o.totp_plain);
	assert_int_equal(eid_officer_to_json(&o, &j), EID_OK);
	text = json_dumps(j, 0);
	assert_null(strstr(text, "argon2"));
	assert_non_null(strstr(text, "\"totp_enrolled\": true"));
	free(text);
	json_decref(j);
	eid_officer_clear(&o);
}

static void test_uri(void **state)
{
	static const uint8_t secret[EID_TOTP_SECRET_LEN] = "12345678901234567890";
	eid_buf b;

	eid_buf_init(&b, 512);
	assert_int_equal(eid_officer_totp_uri("eID Việt Nam", "officer1", secret,
					      &b), EID_OK);
	assert_string_equal(eid_buf_cstr(&b),
			    "otpauth://totp/eID%20Vi%E1%BB%87t%20Nam:officer1"
			    "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
			    "&issuer=eID%20Vi%E1%BB%87t%20Nam"
			    "&algorithm=SHA1&digits=6&period=30");
	eid_buf_free(&b);
}

static void test_password_and_totp_required(void **state)
{
	struct fx *f = *state;
	uint8_t secret[EID_TOTP_SECRET_LEN];
	struct eid_login_info info;
	char code[8];

	assert_int_equal(add(f, "officer1", "CA-HN-HBT", true, secret), EID_OK);
	code_now(secret, code);
	assert_int_equal(login(f, "officer1", "wrong password!", code, &info),
			 EID_EAUTH);
	assert_int_equal(login(f, "officer1", PW, "000000", &info), EID_EAUTH);
	assert_int_equal(login(f, "officer1", PW, NULL, &info), EID_EAUTH);
	assert_int_equal(login(f, "nobody", PW, code, &info), EID_EAUTH);
	assert_string_equal(info.reason, "unknown_officer");
	assert_int_equal(login(f, "officer1", PW, code, &info), EID_OK);
	/* The same code again: refused, even within its 30 seconds. */
	assert_int_equal(login(f, "officer1", PW, code, &info), EID_EREPLAY);
	clock_now += 30;
	code_now(secret, code);
	assert_int_equal(login(f, "officer1", PW, code, &info), EID_OK);
}

static void test_no_second_factor_no_entry(void **state)
{
	struct fx *f = *state;
	uint8_t secret[EID_TOTP_SECRET_LEN];
	struct eid_login_info info;
	eid_txn *t = NULL;
	char code[8];

	assert_int_equal(add(f, "officer2", "CA-HN-HBT", false, NULL), EID_OK);
	assert_int_equal(login(f, "officer2", PW, "123456", &info), EID_EPERM);
	assert_string_equal(info.reason, "second factor not enrolled");
	/* Only after the right password. */
	assert_int_equal(login(f, "officer2", "wrong password!", "123456", &info),
			 EID_EAUTH);
	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	assert_int_equal(eid_officer_enroll_totp(t, keys(), "officer2", clock_now,
						 "operator:test", secret),
			 EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	code_now(secret, code);
	assert_int_equal(login(f, "officer2", PW, code, &info), EID_OK);
}

static void test_lockout_and_audit(void **state)
{
	struct fx *f = *state;
	uint8_t secret[EID_TOTP_SECRET_LEN];
	struct eid_login_info info;
	eid_txn *t = NULL;
	uint64_t n = 0, bad = 0;
	char code[8];

	assert_int_equal(add(f, "officer1", "CA-HN-HBT", true, secret), EID_OK);
	for (int i = 0; i < 5; i++)
		assert_int_equal(login(f, "officer1", PW, "000000", &info),
				 EID_EAUTH);
	code_now(secret, code);
	assert_int_equal(login(f, "officer1", PW, code, &info), EID_ELIMIT);
	assert_int_equal(info.retry_after, 30);
	clock_now += 60;
	code_now(secret, code);
	assert_int_equal(login(f, "officer1", PW, code, &info), EID_OK);
	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_audit_verify(t, &n, &bad, NULL), EID_OK);
	eid_txn_abort(t);
	assert_int_equal(n, 1 + 5 + 1); /* add, failures, success */
}

/* The stored record, raw. */
static char *raw(struct fx *f, const char *id)
{
	eid_txn *t = NULL;
	eid_buf v;
	char *text;

	eid_buf_init(&v, 8192);
	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_txn_get(t, EID_TABLE_OFFICERS, id, strlen(id), &v),
			 EID_OK);
	eid_txn_abort(t);
	text = strndup((const char *)v.data, v.len);
	eid_buf_free(&v);
	assert_non_null(text);
	return text;
}

static void put_raw(struct fx *f, const char *id, const char *text)
{
	eid_txn *t = NULL;

	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	assert_int_equal(eid_txn_put(t, EID_TABLE_OFFICERS, id, strlen(id),
				     text, strlen(text)),
			 EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
}

/* Neither the secret's bytes nor its base32 are in the record. */
static void assert_no_plain(const char *text,
			    const uint8_t secret[EID_TOTP_SECRET_LEN])
{
	eid_buf b;

	eid_buf_init(&b, 64);
	assert_int_equal(eid_base32_encode(secret, EID_TOTP_SECRET_LEN, &b),
			 EID_OK);
	assert_null(strstr(text, eid_buf_cstr(&b)));
	assert_null(memmem(text, strlen(text), secret, EID_TOTP_SECRET_LEN));
	assert_null(strstr(text, "totp_secret"));
	assert_non_null(strstr(text, "\"totp_sealed\":\""));
	eid_buf_free(&b);
}

static void test_secret_sealed_at_rest(void **state)
{
	struct fx *f = *state;
	uint8_t secret[EID_TOTP_SECRET_LEN];
	struct eid_login_info info;
	char code[8], *text, *moved;

	assert_int_equal(add(f, "officer1", "CA-HN-HBT", true, secret), EID_OK);
	assert_int_equal(add(f, "officer2", "CA-HN-HBT", true, NULL), EID_OK);
	text = raw(f, "officer1");
	assert_no_plain(text, secret);
	/* The sealed blob is bound to the officer ID: copied into another
	 * officer's record it does not open there. */
	moved = raw(f, "officer2");
	memcpy(strstr(moved, "\"totp_sealed\":\""),
	       strstr(text, "\"totp_sealed\":\""), 14 + 1 + 64);
	put_raw(f, "officer2", moved);
	code_now(secret, code);
	assert_int_equal(login(f, "officer2", PW, code, &info), EID_EVERIFY);
	assert_int_equal(login(f, "officer1", PW, code, &info), EID_OK);
	free(moved);
	free(text);
}

static const uint8_t plain_secret[EID_TOTP_SECRET_LEN] = "12345678901234567890";

/* Add the officer, then rewrite the record as format 1 would have kept
 * it: the secret (plain_secret) in plain base32. */
static void add_format1(struct fx *f, const char *id)
{
	char *before, *v1;
	const char *p;

	assert_int_equal(add(f, id, "CA-HN-HBT", false, NULL), EID_OK);
	before = raw(f, id);
	assert_non_null(p = strstr(before, "\"totp_sealed\":\"\""));
	assert_true(asprintf(&v1, "%.*s\"totp_secret\":"
			     "\"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\"%s",
			     (int)(p - before), before, p + 16) > 0);
	assert_non_null(p = strstr(v1, "\"v\":2"));
	v1[p - v1 + 4] = '1';
	put_raw(f, id, v1);
	free(v1);
	free(before);
}

/* A format-1 record (plain base32) still signs in, and is sealed then. */
static void test_plain_record_upgraded(void **state)
{
	struct fx *f = *state;
	const uint8_t *secret = plain_secret;
	struct eid_login_info info;
	char code[8], *after;

	add_format1(f, "officer1");
	code_now(secret, code);
	assert_int_equal(login(f, "officer1", PW, code, &info), EID_OK);
	after = raw(f, "officer1");
	assert_no_plain(after, secret);
	assert_non_null(strstr(after, "\"v\":2"));
	clock_now += 30;
	code_now(secret, code);
	assert_int_equal(login(f, "officer1", PW, code, &info), EID_OK);
	free(after);
}

/* eidctl officer reseal: every format-1 record sealed at once. */
static void test_reseal(void **state)
{
	struct fx *f = *state;
	struct eid_login_info info;
	unsigned sealed = 99;
	eid_txn *t = NULL;
	char code[8], *text;

	add_format1(f, "officer1");
	add_format1(f, "officer2");
	assert_int_equal(add(f, "officer3", "CA-HN-HBT", true, NULL), EID_OK);
	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	assert_int_equal(eid_officer_reseal(t, keys(), clock_now,
					    "operator:test", &sealed), EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	assert_int_equal(sealed, 2);
	text = raw(f, "officer2");
	assert_no_plain(text, plain_secret);
	free(text);
	code_now(plain_secret, code);
	assert_int_equal(login(f, "officer2", PW, code, &info), EID_OK);
	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	assert_int_equal(eid_officer_reseal(t, keys(), clock_now,
					    "operator:test", &sealed), EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	assert_int_equal(sealed, 0);
}

#define T(fn)                                                    \
	cmocka_unit_test_setup_teardown(fn, tmpstore_pol_setup,    \
					tmpstore_pol_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_add_and_show),
		cmocka_unit_test(test_uri),
		T(test_password_and_totp_required),
		T(test_no_second_factor_no_entry),
		T(test_lockout_and_audit),
		T(test_secret_sealed_at_rest),
		T(test_plain_record_upgraded),
		T(test_reseal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
