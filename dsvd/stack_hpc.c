/* The HPC stack: one hvmm per VM on dedicated CPUs and the partition's hugepages. */
#include "stack.h"

#include "hpc_vm.h"
#include "kvm_host.h"
#include "proc_info.h"
#include "shm_group.h"
#include "vm_files.h"
#include "vm_stats.h"

static int start_hpc(struct agent *a, struct vm *vm, struct api_error *err)
{
	struct hpc_pool pool;
	agent_hpc_pool(a, &pool);
	if (admit_hpc(&pool, a->vms, &vm->spec, &vm->cpus, err) < 0)
		return -1;
	if (vm_files_stage(a->state_dir, a->state_real, &a->config, vm, err) < 0)
		return -1;
	char why[256];
	if (kvm_host_probe(a->fs.root, why, sizeof(why)) == KVM_HOST_NONE)
		return api_fail(err, 503, "stack", "the HPC stack needs KVM on this node: %s", why);
	if (shm_group_enter(a->state_dir, a->opts.shm_group_mib, vm, err) < 0)
		return -1;
	struct hpc_launch l;
	agent_hpc_launch(a, &l);
	vm->state = VM_STARTING;
	agent_save_vm(a, vm);
	if (hpc_start(&l, vm, err) < 0)
		return -1;
	agent_save_vm(a, vm);
	/* Most launches report within milliseconds; a large VM's memory may take longer, and
     * then the API answers first and the ticker reads the report (the VM may still fail). */
	if (hpc_launch_check(vm, 3000) < 0) {
		struct api_error ignored;
		hpc_stop(vm, &ignored); /* it is on its way out: reap it */
		return api_fail(err, 500, "", "%s", vm->exit_reason);
	}
	return 0;
}

static int refresh_hpc(struct agent *a, struct vm *vm)
{
	(void)a;
	return hpc_refresh(vm);
}

static int stop_hpc(struct agent *a, struct vm *vm, struct api_error *err)
{
	(void)a;
	return hpc_stop(vm, err);
}

static json_t *stats_hpc(struct agent *a, const struct vm *vm)
{
	(void)a;
	return hpc_stats_json(vm);
}

static double cpu_seconds_hpc(struct agent *a, const struct vm *vm)
{
	(void)a;
	struct proc_stat ps;
	return proc_read_stat(vm->hpc.pid, &ps) == 0 ? proc_cpu_seconds(&ps) : -1;
}

const struct stack_ops stack_hpc = {
	.name = "hpc",
	.start = start_hpc,
	.refresh = refresh_hpc,
	.stop = stop_hpc,
	.stats = stats_hpc,
	.cpu_seconds = cpu_seconds_hpc,
};
