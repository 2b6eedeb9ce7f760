#include "sigproc_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto/error.h"

void sigproc_fixture_start(struct sigproc_fixture *p, const uint8_t kek[32])
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				    sv), 0);
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		close(sv[0]);
		_exit(eid_sigproc_serve(&sv[1], 1, kek) == EID_OK ? 0 : 1);
	}
	close(sv[1]);
	assert_int_equal(eid_sigproc_new(&sv[0], NULL, 1, &p->sp), EID_OK);
}

void sigproc_fixture_stop(struct sigproc_fixture *p)
{
	int status = -1;

	eid_sigproc_free(p->sp);
	p->sp = NULL;
	assert_int_equal(waitpid(p->pid, &status, 0), p->pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}
