/* SecurityInfos: the ICAO worked example's EF.CardAccess, every kind of
 * info this code reads, DG14 as the LDS encoder makes it, the choice of a
 * PACE protocol, and strict DER. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "chip/cardaccess.h"
#include "chip/lds.h"
#include "chip/pace.h"
#include "chip/tlv.h"
#include "chiptest.h"
#include "crypto/error.h"

/* ICAO 9303 Part 11 Appendix G: id-PACE-ECDH-GM-AES-CBC-CMAC-128, version
 * 2, brainpoolP256r1. */
#define ICAO_CARD_ACCESS "31143012060A04007F0007020204020202010202010D"
/* DH-GM-AES-128 on group 0, then ECDH-GM-3DES on P-256. */
#define TWO_PACE "31283012060A04007F00070202040102020102020100" \
	"3012060A04007F0007020204020102010202010C"
/* A PACEInfo without parameterId and a PACEDomainParameterInfo. */
#define PACE_DP "312C300F060A04007F000702020402020201023019060904007F000702" \
	"020402300906072A8648CE3D0201020101"
/* ActiveAuthenticationInfo (ecdsa-with-SHA256), ChipAuthenticationInfo
 * (ECDH, AES-128, keyId 1). */
#define AA_CA "312B3015060667810801010502010106082A8648CE3D0403023012060A04" \
	"007F00070202030202020101020101"
/* TerminalAuthenticationInfo: not ours. */
#define OTHER "3111300F060A04007F00070202020201020101"

/* What si borrows stays in store until the next call. */
static uint8_t store[512];

static int parse_hex(const char *s, struct eid_security_infos *si)
{
	return eid_security_infos_parse(store, hex(s, store, sizeof(store)), si);
}

static void test_icao_example(void **state)
{
	struct eid_security_infos si;
	struct eid_pace_info info;
	eid_buf want, out;

	(void)state;
	hexbuf(ICAO_CARD_ACCESS, &want);
	assert_int_equal(eid_security_infos_parse(want.data, want.len, &si), EID_OK);
	assert_int_equal(si.npace, 1);
	assert_int_equal(si.pace[0].ka, EID_KA_ECDH);
	assert_int_equal(si.pace[0].mapping, EID_PACE_GM);
	assert_int_equal(si.pace[0].alg, EID_SM_AES);
	assert_int_equal(si.pace[0].keylen, 16);
	assert_int_equal(si.pace[0].version, 2);
	assert_int_equal(si.pace[0].param_id, 13);
	assert_int_equal(si.nca + si.nca_pk + si.npace_dp + si.nother, 0);
	assert_false(si.has_aa);

	/* The encoder makes the same file from the same facts. */
	assert_int_equal(eid_pace_info_set(&info, EID_KA_ECDH, EID_SM_AES, 16, 13),
			 EID_OK);
	eid_buf_init(&out, 256);
	assert_int_equal(eid_cardaccess_encode(&info, 1, &out), EID_OK);
	assert_int_equal(out.len, want.len);
	assert_memory_equal(out.data, want.data, want.len);
	eid_buf_free(&out);
	eid_buf_free(&want);
}

static void test_kinds(void **state)
{
	struct eid_security_infos si;
	static const uint8_t ecdsa_sha256[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d,
						0x04, 0x03, 0x02 };

	(void)state;
	assert_int_equal(parse_hex(TWO_PACE, &si), EID_OK);
	assert_int_equal(si.npace, 2);
	assert_int_equal(si.pace[0].ka, EID_KA_DH);
	assert_int_equal(si.pace[0].param_id, 0);
	assert_int_equal(si.pace[1].alg, EID_SM_3DES);
	assert_int_equal(si.pace[1].param_id, 12);

	assert_int_equal(parse_hex(PACE_DP, &si), EID_OK);
	assert_int_equal(si.npace, 1);
	assert_int_equal(si.pace[0].param_id, -1);
	assert_int_equal(si.npace_dp, 1);
	assert_int_equal(si.pace_dp[0].ka, EID_KA_ECDH);
	assert_int_equal(si.pace_dp[0].param_id, 1);
	assert_int_equal(si.pace_dp[0].alg_id_len, 11);
	assert_int_equal(si.pace_dp[0].alg_id[0], 0x30);

	assert_int_equal(parse_hex(AA_CA, &si), EID_OK);
	assert_true(si.has_aa);
	assert_int_equal(si.aa.version, 1);
	assert_int_equal(si.aa.sig_alg.len, sizeof(ecdsa_sha256));
	assert_memory_equal(si.aa.sig_alg.v, ecdsa_sha256, sizeof(ecdsa_sha256));
	assert_int_equal(si.nca, 1);
	assert_int_equal(si.ca[0].ka, EID_KA_ECDH);
	assert_int_equal(si.ca[0].alg, EID_SM_AES);
	assert_int_equal(si.ca[0].version, 1);
	assert_int_equal(si.ca[0].key_id, 1);

	assert_int_equal(parse_hex(OTHER, &si), EID_OK);
	assert_int_equal(si.nother, 1);
	assert_int_equal(si.npace, 0);
}

/* DG14 as chip/lds.c encodes it: the CA key and its info. */
static void test_dg14(void **state)
{
	struct eid_security_infos si;
	struct eid_lds_dg14 d;
	EVP_PKEY *key = EVP_EC_gen("brainpoolP256r1");
	eid_buf b;

	(void)state;
	assert_non_null(key);
	eid_buf_init(&b, 4096);
	assert_int_equal(eid_lds_dg14_encode_ca(key, &b), EID_OK);
	assert_int_equal(eid_lds_dg14_parse(b.data, b.len, &d), EID_OK);
	assert_int_equal(eid_security_infos_parse(d.security_infos,
						  d.security_infos_len, &si),
			 EID_OK);
	assert_int_equal(si.nca_pk, 1);
	assert_int_equal(si.ca_pk[0].ka, EID_KA_ECDH);
	assert_int_equal(si.ca_pk[0].key_id, -1);
	assert_int_equal(si.ca_pk[0].spki_len, d.ca_spki_len);
	assert_memory_equal(si.ca_pk[0].spki, d.ca_spki, d.ca_spki_len);
	assert_int_equal(si.nca, 1);
	assert_int_equal(si.ca[0].version, 1);
	eid_lds_dg14_clear(&d);
	eid_buf_free(&b);
	EVP_PKEY_free(key);
}

static void test_choose(void **state)
{
	struct eid_security_infos si;
	const struct eid_pace_info *best;
	bool ambiguous;

	(void)state;
	assert_int_equal(parse_hex(TWO_PACE, &si), EID_OK);
	assert_int_equal(eid_pace_choose(&si, &best, &ambiguous), EID_OK);
	assert_ptr_equal(best, &si.pace[1]); /* ECDH over DH */
	assert_false(ambiguous);
	/* The same OID twice, with two parameter sets. */
	si.pace[0] = si.pace[1];
	si.pace[0].param_id = 13;
	assert_int_equal(eid_pace_choose(&si, &best, &ambiguous), EID_OK);
	assert_true(ambiguous);
	/* Without a standardized parameter id nothing runs. */
	assert_int_equal(parse_hex(PACE_DP, &si), EID_OK);
	assert_int_equal(eid_pace_choose(&si, &best, &ambiguous), EID_ENOTFOUND);
}

static void test_strict_der(void **state)
{
	static const char *const bad[] = {
		/* long-form length for a short one */
		"318114" "3012060A04007F0007020204020202010202010D",
		/* INTEGER with a needless leading zero */
		"31153013060A04007F000702020402020202000202010D",
		/* negative version */
		"31143012060A04007F00070202040202020180" "02010D",
		/* a byte after the version and parameter id */
		"31173015060A04007F0007020204020202010202010D050000",
		/* trailing bytes after the SET */
		ICAO_CARD_ACCESS "00",
		/* an OID with a 0x80 padding byte */
		"3115" "3013060B04007F000702020480040202020102" "01",
		/* a SEQUENCE instead of the SET */
		"30143012060A04007F0007020204020202010202010D",
		/* two ActiveAuthenticationInfos */
		"312A" "3015060667810801010502010106082A8648CE3D040302"
		"3011060667810801010502010106042A864801",
	};
	struct eid_security_infos si;
	eid_buf b;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(parse_hex(bad[i], &si), EID_OK);
	/* Truncated anywhere. */
	hexbuf(AA_CA, &b);
	for (size_t n = 0; n < b.len; n++)
		assert_int_not_equal(eid_security_infos_parse(b.data, n, &si), EID_OK);
	eid_buf_free(&b);
}

static void test_limits(void **state)
{
	struct eid_pace_info infos[EID_SI_MAX + 1];
	struct eid_security_infos si;
	eid_buf b;

	(void)state;
	for (size_t i = 0; i < EID_SI_MAX + 1; i++)
		assert_int_equal(eid_pace_info_set(&infos[i], EID_KA_ECDH,
						   EID_SM_AES, 32, 8 + (int)i),
				 EID_OK);
	eid_buf_init(&b, 4096);
	assert_int_equal(eid_cardaccess_encode(infos, EID_SI_MAX + 1, &b),
			 EID_EINVAL);
	assert_int_equal(eid_cardaccess_encode(infos, EID_SI_MAX, &b), EID_OK);
	assert_int_equal(eid_security_infos_parse(b.data, b.len, &si), EID_OK);
	assert_int_equal(si.npace, EID_SI_MAX);
	assert_int_equal(si.pace[EID_SI_MAX - 1].keylen, 32);
	/* One more PACEInfo than fits: the SET grows by one element. */
	{
		eid_buf one, set;
		eid_buf_init(&one, 256);
		eid_buf_init(&set, 4096);
		assert_int_equal(eid_cardaccess_encode(infos, 1, &one), EID_OK);
		/* Splice: the first element of one, then all of b's. */
		assert_int_equal(eid_buf_put(&set, one.data + 2, one.len - 2), EID_OK);
		assert_int_equal(eid_buf_put(&set, b.data + 3, b.len - 3), EID_OK);
		eid_buf_reset(&b);
		assert_int_equal(eid_tlv_put(&b, 0x31, set.data, set.len), EID_OK);
		assert_int_equal(eid_security_infos_parse(b.data, b.len, &si),
				 EID_ETOOBIG);
		eid_buf_free(&one);
		eid_buf_free(&set);
	}
	assert_int_equal(eid_pace_info_set(&infos[0], EID_KA_ECDH, EID_SM_3DES,
					   24, 13), EID_EINVAL);
	eid_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_icao_example),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_dg14),
		cmocka_unit_test(test_choose),
		cmocka_unit_test(test_strict_der),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
