/*
 * Results: per-run CSV, summary CSV, markdown table (printed and in the report), a gnuplot
 * script and its SVG (slowdown per scenario, bars from the fastest to the slowest
 * repetition), and report.md with the date, the machine and the command.
 */
#include "interference.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench_proc.h"
#include "bench_stats.h"

struct row {
	int n, nfwq;
	struct bench_summary t; /* run time */
	double cov;		/* stddev / mean */
	double slow, slow_min, slow_max, slow_hpc;
	double fig, noise, detour, other, hog;
};

/* One row: the repetitions of scenario s with hogs of kind k. */
static void summarize_row(struct ix_ctx *x, const struct ix_sample *res, struct row *w)
{
	int R = x->cfg->reps;
	{
		double t[IX_MAX_REPS], f[IX_MAX_REPS], nz[IX_MAX_REPS], ot[IX_MAX_REPS];
		double hg[IX_MAX_REPS];
		memset(w, 0, sizeof *w);
		w->detour = NAN;
		double sum = 0, sq = 0;
		for (int r = 0; r < R; r++) {
			const struct ix_sample *m = &res[r];
			t[r] = m->ok ? m->seconds : NAN;
			f[r] = m->ok ? m->figure : NAN;
			nz[r] = m->ok && m->fwq_ok ? m->noise_pct : NAN;
			ot[r] = m->ok ? m->other_ms : NAN;
			hg[r] = m->ok ? m->hog_ms : NAN;
			if (m->ok) {
				w->n++;
				sum += m->seconds;
				sq += m->seconds * m->seconds;
			}
			if (m->ok && m->fwq_ok) {
				w->nfwq++;
				if (!(m->detour_us <= w->detour))
					w->detour = m->detour_us;
			}
		}
		w->t = bench_summarize(t, (size_t)R);
		w->fig = bench_summarize(f, (size_t)R).median;
		w->noise = bench_summarize(nz, (size_t)R).median;
		w->other = bench_summarize(ot, (size_t)R).median;
		w->hog = bench_summarize(hg, (size_t)R).median;
		double mean = w->n ? sum / w->n : NAN;
		double var = w->n > 1 ? (sq - w->n * mean * mean) / (w->n - 1) : 0;
		w->cov = w->n > 1 ? sqrt(var > 0 ? var : 0) / mean : NAN;
	}
}

typedef struct row rows_t[NSCN][NHOGKIND];

/* Every row; the slowdowns are against the runs without hogs (their one row, HOG_LWK). */
static void summarize(struct ix_ctx *x, struct ix_sample (*res)[NHOGKIND][IX_MAX_REPS], rows_t rows)
{
	for (int s = 0; s < NSCN; s++)
		for (int k = 0; k < NHOGKIND; k++)
			summarize_row(x, res[s][k], &rows[s][k]);
	double base = rows[SCN_NATIVE][HOG_LWK].t.median,
	       hpc = rows[SCN_HPC_ALONE][HOG_LWK].t.median;
	for (int s = 0; s < NSCN; s++)
		for (int k = 0; k < NHOGKIND; k++) {
			struct row *w = &rows[s][k];
			w->slow = bench_ratio(w->t.median, base);
			w->slow_min = bench_ratio(w->t.min, base);
			w->slow_max = bench_ratio(w->t.max, base);
			w->slow_hpc = bench_ratio(w->t.median, hpc);
		}
}

static void num(FILE *f, const char *fmt, double v)
{
	if (isfinite(v))
		fprintf(f, fmt, v);
	else
		fprintf(f, "n/a");
}

/* The rows in the scenarios' order, the hog kinds of a scenario side by side. */
static void table(FILE *f, struct ix_ctx *x, rows_t rows)
{
	const char *unit, *fig = ix_figure_name(x->cfg->workload, &unit);
	fprintf(f,
		"| scenario | hogs | runs ok | median run time (s) | CoV | slowdown vs "
		"native-alone | vs hpc-alone | %s (%s) | fwq noise | fwq max detour (us) | hogs on "
		"HPC CPUs (ms) | others on HPC CPUs (ms) |\n",
		fig, unit);
	fprintf(f, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
	for (int s = 0; s < NSCN; s++)
		for (int k = 0; k < NHOGKIND; k++) {
			if (!ix_row_on(x->cfg, s, k))
				continue;
			const struct row *w = &rows[s][k];
			const struct {
				const char *fmt;
				double v;
			} cell[] = {
				{ "%.4g", w->t.median }, { "%.2f%%", w->cov * 100 },
				{ "%.3f", w->slow },	 { "%.3f", w->slow_hpc },
				{ "%.4g", w->fig },	 { "%.2f%%", w->noise },
				{ "%.0f", w->detour },	 { "%.1f", w->hog },
				{ "%.1f", w->other },
			};
			fprintf(f, "| %s | %s | %d/%d |", ix_scn_name(s), ix_row_hogs(x->cfg, s, k),
				w->n, x->cfg->reps);
			for (size_t k = 0; k < sizeof cell / sizeof cell[0]; k++) {
				fprintf(f, " ");
				num(f, cell[k].fmt, cell[k].v);
				fprintf(f, " |");
			}
			fprintf(f, "\n");
		}
}

static FILE *open_out(const char *dir, const char *name, char *path, size_t cap)
{
	snprintf(path, cap, "%s/%s", dir, name);
	FILE *f = fopen(path, "we");
	if (!f)
		fprintf(stderr, "interference: cannot write %s: %s\n", path, strerror(errno));
	return f;
}

/* A free-text CSV field: no quotes, commas or newlines. */
static void csv_clean(char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == ',' || *s == '\n')
			*s = ' ';
}

static void write_csvs(struct ix_ctx *x, struct ix_sample (*res)[NHOGKIND][IX_MAX_REPS],
		       rows_t rows)
{
	char path[IX_PATH + 64];
	FILE *f = open_out(x->cfg->out_dir, "runs.csv", path, sizeof path);
	if (f) {
		fprintf(f, "rep,scenario,ok,seconds,figure,noise_pct,max_detour_us,hog_ms,other_ms,"
			   "irq_ms,softirq_ms,steal_ms,interrupts,irq_sources,others,note,hogs\n");
		for (int r = 0; r < x->cfg->reps; r++)
			for (int s = 0; s < NSCN; s++)
				for (int k = 0; k < NHOGKIND; k++) {
					if (!ix_row_on(x->cfg, s, k))
						continue;
					const struct ix_sample *m = &res[s][k][r];
					char note[300];
					snprintf(note, sizeof note, "%s", m->note);
					csv_clean(note);
					fprintf(f, "%d,%s,%d,", r + 1, ix_scn_name(s), m->ok);
					num(f, "%.6f", m->ok ? m->seconds : NAN);
					fputc(',', f);
					num(f, "%.6g", m->ok ? m->figure : NAN);
					fputc(',', f);
					num(f, "%.4f", m->ok && m->fwq_ok ? m->noise_pct : NAN);
					fputc(',', f);
					num(f, "%.2f", m->ok && m->fwq_ok ? m->detour_us : NAN);
					fputc(',', f);
					num(f, "%.2f", m->ok ? m->hog_ms : NAN);
					fputc(',', f);
					num(f, "%.2f", m->ok ? m->other_ms : NAN);
					for (int k = 0; k < 3; k++) {
						fputc(',', f);
						num(f, "%.0f", m->ok ? m->irq_ms[k] : NAN);
					}
					fputc(',', f);
					num(f, "%.0f", m->ok ? m->irq_count : NAN);
					char irqs[sizeof m->irqs];
					snprintf(irqs, sizeof irqs, "%s", m->irqs);
					csv_clean(irqs);
					fprintf(f, ",%s", irqs);
					char other[160];
					snprintf(other, sizeof other, "%s", m->other);
					csv_clean(other);
					fprintf(f, ",%s,%s,%s\n", other, note,
						ix_row_hogs(x->cfg, s, k));
				}
		fclose(f);
	}
	f = open_out(x->cfg->out_dir, "summary.csv", path, sizeof path);
	if (!f)
		return;
	fprintf(f, "scenario,runs,ok,median_s,min_s,max_s,cov,slowdown_vs_native,"
		   "slowdown_min,slowdown_max,slowdown_vs_hpc_alone,figure_median,noise_pct_median,"
		   "max_detour_us,hog_ms_median,other_ms_median,hogs\n");
	for (int s = 0; s < NSCN; s++)
		for (int k = 0; k < NHOGKIND; k++) {
			if (!ix_row_on(x->cfg, s, k))
				continue;
			const struct row *w = &rows[s][k];
			fprintf(f, "%s,%d,%d", ix_scn_name(s), x->cfg->reps, w->n);
			double v[] = { w->t.median, w->t.min,	 w->t.max,    w->cov, w->slow,
				       w->slow_min, w->slow_max, w->slow_hpc, w->fig, w->noise,
				       w->detour,   w->hog,	 w->other };
			for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
				fputc(',', f);
				num(f, "%.6g", v[i]);
			}
			fprintf(f, ",%s\n", ix_row_hogs(x->cfg, s, k));
		}
	fclose(f);
}

static const char *find_gnuplot(void)
{
	static char path[IX_PATH];
	const char *p = getenv("PATH");
	char copy[IX_PATH], *save = NULL;
	snprintf(copy, sizeof copy, "%s", p ? p : "/usr/bin:/bin");
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(path, sizeof path, "%s/gnuplot", d);
		if (access(path, X_OK) == 0)
			return path;
	}
	return NULL;
}

/* Writes plot.dat and plot.gp and runs gnuplot; returns true when plot.svg was made. */
static bool plot(struct ix_ctx *x, rows_t rows)
{
	char path[IX_PATH + 64], gp[IX_PATH + 64];
	FILE *f = open_out(x->cfg->out_dir, "plot.dat", path, sizeof path);
	if (!f)
		return false;
	fprintf(f, "# scenario slowdown_median slowdown_min slowdown_max\n");
	int n = 0;
	for (int s = 0; s < NSCN; s++)
		for (int k = 0; k < NHOGKIND; k++) {
			const struct row *w = &rows[s][k];
			if (!ix_row_on(x->cfg, s, k) || !isfinite(w->slow))
				continue;
			bool both = x->cfg->kind_on[HOG_LWK] && x->cfg->kind_on[HOG_IMAGE] &&
				    strcmp(ix_row_hogs(x->cfg, s, k), "-");
			fprintf(f, "\"%s%s%s\" %.6f %.6f %.6f\n", ix_scn_name(s), both ? "/" : "",
				both ? ix_row_hogs(x->cfg, s, k) : "", w->slow, w->slow_min,
				w->slow_max);
			n++;
		}
	fclose(f);
	f = open_out(x->cfg->out_dir, "plot.gp", gp, sizeof gp);
	if (!f)
		return false;
	fprintf(f,
		"# %s\nset terminal svg size 820,460 dynamic background rgb 'white'\n"
		"set output '%s/plot.svg'\n"
		"set title \"%s beside %d commodity VM(s), hog %s: run time / native-alone\"\n"
		"set ylabel 'slowdown (median; bars: fastest to slowest run)'\n"
		"set style fill solid 0.5 border -1\nset boxwidth 0.6\nset grid ytics\n"
		"set yrange [0:*]\nset xtics nomirror\nset key off\n"
		"plot '%s/plot.dat' using 0:2:xtic(1) with boxes lc rgb '#4477aa', \\\n"
		"     '' using 0:2:3:4 with yerrorbars lc rgb 'black' pt 7 ps 0.5, \\\n"
		"     1 with lines dt 2 lc rgb 'gray'\n",
		x->cfg->command, x->cfg->out_dir, x->cfg->workload, x->cfg->hogs, x->cfg->hog_mode,
		x->cfg->out_dir);
	fclose(f);
	const char *g = find_gnuplot();
	if (!g || n == 0) {
		ix_note(x, "%s",
			g ? "no slowdown to plot (it is against native-alone, which did not run or "
			    "failed)"
			  : "gnuplot is not installed: plot.gp was written but not rendered");
		return false;
	}
	char *argv[] = { (char *)g, gp, NULL };
	struct bench_proc p;
	bool ok = bench_run(argv, NULL, 0, 60, &p) == 0 && p.status == 0;
	if (!ok)
		ix_note(x, "gnuplot failed: %s", p.err ? p.err : "");
	bench_proc_free(&p);
	return ok;
}

static void machine(char *out, size_t cap)
{
	char model[256] = "unknown CPU", line[512];
	FILE *f = fopen("/proc/cpuinfo", "re");
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			snprintf(model, sizeof model, "%s", strchr(line, ':') + 2);
			model[strcspn(model, "\n")] = 0;
			break;
		}
	if (f)
		fclose(f);
	struct utsname u;
	uname(&u);
	snprintf(out, cap, "%s, %ld online CPUs, Linux %s (%s)", model,
		 sysconf(_SC_NPROCESSORS_ONLN), u.release, u.nodename);
}

static void targets_of(FILE *f, struct ix_ctx *x, rows_t r, enum ix_hog_kind k, const char *of)
{
	const struct row *d = &r[SCN_DUAL][k], *h = &r[SCN_HPC_ALONE][HOG_LWK];
	const struct row *s = &r[SCN_SINGLE][k];
	fprintf(f, "| dual-stack%s slowdown vs hpc-alone ≤ 1%% | ", of);
	num(f, "%+.2f%%", (d->slow_hpc - 1) * 100);
	fprintf(f, " | %s",
		!isfinite(d->slow_hpc) ? "n/a"
		: d->slow_hpc <= 1.01  ? "met"
				       : "missed");
	if (isfinite(d->slow_hpc) &&
	    (d->cov > 0.01 || h->cov > 0.01)) /* a verdict noise may flip */
		fprintf(f, ", within the noise (CoV %.1f%% dual-stack, %.1f%% hpc-alone)",
			d->cov * 100, h->cov * 100);
	fprintf(f, " |\n");
	fprintf(f, "| dual-stack%s CoV ≤ 1%% | ", of);
	num(f, "%.2f%%", d->cov * 100);
	fprintf(f, " | %s |\n", !isfinite(d->cov) ? "n/a" : d->cov <= 0.01 ? "met" : "missed");
	if (x->cfg->fwq_probe || !strcmp(x->cfg->workload, "fwq")) {
		fprintf(f, "| fwq noise, dual-stack%s ≤ hpc-alone | ", of);
		num(f, "%.2f%%", d->noise);
		fprintf(f, " vs ");
		num(f, "%.2f%%", h->noise);
		fprintf(f, " | %s |\n",
			!isfinite(d->noise) || !isfinite(h->noise) ? "n/a"
			: d->noise <= h->noise			   ? "met"
								   : "missed");
	}
	if (ix_row_on(x->cfg, SCN_SINGLE, k)) {
		fprintf(f, "| single-stack%s slowdown (reported; the paper's claim: large) | ", of);
		num(f, "%+.1f%%", (s->slow - 1) * 100);
		fprintf(f, " | |\n");
	}
}

static void targets(FILE *f, struct ix_ctx *x, rows_t r)
{
	if (!x->cfg->scn_on[SCN_DUAL] || !x->cfg->scn_on[SCN_HPC_ALONE])
		return;
	fprintf(f, "\n## Targets (docs/interference.md; measured, not asserted)\n\n");
	fprintf(f, "| target | measured | |\n| --- | --- | --- |\n");
	bool both = x->cfg->kind_on[HOG_LWK] && x->cfg->kind_on[HOG_IMAGE];
	for (int k = 0; k < NHOGKIND; k++)
		if (ix_row_on(x->cfg, SCN_DUAL, k))
			targets_of(f, x, r, k,
				   !both	    ? ""
				   : k == HOG_IMAGE ? " (image hogs)"
						    : " (lwk hogs)");
}

void ix_report_table(FILE *f, struct ix_ctx *x, struct ix_sample (*res)[NHOGKIND][IX_MAX_REPS])
{
	rows_t rows;
	summarize(x, res, rows);
	table(f, x, rows);
}

int ix_report(struct ix_ctx *x, struct ix_sample (*res)[NHOGKIND][IX_MAX_REPS])
{
	rows_t rows;
	summarize(x, res, rows);
	if (x->hpc_restarts)
		ix_note(x,
			"hvmm could not start %d HPC VM(s) at the first attempt (first reason: "
			"%s); nothing had run in them, and they were started again",
			x->hpc_restarts, x->restart_reason);
	/* mkdir -p */
	char dir[IX_PATH];
	snprintf(dir, sizeof dir, "%s", x->cfg->out_dir);
	for (char *q = dir + 1; *q; q++)
		if (*q == '/') {
			*q = 0;
			mkdir(dir, 0755);
			*q = '/';
		}
	if (mkdir(x->cfg->out_dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "interference: cannot create %s: %s\n", x->cfg->out_dir,
			strerror(errno));
		table(stdout, x, rows);
		return -1;
	}
	write_csvs(x, res, rows);
	bool svg = plot(x, rows);
	char path[IX_PATH + 64], mach[512];
	machine(mach, sizeof mach);
	FILE *f = open_out(x->cfg->out_dir, "table.md", path, sizeof path);
	if (f) {
		table(f, x, rows);
		fclose(f);
	}
	f = open_out(x->cfg->out_dir, "report.md", path, sizeof path);
	if (f) {
		const struct ix_cfg *c = x->cfg;
		fprintf(f, "# Interference experiment, %s\n\n", c->date);
		fprintf(f, "- **Command:** `%s`\n", c->command);
		fprintf(f, "- **Machine:** %s\n", mach);
		fprintf(f,
			"- **HPC application:** `%s` (%s), %d thread(s) in every scenario; "
			"fwq probe after each run: %s\n",
			c->workload, c->size[0] ? c->size : "default size", c->nhpc,
			c->fwq_probe ? "yes" : "no");
		if (c->kind_on[HOG_LWK])
			fprintf(f,
				"- **Commodity load (lwk hogs):** %d VM(s) of 1 vCPU running "
				"`hog --mode %s` (%s) on the lwk\n",
				c->hogs, c->hog_arg, c->hog_mode);
		if (c->kind_on[HOG_IMAGE])
			fprintf(f,
				"- **Commodity load (image hogs):** %d Linux VM(s) of 1 vCPU and "
				"%d MiB booted from `%s` (each on its own overlay, made by dsvd), "
				"running the %s hog from their cloud-init user-data\n",
				c->hogs, c->hog_image_mem_mib, c->hog_image, c->hog_mode);
		fprintf(f, "- **Hog options:** --hog-mode %s", c->hog_mode);
		if (c->hog_quota_pct)
			fprintf(f,
				"; in dual-stack each capped at %d %% of a CPU by dsvd "
				"(`cpu_quota_pct`)",
				c->hog_quota_pct);
		fprintf(f, "\n");
		fprintf(f,
			"- **CPUs:** HPC %s, housekeeping %s, commodity %s; %d repetitions per "
			"scenario, interleaved (forward, then backward)\n",
			c->hpc_list, c->hk_list, c->comm_list, c->reps);
		fprintf(f, "- **Wall time:** %.0f s\n\n", ix_now() - x->started);
		fprintf(f, "| scenario | hogs | setting |\n| --- | --- | --- |\n");
		for (int s = 0; s < NSCN; s++)
			for (int k = 0; k < NHOGKIND; k++)
				if (ix_row_on(c, s, k)) {
					char desc[512];
					ix_row_desc(s, k, x, desc, sizeof desc);
					fprintf(f, "| %s | %s | %s |\n", ix_scn_name(s),
						ix_row_hogs(c, s, k), desc);
				}
		fprintf(f,
			"\n## Results\n\nRun time is the workload's own timing of its kernel "
			"(`%s` in its JSON line, measured inside the guest with the TSC); CoV is "
			"the "
			"standard deviation over the mean of the verified runs (n/a below 2 runs); "
			"slowdowns are ratios of medians; the fwq columns are the median noise "
			"fraction and the largest detour over the repetitions of the probe.\n\n",
			ix_time_name(c->workload));
		table(f, x, rows);
		if (svg)
			fprintf(f, "\n![slowdown per scenario](plot.svg)\n");
		targets(f, x, rows);
		fprintf(f,
			"\n## What else ran on the HPC CPUs\n\nCPU time of threads other than "
			"the application's, charged to the HPC CPUs by a /proc sampler (every 100 "
			"ms, "
			"approximate), during the application and its fwq probe; the top three per "
			"run; the HPC CPUs' interrupt and steal time from /proc/stat (10 ms "
			"resolution); and the interrupts that reached the HPC CPUs, counted from "
			"/proc/interrupts, with the four largest sources (LOC: the local timer "
			"tick, RES "
			"and CAL: rescheduling and function-call IPIs, TLB: shootdowns, names: "
			"device "
			"interrupts).\n\n| scenario | hogs | rep | hogs (ms) | others (ms) | irq / "
			"softirq / steal (ms) | interrupts | top sources | top others |\n"
			"| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
		for (int s = 0; s < NSCN; s++)
			for (int k = 0; k < NHOGKIND; k++)
				for (int r = 0; r < c->reps; r++) {
					const struct ix_sample *m = &res[s][k][r];
					if (!ix_row_on(c, s, k) || !m->ok || !(m->other_ms >= 0))
						continue;
					fprintf(f,
						"| %s | %s | %d | %.1f | %.1f | %.0f / %.0f / %.0f "
						"| %.0f | %s | "
						"%s |\n",
						ix_scn_name(s), ix_row_hogs(c, s, k), r + 1,
						m->hog_ms, m->other_ms, m->irq_ms[0], m->irq_ms[1],
						m->irq_ms[2], m->irq_count,
						m->irqs[0] ? m->irqs : "-",
						m->other[0] ? m->other : "-");
				}
		fprintf(f, "\n## Failed runs\n\n");
		int nf = 0;
		for (int r = 0; r < c->reps; r++)
			for (int s = 0; s < NSCN; s++)
				for (int k = 0; k < NHOGKIND; k++)
					if (ix_row_on(c, s, k) && !res[s][k][r].ok)
						fprintf(f, "- rep %d, %s (hogs: %s): %s\n", r + 1,
							ix_scn_name(s), ix_row_hogs(c, s, k),
							res[s][k][r].note),
							nf++;
		if (!nf)
			fprintf(f, "None.\n");
		if (x->notes[0])
			fprintf(f, "\n## Notes\n\n%s", x->notes);
		fprintf(f,
			"\nFiles: `runs.csv` (every run), `summary.csv`, `table.md`, "
			"`plot.gp`%s.\n",
			svg ? ", `plot.svg`" : "");
		fclose(f);
	}
	printf("\n");
	table(stdout, x, rows);
	printf("\nresults: %s/ (report.md, runs.csv, summary.csv, table.md%s)\n", x->cfg->out_dir,
	       svg ? ", plot.svg" : "");
	if (svg)
		printf("plot: %s/plot.svg\n", x->cfg->out_dir);
	return 0;
}
