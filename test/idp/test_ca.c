#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pem.h>

#include "crypto/error.h"
#include "idp/accounts.h"
#include "idp/audit.h"
#include "idp/ca.h"
#include "tmpstore.h"

#define NOW ((uint64_t)TMPSTORE_NOW)
#define DAY 86400ull
#define URL "https://id.example.vn"
#define NAME "Nguy\xe1\xbb\x85n V\xc4\x83n An" /* Nguyễn Văn An */
#define PID "001099012345"

static const uint8_t kek[32] = { 1, 2, 3 };
static const uint8_t wrong_kek[32] = { 3, 2, 1 };

static void citizen(struct eid_citizen *c, int exp_y, int exp_m, int exp_d)
{
	eid_citizen_init(c);
	strcpy(c->personal_id, PID);
	strcpy(c->full_name, NAME);
	c->card_expires = (struct eid_date){ exp_y, exp_m, exp_d };
}

static eid_ca *init_load(eid_store *s)
{
	eid_ca *ca = NULL;

	assert_int_equal(eid_ca_init(s, kek, EID_ALG_ES256,
				     EID_CA_DEFAULT_SUBJECT, 3650), EID_OK);
	assert_int_equal(eid_ca_load(s, kek, URL, &ca), EID_OK);
	return ca;
}

static void test_init_load(void **state)
{
	struct tmpstore *ts = *state;
	eid_ca *ca = init_load(ts->store), *pub = NULL, *other = NULL;
	uint64_t nb, na;
	eid_buf text;

	assert_int_equal(eid_x509_validity(eid_ca_cert(ca), &nb, &na), EID_OK);
	assert_int_equal(nb, NOW);
	assert_int_equal(na, NOW + 3650 * DAY);
	eid_buf_init(&text, 512);
	assert_int_equal(eid_x509_name_text(X509_get_subject_name(eid_ca_cert(ca)),
					    &text), EID_OK);
	assert_string_equal(eid_buf_cstr(&text), EID_CA_DEFAULT_SUBJECT);
	eid_buf_free(&text);
	/* Never overwritten. */
	assert_int_equal(eid_ca_init(ts->store, kek, EID_ALG_ES256, "CN=x", 10),
			 EID_EEXIST);
	assert_int_equal(eid_ca_load(ts->store, wrong_kek, URL, &other), EID_EVERIFY);
	assert_null(other);
	assert_int_equal(eid_ca_load_public(ts->store, &pub), EID_OK);
	assert_int_equal(X509_cmp(eid_ca_cert(pub), eid_ca_cert(ca)), 0);
	assert_null(eid_ca_pkey(pub));
	assert_non_null(eid_ca_pkey(ca));
	eid_ca_free(pub);
	eid_ca_free(ca);
}

static void test_init_refused(void **state)
{
	struct tmpstore *ts = *state;
	eid_ca *ca = NULL;

	assert_int_equal(eid_ca_load(ts->store, kek, URL, &ca), EID_ENOTFOUND);
	assert_int_equal(eid_ca_init(ts->store, kek, EID_ALG_PS256, "CN=x", 10),
			 EID_EUNSUPPORTED);
	assert_int_equal(eid_ca_init(ts->store, kek, EID_ALG_ES256, "CN=x", 0),
			 EID_EINVAL);
	assert_int_equal(eid_ca_init(ts->store, kek, EID_ALG_ES256, "CN", 10),
			 EID_EMALFORMED);
	assert_int_equal(eid_ca_load(ts->store, kek, URL, &ca), EID_ENOTFOUND);
}

static void test_rsa_ca(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_citizen c;
	eid_citizen_cert *cc = NULL;
	eid_ca *ca = NULL;

	assert_int_equal(eid_ca_init(ts->store, kek, EID_ALG_RS256, "C=VN, CN=RSA CA",
				     365), EID_OK);
	assert_int_equal(eid_ca_load(ts->store, kek, URL, &ca), EID_OK);
	assert_int_equal(EVP_PKEY_get_bits(eid_ca_pkey(ca)), 3072);
	citizen(&c, 2040, 1, 1);
	assert_int_equal(eid_citizen_cert_ensure(ts->store, kek, ca, &c, NOW, &cc), EID_OK);
	assert_int_equal(X509_verify(eid_citizen_cert_x509(cc), eid_ca_pkey(ca)), 1);
	assert_int_equal(X509_get_signature_nid(eid_citizen_cert_x509(cc)),
			 NID_sha256WithRSAEncryption);
	eid_citizen_cert_free(cc);
	eid_ca_free(ca);
}

/* PEM of a certificate and a key into two strings. */
static void pem_pair(X509 *x, EVP_PKEY *k, char **cert, char **key)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	n = BIO_get_mem_data(b, &p);
	*cert = strndup(p, (size_t)n);
	BIO_free(b);
	b = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
	n = BIO_get_mem_data(b, &p);
	*key = strndup(p, (size_t)n);
	BIO_free(b);
}

static void test_import(void **state)
{
	struct tmpstore *ts = *state;
	eid_key *k = NULL, *k2 = NULL;
	X509 *x = NULL;
	eid_ca *ca = NULL;
	char *cert, *key, *cert2, *key2;

	assert_int_equal(eid_key_generate(EID_ALG_ES256, &k), EID_OK);
	assert_int_equal(eid_key_generate(EID_ALG_ES256, &k2), EID_OK);
	assert_int_equal(eid_x509_ca_new(eid_key_pkey(k), "C=VN, CN=Imported",
					 NOW - DAY, NOW + 100 * DAY, &x), EID_OK);
	pem_pair(x, eid_key_pkey(k), &cert, &key);
	pem_pair(x, eid_key_pkey(k2), &cert2, &key2);
	assert_int_equal(eid_ca_import(ts->store, kek, cert, strlen(cert), key2,
				       strlen(key2)), EID_EMISMATCH);
	assert_int_equal(eid_ca_import(ts->store, kek, "x", 1, key, strlen(key)),
			 EID_EMALFORMED);
	assert_int_equal(eid_ca_import(ts->store, kek, cert, strlen(cert), key,
				       strlen(key)), EID_OK);
	assert_int_equal(eid_ca_import(ts->store, kek, cert, strlen(cert), key,
				       strlen(key)), EID_EEXIST);
	assert_int_equal(eid_ca_load(ts->store, kek, URL, &ca), EID_OK);
	assert_int_equal(X509_cmp(eid_ca_cert(ca), x), 0);
	assert_int_equal(EVP_PKEY_eq(eid_ca_pkey(ca), eid_key_pkey(k)), 1);
	eid_ca_free(ca);
	free(cert);
	free(key);
	free(cert2);
	free(key2);
	X509_free(x);
	eid_key_free(k);
	eid_key_free(k2);
}

static void test_import_not_ca(void **state)
{
	struct tmpstore *ts = *state;
	eid_ca *ca = init_load(ts->store);
	struct tmpstore other;
	struct eid_citizen c;
	eid_citizen_cert *cc = NULL;
	char *cert, *key;

	citizen(&c, 2040, 1, 1);
	assert_int_equal(eid_citizen_cert_ensure(ts->store, kek, ca, &c, NOW, &cc), EID_OK);
	pem_pair(eid_citizen_cert_x509(cc), eid_citizen_cert_pkey(cc), &cert, &key);
	tmpstore_open(&other, NULL);
	assert_int_equal(eid_ca_import(other.store, kek, cert, strlen(cert), key,
				       strlen(key)), EID_EINVAL);
	tmpstore_close(&other);
	free(cert);
	free(key);
	eid_citizen_cert_free(cc);
	eid_ca_free(ca);
}

static void test_citizen_cert(void **state)
{
	struct tmpstore *ts = *state;
	eid_ca *ca = init_load(ts->store);
	eid_citizen_cert *cc = NULL, *again = NULL;
	struct eid_citizen c;
	struct eid_cert_status st;
	X509_NAME *subj;
	uint8_t serial[20];
	size_t slen;
	uint64_t nb, na;
	char v[80];

	citizen(&c, 2026, 1, 15);
	assert_int_equal(eid_citizen_cert_ensure(ts->store, kek, ca, &c, NOW, &cc), EID_OK);
	assert_true(eid_citizen_cert_created(cc));
	subj = X509_get_subject_name(eid_citizen_cert_x509(cc));
	assert_int_equal(eid_x509_name_attr(subj, NID_serialNumber, v, sizeof(v)), EID_OK);
	assert_string_equal(v, PID);
	assert_int_equal(eid_x509_name_attr(subj, NID_commonName, v, sizeof(v)), EID_OK);
	assert_string_equal(v, NAME);
	assert_int_equal(eid_x509_name_attr(subj, NID_countryName, v, sizeof(v)), EID_OK);
	assert_string_equal(v, "VN");
	/* Capped by the card: the end of 2026-01-15 in Vietnam (UTC+7). */
	assert_int_equal(eid_x509_validity(eid_citizen_cert_x509(cc), &nb, &na), EID_OK);
	assert_int_equal(nb, NOW);
	assert_int_equal(na, 1768496399ull); /* 2026-01-15T16:59:59Z */
	assert_true(EVP_PKEY_is_a(eid_citizen_cert_pkey(cc), "EC"));
	assert_int_equal(X509_check_private_key(eid_citizen_cert_x509(cc),
						eid_citizen_cert_pkey(cc)), 1);
	/* Reused. */
	assert_int_equal(eid_citizen_cert_ensure(ts->store, kek, ca, &c, NOW + 10, &again),
			 EID_OK);
	assert_false(eid_citizen_cert_created(again));
	assert_string_equal(eid_citizen_cert_serial(again), eid_citizen_cert_serial(cc));
	assert_int_equal(EVP_PKEY_eq(eid_citizen_cert_pkey(again),
				     eid_citizen_cert_pkey(cc)), 1);
	assert_int_equal(eid_x509_serial_bytes(X509_get0_serialNumber(
			eid_citizen_cert_x509(cc)), serial, &slen), EID_OK);
	assert_int_equal(eid_ca_cert_status(ts->store, serial, slen, &st), EID_OK);
	assert_false(st.revoked);
	assert_string_equal(st.personal_id, PID);
	assert_int_equal(st.not_after, na);
	serial[0] ^= 1;
	assert_int_equal(eid_ca_cert_status(ts->store, serial, slen, &st), EID_ENOTFOUND);
	eid_citizen_cert_free(again);
	/* Wrong KEK: the citizen key does not open. */
	assert_int_equal(eid_citizen_cert_ensure(ts->store, wrong_kek, ca, &c, NOW, &again),
			 EID_EVERIFY);
	/* Past its end: a new key and certificate (the card was renewed). */
	citizen(&c, 2040, 1, 1);
	assert_int_equal(eid_citizen_cert_ensure(ts->store, kek, ca, &c, na, &again), EID_OK);
	assert_true(eid_citizen_cert_created(again));
	assert_string_not_equal(eid_citizen_cert_serial(again), eid_citizen_cert_serial(cc));
	assert_int_equal(eid_x509_validity(eid_citizen_cert_x509(again), &nb, &na), EID_OK);
	assert_int_equal(na - nb, EID_CITIZEN_CERT_DAYS * DAY);
	eid_citizen_cert_free(again);
	eid_citizen_cert_free(cc);
	eid_ca_free(ca);
}

static void test_citizen_refused(void **state)
{
	struct tmpstore *ts = *state;
	eid_ca *ca = init_load(ts->store), *pub = NULL, *nourl = NULL;
	eid_citizen_cert *cc = NULL;
	struct eid_citizen c;

	citizen(&c, 2025, 5, 31);
	assert_int_equal(eid_citizen_cert_ensure(ts->store, kek, ca, &c, NOW, &cc),
			 EID_EEXPIRED);
	citizen(&c, 2030, 1, 1);
	c.card_status = EID_CARD_REVOKED;
	assert_int_equal(eid_citizen_cert_ensure(ts->store, kek, ca, &c, NOW, &cc),
			 EID_EPERM);
	citizen(&c, 2030, 1, 1);
	assert_int_equal(eid_ca_load_public(ts->store, &pub), EID_OK);
	assert_int_equal(eid_citizen_cert_ensure(ts->store, kek, pub, &c, NOW, &cc),
			 EID_ESTATE);
	assert_int_equal(eid_ca_load(ts->store, kek, NULL, &nourl), EID_OK);
	assert_int_equal(eid_citizen_cert_ensure(ts->store, kek, nourl, &c, NOW, &cc),
			 EID_ESTATE);
	/* After the CA's own end. */
	assert_int_equal(eid_citizen_cert_ensure(ts->store, kek, ca, &c,
						 NOW + 3651 * DAY, &cc), EID_EEXPIRED);
	/* No card expiry (citizens past 60): two years. */
	citizen(&c, 0, 0, 0);
	assert_int_equal(eid_citizen_cert_ensure(ts->store, kek, ca, &c, NOW, &cc), EID_OK);
	assert_null(NULL);
	eid_citizen_cert_free(cc);
	eid_ca_free(nourl);
	eid_ca_free(pub);
	eid_ca_free(ca);
}

static void status_of(eid_store *s, const eid_citizen_cert *cc,
		      struct eid_cert_status *st)
{
	uint8_t serial[20];
	size_t slen;

	assert_int_equal(eid_x509_serial_bytes(X509_get0_serialNumber(
			eid_citizen_cert_x509(cc)), serial, &slen), EID_OK);
	assert_int_equal(eid_ca_cert_status(s, serial, slen, st), EID_OK);
}

static int crl_count(eid_store *s, eid_ca *ca, uint64_t now, long *ret_number)
{
	eid_buf der;
	const unsigned char *p;
	X509_CRL *crl;
	ASN1_INTEGER *num;
	int n;

	eid_buf_init(&der, EID_X509_MAX);
	assert_int_equal(eid_ca_crl(s, ca, now, now + DAY, &der), EID_OK);
	p = der.data;
	crl = d2i_X509_CRL(NULL, &p, (long)der.len);
	assert_non_null(crl);
	assert_int_equal(X509_CRL_verify(crl, eid_ca_pkey(ca)), 1);
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	*ret_number = ASN1_INTEGER_get(num);
	ASN1_INTEGER_free(num);
	n = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl));
	X509_CRL_free(crl);
	eid_buf_free(&der);
	return n < 0 ? 0 : n;
}

static void test_revoke_and_crl(void **state)
{
	struct tmpstore *ts = *state;
	eid_ca *ca = init_load(ts->store);
	eid_citizen_cert *cc = NULL, *next = NULL, *renamed = NULL;
	struct eid_cert_status st;
	struct eid_citizen c;
	long number;
	uint64_t count, bad;
	eid_txn *t;

	assert_int_equal(crl_count(ts->store, ca, NOW, &number), 0);
	assert_int_equal(number, 1);
	assert_int_equal(eid_citizen_cert_revoke(ts->store, PID, EID_CRL_KEY_COMPROMISE,
						 NOW), EID_ENOTFOUND);
	citizen(&c, 2040, 1, 1);
	assert_int_equal(eid_citizen_cert_ensure(ts->store, kek, ca, &c, NOW, &cc), EID_OK);
	assert_int_equal(eid_citizen_cert_revoke(ts->store, PID, EID_CRL_KEY_COMPROMISE,
						 NOW + 60), EID_OK);
	status_of(ts->store, cc, &st);
	assert_true(st.revoked);
	assert_int_equal(st.revoked_at, NOW + 60);
	assert_int_equal(st.reason, EID_CRL_KEY_COMPROMISE);
	assert_int_equal(eid_citizen_cert_revoke(ts->store, PID, EID_CRL_KEY_COMPROMISE,
						 NOW), EID_ENOTFOUND);
	/* A revoked key never signs again: the next use gets a new one. */
	assert_int_equal(eid_citizen_cert_ensure(ts->store, kek, ca, &c, NOW + 120, &next),
			 EID_OK);
	assert_true(eid_citizen_cert_created(next));
	assert_int_equal(EVP_PKEY_eq(eid_citizen_cert_pkey(next),
				     eid_citizen_cert_pkey(cc)), 0);
	/* A new name supersedes the certificate in the old one. */
	strcpy(c.full_name, "Nguy\xe1\xbb\x85n Th\xe1\xbb\x8b B\xc3\xacnh");
	assert_int_equal(eid_citizen_cert_ensure(ts->store, kek, ca, &c, NOW + 180, &renamed),
			 EID_OK);
	assert_true(eid_citizen_cert_created(renamed));
	status_of(ts->store, next, &st);
	assert_true(st.revoked);
	assert_int_equal(st.reason, EID_CRL_SUPERSEDED);
	assert_int_equal(crl_count(ts->store, ca, NOW + 200, &number), 2);
	assert_int_equal(number, 2);
	assert_int_equal(eid_citizen_cert_revoke(ts->store, "123", EID_CRL_UNSPECIFIED, NOW),
			 EID_EINVAL);
	/* Every issue and revocation is in the audit chain. */
	assert_int_equal(eid_store_begin(ts->store, false, &t), EID_OK);
	assert_int_equal(eid_audit_verify(t, &count, &bad, NULL), EID_OK);
	assert_int_equal(count, 1 + 3 + 2); /* init, issues, revocations */
	eid_txn_abort(t);
	eid_citizen_cert_free(cc);
	eid_citizen_cert_free(next);
	eid_citizen_cert_free(renamed);
	eid_ca_free(ca);
}

/* A lock or revocation ends the certificate too (the accounts module's
 * hook), as cessationOfOperation; a citizen who never signed is fine. */
static void test_account_end_revokes(void **state)
{
	struct tmpstore *ts = *state;
	eid_ca *ca = init_load(ts->store);
	eid_citizen_cert *cc = NULL;
	struct eid_cert_status st;
	struct eid_citizen c;

	assert_int_equal(eid_account_end_everything(ts->store, PID, NOW), EID_OK);
	citizen(&c, 2040, 1, 1);
	assert_int_equal(eid_citizen_cert_ensure(ts->store, kek, ca, &c, NOW, &cc), EID_OK);
	assert_int_equal(eid_account_end_everything(ts->store, PID, NOW + 5), EID_OK);
	status_of(ts->store, cc, &st);
	assert_true(st.revoked);
	assert_int_equal(st.revoked_at, NOW + 5);
	assert_int_equal(st.reason, EID_CRL_CESSATION_OF_OPERATION);
	eid_citizen_cert_free(cc);
	eid_ca_free(ca);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tmpstore_setup, tmpstore_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_load),
		T(test_init_refused),
		T(test_rsa_ca),
		T(test_import),
		T(test_import_not_ca),
		T(test_citizen_cert),
		T(test_citizen_refused),
		T(test_revoke_and_crl),
		T(test_account_end_revokes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
