/*
 * CPU lists in the kernel's cpuset syntax ("0-3,6,8-9"): the one parser hvmm (--cpus,
 * --housekeeping-cpus) and dsvd (API fields, sysfs and cgroup files) share.
 */
#ifndef DSV_CPULIST_H
#define DSV_CPULIST_H

#include <stdbool.h>
#include <stddef.h>

#define CPULIST_MAX_CPU 4095

/* What a caller accepts beyond the syntax itself. */
struct cpulist_rules {
	int max_cpu;		/* highest CPU number accepted, at most CPULIST_MAX_CPU */
	bool empty_ok;		/* "" is the empty list (sysfs and cgroup files can be empty) */
	bool repeats_ok;	/* a CPU named again is skipped rather than refused */
	bool trailing_space_ok; /* whitespace at the end is ignored (the newline of a file) */
};

/*
 * Parses s into cpus[] in the order first named, at most max entries. Refuses empty
 * elements, reversed or malformed ranges and numbers above rules->max_cpu. Returns the
 * count, or -1 with the reason (not repeating s) in why.
 */
int cpulist_scan(const char *s, const struct cpulist_rules *rules, int *cpus, size_t max, char *why,
		 size_t whylen);

/*
 * hvmm's rules: no empty list, no CPU named twice, CPUs 0-CPULIST_MAX_CPU. Returns the
 * count, or -1 with a message in err that quotes s.
 */
int cpulist_parse(const char *s, int *cpus, size_t max, char *err, size_t errlen);

/* Formats cpus[0..n) compactly ("0-3,6") into buf. Returns buf. */
char *cpulist_format(const int *cpus, size_t n, char *buf, size_t buflen);

#endif
