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
/* Whether [va, va + len) (bias included) lies in the file-backed part of one executable
 * loadable segment of a checked image. */
bool elf_exec_from_file(const struct elf_image *img, uint64_t va, uint64_t len);
/* elf_sym.c: finds the STT_FUNC symbol of the program's ELF image that contains va (bias
 * included), from its SHT_SYMTAB. Returns false when the file has no symbol table, the table
 * is malformed, or no sized function contains va. *start and *size are virtual addresses (bias
 * included). The function lies in the file-backed part of an executable segment. */
bool elf_func_at(const struct elf_image *img, uint64_t va, uint64_t *start, uint64_t *size);
/* Copies the segments into the user window and reserves their pages. */
bool elf_load(const struct elf_image *img);

#endif
