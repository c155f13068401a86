/*
 * bench/interference: the paper's experiment. An HPC application runs in five
 * settings, with and without busy commodity VMs beside it, and the runner reports how it
 * fares in each. Shared types of its parts.
 */
#ifndef IX_INTERFERENCE_H
#define IX_INTERFERENCE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define IX_MAX_REPS 64
#define IX_MAX_CPUS 1024
#define IX_MAX_HOGS 64
#define IX_PATH 4096

enum ix_scn {
	SCN_NATIVE,
	SCN_HPC_ALONE,
	SCN_SINGLE,
	SCN_SINGLE_PINNED,
	SCN_DUAL,
	NSCN
};
/* What the commodity VMs are: the lwk running hog (the default), or ordinary Linux VMs
 * booted from a disk image (--hog-image) that run a hog from their cloud-init user-data. A
 * scenario without hogs has one row, under HOG_LWK. */
enum ix_hog_kind {
	HOG_LWK,
	HOG_IMAGE,
	NHOGKIND
};

/* One measurement: the application run and, optionally, the fwq probe in the same setting. */
struct ix_sample {
	bool ok, fwq_ok;
	double seconds;	  /* the workload's own "seconds" */
	double figure;	  /* MFLOP/s, GB/s, GFLOP/s or noise % (by workload) */
	double noise_pct; /* fwq probe */
	double detour_us; /* fwq probe: maximum detour */
	double other_ms;  /* CPU time of other threads on the HPC CPUs meanwhile (sampler.c) */
	double hog_ms;	  /* ... of the commodity VMs (hogs) */
	char other[160];  /* the top ones: comm[tgid] ms */
	double irq_ms[3]; /* irq, softirq, steal time of the HPC CPUs meanwhile */
	double irq_count; /* interrupts that reached the HPC CPUs meanwhile (irqcount.c) */
	char irqs[96];	  /* the top sources: name count */
	char note[256];	  /* why it failed, or what was special */
};

struct ix_cfg {
	bool quick, fwq_probe, plot, keep_going;
	int reps, hogs;
	int hog_quota_pct;	 /* dual-stack hogs' cpu_quota_pct in dsvd; 0: none */
	const char *hog_mode;	 /* our names: cpu membw syscall pagefault */
	const char *hog_arg;	 /* hog's names: spin mem syscall fault */
	bool kind_on[NHOGKIND];	 /* --hog-kind */
	char hog_image[IX_PATH]; /* --hog-image, made absolute */
	int hog_image_mem_mib;	 /* memory of an image hog */
	double hog_boot_s;	 /* how long image hogs may take to start their hog */
	const char *workload;	 /* cg fwq stream dgemm */
	char size[64];		 /* "" default, "small", or a number */
	bool scn_on[NSCN];
	char out_dir[IX_PATH];
	char report_path[IX_PATH];
	const char *socket; /* an existing dsvd to use; NULL: start our own */
	char hpc_list[256], hk_list[256], comm_list[256];
	int hpc[IX_MAX_CPUS], nhpc;
	int comm[IX_MAX_CPUS], ncomm;
	int all[IX_MAX_CPUS], nall; /* every CPU of the node, for the single-stack runs */
	double timeout_s;	    /* per HPC run */
	double wait_s;		    /* how long to wait for a node another tool has partitioned */
	int app_mem_mib, fwq_mem_mib, hog_mem_mib, part_mem_mib;
	char command[2048];
	char stamp[32], date[64];
	char run_id[32]; /* prefix of every VM name: ix<pid> */
};

struct ix_paths {
	char build[IX_PATH], source[IX_PATH];
	char workloads[IX_PATH], hvmm[IX_PATH], lwk[IX_PATH], dsvd[IX_PATH];
};

/* cleanup.c: an atexit-style list, run in reverse on exit, error or signal. */
extern volatile sig_atomic_t ix_stop; /* a signal arrived: unwind */
typedef void (*ix_cleanup_fn)(void *arg);
int ix_cleanup_push(ix_cleanup_fn fn, void *arg, const char *what);
void ix_cleanup_pop(int handle, bool run);
void ix_cleanup_all(void);
void ix_signals_install(void);
/* Sleeps up to s seconds; false when a stop was requested. */
bool ix_sleep(double s);
double ix_now(void);

/* dsvd.c: our own dsvd (or an existing one) and its REST API. */
struct ix_dsvd {
	char sock[IX_PATH], state[IX_PATH], log[IX_PATH];
	int pid;	  /* ours; 0 when using an existing one */
	bool partitioned; /* we applied the partition (and must release it) */
	int cleanup, part_cleanup;
	char hpc_tasks[IX_PATH]; /* the HPC cpuset's tasks (v1) or cgroup.procs (v2) file */
};
int ix_dsvd_start(struct ix_dsvd *d, const struct ix_paths *p, const char *tmpdir,
		  const char *existing, char *err, size_t errlen);
void ix_dsvd_stop(struct ix_dsvd *d);
/* 1: the node is partitioned (by anyone dsvd knows), 0: not, -1: error. */
int ix_dsvd_partitioned(struct ix_dsvd *d, char *err, size_t errlen);
int ix_dsvd_partition(struct ix_dsvd *d, const struct ix_cfg *c, char *err, size_t errlen);
int ix_dsvd_release(struct ix_dsvd *d, char *err, size_t errlen);
/* Fills d->hpc_tasks from GET /node/partition. */
int ix_dsvd_hpc_cgroup(struct ix_dsvd *d, char *err, size_t errlen);
/* Creates a VM from a JSON body; registers its deletion for cleanup. */
int ix_dsvd_create(struct ix_dsvd *d, const char *name, const char *body, char *err, size_t errlen);
/* state: "running", "exited", ...; console: its path. */
int ix_dsvd_vm(struct ix_dsvd *d, const char *name, char *state, size_t slen, int *exit_code,
	       char *console, size_t clen, int *pid);
int ix_dsvd_delete(struct ix_dsvd *d, const char *name);
/* 1 when VM name's console (GET /vms/{name}/console) holds text, 0 not (yet), -1 error. */
int ix_dsvd_console_has(struct ix_dsvd *d, const char *name, const char *text);

/* virt.c: libvirt domains we define ourselves (the single-stack runs). */
int ix_virt_open(char *err, size_t errlen);
void ix_virt_close(void);
/*
 * Starts a transient one-vCPU domain running the lwk with PROGRAM (as initrd) and args.
 * vcpu_pin, emu_pin: CPU lists, or NULL for no pinning. Returns the cleanup handle that
 * destroys it (ix_cleanup_pop(h, true)), or -1.
 */
int ix_virt_start(const char *name, const char *machine, int mem_mib, const char *kernel,
		  const char *program, const char *args, const char *console, const char *vcpu_pin,
		  const char *emu_pin, char *err, size_t errlen);
int ix_virt_destroy(const char *name);
/* CPU time the domain used so far (s); -1 when it is not running. */
double ix_virt_cputime(const char *name);
/* Destroys every domain whose name contains tag; returns how many. */
int ix_virt_destroy_tagged(const char *tag);

/* util.c */
/* Reads a whole (small) file, NUL-terminated; NULL when it cannot. */
char *ix_slurp(const char *path, size_t *len);
/* 1 when the console file holds the workload's result line, 0 not yet. */
int ix_console_result(const char *path, const char *workload);
/* The QEMU process of a running libvirt domain (libvirt's pid file), or 0. */
int ix_qemu_pid(const char *domain);

/* scenario.c */
struct ix_ctx {
	struct ix_cfg *cfg;
	struct ix_paths *paths;
	struct ix_dsvd dsvd;
	char tmp[IX_PATH];
	/* domain CPU time after which a hog runs for sure (machine microvm: ours and dsvd's) */
	double hog_ready_cpu_s;
	char notes[4096];
	bool single_uses_hvmm; /* more than one HPC thread: the lwk's PVH path has one vCPU */
	double started;
	int done_runs, total_runs;
	int hpc_restarts; /* HPC VMs hvmm could not start and that were started again */
	char restart_reason[256];
};
/* Measures what booting costs a hog VM of the machine type (pc: dsvd's). */
int ix_calibrate_hogs(struct ix_ctx *x, char *err, size_t errlen);
/* Runs one repetition of scenario s with hogs of kind k into out. Returns 0, or -1 when
 * stopped. */
int ix_run_scenario(struct ix_ctx *x, enum ix_scn s, enum ix_hog_kind k, int rep,
		    struct ix_sample *out);
/* Whether the scenario has commodity VMs beside the application. */
bool ix_scn_has_hogs(enum ix_scn s);
/* Whether the run asks for the row (scenario s, hog kind k). */
bool ix_row_on(const struct ix_cfg *c, enum ix_scn s, enum ix_hog_kind k);
/* The row's hog column: "lwk", "image", or "-" for a scenario without hogs. */
const char *ix_row_hogs(const struct ix_cfg *c, enum ix_scn s, enum ix_hog_kind k);
/* The row's setting, as the report describes it. */
void ix_row_desc(enum ix_scn s, enum ix_hog_kind k, const struct ix_ctx *x, char *out, size_t cap);

/* apprun.c: the HPC application (fwq: the probe) once in scenario sc. 0: it ran and
 * verified, -1: see s->note. */
int ix_run_app(struct ix_ctx *x, enum ix_scn sc, bool fwq, int rep, struct ix_sample *s);

/* hogs.c */
struct ix_hogs {
	int n;
	enum ix_hog_kind kind;
	char dom[IX_MAX_HOGS][64]; /* libvirt domain names */
	char vm[IX_MAX_HOGS][64];  /* dsvd VM names (dual-stack) */
	int handle[IX_MAX_HOGS];   /* our libvirt domains */
	bool dsvd;
};
/* Starts K hogs of kind k for scenario sc and waits until each runs; -1 with a note in s.
 * lwk hogs of the single-stack scenarios are the runner's libvirt domains; every other hog
 * is a dsvd commodity VM. */
int ix_start_hogs(struct ix_ctx *x, enum ix_scn sc, enum ix_hog_kind k, int rep, struct ix_hogs *h,
		  struct ix_sample *s);
void ix_stop_hogs(struct ix_ctx *x, struct ix_hogs *h);
/* All hogs still running (they never end on their own)? A note in s when not. */
bool ix_hogs_alive(const struct ix_hogs *h, struct ix_sample *s);

/* hogplan.c: what each commodity VM is, as dsvd is asked for it. */
/* Whether a hog of kind k in scenario sc is a dsvd commodity VM (else the runner's domain). */
bool ix_hog_via_dsvd(enum ix_scn sc, enum ix_hog_kind k);
/* The POST /vms body for hog VM `vm` of kind k in scenario sc (the caller frees it); NULL
 * when it cannot be made (err says why). lwk, hog: the kernel and the hog program (lwk
 * kind). --hog-quota applies in dual-stack only. */
char *ix_hog_body(const struct ix_cfg *c, const char *lwk, const char *hog, enum ix_scn sc,
		  enum ix_hog_kind k, const char *vm, char *err, size_t errlen);
/* The cloud-init user-data (a shell script) that runs the hog in an image VM, in out. */
int ix_hog_user_data(const char *hog_mode, const char *vm, char *out, size_t cap);
/* The line an image hog writes to its console once its hog runs: "dsv-hog: VM running". */
void ix_hog_token(const char *vm, char *out, size_t cap);
/* ... and the line it writes when its load did not last: "dsv-hog: VM stopped". */
void ix_hog_failed_token(const char *vm, char *out, size_t cap);

/* image.c: --hog-image is checked before anything starts. */
/* 0 when path is a readable qcow2 or raw disk image (abs gets its absolute path); -1 with
 * the reason in err. */
int ix_image_check(const char *path, char *abs, size_t abslen, char *err, size_t errlen);

/* options.c */
/* Parses the command line into c. 0: run; 1: --help was printed; -1: bad usage (said). */
int ix_parse_args(int argc, char **argv, struct ix_cfg *c);
/* The CPU list option's parsing and the split need the host's online CPUs; tests set them. */
void ix_options_set_online(const int *cpus, int n);

/* node.c */
/* Makes the node ready for partitioned (true) or shared (false) scenarios. */
int ix_node_mode(struct ix_ctx *x, bool partitioned, char *err, size_t errlen);
/* Other dsvd processes on the host; the first one's pid into which. */
int ix_foreign_dsvds(const struct ix_ctx *x, char *which, size_t cap);
const char *ix_scn_name(enum ix_scn s);
const char *ix_scn_desc(enum ix_scn s, const struct ix_ctx *x);
void ix_note(struct ix_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ix_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* exec_in.c: the runner re-executed as `interference --in-cgroup TASKS --cpus LIST -- ARGV`
 * joins a cgroup, pins itself and execs ARGV (the native run inside the HPC cpuset). */
int ix_exec_in_cgroup(int argc, char **argv);

/* sampler.c: who else ran on the HPC CPUs during a run. */
int ix_sampler_start(const struct ix_cfg *c);
/* The application's process: its threads are not "others". */
void ix_sampler_exclude(int tgid);
/*
 * Stops and fills out's other_ms (the others' CPU time on the HPC CPUs: neither the
 * application nor the hogs) and other (the top three), hog_ms (the hogs' time there),
 * irq_ms (the HPC CPUs' irq, softirq and steal time, jiffy resolution), irq_count and irqs
 * (interrupts by source). Leaves them NaN/empty when the sampler was not running.
 */
void ix_sampler_stop(struct ix_sample *out);
/* A commodity VM's process: its time on the HPC CPUs is counted apart (hog_ms). */
void ix_sampler_hog(int tgid);
bool ix_sampler_is_hpc(int cpu);

/* irqcount.c: interrupts on the HPC CPUs, by source, from /proc/interrupts. */
#define IX_MAX_IRQ_ROWS 512
struct ix_irq_row {
	char name[40];
	unsigned long long count; /* summed over the HPC CPUs */
};
struct ix_irqs {
	int n;
	struct ix_irq_row row[IX_MAX_IRQ_ROWS];
};
int ix_irq_snapshot(struct ix_irqs *t);
/* Interrupts between two snapshots; top gets the four largest sources ("LOC 340 CAL 2"). */
double ix_irq_delta(const struct ix_irqs *before, const struct ix_irqs *after, char *top,
		    size_t cap);

/* workload.c: command lines and result parsing. */
/* argv for the application (fwq: the probe) with the given thread count; strings in store. */
int ix_app_argv(const struct ix_cfg *c, const char *bin_dir, bool fwq, char **argv, int max,
		char *store, size_t cap);
/* Parses a workload's output into s (the probe's fields when fwq). */
int ix_parse_result(const struct ix_cfg *c, const char *text, size_t len, bool fwq,
		    struct ix_sample *s);
const char *ix_figure_name(const char *workload, const char **unit);
/* The JSON key of the run time: the timed kernel (cg solve_s, dgemm compute_s), else seconds. */
const char *ix_time_name(const char *workload);
/* Guest memory (MiB, a multiple of 2) for a workload at size ("" : its default). */
int ix_mem_for(const char *workload, const char *size);
/* The size used when --size is not given. */
const char *ix_default_size(const char *workload, bool quick);

/* report.c */
/* Writes the results; -1 when the results directory cannot be made. */
int ix_report(struct ix_ctx *x, struct ix_sample (*res)[NHOGKIND][IX_MAX_REPS]);
/* The results table (markdown) of the summarized results. */
void ix_report_table(FILE *f, struct ix_ctx *x, struct ix_sample (*res)[NHOGKIND][IX_MAX_REPS]);

#endif
