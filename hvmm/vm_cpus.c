/* Which host CPUs a VM gets, and the NUMA node that goes with them. */
#include <errno.h>
#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpulist.h"
#include "log.h"
#include "vm_setup.h"

/* --cpus and --housekeeping-cpus against what this process may actually use. */
int vm_choose_cpus(struct vm *vm, char *err, size_t errlen)
{
	const struct hvmm_opts *o = vm->opts;
	cpu_set_t allowed;
	int navail = 0, avail[CPU_SETSIZE];
	char buf[256];

	if (sched_getaffinity(0, sizeof(allowed), &allowed)) {
		snprintf(err, errlen, "sched_getaffinity: %s", strerror(errno));
		return -1;
	}
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &allowed))
			avail[navail++] = c;
	vm->nvcpus = o->vcpus;
	if (o->ncpus) {
		memcpy(vm->cpus, o->cpus, sizeof(int) * (size_t)o->ncpus);
	} else {
		if (o->vcpus > navail) {
			snprintf(err, errlen,
				 "%d vCPUs need %d dedicated CPUs; only %d available (%s)",
				 o->vcpus, o->vcpus, navail,
				 cpulist_format(avail, (size_t)navail, buf, sizeof(buf)));
			return -1;
		}
		/* The highest CPUs: CPU 0 usually carries the host's housekeeping already. */
		for (int i = 0; i < o->vcpus; i++)
			vm->cpus[i] = avail[navail - o->vcpus + i];
	}
	for (int i = 0; i < vm->nvcpus; i++) {
		if (vm->cpus[i] >= CPU_SETSIZE || !CPU_ISSET(vm->cpus[i], &allowed)) {
			snprintf(err, errlen,
				 "--cpus: CPU %d does not exist or is not available to "
				 "hvmm (available: %s)",
				 vm->cpus[i],
				 cpulist_format(avail, (size_t)navail, buf, sizeof(buf)));
			return -1;
		}
	}
	if (o->nhk_cpus) {
		for (int i = 0; i < o->nhk_cpus; i++) {
			if (o->hk_cpus[i] >= CPU_SETSIZE || !CPU_ISSET(o->hk_cpus[i], &allowed)) {
				snprintf(err, errlen,
					 "--housekeeping-cpus: CPU %d does not exist or is "
					 "not available to hvmm",
					 o->hk_cpus[i]);
				return -1;
			}
			vm->hk_cpus[vm->nhk_cpus++] = o->hk_cpus[i];
		}
		return 0;
	}
	for (int i = 0; i < navail && vm->nhk_cpus < (int)(sizeof(vm->hk_cpus) / sizeof(int));
	     i++) {
		int used = 0;

		for (int j = 0; j < vm->nvcpus; j++)
			used |= vm->cpus[j] == avail[i];
		if (!used)
			vm->hk_cpus[vm->nhk_cpus++] = avail[i];
	}
	if (!vm->nhk_cpus) {
		/* Every CPU runs a vCPU: housekeeping has to share (it mostly sleeps). */
		for (int i = 0; i < vm->nvcpus; i++)
			vm->hk_cpus[vm->nhk_cpus++] = vm->cpus[i];
		log_info("no CPU left for housekeeping; it shares the vCPU CPUs");
	}
	return 0;
}

/* The NUMA node sysfs lists for cpu (a "nodeN" entry in its directory), -1 if none. */
static int node_of_cpu(int cpu)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int node = -1;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d", cpu);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		if (!strncmp(d->d_name, "node", 4) && d->d_name[4] >= '0' && d->d_name[4] <= '9')
			node = atoi(d->d_name + 4);
	closedir(dir);
	return node;
}

int vm_numa_node(const struct vm *vm)
{
	int node = node_of_cpu(vm->cpus[0]);

	for (int i = 1; i < vm->nvcpus; i++)
		if (node_of_cpu(vm->cpus[i]) != node)
			return -1; /* spans nodes: let the kernel place it */
	return node;
}

int vm_pin_self(const int *cpus, int n)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int i = 0; i < n; i++)
		CPU_SET(cpus[i], &set);
	return sched_setaffinity(0, sizeof(set), &set);
}
