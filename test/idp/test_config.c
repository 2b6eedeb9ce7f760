#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/config.h"

struct fixture {
	struct eid_config c;
	eid_buf err;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || eid_config_defaults(&f->c) != EID_OK) {
		free(f);
		return -1;
	}
	eid_buf_init(&f->err, EID_CONFIG_ERR_MAX);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	eid_config_free(&f->c);
	eid_buf_free(&f->err);
	free(f);
	return 0;
}

static int load(struct fixture *f, const char *text)
{
	eid_buf_reset(&f->err);
	return eid_config_load_string(&f->c, "eidd.conf", text, &f->err);
}

/* Loading text must fail with exactly this message. */
static void expect_error(struct fixture *f, const char *text,
			 const char *msg)
{
	assert_int_equal(load(f, text), EID_ECONFIG);
	assert_string_equal(eid_buf_cstr(&f->err), msg);
}

static void test_defaults(void **state)
{
	struct fixture *f = *state;
	const struct eid_config *c = &f->c;

	assert_int_equal(c->server.listen.family, AF_INET);
	assert_string_equal(c->server.listen.addr, "127.0.0.1");
	assert_int_equal(c->server.listen.port, 8080);
	assert_string_equal(c->server.issuer, "http://127.0.0.1:8080");
	assert_int_equal(c->server.threads, 2);
	assert_int_equal(c->server.max_body, 512 * 1024);
	assert_int_equal(c->server.max_connections, 1024);
	assert_int_equal(c->server.connection_timeout, 30);
	assert_string_equal(c->store.data_dir, "var");
	assert_int_equal(c->store.map_size_mb, 8192);
	assert_int_equal(c->store.ephemeral_map_size_mb, 1024);
	assert_string_equal(c->keys.kek_file, "");
	assert_string_equal(c->keys.kek_env, "EID_KEK");
	assert_string_equal(c->keys.algorithm, "ES256");
	assert_int_equal(c->keys.publish_delay, 300);
	assert_int_equal(c->keys.retire_after, 86400);
	assert_int_equal(c->tokens.id_token_ttl, 300);
	assert_int_equal(c->tokens.access_token_ttl, 600);
	assert_int_equal(c->tokens.refresh_token_ttl, 2592000);
	assert_int_equal(c->tokens.code_ttl, 60);
	assert_true(c->log.access_log);
	assert_false(c->demo.enabled);
	assert_string_equal(c->credentials.totp_issuer, "eid");
	/* An empty file and a file of comments change nothing. */
	assert_int_equal(load(f, ""), EID_OK);
	assert_int_equal(load(f, "; comment\n# another\n\n[server]\n"),
			 EID_OK);
	assert_int_equal(c->server.threads, 2);
}

static void test_every_key(void **state)
{
	struct fixture *f = *state;
	const struct eid_config *c = &f->c;
	const char *text =
		"# a full file\n"
		"[server]\n"
		"listen = [::1]:8443\n"
		"issuer = https://id.example.vn/realm\n"
		"threads = 8\n"
		"max_body = 1m\n"
		"max_connections = 4096\n"
		"connection_timeout = 2m\n"
		"\n"
		"[store]\n"
		"data_dir = /var/lib/eid\n"
		"map_size_mb = 16384\n"
		"ephemeral_map_size_mb = 2048\n"
		"[keys]\n"
		"kek_file = /etc/eid/kek\n"
		"kek_env = MY_KEK\n"
		"algorithm = PS256\n"
		"publish_delay = 1h\n"
		"retire_after = 2d\n"
		"[tokens]\n"
		"id_token_ttl = 10m\n"
		"access_token_ttl = 900s\n"
		"refresh_token_ttl = 14d\n"
		"code_ttl = 30\n"
		"[log]\n"
		"access_log = no\n"
		"[demo]\n"
		"enabled = YES ; inline comment\n";

	assert_int_equal(load(f, text), EID_OK);
	assert_int_equal(f->err.len, 0);
	assert_int_equal(c->server.listen.family, AF_INET6);
	assert_string_equal(c->server.listen.addr, "::1");
	assert_int_equal(c->server.listen.port, 8443);
	assert_string_equal(c->server.issuer, "https://id.example.vn/realm");
	assert_int_equal(c->server.threads, 8);
	assert_int_equal(c->server.max_body, 1 << 20);
	assert_int_equal(c->server.max_connections, 4096);
	assert_int_equal(c->server.connection_timeout, 120);
	assert_string_equal(c->store.data_dir, "/var/lib/eid");
	assert_int_equal(c->store.map_size_mb, 16384);
	assert_int_equal(c->store.ephemeral_map_size_mb, 2048);
	assert_string_equal(c->keys.kek_file, "/etc/eid/kek");
	assert_string_equal(c->keys.kek_env, "MY_KEK");
	assert_string_equal(c->keys.algorithm, "PS256");
	assert_int_equal(c->keys.publish_delay, 3600);
	assert_int_equal(c->keys.retire_after, 2 * 86400);
	assert_int_equal(c->tokens.id_token_ttl, 600);
	assert_int_equal(c->tokens.access_token_ttl, 900);
	assert_int_equal(c->tokens.refresh_token_ttl, 14 * 86400);
	assert_int_equal(c->tokens.code_ttl, 30);
	assert_false(c->log.access_log);
	assert_true(c->demo.enabled);

	/* A later load applies over the earlier one. */
	assert_int_equal(load(f, "[server]\nthreads = 3\nmax_body = 4k\n"),
			 EID_OK);
	assert_int_equal(c->server.threads, 3);
	assert_int_equal(c->server.max_body, 4096);
	assert_string_equal(c->keys.algorithm, "PS256");
}

static void test_unknown_key_and_section(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "[server]\nthreads = 4\n\n\n\n\nlisen = 1.2.3.4:80\n",
		     "eidd.conf:7: unknown key 'lisen' in [server]");
	expect_error(f, "; top\n[sever]\nthreads = 4\n",
		     "eidd.conf:2: unknown section [sever]");
	/* An unknown section is refused even with no keys in it. */
	expect_error(f, "[server]\n[extra]\n", "eidd.conf:2: unknown section "
					       "[extra]");
	expect_error(f, "threads = 4\n",
		     "eidd.conf:1: key 'threads' outside any [section]");
	/* Control bytes from the file never reach the message. */
	expect_error(f, "[server]\nab\x01\x1b[2J = 1\n",
		     "eidd.conf:2: unknown key 'ab??[2J' in [server]");
	/* A key of another section. */
	expect_error(f, "[store]\nthreads = 4\n",
		     "eidd.conf:2: unknown key 'threads' in [store]");
}

static void test_duplicate_key(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "[server]\nthreads = 4\n[store]\n[server]\nthreads = 5\n",
		     "eidd.conf:5: duplicate key 'threads' in [server]");
	assert_int_equal(f->c.server.threads, 2);
}

static void test_bad_values(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "[server]\n\nthreads = abc\n",
		     "eidd.conf:3: bad value for 'threads': 'abc' is not a "
		     "number 1-256");
	expect_error(f, "[server]\nthreads = 0\n",
		     "eidd.conf:2: bad value for 'threads': '0' is not a "
		     "number 1-256");
	expect_error(f, "[server]\nthreads = -1\n",
		     "eidd.conf:2: bad value for 'threads': '-1' is not a "
		     "number 1-256");
	expect_error(f, "[server]\nmax_connections = 99999999999999999999999\n",
		     "eidd.conf:2: bad value for 'max_connections': "
		     "'99999999999999999999999' is not a number 1-1000000");
	expect_error(f, "[server]\nconnection_timeout = 5x\n",
		     "eidd.conf:2: bad value for 'connection_timeout': '5x' "
		     "is not a duration of 1-86400 seconds (suffix s, m, h or "
		     "d)");
	expect_error(f, "[server]\nconnection_timeout = 5mm\n",
		     "eidd.conf:2: bad value for 'connection_timeout': '5mm' "
		     "is not a duration of 1-86400 seconds (suffix s, m, h or "
		     "d)");
	expect_error(f, "[server]\nmax_body = 2g\n",
		     "eidd.conf:2: bad value for 'max_body': '2g' is not a "
		     "size of 1-1073741824 bytes (suffix k or m)");
	expect_error(f, "[server]\nlisten = localhost:80\n",
		     "eidd.conf:2: bad value for 'listen': 'localhost:80' is "
		     "not ADDR:PORT (IPv4 or [IPv6]:port, port 1-65535)");
	expect_error(f, "[log]\naccess_log = maybe\n",
		     "eidd.conf:2: bad value for 'access_log': 'maybe' is not "
		     "a boolean (true/false, yes/no, 1/0)");
	expect_error(f, "[keys]\nalgorithm = HS256\n",
		     "eidd.conf:2: bad value for 'algorithm': 'HS256' is not "
		     "one of ES256, RS256, PS256");
	expect_error(f, "[keys]\nkek_env = 1BAD\n",
		     "eidd.conf:2: bad value for 'kek_env': '1BAD' is not an "
		     "environment variable name");
	expect_error(f, "[store]\ndata_dir =\n",
		     "eidd.conf:2: bad value for 'data_dir': '' is not a path");
	expect_error(f, "[credentials]\ntotp_issuer = eid:VN\n",
		     "eidd.conf:2: bad value for 'totp_issuer': 'eid:VN' is not "
		     "a name of 1 to 64 bytes without ':' or control characters");
	expect_error(f, "[credentials]\ntotp_issuer =\n",
		     "eidd.conf:2: bad value for 'totp_issuer': '' is not "
		     "a name of 1 to 64 bytes without ':' or control characters");
	assert_int_equal(load(f, "[credentials]\ntotp_issuer = VNeID Hà Nội\n"),
			 EID_OK);
	assert_string_equal(f->c.credentials.totp_issuer, "VNeID Hà Nội");
	expect_error(f, "[tokens]\ncode_ttl = 1h\n",
		     "eidd.conf:2: bad value for 'code_ttl': '1h' is not a "
		     "duration of 1-600 seconds (suffix s, m, h or d)");
	/* Durations that overflow once scaled. */
	expect_error(f, "[keys]\nretire_after = 999999999999999999d\n",
		     "eidd.conf:2: bad value for 'retire_after': "
		     "'999999999999999999d' is not a duration of 0-31536000 "
		     "seconds (suffix s, m, h or d)");
}

static void test_issuer(void **state)
{
	struct fixture *f = *state;
	const char *ok[] = { "https://id.example.vn", "http://localhost:9000",
			     "http://[::1]:8080/x", "https://a.b/c/d" };
	const char *pre = "eidd.conf:2: bad value for 'issuer': ";
	struct {
		const char *url, *why;
	} bad[] = {
		{ "id.example.vn", "is not an absolute http(s) URL" },
		{ "ftp://id.example.vn", "is not an absolute http(s) URL" },
		{ "http://id.example.vn",
		  "must use https unless the host is loopback" },
		{ "https://id.example.vn/?a=b",
		  "must not have a query or fragment" },
		{ "https://id.example.vn/#f",
		  "must not have a query or fragment" },
		{ "https://u:p@id.example.vn",
		  "must not contain user information" },
		{ "https://id.example.vn/", "must not end with '/'" },
	};
	char text[128], msg[256];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), "[server]\nissuer = %s\n", ok[i]);
		assert_int_equal(load(f, text), EID_OK);
		assert_string_equal(f->c.server.issuer, ok[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[server]\nissuer = %s\n",
			 bad[i].url);
		snprintf(msg, sizeof(msg), "%s'%s' %s", pre, bad[i].url,
			 bad[i].why);
		expect_error(f, text, msg);
	}
}

static void test_listen_flag(void **state)
{
	struct eid_listen l;
	const char *bad[] = { "", ":80", "1.2.3.4", "1.2.3.4:", "1.2.3.4:0",
			      "1.2.3.4:65536", "1.2.3.4:8o", "::1:80",
			      "[::1]", "[1.2.3.4]:80", "1.2.3.4:+80",
			      "[::1]:80x", "1.2.3:80" };

	assert_int_equal(eid_config_parse_listen("0.0.0.0:65535", &l), EID_OK);
	assert_int_equal(l.family, AF_INET);
	assert_int_equal(l.port, 65535);
	assert_int_equal(eid_config_parse_listen("[::]:1", &l), EID_OK);
	assert_int_equal(l.family, AF_INET6);
	assert_string_equal(l.addr, "::");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(eid_config_parse_listen(bad[i], &l),
				 EID_EMALFORMED);
}

static void test_unparsable_lines(void **state)
{
	struct fixture *f = *state;
	char longline[400];

	expect_error(f, "[server]\nthreads 4\n",
		     "eidd.conf:2: cannot parse line (expected [section] or "
		     "key = value)");
	expect_error(f, "[server\nthreads = 4\n",
		     "eidd.conf:1: cannot parse line (expected [section] or "
		     "key = value)");
	expect_error(f, "[server]\nthreads = 4\n  max_body = 5\n",
		     "eidd.conf:3: indented line 'threads' (continuation "
		     "lines are not supported)");
	memset(longline, 'x', sizeof(longline));
	memcpy(longline, "[store]\ndata_dir = ", 19);
	longline[sizeof(longline) - 1] = '\0';
	expect_error(f, longline,
		     "eidd.conf:2: line longer than 197 characters");
	/* The first error is the one told. */
	expect_error(f, "[server]\nbogus = 1\nthreads 4\n",
		     "eidd.conf:2: unknown key 'bogus' in [server]");
	expect_error(f, "[server]\nthreads 4\nbogus = 1\n",
		     "eidd.conf:2: cannot parse line (expected [section] or "
		     "key = value)");
}

static void test_cross_check(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "[keys]\nretire_after = 5m\n[tokens]\n"
			"access_token_ttl = 10m\n",
		     "eidd.conf:4: retire_after (300 s) is shorter than the "
		     "longest token lifetime (600 s): a key must stay "
		     "published while tokens it signed live");
	assert_int_equal(load(f, "[keys]\nretire_after = 10m\n"), EID_OK);
}

static void test_nothing_changed_on_error(void **state)
{
	struct fixture *f = *state;
	const char *issuer = f->c.server.issuer;

	expect_error(f, "[server]\nthreads = 9\nissuer = https://x.vn\n"
			"[store]\ndata_dir = /d\nmap_size_mb = x\n",
		     "eidd.conf:6: bad value for 'map_size_mb': 'x' is not a "
		     "number 1-4194304");
	assert_int_equal(f->c.server.threads, 2);
	assert_ptr_equal(f->c.server.issuer, issuer);
	assert_string_equal(f->c.server.issuer, "http://127.0.0.1:8080");
	assert_string_equal(f->c.store.data_dir, "var");
	/* A NULL error buffer is allowed. */
	assert_int_equal(eid_config_load_string(&f->c, "x", "[x]\n", NULL),
			 EID_ECONFIG);
}

static void test_file(void **state)
{
	struct fixture *f = *state;
	char dir[] = "/tmp/eid-config-XXXXXX";
	char path[64], msg[128];
	FILE *fp;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	assert_int_equal(eid_config_load_file(&f->c, path, &f->err),
			 EID_ECONFIG);
	snprintf(msg, sizeof(msg), "%s: cannot read: No such file or directory",
		 path);
	assert_string_equal(eid_buf_cstr(&f->err), msg);

	snprintf(path, sizeof(path), "%s/eidd.conf", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("[server]\r\nthreads = 7\r\n[demo]\nenabled = 1\n", fp);
	fclose(fp);
	assert_int_equal(eid_config_load_file(&f->c, path, NULL), EID_OK);
	assert_int_equal(f->c.server.threads, 7);
	assert_true(f->c.demo.enabled);

	/* A NUL byte, which a C string could not carry. */
	fp = fopen(path, "w");
	assert_non_null(fp);
	fwrite("[server]\nthreads = 3\0\n", 1, 22, fp);
	fclose(fp);
	eid_buf_reset(&f->err);
	assert_int_equal(eid_config_load_file(&f->c, path, &f->err),
			 EID_ECONFIG);
	snprintf(msg, sizeof(msg), "%s:2: NUL byte in line", path);
	assert_string_equal(eid_buf_cstr(&f->err), msg);
	assert_int_equal(f->c.server.threads, 7);

	/* A directory is not a file. */
	eid_buf_reset(&f->err);
	assert_int_equal(eid_config_load_file(&f->c, dir, &f->err),
			 EID_ECONFIG);
	snprintf(msg, sizeof(msg), "%s: cannot read: Is a directory", dir);
	assert_string_equal(eid_buf_cstr(&f->err), msg);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* [pkcs11]: empty by default, the three keys together or not at all. */
static void test_pkcs11(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(f->c.pkcs11.module, "");
	expect_error(f, "[pkcs11]\nmodule = /usr/lib/softhsm/libsofthsm2.so\n"
			"token_label = eid\n",
		     "eidd.conf:3: module, token_label and pin_file must be "
		     "set together");
	assert_int_equal(load(f, "[pkcs11]\nmodule = /m.so\ntoken_label = eid\n"
				 "pin_file = /etc/eid/pin\n"), EID_OK);
	assert_string_equal(f->c.pkcs11.module, "/m.so");
	assert_string_equal(f->c.pkcs11.token_label, "eid");
	assert_string_equal(f->c.pkcs11.pin_file, "/etc/eid/pin");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_defaults),
		T(test_every_key),
		T(test_unknown_key_and_section),
		T(test_duplicate_key),
		T(test_bad_values),
		T(test_issuer),
		T(test_unparsable_lines),
		T(test_cross_check),
		T(test_nothing_changed_on_error),
		T(test_file),
		T(test_pkcs11),
#undef T
		cmocka_unit_test(test_listen_flag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
