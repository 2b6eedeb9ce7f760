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

#include "chip/pa.h"
#include "chip/signeddata.h"
#include "chip/tlv.h"
#include "crypto/error.h"
#include "pki.h"

/* One CSCA with an RSA key (and a second, unrelated one), and DSCs with
 * each kind of key a country may use. */
struct fixture {
	EVP_PKEY *csca_key, *other_key, *rsa_key, *p256_key, *bp_key;
	X509 *csca, *other, *dsc_rsa, *dsc_p256, *dsc_bp;
	time_t now;
	char tmp[64];
};


static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	f->now = time(NULL);
	f->csca_key = pki_key("rsa2048");
	f->other_key = pki_key("p256");
	f->rsa_key = pki_key("rsa2048");
	f->p256_key = pki_key("p256");
	f->bp_key = pki_key("brainpool-explicit");
	f->csca = pki_cert("CSCA VN", f->csca_key, NULL, NULL, -100, 3650, 1,
			   true);
	f->other = pki_cert("CSCA other", f->other_key, NULL, NULL, -100, 3650,
			    1, true);
	f->dsc_rsa = pki_cert("DSC RSA", f->rsa_key, f->csca, f->csca_key, -1,
			      365, 10, false);
	f->dsc_p256 = pki_cert("DSC P-256", f->p256_key, f->csca, f->csca_key,
			       -1, 365, 11, false);
	f->dsc_bp = pki_cert("DSC brainpool", f->bp_key, f->csca, f->csca_key,
			     -1, 365, 12, false);
	snprintf(f->tmp, sizeof(f->tmp), "/tmp/eid-test-pa-XXXXXX");
	*state = f;
	return f->dsc_bp != NULL && f->dsc_p256 != NULL && f->dsc_rsa != NULL &&
			       mkdtemp(f->tmp) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->tmp);
	X509_free(f->csca);
	X509_free(f->other);
	X509_free(f->dsc_rsa);
	X509_free(f->dsc_p256);
	X509_free(f->dsc_bp);
	EVP_PKEY_free(f->csca_key);
	EVP_PKEY_free(f->other_key);
	EVP_PKEY_free(f->rsa_key);
	EVP_PKEY_free(f->p256_key);
	EVP_PKEY_free(f->bp_key);
	free(f);
	return 0;
}

static eid_csca_store *store_with(X509 *csca, X509_CRL *crl)
{
	eid_csca_store *s = NULL;
	unsigned char *der = NULL;
	size_t n;

	assert_int_equal(eid_csca_store_new(&s), EID_OK);
	n = pki_cert_der(csca, &der);
	assert_int_equal(eid_csca_store_add_der(s, der, n), EID_OK);
	OPENSSL_free(der);
	if (crl != NULL) {
		n = pki_crl_der(crl, &der);
		assert_int_equal(eid_csca_store_add_crl(s, der, n), EID_OK);
		OPENSSL_free(der);
	}
	return s;
}

static eid_sod *sod_by(X509 *dsc, EVP_PKEY *key, const EVP_MD *md,
		       unsigned flags)
{
	eid_sod *sod = NULL;
	eid_buf b;

	eid_buf_init(&b, EID_SOD_MAX_LEN);
	assert_int_equal(eid_sod_build(pki_dgs, PKI_N_DGS, md, dsc, key, flags, &b),
			 EID_OK);
	assert_int_equal(eid_sod_parse(b.data, b.len, &sod), EID_OK);
	eid_buf_free(&b);
	return sod;
}

static void assert_all_valid(const struct eid_pa_report *rep)
{
	assert_int_equal(rep->overall, EID_PA_VALID);
	assert_int_equal(rep->signature, EID_PA_VALID);
	assert_int_equal(rep->chain, EID_PA_VALID);
	assert_int_equal(rep->dg_hashes, EID_PA_VALID);
	assert_int_equal(rep->n_dgs, PKI_N_DGS);
	for (size_t i = 0; i < rep->n_dgs; i++)
		assert_int_equal(rep->dgs[i].verdict, EID_PA_DG_VALID);
}

static void test_valid_every_algorithm(void **state)
{
	struct fixture *f = *state;
	struct {
		X509 *dsc;
		EVP_PKEY *key;
		const EVP_MD *md;
		unsigned flags;
	} cases[] = {
		{ f->dsc_rsa, f->rsa_key, EVP_sha256(), 0 },
		{ f->dsc_rsa, f->rsa_key, EVP_sha256(), EID_SOD_SIGN_PSS },
		{ f->dsc_rsa, f->rsa_key, EVP_sha512(), EID_SOD_SIGN_PSS },
		{ f->dsc_p256, f->p256_key, EVP_sha256(), 0 },
		{ f->dsc_p256, f->p256_key, EVP_sha1(), 0 },
		{ f->dsc_bp, f->bp_key, EVP_sha256(), 0 },
		{ f->dsc_bp, f->bp_key, EVP_sha384(), 0 },
	};
	eid_csca_store *s = store_with(f->csca, NULL);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		eid_sod *sod = sod_by(cases[i].dsc, cases[i].key, cases[i].md,
				      cases[i].flags);
		struct eid_pa_report rep;
		int rc = eid_pa_verify(s, sod, pki_dgs, PKI_N_DGS, f->now, &rep);

		if (rc != EID_OK)
			fprintf(stderr, "case %zu: %s|%s|%s|%s\n", i,
				rep.signature_reason, rep.chain_reason,
				rep.crl_reason, rep.dg_reason);
		assert_int_equal(rc, EID_OK);
		assert_all_valid(&rep);
		assert_int_equal(rep.crl, EID_PA_NOT_CHECKED);
		assert_non_null(strstr(rep.dsc_subject, "CN=DSC"));
		assert_non_null(strstr(rep.dsc_issuer, "CN=CSCA VN"));
		assert_string_equal(rep.signature_reason, "");
		eid_sod_free(sod);
	}
	eid_csca_store_free(s);
}

/* The brainpool DSC really carries explicit curve parameters. */
static void test_brainpool_dsc_is_explicit(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *pub = X509_get0_pubkey(f->dsc_bp);
	char enc[32];

	assert_true(EVP_PKEY_get_utf8_string_param(
		pub, "encoding", enc, sizeof(enc), NULL));
	assert_string_equal(enc, "explicit");
}

static void test_altered_dg(void **state)
{
	struct fixture *f = *state;
	eid_csca_store *s = store_with(f->csca, NULL);
	eid_sod *sod = sod_by(f->dsc_p256, f->p256_key, EVP_sha256(), 0);
	struct eid_pa_report rep;

	pki_dg2[3] ^= 1;
	assert_int_equal(eid_pa_verify(s, sod, pki_dgs, PKI_N_DGS, f->now, &rep),
			 EID_EVERIFY);
	pki_dg2[3] ^= 1;
	assert_int_equal(rep.overall, EID_PA_INVALID);
	assert_int_equal(rep.signature, EID_PA_VALID);
	assert_int_equal(rep.chain, EID_PA_VALID);
	assert_int_equal(rep.dg_hashes, EID_PA_INVALID);
	assert_int_equal(rep.dgs[0].verdict, EID_PA_DG_VALID);
	assert_int_equal(rep.dgs[1].number, 2);
	assert_int_equal(rep.dgs[1].verdict, EID_PA_DG_INVALID);
	assert_int_equal(rep.dgs[2].verdict, EID_PA_DG_VALID);
	assert_string_equal(rep.dg_reason, "DG2 hash does not match the SOD");
	eid_sod_free(sod);
	eid_csca_store_free(s);
}

static void test_not_read_and_missing(void **state)
{
	struct fixture *f = *state;
	eid_csca_store *s = store_with(f->csca, NULL);
	eid_sod *sod = sod_by(f->dsc_p256, f->p256_key, EVP_sha256(), 0);
	struct eid_dg_bytes some[] = { pki_dgs[0], { 5, pki_dg2, sizeof(pki_dg2) } };
	struct eid_dg_bytes dup[] = { pki_dgs[0], pki_dgs[0] };
	struct eid_pa_report rep;

	/* Only DG1: valid, the rest not read. */
	assert_int_equal(eid_pa_verify(s, sod, some, 1, f->now, &rep), EID_OK);
	assert_int_equal(rep.n_dgs, 3);
	assert_int_equal(rep.dgs[0].verdict, EID_PA_DG_VALID);
	assert_int_equal(rep.dgs[1].verdict, EID_PA_DG_NOT_READ);
	assert_int_equal(rep.dgs[2].number, 13);
	assert_int_equal(rep.dgs[2].verdict, EID_PA_DG_NOT_READ);

	/* DG5 is not in the SOD: nothing vouches for it. */
	assert_int_equal(eid_pa_verify(s, sod, some, 2, f->now, &rep),
			 EID_EVERIFY);
	assert_int_equal(rep.n_dgs, 4);
	assert_int_equal(rep.dgs[2].number, 5);
	assert_int_equal(rep.dgs[2].verdict, EID_PA_DG_MISSING_FROM_SOD);
	assert_string_equal(rep.dg_reason, "DG5 is not listed in the SOD");

	/* Nothing read at all: the SOD itself still verifies. */
	assert_int_equal(eid_pa_verify(s, sod, NULL, 0, f->now, &rep), EID_OK);
	assert_int_equal(rep.dg_hashes, EID_PA_NOT_CHECKED);

	assert_int_equal(eid_pa_verify(s, sod, dup, 2, f->now, &rep),
			 EID_EINVAL);
	eid_sod_free(sod);
	eid_csca_store_free(s);
}

static void test_dsc_from_other_csca(void **state)
{
	struct fixture *f = *state;
	eid_csca_store *s = store_with(f->csca, NULL);
	X509 *dsc = pki_cert("DSC elsewhere", f->p256_key, f->other,
			     f->other_key, -1, 365, 20, false);
	eid_sod *sod = sod_by(dsc, f->p256_key, EVP_sha256(), 0);
	struct eid_pa_report rep;

	assert_int_equal(eid_pa_verify(s, sod, pki_dgs, PKI_N_DGS, f->now, &rep),
			 EID_EVERIFY);
	assert_int_equal(rep.signature, EID_PA_VALID);
	assert_int_equal(rep.chain, EID_PA_INVALID);
	assert_int_equal(rep.crl, EID_PA_NOT_CHECKED);
	assert_int_equal(rep.dg_hashes, EID_PA_VALID);
	assert_int_equal(rep.overall, EID_PA_INVALID);
	assert_non_null(strstr(rep.chain_reason, "DSC chain:"));
	eid_sod_free(sod);
	X509_free(dsc);
	eid_csca_store_free(s);
}

static void test_expired_dsc(void **state)
{
	struct fixture *f = *state;
	eid_csca_store *s = store_with(f->csca, NULL);
	X509 *dsc = pki_cert("DSC old", f->p256_key, f->csca, f->csca_key,
			     -90, -30, 21, false);
	eid_sod *sod = sod_by(dsc, f->p256_key, EVP_sha256(), 0);
	eid_sod *good = sod_by(f->dsc_p256, f->p256_key, EVP_sha256(), 0);
	struct eid_pa_report rep;

	assert_int_equal(eid_pa_verify(s, sod, pki_dgs, PKI_N_DGS, f->now, &rep),
			 EID_EVERIFY);
	assert_int_equal(rep.chain, EID_PA_INVALID);
	assert_non_null(strstr(rep.chain_reason, "expired"));
	/* At a time inside its validity it verifies. */
	assert_int_equal(eid_pa_verify(s, sod, pki_dgs, PKI_N_DGS,
				       f->now - 60 * PKI_DAY, &rep), EID_OK);
	/* A valid DSC checked years later is expired too. */
	assert_int_equal(eid_pa_verify(s, good, pki_dgs, PKI_N_DGS,
				       f->now + 2 * 365 * PKI_DAY, &rep),
			 EID_EVERIFY);
	assert_int_equal(rep.chain, EID_PA_INVALID);
	eid_sod_free(sod);
	eid_sod_free(good);
	X509_free(dsc);
	eid_csca_store_free(s);
}

static void crl_case(struct fixture *f, X509_CRL *crl, int want_rc,
		     enum eid_pa_verdict want)
{
	eid_csca_store *s = store_with(f->csca, crl);
	eid_sod *sod = sod_by(f->dsc_p256, f->p256_key, EVP_sha256(), 0);
	struct eid_pa_report rep;

	assert_int_equal(eid_pa_verify(s, sod, pki_dgs, PKI_N_DGS, f->now, &rep),
			 want_rc);
	assert_int_equal(rep.chain, EID_PA_VALID);
	assert_int_equal(rep.crl, want);
	eid_sod_free(sod);
	eid_csca_store_free(s);
	X509_CRL_free(crl);
}

static void test_crl(void **state)
{
	struct fixture *f = *state;
	struct eid_pa_report rep;
	eid_csca_store *s;
	eid_sod *sod;

	/* Revoked DSC. */
	crl_case(f, pki_crl(f->csca, f->csca_key, 11, 30), EID_EVERIFY,
		 EID_PA_INVALID);
	/* A CRL that lists another serial. */
	crl_case(f, pki_crl(f->csca, f->csca_key, 99, 30), EID_OK,
		 EID_PA_VALID);
	/* A CRL past its nextUpdate is no proof of anything. */
	crl_case(f, pki_crl(f->csca, f->csca_key, -1, -1), EID_EVERIFY,
		 EID_PA_INVALID);
	/* Another CSCA's CRL is not consulted. */
	crl_case(f, pki_crl(f->other, f->other_key, 11, 30), EID_OK,
		 EID_PA_NOT_CHECKED);

	s = store_with(f->csca, NULL);
	sod = sod_by(f->dsc_p256, f->p256_key, EVP_sha256(), 0);
	{
		X509_CRL *crl = pki_crl(f->csca, f->csca_key, 11, 30);
		unsigned char *der = NULL;
		size_t n = pki_crl_der(crl, &der);

		assert_int_equal(eid_csca_store_add_crl(s, der, n), EID_OK);
		assert_int_equal(eid_pa_verify(s, sod, pki_dgs, PKI_N_DGS, f->now, &rep),
				 EID_EVERIFY);
		assert_non_null(strstr(rep.crl_reason, "revoked"));
		assert_int_equal(eid_csca_store_add_crl(s, der, n / 2),
				 EID_EMALFORMED);
		OPENSSL_free(der);
		X509_CRL_free(crl);
	}
	eid_sod_free(sod);
	eid_csca_store_free(s);
}

static void test_tampered_signature(void **state)
{
	struct fixture *f = *state;
	eid_csca_store *s = store_with(f->csca, NULL);
	eid_sod *sod = NULL;
	struct eid_pa_report rep;
	eid_buf b;

	eid_buf_init(&b, EID_SOD_MAX_LEN);
	assert_int_equal(eid_sod_build(pki_dgs, PKI_N_DGS, EVP_sha256(), f->dsc_rsa,
				       f->rsa_key, 0, &b), EID_OK);
	/* The RSA signature value ends the DER. */
	b.data[b.len - 5] ^= 0x10;
	assert_int_equal(eid_sod_parse(b.data, b.len, &sod), EID_OK);
	assert_int_equal(eid_pa_verify(s, sod, pki_dgs, PKI_N_DGS, f->now, &rep),
			 EID_EVERIFY);
	assert_int_equal(rep.signature, EID_PA_INVALID);
	assert_int_equal(rep.chain, EID_PA_VALID);
	assert_int_equal(rep.dg_hashes, EID_PA_VALID);
	assert_non_null(strstr(rep.signature_reason, "CMS signature"));
	eid_sod_free(sod);
	eid_buf_free(&b);
	eid_csca_store_free(s);
}

static void test_report_json(void **state)
{
	struct fixture *f = *state;
	eid_csca_store *s = store_with(f->csca, NULL);
	eid_sod *sod = sod_by(f->dsc_p256, f->p256_key, EVP_sha256(), 0);
	struct eid_pa_report rep;
	json_t *j = NULL;

	pki_dg13[2] ^= 1;
	assert_int_equal(eid_pa_verify(s, sod, pki_dgs, 3, f->now, &rep),
			 EID_EVERIFY);
	pki_dg13[2] ^= 1;
	assert_int_equal(eid_pa_report_to_json(&rep, &j), EID_OK);
	assert_string_equal(json_string_value(json_object_get(j, "overall")),
			    "invalid");
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(j, "signature"), "verdict")), "valid");
	assert_null(json_object_get(json_object_get(j, "signature"), "reason"));
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(j, "crl"), "verdict")), "not_checked");
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(j, "dg_hashes"), "reason")),
		"DG13 hash does not match the SOD");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(j, "data_groups"), 2), "verdict")), "invalid");
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(j, "dsc"), "serial")), "0B");
	json_decref(j);
	eid_sod_free(sod);
	eid_csca_store_free(s);
}

static void test_store_loading(void **state)
{
	struct fixture *f = *state;
	char path[256], dir[128];
	eid_csca_store *s = NULL;
	unsigned char *der = NULL;
	size_t n, added = 0, skipped = 0;
	X509_CRL *crl = pki_crl(f->csca, f->csca_key, -1, 30);
	unsigned char *pem;
	size_t pem_len;

	snprintf(dir, sizeof(dir), "%s/cscas", f->tmp);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/vn.pem", dir);
	assert_true(pki_write_cert_pem(path, f->csca));
	pem = pki_read_file(path, &pem_len);
	assert_non_null(pem);
	n = pki_cert_der(f->other, &der);
	snprintf(path, sizeof(path), "%s/other.der", dir);
	assert_true(pki_write_file(path, der, n));
	snprintf(path, sizeof(path), "%s/junk.txt", dir);
	assert_true(pki_write_file(path, "hello", 5));
	snprintf(path, sizeof(path), "%s/dsc.pem", dir); /* not a CA */
	assert_true(pki_write_cert_pem(path, f->dsc_p256));
	OPENSSL_free(der);
	n = pki_crl_der(crl, &der);
	snprintf(path, sizeof(path), "%s/vn.crl", dir);
	assert_true(pki_write_file(path, der, n));
	OPENSSL_free(der);

	assert_int_equal(eid_csca_store_new(&s), EID_OK);
	assert_int_equal(eid_csca_store_load_dir(s, dir, &added, &skipped),
			 EID_OK);
	assert_int_equal(added, 3);
	assert_int_equal(skipped, 2);
	assert_int_equal(eid_csca_store_count(s), 2);
	assert_int_equal(eid_csca_store_load_dir(s, "/nonexistent/x", NULL,
						 NULL), EID_ENOTFOUND);
	assert_int_equal(eid_csca_store_add_pem(s, (char *)pem, pem_len),
			 EID_OK);
	assert_int_equal(eid_csca_store_add_pem(s, "junk", 4), EID_EMALFORMED);
	assert_int_equal(eid_csca_store_add_der(s, pem, pem_len),
			 EID_EMALFORMED);
	eid_csca_store_free(s);
	free(pem);
	X509_CRL_free(crl);
}

/* CscaMasterList ::= SEQUENCE { INTEGER 0, SET OF Certificate } */
static void master_list_content(X509 **certs, size_t n, eid_buf *out)
{
	eid_buf set, seq;

	eid_buf_init(&set, 1 << 20);
	eid_buf_init(&seq, 1 << 20);
	for (size_t i = 0; i < n; i++) {
		unsigned char *der = NULL;
		size_t len = pki_cert_der(certs[i], &der);
		assert_int_equal(eid_buf_put(&set, der, len), EID_OK);
		OPENSSL_free(der);
	}
	assert_int_equal(eid_tlv_put(&seq, 0x02, "\x00", 1), EID_OK);
	assert_int_equal(eid_tlv_put(&seq, 0x31, set.data, set.len), EID_OK);
	assert_int_equal(eid_tlv_put(out, 0x30, seq.data, seq.len), EID_OK);
	eid_buf_free(&set);
	eid_buf_free(&seq);
}

static void test_master_list(void **state)
{
	struct fixture *f = *state;
	X509 *ml_signer = pki_cert("ML signer", f->p256_key, f->csca,
				   f->csca_key, -1, 365, 30, false);
	X509 *listed[] = { f->other, f->dsc_rsa /* skipped: not a CA */ };
	X509 *dsc = pki_cert("DSC elsewhere", f->p256_key, f->other,
			     f->other_key, -1, 365, 20, false);
	eid_sod *sod = sod_by(dsc, f->p256_key, EVP_sha256(), 0);
	eid_buf content, ml;
	eid_csca_store *s = store_with(f->csca, NULL);
	struct eid_pa_report rep;
	size_t added = 0;
	bool verified = false;

	eid_buf_init(&content, 1 << 20);
	eid_buf_init(&ml, 1 << 20);
	master_list_content(listed, 2, &content);
	assert_int_equal(eid_signeddata_sign(content.data, content.len,
					     "2.23.136.1.1.2", ml_signer,
					     f->p256_key, EVP_sha256(), false,
					     &ml), EID_OK);

	/* Signed under a CSCA we trust: verified, and its CSCAs work. */
	assert_int_equal(eid_pa_verify(s, sod, pki_dgs, PKI_N_DGS, f->now, &rep),
			 EID_EVERIFY);
	assert_int_equal(eid_csca_store_import_master_list(
		s, ml.data, ml.len, f->now, true, &added, &verified), EID_OK);
	assert_true(verified);
	assert_int_equal(added, 1);
	assert_int_equal(eid_csca_store_count(s), 2);
	assert_int_equal(eid_pa_verify(s, sod, pki_dgs, PKI_N_DGS, f->now, &rep),
			 EID_OK);
	eid_csca_store_free(s);

	/* Nobody vouches for the signer: refused, or taken as unverified. */
	assert_int_equal(eid_csca_store_new(&s), EID_OK);
	assert_int_equal(eid_csca_store_import_master_list(
		s, ml.data, ml.len, f->now, true, &added, &verified),
		EID_EVERIFY);
	assert_int_equal(eid_csca_store_count(s), 0);
	assert_int_equal(eid_csca_store_import_master_list(
		s, ml.data, ml.len, f->now, false, &added, &verified), EID_OK);
	assert_false(verified);
	assert_int_equal(added, 1);

	/* A broken signature is refused either way. */
	ml.data[ml.len - 10] ^= 0x01;
	assert_int_not_equal(eid_csca_store_import_master_list(
		s, ml.data, ml.len, f->now, false, &added, &verified), EID_OK);
	/* An SOD is no master list. */
	assert_int_equal(eid_csca_store_import_master_list(
		s, content.data, content.len, f->now, false, NULL, NULL),
		EID_EMALFORMED);

	eid_csca_store_free(s);
	eid_sod_free(sod);
	eid_buf_free(&content);
	eid_buf_free(&ml);
	X509_free(dsc);
	X509_free(ml_signer);
}

static bool have_openssl_cli(void)
{
	return system("openssl version >/dev/null 2>&1") == 0;
}

/* An SOD signed by the openssl command-line tool, not by our encoder. */
static void test_interop_openssl_cli(void **state)
{
	struct fixture *f = *state;
	char cmd[1024], lds_path[128], sod_path[128], cert[128], key[128];
	eid_csca_store *s = store_with(f->csca, NULL);
	struct eid_pa_report rep;
	eid_sod *sod = NULL;
	unsigned char *der;
	size_t der_len;
	eid_buf lds, w;

	if (!have_openssl_cli()) {
		fprintf(stderr, "SKIP interop: no openssl binary in PATH\n");
		eid_csca_store_free(s);
		skip();
	}
	snprintf(lds_path, sizeof(lds_path), "%s/lds.der", f->tmp);
	snprintf(sod_path, sizeof(sod_path), "%s/sod.der", f->tmp);
	snprintf(cert, sizeof(cert), "%s/dsc.pem", f->tmp);
	snprintf(key, sizeof(key), "%s/dsc.key", f->tmp);
	eid_buf_init(&lds, 4096);
	eid_buf_init(&w, EID_SOD_MAX_LEN);
	assert_int_equal(eid_sod_encode_lds(pki_dgs, PKI_N_DGS, EVP_sha256(), &lds),
			 EID_OK);
	assert_true(pki_write_file(lds_path, lds.data, lds.len));
	assert_true(pki_write_cert_pem(cert, f->dsc_rsa));
	assert_true(pki_write_key_pem(key, f->rsa_key));
	snprintf(cmd, sizeof(cmd),
		 "openssl cms -sign -binary -nodetach -outform DER "
		 "-econtent_type 2.23.136.1.1.1 -md sha256 -signer '%s' "
		 "-inkey '%s' -in '%s' -out '%s'",
		 cert, key, lds_path, sod_path);
	assert_int_equal(system(cmd), 0);
	der = pki_read_file(sod_path, &der_len);
	assert_non_null(der);
	assert_int_equal(eid_tlv_put(&w, 0x77, der, der_len), EID_OK);
	assert_int_equal(eid_sod_parse(w.data, w.len, &sod), EID_OK);

	assert_int_equal(eid_pa_verify(s, sod, pki_dgs, PKI_N_DGS, f->now, &rep),
			 EID_OK);
	assert_all_valid(&rep);
	pki_dg1[5] = 'X';
	assert_int_equal(eid_pa_verify(s, sod, pki_dgs, PKI_N_DGS, f->now, &rep),
			 EID_EVERIFY);
	pki_dg1[5] = 'V';
	assert_int_equal(rep.dgs[0].verdict, EID_PA_DG_INVALID);
	assert_int_equal(rep.signature, EID_PA_VALID);

	eid_sod_free(sod);
	free(der);
	eid_buf_free(&lds);
	eid_buf_free(&w);
	eid_csca_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_every_algorithm),
		cmocka_unit_test(test_brainpool_dsc_is_explicit),
		cmocka_unit_test(test_altered_dg),
		cmocka_unit_test(test_not_read_and_missing),
		cmocka_unit_test(test_dsc_from_other_csca),
		cmocka_unit_test(test_expired_dsc),
		cmocka_unit_test(test_crl),
		cmocka_unit_test(test_tampered_signature),
		cmocka_unit_test(test_report_json),
		cmocka_unit_test(test_store_loading),
		cmocka_unit_test(test_master_list),
		cmocka_unit_test(test_interop_openssl_cli),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
