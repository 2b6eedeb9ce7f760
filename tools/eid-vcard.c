/* eid-vcard: the virtual card behind vsmartcard's vpcd.  pcscd's vpcd
 * driver listens on a TCP port (35963 by default); we connect, and pcscd
 * sees a reader with our card in it.  Each vpcd message is a 2-byte
 * big-endian length and a payload: one byte is a control message, more is
 * a command APDU (chip/vcard.h answers both).  When vpcd goes away we
 * reconnect (the card is "reinserted"), unless --once; SIGTERM and SIGINT
 * end us cleanly. */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chip/apdu.h"
#include "chip/cardimage.h"
#include "chip/vcard.h"
#include "crypto/error.h"

#define FRAME_HDR 2
#define FRAME_MAX EID_APDU_MAX_ENCODED
#define RECONNECT_MS 200

struct opts {
	const char *image;
	const char *host;
	const char *port;
	bool once;
	bool verbose;
};

enum session_end { END_PEER, END_SIGNAL, END_ERROR };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: eid-vcard [--host HOST] [--port PORT] [--once] "
		"[--verbose] IMAGE\n"
		"  serve the card image IMAGE (from `eidctl card issue`) to\n"
		"  pcscd's vpcd driver at HOST:PORT (default 127.0.0.1:35963)\n"
		"  --once     exit when vpcd disconnects, do not reconnect\n"
		"  --verbose  log every command and response on stderr\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "once", no_argument, NULL, '1' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .host = "127.0.0.1", .port = "35963" };
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'H': o->host = optarg; break;
		case 'p': o->port = optarg; break;
		case '1': o->once = true; break;
		case 'v': o->verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	o->image = argv[optind];
	return -1;
}

static int connect_to(const struct opts *o)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int fd = -1, one = 1;

	if (getaddrinfo(o->host, o->port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				 sizeof(one));
	return fd;
}

static bool write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

static void log_hex(const char *dir, const uint8_t *p, size_t n)
{
	fprintf(stderr, "eid-vcard: %s", dir);
	for (size_t i = 0; i < n && i < 64; i++)
		fprintf(stderr, "%02X", p[i]);
	fprintf(stderr, "%s\n", n > 64 ? "..." : "");
}

/* Answer one message; false when the reply cannot be sent. */
static bool handle(int fd, eid_vcard *vc, const struct opts *o,
		   const uint8_t *msg, size_t n, eid_buf *reply)
{
	bool has = false;
	size_t len;

	/* The length goes first, filled in once the answer is there: one
	 * write per reply (two small ones would meet Nagle's delay). */
	eid_buf_reset(reply);
	if (eid_buf_put_u16be(reply, 0) != EID_OK)
		return false;
	if (o->verbose)
		log_hex("> ", msg, n);
	if (eid_vcard_vpcd_message(vc, msg, n, reply, &has) != EID_OK)
		return false;
	if (!has)
		return true;
	len = reply->len - FRAME_HDR;
	if (o->verbose)
		log_hex("< ", reply->data + FRAME_HDR, len);
	if (len > 0xffff)
		return false;
	reply->data[0] = (uint8_t)(len >> 8);
	reply->data[1] = (uint8_t)len;
	return write_all(fd, reply->data, reply->len);
}

/* Handle every complete frame in in; keep the partial tail. */
static bool drain(int fd, eid_vcard *vc, const struct opts *o, eid_buf *in,
		  eid_buf *reply)
{
	size_t off = 0;
	bool ok = true;

	while (ok && in->len - off >= FRAME_HDR) {
		size_t n = (size_t)in->data[off] << 8 | in->data[off + 1];

		if (n == 0 || n > FRAME_MAX)
			return false; /* not vpcd: drop the connection */
		if (in->len - off - FRAME_HDR < n)
			break;
		ok = handle(fd, vc, o, in->data + off + FRAME_HDR, n, reply);
		off += FRAME_HDR + n;
	}
	memmove(in->data, in->data + off, in->len - off);
	eid_buf_truncate(in, in->len - off);
	return ok;
}

static enum session_end serve(int fd, int sigfd, eid_vcard *vc,
			      const struct opts *o)
{
	struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN },
				 { .fd = sigfd, .events = POLLIN } };
	enum session_end end = END_ERROR;
	uint8_t chunk[4096];
	int one = 1;
	eid_buf in, reply;

	eid_buf_init(&in, FRAME_HDR + FRAME_MAX + sizeof(chunk));
	eid_buf_init(&reply, FRAME_HDR + 65536 + 64);
	for (;;) {
		ssize_t got;

		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents & POLLIN) {
			end = END_SIGNAL;
			break;
		}
		if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		got = recv(fd, chunk, sizeof(chunk), 0);
		/* vpcd writes the length and the APDU apart: acknowledge at
		 * once, or its second write waits out our delayed ACK
		 * (Nagle), 40 ms per command. */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one,
				 sizeof(one));
		if (got <= 0) {
			end = got == 0 || errno == ECONNRESET ? END_PEER
							      : END_ERROR;
			break;
		}
		if (eid_buf_put(&in, chunk, (size_t)got) != EID_OK ||
		    !drain(fd, vc, o, &in, &reply)) {
			fprintf(stderr,
				"eid-vcard: protocol error, reconnecting\n");
			end = END_PEER;
			break;
		}
	}
	eid_buf_free(&in);
	eid_buf_free(&reply);
	return end;
}

/* Wait for a connection to vpcd; -1 when a signal came first. */
static int wait_connect(int sigfd, const struct opts *o)
{
	struct pollfd pfd = { .fd = sigfd, .events = POLLIN };
	bool said = false;
	int fd;

	while ((fd = connect_to(o)) < 0) {
		if (!said)
			fprintf(stderr,
				"eid-vcard: waiting for vpcd at %s:%s\n",
				o->host, o->port);
		said = true;
		if (poll(&pfd, 1, RECONNECT_MS) > 0)
			return -1;
	}
	fprintf(stderr, "eid-vcard: connected to vpcd at %s:%s\n", o->host,
		o->port);
	return fd;
}

static int block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC);
}

static int run(const struct opts *o, eid_vcard *vc)
{
	int sigfd = block_signals(), fd;
	enum session_end end = END_PEER;

	if (sigfd < 0) {
		perror("eid-vcard: signalfd");
		return 1;
	}
	while (end == END_PEER) {
		if ((fd = wait_connect(sigfd, o)) < 0)
			break;
		eid_vcard_reset(vc);
		end = serve(fd, sigfd, vc, o);
		close(fd);
		if (end == END_PEER)
			fprintf(stderr, "eid-vcard: vpcd disconnected\n");
		if (o->once)
			break;
	}
	close(sigfd);
	return end == END_ERROR ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct eid_cardimage img;
	eid_vcard *vc = NULL;
	struct opts o;
	int rc, r;

	if ((rc = parse_args(argc, argv, &o)) >= 0)
		return rc;
	if ((r = eid_cardimage_load(o.image, &img)) != EID_OK) {
		fprintf(stderr, "eid-vcard: %s: %s\n", o.image,
			eid_strerror(r));
		return 1;
	}
	if ((r = eid_vcard_new(&img, NULL, NULL, &vc)) != EID_OK) {
		fprintf(stderr, "eid-vcard: %s: %s\n", o.image,
			eid_strerror(r));
		eid_cardimage_clear(&img);
		return 1;
	}
	rc = run(&o, vc);
	eid_vcard_free(vc);
	eid_cardimage_clear(&img);
	return rc;
}
