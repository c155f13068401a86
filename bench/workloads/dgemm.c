/*
 * dgemm: C = A * B for n x n row-major doubles, cache-blocked, four rows of C at a time so
 * each B row loaded from cache feeds four multiply-adds. Threads own blocks of C rows.
 *
 * A and B are defined by a formula of (row, column), so the check recomputes sampled entries
 * of C from the formula, not from the arrays: a corrupted array is caught. Every row and
 * every column of C is sampled once.
 */
#include "common.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define KB 128 /* k-block: a 128 x 256 block of B is 256 KiB, fits L2 */
#define JB 256 /* j-block: four C row pieces are 8 KiB, fit L1 */

struct mm {
	uint64_t n;
	bool corrupt;
	double *a, *b, *c;
	double seconds, max_err_ratio;
	uint64_t samples, bad;
};

/* Entries in [-1, -0.5] or [0.5, 1]: never near zero, so a corruption always shows. */
static double gen(uint64_t which, uint64_t i, uint64_t j, uint64_t n)
{
	uint64_t h = wl_hash((i * n + j) ^ (which << 56));
	double m = 0.5 + (double)((h >> 11) & 1023) / 2046.0;
	return (h & 1) ? -m : m;
}

static void rows4(const struct mm *m, uint64_t i, uint64_t kk, uint64_t ke, uint64_t jj,
		  uint64_t je)
{
	uint64_t n = m->n;
	double *restrict c0 = m->c + i * n, *restrict c1 = c0 + n, *restrict c2 = c1 + n,
			 *restrict c3 = c2 + n;
	const double *a0 = m->a + i * n, *a1 = a0 + n, *a2 = a1 + n, *a3 = a2 + n;
	for (uint64_t k = kk; k < ke; k++) {
		const double *restrict b = m->b + k * n;
		double x0 = a0[k], x1 = a1[k], x2 = a2[k], x3 = a3[k];
		for (uint64_t j = jj; j < je; j++) {
			double bj = b[j];
			c0[j] += x0 * bj;
			c1[j] += x1 * bj;
			c2[j] += x2 * bj;
			c3[j] += x3 * bj;
		}
	}
}

static void row1(const struct mm *m, uint64_t i, uint64_t kk, uint64_t ke, uint64_t jj, uint64_t je)
{
	uint64_t n = m->n;
	double *restrict c0 = m->c + i * n;
	const double *a0 = m->a + i * n;
	for (uint64_t k = kk; k < ke; k++) {
		const double *restrict b = m->b + k * n;
		double x0 = a0[k];
		for (uint64_t j = jj; j < je; j++)
			c0[j] += x0 * b[j];
	}
}

/* Checks C[i][j] against the formula; returns |error| / allowed error. */
static double check(const struct mm *m, uint64_t i, uint64_t j)
{
	uint64_t n = m->n;
	double ref = 0, mag = 0;
	for (uint64_t k = 0; k < n; k++) {
		double p = gen(0, i, k, n) * gen(1, k, j, n);
		ref += p;
		mag += fabs(p);
	}
	/* Any summation order is within n * eps * sum |a_ik b_kj| of the exact value. */
	double allowed = 2.0 * (double)n * DBL_EPSILON * mag;
	return fabs(m->c[i * n + j] - ref) / allowed;
}

static void run(int tid, int nthreads, void *arg)
{
	struct mm *m = arg;
	uint64_t n = m->n, qlo, qhi;
	wl_split((n + 3) / 4, tid, nthreads, &qlo, &qhi);
	uint64_t lo = qlo * 4 < n ? qlo * 4 : n, hi = qhi * 4 < n ? qhi * 4 : n;
	for (uint64_t i = lo; i < hi; i++)
		for (uint64_t j = 0; j < n; j++) {
			m->a[i * n + j] = gen(0, i, j, n);
			m->b[i * n + j] = gen(1, i, j, n);
			m->c[i * n + j] = 0;
		}
	if (tid == 0 && m->corrupt)
		m->a[n / 3 * n + n / 2] += 1000.0;
	wl_barrier();

	double t0 = wl_now();
	for (uint64_t kk = 0; kk < n; kk += KB) {
		uint64_t ke = kk + KB < n ? kk + KB : n;
		for (uint64_t jj = 0; jj < n; jj += JB) {
			uint64_t je = jj + JB < n ? jj + JB : n;
			uint64_t i = lo;
			for (; i + 4 <= hi; i += 4)
				rows4(m, i, kk, ke, jj, je);
			for (; i < hi; i++)
				row1(m, i, kk, ke, jj, je);
		}
	}
	wl_barrier();
	double t1 = wl_now();

	/* Sample s < n: row s at a hashed column; sample n + s: column s at a hashed row. */
	uint64_t slo, shi, bad = 0;
	double worst = 0;
	wl_split(2 * n, tid, nthreads, &slo, &shi);
	for (uint64_t s = slo; s < shi; s++) {
		uint64_t i = s < n ? s : wl_hash(s) % n;
		uint64_t j = s < n ? wl_hash(s) % n : s - n;
		double r = check(m, i, j);
		if (!(r <= 1.0))
			bad++;
		worst = fmax(worst, r);
	}
	double nbad = wl_reduce_sum(tid, (double)bad);
	worst = wl_reduce_max(tid, worst);
	if (tid == 0) {
		m->seconds = t1 - t0;
		m->bad = (uint64_t)nbad;
		m->samples = 2 * n;
		m->max_err_ratio = worst;
	}
}

int main(int argc, char **argv)
{
	struct wl_common c;
	uint64_t n = 0;
	const struct wl_opt opts[] = {
		{ "n", WL_OPT_U64, &n, "matrix order (default 2048, --small 101)" },
		{ NULL, 0, NULL, NULL },
	};
	wl_parse(argc, argv, "dgemm", "Blocked double-precision C = A * B, sampled check.", opts,
		 &c);
	if (!n)
		n = c.small ? 101 : 2048;
	if (n < 2 || n > 65536) {
		fprintf(stderr, "dgemm: --n must be 2..65536\n");
		return WL_EXIT_USAGE;
	}
	int cpus[WL_MAX_THREADS];
	int ncpus = wl_cpus(cpus, WL_MAX_THREADS);
	int nthreads = c.threads ? (int)c.threads : ncpus;

	struct mm m = { .n = n, .corrupt = c.corrupt };
	m.a = wl_alloc(n * n * sizeof(double));
	m.b = wl_alloc(n * n * sizeof(double));
	m.c = wl_alloc(n * n * sizeof(double));
	wl_say(&c, "dgemm: n = %llu, %d threads%s\n", (unsigned long long)n, nthreads,
	       c.corrupt ? " (input corrupted on purpose)" : "");
	if (wl_team_run(nthreads, cpus, ncpus, run, &m))
		return WL_EXIT_ERROR;

	double gflops =
		m.seconds > 0 ? 2.0 * (double)n * (double)n * (double)n / m.seconds / 1e9 : 0;
	bool ok = m.bad == 0;
	wl_say(&c, "dgemm: %.3f s, %.2f GFLOP/s\n", m.seconds, gflops);
	wl_say(&c, "dgemm: %llu of %llu sampled entries wrong (worst error %.2g of allowed): %s\n",
	       (unsigned long long)m.bad, (unsigned long long)m.samples, m.max_err_ratio,
	       ok ? "verified" : "WRONG ANSWER");

	struct wl_json j;
	wl_json_begin(&j, "dgemm", ok, nthreads);
	wl_json_int(&j, "n", (long long)n);
	wl_json_num(&j, "gflops", gflops);
	wl_json_num(&j, "compute_s", m.seconds);
	wl_json_int(&j, "samples", (long long)m.samples);
	wl_json_int(&j, "wrong", (long long)m.bad);
	wl_json_num(&j, "worst_error_ratio", m.max_err_ratio);
	wl_json_end(&j, wl_elapsed());
	return ok ? WL_EXIT_OK : WL_EXIT_VERIFY;
}
