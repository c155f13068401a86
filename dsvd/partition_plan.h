/* What applying a partition would change, read from the host and changing nothing
 * (PUT /node/partition?dry_run=1, dsv node partition --dry-run): the CPUs of each set, the
 * cgroups created and narrowed, the tasks moved, each interrupt and mask steered, the
 * hugepages per node and the hugetlbfs mount. It reads what the apply steps read
 * (partition_steps.c) and computes what they would write. */
#ifndef DSVD_PARTITION_PLAN_H
#define DSVD_PARTITION_PLAN_H

#include <jansson.h>

#include "host_topology.h"
#include "hostfs.h"
#include "node_config.h"

json_t *partition_plan(const struct hostfs *fs, const struct host_topology *t,
		       const struct partition_spec *spec, const char *hugetlbfs_dir);

#endif
