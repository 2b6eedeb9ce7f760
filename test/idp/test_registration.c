/* Level-1 self-service registration: the happy path and every refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/otp.h"
#include "idp/registration.h"
#include "notify_fixture.h"
#include "tmpstore.h"

#define ADULT "001090012345"
#define ADULT2 "079195012346"
#define TEEN "001212000777"    /* born 2012-03-01: 13 at TMPSTORE_NOW */
#define CHILD "001220000001"   /* born 2020-01-01: 5 */
#define REVOKED "001085000123"
#define UNKNOWN "001090099999"
#define PHONE "0912345678"
#define PHONE_E164 "+84912345678"
#define GOOD_PW "a quiet river at dawn"
#define now tmpstore_clock_now

static const char *const citizens[] = {
	"{\"personal_id\":\"" ADULT "\",\"full_name\":\"Nguyễn Văn An\","
	"\"birthdate\":\"1990-03-15\",\"sex\":\"male\","
	"\"card_issued\":\"2021-04-10\",\"card_expires\":\"2030-03-15\"}",
	"{\"personal_id\":\"" ADULT2 "\",\"full_name\":\"Trần Thị Bích\","
	"\"birthdate\":\"1995-11-02\",\"sex\":\"female\"}",
	"{\"personal_id\":\"" TEEN "\",\"full_name\":\"Nguyễn Minh Khang\","
	"\"birthdate\":\"2012-03-01\",\"sex\":\"male\"}",
	"{\"personal_id\":\"" CHILD "\",\"full_name\":\"Nguyễn Bé\","
	"\"birthdate\":\"2020-01-01\",\"sex\":\"male\"}",
	"{\"personal_id\":\"" REVOKED "\",\"full_name\":\"Lê Văn C\","
	"\"birthdate\":\"1985-01-01\",\"sex\":\"male\","
	"\"card_status\":\"revoked\"}",
};

static const uint8_t jpeg[] = { 0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J',
				'F',  'I',  'F',  0x00, 0xff, 0xd9 };

struct fx {
	struct tmpstore_pol p;
	struct fake_notify fake;
	eid_notify n;
	eid_registry reg;
	struct eid_registration_ctx ctx;
	struct eid_registration_input in;
	eid_buf why;
};

static int setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof(f));
	tmpstore_clock_now = TMPSTORE_NOW;
	tmpstore_open(&f.p.ts, tmpstore_movable_clock);
	tmpstore_test_policy(&f.p.pol);
	for (size_t i = 0; i < sizeof(citizens) / sizeof(citizens[0]); i++)
		tmpstore_put_citizen(f.p.ts.store, citizens[i]);
	fake_notify_init(&f.fake, &f.n);
	assert_int_equal(eid_registry_open_local(f.p.ts.store, &f.reg), EID_OK);
	f.ctx = (struct eid_registration_ctx){
		.store = f.p.ts.store, .registry = &f.reg, .notify = &f.n,
		.policy = &f.p.pol, .per_address_max = 100, .per_id_max = 100,
		.window = 3600,
	};
	eid_registration_input_init(&f.in);
	eid_buf_init(&f.why, 512);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	eid_registration_input_free(&f->in);
	eid_buf_free(&f->why);
	eid_registry_close(&f->reg);
	tmpstore_close(&f->p.ts);
	return 0;
}

static void set(struct fx *f, const char *field, const char *v)
{
	assert_int_equal(eid_registration_input_set(&f->in, field, v,
						    strlen(v), NULL), EID_OK);
}

static void fill(struct fx *f, const char *id, const char *name,
		 const char *birth, const char *phone)
{
	set(f, "personal_id", id);
	set(f, "full_name", name);
	set(f, "birthdate", birth);
	set(f, "phone", phone);
	assert_int_equal(eid_registration_input_set(&f->in, "portrait",
						    (const char *)jpeg,
						    sizeof(jpeg), NULL), EID_OK);
}

static int start(struct fx *f, struct eid_registration_result *res)
{
	eid_buf_reset(&f->why);
	return eid_registration_start(&f->ctx, &f->in, "192.0.2.1", now, res,
				      &f->why);
}

static int confirm(struct fx *f, const char *id, const char *code,
		   const char *pw)
{
	eid_buf_reset(&f->why);
	return eid_registration_confirm(&f->ctx, id, code, pw, "192.0.2.1",
					now, NULL, &f->why);
}

static void account_of(struct fx *f, const char *id, struct eid_account *a,
		       int expect)
{
	eid_txn *t = NULL;

	assert_int_equal(eid_store_begin(f->p.ts.store, false, &t), EID_OK);
	assert_int_equal(eid_account_get(t, id, a), expect);
	eid_txn_abort(t);
}

static void test_happy_path(void **state)
{
	struct fx *f = *state;
	struct eid_registration_result res;
	struct eid_account a;
	eid_buf pic;
	eid_txn *t = NULL;
	char code[7];

	/* Blanks of every kind collapse in the name. */
	fill(f, ADULT, "  Nguyễn\u00a0 Văn\tAn ", "1990-03-15", PHONE);
	assert_int_equal(start(f, &res), EID_OK);
	assert_int_equal(strlen(res.id), EID_REGISTRATION_ID_LEN);
	assert_int_equal(res.expires_at, now + EID_REGISTRATION_TTL);
	assert_int_equal(f->fake.sent, 1);
	assert_string_equal(f->fake.phone, PHONE_E164);
	fake_notify_code(&f->fake, code);

	/* A weak password is refused with its reason; the code survives. */
	assert_int_equal(confirm(f, res.id, code, "password"), EID_EINVAL);
	assert_true(f->why.len > 0);
	assert_int_equal(confirm(f, res.id, code, GOOD_PW), EID_OK);
	account_of(f, ADULT, &a, EID_OK);
	assert_int_equal(a.level, 1);
	assert_int_equal(a.status, EID_ACCOUNT_ACTIVE);
	assert_string_equal(a.phone, PHONE_E164);
	eid_account_clear(&a);
	eid_buf_init(&pic, EID_PORTRAIT_MAX);
	assert_int_equal(eid_store_begin(f->p.ts.store, false, &t), EID_OK);
	assert_int_equal(eid_portrait_get(t, ADULT, &pic), EID_OK);
	eid_txn_abort(t);
	assert_memory_equal(pic.data, jpeg, sizeof(jpeg));
	eid_buf_free(&pic);
	/* Done once: the registration is gone. */
	assert_int_equal(confirm(f, res.id, code, GOOD_PW), EID_ENOTFOUND);
}

/* A name typed decomposed, as some phone keyboards send it, matches the
 * registry's precomposed one (both are compared in NFC). */
static void test_decomposed_name(void **state)
{
	static const char nfd[] = "Nguye\xcc\x82\xcc\x83n Va\xcc\x86n An";
	struct fx *f = *state;
	struct eid_registration_result res;
	eid_buf n;

	eid_buf_init(&n, 64);
	assert_int_equal(eid_name_normalize(nfd, &n), EID_OK);
	assert_string_equal(eid_buf_cstr(&n), "Nguyễn Văn An");
	eid_buf_reset(&n);
	assert_int_equal(eid_name_normalize("Nguy\xe1\xbb", &n), EID_EMALFORMED);
	assert_int_equal(n.len, 0);
	eid_buf_free(&n);
	fill(f, ADULT, nfd, "1990-03-15", PHONE);
	assert_int_equal(start(f, &res), EID_OK);
}

/* Each field off by a little, an unknown ID, an ID with an account, a
 * revoked card: one refusal that says nothing. */
static void test_generic_refusals(void **state)
{
	struct fx *f = *state;
	struct eid_registration_result res;
	static const char *const cases[][4] = {
		{ ADULT, "Nguyễn Văn Anh", "1990-03-15", "full_name" },
		{ ADULT, "Nguyen Van An", "1990-03-15", "full_name" },
		{ ADULT, "Nguyễn Văn An", "1990-03-16", "birthdate" },
		{ UNKNOWN, "Nguyễn Văn An", "1990-03-15", "unknown" },
		{ REVOKED, "Lê Văn C", "1985-01-01", "revoked" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fill(f, cases[i][0], cases[i][1], cases[i][2], PHONE);
		now += EID_OTP_RESEND_INTERVAL;
		assert_int_equal(start(f, &res), EID_EMISMATCH);
		assert_int_equal(f->why.len, 0);
		assert_string_equal(res.id, "");
	}
	/* An existing account for the ID. */
	fill(f, ADULT, "Nguyễn Văn An", "1990-03-15", PHONE);
	assert_int_equal(start(f, &res), EID_OK);
	{
		char code[7];
		fake_notify_code(&f->fake, code);
		assert_int_equal(confirm(f, res.id, code, GOOD_PW), EID_OK);
	}
	now += EID_OTP_RESEND_INTERVAL;
	set(f, "phone", "0987654321");
	assert_int_equal(start(f, &res), EID_EMISMATCH);
	assert_int_equal(f->why.len, 0);
	assert_int_equal(f->fake.sent, 1);
}

static void test_under_age(void **state)
{
	struct fx *f = *state;
	struct eid_registration_result res;

	fill(f, TEEN, "Nguyễn Minh Khang", "2012-03-01", PHONE);
	assert_int_equal(start(f, &res), EID_EPERM);
	assert_non_null(strstr((const char *)eid_buf_cstr(&f->why), "guardian"));
	fill(f, CHILD, "Nguyễn Bé", "2020-01-01", PHONE);
	assert_int_equal(start(f, &res), EID_EPERM);
	assert_non_null(strstr((const char *)eid_buf_cstr(&f->why), "guardian"));
	/* Under-age is only said once the details match. */
	fill(f, TEEN, "Nguyễn Minh Khang", "2012-03-02", PHONE);
	assert_int_equal(start(f, &res), EID_EMISMATCH);
	assert_int_equal(f->fake.sent, 0);
}

static void test_phone_taken_is_silent(void **state)
{
	struct fx *f = *state;
	struct eid_registration_result res;
	char code[7];

	fill(f, ADULT2, "Trần Thị Bích", "1995-11-02", PHONE);
	assert_int_equal(start(f, &res), EID_OK);
	fake_notify_code(&f->fake, code);
	assert_int_equal(confirm(f, res.id, code, GOOD_PW), EID_OK);

	/* Another citizen with the same phone: the same answer, no message. */
	now += EID_OTP_RESEND_INTERVAL;
	fill(f, ADULT, "Nguyễn Văn An", "1990-03-15", "+84 912 345 678");
	assert_int_equal(start(f, &res), EID_OK);
	assert_int_equal(strlen(res.id), EID_REGISTRATION_ID_LEN);
	assert_int_equal(f->fake.sent, 1);
	assert_int_equal(confirm(f, res.id, code, GOOD_PW), EID_EAUTH);
	account_of(f, ADULT, &(struct eid_account){ 0 }, EID_ENOTFOUND);
}

static void test_codes(void **state)
{
	struct fx *f = *state;
	struct eid_registration_result res;
	char code[7], wrong[7];

	fill(f, ADULT, "Nguyễn Văn An", "1990-03-15", PHONE);
	assert_int_equal(start(f, &res), EID_OK);
	fake_notify_code(&f->fake, code);
	memcpy(wrong, code, 7);
	wrong[0] = (char)(wrong[0] == '9' ? '0' : wrong[0] + 1);
	assert_int_equal(confirm(f, res.id, wrong, GOOD_PW), EID_EAUTH);
	assert_int_equal(confirm(f, "nope", code, GOOD_PW), EID_ENOTFOUND);
	now += EID_OTP_TTL;
	assert_int_equal(confirm(f, res.id, code, GOOD_PW), EID_EEXPIRED);
	/* A new registration, a new code; the old one replayed fails. */
	assert_int_equal(start(f, &res), EID_OK);
	assert_int_equal(confirm(f, res.id, code, GOOD_PW) == EID_OK, 0);
	fake_notify_code(&f->fake, code);
	assert_int_equal(confirm(f, res.id, code, GOOD_PW), EID_OK);
	/* After EID_REGISTRATION_TTL a pending registration is gone. */
	now += EID_OTP_RESEND_INTERVAL;
	fill(f, ADULT2, "Trần Thị Bích", "1995-11-02", "0987654321");
	assert_int_equal(start(f, &res), EID_OK);
	fake_notify_code(&f->fake, code);
	now += EID_REGISTRATION_TTL;
	assert_int_equal(confirm(f, res.id, code, GOOD_PW), EID_ENOTFOUND);
}

/* The registry, failing while down is true, as a remote one does in an
 * outage (EID_ENETWORK); otherwise the local table. */
struct outage {
	eid_registry local;
	bool down;
};

static int outage_lookup(void *ctx, const char *id, struct eid_citizen *ret)
{
	struct outage *o = ctx;

	return o->down ? EID_ENETWORK : eid_registry_lookup(&o->local, id, ret);
}

/* Registry down: the start is refused and leaves nothing pending (no SMS);
 * the confirmation is refused before the code is looked at, so the same
 * code works once the registry is back. */
static void test_registry_down(void **state)
{
	struct fx *f = *state;
	struct outage o = { .local = f->reg, .down = true };
	eid_registry reg = { .lookup = outage_lookup, .ctx = &o };
	struct eid_registration_result res;
	struct eid_account a;
	char code[7];

	f->ctx.registry = &reg;
	fill(f, ADULT, "Nguyễn Văn An", "1990-03-15", PHONE);
	assert_int_equal(start(f, &res), EID_ENETWORK);
	assert_int_equal(f->fake.sent, 0);
	o.down = false;
	assert_int_equal(start(f, &res), EID_OK);
	fake_notify_code(&f->fake, code);
	o.down = true;
	assert_int_equal(confirm(f, res.id, code, GOOD_PW), EID_ENETWORK);
	account_of(f, ADULT, &a, EID_ENOTFOUND);
	o.down = false;
	assert_int_equal(confirm(f, res.id, code, GOOD_PW), EID_OK);
	account_of(f, ADULT, &a, EID_OK);
	eid_account_clear(&a);
	f->ctx.registry = &f->reg;
}

static void test_rate_limits(void **state)
{
	struct fx *f = *state;
	struct eid_registration_result res;

	f->ctx.per_id_max = 3;
	fill(f, UNKNOWN, "X", "1990-01-01", PHONE);
	for (int i = 0; i < 3; i++)
		assert_int_equal(start(f, &res), EID_EMISMATCH);
	now += 100;
	assert_int_equal(start(f, &res), EID_ELIMIT);
	assert_int_equal(res.retry_after, 3600 - 100);
	/* Per address too. */
	f->ctx.per_id_max = 100;
	f->ctx.per_address_max = 4;
	set(f, "personal_id", ADULT2);
	assert_int_equal(start(f, &res), EID_ELIMIT);
	now += 3600;
	assert_int_equal(start(f, &res), EID_EMISMATCH);
}

static void test_input(void **state)
{
	struct fx *f = *state;
	struct eid_registration_input in;
	static const char ok[] =
		"{\"personal_id\":\"" ADULT "\",\"full_name\":\"Nguyễn Văn An\","
		"\"birthdate\":\"1990-03-15\",\"phone\":\"0912345678\","
		"\"email\":\"an@Example.VN\",\"portrait\":\"/9j/4AAQSkZJRgD/2Q==\"}";
	static const char *const bad[] = {
		"[]", "{", "{\"personal_id\":1}", "{\"nope\":\"x\"}",
		"{\"personal_id\":\"" ADULT "\",\"personal_id\":\"" ADULT "\"}",
		"{\"personal_id\":\"123\"}", "{\"phone\":\"12\"}",
		"{\"email\":\"no-at\"}", "{\"birthdate\":\"1990-02-30\"}",
		"{\"portrait\":\"!!!\"}", "{\"portrait\":\"AAAA\"}",
		"{\"full_name\":\"\"}",
		"{\"personal_id\":\"" ADULT "\"}", /* incomplete */
	};
	eid_buf n;

	eid_registration_input_init(&in);
	assert_int_equal(eid_registration_input_from_json(ok, strlen(ok), &in,
							  NULL), EID_OK);
	assert_string_equal(in.phone, PHONE_E164);
	assert_string_equal(in.email, "an@example.vn");
	assert_int_equal(in.portrait.len, sizeof(jpeg));
	eid_registration_input_free(&in);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		eid_registration_input_init(&in);
		eid_buf_reset(&f->why);
		assert_int_equal(eid_registration_input_from_json(
					 bad[i], strlen(bad[i]), &in, &f->why),
				 EID_EMALFORMED);
		assert_true(f->why.len > 0);
		eid_registration_input_free(&in);
	}
	assert_int_equal(eid_portrait_check(jpeg, sizeof(jpeg)), EID_OK);
	assert_int_equal(eid_portrait_check(jpeg, sizeof(jpeg) - 1),
			 EID_EMALFORMED);
	assert_int_equal(eid_portrait_check(jpeg + 1, sizeof(jpeg) - 1),
			 EID_EMALFORMED);
	assert_int_equal(eid_portrait_check(jpeg, EID_PORTRAIT_MAX + 1),
			 EID_ETOOBIG);
	eid_buf_init(&n, 64);
	assert_int_equal(eid_name_normalize("\u3000 A\u2003\u2003B  ", &n), EID_OK);
	assert_string_equal(eid_buf_cstr(&n), "A B");
	eid_buf_free(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_happy_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decomposed_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generic_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_under_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_phone_taken_is_silent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_down, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rate_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_input, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
