#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/grants.h"
#include "tmpstore.h"

#define PID "001099012345"
#define CLIENT "rp-one"
#define JKT "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
#define NOW ((uint64_t)TMPSTORE_NOW)
#define RT_TTL 3600

static void sample(struct eid_grant *g, const char *pid)
{
	memset(g, 0, sizeof(*g));
	g->personal_id = (char *)pid;
	g->client_id = CLIENT;
	g->scope = "openid offline_access";
	g->acr = "urn:eid:loa:1";
	g->amr = json_pack("[s]", "pwd");
	g->auth_time = NOW - 10;
}

static void create(eid_store *s, const char *pid, const char *jkt,
		   char gid[EID_GRANT_ID_LEN + 1])
{
	struct eid_grant g;

	sample(&g, pid);
	g.dpop_jkt = (char *)jkt;
	assert_int_equal(eid_grant_create(s, &g, NOW, gid), EID_OK);
	json_decref(g.amr);
}

/* A grant with its first refresh token. */
static void create_with_refresh(eid_store *s, const char *jkt,
				char gid[EID_GRANT_ID_LEN + 1],
				char tok[EID_REFRESH_TOKEN_LEN + 1])
{
	create(s, PID, jkt, gid);
	assert_int_equal(eid_refresh_issue(s, gid, NOW, RT_TTL, tok), EID_OK);
}

static void test_create_get(void **state)
{
	struct tmpstore *ts = *state;
	char gid[EID_GRANT_ID_LEN + 1], id2[EID_GRANT_ID_LEN + 1];
	struct eid_grant g, got = { 0 };

	create(ts->store, PID, NULL, gid);
	assert_int_equal(strlen(gid), EID_GRANT_ID_LEN);
	assert_int_equal(eid_grant_get(ts->store, gid, &got), EID_OK);
	assert_string_equal(got.id, gid);
	assert_string_equal(got.personal_id, PID);
	assert_string_equal(got.client_id, CLIENT);
	assert_string_equal(got.scope, "openid offline_access");
	assert_string_equal(got.acr, "urn:eid:loa:1");
	assert_null(got.sid);
	assert_null(got.claims);
	assert_int_equal(json_array_size(got.amr), 1);
	assert_int_equal(got.auth_time, NOW - 10);
	assert_int_equal(got.created, NOW);
	assert_false(got.revoked);
	assert_int_equal(eid_grant_check_active(ts->store, gid), EID_OK);
	eid_grant_clear(&got);
	assert_int_equal(eid_grant_get_active(ts->store, gid, &got), EID_OK);
	assert_string_equal(got.id, gid);
	assert_string_equal(got.scope, "openid offline_access");

	/* A given id (from a code) is kept, and cannot be taken twice. */
	sample(&g, PID);
	memcpy(g.id, got.id, sizeof(g.id));
	assert_int_equal(eid_grant_create(ts->store, &g, NOW, id2), EID_EEXIST);
	assert_int_equal(eid_grant_new_id(g.id), EID_OK);
	assert_int_equal(eid_grant_create(ts->store, &g, NOW, id2), EID_OK);
	assert_string_equal(id2, g.id);
	json_decref(g.amr);
	eid_grant_clear(&got);
}

static void test_create_refuses(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_grant g;
	char big[EID_GRANT_STR_MAX + 2];

	sample(&g, NULL);
	assert_int_equal(eid_grant_create(ts->store, &g, NOW, NULL),
			 EID_EINVAL);
	g.personal_id = PID;
	g.scope = NULL;
	assert_int_equal(eid_grant_create(ts->store, &g, NOW, NULL),
			 EID_EINVAL);
	g.scope = "openid";
	memcpy(g.id, "not-a-grant-id", 15);
	assert_int_equal(eid_grant_create(ts->store, &g, NOW, NULL),
			 EID_EINVAL);
	g.id[0] = '\0';
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	g.acr = big;
	assert_int_equal(eid_grant_create(ts->store, &g, NOW, NULL),
			 EID_ETOOBIG);
	g.acr = NULL;
	json_decref(g.amr);
	g.amr = json_object(); /* not an array */
	assert_int_equal(eid_grant_create(ts->store, &g, NOW, NULL),
			 EID_EINVAL);
	json_decref(g.amr);
}

static void test_revoke(void **state)
{
	struct tmpstore *ts = *state;
	char gid[EID_GRANT_ID_LEN + 1], other[EID_GRANT_ID_LEN + 1];
	struct eid_grant got = { 0 }, g;

	create(ts->store, PID, NULL, gid);
	assert_int_equal(eid_grant_revoke(ts->store, gid, NOW + 1), EID_OK);
	assert_int_equal(eid_grant_check_active(ts->store, gid), EID_EPERM);
	assert_int_equal(eid_grant_get_active(ts->store, gid, &got), EID_EPERM);
	assert_null(got.personal_id);
	assert_int_equal(eid_grant_revoke(ts->store, gid, NOW + 2), EID_OK);
	assert_int_equal(eid_grant_get(ts->store, gid, &got), EID_OK);
	assert_true(got.revoked);
	assert_string_equal(got.client_id, CLIENT);
	eid_grant_clear(&got);

	/* Revoked before it exists: it can never be created. */
	assert_int_equal(eid_grant_new_id(other), EID_OK);
	assert_int_equal(eid_grant_check_active(ts->store, other),
			 EID_ENOTFOUND);
	assert_int_equal(eid_grant_revoke(ts->store, other, NOW), EID_OK);
	assert_int_equal(eid_grant_check_active(ts->store, other), EID_EPERM);
	sample(&g, PID);
	memcpy(g.id, other, sizeof(g.id));
	assert_int_equal(eid_grant_create(ts->store, &g, NOW, NULL),
			 EID_EEXIST);
	json_decref(g.amr);

	assert_int_equal(eid_grant_revoke(ts->store, "bad", NOW), EID_EINVAL);
	assert_int_equal(eid_grant_check_active(ts->store, "bad"),
			 EID_ENOTFOUND);
	assert_int_equal(eid_grant_check_active(ts->store, NULL),
			 EID_ENOTFOUND);
	assert_int_equal(eid_grant_get_active(ts->store, "bad", &got),
			 EID_ENOTFOUND);
}

static void test_revoke_by_subject(void **state)
{
	struct tmpstore *ts = *state;
	char a[EID_GRANT_ID_LEN + 1], b[EID_GRANT_ID_LEN + 1];
	char c[EID_GRANT_ID_LEN + 1], d[EID_GRANT_ID_LEN + 1];
	uint64_t n = 0;

	create(ts->store, PID, NULL, a);
	create(ts->store, PID, NULL, b);
	create(ts->store, PID, NULL, c);
	/* A subject whose id extends the first one's is someone else. */
	create(ts->store, PID "9", NULL, d);
	assert_int_equal(eid_grant_revoke(ts->store, c, NOW), EID_OK);
	assert_int_equal(eid_grant_revoke_by_subject(ts->store, PID, NOW, &n),
			 EID_OK);
	assert_int_equal(n, 2);
	assert_int_equal(eid_grant_check_active(ts->store, a), EID_EPERM);
	assert_int_equal(eid_grant_check_active(ts->store, b), EID_EPERM);
	assert_int_equal(eid_grant_check_active(ts->store, c), EID_EPERM);
	assert_int_equal(eid_grant_check_active(ts->store, d), EID_OK);
	assert_int_equal(eid_grant_revoke_by_subject(ts->store, PID, NOW, &n),
			 EID_OK);
	assert_int_equal(n, 0);
	assert_int_equal(eid_grant_revoke_by_subject(ts->store, "nobody", NOW,
						     NULL), EID_OK);
	assert_int_equal(eid_grant_revoke_by_subject(ts->store, "", NOW, NULL),
			 EID_EINVAL);
}

/* Only the grants issued through one browser session. */
static void test_revoke_by_sid(void **state)
{
	struct tmpstore *ts = *state;
	char a[EID_GRANT_ID_LEN + 1], b[EID_GRANT_ID_LEN + 1];
	char c[EID_GRANT_ID_LEN + 1], d[EID_GRANT_ID_LEN + 1];
	struct eid_grant g;
	uint64_t n = 0;

	sample(&g, PID);
	g.sid = "sid-other";
	assert_int_equal(eid_grant_create(ts->store, &g, NOW, a), EID_OK);
	assert_int_equal(eid_grant_create(ts->store, &g, NOW, b), EID_OK);
	g.sid = "sid-kept";
	assert_int_equal(eid_grant_create(ts->store, &g, NOW, c), EID_OK);
	json_decref(g.amr);
	create(ts->store, PID, NULL, d); /* no browser session */
	assert_int_equal(eid_grant_revoke_by_sid(ts->store, PID, "sid-other",
						 NOW, &n), EID_OK);
	assert_int_equal(n, 2);
	assert_int_equal(eid_grant_check_active(ts->store, a), EID_EPERM);
	assert_int_equal(eid_grant_check_active(ts->store, b), EID_EPERM);
	assert_int_equal(eid_grant_check_active(ts->store, c), EID_OK);
	assert_int_equal(eid_grant_check_active(ts->store, d), EID_OK);
	/* Another subject's session of the same name is not touched. */
	assert_int_equal(eid_grant_revoke_by_sid(ts->store, PID "9", "sid-kept",
						 NOW, &n), EID_OK);
	assert_int_equal(n, 0);
	assert_int_equal(eid_grant_check_active(ts->store, c), EID_OK);
	assert_int_equal(eid_grant_revoke_by_sid(ts->store, PID, NULL, NOW, &n),
			 EID_EINVAL);
}

static void test_refresh_rotation(void **state)
{
	struct tmpstore *ts = *state;
	char gid[EID_GRANT_ID_LEN + 1];
	char t1[EID_REFRESH_TOKEN_LEN + 1], t2[EID_REFRESH_TOKEN_LEN + 1];
	char t3[EID_REFRESH_TOKEN_LEN + 1];
	struct eid_grant got = { 0 };

	create_with_refresh(ts->store, NULL, gid, t1);
	assert_int_equal(strlen(t1), EID_REFRESH_TOKEN_LEN);
	assert_memory_equal(t1, EID_REFRESH_PREFIX, 6);
	assert_int_equal(eid_refresh_issue(ts->store, gid, NOW, RT_TTL, t2),
			 EID_ESTATE);
	assert_int_equal(eid_refresh_rotate(ts->store, t1, CLIENT, NULL,
					    NOW + 10, &got, t2), EID_OK);
	assert_string_not_equal(t1, t2);
	assert_string_equal(got.id, gid);
	assert_string_equal(got.personal_id, PID);
	eid_grant_clear(&got);
	assert_int_equal(eid_refresh_rotate(ts->store, t2, CLIENT, NULL,
					    NOW + 20, &got, t3), EID_OK);
	eid_grant_clear(&got);
	assert_int_equal(eid_grant_check_active(ts->store, gid), EID_OK);
}

static void test_refresh_reuse_revokes(void **state)
{
	struct tmpstore *ts = *state;
	char gid[EID_GRANT_ID_LEN + 1];
	char t1[EID_REFRESH_TOKEN_LEN + 1], t2[EID_REFRESH_TOKEN_LEN + 1];
	char t3[EID_REFRESH_TOKEN_LEN + 1];
	struct eid_grant got = { 0 };

	create_with_refresh(ts->store, NULL, gid, t1);
	assert_int_equal(eid_refresh_rotate(ts->store, t1, CLIENT, NULL, NOW,
					    &got, t2), EID_OK);
	eid_grant_clear(&got);
	/* The thief (or the client) presents the rotated token again. */
	assert_int_equal(eid_refresh_rotate(ts->store, t1, CLIENT, NULL, NOW,
					    &got, t3), EID_EREPLAY);
	assert_null(got.client_id);
	assert_int_equal(eid_grant_check_active(ts->store, gid), EID_EPERM);
	/* The newest token of the family is dead too. */
	assert_int_equal(eid_refresh_rotate(ts->store, t2, CLIENT, NULL, NOW,
					    &got, t3), EID_EPERM);
	assert_int_equal(eid_refresh_rotate(ts->store, t1, CLIENT, NULL, NOW,
					    &got, t3), EID_EPERM);
}

static void test_refresh_refusals(void **state)
{
	struct tmpstore *ts = *state;
	char gid[EID_GRANT_ID_LEN + 1], bound[EID_GRANT_ID_LEN + 1];
	char t1[EID_REFRESH_TOKEN_LEN + 1], t2[EID_REFRESH_TOKEN_LEN + 1];
	char bad[EID_REFRESH_TOKEN_LEN + 1];
	struct eid_grant got = { 0 };

	create_with_refresh(ts->store, NULL, gid, t1);
	assert_int_equal(eid_refresh_rotate(ts->store, t1, "rp-two", NULL, NOW,
					    &got, t2), EID_EMISMATCH);
	assert_int_equal(eid_refresh_rotate(ts->store, t1, NULL, NULL, NOW,
					    &got, t2), EID_EMISMATCH);
	assert_int_equal(eid_refresh_rotate(ts->store, t1, CLIENT, NULL,
					    NOW + RT_TTL, &got, t2),
			 EID_EEXPIRED);
	/* None of those used it up. */
	assert_int_equal(eid_refresh_rotate(ts->store, t1, CLIENT, NULL,
					    NOW + RT_TTL - 1, &got, t2),
			 EID_OK);
	eid_grant_clear(&got);
	/* The new one lives RT_TTL from its own issue. */
	assert_int_equal(eid_refresh_rotate(ts->store, t2, CLIENT, NULL,
					    NOW + 2 * RT_TTL - 2, &got, t1),
			 EID_OK);
	eid_grant_clear(&got);

	memcpy(bad, t1, sizeof(bad));
	bad[10] = bad[10] == 'A' ? 'B' : 'A';
	assert_int_equal(eid_refresh_rotate(ts->store, bad, CLIENT, NULL, NOW,
					    &got, t2), EID_ENOTFOUND);
	bad[10] = '+';
	assert_int_equal(eid_refresh_rotate(ts->store, bad, CLIENT, NULL, NOW,
					    &got, t2), EID_EMALFORMED);
	assert_int_equal(eid_refresh_rotate(ts->store, "eidrt.x", CLIENT, NULL,
					    NOW, &got, t2), EID_EMALFORMED);
	assert_int_equal(eid_refresh_rotate(ts->store, t1 + 6, CLIENT, NULL,
					    NOW, &got, t2), EID_EMALFORMED);
	assert_int_equal(eid_refresh_rotate(ts->store, NULL, CLIENT, NULL, NOW,
					    &got, t2), EID_EMALFORMED);

	/* DPoP-bound grant: the proof's key must match. */
	create_with_refresh(ts->store, JKT, bound, t1);
	assert_int_equal(eid_refresh_rotate(ts->store, t1, CLIENT, NULL, NOW,
					    &got, t2), EID_EMISMATCH);
	assert_int_equal(eid_refresh_rotate(ts->store, t1, CLIENT,
					    "1ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I",
					    NOW, &got, t2), EID_EMISMATCH);
	assert_int_equal(eid_refresh_rotate(ts->store, t1, CLIENT, JKT, NOW,
					    &got, t2), EID_OK);
	assert_string_equal(got.dpop_jkt, JKT);
	eid_grant_clear(&got);

	/* Issue on a revoked or unknown grant. */
	assert_int_equal(eid_grant_revoke(ts->store, gid, NOW), EID_OK);
	assert_int_equal(eid_refresh_issue(ts->store, gid, NOW, RT_TTL, t1),
			 EID_EPERM);
	assert_int_equal(eid_grant_new_id(gid), EID_OK);
	assert_int_equal(eid_refresh_issue(ts->store, gid, NOW, RT_TTL, t1),
			 EID_ENOTFOUND);
}

static void test_refresh_revoke(void **state)
{
	struct tmpstore *ts = *state;
	char gid[EID_GRANT_ID_LEN + 1];
	char t1[EID_REFRESH_TOKEN_LEN + 1], t2[EID_REFRESH_TOKEN_LEN + 1];
	struct eid_grant got = { 0 };

	create_with_refresh(ts->store, NULL, gid, t1);
	assert_int_equal(eid_refresh_revoke(ts->store, t1, "rp-two", NOW),
			 EID_EMISMATCH);
	assert_int_equal(eid_grant_check_active(ts->store, gid), EID_OK);
	assert_int_equal(eid_refresh_revoke(ts->store, t1, CLIENT, NOW),
			 EID_OK);
	assert_int_equal(eid_grant_check_active(ts->store, gid), EID_EPERM);
	assert_int_equal(eid_refresh_revoke(ts->store, t1, CLIENT, NOW),
			 EID_OK);
	assert_int_equal(eid_refresh_rotate(ts->store, t1, CLIENT, NULL, NOW,
					    &got, t2), EID_EPERM);
	assert_int_equal(eid_refresh_revoke(ts->store, "eidrt.", CLIENT, NOW),
			 EID_EMALFORMED);
}

static void test_json_round_trip(void **state)
{
	struct eid_grant g, back = { 0 };
	json_t *j = NULL;

	sample(&g, PID);
	g.sid = "s1";
	g.dpop_jkt = JKT;
	g.claims = json_pack("{s:{}}", "id_token");
	assert_int_equal(eid_grant_new_id(g.id), EID_OK);
	assert_int_equal(eid_grant_to_json(&g, &j), EID_OK);
	assert_int_equal(eid_grant_from_json(j, &back), EID_OK);
	assert_string_equal(back.sid, "s1");
	assert_string_equal(back.dpop_jkt, JKT);
	assert_true(json_equal(back.claims, g.claims));
	eid_grant_clear(&back);
	json_object_set_new(j, "scope", json_integer(1));
	assert_int_equal(eid_grant_from_json(j, &back), EID_EMALFORMED);
	json_object_del(j, "id");
	assert_int_equal(eid_grant_from_json(j, &back), EID_EMALFORMED);
	assert_null(back.client_id);
	json_decref(j);
	json_decref(g.amr);
	json_decref(g.claims);
}

/* An ID token's sub leads back to the citizen, for its client only. */
static void test_subject_find(void **state)
{
	struct tmpstore *ts = *state;
	char gid[EID_GRANT_ID_LEN + 1], pid[13];
	struct eid_grant g;

	sample(&g, PID);
	strcpy(g.sub, "subjectOfTheCitizen");
	assert_int_equal(eid_grant_create(ts->store, &g, NOW, gid), EID_OK);
	json_decref(g.amr);
	assert_int_equal(eid_grant_subject_find(ts->store, CLIENT,
						"subjectOfTheCitizen", pid),
			 EID_OK);
	assert_string_equal(pid, PID);
	assert_int_equal(eid_grant_subject_find(ts->store, "other",
						"subjectOfTheCitizen", pid),
			 EID_ENOTFOUND);
	assert_int_equal(eid_grant_subject_find(ts->store, CLIENT, "nobody",
						pid),
			 EID_ENOTFOUND);
	assert_int_equal(eid_grant_subject_find(ts->store, CLIENT, "", pid),
			 EID_ENOTFOUND);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, tmpstore_setup, tmpstore_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_create_get),
		T(test_create_refuses),
		T(test_revoke),
		T(test_revoke_by_subject),
		T(test_revoke_by_sid),
		T(test_refresh_rotation),
		T(test_refresh_reuse_revokes),
		T(test_refresh_refusals),
		T(test_refresh_revoke),
		T(test_subject_find),
		cmocka_unit_test(test_json_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
