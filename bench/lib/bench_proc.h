/* Runs one child (fork + exec) pinned to a CPU list, capturing its output, with a timeout. */
#ifndef BENCH_PROC_H
#define BENCH_PROC_H

#include <stdbool.h>
#include <stddef.h>

struct bench_proc {
	int status; /* exit code; 128 + signal if killed; -1 if it could not start;
			      124 if the CPU list could not be set (some CPU not allowed now) */
	bool timed_out;
	double wall_s;	 /* fork to reap */
	long maxrss_kb;	 /* the child's peak resident set (wait4) */
	char *out, *err; /* NUL-terminated captured stdout / stderr (malloc'd) */
	size_t out_len, err_len;
};

/*
 * Runs argv[0] (a path, or a name looked up in PATH) with argv, CPU affinity exactly
 * cpus[0..ncpus) (ncpus 0: inherit) and stdin from /dev/null. Kills it after timeout_s.
 * Returns 0 when it ran (see status).
 */
int bench_run(char *const argv[], const int *cpus, int ncpus, double timeout_s,
	      struct bench_proc *p);
void bench_proc_free(struct bench_proc *p);

/* The last non-empty line of text, at most len-1 bytes, into buf; returns buf. */
char *bench_last_line(const char *text, char *buf, size_t len);

/* Joins argv into one shell-quoted line (for logs and docs). Returns a malloc'd string. */
char *bench_cmdline(char *const argv[]);

#endif
