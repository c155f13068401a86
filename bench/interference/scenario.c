/*
 * The five scenarios (docs/interference.md). Each repetition of a scenario: start the commodity VMs
 * (K hogs) where the scenario has them and wait until every hog runs, run the HPC
 * application, then the fwq probe in the same setting, check the hogs ran throughout,
 * delete everything it made.
 *
 *   native-alone         the workload, a native process in the partition's HPC cpuset, pinned
 *                        to the HPC CPUs (exec_in.c)
 *   hpc-alone            hvmm + lwk through dsvd on the HPC partition
 *   single-stack         libvirt/QEMU + lwk (PVH), unpinned; hogs unpinned on every CPU
 *   single-stack-pinned  the same VM pinned to the HPC CPUs; hogs pinned round-robin over
 *                        every CPU (the HPC CPUs included): pinning without a partition
 *   dual-stack           hvmm through dsvd on the HPC partition; hogs are dsvd commodity VMs
 *                        (libvirt) confined to the commodity partition
 *
 * The hogs are of one kind per row: the lwk running hog (as above), or ordinary Linux VMs
 * from --hog-image, always made by dsvd (an image VM needs its overlay and NoCloud seed):
 * in the single-stack scenarios dsvd has no partition and spreads them over every CPU.
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

static const char *const names[NSCN] = { "native-alone", "hpc-alone", "single-stack",
					 "single-stack-pinned", "dual-stack" };

const char *ix_scn_name(enum ix_scn s)
{
	return names[s];
}

const char *ix_scn_desc(enum ix_scn s, const struct ix_ctx *x)
{
	switch (s) {
	case SCN_NATIVE:
		return "native process in the HPC cpuset of the partition, pinned to the "
		       "HPC CPUs, no commodity VMs";
	case SCN_HPC_ALONE:
		return "hvmm + lwk via dsvd on the HPC partition, no commodity VMs";
	case SCN_SINGLE:
		return x->single_uses_hvmm ? "hvmm (no partition) beside unpinned libvirt hogs"
					   : "libvirt/QEMU + lwk (PVH), unpinned, beside unpinned "
					     "libvirt hogs";
	case SCN_SINGLE_PINNED:
		return x->single_uses_hvmm
			       ? "hvmm pinned (no partition) beside hogs pinned "
				 "round-robin over every CPU"
			       : "libvirt/QEMU + lwk pinned to the HPC CPUs, hogs pinned "
				 "round-robin over every CPU, no partition";
	case SCN_DUAL:
		return "hvmm + lwk via dsvd on the HPC partition, hogs as dsvd commodity VMs";
	default:
		return "?";
	}
}

bool ix_scn_has_hogs(enum ix_scn s)
{
	return s == SCN_SINGLE || s == SCN_SINGLE_PINNED || s == SCN_DUAL;
}

bool ix_row_on(const struct ix_cfg *c, enum ix_scn s, enum ix_hog_kind k)
{
	if (!c->scn_on[s])
		return false;
	if (!ix_scn_has_hogs(s) || c->hogs == 0)
		return k == HOG_LWK; /* one row: there are no hogs to tell apart */
	return c->kind_on[k];
}

const char *ix_row_hogs(const struct ix_cfg *c, enum ix_scn s, enum ix_hog_kind k)
{
	if (!ix_scn_has_hogs(s) || c->hogs == 0)
		return "-";
	return k == HOG_IMAGE ? "image" : "lwk";
}

void ix_row_desc(enum ix_scn s, enum ix_hog_kind k, const struct ix_ctx *x, char *out, size_t cap)
{
	const char *d = ix_scn_desc(s, x);
	if (k != HOG_IMAGE || !ix_scn_has_hogs(s)) {
		snprintf(out, cap, "%s", d);
		return;
	}
	/* the HPC side as for the lwk hogs, the hogs are dsvd's image VMs */
	const char *hpc =
		s == SCN_DUAL ? "hvmm + lwk via dsvd on the HPC partition"
		: s == SCN_SINGLE_PINNED
			? (x->single_uses_hvmm ? "hvmm pinned (no partition)"
					       : "libvirt/QEMU + lwk pinned to the HPC CPUs")
			: (x->single_uses_hvmm ? "hvmm (no partition)"
					       : "libvirt/QEMU + lwk (PVH), unpinned");
	snprintf(out, cap, "%s, beside Linux VMs from the image as dsvd commodity VMs %s", hpc,
		 s == SCN_DUAL ? "confined to the commodity partition"
			       : "(no partition: dsvd spreads their vCPUs over every CPU)");
}

static void flag_foreign(struct ix_ctx *x, enum ix_scn sc, int rep, struct ix_sample *out)
{
	char which[64];
	int n = ix_foreign_dsvds(x, which, sizeof which);
	/* with --socket, one of them is the dsvd the runner uses (its pid is not known) */
	if (n < (x->cfg->socket ? 2 : 1) || strstr(out->note, "another dsvd"))
		return;
	size_t len = strlen(out->note);
	snprintf(out->note + len, sizeof out->note - len, "%sanother dsvd (%s) was running",
		 len ? "; " : "", which);
	ix_note(x,
		"%s rep %d: another dsvd (%s; %d in all) was running on the host during the "
		"run; it partitions with the same cgroup names",
		ix_scn_name(sc), rep + 1, which, n);
}

static int run_once(struct ix_ctx *x, enum ix_scn sc, enum ix_hog_kind kind, int rep,
		    struct ix_sample *out)
{
	char which[64];
	bool before = ix_foreign_dsvds(x, which, sizeof which) >= (x->cfg->socket ? 2 : 1);
	memset(out, 0, sizeof *out);
	out->other_ms = out->hog_ms = out->irq_ms[0] = out->irq_ms[1] = out->irq_ms[2] = NAN;
	out->irq_count = NAN;
	bool hogs = ix_scn_has_hogs(sc);
	struct ix_hogs h = { 0 };
	if (hogs && x->cfg->hogs > 0 && ix_start_hogs(x, sc, kind, rep, &h, out) < 0)
		return ix_stop ? -1 : 0;
	ix_sampler_start(x->cfg); /* if it cannot, the sample's sampler fields stay NaN */
	for (int i = 0; i < h.n; i++) {
		int pid = ix_qemu_pid(h.dom[i]);
		if (pid > 0)
			ix_sampler_hog(pid);
	}
	if (ix_run_app(x, sc, false, rep, out) == 0) {
		out->ok = true;
		if (x->cfg->fwq_probe && strcmp(x->cfg->workload, "fwq")) {
			struct ix_sample f = { 0 };
			if (ix_run_app(x, sc, true, rep, &f) == 0) {
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
	ix_sampler_stop(out); /* NaN when it could not start */
	if (out->ok && hogs && !ix_hogs_alive(&h, out))
		out->ok = false;
	ix_stop_hogs(x, &h);
	if (before)
		flag_foreign(x, sc, rep, out);
	return ix_stop ? -1 : 0;
}

int ix_run_scenario(struct ix_ctx *x, enum ix_scn sc, enum ix_hog_kind kind, int rep,
		    struct ix_sample *out)
{
	int r = run_once(x, sc, kind, rep, out);
	flag_foreign(x, sc, rep, out);
	return r;
}
