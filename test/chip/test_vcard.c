/* The virtual card through the real terminal code (BAC, secure messaging,
 * the file reader, Active Authentication) over the in-process transport:
 * whole files come back intact in the fewest APDUs the card's read size
 * allows; access rules, SM failures and malformed commands get the right
 * status words; vpcd control messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "chip/aa.h"
#include "chip/ca.h"
#include "chip/cardaccess.h"
#include "chip/lds.h"
#include "chip/pace.h"
#include "chip/issuer.h"
#include "chip/mrz.h"
#include "chip/reader.h"
#include "chip/vcard.h"
#include "chiptest.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "pki.h"

#define MRZ_INFO "L898902C<369080619406236"
#define DG2_LEN 20000

struct fix {
	struct eid_cardimage img;
	eid_vcard *vc;
	struct eid_transport t;
	eid_reader *rd;
	EVP_PKEY *aa;
	uint8_t *dg2;
};

/* A file of total bytes with a two- or three-byte length header. */
static void put_file(struct eid_cardimage *img, uint16_t fid, uint8_t tag,
		     size_t total, uint8_t **ret)
{
	uint8_t *f = test_malloc(total);

	assert_true(total >= 8 && total - 4 <= 0xffff);
	assert_int_equal(eid_random_bytes(f, total), EID_OK);
	f[0] = tag;
	f[1] = 0x82;
	f[2] = (uint8_t)((total - 4) >> 8);
	f[3] = (uint8_t)(total - 4);
	assert_int_equal(eid_cardimage_set_file(img, fid, f, total), EID_OK);
	if (ret != NULL)
		*ret = f;
	else
		test_free(f);
}

static void fix_open_aa(struct fix *x, size_t max_read, bool extended,
			size_t reader_chunk, enum eid_card_access access,
			const char *aa_kind)
{
	static const uint8_t ca[] = { 0x31, 0x00 };
	struct eid_reader_opts opts = { .max_chunk = reader_chunk };

	memset(x, 0, sizeof(*x));
	eid_cardimage_init(&x->img);
	memcpy(x->img.mrz_info, MRZ_INFO, sizeof(MRZ_INFO));
	x->img.access = access;
	x->img.max_read = max_read;
	x->img.extended = extended;
	put_file(&x->img, EID_FID_COM, 0x60, 0x100, NULL);
	put_file(&x->img, EID_FID_DG1, 0x61, 0x100, NULL);
	put_file(&x->img, EID_FID_DG2, 0x75, DG2_LEN, &x->dg2);
	put_file(&x->img, EID_FID_SOD, 0x77, 0x800, NULL);
	assert_int_equal(eid_cardimage_set_file(&x->img, EID_FID_CARD_ACCESS,
						ca, sizeof(ca)), EID_OK);
	x->aa = pki_key(aa_kind);
	assert_non_null(x->aa);
	assert_int_equal(eid_issuer_key_pkcs8(x->aa, &x->img.aa_key), EID_OK);
	assert_int_equal(eid_vcard_new(&x->img, NULL, NULL, &x->vc), EID_OK);
	eid_transport_init_callback(&x->t, eid_vcard_transmit, x->vc);
	assert_int_equal(eid_reader_new(&x->t, &opts, &x->rd), EID_OK);
}

static void fix_open(struct fix *x, size_t max_read, bool extended,
		     size_t reader_chunk, enum eid_card_access access)
{
	fix_open_aa(x, max_read, extended, reader_chunk, access, "p256");
}

static void fix_close(struct fix *x)
{
	eid_reader_free(x->rd);
	eid_vcard_free(x->vc);
	eid_cardimage_clear(&x->img);
	EVP_PKEY_free(x->aa);
	test_free(x->dg2);
}

static int bac(struct fix *x, const char *mrz_info)
{
	struct eid_bac_keys k;
	eid_sm *sm = NULL;
	int r;

	assert_int_equal(eid_bac_keys_from_mrz_info(mrz_info, &k), EID_OK);
	r = eid_bac_authenticate(eid_reader_transport(x->rd), &k,
				 eid_bac_random, NULL, &sm);
	eid_bac_keys_wipe(&k);
	if (r == EID_OK)
		eid_reader_set_sm(x->rd, sm);
	return r;
}

/* Read DG2 after BAC; returns the APDUs the read took. */
static unsigned long read_dg2(struct fix *x, bool sfi)
{
	struct eid_reader_stats before, after;
	eid_buf out;

	eid_buf_init(&out, 1 << 20);
	eid_reader_stats(x->rd, &before);
	assert_int_equal(eid_reader_read_file(x->rd, EID_FID_DG2, sfi, &out),
			 EID_OK);
	eid_reader_stats(x->rd, &after);
	assert_int_equal(out.len, DG2_LEN);
	assert_memory_equal(out.data, x->dg2, DG2_LEN);
	eid_buf_free(&out);
	return after.apdus - before.apdus;
}

static size_t ceil_div(size_t a, size_t b)
{
	return (a + b - 1) / b;
}

static void short_reads(void **state)
{
	struct eid_reader_stats before, after;
	struct fix x;
	unsigned long n;

	(void)state;
	fix_open(&x, 256, false, 0, EID_CARD_ACCESS_BAC);
	assert_int_equal(eid_reader_select_emrtd(x.rd), EID_OK);
	assert_int_equal(bac(&x, MRZ_INFO), EID_OK);
	/* SELECT, then 0xE7 chunks (3DES): the fewest the card allows. */
	eid_reader_stats(x.rd, &before);
	n = read_dg2(&x, false);
	eid_reader_stats(x.rd, &after);
	print_message("DG2 %u bytes, short SM reads: %lu APDUs (minimum %zu)\n",
		      DG2_LEN, n, ceil_div(DG2_LEN, 0xe7));
	assert_int_equal(n, 1 + ceil_div(DG2_LEN, 0xe7));
	assert_int_equal(after.selects - before.selects, 1);
	assert_int_equal(after.reads - before.reads, ceil_div(DG2_LEN, 0xe7));
	/* Secure messaging's bytes: per READ BINARY at least DO'97' (3),
	 * DO'8E' twice (20), DO'99' (4), padding and DO'87''s header. */
	assert_true(after.sm_overhead - before.sm_overhead >=
		    (after.reads - before.reads) * 27);
	assert_true(after.sm_overhead - before.sm_overhead <
		    after.bytes_in + after.bytes_out - before.bytes_in -
			    before.bytes_out - DG2_LEN);
	/* By short file identifier: no SELECT. */
	assert_int_equal(read_dg2(&x, true), ceil_div(DG2_LEN, 0xe7));
	fix_close(&x);
}

static void extended_reads(void **state)
{
	struct fix x;
	unsigned long n;

	(void)state;
	fix_open(&x, 65536, true, 65536, EID_CARD_ACCESS_BAC);
	assert_int_equal(eid_reader_select_emrtd(x.rd), EID_OK);
	assert_int_equal(bac(&x, MRZ_INFO), EID_OK);
	n = read_dg2(&x, false);
	print_message("DG2 %u bytes, extended SM reads: %lu APDUs\n", DG2_LEN, n);
	assert_int_equal(n, 2); /* SELECT, the whole file at once */
	fix_close(&x);

	/* A card limited to 0x1000: the reader steps down once to 0xDF. */
	fix_open(&x, 0x1000, true, 65536, EID_CARD_ACCESS_BAC);
	assert_int_equal(eid_reader_select_emrtd(x.rd), EID_OK);
	assert_int_equal(bac(&x, MRZ_INFO), EID_OK);
	assert_int_equal(read_dg2(&x, false), 2 + ceil_div(DG2_LEN, 0xdf));
	fix_close(&x);

	/* Extended APDUs on a card without them: 6700, then short. */
	fix_open(&x, 256, false, 65536, EID_CARD_ACCESS_BAC);
	assert_int_equal(eid_reader_select_emrtd(x.rd), EID_OK);
	assert_int_equal(bac(&x, MRZ_INFO), EID_OK);
	assert_int_equal(read_dg2(&x, false), 2 + ceil_div(DG2_LEN, 0xdf));
	fix_close(&x);
}

static void access_control(void **state)
{
	struct fix x;
	eid_buf out, wrong;

	(void)state;
	eid_buf_init(&out, 1 << 20);
	fix_open(&x, 256, false, 0, EID_CARD_ACCESS_PACE_BAC);
	/* EF.CardAccess is in the MF, readable in the clear. */
	assert_int_equal(eid_reader_read_file(x.rd, EID_FID_CARD_ACCESS, false,
					      &out), EID_OK);
	assert_int_equal(out.len, 2);
	assert_int_equal(eid_reader_read_file(x.rd, EID_FID_DG1, false, &out),
			 EID_ENOTFOUND);
	/* Data groups need BAC. */
	assert_int_equal(eid_reader_select_emrtd(x.rd), EID_OK);
	assert_int_equal(eid_reader_read_file(x.rd, EID_FID_DG1, false, &out),
			 EID_EPERM);
	assert_int_equal(eid_reader_read_file(x.rd, EID_FID_CARD_ACCESS, false,
					      &out), EID_ENOTFOUND);
	/* The wrong MRZ: 6300, no session. */
	eid_buf_init(&wrong, 64);
	assert_int_equal(eid_mrz_info_build("L898902C", "690807", "940623",
					    &wrong), EID_OK);
	assert_int_equal(bac(&x, eid_buf_cstr(&wrong)), EID_EAUTH);
	eid_buf_free(&wrong);
	assert_int_equal(eid_reader_read_file(x.rd, EID_FID_DG1, false, &out),
			 EID_EPERM);
	assert_int_equal(bac(&x, MRZ_INFO), EID_OK);
	assert_int_equal(eid_reader_read_file(x.rd, EID_FID_DG1, true, &out),
			 EID_OK);
	assert_int_equal(out.len, 0x100);
	fix_close(&x);

	/* A BAC-only card has no EF.CardAccess. */
	fix_open(&x, 256, false, 0, EID_CARD_ACCESS_BAC);
	assert_int_equal(eid_reader_read_file(x.rd, EID_FID_CARD_ACCESS, false,
					      &out), EID_ENOTFOUND);
	fix_close(&x);
	eid_buf_free(&out);
}

/* Through the transceive layer: an RSA-2048 signature under SM does not
 * fit a short response and comes in two parts (61xx, GET RESPONSE). */
static void aa_one(const char *kind)
{
	uint8_t challenge[EID_AA_CHALLENGE_LEN];
	struct eid_apdu cmd = { .ins = 0x88, .data = challenge,
				.nc = sizeof(challenge), .ne = 256 };
	struct eid_rapdu resp;
	struct fix x;

	fix_open_aa(&x, 256, false, 0, EID_CARD_ACCESS_BAC, kind);
	eid_rapdu_init(&resp, 1024);
	assert_int_equal(eid_random_bytes(challenge, sizeof(challenge)), EID_OK);
	assert_int_equal(eid_reader_select_emrtd(x.rd), EID_OK);
	/* Not before access control. */
	assert_int_equal(eid_reader_transmit(x.rd, &cmd, &resp), EID_OK);
	assert_int_equal(resp.sw, 0x6982);
	assert_int_equal(bac(&x, MRZ_INFO), EID_OK);
	assert_int_equal(eid_reader_transmit(x.rd, &cmd, &resp), EID_OK);
	assert_int_equal(resp.sw, 0x9000);
	assert_int_equal(eid_aa_verify(x.aa, challenge, resp.data.data,
				       resp.data.len, NULL), EID_OK);
	challenge[0] ^= 1;
	assert_int_equal(eid_aa_verify(x.aa, challenge, resp.data.data,
				       resp.data.len, NULL), EID_EVERIFY);
	eid_rapdu_free(&resp);
	fix_close(&x);
}

static void active_authentication(void **state)
{
	(void)state;
	aa_one("p256");
	aa_one("rsa2048");
}

/* ---- PACE and Chip Authentication ---- */

static uint16_t raw(eid_vcard *vc, const char *h, eid_buf *resp);

#define CAN "123456"

/* A PACE card (ECDH GM AES-128 brainpoolP256r1, CAN and MRZ) with DG14
 * announcing Chip Authentication with a P-256 key. */
static void fix_open_eac(struct fix *x, EVP_PKEY **ret_ca)
{
	struct eid_pace_info info;
	eid_buf b;

	fix_open(x, 256, false, 0, EID_CARD_ACCESS_PACE_BAC);
	eid_reader_free(x->rd);
	eid_vcard_free(x->vc);
	memcpy(x->img.can, CAN, sizeof(CAN));
	eid_buf_init(&b, 4096);
	assert_int_equal(eid_pace_info_set(&info, EID_KA_ECDH, EID_SM_AES, 16,
					   13), EID_OK);
	assert_int_equal(eid_cardaccess_encode(&info, 1, &b), EID_OK);
	assert_int_equal(eid_cardimage_set_file(&x->img, EID_FID_CARD_ACCESS,
						b.data, b.len), EID_OK);
	eid_buf_reset(&b);
	*ret_ca = pki_key("p256");
	assert_non_null(*ret_ca);
	assert_int_equal(eid_lds_dg14_encode_ca(*ret_ca, &b), EID_OK);
	assert_int_equal(eid_cardimage_set_file(&x->img, EID_FID_DG14, b.data,
						b.len), EID_OK);
	assert_int_equal(eid_issuer_key_pkcs8(*ret_ca, &x->img.ca_key),
			 EID_OK);
	eid_buf_free(&b);
	assert_int_equal(eid_vcard_new(&x->img, NULL, NULL, &x->vc), EID_OK);
	eid_transport_init_callback(&x->t, eid_vcard_transmit, x->vc);
	assert_int_equal(eid_reader_new(&x->t, NULL, &x->rd), EID_OK);
}

/* PACE as the terminal runs it, from the card's EF.CardAccess. */
static int pace(struct fix *x, enum eid_pace_pw type, const char *pw)
{
	struct eid_security_infos si;
	struct eid_pace_params p = { .pw_type = type, .pw = pw };
	eid_sm *sm = NULL;
	eid_buf ca;
	int r;

	eid_buf_init(&ca, 4096);
	assert_int_equal(eid_reader_read_file(x->rd, EID_FID_CARD_ACCESS,
					      false, &ca), EID_OK);
	assert_int_equal(eid_security_infos_parse(ca.data, ca.len, &si),
			 EID_OK);
	assert_int_equal(eid_pace_choose(&si, &p.info, &p.send_param_id),
			 EID_OK);
	r = eid_pace_authenticate(eid_reader_transport(x->rd), &p, &sm);
	if (r == EID_OK) {
		eid_reader_set_sm(x->rd, sm);
		assert_int_equal(eid_reader_select_emrtd(x->rd), EID_OK);
	}
	eid_buf_free(&ca);
	return r;
}

/* Chip Authentication with key as the chip's public key (DG14's CA info
 * read from the card), then a read under the new keys. */
static int chip_auth(struct fix *x, EVP_PKEY *key)
{
	struct eid_security_infos si;
	struct eid_lds_dg14 d = { 0 };
	struct eid_ca_params p = { .chip_key = key };
	eid_buf dg14, dg1;
	int r;

	eid_buf_init(&dg14, 4096);
	eid_buf_init(&dg1, 4096);
	assert_int_equal(eid_reader_read_file(x->rd, EID_FID_DG14, false,
					      &dg14), EID_OK);
	assert_int_equal(eid_lds_dg14_parse(dg14.data, dg14.len, &d), EID_OK);
	assert_int_equal(eid_security_infos_parse(d.security_infos,
						  d.security_infos_len, &si),
			 EID_OK);
	assert_true(si.nca > 0);
	p.info = &si.ca[0];
	r = eid_ca_authenticate(x->rd, &p);
	if (r == EID_OK)
		r = eid_reader_read_file(x->rd, EID_FID_DG1, false, &dg1);
	if (r == EID_OK)
		assert_int_equal(dg1.len, 0x100);
	eid_lds_dg14_clear(&d);
	eid_buf_free(&dg14);
	eid_buf_free(&dg1);
	return r;
}

static void pace_can_and_ca(void **state)
{
	struct fix x;
	EVP_PKEY *ca = NULL;

	(void)state;
	fix_open_eac(&x, &ca);
	assert_int_equal(pace(&x, EID_PACE_CAN, CAN), EID_OK);
	assert_int_equal(chip_auth(&x, ca), EID_OK);
	fix_close(&x);
	EVP_PKEY_free(ca);
}

static void pace_mrz(void **state)
{
	struct fix x;
	EVP_PKEY *ca = NULL;
	eid_buf out;

	(void)state;
	eid_buf_init(&out, 1 << 20);
	fix_open_eac(&x, &ca);
	assert_int_equal(pace(&x, EID_PACE_MRZ, MRZ_INFO), EID_OK);
	assert_int_equal(eid_reader_read_file(x.rd, EID_FID_DG1, true, &out),
			 EID_OK);
	assert_int_equal(out.len, 0x100);
	fix_close(&x);
	EVP_PKEY_free(ca);
	eid_buf_free(&out);
}

static void pace_wrong_can(void **state)
{
	struct fix x;
	EVP_PKEY *ca = NULL, *ca2 = NULL;
	eid_buf out;

	(void)state;
	eid_buf_init(&out, 1 << 20);
	fix_open_eac(&x, &ca);
	assert_int_equal(pace(&x, EID_PACE_CAN, "654321"), EID_EAUTH);
	/* The right CAN still works afterwards. */
	assert_int_equal(pace(&x, EID_PACE_CAN, CAN), EID_OK);
	assert_int_equal(eid_reader_read_file(x.rd, EID_FID_DG1, false, &out),
			 EID_OK);
	fix_close(&x);
	/* No session after a failed run: data groups stay closed. */
	fix_open_eac(&x, &ca2);
	assert_int_equal(pace(&x, EID_PACE_CAN, "000000"), EID_EAUTH);
	assert_int_equal(eid_reader_select_emrtd(x.rd), EID_OK);
	assert_int_equal(eid_reader_read_file(x.rd, EID_FID_DG1, false, &out),
			 EID_EPERM);
	EVP_PKEY_free(ca2);
	fix_close(&x);
	EVP_PKEY_free(ca);
	eid_buf_free(&out);
}

/* A clone without the chip's CA private key: the terminal's check (the
 * next SM answer) fails.  Simulated by authenticating against another
 * public key than the card holds. */
static void ca_wrong_key(void **state)
{
	struct fix x;
	EVP_PKEY *ca = NULL, *other = pki_key("p256");

	(void)state;
	fix_open_eac(&x, &ca);
	assert_int_equal(pace(&x, EID_PACE_CAN, CAN), EID_OK);
	assert_int_not_equal(chip_auth(&x, other), EID_OK);
	fix_close(&x);
	EVP_PKEY_free(ca);
	EVP_PKEY_free(other);
}

/* PACE and CA commands where they do not belong. */
static void eac_refused(void **state)
{
	struct fix x;
	eid_buf resp;

	(void)state;
	eid_buf_init(&resp, 1024);
	/* A BAC-only card knows no PACE. */
	fix_open(&x, 256, false, 0, EID_CARD_ACCESS_BAC);
	assert_int_equal(raw(x.vc, "00 22 C1 A4 06 80 04 04 00 7F 00", &resp),
			 0x6a88);
	/* GENERAL AUTHENTICATE without MSE:Set AT. */
	assert_int_equal(raw(x.vc, "10 86 00 00 02 7C 00 00", &resp), 0x6985);
	/* CA without a session. */
	assert_int_equal(raw(x.vc, "00 22 41 A4 03 80 01 00", &resp), 0x6a88);
	assert_int_equal(raw(x.vc, "00 22 12 34 00", &resp), 0x6b00);
	fix_close(&x);
	eid_buf_free(&resp);
}

/* Send raw bytes; return the status word of the answer. */
static uint16_t raw(eid_vcard *vc, const char *h, eid_buf *resp)
{
	eid_buf cmd;

	hexbuf(h, &cmd);
	eid_buf_reset(resp);
	assert_int_equal(eid_vcard_process(vc, cmd.data, cmd.len, resp), EID_OK);
	eid_buf_free(&cmd);
	assert_true(resp->len >= 2);
	return (uint16_t)(resp->data[resp->len - 2] << 8 |
			  resp->data[resp->len - 1]);
}

static void secure_messaging_failures(void **state)
{
	struct eid_vcard_stats st;
	eid_buf resp, out;
	struct fix x;

	(void)state;
	eid_buf_init(&resp, 1 << 17);
	eid_buf_init(&out, 1 << 20);
	fix_open(&x, 256, false, 0, EID_CARD_ACCESS_BAC);
	assert_int_equal(eid_reader_select_emrtd(x.rd), EID_OK);
	assert_int_equal(bac(&x, MRZ_INFO), EID_OK);
	/* A protected READ BINARY with a made-up MAC: 6988, session over. */
	assert_int_equal(raw(x.vc, "0CB00000 0D 9701DF 8E08 0102030405060708 00",
			     &resp), 0x6988);
	eid_vcard_stats(x.vc, &st);
	assert_int_equal(st.sm_failures, 1);
	assert_int_equal(raw(x.vc, "00B0810004", &resp), 0x6982);
	/* Protected commands without a session. */
	assert_int_equal(raw(x.vc, "0CB00000 0D 9701DF 8E08 0102030405060708 00",
			     &resp), 0x6882);
	/* A plain command in a session ends it. */
	assert_int_equal(bac(&x, MRZ_INFO), EID_OK);
	assert_int_equal(raw(x.vc, "00A4020C020101", &resp), 0x9000);
	assert_int_equal(eid_reader_read_file(x.rd, EID_FID_DG1, false, &out),
			 EID_ECARD);
	fix_close(&x);
	eid_buf_free(&resp);
	eid_buf_free(&out);
}

static void malformed_commands(void **state)
{
	eid_buf resp;
	struct fix x;

	(void)state;
	eid_buf_init(&resp, 1 << 17);
	fix_open(&x, 256, false, 0, EID_CARD_ACCESS_PACE_BAC);
	assert_int_equal(raw(x.vc, "00", &resp), 0x6700);
	assert_int_equal(raw(x.vc, "00A40400 07 A000000247", &resp), 0x6700);
	assert_int_equal(raw(x.vc, "00CA000000", &resp), 0x6d00);
	assert_int_equal(raw(x.vc, "80A4040C07A0000002471001", &resp), 0x6e00);
	assert_int_equal(raw(x.vc, "00A4040C07A0000002471002", &resp), 0x6a82);
	assert_int_equal(raw(x.vc, "00A4040C07A0000002471001", &resp), 0x9000);
	assert_int_equal(raw(x.vc, "00A4080C020101", &resp), 0x6b00);
	assert_int_equal(raw(x.vc, "00A4020C03010101", &resp), 0x6700);
	assert_int_equal(raw(x.vc, "00B0000000", &resp), 0x6986);
	assert_int_equal(raw(x.vc, "00B09F0004", &resp), 0x6a82);
	assert_int_equal(raw(x.vc, "00B1000003 54017F 00", &resp), 0x6986);
	assert_int_equal(raw(x.vc, "00B1000003 55017F 00", &resp), 0x6a80);
	/* Extended length on a short-only card. */
	assert_int_equal(raw(x.vc, "00B0000000 0100", &resp), 0x6700);
	/* GET CHALLENGE needs Le 8; EXTERNAL AUTHENTICATE a challenge. */
	assert_int_equal(raw(x.vc, "0084000004", &resp), 0x6700);
	assert_int_equal(raw(x.vc, "0082000028" "00000000000000000000000000000000"
			     "00000000000000000000000000000000" "0000000000000000 28",
			     &resp), 0x6985);
	assert_int_equal(raw(x.vc, "0084000008", &resp), 0x9000);
	assert_int_equal(resp.len, 10);
	assert_int_equal(raw(x.vc, "0082000004 00000000 28", &resp), 0x6700);
	/* The challenge was used up by that try. */
	assert_int_equal(raw(x.vc, "0082000028" "00000000000000000000000000000000"
			     "00000000000000000000000000000000" "0000000000000000 28",
			     &resp), 0x6985);
	fix_close(&x);
	eid_buf_free(&resp);
}

static void vpcd_messages(void **state)
{
	static const uint8_t get_atr = EID_VPCD_GET_ATR, on = EID_VPCD_POWER_ON;
	static const uint8_t select[] = { 0x00, 0xa4, 0x04, 0x0c, 0x07, 0xa0,
					  0x00, 0x00, 0x02, 0x47, 0x10, 0x01 };
	const uint8_t *atr;
	uint8_t tck = 0;
	size_t atr_len;
	eid_buf reply;
	bool has;
	struct fix x;

	(void)state;
	eid_buf_init(&reply, 1 << 17);
	fix_open(&x, 256, false, 0, EID_CARD_ACCESS_BAC);
	atr_len = eid_vcard_atr(x.vc, &atr);
	for (size_t i = 1; i < atr_len; i++)
		tck ^= atr[i];
	assert_int_equal(tck, 0);
	assert_int_equal(eid_vcard_vpcd_message(x.vc, &get_atr, 1, &reply, &has),
			 EID_OK);
	assert_true(has);
	assert_int_equal(reply.len, atr_len);
	eid_buf_reset(&reply);
	assert_int_equal(eid_vcard_vpcd_message(x.vc, select, sizeof(select),
						&reply, &has), EID_OK);
	assert_true(has && reply.len == 2 && reply.data[0] == 0x90);
	assert_true(eid_vcard_applet_selected(x.vc));
	eid_buf_reset(&reply);
	assert_int_equal(eid_vcard_vpcd_message(x.vc, &on, 1, &reply, &has),
			 EID_OK);
	assert_false(has);
	assert_false(eid_vcard_applet_selected(x.vc));
	assert_int_equal(eid_vcard_vpcd_message(x.vc, select, 0, &reply, &has),
			 EID_EMALFORMED);
	fix_close(&x);
	eid_buf_free(&reply);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(short_reads),
		cmocka_unit_test(extended_reads),
		cmocka_unit_test(access_control),
		cmocka_unit_test(active_authentication),
		cmocka_unit_test(secure_messaging_failures),
		cmocka_unit_test(malformed_commands),
		cmocka_unit_test(vpcd_messages),
		cmocka_unit_test(pace_can_and_ca),
		cmocka_unit_test(pace_mrz),
		cmocka_unit_test(pace_wrong_can),
		cmocka_unit_test(ca_wrong_key),
		cmocka_unit_test(eac_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
