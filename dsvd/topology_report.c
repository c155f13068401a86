#include "topology_report.h"

#include <hwloc.h>

static json_t *cpuset_string(hwloc_const_bitmap_t set)
{
	char *s = NULL;
	if (!set || hwloc_bitmap_list_asprintf(&s, set) < 0)
		return json_string("");
	json_t *j = json_string(s);
	free(s);
	return j;
}

static json_t *caches(hwloc_topology_t topo)
{
	json_t *arr = json_array();
	static const hwloc_obj_type_t types[] = { HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE,
						  HWLOC_OBJ_L3CACHE };
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		int n = hwloc_get_nbobjs_by_type(topo, types[t]);
		for (int i = 0; i < n; i++) {
			hwloc_obj_t o = hwloc_get_obj_by_type(topo, types[t], (unsigned)i);
			json_array_append_new(arr,
					      json_pack("{s:i, s:I, s:o}", "level",
							(int)o->attr->cache.depth, "size_bytes",
							(json_int_t)o->attr->cache.size, "cpus",
							cpuset_string(o->cpuset)));
		}
	}
	return arr;
}

static json_t *numa_nodes(hwloc_topology_t topo)
{
	json_t *arr = json_array();
	int n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
	for (int i = 0; i < n; i++) {
		hwloc_obj_t o = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, (unsigned)i);
		json_array_append_new(arr, json_pack("{s:i, s:I, s:o}", "id", (int)o->os_index,
						     "memory_bytes",
						     (json_int_t)o->attr->numanode.local_memory,
						     "cpus", cpuset_string(o->cpuset)));
	}
	return arr;
}

json_t *topology_report(void)
{
	hwloc_topology_t topo;
	if (hwloc_topology_init(&topo) < 0)
		return json_pack("{s:s}", "error", "hwloc_topology_init failed");
	/* the whole machine: with the partition applied dsvd itself runs in the housekeeping
     * cpuset, which is all hwloc would see otherwise */
	hwloc_topology_set_flags(topo, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
	if (hwloc_topology_load(topo) < 0) {
		hwloc_topology_destroy(topo);
		return json_pack("{s:s}", "error", "hwloc_topology_load failed");
	}
	json_t *o = json_pack("{s:i, s:i, s:i, s:o, s:o, s:I}", "packages",
			      hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE), "cores",
			      hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE), "pus",
			      hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU), "numa_nodes",
			      numa_nodes(topo), "caches", caches(topo), "memory_bytes",
			      (json_int_t)hwloc_get_root_obj(topo)->total_memory);
	hwloc_topology_destroy(topo);
	return o;
}
