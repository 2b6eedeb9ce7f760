#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/x509v3.h>

#include "crypto/error.h"
#include "crypto/keys.h"
#include "crypto/x509.h"

#define T0 1748736000ull /* 2025-06-01 */
#define DAY 86400ull
#define NAME "Nguy\xe1\xbb\x85n V\xc4\x83n An" /* Nguyễn Văn An */

struct fx {
	eid_key *ca_key, *ee_key;
	X509 *ca;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(eid_key_generate(EID_ALG_ES256, &f->ca_key), EID_OK);
	assert_int_equal(eid_key_generate(EID_ALG_ES256, &f->ee_key), EID_OK);
	assert_int_equal(eid_x509_ca_new(eid_key_pkey(f->ca_key),
					 "C=VN, O=eid, CN=Test CA", T0,
					 T0 + 3650 * DAY, &f->ca),
			 EID_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	X509_free(f->ca);
	eid_key_free(f->ca_key);
	eid_key_free(f->ee_key);
	free(f);
	return 0;
}

static void test_name_parse(void **state)
{
	X509_NAME *n = NULL;
	char cn[64];
	eid_buf text;

	assert_int_equal(eid_x509_name_parse(" C=VN ,O=eid, CN=" NAME, &n), EID_OK);
	assert_int_equal(X509_NAME_entry_count(n), 3);
	assert_int_equal(eid_x509_name_attr(n, NID_commonName, cn, sizeof(cn)),
			 EID_OK);
	assert_string_equal(cn, NAME);
	eid_buf_init(&text, 256);
	assert_int_equal(eid_x509_name_text(n, &text), EID_OK);
	assert_string_equal(eid_buf_cstr(&text), "C=VN, O=eid, CN=" NAME);
	eid_buf_free(&text);
	X509_NAME_free(n);
	n = NULL;
	assert_int_equal(eid_x509_name_parse("", &n), EID_EMALFORMED);
	assert_int_equal(eid_x509_name_parse("C=VN,", &n), EID_EMALFORMED);
	assert_int_equal(eid_x509_name_parse("CN", &n), EID_EMALFORMED);
	assert_int_equal(eid_x509_name_parse("XX=1", &n), EID_EMALFORMED);
	assert_int_equal(eid_x509_name_parse("CN=a=b", &n), EID_EMALFORMED);
	assert_int_equal(eid_x509_name_parse("CN=a\\,b", &n), EID_EMALFORMED);
	assert_int_equal(eid_x509_name_parse("C=VNM", &n), EID_EMALFORMED);
	assert_null(n);
}

static void test_ca_cert(void **state)
{
	struct fx *f = *state;
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(f->ca);
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(f->ca);
	BASIC_CONSTRAINTS *bc;
	uint64_t nb, na;
	uint8_t serial[20];
	size_t slen;
	int crit = -1;

	assert_int_equal(X509_get_version(f->ca), X509_VERSION_3);
	assert_int_equal(X509_verify(f->ca, eid_key_pkey(f->ca_key)), 1);
	bc = X509_get_ext_d2i(f->ca, NID_basic_constraints, &crit, NULL);
	assert_non_null(bc);
	assert_int_equal(crit, 1);
	assert_true(bc->ca);
	assert_int_equal(ASN1_INTEGER_get(bc->pathlen), 0);
	BASIC_CONSTRAINTS_free(bc);
	assert_int_equal(X509_get_key_usage(f->ca), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_int_equal(X509_get_ext_by_critical(f->ca, 1, -1) >= 0, 1);
	assert_non_null(ski);
	assert_non_null(aki);
	assert_int_equal(ASN1_OCTET_STRING_cmp(ski, aki), 0);
	assert_int_equal(eid_x509_validity(f->ca, &nb, &na), EID_OK);
	assert_int_equal(nb, T0);
	assert_int_equal(na, T0 + 3650 * DAY);
	assert_int_equal(eid_x509_serial_bytes(X509_get0_serialNumber(f->ca),
					       serial, &slen), EID_OK);
	assert_int_equal(slen, EID_X509_SERIAL_LEN);
	assert_int_equal(serial[0] & 0xc0, 0x40);
	assert_int_equal(X509_check_ca(f->ca), 1);
}

static X509 *citizen(struct fx *f, const char *id, const char *name,
		     uint64_t nb, uint64_t na, int expect)
{
	struct eid_x509_citizen c = { id, name, "https://id.example.vn/", nb, na };
	X509 *x = NULL;

	assert_int_equal(eid_x509_citizen_new(f->ca, eid_key_pkey(f->ca_key),
					      eid_key_pkey(f->ee_key), &c, &x),
			 expect);
	return x;
}

static const char *uri_of(GENERAL_NAME *gn)
{
	assert_int_equal(gn->type, GEN_URI);
	return (const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier);
}

static void test_citizen_cert(void **state)
{
	struct fx *f = *state;
	X509 *x = citizen(f, "001099012345", NAME, T0, T0 + 30 * DAY, EID_OK);
	X509_NAME *subj = X509_get_subject_name(x);
	CRL_DIST_POINTS *cdp;
	AUTHORITY_INFO_ACCESS *aia;
	ACCESS_DESCRIPTION *ad;
	char v[80];
	int crit = -1;

	assert_int_equal(X509_verify(x, eid_key_pkey(f->ca_key)), 1);
	assert_int_equal(X509_NAME_entry_count(subj), 3);
	assert_int_equal(OBJ_obj2nid(X509_NAME_ENTRY_get_object(
				 X509_NAME_get_entry(subj, 0))), NID_countryName);
	assert_int_equal(eid_x509_name_attr(subj, NID_commonName, v, sizeof(v)), EID_OK);
	assert_string_equal(v, NAME);
	assert_int_equal(ASN1_STRING_type(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(
				 subj, X509_NAME_get_index_by_NID(subj, NID_commonName, -1)))),
			 V_ASN1_UTF8STRING);
	assert_int_equal(eid_x509_name_attr(subj, NID_serialNumber, v, sizeof(v)), EID_OK);
	assert_string_equal(v, "001099012345");
	OBJ_obj2txt(v, sizeof(v), X509_NAME_ENTRY_get_object(X509_NAME_get_entry(subj, 2)), 1);
	assert_string_equal(v, "2.5.4.5");
	assert_int_equal(ASN1_STRING_type(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, 2))),
			 V_ASN1_PRINTABLESTRING);
	assert_int_equal(X509_get_key_usage(x),
			 KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION);
	assert_int_equal(X509_get_ext_by_NID(x, NID_ext_key_usage, -1), -1);
	ASN1_BIT_STRING_free(X509_get_ext_d2i(x, NID_key_usage, &crit, NULL));
	assert_int_equal(crit, 1);
	assert_int_equal(X509_check_ca(x), 0);
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x),
					       X509_get0_subject_key_id(f->ca)), 0);
	cdp = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	assert_non_null(cdp);
	assert_string_equal(uri_of(sk_GENERAL_NAME_value(
				    sk_DIST_POINT_value(cdp, 0)->distpoint->name.fullname, 0)),
			    "https://id.example.vn/ca/crl");
	CRL_DIST_POINTS_free(cdp);
	aia = X509_get_ext_d2i(x, NID_info_access, NULL, NULL);
	assert_non_null(aia);
	ad = sk_ACCESS_DESCRIPTION_value(aia, 0);
	assert_int_equal(OBJ_obj2nid(ad->method), NID_ad_OCSP);
	assert_string_equal(uri_of(ad->location), "https://id.example.vn/ca/ocsp");
	AUTHORITY_INFO_ACCESS_free(aia);
	X509_free(x);
}

static void test_citizen_refused(void **state)
{
	struct fx *f = *state;
	char long_name[200];
	uint64_t nb, na;
	X509 *x;

	citizen(f, "00109901234", NAME, T0, T0 + DAY, EID_EINVAL);
	citizen(f, "00109901234a", NAME, T0, T0 + DAY, EID_EINVAL);
	citizen(f, "001099012345", "", T0, T0 + DAY, EID_EINVAL);
	citizen(f, "001099012345", "Nguy\xe1\xbb", T0, T0 + DAY, EID_EMALFORMED);
	memset(long_name, 'a', 65);
	long_name[65] = '\0';
	citizen(f, "001099012345", long_name, T0, T0 + DAY, EID_ETOOBIG);
	long_name[64] = '\0';
	X509_free(citizen(f, "001099012345", long_name, T0, T0 + DAY, EID_OK));
	citizen(f, "001099012345", NAME, T0 - 1, T0 + DAY, EID_EINVAL);
	citizen(f, "001099012345", NAME, T0 + DAY, T0 + DAY, EID_EINVAL);
	/* Capped at the CA's notAfter. */
	x = citizen(f, "001099012345", NAME, T0, T0 + 9999 * DAY, EID_OK);
	assert_int_equal(eid_x509_validity(x, &nb, &na), EID_OK);
	assert_int_equal(na, T0 + 3650 * DAY);
	X509_free(x);
	{
		struct eid_x509_citizen c = { "001099012345", NAME,
					      "ftp://x", T0, T0 + DAY };
		assert_int_equal(eid_x509_citizen_new(f->ca, eid_key_pkey(f->ca_key),
						      eid_key_pkey(f->ee_key), &c, &x),
				 EID_EINVAL);
		c.base_url = "https://a b";
		assert_int_equal(eid_x509_citizen_new(f->ca, eid_key_pkey(f->ca_key),
						      eid_key_pkey(f->ee_key), &c, &x),
				 EID_EINVAL);
	}
}

static void test_crl(void **state)
{
	struct fx *f = *state;
	struct eid_x509_revoked rv[2] = {
		{ { 0x41, 0x02 }, 2, T0 + 10, EID_CRL_KEY_COMPROMISE },
		{ { 0x40, 0x01 }, 2, T0 + 20, EID_CRL_UNSPECIFIED },
	};
	X509_CRL *crl = NULL, *back = NULL;
	X509_REVOKED *e;
	ASN1_INTEGER *num;
	ASN1_ENUMERATED *reason;
	eid_buf der;
	const unsigned char *p;
	uint64_t t;

	assert_int_equal(eid_x509_crl_new(f->ca, eid_key_pkey(f->ca_key), rv, 2,
					  7, T0 + 100, T0 + 100 + DAY, &crl),
			 EID_OK);
	eid_buf_init(&der, EID_X509_MAX);
	assert_int_equal(eid_x509_crl_der(crl, &der), EID_OK);
	p = der.data;
	back = d2i_X509_CRL(NULL, &p, (long)der.len);
	assert_non_null(back);
	assert_int_equal(X509_CRL_verify(back, eid_key_pkey(f->ca_key)), 1);
	assert_int_equal(X509_CRL_get_version(back), X509_CRL_VERSION_2);
	num = X509_CRL_get_ext_d2i(back, NID_crl_number, NULL, NULL);
	assert_int_equal(ASN1_INTEGER_get(num), 7);
	ASN1_INTEGER_free(num);
	assert_int_equal(X509_CRL_get_ext_by_NID(back, NID_authority_key_identifier, -1) >= 0, 1);
	assert_int_equal(eid_x509_time(X509_CRL_get0_nextUpdate(back), &t), EID_OK);
	assert_int_equal(t, T0 + 100 + DAY);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(back)), 2);
	/* Sorted by serial: 0x4001 first, without a reason code. */
	e = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(back), 0);
	assert_int_equal(ASN1_INTEGER_get(X509_REVOKED_get0_serialNumber(e)), 0x4001);
	assert_null(X509_REVOKED_get_ext_d2i(e, NID_crl_reason, NULL, NULL));
	e = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(back), 1);
	reason = X509_REVOKED_get_ext_d2i(e, NID_crl_reason, NULL, NULL);
	assert_int_equal(ASN1_ENUMERATED_get(reason), 1);
	ASN1_ENUMERATED_free(reason);
	assert_int_equal(eid_x509_time(X509_REVOKED_get0_revocationDate(e), &t), EID_OK);
	assert_int_equal(t, T0 + 10);
	assert_int_equal(eid_x509_crl_new(f->ca, eid_key_pkey(f->ca_key), rv, 2,
					  7, T0, T0, &crl), EID_EINVAL);
	eid_buf_free(&der);
	X509_CRL_free(crl);
	X509_CRL_free(back);
}

static void test_encodings(void **state)
{
	struct fx *f = *state;
	eid_buf b;
	X509 *x = NULL;
	char hex[EID_X509_SERIAL_HEX_MAX];
	enum eid_crl_reason reason;

	eid_buf_init(&b, EID_X509_MAX);
	assert_int_equal(eid_x509_der(f->ca, &b), EID_OK);
	assert_int_equal(eid_x509_from_der(b.data, b.len - 1, &x), EID_EMALFORMED);
	assert_int_equal(eid_buf_put_u8(&b, 0), EID_OK);
	assert_int_equal(eid_x509_from_der(b.data, b.len, &x), EID_EMALFORMED);
	assert_int_equal(eid_x509_from_der(b.data, b.len - 1, &x), EID_OK);
	assert_int_equal(X509_cmp(x, f->ca), 0);
	X509_free(x);
	eid_buf_reset(&b);
	assert_int_equal(eid_x509_pem(f->ca, &b), EID_OK);
	assert_int_equal(eid_x509_from_pem((const char *)b.data, b.len, &x), EID_OK);
	assert_int_equal(X509_cmp(x, f->ca), 0);
	X509_free(x);
	assert_int_equal(eid_x509_from_pem("junk", 4, &x), EID_EMALFORMED);
	assert_int_equal(eid_x509_serial_hex(X509_get0_serialNumber(f->ca), hex), EID_OK);
	assert_int_equal(strlen(hex), 32);
	assert_int_equal(eid_crl_reason_from_name("keyCompromise", &reason), EID_OK);
	assert_int_equal(reason, EID_CRL_KEY_COMPROMISE);
	assert_string_equal(eid_crl_reason_name(EID_CRL_SUPERSEDED), "superseded");
	assert_int_equal(eid_crl_reason_from_name("nope", &reason), EID_EINVAL);
	assert_null(eid_crl_reason_name(7));
	eid_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_parse),
		cmocka_unit_test(test_ca_cert),
		cmocka_unit_test(test_citizen_cert),
		cmocka_unit_test(test_citizen_refused),
		cmocka_unit_test(test_crl),
		cmocka_unit_test(test_encodings),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
