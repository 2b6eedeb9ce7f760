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
#include "idp/accounts.h"
#include "idp/audit.h"
#include "idp/grants.h"
#include "idp/registry.h"
#include "idp/session.h"
#include "tmpstore.h"

#define ADULT "001090012345"
#define ADULT2 "079195012346"
#define CHILD "001216000777"   /* born 2016: 8 at TMPSTORE_NOW */
#define TODDLER "001222000001" /* born 2022 */
#define REVOKED "001085000123" /* card revoked */
#define EXPIRED "001080000456" /* card expired in 2024 */
#define GOOD_PW "a quiet river at dawn"

#define clock_now tmpstore_clock_now
static unsigned argon2_calls;

static void count_argon2(void *arg)
{
	(void)arg;
	argon2_calls++;
}

static const char *const citizens[] = {
	"{\"personal_id\":\"" ADULT "\",\"full_name\":\"Nguyễn Văn An\","
	"\"birthdate\":\"1990-03-15\",\"sex\":\"male\","
	"\"card_issued\":\"2021-04-10\",\"card_expires\":\"2030-03-15\"}",
	"{\"personal_id\":\"" ADULT2 "\",\"full_name\":\"Trần Thị Bích\","
	"\"birthdate\":\"1995-11-02\",\"sex\":\"female\"}",
	"{\"personal_id\":\"" CHILD "\",\"full_name\":\"Nguyễn Minh Khang\","
	"\"birthdate\":\"2016-06-01\",\"sex\":\"male\","
	"\"guardian_id\":\"" ADULT "\"}",
	"{\"personal_id\":\"" TODDLER "\",\"full_name\":\"Nguyễn Bé\","
	"\"birthdate\":\"2022-01-01\",\"sex\":\"male\"}",
	"{\"personal_id\":\"" REVOKED "\",\"full_name\":\"Lê Văn C\","
	"\"birthdate\":\"1985-01-01\",\"sex\":\"male\","
	"\"card_status\":\"revoked\"}",
	"{\"personal_id\":\"" EXPIRED "\",\"full_name\":\"Phạm Văn D\","
	"\"birthdate\":\"1980-01-01\",\"sex\":\"male\","
	"\"card_issued\":\"2010-01-01\",\"card_expires\":\"2024-01-01\"}",
};

#define fx tmpstore_pol

static int setup(void **state)
{
	struct fx *f;

	tmpstore_pol_setup(state);
	f = *state;
	f->pol.password.on_argon2 = count_argon2;
	for (size_t i = 0; i < sizeof(citizens) / sizeof(citizens[0]); i++)
		tmpstore_put_citizen(f->ts.store, citizens[i]);
	*state = f;
	return 0;
}

static int create_why(struct fx *f, const char *id, const char *phone,
		      int level, const char *pw, char *why, size_t whylen)
{
	struct eid_account_new a = {
		.personal_id = id, .phone = phone, .level = level,
		.password = pw,
	};
	eid_txn *t = NULL;
	eid_buf b;
	int r;

	eid_buf_init(&b, 256);
	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	r = eid_account_create(t, &f->pol, &a, clock_now, "operator:test", &b);
	(void)tmpstore_settle(t, r);
	if (why != NULL)
		tmpstore_why(&b, why, whylen);
	eid_buf_free(&b);
	return r;
}

static int create(struct fx *f, const char *id, const char *phone, int level,
		  const char *pw)
{
	return create_why(f, id, phone, level, pw, NULL, 0);
}

static int get(struct fx *f, const char *id, struct eid_account *a)
{
	eid_txn *t = NULL;
	int r;

	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	r = eid_account_get(t, id, a);
	eid_txn_abort(t);
	return r;
}

static int login(struct fx *f, const char *id, const char *pw,
		 const char *addr, struct eid_login_info *info)
{
	struct eid_account a;
	struct eid_login_info dummy;
	int r;

	r = eid_account_authenticate(f->ts.store, &f->ts.reg, &f->pol, id, pw,
				     addr,
				     clock_now, &a, info ? info : &dummy);
	eid_account_clear(&a);
	return r;
}

/* Run one lifecycle call in its own write transaction. */
enum op { LOCK, UNLOCK, REVOKE };

static int lifecycle(struct fx *f, enum op op, const char *id,
		     enum eid_lock_reason reason)
{
	eid_txn *t = NULL;
	int r;

	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	if (op == LOCK)
		r = eid_account_lock(t, id, reason, "officer:hbt01", clock_now);
	else if (op == UNLOCK)
		r = eid_account_unlock(t, id, "officer:hbt01", clock_now);
	else
		r = eid_account_revoke(t, id, "officer:hbt01", clock_now);
	return tmpstore_settle(t, r);
}

struct count_types {
	const char *type;
	unsigned n;
	char last_reason[64];
};

static int count_visit(json_t *e, void *arg)
{
	struct count_types *c = arg;
	const char *type = json_string_value(json_object_get(e, "type"));
	json_t *d = json_object_get(e, "details");

	if (type != NULL && strcmp(type, c->type) == 0) {
		c->n++;
		snprintf(c->last_reason, sizeof(c->last_reason), "%s",
			 json_is_object(d) && json_is_string(json_object_get(d, "reason")) ?
				 json_string_value(json_object_get(d, "reason")) :
				 "");
	}
	return EID_OK;
}

static unsigned audit_count(struct fx *f, const char *type, char *last_reason)
{
	struct count_types c = { .type = type };
	eid_txn *t = NULL;
	uint64_t n = 0, bad = 0;

	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_audit_scan(t, 0, 0, count_visit, &c), EID_OK);
	assert_int_equal(eid_audit_verify(t, &n, &bad, NULL), EID_OK);
	eid_txn_abort(t);
	if (last_reason != NULL)
		strcpy(last_reason, c.last_reason);
	return c.n;
}

/* ---- tests ---- */

static void test_phone_and_email(void **state)
{
	char p[EID_PHONE_MAX + 1], e[EID_EMAIL_MAX + 1];

	assert_int_equal(eid_phone_normalize("0912345678", p), EID_OK);
	assert_string_equal(p, "+84912345678");
	assert_int_equal(eid_phone_normalize("0912 345 678", p), EID_OK);
	assert_string_equal(p, "+84912345678");
	assert_int_equal(eid_phone_normalize("+84 987-654-321", p), EID_OK);
	assert_string_equal(p, "+84987654321");
	assert_int_equal(eid_phone_normalize("84912345678", p), EID_OK);
	assert_string_equal(p, "+84912345678");
	assert_int_equal(eid_phone_normalize("+33612345678", p), EID_OK);
	assert_string_equal(p, "+33612345678");
	assert_int_equal(eid_phone_normalize("0243826888", p), EID_EMALFORMED);
	assert_int_equal(eid_phone_normalize("091234567", p), EID_EMALFORMED);
	assert_int_equal(eid_phone_normalize("09123456789", p), EID_EMALFORMED);
	assert_int_equal(eid_phone_normalize("912345678", p), EID_EMALFORMED);
	assert_int_equal(eid_phone_normalize("+0912345678", p), EID_EMALFORMED);
	assert_int_equal(eid_phone_normalize("0912--345678", p), EID_EMALFORMED);
	assert_int_equal(eid_phone_normalize("+1234567890123456", p),
			 EID_EMALFORMED);
	assert_int_equal(eid_phone_normalize("", p), EID_EMALFORMED);

	assert_int_equal(eid_email_normalize("An.Nguyen@Example.VN", e), EID_OK);
	assert_string_equal(e, "An.Nguyen@example.vn");
	assert_int_equal(eid_email_normalize("a@b", e), EID_EMALFORMED);
	assert_int_equal(eid_email_normalize("a b@c.vn", e), EID_EMALFORMED);
	assert_int_equal(eid_email_normalize("a@@c.vn", e), EID_EMALFORMED);
	assert_int_equal(eid_email_normalize("@c.vn", e), EID_EMALFORMED);
}

static void test_create_and_find(void **state)
{
	struct fx *f = *state;
	struct eid_account a;
	eid_txn *t = NULL;
	char why[256];

	assert_int_equal(create_why(f, ADULT, "0912345678", 1, GOOD_PW, why,
				    sizeof(why)), EID_OK);
	assert_int_equal(get(f, ADULT, &a), EID_OK);
	assert_string_equal(a.phone, "+84912345678");
	assert_int_equal(a.level, 1);
	assert_int_equal(a.status, EID_ACCOUNT_ACTIVE);
	assert_true(strncmp(a.password, "$argon2id$", 10) == 0);
	assert_int_equal(a.created_at, clock_now);
	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_account_find_by_phone(t, "+84 912 345 678", &a),
			 EID_OK);
	assert_string_equal(a.personal_id, ADULT);
	assert_int_equal(eid_account_find_by_phone(t, "0987654321", &a),
			 EID_ENOTFOUND);
	eid_txn_abort(t);
	assert_int_equal(audit_count(f, "account.create", NULL), 1);
	/* Again: the citizen has an account already. */
	assert_int_equal(create_why(f, ADULT, "0987654321", 1, GOOD_PW, why,
				    sizeof(why)), EID_EEXIST);
	assert_non_null(strstr(why, "already has an account"));
}

static void test_registry_rules(void **state)
{
	struct fx *f = *state;
	struct eid_date wrong = { 1990, 3, 16 };
	struct eid_account_new a = {
		.personal_id = ADULT, .phone = "0912345678",
		.password = GOOD_PW, .full_name = "Nguyễn Văn An",
		.birthdate = &wrong,
	};
	eid_txn *t = NULL;
	char why[256];

	assert_int_equal(create_why(f, "001099000001", "0912345678", 1,
				    GOOD_PW, why, sizeof(why)), EID_ENOTFOUND);
	assert_non_null(strstr(why, "registry"));
	assert_int_equal(create(f, "123", "0912345678", 1, GOOD_PW),
			 EID_EMALFORMED);
	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	assert_int_equal(eid_account_create(t, &f->pol, &a, clock_now, "op",
					    NULL), EID_EMISMATCH);
	a.birthdate = NULL;
	a.full_name = "Nguyen Van An";
	assert_int_equal(eid_account_create(t, &f->pol, &a, clock_now, "op",
					    NULL), EID_EMISMATCH);
	eid_txn_abort(t);
	/* Cards: level 2 (and level 1) refused while revoked or expired. */
	assert_int_equal(create_why(f, REVOKED, "0912000001", 2, NULL, why,
				    sizeof(why)), EID_ESTATE);
	assert_non_null(strstr(why, "revoked"));
	assert_int_equal(create_why(f, EXPIRED, "0912000002", 2, NULL, why,
				    sizeof(why)), EID_ESTATE);
	assert_non_null(strstr(why, "expired"));
	assert_int_equal(create(f, ADULT, "0912345678", 3, GOOD_PW),
			 EID_EMALFORMED);
	assert_int_equal(create(f, ADULT, "0912345678", 1, NULL), EID_EINVAL);
}

static void test_age_rules(void **state)
{
	struct fx *f = *state;
	struct eid_account a;
	char why[256];

	assert_int_equal(create_why(f, CHILD, "0912000003", 1, GOOD_PW, why,
				    sizeof(why)), EID_EPERM);
	assert_string_equal(why, "only through a guardian's level-2 account");
	assert_int_equal(create_why(f, TODDLER, "0912000004", 2, NULL, why,
				    sizeof(why)), EID_EPERM);
	assert_string_equal(why, "only through a guardian's level-2 account");
	/* 6 to 13: level 2 on request, pending its activation. */
	assert_int_equal(create(f, CHILD, "0912000003", 2, NULL), EID_OK);
	assert_int_equal(get(f, CHILD, &a), EID_OK);
	assert_int_equal(a.status, EID_ACCOUNT_PENDING_ACTIVATION);
	assert_string_equal(a.password, "");
}

static void test_one_phone_per_account(void **state)
{
	struct fx *f = *state;
	char why[256];

	assert_int_equal(create(f, ADULT, "0912345678", 1, GOOD_PW), EID_OK);
	assert_int_equal(create_why(f, ADULT2, "+84912345678", 1, GOOD_PW, why,
				    sizeof(why)), EID_EEXIST);
	assert_non_null(strstr(why, "one phone number per account"));
	/* Nothing of the refused account was written. */
	struct eid_account a;
	assert_int_equal(get(f, ADULT2, &a), EID_ENOTFOUND);
}

static void test_weak_passwords(void **state)
{
	struct fx *f = *state;
	char why[256];

	assert_int_equal(create_why(f, ADULT, "0912345678", 1, "short", why,
				    sizeof(why)), EID_EINVAL);
	assert_non_null(strstr(why, "shorter"));
	assert_int_equal(create_why(f, ADULT, "0912345678", 1, "password1234",
				    why, sizeof(why)), EID_EINVAL);
	assert_int_equal(create_why(f, ADULT, "0912345678", 1,
				    "my id 001090012345", why, sizeof(why)),
			 EID_EINVAL);
	assert_int_equal(create_why(f, ADULT, "0912345678", 1,
				    "tel 0912345678 !!", why, sizeof(why)),
			 EID_EINVAL);
	assert_int_equal(create_why(f, ADULT, "0912345678", 1,
				    "sinh ngay 15031990", why, sizeof(why)),
			 EID_EINVAL);
}

static void test_login_and_wrong_password(void **state)
{
	struct fx *f = *state;
	struct eid_login_info info;
	struct eid_account a;
	char reason[64];

	assert_int_equal(create(f, ADULT, "0912345678", 1, GOOD_PW), EID_OK);
	assert_int_equal(eid_account_authenticate(f->ts.store, &f->ts.reg,
						  &f->pol, ADULT,
						  GOOD_PW, "192.0.2.1",
						  clock_now, &a, &info),
			 EID_OK);
	assert_string_equal(a.personal_id, ADULT);
	eid_account_clear(&a);
	assert_int_equal(login(f, ADULT, "a quiet river at dusk", "192.0.2.1",
			       &info), EID_EAUTH);
	assert_string_equal(info.reason, "wrong_password");
	assert_int_equal(get(f, ADULT, &a), EID_OK);
	assert_int_equal(a.failed_logins, 1);
	assert_int_equal(audit_count(f, "login.success", NULL), 1);
	assert_int_equal(audit_count(f, "login.failure", reason), 1);
	assert_string_equal(reason, "wrong_password");
	/* Success clears the count. */
	assert_int_equal(login(f, ADULT, GOOD_PW, NULL, NULL), EID_OK);
	assert_int_equal(get(f, ADULT, &a), EID_OK);
	assert_int_equal(a.failed_logins, 0);
}

static void test_lockout_delay(void **state)
{
	struct fx *f = *state;
	struct eid_login_info info;

	assert_int_equal(create(f, ADULT, "0912345678", 1, GOOD_PW), EID_OK);
	for (int i = 0; i < 5; i++)
		assert_int_equal(login(f, ADULT, "wrong wrong wrong", NULL,
				       &info), EID_EAUTH);
	/* Within the delay even the right password is refused. */
	argon2_calls = 0;
	assert_int_equal(login(f, ADULT, GOOD_PW, NULL, &info), EID_ELIMIT);
	assert_int_equal(info.retry_after, 30);
	clock_now += 10;
	assert_int_equal(login(f, ADULT, GOOD_PW, NULL, &info), EID_ELIMIT);
	assert_int_equal(info.retry_after, 20);
	assert_int_equal(argon2_calls, 0);
	/* After it: one more failure doubles the delay. */
	clock_now += 20;
	assert_int_equal(login(f, ADULT, "wrong wrong wrong", NULL, &info),
			 EID_EAUTH);
	assert_int_equal(login(f, ADULT, GOOD_PW, NULL, &info), EID_ELIMIT);
	assert_int_equal(info.retry_after, 60);
	/* Up to the cap. */
	for (int i = 0; i < 10; i++) {
		clock_now += 3600;
		assert_int_equal(login(f, ADULT, "wrong wrong wrong", NULL,
				       &info), EID_EAUTH);
	}
	assert_int_equal(login(f, ADULT, GOOD_PW, NULL, &info), EID_ELIMIT);
	assert_int_equal(info.retry_after, 3600);
	clock_now += 3600;
	assert_int_equal(login(f, ADULT, GOOD_PW, NULL, &info), EID_OK);
}

static void test_unknown_account_same_work(void **state)
{
	struct fx *f = *state;
	struct eid_login_info info;

	assert_int_equal(create(f, ADULT, "0912345678", 1, GOOD_PW), EID_OK);
	argon2_calls = 0;
	assert_int_equal(login(f, ADULT2, GOOD_PW, NULL, &info), EID_EAUTH);
	assert_int_equal(argon2_calls, 1);
	assert_string_equal(info.reason, "unknown_account");
	argon2_calls = 0;
	assert_int_equal(login(f, ADULT, "wrong wrong wrong", NULL, &info),
			 EID_EAUTH);
	assert_int_equal(argon2_calls, 1);
	/* A registry citizen without an account, a made-up number, garbage. */
	argon2_calls = 0;
	assert_int_equal(login(f, "001099123456", GOOD_PW, NULL, &info),
			 EID_EAUTH);
	assert_int_equal(login(f, "not a number", GOOD_PW, NULL, &info),
			 EID_EAUTH);
	assert_int_equal(argon2_calls, 2);
	/* Unknown names are throttled like real ones. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(login(f, ADULT2, GOOD_PW, NULL, &info),
				 EID_EAUTH);
	assert_int_equal(login(f, ADULT2, GOOD_PW, NULL, &info), EID_ELIMIT);
	assert_int_equal(info.retry_after, 30);
}

static void test_per_address_limit(void **state)
{
	struct fx *f = *state;
	struct eid_login_info info;

	f->pol.lockout.per_address_max = 3;
	assert_int_equal(create(f, ADULT, "0912345678", 1, GOOD_PW), EID_OK);
	assert_int_equal(login(f, ADULT2, "x x x x x x x x", "198.51.100.7",
			       &info), EID_EAUTH);
	assert_int_equal(login(f, "001099123456", "x x x x x x x x",
			       "198.51.100.7", &info), EID_EAUTH);
	assert_int_equal(login(f, ADULT, "x x x x x x x x", "198.51.100.7",
			       &info), EID_EAUTH);
	assert_int_equal(login(f, ADULT, GOOD_PW, "198.51.100.7", &info),
			 EID_ELIMIT);
	assert_string_equal(info.reason, "address_limit");
	assert_int_equal(info.retry_after, 900);
	/* Another address is not concerned. */
	assert_int_equal(login(f, ADULT, GOOD_PW, "198.51.100.8", &info),
			 EID_OK);
	clock_now += 901;
	assert_int_equal(login(f, ADULT, GOOD_PW, "198.51.100.7", &info),
			 EID_OK);
}

static void test_locked_refused_after_password(void **state)
{
	struct fx *f = *state;
	struct eid_login_info info;
	struct eid_account a;

	assert_int_equal(create(f, ADULT, "0912345678", 1, GOOD_PW), EID_OK);
	assert_int_equal(lifecycle(f, LOCK, ADULT, EID_LOCK_NONE), EID_EINVAL);
	assert_int_equal(lifecycle(f, LOCK, ADULT, EID_LOCK_LOST_DEVICE), EID_OK);
	assert_int_equal(lifecycle(f, LOCK, ADULT, EID_LOCK_OFFICER), EID_ESTATE);
	assert_int_equal(get(f, ADULT, &a), EID_OK);
	assert_int_equal(a.status, EID_ACCOUNT_LOCKED);
	assert_int_equal(a.lock_reason, EID_LOCK_LOST_DEVICE);
	assert_string_equal(a.locked_by, "officer:hbt01");
	assert_true(a.sessions_revoked_before > clock_now);
	/* The wrong password says nothing of the lock. */
	assert_int_equal(login(f, ADULT, "wrong wrong wrong", NULL, &info),
			 EID_EAUTH);
	assert_int_equal(login(f, ADULT, GOOD_PW, NULL, &info), EID_ELOCKED);
	assert_string_equal(info.reason, "locked");
	assert_int_equal(lifecycle(f, UNLOCK, ADULT, 0), EID_OK);
	assert_int_equal(lifecycle(f, UNLOCK, ADULT, 0), EID_ESTATE);
	assert_int_equal(login(f, ADULT, GOOD_PW, NULL, &info), EID_OK);
	assert_int_equal(audit_count(f, "account.lock", NULL), 1);
	assert_int_equal(audit_count(f, "account.unlock", NULL), 1);
}

static void test_revoke_is_final(void **state)
{
	struct fx *f = *state;
	struct eid_login_info info;
	struct eid_account a;
	eid_txn *t = NULL;

	assert_int_equal(create(f, ADULT, "0912345678", 1, GOOD_PW), EID_OK);
	assert_int_equal(lifecycle(f, REVOKE, ADULT, 0), EID_OK);
	assert_int_equal(lifecycle(f, REVOKE, ADULT, 0), EID_ESTATE);
	assert_int_equal(lifecycle(f, UNLOCK, ADULT, 0), EID_ESTATE);
	assert_int_equal(lifecycle(f, LOCK, ADULT, EID_LOCK_OFFICER), EID_ESTATE);
	assert_int_equal(login(f, ADULT, GOOD_PW, NULL, &info), EID_ELOCKED);
	assert_string_equal(info.reason, "revoked");
	assert_int_equal(get(f, ADULT, &a), EID_OK);
	assert_int_equal(a.status, EID_ACCOUNT_REVOKED);
	/* Its phone number is free again. */
	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_account_find_by_phone(t, "0912345678", &a),
			 EID_ENOTFOUND);
	eid_txn_abort(t);
	assert_int_equal(create(f, ADULT2, "0912345678", 1, GOOD_PW), EID_OK);
}

static void test_rehash_on_parameter_change(void **state)
{
	struct fx *f = *state;
	struct eid_account a;

	assert_int_equal(create(f, ADULT, "0912345678", 1, GOOD_PW), EID_OK);
	f->pol.password.memory_kib = 128;
	argon2_calls = 0;
	assert_int_equal(login(f, ADULT, GOOD_PW, NULL, NULL), EID_OK);
	assert_int_equal(argon2_calls, 2); /* verify, then the new hash */
	assert_int_equal(get(f, ADULT, &a), EID_OK);
	assert_true(strncmp(a.password, "$argon2id$v=19$m=128,t=1,p=1$", 29) == 0);
	argon2_calls = 0;
	assert_int_equal(login(f, ADULT, GOOD_PW, NULL, NULL), EID_OK);
	assert_int_equal(argon2_calls, 1);
}

/* The registry revokes the citizen's card. */
static void revoke_card(struct fx *f, const char *id)
{
	struct eid_citizen c;
	eid_txn *t = NULL;

	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	assert_int_equal(eid_registry_get(t, id, &c), EID_OK);
	c.card_status = EID_CARD_REVOKED;
	assert_int_equal(eid_registry_put(t, &c), EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
}

static int sync_one(struct fx *f, const char *id, struct eid_card_sync *res)
{
	char ids[1][EID_PERSONAL_ID_LEN + 1];

	snprintf(ids[0], sizeof(ids[0]), "%s", id);
	return eid_account_sync_card_status(f->ts.store, &f->ts.reg, ids, 1,
					    clock_now, res);
}

static void test_card_status_locks(void **state)
{
	struct fx *f = *state;
	struct eid_citizen c;
	struct eid_account a;
	struct eid_grant g = { .personal_id = ADULT, .client_id = "rp",
			       .scope = "openid" };
	char cookie[EID_SESSION_TOKEN_LEN + 1], gid[EID_GRANT_ID_LEN + 1];
	struct eid_session sess;
	struct eid_card_sync res;
	eid_txn *t = NULL;

	assert_int_equal(create(f, ADULT, "0912345678", 1, GOOD_PW), EID_OK);
	assert_int_equal(eid_session_create(f->ts.store, ADULT, 1, "pwd",
					    "127.0.0.1", clock_now, 86400,
					    cookie, NULL), EID_OK);
	assert_int_equal(eid_grant_create(f->ts.store, &g, (uint64_t)clock_now,
					  gid), EID_OK);
	assert_int_equal(sync_one(f, ADULT, &res), EID_OK);
	assert_false(res.locked);
	revoke_card(f, ADULT);
	/* Found at login. */
	assert_int_equal(login(f, ADULT, GOOD_PW, NULL, NULL), EID_ELOCKED);
	assert_int_equal(get(f, ADULT, &a), EID_OK);
	assert_int_equal(a.lock_reason, EID_LOCK_CARD_REVOKED);
	assert_string_equal(a.locked_by, "system");
	/* As an officer's lock: sessions and grants end at once (the sweep
	 * will not come back to an account already locked). */
	assert_int_equal(eid_session_lookup(f->ts.store, cookie, &sess),
			 EID_ENOTFOUND);
	assert_int_equal(eid_grant_check_active(f->ts.store, gid), EID_EPERM);
	/* No unlocking while the card stays revoked. */
	assert_int_equal(lifecycle(f, UNLOCK, ADULT, 0), EID_ESTATE);
	/* Expiry, found by the sync call: the card expires 2030-03-15. */
	assert_int_equal(create(f, ADULT2, "0987654321", 1, GOOD_PW), EID_OK);
	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	assert_int_equal(eid_registry_get(t, ADULT2, &c), EID_OK);
	assert_int_equal(eid_date_parse("2025-05-31", 10, &c.card_expires),
			 EID_OK);
	assert_int_equal(eid_registry_put(t, &c), EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	assert_int_equal(sync_one(f, ADULT2, &res), EID_OK);
	assert_true(res.locked);
	assert_int_equal(res.reason, EID_LOCK_CARD_EXPIRED);
	assert_int_equal(get(f, ADULT2, &a), EID_OK);
	assert_int_equal(a.lock_reason, EID_LOCK_CARD_EXPIRED);
}

/* A session, a grant and its refresh token for id. */
static void live_tokens(struct fx *f, const char *id,
			char cookie[EID_SESSION_TOKEN_LEN + 1],
			char gid[EID_GRANT_ID_LEN + 1],
			char rt[EID_REFRESH_TOKEN_LEN + 1])
{
	char pid[EID_PERSONAL_ID_LEN + 1];
	struct eid_grant g = { .personal_id = pid, .client_id = "rp",
			       .scope = "openid" };

	snprintf(pid, sizeof(pid), "%s", id);
	assert_int_equal(eid_session_create(f->ts.store, id, 1, "pwd",
					    "127.0.0.1", clock_now, 86400,
					    cookie, NULL), EID_OK);
	assert_int_equal(eid_grant_create(f->ts.store, &g, (uint64_t)clock_now,
					  gid), EID_OK);
	assert_int_equal(eid_refresh_issue(f->ts.store, gid,
					   (uint64_t)clock_now, 3600, rt),
			 EID_OK);
}

/* The one lock for card status changes ends everything by itself: the
 * caller does not call eid_account_end_everything. */
static void test_card_sync_ends_everything(void **state)
{
	struct fx *f = *state;
	const char ids[3][EID_PERSONAL_ID_LEN + 1] = { ADULT, "001099999999",
						       ADULT2 };
	char cookie[2][EID_SESSION_TOKEN_LEN + 1], gid[2][EID_GRANT_ID_LEN + 1];
	char rt[2][EID_REFRESH_TOKEN_LEN + 1], next[EID_REFRESH_TOKEN_LEN + 1];
	struct eid_card_sync res[3];
	struct eid_session sess;
	struct eid_grant g;
	struct eid_account a;

	assert_int_equal(create(f, ADULT, "0912345678", 1, GOOD_PW), EID_OK);
	assert_int_equal(create(f, ADULT2, "0987654321", 1, GOOD_PW), EID_OK);
	live_tokens(f, ADULT, cookie[0], gid[0], rt[0]);
	live_tokens(f, ADULT2, cookie[1], gid[1], rt[1]);
	/* Nothing due: nothing locked, nothing ended. */
	assert_int_equal(eid_account_sync_card_status(f->ts.store, &f->ts.reg,
						      ids, 3, clock_now, res),
			 EID_OK);
	assert_false(res[0].locked || res[1].locked || res[2].locked);
	assert_int_equal(eid_session_lookup(f->ts.store, cookie[0], &sess),
			 EID_OK);
	/* The registry revokes the first citizen's card. */
	revoke_card(f, ADULT);
	assert_int_equal(eid_account_sync_card_status(f->ts.store, &f->ts.reg,
						      ids, 3, clock_now, res),
			 EID_OK);
	assert_true(res[0].locked);
	assert_int_equal(res[0].reason, EID_LOCK_CARD_REVOKED);
	assert_string_equal(res[0].phone, "+84912345678");
	assert_int_equal(res[0].ended, EID_OK);
	assert_false(res[1].locked); /* no such account: skipped */
	assert_false(res[2].locked);
	assert_int_equal(get(f, ADULT, &a), EID_OK);
	assert_int_equal(a.status, EID_ACCOUNT_LOCKED);
	assert_string_equal(a.locked_by, "system");
	/* Its session and refresh token are dead; the other citizen's live. */
	assert_int_equal(eid_session_lookup(f->ts.store, cookie[0], &sess),
			 EID_ENOTFOUND);
	assert_int_equal(eid_grant_check_active(f->ts.store, gid[0]), EID_EPERM);
	assert_int_equal(eid_refresh_rotate(f->ts.store, rt[0], "rp", NULL,
					    (uint64_t)clock_now, &g, next),
			 EID_EPERM);
	assert_int_equal(eid_session_lookup(f->ts.store, cookie[1], &sess),
			 EID_OK);
	assert_int_equal(eid_refresh_rotate(f->ts.store, rt[1], "rp", NULL,
					    (uint64_t)clock_now, &g, next),
			 EID_OK);
	eid_grant_clear(&g);
	/* Locked already: a second call locks nothing again. */
	assert_int_equal(eid_account_sync_card_status(f->ts.store, &f->ts.reg,
						      ids, 1, clock_now, res),
			 EID_OK);
	assert_false(res[0].locked);
}

/* A registry that cannot be reached, as the HTTP one is during an
 * outage (idp/registry.h: EID_ENETWORK); it counts the lookups. */
static int down_lookup(void *ctx, const char *personal_id,
		       struct eid_citizen *ret)
{
	(void)personal_id;
	(void)ret;
	(*(unsigned *)ctx)++;
	return EID_ENETWORK;
}

/* Unavailable is unknown, never revoked: nothing is locked, a right
 * password is not let in (the card cannot be checked), and the failure
 * is not counted against the account. */
static void test_registry_down_locks_nobody(void **state)
{
	struct fx *f = *state;
	const char ids[2][EID_PERSONAL_ID_LEN + 1] = { ADULT, ADULT2 };
	unsigned calls = 0;
	eid_registry down = { .lookup = down_lookup, .ctx = &calls };
	struct eid_card_sync res[2];
	struct eid_account acct;
	struct eid_login_info info;
	struct eid_account a;

	assert_int_equal(create(f, ADULT, "0912345678", 1, GOOD_PW), EID_OK);
	assert_int_equal(create(f, ADULT2, "0987654321", 1, GOOD_PW), EID_OK);
	revoke_card(f, ADULT);

	assert_int_equal(eid_account_sync_card_status(f->ts.store, &down, ids,
						      2, clock_now, res),
			 EID_OK);
	assert_false(res[0].locked || res[1].locked);
	assert_int_equal(res[0].checked, EID_ENETWORK);
	assert_int_equal(res[1].checked, EID_ENETWORK);
	assert_int_equal(calls, 1); /* once down, the rest are not asked */

	assert_int_equal(eid_account_authenticate(f->ts.store, &down, &f->pol,
						  ADULT, GOOD_PW, NULL,
						  clock_now, &acct, &info),
			 EID_ENETWORK);
	assert_string_equal(info.reason, "registry_unavailable");
	/* A wrong password is told as always, without asking. */
	calls = 0;
	assert_int_equal(eid_account_authenticate(f->ts.store, &down, &f->pol,
						  ADULT, "not the password",
						  NULL, clock_now, &acct,
						  &info),
			 EID_EAUTH);
	assert_int_equal(calls, 0);
	assert_int_equal(get(f, ADULT, &a), EID_OK);
	assert_int_equal(a.status, EID_ACCOUNT_ACTIVE);
	assert_int_equal(a.failed_logins, 1); /* the wrong one only */
	eid_account_clear(&a);

	/* The registry back: the revoked card locks the account. */
	assert_int_equal(login(f, ADULT, GOOD_PW, NULL, NULL), EID_ELOCKED);
	assert_int_equal(get(f, ADULT, &a), EID_OK);
	assert_int_equal(a.lock_reason, EID_LOCK_CARD_REVOKED);
	eid_account_clear(&a);
}

static void test_change_phone(void **state)
{
	struct fx *f = *state;
	struct eid_account a;
	eid_txn *t = NULL;
	char why[256] = "";
	eid_buf b;

	assert_int_equal(create(f, ADULT, "0912345678", 1, GOOD_PW), EID_OK);
	assert_int_equal(create(f, ADULT2, "0987654321", 1, GOOD_PW), EID_OK);
	eid_buf_init(&b, 256);
	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	assert_int_equal(eid_account_change_phone(t, ADULT, "0911111111",
						  "citizen:" ADULT, clock_now,
						  &b), EID_EPERM);
	eid_buf_reset(&b);
	assert_int_equal(eid_account_change_phone(t, ADULT, "0987654321",
						  "officer:hbt01", clock_now,
						  &b), EID_EEXIST);
	snprintf(why, sizeof(why), "%s", eid_buf_cstr(&b));
	assert_non_null(strstr(why, "one phone number per account"));
	assert_int_equal(eid_account_change_phone(t, ADULT, "0911111111",
						  "officer:hbt01", clock_now,
						  NULL), EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	eid_buf_free(&b);
	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_account_find_by_phone(t, "0911111111", &a), EID_OK);
	assert_string_equal(a.personal_id, ADULT);
	assert_int_equal(eid_account_find_by_phone(t, "0912345678", &a),
			 EID_ENOTFOUND);
	eid_txn_abort(t);
	assert_int_equal(audit_count(f, "account.phone_change", NULL), 1);
}

static void test_set_password_activates(void **state)
{
	struct fx *f = *state;
	struct eid_account a;
	eid_txn *t = NULL;

	assert_int_equal(create(f, ADULT, "0912345678", 2, NULL), EID_OK);
	assert_int_equal(login(f, ADULT, GOOD_PW, NULL, NULL), EID_EAUTH);
	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	assert_int_equal(eid_account_set_password(t, &f->pol, ADULT, "short",
						  "citizen:" ADULT, clock_now,
						  NULL), EID_EINVAL);
	assert_int_equal(eid_account_set_password(t, &f->pol, ADULT, GOOD_PW,
						  "citizen:" ADULT, clock_now,
						  NULL), EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	assert_int_equal(get(f, ADULT, &a), EID_OK);
	assert_int_equal(a.status, EID_ACCOUNT_ACTIVE);
	assert_int_equal(a.level, 2);
	assert_int_equal(login(f, ADULT, GOOD_PW, NULL, NULL), EID_OK);
}

static void test_json_output_hides_hash(void **state)
{
	struct fx *f = *state;
	struct eid_account a;
	json_t *o = NULL;
	char *text;

	assert_int_equal(create(f, ADULT, "0912345678", 1, GOOD_PW), EID_OK);
	assert_int_equal(get(f, ADULT, &a), EID_OK);
	assert_int_equal(eid_account_to_json(&a, &o), EID_OK);
	text = json_dumps(o, 0);
	assert_null(strstr(text, "argon2"));
	assert_non_null(strstr(text, "\"status\": \"active\""));
	free(text);
	json_decref(o);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, tmpstore_pol_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_phone_and_email),
		T(test_create_and_find),
		T(test_registry_rules),
		T(test_age_rules),
		T(test_one_phone_per_account),
		T(test_weak_passwords),
		T(test_login_and_wrong_password),
		T(test_lockout_delay),
		T(test_unknown_account_same_work),
		T(test_per_address_limit),
		T(test_locked_refused_after_password),
		T(test_revoke_is_final),
		T(test_rehash_on_parameter_change),
		T(test_card_status_locks),
		T(test_card_sync_ends_everything),
		T(test_registry_down_locks_nobody),
		T(test_change_phone),
		T(test_set_password_activates),
		T(test_json_output_hides_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
