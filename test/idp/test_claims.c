#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/claims.h"
#include "idp/clients.h"

static void split(const char *full, const char *family, const char *middle,
		  const char *given)
{
	struct eid_name_parts n;

	assert_int_equal(eid_claims_split_name(full, &n), EID_OK);
	assert_string_equal(n.family, family);
	assert_string_equal(n.middle, middle);
	assert_string_equal(n.given, given);
}

static void test_split_name(void **state)
{
	struct eid_name_parts n;

	(void)state;
	split("Nguyễn Văn An", "Nguyễn", "Văn", "An");
	split("Trần Thị Bích", "Trần", "Thị", "Bích");
	split("Tôn Nữ Thị Hà", "Tôn", "Nữ Thị", "Hà");
	split("Lê Lợi", "Lê", "", "Lợi");
	split("Hùng", "", "", "Hùng");
	split("  Phạm   Minh  Chính ", "Phạm", "Minh", "Chính");
	split("Nguyễn Thị Minh Khai", "Nguyễn", "Thị Minh", "Khai");
	assert_int_equal(eid_claims_split_name("", &n), EID_EMALFORMED);
	assert_int_equal(eid_claims_split_name("   ", &n), EID_EMALFORMED);
	assert_int_equal(eid_claims_split_name(NULL, &n), EID_EMALFORMED);
}

static void test_scope_bits(void **state)
{
	char s[EID_SCOPE_STR_MAX];
	unsigned b = 0;

	(void)state;
	assert_int_equal(eid_claims_scope_bits("openid profile", &b), EID_OK);
	assert_int_equal(b, EID_SCOPE_OPENID | EID_SCOPE_PROFILE);
	assert_int_equal(eid_claims_scope_bits("profile openid profile", &b),
			 EID_OK);
	assert_int_equal(b, EID_SCOPE_OPENID | EID_SCOPE_PROFILE);
	assert_int_equal(eid_claims_scope_bits("openid  profile", &b),
			 EID_EMALFORMED);
	assert_int_equal(eid_claims_scope_bits(" openid", &b), EID_EMALFORMED);
	assert_int_equal(eid_claims_scope_bits("openid ", &b), EID_EMALFORMED);
	assert_int_equal(eid_claims_scope_bits("", &b), EID_EMALFORMED);
	assert_int_equal(eid_claims_scope_bits("openid admin", &b),
			 EID_EUNSUPPORTED);
	assert_int_equal(eid_claims_scope_string(EID_SCOPE_CITIZEN |
						 EID_SCOPE_OPENID, s), EID_OK);
	assert_string_equal(s, "openid citizen");
	assert_int_equal(eid_claims_scope_string(0, s), EID_OK);
	assert_string_equal(s, "");
	assert_int_equal(eid_claims_scope_of("phone_number"), EID_SCOPE_PHONE);
	assert_int_equal(eid_claims_scope_of("personal_id"),
			 EID_SCOPE_CITIZEN);
	assert_int_equal(eid_claims_scope_of("sub"), 0);
}

static void test_request_parse(void **state)
{
	json_t *o = NULL;

	(void)state;
	assert_int_equal(eid_claims_request_parse(
				 "{\"userinfo\":{\"email\":null,"
				 "\"eid_level\":{\"essential\":true,"
				 "\"values\":[2]}},\"id_token\":{}}", &o),
			 EID_OK);
	assert_non_null(json_object_get(o, "userinfo"));
	json_decref(o);
	assert_int_equal(eid_claims_request_parse("{\"other\":1}", NULL),
			 EID_OK);
	assert_int_equal(eid_claims_request_parse("[]", NULL), EID_EMALFORMED);
	assert_int_equal(eid_claims_request_parse("{\"userinfo\":[]}", NULL),
			 EID_EMALFORMED);
	assert_int_equal(eid_claims_request_parse(
				 "{\"userinfo\":{\"email\":1}}", NULL),
			 EID_EMALFORMED);
	assert_int_equal(eid_claims_request_parse(
				 "{\"userinfo\":{\"email\":{\"essential\":"
				 "\"yes\"}}}", NULL), EID_EMALFORMED);
	assert_int_equal(eid_claims_request_parse(
				 "{\"userinfo\":{},\"userinfo\":{}}", NULL),
			 EID_EMALFORMED);
	assert_int_equal(eid_claims_request_parse("{", NULL), EID_EMALFORMED);
}

struct person {
	struct eid_citizen c;
	struct eid_account a;
};

static void person(struct person *p)
{
	memset(p, 0, sizeof(*p));
	eid_citizen_init(&p->c);
	strcpy(p->c.personal_id, "001090012345");
	strcpy(p->c.full_name, "Nguyễn Văn An");
	p->c.birthdate = (struct eid_date){ 1990, 5, 17 };
	p->c.sex = EID_SEX_MALE;
	p->c.has_sex = true;
	strcpy(p->c.place_of_origin, "Hà Nội");
	strcpy(p->c.residence, "1 Tràng Tiền, Hoàn Kiếm, Hà Nội");
	strcpy(p->a.personal_id, p->c.personal_id);
	strcpy(p->a.phone, "+84912345678");
	p->a.level = 2;
}

static json_t *build(const struct person *p, unsigned granted,
		     unsigned allowed, const char *request, bool by_scope)
{
	struct eid_claims_input in = {
		.citizen = &p->c, .account = &p->a, .granted = granted,
		.allowed = allowed, .by_scope = by_scope,
	};
	json_t *req = request != NULL ? json_loads(request, 0, NULL) : NULL;
	json_t *o = NULL;

	in.request = req;
	assert_int_equal(eid_claims_build(&in, &o), EID_OK);
	json_decref(req);
	return o;
}

static const char *str(const json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

static void test_build_by_scope(void **state)
{
	struct person p;
	json_t *o;

	(void)state;
	person(&p);
	o = build(&p, EID_SCOPE_OPENID | EID_SCOPE_PROFILE, ~0u, NULL, true);
	assert_string_equal(str(o, "name"), "Nguyễn Văn An");
	assert_string_equal(str(o, "family_name"), "Nguyễn");
	assert_string_equal(str(o, "given_name"), "An");
	assert_string_equal(str(o, "middle_name"), "Văn");
	assert_string_equal(str(o, "birthdate"), "1990-05-17");
	assert_string_equal(str(o, "gender"), "male");
	assert_null(json_object_get(o, "phone_number"));
	assert_null(json_object_get(o, "personal_id"));
	json_decref(o);

	o = build(&p, EID_SCOPE_PHONE | EID_SCOPE_EMAIL | EID_SCOPE_ADDRESS |
			      EID_SCOPE_CITIZEN, ~0u, NULL, true);
	assert_null(json_object_get(o, "name"));
	assert_string_equal(str(o, "phone_number"), "+84912345678");
	assert_true(json_is_true(json_object_get(o, "phone_number_verified")));
	assert_null(json_object_get(o, "email")); /* the account has none */
	assert_string_equal(str(json_object_get(o, "address"), "formatted"),
			    "1 Tràng Tiền, Hoàn Kiếm, Hà Nội");
	assert_string_equal(str(json_object_get(o, "address"), "country"),
			    "VN");
	assert_string_equal(str(o, "personal_id"), "001090012345");
	assert_int_equal(json_integer_value(json_object_get(o, "eid_level")),
			 2);
	assert_string_equal(str(o, "nationality"), "VNM");
	assert_string_equal(str(o, "place_of_origin"), "Hà Nội");
	json_decref(o);

	/* The ID token carries only what was asked by name. */
	o = build(&p, EID_SCOPE_PROFILE, ~0u, NULL, false);
	assert_int_equal(json_object_size(o), 0);
	json_decref(o);
}

static void test_build_by_request(void **state)
{
	struct person p;
	json_t *o;

	(void)state;
	person(&p);
	strcpy(p.a.email, "an@example.vn");
	/* Asked by name, within what the client may ask for. */
	o = build(&p, EID_SCOPE_OPENID, EID_SCOPE_OPENID | EID_SCOPE_EMAIL,
		  "{\"email\":null,\"personal_id\":{\"essential\":true}}",
		  false);
	assert_string_equal(str(o, "email"), "an@example.vn");
	assert_null(json_object_get(o, "personal_id")); /* not allowed */
	assert_null(json_object_get(o, "email_verified"));
	json_decref(o);

	/* value and values: released only when they match. */
	o = build(&p, 0, ~0u,
		  "{\"eid_level\":{\"value\":2},\"gender\":{\"values\":"
		  "[\"female\"]},\"given_name\":{\"values\":[\"Bình\",\"An\"]}}",
		  false);
	assert_int_equal(json_integer_value(json_object_get(o, "eid_level")),
			 2);
	assert_null(json_object_get(o, "gender"));
	assert_string_equal(str(o, "given_name"), "An");
	json_decref(o);

	/* An unknown claim name is ignored. */
	o = build(&p, 0, ~0u, "{\"favourite_colour\":null}", false);
	assert_int_equal(json_object_size(o), 0);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_name),
		cmocka_unit_test(test_scope_bits),
		cmocka_unit_test(test_request_parse),
		cmocka_unit_test(test_build_by_scope),
		cmocka_unit_test(test_build_by_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
