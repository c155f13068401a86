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

#endif
