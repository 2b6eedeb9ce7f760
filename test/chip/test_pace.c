/* PACE against ICAO Doc 9303 Part 11 Appendix G (generic mapping, ECDH on
 * brainpoolP256r1) and Appendix H (generic mapping, DH on the 1024-bit
 * RFC 5114 group), byte for byte: every intermediate value through the
 * key agreement primitives, then each side of the protocol against the
 * published APDUs, then our terminal against our card. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "chip/cardaccess.h"
#include "chip/ka.h"
#include "chip/pace.h"
#include "chip/reader.h"
#include "chip/tlv.h"
#include "chiptest.h"
#include "crypto/error.h"

/* ---- the published values ---- */

#define MRZ_INFO "T22000129364081251010318"
#define MRZ_SHA1 "7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD"
#define KPI "89DED1B26624EC1E634C1989302849DD"

struct vectors {
	int param_id;
	enum eid_ka_type ka;
	const char *mse;
	const char *enc_nonce, *nonce;
	const char *sk_map_pcd, *pk_map_pcd, *sk_map_ic, *pk_map_ic;
	const char *h, *mapped;
	const char *sk_eph_pcd, *pk_eph_pcd, *sk_eph_ic, *pk_eph_ic;
	const char *shared, *ksenc, *ksmac, *t_pcd, *t_ic;
};

/* Appendix G: id-PACE-ECDH-GM-AES-CBC-CMAC-128, brainpoolP256r1. */
static const struct vectors g = {
	.param_id = 13,
	.ka = EID_KA_ECDH,
	.mse = "0022C1A40F800A04007F00070202040202830101",
	.enc_nonce = "95A3A016522EE98D01E76CB6B98B42C3",
	.nonce = "3F00C4D39D153F2B2A214A078D899B22",
	.sk_map_pcd = "7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99",
	.pk_map_pcd = "04"
		"7ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E"
		"544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D",
	.sk_map_ic = "498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560",
	.pk_map_ic = "04"
		"824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57"
		"30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54",
	.h = "04"
		"60332EF2450B5D247EF6D3868397D398852ED6E8CAF6FFEEF6BF85CA57057FD5"
		"0840CA7415BAF3E43BD414D35AA4608B93A2CAF3A4E3EA4E82C9C13D03EB7181",
	.mapped = "04"
		"8CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E2"
		"8C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522",
	.sk_eph_pcd = "A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595",
	.pk_eph_pcd = "04"
		"2DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C"
		"3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462",
	.sk_eph_ic = "107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A",
	.pk_eph_ic = "04"
		"9E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB"
		"7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094",
	.shared = "28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925",
	.ksenc = "F5F0E35C0D7161EE6724EE513A0D9A7F",
	.ksmac = "FE251C7858B356B24514B3BD5F4297D1",
	.t_pcd = "C2B0BD78D94BA866",
	.t_ic = "3ABB9674BCE93C08",
};

/* Appendix H: id-PACE-DH-GM-AES-CBC-CMAC-128, 1024-bit MODP group with a
 * 160-bit prime order subgroup. */
static const struct vectors h = {
	.param_id = 0,
	.ka = EID_KA_DH,
	.mse = "0022C1A40F800A04007F00070202040102830101",
	.enc_nonce = "854D8DF5827FA6852D1A4FA701CDDDCA",
	.nonce = "FA5B7E3E49753A0DB9178B7B9BD898C8",
	.sk_map_pcd = "5265030F751F4AD18B08AC565FC7AC952E41618D",
	.pk_map_pcd =
		"23FB3749EA030D2A25B278D2A562047ADE3F01B74F17A15402CB7352CA7D2B3E"
		"B71C343DB13D1DEBCE9A3666DBCFC920B49174A602CB47965CAA73DC702489A4"
		"4D41DB914DE9613DC5E98C94160551C0DF86274B9359BC0490D01B03AD54022D"
		"CB4F57FAD6322497D7A1E28D46710F461AFE710FBBBC5F8BA166F4311975EC6C",
	.sk_map_ic = "66DDAFEAC1609CB5B963BB0CB3FF8B3E047F336C",
	.pk_map_ic =
		"78879F57225AA8080D52ED0FC890A4B25336F699AA89A2D3A189654AF70729E6"
		"23EA5738B26381E4DA19E004706FACE7B235C2DBF2F38748312F3C98C2DD4882"
		"A41947B324AA1259AC22579DB93F7085655AF30889DBB845D9E6783FE42C9F24"
		"49400306254C8AE8EE9DD812A804C0B66E8CAFC14F84D8258950A91B44126EE6",
	.h =
		"5BABEBEF5B74E5BA94B5C063FDA15F1F1CDE94873EE0A5D3A2FCAB49F258D07F"
		"544F13CB66658C3AFEE9E727389BE3F6CBBBD32128A8C21DD6EEA3CF7091CDDF"
		"B08B8D007D40318DCCA4FFBF51208790FB4BD111E5A968ED6B6F08B26CA87C41"
		"0B3CE0C310CE104EABD16629AA48620C1279270CB0750C0D37C57FFFE302AE7F",
	.mapped =
		"7C9CBFE98F9FBDDA8D143506FA7D9306F4CB17E3C71707AFF5E1C1A123702496"
		"84D64EE37AF44B8DBD9D45BF6023919CBAA027AB97ACC771666C8E98FF483301"
		"BFA4872DEDE9034EDFACB70814166B7F360676829B826BEA57291B5AD69FBC84"
		"EF1E779032A305803F74341793E869742D401325B37EE8565FFCDEE618342DC5",
	.sk_eph_pcd = "89CCD99B0E8D3B1F11E1296DCA68EC53411CF2CA",
	.pk_eph_pcd =
		"907D89E2D425A178AA81AF4A7774EC8E388C115CAE67031E85EECE520BD91155"
		"1B9AE4D04369F29A02626C86FBC6747CC7BC352645B6161A2A42D44EDA80A08F"
		"A8D61B76D3A154AD8A5A51786B0BC07147057871A922212C5F67F43173172236"
		"B7747D1671E6D692A3C7D40A0C3C5CE397545D015C175EB5130551EDBC2EE5D4",
	.sk_eph_ic = "A5B780126B7C980E9FCEA1D4539DA1D27C342DFA",
	.pk_eph_ic =
		"075693D9AE941877573E634B6E644F8E60AF17A0076B8B123D9201074D36152B"
		"D8B3A213F53820C42ADC79AB5D0AEEC3AEFB91394DA476BD97B9B14D0A65C1FC"
		"71A0E019CB08AF55E1F729005FBA7E3FA5DC41899238A250767A6D46DB974064"
		"386CD456743585F8E5D90CC8B4004B1F6D866C79CE0584E49687FF61BC29AEA1",
	.shared =
		"6BABC7B3A72BCD7EA385E4C62DB2625BD8613B24149E146A629311C4CA6698E3"
		"8B834B6A9E9CD7184BA8834AFF5043D436950C4C1E7832367C10CB8C314D40E5"
		"990B0DF7013E64B4549E2270923D06F08CFF6BD3E977DDE6ABE4C31D55C0FA2E"
		"465E553E77BDF75E3193D3834FC26E8EB1EE2FA1E4FC97C18C3F6CFFFE2607FD",
	.ksenc = "2F7F46ADCC9E7E521B45D192FAFA9126",
	.ksmac = "805A1D27D45A5116F73C54469462B7D8",
	.t_pcd = "B46DD9BD4D98381F",
	.t_ic = "917F37B5C0E6D8D1",
};

/* ---- helpers ---- */

static void load_rnd(struct fixed_rnd *f, const char *a, const char *b,
		     const char *c)
{
	f->n = hex(a, f->bytes, sizeof(f->bytes));
	f->n += hex(b, f->bytes + f->n, sizeof(f->bytes) - f->n);
	if (c != NULL)
		f->n += hex(c, f->bytes + f->n, sizeof(f->bytes) - f->n);
	f->pos = 0;
}

static void expect_buf(const eid_buf *b, const char *want)
{
	eid_buf w;

	hexbuf(want, &w);
	assert_int_equal(b->len, w.len);
	assert_memory_equal(b->data, w.data, w.len);
	eid_buf_free(&w);
}

static void expect_bytes(const uint8_t *p, size_t n, const char *want)
{
	eid_buf b = { .data = (uint8_t *)p, .len = n };

	expect_buf(&b, want);
}

/* The key a published private key gives, checked against its published
 * public key. */
static void key_pair(const eid_ka *ka, const char *sk, const char *pk,
		     eid_ka_key **ret)
{
	struct fixed_rnd f;
	size_t n;
	const uint8_t *p;

	f.n = hex(sk, f.bytes, sizeof(f.bytes));
	f.pos = 0;
	assert_int_equal(eid_ka_keygen(ka, fixed_random, &f, ret), EID_OK);
	assert_int_equal(f.pos, f.n);
	p = eid_ka_key_public(*ret, &n);
	expect_bytes(p, n, pk);
}

static void pace_info(const struct vectors *v, struct eid_pace_info *info)
{
	assert_int_equal(eid_pace_info_set(info, v->ka, EID_SM_AES, 16,
					   v->param_id), EID_OK);
}

/* The same command protected by two sessions must come out identical:
 * how a test sees that a session holds the published keys. */
static void expect_same_session(eid_sm *sm, const struct vectors *v)
{
	static const uint8_t fid[] = { 0x01, 0x1e };
	struct eid_apdu cmd = { .ins = 0xa4, .p1 = 0x02, .p2 = 0x0c,
				.data = fid, .nc = 2 };
	struct eid_apdu a, b;
	uint8_t ksenc[16], ksmac[16], ssc[16] = { 0 };
	eid_buf ba, bb;
	eid_sm *ref = NULL;

	hex(v->ksenc, ksenc, sizeof(ksenc));
	hex(v->ksmac, ksmac, sizeof(ksmac));
	assert_int_equal(eid_sm_new(EID_SM_AES, ksenc, ksmac, 16, ssc, 16, &ref),
			 EID_OK);
	assert_int_equal(eid_sm_ssc(sm, ssc), 16);
	expect_bytes(ssc, 16, "00000000000000000000000000000000");
	eid_buf_init(&ba, 512);
	eid_buf_init(&bb, 512);
	assert_int_equal(eid_sm_protect(sm, &cmd, &ba, &a), EID_OK);
	assert_int_equal(eid_sm_protect(ref, &cmd, &bb, &b), EID_OK);
	assert_int_equal(ba.len, bb.len);
	assert_memory_equal(ba.data, bb.data, ba.len);
	eid_buf_free(&ba);
	eid_buf_free(&bb);
	eid_sm_free(ref);
}

/* ---- Kpi ---- */

static void test_kpi(void **state)
{
	struct eid_symkey k;
	uint8_t md[20];

	(void)state;
	assert_int_equal(EVP_Digest(MRZ_INFO, strlen(MRZ_INFO), md, NULL,
				    EVP_sha1(), NULL), 1);
	expect_bytes(md, 20, MRZ_SHA1);
	assert_int_equal(eid_pace_kpi(EID_PACE_MRZ, MRZ_INFO, EID_SM_AES, 16, &k),
			 EID_OK);
	expect_bytes(k.key, k.len, KPI);
	eid_symkey_wipe(&k);
	/* A CAN: digits only, up to 16 of them. */
	assert_int_equal(eid_pace_kpi(EID_PACE_CAN, "123456", EID_SM_3DES, 16, &k),
			 EID_OK);
	eid_symkey_wipe(&k);
	assert_int_equal(eid_pace_kpi(EID_PACE_CAN, "12a456", EID_SM_AES, 16, &k),
			 EID_EINVAL);
	assert_int_equal(eid_pace_kpi(EID_PACE_CAN, "", EID_SM_AES, 16, &k),
			 EID_EINVAL);
	assert_int_equal(eid_pace_kpi(EID_PACE_CAN, "12345678901234567",
				      EID_SM_AES, 16, &k), EID_EINVAL);
	assert_int_equal(eid_pace_kpi(EID_PACE_MRZ, "T22000129364081251010319",
				      EID_SM_AES, 16, &k), EID_EINVAL);
}

/* ---- every intermediate value ---- */

static void check_primitives(const struct vectors *v)
{
	struct eid_symkey kpi, ks;
	eid_ka *ka = NULL, *mapped = NULL;
	eid_ka_key *map_pcd, *map_ic, *eph_pcd, *eph_ic;
	uint8_t z[16], s[16];
	eid_buf b;

	eid_buf_init(&b, 1024);
	/* s = D(Kpi, z). */
	assert_int_equal(eid_pace_kpi(EID_PACE_MRZ, MRZ_INFO, EID_SM_AES, 16, &kpi),
			 EID_OK);
	hex(v->enc_nonce, z, sizeof(z));
	assert_int_equal(eid_smcrypto_cbc(&kpi, NULL, false, z, 16, s), EID_OK);
	expect_bytes(s, 16, v->nonce);

	/* The mapping keys and H, the same from either side. */
	assert_int_equal(eid_ka_new_standard(v->param_id, &ka), EID_OK);
	key_pair(ka, v->sk_map_pcd, v->pk_map_pcd, &map_pcd);
	key_pair(ka, v->sk_map_ic, v->pk_map_ic, &map_ic);
	hexbuf(v->pk_map_ic, &b);
	{
		eid_buf hh;
		eid_buf_init(&hh, 1024);
		assert_int_equal(eid_ka_shared_element(ka, map_pcd, b.data, b.len, &hh),
				 EID_OK);
		expect_buf(&hh, v->h);

		/* G' = s*G + H. */
		assert_int_equal(eid_ka_map_generic(ka, s, 16, hh.data, hh.len, &mapped),
				 EID_OK);
		eid_buf_reset(&hh);
		assert_int_equal(eid_ka_generator(mapped, &hh), EID_OK);
		expect_buf(&hh, v->mapped);
		eid_buf_free(&hh);
	}
	eid_buf_free(&b);

	/* The ephemeral keys on G', the shared secret, the session keys. */
	key_pair(mapped, v->sk_eph_pcd, v->pk_eph_pcd, &eph_pcd);
	key_pair(mapped, v->sk_eph_ic, v->pk_eph_ic, &eph_ic);
	hexbuf(v->pk_eph_ic, &b);
	{
		eid_buf k;
		eid_buf_init(&k, 1024);
		assert_int_equal(eid_ka_shared_secret(mapped, eph_pcd, b.data, b.len, &k),
				 EID_OK);
		expect_buf(&k, v->shared);
		assert_int_equal(eid_smcrypto_kdf(EID_SM_AES, 16, k.data, k.len, 1, &ks),
				 EID_OK);
		expect_bytes(ks.key, 16, v->ksenc);
		assert_int_equal(eid_smcrypto_kdf(EID_SM_AES, 16, k.data, k.len, 2, &ks),
				 EID_OK);
		expect_bytes(ks.key, 16, v->ksmac);
		eid_buf_free(&k);
	}
	eid_buf_free(&b);
	eid_ka_key_free(map_pcd);
	eid_ka_key_free(map_ic);
	eid_ka_key_free(eph_pcd);
	eid_ka_key_free(eph_ic);
	eid_ka_free(mapped);
	eid_ka_free(ka);
}

static void test_primitives(void **state)
{
	check_primitives(*state);
}

/* ---- the published APDUs ---- */

/* '7C' { tag value } as hex, in the buffer the caller frees. */
static char *ga_hex(uint8_t tag, const char *value)
{
	eid_buf v, inner, out;
	char *s;

	hexbuf(value, &v);
	eid_buf_init(&inner, 1024);
	eid_buf_init(&out, 1024);
	assert_int_equal(eid_tlv_put(&inner, tag, v.data, v.len), EID_OK);
	assert_int_equal(eid_tlv_put(&out, 0x7c, inner.data, inner.len), EID_OK);
	s = malloc(out.len * 2 + 1);
	assert_non_null(s);
	for (size_t i = 0; i < out.len; i++)
		snprintf(s + 2 * i, 3, "%02X", out.data[i]);
	eid_buf_free(&v);
	eid_buf_free(&inner);
	eid_buf_free(&out);
	return s;
}

/* A command: header, Lc, data, Le 00. */
static char *ga_cmd(const char *cla, uint8_t tag, const char *value)
{
	char *data = ga_hex(tag, value), *s;
	size_t n = strlen(data) / 2, len = strlen(data) + 16;

	s = malloc(len);
	assert_non_null(s);
	snprintf(s, len, "%s860000%02zX%s00", cla, n, data);
	free(data);
	return s;
}

static char *ga_resp(uint8_t tag, const char *value)
{
	char *data = ga_hex(tag, value), *s;
	size_t len = strlen(data) + 5;

	s = malloc(len);
	assert_non_null(s);
	snprintf(s, len, "%s9000", data);
	free(data);
	return s;
}

struct transcript {
	char *cmds[5], *resps[5];
};

static void transcript_make(const struct vectors *v, struct transcript *t)
{
	t->cmds[0] = strdup(v->mse);
	t->resps[0] = strdup("9000");
	t->cmds[1] = strdup("10860000027C0000");
	t->resps[1] = ga_resp(0x80, v->enc_nonce);
	t->cmds[2] = ga_cmd("10", 0x81, v->pk_map_pcd);
	t->resps[2] = ga_resp(0x82, v->pk_map_ic);
	t->cmds[3] = ga_cmd("10", 0x83, v->pk_eph_pcd);
	t->resps[3] = ga_resp(0x84, v->pk_eph_ic);
	t->cmds[4] = ga_cmd("00", 0x85, v->t_pcd);
	t->resps[4] = ga_resp(0x86, v->t_ic);
}

static void transcript_free(struct transcript *t)
{
	for (size_t i = 0; i < 5; i++) {
		free(t->cmds[i]);
		free(t->resps[i]);
	}
}

/* Our terminal sends exactly the published commands. */
static void check_terminal(const struct vectors *v)
{
	struct transcript tr;
	struct script s;
	struct eid_transport t;
	struct eid_pace_info info;
	struct eid_pace_params p = { .info = &info, .pw_type = EID_PACE_MRZ,
				     .pw = MRZ_INFO, .rnd = fixed_random };
	struct fixed_rnd rnd;
	eid_sm *sm = NULL;

	transcript_make(v, &tr);
	s = (struct script){ (const char *const *)tr.cmds,
			     (const char *const *)tr.resps, 5, 0 };
	eid_transport_init_callback(&t, script_transmit, &s);
	pace_info(v, &info);
	load_rnd(&rnd, v->sk_map_pcd, v->sk_eph_pcd, NULL);
	p.rnd_ctx = &rnd;
	assert_int_equal(eid_pace_authenticate(&t, &p, &sm), EID_OK);
	assert_int_equal(s.pos, 5);
	assert_int_equal(rnd.pos, rnd.n);
	expect_same_session(sm, v);
	eid_sm_free(sm);

	/* The card's token altered: refused. */
	tr.resps[4][12] = tr.resps[4][12] == '0' ? '1' : '0';
	s.pos = 0;
	rnd.pos = 0;
	sm = NULL;
	assert_int_equal(eid_pace_authenticate(&t, &p, &sm), EID_EAUTH);
	assert_null(sm);
	/* The card refuses our token (a wrong password): 6300. */
	free(tr.resps[4]);
	tr.resps[4] = strdup("6300");
	s.pos = 0;
	rnd.pos = 0;
	assert_int_equal(eid_pace_authenticate(&t, &p, &sm), EID_EAUTH);
	assert_null(sm);
	transcript_free(&tr);
}

static void test_terminal(void **state)
{
	check_terminal(*state);
}

/* Our card answers exactly the published responses. */
static void check_card(const struct vectors *v)
{
	struct transcript tr;
	struct eid_pace_info info;
	struct fixed_rnd rnd;
	struct eid_pace_card_config cfg = { .infos = &info, .ninfos = 1,
					    .mrz_info = MRZ_INFO,
					    .rnd = fixed_random,
					    .rnd_ctx = &rnd };
	eid_pace_card *card = NULL;
	eid_sm *sm = NULL;
	eid_buf cmd, resp;

	transcript_make(v, &tr);
	pace_info(v, &info);
	load_rnd(&rnd, v->nonce, v->sk_map_ic, v->sk_eph_ic);
	assert_int_equal(eid_pace_card_new(&cfg, &card), EID_OK);
	eid_buf_init(&resp, 1024);
	hexbuf(tr.cmds[0], &cmd);
	assert_int_equal(eid_pace_card_set_at(card, cmd.data + 5, cmd.len - 5),
			 EID_OK);
	eid_buf_free(&cmd);
	for (size_t i = 1; i < 5; i++) {
		hexbuf(tr.cmds[i], &cmd);
		/* Header, Lc, data, Le: the data is between. */
		eid_buf_reset(&resp);
		assert_int_equal(eid_pace_card_general_authenticate(
					 card, cmd.data[0], cmd.data + 5,
					 cmd.len - 6, &resp, &sm), EID_OK);
		assert_int_equal(eid_buf_put_u16be(&resp, 0x9000), EID_OK);
		expect_buf(&resp, tr.resps[i]);
		eid_buf_free(&cmd);
	}
	assert_non_null(sm);
	assert_int_equal(rnd.pos, rnd.n);
	expect_same_session(sm, v);
	eid_sm_free(sm);
	eid_buf_free(&resp);
	eid_pace_card_free(card);
	transcript_free(&tr);
}

static void test_card(void **state)
{
	check_card(*state);
}

/* ---- our terminal against our card ---- */

/* The card: PACE in plain, then one file behind its session. */
struct pace_sim {
	eid_pace_card *card;
	struct simcard file;
	bool tamper; /* alter the card's token */
};

static int pace_sim_transmit(void *ctx, const uint8_t *capdu, size_t n,
			     eid_buf *rapdu)
{
	struct pace_sim *s = ctx;
	struct eid_apdu a;
	eid_sm *sm = NULL;
	uint16_t sw = 0x9000;
	int r = EID_EUNSUPPORTED;

	if (s->file.sm != NULL)
		return simcard_transmit(&s->file, capdu, n, rapdu);
	assert_int_equal(eid_apdu_decode(capdu, n, &a), EID_OK);
	if (a.ins == 0x22)
		r = eid_pace_card_set_at(s->card, a.data, a.nc);
	else if (a.ins == 0x86)
		r = eid_pace_card_general_authenticate(s->card, a.cla, a.data,
						       a.nc, rapdu, &sm);
	if (r != EID_OK) {
		eid_buf_reset(rapdu);
		sw = r == EID_EAUTH ? 0x6300 : 0x6a80;
	}
	if (sm != NULL) {
		if (s->tamper)
			rapdu->data[rapdu->len - 1] ^= 0x01;
		s->file.sm = sm;
	}
	return eid_buf_put_u16be(rapdu, sw);
}

struct round_trip {
	enum eid_ka_type ka;
	enum eid_sm_alg alg;
	size_t keylen;
	int param_id;
	const char *card_can, *terminal_can;
	bool tamper;
	int want;
};

static void make_file(uint8_t *file, size_t n)
{
	/* '6E' 82 len, then a pattern: one TLV the reader can size. */
	file[0] = 0x6e;
	file[1] = 0x82;
	file[2] = (uint8_t)((n - 4) >> 8);
	file[3] = (uint8_t)(n - 4);
	for (size_t i = 4; i < n; i++)
		file[i] = (uint8_t)(i * 7);
}

static void run_round_trip(const struct round_trip *rt)
{
	uint8_t file[300];
	struct eid_pace_info info;
	struct pace_sim sim = { .tamper = rt->tamper };
	struct eid_pace_card_config cfg = { .infos = &info, .ninfos = 1,
					    .can = rt->card_can };
	struct eid_pace_params p = { .info = &info, .pw_type = EID_PACE_CAN,
				     .pw = rt->terminal_can };
	struct eid_transport t;
	eid_reader *rd = NULL;
	eid_sm *sm = NULL;
	eid_buf out;

	make_file(file, sizeof(file));
	sim.file = (struct simcard){ .file = file, .file_len = sizeof(file),
				     .fid = EID_FID_DG14, .max_ne = 256 };
	assert_int_equal(eid_pace_info_set(&info, rt->ka, rt->alg, rt->keylen,
					   rt->param_id), EID_OK);
	assert_int_equal(eid_pace_card_new(&cfg, &sim.card), EID_OK);
	eid_transport_init_callback(&t, pace_sim_transmit, &sim);
	assert_int_equal(eid_reader_new(&t, NULL, &rd), EID_OK);
	assert_int_equal(eid_pace_authenticate(eid_reader_transport(rd), &p, &sm),
			 rt->want);
	if (rt->want == EID_OK) {
		/* The session works: SELECT and READ BINARY through it. */
		eid_reader_set_sm(rd, sm);
		eid_buf_init(&out, 4096);
		assert_int_equal(eid_reader_read_file(rd, EID_FID_DG14, false, &out),
				 EID_OK);
		assert_int_equal(out.len, sizeof(file));
		assert_memory_equal(out.data, file, sizeof(file));
		eid_buf_free(&out);
	} else {
		assert_null(sm);
	}
	eid_reader_free(rd);
	eid_sm_free(sim.file.sm);
	eid_pace_card_free(sim.card);
}

static void test_round_trips(void **state)
{
	static const struct round_trip ok[] = {
		{ EID_KA_ECDH, EID_SM_AES, 16, 13, "123456", "123456", false, EID_OK },
		{ EID_KA_ECDH, EID_SM_AES, 16, 12, "123456", "123456", false, EID_OK },
		{ EID_KA_ECDH, EID_SM_3DES, 16, 13, "123456", "123456", false, EID_OK },
		{ EID_KA_ECDH, EID_SM_AES, 32, 15, "987654", "987654", false, EID_OK },
		{ EID_KA_DH, EID_SM_3DES, 16, 0, "123456", "123456", false, EID_OK },
		{ EID_KA_DH, EID_SM_AES, 16, 2, "123456", "123456", false, EID_OK },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		run_round_trip(&ok[i]);
}

static void test_wrong_can(void **state)
{
	/* The terminal's token does not verify at the card: 6300. */
	static const struct round_trip rt = {
		EID_KA_ECDH, EID_SM_AES, 16, 13, "123456", "123457", false, EID_EAUTH,
	};

	(void)state;
	run_round_trip(&rt);
}

static void test_tampered_token(void **state)
{
	static const struct round_trip rt[] = {
		{ EID_KA_ECDH, EID_SM_AES, 16, 13, "123456", "123456", true, EID_EAUTH },
		{ EID_KA_ECDH, EID_SM_3DES, 16, 12, "123456", "123456", true, EID_EAUTH },
	};

	(void)state;
	run_round_trip(&rt[0]);
	run_round_trip(&rt[1]);
}

/* The card's state machine refuses steps out of order and unchained
 * steps, and a protocol or password it does not offer. */
static void test_card_refusals(void **state)
{
	struct eid_pace_info info;
	struct eid_pace_card_config cfg = { .infos = &info, .ninfos = 1,
					    .can = "123456" };
	eid_pace_card *card = NULL;
	eid_sm *sm = NULL;
	eid_buf resp, mse;
	static const uint8_t empty[] = { 0x7c, 0x00 };

	(void)state;
	assert_int_equal(eid_pace_info_set(&info, EID_KA_ECDH, EID_SM_AES, 16, 13),
			 EID_OK);
	assert_int_equal(eid_pace_card_new(&cfg, &card), EID_OK);
	eid_buf_init(&resp, 1024);
	assert_int_equal(eid_pace_card_general_authenticate(card, 0x10, empty, 2,
							    &resp, &sm),
			 EID_ESTATE);
	/* MRZ not offered; CAN offered. */
	hexbuf("800A04007F00070202040202830101", &mse);
	assert_int_equal(eid_pace_card_set_at(card, mse.data, mse.len), EID_ENOTFOUND);
	eid_buf_free(&mse);
	hexbuf("800A04007F00070202040102830102", &mse);
	assert_int_equal(eid_pace_card_set_at(card, mse.data, mse.len), EID_ENOTFOUND);
	eid_buf_free(&mse);
	hexbuf("800A04007F00070202040202830102", &mse);
	assert_int_equal(eid_pace_card_set_at(card, mse.data, mse.len), EID_OK);
	/* Step 1 without the chaining bit. */
	assert_int_equal(eid_pace_card_general_authenticate(card, 0x00, empty, 2,
							    &resp, &sm),
			 EID_ESTATE);
	assert_int_equal(eid_pace_card_set_at(card, mse.data, mse.len), EID_OK);
	assert_int_equal(eid_pace_card_general_authenticate(card, 0x10, empty, 2,
							    &resp, &sm), EID_OK);
	/* A mapping key off the curve. */
	eid_buf_reset(&resp);
	{
		eid_buf bad;
		hexbuf("7C438141" "04" "7ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E"
		       "544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922E", &bad);
		assert_int_equal(eid_pace_card_general_authenticate(card, 0x10, bad.data,
								    bad.len, &resp, &sm),
				 EID_EVERIFY);
		eid_buf_free(&bad);
	}
	/* The run is over. */
	assert_int_equal(eid_pace_card_general_authenticate(card, 0x10, empty, 2,
							    &resp, &sm),
			 EID_ESTATE);
	assert_null(sm);
	eid_buf_free(&mse);
	eid_buf_free(&resp);
	eid_pace_card_free(card);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kpi),
		cmocka_unit_test_prestate(test_primitives, (void *)&g),
		cmocka_unit_test_prestate(test_primitives, (void *)&h),
		cmocka_unit_test_prestate(test_terminal, (void *)&g),
		cmocka_unit_test_prestate(test_terminal, (void *)&h),
		cmocka_unit_test_prestate(test_card, (void *)&g),
		cmocka_unit_test_prestate(test_card, (void *)&h),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_wrong_can),
		cmocka_unit_test(test_tampered_token),
		cmocka_unit_test(test_card_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
