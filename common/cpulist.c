#include "cpulist.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Where parsing stopped, for messages: "at ',2'" or "at the end". */
static void say_expected(const char *p, int max_cpu, char *why, size_t whylen)
{
	if (*p)
		snprintf(why, whylen, "expected a CPU number (0-%d) at '%.16s'", max_cpu, p);
	else
		snprintf(why, whylen, "expected a CPU number (0-%d) at the end", max_cpu);
}

static int scan_cpu(const char **p, int max_cpu, int *out, char *why, size_t whylen)
{
	const char *start = *p;
	long v = 0;

	if (!isdigit((unsigned char)*start)) {
		say_expected(start, max_cpu, why, whylen);
		return -1;
	}
	/* Stops accumulating once too large, so no overflow; the digits still count. */
	for (; isdigit((unsigned char)**p); (*p)++)
		if (v <= max_cpu)
			v = v * 10 + (**p - '0');
	if (v > max_cpu) {
		int len = (int)(*p - start);

		snprintf(why, whylen, "CPU number %.*s%s too large (max %d)", len > 16 ? 16 : len,
			 start, len > 16 ? "..." : "", max_cpu);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static bool only_space(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return !*p;
}

/* Adds lo..hi to cpus[], applying the repeat rule; seen[] is a bitmap of CPUs so far. */
static int add_range(int lo, int hi, const struct cpulist_rules *r, uint64_t *seen, int *cpus,
		     size_t max, int *n, char *why, size_t whylen)
{
	for (int c = lo; c <= hi; c++) {
		if (seen[c / 64] >> (c % 64) & 1) {
			if (r->repeats_ok)
				continue;
			snprintf(why, whylen, "CPU %d named twice", c);
			return -1;
		}
		if ((size_t)*n >= max) {
			snprintf(why, whylen, "more than %zu CPUs", max);
			return -1;
		}
		seen[c / 64] |= UINT64_C(1) << (c % 64);
		cpus[(*n)++] = c;
	}
	return 0;
}

int cpulist_scan(const char *s, const struct cpulist_rules *r, int *cpus, size_t max, char *why,
		 size_t whylen)
{
	uint64_t seen[(CPULIST_MAX_CPU + 1) / 64] = { 0 };
	int max_cpu = r->max_cpu < CPULIST_MAX_CPU ? r->max_cpu : CPULIST_MAX_CPU;
	const char *p = s;
	int n = 0;

	if (!s) {
		snprintf(why, whylen, "missing CPU list");
		return -1;
	}
	if (!*s || (r->trailing_space_ok && only_space(s))) {
		if (r->empty_ok)
			return 0;
		snprintf(why, whylen, "empty CPU list");
		return -1;
	}
	for (;;) {
		int lo, hi;

		if (scan_cpu(&p, max_cpu, &lo, why, whylen))
			return -1;
		hi = lo;
		if (*p == '-') {
			p++;
			if (scan_cpu(&p, max_cpu, &hi, why, whylen))
				return -1;
			if (hi < lo) {
				snprintf(why, whylen, "reversed range %d-%d", lo, hi);
				return -1;
			}
		}
		if (add_range(lo, hi, r, seen, cpus, max, &n, why, whylen))
			return -1;
		if (!*p || (r->trailing_space_ok && only_space(p)))
			return n;
		if (*p != ',') {
			if (isprint((unsigned char)*p))
				snprintf(why, whylen, "unexpected character '%c'", *p);
			else
				snprintf(why, whylen, "unexpected byte 0x%02x", (unsigned char)*p);
			return -1;
		}
		if (!*++p) {
			snprintf(why, whylen, "trailing comma");
			return -1;
		}
	}
}

int cpulist_parse(const char *s, int *cpus, size_t max, char *err, size_t errlen)
{
	static const struct cpulist_rules hvmm_rules = { .max_cpu = CPULIST_MAX_CPU };
	char why[128];
	int n = cpulist_scan(s, &hvmm_rules, cpus, max, why, sizeof(why));

	if (n < 0) {
		if (s && *s)
			snprintf(err, errlen, "bad CPU list '%s': %s", s, why);
		else
			snprintf(err, errlen, "%s", why); /* "missing/empty CPU list" says it all */
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
			w = snprintf(buf + used, buflen - used, "%s%d-%d", i ? "," : "", cpus[i],
				     cpus[j]);
		else
			w = snprintf(buf + used, buflen - used, "%s%d", i ? "," : "", cpus[i]);
		if (w < 0 || (size_t)w >= buflen - used)
			break;
		used += (size_t)w;
		i = j + 1;
	}
	return buf;
}
