/* JWKS by URI against a libmicrohttpd server on 127.0.0.1: fetch, cache,
 * max-age bounds, the refetch budget on a kid miss, and refusals. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <microhttpd.h>

#include "crypto/error.h"
#include "crypto/keys.h"
#include "idp/jwks_fetch.h"
#include "jwks_fixture.h"
#include "tmpstore.h"

struct fx {
	struct MHD_Daemon *d;
	char base[64];
	atomic_int hits;
	atomic_int serve_k2; /* /jwks serves k2 instead of k1 */
	char *set_k1, *set_k2, *set_enc;
	char cache_control[64];
	struct tmpstore ts;
	uint64_t now;
};

static uint64_t fx_clock(void *arg)
{
	return *(uint64_t *)arg;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status,
			     const char *body, const char *cc)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result r;

	if (cc != NULL && cc[0] != '\0')
		MHD_add_response_header(resp, "Cache-Control", cc);
	if (status == 302)
		MHD_add_response_header(resp, "Location", "/jwks");
	r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct fx *fx = cls;
	static char big[100 * 1024];

	atomic_fetch_add(&fx->hits, 1);
	if (strcmp(url, "/jwks") == 0)
		return reply(conn, 200, atomic_load(&fx->serve_k2) ?
				       fx->set_k2 : fx->set_k1,
			     fx->cache_control);
	if (strcmp(url, "/enc") == 0)
		return reply(conn, 200, fx->set_enc, NULL);
	if (strcmp(url, "/big") == 0) {
		memset(big, ' ', sizeof(big) - 1);
		return reply(conn, 200, big, NULL);
	}
	if (strcmp(url, "/text") == 0)
		return reply(conn, 200, "<html>not json</html>", NULL);
	if (strcmp(url, "/moved") == 0)
		return reply(conn, 302, "", NULL);
	if (strcmp(url, "/slow") == 0) {
		usleep(1500 * 1000);
		return reply(conn, 200, fx->set_k1, NULL);
	}
	return reply(conn, 500, "oops", NULL);
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct eid_store_options so = { .now = fx_clock };
	const union MHD_DaemonInfo *info;

	assert_non_null(fx);
	fx->now = (uint64_t)TMPSTORE_NOW;
	so.now_arg = &fx->now;
	fx->set_k1 = jwks_fixture_one_key("k1", "sig", false);
	fx->set_k2 = jwks_fixture_one_key("k2", "sig", false);
	fx->set_enc = jwks_fixture_one_key("e1", "enc", false);
	fx->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
					 MHD_USE_INTERNAL_POLLING_THREAD,
				 0, NULL, NULL, handle, fx,
				 MHD_OPTION_END);
	assert_non_null(fx->d);
	info = MHD_get_daemon_info(fx->d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(fx->base, sizeof(fx->base), "http://127.0.0.1:%u",
		 (unsigned)info->port);
	snprintf(fx->ts.dir, sizeof(fx->ts.dir), "/tmp/eid-test-XXXXXX");
	assert_non_null(mkdtemp(fx->ts.dir));
	assert_int_equal(eid_store_open(fx->ts.dir, &so, &fx->ts.store),
			 EID_OK);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	MHD_stop_daemon(fx->d);
	tmpstore_close(&fx->ts);
	free(fx->set_k1);
	free(fx->set_k2);
	free(fx->set_enc);
	free(fx);
	return 0;
}

static void url(const struct fx *fx, const char *path, char out[128])
{
	snprintf(out, 128, "%s%s", fx->base, path);
}

static int fetch(struct fx *fx, const char *path, uint64_t *ret_ttl)
{
	struct eid_jwks_options o = { .timeout_ms = 400 };
	eid_keyset *set = NULL;
	char u[128];
	int r;

	url(fx, path, u);
	r = eid_jwks_fetch(u, &o, &set, ret_ttl);
	eid_keyset_free(set);
	return r;
}

static void test_fetch(void **state)
{
	struct fx *fx = *state;
	struct eid_jwks_options o = { 0 };
	eid_keyset *set = NULL;
	uint64_t ttl = 0;
	char u[128];

	url(fx, "/jwks", u);
	assert_int_equal(eid_jwks_fetch(u, &o, &set, &ttl), EID_OK);
	assert_int_equal(eid_keyset_count(set), 1);
	assert_non_null(eid_keyset_find(set, "k1"));
	assert_null(eid_keyset_find(set, "k2"));
	assert_int_equal(ttl, EID_JWKS_TTL_DEFAULT);
	eid_keyset_free(set);
	strcpy(fx->cache_control, "public, max-age=10");
	assert_int_equal(fetch(fx, "/jwks", &ttl), EID_OK);
	assert_int_equal(ttl, EID_JWKS_TTL_MIN);
	strcpy(fx->cache_control, "max-age=86400");
	assert_int_equal(fetch(fx, "/jwks", &ttl), EID_OK);
	assert_int_equal(ttl, EID_JWKS_TTL_MAX);
	strcpy(fx->cache_control, "max-age=900, must-revalidate");
	assert_int_equal(fetch(fx, "/jwks", &ttl), EID_OK);
	assert_int_equal(ttl, 900);
}

static void test_max_age_parse(void **state)
{
	assert_int_equal(eid_jwks_ttl_from_cache_control(NULL), 300);
	assert_int_equal(eid_jwks_ttl_from_cache_control("no-cache"), 300);
	assert_int_equal(eid_jwks_ttl_from_cache_control("max-age=0"), 60);
	assert_int_equal(eid_jwks_ttl_from_cache_control("max-age=60"), 60);
	assert_int_equal(eid_jwks_ttl_from_cache_control("max-age=3600"),
			 3600);
	assert_int_equal(eid_jwks_ttl_from_cache_control("max-age=3601"),
			 3600);
	assert_int_equal(eid_jwks_ttl_from_cache_control("MAX-AGE=120"), 120);
	assert_int_equal(eid_jwks_ttl_from_cache_control("s-max-age=120"),
			 300);
	assert_int_equal(eid_jwks_ttl_from_cache_control("max-age=abc"), 300);
	assert_int_equal(eid_jwks_ttl_from_cache_control(
				 "max-age=99999999999999999999999"), 3600);
}

static void test_refusals(void **state)
{
	struct fx *fx = *state;
	eid_keyset *set = NULL;
	int before;

	assert_int_equal(fetch(fx, "/big", NULL), EID_ETOOBIG);
	assert_int_equal(fetch(fx, "/text", NULL), EID_EMALFORMED);
	assert_int_equal(fetch(fx, "/enc", NULL), EID_ENOTFOUND);
	assert_int_equal(fetch(fx, "/moved", NULL), EID_ENETWORK);
	assert_int_equal(fetch(fx, "/missing", NULL), EID_ENETWORK);
	assert_int_equal(fetch(fx, "/slow", NULL), EID_ETIMEOUT);
	before = atomic_load(&fx->hits);
	assert_int_equal(eid_jwks_fetch("http://rp.example/jwks", NULL, &set,
					NULL), EID_EMALFORMED);
	assert_int_equal(eid_jwks_fetch("ftp://127.0.0.1/jwks", NULL, &set,
					NULL), EID_EMALFORMED);
	assert_int_equal(eid_jwks_fetch("https://rp.example/jwks#x", NULL,
					&set, NULL), EID_EMALFORMED);
	assert_int_equal(atomic_load(&fx->hits), before);
	/* Closed port. */
	assert_int_equal(eid_jwks_fetch("http://127.0.0.1:1/jwks", NULL, &set,
					NULL), EID_ENETWORK);
}

static int get(struct fx *fx, const char *path, const char *kid,
	       bool *ret_found)
{
	eid_keyset *set = NULL;
	char u[128];
	int r;

	url(fx, path, u);
	r = eid_jwks_get(fx->ts.store, u, kid, NULL, &set);
	if (r == EID_OK && ret_found != NULL)
		*ret_found = eid_keyset_find(set, kid) != NULL;
	eid_keyset_free(set);
	return r;
}

static void test_cache(void **state)
{
	struct fx *fx = *state;
	bool found = false;

	strcpy(fx->cache_control, "max-age=120");
	assert_int_equal(get(fx, "/jwks", NULL, NULL), EID_OK);
	assert_int_equal(atomic_load(&fx->hits), 1);
	assert_int_equal(get(fx, "/jwks", "k1", &found), EID_OK);
	assert_true(found);
	fx->now += 119;
	assert_int_equal(get(fx, "/jwks", NULL, NULL), EID_OK);
	assert_int_equal(atomic_load(&fx->hits), 1);
	fx->now += 1; /* max-age reached */
	assert_int_equal(get(fx, "/jwks", NULL, NULL), EID_OK);
	assert_int_equal(atomic_load(&fx->hits), 2);
}

static void test_kid_miss_rate_limit(void **state)
{
	struct fx *fx = *state;
	bool found = true;

	assert_int_equal(get(fx, "/jwks", "k1", &found), EID_OK);
	assert_int_equal(atomic_load(&fx->hits), 1);
	/* The RP rotates to k2 at once: within 30 s of the last fetch an
	 * unknown kid does not fetch again. */
	atomic_store(&fx->serve_k2, 1);
	assert_int_equal(get(fx, "/jwks", "k2", &found), EID_OK);
	assert_false(found);
	assert_int_equal(atomic_load(&fx->hits), 1);
	fx->now += EID_JWKS_REFETCH_INTERVAL;
	assert_int_equal(get(fx, "/jwks", "k2", &found), EID_OK);
	assert_true(found);
	assert_int_equal(atomic_load(&fx->hits), 2);
	/* A stream of made-up kids: at most one fetch per interval. */
	for (int i = 0; i < 20; i++) {
		assert_int_equal(get(fx, "/jwks", "made-up", &found), EID_OK);
		assert_false(found);
		fx->now += 1;
	}
	assert_int_equal(atomic_load(&fx->hits), 2);
	fx->now += 10;
	assert_int_equal(get(fx, "/jwks", "made-up", &found), EID_OK);
	assert_int_equal(get(fx, "/jwks", "made-up-2", &found), EID_OK);
	assert_int_equal(atomic_load(&fx->hits), 3);
	/* The set fetched for the miss is still k2's and cached. */
	assert_int_equal(get(fx, "/jwks", "k2", &found), EID_OK);
	assert_true(found);
	assert_int_equal(atomic_load(&fx->hits), 3);
}

static void test_failure_backoff(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(get(fx, "/text", NULL, NULL), EID_EMALFORMED);
	assert_int_equal(get(fx, "/text", NULL, NULL), EID_ELIMIT);
	assert_int_equal(atomic_load(&fx->hits), 1);
	fx->now += EID_JWKS_REFETCH_INTERVAL;
	assert_int_equal(get(fx, "/text", NULL, NULL), EID_EMALFORMED);
	assert_int_equal(atomic_load(&fx->hits), 2);
	/* A cached set survives the RP going down. */
	assert_int_equal(get(fx, "/jwks", NULL, NULL), EID_OK);
	MHD_stop_daemon(fx->d);
	fx->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL,
				 NULL, handle, fx, MHD_OPTION_END);
	fx->now += EID_JWKS_REFETCH_INTERVAL;
	assert_int_equal(get(fx, "/jwks", "k9", NULL), EID_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fetch, setup, teardown),
		cmocka_unit_test(test_max_age_parse),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kid_miss_rate_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_failure_backoff, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
