/*
 * cg: conjugate gradient on the HPCCG problem (Heroux's miniapp), written from its
 * description: a 27-point stencil over an nx*ny*nz grid, 27 on the diagonal and -1 for
 * every neighbour inside the grid. b is A times the all-ones vector, so the exact solution
 * is x = 1 everywhere and the answer can be checked exactly.
 *
 * The matrix is stored ELL-style (27 slots per row) so every thread can build and
 * first-touch its own rows without a serial prefix sum.
 */
#include "common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define SLOTS 27

struct cg {
	uint64_t nx, ny, nz, n, max_iter;
	double tol;
	bool corrupt;
	double *val;   /* n * SLOTS */
	uint32_t *col; /* n * SLOTS */
	uint8_t *cnt;  /* entries used in each row */
	double *b, *x, *r, *p, *ap;
	/* results, written by thread 0 */
	uint64_t iters, nnz;
	double normr0, normr, solve_s, max_err;
};

static void build_rows(struct cg *cg, uint64_t lo, uint64_t hi, uint64_t *nnz)
{
	uint64_t nx = cg->nx, ny = cg->ny, nz = cg->nz, count = 0;
	for (uint64_t row = lo; row < hi; row++) {
		int64_t ix = (int64_t)(row % nx), iy = (int64_t)(row / nx % ny),
			iz = (int64_t)(row / nx / ny);
		double *v = cg->val + row * SLOTS;
		uint32_t *c = cg->col + row * SLOTS;
		int k = 0;
		for (int dz = -1; dz <= 1; dz++)
			for (int dy = -1; dy <= 1; dy++)
				for (int dx = -1; dx <= 1; dx++) {
					int64_t jx = ix + dx, jy = iy + dy, jz = iz + dz;
					if (jx < 0 || jy < 0 || jz < 0 || jx >= (int64_t)nx ||
					    jy >= (int64_t)ny || jz >= (int64_t)nz)
						continue;
					c[k] = (uint32_t)((uint64_t)jx +
							  nx * ((uint64_t)jy + ny * (uint64_t)jz));
					v[k] = (dx | dy | dz) ? -1.0 : 27.0;
					k++;
				}
		for (int s = k; s < SLOTS; s++) { /* touch the padding too, once */
			c[s] = 0;
			v[s] = 0;
		}
		cg->cnt[row] = (uint8_t)k;
		/* b = A * ones: the row sum. */
		cg->b[row] = 27.0 - (double)(k - 1);
		cg->x[row] = 0;
		cg->r[row] = cg->p[row] = cg->ap[row] = 0;
		count += (uint64_t)k;
	}
	*nnz = count;
}

static void spmv(const struct cg *cg, const double *in, double *out, uint64_t lo, uint64_t hi)
{
	for (uint64_t row = lo; row < hi; row++) {
		const double *v = cg->val + row * SLOTS;
		const uint32_t *c = cg->col + row * SLOTS;
		double s = 0;
		for (int k = 0; k < cg->cnt[row]; k++)
			s += v[k] * in[c[k]];
		out[row] = s;
	}
}

static double dot(const double *a, const double *b, uint64_t lo, uint64_t hi)
{
	double s = 0;
	for (uint64_t i = lo; i < hi; i++)
		s += a[i] * b[i];
	return s;
}

static void solve(int tid, int nthreads, void *arg)
{
	struct cg *cg = arg;
	uint64_t lo, hi, nnz;
	wl_split(cg->n, tid, nthreads, &lo, &hi);
	build_rows(cg, lo, hi, &nnz);
	double total_nnz = wl_reduce_sum(tid, (double)nnz);
	if (tid == 0 && cg->corrupt)
		cg->b[cg->n / 2] += 1.0; /* the input no longer matches the known answer */
	wl_barrier();

	double t0 = wl_now();
	/* x0 = 0, so r0 = b. */
	for (uint64_t i = lo; i < hi; i++)
		cg->r[i] = cg->b[i];
	double rtrans = wl_reduce_sum(tid, dot(cg->r, cg->r, lo, hi)), old = 0;
	double normr0 = sqrt(rtrans), normr = normr0;
	uint64_t k = 0;
	while (k < cg->max_iter && normr > cg->tol * normr0) {
		k++;
		double beta = k == 1 ? 0.0 : rtrans / old;
		for (uint64_t i = lo; i < hi; i++)
			cg->p[i] = cg->r[i] + beta * cg->p[i];
		wl_barrier(); /* spmv reads other threads' p */
		spmv(cg, cg->p, cg->ap, lo, hi);
		double pap = wl_reduce_sum(tid, dot(cg->p, cg->ap, lo, hi));
		double alpha = rtrans / pap;
		for (uint64_t i = lo; i < hi; i++) {
			cg->x[i] += alpha * cg->p[i];
			cg->r[i] -= alpha * cg->ap[i];
		}
		old = rtrans;
		rtrans = wl_reduce_sum(tid, dot(cg->r, cg->r, lo, hi));
		normr = sqrt(rtrans);
	}
	double t1 = wl_now();

	double err = 0;
	for (uint64_t i = lo; i < hi; i++)
		err = fmax(err, fabs(cg->x[i] - 1.0));
	err = wl_reduce_max(tid, err);
	if (tid == 0) {
		cg->iters = k;
		cg->nnz = (uint64_t)total_nnz;
		cg->normr0 = normr0;
		cg->normr = normr;
		cg->solve_s = t1 - t0;
		cg->max_err = err;
	}
}

int main(int argc, char **argv)
{
	struct wl_common c;
	uint64_t nx = 0, ny = 0, nz = 0, max_iter = 500;
	double tol = 1e-12;
	const struct wl_opt opts[] = {
		{ "nx", WL_OPT_U64, &nx, "grid points in x (default 64, --small 16)" },
		{ "ny", WL_OPT_U64, &ny, "grid points in y (default nx)" },
		{ "nz", WL_OPT_U64, &nz, "grid points in z (default nx)" },
		{ "max-iter", WL_OPT_U64, &max_iter, "iteration limit (default 500)" },
		{ "tol", WL_OPT_DBL, &tol, "stop when |r| <= tol * |r0| (default 1e-12)" },
		{ NULL, 0, NULL, NULL },
	};
	wl_parse(argc, argv, "cg",
		 "Conjugate gradient on the HPCCG 27-point stencil problem; the exact "
		 "solution is all ones.",
		 opts, &c);
	if (!nx)
		nx = c.small ? 16 : 64;
	if (!ny)
		ny = nx;
	if (!nz)
		nz = nx;
	if ((double)nx * (double)ny * (double)nz > 4e9 / SLOTS) {
		fprintf(stderr, "cg: grid too large\n");
		return WL_EXIT_USAGE;
	}
	if (!(tol >= 0)) {
		fprintf(stderr, "cg: --tol must be >= 0\n");
		return WL_EXIT_USAGE;
	}

	int cpus[WL_MAX_THREADS];
	int ncpus = wl_cpus(cpus, WL_MAX_THREADS);
	int nthreads = c.threads ? (int)c.threads : ncpus;

	struct cg cg = { .nx = nx,
			 .ny = ny,
			 .nz = nz,
			 .n = nx * ny * nz,
			 .max_iter = max_iter,
			 .tol = tol,
			 .corrupt = c.corrupt };
	cg.val = wl_alloc(cg.n * SLOTS * sizeof(double));
	cg.col = wl_alloc(cg.n * SLOTS * sizeof(uint32_t));
	cg.cnt = wl_alloc(cg.n);
	cg.b = wl_alloc(cg.n * sizeof(double));
	cg.x = wl_alloc(cg.n * sizeof(double));
	cg.r = wl_alloc(cg.n * sizeof(double));
	cg.p = wl_alloc(cg.n * sizeof(double));
	cg.ap = wl_alloc(cg.n * sizeof(double));

	wl_say(&c, "cg: %llux%llux%llu grid, %llu rows, %d threads%s\n", (unsigned long long)nx,
	       (unsigned long long)ny, (unsigned long long)nz, (unsigned long long)cg.n, nthreads,
	       c.corrupt ? " (input corrupted on purpose)" : "");
	if (wl_team_run(nthreads, cpus, ncpus, solve, &cg))
		return WL_EXIT_ERROR;

	/* Per iteration: spmv 2*nnz, two dots 2n each, three vector updates 2n each. */
	double flops = (double)cg.iters * (2.0 * (double)cg.nnz + 10.0 * (double)cg.n);
	double mflops = cg.solve_s > 0 ? flops / cg.solve_s / 1e6 : 0;
	double rel = cg.normr0 > 0 ? cg.normr / cg.normr0 : 0;
	bool converged = rel <= tol;
	bool ok = converged && cg.max_err <= 1e-6;
	wl_say(&c, "cg: %llu iterations, residual %.3e (relative %.3e), max |x-1| = %.3e\n",
	       (unsigned long long)cg.iters, cg.normr, rel, cg.max_err);
	wl_say(&c, "cg: %.3f s, %.1f MFLOP/s: %s\n", cg.solve_s, mflops,
	       ok	   ? "verified"
	       : converged ? "WRONG ANSWER"
			   : "DID NOT CONVERGE");

	struct wl_json j;
	wl_json_begin(&j, "cg", ok, nthreads);
	wl_json_int(&j, "nx", (long long)nx);
	wl_json_int(&j, "ny", (long long)ny);
	wl_json_int(&j, "nz", (long long)nz);
	wl_json_int(&j, "nnz", (long long)cg.nnz);
	wl_json_int(&j, "iterations", (long long)cg.iters);
	wl_json_num(&j, "residual", cg.normr);
	wl_json_num(&j, "rel_residual", rel);
	wl_json_num(&j, "max_error", cg.max_err);
	wl_json_num(&j, "solve_s", cg.solve_s);
	wl_json_num(&j, "mflops", mflops);
	wl_json_end(&j, wl_elapsed());
	return ok ? WL_EXIT_OK : WL_EXIT_VERIFY;
}
