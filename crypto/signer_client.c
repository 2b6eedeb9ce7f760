/* The worker's end of the signer process (crypto/signer_proc.h). */
#define _GNU_SOURCE /* sched_getcpu */
#include "crypto/signer_proc.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "crypto/error.h"
#include "crypto/signer_wire.h"

/* One socketpair to the child: one request at a time on it. */
struct channel {
	pthread_mutex_t lock;
	int fd;
	int cpu; /* where the child answers it; -1: anywhere */
	uint8_t in[EID_SIGNER_MSG_MAX + 1];
};

struct eid_sigproc {
	atomic_bool dead; /* a channel lost the child or fell out of step:
			   * the signer is gone for good */
	atomic_uint next; /* where the next request starts looking */
	size_t n;
	struct channel ch[];
};

/* The answer's deadline on the socket itself: no poll per call. */
static int channel_init(struct channel *c, int fd, int cpu)
{
	struct timeval tv = { EID_SIGPROC_TIMEOUT_MS / 1000,
			      (EID_SIGPROC_TIMEOUT_MS % 1000) * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0)
		return EID_EIO;
	if (pthread_mutex_init(&c->lock, NULL) != 0)
		return EID_EINTERNAL;
	c->fd = fd;
	c->cpu = cpu;
	return EID_OK;
}

int eid_sigproc_new(const int *fds, const int *cpus, size_t n,
		    eid_sigproc **ret_sp)
{
	eid_sigproc *sp = NULL;
	size_t made = 0;
	int r = EID_EINVAL;

	if (fds == NULL || n == 0 || n > EID_SIGPROC_CHANNELS_MAX ||
	    ret_sp == NULL)
		goto fail;
	r = EID_ENOMEM;
	if ((sp = calloc(1, sizeof(*sp) + n * sizeof(sp->ch[0]))) == NULL)
		goto fail;
	for (; made < n; made++)
		if ((r = channel_init(&sp->ch[made], fds[made],
				      cpus != NULL ? cpus[made] : -1)) !=
		    EID_OK)
			goto fail;
	atomic_init(&sp->dead, false);
	atomic_init(&sp->next, 0);
	sp->n = n;
	*ret_sp = sp;
	return EID_OK;
fail:
	for (size_t i = 0; i < made; i++)
		pthread_mutex_destroy(&sp->ch[i].lock);
	for (size_t i = 0; fds != NULL && i < n; i++)
		close(fds[i]);
	free(sp);
	return r;
}

void eid_sigproc_free(eid_sigproc *sp)
{
	if (sp == NULL)
		return;
	for (size_t i = 0; i < sp->n; i++) {
		close(sp->ch[i].fd);
		pthread_mutex_destroy(&sp->ch[i].lock);
	}
	free(sp);
}

bool eid_sigproc_alive(eid_sigproc *sp)
{
	return !atomic_load(&sp->dead);
}

/* An idle channel, locked: one the child answers on the CPU this thread
 * runs on first, then any; when every one is busy, one of this CPU (or
 * the next in turn), waited for.  NULL only when locking fails. */
static struct channel *channel_take(eid_sigproc *sp)
{
	size_t start = atomic_fetch_add(&sp->next, 1) % sp->n;
	int cpu = sched_getcpu(); /* -1 when unknown: no channel's */
	struct channel *c, *home = NULL;

	for (size_t i = 0; cpu >= 0 && i < sp->n; i++) {
		c = &sp->ch[(start + i) % sp->n];
		if (c->cpu != cpu)
			continue;
		if (pthread_mutex_trylock(&c->lock) == 0)
			return c;
		if (home == NULL)
			home = c;
	}
	for (size_t i = 0; i < sp->n; i++) {
		c = &sp->ch[(start + i) % sp->n];
		if ((cpu < 0 || c->cpu != cpu) &&
		    pthread_mutex_trylock(&c->lock) == 0)
			return c;
	}
	c = home != NULL ? home : &sp->ch[start];
	return pthread_mutex_lock(&c->lock) == 0 ? c : NULL;
}

/* One record out, one back, within the timeout.  Under c->lock. */
static int exchange_locked(struct channel *c, const eid_buf *req,
			   size_t *ret_len)
{
	unsigned waits;
	ssize_t n;

	do
		n = send(c->fd, req->data, req->len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)req->len)
		return n < 0 && errno == EAGAIN ? EID_ETIMEOUT : EID_EIO;
	/* A GENERATE may take the child longer than a signature (an RSA-3072
	 * key, a second or more on a busy machine): several deadlines. */
	waits = req->len > 1 && req->data[1] == EID_SIGNER_GENERATE ?
			EID_SIGPROC_GENERATE_WAITS : 1;
	do
		n = recv(c->fd, c->in, sizeof(c->in), 0);
	while ((n < 0 && errno == EINTR) ||
	       (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		--waits > 0));
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return EID_ETIMEOUT;
	if (n <= 0 || (size_t)n > EID_SIGNER_MSG_MAX)
		return EID_EIO; /* EOF: the child is gone */
	*ret_len = (size_t)n;
	return EID_OK;
}

/* Send req and hand the answer's payload (up to max bytes) to out. */
static int call(eid_sigproc *sp, const eid_buf *req, uint8_t *out,
		size_t max, size_t *ret_len)
{
	struct eid_signer_resp resp;
	struct channel *c;
	size_t len = 0;
	int r;

	if ((c = channel_take(sp)) == NULL)
		return EID_EINTERNAL;
	r = atomic_load(&sp->dead) ? EID_EIO : exchange_locked(c, req, &len);
	if (r == EID_OK && eid_signer_resp_parse(c->in, len, &resp) != EID_OK)
		r = EID_EIO;
	/* A lost or garbled answer leaves the two sides out of step on
	 * that channel, and the child is likely gone: all of it is lost. */
	if (r != EID_OK) {
		atomic_store(&sp->dead, true);
		r = EID_EIO;
	} else if ((r = resp.status) == EID_OK) {
		if (resp.len > max)
			r = EID_ETOOBIG;
		else
			memcpy(out, resp.payload, resp.len);
		*ret_len = resp.len;
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

int eid_sigproc_sign(eid_sigproc *sp, const char *kid, eid_alg alg,
		     const uint8_t *digest, size_t digest_len, uint8_t *sig,
		     size_t sig_max, size_t *ret_len)
{
	eid_buf req;
	int r;

	if (sp == NULL || sig == NULL || ret_len == NULL)
		return EID_EINVAL;
	eid_buf_init(&req, EID_SIGNER_MSG_MAX);
	r = eid_signer_req_sign(kid, alg, digest, digest_len, &req);
	if (r == EID_OK)
		r = call(sp, &req, sig, sig_max, ret_len);
	eid_buf_free(&req);
	return r;
}

static int sign_cb(void *ctx, const char *kid, eid_alg alg,
		   const uint8_t *digest, size_t digest_len, uint8_t *sig,
		   size_t sig_max, size_t *ret_len)
{
	return eid_sigproc_sign(ctx, kid, alg, digest, digest_len, sig,
				sig_max, ret_len);
}

/* The key of the public half a LOAD or GENERATE answered. */
static int key_from_pub(eid_sigproc *sp, const struct eid_signer_pub *pub,
			eid_key **ret_key)
{
	const unsigned char *q;
	EVP_PKEY *pk = NULL, *fwd = NULL;
	int r;

	q = pub->spki;
	pk = d2i_PUBKEY(NULL, &q, (long)pub->spki_len);
	if (pk == NULL || q != pub->spki + pub->spki_len) {
		ERR_clear_error();
		EVP_PKEY_free(pk);
		return EID_EMALFORMED;
	}
	if ((r = eid_sigproc_pkey(sp, pk, pub->kid, pub->alg, &fwd)) !=
	    EID_OK) {
		EVP_PKEY_free(pk);
		return r;
	}
	return eid_key_from_remote(fwd, pk, pub->alg, pub->kid, sign_cb, sp,
				   ret_key);
}

/* call() with an answer of up to EID_SIGNER_PAYLOAD_MAX bytes in *ret_ans,
 * which the caller frees (also on failure). */
static int call_large(eid_sigproc *sp, const eid_buf *req, uint8_t **ret_ans,
		      size_t *ret_len)
{
	if ((*ret_ans = malloc(EID_SIGNER_PAYLOAD_MAX)) == NULL)
		return EID_ENOMEM;
	return call(sp, req, *ret_ans, EID_SIGNER_PAYLOAD_MAX, ret_len);
}

/* LOAD or LOAD_SHORT (made by req_put) of blob. */
static int load_with(eid_sigproc *sp,
		     int (*req_put)(const uint8_t *, size_t, eid_buf *),
		     const uint8_t *blob, size_t len, eid_key **ret_key)
{
	struct eid_signer_pub pub;
	uint8_t *ans = NULL;
	size_t alen = 0;
	eid_buf req;
	int r;

	if (sp == NULL || blob == NULL || ret_key == NULL)
		return EID_EINVAL;
	if (eid_key_blob_in_token(blob, len))
		return EID_EUNSUPPORTED;
	eid_buf_init(&req, EID_SIGNER_MSG_MAX);
	if ((r = req_put(blob, len, &req)) != EID_OK ||
	    (r = call_large(sp, &req, &ans, &alen)) != EID_OK ||
	    (r = eid_signer_pub_parse(ans, alen, &pub)) != EID_OK)
		goto out;
	r = key_from_pub(sp, &pub, ret_key);
out:
	free(ans);
	eid_buf_free(&req);
	return r;
}

int eid_sigproc_load(eid_sigproc *sp, const uint8_t *blob, size_t len,
		     eid_key **ret_key)
{
	return load_with(sp, eid_signer_req_load, blob, len, ret_key);
}

int eid_sigproc_load_short(eid_sigproc *sp, const uint8_t *blob, size_t len,
			   eid_key **ret_key)
{
	return load_with(sp, eid_signer_req_load_short, blob, len, ret_key);
}

int eid_sigproc_generate(eid_sigproc *sp, eid_alg alg, eid_buf *sealed,
			 eid_key **ret_key)
{
	struct eid_signer_gen gen;
	eid_key *key = NULL;
	uint8_t *ans = NULL;
	size_t alen = 0;
	eid_buf req;
	int r;

	if (sp == NULL || sealed == NULL || ret_key == NULL)
		return EID_EINVAL;
	eid_buf_init(&req, EID_SIGNER_MSG_MAX);
	if ((r = eid_signer_req_generate(alg, &req)) != EID_OK ||
	    (r = call_large(sp, &req, &ans, &alen)) != EID_OK ||
	    (r = eid_signer_gen_parse(ans, alen, &gen)) != EID_OK ||
	    (r = key_from_pub(sp, &gen.pub, &key)) != EID_OK ||
	    (r = eid_buf_put(sealed, gen.blob, gen.blob_len)) != EID_OK)
		goto out;
	*ret_key = key;
	key = NULL;
out:
	eid_key_free(key);
	free(ans);
	eid_buf_free(&req);
	return r;
}
