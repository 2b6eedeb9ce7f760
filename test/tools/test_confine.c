/* eidd's confinement (tools/seccomp_filter.c, tools/privdrop.c): each case
 * forks a child that installs the very filter eidd installs, then tries
 * something; the parent reads how the child ended. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "tools/privdrop.h"
#include "tools/seccomp_filter.h"

/* Exit codes of a child that did not get killed. */
#define CHILD_OK 0
#define CHILD_NOFILTER 10
#define CHILD_ALLOWED 11 /* the forbidden call was not stopped */

typedef void (*child_fn)(void);

/* Runs fn in a child under the kill filter; returns its wait status.
 * The child leaves with _exit: no atexit handlers (LeakSanitizer's own
 * tracer would need ptrace and clone). */
static int run_confined(child_fn fn)
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (eid_seccomp_install(EID_SECCOMP_KILL) != EID_OK)
			_exit(CHILD_NOFILTER);
		fn();
		_exit(CHILD_ALLOWED);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void assert_killed_by_filter(int status)
{
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

static void try_execve(void)
{
	char *argv[] = { (char *)"/bin/true", NULL };
	char *envp[] = { NULL };

	execve("/bin/true", argv, envp);
}

static void try_ptrace(void)
{
	(void)syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
}

static void try_packet_socket(void)
{
	(void)socket(AF_PACKET, SOCK_RAW, 0);
}

static void try_fork(void)
{
	/* fork() itself: clone without CLONE_THREAD. */
	(void)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
}

static void try_tiocsti(void)
{
	(void)ioctl(0, TIOCSTI, "x");
}

static void try_prctl_dumpable(void)
{
	(void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

static void try_setuid_root(void)
{
	(void)syscall(SYS_setuid, 0);
}

static void test_forbidden_calls_kill(void **state)
{
	(void)state;
	assert_killed_by_filter(run_confined(try_execve));
	assert_killed_by_filter(run_confined(try_ptrace));
	assert_killed_by_filter(run_confined(try_packet_socket));
	assert_killed_by_filter(run_confined(try_fork));
	assert_killed_by_filter(run_confined(try_setuid_root));
	assert_killed_by_filter(run_confined(try_tiocsti));
	assert_killed_by_filter(run_confined(try_prctl_dumpable));
}

static void *thread_main(void *arg)
{
	int *out = arg;
	uint8_t b[16];

	*out = getrandom(b, sizeof(b), 0) == (ssize_t)sizeof(b);
	return NULL;
}

/* What eidd does all day still works under the filter: threads, files,
 * sockets of the allowed families, randomness, time. */
static void do_allowed(void)
{
	pthread_t t;
	int ok = 0, fd, s, n = 0;
	char buf[4096];
	ssize_t got;
	struct timespec ts;

	if (pthread_create(&t, NULL, thread_main, &ok) != 0 ||
	    pthread_join(t, NULL) != 0 || !ok)
		_exit(1);
	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (got = read(fd, buf, sizeof(buf) - 1)) <= 0 ||
	    close(fd) != 0)
		_exit(2);
	buf[got] = '\0';
	/* The kernel's view: a filter in mode 2, no_new_privs set. */
	if (strstr(buf, "\nSeccomp:\t2\n") == NULL ||
	    strstr(buf, "\nNoNewPrivs:\t1\n") == NULL)
		_exit(5);
	s = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || ioctl(s, FIONBIO, &n) != 0 || close(s) != 0)
		_exit(3);
	if (prctl(PR_SET_NAME, "eid-test", 0, 0, 0) != 0)
		_exit(8);
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		_exit(4);
	_exit(CHILD_OK);
}

static void test_allowed_calls_work(void **state)
{
	int status = run_confined(do_allowed);

	(void)state;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), CHILD_OK);
}

/* A thread that exists before the filter is installed gets it too
 * (eidd's HTTP and worker threads start before the filter). */
static volatile int go;

static void *late_exec(void *arg)
{
	(void)arg;
	while (!go)
		usleep(1000);
	try_execve();
	_exit(CHILD_ALLOWED);
}

static void test_filter_reaches_running_threads(void **state)
{
	int status = 0;
	pid_t pid = fork();
	pthread_t t;

	(void)state;
	assert_true(pid >= 0);
	if (pid == 0) {
		if (pthread_create(&t, NULL, late_exec, NULL) != 0)
			_exit(CHILD_NOFILTER);
		if (eid_seccomp_install(EID_SECCOMP_KILL) != EID_OK)
			_exit(CHILD_NOFILTER);
		go = 1;
		pthread_join(t, NULL);
		_exit(CHILD_ALLOWED);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_killed_by_filter(status);
}

static void test_modes(void **state)
{
	enum eid_seccomp_mode m;

	(void)state;
	assert_int_equal(eid_seccomp_mode_from_name("kill", &m), EID_OK);
	assert_int_equal(m, EID_SECCOMP_KILL);
	assert_int_equal(eid_seccomp_mode_from_name("log", &m), EID_OK);
	assert_int_equal(m, EID_SECCOMP_LOG);
	assert_int_equal(eid_seccomp_mode_from_name("off", &m), EID_OK);
	assert_int_equal(m, EID_SECCOMP_OFF);
	assert_int_equal(eid_seccomp_mode_from_name("KILL", &m), EID_EINVAL);
	assert_int_equal(eid_seccomp_mode_from_name("", &m), EID_EINVAL);
	/* off installs nothing: a forbidden call goes through. */
	assert_int_equal(eid_seccomp_install(EID_SECCOMP_OFF), EID_OK);
}

/* Root only: the drop to nobody sticks (setuid(0) fails afterwards). */
static void test_drop_root(void **state)
{
	struct eid_priv p;
	int status = 0;
	pid_t pid;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(eid_priv_lookup("root", NULL, &p), EID_ECONFIG);
	assert_int_equal(eid_priv_lookup("no-such-user-eid", NULL, &p),
			 EID_ENOTFOUND);
	assert_int_equal(eid_priv_lookup("nobody", "no-such-group-eid", &p),
			 EID_ENOTFOUND);
	assert_int_equal(eid_priv_lookup("nobody", NULL, &p), EID_OK);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Enter and leave: back to root; then the real drop. */
		if (eid_priv_enter(&p) != EID_OK || geteuid() != p.uid ||
		    eid_priv_leave() != EID_OK || geteuid() != 0)
			_exit(1);
		if (eid_priv_drop(&p) != EID_OK)
			_exit(2);
		if (setuid(0) == 0 || seteuid(0) == 0 || getuid() != p.uid)
			_exit(3);
		_exit(CHILD_OK);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), CHILD_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_forbidden_calls_kill),
		cmocka_unit_test(test_allowed_calls_work),
		cmocka_unit_test(test_filter_reaches_running_threads),
		cmocka_unit_test(test_drop_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
