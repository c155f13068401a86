/*
 * Interrupts that reached the HPC CPUs during a run, by source, from /proc/interrupts.
 * /proc/stat's irq time has jiffy resolution (anything under 10 ms reads 0); the counts
 * name each source exactly: the local timer tick, rescheduling and function-call IPIs, TLB
 * shootdowns, and device interrupts whose affinity could not be steered away (managed
 * virtio queues, for one).
 */
#include "interference.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Maps /proc/interrupts' columns to CPU numbers from its "CPU0 CPU1 ..." header. */
static int header_cpus(const char *line, int *cpu, int max)
{
	int n = 0;
	for (const char *p = line; (p = strstr(p, "CPU")) && n < max; p += 3)
		cpu[n++] = atoi(p + 3);
	return n;
}

/* A row's label: the IRQ's action name for numbered lines ("virtio1-req.0"), else "LOC". */
static void row_label(const char *line, const char *colon, char *out, size_t cap)
{
	const char *s = line;
	while (*s == ' ')
		s++;
	bool numbered = *s >= '0' && *s <= '9';
	if (!numbered) {
		snprintf(out, cap, "%.*s", (int)(colon - s), s);
		return;
	}
	size_t len = strcspn(line, "\n");
	while (len && line[len - 1] == ' ')
		len--;
	size_t b = len;
	while (b && line[b - 1] != ' ')
		b--;
	snprintf(out, cap, "%.*s", (int)(len - b), line + b);
	if (!out[0])
		snprintf(out, cap, "irq%.*s", (int)(colon - s), s);
}

int ix_irq_snapshot(struct ix_irqs *t)
{
	t->n = 0;
	FILE *f = fopen("/proc/interrupts", "re");
	if (!f)
		return -1;
	char line[4096];
	int cpu[IX_MAX_CPUS], ncol = 0;
	if (fgets(line, sizeof line, f))
		ncol = header_cpus(line, cpu, IX_MAX_CPUS);
	while (ncol > 0 && t->n < IX_MAX_IRQ_ROWS && fgets(line, sizeof line, f)) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		unsigned long long sum = 0;
		char *p = colon + 1;
		int c = 0;
		for (; c < ncol; c++) {
			char *end;
			unsigned long long v = strtoull(p, &end, 10);
			if (end == p)
				break;
			if (cpu[c] >= 0 && cpu[c] < IX_MAX_CPUS && ix_sampler_is_hpc(cpu[c]))
				sum += v;
			p = end;
		}
		if (c < ncol)
			continue; /* ERR: and MIS: have one total, not one count per CPU */
		struct ix_irq_row *r = &t->row[t->n++];
		row_label(line, colon, r->name, sizeof r->name);
		r->count = sum;
	}
	fclose(f);
	return 0;
}

static int by_count(const void *a, const void *b)
{
	const struct ix_irq_row *x = a, *y = b;
	return (x->count < y->count) - (x->count > y->count);
}

double ix_irq_delta(const struct ix_irqs *before, const struct ix_irqs *after, char *top,
		    size_t cap)
{
	struct ix_irq_row d[IX_MAX_IRQ_ROWS];
	int n = 0;
	unsigned long long total = 0;
	for (int i = 0; i < after->n; i++) {
		unsigned long long was = 0;
		for (int k = 0; k < before->n; k++)
			if (!strcmp(before->row[k].name, after->row[i].name)) {
				was = before->row[k].count;
				break;
			}
		if (after->row[i].count <= was)
			continue;
		d[n] = after->row[i];
		d[n].count -= was;
		total += d[n++].count;
	}
	qsort(d, (size_t)n, sizeof d[0], by_count);
	if (cap)
		top[0] = 0;
	for (int i = 0; i < n && i < 4; i++) {
		size_t l = strlen(top);
		snprintf(top + l, cap - l, "%s%s %llu", i ? " " : "", d[i].name, d[i].count);
	}
	return (double)total;
}
