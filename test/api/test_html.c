#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api/html.h"
#include "api/i18n.h"
#include "crypto/error.h"

static void test_escape(void **state)
{
	eid_buf b;

	eid_buf_init(&b, 1024);
	assert_int_equal(eid_html_text(&b, "<script>alert('x')</script> & \"y\""),
			 EID_OK);
	assert_string_equal(eid_buf_cstr(&b),
			    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;");
	eid_buf_reset(&b);
	assert_int_equal(eid_html_text(&b, "Nguyễn Văn Ánh"), EID_OK);
	assert_string_equal(eid_buf_cstr(&b), "Nguyễn Văn Ánh");
	eid_buf_free(&b);

	/* Over the cap: nothing half-written. */
	eid_buf_init(&b, 8);
	assert_int_equal(eid_html_text(&b, "<<<"), EID_ETOOBIG);
	assert_int_equal(b.len, 0);
	eid_buf_free(&b);
}

static void test_page_frame(void **state)
{
	eid_buf b;
	const char *s;

	eid_buf_init(&b, EID_HTML_MAX);
	assert_int_equal(eid_html_begin(&b, EID_LANG_EN, "Sign <in>"), EID_OK);
	assert_int_equal(eid_html_hidden(&b, "csrf", "a\"b"), EID_OK);
	assert_int_equal(eid_html_end(&b, EID_LANG_EN), EID_OK);
	s = eid_buf_cstr(&b);
	assert_non_null(strstr(s, "<html lang=\"en\">"));
	assert_non_null(strstr(s, "<title>Sign &lt;in&gt;"));
	assert_non_null(strstr(s, "value=\"a&quot;b\""));
	assert_non_null(strstr(s, "</html>"));
	eid_buf_free(&b);
}

static void test_negotiation(void **state)
{
	assert_int_equal(eid_lang_negotiate(NULL, NULL), EID_LANG_VI);
	assert_int_equal(eid_lang_negotiate("en", "vi"), EID_LANG_EN);
	assert_int_equal(eid_lang_negotiate("fr-CA en-GB", NULL), EID_LANG_EN);
	assert_int_equal(eid_lang_negotiate("fr", "en-US,en;q=0.9"), EID_LANG_EN);
	assert_int_equal(eid_lang_negotiate(NULL, "en;q=0.5, vi;q=0.8"), EID_LANG_VI);
	assert_int_equal(eid_lang_negotiate(NULL, "fr, en;q=0.1"), EID_LANG_EN);
	assert_int_equal(eid_lang_negotiate(NULL, "en;q=0"), EID_LANG_VI);
	assert_int_equal(eid_lang_negotiate(NULL, "de,,;;q=,en-x;q=abc"), EID_LANG_VI);
	assert_int_equal(eid_lang_negotiate("", ""), EID_LANG_VI);
	assert_string_equal(eid_msg(EID_LANG_VI, EID_MSG_PASSWORD), "Mật khẩu");
	assert_string_equal(eid_msg(EID_LANG_EN, EID_MSG_PASSWORD), "Password");
	assert_string_equal(eid_msg(EID_LANG_EN, EID_MSG_COUNT), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_page_frame),
		cmocka_unit_test(test_negotiation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
