/* The shared libcurl client (see httpc.h). */
#define _GNU_SOURCE /* strerror_r returning char * */
#include "idp/httpc.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "crypto/error.h"
#include "crypto/secret.h"

#define DEFAULT_CONNECT_MS 3000L
#define DEFAULT_TIMEOUT_MS 10000L
#define DEFAULT_BACKOFF_MS 200L
#define DEFAULT_MAX_RESPONSE (64u * 1024)
#define MAX_RETRIES 10u
#define HEADER_MAX 256

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

/* The request's headers: Accept, the content type, the token. */
static int make_headers(const struct eid_httpc *h, const char *content_type,
			struct curl_slist **ret)
{
	char line[HEADER_MAX];
	struct curl_slist *l = NULL, *more;
	const char *add[3] = { "Accept: application/json", NULL,
			       h->auth_header };

	if (content_type != NULL) {
		if ((size_t)snprintf(line, sizeof(line), "Content-Type: %s",
				     content_type) >= sizeof(line))
			return EID_EINVAL;
		add[1] = line;
	}
	for (size_t i = 0; i < 3; i++) {
		if (add[i] == NULL)
			continue;
		if ((more = curl_slist_append(l, add[i])) == NULL) {
			curl_slist_free_all(l);
			return EID_ENOMEM;
		}
		l = more;
	}
	*ret = l;
	return EID_OK;
}

static int setup(CURL *c, const struct eid_httpc *h, const char *url,
		 struct curl_slist *hdrs, const void *post, size_t post_len,
		 eid_buf *body)
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
	if (post != NULL) {
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)post_len);
		SET(CURLOPT_POSTFIELDS, post);
	}
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
static int fetch_once(const struct eid_httpc *h, const char *url,
		      struct curl_slist *hdrs, const void *post,
		      size_t post_len, eid_buf *body, long *ret_status)
{
	CURL *c = curl_easy_init();
	CURLcode e;
	long status = 0;
	int r = EID_ENOMEM;

	if (c == NULL)
		goto out;
	eid_buf_reset(body);
	r = setup(c, h, url, hdrs, post, post_len, body);
	if (r != EID_OK)
		goto out;
	e = curl_easy_perform(c);
	if (e != CURLE_OK) {
		r = curl_error(e);
		goto out;
	}
	r = curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK ?
		    EID_OK : EID_EINTERNAL;
	*ret_status = status;
out:
	curl_easy_cleanup(c);
	return r;
}

static bool retryable(const struct eid_httpc *h, int r, long status)
{
	return (r == EID_ETIMEOUT && h->retry_timeouts) ||
	       (r == EID_OK && status >= 500);
}

int eid_httpc_request(const struct eid_httpc *h, const char *url,
		      const char *content_type, const void *post,
		      size_t post_len, eid_buf *body, long *ret_status)
{
	struct curl_slist *hdrs = NULL;
	long backoff = h->backoff_ms, status = 0;
	int r = make_headers(h, content_type, &hdrs);

	for (unsigned attempt = 0; r == EID_OK; attempt++) {
		r = fetch_once(h, url, hdrs, post, post_len, body, &status);
		if (!retryable(h, r, status) || attempt >= h->retries)
			break;
		sleep_ms(backoff);
		backoff *= 2;
		r = EID_OK;
	}
	curl_slist_free_all(hdrs);
	if (r == EID_OK)
		*ret_status = status;
	return r;
}

static int check_options(const struct eid_httpc_options *o)
{
	const char *u = o->url;

	if (u == NULL || strlen(u) > EID_HTTPC_URL_MAX / 2 ||
	    o->max_retries > MAX_RETRIES || o->connect_timeout_ms < 0 ||
	    o->timeout_ms < 0 || o->backoff_ms < 0)
		return EID_ECONFIG;
	if (strncmp(u, "https://", 8) != 0 &&
	    !(o->allow_insecure_http && strncmp(u, "http://", 7) == 0))
		return EID_ECONFIG;
	/* The token goes into a header line. */
	if (o->bearer_token != NULL &&
	    (o->bearer_token[0] == '\0' ||
	     strpbrk(o->bearer_token, "\r\n") != NULL))
		return EID_ECONFIG;
	if (o->cookie != NULL &&
	    (o->bearer_token != NULL || strchr(o->cookie, '=') == NULL ||
	     strpbrk(o->cookie, "\r\n") != NULL))
		return EID_ECONFIG;
	return EID_OK;
}

static int copy_str(const char *s, char **ret)
{
	*ret = NULL;
	if (s == NULL)
		return EID_OK;
	*ret = strdup(s);
	return *ret != NULL ? EID_OK : EID_ENOMEM;
}

int eid_httpc_init(struct eid_httpc *h, const struct eid_httpc_options *o)
{
	eid_buf auth;
	size_t n;
	int r;

	memset(h, 0, sizeof(*h));
	if ((r = check_options(o)) != EID_OK)
		return r;
	h->connect_ms = o->connect_timeout_ms ? o->connect_timeout_ms
					       : DEFAULT_CONNECT_MS;
	h->timeout_ms = o->timeout_ms ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	h->backoff_ms = o->backoff_ms ? o->backoff_ms : DEFAULT_BACKOFF_MS;
	h->retries = o->max_retries;
	h->max_response = o->max_response ? o->max_response
					  : DEFAULT_MAX_RESPONSE;
	h->allow_http = o->allow_insecure_http;
	h->retry_timeouts = o->retry_timeouts;
	if ((r = copy_str(o->url, &h->url)) != EID_OK ||
	    (r = copy_str(o->ca_file, &h->ca_file)) != EID_OK)
		goto out;
	n = strlen(h->url);
	while (n > 0 && h->url[n - 1] == '/')
		h->url[--n] = '\0';
	if (o->bearer_token == NULL && o->cookie == NULL)
		goto out;
	eid_buf_init_secret(&auth, EID_HTTPC_URL_MAX);
	r = o->cookie != NULL
		    ? eid_buf_printf(&auth, "Cookie: %s", o->cookie)
		    : eid_buf_printf(&auth, "Authorization: Bearer %s",
				     o->bearer_token);
	if (r == EID_OK)
		r = eid_buf_take_str(&auth, &h->auth_header);
	eid_buf_free(&auth);
out:
	if (r != EID_OK)
		eid_httpc_free(h);
	return r;
}

void eid_httpc_free(struct eid_httpc *h)
{
	free(h->url);
	eid_free_secret_str(h->auth_header);
	free(h->ca_file);
	memset(h, 0, sizeof(*h));
}

int eid_httpc_read_token(const char *path, bool owner_only, char **ret,
			 eid_buf *why)
{
	char *line = NULL, ebuf[128];
	size_t cap = 0;
	ssize_t n = -1;
	struct stat st;
	FILE *f = fopen(path, "re");

	*ret = NULL;
	if (f == NULL) {
		if (why != NULL)
			(void)eid_buf_printf(why, "%s: %s", path,
					     strerror_r(errno, ebuf,
							sizeof(ebuf)));
		return EID_ECONFIG;
	}
	/* A credential others can read is a leaked credential. */
	if (fstat(fileno(f), &st) != 0) {
		if (why != NULL)
			(void)eid_buf_printf(why, "%s: %s", path,
					     strerror_r(errno, ebuf,
							sizeof(ebuf)));
		fclose(f);
		return EID_ECONFIG;
	}
	if (owner_only && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		fclose(f);
		if (why != NULL)
			(void)eid_buf_printf(why, "%s: its group or others may "
					     "read it (chmod 600)", path);
		return EID_ECONFIG;
	}
	n = getline(&line, &cap, f);
	fclose(f);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n > 0 && (size_t)n <= EID_HTTPC_TOKEN_MAX) {
		*ret = line;
		return EID_OK;
	}
	if (line != NULL)
		eid_free_secret(line, cap);
	if (why != NULL)
		(void)eid_buf_printf(why, "%s: cannot read a token (its first "
				     "line, 1 to %u bytes)", path,
				     EID_HTTPC_TOKEN_MAX);
	return EID_ECONFIG;
}

bool eid_httpc_loopback_http(const char *url)
{
	static const char *const hosts[] = { "http://127.0.0.1",
					     "http://[::1]", "http://localhost" };

	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(hosts[i]);

		if (strncmp(url, hosts[i], n) == 0 &&
		    (url[n] == ':' || url[n] == '/' || url[n] == '\0'))
			return true;
	}
	return false;
}
