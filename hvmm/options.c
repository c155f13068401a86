#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpulist.h"
#include "dsv/fileio.h"
#include "size.h"

static const char usage[] =
	"usage: hvmm run [options] [--kernel IMAGE] [-- PROGRAM ARGS...]\n"
	"       hvmm --help | --version\n"
	"\n"
	"Runs one HPC virtual machine: dedicated, pinned vCPUs and pre-allocated, locked\n"
	"guest memory. Without --kernel it boots the dsv lightweight kernel (lwk), which runs\n"
	"PROGRAM, a statically linked x86-64 Linux executable. The exit status is the guest's.\n"
	"\n"
	"options:\n"
	"  --vcpus N                  number of vCPUs (default: one per --cpus entry, else 1)\n"
	"  --cpus LIST                host CPUs, one per vCPU, e.g. 2-5 (default: the highest\n"
	"                             CPUs this process may use)\n"
	"  --housekeeping-cpus LIST   CPUs for hvmm's own threads (default: the others)\n"
	"  --mem SIZE                 guest RAM, e.g. 512M, 4G (default 256M)\n"
	"  --hugepages auto|on|off    on: reserved hugetlbfs 2 MiB pages, or fail; auto: those\n"
	"                             if reserved, else transparent huge pages; off: 4 KiB\n"
	"                             pages (default auto)\n"
	"  --hugetlbfs DIR            guest RAM from a file in DIR, a hugetlbfs mount of\n"
	"                             2 MiB pages (pages reserved for that mount alone, as\n"
	"                             dsvd's HPC partition has); implies --hugepages on\n"
	"  --share DIR                directory the program may read and write (lwk); not /\n"
	"  --shm DIR                  the program's /dev/shm is DIR (the VMs of one job pass\n"
	"                             the same DIR to share memory); default: no /dev/shm\n"
	"  --share-max-file-size SIZE no file grows past SIZE (e.g. 1G) through the share or\n"
	"                             --log: writes beyond it fail with EFBIG (RLIMIT_FSIZE)\n"
	"  --net none|host            the program's network (lwk): none allows pipes and\n"
	"                             AF_UNIX socket pairs only; host adds IPv4/IPv6 sockets\n"
	"                             and abstract AF_UNIX names in hvmm's network namespace\n"
	"                             (default none)\n"
	"  --inherit-fd N|VAR         give the program descriptor N (3-1023) that hvmm was\n"
	"                             started with, under the same number; VAR: the number\n"
	"                             in that environment variable (e.g. PMI_FD, for MPI);\n"
	"                             repeatable; no other descriptor of hvmm is visible\n"
	"  --offload auto|ring|exit   how the lwk's file and descriptor calls reach hvmm:\n"
	"                             ring: a shared-memory ring polled by a proxy thread on\n"
	"                             the housekeeping CPUs (no exit to hvmm); exit: one exit\n"
	"                             per call; auto: ring on kvm_pvm hosts with a\n"
	"                             housekeeping CPU of its own, else exit (default auto,\n"
	"                             or $HVMM_OFFLOAD: test runs force either way with it)\n"
	"  --fastpath auto|on|off     answer futex wakes without waiters, futex waits on a\n"
	"                             word that differs, getpid, getppid and sched_yield in\n"
	"                             user mode: the lwk rewrites the program's syscall\n"
	"                             sites that make them (docs/lwk.md); auto: on on kvm_pvm\n"
	"                             hosts, where every system call traps to the host, off\n"
	"                             elsewhere (default auto, or $HVMM_FASTPATH)\n"
	"  --cmdline STR              kernel command line\n"
	"  --kernel IMAGE             ELF64 guest kernel (default: the built lwk.elf)\n"
	"  --stats[=json]             print exits, time split, memory backing and pinning at exit\n"
	"  --log FILE                 write the guest console and hvmm's messages to FILE\n"
	"  --status-file FILE         write the exit status to FILE (\"N\\n\"; empty while "
	"running)\n"
	"  --ready-fd N               report the launch on the inherited descriptor N (3 or\n"
	"                             above): one line, \"ready\" once the guest starts or\n"
	"                             \"error: REASON\" when it cannot, then N is closed\n"
	"  --jail DIR                 run as PID 1 of new PID, network and IPC namespaces\n"
	"                             (hvmm's first process waits and passes on the status)\n"
	"                             and in a private mount namespace rooted at DIR, entered\n"
	"                             once every file is open (needs root)\n"
	"  --cgroup DIR               join the cgroup DIR (cgroup v1 or v2; repeat for one\n"
	"                             per v1 hierarchy) before anything else, so guest memory\n"
	"                             and every thread are accounted there\n"
	"  --vcpu-cgroup DIR          each vCPU thread enters the cgroup DIR (a v1 cpuset or a\n"
	"                             threaded v2 cgroup holding the vCPUs' CPUs) before the\n"
	"                             guest runs\n"
	"  --housekeeping-cgroup DIR  hvmm's own threads enter DIR once the vCPU threads exist\n"
	"  --uid UID --gid GID        run as this user and group (numeric ids) once /dev/kvm,\n"
	"                             memory and pinning are set up: the share, kernel and\n"
	"                             program are opened as that user, and every file the\n"
	"                             guest touches is checked against it (needs root)\n"
	"  --groups G1,G2,...         the user's supplementary groups (numeric; default none)\n"
	"  --no-seccomp               do not install the seccomp filters (debugging only)\n"
	"  -v, --verbose              more detail, register dumps on crashes\n"
	"  -h, --help                 this text\n"
	"  -V, --version              the version\n"
	"\n"
	"exit status: the guest's status (0-255); 125 hvmm could not start the VM;\n"
	"126 the guest crashed (triple fault, shutdown, abort); 127 KVM failed;\n"
	"128+N stopped by signal N; 159 hvmm made a system call its seccomp filter forbids.\n";

int opts_parse_offload(const char *arg, enum offload_mode *m)
{
	if (!strcmp(arg, "auto"))
		*m = OFFLOAD_AUTO;
	else if (!strcmp(arg, "ring"))
		*m = OFFLOAD_RING;
	else if (!strcmp(arg, "exit"))
		*m = OFFLOAD_EXIT;
	else
		return -1;
	return 0;
}

int opts_parse_fastpath(const char *arg, enum fastpath_mode *m)
{
	if (!strcmp(arg, "auto"))
		*m = FASTPATH_AUTO;
	else if (!strcmp(arg, "on"))
		*m = FASTPATH_ON;
	else if (!strcmp(arg, "off"))
		*m = FASTPATH_OFF;
	else
		return -1;
	return 0;
}

const char *opts_usage(void)
{
	return usage;
}

enum {
	OPT_VCPUS = 256,
	OPT_CPUS,
	OPT_HK,
	OPT_MEM,
	OPT_HUGE,
	OPT_HUGETLBFS,
	OPT_SHARE,
	OPT_CMDLINE,
	OPT_KERNEL,
	OPT_STATS,
	OPT_LOG,
	OPT_STATUS_FILE,
	OPT_READY_FD,
	OPT_JAIL,
	OPT_NO_SECCOMP,
	OPT_TEST_SECCOMP, /* docs/security.md */
	OPT_UID,
	OPT_GID,
	OPT_GROUPS,
	OPT_CGROUP,
	OPT_SHARE_MAX_FILE,
	OPT_VCPU_CGROUP,
	OPT_HK_CGROUP,
	OPT_NET,
	OPT_INHERIT_FD,
	OPT_OFFLOAD,
	OPT_FASTPATH,
	OPT_SHM,
};

static const struct option long_opts[] = {
	{ "vcpus", required_argument, NULL, OPT_VCPUS },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "housekeeping-cpus", required_argument, NULL, OPT_HK },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "hugepages", required_argument, NULL, OPT_HUGE },
	{ "hugetlbfs", required_argument, NULL, OPT_HUGETLBFS },
	{ "share", required_argument, NULL, OPT_SHARE },
	{ "shm", required_argument, NULL, OPT_SHM },
	{ "net", required_argument, NULL, OPT_NET },
	{ "inherit-fd", required_argument, NULL, OPT_INHERIT_FD },
	{ "offload", required_argument, NULL, OPT_OFFLOAD },
	{ "fastpath", required_argument, NULL, OPT_FASTPATH },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "stats", optional_argument, NULL, OPT_STATS },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "status-file", required_argument, NULL, OPT_STATUS_FILE },
	{ "ready-fd", required_argument, NULL, OPT_READY_FD },
	{ "jail", required_argument, NULL, OPT_JAIL },
	{ "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP },
	{ "test-seccomp", required_argument, NULL, OPT_TEST_SECCOMP }, /* hidden */
	{ "uid", required_argument, NULL, OPT_UID },
	{ "gid", required_argument, NULL, OPT_GID },
	{ "groups", required_argument, NULL, OPT_GROUPS },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "vcpu-cgroup", required_argument, NULL, OPT_VCPU_CGROUP },
	{ "housekeeping-cgroup", required_argument, NULL, OPT_HK_CGROUP },
	{ "share-max-file-size", required_argument, NULL, OPT_SHARE_MAX_FILE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

/* A numeric user or group id; -1 (4294967295) means "unchanged" to the kernel: refused. */
static int parse_id(const char *s, size_t n, unsigned *out)
{
	unsigned long long v = 0;

	if (n == 0 || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v >= 0xffffffffull)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int parse_groups(struct hvmm_opts *o, const char *arg, char *err, size_t errlen)
{
	const char *p = arg;

	o->ngroups = 0;
	for (;;) {
		size_t n = strcspn(p, ",");
		unsigned g;

		if (parse_id(p, n, &g)) {
			snprintf(err, errlen,
				 "--groups '%s': expected numeric group ids separated "
				 "by commas, each below 4294967295",
				 arg);
			return -1;
		}
		if (o->ngroups == HVMM_MAX_GROUPS) {
			snprintf(err, errlen, "--groups: more than %d groups", HVMM_MAX_GROUPS);
			return -1;
		}
		o->groups[o->ngroups++] = (gid_t)g;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

static int parse_one(struct hvmm_opts *o, int c, const char *arg, char *err, size_t errlen)
{
	char sub[200];

	switch (c) {
	case OPT_VCPUS:
		if (parse_int(arg, 1, DSV_MAX_VCPUS, &o->vcpus)) {
			snprintf(err, errlen, "--vcpus '%s': expected a number from 1 to %u", arg,
				 DSV_MAX_VCPUS);
			return -1;
		}
		return 0;
	case OPT_CPUS:
		o->ncpus = cpulist_parse(arg, o->cpus, DSV_MAX_VCPUS, sub, sizeof(sub));
		if (o->ncpus < 0) {
			snprintf(err, errlen, "--cpus: %s", sub);
			return -1;
		}
		return 0;
	case OPT_HK:
		o->nhk_cpus = cpulist_parse(arg, o->hk_cpus, DSV_MAX_VCPUS, sub, sizeof(sub));
		if (o->nhk_cpus < 0) {
			snprintf(err, errlen, "--housekeeping-cpus: %s", sub);
			return -1;
		}
		return 0;
	case OPT_MEM:
		if (size_parse(arg, &o->mem, sub, sizeof(sub))) {
			snprintf(err, errlen, "--mem: %s", sub);
			return -1;
		}
		if (o->mem < HVMM_MIN_MEM || o->mem > HVMM_MAX_MEM) {
			snprintf(err, errlen, "--mem '%s': must be between 4M and 1T", arg);
			return -1;
		}
		return 0;
	case OPT_HUGE:
		if (!strcmp(arg, "auto"))
			o->hugepages = GM_HUGE_AUTO;
		else if (!strcmp(arg, "on"))
			o->hugepages = GM_HUGE_ON;
		else if (!strcmp(arg, "off"))
			o->hugepages = GM_HUGE_OFF;
		else {
			snprintf(err, errlen, "--hugepages '%s': expected auto, on or off", arg);
			return -1;
		}
		o->hugepages_given = 1;
		return 0;
	case OPT_HUGETLBFS:
		if (!arg[0]) {
			snprintf(err, errlen, "--hugetlbfs: expected a directory");
			return -1;
		}
		o->hugetlbfs = arg;
		return 0;
	case OPT_SHARE:
		o->share = arg;
		return 0;
	case OPT_SHM:
		if (!arg[0]) {
			snprintf(err, errlen, "--shm: expected a directory");
			return -1;
		}
		o->shm = arg;
		return 0;
	case OPT_INHERIT_FD: {
		int fd;

		/* A variable's name stands for the number it holds: PMI_FD, set by mpiexec and
		 * Slurm's pmi2 for each rank, differs from rank to rank. */
		const char *num = arg;
		if ((arg[0] < '0' || arg[0] > '9') && !(num = getenv(arg))) {
			snprintf(err, errlen,
				 "--inherit-fd %s: no such environment variable (expected "
				 "a descriptor number, or a variable that holds one, e.g. PMI_FD)",
				 arg);
			return -1;
		}
		if (parse_int(num, 3, DSV_MAX_FILES - 1, &fd)) {
			snprintf(err, errlen,
				 "--inherit-fd '%s'%s%s%s: expected a descriptor number from 3 "
				 "to %u (0-2 are always the program's)",
				 arg, num != arg ? " (= '" : "", num != arg ? num : "",
				 num != arg ? "')" : "", DSV_MAX_FILES - 1);
			return -1;
		}
		if (o->ninherit == HVMM_MAX_INHERIT) {
			snprintf(err, errlen, "--inherit-fd: more than %d descriptors",
				 HVMM_MAX_INHERIT);
			return -1;
		}
		o->inherit_fds[o->ninherit++] = fd;
		return 0;
	}
	case OPT_NET:
		if (!strcmp(arg, HVMM_NET_NONE)) {
			o->net_host = 0;
		} else if (!strcmp(arg, HVMM_NET_HOST)) {
			o->net_host = 1;
		} else {
			snprintf(err, errlen, "--net '%s': expected %s or %s", arg, HVMM_NET_NONE,
				 HVMM_NET_HOST);
			return -1;
		}
		return 0;
	case OPT_CMDLINE:
		if (strlen(arg) >= DSV_CMDLINE_MAX) {
			snprintf(err, errlen, "--cmdline: longer than %u bytes",
				 DSV_CMDLINE_MAX - 1);
			return -1;
		}
		o->cmdline = arg;
		return 0;
	case OPT_KERNEL:
		o->kernel = arg;
		return 0;
	case OPT_STATS:
		if (!arg)
			o->stats = STATS_TEXT;
		else if (!strcmp(arg, "json"))
			o->stats = STATS_JSON;
		else if (!strcmp(arg, "text"))
			o->stats = STATS_TEXT;
		else {
			snprintf(err, errlen, "--stats='%s': expected --stats or --stats=json",
				 arg);
			return -1;
		}
		return 0;
	case OPT_LOG:
		o->log = arg;
		return 0;
	case OPT_STATUS_FILE:
		o->status_file = arg;
		return 0;
	case OPT_READY_FD:
		/* stdio is the console's; a launcher's pipe comes above it */
		if (parse_int(arg, 3, 1 << 20, &o->ready_fd)) {
			snprintf(err, errlen,
				 "--ready-fd '%s': expected a descriptor number, 3 or "
				 "above",
				 arg);
			return -1;
		}
		return 0;
	case 'v':
		o->verbose++;
		return 0;
	case OPT_JAIL:
		o->jail = arg;
		return 0;
	case OPT_UID:
	case OPT_GID: {
		unsigned id;

		if (parse_id(arg, strlen(arg), &id)) {
			snprintf(err, errlen, "--%s '%s': expected a numeric id below 4294967295",
				 c == OPT_UID ? "uid" : "gid", arg);
			return -1;
		}
		if (c == OPT_UID)
			o->uid = (uid_t)id, o->uid_given = 1;
		else
			o->gid = (gid_t)id, o->gid_given = 1;
		return 0;
	}
	case OPT_GROUPS:
		if (parse_groups(o, arg, err, errlen))
			return -1;
		o->groups_given = 1;
		return 0;
	case OPT_CGROUP:
		if (arg[0] != '/') {
			snprintf(err, errlen,
				 "--cgroup '%s': expected an absolute path to a cgroup "
				 "directory",
				 arg);
			return -1;
		}
		if (o->ncgroups == HVMM_MAX_CGROUPS) {
			snprintf(err, errlen, "--cgroup: more than %d", HVMM_MAX_CGROUPS);
			return -1;
		}
		o->cgroups[o->ncgroups++] = arg;
		return 0;
	case OPT_VCPU_CGROUP:
	case OPT_HK_CGROUP:
		if (arg[0] != '/') {
			snprintf(err, errlen,
				 "--%s '%s': expected an absolute path to a cgroup "
				 "directory",
				 c == OPT_VCPU_CGROUP ? "vcpu-cgroup" : "housekeeping-cgroup", arg);
			return -1;
		}
		if (c == OPT_VCPU_CGROUP)
			o->vcpu_cgroup = arg;
		else
			o->hk_cgroup = arg;
		return 0;
	case OPT_SHARE_MAX_FILE:
		if (size_parse(arg, &o->share_max_file_size, sub, sizeof(sub))) {
			snprintf(err, errlen, "--share-max-file-size: %s", sub);
			return -1;
		}
		if (o->share_max_file_size == 0) {
			snprintf(err, errlen, "--share-max-file-size '%s': must be more than 0",
				 arg);
			return -1;
		}
		return 0;
	case OPT_OFFLOAD:
		if (opts_parse_offload(arg, &o->offload)) {
			snprintf(err, errlen, "--offload '%s': expected auto, ring or exit", arg);
			return -1;
		}
		o->offload_given = 1;
		return 0;
	case OPT_FASTPATH:
		if (opts_parse_fastpath(arg, &o->fastpath)) {
			snprintf(err, errlen, "--fastpath '%s': expected auto, on or off", arg);
			return -1;
		}
		o->fastpath_given = 1;
		return 0;
	case OPT_NO_SECCOMP:
		o->no_seccomp = 1;
		return 0;
	case OPT_TEST_SECCOMP:
		if (strcmp(arg, "main") && strcmp(arg, "vcpu")) {
			snprintf(err, errlen, "--test-seccomp '%s': expected main or vcpu", arg);
			return -1;
		}
		o->test_seccomp = arg;
		return 0;
	default:
		return -1;
	}
}

static int check_consistency(struct hvmm_opts *o, char *err, size_t errlen)
{
	for (int i = 0; i < o->ninherit; i++)
		if (o->inherit_fds[i] == o->ready_fd) {
			snprintf(err, errlen,
				 "--inherit-fd %d is the --ready-fd: hvmm's launch report "
				 "is never the guest's",
				 o->ready_fd);
			return -1;
		}
	if (o->ncpus && o->vcpus && o->ncpus != o->vcpus) {
		snprintf(err, errlen,
			 "--vcpus %d but --cpus names %d CPUs: give one host CPU per vCPU",
			 o->vcpus, o->ncpus);
		return -1;
	}
	if (o->hugetlbfs && o->hugepages_given && o->hugepages != GM_HUGE_ON) {
		snprintf(err, errlen,
			 "--hugetlbfs takes every page from its mount: it cannot be "
			 "combined with --hugepages %s",
			 o->hugepages == GM_HUGE_OFF ? "off" : "auto");
		return -1;
	}
	if (o->hugetlbfs)
		o->hugepages = GM_HUGE_ON;
	/* Half a user would leave root's group (or root's uid) in place. */
	if ((o->uid_given || o->gid_given || o->groups_given) && !(o->uid_given && o->gid_given)) {
		snprintf(err, errlen, "%s: --uid and --gid go together",
			 o->uid_given	? "--uid without --gid"
			 : o->gid_given ? "--gid without --uid"
					: "--groups without --uid and --gid");
		return -1;
	}
	o->as_user = o->uid_given && o->gid_given;
	if (o->share_max_file_size && !o->share) {
		snprintf(err, errlen,
			 "--share-max-file-size without --share: there is nothing to cap");
		return -1;
	}
	if (o->ncpus && !o->vcpus)
		o->vcpus = o->ncpus;
	if (!o->vcpus)
		o->vcpus = 1;
	for (int i = 0; i < o->nhk_cpus; i++) {
		for (int j = 0; j < o->ncpus; j++) {
			if (o->hk_cpus[i] == o->cpus[j]) {
				snprintf(err, errlen,
					 "CPU %d is both a vCPU CPU and a housekeeping CPU: vCPU "
					 "CPUs are dedicated",
					 o->cpus[j]);
				return -1;
			}
		}
	}
	return 0;
}

enum opts_result opts_parse(struct hvmm_opts *o, int argc, char **argv, char *err, size_t errlen)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->mem = HVMM_DEFAULT_MEM;
	o->hugepages = GM_HUGE_AUTO;
	o->ready_fd = -1;
	err[0] = '\0';

	if (argc < 2) {
		snprintf(err, errlen, "missing command: try 'hvmm run --help'");
		return OPTS_ERROR;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
		return OPTS_HELP;
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return OPTS_VERSION;
	if (strcmp(argv[1], "run")) {
		snprintf(err, errlen, "unknown command '%s': try 'hvmm --help'", argv[1]);
		return OPTS_ERROR;
	}

	char **sub = argv + 1; /* getopt sees "run" as its program name */
	int subc = argc - 1;

	optind = 0; /* GNU: full reinitialisation, so the parser can run more than once */
	opterr = 0;
	while ((c = getopt_long(subc, sub, "+vhV", long_opts, NULL)) != -1) {
		if (c == 'h')
			return OPTS_HELP;
		if (c == 'V')
			return OPTS_VERSION;
		if (c == '?' || c == ':') {
			const char *bad = sub[optind - 1];

			if (optopt && optopt < 256 && bad[0] == '-' && bad[1] != '-')
				snprintf(err, errlen, "unknown option '-%c': try 'hvmm run --help'",
					 optopt);
			else
				snprintf(err, errlen,
					 "bad option '%s' (unknown, or missing its value): "
					 "try 'hvmm run --help'",
					 bad);
			return OPTS_ERROR;
		}
		if (parse_one(o, c, optarg, err, errlen))
			return OPTS_ERROR;
	}
	if (optind < subc) {
		/* "+" makes getopt stop at "--" (consumed) or at the first non-option. */
		if (strcmp(sub[optind - 1], "--") != 0) {
			snprintf(err, errlen,
				 "unexpected argument '%s': put the program after '--'",
				 sub[optind]);
			return OPTS_ERROR;
		}
		o->prog_argv = sub + optind;
		o->prog_argc = subc - optind;
	}
	if (check_consistency(o, err, errlen))
		return OPTS_ERROR;
	return OPTS_RUN;
}
