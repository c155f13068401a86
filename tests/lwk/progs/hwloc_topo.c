/* What hwloc makes of its machine (the topology MPICH and OpenMP runtimes place ranks and
 * threads by): packages, cores, PUs, NUMA nodes and memory, on one line. Under hvmm it must
 * be the VM: one package, one core and PU per vCPU, one node holding --mem. */
#include <hwloc.h>
#include <stdio.h>

int main(void)
{
	hwloc_topology_t t;
	if (hwloc_topology_init(&t) || hwloc_topology_load(t)) {
		printf("hwloc: topology load failed\n");
		return 1;
	}
	printf("packages %d cores %d pus %d numa %d memory %llu\n",
	       hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PACKAGE),
	       hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE),
	       hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU),
	       hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE),
	       (unsigned long long)hwloc_get_root_obj(t)->total_memory);
	hwloc_topology_destroy(t);
	return 0;
}
