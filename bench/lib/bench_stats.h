/* Summary statistics over repeated runs: median and spread, robust to a few bad runs. */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stddef.h>

struct bench_summary {
	size_t n; /* finite samples used */
	double median, min, max;
	double spread; /* (max - min) / median, as a fraction; NaN when n == 0 or median == 0 */
};

/* Summarises v[0..n), skipping NaNs. v is not modified. */
struct bench_summary bench_summarize(const double *v, size_t n);

/* a / b, NaN when either is NaN or b == 0. */
double bench_ratio(double a, double b);

/*
 * Ratio of the best runs: max/max when higher is better, min/min otherwise. Interference
 * from other tenants only ever makes a run worse, so on a shared host the best runs show
 * what each peer can do, where the medians also show how often it was disturbed.
 */
double bench_best_ratio(struct bench_summary a, struct bench_summary b, int higher_better);

#endif
