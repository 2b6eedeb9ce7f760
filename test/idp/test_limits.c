/* Address lists (idp/cidr.h), per-address request limits
 * (idp/ratelimit.h) and the configuration keys behind them. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/cidr.h"
#include "idp/config.h"
#include "idp/ratelimit.h"
#include "tmpstore.h"

static void test_cidr_parse(void **state)
{
	struct eid_cidr_list *l = calloc(1, sizeof(*l));
	static const char *const bad[] = {
		"10.0.0.0/33", "::1/129", "10.0.0", "example.org", "10.0.0.1/",
		"10.0.0.1/a", "1.2.3.4/-1", "::ffff:10.0.0.0/95",
	};

	assert_non_null(l);
	assert_int_equal(eid_cidr_list_parse("", l), EID_OK);
	assert_int_equal(l->n, 0);
	assert_false(eid_cidr_list_match(l, "127.0.0.1"));
	assert_int_equal(eid_cidr_list_parse(" 10.0.0.0/8,::1  192.0.2.7,"
					     "2001:db8::/32", l), EID_OK);
	assert_int_equal(l->n, 4);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(eid_cidr_list_parse(bad[i], l),
				 EID_EMALFORMED);
	/* a failed parse leaves the list as it was */
	assert_int_equal(l->n, 4);
	free(l);
}

static void test_cidr_match(void **state)
{
	static const struct {
		const char *addr;
		bool in;
	} cases[] = {
		{ "10.255.1.2", true },       { "::ffff:10.1.1.1", true },
		{ "11.0.0.1", false },        { "::1", true },
		{ "::2", false },             { "192.0.2.7", true },
		{ "192.0.2.8", false },       { "2001:db8:7fff::1", true },
		{ "2001:db8:8000::1", false }, { "172.31.255.255", true },
		{ "172.32.0.0", false },      { "garbage", false },
	};
	struct eid_cidr_list *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	assert_int_equal(eid_cidr_list_parse("10.0.0.0/8 ::1 192.0.2.7 "
					     "2001:db8::/33 172.16.0.0/12", l),
			 EID_OK);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(eid_cidr_list_match(l, cases[i].addr),
				 cases[i].in);
	assert_false(eid_cidr_list_match(l, NULL));
	free(l);
}

static void test_cidr_too_many(void **state)
{
	struct eid_cidr_list *l = calloc(1, sizeof(*l));
	char text[EID_CIDR_MAX * 16 + 32] = "";

	assert_non_null(l);
	for (unsigned i = 0; i <= EID_CIDR_MAX; i++) {
		char one[16];
		snprintf(one, sizeof(one), "10.0.%u.%u ", i / 256, i % 256);
		strcat(text, one);
	}
	assert_int_equal(eid_cidr_list_parse(text, l), EID_ETOOBIG);
	free(l);
}

static void test_ratelimit_window(void **state)
{
	struct tmpstore ts_, *ts = &ts_;
	struct eid_ratelimit_params p = { .window = 60 };
	uint64_t wait = 0;

	/* 20 s into a window */
	tmpstore_clock_now = TMPSTORE_NOW - TMPSTORE_NOW % 60 + 20;
	tmpstore_open(ts, tmpstore_movable_clock);

	p.max[EID_RL_TOKEN] = 3;
	for (int i = 0; i < 3; i++)
		assert_int_equal(eid_ratelimit_hit(ts->store, &p, EID_RL_TOKEN,
						   "192.0.2.1", &wait),
				 EID_OK);
	assert_int_equal(eid_ratelimit_hit(ts->store, &p, EID_RL_TOKEN,
					   "192.0.2.1", &wait),
			 EID_ELIMIT);
	assert_int_equal(wait, 40);
	/* other addresses and classes have their own counters */
	assert_int_equal(eid_ratelimit_hit(ts->store, &p, EID_RL_TOKEN,
					   "192.0.2.2", &wait), EID_OK);
	p.max[EID_RL_LOGIN] = 1;
	assert_int_equal(eid_ratelimit_hit(ts->store, &p, EID_RL_LOGIN,
					   "192.0.2.1", &wait), EID_OK);
	/* 0 is unlimited, and so is an unknown address */
	assert_int_equal(eid_ratelimit_hit(ts->store, &p, EID_RL_CHIP,
					   "192.0.2.1", &wait), EID_OK);
	assert_int_equal(eid_ratelimit_hit(ts->store, &p, EID_RL_TOKEN, "", &wait),
			 EID_OK);
	/* the next window starts afresh */
	assert_int_equal(eid_ratelimit_hit(ts->store, &p, EID_RL_TOKEN,
					   "192.0.2.1", &wait), EID_ELIMIT);
	tmpstore_clock_now += 40;
	assert_int_equal(eid_ratelimit_hit(ts->store, &p, EID_RL_TOKEN,
					   "192.0.2.1", &wait), EID_OK);
	assert_int_equal(eid_ratelimit_hit(ts->store, &p, EID_RL_NCLASSES,
					   "192.0.2.1", &wait),
			 EID_EINVAL);
	tmpstore_close(ts);
}

static int load(struct eid_config *c, const char *text, eid_buf *err)
{
	eid_buf_reset(err);
	return eid_config_load_string(c, "t.conf", text, err);
}

static void test_config_keys(void **state)
{
	struct eid_config c;
	struct eid_ratelimit_params p;
	eid_buf err;

	eid_buf_init(&err, EID_CONFIG_ERR_MAX);
	assert_int_equal(eid_config_defaults(&c), EID_OK);
	assert_string_equal(c.tls.cert_file, "");
	assert_string_equal(c.server.trusted_proxies, "");
	assert_int_equal(c.server.max_connections_per_ip, 256);
	eid_ratelimit_params_from_config(&c, &p);
	assert_int_equal(p.max[EID_RL_TOKEN], 600);
	assert_int_equal(p.window, 60);
	assert_int_equal(load(&c, "[limits]\nlogin = 5\nwindow = 2m\n"
				  "[server]\ntrusted_proxies = 10.0.0.0/8, ::1\n",
			      &err), EID_OK);
	eid_ratelimit_params_from_config(&c, &p);
	assert_int_equal(p.max[EID_RL_LOGIN], 5);
	assert_int_equal(p.window, 120);
	assert_int_equal(load(&c, "[server]\ntrusted_proxies = proxy.lan\n",
			      &err), EID_ECONFIG);
	assert_non_null(strstr(eid_buf_cstr(&err), "CIDR"));
	assert_int_equal(load(&c, "[tls]\ncert_file = /x.crt\n", &err),
			 EID_ECONFIG);
	assert_non_null(strstr(eid_buf_cstr(&err), "set together"));
	assert_int_equal(load(&c, "[tls]\ncert_file = /x.crt\nkey_file = /x.key\n",
			      &err), EID_ECONFIG);
	assert_non_null(strstr(eid_buf_cstr(&err), "must be https"));
	assert_int_equal(load(&c, "[server]\nissuer = https://id.example\n"
				  "[tls]\ncert_file = /x.crt\nkey_file = /x.key\n",
			      &err), EID_OK);
	eid_config_free(&c);
	eid_buf_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_parse),
		cmocka_unit_test(test_cidr_match),
		cmocka_unit_test(test_cidr_too_many),
		cmocka_unit_test(test_ratelimit_window),
		cmocka_unit_test(test_config_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
