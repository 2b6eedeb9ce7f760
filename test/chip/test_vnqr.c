#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "chip/vnqr.h"
#include "crypto/error.h"

#define NAME "Nguy\xe1\xbb\x85n V\xc4\x83n \xc3\x81nh" /* Nguyễn Văn Ánh */
#define NU "N\xe1\xbb\xaf"                              /* Nữ */
#define ADDR "S\xe1\xbb\x91 1, Ph\xc6\xb0\xe1\xbb\x9dng 2, H\xc3\xa0 N\xe1\xbb\x99i"
#define QR7 "001201001495|012345678|" NAME "|01011990|Nam|" ADDR "|15042021"
#define QR6 "001201001495|" NAME "|01011990|" NU "|" ADDR "|15042021"

static struct eid_dg13 *d;

static int setup(void **state)
{
	d = calloc(1, sizeof(*d));
	return d == NULL;
}

static int teardown(void **state)
{
	free(d);
	return 0;
}

static int parse(const char *s)
{
	return eid_vnqr_parse(s, strlen(s), d);
}

static void test_seven_fields(void **state)
{
	json_t *j = NULL;

	assert_int_equal(parse(QR7), EID_OK);
	assert_string_equal(d->personal_id, "001201001495");
	assert_string_equal(d->old_personal_id, "012345678");
	assert_string_equal(d->full_name, NAME);
	assert_string_equal(d->birthdate, "1990-01-01");
	assert_string_equal(d->sex, "Nam");
	assert_string_equal(d->residence, ADDR);
	assert_string_equal(d->card_issued, "2021-04-15");
	assert_string_equal(d->card_expires, "");
	assert_int_equal(eid_dg13_to_json(d, &j), EID_OK);
	assert_string_equal(json_string_value(json_object_get(j, "sex")),
			    "male");
	assert_string_equal(json_string_value(json_object_get(j, "residence")),
			    ADDR);
	assert_int_equal(json_object_size(j), 7);
	json_decref(j);
	/* One trailing newline, as a scanner may hand it over. */
	assert_int_equal(parse(QR7 "\n"), EID_OK);
	assert_int_equal(parse(QR7 "\r\n"), EID_OK);
	assert_int_equal(parse(QR7 "\n\n"), EID_EMALFORMED);
}

static void test_six_fields_and_empty_old(void **state)
{
	assert_int_equal(parse(QR6), EID_OK);
	assert_string_equal(d->old_personal_id, "");
	assert_string_equal(d->sex, NU);
	assert_int_equal(parse("001201001495||" NAME "|01011990|Nam|x|15042021"),
			 EID_OK);
	assert_string_equal(d->old_personal_id, "");
	assert_int_equal(parse("001201001495|001201001496|" NAME
			       "|01011990|Nam|x|15042021"), EID_OK);
}

static void test_refusals(void **state)
{
	char big[3000];

	assert_int_equal(parse("001201001495|" NAME "|01011990|Nam|15042021"),
			 EID_EMALFORMED);
	assert_int_equal(parse(QR7 "|extra"), EID_EMALFORMED);
	assert_int_equal(parse(""), EID_EMALFORMED);
	assert_int_equal(parse("00120100149|012345678|A|01011990|Nam|x|15042021"),
			 EID_EMALFORMED);
	assert_int_equal(parse("00120100149x|012345678|A|01011990|Nam|x|15042021"),
			 EID_EMALFORMED);
	assert_int_equal(parse("001201001495|01234567|A|01011990|Nam|x|15042021"),
			 EID_EMALFORMED);
	assert_int_equal(parse("001201001495|012345678|A|31021990|Nam|x|15042021"),
			 EID_EMALFORMED);
	assert_int_equal(parse("001201001495|012345678|A|1011990|Nam|x|15042021"),
			 EID_EMALFORMED);
	assert_int_equal(parse("001201001495|012345678|A|01-01-90|Nam|x|15042021"),
			 EID_EMALFORMED);
	assert_int_equal(parse("001201001495|012345678|A|01011990|Nam|x|150420211"),
			 EID_EMALFORMED);
	assert_int_equal(parse("001201001495|012345678|A|01011990|nam|x|15042021"),
			 EID_EMALFORMED);
	assert_int_equal(parse("001201001495|012345678||01011990|Nam|x|15042021"),
			 EID_EMALFORMED);
	assert_int_equal(parse("001201001495|012345678|\xc3\x28|01011990|Nam|x|"
			       "15042021"), EID_EMALFORMED);
	assert_int_equal(parse("001201001495|012345678|A\tB|01011990|Nam|x|"
			       "15042021"), EID_EMALFORMED);
	memset(big, 'a', sizeof(big));
	assert_int_equal(eid_vnqr_parse(big, sizeof(big), d), EID_ETOOBIG);
	/* A 513-byte address. */
	memcpy(big, "001201001495||A|01011990|Nam|", 29);
	memset(big + 29, 'a', 513);
	memcpy(big + 29 + 513, "|15042021", 9);
	assert_int_equal(eid_vnqr_parse(big, 29 + 513 + 9, d), EID_ETOOBIG);
	memcpy(big + 29 + 512, "|15042021", 9);
	assert_int_equal(eid_vnqr_parse(big, 29 + 512 + 9, d), EID_OK);
	assert_int_equal(eid_vnqr_parse(NULL, 0, d), EID_EINVAL);
}

static void test_round_trip(void **state)
{
	const char *qrs[] = { QR7, QR6 };
	struct eid_dg13 *back = calloc(1, sizeof(*back));
	eid_buf b;

	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(parse(qrs[i]), EID_OK);
		eid_buf_init(&b, 4096);
		assert_int_equal(eid_vnqr_encode(d, &b), EID_OK);
		assert_int_equal(eid_vnqr_parse((char *)b.data, b.len, back),
				 EID_OK);
		assert_memory_equal(d, back, sizeof(*d));
		if (i == 0) {
			assert_int_equal(b.len, strlen(QR7));
			assert_memory_equal(b.data, QR7, b.len);
		}
		eid_buf_free(&b);
	}
	/* Encoding refuses what parsing would. */
	eid_buf_init(&b, 4096);
	strcpy(d->residence, "a|b");
	assert_int_equal(eid_vnqr_encode(d, &b), EID_EINVAL);
	strcpy(d->residence, "ab");
	strcpy(d->birthdate, "1990");
	assert_int_equal(eid_vnqr_encode(d, &b), EID_EINVAL);
	strcpy(d->birthdate, "1990-01-01");
	strcpy(d->sex, "male");
	assert_int_equal(eid_vnqr_encode(d, &b), EID_EINVAL);
	assert_int_equal(b.len, 0);
	eid_buf_free(&b);
	free(back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seven_fields),
		cmocka_unit_test(test_six_fields_and_empty_old),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
