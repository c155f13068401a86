/*
 * bench/interference: the paper's interference experiment; `dsv bench
 * interference` runs it. See docs/interference.md.
 */
#include "interference.h"
#include "cpulist.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef IX_BUILD_ROOT
#define IX_BUILD_ROOT "build"
#endif
#ifndef IX_SOURCE_ROOT
#define IX_SOURCE_ROOT "."
#endif

static void usage(FILE *f)
{
	fprintf(f,
"usage: interference [options]\n"
"Runs an HPC application beside busy commodity VMs in five scenarios and reports its\n"
"slowdown against running alone (docs/interference.md).\n"
"\n"
"scenarios: native-alone, hpc-alone, single-stack, single-stack-pinned, dual-stack\n"
"\n"
"options:\n"
"  --quick                 3 repetitions, smaller sizes (< 5 minutes on a 2-CPU node)\n"
"  --reps R                repetitions per scenario, interleaved (default 5, --quick 3)\n"
"  --hogs K                commodity VMs (1 vCPU each) running hog (default: 2 per\n"
"                          commodity CPU, so the commodity side is overcommitted 2:1)\n"
"  --hog-mode MODE         cpu | membw | syscall | pagefault (default cpu)\n"
"  --hog-quota PCT         dual-stack only: dsvd caps each hog vCPU at PCT %% of a CPU\n"
"                          (cpu_quota_pct; default: no cap)\n"
"  --workload W            cg | fwq | stream | dgemm (default cg)\n"
"  --size S                small, or the workload's size: cg --nx, stream/dgemm --n,\n"
"                          fwq --samples (default: the workload's, smaller with --quick)\n"
"  --scenarios LIST        comma-separated scenario names, or all (default all)\n"
"  --out DIR               results directory (default bench/results/interference-STAMP)\n"
"  --hpc-cpus LIST         HPC CPUs (default: every online CPU but the first)\n"
"  --housekeeping-cpus L   housekeeping CPUs (default: the first online CPU)\n"
"  --commodity-cpus LIST   commodity CPUs (default: the housekeeping CPUs)\n"
"  --socket PATH           use a running dsvd instead of starting one (a partition it\n"
"                          already has is used and left applied)\n"
"  --no-fwq                no fwq probe after each run of the application\n"
"  --timeout S             limit per HPC run (default 300)\n"
"  --wait S                how long to wait for a node partitioned by another tool\n"
"                          (default 300)\n"
"  --help                  this text\n"
"\n"
"Needs root, /dev/kvm, libvirtd (scripts/start-services.sh) and the build tree (hvmm,\n"
"lwk, dsvd, workloads). Every VM it makes is deleted and the partition it applies is\n"
"released on exit, on error and on SIGINT/SIGTERM.\n"
"exit status: 0 all runs verified; 1 some runs failed (see the report); 2 bad usage;\n"
"3 could not set up (dsvd, libvirt, calibration); 130 interrupted.\n");
}

/* A CPU-list option ("1-3,6"), or -1 after saying what is wrong with it. */
static int cpu_option(const char *opt, const char *s, int *out, int max)
{
	char err[256];
	int n = cpulist_parse(s, out, (size_t)max, err, sizeof err);
	if (n < 0)
		fprintf(stderr, "interference: %s: %s\n", opt, err);
	return n;
}

static int online_cpus(int *out, int max)
{
	FILE *f = fopen("/sys/devices/system/cpu/online", "re");
	char buf[1024] = "";
	if (f) {
		if (!fgets(buf, sizeof buf, f))
			buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
	char why[128];
	static const struct cpulist_rules sysfs = { CPULIST_MAX_CPU, false, false, true };
	int n = buf[0] ? cpulist_scan(buf, &sysfs, out, (size_t)max, why, sizeof why) : -1;
	if (n <= 0) {
		n = (int)sysconf(_SC_NPROCESSORS_ONLN);
		for (int i = 0; i < n && i < max; i++)
			out[i] = i;
	}
	return n;
}

static bool is_in(int c, const int *v, int n)
{
	for (int i = 0; i < n; i++)
		if (v[i] == c)
			return true;
	return false;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void rm_tmp(void *arg)
{
	nftw(arg, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void virt_close_cb(void *arg)
{
	(void)arg;
	ix_virt_close();
}

static int setup_paths(struct ix_paths *p)
{
	const char *b = getenv("DSV_BUILD_DIR");
	snprintf(p->build, sizeof p->build, "%s", b && *b ? b : IX_BUILD_ROOT);
	snprintf(p->source, sizeof p->source, "%s", IX_SOURCE_ROOT);
	snprintf(p->workloads, sizeof p->workloads, "%s/bench/workloads", p->build);
	snprintf(p->hvmm, sizeof p->hvmm, "%s/hvmm/hvmm", p->build);
	snprintf(p->lwk, sizeof p->lwk, "%s/lwk/lwk.elf", p->build);
	snprintf(p->dsvd, sizeof p->dsvd, "%s/dsvd/dsvd", p->build);
	const char *need[] = { p->hvmm, p->lwk, p->dsvd };
	for (int i = 0; i < 3; i++)
		if (access(need[i], R_OK)) {
			fprintf(stderr, "interference: %s is missing: build the tree first\n",
				need[i]);
			return -1;
		}
	return 0;
}

/* An integer option in lo..hi, or -1 after saying so. */
static int int_option(const char *opt, const char *v, int lo, int hi, int *out)
{
	char *e;
	long n = strtol(v, &e, 10);
	if (e == v || *e || n < lo || n > hi) {
		fprintf(stderr, "interference: %s must be %d..%d\n", opt, lo, hi);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static int parse_args(int argc, char **argv, struct ix_cfg *c)
{
	enum { O_REPS = 256, O_HOGS, O_MODE, O_WL, O_SIZE, O_SCN, O_OUT, O_HPC, O_HK, O_COMM,
	       O_SOCK, O_NOFWQ, O_TIMEOUT, O_WAIT, O_QUICK, O_HELP, O_QUOTA };
	static const struct option opts[] = {
		{ "quick", no_argument, 0, O_QUICK }, { "reps", required_argument, 0, O_REPS },
		{ "hogs", required_argument, 0, O_HOGS },
		{ "hog-mode", required_argument, 0, O_MODE },
		{ "hog-quota", required_argument, 0, O_QUOTA },
		{ "workload", required_argument, 0, O_WL }, { "size", required_argument, 0, O_SIZE },
		{ "scenarios", required_argument, 0, O_SCN }, { "out", required_argument, 0, O_OUT },
		{ "hpc-cpus", required_argument, 0, O_HPC },
		{ "housekeeping-cpus", required_argument, 0, O_HK },
		{ "commodity-cpus", required_argument, 0, O_COMM },
		{ "socket", required_argument, 0, O_SOCK }, { "no-fwq", no_argument, 0, O_NOFWQ },
		{ "timeout", required_argument, 0, O_TIMEOUT },
		{ "wait", required_argument, 0, O_WAIT }, { "help", no_argument, 0, O_HELP },
		{ 0, 0, 0, 0 } };
	const char *hpc = NULL, *hk = NULL, *comm = NULL, *scn = "all";
	c->reps = -1;
	c->hogs = -1;
	c->hog_mode = "cpu";
	c->workload = "cg";
	c->fwq_probe = true;
	c->timeout_s = 300;
	c->wait_s = 300;
	int o;
	char *e;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case O_QUICK: c->quick = true; break;
		case O_REPS:
			if (int_option("--reps", optarg, 1, IX_MAX_REPS, &c->reps) < 0)
				return -1;
			break;
		case O_HOGS:
			if (int_option("--hogs", optarg, 0, IX_MAX_HOGS, &c->hogs) < 0)
				return -1;
			break;
		case O_MODE: c->hog_mode = optarg; break;
		case O_QUOTA:
			if (int_option("--hog-quota", optarg, 1, 100, &c->hog_quota_pct) < 0)
				return -1;
			break;
		case O_WL: c->workload = optarg; break;
		case O_SIZE: snprintf(c->size, sizeof c->size, "%s", optarg); break;
		case O_SCN: scn = optarg; break;
		case O_OUT: snprintf(c->out_dir, sizeof c->out_dir, "%s", optarg); break;
		case O_HPC: hpc = optarg; break;
		case O_HK: hk = optarg; break;
		case O_COMM: comm = optarg; break;
		case O_SOCK: c->socket = optarg; break;
		case O_NOFWQ: c->fwq_probe = false; break;
		case O_TIMEOUT:
			c->timeout_s = strtod(optarg, &e);
			if (*e || !(c->timeout_s > 0)) {
				fprintf(stderr, "interference: --timeout must be a positive number\n");
				return -1;
			}
			break;
		case O_WAIT:
			c->wait_s = strtod(optarg, &e);
			if (*e || !(c->wait_s >= 0)) {
				fprintf(stderr, "interference: --wait must be 0 or more seconds\n");
				return -1;
			}
			break;
		case O_HELP: case 'h': usage(stdout); exit(0);
		default: return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "interference: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	const char *modes[][2] = { { "cpu", "spin" }, { "membw", "mem" }, { "syscall", "syscall" },
				   { "pagefault", "fault" } };
	for (int i = 0; i < 4; i++)
		if (!strcmp(c->hog_mode, modes[i][0]))
			c->hog_arg = modes[i][1];
	if (!c->hog_arg) {
		fprintf(stderr, "interference: --hog-mode must be cpu, membw, syscall or pagefault\n");
		return -1;
	}
	if (strcmp(c->workload, "cg") && strcmp(c->workload, "fwq") &&
	    strcmp(c->workload, "stream") && strcmp(c->workload, "dgemm")) {
		fprintf(stderr, "interference: --workload must be cg, fwq, stream or dgemm\n");
		return -1;
	}
	if (c->size[0] && strcmp(c->size, "small")) {
		strtod(c->size, &e);
		if (*e || atof(c->size) <= 0) {
			fprintf(stderr, "interference: --size must be small or a positive number\n");
			return -1;
		}
	}
	if (!strcmp(scn, "all")) {
		for (int s = 0; s < NSCN; s++)
			c->scn_on[s] = true;
	} else {
		char copy[512], *save = NULL;
		snprintf(copy, sizeof copy, "%s", scn);
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			int s;
			for (s = 0; s < NSCN && strcmp(t, ix_scn_name(s)); s++)
				;
			if (s == NSCN) {
				fprintf(stderr, "interference: unknown scenario '%s'\n", t);
				return -1;
			}
			c->scn_on[s] = true;
		}
	}
	/* CPUs */
	c->nall = online_cpus(c->all, IX_MAX_CPUS);
	if (c->nall < 2) {
		fprintf(stderr, "interference: needs at least 2 online CPUs\n");
		return -1;
	}
	int hkv[IX_MAX_CPUS], nhk;
	nhk = hk ? cpu_option("--housekeeping-cpus", hk, hkv, IX_MAX_CPUS) : (hkv[0] = c->all[0], 1);
	if (hpc) {
		c->nhpc = cpu_option("--hpc-cpus", hpc, c->hpc, IX_MAX_CPUS);
	} else {
		c->nhpc = 0;
		for (int i = 0; i < c->nall; i++)
			if (nhk > 0 && !is_in(c->all[i], hkv, nhk))
				c->hpc[c->nhpc++] = c->all[i];
	}
	c->ncomm = comm ? cpu_option("--commodity-cpus", comm, c->comm, IX_MAX_CPUS) : nhk;
	if (!comm && nhk > 0)
		memcpy(c->comm, hkv, sizeof(int) * (size_t)nhk);
	if (c->nhpc < 0 || nhk < 0 || c->ncomm < 0)
		return -1; /* cpu_option said why */
	if (c->nhpc == 0 || nhk == 0 || c->ncomm == 0) {
		fprintf(stderr, "interference: the split leaves no %s CPU\n",
			!c->nhpc ? "HPC" : !nhk ? "housekeeping" : "commodity");
		return -1;
	}
	for (int i = 0; i < c->nhpc; i++)
		if (!is_in(c->hpc[i], c->all, c->nall) || is_in(c->hpc[i], hkv, nhk) ||
		    is_in(c->hpc[i], c->comm, c->ncomm)) {
			fprintf(stderr, "interference: HPC CPU %d is offline or also housekeeping/"
				"commodity\n", c->hpc[i]);
			return -1;
		}
	cpulist_format(c->hpc, (size_t)c->nhpc, c->hpc_list, sizeof c->hpc_list);
	cpulist_format(hkv, (size_t)nhk, c->hk_list, sizeof c->hk_list);
	cpulist_format(c->comm, (size_t)c->ncomm, c->comm_list, sizeof c->comm_list);
	if (c->reps < 0)
		c->reps = c->quick ? 3 : 5;
	if (c->hogs < 0)
		c->hogs = 2 * c->ncomm;
	if (c->hogs > IX_MAX_HOGS)
		c->hogs = IX_MAX_HOGS;
	c->app_mem_mib = ix_mem_for(c->workload,
				    c->size[0] ? c->size : ix_default_size(c->workload, c->quick));
	c->fwq_mem_mib = ix_mem_for("fwq", "");
	c->hog_mem_mib = 256;
	/* a margin: the hugepage pool is global, and other processes on the host (any hvmm
	 * with --hugepages auto) may take pages of the reservation */
	c->part_mem_mib = (c->app_mem_mib > c->fwq_mem_mib ? c->app_mem_mib : c->fwq_mem_mib) + 64;
	return 0;
}

int main(int argc, char **argv)
{
	static struct ix_cfg cfg;
	static struct ix_paths paths;
	static struct ix_ctx x;
	static struct ix_sample res[NSCN][IX_MAX_REPS];
	if (argc > 1 && !strcmp(argv[1], "--in-cgroup"))
		return ix_exec_in_cgroup(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(argc, argv, &cfg) < 0) {
		fprintf(stderr, "usage: interference [options]; see interference --help\n");
		return 2;
	}
	if (setup_paths(&paths) < 0)
		return 3;
	x.cfg = &cfg;
	x.paths = &paths;
	x.started = ix_now();
	x.single_uses_hvmm = cfg.nhpc > 1;
	snprintf(cfg.run_id, sizeof cfg.run_id, "ix%d", (int)getpid());
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(cfg.stamp, sizeof cfg.stamp, "%Y%m%d-%H%M%S", &tm);
	strftime(cfg.date, sizeof cfg.date, "%Y-%m-%d %H:%M UTC", &tm);
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(cfg.command);
		snprintf(cfg.command + n, sizeof cfg.command - n, "%s%s", i ? " " : "",
			 i ? argv[i] : "bench/interference/interference");
	}
	if (!cfg.out_dir[0])
		snprintf(cfg.out_dir, sizeof cfg.out_dir, "%s/bench/results/interference-%s",
			 paths.source, cfg.stamp);

	ix_signals_install();
	snprintf(x.tmp, sizeof x.tmp, "/tmp/dsv-%s.XXXXXX", cfg.run_id);
	if (!mkdtemp(x.tmp)) {
		perror("interference: mkdtemp");
		return 3;
	}
	ix_cleanup_push(rm_tmp, x.tmp, "remove the temporary directory");
	char err[2048] = "";
	bool need_dsvd = cfg.scn_on[SCN_NATIVE] || cfg.scn_on[SCN_HPC_ALONE] || cfg.scn_on[SCN_DUAL];
	bool need_hogs = cfg.hogs > 0 && (cfg.scn_on[SCN_SINGLE] || cfg.scn_on[SCN_SINGLE_PINNED] ||
					  cfg.scn_on[SCN_DUAL]);
	bool need_virt = need_hogs || (!x.single_uses_hvmm && (cfg.scn_on[SCN_SINGLE] ||
							       cfg.scn_on[SCN_SINGLE_PINNED]));
	ix_progress("interference: run id %s; %s beside %d commodity VM(s) running hog --mode %s; "
		    "%d repetition(s); HPC CPUs %s, housekeeping %s, commodity %s\n", cfg.run_id,
		    cfg.workload, cfg.hogs, cfg.hog_arg, cfg.reps, cfg.hpc_list, cfg.hk_list,
		    cfg.comm_list);
	if (x.single_uses_hvmm)
		ix_note(&x, "The lwk boots one vCPU through PVH, and the HPC application uses %d "
			"threads here, so the single-stack HPC VM is hvmm without a partition (its "
			"vCPUs pinned to the HPC CPUs: hvmm always pins), as docs/interference.md explains.",
			cfg.nhpc);
	int rc = 0;
	if (need_virt) {
		ix_cleanup_push(virt_close_cb, NULL, "close the libvirt connection");
		if (ix_virt_open(err, sizeof err) < 0)
			goto setup_failed;
	}
	if (need_dsvd && ix_dsvd_start(&x.dsvd, &paths, x.tmp, cfg.socket, err, sizeof err) < 0)
		goto setup_failed;
	if (need_dsvd)
		ix_progress("dsvd: %s%s\n", x.dsvd.sock, x.dsvd.pid ? " (started by the runner)" : "");
	if (need_hogs) {
		if (ix_node_mode(&x, false, err, sizeof err) < 0)
			goto setup_failed;
		if (ix_calibrate_hogs(&x, err, sizeof err) < 0)
			goto setup_failed;
	}

	/* the canonical order keeps the three partitioned scenarios together; every other
	 * repetition runs it backwards (A B C D E, E D C B A, ...), so the partition is applied
	 * once per two repetitions and drift hits every scenario alike */
	const enum ix_scn order[NSCN] = { SCN_SINGLE, SCN_SINGLE_PINNED, SCN_NATIVE, SCN_HPC_ALONE,
					  SCN_DUAL };
	int nscn = 0;
	for (int s = 0; s < NSCN; s++)
		nscn += cfg.scn_on[s];
	x.total_runs = nscn * cfg.reps;
	for (int rep = 0; rep < cfg.reps && !ix_stop; rep++) {
		for (int k = 0; k < NSCN && !ix_stop; k++) {
			enum ix_scn sc = order[rep % 2 ? NSCN - 1 - k : k];
			if (!cfg.scn_on[sc])
				continue;
			struct ix_sample *s = &res[sc][rep];
			bool part = sc == SCN_NATIVE || sc == SCN_HPC_ALONE || sc == SCN_DUAL;
			double t0 = ix_now();
			/* a failed run is tried again (3 attempts in all): on a shared machine
			 * another tool may partition the node under the runner, which makes VM
			 * starts fail (seen while developing this); what failed had not run */
			for (int attempt = 0; attempt < 3 && !ix_stop; attempt++) {
				char first[256];
				snprintf(first, sizeof first, "%s", attempt ? s->note : "");
				if (ix_node_mode(&x, part, err, sizeof err) < 0) {
					memset(s, 0, sizeof *s);
					snprintf(s->note, sizeof s->note, "%s", err);
				} else if (ix_run_scenario(&x, sc, rep, s) < 0) {
					break;
				}
				if (s->ok && attempt) {
					snprintf(s->note, sizeof s->note, "attempt %d; the one before "
						 "failed: %s", attempt + 1, first);
					ix_note(&x, "%s rep %d needed %d attempts (the last failure: %s)",
						ix_scn_name(sc), rep + 1, attempt + 1, first);
				}
				if (s->ok)
					break;
				if (attempt < 2)
					ix_progress("         %s failed (%s); trying again\n",
						    ix_scn_name(sc), s->note);
			}
			if (ix_stop)
				break;
			x.done_runs++;
			double el = ix_now() - x.started;
			double left = el / x.done_runs * (x.total_runs - x.done_runs);
			if (s->ok)
				ix_progress("[%4.0fs] rep %d/%d %-20s %s %.3f s", el, rep + 1, cfg.reps,
					    ix_scn_name(sc), cfg.workload, s->seconds);
			else
				ix_progress("[%4.0fs] rep %d/%d %-20s FAILED: %s", el, rep + 1,
					    cfg.reps, ix_scn_name(sc), s->note);
			if (s->ok && s->fwq_ok)
				ix_progress(", fwq noise %.2f%%, max detour %.0f us", s->noise_pct,
					    s->detour_us);
			if (s->ok && s->hog_ms > 0)
				ix_progress(", hogs on the HPC CPUs %.1f ms", s->hog_ms);
			if (s->ok && s->other_ms >= 0)
				ix_progress(", others %.1f ms%s%s%s", s->other_ms,
					    s->other[0] ? " (" : "", s->other,
					    s->other[0] ? ")" : "");
			ix_progress("  (%.0f s; %d/%d done, ~%.0f s left)\n", ix_now() - t0,
				    x.done_runs, x.total_runs, left);
		}
	}
	if (!ix_stop && x.dsvd.partitioned) {
		if (ix_dsvd_release(&x.dsvd, err, sizeof err) < 0)
			ix_progress("interference: could not release the partition: %s\n", err);
		else
			ix_progress("released the node partition\n");
	}
	if (ix_stop) {
		ix_progress("interference: interrupted (signal %d)\n", (int)ix_stop);
		ix_cleanup_all();
		return 130;
	}
	ix_cleanup_all(); /* VMs, partition, dsvd, temporary files: before the report */
	if (ix_report(&x, res) < 0)
		rc = 1;
	for (int s = 0; s < NSCN; s++)
		for (int r = 0; r < cfg.reps; r++)
			if (cfg.scn_on[s] && !res[s][r].ok)
				rc = 1;
	return rc;

setup_failed:
	if (ix_stop) {
		ix_progress("interference: interrupted (signal %d)\n", (int)ix_stop);
		ix_cleanup_all();
		return 130;
	}
	fprintf(stderr, "interference: %s\n", err);
	ix_cleanup_all();
	return 3;
}
