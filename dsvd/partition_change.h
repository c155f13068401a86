/* Live repartition (PATCH /node/partition, dsv node repartition): moves CPUs between the HPC
 * and the commodity/housekeeping sets and resizes the HPC hugepage pool of an applied
 * partition while VMs run, writing only what differs.
 *
 * Every value ends as an apply of the new split would have left it, computed from the value
 * the journal holds from before the first apply (or the present one for what the partition
 * never touched), so CPUs given back to the host get their IRQs and cgroups back, and release
 * still restores the node exactly as it was before the first apply. */
#ifndef DSVD_PARTITION_CHANGE_H
#define DSVD_PARTITION_CHANGE_H

#include <jansson.h>

#include "admission.h"
#include "partition.h"
#include "vm_record.h"

/* The new split: the fields req has replace the applied ones. CPUs leaving hpc_cpus join the
 * housekeeping and commodity sets, and CPUs joining it leave them, unless req names those
 * sets. Validated as an apply is (400 naming the field); the HPC CPUs must stay on the
 * partition's NUMA nodes (the hugepages and the HPC cpuset's memory are placed there). */
int partition_change_resolve(const struct host_topology *t, const struct partition_state *st,
			     const struct partition_spec *req, struct partition_spec *out,
			     struct api_error *err);

/* 409 naming the CPUs and the VMs when the change would touch a running VM: a CPU leaving the
 * HPC set that an HPC VM is pinned to; HPC memory below what HPC VMs hold, or any resize while
 * they map the partition's hugetlbfs (the kernel cannot resize a mounted one); commodity VMs
 * left with none of their CPUs, or beyond next_pool's vCPU or memory capacity. */
int partition_change_check(const struct partition_state *st, const struct partition_spec *next,
			   const struct vm *vms, const struct commodity_pool *next_pool,
			   struct api_error *err);

/* 409 when a memory change must remount the partition's hugetlbfs and processes in other
 * mount namespaces hold copies of it (a QEMU libvirt started since the apply): the kernel keeps
 * its reservation until they end, so it could not be mounted again at any size. */
int partition_change_check_remount(const struct partition_ctx *ctx,
				   const struct partition_state *st,
				   const struct partition_spec *next, struct api_error *err);

/* What the change would write, changing nothing: {"spec": {from, to}, "hpc_cpus": {add,
 * remove}, "cgroups": [{cgroup, from, to}], "irqs": [{irq, from, to}], "default_smp_affinity",
 * "workqueue_cpumask" ({from, to} or null), "hugepages": {page_kb, nodes: [{node, from, to}]},
 * "hugetlbfs": {path, size_mib: {from, to}} or null}. NULL when the host cannot be read. */
json_t *partition_change_plan(const struct partition_ctx *ctx, const struct partition_state *st,
			      const struct partition_spec *next, struct api_error *err);

/* Applies a resolved and checked change; on failure every value written is put back. The
 * state (spec, hugepages, journal) is saved after the change. */
int partition_change_apply(const struct partition_ctx *ctx, struct partition_state *st,
			   const struct partition_spec *next, struct api_error *err);

#endif
