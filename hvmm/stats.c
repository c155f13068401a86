#include "stats.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cpulist.h"
#include "vm.h"

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *exit_kind_name(enum exit_kind k)
{
	static const char *const names[EXK_COUNT] = {
		"hypercall", "io_other", "mmio", "hlt", "intr", "shutdown", "internal", "other",
	};
	return k < EXK_COUNT ? names[k] : "?";
}

/* kB of resident memory: the whole process, and the part that is guest RAM. */
static void rss_kb(const struct vm *vm, long *total, long *guest)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int in_guest = 0;

	*total = 0;
	*guest = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		long kb;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			uintptr_t g = (uintptr_t)vm->mem.host;

			in_guest = g && lo < g + vm->mem.size && hi > g;
		} else if (sscanf(line, "Rss: %ld kB", &kb) == 1) {
			*total += kb;
			if (in_guest)
				*guest += kb;
		}
	}
	fclose(f);
}

static void sum(const struct vm *vm, struct vcpu_stats *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < vm->nvcpus; i++) {
		for (int k = 0; k < EXK_COUNT; k++)
			t->exits[k] += vm->vcpu[i].st.exits[k];
		t->ns_in_guest += vm->vcpu[i].st.ns_in_guest;
		t->ns_in_hvmm += vm->vcpu[i].st.ns_in_hvmm;
	}
}

static double ms_since_start(const struct vm *vm, uint64_t t)
{
	return t ? (double)(t - vm->times.ns_start) / 1e6 : 0.0;
}

static void print_json(FILE *f, const struct vm *vm, const struct vcpu_stats *t, long rss,
		       long guest_rss)
{
	fprintf(f, "{\"exit_code\":%d,\"platform\":\"%s\",\"vcpus\":%d,\"exits\":{", vm->exit_code,
		vm->plat ? vm->plat->name : "?", vm->nvcpus);
	for (int k = 0; k < EXK_COUNT; k++)
		fprintf(f, "%s\"%s\":%llu", k ? "," : "", exit_kind_name(k),
			(unsigned long long)t->exits[k]);
	fprintf(f, "},\"hypercalls_rejected\":%lu",
		(unsigned long)(vm->hc.rejected[0] + vm->hc.rejected[1] + vm->hc.rejected[2] +
				vm->hc.rejected[3] + vm->hc.rejected[4]));
	fprintf(f,
		",\"offload\":{\"mode\":\"%s\",\"ring_calls\":%lu,\"inline\":%lu,\"handed\":%lu,"
		"\"retried\":%lu,\"sleeps\":%lu,\"rejected\":%lu}",
		vm->offload_ring ? "ring" : "exit", (unsigned long)vm->ring.calls,
		(unsigned long)vm->ring.inline_calls, (unsigned long)vm->ring.handed,
		(unsigned long)vm->ring.retried, (unsigned long)vm->ring.sleeps,
		(unsigned long)(vm->ring.rejected[0] + vm->ring.rejected[1] + vm->ring.rejected[2] +
				vm->ring.rejected[3]));
	fprintf(f, ",\"guest_ms\":%.3f,\"hvmm_ms\":%.3f", t->ns_in_guest / 1e6,
		t->ns_in_hvmm / 1e6);
	fprintf(f,
		",\"memory\":{\"bytes\":%llu,\"backing\":\"%s\",\"numa_node\":%d,"
		"\"populate_ms\":%.3f}",
		(unsigned long long)vm->mem.size, gm_backing_name(vm->mem.backing),
		vm->mem.numa_node, vm->times.populate_ms);
	fprintf(f, ",\"rss_kb\":%ld,\"rss_outside_guest_kb\":%ld", rss, rss - guest_rss);
	fprintf(f, ",\"pinning\":[");
	for (int i = 0; i < vm->nvcpus; i++)
		fprintf(f, "%s{\"vcpu\":%d,\"cpu\":%d}", i ? "," : "", i, vm->vcpu[i].host_cpu);
	fprintf(f, "],\"housekeeping_cpus\":[");
	for (int i = 0; i < vm->nhk_cpus; i++)
		fprintf(f, "%s%d", i ? "," : "", vm->hk_cpus[i]);
	fprintf(f,
		"],\"times_ms\":{\"first_run\":%.3f,\"exit\":%.3f},"
		"\"mono_ns\":{\"start\":%llu,\"first_run\":%llu,\"exit\":%llu}}\n",
		ms_since_start(vm, vm->times.ns_first_run), ms_since_start(vm, vm->times.ns_exit),
		(unsigned long long)vm->times.ns_start, (unsigned long long)vm->times.ns_first_run,
		(unsigned long long)vm->times.ns_exit);
}

static void print_text(FILE *f, const struct vm *vm, const struct vcpu_stats *t, long rss,
		       long guest_rss)
{
	double total = (double)(t->ns_in_guest + t->ns_in_hvmm);
	char buf[256];

	fprintf(f, "hvmm stats:\n  platform        %s\n", vm->plat ? vm->plat->name : "?");
	fprintf(f, "  exits          ");
	for (int k = 0; k < EXK_COUNT; k++)
		if (t->exits[k])
			fprintf(f, " %s=%llu", exit_kind_name(k), (unsigned long long)t->exits[k]);
	fprintf(f, "\n  time            guest %.3f ms (%.2f%%), hvmm %.3f ms\n",
		t->ns_in_guest / 1e6, total > 0 ? 100.0 * t->ns_in_guest / total : 0.0,
		t->ns_in_hvmm / 1e6);
	if (vm->offload_ring)
		fprintf(f,
			"  offload         ring: %lu calls (%lu in the proxy, %lu on workers, %lu "
			"retried), proxy slept %lu times\n",
			(unsigned long)vm->ring.calls, (unsigned long)vm->ring.inline_calls,
			(unsigned long)vm->ring.handed, (unsigned long)vm->ring.retried,
			(unsigned long)vm->ring.sleeps);
	else
		fprintf(f, "  offload         exit\n");
	fprintf(f, "  memory          %llu MiB %s, numa node %d, populated in %.1f ms\n",
		(unsigned long long)(vm->mem.size >> 20), gm_backing_name(vm->mem.backing),
		vm->mem.numa_node, vm->times.populate_ms);
	fprintf(f, "  rss             %ld kB outside guest RAM (%ld kB total)\n", rss - guest_rss,
		rss);
	fprintf(f, "  pinning        ");
	for (int i = 0; i < vm->nvcpus; i++)
		fprintf(f, " vcpu%d->cpu%d", i, vm->vcpu[i].host_cpu);
	fprintf(f, "; housekeeping on %s\n",
		cpulist_format(vm->hk_cpus, (size_t)vm->nhk_cpus, buf, sizeof(buf)));
	fprintf(f, "  launch          first guest instruction at %.3f ms, exit at %.3f ms\n",
		ms_since_start(vm, vm->times.ns_first_run), ms_since_start(vm, vm->times.ns_exit));
}

void stats_print(FILE *f, const struct vm *vm, int json)
{
	struct vcpu_stats t;
	long rss, guest_rss;

	sum(vm, &t);
	rss_kb(vm, &rss, &guest_rss);
	if (json)
		print_json(f, vm, &t, rss, guest_rss);
	else
		print_text(f, vm, &t, rss, guest_rss);
	fflush(f);
}
