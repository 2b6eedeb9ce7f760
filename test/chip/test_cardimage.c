/* The card image container: a round trip of every member, the strict
 * loader (order, repeats, unknown members, versions, bounds), and save/load
 * through a 0600 file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "chip/cardimage.h"
#include "chiptest.h"
#include "crypto/error.h"

#define MRZ_INFO "L898902C<369080619406236"

static void sample(struct eid_cardimage *img)
{
	static const uint8_t dg1[] = { 0x61, 0x02, 0x5f, 0x1f };
	static const uint8_t key[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };

	eid_cardimage_init(img);
	memcpy(img->mrz_info, MRZ_INFO, sizeof(MRZ_INFO));
	memcpy(img->can, "123456", 7);
	img->access = EID_CARD_ACCESS_PACE_BAC;
	img->max_read = 1000;
	img->extended = true;
	assert_int_equal(eid_cardimage_set_file(img, 0x0101, dg1, sizeof(dg1)),
			 EID_OK);
	assert_int_equal(eid_cardimage_set_file(img, 0x011d, NULL, 0), EID_OK);
	assert_int_equal(eid_buf_put(&img->aa_key, key, sizeof(key)), EID_OK);
}

static void round_trip(void **state)
{
	struct eid_cardimage a, b;
	eid_buf enc;

	(void)state;
	sample(&a);
	eid_buf_init(&enc, EID_CARDIMAGE_MAX);
	assert_int_equal(eid_cardimage_encode(&a, &enc), EID_OK);
	assert_int_equal(eid_cardimage_parse(enc.data, enc.len, &b), EID_OK);
	assert_string_equal(b.mrz_info, MRZ_INFO);
	assert_string_equal(b.can, "123456");
	assert_int_equal(b.access, EID_CARD_ACCESS_PACE_BAC);
	assert_int_equal(b.max_read, 1000);
	assert_true(b.extended);
	assert_int_equal(b.n_files, 2);
	assert_int_equal(eid_cardimage_file(&b, 0x0101)->len, 4);
	assert_int_equal(eid_cardimage_file(&b, 0x011d)->len, 0);
	assert_null(eid_cardimage_file(&b, 0x0102));
	assert_int_equal(b.aa_key.len, 5);
	assert_int_equal(b.ca_key.len, 0);
	eid_cardimage_remove_file(&b, 0x0101);
	assert_null(eid_cardimage_file(&b, 0x0101));
	assert_non_null(eid_cardimage_file(&b, 0x011d));
	eid_cardimage_clear(&a);
	eid_cardimage_clear(&b);
	eid_buf_free(&enc);
}

static int parse_hex(const char *h)
{
	struct eid_cardimage img;
	eid_buf b;
	int r;

	hexbuf(h, &b);
	r = eid_cardimage_parse(b.data, b.len, &img);
	if (r == EID_OK)
		eid_cardimage_clear(&img);
	eid_buf_free(&b);
	return r;
}

/* 80 01 01, 81 "L898902C<369080619406236", 83 01, 84 00DF, 85 00 */
#define V "800101"
#define MRZ "8118" "4C383938393032433C333639303830363139343036323336"
#define ACC "830101"
#define MAX "840200DF"
#define EXT "850100"

static void strict(void **state)
{
	(void)state;
	assert_int_equal(parse_hex("E1 27" V MRZ ACC MAX EXT), EID_OK);
	/* out of order, repeated, unknown, missing */
	assert_int_equal(parse_hex("E1 27" MRZ V ACC MAX EXT), EID_EMALFORMED);
	assert_int_equal(parse_hex("E1 2A" V MRZ ACC ACC MAX EXT), EID_EMALFORMED);
	assert_int_equal(parse_hex("E1 2A" V MRZ ACC MAX EXT "8F0100"), EID_EMALFORMED);
	assert_int_equal(parse_hex("E1 24" V MRZ MAX EXT), EID_EMALFORMED);
	/* another version, bad values */
	assert_int_equal(parse_hex("E1 27 800102" MRZ ACC MAX EXT), EID_EUNSUPPORTED);
	assert_int_equal(parse_hex("E1 27" V MRZ "830103" MAX EXT), EID_EMALFORMED);
	assert_int_equal(parse_hex("E1 27" V MRZ ACC "84020101" EXT), EID_EMALFORMED);
	assert_int_equal(parse_hex("E1 27" V MRZ ACC "84020000" EXT), EID_EMALFORMED);
	assert_int_equal(parse_hex("E1 27" V MRZ ACC MAX "850102"), EID_EMALFORMED);
	/* a wrong check digit in the MRZ information */
	assert_int_equal(parse_hex("E1 27" V "8118" "4C383938393032433C343639303830363139343036323336"
				   ACC MAX EXT), EID_EMALFORMED);
	/* files: a good one, a duplicate, a short FID, trailing bytes */
	assert_int_equal(parse_hex("E1 30" V MRZ ACC MAX EXT "A007 80020101 810161"), EID_OK);
	assert_int_equal(parse_hex("E1 39" V MRZ ACC MAX EXT "A007 80020101 810161"
				   "A007 80020101 810161"), EID_EMALFORMED);
	assert_int_equal(parse_hex("E1 2F" V MRZ ACC MAX EXT "A006 800101 810161"), EID_EMALFORMED);
	assert_int_equal(parse_hex("E1 31" V MRZ ACC MAX EXT "A008 80020101 810161 00"), EID_EMALFORMED);
	/* truncated, trailing, wrong outer tag */
	assert_int_equal(parse_hex("E1 28" V MRZ ACC MAX EXT), EID_ETRUNCATED);
	assert_int_equal(parse_hex("E1 27" V MRZ ACC MAX EXT "00"), EID_EMALFORMED);
	assert_int_equal(parse_hex("E2 27" V MRZ ACC MAX EXT), EID_EMALFORMED);
}

static void save_load(void **state)
{
	char path[] = "/tmp/eid-test-cardimage-XXXXXX";
	struct eid_cardimage a, b;
	struct stat st;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	sample(&a);
	assert_int_equal(eid_cardimage_save(&a, path), EID_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(eid_cardimage_load(path, &b), EID_OK);
	assert_int_equal(b.n_files, 2);
	assert_int_equal(eid_cardimage_load("/nonexistent/card", &b),
			 EID_ENOTFOUND);
	unlink(path);
	eid_cardimage_clear(&a);
	eid_cardimage_clear(&b);
}

static void limits(void **state)
{
	struct eid_cardimage a;
	static uint8_t big[EID_CARDIMAGE_FILE_MAX + 1];

	(void)state;
	sample(&a);
	assert_int_equal(eid_cardimage_set_file(&a, 0x0102, big, sizeof(big)),
			 EID_ETOOBIG);
	for (uint16_t f = 0x0110; a.n_files < EID_CARDIMAGE_MAX_FILES; f++)
		assert_int_equal(eid_cardimage_set_file(&a, f, big, 1), EID_OK);
	assert_int_equal(eid_cardimage_set_file(&a, 0x0102, big, 1), EID_ETOOBIG);
	/* replacing an existing file still works when full */
	assert_int_equal(eid_cardimage_set_file(&a, 0x0101, big, 3), EID_OK);
	a.extended = false;
	a.max_read = 257;
	assert_int_equal(eid_cardimage_check(&a), EID_EMALFORMED);
	a.max_read = 256;
	memcpy(a.can, "12a456", 7);
	assert_int_equal(eid_cardimage_check(&a), EID_EMALFORMED);
	eid_cardimage_clear(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(strict),
		cmocka_unit_test(save_load),
		cmocka_unit_test(limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
