/* Waiting in the kernel: for a flag another thread sets (then kicks this thread's vCPU,
 * sched_kick), for a TSC deadline, or both. A thread alone on its vCPU halts in place; one
 * that shares it gives the vCPU to the others meanwhile (sched_wait). */
#ifndef LWK_WAIT_H
#define LWK_WAIT_H

#include "cpu.h"
#include "kernel.h"

/* Returns true once *flag (may be NULL) is non-zero, false once the TSC passes deadline
 * (0: none). Halts rather than spins when the wait is long enough for a timer interrupt
 * to pay off (docs/platform.md: a LAPIC timer interrupt costs 20-43 us). */
bool wait_for(volatile int *flag, uint64_t deadline);

/*
 * The lost-wakeup net: a halt that waits for a flag alone also sets a WAKE_RECHECK_MS
 * timer, so a wakeup whose interrupt never arrives costs that long instead of the program.
 * In the nested KVM guest 1 of 30 runs of tests/lwk/progs/oversub on 2 vCPUs once ended
 * with both vCPUs halted in futex waits; the likely cause is the emulator's, not ours
 * (QEMU can lose an IPI to a vCPU that switches worlds: docs/testing.md), but a lost
 * interrupt must not hang a program anywhere. When the net finds a flag set with no
 * wake interrupt taken, it says so (once) on the kernel log.
 */
#define WAKE_RECHECK_MS 10
/* Halts the vCPU until an interrupt or the re-check timer; true when flag (may be NULL)
 * was set while no wake interrupt came. Arms the timer only when none is armed. */
bool halt_for_wake(struct cpu *c, volatile int *flag);

#endif
