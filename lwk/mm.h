/* Physical memory and page tables. All RAM is mapped once at boot with 2 MiB pages:
 * the kernel window (the image), the direct map (all RAM, kernel only) and the user
 * window, one linear user mapping of the largest free RAM range (VA = PA + const), so a
 * user buffer is physically contiguous and never faults once it is in the window. */
#ifndef LWK_MM_H
#define LWK_MM_H

#include "kernel.h"
#include <dsv/bootinfo.h>

struct user_window {
	uint64_t va, pa, size;
};
extern struct user_window uwin;

/* Per-vCPU pages allocated at boot (physical addresses). */
struct cpu_pages {
	uint64_t cpu, kstack, pml4;
};

void mm_init(const struct dsv_bootinfo *bi, struct cpu_pages *pages, uint32_t ncpus);
void mm_enable_direct_map(void);
/* Maps the user window at VA win_va (2 MiB aligned) for every vCPU; returns its size. */
uint64_t mm_map_user_window(const struct dsv_bootinfo *bi, uint64_t win_va,
			    const struct cpu_pages *pages, uint32_t ncpus);

/*
 * Shared file mappings (sys_mem_shared.c) live outside the user window, in their own
 * region of the user half, mapped at run time onto the GPAs hvmm gives them: whole 2 MiB
 * chunks as 2 MiB pages, the rest with 4 KiB pages. va and pa are 2 MiB aligned, len a
 * multiple of 4 KiB. The callers serialize.
 */
#define SHM_VA_BASE 0x600000000000ull /* PML4 slot 192, far above any user window */
#define SHM_VA_SIZE (512ull << 30)    /* one PML4 entry */
#define SHM_PT_PAGES 256u	      /* page-table pages for the region (1 MiB) */
int mm_shm_map(uint64_t va, uint64_t pa, uint64_t len, bool writable); /* 0 or -ENOMEM */
/* Clears the mapping and flushes this vCPU's TLB for it (docs/lwk.md: other vCPUs). */
void mm_shm_unmap(uint64_t va, uint64_t len);

/* Maps the fast path's pages (fastpath.h): code_pa at VA 0 (user, read-only, executable),
 * data_pa at FP_DATA_VA (user, read-only, not executable), rw_pa at FP_RW_VA (user, writable,
 * not executable): the last two pages of the first 2 MiB. The rest stays unmapped. */
void mm_map_low_pages(uint64_t code_pa, uint64_t data_pa, uint64_t rw_pa);

static inline uint64_t user_to_phys(uint64_t uva)
{
	return uva - uwin.va + uwin.pa;
}

#endif
