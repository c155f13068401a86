/* Who asked: the credentials of an API caller, taken from the socket (SO_PEERCRED and
 * SO_PEERGROUPS, fixed at connect time), and the rights a VM then runs with. */
#ifndef DSVD_CALLER_H
#define DSVD_CALLER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CALLER_GROUPS_MAX 256

struct caller {
	uid_t uid;
	gid_t gid;
	gid_t groups[CALLER_GROUPS_MAX]; /* supplementary groups */
	size_t ngroups;
	pid_t pid; /* for messages only: it may be gone or reused */
};

/* dsvd's own credentials (requests made in-process, e.g. by the unit tests). */
void caller_self(struct caller *c);
/* The peer of a connected Unix socket. Returns 0, or -1 with errno. */
int caller_of_socket(int fd, struct caller *c);
/* Whether the caller differs from dsvd itself, so that work done for it must switch user. */
bool caller_is_other(const struct caller *c);
/* "1000,27,100": the supplementary groups as hvmm --groups takes them ("" for none). */
int caller_groups_list(const struct caller *c, char *out, size_t outlen);

#endif
