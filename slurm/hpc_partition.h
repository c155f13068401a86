/*
 * dsvd's HPC partition as the plugin sees it: the CPUs of the "hpc_cpus" field in dsvd's
 * partition state file (STATE_DIR/partition.json, docs/agent.md), read-only.
 */
#ifndef DSV_SLURM_HPC_PARTITION_H
#define DSV_SLURM_HPC_PARTITION_H

#include <stdbool.h>
#include <stddef.h>

#include "cpulist.h"

struct hpc_partition {
	bool cpu[CPULIST_MAX_CPU + 1];
	char cpus_text[1024]; /* as dsvd wrote it, for messages */
};

/* Reads the state file. Returns 0, or -1 with a message for the job's stderr in err (no
 * file: no partition applied; not active; unreadable or malformed). */
int hpc_partition_load(const char *path, struct hpc_partition *p, char *err, size_t errlen);

/* Every CPU in cpus[] must be an HPC CPU. Returns 0, or -1 naming the first that is not. */
int hpc_partition_check(const struct hpc_partition *p, const int *cpus, int ncpus, char *err,
			size_t errlen);

#endif
