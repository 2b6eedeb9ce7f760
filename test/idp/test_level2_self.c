/* Self-service level 2's decision rules and record (idp/level2_self.h):
 * the order of the checks, the account raised only when all pass, the
 * audit entry, and the selfie member of the upload. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "crypto/error.h"
#include "crypto/keys.h"
#include "idp/audit.h"
#include "idp/device.h"
#include "idp/level2_self.h"
#include "chip_fixture.h"
#include "tmpstore.h"

#define ADULT "001090012345"
#define ADULT_JSON                                                         \
	"{\"personal_id\":\"001090012345\",\"full_name\":\"Nguyễn Văn An\","  \
	"\"birthdate\":\"1990-03-15\",\"sex\":\"male\","                      \
	"\"card_issued\":\"2021-04-10\",\"card_expires\":\"2030-03-15\"}"
#define PW "Hoa-sen-no-2026!"

#define fx tmpstore_pol
#define NOW tmpstore_clock_now

/* The device the tests bind (setup). */
static char device_id[EID_DEVICE_ID_LEN + 1];

static void bind_device(eid_txn *t)
{
	char old[EID_DEVICE_ID_LEN + 1];
	struct eid_device d = { 0 };
	eid_key *k = NULL;
	json_t *jwk = NULL;

	assert_int_equal(eid_key_generate(EID_ALG_ES256, &k), EID_OK);
	assert_int_equal(eid_key_public_jwk(k, &jwk), EID_OK);
	assert_int_equal(eid_device_bind(t, ADULT, jwk, 1, NULL, NOW, &d, old),
			 EID_OK);
	memcpy(device_id, d.id, sizeof(device_id));
	eid_device_clear(&d);
	json_decref(jwk);
	eid_key_free(k);
}

static int setup(void **state)
{
	struct eid_account_new n = { .personal_id = ADULT,
				     .phone = "0912345678", .password = PW };
	struct fx *f;
	eid_txn *t;
	int r = tmpstore_pol_setup(state);

	if (r != 0)
		return r;
	f = *state;
	tmpstore_put_citizen(f->ts.store, ADULT_JSON);
	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	assert_int_equal(eid_account_create(t, &f->pol, &n, NOW, "test", NULL),
			 EID_OK);
	bind_device(t);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	return 0;
}

/* The adult's card read, all valid. */
static struct eid_activation_chip *good_chip(void)
{
	return chip_fixture_adult();
}

static void judge(struct fx *f, const struct eid_activation_chip *chip,
		  struct eid_activation *ret)
{
	assert_int_equal(eid_activation_judge_chip(&f->ts.reg, ADULT, chip,
						   ret), EID_OK);
}

/* A passing input over judged; the tests break one thing at a time. */
static struct eid_level2_self passing(const struct eid_activation *judged)
{
	return (struct eid_level2_self){
		.personal_id = ADULT, .device_id = device_id, .judged = judged,
		.has_portrait = true, .biometric_run = true,
		.biometric_rc = EID_OK, .bio = { .match = true, .score = 0.9 },
	};
}

static void test_decide_order(void **state)
{
	struct fx *f = *state;
	struct eid_activation_chip *chip = good_chip();
	struct eid_activation *j = calloc(1, sizeof(*j));
	struct eid_level2_self in;
	json_t *v;

	assert_non_null(j);
	judge(f, chip, j);
	in = passing(j);
	assert_int_equal(eid_level2_self_decide(&in), EID_L2S_OK);
	in.bio.match = false;
	assert_int_equal(eid_level2_self_decide(&in), EID_L2S_BIOMETRIC_NO_MATCH);
	in.biometric_rc = EID_ETIMEOUT;
	assert_int_equal(eid_level2_self_decide(&in), EID_L2S_BIOMETRIC_ERROR);
	in.biometric_rc = EID_EUNSUPPORTED;
	assert_int_equal(eid_level2_self_decide(&in),
			 EID_L2S_BIOMETRIC_NOT_CONFIGURED);
	in.has_portrait = false;
	assert_int_equal(eid_level2_self_decide(&in), EID_L2S_PORTRAIT);

	/* a card failing PA still has its DG13 verdict told as it is */
	chip->pa = EID_ACHECK_INVALID;
	judge(f, chip, j);
	in = passing(j);
	assert_int_equal(eid_level2_self_decide(&in), EID_L2S_PA);
	v = eid_level2_self_verdicts(&in, EID_L2S_PA);
	assert_non_null(v);
	assert_string_equal(json_string_value(json_object_get(v, "dg13")), "match");
	assert_string_equal(json_string_value(json_object_get(v, "result")), "pa");
	json_decref(v);
	chip->pa = EID_ACHECK_VALID;

	strcpy(chip->dg13.birthdate, "1990-03-16");
	judge(f, chip, j);
	in = passing(j);
	assert_int_equal(eid_level2_self_decide(&in), EID_L2S_DG13);
	chip->aa = EID_ACHECK_NOT_SUPPORTED;
	judge(f, chip, j);
	assert_int_equal(eid_level2_self_decide(&in), EID_L2S_AA);
	chip->pa = EID_ACHECK_INVALID;
	judge(f, chip, j);
	/* PA first, even with a match from the biometric service */
	assert_int_equal(eid_level2_self_decide(&in), EID_L2S_PA);
	assert_string_equal(eid_level2_self_check_name(EID_L2S_PA), "pa");
	assert_string_equal(
		eid_level2_self_check_text(EID_L2S_BIOMETRIC_NOT_CONFIGURED),
		"no biometric service is configured: level 2 is given at a "
		"police office");
	free(chip);
	free(j);
}

static int level_of(struct fx *f, enum eid_account_status *st)
{
	struct eid_account a;
	eid_txn *t;
	int level;

	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_account_get(t, ADULT, &a), EID_OK);
	eid_txn_abort(t);
	level = a.level;
	*st = a.status;
	eid_account_clear(&a);
	return level;
}

static int device_level(struct fx *f)
{
	struct eid_device d = { 0 };
	eid_txn *t;
	int level;

	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_device_get(t, device_id, &d), EID_OK);
	eid_txn_abort(t);
	level = d.level;
	eid_device_clear(&d);
	return level;
}

static enum eid_l2s_check record(struct fx *f, const struct eid_level2_self *in)
{
	enum eid_l2s_check c = EID_L2S_OK;
	eid_txn *t;

	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	assert_int_equal(eid_level2_self_record(t, in, NOW, &c), EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	return c;
}

static int last_selfservice(json_t *e, void *arg)
{
	json_t **last = arg;

	if (strcmp(json_string_value(json_object_get(e, "type")) ?: "",
		   "activation.selfservice") == 0) {
		json_decref(*last);
		*last = json_deep_copy(e);
	}
	return EID_OK;
}

static json_t *audit_details(struct fx *f)
{
	json_t *last = NULL, *d;
	eid_txn *t;

	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_audit_scan(t, 0, 0, last_selfservice, &last),
			 EID_OK);
	eid_txn_abort(t);
	assert_non_null(last);
	d = json_incref(json_object_get(last, "details"));
	json_decref(last);
	return d;
}

static void test_record(void **state)
{
	struct fx *f = *state;
	struct eid_activation_chip *chip = good_chip();
	struct eid_activation *j = calloc(1, sizeof(*j));
	struct eid_level2_self in;
	enum eid_account_status st;
	json_t *d;

	assert_non_null(j);
	judge(f, chip, j);
	in = passing(j);
	in.bio.match = false;
	assert_int_equal(record(f, &in), EID_L2S_BIOMETRIC_NO_MATCH);
	assert_int_equal(level_of(f, &st), 1);
	assert_int_equal(device_level(f), 1);
	d = audit_details(f);
	assert_string_equal(json_string_value(json_object_get(d, "result")),
			    "biometric_no_match");
	assert_string_equal(json_string_value(json_object_get(d, "biometric")),
			    "no_match");
	json_decref(d);

	in = passing(j);
	assert_int_equal(record(f, &in), EID_L2S_OK);
	assert_int_equal(level_of(f, &st), 2);
	assert_int_equal(st, EID_ACCOUNT_ACTIVE);
	d = audit_details(f);
	assert_string_equal(json_string_value(json_object_get(d, "passive_authentication")), "valid");
	assert_string_equal(json_string_value(json_object_get(d, "active_authentication")), "valid");
	assert_string_equal(json_string_value(json_object_get(d, "dg13")), "match");
	assert_string_equal(json_string_value(json_object_get(d, "result")), "ok");
	assert_string_equal(json_string_value(json_object_get(d, "device_id")),
			    device_id);
	json_decref(d);
	assert_int_equal(device_level(f), 2); /* logs in at level 2 now */

	/* once level 2, the way is closed */
	assert_int_equal(record(f, &in), EID_L2S_ACCOUNT);
	free(chip);
	free(j);
}

static int selfie(const char *body, eid_buf *out)
{
	return eid_level2_self_selfie((const uint8_t *)body, strlen(body), out);
}

static void test_selfie(void **state)
{
	eid_buf b;

	(void)state;
	eid_buf_init(&b, EID_BIOMETRIC_IMAGE_MAX);
	assert_int_equal(selfie("{\"selfie\":\"_9j_4A\"}", &b), EID_OK);
	assert_int_equal(b.len, 4);
	assert_int_equal(b.data[0], 0xff);
	assert_int_equal(selfie("{\"sod\":\"AA\"}", &b), EID_EINVAL);
	assert_int_equal(selfie("{\"selfie\":1}", &b), EID_EINVAL);
	assert_int_equal(selfie("{\"selfie\":\"iVBORw0K\"}", &b),
			 EID_EMALFORMED); /* a PNG */
	assert_int_equal(selfie("{\"selfie\":\"_9j_4A==\"}", &b),
			 EID_EMALFORMED);
	assert_int_equal(selfie("not json", &b), EID_EINVAL);
	eid_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_decide_order, setup,
						tmpstore_pol_teardown),
		cmocka_unit_test_setup_teardown(test_record, setup,
						tmpstore_pol_teardown),
		cmocka_unit_test(test_selfie),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
