/*
 * fwq: the fixed-work-quanta OS-noise probe (Sottile and Minnich; LLNL ASC Sequoia).
 * Every thread, pinned to its own CPU, times the same small unit of work many times with the
 * TSC (no system call inside the timed region, which would itself be noise under a guest
 * kernel). Anything above the fastest quantum is time the OS or the VMM took away.
 *
 * The unit is a dependent LCG chain with a known result; every quantum's result is
 * checked, so a quantum that was skipped or miscomputed fails the run.
 */
#include "common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 10
/* Histogram buckets by quantum duration relative to the thread's fastest quantum. */
static const double bucket_le[NBUCKETS - 1] = { 1.01, 1.02, 1.05, 1.1, 1.2, 1.5, 2, 5, 10 };

struct fwq {
	uint64_t samples, work, seed, expect;
	bool corrupt;
	uint64_t *ticks; /* samples per thread, thread-major */
	uint64_t *bad;	 /* per thread: quanta with a wrong result */
	double tsc0, tsc1, t0, t1;
};

/* The fixed work: the asm keeps the compiler from folding the chain or hoisting it. */
static inline uint64_t quantum(uint64_t x, uint64_t iters)
{
	for (uint64_t i = 0; i < iters; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		__asm__ volatile("" : "+r"(x));
	}
	return x;
}

static void run(int tid, int nthreads, void *arg)
{
	(void)nthreads;
	struct fwq *f = arg;
	uint64_t *t = f->ticks + (uint64_t)tid * f->samples;
	uint64_t bad = 0;
	volatile uint64_t seed = f->seed;     /* read every time: the work cannot be hoisted */
	memset(t, 0, f->samples * sizeof *t); /* fault the sample array in before timing */
	quantum(seed, f->work * 16);	      /* warm up the core's clock */
	wl_barrier();
	if (tid == 0) {
		f->t0 = wl_now();
		f->tsc0 = (double)wl_rdtsc();
	}
	for (uint64_t s = 0; s < f->samples; s++) {
		uint64_t in = seed;
		if (f->corrupt && tid == 0 && s == f->samples / 2)
			in ^= 1; /* test only: one quantum gets the wrong input */
		uint64_t a = wl_rdtsc();
		uint64_t r = quantum(in, f->work);
		uint64_t b = wl_rdtsc();
		t[s] = b - a;
		bad += r != f->expect;
	}
	f->bad[tid] = bad;
	wl_barrier();
	if (tid == 0) {
		f->tsc1 = (double)wl_rdtsc();
		f->t1 = wl_now();
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static uint64_t pct(const uint64_t *v, uint64_t n, double p)
{
	double rank = ceil(p / 100.0 * (double)n);
	uint64_t i = rank < 1 ? 0 : (uint64_t)rank - 1;
	return v[i < n ? i : n - 1];
}

int main(int argc, char **argv)
{
	struct wl_common c;
	uint64_t samples = 0, work = 16384;
	const char *raw = NULL;
	const struct wl_opt opts[] = {
		{ "samples", WL_OPT_U64, &samples, "quanta per CPU (default 20000, --small 2000)" },
		{ "work", WL_OPT_U64, &work,
		  "LCG steps per quantum (default 16384, ~25 us at 2.6 GHz)" },
		{ "raw", WL_OPT_STR, &raw,
		  "write every sample as 'thread cpu index ns' lines to FILE" },
		{ NULL, 0, NULL, NULL },
	};
	wl_parse(argc, argv, "fwq",
		 "Fixed work quanta: OS noise seen by each CPU as lost time per quantum.", opts,
		 &c);
	if (!samples)
		samples = c.small ? 2000 : 20000;
	if (work < 1 || samples < 10 || samples > (1ull << 28)) {
		fprintf(stderr, "fwq: need --work >= 1 and --samples in 10..2^28\n");
		return WL_EXIT_USAGE;
	}
	int cpus[WL_MAX_THREADS];
	int ncpus = wl_cpus(cpus, WL_MAX_THREADS);
	int nthreads = c.threads ? (int)c.threads : ncpus;

	struct fwq f = { .samples = samples, .work = work, .corrupt = c.corrupt };
	f.seed = 0x2545f4914f6cdd1dull;
	f.expect = quantum(f.seed, work);
	f.ticks = wl_alloc((size_t)nthreads * samples * sizeof(uint64_t));
	f.bad = calloc((size_t)nthreads, sizeof *f.bad);
	if (!f.bad)
		return WL_EXIT_ERROR;
	wl_say(&c, "fwq: %d threads x %llu quanta of %llu steps%s\n", nthreads,
	       (unsigned long long)samples, (unsigned long long)work,
	       c.corrupt ? " (input corrupted on purpose)" : "");
	if (wl_team_run(nthreads, cpus, ncpus, run, &f))
		return WL_EXIT_ERROR;

	/* TSC ticks to ns, calibrated against the monotonic clock over the whole run. */
	double ns_per_tick = (f.t1 - f.t0) * 1e9 / (f.tsc1 - f.tsc0);

	if (raw) {
		FILE *out = fopen(raw, "w");
		if (!out) {
			perror(raw);
			return WL_EXIT_ERROR;
		}
		for (int t = 0; t < nthreads; t++)
			for (uint64_t s = 0; s < samples; s++)
				fprintf(out, "%d %d %llu %.1f\n", t, cpus[t % ncpus],
					(unsigned long long)s,
					(double)f.ticks[(uint64_t)t * samples + s] * ns_per_tick);
		if (fclose(out)) {
			perror(raw);
			return WL_EXIT_ERROR;
		}
	}

	/* Noise is judged per CPU against that CPU's own fastest quantum. */
	uint64_t hist[NBUCKETS] = { 0 }, bad = 0;
	double lost = 0, total = 0, max_detour = 0, worst_noise = 0;
	uint64_t gmin = UINT64_MAX, gmax = 0;
	for (int t = 0; t < nthreads; t++) {
		uint64_t *v = f.ticks + (uint64_t)t * samples;
		bad += f.bad[t];
		double tl = 0, tt = 0;
		qsort(v, samples, sizeof *v, cmp_u64);
		for (uint64_t s = 0; s < samples; s++) {
			tl += (double)(v[s] - v[0]);
			tt += (double)v[s];
			int k = 0;
			while (k < NBUCKETS - 1 && (double)v[s] > bucket_le[k] * (double)v[0])
				k++;
			hist[k]++;
		}
		lost += tl;
		total += tt;
		worst_noise = fmax(worst_noise, tt > 0 ? 100.0 * tl / tt : 0);
		max_detour = fmax(max_detour, (double)(v[samples - 1] - v[0]) * ns_per_tick / 1e3);
		gmin = v[0] < gmin ? v[0] : gmin;
		gmax = v[samples - 1] > gmax ? v[samples - 1] : gmax;
		wl_say(&c,
		       "fwq: cpu %3d  min %8.2f us  median %8.2f us  p99.9 %8.2f us  max %9.2f us  "
		       "noise %6.3f %%\n",
		       cpus[t % ncpus], (double)v[0] * ns_per_tick / 1e3,
		       (double)pct(v, samples, 50) * ns_per_tick / 1e3,
		       (double)pct(v, samples, 99.9) * ns_per_tick / 1e3,
		       (double)v[samples - 1] * ns_per_tick / 1e3, tt > 0 ? 100.0 * tl / tt : 0);
	}
	/* Pooled figures over every CPU's samples. */
	uint64_t all = (uint64_t)nthreads * samples;
	qsort(f.ticks, all, sizeof *f.ticks, cmp_u64);
	double us = ns_per_tick / 1e3;
	double median = (double)pct(f.ticks, all, 50) * us,
	       p999 = (double)pct(f.ticks, all, 99.9) * us;
	double noise = total > 0 ? 100.0 * lost / total : 0;
	bool ok = bad == 0 && f.tsc1 > f.tsc0 && gmin > 0;
	wl_say(&c,
	       "fwq: all   min %8.2f us  median %8.2f us  p99.9 %8.2f us  max %9.2f us  "
	       "noise %6.3f %%  max detour %.2f us\n",
	       (double)gmin * us, median, p999, (double)gmax * us, noise, max_detour);
	wl_say(&c, "fwq: histogram (quantum / fastest):");
	for (int k = 0; k < NBUCKETS; k++) {
		if (k < NBUCKETS - 1)
			wl_say(&c, " <=%g:%llu", bucket_le[k], (unsigned long long)hist[k]);
		else
			wl_say(&c, " >%g:%llu\n", bucket_le[k - 1], (unsigned long long)hist[k]);
	}
	wl_say(&c, "fwq: %llu quanta with a wrong result: %s\n", (unsigned long long)bad,
	       ok ? "verified" : "WRONG ANSWER");

	struct wl_json j;
	wl_json_begin(&j, "fwq", ok, nthreads);
	wl_json_int(&j, "samples", (long long)samples);
	wl_json_int(&j, "work", (long long)work);
	wl_json_num(&j, "min_us", (double)gmin * us);
	wl_json_num(&j, "median_us", median);
	wl_json_num(&j, "p999_us", p999);
	wl_json_num(&j, "max_us", (double)gmax * us);
	wl_json_num(&j, "noise_pct", noise);
	wl_json_num(&j, "worst_cpu_noise_pct", worst_noise);
	wl_json_num(&j, "max_detour_us", max_detour);
	wl_json_num(&j, "tsc_mhz", 1e3 / ns_per_tick);
	wl_json_int(&j, "wrong", (long long)bad);
	wl_json_u64s(&j, "hist", hist, NBUCKETS);
	wl_json_end(&j, wl_elapsed());
	return ok ? WL_EXIT_OK : WL_EXIT_VERIFY;
}
