/* Starting the program: its initial stack (argv, envp, auxv) as Linux builds it. */
#ifndef LWK_EXEC_H
#define LWK_EXEC_H

#include "elf.h"

struct program_args {
	uint32_t argc, envc;
	const char *const *argv; /* kernel pointers to NUL-terminated strings */
	const char *const *envp;
	const char *path;
	uint64_t vdso; /* user address of the vDSO, 0 for none */
};

extern const char *prog_name; /* basename, for fault reports */
extern const char *prog_path; /* as given to the VMM, for /proc/self/exe */

/* Builds the stack below top; returns the initial user rsp, or 0 if it does not fit. */
uint64_t exec_build_stack(uint64_t top, uint64_t limit, const struct program_args *a,
			  const struct elf_image *img);
void random_bytes(void *buf, size_t len);
/* Maps the vDSO and its data page into the program; returns its address or 0. */
uint64_t vdso_map(void);

#endif
