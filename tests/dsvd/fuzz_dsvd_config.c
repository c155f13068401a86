/* libFuzzer target: the node config parser (/etc/dsv/node.json and PUT /node/partition:
 * dsvd/node_config.c, including the CPU-list parser). An accepted config must round-trip
 * through its JSON form unchanged; a refused one must name a field. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct node_config cfg, back;
	struct api_error err;
	memset(&err, 0, sizeof(err));
	if (node_config_parse((const char *)data, size, &cfg, &err) < 0) {
		if (err.status != 400 || err.field[0] == '\0')
			abort();
		return 0;
	}
	const struct partition_spec *p = &cfg.partition;
	if ((p->has_hpc_cpus && p->has_housekeeping_cpus &&
	     cpu_bits_intersects(&p->hpc_cpus, &p->housekeeping_cpus)) ||
	    (p->has_hpc_mem && p->hpc_mem_mib % 2) || cfg.overcommit_ratio < 1 ||
	    cfg.overcommit_ratio > NODE_OVERCOMMIT_MAX)
		abort(); /* accepted something validation should have refused */
	json_t *j = partition_spec_to_json(p);
	if (!j || node_config_from_json(j, &back, &err) < 0)
		abort();
	json_decref(j);
	if (!cpu_bits_equal(&p->hpc_cpus, &back.partition.hpc_cpus) ||
	    !cpu_bits_equal(&p->housekeeping_cpus, &back.partition.housekeeping_cpus) ||
	    !cpu_bits_equal(&p->commodity_cpus, &back.partition.commodity_cpus) ||
	    p->hpc_mem_mib != back.partition.hpc_mem_mib)
		abort();
	return 0;
}
