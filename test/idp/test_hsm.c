/* The keyring and the CA with keys in a SoftHSM2 token: rotation into the
 * token, a signer that signs with it, a CA whose certificates and CRLs the
 * token signs, and the refusals when the token does not match the store.
 * Skipped (exit 77) only when softhsm2 is not installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/x509.h>

#include "crypto/error.h"
#include "crypto/pkcs11.h"
#include "idp/ca.h"
#include "idp/signing.h"
#include "test/crypto/softhsm_fixture.h"
#include "tmpstore.h"

#define NOW ((uint64_t)TMPSTORE_NOW)
#define URL "https://id.example.vn"
#define PID "001099012345"

static const uint8_t kek[32] = { 7 };
static struct softhsm hsm;
static eid_pkcs11 *p11;

static int group_setup(void **state)
{
	assert_true(softhsm_setup(&hsm));
	assert_int_equal(eid_pkcs11_open(SOFTHSM_MODULE, SOFTHSM_LABEL,
					 hsm.pin_file, &p11), EID_OK);
	return 0;
}

static int group_teardown(void **state)
{
	eid_pkcs11_close(p11);
	softhsm_teardown(&hsm);
	return 0;
}

static void keyring_in_token(void **state)
{
	struct tmpstore *ts = *state;
	char kid[EID_KID_MAX + 1];
	struct eid_key_info *keys = NULL;
	json_t *claims = json_pack("{s:s}", "sub", "x"), *h = NULL, *c = NULL;
	eid_signer *sg = NULL;
	char *jws = NULL;
	size_t n = 0;

	assert_int_equal(eid_signing_rotate_pkcs11(ts->store, kek, p11,
						   EID_ALG_ES256, NOW, 0, 3600,
						   kid), EID_OK);
	assert_int_equal(eid_signing_list(ts->store, NOW, 3600, &keys, &n),
			 EID_OK);
	assert_int_equal(n, 1);
	assert_true(keys[0].in_token);
	assert_string_equal(keys[0].kid, kid);
	free(keys);
	/* Without the token the keyring does not open. */
	assert_int_equal(eid_signer_open(ts->store, kek, 3600, &sg),
			 EID_ESTATE);
	assert_int_equal(eid_signer_open_pkcs11(ts->store, kek, p11, 3600, &sg),
			 EID_OK);
	assert_int_equal(eid_signer_sign(sg, "JWT", claims, &jws), EID_OK);
	assert_int_equal(eid_signer_verify(sg, jws, strlen(jws), &h, &c),
			 EID_OK);
	assert_string_equal(json_string_value(json_object_get(h, "kid")), kid);
	free(jws);
	json_decref(h);
	json_decref(c);
	json_decref(claims);
	eid_signer_close(sg);
}

static void ca_in_token(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_citizen cz;
	eid_citizen_cert *cc = NULL;
	eid_ca *ca = NULL, *pub = NULL;
	X509_CRL *crl;
	eid_buf der;
	const unsigned char *p;

	assert_int_equal(eid_ca_init_pkcs11(ts->store, kek, p11, EID_ALG_ES256,
					    EID_CA_DEFAULT_SUBJECT, 3650),
			 EID_OK);
	assert_int_equal(eid_ca_load_public(ts->store, &pub), EID_OK);
	assert_true(eid_ca_key_in_token(pub));
	assert_int_equal(eid_ca_load(ts->store, kek, URL, &ca), EID_ESTATE);
	assert_int_equal(eid_ca_load_pkcs11(ts->store, kek, p11, URL, &ca),
			 EID_OK);
	/* A citizen certificate issued by the token's key. */
	eid_citizen_init(&cz);
	strcpy(cz.personal_id, PID);
	strcpy(cz.full_name, "Tran Thi Binh");
	cz.card_expires = (struct eid_date){ 2035, 1, 1 };
	assert_int_equal(eid_citizen_cert_ensure(ts->store, kek, ca, &cz, NOW,
						 &cc), EID_OK);
	assert_int_equal(X509_verify(eid_citizen_cert_x509(cc),
				     X509_get0_pubkey(eid_ca_cert(pub))), 1);
	/* And a CRL. */
	eid_buf_init(&der, 1 << 20);
	assert_int_equal(eid_ca_crl(ts->store, ca, NOW, NOW + 86400, &der),
			 EID_OK);
	p = der.data;
	crl = d2i_X509_CRL(NULL, &p, (long)der.len);
	assert_non_null(crl);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(eid_ca_cert(pub))),
			 1);
	X509_CRL_free(crl);
	eid_buf_free(&der);
	eid_citizen_cert_free(cc);
	eid_ca_free(ca);
	eid_ca_free(pub);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(keyring_in_token,
						tmpstore_setup,
						tmpstore_teardown),
		cmocka_unit_test_setup_teardown(ca_in_token, tmpstore_setup,
						tmpstore_teardown),
	};

	if (!softhsm_available()) {
		fprintf(stderr, "softhsm2 is not installed: skipped\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
