#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/signing.h"
#include "idp/store.h"
#include "sigproc_fixture.h"

#define T0 1800000000ull
#define RETIRE 3600

struct fixture {
	char dir[64];
	uint64_t now;
	eid_store *store;
	uint8_t kek[32];
};

static uint64_t fixture_now(void *arg)
{
	return ((struct fixture *)arg)->now;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct eid_store_options opt = { 0 };

	assert_non_null(f);
	strcpy(f->dir, "/tmp/eid-test-signing-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->now = T0;
	opt.now = fixture_now;
	opt.now_arg = f;
	assert_int_equal(eid_store_open(f->dir, &opt, &f->store), EID_OK);
	memset(f->kek, 0x11, sizeof(f->kek));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	eid_store_close(f->store);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* The kid in a compact JWS's header. */
static void kid_of(eid_signer *sg, const char *jws, char *out, size_t n)
{
	json_t *h = NULL, *c = NULL;

	assert_int_equal(eid_signer_verify(sg, jws, strlen(jws), &h, &c), EID_OK);
	snprintf(out, n, "%s", json_string_value(json_object_get(h, "kid")));
	json_decref(h);
	json_decref(c);
}

static void sign_kid(eid_signer *sg, char *out, size_t n)
{
	json_t *claims = json_pack("{s:s}", "sub", "x");
	char *jws = NULL;

	assert_int_equal(eid_signer_sign(sg, "JWT", claims, &jws), EID_OK);
	kid_of(sg, jws, out, n);
	free(jws);
	json_decref(claims);
}

static size_t jwks_count(eid_signer *sg)
{
	char *s = NULL;
	json_t *j;
	size_t n;

	assert_int_equal(eid_signer_jwks(sg, &s, NULL), EID_OK);
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	n = json_array_size(json_object_get(j, "keys"));
	assert_null(strstr(s, "\"d\""));
	json_decref(j);
	free(s);
	return n;
}

static void test_ensure_creates_once(void **state)
{
	struct fixture *f = *state;
	struct eid_key_info *keys = NULL;
	size_t n = 0;
	bool created = false;

	assert_int_equal(eid_signing_ensure(f->store, f->kek, EID_ALG_ES256,
					    f->now, &created), EID_OK);
	assert_true(created);
	assert_int_equal(eid_signing_ensure(f->store, f->kek, EID_ALG_ES256,
					    f->now, &created), EID_OK);
	assert_false(created);
	assert_int_equal(eid_signing_list(f->store, f->now, RETIRE, &keys, &n),
			 EID_OK);
	assert_int_equal(n, 1);
	assert_int_equal(keys[0].state, EID_KEY_ACTIVE);
	assert_int_equal(keys[0].alg, EID_ALG_ES256);
	free(keys);
}

/* eid_signing_ensure_remote: the key is born and sealed in the signer
 * process; a keyring opened here with the KEK verifies what the keyring
 * opened through the signer signs, with that one key. */
static void test_ensure_remote(void **state)
{
	struct fixture *f = *state;
	json_t *claims = json_pack("{s:s}", "sub", "x"), *h = NULL, *c = NULL;
	eid_signer *local = NULL, *remote = NULL;
	struct eid_key_info *keys = NULL;
	struct sigproc_fixture p;
	bool created = false;
	char *jws = NULL;
	size_t n = 0;

	sigproc_fixture_start(&p, f->kek);
	assert_int_equal(eid_signing_ensure_remote(f->store, NULL, EID_ALG_ES256,
						   f->now, &created),
			 EID_EINVAL);
	assert_int_equal(eid_signing_ensure_remote(f->store, p.sp, EID_ALG_ES256,
						   f->now, &created), EID_OK);
	assert_true(created);
	assert_int_equal(eid_signing_ensure_remote(f->store, p.sp, EID_ALG_ES256,
						   f->now, &created), EID_OK);
	assert_false(created);
	assert_int_equal(eid_signing_list(f->store, f->now, RETIRE, &keys, &n),
			 EID_OK);
	assert_int_equal(n, 1);
	assert_int_equal(eid_signer_open(f->store, f->kek, RETIRE, &local),
			 EID_OK);
	assert_int_equal(eid_signer_open_remote(f->store, p.sp, NULL, RETIRE,
						&remote), EID_OK);
	assert_int_equal(eid_signer_sign(remote, "JWT", claims, &jws), EID_OK);
	assert_int_equal(eid_signer_verify(local, jws, strlen(jws), &h, &c),
			 EID_OK);
	assert_string_equal(json_string_value(json_object_get(h, "kid")),
			    keys[0].kid);
	json_decref(h);
	json_decref(c);
	json_decref(claims);
	free(jws);
	free(keys);
	eid_signer_close(local);
	eid_signer_close(remote);
	sigproc_fixture_stop(&p);
}

static void test_rotation_timeline(void **state)
{
	struct fixture *f = *state;
	eid_signer *sg = NULL;
	char first[80], now_kid[80], new_kid[EID_KID_MAX + 1];

	assert_int_equal(eid_signing_ensure(f->store, f->kek, EID_ALG_ES256,
					    f->now, NULL), EID_OK);
	assert_int_equal(eid_signer_open(f->store, f->kek, RETIRE, &sg), EID_OK);
	sign_kid(sg, first, sizeof(first));
	assert_int_equal(jwks_count(sg), 1);

	/* Rotate with a publish delay: the new key is published at once but
	 * the old one keeps signing until the delay has passed. */
	f->now += 10;
	assert_int_equal(eid_signing_rotate(f->store, f->kek, EID_ALG_ES256,
					    f->now, 300, RETIRE, new_kid), EID_OK);
	f->now += 2; /* past the generation check interval */
	assert_int_equal(jwks_count(sg), 2);
	sign_kid(sg, now_kid, sizeof(now_kid));
	assert_string_equal(now_kid, first);

	f->now += 300;
	sign_kid(sg, now_kid, sizeof(now_kid));
	assert_string_equal(now_kid, new_kid);
	assert_int_equal(jwks_count(sg), 2); /* old one still published */

	f->now += RETIRE;
	assert_int_equal(jwks_count(sg), 1); /* and now gone */
	eid_signer_close(sg);
}

static void test_retire_rules(void **state)
{
	struct fixture *f = *state;
	struct eid_key_info *keys = NULL;
	char kid2[EID_KID_MAX + 1];
	size_t n = 0;

	assert_int_equal(eid_signing_ensure(f->store, f->kek, EID_ALG_ES256,
					    f->now, NULL), EID_OK);
	assert_int_equal(eid_signing_list(f->store, f->now, RETIRE, &keys, &n),
			 EID_OK);
	/* The only signing key cannot be retired. */
	assert_int_equal(eid_signing_retire(f->store, keys[0].kid, f->now,
					    RETIRE), EID_ESTATE);
	assert_int_equal(eid_signing_retire(f->store, "nope", f->now, RETIRE),
			 EID_ENOTFOUND);
	/* After an immediate rotation the old key is superseded and can be
	 * retired; the new one signs. */
	f->now += 5;
	assert_int_equal(eid_signing_rotate(f->store, f->kek, EID_ALG_ES256,
					    f->now, 0, RETIRE, kid2), EID_OK);
	assert_int_equal(eid_signing_retire(f->store, keys[0].kid, f->now,
					    RETIRE), EID_ESTATE);
	free(keys);
	assert_int_equal(eid_signing_list(f->store, f->now, RETIRE, &keys, &n),
			 EID_OK);
	assert_int_equal(n, 2);
	assert_int_equal(keys[0].state, EID_KEY_RETIRED);
	assert_int_equal(keys[1].state, EID_KEY_ACTIVE);
	assert_string_equal(keys[1].kid, kid2);
	assert_int_equal(keys[0].published_until, f->now + RETIRE);
	/* A pending key can be retired before it ever signs. */
	free(keys);
	assert_int_equal(eid_signing_rotate(f->store, f->kek, EID_ALG_ES256,
					    f->now, 600, RETIRE, kid2), EID_OK);
	assert_int_equal(eid_signing_retire(f->store, kid2, f->now, RETIRE),
			 EID_OK);
	assert_int_equal(eid_signing_list(f->store, f->now, RETIRE, &keys, &n),
			 EID_OK);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i].kid, kid2) == 0)
			assert_int_equal(keys[i].state, EID_KEY_EXPIRED);
	free(keys);
}

static void test_wrong_kek_refused(void **state)
{
	struct fixture *f = *state;
	uint8_t other[32];
	eid_signer *sg = NULL;

	memset(other, 0x22, sizeof(other));
	assert_int_equal(eid_signing_ensure(f->store, f->kek, EID_ALG_ES256,
					    f->now, NULL), EID_OK);
	assert_int_equal(eid_signer_open(f->store, other, RETIRE, &sg),
			 EID_EVERIFY);
	assert_null(sg);
}

static void test_no_key_not_ready(void **state)
{
	struct fixture *f = *state;
	eid_signer *sg = NULL;
	json_t *claims = json_object();
	char *jws = NULL;

	assert_int_equal(eid_signer_open(f->store, f->kek, RETIRE, &sg), EID_OK);
	assert_false(eid_signer_ready(sg));
	assert_int_equal(eid_signer_sign(sg, NULL, claims, &jws), EID_ESTATE);
	assert_int_equal(jwks_count(sg), 0);
	/* A key created by another process (eidctl) is picked up. */
	assert_int_equal(eid_signing_ensure(f->store, f->kek, EID_ALG_ES256,
					    f->now, NULL), EID_OK);
	f->now += 2;
	assert_true(eid_signer_ready(sg));
	json_decref(claims);
	eid_signer_close(sg);
}

/* Keys of different algorithms sign side by side: an RS256 key for the
 * relying parties that want it does not take over from the ES256 one. */
static void test_algorithms_side_by_side(void **state)
{
	struct fixture *f = *state;
	eid_signer *sg = NULL;
	json_t *claims = json_pack("{s:s}", "sub", "x"), *h = NULL, *c = NULL;
	char es[80], *jws = NULL;
	bool created = false;

	assert_int_equal(eid_signing_ensure(f->store, f->kek, EID_ALG_ES256,
					    f->now, NULL), EID_OK);
	assert_int_equal(eid_signer_open(f->store, f->kek, RETIRE, &sg), EID_OK);
	assert_int_equal(eid_signer_sign_alg(sg, EID_ALG_RS256, NULL, claims,
					     &jws), EID_ESTATE);
	assert_int_equal(eid_signing_ensure(f->store, f->kek, EID_ALG_RS256,
					    f->now, &created), EID_OK);
	assert_true(created);
	assert_int_equal(eid_signing_ensure(f->store, f->kek, EID_ALG_RS256,
					    f->now, &created), EID_OK);
	assert_false(created);
	f->now += 2;
	sign_kid(sg, es, sizeof(es)); /* the primary is still ES256 */
	assert_int_equal(eid_signer_sign_alg(sg, EID_ALG_RS256, "JWT", claims,
					     &jws), EID_OK);
	assert_int_equal(eid_signer_verify(sg, jws, strlen(jws), &h, &c), EID_OK);
	assert_string_equal(json_string_value(json_object_get(h, "alg")), "RS256");
	assert_string_not_equal(json_string_value(json_object_get(h, "kid")), es);
	assert_int_equal(jwks_count(sg), 2);
	free(jws);
	json_decref(h);
	json_decref(c);
	json_decref(claims);
	eid_signer_close(sg);
}

/* The verified-token cache: a token verified again gives the same
 * header and claims as copies the caller may change; another byte is
 * verified afresh; a retired key's token stops verifying once the
 * snapshot is rebuilt, cached or not. */
static void test_verified_cache(void **state)
{
	struct fixture *f = *state;
	eid_signer *sg = NULL;
	json_t *claims = json_pack("{s:s,s:i}", "sub", "x", "n", 1);
	json_t *h = NULL, *c = NULL;
	char *jws = NULL, new_kid[EID_KID_MAX + 1], saved;

	assert_int_equal(eid_signing_ensure(f->store, f->kek, EID_ALG_ES256,
					    f->now, NULL), EID_OK);
	assert_int_equal(eid_signer_open(f->store, f->kek, RETIRE, &sg), EID_OK);
	assert_int_equal(eid_signer_sign(sg, "at+jwt", claims, &jws), EID_OK);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(eid_signer_verify(sg, jws, strlen(jws), &h, &c),
				 EID_OK);
		assert_string_equal(json_string_value(json_object_get(c, "sub")),
				    "x");
		assert_string_equal(json_string_value(json_object_get(h, "typ")),
				    "at+jwt");
		/* The caller's copy, not the cache's. */
		json_object_set_new(c, "sub", json_string("changed"));
		json_object_del(h, "typ");
		json_decref(h);
		json_decref(c);
		h = c = NULL;
	}
	assert_int_equal(eid_signer_verify(sg, jws, strlen(jws), NULL, &c),
			 EID_OK);
	json_decref(c);
	c = NULL;
	/* One byte of the signature changed: not a cache hit, refused. */
	saved = jws[strlen(jws) - 2];
	jws[strlen(jws) - 2] = saved == 'A' ? 'B' : 'A';
	assert_int_not_equal(eid_signer_verify(sg, jws, strlen(jws), &h, &c),
			     EID_OK);
	assert_null(c);
	jws[strlen(jws) - 2] = saved;

	/* Rotate: the old key stays published for RETIRE, and its token
	 * verifies; past that the snapshot is rebuilt without the key, and
	 * the cached token is refused like any other. */
	assert_int_equal(eid_signing_rotate(f->store, f->kek, EID_ALG_ES256,
					    f->now, 0, RETIRE, new_kid), EID_OK);
	f->now += 2; /* past the generation check interval */
	assert_int_equal(eid_signer_verify(sg, jws, strlen(jws), &h, &c),
			 EID_OK);
	json_decref(h);
	json_decref(c);
	h = c = NULL;
	f->now += RETIRE;
	assert_int_not_equal(eid_signer_verify(sg, jws, strlen(jws), &h, &c),
			     EID_OK);
	assert_null(c);
	free(jws);
	json_decref(claims);
	eid_signer_close(sg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ensure_creates_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ensure_remote, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_timeline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retire_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_kek_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_key_not_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_algorithms_side_by_side, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verified_cache, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
