/* eidd's system-call allow-list (tools/seccomp_filter.h).
 *
 * Derived from what eidd really calls: the integration suites run with
 * eidd under `strace -f -c` (docs/security.md), plus what glibc, libcurl's
 * resolver and LMDB call on paths those suites do not take (marked). */
#define _GNU_SOURCE /* CLONE_THREAD */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <seccomp.h>

#include "crypto/error.h"
#include "tools/seccomp_filter.h"

/* Allowed with any arguments. */
static const char *const allowed[] = {
	/* memory */
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "msync",
	/* files: the store, the SIGHUP certificate reload, outboxes */
	"read", "write", "pread64", "pwrite64", "readv", "writev", "preadv",
	"pwritev", "openat", "close", "fstat", "newfstatat", "statx", "lseek",
	"fsync", "fdatasync", "ftruncate", "fallocate", "fcntl", "flock",
	"getdents64", "faccessat", "faccessat2", "access", "readlink",
	"readlinkat", "rename", "renameat", "renameat2", "unlink", "unlinkat",
	"mkdir", "mkdirat", "fchmod", "umask", "statfs", "fstatfs", "getcwd",
	"dup", "dup2", "dup3", "pipe2", "eventfd2",
	/* network: MHD's listener, libcurl's connections and resolver */
	"socketpair", "connect", "accept", "accept4", "bind", "listen",
	"getsockname", "getpeername", "setsockopt", "getsockopt", "shutdown",
	"sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg",
	"poll", "ppoll", "select", "pselect6", "epoll_create1", "epoll_ctl",
	"epoll_wait", "epoll_pwait", "epoll_pwait2",
	/* threads, signals, time */
	"futex", "set_robust_list", "rseq", "sched_yield", "sched_getaffinity",
	"gettid", "getpid", "tgkill", "rt_sigaction", "rt_sigprocmask",
	"rt_sigreturn", "rt_sigtimedwait", "sigaltstack", "restart_syscall",
	"exit", "exit_group", "set_tid_address", "nanosleep",
	"clock_nanosleep", "clock_gettime", "clock_getres", "gettimeofday",
	"time", "getrandom", "uname", "sysinfo", "prlimit64", "getrlimit",
	"getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid",
	"getgroups",
	/* reaping the signer process ([keys] signer = process) */
	"wait4",
};

/* ioctl: stdio asks whether a stream is a terminal, sockets are made
 * non-blocking or asked how much is waiting; not terminal injection
 * (TIOCSTI) or device control. */
static const unsigned long ioctls[] = { TCGETS, FIONREAD, FIONBIO, FIOCLEX,
					FIONCLEX };
/* prctl: naming threads (libmicrohttpd); no_new_privs is set before. */
static const int prctls[] = { PR_SET_NAME, PR_GET_NAME };

/* Socket families a server and its HTTP client use: AF_NETLINK is glibc's
 * getaddrinfo asking for the host's addresses (AI_ADDRCONFIG). */
static const int families[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK };

int eid_seccomp_mode_from_name(const char *name, enum eid_seccomp_mode *ret)
{
	if (strcmp(name, "kill") == 0)
		*ret = EID_SECCOMP_KILL;
	else if (strcmp(name, "log") == 0)
		*ret = EID_SECCOMP_LOG;
	else if (strcmp(name, "off") == 0)
		*ret = EID_SECCOMP_OFF;
	else
		return EID_EINVAL;
	return EID_OK;
}

static int add_rules(scmp_filter_ctx ctx)
{
	size_t i;
	int nr;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		nr = seccomp_syscall_resolve_name(allowed[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not a call of this architecture */
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) != 0)
			return EID_EINTERNAL;
	}
	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				     SCMP_A0(SCMP_CMP_EQ,
					     (scmp_datum_t)families[i])) != 0)
			return EID_EINTERNAL;
	for (i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_EQ, ioctls[i])) != 0)
			return EID_EINTERNAL;
	for (i = 0; i < sizeof(prctls) / sizeof(prctls[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
				     SCMP_A0(SCMP_CMP_EQ,
					     (scmp_datum_t)prctls[i])) != 0)
			return EID_EINTERNAL;
	/* Threads, never processes: clone only with CLONE_THREAD.  clone3
	 * passes its flags in memory the filter cannot read, so it fails
	 * with ENOSYS and glibc falls back to clone. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
			     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD,
				     CLONE_THREAD)) != 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
			     0) != 0)
		return EID_EINTERNAL;
	return EID_OK;
}

/* A filter of mode, its rules added by add, loaded on this thread (and
 * every thread with tsync). */
static int install(enum eid_seccomp_mode mode, int (*add)(scmp_filter_ctx),
		   bool tsync)
{
	scmp_filter_ctx ctx;
	uint32_t deny;
	int r;

	if (mode == EID_SECCOMP_OFF)
		return EID_OK;
	deny = mode == EID_SECCOMP_KILL ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_LOG;
	if ((ctx = seccomp_init(deny)) == NULL)
		return EID_ENOMEM;
	r = EID_EINTERNAL;
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1) != 0 ||
	    (tsync && seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0))
		goto out;
	if ((r = add(ctx)) != EID_OK)
		goto out;
	r = seccomp_load(ctx) == 0 ? EID_OK : EID_EUNSUPPORTED;
out:
	seccomp_release(ctx);
	return r;
}

int eid_seccomp_install(enum eid_seccomp_mode mode)
{
	return install(mode, add_rules, true);
}

/* The signer child's list: its sockets (ppoll waits on them all),
 * memory, randomness for ECDSA nonces and RSA blinding, the futexes of
 * its threads' locks, and leaving.  No open, no socket, no clone: the
 * threads are made (and bound to their CPUs) before the filter, which
 * covers them all. */
static const char *const signer_allowed[] = {
	"read", "write", "ppoll", "brk", "mmap", "munmap", "mremap", "madvise",
	"mprotect", "futex", "getrandom", "getpid", "gettid", "clock_gettime",
	"rt_sigreturn", "rt_sigprocmask", "exit", "exit_group",
	"sigaltstack", /* AddressSanitizer's allocator asks for it */
};

static int add_signer_rules(scmp_filter_ctx ctx)
{
	int nr;

	for (size_t i = 0; i < sizeof(signer_allowed) /
				       sizeof(signer_allowed[0]); i++) {
		nr = seccomp_syscall_resolve_name(signer_allowed[i]);
		if (nr != __NR_SCMP_ERROR &&
		    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) != 0)
			return EID_EINTERNAL;
	}
	return EID_OK;
}

int eid_seccomp_install_signer(enum eid_seccomp_mode mode)
{
	/* tsync: the child's serving threads exist by then. */
	return install(mode, add_signer_rules, true);
}
