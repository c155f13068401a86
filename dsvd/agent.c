#include "agent.h"

#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commodity_cloud.h"
#include "console_settle.h"
#include "hpc_vm.h"
#include "shm_group.h"
#include "shm_mount.h"
#include "stack.h"
#include "vm_files.h"

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, mode) < 0 && errno != EEXIST ? -1 : 0;
}

static void read_mem_total(struct agent *a)
{
	char path[512];
	hostfs_path(&a->fs, path, sizeof(path), "/proc/meminfo");
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	char line[256];
	unsigned long long kb;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			a->mem_total_mib = kb / 1024;
	fclose(f);
}

void agent_pin_self_to_housekeeping(const struct agent *a)
{
	if (!a->partition.active || hostfs_is_fake(&a->fs))
		return;
	cpu_set_t mask;
	CPU_ZERO(&mask);
	for (unsigned c = 0; c < CPU_SETSIZE && c < CPUSET_MAX_CPUS; c++)
		if (cpu_bits_has(&a->partition.spec.housekeeping_cpus, c))
			CPU_SET(c, &mask);
	sched_setaffinity(0, sizeof(mask), &mask);
}

struct partition_ctx agent_partition_ctx(const struct agent *a)
{
	return (struct partition_ctx){ .fs = &a->fs,
				       .state_path = a->partition_path,
				       .fail_after = a->fail_after,
				       .hugetlbfs_dir = a->hugetlbfs_dir };
}

/* The node lock (node_lock.h) before any partition change: 409 naming the agent that holds
 * the node, or the one that stopped with its partition still applied. */
static int take_node_lock(struct agent *a, struct api_error *err)
{
	struct node_lock_holder h;
	char why[600];
	int rc = node_lock_try(&a->lock, &h, why, sizeof(why));
	if (rc < 0)
		return api_fail(err, 500, "", "%s", why);
	if (rc == 1) {
		if (h.pid == 0)
			return api_fail(err, 409, "",
					"another dsvd is applying a partition on this node "
					"(lock %s)",
					a->lock.path);
		return api_fail(err, 409, "",
				"the node is partitioned by another dsvd (pid %ld, "
				"state dir %s; lock %s): release it there first",
				h.pid, h.state_dir, a->lock.path);
	}
	char theirs[600];
	snprintf(theirs, sizeof(theirs), "%s/partition.json", h.state_dir);
	if (h.pid > 0 && strcmp(h.state_dir, a->state_dir) != 0 && hostfs_exists(theirs)) {
		node_lock_release(&a->lock, false); /* keep its record: it still says who to ask */
		return api_fail(
			err, 409, "",
			"the partition of a dsvd that is no longer running "
			"(pid %ld, state dir %s) is still applied: start dsvd --state-dir %s and "
			"release it",
			h.pid, h.state_dir, h.state_dir);
	}
	if (node_lock_record(&a->lock, a->state_dir, why, sizeof(why)) < 0) {
		node_lock_release(&a->lock, false);
		return api_fail(err, 500, "", "%s", why);
	}
	return 0;
}

void agent_hpc_launch(const struct agent *a, struct hpc_launch *l)
{
	l->hvmm_path = a->opts.hvmm_path;
	l->housekeeping = a->partition.spec.housekeeping_cpus;
	l->partition = &a->partition;
	l->console_max_bytes = a->config.console_max_kib * 1024;
}

void agent_save_vm(const struct agent *a, const struct vm *vm)
{
	char err[512];
	if (vm_record_save(vm, a->state_dir, err, sizeof(err)) < 0)
		fprintf(stderr, "dsvd: %s\n", err);
}

static int load_partition(struct agent *a, char *err, size_t errlen)
{
	bool found;
	if (partition_state_load(&a->partition, a->partition_path, &found, err, errlen) < 0)
		return -1;
	if (!found)
		return 0;
	/* our partition (or what is left of an apply): retake the node lock, which went with the
     * previous process. Held by someone else: this agent's partition is still ours to
     * release, so go on, but say so. */
	struct api_error aerr;
	if (take_node_lock(a, &aerr) < 0)
		fprintf(stderr, "dsvd: warning: %s\n", aerr.message);
	if (!a->partition.active) {
		/* a previous agent died in the middle of an apply: finish the rollback */
		struct partition_ctx ctx = agent_partition_ctx(a);
		fprintf(stderr, "dsvd: rolling back an interrupted partition apply\n");
		if (partition_release(&ctx, &a->partition, &aerr) < 0)
			fprintf(stderr, "dsvd: %s\n", aerr.message);
		else
			node_lock_release(&a->lock, true);
	}
	return 0;
}

static void adopt_vms(struct agent *a)
{
	a->vms = vm_record_load_all(a->state_dir);
	for (struct vm *vm = a->vms; vm; vm = vm->next) {
		bool was_running = vm_holds_resources(vm);
		vm->hpc.is_child = false;
		if (vm->spec.stack == VM_STACK_HPC && vm->state == VM_STARTING && vm->hpc.pid <= 0)
			vm->state = VM_FAILED; /* the agent died between its record and the fork */
		stack_of(vm)->refresh(a, vm);
		if (was_running && vm_holds_resources(vm))
			a->adopted++;
		agent_save_vm(a, vm);
	}
}

int agent_init(struct agent *a, const struct agent_options *opts, char *err, size_t errlen)
{
	struct api_error aerr;
	memset(a, 0, sizeof(*a));
	a->opts = *opts;
	if (!a->opts.shm_group_mib)
		a->opts.shm_group_mib = SHM_MOUNT_MIB_DEFAULT;
	snprintf(a->state_dir, sizeof(a->state_dir), "%s", opts->state_dir);
	snprintf(a->partition_path, sizeof(a->partition_path), "%s/partition.json", a->state_dir);
	snprintf(a->hugetlbfs_dir, sizeof(a->hugetlbfs_dir), "%s/hugepages", a->state_dir);
	hostfs_init(&a->fs, opts->host_root);
	char lock_path[512];
	hostfs_path(&a->fs, lock_path, sizeof(lock_path), "%s", NODE_LOCK_PATH);
	node_lock_init(&a->lock, lock_path);
	partition_state_init(&a->partition, hostfs_is_fake(&a->fs));
	a->fail_after = getenv("DSV_PARTITION_FAIL_AT");
	char vmdir[600];
	snprintf(vmdir, sizeof(vmdir), "%s/vms", a->state_dir);
	/* 0711: an HPC VM's hvmm opens its copies as the VM's owner (vm_files.c), who must pass
     * through here; nobody else can list what is inside */
	if (mkdir_p(a->state_dir, 0711) < 0 || mkdir_p(vmdir, 0711) < 0 ||
	    chmod(a->state_dir, 0711) < 0 || chmod(vmdir, 0711) < 0) {
		snprintf(err, errlen, "cannot create state directory %s: %s", a->state_dir,
			 strerror(errno));
		return -1;
	}
	if (opts->socket_group) {
		struct group *g = getgrnam(opts->socket_group);
		if (!g) {
			snprintf(err, errlen, "--group: no such group '%s'", opts->socket_group);
			return -1;
		}
		a->socket_gid = g->gr_gid;
		a->has_socket_gid = true;
	}
	if (!realpath(a->state_dir, a->state_real)) {
		snprintf(err, errlen, "cannot resolve state directory %s: %s", a->state_dir,
			 strerror(errno));
		return -1;
	}
	caller_self(&a->caller);
	if (opts->config_path && agent_config_load(opts->config_path, &a->config, &aerr) < 0) {
		snprintf(err, errlen, "%s", aerr.message);
		return -1;
	}
	if (!opts->config_path)
		agent_config_defaults(&a->config);
	if (host_topology_read(&a->fs, &a->topo, err, errlen) < 0)
		return -1;
	read_mem_total(a);
	struct node_config cfg;
	bool found = false;
	if (opts->config_path && node_config_load(opts->config_path, &cfg, &found, &aerr) < 0) {
		snprintf(err, errlen, "%s", aerr.message);
		return -1;
	}
	a->overcommit_ratio = opts->overcommit_ratio ? opts->overcommit_ratio
			      : found		     ? cfg.overcommit_ratio
						     : NODE_OVERCOMMIT_DEFAULT;
	a->virt = commodity_conn_new(opts->libvirt_uri);
	if (!a->virt) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (load_partition(a, err, errlen) < 0)
		return -1;
	if (found && cfg.partition.has_hpc_cpus && !opts->no_apply_config) {
		bool changed;
		if (agent_partition(a, &cfg, &changed, &aerr) < 0) {
			snprintf(err, errlen, "applying %s: %s", opts->config_path, aerr.message);
			return -1;
		}
	}
	agent_pin_self_to_housekeeping(a);
	adopt_vms(a);
	shm_group_sweep(a->state_dir, a->vms); /* groups whose VMs were deleted meanwhile */
	a->events = event_log_new(a);
	if (!a->events) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void agent_fini(struct agent *a)
{
	event_log_free(a->events);
	a->events = NULL;
	while (a->vms) {
		struct vm *next = a->vms->next;
		vm_destroy(a->vms);
		a->vms = next;
	}
	commodity_conn_free(a->virt);
	/* stopping with the partition applied: the lock goes, its record stays (node_lock.h) */
	node_lock_release(&a->lock, !a->partition.active);
	partition_state_free(&a->partition);
}

void agent_reconcile(struct agent *a)
{
	for (struct vm *vm = a->vms; vm; vm = vm->next) {
		int changed = stack_of(vm)->refresh(a, vm);
		/* an ended VM's console is whole: whoever reads it after the exit sees the last
         * lines (the bound is for a writer that never lets go) */
		if (changed && !vm_holds_resources(vm) && !console_settle(vm->console_path, 5000))
			fprintf(stderr,
				"dsvd: %s: its console is still being written after the VM "
				"ended\n",
				vm->spec.name);
		if (changed)
			agent_save_vm(a, vm);
	}
}

struct vm *agent_find(struct agent *a, const char *name)
{
	for (struct vm *vm = a->vms; vm; vm = vm->next)
		if (strcmp(vm->spec.name, name) == 0)
			return vm;
	return NULL;
}

void agent_hpc_pool(const struct agent *a, struct hpc_pool *p)
{
	memset(p, 0, sizeof(*p));
	p->partitioned = a->partition.active;
	if (!p->partitioned)
		return;
	p->cpus = a->partition.spec.hpc_cpus;
	p->mem_mib = a->partition.hugepages_reserved * a->partition.hugepage_kb / 1024;
}

void agent_commodity_pool(const struct agent *a, struct commodity_pool *p)
{
	memset(p, 0, sizeof(*p));
	p->overcommit_ratio = a->overcommit_ratio;
	p->cpus = a->partition.active ? a->partition.spec.commodity_cpus : a->topo.online;
	uint64_t reserved = a->partition.active ? a->partition.spec.hpc_mem_mib : 0;
	uint64_t headroom = 512; /* left to the host itself */
	p->mem_mib =
		a->mem_total_mib > reserved + headroom ? a->mem_total_mib - reserved - headroom : 0;
}

/* Everything a VM has under the state directory: record, console (and its rotations), the
 * commodity guest's debugcon, the copies of its files, and its shared-memory group's
 * directory when it was the group's last VM (vm is no longer in a->vms). */
static void remove_vm_files(const struct agent *a, const struct vm *vm)
{
	vm_record_remove(vm->spec.name, a->state_dir);
	unlink(vm->console_path);
	char other[600];
	snprintf(other, sizeof(other), "%s.debug", vm->console_path);
	unlink(other); /* the commodity guest's debugcon */
	snprintf(other, sizeof(other), "%s.status", vm->console_path);
	unlink(other);		       /* and its status log */
	for (int i = 1; i <= 9; i++) { /* virtlogd's rotated copies of a commodity console */
		snprintf(other, sizeof(other), "%s.%d", vm->console_path, i);
		unlink(other);
	}
	hpc_status_path(vm, other, sizeof(other));
	unlink(other); /* hvmm's exit status */
	vm_files_remove(a->state_dir, vm->spec.name);
	shm_group_leave(a->state_dir, a->vms, vm);
	if (commodity_is_cloud(vm))
		commodity_cloud_remove_files(a->state_dir, vm);
}

struct vm *agent_create_vm(struct agent *a, struct vm_spec *spec, struct api_error *err)
{
	if (agent_find(a, spec->name)) {
		api_fail(err, 409, "name", "a VM named '%s' already exists", spec->name);
		return NULL;
	}
	struct vm *vm = calloc(1, sizeof(*vm));
	if (!vm) {
		api_fail(err, 500, "", "out of memory");
		return NULL;
	}
	vm->spec = *spec;
	memset(spec, 0, sizeof(*spec));
	vm->exit_code = -1;
	vm->created = time(NULL);
	vm->owner = a->caller;
	snprintf(vm->console_path, sizeof(vm->console_path), "%s/vms/%s.console", a->state_dir,
		 vm->spec.name);
	unlink(vm->console_path);
	int rc = stack_of(vm)->start(a, vm, err);
	if (rc < 0) {
		remove_vm_files(a, vm);
		vm_destroy(vm);
		return NULL;
	}
	vm->next = a->vms;
	a->vms = vm;
	agent_save_vm(a, vm);
	return vm;
}

int agent_check_owner(const struct agent *a, const struct vm *vm, struct api_error *err)
{
	uid_t uid = a->caller.uid;
	if (uid == 0 || !caller_is_other(&a->caller) || uid == vm->owner.uid)
		return 0;
	return api_fail(err, 403, "name", "VM '%s' belongs to uid %u, not to uid %u", vm->spec.name,
			(unsigned)vm->owner.uid, (unsigned)uid);
}

int agent_delete_vm(struct agent *a, const char *name, struct api_error *err)
{
	struct vm **link = &a->vms;
	while (*link && strcmp((*link)->spec.name, name) != 0)
		link = &(*link)->next;
	struct vm *vm = *link;
	if (!vm)
		return api_fail(err, 404, "name", "no VM named '%s'", name);
	if (agent_check_owner(a, vm, err) < 0)
		return -1;
	int rc = stack_of(vm)->stop(a, vm, err);
	if (rc < 0) {
		agent_save_vm(a, vm);
		return -1;
	}
	*link = vm->next;
	remove_vm_files(a, vm);
	vm_destroy(vm);
	return 0;
}

static struct vm *cloud_vm(struct agent *a, const char *name, struct api_error *err)
{
	struct vm *vm = agent_find(a, name);
	if (!vm)
		api_fail(err, 404, "name", "no VM named '%s'", name);
	else if (vm->spec.stack != VM_STACK_COMMODITY)
		api_fail(err, 400, "name",
			 "VM '%s' is on stack hpc: it ends with its program (DELETE "
			 "stops it)",
			 name);
	else if (agent_check_owner(a, vm, err) < 0)
		return NULL;
	return vm && vm->spec.stack == VM_STACK_COMMODITY ? vm : NULL;
}

int agent_shutdown_vm(struct agent *a, const char *name, unsigned timeout_s, struct api_error *err)
{
	struct vm *vm = cloud_vm(a, name, err);
	return vm ? commodity_cloud_shutdown(a->virt, vm, timeout_s, err) : -1;
}

int agent_reboot_vm(struct agent *a, const char *name, struct api_error *err)
{
	struct vm *vm = cloud_vm(a, name, err);
	return vm ? commodity_cloud_reboot(a->virt, vm, err) : -1;
}

int agent_check_host_memory(const struct agent *a, const struct partition_spec *spec,
			    struct api_error *err)
{
	uint64_t keep = a->mem_total_mib * AGENT_HOST_MEM_PERCENT / 100;
	if (keep < AGENT_HOST_MEM_MIB_MIN)
		keep = AGENT_HOST_MEM_MIB_MIN;
	if (a->mem_total_mib && spec->hpc_mem_mib + keep > a->mem_total_mib)
		return api_fail(err, 400, "hpc_mem_mib",
				"%llu MiB would leave the host less than the "
				"%llu MiB it keeps (%d %% of %llu MiB, at least %d MiB)",
				(unsigned long long)spec->hpc_mem_mib, (unsigned long long)keep,
				AGENT_HOST_MEM_PERCENT, (unsigned long long)a->mem_total_mib,
				AGENT_HOST_MEM_MIB_MIN);
	return 0;
}

int agent_partition(struct agent *a, const struct node_config *cfg, bool *changed,
		    struct api_error *err)
{
	*changed = false;
	struct partition_spec spec;
	if (partition_resolve(&a->topo, &cfg->partition, &spec, err) < 0)
		return -1;
	if (agent_check_host_memory(a, &spec, err) < 0)
		return -1;
	if (cfg->has_overcommit_ratio)
		a->overcommit_ratio = cfg->overcommit_ratio;
	if (a->partition.active) {
		if (partition_spec_equal(&spec, &a->partition.spec))
			return 0;
		return api_fail(err, 409, "",
				"the node is already partitioned differently; release it "
				"first (dsv node release)");
	}
	struct vm *vm;
	for (vm = a->vms; vm && !(vm_holds_resources(vm)); vm = vm->next)
		;
	if (vm)
		return api_fail(err, 409, "",
				"VM '%s' is running; partition the node before starting VMs",
				vm->spec.name);
	if (take_node_lock(a, err) < 0)
		return -1;
	struct partition_ctx ctx = agent_partition_ctx(a);
	if (partition_apply(&ctx, &a->topo, &spec, &a->partition, err) < 0) {
		/* rolled back, or left "applying" for the next start to finish: keep the lock then */
		if (!hostfs_exists(a->partition_path))
			node_lock_release(&a->lock, true);
		return -1;
	}
	*changed = true;
	agent_pin_self_to_housekeeping(a);
	if (a->partition.irqs_skipped)
		fprintf(stderr,
			"dsvd: warning: %u interrupt(s) stay on the HPC CPUs, their affinity "
			"cannot be "
			"changed (IRQ %s; kernel-managed ones leave only with "
			"isolcpus=managed_irq,CPUS "
			"at boot)\n",
			a->partition.irqs_skipped, a->partition.irqs_unmovable);
	return 0;
}

int agent_release(struct agent *a, struct api_error *err)
{
	if (!a->partition.active)
		return api_fail(err, 409, "", "the node is not partitioned");
	agent_reconcile(a);
	for (struct vm *vm = a->vms; vm; vm = vm->next)
		if (vm_holds_resources(vm))
			return api_fail(err, 409, "", "VM '%s' is still running; delete it first",
					vm->spec.name);
	struct partition_ctx ctx = agent_partition_ctx(a);
	if (partition_release(&ctx, &a->partition, err) < 0)
		return -1;
	node_lock_release(&a->lock, true);
	if (!hostfs_is_fake(&a->fs)) {
		cpu_set_t mask;
		CPU_ZERO(&mask);
		for (unsigned c = 0; c < CPU_SETSIZE && c < CPUSET_MAX_CPUS; c++)
			if (cpu_bits_has(&a->topo.online, c))
				CPU_SET(c, &mask);
		sched_setaffinity(0, sizeof(mask), &mask);
	}
	return 0;
}
