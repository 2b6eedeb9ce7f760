#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/rsa.h>

#include "chip/aa.h"
#include "crypto/error.h"
#include "pki.h"

struct fixture {
	EVP_PKEY *rsa1024, *rsa2048, *p256, *bp256, *p384;
};

static const uint8_t challenge[EID_AA_CHALLENGE_LEN] = {
	0x47, 0x11, 0x08, 0x15, 0xde, 0xad, 0xbe, 0xef
};

static EVP_PKEY *ec(const char *group)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	f->rsa1024 = pki_key("rsa1024");
	f->rsa2048 = pki_key("rsa2048");
	f->p256 = pki_key("p256");
	f->bp256 = ec("brainpoolP256r1");
	f->p384 = ec("secp384r1");
	*state = f;
	return f->rsa1024 && f->rsa2048 && f->p256 && f->bp256 && f->p384 ?
		       0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	EVP_PKEY_free(f->rsa1024);
	EVP_PKEY_free(f->rsa2048);
	EVP_PKEY_free(f->p256);
	EVP_PKEY_free(f->bp256);
	EVP_PKEY_free(f->p384);
	free(f);
	return 0;
}

/* Sign on the card side, verify on the server side, then break each input
 * in turn. */
static void round_trip(EVP_PKEY *key, EVP_PKEY *other, const EVP_MD *md,
		       size_t want_len)
{
	uint8_t wrong[EID_AA_CHALLENGE_LEN];
	eid_buf sig;

	eid_buf_init(&sig, EID_AA_MAX_SIG);
	assert_int_equal(eid_aa_sign(key, challenge, md, &sig), EID_OK);
	assert_int_equal(sig.len, want_len);
	assert_int_equal(eid_aa_verify(key, challenge, sig.data, sig.len, md),
			 EID_OK);

	memcpy(wrong, challenge, sizeof(wrong));
	wrong[7] ^= 1;
	assert_int_equal(eid_aa_verify(key, wrong, sig.data, sig.len, md),
			 EID_EVERIFY);
	assert_int_equal(eid_aa_verify(other, challenge, sig.data, sig.len, md),
			 EID_EVERIFY);
	assert_int_equal(eid_aa_verify(key, challenge, sig.data, sig.len - 1,
				       md), EID_EVERIFY);
	sig.data[sig.len / 2] ^= 0x04;
	assert_int_equal(eid_aa_verify(key, challenge, sig.data, sig.len, md),
			 EID_EVERIFY);
	eid_buf_free(&sig);
}

static void test_rsa_iso9796(void **state)
{
	struct fixture *f = *state;
	const EVP_MD *mds[] = { NULL, EVP_sha1(), EVP_sha224(), EVP_sha256(),
				EVP_sha384(), EVP_sha512() };

	for (size_t i = 0; i < sizeof(mds) / sizeof(mds[0]); i++) {
		round_trip(f->rsa1024, f->rsa2048, mds[i], 128);
		round_trip(f->rsa2048, f->rsa1024, mds[i], 256);
	}
}

static void test_ecdsa_plain(void **state)
{
	struct fixture *f = *state;

	round_trip(f->p256, f->bp256, NULL, 64);
	round_trip(f->p256, f->bp256, EVP_sha256(), 64);
	round_trip(f->p256, f->p384, EVP_sha1(), 64);
	round_trip(f->bp256, f->p256, EVP_sha256(), 64);
	round_trip(f->bp256, f->p256, EVP_sha512(), 64);
	round_trip(f->p384, f->p256, NULL, 96);
	round_trip(f->p384, f->p256, EVP_sha224(), 96);
}

/* The hash is part of what the verifier is told (DG14): a different one
 * does not verify, an unlisted one is refused. */
static void test_ecdsa_hash_choice(void **state)
{
	struct fixture *f = *state;
	const EVP_MD *md = NULL;
	eid_buf sig;

	eid_buf_init(&sig, EID_AA_MAX_SIG);
	assert_int_equal(eid_aa_sign(f->p256, challenge, EVP_sha384(), &sig),
			 EID_OK);
	assert_int_equal(eid_aa_verify(f->p256, challenge, sig.data, sig.len,
				       EVP_sha256()), EID_EVERIFY);
	assert_int_equal(eid_aa_verify(f->p256, challenge, sig.data, sig.len,
				       NULL), EID_EVERIFY);
	assert_int_equal(eid_aa_verify(f->p256, challenge, sig.data, sig.len,
				       EVP_md5()), EID_EUNSUPPORTED);
	assert_int_equal(eid_aa_sign(f->p256, challenge, EVP_md5(), &sig),
			 EID_EUNSUPPORTED);

	assert_int_equal(eid_aa_ecdsa_md_from_oid("0.4.0.127.0.7.1.1.4.1.4",
						  &md), EID_OK);
	assert_ptr_equal(md, EVP_sha384());
	assert_int_equal(eid_aa_verify(f->p256, challenge, sig.data, sig.len,
				       md), EID_OK);
	assert_int_equal(eid_aa_ecdsa_md_from_oid("1.2.3", &md),
			 EID_EUNSUPPORTED);
	eid_buf_free(&sig);
}

/* Raw RSA on a message representative we lay out by hand, the way other
 * cards may: with BB..BA padding, or with full recovery. */
static void raw_sign(EVP_PKEY *key, const uint8_t *m, size_t k, uint8_t *sig)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	size_t len = k;

	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING), 1);
	assert_int_equal(EVP_PKEY_sign(ctx, sig, &len, m, k), 1);
	assert_int_equal(len, k);
	EVP_PKEY_CTX_free(ctx);
}

static void layout(uint8_t *m, size_t k, uint8_t header, size_t pad,
		   const EVP_MD *md)
{
	size_t m1 = 1 + pad, m1_len = k - m1 - 20 - 1;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	memset(m, 0x5a, k);
	m[0] = header;
	if (pad > 0) {
		memset(m + 1, 0xbb, pad - 1);
		m[pad] = 0xba;
	}
	assert_true(EVP_DigestInit_ex(ctx, md, NULL));
	assert_true(EVP_DigestUpdate(ctx, m + m1, m1_len));
	assert_true(EVP_DigestUpdate(ctx, challenge, sizeof(challenge)));
	assert_true(EVP_DigestFinal_ex(ctx, m + k - 21, NULL));
	m[k - 1] = 0xbc;
	EVP_MD_CTX_free(ctx);
}

static void test_rsa_layouts(void **state)
{
	struct fixture *f = *state;
	uint8_t m[128], sig[128];

	layout(m, sizeof(m), 0x6b, 5, EVP_sha1());
	raw_sign(f->rsa1024, m, sizeof(m), sig);
	assert_int_equal(eid_aa_verify(f->rsa1024, challenge, sig, sizeof(sig),
				       NULL), EID_OK);

	/* Padding that does not end in BA. */
	m[5] = 0xbb;
	raw_sign(f->rsa1024, m, sizeof(m), sig);
	assert_int_equal(eid_aa_verify(f->rsa1024, challenge, sig, sizeof(sig),
				       NULL), EID_EVERIFY);

	/* Full recovery (4A) leaves no room for the challenge: refused. */
	layout(m, sizeof(m), 0x4a, 0, EVP_sha1());
	raw_sign(f->rsa1024, m, sizeof(m), sig);
	assert_int_equal(eid_aa_verify(f->rsa1024, challenge, sig, sizeof(sig),
				       NULL), EID_EVERIFY);

	/* An unknown explicit trailer. */
	layout(m, sizeof(m), 0x6a, 0, EVP_sha1());
	m[126] = 0x31;
	m[127] = 0xcc;
	raw_sign(f->rsa1024, m, sizeof(m), sig);
	assert_int_equal(eid_aa_verify(f->rsa1024, challenge, sig, sizeof(sig),
				       NULL), EID_EVERIFY);

	/* A value above the modulus is no signature. */
	memset(sig, 0xff, sizeof(sig));
	assert_int_equal(eid_aa_verify(f->rsa1024, challenge, sig, sizeof(sig),
				       NULL), EID_EVERIFY);
}

static void test_arguments(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	uint8_t sig[64] = { 0 };
	eid_buf b;

	eid_buf_init(&b, EID_AA_MAX_SIG);
	assert_non_null(ed);
	assert_int_equal(eid_aa_verify(ed, challenge, sig, sizeof(sig), NULL),
			 EID_EUNSUPPORTED);
	assert_int_equal(eid_aa_sign(ed, challenge, NULL, &b), EID_EUNSUPPORTED);
	assert_int_equal(eid_aa_verify(NULL, challenge, sig, 1, NULL),
			 EID_EINVAL);
	assert_int_equal(eid_aa_verify(f->p256, challenge, NULL, 0, NULL),
			 EID_EVERIFY);
	assert_int_equal(b.len, 0);
	EVP_PKEY_free(ed);
	eid_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsa_iso9796),
		cmocka_unit_test(test_ecdsa_plain),
		cmocka_unit_test(test_ecdsa_hash_choice),
		cmocka_unit_test(test_rsa_layouts),
		cmocka_unit_test(test_arguments),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
