#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/core_names.h>
#include <openssl/ess.h>
#include <openssl/evp.h>

#include "crypto/error.h"
#include "idp/audit.h"
#include "idp/cms_sign.h"
#include "sigproc_fixture.h"
#include "tmpstore.h"

#define DAY 86400ull
#define URL "https://id.example.vn"
#define NAME "Nguy\xe1\xbb\x85n V\xc4\x83n An" /* Nguyễn Văn An */
#define PID "001099012345"

static const uint8_t kek[32] = { 9, 8, 7 };
static const char doc[] = "%PDF-1.7 hop dong mua ban, ky ngay 22/11/2026\n";

struct fx {
	struct tmpstore ts;
	eid_ca *ca;
	struct eid_citizen c;
	uint64_t now;
	char dir[64];
};

static void make_citizen(struct eid_citizen *c)
{
	eid_citizen_init(c);
	strcpy(c->personal_id, PID);
	strcpy(c->full_name, NAME);
	c->card_expires = (struct eid_date){ 2040, 1, 1 };
}

static void open_ca(struct tmpstore *ts, eid_ca **ca)
{
	tmpstore_open(ts, NULL); /* the real clock: openssl checks it too */
	assert_int_equal(eid_ca_init(ts->store, kek, EID_ALG_ES256,
				     "C=VN, O=eid, CN=eid Citizen Signing CA", 365),
			 EID_OK);
	assert_int_equal(eid_ca_load(ts->store, kek, URL, ca), EID_OK);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	open_ca(&f->ts, &f->ca);
	make_citizen(&f->c);
	f->now = (uint64_t)time(NULL);
	strcpy(f->dir, "/tmp/eid-cms-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	eid_ca_free(f->ca);
	tmpstore_close(&f->ts);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void sha(enum eid_digest d, const void *p, size_t n, uint8_t *out)
{
	const char *name = d == EID_DIGEST_SHA256 ? "SHA256" :
			   d == EID_DIGEST_SHA384 ? "SHA384" : "SHA512";

	assert_int_equal(EVP_Digest(p, n, out, NULL, EVP_get_digestbyname(name), NULL), 1);
}

/* Signed with ca (kek NULL for one in the signer process). */
static int sign_with(struct fx *f, const eid_ca *ca, const uint8_t *k,
		     enum eid_digest d, uint64_t now, eid_buf *sig)
{
	uint8_t h[64];
	struct eid_sign_request req = { .digest = d, .hash = h,
					.hash_len = eid_digest_len(d),
					.audit_type = "sign.operator",
					.actor = "operator", .document = "hop dong" };

	sha(d, doc, strlen(doc), h);
	eid_buf_init(sig, EID_CMS_MAX);
	return eid_cms_sign_citizen(f->ts.store, k, ca, &f->c, &req, now, sig);
}

static int sign(struct fx *f, enum eid_digest d, uint64_t now, eid_buf *sig)
{
	return sign_with(f, f->ca, kek, d, now, sig);
}

static int verify(struct fx *f, const eid_buf *sig, const void *content,
		  size_t len, uint64_t now, struct eid_cms_report *rep)
{
	struct eid_cms_content c = { .data = content, .len = len };
	eid_buf why;
	int r;

	eid_buf_init(&why, 512);
	r = eid_cms_verify(f->ts.store, f->ca, sig->data, sig->len, &c, now, rep, &why);
	assert_int_equal(r == EID_OK, why.len == 0);
	if (r != EID_OK)
		print_message("  why: %s\n", eid_buf_cstr(&why));
	eid_buf_free(&why);
	return r;
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(p, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

/* Runs `openssl cms -verify` on the files in dir; true when it prints
 * "Verification successful" and exits 0. */
static bool openssl_verifies(const char *dir)
{
	char cmd[1024], out[4096] = { 0 }, path[128];
	FILE *fp;
	int rc;

	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && openssl cms -verify -binary -content doc "
		 "-inform DER -in sig.der -CAfile ca.pem -out /dev/null "
		 "> out.txt 2>&1", dir);
	rc = system(cmd);
	snprintf(path, sizeof(path), "%s/out.txt", dir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	(void)!fread(out, 1, sizeof(out) - 1, fp);
	fclose(fp);
	print_message("  openssl: %s", out);
	return rc == 0 && strstr(out, "Verification successful") != NULL;
}

static void test_openssl_interop(void **state)
{
	struct fx *f = *state;
	char path[128], altered[sizeof(doc)];
	struct eid_cms_report rep;
	eid_buf sig, pem;

	assert_int_equal(sign(f, EID_DIGEST_SHA256, f->now, &sig), EID_OK);
	eid_buf_init(&pem, EID_X509_MAX);
	assert_int_equal(eid_x509_pem(eid_ca_cert(f->ca), &pem), EID_OK);
	snprintf(path, sizeof(path), "%s/ca.pem", f->dir);
	write_file(path, pem.data, pem.len);
	snprintf(path, sizeof(path), "%s/sig.der", f->dir);
	write_file(path, sig.data, sig.len);
	snprintf(path, sizeof(path), "%s/doc", f->dir);
	write_file(path, doc, strlen(doc));
	assert_true(openssl_verifies(f->dir));
	assert_int_equal(verify(f, &sig, doc, strlen(doc), f->now, &rep), EID_OK);
	assert_string_equal(rep.signer_name, NAME);
	assert_string_equal(rep.personal_id, PID);
	assert_int_equal(rep.signing_time, f->now);
	assert_false(rep.revoked);
	/* One altered byte: both refuse. */
	memcpy(altered, doc, sizeof(doc));
	altered[10] ^= 1;
	write_file(path, altered, strlen(doc));
	assert_false(openssl_verifies(f->dir));
	assert_int_equal(verify(f, &sig, altered, strlen(doc), f->now, &rep),
			 EID_EMISMATCH);
	eid_buf_free(&pem);
	eid_buf_free(&sig);
}

/* The signed attributes are the CAdES-BES set, with the values we gave. */
static void test_attributes(void **state)
{
	struct fx *f = *state;
	const unsigned char *p;
	CMS_ContentInfo *cms;
	CMS_SignerInfo *si;
	ASN1_OCTET_STRING *md;
	ASN1_STRING *seq;
	ESS_SIGNING_CERT_V2 *sc;
	STACK_OF(X509) *certs;
	uint8_t h[32];
	eid_buf sig;

	assert_int_equal(sign(f, EID_DIGEST_SHA256, f->now, &sig), EID_OK);
	p = sig.data;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)sig.len);
	assert_non_null(cms);
	assert_null(*CMS_get0_content(cms)); /* detached */
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	assert_int_equal(CMS_signed_get_attr_count(si), 4);
	assert_true(CMS_signed_get_attr_by_NID(si, NID_pkcs9_contentType, -1) >= 0);
	assert_true(CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1) >= 0);
	md = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_messageDigest),
					 -3, V_ASN1_OCTET_STRING);
	sha(EID_DIGEST_SHA256, doc, strlen(doc), h);
	assert_memory_equal(ASN1_STRING_get0_data(md), h, 32);
	seq = CMS_signed_get0_data_by_OBJ(si,
		OBJ_nid2obj(NID_id_smime_aa_signingCertificateV2), -3, V_ASN1_SEQUENCE);
	assert_non_null(seq);
	p = ASN1_STRING_get0_data(seq);
	sc = d2i_ESS_SIGNING_CERT_V2(NULL, &p, ASN1_STRING_length(seq));
	assert_non_null(sc);
	certs = CMS_get1_certs(cms);
	assert_int_equal(sk_X509_num(certs), 2); /* the citizen's and the CA's */
	ESS_SIGNING_CERT_V2_free(sc);
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	eid_buf_free(&sig);
}

static void test_hash_and_digests(void **state)
{
	struct fx *f = *state;
	enum eid_digest ds[] = { EID_DIGEST_SHA384, EID_DIGEST_SHA512 };
	struct eid_cms_report rep;
	struct eid_cms_content c = { 0 };
	uint8_t h[64];
	eid_buf sig;
	json_t *j;

	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(sign(f, ds[i], f->now, &sig), EID_OK);
		assert_int_equal(verify(f, &sig, doc, strlen(doc), f->now, &rep), EID_OK);
		assert_int_equal(rep.digest, ds[i]);
		/* The hash instead of the document. */
		sha(ds[i], doc, strlen(doc), h);
		c.hash = h;
		c.hash_len = eid_digest_len(ds[i]);
		c.digest = ds[i];
		assert_int_equal(eid_cms_verify(f->ts.store, f->ca, sig.data, sig.len,
						&c, f->now, &rep, NULL), EID_OK);
		c.digest = EID_DIGEST_SHA256;
		c.hash_len = 32;
		assert_int_equal(eid_cms_verify(f->ts.store, f->ca, sig.data, sig.len,
						&c, f->now, &rep, NULL), EID_EMISMATCH);
		eid_buf_free(&sig);
	}
	assert_int_equal(sign(f, EID_DIGEST_SHA256, f->now, &sig), EID_OK);
	assert_int_equal(verify(f, &sig, doc, strlen(doc), f->now, &rep), EID_OK);
	assert_int_equal(eid_cms_report_json(&rep, &j), EID_OK);
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(j, "signer"), "personal_id")), PID);
	assert_string_equal(json_string_value(json_object_get(j, "digest")), "sha256");
	assert_true(json_is_true(json_object_get(j, "valid")));
	json_decref(j);
	eid_buf_free(&sig);
}

static void test_bad_requests(void **state)
{
	struct fx *f = *state;
	uint8_t h[64] = { 0 };
	struct eid_sign_request req = { .digest = EID_DIGEST_SHA256, .hash = h,
					.hash_len = 31, .audit_type = "sign.operator",
					.actor = "operator" };
	enum eid_digest d;
	eid_buf sig;

	eid_buf_init(&sig, EID_CMS_MAX);
	assert_int_equal(eid_cms_sign_citizen(f->ts.store, kek, f->ca, &f->c, &req,
					      f->now, &sig), EID_EINVAL);
	req.hash_len = 48;
	assert_int_equal(eid_cms_sign_citizen(f->ts.store, kek, f->ca, &f->c, &req,
					      f->now, &sig), EID_EINVAL);
	req.digest = 9;
	assert_int_equal(eid_cms_sign_citizen(f->ts.store, kek, f->ca, &f->c, &req,
					      f->now, &sig), EID_EUNSUPPORTED);
	assert_int_equal(sig.len, 0);
	assert_int_equal(eid_digest_from_name("SHA-384", &d), EID_OK);
	assert_int_equal(d, EID_DIGEST_SHA384);
	assert_int_equal(eid_digest_from_name("sha1", &d), EID_EUNSUPPORTED);
	assert_int_equal(eid_digest_from_name("md5", &d), EID_EUNSUPPORTED);
	eid_buf_free(&sig);
}

static void test_revoked(void **state)
{
	struct fx *f = *state;
	struct eid_cms_report rep;
	eid_buf before, after;

	/* Revoked after signing: still valid, and said so. */
	assert_int_equal(sign(f, EID_DIGEST_SHA256, f->now, &after), EID_OK);
	assert_int_equal(eid_citizen_cert_revoke(f->ts.store, PID,
						 EID_CRL_KEY_COMPROMISE, f->now + 50),
			 EID_OK);
	assert_int_equal(verify(f, &after, doc, strlen(doc), f->now + 100, &rep), EID_OK);
	assert_true(rep.revoked);
	assert_int_equal(rep.revoked_at, f->now + 50);
	assert_int_equal(rep.revocation_reason, EID_CRL_KEY_COMPROMISE);
	/* Revoked at (or before) the signing time: refused. */
	assert_int_equal(sign(f, EID_DIGEST_SHA256, f->now + 60, &before), EID_OK);
	assert_int_equal(eid_citizen_cert_revoke(f->ts.store, PID,
						 EID_CRL_KEY_COMPROMISE, f->now + 60),
			 EID_OK);
	assert_int_equal(verify(f, &before, doc, strlen(doc), f->now + 100, &rep),
			 EID_EVERIFY);
	eid_buf_free(&before);
	eid_buf_free(&after);
}

static void test_other_ca(void **state)
{
	struct fx *f = *state;
	struct tmpstore other;
	eid_ca *oca = NULL;
	struct eid_cms_report rep;
	eid_buf sig;
	uint8_t h[32];
	struct eid_sign_request req = { .digest = EID_DIGEST_SHA256, .hash = h,
					.hash_len = 32, .audit_type = "sign.operator",
					.actor = "operator" };
	uint64_t now;

	open_ca(&other, &oca);
	/* That CA starts now, which may be a second or more after f->now. */
	now = (uint64_t)time(NULL);
	sha(EID_DIGEST_SHA256, doc, strlen(doc), h);
	eid_buf_init(&sig, EID_CMS_MAX);
	assert_int_equal(eid_cms_sign_citizen(other.store, kek, oca, &f->c, &req,
					      now, &sig), EID_OK);
	/* Same subject DN, another key: the chain does not hold. */
	assert_int_equal(verify(f, &sig, doc, strlen(doc), now, &rep), EID_EVERIFY);
	eid_buf_free(&sig);
	eid_ca_free(oca);
	tmpstore_close(&other);
}

static void test_malformed(void **state)
{
	struct fx *f = *state;
	struct eid_cms_report rep;
	eid_buf sig, junk;

	assert_int_equal(sign(f, EID_DIGEST_SHA256, f->now, &sig), EID_OK);
	sig.len--;
	assert_int_equal(verify(f, &sig, doc, strlen(doc), f->now, &rep), EID_EMALFORMED);
	sig.len++;
	eid_buf_init(&junk, 16);
	assert_int_equal(eid_buf_put_str(&junk, "not a signature"), EID_OK);
	assert_int_equal(verify(f, &junk, doc, strlen(doc), f->now, &rep), EID_EMALFORMED);
	eid_buf_free(&sig);
	/* A signing time in the future. */
	assert_int_equal(sign(f, EID_DIGEST_SHA256, f->now + 1000, &sig), EID_OK);
	assert_int_equal(verify(f, &sig, doc, strlen(doc), f->now, &rep), EID_EVERIFY);
	eid_buf_free(&sig);
	eid_buf_free(&junk);
}

static void test_audited(void **state)
{
	struct fx *f = *state;
	uint64_t count, bad;
	eid_buf sig, last_key, last;
	eid_txn *t;

	assert_int_equal(sign(f, EID_DIGEST_SHA256, f->now, &sig), EID_OK);
	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_audit_verify(t, &count, &bad, NULL), EID_OK);
	assert_int_equal(count, 3); /* ca.init, sign.cert.issue, sign.operator */
	eid_buf_init(&last_key, 1024);
	eid_buf_init(&last, 64 * 1024);
	assert_int_equal(eid_txn_last(t, EID_TABLE_AUDIT, &last_key, &last), EID_OK);
	assert_non_null(memmem(last.data, last.len, "sign.operator", 13));
	eid_txn_abort(t);
	eid_buf_free(&last_key);
	eid_buf_free(&last);
	eid_buf_free(&sig);
}

/* No private scalar in this process's object of the key. */
static void assert_no_scalar(EVP_PKEY *pk)
{
	BIGNUM *bn = NULL;

	if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_PRIV_KEY, &bn))
		assert_true(BN_is_zero(bn));
	BN_free(bn);
}

/* With the CA in the signer process (eid_ca_load_remote), citizens' keys
 * are made, sealed and opened there: a key made here signs there (its
 * blob LOAD_SHORTed), in every digest; after a revocation the new key is
 * born there, holds nothing private here, and its blob in the store opens
 * here with the KEK; the signatures verify. */
static void test_through_signer_process(void **state)
{
	static const enum eid_digest ds[] = { EID_DIGEST_SHA256,
					      EID_DIGEST_SHA384,
					      EID_DIGEST_SHA512 };
	struct fx *f = *state;
	struct sigproc_fixture p;
	struct eid_cms_report rep;
	eid_citizen_cert *there = NULL, *here = NULL;
	eid_ca *rca = NULL;
	eid_buf sig;

	sigproc_fixture_start(&p, kek);
	assert_int_equal(eid_ca_load_remote(f->ts.store, p.sp, NULL, URL, &rca),
			 EID_OK);
	assert_no_scalar(eid_ca_pkey(rca));
	assert_int_equal(sign(f, EID_DIGEST_SHA256, f->now, &sig), EID_OK);
	eid_buf_free(&sig);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(sign_with(f, rca, NULL, ds[i], f->now, &sig),
				 EID_OK);
		assert_int_equal(verify(f, &sig, doc, strlen(doc), f->now, &rep),
				 EID_OK);
		assert_int_equal(rep.digest, ds[i]);
		eid_buf_free(&sig);
	}
	assert_int_equal(eid_citizen_cert_revoke(f->ts.store, PID,
						 EID_CRL_KEY_COMPROMISE, f->now),
			 EID_OK);
	assert_int_equal(eid_citizen_cert_ensure(f->ts.store, NULL, rca, &f->c,
						 f->now, &there), EID_OK);
	assert_true(eid_citizen_cert_created(there));
	assert_no_scalar(eid_citizen_cert_pkey(there));
	assert_int_equal(eid_citizen_cert_ensure(f->ts.store, kek, f->ca, &f->c,
						 f->now, &here), EID_OK);
	assert_false(eid_citizen_cert_created(here));
	assert_string_equal(eid_citizen_cert_serial(here),
			    eid_citizen_cert_serial(there));
	assert_int_equal(EVP_PKEY_eq(eid_citizen_cert_pkey(here),
				     eid_citizen_cert_pkey(there)), 1);
	assert_int_equal(sign_with(f, rca, NULL, EID_DIGEST_SHA512, f->now,
				   &sig), EID_OK);
	assert_int_equal(verify(f, &sig, doc, strlen(doc), f->now, &rep), EID_OK);
	eid_buf_free(&sig);
	eid_citizen_cert_free(here);
	eid_citizen_cert_free(there);
	eid_ca_free(rca);
	sigproc_fixture_stop(&p);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_openssl_interop),
		T(test_attributes),
		T(test_hash_and_digests),
		T(test_bad_requests),
		T(test_revoked),
		T(test_other_ca),
		T(test_malformed),
		T(test_audited),
		T(test_through_signer_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
