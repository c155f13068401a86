#include "wait.h"
#include "apic.h"
#include "plat.h"
#include "sched.h"
#include "time.h"
#include "x86.h"

#define HALT_MIN_US 300 /* shorter timed waits spin on the TSC */

bool halt_for_wake(struct cpu *c, volatile int *flag)
{
	static bool said;
	uint64_t irqs = c->wake_irqs;
	bool armed = !c->timer_armed && apic_timer_arm(WAKE_RECHECK_MS * tsc_khz);
	if (armed)
		c->timer_armed = true;
	plat->halt(c);
	if (armed && c->timer_armed) {
		apic_timer_cancel();
		c->timer_armed = false;
	}
	bool lost = flag && __atomic_load_n(flag, __ATOMIC_ACQUIRE) && c->wake_irqs == irqs;
	if (lost && !__atomic_exchange_n(&said, true, __ATOMIC_RELAXED))
		klog("a wakeup did not arrive within %u ms: the re-check found it",
		     (unsigned)WAKE_RECHECK_MS);
	return lost;
}

bool wait_for(volatile int *flag, uint64_t deadline)
{
	struct cpu *c = this_cpu();
	bool armed = false;
	for (;;) {
		if (flag && __atomic_load_n(flag, __ATOMIC_ACQUIRE))
			break;
		uint64_t now = rdtsc();
		if (deadline && now >= deadline)
			break;
		if (c->nr_threads > 1) {
			/* Another thread shares this vCPU (or clone just put one here while this
			 * one halted): let it run meanwhile. */
			if (armed) {
				apic_timer_cancel();
				armed = c->timer_armed = false;
			}
			sched_wait(flag, deadline);
		} else if (!deadline) {
			halt_for_wake(c, flag);
		} else if (deadline - now > HALT_MIN_US * tsc_khz / 1000 &&
			   apic_timer_arm(deadline - now)) {
			armed = c->timer_armed = true;
			plat->halt(c);
		} else {
			cpu_relax();
		}
	}
	if (armed && c->timer_armed) {
		apic_timer_cancel();
		c->timer_armed = false;
	}
	return flag && *flag;
}
