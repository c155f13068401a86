/* The host topology as sysfs reports it (online CPUs, NUMA nodes with their CPUs and memory).
 * Read through hostfs, so tests can point it at a fake tree. hwloc is used for the richer
 * report (packages, cores, caches) in topology_report.c. */
#ifndef DSVD_HOST_TOPOLOGY_H
#define DSVD_HOST_TOPOLOGY_H

#include <stdint.h>

#include "cpuset_bits.h"
#include "hostfs.h"

#define HOST_MAX_NODES 64

struct host_node {
	unsigned id;
	struct cpu_bits cpus;
	uint64_t mem_total_kb;
};

struct host_topology {
	struct cpu_bits online;
	struct host_node nodes[HOST_MAX_NODES];
	unsigned nr_nodes;
	uint64_t hugepage_kb; /* default hugepage size */
};

int host_topology_read(const struct hostfs *fs, struct host_topology *t, char *err, size_t errlen);
/* The set of node ids whose CPUs intersect cpus, as a cpu_bits used as a node bitmap. */
void host_topology_nodes_of(const struct host_topology *t, const struct cpu_bits *cpus,
			    struct cpu_bits *nodes);
const struct host_node *host_topology_node(const struct host_topology *t, unsigned id);

#endif
