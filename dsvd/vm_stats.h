/* What a running VM is using now, for GET /vms/{name} and dsv vm show: CPU time in all and
 * per vCPU, memory, hugepages; exits where known (hvmm counts its exits but reports them
 * only when it ends, with --stats). */
#ifndef DSVD_VM_STATS_H
#define DSVD_VM_STATS_H

#include <jansson.h>

#include "agent.h"

/* NULL for a VM that is not running. */
json_t *vm_stats_json(struct agent *a, const struct vm *vm);
/* Each stack's (stack.h): from /proc for hvmm, from libvirt for a domain. NULL when gone. */
json_t *hpc_stats_json(const struct vm *vm);
json_t *commodity_stats_json(struct commodity_conn *virt, const struct vm *vm);

#endif
