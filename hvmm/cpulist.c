#include "cpulist.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_cpu(const char **p, long *out)
{
	char *end;

	if (!isdigit((unsigned char)**p))
		return -1;
	errno = 0;
	*out = strtol(*p, &end, 10);
	if (errno || *out > CPULIST_MAX_CPU)
		return -1;
	*p = end;
	return 0;
}

static int seen_before(const int *cpus, int n, int cpu)
{
	for (int i = 0; i < n; i++)
		if (cpus[i] == cpu)
			return 1;
	return 0;
}

int cpulist_parse(const char *s, int *cpus, size_t max, char *err, size_t errlen)
{
	const char *p = s;
	int n = 0;

	if (!s || !*s) {
		snprintf(err, errlen, "empty CPU list");
		return -1;
	}
	while (*p) {
		long lo, hi;

		if (parse_cpu(&p, &lo)) {
			snprintf(err, errlen, "bad CPU list '%s': expected a CPU number (0-%d) at '%s'",
				 s, CPULIST_MAX_CPU, p);
			return -1;
		}
		hi = lo;
		if (*p == '-') {
			p++;
			if (parse_cpu(&p, &hi) || hi < lo) {
				snprintf(err, errlen, "bad CPU list '%s': bad range ending at '%s'", s, p);
				return -1;
			}
		}
		for (long c = lo; c <= hi; c++) {
			if (seen_before(cpus, n, (int)c)) {
				snprintf(err, errlen, "bad CPU list '%s': CPU %ld named twice", s, c);
				return -1;
			}
			if ((size_t)n >= max) {
				snprintf(err, errlen, "bad CPU list '%s': more than %zu CPUs", s, max);
				return -1;
			}
			cpus[n++] = (int)c;
		}
		if (*p == ',') {
			p++;
			if (!*p) {
				snprintf(err, errlen, "bad CPU list '%s': trailing comma", s);
				return -1;
			}
		} else if (*p) {
			snprintf(err, errlen, "bad CPU list '%s': unexpected '%c'", s, *p);
			return -1;
		}
	}
	return n;
}

char *cpulist_format(const int *cpus, size_t n, char *buf, size_t buflen)
{
	size_t used = 0;

	if (buflen)
		buf[0] = '\0';
	for (size_t i = 0; i < n;) {
		size_t j = i;
		int w;

		while (j + 1 < n && cpus[j + 1] == cpus[j] + 1)
			j++;
		if (j > i)
			w = snprintf(buf + used, buflen - used, "%s%d-%d", i ? "," : "", cpus[i], cpus[j]);
		else
			w = snprintf(buf + used, buflen - used, "%s%d", i ? "," : "", cpus[i]);
		if (w < 0 || (size_t)w >= buflen - used)
			break;
		used += (size_t)w;
		i = j + 1;
	}
	return buf;
}
