/* The notification gateway: the outbox, and the HTTP SMS gateway against
 * a libmicrohttpd server on 127.0.0.1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "crypto/error.h"
#include "idp/config.h"
#include "idp/notify.h"
#include "tmpstore.h"
#include "loopback_fixture.h"

/* ---- the outbox ---- */

struct collect {
	unsigned n;
	char last_to[32];
	char last_text[128];
};

static int collect(const json_t *msg, void *arg)
{
	struct collect *c = arg;

	c->n++;
	snprintf(c->last_to, sizeof(c->last_to), "%s",
		 json_string_value(json_object_get(msg, "to")));
	snprintf(c->last_text, sizeof(c->last_text), "%s",
		 json_string_value(json_object_get(msg, "text")));
	return EID_OK;
}

static struct collect scan(eid_store *s, int64_t since, const char *to)
{
	struct collect c = { 0 };
	eid_txn *t = NULL;

	assert_int_equal(eid_store_begin(s, false, &t), EID_OK);
	assert_int_equal(eid_outbox_scan(t, since, to, collect, &c), EID_OK);
	eid_txn_abort(t);
	return c;
}

static void test_outbox(void **state)
{
	struct tmpstore_pol *f = *state;
	eid_store *s = f->ts.store;
	eid_notify n;
	struct collect c;

	assert_int_equal(eid_notify_open_outbox(s, 3600, &n), EID_OK);
	assert_int_equal(eid_notify_sms(&n, "+84912345678", "code 123456"), EID_OK);
	assert_int_equal(eid_notify_sms(&n, "+84912345679", "code 654321"), EID_OK);
	assert_int_equal(eid_notify_email(&n, "an@example.vn", "Hello",
					  "line one\nline two"), EID_OK);
	c = scan(s, 0, NULL);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.last_to, "an@example.vn");
	c = scan(s, 0, "+84912345678");
	assert_int_equal(c.n, 1);
	assert_string_equal(c.last_text, "code 123456");
	assert_int_equal(scan(s, tmpstore_clock_now + 1, NULL).n, 0);

	/* Bad messages never reach the table. */
	assert_int_equal(eid_notify_sms(&n, "+84912345678", ""), EID_EINVAL);
	assert_int_equal(eid_notify_sms(&n, "", "x"), EID_EINVAL);
	assert_int_equal(eid_notify_sms(&n, "+84912345678", "a\rb"), EID_EINVAL);
	assert_int_equal(eid_notify_email(&n, "a@b.vn", "s\nt", "x"), EID_EINVAL);

	/* Push to a device: the "push" channel, to the device id. */
	assert_int_equal(eid_notify_push(&n, "dev1", "eID", "Bank: approve?"),
			 EID_OK);
	c = scan(s, 0, "dev1");
	assert_int_equal(c.n, 1);
	assert_string_equal(c.last_text, "Bank: approve?");
	assert_int_equal(eid_notify_push(&n, "", "eID", "x"), EID_EINVAL);
	assert_int_equal(eid_notify_push(&n, "dev1", "eID", "a\x01"),
			 EID_EINVAL);

	/* Older than the retention: gone with the next message. */
	tmpstore_clock_now += 3601;
	assert_int_equal(eid_notify_sms(&n, "+84912345670", "later"), EID_OK);
	c = scan(s, 0, NULL);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.last_text, "later");
	eid_notify_close(&n);
	eid_notify_close(&n); /* twice is fine */
}

static void test_open_config(void **state)
{
	struct tmpstore_pol *f = *state;
	struct eid_config cfg;
	eid_notify n;

	assert_int_equal(eid_config_defaults(&cfg), EID_OK);
	assert_int_equal(cfg.notify.outbox_retention, 7 * 86400);
	assert_int_equal(eid_notify_open_config(&cfg, f->ts.store, &n), EID_OK);
	eid_notify_close(&n);
	assert_int_equal(eid_config_set(&cfg, "notify", "sms_gateway_url",
					"http://sms.example.vn/send", NULL), EID_OK);
	/* Plain http to another machine is refused. */
	assert_int_equal(eid_notify_open_config(&cfg, f->ts.store, &n),
			 EID_ECONFIG);
	assert_int_equal(eid_config_set(&cfg, "notify", "sms_gateway_url",
					"https://sms.example.vn/send", NULL), EID_OK);
	assert_int_equal(eid_config_set(&cfg, "notify", "sms_gateway_token_file",
					"/nonexistent/token", NULL), EID_OK);
	assert_int_equal(eid_notify_open_config(&cfg, f->ts.store, &n),
			 EID_ECONFIG);
	assert_int_equal(eid_config_set(&cfg, "notify", "sms_gateway_url",
					"http://localhost.example.vn/", NULL), EID_OK);
	assert_int_equal(eid_config_set(&cfg, "notify", "sms_gateway_token_file",
					"", NULL), EID_OK);
	assert_int_equal(eid_notify_open_config(&cfg, f->ts.store, &n),
			 EID_ECONFIG);
	/* A gateway that is never reached: the SMS is only queued, and the
	 * queue is bounded by queue_max. */
	assert_int_equal(eid_config_set(&cfg, "notify", "sms_gateway_url",
					"http://127.0.0.1:9/sms", NULL), EID_OK);
	assert_int_equal(eid_config_set(&cfg, "notify", "queue_max", "2",
					NULL), EID_OK);
	assert_int_equal(eid_notify_open_config(&cfg, f->ts.store, &n), EID_OK);
	assert_int_equal(eid_notify_sms(&n, "+84912345678", "code 1"), EID_OK);
	assert_int_equal(eid_notify_sms(&n, "+84912345678", "code 2"), EID_OK);
	assert_int_equal(eid_notify_sms(&n, "+84912345678", "code 3"),
			 EID_EBUSY);
	assert_int_equal(eid_notify_start(&n), EID_OK);
	eid_notify_stop(&n);
	eid_notify_close(&n);
	eid_config_free(&cfg);
}

/* ---- HTTP ---- */

struct server {
	struct MHD_Daemon *d;
	char url[64];
	atomic_int hits;
	atomic_int mode; /* 0 ok, 1 500 once, 2 503 always, 3 401, 4 400 */
	char last_body[512];
};

struct upload {
	char buf[512];
	size_t n;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		2, (void *)"{}", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result r = MHD_queue_response(conn, status, resp);

	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct server *srv = cls;
	struct upload *u = *con_cls;
	const char *auth, *ct;
	int mode;

	if (u == NULL) {
		u = calloc(1, sizeof(*u));
		*con_cls = u;
		return u != NULL ? MHD_YES : MHD_NO;
	}
	if (*upload_size > 0) {
		size_t k = *upload_size;
		if (k > sizeof(u->buf) - 1 - u->n)
			k = sizeof(u->buf) - 1 - u->n;
		memcpy(u->buf + u->n, upload, k);
		u->n += k;
		*upload_size = 0;
		return MHD_YES;
	}
	atomic_fetch_add(&srv->hits, 1);
	memcpy(srv->last_body, u->buf, u->n + 1);
	auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	if (strcmp(method, "POST") != 0 || strcmp(url, "/sms") != 0 ||
	    ct == NULL || strcmp(ct, "application/json") != 0)
		return reply(conn, 404);
	mode = atomic_load(&srv->mode);
	if (mode == 3 || auth == NULL || strcmp(auth, "Bearer t0ken") != 0)
		return reply(conn, 401);
	if (mode == 1) {
		atomic_store(&srv->mode, 0);
		return reply(conn, 500);
	}
	if (mode == 2)
		return reply(conn, 503);
	if (mode == 4)
		return reply(conn, 400);
	return reply(conn, 202);
}

static int http_setup(void **state)
{
	struct server *srv = calloc(1, sizeof(*srv));
	unsigned port;

	assert_non_null(srv);
	srv->d = loopback_start(handle, srv, &port);
	snprintf(srv->url, sizeof(srv->url), "http://127.0.0.1:%u/sms", port);
	*state = srv;
	return 0;
}

static int http_teardown(void **state)
{
	struct server *srv = *state;

	MHD_stop_daemon(srv->d);
	free(srv);
	return 0;
}

static void open_gateway(struct server *srv, const char *token, eid_notify *n)
{
	struct eid_notify_http_options o = {
		.url = srv->url,
		.bearer_token = token,
		.connect_timeout_ms = 1000,
		.timeout_ms = 2000,
		.max_retries = 2,
		.backoff_ms = 5,
		.allow_insecure_http = true,
	};

	assert_int_equal(eid_notify_open_http(&o, n), EID_OK);
}

static int send_mode(struct server *srv, eid_notify *n, int mode)
{
	atomic_store(&srv->mode, mode);
	atomic_store(&srv->hits, 0);
	return eid_notify_sms(n, "+84912345678", "Your code: 123456");
}

static void test_http_gateway(void **state)
{
	struct server *srv = *state;
	eid_notify n;
	json_t *body;

	open_gateway(srv, "t0ken", &n);
	assert_int_equal(send_mode(srv, &n, 0), EID_OK);
	assert_int_equal(atomic_load(&srv->hits), 1);
	body = json_loads(srv->last_body, 0, NULL);
	assert_non_null(body);
	assert_string_equal(json_string_value(json_object_get(body, "to")),
			    "+84912345678");
	assert_string_equal(json_string_value(json_object_get(body, "text")),
			    "Your code: 123456");
	json_decref(body);

	assert_int_equal(send_mode(srv, &n, 1), EID_OK); /* 500, then 202 */
	assert_int_equal(atomic_load(&srv->hits), 2);
	assert_int_equal(send_mode(srv, &n, 2), EID_ENETWORK);
	assert_int_equal(atomic_load(&srv->hits), 3); /* 1 + 2 retries */
	assert_int_equal(send_mode(srv, &n, 3), EID_EPERM);
	assert_int_equal(atomic_load(&srv->hits), 1); /* 4xx: no retry */
	assert_int_equal(send_mode(srv, &n, 4), EID_EMALFORMED);
	assert_int_equal(atomic_load(&srv->hits), 1);
	/* No outbox configured: e-mail is not supported. */
	assert_int_equal(eid_notify_email(&n, "a@b.vn", "s", "t"),
			 EID_EUNSUPPORTED);
	eid_notify_close(&n);

	open_gateway(srv, NULL, &n);
	assert_int_equal(send_mode(srv, &n, 0), EID_EPERM);
	eid_notify_close(&n);
}

static void test_http_options(void **state)
{
	struct server *srv = *state;
	struct eid_notify_http_options o = { .url = srv->url };
	eid_notify n;

	/* http:// without the flag, a token with a line break, no URL. */
	assert_int_equal(eid_notify_open_http(&o, &n), EID_ECONFIG);
	o.allow_insecure_http = true;
	o.bearer_token = "a\r\nX-Evil: 1";
	assert_int_equal(eid_notify_open_http(&o, &n), EID_ECONFIG);
	o.bearer_token = NULL;
	o.url = NULL;
	assert_int_equal(eid_notify_open_http(&o, &n), EID_ECONFIG);
	o.url = "https://127.0.0.1:1/sms";
	o.max_retries = 1000;
	assert_int_equal(eid_notify_open_http(&o, &n), EID_ECONFIG);
	/* Nobody listens: a network error, after the retries. */
	o.max_retries = 1;
	o.backoff_ms = 1;
	o.connect_timeout_ms = 500;
	assert_int_equal(eid_notify_open_http(&o, &n), EID_OK);
	assert_int_equal(eid_notify_sms(&n, "+84912345678", "x"), EID_ENETWORK);
	eid_notify_close(&n);
}

int main(void)
{
	const struct CMUnitTest store_tests[] = {
		cmocka_unit_test_setup_teardown(test_outbox, tmpstore_pol_setup,
						tmpstore_pol_teardown),
		cmocka_unit_test_setup_teardown(test_open_config,
						tmpstore_pol_setup,
						tmpstore_pol_teardown),
	};
	const struct CMUnitTest http_tests[] = {
		cmocka_unit_test(test_http_gateway),
		cmocka_unit_test(test_http_options),
	};
	int fails = cmocka_run_group_tests(store_tests, NULL, NULL);

	return fails + cmocka_run_group_tests(http_tests, http_setup,
					      http_teardown);
}
