/* eidd's listening socket and its accept thread (see http_listen.h). */
#define _GNU_SOURCE /* accept4 */
#include "api/http_listen.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "api/http_priv.h"
#include "crypto/error.h"

/* Connections taken from the queue before looking at the stop signal. */
#define LISTEN_BURST 64
/* How long to wait when accept() runs out of descriptors or memory: the
 * socket stays readable, so retrying at once would only spin. */
#define LISTEN_PAUSE_MS 100
/* How often to look again while the server is at its connection limit. */
#define LISTEN_FULL_PAUSE_MS 10

struct eid_http_listener {
	int fd;               /* the listening socket */
	int stop_fd;          /* eventfd: readable once close has begun */
	FILE *log;
	unsigned port;
	eid_http_hand_over hand;
	eid_http_has_room room;
	pthread_mutex_t lock; /* held while handing over, and to switch */
	void *target;
	pthread_t thread;
	bool running;
};

static void listen_log(const struct eid_http_listener *l, const char *msg)
{
	(void)eid_http_log_event(l->log, "warn", NULL, msg, EID_OK);
}

static int socket_bound(const struct sockaddr_storage *addr, int *ret_fd)
{
	socklen_t len = addr->ss_family == AF_INET6 ?
				sizeof(struct sockaddr_in6) :
				sizeof(struct sockaddr_in);
	int fd, on = 1;

	fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return EID_EIO;
	/* As libmicrohttpd did: a restart may bind while old connections
	 * linger in TIME_WAIT, and IPv6 sockets take IPv6 only. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
	    (addr->ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) != 0) ||
	    bind(fd, (const struct sockaddr *)addr, len) != 0 ||
	    listen(fd, SOMAXCONN) != 0) {
		(void)close(fd);
		return EID_EIO;
	}
	*ret_fd = fd;
	return EID_OK;
}

static int socket_port(int fd, unsigned *ret_port)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);

	if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		return EID_EIO;
	if (sa.ss_family == AF_INET6)
		*ret_port = ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
	else
		*ret_port = ntohs(((struct sockaddr_in *)&sa)->sin_port);
	return *ret_port != 0 ? EID_OK : EID_EIO;
}

int eid_http_listener_open(const struct sockaddr_storage *addr, FILE *log,
			   eid_http_hand_over hand, eid_http_has_room room,
			   struct eid_http_listener **ret_listener)
{
	struct eid_http_listener *l;
	int r;

	if (addr == NULL || log == NULL || hand == NULL || room == NULL ||
	    ret_listener == NULL ||
	    (addr->ss_family != AF_INET && addr->ss_family != AF_INET6))
		return EID_EINVAL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return EID_ENOMEM;
	l->log = log;
	l->hand = hand;
	l->room = room;
	l->fd = -1;
	l->stop_fd = -1;
	if (pthread_mutex_init(&l->lock, NULL) != 0) {
		free(l);
		return EID_EINTERNAL;
	}
	if ((r = socket_bound(addr, &l->fd)) != EID_OK)
		goto fail;
	if ((r = socket_port(l->fd, &l->port)) != EID_OK)
		goto fail;
	if ((l->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		r = EID_EIO;
		goto fail;
	}
	*ret_listener = l;
	return EID_OK;
fail:
	eid_http_listener_close(l);
	return r;
}

unsigned eid_http_listener_port(const struct eid_http_listener *l)
{
	return l->port;
}

/* When the current target has room, accept one connection and hand it
 * over, both under the lock so that a switch cannot come between them.
 * Returns accept4's result (-1 with errno), or -1 with errno ENOSPC when
 * there is no room. */
static int accept_one(struct eid_http_listener *l)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	int conn = -1;

	pthread_mutex_lock(&l->lock);
	if (!l->room(l->target))
		errno = ENOSPC;
	else if ((conn = accept4(l->fd, (struct sockaddr *)&sa, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
		l->hand(l->target, conn, (const struct sockaddr *)&sa, len);
	pthread_mutex_unlock(&l->lock);
	return conn;
}

/* Accept what is queued, up to a burst, while the server has room.
 * Returns the pause the caller should take before looking again: 0 for
 * none, LISTEN_FULL_PAUSE_MS at the connection limit, LISTEN_PAUSE_MS
 * when accept() lacks descriptors or memory. */
static int accept_burst(struct eid_http_listener *l, bool *logged)
{
	for (int i = 0; i < LISTEN_BURST; i++) {
		if (accept_one(l) >= 0) {
			*logged = false;
			continue;
		}
		if (errno == ENOSPC)
			return LISTEN_FULL_PAUSE_MS;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			if (!*logged)
				listen_log(l, errno == EMFILE || errno == ENFILE ?
						      "accept: out of file descriptors, pausing" :
						      "accept: out of memory, pausing");
			*logged = true;
			return LISTEN_PAUSE_MS;
		}
		/* ECONNABORTED, EINTR, EPROTO and the network errors Linux
		 * passes on from the new socket: that client is gone. */
	}
	return 0;
}

static void *accept_loop(void *arg)
{
	struct eid_http_listener *l = arg;
	struct pollfd pfd[2] = { { .fd = l->stop_fd, .events = POLLIN },
				 { .fd = l->fd, .events = POLLIN } };
	bool logged = false;
	int n, pause = 0;

	for (;;) {
		/* While paused, only the stop signal is watched. */
		n = poll(pfd, pause ? 1 : 2, pause ? pause : -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			listen_log(l, "accept: poll failed, no longer accepting");
			break;
		}
		if (pfd[0].revents != 0)
			break;
		if (pause) {
			pause = 0;
			continue;
		}
		if (pfd[1].revents & (POLLERR | POLLNVAL)) {
			listen_log(l, "accept: listening socket failed, no longer accepting");
			break;
		}
		if (pfd[1].revents & POLLIN)
			pause = accept_burst(l, &logged);
	}
	return NULL;
}

int eid_http_listener_start(struct eid_http_listener *l, void *target)
{
	if (l == NULL || target == NULL || l->running)
		return EID_EINVAL;
	l->target = target;
	if (pthread_create(&l->thread, NULL, accept_loop, l) != 0)
		return EID_EINTERNAL;
	l->running = true;
	return EID_OK;
}

void *eid_http_listener_switch(struct eid_http_listener *l, void *fresh)
{
	void *old;

	pthread_mutex_lock(&l->lock);
	old = l->target;
	l->target = fresh;
	pthread_mutex_unlock(&l->lock);
	return old;
}

void eid_http_listener_close(struct eid_http_listener *l)
{
	uint64_t one = 1;

	if (l == NULL)
		return;
	if (l->running) {
		if (write(l->stop_fd, &one, sizeof(one)) != sizeof(one)) {
			/* Cannot happen: the counter starts at 0 and is
			 * written once.  Without the signal the thread would
			 * outlive l, so l stays allocated, not freed under it. */
			listen_log(l, "accept: cannot signal the accept thread");
			return;
		}
		(void)pthread_join(l->thread, NULL);
	}
	if (l->fd >= 0)
		(void)close(l->fd);
	if (l->stop_fd >= 0)
		(void)close(l->stop_fd);
	pthread_mutex_destroy(&l->lock);
	free(l);
}
