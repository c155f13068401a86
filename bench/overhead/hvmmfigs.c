/*
 * hvmm's own figures: the guest compute loop against its native
 * twin on the same CPU, the no-op hypercall round trip (shown beside the exit floor), launch
 * times of a trivial 64 MiB guest, and hvmm's memory outside guest RAM. Payloads come from
 * build/tests/hvmm/payloads; whatever is missing is reported as a TODO, not invented.
 */
#include <math.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "overhead.h"
#include "bench_proc.h"

/* First existing file among names in dir; "" if none. */
static void find(const char *dir, const char *const *names, char *out, size_t len)
{
	out[0] = 0;
	for (; *names; names++) {
		snprintf(out, len, "%s/%s", dir, *names);
		if (access(out, R_OK) == 0)
			return;
	}
	out[0] = 0;
}

/* The number after "word " in text; NaN if absent. */
static double after(const char *text, const char *word)
{
	const char *p = text;
	size_t l = strlen(word);
	while ((p = strstr(p, word))) {
		if ((p == text || p[-1] == '\n' || p[-1] == ' ') && p[l] == ' ')
			return strtod(p + l + 1, NULL);
		p += l;
	}
	return NAN;
}

static double tsc_khz(void)
{
	static double khz;
	if (khz == 0) {
		double t0 = ovh_now();
		uint64_t c0 = __builtin_ia32_rdtsc();
		while (ovh_now() - t0 < 0.05)
			;
		khz = (double)(__builtin_ia32_rdtsc() - c0) / (ovh_now() - t0) / 1e3;
	}
	return khz;
}

/* Runs a payload under hvmm on one CPU (offload: --offload, NULL for auto); parses its
 * --stats=json into st. */
static int run_payload(struct ovh_ctx *c, const char *elf, const char *cmdline, const char *offload,
		       int cpu, struct bench_proc *r, struct bench_obj *st)
{
	char cpus[16], *argv[OVH_ONE_CPU_ARGS + 3];
	int n = ovh_one_cpu_argv(c, argv, cpus, cpu, offload, elf);
	argv[n++] = "--cmdline";
	argv[n++] = (char *)cmdline;
	argv[n] = NULL;
	if (bench_run(argv, &cpu, 1, 20, r))
		return -1;
	if (bench_json_find(r->err, r->err_len, "exit_code", NULL, st))
		st->n = 0;
	return 0;
}

/* One run of noop.elf with --offload offload; its ns_per_call into v[*n]. False (noted)
 * when it failed or, asked for the ring, did not get it. */
static bool noop_sample(struct ovh_ctx *c, struct ovh_hvmm_figs *f, const char *noop,
			const char *cmd, const char *offload, int cpu, struct bench_obj *st,
			double *v, int *n)
{
	struct bench_proc r;
	char why[256];
	bool ok;

	if (run_payload(c, noop, cmd, offload, cpu, &r, st))
		return false;
	double ns = after(r.out, "ns_per_call");
	bool ring_ok = strcmp(offload, "ring") || strstr(r.out, "via ring");
	ok = r.status == 0 && isfinite(ns) && ring_ok;
	if (ok)
		v[(*n)++] = ns / 1e3;
	else
		ovh_note(f->notes, sizeof f->notes,
			 "noop.elf with --offload %s failed (status %d%s: %s): not measured.",
			 offload, r.status, r.timed_out ? ", timed out" : "",
			 ring_ok ? bench_last_line(r.err, why, sizeof why) : "no ring");
	bench_proc_free(&r);
	return ok;
}

void ovh_hvmm_figures(struct ovh_ctx *c, struct ovh_hvmm_figs *f)
{
	static const char *const n_loop[] = { "loop.elf", NULL };
	static const char *const n_native[] = { "loop_native", "loop-native", NULL };
	static const char *const n_noop[] = { "noop.elf", NULL };
	static const char *const n_exit[] = { "exit0.elf", "exit_status.elf", NULL };
	char loop[4400], native[4400], noop[4400], exit0[4400], why[256];
	int cpu = c->cpus[c->ncpus - 1]; /* one CPU, the same for every side */
	int reps = c->reps;
	struct bench_obj *st = malloc(sizeof *st);
	if (!st)
		return;
	memset(f, 0, sizeof *f);
	find(c->payloads, n_loop, loop, sizeof loop);
	find(c->payloads, n_native, native, sizeof native);
	find(c->payloads, n_noop, noop, sizeof noop);
	find(c->payloads, n_exit, exit0, sizeof exit0);
	bool hv = access(c->hvmm, X_OK) == 0;
	if (!hv)
		ovh_note(f->notes, sizeof f->notes,
			 "TODO: hvmm not built (%s): only the platform "
			 "floors were measured.",
			 c->hvmm);
	if (hv && !loop[0])
		ovh_note(f->notes, sizeof f->notes, "TODO: loop.elf missing in %s.", c->payloads);
	if (hv && loop[0] && !native[0])
		ovh_note(f->notes, sizeof f->notes, "TODO: loop_native missing in %s.",
			 c->payloads);
	if (hv && !noop[0])
		ovh_note(f->notes, sizeof f->notes, "TODO: noop.elf missing in %s.", c->payloads);
	if (hv && !exit0[0])
		ovh_note(f->notes, sizeof f->notes,
			 "TODO: exit0.elf / exit_status.elf missing in %s.", c->payloads);

	const char *iters = c->quick ? "50000000" : "100000000";
	char cmd[64];
	bool dead_noop = false, dead_ring = false, dead_loop = false, dead_exit = false;
	for (int rep = 0; rep < reps; rep++) {
		ovh_progress(c, "hvmm figures: rep %d/%d on CPU %d\n", rep + 1, reps, cpu);
		ovh_check_cpus(c, "hvmm's figures");
		/* the exit through hvmm (its floor, a bare exit, is in floors.c) */
		struct bench_proc r;
		if (hv && noop[0] && !dead_noop) {
			snprintf(cmd, sizeof cmd, "n=%d", c->quick ? 2000 : 10000);
			dead_noop = !noop_sample(c, f, noop, cmd, "exit", cpu, st, f->noop_us,
						 &f->noop_n);
		}
		/* the same calls through the offload ring: no exit while they come */
		if (hv && noop[0] && !dead_ring) {
			snprintf(cmd, sizeof cmd, "n=%d ring=1", c->quick ? 2000 : 10000);
			dead_ring = !noop_sample(c, f, noop, cmd, "ring", cpu, st, f->noop_ring_us,
						 &f->noop_ring_n);
		}
		/* compute loop: guest, then native, alternating */
		if (hv && loop[0] && native[0] && !dead_loop) {
			snprintf(cmd, sizeof cmd, "n=%s", iters);
			struct bench_proc nr;
			char *nargv[] = { native, (char *)iters, NULL };
			if (run_payload(c, loop, cmd, NULL, cpu, &r, st) == 0 &&
			    bench_run(nargv, &cpu, 1, 60, &nr) == 0) {
				double gc = after(r.out, "cycles"), nc = after(nr.out, "cycles");
				const char *gres = strstr(r.out, "result "),
					   *nres = strstr(nr.out, "result ");
				bool same = gres && nres &&
					    strtoull(gres + 7, NULL, 16) ==
						    strtoull(nres + 7, NULL, 16);
				if (isfinite(gc) && isfinite(nc) && same) {
					f->loop_guest_ms[f->loop_n] = gc / tsc_khz();
					f->loop_native_ms[f->loop_n++] = nc / tsc_khz();
				} else {
					dead_loop = true;
					ovh_note(f->notes, sizeof f->notes,
						 "compute loop: loop.elf and "
						 "loop_native disagree or failed (status %d%s / "
						 "%d: %s): not "
						 "measured.",
						 r.status, r.timed_out ? ", timed out" : "",
						 nr.status,
						 bench_last_line(r.err[0] ? r.err : nr.err, why,
								 sizeof why));
				}
				bench_proc_free(&nr);
			}
			bench_proc_free(&r);
		}
		/* launch of a trivial 64 MiB guest */
		if (hv && exit0[0] && !dead_exit &&
		    run_payload(c, exit0, "status=0", NULL, cpu, &r, st) == 0) {
			double first = bench_json_num(st, "times_ms.first_run");
			double ex = bench_json_num(st, "times_ms.exit");
			double rss = bench_json_num(st, "rss_outside_guest_kb");
			const char *b = bench_json_str(st, "memory.backing");
			if (r.status == 0) {
				f->wall_ms[f->launch_n] = r.wall_s * 1e3;
				f->first_ms[f->launch_n] = first;
				f->exit_ms[f->launch_n] = ex;
				f->rss_out_kb[f->launch_n++] = rss;
				if (b)
					snprintf(f->backing, sizeof f->backing, "%s", b);
			} else {
				dead_exit = true;
				ovh_note(f->notes, sizeof f->notes,
					 "%s failed (status %d%s: %s): launch "
					 "figures not measured.",
					 exit0, r.status, r.timed_out ? ", timed out" : "",
					 bench_last_line(r.err, why, sizeof why));
			}
			bench_proc_free(&r);
		}
	}
	free(st);
}
