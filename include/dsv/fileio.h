/* SPDX-License-Identifier: MIT */
/*
 * File-offload hypercalls (docs/abi.md "File offload"). The lwk forwards a program's file
 * system calls here, McKernel-style; hvmm performs them on the host inside the --share
 * directory. Arguments follow the Linux system call they stand for, except that every
 * pointer is a GPA and every path comes with its length (no NUL needed; at most
 * DSV_PATH_MAX bytes). Results are Linux results: >= 0 or a negated errno.
 *
 * File descriptors are hvmm's: 0, 1 and 2 are hvmm's own stdin, stdout and stderr, and each
 * open returns the lowest free number, as Linux does. dirfd may be DSV_AT_FDCWD.
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

#define DSV_AT_FDCWD   (-100)
#define DSV_PATH_MAX   4096u
#define DSV_MAX_FILES  1024u  /* open descriptors per VM, the standard three included */

/*                                       args                                       */
#define DSV_HC_OPENAT     0x100u /* dirfd, path, path_len, flags, mode               */
#define DSV_HC_CLOSE      0x101u /* fd                                                */
#define DSV_HC_READ       0x102u /* fd, buf, len                                      */
#define DSV_HC_WRITE      0x103u /* fd, buf, len                                      */
#define DSV_HC_PREAD      0x104u /* fd, buf, len, offset                              */
#define DSV_HC_PWRITE     0x105u /* fd, buf, len, offset                              */
#define DSV_HC_LSEEK      0x106u /* fd, offset, whence                                */
#define DSV_HC_FSTAT      0x107u /* fd, statbuf (struct stat, x86-64 layout)          */
#define DSV_HC_FSTATAT    0x108u /* dirfd, path, path_len, statbuf, flags             */
#define DSV_HC_STATX      0x109u /* dirfd, path, path_len, flags, mask, statxbuf       */
#define DSV_HC_GETDENTS64 0x10au /* fd, buf, len                                      */
#define DSV_HC_MKDIRAT    0x10bu /* dirfd, path, path_len, mode                       */
#define DSV_HC_UNLINKAT   0x10cu /* dirfd, path, path_len, flags                      */
#define DSV_HC_RENAMEAT   0x10du /* olddirfd, old, old_len, newdirfd, new, new_len    */
#define DSV_HC_FTRUNCATE  0x10eu /* fd, length                                        */
#define DSV_HC_FSYNC      0x10fu /* fd                                                */
#define DSV_HC_GETCWD     0x110u /* buf, len -> bytes written including the NUL       */
#define DSV_HC_CHDIR      0x111u /* path, path_len                                    */
#define DSV_HC_FACCESSAT  0x112u /* dirfd, path, path_len, mode, flags                */
#define DSV_HC_READLINKAT 0x113u /* dirfd, path, path_len, buf, len                   */
#define DSV_HC_WINSIZE    0x114u /* fd, struct winsize buf -> 0 or -ENOTTY             */
#define DSV_HC_FCNTL      0x115u /* fd, cmd (F_GETFL, F_SETFL, F_GETFD, F_SETFD, F_DUPFD, F_DUPFD_CLOEXEC), arg */
#define DSV_HC_DUP3       0x116u /* oldfd, newfd, flags                               */
#define DSV_HC_FILE_LAST  0x116u

#endif
