/* The server's own listening socket (api/http_listen.c): stopping and
 * TLS reloads while clients keep connecting, what a stop waits for, the
 * per-address limit on connections handed over, and bind errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "api/http.h"
#include "crypto/error.h"

static int h_ok(struct eid_http_request *req, struct eid_http_response *res,
		void *app)
{
	(void)req;
	(void)app;
	return eid_http_reply_text(res, 200, "ok");
}

static int h_slow(struct eid_http_request *req, struct eid_http_response *res,
		  void *app)
{
	(void)req;
	(void)app;
	usleep(400 * 1000);
	return eid_http_reply_text(res, 200, "slow");
}

static const struct eid_http_route routes[] = {
	{ "GET", "/ok", false, h_ok },
	{ "GET", "/slow", false, h_slow },
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static size_t discard(void *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* ---- a certificate made here, so TLS needs no files ---- */

struct pem_pair {
	char *cert;
	char *key;
};

static char *bio_text(BIO *b)
{
	char *data = NULL, *out;
	long n = BIO_get_mem_data(b, &data);

	if (n <= 0 || (out = calloc(1, (size_t)n + 1)) == NULL)
		return NULL;
	memcpy(out, data, (size_t)n);
	return out;
}

static void make_cert(const char *cn, long serial, struct pem_pair *out)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());

	assert_non_null(pk);
	assert_non_null(x);
	assert_non_null(cb);
	assert_non_null(kb);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	name = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
						    (const unsigned char *)cn,
						    -1, -1, 0),
			 1);
	assert_int_equal(X509_set_issuer_name(x, name), 1);
	assert_int_equal(X509_set_pubkey(x, pk), 1);
	{
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(
			NULL, NULL, NID_subject_alt_name, "IP:127.0.0.1");

		assert_non_null(ext);
		assert_int_equal(X509_add_ext(x, ext, -1), 1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, pk, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_bio_X509(cb, x), 1);
	assert_int_equal(
		PEM_write_bio_PrivateKey(kb, pk, NULL, NULL, 0, NULL, NULL), 1);
	out->cert = bio_text(cb);
	out->key = bio_text(kb);
	assert_non_null(out->cert);
	assert_non_null(out->key);
	BIO_free(cb);
	BIO_free(kb);
	X509_free(x);
	EVP_PKEY_free(pk);
}

static void pem_free(struct pem_pair *p)
{
	free(p->cert);
	free(p->key);
}

/* ---- servers and clients ---- */

struct server {
	eid_http_server *srv;
	FILE *log;
	unsigned port;
};

static void server_start(struct server *s, unsigned timeout_s,
			 unsigned per_ip, const struct pem_pair *tls)
{
	struct eid_http_options opt = {
		.host = "127.0.0.1", .port = "0", .threads = 2,
		.max_connections = 64, .timeout_s = timeout_s,
		.max_connections_per_ip = per_ip,
	};

	memset(s, 0, sizeof(*s));
	s->log = tmpfile();
	assert_non_null(s->log);
	opt.log = s->log;
	if (tls != NULL) {
		opt.tls_cert = tls->cert;
		opt.tls_key = tls->key;
	}
	assert_int_equal(eid_http_server_start(&opt, routes,
					       sizeof(routes) / sizeof(routes[0]),
					       NULL, &s->srv),
			 EID_OK);
	s->port = eid_http_server_port(s->srv);
	assert_true(s->port > 0);
}

static void server_done(struct server *s)
{
	eid_http_server_stop(s->srv);
	fclose(s->log);
}

/* One request on a new connection; the status, or 0 when none came. */
static long fetch(unsigned port, const char *path, const char *ca_pem)
{
	CURL *c = curl_easy_init();
	struct curl_blob ca;
	char url[128];
	long status = 0;

	assert_non_null(c);
	snprintf(url, sizeof(url), "%s://127.0.0.1:%u%s",
		 ca_pem != NULL ? "https" : "http", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	if (ca_pem != NULL) {
		ca = (struct curl_blob){ .data = (void *)ca_pem,
					 .len = strlen(ca_pem),
					 .flags = CURL_BLOB_COPY };
		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
	}
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	return status;
}

struct load {
	unsigned port;
	const char *ca;          /* both certificates, for TLS; else NULL */
	atomic_bool stopping;    /* set before the server stops */
	atomic_bool done;        /* clients end */
	atomic_uint ok, failed_early, failed_late;
};

static void *client_loop(void *arg)
{
	struct load *l = arg;

	while (!atomic_load(&l->done)) {
		bool late = atomic_load(&l->stopping);

		if (fetch(l->port, "/ok", l->ca) == 200)
			atomic_fetch_add(&l->ok, 1);
		else if (late || atomic_load(&l->stopping))
			atomic_fetch_add(&l->failed_late, 1);
		else
			atomic_fetch_add(&l->failed_early, 1);
	}
	return NULL;
}

#define CLIENTS 4

static void clients_start(struct load *l, pthread_t *t)
{
	for (int i = 0; i < CLIENTS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, client_loop, l), 0);
}

static void clients_end(struct load *l, pthread_t *t)
{
	atomic_store(&l->done, true);
	for (int i = 0; i < CLIENTS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
}

static int connect_raw(unsigned port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send a GET for path on fd (Connection: close); false when it fails. */
static bool raw_send(int fd, const char *path)
{
	char req[256];

	snprintf(req, sizeof(req),
		 "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
		 path);
	return send(fd, req, strlen(req), MSG_NOSIGNAL) == (ssize_t)strlen(req);
}

/* True when nothing arrives on fd for ms milliseconds. */
static bool raw_silent(int fd, long ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 };
	char c;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return recv(fd, &c, 1, MSG_PEEK) == -1;
}

/* The status code of the answer on fd (waiting up to 10 s); 0 when the
 * server closed the connection without one. */
static int raw_status(int fd)
{
	char buf[64] = { 0 };
	int code = 0;
	struct timeval tv = { .tv_sec = 10 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (recv(fd, buf, sizeof(buf) - 1, MSG_WAITALL) >= 12 &&
	    sscanf(buf, "HTTP/1.1 %d", &code) == 1)
		return code;
	return 0;
}

/* Send a GET on fd and read the status line's code; 0 when the server
 * closed the connection without an answer. */
static int raw_get(int fd, const char *path)
{
	return raw_send(fd, path) ? raw_status(fd) : 0;
}

/* ---- tests ---- */

/* Stopping while clients keep opening connections: every request before
 * the stop is answered, nothing aborts, and afterwards the port refuses.
 * Many rounds, since a race shows only now and then. */
static void test_stop_under_load(void **state)
{
	(void)state;
	for (int round = 0; round < 20; round++) {
		struct server s;
		struct load l = { 0 };
		pthread_t t[CLIENTS];
		int fd;

		server_start(&s, 5, 0, NULL);
		l.port = s.port;
		clients_start(&l, t);
		usleep(60 * 1000);
		atomic_store(&l.stopping, true);
		server_done(&s);
		fd = connect_raw(l.port);
		assert_int_equal(fd, -1);
		clients_end(&l, t);
		assert_int_equal(atomic_load(&l.failed_early), 0);
		assert_true(atomic_load(&l.ok) > 0);
	}
}

struct slow_arg {
	unsigned port;
	const char *ca;
	long status;
};

static void *slow_fetch(void *arg)
{
	struct slow_arg *a = arg;

	a->status = fetch(a->port, "/slow", a->ca);
	return NULL;
}

/* A reload under load loses nothing: requests on new connections all
 * succeed, a slow request begun before it finishes on the old
 * certificate, and afterwards only the new certificate is served. */
static void test_tls_reload_under_load(void **state)
{
	struct pem_pair first, second;
	struct server s;
	struct load l = { 0 };
	struct slow_arg slow;
	pthread_t t[CLIENTS], st;
	char *both;

	(void)state;
	make_cert("first", 1, &first);
	make_cert("second", 2, &second);
	both = malloc(strlen(first.cert) + strlen(second.cert) + 1);
	assert_non_null(both);
	strcpy(both, first.cert);
	strcat(both, second.cert);
	server_start(&s, 5, 0, &first);
	assert_int_equal(fetch(s.port, "/ok", first.cert), 200);
	assert_int_equal(fetch(s.port, "/ok", second.cert), 0);

	l.port = s.port;
	l.ca = both;
	clients_start(&l, t);
	slow = (struct slow_arg){ .port = s.port, .ca = first.cert };
	assert_int_equal(pthread_create(&st, NULL, slow_fetch, &slow), 0);
	usleep(100 * 1000);
	for (int i = 0; i < 8; i++) {
		const struct pem_pair *p = i % 2 == 0 ? &second : &first;

		assert_int_equal(eid_http_server_reload_tls(s.srv, p->cert,
							    p->key),
				 EID_OK);
		usleep(20 * 1000);
	}
	assert_int_equal(pthread_join(st, NULL), 0);
	clients_end(&l, t);
	assert_int_equal(slow.status, 200);
	assert_int_equal(atomic_load(&l.failed_early), 0);
	assert_true(atomic_load(&l.ok) > 0);
	/* Eight reloads end on the first certificate; one more: second. */
	assert_int_equal(fetch(s.port, "/ok", first.cert), 200);
	assert_int_equal(eid_http_server_reload_tls(s.srv, second.cert,
						    second.key),
			 EID_OK);
	assert_int_equal(fetch(s.port, "/ok", second.cert), 200);
	assert_int_equal(fetch(s.port, "/ok", first.cert), 0);
	/* A pair that does not load keeps the one being served. */
	assert_int_equal(eid_http_server_reload_tls(s.srv, "nope", "nope"),
			 EID_ECRYPTO);
	assert_int_equal(fetch(s.port, "/ok", second.cert), 200);
	server_done(&s);
	free(both);
	pem_free(&first);
	pem_free(&second);
}

struct stop_arg {
	eid_http_server *srv;
	double took;
};

static void *stop_in_thread(void *arg)
{
	struct stop_arg *a = arg;
	double t0 = now_s();

	eid_http_server_stop(a->srv);
	a->took = now_s() - t0;
	return NULL;
}

/* A connection accepted before the stop, whose request comes a moment
 * later, is still answered; one that never sends a request does not hold
 * the stop for the whole connection timeout (here 20 s). */
static void test_stop_waits_for_accepted(void **state)
{
	struct server s;
	struct stop_arg a;
	pthread_t t;
	int late, silent;

	(void)state;
	server_start(&s, 20, 0, NULL);
	late = connect_raw(s.port);
	silent = connect_raw(s.port);
	assert_true(late >= 0);
	assert_true(silent >= 0);
	usleep(100 * 1000); /* both handed over */
	a = (struct stop_arg){ .srv = s.srv };
	assert_int_equal(pthread_create(&t, NULL, stop_in_thread, &a), 0);
	usleep(300 * 1000);
	assert_int_equal(connect_raw(s.port), -1); /* no longer accepting */
	assert_int_equal(raw_get(late, "/ok"), 200);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(a.took < 10.0);
	close(late);
	close(silent);
	fclose(s.log);
}

/* The per-address limit still applies to connections we hand over. */
static void test_per_ip_limit(void **state)
{
	struct server s;
	int fd[3];

	(void)state;
	server_start(&s, 5, 2, NULL);
	for (int i = 0; i < 3; i++) {
		fd[i] = connect_raw(s.port);
		assert_true(fd[i] >= 0);
	}
	usleep(100 * 1000);
	assert_int_equal(raw_get(fd[2], "/ok"), 0);
	assert_int_equal(raw_get(fd[0], "/ok"), 200);
	assert_int_equal(raw_get(fd[1], "/ok"), 200);
	for (int i = 0; i < 3; i++)
		close(fd[i]);
	server_done(&s);
}

/* With accept_later a client waits in the socket's queue, unanswered,
 * until eid_http_server_accept; then it is served.  (eidd accepts only
 * once it has dropped root and put its seccomp filter in.) */
static void test_accept_later(void **state)
{
	struct eid_http_options opt = {
		.host = "127.0.0.1", .port = "0", .threads = 2,
		.timeout_s = 5, .accept_later = true,
	};
	eid_http_server *srv = NULL;
	FILE *log = tmpfile();
	int fd;

	(void)state;
	assert_non_null(log);
	opt.log = log;
	assert_int_equal(eid_http_server_start(&opt, routes, 1, NULL, &srv),
			 EID_OK);
	fd = connect_raw(eid_http_server_port(srv)); /* the kernel's queue */
	assert_true(fd >= 0);
	assert_true(raw_send(fd, "/ok"));
	assert_true(raw_silent(fd, 300)); /* no answer */
	assert_int_equal(eid_http_server_accept(srv), EID_OK);
	assert_int_equal(eid_http_server_accept(srv), EID_EINVAL);
	assert_int_equal(raw_status(fd), 200);
	close(fd);
	eid_http_server_stop(srv);
	assert_int_equal(eid_http_server_accept(NULL), EID_EINVAL);
	fclose(log);
}

/* At max_connections a new client waits in the socket's queue, as it did
 * when libmicrohttpd listened, and is served once a connection closes. */
static void test_full_server_queues(void **state)
{
	struct eid_http_options opt = {
		.host = "127.0.0.1", .port = "0", .threads = 2,
		.timeout_s = 5, .max_connections = 2,
	};
	eid_http_server *srv = NULL;
	FILE *log = tmpfile();
	int a, b, c;

	(void)state;
	assert_non_null(log);
	opt.log = log;
	assert_int_equal(eid_http_server_start(&opt, routes, 1, NULL, &srv),
			 EID_OK);
	a = connect_raw(eid_http_server_port(srv));
	usleep(100 * 1000);
	b = connect_raw(eid_http_server_port(srv));
	usleep(100 * 1000);
	c = connect_raw(eid_http_server_port(srv)); /* the kernel's queue */
	assert_true(a >= 0 && b >= 0 && c >= 0);
	assert_true(raw_send(c, "/ok"));
	assert_true(raw_silent(c, 300)); /* waits */
	assert_int_equal(raw_get(a, "/ok"), 200); /* then a closes */
	assert_int_equal(raw_status(c), 200);
	assert_int_equal(raw_get(b, "/ok"), 200);
	close(a);
	close(b);
	close(c);
	eid_http_server_stop(srv);
	fclose(log);
}

/* A port in use is an error at start, with nothing left behind. */
static void test_port_in_use(void **state)
{
	struct server s;
	struct eid_http_options opt = { .host = "127.0.0.1" };
	eid_http_server *srv = NULL;
	char port[16];

	(void)state;
	server_start(&s, 5, 0, NULL);
	snprintf(port, sizeof(port), "%u", s.port);
	opt.port = port;
	opt.log = s.log;
	assert_int_equal(eid_http_server_start(&opt, routes, 1, NULL, &srv),
			 EID_EIO);
	assert_null(srv);
	assert_int_equal(fetch(s.port, "/ok", NULL), 200);
	server_done(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stop_under_load),
		cmocka_unit_test(test_tls_reload_under_load),
		cmocka_unit_test(test_stop_waits_for_accepted),
		cmocka_unit_test(test_per_ip_limit),
		cmocka_unit_test(test_accept_later),
		cmocka_unit_test(test_full_server_queues),
		cmocka_unit_test(test_port_in_use),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
