/* A signer process for idp tests: a forked child serving
 * eid_sigproc_serve with a given KEK over a socketpair, as eidd's child
 * does (without its privilege drop and filter: test/tools/test_signer.c
 * covers those). */
#ifndef EID_TEST_SIGPROC_FIXTURE_H
#define EID_TEST_SIGPROC_FIXTURE_H

#include <stdint.h>
#include <sys/types.h>

#include "crypto/signer_proc.h"

struct sigproc_fixture {
	eid_sigproc *sp;
	pid_t pid;
};

/* Fails the test on error. */
void sigproc_fixture_start(struct sigproc_fixture *p, const uint8_t kek[32]);
/* Every key loaded through p->sp must be freed first; the child must
 * exit 0 at the EOF. */
void sigproc_fixture_stop(struct sigproc_fixture *p);

#endif
