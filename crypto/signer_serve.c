/* The signer process's loop (crypto/signer_proc.h): the only place where
 * the sealed token-signing, CA and citizens' keys are opened, and where
 * new ones are made and sealed, when [keys] signer = process.  One thread
 * per CPU that channels are bound to (pinned there), each waiting on its
 * own channels at once (ppoll), reading one request record from each
 * that has one and answering it there; the threads share one small key
 * table (a read-write lock: signatures read it, loads write it) until the
 * worker has closed every channel. */
#define _GNU_SOURCE /* ppoll, pthread_setaffinity_np */
#include "crypto/signer_proc.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "crypto/error.h"
#include "crypto/signer_wire.h"

#define SIG_MAX 1024 /* RSA-8192 */

struct slot {
	eid_key *key;
	uint64_t used; /* load order: the smallest goes first */
};

struct table {
	pthread_rwlock_t lock; /* a signature reads, a load writes */
	struct slot s[EID_SIGPROC_KEYS_MAX];
	/* Citizens' keys (GENERATE, LOAD_SHORT): their own slots, so that
	 * many citizens signing never push a token or CA key out. */
	struct slot brief[EID_SIGPROC_SHORT_MAX];
	uint64_t clock;
};

static eid_key *slots_find(struct slot *s, size_t n, const char *kid)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].key != NULL && strcmp(eid_key_kid(s[i].key), kid) == 0)
			return s[i].key;
	return NULL;
}

static eid_key *table_find(struct table *t, const char *kid)
{
	eid_key *key = slots_find(t->s, EID_SIGPROC_KEYS_MAX, kid);

	return key != NULL ? key :
			     slots_find(t->brief, EID_SIGPROC_SHORT_MAX, kid);
}

/* The slot for kid among s[n]: its own, else a free one, else the least
 * recently loaded. */
static size_t table_slot(const struct slot *s, size_t n, const char *kid)
{
	size_t pick = 0;

	for (size_t i = 0; i < n; i++)
		if (s[i].key != NULL && strcmp(eid_key_kid(s[i].key), kid) == 0)
			return i;
	for (size_t i = 0; i < n; i++) {
		if (s[i].key == NULL)
			return i;
		if (s[i].used < s[pick].used)
			pick = i;
	}
	return pick;
}

static void table_put(struct table *t, eid_key *key, bool brief)
{
	struct slot *s = brief ? t->brief : t->s;
	size_t i = table_slot(s, brief ? EID_SIGPROC_SHORT_MAX :
					 EID_SIGPROC_KEYS_MAX,
			      eid_key_kid(key));

	eid_key_free(s[i].key);
	s[i].key = key;
	s[i].used = ++t->clock;
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < EID_SIGPROC_KEYS_MAX; i++)
		eid_key_free(t->s[i].key);
	for (size_t i = 0; i < EID_SIGPROC_SHORT_MAX; i++)
		eid_key_free(t->brief[i].key);
}

static int do_load(struct table *t, const struct eid_signer_req *req,
		   const uint8_t kek[32], eid_buf *ans)
{
	unsigned char *der = NULL;
	eid_key *key = NULL;
	int len, r;

	if (eid_key_blob_in_token(req->blob, req->blob_len))
		return EID_EUNSUPPORTED;
	if ((r = eid_key_unseal(req->blob, req->blob_len, kek, &key)) != EID_OK)
		return r;
	len = i2d_PUBKEY(eid_key_pkey(key), &der);
	if (len <= 0) {
		ERR_clear_error();
		eid_key_free(key);
		return EID_ECRYPTO;
	}
	r = eid_signer_pub_put(eid_key_alg(key), eid_key_kid(key), der,
			       (size_t)len, ans);
	OPENSSL_free(der);
	if (r != EID_OK) {
		eid_key_free(key);
		return r;
	}
	if (pthread_rwlock_wrlock(&t->lock) != 0) {
		eid_key_free(key);
		return EID_EINTERNAL;
	}
	table_put(t, key, req->op == EID_SIGNER_LOAD_SHORT);
	pthread_rwlock_unlock(&t->lock);
	return EID_OK;
}

/* A new key, sealed here: the blob and the public half go back, the key
 * stays among the short-lived ones (a token key made at start-up is
 * LOADed again with the keyring). */
static int do_generate(struct table *t, const struct eid_signer_req *req,
		       const uint8_t kek[32], eid_buf *ans)
{
	unsigned char *der = NULL;
	eid_key *key = NULL;
	eid_buf sealed;
	int len, r;

	eid_buf_init(&sealed, EID_KEY_SEAL_MAX);
	if ((r = eid_key_generate(req->alg, &key)) != EID_OK ||
	    (r = eid_key_seal(key, kek, &sealed)) != EID_OK)
		goto out;
	r = EID_ECRYPTO;
	if ((len = i2d_PUBKEY(eid_key_pkey(key), &der)) <= 0)
		goto out;
	r = eid_signer_gen_put(sealed.data, sealed.len, eid_key_alg(key),
			       eid_key_kid(key), der, (size_t)len, ans);
	if (r == EID_OK && pthread_rwlock_wrlock(&t->lock) != 0)
		r = EID_EINTERNAL;
	if (r == EID_OK) {
		table_put(t, key, true);
		pthread_rwlock_unlock(&t->lock);
		key = NULL;
	}
out:
	ERR_clear_error();
	OPENSSL_free(der);
	eid_key_free(key);
	eid_buf_free(&sealed);
	return r;
}

/* For a digest of another length than the algorithm's own: ECDSA also
 * signs SHA-384's and SHA-512's (it signs the digest alone, cut to the
 * curve's size, whichever hash made it; a citizen's CMS may use them). */
static const EVP_MD *other_md(const eid_alg_info *info, size_t len)
{
	if (!info->ec)
		return NULL;
	return len == 48 ? EVP_sha384() : len == 64 ? EVP_sha512() : NULL;
}

/* Under t->lock, read: the key stays until the signature is made. */
static int sign_locked(struct table *t, const struct eid_signer_req *req,
		       eid_buf *ans)
{
	const eid_alg_info *info = eid_alg_info_get(req->alg);
	eid_key *key = table_find(t, req->kid);
	EVP_PKEY_CTX *ctx = NULL;
	const EVP_MD *md = NULL;
	uint8_t sig[SIG_MAX];
	size_t len = sizeof(sig);
	int r = EID_ECRYPTO;

	if (key == NULL)
		return EID_ENOTFOUND;
	if (info == NULL || eid_key_alg(key) != req->alg ||
	    eid_key_sign_ctx(key) == NULL ||
	    (req->digest_len != info->md_len &&
	     (md = other_md(info, req->digest_len)) == NULL))
		return EID_EMISMATCH;
	/* The algorithm's own digest: a copy of the context the key was
	 * prepared with (digest and padding; crypto/keys.c): no provider
	 * look-up per signature.  An EC key's other digest: a context of
	 * its own. */
	if (md == NULL)
		ctx = EVP_PKEY_CTX_dup(eid_key_sign_ctx(key));
	else if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, eid_key_pkey(key),
						   NULL)) != NULL &&
		 (EVP_PKEY_sign_init(ctx) != 1 ||
		  EVP_PKEY_CTX_set_signature_md(ctx, md) != 1))
		goto out;
	if (ctx == NULL ||
	    EVP_PKEY_sign(ctx, sig, &len, req->digest, req->digest_len) != 1)
		goto out;
	r = eid_buf_put(ans, sig, len);
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static int do_sign(struct table *t, const struct eid_signer_req *req,
		   eid_buf *ans)
{
	int r;

	if (pthread_rwlock_rdlock(&t->lock) != 0)
		return EID_EINTERNAL;
	r = sign_locked(t, req, ans);
	pthread_rwlock_unlock(&t->lock);
	return r;
}

static int dispatch(struct table *t, const struct eid_signer_req *req,
		    const uint8_t kek[32], eid_buf *ans)
{
	switch (req->op) {
	case EID_SIGNER_LOAD:
	case EID_SIGNER_LOAD_SHORT:
		return do_load(t, req, kek, ans);
	case EID_SIGNER_SIGN:
		return do_sign(t, req, ans);
	case EID_SIGNER_GENERATE:
		return do_generate(t, req, kek, ans);
	}
	return EID_EMALFORMED;
}

/* The answer to one record (an error answer for a bad one). */
static int answer(struct table *t, const uint8_t *msg, size_t len,
		  const uint8_t kek[32], eid_buf *out)
{
	struct eid_signer_req req;
	eid_buf ans;
	int r;

	eid_buf_init(&ans, EID_SIGNER_PAYLOAD_MAX);
	r = eid_signer_req_parse(msg, len, &req);
	if (r == EID_OK)
		r = dispatch(t, &req, kek, &ans);
	eid_buf_reset(out);
	if (r == EID_OK)
		r = eid_signer_resp_put(EID_OK, ans.data, ans.len, out);
	else
		r = eid_signer_resp_put(r, NULL, 0, out);
	eid_buf_free(&ans);
	return r;
}

/* One record read from fd and answered there; *eof set when the worker
 * has closed it. */
static int serve_one(struct table *t, int fd, const uint8_t kek[32],
		     eid_buf *out, bool *eof)
{
	uint8_t in[EID_SIGNER_MSG_MAX + 1];
	ssize_t n;

	do
		n = read(fd, in, sizeof(in));
	while (n < 0 && errno == EINTR);
	if (n == 0)
		*eof = true;
	if (n <= 0)
		return n == 0 ? EID_OK : EID_EIO;
	if (answer(t, in, (size_t)n, kek, out) != EID_OK ||
	    write(fd, out->data, out->len) != (ssize_t)out->len)
		return EID_EIO;
	return EID_OK;
}

/* The gate the extra threads wait at until confine has run; confine
 * waits until every one is bound (a filter may refuse binding later). */
struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t ready; /* threads bound and waiting */
	enum { GATE_SHUT, GATE_OPEN, GATE_STOP } state;
};

/* What the serving threads share. */
struct shared {
	struct table t;
	struct gate gate;
	const uint8_t *kek;
	const int *fds; /* every channel */
	size_t n;
};

/* One serving thread: the channels it waits on, the CPU it runs on. */
struct server {
	struct shared *sh;
	struct pollfd pfd[EID_SIGPROC_CHANNELS_MAX];
	size_t n;
	int cpu; /* -1: wherever the scheduler puts it */
	pthread_t thread;
	int r;
};

/* A failed channel ends the child: every channel is shut down, so that
 * every thread sees EOF and the worker sees the signer gone at once (not
 * at its timeout, on the channels of the threads still serving). */
static void shut_all(const struct shared *sh)
{
	for (size_t i = 0; i < sh->n; i++)
		shutdown(sh->fds[i], SHUT_RDWR);
}

/* Until every one of its channels is at EOF, or one fails. */
static int serve_loop(struct server *s)
{
	size_t live = s->n; /* channels not yet at EOF */
	eid_buf out;
	bool eof;
	int r = EID_OK;

	eid_buf_init(&out, EID_SIGNER_MSG_MAX);
	while (r == EID_OK && live > 0) {
		if (ppoll(s->pfd, (nfds_t)s->n, NULL, NULL) < 0) {
			r = errno == EINTR ? EID_OK : EID_EIO;
			continue;
		}
		for (size_t i = 0; r == EID_OK && i < s->n; i++) {
			if (s->pfd[i].fd < 0 || s->pfd[i].revents == 0)
				continue;
			eof = false;
			r = serve_one(&s->sh->t, s->pfd[i].fd, s->sh->kek,
				      &out, &eof);
			if (eof) {
				s->pfd[i].fd = -1; /* ppoll skips it from now on */
				live--;
			}
		}
	}
	if (r != EID_OK)
		shut_all(s->sh);
	eid_buf_free(&out);
	return r;
}

/* On its CPU, so that a worker thread running there is answered without
 * waking another core.  Not binding is no error: the answers are the
 * same, only slower. */
static void server_bind(const struct server *s)
{
	cpu_set_t set;

	if (s->cpu < 0 || s->cpu >= CPU_SETSIZE)
		return;
	CPU_ZERO(&set);
	CPU_SET(s->cpu, &set);
	/* Refused (e.g. a cpuset without that CPU): it serves unbound. */
	(void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *server_main(void *p)
{
	struct server *s = p;
	struct gate *g = &s->sh->gate;
	bool go;

	server_bind(s);
	pthread_mutex_lock(&g->lock);
	g->ready++;
	pthread_cond_broadcast(&g->cond);
	while (g->state == GATE_SHUT)
		pthread_cond_wait(&g->cond, &g->lock);
	go = g->state == GATE_OPEN;
	pthread_mutex_unlock(&g->lock);
	s->r = go ? serve_loop(s) : EID_OK;
	return NULL;
}

static void gate_wait_ready(struct gate *g, size_t threads)
{
	pthread_mutex_lock(&g->lock);
	while (g->ready < threads)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

static void gate_set(struct gate *g, int state)
{
	pthread_mutex_lock(&g->lock);
	g->state = state;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

/* The servers: one per distinct CPU in cpus (in order of first use), or
 * one for everything without cpus.  Returns how many. */
static size_t servers_plan(struct server *sv, const int *cpus,
			   struct shared *sh)
{
	size_t count = 0, j;

	for (size_t i = 0; i < sh->n; i++) {
		int cpu = cpus != NULL ? cpus[i] : -1;

		for (j = 0; j < count && sv[j].cpu != cpu; j++)
			;
		if (j == count)
			sv[count++] = (struct server){ .sh = sh, .cpu = cpu };
		sv[j].pfd[sv[j].n++] =
			(struct pollfd){ .fd = sh->fds[i], .events = POLLIN };
	}
	return count;
}

int eid_sigproc_serve_on(const int *fds, const int *cpus, size_t n,
			 const uint8_t kek[32], int (*confine)(void *),
			 void *confine_arg)
{
	struct server sv[EID_SIGPROC_CHANNELS_MAX];
	struct shared sh = {
		.gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
			  0, GATE_SHUT },
		.kek = kek,
		.fds = fds,
		.n = n,
	};
	size_t count, started = 1;
	int r = EID_OK;

	if (fds == NULL || n == 0 || n > EID_SIGPROC_CHANNELS_MAX)
		return EID_EINVAL;
	if (pthread_rwlock_init(&sh.t.lock, NULL) != 0)
		return EID_EINTERNAL;
	count = servers_plan(sv, cpus, &sh);
	/* Every thread before confine: a filter installed afterwards
	 * covers them all (tsync) and need not allow making threads. */
	for (; started < count; started++) {
		if (pthread_create(&sv[started].thread, NULL, server_main,
				   &sv[started]) != 0) {
			r = EID_EINTERNAL;
			break;
		}
	}
	server_bind(&sv[0]);
	gate_wait_ready(&sh.gate, started - 1);
	if (r == EID_OK && confine != NULL)
		r = confine(confine_arg);
	gate_set(&sh.gate, r == EID_OK ? GATE_OPEN : GATE_STOP);
	if (r == EID_OK)
		r = serve_loop(&sv[0]);
	for (size_t i = 1; i < started; i++) {
		pthread_join(sv[i].thread, NULL);
		if (r == EID_OK)
			r = sv[i].r;
	}
	table_free(&sh.t);
	pthread_rwlock_destroy(&sh.t.lock);
	return r;
}

int eid_sigproc_serve(const int *fds, size_t n, const uint8_t kek[32])
{
	return eid_sigproc_serve_on(fds, NULL, n, kek, NULL, NULL);
}
