/* hvmm's command line. Parsing is pure (no system state) so it can be unit-tested. */
#ifndef HVMM_OPTIONS_H
#define HVMM_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dsv/abi.h"
#include "dsv/hvmm_cli.h"
#include "guest_mem.h"

#define HVMM_MAX_GROUPS 256 /* supplementary groups --groups takes */
#define HVMM_MAX_INHERIT 16 /* --inherit-fd: descriptors handed to the guest */
#define HVMM_MAX_CGROUPS 16 /* --cgroup: one per cgroup v1 hierarchy, or one v2 */

enum stats_mode {
	STATS_NONE,
	STATS_TEXT,
	STATS_JSON
};

/* --offload: how offloaded calls reach hvmm (docs/hvmm.md "The offload proxy"). */
enum offload_mode {
	OFFLOAD_AUTO, /* ring on kvm_pvm with a housekeeping CPU of its own, else exit */
	OFFLOAD_RING,
	OFFLOAD_EXIT,
};

/* --fastpath: rewriting the program's syscall sites (docs/lwk.md "The fast path"). */
enum fastpath_mode {
	FASTPATH_AUTO, /* on where a trap leaves the CPU (kvm_pvm), off where it does not */
	FASTPATH_ON,
	FASTPATH_OFF,
};

struct hvmm_opts {
	int vcpus; /* 0 = not given */
	int cpus[DSV_MAX_VCPUS];
	int ncpus; /* 0 = not given: hvmm chooses */
	int hk_cpus[DSV_MAX_VCPUS];
	int nhk_cpus; /* 0 = not given: hvmm chooses */
	uint64_t mem; /* bytes */
	enum gm_hugepages hugepages;
	int hugepages_given;   /* --hugepages was on the command line */
	const char *hugetlbfs; /* --hugetlbfs DIR: guest RAM from that mount */
	const char *share;
	const char *shm; /* --shm DIR: the guest's /dev/shm (fileio_shm.c), or NULL */
	int net_host;	 /* --net host (1) or none (0, the default) */
	int inherit_fds[HVMM_MAX_INHERIT]; /* --inherit-fd N: the guest's N is hvmm's N */
	int ninherit;
	enum offload_mode offload;
	int offload_given; /* --offload was on the command line */
	enum fastpath_mode fastpath;
	int fastpath_given; /* --fastpath was on the command line */
	const char *cmdline;
	enum stats_mode stats;
	const char *log;
	const char *status_file; /* --status-file FILE: the exit status, for dsvd */
	int ready_fd;		 /* --ready-fd N: the launch report; -1 = none */
	const char *kernel;	 /* NULL = the built lwk */
	int verbose;
	/* least privilege: docs/security.md */
	int no_seccomp;		  /* --no-seccomp: debugging only */
	const char *jail;	  /* --jail DIR */
	const char *test_seccomp; /* hidden --test-seccomp=main|vcpu, for the tests */
	/* --uid/--gid/--groups: the user the VM runs as once its privileged setup is done */
	int as_user; /* --uid and --gid were given */
	int uid_given, gid_given, groups_given;
	uid_t uid;
	gid_t gid;
	gid_t groups[HVMM_MAX_GROUPS]; /* supplementary groups; none without --groups */
	int ngroups;
	const char *cgroups[HVMM_MAX_CGROUPS]; /* --cgroup DIR, joined before anything else */
	int ncgroups;
	const char *vcpu_cgroup;      /* --vcpu-cgroup DIR: where each vCPU thread goes */
	const char *hk_cgroup;	      /* --housekeeping-cgroup DIR: hvmm's own threads */
	uint64_t share_max_file_size; /* --share-max-file-size: RLIMIT_FSIZE; 0 = none */
	char **prog_argv;	      /* after "--"; NULL when none */
	int prog_argc;
};

enum opts_result {
	OPTS_RUN,     /* run a VM with the parsed options */
	OPTS_HELP,    /* print usage, exit 0 */
	OPTS_VERSION, /* print the version, exit 0 */
	OPTS_ERROR,   /* err holds a one-line reason */
};

#define HVMM_DEFAULT_MEM (256ull << 20)
#define HVMM_MIN_MEM ((unsigned long long)HVMM_MEM_MIN_MIB << 20)
#define HVMM_MAX_MEM ((unsigned long long)HVMM_MEM_MAX_MIB << 20)

/* argv[0] is the program name; argv[1] must be "run" unless it is --help/--version. */
enum opts_result opts_parse(struct hvmm_opts *o, int argc, char **argv, char *err, size_t errlen);

/* auto, ring or exit; 0, or -1 for anything else. */
int opts_parse_offload(const char *arg, enum offload_mode *m);
/* "auto", "on" or "off"; 0 or -1. */
int opts_parse_fastpath(const char *arg, enum fastpath_mode *m);

/* The usage text. */
const char *opts_usage(void);

#endif
