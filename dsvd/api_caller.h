/* Who sent the request being handled (SO_PEERCRED on the Unix socket): files a request names
 * are opened with this identity's rights, not the agent's. */
#ifndef DSVD_API_CALLER_H
#define DSVD_API_CALLER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define API_CALLER_GROUPS_MAX 256

struct api_caller {
    bool known; /* false: the agent's own identity (unit tests, reloads) */
    uid_t uid;
    gid_t gid;
    gid_t groups[API_CALLER_GROUPS_MAX];
    size_t ngroups;
};

#endif
