/*
 * Guest RAM: one host allocation, populated and locked up front. It appears to the guest
 * at GPA 0 up to GM_LOW_END, and any remainder from GM_HIGH_BASE on, leaving the usual
 * hole below 4 GiB for the local APIC and other platform pages.
 */
#ifndef HVMM_GUEST_MEM_H
#define HVMM_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

enum gm_backing {
	GM_BACKING_NONE = 0,
	GM_BACKING_HUGETLB,   /* hugetlbfs 2 MiB pages reserved by the host */
	GM_BACKING_HUGETLBFS, /* a file in a given hugetlbfs mount (its own reservation) */
	GM_BACKING_THP,	      /* anonymous memory with MADV_HUGEPAGE */
	GM_BACKING_4K,	      /* anonymous memory, small pages */
};

enum gm_hugepages {
	GM_HUGE_AUTO,
	GM_HUGE_ON,
	GM_HUGE_OFF
};

#define GM_LOW_END 0xc0000000ull    /* 3 GiB */
#define GM_HIGH_BASE 0x100000000ull /* 4 GiB */

struct guest_mem {
	uint8_t *host;	   /* host mapping of GPA 0 */
	uint64_t size;	   /* bytes, a multiple of 2 MiB */
	uint64_t low_size; /* bytes at GPA 0 (the rest starts at GM_HIGH_BASE) */
	enum gm_backing backing;
	int numa_node;	    /* node the memory is bound to, -1 if unbound */
	double populate_ms; /* time to allocate, fault in and lock */
};

/*
 * Allocates size bytes (rounded up to 2 MiB), preferring hugetlbfs pages as mode allows,
 * binds them to numa_node (-1: no binding), populates and mlocks every page. Population
 * (the kernel zeroing every page) is split across threads pinned to cpus[0..ncpus), which
 * should be the CPUs the VM will use. With hugetlbfs_dir (a hugetlbfs mount of 2 MiB pages)
 * the memory is an unlinked file there, mapped shared, and mode is not consulted: nothing
 * else is tried. Returns 0, or -errno with a message in err.
 */
int gm_create(struct guest_mem *gm, uint64_t size, enum gm_hugepages mode,
	      const char *hugetlbfs_dir, int numa_node, const int *cpus, int ncpus, char *err,
	      size_t errlen);
void gm_destroy(struct guest_mem *gm);

/*
 * Host pointer for [gpa, gpa + len) when the whole range lies inside one piece of guest
 * RAM and does not wrap; NULL otherwise. Every guest-supplied address goes through here
 * (or gm_range_ok) before hvmm touches it.
 */
void *gm_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len);
int gm_range_ok(const struct guest_mem *gm, uint64_t gpa, uint64_t len);

/* Highest guest-physical address + 1. */
uint64_t gm_top(const struct guest_mem *gm);

const char *gm_backing_name(enum gm_backing b);

#endif
