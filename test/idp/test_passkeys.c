/* Passkey records, challenges and sign-in (idp/passkeys.h), with the test
 * authenticator's real attestation objects and assertions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/audit.h"
#include "idp/passkeys.h"
#include "tmpstore.h"
#include "wa_authenticator.h"

#define L1 "001090000011"
#define L2 "001090000022"
#define PW "a quiet river at dawn"
#define UP EID_WA_FLAG_UP
#define UV EID_WA_FLAG_UV

static const struct eid_passkey_rp rp = { "localhost",
					   "http://localhost:8080" };
static const uint8_t hkey[32] = { 5, 4, 3 };

#define fx tmpstore_pol

static void account(struct fx *f, const char *pid, const char *phone,
		    int level)
{
	char js[256];
	struct eid_account_new a = { .personal_id = pid, .phone = phone,
				     .level = level, .password = PW };
	eid_txn *t = NULL;

	snprintf(js, sizeof(js),
		 "{\"personal_id\":\"%s\",\"full_name\":\"Nguyễn Văn An\","
		 "\"birthdate\":\"1990-03-15\",\"sex\":\"male\"}", pid);
	tmpstore_put_citizen(f->ts.store, js);
	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	assert_int_equal(eid_account_create(t, &f->pol, &a, TMPSTORE_NOW,
					    "operator:test", NULL),
			 EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
}

static int setup(void **state)
{
	struct fx *f;

	tmpstore_pol_setup(state);
	f = *state;
	account(f, L1, "0912000011", 1);
	account(f, L2, "0912000022", 2);
	return 0;
}

/* Register a's credential for pid through the whole ceremony. */
static int enroll_named(struct fx *f, struct wa_auth *a, const char *pid,
			const char *name)
{
	struct eid_wa_expect x = { rp.rp_id, rp.origin, NULL, 32, true };
	struct eid_wa_credential c;
	uint8_t ch[32];
	eid_buf cd, ao;
	eid_txn *t = NULL;
	int r;

	eid_buf_init(&cd, 4096);
	eid_buf_init(&ao, 16384);
	assert_int_equal(eid_passkey_challenge_new(f->ts.store, "create", "sid1",
						   ch), EID_OK);
	assert_int_equal(wa_client_data(&cd, "webauthn.create", ch, 32,
					rp.origin), 0);
	assert_int_equal(wa_attestation(a, WA_PACKED_SELF, rp.rp_id, UP | UV,
					&cd, &ao), 0);
	assert_int_equal(eid_passkey_challenge_take(f->ts.store, "create",
						    "sid1", ch), EID_OK);
	x.challenge = ch;
	assert_int_equal(eid_wa_register(&x, cd.data, cd.len, ao.data, ao.len,
					 &c), EID_OK);
	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	r = eid_passkey_add(t, pid, &c, name, "internal,bogus,usb",
			    "127.0.0.1", TMPSTORE_NOW, NULL);
	(void)tmpstore_settle(t, r);
	eid_buf_free(&cd);
	eid_buf_free(&ao);
	return r;
}

static int enroll(struct fx *f, struct wa_auth *a, const char *pid)
{
	return enroll_named(f, a, pid, "Laptop\x01 key");
}

/* Sign in with a: a fresh challenge for interaction "it1", an assertion
 * with flags, checked. */
static int sign_in(struct fx *f, struct wa_auth *a, uint8_t flags,
		   const uint8_t *handle, struct eid_passkey_login *ret)
{
	struct eid_passkey_assertion q = { 0 };
	uint8_t ch[32];
	eid_buf cd, ad, sig;
	int r;

	eid_buf_init(&cd, 4096);
	eid_buf_init(&ad, 4096);
	eid_buf_init(&sig, 1024);
	assert_int_equal(eid_passkey_challenge_new(f->ts.store, "get", "it1",
						   ch), EID_OK);
	assert_int_equal(wa_client_data(&cd, "webauthn.get", ch, 32,
					rp.origin), 0);
	assert_int_equal(wa_assertion(a, rp.rp_id, flags, &cd, &ad, &sig), 0);
	assert_int_equal(eid_passkey_challenge_take(f->ts.store, "get", "it1",
						    ch), EID_OK);
	q.cred_id = a->cred_id;
	q.cred_id_len = sizeof(a->cred_id);
	q.client_data = cd.data;
	q.client_data_len = cd.len;
	q.auth_data = ad.data;
	q.auth_data_len = ad.len;
	q.sig = sig.data;
	q.sig_len = sig.len;
	q.user_handle = handle;
	q.user_handle_len = handle != NULL ? 32 : 0;
	r = eid_passkey_authenticate(f->ts.store, &rp, ch, hkey, &q,
				     "127.0.0.1", ret);
	eid_buf_free(&cd);
	eid_buf_free(&ad);
	eid_buf_free(&sig);
	return r;
}

struct seen {
	unsigned n;
	struct eid_passkey last;
};

static int count_pk(const struct eid_passkey *pk, void *arg)
{
	struct seen *s = arg;
	json_t *name = json_string(pk->name); /* NULL when not UTF-8 */

	assert_non_null(name);
	json_decref(name);
	assert_true(strlen(pk->name) <= EID_PASSKEY_NAME_MAX);
	s->n++;
	s->last = *pk;
	return EID_OK;
}

static struct seen list(struct fx *f, const char *pid)
{
	struct seen s = { 0 };
	eid_txn *t = NULL;

	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_passkey_list(t, pid, count_pk, &s), EID_OK);
	eid_txn_abort(t);
	return s;
}

static void register_list_remove(void **state)
{
	struct fx *f = *state;
	struct wa_auth a;
	struct seen s;
	eid_txn *t = NULL;

	assert_int_equal(wa_auth_new(&a, -7, NULL), 0);
	assert_int_equal(enroll(f, &a, L1), EID_OK);
	/* A credential id is registered once, across accounts. */
	assert_int_equal(enroll(f, &a, L1), EID_EEXIST);
	assert_int_equal(enroll(f, &a, L2), EID_EEXIST);
	s = list(f, L1);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.last.name, "Laptop  key");
	assert_string_equal(s.last.transports, "internal,usb");
	assert_string_equal(s.last.attestation, "packed-self");
	assert_true(s.last.uv);
	assert_int_equal(list(f, L2).n, 0);
	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	/* Not another account's to remove. */
	assert_int_equal(eid_passkey_remove(t, L2, s.last.id, "citizen:" L2,
					    NULL, TMPSTORE_NOW),
			 EID_ENOTFOUND);
	assert_int_equal(eid_passkey_remove(t, L1, s.last.id, "citizen:" L1,
					    NULL, TMPSTORE_NOW),
			 EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	assert_int_equal(list(f, L1).n, 0);
	/* Gone, so it may be registered again.  A name that is not UTF-8
	 * is dropped; a long one is cut before a whole character. */
	assert_int_equal(enroll_named(f, &a, L2, "bad \xff name"), EID_OK);
	assert_string_equal(list(f, L2).last.name, "");
	wa_auth_free(&a);
	assert_int_equal(wa_auth_new(&a, -7, NULL), 0);
	assert_int_equal(enroll_named(f, &a, L2,
				      "Điện thoại của tôi, điện thoại của "
				      "tôi, điện thoại của tôi"), EID_OK);
	s = list(f, L2);
	assert_int_equal(s.n, 2);
	wa_auth_free(&a);
}

static void challenges_single_use(void **state)
{
	struct fx *f = *state;
	uint8_t c1[32], c2[32], got[32];

	assert_int_equal(eid_passkey_challenge_new(f->ts.store, "get", "b", c1),
			 EID_OK);
	assert_int_equal(eid_passkey_challenge_new(f->ts.store, "get", "b", c2),
			 EID_OK);
	assert_memory_not_equal(c1, c2, 32);
	/* Another purpose or binding does not reach it. */
	assert_int_equal(eid_passkey_challenge_take(f->ts.store, "create", "b",
						    got), EID_ENOTFOUND);
	assert_int_equal(eid_passkey_challenge_take(f->ts.store, "get", "c",
						    got), EID_ENOTFOUND);
	assert_int_equal(eid_passkey_challenge_take(f->ts.store, "get", "b",
						    got), EID_OK);
	assert_memory_equal(got, c2, 32); /* the newer replaced the older */
	assert_int_equal(eid_passkey_challenge_take(f->ts.store, "get", "b",
						    got), EID_ENOTFOUND);
	/* Expired. */
	assert_int_equal(eid_passkey_challenge_new(f->ts.store, "get", "b", c1),
			 EID_OK);
	tmpstore_clock_now += EID_PASSKEY_CHALLENGE_TTL + 1;
	assert_int_equal(eid_passkey_challenge_take(f->ts.store, "get", "b",
						    got), EID_ENOTFOUND);
}

static void sign_in_levels(void **state)
{
	struct fx *f = *state;
	struct eid_passkey_login li;
	struct wa_auth a1, a2;
	uint8_t h[32];

	assert_int_equal(wa_auth_new(&a1, -7, NULL), 0);
	assert_int_equal(wa_auth_new(&a2, -257, NULL), 0);
	assert_int_equal(enroll(f, &a1, L1), EID_OK);
	assert_int_equal(enroll(f, &a2, L2), EID_OK);
	/* Level 1: UV not needed, the session stays at level 1. */
	assert_int_equal(sign_in(f, &a1, UP, NULL, &li), EID_OK);
	assert_string_equal(li.personal_id, L1);
	assert_int_equal(li.level, 1);
	assert_string_equal(li.amr, "hwk user");
	assert_int_equal(sign_in(f, &a1, UP | UV, NULL, &li), EID_OK);
	assert_int_equal(li.level, 1);
	assert_string_equal(li.amr, "hwk user mfa");
	/* Level 2: UV required, and then the login reaches level 2. */
	assert_int_equal(sign_in(f, &a2, UP, NULL, &li), EID_EAUTH);
	assert_int_equal(eid_passkey_user_handle(hkey, L2, h), EID_OK);
	assert_int_equal(sign_in(f, &a2, UP | UV, h, &li), EID_OK);
	assert_int_equal(li.level, 2);
	assert_int_equal(li.account_level, 2);
	/* A user handle that is not the credential's account's. */
	assert_int_equal(sign_in(f, &a1, UP | UV, h, &li), EID_EAUTH);
	/* BE: a synced passkey is a software key. */
	assert_int_equal(sign_in(f, &a1, UP | EID_WA_FLAG_BE, NULL, &li),
			 EID_OK);
	assert_string_equal(li.amr, "swk user");
	/* BS without BE is refused. */
	assert_int_equal(sign_in(f, &a1, UP | EID_WA_FLAG_BS, NULL, &li),
			 EID_EMALFORMED);
	/* Unknown credential. */
	a1.cred_id[0] ^= 1;
	assert_int_equal(sign_in(f, &a1, UP, NULL, &li), EID_EAUTH);
	wa_auth_free(&a1);
	wa_auth_free(&a2);
}

struct find_arg {
	const char *type;
	unsigned n;
};

static int find_event(json_t *e, void *arg)
{
	struct find_arg *fa = arg;
	const char *type = json_string_value(json_object_get(e, "type"));

	if (type != NULL && strcmp(type, fa->type) == 0)
		fa->n++;
	return EID_OK;
}

static unsigned events(struct fx *f, const char *type)
{
	struct find_arg fa = { type, 0 };
	eid_txn *t = NULL;

	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_audit_scan(t, 0, 0, find_event, &fa), EID_OK);
	eid_txn_abort(t);
	return fa.n;
}

static void counter_regression(void **state)
{
	struct fx *f = *state;
	struct eid_passkey_login li;
	struct wa_auth a;

	assert_int_equal(wa_auth_new(&a, -7, NULL), 0);
	assert_int_equal(enroll(f, &a, L1), EID_OK);
	assert_int_equal(events(f, "passkey.register"), 1);
	a.count = 41;
	assert_int_equal(sign_in(f, &a, UP, NULL, &li), EID_OK); /* 42 */
	assert_int_equal(events(f, "passkey.login"), 1);
	a.count = 41; /* a clone presents 42 again */
	assert_int_equal(sign_in(f, &a, UP, NULL, &li), EID_EREPLAY);
	a.count = 10;
	assert_int_equal(sign_in(f, &a, UP, NULL, &li), EID_EREPLAY);
	assert_int_equal(events(f, "passkey.counter_regression"), 2);
	assert_int_equal(events(f, "passkey.login"), 1);
	assert_int_equal(list(f, L1).last.sign_count, 42);
	assert_int_equal(sign_in(f, &a, UP, NULL, &li), EID_EREPLAY); /* 11 */
	a.count = 42;
	assert_int_equal(sign_in(f, &a, UP, NULL, &li), EID_OK); /* 43 */
	wa_auth_free(&a);
}

static void locked_account(void **state)
{
	struct fx *f = *state;
	struct eid_passkey_login li;
	struct wa_auth a;
	eid_txn *t = NULL;

	assert_int_equal(wa_auth_new(&a, -7, NULL), 0);
	assert_int_equal(enroll(f, &a, L1), EID_OK);
	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	assert_int_equal(eid_account_lock(t, L1, EID_LOCK_CITIZEN_REQUEST,
					  "citizen:" L1, TMPSTORE_NOW),
			 EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	assert_int_equal(sign_in(f, &a, UP | UV, NULL, &li), EID_ELOCKED);
	wa_auth_free(&a);
}

static void relying_party(void **state)
{
	struct eid_config c;
	struct eid_passkey_rp r;

	(void)state;
	assert_int_equal(eid_config_defaults(&c), EID_OK);
	assert_int_equal(eid_passkey_rp(&c, &r), EID_OK);
	assert_string_equal(r.rp_id, "127.0.0.1");
	assert_string_equal(r.origin, "http://127.0.0.1:8080");
	assert_int_equal(eid_config_load_string(&c, "t",
						"[server]\nissuer = "
						"https://ID.example.vn/oidc\n",
						NULL),
			 EID_OK);
	assert_int_equal(eid_passkey_rp(&c, &r), EID_OK);
	assert_string_equal(r.rp_id, "id.example.vn");
	assert_string_equal(r.origin, "https://id.example.vn");
	assert_int_equal(eid_config_load_string(&c, "t",
						"[webauthn]\nrp_id = example.vn\n"
						"origin = https://login.example.vn\n",
						NULL),
			 EID_OK);
	assert_int_equal(eid_passkey_rp(&c, &r), EID_OK);
	assert_string_equal(r.rp_id, "example.vn");
	assert_string_equal(r.origin, "https://login.example.vn");
	eid_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(register_list_remove, setup,
						tmpstore_pol_teardown),
		cmocka_unit_test_setup_teardown(challenges_single_use, setup,
						tmpstore_pol_teardown),
		cmocka_unit_test_setup_teardown(sign_in_levels, setup,
						tmpstore_pol_teardown),
		cmocka_unit_test_setup_teardown(counter_regression, setup,
						tmpstore_pol_teardown),
		cmocka_unit_test_setup_teardown(locked_account, setup,
						tmpstore_pol_teardown),
		cmocka_unit_test(relying_party),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
