/* Program threads and their scheduling. A thread is bound to one vCPU for life (chosen
 * at clone: the vCPU with the fewest threads). A vCPU with one thread never switches and
 * takes no timer interrupts: a blocking wait halts in place. With more than one, a thread
 * that waits gives the vCPU to the next runnable one, and runnable threads share it
 * round-robin on a one-shot LAPIC timer (SCHED_SLICE_US). Only the owning vCPU switches
 * its threads; other vCPUs wake them by setting the flag they wait on and sending an IPI. */
#ifndef LWK_SCHED_H
#define LWK_SCHED_H

#include "cpu.h"
#include <dsv/hypercall.h>

/* The thread table is fixed: clone beyond it answers EAGAIN (docs/lwk.md). */
#define LWK_MAX_THREADS 128
#define SCHED_SLICE_US 4000

enum thread_state {
	THREAD_FREE,	/* slot unused */
	THREAD_CLAIMED, /* clone is filling it in */
	THREAD_READY,	/* runnable, not running */
	THREAD_RUNNING,
	THREAD_BLOCKED, /* in wait_for: runnable once *wait_flag or wait_deadline says so */
	THREAD_DEAD,	/* exited; its stack is free once its vCPU has switched away */
};

struct thread {
	uint64_t ksp; /* saved kernel stack pointer while not running */
	uint64_t kstack_top;
	volatile int state;	    /* enum thread_state */
	uint32_t cpu;		    /* index of the vCPU it is bound to */
	struct thread *next_on_cpu; /* that vCPU's list, under its sched_lock */
	int tid;
	uint64_t clear_child_tid; /* user address, CLONE_CHILD_CLEARTID / set_tid_address */
	uint64_t fs_base, gs_base;
	uint64_t sigmask;
	struct regs start_regs; /* user registers a new thread starts with */
	bool fpu_saved;		/* fpu holds its FPU/SSE/AVX state */
	uint8_t *fpu;		/* XSAVE (or FXSAVE) area */

	/* What a blocked thread waits for (wait_for). */
	volatile int *wait_flag; /* runnable once *wait_flag != 0 (NULL: none) */
	uint64_t wait_deadline;	 /* or once the TSC passes this (0: none) */

	/* Its asynchronous offloaded call (host_async.c), in flight until DSV_HC_F_DONE. */
	struct dsv_hc async_hc;

	/* Futex wait state, protected by the futex lock. */
	uint64_t futex_addr;	/* 0 when not waiting */
	uint64_t futex_counted; /* the address its fast-path waiter count is under, 0 if none */
	uint32_t futex_bitset;
	volatile int futex_woken;
};

extern struct thread threads[LWK_MAX_THREADS];

static inline struct thread *current_thread(void)
{
	return this_cpu()->current;
}

void sched_init(void); /* once, on vCPU 0, before any thread runs */
/* A free slot (state THREAD_CLAIMED, stack and FPU area attached), or NULL: table full. */
struct thread *thread_alloc(void);
/* Binds t (filled in) to the vCPU with the fewest threads and makes it runnable. */
void sched_start(struct thread *t);
/* Binds t to c without waking it (the main thread, before c's idle loop starts). */
void sched_start_on(struct thread *t, struct cpu *c);
/* Slots below this index have held threads (what a futex wake has to look at). */
int sched_threads_used(void);
/* The vCPU's idle loop: runs its threads as they become runnable. */
NORETURN void sched_idle(struct cpu *c);
/* The calling thread is about to end: clone stops counting it on its vCPU. */
void sched_exiting(void);
/* The calling thread ends; its slot and stack are reused once the vCPU has left them. */
NORETURN void sched_exit_thread(void);
/* Blocks the calling thread until *flag != 0 or the TSC passes deadline, running the
 * vCPU's other threads meanwhile. Only for vCPUs with more than one thread. */
void sched_wait(volatile int *flag, uint64_t deadline);
/* Gives the vCPU to another runnable thread on it, if any. */
void sched_yield(void);
/* True when another thread on this vCPU could run now. */
bool sched_others_runnable(struct cpu *c);
/* The earliest wait deadline of the other threads on this vCPU (0: none). */
uint64_t sched_others_deadline(struct cpu *c);
/* After a timer or wake interrupt from user mode (frame r on the vCPU's own stack):
 * switches to another runnable thread, or re-arms the timer. */
void sched_interrupt_from_user(struct regs *r);
/* Sets t's wait flag's owner running soon: an IPI to its vCPU (itself included, so that a
 * thread woken on the waker's own vCPU runs at the waker's next return to user mode). */
void sched_kick(const struct thread *t);

#endif
