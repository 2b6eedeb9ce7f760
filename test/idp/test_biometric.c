/* The biometric service interface (idp/biometric.h): the default refuses,
 * the answer's decision rules, and the http adapter against a loopback
 * service (libmicrohttpd) that checks what it is sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "crypto/error.h"
#include "idp/biometric.h"
#include "idp/config.h"
#include "loopback_fixture.h"

static const uint8_t jpeg[] = { 0xff, 0xd8, 0xff, 0xe0, 1, 2, 3 };
static const struct eid_biometric_image portrait = { jpeg, sizeof(jpeg),
						     "image/jpeg" };
static const struct eid_biometric_image selfie = { jpeg, 4, "image/jpeg" };

static int answer(const char *s, unsigned threshold,
		  struct eid_biometric_verdict *v)
{
	return eid_biometric_parse_answer((const uint8_t *)s, strlen(s),
					  threshold, v);
}

static void test_none(void **state)
{
	struct eid_biometric_verdict v;
	eid_biometric b;

	(void)state;
	eid_biometric_open_none(&b);
	assert_string_equal(b.name, "none");
	assert_int_equal(eid_biometric_match(&b, &portrait, &selfie, &v),
			 EID_EUNSUPPORTED);
	eid_biometric_close(&b);
	eid_biometric_close(NULL);
}

static void test_answer(void **state)
{
	struct eid_biometric_verdict v;

	(void)state;
	assert_int_equal(answer("{\"match\":true,\"score\":0.93}", 80, &v),
			 EID_OK);
	assert_true(v.match);
	assert_true(v.score > 0.92 && v.score < 0.94);
	/* exactly the threshold passes; below it does not */
	assert_int_equal(answer("{\"match\":true,\"score\":0.8}", 80, &v),
			 EID_OK);
	assert_true(v.match);
	assert_int_equal(answer("{\"match\":true,\"score\":0.79}", 80, &v),
			 EID_OK);
	assert_false(v.match);
	/* the service's no is final whatever the score */
	assert_int_equal(answer("{\"match\":false,\"score\":1}", 0, &v), EID_OK);
	assert_false(v.match);
	/* outside the contract */
	assert_int_equal(answer("{\"match\":\"yes\",\"score\":1}", 0, &v),
			 EID_EMALFORMED);
	assert_int_equal(answer("{\"match\":true}", 0, &v), EID_EMALFORMED);
	assert_int_equal(answer("{\"match\":true,\"score\":1.5}", 0, &v),
			 EID_EMALFORMED);
	assert_int_equal(answer("{\"match\":true,\"score\":-0.1}", 0, &v),
			 EID_EMALFORMED);
	assert_int_equal(answer("[true]", 0, &v), EID_EMALFORMED);
	assert_int_equal(answer("", 0, &v), EID_EMALFORMED);
}

/* ---- the http adapter ---- */

struct server {
	struct MHD_Daemon *d;
	char url[64];
	atomic_int status;
	char reply[128];
	atomic_int hits;
	atomic_int good_request; /* token, type and both images as sent */
};

struct upload {
	char buf[256];
	size_t n;
	bool over;
};

static bool request_ok(const char *auth, const char *ct, const struct upload *u)
{
	json_t *o = json_loadb(u->buf, u->n, 0, NULL);
	bool ok = !u->over && auth != NULL && strcmp(auth, "Bearer s3cret") == 0 &&
		  ct != NULL && strcmp(ct, "application/json") == 0 &&
		  /* base64url of jpeg and of its first 4 bytes */
		  json_is_string(json_object_get(o, "portrait")) &&
		  strcmp(json_string_value(json_object_get(o, "portrait")),
			 "_9j_4AECAw") == 0 &&
		  strcmp(json_string_value(json_object_get(o, "selfie")) ?: "",
			 "_9j_4A") == 0 &&
		  strcmp(json_string_value(json_object_get(o, "portrait_type")) ?: "",
			 "image/jpeg") == 0;

	json_decref(o);
	return ok;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct server *srv = cls;
	struct upload *u = *con_cls;
	struct MHD_Response *resp;
	enum MHD_Result r;

	(void)url;
	(void)method;
	(void)version;
	if (u == NULL) {
		*con_cls = u = calloc(1, sizeof(*u));
		return u != NULL ? MHD_YES : MHD_NO;
	}
	if (*upload_size > 0) {
		if (*upload_size > sizeof(u->buf) - u->n)
			u->over = true;
		else
			memcpy(u->buf + u->n, upload, *upload_size),
				u->n += *upload_size;
		*upload_size = 0;
		return MHD_YES;
	}
	atomic_fetch_add(&srv->hits, 1);
	atomic_store(&srv->good_request,
		     request_ok(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							   "Authorization"),
				MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							   "Content-Type"),
				u));
	resp = MHD_create_response_from_buffer(strlen(srv->reply), srv->reply,
					       MHD_RESPMEM_MUST_COPY);
	r = MHD_queue_response(conn, (unsigned)atomic_load(&srv->status), resp);
	MHD_destroy_response(resp);
	return r;
}

static int http_setup(void **state)
{
	struct server *srv = calloc(1, sizeof(*srv));
	unsigned port;

	assert_non_null(srv);
	srv->d = loopback_start(handle, srv, &port);
	snprintf(srv->url, sizeof(srv->url), "http://127.0.0.1:%u/match", port);
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

static int ask(struct server *srv, unsigned status, const char *reply,
	       struct eid_biometric_verdict *v)
{
	struct eid_biometric_http_options o = {
		.url = srv->url, .bearer_token = "s3cret", .threshold = 80,
		.timeout_ms = 2000, .allow_insecure_http = true,
	};
	eid_biometric b;
	int r;

	atomic_store(&srv->status, (int)status);
	snprintf(srv->reply, sizeof(srv->reply), "%s", reply);
	assert_int_equal(eid_biometric_open_http(&o, &b), EID_OK);
	assert_string_equal(b.name, "http");
	r = eid_biometric_match(&b, &portrait, &selfie, v);
	eid_biometric_close(&b);
	return r;
}

static void test_http(void **state)
{
	struct server *srv = *state;
	struct eid_biometric_verdict v = { 0 };

	assert_int_equal(ask(srv, 200, "{\"match\":true,\"score\":0.91}", &v),
			 EID_OK);
	assert_true(v.match);
	assert_true(atomic_load(&srv->good_request));
	assert_int_equal(ask(srv, 200, "{\"match\":false,\"score\":0.2}", &v),
			 EID_OK);
	assert_false(v.match);
	assert_int_equal(ask(srv, 200, "{\"match\":true,\"score\":0.5}", &v),
			 EID_OK);
	assert_false(v.match); /* below our threshold */
	assert_int_equal(ask(srv, 401, "{}", &v), EID_EPERM);
	assert_int_equal(ask(srv, 503, "{}", &v), EID_ENETWORK);
	assert_int_equal(ask(srv, 400, "{}", &v), EID_EMALFORMED);
	assert_int_equal(ask(srv, 200, "not json", &v), EID_EMALFORMED);
	/* no retry: one request per match */
	atomic_store(&srv->hits, 0);
	assert_int_equal(ask(srv, 503, "{}", &v), EID_ENETWORK);
	assert_int_equal(atomic_load(&srv->hits), 1);
}

static void test_bad_images(void **state)
{
	struct server *srv = *state;
	struct eid_biometric_http_options o = {
		.url = srv->url, .threshold = 80, .timeout_ms = 2000,
		.allow_insecure_http = true,
	};
	struct eid_biometric_image empty = { jpeg, 0, "image/jpeg" };
	struct eid_biometric_verdict v;
	eid_biometric b;

	assert_int_equal(eid_biometric_open_http(&o, &b), EID_OK);
	atomic_store(&srv->hits, 0);
	assert_int_equal(eid_biometric_match(&b, &empty, &selfie, &v),
			 EID_EINVAL);
	assert_int_equal(eid_biometric_match(&b, &portrait, &empty, &v),
			 EID_EINVAL);
	assert_int_equal(atomic_load(&srv->hits), 0);
	eid_biometric_close(&b);
}

static void test_config(void **state)
{
	char path[] = "/tmp/eid-bio-tokenXXXXXX";
	struct eid_config cfg;
	eid_biometric b;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "s3cret\n", 7), 7);
	close(fd);
	assert_int_equal(eid_config_defaults(&cfg), EID_OK);
	assert_int_equal(eid_biometric_open_config(&cfg, &b), EID_OK);
	assert_string_equal(b.name, "none");
	eid_biometric_close(&b);
	assert_int_equal(eid_config_set(&cfg, "biometric", "service", "http", NULL),
			 EID_OK);
	/* http without a URL */
	assert_int_equal(eid_biometric_open_config(&cfg, &b), EID_ECONFIG);
	assert_int_equal(eid_config_set(&cfg, "biometric", "url",
					"http://127.0.0.1:9/match", NULL),
			 EID_OK);
	assert_int_equal(eid_config_set(&cfg, "biometric", "token_file", path, NULL),
			 EID_OK);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(eid_biometric_open_config(&cfg, &b), EID_ECONFIG);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(eid_biometric_open_config(&cfg, &b), EID_OK);
	assert_string_equal(b.name, "http");
	eid_biometric_close(&b);
	/* plain http to another host is refused */
	assert_int_equal(eid_config_set(&cfg, "biometric", "url",
					"http://biometric.example/match", NULL),
			 EID_OK);
	assert_int_not_equal(eid_biometric_open_config(&cfg, &b), EID_OK);
	assert_int_equal(eid_config_set(&cfg, "biometric", "service", "magic", NULL),
			 EID_OK);
	assert_int_equal(eid_biometric_open_config(&cfg, &b), EID_ECONFIG);
	eid_config_free(&cfg);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_answer),
		cmocka_unit_test_setup_teardown(test_http, http_setup,
						http_teardown),
		cmocka_unit_test_setup_teardown(test_bad_images, http_setup,
						http_teardown),
		cmocka_unit_test(test_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
