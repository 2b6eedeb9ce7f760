/* crypto/json_write: the same text as json_dumps(JSON_COMPACT |
 * JSON_ENCODE_ANY) for every kind of value, and the limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "crypto/json_write.h"

static void same_as_jansson(json_t *v)
{
	char *ours = eid_json_dumps(v);
	char *theirs = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	assert_non_null(ours);
	assert_non_null(theirs);
	assert_string_equal(ours, theirs);
	free(ours);
	free(theirs);
	json_decref(v);
}

static void test_token_response(void **state)
{
	same_as_jansson(json_pack("{s:s,s:s,s:I,s:s}", "access_token",
				  "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
				  "token_type", "Bearer", "expires_in",
				  (json_int_t)600, "scope", "openid profile"));
}

static void test_escapes_and_unicode(void **state)
{
	static const char raw[] = "q\"b\\s/n\nt\tr\rb\bf\fz\x01\x1f"
				  "Nguy\xe1\xbb\x85n \xf0\x9f\x98\x80";
	json_t *o = json_object();

	json_object_set_new(o, "k\"ey\n", json_string(raw));
	json_object_set_new(o, "nul", json_stringn("a\0b", 3));
	same_as_jansson(o);
}

static void test_numbers(void **state)
{
	static const double reals[] = { 0.0, -0.0, 1.0, 0.1, 2.5, 1e300,
					-1e-300, 3e-7, 1.5e22, 123456789.0,
					1.0 / 3 };
	json_t *a = json_array();

	json_array_append_new(a, json_integer(0));
	json_array_append_new(a, json_integer(INT64_MAX));
	json_array_append_new(a, json_integer(INT64_MIN));
	for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++)
		json_array_append_new(a, json_real(reals[i]));
	json_array_append_new(a, json_true());
	json_array_append_new(a, json_false());
	json_array_append_new(a, json_null());
	same_as_jansson(a);
}

static void test_nesting_and_order(void **state)
{
	json_t *o = json_pack("{s:i,s:i,s:{s:[[],{}],s:s}}", "z", 1, "a", 2,
			      "m", "q", "b", "x");

	same_as_jansson(o);
	same_as_jansson(json_string("top-level string"));
	same_as_jansson(json_array());
	same_as_jansson(json_object());
}

static void test_limits(void **state)
{
	json_t *deep = json_array(), *cur = deep;
	eid_buf b;

	for (int i = 0; i < EID_JSON_WRITE_DEPTH + 1; i++) {
		json_t *next = json_array();
		json_array_append_new(cur, next);
		cur = next;
	}
	eid_buf_init(&b, 1 << 20);
	assert_int_equal(eid_json_write(deep, &b), EID_ETOOBIG);
	eid_buf_free(&b);
	json_decref(deep);

	eid_buf_init(&b, 8);
	cur = json_string("longer than eight bytes");
	assert_int_equal(eid_json_write(cur, &b), EID_ETOOBIG);
	eid_buf_free(&b);
	json_decref(cur);

	assert_int_equal(eid_json_write(NULL, &b), EID_EINVAL);
}

/* Member by member: the text jansson writes for the object built in the
 * same order, with escapes, a nested object and a skipped NULL. */
static void test_members(void **state)
{
	json_t *o = json_pack("{s:s,s:I,s:s,s:{s:s},s:I}", "iss",
			      "https://id.example/\"q\"\n", "iat",
			      (json_int_t)1700000000, "name", "Nguy\u1ec5n",
			      "cnf", "jkt", "abc", "auth_time", (json_int_t)0);
	char *theirs = json_dumps(o, JSON_COMPACT);
	eid_buf b;

	(void)state;
	eid_buf_init(&b, 1024);
	assert_int_equal(eid_json_open(&b), EID_OK);
	assert_int_equal(eid_json_member_str(&b, "iss",
					     "https://id.example/\"q\"\n"),
			 EID_OK);
	assert_int_equal(eid_json_member_str(&b, "acr", NULL), EID_OK);
	assert_int_equal(eid_json_member_u64(&b, "iat", 1700000000), EID_OK);
	assert_int_equal(eid_json_member_str(&b, "name", "Nguy\xe1\xbb\x85n"),
			 EID_OK);
	assert_int_equal(eid_json_member_open(&b, "cnf"), EID_OK);
	assert_int_equal(eid_json_member_str(&b, "jkt", "abc"), EID_OK);
	assert_int_equal(eid_json_close(&b), EID_OK);
	assert_int_equal(eid_json_member_u64(&b, "auth_time", 0), EID_OK);
	assert_int_equal(eid_json_close(&b), EID_OK);
	assert_non_null(eid_buf_cstr(&b));
	assert_string_equal((const char *)b.data, theirs);
	/* Not UTF-8: refused as json_string refuses it, nothing written. */
	eid_buf_reset(&b);
	assert_int_equal(eid_json_open(&b), EID_OK);
	assert_int_equal(eid_json_member_str(&b, "x", "\xc0\xaf"), EID_EINVAL);
	assert_int_equal(b.len, 1);
	/* A member needs an open object before it. */
	eid_buf_reset(&b);
	assert_int_equal(eid_json_member_u64(&b, "x", 1), EID_EINVAL);
	eid_buf_free(&b);
	free(theirs);
	json_decref(o);
}

/* Strings are scanned eight bytes at a time: every byte that is not plain
 * text (one to escape, one above 0x7f) at every position of strings of
 * every length around the word size is written as jansson writes it, as
 * a value and as a member, and a broken UTF-8 sequence is refused
 * wherever it stands. */
static void test_word_scan(void **state)
{
	static const char *const odd[] = {
		"\x01", "\x1f", "\"", "\\", "\x7f", "\x1f\"", "\xc3\xa9",
		"\xe1\xbb\x85", "\xf0\x9f\x98\x80", " ", "~",
	};
	char text[48];
	eid_buf b;

	(void)state;
	eid_buf_init(&b, 1024);
	for (size_t len = 0; len <= 33; len++) {
		for (size_t k = 0; k < sizeof(odd) / sizeof(odd[0]); k++) {
			for (size_t at = 0; at <= len; at++) {
				size_t n = strlen(odd[k]);
				json_t *o = json_object();
				char *theirs;

				memset(text, 'a', at);
				memcpy(text + at, odd[k], n);
				memset(text + at + n, 'b', len - at);
				text[len + n] = '\0';
				json_object_set_new(o, "k", json_string(text));
				theirs = json_dumps(o, JSON_COMPACT);
				assert_non_null(theirs);
				eid_buf_reset(&b);
				assert_int_equal(eid_json_open(&b), EID_OK);
				assert_int_equal(eid_json_member_str(&b, "k",
								     text),
						 EID_OK);
				assert_int_equal(eid_json_close(&b), EID_OK);
				assert_non_null(eid_buf_cstr(&b));
				assert_string_equal((const char *)b.data,
						    theirs);
				free(theirs);
				same_as_jansson(o);
			}
		}
		for (size_t at = 0; at <= len; at++) {
			memset(text, 'a', len + 1);
			text[at] = (char)0xc3; /* a lead byte, no trail */
			text[len + 1] = '\0';
			eid_buf_reset(&b);
			assert_int_equal(eid_json_open(&b), EID_OK);
			assert_int_equal(eid_json_member_str(&b, "k", text),
					 EID_EINVAL);
			assert_int_equal(b.len, 1);
		}
	}
	eid_buf_free(&b);
}

static void test_utf8(void **state)
{
	static const char *const good[] = {
		"", "ascii", "\xc2\x80", "\xe0\xa0\x80", "\xed\x9f\xbf",
		"\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "Vi\xe1\xbb\x87t",
	};
	static const char *const bad[] = {
		"\x80", "\xc0\x80", "\xc1\xbf", "\xe0\x9f\xbf",
		"\xed\xa0\x80", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80",
		"\xf5\x80\x80\x80", "\xe1\x80", "a\xc3", "\xff",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(eid_utf8_valid(good[i], strlen(good[i])));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(eid_utf8_valid(bad[i], strlen(bad[i])));
	assert_false(eid_utf8_valid(NULL, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_response),
		cmocka_unit_test(test_escapes_and_unicode),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_nesting_and_order),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_word_scan),
		cmocka_unit_test(test_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
