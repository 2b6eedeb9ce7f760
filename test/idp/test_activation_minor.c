/* A minor's level-2 activation (idp/activation_minor.c): the guardian's
 * rules at the start and at the attestation, the birth certificate's data,
 * the guardian's card, the consent in the audit trail, the code meant for
 * the guardian's phone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/activation.h"
#include "idp/audit.h"
#include "chip_fixture.h"
#include "tmpstore.h"

#define GUARDIAN "001090012345"
#define GUARDIAN_JSON                                                      \
	"{\"personal_id\":\"001090012345\",\"full_name\":\"Nguyễn Văn An\","  \
	"\"birthdate\":\"1990-03-15\",\"sex\":\"male\","                      \
	"\"card_issued\":\"2021-04-10\",\"card_expires\":\"2030-03-15\"}"
#define CHILD "001216000777" /* no card, in the guardian's care */
#define CHILD_JSON                                                         \
	"{\"personal_id\":\"001216000777\",\"full_name\":\"Nguyễn Minh Khang\"," \
	"\"birthdate\":\"2016-06-01\",\"sex\":\"male\","                      \
	"\"guardian_id\":\"001090012345\"}"
#define CARDED "001315000555" /* has a card */
#define CARDED_JSON                                                        \
	"{\"personal_id\":\"001315000555\",\"full_name\":\"Nguyễn Thu Hà\","  \
	"\"birthdate\":\"2015-02-01\",\"sex\":\"female\","                    \
	"\"card_number\":\"001315000555\",\"card_issued\":\"2023-02-01\","    \
	"\"card_expires\":\"2029-02-01\",\"guardian_id\":\"001090012345\"}"
#define ALONE "001217000888" /* the registry names no guardian */
#define ALONE_JSON                                                         \
	"{\"personal_id\":\"001217000888\",\"full_name\":\"Lê Bé\","          \
	"\"birthdate\":\"2017-01-01\",\"sex\":\"male\"}"
#define PW "Hoa-sen-no-2026!"
#define CHILD_PW "Cay-tre-xanh-2026"

#define fx tmpstore_pol
#define NOW tmpstore_clock_now

static const char *const hbt01 = "hbt01", *const unit = "CA-HN-HBT";

static int setup(void **state)
{
	struct fx *f;
	int r = tmpstore_pol_setup(state);

	if (r != 0)
		return r;
	f = *state;
	tmpstore_put_citizen(f->ts.store, GUARDIAN_JSON);
	tmpstore_put_citizen(f->ts.store, CHILD_JSON);
	tmpstore_put_citizen(f->ts.store, CARDED_JSON);
	tmpstore_put_citizen(f->ts.store, ALONE_JSON);
	return 0;
}

/* The guardian's account at level (2: active with a password). */
static void guardian_account(struct fx *f, int level)
{
	struct eid_account_new n = { .personal_id = GUARDIAN,
				     .phone = "0912345678", .level = level,
				     .password = PW };
	eid_txn *t;

	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	assert_int_equal(eid_account_create(t, &f->pol, &n, NOW,
					    "operator:test", NULL), EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
}

static void lock_guardian(struct fx *f)
{
	eid_txn *t;

	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	assert_int_equal(eid_account_lock(t, GUARDIAN, EID_LOCK_OFFICER,
					  "officer:hbt01", NOW), EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
}

static int start(struct fx *f, const char *pid, struct eid_activation *c,
		 char *why, size_t cap)
{
	struct eid_citizen cz;
	bool found = eid_registry_lookup(&f->ts.reg, pid, &cz) == EID_OK;
	eid_txn *t;
	eid_buf b;
	int r;

	eid_buf_init(&b, 256);
	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	r = eid_activation_start(t, pid, found ? &cz : NULL, hbt01, unit, NOW,
				 c, &b);
	(void)tmpstore_settle(t, r);
	tmpstore_why(&b, why, cap);
	eid_buf_free(&b);
	return r;
}

static int birth(struct fx *f, const char *case_id, const char *name,
		 const char *date, struct eid_activation *c)
{
	eid_txn *t;
	int r;

	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	r = eid_activation_record_birth(t, case_id, hbt01, unit,
					EID_OFFICER_ROLE_OFFICER, name, date,
					NOW, c, NULL);
	(void)tmpstore_settle(t, r);
	return r;
}

/* The guardian's card, read at the desk: valid, DG13 as the registry. */
static struct eid_activation_chip *guardian_card(void)
{
	return chip_fixture_adult();
}

static int guardian_read(struct fx *f, const char *case_id,
			 const struct eid_activation_chip *chip,
			 struct eid_activation *c)
{
	eid_txn *t;
	int r;

	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	r = eid_activation_record_guardian_chip(t, case_id, hbt01, unit,
						EID_OFFICER_ROLE_OFFICER, chip,
						NOW, c);
	(void)tmpstore_settle(t, r);
	return r;
}

static int attest(struct fx *f, const char *case_id, bool consent,
		  char code[EID_ACTIVATION_CODE_LEN + 1],
		  char sms_to[EID_PHONE_MAX + 1], char *why, size_t cap)
{
	struct eid_activation_attest a = {
		.case_id = case_id, .officer_id = hbt01, .unit = unit,
		.role = EID_OFFICER_ROLE_OFFICER, .face_checked = true,
		.guardian_consent = consent,
	};
	eid_txn *t;
	eid_buf b;
	int r;

	eid_buf_init(&b, 256);
	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	r = eid_activation_attest(t, &f->pol, &a, NOW, code, NULL, &b);
	(void)tmpstore_settle(t, r);
	tmpstore_why(&b, why, cap);
	eid_buf_free(&b);
	memcpy(sms_to, a.ret_sms_to, EID_PHONE_MAX + 1);
	return r;
}

static void test_start_needs_a_level2_guardian(void **state)
{
	struct fx *f = *state;
	struct eid_activation c;
	char why[256];

	assert_int_equal(start(f, ALONE, &c, why, sizeof(why)), EID_EPERM);
	assert_non_null(strstr(why, "names none"));
	assert_int_equal(start(f, CHILD, &c, why, sizeof(why)), EID_EPERM);
	assert_non_null(strstr(why, "guardian has no account"));
	guardian_account(f, 1);
	assert_int_equal(start(f, CHILD, &c, why, sizeof(why)), EID_EPERM);
	assert_non_null(strstr(why, "active level-2 account"));
}

static void test_start_refuses_a_locked_guardian(void **state)
{
	struct fx *f = *state;
	struct eid_activation c;
	char why[256];

	guardian_account(f, 2);
	assert_int_equal(start(f, CHILD, &c, why, sizeof(why)), EID_OK);
	assert_int_equal(c.guardian, EID_AGUARDIAN_WAITING);
	assert_string_equal(c.guardian_id, GUARDIAN);
	lock_guardian(f);
	assert_int_equal(start(f, CHILD, &c, why, sizeof(why)), EID_EPERM);
	assert_non_null(strstr(why, "guardian's account is locked"));
}

static void test_birth_record(void **state)
{
	struct fx *f = *state;
	struct eid_activation c, d;
	char why[256];

	guardian_account(f, 2);
	/* A date that differs ends the case, field by field. */
	assert_int_equal(start(f, CHILD, &c, why, sizeof(why)), EID_OK);
	assert_int_equal(birth(f, c.id, "Nguyễn Minh Khang", "2016-06-02", &d),
			 EID_OK);
	assert_int_equal(d.state, EID_ACTIVATION_CHIP_FAILED);
	assert_true(d.fields[0].match);
	assert_false(d.fields[1].match);
	assert_int_equal(birth(f, c.id, "Nguyễn Minh Khang", "2016-06-01", &d),
			 EID_ESTATE);
	/* Not a date at all. */
	assert_int_equal(start(f, CHILD, &c, why, sizeof(why)), EID_OK);
	assert_int_equal(birth(f, c.id, "Nguyễn Minh Khang", "01/06/2016", &d),
			 EID_EINVAL);
	/* The right data, blanks collapsed. */
	assert_int_equal(birth(f, c.id, "Nguyễn  Minh Khang", "2016-06-01", &d),
			 EID_OK);
	assert_int_equal(d.state, EID_ACTIVATION_BIRTH_OK);
	/* A child with a card shows the card, not the birth certificate. */
	assert_int_equal(start(f, CARDED, &c, why, sizeof(why)), EID_OK);
	assert_int_equal(birth(f, c.id, "Nguyễn Thu Hà", "2015-02-01", &d),
			 EID_ESTATE);
}

static int count_consent(json_t *e, void *arg)
{
	const char *type = json_string_value(json_object_get(e, "type"));
	const char *actor = json_string_value(json_object_get(e, "actor"));
	const char *subject = json_string_value(json_object_get(e, "subject"));
	unsigned *n = arg;

	if (type != NULL && strcmp(type, "activation.guardian_consent") == 0 &&
	    actor != NULL && strcmp(actor, "citizen:" GUARDIAN) == 0 &&
	    subject != NULL && strcmp(subject, CHILD) == 0)
		(*n)++;
	return EID_OK;
}

/* The whole way: birth data, the guardian's card, the consent, the code
 * for the guardian's phone, the child's password. */
static void test_minor_activated_with_consent(void **state)
{
	struct fx *f = *state;
	struct eid_activation_chip *chip = guardian_card();
	char code[EID_ACTIVATION_CODE_LEN + 1], sms_to[EID_PHONE_MAX + 1];
	struct eid_activation c;
	struct eid_account a;
	unsigned consents = 0;
	char why[256];
	eid_txn *t;

	guardian_account(f, 2);
	assert_int_equal(start(f, CHILD, &c, why, sizeof(why)), EID_OK);
	assert_int_equal(birth(f, c.id, "Nguyễn Minh Khang", "2016-06-01", &c),
			 EID_OK);
	/* Not before the guardian is identified by the card. */
	assert_int_equal(attest(f, c.id, true, code, sms_to, why, sizeof(why)),
			 EID_ESTATE);
	assert_non_null(strstr(why, "identify the guardian"));
	assert_int_equal(guardian_read(f, c.id, chip, &c), EID_OK);
	assert_int_equal(c.guardian, EID_AGUARDIAN_VERIFIED);
	assert_int_equal(c.state, EID_ACTIVATION_BIRTH_OK);
	assert_int_equal(guardian_read(f, c.id, chip, &c), EID_ESTATE);
	/* Not without the consent. */
	assert_int_equal(attest(f, c.id, false, code, sms_to, why, sizeof(why)),
			 EID_EINVAL);
	assert_int_equal(attest(f, c.id, true, code, sms_to, why, sizeof(why)),
			 EID_OK);
	assert_string_equal(sms_to, "+84912345678");
	assert_int_equal(strlen(code), EID_ACTIVATION_CODE_LEN);
	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_account_get(t, CHILD, &a), EID_OK);
	assert_int_equal(a.level, 2);
	assert_int_equal(a.status, EID_ACCOUNT_PENDING_ACTIVATION);
	assert_string_equal(a.guardian_id, GUARDIAN);
	assert_string_equal(a.phone, "+84912345678");
	eid_account_clear(&a);
	assert_int_equal(eid_audit_history(t, GUARDIAN, 0, 0, 100,
					   count_consent, &consents, NULL),
			 EID_OK);
	eid_txn_abort(t);
	assert_int_equal(consents, 1); /* in the guardian's history too */
	assert_int_equal(eid_activation_complete(f->ts.store, &f->pol, CHILD,
						 code, CHILD_PW, "127.0.0.1",
						 NOW, NULL), EID_OK);
	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_account_get(t, CHILD, &a), EID_OK);
	eid_txn_abort(t);
	assert_int_equal(a.status, EID_ACCOUNT_ACTIVE);
	assert_int_equal(a.level, 2);
	eid_account_clear(&a);
	free(chip);
}

static void test_guardian_card_and_lock_at_attest(void **state)
{
	struct fx *f = *state;
	struct eid_activation_chip *chip = guardian_card();
	char code[EID_ACTIVATION_CODE_LEN + 1], sms_to[EID_PHONE_MAX + 1];
	struct eid_activation c;
	char why[256];

	guardian_account(f, 2);
	/* Someone else's card for the guardian ends the case. */
	assert_int_equal(start(f, CHILD, &c, why, sizeof(why)), EID_OK);
	strcpy(chip->dg13.full_name, "Nguyễn Văn Ân");
	assert_int_equal(guardian_read(f, c.id, chip, &c), EID_OK);
	assert_int_equal(c.state, EID_ACTIVATION_CHIP_FAILED);
	assert_int_equal(strncmp(c.refusal, "the guardian's card", 19), 0);
	/* A guardian locked between the card read and the attestation. */
	strcpy(chip->dg13.full_name, "Nguyễn Văn An");
	assert_int_equal(start(f, CHILD, &c, why, sizeof(why)), EID_OK);
	assert_int_equal(birth(f, c.id, "Nguyễn Minh Khang", "2016-06-01", &c),
			 EID_OK);
	assert_int_equal(guardian_read(f, c.id, chip, &c), EID_OK);
	lock_guardian(f);
	assert_int_equal(attest(f, c.id, true, code, sms_to, why, sizeof(why)),
			 EID_ESTATE);
	assert_non_null(strstr(why, "locked"));
	free(chip);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_start_needs_a_level2_guardian, setup, tmpstore_pol_teardown),
		cmocka_unit_test_setup_teardown(test_start_refuses_a_locked_guardian, setup, tmpstore_pol_teardown),
		cmocka_unit_test_setup_teardown(test_birth_record, setup, tmpstore_pol_teardown),
		cmocka_unit_test_setup_teardown(test_minor_activated_with_consent, setup, tmpstore_pol_teardown),
		cmocka_unit_test_setup_teardown(test_guardian_card_and_lock_at_attest, setup, tmpstore_pol_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
