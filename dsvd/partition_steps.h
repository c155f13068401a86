/* The steps of a partition apply (internal to partition.c): each one journals the values it
 * replaces before writing, so a rollback or release can restore them. */
#ifndef DSVD_PARTITION_STEPS_H
#define DSVD_PARTITION_STEPS_H

#include "partition.h"

#define PARTITION_ERRLEN 512

struct apply_run {
	const struct partition_ctx *ctx;
	const struct host_topology *t;
	struct partition_state *st;
	char err[PARTITION_ERRLEN];
};

int step_cpusets(struct apply_run *r);
int step_tasks(struct apply_run *r);
int step_irqs(struct apply_run *r);
/* Calls fn for each /proc/irq/N/smp_affinity_list that reads as a CPU list (the apply and
 * a repartition walk them alike); a non-zero return stops the walk and is returned. */
typedef int (*partition_irq_fn)(void *arg, long irq, const char *path, const struct cpu_bits *cpus);
int partition_each_irq(const struct hostfs *fs, partition_irq_fn fn, void *arg);
int step_workqueue(struct apply_run *r);
int step_hugepages(struct apply_run *r);
int step_hugetlbfs(struct apply_run *r); /* partition_hugetlbfs.c */

/* nr_hugepages of a NUMA node (the global one on a host without nodes in sysfs). */
int partition_hugepage_path(const struct partition_ctx *ctx, const struct partition_state *st,
			    unsigned node, char *out, size_t len);

/* Unmounts the partition's hugetlbfs if one is recorded; must run before the journal restores
 * nr_hugepages (a mounted reservation would keep the pages). */
int partition_hugetlbfs_undo(const struct partition_ctx *ctx, struct partition_state *st, char *err,
			     size_t errlen);

#endif
