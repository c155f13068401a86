/* futex: waiting threads wait_for() a flag; wakers set it and kick the thread's vCPU. */
#ifndef LWK_FUTEX_H
#define LWK_FUTEX_H

#include "cpu.h"

int64_t futex_wake(uint64_t uaddr, int64_t n, uint32_t bitset);
int64_t sys_futex(struct regs *r);

#endif
