/* Every libvirt domain on the node, dsvd's and the others (virsh, a cloud controller): the
 * operator sees all that can disturb the HPC stack, where each may run and its CPU use. */
#ifndef DSVD_COMMODITY_FOREIGN_H
#define DSVD_COMMODITY_FOREIGN_H

#include <jansson.h>

#include "api_error.h"
#include "commodity_vm.h"
#include "vm_record.h"

/* A JSON array: {domain, owner ("dsvd" with vm, or "foreign"), state, persistent, vcpus,
 * mem_mib, cpu_seconds, cpus (where its vCPUs may run)}. NULL with a 503 without libvirt. */
json_t *commodity_domains_json(struct commodity_conn *virt, const struct vm *vms,
			       struct api_error *err);

#endif
