/* clone, exit and the life of a thread on its vCPU. */
#include "thread.h"
#include "apic.h"
#include "errno.h"
#include "futex.h"
#include "host.h"
#include "plat.h"
#include "syscall.h"
#include "trap.h"
#include "uaccess.h"
#include "x86.h"

#define CLONE_VM 0x00000100u
#define CLONE_FS 0x00000200u
#define CLONE_FILES 0x00000400u
#define CLONE_SIGHAND 0x00000800u
#define CLONE_THREAD 0x00010000u
#define CLONE_SYSVSEM 0x00040000u
#define CLONE_SETTLS 0x00080000u
#define CLONE_PARENT_SETTID 0x00100000u
#define CLONE_CHILD_CLEARTID 0x00200000u
#define CLONE_DETACHED 0x00400000u
#define CLONE_CHILD_SETTID 0x01000000u
#define CLONE_THREAD_FLAGS (CLONE_VM | CLONE_THREAD | CLONE_SIGHAND)
#define CLONE_ALLOWED                                                                 \
	(CLONE_THREAD_FLAGS | CLONE_FS | CLONE_FILES | CLONE_SYSVSEM | CLONE_SETTLS | \
	 CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_CHILD_SETTID)

static int live_threads = 1;
static int next_tid = PROGRAM_PID + 1;

static void fpu_reset(void)
{
	static const uint32_t mxcsr = 0x1f80;
	__asm__ volatile("fninit; ldmxcsr %0" : : "m"(mxcsr));
}

/* Where a thread's first user registers go: the top of its vCPU's kernel stack. */
static struct regs *user_frame(struct cpu *c)
{
	return (struct regs *)(c->kstack_top - sizeof(struct regs) - 16);
}

NORETURN static void enter_thread(void *arg)
{
	struct cpu *c = arg;
	struct regs *r = user_frame(c);
	*r = c->start_regs;
	enter_user(r);
}

NORETURN static void run_thread(struct cpu *c)
{
	c->state = CPU_RUNNING;
	wrmsr(MSR_FS_BASE, c->fs_base);
	/* A vCPU starts with the reset FPU state; later threads must not inherit the last
	 * one's. (Skipping it the first time also keeps ldmxcsr, which KVM's instruction
	 * emulator lacks, off the path of a non-PVM boot under QEMU.) */
	if (c->ran_thread)
		fpu_reset();
	c->ran_thread = true;
	/* Onto a stack that ends below the frame: built on the stack in use (as a thread that
	 * exited and the vCPU's next one would have it), the frame held run_thread's own
	 * return address and the new thread started at a kernel address. */
	switch_stack((uint64_t)user_frame(c), enter_thread, c);
}

NORETURN void thread_start_main(struct cpu *c, uint64_t entry, uint64_t sp)
{
	memset(&c->start_regs, 0, sizeof c->start_regs);
	c->start_regs.rip = entry;
	c->start_regs.rsp = sp;
	c->start_regs.rflags = 0x202;
	c->start_regs.cs = USER_CS;
	c->start_regs.ss = USER_DS;
	c->tid = PROGRAM_PID;
	c->fs_base = 0;
	run_thread(c);
}

NORETURN void idle_loop(void *cpu)
{
	struct cpu *c = cpu;
	for (;;) {
		while (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) != CPU_STARTING)
			plat->halt(c);
		run_thread(c);
	}
}

NORETURN void kill_program(int sig)
{
	klog("%s", signal_message(sig));
	host_exit(128 + sig);
}

static struct cpu *claim_idle_cpu(void)
{
	for (uint32_t i = 0; i < nr_cpus; i++) {
		int idle = CPU_IDLE;
		if (__atomic_compare_exchange_n(&cpus[i]->state, &idle, CPU_CLAIMED, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return cpus[i];
	}
	return NULL;
}

static int64_t do_clone(struct regs *r, uint64_t flags, uint64_t stack, uint64_t ptid,
			uint64_t ctid, uint64_t tls)
{
	if ((flags & CLONE_THREAD_FLAGS) != CLONE_THREAD_FLAGS)
		return sys_enosys(r); /* fork, vfork, posix_spawn: one process only */
	if (flags & ~(uint64_t)CLONE_ALLOWED & ~0xffull)
		return -EINVAL;
	if (!user_ok(stack - 8, 8))
		return -EINVAL;
	if (((flags & CLONE_PARENT_SETTID) && !user_ok(ptid, 4)) ||
	    ((flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) && !user_ok(ctid, 4)))
		return -EFAULT;
	if ((flags & CLONE_SETTLS) && tls >= (1ull << 47))
		return -EPERM;

	struct cpu *parent = this_cpu(), *c = claim_idle_cpu();
	if (!c)
		return -EAGAIN; /* no oversubscription: one thread per vCPU */
	int tid = __atomic_fetch_add(&next_tid, 1, __ATOMIC_RELAXED);
	c->tid = tid;
	c->start_regs = *r;
	c->start_regs.rax = 0;
	c->start_regs.rsp = stack;
	c->start_regs.cs = USER_CS;
	c->start_regs.ss = USER_DS;
	c->fs_base = (flags & CLONE_SETTLS) ? tls : parent->fs_base;
	c->clear_child_tid = (flags & CLONE_CHILD_CLEARTID) ? ctid : 0;
	c->sigmask = parent->sigmask;
	if (flags & CLONE_PARENT_SETTID)
		put_user_u32(ptid, (uint32_t)tid);
	if (flags & CLONE_CHILD_SETTID)
		put_user_u32(ctid, (uint32_t)tid);
	__atomic_fetch_add(&live_threads, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&c->state, CPU_STARTING, __ATOMIC_RELEASE);
	apic_send_wake(c);
	return tid;
}

int64_t sys_clone(struct regs *r)
{
	/* x86-64 order: flags, stack, parent_tid, child_tid, tls */
	return do_clone(r, r->rdi, r->rsi, r->rdx, r->r10, r->r8);
}

struct clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

int64_t sys_clone3(struct regs *r)
{
	uint64_t size = r->rsi;
	if (size < sizeof(struct clone_args) || !user_ok(r->rdi, size))
		return size < sizeof(struct clone_args) ? -EINVAL : -EFAULT;
	struct clone_args a;
	memcpy(&a, (const void *)r->rdi, sizeof a);
	if (a.exit_signal || !a.stack || a.stack + a.stack_size < a.stack)
		return -EINVAL;
	return do_clone(r, a.flags, a.stack + a.stack_size, a.parent_tid, a.child_tid, a.tls);
}

int64_t sys_exit(struct regs *r)
{
	struct cpu *c = this_cpu();
	uint64_t ctid = c->clear_child_tid;
	c->clear_child_tid = 0;
	if (__atomic_sub_fetch(&live_threads, 1, __ATOMIC_ACQ_REL) == 0)
		host_exit((int)r->rdi);
	/* Idle before the joiner wakes: a thread it creates right after pthread_join may
	 * take this vCPU. (A clone that claims it now starts it only from idle_loop below.) */
	__atomic_store_n(&c->state, CPU_IDLE, __ATOMIC_RELEASE);
	if (ctid && put_user_u32(ctid, 0))
		futex_wake(ctid, 1, ~0u);
	switch_stack(c->kstack_top, idle_loop, c);
}

int64_t sys_exit_group(struct regs *r)
{
	host_exit((int)r->rdi);
}

int64_t sys_set_tid_address(struct regs *r)
{
	struct cpu *c = this_cpu();
	c->clear_child_tid = r->rdi;
	return c->tid;
}

int64_t sys_gettid(struct regs *r)
{
	(void)r;
	return this_cpu()->tid;
}

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

int64_t sys_arch_prctl(struct regs *r)
{
	struct cpu *c = this_cpu();
	uint64_t addr = r->rsi;
	switch (r->rdi) {
	case ARCH_SET_FS:
	case ARCH_SET_GS:
		if (addr >= (1ull << 47))
			return -EPERM;
		if (r->rdi == ARCH_SET_FS)
			c->fs_base = addr;
		wrmsr(r->rdi == ARCH_SET_FS ? MSR_FS_BASE : MSR_GS_BASE, addr);
		return 0;
	case ARCH_GET_FS:
	case ARCH_GET_GS:
		if (!user_ok(addr, 8))
			return -EFAULT;
		*(uint64_t *)addr = rdmsr(r->rdi == ARCH_GET_FS ? MSR_FS_BASE : MSR_GS_BASE);
		return 0;
	default:
		return -EINVAL;
	}
}
