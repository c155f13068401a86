/* Per-vCPU state. Program threads live in struct thread (sched.h) and are bound to one
 * vCPU each; struct cpu says which one runs now. A vCPU reaches its own struct cpu through PERCPU_VA
 * (mapped differently in each vCPU's page tables, so the syscall entry needs no swapgs);
 * everything else uses the global address in cpus[], which every vCPU can see. */
#ifndef LWK_CPU_H
#define LWK_CPU_H

#include "kernel.h"
#include "lock.h"
#include <dsv/abi.h>

/* Register frame built by entry.S on the kernel stack (syscalls and traps alike). */
struct regs {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* hardware frame */
};

#define KERNEL_CS 0x10
#define KERNEL_DS 0x18
#define USER_DS 0x2b
#define USER_CS 0x33
#define TSS_SEL 0x38
#define USER_CS_ALT 0x53 /* second DPL3 64-bit code descriptor, for the PVM iretq rule */

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct thread;

struct cpu {
	/* Read by entry.S at fixed offsets: keep these first. */
	uint64_t kstack_top;	   /* 0: where a syscall enters: the running thread's stack */
	uint64_t user_rsp_scratch; /* 8 */
	struct cpu *self;	   /* 16: the global address of this struct */

	uint32_t index;
	uint32_t apic_id;
	struct dsv_pvm_vif *vif; /* PVM only */
	uint64_t gdt[11] __attribute__((aligned(16)));
	struct tss tss __attribute__((aligned(16)));

	/* The vCPU's own stack: the TSS sends interrupts from user mode here, and the idle
	 * loop runs on it (only ever when no thread is in user mode on this vCPU). */
	uint64_t idle_stack_top;

	/* Scheduling (sched.c): the threads bound here, under sched_lock. */
	spinlock_t sched_lock;
	struct thread *current;	     /* NULL while idle */
	struct thread *threads;	     /* list through thread->next_on_cpu */
	volatile int nr_threads;     /* live threads bound here (placement reads it unlocked) */
	bool timer_armed;	     /* the scheduler's one-shot timer is running */
	uint64_t gs_base;	     /* what MSR_GS_BASE holds for user mode */
	bool ran_thread;	     /* this vCPU has run a thread before */
	uint64_t idle_ksp;	     /* switch target that starts the idle loop afresh */
	volatile uint64_t wake_irqs; /* wake vector interrupts taken (the lost-wakeup net) */
	uint64_t syscalls;	     /* system calls that trapped in here (hvmm -v: their sum) */
};

_Static_assert(sizeof(struct cpu) <= PAGE_SIZE, "struct cpu must fit its page");
/* entry.S reaches these through PCPU_KSTACK, PCPU_USER_RSP and this_cpu(). */
_Static_assert(offsetof(struct cpu, kstack_top) == 0 &&
		       offsetof(struct cpu, user_rsp_scratch) == 8 &&
		       offsetof(struct cpu, self) == 16,
	       "struct cpu offsets used by entry.S");
/* entry.S pushes the frame in this order: 15 registers, vector, error, hardware frame. */
_Static_assert(offsetof(struct regs, vector) == 15 * 8 && offsetof(struct regs, rip) == 17 * 8 &&
		       sizeof(struct regs) == 22 * 8,
	       "struct regs is entry.S's frame");

extern struct cpu *cpus[DSV_MAX_VCPUS];
extern uint32_t nr_cpus;
extern bool percpu_mapped;

static inline struct cpu *this_cpu(void)
{
	return ((struct cpu *volatile *)(PERCPU_VA + 16))[0];
}

static inline uint32_t cpu_index(void)
{
	return percpu_mapped ? this_cpu()->index : 0;
}

void cpu_init_tables(struct cpu *c); /* GDT, TSS, IDT, SYSCALL MSRs: on the vCPU itself */
void idt_init(void);		     /* once, before any vCPU loads it */

/* entry.S */
NORETURN void enter_user(struct regs *r); /* sysretq with r's registers */
NORETURN void switch_stack(uint64_t rsp, void (*fn)(void *), void *arg);
NORETURN void switch_to(uint64_t cr3, uint64_t rsp, void (*fn)(void *), void *arg);
extern char syscall_entry[];
extern uint64_t trap_stubs[256];

#endif
