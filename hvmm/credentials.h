/*
 * Running a VM as its owner (--uid, --gid, --groups), the way a batch system runs a job as
 * its user: hvmm does what needs root (/dev/kvm, locked memory, pinning) and then becomes
 * that user for good before the guest's first instruction, so the kernel checks every file
 * the guest touches against the user, and files are created with the user's ids.
 */
#ifndef HVMM_CREDENTIALS_H
#define HVMM_CREDENTIALS_H

#include <stddef.h>

#include "options.h"

/*
 * Until cred_fs_leave: file access is checked against the user (supplementary groups and
 * file-system ids set to the user's; root's file capabilities leave the effective set), so
 * the share and the images are opened as the user, not by root on the user's behalf.
 * No-op without --uid. Returns 0, or -1 with a reason in err.
 */
int cred_fs_enter(const struct hvmm_opts *o, char *err, size_t errlen);
int cred_fs_leave(const struct hvmm_opts *o, char *err, size_t errlen);

/*
 * For good: clears the capability bounding set, sets the supplementary groups, real,
 * effective, saved and file-system ids to the user's, clears every capability, sets
 * no_new_privs and makes the process undumpable (the user may not ptrace its way to the
 * KVM descriptors). Checks that root cannot be regained. Must run while single-threaded.
 * No-op without --uid. Returns 0, or -1 with a reason in err.
 */
int cred_become_user(const struct hvmm_opts *o, char *err, size_t errlen);

#endif
