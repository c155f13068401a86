/* bench/overhead: the native-vs-VM runner. Shared types of its parts. */
#ifndef OVH_OVERHEAD_H
#define OVH_OVERHEAD_H

#include <stdbool.h>
#include <stddef.h>

#include "bench_json.h"
#include "bench_stats.h"

#define OVH_MAX_REPS 32
#define OVH_MAX_FIGS 6
#define OVH_MAX_CPUS 256
#define OVH_MAX_ARGS 16

enum ovh_peer {
	PEER_NATIVE,
	PEER_HVMM,
	PEER_QEMU,
	NPEERS
};

struct ovh_figure {
	const char *key; /* key in the workload's JSON line */
	const char *label;
	const char *unit;
	bool higher_better;
	bool target; /* a target (docs/performance.md): VM/native >= 0.99 or "no worse" */
};

struct ovh_workload {
	const char *id;			   /* "cg", "hog-syscall", ... */
	const char *bin;		   /* file in build/bench/workloads */
	const char *args[2][OVH_MAX_ARGS]; /* [0] full, [1] --quick */
	const char *mem;		   /* guest RAM for the VM peers */
	int nfig;
	struct ovh_figure fig[OVH_MAX_FIGS];
	/* results */
	int nrep;
	double v[NPEERS][OVH_MAX_FIGS][OVH_MAX_REPS];
	int ok[NPEERS], failed[NPEERS];
	bool dead[NPEERS];	      /* timed out once: not retried */
	double exits[OVH_MAX_REPS];   /* hvmm exits per run, all reasons */
	double hvmm_ms[OVH_MAX_REPS]; /* time spent in hvmm (not in the guest) */
	char backing[32];
	char fail_note[NPEERS][320];
};

/* hvmm's own figures. NaN where not measured. */
struct ovh_hvmm_figs {
	double loop_guest_ms[OVH_MAX_REPS], loop_native_ms[OVH_MAX_REPS];
	int loop_n;
	double noop_us[OVH_MAX_REPS];
	int noop_n;
	double noop_ring_us[OVH_MAX_REPS]; /* the same through the offload ring (issue 15) */
	int noop_ring_n;
	double first_ms[OVH_MAX_REPS], exit_ms[OVH_MAX_REPS], wall_ms[OVH_MAX_REPS];
	double rss_out_kb[OVH_MAX_REPS];
	int launch_n;
	char backing[32];
	char notes[1024];
};

/* The lwk's figures: one figure under hvmm + lwk and natively, per repetition. */
struct ovh_lwk_pair {
	double hvmm[OVH_MAX_REPS], native[OVH_MAX_REPS]; /* NaN where a run failed */
	int n;
	bool dead[2]; /* [0] hvmm, [1] native: failed once, not retried */
};

struct ovh_lwk_figs {
	struct ovh_lwk_pair sys_us;	   /* getppid round trip, answered by the lwk itself */
	struct ovh_lwk_pair write_us;	   /* 64-byte write offloaded to a file: one exit a call */
	struct ovh_lwk_pair write_ring_us; /* the same through the offload ring (issue 15) */
	struct ovh_lwk_pair launch_ms;	   /* static hello, fork to reap */
	/* the fast path's calls (issue 15), --fastpath on and off: getpid, FUTEX_WAKE with no
	 * waiter, an empty OpenMP region (one thread: the runs have one vCPU), the break up
	 * by 132 KiB and back */
	struct ovh_lwk_pair getpid_fast_us, getpid_trap_us, futex_fast_us, futex_trap_us,
		omp_fast_us, omp_trap_us, brk_fast_us, brk_trap_us;
	/* hvmm's clock for the same launches: where the wall time goes (NaN if not reported) */
	double first_run_ms[OVH_MAX_REPS], populate_ms[OVH_MAX_REPS], exit_ms[OVH_MAX_REPS];
	char backing[32];
	char notes[1024];
};

/* The platform floors (floors.h), per repetition. */
enum {
	OVH_FLOOR_TRAP,	   /* a trap into the host kernel, answered there (rdmsr) */
	OVH_FLOOR_SYSCALL, /* CPL3 syscall into an LSTAR entry that only does sysretq */
	OVH_FLOOR_EXIT,	   /* an exit to the VMM process and back (port write) */
	OVH_NFLOORS
};

struct ovh_floors {
	double us[OVH_NFLOORS][OVH_MAX_REPS];
	int n[OVH_NFLOORS];
	char notes[1024];
};

struct ovh_ctx {
	char build[4096], source[4096];
	char hvmm[4200], lwk[4200], qemu[4200], payloads[4200], workloads[4200];
	int cpus[OVH_MAX_CPUS], ncpus;
	char cpulist[1024];
	int reps;
	bool quick, verbose, plot, doc;
	long free_huge;	      /* free 2 MiB hugetlb pages at start; -1 unknown */
	bool huge_fallback;   /* some guest ran with --hugepages auto */
	bool huge_force_auto; /* set for one retry after "on" lost a race */
	bool peer_on[NPEERS];
	char peer_note[NPEERS][640];
	char notes[2048]; /* free text for the report */
	char results_dir[4200], doc_path[4200];
	char command[2048];
	char tag[64]; /* which marked section of the doc to replace */
	char stamp[32];
	double started;
	char load_start[64]; /* /proc/loadavg's 1-minute figure at the start */
};

/* peers.c: availability and command lines. */
void ovh_detect_peers(struct ovh_ctx *c);
/*
 * Builds argv for running w (with extra args) under peer p into argv (NULL-terminated,
 * strings in store). Returns 0 or -1.
 */
int ovh_peer_argv(struct ovh_ctx *c, enum ovh_peer p, const char *prog, const char *mem, int vcpus,
		  const char *cpus, const char *const *args, char **argv, size_t max, char *store,
		  size_t storelen);
/*
 * "on" when the host has enough free hugetlb pages for a guest of mem (e.g. "512M"),
 * else "auto" (THP-advised memory), remembering that a fallback happened.
 */
const char *ovh_hugepages(struct ovh_ctx *c, const char *mem);
/*
 * The start of an hvmm command line for hvmm's and the lwk's own figures: one vCPU on
 * cpu (its text in cpus), 64M, hugepages where free, --stats=json, --offload offload
 * (NULL: auto) and --kernel kernel. Returns the number of entries written (15).
 */
#define OVH_ONE_CPU_ARGS 15
int ovh_one_cpu_argv(struct ovh_ctx *c, char *argv[OVH_ONE_CPU_ARGS], char cpus[16], int cpu,
		     const char *offload, const char *kernel);
/* Maps a peer's exit status to the program's (QEMU's isa-debug-exit encoding). */
int ovh_peer_status(enum ovh_peer p, int status);
const char *ovh_peer_name(enum ovh_peer p);

/* floors.c: the platform floors, on the CPU of hvmm's and the lwk's figures. */
void ovh_floors_measure(struct ovh_ctx *c, struct ovh_floors *f);

/* hvmmfigs.c: hvmm's own figures. */
void ovh_hvmm_figures(struct ovh_ctx *c, struct ovh_hvmm_figs *f);

/* lwkfigs.c: the lwk's own figures. */
void ovh_lwk_figures(struct ovh_ctx *c, struct ovh_lwk_figs *f);

/* report.c */
void ovh_loadavg(char *buf, size_t len);
/* fl, f or lf NULL: that table is left out (the floors' columns read "—"). */
void ovh_report(struct ovh_ctx *c, struct ovh_workload *w, int nw, struct ovh_floors *fl,
		struct ovh_hvmm_figs *f, struct ovh_lwk_figs *lf);

/* overhead.c */
/* Before a run: waits a while for CPUs taken away from outside to come back, noting it. */
void ovh_check_cpus(struct ovh_ctx *c, const char *where);
double ovh_now(void);
void ovh_progress(const struct ovh_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ovh_note(char *notes, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
