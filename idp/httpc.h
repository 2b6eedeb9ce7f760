/* A small libcurl client shared by the adapters that call other services
 * (the HTTP registry, the SMS gateway): options checked once, TLS peer and
 * host verification always on, no redirects, timeouts, a bounded response
 * body, and retries with a doubling back-off.  Immutable after init, so
 * one client serves several threads (each request makes its own handle). */
#ifndef EID_HTTPC_H
#define EID_HTTPC_H

#include <stdbool.h>
#include <stddef.h>

#include "crypto/buf.h"

#define EID_HTTPC_URL_MAX 2048

struct eid_httpc_options {
	const char *url;          /* https:// (http:// only with the flag) */
	const char *bearer_token; /* Authorization: Bearer ...; NULL: none */
	const char *cookie;       /* Cookie: NAME=VALUE instead; NULL: none */
	const char *ca_file;      /* trust anchors; NULL: the system's */
	long connect_timeout_ms;  /* 0: 3000 */
	long timeout_ms;          /* whole request; 0: 10000 */
	unsigned max_retries;     /* after the first try (at most 10) */
	long backoff_ms;          /* first wait, doubled each retry; 0: 200 */
	size_t max_response;      /* bytes of body; 0: 64 KiB */
	bool allow_insecure_http; /* plain http:// (tests on loopback) */
	/* Retry a timed-out request too (safe for lookups; not for a POST
	 * that may have been acted on).  5xx answers are always retried. */
	bool retry_timeouts;
};

struct eid_httpc {
	char *url; /* without a trailing slash */
	char *auth_header;
	char *ca_file;
	long connect_ms;
	long timeout_ms;
	long backoff_ms;
	unsigned retries;
	size_t max_response;
	bool allow_http;
	bool retry_timeouts;
};

/* Check and copy the options.  EID_ECONFIG for a bad URL, token (empty or
 * with a line break) or negative time; EID_ENOMEM. */
int eid_httpc_init(struct eid_httpc *h, const struct eid_httpc_options *o);
/* Safe on a zeroed or freed client. */
void eid_httpc_free(struct eid_httpc *h);

/* GET url (post NULL) or POST post_len bytes of content_type.  EID_OK
 * with *ret_status and the body in body (reset first); EID_ETIMEOUT,
 * EID_ETOOBIG (body over the cap), EID_ENETWORK, EID_ENOMEM.  A 5xx is
 * retried, and returned as EID_OK with the status when retries run out. */
int eid_httpc_request(const struct eid_httpc *h, const char *url,
		      const char *content_type, const void *post,
		      size_t post_len, eid_buf *body, long *ret_status);

/* The first line of a token file, as a secret string (free it with
 * eid_free_secret_str).  owner_only: refuse a file that its group or others
 * may read.  EID_ECONFIG when it cannot be read, is refused, or its first
 * line is empty or over EID_HTTPC_TOKEN_MAX bytes; why (may be NULL) then
 * gets "PATH: the reason". */
#define EID_HTTPC_TOKEN_MAX 1024u
int eid_httpc_read_token(const char *path, bool owner_only, char **ret,
			 eid_buf *why);

/* True for an http:// URL to this machine (127.0.0.1, [::1], localhost):
 * the only place plain http is allowed (a service beside us, tests). */
bool eid_httpc_loopback_http(const char *url);

#endif
