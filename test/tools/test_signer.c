/* The signer process (tools/signer_spawn.c, crypto/signer_*.c): a real
 * child, forked as eidd forks it, under its own seccomp kill filter.  The
 * worker's keys sign through it (JWS of every algorithm, an X.509
 * certificate through OpenSSL's own signing code) and hold no private
 * part; threads sign at once over several channels, none waiting behind
 * another's round trip; the child serves each CPU's channels from a thread
 * of its own over one key table, and a channel that fails ends them all;
 * a child that dies fails requests cleanly. */
#define OPENSSL_SUPPRESS_DEPRECATED /* EC_KEY_get0_private_key, below */
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/keys.h"
#include "crypto/signer_proc.h"
#include "crypto/signer_wire.h"
#include "crypto/x509.h"
#include "key_fixture.h"
#include "tools/signer_spawn.h"

static const char *const algs[] = { "ES256", "RS256", "PS256", NULL };
static const uint8_t kek[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
/* Fewer than test_parallel's threads: some wait for a channel. */
#define CHANNELS 3

struct proc {
	eid_sigproc *sp;
	pid_t pid;
};

static void proc_start(struct proc *p)
{
	assert_int_equal(eid_signer_start(kek, NULL, EID_SECCOMP_KILL,
					  CHANNELS, &p->sp, &p->pid), EID_OK);
}

/* The worker closes its end: the child exits 0 at EOF. */
static void proc_stop(struct proc *p)
{
	int status = -1;

	eid_sigproc_free(p->sp);
	assert_int_equal(waitpid(p->pid, &status, 0), p->pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* k sealed and handed to the child by fn (eid_sigproc_load or _short). */
static eid_key *load_by(struct proc *p, const eid_key *k,
			int (*fn)(eid_sigproc *, const uint8_t *, size_t,
				  eid_key **))
{
	eid_buf sealed;
	eid_key *remote = NULL;

	eid_buf_init(&sealed, EID_KEY_SEAL_MAX);
	assert_int_equal(eid_key_seal(k, kek, &sealed), EID_OK);
	assert_int_equal(fn(p->sp, sealed.data, sealed.len, &remote), EID_OK);
	eid_buf_free(&sealed);
	return remote;
}

static eid_key *load(struct proc *p, const eid_key *k)
{
	return load_by(p, k, eid_sigproc_load);
}

/* The in-process object has the public key and nothing private. */
static void assert_no_private(const eid_key *k)
{
	EVP_PKEY *pk = eid_key_pkey(k);
	BIGNUM *bn = NULL;

	assert_true(eid_key_is_remote(k));
	assert_true(eid_key_has_private(k)); /* it signs... */
	/* OpenSSL answers a legacy key's missing scalar with 0 or not at
	 * all: either way no private number is there. */
	if (EVP_PKEY_is_a(pk, "EC")) {
		assert_null(EC_KEY_get0_private_key(EVP_PKEY_get0_EC_KEY(pk)));
		if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_PRIV_KEY, &bn))
			assert_true(BN_is_zero(bn));
	} else {
		if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_D, &bn))
			assert_true(BN_is_zero(bn));
	}
	BN_free(bn);
	/* ...and cannot be sealed: there is nothing to seal. */
	eid_buf b;
	eid_buf_init(&b, EID_KEY_SEAL_MAX);
	assert_int_equal(eid_key_seal(k, kek, &b), EID_EINVAL);
	eid_buf_free(&b);
}

static void test_jws_every_alg(void **state)
{
	struct fixture *f = *state;
	struct proc p;

	proc_start(&p);
	for (int i = 0; i < 3; i++) {
		const eid_key *local = f->keys[i];
		eid_key *remote = load(&p, local);
		json_t *claims = json_pack("{s:s}", "sub", "123"), *got = NULL;
		char *jws = NULL;

		assert_string_equal(eid_key_kid(remote), eid_key_kid(local));
		assert_no_private(remote);
		assert_int_equal(eid_jws_sign(remote, "at+jwt", claims, &jws),
				 EID_OK);
		/* Verified with the key made here: the child signed with it. */
		assert_int_equal(eid_jws_verify(jws, strlen(jws), &local, 1,
						algs, NULL, &got), EID_OK);
		assert_string_equal(json_string_value(json_object_get(got,
								      "sub")),
				    "123");
		json_decref(got);
		json_decref(claims);
		free(jws);
		eid_key_free(remote);
	}
	proc_stop(&p);
}

/* OpenSSL's X.509 code signs with the forwarding EVP_PKEY (the CA route):
 * ES256 and RS256, the CA's algorithms. */
static void test_x509_through_method(void **state)
{
	struct fixture *f = *state;
	struct proc p;

	proc_start(&p);
	for (int i = 0; i < 2; i++) {
		eid_key *remote = load(&p, f->keys[i]);
		X509 *cert = NULL;

		assert_int_equal(eid_x509_ca_new(eid_key_pkey(remote),
						 "C=VN, O=eid, CN=test CA",
						 1700000000, 1900000000, &cert),
				 EID_OK);
		assert_int_equal(X509_verify(cert, eid_key_pkey(f->keys[i])),
				 1);
		X509_free(cert);
		eid_key_free(remote);
	}
	proc_stop(&p);
}

static void test_refusals(void **state)
{
	struct fixture *f = *state;
	uint8_t other[32] = { 9 }, dig[32] = { 0 }, sig[512];
	eid_key *remote = NULL;
	size_t len = 0;
	eid_buf sealed;
	struct proc p;

	proc_start(&p);
	/* A blob sealed under another KEK does not open there. */
	eid_buf_init(&sealed, EID_KEY_SEAL_MAX);
	assert_int_equal(eid_key_seal(f->keys[0], other, &sealed), EID_OK);
	assert_int_equal(eid_sigproc_load(p.sp, sealed.data, sealed.len,
					  &remote), EID_EVERIFY);
	/* Garbage is an error answer, not the end of the child. */
	assert_int_equal(eid_sigproc_load(p.sp, dig, sizeof(dig), &remote),
			 EID_EUNSUPPORTED);
	/* A truncated blob: the child's EID_EMALFORMED, the signer alive. */
	eid_buf_reset(&sealed);
	assert_int_equal(eid_key_seal(f->keys[0], kek, &sealed), EID_OK);
	assert_int_equal(eid_sigproc_load(p.sp, sealed.data, 20, &remote),
			 EID_EMALFORMED);
	assert_true(eid_sigproc_alive(p.sp));
	eid_buf_free(&sealed);
	assert_int_equal(eid_sigproc_sign(p.sp, "no-such-kid", EID_ALG_ES256,
					  dig, sizeof(dig), sig, sizeof(sig),
					  &len), EID_ENOTFOUND);
	remote = load(&p, f->keys[0]);
	/* The key's own algorithm and digest length only. */
	assert_int_equal(eid_sigproc_sign(p.sp, eid_key_kid(remote),
					  EID_ALG_RS256, dig, sizeof(dig), sig,
					  sizeof(sig), &len), EID_EMISMATCH);
	assert_int_equal(eid_sigproc_sign(p.sp, eid_key_kid(remote),
					  EID_ALG_ES256, dig, 20, sig,
					  sizeof(sig), &len), EID_EMISMATCH);
	assert_int_equal(eid_sigproc_sign(p.sp, eid_key_kid(remote),
					  EID_ALG_ES256, dig, sizeof(dig), sig,
					  sizeof(sig), &len), EID_OK);
	assert_true(eid_sigproc_alive(p.sp));
	eid_key_free(remote);
	proc_stop(&p);
}

#define PARALLEL_THREADS 6
#define PARALLEL_SIGNS 50

struct signing_thread {
	const eid_key *remote, *local;
	pthread_t tid;
	int id;
	int ok; /* tokens signed, verified and carrying this thread's id */
};

/* JWS after JWS through the shared key, each verified with the key made
 * here and checked to be this thread's own (no answer went astray). */
static void *sign_many(void *arg)
{
	struct signing_thread *st = arg;

	for (int i = 0; i < PARALLEL_SIGNS; i++) {
		json_t *claims = json_pack("{s:i,s:i}", "thread", st->id, "n",
					   i), *got = NULL;
		char *jws = NULL;

		if (claims != NULL &&
		    eid_jws_sign(st->remote, NULL, claims, &jws) == EID_OK &&
		    eid_jws_verify(jws, strlen(jws), &st->local, 1, algs, NULL,
				   &got) == EID_OK &&
		    json_integer_value(json_object_get(got, "thread")) ==
			    st->id &&
		    json_integer_value(json_object_get(got, "n")) == i)
			st->ok++;
		json_decref(got);
		json_decref(claims);
		free(jws);
	}
	return NULL;
}

/* More threads than channels, all signing at once, ES256 and RS256. */
static void test_parallel(void **state)
{
	struct fixture *f = *state;
	struct signing_thread st[PARALLEL_THREADS];
	eid_key *remote[2];
	struct proc p;

	proc_start(&p);
	remote[0] = load(&p, f->keys[0]);
	remote[1] = load(&p, f->keys[1]);
	for (int i = 0; i < PARALLEL_THREADS; i++) {
		st[i] = (struct signing_thread){ .remote = remote[i % 2],
						 .local = f->keys[i % 2],
						 .id = i };
		assert_int_equal(pthread_create(&st[i].tid, NULL, sign_many,
						&st[i]), 0);
	}
	for (int i = 0; i < PARALLEL_THREADS; i++) {
		assert_int_equal(pthread_join(st[i].tid, NULL), 0);
		assert_int_equal(st[i].ok, PARALLEL_SIGNS);
	}
	assert_true(eid_sigproc_alive(p.sp));
	eid_key_free(remote[0]);
	eid_key_free(remote[1]);
	proc_stop(&p);
}

/* A stand-in child on two channels: it holds the first request it reads
 * (and says so on note), answers the second, then the first. */
struct holding_child {
	int fd[2];
	int note;
};

static void *hold_first(void *arg)
{
	struct holding_child *h = arg;
	struct pollfd pfd[2] = { { h->fd[0], POLLIN, 0 },
				 { h->fd[1], POLLIN, 0 } };
	static const uint8_t sig[3] = { 1, 2, 3 };
	uint8_t in[EID_SIGNER_MSG_MAX];
	int held = -1, answered = 0;
	eid_buf ans;

	eid_buf_init(&ans, 64);
	if (eid_signer_resp_put(EID_OK, sig, sizeof(sig), &ans) != EID_OK)
		goto out;
	while (answered < 2 && poll(pfd, 2, 10000) > 0) {
		for (int i = 0; i < 2 && answered < 2; i++) {
			if ((pfd[i].revents & POLLIN) == 0 ||
			    read(pfd[i].fd, in, sizeof(in)) <= 0)
				continue;
			if (held < 0) {
				held = i;
				pfd[i].events = 0;
				(void)!write(h->note, "h", 1);
				continue;
			}
			answered += write(pfd[i].fd, ans.data, ans.len) > 0;
			answered += write(pfd[held].fd, ans.data, ans.len) > 0;
		}
	}
out:
	eid_buf_free(&ans);
	return NULL;
}

struct pending_sign {
	eid_sigproc *sp;
	int r;
};

static void *sign_once(void *arg)
{
	struct pending_sign *ps = arg;
	uint8_t dig[32] = { 0 }, sig[16];
	size_t len = 0;

	ps->r = eid_sigproc_sign(ps->sp, "k", EID_ALG_ES256, dig, sizeof(dig),
				 sig, sizeof(sig), &len);
	return NULL;
}

/* While one request waits for its answer, another thread's goes out on
 * the other channel and comes back: no request waits behind another's
 * round trip (with one lock for all, the second could not even be sent,
 * and both would fail after EID_SIGPROC_TIMEOUT_MS). */
static void test_no_waiting_behind(void **state)
{
	struct holding_child h;
	struct pending_sign first = { NULL, EID_EINTERNAL };
	struct pending_sign second = { NULL, EID_EINTERNAL };
	pthread_t child, t1;
	int sv[2][2], fds[2], note[2];
	char c;

	(void)state;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv[i]),
				 0);
		fds[i] = sv[i][0];
		h.fd[i] = sv[i][1];
	}
	assert_int_equal(pipe(note), 0);
	h.note = note[1];
	assert_int_equal(eid_sigproc_new(fds, NULL, 2, &first.sp), EID_OK);
	second.sp = first.sp;
	assert_int_equal(pthread_create(&child, NULL, hold_first, &h), 0);
	assert_int_equal(pthread_create(&t1, NULL, sign_once, &first), 0);
	assert_int_equal(read(note[0], &c, 1), 1); /* the first is held */
	sign_once(&second);
	assert_int_equal(second.r, EID_OK);
	assert_int_equal(pthread_join(t1, NULL), 0);
	assert_int_equal(first.r, EID_OK);
	assert_int_equal(pthread_join(child, NULL), 0);
	assert_true(eid_sigproc_alive(first.sp));
	eid_sigproc_free(first.sp);
	for (int i = 0; i < 2; i++)
		close(h.fd[i]);
	close(note[0]);
	close(note[1]);
}

/* GENERATE: a key of each of our algorithms born in the child; the worker
 * gets its sealed blob and a key without private part; the blob opens
 * here with the KEK into the same key, which verifies what the child
 * signs. */
static void test_generate(void **state)
{
	struct proc p;

	(void)state;
	proc_start(&p);
	for (int i = 0; i < 3; i++) {
		json_t *claims = json_pack("{s:s}", "sub", "9"), *got = NULL;
		eid_key *remote = NULL, *local = NULL;
		const eid_key *verifier;
		char *jws = NULL;
		eid_buf sealed;

		eid_buf_init(&sealed, EID_KEY_SEAL_MAX);
		assert_int_equal(eid_sigproc_generate(p.sp, fixture_algs[i],
						      &sealed, &remote), EID_OK);
		assert_int_equal(eid_key_alg(remote), fixture_algs[i]);
		assert_no_private(remote);
		assert_int_equal(eid_key_unseal(sealed.data, sealed.len, kek,
						&local), EID_OK);
		assert_string_equal(eid_key_kid(local), eid_key_kid(remote));
		assert_int_equal(eid_jws_sign(remote, NULL, claims, &jws),
				 EID_OK);
		verifier = local;
		assert_int_equal(eid_jws_verify(jws, strlen(jws), &verifier, 1,
						algs, NULL, &got), EID_OK);
		json_decref(got);
		json_decref(claims);
		free(jws);
		eid_key_free(local);
		eid_key_free(remote);
		eid_buf_free(&sealed);
	}
	/* An algorithm we only verify: refused, the child alive. */
	eid_key *none = NULL;
	eid_buf b;
	eid_buf_init(&b, EID_KEY_SEAL_MAX);
	assert_int_equal(eid_sigproc_generate(p.sp, EID_ALG_ES384, &b, &none),
			 EID_EUNSUPPORTED);
	assert_null(none);
	assert_int_equal(b.len, 0);
	assert_true(eid_sigproc_alive(p.sp));
	eid_buf_free(&b);
	proc_stop(&p);
}

static int sign_with(struct proc *p, const eid_key *k, const uint8_t *dig,
		     size_t n, uint8_t sig[512], size_t *len)
{
	return eid_sigproc_sign(p->sp, eid_key_kid(k), eid_key_alg(k), dig, n,
				sig, 512, len);
}

/* Citizens' keys (LOAD_SHORT) have slots of their own: more of them than
 * the child keeps push the oldest citizen's key out, never a token key
 * LOADed before them.  An EC key also signs SHA-384 and SHA-512 digests
 * (a CMS signature's), an RSA key only its algorithm's. */
static void test_short_keys_apart(void **state)
{
	struct fixture *f = *state;
	eid_key *token, *first = NULL, *last = NULL, *rsa, *k = NULL;
	uint8_t dig[64] = { 1, 2, 3 }, sig[512];
	EVP_PKEY_CTX *ctx;
	size_t len = 0;
	struct proc p;

	proc_start(&p);
	token = load(&p, f->keys[0]);
	for (int i = 0; i <= EID_SIGPROC_SHORT_MAX; i++) {
		assert_int_equal(eid_key_generate(EID_ALG_ES256, &k), EID_OK);
		eid_key_free(last);
		last = load_by(&p, k, eid_sigproc_load_short);
		if (first == NULL) {
			first = last;
			last = NULL;
		}
		eid_key_free(k);
	}
	assert_int_equal(sign_with(&p, first, dig, 32, sig, &len),
			 EID_ENOTFOUND);
	assert_int_equal(sign_with(&p, last, dig, 32, sig, &len), EID_OK);
	assert_int_equal(sign_with(&p, token, dig, 32, sig, &len), EID_OK);
	for (size_t n = 48; n <= 64; n += 16) {
		assert_int_equal(sign_with(&p, token, dig, n, sig, &len),
				 EID_OK);
		ctx = EVP_PKEY_CTX_new(eid_key_pkey(f->keys[0]), NULL);
		assert_non_null(ctx);
		assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
		assert_int_equal(EVP_PKEY_CTX_set_signature_md(
					 ctx, n == 48 ? EVP_sha384() :
							EVP_sha512()), 1);
		assert_int_equal(EVP_PKEY_verify(ctx, sig, len, dig, n), 1);
		EVP_PKEY_CTX_free(ctx);
	}
	rsa = load(&p, f->keys[1]);
	assert_int_equal(sign_with(&p, rsa, dig, 48, sig, &len),
			 EID_EMISMATCH);
	assert_int_equal(sign_with(&p, rsa, dig, 32, sig, &len), EID_OK);
	eid_key_free(rsa);
	eid_key_free(first);
	eid_key_free(last);
	eid_key_free(token);
	proc_stop(&p);
}

/* The child dies: requests fail with EID_EIO, for good. */
static void test_child_dies(void **state)
{
	struct fixture *f = *state;
	json_t *claims = json_pack("{s:s}", "sub", "1");
	eid_key *remote;
	char *jws = NULL;
	int status = 0;
	struct proc p;

	proc_start(&p);
	remote = load(&p, f->keys[0]);
	assert_int_equal(kill(p.pid, SIGKILL), 0);
	assert_int_equal(waitpid(p.pid, &status, 0), p.pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(eid_jws_sign(remote, NULL, claims, &jws), EID_EIO);
	assert_null(jws);
	assert_false(eid_sigproc_alive(p.sp));
	assert_int_equal(eid_jws_sign(remote, NULL, claims, &jws), EID_EIO);
	eid_key_free(remote);
	eid_sigproc_free(p.sp);
	json_decref(claims);
}

/* A signer that reads but never answers: the request fails after
 * EID_SIGPROC_TIMEOUT_MS and the signer counts as lost for good, on
 * every channel (a late answer would be taken for the next request's). */
static void test_no_answer(void **state)
{
	uint8_t dig[32] = { 0 }, sig[128];
	eid_sigproc *sp = NULL;
	size_t len = 0;
	int sv[2][2], fds[2], sent = 0;

	(void)state;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv[i]),
				 0);
		fds[i] = sv[i][0];
	}
	assert_int_equal(eid_sigproc_new(fds, NULL, 2, &sp), EID_OK);
	assert_int_equal(eid_sigproc_sign(sp, "kid", EID_ALG_ES256, dig,
					  sizeof(dig), sig, sizeof(sig), &len),
			 EID_EIO);
	assert_false(eid_sigproc_alive(sp));
	/* Nor is the idle channel tried: one request went out in all. */
	assert_int_equal(eid_sigproc_sign(sp, "kid", EID_ALG_ES256, dig,
					  sizeof(dig), sig, sizeof(sig), &len),
			 EID_EIO);
	for (int i = 0; i < 2; i++)
		while (recv(sv[i][1], sig, sizeof(sig), MSG_DONTWAIT) > 0)
			sent++;
	assert_int_equal(sent, 1);
	eid_sigproc_free(sp);
	close(sv[0][1]);
	close(sv[1][1]);
}

/* The CPUs this process may use, ascending; eid_signer_spawn binds the
 * channels to them in turn, and the child runs one thread per CPU used
 * (under its seccomp filter, which covers them all). */
static void test_cpu_binding(void **state)
{
	int mine[EID_SIGPROC_CHANNELS_MAX], cpus[5], fds[5];
	size_t n = eid_signer_cpus(mine, EID_SIGPROC_CHANNELS_MAX);
	size_t want = n < 5 ? n : 5, threads = 0;
	char path[64];
	int status = -1;
	pid_t pid;

	(void)state;
	assert_true(n >= 1);
	for (size_t i = 1; i < n; i++)
		assert_true(mine[i] > mine[i - 1]);
	assert_int_equal(eid_signer_spawn(kek, NULL, EID_SECCOMP_KILL, 5, &pid,
					  fds, cpus), EID_OK);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(cpus[i], mine[i % n]);
	/* Its threads, once made: the main one and one per other CPU. */
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	for (int tries = 0; tries < 200 && threads != want; tries++) {
		DIR *d = opendir(path);
		struct dirent *e;

		threads = 0;
		while (d != NULL && (e = readdir(d)) != NULL)
			threads += e->d_name[0] != '.';
		if (d != NULL)
			closedir(d);
		if (threads != want)
			usleep(10000);
	}
	assert_int_equal(threads, want);
	for (size_t i = 0; i < 5; i++)
		close(fds[i]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* A child of eid_sigproc_serve_on over two channels, a thread each. */
static pid_t serve_two(int sv[2][2])
{
	int fds[2], cpus[2] = { 0, 1 };
	pid_t pid;

	for (int i = 0; i < 2; i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv[i]),
				 0);
		fds[i] = sv[i][1];
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGPIPE, SIG_IGN); /* as eidd: a failed write, no death */
		close(sv[0][0]);
		close(sv[1][0]);
		_exit(eid_sigproc_serve_on(fds, cpus, 2, kek, NULL, NULL) ==
				      EID_OK ? 0 : 1);
	}
	close(sv[0][1]);
	close(sv[1][1]);
	return pid;
}

/* One key table for every thread: a key loaded on the first channel signs
 * on the second (another thread of the child). */
static void test_threads_share_keys(void **state)
{
	struct fixture *f = *state;
	json_t *claims = json_pack("{s:s}", "sub", "7"), *got = NULL;
	eid_sigproc *one = NULL, *two = NULL;
	eid_key *remote = NULL, *via_two = NULL;
	const eid_key *verifier;
	uint8_t dig[32] = { 9 }, sig[128];
	size_t len = 0;
	int sv[2][2], status = -1;
	char *jws = NULL;
	pid_t pid = serve_two(sv);
	eid_buf sealed;

	assert_int_equal(eid_sigproc_new(&sv[0][0], NULL, 1, &one), EID_OK);
	assert_int_equal(eid_sigproc_new(&sv[1][0], NULL, 1, &two), EID_OK);
	eid_buf_init(&sealed, EID_KEY_SEAL_MAX);
	assert_int_equal(eid_key_seal(f->keys[0], kek, &sealed), EID_OK);
	assert_int_equal(eid_sigproc_load(one, sealed.data, sealed.len,
					  &remote), EID_OK);
	/* The second channel's thread signs with it; the signature
	 * verifies with the key's public half. */
	assert_int_equal(eid_sigproc_sign(two, eid_key_kid(remote),
					  eid_key_alg(remote), dig, sizeof(dig),
					  sig, sizeof(sig), &len), EID_OK);
	assert_true(len > 0);
	/* And a JWS through a key handle of the second channel. */
	assert_int_equal(eid_sigproc_load(two, sealed.data, sealed.len,
					  &via_two), EID_OK);
	assert_int_equal(eid_jws_sign(via_two, NULL, claims, &jws), EID_OK);
	verifier = f->keys[0];
	assert_int_equal(eid_jws_verify(jws, strlen(jws), &verifier, 1, algs,
					NULL, &got), EID_OK);
	assert_string_equal(json_string_value(json_object_get(got, "sub")),
			    "7");
	json_decref(got);
	json_decref(claims);
	free(jws);
	eid_buf_free(&sealed);
	eid_key_free(remote);
	eid_key_free(via_two);
	eid_sigproc_free(one);
	eid_sigproc_free(two);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* A channel whose answer cannot be written (the worker closed it after
 * its request) ends the child: the other thread's channel reads EOF at
 * once, not at the worker's timeout, and the child exits 1. */
static void test_failed_channel_ends_all(void **state)
{
	uint8_t dig[32] = { 0 }, in[64];
	struct pollfd pfd;
	int sv[2][2], status = -1;
	pid_t pid = serve_two(sv);
	eid_buf req;

	(void)state;
	eid_buf_init(&req, EID_SIGNER_MSG_MAX);
	assert_int_equal(eid_signer_req_sign("nobody", EID_ALG_ES256, dig,
					     sizeof(dig), &req), EID_OK);
	assert_int_equal(send(sv[0][0], req.data, req.len, 0),
			 (ssize_t)req.len);
	close(sv[0][0]);
	pfd = (struct pollfd){ sv[1][0], POLLIN, 0 };
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_int_equal(recv(sv[1][0], in, sizeof(in), 0), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	close(sv[1][0]);
	eid_buf_free(&req);
}

/* The child's filter holds: it is killed by SIGSYS for a call outside
 * its list, here the open(2) a LOAD never makes. */
static void test_child_filter(void **state)
{
	(void)state;
	pid_t pid = fork();
	int status = 0;

	assert_true(pid >= 0);
	if (pid == 0) {
		if (eid_seccomp_install_signer(EID_SECCOMP_KILL) != EID_OK)
			_exit(10);
		(void)!write(-1, "", 0); /* allowed */
		(void)getppid();         /* not on the list */
		_exit(11);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jws_every_alg),
		cmocka_unit_test(test_x509_through_method),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_parallel),
		cmocka_unit_test(test_no_waiting_behind),
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_short_keys_apart),
		cmocka_unit_test(test_child_dies),
		cmocka_unit_test(test_no_answer),
		cmocka_unit_test(test_child_filter),
		cmocka_unit_test(test_cpu_binding),
		cmocka_unit_test(test_threads_share_keys),
		cmocka_unit_test(test_failed_channel_ends_all),
	};

	return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
