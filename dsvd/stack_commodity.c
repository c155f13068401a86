/* The commodity stack: libvirt domains time-sharing the commodity CPUs, the lwk's microvm
 * guests and ordinary cloud VMs from images or an operator's domain XML. */
#include "stack.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "commodity_cloud.h"
#include "commodity_vm.h"
#include "kvm_host.h"
#include "vm_files.h"
#include "vm_stats.h"

/* A kernel command line has no quoting the lwk understands: one word per argument. */
static int check_cmdline_words(const struct vm_spec *spec, struct api_error *err)
{
	for (unsigned i = 0; i < spec->argc; i++) {
		for (const char *p = spec->argv[i]; *p; p++) {
			if (*p == ' ' || *p == '\t' || *p == '\n' || (unsigned char)*p < 0x20) {
				char field[32];
				snprintf(field, sizeof(field), "program[%u]", i);
				return api_fail(
					err, 400, field,
					"a commodity guest gets its arguments on the "
					"kernel command line, which cannot carry whitespace");
			}
		}
		if (spec->argv[i][0] == '\0') {
			char field[32];
			snprintf(field, sizeof(field), "program[%u]", i);
			return api_fail(err, 400, field,
					"empty arguments cannot be passed on a kernel "
					"command line");
		}
	}
	return 0;
}

/* An ordinary cloud VM: an image or an operator's domain XML (commodity_cloud.h). */
static int start_cloud(struct agent *a, struct vm *vm, struct api_error *err)
{
	struct cloud_ctx c = { .virt = a->virt,
			       .state_dir = a->state_dir,
			       .host_root = a->fs.root,
			       .caller = &vm->owner,
			       .vms = a->vms };
	agent_commodity_pool(a, &c.pool);
	if (a->partition.active) {
		c.limits.hpc_cpus = a->partition.spec.hpc_cpus;
		c.limits.hpc_hugepages = a->partition.hugepages_reserved > 0;
	}
	char *xml = commodity_cloud_prepare(&c, vm, err);
	if (!xml)
		return -1;
	vm->state = VM_STARTING;
	agent_save_vm(a, vm);
	int rc = commodity_start(a->virt, vm, xml, err);
	free(xml);
	return rc;
}

static int start_commodity(struct agent *a, struct vm *vm, struct api_error *err)
{
	if (vm->spec.image || vm->spec.domain_xml)
		return start_cloud(a, vm, err);
	if (check_cmdline_words(&vm->spec, err) < 0)
		return -1;
	struct commodity_pool pool;
	agent_commodity_pool(a, &pool);
	int pin[VM_VCPUS_MAX];
	if (admit_commodity(&pool, a->vms, &vm->spec, pin, err) < 0)
		return -1;
	vm->cpus = pool.cpus;
	snprintf(vm->commodity.domain, sizeof(vm->commodity.domain), "dsv-%s", vm->spec.name);
	/* the operator's default guest by path; the caller's files as copies made as the caller */
	const char *kernel = a->opts.default_kernel;
	if (!vm->spec.kernel && access(kernel, R_OK) < 0)
		return api_fail(err, 503, "kernel",
				"cannot read %s: %s (the default guest is not built)", kernel,
				strerror(errno));
	if (vm_files_stage(a->state_dir, a->state_real, &a->config, vm, err) < 0)
		return -1;
	if (vm->kernel_copy[0])
		kernel = vm->kernel_copy;
	char *xml = commodity_domain_xml(vm, kernel, pin, kvm_host_probe(a->fs.root, NULL, 0));
	if (!xml)
		return api_fail(err, 500, "", "out of memory building the domain XML");
	vm->state = VM_STARTING;
	agent_save_vm(a, vm);
	int rc = commodity_start(a->virt, vm, xml, err);
	free(xml);
	return rc;
}

static int refresh_commodity(struct agent *a, struct vm *vm)
{
	return commodity_refresh(a->virt, vm);
}

static int stop_commodity(struct agent *a, struct vm *vm, struct api_error *err)
{
	return commodity_stop(a->virt, vm, err);
}

static json_t *stats_commodity(struct agent *a, const struct vm *vm)
{
	return commodity_stats_json(a->virt, vm);
}

static double cpu_seconds_commodity(struct agent *a, const struct vm *vm)
{
	uint64_t ns, kib;
	return commodity_stats(a->virt, vm, &ns, &kib) == 0 ? (double)ns / 1e9 : -1;
}

const struct stack_ops stack_commodity = {
	.name = "commodity",
	.start = start_commodity,
	.refresh = refresh_commodity,
	.stop = stop_commodity,
	.stats = stats_commodity,
	.cpu_seconds = cpu_seconds_commodity,
};
