/* Waiting in the kernel: for a flag another thread sets (then kicks this thread's vCPU,
 * sched_kick), for a TSC deadline, or both. A thread alone on its vCPU halts in place; one
 * that shares it gives the vCPU to the others meanwhile (sched_wait). */
#ifndef LWK_WAIT_H
#define LWK_WAIT_H

#include "kernel.h"

/* Returns true once *flag (may be NULL) is non-zero, false once the TSC passes deadline
 * (0: none). Halts rather than spins when the wait is long enough for a timer interrupt
 * to pay off (docs/platform.md: a LAPIC timer interrupt costs 20-43 us). */
bool wait_for(volatile int *flag, uint64_t deadline);

#endif
