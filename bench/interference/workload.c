/* The HPC application and the fwq probe: command lines, guest memory, result lines. */
#include "interference.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_json.h"

/* --size N means this option of the workload */
static const char *size_opt(const char *w)
{
	return !strcmp(w, "cg") ? "--nx" : !strcmp(w, "fwq") ? "--samples" : "--n";
}

/* The size used when --size is not given: the workloads' defaults, smaller with --quick. */
const char *ix_default_size(const char *w, bool quick)
{
	if (!strcmp(w, "cg"))
		return quick ? "64" : "96";
	if (!strcmp(w, "stream"))
		return quick ? "8000000" : "20000000";
	if (!strcmp(w, "dgemm"))
		return quick ? "768" : "1536";
	return quick ? "10000" : "20000"; /* fwq */
}

static int push(char **argv, int *n, int max, char **st, size_t *cap, const char *s)
{
	size_t len = strlen(s) + 1;
	if (*n + 1 >= max || len > *cap)
		return -1;
	memcpy(*st, s, len);
	argv[(*n)++] = *st;
	*st += len;
	*cap -= len;
	argv[*n] = NULL;
	return 0;
}

int ix_app_argv(const struct ix_cfg *c, const char *bin_dir, bool fwq, char **argv, int max,
		char *store, size_t cap)
{
	const char *w = fwq ? "fwq" : c->workload;
	char buf[IX_PATH + 16];
	int n = 0, r = 0;
	snprintf(buf, sizeof buf, "%s/%s", bin_dir, w);
	r |= push(argv, &n, max, &store, &cap, buf);
	r |= push(argv, &n, max, &store, &cap, "--quiet");
	r |= push(argv, &n, max, &store, &cap, "--threads");
	snprintf(buf, sizeof buf, "%d", c->nhpc);
	r |= push(argv, &n, max, &store, &cap, buf);
	if (!strcmp(c->size, "small")) {
		r |= push(argv, &n, max, &store, &cap, "--small");
	} else {
		/* the probe keeps its own size unless fwq is the application */
		const char *sz = !fwq && c->size[0] ? c->size : ix_default_size(w, c->quick);
		r |= push(argv, &n, max, &store, &cap, size_opt(w));
		r |= push(argv, &n, max, &store, &cap, sz);
	}
	return r ? -1 : n;
}

const char *ix_time_name(const char *w)
{
	/* the timed kernel where the workload reports it: setup (first touch of memory,
	 * which a VM without prefaulted memory pays differently) is not the application */
	return !strcmp(w, "cg") ? "solve_s" : !strcmp(w, "dgemm") ? "compute_s" : "seconds";
}

const char *ix_figure_name(const char *w, const char **unit)
{
	if (!strcmp(w, "cg"))
		return *unit = "MFLOP/s", "mflops";
	if (!strcmp(w, "stream"))
		return *unit = "GB/s", "triad_gbs";
	if (!strcmp(w, "dgemm"))
		return *unit = "GFLOP/s", "gflops";
	return *unit = "%", "noise_pct";
}

int ix_parse_result(const struct ix_cfg *c, const char *text, size_t len, bool fwq,
		    struct ix_sample *s)
{
	static struct bench_obj o;
	const char *w = fwq ? "fwq" : c->workload;
	if (bench_json_find(text, len, "workload", w, &o) < 0) {
		snprintf(s->note, sizeof s->note, "no %s result line", w);
		return -1;
	}
	if (!bench_json_true(&o, "ok")) {
		snprintf(s->note, sizeof s->note, "%s did not verify its answer", w);
		return -1;
	}
	if (fwq || !strcmp(w, "fwq")) {
		s->noise_pct = bench_json_num(&o, "noise_pct");
		s->detour_us = bench_json_num(&o, "max_detour_us");
		s->fwq_ok = isfinite(s->noise_pct);
	}
	if (!fwq) {
		const char *unit;
		s->seconds = bench_json_num(&o, ix_time_name(w));
		s->figure = bench_json_num(&o, ix_figure_name(w, &unit));
		s->ok = isfinite(s->seconds) && s->seconds > 0;
		if (!s->ok)
			snprintf(s->note, sizeof s->note, "%s reported no run time", w);
	}
	return s->ok || fwq ? 0 : -1;
}

int ix_mem_for(const char *w, const char *size)
{
	double v = size[0] && strcmp(size, "small") ? atof(size) : 0, bytes;
	bool small = !strcmp(size, "small");
	if (!strcmp(w, "cg")) {
		if (!v)
			v = small ? 16 : 96;
		bytes = v * v * v * (27 * 12 + 8 * 8);
	} else if (!strcmp(w, "stream")) {
		if (!v)
			v = small ? 1e5 : 2e7;
		bytes = 3 * v * 8;
	} else if (!strcmp(w, "dgemm")) {
		if (!v)
			v = small ? 101 : 2048;
		bytes = 4 * v * v * 8;
	} else {
		bytes = 0;
	}
	int mib = (int)ceil(bytes * 1.25 / 1048576.0) + 64;
	return (mib + 1) & ~1; /* hugepages: a multiple of 2 MiB */
}
