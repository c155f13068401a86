/* One consistent view of the node for the readers (GET /v1/node, /metrics): the pools, what
 * the VMs use of them and the applied partition, taken once under the agent's lock, so
 * that the readers never reach into struct agent and never compute the same figure twice. */
#ifndef DSVD_NODE_SNAPSHOT_H
#define DSVD_NODE_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include "admission.h"
#include "cpuset_bits.h"

struct agent;
struct partition_state;
struct vm;

struct node_snapshot {
	struct hpc_pool hpc;
	struct commodity_pool commodity;
	struct hpc_usage hpc_used;
	struct commodity_usage commodity_used;
	struct cpu_bits hpc_free_cpus; /* HPC CPUs no VM holds */
	uint64_t hpc_free_mem_mib;
	unsigned commodity_vcpu_capacity; /* commodity CPUs times the overcommit ratio */
	struct cpu_bits online_cpus;
	uint64_t mem_total_mib;
	const struct partition_state *partition; /* NULL while none is applied */
	const struct vm *vms;			 /* the VM list, read-only */
	unsigned adopted_vms;
};

/* Valid until the agent's lock is released: it points into the agent. */
void node_snapshot_take(const struct agent *a, struct node_snapshot *s);

#endif
