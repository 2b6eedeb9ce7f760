/* The HTTP server on libmicrohttpd.  One eid_http_request lives from the
 * request line (MHD's URI callback, where the raw URI with its query is
 * still intact) to MHD's completion callback, which logs and frees it. */
#include "api/http.h"

#include <errno.h>
#include <stdarg.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "api/form.h"
#include "api/http_listen.h"
#include "api/http_priv.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/cidr.h"

#define EID_HTTP_MAX_URI 8192
#define EID_HTTP_ID_BYTES 16
/* How much of an oversize chunked body we swallow to answer 413 before
 * giving up on the connection. */
#define EID_HTTP_MAX_DISCARD (1024u * 1024)
/* Longest X-Forwarded-For we look at. */
#define EID_HTTP_MAX_XFF 1024
#define EID_HTTP_MAX_OPTIONS 16
/* How long a stop or a reload waits for connections accepted but with
 * no request yet: enough for a client's request line and TLS handshake,
 * not for a browser's preconnect that never sends one. */
#define EID_HTTP_FRESH_GRACE_S 2

/* A daemon, and what it still owes: its connections handed over with no
 * request yet (fresh), and its requests not yet answered (inflight).
 * Idle keep-alive connections are not counted.  A TLS reload has two
 * daemons at once, the fresh one and the old one finishing: two slots. */
struct eid_http_slot {
	eid_http_server *srv;
	struct MHD_Daemon *daemon;
	size_t fresh;    /* under srv->lock, as is inflight */
	size_t inflight;
};

enum eid_http_conn_state {
	EID_HTTP_CONN_FRESH, /* accepted, no request yet */
	EID_HTTP_CONN_BUSY,  /* a request is in flight */
	EID_HTTP_CONN_IDLE,  /* between requests, or closed */
};

/* One per connection (MHD's socket context): its slot and its state. */
struct eid_http_conn {
	struct eid_http_slot *slot;
	enum eid_http_conn_state state;
};

struct eid_http_server {
	struct eid_http_listener *listener; /* accepts for slots[slot] */
	unsigned slot;      /* the current daemon's */
	struct eid_http_slot slots[2];
	const struct eid_http_route *routes;
	size_t nroutes;
	void *app;
	size_t max_body;
	unsigned timeout_s;
	bool access_log;
	FILE *log;
	eid_http_handler before;
	unsigned port;
	unsigned threads;
	unsigned max_connections;
	unsigned max_connections_per_ip;
	unsigned flags;     /* MHD_USE_... */
	bool tls;
	char hsts[64];      /* Strict-Transport-Security value, "": none */
	struct eid_cidr_list *proxies; /* NULL: none trusted */
	pthread_mutex_t lock; /* guards slots[] counts and each conn's state */
	pthread_cond_t idle;  /* a slot's count fell to 0 */
};

struct eid_http_request {
	eid_http_server *srv;
	struct MHD_Connection *conn;
	char *path;
	char *query;
	char method[16];
	bool started;
	bool queued;
	bool uri_too_long;
	bool body_too_big;
	size_t discarded;
	const struct eid_http_route *route;
	eid_buf body;
	eid_form *query_form;
	eid_form *body_form;
	char remote[INET6_ADDRSTRLEN];
	bool loopback;
	bool https;
	char id[2 * EID_HTTP_ID_BYTES + 1];
	struct timespec t0;
	unsigned status;
	size_t bytes;
	struct eid_http_response res;
};

/* ---- request accessors ---- */

const char *eid_http_method(const struct eid_http_request *req)
{
	return req->method;
}

const char *eid_http_path(const struct eid_http_request *req)
{
	return req->path;
}

const char *eid_http_query(const struct eid_http_request *req)
{
	return req->query;
}

const void *eid_http_body(const struct eid_http_request *req, size_t *ret_len)
{
	*ret_len = req->body.len;
	return req->body.data;
}

const char *eid_http_remote(const struct eid_http_request *req)
{
	return req->remote;
}

const char *eid_http_request_id(const struct eid_http_request *req)
{
	return req->id;
}

bool eid_http_is_loopback(const struct eid_http_request *req)
{
	return req->loopback;
}

bool eid_http_is_https(const struct eid_http_request *req)
{
	return req->https;
}

const char *eid_http_header(const struct eid_http_request *req,
			    const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

struct cookie_search {
	const char *name;
	const char *value;
	unsigned count;
};

static enum MHD_Result cookie_visit(void *cls, enum MHD_ValueKind kind,
				    const char *key, const char *value)
{
	struct cookie_search *s = cls;

	if (key != NULL && strcmp(key, s->name) == 0) {
		s->value = value;
		s->count++;
	}
	return MHD_YES;
}

const char *eid_http_cookie(const struct eid_http_request *req,
			    const char *name)
{
	struct cookie_search s = { name, NULL, 0 };

	(void)MHD_get_connection_values(req->conn, MHD_COOKIE_KIND,
					cookie_visit, &s);
	return s.count == 1 ? s.value : NULL;
}

int eid_http_query_param(const struct eid_http_request *req, const char *name,
			 const char **ret_value)
{
	return eid_form_get(req->query_form, name, ret_value);
}

int eid_http_form_param(const struct eid_http_request *req, const char *name,
			const char **ret_value)
{
	return eid_form_get(req->body_form, name, ret_value);
}

int eid_http_param(const struct eid_http_request *req, const char *name,
		   const char **ret_value)
{
	size_t inq = eid_form_occurrences(req->query_form, name);
	size_t inf = eid_form_occurrences(req->body_form, name);

	if (inq + inf == 0)
		return EID_ENOTFOUND;
	if (inq + inf > 1)
		return EID_EINVAL;
	return eid_form_get(inq ? req->query_form : req->body_form, name,
			    ret_value);
}

/* ---- routing ---- */

static bool route_has_path(const struct eid_http_route *rt, const char *path)
{
	if (rt->prefix)
		return strncmp(path, rt->path, strlen(rt->path)) == 0;
	return strcmp(path, rt->path) == 0;
}

static bool route_has_method(const struct eid_http_route *rt,
			     const char *method)
{
	return strcmp(rt->method, method) == 0 ||
	       (strcmp(method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0);
}

/* Exact routes outrank every prefix, longer prefixes shorter ones. */
static size_t route_rank(const struct eid_http_route *rt)
{
	return rt->prefix ? strlen(rt->path) : SIZE_MAX;
}

static const struct eid_http_route *route_find(const eid_http_server *srv,
					       const char *path,
					       const char *method,
					       bool *ret_path_known)
{
	const struct eid_http_route *best = NULL;
	bool known = false;

	for (size_t i = 0; i < srv->nroutes; i++) {
		const struct eid_http_route *rt = &srv->routes[i];
		if (!route_has_path(rt, path))
			continue;
		known = true;
		if (route_has_method(rt, method) &&
		    (best == NULL || route_rank(rt) > route_rank(best)))
			best = rt;
	}
	*ret_path_known = known;
	return best;
}

/* "GET, HEAD, POST" for every route serving path. */
static int route_allow(const eid_http_server *srv, const char *path,
		       eid_buf *allow)
{
	int r = EID_OK;

	for (size_t i = 0; i < srv->nroutes && r == EID_OK; i++) {
		const struct eid_http_route *rt = &srv->routes[i];
		if (!route_has_path(rt, path))
			continue;
		r = eid_buf_printf(allow, "%s%s%s", allow->len ? ", " : "",
				   rt->method,
				   strcmp(rt->method, "GET") == 0 ? ", HEAD" : "");
	}
	return r;
}

/* ---- sending ---- */

static enum MHD_Result send_response(struct eid_http_request *req)
{
	struct eid_http_response *res = &req->res;
	struct MHD_Response *mr = NULL;
	enum MHD_Result ok = MHD_NO;
	size_t len = res->body.len;

	if (req->https && req->srv->hsts[0] != '\0' &&
	    eid_http_response_header(res, "Strict-Transport-Security") == NULL &&
	    eid_http_set_header(res, "Strict-Transport-Security",
				req->srv->hsts) != EID_OK)
		goto out;
	if (eid_http_response_finish(res, req->id) != EID_OK)
		goto out;
	mr = MHD_create_response_from_buffer(len, res->body.data,
					     MHD_RESPMEM_MUST_FREE);
	if (mr == NULL)
		goto out;
	/* MHD owns the bytes now. */
	res->body.data = NULL;
	res->body.len = res->body.alloc = 0;
	for (size_t i = 0; i < res->nheaders; i++)
		if (MHD_add_response_header(mr, res->headers[i].name,
					    res->headers[i].value) != MHD_YES)
			goto out;
	ok = MHD_queue_response(req->conn, res->status, mr);
	if (ok == MHD_YES) {
		req->status = res->status;
		req->bytes = len;
		req->queued = true;
	}
out:
	if (mr != NULL)
		MHD_destroy_response(mr);
	return ok;
}

/* A reply the server makes itself: {"error":...} at status. */
static enum MHD_Result send_error(struct eid_http_request *req,
				  unsigned status, const char *error,
				  const char *description)
{
	eid_http_response_reset(&req->res);
	if (eid_http_reply_oauth_error(&req->res, status, error,
				       description) != EID_OK)
		return MHD_NO;
	return send_response(req);
}

static enum MHD_Result send_not_allowed(struct eid_http_request *req)
{
	eid_buf allow;
	const char *v;
	enum MHD_Result ok = MHD_NO;

	eid_buf_init(&allow, 512);
	eid_http_response_reset(&req->res);
	if (route_allow(req->srv, req->path, &allow) == EID_OK &&
	    (v = eid_buf_cstr(&allow)) != NULL &&
	    eid_http_reply_oauth_error(&req->res, 405, "method_not_allowed",
				       NULL) == EID_OK &&
	    eid_http_set_header(&req->res, "Allow", v) == EID_OK)
		ok = send_response(req);
	eid_buf_free(&allow);
	return ok;
}

/* ---- request lifetime ---- */

static bool v4_is_loopback(const struct in_addr *a)
{
	return (ntohl(a->s_addr) >> 24) == 127;
}

static bool v6_is_loopback(const struct in6_addr *a)
{
	return IN6_IS_ADDR_LOOPBACK(a) ||
	       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
}

static bool addr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return v4_is_loopback(
			&((const struct sockaddr_in *)sa)->sin_addr);
	if (sa->sa_family == AF_INET6)
		return v6_is_loopback(
			&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return false;
}

static int request_peer(struct eid_http_request *req,
			struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;
	socklen_t len;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return EID_EINTERNAL;
	sa = ci->client_addr;
	len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					  sizeof(struct sockaddr_in);
	if (getnameinfo(sa, len, req->remote, sizeof(req->remote), NULL, 0,
			NI_NUMERICHOST) != 0)
		return EID_EINTERNAL;
	req->loopback = addr_is_loopback(sa);
	req->https = req->srv->tls;
	return EID_OK;
}

static bool text_is_loopback(const char *addr)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, addr, &a4) == 1)
		return v4_is_loopback(&a4);
	if (inet_pton(AF_INET6, addr, &a6) == 1)
		return v6_is_loopback(&a6);
	return false;
}

/* The client behind a chain of trusted proxies: X-Forwarded-For read from
 * the right, skipping trusted proxies; the first other address is the
 * client.  Anything unparsable leaves the TCP peer in place. */
static void forwarded_for(struct eid_http_request *req, const char *xff)
{
	char list[EID_HTTP_MAX_XFF + 1], *item, *end, *comma;
	size_t n = strnlen(xff, EID_HTTP_MAX_XFF + 1);
	unsigned char a[sizeof(struct in6_addr)];

	if (n > EID_HTTP_MAX_XFF)
		return;
	memcpy(list, xff, n + 1);
	for (;;) {
		end = list + strlen(list);
		while (end > list && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		comma = strrchr(list, ',');
		item = comma == NULL ? list : comma + 1;
		item += strspn(item, " \t");
		if (strlen(item) >= sizeof(req->remote) ||
		    (inet_pton(AF_INET, item, a) != 1 &&
		     inet_pton(AF_INET6, item, a) != 1))
			return;
		if (!eid_cidr_list_match(req->srv->proxies, item) ||
		    comma == NULL)
			break;
		*comma = '\0'; /* drop this hop and look further left */
	}
	memcpy(req->remote, item, strlen(item) + 1);
	req->loopback = text_is_loopback(item);
}

/* A trusted proxy's word on the client's address and scheme. */
static void request_forwarded(struct eid_http_request *req)
{
	const char *xff, *proto;

	if (!eid_cidr_list_match(req->srv->proxies, req->remote))
		return;
	proto = eid_http_header(req, "X-Forwarded-Proto");
	if (proto != NULL)
		req->https = strcasecmp(proto, "https") == 0;
	xff = eid_http_header(req, "X-Forwarded-For");
	if (xff != NULL)
		forwarded_for(req, xff);
}

static int request_id(struct eid_http_request *req)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[EID_HTTP_ID_BYTES];
	int r = eid_random_bytes(raw, sizeof(raw));

	if (r != EID_OK)
		return r;
	for (size_t i = 0; i < sizeof(raw); i++) {
		req->id[2 * i] = hex[raw[i] >> 4];
		req->id[2 * i + 1] = hex[raw[i] & 15];
	}
	req->id[2 * sizeof(raw)] = '\0';
	return EID_OK;
}

/* Split the raw URI into path and query, copying both. */
static int request_uri(struct eid_http_request *req, const char *uri)
{
	size_t n = strnlen(uri, EID_HTTP_MAX_URI + 1);
	const char *q;

	if (n > EID_HTTP_MAX_URI) {
		req->uri_too_long = true;
		n = 1; /* keep only "/" (or whatever starts it) for the log */
	}
	q = memchr(uri, '?', n);
	req->path = strndup(uri, q == NULL ? n : (size_t)(q - uri));
	req->query = q == NULL ? strdup("") : strndup(q + 1, n - (size_t)(q - uri) - 1);
	if (req->path == NULL || req->query == NULL)
		return EID_ENOMEM;
	return EID_OK;
}

static void request_free(struct eid_http_request *req)
{
	if (req == NULL)
		return;
	free(req->path);
	free(req->query);
	eid_buf_free(&req->body);
	eid_form_free(req->query_form);
	eid_form_free(req->body_form);
	eid_http_response_reset(&req->res);
	eid_buf_free(&req->res.body);
	free(req);
}

static size_t *slot_count(struct eid_http_slot *slot,
			  enum eid_http_conn_state state)
{
	return state == EID_HTTP_CONN_FRESH  ? &slot->fresh :
	       state == EID_HTTP_CONN_BUSY ? &slot->inflight :
					      NULL;
}

/* One less in *n, a count of srv's slots; waiters learn when it reaches 0.
 * Callers hold srv->lock. */
static void count_down(eid_http_server *srv, size_t *n)
{
	if (*n > 0 && --*n == 0)
		pthread_cond_broadcast(&srv->idle);
}

/* Move c to state, keeping its slot's counts; callers hold srv->lock. */
static void conn_move(eid_http_server *srv, struct eid_http_conn *c,
		      enum eid_http_conn_state state)
{
	size_t *from, *to;

	if (c == NULL || c->state == state)
		return;
	from = slot_count(c->slot, c->state);
	to = slot_count(c->slot, state);
	c->state = state;
	if (to != NULL)
		(*to)++;
	if (from != NULL)
		count_down(srv, from);
}

static void conn_set_state(eid_http_server *srv, struct MHD_Connection *conn,
			   enum eid_http_conn_state state)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	pthread_mutex_lock(&srv->lock);
	conn_move(srv, ci != NULL ? ci->socket_context : NULL, state);
	pthread_mutex_unlock(&srv->lock);
}

static void slot_fresh_done(struct eid_http_slot *slot)
{
	eid_http_server *srv = slot->srv;

	pthread_mutex_lock(&srv->lock);
	count_down(srv, &slot->fresh);
	pthread_mutex_unlock(&srv->lock);
}

/* The listener's room check (target: the current slot): the daemon has
 * fewer than max_connections.  MHD counts a connection once a worker has
 * taken it from its queue, so a burst may overshoot by what is queued;
 * MHD closes those, as it closes any it cannot take. */
static bool slot_has_room(void *target)
{
	const struct eid_http_slot *slot = target;
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(
		slot->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

	return di == NULL || di->num_connections < slot->srv->max_connections;
}

/* The listener's hand-over (target: the current slot).  The connection
 * counts as fresh from here: MHD queues it for a worker thread, which
 * only later tells on_connection, and a drain in between must not miss
 * it.  MHD closes it when it cannot take it (limits, memory). */
static void hand_to_daemon(void *target, int fd, const struct sockaddr *addr,
			   socklen_t addr_len)
{
	struct eid_http_slot *slot = target;
	eid_http_server *srv = slot->srv;

	pthread_mutex_lock(&srv->lock);
	slot->fresh++;
	pthread_mutex_unlock(&srv->lock);
	if (MHD_add_connection(slot->daemon, fd, addr, addr_len) != MHD_YES)
		slot_fresh_done(slot);
}

/* MHD_OPTION_NOTIFY_CONNECTION (cls: the daemon's slot): a connection,
 * counted fresh since its hand-over, stays so until its first request; a
 * closed one is done. */
static void on_connection(void *cls, struct MHD_Connection *conn,
			  void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct eid_http_slot *slot = cls;
	eid_http_server *srv = slot->srv;
	struct eid_http_conn *c;

	(void)conn;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		/* Without memory it is served, only not waited for. */
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			slot_fresh_done(slot);
			return;
		}
		c->slot = slot;
		c->state = EID_HTTP_CONN_FRESH; /* counted at the hand-over */
		*socket_context = c;
		return;
	}
	if ((c = *socket_context) == NULL)
		return;
	pthread_mutex_lock(&srv->lock);
	conn_move(srv, c, EID_HTTP_CONN_IDLE);
	pthread_mutex_unlock(&srv->lock);
	*socket_context = NULL;
	free(c);
}

/* MHD_OPTION_URI_LOG_CALLBACK: a new request; NULL makes MHD drop it. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	eid_http_server *srv = cls;
	struct eid_http_request *req;

	conn_set_state(srv, conn, EID_HTTP_CONN_BUSY);
	if ((req = calloc(1, sizeof(*req))) == NULL)
		return NULL;
	req->srv = srv;
	req->conn = conn;
	(void)clock_gettime(CLOCK_MONOTONIC, &req->t0);
	eid_buf_init(&req->body, srv->max_body);
	eid_http_response_init(&req->res);
	if (request_uri(req, uri) != EID_OK || request_id(req) != EID_OK ||
	    request_peer(req, conn) != EID_OK) {
		request_free(req);
		return NULL;
	}
	return req;
}

static double elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;
	long long us;

	if (clock_gettime(CLOCK_MONOTONIC, &t1) != 0)
		return 0;
	us = (long long)(t1.tv_sec - t0->tv_sec) * 1000000 +
	     (t1.tv_nsec - t0->tv_nsec) / 1000;
	/* Whole hundredths of a millisecond: "ms":0.42, not 0.41999999. */
	return (double)((us + 5) / 10) / 100.0;
}

/* MHD_OPTION_NOTIFY_COMPLETED: log, then free. */
static void on_completed(void *cls, struct MHD_Connection *conn,
			 void **req_cls, enum MHD_RequestTerminationCode toe)
{
	eid_http_server *srv = cls;
	struct eid_http_request *req = *req_cls;
	struct eid_http_access a;

	conn_set_state(srv, conn, EID_HTTP_CONN_IDLE);
	if (req == NULL)
		return;
	*req_cls = NULL;
	if (srv->access_log) {
		a = (struct eid_http_access){
			.id = req->id, .remote = req->remote,
			.method = req->method[0] ? req->method : "-",
			.path = req->path, .status = req->status,
			.bytes = req->bytes, .ms = elapsed_ms(&req->t0),
		};
		/* A full disk must not take requests down with it. */
		(void)eid_http_log_access(srv->log, &a);
	}
	request_free(req);
}

/* ---- the access handler ---- */

static bool content_length_too_big(struct eid_http_request *req)
{
	const char *cl = MHD_lookup_connection_value(
		req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long n;
	char *end;

	if (cl == NULL)
		return false;
	errno = 0;
	n = strtoull(cl, &end, 10);
	/* MHD validated the syntax; anything odd is treated as too big. */
	return errno != 0 || end == cl || n > req->srv->max_body;
}

/* First call: headers are in, the body is not.  Refuse what we can before
 * reading a byte of it. */
static enum MHD_Result request_begin(struct eid_http_request *req,
				     const char *method)
{
	bool known;

	req->started = true;
	request_forwarded(req);
	if (strlen(method) < sizeof(req->method))
		memcpy(req->method, method, strlen(method) + 1);
	if (req->uri_too_long)
		return send_error(req, 414, "invalid_request", "URI too long");
	req->route = route_find(req->srv, req->path, req->method, &known);
	if (req->route == NULL && !known)
		return send_error(req, 404, "not_found", NULL);
	if (req->route == NULL)
		return send_not_allowed(req);
	if (content_length_too_big(req))
		return send_error(req, 413, "invalid_request",
				  "request body too large");
	return MHD_YES;
}

static enum MHD_Result request_upload(struct eid_http_request *req,
				      const char *data, size_t *size)
{
	size_t n = *size;
	int r;

	*size = 0;
	if (req->queued)
		return MHD_YES;
	if (!req->body_too_big) {
		r = eid_buf_put(&req->body, data, n);
		if (r == EID_ETOOBIG) {
			req->body_too_big = true;
			eid_buf_free(&req->body);
		} else if (r != EID_OK) {
			return MHD_NO;
		}
	}
	if (req->body_too_big) {
		req->discarded += n;
		if (req->discarded > EID_HTTP_MAX_DISCARD)
			return MHD_NO;
	}
	return MHD_YES;
}

static bool is_form_body(const struct eid_http_request *req)
{
	const char *ct = eid_http_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
	static const char form[] = "application/x-www-form-urlencoded";
	size_t n = sizeof(form) - 1;

	return ct != NULL && strncasecmp(ct, form, n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Parse the query and, for a form body, the body. */
static int request_parse(struct eid_http_request *req)
{
	int r = eid_form_parse(req->query, strlen(req->query), &req->query_form);

	if (r == EID_OK && is_form_body(req))
		r = eid_form_parse((const char *)req->body.data, req->body.len,
				   &req->body_form);
	return r;
}

static enum MHD_Result run_handler(struct eid_http_request *req)
{
	eid_http_server *srv = req->srv;
	int r = EID_OK;

	if (srv->before != NULL)
		r = srv->before(req, &req->res, srv->app);
	if (r >= 0 && !req->res.replied)
		r = req->route->fn(req, &req->res, srv->app);

	if (r >= 0 && req->res.replied)
		return send_response(req);
	if (r >= 0)
		r = EID_EINTERNAL;
	(void)eid_http_log_event(srv->log, "error", req->id, "handler failed", r);
	if (req->res.replied)
		return send_response(req);
	if (r == EID_EBUSY) /* the SMS queue is full */
		return send_error(req, 503, "temporarily_unavailable",
				  "too many messages waiting for delivery, "
				  "try again later");
	if (r == EID_ENETWORK) /* a service we depend on (the registry) */
		return send_error(req, 503, "temporarily_unavailable",
				  "a service this server depends on cannot "
				  "be reached, try again later");
	return send_error(req, 500, "server_error", NULL);
}

/* True when the client closed its end after sending the request: the FIN
 * is already queued behind it (wrk when a run ends, a client or proxy that
 * timed out).  Handling it would be wasted work, and for most POSTs a
 * durable commit that holds this HTTP thread, while every thread doing
 * the same leaves the accept queue untouched (issue #8).  A client that
 * half-closes and still reads (legal, rare in HTTP/1.1) gets the
 * empty 499 below instead of its answer.  The peek costs one non-blocking
 * recvfrom, which answers EAGAIN for a live client. */
#define EID_HTTP_CLIENT_GONE 499

static bool client_gone(const struct eid_http_request *req)
{
	const union MHD_ConnectionInfo *ci;
	char c;

	ci = MHD_get_connection_info(req->conn,
				     MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL)
		return false;
	return recv(ci->connect_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

static enum MHD_Result request_finish(struct eid_http_request *req)
{
	int r;

	if (req->queued)
		return MHD_YES;
	if (client_gone(req)) {
		/* An empty answer, cheaper than a handler and quieter than
		 * MHD_NO (which MHD logs as an internal error); the access
		 * log shows nginx's 499, "client closed request". */
		eid_http_response_reset(&req->res);
		req->res.status = EID_HTTP_CLIENT_GONE;
		return send_response(req);
	}
	if (req->body_too_big)
		return send_error(req, 413, "invalid_request",
				  "request body too large");
	r = request_parse(req);
	if (r == EID_ETOOBIG)
		return send_error(req, 413, "invalid_request",
				  "too many parameters");
	if (r != EID_OK)
		return send_error(req, 400, "invalid_request",
				  "malformed parameters");
	return run_handler(req);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn,
				 const char *url, const char *method,
				 const char *version, const char *upload_data,
				 size_t *upload_data_size, void **req_cls)
{
	struct eid_http_request *req = *req_cls;

	if (req == NULL)
		return MHD_NO;
	if (!req->started)
		return request_begin(req, method);
	if (*upload_data_size > 0)
		return request_upload(req, upload_data, upload_data_size);
	return request_finish(req);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	eid_http_server *srv = cls;
	char msg[512];
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);

	if (n < 0)
		return;
	msg[strcspn(msg, "\r\n")] = '\0';
	(void)eid_http_log_event(srv->log, "warn", NULL, msg, EID_OK);
}

/* ---- start and stop ---- */

static int resolve_listen(const struct eid_http_options *opt,
			  struct sockaddr_storage *ret_addr)
{
	struct addrinfo hints = { 0 }, *ai = NULL;
	int r = EID_ECONFIG;

	if (opt->addr_len > 0) {
		if ((opt->addr.ss_family != AF_INET &&
		     opt->addr.ss_family != AF_INET6) ||
		    opt->addr_len > sizeof(*ret_addr))
			return EID_ECONFIG;
		memcpy(ret_addr, &opt->addr, sizeof(*ret_addr));
		return EID_OK;
	}
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(opt->host != NULL ? opt->host : "127.0.0.1",
			opt->port != NULL ? opt->port : "0", &hints, &ai) != 0)
		return EID_ECONFIG;
	if (ai->ai_addrlen <= sizeof(*ret_addr)) {
		memset(ret_addr, 0, sizeof(*ret_addr));
		memcpy(ret_addr, ai->ai_addr, ai->ai_addrlen);
		r = EID_OK;
	}
	freeaddrinfo(ai);
	return r;
}

static bool routes_valid(const struct eid_http_route *routes, size_t n)
{
	if (n > 0 && routes == NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if (routes[i].method == NULL || routes[i].path == NULL ||
		    routes[i].path[0] != '/' || routes[i].fn == NULL)
			return false;
	return true;
}

static void server_configure(eid_http_server *srv,
			     const struct eid_http_options *opt)
{
	srv->max_body = opt->max_body ? opt->max_body : EID_HTTP_DEFAULT_MAX_BODY;
	srv->timeout_s = opt->timeout_s ? opt->timeout_s :
					  EID_HTTP_DEFAULT_TIMEOUT_S;
	srv->access_log = opt->access_log;
	srv->log = opt->log != NULL ? opt->log : stderr;
	srv->threads = opt->threads ? opt->threads : EID_HTTP_DEFAULT_THREADS;
	srv->max_connections = opt->max_connections ?
				       opt->max_connections :
				       EID_HTTP_DEFAULT_MAX_CONNECTIONS;
	srv->max_connections_per_ip = opt->max_connections_per_ip;
	srv->before = opt->before;
	srv->tls = opt->tls_cert != NULL;
	if (opt->hsts_max_age > 0)
		snprintf(srv->hsts, sizeof(srv->hsts),
			 "max-age=%lu; includeSubDomains", opt->hsts_max_age);
}

static int server_proxies(eid_http_server *srv, const char *text)
{
	int r;

	if (text == NULL || text[0] == '\0')
		return EID_OK;
	if ((srv->proxies = malloc(sizeof(*srv->proxies))) == NULL)
		return EID_ENOMEM;
	r = eid_cidr_list_parse(text, srv->proxies);
	return r == EID_OK ? EID_OK : EID_ECONFIG;
}

#define OPT(o, v, p)                                                        \
	(ops[n++] = (struct MHD_OptionItem){ (o), (intptr_t)(v), (void *)(p) })

/* Start a daemon, counted in slot, for the connections our listener
 * hands it; cert and key are used only for TLS. */
static struct MHD_Daemon *daemon_start(eid_http_server *srv, unsigned slot,
				       const char *cert, const char *key)
{
	struct MHD_OptionItem ops[EID_HTTP_MAX_OPTIONS];
	size_t n = 0;

	OPT(MHD_OPTION_THREAD_POOL_SIZE, srv->threads, NULL);
	OPT(MHD_OPTION_CONNECTION_LIMIT, srv->max_connections, NULL);
	OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT, srv->max_connections_per_ip,
	    NULL);
	OPT(MHD_OPTION_CONNECTION_TIMEOUT, srv->timeout_s, NULL);
	OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)EID_HTTP_CONNECTION_MEMORY, NULL);
	OPT(MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL);
	if (srv->tls) {
		OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, cert);
		OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, key);
		OPT(MHD_OPTION_HTTPS_PRIORITIES, 0, EID_HTTP_TLS_PRIORITIES);
	}
	OPT(MHD_OPTION_END, 0, NULL);
	return MHD_start_daemon(
		srv->flags, 0, NULL, NULL, on_access, srv,
		/* First, so MHD never falls back to printing on stderr. */
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, &srv->slots[slot],
		MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
}
#undef OPT

static int server_listen(eid_http_server *srv,
			 const struct eid_http_options *opt,
			 const struct sockaddr_storage *addr)
{
	struct eid_http_slot *slot;
	int r;

	/* MHD_USE_ITC: a connection handed over wakes the worker at once. */
	srv->flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
		     MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET |
		     MHD_USE_ERROR_LOG;
	if (srv->tls) {
		if (opt->tls_key == NULL ||
		    MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
			return EID_ECONFIG;
		srv->flags |= MHD_USE_TLS;
	}
	if ((r = eid_http_listener_open(addr, srv->log, hand_to_daemon,
					slot_has_room, &srv->listener)) !=
	    EID_OK)
		return r;
	srv->port = eid_http_listener_port(srv->listener);
	slot = &srv->slots[srv->slot];
	slot->daemon = daemon_start(srv, srv->slot, opt->tls_cert,
				    opt->tls_key);
	if (slot->daemon == NULL)
		return srv->tls ? EID_ECRYPTO : EID_EIO;
	return opt->accept_later ? EID_OK :
				   eid_http_listener_start(srv->listener, slot);
}

static int server_sync_init(eid_http_server *srv)
{
	pthread_condattr_t ca;
	int r = EID_EINTERNAL;

	if (pthread_condattr_init(&ca) != 0)
		return EID_EINTERNAL;
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
	    pthread_cond_init(&srv->idle, &ca) == 0) {
		if (pthread_mutex_init(&srv->lock, NULL) == 0)
			r = EID_OK;
		else
			pthread_cond_destroy(&srv->idle);
	}
	pthread_condattr_destroy(&ca);
	return r;
}

int eid_http_server_start(const struct eid_http_options *opt,
			  const struct eid_http_route *routes, size_t nroutes,
			  void *app, eid_http_server **ret_server)
{
	eid_http_server *srv = NULL;
	struct sockaddr_storage addr;
	int r = EID_EINVAL;

	if (opt == NULL || ret_server == NULL || !routes_valid(routes, nroutes))
		goto out;
	if ((r = resolve_listen(opt, &addr)) != EID_OK)
		goto out;
	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		r = EID_ENOMEM;
		goto out;
	}
	if ((r = server_sync_init(srv)) != EID_OK) {
		free(srv);
		srv = NULL;
		goto out;
	}
	srv->slots[0].srv = srv;
	srv->slots[1].srv = srv;
	srv->routes = routes;
	srv->nroutes = nroutes;
	srv->app = app;
	server_configure(srv, opt);
	if ((r = server_proxies(srv, opt->trusted_proxies)) != EID_OK ||
	    (r = server_listen(srv, opt, &addr)) != EID_OK)
		goto out;
	*ret_server = srv;
	srv = NULL;
	r = EID_OK;
out:
	eid_http_server_stop(srv);
	return r;
}

static bool before(const struct timespec *now, const struct timespec *t)
{
	return now->tv_sec < t->tv_sec ||
	       (now->tv_sec == t->tv_sec && now->tv_nsec < t->tv_nsec);
}

/* Wait until the daemon of slot has answered every request in flight
 * (for at most the connection timeout) and every connection it accepted
 * has sent its first request (for at most EID_HTTP_FRESH_GRACE_S). */
static void slot_drain(eid_http_server *srv, unsigned slot)
{
	const struct eid_http_slot *s = &srv->slots[slot];
	struct timespec now, grace, limit;

	if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
		return;
	grace = limit = now;
	grace.tv_sec += EID_HTTP_FRESH_GRACE_S;
	limit.tv_sec += srv->timeout_s;
	pthread_mutex_lock(&srv->lock);
	for (;;) {
		if (clock_gettime(CLOCK_MONOTONIC, &now) != 0 ||
		    !before(&now, &limit))
			break;
		if (s->inflight == 0 && (s->fresh == 0 || !before(&now, &grace)))
			break;
		(void)pthread_cond_timedwait(&srv->idle, &srv->lock,
					     s->fresh > 0 && before(&now, &grace) ?
						     &grace :
						     &limit);
	}
	pthread_mutex_unlock(&srv->lock);
}

/* Stop the daemon of slot once it owes nothing; then every connection
 * it had is closed, and the counts start again from zero. */
static void slot_stop(eid_http_server *srv, unsigned slot)
{
	struct eid_http_slot *s = &srv->slots[slot];

	if (s->daemon == NULL)
		return;
	slot_drain(srv, slot);
	MHD_stop_daemon(s->daemon);
	s->daemon = NULL;
	/* A connection MHD dropped between the hand-over and its worker
	 * would otherwise stay counted as fresh. */
	pthread_mutex_lock(&srv->lock);
	s->fresh = 0;
	s->inflight = 0;
	pthread_mutex_unlock(&srv->lock);
}

void eid_http_server_stop(eid_http_server *srv)
{
	if (srv == NULL)
		return;
	/* No new connection first; then the accepted ones are answered. */
	eid_http_listener_close(srv->listener);
	slot_stop(srv, srv->slot);
	pthread_cond_destroy(&srv->idle);
	pthread_mutex_destroy(&srv->lock);
	free(srv->proxies);
	free(srv);
}

int eid_http_server_reload_tls(eid_http_server *srv, const char *cert,
			       const char *key)
{
	unsigned old = srv != NULL ? srv->slot : 0, fresh = 1 - old;

	if (srv == NULL || !srv->tls || cert == NULL || key == NULL ||
	    srv->slots[old].daemon == NULL || srv->listener == NULL)
		return EID_EINVAL;
	/* The other slot is free: the last reload stopped its daemon. */
	srv->slots[fresh].daemon = daemon_start(srv, fresh, cert, key);
	if (srv->slots[fresh].daemon == NULL)
		return EID_ECRYPTO;
	/* New connections go to the fresh daemon; the old one answers what
	 * it was handed and what is in flight, then its idle keep-alive
	 * connections close with it. */
	(void)eid_http_listener_switch(srv->listener, &srv->slots[fresh]);
	srv->slot = fresh;
	slot_stop(srv, old);
	return EID_OK;
}

int eid_http_server_accept(eid_http_server *srv)
{
	if (srv == NULL || srv->listener == NULL)
		return EID_EINVAL;
	return eid_http_listener_start(srv->listener, &srv->slots[srv->slot]);
}

unsigned eid_http_server_port(const eid_http_server *srv)
{
	return srv->port;
}
