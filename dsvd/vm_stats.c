#include "vm_stats.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc_info.h"
#include "stack.h"

/* "Key:   N kB" from /proc/PID/status, in bytes; -1 when absent. */
static long long status_kb(pid_t pid, const char *key)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	long long v = -1;
	size_t kl = strlen(key);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			v = strtoll(line + kl + 1, NULL, 10) * 1024;
			break;
		}
	fclose(f);
	return v;
}

/* The vCPU a thread of hvmm runs: hvmm names them "vcpuN" (hvmm/vcpu.c); -1 for the others. */
static int vcpu_of_thread(pid_t pid, const char *tid)
{
	char path[96], comm[32];
	snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", (int)pid, tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int n = -1, v = -1;
	if (fgets(comm, sizeof(comm), f) && sscanf(comm, "vcpu%d%n", &v, &n) == 1 &&
	    (comm[n] == '\n' || comm[n] == '\0'))
		n = v;
	else
		n = -1;
	fclose(f);
	return n;
}

static json_t *hpc_vcpus(const struct vm *vm)
{
	json_t *arr = json_array();
	double secs[VM_VCPUS_MAX];
	bool seen[VM_VCPUS_MAX] = { false };
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)vm->hpc.pid);
	DIR *d = opendir(dir);
	if (!d)
		return arr;
	struct dirent *de;
	while ((de = readdir(d))) {
		int v = de->d_name[0] == '.' ? -1 : vcpu_of_thread(vm->hpc.pid, de->d_name);
		struct proc_stat st;
		if (v < 0 || v >= VM_VCPUS_MAX || seen[v] ||
		    proc_read_stat((pid_t)atoi(de->d_name), &st) < 0)
			continue;
		seen[v] = true;
		secs[v] = proc_cpu_seconds(&st);
	}
	closedir(d);
	for (unsigned v = 0; v < vm->spec.vcpus && v < VM_VCPUS_MAX; v++)
		if (seen[v])
			json_array_append_new(arr, json_pack("{s:i, s:f}", "vcpu", (int)v,
							     "cpu_seconds", secs[v]));
	return arr;
}

json_t *hpc_stats_json(const struct vm *vm)
{
	struct proc_stat st;
	if (proc_read_stat(vm->hpc.pid, &st) < 0)
		return NULL;
	long long rss = status_kb(vm->hpc.pid, "VmRSS"),
		  huge = status_kb(vm->hpc.pid, "HugetlbPages");
	json_t *o = json_pack("{s:f, s:o}", "cpu_seconds", proc_cpu_seconds(&st), "vcpus",
			      hpc_vcpus(vm));
	if (rss >= 0)
		json_object_set_new(o, "rss_bytes", json_integer(rss));
	if (huge >= 0)
		json_object_set_new(o, "hugepages",
				    json_pack("{s:i, s:I}", "page_kb", 2048, "pages",
					      (json_int_t)(huge / (2048 * 1024))));
	json_object_set_new(o, "exits", json_null()); /* hvmm reports them when it ends */
	return o;
}

json_t *commodity_stats_json(struct commodity_conn *virt, const struct vm *vm)
{
	uint64_t ns, kib;
	if (commodity_stats(virt, vm, &ns, &kib) < 0)
		return NULL;
	json_t *vcpus = json_array();
	uint64_t per[VM_VCPUS_MAX];
	int n = commodity_vcpu_times(virt, vm, per, VM_VCPUS_MAX);
	for (int i = 0; i < n; i++)
		json_array_append_new(vcpus, json_pack("{s:i, s:f}", "vcpu", i, "cpu_seconds",
						       (double)per[i] / 1e9));
	return json_pack("{s:f, s:o, s:I, s:n}", "cpu_seconds", (double)ns / 1e9, "vcpus", vcpus,
			 "memory_bytes", (json_int_t)kib * 1024, "exits");
}

json_t *vm_stats_json(struct agent *a, const struct vm *vm)
{
	if (vm->state != VM_RUNNING)
		return NULL;
	return stack_of(vm)->stats(a, vm);
}
