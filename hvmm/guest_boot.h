/* Guest boot state: the fixed low-memory layout, page tables, boot info, program block. */
#ifndef HVMM_GUEST_BOOT_H
#define HVMM_GUEST_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "dsv/bootinfo.h"
#include "elf_loader.h"
#include "guest_mem.h"

/* hvmm's choice of layout (docs/abi.md); guests read the memory map instead. */
#define BOOT_INFO_GPA 0x1000ull
#define BOOT_CMDLINE_GPA 0x2000ull
#define BOOT_PT_GPA 0x3000ull /* PML4; PDPTs and PDs follow */
#define BOOT_PT_END 0xb000ull
#define BOOT_VIF_GPA 0x10000ull	  /* 4 KiB per vCPU */
#define BOOT_STACK_GPA 0x80000ull /* 8 KiB per vCPU */
#define BOOT_STACK_SIZE 0x2000ull
#define BOOT_AREA_END 0x100000ull /* kernels load from here */

struct boot_program {
	uint64_t gpa, size; /* ELF image */
	uint64_t args_gpa, args_size;
	uint64_t region_gpa; /* start of the PROGRAM region (2 MiB aligned) */
};

/*
 * Places the program image and its argument block (argv, envp, path) at the top of
 * guest RAM. Returns 0, or -1 with err set when they do not fit.
 */
int boot_place_program(const struct guest_mem *gm, const uint8_t *image, size_t image_len, int argc,
		       char *const argv[], char *const envp[], const char *path,
		       struct boot_program *out, char *err, size_t errlen);

/* Writes the initial page tables at BOOT_PT_GPA. Returns the CR3 value. */
uint64_t boot_page_tables(const struct guest_mem *gm);

struct boot_params {
	uint32_t platform, flags;
	uint64_t tsc_khz;
	int nr_vcpus;
	const int *host_cpus;
	int vif_pages; /* the platform's per-vCPU VIF pages are in the boot info */
	const char *cmdline;
	const struct elf_image *kernel;
	const struct boot_program *program; /* NULL: none */
};

/* Fills the boot info, command line and memory map. */
void boot_write_info(const struct guest_mem *gm, const struct boot_params *bp);

static inline uint64_t boot_stack_top(int vcpu)
{
	return BOOT_STACK_GPA + (uint64_t)(vcpu + 1) * BOOT_STACK_SIZE;
}

static inline uint64_t boot_vif_gpa(int vcpu)
{
	return BOOT_VIF_GPA + (uint64_t)vcpu * 0x1000;
}

#endif
