/*
 * The runner's command line: options, their checks, and the CPU split they give. Kept apart
 * from main.c so the unit tests (tests/bench/interference/test_options.c) parse command lines the
 * way the runner does.
 */
#include "interference.h"
#include "cpulist.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: interference [options]\n"
		"Runs an HPC application beside busy commodity VMs in five scenarios and reports "
		"its\n"
		"slowdown against running alone (docs/interference.md).\n"
		"\n"
		"scenarios: native-alone, hpc-alone, single-stack, single-stack-pinned, "
		"dual-stack\n"
		"\n"
		"options:\n"
		"  --quick                 3 repetitions, smaller sizes (< 5 minutes on a 2-CPU "
		"node)\n"
		"  --reps R                repetitions per scenario, interleaved (default 5, "
		"--quick 3)\n"
		"  --hogs K                commodity VMs (1 vCPU each) running hog (default: 2 "
		"per\n"
		"                          commodity CPU, so the commodity side is overcommitted "
		"2:1)\n"
		"  --hog-mode MODE         cpu | membw | syscall | pagefault (default cpu)\n"
		"  --hog-quota PCT         dual-stack only: dsvd caps each hog vCPU at PCT %% of a "
		"CPU\n"
		"                          (cpu_quota_pct; default: no cap)\n"
		"  --hog-image PATH        commodity hogs may also be ordinary Linux VMs booted "
		"from this\n"
		"                          qcow2 or raw disk image (dsvd's commodity VMs, each on "
		"its own\n"
		"                          overlay), running the hog (cpu, membw or syscall) from "
		"cloud-init\n"
		"                          user-data; sets --hog-kind image unless it is given\n"
		"  --hog-kind LIST         lwk, image or lwk,image: which hogs the scenarios with "
		"hogs run\n"
		"                          beside (default lwk; both: one row per kind)\n"
		"  --hog-image-mem MIB     memory of an image hog (default 512)\n"
		"  --hog-boot-timeout S    how long image hogs may take to reach their hog "
		"(default 300)\n"
		"  --workload W            cg | fwq | stream | dgemm (default cg)\n"
		"  --size S                small, or the workload's size: cg --nx, stream/dgemm "
		"--n,\n"
		"                          fwq --samples (default: the workload's, smaller with "
		"--quick)\n"
		"  --scenarios LIST        comma-separated scenario names, or all (default all)\n"
		"  --out DIR               results directory (default "
		"bench/results/interference-STAMP)\n"
		"  --hpc-cpus LIST         HPC CPUs (default: every online CPU but the first)\n"
		"  --housekeeping-cpus L   housekeeping CPUs (default: the first online CPU)\n"
		"  --commodity-cpus LIST   commodity CPUs (default: the housekeeping CPUs)\n"
		"  --socket PATH           use a running dsvd instead of starting one (a partition "
		"it\n"
		"                          already has is used and left applied)\n"
		"  --no-fwq                no fwq probe after each run of the application\n"
		"  --timeout S             limit per HPC run (default 300)\n"
		"  --wait S                how long to wait for a node partitioned by another "
		"tool\n"
		"                          (default 300)\n"
		"  --help                  this text\n"
		"\n"
		"Needs root, /dev/kvm, libvirtd (scripts/start-services.sh) and the build tree "
		"(hvmm,\n"
		"lwk, dsvd, workloads). Every VM it makes is deleted and the partition it applies "
		"is\n"
		"released on exit, on error and on SIGINT/SIGTERM.\n"
		"exit status: 0 all runs verified; 1 some runs failed (see the report); 2 bad "
		"usage;\n"
		"3 could not set up (dsvd, libvirt, calibration); 130 interrupted.\n");
}

/* A CPU-list option ("1-3,6"), or -1 after saying what is wrong with it. */
static int cpu_option(const char *opt, const char *s, int *out, int max)
{
	char err[256];
	int n = cpulist_parse(s, out, (size_t)max, err, sizeof err);
	if (n < 0)
		fprintf(stderr, "interference: %s: %s\n", opt, err);
	return n;
}

static int test_online[IX_MAX_CPUS], test_nonline;

void ix_options_set_online(const int *cpus, int n)
{
	test_nonline = n < IX_MAX_CPUS ? n : IX_MAX_CPUS;
	memcpy(test_online, cpus, sizeof(int) * (size_t)test_nonline);
}

static int online_cpus(int *out, int max)
{
	if (test_nonline > 0) {
		int n = test_nonline < max ? test_nonline : max;
		memcpy(out, test_online, sizeof(int) * (size_t)n);
		return n;
	}
	FILE *f = fopen("/sys/devices/system/cpu/online", "re");
	char buf[1024] = "";
	if (f) {
		if (!fgets(buf, sizeof buf, f))
			buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
	char why[128];
	static const struct cpulist_rules sysfs = { CPULIST_MAX_CPU, false, false, true };
	int n = buf[0] ? cpulist_scan(buf, &sysfs, out, (size_t)max, why, sizeof why) : -1;
	if (n <= 0) {
		n = (int)sysconf(_SC_NPROCESSORS_ONLN);
		for (int i = 0; i < n && i < max; i++)
			out[i] = i;
	}
	return n;
}

static bool is_in(int c, const int *v, int n)
{
	for (int i = 0; i < n; i++)
		if (v[i] == c)
			return true;
	return false;
}

/* An integer option in lo..hi, or -1 after saying so. */
static int int_option(const char *opt, const char *v, int lo, int hi, int *out)
{
	char *e;
	long n = strtol(v, &e, 10);
	if (e == v || *e || n < lo || n > hi) {
		fprintf(stderr, "interference: %s must be %d..%d\n", opt, lo, hi);
		return -1;
	}
	*out = (int)n;
	return 0;
}

/* --hog-kind: "lwk", "image", or both, comma-separated. */
static int kind_option(const char *v, struct ix_cfg *c)
{
	char copy[64], *save = NULL;
	if (snprintf(copy, sizeof copy, "%s", v) >= (int)sizeof copy)
		copy[0] = 0;
	c->kind_on[HOG_LWK] = c->kind_on[HOG_IMAGE] = false;
	int n = 0;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save), n++) {
		if (!strcmp(t, "lwk"))
			c->kind_on[HOG_LWK] = true;
		else if (!strcmp(t, "image"))
			c->kind_on[HOG_IMAGE] = true;
		else
			n = -100;
	}
	if (n <= 0) {
		fprintf(stderr, "interference: --hog-kind must be lwk, image or lwk,image\n");
		return -1;
	}
	return 0;
}

/* What --hog-image, --hog-kind and --hog-mode ask of image hogs, checked together. */
static int image_options(struct ix_cfg *c, const char *image, bool kind_given)
{
	if (!kind_given)
		c->kind_on[image ? HOG_IMAGE : HOG_LWK] = true;
	if (!c->kind_on[HOG_IMAGE]) {
		if (image) {
			fprintf(stderr, "interference: --hog-image is given but --hog-kind has no "
					"image\n");
			return -1;
		}
		return 0;
	}
	if (!image) {
		fprintf(stderr, "interference: --hog-kind image needs --hog-image PATH\n");
		return -1;
	}
	if (!strcmp(c->hog_mode, "pagefault")) {
		fprintf(stderr, "interference: image hogs run cpu, membw or syscall hogs from a "
				"shell script; --hog-mode pagefault has no such form\n");
		return -1;
	}
	char err[IX_PATH + 256];
	if (ix_image_check(image, c->hog_image, sizeof c->hog_image, err, sizeof err) < 0) {
		fprintf(stderr, "interference: --hog-image: %s\n", err);
		return -1;
	}
	return 0;
}

int ix_parse_args(int argc, char **argv, struct ix_cfg *c)
{
	enum {
		O_REPS = 256,
		O_HOGS,
		O_MODE,
		O_WL,
		O_SIZE,
		O_SCN,
		O_OUT,
		O_HPC,
		O_HK,
		O_COMM,
		O_SOCK,
		O_NOFWQ,
		O_TIMEOUT,
		O_WAIT,
		O_QUICK,
		O_HELP,
		O_QUOTA,
		O_IMAGE,
		O_KIND,
		O_IMAGE_MEM,
		O_BOOT
	};
	static const struct option opts[] = { { "quick", no_argument, 0, O_QUICK },
					      { "reps", required_argument, 0, O_REPS },
					      { "hogs", required_argument, 0, O_HOGS },
					      { "hog-mode", required_argument, 0, O_MODE },
					      { "hog-quota", required_argument, 0, O_QUOTA },
					      { "hog-image", required_argument, 0, O_IMAGE },
					      { "hog-kind", required_argument, 0, O_KIND },
					      { "hog-image-mem", required_argument, 0,
						O_IMAGE_MEM },
					      { "hog-boot-timeout", required_argument, 0, O_BOOT },
					      { "workload", required_argument, 0, O_WL },
					      { "size", required_argument, 0, O_SIZE },
					      { "scenarios", required_argument, 0, O_SCN },
					      { "out", required_argument, 0, O_OUT },
					      { "hpc-cpus", required_argument, 0, O_HPC },
					      { "housekeeping-cpus", required_argument, 0, O_HK },
					      { "commodity-cpus", required_argument, 0, O_COMM },
					      { "socket", required_argument, 0, O_SOCK },
					      { "no-fwq", no_argument, 0, O_NOFWQ },
					      { "timeout", required_argument, 0, O_TIMEOUT },
					      { "wait", required_argument, 0, O_WAIT },
					      { "help", no_argument, 0, O_HELP },
					      { 0, 0, 0, 0 } };
	const char *hpc = NULL, *hk = NULL, *comm = NULL, *scn = "all", *image = NULL;
	bool kind_given = false;
	optind = 0; /* glibc: start afresh (the tests parse several command lines) */
	c->reps = -1;
	c->hog_image_mem_mib = 512;
	c->hog_boot_s = 300;
	c->hogs = -1;
	c->hog_mode = "cpu";
	c->workload = "cg";
	c->fwq_probe = true;
	c->timeout_s = 300;
	c->wait_s = 300;
	int o;
	char *e;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case O_QUICK:
			c->quick = true;
			break;
		case O_REPS:
			if (int_option("--reps", optarg, 1, IX_MAX_REPS, &c->reps) < 0)
				return -1;
			break;
		case O_HOGS:
			if (int_option("--hogs", optarg, 0, IX_MAX_HOGS, &c->hogs) < 0)
				return -1;
			break;
		case O_MODE:
			c->hog_mode = optarg;
			break;
		case O_QUOTA:
			if (int_option("--hog-quota", optarg, 1, 100, &c->hog_quota_pct) < 0)
				return -1;
			break;
		case O_IMAGE:
			image = optarg;
			break;
		case O_KIND:
			if (kind_option(optarg, c) < 0)
				return -1;
			kind_given = true;
			break;
		case O_IMAGE_MEM:
			if (int_option("--hog-image-mem", optarg, 64, 65536,
				       &c->hog_image_mem_mib) < 0)
				return -1;
			break;
		case O_BOOT:
			c->hog_boot_s = strtod(optarg, &e);
			if (*e || !(c->hog_boot_s > 0)) {
				fprintf(stderr,
					"interference: --hog-boot-timeout must be a positive "
					"number\n");
				return -1;
			}
			break;
		case O_WL:
			c->workload = optarg;
			break;
		case O_SIZE:
			snprintf(c->size, sizeof c->size, "%s", optarg);
			break;
		case O_SCN:
			scn = optarg;
			break;
		case O_OUT:
			snprintf(c->out_dir, sizeof c->out_dir, "%s", optarg);
			break;
		case O_HPC:
			hpc = optarg;
			break;
		case O_HK:
			hk = optarg;
			break;
		case O_COMM:
			comm = optarg;
			break;
		case O_SOCK:
			c->socket = optarg;
			break;
		case O_NOFWQ:
			c->fwq_probe = false;
			break;
		case O_TIMEOUT:
			c->timeout_s = strtod(optarg, &e);
			if (*e || !(c->timeout_s > 0)) {
				fprintf(stderr,
					"interference: --timeout must be a positive number\n");
				return -1;
			}
			break;
		case O_WAIT:
			c->wait_s = strtod(optarg, &e);
			if (*e || !(c->wait_s >= 0)) {
				fprintf(stderr, "interference: --wait must be 0 or more seconds\n");
				return -1;
			}
			break;
		case O_HELP:
		case 'h':
			usage(stdout);
			return 1;
		default:
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "interference: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	const char *modes[][2] = { { "cpu", "spin" },
				   { "membw", "mem" },
				   { "syscall", "syscall" },
				   { "pagefault", "fault" } };
	for (int i = 0; i < 4; i++)
		if (!strcmp(c->hog_mode, modes[i][0]))
			c->hog_arg = modes[i][1];
	if (!c->hog_arg) {
		fprintf(stderr,
			"interference: --hog-mode must be cpu, membw, syscall or pagefault\n");
		return -1;
	}
	if (image_options(c, image, kind_given) < 0)
		return -1;
	if (strcmp(c->workload, "cg") && strcmp(c->workload, "fwq") &&
	    strcmp(c->workload, "stream") && strcmp(c->workload, "dgemm")) {
		fprintf(stderr, "interference: --workload must be cg, fwq, stream or dgemm\n");
		return -1;
	}
	if (c->size[0] && strcmp(c->size, "small")) {
		strtod(c->size, &e);
		if (*e || atof(c->size) <= 0) {
			fprintf(stderr,
				"interference: --size must be small or a positive number\n");
			return -1;
		}
	}
	if (!strcmp(scn, "all")) {
		for (int s = 0; s < NSCN; s++)
			c->scn_on[s] = true;
	} else {
		char copy[512], *save = NULL;
		snprintf(copy, sizeof copy, "%s", scn);
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			int s;
			for (s = 0; s < NSCN && strcmp(t, ix_scn_name(s)); s++)
				;
			if (s == NSCN) {
				fprintf(stderr, "interference: unknown scenario '%s'\n", t);
				return -1;
			}
			c->scn_on[s] = true;
		}
	}
	/* CPUs */
	c->nall = online_cpus(c->all, IX_MAX_CPUS);
	if (c->nall < 2) {
		fprintf(stderr, "interference: needs at least 2 online CPUs\n");
		return -1;
	}
	int hkv[IX_MAX_CPUS], nhk;
	nhk = hk ? cpu_option("--housekeeping-cpus", hk, hkv, IX_MAX_CPUS)
		 : (hkv[0] = c->all[0], 1);
	if (hpc) {
		c->nhpc = cpu_option("--hpc-cpus", hpc, c->hpc, IX_MAX_CPUS);
	} else {
		c->nhpc = 0;
		for (int i = 0; i < c->nall; i++)
			if (nhk > 0 && !is_in(c->all[i], hkv, nhk))
				c->hpc[c->nhpc++] = c->all[i];
	}
	c->ncomm = comm ? cpu_option("--commodity-cpus", comm, c->comm, IX_MAX_CPUS) : nhk;
	if (!comm && nhk > 0)
		memcpy(c->comm, hkv, sizeof(int) * (size_t)nhk);
	if (c->nhpc < 0 || nhk < 0 || c->ncomm < 0)
		return -1; /* cpu_option said why */
	if (c->nhpc == 0 || nhk == 0 || c->ncomm == 0) {
		fprintf(stderr, "interference: the split leaves no %s CPU\n",
			!c->nhpc ? "HPC"
			: !nhk	 ? "housekeeping"
				 : "commodity");
		return -1;
	}
	for (int i = 0; i < c->nhpc; i++)
		if (!is_in(c->hpc[i], c->all, c->nall) || is_in(c->hpc[i], hkv, nhk) ||
		    is_in(c->hpc[i], c->comm, c->ncomm)) {
			fprintf(stderr,
				"interference: HPC CPU %d is offline or also housekeeping/"
				"commodity\n",
				c->hpc[i]);
			return -1;
		}
	cpulist_format(c->hpc, (size_t)c->nhpc, c->hpc_list, sizeof c->hpc_list);
	cpulist_format(hkv, (size_t)nhk, c->hk_list, sizeof c->hk_list);
	cpulist_format(c->comm, (size_t)c->ncomm, c->comm_list, sizeof c->comm_list);
	if (c->reps < 0)
		c->reps = c->quick ? 3 : 5;
	if (c->hogs < 0)
		c->hogs = 2 * c->ncomm;
	if (c->hogs > IX_MAX_HOGS)
		c->hogs = IX_MAX_HOGS;
	c->app_mem_mib = ix_mem_for(c->workload,
				    c->size[0] ? c->size : ix_default_size(c->workload, c->quick));
	c->fwq_mem_mib = ix_mem_for("fwq", "");
	c->hog_mem_mib = 256;
	/* a margin: the hugepage pool is global, and other processes on the host (any hvmm
	 * with --hugepages auto) may take pages of the reservation */
	c->part_mem_mib = (c->app_mem_mib > c->fwq_mem_mib ? c->app_mem_mib : c->fwq_mem_mib) + 64;
	return 0;
}
