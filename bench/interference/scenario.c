/*
 * The five scenarios of issue 6. Each repetition of a scenario: start the commodity VMs
 * (K hogs) where the scenario has them and wait until every hog runs, run the HPC
 * application, then the fwq probe in the same setting, check the hogs ran throughout,
 * delete everything it made.
 *
 *   native-alone         the workload, a native process pinned to the HPC CPUs, no partition
 *   hpc-alone            hvmm + lwk through dsvd on the HPC partition
 *   single-stack         libvirt/QEMU + lwk (PVH), unpinned; hogs unpinned on every CPU
 *   single-stack-pinned  the same VM pinned to the HPC CPUs; hogs pinned round-robin over
 *                        every CPU (the HPC CPUs included): pinning without a partition
 *   dual-stack           hvmm through dsvd on the HPC partition; hogs are dsvd commodity VMs
 *                        (libvirt) confined to the commodity partition
 */
#include "interference.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "json.h"
#include "proc.h"

static const char *const names[NSCN] = { "native-alone", "hpc-alone", "single-stack",
					 "single-stack-pinned", "dual-stack" };

const char *ix_scn_name(enum ix_scn s)
{
	return names[s];
}

const char *ix_scn_desc(enum ix_scn s, const struct ix_ctx *x)
{
	switch (s) {
	case SCN_NATIVE: return "native process in the HPC cpuset of the partition, pinned to the "
				"HPC CPUs, no commodity VMs";
	case SCN_HPC_ALONE: return "hvmm + lwk via dsvd on the HPC partition, no commodity VMs";
	case SCN_SINGLE:
		return x->single_uses_hvmm ? "hvmm (no partition) beside unpinned libvirt hogs"
					   : "libvirt/QEMU + lwk (PVH), unpinned, beside unpinned "
					     "libvirt hogs";
	case SCN_SINGLE_PINNED:
		return x->single_uses_hvmm ? "hvmm pinned (no partition) beside hogs pinned "
					     "round-robin over every CPU"
					   : "libvirt/QEMU + lwk pinned to the HPC CPUs, hogs pinned "
					     "round-robin over every CPU, no partition";
	case SCN_DUAL: return "hvmm + lwk via dsvd on the HPC partition, hogs as dsvd commodity VMs";
	default: return "?";
	}
}

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
static char *slurp(const char *path, size_t *len)
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
static int console_result(const char *path, const char *workload)
{
	size_t len;
	char *t = slurp(path, &len);
	if (!t)
		return 0;
	static struct ovh_obj o;
	int r = ovh_json_find(t, len, "workload", workload, &o) == 0;
	free(t);
	return r;
}

static int parse_file(struct ix_ctx *x, const char *path, bool fwq, struct ix_sample *s)
{
	size_t len;
	char *t = slurp(path, &len);
	if (!t) {
		snprintf(s->note, sizeof s->note, "cannot read %s", path);
		return -1;
	}
	int r = ix_parse_result(x->cfg, t, len, fwq, s);
	if (r < 0) {
		char last[160];
		size_t n = strlen(s->note);
		snprintf(s->note + n, sizeof s->note - n, "; console: %s",
			 ovh_last_line(t, last, sizeof last));
	}
	free(t);
	return r;
}

/* The QEMU process of a running libvirt domain (libvirt's pid file), or 0. */
static int qemu_pid(const char *domain)
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
		char *pre[] = { "/proc/self/exe", "--in-cgroup", x->dsvd.hpc_tasks, "--cpus",
				x->cfg->hpc_list, "--", NULL };
		for (int i = 0; pre[i]; i++)
			argv[n++] = pre[i];
		cpus = NULL;
		ncpus = 0;
	}
	for (int i = 0; app[i] && n < 31; i++)
		argv[n++] = app[i];
	argv[n] = NULL;
	struct ovh_proc p;
	if (ovh_run(argv, cpus, ncpus, x->cfg->timeout_s, &p) < 0) {
		snprintf(s->note, sizeof s->note, "cannot start %s", argv[0]);
		return -1;
	}
	int r = -1;
	if (p.status == 124)
		snprintf(s->note, sizeof s->note, "cannot run on the HPC CPUs: %s",
			 ovh_last_line(p.err, (char[160]){ 0 }, 160));
	else if (p.timed_out)
		snprintf(s->note, sizeof s->note, "timed out after %.0f s", x->cfg->timeout_s);
	else
		r = ix_parse_result(x->cfg, p.out, p.out_len, fwq, s);
	if (r == 0 && p.status != 0) {
		snprintf(s->note, sizeof s->note, "exit status %d", p.status);
		r = -1;
	}
	ovh_proc_free(&p);
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
	char *pre[] = { x->paths->hvmm, "run", "--vcpus", vc, "--cpus", x->cfg->hpc_list,
			"--mem", mem, "--hugepages", "auto", "--", NULL };
	for (int i = 0; pre[i]; i++)
		argv[n++] = pre[i];
	for (int i = 0; app[i] && n < 47; i++)
		argv[n++] = app[i];
	argv[n] = NULL;
	struct ovh_proc p;
	if (ovh_run(argv, NULL, 0, x->cfg->timeout_s, &p) < 0)
		return -1;
	int r = p.timed_out ? -1 : ix_parse_result(x->cfg, p.out, p.out_len, fwq, s);
	if (p.timed_out)
		snprintf(s->note, sizeof s->note, "hvmm timed out");
	else if (r == 0 && p.status)
		snprintf(s->note, sizeof s->note, "hvmm exit status %d", p.status), r = -1;
	ovh_proc_free(&p);
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
		if (ix_dsvd_vm(&x->dsvd, name, state, sizeof state, &code, console,
			       sizeof console, &pid) < 0) {
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
				snprintf(s->note, sizeof s->note, "VM %s: exit code %d", state, code);
				r = -1;
			}
			break;
		}
		if (ix_now() - t0 > x->cfg->timeout_s) {
			snprintf(s->note, sizeof s->note, "timed out after %.0f s", x->cfg->timeout_s);
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
				snprintf(x->restart_reason, sizeof x->restart_reason, "%s", s->note);
			ix_progress("         hvmm could not start the VM (%s); starting it again\n",
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
static int run_hpc_libvirt(struct ix_ctx *x, bool fwq, bool pinned, int rep,
			   struct ix_sample *s)
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
	int qpid = qemu_pid(name);
	if (qpid > 0)
		ix_sampler_exclude(qpid);
	const char *w = fwq ? "fwq" : x->cfg->workload;
	double t0 = ix_now();
	int r = -1;
	for (;;) {
		if (console_result(console, w)) {
			r = parse_file(x, console, fwq, s);
			ix_progress("         %s VM %s: created by libvirt in %.1f s, result "
				    "%.1f s later\n", w, name, created, ix_now() - t0);
			break;
		}
		if (ix_virt_cputime(name) < 0) {
			snprintf(s->note, sizeof s->note, "domain %s stopped without a result", name);
			break;
		}
		if (ix_now() - t0 > x->cfg->timeout_s + 30) {
			snprintf(s->note, sizeof s->note, "timed out after %.0f s", x->cfg->timeout_s);
			break;
		}
		if (!ix_sleep(0.05))
			break;
	}
	ix_cleanup_pop(h, true);
	unlink(console);
	return r;
}

/* ---- the commodity VMs ---- */

struct hogs {
	int n;
	char dom[IX_MAX_HOGS][64];   /* libvirt domain names */
	char vm[IX_MAX_HOGS][64];    /* dsvd VM names (dual-stack) */
	int handle[IX_MAX_HOGS];     /* our libvirt domains */
	bool dsvd;
};

static void hog_args(struct ix_ctx *x, char *out, size_t cap)
{
	snprintf(out, cap, "hog --mode %s --seconds 1000000 --threads 1 --quiet",
		 x->cfg->hog_arg);
}

static void stop_hogs(struct ix_ctx *x, struct hogs *h)
{
	for (int i = h->n - 1; i >= 0; i--) {
		if (h->dsvd)
			ix_dsvd_delete(&x->dsvd, h->vm[i]);
		else
			ix_cleanup_pop(h->handle[i], true);
	}
	h->n = 0;
}

/* Starts K hogs for scenario sc and waits until each runs; -1 with a note on failure. */
static int start_hogs(struct ix_ctx *x, enum ix_scn sc, int rep, struct hogs *h,
		      struct ix_sample *s)
{
	const struct ix_cfg *c = x->cfg;
	char hog[IX_PATH + 8], args[512], err[1024];
	snprintf(hog, sizeof hog, "%s/hog", x->paths->workloads);
	hog_args(x, args, sizeof args);
	memset(h, 0, sizeof *h);
	h->dsvd = sc == SCN_DUAL;
	for (int i = 0; i < c->hogs; i++) {
		if (h->dsvd) {
			snprintf(h->vm[i], sizeof h->vm[i], "%s-hog%d-%d", c->run_id, rep, i);
			snprintf(h->dom[i], sizeof h->dom[i], "dsv-%s", h->vm[i]);
			json_t *prog = json_array();
			char *save = NULL, copy[512];
			snprintf(copy, sizeof copy, "%s", args);
			for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
				json_array_append_new(prog, json_string(t == copy ? hog : t));
			json_t *b = json_pack("{s:s, s:s, s:i, s:i, s:s, s:s, s:s, s:o}", "name",
					      h->vm[i], "stack", "commodity", "vcpus", 1, "mem_mib",
					      c->hog_mem_mib, "kernel", x->paths->lwk, "initrd", hog,
					      "cmdline", "dsv.platform=pvm", "program", prog);
			char *body = json_dumps(b, JSON_COMPACT);
			json_decref(b);
			int r = ix_dsvd_create(&x->dsvd, h->vm[i], body, err, sizeof err);
			free(body);
			if (r < 0)
				goto fail;
		} else {
			char con[IX_PATH + 80], pin[16];
			snprintf(h->dom[i], sizeof h->dom[i], "dsv-%s-hog%d-%d", c->run_id, rep, i);
			snprintf(con, sizeof con, "%s/%s.console", x->tmp, h->dom[i]);
			snprintf(pin, sizeof pin, "%d", c->all[i % c->nall]);
			bool pinned = sc == SCN_SINGLE_PINNED;
			h->handle[i] = ix_virt_start(h->dom[i], "microvm", c->hog_mem_mib,
						     x->paths->lwk, hog,
						     args, con, pinned ? pin : NULL,
						     pinned ? pin : NULL, err, sizeof err);
			if (h->handle[i] < 0)
				goto fail;
		}
		h->n = i + 1;
	}
	/* a hog runs once its domain has used more CPU than booting took in calibration */
	for (double t0 = ix_now();;) {
		int ready = 0;
		for (int i = 0; i < h->n; i++) {
			double t = ix_virt_cputime(h->dom[i]);
			if (t < 0) {
				snprintf(err, sizeof err, "commodity VM %s stopped while booting",
					 h->dom[i]);
				goto fail;
			}
			ready += t >= x->hog_ready_cpu_s[h->dsvd];
		}
		if (ready == h->n) {
			ix_progress("         %d commodity VM(s) running hog after %.1f s\n", h->n,
				    ix_now() - t0);
			return 0;
		}
		if (ix_now() - t0 > 180) {
			snprintf(err, sizeof err, "the commodity VMs did not boot within 180 s");
			goto fail;
		}
		if (!ix_sleep(0.1))
			break;
	}
	snprintf(err, sizeof err, "stopped");
fail:
	snprintf(s->note, sizeof s->note, "%s", err);
	stop_hogs(x, h);
	return -1;
}

/* All hogs still running (they never end on their own)? */
static bool hogs_alive(const struct hogs *h, struct ix_sample *s)
{
	for (int i = 0; i < h->n; i++)
		if (ix_virt_cputime(h->dom[i]) < 0) {
			snprintf(s->note, sizeof s->note, "commodity VM %s stopped during the run",
				 h->dom[i]);
			return false;
		}
	return true;
}

int ix_calibrate_hogs(struct ix_ctx *x, bool pc, char *err, size_t errlen)
{
	const struct ix_cfg *c = x->cfg;
	char hog[IX_PATH + 8], name[64], con[IX_PATH + 80], args[256];
	snprintf(hog, sizeof hog, "%s/hog", x->paths->workloads);
	snprintf(name, sizeof name, "dsv-%s-calib%s", c->run_id, pc ? "pc" : "");
	snprintf(con, sizeof con, "%s/%s.console", x->tmp, name);
	snprintf(args, sizeof args, "hog --mode %s --seconds 0.3 --threads 1 --quiet", c->hog_arg);
	double t0 = ix_now();
	const char *machine = pc ? "pc" : "microvm";
	int h = ix_virt_start(name, machine, c->hog_mem_mib, x->paths->lwk, hog, args, con,
			      c->comm_list, c->comm_list, err, errlen);
	if (h < 0)
		return -1;
	int r = -1;
	double cpu = -1;
	while (ix_now() - t0 < 180) {
		double now_cpu = ix_virt_cputime(name);
		if (now_cpu >= 0)
			cpu = now_cpu;
		if (console_result(con, "hog")) {
			struct ix_sample s = { 0 };
			size_t len;
			char *t = slurp(con, &len);
			static struct ovh_obj o;
			if (t && ovh_json_find(t, len, "workload", "hog", &o) == 0 &&
			    ovh_json_true(&o, "ok"))
				r = 0;
			else
				snprintf(err, errlen, "the hog in a commodity VM failed: %s",
					 t ? t : "(no console)");
			free(t);
			(void)s;
			break;
		}
		if (now_cpu < 0) {
			snprintf(err, errlen, "the calibration VM %s stopped without a result", name);
			break;
		}
		if (!ix_sleep(0.05)) {
			snprintf(err, errlen, "stopped");
			break;
		}
	}
	if (r < 0 && !err[0])
		snprintf(err, errlen, "the calibration VM did not finish within 180 s");
	ix_cleanup_pop(h, true);
	unlink(con);
	if (r == 0) {
		/* what booting plus the 0.3 s run cost, plus a margin: past it the hog runs */
		x->hog_ready_cpu_s[pc] = cpu + 0.2;
		ix_progress("calibration: a commodity VM (machine %s) boots and runs a 0.3 s hog in "
			    "%.1f s wall, %.2f s of CPU; hogs count as running past %.2f s of CPU\n",
			    machine, ix_now() - t0, cpu, x->hog_ready_cpu_s[pc]);
	}
	return r;
}

/* ---- node modes ---- */

static bool foreign_partition(const struct ix_ctx *x)
{
	struct stat st;
	return !x->dsvd.partitioned && stat("/sys/fs/cgroup/cpuset/dsv-hpc", &st) == 0;
}

static bool cpus_allowed(const struct ix_cfg *c)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set))
		return false;
	for (int i = 0; i < c->nall; i++)
		if (!CPU_ISSET(c->all[i], &set))
			return false;
	return true;
}

/* Waits while another tool holds the node partitioned. */
static int wait_for_node(struct ix_ctx *x, char *err, size_t errlen)
{
	double t0 = ix_now();
	bool said = false;
	while (foreign_partition(x) || (!x->dsvd.partitioned && !cpus_allowed(x->cfg))) {
		if (ix_now() - t0 > x->cfg->wait_s) {
			snprintf(err, errlen, "the node is partitioned by another tool (a dsv-hpc "
				 "cpuset exists or CPUs are withheld) for more than %.0f s",
				 x->cfg->wait_s);
			return -1;
		}
		if (!said)
			ix_progress("waiting: the node is partitioned by another tool...\n");
		said = true;
		if (!ix_sleep(0.5)) {
			snprintf(err, errlen, "stopped");
			return -1;
		}
	}
	return 0;
}

int ix_node_mode(struct ix_ctx *x, bool partitioned, char *err, size_t errlen)
{
	if (!partitioned) {
		x->dsvd.hpc_tasks[0] = 0;
		if (x->dsvd.partitioned) {
			double t0 = ix_now();
			if (ix_dsvd_release(&x->dsvd, err, errlen) < 0)
				return -1;
			ix_progress("released the node partition (%.1f s)\n", ix_now() - t0);
		}
		return wait_for_node(x, err, errlen);
	}
	if (x->dsvd.partitioned)
		return 0;
	if (x->dsvd.pid == 0) { /* an existing dsvd: use its partition when it has one */
		int p = ix_dsvd_partitioned(&x->dsvd, err, errlen);
		if (p < 0)
			return -1;
		if (p == 1) {
			ix_note(x, "the node was already partitioned by the dsvd at %s; it was used "
				"as it is and left applied", x->dsvd.sock);
			return ix_dsvd_hpc_cgroup(&x->dsvd, err, errlen);
		}
	}
	if (wait_for_node(x, err, errlen) < 0)
		return -1;
	double t0 = ix_now();
	if (ix_dsvd_partition(&x->dsvd, x->cfg, err, errlen) < 0)
		return -1;
	if (ix_dsvd_hpc_cgroup(&x->dsvd, err, errlen) < 0)
		return -1;
	ix_progress("partitioned the node: HPC CPUs %s, housekeeping %s, commodity %s, %d MiB "
		    "hugepages (%.1f s)\n", x->cfg->hpc_list, x->cfg->hk_list, x->cfg->comm_list,
		    x->cfg->part_mem_mib, ix_now() - t0);
	return 0;
}

/* ---- one repetition ---- */

static int run_app(struct ix_ctx *x, enum ix_scn sc, bool fwq, int rep, struct ix_sample *s)
{
	switch (sc) {
	case SCN_NATIVE: return run_native(x, fwq, s);
	case SCN_HPC_ALONE:
	case SCN_DUAL: return run_hpc_dsvd(x, fwq, rep, s);
	case SCN_SINGLE: return run_hpc_libvirt(x, fwq, false, rep, s);
	case SCN_SINGLE_PINNED: return run_hpc_libvirt(x, fwq, true, rep, s);
	default: return -1;
	}
}

static int ix_run_scenario1(struct ix_ctx *x, enum ix_scn sc, int rep, struct ix_sample *out);

/*
 * Other dsvd instances on the host (other test suites, a system agent) partition with the
 * same cgroup names (dsv-hpc, dsv-host, ...) and move every task of the root cpuset when they
 * apply: a run during which one was alive is flagged. Returns how many there are.
 */
static int foreign_dsvds(const struct ix_ctx *x, char *which, size_t cap)
{
	DIR *d = opendir("/proc");
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		int pid = atoi(de->d_name);
		if (pid <= 0 || pid == x->dsvd.pid)
			continue;
		char path[64], comm[64] = "";
		snprintf(path, sizeof path, "/proc/%d/comm", pid);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof comm, f) && !strcmp(comm, "dsvd\n")) {
			if (!n)
				snprintf(which, cap, "pid %d", pid);
			n++;
		}
		fclose(f);
	}
	if (d)
		closedir(d);
	return n;
}

static void flag_foreign(struct ix_ctx *x, enum ix_scn sc, int rep, struct ix_sample *out)
{
	char which[64];
	int n = foreign_dsvds(x, which, sizeof which);
	if (!n || strstr(out->note, "another dsvd"))
		return;
	size_t len = strlen(out->note);
	snprintf(out->note + len, sizeof out->note - len, "%sanother dsvd (%s) was running",
		 len ? "; " : "", which);
	ix_note(x, "%s rep %d: another dsvd (%s; %d in all) was running on the host during the "
		"run; it partitions with the same cgroup names", ix_scn_name(sc), rep + 1, which, n);
}

int ix_run_scenario(struct ix_ctx *x, enum ix_scn sc, int rep, struct ix_sample *out)
{
	int r = ix_run_scenario1(x, sc, rep, out);
	flag_foreign(x, sc, rep, out);
	return r;
}

static int ix_run_scenario1(struct ix_ctx *x, enum ix_scn sc, int rep, struct ix_sample *out)
{
	char which[64];
	bool before = foreign_dsvds(x, which, sizeof which) > 0;
	memset(out, 0, sizeof *out);
	out->other_ms = out->hog_ms = out->irq_ms[0] = out->irq_ms[1] = out->irq_ms[2] = NAN;
	bool hogs = sc == SCN_SINGLE || sc == SCN_SINGLE_PINNED || sc == SCN_DUAL;
	struct hogs h = { 0 };
	if (hogs && x->cfg->hogs > 0 && start_hogs(x, sc, rep, &h, out) < 0)
		return ix_stop ? -1 : 0;
	bool sampling = ix_sampler_start(x->cfg) == 0;
	for (int i = 0; i < h.n; i++) {
		int pid = qemu_pid(h.dom[i]);
		if (pid > 0)
			ix_sampler_hog(pid);
	}
	if (run_app(x, sc, false, rep, out) == 0) {
		out->ok = true;
		if (x->cfg->fwq_probe && strcmp(x->cfg->workload, "fwq")) {
			struct ix_sample f = { 0 };
			if (run_app(x, sc, true, rep, &f) == 0) {
				out->noise_pct = f.noise_pct;
				out->detour_us = f.detour_us;
				out->fwq_ok = f.fwq_ok;
			} else {
				snprintf(out->note, sizeof out->note, "fwq probe: %s", f.note);
			}
		}
	} else {
		out->ok = false;
	}
	out->other_ms = sampling ? ix_sampler_stop(out->other, sizeof out->other, out->irq_ms,
						   &out->hog_ms) : NAN;
	if (out->ok && hogs && !hogs_alive(&h, out))
		out->ok = false;
	stop_hogs(x, &h);
	if (before)
		flag_foreign(x, sc, rep, out);
	return ix_stop ? -1 : 0;
}
