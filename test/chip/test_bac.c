/* BAC against ICAO 9303 Part 11 Appendix D.2 and D.3, and the whole worked
 * example (D.3 then D.4) through the reader, byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "chip/bac.h"
#include "chip/reader.h"
#include "chiptest.h"
#include "crypto/error.h"

#define MRZ_INFO "L898902C<369080619406236"
#define KSEED "239AB9CB282DAF66231DC5A4DF6BFBAE"
#define KENC "AB94FDECF2674FDFB9B391F85D7F76F2"
#define KMAC "7962D9ECE03D1ACD4C76089DCE131543"
#define RND_IC "4608F91988702212"
#define RND_IFD "781723860C06C226"
#define K_IFD "0B795240CB7049B01C19B33E32804F0B"
#define K_IC "0B4F80323EB3191CB04970CB4052790B"
#define EXT_AUTH_CMD "0082000028" \
	"72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2" \
	"5F1448EEA8AD90A728"
#define EXT_AUTH_RESP \
	"46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F" \
	"2F2D235D074D7449"

static void expect_hex(const uint8_t *p, size_t n, const char *want)
{
	uint8_t w[64];

	assert_int_equal(hex(want, w, sizeof(w)), n);
	assert_memory_equal(p, w, n);
}

static void test_keys_from_mrz(void **state)
{
	struct eid_bac_keys k;
	struct eid_symkey enc;
	uint8_t md[20];
	char kenc[33], kmac[33];

	/* D.2: Kseed is the first half of SHA-1 over the MRZ information,
	 * and Kenc comes from it through the KDF with counter 1. */
	assert_int_equal(EVP_Digest(MRZ_INFO, strlen(MRZ_INFO), md, NULL,
				    EVP_sha1(), NULL), 1);
	expect_hex(md, 16, KSEED);
	assert_int_equal(eid_smcrypto_kdf(EID_SM_3DES, 16, md, 16, 1, &enc), EID_OK);
	expect_hex(enc.key, 16, KENC);
	eid_symkey_wipe(&enc);

	assert_int_equal(eid_bac_keys_from_mrz_info(MRZ_INFO, &k), EID_OK);
	expect_hex(k.kenc, 16, KENC);
	expect_hex(k.kmac, 16, KMAC);
	eid_bac_keys_wipe(&k);

	assert_int_equal(eid_bac_keys_hex(MRZ_INFO, kenc, kmac), EID_OK);
	assert_string_equal(kenc, KENC);
	assert_string_equal(kmac, KMAC);
}

static void test_mrz_info_rejected(void **state)
{
	static const char *const bad[] = {
		"L898902C<369080619406235",  /* expiry check digit */
		"L898902C<369080619406226",  /* birth date check digit */
		"L898902C<469080619406236",  /* document number check digit */
		"L898902C<36908061940623",   /* too short */
		"l898902C<369080619406236",  /* lower case */
		"L898902C 369080619406236",  /* space */
		"L898902C<3690806194062361234567890123456789", /* too long */
		"",
	};
	struct eid_bac_keys k;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(eid_bac_keys_from_mrz_info(bad[i], &k), EID_EINVAL);
	assert_int_equal(eid_bac_keys_from_mrz_info(NULL, &k), EID_EINVAL);
	/* A 12-character document number (it continues in the optional data
	 * of a TD1 MRZ) with its check digit: weights 7,3,1 give 2. */
	assert_int_equal(eid_bac_keys_from_mrz_info("1234567890125" "6908061940623" "6", &k),
			 EID_EINVAL);
	assert_int_equal(eid_bac_keys_from_mrz_info("1234567890122" "6908061940623" "6", &k),
			 EID_OK);
	eid_bac_keys_wipe(&k);
}

static void load_terminal_rnd(struct fixed_rnd *f)
{
	f->n = hex(RND_IFD K_IFD, f->bytes, sizeof(f->bytes));
	f->pos = 0;
}

/* D.3 then D.4 as one transcript: the reader must send exactly these. */
static const char *const worked_cmds[] = {
	"0084000008",
	EXT_AUTH_CMD,
	"0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800",
	"0CB000000D9701048E08ED6705417E96BA5500",
	"0CB000040D9701128E082EA28A70F3C7B53500",
};
static const char *const worked_resps[] = {
	RND_IC "9000",
	EXT_AUTH_RESP "9000",
	"990290008E08FA855A5D4C50A8ED9000",
	"8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000",
	"871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A99029000"
	"8E08C8B2787EAEA07D749000",
};

static void test_icao_worked_example(void **state)
{
	struct eid_reader_opts header_first = { .header_first = true };
	struct script s = { worked_cmds, worked_resps, 5, 0 };
	struct eid_transport t;
	struct eid_bac_keys keys;
	struct fixed_rnd rnd;
	struct eid_reader_stats st;
	eid_reader *rd = NULL;
	eid_sm *sm = NULL;
	uint8_t ssc[16];
	eid_buf file;

	eid_transport_init_callback(&t, script_transmit, &s);
	load_terminal_rnd(&rnd);
	assert_int_equal(eid_bac_keys_from_mrz_info(MRZ_INFO, &keys), EID_OK);
	/* The example's terminal reads the 4-byte header first. */
	assert_int_equal(eid_reader_new(&t, &header_first, &rd), EID_OK);
	assert_int_equal(eid_bac_authenticate(eid_reader_transport(rd), &keys,
					      fixed_random, &rnd, &sm), EID_OK);
	assert_int_equal(eid_sm_ssc(sm, ssc), 8);
	expect_hex(ssc, 8, "887022120C06C226");
	eid_reader_set_sm(rd, sm);

	eid_buf_init(&file, 4096);
	assert_int_equal(eid_reader_read_file(rd, EID_FID_COM, false, &file), EID_OK);
	expect_hex(file.data, file.len, "60145F0104303130365F36063034303030305C026175");
	assert_int_equal(s.pos, 5);
	eid_reader_stats(rd, &st);
	assert_int_equal(st.apdus, 5);
	eid_buf_free(&file);
	eid_reader_free(rd);
	eid_bac_keys_wipe(&keys);
}

static void test_card_side_d3(void **state)
{
	struct eid_bac_keys keys;
	struct fixed_rnd kic;
	uint8_t rnd_ic[8], cmd[64];
	size_t n;
	eid_buf resp;
	eid_sm *sm = NULL;

	assert_int_equal(eid_bac_keys_from_mrz_info(MRZ_INFO, &keys), EID_OK);
	hex(RND_IC, rnd_ic, sizeof(rnd_ic));
	kic.n = hex(K_IC, kic.bytes, sizeof(kic.bytes));
	kic.pos = 0;
	n = hex(EXT_AUTH_CMD, cmd, sizeof(cmd));
	eid_buf_init(&resp, 64);
	/* The command's data field is bytes 5 .. 45. */
	assert_int_equal(eid_bac_card_authenticate(&keys, rnd_ic, cmd + 5, n - 6,
						   fixed_random, &kic, &resp, &sm),
			 EID_OK);
	expect_hex(resp.data, resp.len, EXT_AUTH_RESP);
	{
		uint8_t ssc[16];
		assert_int_equal(eid_sm_ssc(sm, ssc), 8);
		expect_hex(ssc, 8, "887022120C06C226");
	}
	eid_sm_free(sm);
	sm = NULL;

	/* A wrong RND.IC (a replayed answer) is refused. */
	rnd_ic[0] ^= 1;
	kic.pos = 0;
	eid_buf_reset(&resp);
	assert_int_equal(eid_bac_card_authenticate(&keys, rnd_ic, cmd + 5, n - 6,
						   fixed_random, &kic, &resp, &sm),
			 EID_EAUTH);
	rnd_ic[0] ^= 1;
	/* So is a cryptogram whose MAC does not verify. */
	cmd[20] ^= 1;
	assert_int_equal(eid_bac_card_authenticate(&keys, rnd_ic, cmd + 5, n - 6,
						   fixed_random, &kic, &resp, &sm),
			 EID_EAUTH);
	assert_int_equal(eid_bac_card_authenticate(&keys, rnd_ic, cmd + 5, 39,
						   fixed_random, &kic, &resp, &sm),
			 EID_EMALFORMED);
	assert_null(sm);
	assert_int_equal(resp.len, 0);
	eid_buf_free(&resp);
	eid_bac_keys_wipe(&keys);
}

static void test_terminal_refusals(void **state)
{
	/* The card says 6300 (our MRZ was wrong), or answers with a bad MAC. */
	static const char *const cmds[] = { "0084000008", EXT_AUTH_CMD };
	static const char *const wrong_key[] = { RND_IC "9000", "6300" };
	static const char *const bad_mac[] = {
		RND_IC "9000",
		"46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F"
		"2F2D235D074D744A9000",
	};
	static const char *const short_challenge[] = { "46089000" };
	const char *const *resps[] = { wrong_key, bad_mac, short_challenge };
	const int want[] = { EID_EAUTH, EID_EAUTH, EID_ECARD };
	struct eid_bac_keys keys;

	assert_int_equal(eid_bac_keys_from_mrz_info(MRZ_INFO, &keys), EID_OK);
	for (size_t i = 0; i < 3; i++) {
		struct script s = { cmds, resps[i], 2, 0 };
		struct eid_transport t;
		struct fixed_rnd rnd;
		eid_sm *sm = NULL;

		eid_transport_init_callback(&t, script_transmit, &s);
		load_terminal_rnd(&rnd);
		assert_int_equal(eid_bac_authenticate(&t, &keys, fixed_random,
						      &rnd, &sm), want[i]);
		assert_null(sm);
	}
	eid_bac_keys_wipe(&keys);
}

/* The terminal against the card-side half, with real randomness. */
struct bac_card {
	struct eid_bac_keys keys;
	uint8_t rnd_ic[8];
	eid_sm *sm;
};

static int bac_card_transmit(void *vcard, const uint8_t *capdu, size_t n,
			     eid_buf *rapdu)
{
	struct bac_card *c = vcard;
	struct eid_apdu a;

	assert_int_equal(eid_apdu_decode(capdu, n, &a), EID_OK);
	if (a.ins == 0x84) {
		assert_int_equal(eid_bac_random(NULL, c->rnd_ic, 8), EID_OK);
		assert_int_equal(eid_buf_put(rapdu, c->rnd_ic, 8), EID_OK);
	} else {
		assert_int_equal(eid_bac_card_authenticate(&c->keys, c->rnd_ic,
							   a.data, a.nc, eid_bac_random,
							   NULL, rapdu, &c->sm), EID_OK);
	}
	return eid_buf_put_u16be(rapdu, 0x9000);
}

static void test_both_halves(void **state)
{
	struct bac_card card = { 0 };
	struct eid_transport t;
	struct eid_bac_keys keys;
	eid_sm *sm = NULL;
	uint8_t a[16], b[16];

	assert_int_equal(eid_bac_keys_from_mrz_info(MRZ_INFO, &keys), EID_OK);
	card.keys = keys;
	eid_transport_init_callback(&t, bac_card_transmit, &card);
	assert_int_equal(eid_bac_authenticate(&t, &keys, eid_bac_random, NULL, &sm),
			 EID_OK);
	assert_int_equal(eid_sm_ssc(sm, a), eid_sm_ssc(card.sm, b));
	assert_memory_equal(a, b, 8);
	eid_sm_free(sm);
	eid_sm_free(card.sm);
	eid_bac_keys_wipe(&keys);
	eid_bac_keys_wipe(&card.keys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_from_mrz),
		cmocka_unit_test(test_mrz_info_rejected),
		cmocka_unit_test(test_icao_worked_example),
		cmocka_unit_test(test_card_side_d3),
		cmocka_unit_test(test_terminal_refusals),
		cmocka_unit_test(test_both_halves),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
