/* Level-2 activation: every refusal of the case, the code and /activate's
 * core (idp/activation.h). */
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

#define ADULT "001090012345"
#define ADULT_JSON                                                         \
	"{\"personal_id\":\"001090012345\",\"full_name\":\"Nguyễn Văn An\","  \
	"\"birthdate\":\"1990-03-15\",\"sex\":\"male\","                      \
	"\"card_issued\":\"2021-04-10\",\"card_expires\":\"2030-03-15\"}"
#define CHILD "001216000777"
#define CHILD_JSON                                                         \
	"{\"personal_id\":\"001216000777\",\"full_name\":\"Nguyễn Minh Khang\"," \
	"\"birthdate\":\"2016-06-01\",\"sex\":\"male\","                      \
	"\"guardian_id\":\"001090012345\"}"
#define REVOKED "079195012346"
#define REVOKED_JSON                                                       \
	"{\"personal_id\":\"079195012346\",\"full_name\":\"Trần Thị Bích\","  \
	"\"birthdate\":\"1995-11-02\",\"sex\":\"female\","                    \
	"\"card_status\":\"revoked\"}"
#define NEW_PW "Hoa-sen-no-2026!"
#define PHONE "0912345678"

#define fx tmpstore_pol
#define NOW tmpstore_clock_now

static int setup(void **state)
{
	struct fx *f;
	int r = tmpstore_pol_setup(state);

	if (r != 0)
		return r;
	f = *state;
	tmpstore_put_citizen(f->ts.store, ADULT_JSON);
	tmpstore_put_citizen(f->ts.store, CHILD_JSON);
	tmpstore_put_citizen(f->ts.store, REVOKED_JSON);
	return 0;
}

static int start(struct fx *f, const char *pid, struct eid_activation *c)
{
	struct eid_citizen cz;
	bool found = eid_registry_lookup(&f->ts.reg, pid, &cz) == EID_OK;
	eid_txn *t;
	int r;

	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	r = eid_activation_start(t, pid, found ? &cz : NULL, "hbt01",
				 "CA-HN-HBT", NOW, c, NULL);
	if (r == EID_OK)
		assert_int_equal(eid_txn_commit(t), EID_OK);
	else
		eid_txn_abort(t);
	return r;
}

/* A chip read of the adult: valid, DG13 as the registry has it. */
static struct eid_activation_chip *good_chip(void)
{
	struct eid_activation_chip *c = chip_fixture_adult();

	strcpy(c->dg13.full_name, "Nguyễn  Văn An"); /* blanks collapse */
	return c;
}

/* Who acts on a case; hbt01 opens every case of these tests. */
struct who {
	const char *id, *unit;
	enum eid_officer_role role;
};

static const struct who hbt01 = { "hbt01", "CA-HN-HBT",
				  EID_OFFICER_ROLE_OFFICER };

static int record_as(struct fx *f, const struct who *w, const char *case_id,
		     const struct eid_activation_chip *chip,
		     struct eid_activation *ret)
{
	struct eid_activation c;
	struct eid_citizen cz;
	eid_txn *t;
	int r;

	/* The case's citizen, looked up before the transaction, as the
	 * server does. */
	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	r = eid_activation_get(t, case_id, &c);
	eid_txn_abort(t);
	if (r == EID_OK)
		assert_int_equal(eid_registry_lookup(&f->ts.reg, c.personal_id,
						     &cz), EID_OK);
	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	r = eid_activation_record_chip(t, case_id, r == EID_OK ? &cz : NULL,
				       w->id, w->unit, w->role, chip, NOW,
				       ret);
	if (r == EID_OK)
		assert_int_equal(eid_txn_commit(t), EID_OK);
	else
		eid_txn_abort(t);
	return r;
}

static int record(struct fx *f, const char *case_id,
		  const struct eid_activation_chip *chip,
		  struct eid_activation *ret)
{
	return record_as(f, &hbt01, case_id, chip, ret);
}

static int attest_as(struct fx *f, const struct who *w, const char *case_id,
		     bool face, const char *phone,
		     char code[EID_ACTIVATION_CODE_LEN + 1])
{
	struct eid_activation_attest a = {
		.case_id = case_id, .officer_id = w->id, .unit = w->unit,
		.role = w->role, .face_checked = face, .phone = phone,
	};
	eid_txn *t;
	int r;

	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	r = eid_activation_attest(t, &f->pol, &a, NOW, code, NULL, NULL);
	if (r == EID_OK)
		assert_int_equal(eid_txn_commit(t), EID_OK);
	else
		eid_txn_abort(t);
	return r;
}

static int attest(struct fx *f, const char *case_id, bool face,
		  const char *phone, char code[EID_ACTIVATION_CODE_LEN + 1])
{
	return attest_as(f, &hbt01, case_id, face, phone, code);
}

/* A case of the adult, read and attested: the code in code. */
static void ready(struct fx *f, char code[EID_ACTIVATION_CODE_LEN + 1])
{
	struct eid_activation_chip *chip = good_chip();
	struct eid_activation c;

	assert_int_equal(start(f, ADULT, &c), EID_OK);
	assert_int_equal(record(f, c.id, chip, &c), EID_OK);
	assert_int_equal(c.state, EID_ACTIVATION_CHIP_OK);
	assert_int_equal(attest(f, c.id, true, PHONE, code), EID_OK);
	free(chip);
}

static void account(struct fx *f, const char *pid, struct eid_account *a)
{
	eid_txn *t;

	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_account_get(t, pid, a), EID_OK);
	eid_txn_abort(t);
}

static int complete(struct fx *f, const char *code, const char *pw,
		    int64_t now)
{
	return eid_activation_complete(f->ts.store, &f->pol, ADULT, code, pw,
				       "127.0.0.1", now, NULL);
}

static void test_start_refusals(void **state)
{
	struct fx *f = *state;
	struct eid_activation c;

	assert_int_equal(start(f, "12345", &c), EID_EMALFORMED);
	assert_int_equal(start(f, "001090099999", &c), EID_ENOTFOUND);
	assert_int_equal(start(f, CHILD, &c), EID_EPERM);
	assert_int_equal(start(f, REVOKED, &c), EID_ESTATE);
	assert_int_equal(start(f, ADULT, &c), EID_OK);
	assert_int_equal(c.state, EID_ACTIVATION_STARTED);
	assert_int_equal(strlen(c.id), EID_ACTIVATION_ID_LEN);
}

static void test_pa_failure_stops_the_case(void **state)
{
	struct fx *f = *state;
	struct eid_activation_chip *chip = good_chip();
	struct eid_activation c;
	char code[EID_ACTIVATION_CODE_LEN + 1];

	chip->pa = EID_ACHECK_INVALID;
	assert_int_equal(start(f, ADULT, &c), EID_OK);
	assert_int_equal(record(f, c.id, chip, &c), EID_OK);
	assert_int_equal(c.state, EID_ACTIVATION_CHIP_FAILED);
	assert_non_null(strstr(c.refusal, "Passive Authentication"));
	assert_int_equal(attest(f, c.id, true, PHONE, code), EID_ESTATE);
	/* and no second read on the same case */
	chip->pa = EID_ACHECK_VALID;
	assert_int_equal(record(f, c.id, chip, &c), EID_ESTATE);
	free(chip);
}

static void test_aa_missing_stops_the_case(void **state)
{
	struct fx *f = *state;
	struct eid_activation_chip *chip = good_chip();
	struct eid_activation c;

	chip->aa = EID_ACHECK_NOT_SUPPORTED;
	assert_int_equal(start(f, ADULT, &c), EID_OK);
	assert_int_equal(record(f, c.id, chip, &c), EID_OK);
	assert_int_equal(c.state, EID_ACTIVATION_CHIP_FAILED);
	free(chip);
}

static void test_dg13_mismatch_field_by_field(void **state)
{
	struct fx *f = *state;
	struct eid_activation_chip *chip = good_chip();
	struct eid_activation c;
	size_t bad = 0;

	strcpy(chip->dg13.birthdate, "1990-03-16");
	assert_int_equal(start(f, ADULT, &c), EID_OK);
	assert_int_equal(record(f, c.id, chip, &c), EID_OK);
	assert_int_equal(c.state, EID_ACTIVATION_CHIP_FAILED);
	for (size_t i = 0; i < c.n_fields; i++)
		if (!c.fields[i].match) {
			bad++;
			assert_string_equal(c.fields[i].name, "birthdate");
			assert_string_equal(c.fields[i].registry, "1990-03-15");
			assert_string_equal(c.fields[i].card, "1990-03-16");
		}
	assert_int_equal(bad, 1);
	assert_non_null(strstr(c.refusal, "does not match"));
	free(chip);
}

static void test_attest_rules(void **state)
{
	struct fx *f = *state;
	struct eid_activation_chip *chip = good_chip();
	struct eid_activation c;
	struct eid_account a;
	char code[EID_ACTIVATION_CODE_LEN + 1];

	assert_int_equal(start(f, ADULT, &c), EID_OK);
	assert_int_equal(attest(f, c.id, true, PHONE, code), EID_ESTATE);
	assert_int_equal(record(f, c.id, chip, &c), EID_OK);
	assert_int_equal(attest(f, c.id, false, PHONE, code), EID_EINVAL);
	/* no account yet: a phone number is needed to create one */
	assert_int_equal(attest(f, c.id, true, NULL, code), EID_EINVAL);
	assert_int_equal(attest(f, c.id, true, PHONE, code), EID_OK);
	assert_int_equal(strlen(code), EID_ACTIVATION_CODE_LEN);
	assert_int_equal(strspn(code, EID_ACTIVATION_ALPHABET),
			 EID_ACTIVATION_CODE_LEN);
	account(f, ADULT, &a);
	assert_int_equal(a.level, 2);
	assert_int_equal(a.status, EID_ACCOUNT_PENDING_ACTIVATION);
	eid_account_clear(&a);
	/* attested once */
	assert_int_equal(attest(f, c.id, true, PHONE, code), EID_ESTATE);
	free(chip);
}

/* A case is its opener's and the supervisors' of the same unit. */
static void test_decomposed_dg13_name(void **state)
{
	struct fx *f = *state;
	struct eid_activation_chip *chip = good_chip();
	struct eid_activation c;

	strcpy(chip->dg13.full_name, "Nguye\xcc\x82\xcc\x83n Va\xcc\x86n An");
	assert_int_equal(start(f, ADULT, &c), EID_OK);
	assert_int_equal(record(f, c.id, chip, &c), EID_OK);
	assert_int_equal(c.state, EID_ACTIVATION_CHIP_OK);
	free(chip);
}

static void test_unit_scope(void **state)
{
	static const struct who other_unit = { "bd01", "CA-HN-BD",
					       EID_OFFICER_ROLE_OFFICER };
	static const struct who other_sup = { "bd99", "CA-HN-BD",
					      EID_OFFICER_ROLE_SUPERVISOR };
	static const struct who colleague = { "hbt02", "CA-HN-HBT",
					      EID_OFFICER_ROLE_OFFICER };
	static const struct who sup = { "hbt99", "CA-HN-HBT",
					EID_OFFICER_ROLE_SUPERVISOR };
	struct fx *f = *state;
	struct eid_activation_chip *chip = good_chip();
	struct eid_activation c;
	char code[EID_ACTIVATION_CODE_LEN + 1];

	assert_int_equal(start(f, ADULT, &c), EID_OK);
	assert_true(eid_activation_may_access(&c, "hbt01", "CA-HN-HBT",
					      EID_OFFICER_ROLE_OFFICER));
	assert_true(eid_activation_may_access(&c, "hbt99", "CA-HN-HBT",
					      EID_OFFICER_ROLE_SUPERVISOR));
	assert_false(eid_activation_may_access(&c, "hbt01", "CA-HN-BD",
					       EID_OFFICER_ROLE_OFFICER));
	assert_false(eid_activation_may_access(&c, "hbt02", "CA-HN-HBT",
					       EID_OFFICER_ROLE_OFFICER));
	assert_false(eid_activation_may_access(&c, "bd99", "CA-HN-BD",
					       EID_OFFICER_ROLE_SUPERVISOR));
	assert_int_equal(record_as(f, &other_unit, c.id, chip, &c), EID_EPERM);
	assert_int_equal(record_as(f, &other_sup, c.id, chip, &c), EID_EPERM);
	assert_int_equal(record_as(f, &colleague, c.id, chip, &c), EID_EPERM);
	assert_int_equal(record_as(f, &sup, c.id, chip, &c), EID_OK);
	assert_int_equal(attest_as(f, &other_unit, c.id, true, PHONE, code),
			 EID_EPERM);
	assert_int_equal(attest_as(f, &colleague, c.id, true, PHONE, code),
			 EID_EPERM);
	assert_int_equal(attest_as(f, &sup, c.id, true, PHONE, code), EID_OK);
	free(chip);
}

static void test_complete_and_reuse(void **state)
{
	struct fx *f = *state;
	char code[EID_ACTIVATION_CODE_LEN + 1], typed[16];
	struct eid_account a;

	ready(f, code);
	/* a weak password does not spend the code */
	assert_int_equal(complete(f, code, "short", NOW), EID_EINVAL);
	/* typed in lower case with a hyphen */
	for (size_t i = 0; i < 4; i++)
		typed[i] = (char)(code[i] >= 'A' ? code[i] + 32 : code[i]);
	typed[4] = '-';
	memcpy(typed + 5, code + 4, 5);
	assert_int_equal(complete(f, typed, NEW_PW, NOW + 60), EID_OK);
	account(f, ADULT, &a);
	assert_int_equal(a.level, 2);
	assert_int_equal(a.status, EID_ACCOUNT_ACTIVE);
	assert_true(a.sessions_revoked_before > NOW);
	eid_account_clear(&a);
	assert_int_equal(complete(f, code, NEW_PW, NOW + 120), EID_EREPLAY);
}

static void test_expired_code(void **state)
{
	struct fx *f = *state;
	char code[EID_ACTIVATION_CODE_LEN + 1];

	ready(f, code);
	assert_int_equal(complete(f, code, NEW_PW,
				  NOW + EID_ACTIVATION_CODE_TTL),
			 EID_EEXPIRED);
}

static void test_attempts(void **state)
{
	struct fx *f = *state;
	char code[EID_ACTIVATION_CODE_LEN + 1];

	ready(f, code);
	/* '1' is not in the alphabet: surely wrong */
	assert_int_equal(complete(f, "11111111", NEW_PW, NOW), EID_EAUTH);
	for (int i = 1; i < EID_ACTIVATION_MAX_ATTEMPTS - 1; i++)
		assert_int_equal(complete(f, "22222222x", NEW_PW, NOW), EID_EAUTH);
	assert_int_equal(complete(f, "", NEW_PW, NOW), EID_ELIMIT);
	/* burnt: even the right code no longer works */
	assert_int_equal(complete(f, code, NEW_PW, NOW), EID_ELIMIT);
}

static void test_no_code(void **state)
{
	struct fx *f = *state;

	assert_int_equal(complete(f, "ABCDEFGH", NEW_PW, NOW), EID_ENOTFOUND);
}

static int count_type(json_t *e, void *arg)
{
	const char *type = json_string_value(json_object_get(e, "type"));
	unsigned *n = arg;

	if (type != NULL && strncmp(type, "activation.", 11) == 0)
		(*n)++;
	return EID_OK;
}

static void test_audited(void **state)
{
	struct fx *f = *state;
	char code[EID_ACTIVATION_CODE_LEN + 1];
	unsigned n = 0;
	eid_txn *t;

	ready(f, code);
	assert_int_equal(complete(f, code, NEW_PW, NOW), EID_OK);
	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_audit_scan(t, 0, 0, count_type, &n), EID_OK);
	eid_txn_abort(t);
	/* start, chip, attest, complete */
	assert_int_equal(n, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_start_refusals, setup, tmpstore_pol_teardown),
		cmocka_unit_test_setup_teardown(test_pa_failure_stops_the_case, setup, tmpstore_pol_teardown),
		cmocka_unit_test_setup_teardown(test_aa_missing_stops_the_case, setup, tmpstore_pol_teardown),
		cmocka_unit_test_setup_teardown(test_dg13_mismatch_field_by_field, setup, tmpstore_pol_teardown),
		cmocka_unit_test_setup_teardown(test_attest_rules, setup, tmpstore_pol_teardown),
		cmocka_unit_test_setup_teardown(test_unit_scope, setup, tmpstore_pol_teardown),
		cmocka_unit_test_setup_teardown(test_decomposed_dg13_name, setup, tmpstore_pol_teardown),
		cmocka_unit_test_setup_teardown(test_complete_and_reuse, setup, tmpstore_pol_teardown),
		cmocka_unit_test_setup_teardown(test_expired_code, setup, tmpstore_pol_teardown),
		cmocka_unit_test_setup_teardown(test_attempts, setup, tmpstore_pol_teardown),
		cmocka_unit_test_setup_teardown(test_no_code, setup, tmpstore_pol_teardown),
		cmocka_unit_test_setup_teardown(test_audited, setup, tmpstore_pol_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
