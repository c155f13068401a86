#include "host_topology.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_node_meminfo(const char *path, unsigned id, uint64_t *kb)
{
	FILE *f = fopen(path, "re");
	*kb = 0;
	if (!f)
		return -1;
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		unsigned node;
		unsigned long long v;
		if (sscanf(line, "Node %u MemTotal: %llu kB", &node, &v) == 2 && node == id) {
			*kb = v;
			break;
		}
	}
	fclose(f);
	return 0;
}

static int compare_nodes(const void *a, const void *b)
{
	const struct host_node *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

int host_topology_read(const struct hostfs *fs, struct host_topology *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	char path[512], buf[HOSTFS_VALUE_MAX], perr[256];
	hostfs_path(fs, path, sizeof(path), "/sys/devices/system/cpu/online");
	if (hostfs_read(path, buf, sizeof(buf), err, errlen) < 0)
		return -1;
	if (cpu_bits_parse_list(buf, &t->online, perr, sizeof(perr)) < 0) {
		snprintf(err, errlen, "%s: %s", path, perr);
		return -1;
	}
	hostfs_path(fs, path, sizeof(path), "/sys/devices/system/node");
	DIR *d = opendir(path);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)) && t->nr_nodes < HOST_MAX_NODES) {
			unsigned id;
			char tail;
			if (sscanf(de->d_name, "node%u%c", &id, &tail) != 1)
				continue;
			struct host_node *n = &t->nodes[t->nr_nodes];
			n->id = id;
			char p[600];
			snprintf(p, sizeof(p), "%s/%s/cpulist", path, de->d_name);
			if (hostfs_read(p, buf, sizeof(buf), perr, sizeof(perr)) < 0 ||
			    cpu_bits_parse_list(buf, &n->cpus, perr, sizeof(perr)) < 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s/meminfo", path, de->d_name);
			read_node_meminfo(p, id, &n->mem_total_kb);
			t->nr_nodes++;
		}
		closedir(d);
	}
	if (t->nr_nodes == 0) {
		/* No NUMA information: one node holding every online CPU. */
		t->nodes[0].id = 0;
		t->nodes[0].cpus = t->online;
		t->nr_nodes = 1;
	}
	qsort(t->nodes, t->nr_nodes, sizeof(t->nodes[0]), compare_nodes);
	t->hugepage_kb = 2048;
	hostfs_path(fs, path, sizeof(path), "/proc/meminfo");
	FILE *f = fopen(path, "re");
	if (f) {
		char line[256];
		unsigned long long v;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "Hugepagesize: %llu kB", &v) == 1)
				t->hugepage_kb = v;
			if (t->nr_nodes == 1 && t->nodes[0].mem_total_kb == 0 &&
			    sscanf(line, "MemTotal: %llu kB", &v) == 1)
				t->nodes[0].mem_total_kb = v;
		}
		fclose(f);
	}
	return 0;
}

void host_topology_nodes_of(const struct host_topology *t, const struct cpu_bits *cpus,
			    struct cpu_bits *nodes)
{
	cpu_bits_clear(nodes);
	for (unsigned i = 0; i < t->nr_nodes; i++)
		if (cpu_bits_intersects(&t->nodes[i].cpus, cpus))
			cpu_bits_set(nodes, t->nodes[i].id);
}

const struct host_node *host_topology_node(const struct host_topology *t, unsigned id)
{
	for (unsigned i = 0; i < t->nr_nodes; i++)
		if (t->nodes[i].id == id)
			return &t->nodes[i];
	return NULL;
}
