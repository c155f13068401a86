/*
 * stream: McCalpin's four kernels (copy, scale, add, triad), written from the STREAM rules:
 * each array well beyond the last-level cache (default 20M doubles = 160 MB per array,
 * 5x a 32 MiB L3), the best time of several repetitions with the first one discarded,
 * bytes counted as STREAM counts them, and every array checked at the end against the
 * same operations replayed on scalars.
 */
#include "common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum {
	COPY,
	SCALE,
	ADD,
	TRIAD,
	NK
};
static const char *const kname[NK] = { "copy", "scale", "add", "triad" };
static const double kbytes[NK] = { 2, 2, 3, 3 }; /* arrays moved per element */

#define MAX_REPS 64

struct st {
	uint64_t n, reps;
	bool corrupt;
	double *a, *b, *c;
	double scalar;
	double t[NK][MAX_REPS]; /* per repetition, written by thread 0 */
	double max_rel_err;
};

static void run(int tid, int nthreads, void *arg)
{
	struct st *s = arg;
	uint64_t lo, hi;
	wl_split(s->n, tid, nthreads, &lo, &hi);
	double *restrict a = s->a, *restrict b = s->b, *restrict c = s->c;
	const double q = s->scalar;
	for (uint64_t i = lo; i < hi; i++) { /* first touch: each thread owns its slice */
		a[i] = 1.0;
		b[i] = 2.0;
		c[i] = 0.0;
	}
	if (tid == 0 && s->corrupt)
		a[s->n / 3] = 1.5;
	for (uint64_t r = 0; r < s->reps; r++) {
		double t;
		wl_barrier();
		t = wl_now();
		for (uint64_t i = lo; i < hi; i++)
			c[i] = a[i];
		wl_barrier();
		if (tid == 0)
			s->t[COPY][r] = wl_now() - t;
		t = wl_now();
		for (uint64_t i = lo; i < hi; i++)
			b[i] = q * c[i];
		wl_barrier();
		if (tid == 0)
			s->t[SCALE][r] = wl_now() - t;
		t = wl_now();
		for (uint64_t i = lo; i < hi; i++)
			c[i] = a[i] + b[i];
		wl_barrier();
		if (tid == 0)
			s->t[ADD][r] = wl_now() - t;
		t = wl_now();
		for (uint64_t i = lo; i < hi; i++)
			a[i] = b[i] + q * c[i];
		wl_barrier();
		if (tid == 0)
			s->t[TRIAD][r] = wl_now() - t;
	}

	/* Replay on scalars, then compare every element. */
	double ea = 1.0, eb = 2.0, ec = 0.0;
	for (uint64_t r = 0; r < s->reps; r++) {
		ec = ea;
		eb = q * ec;
		ec = ea + eb;
		ea = eb + q * ec;
	}
	double err = 0;
	for (uint64_t i = lo; i < hi; i++) {
		err = fmax(err, fabs(a[i] - ea) / ea);
		err = fmax(err, fabs(b[i] - eb) / eb);
		err = fmax(err, fabs(c[i] - ec) / ec);
	}
	err = wl_reduce_max(tid, err);
	if (tid == 0)
		s->max_rel_err = err;
}

int main(int argc, char **argv)
{
	struct wl_common c;
	uint64_t n = 0, reps = 10;
	const struct wl_opt opts[] = {
		{ "n", WL_OPT_U64, &n, "elements per array (default 20M, --small 100k)" },
		{ "reps", WL_OPT_U64, &reps,
		  "repetitions, best of reps-1 reported (default 10, 2..64)" },
		{ NULL, 0, NULL, NULL },
	};
	wl_parse(argc, argv, "stream",
		 "STREAM copy, scale, add and triad over three arrays of doubles.", opts, &c);
	if (!n)
		n = c.small ? 100000 : 20000000;
	if (n < 1 || n > (1ull << 34)) {
		fprintf(stderr, "stream: --n must be 1..2^34\n");
		return WL_EXIT_USAGE;
	}
	if (reps < 2 || reps > MAX_REPS) {
		fprintf(stderr, "stream: --reps must be 2..%d\n", MAX_REPS);
		return WL_EXIT_USAGE;
	}
	int cpus[WL_MAX_THREADS];
	int ncpus = wl_cpus(cpus, WL_MAX_THREADS);
	int nthreads = c.threads ? (int)c.threads : ncpus;

	struct st s = { .n = n, .reps = reps, .corrupt = c.corrupt, .scalar = 3.0 };
	s.a = wl_alloc(n * sizeof(double));
	s.b = wl_alloc(n * sizeof(double));
	s.c = wl_alloc(n * sizeof(double));
	wl_say(&c, "stream: %llu elements per array (%.1f MB each), %llu reps, %d threads%s\n",
	       (unsigned long long)n, (double)n * 8 / 1e6, (unsigned long long)reps, nthreads,
	       c.corrupt ? " (input corrupted on purpose)" : "");
	if (wl_team_run(nthreads, cpus, ncpus, run, &s))
		return WL_EXIT_ERROR;

	double best[NK], avg[NK];
	for (int k = 0; k < NK; k++) {
		double mn = INFINITY, sum = 0;
		for (uint64_t r = 1; r < reps; r++) { /* the first repetition warms up */
			mn = fmin(mn, s.t[k][r]);
			sum += s.t[k][r];
		}
		double bytes = kbytes[k] * 8.0 * (double)n;
		best[k] = mn > 0 ? bytes / mn / 1e9 : 0;
		avg[k] = sum > 0 ? bytes / (sum / (double)(reps - 1)) / 1e9 : 0;
		wl_say(&c, "stream: %-5s best %8.2f GB/s  avg %8.2f GB/s\n", kname[k], best[k],
		       avg[k]);
	}
	bool ok = s.max_rel_err <= 1e-13;
	wl_say(&c, "stream: max relative error %.3e: %s\n", s.max_rel_err,
	       ok ? "verified" : "WRONG ANSWER");

	struct wl_json j;
	wl_json_begin(&j, "stream", ok, nthreads);
	wl_json_int(&j, "n", (long long)n);
	wl_json_int(&j, "reps", (long long)reps);
	for (int k = 0; k < NK; k++) {
		char key[32];
		snprintf(key, sizeof key, "%s_gbs", kname[k]);
		wl_json_num(&j, key, best[k]);
		snprintf(key, sizeof key, "%s_avg_gbs", kname[k]);
		wl_json_num(&j, key, avg[k]);
	}
	wl_json_num(&j, "max_rel_error", s.max_rel_err);
	wl_json_end(&j, wl_elapsed());
	return ok ? WL_EXIT_OK : WL_EXIT_VERIFY;
}
