#define _GNU_SOURCE /* close_range, sched_getaffinity */
#include "tools/signer_spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "crypto/error.h"
#include "crypto/signer_proc.h"

#define CHILD_FD 3

static void child_fail(const char *what, int r)
{
	fprintf(stderr, "eidd: signer process: %s: %s\n", what,
		eid_strerror(r));
}

/* The n channels moved to CHILD_FD, CHILD_FD + 1, ... and every other
 * descriptor above stderr closed.  Each goes above the targets first, so
 * that no dup2 lands on a channel not yet moved. */
static int channels_renumber(const int *fds, size_t n, int *moved)
{
	int high[EID_SIGPROC_CHANNELS_MAX];

	for (size_t i = 0; i < n; i++)
		if ((high[i] = fcntl(fds[i], F_DUPFD, CHILD_FD + (int)n)) < 0)
			return EID_EIO;
	for (size_t i = 0; i < n; i++) {
		moved[i] = CHILD_FD + (int)i;
		if (dup2(high[i], moved[i]) != moved[i])
			return EID_EIO;
	}
	return close_range(CHILD_FD + (unsigned)n, ~0U, 0) == 0 ? EID_OK :
								 EID_EIO;
}

size_t eid_signer_cpus(int *cpus, size_t max)
{
	cpu_set_t set;
	size_t n = 0;

	if (cpus == NULL || sched_getaffinity(0, sizeof(set), &set) != 0)
		return 0;
	for (int cpu = 0; cpu < CPU_SETSIZE && n < max; cpu++)
		if (CPU_ISSET(cpu, &set))
			cpus[n++] = cpu;
	return n;
}

/* Channel i on the i-th CPU this process may use, round the list; -1 for
 * each when the list is unknown. */
static void channels_bind(int *cpus, size_t n)
{
	int mine[EID_SIGPROC_CHANNELS_MAX];
	size_t count = eid_signer_cpus(mine, EID_SIGPROC_CHANNELS_MAX);

	for (size_t i = 0; i < n; i++)
		cpus[i] = count > 0 ? mine[i % count] : -1;
}

/* The child's confinement, run once its serving threads exist (so the
 * filter need not allow making threads, and covers them all). */
static int child_confine(void *arg)
{
	const enum eid_seccomp_mode *mode = arg;
	int r;

	if ((r = eid_priv_no_new_privs()) != EID_OK ||
	    (r = eid_seccomp_install_signer(*mode)) != EID_OK)
		child_fail("seccomp", r);
	return r;
}

/* In the child: never returns. */
static void child_run(const int *fds, const int *cpus, size_t n,
		      pid_t parent, const uint8_t kek[32],
		      const struct eid_priv *drop, enum eid_seccomp_mode mode)
{
	int moved[EID_SIGPROC_CHANNELS_MAX];
	int r = EID_EINTERNAL;

	/* Only the sockets and stderr stay open. */
	if (channels_renumber(fds, n, moved) != EID_OK) {
		child_fail("descriptors", r);
		goto out;
	}
	close(STDIN_FILENO);
	close(STDOUT_FILENO);
	if (drop != NULL && ((r = eid_priv_leave()) != EID_OK ||
			     (r = eid_priv_drop(drop)) != EID_OK)) {
		child_fail("cannot drop root", r);
		goto out;
	}
	/* After the drop: changing ids clears the parent-death signal.
	 * Not dumpable: a process of the same user (the worker itself,
	 * through /proc/PID/mem) cannot read the keys out of it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) {
		child_fail("parent gone", EID_ESTATE);
		goto out;
	}
	if (prctl(PR_SET_DUMPABLE, 0) != 0) {
		child_fail("not dumpable", EID_EINTERNAL);
		goto out;
	}
	/* jansson seeds its hash tables from /dev/urandom at the first JSON
	 * object (a new key's JWK): an open() the filter refuses, so now. */
	json_object_seed(0);
	r = eid_sigproc_serve_on(moved, cpus, n, kek, child_confine, &mode);
out:
	/* _exit: no atexit handlers, no stdio flush of the parent's
	 * buffers, no sanitizer leak check (it would ptrace). */
	_exit(r == EID_OK ? 0 : 1);
}

static void close_all(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

int eid_signer_spawn(const uint8_t kek[32], const struct eid_priv *drop,
		     enum eid_seccomp_mode mode, size_t channels,
		     pid_t *ret_pid, int *ret_fds, int *ret_cpus)
{
	int ours[EID_SIGPROC_CHANNELS_MAX], theirs[EID_SIGPROC_CHANNELS_MAX];
	pid_t parent = getpid(), pid = -1;
	size_t made = 0;
	int sv[2];

	if (kek == NULL || ret_pid == NULL || ret_fds == NULL ||
	    ret_cpus == NULL || channels == 0 ||
	    channels > EID_SIGPROC_CHANNELS_MAX)
		return EID_EINVAL;
	channels_bind(ret_cpus, channels);
	for (; made < channels; made++) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
			       sv) != 0)
			break;
		ours[made] = sv[0];
		theirs[made] = sv[1];
	}
	if (made == channels) {
		fflush(NULL);
		pid = fork();
	}
	if (pid == 0) {
		close_all(ours, channels);
		child_run(theirs, ret_cpus, channels, parent, kek, drop,
			  mode);
	}
	close_all(theirs, made);
	if (pid < 0) {
		close_all(ours, made);
		return EID_EIO;
	}
	memcpy(ret_fds, ours, channels * sizeof(ours[0]));
	*ret_pid = pid;
	return EID_OK;
}

int eid_signer_start(const uint8_t kek[32], const struct eid_priv *drop,
		     enum eid_seccomp_mode mode, size_t channels,
		     eid_sigproc **ret_sp, pid_t *ret_pid)
{
	int fds[EID_SIGPROC_CHANNELS_MAX], cpus[EID_SIGPROC_CHANNELS_MAX];
	pid_t pid;
	int r;

	if (ret_sp == NULL || ret_pid == NULL)
		return EID_EINVAL;
	r = eid_signer_spawn(kek, drop, mode, channels, &pid, fds, cpus);
	if (r != EID_OK)
		return r;
	/* On failure the sockets close and the child exits at their EOF. */
	if ((r = eid_sigproc_new(fds, cpus, channels, ret_sp)) != EID_OK)
		return r;
	*ret_pid = pid;
	return EID_OK;
}
