/*
 * Shared helpers for the bench workloads: options, CPUs, a spinning thread team, timing and
 * the one-line JSON result. The workloads run natively and under the lwk, so nothing here
 * uses fork, signals, /proc or /sys.
 */
#ifndef WL_COMMON_H
#define WL_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WL_MAX_THREADS 256

/* Exit statuses shared by every workload. */
#define WL_EXIT_OK 0
#define WL_EXIT_VERIFY 1 /* the answer was wrong */
#define WL_EXIT_USAGE 2	 /* bad option */
#define WL_EXIT_ERROR 3	 /* out of memory, thread creation failed, ... */

/* ---- options ---- */
enum wl_opt_type {
	WL_OPT_FLAG,
	WL_OPT_U64,
	WL_OPT_DBL,
	WL_OPT_STR
};

struct wl_opt {
	const char *name; /* long name without "--" */
	enum wl_opt_type type;
	void *dst; /* bool *, uint64_t *, double * or const char ** */
	const char *help;
};

/* Options every workload accepts (filled by wl_parse). */
struct wl_common {
	uint64_t threads; /* 0: one per CPU in the affinity mask */
	bool small;	  /* tiny problem for tests */
	bool corrupt;	  /* test only: corrupt the input so verification must fail */
	bool quiet;	  /* only the JSON line */
};

/*
 * Parses argv against opts (terminated by a {NULL} entry) plus the common options
 * --threads, --small, --corrupt, --quiet and --help. Accepts "--name value" and
 * "--name=value"; sizes take k/m/g suffixes. Prints help and exits 0 on --help,
 * exits WL_EXIT_USAGE on anything it does not understand.
 */
void wl_parse(int argc, char **argv, const char *name, const char *about, const struct wl_opt *opts,
	      struct wl_common *common);

/* Parses "123", "4k", "16M", "1g" (binary multiples). Returns 0 or -1. */
int wl_parse_u64(const char *s, uint64_t *out);

/* ---- CPUs and the thread team ---- */

/* CPUs in the calling thread's affinity mask, ascending; returns how many (>= 1). */
int wl_cpus(int *list, int max);

/*
 * Runs fn(tid, nthreads, arg) on nthreads threads (the caller is tid 0), thread tid pinned to
 * cpus[tid % ncpus]. Returns 0, or -1 if threads could not be created. Pinning is best
 * effort; wl_team_pinned() says whether every thread got its CPU.
 */
typedef void (*wl_team_fn)(int tid, int nthreads, void *arg);
int wl_team_run(int nthreads, const int *cpus, int ncpus, wl_team_fn fn, void *arg);
bool wl_team_pinned(void);

/* Team barrier: spins (threads own their CPUs in HPC runs), yields after a while. */
void wl_barrier(void);

/* Sum / max of v over the team, identical on every thread and independent of timing. */
double wl_reduce_sum(int tid, double v);
double wl_reduce_max(int tid, double v);

/* Static block partition of [0, n) for thread tid: [*lo, *hi). */
void wl_split(uint64_t n, int tid, int nthreads, uint64_t *lo, uint64_t *hi);

/* ---- memory and time ---- */

/* 2 MiB aligned, THP-advised, not touched (threads first-touch their parts). */
void *wl_alloc(size_t bytes);
void wl_free(void *p);

double wl_now(void); /* seconds, CLOCK_MONOTONIC */

static inline uint64_t wl_rdtsc(void)
{
	uint32_t lo, hi;
	/* lfence keeps the read from drifting into the work being timed */
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* ---- output ---- */

/* printf for human-readable lines; silent with --quiet. */
void wl_say(const struct wl_common *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The result line: one JSON object on one line of stdout, always printed. Starts with
 * {"workload":NAME,"ok":OK,"threads":N,"pinned":B and ends with "seconds":WALL.
 */
struct wl_json {
	char buf[8192];
	size_t len;
	bool overflow;
};

void wl_json_begin(struct wl_json *j, const char *workload, bool ok, int threads);
void wl_json_num(struct wl_json *j, const char *key, double v);
void wl_json_int(struct wl_json *j, const char *key, long long v);
void wl_json_str(struct wl_json *j, const char *key, const char *v);
void wl_json_bool(struct wl_json *j, const char *key, bool v);
void wl_json_u64s(struct wl_json *j, const char *key, const uint64_t *v, size_t n);
void wl_json_end(struct wl_json *j, double seconds);

/* Seconds since the program's first call to wl_now (its start, in practice). */
double wl_elapsed(void);

/* 64-bit mix, for deterministic pseudo-random inputs. */
static inline uint64_t wl_hash(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

#endif
