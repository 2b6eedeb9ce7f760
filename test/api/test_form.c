#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/form.h"
#include "crypto/error.h"

static eid_form *parse_ok(const char *s)
{
	eid_form *f = NULL;

	assert_int_equal(eid_form_parse(s, strlen(s), &f), EID_OK);
	assert_non_null(f);
	return f;
}

static int parse_rc(const char *s, size_t len)
{
	eid_form *f = NULL;
	int r = eid_form_parse(s, len, &f);

	if (r != EID_OK)
		assert_null(f);
	eid_form_free(f);
	return r;
}

static void assert_pair(const eid_form *f, size_t i, const char *name,
			const char *value)
{
	const char *n = NULL, *v = NULL;

	assert_int_equal(eid_form_pair(f, i, &n, &v), EID_OK);
	assert_string_equal(n, name);
	assert_string_equal(v, value);
}

static void test_decoding(void **state)
{
	eid_form *f = parse_ok("response_type=code&redirect_uri=https%3A%2F%2Frp"
			       ".example%2Fcb&scope=openid+profile&st%61te=a%2bb");

	assert_int_equal(eid_form_count(f), 4);
	assert_pair(f, 0, "response_type", "code");
	assert_pair(f, 1, "redirect_uri", "https://rp.example/cb");
	assert_pair(f, 2, "scope", "openid profile");
	assert_pair(f, 3, "state", "a+b");
	eid_form_free(f);
}

static void test_utf8_and_empty_values(void **state)
{
	eid_form *f = parse_ok("name=Nguy%E1%BB%85n+V%C4%83n&flag&empty=&&");
	const char *v = NULL;

	assert_int_equal(eid_form_count(f), 3);
	assert_pair(f, 0, "name", "Nguy\xe1\xbb\x85n V\xc4\x83n");
	assert_pair(f, 1, "flag", "");
	assert_pair(f, 2, "empty", "");
	assert_int_equal(eid_form_pair(f, 3, NULL, &v), EID_ENOTFOUND);
	eid_form_free(f);

	f = parse_ok("");
	assert_int_equal(eid_form_count(f), 0);
	eid_form_free(f);
	assert_int_equal(eid_form_parse(NULL, 0, &f), EID_OK);
	assert_int_equal(eid_form_count(f), 0);
	eid_form_free(f);
}

static void test_duplicates(void **state)
{
	eid_form *f = parse_ok("a=1&b=2&a=3&c=%61");
	const char *v = NULL;

	assert_int_equal(eid_form_occurrences(f, "a"), 2);
	assert_int_equal(eid_form_get(f, "a", &v), EID_EINVAL);
	assert_null(v);
	assert_int_equal(eid_form_get(f, "b", &v), EID_OK);
	assert_string_equal(v, "2");
	assert_int_equal(eid_form_get(f, "zz", &v), EID_ENOTFOUND);
	assert_int_equal(eid_form_occurrences(NULL, "a"), 0);
	assert_int_equal(eid_form_get(NULL, "a", &v), EID_ENOTFOUND);
	eid_form_free(f);

	/* An encoded name is the same name. */
	f = parse_ok("scope=x&sc%6Fpe=y");
	assert_int_equal(eid_form_get(f, "scope", &v), EID_EINVAL);
	eid_form_free(f);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"a=%zz", "a=%4", "a=%", "a=%%41", "%G1=x", "a=%00",
		"a%00=x", "=x", "a=1&=2", "a=%C3%28", "a=%C0%AF",
		"a=%ED%A0%80", "a=%F4%90%80%80", "a=%FF", "a=%E2%82",
		"\xff=x",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_rc(bad[i], strlen(bad[i])) != EID_EMALFORMED)
			fail_msg("accepted: %s", bad[i]);
	}
	/* A raw NUL byte inside the input. */
	assert_int_equal(parse_rc("a=b\0c", 5), EID_EMALFORMED);
	assert_int_equal(parse_rc(NULL, 3), EID_EINVAL);
}

static void test_caps(void **state)
{
	char *big = malloc(EID_FORM_MAX_BYTES + 2);
	size_t n = 0;

	assert_non_null(big);
	/* Exactly the pair cap passes, one more is refused. */
	for (int i = 0; i < EID_FORM_MAX_PAIRS; i++)
		n += (size_t)snprintf(big + n, 16, "%sp%d=v", i ? "&" : "", i);
	assert_int_equal(parse_rc(big, n), EID_OK);
	memcpy(big + n, "&x=y", 4);
	assert_int_equal(parse_rc(big, n + 4), EID_ETOOBIG);

	memset(big, 'a', EID_FORM_MAX_BYTES + 1);
	big[0] = 'k';
	big[1] = '=';
	assert_int_equal(parse_rc(big, EID_FORM_MAX_BYTES), EID_OK);
	assert_int_equal(parse_rc(big, EID_FORM_MAX_BYTES + 1), EID_ETOOBIG);
	free(big);
}

static void test_encode_round_trip(void **state)
{
	const char *value = "a b+c&d=e/f?g#h%i~j-k.l_m\xe1\xbb\x85";
	eid_form *f = NULL;
	const char *v = NULL;
	eid_buf b;

	eid_buf_init(&b, 1024);
	assert_int_equal(eid_form_encode_append(&b, "state", value), EID_OK);
	assert_int_equal(eid_form_encode_append(&b, "code", "xyz"), EID_OK);
	assert_string_equal(eid_buf_cstr(&b),
			    "state=a%20b%2Bc%26d%3De%2Ff%3Fg%23h%25i~j-k.l_m%E1%BB%85"
			    "&code=xyz");
	assert_int_equal(eid_form_parse((const char *)b.data, b.len, &f), EID_OK);
	assert_int_equal(eid_form_get(f, "state", &v), EID_OK);
	assert_string_equal(v, value);
	eid_form_free(f);
	eid_buf_free(&b);
}

static void test_url_begin(void **state)
{
	eid_buf b;

	eid_buf_init(&b, 256);
	assert_int_equal(eid_form_url_begin(&b, "https://rp.example/cb"), EID_OK);
	assert_int_equal(eid_form_encode_append(&b, "code", "c"), EID_OK);
	assert_string_equal(eid_buf_cstr(&b), "https://rp.example/cb?code=c");
	eid_buf_reset(&b);

	assert_int_equal(eid_form_url_begin(&b, "https://rp.example/cb?x=1"), EID_OK);
	assert_int_equal(eid_form_encode_append(&b, "code", "c"), EID_OK);
	assert_string_equal(eid_buf_cstr(&b), "https://rp.example/cb?x=1&code=c");
	eid_buf_reset(&b);

	assert_int_equal(eid_form_url_begin(&b, "https://rp/cb#frag"), EID_EINVAL);
	assert_int_equal(eid_form_url_begin(&b, "https://rp/cb\r\nX: y"), EID_EINVAL);
	assert_int_equal(eid_form_url_begin(&b, ""), EID_EINVAL);
	assert_int_equal(b.len, 0);
	eid_buf_free(&b);
}

static void test_encode_refusals(void **state)
{
	eid_buf b;

	eid_buf_init(&b, 12);
	assert_int_equal(eid_form_encode_append(&b, "", "x"), EID_EINVAL);
	assert_int_equal(eid_form_encode_append(&b, "a", NULL), EID_EINVAL);
	assert_int_equal(eid_form_encode_append(&b, "a", "1"), EID_OK);
	/* Over the cap: the buffer is left as it was. */
	assert_int_equal(eid_form_encode_append(&b, "b", "\x01\x02\x03"),
			 EID_ETOOBIG);
	assert_string_equal(eid_buf_cstr(&b), "a=1");
	eid_buf_free(&b);
}

static void test_utf8_validator(void **state)
{
	assert_true(eid_form_utf8_valid("", 0));
	assert_true(eid_form_utf8_valid("\xf0\x9f\x98\x80", 4));
	assert_true(eid_form_utf8_valid("\xf4\x8f\xbf\xbf", 4));
	assert_false(eid_form_utf8_valid("\xf0\x9f\x98", 3));
	assert_false(eid_form_utf8_valid("\xe0\x80\x80", 3));
	assert_false(eid_form_utf8_valid("\x80", 1));
	assert_false(eid_form_utf8_valid("\xf5\x80\x80\x80", 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decoding),
		cmocka_unit_test(test_utf8_and_empty_values),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_encode_round_trip),
		cmocka_unit_test(test_url_begin),
		cmocka_unit_test(test_encode_refusals),
		cmocka_unit_test(test_utf8_validator),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
