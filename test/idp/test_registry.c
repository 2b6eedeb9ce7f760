#define _GNU_SOURCE
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

#include "crypto/error.h"
#include "idp/config.h"
#include "idp/registry.h"
#include "tmpstore.h"
#include "loopback_fixture.h"

#define NOW INT64_C(1748736000)

static const char record_a[] =
	"{\"personal_id\":\"079203000001\",\"full_name\":\"Trần Văn An\","
	"\"birthdate\":\"2003-12-31\",\"sex\":\"male\"}";

static void citizen(const char *json, struct eid_citizen *c)
{
	assert_int_equal(eid_citizen_parse_json(json, strlen(json), NOW, c,
						NULL), EID_OK);
}

/* ---- the local store ---- */

/* cached: through the server's cache (idp/rcache.h), which must answer
 * exactly as the store does, also after a replace. */
static void local_put_get(struct tmpstore *fx, bool cached)
{
	struct eid_citizen a, b;
	eid_registry reg;
	eid_txn *t = NULL;

	citizen(record_a, &a);
	a.updated_at = NOW;
	assert_int_equal(eid_store_begin(fx->store, true, &t), EID_OK);
	assert_int_equal(eid_registry_put(t, &a), EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);

	assert_int_equal(cached ? eid_registry_open_local_cached(fx->store, 8,
								 &reg) :
				  eid_registry_open_local(fx->store, &reg),
			 EID_OK);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(eid_registry_lookup(&reg, "079203000001", &b),
				 EID_OK);
		assert_memory_equal(&a, &b, sizeof(a));
	}
	assert_int_equal(eid_registry_lookup(&reg, "079203000002", &b),
			 EID_ENOTFOUND);
	assert_int_equal(eid_registry_lookup(&reg, "07920300000", &b),
			 EID_EMALFORMED);
	assert_int_equal(eid_registry_lookup(&reg, "003203000001", &b),
			 EID_EMALFORMED);

	/* replace */
	memcpy(a.full_name, "Trần Văn Anh", sizeof("Trần Văn Anh"));
	assert_int_equal(eid_store_begin(fx->store, true, &t), EID_OK);
	assert_int_equal(eid_registry_put(t, &a), EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	assert_int_equal(eid_registry_lookup(&reg, "079203000001", &b), EID_OK);
	assert_string_equal(b.full_name, "Trần Văn Anh");
	eid_registry_close(&reg);
	assert_null(reg.lookup);
}

static void test_local_put_get(void **state)
{
	local_put_get(*state, false);
}

static void test_local_put_get_cached(void **state)
{
	local_put_get(*state, true);
}

static void test_local_put_refuses_invalid(void **state)
{
	struct tmpstore *fx = *state;
	struct eid_citizen a;
	eid_txn *t = NULL;

	citizen(record_a, &a);
	assert_int_equal(eid_store_begin(fx->store, true, &t), EID_OK);
	a.sex = EID_SEX_FEMALE;
	assert_int_equal(eid_registry_put(t, &a), EID_EMISMATCH);
	a.sex = EID_SEX_MALE;
	a.full_name[0] = '\0';
	assert_int_equal(eid_registry_put(t, &a), EID_EMALFORMED);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	assert_int_equal(eid_store_begin(fx->store, false, &t), EID_OK);
	assert_int_equal(eid_registry_get(t, "079203000001", &a),
			 EID_ENOTFOUND);
	eid_txn_abort(t);
}

/* ---- HTTP against a server on 127.0.0.1 ---- */

struct server {
	struct MHD_Daemon *d;
	char base[64];
	atomic_int hits; /* requests for the ID in watch */
	_Atomic(const char *) watch;
	atomic_int flaky; /* 500 on the first call, 200 after */
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status,
			     const char *body, size_t n)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		n, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result r = MHD_queue_response(conn, status, resp);

	MHD_destroy_response(resp);
	return r;
}

static ssize_t endless(void *cls, uint64_t pos, char *buf, size_t max)
{
	if (pos > 1024 * 1024)
		return MHD_CONTENT_READER_END_OF_STREAM;
	memset(buf, ' ', max);
	return (ssize_t)max;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct server *srv = cls;
	const char *auth;
	const char *id, *watch;
	char body[256];

	watch = atomic_load(&srv->watch);
	if (watch == NULL || strstr(url, watch) != NULL)
		atomic_fetch_add(&srv->hits, 1);
	auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					   "Authorization");
	if (auth == NULL || strcmp(auth, "Bearer s3cret") != 0)
		return reply(conn, 401, "", 0);
	if (strncmp(url, "/v1/citizens/", 13) != 0)
		return reply(conn, 400, "", 0);
	id = url + 13;
	if (strcmp(id, "079203000001") == 0)
		return reply(conn, 200, record_a, strlen(record_a));
	if (strcmp(id, "001085000001") == 0 &&
	    atomic_fetch_add(&srv->flaky, 1) == 0)
		return reply(conn, 500, "oops", 4);
	if (strcmp(id, "001085000002") == 0)
		return reply(conn, 503, "", 0);
	if (strcmp(id, "001085000003") == 0)
		usleep(700 * 1000);
	if (strcmp(id, "001085000004") == 0) {
		static char big[100 * 1024];
		memset(big, ' ', sizeof(big));
		return reply(conn, 200, big, sizeof(big));
	}
	if (strcmp(id, "001085000005") == 0)
		return reply(conn, 200, "{\"personal_id\":", 15);
	if (strcmp(id, "001085000006") == 0)
		return reply(conn, 200, record_a, strlen(record_a));
	if (strcmp(id, "001085000007") == 0)
		return reply(conn, 400, "", 0);
	if (strcmp(id, "001085000008") == 0) {
		struct MHD_Response *resp = MHD_create_response_from_callback(
			MHD_SIZE_UNKNOWN, 4096, endless, NULL, NULL);
		enum MHD_Result r = MHD_queue_response(conn, 200, resp);
		MHD_destroy_response(resp);
		return r;
	}
	if (strncmp(id, "00108500000", 11) == 0) {
		snprintf(body, sizeof(body),
			 "{\"personal_id\":\"%s\",\"full_name\":\"X\","
			 "\"birthdate\":\"1985-01-01\",\"sex\":\"male\"}", id);
		return reply(conn, 200, body, strlen(body));
	}
	return reply(conn, 404, "", 0);
}

static int http_setup(void **state)
{
	struct server *srv = calloc(1, sizeof(*srv));
	unsigned port;

	assert_non_null(srv);
	srv->d = loopback_start(handle, srv, &port);
	snprintf(srv->base, sizeof(srv->base), "http://127.0.0.1:%u/v1/", port);
	*state = srv;
	return 0;
}

static int http_teardown(void **state)
{
	struct server *srv = *state;

	if (srv->d != NULL)
		MHD_stop_daemon(srv->d);
	free(srv);
	return 0;
}

/* timeout_ms is short only where the test is the timeout: elsewhere a
 * loaded machine must not turn a slow answer into a retry, which would
 * reach the server late and be counted against the next lookup. */
static void open_http_timeout(struct server *srv, const char *token,
			      unsigned timeout_ms, eid_registry *reg)
{
	struct eid_registry_http_options o = {
		.base_url = srv->base,
		.bearer_token = token,
		.connect_timeout_ms = 1000,
		.timeout_ms = timeout_ms,
		.max_retries = 2,
		.backoff_ms = 10,
		.allow_insecure_http = true,
	};

	assert_int_equal(eid_registry_open_http(&o, reg), EID_OK);
}

static void open_http(struct server *srv, const char *token,
		      eid_registry *reg)
{
	open_http_timeout(srv, token, 10000, reg);
}

static int lookup_hits(struct server *srv, eid_registry *reg,
		       const char *id, int expect)
{
	struct eid_citizen c;

	/* Only this ID's requests count: a late try of an earlier lookup
	 * (given up on by the client) may still reach the server now. */
	atomic_store(&srv->watch, id);
	atomic_store(&srv->hits, 0);
	memset(&c, 0x5a, sizeof(c));
	assert_int_equal(eid_registry_lookup(reg, id, &c), expect);
	if (expect != EID_OK)
		assert_int_equal((unsigned char)c.personal_id[0], 0x5a);
	else
		assert_string_equal(c.personal_id, id);
	return atomic_load(&srv->hits);
}

static void test_http_found_and_not_found(void **state)
{
	struct server *srv = *state;
	struct eid_citizen c;
	eid_registry reg;

	open_http(srv, "s3cret", &reg);
	assert_int_equal(eid_registry_lookup(&reg, "079203000001", &c), EID_OK);
	assert_string_equal(c.full_name, "Trần Văn An");
	assert_int_equal(lookup_hits(srv, &reg, "001185012345",
				     EID_ENOTFOUND), 1);
	/* an invalid ID never leaves the process */
	assert_int_equal(lookup_hits(srv, &reg, "12", EID_EMALFORMED), 0);
	assert_int_equal(lookup_hits(srv, &reg, "../../etc/pw",
				     EID_EMALFORMED), 0);
	eid_registry_close(&reg);

	open_http(srv, NULL, &reg);
	assert_int_equal(lookup_hits(srv, &reg, "079203000001", EID_EPERM), 1);
	eid_registry_close(&reg);
}

static void test_http_retries(void **state)
{
	struct server *srv = *state;
	eid_registry reg;

	open_http(srv, "s3cret", &reg);
	/* 500 then 200 */
	assert_int_equal(lookup_hits(srv, &reg, "001085000001", EID_OK), 2);
	/* 503 on every try: the first and two retries */
	assert_int_equal(lookup_hits(srv, &reg, "001085000002",
				     EID_ENETWORK), 3);
	/* a 4xx is not retried */
	assert_int_equal(lookup_hits(srv, &reg, "001085000007",
				     EID_EMALFORMED), 1);
	eid_registry_close(&reg);
}

static void test_http_timeout(void **state)
{
	struct server *srv = *state;
	eid_registry reg;

	int hits;

	open_http_timeout(srv, "s3cret", 300, &reg);
	hits = lookup_hits(srv, &reg, "001085000003", EID_ETIMEOUT);
	/* The client gave up on each try after 300 ms; on a loaded machine
	 * the server may read the last one after that.  Wait for it (5 s at
	 * most) rather than count too early. */
	for (int i = 0; i < 100 && hits < 3; i++) {
		usleep(50 * 1000);
		hits = atomic_load(&srv->hits);
	}
	assert_int_equal(hits, 3);
	eid_registry_close(&reg);
}

static void test_http_bad_bodies(void **state)
{
	struct server *srv = *state;
	eid_registry reg;

	open_http(srv, "s3cret", &reg);
	assert_int_equal(lookup_hits(srv, &reg, "001085000004", EID_ETOOBIG),
			 1);
	assert_int_equal(lookup_hits(srv, &reg, "001085000008", EID_ETOOBIG),
			 1);
	assert_int_equal(lookup_hits(srv, &reg, "001085000005",
				     EID_EMALFORMED), 1);
	/* a record for someone else */
	assert_int_equal(lookup_hits(srv, &reg, "001085000006",
				     EID_EMISMATCH), 1);
	eid_registry_close(&reg);
}

static void test_http_refused_connection(void **state)
{
	struct server *srv = *state;
	eid_registry reg;
	struct eid_citizen c;

	open_http(srv, "s3cret", &reg);
	MHD_stop_daemon(srv->d);
	srv->d = NULL;
	assert_int_equal(eid_registry_lookup(&reg, "079203000001", &c),
			 EID_ENETWORK);
	eid_registry_close(&reg);
}

static void test_http_options(void **state)
{
	struct eid_registry_http_options o = { .base_url =
						       "http://10.0.0.1/reg" };
	eid_registry reg = { 0 };

	assert_int_equal(eid_registry_open_http(&o, &reg), EID_ECONFIG);
	o.base_url = "ftp://10.0.0.1/reg";
	o.allow_insecure_http = true;
	assert_int_equal(eid_registry_open_http(&o, &reg), EID_ECONFIG);
	o.base_url = NULL;
	assert_int_equal(eid_registry_open_http(&o, &reg), EID_ECONFIG);
	o.base_url = "https://registry.example/v1";
	o.bearer_token = "a\r\nX-Evil: 1";
	assert_int_equal(eid_registry_open_http(&o, &reg), EID_ECONFIG);
	o.bearer_token = NULL;
	o.max_retries = 11;
	assert_int_equal(eid_registry_open_http(&o, &reg), EID_ECONFIG);
	o.max_retries = 3;
	assert_int_equal(eid_registry_open_http(&o, &reg), EID_OK);
	assert_non_null(reg.lookup);
	eid_registry_close(&reg);
}

/* ---- [registry] in the configuration ---- */

/* A token file of the given mode; its path into path. */
static void token_file(char path[64], mode_t mode)
{
	int fd;

	snprintf(path, 64, "/tmp/eid-test-token-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "s3cret\n", 7), 7);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static int open_config(struct server *srv, const char *token_path,
		       eid_registry *reg, eid_buf *why)
{
	struct eid_config cfg;
	char text[512];
	int r;

	snprintf(text, sizeof(text),
		 "[registry]\nsource = http\nurl = %s\n"
		 "bearer_token_file = %s\ntimeout = 10s\nretries = 1\n"
		 "backoff = 10ms\nallow_insecure_http = true\n",
		 srv->base, token_path);
	assert_int_equal(eid_config_defaults(&cfg), EID_OK);
	assert_int_equal(eid_config_load_string(&cfg, "t", text, NULL), EID_OK);
	r = eid_registry_open_config(&cfg, NULL, 0, reg, why);
	eid_config_free(&cfg);
	return r;
}

/* Every way the service fails is one answer, EID_ENETWORK; not found and
 * a bad ID keep theirs. */
static void test_config_http(void **state)
{
	struct server *srv = *state;
	char path[64];
	eid_registry reg;
	eid_buf why;

	eid_buf_init(&why, 512);
	token_file(path, 0600);
	assert_int_equal(open_config(srv, path, &reg, &why), EID_OK);
	assert_int_equal(lookup_hits(srv, &reg, "079203000001", EID_OK), 1);
	assert_int_equal(lookup_hits(srv, &reg, "001185012345",
				     EID_ENOTFOUND), 1);
	assert_int_equal(lookup_hits(srv, &reg, "12", EID_EMALFORMED), 0);
	/* 503 twice (one retry), garbage, over the cap, someone else's */
	assert_int_equal(lookup_hits(srv, &reg, "001085000002",
				     EID_ENETWORK), 2);
	assert_int_equal(lookup_hits(srv, &reg, "001085000005",
				     EID_ENETWORK), 1);
	assert_int_equal(lookup_hits(srv, &reg, "001085000004",
				     EID_ENETWORK), 1);
	assert_int_equal(lookup_hits(srv, &reg, "001085000006",
				     EID_ENETWORK), 1);
	eid_registry_close(&reg);

	/* A token others may read is refused, with the reason. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(open_config(srv, path, &reg, &why), EID_ECONFIG);
	assert_non_null(strstr(eid_buf_cstr(&why), "group or others"));
	eid_buf_reset(&why);
	unlink(path);
	assert_int_equal(open_config(srv, path, &reg, &why), EID_ECONFIG);
	assert_non_null(strstr(eid_buf_cstr(&why), "bearer_token_file"));
	eid_buf_free(&why);
}

/* The server's checks of [registry] at load time. */
static void test_config_checks(void **state)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "source = remote\n", "one of local, http" },
		{ "source = http\n", "needs url" },
		{ "source = http\nurl = http://10.0.0.1/r\n", "must be https" },
		{ "source = http\nurl = http://10.0.0.1/r\n"
		  "allow_insecure_http = true\n", "on this machine" },
		{ "source = http\nurl = https://r.example/\n"
		  "allow_insecure_http = true\n", "on this machine" },
		{ "source = http\nurl = https://r.example/\n"
		  "connect_timeout = 5s\ntimeout = 2s\n", "is longer than" },
		{ "timeout = 50ms\n", "100-120000 milliseconds" },
		{ "retries = 11\n", "0-10" },
	};
	struct eid_config cfg;
	char text[256];
	eid_buf why;

	(void)state;
	assert_int_equal(eid_config_defaults(&cfg), EID_OK);
	assert_string_equal(cfg.registry.source, "local");
	assert_int_equal(cfg.registry.timeout, 5000);
	assert_int_equal(eid_config_load_string(
				 &cfg, "t",
				 "[registry]\nsource = http\n"
				 "url = https://registry.example/v1\n"
				 "connect_timeout = 1500ms\ntimeout = 1m\n"
				 "backoff = 1s\n", NULL), EID_OK);
	assert_int_equal(cfg.registry.connect_timeout, 1500);
	assert_int_equal(cfg.registry.timeout, 60000);
	assert_int_equal(cfg.registry.backoff, 1000);
	eid_config_free(&cfg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(eid_config_defaults(&cfg), EID_OK);
		snprintf(text, sizeof(text), "[registry]\n%s", bad[i].text);
		eid_buf_init(&why, 512);
		assert_int_equal(eid_config_load_string(&cfg, "t", text, &why),
				 EID_ECONFIG);
		if (strstr(eid_buf_cstr(&why), bad[i].why) == NULL)
			fail_msg("%s: %s", bad[i].text, eid_buf_cstr(&why));
		eid_buf_free(&why);
		eid_config_free(&cfg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_local_put_get,
						tmpstore_setup,
						tmpstore_teardown),
		cmocka_unit_test_setup_teardown(test_local_put_get_cached,
						tmpstore_setup,
						tmpstore_teardown),
		cmocka_unit_test_setup_teardown(test_local_put_refuses_invalid,
						tmpstore_setup,
						tmpstore_teardown),
		cmocka_unit_test_setup_teardown(test_http_found_and_not_found,
						http_setup, http_teardown),
		cmocka_unit_test_setup_teardown(test_http_retries, http_setup,
						http_teardown),
		cmocka_unit_test_setup_teardown(test_http_timeout, http_setup,
						http_teardown),
		cmocka_unit_test_setup_teardown(test_http_bad_bodies,
						http_setup, http_teardown),
		cmocka_unit_test_setup_teardown(test_http_refused_connection,
						http_setup, http_teardown),
		cmocka_unit_test(test_http_options),
		cmocka_unit_test_setup_teardown(test_config_http, http_setup,
						http_teardown),
		cmocka_unit_test(test_config_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
