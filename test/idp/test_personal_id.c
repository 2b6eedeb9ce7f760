#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/personal_id.h"

static void test_province_table(void **state)
{
	size_t n;
	const struct eid_province *t = eid_province_table(&n);

	assert_int_equal(n, 63);
	assert_int_equal(t[0].code, 1);
	assert_string_equal(t[0].name, "Hà Nội");
	assert_int_equal(t[n - 1].code, 96);
	assert_string_equal(t[n - 1].name, "Cà Mau");
	for (size_t i = 1; i < n; i++)
		assert_true(t[i - 1].code < t[i].code);
	assert_string_equal(eid_province_name(79), "Hồ Chí Minh");
	assert_string_equal(eid_province_name(48), "Đà Nẵng");
	assert_null(eid_province_name(0));
	assert_null(eid_province_name(3));
	assert_null(eid_province_name(97));
}

static void test_parse_fields(void **state)
{
	struct eid_personal_id id;

	assert_int_equal(eid_personal_id_parse("001085012345", &id), EID_OK);
	assert_string_equal(id.digits, "001085012345");
	assert_int_equal(id.province, 1);
	assert_int_equal(id.sex, EID_SEX_MALE);
	assert_int_equal(id.birth_year, 1985);
	assert_int_equal(id.serial, 12345);

	assert_int_equal(eid_personal_id_parse("079303999999", &id), EID_OK);
	assert_int_equal(id.province, 79);
	assert_int_equal(id.sex, EID_SEX_FEMALE);
	assert_int_equal(id.birth_year, 2003);
	assert_int_equal(id.serial, 999999);

	/* Every century digit: 4/5 2100s, 6/7 2200s, 8/9 2300s. */
	assert_int_equal(eid_personal_id_parse("096599000000", &id), EID_OK);
	assert_int_equal(id.birth_year, 2199);
	assert_int_equal(id.sex, EID_SEX_FEMALE);
	assert_int_equal(eid_personal_id_parse("096600000000", &id), EID_OK);
	assert_int_equal(id.birth_year, 2200);
	assert_int_equal(eid_personal_id_parse("096899000000", &id), EID_OK);
	assert_int_equal(id.birth_year, 2399);
	assert_int_equal(id.sex, EID_SEX_MALE);
}

static void expect_refusal(const char *s, const char *reason)
{
	struct eid_personal_id id;
	eid_buf why;

	memset(&id, 0x5a, sizeof(id));
	eid_buf_init(&why, 256);
	assert_int_equal(eid_personal_id_parse_n(s, strlen(s), &id, &why),
			 EID_EMALFORMED);
	assert_string_equal(eid_buf_cstr(&why), reason);
	assert_int_equal(eid_personal_id_parse(s, &id), EID_EMALFORMED);
	/* ret untouched on failure */
	assert_int_equal((unsigned char)id.digits[0], 0x5a);
	eid_buf_free(&why);
}

static void test_parse_refusals(void **state)
{
	struct eid_personal_id id;
	const char *twelve = "personal ID must be exactly 12 digits";

	expect_refusal("", twelve);
	expect_refusal("00108501234", twelve);
	expect_refusal("0010850123456", twelve);
	expect_refusal("00108501234a", twelve);
	expect_refusal(" 01085012345", twelve);
	expect_refusal("00108501234\xd9", twelve);
	expect_refusal("003085012345",
		       "personal ID has unknown province code 003");
	expect_refusal("000085012345",
		       "personal ID has unknown province code 000");
	expect_refusal("097085012345",
		       "personal ID has unknown province code 097");
	assert_int_equal(eid_personal_id_parse(NULL, &id), EID_EMALFORMED);
	assert_int_equal(eid_personal_id_parse_n("001085012345\0", 13, &id,
						 NULL), EID_EMALFORMED);
}

static void test_check_birth(void **state)
{
	struct eid_personal_id id;

	assert_int_equal(eid_personal_id_parse("001185012345", &id), EID_OK);
	assert_int_equal(eid_personal_id_check_birth(&id, 1985, EID_SEX_FEMALE),
			 EID_OK);
	assert_int_equal(eid_personal_id_check_birth(&id, 1985, EID_SEX_MALE),
			 EID_EMISMATCH);
	assert_int_equal(eid_personal_id_check_birth(&id, 2085, EID_SEX_FEMALE),
			 EID_EMISMATCH);
	assert_int_equal(eid_personal_id_check_birth(&id, 1984, EID_SEX_FEMALE),
			 EID_EMISMATCH);
}

static void test_make(void **state)
{
	char out[EID_PERSONAL_ID_LEN + 1];
	struct eid_personal_id id;

	assert_int_equal(eid_personal_id_make(1, EID_SEX_MALE, 1985, 12345,
					      out), EID_OK);
	assert_string_equal(out, "001085012345");
	assert_int_equal(eid_personal_id_make(96, EID_SEX_FEMALE, 2010, 7, out),
			 EID_OK);
	assert_string_equal(out, "096310000007");
	assert_int_equal(eid_personal_id_make(79, EID_SEX_FEMALE, 2399,
					      999999, out), EID_OK);
	assert_string_equal(out, "079999999999");

	/* Every generated ID parses back to what made it. */
	for (int y = 1900; y <= 2399; y += 37) {
		assert_int_equal(eid_personal_id_make(31, EID_SEX_FEMALE, y,
						      (uint32_t)y * 11, out),
				 EID_OK);
		assert_int_equal(eid_personal_id_parse(out, &id), EID_OK);
		assert_int_equal(eid_personal_id_check_birth(&id, y,
							     EID_SEX_FEMALE),
				 EID_OK);
		assert_int_equal(id.serial, (uint32_t)y * 11);
	}

	memcpy(out, "untouched!!", 12);
	assert_int_equal(eid_personal_id_make(3, EID_SEX_MALE, 1985, 1, out),
			 EID_EINVAL);
	assert_int_equal(eid_personal_id_make(1, EID_SEX_MALE, 1899, 1, out),
			 EID_EINVAL);
	assert_int_equal(eid_personal_id_make(1, EID_SEX_MALE, 2400, 1, out),
			 EID_EINVAL);
	assert_int_equal(eid_personal_id_make(1, EID_SEX_MALE, 1985, 1000000,
					      out), EID_EINVAL);
	assert_int_equal(eid_personal_id_make(1, (enum eid_sex)2, 1985, 1, out),
			 EID_EINVAL);
	assert_string_equal(out, "untouched!!");
}

static void test_sex_names(void **state)
{
	enum eid_sex s;

	assert_string_equal(eid_sex_name(EID_SEX_MALE), "male");
	assert_string_equal(eid_sex_name(EID_SEX_FEMALE), "female");
	assert_int_equal(eid_sex_parse("female", 6, &s), EID_OK);
	assert_int_equal(s, EID_SEX_FEMALE);
	assert_int_equal(eid_sex_parse("male", 4, &s), EID_OK);
	assert_int_equal(s, EID_SEX_MALE);
	assert_int_equal(eid_sex_parse("Male", 4, &s), EID_EMALFORMED);
	assert_int_equal(eid_sex_parse("m", 1, &s), EID_EMALFORMED);
	assert_int_equal(eid_sex_parse("", 0, &s), EID_EMALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_province_table),
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_check_birth),
		cmocka_unit_test(test_make),
		cmocka_unit_test(test_sex_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
