/* Local APIC in x2APIC mode: wake IPIs between vCPUs and a one-shot timer. */
#ifndef LWK_APIC_H
#define LWK_APIC_H

#include "cpu.h"

#define WAKE_VECTOR 0xf0
#define TIMER_VECTOR 0xef
#define SPURIOUS_VECTOR 0xff

bool apic_init(struct cpu *c); /* false when the vCPU has no x2APIC */
void apic_eoi(void);
void apic_send_wake(const struct cpu *target);
/* Interrupts this vCPU after about tsc_delta TSC ticks; false if it has no usable timer. */
bool apic_timer_arm(uint64_t tsc_delta);
void apic_timer_cancel(void);

#endif
