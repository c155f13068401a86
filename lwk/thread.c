/* clone, exit, and the per-thread calls (tid, TLS). Scheduling is sched.c's. */
#include "thread.h"
#include "errno.h"
#include "fastpath.h"
#include "futex.h"
#include "host.h"
#include "sched.h"
#include "sys_shm.h"
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

NORETURN void thread_start_main(struct cpu *c, uint64_t entry, uint64_t sp)
{
	struct thread *t = thread_alloc();
	memset(&t->start_regs, 0, sizeof t->start_regs);
	t->start_regs.rip = entry;
	t->start_regs.rsp = sp;
	t->start_regs.rflags = 0x202;
	t->start_regs.cs = USER_CS;
	t->start_regs.ss = USER_DS;
	t->tid = PROGRAM_PID;
	t->fs_base = t->gs_base = 0;
	t->clear_child_tid = 0;
	t->sigmask = 0;
	sched_start_on(t, c);
	sched_idle(c);
}

/* hvmm -v: what the program cost the kernel */
static void report_at_exit(void)
{
	syscall_report();
	fastpath_report();
}

NORETURN void kill_program(int sig)
{
	report_at_exit();
	klog("%s", signal_message(sig));
	host_exit(128 + sig);
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

	struct thread *parent = current_thread(), *t = thread_alloc();
	if (!t)
		return -EAGAIN; /* the thread table is full (LWK_MAX_THREADS) */
	int tid = __atomic_fetch_add(&next_tid, 1, __ATOMIC_RELAXED);
	t->tid = tid;
	t->start_regs = *r;
	t->start_regs.rax = 0;
	t->start_regs.rsp = stack;
	t->start_regs.cs = USER_CS;
	t->start_regs.ss = USER_DS;
	t->fs_base = (flags & CLONE_SETTLS) ? tls : parent->fs_base;
	t->gs_base = parent->gs_base;
	t->clear_child_tid = (flags & CLONE_CHILD_CLEARTID) ? ctid : 0;
	t->sigmask = parent->sigmask;
	if (flags & CLONE_PARENT_SETTID)
		put_user_u32(ptid, (uint32_t)tid);
	if (flags & CLONE_CHILD_SETTID)
		put_user_u32(ctid, (uint32_t)tid);
	__atomic_fetch_add(&live_threads, 1, __ATOMIC_RELAXED);
	sched_start(t);
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
	struct thread *t = current_thread();
	uint64_t ctid = t->clear_child_tid;
	t->clear_child_tid = 0;
	if (__atomic_sub_fetch(&live_threads, 1, __ATOMIC_ACQ_REL) == 0) {
		sysv_shm_exit();
		report_at_exit();
		host_exit((int)r->rdi);
	}
	/* Uncounted before the joiner wakes: a thread it creates right after pthread_join
	 * goes to this vCPU as it would have to an idle one. */
	sched_exiting();
	if (ctid && put_user_u32(ctid, 0))
		futex_wake(ctid, 1, ~0u);
	sched_exit_thread();
}

int64_t sys_exit_group(struct regs *r)
{
	sysv_shm_exit();
	report_at_exit();
	host_exit((int)r->rdi);
}

int64_t sys_set_tid_address(struct regs *r)
{
	struct thread *t = current_thread();
	t->clear_child_tid = r->rdi;
	return t->tid;
}

int64_t sys_gettid(struct regs *r)
{
	(void)r;
	return current_thread()->tid;
}

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

int64_t sys_arch_prctl(struct regs *r)
{
	struct thread *t = current_thread();
	uint64_t addr = r->rsi;
	switch (r->rdi) {
	case ARCH_SET_FS:
	case ARCH_SET_GS:
		if (addr >= (1ull << 47))
			return -EPERM;
		if (r->rdi == ARCH_SET_FS)
			t->fs_base = addr;
		else
			t->gs_base = this_cpu()->gs_base = addr;
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
