/*
 * The peers a workload runs on: native (pinned with sched_setaffinity), hvmm + lwk, and
 * QEMU microvm + lwk through the PVH entry. A peer that is missing or does not run a tiny
 * verified probe is skipped with a note, never silently.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "overhead.h"
#include "bench_proc.h"

const char *ovh_peer_name(enum ovh_peer p)
{
	static const char *const names[NPEERS] = { "native", "hvmm", "qemu" };
	return p < NPEERS ? names[p] : "?";
}

static int push(char **argv, size_t max, size_t *n, char *s)
{
	if (*n + 1 >= max)
		return -1;
	argv[(*n)++] = s;
	argv[*n] = NULL;
	return 0;
}

/* Copies s into the store and returns it (NULL when full). */
static char *keep(char *store, size_t len, size_t *used, const char *s)
{
	size_t l = strlen(s) + 1;
	if (*used + l > len)
		return NULL;
	char *p = store + *used;
	memcpy(p, s, l);
	*used += l;
	return p;
}

int ovh_peer_argv(struct ovh_ctx *c, enum ovh_peer p, const char *prog, const char *mem, int vcpus,
		  const char *cpus, const char *const *args, char **argv, size_t max, char *store,
		  size_t storelen)
{
	size_t n = 0, used = 0;
	char num[32];
	snprintf(num, sizeof num, "%d", vcpus);
#define PUSH(s)                                               \
	do {                                                  \
		char *k_ = keep(store, storelen, &used, (s)); \
		if (!k_ || push(argv, max, &n, k_))           \
			return -1;                            \
	} while (0)
	argv[0] = NULL;
	switch (p) {
	case PEER_NATIVE:
		PUSH(prog);
		for (int i = 0; args && args[i]; i++)
			PUSH(args[i]);
		return 0;
	case PEER_HVMM:
		PUSH(c->hvmm);
		PUSH("run");
		PUSH("--vcpus");
		PUSH(num);
		PUSH("--cpus");
		PUSH(cpus);
		PUSH("--mem");
		PUSH(mem);
		PUSH("--hugepages");
		PUSH(ovh_hugepages(c, mem));
		PUSH("--stats=json");
		PUSH("--kernel");
		PUSH(c->lwk);
		PUSH("--");
		PUSH(prog);
		for (int i = 0; args && args[i]; i++)
			PUSH(args[i]);
		return 0;
	case PEER_QEMU: {
		/* The lwk reads its program from the initrd and argv0 + arguments after "--". */
		char append[2048];
		const char *base = strrchr(prog, '/');
		/* The lwk opts in to PVM only when told; kvm_pvm loaded means this host is PVM. */
		bool pvm = access("/sys/module/kvm_pvm", F_OK) == 0;
		size_t al =
			(size_t)snprintf(append, sizeof append, "%s-- %.200s",
					 pvm ? "dsv.platform=pvm " : "", base ? base + 1 : prog);
		for (int i = 0; args && args[i] && al < sizeof append; i++)
			al += (size_t)snprintf(append + al, sizeof append - al, " %s", args[i]);
		if (al >= sizeof append)
			return -1;
		PUSH(c->qemu);
		PUSH("-M");
		PUSH("microvm");
		PUSH("-enable-kvm");
		PUSH("-cpu");
		PUSH("host,-arch-capabilities");
		PUSH("-smp");
		PUSH("1"); /* the lwk's PVH path boots one vCPU (lwk/pvh.c) */
		PUSH("-m");
		PUSH(mem);
		PUSH("-display");
		PUSH("none");
		PUSH("-no-reboot");
		PUSH("-nodefaults");
		PUSH("-serial");
		PUSH("stdio");
		PUSH("-debugcon");
		PUSH("file:/dev/stderr");
		PUSH("-kernel");
		PUSH(c->lwk);
		PUSH("-initrd");
		PUSH(prog);
		PUSH("-append");
		PUSH(append);
		PUSH("-device");
		PUSH("isa-debug-exit,iobase=0xf4,iosize=0x04");
		return 0;
	}
	default:
		return -1;
	}
#undef PUSH
}

int ovh_peer_status(enum ovh_peer p, int status)
{
	if (p != PEER_QEMU || status < 0 || status == 124) /* 124: our child could not pin */
		return status;
	/* isa-debug-exit: the guest's v becomes (v << 1) | 1; anything else is not the guest's. */
	return (status & 1) ? status >> 1 : 126;
}

static bool executable(const char *path)
{
	return path[0] && access(path, X_OK) == 0;
}

/* Runs cg --small on peer p as a probe; fills why on failure. */
static bool probe(struct ovh_ctx *c, enum ovh_peer p, char *why, size_t whylen)
{
	char prog[4300], *argv[64], store[8192];
	const char *args[] = { "--small", "--quiet", NULL };
	snprintf(prog, sizeof prog, "%s/cg", c->workloads);
	if (ovh_peer_argv(c, p, prog, "128M", c->ncpus, c->cpulist, args, argv, 64, store,
			  sizeof store))
		return false;
	struct bench_proc r;
	if (bench_run(argv, c->cpus, c->ncpus, 30, &r)) {
		snprintf(why, whylen, "could not start %s", argv[0]);
		return false;
	}
	struct bench_obj *o = malloc(sizeof *o);
	bool ok = o && ovh_peer_status(p, r.status) == 0 &&
		  bench_json_find(r.out, r.out_len, "workload", "cg", o) == 0 &&
		  bench_json_true(o, "ok");
	if (!ok) {
		/* The last line of stderr usually says why. */
		char last[200];
		snprintf(why, whylen, "probe 'cg --small' failed (status %d%s): %s", r.status,
			 r.timed_out ? ", timed out" : "",
			 bench_last_line(r.err, last, sizeof last));
	}
	free(o);
	bench_proc_free(&r);
	return ok;
}

/* Free 2 MiB hugetlb pages; -1 if unknown. Host-side only (the runner is a Linux program). */
static long free_hugepages(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long n = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

const char *ovh_hugepages(struct ovh_ctx *c, const char *mem)
{
	char *end;
	double v = strtod(mem, &end);
	double mib = v * (*end == 'G' || *end == 'g'   ? 1024
			  : *end == 'K' || *end == 'k' ? 1.0 / 1024
						       : 1);
	/* Read now, not at the start: other programs reserve and use them meanwhile. */
	long have = free_hugepages();
	if (!c->huge_force_auto && have >= 0 && (double)have * 2 >= mib)
		return "on";
	c->huge_fallback = true;
	return "auto";
}

void ovh_detect_peers(struct ovh_ctx *c)
{
	char why[512];
	c->free_huge = free_hugepages();

	c->peer_on[PEER_NATIVE] = true;
	for (int p = PEER_HVMM; p < NPEERS; p++) {
		if (!c->peer_on[p])
			continue; /* not asked for */
		const char *bin = p == PEER_HVMM ? c->hvmm : c->qemu;
		c->peer_on[p] = false;
		if (!executable(bin))
			snprintf(c->peer_note[p], sizeof c->peer_note[p],
				 "skipped: %.400s not found",
				 bin[0] ? bin : ovh_peer_name((enum ovh_peer)p));
		else if (!executable(c->lwk) && access(c->lwk, R_OK))
			snprintf(c->peer_note[p], sizeof c->peer_note[p],
				 "skipped: %.400s not built yet", c->lwk);
		else if (access("/dev/kvm", R_OK | W_OK))
			snprintf(c->peer_note[p], sizeof c->peer_note[p],
				 "skipped: /dev/kvm not accessible (%s)", strerror(errno));
		else if (!probe(c, (enum ovh_peer)p, why, sizeof why))
			snprintf(c->peer_note[p], sizeof c->peer_note[p], "skipped: %.500s", why);
		else
			c->peer_on[p] = true;
		if (!c->peer_on[p])
			ovh_progress(c, "%s: %s\n", ovh_peer_name((enum ovh_peer)p),
				     c->peer_note[p]);
	}
}

int ovh_one_cpu_argv(struct ovh_ctx *c, char *argv[OVH_ONE_CPU_ARGS], char cpus[16], int cpu,
		     const char *offload, const char *kernel)
{
	snprintf(cpus, 16, "%d", cpu);
	const char *a[OVH_ONE_CPU_ARGS] = { c->hvmm,
					    "run",
					    "--vcpus",
					    "1",
					    "--cpus",
					    cpus,
					    "--mem",
					    "64M",
					    "--hugepages",
					    ovh_hugepages(c, "64M"),
					    "--stats=json",
					    "--offload",
					    offload ? offload : "auto",
					    "--kernel",
					    kernel };
	for (int i = 0; i < OVH_ONE_CPU_ARGS; i++)
		argv[i] = (char *)a[i];
	return OVH_ONE_CPU_ARGS;
}
