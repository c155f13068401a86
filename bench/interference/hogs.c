/*
 * The commodity VMs: K one-vCPU VMs running hog, made by dsvd (dual-stack) or by the runner
 * through libvirt (single-stack), and the calibration that tells when a hog runs.
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

/* ---- the commodity VMs ---- */

static void hog_args(struct ix_ctx *x, char *out, size_t cap)
{
	snprintf(out, cap, "hog --mode %s --seconds 1000000 --threads 1 --quiet", x->cfg->hog_arg);
}

void ix_stop_hogs(struct ix_ctx *x, struct ix_hogs *h)
{
	for (int i = h->n - 1; i >= 0; i--) {
		if (h->dsvd)
			ix_dsvd_delete(&x->dsvd, h->vm[i]);
		else
			ix_cleanup_pop(h->handle[i], true);
	}
	h->n = 0;
}

/* A kvm_pvm host: an unmodified Linux guest's kernel runs in KVM's instruction emulator
 * (docs/commodity.md) and does not reach its user-data in any reasonable time. */
static bool pvm_host(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0 && access("/dev/kvm", F_OK) == 0;
}

/* How many of the hogs run their load: lwk hogs by CPU time past the calibration, image
 * hogs by the token their user-data writes to the console (on PVM: by the guest kernel's
 * first line, all they get to). -1 with err when one stopped. */
static int hogs_ready(struct ix_ctx *x, const struct ix_hogs *h, bool pvm, char *err, size_t errlen)
{
	int ready = 0;
	for (int i = 0; i < h->n; i++) {
		double t = ix_virt_cputime(h->dom[i]);
		if (t < 0) {
			snprintf(err, errlen, "commodity VM %s stopped while booting", h->dom[i]);
			return -1;
		}
		if (h->kind == HOG_LWK) {
			ready += t >= x->hog_ready_cpu_s;
			continue;
		}
		char token[128], failed[128];
		ix_hog_token(h->vm[i], token, sizeof token);
		ix_hog_failed_token(h->vm[i], failed, sizeof failed);
		int r = ix_dsvd_console_has(&x->dsvd, h->vm[i], pvm ? "Linux version" : token);
		int f = pvm || r ? 0 : ix_dsvd_console_has(&x->dsvd, h->vm[i], failed);
		if (r < 0 || f < 0) {
			snprintf(err, errlen, "cannot read the console of commodity VM %s",
				 h->vm[i]);
			return -1;
		}
		if (f) {
			snprintf(err, errlen,
				 "commodity VM %s: its %s hog exited at once (its "
				 "user-data's load cannot run in this image)",
				 h->vm[i], x->cfg->hog_mode);
			return -1;
		}
		ready += r;
	}
	return ready;
}

/* Starts K hogs for scenario sc and waits until each runs; -1 with a note on failure. */
int ix_start_hogs(struct ix_ctx *x, enum ix_scn sc, enum ix_hog_kind k, int rep, struct ix_hogs *h,
		  struct ix_sample *s)
{
	const struct ix_cfg *c = x->cfg;
	char hog[IX_PATH + 8], args[512], err[1024];
	snprintf(hog, sizeof hog, "%s/hog", x->paths->workloads);
	hog_args(x, args, sizeof args);
	memset(h, 0, sizeof *h);
	h->kind = k;
	h->dsvd = ix_hog_via_dsvd(sc, k);
	bool pvm = k == HOG_IMAGE && pvm_host();
	double bound = k == HOG_IMAGE ? c->hog_boot_s : 180;
	for (int i = 0; i < c->hogs; i++) {
		if (h->dsvd) {
			snprintf(h->vm[i], sizeof h->vm[i], "%s-%s%d-%d", c->run_id,
				 k == HOG_IMAGE ? "img" : "hog", rep, i);
			snprintf(h->dom[i], sizeof h->dom[i], "dsv-%s", h->vm[i]);
			char *body = ix_hog_body(c, x->paths->lwk, hog, sc, k, h->vm[i], err,
						 sizeof err);
			if (!body)
				goto fail;
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
			h->handle[i] = ix_virt_start(
				h->dom[i], "microvm", c->hog_mem_mib, x->paths->lwk, hog, args, con,
				pinned ? pin : NULL, pinned ? pin : NULL, err, sizeof err);
			if (h->handle[i] < 0)
				goto fail;
		}
		h->n = i + 1;
	}
	for (double t0 = ix_now();;) {
		int ready = hogs_ready(x, h, pvm, err, sizeof err);
		if (ready < 0)
			goto fail;
		if (ready == h->n) {
			ix_progress("         %d commodity VM(s) running %s after %.1f s\n", h->n,
				    k == HOG_LWK ? "hog"
				    : pvm	 ? "their guest kernel (PVM host)"
						 : "the hog from their user-data",
				    ix_now() - t0);
			if (pvm)
				ix_note(x,
					"This is a kvm_pvm host: the image hogs' unmodified Linux "
					"kernels run in KVM's instruction emulator and do not "
					"reach "
					"their user-data, so the image rows measure commodity VMs "
					"busy "
					"emulating a guest kernel, not the hog "
					"(docs/interference.md).");
			return 0;
		}
		if (ix_now() - t0 > bound) {
			snprintf(err, sizeof err,
				 "%d of %d commodity VM(s) did not %s within %.0f s", h->n - ready,
				 h->n,
				 k == HOG_LWK ? "boot"
				 : pvm	      ? "print the guest kernel's first line"
					      : "start the hog from their user-data",
				 bound);
			goto fail;
		}
		if (!ix_sleep(k == HOG_LWK ? 0.1 : 0.5))
			break;
	}
	snprintf(err, sizeof err, "stopped");
fail:
	snprintf(s->note, sizeof s->note, "%s", err);
	ix_stop_hogs(x, h);
	return -1;
}

/* All hogs still running (they never end on their own)? */
bool ix_hogs_alive(const struct ix_hogs *h, struct ix_sample *s)
{
	for (int i = 0; i < h->n; i++)
		if (ix_virt_cputime(h->dom[i]) < 0) {
			snprintf(s->note, sizeof s->note, "commodity VM %s stopped during the run",
				 h->dom[i]);
			return false;
		}
	return true;
}

/*
 * Boots one commodity VM (machine microvm, as the runner's domains and dsvd's commodity VMs
 * are) with a 0.3 s hog and records the CPU time that took.
 */
int ix_calibrate_hogs(struct ix_ctx *x, char *err, size_t errlen)
{
	const struct ix_cfg *c = x->cfg;
	char hog[IX_PATH + 8], name[64], con[IX_PATH + 80], args[256];
	snprintf(hog, sizeof hog, "%s/hog", x->paths->workloads);
	snprintf(name, sizeof name, "dsv-%s-calib", c->run_id);
	snprintf(con, sizeof con, "%s/%s.console", x->tmp, name);
	snprintf(args, sizeof args, "hog --mode %s --seconds 0.3 --threads 1 --quiet", c->hog_arg);
	double t0 = ix_now();
	const char *machine = "microvm";
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
		if (ix_console_result(con, "hog")) {
			struct ix_sample s = { 0 };
			size_t len;
			char *t = ix_slurp(con, &len);
			static struct bench_obj o;
			if (t && bench_json_find(t, len, "workload", "hog", &o) == 0 &&
			    bench_json_true(&o, "ok"))
				r = 0;
			else
				snprintf(err, errlen, "the hog in a commodity VM failed: %s",
					 t ? t : "(no console)");
			free(t);
			(void)s;
			break;
		}
		if (now_cpu < 0) {
			snprintf(err, errlen, "the calibration VM %s stopped without a result",
				 name);
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
		x->hog_ready_cpu_s = cpu + 0.2;
		ix_progress(
			"calibration: a commodity VM (machine %s) boots and runs a 0.3 s hog in "
			"%.1f s wall, %.2f s of CPU; hogs count as running past %.2f s of CPU\n",
			machine, ix_now() - t0, cpu, x->hog_ready_cpu_s);
	}
	return r;
}
