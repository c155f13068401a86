/*
 * The runner's output: markdown tables (stdout and docs/performance.md between markers),
 * CSV of every run and of the summary, and an SVG bar chart of VM/native through gnuplot.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "overhead.h"
#include "bench_proc.h"

/* Markers: <!-- overhead[:TAG]:begin ... --> and <!-- overhead[:TAG]:end -->. */
static void marks(const struct ovh_ctx *c, char *b, size_t blen, char *e, size_t elen)
{
	const char *sep = c->tag[0] ? ":" : "";
	snprintf(b, blen, "<!-- overhead%s%s:begin", sep, c->tag);
	snprintf(e, elen, "<!-- overhead%s%s:end -->", sep, c->tag);
}

/* Notes are newline-separated sentences; each becomes one markdown bullet. */
static void print_notes(FILE *out, const char *notes)
{
	for (const char *p = notes; *p;) {
		size_t k = strcspn(p, "\n");
		fprintf(out, "- %.*s\n", (int)k, p);
		p += k + (p[k] == '\n');
	}
}

static void cell(char *out, size_t len, struct bench_summary s)
{
	if (!s.n)
		snprintf(out, len, "—");
	else if (s.n == 1 || !isfinite(s.spread))
		snprintf(out, len, "%.4g", s.median);
	else
		snprintf(out, len, "%.4g (±%.1f%%)", s.median, 50.0 * s.spread);
}

static void ratio_cell(char *out, size_t len, double r)
{
	if (isfinite(r))
		snprintf(out, len, "%.3f", r);
	else
		snprintf(out, len, "—");
}

static const char *verdict(const struct ovh_figure *f, double r)
{
	if (!f->target)
		return "";
	if (!isfinite(r))
		return "not measured";
	if (f->higher_better)
		return r >= 0.99 ? "met" : "**missed**";
	return r <= 1.0 ? "met" : "**missed**";
}

void ovh_loadavg(char *buf, size_t len)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double l1 = -1;
	if (f) {
		if (fscanf(f, "%lf", &l1) != 1)
			l1 = -1;
		fclose(f);
	}
	if (l1 < 0)
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%.2f", l1);
}

static void host_line(FILE *out, const struct ovh_ctx *c)
{
	char model[256] = "unknown CPU", line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "model name : %255[^\n]", model) == 1)
			break;
	if (f)
		fclose(f);
	struct utsname u;
	uname(&u);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	char load_end[64];
	ovh_loadavg(load_end, sizeof load_end);
	fprintf(out,
		"Host: %s, %ld online CPUs, Linux %s; load average %s at the start, %s at "
		"the end (other work on the host). CPUs used: %s. %d repetitions per peer, "
		"interleaved (native, hvmm, qemu, native, ...). Cells are medians with ± half the "
		"min–max range.\n\n",
		model, n, u.release, c->load_start, load_end, c->cpulist, c->reps);
}

static const char *const floor_key[OVH_NFLOORS] = { "trap_us", "syscall_us", "exit_us" };
static const char *const floor_label[OVH_NFLOORS] = {
	"trap into the host kernel, answered there, us (`rdmsr` of IA32_APIC_BASE)",
	"syscall round trip floor, us (CPL3 `syscall` → LSTAR entry that only does `sysretq`)",
	"exit to the VMM process and back, us (port write)",
};

/* The median of floor k; NaN where it was not measured. */
static struct bench_summary floor_of(const struct ovh_floors *fl, int k)
{
	struct bench_summary none = { 0 };
	none.median = NAN;
	return fl && fl->n[k] ? bench_summarize(fl->us[k], (size_t)fl->n[k]) : none;
}

static void floors_table(FILE *out, const struct ovh_floors *fl)
{
	char a[64];
	fprintf(out, "#### Platform floors (a bare vCPU of the runner's: no hvmm, no lwk)\n\n");
	fprintf(out, "| floor | bare vCPU |\n| --- | --- |\n");
	for (int k = 0; k < OVH_NFLOORS; k++) {
		cell(a, sizeof a, floor_of(fl, k));
		fprintf(out, "| %s | %s |\n", floor_label[k], a);
	}
	if (fl->notes[0]) {
		fprintf(out, "\n");
		print_notes(out, fl->notes);
	}
	fprintf(out, "\n");
}

static void hvmm_table(FILE *out, const struct ovh_hvmm_figs *f, const struct ovh_floors *fl)
{
	struct bench_summary lg = bench_summarize(f->loop_guest_ms, (size_t)f->loop_n);
	struct bench_summary ln = bench_summarize(f->loop_native_ms, (size_t)f->loop_n);
	struct bench_summary no = bench_summarize(f->noop_us, (size_t)f->noop_n);
	struct bench_summary ke = floor_of(fl, OVH_FLOOR_EXIT);
	struct bench_summary fi = bench_summarize(f->first_ms, (size_t)f->launch_n);
	struct bench_summary ex = bench_summarize(f->exit_ms, (size_t)f->launch_n);
	struct bench_summary wa = bench_summarize(f->wall_ms, (size_t)f->launch_n);
	struct bench_summary rs = bench_summarize(f->rss_out_kb, (size_t)f->launch_n);
	char a[64], b[64], r[32];
	fprintf(out, "#### hvmm's own figures\n\n");
	fprintf(out, "| figure | hvmm | reference | ratio | target | verdict |\n"
		     "| --- | --- | --- | --- | --- | --- |\n");
	cell(a, sizeof a, lg);
	cell(b, sizeof b, ln);
	double sp = bench_ratio(ln.median, lg.median);
	ratio_cell(r, sizeof r, sp);
	fprintf(out,
		"| compute loop, ms (guest vs native twin, same CPU) | %s | %s native | %s "
		"(native time / guest time) | ≥ 0.99 | %s |\n",
		a, b, r,
		!isfinite(sp) ? "not measured"
		: sp >= 0.99  ? "met"
			      : "**missed**");
	cell(a, sizeof a, no);
	cell(b, sizeof b, ke);
	ratio_cell(r, sizeof r, bench_ratio(no.median, ke.median));
	fprintf(out,
		"| no-op hypercall round trip, us | %s | %s exit floor | %s (× floor) | — | |\n", a,
		b, r);
	struct bench_summary nr = bench_summarize(f->noop_ring_us, (size_t)f->noop_ring_n);
	cell(a, sizeof a, nr);
	ratio_cell(r, sizeof r, bench_ratio(nr.median, ke.median));
	fprintf(out,
		"| no-op call through the offload ring, us (`--offload ring`) | %s | %s exit floor "
		"| %s (× floor) | — | |\n",
		a, b, r);
	cell(a, sizeof a, fi);
	fprintf(out, "| launch to first guest instruction, ms (64 MiB, %s) | %s | | | | |\n",
		f->backing[0] ? f->backing : "?", a);
	cell(a, sizeof a, ex);
	cell(b, sizeof b, wa);
	fprintf(out,
		"| launch to exit, ms (hvmm's clock; fork to reap in reference) | %s | %s "
		"| | ≤ 10 | %s |\n",
		a, b,
		!ex.n		  ? "not measured"
		: ex.median <= 10 ? "met"
				  : "**missed**");
	cell(a, sizeof a, rs);
	fprintf(out,
		"| hvmm RSS outside guest RAM, KiB | %s | Firecracker: ≤ 5120 | | ≤ 2048 "
		"| %s |\n",
		a,
		!rs.n		    ? "not measured"
		: rs.median <= 2048 ? "met"
				    : "**missed**");
	if (f->notes[0]) {
		fprintf(out, "\n");
		print_notes(out, f->notes);
	}
	fprintf(out, "\n");
}

/*
 * One row of the lwk table: hvmm, native, hvmm/native, the platform floor the figure
 * cannot go below (floor < 0: none), hvmm/floor and the verdict against limit.
 */
static void lwk_row(FILE *out, const char *label, const struct ovh_lwk_pair *p,
		    const struct ovh_floors *fl, int floor, double limit)
{
	struct bench_summary h = bench_summarize(p->hvmm, (size_t)p->n);
	struct bench_summary n = bench_summarize(p->native, (size_t)p->n);
	struct bench_summary fs = floor_of(floor >= 0 ? fl : NULL, floor);
	char a[64], b[64], r[32], fv[64], fc[96], fr[32];
	cell(a, sizeof a, h);
	cell(b, sizeof b, n);
	ratio_cell(r, sizeof r, bench_ratio(h.median, n.median));
	if (floor < 0) {
		snprintf(fc, sizeof fc, "—");
		snprintf(fr, sizeof fr, "—");
	} else {
		cell(fv, sizeof fv, fs);
		snprintf(fc, sizeof fc, "%s (%s)", fv,
			 floor == OVH_FLOOR_SYSCALL ? "syscall" : "exit");
		ratio_cell(fr, sizeof fr, bench_ratio(h.median, fs.median));
	}
	if (isnan(limit)) { /* no target: the ratio to native says it */
		fprintf(out, "| %s | %s | %s | %s | %s | %s | — | %s |\n", label, a, b, r, fc, fr,
			!h.n ? "not measured" : "—");
		return;
	}
	fprintf(out, "| %s | %s | %s | %s | %s | %s | ≤ %g | %s |\n", label, a, b, r, fc, fr, limit,
		!h.n		    ? "not measured"
		: h.median <= limit ? "met"
				    : "**missed**");
}

static void lwk_table(FILE *out, const struct ovh_lwk_figs *f, const struct ovh_floors *fl)
{
	fprintf(out, "#### The lwk's own figures\n\n");
	fprintf(out, "| figure | hvmm + lwk | native | hvmm/native | platform floor | hvmm/floor "
		     "| target (hvmm) | verdict |\n"
		     "| --- | --- | --- | --- | --- | --- | --- | --- |\n");
	lwk_row(out, "syscall round trip, us (getppid, answered by the lwk)", &f->sys_us, fl,
		OVH_FLOOR_SYSCALL, 3);
	lwk_row(out, "64-byte write to a file in the share, us (offloaded, `--offload exit`)",
		&f->write_us, fl, OVH_FLOOR_EXIT, 40);
	/* Beside the exit floor: the ring's point is to go below it (issue 15: ≤ 5 us where a
	 * trap costs ≥ 20 us). */
	lwk_row(out, "64-byte write to a file in the share, us (offloaded, `--offload ring`)",
		&f->write_ring_us, fl, OVH_FLOOR_EXIT, 5);
	/* The fast path (issue 15's targets, set for hosts where a trap costs >= 20 us) beside
	 * the trap path it replaces. */
	lwk_row(out, "getpid, us (`--fastpath on`: answered in user mode)", &f->getpid_fast_us, fl,
		OVH_FLOOR_SYSCALL, 0.1);
	lwk_row(out, "getpid, us (`--fastpath off`: a trap)", &f->getpid_trap_us, fl,
		OVH_FLOOR_SYSCALL, 3);
	lwk_row(out, "futex wake with no waiter, us (`--fastpath on`)", &f->futex_fast_us, fl,
		OVH_FLOOR_SYSCALL, 0.5);
	lwk_row(out, "futex wake with no waiter, us (`--fastpath off`)", &f->futex_trap_us, fl,
		OVH_FLOOR_SYSCALL, 3);
	lwk_row(out, "empty OpenMP parallel region, 1 thread, us (`--fastpath on`)",
		&f->omp_fast_us, fl, OVH_FLOOR_SYSCALL, 2);
	lwk_row(out, "empty OpenMP parallel region, 1 thread, us (`--fastpath off`)",
		&f->omp_trap_us, fl, OVH_FLOOR_SYSCALL, 3);
	/* Two calls and 33 new pages a round: no target of issue 15's; native is the peer. */
	lwk_row(out, "brk up by 132 KiB, every page written, and back, us (`--fastpath on`)",
		&f->brk_fast_us, fl, OVH_FLOOR_SYSCALL, NAN);
	lwk_row(out, "brk up by 132 KiB, every page written, and back, us (`--fastpath off`)",
		&f->brk_trap_us, fl, OVH_FLOOR_SYSCALL, NAN);
	char label[128];
	snprintf(label, sizeof label,
		 "launch to exit of a static hello, ms (fork to reap; "
		 "64 MiB, %s)",
		 f->backing[0] ? f->backing : "?");
	lwk_row(out, label, &f->launch_ms, fl, -1, 15);
	struct bench_summary fr = bench_summarize(f->first_run_ms, (size_t)f->launch_ms.n);
	struct bench_summary po = bench_summarize(f->populate_ms, (size_t)f->launch_ms.n);
	struct bench_summary ex = bench_summarize(f->exit_ms, (size_t)f->launch_ms.n);
	/* The rest of the wall time is exec, hvmm's start before its clock, and teardown. */
	if (fr.n)
		fprintf(out,
			"\nhvmm's clock for the same launches (medians): first guest instruction "
			"at %.3g ms (%.3g ms of it populating guest RAM), guest exit at %.3g ms.\n",
			fr.median, po.median, ex.median);
	if (f->notes[0]) {
		fprintf(out, "\n");
		print_notes(out, f->notes);
	}
	fprintf(out, "\n");
}

static void workload_table(FILE *out, const struct ovh_ctx *c, struct ovh_workload *w, int nw)
{
	fprintf(out, "#### Workloads\n\n");
	fprintf(out,
		"| figure | unit | native | hvmm | hvmm/native | best runs | qemu | qemu/native "
		"| target | hvmm verdict |\n"
		"| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
	for (int i = 0; i < nw; i++) {
		for (int k = 0; k < w[i].nfig; k++) {
			const struct ovh_figure *f = &w[i].fig[k];
			struct bench_summary s[NPEERS];
			char cells[NPEERS][64], rat[NPEERS][32], best[32];
			for (int p = 0; p < NPEERS; p++) {
				s[p] = bench_summarize(w[i].v[p][k], (size_t)w[i].nrep);
				cell(cells[p], sizeof cells[p], s[p]);
				if (!c->peer_on[p])
					snprintf(cells[p], sizeof cells[p], "skipped");
				ratio_cell(rat[p], sizeof rat[p],
					   bench_ratio(s[p].median, s[0].median));
				if (p == PEER_QEMU && c->ncpus > 1 && c->peer_on[p])
					snprintf(rat[p], sizeof rat[p], "n/a (1 vCPU)");
			}
			ratio_cell(best, sizeof best,
				   bench_best_ratio(s[1], s[0], f->higher_better));
			const char *target = !f->target		? ""
					     : f->higher_better ? "≥ 0.99"
								: "≤ 1 (no worse)";
			fprintf(out, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				f->label, f->unit, cells[0], cells[1], rat[1], best, cells[2],
				rat[2], target,
				c->peer_on[PEER_HVMM]
					? verdict(f, bench_ratio(s[1].median, s[0].median))
					: "not measured");
		}
	}
	fprintf(out, "\n");
	/* Failures and what hvmm saw, for the analysis. */
	for (int i = 0; i < nw; i++) {
		for (int p = 0; p < NPEERS; p++)
			if (w[i].failed[p])
				fprintf(out, "- %s on %s: %d of %d runs failed (last: %s).\n",
					w[i].id, ovh_peer_name((enum ovh_peer)p), w[i].failed[p],
					w[i].nrep, w[i].fail_note[p]);
		if (c->peer_on[PEER_HVMM] && w[i].backing[0]) {
			struct bench_summary e = bench_summarize(w[i].exits, (size_t)w[i].nrep);
			struct bench_summary h = bench_summarize(w[i].hvmm_ms, (size_t)w[i].nrep);
			fprintf(out,
				"- %s under hvmm: guest RAM %s, %s-backed; %.0f exits to hvmm per "
				"run, %.2f ms spent in hvmm (medians).\n",
				w[i].id, w[i].mem, w[i].backing, e.median, h.median);
		}
	}
	fprintf(out, "\n");
}

/* A path as the report names it: relative to the source tree when it lies there (the
 * report goes into docs/), else as given with --results. */
static const char *in_source(const struct ovh_ctx *c, const char *path)
{
	size_t n = strlen(c->source);
	return strncmp(path, c->source, n) == 0 && path[n] == '/' ? path + n + 1 : path;
}

static void render(FILE *out, struct ovh_ctx *c, struct ovh_workload *w, int nw,
		   struct ovh_floors *fl, struct ovh_hvmm_figs *f, struct ovh_lwk_figs *lf,
		   const char *svg)
{
	char when[64];
	time_t t = time(NULL);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&t));
	fprintf(out, "Run finished %s:\n\n```\n%s\n```\n\n", when, c->command);
	host_line(out, c);
	fprintf(out,
		"Peers: native (pinned with sched_setaffinity); hvmm + lwk (`--hugepages on`%s)",
		c->huge_fallback ? ", or `auto` where too few were reserved: see the notes" : "");
	for (int p = PEER_HVMM; p < NPEERS; p++)
		if (c->peer_note[p][0])
			fprintf(out, "; %s %s", ovh_peer_name((enum ovh_peer)p), c->peer_note[p]);
	fprintf(out, ".\n\n");
	if (c->huge_fallback)
		ovh_note(c->notes, sizeof c->notes,
			 "Hugepages: the host had %ld free 2 MiB pages "
			 "at the start, too few for some guests (stream needs 512), which then ran "
			 "with "
			 "`--hugepages auto` (THP-advised memory; the per-workload lines below the "
			 "table say which backing each got). `echo 576 > "
			 "/proc/sys/vm/nr_hugepages` gives the "
			 "intended setup.",
			 c->free_huge < 0 ? 0 : c->free_huge);
	if (c->notes[0]) {
		print_notes(out, c->notes);
		fprintf(out, "\n");
	}
	if (fl)
		floors_table(out, fl);
	if (f)
		hvmm_table(out, f, fl);
	if (lf)
		lwk_table(out, lf, fl);
	if (nw)
		workload_table(out, c, w, nw);
	fprintf(out, "Raw runs, summary and plot: `%s/overhead-%s-*.csv`%s%s%s.\n",
		in_source(c, c->results_dir), c->stamp, svg ? ", `" : "", svg ? svg : "",
		svg ? "`" : "");
}

static void write_csv(struct ovh_ctx *c, struct ovh_workload *w, int nw,
		      const struct ovh_floors *fl, char *sum_path, size_t splen)
{
	char path[4400];
	snprintf(path, sizeof path, "%s/overhead-%s-runs.csv", c->results_dir, c->stamp);
	FILE *f = fopen(path, "w");
	snprintf(sum_path, splen, "%s/overhead-%s-summary.csv", c->results_dir, c->stamp);
	FILE *s = fopen(sum_path, "w");
	if (!f || !s) {
		ovh_progress(c, "cannot write CSV into %s\n", c->results_dir);
		if (f)
			fclose(f);
		if (s)
			fclose(s);
		sum_path[0] = 0;
		return;
	}
	fprintf(f, "workload,figure,unit,peer,rep,value\n");
	fprintf(s, "workload,figure,unit,peer,n,median,min,max,spread,ratio_vs_native,"
		   "best_ratio_vs_native\n");
	/* The floors as workload "floor" of peer "bare" (no native to compare with). */
	for (int k = 0; fl && k < OVH_NFLOORS; k++) {
		for (int r = 0; r < fl->n[k]; r++)
			fprintf(f, "floor,%s,us,bare,%d,%.9g\n", floor_key[k], r + 1, fl->us[k][r]);
		struct bench_summary m = floor_of(fl, k);
		if (m.n)
			fprintf(s, "floor,%s,us,bare,%zu,%.9g,%.9g,%.9g,%.6g,,\n", floor_key[k],
				m.n, m.median, m.min, m.max, m.spread);
	}
	for (int i = 0; i < nw; i++)
		for (int k = 0; k < w[i].nfig; k++) {
			struct bench_summary nat = bench_summarize(w[i].v[0][k], (size_t)w[i].nrep);
			for (int p = 0; p < NPEERS; p++) {
				if (!c->peer_on[p])
					continue;
				for (int r = 0; r < w[i].nrep; r++)
					fprintf(f, "%s,%s,%s,%s,%d,%.9g\n", w[i].id,
						w[i].fig[k].key, w[i].fig[k].unit,
						ovh_peer_name((enum ovh_peer)p), r + 1,
						w[i].v[p][k][r]);
				struct bench_summary m =
					bench_summarize(w[i].v[p][k], (size_t)w[i].nrep);
				fprintf(s, "%s,%s,%s,%s,%zu,%.9g,%.9g,%.9g,%.6g,%.6g,%.6g\n",
					w[i].id, w[i].fig[k].key, w[i].fig[k].unit,
					ovh_peer_name((enum ovh_peer)p), m.n, m.median, m.min,
					m.max, m.spread, bench_ratio(m.median, nat.median),
					bench_best_ratio(m, nat, w[i].fig[k].higher_better));
			}
		}
	fclose(f);
	fclose(s);
	ovh_progress(c, "wrote %s and %s\n", path, sum_path);
}

/* Bar chart of VM/native for the throughput figures; returns the SVG path or NULL. */
static const char *plot(struct ovh_ctx *c, struct ovh_workload *w, int nw)
{
	static char svg[4400];
	char dat[4400], gp[4400];
	snprintf(dat, sizeof dat, "%s/overhead-%s-ratios.dat", c->results_dir, c->stamp);
	snprintf(gp, sizeof gp, "%s/overhead-%s.gp", c->results_dir, c->stamp);
	snprintf(svg, sizeof svg, "%s/overhead-%s.svg", c->results_dir, c->stamp);
	FILE *d = fopen(dat, "w");
	if (!d)
		return NULL;
	int rows = 0, have[NPEERS] = { 0 };
	fprintf(d, "# figure hvmm qemu\n");
	for (int i = 0; i < nw; i++)
		for (int k = 0; k < w[i].nfig; k++) {
			if (!w[i].fig[k].higher_better)
				continue;
			double r[NPEERS];
			struct bench_summary nat = bench_summarize(w[i].v[0][k], (size_t)w[i].nrep);
			for (int p = 1; p < NPEERS; p++) {
				struct bench_summary m =
					bench_summarize(w[i].v[p][k], (size_t)w[i].nrep);
				r[p] = bench_ratio(m.median, nat.median);
				if (p == PEER_QEMU &&
				    c->ncpus > 1) /* 1 vCPU against N: not comparable */
					r[p] = NAN;
			}
			fprintf(d, "\"%s\" ", w[i].fig[k].label);
			for (int p = 1; p < NPEERS; p++) {
				fprintf(d, isfinite(r[p]) ? "%.4f " : "NaN ", r[p]);
				have[p] += isfinite(r[p]);
			}
			fprintf(d, "\n");
			rows++;
		}
	fclose(d);
	FILE *g = fopen(gp, "w");
	if (!g)
		return NULL;
	fprintf(g,
		"set terminal svg size 900,480 dynamic font 'sans,11'\n"
		"set output '%s'\n"
		"set title 'VM / native, medians (1 = native speed; dashed: 0.99 target)'\n"
		"set style data histograms\nset style histogram clustered gap 1\n"
		"set style fill solid 0.8 border -1\nset boxwidth 0.9\n"
		"set logscale y\nset yrange [0.02:50]\nset grid ytics\n"
		"set ytics (0.05, 0.1, 0.25, 0.5, 0.99, 2, 5, 10, 25)\n"
		"set ylabel 'VM / native (log scale)'\nset xtics rotate by -30\n"
		"set key outside right top\n"
		"set arrow from graph 0, first 0.99 to graph 1, first 0.99 nohead dt 2 lc rgb "
		"'red'\n"
		"plot '%s' using %s:xtic(1) title '%s'%s\n",
		svg, dat, have[PEER_HVMM] ? "2" : "3", have[PEER_HVMM] ? "hvmm" : "qemu",
		have[PEER_HVMM] && have[PEER_QEMU] ? ", '' using 3 title 'qemu'" : "");
	fclose(g);
	if (!rows || (!have[PEER_HVMM] && !have[PEER_QEMU]))
		return NULL; /* nothing to compare against native */
	char *argv[] = { "gnuplot", gp, NULL };
	struct bench_proc r;
	if (bench_run(argv, NULL, 0, 30, &r) || r.status) {
		ovh_progress(c, "gnuplot failed (status %d): no SVG\n", r.status);
		bench_proc_free(&r);
		return NULL;
	}
	bench_proc_free(&r);
	ovh_progress(c, "wrote %s\n", svg);
	return svg;
}

/* Replaces the text between the markers in the doc (appends the markers if missing). */
static void update_doc(struct ovh_ctx *c, const char *text)
{
	FILE *f = fopen(c->doc_path, "r");
	char *old = NULL;
	size_t len = 0;
	if (f) {
		fseek(f, 0, SEEK_END);
		long l = ftell(f);
		fseek(f, 0, SEEK_SET);
		old = calloc(1, (size_t)(l > 0 ? l : 0) + 1);
		if (old && l > 0)
			len = fread(old, 1, (size_t)l, f);
		fclose(f);
	}
	char tmp[4400];
	snprintf(tmp, sizeof tmp, "%s.tmp", c->doc_path);
	FILE *o = fopen(tmp, "w");
	if (!o) {
		ovh_progress(c, "cannot write %s\n", tmp);
		free(old);
		return;
	}
	char bm[128], em[128];
	marks(c, bm, sizeof bm, em, sizeof em);
	char *b = old ? strstr(old, bm) : NULL;
	char *e = b ? strstr(b, em) : NULL;
	if (b && e) {
		fwrite(old, 1, (size_t)(b - old), o);
		fprintf(o, "%s (generated by bench/overhead; edits here are replaced) -->\n\n%s\n",
			bm, text);
		fputs(e, o); /* the end marker and everything after it */
	} else {
		if (old && len)
			fwrite(old, 1, len, o);
		else
			fprintf(o, "# Performance\n\n");
		fprintf(o,
			"\n## Latest run%s%s\n\n%s (generated by bench/overhead; edits here are "
			"replaced) -->\n\n%s\n%s\n",
			c->tag[0] ? ": " : "", c->tag, bm, text, em);
	}
	free(old);
	if (fclose(o) || rename(tmp, c->doc_path))
		ovh_progress(c, "cannot update %s\n", c->doc_path);
	else
		ovh_progress(c, "updated %s\n", c->doc_path);
}

void ovh_report(struct ovh_ctx *c, struct ovh_workload *w, int nw, struct ovh_floors *fl,
		struct ovh_hvmm_figs *f, struct ovh_lwk_figs *lf)
{
	mkdir(c->results_dir, 0755);
	char sum[4400];
	write_csv(c, w, nw, fl, sum, sizeof sum);
	const char *svg = c->plot ? plot(c, w, nw) : NULL;
	char *text = NULL;
	size_t tlen = 0;
	FILE *m = open_memstream(&text, &tlen);
	if (!m)
		return;
	render(m, c, w, nw, fl, f, lf, svg ? in_source(c, svg) : NULL);
	fclose(m);
	printf("\n%s", text);
	if (c->doc)
		update_doc(c, text);
	free(text);
}
