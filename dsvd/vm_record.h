/* A VM the agent runs: the client's spec plus what the agent decided (CPUs) and learned (pid,
 * domain, exit). Each record is one JSON file under STATE_DIR/vms/, written before the VM is
 * started, so a restarted agent re-adopts it. */
#ifndef DSVD_VM_RECORD_H
#define DSVD_VM_RECORD_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "caller.h"
#include "cpuset_bits.h"
#include "vm_spec.h"

enum vm_state {
	VM_STARTING,
	VM_RUNNING,
	VM_EXITED,
	VM_FAILED
};

/* What only an HPC VM has: its hvmm process. */
struct vm_hpc {
	pid_t pid;		       /* the hvmm process */
	unsigned long long start_time; /* with pid, its identity across a restart of the agent */
	bool is_child;		       /* started by this agent instance (reaped with waitpid) */
	/* hvmm's launch report (hvmm --ready-fd) not read yet from launch_fd; not saved: a
     * restarted agent learns the end from the status file */
	bool launch_pending;
	int launch_fd;
	bool launch_failed; /* hvmm said it could not start the VM: exit_reason says why */
	char kernel[512];   /* the image actually booted */
};

/* What only a commodity VM has: its libvirt domain. */
struct vm_commodity {
	char domain[VM_NAME_MAX + 8]; /* libvirt domain name */
	char initrd_copy[640]; /* the caller's initrd, copied (vm_files.h); "" when not given */
};

struct vm {
	struct vm_spec spec;
	enum vm_state state;
	struct cpu_bits cpus; /* hpc: the dedicated CPUs; commodity: the CPUs it is pinned within */
	int exit_code;	      /* -1 while unknown */
	char exit_reason[160];
	char console_path[512];
	time_t created;
	struct caller owner; /* who created it: the VM runs with this user's rights */
	/* what the VMM gets instead of the caller's paths (vm_files.h); "" when not given */
	char kernel_copy[640], program_copy[640];
	char share_real[4096];	       /* the share as the kernel resolved it for the owner */
	char shm_dir[640];	       /* its shared-memory group's directory (shm_group.h); "" */
	struct vm_hpc hpc;	       /* spec.stack == VM_STACK_HPC */
	struct vm_commodity commodity; /* spec.stack == VM_STACK_COMMODITY */
	struct vm *next;
};

const char *vm_state_name(enum vm_state s);
bool vm_holds_resources(const struct vm *vm); /* starting or running */

json_t *vm_to_json(const struct vm *vm);
struct vm *vm_from_json(const json_t *obj, char *err, size_t errlen);
void vm_destroy(struct vm *vm);

/* STATE_DIR/vms/NAME.json */
int vm_record_save(const struct vm *vm, const char *state_dir, char *err, size_t errlen);
int vm_record_remove(const char *name, const char *state_dir);
/* Loads every record, returning a linked list (errors on single files are logged and skipped). */
struct vm *vm_record_load_all(const char *state_dir);

#endif
