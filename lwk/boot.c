/* Boot: vCPU 0 builds the page tables and loads the program while the other vCPUs wait;
 * then every vCPU switches to its own page tables and kernel stack, loads its descriptor
 * tables, and runs its idle loop: vCPU 0 with the main thread ready, the others halting
 * until clone gives them one. */
#include "boot.h"
#include "apic.h"
#include "cpu.h"
#include "elf.h"
#include "exec.h"
#include "fastpath.h"
#include "host.h"
#include "mm.h"
#include "plat.h"
#include "sched.h"
#include "syscall.h"
#include "thread.h"
#include "time.h"
#include "uvm.h"
#include "x86.h"

#define MAX_STRINGS 8192
#define EXIT_NOEXEC 126

static struct dsv_bootinfo bootinfo;
static struct cpu_pages pages[DSV_MAX_VCPUS];
static volatile int boot_done;
bool lwk_verbose;
static const char *arg_ptrs[MAX_STRINGS];

static void check_bootinfo(const struct dsv_bootinfo *bi)
{
	if (bi->magic != DSV_BOOTINFO_MAGIC)
		panic("bad boot info magic");
	if (bi->abi_version != DSV_ABI_VERSION)
		panic("boot info ABI version %u, this kernel knows %u", bi->abi_version,
		      DSV_ABI_VERSION);
	if (!bi->nr_vcpus || bi->nr_vcpus > DSV_MAX_VCPUS || bi->nr_mem > DSV_MAX_MEM_RANGES)
		panic("bad vCPU or memory range count");
	if (!bi->tsc_khz)
		panic("boot info without a TSC frequency");
	if (bi->platform != DSV_PLATFORM_PVM && bi->platform != DSV_PLATFORM_HW)
		panic("unknown platform %u", bi->platform);
}

static void cpu_setup(struct cpu *c)
{
	cpu_init_tables(c);
	plat->init_cpu(c);
	if (!apic_init(c) && nr_cpus > 1)
		panic("vCPU %u has no x2APIC", c->index);
}

/* Splits the argument block into argv, envp and path (all checked to lie inside it). */
static void parse_args(const struct dsv_bootinfo *bi, struct program_args *a)
{
	if (!bi->args_gpa || bi->args_size < sizeof(struct dsv_args))
		panic("no program arguments");
	const struct dsv_args *h = phys_to_virt(bi->args_gpa);
	const char *s = (const char *)(h + 1), *end = s + h->strings_size;
	if (h->strings_size > bi->args_size - sizeof *h ||
	    (uint64_t)h->argc + h->envc + 1 > MAX_STRINGS)
		panic("bad program argument block");
	uint32_t n = h->argc + h->envc + 1;
	for (uint32_t i = 0; i < n; i++) {
		size_t len = strnlen(s, (size_t)(end - s));
		if (s + len == end)
			panic("unterminated program argument");
		arg_ptrs[i] = s;
		s += len + 1;
	}
	a->argc = h->argc;
	a->envc = h->envc;
	a->argv = arg_ptrs;
	a->envp = arg_ptrs + h->argc;
	a->path = arg_ptrs[n - 1];
	prog_path = a->path;
	const char *slash = prog_path;
	for (const char *p = prog_path; *p; p++)
		if (*p == '/')
			slash = p + 1;
	prog_name = *slash ? slash : prog_path;
}

NORETURN static void refuse(const char *why)
{
	klog("lwk: %s: cannot execute: %s", prog_path, why);
	host_exit(EXIT_NOEXEC);
}

static uint64_t load_program(const struct dsv_bootinfo *bi, uint64_t *entry)
{
	struct program_args args;
	parse_args(bi, &args);
	if (!bi->program_gpa || !bi->program_size)
		refuse("no program");
	struct elf_image img;
	const char *why;
	if (!elf_check(phys_to_virt(bi->program_gpa), bi->program_size, &img, &why))
		refuse(why);
	uint64_t win_va = ALIGN_DOWN(img.lo, HUGE_SIZE);
	uint64_t size = mm_map_user_window(bi, win_va, pages, nr_cpus);
	if (img.hi - win_va > size || size - (img.hi - win_va) < USER_STACK_SIZE + HUGE_SIZE)
		refuse("not enough memory for the program (use --mem)");
	uvm_init(img.hi, USER_STACK_SIZE);
	if (!elf_load(&img))
		refuse("cannot load the segments");
	fastpath_init(bi->flags, &img, PROGRAM_PID, 0);
	args.vdso = vdso_map();
	uint64_t top = uvm_stack_top();
	uint64_t sp = exec_build_stack(top, top - USER_STACK_SIZE, &args, &img);
	if (!sp)
		refuse("arguments too long");
	*entry = img.entry;
	return sp;
}

NORETURN static void bsp_main(void *unused)
{
	(void)unused;
	struct cpu *c = cpus[0];
	cpu_setup(c);
	limits_init();
	lwk_verbose = bootinfo.flags & DSV_BOOT_VERBOSE;
	uint64_t entry, sp = load_program(&bootinfo, &entry);
	if (lwk_verbose)
		klog("lwk: %u vCPU(s), platform %s, user window %lx-%lx at %lx, entry %lx", nr_cpus,
		     plat->name, uwin.va, uwin.va + uwin.size, uwin.pa, entry);
	__atomic_store_n(&boot_done, 1, __ATOMIC_RELEASE);
	thread_start_main(c, entry, sp);
}

NORETURN static void ap_main(void *cpu)
{
	cpu_setup(cpu);
	sched_idle(cpu);
}

static uint64_t kstack_top_of(uint32_t i)
{
	return DIRECT_MAP + pages[i].kstack + KSTACK_SIZE;
}

/* On the BSP's own page tables and kernel stack. */
NORETURN static void bsp_continue(void *unused)
{
	(void)unused;
	mm_enable_direct_map();
	for (uint32_t i = 0; i < nr_cpus; i++) {
		struct cpu *c = phys_to_virt(pages[i].cpu);
		c->self = c;
		c->index = i;
		c->apic_id = i; /* until the vCPU reads its own */
		c->kstack_top = c->idle_stack_top = kstack_top_of(i);
		c->vif = bootinfo.vif_gpa[i] ? phys_to_virt(bootinfo.vif_gpa[i]) : NULL;
		cpus[i] = c;
	}
	percpu_mapped = true;
	idt_init();
	sched_init();
	host_ring_init();
	bsp_main(NULL);
}

NORETURN void boot_bsp(const struct dsv_bootinfo *bi)
{
	if (bi != &bootinfo)
		memcpy(&bootinfo, bi, MIN(sizeof bootinfo, (size_t)bi->size));
	bi = &bootinfo;
	check_bootinfo(bi);
	plat = bi->platform == DSV_PLATFORM_PVM ? &plat_pvm : &plat_hw;
	nr_cpus = bi->nr_vcpus;
	time_init(bi->tsc_khz, bi->realtime_ns);
	mm_init(bi, pages, nr_cpus);
	switch_to(pages[0].pml4, kstack_top_of(0), bsp_continue, NULL);
}

/* hvmm's entry (entry.S): every vCPU arrives here at once. */
void boot_entry(uint64_t index, uint64_t bootinfo_gpa)
{
	if (index == 0) {
		host_kind = HOST_HVMM;
		if (bootinfo_gpa >= (1ull << 30))
			panic("boot info above 1 GiB");
		boot_bsp((const struct dsv_bootinfo *)(KERNEL_VMA + bootinfo_gpa));
	}
	while (!__atomic_load_n(&boot_done, __ATOMIC_ACQUIRE))
		cpu_relax();
	if (index >= nr_cpus)
		for (;;)
			__asm__ volatile("hlt");
	switch_to(pages[index].pml4, kstack_top_of((uint32_t)index), ap_main, cpus[index]);
}
