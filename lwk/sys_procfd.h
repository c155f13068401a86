/* open() of /proc/self/fd/N (sys_procfd.c). */
#ifndef LWK_SYS_PROCFD_H
#define LWK_SYS_PROCFD_H

#include "kernel.h"

/* True if path names /proc/self/fd/N; then *ret is the new descriptor or -errno. */
bool procfd_open(uint64_t path, uint64_t flags, int64_t *ret);

#endif
