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

static inline uint64_t user_to_phys(uint64_t uva)
{
	return uva - uwin.va + uwin.pa;
}

#endif
