#include "guest_boot.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_PS 0x80ull
/* kvm_pvm runs guest supervisor code at hardware CPL3 and loops on U=0 pages: the boot
 * tables are user-accessible (the guest replaces them before it runs any user code). */
#define PTE_US 0x4ull
#define MIB2 (2ull << 20)

static uint64_t align_down(uint64_t v, uint64_t a)
{
	return v & ~(a - 1);
}

int boot_place_program(const struct guest_mem *gm, const uint8_t *image, size_t image_len, int argc,
		       char *const argv[], char *const envp[], const char *path,
		       struct boot_program *out, char *err, size_t errlen)
{
	struct dsv_args hdr = { 0 };
	uint64_t strings = 0, need, top = gm_top(gm), base, limit;
	uint8_t *p;
	int envc = 0;

	for (int i = 0; i < argc; i++)
		strings += strlen(argv[i]) + 1;
	for (; envp && envp[envc]; envc++)
		strings += strlen(envp[envc]) + 1;
	strings += strlen(path) + 1;
	if (strings > (64u << 20)) {
		snprintf(err, errlen, "program arguments and environment exceed 64 MiB");
		return -1;
	}
	need = ((image_len + 15) & ~15ull) + sizeof(hdr) + strings;
	/* The program region must stay in one piece of RAM, above the kernel's 1 MiB. */
	limit = gm->size == gm->low_size ? gm->size : gm->size - gm->low_size;
	if (need + MIB2 > limit || top < need) {
		snprintf(err, errlen,
			 "program (%zu bytes) and its arguments do not fit in guest "
			 "memory: raise --mem",
			 image_len);
		return -1;
	}
	base = align_down(top - need, MIB2);
	if (gm->size == gm->low_size && base < 2 * MIB2) {
		snprintf(err, errlen,
			 "program (%zu bytes) leaves no room for the kernel: raise --mem",
			 image_len);
		return -1;
	}
	p = gm_ptr(gm, base, top - base);
	if (!p) {
		snprintf(err, errlen, "internal error: program region outside guest RAM");
		return -1;
	}
	memset(p, 0, top - base);
	memcpy(p, image, image_len);
	out->region_gpa = base;
	out->gpa = base;
	out->size = image_len;
	out->args_gpa = base + ((image_len + 15) & ~15ull);
	out->args_size = sizeof(hdr) + strings;

	hdr.argc = (uint32_t)argc;
	hdr.envc = (uint32_t)envc;
	hdr.strings_size = (uint32_t)strings;
	p += out->args_gpa - base;
	memcpy(p, &hdr, sizeof(hdr));
	p += sizeof(hdr);
	for (int i = 0; i < argc; i++)
		p = (uint8_t *)stpcpy((char *)p, argv[i]) + 1;
	for (int i = 0; i < envc; i++)
		p = (uint8_t *)stpcpy((char *)p, envp[i]) + 1;
	stpcpy((char *)p, path);
	return 0;
}

uint64_t boot_page_tables(const struct guest_mem *gm)
{
	uint64_t *pml4 = gm_ptr(gm, BOOT_PT_GPA, 0x1000);
	uint64_t *pdpt_low = gm_ptr(gm, BOOT_PT_GPA + 0x1000, 0x1000);
	uint64_t *pdpt_high = gm_ptr(gm, BOOT_PT_GPA + 0x2000, 0x1000);
	uint64_t pd_gpa = BOOT_PT_GPA + 0x3000;
	uint64_t mapped = gm->low_size; /* identity covers low RAM (< 4 GiB) */

	memset(pml4, 0, BOOT_PT_END - BOOT_PT_GPA);
	pml4[0] = (BOOT_PT_GPA + 0x1000) | PTE_P | PTE_RW | PTE_US;
	pml4[511] = (BOOT_PT_GPA + 0x2000) | PTE_P | PTE_RW | PTE_US;
	for (int g = 0; g < 4; g++) {
		uint64_t *pd = gm_ptr(gm, pd_gpa + (uint64_t)g * 0x1000, 0x1000);

		for (int i = 0; i < 512; i++) {
			uint64_t pa = ((uint64_t)g << 30) + ((uint64_t)i << 21);

			if (pa < mapped)
				pd[i] = pa | PTE_P | PTE_RW | PTE_PS | PTE_US;
		}
		pdpt_low[g] = (pd_gpa + (uint64_t)g * 0x1000) | PTE_P | PTE_RW | PTE_US;
	}
	/* Kernel window: -2 GiB maps physical [0, 2 GiB) through the same PDs. */
	pdpt_high[510] = pdpt_low[0];
	pdpt_high[511] = pdpt_low[1];
	return BOOT_PT_GPA;
}

static void add_range(struct dsv_bootinfo *bi, uint64_t base, uint64_t size, uint32_t type)
{
	if (size == 0 || bi->nr_mem >= DSV_MAX_MEM_RANGES)
		return;
	bi->mem[bi->nr_mem++] = (struct dsv_mem_range){ base, size, type, 0 };
}

/* Splits [lo, hi) of RAM into the types it holds, in address order. */
static void add_ram(struct dsv_bootinfo *bi, uint64_t lo, uint64_t hi, const struct boot_params *bp)
{
	uint64_t klo = bp->kernel->phys_lo, khi = bp->kernel->phys_hi;
	uint64_t plo = bp->program ? bp->program->region_gpa : UINT64_MAX;
	uint64_t cur = lo;

	if (lo == 0) {
		add_range(bi, 0, BOOT_AREA_END, DSV_MEM_BOOT);
		cur = BOOT_AREA_END;
	}
	if (klo >= cur && khi <= hi) {
		add_range(bi, cur, klo - cur, DSV_MEM_RAM);
		add_range(bi, klo, khi - klo, DSV_MEM_KERNEL);
		cur = khi;
	}
	if (plo >= cur && plo < hi) {
		add_range(bi, cur, plo - cur, DSV_MEM_RAM);
		add_range(bi, plo, hi - plo, DSV_MEM_PROGRAM);
		cur = hi;
	}
	add_range(bi, cur, hi - cur, DSV_MEM_RAM);
}

void boot_write_info(const struct guest_mem *gm, const struct boot_params *bp)
{
	struct dsv_bootinfo *bi = gm_ptr(gm, BOOT_INFO_GPA, sizeof(*bi));
	char *cmd = gm_ptr(gm, BOOT_CMDLINE_GPA, DSV_CMDLINE_MAX);
	size_t clen = bp->cmdline ? strlen(bp->cmdline) : 0;

	memset(bi, 0, sizeof(*bi));
	bi->magic = DSV_BOOTINFO_MAGIC;
	bi->abi_version = DSV_ABI_VERSION;
	bi->size = sizeof(*bi);
	bi->platform = bp->platform;
	bi->flags = bp->flags;
	bi->tsc_khz = bp->tsc_khz;
	struct timespec now;
	if (clock_gettime(CLOCK_REALTIME, &now) == 0)
		bi->realtime_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	bi->ram_size = gm->size;
	bi->nr_vcpus = (uint32_t)bp->nr_vcpus;
	for (int i = 0; i < bp->nr_vcpus; i++) {
		bi->host_cpu[i] = (uint32_t)bp->host_cpus[i];
		bi->vif_gpa[i] = bp->vif_pages ? boot_vif_gpa(i) : 0;
	}
	add_ram(bi, 0, gm->low_size, bp);
	if (gm->size > gm->low_size)
		add_ram(bi, GM_HIGH_BASE, gm_top(gm), bp);

	if (clen >= DSV_CMDLINE_MAX)
		clen = DSV_CMDLINE_MAX - 1;
	memset(cmd, 0, DSV_CMDLINE_MAX);
	if (clen)
		memcpy(cmd, bp->cmdline, clen);
	bi->cmdline_gpa = BOOT_CMDLINE_GPA;
	bi->cmdline_len = (uint32_t)clen;
	if (bp->program) {
		bi->program_gpa = bp->program->gpa;
		bi->program_size = bp->program->size;
		bi->args_gpa = bp->program->args_gpa;
		bi->args_size = bp->program->args_size;
	}
}
