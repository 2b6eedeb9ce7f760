/* Starting eidd's signer process ([keys] signer = process;
 * crypto/signer_proc.h says what it does, docs/security.md why).
 *
 * A plain fork, no exec: the child is a copy of eidd taken before any
 * thread, socket or request exists, so it needs no configuration of its
 * own.  It keeps only its ends of the socketpairs and stderr, gives up
 * root like eidd will, makes one serving thread per CPU (each bound
 * there), installs its own seccomp list over them all, dies with its
 * parent (PR_SET_PDEATHSIG, and EOF on the sockets), and serves until
 * then. */
#ifndef EID_SIGNER_SPAWN_H
#define EID_SIGNER_SPAWN_H

#include <stdint.h>
#include <sys/types.h>

#include "crypto/signer_proc.h"
#include "tools/privdrop.h"
#include "tools/seccomp_filter.h"

/* The CPUs this process may run on (its affinity), the first max of
 * them, in ascending order; 0 when they cannot be read. */
size_t eid_signer_cpus(int *cpus, size_t max);

/* Fork the child with the KEK; drop (NULL: eidd runs unprivileged) is the
 * identity it takes, from a process that holds root as its saved or
 * effective id.  The parent gets the child's pid, its ends of the
 * channels socketpairs (1 to EID_SIGPROC_CHANNELS_MAX; SOCK_SEQPACKET,
 * close-on-exec) in ret_fds[0..channels), and in ret_cpus[0..channels)
 * the CPU the child answers each on (eid_signer_cpus in turn; -1 each
 * when unknown). */
int eid_signer_spawn(const uint8_t kek[32], const struct eid_priv *drop,
		     enum eid_seccomp_mode mode, size_t channels,
		     pid_t *ret_pid, int *ret_fds, int *ret_cpus);

/* eid_signer_spawn and the worker's handle on the child's sockets. */
int eid_signer_start(const uint8_t kek[32], const struct eid_priv *drop,
		     enum eid_seccomp_mode mode, size_t channels,
		     eid_sigproc **ret_sp, pid_t *ret_pid);

#endif
