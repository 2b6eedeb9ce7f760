/* Device binding, device-authenticated requests, QR login handles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "idp/device.h"
#include "idp/device_auth.h"
#include "idp/dpop.h"
#include "idp/qrlogin.h"
#include "tmpstore.h"

#define PID "001090000001"
#define AUD "https://idp.example/api/v1/qr/x"
#define IID "iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii"
#define IID2 "jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj"

static const uint8_t nkey[32] = { 1, 2, 3 };

struct fx {
	struct tmpstore ts; /* first: see tmpstore_member_setup */
	eid_key *k1, *k2;
	int jti;
};

static int group_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(eid_key_generate(EID_ALG_ES256, &f->k1), EID_OK);
	assert_int_equal(eid_key_generate(EID_ALG_ES256, &f->k2), EID_OK);
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fx *f = *state;

	eid_key_free(f->k1);
	eid_key_free(f->k2);
	free(f);
	return 0;
}

static void bind(struct fx *f, eid_key *k, struct eid_device *ret)
{
	char old[EID_DEVICE_ID_LEN + 1];
	json_t *jwk = NULL;
	eid_txn *t = NULL;

	assert_int_equal(eid_key_public_jwk(k, &jwk), EID_OK);
	assert_int_equal(eid_store_begin(f->ts.store, true, &t), EID_OK);
	assert_int_equal(eid_device_bind(t, PID, jwk, 2, "127.0.0.1",
					 TMPSTORE_NOW, ret, old),
			 EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	json_decref(jwk);
}

/* A request JWS by k for device id with the given tweaks. */
static char *sign(struct fx *f, eid_key *k, const char *iss, const char *aud,
		  int64_t iat, const char *jti, const char *nonce)
{
	char n[EID_DEVICE_NONCE_LEN + 1], j[32], *jws = NULL;
	json_t *c;

	assert_int_equal(eid_device_nonce_issue(nkey, TMPSTORE_NOW, n), EID_OK);
	snprintf(j, sizeof(j), "j%d", ++f->jti);
	c = json_pack("{s:s,s:s,s:I,s:s,s:s}", "iss", iss, "aud", aud, "iat",
		      (json_int_t)iat, "jti", jti != NULL ? jti : j, "nonce",
		      nonce != NULL ? nonce : n);
	assert_int_equal(eid_jws_sign(k, EID_DEVICE_JWS_TYP, c, &jws), EID_OK);
	json_decref(c);
	return jws;
}

static int verify(struct fx *f, const char *jws)
{
	struct eid_device_auth_request q = { AUD, nkey, TMPSTORE_NOW };
	struct eid_device d = { 0 };
	int r = eid_device_auth_verify(f->ts.store, jws, strlen(jws), &q, &d);

	if (r == EID_OK)
		assert_string_equal(d.personal_id, PID);
	eid_device_clear(&d);
	return r;
}

static void test_device_auth(void **state)
{
	struct fx *f = *state;
	struct eid_device d = { 0 };
	char *jws;

	bind(f, f->k1, &d);
	jws = sign(f, f->k1, d.id, AUD, TMPSTORE_NOW, "once", NULL);
	assert_int_equal(verify(f, jws), EID_OK);
	assert_int_equal(verify(f, jws), EID_EREPLAY); /* replayed jti */
	free(jws);
	jws = sign(f, f->k1, d.id, "https://idp.example/other", TMPSTORE_NOW,
		   NULL, NULL);
	assert_int_equal(verify(f, jws), EID_EMISMATCH); /* wrong aud */
	free(jws);
	jws = sign(f, f->k1, d.id, AUD, TMPSTORE_NOW - 61, NULL, NULL);
	assert_int_equal(verify(f, jws), EID_EEXPIRED);
	free(jws);
	jws = sign(f, f->k1, d.id, AUD, TMPSTORE_NOW + 61, NULL, NULL);
	assert_int_equal(verify(f, jws), EID_EEXPIRED);
	free(jws);
	jws = sign(f, f->k1, d.id, AUD, TMPSTORE_NOW, NULL,
		   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	assert_int_equal(verify(f, jws), EID_ESTATE); /* bad nonce */
	free(jws);
	jws = sign(f, f->k2, d.id, AUD, TMPSTORE_NOW, NULL, NULL);
	assert_int_equal(verify(f, jws), EID_EVERIFY); /* another key */
	free(jws);
	jws = sign(f, f->k1, "unknown-device", AUD, TMPSTORE_NOW, NULL, NULL);
	assert_int_equal(verify(f, jws), EID_ENOTFOUND);
	free(jws);
	assert_int_equal(verify(f, "not.a-jws"), EID_EMALFORMED);
	eid_device_clear(&d);
}

static void test_rebind_ends_old(void **state)
{
	struct fx *f = *state;
	struct eid_device d1 = { 0 }, d2 = { 0 }, a = { 0 };
	eid_txn *t = NULL;
	char *jws;

	bind(f, f->k1, &d1);
	bind(f, f->k2, &d2);
	jws = sign(f, f->k1, d1.id, AUD, TMPSTORE_NOW, NULL, NULL);
	assert_int_equal(verify(f, jws), EID_ENOTFOUND); /* old device */
	free(jws);
	jws = sign(f, f->k2, d2.id, AUD, TMPSTORE_NOW, NULL, NULL);
	assert_int_equal(verify(f, jws), EID_OK);
	free(jws);
	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_device_active(t, PID, &a), EID_OK);
	assert_string_equal(a.id, d2.id);
	eid_device_clear(&a);
	assert_int_equal(eid_device_get(t, d1.id, &a), EID_OK);
	assert_false(a.active);
	eid_device_clear(&a);
	eid_txn_abort(t);
	eid_device_clear(&d1);
	eid_device_clear(&d2);
}

static void test_bad_jwk(void **state)
{
	struct fx *f = *state;
	json_t *rsa = json_pack("{s:s,s:s,s:s}", "kty", "RSA", "n", "AQAB",
				"e", "AQAB");
	json_t *priv = NULL;

	(void)f;
	assert_int_equal(eid_device_check_jwk(rsa, NULL), EID_EUNSUPPORTED);
	assert_int_equal(eid_key_public_jwk(f->k1, &priv), EID_OK);
	json_object_set_new(priv, "d", json_string("AAAA"));
	assert_int_equal(eid_device_check_jwk(priv, NULL), EID_EINVAL);
	assert_int_equal(eid_device_check_jwk(NULL, NULL), EID_EMALFORMED);
	json_decref(rsa);
	json_decref(priv);
}

static void test_qr_lifecycle(void **state)
{
	struct fx *f = *state;
	char h[EID_QR_HANDLE_LEN + 1];
	enum eid_qr_status st;
	struct eid_qr q;
	eid_store *s;

	tmpstore_close(&f->ts);
	tmpstore_open(&f->ts, tmpstore_movable_clock);
	s = f->ts.store;
	tmpstore_clock_now = TMPSTORE_NOW;
	assert_int_equal(eid_qr_create(s, IID, TMPSTORE_NOW, h), EID_OK);
	assert_int_equal(eid_qr_status(s, h, IID, &st), EID_OK);
	assert_int_equal(st, EID_QR_PENDING);
	assert_int_equal(eid_qr_take(s, h, IID, &q), EID_ESTATE);
	assert_int_equal(eid_qr_decide(s, h, true, PID, "dev", 1), EID_OK);
	/* single approval */
	assert_int_equal(eid_qr_decide(s, h, true, PID, "dev", 1), EID_ESTATE);
	assert_int_equal(eid_qr_decide(s, h, false, PID, "dev", 1), EID_ESTATE);
	/* another browser */
	assert_int_equal(eid_qr_status(s, h, IID2, &st), EID_EPERM);
	assert_int_equal(eid_qr_take(s, h, IID2, &q), EID_EPERM);
	assert_int_equal(eid_qr_status(s, h, IID, &st), EID_OK);
	assert_int_equal(st, EID_QR_APPROVED);
	assert_int_equal(eid_qr_take(s, h, IID, &q), EID_OK);
	assert_int_equal(q.status, EID_QR_APPROVED);
	assert_string_equal(q.personal_id, PID);
	assert_int_equal(eid_qr_take(s, h, IID, &q), EID_ENOTFOUND);

	/* deny */
	assert_int_equal(eid_qr_create(s, IID, TMPSTORE_NOW, h), EID_OK);
	assert_int_equal(eid_qr_decide(s, h, false, PID, "dev", 1), EID_OK);
	assert_int_equal(eid_qr_status(s, h, IID, &st), EID_OK);
	assert_int_equal(st, EID_QR_DENIED);
	assert_int_equal(eid_qr_take(s, h, IID, &q), EID_OK);
	assert_int_equal(q.status, EID_QR_DENIED);

	/* expiry */
	assert_int_equal(eid_qr_create(s, IID, TMPSTORE_NOW, h), EID_OK);
	tmpstore_clock_now = TMPSTORE_NOW + EID_QR_TTL + 1;
	assert_int_equal(eid_qr_decide(s, h, true, PID, "dev", 1),
			 EID_ENOTFOUND);
	assert_int_equal(eid_qr_status(s, h, IID, &st), EID_OK);
	assert_int_equal(st, EID_QR_EXPIRED);
	assert_int_equal(eid_qr_status(s, "garbage", IID, &st), EID_OK);
	assert_int_equal(st, EID_QR_EXPIRED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_device_auth,
						tmpstore_member_setup,
						tmpstore_member_teardown),
		cmocka_unit_test_setup_teardown(test_rebind_ends_old,
						tmpstore_member_setup,
						tmpstore_member_teardown),
		cmocka_unit_test_setup_teardown(test_bad_jwk,
						tmpstore_member_setup,
						tmpstore_member_teardown),
		cmocka_unit_test_setup_teardown(test_qr_lifecycle,
						tmpstore_member_setup,
						tmpstore_member_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
