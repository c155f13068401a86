/*
 * The HPC application (or the fwq probe) in each setting: a native process, hvmm + lwk
 * through dsvd, hvmm directly, or libvirt/QEMU + lwk. Each fills a sample from the
 * workload's JSON result line.
 */
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

static int parse_file(struct ix_ctx *x, const char *path, bool fwq, struct ix_sample *s)
{
	size_t len;
	char *t = ix_slurp(path, &len);
	if (!t) {
		snprintf(s->note, sizeof s->note, "cannot read %s", path);
		return -1;
	}
	int r = ix_parse_result(x->cfg, t, len, fwq, s);
	if (r < 0) {
		char last[160];
		size_t n = strlen(s->note);
		snprintf(s->note + n, sizeof s->note - n, "; console: %s",
			 bench_last_line(t, last, sizeof last));
	}
	free(t);
	return r;
}

/* argv[1..] joined with blanks, argv[0] by its base name: the lwk's command line. */
static void join_args(char **argv, char *out, size_t cap)
{
	const char *b = strrchr(argv[0], '/');
	snprintf(out, cap, "%s", b ? b + 1 : argv[0]);
	for (int i = 1; argv[i]; i++) {
		size_t n = strlen(out);
		snprintf(out + n, cap - n, " %s", argv[i]);
	}
}

/* ---- the HPC application in each setting ---- */

static int run_native(struct ix_ctx *x, bool fwq, struct ix_sample *s)
{
	char *app[24], store[8192], *argv[32];
	if (ix_app_argv(x->cfg, x->paths->workloads, fwq, app, 24, store, sizeof store) < 0)
		return -1;
	int n = 0;
	const int *cpus = x->cfg->hpc;
	int ncpus = x->cfg->nhpc;
	if (x->dsvd.hpc_tasks[0]) { /* inside the HPC cpuset (exec_in.c) */
		char *pre[] = { "/proc/self/exe",
				"--in-cgroup",
				x->dsvd.hpc_tasks,
				"--cpus",
				x->cfg->hpc_list,
				"--",
				NULL };
		for (int i = 0; pre[i]; i++)
			argv[n++] = pre[i];
		cpus = NULL;
		ncpus = 0;
	}
	for (int i = 0; app[i] && n < 31; i++)
		argv[n++] = app[i];
	argv[n] = NULL;
	struct bench_proc p;
	if (bench_run(argv, cpus, ncpus, x->cfg->timeout_s, &p) < 0) {
		snprintf(s->note, sizeof s->note, "cannot start %s", argv[0]);
		return -1;
	}
	int r = -1;
	if (p.status == 124)
		snprintf(s->note, sizeof s->note, "cannot run on the HPC CPUs: %s",
			 bench_last_line(p.err, (char[160]){ 0 }, 160));
	else if (p.timed_out)
		snprintf(s->note, sizeof s->note, "timed out after %.0f s", x->cfg->timeout_s);
	else
		r = ix_parse_result(x->cfg, p.out, p.out_len, fwq, s);
	if (r == 0 && p.status != 0) {
		snprintf(s->note, sizeof s->note, "exit status %d", p.status);
		r = -1;
	}
	bench_proc_free(&p);
	return r;
}

/* hvmm directly, without a partition: the single-stack HPC VM when it needs > 1 vCPU. */
static int run_hvmm_direct(struct ix_ctx *x, bool fwq, struct ix_sample *s)
{
	char *app[24], store[8192], *argv[48];
	if (ix_app_argv(x->cfg, x->paths->workloads, fwq, app, 24, store, sizeof store) < 0)
		return -1;
	char mem[32], vc[16];
	snprintf(mem, sizeof mem, "%dM", fwq ? x->cfg->fwq_mem_mib : x->cfg->app_mem_mib);
	snprintf(vc, sizeof vc, "%d", x->cfg->nhpc);
	int n = 0;
	char *pre[] = { x->paths->hvmm, "run", "--vcpus",     vc,     "--cpus", x->cfg->hpc_list,
			"--mem",	mem,   "--hugepages", "auto", "--",	NULL };
	for (int i = 0; pre[i]; i++)
		argv[n++] = pre[i];
	for (int i = 0; app[i] && n < 47; i++)
		argv[n++] = app[i];
	argv[n] = NULL;
	struct bench_proc p;
	if (bench_run(argv, NULL, 0, x->cfg->timeout_s, &p) < 0)
		return -1;
	int r = p.timed_out ? -1 : ix_parse_result(x->cfg, p.out, p.out_len, fwq, s);
	if (p.timed_out)
		snprintf(s->note, sizeof s->note, "hvmm timed out");
	else if (r == 0 && p.status)
		snprintf(s->note, sizeof s->note, "hvmm exit status %d", p.status), r = -1;
	bench_proc_free(&p);
	return r;
}

/* One hvmm + lwk VM through dsvd: 0 ran (see s), 1 hvmm could not start it, -1 failed. */
static int hpc_dsvd_once(struct ix_ctx *x, bool fwq, const char *name, struct ix_sample *s)
{
	char *argv[24], store[8192], err[1024];
	if (ix_app_argv(x->cfg, x->paths->workloads, fwq, argv, 24, store, sizeof store) < 0)
		return -1;
	json_t *prog = json_array();
	for (int i = 0; argv[i]; i++)
		json_array_append_new(prog, json_string(argv[i]));
	json_t *b = json_pack("{s:s, s:s, s:i, s:i, s:o}", "name", name, "stack", "hpc", "vcpus",
			      x->cfg->nhpc, "mem_mib",
			      fwq ? x->cfg->fwq_mem_mib : x->cfg->app_mem_mib, "program", prog);
	char *body = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	int r = ix_dsvd_create(&x->dsvd, name, body, err, sizeof err);
	free(body);
	if (r < 0) {
		snprintf(s->note, sizeof s->note, "%s", err);
		return strstr(err, "HTTP 500") ? 1 : -1;
	}
	char state[32], console[IX_PATH];
	int code = -1, pid = 0;
	double t0 = ix_now();
	r = -1;
	for (bool excl = false;; excl = pid > 0) {
		if (ix_dsvd_vm(&x->dsvd, name, state, sizeof state, &code, console, sizeof console,
			       &pid) < 0) {
			snprintf(s->note, sizeof s->note, "dsvd lost VM %s", name);
			break;
		}
		if (!excl && pid > 0)
			ix_sampler_exclude(pid);
		if (strcmp(state, "running") && strcmp(state, "starting")) {
			r = parse_file(x, console, fwq, s);
			if (r < 0 && code == 125)
				r = 1; /* hvmm's "could not start the VM" */
			else if (r == 0 && code != 0) {
				snprintf(s->note, sizeof s->note, "VM %s: exit code %d", state,
					 code);
				r = -1;
			}
			break;
		}
		if (ix_now() - t0 > x->cfg->timeout_s) {
			snprintf(s->note, sizeof s->note, "timed out after %.0f s",
				 x->cfg->timeout_s);
			break;
		}
		if (!ix_sleep(0.02))
			break;
	}
	ix_dsvd_delete(&x->dsvd, name);
	return r;
}

/*
 * hvmm + lwk through dsvd on the HPC partition. When hvmm could not start the VM (status
 * 125: it could not pin a vCPU thread, or hugepages of the reservation were taken by
 * someone else) it is tried again a few times: nothing ran, so nothing is measured twice.
 */
static int run_hpc_dsvd(struct ix_ctx *x, bool fwq, int rep, struct ix_sample *s)
{
	char name[64];
	int r = 1;
	for (int attempt = 0; attempt < 6 && r == 1 && !ix_stop; attempt++) {
		if (attempt) {
			x->hpc_restarts++;
			if (!x->restart_reason[0])
				snprintf(x->restart_reason, sizeof x->restart_reason, "%s",
					 s->note);
			ix_progress(
				"         hvmm could not start the VM (%s); starting it again\n",
				s->note);
			ix_sleep(0.3);
		}
		snprintf(name, sizeof name, "%s-hpc%d%s%c", x->cfg->run_id, rep, fwq ? "f" : "",
			 'a' + attempt);
		memset(s, 0, sizeof *s);
		r = hpc_dsvd_once(x, fwq, name, s);
	}
	return r == 0 ? 0 : -1;
}

/* libvirt/QEMU + lwk (one vCPU through PVH), pinned to the HPC CPUs or not. */
static int run_hpc_libvirt(struct ix_ctx *x, bool fwq, bool pinned, int rep, struct ix_sample *s)
{
	if (x->single_uses_hvmm)
		return run_hvmm_direct(x, fwq, s);
	char *argv[24], store[8192], name[64], args[2048], console[IX_PATH + 80], err[1024];
	if (ix_app_argv(x->cfg, x->paths->workloads, fwq, argv, 24, store, sizeof store) < 0)
		return -1;
	join_args(argv, args, sizeof args);
	snprintf(name, sizeof name, "dsv-%s-ss%s%d%s", x->cfg->run_id, pinned ? "p" : "", rep,
		 fwq ? "f" : "");
	snprintf(console, sizeof console, "%s/%s.console", x->tmp, name);
	unlink(console);
	const char *pin = pinned ? x->cfg->hpc_list : NULL;
	double tc = ix_now();
	int h = ix_virt_start(name, "microvm", fwq ? x->cfg->fwq_mem_mib : x->cfg->app_mem_mib,
			      x->paths->lwk, argv[0], args, console, pin, pin, err, sizeof err);
	if (h < 0) {
		snprintf(s->note, sizeof s->note, "%s", err);
		return -1;
	}
	double created = ix_now() - tc;
	int qpid = ix_qemu_pid(name);
	if (qpid > 0)
		ix_sampler_exclude(qpid);
	const char *w = fwq ? "fwq" : x->cfg->workload;
	double t0 = ix_now();
	int r = -1;
	for (;;) {
		if (ix_console_result(console, w)) {
			r = parse_file(x, console, fwq, s);
			ix_progress("         %s VM %s: created by libvirt in %.1f s, result "
				    "%.1f s later\n",
				    w, name, created, ix_now() - t0);
			break;
		}
		if (ix_virt_cputime(name) < 0) {
			snprintf(s->note, sizeof s->note, "domain %s stopped without a result",
				 name);
			break;
		}
		if (ix_now() - t0 > x->cfg->timeout_s + 30) {
			snprintf(s->note, sizeof s->note, "timed out after %.0f s",
				 x->cfg->timeout_s);
			break;
		}
		if (!ix_sleep(0.05))
			break;
	}
	ix_cleanup_pop(h, true);
	unlink(console);
	return r;
}

int ix_run_app(struct ix_ctx *x, enum ix_scn sc, bool fwq, int rep, struct ix_sample *s)
{
	switch (sc) {
	case SCN_NATIVE:
		return run_native(x, fwq, s);
	case SCN_HPC_ALONE:
	case SCN_DUAL:
		return run_hpc_dsvd(x, fwq, rep, s);
	case SCN_SINGLE:
		return run_hpc_libvirt(x, fwq, false, rep, s);
	case SCN_SINGLE_PINNED:
		return run_hpc_libvirt(x, fwq, true, rep, s);
	default:
		return -1;
	}
}
