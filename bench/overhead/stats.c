/* Summary statistics (see stats.h). */
#include "stats.h"

#include <math.h>
#include <stdlib.h>

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

struct ovh_summary ovh_summarize(const double *v, size_t n)
{
	struct ovh_summary s = { 0, NAN, NAN, NAN, NAN };
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

double ovh_ratio(double a, double b)
{
	if (!isfinite(a) || !isfinite(b) || b == 0)
		return NAN;
	return a / b;
}

double ovh_best_ratio(struct ovh_summary a, struct ovh_summary b, int higher_better)
{
	return higher_better ? ovh_ratio(a.max, b.max) : ovh_ratio(a.min, b.min);
}
