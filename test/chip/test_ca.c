/* Chip Authentication: our terminal against our card, through secure
 * messaging set up as BAC or PACE would leave it, then a file read under
 * the new keys; a chip without the private key is caught at that read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "chip/apdu.h"
#include "chip/ca.h"
#include "chip/cardaccess.h"
#include "chip/lds.h"
#include "chip/reader.h"
#include "chip/tlv.h"
#include "chiptest.h"
#include "crypto/error.h"

/* The card: CA commands handled here under the current session (answered
 * under it, then the session switches), everything else by the simulated
 * file.  A clone holds another private key and, unable to check the
 * terminal's MAC, answers under the keys it has. */
struct ca_sim {
	struct simcard file;
	EVP_PKEY *key; /* the card's private key */
	struct eid_ca_info info;
	bool clone, switched;
};

static uint16_t ca_command(struct ca_sim *s, const struct eid_apdu *a,
			   eid_buf *data, eid_sm **ret_sm)
{
	int r = EID_EUNSUPPORTED;

	if (a->ins == 0x22 && a->p1 == 0x41 && a->p2 == 0xa4)
		r = eid_ca_card_set_at(&s->info, a->data, a->nc);
	else if (a->ins == 0x22 && a->p1 == 0x41 && a->p2 == 0xa6)
		r = eid_ca_card_set_kat(s->key, &s->info, a->data, a->nc, ret_sm);
	else if (a->ins == 0x86)
		r = eid_ca_card_general_authenticate(s->key, &s->info, a->data,
						     a->nc, data, ret_sm);
	return r == EID_OK ? 0x9000 : 0x6a80;
}

static int ca_sim_transmit(void *ctx, const uint8_t *capdu, size_t n,
			   eid_buf *rapdu)
{
	struct ca_sim *s = ctx;
	struct eid_apdu a, plain;
	eid_buf in, data;
	eid_sm *sm = NULL;
	uint16_t sw;

	assert_true(n >= 4);
	if (capdu[1] != 0x22 && capdu[1] != 0x86) {
		if (s->clone && s->switched)
			return eid_sm_card_protect(s->file.sm, capdu[1], NULL, 0,
						   0x9000, rapdu);
		return simcard_transmit(&s->file, capdu, n, rapdu);
	}
	eid_buf_init(&in, 4096);
	eid_buf_init(&data, 4096);
	assert_int_equal(eid_apdu_decode(capdu, n, &a), EID_OK);
	assert_int_equal(eid_sm_card_unprotect(s->file.sm, &a, &in, &plain), EID_OK);
	sw = ca_command(s, &plain, &data, &sm);
	assert_int_equal(eid_sm_card_protect(s->file.sm, plain.ins, data.data,
					     data.len, sw, rapdu), EID_OK);
	if (sm != NULL) {
		eid_sm_free(s->file.sm);
		s->file.sm = sm;
		s->switched = true;
	}
	eid_buf_free(&in);
	eid_buf_free(&data);
	return EID_OK;
}

/* Both sides' sessions as PACE with AES-128 would leave them. */
static void open_sessions(eid_sm **term, eid_sm **card)
{
	uint8_t ksenc[16], ksmac[16], ssc[16] = { 0 };

	hex("F5F0E35C0D7161EE6724EE513A0D9A7F", ksenc, sizeof(ksenc));
	hex("FE251C7858B356B24514B3BD5F4297D1", ksmac, sizeof(ksmac));
	assert_int_equal(eid_sm_new(EID_SM_AES, ksenc, ksmac, 16, ssc, 16, term),
			 EID_OK);
	assert_int_equal(eid_sm_new(EID_SM_AES, ksenc, ksmac, 16, ssc, 16, card),
			 EID_OK);
}

static EVP_PKEY *dh_key(const char *group)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "DHX", NULL);
	OSSL_PARAM params[2] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						 (char *)group, 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_PKEY *key = NULL;

	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_params(ctx, params), 1);
	assert_int_equal(EVP_PKEY_generate(ctx, &key), 1);
	EVP_PKEY_CTX_free(ctx);
	return key;
}

/* The terminal's view of the chip key: DG14 as the card image holds it. */
static EVP_PKEY *public_from_dg14(EVP_PKEY *key)
{
	struct eid_lds_dg14 d;
	EVP_PKEY *pub;
	eid_buf b;

	eid_buf_init(&b, 8192);
	assert_int_equal(eid_lds_dg14_encode_ca(key, &b), EID_OK);
	assert_int_equal(eid_lds_dg14_parse(b.data, b.len, &d), EID_OK);
	assert_non_null(d.ca_key);
	pub = d.ca_key;
	d.ca_key = NULL;
	eid_lds_dg14_clear(&d);
	eid_buf_free(&b);
	return pub;
}

struct ca_case {
	EVP_PKEY *card_key;  /* what the card holds */
	EVP_PKEY *dg14_key;  /* what DG14 announces (private or public) */
	enum eid_ka_type ka;
	enum eid_sm_alg alg;
	size_t keylen;
	bool clone;
	int want_read;
};

static void run_ca(const struct ca_case *c)
{
	uint8_t file[300];
	struct ca_sim sim = { .key = c->card_key, .clone = c->clone };
	struct eid_transport t;
	struct eid_ca_params p = { .info = &sim.info };
	eid_reader *rd = NULL;
	eid_sm *term = NULL;
	eid_buf out;

	file[0] = 0x6e;
	file[1] = 0x82;
	file[2] = 0x01;
	file[3] = 0x28;
	for (size_t i = 4; i < sizeof(file); i++)
		file[i] = (uint8_t)(i * 13);
	sim.file = (struct simcard){ .file = file, .file_len = sizeof(file),
				     .fid = EID_FID_COM, .max_ne = 256 };
	open_sessions(&term, &sim.file.sm);
	assert_int_equal(eid_ca_info_set(&sim.info, c->ka, c->alg, c->keylen),
			 EID_OK);
	p.chip_key = public_from_dg14(c->dg14_key);
	eid_transport_init_callback(&t, ca_sim_transmit, &sim);
	assert_int_equal(eid_reader_new(&t, NULL, &rd), EID_OK);
	eid_reader_set_sm(rd, term);
	assert_int_equal(eid_ca_authenticate(rd, &p), EID_OK);
	assert_true(sim.switched);
	/* The anti-cloning check: a read under the new keys. */
	eid_buf_init(&out, 4096);
	assert_int_equal(eid_reader_read_file(rd, EID_FID_COM, false, &out),
			 c->want_read);
	if (c->want_read == EID_OK) {
		assert_int_equal(out.len, sizeof(file));
		assert_memory_equal(out.data, file, sizeof(file));
	}
	eid_buf_free(&out);
	eid_reader_free(rd);
	eid_sm_free(sim.file.sm);
	EVP_PKEY_free(p.chip_key);
}

static void test_ecdh_aes(void **state)
{
	EVP_PKEY *key = EVP_EC_gen("brainpoolP256r1");
	struct ca_case c = { key, key, EID_KA_ECDH, EID_SM_AES, 16, false, EID_OK };

	(void)state;
	run_ca(&c);
	c.keylen = 32;
	run_ca(&c);
	EVP_PKEY_free(key);
}

static void test_ecdh_3des_kat(void **state)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	struct ca_case c = { key, key, EID_KA_ECDH, EID_SM_3DES, 16, false, EID_OK };

	(void)state;
	run_ca(&c);
	EVP_PKEY_free(key);
}

static void test_dh(void **state)
{
	EVP_PKEY *key = dh_key("dh_2048_224");
	struct ca_case c = { key, key, EID_KA_DH, EID_SM_AES, 16, false, EID_OK };

	(void)state;
	run_ca(&c);
	EVP_PKEY_free(key);
}

/* A chip without DG14's private key: the first response under the new
 * keys does not verify. */
static void test_clone(void **state)
{
	EVP_PKEY *genuine = EVP_EC_gen("brainpoolP256r1");
	EVP_PKEY *other = EVP_EC_gen("brainpoolP256r1");
	struct ca_case c = { other, genuine, EID_KA_ECDH, EID_SM_AES, 16, true,
			     EID_EVERIFY };

	(void)state;
	run_ca(&c);
	c.alg = EID_SM_3DES;
	run_ca(&c);
	EVP_PKEY_free(genuine);
	EVP_PKEY_free(other);
}

/* The card refuses a protocol it does not run, malformed data and a key
 * that is not on its curve. */
static void test_card_refusals(void **state)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	struct eid_ca_info info, other;
	eid_sm *sm = NULL;
	eid_buf b, resp;

	(void)state;
	assert_int_equal(eid_ca_info_set(&info, EID_KA_ECDH, EID_SM_AES, 16), EID_OK);
	assert_int_equal(eid_ca_info_set(&other, EID_KA_ECDH, EID_SM_AES, 32), EID_OK);
	hexbuf("800A04007F00070202030202", &b);
	assert_int_equal(eid_ca_card_set_at(&info, b.data, b.len), EID_OK);
	assert_int_equal(eid_ca_card_set_at(&other, b.data, b.len), EID_ENOTFOUND);
	eid_buf_free(&b);
	hexbuf("800A04007F00070202030202840101", &b);
	assert_int_equal(eid_ca_card_set_at(&info, b.data, b.len), EID_OK);
	eid_buf_free(&b);
	hexbuf("800A04007F000702020302028501", &b);
	assert_int_equal(eid_ca_card_set_at(&info, b.data, b.len), EID_EMALFORMED);
	eid_buf_free(&b);
	eid_buf_init(&resp, 256);
	/* A point off the curve. */
	hexbuf("7C438041" "04" "7ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E"
	       "544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D", &b);
	assert_int_equal(eid_ca_card_general_authenticate(key, &info, b.data, b.len,
							  &resp, &sm), EID_EVERIFY);
	assert_int_equal(eid_ca_card_set_kat(key, &info, b.data + 2, b.len - 2, &sm),
			 EID_EMALFORMED);
	eid_buf_free(&b);
	/* A DH protocol with an EC key. */
	assert_int_equal(eid_ca_info_set(&other, EID_KA_DH, EID_SM_AES, 16), EID_OK);
	hexbuf("7C03800101", &b);
	assert_int_equal(eid_ca_card_general_authenticate(key, &other, b.data, b.len,
							  &resp, &sm), EID_EINVAL);
	eid_buf_free(&b);
	assert_null(sm);
	assert_int_equal(resp.len, 0);
	eid_buf_free(&resp);
	EVP_PKEY_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ecdh_aes),
		cmocka_unit_test(test_ecdh_3des_kat),
		cmocka_unit_test(test_dh),
		cmocka_unit_test(test_clone),
		cmocka_unit_test(test_card_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
