#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node_snapshot.h"
#include "proc_info.h"
#include "stack.h"

/* CPU seconds per CPU from /proc/stat (user nice system idle iowait irq softirq steal), idle
 * and iowait excluded. */
static double cpu_busy_seconds(const struct cpu_bits *cpus)
{
	FILE *f = fopen("/proc/stat", "re");
	if (!f)
		return 0;
	long hz = sysconf(_SC_CLK_TCK);
	char line[512];
	double total = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned cpu;
		unsigned long long u, n, s, idle, io, irq, soft, steal;
		if (sscanf(line, "cpu%u %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &u, &n, &s,
			   &idle, &io, &irq, &soft, &steal) == 9 &&
		    cpu_bits_has(cpus, cpu))
			total += (double)(u + n + s + irq + soft + steal) /
				 (double)(hz > 0 ? hz : 100);
	}
	fclose(f);
	return total;
}

static void header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void partition_metrics(const struct node_snapshot *n, FILE *f)
{
	const struct hpc_pool *hp = &n->hpc;
	const struct commodity_pool *cp = &n->commodity;
	const struct hpc_usage *hu = &n->hpc_used;
	const struct commodity_usage *cu = &n->commodity_used;
	header(f, "dsv_node_partitioned", "gauge", "1 when the node partition is applied");
	fprintf(f, "dsv_node_partitioned %d\n", n->partition ? 1 : 0);
	header(f, "dsv_partition_cpus", "gauge", "CPUs in each partition");
	fprintf(f, "dsv_partition_cpus{partition=\"hpc\"} %u\n", cpu_bits_count(&hp->cpus));
	fprintf(f, "dsv_partition_cpus{partition=\"commodity\"} %u\n", cpu_bits_count(&cp->cpus));
	if (n->partition)
		fprintf(f, "dsv_partition_cpus{partition=\"housekeeping\"} %u\n",
			cpu_bits_count(&n->partition->spec.housekeeping_cpus));
	header(f, "dsv_partition_cpu_seconds_total", "counter",
	       "Busy CPU time of the partition's CPUs (from /proc/stat)");
	fprintf(f, "dsv_partition_cpu_seconds_total{partition=\"hpc\"} %.2f\n",
		cpu_busy_seconds(&hp->cpus));
	fprintf(f, "dsv_partition_cpu_seconds_total{partition=\"commodity\"} %.2f\n",
		cpu_busy_seconds(&cp->cpus));
	header(f, "dsv_partition_cpus_used", "gauge",
	       "HPC: dedicated CPUs in use; commodity: vCPUs placed");
	fprintf(f, "dsv_partition_cpus_used{partition=\"hpc\"} %u\n",
		cpu_bits_count(&hu->used_cpus));
	fprintf(f, "dsv_partition_cpus_used{partition=\"commodity\"} %u\n", cu->used_vcpus);
	header(f, "dsv_partition_memory_bytes", "gauge", "Memory of each partition");
	fprintf(f, "dsv_partition_memory_bytes{partition=\"hpc\",kind=\"reserved\"} %llu\n",
		(unsigned long long)hp->mem_mib << 20);
	fprintf(f, "dsv_partition_memory_bytes{partition=\"hpc\",kind=\"used\"} %llu\n",
		(unsigned long long)hu->used_mem_mib << 20);
	fprintf(f, "dsv_partition_memory_bytes{partition=\"commodity\",kind=\"limit\"} %llu\n",
		(unsigned long long)cp->mem_mib << 20);
	fprintf(f, "dsv_partition_memory_bytes{partition=\"commodity\",kind=\"used\"} %llu\n",
		(unsigned long long)cu->used_mem_mib << 20);
}

static void vm_metrics(struct agent *a, const struct node_snapshot *n, FILE *f)
{
	unsigned count[2][4] = { { 0 } };
	for (const struct vm *vm = n->vms; vm; vm = vm->next)
		count[vm->spec.stack][vm->state]++;
	header(f, "dsv_vms", "gauge", "VMs by stack and state");
	for (int s = 0; s < 2; s++)
		for (int st = 0; st < 4; st++)
			fprintf(f, "dsv_vms{stack=\"%s\",state=\"%s\"} %u\n",
				vm_stack_name((enum vm_stack)s), vm_state_name((enum vm_state)st),
				count[s][st]);
	header(f, "dsv_vm_vcpus", "gauge", "vCPUs of each VM");
	for (const struct vm *vm = n->vms; vm; vm = vm->next)
		fprintf(f, "dsv_vm_vcpus{name=\"%s\",stack=\"%s\"} %u\n", vm->spec.name,
			vm_stack_name(vm->spec.stack), vm->spec.vcpus);
	header(f, "dsv_vm_memory_bytes", "gauge", "Guest memory of each VM");
	for (const struct vm *vm = n->vms; vm; vm = vm->next)
		fprintf(f, "dsv_vm_memory_bytes{name=\"%s\",stack=\"%s\"} %llu\n", vm->spec.name,
			vm_stack_name(vm->spec.stack), (unsigned long long)vm->spec.mem_mib << 20);
	header(f, "dsv_vm_cpu_seconds_total", "counter", "CPU time used by each running VM");
	for (const struct vm *vm = n->vms; vm; vm = vm->next) {
		if (vm->state != VM_RUNNING)
			continue;
		double secs = stack_of(vm)->cpu_seconds(a, vm);
		if (secs >= 0)
			fprintf(f, "dsv_vm_cpu_seconds_total{name=\"%s\",stack=\"%s\"} %.3f\n",
				vm->spec.name, vm_stack_name(vm->spec.stack), secs);
	}
}

char *metrics_render(struct agent *a)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	struct node_snapshot n;
	node_snapshot_take(a, &n);
	partition_metrics(&n, f);
	vm_metrics(a, &n, f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
