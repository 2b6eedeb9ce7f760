#define _GNU_SOURCE
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/codes.h"
#include "tmpstore.h"

#define VERIFIER "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
#define CLIENT "rp-one"
#define REDIRECT "https://rp.example/cb"
#define JKT "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
#define CODE_TTL 60
#define REPLAY_TTL 600

/* The stores' clock, moved by the tests. */
static uint64_t clock_now = (uint64_t)TMPSTORE_NOW;

static uint64_t test_clock(void *arg)
{
	return clock_now;
}

static int setup(void **state)
{
	struct tmpstore *ts = calloc(1, sizeof(*ts));

	assert_non_null(ts);
	clock_now = (uint64_t)TMPSTORE_NOW;
	tmpstore_open(ts, test_clock);
	*state = ts;
	return 0;
}

static int teardown(void **state)
{
	tmpstore_close(*state);
	free(*state);
	return 0;
}

static void sample(struct eid_code_grant *cg)
{
	memset(cg, 0, sizeof(*cg));
	cg->grant.personal_id = "001099012345";
	cg->grant.client_id = CLIENT;
	cg->grant.scope = "openid profile";
	cg->grant.acr = "urn:eid:loa:2";
	cg->grant.sid = "sess-1";
	cg->grant.amr = json_pack("[s,s]", "pwd", "otp");
	cg->grant.claims = json_pack("{s:{s:n}}", "userinfo", "name");
	cg->grant.auth_time = (uint64_t)TMPSTORE_NOW - 5;
	cg->redirect_uri = REDIRECT;
	cg->code_challenge = CHALLENGE;
	cg->nonce = "n-0S6_WzA2Mj";
}

static void sample_free(struct eid_code_grant *cg)
{
	json_decref(cg->grant.amr);
	json_decref(cg->grant.claims);
}

static void issue(eid_store *s, const char *jkt, char code[EID_CODE_LEN + 1])
{
	struct eid_code_grant cg;

	sample(&cg);
	cg.grant.dpop_jkt = (char *)jkt;
	assert_int_equal(eid_code_issue(s, &cg, clock_now, CODE_TTL,
					REPLAY_TTL, code), EID_OK);
	assert_int_equal(strlen(code), EID_CODE_LEN);
	sample_free(&cg);
}

static int redeem(eid_store *s, const char *code, const char *client,
		  const char *redirect, const char *verifier, const char *jkt)
{
	struct eid_code_grant got = { 0 };
	int r = eid_code_redeem(s, code, client, redirect, verifier, jkt,
				clock_now, &got);

	if (r != EID_OK)
		assert_null(got.grant.client_id); /* untouched on failure */
	eid_code_grant_clear(&got);
	return r;
}

static void test_issue_redeem(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_code_grant got = { 0 };
	char code[EID_CODE_LEN + 1];

	issue(ts->store, NULL, code);
	assert_int_equal(eid_code_redeem(ts->store, code, CLIENT, REDIRECT,
					 VERIFIER, NULL, clock_now, &got),
			 EID_OK);
	assert_string_equal(got.grant.personal_id, "001099012345");
	assert_string_equal(got.grant.client_id, CLIENT);
	assert_string_equal(got.grant.scope, "openid profile");
	assert_string_equal(got.grant.acr, "urn:eid:loa:2");
	assert_string_equal(got.grant.sid, "sess-1");
	assert_null(got.grant.dpop_jkt);
	assert_int_equal(json_array_size(got.grant.amr), 2);
	assert_non_null(json_object_get(got.grant.claims, "userinfo"));
	assert_int_equal(got.grant.auth_time, (uint64_t)TMPSTORE_NOW - 5);
	assert_int_equal(strlen(got.grant.id), EID_GRANT_ID_LEN);
	assert_string_equal(got.redirect_uri, REDIRECT);
	assert_string_equal(got.code_challenge, CHALLENGE);
	assert_string_equal(got.nonce, "n-0S6_WzA2Mj");
	assert_int_equal(got.expires_at, clock_now + CODE_TTL);
	eid_code_grant_clear(&got);
}

static void test_replay_names_grant(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_code_grant got = { 0 };
	char code[EID_CODE_LEN + 1], gid[EID_GRANT_ID_LEN + 1];

	issue(ts->store, NULL, code);
	assert_int_equal(eid_code_replayed_grant(ts->store, code, gid),
			 EID_ENOTFOUND);
	assert_int_equal(eid_code_redeem(ts->store, code, CLIENT, REDIRECT,
					 VERIFIER, NULL, clock_now, &got),
			 EID_OK);
	assert_int_equal(redeem(ts->store, code, CLIENT, REDIRECT, VERIFIER,
				NULL), EID_EREPLAY);
	assert_int_equal(eid_code_replayed_grant(ts->store, code, gid), EID_OK);
	assert_string_equal(gid, got.grant.id);
	/* Still recognised after the code's own expiry ... */
	clock_now += CODE_TTL + REPLAY_TTL - 1;
	assert_int_equal(redeem(ts->store, code, CLIENT, REDIRECT, VERIFIER,
				NULL), EID_EREPLAY);
	/* ... and forgotten after the replay window. */
	clock_now += 2;
	assert_int_equal(redeem(ts->store, code, CLIENT, REDIRECT, VERIFIER,
				NULL), EID_ENOTFOUND);
	assert_int_equal(eid_code_replayed_grant(ts->store, code, gid),
			 EID_ENOTFOUND);
	eid_code_grant_clear(&got);
}

static void test_bindings(void **state)
{
	struct tmpstore *ts = *state;
	char code[EID_CODE_LEN + 1];

	issue(ts->store, NULL, code);
	assert_int_equal(redeem(ts->store, code, "rp-two", REDIRECT, VERIFIER,
				NULL), EID_EMISMATCH);
	/* The failed attempt consumed it. */
	assert_int_equal(redeem(ts->store, code, CLIENT, REDIRECT, VERIFIER,
				NULL), EID_EREPLAY);

	issue(ts->store, NULL, code);
	assert_int_equal(redeem(ts->store, code, CLIENT,
				"https://rp.example/cb2", VERIFIER, NULL),
			 EID_EMISMATCH);
	issue(ts->store, NULL, code);
	assert_int_equal(redeem(ts->store, code, CLIENT, REDIRECT, NULL, NULL),
			 EID_EMALFORMED);
	issue(ts->store, NULL, code);
	assert_int_equal(redeem(ts->store, code, CLIENT, REDIRECT,
				"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj",
				NULL), EID_EVERIFY);
	issue(ts->store, NULL, code);
	assert_int_equal(redeem(ts->store, code, NULL, REDIRECT, VERIFIER,
				NULL), EID_EMISMATCH);
}

static void test_dpop_binding(void **state)
{
	struct tmpstore *ts = *state;
	char code[EID_CODE_LEN + 1];

	issue(ts->store, JKT, code);
	assert_int_equal(redeem(ts->store, code, CLIENT, REDIRECT, VERIFIER,
				NULL), EID_EMISMATCH);
	issue(ts->store, JKT, code);
	assert_int_equal(redeem(ts->store, code, CLIENT, REDIRECT, VERIFIER,
				"1ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"),
			 EID_EMISMATCH);
	issue(ts->store, JKT, code);
	assert_int_equal(redeem(ts->store, code, CLIENT, REDIRECT, VERIFIER,
				JKT), EID_OK);
	/* An unbound code does not care about a proof. */
	issue(ts->store, NULL, code);
	assert_int_equal(redeem(ts->store, code, CLIENT, REDIRECT, VERIFIER,
				JKT), EID_OK);
}

static void test_expiry(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_code_grant got = { 0 };
	char code[EID_CODE_LEN + 1];

	issue(ts->store, NULL, code);
	clock_now += CODE_TTL;
	assert_int_equal(redeem(ts->store, code, CLIENT, REDIRECT, VERIFIER,
				NULL), EID_ENOTFOUND);
	/* The store's clock lags the caller's: the caller's wins. */
	issue(ts->store, NULL, code);
	assert_int_equal(eid_code_redeem(ts->store, code, CLIENT, REDIRECT,
					 VERIFIER, NULL, clock_now + CODE_TTL,
					 &got), EID_EEXPIRED);
}

static void test_malformed_and_unknown(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_code_grant got = { 0 };
	char gid[EID_GRANT_ID_LEN + 1];

	assert_int_equal(redeem(ts->store, "short", CLIENT, REDIRECT, VERIFIER,
				NULL), EID_EMALFORMED);
	assert_int_equal(redeem(ts->store, NULL, CLIENT, REDIRECT, VERIFIER,
				NULL), EID_EMALFORMED);
	assert_int_equal(redeem(ts->store,
				"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM",
				CLIENT, REDIRECT, VERIFIER, NULL),
			 EID_EMALFORMED);
	assert_int_equal(redeem(ts->store,
				"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
				CLIENT, REDIRECT, VERIFIER, NULL),
			 EID_ENOTFOUND);
	assert_int_equal(eid_code_redeem(ts->store, CHALLENGE, CLIENT, REDIRECT,
					 VERIFIER, NULL, clock_now, NULL),
			 EID_EINVAL);
	assert_int_equal(eid_code_replayed_grant(ts->store, "x", gid),
			 EID_EMALFORMED);
	(void)got;
}

static void test_issue_refuses(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_code_grant cg;
	char code[EID_CODE_LEN + 1], big[EID_GRANT_STR_MAX + 2];

	sample(&cg);
	cg.code_challenge = NULL;
	assert_int_equal(eid_code_issue(ts->store, &cg, clock_now, 60, 600,
					code), EID_EINVAL);
	cg.code_challenge = "plain-challenge";
	assert_int_equal(eid_code_issue(ts->store, &cg, clock_now, 60, 600,
					code), EID_EINVAL);
	cg.code_challenge = CHALLENGE;
	cg.redirect_uri = NULL;
	assert_int_equal(eid_code_issue(ts->store, &cg, clock_now, 60, 600,
					code), EID_EINVAL);
	cg.redirect_uri = REDIRECT;
	cg.grant.personal_id = NULL;
	assert_int_equal(eid_code_issue(ts->store, &cg, clock_now, 60, 600,
					code), EID_EINVAL);
	cg.grant.personal_id = "001099012345";
	cg.grant.client_id = "";
	assert_int_equal(eid_code_issue(ts->store, &cg, clock_now, 60, 600,
					code), EID_EINVAL);
	cg.grant.client_id = CLIENT;
	memset(big, 'n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cg.nonce = big;
	assert_int_equal(eid_code_issue(ts->store, &cg, clock_now, 60, 600,
					code), EID_ETOOBIG);
	cg.nonce = NULL;
	cg.grant.scope = big;
	assert_int_equal(eid_code_issue(ts->store, &cg, clock_now, 60, 600,
					code), EID_ETOOBIG);
	cg.grant.scope = "openid";
	assert_int_equal(eid_code_issue(ts->store, &cg, clock_now, 0, 600,
					code), EID_EINVAL);
	assert_int_equal(eid_code_issue(ts->store, &cg, clock_now, 60, 600,
					code), EID_OK);
	sample_free(&cg);
}

/* True when the bytes of s appear in any file under dir. */
static int dir_contains(const char *dir, const char *s)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int found = 0;

	assert_non_null(d);
	while (!found && (e = readdir(d)) != NULL) {
		char path[512];
		FILE *f;
		char *buf;
		size_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if ((f = fopen(path, "rb")) == NULL)
			continue;
		buf = malloc(64u << 20);
		assert_non_null(buf);
		n = fread(buf, 1, 64u << 20, f);
		fclose(f);
		found = memmem(buf, n, s, strlen(s)) != NULL;
		free(buf);
		if (!found && e->d_type == DT_DIR)
			found = dir_contains(path, s);
	}
	closedir(d);
	return found;
}

static void test_only_hash_stored(void **state)
{
	struct tmpstore *ts = *state;
	char code[EID_CODE_LEN + 1], uri[EID_PAR_URI_LEN + 1];
	json_t *p = json_pack("{s:s}", "scope", "openid");

	issue(ts->store, NULL, code);
	assert_int_equal(eid_par_store(ts->store, CLIENT, p, clock_now, 60,
				       uri), EID_OK);
	assert_true(dir_contains(ts->dir, CHALLENGE)); /* the data is there */
	assert_false(dir_contains(ts->dir, code));
	assert_false(dir_contains(ts->dir, uri + sizeof(EID_PAR_URN) - 1));
	json_decref(p);
}

static void test_par(void **state)
{
	struct tmpstore *ts = *state;
	char uri[EID_PAR_URI_LEN + 1];
	json_t *p = json_pack("{s:s,s:s}", "scope", "openid",
			      "redirect_uri", REDIRECT);
	json_t *got = NULL;

	assert_int_equal(eid_par_store(ts->store, CLIENT, p, clock_now, 60,
				       uri), EID_OK);
	assert_int_equal(strlen(uri), EID_PAR_URI_LEN);
	assert_memory_equal(uri, EID_PAR_URN, sizeof(EID_PAR_URN) - 1);
	assert_int_equal(eid_par_take(ts->store, uri, CLIENT, &got), EID_OK);
	assert_true(json_equal(got, p));
	json_decref(got);
	got = NULL;
	assert_int_equal(eid_par_take(ts->store, uri, CLIENT, &got),
			 EID_ENOTFOUND);

	assert_int_equal(eid_par_store(ts->store, CLIENT, p, clock_now, 60,
				       uri), EID_OK);
	assert_int_equal(eid_par_take(ts->store, uri, "rp-two", &got),
			 EID_EMISMATCH);
	assert_int_equal(eid_par_take(ts->store, uri, CLIENT, &got),
			 EID_ENOTFOUND);
	assert_null(got);

	assert_int_equal(eid_par_store(ts->store, CLIENT, p, clock_now, 60,
				       uri), EID_OK);
	clock_now += 60;
	assert_int_equal(eid_par_take(ts->store, uri, CLIENT, &got),
			 EID_ENOTFOUND);
	json_decref(p);
}

static void test_par_refuses(void **state)
{
	struct tmpstore *ts = *state;
	char uri[EID_PAR_URI_LEN + 1], *big;
	json_t *p = json_object(), *got = NULL;

	assert_int_equal(eid_par_take(ts->store, "urn:x", CLIENT, &got),
			 EID_EMALFORMED);
	assert_int_equal(eid_par_take(ts->store, NULL, CLIENT, &got),
			 EID_EMALFORMED);
	assert_int_equal(eid_par_take(ts->store, EID_PAR_URN
				"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
				CLIENT, &got), EID_ENOTFOUND);
	assert_int_equal(eid_par_take(ts->store, EID_PAR_URN
				"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cMx",
				CLIENT, &got), EID_EMALFORMED);
	assert_int_equal(eid_par_store(ts->store, NULL, p, clock_now, 60, uri),
			 EID_EINVAL);
	assert_int_equal(eid_par_store(ts->store, CLIENT, NULL, clock_now, 60,
				       uri), EID_EINVAL);
	big = malloc(EID_PAR_MAX + 1);
	assert_non_null(big);
	memset(big, 'a', EID_PAR_MAX);
	big[EID_PAR_MAX] = '\0';
	json_object_set_new(p, "request", json_string(big));
	assert_int_equal(eid_par_store(ts->store, CLIENT, p, clock_now, 60,
				       uri), EID_ETOOBIG);
	free(big);
	json_decref(p);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_issue_redeem),
		T(test_replay_names_grant),
		T(test_bindings),
		T(test_dpop_binding),
		T(test_expiry),
		T(test_malformed_and_unknown),
		T(test_issue_refuses),
		T(test_only_hash_stored),
		T(test_par),
		T(test_par_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
