#include "cpuset_bits.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cpulist.h"

void cpu_bits_clear(struct cpu_bits *s)
{
	memset(s, 0, sizeof(*s));
}

void cpu_bits_set(struct cpu_bits *s, unsigned cpu)
{
	if (cpu < CPUSET_MAX_CPUS)
		s->w[cpu / 64] |= UINT64_C(1) << (cpu % 64);
}

bool cpu_bits_has(const struct cpu_bits *s, unsigned cpu)
{
	return cpu < CPUSET_MAX_CPUS && (s->w[cpu / 64] >> (cpu % 64)) & 1;
}

unsigned cpu_bits_count(const struct cpu_bits *s)
{
	unsigned n = 0;
	for (size_t i = 0; i < CPUSET_MAX_CPUS / 64; i++)
		n += (unsigned)__builtin_popcountll(s->w[i]);
	return n;
}

bool cpu_bits_empty(const struct cpu_bits *s)
{
	return cpu_bits_count(s) == 0;
}

bool cpu_bits_equal(const struct cpu_bits *a, const struct cpu_bits *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

bool cpu_bits_intersects(const struct cpu_bits *a, const struct cpu_bits *b)
{
	for (size_t i = 0; i < CPUSET_MAX_CPUS / 64; i++)
		if (a->w[i] & b->w[i])
			return true;
	return false;
}

bool cpu_bits_subset(const struct cpu_bits *sub, const struct cpu_bits *super)
{
	for (size_t i = 0; i < CPUSET_MAX_CPUS / 64; i++)
		if (sub->w[i] & ~super->w[i])
			return false;
	return true;
}

void cpu_bits_or(struct cpu_bits *dst, const struct cpu_bits *src)
{
	for (size_t i = 0; i < CPUSET_MAX_CPUS / 64; i++)
		dst->w[i] |= src->w[i];
}

void cpu_bits_andnot(struct cpu_bits *dst, const struct cpu_bits *src)
{
	for (size_t i = 0; i < CPUSET_MAX_CPUS / 64; i++)
		dst->w[i] &= ~src->w[i];
}

void cpu_bits_and(struct cpu_bits *dst, const struct cpu_bits *src)
{
	for (size_t i = 0; i < CPUSET_MAX_CPUS / 64; i++)
		dst->w[i] &= src->w[i];
}

int cpu_bits_nth(const struct cpu_bits *s, unsigned n)
{
	for (unsigned cpu = 0; cpu < CPUSET_MAX_CPUS; cpu++)
		if (cpu_bits_has(s, cpu) && n-- == 0)
			return (int)cpu;
	return -1;
}

int cpu_bits_parse_list(const char *text, struct cpu_bits *out, char *err, size_t errlen)
{
	/* The kernel's files end in a newline, may be empty and never repeat a CPU; API
     * callers get the same leniency ("0-3,2" is the set 0-3). */
	static const struct cpulist_rules rules = {
		.max_cpu = CPUSET_MAX_CPUS - 1,
		.empty_ok = true,
		.repeats_ok = true,
		.trailing_space_ok = true,
	};
	int cpus[CPUSET_MAX_CPUS];
	int n = cpulist_scan(text, &rules, cpus, CPUSET_MAX_CPUS, err, errlen);

	cpu_bits_clear(out);
	for (int i = 0; i < n; i++)
		cpu_bits_set(out, (unsigned)cpus[i]);
	return n < 0 ? -1 : 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int cpu_bits_parse_mask(const char *text, struct cpu_bits *out, char *err, size_t errlen)
{
	cpu_bits_clear(out);
	size_t len = strlen(text);
	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;
	if (len == 0) {
		snprintf(err, errlen, "empty CPU mask");
		return -1;
	}
	unsigned bit = 0;
	for (size_t i = len; i-- > 0;) {
		if (text[i] == ',')
			continue;
		int v = hex_value(text[i]);
		if (v < 0) {
			snprintf(err, errlen, "bad hex digit '%c' in CPU mask", text[i]);
			return -1;
		}
		for (int b = 0; b < 4; b++, bit++) {
			if (v & (1 << b)) {
				if (bit >= CPUSET_MAX_CPUS) {
					snprintf(err, errlen, "CPU mask too wide");
					return -1;
				}
				cpu_bits_set(out, bit);
			}
		}
	}
	return 0;
}

int cpu_bits_format_list(const struct cpu_bits *s, char *buf, size_t len)
{
	size_t used = 0;
	if (len == 0)
		return -1;
	buf[0] = '\0';
	for (unsigned cpu = 0; cpu < CPUSET_MAX_CPUS; cpu++) {
		if (!cpu_bits_has(s, cpu))
			continue;
		unsigned hi = cpu;
		while (hi + 1 < CPUSET_MAX_CPUS && cpu_bits_has(s, hi + 1))
			hi++;
		int n = hi == cpu ? snprintf(buf + used, len - used, "%s%u", used ? "," : "", cpu)
				  : snprintf(buf + used, len - used, "%s%u-%u", used ? "," : "",
					     cpu, hi);
		if (n < 0 || (size_t)n >= len - used)
			return -1;
		used += (size_t)n;
		cpu = hi;
	}
	return 0;
}

int cpu_bits_format_mask(const struct cpu_bits *s, char *buf, size_t len)
{
	int top = -1;
	for (int cpu = CPUSET_MAX_CPUS - 1; cpu >= 0; cpu--)
		if (cpu_bits_has(s, (unsigned)cpu)) {
			top = cpu;
			break;
		}
	int groups = top < 0 ? 1 : top / 32 + 1;
	size_t used = 0;
	for (int g = groups - 1; g >= 0; g--) {
		uint32_t v = (uint32_t)(s->w[g / 2] >> ((g % 2) * 32));
		int n = g == groups - 1 ? snprintf(buf + used, len - used, "%x", v)
					: snprintf(buf + used, len - used, ",%08x", v);
		if (n < 0 || (size_t)n >= len - used)
			return -1;
		used += (size_t)n;
	}
	return 0;
}
