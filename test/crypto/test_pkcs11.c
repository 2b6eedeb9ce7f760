/* Keys in a SoftHSM2 token: generated there, never extractable, signing
 * JWS, certificates and CMS that verify with the public key alone.
 * Skipped (exit 77) only when softhsm2 is not installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>

#include <cmocka.h>
#include <openssl/cms.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/keys.h"
#include "crypto/pkcs11.h"
#include "crypto/x509.h"
#include "test/crypto/softhsm_fixture.h"

#define T0 1748736000ull /* 2025-06-01 */
#define THREADS 8
#define PER_THREAD 40

struct fx {
	struct softhsm hsm;
	eid_pkcs11 *p11;
	eid_key *ec, *rsa;
};

static struct fx fx;

static int group_setup(void **state)
{
	assert_true(softhsm_setup(&fx.hsm));
	assert_int_equal(eid_pkcs11_open(SOFTHSM_MODULE, SOFTHSM_LABEL,
					 fx.hsm.pin_file, &fx.p11), EID_OK);
	assert_int_equal(eid_pkcs11_generate(fx.p11, EID_ALG_ES256, &fx.ec),
			 EID_OK);
	assert_int_equal(eid_pkcs11_generate(fx.p11, EID_ALG_RS256, &fx.rsa),
			 EID_OK);
	*state = &fx;
	return 0;
}

static int group_teardown(void **state)
{
	eid_key_free(fx.ec);
	eid_key_free(fx.rsa);
	eid_pkcs11_close(fx.p11);
	softhsm_teardown(&fx.hsm);
	return 0;
}

/* The public half alone, as a relying party sees it in the JWKS. */
static eid_key *public_of(const eid_key *key)
{
	json_t *jwk = NULL;
	eid_key *pub = NULL;

	assert_int_equal(eid_key_public_jwk(key, &jwk), EID_OK);
	assert_null(json_object_get(jwk, "d"));
	assert_int_equal(eid_key_from_public_jwk(jwk, &pub), EID_OK);
	json_decref(jwk);
	return pub;
}

static void not_extractable(void **state)
{
	const eid_key *keys[] = { fx.ec, fx.rsa };
	bool sensitive = false, extractable = true;
	BIGNUM *bn = NULL;

	for (size_t i = 0; i < 2; i++) {
		const char *label = eid_key_token_label(keys[i]);

		assert_non_null(label);
		assert_true(eid_key_has_private(keys[i]));
		assert_int_equal(eid_pkcs11_key_flags(fx.p11, label, &sensitive,
						      &extractable), EID_OK);
		assert_true(sensitive);
		assert_false(extractable);
		/* The handle holds no private number to read out (libp11
		 * may show a placeholder zero). */
		if (EVP_PKEY_get_bn_param(eid_key_pkey(keys[i]),
					  i == 0 ? OSSL_PKEY_PARAM_PRIV_KEY :
						   OSSL_PKEY_PARAM_RSA_D,
					  &bn) == 1)
			assert_true(BN_is_zero(bn));
		BN_free(bn);
		bn = NULL;
	}
	assert_int_equal(eid_pkcs11_key_flags(fx.p11, "eid-no-such-key",
					      &sensitive, &extractable),
			 EID_ENOTFOUND);
}

static void jws_sign_verify(const eid_key *key, const char *alg)
{
	const char *algs[] = { alg, NULL };
	json_t *claims = json_pack("{s:s,s:i}", "sub", "079203001234", "n", 7);
	json_t *hdr = NULL, *back = NULL, *back2 = NULL;
	eid_key *pub = public_of(key);
	const eid_key *pubs[] = { pub };
	char *jws = NULL;

	assert_int_equal(eid_jws_sign(key, "at+jwt", claims, &jws), EID_OK);
	assert_int_equal(eid_jws_verify(jws, strlen(jws), pubs, 1, algs, &hdr,
					&back), EID_OK);
	assert_string_equal(json_string_value(json_object_get(hdr, "kid")),
			    eid_key_kid(key));
	assert_true(json_equal(claims, back));
	/* A flipped signature byte does not verify. */
	jws[strlen(jws) - 3] = jws[strlen(jws) - 3] == 'A' ? 'B' : 'A';
	assert_int_equal(eid_jws_verify(jws, strlen(jws), pubs, 1, algs, NULL,
					&back2), EID_EVERIFY);
	free(jws);
	json_decref(hdr);
	json_decref(back);
	json_decref(claims);
	eid_key_free(pub);
}

static void jws_es256(void **state)
{
	jws_sign_verify(fx.ec, "ES256");
}

static void jws_rs256(void **state)
{
	jws_sign_verify(fx.rsa, "RS256");
}

/* A self-signed certificate and a detached CMS signature, both made in the
 * token, verified by OpenSSL with the certificate's public key. */
static void cms_sign_verify(void **state)
{
	static const char doc[] = "Hop dong so 42";
	BIO *in = BIO_new_mem_buf(doc, (int)strlen(doc));
	BIO *content = BIO_new_mem_buf(doc, (int)strlen(doc));
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *certs = sk_X509_new_null();
	EVP_PKEY *pub = NULL;
	CMS_ContentInfo *cms;
	X509 *cert = NULL;

	eid_key_lock(fx.ec);
	assert_int_equal(eid_x509_ca_new(eid_key_pkey(fx.ec), "C=VN, CN=HSM CA",
					 T0, T0 + 86400ull * 3650, &cert),
			 EID_OK);
	cms = CMS_sign(cert, eid_key_pkey(fx.ec), NULL, in,
		       CMS_BINARY | CMS_DETACHED);
	eid_key_unlock(fx.ec);
	assert_non_null(cms);
	/* The certificate carries the token key's public half. */
	pub = X509_get_pubkey(cert);
	assert_int_equal(X509_verify(cert, pub), 1);
	assert_int_equal(X509_STORE_add_cert(store, cert), 1);
	assert_int_equal(CMS_verify(cms, NULL, store, content, NULL,
				    CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY),
			 1);
	BIO_free(content);
	content = BIO_new_mem_buf("Hop dong so 43", 14);
	assert_int_not_equal(CMS_verify(cms, NULL, store, content, NULL,
					CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY),
			     1);
	ERR_clear_error();
	EVP_PKEY_free(pub);
	CMS_ContentInfo_free(cms);
	sk_X509_free(certs);
	X509_STORE_free(store);
	X509_free(cert);
	BIO_free(in);
	BIO_free(content);
}

/* The stored record names the key and holds its public half only; it
 * opens through the token, and only to the key it names. */
static void reference_record(void **state)
{
	uint8_t kek[32] = { 1 };
	eid_key *k = NULL;
	eid_buf blob;

	eid_buf_init(&blob, EID_KEY_SEAL_MAX);
	assert_int_equal(eid_key_seal(fx.ec, kek, &blob), EID_OK);
	assert_true(eid_key_blob_in_token(blob.data, blob.len));
	assert_int_equal(eid_key_open(blob.data, blob.len, kek, fx.p11, &k),
			 EID_OK);
	assert_string_equal(eid_key_kid(k), eid_key_kid(fx.ec));
	assert_string_equal(eid_key_token_label(k), eid_key_token_label(fx.ec));
	eid_key_free(k);
	/* Without a token configured it does not open. */
	assert_int_equal(eid_key_open(blob.data, blob.len, kek, NULL, &k),
			 EID_ESTATE);
	/* Another kid under the same label: not our key. */
	blob.data[3] ^= 1;
	assert_int_equal(eid_key_open(blob.data, blob.len, kek, fx.p11, &k),
			 EID_EMISMATCH);
	/* Cut short. */
	assert_int_equal(eid_key_open(blob.data, 3, kek, fx.p11, &k),
			 EID_EMALFORMED);
	eid_buf_free(&blob);
}

static void open_errors(void **state)
{
	eid_pkcs11 *p = NULL;
	eid_key *k = NULL;
	char loose[PATH_MAX];
	FILE *f;

	assert_int_equal(eid_pkcs11_load(fx.p11, "eid-no-such-key",
					 EID_ALG_ES256, &k), EID_ENOTFOUND);
	/* An EC key is no RS256 key. */
	assert_int_equal(eid_pkcs11_load(fx.p11, eid_key_token_label(fx.ec),
					 EID_ALG_RS256, &k), EID_EMISMATCH);
	/* A failed open finalises the module for the whole process (one
	 * handle per process: C_Finalize is not per handle), so this test
	 * runs last. */
	assert_int_equal(eid_pkcs11_open("/nonexistent/libnone.so",
					 SOFTHSM_LABEL, fx.hsm.pin_file, &p),
			 EID_EIO);
	assert_int_equal(eid_pkcs11_open(SOFTHSM_MODULE, "no-such-token",
					 fx.hsm.pin_file, &p), EID_ENOTFOUND);
	assert_int_equal(eid_pkcs11_open(SOFTHSM_MODULE, SOFTHSM_LABEL,
					 fx.hsm.bad_pin_file, &p), EID_EAUTH);
	snprintf(loose, sizeof(loose), "%s/loose", fx.hsm.dir);
	f = fopen(loose, "w");
	assert_non_null(f);
	fputs(SOFTHSM_PIN "\n", f);
	fclose(f);
	assert_int_equal(chmod(loose, 0644), 0);
	assert_int_equal(eid_pkcs11_open(SOFTHSM_MODULE, SOFTHSM_LABEL, loose,
					 &p), EID_EPERM);
	assert_null(p);
}

static void *sign_many(void *arg)
{
	const eid_key *pub = arg;
	const char *algs[] = { "ES256", NULL };
	json_t *claims = json_pack("{s:s}", "sub", "x");
	long bad = 0;

	for (int i = 0; i < PER_THREAD; i++) {
		char *jws = NULL;

		json_t *back = NULL;

		if (eid_jws_sign(fx.ec, NULL, claims, &jws) != EID_OK ||
		    eid_jws_verify(jws, strlen(jws), &pub, 1, algs, NULL,
				   &back) != EID_OK)
			bad++;
		json_decref(back);
		free(jws);
	}
	json_decref(claims);
	return (void *)bad;
}

/* Many threads sign with one token key at once: every signature good. */
static void concurrent_signing(void **state)
{
	pthread_t th[THREADS];
	eid_key *pub = public_of(fx.ec);
	void *bad;

	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, sign_many, pub), 0);
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(th[i], &bad), 0);
		assert_int_equal((long)bad, 0);
	}
	eid_key_free(pub);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(not_extractable),
		cmocka_unit_test(jws_es256),
		cmocka_unit_test(jws_rs256),
		cmocka_unit_test(cms_sign_verify),
		cmocka_unit_test(reference_record),
		cmocka_unit_test(concurrent_signing),
		cmocka_unit_test(open_errors),
	};

	if (!softhsm_available()) {
		fprintf(stderr, "softhsm2 is not installed: skipped\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
