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

/* Every shorter prefix of the record in b, and b with one trailing byte,
 * are refused. */
static void refused_cut_or_longer(eid_buf *b)
{
	struct eid_signer_req req;

	for (size_t n = 0; n < b->len; n++)
		assert_int_equal(eid_signer_req_parse(b->data, n, &req),
				 EID_EMALFORMED);
	assert_int_equal(eid_buf_put_u8(b, 0), EID_OK);
	assert_int_equal(eid_signer_req_parse(b->data, b->len, &req),
			 EID_EMALFORMED);
}

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
	refused_cut_or_longer(&b);
	eid_buf_free(&b);
}

/* LOAD, and LOAD_SHORT: the same record under its own op. */
static void test_load_roundtrip(void **state)
{
	int (*const put[2])(const uint8_t *, size_t, eid_buf *) = {
		eid_signer_req_load, eid_signer_req_load_short
	};
	const enum eid_signer_op ops[2] = { EID_SIGNER_LOAD,
					    EID_SIGNER_LOAD_SHORT };
	struct eid_signer_req req;
	uint8_t blob[100];
	eid_buf b;

	(void)state;
	memset(blob, 0xe1, sizeof(blob));
	for (int i = 0; i < 2; i++) {
		eid_buf_init(&b, EID_SIGNER_MSG_MAX);
		assert_int_equal(put[i](blob, sizeof(blob), &b), EID_OK);
		assert_int_equal(eid_signer_req_parse(b.data, b.len, &req),
				 EID_OK);
		assert_int_equal(req.op, ops[i]);
		assert_int_equal(req.blob_len, sizeof(blob));
		assert_memory_equal(req.blob, blob, sizeof(blob));
		assert_int_equal(put[i](blob, 0, &b), EID_EINVAL);
		eid_buf_free(&b);
	}
	/* Bounded: a blob past the cap is not even encoded. */
	eid_buf_init(&b, EID_SIGNER_MSG_MAX * 2);
	assert_int_equal(eid_signer_req_load(blob, EID_SIGNER_PAYLOAD_MAX + 1,
					     &b), EID_EINVAL);
	eid_buf_free(&b);
}

/* GENERATE names an alg, one we know. */
static void test_generate_roundtrip(void **state)
{
	struct eid_signer_req req;
	eid_buf b;

	(void)state;
	eid_buf_init(&b, EID_SIGNER_MSG_MAX);
	assert_int_equal(eid_signer_req_generate(EID_ALG_RS256, &b), EID_OK);
	assert_int_equal(b.len, 3);
	assert_int_equal(eid_signer_req_parse(b.data, b.len, &req), EID_OK);
	assert_int_equal(req.op, EID_SIGNER_GENERATE);
	assert_int_equal(req.alg, EID_ALG_RS256);
	refused_cut_or_longer(&b);
	eid_buf_reset(&b);
	assert_int_equal(eid_signer_req_generate(EID_ALG_UNSET, &b),
			 EID_EINVAL);
	assert_int_equal(eid_signer_req_generate((eid_alg)99, &b), EID_EINVAL);
	eid_buf_free(&b);
}

/* GENERATE's answer: the blob and the public half, each bounded. */
static void test_generate_answer(void **state)
{
	static const uint8_t spki[] = { 0x30, 0x03, 1, 2, 3 };
	static const uint8_t empty_blob[] = { 0, 0, 1, 3, 'k', 'i', 'd', 0x30 };
	static const uint8_t long_blob[] = { 0, 9, 0xe1, 1, 3, 'k', 'i', 'd' };
	struct eid_signer_gen gen;
	uint8_t blob[300];
	eid_buf b;

	(void)state;
	memset(blob, 0xe1, sizeof(blob));
	eid_buf_init(&b, EID_SIGNER_PAYLOAD_MAX);
	assert_int_equal(eid_signer_gen_put(blob, sizeof(blob), EID_ALG_ES256,
					    "kid-2", spki, sizeof(spki), &b),
			 EID_OK);
	assert_int_equal(eid_signer_gen_parse(b.data, b.len, &gen), EID_OK);
	assert_int_equal(gen.blob_len, sizeof(blob));
	assert_memory_equal(gen.blob, blob, sizeof(blob));
	assert_int_equal(gen.pub.alg, EID_ALG_ES256);
	assert_string_equal(gen.pub.kid, "kid-2");
	assert_int_equal(gen.pub.spki_len, sizeof(spki));
	assert_memory_equal(gen.pub.spki, spki, sizeof(spki));
	/* Cut anywhere before the key's first byte: refused. */
	for (size_t n = 0; n < b.len - sizeof(spki); n++)
		assert_int_equal(eid_signer_gen_parse(b.data, n, &gen),
				 EID_EMALFORMED);
	assert_int_equal(eid_signer_gen_parse(empty_blob, sizeof(empty_blob),
					      &gen), EID_EMALFORMED);
	assert_int_equal(eid_signer_gen_parse(long_blob, sizeof(long_blob),
					      &gen), EID_EMALFORMED);
	eid_buf_reset(&b);
	assert_int_equal(eid_signer_gen_put(blob, 0, EID_ALG_ES256, "k", spki,
					    sizeof(spki), &b), EID_EINVAL);
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
	static const uint8_t short_over[] = { 1, 4, 0, 2, 0xe1 };
	static const uint8_t gen_no_alg[] = { 1, 3 };
	static const uint8_t gen_bad_alg[] = { 1, 3, 0 };
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
	assert_int_equal(eid_signer_req_parse(short_over, sizeof(short_over),
					      &req), EID_EMALFORMED);
	assert_int_equal(eid_signer_req_parse(gen_no_alg, sizeof(gen_no_alg),
					      &req), EID_EMALFORMED);
	assert_int_equal(eid_signer_req_parse(gen_bad_alg,
					      sizeof(gen_bad_alg), &req),
			 EID_EMALFORMED);
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
		cmocka_unit_test(test_generate_roundtrip),
		cmocka_unit_test(test_generate_answer),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_answers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
