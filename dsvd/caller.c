#include "caller.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59 /* Linux 4.13 */
#endif

void caller_self(struct caller *c)
{
	memset(c, 0, sizeof(*c));
	c->uid = geteuid();
	c->gid = getegid();
	c->pid = getpid();
	int n = getgroups(CALLER_GROUPS_MAX, c->groups);
	c->ngroups = n > 0 ? (size_t)n : 0;
}

int caller_of_socket(int fd, struct caller *c)
{
	memset(c, 0, sizeof(*c));
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -1;
	c->uid = cred.uid;
	c->gid = cred.gid;
	c->pid = cred.pid;
	/* the groups the peer had when it connected, not what /proc says of a pid that may since
     * belong to someone else */
	len = sizeof(c->groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, c->groups, &len) < 0)
		return -1; /* ERANGE: more groups than we keep; refuse rather than guess */
	c->ngroups = len / sizeof(gid_t);
	return 0;
}

bool caller_is_other(const struct caller *c)
{
	return c->uid != geteuid();
}

int caller_groups_list(const struct caller *c, char *out, size_t outlen)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < c->ngroups; i++) {
		int n = snprintf(out + used, outlen - used, "%s%u", i ? "," : "",
				 (unsigned)c->groups[i]);
		if (n < 0 || (size_t)n >= outlen - used)
			return -1;
		used += (size_t)n;
	}
	return 0;
}
