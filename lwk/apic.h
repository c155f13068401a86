/* Local APIC in x2APIC mode: just enough to wake a halted vCPU with an IPI. */
#ifndef LWK_APIC_H
#define LWK_APIC_H

#include "cpu.h"

#define WAKE_VECTOR     0xf0
#define SPURIOUS_VECTOR 0xff

bool apic_init(struct cpu *c);   /* false when the vCPU has no x2APIC */
void apic_eoi(void);
void apic_send_wake(const struct cpu *target);

#endif
