/* HPC VMs: one hvmm process each. Builds its command line, starts it detached (it outlives
 * the agent), places its threads (vCPUs into the HPC cpuset, the rest into housekeeping),
 * notices its exit, and stops it. */
#ifndef DSVD_HPC_VM_H
#define DSVD_HPC_VM_H

#include "api_error.h"
#include "partition.h"
#include "vm_record.h"

/* hvmm's own options (at most 42 words) and the program's words */
#define HPC_ARGV_MAX (VM_ARGV_MAX + 48)

struct hpc_launch {
	const char *hvmm_path;
	struct cpu_bits housekeeping;		 /* where hvmm's own threads go */
	const struct partition_state *partition; /* active partition (cgroups) */
	uint64_t console_max_bytes;		 /* the console file's cap (console_log.h) */
};

#define HPC_ARGV_BUFS 8

/* Fills argv (pointers into vm and bufs; bufs must outlive argv); ready_fd >= 0 is passed as
 * --ready-fd. Returns argc or -1. */
int hpc_build_argv(const struct hpc_launch *l, const struct vm *vm, int ready_fd,
		   char *argv[HPC_ARGV_MAX], char bufs[HPC_ARGV_BUFS][1024]);
/* STATE_DIR/vms/NAME.status, next to the console: hvmm --status-file. */
void hpc_status_path(const struct vm *vm, char *out, size_t len);
/* Starts hvmm with the owner's rights (--uid, --gid, --groups when the owner is not the agent's
 * user) on the VM's copies of its files (vm_files.h); on success vm->pid, start_time, state=running. */
int hpc_start(const struct hpc_launch *l, struct vm *vm, struct api_error *err);
/* Reads hvmm's launch report (hvmm --ready-fd), waiting up to wait_ms: 1 the VM started,
 * -1 it could not (vm->exit_reason says why, vm->launch_failed is set), 0 not told yet. */
int hpc_launch_check(struct vm *vm, int wait_ms);
/* Updates vm->state when hvmm is gone. Returns 1 if the state changed. */
int hpc_refresh(struct vm *vm);
/* SIGTERM, then SIGKILL after a grace period; waits for it to go. */
int hpc_stop(struct vm *vm, struct api_error *err);

#endif
