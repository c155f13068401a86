/* MAP_SHARED file mappings backed by the host file's pages (sys_mem_shared.c). */
#ifndef LWK_SYS_MEM_SHARED_H
#define LWK_SYS_MEM_SHARED_H

#include "kernel.h"

/* addr lies in the region of shared file mappings. */
bool shm_region(uint64_t addr);
/* [va, va + len) lies inside one live shared mapping (the kernel may copy to and from it;
 * hvmm reaches RAM only, so it never gets such an address as a buffer). */
bool shm_range(uint64_t va, uint64_t len);
/* The address of a new mapping of [off, off + len) of fd, or -errno (-ENOSYS: the host
 * cannot share, as under QEMU). */
int64_t shm_mmap(uint64_t len, int prot, int fd, uint64_t off);
/* Removes the whole mapping at addr (len rounded up to pages must be its length). */
int64_t shm_munmap(uint64_t addr, uint64_t len);

#endif
