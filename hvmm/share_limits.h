/* --share-max-file-size: a cap on what the guest can write, made by the host kernel. */
#ifndef HVMM_SHARE_LIMITS_H
#define HVMM_SHARE_LIMITS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Sets RLIMIT_FSIZE (soft and hard) to max bytes for the whole process and ignores SIGXFSZ,
 * so a write or truncate past max fails with EFBIG instead of killing hvmm. It caps every
 * file hvmm writes from then on: the share's files and the --log file. Returns 0, or -1
 * with a reason in err.
 */
int share_limit_file_size(uint64_t max, char *err, size_t errlen);

#endif
