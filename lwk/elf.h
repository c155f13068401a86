/* The program loader. The executable is hostile input: every header field is checked
 * before use, as strictly as hvmm checks the kernel image. */
#ifndef LWK_ELF_H
#define LWK_ELF_H

#include "kernel.h"

#define ELF_MIN_VADDR (2ull << 20) /* the first 2 MiB page stays unmapped: NULL faults */
#define ELF_PIE_BASE (4ull << 20)  /* where a static-pie executable is placed */

struct elf_image {
	const uint8_t *file;
	uint64_t size;
	uint64_t bias;	 /* added to every p_vaddr (static-pie only) */
	uint64_t lo, hi; /* lowest and highest address of the loaded image, bias included */
	uint64_t entry, phdr, phnum;
};

/* Checks the file; on failure returns false with a reason for the user in *why. */
bool elf_check(const void *file, uint64_t size, struct elf_image *img, const char **why);
/* Copies the segments into the user window and reserves their pages. */
bool elf_load(const struct elf_image *img);

#endif
