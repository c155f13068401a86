/* Shared helpers for the bench workloads (see common.h). */
#include "common.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

/* ---- options ---- */

int wl_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	unsigned shift = 0;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	default:
		break;
	}
	if (*end || (shift && v > (~0ull >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static void usage(const char *name, const char *about, const struct wl_opt *opts, FILE *f)
{
	fprintf(f, "usage: %s [options]\n%s\n\noptions:\n", name, about);
	for (const struct wl_opt *o = opts; o && o->name; o++) {
		const char *arg = o->type == WL_OPT_FLAG  ? ""
				  : o->type == WL_OPT_STR ? " STR"
							  : " N";
		char left[64];
		snprintf(left, sizeof left, "--%s%s", o->name, arg);
		fprintf(f, "  %-22s %s\n", left, o->help);
	}
	fprintf(f, "  %-22s %s\n", "--threads N",
		"threads (default: one per CPU in the affinity mask)");
	fprintf(f, "  %-22s %s\n", "--small", "tiny problem size, for tests");
	fprintf(f, "  %-22s %s\n", "--corrupt",
		"TEST ONLY: corrupt the input; verification must fail");
	fprintf(f, "  %-22s %s\n", "--quiet", "print only the JSON result line");
	fprintf(f, "  %-22s %s\n", "--help", "this text");
	fprintf(f, "\nThe last line of output is one JSON object. Exit status: 0 verified, "
		   "1 wrong answer, 2 bad option, 3 error.\n");
}

static int set_opt(const struct wl_opt *o, const char *val)
{
	switch (o->type) {
	case WL_OPT_FLAG:
		*(bool *)o->dst = true;
		return 0;
	case WL_OPT_U64:
		return wl_parse_u64(val, o->dst);
	case WL_OPT_DBL: {
		char *end;
		errno = 0;
		double d = strtod(val, &end);
		if (errno || end == val || *end)
			return -1;
		*(double *)o->dst = d;
		return 0;
	}
	case WL_OPT_STR:
		*(const char **)o->dst = val;
		return 0;
	}
	return -1;
}

void wl_parse(int argc, char **argv, const char *name, const char *about, const struct wl_opt *opts,
	      struct wl_common *c)
{
	const struct wl_opt common[] = {
		{ "threads", WL_OPT_U64, &c->threads, NULL },
		{ "small", WL_OPT_FLAG, &c->small, NULL },
		{ "corrupt", WL_OPT_FLAG, &c->corrupt, NULL },
		{ "quiet", WL_OPT_FLAG, &c->quiet, NULL },
	};
	memset(c, 0, sizeof *c);
	wl_elapsed(); /* start the clock */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(name, about, opts, stdout);
			exit(0);
		}
		if (strncmp(a, "--", 2)) {
			fprintf(stderr, "%s: unexpected argument '%s' (try --help)\n", name, a);
			exit(WL_EXIT_USAGE);
		}
		a += 2;
		const char *eq = strchr(a, '=');
		size_t klen = eq ? (size_t)(eq - a) : strlen(a);
		const struct wl_opt *o = NULL;
		for (const struct wl_opt *p = opts; p && p->name && !o; p++)
			if (strlen(p->name) == klen && !strncmp(p->name, a, klen))
				o = p;
		for (size_t k = 0; k < sizeof common / sizeof common[0] && !o; k++)
			if (strlen(common[k].name) == klen && !strncmp(common[k].name, a, klen))
				o = &common[k];
		if (!o) {
			fprintf(stderr, "%s: unknown option '%s' (try --help)\n", name, argv[i]);
			exit(WL_EXIT_USAGE);
		}
		const char *val = NULL;
		if (o->type != WL_OPT_FLAG) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else {
				fprintf(stderr, "%s: --%s needs a value\n", name, o->name);
				exit(WL_EXIT_USAGE);
			}
		} else if (eq) {
			fprintf(stderr, "%s: --%s takes no value\n", name, o->name);
			exit(WL_EXIT_USAGE);
		}
		if (set_opt(o, val)) {
			fprintf(stderr, "%s: bad value '%s' for --%s\n", name, val, o->name);
			exit(WL_EXIT_USAGE);
		}
	}
	if (c->threads > WL_MAX_THREADS) {
		fprintf(stderr, "%s: at most %d threads\n", name, WL_MAX_THREADS);
		exit(WL_EXIT_USAGE);
	}
}

/* ---- CPUs ---- */

int wl_cpus(int *list, int max)
{
	cpu_set_t set;
	int n = 0;
	if (sched_getaffinity(0, sizeof set, &set) == 0) {
		for (int cpu = 0; cpu < CPU_SETSIZE && n < max; cpu++)
			if (CPU_ISSET(cpu, &set))
				list[n++] = cpu;
	}
	if (n == 0) { /* no affinity support (or an empty answer): assume one CPU */
		list[0] = 0;
		n = 1;
	}
	return n;
}

/* ---- the thread team ---- */

struct team_arg {
	int tid, nthreads, cpu;
	wl_team_fn fn;
	void *arg;
};

static struct {
	_Alignas(64) atomic_uint count;
	_Alignas(64) atomic_uint gen;
	int n;
	atomic_bool unpinned;
} team;

/* One padded slot per thread for reductions, so threads do not share cache lines. */
static struct {
	_Alignas(64) double v;
} slots[WL_MAX_THREADS];

static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof set, &set))
		atomic_store(&team.unpinned, true);
}

static void *team_main(void *p)
{
	struct team_arg *a = p;
	pin(a->cpu);
	a->fn(a->tid, a->nthreads, a->arg);
	return NULL;
}

int wl_team_run(int nthreads, const int *cpus, int ncpus, wl_team_fn fn, void *arg)
{
	static pthread_t tids[WL_MAX_THREADS];
	static struct team_arg args[WL_MAX_THREADS];
	if (nthreads < 1 || nthreads > WL_MAX_THREADS || ncpus < 1)
		return -1;
	atomic_store(&team.count, 0);
	atomic_store(&team.gen, 0);
	atomic_store(&team.unpinned, false);
	team.n = nthreads;

	/* Pin the caller first so the threads it creates start near their CPUs. */
	cpu_set_t saved;
	int have_saved = sched_getaffinity(0, sizeof saved, &saved) == 0;
	pin(cpus[0]);
	int started = 1;
	for (int t = 1; t < nthreads; t++) {
		args[t] = (struct team_arg){ t, nthreads, cpus[t % ncpus], fn, arg };
		if (pthread_create(&tids[t], NULL, team_main, &args[t]))
			break;
		started++;
	}
	if (started != nthreads) {
		/* Threads already started wait in a barrier that can never fill: cannot recover. */
		fprintf(stderr, "thread creation failed after %d threads\n", started);
		exit(WL_EXIT_ERROR);
	}
	fn(0, nthreads, arg);
	for (int t = 1; t < nthreads; t++)
		pthread_join(tids[t], NULL);
	if (have_saved)
		sched_setaffinity(0, sizeof saved, &saved);
	return 0;
}

bool wl_team_pinned(void)
{
	return !atomic_load(&team.unpinned);
}

void wl_barrier(void)
{
	if (team.n <= 1)
		return;
	unsigned gen = atomic_load_explicit(&team.gen, memory_order_acquire);
	if (atomic_fetch_add_explicit(&team.count, 1, memory_order_acq_rel) ==
	    (unsigned)team.n - 1) {
		/* Last one in: reset before releasing, nobody can arrive before the release. */
		atomic_store_explicit(&team.count, 0, memory_order_relaxed);
		atomic_fetch_add_explicit(&team.gen, 1, memory_order_release);
		return;
	}
	/* Spin: each thread owns its CPU in an HPC run. Yield eventually in case it does not. */
	for (unsigned spins = 0; atomic_load_explicit(&team.gen, memory_order_acquire) == gen;
	     spins++) {
		if (spins < 20000) /* ~0.5 ms */
			__builtin_ia32_pause();
		else
			sched_yield();
	}
}

double wl_reduce_sum(int tid, double v)
{
	slots[tid].v = v;
	wl_barrier();
	double s = 0;
	for (int t = 0; t < team.n; t++) /* same order everywhere: same rounding everywhere */
		s += slots[t].v;
	wl_barrier(); /* nobody overwrites a slot before everyone has read it */
	return s;
}

double wl_reduce_max(int tid, double v)
{
	slots[tid].v = v;
	wl_barrier();
	double m = slots[0].v;
	for (int t = 1; t < team.n; t++)
		m = fmax(m, slots[t].v);
	wl_barrier();
	return m;
}

void wl_split(uint64_t n, int tid, int nthreads, uint64_t *lo, uint64_t *hi)
{
	uint64_t base = n / (uint64_t)nthreads, rem = n % (uint64_t)nthreads;
	uint64_t t = (uint64_t)tid;
	*lo = t * base + (t < rem ? t : rem);
	*hi = *lo + base + (t < rem ? 1 : 0);
}

/* ---- memory and time ---- */

#define WL_HUGE (2u << 20)

void *wl_alloc(size_t bytes)
{
	size_t len = (bytes + WL_HUGE - 1) / WL_HUGE * WL_HUGE;
	if (len == 0)
		len = WL_HUGE;
	void *p = aligned_alloc(WL_HUGE, len);
	if (!p) {
		fprintf(stderr, "out of memory (%zu bytes)\n", len);
		exit(WL_EXIT_ERROR);
	}
	/* Give native runs their best case (THP), as the guest gets large pages too. */
	madvise(p, len, MADV_HUGEPAGE);
	return p;
}

void wl_free(void *p)
{
	free(p);
}

double wl_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double wl_elapsed(void)
{
	static double start = -1;
	if (start < 0)
		start = wl_now();
	return wl_now() - start;
}

/* ---- output ---- */

void wl_say(const struct wl_common *c, const char *fmt, ...)
{
	if (c->quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

static void jput(struct wl_json *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void jput(struct wl_json *j, const char *fmt, ...)
{
	if (j->overflow)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(j->buf + j->len, sizeof j->buf - j->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof j->buf - j->len)
		j->overflow = true;
	else
		j->len += (size_t)n;
}

static void jkey(struct wl_json *j, const char *key)
{
	jput(j, ",\"%s\":", key);
}

void wl_json_begin(struct wl_json *j, const char *workload, bool ok, int threads)
{
	j->len = 0;
	j->overflow = false;
	jput(j, "{\"workload\":\"%s\",\"ok\":%s,\"threads\":%d,\"pinned\":%s", workload,
	     ok ? "true" : "false", threads, wl_team_pinned() ? "true" : "false");
}

void wl_json_num(struct wl_json *j, const char *key, double v)
{
	jkey(j, key);
	if (isfinite(v))
		jput(j, "%.9g", v);
	else
		jput(j, "null"); /* JSON has no NaN or infinity */
}

void wl_json_int(struct wl_json *j, const char *key, long long v)
{
	jkey(j, key);
	jput(j, "%lld", v);
}

void wl_json_str(struct wl_json *j, const char *key, const char *v)
{
	jkey(j, key);
	jput(j, "\"");
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			jput(j, "\\%c", *p);
		else if ((unsigned char)*p < 0x20)
			jput(j, "\\u%04x", (unsigned char)*p);
		else
			jput(j, "%c", *p);
	}
	jput(j, "\"");
}

void wl_json_bool(struct wl_json *j, const char *key, bool v)
{
	jkey(j, key);
	jput(j, v ? "true" : "false");
}

void wl_json_u64s(struct wl_json *j, const char *key, const uint64_t *v, size_t n)
{
	jkey(j, key);
	jput(j, "[");
	for (size_t i = 0; i < n; i++)
		jput(j, "%s%llu", i ? "," : "", (unsigned long long)v[i]);
	jput(j, "]");
}

void wl_json_end(struct wl_json *j, double seconds)
{
	wl_json_num(j, "seconds", seconds);
	jput(j, "}");
	if (j->overflow) /* never print half an object */
		printf("{\"workload\":\"error\",\"ok\":false,\"error\":\"result line too "
		       "long\"}\n");
	else
		printf("%s\n", j->buf);
	fflush(stdout);
}
