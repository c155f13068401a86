/* A VM's or a job step's /dev/shm as a tmpfs of its own (dsvd/shm_group.c, slurm/step_shm.c):
 * a plain directory would let a guest fill the disk or /run that holds it (hvmm creates and
 * grows files there for the guest), and on disk its shared mappings would be written back.
 * The mount caps the bytes (size=) and the files (nr_inodes=), belongs to the directory's
 * owner with mode 0700, and is nosuid, nodev and noexec (hvmm maps these files only
 * PROT_READ|PROT_WRITE, and its seccomp filter forbids PROT_EXEC). */
#ifndef DSV_COMMON_SHM_MOUNT_H
#define DSV_COMMON_SHM_MOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SHM_MOUNT_MIB_DEFAULT 1024
#define SHM_MOUNT_MIB_MAX (1024 * 1024) /* 1 TiB: more is a typo, not a node */

/* Files allowed per mount: 16 per MiB, at least 1024 and at most 1M (each costs kernel memory
 * that size= does not count). 16384 for the default. */
uint64_t shm_mount_inodes(uint64_t mib);

/* Parses a cap in MiB: decimal digits only, 1..SHM_MOUNT_MIB_MAX. 0 or -1. */
int shm_mount_parse_mib(const char *s, uint64_t *mib);

/* Mounts a tmpfs of mib MiB, owned by uid:gid with mode 0700, on the directory NAME in
 * dirfd, which the caller (root) has just made. The directory is reached through a
 * descriptor opened with O_NOFOLLOW, never by a path a link could redirect. 0, or -1 with
 * errno (EPERM when this process may not mount). */
int shm_mount_at(int dirfd, const char *name, uint64_t mib, uid_t uid, gid_t gid);

/* Whether NAME in dirfd is a directory with a file system mounted on it (its device differs
 * from dirfd's); never follows a link. */
bool shm_mount_is_mounted(int dirfd, const char *name);

/* Removes NAME in dirfd: detaches whatever is mounted on it (lazily: nothing of the group or
 * step still uses it), then removes it and what it holds, following no link (remove_tree.h).
 * 0 when it is gone or was never there, -1 with errno otherwise. */
int shm_mount_remove_at(int dirfd, const char *name);

#endif
