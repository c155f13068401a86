/* Summary statistics (see stats.h). */
#include "bench_stats.h"

#include <math.h>
#include <stdlib.h>

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

struct bench_summary bench_summarize(const double *v, size_t n)
{
	struct bench_summary s = { 0, NAN, NAN, NAN, NAN };
	double *w = malloc((n ? n : 1) * sizeof *w);
	if (!w)
		return s;
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]))
			w[s.n++] = v[i];
	if (s.n) {
		qsort(w, s.n, sizeof *w, cmp);
		s.min = w[0];
		s.max = w[s.n - 1];
		s.median = s.n % 2 ? w[s.n / 2] : (w[s.n / 2 - 1] + w[s.n / 2]) / 2;
		s.spread = s.median != 0 ? (s.max - s.min) / fabs(s.median) : NAN;
	}
	free(w);
	return s;
}

double bench_ratio(double a, double b)
{
	if (!isfinite(a) || !isfinite(b) || b == 0)
		return NAN;
	return a / b;
}

double bench_best_ratio(struct bench_summary a, struct bench_summary b, int higher_better)
{
	return higher_better ? bench_ratio(a.max, b.max) : bench_ratio(a.min, b.min);
}
