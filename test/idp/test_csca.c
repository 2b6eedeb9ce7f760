/* The stored CSCA certificates: put (CA only, once per DER), each, and
 * loading into a Passive Authentication store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <openssl/x509.h>

#include "chip/issuer.h"
#include "crypto/error.h"
#include "idp/csca.h"
#include "tmpstore.h"

static size_t cert_der(bool ca, uint8_t **ret)
{
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	unsigned char *der = NULL;
	int n;

	assert_int_equal(eid_issuer_keygen(EID_ISSUER_KEY_P256, &key), EID_OK);
	assert_int_equal(eid_issuer_cert("test", key, NULL, NULL, 0, 86400, 7,
					 ca, &x), EID_OK);
	n = i2d_X509(x, &der);
	assert_true(n > 0);
	X509_free(x);
	EVP_PKEY_free(key);
	*ret = der;
	return (size_t)n;
}

static int count(const uint8_t *der, size_t n, void *arg)
{
	(void)der;
	(void)n;
	(*(size_t *)arg)++;
	return EID_OK;
}

static void put_and_load(void **state)
{
	struct tmpstore *ts = *state;
	uint8_t *ca, *leaf;
	size_t ca_len = cert_der(true, &ca), leaf_len = cert_der(false, &leaf);
	eid_csca_store *store = NULL;
	eid_txn *t = NULL;
	size_t n = 0;
	bool added;

	assert_int_equal(eid_store_begin(ts->store, true, &t), EID_OK);
	assert_int_equal(eid_csca_put(t, ca, ca_len, &added), EID_OK);
	assert_true(added);
	assert_int_equal(eid_csca_put(t, ca, ca_len, &added), EID_OK);
	assert_false(added);
	assert_int_equal(eid_csca_put(t, leaf, leaf_len, &added), EID_EINVAL);
	assert_int_equal(eid_csca_put(t, ca, ca_len - 1, &added), EID_EMALFORMED);
	assert_int_equal(eid_csca_each(t, count, &n), EID_OK);
	assert_int_equal(n, 1);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	assert_int_equal(eid_csca_open(ts->store, &store, &n), EID_OK);
	assert_int_equal(n, 1);
	assert_int_equal(eid_csca_store_count(store), 1);
	eid_csca_store_free(store);
	OPENSSL_free(ca);
	OPENSSL_free(leaf);
}

/* The server's cache reloads after an import and keeps old snapshots
 * alive for their users. */
static void cache_reloads(void **state)
{
	struct tmpstore *ts = *state;
	eid_csca_cache *c = NULL;
	const eid_csca_store *st1 = NULL, *st2 = NULL, *st3 = NULL;
	eid_csca_snap *s1 = NULL, *s2 = NULL, *s3 = NULL;
	uint8_t *ca;
	size_t ca_len = cert_der(true, &ca);
	uint64_t gen = 7;
	eid_txn *t = NULL;
	bool added;

	assert_int_equal(eid_csca_cache_new(ts->store, &c), EID_OK);
	assert_int_equal(eid_csca_cache_acquire(c, &st1, &s1), EID_OK);
	assert_int_equal(eid_csca_store_count(st1), 0);
	assert_int_equal(eid_store_begin(ts->store, true, &t), EID_OK);
	assert_int_equal(eid_csca_generation(t, &gen), EID_OK);
	assert_int_equal(gen, 0);
	assert_int_equal(eid_csca_put(t, ca, ca_len, &added), EID_OK);
	assert_int_equal(eid_csca_generation(t, &gen), EID_OK);
	assert_int_equal(gen, 1);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	assert_int_equal(eid_csca_cache_acquire(c, &st2, &s2), EID_OK);
	assert_int_equal(eid_csca_store_count(st2), 1);
	assert_int_equal(eid_csca_store_count(st1), 0); /* still usable */
	assert_int_equal(eid_csca_cache_acquire(c, &st3, &s3), EID_OK);
	assert_ptr_equal(st2, st3); /* no change, no reload */
	eid_csca_cache_release(c, s1);
	eid_csca_cache_release(c, s2);
	eid_csca_cache_release(c, s3);
	eid_csca_cache_free(c);
	OPENSSL_free(ca);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(cache_reloads, tmpstore_setup,
						tmpstore_teardown),
		cmocka_unit_test_setup_teardown(put_and_load, tmpstore_setup,
						tmpstore_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
