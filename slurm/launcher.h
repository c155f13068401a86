/*
 * Running a Slurm task in hvmm as root on behalf of the job's user. Slurm 22.05 gives a
 * plugin root only in task_init_privileged, before the task has its cgroup, CPUs and
 * environment; task_init has all three but runs as the user. So the privileged hook forks a
 * launcher that waits on a socket; task_init sends it the finished task (CPUs, directory,
 * command, environment, and its stdio and PMI descriptors), and the launcher joins the
 * task's cgroups, checks the CPUs against dsv's HPC partition and runs hvmm with --uid and
 * --gid as its child. Slurm signals only the task: the task passes signals on to the
 * launcher (whose real uid is the job's user, so that the task may), the launcher to hvmm,
 * and each ends as its child ended.
 */
#ifndef DSV_SLURM_LAUNCHER_H
#define DSV_SLURM_LAUNCHER_H

#include <stddef.h>
#include <sys/types.h>

#include "hpc_options.h"
#include "launch_msg.h"

#define LAUNCHER_MAX_GROUPS 64

struct launcher_identity {
	uid_t uid;
	gid_t gid;
	gid_t groups[LAUNCHER_MAX_GROUPS];
	int ngroups;
};

struct launcher {
	pid_t pid;
	int sock;
};

/* In task_init_privileged (root): forks the launcher; shm is the step's /dev/shm (hvmm
 * --shm), NULL for none. Returns 0 or -1 with err. */
int launcher_start(struct launcher *l, const struct launcher_identity *id,
		   const struct plugin_config *cfg, const char *shm, char *err, size_t errlen);

/*
 * In task_init (the user): sends the task and its descriptors 0-2 (and pmi_fd when >= 0),
 * then waits for hvmm and ends this process as hvmm ended: the same exit status, or the
 * same signal when hvmm was stopped by a signal this process received too. Returns only
 * when the request cannot be sent (-1 and err).
 */
int launcher_run_task(struct launcher *l, const struct launch_request *r, int pmi_fd, char *err,
		      size_t errlen);

#endif
