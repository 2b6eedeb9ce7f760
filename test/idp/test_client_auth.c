#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "idp/audit.h"
#include "idp/client_auth.h"
#include "tmpstore.h"

#define NOW ((uint64_t)TMPSTORE_NOW)
#define ISSUER "https://idp.example"
#define TOKEN_EP "https://idp.example/token"
#define SECRET "s3cret-s3cret-s3cret-s3cret-s3cret-0123"

struct fx {
	struct tmpstore ts; /* first: see tmpstore_member_setup */
	eid_key *key, *stranger;
	eid_rcache *clients; /* the server's client cache; NULL: none */
	int jti;
};

static void add_client(struct fx *f, const char *meta_text, bool secret)
{
	json_t *meta = json_loads(meta_text, 0, NULL);
	eid_buf why;

	assert_non_null(meta);
	eid_buf_init(&why, 512);
	assert_int_equal(eid_client_add(f->ts.store, meta,
					secret ? SECRET : NULL,
					secret ? strlen(SECRET) : 0,
					"operator", NULL, &why), EID_OK);
	eid_buf_free(&why);
	json_decref(meta);
}

static void add_jwt_client(struct fx *f)
{
	json_t *jwk = NULL, *meta;
	char *text;

	assert_int_equal(eid_key_public_jwk(f->key, &jwk), EID_OK);
	meta = json_pack("{s:s,s:s,s:[s],s:s,s:{s:[o]}}", "client_id", "jwt",
			 "name", "J", "grant_types", "client_credentials",
			 "token_endpoint_auth_method", "private_key_jwt",
			 "jwks", "keys", jwk);
	text = json_dumps(meta, 0);
	add_client(f, text, false);
	free(text);
	json_decref(meta);
}

static int setup_with(void **state, bool cached)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	tmpstore_open(&f->ts, tmpstore_fixed_clock);
	if (cached)
		assert_int_equal(eid_client_cache_new(16, &f->clients),
				 EID_OK);
	assert_int_equal(eid_key_generate(EID_ALG_ES256, &f->key), EID_OK);
	assert_int_equal(eid_key_generate(EID_ALG_ES256, &f->stranger),
			 EID_OK);
	add_client(f, "{\"client_id\":\"basic\",\"name\":\"B\","
		      "\"grant_types\":[\"client_credentials\"]}", true);
	add_client(f, "{\"client_id\":\"post\",\"name\":\"P\","
		      "\"grant_types\":[\"client_credentials\"],"
		      "\"token_endpoint_auth_method\":\"client_secret_post\"}",
		   true);
	add_client(f, "{\"client_id\":\"pub\",\"name\":\"N\","
		      "\"token_endpoint_auth_method\":\"none\","
		      "\"redirect_uris\":[\"https://rp.example/cb\"]}", false);
	add_client(f, "{\"client_id\":\"off\",\"name\":\"O\","
		      "\"grant_types\":[\"client_credentials\"]}", true);
	assert_int_equal(eid_client_disable(f->ts.store, "off", "operator"),
			 EID_OK);
	add_jwt_client(f);
	*state = f;
	return 0;
}

/* Through the client cache, as eidd reads clients. */
static int setup(void **state)
{
	return setup_with(state, true);
}

static int setup_uncached(void **state)
{
	return setup_with(state, false);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	eid_key_free(f->key);
	eid_key_free(f->stranger);
	eid_rcache_free(f->clients);
	tmpstore_close(&f->ts);
	free(f);
	return 0;
}

static const struct eid_client_auth_env *env_of(struct fx *f)
{
	static struct eid_client_auth_env env;

	env.store = f->ts.store;
	env.clients = f->clients;
	env.issuer = ISSUER;
	env.endpoint = TOKEN_EP;
	env.remote = "192.0.2.1";
	env.now = NOW;
	return &env;
}

/* Authenticate; the client is cleared; err gets the OAuth error. */
static int auth(struct fx *f, const struct eid_client_credentials *cr,
		struct eid_oauth_error *err)
{
	struct eid_client c = { 0 };
	enum eid_client_auth m;
	int r = eid_client_authenticate(env_of(f), cr, &c, &m, err);

	if (r == EID_OK) {
		assert_int_equal(m, c.auth_method);
		assert_null(err->error);
	}
	eid_client_clear(&c);
	return r;
}

static uint64_t audit_count(struct fx *f)
{
	eid_txn *t = NULL;
	uint64_t n = 0;
	uint8_t h[EID_AUDIT_HASH_LEN];

	assert_int_equal(eid_store_begin(f->ts.store, false, &t), EID_OK);
	assert_int_equal(eid_audit_head(t, &n, h), EID_OK);
	eid_txn_abort(t);
	return n;
}

/* ---- Authorization: Basic ---- */

static char *basic_header(const char *plain)
{
	size_t n = strlen(plain);
	char *out = malloc(6 + 4 * ((n + 2) / 3) + 1);

	assert_non_null(out);
	memcpy(out, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)out + 6, (const unsigned char *)plain,
			(int)n);
	return out;
}

static int decode(const char *header, char *id, char *secret)
{
	eid_buf a, b;
	int r;

	eid_buf_init(&a, 256);
	eid_buf_init_secret(&b, 256);
	r = eid_client_basic_decode(header, &a, &b);
	if (r == EID_OK) {
		strcpy(id, eid_buf_cstr(&a));
		strcpy(secret, eid_buf_cstr(&b));
	}
	eid_buf_free(&a);
	eid_buf_free(&b);
	return r;
}

static int decode_plain(const char *plain, char *id, char *secret)
{
	char *h = basic_header(plain);
	int r = decode(h, id, secret);

	free(h);
	return r;
}

static void test_basic_decode(void **state)
{
	char id[256], secret[256];

	(void)state;
	assert_int_equal(decode_plain("rp:pw", id, secret), EID_OK);
	assert_string_equal(id, "rp");
	assert_string_equal(secret, "pw");
	/* RFC 6749 2.3.1: both parts are form-urlencoded. */
	assert_int_equal(decode_plain("a%20b:c+d%2B%3A", id, secret), EID_OK);
	assert_string_equal(id, "a b");
	assert_string_equal(secret, "c d+:");
	assert_int_equal(decode_plain("rp:", id, secret), EID_OK);
	assert_string_equal(secret, "");
	assert_int_equal(decode("basic  cnA6cHc=", id, secret), EID_OK);
	assert_string_equal(id, "rp");

	assert_int_equal(decode("Bearer abc", id, secret), EID_ENOTFOUND);
	assert_int_equal(decode_plain("nocolon", id, secret), EID_EMALFORMED);
	assert_int_equal(decode_plain(":pw", id, secret), EID_EMALFORMED);
	assert_int_equal(decode_plain("rp:%zz", id, secret), EID_EMALFORMED);
	assert_int_equal(decode_plain("rp:%4", id, secret), EID_EMALFORMED);
	assert_int_equal(decode_plain("rp:%00x", id, secret), EID_EMALFORMED);
	assert_int_equal(decode_plain("rp:a\nb", id, secret), EID_EMALFORMED);
	assert_int_equal(decode("Basic cnA6cHc", id, secret), EID_EMALFORMED);
	assert_int_equal(decode("Basic cnA6c-c=", id, secret), EID_EMALFORMED);
	assert_int_equal(decode("Basic ", id, secret), EID_EMALFORMED);
	/* Standard base64: '+' and '/' are its own ("Pj4+", "Pz8/"). */
	assert_int_equal(decode_plain("rp:>>>???", id, secret), EID_OK);
	assert_string_equal(secret, ">>>???");
	assert_int_equal(decode("Basic cnA6Pj4_", id, secret), EID_EMALFORMED);
	/* Padding exactly to a multiple of four, only at the end, and the
	 * unused bits of the last character zero: one encoding per value. */
	assert_int_equal(decode("Basic cnA6cHc==", id, secret),
			 EID_EMALFORMED);
	assert_int_equal(decode("Basic cnA=6cHc", id, secret), EID_EMALFORMED);
	assert_int_equal(decode("Basic cnA6cHd=", id, secret), EID_EMALFORMED);
	assert_int_equal(decode("Basic ====", id, secret), EID_EMALFORMED);
	assert_int_equal(decode("Basic cnA6cHc= ", id, secret),
			 EID_EMALFORMED);
}

/* ---- secrets ---- */

static void test_secret_basic(void **state)
{
	struct fx *f = *state;
	struct eid_client_credentials cr = { .basic = true, .basic_id = "basic",
					     .basic_secret = SECRET };
	struct eid_oauth_error err = { 0 };
	uint64_t before = audit_count(f);

	assert_int_equal(auth(f, &cr, &err), EID_OK);
	assert_int_equal(audit_count(f), before);
	cr.client_id = "basic"; /* may repeat the id in the body */
	assert_int_equal(auth(f, &cr, &err), EID_OK);

	cr.basic_secret = SECRET "x";
	assert_int_equal(auth(f, &cr, &err), EID_EAUTH);
	assert_string_equal(err.error, "invalid_client");
	assert_int_equal(audit_count(f), before + 1);
	cr.basic_secret = NULL;
	assert_int_equal(auth(f, &cr, &err), EID_EAUTH);

	cr.basic_secret = SECRET;
	cr.client_id = "post";
	assert_int_equal(auth(f, &cr, &err), EID_EINVAL);
	assert_string_equal(err.error, "invalid_request");
}

static void test_secret_post(void **state)
{
	struct fx *f = *state;
	struct eid_client_credentials cr = { .client_id = "post",
					     .client_secret = SECRET };
	struct eid_oauth_error err = { 0 };

	assert_int_equal(auth(f, &cr, &err), EID_OK);
	cr.client_secret = "wrong";
	assert_int_equal(auth(f, &cr, &err), EID_EAUTH);
	assert_string_equal(err.error, "invalid_client");
	/* The registered method only. */
	cr.client_id = "basic";
	cr.client_secret = SECRET;
	assert_int_equal(auth(f, &cr, &err), EID_EAUTH);
	assert_string_equal(err.description,
			    "the client is registered for another "
			    "authentication method");
	cr.client_id = NULL;
	assert_int_equal(auth(f, &cr, &err), EID_EAUTH);
}

static void test_one_method(void **state)
{
	struct fx *f = *state;
	struct eid_client_credentials cr = { .basic = true, .basic_id = "post",
					     .basic_secret = SECRET,
					     .client_secret = SECRET };
	struct eid_oauth_error err = { 0 };

	assert_int_equal(auth(f, &cr, &err), EID_EINVAL);
	assert_string_equal(err.error, "invalid_request");
	memset(&cr, 0, sizeof(cr));
	assert_int_equal(auth(f, &cr, &err), EID_EAUTH);
	assert_string_equal(err.error, "invalid_client");
}

static void test_none(void **state)
{
	struct fx *f = *state;
	struct eid_client_credentials cr = { .client_id = "pub" };
	struct eid_oauth_error err = { 0 };

	assert_int_equal(auth(f, &cr, &err), EID_OK);
	/* A confidential client cannot drop its secret. */
	cr.client_id = "basic";
	assert_int_equal(auth(f, &cr, &err), EID_EAUTH);
	/* Nor can a public client be given one. */
	cr.client_id = "pub";
	cr.client_secret = SECRET;
	assert_int_equal(auth(f, &cr, &err), EID_EAUTH);
}

static void test_unknown_and_disabled(void **state)
{
	struct fx *f = *state;
	struct eid_client_credentials cr = { .basic = true, .basic_id = "nope",
					     .basic_secret = SECRET };
	struct eid_oauth_error err = { 0 };

	assert_int_equal(auth(f, &cr, &err), EID_EAUTH);
	assert_string_equal(err.description, "unknown client");
	cr.basic_id = "off";
	assert_int_equal(auth(f, &cr, &err), EID_EAUTH);
	assert_string_equal(err.description, "the client is disabled");
}

/* ---- private_key_jwt ---- */

static char *assertion(struct fx *f, const eid_key *k, const char *sub,
		       uint64_t exp, const char *jti)
{
	char j[32];
	json_t *c;
	char *jws = NULL;

	snprintf(j, sizeof(j), "jti-%d", ++f->jti);
	c = json_pack("{s:s,s:s,s:s,s:s,s:I}", "iss", sub, "sub", sub, "aud",
		      ISSUER, "jti", jti != NULL ? jti : j, "exp",
		      (json_int_t)exp);
	assert_int_equal(eid_jws_sign(k, NULL, c, &jws), EID_OK);
	json_decref(c);
	return jws;
}

static int auth_jwt(struct fx *f, char *jws, const char *type,
		    struct eid_oauth_error *err)
{
	struct eid_client_credentials cr = { .assertion = jws,
					     .assertion_type = type };
	int r = auth(f, &cr, err);

	free(jws);
	return r;
}

static void test_private_key_jwt(void **state)
{
	struct fx *f = *state;
	struct eid_oauth_error err = { 0 };
	const char *type = EID_CLIENT_ASSERTION_TYPE_JWT;
	struct eid_client_credentials cr = { .client_id = "jwt" };

	assert_int_equal(auth_jwt(f, assertion(f, f->key, "jwt", NOW + 60,
					       "once"), type, &err), EID_OK);
	assert_int_equal(auth_jwt(f, assertion(f, f->key, "jwt", NOW + 60,
					       "once"), type, &err), EID_EAUTH);
	assert_string_equal(err.description,
			    "client_assertion jti already used");
	assert_int_equal(auth_jwt(f, assertion(f, f->stranger, "jwt",
					       NOW + 60, NULL), type, &err),
			 EID_EAUTH);
	assert_string_equal(err.error, "invalid_client");
	assert_int_equal(auth_jwt(f, assertion(f, f->key, "jwt", NOW - 120,
					       NULL), type, &err), EID_EAUTH);
	assert_string_equal(err.description,
			    "client_assertion expired or not yet valid");
	/* Another client's name in it: that client's keys do not match. */
	assert_int_equal(auth_jwt(f, assertion(f, f->key, "basic", NOW + 60,
					       NULL), type, &err), EID_EAUTH);
	assert_int_equal(auth_jwt(f, strdup("not.a.jwt"), type, &err),
			 EID_EAUTH);
	assert_int_equal(auth_jwt(f, assertion(f, f->key, "jwt", NOW + 60,
					       NULL), NULL, &err), EID_EINVAL);
	assert_int_equal(auth_jwt(f, assertion(f, f->key, "jwt", NOW + 60,
					       NULL), "urn:other", &err),
			 EID_EINVAL);
	assert_string_equal(err.error, "invalid_request");
	/* A body client_id must name the same client. */
	cr.assertion = assertion(f, f->key, "jwt", NOW + 60, NULL);
	cr.assertion_type = type;
	assert_int_equal(auth(f, &cr, &err), EID_OK);
	free((char *)cr.assertion);
	cr.client_id = "basic";
	cr.assertion = assertion(f, f->key, "jwt", NOW + 60, NULL);
	assert_int_equal(auth(f, &cr, &err), EID_EINVAL);
	free((char *)cr.assertion);
}

/* ---- the client cache ---- */

static uint64_t cache_misses(struct fx *f)
{
	struct eid_rcache_stats st;

	eid_rcache_stats(f->clients, &st);
	return st.misses;
}

/* Every read compares the stored bytes: a rotated secret, a disabled,
 * changed or deleted client is seen by the next request (each change a
 * miss: the record decoded again). */
static void test_cache_never_stale(void **state)
{
	struct fx *f = *state;
	struct eid_client_credentials cr = { .basic = true, .basic_id = "basic",
					     .basic_secret = SECRET };
	struct eid_oauth_error err = { 0 };
	struct eid_rcache_stats st;
	const char *fresh = "another-secret-another-secret-0123456789";
	json_t *change;
	eid_buf why;

	assert_int_equal(auth(f, &cr, &err), EID_OK);
	assert_int_equal(auth(f, &cr, &err), EID_OK);
	eid_rcache_stats(f->clients, &st);
	assert_int_equal(st.misses, 1);
	assert_int_equal(st.hits, 1);

	assert_int_equal(eid_client_rotate_secret(f->ts.store, "basic", fresh,
						  strlen(fresh), "operator",
						  NULL), EID_OK);
	assert_int_equal(auth(f, &cr, &err), EID_EAUTH);
	assert_string_equal(err.description, "client authentication failed");
	assert_int_equal(cache_misses(f), 2);
	cr.basic_secret = fresh;
	assert_int_equal(auth(f, &cr, &err), EID_OK);

	assert_int_equal(eid_client_disable(f->ts.store, "basic", "operator"),
			 EID_OK);
	assert_int_equal(auth(f, &cr, &err), EID_EAUTH);
	assert_string_equal(err.description, "the client is disabled");
	assert_int_equal(cache_misses(f), 3);
	assert_int_equal(eid_client_enable(f->ts.store, "basic", "operator"),
			 EID_OK);
	assert_int_equal(auth(f, &cr, &err), EID_OK);
	assert_int_equal(cache_misses(f), 4);

	/* Another method registered: the old one is refused at once. */
	change = json_pack("{s:s}", "token_endpoint_auth_method",
			   "client_secret_post");
	eid_buf_init(&why, 512);
	assert_int_equal(eid_client_update(f->ts.store, "basic", change,
					   "operator", NULL, &why), EID_OK);
	eid_buf_free(&why);
	json_decref(change);
	assert_int_equal(auth(f, &cr, &err), EID_EAUTH);
	assert_string_equal(err.description,
			    "the client is registered for another "
			    "authentication method");
	assert_int_equal(cache_misses(f), 5);

	assert_int_equal(eid_client_delete(f->ts.store, "basic", "operator"),
			 EID_OK);
	assert_int_equal(auth(f, &cr, &err), EID_EAUTH);
	assert_string_equal(err.description, "unknown client");
}

/* A client_id at EID_CLIENT_ID_MAX is kept like any other. */
static void test_cache_long_id(void **state)
{
	struct fx *f = *state;
	char id[EID_CLIENT_ID_MAX + 1], meta[EID_CLIENT_ID_MAX + 128];
	struct eid_client_credentials cr = { .basic = true, .basic_id = id,
					     .basic_secret = SECRET };
	struct eid_oauth_error err = { 0 };
	struct eid_rcache_stats st;

	memset(id, 'a', EID_CLIENT_ID_MAX);
	id[EID_CLIENT_ID_MAX] = '\0';
	snprintf(meta, sizeof(meta), "{\"client_id\":\"%s\",\"name\":\"L\","
		 "\"grant_types\":[\"client_credentials\"]}", id);
	add_client(f, meta, true);
	for (int i = 0; i < 3; i++)
		assert_int_equal(auth(f, &cr, &err), EID_OK);
	eid_rcache_stats(f->clients, &st);
	assert_int_equal(st.misses, 1);
	assert_int_equal(st.hits, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_decode),
		cmocka_unit_test_setup_teardown(test_secret_basic, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_secret_post, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_one_method, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_none, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_disabled,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_key_jwt, setup,
						teardown),
		/* Straight from the store, without the cache. */
		{ "test_secret_basic_uncached", test_secret_basic,
		  setup_uncached, teardown, NULL },
		{ "test_unknown_and_disabled_uncached",
		  test_unknown_and_disabled, setup_uncached, teardown, NULL },
		cmocka_unit_test_setup_teardown(test_cache_never_stale, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cache_long_id, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
