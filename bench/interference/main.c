/*
 * bench/interference: the paper's interference experiment; `dsv bench
 * interference` runs it. See docs/interference.md.
 */
#include "interference.h"

#include <errno.h>
#include <ftw.h>
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

int main(int argc, char **argv)
{
	static struct ix_cfg cfg;
	static struct ix_paths paths;
	static struct ix_ctx x;
	static struct ix_sample res[NSCN][NHOGKIND][IX_MAX_REPS];
	if (argc > 1 && !strcmp(argv[1], "--in-cgroup"))
		return ix_exec_in_cgroup(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	int parsed = ix_parse_args(argc, argv, &cfg);
	if (parsed < 0) {
		fprintf(stderr, "usage: interference [options]; see interference --help\n");
		return 2;
	}
	if (parsed > 0)
		return 0; /* --help */
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
	bool need_hogs = false, lwk_hogs = false, image_hogs = false;
	for (int s = 0; s < NSCN; s++)
		for (int k = 0; k < NHOGKIND; k++)
			if (ix_row_on(&cfg, s, k) && ix_scn_has_hogs(s) && cfg.hogs > 0) {
				need_hogs = true;
				lwk_hogs |= k == HOG_LWK;
				image_hogs |= k == HOG_IMAGE;
			}
	/* image hogs are dsvd's commodity VMs in every scenario */
	bool need_dsvd = cfg.scn_on[SCN_NATIVE] || cfg.scn_on[SCN_HPC_ALONE] ||
			 cfg.scn_on[SCN_DUAL] || image_hogs;
	bool need_virt = need_hogs || (!x.single_uses_hvmm &&
				       (cfg.scn_on[SCN_SINGLE] || cfg.scn_on[SCN_SINGLE_PINNED]));
	ix_progress("interference: run id %s; %s beside %d commodity VM(s) running hog --mode %s "
		    "(%s%s%s%s); %d repetition(s); HPC CPUs %s, housekeeping %s, commodity %s\n",
		    cfg.run_id, cfg.workload, cfg.hogs, cfg.hog_arg,
		    cfg.kind_on[HOG_LWK] ? "lwk hogs" : "",
		    cfg.kind_on[HOG_LWK] && cfg.kind_on[HOG_IMAGE] ? ", " : "",
		    cfg.kind_on[HOG_IMAGE] ? "image hogs from " : "",
		    cfg.kind_on[HOG_IMAGE] ? cfg.hog_image : "", cfg.reps, cfg.hpc_list,
		    cfg.hk_list, cfg.comm_list);
	if (x.single_uses_hvmm)
		ix_note(&x,
			"The lwk boots one vCPU through PVH, and the HPC application uses %d "
			"threads here, so the single-stack HPC VM is hvmm without a partition (its "
			"vCPUs pinned to the HPC CPUs: hvmm always pins), as docs/interference.md "
			"explains.",
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
		ix_progress("dsvd: %s%s\n", x.dsvd.sock,
			    x.dsvd.pid ? " (started by the runner)" : "");
	if (need_hogs) {
		if (ix_node_mode(&x, false, err, sizeof err) < 0)
			goto setup_failed;
		if (lwk_hogs && ix_calibrate_hogs(&x, err, sizeof err) < 0)
			goto setup_failed;
	}

	/* the canonical order keeps the three partitioned scenarios together; every other
	 * repetition runs it backwards (A B C D E, E D C B A, ...), so the partition is applied
	 * once per two repetitions and drift hits every scenario alike */
	const enum ix_scn order[NSCN] = { SCN_SINGLE, SCN_SINGLE_PINNED, SCN_NATIVE, SCN_HPC_ALONE,
					  SCN_DUAL };
	/* the rows: each scenario with each hog kind asked for (the kinds side by side) */
	struct {
		enum ix_scn s;
		enum ix_hog_kind k;
	} rows[NSCN * NHOGKIND];
	int nrows = 0;
	for (int i = 0; i < NSCN; i++)
		for (int k = 0; k < NHOGKIND; k++)
			if (ix_row_on(&cfg, order[i], k)) {
				rows[nrows].s = order[i];
				rows[nrows++].k = k;
			}
	x.total_runs = nrows * cfg.reps;
	for (int rep = 0; rep < cfg.reps && !ix_stop; rep++) {
		for (int j = 0; j < nrows && !ix_stop; j++) {
			int row = rep % 2 ? nrows - 1 - j : j;
			enum ix_scn sc = rows[row].s;
			enum ix_hog_kind kind = rows[row].k;
			const char *label = ix_row_hogs(&cfg, sc, kind);
			char name[64];
			snprintf(name, sizeof name, "%s%s%s", ix_scn_name(sc),
				 strcmp(label, "-") ? "/" : "", strcmp(label, "-") ? label : "");
			struct ix_sample *s = &res[sc][kind][rep];
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
				} else if (ix_run_scenario(&x, sc, kind, rep, s) < 0) {
					break;
				}
				if (s->ok && attempt) {
					snprintf(s->note, sizeof s->note,
						 "attempt %d; the one before "
						 "failed: %s",
						 attempt + 1, first);
					ix_note(&x,
						"%s rep %d needed %d attempts (the last failure: "
						"%s)",
						name, rep + 1, attempt + 1, first);
				}
				if (s->ok)
					break;
				if (attempt < 2)
					ix_progress("         %s failed (%s); trying again\n", name,
						    s->note);
			}
			if (ix_stop)
				break;
			x.done_runs++;
			double el = ix_now() - x.started;
			double left = el / x.done_runs * (x.total_runs - x.done_runs);
			if (s->ok)
				ix_progress("[%4.0fs] rep %d/%d %-26s %s %.3f s", el, rep + 1,
					    cfg.reps, name, cfg.workload, s->seconds);
			else
				ix_progress("[%4.0fs] rep %d/%d %-26s FAILED: %s", el, rep + 1,
					    cfg.reps, name, s->note);
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
		for (int k = 0; k < NHOGKIND; k++)
			for (int r = 0; r < cfg.reps; r++)
				if (ix_row_on(&cfg, s, k) && !res[s][k][r].ok)
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
