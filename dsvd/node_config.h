/* The node settings: the partition (hpc/housekeeping/commodity CPUs, HPC memory) and the
 * commodity overcommit ratio. The same JSON is read from /etc/dsv/node.json and from the body
 * of POST /node/partition. */
#ifndef DSVD_NODE_CONFIG_H
#define DSVD_NODE_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "api_error.h"
#include "cpuset_bits.h"

#define NODE_OVERCOMMIT_DEFAULT 4
#define NODE_OVERCOMMIT_MAX 64
#define NODE_HPC_MEM_MIB_MAX (64ull * 1024 * 1024) /* 64 TiB */

struct partition_spec {
	struct cpu_bits hpc_cpus, housekeeping_cpus, commodity_cpus;
	bool has_hpc_cpus, has_housekeeping_cpus, has_commodity_cpus, has_hpc_mem;
	uint64_t hpc_mem_mib;
};

struct node_config {
	struct partition_spec partition;
	unsigned overcommit_ratio;
	bool has_overcommit_ratio;
};

int node_config_parse(const char *text, size_t len, struct node_config *cfg, struct api_error *err);
int node_config_from_json(const json_t *obj, struct node_config *cfg, struct api_error *err);
/* Reads a config file. A missing file is not an error: *found says whether it existed. */
int node_config_load(const char *path, struct node_config *cfg, bool *found, struct api_error *err);
json_t *partition_spec_to_json(const struct partition_spec *spec);
bool partition_spec_equal(const struct partition_spec *a, const struct partition_spec *b);

#endif
