#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/cms.h>
#include <openssl/objects.h>

#include "chip/sod.h"
#include "chip/tlv.h"
#include "crypto/error.h"
#include "pki.h"

struct fixture {
	EVP_PKEY *csca_key, *dsc_key;
	X509 *csca, *dsc;
};


static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	f->csca_key = pki_key("p256");
	f->dsc_key = pki_key("p256");
	f->csca = pki_cert("CSCA", f->csca_key, NULL, NULL, -10, 3650, 1, true);
	f->dsc = pki_cert("DSC", f->dsc_key, f->csca, f->csca_key, -1, 365, 2,
			  false);
	*state = f;
	return f->dsc != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	X509_free(f->dsc);
	X509_free(f->csca);
	EVP_PKEY_free(f->dsc_key);
	EVP_PKEY_free(f->csca_key);
	free(f);
	return 0;
}

static void check_hashes(const eid_sod *sod, const EVP_MD *md)
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hlen;
	const struct eid_sod_dg_hash *e;

	assert_ptr_equal(eid_sod_hash_md(sod), md);
	assert_int_equal(eid_sod_dg_count(sod), PKI_N_DGS);
	for (size_t i = 0; i < PKI_N_DGS; i++) {
		assert_int_equal(eid_sod_dg_find(sod, pki_dgs[i].number, &e), EID_OK);
		assert_ptr_equal(e, eid_sod_dg_at(sod, i));
		assert_true(EVP_Digest(pki_dgs[i].data, pki_dgs[i].len, h, &hlen, md,
				       NULL));
		assert_int_equal(e->hash_len, hlen);
		assert_memory_equal(e->hash, h, hlen);
	}
	assert_null(eid_sod_dg_at(sod, PKI_N_DGS));
	assert_int_equal(eid_sod_dg_find(sod, 3, &e), EID_ENOTFOUND);
}

static void test_build_and_parse(void **state)
{
	struct fixture *f = *state;
	const EVP_MD *mds[] = { EVP_sha1(), EVP_sha224(), EVP_sha256(),
				EVP_sha384(), EVP_sha512() };

	for (size_t i = 0; i < sizeof(mds) / sizeof(mds[0]); i++) {
		eid_buf b;
		eid_sod *sod = NULL;

		eid_buf_init(&b, EID_SOD_MAX_LEN);
		assert_int_equal(eid_sod_build(pki_dgs, PKI_N_DGS, mds[i], f->dsc,
					       f->dsc_key, 0, &b), EID_OK);
		assert_int_equal(b.data[0], 0x77);
		assert_int_equal(eid_sod_parse(b.data, b.len, &sod), EID_OK);
		check_hashes(sod, mds[i]);
		assert_int_equal(eid_sod_version(sod), 0);
		assert_int_equal(X509_cmp(eid_sod_dsc(sod), f->dsc), 0);
		assert_non_null(eid_sod_signer(sod));
		assert_non_null(eid_sod_cms(sod));
		eid_sod_free(sod);
		eid_buf_free(&b);
	}
}

/* The same SignedData streamed by OpenSSL: BER with indefinite lengths,
 * inside a tag 77 that has an indefinite length too. */
static void test_ber_indefinite(void **state)
{
	struct fixture *f = *state;
	const unsigned flags = CMS_BINARY | CMS_STREAM | CMS_PARTIAL;
	eid_buf lds, sod_buf;
	CMS_ContentInfo *cms;
	ASN1_OBJECT *oid = OBJ_txt2obj("2.23.136.1.1.1", 1);
	BIO *in, *out = BIO_new(BIO_s_mem());
	eid_sod *sod = NULL;
	char *ber;
	long ber_len;

	eid_buf_init(&lds, 4096);
	eid_buf_init(&sod_buf, EID_SOD_MAX_LEN);
	assert_int_equal(eid_sod_encode_lds(pki_dgs, PKI_N_DGS, EVP_sha256(), &lds),
			 EID_OK);
	in = BIO_new_mem_buf(lds.data, (int)lds.len);
	cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	assert_non_null(cms);
	assert_true(CMS_set1_eContentType(cms, oid));
	assert_non_null(CMS_add1_signer(cms, f->dsc, f->dsc_key, EVP_sha256(),
					flags));
	assert_true(i2d_CMS_bio_stream(out, cms, in, flags));
	ber_len = BIO_get_mem_data(out, &ber);
	assert_int_equal((uint8_t)ber[1], 0x80); /* indefinite indeed */

	assert_int_equal(eid_buf_put(&sod_buf, "\x77\x80", 2), EID_OK);
	assert_int_equal(eid_buf_put(&sod_buf, ber, (size_t)ber_len), EID_OK);
	assert_int_equal(eid_buf_put(&sod_buf, "\x00\x00", 2), EID_OK);
	assert_int_equal(eid_sod_parse(sod_buf.data, sod_buf.len, &sod), EID_OK);
	check_hashes(sod, EVP_sha256());
	eid_sod_free(sod);

	/* Without its end-of-contents the outer element is malformed. */
	assert_int_equal(eid_sod_parse(sod_buf.data, sod_buf.len - 2, &sod),
			 EID_EMALFORMED);

	CMS_ContentInfo_free(cms);
	BIO_free(in);
	BIO_free(out);
	ASN1_OBJECT_free(oid);
	eid_buf_free(&lds);
	eid_buf_free(&sod_buf);
}

/* A SignedData whose content type is plain id-data is no SOD. */
static void test_wrong_content_type(void **state)
{
	struct fixture *f = *state;
	eid_buf lds, w;
	BIO *in;
	CMS_ContentInfo *cms;
	unsigned char *der = NULL;
	int der_len;
	eid_sod *sod = NULL;

	eid_buf_init(&lds, 4096);
	eid_buf_init(&w, EID_SOD_MAX_LEN);
	assert_int_equal(eid_sod_encode_lds(pki_dgs, PKI_N_DGS, EVP_sha256(), &lds),
			 EID_OK);
	in = BIO_new_mem_buf(lds.data, (int)lds.len);
	cms = CMS_sign(f->dsc, f->dsc_key, NULL, in, CMS_BINARY);
	assert_non_null(cms);
	der_len = i2d_CMS_ContentInfo(cms, &der);
	assert_true(der_len > 0);
	assert_int_equal(eid_tlv_put(&w, 0x77, der, (size_t)der_len), EID_OK);
	assert_int_equal(eid_sod_parse(w.data, w.len, &sod), EID_EMALFORMED);
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	eid_buf_free(&lds);
	eid_buf_free(&w);
}

static void test_malformed(void **state)
{
	struct fixture *f = *state;
	eid_buf b;
	eid_sod *sod = NULL;
	uint8_t junk[64];

	eid_buf_init(&b, EID_SOD_MAX_LEN);
	assert_int_equal(eid_sod_build(pki_dgs, PKI_N_DGS, EVP_sha256(), f->dsc,
				       f->dsc_key, 0, &b), EID_OK);
	/* Every truncation fails cleanly. */
	for (size_t n = 0; n < b.len; n += 7)
		assert_int_not_equal(eid_sod_parse(b.data, n, &sod), EID_OK);
	b.data[0] = 0x78;
	assert_int_equal(eid_sod_parse(b.data, b.len, &sod), EID_EMALFORMED);
	memset(junk, 0x30, sizeof(junk));
	assert_int_not_equal(eid_sod_parse(junk, sizeof(junk), &sod), EID_OK);
	assert_null(sod);
	assert_int_equal(eid_sod_parse(NULL, 0, &sod), EID_EINVAL);
	assert_int_equal(eid_sod_parse(junk, EID_SOD_MAX_LEN + 1, &sod),
			 EID_ETOOBIG);
	eid_buf_free(&b);
}

static void test_encoder_arguments(void **state)
{
	struct eid_dg_bytes bad = { 17, pki_dg1, sizeof(pki_dg1) };
	struct eid_dg_bytes many[EID_SOD_MAX_DGS + 1];
	eid_buf b;

	eid_buf_init(&b, 4096);
	assert_int_equal(eid_sod_encode_lds(&bad, 1, EVP_sha256(), &b),
			 EID_EINVAL);
	bad.number = 0;
	assert_int_equal(eid_sod_encode_lds(&bad, 1, EVP_sha256(), &b),
			 EID_EINVAL);
	assert_int_equal(eid_sod_encode_lds(pki_dgs, PKI_N_DGS, EVP_md5(), &b),
			 EID_EINVAL);
	assert_int_equal(eid_sod_encode_lds(pki_dgs, 0, EVP_sha256(), &b),
			 EID_EINVAL);
	for (int i = 0; i <= EID_SOD_MAX_DGS; i++)
		many[i] = (struct eid_dg_bytes){ i + 1, pki_dg1, sizeof(pki_dg1) };
	assert_int_equal(eid_sod_encode_lds(many, EID_SOD_MAX_DGS + 1,
					    EVP_sha256(), &b), EID_EINVAL);
	assert_int_equal(b.len, 0);
	assert_int_equal(eid_sod_encode_lds(many, EID_SOD_MAX_DGS,
					    EVP_sha512(), &b), EID_OK);
	eid_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_and_parse),
		cmocka_unit_test(test_ber_indefinite),
		cmocka_unit_test(test_wrong_content_type),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_encoder_arguments),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
