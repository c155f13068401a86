/* Shared-memory groups (POST /vms "shm_group"): the HPC VMs of one owner that name the same
 * group get one directory as their /dev/shm (hvmm --shm), so that MPI ranks in different VMs
 * share memory as on-node ranks do. The directory is STATE_DIR/shm/UID.GROUP: per owner, so
 * that no user joins another's group. It is a tmpfs of its own (shm_mount.h), capped at
 * dsvd's --shm-group-mib, the owner's, mode 0700, since hvmm opens it with the owner's
 * rights: a guest fills its cap, never the disk under STATE_DIR. It is made for the group's
 * first VM and unmounted and removed, with whatever the programs left in it, when the group's
 * last VM is deleted; dsvd removes at start those no VM record names (a crash's leftovers). */
#ifndef DSVD_SHM_GROUP_H
#define DSVD_SHM_GROUP_H

#include <stdint.h>

#include "api_error.h"
#include "vm_record.h"

/* Creates the VM's group directory, a tmpfs of mib MiB, if it is the group's first, and fills
 * vm->shm_dir; does nothing for a VM without a group. Fails (500 naming shm_group) when the
 * tmpfs cannot be mounted (dsvd not root): never an uncapped directory. */
int shm_group_enter(const char *state_dir, uint64_t mib, struct vm *vm, struct api_error *err);
/* vm is leaving (deleted, or it failed to start): removes its group's directory unless another
 * VM of vms (vm itself excluded) is in the group. */
void shm_group_leave(const char *state_dir, const struct vm *vms, const struct vm *vm);
/* Unmounts and removes every directory under STATE_DIR/shm/ that no VM of vms is a member
 * of. */
void shm_group_sweep(const char *state_dir, const struct vm *vms);

#endif
