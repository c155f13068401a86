/* PVH boot under QEMU: opt in to PVM (only when the command line says so), then turn the
 * hvm_start_info into a struct dsv_bootinfo and join the common boot path.
 *
 * Command line: [dsv.platform=pvm] [dsv.tsc_khz=N] [-- argv0 args...]
 * The program is the first PVH module (QEMU's -initrd). The other CPUs are started by
 * pvh_smp.c. */
#include "pvh.h"
#include "boot.h"
#include "host.h"
#include "x86.h"

#define HVM_START_MAGIC 0x336ec578u
#define E820_RAM 1

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

extern char __kernel_end[];

static struct dsv_bootinfo bi;
static char cmdline[DSV_CMDLINE_MAX];
static char args_block[DSV_CMDLINE_MAX + sizeof(struct dsv_args) + 16] __attribute__((aligned(8)));

static uint64_t parse_u64(const char *s)
{
	uint64_t v = 0;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint64_t)(*s++ - '0');
	return v;
}

/* Programs the PIT (1.193182 MHz) and counts TSC ticks over ~20 ms of PIT ticks. */
static uint64_t pit_tsc_khz(void)
{
	outb(0x43, 0x34); /* channel 0, lo/hi byte, rate generator */
	outb(0x40, 0xff);
	outb(0x40, 0xff);
	uint32_t elapsed = 0, target = 23864; /* 20 ms */
	outb(0x43, 0);
	uint16_t last = inb(0x40);
	last |= (uint16_t)(inb(0x40) << 8);
	uint64_t t0 = rdtsc();
	while (elapsed < target) {
		outb(0x43, 0);
		uint16_t now = inb(0x40);
		now |= (uint16_t)(inb(0x40) << 8);
		elapsed += (uint16_t)(last - now);
		last = now;
	}
	return (rdtsc() - t0) * 1193182ull / elapsed / 1000;
}

static uint64_t tsc_khz(void)
{
	const char *o = strstr(cmdline, "dsv.tsc_khz=");
	if (o)
		return parse_u64(o + 12);
	uint32_t r[4];
	cpuid(0x40000000, 0, r);
	if (r[1] == 0x4b4d564b && r[0] >= 0x40000010) { /* "KVMK": KVM timing leaf */
		cpuid(0x40000010, 0, r);
		if (r[0])
			return r[0];
	}
	return pit_tsc_khz();
}

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static unsigned from_bcd(uint8_t v, bool bcd)
{
	return bcd ? (v & 15u) + (v >> 4) * 10u : v;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = y / 400, yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* Wall clock from the CMOS RTC (QEMU's microvm has one); 0 when there is none. */
static uint64_t rtc_realtime_ns(void)
{
	uint8_t a = cmos(0x0a);
	if (a == 0xff)
		return 0;			     /* no RTC (microvm without rtc=on) */
	for (int i = 0; i < 1000 && (a & 0x80); i++) /* update in progress: < 2 ms */
		a = cmos(0x0a);
	uint8_t sec = cmos(0), min = cmos(2), hour = cmos(4), day = cmos(7), mon = cmos(8),
		year = cmos(9), b = cmos(0x0b);
	if (year == 0xff || mon == 0xff)
		return 0;
	bool bcd = !(b & 4), pm = !(b & 2) && (hour & 0x80);
	unsigned h = from_bcd(hour & 0x7f, bcd) % 12 * (!(b & 2)) +
		     from_bcd(hour & 0x7f, bcd) * !!(b & 2);
	if (pm)
		h += 12;
	unsigned m = from_bcd(mon, bcd), d = from_bcd(day, bcd);
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return 0;
	int64_t days = days_from_civil(2000 + from_bcd(year, bcd), m, d);
	int64_t t = days * 86400 + h * 3600 + from_bcd(min, bcd) * 60 + from_bcd(sec, bcd);
	return t > 0 ? (uint64_t)t * 1000000000ull : 0;
}

/* What a PVH boot does not get from hvmm: SSE/AVX state enabled (on every CPU). */
void pvh_enable_fpu_state(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	uint64_t cr4 = read_cr4() | 0x600; /* OSFXSR, OSXMMEXCPT */
	bool xsave = r[2] & (1u << 26), avx = r[2] & (1u << 28);
	if (xsave)
		cr4 |= 1u << 18;
	uint32_t r7[4];
	cpuid(7, 0, r7);
	if (r7[1] & 1)
		cr4 |= 1u << 16; /* FSGSBASE */
	write_cr4(cr4);
	if (xsave) {
		uint64_t xcr0 = avx ? 7 : 3;
		__asm__ volatile("xsetbv" : : "c"(0), "a"((uint32_t)xcr0), "d"(0u));
	}
}

static void add_range(uint64_t base, uint64_t end, uint32_t type)
{
	if (end > base && bi.nr_mem < DSV_MAX_MEM_RANGES)
		bi.mem[bi.nr_mem++] = (struct dsv_mem_range){ base, end - base, type, 0 };
}

/* RAM range [lo, hi) minus the holes (low 1 MiB, kernel, program), in order. */
static void add_ram(uint64_t lo, uint64_t hi, uint64_t kend, uint64_t plo, uint64_t phi)
{
	lo = MAX(lo, kend);
	if (plo < hi && lo < phi) {
		add_range(lo, MIN(hi, plo), DSV_MEM_RAM);
		lo = MAX(lo, phi);
	}
	add_range(lo, hi, DSV_MEM_RAM);
}

/* "... -- a b c" -> struct dsv_args with argv {a, b, c}, no environment. */
static void build_args(void)
{
	struct dsv_args *h = (struct dsv_args *)args_block;
	char *out = (char *)(h + 1), *start = out;
	const char *s = strstr(cmdline, " -- ");
	s = s ? s + 4 : (!strncmp(cmdline, "-- ", 3) ? cmdline + 3 : "");
	const char *argv0 = NULL;
	while (*s) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		if (!argv0)
			argv0 = out;
		while (*s && *s != ' ')
			*out++ = *s++;
		*out++ = 0;
		h->argc++;
	}
	if (!argv0) {
		argv0 = out;
		memcpy(out, "program", 8);
		out += 8;
		h->argc = 1;
	}
	size_t n = strlen(argv0) + 1;
	memmove(out, argv0, n); /* the path, after the (empty) environment */
	out += n;
	h->strings_size = (uint32_t)(out - start);
	bi.args_gpa = virt_to_phys(h);
	bi.args_size = sizeof *h + h->strings_size;
}

void pvh_main(uint32_t start_info)
{
	const struct hvm_start_info *si = phys_to_virt(start_info);
	if (si->cmdline_paddr) {
		const char *c = phys_to_virt(si->cmdline_paddr);
		size_t n = strnlen(c, sizeof cmdline - 1);
		memcpy(cmdline, c, n);
	}
	/* First, so that the rest of the kernel runs natively rather than emulated. */
	if (strstr(cmdline, "dsv.platform=pvm")) {
		wrmsr(DSV_PVM_MSR_VIF, virt_to_phys(pvh_vif_pages[0]) | DSV_PVM_VIF_CR2_CELL);
		bi.platform = DSV_PLATFORM_PVM;
	} else {
		bi.platform = DSV_PLATFORM_HW;
	}
	host_kind = HOST_QEMU;
	qemu_announce();
	if (si->magic != HVM_START_MAGIC)
		panic("bad PVH start info");
	pvh_enable_fpu_state();

	bi.magic = DSV_BOOTINFO_MAGIC;
	bi.abi_version = DSV_ABI_VERSION;
	bi.size = sizeof bi;
	bi.tsc_khz = tsc_khz();
	bi.realtime_ns = rtc_realtime_ns();
	bi.cmdline_gpa = virt_to_phys(cmdline);
	bi.cmdline_len = (uint32_t)strlen(cmdline);

	uint64_t plo = 0, phi = 0;
	if (si->nr_modules) {
		const struct hvm_modlist_entry *m = phys_to_virt(si->modlist_paddr);
		bi.program_gpa = m->paddr;
		bi.program_size = m->size;
		plo = ALIGN_DOWN(m->paddr, PAGE_SIZE);
		phi = ALIGN_UP(m->paddr + m->size, PAGE_SIZE);
	}
	if (si->version < 1 || !si->memmap_entries)
		panic("PVH start info without a memory map");
	const struct hvm_memmap_entry *e = phys_to_virt(si->memmap_paddr);
	uint64_t kend = ALIGN_UP(virt_to_phys(__kernel_end), PAGE_SIZE);
	add_range(0x100000, kend, DSV_MEM_KERNEL);
	for (uint32_t i = 0; i < si->memmap_entries && i < 32; i++) {
		if (e[i].type != E820_RAM)
			continue;
		add_ram(e[i].addr, e[i].addr + e[i].size, kend, plo, phi);
		bi.ram_size = MAX(bi.ram_size, e[i].addr + e[i].size);
	}
	if (phi)
		add_range(plo, phi, DSV_MEM_PROGRAM);
	build_args();
	/* Last: the trampoline overwrites low memory, where start_info may live. */
	bi.nr_vcpus = pvh_start_aps(si->rsdp_paddr, bi.tsc_khz, bi.platform == DSV_PLATFORM_PVM);
	for (uint32_t i = 0; i < bi.nr_vcpus && bi.platform == DSV_PLATFORM_PVM; i++)
		bi.vif_gpa[i] = virt_to_phys(pvh_vif_pages[i]);
	boot_bsp(&bi);
}
