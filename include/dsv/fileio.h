/* SPDX-License-Identifier: MIT */
/*
 * File-offload hypercalls (docs/abi.md "File offload"). The lwk forwards a program's file
 * system calls here, McKernel-style; hvmm performs them on the host inside the --share
 * directory. Arguments follow the Linux system call they stand for, except that every
 * pointer is a GPA and every path comes with its length (no NUL needed; at most
 * DSV_PATH_MAX bytes). Results are Linux results: >= 0 or a negated errno.
 *
 * File descriptors are hvmm's: 0, 1 and 2 are hvmm's own stdin, stdout and stderr (and any
 * given with --inherit-fd), and each open returns the lowest free number, as Linux does.
 * Pipes, sockets and polling are in the same table (dsv/sockio.h). dirfd may be
 * DSV_AT_FDCWD.
 *
 * Path rules: the program's working directory starts at the share's root, and the guest
 * sees the share under its real host path (so getcwd() matches a native run started in the
 * share). Absolute paths outside the share, ".." that leaves it, and symlinks that leave
 * it fail with -EACCES. Without --share only the standard descriptors exist and every
 * path call fails with -EACCES.
 */
#ifndef DSV_FILEIO_H
#define DSV_FILEIO_H

#include <stdint.h>
#include "hypercall.h"

#define DSV_AT_FDCWD (-100)
#define DSV_PATH_MAX 4096u
#define DSV_MAX_FILES 1024u /* open descriptors per VM, the standard three included */

/* What a call works on (file_calls.def). */
enum dsv_file_kind {
	DSV_FILE_PATH,
	DSV_FILE_FD,
	DSV_FILE_TABLE
};

enum {
#define DSV_FILE_CALL(NAME, name, nr, kind, args) DSV_HC_##NAME = nr,
#include "file_calls.def"
#undef DSV_FILE_CALL
};

enum {
#define DSV_FILE_CALL(NAME, name, nr, kind, args) +1
	DSV_FILE_CALLS = 0
#include "file_calls.def"
#undef DSV_FILE_CALL
};

#define DSV_HC_FILE_LAST (DSV_HC_FILE_BASE + DSV_FILE_CALLS - 1)

#endif
