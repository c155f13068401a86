/* Program threads: clone, exit and their per-thread state (sched.h). */
#ifndef LWK_THREAD_H
#define LWK_THREAD_H

#include "cpu.h"
#include "exec.h"
#include "sched.h"

#define PROGRAM_PID 1

/* Runs the main thread on the calling vCPU. */
NORETURN void thread_start_main(struct cpu *c, uint64_t entry, uint64_t sp);
/* Ends the whole program as if killed by sig (exit status 128 + sig). */
NORETURN void kill_program(int sig);

int64_t sys_clone(struct regs *r);
int64_t sys_clone3(struct regs *r);
int64_t sys_exit(struct regs *r);
int64_t sys_exit_group(struct regs *r);
int64_t sys_set_tid_address(struct regs *r);
int64_t sys_gettid(struct regs *r);
int64_t sys_arch_prctl(struct regs *r);

#endif
