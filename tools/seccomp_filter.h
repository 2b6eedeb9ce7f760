/* eidd's system-call allow-list (libseccomp), installed once start-up is
 * over: everything the serving process needs (HTTP threads, LMDB, libcurl
 * workers, OpenSSL, GnuTLS, the SIGHUP certificate reload) and nothing it
 * does not (no execve, no new processes, no ptrace, no raw sockets, no
 * mounts or module loading).  The list and how it was derived:
 * docs/security.md. */
#ifndef EID_SECCOMP_FILTER_H
#define EID_SECCOMP_FILTER_H

enum eid_seccomp_mode {
	EID_SECCOMP_OFF,  /* no filter */
	EID_SECCOMP_LOG,  /* calls outside the list are allowed and logged
			   * by the kernel's audit (SECCOMP_RET_LOG) */
	EID_SECCOMP_KILL, /* calls outside the list kill the whole process */
};

/* "kill", "log" or "off" ([server] seccomp); EID_EINVAL otherwise. */
int eid_seccomp_mode_from_name(const char *name, enum eid_seccomp_mode *ret);

/* Installs the filter on every thread of the process (TSYNC) and sets
 * no_new_privs; threads created later inherit it.  EID_OK and nothing
 * done for EID_SECCOMP_OFF; EID_EUNSUPPORTED when the kernel refuses. */
int eid_seccomp_install(enum eid_seccomp_mode mode);

/* The signer process's far shorter list (tools/signer_spawn.h): ppoll,
 * read and write on the descriptors it has, memory, getrandom, exit.  Sets
 * no_new_privs; on every thread of the child (TSYNC). */
int eid_seccomp_install_signer(enum eid_seccomp_mode mode);

#endif
