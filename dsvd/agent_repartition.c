/* A live change of the applied partition (PATCH /node/partition): the refusals, the running
 * commodity VMs re-confined around the host changes, the state saved. */
#include <stdio.h>

#include "agent.h"
#include "commodity_repin.h"
#include "partition_change.h"

/* The commodity pool the new split leaves (agent_commodity_pool's, with next's numbers). */
static void next_commodity_pool(const struct agent *a, const struct partition_spec *next,
				struct commodity_pool *p)
{
	agent_commodity_pool(a, p);
	p->cpus = next->commodity_cpus;
	uint64_t before = a->partition.spec.hpc_mem_mib, after = next->hpc_mem_mib;
	uint64_t mem = p->mem_mib + before;
	p->mem_mib = mem > after ? mem - after : 0;
}

/* Every running commodity VM within cpus; on failure those done are put back on back_to. */
static int repin_commodity(struct agent *a, const struct cpu_bits *cpus,
			   const struct cpu_bits *back_to, struct api_error *err)
{
	for (struct vm *vm = a->vms; vm; vm = vm->next) {
		if (vm->spec.stack != VM_STACK_COMMODITY || !vm_holds_resources(vm) ||
		    cpu_bits_equal(&vm->cpus, cpus))
			continue;
		if (commodity_repin(a->virt, vm, cpus, err) < 0) {
			struct api_error ignored;
			for (struct vm *done = a->vms; done != vm; done = done->next)
				if (done->spec.stack == VM_STACK_COMMODITY &&
				    vm_holds_resources(done))
					commodity_repin(a->virt, done, back_to, &ignored);
			return -1;
		}
	}
	return 0;
}

static void save_commodity_vms(const struct agent *a)
{
	char why[512];
	for (const struct vm *vm = a->vms; vm; vm = vm->next)
		if (vm->spec.stack == VM_STACK_COMMODITY && vm_holds_resources(vm) &&
		    vm_record_save(vm, a->state_dir, why, sizeof(why)) < 0)
			fprintf(stderr, "dsvd: %s\n", why);
}

int agent_repartition(struct agent *a, const struct node_config *cfg, bool dry_run, json_t **plan,
		      bool *changed, struct api_error *err)
{
	*changed = false;
	if (plan)
		*plan = NULL;
	if (!a->partition.active)
		return api_fail(err, 409, "",
				"the node is not partitioned: apply a partition first "
				"(PUT /v1/node/partition, dsv node partition)");
	if (cfg->has_overcommit_ratio)
		return api_fail(err, 400, "overcommit_ratio",
				"is set by PUT /v1/node/partition, not "
				"by a live change of the CPUs and memory");
	agent_reconcile(a);
	struct partition_spec next;
	if (partition_change_resolve(&a->topo, &a->partition, &cfg->partition, &next, err) < 0 ||
	    agent_check_host_memory(a, &next, err) < 0)
		return -1;
	struct commodity_pool pool;
	next_commodity_pool(a, &next, &pool);
	if (partition_change_check(&a->partition, &next, a->vms, &pool, err) < 0)
		return -1;
	struct partition_ctx ctx = agent_partition_ctx(a);
	if (partition_change_check_remount(&ctx, &a->partition, &next, err) < 0)
		return -1;
	if (partition_spec_equal(&next, &a->partition.spec) && !dry_run)
		return 0;
	if (dry_run) {
		*changed = !partition_spec_equal(&next, &a->partition.spec);
		*plan = partition_change_plan(&ctx, &a->partition, &next, err);
		return *plan ? 0 : -1;
	}
	/* commodity VMs first leave the CPUs they lose (libvirt narrows their cgroups), and get
     * the ones they gain once the cgroups above them hold them */
	struct cpu_bits old = a->partition.spec.commodity_cpus, kept = old;
	cpu_bits_and(&kept, &next.commodity_cpus);
	if (repin_commodity(a, &kept, &old, err) < 0)
		return -1;
	if (partition_change_apply(&ctx, &a->partition, &next, err) < 0) {
		struct api_error ignored;
		repin_commodity(a, &old, &old, &ignored);
		save_commodity_vms(a);
		return -1;
	}
	*changed = true;
	struct api_error widen;
	if (repin_commodity(a, &next.commodity_cpus, &kept, &widen) < 0) {
		char list[256];
		cpu_bits_format_list(&kept, list, sizeof(list));
		fprintf(stderr, "dsvd: warning: commodity VMs stay on CPUs %s: %s\n", list,
			widen.message);
	}
	save_commodity_vms(a);
	agent_pin_self_to_housekeeping(a);
	return 0;
}
