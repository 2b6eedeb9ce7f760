/* Server-side chip verification over cards made by the test-card issuer
 * (tools/cardissue.c): a valid card, a tampered DG13, a wrong SOD signer,
 * a card without DG15, and the challenge's rules (once, in time, for its
 * binding). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "chip/aa.h"
#include "chip/reader.h"
#include "crypto/error.h"
#include "idp/chipverify.h"
#include "idp/citizen.h"
#include "tmpstore.h"
#include "tools/cardissue.h"

#define PID "001090012345"
#define BINDING "session:abc"

static const char citizen_json[] =
	"{\"personal_id\":\"" PID "\",\"full_name\":\"Nguyễn Văn An\","
	"\"birthdate\":\"1990-03-15\",\"sex\":\"male\","
	"\"card_issued\":\"2021-04-10\",\"card_expires\":\"2036-03-15\"}";

struct fx {
	struct tmpstore ts; /* first: tmpstore helpers */
	char pki_dir[64];
	struct eid_test_pki pki;
	eid_csca_store *csca;
	struct eid_citizen citizen;
	struct eid_chip_verdict *v;
	eid_buf sig;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	unsigned char *der = NULL;
	int n;

	assert_non_null(f);
	tmpstore_open(&f->ts, NULL);
	snprintf(f->pki_dir, sizeof(f->pki_dir), "%s/pki", f->ts.dir);
	assert_int_equal(eid_test_pki_open(f->pki_dir, &f->pki, NULL), EID_OK);
	assert_int_equal(eid_csca_store_new(&f->csca), EID_OK);
	n = i2d_X509(f->pki.csca, &der);
	assert_true(n > 0);
	assert_int_equal(eid_csca_store_add_der(f->csca, der, (size_t)n),
			 EID_OK);
	OPENSSL_free(der);
	assert_int_equal(eid_citizen_parse_json(citizen_json,
						strlen(citizen_json),
						EID_CITIZEN_NO_CLOCK,
						&f->citizen, NULL), EID_OK);
	assert_non_null(f->v = malloc(sizeof(*f->v)));
	eid_buf_init(&f->sig, EID_AA_MAX_SIG);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	eid_buf_free(&f->sig);
	free(f->v);
	eid_csca_store_free(f->csca);
	eid_test_pki_close(&f->pki);
	tmpstore_close(&f->ts); /* the PKI directory with it */
	free(f);
	return 0;
}

static void issue(struct fx *f, enum eid_card_fault fault,
		  enum eid_issuer_key aa, struct eid_cardimage *img)
{
	struct eid_card_issue_opts o = { .fault = fault, .aa_key = aa,
					 .now = (int64_t)time(NULL) };

	assert_int_equal(eid_card_issue(&f->citizen, &f->pki, &o, img),
			 EID_OK);
}

static struct eid_chip_file file(const struct eid_cardimage *img,
				 uint16_t fid)
{
	const eid_buf *b = eid_cardimage_file(img, fid);

	return b != NULL ? (struct eid_chip_file){ b->data, b->len }
			 : (struct eid_chip_file){ NULL, 0 };
}

/* What a client uploads after the card signed challenge. */
static void upload_of(struct fx *f, const struct eid_cardimage *img,
		      const uint8_t challenge[EID_AA_CHALLENGE_LEN],
		      const char *id, struct eid_chip_upload *up)
{
	const unsigned char *p = img->aa_key.data;
	EVP_PKEY *key = NULL;

	*up = (struct eid_chip_upload){
		.sod = file(img, EID_FID_SOD), .dg1 = file(img, EID_FID_DG1),
		.dg2 = file(img, EID_FID_DG2), .dg13 = file(img, EID_FID_DG13),
		.dg14 = file(img, EID_FID_DG14),
		.dg15 = file(img, EID_FID_DG15), .challenge_id = id,
	};
	eid_buf_reset(&f->sig);
	if (img->aa_key.len == 0)
		return;
	key = d2i_AutoPrivateKey(NULL, &p, (long)img->aa_key.len);
	assert_non_null(key);
	assert_int_equal(eid_aa_sign(key, challenge, NULL, &f->sig), EID_OK);
	EVP_PKEY_free(key);
	up->aa_signature = (struct eid_chip_file){ f->sig.data, f->sig.len };
}

/* Issue a card with fault, a challenge for BINDING, and run. */
static int run_card(struct fx *f, enum eid_card_fault fault,
		    enum eid_issuer_key aa)
{
	struct eid_cardimage img;
	struct eid_chip_upload up;
	uint8_t ch[EID_AA_CHALLENGE_LEN];
	char id[EID_CHIPVERIFY_ID_LEN + 1];
	uint64_t now = (uint64_t)time(NULL);
	int r;

	issue(f, fault, aa, &img);
	assert_int_equal(eid_chipverify_challenge(f->ts.store, BINDING, now, ch,
						  id), EID_OK);
	upload_of(f, &img, ch, id, &up);
	r = eid_chipverify_run(f->ts.store, f->csca, &up, BINDING, now, f->v);
	eid_cardimage_clear(&img);
	return r;
}

static void valid_card(void **state)
{
	struct fx *f = *state;
	json_t *j = NULL, *id;

	assert_int_equal(run_card(f, EID_FAULT_NONE, EID_ISSUER_KEY_RSA2048),
			 EID_OK);
	assert_true(f->v->valid);
	assert_int_equal(f->v->pa, EID_CHIP_VALID);
	assert_int_equal(f->v->aa, EID_CHIP_VALID);
	assert_int_equal(f->v->consistency, EID_CHIP_VALID);
	assert_string_equal(f->v->dg13.personal_id, PID);
	assert_int_equal(eid_chipverify_verdict_to_json(f->v, &j), EID_OK);
	assert_true(json_is_true(json_object_get(j, "valid")));
	id = json_object_get(j, "identity");
	assert_string_equal(json_string_value(json_object_get(id,
							      "personal_id")),
			    PID);
	assert_string_equal(json_string_value(json_object_get(id, "birthdate")),
			    "1990-03-15");
	assert_string_equal(json_string_value(json_object_get(id, "sex")),
			    "male");
	assert_non_null(json_object_get(id, "full_name"));
	assert_non_null(json_object_get(id, "document_number"));
	json_decref(j);
}

static void valid_card_ecdsa(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run_card(f, EID_FAULT_NONE, EID_ISSUER_KEY_P256),
			 EID_OK);
	assert_true(f->v->valid);
	assert_int_equal(f->v->aa, EID_CHIP_VALID);
}

static void tampered_dg13(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run_card(f, EID_FAULT_TAMPERED_DG13,
				  EID_ISSUER_KEY_RSA2048), EID_OK);
	assert_false(f->v->valid);
	assert_int_equal(f->v->pa, EID_CHIP_INVALID);
	assert_true(f->v->has_pa_report);
	assert_int_equal(f->v->pa_report.dg_hashes, EID_PA_INVALID);
	assert_int_equal(f->v->aa, EID_CHIP_VALID);
}

static void wrong_signer(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run_card(f, EID_FAULT_WRONG_SOD_SIGNER,
				  EID_ISSUER_KEY_RSA2048), EID_OK);
	assert_false(f->v->valid);
	assert_int_equal(f->v->pa, EID_CHIP_INVALID);
	assert_int_equal(f->v->pa_report.chain, EID_PA_INVALID);
}

static void no_dg15(void **state)
{
	struct fx *f = *state;
	json_t *j = NULL;

	assert_int_equal(run_card(f, EID_FAULT_NO_DG15,
				  EID_ISSUER_KEY_RSA2048), EID_OK);
	assert_false(f->v->valid);
	assert_int_equal(f->v->pa, EID_CHIP_VALID);
	assert_int_equal(f->v->aa, EID_CHIP_NOT_SUPPORTED);
	assert_int_equal(eid_chipverify_verdict_to_json(f->v, &j), EID_OK);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(j, "active_authentication"),
				    "verdict")), "not_supported");
	json_decref(j);
}

/* Challenge rules and signature faults on one valid card. */
struct one {
	struct eid_cardimage img;
	struct eid_chip_upload up;
	uint8_t ch[EID_AA_CHALLENGE_LEN];
	char id[EID_CHIPVERIFY_ID_LEN + 1];
	uint64_t now;
};

static void one_start(struct fx *f, struct one *o)
{
	o->now = (uint64_t)time(NULL);
	issue(f, EID_FAULT_NONE, EID_ISSUER_KEY_P256, &o->img);
	assert_int_equal(eid_chipverify_challenge(f->ts.store, BINDING,
						  o->now, o->ch, o->id),
			 EID_OK);
	upload_of(f, &o->img, o->ch, o->id, &o->up);
}

static void replayed(void **state)
{
	struct fx *f = *state;
	struct one o;

	one_start(f, &o);
	assert_int_equal(eid_chipverify_run(f->ts.store, f->csca, &o.up,
					    BINDING, o.now, f->v), EID_OK);
	assert_true(f->v->valid);
	assert_int_equal(eid_chipverify_run(f->ts.store, f->csca, &o.up,
					    BINDING, o.now, f->v),
			 EID_EREPLAY);
	o.up.challenge_id = "AAAAAAAAAAAAAAAAAAAAAA";
	assert_int_equal(eid_chipverify_run(f->ts.store, f->csca, &o.up,
					    BINDING, o.now, f->v),
			 EID_EREPLAY);
	eid_cardimage_clear(&o.img);
}

static void stale(void **state)
{
	struct fx *f = *state;
	struct one o;

	one_start(f, &o);
	assert_int_equal(eid_chipverify_run(f->ts.store, f->csca, &o.up,
					    BINDING,
					    o.now + EID_CHIPVERIFY_TTL + 1,
					    f->v), EID_EEXPIRED);
	/* Taken anyway. */
	assert_int_equal(eid_chipverify_run(f->ts.store, f->csca, &o.up,
					    BINDING, o.now, f->v),
			 EID_EREPLAY);
	eid_cardimage_clear(&o.img);
}

static void wrong_binding(void **state)
{
	struct fx *f = *state;
	struct one o;

	one_start(f, &o);
	assert_int_equal(eid_chipverify_run(f->ts.store, f->csca, &o.up,
					    "session:other", o.now, f->v),
			 EID_EPERM);
	assert_int_equal(eid_chipverify_run(f->ts.store, f->csca, &o.up,
					    BINDING, o.now, f->v),
			 EID_EREPLAY);
	eid_cardimage_clear(&o.img);
}

static void missing_signature(void **state)
{
	struct fx *f = *state;
	struct one o;

	one_start(f, &o);
	o.up.aa_signature = (struct eid_chip_file){ NULL, 0 };
	assert_int_equal(eid_chipverify_run(f->ts.store, f->csca, &o.up,
					    BINDING, o.now, f->v), EID_OK);
	assert_false(f->v->valid);
	assert_int_equal(f->v->pa, EID_CHIP_VALID);
	assert_int_equal(f->v->aa, EID_CHIP_INVALID);
	assert_string_equal(f->v->aa_reason, "no aa_signature uploaded");
	eid_cardimage_clear(&o.img);
}

static void bad_signature(void **state)
{
	struct fx *f = *state;
	struct one o;

	one_start(f, &o);
	f->sig.data[f->sig.len / 2] ^= 0x01;
	assert_int_equal(eid_chipverify_run(f->ts.store, f->csca, &o.up,
					    BINDING, o.now, f->v), EID_OK);
	assert_false(f->v->valid);
	assert_int_equal(f->v->aa, EID_CHIP_INVALID);
	eid_cardimage_clear(&o.img);
}

/* A signature over another challenge (the client's own) is refused. */
static void other_challenge(void **state)
{
	struct fx *f = *state;
	struct one o;
	uint8_t mine[EID_AA_CHALLENGE_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	one_start(f, &o);
	upload_of(f, &o.img, mine, o.id, &o.up);
	assert_int_equal(eid_chipverify_run(f->ts.store, f->csca, &o.up,
					    BINDING, o.now, f->v), EID_OK);
	assert_false(f->v->valid);
	assert_int_equal(f->v->aa, EID_CHIP_INVALID);
	eid_cardimage_clear(&o.img);
}

static void bad_input(void **state)
{
	struct fx *f = *state;
	struct one o;
	uint8_t ch[EID_AA_CHALLENGE_LEN];
	char id[EID_CHIPVERIFY_ID_LEN + 1];
	static const uint8_t junk[] = { 0x77, 0x03, 0x01, 0x02 };

	assert_int_equal(eid_chipverify_challenge(f->ts.store, "", 1, ch, id),
			 EID_EINVAL);
	one_start(f, &o);
	o.up.sod = (struct eid_chip_file){ NULL, 0 };
	assert_int_equal(eid_chipverify_run(f->ts.store, f->csca, &o.up,
					    BINDING, o.now, f->v), EID_EINVAL);
	/* A SOD that does not parse: a verdict, not an error. */
	o.up.sod = (struct eid_chip_file){ junk, sizeof(junk) };
	assert_int_equal(eid_chipverify_run(f->ts.store, f->csca, &o.up,
					    BINDING, o.now, f->v), EID_OK);
	assert_false(f->v->valid);
	assert_int_equal(f->v->pa, EID_CHIP_INVALID);
	assert_non_null(strstr(f->v->pa_reason, "EF.SOD"));
	eid_cardimage_clear(&o.img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(valid_card, setup, teardown),
		cmocka_unit_test_setup_teardown(valid_card_ecdsa, setup,
						teardown),
		cmocka_unit_test_setup_teardown(tampered_dg13, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_signer, setup, teardown),
		cmocka_unit_test_setup_teardown(no_dg15, setup, teardown),
		cmocka_unit_test_setup_teardown(replayed, setup, teardown),
		cmocka_unit_test_setup_teardown(stale, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_binding, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_signature, setup,
						teardown),
		cmocka_unit_test_setup_teardown(bad_signature, setup, teardown),
		cmocka_unit_test_setup_teardown(other_challenge, setup,
						teardown),
		cmocka_unit_test_setup_teardown(bad_input, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
