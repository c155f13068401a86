/* Moving the calling process into the cgroups of another one (the Slurm task it serves). */
#ifndef DSV_SLURM_TASK_CGROUPS_H
#define DSV_SLURM_TASK_CGROUPS_H

#include <stddef.h>
#include <sys/types.h>

/*
 * For every hierarchy in /proc/PID/cgroup (v1 and v2) where the caller is elsewhere, writes
 * the caller into PID's cgroup there. cgroup_root is the mount root ("/sys/fs/cgroup"; a
 * test passes its own). Returns 0, or -1 naming the cgroup in err.
 */
int task_cgroups_join(pid_t pid, const char *cgroup_root, char *err, size_t errlen);

#endif
