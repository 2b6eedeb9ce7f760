/* Giving up root: eidd started as root opens what needs root (a port below
 * 1024, root-only TLS files), then becomes [server] user for good.
 *
 * The data directory and the key-encryption key are opened with the
 * user's effective ids (eid_priv_enter), so what eidd creates there is the
 * user's and what it cannot reach after the drop fails at start-up, not at
 * the first request.  eid_priv_drop then sets all three uids and gids and
 * checks that root cannot be taken back.  glibc applies set*id calls to
 * every thread of the process, so the drop may follow thread start-up. */
#ifndef EID_PRIVDROP_H
#define EID_PRIVDROP_H

#include <sys/types.h>

struct eid_priv {
	uid_t uid;
	gid_t gid;
};

/* The ids of user (a name) and group (a name; "" or NULL: the user's
 * primary group).  EID_ENOTFOUND when either is unknown, EID_ECONFIG when
 * the user is root (uid 0) or the group is root's (gid 0). */
int eid_priv_lookup(const char *user, const char *group,
		    struct eid_priv *ret);

/* As root: drop the supplementary groups and take p's effective ids,
 * keeping root as the saved id so eid_priv_leave can return to it. */
int eid_priv_enter(const struct eid_priv *p);

/* Back to effective root after eid_priv_enter. */
int eid_priv_leave(void);

/* As root: real, effective and saved ids all become p's, supplementary
 * groups none; EID_EPERM if afterwards setuid(0) or setgid(0) succeeds or
 * any id is not p's. */
int eid_priv_drop(const struct eid_priv *p);

/* PR_SET_NO_NEW_PRIVS: no execve of this process or its threads may gain
 * privileges (set-uid files, file capabilities).  Inherited by threads
 * created afterwards: call it before any. */
int eid_priv_no_new_privs(void);

#endif
