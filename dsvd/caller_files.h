/* Files an API caller names (program, kernel, initrd, share), opened AS that caller: a
 * short-lived child switches to the caller's uid, gid and groups and opens the path, so the
 * kernel checks the caller's rights, never root's. Opens never block (O_NONBLOCK, then fstat on
 * the descriptor actually read). A file is copied into one dsvd created, and that copy is what
 * the VMM gets; a share directory comes back as the path the kernel resolved it to. */
#ifndef DSVD_CALLER_FILES_H
#define DSVD_CALLER_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "api_error.h"
#include "caller.h"

/* Opens path as who; it must be a regular file of at most max bytes; copies it into dest_fd.
 * Errors name field: 403 when the caller may not read it, 400 otherwise. */
int caller_copy_file(const struct caller *who, const char *path, int dest_fd, uint64_t max,
		     const char *field, struct api_error *err);
/* Opens directory path as who and returns in out what the kernel resolved it to (symlinks and
 * ".." gone). */
int caller_resolve_dir(const struct caller *who, const char *path, char *out, size_t outlen,
		       const char *field, struct api_error *err);

#endif
