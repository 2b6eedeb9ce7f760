/* Starting eidd's signer process ([keys] signer = process;
 * crypto/signer_proc.h says what it does, docs/security.md why).
 *
 * A plain fork, no exec: the child is a copy of eidd taken before any
 * thread, socket or request exists, so it needs no configuration of its
 * own.  It keeps only its ends of the socketpairs and stderr, gives up
 * root like eidd will, installs its own seccomp list, dies with its parent
 * (PR_SET_PDEATHSIG, and EOF on the sockets), and serves until then. */
#ifndef EID_SIGNER_SPAWN_H
#define EID_SIGNER_SPAWN_H

#include <stdint.h>
#include <sys/types.h>

#include "crypto/signer_proc.h"
#include "tools/privdrop.h"
#include "tools/seccomp_filter.h"

/* Fork the child with the KEK; drop (NULL: eidd runs unprivileged) is the
 * identity it takes, from a process that holds root as its saved or
 * effective id.  The parent gets the child's pid and its ends of the
 * channels socketpairs (1 to EID_SIGPROC_CHANNELS_MAX; SOCK_SEQPACKET,
 * close-on-exec) in ret_fds[0..channels). */
int eid_signer_spawn(const uint8_t kek[32], const struct eid_priv *drop,
		     enum eid_seccomp_mode mode, size_t channels,
		     pid_t *ret_pid, int *ret_fds);

/* eid_signer_spawn and the worker's handle on the child's sockets. */
int eid_signer_start(const uint8_t kek[32], const struct eid_priv *drop,
		     enum eid_seccomp_mode mode, size_t channels,
		     eid_sigproc **ret_sp, pid_t *ret_pid);

#endif
