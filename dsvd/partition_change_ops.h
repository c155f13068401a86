/* The writes of a live repartition, in the order they must happen (internal to
 * partition_change.c): cgroups narrowed children first, the HPC cpuset set, cgroups widened
 * parents first (a v1 child must stay within its parent, and no sibling may hold a CPU of the
 * exclusive HPC cpuset), then IRQs, masks and hugepages. Built by reading the host only, so
 * the dry run prints exactly what the change writes. */
#ifndef DSVD_PARTITION_CHANGE_OPS_H
#define DSVD_PARTITION_CHANGE_OPS_H

#include "partition.h"

enum change_kind {
	CHANGE_CGROUP,
	CHANGE_IRQ,
	CHANGE_MASK,
	CHANGE_HUGEPAGES
};

struct change_op {
	enum change_kind kind;
	bool ours;	 /* a dsv-* cpuset apply created: written as is (release removes it) */
	bool mkdir;	 /* ours, absent: created first (the commodity cpuset, once it gets CPUs) */
	long id;	 /* the IRQ number, the NUMA node */
	char label[256]; /* the cgroup below the root, the mask's name */
	char path[512];
	char from[HOSTFS_VALUE_MAX], to[HOSTFS_VALUE_MAX];
};

struct change_ops {
	struct change_op *v;
	size_t n, cap;
};

int change_ops_build(const struct partition_ctx *ctx, const struct partition_state *st,
		     const struct partition_spec *next, struct change_ops *ops, char *err,
		     size_t errlen);
void change_ops_free(struct change_ops *ops);

#endif
