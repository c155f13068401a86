#include "commodity_foreign.h"

#include <libvirt/virterror.h>
#include <stdlib.h>
#include <string.h>

#include "cpuset_bits.h"

static const struct vm *owner_of(const struct vm *vms, const char *domain)
{
	for (const struct vm *vm = vms; vm; vm = vm->next)
		if (vm->commodity.domain[0] && strcmp(vm->commodity.domain, domain) == 0)
			return vm;
	return NULL;
}

static const char *state_name(int state)
{
	switch (state) {
	case VIR_DOMAIN_RUNNING:
		return "running";
	case VIR_DOMAIN_BLOCKED:
		return "blocked";
	case VIR_DOMAIN_PAUSED:
		return "paused";
	case VIR_DOMAIN_SHUTDOWN:
		return "shutting-down";
	case VIR_DOMAIN_SHUTOFF:
		return "shut-off";
	case VIR_DOMAIN_CRASHED:
		return "crashed";
	case VIR_DOMAIN_PMSUSPENDED:
		return "suspended";
	default:
		return "unknown";
	}
}

/* The union of the CPUs its vCPUs may run on (live pinning of a running domain). */
static json_t *vcpu_cpus(virDomainPtr dom, unsigned nvcpus)
{
	int maplen = VIR_CPU_MAPLEN(CPUSET_MAX_CPUS);
	unsigned char *maps = calloc(nvcpus ? nvcpus : 1, (size_t)maplen);
	if (!maps || nvcpus == 0) {
		free(maps);
		return json_null();
	}
	int n = virDomainGetVcpuPinInfo(dom, (int)nvcpus, maps, maplen, VIR_DOMAIN_AFFECT_CURRENT);
	struct cpu_bits all;
	cpu_bits_clear(&all);
	for (int v = 0; v < n; v++)
		for (unsigned c = 0; c < CPUSET_MAX_CPUS; c++)
			if (VIR_CPU_USABLE(maps, maplen, v, c))
				cpu_bits_set(&all, c);
	free(maps);
	if (n <= 0)
		return json_null();
	char buf[1024];
	cpu_bits_format_list(&all, buf, sizeof(buf));
	return json_string(buf);
}

json_t *commodity_domains_json(struct commodity_conn *virt, const struct vm *vms,
			       struct api_error *err)
{
	virConnectPtr conn = commodity_connection(virt, err);
	if (!conn)
		return NULL;
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(conn, &doms, 0);
	if (n < 0) {
		const char *m = virGetLastErrorMessage();
		api_fail(err, 503, "", "libvirt cannot list domains: %s", m ? m : "unknown error");
		return NULL;
	}
	json_t *arr = json_array();
	for (int i = 0; i < n; i++) {
		const char *name = virDomainGetName(doms[i]);
		virDomainInfo info;
		if (name && virDomainGetInfo(doms[i], &info) == 0) {
			const struct vm *vm = owner_of(vms, name);
			json_t *o = json_pack(
				"{s:s, s:s, s:s, s:b, s:i, s:I, s:f}", "domain", name, "owner",
				vm ? "dsvd" : "foreign", "state", state_name(info.state),
				"persistent", virDomainIsPersistent(doms[i]) == 1, "vcpus",
				(int)info.nrVirtCpu, "mem_mib", (json_int_t)(info.maxMem / 1024),
				"cpu_seconds", (double)info.cpuTime / 1e9);
			if (o && vm)
				json_object_set_new(o, "vm", json_string(vm->spec.name));
			if (o)
				json_object_set_new(o, "cpus",
						    info.state == VIR_DOMAIN_SHUTOFF
							    ? json_null()
							    : vcpu_cpus(doms[i], info.nrVirtCpu));
			json_array_append_new(arr, o);
		}
		virDomainFree(doms[i]);
	}
	free(doms);
	return arr;
}
