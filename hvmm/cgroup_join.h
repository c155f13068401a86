/* --cgroup DIR: hvmm joins a cgroup itself, before it allocates or starts anything. */
#ifndef HVMM_CGROUP_JOIN_H
#define HVMM_CGROUP_JOIN_H

#include <stddef.h>

/*
 * Moves the whole process into the cgroup directory dir (cgroup v1 or v2: checked with
 * statfs, so a plain directory is refused rather than written into). Returns 0, or -1 with
 * a reason in err.
 */
int cgroup_join(const char *dir, char *err, size_t errlen);

/*
 * --vcpu-cgroup, --housekeeping-cgroup: one class of threads per cgroup (a v1 cpuset, or a
 * threaded v2 cgroup). The file is opened early, while hvmm may still open it (before the
 * jail and the privilege drop); each thread then enters with one write of its own id,
 * which the seccomp filters allow. Returns the fd, or -1 with a reason in err.
 */
int cgroup_open_for_threads(const char *dir, char *err, size_t errlen);
/* Moves the calling thread into the cgroup fd belongs to. 0, or -1 with errno. */
int cgroup_enter_thread(int fd);

#endif
