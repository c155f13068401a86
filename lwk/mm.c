/* Boot-time physical allocator and page-table construction. Everything is mapped at boot
 * and stays as built, except the region of shared file mappings (mm_shm_*), whose tables
 * come from a pool reserved at boot. */
#include "mm.h"
#include "fastpath.h"
#include "x86.h"
#include "errno.h"

#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_US 0x4ull
#define PTE_PS 0x80ull
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

extern char __kernel_end[];

struct user_window uwin;

static uint64_t pool_cur, pool_end;	  /* boot allocator: physical bump pointer */
static uint64_t phys_offset = KERNEL_VMA; /* kernel window until the direct map is live */
static uint64_t template_pml4;		  /* shared kernel mappings, copied per vCPU */
static uint64_t kernel_us;		  /* PTE_US on kernel mappings: PVM only, see below */

void *phys_to_virt(uint64_t pa)
{
	return (void *)(pa + phys_offset);
}

uint64_t virt_to_phys(const void *va)
{
	uint64_t v = (uint64_t)va;
	return v >= KERNEL_VMA ? v - KERNEL_VMA : v - DIRECT_MAP;
}

static uint64_t pool_alloc(uint64_t bytes)
{
	uint64_t pa = pool_cur;
	bytes = ALIGN_UP(bytes, PAGE_SIZE);
	if (pool_end - pool_cur < bytes)
		panic("out of memory for kernel tables");
	pool_cur += bytes;
	memset(phys_to_virt(pa), 0, bytes);
	return pa;
}

static uint64_t *table(uint64_t pa)
{
	return phys_to_virt(pa & PTE_ADDR);
}

/* The entry for va at the level whose entries map `shift` bits (39, 30, 21, 12). */
static uint64_t *pte_slot(uint64_t pml4, uint64_t va, int shift, uint64_t upper_flags)
{
	uint64_t *t = table(pml4);
	for (int s = 39; s > shift; s -= 9) {
		uint64_t *e = &t[(va >> s) & 511];
		if (!(*e & PTE_P))
			*e = pool_alloc(PAGE_SIZE) | PTE_P | PTE_RW | kernel_us | upper_flags;
		t = table(*e);
	}
	return &t[(va >> shift) & 511];
}

static void map_2m(uint64_t pml4, uint64_t va, uint64_t pa, uint64_t size, uint64_t flags)
{
	for (uint64_t off = 0; off < size; off += HUGE_SIZE)
		*pte_slot(pml4, va + off, 21, flags & PTE_US) = (pa + off) | PTE_P | PTE_PS | flags;
}

/* The boot allocator takes the low end of the first free RAM range above the kernel
 * (it must lie in the first GiB, which both boot paths map); the user window later takes
 * the largest free range, what is left of this one included. */
static void pool_init(const struct dsv_bootinfo *bi)
{
	uint64_t kend = virt_to_phys(__kernel_end);
	for (uint32_t i = 0; i < bi->nr_mem; i++) {
		const struct dsv_mem_range *m = &bi->mem[i];
		uint64_t lo = ALIGN_UP(MAX(m->base, kend), PAGE_SIZE), hi = m->base + m->size;
		if (m->type == DSV_MEM_RAM && hi > lo && hi - lo >= (8ull << 20) &&
		    lo < (1ull << 30)) {
			pool_cur = lo;
			pool_end = MIN(hi, 1ull << 30);
			return;
		}
	}
	panic("no free RAM range of 8 MiB in the first GiB");
}

void mm_init(const struct dsv_bootinfo *bi, struct cpu_pages *pages, uint32_t ncpus)
{
	/* kvm_pvm runs guest supervisor code at hardware CPL3 and loops on a fault when it
	 * touches a supervisor-only (U=0) page, so there every mapping is user-accessible.
	 * The program could then reach kernel memory: it only harms its own VM. */
	kernel_us = bi->platform == DSV_PLATFORM_PVM ? PTE_US : 0;
	pool_init(bi);
	template_pml4 = pool_alloc(PAGE_SIZE);
	for (uint32_t i = 0; i < bi->nr_mem; i++) {
		uint64_t lo = ALIGN_DOWN(bi->mem[i].base, HUGE_SIZE);
		uint64_t hi = ALIGN_UP(bi->mem[i].base + bi->mem[i].size, HUGE_SIZE);
		map_2m(template_pml4, DIRECT_MAP + lo, lo, hi - lo, PTE_RW | PTE_NX | kernel_us);
	}
	uint64_t kspan = ALIGN_UP(virt_to_phys(__kernel_end), HUGE_SIZE);
	map_2m(template_pml4, KERNEL_VMA, 0, kspan, PTE_RW | kernel_us);

	/* Per vCPU: its struct cpu page, kernel stack, and page tables that differ from the
	 * template only on the path to PERCPU_VA (PML4[511] -> PDPT[511] -> PD[511] -> PT[0]). */
	uint64_t *tpl = table(template_pml4);
	for (uint32_t i = 0; i < ncpus; i++) {
		struct cpu_pages *p = &pages[i];
		p->cpu = pool_alloc(PAGE_SIZE);
		p->kstack = pool_alloc(KSTACK_SIZE);
		p->pml4 = pool_alloc(PAGE_SIZE);
		uint64_t pdpt = pool_alloc(PAGE_SIZE), pd = pool_alloc(PAGE_SIZE),
			 pt = pool_alloc(PAGE_SIZE);
		memcpy(table(p->pml4), tpl, PAGE_SIZE);
		memcpy(table(pdpt), table(tpl[511]), PAGE_SIZE);
		table(p->pml4)[511] = pdpt | PTE_P | PTE_RW | kernel_us;
		table(pdpt)[511] = pd | PTE_P | PTE_RW | kernel_us;
		table(pd)[511] = pt | PTE_P | PTE_RW | kernel_us;
		table(pt)[0] = p->cpu | PTE_P | PTE_RW | PTE_NX | kernel_us;
	}
}

void mm_enable_direct_map(void)
{
	phys_offset = DIRECT_MAP;
}

/* The shared-mapping region: its PDPT (shared by every vCPU through the PML4 entry that
 * is copied at boot) and a free list of zeroed 4 KiB pages for its PDs and PTs. */
static uint64_t shm_pdpt;
static uint64_t shm_free[SHM_PT_PAGES];
static unsigned shm_nfree;

static void shm_init(void)
{
	shm_pdpt = *pte_slot(template_pml4, SHM_VA_BASE, 39, PTE_US) =
		pool_alloc(PAGE_SIZE) | PTE_P | PTE_RW | PTE_US;
	uint64_t pool = pool_alloc((uint64_t)SHM_PT_PAGES * PAGE_SIZE);
	for (unsigned i = 0; i < SHM_PT_PAGES; i++)
		shm_free[shm_nfree++] = pool + (uint64_t)i * PAGE_SIZE;
}

static uint64_t shm_page(void)
{
	if (!shm_nfree)
		return 0;
	uint64_t pa = shm_free[--shm_nfree];
	memset(phys_to_virt(pa), 0, PAGE_SIZE);
	return pa;
}

static void shm_page_free(uint64_t pa)
{
	shm_free[shm_nfree++] = pa & PTE_ADDR;
}

/* The PD entry for va, its PD made if make; NULL when there is none (or no page left). */
static uint64_t *shm_pde(uint64_t va, bool make)
{
	uint64_t *e = &table(shm_pdpt)[(va >> 30) & 511];
	if (!(*e & PTE_P)) {
		uint64_t pd = make ? shm_page() : 0;
		if (!pd)
			return NULL;
		*e = pd | PTE_P | PTE_RW | PTE_US;
	}
	return &table(*e)[(va >> 21) & 511];
}

static void invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

void mm_shm_unmap(uint64_t va, uint64_t len)
{
	for (uint64_t off = 0; off < len; off += HUGE_SIZE) {
		uint64_t *pde = shm_pde(va + off, false);
		if (!pde || !(*pde & PTE_P))
			continue;
		uint64_t e = *pde, n = MIN(len - off, HUGE_SIZE);
		*pde = 0;
		if (e & PTE_PS) {
			invlpg(va + off);
		} else {
			for (uint64_t p = 0; p < n; p += PAGE_SIZE)
				invlpg(va + off + p);
			shm_page_free(e);
		}
	}
	/* PDs left empty go back to the pool (the VA range is never handed out again). */
	for (uint64_t g = ALIGN_DOWN(va, 1ull << 30); g < va + len; g += 1ull << 30) {
		uint64_t *e = &table(shm_pdpt)[(g >> 30) & 511];
		if (!(*e & PTE_P))
			continue;
		const uint64_t *pd = table(*e);
		int used = 0;
		for (int i = 0; i < 512 && !used; i++)
			used = (pd[i] & PTE_P) != 0;
		if (!used) {
			shm_page_free(*e);
			*e = 0;
		}
	}
}

int mm_shm_map(uint64_t va, uint64_t pa, uint64_t len, bool writable)
{
	uint64_t leaf = PTE_P | PTE_US | PTE_NX | (writable ? PTE_RW : 0);
	for (uint64_t off = 0; off < len; off += HUGE_SIZE) {
		uint64_t *pde = shm_pde(va + off, true);
		if (!pde)
			goto nomem;
		uint64_t n = len - off;
		if (n >= HUGE_SIZE) {
			*pde = (pa + off) | leaf | PTE_PS;
			continue;
		}
		uint64_t pt = shm_page();
		if (!pt)
			goto nomem;
		uint64_t *t = table(pt);
		for (uint64_t p = 0; p < n; p += PAGE_SIZE)
			t[p / PAGE_SIZE] = (pa + off + p) | leaf;
		*pde = pt | PTE_P | PTE_RW | PTE_US;
	}
	return 0;
nomem:
	mm_shm_unmap(va, len);
	return -ENOMEM;
}

void mm_map_low_pages(uint64_t code_pa, uint64_t data_pa, uint64_t rw_pa)
{
	static uint64_t low_pt[512] __attribute__((aligned(4096)));
	uint64_t *pde = pte_slot(template_pml4, 0, 21, PTE_US);
	if (*pde & PTE_P)
		panic("the first 2 MiB of the user half are in use");
	low_pt[0] = code_pa | PTE_P | PTE_US;
	low_pt[FP_DATA_VA >> 12] = data_pa | PTE_P | PTE_US | PTE_NX;
	low_pt[FP_RW_VA >> 12] = rw_pa | PTE_P | PTE_RW | PTE_US | PTE_NX;
	*pde = virt_to_phys(low_pt) | PTE_P | PTE_RW | PTE_US;
}

uint64_t mm_map_user_window(const struct dsv_bootinfo *bi, uint64_t win_va,
			    const struct cpu_pages *pages, uint32_t ncpus)
{
	/* Reserve page tables for the largest possible window before choosing it. */
	uint64_t tables = (bi->ram_size >> 30 << 12) + (6 + 1 + SHM_PT_PAGES) * PAGE_SIZE;
	if (pool_end - pool_cur < tables)
		panic("out of memory for the user page tables");
	uint64_t reserved_end = pool_cur + tables;
	for (uint32_t i = 0; i < bi->nr_mem; i++) {
		const struct dsv_mem_range *m = &bi->mem[i];
		if (m->type != DSV_MEM_RAM)
			continue;
		uint64_t lo = m->base, hi = ALIGN_DOWN(m->base + m->size, HUGE_SIZE);
		if (lo <= pool_cur && pool_cur < m->base + m->size)
			lo = reserved_end;
		lo = ALIGN_UP(lo, HUGE_SIZE);
		if (hi > lo && hi - lo > uwin.size)
			uwin.pa = lo, uwin.size = hi - lo;
	}
	if (uwin.size < (8ull << 20))
		panic("not enough RAM for the program");
	uwin.va = win_va;
	if (uwin.va + uwin.size > (1ull << 47) || uwin.va + uwin.size < uwin.va)
		panic("user window does not fit the user half");
	pool_end = reserved_end;
	map_2m(template_pml4, uwin.va, uwin.pa, uwin.size, PTE_RW | PTE_US);
	/* The path to VA 0's PD exists before the copy below, so that the fast path's pages
	 * (mm_map_low_pages, later) reach every vCPU wherever the window lies. */
	pte_slot(template_pml4, 0, 21, PTE_US);
	shm_init();
	uint64_t *tpl = table(template_pml4);
	for (uint32_t i = 0; i < ncpus; i++)
		for (int s = 0; s < 256; s++)
			if (tpl[s])
				table(pages[i].pml4)[s] = tpl[s];
	return uwin.size;
}
