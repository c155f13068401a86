/* Least privilege after setup (docs/security.md): capabilities, no_new_privs, the jail. */
#ifndef HVMM_PRIVILEGES_H
#define HVMM_PRIVILEGES_H

#include <stddef.h>

#include "options.h"

/*
 * Clears every capability from the bounding, ambient, inheritable, permitted and effective
 * sets except, with keep_file_caps, the few that let file offload act on the share as the
 * user who started hvmm would (DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, FSETID), then sets
 * no_new_privs. Returns 0, or -1 with a reason in err.
 */
int priv_drop(int keep_file_caps, char *err, size_t errlen);

/* The bounding-set part of priv_drop alone (needs CAP_SETPCAP; a no-op without it). */
int priv_clear_bounding(int keep_file_caps, char *err, size_t errlen);

/*
 * Called once setup is done and before any vCPU thread exists (capabilities and the
 * mount namespace are per thread): SIGPIPE ignored, --jail, then cred_become_user with
 * --uid, else priv_drop. Seccomp comes
 * later, per thread.
 */
int harden_after_setup(const struct hvmm_opts *o, char *err, size_t errlen);

#endif
