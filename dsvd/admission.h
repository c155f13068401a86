/* Admission control: does a new VM fit its stack? HPC VMs get dedicated CPUs and reserved
 * hugepage memory and are never overcommitted; commodity VMs share the commodity CPUs up to
 * the overcommit ratio. Pure functions over the current VMs, so they are unit-tested. */
#ifndef DSVD_ADMISSION_H
#define DSVD_ADMISSION_H

#include <stdint.h>

#include "api_error.h"
#include "cpuset_bits.h"
#include "vm_record.h"

struct hpc_pool {
	bool partitioned;
	struct cpu_bits cpus; /* the HPC partition's CPUs */
	uint64_t mem_mib;     /* the hugepage reservation actually obtained */
};

struct commodity_pool {
	struct cpu_bits cpus;
	unsigned overcommit_ratio;
	uint64_t mem_mib; /* what commodity VMs may use in all */
};

struct hpc_usage {
	struct cpu_bits used_cpus;
	uint64_t used_mem_mib;
	unsigned vms;
};

struct commodity_usage {
	unsigned used_vcpus;
	uint64_t used_mem_mib;
	unsigned vms;
};

void hpc_usage_of(const struct vm *vms, struct hpc_usage *u);
void commodity_usage_of(const struct vm *vms, struct commodity_usage *u);

/* On success, cpus gets the dedicated CPUs (one per vCPU). 409 with a reason otherwise. */
int admit_hpc(const struct hpc_pool *pool, const struct vm *vms, const struct vm_spec *spec,
	      struct cpu_bits *cpus, struct api_error *err);
/* On success, pin[i] is the host CPU for vCPU i (spread over the pool after the vCPUs already
 * placed). 409 with a reason beyond the overcommit ratio or the memory. */
int admit_commodity(const struct commodity_pool *pool, const struct vm *vms,
		    const struct vm_spec *spec, int *pin, struct api_error *err);

#endif
