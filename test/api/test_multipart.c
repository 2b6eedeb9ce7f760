/* multipart/form-data: what the web forms send, and what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api/multipart.h"
#include "crypto/error.h"

static struct eid_multipart m;

static int parse(const char *boundary, const char *body, size_t n)
{
	return eid_multipart_parse(boundary, body, n, &m);
}

#define PARSE(b, lit) parse(b, lit, sizeof(lit) - 1)

static void test_boundary(void **state)
{
	char b[EID_MULTIPART_BOUNDARY_MAX + 1];

	assert_int_equal(eid_multipart_boundary(
		"multipart/form-data; boundary=----WebKitFormBoundaryX1", b), EID_OK);
	assert_string_equal(b, "----WebKitFormBoundaryX1");
	assert_int_equal(eid_multipart_boundary(
		"Multipart/Form-Data;boundary=\"a b\"", b), EID_OK);
	assert_string_equal(b, "a b");
	assert_int_equal(eid_multipart_boundary("application/json", b),
			 EID_EUNSUPPORTED);
	assert_int_equal(eid_multipart_boundary("multipart/form-data", b),
			 EID_EMALFORMED);
	assert_int_equal(eid_multipart_boundary(
		"multipart/form-data; boundary=", b), EID_EMALFORMED);
	assert_int_equal(eid_multipart_boundary(
		"multipart/form-data; boundary=a\"b", b), EID_EMALFORMED);
	assert_int_equal(eid_multipart_boundary(
		"multipart/form-data; boundary=\"unclosed", b), EID_EMALFORMED);
	assert_int_equal(eid_multipart_boundary(
		"multipart/form-data; boundary=0123456789012345678901234567890123456789012345678901234567890123456789X",
		b), EID_EMALFORMED);
}

static void test_parts(void **state)
{
	const struct eid_multipart_part *p;
	static const char body[] =
		"--XyZ\r\n"
		"Content-Disposition: form-data; name=\"personal_id\"\r\n\r\n"
		"001090012345\r\n"
		"--XyZ\r\n"
		"content-disposition: form-data; name=\"portrait\"; filename=\"me.jpg\"\r\n"
		"Content-Type: image/jpeg\r\n\r\n"
		"\xff\xd8\r\n--XyY\xff\xd9\r\n"
		"--XyZ--\r\n";

	assert_int_equal(PARSE("XyZ", body), EID_OK);
	assert_int_equal(m.count, 2);
	assert_int_equal(eid_multipart_get(&m, "personal_id", &p), EID_OK);
	assert_int_equal(p->len, 12);
	assert_memory_equal(p->data, "001090012345", 12);
	assert_int_equal(eid_multipart_get(&m, "portrait", &p), EID_OK);
	assert_string_equal(p->filename, "me.jpg");
	assert_string_equal(p->content_type, "image/jpeg");
	/* A look-alike of the delimiter inside the data is data. */
	assert_int_equal(p->len, 11);
	assert_int_equal(eid_multipart_get(&m, "nope", &p), EID_ENOTFOUND);
}

static void test_refusals(void **state)
{
	const struct eid_multipart_part *p;
	char many[8192];
	size_t n = 0;

	assert_int_equal(PARSE("q", ""), EID_EMALFORMED);
	assert_int_equal(PARSE("q", "--q\r\nContent-Disposition: form-data; "
				    "name=\"x\"\r\n\r\nv"), EID_EMALFORMED);
	assert_int_equal(PARSE("q", "--q\r\nX-Other: 1\r\n\r\nv\r\n--q--"),
			 EID_EMALFORMED);
	assert_int_equal(PARSE("q", "--q\r\nContent-Disposition: attachment; "
				    "name=\"x\"\r\n\r\nv\r\n--q--"), EID_EMALFORMED);
	assert_int_equal(PARSE("q", "--q\r\nContent-Disposition: form-data; "
				    "name=\"\"\r\n\r\nv\r\n--q--"), EID_EMALFORMED);
	assert_int_equal(PARSE("q", "--q\r\nContent-Disposition: form-data; "
				    "name=x\r\n\r\nv\r\n--q--"), EID_EMALFORMED);
	assert_int_equal(PARSE("q", "--q\r\nContent-Disposition: form-data; "
				    "name=\"x\"\r\n folded\r\n\r\nv\r\n--q--"),
			 EID_EMALFORMED);
	assert_int_equal(PARSE("q", "--q\r\nContent-Disposition: form-data; "
				    "name=\"x\"\r\n\r\nv\r\n--q--junk"),
			 EID_EMALFORMED);
	/* Repeated names parse, and a lookup says so. */
	assert_int_equal(PARSE("q", "--q\r\nContent-Disposition: form-data; "
				    "name=\"x\"\r\n\r\n1\r\n--q\r\n"
				    "Content-Disposition: form-data; "
				    "name=\"x\"\r\n\r\n2\r\n--q--"), EID_OK);
	assert_int_equal(eid_multipart_get(&m, "x", &p), EID_EINVAL);
	/* Too many parts. */
	for (int i = 0; i <= EID_MULTIPART_MAX_PARTS; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n,
				      "--q\r\nContent-Disposition: form-data; "
				      "name=\"f%d\"\r\n\r\nv\r\n", i);
	n += (size_t)snprintf(many + n, sizeof(many) - n, "--q--");
	assert_int_equal(parse("q", many, n), EID_ETOOBIG);
	assert_int_equal(eid_multipart_parse(NULL, "", 0, &m), EID_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boundary),
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
