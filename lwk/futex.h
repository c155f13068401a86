/* futex: waiting vCPUs halt; wakers mark them woken and send an IPI. */
#ifndef LWK_FUTEX_H
#define LWK_FUTEX_H

#include "cpu.h"

int64_t futex_wake(uint64_t uaddr, int64_t n, uint32_t bitset);
int64_t sys_futex(struct regs *r);

#endif
