/* Giving up root (tools/privdrop.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "crypto/error.h"
#include "tools/privdrop.h"

/* Room for one passwd or group entry (names, home, shell, members). */
#define ENTRY_BUF_MAX (64u * 1024)

int eid_priv_lookup(const char *user, const char *group, struct eid_priv *ret)
{
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	struct eid_priv p;
	char *buf;
	int r = EID_ENOTFOUND;

	if (user == NULL || user[0] == '\0')
		return EID_EINVAL;
	if ((buf = malloc(ENTRY_BUF_MAX)) == NULL)
		return EID_ENOMEM;
	if (getpwnam_r(user, &pw, buf, ENTRY_BUF_MAX, &pwp) != 0 || pwp == NULL)
		goto out;
	p.uid = pw.pw_uid;
	p.gid = pw.pw_gid;
	if (group != NULL && group[0] != '\0') {
		if (getgrnam_r(group, &gr, buf, ENTRY_BUF_MAX, &grp) != 0 ||
		    grp == NULL)
			goto out;
		p.gid = gr.gr_gid;
	}
	r = EID_ECONFIG;
	if (p.uid == 0 || p.gid == 0)
		goto out;
	*ret = p;
	r = EID_OK;
out:
	free(buf);
	return r;
}

int eid_priv_enter(const struct eid_priv *p)
{
	if (setgroups(0, NULL) != 0 || setresgid((gid_t)-1, p->gid, 0) != 0 ||
	    setresuid((uid_t)-1, p->uid, 0) != 0)
		return EID_EPERM;
	return EID_OK;
}

int eid_priv_leave(void)
{
	if (setresuid((uid_t)-1, 0, (uid_t)-1) != 0 ||
	    setresgid((gid_t)-1, 0, (gid_t)-1) != 0)
		return EID_EPERM;
	return EID_OK;
}

int eid_priv_drop(const struct eid_priv *p)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (setgroups(0, NULL) != 0 || setresgid(p->gid, p->gid, p->gid) != 0 ||
	    setresuid(p->uid, p->uid, p->uid) != 0)
		return EID_EPERM;
	/* The proof: root is gone for good. */
	if (setuid(0) == 0 || setgid(0) == 0 || getgroups(0, NULL) != 0)
		return EID_EPERM;
	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0)
		return EID_EPERM;
	if (ru != p->uid || eu != p->uid || su != p->uid || rg != p->gid ||
	    eg != p->gid || sg != p->gid)
		return EID_EPERM;
	return EID_OK;
}

int eid_priv_no_new_privs(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return EID_EPERM;
	return EID_OK;
}
