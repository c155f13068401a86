#include "admission.h"

#include <string.h>

void hpc_usage_of(const struct vm *vms, struct hpc_usage *u)
{
	memset(u, 0, sizeof(*u));
	for (const struct vm *vm = vms; vm; vm = vm->next) {
		if (vm->spec.stack != VM_STACK_HPC || !vm_holds_resources(vm))
			continue;
		cpu_bits_or(&u->used_cpus, &vm->cpus);
		u->used_mem_mib += vm->spec.mem_mib;
		u->vms++;
	}
}

void commodity_usage_of(const struct vm *vms, struct commodity_usage *u)
{
	memset(u, 0, sizeof(*u));
	for (const struct vm *vm = vms; vm; vm = vm->next) {
		if (vm->spec.stack != VM_STACK_COMMODITY || !vm_holds_resources(vm))
			continue;
		u->used_vcpus += vm->spec.vcpus;
		u->used_mem_mib += vm->spec.mem_mib;
		u->vms++;
	}
}

int admit_hpc(const struct hpc_pool *pool, const struct vm *vms, const struct vm_spec *spec,
	      struct cpu_bits *cpus, struct api_error *err)
{
	if (!pool->partitioned)
		return api_fail(err, 409, "stack",
				"the node has no HPC partition; run 'dsv node partition' first");
	struct hpc_usage u;
	hpc_usage_of(vms, &u);
	struct cpu_bits free_cpus = pool->cpus;
	cpu_bits_andnot(&free_cpus, &u.used_cpus);
	unsigned nfree = cpu_bits_count(&free_cpus);
	if (spec->vcpus > nfree) {
		char all[256], used[256];
		cpu_bits_format_list(&pool->cpus, all, sizeof(all));
		cpu_bits_format_list(&u.used_cpus, used, sizeof(used));
		return api_fail(
			err, 409, "vcpus",
			"%u dedicated HPC CPU(s) requested but only %u free (HPC CPUs %s, in use "
			"%s); HPC VMs are never overcommitted",
			spec->vcpus, nfree, all, used[0] ? used : "none");
	}
	uint64_t free_mem = pool->mem_mib > u.used_mem_mib ? pool->mem_mib - u.used_mem_mib : 0;
	if (spec->mem_mib > free_mem)
		return api_fail(err, 409, "mem_mib",
				"%llu MiB requested but only %llu MiB of the %llu MiB HPC hugepage "
				"reservation are free",
				(unsigned long long)spec->mem_mib, (unsigned long long)free_mem,
				(unsigned long long)pool->mem_mib);
	cpu_bits_clear(cpus);
	for (unsigned i = 0; i < spec->vcpus; i++)
		cpu_bits_set(cpus, (unsigned)cpu_bits_nth(&free_cpus, i));
	return 0;
}

int admit_commodity(const struct commodity_pool *pool, const struct vm *vms,
		    const struct vm_spec *spec, int *pin, struct api_error *err)
{
	unsigned ncpus = cpu_bits_count(&pool->cpus);
	if (ncpus == 0)
		return api_fail(err, 409, "stack", "the commodity partition has no CPUs");
	struct commodity_usage u;
	commodity_usage_of(vms, &u);
	unsigned capacity = ncpus * pool->overcommit_ratio;
	if (u.used_vcpus + spec->vcpus > capacity)
		return api_fail(
			err, 409, "vcpus",
			"%u vCPU(s) requested, %u of %u in use: the commodity CPUs (%u) allow %u "
			"vCPUs at overcommit ratio %u",
			spec->vcpus, u.used_vcpus, capacity, ncpus, capacity,
			pool->overcommit_ratio);
	if (u.used_mem_mib + spec->mem_mib > pool->mem_mib)
		return api_fail(err, 409, "mem_mib",
				"%llu MiB requested but only %llu MiB are left for commodity VMs",
				(unsigned long long)spec->mem_mib,
				(unsigned long long)(pool->mem_mib > u.used_mem_mib
							     ? pool->mem_mib - u.used_mem_mib
							     : 0));
	for (unsigned i = 0; i < spec->vcpus; i++)
		pin[i] = cpu_bits_nth(&pool->cpus, (u.used_vcpus + i) % ncpus);
	return 0;
}
