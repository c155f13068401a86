/*
 * File offload: performs the lwk's DSV_HC_* file hypercalls (include/dsv/fileio.h) on
 * the host, confined to the --share directory.
 */
#ifndef HVMM_FILE_OFFLOAD_H
#define HVMM_FILE_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>
#include "guest_mem.h"

struct fileio;

/* share_dir may be NULL: then only fds 0-2 exist. Returns 0 or -errno with err set. */
int fileio_create(struct fileio **out, const char *share_dir, char *err, size_t errlen);
void fileio_destroy(struct fileio *fio);
/* --net host (1) or none (0, the default): see docs/abi.md "Network policy". Call before
 * the guest runs. */
void fileio_set_net(struct fileio *fio, int net_host);
/* --inherit-fd: hvmm's open descriptor fd (3 and up) becomes the guest's fd, same number;
 * hvmm keeps only a close-on-exec copy outside it. Returns 0 or -errno with err set. */
int fileio_inherit(struct fileio *fio, int fd, char *err, size_t errlen);

/* --shm DIR: the guest's /dev/shm is DIR (fileio_shm.c). Returns 0 or -errno with err set. */
int fileio_set_shm(struct fileio *fio, const char *dir, char *err, size_t errlen);

/*
 * Maps [off, off + len) of the regular file behind guest descriptor gfd MAP_SHARED into
 * hvmm, writable or read-only (the descriptor's access mode must allow it), into *host.
 * off and len are checked by the caller (page-aligned, len > 0); the range must lie inside
 * the file. Returns 0, or -EBADF, -ENODEV (not a regular file), -EACCES, -ENXIO, -errno.
 */
int fileio_mmap(struct fileio *fio, uint64_t gfd, uint64_t off, uint64_t len, int writable,
		void **host);

/* What the synthetic /proc and /sys describe (docs/lwk.md "/proc and /sys"). */
struct fileio_view_spec {
	int nvcpus;
	uint64_t mem_bytes;
	const char *name; /* the program's name (its comm), or NULL */
	int net_host;	  /* --net host: the network namespace's interfaces too */
};
/* Writes the view into a private directory under $TMPDIR (or /tmp), removed by
 * fileio_destroy; the guest's /proc and /sys then resolve there. Returns 0 or -errno with
 * err set. Without it, /proc and /sys are outside the share like any host path. */
int fileio_make_view(struct fileio *fio, const struct fileio_view_spec *s, char *err,
		     size_t errlen);

/*
 * Runs file hypercall nr (DSV_HC_FILE_BASE..DSV_HC_FILE_LAST) with guest arguments args.
 * Thread-safe: vCPU threads call it concurrently. Validates every GPA and length itself.
 * Returns the Linux-style result (>= 0, or -errno).
 */
int64_t fileio_call(struct fileio *fio, const struct guest_mem *gm, uint32_t nr,
		    const uint64_t args[6]);

/*
 * The offload ring's proxy: runs call nr on the calling thread and stores its result in
 * *ret (returning 1) unless it could wait for another party (a read on a pipe or socket,
 * an open without O_NONBLOCK, the close of a lingering socket, poll with a timeout), when
 * it returns 0 and makes no call: hand it to a worker. The check and the call use one
 * reference to the descriptor, so another vCPU's dup3 or F_SETFL in between cannot turn
 * the call into one that waits; and no descriptor this thread closes lingers.
 */
int fileio_call_inline(struct fileio *fio, const struct guest_mem *gm, uint32_t nr,
		       const uint64_t args[6], int64_t *ret);

#endif
