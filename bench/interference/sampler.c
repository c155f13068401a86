/*
 * What else ran on the HPC CPUs while the HPC application ran: a thread on the housekeeping
 * side scans /proc/PID/task/TID every 100 ms and charges each thread's run-time growth
 * (schedstat, ns) to the HPC CPUs when the thread was last seen on one of them. The
 * application's own threads (its process, and the runner's children) are left out. This
 * names the channel when a run is disturbed: a hog's vCPU, a kernel worker, another tool.
 * The attribution is approximate (a thread that moved between samples is charged where it
 * was last seen), and threads shorter than one period are missed. Time that belongs to no
 * thread comes from /proc/stat of the HPC CPUs: hard and soft interrupts, and steal (time
 * the outer hypervisor gave the CPU to someone else, when this host is itself a VM), in
 * jiffies, so below 10 ms it reads as 0.
 */
#include "interference.h"

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_TASKS 8192
#define MAX_EXCL 16

struct task {
	int tid, tgid;
	bool seen;
	unsigned long long last_ns, hpc_ns;
	char comm[24];
};

/* irq, softirq, steal jiffies of the HPC CPUs from /proc/stat */
static void cpu_stat(unsigned long long out[3])
{
	out[0] = out[1] = out[2] = 0;
	FILE *f = fopen("/proc/stat", "re");
	char line[512];
	while (f && fgets(line, sizeof line, f)) {
		int cpu;
		unsigned long long v[8];
		if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0],
			   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 9)
			continue;
		if (cpu < 0 || cpu >= IX_MAX_CPUS || !ix_sampler_is_hpc(cpu))
			continue;
		out[0] += v[5];
		out[1] += v[6];
		out[2] += v[7];
	}
	if (f)
		fclose(f);
}

static struct {
	pthread_t th;
	atomic_bool stop, running;
	bool hpc[IX_MAX_CPUS];
	atomic_int excl[MAX_EXCL];
	atomic_int hog[IX_MAX_HOGS];
	int self;
	unsigned long long stat0[3];
	struct ix_irqs irq0, irq1;
	struct task t[MAX_TASKS];
	int n;
} S;

bool ix_sampler_is_hpc(int cpu)
{
	return S.hpc[cpu];
}

static bool read_line(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	bool ok = fgets(buf, (int)cap, f) != NULL;
	fclose(f);
	return ok;
}

static bool excluded(int tgid)
{
	if (tgid == S.self)
		return true;
	for (int i = 0; i < MAX_EXCL; i++)
		if (atomic_load(&S.excl[i]) == tgid)
			return true;
	/* the runner's own children: the native workload (and gnuplot, never concurrent) */
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", tgid);
	if (!read_line(path, buf, sizeof buf))
		return false;
	char *p = strrchr(buf, ')');
	int ppid = 0;
	return p && sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == S.self;
}

static struct task *find(int tid)
{
	for (int i = 0; i < S.n; i++)
		if (S.t[i].tid == tid)
			return &S.t[i];
	if (S.n == MAX_TASKS)
		return NULL;
	struct task *t = &S.t[S.n++];
	memset(t, 0, sizeof *t);
	t->tid = tid;
	t->last_ns = ~0ull;
	return t;
}

static void sample_task(int tgid, int tid)
{
	char path[96], stat[1024], sched[128];
	snprintf(path, sizeof path, "/proc/%d/task/%d/stat", tgid, tid);
	if (!read_line(path, stat, sizeof stat))
		return;
	snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", tgid, tid);
	unsigned long long ns;
	if (!read_line(path, sched, sizeof sched) || sscanf(sched, "%llu", &ns) != 1)
		return;
	char *open = strchr(stat, '('), *close = strrchr(stat, ')');
	if (!open || !close)
		return;
	/* after "comm)": state is field 3; processor is field 39 */
	int field = 3, cpu = -1;
	for (char *p = close + 2, *save = NULL, *tok = strtok_r(p, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save), field++)
		if (field == 39) {
			cpu = atoi(tok);
			break;
		}
	struct task *t = find(tid);
	if (!t)
		return;
	t->seen = true;
	t->tgid = tgid;
	size_t len = (size_t)(close - open - 1);
	if (len >= sizeof t->comm)
		len = sizeof t->comm - 1;
	memcpy(t->comm, open + 1, len);
	t->comm[len] = 0;
	if (t->last_ns != ~0ull && ns > t->last_ns && cpu >= 0 && cpu < IX_MAX_CPUS && S.hpc[cpu] &&
	    !excluded(tgid))
		t->hpc_ns += ns - t->last_ns;
	t->last_ns = ns;
}

static void scan(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		int tgid = atoi(de->d_name);
		if (tgid <= 0)
			continue;
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/task", tgid);
		DIR *td = opendir(path);
		struct dirent *te;
		while (td && (te = readdir(td))) {
			int tid = atoi(te->d_name);
			if (tid > 0)
				sample_task(tgid, tid);
		}
		if (td)
			closedir(td);
	}
	if (d)
		closedir(d);
}

static void *loop(void *arg)
{
	(void)arg;
	while (!atomic_load(&S.stop)) {
		scan();
		struct timespec ts = { 0, 100000000 };
		nanosleep(&ts, NULL);
	}
	scan();
	return NULL;
}

int ix_sampler_start(const struct ix_cfg *c)
{
	memset(S.hpc, 0, sizeof S.hpc);
	for (int i = 0; i < c->nhpc; i++)
		S.hpc[c->hpc[i]] = true;
	for (int i = 0; i < MAX_EXCL; i++)
		atomic_store(&S.excl[i], 0);
	for (int i = 0; i < IX_MAX_HOGS; i++)
		atomic_store(&S.hog[i], 0);
	S.self = (int)getpid();
	S.n = 0;
	atomic_store(&S.stop, false);
	scan(); /* the baseline */
	cpu_stat(S.stat0);
	ix_irq_snapshot(&S.irq0);
	if (pthread_create(&S.th, NULL, loop, NULL))
		return -1;
	atomic_store(&S.running, true);
	return 0;
}

void ix_sampler_exclude(int tgid)
{
	for (int i = 0; i < MAX_EXCL; i++) {
		int zero = 0;
		if (atomic_compare_exchange_strong(&S.excl[i], &zero, tgid))
			return;
	}
}

void ix_sampler_hog(int tgid)
{
	for (int i = 0; i < IX_MAX_HOGS; i++) {
		int zero = 0;
		if (atomic_compare_exchange_strong(&S.hog[i], &zero, tgid))
			return;
	}
}

static bool is_hog(int tgid)
{
	for (int i = 0; i < IX_MAX_HOGS; i++)
		if (atomic_load(&S.hog[i]) == tgid)
			return true;
	return false;
}

static int by_ns(const void *a, const void *b)
{
	const struct task *x = a, *y = b;
	return (x->hpc_ns < y->hpc_ns) - (x->hpc_ns > y->hpc_ns);
}

void ix_sampler_stop(struct ix_sample *out)
{
	out->irq_ms[0] = out->irq_ms[1] = out->irq_ms[2] = NAN;
	out->hog_ms = out->other_ms = out->irq_count = NAN;
	out->other[0] = out->irqs[0] = 0;
	if (!atomic_load(&S.running))
		return;
	atomic_store(&S.stop, true);
	pthread_join(S.th, NULL);
	atomic_store(&S.running, false);
	unsigned long long st[3];
	cpu_stat(st);
	double tick_ms = 1000.0 / (double)sysconf(_SC_CLK_TCK);
	for (int i = 0; i < 3; i++)
		out->irq_ms[i] = (double)(st[i] - S.stat0[i]) * tick_ms;
	if (S.irq0.n && ix_irq_snapshot(&S.irq1) == 0)
		out->irq_count = ix_irq_delta(&S.irq0, &S.irq1, out->irqs, sizeof out->irqs);
	/* the application's own threads were only known once it started: drop them now */
	unsigned long long total = 0, hogs = 0;
	for (int i = 0; i < S.n; i++) {
		bool drop = false;
		for (int k = 0; k < MAX_EXCL; k++)
			if (atomic_load(&S.excl[k]) == S.t[i].tgid)
				drop = true;
		if (drop)
			S.t[i].hpc_ns = 0;
		if (is_hog(S.t[i].tgid)) {
			hogs += S.t[i].hpc_ns;
			S.t[i].hpc_ns = 0; /* the others are everything but the hogs */
		}
		total += S.t[i].hpc_ns;
	}
	out->hog_ms = (double)hogs * 1e-6;
	qsort(S.t, (size_t)S.n, sizeof S.t[0], by_ns);
	char *top = out->other;
	size_t cap = sizeof out->other;
	for (int i = 0; i < S.n && i < 3 && S.t[i].hpc_ns >= 100000; i++) {
		size_t l = strlen(top);
		snprintf(top + l, cap - l, "%s%s[%d] %.1f ms", i ? " " : "", S.t[i].comm,
			 S.t[i].tgid, (double)S.t[i].hpc_ns * 1e-6);
	}
	out->other_ms = (double)total * 1e-6;
}
