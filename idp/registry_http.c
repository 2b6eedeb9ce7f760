/* The HTTP registry adapter: GET {base_url}/citizens/{personal_id}. */
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/registry.h"

#define URL_MAX 2048
#define DEFAULT_CONNECT_MS 3000L
#define DEFAULT_TIMEOUT_MS 10000L
#define DEFAULT_BACKOFF_MS 200L
#define DEFAULT_MAX_RESPONSE (64u * 1024)
#define MAX_RETRIES 10u

/* Immutable after open, so one adapter serves several threads: each lookup
 * makes its own curl handle. */
struct http_ctx {
	char *base_url; /* without a trailing slash */
	char *auth_header;
	char *ca_file;
	long connect_ms;
	long timeout_ms;
	unsigned retries;
	long backoff_ms;
	size_t max_response;
	bool allow_http;
};

static void http_close(void *p)
{
	struct http_ctx *h = p;

	if (h == NULL)
		return;
	free(h->base_url);
	eid_free_secret_str(h->auth_header);
	free(h->ca_file);
	free(h);
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	eid_buf *body = arg;

	/* Returning less than given makes curl stop with a write error. */
	if (eid_buf_put(body, p, n) != EID_OK)
		return 0;
	return size * n;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int build_url(const struct http_ctx *h, const char *id, eid_buf *url)
{
	int r = eid_buf_printf(url, "%s/citizens/%s", h->base_url, id);

	if (r == EID_OK && eid_buf_cstr(url) == NULL)
		r = EID_ENOMEM;
	return r;
}

static int setup(CURL *c, const struct http_ctx *h, const char *url,
		 struct curl_slist *hdrs, eid_buf *body)
{
	CURLcode e = CURLE_OK;

#define SET(opt, val) \
	if (e == CURLE_OK) \
		e = curl_easy_setopt(c, opt, val)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, h->allow_http ? "https,http" : "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, h->connect_ms);
	SET(CURLOPT_TIMEOUT_MS, h->timeout_ms);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_response);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, body);
	SET(CURLOPT_HTTPHEADER, hdrs);
	if (h->ca_file != NULL)
		SET(CURLOPT_CAINFO, h->ca_file);
#undef SET
	return e == CURLE_OK ? EID_OK : EID_ECONFIG;
}

static int curl_error(CURLcode e)
{
	switch (e) {
	case CURLE_OPERATION_TIMEDOUT:
		return EID_ETIMEOUT;
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		return EID_ETOOBIG;
	case CURLE_OUT_OF_MEMORY:
		return EID_ENOMEM;
	default:
		return EID_ENETWORK;
	}
}

/* One try: EID_OK with *ret_status and the body, or a transport error. */
static int fetch_once(const struct http_ctx *h, const char *url,
		      struct curl_slist *hdrs, eid_buf *body,
		      long *ret_status)
{
	CURL *c = curl_easy_init();
	CURLcode e;
	long status = 0;
	int r = EID_ENOMEM;

	if (c == NULL)
		goto out;
	eid_buf_reset(body);
	r = setup(c, h, url, hdrs, body);
	if (r != EID_OK)
		goto out;
	e = curl_easy_perform(c);
	if (e != CURLE_OK) {
		r = curl_error(e);
		goto out;
	}
	if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) !=
	    CURLE_OK) {
		r = EID_EINTERNAL;
		goto out;
	}
	*ret_status = status;
	r = EID_OK;
out:
	curl_easy_cleanup(c);
	return r;
}

static bool retryable(int r, long status)
{
	return r == EID_ETIMEOUT || (r == EID_OK && status >= 500);
}

static int fetch(const struct http_ctx *h, const char *url,
		 struct curl_slist *hdrs, eid_buf *body, long *ret_status)
{
	long backoff = h->backoff_ms, status = 0;
	int r;

	for (unsigned attempt = 0;; attempt++) {
		r = fetch_once(h, url, hdrs, body, &status);
		if (!retryable(r, status) || attempt >= h->retries)
			break;
		sleep_ms(backoff);
		backoff *= 2;
	}
	if (r != EID_OK)
		return r;
	*ret_status = status;
	return EID_OK;
}

static int decode_reply(long status, const eid_buf *body, const char *id,
			struct eid_citizen *ret)
{
	struct eid_citizen c;
	int r;

	if (status == 404)
		return EID_ENOTFOUND;
	if (status == 401 || status == 403)
		return EID_EPERM;
	if (status >= 500)
		return EID_ENETWORK;
	if (status != 200)
		return EID_EMALFORMED;
	r = eid_citizen_parse_json((const char *)body->data, body->len,
				   (int64_t)time(NULL), &c, NULL);
	if (r != EID_OK)
		return r == EID_ETOOBIG ? r : EID_EMALFORMED;
	if (strcmp(c.personal_id, id) != 0)
		return EID_EMISMATCH;
	*ret = c;
	return EID_OK;
}

static int http_lookup(void *ctx, const char *personal_id,
		       struct eid_citizen *ret)
{
	const struct http_ctx *h = ctx;
	struct eid_personal_id id;
	struct curl_slist *hdrs = NULL, *more;
	eid_buf url, body;
	long status = 0;
	int r;

	eid_buf_init(&url, URL_MAX);
	eid_buf_init(&body, h->max_response);
	r = eid_personal_id_parse(personal_id, &id);
	if (r != EID_OK)
		goto out;
	r = build_url(h, id.digits, &url);
	if (r != EID_OK)
		goto out;
	r = EID_ENOMEM;
	hdrs = curl_slist_append(NULL, "Accept: application/json");
	if (hdrs == NULL)
		goto out;
	if (h->auth_header != NULL) {
		more = curl_slist_append(hdrs, h->auth_header);
		if (more == NULL)
			goto out;
		hdrs = more;
	}
	r = fetch(h, eid_buf_cstr(&url), hdrs, &body, &status);
	if (r != EID_OK)
		goto out;
	r = decode_reply(status, &body, id.digits, ret);
out:
	curl_slist_free_all(hdrs);
	eid_buf_free(&url);
	eid_buf_free(&body);
	return r;
}

static int copy_str(const char *s, char **ret)
{
	if (s == NULL) {
		*ret = NULL;
		return EID_OK;
	}
	*ret = strdup(s);
	return *ret != NULL ? EID_OK : EID_ENOMEM;
}

static int check_options(const struct eid_registry_http_options *o)
{
	const char *u = o->base_url;

	if (u == NULL || strlen(u) > URL_MAX / 2 || o->max_retries > MAX_RETRIES ||
	    o->connect_timeout_ms < 0 || o->timeout_ms < 0 || o->backoff_ms < 0)
		return EID_ECONFIG;
	if (strncmp(u, "https://", 8) != 0 &&
	    !(o->allow_insecure_http && strncmp(u, "http://", 7) == 0))
		return EID_ECONFIG;
	/* The token goes into a header line. */
	if (o->bearer_token != NULL &&
	    (o->bearer_token[0] == '\0' ||
	     strpbrk(o->bearer_token, "\r\n") != NULL))
		return EID_ECONFIG;
	return EID_OK;
}

static int make_ctx(const struct eid_registry_http_options *o,
		    struct http_ctx *h)
{
	eid_buf auth;
	size_t n;
	int r;

	h->connect_ms = o->connect_timeout_ms ? o->connect_timeout_ms
					       : DEFAULT_CONNECT_MS;
	h->timeout_ms = o->timeout_ms ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	h->backoff_ms = o->backoff_ms ? o->backoff_ms : DEFAULT_BACKOFF_MS;
	h->retries = o->max_retries;
	h->max_response = o->max_response ? o->max_response
					  : DEFAULT_MAX_RESPONSE;
	h->allow_http = o->allow_insecure_http;
	r = copy_str(o->base_url, &h->base_url);
	if (r == EID_OK)
		r = copy_str(o->ca_file, &h->ca_file);
	if (r != EID_OK || o->bearer_token == NULL)
		goto trim;
	eid_buf_init_secret(&auth, URL_MAX);
	r = eid_buf_printf(&auth, "Authorization: Bearer %s", o->bearer_token);
	if (r == EID_OK)
		r = eid_buf_take_str(&auth, &h->auth_header);
	eid_buf_free(&auth);
trim:
	n = h->base_url != NULL ? strlen(h->base_url) : 0;
	while (n > 0 && h->base_url[n - 1] == '/')
		h->base_url[--n] = '\0';
	return r;
}

int eid_registry_open_http(const struct eid_registry_http_options *opt,
			   eid_registry *ret)
{
	struct http_ctx *h = NULL;
	int r;

	if (opt == NULL || ret == NULL)
		return EID_EINVAL;
	r = check_options(opt);
	if (r != EID_OK)
		return r;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return EID_ENOMEM;
	r = make_ctx(opt, h);
	if (r != EID_OK) {
		http_close(h);
		return r;
	}
	ret->lookup = http_lookup;
	ret->close = http_close;
	ret->ctx = h;
	return EID_OK;
}
