/*
 * One /dev/shm per job step and node: SHM_ROOT/JOB.STEP.NODE (NODE: the node's index in the
 * step, so that nodes whose SHM_ROOT is one directory never meet), a tmpfs of its own capped at
 * the plugin's shm_mib (common/shm_mount.h: a guest fills its cap, never the host's /run), the
 * job user's, mode 0700, made by slurmstepd (root) before the step's tasks start and
 * unmounted and removed, with what the ranks left in it, when the step ends. Every --dsv-hpc task of the step gets it as hvmm --shm, so that the
 * ranks on one node share memory as native ranks do through /dev/shm (docs/slurm.md).
 */
#ifndef DSV_SLURM_STEP_SHM_H
#define DSV_SLURM_STEP_SHM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Makes SHM_ROOT (mode 0711) if missing, which must then be a directory of this process's
 * user that nobody else may write (not a link), and in it JOB.STEP.NODE, a tmpfs of mib MiB
 * for uid and gid, replacing a leftover of a step with the same ids. Its path into dir.
 * Returns 0, or -1 with err (also when the tmpfs cannot be mounted: never an uncapped
 * directory).
 */
int step_shm_create(const char *shm_root, const uint32_t ids[3], uint64_t mib, uid_t uid, gid_t gid,
		    char *dir, size_t dirlen, char *err, size_t errlen);
/* Unmounts and removes SHM_ROOT/JOB.STEP.NODE and everything in it, following no link. 0, or
 * -1 with err. */
int step_shm_remove(const char *shm_root, const uint32_t ids[3], char *err, size_t errlen);

#endif
