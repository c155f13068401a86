/* A VM's copies of the files its caller named (kernel, initrd, program), made as the caller
 * (caller_files.h) into STATE/vms/NAME.files/ and removed with the VM, and its share resolved
 * as the caller and checked against the share policy. The VMM (hvmm or QEMU, both root) gets
 * only these copies and the resolved share, never a path it would resolve for the caller. */
#ifndef DSVD_VM_FILES_H
#define DSVD_VM_FILES_H

#include "agent_config.h"
#include "api_error.h"
#include "vm_record.h"

#define VM_KERNEL_MAX_BYTES (256ull << 20) /* hvmm's limit on a kernel image */

/* Fills vm->kernel_copy, initrd_copy, program_copy and share_real for vm->owner. On failure
 * nothing is left behind. */
int vm_files_stage(const char *state_dir, const char *state_real, const struct agent_config *cfg,
		   struct vm *vm, struct api_error *err);
/* Removes STATE/vms/NAME.files/ and what is in it. */
void vm_files_remove(const char *state_dir, const char *name);

#endif
