#define _GNU_SOURCE /* strcasestr */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "api/http.h"
#include "crypto/error.h"

#define MAX_BODY 1024

/* ---- test routes ---- */

static int h_json(struct eid_http_request *req, struct eid_http_response *res,
		  void *app)
{
	json_t *o = json_pack("{s:b, s:s, s:b}", "ok", 1, "method",
			      eid_http_method(req), "loopback",
			      eid_http_is_loopback(req));
	int r = eid_http_reply_json(res, 200, o);

	json_decref(o);
	return r;
}

static const char *rc_name(int r)
{
	return r == EID_OK ? "ok" : eid_errname(r);
}

/* Reports what each lookup of "a" returned. */
static int h_params(struct eid_http_request *req,
		    struct eid_http_response *res, void *app)
{
	const char *q = NULL, *f = NULL, *p = NULL;
	int rq = eid_http_query_param(req, "a", &q);
	int rf = eid_http_form_param(req, "a", &f);
	int rp = eid_http_param(req, "a", &p);
	json_t *o = json_pack("{s:s, s:s?, s:s, s:s?, s:s, s:s?, s:s}",
			      "query", rc_name(rq), "q", rq ? NULL : q,
			      "form", rc_name(rf), "f", rf ? NULL : f,
			      "param", rc_name(rp), "p", rp ? NULL : p,
			      "raw_query", eid_http_query(req));
	int r = eid_http_reply_json(res, 200, o);

	json_decref(o);
	return r;
}

static int h_fail(struct eid_http_request *req, struct eid_http_response *res,
		  void *app)
{
	return EID_EIO;
}

static int h_noreply(struct eid_http_request *req,
		     struct eid_http_response *res, void *app)
{
	return EID_OK;
}

static int h_cookie(struct eid_http_request *req,
		    struct eid_http_response *res, void *app)
{
	const char *sid = eid_http_cookie(req, "sid");
	const struct eid_http_cookie_opts opts = {
		.path = "/", .max_age = 600, .http_only = true, .secure = true,
		.same_site = EID_HTTP_SAMESITE_STRICT,
	};
	int r = eid_http_set_cookie(res, "next", "v1", &opts);

	if (r == EID_OK)
		r = eid_http_reply_text(res, 200, sid != NULL ? sid : "(none)");
	return r;
}

/* Every attempt to smuggle a header must be refused. */
static int h_inject(struct eid_http_request *req,
		    struct eid_http_response *res, void *app)
{
	const struct eid_http_cookie_opts opts = { .max_age = -1 };
	const struct eid_http_cookie_opts none_insecure = {
		.max_age = -1, .same_site = EID_HTTP_SAMESITE_NONE,
	};
	int refused = 0;

	refused += eid_http_set_header(res, "X-A", "v\r\nSet-Cookie: evil=1") == EID_EINVAL;
	refused += eid_http_set_header(res, "X-B", "v\nX-Evil: 1") == EID_EINVAL;
	refused += eid_http_set_header(res, "X-Evil:", "1") == EID_EINVAL;
	refused += eid_http_set_header(res, "Bad Name", "1") == EID_EINVAL;
	refused += eid_http_set_header(res, "Content-Length", "0") == EID_EINVAL;
	refused += eid_http_set_cookie(res, "c", "a;evil=1", &opts) == EID_EINVAL;
	refused += eid_http_set_cookie(res, "c=", "x", &opts) == EID_EINVAL;
	refused += eid_http_set_cookie(res, "c", "x", &none_insecure) == EID_EINVAL;
	refused += eid_http_reply_redirect(res, 302, "/x\r\nX-Evil: 1") == EID_EINVAL;
	refused += eid_http_reply_redirect(res, 301, "/x") == EID_EINVAL;
	refused += eid_http_reply_oauth_error(res, 400, "bad\"q", NULL) == EID_EINVAL;
	refused += eid_http_reply_json(res, 99, json_true()) == EID_EINVAL;
	return eid_http_reply_text(res, 200, refused == 12 ? "all refused" : "leak");
}

static int h_redirect(struct eid_http_request *req,
		      struct eid_http_response *res, void *app)
{
	return eid_http_reply_redirect(res, 303, "https://rp.example/cb?code=x");
}

static int h_html(struct eid_http_request *req, struct eid_http_response *res,
		  void *app)
{
	int r = eid_http_set_header(res, "Cache-Control", "public, max-age=60");

	if (r == EID_OK)
		r = eid_http_reply_html(res, 200, "<p>hi</p>");
	return r;
}

static int h_challenge(struct eid_http_request *req,
		       struct eid_http_response *res, void *app)
{
	return eid_http_reply_oauth_challenge(res, "Bearer", "invalid_token",
					      "token expired");
}

static int h_static(struct eid_http_request *req,
		    struct eid_http_response *res, void *app)
{
	return eid_http_reply_text(res, 200, eid_http_path(req));
}

static int h_slow(struct eid_http_request *req, struct eid_http_response *res,
		  void *app)
{
	usleep(300 * 1000);
	return eid_http_reply_text(res, 200, "slow");
}

static int h_body(struct eid_http_request *req, struct eid_http_response *res,
		  void *app)
{
	size_t n = 0;
	char text[32];

	(void)eid_http_body(req, &n);
	snprintf(text, sizeof(text), "%zu", n);
	return eid_http_reply_text(res, 200, text);
}

/* A body written into a buffer and handed over without a copy; it
 * replaces an earlier reply, and a secret buffer is refused. */
static int h_buf(struct eid_http_request *req, struct eid_http_response *res,
		 void *app)
{
	eid_buf b, s;
	int r;

	eid_buf_init(&b, 64);
	eid_buf_init_secret(&s, 64);
	r = eid_http_reply_text(res, 500, "replaced");
	if (r == EID_OK)
		r = eid_buf_put_str(&b, "{\"taken\":true}");
	if (r == EID_OK)
		r = eid_buf_put_str(&s, "{}");
	if (r == EID_OK &&
	    (eid_http_reply_buf(res, 200, "application/json", &s) !=
		     EID_EINVAL ||
	     eid_http_reply_buf(res, 99, "application/json", &b) !=
		     EID_EINVAL))
		r = EID_EINTERNAL;
	if (r == EID_OK)
		r = eid_http_reply_buf(res, 201, "application/json", &b);
	if (r == EID_OK && (b.len != 0 || b.data != NULL))
		r = EID_EINTERNAL;
	eid_buf_free(&b);
	eid_buf_free(&s);
	return r;
}

static const struct eid_http_route routes[] = {
	{ "GET", "/json", false, h_json },
	{ "GET", "/buf", false, h_buf },
	{ "GET", "/params", false, h_params },
	{ "POST", "/params", false, h_params },
	{ "GET", "/fail", false, h_fail },
	{ "GET", "/noreply", false, h_noreply },
	{ "GET", "/cookie", false, h_cookie },
	{ "GET", "/inject", false, h_inject },
	{ "GET", "/redirect", false, h_redirect },
	{ "GET", "/html", false, h_html },
	{ "GET", "/challenge", false, h_challenge },
	{ "GET", "/static/", true, h_static },
	{ "GET", "/static/exact", false, h_json },
	{ "GET", "/slow", false, h_slow },
	{ "POST", "/body", false, h_body },
	{ "PUT", "/body", false, h_body },
};

/* ---- fixture and client ---- */

struct fixture {
	eid_http_server *srv;
	FILE *log;
	unsigned port;
};

static int fixture_start(struct fixture *fx, bool access_log)
{
	struct eid_http_options opt = {
		.host = "127.0.0.1", .port = "0", .threads = 2,
		.max_body = MAX_BODY, .max_connections = 64, .timeout_s = 5,
		.access_log = access_log,
	};

	memset(fx, 0, sizeof(*fx));
	fx->log = tmpfile();
	if (fx->log == NULL)
		return -1;
	opt.log = fx->log;
	if (eid_http_server_start(&opt, routes, sizeof(routes) / sizeof(routes[0]),
				  NULL, &fx->srv) != EID_OK)
		return -1;
	fx->port = eid_http_server_port(fx->srv);
	return fx->port > 0 ? 0 : -1;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL || fixture_start(fx, true) != 0)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	eid_http_server_stop(fx->srv);
	fclose(fx->log);
	free(fx);
	return 0;
}

struct sink {
	char data[16384];
	size_t len;
};

struct reply {
	long status;
	struct sink body;
	struct sink head;
};

static size_t sink_write(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	size_t len = size * n;

	if (len >= sizeof(s->data) - s->len)
		return 0;
	memcpy(s->data + s->len, p, len);
	s->len += len;
	s->data[s->len] = '\0';
	return len;
}

struct req_opts {
	const char *method;
	const char *body;
	size_t body_len;
	const char *content_type;
	const char *cookie;
	bool head;
};

static CURLcode http(unsigned port, const char *target,
		     const struct req_opts *o, struct reply *out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	char url[1024], ct[256];
	CURLcode rc;

	memset(out, 0, sizeof(*out));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, target);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &out->head);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	if (o != NULL && o->method != NULL)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, o->method);
	if (o != NULL && o->head)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (o != NULL && o->body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, o->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)o->body_len);
	}
	if (o != NULL && o->content_type != NULL) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", o->content_type);
		hdrs = curl_slist_append(hdrs, ct);
	}
	if (o != NULL && o->cookie != NULL)
		curl_easy_setopt(c, CURLOPT_COOKIE, o->cookie);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return rc;
}

static void get(const struct fixture *fx, const char *target, struct reply *out)
{
	assert_int_equal(http(fx->port, target, NULL, out), CURLE_OK);
}

static void post_form(const struct fixture *fx, const char *target,
		      const char *body, struct reply *out)
{
	struct req_opts o = {
		.body = body, .body_len = strlen(body),
		.content_type = "application/x-www-form-urlencoded",
	};

	assert_int_equal(http(fx->port, target, &o, out), CURLE_OK);
}

/* "Name: value" is one of the response's header lines. */
static bool has_header(const struct reply *r, const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "\n%s\r\n", line);
	return strcasestr(r->head.data, want) != NULL;
}

static json_t *body_json(const struct reply *r)
{
	json_t *j = json_loadb(r->body.data, r->body.len, 0, NULL);

	assert_non_null(j);
	return j;
}

static void assert_json_str(const json_t *o, const char *key, const char *want)
{
	const char *v = json_string_value(json_object_get(o, key));

	if (v == NULL || strcmp(v, want) != 0)
		fail_msg("%s: got %s, want %s", key, v ? v : "(null)", want);
}

static void assert_error_body(const struct reply *r, const char *error)
{
	json_t *j = body_json(r);

	assert_json_str(j, "error", error);
	json_decref(j);
	assert_true(has_header(r, "Content-Type: application/json"));
}

/* ---- tests ---- */

static void test_json_and_security_headers(void **state)
{
	struct fixture *fx = *state;
	struct reply r;
	json_t *j;

	get(fx, "/json", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, "{\"ok\":true,\"method\":\"GET\",\"loopback\":true}");
	assert_true(has_header(&r, "Content-Type: application/json"));
	assert_true(has_header(&r, "Cache-Control: no-store"));
	assert_true(has_header(&r, "Pragma: no-cache"));
	assert_true(has_header(&r, "X-Content-Type-Options: nosniff"));
	assert_true(has_header(&r, "X-Frame-Options: DENY"));
	assert_true(has_header(&r, "Referrer-Policy: no-referrer"));
	assert_true(has_header(&r, "Content-Security-Policy: " EID_HTTP_CSP_STRICT));
	assert_non_null(strcasestr(r.head.data, "\nX-Request-Id: "));
	j = body_json(&r);
	json_decref(j);
}

static void test_reply_buf(void **state)
{
	struct fixture *fx = *state;
	struct reply r;

	get(fx, "/buf", &r);
	assert_int_equal(r.status, 201);
	assert_string_equal(r.body.data, "{\"taken\":true}");
	assert_true(has_header(&r, "Content-Type: application/json"));
	assert_true(has_header(&r, "X-Content-Type-Options: nosniff"));
}

static void test_html_csp_and_cache_override(void **state)
{
	struct fixture *fx = *state;
	struct reply r;

	get(fx, "/html", &r);
	assert_int_equal(r.status, 200);
	assert_true(has_header(&r, "Content-Type: text/html; charset=utf-8"));
	assert_true(has_header(&r, "Content-Security-Policy: " EID_HTTP_CSP_HTML));
	assert_true(has_header(&r, "Cache-Control: public, max-age=60"));
	assert_null(strcasestr(r.head.data, "\nPragma:"));
	assert_string_equal(r.body.data, "<p>hi</p>");
}

static void test_not_found(void **state)
{
	struct fixture *fx = *state;
	struct reply r;

	get(fx, "/nope", &r);
	assert_int_equal(r.status, 404);
	assert_error_body(&r, "not_found");
	assert_true(has_header(&r, "X-Frame-Options: DENY"));
	/* Exact match is byte for byte: no decoding, no trailing slash. */
	get(fx, "/jso%6E", &r);
	assert_int_equal(r.status, 404);
	get(fx, "/json/", &r);
	assert_int_equal(r.status, 404);
}

static void test_method_not_allowed(void **state)
{
	struct fixture *fx = *state;
	struct req_opts o = { .method = "DELETE" };
	struct reply r;

	assert_int_equal(http(fx->port, "/params", &o, &r), CURLE_OK);
	assert_int_equal(r.status, 405);
	assert_true(has_header(&r, "Allow: GET, HEAD, POST"));
	assert_error_body(&r, "method_not_allowed");
	post_form(fx, "/json", "a=1", &r);
	assert_int_equal(r.status, 405);
	assert_true(has_header(&r, "Allow: GET, HEAD"));
}

static void test_head(void **state)
{
	struct fixture *fx = *state;
	struct req_opts o = { .head = true };
	struct reply r;

	assert_int_equal(http(fx->port, "/json", &o, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body.len, 0);
	assert_true(has_header(&r, "Content-Type: application/json"));
	assert_true(has_header(&r, "X-Frame-Options: DENY"));
}

static void test_prefix_routes(void **state)
{
	struct fixture *fx = *state;
	struct reply r;

	get(fx, "/static/css/site.css", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, "/static/css/site.css");
	get(fx, "/static/exact", &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "\"ok\":true"));
}

static void test_query_and_form_params(void **state)
{
	struct fixture *fx = *state;
	struct reply r;
	json_t *j;

	get(fx, "/params?a=x%20y+z&b=2", &r);
	assert_int_equal(r.status, 200);
	j = body_json(&r);
	assert_json_str(j, "query", "ok");
	assert_json_str(j, "q", "x y z");
	assert_json_str(j, "form", "EID_ENOTFOUND");
	assert_json_str(j, "param", "ok");
	assert_json_str(j, "p", "x y z");
	assert_json_str(j, "raw_query", "a=x%20y+z&b=2");
	json_decref(j);

	post_form(fx, "/params", "a=%C4%91&b=1", &r);
	assert_int_equal(r.status, 200);
	j = body_json(&r);
	assert_json_str(j, "query", "EID_ENOTFOUND");
	assert_json_str(j, "form", "ok");
	assert_json_str(j, "f", "\xc4\x91");
	assert_json_str(j, "p", "\xc4\x91");
	json_decref(j);
}

static void test_duplicate_params(void **state)
{
	struct fixture *fx = *state;
	struct reply r;
	json_t *j;

	get(fx, "/params?a=1&a=2", &r);
	j = body_json(&r);
	assert_json_str(j, "query", "EID_EINVAL");
	assert_json_str(j, "param", "EID_EINVAL");
	json_decref(j);

	/* Once in the query and once in the body is a repeat too. */
	post_form(fx, "/params?a=1", "a=2", &r);
	j = body_json(&r);
	assert_json_str(j, "query", "ok");
	assert_json_str(j, "form", "ok");
	assert_json_str(j, "param", "EID_EINVAL");
	json_decref(j);
}

static void test_malformed_params(void **state)
{
	struct fixture *fx = *state;
	struct reply r;

	get(fx, "/params?a=%zz", &r);
	assert_int_equal(r.status, 400);
	assert_error_body(&r, "invalid_request");
	post_form(fx, "/params", "a=%00", &r);
	assert_int_equal(r.status, 400);
	assert_error_body(&r, "invalid_request");
}

static void test_body_too_large(void **state)
{
	struct fixture *fx = *state;
	char *big = malloc(MAX_BODY + 1);
	struct req_opts o = { .body = big, .body_len = MAX_BODY + 1,
			      .content_type = "application/octet-stream" };
	struct reply r;

	assert_non_null(big);
	memset(big, 'x', MAX_BODY + 1);
	assert_int_equal(http(fx->port, "/body", &o, &r), CURLE_OK);
	assert_int_equal(r.status, 413);
	assert_error_body(&r, "invalid_request");
	o.body_len = MAX_BODY;
	assert_int_equal(http(fx->port, "/body", &o, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, "1024");
	free(big);
}

struct chunked_src {
	size_t left;
};

static size_t chunked_read(char *p, size_t size, size_t n, void *ud)
{
	struct chunked_src *s = ud;
	size_t len = size * n < s->left ? size * n : s->left;

	if (len > 100)
		len = 100;
	memset(p, 'y', len);
	s->left -= len;
	return len;
}

/* Without a Content-Length the cap is enforced while reading. */
static void test_chunked_body_too_large(void **state)
{
	struct fixture *fx = *state;
	struct chunked_src src = { 3 * MAX_BODY };
	struct curl_slist *hdrs = curl_slist_append(NULL, "Transfer-Encoding: chunked");
	struct reply r;
	char url[128];
	CURL *c = curl_easy_init();

	memset(&r, 0, sizeof(r));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/body", fx->port);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(c, CURLOPT_READFUNCTION, chunked_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &src);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	assert_int_equal(r.status, 413);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
}

static void test_cookies(void **state)
{
	struct fixture *fx = *state;
	struct req_opts o = { .cookie = "theme=dark; sid=abc123" };
	struct reply r;

	assert_int_equal(http(fx->port, "/cookie", &o, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, "abc123");
	assert_true(has_header(&r, "Set-Cookie: next=v1; Path=/; Max-Age=600; "
				   "HttpOnly; Secure; SameSite=Strict"));
	o.cookie = "sid=one; sid=two";
	assert_int_equal(http(fx->port, "/cookie", &o, &r), CURLE_OK);
	assert_string_equal(r.body.data, "(none)");
	get(fx, "/cookie", &r);
	assert_string_equal(r.body.data, "(none)");
}

static void test_handler_errors(void **state)
{
	struct fixture *fx = *state;
	struct reply r;
	char line[1024];
	bool logged = false;

	get(fx, "/fail", &r);
	assert_int_equal(r.status, 500);
	assert_string_equal(r.body.data, "{\"error\":\"server_error\"}");
	assert_true(has_header(&r, "Cache-Control: no-store"));
	get(fx, "/noreply", &r);
	assert_int_equal(r.status, 500);
	assert_error_body(&r, "server_error");

	rewind(fx->log);
	while (fgets(line, sizeof(line), fx->log) != NULL)
		logged |= strstr(line, "\"error\":\"EID_EIO\"") != NULL;
	fseek(fx->log, 0, SEEK_END);
	assert_true(logged);
}

static void test_header_injection_refused(void **state)
{
	struct fixture *fx = *state;
	struct reply r;

	get(fx, "/inject", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, "all refused");
	assert_null(strcasestr(r.head.data, "evil"));
}

static void test_redirect_and_challenge(void **state)
{
	struct fixture *fx = *state;
	struct reply r;

	get(fx, "/redirect", &r);
	assert_int_equal(r.status, 303);
	assert_true(has_header(&r, "Location: https://rp.example/cb?code=x"));
	get(fx, "/challenge", &r);
	assert_int_equal(r.status, 401);
	assert_true(has_header(&r, "WWW-Authenticate: Bearer error=\"invalid_token\", "
				   "error_description=\"token expired\""));
	assert_string_equal(r.body.data, "{\"error\":\"invalid_token\","
					 "\"error_description\":\"token expired\"}");
}

/* Bytes no client library would send: the server answers or closes, and
 * keeps serving. */
static void test_malformed_request_lines(void **state)
{
	struct fixture *fx = *state;
	static const char *const raw[] = {
		"GARBAGE\r\n\r\n",
		"GET /json?a=%zz HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /js on HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /json HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
		"GET /\xff\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
		"\r\n\r\n\r\n",
	};
	struct sockaddr_in sa = { .sin_family = AF_INET };
	/* MHD waits out the idle timeout on a request that never starts. */
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200 * 1000 };
	struct reply r;
	char buf[2048];

	sa.sin_port = htons((uint16_t)fx->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(fd >= 0);
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
		assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_true(write(fd, raw[i], strlen(raw[i])) > 0);
		shutdown(fd, SHUT_WR);
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	get(fx, "/json", &r);
	assert_int_equal(r.status, 200);
}

static void *client_thread(void *arg)
{
	const struct fixture *fx = arg;
	struct reply *r = malloc(sizeof(*r));
	intptr_t bad = 0;

	for (int i = 0; r != NULL && i < 25; i++)
		if (http(fx->port, "/params?a=1", NULL, r) != CURLE_OK ||
		    r->status != 200 || strstr(r->body.data, "\"q\":\"1\"") == NULL)
			bad++;
	free(r);
	return (void *)bad;
}

static void test_concurrent_requests(void **state)
{
	struct fixture *fx = *state;
	pthread_t t[6];
	void *bad;

	for (size_t i = 0; i < 6; i++)
		assert_int_equal(pthread_create(&t[i], NULL, client_thread, fx), 0);
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(pthread_join(t[i], &bad), 0);
		assert_int_equal((intptr_t)bad, 0);
	}
}

/* Every line a valid JSON object with the documented fields; no query. */
static void check_access_log(FILE *log)
{
	char line[2048];
	size_t n = 0;
	bool saw_json = false;

	rewind(log);
	while (fgets(line, sizeof(line), log) != NULL) {
		json_error_t err;
		json_t *j = json_loads(line, 0, &err);
		if (j == NULL)
			fail_msg("not JSON: %s (%s)", line, err.text);
		assert_null(strstr(line, "secret"));
		if (json_object_get(j, "status") != NULL) {
			assert_true(json_is_string(json_object_get(j, "ts")));
			assert_int_equal(strlen(json_string_value(json_object_get(j, "ts"))), 24);
			assert_true(json_is_string(json_object_get(j, "id")));
			assert_json_str(j, "remote", "127.0.0.1");
			assert_true(json_is_integer(json_object_get(j, "bytes")));
			assert_true(json_is_number(json_object_get(j, "ms")));
			if (strcmp(json_string_value(json_object_get(j, "path")), "/json") == 0) {
				assert_json_str(j, "method", "GET");
				assert_int_equal(json_integer_value(json_object_get(j, "status")), 200);
				saw_json = true;
			}
			n++;
		}
		json_decref(j);
	}
	assert_true(n >= 3);
	assert_true(saw_json);
}

static void test_access_log(void **state)
{
	struct fixture fx;
	struct reply r;

	assert_int_equal(fixture_start(&fx, true), 0);
	get(&fx, "/json?code=secret", &r);
	get(&fx, "/nope?token=secret", &r);
	get(&fx, "/%E2%80%A8\"x", &r);
	eid_http_server_stop(fx.srv);
	check_access_log(fx.log);
	fclose(fx.log);
}

static void *slow_client(void *arg)
{
	const unsigned *port = arg;
	struct reply *r = malloc(sizeof(*r));
	intptr_t ok;

	ok = r != NULL && http(*port, "/slow", NULL, r) == CURLE_OK &&
	     r->status == 200;
	free(r);
	return (void *)ok;
}

/* Stop finishes what is in flight, then frees. */
static void test_stop_drains_in_flight(void **state)
{
	struct fixture fx;
	pthread_t t;
	void *ok;

	assert_int_equal(fixture_start(&fx, false), 0);
	assert_int_equal(pthread_create(&t, NULL, slow_client, &fx.port), 0);
	usleep(100 * 1000);
	eid_http_server_stop(fx.srv);
	assert_int_equal(pthread_join(t, &ok), 0);
	assert_true((intptr_t)ok);
	fclose(fx.log);
}

static void test_stop_idle_and_start_errors(void **state)
{
	struct eid_http_options opt = { .host = "::1", .port = "0" };
	struct eid_http_route bad = { "GET", "nopath", false, h_json };
	eid_http_server *srv = NULL;
	FILE *log = tmpfile();

	opt.log = log;
	assert_int_equal(eid_http_server_start(&opt, routes, 1, NULL, &srv), EID_OK);
	assert_true(eid_http_server_port(srv) > 0);
	eid_http_server_stop(srv);
	eid_http_server_stop(NULL);

	srv = NULL;
	opt.host = "localhost";
	assert_int_equal(eid_http_server_start(&opt, routes, 1, NULL, &srv), EID_ECONFIG);
	opt.host = "127.0.0.1";
	assert_int_equal(eid_http_server_start(&opt, &bad, 1, NULL, &srv), EID_EINVAL);
	assert_null(srv);
	fclose(log);
}

static void test_sockaddr_listen(void **state)
{
	struct eid_http_options opt = { 0 };
	struct sockaddr_in *in = (struct sockaddr_in *)&opt.addr;
	eid_http_server *srv = NULL;
	struct reply r;
	FILE *log = tmpfile();

	in->sin_family = AF_INET;
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	opt.addr_len = sizeof(*in);
	opt.log = log;
	assert_int_equal(eid_http_server_start(&opt, routes, 1, NULL, &srv), EID_OK);
	assert_int_equal(http(eid_http_server_port(srv), "/json", NULL, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	eid_http_server_stop(srv);
	fclose(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_and_security_headers),
		cmocka_unit_test(test_reply_buf),
		cmocka_unit_test(test_html_csp_and_cache_override),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_method_not_allowed),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_prefix_routes),
		cmocka_unit_test(test_query_and_form_params),
		cmocka_unit_test(test_duplicate_params),
		cmocka_unit_test(test_malformed_params),
		cmocka_unit_test(test_body_too_large),
		cmocka_unit_test(test_chunked_body_too_large),
		cmocka_unit_test(test_cookies),
		cmocka_unit_test(test_handler_errors),
		cmocka_unit_test(test_header_injection_refused),
		cmocka_unit_test(test_redirect_and_challenge),
		cmocka_unit_test(test_malformed_request_lines),
		cmocka_unit_test(test_concurrent_requests),
		cmocka_unit_test(test_access_log),
		cmocka_unit_test(test_stop_drains_in_flight),
		cmocka_unit_test(test_stop_idle_and_start_errors),
		cmocka_unit_test(test_sockaddr_listen),
	};
	int failed;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	failed = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return failed;
}
