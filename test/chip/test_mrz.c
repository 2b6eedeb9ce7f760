#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chip/mrz.h"
#include "crypto/error.h"

/* ICAO 9303 Part 5 (TD1) and Part 4 (TD3) specimens. */
#define TD1_L1 "I<UTOD231458907<<<<<<<<<<<<<<<"
#define TD1_L2 "7408122F1204159UTO<<<<<<<<<<<6"
#define TD1_L3 "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"
#define TD3_L1 "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
#define TD3_L2 "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
/* A Vietnamese card as its layout is described (made-up person). */
#define VN_L1 "IDVNM2010014956001201001495<<<"
#define VN_L2 "9001011M3001019VNM<<<<<<<<<<<7"
#define VN_L3 "NGUYEN<<VAN<ANH<<<<<<<<<<<<<<<"

static int parse_str(const char *s, struct eid_mrz *m)
{
	return eid_mrz_parse(s, strlen(s), m);
}

static void test_check_digit(void **state)
{
	char cd;

	assert_int_equal(eid_mrz_check_digit("L898902C3", 9, &cd), EID_OK);
	assert_int_equal(cd, '6');
	assert_int_equal(eid_mrz_check_digit("740812", 6, &cd), EID_OK);
	assert_int_equal(cd, '2');
	assert_int_equal(eid_mrz_check_digit("<<<", 3, &cd), EID_OK);
	assert_int_equal(cd, '0');
	assert_int_equal(eid_mrz_check_digit("ab", 2, &cd), EID_EMALFORMED);
}

static void test_td1_specimen(void **state)
{
	struct eid_mrz m;

	assert_int_equal(parse_str(TD1_L1 TD1_L2 TD1_L3, &m), EID_OK);
	assert_int_equal(m.format, EID_MRZ_TD1);
	assert_string_equal(m.doc_code, "I");
	assert_string_equal(m.issuer, "UTO");
	assert_string_equal(m.docno, "D23145890");
	assert_string_equal(m.dob, "740812");
	assert_int_equal(m.sex, 'F');
	assert_string_equal(m.expiry, "120415");
	assert_string_equal(m.nationality, "UTO");
	assert_string_equal(m.optional1, "");
	assert_string_equal(m.optional2, "");
	assert_string_equal(m.primary, "ERIKSSON");
	assert_string_equal(m.secondary, "ANNA MARIA");
	assert_string_equal(m.personal_id, "");
	/* The same, one line at a time. */
	assert_int_equal(parse_str(TD1_L1 "\n" TD1_L2 "\n" TD1_L3 "\n", &m),
			 EID_OK);
	assert_int_equal(parse_str(TD1_L1 "\r\n" TD1_L2 "\r\n" TD1_L3, &m),
			 EID_OK);
	assert_string_equal(m.docno, "D23145890");
}

static void test_td3_specimen(void **state)
{
	struct eid_mrz m;

	assert_int_equal(parse_str(TD3_L1 "\n" TD3_L2, &m), EID_OK);
	assert_int_equal(m.format, EID_MRZ_TD3);
	assert_string_equal(m.doc_code, "P");
	assert_string_equal(m.issuer, "UTO");
	assert_string_equal(m.docno, "L898902C3");
	assert_string_equal(m.nationality, "UTO");
	assert_string_equal(m.dob, "740812");
	assert_int_equal(m.sex, 'F');
	assert_string_equal(m.expiry, "120415");
	assert_string_equal(m.optional1, "ZE184226B");
	assert_string_equal(m.primary, "ERIKSSON");
	assert_string_equal(m.secondary, "ANNA MARIA");
}

static void test_vietnamese(void **state)
{
	struct eid_mrz m;

	assert_int_equal(parse_str(VN_L1 VN_L2 VN_L3, &m), EID_OK);
	assert_string_equal(m.doc_code, "ID");
	assert_string_equal(m.issuer, "VNM");
	assert_string_equal(m.docno, "201001495");
	assert_string_equal(m.personal_id, "001201001495");
	assert_string_equal(m.optional1, "001201001495");
	assert_int_equal(m.sex, 'M');
	assert_string_equal(m.primary, "NGUYEN");
	assert_string_equal(m.secondary, "VAN ANH");
}

static void test_long_docno(void **state)
{
	struct eid_mrz m;
	eid_buf b;

	assert_int_equal(parse_str("I<UTOD23145890<AB0<<<<<<<<<<<<"
				   "7408122F1204159UTO<<<<<<<<<<<8" TD1_L3,
				   &m),
			 EID_OK);
	assert_string_equal(m.docno, "D23145890AB");
	assert_string_equal(m.optional1, "");
	/* Its check digit is covered. */
	assert_int_equal(parse_str("I<UTOD23145890<AB1<<<<<<<<<<<<"
				   "7408122F1204159UTO<<<<<<<<<<<8" TD1_L3,
				   &m),
			 EID_EVERIFY);
	/* A filler in the check digit position with nothing after it. */
	assert_int_equal(parse_str("I<UTOD23145890<<<<<<<<<<<<<<<<"
				   "7408122F1204159UTO<<<<<<<<<<<8" TD1_L3,
				   &m),
			 EID_EMALFORMED);
	/* The encoder writes the same overflow. */
	assert_int_equal(parse_str("I<UTOD23145890<AB0<<<<<<<<<<<<"
				   "7408122F1204159UTO<<<<<<<<<<<8" TD1_L3,
				   &m),
			 EID_OK);
	eid_buf_init(&b, 256);
	assert_int_equal(eid_mrz_encode_td1(&m, &b), EID_OK);
	assert_int_equal(b.len, 90);
	assert_memory_equal(b.data, "I<UTOD23145890<AB0<<<<<<<<<<<<", 30);
	eid_buf_free(&b);
}

/* Flip one character at pos and expect err. */
#define expect_corrupt(g, p, c, e) \
	expect_corrupt_at(g, p, c, e, __FILE__, __LINE__)
static void expect_corrupt_at(const char *good, size_t pos, char c, int err,
			      const char *file, int line)
{
	char s[100];
	struct eid_mrz m;

	memcpy(s, good, strlen(good) + 1);
	s[pos] = c;
	_assert_int_equal(cast_to_largest_integral_type(
				  eid_mrz_parse(s, strlen(s), &m)),
			  cast_to_largest_integral_type(err), file, line);
}

static void test_td1_check_digits(void **state)
{
	const char *good = TD1_L1 TD1_L2 TD1_L3;

	expect_corrupt(good, 14, '8', EID_EVERIFY);      /* document number */
	expect_corrupt(good, 30 + 6, '3', EID_EVERIFY);  /* date of birth */
	expect_corrupt(good, 30 + 14, '0', EID_EVERIFY); /* expiry */
	expect_corrupt(good, 30 + 29, '7', EID_EVERIFY); /* composite */
	/* A changed field under a good check digit. */
	expect_corrupt(good, 6, '3', EID_EVERIFY);
	expect_corrupt(good, 30 + 1, '5', EID_EVERIFY);
	/* Optional data is covered by the composite only. */
	expect_corrupt(good, 20, 'B', EID_EVERIFY);
	expect_corrupt(good, 30 + 20, 'B', EID_EVERIFY);
	/* Not covered: sex, nationality, name; but they must be valid. */
	expect_corrupt(good, 30 + 7, 'M', EID_OK);
	expect_corrupt(good, 30 + 7, 'Q', EID_EMALFORMED);
	expect_corrupt(good, 60 + 2, 'a', EID_EMALFORMED);
	expect_corrupt(good, 60 + 2, ' ', EID_EMALFORMED);
	/* Vietnamese personal ID in the optional data: composite. */
	expect_corrupt(VN_L1 VN_L2 VN_L3, 16, '9', EID_EVERIFY);
}

static void test_td3_check_digits(void **state)
{
	const char *good = TD3_L1 TD3_L2;

	expect_corrupt(good, 44 + 9, '5', EID_EVERIFY);  /* document number */
	expect_corrupt(good, 44 + 19, '1', EID_EVERIFY); /* date of birth */
	expect_corrupt(good, 44 + 27, '1', EID_EVERIFY); /* expiry */
	expect_corrupt(good, 44 + 42, '2', EID_EVERIFY); /* personal number */
	expect_corrupt(good, 44 + 43, '1', EID_EVERIFY); /* composite */
}

static void test_bad_dates(void **state)
{
	char s[100];
	char cd;
	struct eid_mrz m;

	/* Month 13 with a matching check digit, and the composite fixed. */
	memcpy(s, TD1_L1 TD1_L2 TD1_L3, 91);
	memcpy(s + 30, "741312", 6);
	assert_int_equal(eid_mrz_check_digit(s + 30, 6, &cd), EID_OK);
	s[36] = cd;
	{
		char comp[50];
		memcpy(comp, s + 5, 25);
		memcpy(comp + 25, s + 30, 7);
		memcpy(comp + 32, s + 38, 7);
		memcpy(comp + 39, s + 48, 11);
		assert_int_equal(eid_mrz_check_digit(comp, 50, &s[59]), EID_OK);
	}
	assert_int_equal(parse_str(s, &m), EID_EMALFORMED);
}

static void test_lengths(void **state)
{
	struct eid_mrz m;
	char big[300];

	assert_int_equal(parse_str("", &m), EID_EMALFORMED);
	assert_int_equal(parse_str(TD1_L1 TD1_L2, &m), EID_EMALFORMED);
	assert_int_equal(parse_str(TD1_L1 TD1_L2 TD1_L3 "<", &m),
			 EID_EMALFORMED);
	assert_int_equal(parse_str(TD1_L1 "<\n" TD1_L2 "\n" TD1_L3, &m),
			 EID_EMALFORMED);
	assert_int_equal(parse_str(TD1_L1 "\n" TD1_L2 TD1_L3, &m),
			 EID_EMALFORMED);
	assert_int_equal(parse_str(TD3_L1 "\n" TD3_L2 "<", &m),
			 EID_EMALFORMED);
	/* 3 lines of 30 are TD1 only; 2 lines of 45 are nothing. */
	assert_int_equal(parse_str(TD1_L1 TD1_L2 "\n" TD1_L3 TD1_L1, &m),
			 EID_EMALFORMED);
	memset(big, '<', sizeof(big));
	assert_int_equal(eid_mrz_parse(big, sizeof(big), &m), EID_ETOOBIG);
	assert_int_equal(eid_mrz_parse(NULL, 0, &m), EID_EINVAL);
}

static void assert_mrz_equal(const struct eid_mrz *a, const struct eid_mrz *b)
{
	assert_int_equal(a->format, b->format);
	assert_string_equal(a->doc_code, b->doc_code);
	assert_string_equal(a->issuer, b->issuer);
	assert_string_equal(a->docno, b->docno);
	assert_string_equal(a->dob, b->dob);
	assert_int_equal(a->sex, b->sex);
	assert_string_equal(a->expiry, b->expiry);
	assert_string_equal(a->nationality, b->nationality);
	assert_string_equal(a->optional1, b->optional1);
	assert_string_equal(a->optional2, b->optional2);
	assert_string_equal(a->primary, b->primary);
	assert_string_equal(a->secondary, b->secondary);
	assert_string_equal(a->personal_id, b->personal_id);
}

static void test_round_trip(void **state)
{
	const char *mrzs[] = { TD1_L1 TD1_L2 TD1_L3, TD3_L1 TD3_L2,
			       VN_L1 VN_L2 VN_L3 };
	struct eid_mrz m, back;
	eid_buf b;

	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(parse_str(mrzs[i], &m), EID_OK);
		eid_buf_init(&b, 256);
		assert_int_equal(eid_mrz_encode(&m, &b), EID_OK);
		assert_int_equal(b.len, strlen(mrzs[i]));
		assert_memory_equal(b.data, mrzs[i], b.len);
		assert_int_equal(eid_mrz_parse((char *)b.data, b.len, &back),
				 EID_OK);
		assert_mrz_equal(&m, &back);
		eid_buf_free(&b);
	}
}

static void test_encode_vietnamese_from_fields(void **state)
{
	struct eid_mrz m, back;
	eid_buf b;

	memset(&m, 0, sizeof(m));
	m.format = EID_MRZ_TD1;
	strcpy(m.doc_code, "ID");
	strcpy(m.issuer, "VNM");
	strcpy(m.docno, "201001495");
	strcpy(m.personal_id, "001201001495");
	strcpy(m.dob, "900101");
	strcpy(m.expiry, "300101");
	m.sex = 'M';
	strcpy(m.nationality, "VNM");
	strcpy(m.primary, "NGUYEN");
	strcpy(m.secondary, "VAN ANH");
	eid_buf_init(&b, 256);
	assert_int_equal(eid_mrz_encode_td1(&m, &b), EID_OK);
	assert_memory_equal(b.data, VN_L1 VN_L2 VN_L3, 90);
	assert_int_equal(eid_mrz_parse((char *)b.data, b.len, &back), EID_OK);
	assert_string_equal(back.personal_id, "001201001495");

	/* Refusals. */
	eid_buf_reset(&b);
	strcpy(m.primary, "nguyen");
	assert_int_equal(eid_mrz_encode_td1(&m, &b), EID_EINVAL);
	strcpy(m.primary, "NGUYEN");
	strcpy(m.dob, "901301");
	assert_int_equal(eid_mrz_encode_td1(&m, &b), EID_EINVAL);
	strcpy(m.dob, "900101");
	strcpy(m.docno, "ABCDEFGHIJKLMNOPQRSTUV");
	assert_int_equal(eid_mrz_encode_td1(&m, &b), EID_ETOOBIG);
	m.format = 2;
	assert_int_equal(eid_mrz_encode(&m, &b), EID_EINVAL);
	assert_int_equal(b.len, 0);
	eid_buf_free(&b);
}

static void test_long_name_truncated(void **state)
{
	struct eid_mrz m, back;
	eid_buf b;

	assert_int_equal(parse_str(VN_L1 VN_L2 VN_L3, &m), EID_OK);
	strcpy(m.primary, "TONG THAT");
	strcpy(m.secondary, "HOANG PHUONG THANH LONG");
	eid_buf_init(&b, 256);
	assert_int_equal(eid_mrz_encode_td1(&m, &b), EID_OK);
	assert_memory_equal(b.data + 60, "TONG<THAT<<HOANG<PHUONG<THANH<", 30);
	assert_int_equal(eid_mrz_parse((char *)b.data, b.len, &back), EID_OK);
	assert_string_equal(back.secondary, "HOANG PHUONG THANH");
	eid_buf_free(&b);
}

static void test_info_build(void **state)
{
	eid_buf b;

	eid_buf_init(&b, 64);
	assert_int_equal(eid_mrz_info_build("L898902C3", "740812", "120415",
					    &b), EID_OK);
	assert_int_equal(b.len, 24);
	assert_memory_equal(b.data, "L898902C36" "7408122" "1204159", 24);
	eid_buf_reset(&b);
	/* Short numbers are padded with fillers before the check digit. */
	assert_int_equal(eid_mrz_info_build("AB12", "740812", "120415", &b),
			 EID_OK);
	assert_memory_equal(b.data, "AB12<<<<<", 9);
	eid_buf_reset(&b);
	assert_int_equal(eid_mrz_info_build("", "740812", "120415", &b),
			 EID_EINVAL);
	assert_int_equal(eid_mrz_info_build("L898902C3", "7408", "120415", &b),
			 EID_EINVAL);
	assert_int_equal(eid_mrz_info_build("l898902c3", "740812", "120415",
					    &b), EID_EINVAL);
	assert_int_equal(b.len, 0);
	eid_buf_free(&b);
}

static void test_dates(void **state)
{
	char iso[11];

	assert_int_equal(eid_mrz_century(74, 2026, 0), 1974);
	assert_int_equal(eid_mrz_century(26, 2026, 0), 2026);
	assert_int_equal(eid_mrz_century(27, 2026, 0), 1927);
	assert_int_equal(eid_mrz_century(60, 2026, 50), 2060);
	assert_int_equal(eid_mrz_century(77, 2026, 50), 1977);
	assert_int_equal(eid_mrz_date_iso("740812", 2026, 0, iso), EID_OK);
	assert_string_equal(iso, "1974-08-12");
	assert_int_equal(eid_mrz_date_iso("120415", 2026, 50, iso), EID_OK);
	assert_string_equal(iso, "2012-04-15");
	assert_int_equal(eid_mrz_date_iso("000229", 2026, 0, iso), EID_OK);
	assert_int_equal(eid_mrz_date_iso("010229", 2026, 0, iso),
			 EID_EMALFORMED);
	assert_int_equal(eid_mrz_date_iso("011131", 2026, 0, iso),
			 EID_EMALFORMED);
	assert_int_equal(eid_mrz_date_iso("0111", 2026, 0, iso),
			 EID_EMALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_digit),
		cmocka_unit_test(test_td1_specimen),
		cmocka_unit_test(test_td3_specimen),
		cmocka_unit_test(test_vietnamese),
		cmocka_unit_test(test_long_docno),
		cmocka_unit_test(test_td1_check_digits),
		cmocka_unit_test(test_td3_check_digits),
		cmocka_unit_test(test_bad_dates),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_encode_vietnamese_from_fields),
		cmocka_unit_test(test_long_name_truncated),
		cmocka_unit_test(test_info_build),
		cmocka_unit_test(test_dates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
