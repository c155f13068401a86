#include "partition_plan.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *cpus_json(const struct cpu_bits *s)
{
	char buf[1024];
	cpu_bits_format_list(s, buf, sizeof(buf));
	return json_string(buf);
}

/* What steer_away (partition_steps.c) makes of a mask: off the HPC CPUs, housekeeping if
 * nothing is left. */
static void steer(const struct partition_spec *spec, struct cpu_bits *cur)
{
	cpu_bits_andnot(cur, &spec->hpc_cpus);
	if (cpu_bits_empty(cur))
		*cur = spec->housekeeping_cpus;
}

static json_t *change(const struct cpu_bits *from, const struct cpu_bits *to)
{
	return json_pack("{s:o, s:o}", "from", cpus_json(from), "to", cpus_json(to));
}

/* The change to a CPU list file that holds HPC CPUs, or NULL when it holds none (or cannot be
 * read). */
static json_t *planned_change(const struct partition_spec *spec, const char *path)
{
	char buf[HOSTFS_VALUE_MAX], why[128];
	struct cpu_bits cur, to;
	if (hostfs_read(path, buf, sizeof(buf), why, sizeof(why)) < 0 ||
	    cpu_bits_parse_list(buf, &cur, why, sizeof(why)) < 0 ||
	    !cpu_bits_intersects(&cur, &spec->hpc_cpus))
		return NULL;
	to = cur;
	steer(spec, &to);
	return change(&cur, &to);
}

/* Top-level cpusets (v1) that hold HPC CPUs and would be narrowed. */
static json_t *narrowed_cpusets(const char *root, const struct partition_spec *spec)
{
	json_t *arr = json_array();
	DIR *d = opendir(root);
	if (!d)
		return arr;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s/cpuset.cpus", root, de->d_name);
		json_t *c = planned_change(spec, path);
		if (!c)
			continue;
		json_object_set_new(c, "cgroup", json_string(de->d_name));
		json_array_append_new(arr, c);
	}
	closedir(d);
	return arr;
}

static json_t *cgroups(const struct hostfs *fs, const struct partition_spec *spec)
{
	char path[512], buf[HOSTFS_VALUE_MAX], why[128];
	hostfs_path(fs, path, sizeof(path), "/sys/fs/cgroup/cgroup.controllers");
	if (hostfs_read(path, buf, sizeof(buf), why, sizeof(why)) == 0 && strstr(buf, "cpuset"))
		return json_pack("{s:s, s:[s], s:s}", "mode", "v2", "create", "dsv-hpc", "dsv-hpc",
				 "cpuset.cpus.partition=isolated");
	char root[512];
	hostfs_path(fs, root, sizeof(root), "/sys/fs/cgroup/cpuset");
	size_t tasks = 0;
	snprintf(path, sizeof(path), "%s/tasks", root);
	FILE *f = fopen(path, "re");
	if (f) {
		int ch;
		while ((ch = fgetc(f)) != EOF)
			tasks += ch == '\n';
		fclose(f);
	}
	return json_pack(
		"{s:s, s:[s,s,s], s:o, s:I, s:s}", "mode", "v1", "create", "dsv-hpc", "dsv-host",
		"dsv-commodity", "narrow", narrowed_cpusets(root, spec), "tasks_to_housekeeping",
		(json_int_t)tasks, "scheduler",
		"root sched_load_balance=0; dsv-hpc cpu_exclusive=1, sched_load_balance=0");
}

static json_t *irqs(const struct hostfs *fs, const struct partition_spec *spec)
{
	json_t *arr = json_array();
	char dir[512];
	hostfs_path(fs, dir, sizeof(dir), "/proc/irq");
	DIR *d = opendir(dir);
	if (!d)
		return arr;
	struct dirent *de;
	while ((de = readdir(d))) {
		char *end;
		unsigned long irq = strtoul(de->d_name, &end, 10);
		if (de->d_name[0] < '0' || de->d_name[0] > '9' || *end)
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s/smp_affinity_list", dir, de->d_name);
		json_t *c = planned_change(spec, path);
		if (!c)
			continue;
		json_object_set_new(c, "irq", json_integer((json_int_t)irq));
		json_array_append_new(arr, c);
	}
	closedir(d);
	return arr;
}

/* A hex mask file (default_smp_affinity, the workqueue cpumask): its change, or null. */
static json_t *mask_change(const char *path, const struct partition_spec *spec)
{
	char buf[HOSTFS_VALUE_MAX], why[128];
	struct cpu_bits cur, to;
	if (hostfs_read(path, buf, sizeof(buf), why, sizeof(why)) < 0 ||
	    cpu_bits_parse_mask(buf, &cur, why, sizeof(why)) < 0 ||
	    !cpu_bits_intersects(&cur, &spec->hpc_cpus))
		return json_null();
	to = cur;
	steer(spec, &to);
	return change(&cur, &to);
}

static json_t *hugepages(const struct hostfs *fs, const struct host_topology *t,
			 const struct partition_spec *spec)
{
	json_t *arr = json_array();
	struct cpu_bits nodes;
	host_topology_nodes_of(t, &spec->hpc_cpus, &nodes);
	unsigned nnodes = cpu_bits_count(&nodes);
	uint64_t pages = t->hugepage_kb ? spec->hpc_mem_mib * 1024 / t->hugepage_kb : 0;
	for (unsigned i = 0; i < nnodes; i++) {
		unsigned node = (unsigned)cpu_bits_nth(&nodes, i);
		uint64_t share = pages / nnodes + (i == 0 ? pages % nnodes : 0);
		char path[1024], buf[64], why[128];
		hostfs_path(
			fs, path, sizeof(path),
			"/sys/devices/system/node/node%u/hugepages/hugepages-%llukB/nr_hugepages",
			node, (unsigned long long)t->hugepage_kb);
		uint64_t before = hostfs_read(path, buf, sizeof(buf), why, sizeof(why)) == 0
					  ? strtoull(buf, NULL, 10)
					  : 0;
		json_array_append_new(arr, json_pack("{s:i, s:I, s:I}", "node", (int)node, "from",
						     (json_int_t)before, "to",
						     (json_int_t)(before + share)));
	}
	return json_pack("{s:I, s:I, s:o}", "page_kb", (json_int_t)t->hugepage_kb, "pages",
			 (json_int_t)pages, "nodes", arr);
}

json_t *partition_plan(const struct hostfs *fs, const struct host_topology *t,
		       const struct partition_spec *spec, const char *hugetlbfs_dir)
{
	char irqdir[512], wq[512];
	hostfs_path(fs, irqdir, sizeof(irqdir), "/proc/irq/default_smp_affinity");
	hostfs_path(fs, wq, sizeof(wq), "/sys/devices/virtual/workqueue/cpumask");
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:{s:s, s:I}}", "spec",
			 partition_spec_to_json(spec), "cgroups", cgroups(fs, spec), "irqs",
			 irqs(fs, spec), "default_smp_affinity", mask_change(irqdir, spec),
			 "workqueue_cpumask", mask_change(wq, spec), "hugepages",
			 hugepages(fs, t, spec), "hugetlbfs", "path", hugetlbfs_dir, "size_mib",
			 (json_int_t)spec->hpc_mem_mib);
}
