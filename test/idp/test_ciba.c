/* CIBA: request checks, the state machine, single use, expiry, slow_down. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/ciba.h"
#include "tmpstore.h"

#define PID "001090000001"
#define PID2 "001090000002"

static struct eid_client client(void)
{
	struct eid_client c = { 0 };

	strcpy(c.client_id, "bank");
	strcpy(c.name, "Bank");
	c.grant_types = EID_GRANT_CIBA;
	c.auth_method = EID_AUTH_CLIENT_SECRET_BASIC;
	c.scopes = EID_SCOPE_OPENID | EID_SCOPE_PROFILE;
	return c;
}

static const char *refusal(const struct eid_ciba_params *p)
{
	struct eid_client c = client();
	struct eid_ciba_request q;
	struct eid_oauth_error err = { 0 };
	uint64_t ttl;
	int r = eid_ciba_request_check(&c, p, &q, &ttl, &err);

	if (r == EID_OK)
		return NULL;
	assert_int_equal(r, EID_EINVAL);
	assert_non_null(err.error);
	return err.error;
}

static void test_request_check(void **state)
{
	struct eid_ciba_params p = { .scope = "openid profile",
				     .login_hint = PID };
	struct eid_client c = client();
	struct eid_ciba_request q;
	struct eid_oauth_error err = { 0 };
	char long_msg[200];
	uint64_t ttl = 0;

	(void)state;
	p.binding_message = "Quầy 3: mã 7F2K";
	p.acr_values = "urn:eid:loa:2 urn:eid:loa:1";
	p.requested_expiry = "120";
	assert_int_equal(eid_ciba_request_check(&c, &p, &q, &ttl, &err),
			 EID_OK);
	assert_string_equal(q.personal_id, PID);
	assert_string_equal(q.scope, "openid profile");
	assert_string_equal(q.binding_message, "Quầy 3: mã 7F2K");
	assert_int_equal(q.acr_level, 1);
	assert_int_equal(ttl, 120);
	p.requested_expiry = "999999";
	assert_null(refusal(&p));
	assert_int_equal(eid_ciba_request_check(&c, &p, &q, &ttl, &err),
			 EID_OK);
	assert_int_equal(ttl, EID_CIBA_TTL_MAX);

	p = (struct eid_ciba_params){ .scope = "openid", .login_hint = PID };
	assert_null(refusal(&p));
	p.requested_expiry = "0";
	assert_string_equal(refusal(&p), "invalid_request");
	p.requested_expiry = "12a";
	assert_string_equal(refusal(&p), "invalid_request");
	p.requested_expiry = NULL;
	p.scope = NULL;
	assert_string_equal(refusal(&p), "invalid_request");
	p.scope = "profile";
	assert_string_equal(refusal(&p), "invalid_scope");
	p.scope = "openid email"; /* not the client's */
	assert_string_equal(refusal(&p), "invalid_scope");
	p.scope = "openid";
	p.login_hint = NULL;
	assert_string_equal(refusal(&p), "invalid_request");
	p.login_hint = PID;
	p.id_token_hint = "x.y.z";
	assert_string_equal(refusal(&p), "invalid_request"); /* two hints */
	p.login_hint = NULL;
	assert_null(refusal(&p));
	p.id_token_hint = NULL;
	p.login_hint_token = "x.y.z";
	assert_string_equal(refusal(&p), "invalid_request");
	p.login_hint_token = NULL;
	p.login_hint = "12345";
	assert_string_equal(refusal(&p), "unknown_user_id");
	p.login_hint = PID;
	p.acr_values = "urn:eid:loa:3";
	assert_string_equal(refusal(&p), "invalid_request");
	p.acr_values = "urn:eid:loa:1 ";
	assert_string_equal(refusal(&p), "invalid_request");
	p.acr_values = NULL;
	p.binding_message = "line\nbreak";
	assert_string_equal(refusal(&p), "invalid_binding_message");
	p.binding_message = "\xc3\x28"; /* bad UTF-8 */
	assert_string_equal(refusal(&p), "invalid_binding_message");
	p.binding_message = "";
	assert_string_equal(refusal(&p), "invalid_binding_message");
	memset(long_msg, 'a', 65);
	long_msg[65] = '\0';
	p.binding_message = long_msg;
	assert_string_equal(refusal(&p), "invalid_binding_message");
	long_msg[64] = '\0';
	assert_null(refusal(&p));
	p.binding_message = NULL;

	c.grant_types = EID_GRANT_AUTHORIZATION_CODE;
	assert_int_equal(eid_ciba_request_check(&c, &p, &q, &ttl, &err),
			 EID_EINVAL);
	assert_string_equal(err.error, "unauthorized_client");
}

static struct eid_client ping_client(void)
{
	struct eid_client c = client();

	c.ciba_delivery = EID_CIBA_DELIVERY_PING;
	return c;
}

/* client_notification_token: required in ping mode, a bounded RFC 6750
 * b64token, ignored in poll mode. */
static void test_notify_token(void **state)
{
	struct eid_ciba_params p = { .scope = "openid", .login_hint = PID };
	struct eid_client c = ping_client(), poll = client();
	struct eid_ciba_request q;
	struct eid_oauth_error err = { 0 };
	char tok[EID_CIBA_NOTIFY_TOKEN_MAX + 2];
	uint64_t ttl = 0;
	static const char *const bad[] = {
		"", "a b", "tok\r\nX-Evil: 1", "=abc", "ab=c", "a,b", "ä",
		"a\"b", NULL,
	};

	(void)state;
	assert_int_equal(eid_ciba_request_check(&c, &p, &q, &ttl, &err),
			 EID_EINVAL);
	assert_string_equal(err.error, "invalid_request");
	assert_string_equal(err.description, "client_notification_token is "
			    "required in ping mode");
	for (size_t i = 0; bad[i] != NULL; i++) {
		p.client_notification_token = bad[i];
		err = (struct eid_oauth_error){ 0 };
		if (eid_ciba_request_check(&c, &p, &q, &ttl, &err) !=
		    EID_EINVAL)
			fail_msg("accepted '%s'", bad[i]);
		assert_string_equal(err.error, "invalid_request");
	}
	p.client_notification_token = "8d67dc78-7faa-4d41-aabd-67707b374255";
	assert_int_equal(eid_ciba_request_check(&c, &p, &q, &ttl, &err),
			 EID_OK);
	assert_string_equal(q.notify_token, p.client_notification_token);
	p.client_notification_token = "aZ09-._~+/==";
	assert_int_equal(eid_ciba_request_check(&c, &p, &q, &ttl, &err),
			 EID_OK);
	/* 1024 characters are the most (CIBA 7.1). */
	memset(tok, 'x', EID_CIBA_NOTIFY_TOKEN_MAX);
	tok[EID_CIBA_NOTIFY_TOKEN_MAX] = '\0';
	p.client_notification_token = tok;
	assert_int_equal(eid_ciba_request_check(&c, &p, &q, &ttl, &err),
			 EID_OK);
	assert_int_equal(strlen(q.notify_token), EID_CIBA_NOTIFY_TOKEN_MAX);
	tok[EID_CIBA_NOTIFY_TOKEN_MAX] = 'x';
	tok[EID_CIBA_NOTIFY_TOKEN_MAX + 1] = '\0';
	assert_int_equal(eid_ciba_request_check(&c, &p, &q, &ttl, &err),
			 EID_EINVAL);
	/* A poll-mode client's token is not kept (it would not be used). */
	p.client_notification_token = "a b";
	assert_int_equal(eid_ciba_request_check(&poll, &p, &q, &ttl, &err),
			 EID_OK);
	assert_string_equal(q.notify_token, "");
}

static struct eid_device device(const char *pid, int level)
{
	struct eid_device d = { .active = true, .level = level };

	strcpy(d.id, pid[11] == '1' ? "dev1dev1dev1dev1dev1d1" :
				      "dev2dev2dev2dev2dev2d2");
	strcpy(d.personal_id, pid);
	return d;
}

static void create(eid_store *s, const char *pid, uint64_t ttl,
		   struct eid_ciba_request *q,
		   char areq[EID_CIBA_AUTH_REQ_ID_LEN + 1])
{
	struct eid_client c = client();
	struct eid_ciba_params p = { .scope = "openid", .login_hint = pid,
				     .binding_message = "hello" };
	struct eid_oauth_error err = { 0 };
	uint64_t t;

	assert_int_equal(eid_ciba_request_check(&c, &p, q, &t, &err), EID_OK);
	assert_int_equal(eid_ciba_create(s, q, (uint64_t)tmpstore_clock_now,
					 ttl, areq),
			 EID_OK);
	assert_int_equal(strlen(areq), EID_CIBA_AUTH_REQ_ID_LEN);
	assert_int_equal(strlen(q->id), EID_CIBA_ID_LEN);
}

static enum eid_ciba_poll poll_at(eid_store *s, const char *areq,
				  const char *cid, int64_t at,
				  struct eid_ciba_request *ret)
{
	enum eid_ciba_poll st;

	tmpstore_clock_now = at;
	assert_int_equal(eid_ciba_poll(s, areq, cid, (uint64_t)at, &st, ret),
			 EID_OK);
	return st;
}

static void test_approve_once(void **state)
{
	struct tmpstore_pol *f = *state;
	eid_store *s = f->ts.store;
	struct eid_ciba_request q, got, list[EID_CIBA_LIST_MAX];
	struct eid_device d1 = device(PID, 2), d2 = device(PID2, 1);
	char areq[EID_CIBA_AUTH_REQ_ID_LEN + 1];
	int64_t t = TMPSTORE_NOW;
	size_t n = 0;

	create(s, PID, EID_CIBA_TTL, &q, areq);
	/* the citizen's device sees it, another citizen's does not */
	assert_int_equal(eid_ciba_list(s, PID, list, &n), EID_OK);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].id, q.id);
	assert_string_equal(list[0].binding_message, "hello");
	assert_int_equal(eid_ciba_list(s, PID2, list, &n), EID_OK);
	assert_int_equal(n, 0);
	assert_int_equal(eid_ciba_get(s, q.id, PID2, &got), EID_ENOTFOUND);
	assert_int_equal(eid_ciba_decide(s, q.id, &d2, true, (uint64_t)t),
			 EID_ENOTFOUND);

	assert_int_equal(poll_at(s, areq, "bank", t, &got),
			 EID_CIBA_POLL_PENDING);
	assert_int_equal(poll_at(s, areq, "other", t + 10, &got),
			 EID_CIBA_POLL_INVALID);
	assert_int_equal(poll_at(s, "nope", "bank", t + 10, &got),
			 EID_CIBA_POLL_INVALID);

	assert_int_equal(eid_ciba_decide(s, q.id, &d1, true, (uint64_t)t + 12),
			 EID_OK);
	assert_int_equal(eid_ciba_decide(s, q.id, &d1, false, (uint64_t)t + 12),
			 EID_ESTATE);
	assert_int_equal(eid_ciba_list(s, PID, list, &n), EID_OK);
	assert_int_equal(n, 0); /* decided: no longer pending */

	memset(&got, 0, sizeof(got));
	assert_int_equal(poll_at(s, areq, "bank", t + 20, &got),
			 EID_CIBA_POLL_APPROVED);
	assert_string_equal(got.personal_id, PID);
	assert_string_equal(got.device_id, d1.id);
	assert_string_equal(got.client_id, "bank");
	assert_int_equal(got.level, 2);
	assert_int_equal(got.decided_at, (uint64_t)t + 12);
	/* single use */
	assert_int_equal(poll_at(s, areq, "bank", t + 30, &got),
			 EID_CIBA_POLL_INVALID);
	assert_int_equal(eid_ciba_get(s, q.id, PID, &got), EID_ENOTFOUND);
}

static void test_deny_and_expiry(void **state)
{
	struct tmpstore_pol *f = *state;
	eid_store *s = f->ts.store;
	struct eid_ciba_request q, got;
	struct eid_device d1 = device(PID, 1);
	char areq[EID_CIBA_AUTH_REQ_ID_LEN + 1];
	int64_t t = TMPSTORE_NOW;

	create(s, PID, EID_CIBA_TTL, &q, areq);
	assert_int_equal(eid_ciba_decide(s, q.id, &d1, false, (uint64_t)t),
			 EID_OK);
	assert_int_equal(eid_ciba_get(s, q.id, PID, &got), EID_OK);
	assert_int_equal(got.status, EID_CIBA_DENIED);
	assert_int_equal(poll_at(s, areq, "bank", t + 5, &got),
			 EID_CIBA_POLL_DENIED);
	assert_int_equal(poll_at(s, areq, "bank", t + 10, &got),
			 EID_CIBA_POLL_INVALID);

	/* expiry: expired_token for a while, then unknown */
	tmpstore_clock_now = t;
	create(s, PID, 60, &q, areq);
	assert_int_equal(poll_at(s, areq, "bank", t + 59, &got),
			 EID_CIBA_POLL_PENDING);
	assert_int_equal(poll_at(s, areq, "bank", t + 60, &got),
			 EID_CIBA_POLL_EXPIRED);
	assert_int_equal(eid_ciba_decide(s, q.id, &d1, true, (uint64_t)t + 61),
			 EID_ENOTFOUND);
	assert_int_equal(poll_at(s, areq, "bank", t + 60 + EID_CIBA_GRACE + 1,
				 &got),
			 EID_CIBA_POLL_INVALID);
}

/* Ping mode: the decision's ping carries the RP's auth_req_id and its
 * token, once; a poll-mode request has none. */
static void test_ping_take(void **state)
{
	struct tmpstore_pol *f = *state;
	eid_store *s = f->ts.store;
	struct eid_client c = ping_client();
	struct eid_ciba_params p = { .scope = "openid", .login_hint = PID,
				     .client_notification_token = "n0tify" };
	struct eid_ciba_request q, got;
	struct eid_oauth_error err = { 0 };
	struct eid_device d1 = device(PID, 1);
	char areq[EID_CIBA_AUTH_REQ_ID_LEN + 1], pareq[sizeof(areq)];
	char tok[EID_CIBA_NOTIFY_TOKEN_MAX + 1];
	int64_t t = TMPSTORE_NOW;
	uint64_t ttl;

	assert_int_equal(eid_ciba_request_check(&c, &p, &q, &ttl, &err),
			 EID_OK);
	assert_int_equal(eid_ciba_create(s, &q, (uint64_t)t, ttl, areq),
			 EID_OK);
	/* The app's view of the request does not hold the token. */
	assert_int_equal(eid_ciba_get(s, q.id, PID, &got), EID_OK);
	assert_string_equal(got.notify_token, "");
	assert_int_equal(eid_ciba_decide(s, q.id, &d1, false, (uint64_t)t),
			 EID_OK);
	assert_int_equal(eid_ciba_ping_take(s, q.id, pareq, tok), EID_OK);
	assert_string_equal(pareq, areq);
	assert_string_equal(tok, "n0tify");
	assert_int_equal(eid_ciba_ping_take(s, q.id, pareq, tok),
			 EID_ENOTFOUND);
	/* The ping does not take the result: the client polls for it. */
	assert_int_equal(poll_at(s, areq, "bank", t + 1, &got),
			 EID_CIBA_POLL_DENIED);

	create(s, PID, EID_CIBA_TTL, &q, areq); /* poll mode */
	assert_int_equal(eid_ciba_decide(s, q.id, &d1, true, (uint64_t)t),
			 EID_OK);
	assert_int_equal(eid_ciba_ping_take(s, q.id, pareq, tok),
			 EID_ENOTFOUND);
	assert_int_equal(eid_ciba_ping_take(s, "bad id", pareq, tok),
			 EID_ENOTFOUND);
}

static void test_slow_down(void **state)
{
	struct tmpstore_pol *f = *state;
	eid_store *s = f->ts.store;
	struct eid_ciba_request q, got;
	char areq[EID_CIBA_AUTH_REQ_ID_LEN + 1];
	int64_t t = TMPSTORE_NOW;

	create(s, PID, EID_CIBA_TTL, &q, areq);
	assert_int_equal(poll_at(s, areq, "bank", t, &got),
			 EID_CIBA_POLL_PENDING);
	assert_int_equal(poll_at(s, areq, "bank", t + 1, &got),
			 EID_CIBA_POLL_SLOW_DOWN);
	/* the interval grew to 10 s from the last poll */
	assert_int_equal(poll_at(s, areq, "bank", t + 1 + 9, &got),
			 EID_CIBA_POLL_SLOW_DOWN);
	assert_int_equal(poll_at(s, areq, "bank", t + 10 + 15, &got),
			 EID_CIBA_POLL_PENDING);
	assert_int_equal(poll_at(s, areq, "bank", t + 25 + 15, &got),
			 EID_CIBA_POLL_PENDING);
}

/* Every pending request must fit the phone's list: no more are made. */
static void test_pending_cap(void **state)
{
	struct tmpstore_pol *f = *state;
	eid_store *s = f->ts.store;
	struct eid_ciba_request q, list[EID_CIBA_LIST_MAX];
	struct eid_device d1 = device(PID, 1);
	char areq[EID_CIBA_AUTH_REQ_ID_LEN + 1];
	size_t n = 0;

	for (int i = 0; i < EID_CIBA_LIST_MAX; i++)
		create(s, PID, EID_CIBA_TTL, &q, areq);
	assert_int_equal(eid_ciba_create(s, &q, (uint64_t)tmpstore_clock_now,
					 EID_CIBA_TTL, areq),
			 EID_ELIMIT);
	assert_int_equal(eid_ciba_list(s, PID, list, &n), EID_OK);
	assert_int_equal(n, EID_CIBA_LIST_MAX);
	/* a decided one makes room; another citizen is not affected */
	assert_int_equal(eid_ciba_decide(s, list[0].id, &d1, false,
					 (uint64_t)tmpstore_clock_now),
			 EID_OK);
	create(s, PID, EID_CIBA_TTL, &q, areq);
	create(s, PID2, EID_CIBA_TTL, &q, areq);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_check),
		cmocka_unit_test(test_notify_token),
		cmocka_unit_test_setup_teardown(test_ping_take,
						tmpstore_pol_setup,
						tmpstore_pol_teardown),
		cmocka_unit_test_setup_teardown(test_approve_once,
						tmpstore_pol_setup,
						tmpstore_pol_teardown),
		cmocka_unit_test_setup_teardown(test_deny_and_expiry,
						tmpstore_pol_setup,
						tmpstore_pol_teardown),
		cmocka_unit_test_setup_teardown(test_pending_cap,
						tmpstore_pol_setup,
						tmpstore_pol_teardown),
		cmocka_unit_test_setup_teardown(test_slow_down,
						tmpstore_pol_setup,
						tmpstore_pol_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
