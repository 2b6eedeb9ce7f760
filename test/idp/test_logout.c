#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <microhttpd.h>

#include "crypto/error.h"
#include "idp/audit.h"
#include "idp/logout.h"
#include "tmpstore.h"

#define ISS "https://idp.example"
#define T0 ((uint64_t)TMPSTORE_NOW)

/* ---- the token ---- */

struct fx {
	struct tmpstore ts;
	eid_signer *sg;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t kek[32];

	assert_non_null(f);
	tmpstore_open(&f->ts, tmpstore_fixed_clock);
	memset(kek, 0x22, sizeof(kek));
	assert_int_equal(eid_signing_ensure(f->ts.store, kek, EID_ALG_ES256,
					    T0, NULL), EID_OK);
	assert_int_equal(eid_signer_open(f->ts.store, kek, 3600, &f->sg),
			 EID_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	eid_signer_close(f->sg);
	tmpstore_close(&f->ts);
	free(f);
	return 0;
}

static void test_token_claims(void **state)
{
	struct fx *f = *state;
	json_t *h = NULL, *c = NULL, *events;
	char *jwt = NULL, *jwt2 = NULL;

	assert_int_equal(eid_logout_token_issue(f->sg, ISS, "rp", "sub-1",
						"sid-1", T0, &jwt), EID_OK);
	assert_int_equal(eid_signer_verify(f->sg, jwt, strlen(jwt), &h, &c),
			 EID_OK);
	assert_string_equal(json_string_value(json_object_get(h, "typ")),
			    "logout+jwt");
	assert_string_equal(json_string_value(json_object_get(c, "iss")), ISS);
	assert_string_equal(json_string_value(json_object_get(c, "aud")), "rp");
	assert_string_equal(json_string_value(json_object_get(c, "sub")), "sub-1");
	assert_string_equal(json_string_value(json_object_get(c, "sid")), "sid-1");
	assert_int_equal(json_integer_value(json_object_get(c, "iat")), T0);
	assert_int_equal(json_integer_value(json_object_get(c, "exp")),
			 T0 + EID_LOGOUT_TOKEN_TTL);
	assert_true(json_string_length(json_object_get(c, "jti")) >= 16);
	/* OIDC Back-Channel Logout 2.4: events, and never a nonce. */
	events = json_object_get(c, "events");
	assert_int_equal(json_object_size(events), 1);
	assert_true(json_is_object(json_object_get(events, EID_LOGOUT_EVENT)));
	assert_int_equal(json_object_size(json_object_get(events,
							  EID_LOGOUT_EVENT)), 0);
	assert_null(json_object_get(c, "nonce"));
	json_decref(h);
	json_decref(c);

	/* Each token has its own jti. */
	assert_int_equal(eid_logout_token_issue(f->sg, ISS, "rp", "sub-1", NULL,
						T0, &jwt2), EID_OK);
	assert_string_not_equal(jwt, jwt2);
	free(jwt);
	free(jwt2);
	assert_int_equal(eid_logout_token_issue(f->sg, ISS, "rp", NULL, NULL,
						T0, &jwt), EID_EINVAL);
	assert_int_equal(eid_logout_token_issue(f->sg, NULL, "rp", "s", NULL,
						T0, &jwt), EID_EINVAL);
}

/* ---- the worker, against a loopback RP ---- */

struct rp {
	struct MHD_Daemon *d;
	char base[64];
	atomic_int hits;
	atomic_int fail_first; /* answer 500 to this many requests */
	char body[512];
	char auth[128];  /* the Authorization header of the last request */
	char ctype[64];  /* its Content-Type */
	pthread_mutex_t mu;
};

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	static int started;
	struct rp *rp = cls;
	struct MHD_Response *resp;
	enum MHD_Result r;
	unsigned status = 200;

	(void)url;
	(void)method;
	(void)version;
	if (*con_cls == NULL) {
		*con_cls = &started;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		const char *a = MHD_lookup_connection_value(
			conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
		const char *ct = MHD_lookup_connection_value(
			conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);

		pthread_mutex_lock(&rp->mu);
		snprintf(rp->auth, sizeof(rp->auth), "%s", a ? a : "");
		snprintf(rp->ctype, sizeof(rp->ctype), "%s", ct ? ct : "");
		snprintf(rp->body, sizeof(rp->body), "%.*s", (int)*upload_size,
			 upload);
		pthread_mutex_unlock(&rp->mu);
		*upload_size = 0;
		return MHD_YES;
	}
	atomic_fetch_add(&rp->hits, 1);
	if (atomic_fetch_sub(&rp->fail_first, 1) > 0)
		status = 500;
	resp = MHD_create_response_from_buffer(0, (void *)"",
					       MHD_RESPMEM_PERSISTENT);
	r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static int rp_setup(void **state)
{
	struct rp *rp = calloc(1, sizeof(*rp));
	const union MHD_DaemonInfo *info;

	assert_non_null(rp);
	pthread_mutex_init(&rp->mu, NULL);
	rp->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
				 handle, rp, MHD_OPTION_END);
	assert_non_null(rp->d);
	info = MHD_get_daemon_info(rp->d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(rp->base, sizeof(rp->base), "http://127.0.0.1:%u/bcl",
		 (unsigned)info->port);
	*state = rp;
	return 0;
}

static int rp_teardown(void **state)
{
	struct rp *rp = *state;

	MHD_stop_daemon(rp->d);
	pthread_mutex_destroy(&rp->mu);
	free(rp);
	return 0;
}

/* Wait until the worker has finished n deliveries either way. */
static void wait_done(eid_bcl *q, uint64_t n, struct eid_bcl_stats *ret)
{
	for (int i = 0; i < 500; i++) {
		eid_bcl_get_stats(q, ret);
		if (ret->delivered + ret->failed >= n)
			return;
		usleep(10 * 1000);
	}
	fail_msg("deliveries did not finish");
}

static const struct eid_bcl_options fast = {
	.attempts = 3, .connect_ms = 500, .timeout_ms = 1000, .backoff_ms = 10,
};

static void test_delivery_with_retries(void **state)
{
	struct rp *rp = *state;
	struct eid_bcl_stats st;
	eid_bcl *q = NULL;

	atomic_store(&rp->fail_first, 2);
	assert_int_equal(eid_bcl_start(&fast, &q), EID_OK);
	assert_int_equal(eid_bcl_enqueue(q, rp->base, "a.b+c"), EID_OK);
	wait_done(q, 1, &st);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(st.failed, 0);
	assert_int_equal(atomic_load(&rp->hits), 3);
	pthread_mutex_lock(&rp->mu);
	assert_string_equal(rp->body, "logout_token=a.b%2Bc");
	pthread_mutex_unlock(&rp->mu);

	/* Always failing: given up after the attempts. */
	atomic_store(&rp->hits, 0);
	atomic_store(&rp->fail_first, 100);
	assert_int_equal(eid_bcl_enqueue(q, rp->base, "t"), EID_OK);
	wait_done(q, 2, &st);
	assert_int_equal(st.failed, 1);
	assert_int_equal(atomic_load(&rp->hits), 3);
	eid_bcl_stop(q);
}

static uint64_t audit_count(eid_store *s)
{
	uint8_t hash[EID_AUDIT_HASH_LEN];
	uint64_t seq = 0;
	eid_txn *t = NULL;

	assert_int_equal(eid_store_begin(s, false, &t), EID_OK);
	assert_int_equal(eid_audit_head(t, &seq, hash), EID_OK);
	eid_txn_abort(t);
	return seq;
}

/* The last audit entry is a failed ping to uri for bank. */
static void assert_last_audit(eid_store *s, const char *type,
			      const char *uri)
{
	json_t *e = NULL;
	eid_txn *t = NULL;

	assert_int_equal(eid_store_begin(s, false, &t), EID_OK);
	assert_int_equal(eid_audit_get(t, audit_count(s), &e), EID_OK);
	eid_txn_abort(t);
	assert_string_equal(json_string_value(json_object_get(e, "type")),
			    type);
	assert_string_equal(json_string_value(json_object_get(e, "subject")),
			    "001090000001");
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(e, "details"), "uri")), uri);
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(e, "details"), "client_id")), "bank");
	assert_int_equal(json_integer_value(json_object_get(
		json_object_get(e, "details"), "status")), 500);
	json_decref(e);
}

/* The CIBA ping's form: JSON with a bearer token; a delivery that fails
 * every attempt is audited, one that succeeds is not. */
static void test_bearer_delivery(void **state)
{
	struct rp *rp = *state;
	struct tmpstore ts;
	struct eid_bcl_stats st;
	json_t *details = json_pack("{s:s}", "client_id", "bank");
	struct eid_bcl_audit fail = { .event = "login.ciba_ping_failed",
				      .subject = "001090000001",
				      .details = details };
	eid_bcl *q = NULL;
	uint64_t before;

	tmpstore_open(&ts, tmpstore_fixed_clock);
	fail.store = ts.store;
	before = audit_count(ts.store);
	assert_int_equal(eid_bcl_start(&fast, &q), EID_OK);
	assert_int_equal(eid_bcl_enqueue_bearer(q, rp->base, "{\"a\":1}",
						"tok\r\nX: y", &fail),
			 EID_EINVAL);
	assert_int_equal(eid_bcl_enqueue_bearer(q, rp->base, "{\"a\":1}", "",
						&fail),
			 EID_EINVAL);
	assert_int_equal(eid_bcl_enqueue_bearer(q, rp->base,
						"{\"auth_req_id\":\"x\"}",
						"s3cr3t.tok", &fail),
			 EID_OK);
	wait_done(q, 1, &st);
	assert_int_equal(st.delivered, 1);
	pthread_mutex_lock(&rp->mu);
	assert_string_equal(rp->body, "{\"auth_req_id\":\"x\"}");
	assert_string_equal(rp->auth, "Bearer s3cr3t.tok");
	assert_string_equal(rp->ctype, "application/json");
	pthread_mutex_unlock(&rp->mu);
	assert_int_equal(audit_count(ts.store), before);

	atomic_store(&rp->hits, 0);
	atomic_store(&rp->fail_first, 100);
	assert_int_equal(eid_bcl_enqueue_bearer(q, rp->base, "{}", "t", &fail),
			 EID_OK);
	wait_done(q, 2, &st);
	assert_int_equal(st.failed, 1);
	assert_int_equal(atomic_load(&rp->hits), 3);
	eid_bcl_stop(q); /* joined: the audit entry is written */
	assert_int_equal(audit_count(ts.store), before + 1);
	assert_last_audit(ts.store, "login.ciba_ping_failed", rp->base);
	json_decref(details);
	tmpstore_close(&ts);
}

static void test_bounded_and_stoppable(void **state)
{
	struct eid_bcl_options o = fast;
	struct eid_bcl_stats st;
	eid_bcl *q = NULL;
	int full = 0;

	(void)state;
	/* Nothing listens on port 9 here: every attempt fails fast, with
	 * long pauses in between, so the queue fills. */
	o.queue_max = 4;
	o.backoff_ms = 60 * 1000;
	assert_int_equal(eid_bcl_start(&o, &q), EID_OK);
	for (int i = 0; i < 10; i++)
		if (eid_bcl_enqueue(q, "http://127.0.0.1:9/", "t") == EID_EFULL)
			full++;
	assert_true(full >= 5);
	eid_bcl_get_stats(q, &st);
	assert_int_equal(st.dropped, (uint64_t)full);
	/* Stopping cuts the minute-long pause short. */
	eid_bcl_stop(q);
	eid_bcl_stop(NULL);
	assert_int_equal(eid_bcl_enqueue(NULL, "u", "t"), EID_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_token_claims, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_delivery_with_retries,
						rp_setup, rp_teardown),
		cmocka_unit_test_setup_teardown(test_bearer_delivery,
						rp_setup, rp_teardown),
		cmocka_unit_test(test_bounded_and_stoppable),
	};
	int r;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return r;
}
