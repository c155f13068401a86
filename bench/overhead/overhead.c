/*
 * bench/overhead: runs every workload natively and under each VM peer on the same CPUs,
 * interleaved (A B A B ...) so drift on a shared host hits every peer alike, then reports
 * medians, spread and VM/native ratios (report.c) together with hvmm's own figures.
 */
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cpulist.h"
#include "overhead.h"
#include "bench_proc.h"

#ifndef OVH_BUILD_ROOT
#define OVH_BUILD_ROOT "build"
#endif
#ifndef OVH_SOURCE_ROOT
#define OVH_SOURCE_ROOT "."
#endif

double ovh_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void ovh_progress(const struct ovh_ctx *c, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "[%6.1fs] ", ovh_now() - c->started);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void ovh_note(char *notes, size_t cap, const char *fmt, ...)
{
	size_t l = strlen(notes);
	if (l + 4 >= cap)
		return;
	if (l)
		notes[l++] = '\n';
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(notes + l, cap - l, fmt, ap);
	va_end(ap);
}

#define F(k, l, u, hb, t)      \
	{                      \
		k, l, u, hb, t \
	}
/* Sizes: full runs follow the workloads' defaults (stream: 5x the 32 MiB L3 per array). */
static struct ovh_workload table[] = {
	{ .id = "cg",
	  .bin = "cg",
	  .args = { { NULL }, { "--nx", "48", NULL } },
	  .mem = "512M",
	  .nfig = 1,
	  .fig = { F("mflops", "cg", "MFLOP/s", true, true) } },
	{ .id = "stream",
	  .bin = "stream",
	  .args = { { NULL }, { "--reps", "5", NULL } },
	  .mem = "1G",
	  .nfig = 4,
	  .fig = { F("triad_gbs", "stream triad", "GB/s", true, true),
		   F("copy_gbs", "stream copy", "GB/s", true, false),
		   F("scale_gbs", "stream scale", "GB/s", true, false),
		   F("add_gbs", "stream add", "GB/s", true, false) } },
	{ .id = "dgemm",
	  .bin = "dgemm",
	  .args = { { NULL }, { "--n", "1536", NULL } },
	  .mem = "512M",
	  .nfig = 1,
	  .fig = { F("gflops", "dgemm", "GFLOP/s", true, true) } },
	{ .id = "fwq",
	  .bin = "fwq",
	  .args = { { NULL }, { "--samples", "10000", NULL } },
	  .mem = "128M",
	  .nfig = 4,
	  .fig = { F("noise_pct", "fwq noise", "%", false, true),
		   F("max_detour_us", "fwq max detour", "us", false, true),
		   F("p999_us", "fwq p99.9 quantum", "us", false, false),
		   F("min_us", "fwq min quantum", "us", false, false) } },
	/* Not a target: the cost of a TLB miss, to tell the memory backing's share of a gap. */
	{ .id = "tlb",
	  .bin = "tlb",
	  .args = { { NULL }, { "--steps", "1000000", NULL } },
	  .mem = "768M",
	  .nfig = 1,
	  .fig = { F("ns_per_hop", "page-stride chase (512 MiB)", "ns/hop", false, false) } },
	{ .id = "hog-syscall",
	  .bin = "hog",
	  .args = { { "--mode", "syscall", "--seconds", "1", NULL },
		    { "--mode", "syscall", "--seconds", "0.3", NULL } },
	  .mem = "128M",
	  .nfig = 1,
	  .fig = { F("rate", "getppid storm", "calls/s", true, false) } },
	{ .id = "hog-fault",
	  .bin = "hog",
	  .args = { { "--mode", "fault", "--seconds", "1", NULL },
		    { "--mode", "fault", "--seconds", "0.3", NULL } },
	  .mem = "256M",
	  .nfig = 1,
	  .fig = { F("rate", "page churn", "pages/s", true, false) } },
};
#define NW ((int)(sizeof table / sizeof table[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"usage: overhead [options]\n"
		"Runs the HPC workloads natively and under hvmm (and QEMU+lwk where it boots) on\n"
		"the same CPUs, interleaved, and reports medians, spread and VM/native ratios,\n"
		"plus hvmm's own figures. Writes CSV and SVG into bench/results/ and the tables\n"
		"into docs/performance.md.\n\n"
		"  --quick            smaller sizes and 3 repetitions (under two minutes)\n"
		"  --reps N           repetitions per peer (default 5, --quick 3)\n"
		"  --cpus LIST        host CPUs to use, e.g. 0-1 (default: this process's "
		"affinity)\n"
		"  --only LIST        workloads, comma-separated "
		"(cg,stream,dgemm,fwq,tlb,hog-syscall,\n"
		"                     hog-fault); 'none' for hvmm's figures only\n"
		"  --peers LIST       native,hvmm,qemu (default all; native always runs)\n"
		"  --no-hvmm-figures  skip hvmm's own figures\n"
		"  --no-lwk-figures   skip the lwk's own figures (syscall, offloaded write, "
		"launch)\n"
		"                     (the platform floors, trap, syscall and exit cost of a bare\n"
		"                     vCPU, run whenever hvmm's or the lwk's figures do)\n"
		"  --results DIR      where CSV and SVG go (default <source>/bench/results)\n"
		"  --doc FILE         markdown file to render into (default docs/performance.md)\n"
		"  --tag NAME         replace the section marked <!-- overhead:NAME:begin --> ...\n"
		"                     instead of the untagged one\n"
		"  --no-doc           do not touch the markdown file\n"
		"  --no-plot          no gnuplot\n"
		"  --verbose          echo every command and the output of failed runs\n");
}

static bool in_list(const char *list, const char *name)
{
	size_t l = strlen(name);
	for (const char *p = list; p && *p;) {
		size_t k = strcspn(p, ",");
		if (k == l && !strncmp(p, name, l))
			return true;
		p += k + (p[k] == ',');
	}
	return false;
}

/* A CPU of the list that this process may not use now, or -1 (all allowed). */
static int missing_cpu(const struct ovh_ctx *c)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set))
		return -1;
	for (int i = 0; i < c->ncpus; i++)
		if (!CPU_ISSET(c->cpus[i], &set))
			return c->cpus[i];
	return -1;
}

/*
 * On a shared host something else may re-pin this process mid-run (dsvd's tests move every
 * task into a cpuset). Waits a while for the CPU to come back; notes what happened.
 */
void ovh_check_cpus(struct ovh_ctx *c, const char *where)
{
	static int times;
	int cpu = missing_cpu(c);
	if (cpu < 0)
		return;
	if (++times > 3) { /* noted three times already: just wait */
		double t0 = ovh_now(), limit = c->quick ? 30 : 180;
		while (missing_cpu(c) >= 0 && ovh_now() - t0 < limit)
			usleep(500 * 1000);
		return;
	}
	double t0 = ovh_now(), limit = c->quick ? 30 : 180;
	ovh_progress(c,
		     "CPU %d is not allowed to this process now (affinity changed from "
		     "outside); waiting up to %.0f s for it\n",
		     cpu, limit);
	while (missing_cpu(c) >= 0 && ovh_now() - t0 < limit)
		usleep(500 * 1000);
	bool back = missing_cpu(c) < 0;
	ovh_note(
		c->notes, sizeof c->notes,
		"Before %s, CPU %d was taken away from the runner "
		"from outside (another program changed its affinity or cpuset); %s after %.0f s.%s",
		where, cpu, back ? "it came back" : "it did not come back", ovh_now() - t0,
		back ? ""
		     : " Runs pinned to it fail: status 124 natively, "
		       "125 under hvmm.");
}

/* One run of workload w on peer p; records its figures for repetition rep. */
static void run_one(struct ovh_ctx *c, struct ovh_workload *w, enum ovh_peer p, int rep)
{
	char prog[4400], *argv[96], store[16384];
	snprintf(prog, sizeof prog, "%s/%s", c->workloads, w->bin);
	const char *const *args = w->args[c->quick ? 1 : 0];
	for (int k = 0; k < w->nfig; k++)
		w->v[p][k][rep] = NAN;
	if (ovh_peer_argv(c, p, prog, w->mem, c->ncpus, c->cpulist, args, argv, 96, store,
			  sizeof store))
		return;
	if (c->verbose) {
		char *line = bench_cmdline(argv);
		ovh_progress(c, "  $ %s\n", line ? line : "?");
		free(line);
	}
	char where[96];
	snprintf(where, sizeof where, "%s on %s, repetition %d", w->id, ovh_peer_name(p), rep + 1);
	ovh_check_cpus(c, where);
	struct bench_proc r;
	double timeout = c->quick ? 20 : 120; /* a run takes seconds; a hang costs this once */
	static struct bench_obj o, st;
	if (bench_run(argv, c->cpus, c->ncpus, timeout, &r)) {
		w->failed[p]++;
		return;
	}
	int status = ovh_peer_status(p, r.status);
	if (p == PEER_HVMM && status == 125 && strstr(r.err, "hugepages") && !c->huge_force_auto) {
		/* The free hugepages were taken between our look and hvmm's: say so, use auto. */
		ovh_progress(c, "%s: hugepages went away before hvmm got them; again with auto\n",
			     w->id);
		ovh_note(c->notes, sizeof c->notes,
			 "%s, repetition %d: `--hugepages on` failed "
			 "(the free pages were taken by another program meanwhile); rerun with "
			 "`auto`.",
			 w->id, rep + 1);
		bench_proc_free(&r);
		c->huge_force_auto = true;
		int again = ovh_peer_argv(c, p, prog, w->mem, c->ncpus, c->cpulist, args, argv, 96,
					  store, sizeof store);
		c->huge_force_auto = false;
		if (again || bench_run(argv, c->cpus, c->ncpus, timeout, &r)) {
			w->failed[p]++;
			return;
		}
		status = ovh_peer_status(p, r.status);
	}
	bool found = bench_json_find(r.out, r.out_len, "workload", w->bin, &o) == 0;
	bool ok = status == 0 && found && bench_json_true(&o, "ok");
	char shown[160] = "";
	if (ok) {
		w->ok[p]++;
		for (int k = 0; k < w->nfig; k++)
			w->v[p][k][rep] = bench_json_num(&o, w->fig[k].key);
		snprintf(shown, sizeof shown, "%.4g %s", w->v[p][0][rep], w->fig[0].unit);
	} else {
		w->failed[p]++;
		/* hvmm and the workloads say why on their last stderr line */
		char last[200];
		snprintf(w->fail_note[p], sizeof w->fail_note[p], "status %d%s%s: %s", status,
			 r.timed_out ? ", timed out" : "",
			 found ? ", wrong answer" : ", no result line",
			 bench_last_line(r.err, last, sizeof last));
		snprintf(shown, sizeof shown, "FAILED (%s)", w->fail_note[p]);
		w->dead[p] = r.timed_out; /* a hang would cost every repetition its timeout */
		if (c->verbose)
			fprintf(stderr, "----- stdout\n%s----- stderr\n%s-----\n", r.out, r.err);
	}
	if (p == PEER_HVMM && bench_json_find(r.err, r.err_len, "exit_code", NULL, &st) == 0) {
		double e = 0;
		for (int i = 0; i < st.n; i++)
			if (!strncmp(st.kv[i].key, "exits.", 6) && st.kv[i].type == BENCH_J_NUM)
				e += st.kv[i].num;
		w->exits[rep] = e;
		w->hvmm_ms[rep] = bench_json_num(&st, "hvmm_ms");
		const char *b = bench_json_str(&st, "memory.backing");
		if (b)
			snprintf(w->backing, sizeof w->backing, "%s", b);
	}
	ovh_progress(c, "%-12s %-6s rep %d/%d  %-28s (%.2f s)\n", w->id, ovh_peer_name(p), rep + 1,
		     c->reps, shown, r.wall_s);
	bench_proc_free(&r);
}

static void setup_paths(struct ovh_ctx *c)
{
	/* The workloads come from the runner's own build; hvmm and the lwk may come from another. */
	const char *b = getenv("DSV_BUILD_DIR");
	snprintf(c->build, sizeof c->build, "%s", b && *b ? b : OVH_BUILD_ROOT);
	snprintf(c->workloads, sizeof c->workloads, "%s/bench/workloads", OVH_BUILD_ROOT);
	snprintf(c->source, sizeof c->source, "%s", OVH_SOURCE_ROOT);
	snprintf(c->hvmm, sizeof c->hvmm, "%s/hvmm/hvmm", c->build);
	snprintf(c->lwk, sizeof c->lwk, "%s/lwk/lwk.elf", c->build);
	snprintf(c->payloads, sizeof c->payloads, "%s/tests/hvmm/payloads", c->build);
	snprintf(c->results_dir, sizeof c->results_dir, "%s/bench/results", c->source);
	snprintf(c->doc_path, sizeof c->doc_path, "%s/docs/performance.md", c->source);
	c->qemu[0] = 0;
	const char *path = getenv("PATH");
	for (const char *p = path ? path : "/usr/bin"; *p;) {
		size_t k = strcspn(p, ":");
		snprintf(c->qemu, sizeof c->qemu, "%.*s/qemu-system-x86_64", (int)k, p);
		if (access(c->qemu, X_OK) == 0)
			break;
		c->qemu[0] = 0;
		p += k + (p[k] == ':');
	}
}

int main(int argc, char **argv)
{
	static struct ovh_ctx c;
	static struct ovh_hvmm_figs figs;
	static struct ovh_lwk_figs lwk_figs;
	static struct ovh_floors floors;
	const char *only = NULL, *peers = "native,hvmm,qemu";
	bool hvmm_figs = true, lwk_figs_on = true;
	c.started = ovh_now();
	ovh_loadavg(c.load_start, sizeof c.load_start);
	c.plot = c.doc = true;
	c.reps = 0;
	setup_paths(&c);
	size_t cl = 0;
	for (int i = 0; i < argc; i++) /* the exact command, for the report */
		cl += (size_t)snprintf(c.command + cl,
				       cl < sizeof c.command ? sizeof c.command - cl : 0, "%s%s",
				       i ? " " : "", i ? argv[i] : "bench/overhead/overhead");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDV()                                                             \
	do {                                                                \
		if (!v) {                                                   \
			fprintf(stderr, "overhead: %s needs a value\n", a); \
			return 2;                                           \
		}                                                           \
		i++;                                                        \
	} while (0)
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--quick")) {
			c.quick = true;
		} else if (!strcmp(a, "--reps")) {
			NEEDV();
			c.reps = atoi(v);
			if (c.reps < 1 || c.reps > OVH_MAX_REPS) {
				fprintf(stderr, "overhead: --reps must be 1..%d\n", OVH_MAX_REPS);
				return 2;
			}
		} else if (!strcmp(a, "--cpus")) {
			NEEDV();
			char why[256];
			c.ncpus = cpulist_parse(v, c.cpus, OVH_MAX_CPUS, why, sizeof why);
			if (c.ncpus <= 0) {
				fprintf(stderr, "overhead: --cpus: %s\n", why);
				return 2;
			}
		} else if (!strcmp(a, "--only")) {
			NEEDV();
			only = v;
		} else if (!strcmp(a, "--peers")) {
			NEEDV();
			peers = v;
		} else if (!strcmp(a, "--results")) {
			NEEDV();
			snprintf(c.results_dir, sizeof c.results_dir, "%s", v);
		} else if (!strcmp(a, "--doc")) {
			NEEDV();
			snprintf(c.doc_path, sizeof c.doc_path, "%s", v);
		} else if (!strcmp(a, "--tag")) {
			NEEDV();
			if (strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(v) ||
			    strlen(v) >= sizeof c.tag) {
				fprintf(stderr,
					"overhead: --tag takes [a-z0-9-], up to %zu characters\n",
					sizeof c.tag - 1);
				return 2;
			}
			snprintf(c.tag, sizeof c.tag, "%s", v);
		} else if (!strcmp(a, "--no-doc")) {
			c.doc = false;
		} else if (!strcmp(a, "--no-plot")) {
			c.plot = false;
		} else if (!strcmp(a, "--no-hvmm-figures")) {
			hvmm_figs = false;
		} else if (!strcmp(a, "--no-lwk-figures")) {
			lwk_figs_on = false;
		} else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
			c.verbose = true;
		} else {
			fprintf(stderr, "overhead: unknown option '%s' (try --help)\n", a);
			return 2;
		}
#undef NEEDV
	}
	if (!c.reps)
		c.reps = c.quick ? 3 : 5;
	if (c.ncpus == 0) {
		cpu_set_t set;
		if (sched_getaffinity(0, sizeof set, &set) == 0)
			for (int i = 0; i < CPU_SETSIZE && c.ncpus < OVH_MAX_CPUS; i++)
				if (CPU_ISSET(i, &set))
					c.cpus[c.ncpus++] = i;
		if (c.ncpus == 0)
			c.cpus[c.ncpus++] = 0;
	}
	/* A CPU that is not there at all is a typo, not another tool's cpuset: no waiting. */
	long ncpu_conf = sysconf(_SC_NPROCESSORS_CONF);
	for (int i = 0; i < c.ncpus; i++)
		if (ncpu_conf > 0 && c.cpus[i] >= ncpu_conf) {
			fprintf(stderr,
				"overhead: --cpus: CPU %d does not exist (this host has %ld)\n",
				c.cpus[i], ncpu_conf);
			return 2;
		}
	cpulist_format(c.cpus, (size_t)c.ncpus, c.cpulist, sizeof c.cpulist);
	for (int p = 0; p < NPEERS; p++)
		c.peer_on[p] = in_list(peers, ovh_peer_name((enum ovh_peer)p));
	time_t t = time(NULL);
	strftime(c.stamp, sizeof c.stamp, "%Y%m%d-%H%M%S", gmtime(&t));

	char wl0[4500];
	snprintf(wl0, sizeof wl0, "%s/cg", c.workloads);
	if (access(wl0, X_OK)) {
		fprintf(stderr,
			"overhead: workloads not built (%s missing); run ninja first "
			"(musl-gcc is needed: apt-get install musl-tools)\n",
			wl0);
		return 2;
	}
	ovh_progress(&c, "overhead%s: CPUs %s, %d repetitions, build %s\n",
		     c.quick ? " --quick" : "", c.cpulist, c.reps, c.build);
	ovh_detect_peers(&c);
	bool floors_on = hvmm_figs || lwk_figs_on; /* the floors of the figures that are run */
	if (floors_on)
		ovh_floors_measure(&c, &floors);
	if (hvmm_figs)
		ovh_hvmm_figures(&c, &figs);
	if (lwk_figs_on)
		ovh_lwk_figures(&c, &lwk_figs);

	for (int i = 0; i < NW; i++) /* NaN: not run (a skipped peer is not a zero) */
		for (int p = 0; p < NPEERS; p++)
			for (int k = 0; k < OVH_MAX_FIGS; k++)
				for (int r = 0; r < OVH_MAX_REPS; r++)
					table[i].v[p][k][r] = NAN;
	for (int i = 0; i < NW; i++)
		for (int r = 0; r < OVH_MAX_REPS; r++)
			table[i].exits[r] = table[i].hvmm_ms[r] = NAN;
	struct ovh_workload *ws[NW];
	int nw = 0;
	for (int i = 0; i < NW; i++)
		if (!only || in_list(only, table[i].id))
			ws[nw++] = &table[i];
	/* A B A B: every repetition visits every peer before the next one starts. */
	for (int i = 0; i < nw; i++) {
		ws[i]->nrep = c.reps;
		for (int rep = 0; rep < c.reps; rep++)
			for (int p = 0; p < NPEERS; p++)
				if (c.peer_on[p])
					run_one(&c, ws[i], (enum ovh_peer)p, rep);
	}
	struct ovh_workload res[NW];
	for (int i = 0; i < nw; i++)
		res[i] = *ws[i];
	ovh_report(&c, res, nw, floors_on ? &floors : NULL, hvmm_figs ? &figs : NULL,
		   lwk_figs_on ? &lwk_figs : NULL);

	int bad = 0;
	for (int i = 0; i < nw; i++)
		for (int p = 0; p < NPEERS; p++)
			bad += res[i].failed[p];
	ovh_progress(&c, "done: %d failed run%s\n", bad, bad == 1 ? "" : "s");
	return bad ? 1 : 0;
}
