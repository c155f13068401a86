/* The new split of a live repartition, and the refusals that protect running VMs. Pure
 * functions over the state and the VM list, so they are unit-tested. */
#include "partition_change.h"

#include <stdio.h>
#include <string.h>

int partition_change_resolve(const struct host_topology *t, const struct partition_state *st,
			     const struct partition_spec *req, struct partition_spec *out,
			     struct api_error *err)
{
	struct partition_spec next = st->spec;
	if (req->has_hpc_cpus) {
		struct cpu_bits leaving = st->spec.hpc_cpus;
		cpu_bits_andnot(&leaving, &req->hpc_cpus);
		next.hpc_cpus = req->hpc_cpus;
		cpu_bits_or(&next.housekeeping_cpus, &leaving);
		cpu_bits_andnot(&next.housekeeping_cpus, &next.hpc_cpus);
		cpu_bits_or(&next.commodity_cpus, &leaving);
		cpu_bits_andnot(&next.commodity_cpus, &next.hpc_cpus);
	}
	if (req->has_housekeeping_cpus)
		next.housekeeping_cpus = req->housekeeping_cpus;
	if (req->has_commodity_cpus)
		next.commodity_cpus = req->commodity_cpus;
	if (req->has_hpc_mem)
		next.hpc_mem_mib = req->hpc_mem_mib;
	next.has_hpc_cpus = next.has_housekeeping_cpus = next.has_commodity_cpus = true;
	next.has_hpc_mem = true;
	if (partition_resolve(t, &next, out, err) < 0)
		return -1;
	struct cpu_bits nodes;
	host_topology_nodes_of(t, &out->hpc_cpus, &nodes);
	if (!cpu_bits_equal(&nodes, &st->hpc_nodes)) {
		char cpus[256], now[64], want[64];
		cpu_bits_format_list(&out->hpc_cpus, cpus, sizeof(cpus));
		cpu_bits_format_list(&nodes, now, sizeof(now));
		cpu_bits_format_list(&st->hpc_nodes, want, sizeof(want));
		return api_fail(
			err, 400, "hpc_cpus",
			"CPUs %s are on NUMA node(s) %s, but the partition's hugepages and HPC "
			"memory are on node(s) %s: a live change keeps the nodes (release and "
			"apply to move them)",
			cpus, now, want);
	}
	return 0;
}

/* "a (CPUs 2-3), b (CPUs 5)" for the VMs of stack whose CPUs meet cpus (NULL: every VM of
 * stack that holds resources). */
static unsigned name_vms(const struct vm *vms, enum vm_stack stack, const struct cpu_bits *cpus,
			 char *out, size_t len)
{
	unsigned n = 0;
	out[0] = '\0';
	for (const struct vm *vm = vms; vm; vm = vm->next) {
		if (vm->spec.stack != stack || !vm_holds_resources(vm) ||
		    (cpus && !cpu_bits_intersects(&vm->cpus, cpus)))
			continue;
		char list[128];
		cpu_bits_format_list(&vm->cpus, list, sizeof(list));
		size_t used = strlen(out);
		snprintf(out + used, len - used, "%s'%s' (CPUs %s, %llu MiB)", n ? ", " : "",
			 vm->spec.name, list, (unsigned long long)vm->spec.mem_mib);
		n++;
	}
	return n;
}

static int check_hpc(const struct partition_state *st, const struct partition_spec *next,
		     const struct vm *vms, struct api_error *err)
{
	struct hpc_usage u;
	hpc_usage_of(vms, &u);
	struct cpu_bits leaving = st->spec.hpc_cpus, pinned;
	cpu_bits_andnot(&leaving, &next->hpc_cpus);
	pinned = leaving;
	cpu_bits_and(&pinned, &u.used_cpus);
	char names[1024], list[256];
	if (!cpu_bits_empty(&pinned)) {
		cpu_bits_format_list(&pinned, list, sizeof(list));
		name_vms(vms, VM_STACK_HPC, &pinned, names, sizeof(names));
		return api_fail(
			err, 409, "hpc_cpus",
			"CPU(s) %s would leave the HPC partition, but running HPC VMs are pinned "
			"to them: %s",
			list, names);
	}
	if (next->hpc_mem_mib < u.used_mem_mib) {
		name_vms(vms, VM_STACK_HPC, NULL, names, sizeof(names));
		return api_fail(err, 409, "hpc_mem_mib",
				"%llu MiB is less than the %llu MiB running HPC VMs hold: %s",
				(unsigned long long)next->hpc_mem_mib,
				(unsigned long long)u.used_mem_mib, names);
	}
	if (next->hpc_mem_mib != st->spec.hpc_mem_mib && st->hugetlbfs.mounted && u.vms) {
		name_vms(vms, VM_STACK_HPC, NULL, names, sizeof(names));
		return api_fail(
			err, 409, "hpc_mem_mib",
			"the HPC hugepages are held by the hugetlbfs at %s, which the kernel "
			"cannot resize while mounted, and running HPC VMs map it: %s; change "
			"only the CPUs now, or the memory once they have ended",
			st->hugetlbfs.path, names);
	}
	return 0;
}

static int check_commodity(const struct partition_state *st, const struct partition_spec *next,
			   const struct vm *vms, const struct commodity_pool *next_pool,
			   struct api_error *err)
{
	struct commodity_usage u;
	commodity_usage_of(vms, &u);
	if (!u.vms)
		return 0;
	char names[1024], list[256];
	/* a VM is re-pinned within the CPUs it keeps before the others are taken from it */
	struct cpu_bits kept = st->spec.commodity_cpus;
	cpu_bits_and(&kept, &next->commodity_cpus);
	if (cpu_bits_empty(&kept)) {
		name_vms(vms, VM_STACK_COMMODITY, NULL, names, sizeof(names));
		cpu_bits_format_list(&st->spec.commodity_cpus, list, sizeof(list));
		return api_fail(
			err, 409, "commodity_cpus",
			"running commodity VMs would keep none of the commodity CPUs %s they run "
			"on: %s",
			list, names);
	}
	unsigned cap = cpu_bits_count(&next_pool->cpus) * next_pool->overcommit_ratio;
	if (u.used_vcpus > cap) {
		name_vms(vms, VM_STACK_COMMODITY, NULL, names, sizeof(names));
		cpu_bits_format_list(&next_pool->cpus, list, sizeof(list));
		return api_fail(
			err, 409, "commodity_cpus",
			"running commodity VMs have %u vCPUs, more than the %u that CPUs %s hold "
			"at overcommit ratio %u: %s",
			u.used_vcpus, cap, list, next_pool->overcommit_ratio, names);
	}
	if (u.used_mem_mib > next_pool->mem_mib) {
		name_vms(vms, VM_STACK_COMMODITY, NULL, names, sizeof(names));
		return api_fail(
			err, 409, "hpc_mem_mib",
			"%llu MiB of HPC memory would leave commodity VMs %llu MiB, less than the "
			"%llu MiB running ones hold: %s",
			(unsigned long long)next->hpc_mem_mib,
			(unsigned long long)next_pool->mem_mib, (unsigned long long)u.used_mem_mib,
			names);
	}
	return 0;
}

int partition_change_check(const struct partition_state *st, const struct partition_spec *next,
			   const struct vm *vms, const struct commodity_pool *next_pool,
			   struct api_error *err)
{
	if (check_hpc(st, next, vms, err) < 0)
		return -1;
	return check_commodity(st, next, vms, next_pool, err);
}
