/*
 * --jail DIR: a private mount namespace whose root is DIR, Firecracker-jailer style
 * (docs/security.md). Entered once every file hvmm needs is open (/dev/kvm, the images,
 * the share, the log), while hvmm is still single-threaded, so every vCPU thread starts
 * inside it.
 */
#ifndef HVMM_JAIL_H
#define HVMM_JAIL_H

#include <stddef.h>

/*
 * Unshares the mount namespace, makes every mount private, bind-mounts dir read-only,
 * nosuid, nodev, noexec onto itself and pivots into it, detaching the old root (chroot
 * when pivot_root is impossible, e.g. on an initramfs root). Needs CAP_SYS_ADMIN.
 * Returns 0, or -1 with a reason in err.
 */
int jail_enter(const char *dir, char *err, size_t errlen);

#endif
