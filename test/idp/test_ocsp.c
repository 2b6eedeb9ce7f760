#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>

#include "crypto/error.h"
#include "idp/ocsp.h"
#include "tmpstore.h"

#define URL "https://id.example.vn"
#define PID "001099012345"

static const uint8_t kek[32] = { 4, 4, 4 };

struct fx {
	struct tmpstore ts;
	eid_ca *ca;
	eid_citizen_cert *cc;
	uint64_t now;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct eid_citizen c;

	assert_non_null(f);
	tmpstore_open(&f->ts, NULL); /* openssl ocsp checks times by the real clock */
	f->now = (uint64_t)time(NULL);
	assert_int_equal(eid_ca_init(f->ts.store, kek, EID_ALG_ES256, "C=VN, CN=OCSP CA",
				     365), EID_OK);
	assert_int_equal(eid_ca_load(f->ts.store, kek, URL, &f->ca), EID_OK);
	eid_citizen_init(&c);
	strcpy(c.personal_id, PID);
	strcpy(c.full_name, "Tran Thi B");
	assert_int_equal(eid_citizen_cert_ensure(f->ts.store, kek, f->ca, &c, f->now,
						 &f->cc), EID_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	eid_citizen_cert_free(f->cc);
	eid_ca_free(f->ca);
	tmpstore_close(&f->ts);
	free(f);
	return 0;
}

/* A DER request for cert (issued by issuer), with a nonce when asked. */
static void request(X509 *cert, X509 *issuer, const EVP_MD *md, bool nonce,
		    OCSP_REQUEST **ret_req, eid_buf *der)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	unsigned char *p = NULL;
	int n;

	assert_non_null(req);
	assert_non_null(OCSP_request_add0_id(req, OCSP_cert_to_id(md, cert, issuer)));
	if (nonce)
		assert_int_equal(OCSP_request_add1_nonce(req, NULL, -1), 1);
	n = i2d_OCSP_REQUEST(req, &p);
	assert_true(n > 0);
	eid_buf_init(der, EID_OCSP_REQUEST_MAX);
	assert_int_equal(eid_buf_put(der, p, (size_t)n), EID_OK);
	OPENSSL_free(p);
	*ret_req = req;
}

/* Respond, check the response's signature by the CA, return the basic
 * response (or NULL with *ret_status for a bodyless one). */
static OCSP_BASICRESP *respond(struct fx *f, const eid_buf *req, int *ret_status,
			       eid_buf *out)
{
	const unsigned char *p;
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *bs;
	X509_STORE *st;
	STACK_OF(X509) *certs;

	eid_buf_init(out, 64 * 1024);
	assert_int_equal(eid_ocsp_respond(f->ts.store, f->ca, req->data, req->len,
					  f->now, out), EID_OK);
	p = out->data;
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)out->len);
	assert_non_null(resp);
	*ret_status = OCSP_response_status(resp);
	bs = OCSP_response_get1_basic(resp);
	OCSP_RESPONSE_free(resp);
	if (bs == NULL)
		return NULL;
	st = X509_STORE_new();
	certs = sk_X509_new_null();
	assert_int_equal(X509_STORE_add_cert(st, eid_ca_cert(f->ca)), 1);
	assert_true(sk_X509_push(certs, eid_ca_cert(f->ca)) > 0);
	assert_int_equal(OCSP_basic_verify(bs, certs, st, 0), 1);
	sk_X509_free(certs);
	X509_STORE_free(st);
	return bs;
}

static int status_of(OCSP_BASICRESP *bs, int *reason, uint64_t *revoked_at)
{
	ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
	OCSP_SINGLERESP *one = OCSP_resp_get0(bs, 0);
	int status = OCSP_single_get0_status(one, reason, &rev, &thisupd, &nextupd);

	assert_non_null(thisupd);
	assert_non_null(nextupd);
	assert_int_equal(OCSP_check_validity(thisupd, nextupd, 300, -1), 1);
	if (rev != NULL)
		assert_int_equal(eid_x509_time(rev, revoked_at), EID_OK);
	return status;
}

static void test_good_and_nonce(void **state)
{
	struct fx *f = *state;
	OCSP_REQUEST *req;
	OCSP_BASICRESP *bs;
	eid_buf der, out;
	int st, reason;
	uint64_t at;

	request(eid_citizen_cert_x509(f->cc), eid_ca_cert(f->ca), NULL, true, &req, &der);
	bs = respond(f, &der, &st, &out);
	assert_int_equal(st, OCSP_RESPONSE_STATUS_SUCCESSFUL);
	assert_non_null(bs);
	assert_int_equal(status_of(bs, &reason, &at), V_OCSP_CERTSTATUS_GOOD);
	assert_int_equal(OCSP_check_nonce(req, bs), 1);
	OCSP_BASICRESP_free(bs);
	OCSP_REQUEST_free(req);
	eid_buf_free(&der);
	eid_buf_free(&out);
	/* SHA-256 CertIDs and no nonce. */
	request(eid_citizen_cert_x509(f->cc), eid_ca_cert(f->ca), EVP_sha256(), false,
		&req, &der);
	bs = respond(f, &der, &st, &out);
	assert_int_equal(status_of(bs, &reason, &at), V_OCSP_CERTSTATUS_GOOD);
	assert_int_equal(OCSP_check_nonce(req, bs), 2);
	OCSP_BASICRESP_free(bs);
	OCSP_REQUEST_free(req);
	eid_buf_free(&der);
	eid_buf_free(&out);
}

static void test_revoked(void **state)
{
	struct fx *f = *state;
	OCSP_REQUEST *req;
	OCSP_BASICRESP *bs;
	eid_buf der, out;
	int st, reason = -1;
	uint64_t at = 0;

	assert_int_equal(eid_citizen_cert_revoke(f->ts.store, PID,
						 EID_CRL_KEY_COMPROMISE, f->now - 5),
			 EID_OK);
	request(eid_citizen_cert_x509(f->cc), eid_ca_cert(f->ca), NULL, true, &req, &der);
	bs = respond(f, &der, &st, &out);
	assert_int_equal(status_of(bs, &reason, &at), V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
	assert_int_equal(at, f->now - 5);
	OCSP_BASICRESP_free(bs);
	OCSP_REQUEST_free(req);
	eid_buf_free(&der);
	eid_buf_free(&out);
}

static void test_unknown(void **state)
{
	struct fx *f = *state;
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_BASICRESP *bs;
	ASN1_INTEGER *serial = ASN1_INTEGER_new();
	eid_buf der, out;
	unsigned char *p = NULL;
	int st, reason, n;
	uint64_t at;

	/* A serial this CA never issued. */
	assert_int_equal(ASN1_INTEGER_set(serial, 0x4242), 1);
	assert_non_null(OCSP_request_add0_id(req, OCSP_cert_id_new(EVP_sha1(),
		X509_get_subject_name(eid_ca_cert(f->ca)),
		X509_get0_pubkey_bitstr(eid_ca_cert(f->ca)), serial)));
	n = i2d_OCSP_REQUEST(req, &p);
	eid_buf_init(&der, EID_OCSP_REQUEST_MAX);
	assert_int_equal(eid_buf_put(&der, p, (size_t)n), EID_OK);
	bs = respond(f, &der, &st, &out);
	assert_int_equal(status_of(bs, &reason, &at), V_OCSP_CERTSTATUS_UNKNOWN);
	OCSP_BASICRESP_free(bs);
	OPENSSL_free(p);
	ASN1_INTEGER_free(serial);
	OCSP_REQUEST_free(req);
	eid_buf_free(&der);
	eid_buf_free(&out);
}

static void expect_malformed(struct fx *f, const void *p, size_t n)
{
	eid_buf req, out;
	int st;

	eid_buf_init(&req, 64 * 1024);
	if (n > 0)
		assert_int_equal(eid_buf_put(&req, p, n), EID_OK);
	assert_null(respond(f, &req, &st, &out));
	assert_int_equal(st, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	eid_buf_free(&req);
	eid_buf_free(&out);
}

static void test_malformed(void **state)
{
	struct fx *f = *state;
	static uint8_t big[EID_OCSP_REQUEST_MAX + 1];
	OCSP_REQUEST *req;
	eid_buf der;
	unsigned char *p = NULL;
	int n;

	expect_malformed(f, "", 0);
	expect_malformed(f, "\x30\x03\x30\x01", 4);
	expect_malformed(f, big, sizeof(big));
	request(eid_citizen_cert_x509(f->cc), eid_ca_cert(f->ca), NULL, true, &req, &der);
	expect_malformed(f, der.data, der.len - 1);
	assert_int_equal(eid_buf_put_u8(&der, 0), EID_OK);
	expect_malformed(f, der.data, der.len); /* trailing byte */
	OCSP_REQUEST_free(req);
	eid_buf_free(&der);
	/* Found by fuzzing: OpenSSL parses this CertID (its hash algorithm
	 * has parameters tagged 0x20, which is not DER) but cannot copy it
	 * into a response.  It is the client's error, not ours. */
	{
		static const uint8_t ber[] = {
			0x30, 0x43, 0x30, 0x41, 0x30, 0x3f, 0x30, 0x3d, 0x30, 0x3b,
			0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x20,
			0x00, 0x04, 0x14, 0xef, 0xce, 0xdb, 0x05, 0xb7, 0xe1, 0xd3,
			0x64, 0x9a, 0x10, 0x44, 0x6c, 0xd6, 0xdc, 0x62, 0x65, 0x69,
			0xbd, 0xf8, 0x80, 0x04, 0x14, 0xc7, 0x10, 0x77, 0xa9, 0x43,
			0x6c, 0x87, 0x87, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
			0x02, 0x02, 0xce, 0xdd, 0x1a, 0x02, 0x02, 0x42, 0x42,
		};
		expect_malformed(f, ber, sizeof(ber));
	}
	/* A well-formed request about nothing. */
	req = OCSP_REQUEST_new();
	n = i2d_OCSP_REQUEST(req, &p);
	expect_malformed(f, p, (size_t)n);
	OPENSSL_free(p);
	OCSP_REQUEST_free(req);
}

static void write_pem(const char *path, X509 *x)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(PEM_write_X509(fp, x), 1);
	fclose(fp);
}

/* `openssl ocsp` reads and verifies our response the way an RP would. */
static void test_openssl_cli(void **state)
{
	struct fx *f = *state;
	char cmd[1024], path[128], text[4096] = { 0 };
	OCSP_REQUEST *req;
	eid_buf der, out;
	FILE *fp;
	int st;

	request(eid_citizen_cert_x509(f->cc), eid_ca_cert(f->ca), NULL, false, &req, &der);
	OCSP_BASICRESP_free(respond(f, &der, &st, &out));
	snprintf(path, sizeof(path), "%s/resp.der", f->ts.dir);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(out.data, 1, out.len, fp), out.len);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/ca.pem", f->ts.dir);
	write_pem(path, eid_ca_cert(f->ca));
	snprintf(path, sizeof(path), "%s/cert.pem", f->ts.dir);
	write_pem(path, eid_citizen_cert_x509(f->cc));
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && openssl ocsp -respin resp.der -CAfile ca.pem "
		 "-issuer ca.pem -cert cert.pem > out.txt 2>&1", f->ts.dir);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/out.txt", f->ts.dir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	(void)!fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	print_message("  openssl: %s", text);
	assert_non_null(strstr(text, "Response verify OK"));
	assert_non_null(strstr(text, "cert.pem: good"));
	OCSP_REQUEST_free(req);
	eid_buf_free(&der);
	eid_buf_free(&out);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_good_and_nonce),
		T(test_revoked),
		T(test_unknown),
		T(test_malformed),
		T(test_openssl_cli),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
