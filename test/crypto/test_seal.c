#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "crypto/seal.h"

static const uint8_t key[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
static const uint8_t secret[20] = "twenty-byte-secret!!";

static void seal_blob(const char *aad, eid_buf *b)
{
	eid_buf_init(b, 256);
	assert_int_equal(eid_seal(key, aad, strlen(aad), secret,
				  sizeof(secret), b), EID_OK);
	assert_int_equal(b->len, EID_SEAL_OVERHEAD + sizeof(secret));
}

static void test_round_trip(void **state)
{
	uint8_t out[sizeof(secret)];
	eid_buf a, b;

	(void)state;
	seal_blob("eid totp v1|001090012345", &a);
	seal_blob("eid totp v1|001090012345", &b);
	/* A fresh nonce each time: the same secret never seals the same. */
	assert_memory_not_equal(a.data, b.data, a.len);
	assert_null(memmem(a.data, a.len, secret, sizeof(secret)));
	assert_int_equal(eid_unseal(key, "eid totp v1|001090012345", 24,
				    a.data, a.len, out, sizeof(out)), EID_OK);
	assert_memory_equal(out, secret, sizeof(secret));
	eid_buf_free(&a);
	eid_buf_free(&b);
}

static void test_refusals(void **state)
{
	uint8_t out[sizeof(secret)], other[32] = { 9 };
	const char *aad = "eid totp v1|001090012345";
	eid_buf a;

	(void)state;
	seal_blob(aad, &a);
	/* Another record's associated data, another key. */
	assert_int_equal(eid_unseal(key, "eid totp v1|001090012346", 24,
				    a.data, a.len, out, sizeof(out)),
			 EID_EVERIFY);
	assert_int_equal(eid_unseal(other, aad, strlen(aad), a.data, a.len,
				    out, sizeof(out)), EID_EVERIFY);
	/* Every byte is covered: nonce, ciphertext and tag. */
	for (size_t i = 0; i < a.len; i++) {
		a.data[i] ^= 0x01;
		assert_int_equal(eid_unseal(key, aad, strlen(aad), a.data,
					    a.len, out, sizeof(out)),
				 EID_EVERIFY);
		a.data[i] ^= 0x01;
	}
	assert_int_equal(eid_unseal(key, aad, strlen(aad), a.data, a.len - 1,
				    out, sizeof(out) - 1), EID_EVERIFY);
	assert_int_equal(eid_unseal(key, aad, strlen(aad), a.data, a.len - 1,
				    out, sizeof(out)), EID_EMALFORMED);
	eid_buf_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
