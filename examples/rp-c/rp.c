/* A small relying party of eid in C (libcurl, jansson, OpenSSL for PKCE):
 * the authorization code flow with PKCE and client_secret_basic.
 *
 *   eid-rp-example ISSUER CLIENT_ID CLIENT_SECRET PORT
 *
 * It reads the provider's discovery document, prints the authorization
 * URL to open in a browser ("open: URL"), waits on 127.0.0.1:PORT for
 * the redirect to http://127.0.0.1:PORT/cb, exchanges the code at the
 * token endpoint, fetches /userinfo and prints the claims as JSON.
 * Register it first (see README.md).  An example: no TLS pinning, one
 * redirect, minimal HTTP parsing. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#define URL_MAX 4096

struct body {
	char *data;
	size_t len;
};

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t add = size * n;
	char *d;

	if (b->len + add > (1u << 20) ||
	    (d = realloc(b->data, b->len + add + 1)) == NULL)
		return 0;
	memcpy(d + b->len, p, add);
	b->data = d;
	b->len += add;
	d[b->len] = '\0';
	return add;
}

/* GET (form NULL) or POST a form; the JSON answer, or NULL. */
static json_t *http_json(const char *url, const char *form, const char *user,
			 const char *pass, const char *bearer)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	struct body b = { NULL, 0 };
	char auth[URL_MAX];
	json_t *j = NULL;
	long status = 0;

	if (c == NULL)
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (form != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
	if (user != NULL) {
		/* client_secret_basic: both parts form-encoded (RFC 6749 2.3.1) */
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, pass);
	}
	if (bearer != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
		h = curl_slist_append(h, auth);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	}
	if (curl_easy_perform(c) == CURLE_OK &&
	    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
	    b.data != NULL) {
		j = json_loads(b.data, 0, NULL);
		if (status != 200) {
			fprintf(stderr, "%s: HTTP %ld: %s\n", url, status, b.data);
			json_decref(j);
			j = NULL;
		}
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(b.data);
	return j;
}

static void b64url(const unsigned char *in, size_t n, char *out)
{
	int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);

	for (int i = 0; i < len; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
}

/* A random base64url string of n bytes. */
static int random_text(size_t n, char *out)
{
	unsigned char r[32];

	if (n > sizeof(r) || RAND_bytes(r, (int)n) != 1)
		return -1;
	b64url(r, n, out);
	return 0;
}

/* Wait for the browser's GET /cb?code=...&state=...; answer it; copy
 * the query. */
static int wait_redirect(int port, char *query, size_t max)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
				 "Connection: close\r\n\r\nSigned in. You can "
				 "close this window.\n";
	char req[8192];
	int s, c = -1, one = 1, r = -1;
	ssize_t n;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 1) != 0)
		goto out;
	printf("listening: http://127.0.0.1:%d/cb\n", port);
	fflush(stdout);
	if ((c = accept(s, NULL, NULL)) < 0 ||
	    (n = recv(c, req, sizeof(req) - 1, 0)) <= 0)
		goto out;
	req[n] = '\0';
	if (strncmp(req, "GET /cb?", 8) == 0) {
		size_t len = strcspn(req + 8, " \r\n");
		if (len < max) {
			memcpy(query, req + 8, len);
			query[len] = '\0';
			r = 0;
		}
	}
	(void)!write(c, ok, sizeof(ok) - 1);
out:
	if (c >= 0)
		close(c);
	close(s);
	return r;
}

/* The value of name in a query string (percent-decoded by curl). */
static char *query_param(CURL *c, const char *query, const char *name)
{
	size_t nl = strlen(name);

	for (const char *p = query; *p != '\0';) {
		size_t len = strcspn(p, "&");
		if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=')
			return curl_easy_unescape(c, p + nl + 1,
						  (int)(len - nl - 1), NULL);
		p += len + (p[len] == '&');
	}
	return NULL;
}

int main(int argc, char **argv)
{
	char disc[URL_MAX], redirect[128], url[URL_MAX], form[URL_MAX],
		query[4096], verifier[64], challenge[64], state[32];
	unsigned char hash[SHA256_DIGEST_LENGTH];
	json_t *meta = NULL, *tok = NULL, *info = NULL;
	char *code = NULL, *got_state = NULL, *e_redirect = NULL,
	     *e_client = NULL, *e_code = NULL;
	CURL *c = NULL;
	int rc = 1;

	if (argc != 5) {
		fprintf(stderr, "usage: %s ISSUER CLIENT_ID CLIENT_SECRET PORT\n",
			argv[0]);
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = curl_easy_init();
	snprintf(disc, sizeof(disc), "%s/.well-known/openid-configuration", argv[1]);
	snprintf(redirect, sizeof(redirect), "http://127.0.0.1:%d/cb", atoi(argv[4]));
	if (c == NULL || (meta = http_json(disc, NULL, NULL, NULL, NULL)) == NULL ||
	    random_text(32, verifier) != 0 || random_text(16, state) != 0)
		goto out;
	SHA256((const unsigned char *)verifier, strlen(verifier), hash);
	b64url(hash, sizeof(hash), challenge);
	e_redirect = curl_easy_escape(c, redirect, 0);
	e_client = curl_easy_escape(c, argv[2], 0);
	snprintf(url, sizeof(url),
		 "%s?response_type=code&client_id=%s&redirect_uri=%s"
		 "&scope=openid%%20profile&state=%s&code_challenge=%s"
		 "&code_challenge_method=S256",
		 json_string_value(json_object_get(meta, "authorization_endpoint")),
		 e_client, e_redirect, state, challenge);
	printf("open: %s\n", url);
	fflush(stdout);
	if (wait_redirect(atoi(argv[4]), query, sizeof(query)) != 0 ||
	    (got_state = query_param(c, query, "state")) == NULL ||
	    strcmp(got_state, state) != 0 ||
	    (code = query_param(c, query, "code")) == NULL) {
		fprintf(stderr, "the redirect carries no code for us: %s\n", query);
		goto out;
	}
	e_code = curl_easy_escape(c, code, 0);
	snprintf(form, sizeof(form),
		 "grant_type=authorization_code&code=%s&redirect_uri=%s"
		 "&code_verifier=%s", e_code, e_redirect, verifier);
	if ((tok = http_json(json_string_value(json_object_get(meta, "token_endpoint")),
			     form, argv[2], argv[3], NULL)) == NULL ||
	    (info = http_json(json_string_value(json_object_get(meta, "userinfo_endpoint")),
			      NULL, NULL, NULL,
			      json_string_value(json_object_get(tok, "access_token")))) == NULL)
		goto out;
	printf("claims: ");
	json_dumpf(info, stdout, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENSURE_ASCII);
	printf("\n");
	rc = 0;
out:
	curl_free(code);
	curl_free(got_state);
	curl_free(e_redirect);
	curl_free(e_client);
	curl_free(e_code);
	json_decref(meta);
	json_decref(tok);
	json_decref(info);
	if (c != NULL)
		curl_easy_cleanup(c);
	curl_global_cleanup();
	return rc;
}
