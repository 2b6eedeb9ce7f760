#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/citizen.h"

/* 2025-06-01T00:00:00Z */
#define NOW INT64_C(1748736000)

static const char full_record[] =
	"{\"personal_id\":\"001185012345\",\"full_name\":\"Nguyễn Thị Lan\","
	"\"birthdate\":\"1985-03-14\",\"sex\":\"female\","
	"\"nationality\":\"VNM\",\"ethnicity\":\"Kinh\","
	"\"religion\":\"Không\",\"place_of_origin\":\"Nam Định\","
	"\"residence\":\"12 Hàng Bài, Hoàn Kiếm, Hà Nội\","
	"\"card_number\":\"001185012345\",\"card_issued\":\"2021-04-10\","
	"\"card_expires\":\"2025-03-14\",\"card_status\":\"valid\","
	"\"guardian_id\":\"001060000001\","
	"\"updated_at\":\"2025-05-30T08:15:00Z\"}";

static const char minimal_record[] =
	"{\"personal_id\":\"079203000001\",\"full_name\":\"Trần Văn An\","
	"\"birthdate\":\"2003-12-31\",\"sex\":\"male\"}";

static void decode_ok(const char *json, struct eid_citizen *c)
{
	eid_buf why;

	eid_buf_init(&why, 256);
	assert_int_equal(eid_citizen_parse_json(json, strlen(json), NOW, c,
						&why), EID_OK);
	assert_int_equal(why.len, 0);
	eid_buf_free(&why);
}

static void test_decode_full(void **state)
{
	struct eid_citizen c;
	eid_buf out;

	decode_ok(full_record, &c);
	assert_string_equal(c.personal_id, "001185012345");
	assert_string_equal(c.full_name, "Nguyễn Thị Lan");
	assert_int_equal(c.birthdate.year, 1985);
	assert_int_equal(c.birthdate.month, 3);
	assert_int_equal(c.birthdate.day, 14);
	assert_true(c.has_sex);
	assert_int_equal(c.sex, EID_SEX_FEMALE);
	assert_string_equal(c.religion, "Không");
	assert_int_equal(c.card_expires.year, 2025);
	assert_int_equal(c.card_status, EID_CARD_VALID);
	assert_string_equal(c.guardian_id, "001060000001");
	assert_int_equal(c.updated_at, INT64_C(1748592900));

	/* Output uses the same names, in the documented order. */
	eid_buf_init(&out, 4096);
	assert_int_equal(eid_citizen_format_json(&c, &out), EID_OK);
	assert_string_equal(eid_buf_cstr(&out), full_record);
	eid_buf_free(&out);
}

static void test_defaults_and_absent(void **state)
{
	struct eid_citizen c;
	eid_buf out;

	decode_ok(minimal_record, &c);
	assert_string_equal(c.nationality, "VNM");
	assert_int_equal(c.card_status, EID_CARD_VALID);
	assert_string_equal(c.ethnicity, "");
	assert_int_equal(c.card_issued.year, 0);
	assert_int_equal(c.updated_at, 0);

	eid_buf_init(&out, 4096);
	assert_int_equal(eid_citizen_format_json(&c, &out), EID_OK);
	assert_string_equal(eid_buf_cstr(&out),
		"{\"personal_id\":\"079203000001\",\"full_name\":\"Trần Văn An\","
		"\"birthdate\":\"2003-12-31\",\"sex\":\"male\","
		"\"nationality\":\"VNM\",\"card_status\":\"valid\"}");
	eid_buf_free(&out);

	/* null and "" mean absent, so defaults apply */
	decode_ok("{\"personal_id\":\"079203000001\",\"full_name\":\"A\","
		  "\"birthdate\":\"2003-12-31\",\"sex\":\"male\","
		  "\"nationality\":null,\"card_status\":\"\",\"religion\":null}",
		  &c);
	assert_string_equal(c.nationality, "VNM");
	assert_string_equal(c.religion, "");
}

struct refusal {
	const char *json;
	int err;
	const char *reason;
};

#define BASE "\"personal_id\":\"079203000001\",\"full_name\":\"A\"," \
	     "\"birthdate\":\"2003-12-31\",\"sex\":\"male\""

static const struct refusal refusals[] = {
	{ "[]", EID_EMALFORMED, "not a JSON object" },
	{ "{" BASE ",\"nickname\":\"x\"}", EID_EMALFORMED,
	  "unknown field \"nickname\"" },
	{ "{" BASE ",\"ni\\u0001ck\":1}", EID_EMALFORMED,
	  "unknown field \"ni?ck\"" },
	{ "{" BASE ",\"religion\":5}", EID_EMALFORMED,
	  "religion: must be a string" },
	{ "{\"full_name\":\"A\",\"birthdate\":\"2003-12-31\",\"sex\":\"male\"}",
	  EID_EMALFORMED, "personal_id: required" },
	{ "{\"personal_id\":\"079203000001\",\"birthdate\":\"2003-12-31\","
	  "\"sex\":\"male\"}", EID_EMALFORMED, "full_name: required" },
	{ "{\"personal_id\":\"079203000001\",\"full_name\":\"A\","
	  "\"sex\":\"male\"}", EID_EMALFORMED, "birthdate: required" },
	{ "{\"personal_id\":\"079203000001\",\"full_name\":\"A\","
	  "\"birthdate\":\"2003-12-31\"}", EID_EMALFORMED, "sex: required" },
	{ "{" BASE ",\"personal_id\":\"1\"}", EID_EMALFORMED,
	  "invalid JSON: duplicate object key near '\"personal_id\"' "
	  "(column 97)" },
	{ "{\"personal_id\":\"003203000001\"}", EID_EMALFORMED,
	  "personal_id: personal ID has unknown province code 003" },
	{ "{\"personal_id\":\"07920300000\"}", EID_EMALFORMED,
	  "personal_id: personal ID must be exactly 12 digits" },
	{ "{\"personal_id\":\"079203000001\",\"full_name\":\"A\","
	  "\"birthdate\":\"2004-12-31\",\"sex\":\"male\"}", EID_EMISMATCH,
	  "personal_id: encodes birth year 2003, birthdate says 2004" },
	{ "{\"personal_id\":\"079203000001\",\"full_name\":\"A\","
	  "\"birthdate\":\"2003-12-31\",\"sex\":\"female\"}", EID_EMISMATCH,
	  "personal_id: encodes sex male, sex says female" },
	{ "{\"birthdate\":\"2003-02-29\"}", EID_EMALFORMED,
	  "birthdate: not a calendar date YYYY-MM-DD" },
	{ "{\"birthdate\":\"2003-1-01\"}", EID_EMALFORMED,
	  "birthdate: not a calendar date YYYY-MM-DD" },
	{ "{\"personal_id\":\"079225000001\",\"full_name\":\"A\","
	  "\"birthdate\":\"2025-06-02\",\"sex\":\"male\"}", EID_EMALFORMED,
	  "birthdate: in the future" },
	{ "{\"sex\":\"M\"}", EID_EMALFORMED, "sex: must be male or female" },
	{ "{\"nationality\":\"vnm\"}", EID_EMALFORMED,
	  "nationality: not an ISO 3166 alpha-3 code" },
	{ "{\"nationality\":\"VN\"}", EID_EMALFORMED,
	  "nationality: not an ISO 3166 alpha-3 code" },
	{ "{\"full_name\":\"A\\nB\"}", EID_EMALFORMED,
	  "full_name: contains a control character" },
	{ "{\"residence\":\"x\\u0085y\"}", EID_EMALFORMED,
	  "residence: contains a control character" },
	{ "{\"ethnicity\":\"\\ud800\"}", EID_EMALFORMED,
	  "invalid JSON: invalid Unicode '\\uD800' near '\"\\ud800\"' "
	  "(column 21)" },
	{ "{\"card_number\":\"12345678\"}", EID_EMALFORMED,
	  "card_number: must be 9 or 12 digits" },
	{ "{\"card_status\":\"lost\"}", EID_EMALFORMED,
	  "card_status: must be valid or revoked" },
	{ "{\"updated_at\":\"2025-05-30 08:15:00\"}", EID_EMALFORMED,
	  "updated_at: not a UTC time YYYY-MM-DDTHH:MM:SSZ" },
	{ "{\"guardian_id\":\"12\"}", EID_EMALFORMED,
	  "guardian_id: personal ID must be exactly 12 digits" },
	{ "{" BASE ",\"guardian_id\":\"079203000001\"}", EID_EMALFORMED,
	  "guardian_id: the citizen's own personal ID" },
	{ "{" BASE ",\"card_issued\":\"2025-06-02\"}", EID_EMALFORMED,
	  "card_issued: in the future" },
	{ "{" BASE ",\"card_issued\":\"2003-12-30\"}", EID_EMALFORMED,
	  "card_issued: before birthdate" },
	{ "{" BASE ",\"card_issued\":\"2021-01-01\","
	  "\"card_expires\":\"2021-01-01\"}", EID_EMALFORMED,
	  "card_expires: not after card_issued" },
	{ "{" BASE ",\"card_expires\":\"2003-01-01\"}", EID_EMALFORMED,
	  "card_expires: not after birthdate" },
	{ "{\"a\":", EID_EMALFORMED,
	  "invalid JSON: unexpected token near end of file (column 5)" },
};

static void test_refusals(void **state)
{
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const struct refusal *t = &refusals[i];
		struct eid_citizen c;
		eid_buf why;
		int r;

		memset(&c, 0x5a, sizeof(c));
		eid_buf_init(&why, 256);
		r = eid_citizen_parse_json(t->json, strlen(t->json), NOW, &c,
					   &why);
		if (r != t->err || strcmp(eid_buf_cstr(&why), t->reason) != 0)
			fail_msg("case %zu: %s -> %s \"%s\"", i, t->json,
				 eid_errname(r), eid_buf_cstr(&why));
		assert_int_equal((unsigned char)c.personal_id[0], 0x5a);
		eid_buf_free(&why);
	}
}

static void test_text_limits(void **state)
{
	struct eid_citizen c;
	char name[EID_CITIZEN_NAME_MAX + 2];
	eid_buf why;

	eid_citizen_init(&c);
	eid_buf_init(&why, 256);
	memset(name, 'a', sizeof(name));
	assert_int_equal(eid_citizen_set(&c, "full_name", name,
					 EID_CITIZEN_NAME_MAX, &why), EID_OK);
	assert_int_equal(strlen(c.full_name), EID_CITIZEN_NAME_MAX);
	assert_int_equal(eid_citizen_set(&c, "full_name", name,
					 EID_CITIZEN_NAME_MAX + 1, &why),
			 EID_EMALFORMED);
	assert_string_equal(eid_buf_cstr(&why),
			    "full_name: longer than 200 bytes");
	eid_buf_reset(&why);
	/* invalid UTF-8: overlong, lone continuation, truncated sequence */
	assert_int_equal(eid_citizen_set(&c, "full_name", "\xc0\xaf", 2, &why),
			 EID_EMALFORMED);
	assert_string_equal(eid_buf_cstr(&why),
			    "full_name: is not valid UTF-8");
	assert_int_equal(eid_citizen_set(&c, "full_name", "\x80", 1, NULL),
			 EID_EMALFORMED);
	assert_int_equal(eid_citizen_set(&c, "full_name", "Nguy\xe1\xbb", 6,
					 NULL), EID_EMALFORMED);
	assert_int_equal(eid_citizen_set(&c, "full_name", "a\0b", 3, NULL),
			 EID_EMALFORMED);
	assert_int_equal(eid_citizen_set(&c, "full_name", "a\x7f", 2, NULL),
			 EID_EMALFORMED);
	/* failures left the value alone */
	assert_int_equal(strlen(c.full_name), EID_CITIZEN_NAME_MAX);
	assert_int_equal(eid_citizen_set(&c, "no_such", "x", 1, NULL),
			 EID_EMALFORMED);
	eid_buf_free(&why);
}

/* Text is stored as NFC: a name sent decomposed (e + U+0302 U+0303,
 * a + U+0306) is kept precomposed, and the cap holds after NFC. */
static void test_nfc(void **state)
{
	static const char nfd[] = "Nguye\xcc\x82\xcc\x83n Va\xcc\x86n An";
	char qa[60 * 3 + 1];
	struct eid_citizen c;
	eid_buf why;

	eid_citizen_init(&c);
	eid_buf_init(&why, 256);
	assert_int_equal(eid_citizen_set(&c, "full_name", nfd, strlen(nfd),
					 &why), EID_OK);
	assert_string_equal(c.full_name, "Nguyễn Văn An");
	assert_int_equal(eid_citizen_set(&c, "residence", "Ha\xcc\x80 Nô\xcc\xa3i",
					 strlen("Ha\xcc\x80 Nô\xcc\xa3i"), &why),
			 EID_OK);
	assert_string_equal(c.residence, "Hà Nội");
	/* U+0958 has no NFC of its own: 3 bytes become 6, so 180 bytes
	 * become 360, over the name's 200. */
	for (size_t i = 0; i < 60; i++)
		memcpy(qa + 3 * i, "\xe0\xa5\x98", 3);
	assert_int_equal(eid_citizen_set(&c, "full_name", qa, 180, &why),
			 EID_EMALFORMED);
	assert_string_equal(eid_buf_cstr(&why),
			    "full_name: longer than 200 bytes");
	assert_string_equal(c.full_name, "Nguyễn Văn An");
	eid_buf_free(&why);
}

static void test_round_trips(void **state)
{
	struct eid_citizen a, b;
	eid_buf p1, p2;
	json_t *obj;

	decode_ok(full_record, &a);
	assert_int_equal(eid_citizen_to_json(&a, &obj), EID_OK);
	assert_int_equal(eid_citizen_from_json(obj, NOW, &b, NULL), EID_OK);
	json_decref(obj);
	assert_memory_equal(&a, &b, sizeof(a));

	eid_buf_init(&p1, 4096);
	eid_buf_init(&p2, 4096);
	assert_int_equal(eid_citizen_pack(&a, &p1), EID_OK);
	assert_int_equal(p1.data[0], EID_CITIZEN_PACK_V1);
	assert_int_equal(eid_citizen_unpack(p1.data, p1.len, &b), EID_OK);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_true(eid_citizen_same(&a, &b));

	/* updated_at sits in the header only */
	b.updated_at += 3600;
	assert_true(eid_citizen_same(&a, &b));
	assert_int_equal(eid_citizen_pack(&b, &p2), EID_OK);
	assert_int_equal(p1.len, p2.len);
	assert_memory_not_equal(p1.data, p2.data, EID_CITIZEN_PACK_HEADER);
	assert_memory_equal(p1.data + EID_CITIZEN_PACK_HEADER,
			    p2.data + EID_CITIZEN_PACK_HEADER,
			    p1.len - EID_CITIZEN_PACK_HEADER);
	b.card_status = EID_CARD_REVOKED;
	assert_false(eid_citizen_same(&a, &b));

	/* damage and other versions */
	p1.data[0] = 2;
	assert_int_equal(eid_citizen_unpack(p1.data, p1.len, &b),
			 EID_EUNSUPPORTED);
	p1.data[0] = EID_CITIZEN_PACK_V1;
	assert_int_equal(eid_citizen_unpack(p1.data, p1.len - 1, &b),
			 EID_EMALFORMED);
	assert_int_equal(eid_citizen_unpack(p1.data, 5, &b), EID_EMALFORMED);
	assert_int_equal(eid_citizen_unpack(p1.data, 0, &b), EID_EMALFORMED);
	/* a header alone lacks the required fields */
	assert_int_equal(eid_citizen_unpack(p1.data, EID_CITIZEN_PACK_HEADER,
					    &b), EID_EMALFORMED);
	eid_buf_free(&p1);
	eid_buf_free(&p2);
}

static void test_dates(void **state)
{
	struct eid_date d;
	char s[11];

	assert_int_equal(eid_date_parse("2024-02-29", 10, &d), EID_OK);
	assert_int_equal(eid_date_parse("2100-02-29", 10, &d), EID_EMALFORMED);
	assert_int_equal(eid_date_parse("2000-02-29", 10, &d), EID_OK);
	assert_int_equal(eid_date_parse("2024-04-31", 10, &d), EID_EMALFORMED);
	assert_int_equal(eid_date_parse("2024-00-10", 10, &d), EID_EMALFORMED);
	assert_int_equal(eid_date_parse("2024-13-10", 10, &d), EID_EMALFORMED);
	assert_int_equal(eid_date_parse("2024-12-00", 10, &d), EID_EMALFORMED);
	assert_int_equal(eid_date_parse("0000-01-01", 10, &d), EID_EMALFORMED);
	assert_int_equal(eid_date_parse("2024/12/01", 10, &d), EID_EMALFORMED);
	assert_int_equal(eid_date_parse("+024-12-01", 10, &d), EID_EMALFORMED);

	/* Vietnam is UTC+7: 17:00 UTC on 31 Dec is already New Year. */
	eid_date_today(INT64_C(1735664399), &d); /* 2024-12-31T16:59:59Z */
	eid_date_format(&d, s);
	assert_string_equal(s, "2024-12-31");
	eid_date_today(INT64_C(1735664400), &d);
	eid_date_format(&d, s);
	assert_string_equal(s, "2025-01-01");
	eid_date_today(0, &d);
	eid_date_format(&d, s);
	assert_string_equal(s, "1970-01-01");
	eid_date_today(-25201, &d);
	eid_date_format(&d, s);
	assert_string_equal(s, "1969-12-31");
}

static void test_birthdate_today_is_fine(void **state)
{
	struct eid_citizen c;

	/* NOW is 07:00 on 2025-06-01 in Vietnam */
	decode_ok("{\"personal_id\":\"079225000001\",\"full_name\":\"Bé\","
		  "\"birthdate\":\"2025-06-01\",\"sex\":\"male\","
		  "\"guardian_id\":\"079203000001\"}", &c);
	assert_string_equal(c.guardian_id, "079203000001");
}

static void test_age(void **state)
{
	struct eid_date b = { 2010, 6, 15 }, on = { 2024, 6, 14 };
	struct eid_date leap = { 2008, 2, 29 };
	int age = -1;

	assert_int_equal(eid_age_on(&b, &on, &age), EID_OK);
	assert_int_equal(age, 13);
	assert_int_equal(eid_age_band_of(age), EID_AGE_6_TO_13);
	on.day = 15;
	assert_int_equal(eid_age_on(&b, &on, &age), EID_OK);
	assert_int_equal(age, 14);
	assert_int_equal(eid_age_band_of(age), EID_AGE_14_PLUS);
	assert_int_equal(eid_age_on(&b, &b, &age), EID_OK);
	assert_int_equal(age, 0);
	assert_int_equal(eid_age_band_of(5), EID_AGE_UNDER_6);
	assert_int_equal(eid_age_band_of(6), EID_AGE_6_TO_13);

	on = (struct eid_date){ 2022, 2, 28 };
	assert_int_equal(eid_age_on(&leap, &on, &age), EID_OK);
	assert_int_equal(age, 13);
	on = (struct eid_date){ 2022, 3, 1 };
	assert_int_equal(eid_age_on(&leap, &on, &age), EID_OK);
	assert_int_equal(age, 14);

	age = 99;
	on = (struct eid_date){ 2010, 6, 14 };
	assert_int_equal(eid_age_on(&b, &on, &age), EID_EINVAL);
	assert_int_equal(age, 99);
}

static void test_field_names(void **state)
{
	assert_int_equal(eid_citizen_field_count(), 15);
	assert_string_equal(eid_citizen_field_name(0), "personal_id");
	assert_string_equal(eid_citizen_field_name(14), "updated_at");
	assert_null(eid_citizen_field_name(15));
	assert_int_equal(eid_citizen_field_index("sex", 3), 3);
	assert_int_equal(eid_citizen_field_index("se", 2), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_full),
		cmocka_unit_test(test_defaults_and_absent),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_text_limits),
		cmocka_unit_test(test_nfc),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_birthdate_today_is_fine),
		cmocka_unit_test(test_age),
		cmocka_unit_test(test_field_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
