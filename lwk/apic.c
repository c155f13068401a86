/* x2APIC through MSRs (each access traps on PVM; only used at boot and to wake a vCPU). */
#include "apic.h"
#include "x86.h"

#define X2APIC_ID   0x802
#define X2APIC_TPR  0x808
#define X2APIC_EOI  0x80b
#define X2APIC_SVR  0x80f
#define X2APIC_ICR  0x830

bool apic_init(struct cpu *c)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	if (!(r[2] & (1u << 21)))
		return false;
	uint64_t base = rdmsr(MSR_APIC_BASE);
	wrmsr(MSR_APIC_BASE, base | (1u << 11) | (1u << 10)); /* enable, x2APIC mode */
	c->apic_id = (uint32_t)rdmsr(X2APIC_ID);
	wrmsr(X2APIC_TPR, 0);
	wrmsr(X2APIC_SVR, 0x100 | SPURIOUS_VECTOR);
	return true;
}

void apic_eoi(void)
{
	wrmsr(X2APIC_EOI, 0);
}

void apic_send_wake(const struct cpu *target)
{
	wrmsr(X2APIC_ICR, ((uint64_t)target->apic_id << 32) | WAKE_VECTOR);
}
