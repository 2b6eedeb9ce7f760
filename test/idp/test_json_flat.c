/* idp/json_flat: members of a flat JSON object, and every refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/json_flat.h"

/* Members as "key=value;" ("key=~;" for null). */
static int collect(const struct eid_json_flat_member *m, void *arg)
{
	eid_buf *out = arg;

	return eid_buf_printf(out, "%s=%s;", m->key,
			      m->value != NULL ? m->value : "~");
}

static int parse(const char *text, char *out, size_t cap)
{
	eid_buf scratch, got;
	int r;

	eid_buf_init(&scratch, 256);
	eid_buf_init(&got, 4096);
	r = eid_json_flat_parse(text, strlen(text), &scratch, collect, &got);
	snprintf(out, cap, "%.*s", (int)got.len, got.data ? (char *)got.data : "");
	eid_buf_free(&scratch);
	eid_buf_free(&got);
	return r;
}

static void test_members(void **state)
{
	char out[512];

	assert_int_equal(parse("{\"a\":\"b\",\"c\":null}", out, sizeof(out)),
			 EID_OK);
	assert_string_equal(out, "a=b;c=~;");
	assert_int_equal(parse(" \t\r\n{ \"k\" : \"\" }\n", out, sizeof(out)),
			 EID_OK);
	assert_string_equal(out, "k=;");
	assert_int_equal(parse("{}", out, sizeof(out)), EID_OK);
	assert_string_equal(out, "");
	assert_int_equal(parse("{\"name\":\"Nguy\xe1\xbb\x85n\"}", out,
			       sizeof(out)), EID_OK);
	assert_string_equal(out, "name=Nguy\xe1\xbb\x85n;");
}

static void test_escapes(void **state)
{
	char out[512];

	assert_int_equal(parse("{\"e\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", out,
			       sizeof(out)), EID_OK);
	assert_string_equal(out, "e=\"\\/\b\f\n\r\t;");
	assert_int_equal(parse("{\"u\":\"\\u00e9\\u1EC5\\ud83d\\ude00\"}", out,
			       sizeof(out)), EID_OK);
	assert_string_equal(out, "u=\xc3\xa9\xe1\xbb\x85\xf0\x9f\x98\x80;");
}

static void test_refusals(void **state)
{
	static const char *const bad[] = {
		"", "[]", "\"s\"", "{", "{\"a\"}", "{\"a\":}", "{\"a\":\"b\",}",
		"{,}", "{\"a\":\"b\"} x", "{\"a\":\"b\"}{}", "{\"a\":1}",
		"{\"a\":true}", "{\"a\":{}}", "{\"a\":[\"b\"]}", "{\"a\":nul}",
		"{\"a\":nullx}", "{a:\"b\"}", "{'a':'b'}", "{\"a\":\"b\"",
		"{\"a\":\"\\u0000\"}", "{\"a\":\"\\ud800\"}",
		"{\"a\":\"\\udc00\"}", "{\"a\":\"\\ud800\\u0041\"}",
		"{\"a\":\"\\u12\"}", "{\"a\":\"\\x41\"}", "{\"a\":\"\\\"}",
		"{\"a\":\"tab\there\"}", "{\"a\":\"\xc0\x80\"}",
		"{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xf5\x80\x80\x80\"}",
		"{\"a\":\"\xe1\xbb\"}", "{\"a\":\"\x80\"}",
		"\xef\xbb\xbf{}", /* a byte-order mark */
	};
	char out[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], out, sizeof(out)) != EID_EMALFORMED)
			fail_msg("accepted: %s", bad[i]);
	}
}

static int stop(const struct eid_json_flat_member *m, void *arg)
{
	return strcmp(m->key, "stop") == 0 ? EID_EPERM : EID_OK;
}

static void test_callback_and_bounds(void **state)
{
	eid_buf scratch;
	char big[600];

	eid_buf_init(&scratch, 64);
	assert_int_equal(eid_json_flat_parse("{\"a\":\"1\",\"stop\":\"2\"}", 21,
					     &scratch, stop, NULL),
			 EID_EPERM);
	memset(big, 'x', sizeof(big));
	memcpy(big, "{\"a\":\"", 6);
	memcpy(big + sizeof(big) - 3, "\"}", 3);
	assert_int_equal(eid_json_flat_parse(big, strlen(big), &scratch, stop,
					     NULL), EID_ETOOBIG);
	assert_int_equal(eid_json_flat_parse(NULL, 1, &scratch, stop, NULL),
			 EID_EINVAL);
	eid_buf_free(&scratch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_callback_and_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
