/* The HTTP engine: a libmicrohttpd server, a route table, parsed requests
 * and response builders.  Nothing of libmicrohttpd leaks out of here:
 * handlers see parsed values (path, parameters, body, headers, cookies)
 * and build their reply through the eid_http_reply_* functions.
 *
 * Every response carries the security headers below unless the handler
 * set its own value for that header:
 *   Cache-Control: no-store (and Pragma: no-cache while it is no-store)
 *   X-Content-Type-Options: nosniff
 *   X-Frame-Options: DENY
 *   Referrer-Policy: no-referrer
 *   Content-Security-Policy: EID_HTTP_CSP_STRICT for everything but HTML,
 *     EID_HTTP_CSP_HTML for HTML pages (their own stylesheets, images and
 *     form posts, no scripts, never framed)
 *   X-Request-Id: the request's random id
 *
 * Threads: handlers run on the server's pool threads, several at a time;
 * the app pointer is shared by all of them. */
#ifndef EID_API_HTTP_H
#define EID_API_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

#include <jansson.h>

#include "crypto/buf.h"

#define EID_HTTP_CSP_STRICT "default-src 'none'; frame-ancestors 'none'"
#define EID_HTTP_CSP_HTML                                                   \
	"default-src 'self'; img-src 'self' data:; style-src 'self'; "     \
	"script-src 'self'; form-action 'self'; frame-ancestors 'none'; "   \
	"base-uri 'none'; object-src 'none'"

/* Defaults for options left at 0. */
#define EID_HTTP_DEFAULT_THREADS 2u
#define EID_HTTP_DEFAULT_MAX_BODY (64u * 1024)
#define EID_HTTP_DEFAULT_MAX_CONNECTIONS 1024u
#define EID_HTTP_DEFAULT_TIMEOUT_S 30u

typedef struct eid_http_server eid_http_server;
struct eid_http_request;
struct eid_http_response;

struct eid_http_options {
	/* Where to listen: either a parsed address (addr_len > 0, AF_INET or
	 * AF_INET6), or numeric host and port strings ("127.0.0.1", "::1",
	 * "8080"; host NULL means 127.0.0.1, port NULL or "0" an ephemeral
	 * port).  No name resolution: a listener must not depend on DNS. */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	const char *host;
	const char *port;
	unsigned threads;         /* pool size */
	size_t max_body;          /* larger request bodies get 413 */
	unsigned max_connections; /* concurrent connections */
	unsigned timeout_s;       /* idle time before a connection is closed */
	bool access_log;          /* one JSON line per request */
	FILE *log;                /* sink for access and error lines; NULL: stderr */
	unsigned max_connections_per_ip; /* 0: no cap */
	/* HTTPS: PEM certificate chain and PEM private key, NUL-terminated;
	 * both NULL: plain HTTP.  Read only while the server starts: the
	 * caller may wipe the key as soon as eid_http_server_start returns.
	 * TLS 1.2 and 1.3 only (EID_HTTP_TLS_PRIORITIES). */
	const char *tls_cert;
	const char *tls_key;
	unsigned long hsts_max_age; /* Strict-Transport-Security max-age on
				     * HTTPS responses; 0: no header */
	/* Peers whose X-Forwarded-For and X-Forwarded-Proto are believed
	 * (idp/cidr.h list text); NULL or "": none. */
	const char *trusted_proxies;
	/* Called before every route's handler with the same arguments; when
	 * it replies (a 429, say) the route's handler is skipped.  NULL: none.
	 * Declared below (eid_http_handler). */
	int (*before)(struct eid_http_request *req,
		      struct eid_http_response *res, void *app);
	/* Bind and listen at start, but take no connection until
	 * eid_http_server_accept: clients wait in the socket's queue (eidd
	 * binds as root and accepts only once it has dropped root and put its
	 * seccomp filter in).  false: accept from the start. */
	bool accept_later;
};

#define EID_HTTP_TLS_PRIORITIES                                             \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-VERS-SSL3.0"
/* Memory MHD gives each connection for its request line and headers (and
 * read buffer): a request whose headers do not fit gets 431. */
#define EID_HTTP_CONNECTION_MEMORY (32u * 1024)

/* A handler returns EID_OK once it has replied, or a negative EID_E...
 * code.  A handler that fails without replying produces a 500
 * {"error":"server_error"} and an error line in the log. */
typedef int (*eid_http_handler)(struct eid_http_request *req,
				struct eid_http_response *res, void *app);

struct eid_http_route {
	const char *method; /* "GET", "POST", ...; a GET route also serves HEAD */
	const char *path;   /* matched byte for byte against the raw path */
	bool prefix;        /* match every path starting with path ("/static/") */
	eid_http_handler fn;
};

/* Start serving routes (borrowed: they must outlive the server).  Exact
 * routes win over prefix routes, longer prefixes over shorter ones.  An
 * unknown path gets 404, a known path with another method 405 + Allow. */
int eid_http_server_start(const struct eid_http_options *opt,
			  const struct eid_http_route *routes, size_t nroutes,
			  void *app, eid_http_server **ret_server);
/* Begin taking connections on a server started with accept_later.
 * EID_EINVAL when it already does. */
int eid_http_server_accept(eid_http_server *srv);
/* Stop accepting, wait for requests in flight to finish (up to the
 * connection timeout) and for connections already accepted to send theirs
 * (up to 2 s), then close everything and free.  Safe on NULL. */
void eid_http_server_stop(eid_http_server *srv);
/* Replace a TLS server's certificate and key (PEM, as in the options)
 * without closing the listening socket: a new daemon takes new
 * connections at once, the old one answers what it accepted and what is
 * in flight (up to the connection timeout) and stops.  When the new pair does not load the
 * old daemon goes on serving: EID_ECRYPTO.  EID_EINVAL for a plain HTTP
 * server.  Not to be called concurrently with itself or _stop. */
int eid_http_server_reload_tls(eid_http_server *srv, const char *cert,
			       const char *key);
/* The bound TCP port (useful with port 0). */
unsigned eid_http_server_port(const eid_http_server *srv);

/* The request, read-only; all strings are borrowed for the handler's call.
 * A GET route answering HEAD sees "HEAD" here; the server drops the body. */
const char *eid_http_method(const struct eid_http_request *req);
const char *eid_http_path(const struct eid_http_request *req);
/* The raw query string after '?' ("" when none). */
const char *eid_http_query(const struct eid_http_request *req);
/* The raw body (*ret_len 0 and possibly NULL when none). */
const void *eid_http_body(const struct eid_http_request *req, size_t *ret_len);
/* Client address as text ("127.0.0.1", "::1"): the TCP peer, or, when
 * the peer is one of the trusted proxies, the last address in
 * X-Forwarded-For that is not itself a trusted proxy. */
const char *eid_http_remote(const struct eid_http_request *req);
/* The random per-request id, also sent as X-Request-Id and logged. */
const char *eid_http_request_id(const struct eid_http_request *req);
/* True when the client address (eid_http_remote) is a loopback address
 * (127.0.0.0/8, ::1, or v4-mapped 127/8). */
bool eid_http_is_loopback(const struct eid_http_request *req);
/* True when the client reached us over HTTPS: this server serves TLS, or a
 * trusted proxy said X-Forwarded-Proto: https. */
bool eid_http_is_https(const struct eid_http_request *req);
/* Case-insensitive header lookup; NULL when absent. */
const char *eid_http_header(const struct eid_http_request *req,
			    const char *name);
/* Cookie lookup; NULL when absent or when the name is sent twice (a
 * tossed cookie from a sibling domain must not shadow ours silently). */
const char *eid_http_cookie(const struct eid_http_request *req,
			    const char *name);

/* Parameter lookup.  Each returns EID_ENOTFOUND when absent and EID_EINVAL
 * when the name appears more than once.  Form parameters come from an
 * application/x-www-form-urlencoded body; eid_http_param looks in query
 * and form together, so a name in both counts as repeated. */
int eid_http_query_param(const struct eid_http_request *req, const char *name,
			 const char **ret_value);
int eid_http_form_param(const struct eid_http_request *req, const char *name,
			const char **ret_value);
int eid_http_param(const struct eid_http_request *req, const char *name,
		   const char **ret_value);

/* Response builders.  Replying again replaces the status and body; headers
 * set with eid_http_set_header accumulate.  status must be 100..599. */
int eid_http_reply_json(struct eid_http_response *res, unsigned status,
			const json_t *body);
int eid_http_reply_text(struct eid_http_response *res, unsigned status,
			const char *text);
/* A body the caller wrote into body (not a secret buffer), taken without
 * a copy; body is left empty.  For the JSON of the hot paths, written with
 * crypto/json_write.h. */
int eid_http_reply_buf(struct eid_http_response *res, unsigned status,
		       const char *content_type, eid_buf *body);
/* A binary body (DER, images) of the given media type. */
int eid_http_reply_bytes(struct eid_http_response *res, unsigned status,
			 const char *content_type, const void *p, size_t n);
int eid_http_reply_html(struct eid_http_response *res, unsigned status,
			const char *html);
/* A static script of the pages (n bytes of js), cacheable for an hour. */
int eid_http_reply_script(struct eid_http_response *res, const char *js,
			  size_t n);
/* status 302 or 303; location without CR, LF or other control bytes. */
int eid_http_reply_redirect(struct eid_http_response *res, unsigned status,
			    const char *location);
/* {"error":error,"error_description":description}; description may be
 * NULL.  Both must be RFC 6749 NQSCHAR text (printable ASCII without '"'
 * or '\\'), else EID_EINVAL. */
int eid_http_reply_oauth_error(struct eid_http_response *res, unsigned status,
			       const char *error, const char *description);
/* The same with status 401 and a WWW-Authenticate challenge for scheme
 * ("Bearer" per RFC 6750, "Basic" for client authentication). */
int eid_http_reply_oauth_challenge(struct eid_http_response *res,
				   const char *scheme, const char *error,
				   const char *description);

/* Set a header, replacing an earlier value of the same name (except
 * Set-Cookie, which accumulates).  The name must be an RFC 9110 token and
 * the value free of control bytes (CR/LF injection); framing headers
 * (Content-Length, Transfer-Encoding, Connection) are refused. */
int eid_http_set_header(struct eid_http_response *res, const char *name,
			const char *value);

enum eid_http_samesite {
	EID_HTTP_SAMESITE_LAX = 0,
	EID_HTTP_SAMESITE_STRICT,
	EID_HTTP_SAMESITE_NONE, /* requires secure */
};

struct eid_http_cookie_opts {
	const char *path;      /* NULL: "/" */
	long max_age;          /* seconds; < 0: session cookie; 0: delete */
	bool http_only;
	bool secure;
	enum eid_http_samesite same_site;
};

/* Append a Set-Cookie header.  name is a token, value cookie-octets
 * (RFC 6265 section 4.1.1); anything else is EID_EINVAL. */
int eid_http_set_cookie(struct eid_http_response *res, const char *name,
			const char *value,
			const struct eid_http_cookie_opts *opts);

#endif
