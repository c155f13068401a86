/* Small helpers shared by the runner's parts: files, consoles, libvirt pids, messages. */
#include "interference.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "bench_json.h"
#include "bench_proc.h"

void ix_note(struct ix_ctx *x, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (strstr(x->notes, line))
		return; /* each note once */
	size_t n = strlen(x->notes);
	snprintf(x->notes + n, sizeof x->notes - n, "- %s\n", line);
}

void ix_progress(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
}

/* Reads a whole (small) file; NULL when it cannot. */
char *ix_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	size_t cap = 65536, n = 0;
	char *b = malloc(cap);
	while (b) {
		size_t r = fread(b + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
		if (cap - n < 4096) {
			char *nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (b) {
		b[n] = 0;
		*len = n;
	}
	return b;
}

/* Finds the workload's result line in a console file: 1 found, 0 not yet. */
int ix_console_result(const char *path, const char *workload)
{
	size_t len;
	char *t = ix_slurp(path, &len);
	if (!t)
		return 0;
	static struct bench_obj o;
	int r = bench_json_find(t, len, "workload", workload, &o) == 0;
	free(t);
	return r;
}

/* The QEMU process of a running libvirt domain (libvirt's pid file), or 0. */
int ix_qemu_pid(const char *domain)
{
	char path[256], buf[32];
	snprintf(path, sizeof path, "/run/libvirt/qemu/%s.pid", domain);
	FILE *f = fopen(path, "re");
	int pid = 0;
	if (f) {
		if (fgets(buf, sizeof buf, f))
			pid = atoi(buf);
		fclose(f);
	}
	return pid;
}
