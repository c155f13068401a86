/* SPDX-License-Identifier: MIT */
/*
 * The boot-info block hvmm hands to the guest kernel (docs/abi.md "Boot info").
 * Every address is a guest-physical address (GPA). The guest must treat every field as
 * advisory input and check it (sizes, counts) before use; hvmm fills it once before the
 * first instruction and never changes it afterwards.
 */
#ifndef DSV_BOOTINFO_H
#define DSV_BOOTINFO_H

#include <stddef.h>
#include <stdint.h>
#include "abi.h"

#define DSV_BOOTINFO_MAGIC 0x4f464e49425644ull /* "DVBINFO\0" little-endian */

/* Memory-map entry types. */
#define DSV_MEM_RAM 1u	   /* free for the guest kernel to use */
#define DSV_MEM_BOOT 2u	   /* boot info, initial page tables, VIF pages, boot stacks */
#define DSV_MEM_KERNEL 3u  /* the loaded kernel image (PT_LOAD segments) */
#define DSV_MEM_PROGRAM 4u /* program ELF image and its argument block, for the lwk */

struct dsv_mem_range {
	uint64_t base;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

/* Flags in struct dsv_bootinfo.flags. */
#define DSV_BOOT_HUGEPAGES (1u << 0) /* guest RAM is backed by 2 MiB host pages */
#define DSV_BOOT_VERBOSE (1u << 1)   /* hvmm was started with -v */
#define DSV_BOOT_FASTPATH (1u << 2)  /* rewrite syscall sites for the fast path (docs/lwk.md) */

struct dsv_bootinfo {
	uint64_t magic;	      /* DSV_BOOTINFO_MAGIC */
	uint32_t abi_version; /* DSV_ABI_VERSION */
	uint32_t size;	      /* sizeof(struct dsv_bootinfo) as built by hvmm */

	uint32_t platform; /* DSV_PLATFORM_* */
	uint32_t flags;	   /* DSV_BOOT_* */
	uint64_t tsc_khz;  /* guest TSC frequency, from KVM_GET_TSC_KHZ */
	uint64_t ram_size; /* bytes of guest RAM, starting at GPA 0 */

	uint32_t nr_vcpus;
	uint32_t nr_mem;			      /* valid entries in mem[] */
	uint32_t host_cpu[DSV_MAX_VCPUS];	      /* host CPU each vCPU is pinned to */
	uint64_t vif_gpa[DSV_MAX_VCPUS];	      /* per-vCPU PVM VIF page, 0 if not PVM */
	struct dsv_mem_range mem[DSV_MAX_MEM_RANGES]; /* sorted, non-overlapping */

	uint64_t cmdline_gpa; /* NUL-terminated, cmdline_len bytes without the NUL */
	uint32_t cmdline_len;
	uint32_t reserved0;

	/* The program for the lwk to run (zero when hvmm was given none). */
	uint64_t program_gpa; /* the unmodified ELF file, program_size bytes */
	uint64_t program_size;
	uint64_t args_gpa; /* argument block: see struct dsv_args */
	uint64_t args_size;

	uint64_t realtime_ns; /* host CLOCK_REALTIME in ns when hvmm wrote this; 0 if unknown */
	uint64_t reserved[7];
};

/*
 * Argument block for the program: a header followed by argc NUL-terminated strings,
 * then envc NUL-terminated strings, then path (the program's path as given to hvmm,
 * NUL-terminated). Sizes are in bytes and include every NUL.
 */
struct dsv_args {
	uint32_t argc;
	uint32_t envc;
	uint32_t strings_size; /* bytes of strings following this header */
	uint32_t reserved;
};

/* hvmm and the lwk are built apart and must agree byte for byte: any change here is an ABI
 * change (DSV_ABI_VERSION). */
_Static_assert(sizeof(struct dsv_mem_range) == 24, "dsv_mem_range layout");
_Static_assert(sizeof(struct dsv_bootinfo) == 1312, "dsv_bootinfo layout");
_Static_assert(offsetof(struct dsv_bootinfo, tsc_khz) == 24, "dsv_bootinfo layout");
_Static_assert(offsetof(struct dsv_bootinfo, host_cpu) == 48, "dsv_bootinfo layout");
_Static_assert(offsetof(struct dsv_bootinfo, vif_gpa) == 304, "dsv_bootinfo layout");
_Static_assert(offsetof(struct dsv_bootinfo, mem) == 816, "dsv_bootinfo layout");
_Static_assert(offsetof(struct dsv_bootinfo, cmdline_gpa) == 1200, "dsv_bootinfo layout");
_Static_assert(offsetof(struct dsv_bootinfo, program_gpa) == 1216, "dsv_bootinfo layout");
_Static_assert(offsetof(struct dsv_bootinfo, realtime_ns) == 1248, "dsv_bootinfo layout");
_Static_assert(sizeof(struct dsv_args) == 16, "dsv_args layout");

#endif
