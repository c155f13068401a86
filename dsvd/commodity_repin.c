#include "commodity_repin.h"

#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

static const char *libvirt_error(void)
{
	const char *m = virGetLastErrorMessage();
	return m ? m : "unknown libvirt error";
}

static void map_of(const struct cpu_bits *s, unsigned char *map, int maplen, int ncpus)
{
	memset(map, 0, (size_t)maplen);
	for (int c = 0; c < ncpus && c < CPUSET_MAX_CPUS; c++)
		if (cpu_bits_has(s, (unsigned)c))
			VIR_USE_CPU(map, c);
}

static void bits_of(const unsigned char *map, int ncpus, struct cpu_bits *s)
{
	cpu_bits_clear(s);
	for (int c = 0; c < ncpus && c < CPUSET_MAX_CPUS; c++)
		if (VIR_CPU_USABLE(map, 1, 0, c))
			cpu_bits_set(s, (unsigned)c);
}

static int repin_vcpus(virDomainPtr dom, const struct vm *vm, const struct cpu_bits *cpus,
		       int ncpus, struct api_error *err)
{
	int maplen = VIR_CPU_MAPLEN(ncpus), nvcpus = (int)vm->spec.vcpus;
	unsigned char *maps = calloc((size_t)nvcpus, (size_t)maplen);
	if (!maps)
		return api_fail(err, 500, "", "out of memory");
	int got = virDomainGetVcpuPinInfo(dom, nvcpus, maps, maplen, VIR_DOMAIN_AFFECT_LIVE);
	int rc = 0;
	unsigned spread = cpu_bits_count(cpus);
	for (int i = 0; i < got && rc == 0; i++) {
		unsigned char *map = maps + (size_t)i * (size_t)maplen;
		struct cpu_bits pin, inside;
		bits_of(map, ncpus, &pin);
		inside = pin;
		cpu_bits_and(&inside, cpus);
		if (cpu_bits_equal(&inside, &pin))
			continue; /* already within */
		if (cpu_bits_empty(&inside))
			cpu_bits_set(&inside, (unsigned)cpu_bits_nth(cpus, (unsigned)i % spread));
		map_of(&inside, map, maplen, ncpus);
		if (virDomainPinVcpuFlags(dom, (unsigned)i, map, maplen, VIR_DOMAIN_AFFECT_LIVE) <
		    0)
			rc = api_fail(err, 500, "", "libvirt could not pin vCPU %d of %s: %s", i,
				      vm->commodity.domain, libvirt_error());
	}
	if (got < 0)
		rc = api_fail(err, 500, "", "libvirt could not read the vCPU pinning of %s: %s",
			      vm->commodity.domain, libvirt_error());
	free(maps);
	return rc;
}

int commodity_repin(struct commodity_conn *c, struct vm *vm, const struct cpu_bits *cpus,
		    struct api_error *err)
{
	if (cpu_bits_empty(cpus))
		return api_fail(err, 409, "commodity_cpus", "VM '%s' would have no CPU left",
				vm->spec.name);
	virConnectPtr conn = commodity_connection(c, err);
	if (!conn)
		return -1;
	virDomainPtr dom = virDomainLookupByName(conn, vm->commodity.domain);
	if (!dom)
		return api_fail(err, 500, "", "libvirt has no domain %s: %s", vm->commodity.domain,
				libvirt_error());
	int ncpus = virNodeGetCPUMap(conn, NULL, NULL, 0);
	int rc = ncpus > 0 ? 0
			   : api_fail(err, 500, "", "libvirt cannot count the host CPUs: %s",
				      libvirt_error());
	unsigned char map[VIR_CPU_MAPLEN(CPUSET_MAX_CPUS)];
	if (rc == 0 && ncpus > CPUSET_MAX_CPUS)
		ncpus = CPUSET_MAX_CPUS;
	/* the vCPUs first: narrowing, the emulator's wider set never has to hold them */
	if (rc == 0)
		rc = repin_vcpus(dom, vm, cpus, ncpus, err);
	if (rc == 0) {
		map_of(cpus, map, VIR_CPU_MAPLEN(ncpus), ncpus);
		if (virDomainPinEmulator(dom, map, VIR_CPU_MAPLEN(ncpus), VIR_DOMAIN_AFFECT_LIVE) <
		    0)
			rc = api_fail(err, 500, "", "libvirt could not pin the emulator of %s: %s",
				      vm->commodity.domain, libvirt_error());
	}
	virDomainFree(dom);
	if (rc == 0)
		vm->cpus = *cpus;
	return rc;
}
