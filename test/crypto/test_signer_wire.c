/* The signer process's framing (crypto/signer_wire.c): what is encoded
 * parses back, and every malformed record is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "crypto/signer_wire.h"

static const uint8_t dig[32] = { 7, 7, 7 };

static void test_sign_roundtrip(void **state)
{
	struct eid_signer_req req;
	eid_buf b;

	(void)state;
	eid_buf_init(&b, EID_SIGNER_MSG_MAX);
	assert_int_equal(eid_signer_req_sign("kid-1", EID_ALG_PS256, dig,
					     sizeof(dig), &b), EID_OK);
	assert_int_equal(eid_signer_req_parse(b.data, b.len, &req), EID_OK);
	assert_int_equal(req.op, EID_SIGNER_SIGN);
	assert_int_equal(req.alg, EID_ALG_PS256);
	assert_string_equal(req.kid, "kid-1");
	assert_int_equal(req.digest_len, sizeof(dig));
	assert_memory_equal(req.digest, dig, sizeof(dig));
	/* Every shorter prefix and one trailing byte are refused. */
	for (size_t n = 0; n < b.len; n++)
		assert_int_equal(eid_signer_req_parse(b.data, n, &req),
				 EID_EMALFORMED);
	assert_int_equal(eid_buf_put_u8(&b, 0), EID_OK);
	assert_int_equal(eid_signer_req_parse(b.data, b.len, &req),
			 EID_EMALFORMED);
	eid_buf_free(&b);
}

static void test_load_roundtrip(void **state)
{
	struct eid_signer_req req;
	uint8_t blob[100];
	eid_buf b;

	(void)state;
	memset(blob, 0xe1, sizeof(blob));
	eid_buf_init(&b, EID_SIGNER_MSG_MAX);
	assert_int_equal(eid_signer_req_load(blob, sizeof(blob), &b), EID_OK);
	assert_int_equal(eid_signer_req_parse(b.data, b.len, &req), EID_OK);
	assert_int_equal(req.op, EID_SIGNER_LOAD);
	assert_int_equal(req.blob_len, sizeof(blob));
	assert_memory_equal(req.blob, blob, sizeof(blob));
	eid_buf_free(&b);
	/* Bounded: a blob past the cap is not even encoded. */
	eid_buf_init(&b, EID_SIGNER_MSG_MAX * 2);
	assert_int_equal(eid_signer_req_load(blob, EID_SIGNER_PAYLOAD_MAX + 1,
					     &b), EID_EINVAL);
	eid_buf_free(&b);
}

static void test_bad_records(void **state)
{
	static const uint8_t bad_version[] = { 2, 2, 1, 1, 'k', 1, 0 };
	static const uint8_t bad_op[] = { 1, 9 };
	static const uint8_t bad_alg[] = { 1, 2, 99, 1, 'k', 1, 0 };
	static const uint8_t space_kid[] = { 1, 2, 1, 1, ' ', 1, 0 };
	static const uint8_t no_digest[] = { 1, 2, 1, 1, 'k', 0 };
	static const uint8_t long_digest[] = { 1, 2, 1, 1, 'k', 65 };
	static const uint8_t empty_load[] = { 1, 1, 0, 0 };
	static uint8_t huge[EID_SIGNER_MSG_MAX + 1];
	struct eid_signer_req req;

	(void)state;
	assert_int_equal(eid_signer_req_parse(bad_version, sizeof(bad_version),
					      &req), EID_EMALFORMED);
	assert_int_equal(eid_signer_req_parse(bad_op, sizeof(bad_op), &req),
			 EID_EMALFORMED);
	assert_int_equal(eid_signer_req_parse(bad_alg, sizeof(bad_alg), &req),
			 EID_EMALFORMED);
	assert_int_equal(eid_signer_req_parse(space_kid, sizeof(space_kid),
					      &req), EID_EMALFORMED);
	assert_int_equal(eid_signer_req_parse(no_digest, sizeof(no_digest),
					      &req), EID_EMALFORMED);
	assert_int_equal(eid_signer_req_parse(long_digest,
					      sizeof(long_digest), &req),
			 EID_EMALFORMED);
	assert_int_equal(eid_signer_req_parse(empty_load, sizeof(empty_load),
					      &req), EID_EMALFORMED);
	assert_int_equal(eid_signer_req_parse(huge, sizeof(huge), &req),
			 EID_ETOOBIG);
}

static void test_answers(void **state)
{
	static const uint8_t spki[] = { 0x30, 0x03, 1, 2, 3 };
	struct eid_signer_resp resp;
	struct eid_signer_pub pub;
	eid_buf b, p;

	(void)state;
	eid_buf_init(&b, EID_SIGNER_MSG_MAX);
	eid_buf_init(&p, EID_SIGNER_PAYLOAD_MAX);
	assert_int_equal(eid_signer_pub_put(EID_ALG_ES256, "abc", spki,
					    sizeof(spki), &p), EID_OK);
	assert_int_equal(eid_signer_resp_put(EID_OK, p.data, p.len, &b),
			 EID_OK);
	assert_int_equal(eid_signer_resp_parse(b.data, b.len, &resp), EID_OK);
	assert_int_equal(resp.status, EID_OK);
	assert_int_equal(eid_signer_pub_parse(resp.payload, resp.len, &pub),
			 EID_OK);
	assert_int_equal(pub.alg, EID_ALG_ES256);
	assert_string_equal(pub.kid, "abc");
	assert_int_equal(pub.spki_len, sizeof(spki));
	/* An error answer carries its code and nothing else. */
	eid_buf_reset(&b);
	assert_int_equal(eid_signer_resp_put(EID_ENOTFOUND, NULL, 0, &b),
			 EID_OK);
	assert_int_equal(eid_signer_resp_parse(b.data, b.len, &resp), EID_OK);
	assert_int_equal(resp.status, EID_ENOTFOUND);
	assert_int_equal(resp.len, 0);
	assert_int_equal(eid_signer_resp_put(EID_ENOTFOUND, spki, 1, &b),
			 EID_EINVAL);
	/* A truncated answer is refused. */
	eid_buf_reset(&b);
	assert_int_equal(eid_signer_resp_put(EID_OK, spki, sizeof(spki), &b),
			 EID_OK);
	assert_int_equal(eid_signer_resp_parse(b.data, b.len - 1, &resp),
			 EID_EMALFORMED);
	eid_buf_free(&b);
	eid_buf_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_roundtrip),
		cmocka_unit_test(test_load_roundtrip),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_answers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
