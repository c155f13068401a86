/* The node partition: HPC cpuset (cgroup v2 isolated partition, or v1 cpu_exclusive with
 * sched_load_balance=0), commodity and housekeeping cpusets, hugepages on the HPC nodes, and
 * host noise (tasks, IRQs, unbound workqueues) steered to the housekeeping CPUs, and a private
 * hugetlbfs that holds the HPC hugepages. Every change goes through the journal (the mount
 * through its own record, undone first), so release and rollback restore each value exactly. */
#ifndef DSVD_PARTITION_H
#define DSVD_PARTITION_H

#include <jansson.h>
#include <stdbool.h>

#include "api_error.h"
#include "host_topology.h"
#include "hostfs.h"
#include "journal.h"
#include "node_config.h"

/* The HPC partition's private hugetlbfs: min_size reserves its pages for it alone, so no other
 * process can take them from the global pool (dsvd/partition_hugetlbfs.c). */
struct partition_hugetlbfs {
	bool mounted; /* set (and saved) before mount(2): an undo tolerates "not mounted" */
	char path[512];
	char options[256]; /* as given to mount(2) */
};

struct partition_state {
	bool active;   /* fully applied */
	bool applying; /* saved mid-apply: a restart must roll it back */
	struct partition_spec spec;
	char cgroup_mode[4]; /* "v1" or "v2" */
	char hpc_cgroup[512], host_cgroup[512], commodity_cgroup[512], root_cgroup[512];
	struct cpu_bits hpc_nodes;
	uint64_t hugepage_kb;
	uint64_t hugepages_reserved; /* pages we added, all nodes */
	unsigned irqs_moved, irqs_skipped, tasks_moved;
	char irqs_unmovable[256]; /* "36,41": the skipped IRQs (kernel-managed affinity, mostly) */
	char preexisting[4096];	  /* v1: top-level cpusets at apply time, one per line */
	struct partition_hugetlbfs hugetlbfs;
	struct journal journal;
};

struct partition_ctx {
	const struct hostfs *fs;
	const char *state_path;	   /* saved after every step; NULL: not saved */
	const char *fail_after;	   /* test hook: fail right after the step of this name ("change":
                              * a live change, after its last write) */
	const char *hugetlbfs_dir; /* mount point of the HPC hugetlbfs; NULL: none, the HPC
                                * hugepages stay in the shared pool */
};

/* Fills unset fields of req from the topology (housekeeping = commodity = online - hpc; no
 * hpc_cpus at all: the proposal) and validates. 400 naming the field on bad input. */
int partition_resolve(const struct host_topology *t, const struct partition_spec *req,
		      struct partition_spec *out, struct api_error *err);
/* The default split: the first online CPU for housekeeping, the rest for HPC, and a quarter of
 * the HPC nodes' memory. */
void partition_propose(const struct host_topology *t, struct partition_spec *out);

/* Applies a resolved spec. On failure everything already changed is rolled back. */
int partition_apply(const struct partition_ctx *ctx, const struct host_topology *t,
		    const struct partition_spec *spec, struct partition_state *st,
		    struct api_error *err);
/* Restores every journaled value and removes what apply created. */
int partition_release(const struct partition_ctx *ctx, struct partition_state *st,
		      struct api_error *err);

/* Processes in other mount namespaces holding a copy of the partition's hugetlbfs mount (it
 * lives on, with its reservation, until they end): "comm (pid N), ..." in out, one per
 * namespace; how many. None on a fake host tree. */
unsigned partition_hugetlbfs_copies(const struct partition_ctx *ctx,
				    const struct partition_state *st, char *out, size_t len);

void partition_state_init(struct partition_state *st, bool fake);
void partition_state_free(struct partition_state *st);
json_t *partition_state_to_json(const struct partition_state *st);
int partition_state_save(const struct partition_state *st, const char *path, char *err,
			 size_t errlen);
/* Loads a state file; *found false when there is none. */
int partition_state_load(struct partition_state *st, const char *path, bool *found, char *err,
			 size_t errlen);

#endif
