/* A set of host CPU numbers, with parsing and formatting of Linux CPU lists ("0-3,8"). */
#ifndef DSVD_CPUSET_BITS_H
#define DSVD_CPUSET_BITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CPUSET_MAX_CPUS 1024

struct cpu_bits {
	uint64_t w[CPUSET_MAX_CPUS / 64];
};

void cpu_bits_clear(struct cpu_bits *s);
void cpu_bits_set(struct cpu_bits *s, unsigned cpu);
bool cpu_bits_has(const struct cpu_bits *s, unsigned cpu);
unsigned cpu_bits_count(const struct cpu_bits *s);
bool cpu_bits_empty(const struct cpu_bits *s);
bool cpu_bits_equal(const struct cpu_bits *a, const struct cpu_bits *b);
bool cpu_bits_intersects(const struct cpu_bits *a, const struct cpu_bits *b);
bool cpu_bits_subset(const struct cpu_bits *sub, const struct cpu_bits *super);
void cpu_bits_or(struct cpu_bits *dst, const struct cpu_bits *src);
void cpu_bits_andnot(struct cpu_bits *dst, const struct cpu_bits *src);
void cpu_bits_and(struct cpu_bits *dst, const struct cpu_bits *src);
/* Returns the n-th (0-based) CPU in the set, or -1. */
int cpu_bits_nth(const struct cpu_bits *s, unsigned n);

/* Parses "0-3,8,10-11" with the shared parser (common/cpulist.h): whitespace/newline at the
 * end allowed, empty string = empty set, repeats ignored. Returns 0, or -1 with the reason
 * in err (the caller names the list). */
int cpu_bits_parse_list(const char *text, struct cpu_bits *out, char *err, size_t errlen);
/* Parses a kernel hex mask ("3", "ff,ffffffff"). */
int cpu_bits_parse_mask(const char *text, struct cpu_bits *out, char *err, size_t errlen);
/* Formats as a list ("0-3,8"); the empty set formats as "". Returns 0 or -1 if buf too small. */
int cpu_bits_format_list(const struct cpu_bits *s, char *buf, size_t len);
/* Formats as a kernel hex mask with comma-separated 32-bit groups ("3", "1,00000000"). */
int cpu_bits_format_mask(const struct cpu_bits *s, char *buf, size_t len);

#endif
