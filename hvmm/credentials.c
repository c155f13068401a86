/* --uid/--gid/--groups: see credentials.h. */
#include "credentials.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "log.h"
#include "privileges.h"

static const char *why(int e)
{
	return e == EPERM ? " (hvmm must run as root to switch users)" : "";
}

static int set_groups(const struct hvmm_opts *o, char *err, size_t errlen)
{
	if (setgroups((size_t)o->ngroups, o->groups)) {
		int e = errno;

		snprintf(err, errlen, "setting the supplementary groups of --uid %u: %s%s",
			 (unsigned)o->uid, strerror(e), why(e));
		return -1;
	}
	return 0;
}

/* setfsuid/setfsgid report no errors: read the value back (-1 changes nothing). */
static int set_fs_ids(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	setfsgid(gid);
	setfsuid(uid);
	if ((gid_t)setfsgid((gid_t)-1) != gid || (uid_t)setfsuid((uid_t)-1) != uid) {
		snprintf(err, errlen, "cannot set the file-system ids to %u:%u%s", (unsigned)uid,
			 (unsigned)gid, why(EPERM));
		return -1;
	}
	return 0;
}

int cred_fs_enter(const struct hvmm_opts *o, char *err, size_t errlen)
{
	if (!o->as_user)
		return 0;
	/* Groups first: with root's groups left in place, the user would read root's files. */
	if (set_groups(o, err, errlen))
		return -1;
	return set_fs_ids(o->uid, o->gid, err, errlen);
}

int cred_fs_leave(const struct hvmm_opts *o, char *err, size_t errlen)
{
	if (!o->as_user)
		return 0;
	return set_fs_ids(geteuid(), getegid(), err, errlen);
}

static int check_ids(const struct hvmm_opts *o, char *err, size_t errlen)
{
	uid_t ru = (uid_t)-1, eu = (uid_t)-1, su = (uid_t)-1;
	gid_t rg = (gid_t)-1, eg = (gid_t)-1, sg = (gid_t)-1;

	if (getresuid(&ru, &eu, &su) || getresgid(&rg, &eg, &sg) || ru != o->uid || eu != o->uid ||
	    su != o->uid || rg != o->gid || eg != o->gid || sg != o->gid) {
		snprintf(err, errlen, "the user switch did not take: ids %u/%u/%u:%u/%u/%u",
			 (unsigned)ru, (unsigned)eu, (unsigned)su, (unsigned)rg, (unsigned)eg,
			 (unsigned)sg);
		return -1;
	}
	if (o->uid != 0 && (setresuid((uid_t)-1, 0, (uid_t)-1) == 0 || errno != EPERM)) {
		snprintf(err, errlen, "root could be regained after the user switch");
		return -1;
	}
	return 0;
}

int cred_become_user(const struct hvmm_opts *o, char *err, size_t errlen)
{
	if (!o->as_user)
		return 0;
	/* Needs CAP_SETPCAP, which the switch takes away: now or never. */
	if (priv_clear_bounding(0, err, errlen) || set_groups(o, err, errlen))
		return -1;
	if (setresgid(o->gid, o->gid, o->gid)) {
		int e = errno;

		snprintf(err, errlen, "setresgid %u: %s%s", (unsigned)o->gid, strerror(e), why(e));
		return -1;
	}
	if (setresuid(o->uid, o->uid, o->uid)) {
		int e = errno;

		snprintf(err, errlen, "setresuid %u: %s%s", (unsigned)o->uid, strerror(e), why(e));
		return -1;
	}
	if (check_ids(o, err, errlen))
		return -1;
	/* The kernel clears the capabilities when every uid leaves 0; --uid 0 needs this too. */
	if (priv_drop(0, err, errlen))
		return -1;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)) {
		snprintf(err, errlen, "PR_SET_DUMPABLE: %s", strerror(errno));
		return -1;
	}
	log_info("running as uid %u gid %u with %d supplementary group(s)", (unsigned)o->uid,
		 (unsigned)o->gid, o->ngroups);
	return 0;
}
