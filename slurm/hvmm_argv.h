/* The hvmm command line that runs one Slurm task as an HPC VM. */
#ifndef DSV_SLURM_HVMM_ARGV_H
#define DSV_SLURM_HVMM_ARGV_H

#include <stddef.h>
#include <sys/types.h>

#include "hpc_options.h"

struct hvmm_launch {
	const char *hvmm; /* path of the hvmm binary */
	const struct hpc_options *opts;
	const int *cpus; /* the CPUs Slurm gave the task: one vCPU each */
	int ncpus;
	const char *cwd; /* the task's working directory: the default share */
	const char *shm; /* the step's /dev/shm on this node (step_shm.h); NULL: none */
	uid_t uid;	 /* the job's user: hvmm runs the guest as that user */
	gid_t gid;
	const gid_t *groups;
	int ngroups;
	int pmi_fd;    /* > 2: the task's PMI descriptor, the guest's too */
	int prog_argc; /* the task's command */
	char *const *prog_argv;
};

/*
 * "hvmm run --cpus LIST [--mem NM] [--hugepages H] [--net host] [--inherit-fd PMI]
 * --share DIR --uid U --gid G [--groups G1,...] [--shm SHM] -- PROGRAM ARGS...". Returns a
 * NULL-terminated array (free with hvmm_argv_free), or NULL with the reason in err.
 */
char **hvmm_argv_build(const struct hvmm_launch *l, char *err, size_t errlen);
void hvmm_argv_free(char **argv);

#endif
