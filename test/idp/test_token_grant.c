/* The token endpoint's grants, introspection and revocation, without a
 * socket.  Codes are made here with eid_code_issue, what /authorize does
 * after login and consent: a test-only path that never exists in HTTP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"
#include "idp/audit.h"
#include "idp/ciba.h"
#include "idp/codes.h"
#include "idp/grants.h"
#include "idp/devgrant.h"
#include "idp/introspect.h"
#include "idp/pkce.h"
#include "idp/subject.h"
#include "idp/token_grant.h"
#include "idp/tokens.h"
#include "tmpstore.h"

#define ISS "https://idp.example"
#define PID "001090012345"
#define REDIRECT "https://rp.example/cb"
#define VERIFIER "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define JKT "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
#define NOW ((uint64_t)TMPSTORE_NOW)

struct fx {
	struct tmpstore_pol sp;
	struct eid_config cfg;
	eid_signer *sg;
	eid_registry reg;
	uint8_t subject_key[32];
	struct eid_client web, svc, other;
	struct eid_token_env env;
	/* The record caches eidd reads through (idp/rcache.h). */
	eid_rcache *accounts, *grants, *clients;
};

#define CITIZEN                                                         \
	"{\"personal_id\":\"" PID "\",\"full_name\":\"Nguyễn Văn An\","      \
	"\"birthdate\":\"1990-03-15\",\"sex\":\"male\"}"

static void put_account(struct fx *f)
{
	struct eid_account_new a = {
		.personal_id = PID, .phone = "+84912345678", .level = 1,
		.password = "a long enough pass phrase 2026",
	};
	eid_txn *t = NULL;

	assert_int_equal(eid_store_begin(f->sp.ts.store, true, &t), EID_OK);
	assert_int_equal(eid_account_create(t, &f->sp.pol, &a,
					    tmpstore_clock_now, "op", NULL),
			 EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
}

static void client(struct fx *f, const char *meta_text,
		   struct eid_client *ret)
{
	json_t *meta = json_loads(meta_text, 0, NULL);
	const char *id = json_string_value(json_object_get(meta, "client_id"));
	char *secret = NULL;

	assert_int_equal(eid_client_add(f->sp.ts.store, meta, NULL, 0, "op",
					&secret, NULL), EID_OK);
	assert_int_equal(eid_client_get(f->sp.ts.store, id, ret), EID_OK);
	eid_free_secret_str(secret);
	json_decref(meta);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t kek[32];

	assert_non_null(f);
	tmpstore_clock_now = TMPSTORE_NOW;
	tmpstore_open(&f->sp.ts, tmpstore_movable_clock);
	tmpstore_test_policy(&f->sp.pol);
	memset(kek, 0x22, sizeof(kek));
	memset(f->subject_key, 0x33, sizeof(f->subject_key));
	assert_int_equal(eid_config_defaults(&f->cfg), EID_OK);
	assert_int_equal(eid_signing_ensure(f->sp.ts.store, kek, EID_ALG_ES256,
					    NOW, NULL), EID_OK);
	assert_int_equal(eid_signer_open(f->sp.ts.store, kek, 3600, &f->sg),
			 EID_OK);
	assert_int_equal(eid_registry_open_local(f->sp.ts.store, &f->reg),
			 EID_OK);
	tmpstore_put_citizen(f->sp.ts.store, CITIZEN);
	put_account(f);
	client(f, "{\"client_id\":\"web\",\"name\":\"W\",\"grant_types\":"
		  "[\"authorization_code\",\"refresh_token\"],\"redirect_uris\":"
		  "[\"" REDIRECT "\"],\"scope\":\"openid profile citizen "
		  "phone\"}", &f->web);
	client(f, "{\"client_id\":\"svc\",\"name\":\"S\",\"grant_types\":"
		  "[\"client_credentials\"],\"scope\":\"openid profile citizen "
		  "offline_access\"}", &f->svc);
	client(f, "{\"client_id\":\"other\",\"name\":\"O\",\"grant_types\":"
		  "[\"authorization_code\",\"refresh_token\",\"client_credentials\"],"
		  "\"redirect_uris\":[\"" REDIRECT "\"],\"require_dpop\":true,"
		  "\"scope\":\"openid profile\"}", &f->other);
	assert_int_equal(eid_account_cache_new(64, &f->accounts), EID_OK);
	assert_int_equal(eid_grant_cache_new(64, &f->grants), EID_OK);
	assert_int_equal(eid_client_cache_new(16, &f->clients), EID_OK);
	f->env = (struct eid_token_env){
		.store = f->sp.ts.store, .signer = f->sg, .registry = &f->reg,
		.accounts = f->accounts, .clients = f->clients, .cfg = &f->cfg,
		.subject_key = f->subject_key, .issuer = ISS, .now = NOW,
	};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	eid_client_clear(&f->web);
	eid_client_clear(&f->svc);
	eid_client_clear(&f->other);
	eid_registry_close(&f->reg);
	eid_rcache_free(f->accounts);
	eid_rcache_free(f->grants);
	eid_rcache_free(f->clients);
	eid_signer_close(f->sg);
	eid_config_free(&f->cfg);
	tmpstore_close(&f->sp.ts);
	free(f);
	return 0;
}

static json_t *claims_of(struct fx *f, const char *jwt)
{
	json_t *c = NULL;

	assert_int_equal(eid_signer_verify(f->sg, jwt, strlen(jwt), NULL, &c),
			 EID_OK);
	return c;
}

static const char *str(const json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

/* A code for client and scope, as /authorize issues it. */
static void issue_code_scope(struct fx *f, const char *client_id,
			     const char *jkt, const char *scope,
			     char code[EID_CODE_LEN + 1])
{
	char challenge[EID_PKCE_CHALLENGE_LEN + 1];
	json_t *amr = json_pack("[s]", "pwd");
	json_t *claims = json_pack("{s:{s:n}}", "id_token", "given_name");
	struct eid_code_grant cg = {
		.grant = { .personal_id = PID, .client_id = (char *)client_id,
			   .scope = (char *)scope, .acr = "urn:eid:loa:1",
			   .sid = "sid-1", .dpop_jkt = (char *)jkt,
			   .amr = amr, .claims = claims,
			   .auth_time = NOW - 10 },
		.redirect_uri = REDIRECT, .code_challenge = challenge,
		.nonce = "n-0S6",
	};

	assert_int_equal(eid_pkce_challenge(VERIFIER, challenge), EID_OK);
	assert_int_equal(eid_code_issue(f->sp.ts.store, &cg, NOW, 60, 600,
					code), EID_OK);
	json_decref(amr);
	json_decref(claims);
}

static void issue_code(struct fx *f, const char *client_id, const char *jkt,
		       char code[EID_CODE_LEN + 1])
{
	issue_code_scope(f, client_id, jkt, "openid profile", code);
}

static int redeem(struct fx *f, const struct eid_client *c,
		  const char *code, const char *verifier, const char *jkt,
		  struct eid_token_response *res, struct eid_oauth_error *err)
{
	struct eid_token_request req = { .code = code,
					 .redirect_uri = REDIRECT,
					 .code_verifier = verifier,
					 .dpop_jkt = jkt };

	memset(err, 0, sizeof(*err));
	return eid_token_authorization_code(&f->env, c, &req, res, err);
}

static int refresh(struct fx *f, const char *token, const char *scope,
		   struct eid_token_response *res,
		   struct eid_oauth_error *err)
{
	struct eid_token_request req = { .refresh_token = token,
					 .scope = scope };

	memset(err, 0, sizeof(*err));
	return eid_token_refresh(&f->env, &f->web, &req, res, err);
}

static int at_check(struct fx *f, const char *at)
{
	json_t *c = NULL;
	int r = eid_access_token_verify(f->sg, f->sp.ts.store, at, strlen(at),
					ISS, EID_TOKEN_BEARER, NULL, NOW, &c);

	json_decref(c);
	return r;
}

/* ---- client_credentials ---- */

static void test_client_credentials(void **state)
{
	struct fx *f = *state;
	struct eid_token_request req = { 0 };
	struct eid_token_response res = { 0 };
	struct eid_oauth_error err = { 0 };
	json_t *c;

	assert_int_equal(eid_token_client_credentials(&f->env, &f->svc, &req,
						      &res, &err), EID_OK);
	assert_string_equal(res.scope, "profile citizen");
	assert_false(res.dpop);
	assert_null(res.id_token);
	assert_string_equal(res.refresh_token, "");
	assert_int_equal(res.expires_in, f->cfg.tokens.access_token_ttl);
	c = claims_of(f, res.access_token);
	assert_string_equal(str(c, "sub"), "svc");
	assert_string_equal(str(c, "client_id"), "svc");
	assert_null(json_object_get(c, "gid"));
	json_decref(c);
	assert_int_equal(at_check(f, res.access_token), EID_OK);
	eid_token_response_clear(&res);

	req.scope = "citizen";
	assert_int_equal(eid_token_client_credentials(&f->env, &f->svc, &req,
						      &res, &err), EID_OK);
	assert_string_equal(res.scope, "citizen");
	eid_token_response_clear(&res);
	req.scope = "openid";
	assert_int_equal(eid_token_client_credentials(&f->env, &f->svc, &req,
						      &res, &err), EID_EINVAL);
	assert_string_equal(err.error, "invalid_scope");
	req.scope = "phone";
	assert_int_equal(eid_token_client_credentials(&f->env, &f->svc, &req,
						      &res, &err), EID_EINVAL);
	req.scope = NULL;
	assert_int_equal(eid_token_client_credentials(&f->env, &f->web, &req,
						      &res, &err), EID_EINVAL);
	assert_string_equal(err.error, "unauthorized_client");
	/* require_dpop: nothing without a proof, a bound token with one. */
	assert_int_equal(eid_token_client_credentials(&f->env, &f->other,
						      &req, &res, &err),
			 EID_EINVAL);
	assert_string_equal(err.error, "invalid_request");
	req.dpop_jkt = JKT;
	assert_int_equal(eid_token_client_credentials(&f->env, &f->other,
						      &req, &res, &err),
			 EID_OK);
	assert_true(res.dpop);
	c = claims_of(f, res.access_token);
	assert_string_equal(str(json_object_get(c, "cnf"), "jkt"), JKT);
	json_decref(c);
	eid_token_response_clear(&res);
}

/* ---- authorization_code ---- */

static void test_code(void **state)
{
	struct fx *f = *state;
	struct eid_token_response res = { 0 }, again = { 0 };
	struct eid_oauth_error err;
	char code[EID_CODE_LEN + 1], sub[EID_SUBJECT_LEN + 1];
	json_t *id, *at;

	issue_code(f, "web", NULL, code);
	assert_int_equal(redeem(f, &f->web, code, VERIFIER, NULL, &res, &err),
			 EID_OK);
	assert_string_equal(res.scope, "openid profile");
	assert_int_equal(strlen(res.refresh_token), EID_REFRESH_TOKEN_LEN);
	assert_int_equal(eid_subject_for(&f->web, PID, f->subject_key, sub),
			 EID_OK);
	id = claims_of(f, res.id_token);
	assert_string_equal(str(id, "aud"), "web");
	assert_string_equal(str(id, "sub"), sub);
	assert_string_equal(str(id, "nonce"), "n-0S6");
	assert_string_equal(str(id, "acr"), "urn:eid:loa:1");
	assert_string_equal(str(id, "sid"), "sid-1");
	assert_non_null(str(id, "at_hash"));
	assert_string_equal(str(id, "given_name"), "An"); /* asked by name */
	assert_null(json_object_get(id, "name"));         /* scope: userinfo */
	at = claims_of(f, res.access_token);
	assert_string_equal(str(at, "sub"), sub);
	assert_non_null(str(at, "gid"));
	json_decref(id);

	/* The code again: refused, and every token from it ends. */
	assert_int_equal(redeem(f, &f->web, code, VERIFIER, NULL, &again,
				&err), EID_EPERM);
	assert_string_equal(err.error, "invalid_grant");
	assert_int_equal(at_check(f, res.access_token), EID_EPERM);
	assert_int_equal(refresh(f, res.refresh_token, NULL, &again, &err),
			 EID_EPERM);
	json_decref(at);
	eid_token_response_clear(&res);
}

struct releases {
	unsigned n;
	json_t *last; /* the last data.release entry (a reference) */
};

static int find_release(json_t *e, void *arg)
{
	struct releases *r = arg;

	if (strcmp(str(e, "type"), "data.release") != 0)
		return EID_OK;
	r->n++;
	json_decref(r->last);
	r->last = json_incref(e);
	return EID_OK;
}

static struct releases releases(struct fx *f)
{
	struct releases r = { 0 };
	eid_txn *t = NULL;

	assert_int_equal(eid_store_begin(f->sp.ts.store, false, &t), EID_OK);
	assert_int_equal(eid_audit_scan(t, 0, 0, find_release, &r), EID_OK);
	eid_txn_abort(t);
	return r;
}

static int userinfo_of(struct fx *f, const char *jwt, json_t **ret,
		       struct eid_oauth_error *err);

/* One data.release per grant: the RP, the claim names, never values; and
 * none for a refresh or a userinfo call. */
static void test_code_data_release(void **state)
{
	struct fx *f = *state;
	struct eid_token_response res = { 0 }, r2 = { 0 };
	struct eid_oauth_error err;
	char code[EID_CODE_LEN + 1];
	json_t *info = NULL, *d, *want;
	struct releases rel;
	char *text;

	issue_code(f, "web", NULL, code);
	assert_int_equal(redeem(f, &f->web, code, VERIFIER, NULL, &res, &err),
			 EID_OK);
	rel = releases(f);
	assert_int_equal(rel.n, 1);
	assert_string_equal(str(rel.last, "actor"), "client:web");
	assert_string_equal(str(rel.last, "subject"), PID);
	d = json_object_get(rel.last, "details");
	assert_string_equal(str(d, "client_id"), "web");
	assert_string_equal(str(d, "client_name"), "W");
	assert_string_equal(str(d, "scope"), "openid profile");
	assert_string_equal(str(d, "acr"), "urn:eid:loa:1");
	want = json_pack("[s,s,s,s,s,s]", "name", "family_name", "given_name",
			 "middle_name", "birthdate", "gender");
	assert_true(json_equal(json_object_get(d, "claims"), want));
	json_decref(want);
	text = json_dumps(rel.last, JSON_COMPACT);
	assert_null(strstr(text, "Văn")); /* names, never values */
	assert_null(strstr(text, "1990-03-15"));
	free(text);
	json_decref(rel.last);

	assert_int_equal(userinfo_of(f, res.access_token, &info, &err), EID_OK);
	assert_int_equal(refresh(f, res.refresh_token, NULL, &r2, &err), EID_OK);
	rel = releases(f);
	assert_int_equal(rel.n, 1);
	json_decref(rel.last);
	json_decref(info);
	eid_token_response_clear(&r2);
	eid_token_response_clear(&res);
}

static int device_poll(struct fx *f, const struct eid_client *c,
		       const char *device_code, const char *jkt,
		       struct eid_token_response *res,
		       struct eid_oauth_error *err)
{
	struct eid_token_request req = { .device_code = device_code,
					 .dpop_jkt = jkt };

	memset(err, 0, sizeof(*err));
	return eid_token_device_code(&f->env, c, &req, res, err);
}

/* The device grant: each poll's OAuth error, then the tokens once. */
static void test_device_code(void **state)
{
	struct releases rel;
	struct fx *f = *state;
	struct eid_token_response res = { 0 };
	struct eid_oauth_error err;
	struct eid_client tv = { 0 };
	char code[EID_DEVGRANT_CODE_LEN + 1];
	char user[EID_DEVGRANT_USER_CODE_LEN + 1];
	json_t *amr = json_pack("[s]", "pwd"), *id, *at;
	struct eid_grant g = { .personal_id = PID, .client_id = "tv",
			       .scope = "openid profile",
			       .acr = "urn:eid:loa:1", .amr = amr,
			       .auth_time = NOW - 10 };

	client(f, "{\"client_id\":\"tv\",\"name\":\"TV\","
		  "\"token_endpoint_auth_method\":\"none\",\"grant_types\":"
		  "[\"" EID_GRANT_TYPE_DEVICE_CODE "\",\"refresh_token\"],"
		  "\"scope\":\"openid profile\"}", &tv);
	assert_int_equal(eid_devgrant_start(f->sp.ts.store, "tv",
					    "openid profile", 3, 0, NOW, 600,
					    5, code, user), EID_OK);
	assert_int_equal(device_poll(f, &f->web, code, NULL, &res, &err),
			 EID_EINVAL);
	assert_string_equal(err.error, "unauthorized_client");
	assert_int_equal(device_poll(f, &tv, NULL, NULL, &res, &err),
			 EID_EINVAL);
	assert_string_equal(err.error, "invalid_request");
	assert_int_equal(device_poll(f, &tv, code, NULL, &res, &err),
			 EID_EPERM);
	assert_string_equal(err.error, "authorization_pending");
	assert_int_equal(device_poll(f, &tv, code, NULL, &res, &err),
			 EID_EPERM);
	assert_string_equal(err.error, "slow_down");
	assert_int_equal(eid_devgrant_decide(f->sp.ts.store, user, true, &g),
			 EID_OK);
	assert_int_equal(device_poll(f, &tv, code, JKT, &res, &err), EID_OK);
	assert_true(res.dpop);
	assert_int_equal(strlen(res.refresh_token), EID_REFRESH_TOKEN_LEN);
	id = claims_of(f, res.id_token);
	assert_string_equal(str(id, "aud"), "tv");
	assert_string_equal(str(id, "acr"), "urn:eid:loa:1");
	assert_int_equal(json_integer_value(json_object_get(id, "auth_time")),
			 NOW - 10);
	assert_null(json_object_get(id, "sid"));
	at = claims_of(f, res.access_token);
	assert_string_equal(str(json_object_get(at, "cnf"), "jkt"), JKT);
	assert_int_equal(eid_grant_check_active(f->sp.ts.store,
						str(at, "gid")), EID_OK);
	rel = releases(f); /* the device grant's data.release */
	assert_int_equal(rel.n, 1);
	assert_string_equal(str(rel.last, "actor"), "client:tv");
	json_decref(rel.last);
	eid_token_response_clear(&res);
	assert_int_equal(device_poll(f, &tv, code, NULL, &res, &err),
			 EID_EPERM);
	assert_string_equal(err.error, "invalid_grant");

	/* Denied, and expired. */
	assert_int_equal(eid_devgrant_start(f->sp.ts.store, "tv", "openid", 1,
					    0, NOW, 600, 5, code, user),
			 EID_OK);
	assert_int_equal(eid_devgrant_decide(f->sp.ts.store, user, false,
					     NULL), EID_OK);
	assert_int_equal(device_poll(f, &tv, code, NULL, &res, &err),
			 EID_EPERM);
	assert_string_equal(err.error, "access_denied");
	assert_int_equal(eid_devgrant_start(f->sp.ts.store, "tv", "openid", 1,
					    0, NOW - 700, 600, 5, code, user),
			 EID_OK);
	assert_int_equal(device_poll(f, &tv, code, NULL, &res, &err),
			 EID_EPERM);
	assert_string_equal(err.error, "expired_token");
	json_decref(id);
	json_decref(at);
	json_decref(amr);
	eid_client_clear(&tv);
}

static void test_code_refusals(void **state)
{
	struct fx *f = *state;
	struct eid_token_response res = { 0 };
	struct eid_oauth_error err;
	char code[EID_CODE_LEN + 1];

	issue_code(f, "web", NULL, code);
	assert_int_equal(redeem(f, &f->web, code, NULL, NULL, &res, &err),
			 EID_EINVAL);
	assert_string_equal(err.error, "invalid_request");
	assert_int_equal(redeem(f, &f->web, code,
				"wrong-verifier-wrong-verifier-wrong-verifier",
				NULL, &res, &err), EID_EPERM);
	assert_string_equal(err.error, "invalid_grant");
	/* Consumed by the failed attempt. */
	assert_int_equal(redeem(f, &f->web, code, VERIFIER, NULL, &res, &err),
			 EID_EPERM);

	issue_code(f, "web", NULL, code);
	assert_int_equal(redeem(f, &f->other, code, VERIFIER, JKT, &res,
				&err), EID_EPERM);
	assert_int_equal(redeem(f, &f->web, "nonsense", VERIFIER, NULL, &res,
				&err), EID_EPERM);
	assert_int_equal(redeem(f, &f->svc, "x", VERIFIER, NULL, &res, &err),
			 EID_EINVAL);
	assert_string_equal(err.error, "unauthorized_client");

	/* A code bound to a DPoP key needs a proof of that key. */
	issue_code(f, "other", JKT, code);
	assert_int_equal(redeem(f, &f->other, code, VERIFIER,
				"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
				&res, &err), EID_EPERM);
	issue_code(f, "other", JKT, code);
	assert_int_equal(redeem(f, &f->other, code, VERIFIER, JKT, &res, &err),
			 EID_OK);
	assert_true(res.dpop);
	eid_token_response_clear(&res);
}

/* ---- refresh_token ---- */

static void code_tokens(struct fx *f, struct eid_token_response *res)
{
	struct eid_oauth_error err;
	char code[EID_CODE_LEN + 1];

	issue_code(f, "web", NULL, code);
	assert_int_equal(redeem(f, &f->web, code, VERIFIER, NULL, res, &err),
			 EID_OK);
}

static void test_refresh(void **state)
{
	struct fx *f = *state;
	struct eid_token_response first = { 0 }, second = { 0 },
				  third = { 0 };
	struct eid_oauth_error err;

	code_tokens(f, &first);
	/* Widening is refused before the token is used up. */
	assert_int_equal(refresh(f, first.refresh_token, "openid citizen",
				 &second, &err), EID_EINVAL);
	assert_string_equal(err.error, "invalid_scope");
	assert_int_equal(refresh(f, first.refresh_token, "openid", &second,
				 &err), EID_OK);
	assert_string_equal(second.scope, "openid");
	assert_string_not_equal(second.refresh_token, first.refresh_token);
	assert_non_null(second.id_token);
	/* The new token still carries the whole grant. */
	assert_int_equal(refresh(f, second.refresh_token, NULL, &third, &err),
			 EID_OK);
	assert_string_equal(third.scope, "openid profile");
	eid_token_response_clear(&second);
	/* Reuse of a rotated token revokes the grant. */
	assert_int_equal(refresh(f, first.refresh_token, NULL, &second, &err),
			 EID_EPERM);
	assert_string_equal(err.error, "invalid_grant");
	assert_int_equal(at_check(f, third.access_token), EID_EPERM);
	assert_int_equal(refresh(f, third.refresh_token, NULL, &second, &err),
			 EID_EPERM);
	assert_int_equal(refresh(f, "eidrt.bogus", NULL, &second, &err),
			 EID_EPERM);
	assert_int_equal(refresh(f, NULL, NULL, &second, &err), EID_EINVAL);
	eid_token_response_clear(&first);
	eid_token_response_clear(&third);
}

static void test_refresh_account_locked(void **state)
{
	struct fx *f = *state;
	struct eid_token_response first = { 0 }, next = { 0 };
	struct eid_oauth_error err;
	eid_txn *t = NULL;

	code_tokens(f, &first);
	f->env.now = NOW + 5;
	tmpstore_clock_now = (int64_t)NOW + 5;
	assert_int_equal(eid_store_begin(f->sp.ts.store, true, &t), EID_OK);
	assert_int_equal(eid_account_lock(t, PID, EID_LOCK_CITIZEN_REQUEST,
					  "citizen:" PID, (int64_t)NOW + 5),
			 EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	assert_int_equal(refresh(f, first.refresh_token, NULL, &next, &err),
			 EID_EPERM);
	assert_string_equal(err.error, "invalid_grant");
	assert_int_equal(at_check(f, first.access_token), EID_EPERM);
	eid_token_response_clear(&first);
}

/* ---- userinfo ---- */

/* What api/userinfo.c does: the token verified with its grant read. */
static int userinfo_of(struct fx *f, const char *jwt, json_t **ret,
		       struct eid_oauth_error *err)
{
	struct eid_grant g = { 0 };
	json_t *at = NULL;
	int r = eid_access_token_verify_grant(f->sg, f->sp.ts.store,
					      f->grants, jwt, strlen(jwt),
					      ISS, EID_TOKEN_BEARER, NULL,
					      NOW, &at, &g);

	if (r == EID_OK)
		r = eid_token_userinfo(&f->env, at, &g, ret, err);
	eid_grant_clear(&g);
	json_decref(at);
	return r;
}

static void test_userinfo(void **state)
{
	struct fx *f = *state;
	struct eid_token_response res = { 0 }, cc = { 0 };
	struct eid_token_request req = { 0 };
	struct eid_oauth_error err = { 0 };
	struct eid_grant other = { 0 };
	json_t *at, *ui = NULL;

	code_tokens(f, &res);
	at = claims_of(f, res.access_token);
	assert_int_equal(userinfo_of(f, res.access_token, &ui, &err), EID_OK);
	assert_string_equal(str(ui, "sub"), str(at, "sub"));
	assert_string_equal(str(ui, "family_name"), "Nguyễn");
	assert_string_equal(str(ui, "birthdate"), "1990-03-15");
	assert_null(json_object_get(ui, "personal_id"));
	json_decref(ui);
	/* A grant record that is not the token's is refused. */
	memcpy(other.id, "not-the-tokens-grant", 21);
	assert_int_equal(eid_token_userinfo(&f->env, at, &other, &ui, &err),
			 EID_EPERM);
	assert_string_equal(err.error, "invalid_token");
	json_decref(at);

	assert_int_equal(eid_token_client_credentials(&f->env, &f->svc, &req,
						      &cc, &err), EID_OK);
	assert_int_equal(userinfo_of(f, cc.access_token, &ui, &err),
			 EID_EPERM);
	assert_string_equal(err.error, "invalid_token");
	eid_token_response_clear(&res);
	eid_token_response_clear(&cc);
}

/* Through the record caches, every read sees the record as stored now:
 * a changed phone, a locked account, a revoked grant. */
static void test_userinfo_sees_changes(void **state)
{
	struct fx *f = *state;
	struct eid_token_response a = { 0 }, b = { 0 };
	struct eid_oauth_error err = { 0 };
	struct eid_rcache_stats st;
	char code[EID_CODE_LEN + 1], gid[EID_GRANT_ID_LEN + 1];
	eid_txn *t = NULL;
	json_t *ui = NULL, *at;

	issue_code_scope(f, "web", NULL, "openid phone", code);
	assert_int_equal(redeem(f, &f->web, code, VERIFIER, NULL, &a, &err),
			 EID_OK);
	issue_code_scope(f, "web", NULL, "openid phone", code);
	assert_int_equal(redeem(f, &f->web, code, VERIFIER, NULL, &b, &err),
			 EID_OK);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(userinfo_of(f, a.access_token, &ui, &err),
				 EID_OK);
		assert_string_equal(str(ui, "phone_number"), "+84912345678");
		json_decref(ui);
	}
	eid_rcache_stats(f->grants, &st);
	assert_true(st.hits >= 1);
	eid_rcache_stats(f->accounts, &st);
	assert_true(st.hits >= 1);
	eid_rcache_stats(f->clients, &st);
	assert_true(st.hits >= 1);

	/* A new phone number. */
	assert_int_equal(eid_store_begin(f->sp.ts.store, true, &t), EID_OK);
	assert_int_equal(eid_account_change_phone(t, PID, "0987654321",
						  "officer:o1", NOW, NULL),
			 EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	assert_int_equal(userinfo_of(f, a.access_token, &ui, &err), EID_OK);
	assert_string_equal(str(ui, "phone_number"), "+84987654321");
	json_decref(ui);

	/* A revoked grant (api/resource.c answers 401); the other grant's
	 * token goes on. */
	at = claims_of(f, a.access_token);
	snprintf(gid, sizeof(gid), "%s", str(at, "gid"));
	json_decref(at);
	assert_int_equal(eid_grant_revoke(f->sp.ts.store, gid, NOW), EID_OK);
	assert_int_equal(userinfo_of(f, a.access_token, &ui, &err),
			 EID_EPERM);
	assert_int_equal(userinfo_of(f, b.access_token, &ui, &err), EID_OK);
	assert_string_equal(str(ui, "phone_number"), "+84987654321");
	json_decref(ui);

	/* A locked account. */
	assert_int_equal(eid_store_begin(f->sp.ts.store, true, &t), EID_OK);
	assert_int_equal(eid_account_lock(t, PID, EID_LOCK_CITIZEN_REQUEST,
					  "citizen:" PID, (int64_t)NOW),
			 EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	assert_int_equal(userinfo_of(f, b.access_token, &ui, &err),
			 EID_EPERM);
	assert_string_equal(err.error, "invalid_token");
	eid_token_response_clear(&a);
	eid_token_response_clear(&b);
}

/* ---- introspection and revocation ---- */

static json_t *introspect(struct fx *f, const struct eid_client *c,
			  const char *token)
{
	struct eid_introspect_env env = {
		.store = f->sp.ts.store, .signer = f->sg, .grants = f->grants,
		.issuer = ISS,
		.subject_key = f->subject_key, .now = NOW,
	};
	json_t *o = NULL;

	assert_int_equal(eid_introspect(&env, c, token, &o), EID_OK);
	return o;
}

static bool active(struct fx *f, const struct eid_client *c,
		   const char *token)
{
	json_t *o = introspect(f, c, token);
	bool a = json_is_true(json_object_get(o, "active"));

	if (!a)
		assert_int_equal(json_object_size(o), 1);
	json_decref(o);
	return a;
}

static int revoke(struct fx *f, const struct eid_client *c,
		  const char *token)
{
	struct eid_introspect_env env = {
		.store = f->sp.ts.store, .signer = f->sg, .grants = f->grants,
		.issuer = ISS,
		.subject_key = f->subject_key, .now = NOW,
	};
	struct eid_oauth_error err = { 0 };

	return eid_revoke(&env, c, token, &err);
}

static void test_introspect_revoke(void **state)
{
	struct fx *f = *state;
	struct eid_token_response res = { 0 }, cc = { 0 };
	struct eid_token_request req = { 0 };
	struct eid_oauth_error err = { 0 };
	json_t *o;

	code_tokens(f, &res);
	o = introspect(f, &f->web, res.access_token);
	assert_string_equal(str(o, "token_type"), "Bearer");
	assert_string_equal(str(o, "client_id"), "web");
	assert_string_equal(str(o, "scope"), "openid profile");
	assert_string_equal(str(o, "acr"), "urn:eid:loa:1");
	assert_non_null(json_object_get(o, "exp"));
	json_decref(o);
	o = introspect(f, &f->web, res.refresh_token);
	assert_true(json_is_true(json_object_get(o, "active")));
	assert_string_equal(str(o, "token_type"), "refresh_token");
	json_decref(o);
	/* Another client learns nothing. */
	assert_false(active(f, &f->svc, res.access_token));
	assert_false(active(f, &f->svc, res.refresh_token));
	assert_false(active(f, &f->web, "garbage"));
	assert_false(active(f, &f->web, ""));
	assert_false(active(f, &f->web, "eidrt.AAAA"));
	assert_int_equal(revoke(f, &f->svc, res.refresh_token), EID_EPERM);
	assert_int_equal(revoke(f, &f->svc, res.access_token), EID_EPERM);
	assert_int_equal(revoke(f, &f->web, "garbage"), EID_OK);
	/* Revoking the refresh token ends the grant. */
	assert_int_equal(revoke(f, &f->web, res.refresh_token), EID_OK);
	assert_false(active(f, &f->web, res.access_token));
	assert_false(active(f, &f->web, res.refresh_token));
	assert_int_equal(revoke(f, &f->web, res.refresh_token), EID_OK);
	eid_token_response_clear(&res);

	/* An access token of a grant ends its grant. */
	code_tokens(f, &res);
	assert_int_equal(revoke(f, &f->web, res.access_token), EID_OK);
	assert_false(active(f, &f->web, res.refresh_token));
	eid_token_response_clear(&res);

	/* A client_credentials token: its jti, until its exp. */
	assert_int_equal(eid_token_client_credentials(&f->env, &f->svc, &req,
						      &cc, &err), EID_OK);
	assert_true(active(f, &f->svc, cc.access_token));
	assert_int_equal(revoke(f, &f->svc, cc.access_token), EID_OK);
	assert_false(active(f, &f->svc, cc.access_token));
	eid_token_response_clear(&cc);
}

/* A CIBA request for PID by "web" (given the CIBA grant), decided by a
 * device reaching level, acr_level asked; its auth_req_id into areq. */
static void ciba_request(struct fx *f, int acr_level, int level,
			 bool approve, char areq[EID_CIBA_AUTH_REQ_ID_LEN + 1])
{
	struct eid_ciba_request q = { .acr_level = acr_level };
	struct eid_device d = { .id = "devdevdevdevdevdevdevd",
				.personal_id = PID, .level = level };

	strcpy(q.personal_id, PID);
	strcpy(q.client_id, "web");
	strcpy(q.client_name, "W");
	strcpy(q.scope, "openid profile");
	assert_int_equal(eid_ciba_create(f->sp.ts.store, &q, NOW, 300, areq),
			 EID_OK);
	assert_int_equal(eid_ciba_decide(f->sp.ts.store, q.id, &d, approve,
					 NOW + 3),
			 EID_OK);
}

static void test_ciba(void **state)
{
	struct fx *f = *state;
	struct eid_token_response res = { 0 };
	struct eid_token_request req = { 0 };
	struct eid_oauth_error err = { 0 };
	char areq[EID_CIBA_AUTH_REQ_ID_LEN + 1], sub[EID_SUBJECT_LEN + 1];
	char pid[13];
	json_t *id;

	/* only for clients with the grant */
	req.auth_req_id = "x";
	assert_int_equal(eid_token_ciba(&f->env, &f->web, &req, &res, &err),
			 EID_EINVAL);
	assert_string_equal(err.error, "unauthorized_client");
	f->web.grant_types |= EID_GRANT_CIBA;
	req.auth_req_id = NULL;
	assert_int_equal(eid_token_ciba(&f->env, &f->web, &req, &res, &err),
			 EID_EINVAL);
	assert_string_equal(err.error, "invalid_request");

	ciba_request(f, 0, 2, true, areq);
	req.auth_req_id = areq;
	f->env.now = NOW + 5;
	assert_int_equal(eid_token_ciba(&f->env, &f->web, &req, &res, &err),
			 EID_OK);
	id = claims_of(f, res.id_token);
	assert_int_equal(eid_subject_for(&f->web, PID, f->subject_key, sub),
			 EID_OK);
	assert_string_equal(str(id, "sub"), sub);
	assert_string_equal(str(id, "acr"), "urn:eid:loa:2");
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(id, "amr"), 0)), "hwk");
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(id, "amr"), 1)), "user");
	assert_int_equal(json_integer_value(json_object_get(id, "auth_time")),
			 NOW + 3);
	assert_int_equal(strlen(res.refresh_token), EID_REFRESH_TOKEN_LEN);
	assert_int_equal(at_check(f, res.access_token), EID_OK);
	/* the grant's sub index names the citizen (id_token_hint) */
	assert_int_equal(eid_grant_subject_find(f->sp.ts.store, "web", sub,
						pid), EID_OK);
	assert_string_equal(pid, PID);
	json_decref(id);
	eid_token_response_clear(&res);
	/* once */
	assert_int_equal(eid_token_ciba(&f->env, &f->web, &req, &res, &err),
			 EID_EPERM);
	assert_string_equal(err.error, "invalid_grant");

	/* the device reached less than asked: access_denied */
	ciba_request(f, 2, 1, true, areq);
	assert_int_equal(eid_token_ciba(&f->env, &f->web, &req, &res, &err),
			 EID_EPERM);
	assert_string_equal(err.error, "access_denied");
	/* denied */
	ciba_request(f, 0, 1, false, areq);
	assert_int_equal(eid_token_ciba(&f->env, &f->web, &req, &res, &err),
			 EID_EPERM);
	assert_string_equal(err.error, "access_denied");
	/* another client's */
	ciba_request(f, 0, 1, true, areq);
	f->other.grant_types |= EID_GRANT_CIBA;
	f->other.require_dpop = false;
	assert_int_equal(eid_token_ciba(&f->env, &f->other, &req, &res, &err),
			 EID_EPERM);
	assert_string_equal(err.error, "invalid_grant");
	/* and pending, then expired */
	{
		struct eid_ciba_request q = { 0 };

		strcpy(q.personal_id, PID);
		strcpy(q.client_id, "web");
		strcpy(q.client_name, "W");
		strcpy(q.scope, "openid");
		assert_int_equal(eid_ciba_create(f->sp.ts.store, &q, NOW, 60,
						 areq), EID_OK);
	}
	assert_int_equal(eid_token_ciba(&f->env, &f->web, &req, &res, &err),
			 EID_EPERM);
	assert_string_equal(err.error, "authorization_pending");
	f->env.now = NOW + 61;
	tmpstore_clock_now = TMPSTORE_NOW + 61;
	assert_int_equal(eid_token_ciba(&f->env, &f->web, &req, &res, &err),
			 EID_EPERM);
	assert_string_equal(err.error, "expired_token");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_client_credentials, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_data_release, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_device_code, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_code_refusals, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_account_locked,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_userinfo_sees_changes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_userinfo, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ciba, setup, teardown),
		cmocka_unit_test_setup_teardown(test_introspect_revoke, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
