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
#include "crypto/totp.h"
#include "idp/audit.h"
#include "idp/credentials.h"
#include "tmpstore.h"

#define PID "001090012345"
#define OTHER "001090012346"
#define fx tmpstore_pol
#define clock_now tmpstore_clock_now

static const uint8_t kek[32] = { 0x42 };

static void keys(struct eid_cred_keys *k)
{
	assert_int_equal(eid_cred_keys_derive(kek, k), EID_OK);
}

/* The code of the step at t plus d steps. */
static void code_at(const uint8_t secret[EID_TOTP_SECRET_LEN], int64_t t,
		    int d, char out[8])
{
	uint32_t v;

	assert_int_equal(eid_hotp(secret, EID_TOTP_SECRET_LEN,
				  eid_totp_step((uint64_t)t) + (uint64_t)d, 6,
				  &v), EID_OK);
	snprintf(out, 8, "%06u", (unsigned)v);
}

static int begin(struct fx *f, const struct eid_cred_keys *k, const char *pid,
		 uint8_t secret[EID_TOTP_SECRET_LEN])
{
	eid_txn *t = NULL;
	int r;

	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	r = eid_cred_totp_begin(t, k, pid, clock_now, secret);
	return tmpstore_settle(t, r);
}

static int confirm(struct fx *f, const struct eid_cred_keys *k,
		   const char *code, eid_recovery_code codes[EID_RECOVERY_CODES])
{
	eid_txn *t = NULL;
	int r;

	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	r = eid_cred_totp_confirm(t, k, &f->pol.lockout, PID, code, clock_now,
				  "citizen:" PID, codes);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	return r;
}

static int check(struct fx *f, const struct eid_cred_keys *k, const char *code,
		 bool *recovery)
{
	uint64_t wait = 0;
	eid_txn *t = NULL;
	int r;

	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	r = eid_cred_check(t, k, &f->pol.lockout, PID, code, clock_now,
			   "203.0.113.5", &wait, recovery);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	if (r == EID_ELIMIT)
		assert_true(wait > 0);
	return r;
}

static struct eid_cred_status status(struct fx *f, const char *pid)
{
	struct eid_cred_status st;
	eid_txn *t = NULL;

	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_cred_status(t, pid, &st), EID_OK);
	eid_txn_abort(t);
	return st;
}

/* Enrolled at clock_now, the secret and the codes out. */
static void enroll(struct fx *f, const struct eid_cred_keys *k,
		   uint8_t secret[EID_TOTP_SECRET_LEN],
		   eid_recovery_code codes[EID_RECOVERY_CODES])
{
	char code[8];

	assert_int_equal(begin(f, k, PID, secret), EID_OK);
	code_at(secret, clock_now, 0, code);
	assert_int_equal(confirm(f, k, code, codes), EID_OK);
	/* The confirming code is spent: sign-ins start at the next step. */
	clock_now += EID_TOTP_PERIOD;
}

static void test_enrollment(void **state)
{
	struct fx *f = *state;
	uint8_t s1[EID_TOTP_SECRET_LEN], s2[EID_TOTP_SECRET_LEN];
	eid_recovery_code codes[EID_RECOVERY_CODES];
	struct eid_cred_keys k;
	struct eid_cred_status st;
	char code[8];

	keys(&k);
	st = status(f, PID);
	assert_false(st.totp_pending || st.totp_active);
	assert_int_equal(check(f, &k, "123456", NULL), EID_ENOTFOUND);
	assert_int_equal(begin(f, &k, PID, s1), EID_OK);
	/* Reloading the page shows the same secret until confirmed. */
	assert_int_equal(begin(f, &k, PID, s2), EID_OK);
	assert_memory_equal(s1, s2, sizeof(s1));
	st = status(f, PID);
	assert_true(st.totp_pending);
	assert_false(st.totp_active);
	/* Pending is not active: no sign-in with it yet. */
	code_at(s1, clock_now, 0, code);
	assert_int_equal(check(f, &k, code, NULL), EID_ENOTFOUND);
	assert_int_equal(confirm(f, &k, "000000", codes), EID_EAUTH);
	assert_int_equal(status(f, PID).failures, 1);
	assert_int_equal(confirm(f, &k, code, codes), EID_OK);
	st = status(f, PID);
	assert_true(st.totp_active);
	assert_int_equal(st.recovery_left, EID_RECOVERY_CODES);
	assert_int_equal(st.failures, 0);
	for (unsigned i = 0; i < EID_RECOVERY_CODES; i++) {
		assert_int_equal(strlen(codes[i]), EID_RECOVERY_CODE_LEN);
		assert_int_equal(codes[i][5], '-');
		for (unsigned j = 0; j < i; j++)
			assert_string_not_equal(codes[i], codes[j]);
	}
	assert_int_equal(begin(f, &k, PID, s2), EID_ESTATE);
	assert_int_equal(confirm(f, &k, code, codes), EID_ESTATE);
	/* Another citizen is untouched. */
	assert_false(status(f, OTHER).totp_active);
}

static void test_totp_replay_and_window(void **state)
{
	struct fx *f = *state;
	uint8_t s[EID_TOTP_SECRET_LEN];
	eid_recovery_code codes[EID_RECOVERY_CODES];
	struct eid_cred_keys k;
	bool recovery = true;
	char now[8], next[8], prev[8], far[8];

	keys(&k);
	enroll(f, &k, s, codes);
	code_at(s, clock_now, 0, now);
	code_at(s, clock_now, 1, next);
	code_at(s, clock_now, -1, prev);
	code_at(s, clock_now, 2, far);
	/* Two steps ahead is outside the window. */
	assert_int_equal(check(f, &k, far, NULL), EID_EAUTH);
	assert_int_equal(check(f, &k, now, &recovery), EID_OK);
	assert_false(recovery);
	/* The same code again is a replay, and counts as a failure. */
	assert_int_equal(check(f, &k, now, NULL), EID_EAUTH);
	assert_int_equal(status(f, PID).failures, 1);
	/* One step ahead is in the window; after it, an older step is not. */
	assert_int_equal(check(f, &k, next, NULL), EID_OK);
	assert_int_equal(status(f, PID).failures, 0);
	assert_int_equal(check(f, &k, prev, NULL), EID_EAUTH);
	assert_int_equal(check(f, &k, now, NULL), EID_EAUTH);
	assert_int_equal(check(f, &k, "12345a", NULL), EID_EAUTH);
}

static void test_recovery_codes(void **state)
{
	struct fx *f = *state;
	uint8_t s[EID_TOTP_SECRET_LEN];
	eid_recovery_code codes[EID_RECOVERY_CODES], fresh[EID_RECOVERY_CODES];
	struct eid_cred_keys k;
	bool recovery = false;
	char typed[16];
	eid_txn *t = NULL;

	keys(&k);
	enroll(f, &k, s, codes);
	assert_int_equal(check(f, &k, codes[3], &recovery), EID_OK);
	assert_true(recovery);
	assert_int_equal(status(f, PID).recovery_left, EID_RECOVERY_CODES - 1);
	assert_int_equal(status(f, PID).recovery_used, 1);
	/* Single use. */
	assert_int_equal(check(f, &k, codes[3], NULL), EID_EAUTH);
	/* Case, dashes and blanks do not matter. */
	snprintf(typed, sizeof(typed), "%.5s %.5s", codes[0], codes[0] + 6);
	for (char *c = typed; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	assert_int_equal(check(f, &k, typed, NULL), EID_OK);
	assert_int_equal(status(f, PID).recovery_left, EID_RECOVERY_CODES - 2);
	assert_int_equal(check(f, &k, "AAAAA-AAAAA", NULL), EID_EAUTH);
	assert_int_equal(check(f, &k, "not a code", NULL), EID_EAUTH);
	/* A new set voids the old one. */
	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	assert_int_equal(eid_cred_recovery_regenerate(t, &k, PID, clock_now,
						      "citizen:" PID, fresh),
			 EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	assert_int_equal(status(f, PID).recovery_left, EID_RECOVERY_CODES);
	assert_int_equal(check(f, &k, codes[5], NULL), EID_EAUTH);
	assert_int_equal(check(f, &k, fresh[9], NULL), EID_OK);
	/* Spend them all: none left is said so, and none works. */
	for (unsigned i = 0; i < EID_RECOVERY_CODES - 1; i++)
		assert_int_equal(check(f, &k, fresh[i], NULL), EID_OK);
	assert_int_equal(status(f, PID).recovery_left, 0);
	assert_int_equal(check(f, &k, fresh[0], NULL), EID_EAUTH);
}

/* The record holds neither the secret nor the codes, and without the
 * KEK's derived keys nothing opens. */
static void test_at_rest(void **state)
{
	struct fx *f = *state;
	uint8_t s[EID_TOTP_SECRET_LEN], okek[32] = { 0x43 };
	eid_recovery_code codes[EID_RECOVERY_CODES];
	struct eid_cred_keys k, other;
	char now[8];
	eid_txn *t = NULL;
	eid_buf v, b32;

	keys(&k);
	assert_int_equal(eid_cred_keys_derive(okek, &other), EID_OK);
	assert_memory_not_equal(k.seal, k.recovery, sizeof(k.seal));
	enroll(f, &k, s, codes);
	eid_buf_init(&v, 8192);
	eid_buf_init(&b32, 64);
	assert_int_equal(eid_base32_encode(s, sizeof(s), &b32), EID_OK);
	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_txn_get(t, EID_TABLE_CREDENTIALS, PID, 12, &v),
			 EID_OK);
	eid_txn_abort(t);
	assert_null(memmem(v.data, v.len, s, sizeof(s)));
	assert_null(memmem(v.data, v.len, b32.data, b32.len));
	for (unsigned i = 0; i < EID_RECOVERY_CODES; i++)
		assert_null(memmem(v.data, v.len, codes[i], 5));
	/* The record moved to another citizen does not open there. */
	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	assert_int_equal(eid_txn_put(t, EID_TABLE_CREDENTIALS, OTHER, 12,
				     v.data, v.len), EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	code_at(s, clock_now, 0, now);
	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	assert_int_equal(eid_cred_check(t, &k, &f->pol.lockout, OTHER, now,
					 clock_now, NULL, NULL, NULL),
			 EID_EVERIFY);
	assert_int_equal(eid_cred_check(t, &k, &f->pol.lockout, OTHER,
					 codes[0], clock_now, NULL, NULL, NULL),
			 EID_EAUTH);
	eid_txn_abort(t);
	/* Another KEK opens nothing. */
	assert_int_equal(check(f, &other, now, NULL), EID_EVERIFY);
	assert_int_equal(check(f, &other, codes[0], NULL), EID_EAUTH);
	assert_int_equal(check(f, &k, now, NULL), EID_OK);
	eid_buf_free(&v);
	eid_buf_free(&b32);
}

static void test_lockout_and_audit(void **state)
{
	struct fx *f = *state;
	uint8_t s[EID_TOTP_SECRET_LEN];
	eid_recovery_code codes[EID_RECOVERY_CODES];
	struct eid_cred_keys k;
	uint64_t n = 0, bad = 0;
	char now[8];
	eid_txn *t = NULL;

	keys(&k);
	enroll(f, &k, s, codes);
	for (uint32_t i = 0; i < f->pol.lockout.max_failures; i++)
		assert_int_equal(check(f, &k, "000000", NULL), EID_EAUTH);
	/* Throttled: even the right code waits, and is not spent. */
	code_at(s, clock_now, 0, now);
	assert_int_equal(check(f, &k, now, NULL), EID_ELIMIT);
	assert_int_equal(check(f, &k, codes[0], NULL), EID_ELIMIT);
	assert_int_equal(status(f, PID).recovery_left, EID_RECOVERY_CODES);
	clock_now += (int64_t)f->pol.lockout.base_delay;
	code_at(s, clock_now, 0, now);
	assert_int_equal(check(f, &k, now, NULL), EID_OK);
	assert_int_equal(status(f, PID).failures, 0);
	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	assert_int_equal(eid_cred_remove(t, PID, "totp.disable", "citizen:" PID,
					 NULL, clock_now), EID_OK);
	assert_int_equal(eid_cred_remove(t, PID, "totp.disable", "citizen:" PID,
					 NULL, clock_now), EID_ENOTFOUND);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	assert_false(status(f, PID).totp_active);
	assert_int_equal(check(f, &k, now, NULL), EID_ENOTFOUND);
	/* enroll, the failures, disable: each in the chain. */
	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_audit_verify(t, &n, &bad, NULL), EID_OK);
	eid_txn_abort(t);
	assert_int_equal(n, 1 + f->pol.lockout.max_failures + 1);
}

static int last_entry(json_t *entry, void *arg)
{
	json_t **ret = arg;

	json_decref(*ret);
	*ret = json_incref(entry);
	return 0;
}

/* An officer's reset: the note of the identity check is required, and
 * recorded with the unit. */
static void test_totp_reset(void **state)
{
	struct fx *f = *state;
	uint8_t s[EID_TOTP_SECRET_LEN];
	eid_recovery_code codes[EID_RECOVERY_CODES];
	char long_note[EID_CRED_CHECK_NOTE_MAX + 2];
	struct eid_cred_keys k;
	json_t *e = NULL, *d;
	eid_txn *t = NULL;

	keys(&k);
	enroll(f, &k, s, codes);
	memset(long_note, 'x', sizeof(long_note) - 1);
	long_note[sizeof(long_note) - 1] = '\0';
	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	assert_int_equal(eid_cred_totp_reset(t, PID, "officer:hbt99", "",
					     "CA-HN-HBT", clock_now),
			 EID_EMALFORMED);
	assert_int_equal(eid_cred_totp_reset(t, PID, "officer:hbt99", long_note,
					     "CA-HN-HBT", clock_now),
			 EID_EMALFORMED);
	assert_int_equal(eid_cred_totp_reset(t, PID, "officer:hbt99", "a\x01b",
					     "CA-HN-HBT", clock_now),
			 EID_EMALFORMED);
	assert_int_equal(eid_cred_totp_reset(t, OTHER, "officer:hbt99",
					     "chip card in person", "CA-HN-HBT",
					     clock_now),
			 EID_ENOTFOUND);
	assert_int_equal(eid_cred_totp_reset(t, PID, "officer:hbt99",
					     "chip card in person", "CA-HN-HBT",
					     clock_now),
			 EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	assert_false(status(f, PID).totp_active);
	assert_int_equal(status(f, PID).recovery_left, 0);
	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_audit_scan(t, 0, 0, last_entry, &e), EID_OK);
	eid_txn_abort(t);
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "type")),
			    "totp.reset");
	assert_string_equal(json_string_value(json_object_get(e, "actor")),
			    "officer:hbt99");
	d = json_object_get(e, "details");
	assert_string_equal(json_string_value(json_object_get(d, "identity_check")),
			    "chip card in person");
	assert_string_equal(json_string_value(json_object_get(d, "unit")),
			    "CA-HN-HBT");
	json_decref(e);
}

static void test_uri(void **state)
{
	uint8_t s[EID_TOTP_SECRET_LEN] = { 0 };
	eid_buf b;

	(void)state;
	eid_buf_init(&b, 512);
	assert_int_equal(eid_cred_totp_uri("eid", PID, s, &b), EID_OK);
	assert_int_equal(eid_buf_put_u8(&b, 0), EID_OK);
	assert_string_equal((const char *)b.data,
			    "otpauth://totp/eid:" PID "?secret="
			    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&issuer=eid"
			    "&algorithm=SHA1&digits=6&period=30");
	eid_buf_free(&b);
}

#define T(fn)                                                    \
	cmocka_unit_test_setup_teardown(fn, tmpstore_pol_setup,    \
					tmpstore_pol_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_enrollment),
		T(test_totp_replay_and_window),
		T(test_recovery_codes),
		T(test_at_rest),
		T(test_lockout_and_audit),
		T(test_totp_reset),
		cmocka_unit_test(test_uri),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
