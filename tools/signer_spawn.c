#define _GNU_SOURCE /* close_range */
#include "tools/signer_spawn.h"

#include <signal.h>
#include <stdio.h>
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

/* In the child: never returns. */
static void child_run(int fd, pid_t parent, const uint8_t kek[32],
		      const struct eid_priv *drop, enum eid_seccomp_mode mode)
{
	int r = EID_EINTERNAL;

	/* Only the socket and stderr stay open. */
	if ((fd != CHILD_FD && dup2(fd, CHILD_FD) != CHILD_FD) ||
	    close_range(CHILD_FD + 1, ~0U, 0) != 0) {
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
	if ((r = eid_priv_no_new_privs()) != EID_OK ||
	    (r = eid_seccomp_install_signer(mode)) != EID_OK) {
		child_fail("seccomp", r);
		goto out;
	}
	r = eid_sigproc_serve(CHILD_FD, kek);
out:
	/* _exit: no atexit handlers, no stdio flush of the parent's
	 * buffers, no sanitizer leak check (it would ptrace). */
	_exit(r == EID_OK ? 0 : 1);
}

int eid_signer_spawn(const uint8_t kek[32], const struct eid_priv *drop,
		     enum eid_seccomp_mode mode, pid_t *ret_pid, int *ret_fd)
{
	pid_t parent = getpid(), pid;
	int sv[2];

	if (kek == NULL || ret_pid == NULL || ret_fd == NULL)
		return EID_EINVAL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return EID_EIO;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return EID_EIO;
	}
	if (pid == 0) {
		close(sv[0]);
		child_run(sv[1], parent, kek, drop, mode);
	}
	close(sv[1]);
	*ret_pid = pid;
	*ret_fd = sv[0];
	return EID_OK;
}

int eid_signer_start(const uint8_t kek[32], const struct eid_priv *drop,
		     enum eid_seccomp_mode mode, eid_sigproc **ret_sp,
		     pid_t *ret_pid)
{
	pid_t pid;
	int fd, r;

	if (ret_sp == NULL || ret_pid == NULL)
		return EID_EINVAL;
	if ((r = eid_signer_spawn(kek, drop, mode, &pid, &fd)) != EID_OK)
		return r;
	/* On failure the socket closes and the child exits at its EOF. */
	if ((r = eid_sigproc_new(fd, ret_sp)) != EID_OK)
		return r;
	*ret_pid = pid;
	return EID_OK;
}
