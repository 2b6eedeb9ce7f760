/* Secure messaging against published transcripts (ICAO 9303 Part 11
 * Appendix D.4 for 3DES; an AES-256 transcript from the gmrtd project's
 * tests), both sides, and the ways a response must be refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chip/sm.h"
#include "chiptest.h"
#include "crypto/error.h"
#include "crypto/secret.h"

struct step {
	const char *plain_cmd, *prot_cmd, *prot_resp, *plain_data;
};

/* ICAO 9303-11 D.4: SELECT EF.COM, READ BINARY 4, READ BINARY 18 at 4. */
static const struct step d4[] = {
	{ "00A4020C02011E",
	  "0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800",
	  "990290008E08FA855A5D4C50A8ED9000", "" },
	{ "00B0000004", "0CB000000D9701048E08ED6705417E96BA5500",
	  "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000",
	  "60145F01" },
	{ "00B0000412", "0CB000040D9701128E082EA28A70F3C7B53500",
	  "871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A99029000"
	  "8E08C8B2787EAEA07D749000",
	  "04303130365F36063034303030305C026175" },
};
#define D4_KSENC "979EC13B1CBFE9DCD01AB0FED307EAE5"
#define D4_KSMAC "F1CB1F1FB5ADF208806B89DC579DC1F8"
#define D4_SSC "887022120C06C226"

static const struct step aes256[] = {
	{ "00A4020C02011E",
	  "0CA4020C1D8711011D35E7EB510E21A0DD12380D9AD2B92D8E0828CB68B81D3FAFC000",
	  "990290008E08E083EAA61ADABFCE9000", "" },
	{ "00B0000004", "0CB000000D9701048E084AFC933E0CDBE5F000",
	  "871101D8059A9CF835105082CA2B1837E4AEC0990290008E08B36DB56761D706BB9000",
	  "60185F01" },
	{ "00B0000416", "0CB000040D9701168E0811F7EFC907D1F27400",
	  "87210142E919C115FAF69350B01813D77A9E8D91912A7F717AFD073F199070E61B79C6"
	  "990290008E083382E3D983F441369000",
	  "04303130385F36063034303030305C06617563766D6E" },
};
#define AES_KSENC "74B94F408BBB2CD92571FD5B6370A94CCE7A2FA42AE3EB4DA47B97CE6EAA24C6"
#define AES_KSMAC "9E28D5D9FF1D979BE752E8926BF0E1D35A440FC0AEFC4AA3BC5610055AC8B113"
#define AES_SSC "00000000000000000000000000000020"

static eid_sm *session(enum eid_sm_alg alg, const char *enc, const char *mac,
		       const char *ssc)
{
	uint8_t ke[32], km[32], s[16];
	size_t kl = hex(enc, ke, sizeof(ke));
	size_t sl;
	eid_sm *sm = NULL;

	assert_int_equal(hex(mac, km, sizeof(km)), kl);
	sl = hex(ssc, s, sizeof(s));
	assert_int_equal(eid_sm_new(alg, ke, km, kl, s, sl, &sm), EID_OK);
	return sm;
}

static void expect_bytes(const uint8_t *p, size_t n, const char *want)
{
	eid_buf w;

	hexbuf(want, &w);
	assert_int_equal(n, w.len);
	if (n > 0)
		assert_memory_equal(p, w.data, n);
	eid_buf_free(&w);
}

static void encode(const struct eid_apdu *a, eid_buf *out)
{
	eid_buf_init(out, EID_APDU_MAX_ENCODED);
	assert_int_equal(eid_apdu_encode(a, out), EID_OK);
}

static void rapdu_from_hex(const char *h, struct eid_rapdu *r)
{
	eid_buf raw;
	struct eid_rapdu_view v;

	hexbuf(h, &raw);
	assert_int_equal(eid_rapdu_parse(raw.data, raw.len, &v), EID_OK);
	eid_rapdu_init(r, 1 << 16);
	assert_int_equal(eid_buf_put(&r->data, v.data, v.len), EID_OK);
	r->sw = v.sw;
	eid_buf_free(&raw);
}

/* Terminal: protect each command, compare, unprotect the published reply. */
static void terminal_transcript(eid_sm *sm, const struct step *st, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		eid_buf pc, body, enc;
		struct eid_apdu plain, prot;
		struct eid_rapdu resp, out;

		hexbuf(st[i].plain_cmd, &pc);
		assert_int_equal(eid_apdu_decode(pc.data, pc.len, &plain), EID_OK);
		eid_buf_init(&body, 1 << 16);
		assert_int_equal(eid_sm_protect(sm, &plain, &body, &prot), EID_OK);
		encode(&prot, &enc);
		expect_bytes(enc.data, enc.len, st[i].prot_cmd);

		rapdu_from_hex(st[i].prot_resp, &resp);
		eid_rapdu_init(&out, 1 << 16);
		assert_int_equal(eid_sm_unprotect(sm, &resp, &out), EID_OK);
		assert_int_equal(out.sw, 0x9000);
		expect_bytes(out.data.data, out.data.len, st[i].plain_data);
		eid_rapdu_free(&resp);
		eid_rapdu_free(&out);
		eid_buf_free(&enc);
		eid_buf_free(&body);
		eid_buf_free(&pc);
	}
}

/* Card: unprotect each published command, then the published reply must
 * come out of protecting the plain data byte for byte. */
static void card_transcript(eid_sm *sm, const struct step *st, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		eid_buf pc, want, data, out;
		struct eid_apdu prot, plain, got;

		hexbuf(st[i].prot_cmd, &pc);
		hexbuf(st[i].plain_cmd, &want);
		assert_int_equal(eid_apdu_decode(pc.data, pc.len, &prot), EID_OK);
		assert_int_equal(eid_apdu_decode(want.data, want.len, &plain), EID_OK);
		eid_buf_init(&data, 1 << 16);
		assert_int_equal(eid_sm_card_unprotect(sm, &prot, &data, &got), EID_OK);
		assert_int_equal(got.cla, plain.cla);
		assert_int_equal(got.ins, plain.ins);
		assert_int_equal(got.p1, plain.p1);
		assert_int_equal(got.p2, plain.p2);
		assert_int_equal(got.ne, plain.ne);
		expect_bytes(data.data, data.len, st[i].plain_cmd + 10);
		eid_buf_free(&data);

		hexbuf(st[i].plain_data, &data);
		eid_buf_init(&out, 1 << 16);
		assert_int_equal(eid_sm_card_protect(sm, got.ins, data.data,
						     data.len, 0x9000, &out), EID_OK);
		expect_bytes(out.data, out.len, st[i].prot_resp);
		eid_buf_free(&out);
		eid_buf_free(&data);
		eid_buf_free(&want);
		eid_buf_free(&pc);
	}
}

/* Both sides of a transcript from the same starting session; the
 * terminal's SSC must end at ssc_after. */
static void both_sides(enum eid_sm_alg alg, const char *enc, const char *mac,
		       const char *ssc, const struct step *st, size_t n,
		       const char *ssc_after)
{
	eid_sm *sm = session(alg, enc, mac, ssc);
	uint8_t now[16];
	size_t len;

	terminal_transcript(sm, st, n);
	len = eid_sm_ssc(sm, now);
	expect_bytes(now, len, ssc_after);
	eid_sm_free(sm);
	sm = session(alg, enc, mac, ssc);
	card_transcript(sm, st, n);
	eid_sm_free(sm);
}

static void test_icao_d4(void **state)
{
	both_sides(EID_SM_3DES, D4_KSENC, D4_KSMAC, D4_SSC, d4, 3,
		   "887022120C06C22C");
}

static void test_aes256_known_answer(void **state)
{
	both_sides(EID_SM_AES, AES_KSENC, AES_KSMAC, AES_SSC, aes256, 3,
		   "00000000000000000000000000000026");
}

/* Session at D.4's state just before the READ BINARY 4 response. */
static eid_sm *d4_before_read4(void)
{
	return session(EID_SM_3DES, D4_KSENC, D4_KSMAC, "887022120C06C229");
}

static int unprotect_hex(eid_sm *sm, const char *h)
{
	struct eid_rapdu in, out;
	int r;

	rapdu_from_hex(h, &in);
	eid_rapdu_init(&out, 1 << 16);
	r = eid_sm_unprotect(sm, &in, &out);
	eid_rapdu_free(&in);
	eid_rapdu_free(&out);
	return r;
}

static void test_refusals(void **state)
{
	static const char *const bad[] = {
		/* MAC flipped */
		"8709019FF0EC34F9922651990290008E08AD55CC17140B2DEC9000",
		/* DO'87' tampered, MAC as published */
		"8709019FF0EC34F9922652990290008E08AD55CC17140B2DED9000",
		/* no DO'8E' */
		"8709019FF0EC34F99226519902900090 00",
		/* DO'8E' short */
		"8709019FF0EC34F9922651990290008E07AD55CC17140B2D9000",
		/* something after DO'8E' */
		"8709019FF0EC34F9922651990290008E08AD55CC17140B2DED99029000 9000",
		/* success without any data object */
		"9000",
	};
	struct eid_apdu cmd = { .ins = 0xb0, .ne = 4 };
	eid_buf body;
	struct eid_apdu prot;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		eid_sm *sm = d4_before_read4();
		int r = unprotect_hex(sm, bad[i]);
		assert_true(r == EID_EVERIFY || r == EID_EMALFORMED);
		/* Secure messaging is over after a refusal. */
		eid_buf_init(&body, 1024);
		assert_int_equal(eid_sm_protect(sm, &cmd, &body, &prot), EID_ESTATE);
		eid_buf_free(&body);
		eid_sm_free(sm);
	}
}

static void test_missing_do99(void **state)
{
	/* A response that carries a correct MAC but no DO'99'. */
	uint8_t k[32], mac[8], ks[16];
	size_t n = hex("887022120C06C22A 8709019FF0EC34F9922651 80", k, sizeof(k));
	struct eid_symkey key;
	eid_buf resp;
	eid_sm *sm = d4_before_read4();
	char h[128];

	hex(D4_KSMAC, ks, sizeof(ks));
	assert_int_equal(eid_symkey_set(&key, EID_SM_3DES, ks, 16), EID_OK);
	assert_int_equal(n, 20);
	memset(k + n, 0, 24 - n);
	assert_int_equal(eid_smcrypto_mac(&key, k, 24, mac), EID_OK);
	eid_buf_init(&resp, 256);
	assert_int_equal(eid_buf_put_str(&resp, "8709019FF0EC34F99226518E08"), EID_OK);
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(eid_buf_printf(&resp, "%02X", mac[i]), EID_OK);
	assert_int_equal(eid_buf_put_str(&resp, "9000"), EID_OK);
	assert_true(resp.len < sizeof(h));
	memcpy(h, resp.data, resp.len);
	h[resp.len] = '\0';
	assert_int_equal(unprotect_hex(sm, h), EID_EVERIFY);
	eid_buf_free(&resp);
	eid_symkey_wipe(&key);
	eid_sm_free(sm);
}

static void test_ssc_desync(void **state)
{
	/* One counter value ahead: the published reply no longer verifies. */
	eid_sm *sm = session(EID_SM_3DES, D4_KSENC, D4_KSMAC, "887022120C06C22A");

	assert_int_equal(unprotect_hex(sm, d4[1].prot_resp), EID_EVERIFY);
	eid_sm_free(sm);
	/* And the right one does. */
	sm = d4_before_read4();
	assert_int_equal(unprotect_hex(sm, d4[1].prot_resp), EID_OK);
	eid_sm_free(sm);
}

static void test_plain_errors(void **state)
{
	static const struct {
		const char *resp;
		int r;
	} cases[] = {
		{ "6988", EID_EVERIFY }, { "6987", EID_ECARD },
		{ "6A82", EID_ECARD },   { "6282", EID_EVERIFY },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		eid_sm *sm = d4_before_read4();
		assert_int_equal(unprotect_hex(sm, cases[i].resp), cases[i].r);
		eid_sm_free(sm);
	}
}

static void test_card_refusals(void **state)
{
	eid_sm *sm = session(EID_SM_3DES, D4_KSENC, D4_KSMAC, D4_SSC);
	eid_buf pc, data;
	struct eid_apdu a, got;

	eid_buf_init(&data, 1024);
	hexbuf("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F900", &pc);
	assert_int_equal(eid_apdu_decode(pc.data, pc.len, &a), EID_OK);
	assert_int_equal(eid_sm_card_unprotect(sm, &a, &data, &got), EID_EVERIFY);
	assert_int_equal(eid_sm_card_unprotect(sm, &a, &data, &got), EID_ESTATE);
	eid_sm_free(sm);
	eid_buf_free(&pc);

	sm = session(EID_SM_3DES, D4_KSENC, D4_KSMAC, D4_SSC);
	hexbuf("00A4020C02011E", &pc);
	assert_int_equal(eid_apdu_decode(pc.data, pc.len, &a), EID_OK);
	assert_int_equal(eid_sm_card_unprotect(sm, &a, &data, &got), EID_EMALFORMED);
	eid_sm_free(sm);
	eid_buf_free(&pc);
	eid_buf_free(&data);
}

/* protect -> encode -> decode -> card unprotect -> card protect ->
 * unprotect, over every case, short and extended, odd and even INS. */
static void round_trip(enum eid_sm_alg alg, size_t klen)
{
	uint8_t ke[32], km[32], ssc[16] = { 0 }, data[600 + 3];
	eid_sm *term = NULL, *card = NULL;
	size_t sizes[] = { 0, 1, 7, 8, 15, 16, 17, 231, 255, 256, 600 };
	size_t nes[] = { 0, 1, 0xdf, 256, 257, 65536 };

	assert_int_equal(eid_random_bytes(ke, sizeof(ke)), EID_OK);
	assert_int_equal(eid_random_bytes(km, sizeof(km)), EID_OK);
	assert_int_equal(eid_random_bytes(data, sizeof(data)), EID_OK);
	/* Every increment carries across all the bytes below the first. */
	memset(ssc, 0xff, eid_smcrypto_block(alg));
	ssc[0] = 0x7f;
	assert_int_equal(eid_sm_new(alg, ke, km, klen, ssc, eid_smcrypto_block(alg), &term), EID_OK);
	assert_int_equal(eid_sm_new(alg, ke, km, klen, ssc, eid_smcrypto_block(alg), &card), EID_OK);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (size_t j = 0; j < sizeof(nes) / sizeof(nes[0]); j++) {
			struct eid_apdu cmd = { .ins = (i & 1) ? 0xb1 : 0xb0,
						.p1 = 1, .p2 = 2, .data = data,
						.nc = sizes[i], .ne = nes[j] };
			struct eid_apdu prot, dec, got;
			struct eid_rapdu resp, out;
			eid_buf body, enc, cdata;

			eid_buf_init(&body, 1 << 17);
			eid_buf_init(&cdata, 1 << 17);
			eid_rapdu_init(&resp, 1 << 17);
			eid_rapdu_init(&out, 1 << 17);
			assert_int_equal(eid_sm_protect(term, &cmd, &body, &prot), EID_OK);
			encode(&prot, &enc);
			assert_int_equal(eid_apdu_decode(enc.data, enc.len, &dec), EID_OK);
			assert_int_equal(eid_sm_card_unprotect(card, &dec, &cdata, &got), EID_OK);
			assert_int_equal(got.ins, cmd.ins);
			assert_int_equal(got.nc, cmd.nc);
			assert_int_equal(got.ne, cmd.ne);
			if (cmd.nc > 0)
				assert_memory_equal(cdata.data, data, cmd.nc);
			assert_int_equal(eid_sm_card_protect(card, got.ins, data + 3,
							     sizes[i], 0x6282, &resp.data), EID_OK);
			resp.sw = 0x9000; /* the outer status is not trusted */
			eid_buf_truncate(&resp.data, resp.data.len - 2);
			assert_int_equal(eid_sm_unprotect(term, &resp, &out), EID_OK);
			assert_int_equal(out.sw, 0x6282);
			assert_int_equal(out.data.len, sizes[i]);
			if (sizes[i] > 0)
				assert_memory_equal(out.data.data, data + 3, sizes[i]);
			eid_buf_free(&body);
			eid_buf_free(&enc);
			eid_buf_free(&cdata);
			eid_rapdu_free(&resp);
			eid_rapdu_free(&out);
		}
	}
	eid_sm_free(term);
	eid_sm_free(card);
}

static void test_round_trips(void **state)
{
	round_trip(EID_SM_3DES, 16);
	round_trip(EID_SM_AES, 16);
	round_trip(EID_SM_AES, 24);
	round_trip(EID_SM_AES, 32);
}

static void test_bad_sessions(void **state)
{
	uint8_t k[32] = { 0 }, ssc[16] = { 0 };
	eid_sm *sm = NULL;

	assert_int_equal(eid_sm_new(EID_SM_3DES, k, k, 24, ssc, 8, &sm), EID_EINVAL);
	assert_int_equal(eid_sm_new(EID_SM_3DES, k, k, 16, ssc, 16, &sm), EID_EINVAL);
	assert_int_equal(eid_sm_new(EID_SM_AES, k, k, 20, ssc, 16, &sm), EID_EINVAL);
	assert_int_equal(eid_sm_new(EID_SM_AES, k, k, 16, ssc, 8, &sm), EID_EINVAL);
	assert_null(sm);
	/* A counter about to wrap ends the session rather than repeat. */
	memset(ssc, 0xff, 8);
	assert_int_equal(eid_sm_new(EID_SM_3DES, k, k, 16, ssc, 8, &sm), EID_OK);
	{
		struct eid_apdu cmd = { .ins = 0xb0, .ne = 4 }, prot;
		eid_buf body;
		eid_buf_init(&body, 1024);
		assert_int_equal(eid_sm_protect(sm, &cmd, &body, &prot), EID_ESTATE);
		eid_buf_free(&body);
	}
	eid_sm_free(sm);
	eid_sm_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_icao_d4),
		cmocka_unit_test(test_aes256_known_answer),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_missing_do99),
		cmocka_unit_test(test_ssc_desync),
		cmocka_unit_test(test_plain_errors),
		cmocka_unit_test(test_card_refusals),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_bad_sessions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
