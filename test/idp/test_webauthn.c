/* WebAuthn verification against a software authenticator that builds
 * real CBOR attestation objects and real signatures. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/cbor_util.h"
#include "idp/webauthn.h"
#include "wa_authenticator.h"

#define RP "localhost"
#define ORIGIN "http://localhost:8080"
#define UP EID_WA_FLAG_UP
#define UV EID_WA_FLAG_UV

static const uint8_t challenge[32] = { 7, 7, 7, 1, 2, 3 };

struct cer {
	eid_buf cd, ao;
	struct eid_wa_credential c;
};

static void cer_free(struct cer *c)
{
	eid_buf_free(&c->cd);
	eid_buf_free(&c->ao);
}

/* A registration by a (fmt, flags, its RP ID and origin) checked with
 * our expectations. */
static int reg(struct wa_auth *a, enum wa_fmt fmt, uint8_t flags,
	       const char *type, const char *rp, const char *origin,
	       const uint8_t *ch, struct cer *c)
{
	struct eid_wa_expect x = { RP, ORIGIN, challenge, 32, true };

	eid_buf_init(&c->cd, 4096);
	eid_buf_init(&c->ao, 16384);
	assert_int_equal(wa_client_data(&c->cd, type, ch, 32, origin), 0);
	assert_int_equal(wa_attestation(a, fmt, rp, flags, &c->cd, &c->ao), 0);
	return eid_wa_register(&x, c->cd.data, c->cd.len, c->ao.data,
			       c->ao.len, &c->c);
}

static void register_formats(void **state)
{
	static const struct {
		int alg;
		enum wa_fmt fmt;
		const char *kind;
	} cases[] = {
		{ -7, WA_NONE, "none" },
		{ -7, WA_PACKED_SELF, "packed-self" },
		{ -257, WA_PACKED_SELF, "packed-self" },
		{ -7, WA_PACKED_X5C, "packed-x5c" },
		{ -257, WA_PACKED_X5C, "packed-x5c" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wa_auth a;
		struct cer c;

		assert_int_equal(wa_auth_new(&a, cases[i].alg, NULL), 0);
		assert_int_equal(reg(&a, cases[i].fmt, UP | UV,
				     "webauthn.create", RP, ORIGIN, challenge,
				     &c),
				 EID_OK);
		assert_string_equal(c.c.attestation, cases[i].kind);
		assert_int_equal(c.c.alg, cases[i].alg);
		assert_int_equal(c.c.cred_id_len, sizeof(a.cred_id));
		assert_memory_equal(c.c.cred_id, a.cred_id, sizeof(a.cred_id));
		assert_memory_equal(c.c.aaguid, a.aaguid, 16);
		cer_free(&c);
		wa_auth_free(&a);
	}
}

static void register_refusals(void **state)
{
	static const uint8_t other[32] = { 9 };
	struct wa_auth a;
	struct cer c;

	(void)state;
	assert_int_equal(wa_auth_new(&a, -7, NULL), 0);
	assert_int_equal(reg(&a, WA_NONE, UP | UV, "webauthn.create", RP,
			     "http://evil.example", challenge, &c),
			 EID_EMISMATCH);
	cer_free(&c);
	assert_int_equal(reg(&a, WA_NONE, UP | UV, "webauthn.create",
			     "evil.example", ORIGIN, challenge, &c),
			 EID_EMISMATCH);
	cer_free(&c);
	assert_int_equal(reg(&a, WA_NONE, UP | UV, "webauthn.create", RP,
			     ORIGIN, other, &c),
			 EID_EMISMATCH);
	cer_free(&c);
	assert_int_equal(reg(&a, WA_NONE, UP | UV, "webauthn.get", RP, ORIGIN,
			     challenge, &c),
			 EID_EMISMATCH);
	cer_free(&c);
	/* Registration always asks for user verification. */
	assert_int_equal(reg(&a, WA_NONE, UP, "webauthn.create", RP, ORIGIN,
			     challenge, &c),
			 EID_EAUTH);
	cer_free(&c);
	assert_int_equal(reg(&a, WA_NONE, UV, "webauthn.create", RP, ORIGIN,
			     challenge, &c),
			 EID_EAUTH);
	cer_free(&c);
	wa_auth_free(&a);
	/* An attestation certificate without the required OU. */
	assert_int_equal(wa_auth_new(&a, -7, "Not An Attestation"), 0);
	assert_int_equal(reg(&a, WA_PACKED_X5C, UP | UV, "webauthn.create", RP,
			     ORIGIN, challenge, &c),
			 EID_EVERIFY);
	cer_free(&c);
	wa_auth_free(&a);
}

/* A byte of the signed authenticator data changed after signing. */
static void register_tampered(void **state)
{
	struct eid_wa_expect x = { RP, ORIGIN, challenge, 32, true };
	enum wa_fmt fmts[] = { WA_PACKED_SELF, WA_PACKED_X5C };
	struct eid_wa_credential cred;

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct wa_auth a;
		struct cer c;
		uint8_t h[32] = { 0 };
		uint8_t *p;

		assert_int_equal(wa_auth_new(&a, -7, NULL), 0);
		assert_int_equal(reg(&a, fmts[i], UP | UV, "webauthn.create", RP,
				     ORIGIN, challenge, &c),
				 EID_OK);
		/* The sign count's last byte follows rpIdHash and flags. */
		{
			eid_buf ad;

			eid_buf_init(&ad, 64);
			assert_int_equal(wa_auth_data(&a, RP, UP, &ad), 0);
			memcpy(h, ad.data, 32);
			eid_buf_free(&ad);
		}
		p = memmem(c.ao.data, c.ao.len, h, 32);
		assert_non_null(p);
		p[36] ^= 1;
		assert_int_equal(eid_wa_register(&x, c.cd.data, c.cd.len,
						 c.ao.data, c.ao.len, &cred),
				 EID_EVERIFY);
		cer_free(&c);
		wa_auth_free(&a);
	}
}

static void assertions(void **state)
{
	struct eid_wa_expect x = { RP, ORIGIN, challenge, 32, true };
	struct wa_auth a;
	struct cer c;
	eid_buf cd, ad, sig;
	uint32_t count = 0;
	uint8_t flags = 0;

	(void)state;
	assert_int_equal(wa_auth_new(&a, -257, NULL), 0);
	assert_int_equal(reg(&a, WA_NONE, UP | UV, "webauthn.create", RP,
			     ORIGIN, challenge, &c),
			 EID_OK);
	eid_buf_init(&cd, 4096);
	eid_buf_init(&ad, 4096);
	eid_buf_init(&sig, 1024);
#define ASSERT_ONE(type, rp, origin, fl)                                     \
	do {                                                                 \
		eid_buf_reset(&cd);                                          \
		eid_buf_reset(&ad);                                          \
		eid_buf_reset(&sig);                                         \
		assert_int_equal(wa_client_data(&cd, type, challenge, 32,    \
						origin), 0);                 \
		assert_int_equal(wa_assertion(&a, rp, fl, &cd, &ad, &sig),   \
				 0);                                         \
	} while (0)
#define VERIFY()                                                             \
	eid_wa_assert(&x, c.c.cose_key, c.c.cose_key_len, cd.data, cd.len,   \
		      ad.data, ad.len, sig.data, sig.len, &flags, &count)
	ASSERT_ONE("webauthn.get", RP, ORIGIN, UP | UV);
	assert_int_equal(VERIFY(), EID_OK);
	assert_int_equal(count, 1);
	assert_int_equal(flags & (UP | UV), UP | UV);
	/* Tampered signature; none at all. */
	sig.data[sig.len - 1] ^= 0x55;
	assert_int_equal(VERIFY(), EID_EVERIFY);
	assert_int_equal(eid_wa_assert(&x, c.c.cose_key, c.c.cose_key_len,
				       cd.data, cd.len, ad.data, ad.len, NULL,
				       0, &flags, &count),
			 EID_EMALFORMED);
	ASSERT_ONE("webauthn.get", RP, "http://localhost:9999", UP | UV);
	assert_int_equal(VERIFY(), EID_EMISMATCH);
	ASSERT_ONE("webauthn.get", "example.org", ORIGIN, UP | UV);
	assert_int_equal(VERIFY(), EID_EMISMATCH);
	ASSERT_ONE("webauthn.create", RP, ORIGIN, UP | UV);
	assert_int_equal(VERIFY(), EID_EMISMATCH);
	ASSERT_ONE("webauthn.get", RP, ORIGIN, UP);
	assert_int_equal(VERIFY(), EID_EAUTH);
	x.require_uv = false;
	assert_int_equal(VERIFY(), EID_OK);
	ASSERT_ONE("webauthn.get", RP, ORIGIN, UV);
	assert_int_equal(VERIFY(), EID_EAUTH);
	/* Another challenge than the one issued. */
	ASSERT_ONE("webauthn.get", RP, ORIGIN, UP | UV);
	x.challenge = (const uint8_t *)"0123456789abcdef0123456789abcdef";
	assert_int_equal(VERIFY(), EID_EMISMATCH);
#undef ASSERT_ONE
#undef VERIFY
	eid_buf_free(&cd);
	eid_buf_free(&ad);
	eid_buf_free(&sig);
	cer_free(&c);
	wa_auth_free(&a);
}

#define BAD_B64 \
	"{\"type\":\"webauthn.get\",\"challenge\":\"a+b\",\"origin\":\"x\"}"
#define BAD_CO                                                           \
	"{\"type\":\"webauthn.get\",\"challenge\":\"AAAA\",\"origin\":\"x\"," \
	"\"crossOrigin\":\"no\"}"

static void parse_errors(void **state)
{
	struct eid_wa_client_data cd;
	struct eid_wa_auth_data ad;
	uint8_t raw[40] = { 0 };

	(void)state;
	assert_int_equal(eid_wa_client_data_parse((const uint8_t *)"[]", 2,
						  &cd),
			 EID_EMALFORMED);
	assert_int_equal(eid_wa_client_data_parse((const uint8_t *)BAD_B64,
						  strlen(BAD_B64), &cd),
			 EID_EMALFORMED);
	assert_int_equal(eid_wa_client_data_parse((const uint8_t *)BAD_CO,
						  strlen(BAD_CO), &cd),
			 EID_EMALFORMED);
	assert_int_equal(eid_wa_client_data_parse(NULL, 0, &cd),
			 EID_EMALFORMED);
	assert_int_equal(eid_wa_auth_data_parse(NULL, 0, &ad),
			 EID_ETRUNCATED);
	assert_int_equal(eid_wa_auth_data_parse(raw, 36, &ad),
			 EID_ETRUNCATED);
	assert_int_equal(eid_wa_auth_data_parse(raw, 37, &ad), EID_OK);
	/* Trailing bytes without ED. */
	assert_int_equal(eid_wa_auth_data_parse(raw, 40, &ad),
			 EID_EMALFORMED);
	/* CBOR whose heads announce more than the input holds, nests too
	 * deep, or has indefinite lengths: refused before libcbor builds it
	 * (a map of 2^32 entries made it allocate 128 GiB, found by
	 * fuzz_webauthn_attestation). */
	{
		static const uint8_t huge_map[] = { 0xba, 0xff, 0xff, 0xff, 0xff, 0x01 };
		static const uint8_t huge_arr[] = { 0x9b, 0xff, 0xff, 0xff, 0xff,
						    0xff, 0xff, 0xff, 0xff, 0x01 };
		static const uint8_t indef[] = { 0xbf, 0x01, 0x02, 0xff };
		uint8_t deep[EID_CBOR_MAX_DEPTH + 2];
		EVP_PKEY *key = NULL;
		cbor_item_t *it = NULL;
		size_t len;
		int alg;

		memset(deep, 0x81, sizeof(deep)); /* [[[[...]]]] */
		deep[sizeof(deep) - 1] = 0x01;
		assert_int_equal(eid_cose_key_parse(huge_map, sizeof(huge_map),
						    &len, &alg, &key),
				 EID_EMALFORMED);
		assert_int_equal(eid_cose_key_parse(huge_arr, sizeof(huge_arr),
						    &len, &alg, &key),
				 EID_EMALFORMED);
		assert_int_equal(eid_cose_key_parse(indef, sizeof(indef), &len,
						    &alg, &key),
				 EID_EMALFORMED);
		assert_int_equal(eid_cbor_load_all(deep, sizeof(deep), 64, &it),
				 EID_EMALFORMED);
		/* One level less is CBOR we read. */
		assert_int_equal(eid_cbor_load_all(deep + 1, sizeof(deep) - 1,
						   64, &it),
				 EID_OK);
		cbor_decref(&it);
	}
	/* AT with a credential id of length 0. */
	raw[32] = EID_WA_FLAG_AT;
	assert_int_equal(eid_wa_auth_data_parse(raw, 37, &ad),
			 EID_ETRUNCATED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(register_formats),
		cmocka_unit_test(register_refusals),
		cmocka_unit_test(register_tampered),
		cmocka_unit_test(assertions),
		cmocka_unit_test(parse_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
