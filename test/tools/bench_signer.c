/* ES256 JWS signatures through the signer process against a key in memory
 * (docs/performance.md, "The signer process"): THREADS threads sign for
 * SECONDS each way, the child started as eidd starts it (no seccomp
 * filter here: the cost measured is the round trip's), with one channel
 * per thread and one more.  Prints signatures per second and the CPU time
 * per signature, the child's included (it is reaped before it is read).
 *
 *   bench_signer [THREADS [SECONDS]]     (default 2 threads, 3 s) */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "crypto/error.h"
#include "crypto/jws_write.h"
#include "crypto/keys.h"
#include "crypto/signer_proc.h"
#include "tools/signer_spawn.h"

#define THREADS_MAX 32

static const uint8_t kek[32] = { 7 };
/* The signing input of a typical access token. */
static const char input[] =
	"eyJhbGciOiJFUzI1NiIsImtpZCI6ImJlbmNoIiwidHlwIjoiYXQrand0In0."
	"eyJpc3MiOiJodHRwOi8vMTI3LjAuMC4xOjgwODAiLCJzdWIiOiJiZW5jaCIsImF1"
	"ZCI6ImJlbmNoIiwiZXhwIjoxNzAwMDAwOTAwLCJpYXQiOjE3MDAwMDAwMDB9";

struct run {
	const eid_key *key;
	double until;
	atomic_ulong done;
	atomic_bool failed;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(int who)
{
	struct rusage ru;

	getrusage(who, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void *sign_loop(void *arg)
{
	struct run *run = arg;
	eid_buf sig;

	eid_buf_init(&sig, 1024);
	while (now_s() < run->until) {
		eid_buf_reset(&sig);
		if (eid_jws_signature(run->key, input, sizeof(input) - 1,
				      &sig) != EID_OK) {
			atomic_store(&run->failed, true);
			break;
		}
		atomic_fetch_add(&run->done, 1);
	}
	eid_buf_free(&sig);
	return NULL;
}

/* Signatures made with key by threads threads in seconds, the time they
 * took in *ret_s; 0 on failure. */
static unsigned long measure(const eid_key *key, int threads, double seconds,
			     double *ret_s)
{
	pthread_t tid[THREADS_MAX];
	struct run run = { .key = key };
	double start = now_s();
	int made = 0;

	run.until = start + seconds;
	atomic_init(&run.done, 0);
	atomic_init(&run.failed, false);
	while (made < threads &&
	       pthread_create(&tid[made], NULL, sign_loop, &run) == 0)
		made++;
	for (int i = 0; i < made; i++)
		pthread_join(tid[i], NULL);
	*ret_s = now_s() - start;
	if (made < threads || atomic_load(&run.failed))
		return 0;
	return atomic_load(&run.done);
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 2;
	double seconds = argc > 2 ? atof(argv[2]) : 3, cpu, child, wall;
	eid_key *key = NULL, *remote = NULL;
	eid_sigproc *sp = NULL;
	unsigned long n;
	eid_buf sealed;
	pid_t pid = 0;
	int status;

	if (threads < 1 || threads > THREADS_MAX || seconds <= 0) {
		fprintf(stderr, "usage: bench_signer [THREADS (1-%d) "
			"[SECONDS]]\n", THREADS_MAX);
		return 2;
	}
	eid_buf_init(&sealed, EID_KEY_SEAL_MAX);
	if (eid_key_generate(EID_ALG_ES256, &key) != EID_OK ||
	    eid_key_seal(key, kek, &sealed) != EID_OK ||
	    eid_signer_start(kek, NULL, EID_SECCOMP_OFF, (size_t)threads + 1,
			     &sp, &pid) != EID_OK ||
	    eid_sigproc_load(sp, sealed.data, sealed.len, &remote) !=
		    EID_OK) {
		fprintf(stderr, "bench_signer: cannot set up the keys\n");
		return 1;
	}
	eid_buf_free(&sealed);

	cpu = cpu_s(RUSAGE_SELF);
	n = measure(key, threads, seconds, &wall);
	cpu = cpu_s(RUSAGE_SELF) - cpu;
	if (n == 0) {
		fprintf(stderr, "bench_signer: signing in memory failed\n");
		return 1;
	}
	printf("inprocess: %d threads, %.0f signatures/s, %.1f us CPU each\n",
	       threads, (double)n / wall, 1e6 * cpu / (double)n);

	cpu = cpu_s(RUSAGE_SELF);
	n = measure(remote, threads, seconds, &wall);
	cpu = cpu_s(RUSAGE_SELF) - cpu;
	eid_key_free(remote);
	eid_sigproc_free(sp);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0 || n == 0) {
		fprintf(stderr, "bench_signer: signing through the signer "
			"process failed\n");
		return 1;
	}
	/* The child's whole life: its LOAD too, a rounding error here. */
	child = cpu_s(RUSAGE_CHILDREN);
	printf("process:   %d threads, %.0f signatures/s, %.1f us CPU each "
	       "(%.1f in the worker, %.1f in the signer)\n",
	       threads, (double)n / wall, 1e6 * (cpu + child) / (double)n,
	       1e6 * cpu / (double)n, 1e6 * child / (double)n);
	eid_key_free(key);
	return 0;
}
