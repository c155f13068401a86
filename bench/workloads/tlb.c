/*
 * tlb: a dependent pointer chase with one hop per page, in random page order. Almost every
 * hop misses the TLB once the region is larger than the TLB's reach, so the time per hop
 * shows what an address translation costs: native 4 KiB pages, native THP, or a VM's
 * nested/shadow translation. It is the probe behind the memory-backing analysis in
 * docs/performance.md (the compute workloads only show its effect indirectly).
 *
 * Each thread chases its own cycle through its own share of the region. The cycle visits
 * every page exactly once, which is the answer checked: its length and the sum of the page
 * numbers it visits.
 */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct tlb {
	uint64_t bytes_per_thread, stride, pages, steps, reps;
	bool corrupt, no_thp;
	char **region;	 /* per thread */
	double *best_ns; /* per thread: best ns per hop over the repetitions */
	uint64_t *bad;	 /* per thread: 0 when its cycle verified */
};

/*
 * The hop's slot within page p: lines spread over the page, so that successive hops do not
 * all land in the same cache set (page-aligned slots would make it a cache-conflict test).
 */
static inline char *slot(char *base, uint64_t stride, uint64_t p)
{
	uint64_t lines = stride / 64;
	return base + p * stride + (wl_hash(p) % lines) * 64;
}

/* Links the pages of base into one random cycle (Sattolo's shuffle), starting at page 0. */
static void build_cycle(char *base, uint64_t stride, uint64_t n, uint64_t seed, bool corrupt)
{
	uint64_t *order = malloc(n * sizeof *order);
	if (!order) {
		fprintf(stderr, "tlb: out of memory for the page order\n");
		exit(WL_EXIT_ERROR);
	}
	for (uint64_t i = 0; i < n; i++)
		order[i] = i;
	for (uint64_t i = n - 1; i > 0; i--) {
		uint64_t j = wl_hash(seed ^ i) % i; /* j < i: one single cycle */
		uint64_t t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	/* order is a cyclic permutation: page p links to page order[p]. */
	for (uint64_t p = 0; p < n; p++)
		*(char **)slot(base, stride, p) = slot(base, stride, order[p]);
	if (corrupt && n > 2) /* test only: a short-cut that drops pages from the cycle */
		*(char **)slot(base, stride, order[0]) = slot(base, stride, 0);
	free(order);
}

/* Walks the cycle from page 0 once: bad unless it has n pages and visits each once. */
static uint64_t verify_cycle(char *base, uint64_t stride, uint64_t n)
{
	char *start = slot(base, stride, 0), *p = start;
	uint64_t len = 0, sum = 0;
	do {
		uint64_t page = (uint64_t)(p - base) / stride;
		if (page >= n)
			return 1;
		sum += page;
		len++;
		p = *(char **)p;
	} while (p != start && len <= n);
	return !(len == n && sum == n * (n - 1) / 2);
}

static void run(int tid, int nthreads, void *arg)
{
	(void)nthreads;
	struct tlb *t = arg;
	char *base = t->region[tid];
	madvise(base, t->bytes_per_thread, t->no_thp ? MADV_NOHUGEPAGE : MADV_HUGEPAGE);
	memset(base, 0, t->bytes_per_thread); /* first touch on this thread's CPU */
	build_cycle(base, t->stride, t->pages, 0x9e3779b9u * (uint64_t)(tid + 1),
		    t->corrupt && tid == 0);
	wl_barrier();
	double best = 1e300;
	char *p = slot(base, t->stride, 0);
	for (uint64_t r = 0; r < t->reps; r++) {
		double t0 = wl_now();
		for (uint64_t s = 0; s < t->steps; s++)
			p = *(char **)p;
		double dt = wl_now() - t0;
		if (dt < best)
			best = dt;
	}
	__asm__ volatile("" : : "r"(p)); /* the chase's result is used */
	t->best_ns[tid] = best * 1e9 / (double)t->steps;
	t->bad[tid] = verify_cycle(base, t->stride, t->pages);
	wl_barrier();
}

int main(int argc, char **argv)
{
	struct wl_common c;
	uint64_t size = 0, stride = 4096, steps = 0, reps = 3;
	bool no_thp = false;
	const struct wl_opt opts[] = {
		{ "size", WL_OPT_U64, &size,
		  "region in bytes, split over the threads (default 512M, --small 8M)" },
		{ "stride", WL_OPT_U64, &stride,
		  "bytes per hop: the page size probed (default 4k)" },
		{ "steps", WL_OPT_U64, &steps, "hops per repetition (default 4M, --small 100k)" },
		{ "reps", WL_OPT_U64, &reps, "repetitions, best reported (default 3)" },
		{ "no-thp", WL_OPT_FLAG, &no_thp,
		  "advise the kernel against THP (native 4 KiB pages)" },
		{ NULL, 0, NULL, NULL },
	};
	wl_parse(argc, argv, "tlb",
		 "Page-stride pointer chase: the cost of an address translation (TLB miss).", opts,
		 &c);
	if (!size)
		size = c.small ? 8ull << 20 : 512ull << 20;
	if (!steps)
		steps = c.small ? 100000 : 4000000;
	if (stride < 64 || stride % 64 || reps < 1 || reps > 1000 || steps < 1) {
		fprintf(stderr,
			"tlb: need --stride a multiple of 64, --reps in 1..1000, --steps >= 1\n");
		return WL_EXIT_USAGE;
	}
	int cpus[WL_MAX_THREADS];
	int ncpus = wl_cpus(cpus, WL_MAX_THREADS);
	int nthreads = c.threads ? (int)c.threads : ncpus;

	struct tlb t = { .stride = stride,
			 .steps = steps,
			 .reps = reps,
			 .corrupt = c.corrupt,
			 .no_thp = no_thp };
	t.bytes_per_thread = size / (uint64_t)nthreads / stride * stride;
	t.pages = t.bytes_per_thread / stride;
	if (t.pages < 2) {
		fprintf(stderr, "tlb: --size too small for %d threads at stride %llu\n", nthreads,
			(unsigned long long)stride);
		return WL_EXIT_USAGE;
	}
	t.region = calloc((size_t)nthreads, sizeof *t.region);
	t.best_ns = calloc((size_t)nthreads, sizeof *t.best_ns);
	t.bad = calloc((size_t)nthreads, sizeof *t.bad);
	if (!t.region || !t.best_ns || !t.bad)
		return WL_EXIT_ERROR;
	for (int i = 0; i < nthreads; i++)
		t.region[i] = wl_alloc(t.bytes_per_thread);
	wl_say(&c, "tlb: %d threads x %llu pages of %llu bytes, %llu hops x %llu reps%s%s\n",
	       nthreads, (unsigned long long)t.pages, (unsigned long long)stride,
	       (unsigned long long)steps, (unsigned long long)reps, no_thp ? ", THP off" : "",
	       c.corrupt ? " (input corrupted on purpose)" : "");
	if (wl_team_run(nthreads, cpus, ncpus, run, &t))
		return WL_EXIT_ERROR;

	double ns = 0;
	uint64_t bad = 0;
	for (int i = 0; i < nthreads; i++) {
		ns += t.best_ns[i] / nthreads;
		bad += t.bad[i];
		wl_say(&c, "tlb: cpu %3d  %.2f ns per hop\n", cpus[i % ncpus], t.best_ns[i]);
	}
	bool ok = bad == 0;
	wl_say(&c, "tlb: %.2f ns per hop (mean of the threads' best); cycles %s\n", ns,
	       ok ? "verified" : "WRONG");

	struct wl_json j;
	wl_json_begin(&j, "tlb", ok, nthreads);
	wl_json_int(&j, "pages", (long long)t.pages);
	wl_json_int(&j, "stride", (long long)stride);
	wl_json_int(&j, "wrong", (long long)bad);
	wl_json_bool(&j, "thp_advised", !no_thp);
	wl_json_num(&j, "ns_per_hop", ns);
	wl_json_end(&j, wl_elapsed());
	return ok ? WL_EXIT_OK : WL_EXIT_VERIFY;
}
