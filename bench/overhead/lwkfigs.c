/*
 * The lwk's own figures: a syscall the lwk answers itself, a 64-byte
 * write offloaded to a file in the share (with one exit per call, and through the offload
 * ring), and launch to main() of a static hello. Each is
 * measured under hvmm + lwk and natively on the same CPU, interleaved per repetition, so the
 * ratio compares like with like. The programs come from <build>/tests/lwk; whatever is
 * missing or fails is reported as a TODO or a note, never as a number.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "overhead.h"
#include "bench_proc.h"

enum {
	SIDE_HVMM,
	SIDE_NATIVE
};

/* The number after "word " at the start of a line of text; NaN if absent. */
static double value_of(const char *text, const char *word)
{
	size_t l = strlen(word);
	for (const char *p = text; (p = strstr(p, word)); p += l)
		if ((p == text || p[-1] == '\n') && p[l] == ' ')
			return strtod(p + l + 1, NULL);
	return NAN;
}

/*
 * Runs argv pinned to cpu with dir as the working directory. bench_run has no cwd argument
 * and the runner is single-threaded, so the parent changes directory around the fork.
 */
static int run_in(const char *dir, char *const argv[], int cpu, struct bench_proc *r)
{
	int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (here < 0 || chdir(dir)) {
		if (here >= 0)
			close(here);
		return -1;
	}
	int rc = bench_run(argv, &cpu, 1, 20, r);
	if (fchdir(here))
		rc = -1;
	close(here);
	return rc;
}

/* How hvmm runs a figure's program: --offload and --fastpath (NULL: hvmm's default). */
struct hvmm_mode {
	const char *offload, *fastpath;
};

/* One program under hvmm + lwk with the share as its working directory and share. */
static int run_hvmm(struct ovh_ctx *c, const char *share, const char *prog, const char *arg,
		    struct hvmm_mode m, int cpu, struct bench_proc *r)
{
	char cpus[16], *argv[OVH_ONE_CPU_ARGS + 8];
	int n = ovh_one_cpu_argv(c, argv, cpus, cpu, m.offload, c->lwk);
	if (m.fastpath) {
		argv[n++] = "--fastpath";
		argv[n++] = (char *)m.fastpath;
	}
	argv[n++] = "--share";
	argv[n++] = (char *)share;
	argv[n++] = "--";
	argv[n++] = (char *)prog;
	argv[n++] = (char *)arg;
	argv[n] = NULL;
	return run_in(share, argv, cpu, r);
}

static int run_native(const char *share, const char *prog, const char *arg, int cpu,
		      struct bench_proc *r)
{
	char *argv[] = { (char *)prog, (char *)arg, NULL };
	return run_in(share, argv, cpu, r);
}

/*
 * The last stderr line that says why a run failed: hvmm prints its --stats=json line last,
 * so the reason is the line before it.
 */
static char *why(const char *err, char *buf, size_t len)
{
	const char *end = err + strlen(err);
	for (int pass = 0; pass < 2; pass++) {
		while (end > err && end[-1] == '\n')
			end--;
		const char *start = end;
		while (start > err && start[-1] != '\n')
			start--;
		if (*start != '{' || pass) { /* not the stats line: the reason */
			snprintf(buf, len, "%.*s", (int)(end - start), start);
			return buf;
		}
		end = start;
	}
	return buf; /* not reached */
}

/*
 * From hvmm's --stats=json: the guest RAM's backing and, for a launch, hvmm's own times, so
 * the report can say whether setup (before the first guest instruction) or the guest
 * dominates the wall time.
 */
static void hvmm_stats(struct ovh_lwk_figs *f, const struct bench_proc *r, bool launch)
{
	static struct bench_obj st; /* large: not on the stack */
	if (bench_json_find(r->err, r->err_len, "exit_code", NULL, &st))
		return;
	const char *b = bench_json_str(&st, "memory.backing");
	if (b)
		snprintf(f->backing, sizeof f->backing, "%s", b);
	if (launch) {
		f->first_run_ms[f->launch_ms.n] = bench_json_num(&st, "times_ms.first_run");
		f->populate_ms[f->launch_ms.n] = bench_json_num(&st, "memory.populate_ms");
		f->exit_ms[f->launch_ms.n] = bench_json_num(&st, "times_ms.exit");
	}
}

/*
 * One sample of one figure on one side: the value after key in stdout scaled by scale, or
 * the fork-to-reap wall time in ms when key is NULL. NaN on failure, noted once per side
 * (dead) so a broken program costs one timeout, not one per repetition.
 */
static double sample(struct ovh_ctx *c, struct ovh_lwk_figs *f, int side, const char *share,
		     const char *prog, const char *arg, struct hvmm_mode m, const char *key,
		     double scale, bool *dead)
{
	int cpu = c->cpus[c->ncpus - 1]; /* one CPU, the same for both sides and the hvmm figures */
	struct bench_proc r;
	if (*dead)
		return NAN;
	int rc = side == SIDE_HVMM ? run_hvmm(c, share, prog, arg, m, cpu, &r)
				   : run_native(share, prog, arg, cpu, &r);
	if (rc) {
		*dead = true;
		ovh_note(f->notes, sizeof f->notes, "%s %s could not be started (%s).",
			 side == SIDE_HVMM ? "hvmm +" : "native", prog, strerror(errno));
		return NAN;
	}
	double v = key ? value_of(r.out, key) * scale : r.wall_s * 1e3;
	if (r.status != 0 || !isfinite(v)) {
		char last[200];
		*dead = true;
		v = NAN;
		ovh_note(f->notes, sizeof f->notes,
			 "%s under %s failed (status %d%s: %s): not "
			 "measured.",
			 prog, side == SIDE_HVMM ? "hvmm" : "native", r.status,
			 r.timed_out ? ", timed out" : "", why(r.err, last, sizeof last));
	}
	if (side == SIDE_HVMM && r.status == 0)
		hvmm_stats(f, &r, !key);
	bench_proc_free(&r);
	return v;
}

/* The path of a test program, "" with a TODO note when it was not built. */
static void program(struct ovh_ctx *c, struct ovh_lwk_figs *f, const char *name, char *out,
		    size_t len)
{
	snprintf(out, len, "%s/tests/lwk/%s", c->build, name);
	if (access(out, X_OK) == 0)
		return;
	ovh_note(f->notes, sizeof f->notes,
		 "TODO: %s not built (%s missing): its figure was not "
		 "measured.",
		 name, out);
	out[0] = 0;
}

/* Both sides of one figure for one repetition, hvmm first then native on the same CPU. */
static void pair(struct ovh_ctx *c, struct ovh_lwk_figs *f, struct ovh_lwk_pair *p,
		 const char *share, const char *prog, const char *arg, struct hvmm_mode m,
		 const char *key, double scale)
{
	if (!prog[0])
		return;
	p->hvmm[p->n] = sample(c, f, SIDE_HVMM, share, prog, arg, m, key, scale, &p->dead[0]);
	p->native[p->n] = sample(c, f, SIDE_NATIVE, share, prog, arg, m, key, scale, &p->dead[1]);
	p->n++;
}

void ovh_lwk_figures(struct ovh_ctx *c, struct ovh_lwk_figs *f)
{
	char sys[4400], wr[4400], hello[4400], fast[4400];
	memset(f, 0, sizeof *f);
	for (int i = 0; i < OVH_MAX_REPS; i++) /* NaN: hvmm did not report it */
		f->first_run_ms[i] = f->populate_ms[i] = f->exit_ms[i] = NAN;
	if (access(c->hvmm, X_OK) || access(c->lwk, R_OK)) {
		ovh_note(f->notes, sizeof f->notes,
			 "TODO: hvmm or the lwk not built (%s, %s): the "
			 "lwk figures were not measured.",
			 c->hvmm, c->lwk);
		return;
	}
	program(c, f, "bench_syscall-musl", sys, sizeof sys);
	program(c, f, "bench_write-musl", wr, sizeof wr);
	program(c, f, "hello-musl", hello, sizeof hello);
	program(c, f, "bench_fastcalls-glibc", fast, sizeof fast);
	/* The share: a fresh directory, the working directory of both sides alike. */
	char share[] = "/tmp/ovh-lwk.XXXXXX";
	if (!mkdtemp(share)) {
		ovh_note(f->notes, sizeof f->notes,
			 "cannot create a share in /tmp (%s): the lwk "
			 "figures were not measured.",
			 strerror(errno));
		return;
	}
	/* Enough calls that the clock's resolution and the loop's start are noise. */
	const char *nsys = c->quick ? "100000" : "300000";
	const char *nwr = c->quick ? "2000" : "10000";
	const struct hvmm_mode plain = { 0 }, exit_mode = { .offload = "exit" },
			       ring = { .offload = "ring" }, fast_on = { .fastpath = "on" },
			       fast_off = { .fastpath = "off" };
	for (int rep = 0; rep < c->reps; rep++) {
		ovh_progress(c, "lwk figures: rep %d/%d on CPU %d\n", rep + 1, c->reps,
			     c->cpus[c->ncpus - 1]);
		ovh_check_cpus(c, "the lwk's figures");
		pair(c, f, &f->sys_us, share, sys, nsys, plain, "syscall_roundtrip_ns", 1e-3);
		/* The offloaded write both ways in the same run (issue 15): one exit per call,
		 * and through the ring to the proxy thread. */
		pair(c, f, &f->write_us, share, wr, nwr, exit_mode, "write_64B_us", 1);
		pair(c, f, &f->write_ring_us, share, wr, nwr, ring, "write_64B_us", 1);
		pair(c, f, &f->launch_ms, share, hello, NULL, plain, NULL, 0);
		/* The fast path's calls with it forced on and off, in the same run (issue 15). */
		pair(c, f, &f->getpid_fast_us, share, fast, "getpid", fast_on, "getpid_ns", 1e-3);
		pair(c, f, &f->getpid_trap_us, share, fast, "getpid", fast_off, "getpid_ns", 1e-3);
		pair(c, f, &f->futex_fast_us, share, fast, "futex_wake", fast_on, "futex_wake_ns",
		     1e-3);
		pair(c, f, &f->futex_trap_us, share, fast, "futex_wake", fast_off, "futex_wake_ns",
		     1e-3);
		pair(c, f, &f->omp_fast_us, share, fast, "omp_region", fast_on, "omp_region_ns",
		     1e-3);
		pair(c, f, &f->omp_trap_us, share, fast, "omp_region", fast_off, "omp_region_ns",
		     1e-3);
		pair(c, f, &f->brk_fast_us, share, fast, "brk", fast_on, "brk_ns", 1e-3);
		pair(c, f, &f->brk_trap_us, share, fast, "brk", fast_off, "brk_ns", 1e-3);
	}
	if (rmdir(share))
		ovh_note(f->notes, sizeof f->notes, "the share %s was left behind (%s).", share,
			 strerror(errno));
}
