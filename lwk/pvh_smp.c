/* SMP under PVH (QEMU -smp N): the other CPUs are found in the ACPI MADT and started
 * with INIT-SIPI-SIPI through a real-mode trampoline (pvh.S) that enters long mode on
 * the static PVH page tables. Each AP opts in to PVM itself when the boot CPU did, enables
 * its FPU state, and joins the common boot path as vCPU 1, 2, ... in order of arrival. */
#include "pvh.h"
#include "boot.h"
#include "x86.h"

#define PVH_TRAMPOLINE 0x8000u /* below 1 MiB, outside the memory map the kernel uses */
#define X2APIC_ID 0x802
#define X2APIC_SVR 0x80f
#define X2APIC_ICR 0x830
#define ICR_INIT 0x4500u
#define ICR_STARTUP 0x4600u
#define MAX_TABLE (1u << 20)

extern char pvh_tramp_start[], pvh_tramp_end[], pvh_tramp_gdtr[], pvh_gdtr[];

uint8_t pvh_vif_pages[DSV_MAX_VCPUS][4096] __attribute__((aligned(4096)));
static bool ap_pvm;
static volatile uint32_t aps_arrived;

struct acpi_header {
	char sig[4];
	uint32_t len;
	uint8_t rev, csum;
	char oem[6], oem_table[8];
	uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

/* An ACPI table we can read: below 1 GiB (mapped during PVH boot), sane length. */
static const struct acpi_header *table_at(uint64_t pa)
{
	if (!pa || pa >= (1ull << 30) - MAX_TABLE)
		return NULL;
	const struct acpi_header *h = phys_to_virt(pa);
	return h->len >= sizeof *h && h->len <= MAX_TABLE ? h : NULL;
}

static const struct acpi_header *find_madt(uint64_t rsdp_pa)
{
	if (!rsdp_pa || rsdp_pa >= (1ull << 30))
		return NULL;
	const uint8_t *rsdp = phys_to_virt(rsdp_pa);
	if (memcmp(rsdp, "RSD PTR ", 8))
		return NULL;
	bool xsdt = rsdp[15] >= 2;
	uint64_t root_pa = xsdt ? *(const uint64_t *)(rsdp + 24) : *(const uint32_t *)(rsdp + 16);
	const struct acpi_header *root = table_at(root_pa);
	if (!root)
		return NULL;
	uint32_t width = xsdt ? 8 : 4, n = (root->len - (uint32_t)sizeof *root) / width;
	const uint8_t *entries = (const uint8_t *)(root + 1);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t pa = xsdt ? *(const uint64_t *)(entries + i * 8)
				   : *(const uint32_t *)(entries + i * 4);
		const struct acpi_header *t = table_at(pa);
		if (t && !memcmp(t->sig, "APIC", 4))
			return t;
	}
	return NULL;
}

/* APIC IDs of the enabled CPUs other than self; returns how many. */
static uint32_t other_cpus(uint64_t rsdp_pa, uint32_t self, uint32_t *ids, uint32_t max)
{
	const struct acpi_header *madt = find_madt(rsdp_pa);
	if (!madt || madt->len < sizeof *madt + 8)
		return 0;
	const uint8_t *p = (const uint8_t *)madt + sizeof *madt + 8,
		      *end = (const uint8_t *)madt + madt->len;
	uint32_t n = 0;
	while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
		uint32_t id = UINT32_MAX, flags = 0;
		if (p[0] == 0 && p[1] >= 8) { /* processor local APIC */
			id = p[3];
			flags = *(const uint32_t *)(p + 4);
		} else if (p[0] == 9 && p[1] >= 16) { /* processor local x2APIC */
			id = *(const uint32_t *)(p + 4);
			flags = *(const uint32_t *)(p + 8);
		}
		if (id != UINT32_MAX && (flags & 1) && id != self && n < max)
			ids[n++] = id;
		p += p[1];
	}
	return n;
}

static void delay_us(uint64_t tsc_khz, uint64_t us)
{
	uint64_t end = rdtsc() + tsc_khz * us / 1000;
	while (rdtsc() < end)
		cpu_relax();
}

uint32_t pvh_start_aps(uint64_t rsdp_pa, uint64_t tsc_khz, bool pvm)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	if (!(r[2] & (1u << 21)))
		return 1; /* no x2APIC: stay on one vCPU */
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | (1u << 11) | (1u << 10));
	wrmsr(X2APIC_SVR, 0x1ff);
	uint32_t ids[DSV_MAX_VCPUS];
	uint32_t n = other_cpus(rsdp_pa, (uint32_t)rdmsr(X2APIC_ID), ids, DSV_MAX_VCPUS - 1);
	if (!n)
		return 1;

	ap_pvm = pvm;
	size_t len = (size_t)(pvh_tramp_end - pvh_tramp_start);
	uint8_t *tramp = phys_to_virt(PVH_TRAMPOLINE);
	memcpy(tramp, pvh_tramp_start, len);
	memcpy(tramp + (pvh_tramp_gdtr - pvh_tramp_start), pvh_gdtr, 6);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t dest = (uint64_t)ids[i] << 32;
		wrmsr(X2APIC_ICR, dest | ICR_INIT);
		delay_us(tsc_khz, 10000);
		for (int k = 0; k < 2; k++) {
			wrmsr(X2APIC_ICR, dest | ICR_STARTUP | (PVH_TRAMPOLINE >> 12));
			delay_us(tsc_khz, 200);
		}
	}
	/* Real mode runs emulated on kvm_pvm: allow the APs a generous second. */
	uint64_t end = rdtsc() + tsc_khz * 1000;
	while (aps_arrived < n && rdtsc() < end)
		cpu_relax();
	/* Latecomers get an index >= the vCPU count and halt in boot_entry(). */
	return 1 + __atomic_load_n(&aps_arrived, __ATOMIC_ACQUIRE);
}

void pvh_ap_main(uint32_t index)
{
	if (index >= DSV_MAX_VCPUS)
		for (;;)
			__asm__ volatile("cli; hlt");
	if (ap_pvm)
		wrmsr(DSV_PVM_MSR_VIF, virt_to_phys(pvh_vif_pages[index]) | DSV_PVM_VIF_CR2_CELL);
	pvh_enable_fpu_state();
	__atomic_fetch_add(&aps_arrived, 1, __ATOMIC_RELEASE);
	boot_entry(index, 0);
	for (;;)
		__asm__ volatile("hlt");
}
