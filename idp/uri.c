/* Private-use schemes are checked by hand: curl's parser reads
 * "vn.gov.app:/callback" as if "callback" were a host, so it only sees
 * http(s) URIs here. */
#include "idp/uri.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "crypto/error.h"

static int fail(eid_buf *why, const char *reason)
{
	if (why != NULL)
		(void)eid_buf_put_str(why, reason);
	return EID_EMALFORMED;
}

bool eid_uri_host_is_loopback(const char *host)
{
	return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "[::1]") == 0 ||
	       strcmp(host, "::1") == 0 || strcasecmp(host, "localhost") == 0;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s <= ' ' || *s >= 0x7f)
			return false;
	return true;
}

/* RFC 3986 scheme with at least one dot (RFC 8252 7.1), then ":/" and a
 * path without "//" authority. */
static int check_private_scheme(const char *uri, eid_buf *why)
{
	const char *colon = strchr(uri, ':'), *slash = strchr(uri, '/');
	bool dot = false;

	if (colon == NULL || colon == uri || (slash != NULL && slash < colon) ||
	    !isalpha((unsigned char)uri[0]))
		return fail(why, "is not an absolute URI");
	for (const char *p = uri; p < colon; p++) {
		if (*p == '.')
			dot = true;
		else if (!islower((unsigned char)*p) &&
			 !isdigit((unsigned char)*p) && *p != '+' && *p != '-')
			return fail(why, "has a scheme that is not lower-case "
					 "letters, digits, '+', '-', '.'");
	}
	if (!dot)
		return fail(why, "uses a scheme other than https that is not "
				 "a reverse domain name (RFC 8252)");
	if (colon[1] != '/' || colon[2] == '/')
		return fail(why, "of a native app must be SCHEME:/PATH");
	return EID_OK;
}

/* The parts curl found; r is EID_OK or the refusal. */
static int check_web_parts(CURLU *u, const char *uri, eid_buf *why)
{
	char *host = NULL, *user = NULL;
	int r = EID_OK;

	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    host[0] == '\0')
		r = fail(why, "has no host");
	else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
		r = fail(why, "has a user name or password");
	else if (strncmp(uri, "http://", 7) == 0 &&
		 !eid_uri_host_is_loopback(host))
		r = fail(why, "uses http on a host that is not loopback "
			      "(127.0.0.1, [::1], localhost)");
	curl_free(host);
	curl_free(user);
	return r;
}

static int check_web(const char *uri, eid_buf *why)
{
	CURLU *u;
	int r;

	if (strncmp(uri, "https://", 8) != 0 && strncmp(uri, "http://", 7) != 0)
		return fail(why, "is not an https URL");
	/* curl reads "https:///cb" as host "cb": browsers do not agree. */
	if (strstr(uri, ":///") != NULL)
		return fail(why, "has no host");
	u = curl_url();
	if (u == NULL)
		return EID_ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, uri, 0) != CURLUE_OK)
		r = fail(why, "is not a valid URL");
	else
		r = check_web_parts(u, uri, why);
	curl_url_cleanup(u);
	return r;
}

int eid_uri_check(const char *uri, enum eid_uri_kind kind, eid_buf *why)
{
	if (uri == NULL || uri[0] == '\0')
		return fail(why, "is empty");
	if (strlen(uri) > EID_URI_MAX)
		return fail(why, "is longer than 2048 bytes");
	if (!printable(uri))
		return fail(why, "has spaces, control or non-ASCII characters");
	if (strchr(uri, '#') != NULL)
		return fail(why, "has a fragment");
	if (strncmp(uri, "https:", 6) == 0 || strncmp(uri, "http:", 5) == 0 ||
	    kind == EID_URI_WEB)
		return check_web(uri, why);
	return check_private_scheme(uri, why);
}

int eid_uri_host(const char *uri, char *ret_host, size_t cap)
{
	CURLU *u;
	char *host = NULL;
	size_t n;
	int r = EID_EMALFORMED;

	if (strncmp(uri, "https://", 8) != 0 && strncmp(uri, "http://", 7) != 0)
		return EID_ENOTFOUND;
	u = curl_url();
	if (u == NULL)
		return EID_ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, uri, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	n = strlen(host);
	if (n >= 2 && host[0] == '[') { /* IPv6 literal: no brackets */
		memmove(host, host + 1, n - 2);
		n -= 2;
	}
	r = EID_ETOOBIG;
	if (n + 1 > cap)
		goto out;
	for (size_t i = 0; i < n; i++)
		ret_host[i] = (char)tolower((unsigned char)host[i]);
	ret_host[n] = '\0';
	r = EID_OK;
out:
	curl_free(host);
	curl_url_cleanup(u);
	return r;
}
