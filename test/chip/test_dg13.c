#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "chip/dg13.h"
#include "chip/tlv.h"
#include "crypto/error.h"

#define NAME "Nguy\xe1\xbb\x85n V\xc4\x83n \xc3\x81nh" /* Nguyễn Văn Ánh */
#define NU "N\xe1\xbb\xaf"                              /* Nữ */
#define OID_UTF8 "\x06\x06\x28\xcf\x06\x01\x00\x08"

static struct eid_dg13 *sample(void)
{
	struct eid_dg13 *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	strcpy(d->personal_id, "001201001495");
	strcpy(d->full_name, NAME);
	strcpy(d->birthdate, "1990-01-01");
	strcpy(d->sex, "Nam");
	strcpy(d->nationality, "Vi\xe1\xbb\x87t Nam");
	strcpy(d->ethnicity, "Kinh");
	strcpy(d->religion, "Kh\xc3\xb4ng");
	strcpy(d->place_of_origin, "H\xc3\xa0 N\xe1\xbb\x99i");
	strcpy(d->residence, "S\xe1\xbb\x91 1, Ph\xc6\xb0\xe1\xbb\x9dng 2");
	strcpy(d->identifying_marks, "N\xe1\xbb\x91t ru\xe1\xbb\x93i");
	strcpy(d->card_issued, "2021-04-15");
	strcpy(d->card_expires, "2030-01-01");
	strcpy(d->father_name, "Nguy\xe1\xbb\x85n V\xc4\x83n B");
	strcpy(d->mother_name, "Tr\xe1\xba\xa7n Th\xe1\xbb\x8b C");
	strcpy(d->spouse_name, "L\xc3\xaa Th\xe1\xbb\x8b D");
	strcpy(d->old_personal_id, "012345678");
	return d;
}

static void assert_dg13_equal(const struct eid_dg13 *a,
			      const struct eid_dg13 *b)
{
	assert_string_equal(a->personal_id, b->personal_id);
	assert_string_equal(a->full_name, b->full_name);
	assert_string_equal(a->birthdate, b->birthdate);
	assert_string_equal(a->sex, b->sex);
	assert_string_equal(a->nationality, b->nationality);
	assert_string_equal(a->ethnicity, b->ethnicity);
	assert_string_equal(a->religion, b->religion);
	assert_string_equal(a->place_of_origin, b->place_of_origin);
	assert_string_equal(a->residence, b->residence);
	assert_string_equal(a->identifying_marks, b->identifying_marks);
	assert_string_equal(a->card_issued, b->card_issued);
	assert_string_equal(a->card_expires, b->card_expires);
	assert_string_equal(a->father_name, b->father_name);
	assert_string_equal(a->mother_name, b->mother_name);
	assert_string_equal(a->spouse_name, b->spouse_name);
	assert_string_equal(a->old_personal_id, b->old_personal_id);
}

static int parse_buf(const eid_buf *b, struct eid_dg13 *d)
{
	return eid_dg13_parse(b->data, b->len, d);
}

static void test_round_trip_and_layout(void **state)
{
	struct eid_dg13 *d = sample(), *back = calloc(1, sizeof(*back));
	eid_buf b;

	eid_buf_init(&b, 65536);
	assert_int_equal(eid_dg13_encode(d, &b), EID_OK);
	/* 6D 82 LL LL 30 82 LL LL 02 01 01 06 06 28CF06010008 31 ... */
	assert_int_equal(b.data[0], 0x6d);
	assert_int_equal(b.data[4], 0x30);
	assert_memory_equal(b.data + 8, "\x02\x01\x01" OID_UTF8, 11);
	assert_int_equal(b.data[19], 0x31);
	/* 31 82 LL LL, then SEQUENCE { INTEGER 1, UTF8String ID }. */
	assert_memory_equal(b.data + 23, "\x30\x11\x02\x01\x01\x0c\x0c"
				"001201001495", 19);
	assert_int_equal(parse_buf(&b, back), EID_OK);
	assert_dg13_equal(d, back);
	assert_string_equal(back->full_name, NAME);

	/* Fields left out stay out. */
	memset(d, 0, sizeof(*d));
	strcpy(d->full_name, NAME);
	strcpy(d->mother_name, "M");
	eid_buf_reset(&b);
	assert_int_equal(eid_dg13_encode(d, &b), EID_OK);
	assert_int_equal(parse_buf(&b, back), EID_OK);
	assert_dg13_equal(d, back);
	eid_buf_free(&b);
	free(d);
	free(back);
}

/* b = tag { b } */
static void wrap(eid_buf *b, uint32_t tag)
{
	eid_buf w;

	eid_buf_init(&w, 1 << 20);
	assert_int_equal(eid_tlv_put(&w, tag, b->data, b->len), EID_OK);
	eid_buf_free(b);
	*b = w;
}

/* SEQUENCE { INTEGER n, tag value } appended to b. */
static void entry(eid_buf *b, uint8_t n, uint32_t tag, const char *value)
{
	eid_buf e;

	eid_buf_init(&e, 1 << 20);
	assert_int_equal(eid_tlv_put(&e, 0x02, &n, 1), EID_OK);
	if (value != NULL)
		assert_int_equal(eid_tlv_put(&e, tag, value, strlen(value)),
				 EID_OK);
	assert_int_equal(eid_tlv_put(b, 0x30, e.data, e.len), EID_OK);
	eid_buf_free(&e);
}

/* The entries of a typical card, in whatever nesting the test wraps. */
static void entries(eid_buf *b)
{
	entry(b, 1, 0x0c, "001201001495");
	entry(b, 2, 0x0c, NAME);
	entry(b, 3, 0x13, "01/01/1990");
	entry(b, 4, 0x0c, NU);
	entry(b, 12, 0x0c, "Kh\xc3\xb4ng th\xe1\xbb\x9di h\xe1\xba\xa1n");
	entry(b, 15, 0x0c, "a1b2c3");
	entry(b, 16, 0x13, "123456789");
	/* 13 with the names right in the entry; 14 a bare string. */
	{
		eid_buf e;
		eid_buf_init(&e, 4096);
		assert_int_equal(eid_tlv_put(&e, 0x02, "\x0d", 1), EID_OK);
		assert_int_equal(eid_tlv_put(&e, 0x0c, "Cha", 3), EID_OK);
		assert_int_equal(eid_tlv_put(&e, 0x0c, "M\xe1\xba\xb9", 4),
				 EID_OK);
		assert_int_equal(eid_tlv_put(b, 0x30, e.data, e.len), EID_OK);
		eid_buf_free(&e);
	}
	entry(b, 14, 0x0c, "V\xe1\xbb\xa3");
	entry(b, 10, 0x0c, NULL); /* does not apply */
}

static void check_entries(const struct eid_dg13 *d)
{
	assert_string_equal(d->personal_id, "001201001495");
	assert_string_equal(d->full_name, NAME);
	assert_string_equal(d->birthdate, "1990-01-01");
	assert_string_equal(d->sex, NU);
	assert_string_equal(d->card_expires, "");
	assert_string_equal(d->old_personal_id, "123456789");
	assert_string_equal(d->father_name, "Cha");
	assert_string_equal(d->mother_name, "M\xe1\xba\xb9");
	assert_string_equal(d->spouse_name, "V\xe1\xbb\xa3");
	assert_string_equal(d->identifying_marks, "");
}

/* header = INTEGER 1, OID; then the entries in a SET or a SEQUENCE. */
static void build(eid_buf *b, bool header, uint32_t container, int wraps)
{
	eid_buf in;

	eid_buf_init(b, 1 << 20);
	eid_buf_init(&in, 1 << 20);
	entries(&in);
	if (container != 0)
		wrap(&in, container);
	if (header) {
		assert_int_equal(eid_buf_put(b, "\x02\x01\x01" OID_UTF8, 11),
				 EID_OK);
	}
	assert_int_equal(eid_buf_put(b, in.data, in.len), EID_OK);
	for (int i = 0; i < wraps; i++)
		wrap(b, 0x30);
	wrap(b, 0x6d);
	eid_buf_free(&in);
}

static void test_nestings(void **state)
{
	struct {
		bool header;
		uint32_t container;
		int wraps;
	} cases[] = {
		{ true, 0x31, 1 }, /* as DESIGN.md describes it */
		{ true, 0x31, 0 }, /* no SEQUENCE inside 6D */
		{ true, 0x31, 2 }, /* an extra SEQUENCE around it */
		{ true, 0, 1 },    /* entries right after the OID */
		{ false, 0x31, 0 },
		{ false, 0x30, 0 },
		{ false, 0, 0 },
	};
	struct eid_dg13 *d = calloc(1, sizeof(*d));
	eid_buf b;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		build(&b, cases[i].header, cases[i].container, cases[i].wraps);
		memset(d, 0x55, sizeof(*d));
		assert_int_equal(parse_buf(&b, d), EID_OK);
		check_entries(d);
		eid_buf_free(&b);
	}
	/* Too deep. */
	build(&b, true, 0x31, 6);
	assert_int_equal(parse_buf(&b, d), EID_EMALFORMED);
	eid_buf_free(&b);
	free(d);
}

/* One entry in the standard nesting. */
static int parse_one(uint8_t n, uint32_t tag, const char *value)
{
	struct eid_dg13 *d = calloc(1, sizeof(*d));
	eid_buf b, in;
	int r;

	eid_buf_init(&b, 1 << 20);
	eid_buf_init(&in, 1 << 20);
	entry(&in, n, tag, value);
	wrap(&in, 0x31);
	assert_int_equal(eid_buf_put(&b, "\x02\x01\x01" OID_UTF8, 11), EID_OK);
	assert_int_equal(eid_buf_put(&b, in.data, in.len), EID_OK);
	wrap(&b, 0x30);
	wrap(&b, 0x6d);
	r = parse_buf(&b, d);
	eid_buf_free(&b);
	eid_buf_free(&in);
	free(d);
	return r;
}

static void test_refusals(void **state)
{
	char big[EID_DG13_STR_MAX + 2];
	struct eid_dg13 *d = calloc(1, sizeof(*d));
	eid_buf b;

	assert_int_equal(parse_one(2, 0x0c, NAME), EID_OK);
	assert_int_equal(parse_one(2, 0x0c, "bad \xc3\x28"), EID_EMALFORMED);
	assert_int_equal(parse_one(2, 0x0c, "overlong \xc0\xaf"),
			 EID_EMALFORMED);
	assert_int_equal(parse_one(2, 0x0c, "surrogate \xed\xa0\x80"),
			 EID_EMALFORMED);
	assert_int_equal(parse_one(2, 0x0c, "cut \xe1\xbb"), EID_EMALFORMED);
	assert_int_equal(parse_one(2, 0x0c, "tab\there"), EID_EMALFORMED);
	assert_int_equal(parse_one(2, 0x04, "octets"), EID_EMALFORMED);
	assert_int_equal(parse_one(1, 0x0c, "12345"), EID_EMALFORMED);
	assert_int_equal(parse_one(1, 0x0c, "00120100149x"), EID_EMALFORMED);
	assert_int_equal(parse_one(3, 0x0c, "31/02/1990"), EID_EMALFORMED);
	assert_int_equal(parse_one(3, 0x0c, "1990-01-01"), EID_EMALFORMED);
	assert_int_equal(parse_one(3, 0x0c, "1990"), EID_OK);
	assert_int_equal(parse_one(3, 0x0c, "02/1990"), EID_OK);
	assert_int_equal(parse_one(11, 0x0c, "29/02/2000"), EID_OK);
	assert_int_equal(parse_one(11, 0x0c, "29/02/1900"), EID_EMALFORMED);
	assert_int_equal(parse_one(99, 0x0c, "future field"), EID_OK);
	memset(big, 'a', sizeof(big));
	big[EID_DG13_STR_MAX] = '\0';
	assert_int_equal(parse_one(2, 0x0c, big), EID_OK);
	big[EID_DG13_STR_MAX] = 'a';
	big[EID_DG13_STR_MAX + 1] = '\0';
	assert_int_equal(parse_one(2, 0x0c, big), EID_ETOOBIG);

	/* A repeated field. */
	eid_buf_init(&b, 4096);
	entry(&b, 2, 0x0c, "A");
	entry(&b, 2, 0x0c, "B");
	wrap(&b, 0x31);
	wrap(&b, 0x6d);
	assert_int_equal(parse_buf(&b, d), EID_EMALFORMED);
	/* Cut short, and the wrong tag. */
	assert_int_equal(eid_dg13_parse(b.data, b.len - 1, d), EID_ETRUNCATED);
	b.data[0] = 0x6c;
	assert_int_equal(parse_buf(&b, d), EID_EMALFORMED);
	eid_buf_free(&b);

	/* Another text encoding than UTF-8 (1.0.10646.1.0.2, UCS-2). */
	eid_buf_init(&b, 4096);
	assert_int_equal(eid_buf_put(&b, "\x02\x01\x01\x06\x06\x28\xcf\x06"
				     "\x01\x00\x02", 11), EID_OK);
	entry(&b, 2, 0x0c, "A");
	wrap(&b, 0x6d);
	assert_int_equal(parse_buf(&b, d), EID_EUNSUPPORTED);
	eid_buf_free(&b);

	/* An empty SET is an empty record; no SET at all is not one. */
	assert_int_equal(eid_dg13_parse((const uint8_t *)"\x6d\x02\x31\x00", 4,
					d), EID_OK);
	assert_string_equal(d->full_name, "");
	assert_int_equal(eid_dg13_parse((const uint8_t *)"\x6d\x00", 2, d),
			 EID_EMALFORMED);
	{
		static uint8_t huge[65537];
		huge[0] = 0x6d;
		assert_int_equal(eid_dg13_parse(huge, sizeof(huge), d),
				 EID_ETOOBIG);
	}
	/* Field 13 with three names. */
	eid_buf_init(&b, 4096);
	assert_int_equal(eid_buf_put(&b, "\x30\x0e\x02\x01\x0d\x30\x09"
				     "\x0c\x01" "a" "\x0c\x01" "b" "\x0c\x01" "c",
				     16), EID_OK);
	wrap(&b, 0x31);
	wrap(&b, 0x6d);
	assert_int_equal(parse_buf(&b, d), EID_EMALFORMED);
	eid_buf_free(&b);
	free(d);
}

static void test_encode_refusals(void **state)
{
	struct eid_dg13 *d = sample();
	eid_buf b;

	eid_buf_init(&b, 65536);
	strcpy(d->birthdate, "01/01/1990");
	assert_int_equal(eid_dg13_encode(d, &b), EID_EINVAL);
	strcpy(d->birthdate, "1990-02-30");
	assert_int_equal(eid_dg13_encode(d, &b), EID_EINVAL);
	strcpy(d->birthdate, "1990");
	strcpy(d->personal_id, "1234");
	assert_int_equal(eid_dg13_encode(d, &b), EID_EINVAL);
	strcpy(d->personal_id, "001201001495");
	strcpy(d->full_name, "\xff");
	assert_int_equal(eid_dg13_encode(d, &b), EID_EINVAL);
	strcpy(d->full_name, NAME);
	strcpy(d->old_personal_id, "12ab");
	assert_int_equal(eid_dg13_encode(d, &b), EID_EINVAL);
	assert_int_equal(b.len, 0);
	strcpy(d->old_personal_id, "");
	assert_int_equal(eid_dg13_encode(d, &b), EID_OK);
	eid_buf_free(&b);
	free(d);
}

static void test_json(void **state)
{
	struct eid_dg13 *d = sample();
	json_t *j = NULL;

	assert_int_equal(eid_dg13_to_json(d, &j), EID_OK);
	assert_string_equal(json_string_value(json_object_get(j, "full_name")),
			    NAME);
	assert_string_equal(json_string_value(json_object_get(j, "sex")),
			    "male");
	assert_string_equal(json_string_value(json_object_get(j, "birthdate")),
			    "1990-01-01");
	assert_string_equal(
		json_string_value(json_object_get(j, "old_personal_id")),
		"012345678");
	assert_int_equal(json_object_size(j), 16);
	json_decref(j);

	strcpy(d->sex, NU);
	d->spouse_name[0] = '\0';
	d->old_personal_id[0] = '\0';
	assert_int_equal(eid_dg13_to_json(d, &j), EID_OK);
	assert_string_equal(json_string_value(json_object_get(j, "sex")),
			    "female");
	assert_null(json_object_get(j, "spouse_name"));
	assert_int_equal(json_object_size(j), 14);
	json_decref(j);

	strcpy(d->sex, "?");
	assert_int_equal(eid_dg13_to_json(d, &j), EID_OK);
	assert_null(json_object_get(j, "sex"));
	json_decref(j);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_and_layout),
		cmocka_unit_test(test_nestings),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_encode_refusals),
		cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
