#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "chip/lds.h"
#include "chip/tlv.h"
#include "crypto/error.h"

/* EF.COM of LDS 1.7, Unicode 4.0.0, with DG1, DG2, DG13 and DG15. */
static const uint8_t com_bytes[] = {
	0x60, 0x16, 0x5f, 0x01, 0x04, '0', '1', '0', '7',
	0x5f, 0x36, 0x06, '0', '4', '0', '0', '0', '0',
	0x5c, 0x04, 0x61, 0x75, 0x6d, 0x6f,
};

#define VN_MRZ "IDVNM2010014956001201001495<<<" \
	       "9001011M3001019VNM<<<<<<<<<<<7" \
	       "NGUYEN<<VAN<ANH<<<<<<<<<<<<<<<"

static void test_table(void **state)
{
	assert_int_equal(eid_lds_by_dg(1)->tag, 0x61);
	assert_int_equal(eid_lds_by_dg(2)->fid, 0x0102);
	assert_int_equal(eid_lds_by_dg(13)->sfi, 0x0d);
	assert_int_equal(eid_lds_by_tag(0x6f)->dg, 15);
	assert_int_equal(eid_lds_by_tag(0x75)->dg, 2);
	assert_int_equal(eid_lds_by_fid(0x011e)->dg, EID_LDS_COM);
	assert_int_equal(eid_lds_by_fid(0x011d)->tag, 0x77);
	assert_string_equal(eid_lds_by_dg(EID_LDS_SOD)->name, "EF.SOD");
	assert_null(eid_lds_by_dg(18));
	assert_null(eid_lds_by_tag(0x71));
	assert_null(eid_lds_by_fid(0x0111));
}

static void test_com(void **state)
{
	struct eid_lds_com c;
	eid_buf b;
	uint8_t bad[sizeof(com_bytes)];

	assert_int_equal(eid_lds_com_parse(com_bytes, sizeof(com_bytes), &c),
			 EID_OK);
	assert_string_equal(c.lds_version, "0107");
	assert_string_equal(c.unicode_version, "040000");
	assert_int_equal(c.ntags, 4);
	assert_int_equal(c.tags[2], 0x6d);
	eid_buf_init(&b, 1024);
	assert_int_equal(eid_lds_com_encode(&c, &b), EID_OK);
	assert_int_equal(b.len, sizeof(com_bytes));
	assert_memory_equal(b.data, com_bytes, b.len);
	eid_buf_free(&b);

	assert_int_equal(eid_lds_com_parse(com_bytes, sizeof(com_bytes) - 1,
					   &c), EID_ETRUNCATED);
	memcpy(bad, com_bytes, sizeof(bad));
	bad[0] = 0x61;
	assert_int_equal(eid_lds_com_parse(bad, sizeof(bad), &c),
			 EID_EMALFORMED);
	memcpy(bad, com_bytes, sizeof(bad));
	bad[6] = 'x';
	assert_int_equal(eid_lds_com_parse(bad, sizeof(bad), &c),
			 EID_EMALFORMED);
	/* Without the tag list (shortened outer length). */
	memcpy(bad, com_bytes, sizeof(bad));
	bad[1] = 0x10;
	assert_int_equal(eid_lds_com_parse(bad, 0x12, &c), EID_EMALFORMED);
	{
		static uint8_t big[2048];
		big[0] = 0x60;
		assert_int_equal(eid_lds_com_parse(big, sizeof(big), &c),
				 EID_ETOOBIG);
	}
	{
		/* 33 tags in the list. */
		uint8_t many[2 + 7 + 9 + 2 + 33] = { 0x60, 7 + 9 + 2 + 33,
			0x5f, 0x01, 0x04, '0', '1', '0', '7',
			0x5f, 0x36, 0x06, '0', '4', '0', '0', '0', '0',
			0x5c, 33 };
		assert_int_equal(eid_lds_com_parse(many, sizeof(many), &c),
				 EID_ETOOBIG);
	}
	c.ntags = EID_LDS_COM_MAX_TAGS + 1;
	eid_buf_init(&b, 1024);
	assert_int_equal(eid_lds_com_encode(&c, &b), EID_EINVAL);
	eid_buf_free(&b);
}

static void test_dg1(void **state)
{
	struct eid_mrz m, back;
	eid_buf b;

	assert_int_equal(eid_mrz_parse(VN_MRZ, 90, &m), EID_OK);
	eid_buf_init(&b, 256);
	assert_int_equal(eid_lds_dg1_encode(&m, &b), EID_OK);
	assert_int_equal(b.len, 95);
	assert_memory_equal(b.data, "\x61\x5d\x5f\x1f\x5a", 5);
	assert_memory_equal(b.data + 5, VN_MRZ, 90);
	assert_int_equal(eid_lds_dg1_parse(b.data, b.len, &back), EID_OK);
	assert_string_equal(back.personal_id, "001201001495");
	assert_string_equal(back.primary, "NGUYEN");

	b.data[5 + 14] = '7'; /* document number check digit */
	assert_int_equal(eid_lds_dg1_parse(b.data, b.len, &back), EID_EVERIFY);
	b.data[5 + 14] = '6';
	b.data[3] = 0x1e;
	assert_int_equal(eid_lds_dg1_parse(b.data, b.len, &back),
			 EID_EMALFORMED);
	assert_int_equal(eid_lds_dg1_parse(b.data, b.len - 1, &back),
			 EID_ETRUNCATED);
	eid_buf_free(&b);

	/* Newlines belong to printed MRZs, not to DG1. */
	eid_buf_init(&b, 256);
	assert_int_equal(eid_tlv_put_header(&b, 0x61, 3 + 91), EID_OK);
	assert_int_equal(eid_tlv_put_header(&b, 0x5f1f, 91), EID_OK);
	assert_int_equal(eid_buf_put(&b, VN_MRZ, 30), EID_OK);
	assert_int_equal(eid_buf_put(&b, "\n", 1), EID_OK);
	assert_int_equal(eid_buf_put(&b, &VN_MRZ[30], 60), EID_OK);
	assert_int_equal(eid_lds_dg1_parse(b.data, b.len, &back),
			 EID_EMALFORMED);
	eid_buf_free(&b);
}

/* A stand-in JPEG: only the magic matters to DG2. */
static void fake_image(uint8_t *img, size_t n, bool jp2)
{
	static const uint8_t jpeg[] = { 0xff, 0xd8, 0xff, 0xe0 };
	static const uint8_t jp2m[] = { 0x00, 0x00, 0x00, 0x0c,
					0x6a, 0x50, 0x20, 0x20 };

	for (size_t i = 0; i < n; i++)
		img[i] = (uint8_t)(i * 7);
	if (jp2)
		memcpy(img, jp2m, sizeof(jp2m));
	else
		memcpy(img, jpeg, sizeof(jpeg));
}

static void test_dg2_round_trip(void **state)
{
	uint8_t img[1000];
	struct eid_lds_dg2 d;
	eid_buf b;
	const uint8_t *fac;

	fake_image(img, sizeof(img), false);
	eid_buf_init(&b, 1 << 20);
	assert_int_equal(eid_lds_dg2_encode(img, sizeof(img), 480, 640, &b),
			 EID_OK);
	assert_int_equal(eid_lds_dg2_parse(b.data, b.len, &d), EID_OK);
	assert_int_equal(d.type, EID_IMAGE_JPEG);
	assert_int_equal(d.image_len, sizeof(img));
	assert_memory_equal(d.image, img, sizeof(img));
	assert_int_equal(d.width, 480);
	assert_int_equal(d.height, 640);
	/* The 19794-5 header sits right before the image: 14 + 20 + 12. */
	fac = d.image - 46;
	assert_memory_equal(fac, "FAC\0" "010\0", 8);
	assert_memory_equal(fac + 8, "\x00\x00\x04\x16\x00\x01", 6);
	assert_memory_equal(fac + 14, "\x00\x00\x04\x08\x00\x00", 6);
	assert_int_equal(fac[34], 1); /* full frontal */
	assert_int_equal(fac[35], 0); /* JPEG */
	eid_buf_free(&b);

	fake_image(img, sizeof(img), true);
	eid_buf_init(&b, 1 << 20);
	assert_int_equal(eid_lds_dg2_encode(img, sizeof(img), 1, 2, &b),
			 EID_OK);
	assert_int_equal(eid_lds_dg2_parse(b.data, b.len, &d), EID_OK);
	assert_int_equal(d.type, EID_IMAGE_JP2);
	assert_memory_equal(d.image, img, sizeof(img));
	eid_buf_free(&b);

	/* Not an image. */
	memset(img, 0x42, sizeof(img));
	eid_buf_init(&b, 1 << 20);
	assert_int_equal(eid_lds_dg2_encode(img, sizeof(img), 1, 2, &b),
			 EID_EINVAL);
	assert_int_equal(b.len, 0);
	eid_buf_free(&b);
}

/* 75 { 7F61 { 7F60 { tag { data } } } } by hand. */
static void build_dg2(eid_buf *b, uint32_t data_tag, const uint8_t *data,
		      size_t n)
{
	size_t l_data = n + (n < 128 ? 3 : 4);
	size_t l_bio = l_data + (l_data < 128 ? 3 : 4);
	size_t l_grp = l_bio + (l_bio < 128 ? 3 : 4);

	assert_int_equal(eid_tlv_put_header(b, 0x75, l_grp), EID_OK);
	assert_int_equal(eid_tlv_put_header(b, 0x7f61, l_bio), EID_OK);
	assert_int_equal(eid_tlv_put_header(b, 0x7f60, l_data), EID_OK);
	assert_int_equal(eid_tlv_put(b, data_tag, data, n), EID_OK);
}

#define expect_dg2(tag, data, n, err) \
	expect_dg2_at(tag, data, n, err, __FILE__, __LINE__)
static void expect_dg2_at(uint32_t tag, const uint8_t *data, size_t n,
			  int err, const char *file, int line)
{
	struct eid_lds_dg2 d;
	eid_buf b;

	eid_buf_init(&b, 4096);
	build_dg2(&b, tag, data, n);
	_assert_int_equal(cast_to_largest_integral_type(
				  eid_lds_dg2_parse(b.data, b.len, &d)),
			  cast_to_largest_integral_type(err), file, line);
	eid_buf_free(&b);
}

static void test_dg2_variants_and_refusals(void **state)
{
	uint8_t img[100], fac[200];
	struct eid_lds_dg2 d;
	eid_buf b;

	/* A bare JPEG in 7F2E. */
	fake_image(img, sizeof(img), false);
	eid_buf_init(&b, 4096);
	build_dg2(&b, 0x7f2e, img, sizeof(img));
	assert_int_equal(eid_lds_dg2_parse(b.data, b.len, &d), EID_OK);
	assert_int_equal(d.image_len, sizeof(img));
	assert_int_equal(d.width, 0);
	eid_buf_free(&b);

	/* A J2K codestream. */
	memcpy(img, "\xff\x4f\xff\x51", 4);
	eid_buf_init(&b, 4096);
	build_dg2(&b, 0x5f2e, img, sizeof(img));
	assert_int_equal(eid_lds_dg2_parse(b.data, b.len, &d), EID_OK);
	assert_int_equal(d.type, EID_IMAGE_JP2);
	eid_buf_free(&b);

	/* A FAC record around something else. */
	memset(fac, 0, sizeof(fac));
	memcpy(fac, "FAC\0" "010\0\x00\x00\x00\x82\x00\x01"
		    "\x00\x00\x00\x74", 18);
	expect_dg2(0x5f2e, fac, 14 + 116, EID_EUNSUPPORTED);
	/* A record longer than the block. */
	fac[17] = 0xf0;
	expect_dg2(0x5f2e, fac, 14 + 116, EID_ETRUNCATED);
	/* A record too short for its own blocks. */
	fac[17] = 0x10;
	expect_dg2(0x5f2e, fac, 14 + 116, EID_EMALFORMED);
	/* Feature points running past the record. */
	fac[17] = 0x74;
	fac[18] = 0x00;
	fac[19] = 0x20;
	expect_dg2(0x5f2e, fac, 14 + 116, EID_ETRUNCATED);

	/* Wrong magic, no data block, no group. */
	fac[0] = 'X';
	expect_dg2(0x5f2e, fac, 14 + 116, EID_EMALFORMED);
	expect_dg2(0x5f2f, img, sizeof(img), EID_EMALFORMED);
	assert_int_equal(eid_lds_dg2_parse((const uint8_t *)"\x75\x00", 2, &d),
			 EID_EMALFORMED);
	{
		static uint8_t huge[(1 << 20) + 1];
		huge[0] = 0x75;
		assert_int_equal(eid_lds_dg2_parse(huge, sizeof(huge), &d),
				 EID_ETOOBIG);
	}
}

static EVP_PKEY *ec_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	assert_non_null(k);
	return k;
}

static void test_dg14(void **state)
{
	EVP_PKEY *k = ec_key();
	struct eid_lds_dg14 d;
	eid_buf b;

	eid_buf_init(&b, 65536);
	assert_int_equal(eid_lds_dg14_encode_ca(k, &b), EID_OK);
	assert_int_equal(eid_lds_dg14_parse(b.data, b.len, &d), EID_OK);
	assert_non_null(d.ca_spki);
	assert_non_null(d.ca_key);
	assert_int_equal(EVP_PKEY_eq(k, d.ca_key), 1);
	assert_int_equal(d.security_infos[0], 0x31);

	/* Re-wrapping the raw SecurityInfos gives the same file. */
	{
		eid_buf again;
		eid_buf_init(&again, 65536);
		assert_int_equal(eid_lds_dg14_encode(d.security_infos,
						     d.security_infos_len,
						     &again), EID_OK);
		assert_int_equal(again.len, b.len);
		assert_memory_equal(again.data, b.data, b.len);
		assert_int_equal(eid_lds_dg14_encode(b.data, b.len, &again),
				 EID_EINVAL);
		eid_buf_free(&again);
	}
	eid_lds_dg14_clear(&d);
	eid_buf_free(&b);
	EVP_PKEY_free(k);

	/* SecurityInfos without Chip Authentication. */
	{
		static const uint8_t no_ca[] = {
			0x6e, 0x0e, 0x31, 0x0c, 0x30, 0x0a,
			0x06, 0x05, 0x2b, 0x06, 0x01, 0x02, 0x03,
			0x02, 0x01, 0x01,
		};
		static const uint8_t not_seq[] = {
			0x6e, 0x05, 0x31, 0x03, 0x02, 0x01, 0x01,
		};
		static const uint8_t no_set[] = {
			0x6e, 0x05, 0x30, 0x03, 0x02, 0x01, 0x01,
		};
		assert_int_equal(eid_lds_dg14_parse(no_ca, sizeof(no_ca), &d),
				 EID_OK);
		assert_null(d.ca_spki);
		assert_null(d.ca_key);
		assert_int_equal(d.security_infos_len, 14);
		eid_lds_dg14_clear(&d);
		assert_int_equal(eid_lds_dg14_parse(not_seq, sizeof(not_seq),
						    &d), EID_EMALFORMED);
		assert_int_equal(eid_lds_dg14_parse(no_set, sizeof(no_set), &d),
				 EID_EMALFORMED);
		assert_int_equal(eid_lds_dg14_parse(no_ca, sizeof(no_ca) - 1,
						    &d), EID_ETRUNCATED);
	}
	/* A CA key info whose key OpenSSL cannot read: SPKI, no key. */
	{
		static const uint8_t bad_key[] = {
			0x6e, 0x13, 0x31, 0x11, 0x30, 0x0f,
			0x06, 0x09, 0x04, 0x00, 0x7f, 0x00, 0x07,
			0x02, 0x02, 0x01, 0x02,
			0x30, 0x02, 0x05, 0x00,
		};
		assert_int_equal(eid_lds_dg14_parse(bad_key, sizeof(bad_key),
						    &d), EID_OK);
		assert_int_equal(d.ca_spki_len, 4);
		assert_null(d.ca_key);
		eid_lds_dg14_clear(&d);
	}
}

static void dg15_round_trip(EVP_PKEY *k)
{
	EVP_PKEY *back = NULL;
	eid_buf b;

	eid_buf_init(&b, 16384);
	assert_int_equal(eid_lds_dg15_encode(k, &b), EID_OK);
	assert_int_equal(b.data[0], 0x6f);
	assert_int_equal(eid_lds_dg15_parse(b.data, b.len, &back), EID_OK);
	assert_int_equal(EVP_PKEY_eq(k, back), 1);
	EVP_PKEY_free(back);
	back = NULL;
	/* A byte less inside the key: the element no longer fits. */
	assert_int_equal(eid_lds_dg15_parse(b.data, b.len - 1, &back),
			 EID_ETRUNCATED);
	assert_null(back);
	eid_buf_free(&b);
}

static void test_dg15(void **state)
{
	EVP_PKEY *ec = ec_key();
	EVP_PKEY *rsa = EVP_RSA_gen(1024);
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *back = NULL;
	eid_buf b;
	static const uint8_t garbage[] = { 0x6f, 0x04, 0x30, 0x02, 0x05, 0x00 };

	assert_non_null(rsa);
	assert_non_null(ed);
	dg15_round_trip(ec);
	dg15_round_trip(rsa);

	eid_buf_init(&b, 16384);
	assert_int_equal(eid_lds_dg15_encode(ed, &b), EID_EUNSUPPORTED);
	assert_int_equal(b.len, 0);
	assert_int_equal(eid_lds_dg14_encode_ca(ed, &b), EID_EUNSUPPORTED);
	assert_int_equal(eid_lds_dg14_encode_ca(rsa, &b), EID_EUNSUPPORTED);
	assert_int_equal(eid_lds_dg15_encode(NULL, &b), EID_EINVAL);
	/* An Ed25519 key in DG15 is not an AA key we support. */
	{
		unsigned char *der = NULL;
		int n = i2d_PUBKEY(ed, &der);
		assert_true(n > 0);
		assert_int_equal(eid_tlv_put(&b, 0x6f, der, (size_t)n), EID_OK);
		OPENSSL_free(der);
		assert_int_equal(eid_lds_dg15_parse(b.data, b.len, &back),
				 EID_EUNSUPPORTED);
	}
	assert_int_equal(eid_lds_dg15_parse(garbage, sizeof(garbage), &back),
			 EID_EMALFORMED);
	assert_null(back);
	eid_buf_free(&b);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_com),
		cmocka_unit_test(test_dg1),
		cmocka_unit_test(test_dg2_round_trip),
		cmocka_unit_test(test_dg2_variants_and_refusals),
		cmocka_unit_test(test_dg14),
		cmocka_unit_test(test_dg15),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
