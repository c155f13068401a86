#include "hpc_partition.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

int hpc_partition_load(const char *path, struct hpc_partition *p, char *err, size_t errlen)
{
	struct cpulist_rules rules = { .max_cpu = CPULIST_MAX_CPU };
	static int cpus[CPULIST_MAX_CPU + 1];
	json_error_t jerr;
	const char *list;
	char why[200];
	json_t *o, *spec;
	int n;

	memset(p, 0, sizeof(*p));
	o = json_load_file(path, 0, &jerr);
	if (!o) {
		FILE *f = fopen(path, "r");

		if (!f && errno == ENOENT)
			snprintf(err, errlen,
				 "dsv's HPC partition is not applied on this node (no %s): "
				 "an administrator runs 'dsv node partition'",
				 path);
		else
			snprintf(err, errlen, "cannot read dsv's partition state %s: %s", path,
				 f ? jerr.text : strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	spec = json_object_get(o, "spec");
	list = json_string_value(json_object_get(spec, "hpc_cpus"));
	if (!json_is_true(json_object_get(o, "active"))) {
		snprintf(err, errlen,
			 "dsv's HPC partition is not active on this node (%s): dsvd is "
			 "applying or releasing it",
			 path);
		json_decref(o);
		return -1;
	}
	n = list ? cpulist_scan(list, &rules, cpus, CPULIST_MAX_CPU + 1, why, sizeof(why)) : -1;
	if (n < 0) {
		snprintf(err, errlen, "dsv's partition state %s: spec.hpc_cpus %s", path,
			 list ? why : "is missing");
		json_decref(o);
		return -1;
	}
	for (int i = 0; i < n; i++)
		p->cpu[cpus[i]] = true;
	snprintf(p->cpus_text, sizeof(p->cpus_text), "%s", list);
	json_decref(o);
	return 0;
}

int hpc_partition_check(const struct hpc_partition *p, const int *cpus, int ncpus, char *err,
			size_t errlen)
{
	for (int i = 0; i < ncpus; i++) {
		if (cpus[i] < 0 || cpus[i] > CPULIST_MAX_CPU || !p->cpu[cpus[i]]) {
			snprintf(err, errlen,
				 "Slurm gave this task CPU %d, which is not in dsv's HPC "
				 "partition (HPC CPUs %s): no HPC VM runs outside it; set "
				 "CpuSpecList "
				 "to the other CPUs ('dsv node slurm-conf' prints it)",
				 cpus[i], p->cpus_text);
			return -1;
		}
	}
	return 0;
}
