/* Remote signing requests: the relying party's input, and the life of a
 * request (pending, one decision, signed or denied, expired). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/signreq.h"
#include "tmpstore.h"

#define PID "001090012345"
#define PID2 "079195012346"
/* base64url of 32 and 48 bytes */
#define H32 "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
#define H48 "OLBgp1GsljhM2TJ-sbHjaiH9txEUvgdDTAzHv2P24donTt6_529l-9Ua0vFImLlb"

/* The tests' store: tmpstore_pol_setup's (movable clock; its first
 * member is the struct tmpstore the tests use). */
static uint64_t now(void)
{
	return (uint64_t)tmpstore_clock_now;
}

static int parse_text(const char *text, struct eid_signreq_input *in,
		      eid_buf *why)
{
	json_t *o = json_loads(text, 0, NULL);
	int r;

	assert_non_null(o);
	r = eid_signreq_parse(o, in, why);
	json_decref(o);
	return r;
}

static void test_parse_valid(void **state)
{
	struct eid_signreq_input in;
	char b64[EID_SIGNREQ_B64_MAX], doc[600] = "\"";

	(void)state;
	assert_int_equal(parse_text("{\"personal_id\":\"" PID "\",\"hash\":\"" H32
				    "\",\"hash_alg\":\"sha256\",\"document_name\":"
				    "\"Hợp đồng.pdf\",\"callback_uri\":"
				    "\"https://rp.example/cb\"}", &in, NULL),
			 EID_OK);
	assert_string_equal(in.personal_id, PID);
	assert_int_equal(in.digest, EID_DIGEST_SHA256);
	assert_int_equal(in.hash_len, 32);
	assert_string_equal(in.document, "Hợp đồng.pdf");
	assert_string_equal(in.callback_uri, "https://rp.example/cb");
	assert_int_equal(eid_signreq_hash_b64(&in, b64), EID_OK);
	assert_string_equal(b64, H32);
	assert_int_equal(parse_text("{\"personal_id\":\"" PID "\",\"hash\":\"" H48
				    "\",\"hash_alg\":\"sha384\",\"document_name\":"
				    "\"x\",\"callback_uri\":\"http://127.0.0.1:9/c\"}",
				    &in, NULL),
			 EID_OK);
	assert_int_equal(in.hash_len, 48);
	/* 128 characters of two bytes each: a length in characters. */
	for (int i = 0; i < 128; i++)
		strcat(doc, "ễ");
	strcat(doc, "\"");
	{
		char text[1024];

		snprintf(text, sizeof(text),
			 "{\"personal_id\":\"" PID "\",\"hash\":\"" H32
			 "\",\"hash_alg\":\"sha256\",\"document_name\":%s}",
			 doc);
		assert_int_equal(parse_text(text, &in, NULL), EID_OK);
		assert_string_equal(in.callback_uri, "");
	}
}

static void test_parse_refusals(void **state)
{
	static const char *const bad[] = {
		"[]",
		/* unknown member */
		"{\"personal_id\":\"" PID "\",\"hash\":\"" H32 "\",\"hash_alg\":"
		"\"sha256\",\"document_name\":\"d\",\"x\":1}",
		/* personal ID */
		"{\"personal_id\":\"00109001234\",\"hash\":\"" H32 "\",\"hash_alg\":"
		"\"sha256\",\"document_name\":\"d\"}",
		"{\"personal_id\":1,\"hash\":\"" H32 "\",\"hash_alg\":"
		"\"sha256\",\"document_name\":\"d\"}",
		/* algorithm and length */
		"{\"personal_id\":\"" PID "\",\"hash\":\"" H32 "\",\"hash_alg\":"
		"\"md5\",\"document_name\":\"d\"}",
		"{\"personal_id\":\"" PID "\",\"hash\":\"" H32 "\",\"hash_alg\":"
		"\"SHA-256\",\"document_name\":\"d\"}",
		"{\"personal_id\":\"" PID "\",\"hash\":\"" H32 "\",\"hash_alg\":"
		"\"sha384\",\"document_name\":\"d\"}",
		"{\"personal_id\":\"" PID "\",\"hash\":\"" H48 "\",\"hash_alg\":"
		"\"sha512\",\"document_name\":\"d\"}",
		"{\"personal_id\":\"" PID "\",\"hash\":\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\","
		"\"hash_alg\":\"sha256\",\"document_name\":\"d\"}",
		"{\"personal_id\":\"" PID "\",\"hash_alg\":\"sha256\","
		"\"document_name\":\"d\"}",
		/* document name */
		"{\"personal_id\":\"" PID "\",\"hash\":\"" H32 "\",\"hash_alg\":"
		"\"sha256\",\"document_name\":\"\"}",
		"{\"personal_id\":\"" PID "\",\"hash\":\"" H32 "\",\"hash_alg\":"
		"\"sha256\",\"document_name\":\"a\\nb\"}",
		"{\"personal_id\":\"" PID "\",\"hash\":\"" H32 "\",\"hash_alg\":"
		"\"sha256\"}",
		/* callback */
		"{\"personal_id\":\"" PID "\",\"hash\":\"" H32 "\",\"hash_alg\":"
		"\"sha256\",\"document_name\":\"d\",\"callback_uri\":"
		"\"http://rp.example/cb\"}",
		"{\"personal_id\":\"" PID "\",\"hash\":\"" H32 "\",\"hash_alg\":"
		"\"sha256\",\"document_name\":\"d\",\"callback_uri\":"
		"\"ftp://rp.example/cb\"}",
		"{\"personal_id\":\"" PID "\",\"hash\":\"" H32 "\",\"hash_alg\":"
		"\"sha256\",\"document_name\":\"d\",\"callback_uri\":7}",
	};
	struct eid_signreq_input in;
	char long_doc[400];
	eid_buf why;

	(void)state;
	eid_buf_init(&why, 256);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		eid_buf_reset(&why);
		assert_int_equal(parse_text(bad[i], &in, &why), EID_EMALFORMED);
		assert_true(why.len > 0);
	}
	/* 129 characters */
	snprintf(long_doc, sizeof(long_doc),
		 "{\"personal_id\":\"" PID "\",\"hash\":\"" H32
		 "\",\"hash_alg\":\"sha256\",\"document_name\":\"%0129d\"}", 0);
	assert_int_equal(parse_text(long_doc, &in, NULL), EID_EMALFORMED);
	eid_buf_free(&why);
}

static void input(struct eid_signreq_input *in, const char *pid)
{
	assert_int_equal(parse_text("{\"personal_id\":\"001090012345\",\"hash\":\""
				    H32 "\",\"hash_alg\":\"sha256\","
				    "\"document_name\":\"contract\"}", in, NULL),
			 EID_OK);
	memcpy(in->personal_id, pid, EID_PERSONAL_ID_LEN + 1);
}

/* A new request of "rp" for pid, living 300 s. */
static void create(eid_store *s, const char *pid, struct eid_signreq *q)
{
	struct eid_signreq_input in;

	input(&in, pid);
	assert_int_equal(eid_signreq_create(s, &in, "rp", now(), 300, q), EID_OK);
}

static int count_one(const struct eid_signreq *q, void *arg)
{
	(void)q;
	(*(int *)arg)++;
	return EID_OK;
}

static int pending_count(eid_store *s, const char *pid)
{
	int n = 0;

	assert_int_equal(eid_signreq_pending(s, pid, now(), count_one, &n),
			 EID_OK);
	return n;
}

static void test_approve_and_sign(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_signreq_input in;
	struct eid_signreq q, g;
	json_t *res = NULL;

	input(&in, PID);
	assert_int_equal(eid_signreq_create(ts->store, &in, "rp", now(), 300, &q),
			 EID_OK);
	assert_int_equal(strlen(q.id), EID_SIGNREQ_ID_LEN);
	assert_int_equal(q.expires_at, now() + 300);
	assert_int_equal(eid_signreq_get(ts->store, q.id, now(), &g), EID_OK);
	assert_int_equal(g.status, EID_SIGNREQ_PENDING);
	assert_false(g.decided);
	assert_string_equal(g.client_id, "rp");
	assert_string_equal(g.in.document, "contract");
	assert_memory_equal(g.in.hash, in.hash, 32);
	assert_int_equal(pending_count(ts->store, PID), 1);
	assert_int_equal(pending_count(ts->store, PID2), 0);
	/* Nothing to store before an approval. */
	assert_int_equal(eid_signreq_finish(ts->store, q.id,
					    (const uint8_t *)"c", 1,
					    (const uint8_t *)"x", 1),
			 EID_ESTATE);

	assert_int_equal(eid_signreq_decide(ts->store, q.id, true, now()), EID_OK);
	assert_int_equal(pending_count(ts->store, PID), 0);
	assert_int_equal(eid_signreq_get(ts->store, q.id, now(), &g), EID_OK);
	assert_true(g.approved);
	assert_int_equal(g.status, EID_SIGNREQ_PENDING); /* signing */
	/* One decision only, whichever it is. */
	assert_int_equal(eid_signreq_decide(ts->store, q.id, true, now()),
			 EID_ESTATE);
	assert_int_equal(eid_signreq_decide(ts->store, q.id, false, now()),
			 EID_ESTATE);
	assert_int_equal(eid_signreq_result(ts->store, q.id, &res),
			 EID_ENOTFOUND);

	assert_int_equal(eid_signreq_finish(ts->store, q.id,
					    (const uint8_t *)"\x30\x01", 2,
					    (const uint8_t *)"\x30\x02", 2),
			 EID_OK);
	assert_int_equal(eid_signreq_get(ts->store, q.id, now(), &g), EID_OK);
	assert_int_equal(g.status, EID_SIGNREQ_SIGNED);
	assert_int_equal(eid_signreq_result(ts->store, q.id, &res), EID_OK);
	assert_string_equal(json_string_value(json_object_get(res, "signature")),
			    "MAE=");
	assert_string_equal(json_string_value(json_object_get(res, "certificate")),
			    "MAI=");
	json_decref(res);
	/* Stored once. */
	assert_int_equal(eid_signreq_finish(ts->store, q.id,
					    (const uint8_t *)"\x30\x01", 2,
					    (const uint8_t *)"\x30\x02", 2),
			 EID_ESTATE);
	/* Still readable after its expiry, until KEEP. */
	tmpstore_clock_now += 300 + EID_SIGNREQ_KEEP - 1;
	assert_int_equal(eid_signreq_get(ts->store, q.id, now(), &g), EID_OK);
	assert_int_equal(g.status, EID_SIGNREQ_SIGNED);
	tmpstore_clock_now += 2;
	assert_int_equal(eid_signreq_get(ts->store, q.id, now(), &g),
			 EID_ENOTFOUND);
}

static void test_deny(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_signreq q, g;

	create(ts->store, PID, &q);
	assert_int_equal(eid_signreq_decide(ts->store, q.id, false, now()),
			 EID_OK);
	assert_int_equal(eid_signreq_get(ts->store, q.id, now(), &g), EID_OK);
	assert_int_equal(g.status, EID_SIGNREQ_DENIED);
	assert_int_equal(eid_signreq_decide(ts->store, q.id, true, now()),
			 EID_ESTATE);
	assert_int_equal(eid_signreq_finish(ts->store, q.id,
					    (const uint8_t *)"c", 1,
					    (const uint8_t *)"x", 1),
			 EID_ESTATE);
	assert_int_equal(pending_count(ts->store, PID), 0);
}

static void test_expiry(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_signreq q, g;

	create(ts->store, PID, &q);
	tmpstore_clock_now += 299;
	assert_int_equal(pending_count(ts->store, PID), 1);
	tmpstore_clock_now += 1;
	assert_int_equal(pending_count(ts->store, PID), 0);
	assert_int_equal(eid_signreq_get(ts->store, q.id, now(), &g), EID_OK);
	assert_int_equal(g.status, EID_SIGNREQ_EXPIRED);
	assert_int_equal(eid_signreq_decide(ts->store, q.id, true, now()),
			 EID_EEXPIRED);
	assert_int_equal(eid_signreq_decide(ts->store, q.id, false, now()),
			 EID_EEXPIRED);
}

static void test_undecide(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_signreq q, g;

	create(ts->store, PID, &q);
	assert_int_equal(eid_signreq_decide(ts->store, q.id, true, now()), EID_OK);
	assert_int_equal(pending_count(ts->store, PID), 0);
	/* Approved, the signing failed: pending again, and listed. */
	assert_int_equal(eid_signreq_undecide(ts->store, q.id), EID_OK);
	assert_int_equal(pending_count(ts->store, PID), 1);
	assert_int_equal(eid_signreq_get(ts->store, q.id, now(), &g), EID_OK);
	assert_false(g.decided);
	assert_int_equal(g.status, EID_SIGNREQ_PENDING);
	assert_int_equal(eid_signreq_decide(ts->store, q.id, true, now()), EID_OK);
}

static void test_unknown_ids(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_signreq g;
	json_t *res = NULL;

	assert_int_equal(eid_signreq_get(ts->store, "AAAAAAAAAAAAAAAAAAAAAA",
					 now(), &g),
			 EID_ENOTFOUND);
	assert_int_equal(eid_signreq_get(ts->store, "short", now(), &g),
			 EID_ENOTFOUND);
	assert_int_equal(eid_signreq_get(ts->store, "AAAAAAAAAAAAAAAAAAAA/A",
					 now(), &g),
			 EID_ENOTFOUND);
	assert_int_equal(eid_signreq_decide(ts->store, "../../AAAAAAAAAAAAAAAA",
					    true, now()),
			 EID_ENOTFOUND);
	assert_int_equal(eid_signreq_result(ts->store, "x", &res),
			 EID_ENOTFOUND);
	assert_int_equal(eid_signreq_pending(ts->store, "123", now(), count_one,
					     NULL),
			 EID_EINVAL);
}

#define T(f) \
	cmocka_unit_test_setup_teardown(f, tmpstore_pol_setup, tmpstore_pol_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_refusals),
		T(test_approve_and_sign),
		T(test_deny),
		T(test_expiry),
		T(test_undecide),
		T(test_unknown_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
