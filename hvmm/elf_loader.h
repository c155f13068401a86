/* Validates and loads an ELF64 x86-64 guest kernel image into guest RAM. */
#ifndef HVMM_ELF_LOADER_H
#define HVMM_ELF_LOADER_H

#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SEGMENTS 16
#define KERNEL_VBASE 0xffffffff80000000ull /* the kernel window of docs/abi.md */

struct elf_segment {
	uint64_t paddr, vaddr, filesz, memsz;
	uint32_t flags; /* PF_R | PF_W | PF_X */
};

struct elf_image {
	uint64_t entry;	  /* virtual, as in e_entry */
	uint64_t phys_lo; /* lowest loaded physical address */
	uint64_t phys_hi; /* one past the highest */
	int nseg;
	struct elf_segment seg[ELF_MAX_SEGMENTS];
};

/*
 * Checks that file[0..len) is an ELF64 little-endian x86-64 executable whose PT_LOAD
 * segments lie in [min_paddr, max_paddr), do not overlap, are linked identity or in the
 * kernel window, and whose entry point is inside an executable segment's file-backed
 * bytes. Nothing is written on failure. Returns 0, or -1 with a reason in err.
 */
int elf_check_kernel(const uint8_t *file, size_t len, uint64_t min_paddr, uint64_t max_paddr,
		     struct elf_image *img, char *err, size_t errlen);

/* Copies the checked image's segments into ram (zero-filling the bss parts). */
void elf_copy_segments(const uint8_t *file, const struct elf_image *img, uint8_t *ram);

#endif
