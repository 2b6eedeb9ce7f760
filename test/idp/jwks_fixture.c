#include "jwks_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "crypto/keys.h"

char *jwks_fixture_one_key(const char *kid, const char *use,
			   bool with_private)
{
	eid_key *k = NULL;
	json_t *jwk = NULL, *set;
	char *s;

	assert_int_equal(eid_key_generate(EID_ALG_ES256, &k), EID_OK);
	assert_int_equal(eid_key_public_jwk(k, &jwk), EID_OK);
	if (kid != NULL)
		json_object_set_new(jwk, "kid", json_string(kid));
	if (use != NULL)
		json_object_set_new(jwk, "use", json_string(use));
	if (with_private)
		json_object_set_new(jwk, "d", json_string("AAAA"));
	set = json_pack("{s:[o]}", "keys", jwk);
	s = json_dumps(set, JSON_COMPACT);
	json_decref(set);
	eid_key_free(k);
	assert_non_null(s);
	return s;
}
