/* Private to api/http.c: eidd's listening socket and the thread that
 * accepts on it.
 *
 * libmicrohttpd can listen by itself, but the only way to make it stop
 * (MHD_quiesce_daemon) races with its own worker threads on an epoll
 * daemon with a thread pool in 0.9.75: both take the listening socket out
 * of a worker's epoll set, and the loser aborts the process ("Failed to
 * remove listen FD from epoll set").  So our daemons run with
 * MHD_USE_NO_LISTEN_SOCKET, and this thread hands each connection it
 * accepts to the current daemon (through http.c, which counts it and
 * calls MHD_add_connection).  A TLS reload switches the daemon it hands
 * them to; stopping ends the thread and closes the socket.  MHD's threads
 * never touch the listening socket. */
#ifndef EID_API_HTTP_LISTEN_H
#define EID_API_HTTP_LISTEN_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>

struct eid_http_listener;

/* Takes one accepted connection (non-blocking, close-on-exec) for target
 * and owns it from then on: serves it or closes it. */
typedef void (*eid_http_hand_over)(void *target, int conn,
				   const struct sockaddr *addr,
				   socklen_t addr_len);

/* Whether target can take one more connection now.  While it cannot,
 * nothing is accepted: clients wait in the socket's queue, as they did
 * when libmicrohttpd listened and reached its connection limit. */
typedef bool (*eid_http_has_room)(void *target);

/* Open a socket on addr (port 0: a free one), bind and listen.  Nothing
 * is accepted until eid_http_listener_start; each connection then goes
 * to hand, on the accept thread, when room says there is room.  Problems
 * are written to log as JSON events.  EID_EIO when the address cannot be
 * bound. */
int eid_http_listener_open(const struct sockaddr_storage *addr, FILE *log,
			   eid_http_hand_over hand, eid_http_has_room room,
			   struct eid_http_listener **ret_listener);

/* The port the socket is bound to. */
unsigned eid_http_listener_port(const struct eid_http_listener *l);

/* Start the thread that accepts and hands connections for target. */
int eid_http_listener_start(struct eid_http_listener *l, void *target);

/* Hand connections for fresh from now on; returns the target they went
 * to before.  When it returns, no hand-over to the old one is under way. */
void *eid_http_listener_switch(struct eid_http_listener *l, void *fresh);

/* Stop accepting: the thread ends and the socket is closed, so clients
 * still waiting to be accepted are refused.  Connections already handed
 * over stay with their daemon.  NULL is allowed. */
void eid_http_listener_close(struct eid_http_listener *l);

#endif
