/*
 * The value of `--dsv-hpc[=OPTIONS]` (what the user asks per job step) and the plugin's own
 * arguments in plugstack.conf (what the administrator fixes per node).
 */
#ifndef DSV_SLURM_HPC_OPTIONS_H
#define DSV_SLURM_HPC_OPTIONS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hpc_hugepages {
	HPC_HUGE_DEFAULT,
	HPC_HUGE_AUTO,
	HPC_HUGE_ON,
	HPC_HUGE_OFF
};
/* DEFAULT: host for an MPI rank (the task has a PMI_FD: its peers are across the network),
 * none otherwise. */
enum hpc_net {
	HPC_NET_DEFAULT,
	HPC_NET_NONE,
	HPC_NET_HOST
};

struct hpc_options {
	uint64_t mem_mib;     /* guest RAM per task; 0: hvmm's default */
	char share[PATH_MAX]; /* "": the task's working directory */
	enum hpc_hugepages hugepages;
	enum hpc_net net;
};

/*
 * Parses "mem=SIZE,share=DIR,hugepages=auto|on|off,net=none|host" (any subset, any order; NULL or "" is
 * all defaults). SIZE takes K/M/G/T suffixes and must be whole MiB within hvmm's limits;
 * DIR must be absolute. Returns 0, or -1 with a message naming the bad part in err.
 */
int hpc_options_parse(const char *text, struct hpc_options *o, char *err, size_t errlen);

/* The plugin's arguments in plugstack.conf. */
struct plugin_config {
	char hvmm[PATH_MAX];		/* the hvmm binary */
	char partition_state[PATH_MAX]; /* dsvd's partition state file */
	char shm_root[PATH_MAX];	/* where each step's /dev/shm is made (step_shm.h) */
	uint64_t shm_mib;		/* the size of each step's /dev/shm, a tmpfs */
};

#define PLUGIN_DEFAULT_HVMM "/usr/local/bin/hvmm"
#define PLUGIN_DEFAULT_STATE "/var/lib/dsv/partition.json"
#define PLUGIN_DEFAULT_SHM_ROOT "/run/dsv/slurm-shm" /* each step's a tmpfs of its own in it */

/* Parses "hvmm=PATH", "partition_state=PATH", "shm_root=PATH" (absolute paths; shm_root
 * not "/") and "shm_mib=N" (MiB, 1..SHM_MOUNT_MIB_MAX; default SHM_MOUNT_MIB_DEFAULT).
 * Returns 0 or -1 + err. */
int plugin_config_parse(int argc, char **argv, struct plugin_config *c, char *err, size_t errlen);

const char *hpc_hugepages_name(enum hpc_hugepages h);

#endif
