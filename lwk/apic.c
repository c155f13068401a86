/* x2APIC through MSRs (each access traps on PVM: used at boot, to wake a vCPU, and to end
 * a long timed wait with a one-shot timer interrupt). */
#include "apic.h"
#include "time.h"
#include "x86.h"

#define X2APIC_ID 0x802
#define X2APIC_TPR 0x808
#define X2APIC_EOI 0x80b
#define X2APIC_SVR 0x80f
#define X2APIC_ICR 0x830
#define X2APIC_LVT_TIMER 0x832
#define X2APIC_TIMER_INIT 0x838
#define X2APIC_TIMER_CUR 0x839
#define X2APIC_TIMER_DIV 0x83e
#define LVT_MASKED (1u << 16)
#define TIMER_MAX 0xffffffffu

static uint64_t timer_ticks_per_ms; /* 0: no usable timer */

/* Counts the timer against the TSC for 1 ms (once, on vCPU 0). */
static void timer_calibrate(void)
{
	wrmsr(X2APIC_LVT_TIMER, LVT_MASKED | TIMER_VECTOR);
	wrmsr(X2APIC_TIMER_INIT, TIMER_MAX);
	uint64_t t0 = rdtsc();
	while (rdtsc() - t0 < tsc_khz)
		cpu_relax();
	uint64_t cur = rdmsr(X2APIC_TIMER_CUR);
	wrmsr(X2APIC_TIMER_INIT, 0);
	timer_ticks_per_ms = cur < TIMER_MAX ? TIMER_MAX - cur : 0;
}

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
	wrmsr(X2APIC_TIMER_DIV, 0xb); /* divide by 1 */
	if (c->index == 0)
		timer_calibrate();
	wrmsr(X2APIC_LVT_TIMER, TIMER_VECTOR); /* one-shot */
	return true;
}

bool apic_timer_arm(uint64_t tsc_delta)
{
	if (!timer_ticks_per_ms)
		return false;
	tsc_delta = MIN(tsc_delta, 1ull << 40);
	uint64_t ticks = tsc_delta * timer_ticks_per_ms / tsc_khz;
	wrmsr(X2APIC_TIMER_INIT, MAX(MIN(ticks, (uint64_t)TIMER_MAX), 1u));
	return true;
}

void apic_timer_cancel(void)
{
	wrmsr(X2APIC_TIMER_INIT, 0);
}

void apic_eoi(void)
{
	wrmsr(X2APIC_EOI, 0);
}

void apic_send_wake(const struct cpu *target)
{
	wrmsr(X2APIC_ICR, ((uint64_t)target->apic_id << 32) | WAKE_VECTOR);
}
