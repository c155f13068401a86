/* CPU lists in the kernel's cpuset syntax: "0-3,6,8-9". */
#ifndef HVMM_CPULIST_H
#define HVMM_CPULIST_H

#include <stddef.h>

#define CPULIST_MAX_CPU 4095

/*
 * Parses s into cpus[] in the order written, at most max entries. Refuses empty
 * elements, reversed or malformed ranges, numbers above CPULIST_MAX_CPU and any CPU
 * named twice. Returns the count, or -1 with a message in err.
 */
int cpulist_parse(const char *s, int *cpus, size_t max, char *err, size_t errlen);

/* Formats cpus[0..n) compactly ("0-3,6") into buf. Returns buf. */
char *cpulist_format(const int *cpus, size_t n, char *buf, size_t buflen);

#endif
