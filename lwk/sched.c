/* The thread table, per-vCPU thread lists and switching (sched.h). Switches happen only
 * on the owning vCPU, at a wait, a yield, an exit, or an interrupt that arrived in user
 * mode; so a list changes under its lock only for clone (insert) and exit (remove). */
#include "sched.h"
#include "apic.h"
#include "fastpath.h"
#include "plat.h"
#include "time.h"
#include "wait.h"
#include "x86.h"

#define FPU_AREA 4096	/* XSAVE of x87, SSE, AVX and AVX-512 (hvmm's XCR0) fits */
#define HALT_MIN_US 300 /* idle: shorter waits for a deadline spin on the TSC */

struct thread threads[LWK_MAX_THREADS];
static uint8_t kstacks[LWK_MAX_THREADS][KSTACK_SIZE] __attribute__((aligned(16)));
static uint8_t fpu_areas[LWK_MAX_THREADS][FPU_AREA] __attribute__((aligned(64)));
static bool use_xsave;
static uint64_t slice_tsc;
static int threads_used; /* slots below this have been used: what futex wake scans */

/* entry.S */
struct thread *context_switch(uint64_t *save_ksp, uint64_t ksp, struct thread *prev);
NORETURN void iret_to_user(struct regs *r);
extern char thread_trampoline[], idle_trampoline[];

void sched_init(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	use_xsave = r[2] & (1u << 27); /* OSXSAVE: XSAVE is enabled */
	if (use_xsave) {
		cpuid(0xd, 0, r);
		if (r[1] > FPU_AREA)
			panic("XSAVE area of %u bytes exceeds %u", r[1], (unsigned)FPU_AREA);
	}
	slice_tsc = SCHED_SLICE_US * tsc_khz / 1000;
	for (int i = 0; i < LWK_MAX_THREADS; i++) {
		threads[i].kstack_top = (uint64_t)kstacks[i] + KSTACK_SIZE;
		threads[i].fpu = fpu_areas[i];
	}
}

int sched_threads_used(void)
{
	return __atomic_load_n(&threads_used, __ATOMIC_ACQUIRE);
}

struct thread *thread_alloc(void)
{
	for (int i = 0; i < LWK_MAX_THREADS; i++) {
		struct thread *t = &threads[i];
		int free = THREAD_FREE;
		if (!__atomic_compare_exchange_n(&t->state, &free, THREAD_CLAIMED, false,
						 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			continue;
		t->fpu_saved = false;
		t->wait_flag = NULL;
		t->wait_deadline = 0;
		t->futex_addr = t->futex_counted = 0;
		t->futex_woken = 0;
		t->next_on_cpu = NULL;
		int used = __atomic_load_n(&threads_used, __ATOMIC_RELAXED);
		while (used <= i &&
		       !__atomic_compare_exchange_n(&threads_used, &used, i + 1, false,
						    __ATOMIC_RELEASE, __ATOMIC_RELAXED))
			;
		return t;
	}
	return NULL;
}

static void fpu_reset(void)
{
	static const uint32_t mxcsr = 0x1f80;
	__asm__ volatile("fninit; ldmxcsr %0" : : "m"(mxcsr));
}

static void fpu_save(struct thread *t)
{
	if (use_xsave)
		__asm__ volatile("xsave64 (%0)" : : "r"(t->fpu), "a"(~0u), "d"(~0u) : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" : : "r"(t->fpu) : "memory");
	t->fpu_saved = true;
}

/* The FPU state, FS and GS bases the thread had when it last left the vCPU. */
static void load_user_state(struct cpu *c, struct thread *t)
{
	if (t->fpu_saved) {
		if (use_xsave)
			__asm__ volatile("xrstor64 (%0)"
					 :
					 : "r"(t->fpu), "a"(~0u), "d"(~0u)
					 : "memory");
		else
			__asm__ volatile("fxrstor64 (%0)" : : "r"(t->fpu) : "memory");
	} else if (c->ran_thread) {
		/* A vCPU starts with the reset FPU state; later threads must not inherit the
		 * last one's. (Skipping it the first time also keeps ldmxcsr, which KVM's
		 * instruction emulator lacks, off the path of a non-PVM boot under QEMU.) */
		fpu_reset();
	}
	c->ran_thread = true;
	wrmsr(MSR_FS_BASE, t->fs_base);
	if (t->gs_base != c->gs_base) { /* rarely set: skip the (trapping on PVM) write */
		wrmsr(MSR_GS_BASE, t->gs_base);
		c->gs_base = t->gs_base;
	}
}

/* Where a thread's user registers wait while it is not in user mode: the top of its
 * kernel stack. */
static struct regs *user_frame(struct thread *t)
{
	return (struct regs *)(t->kstack_top - sizeof(struct regs) - 16);
}

/* A saved context that context_switch "returns" into: six callee-saved registers (zero)
 * and the return address; after the ret, rsp is top (16-byte aligned). */
static uint64_t new_context(uint64_t top, const char *entry)
{
	uint64_t *sp = (uint64_t *)top - 7;
	for (int i = 0; i < 6; i++)
		sp[i] = 0;
	sp[6] = (uint64_t)entry;
	return (uint64_t)sp;
}

static bool runnable(const struct thread *t)
{
	int s = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
	if (s == THREAD_READY)
		return true;
	if (s != THREAD_BLOCKED)
		return false;
	if (t->wait_flag && __atomic_load_n(t->wait_flag, __ATOMIC_ACQUIRE))
		return true;
	return t->wait_deadline && rdtsc() >= t->wait_deadline;
}

/* The next runnable thread on c after prev in list order, prev itself last; NULL: none. */
static struct thread *pick_next(struct cpu *c, struct thread *prev)
{
	struct thread *found = NULL;
	spin_lock(&c->sched_lock);
	struct thread *start = prev && prev->next_on_cpu ? prev->next_on_cpu : c->threads;
	for (struct thread *t = start; t && !found; t = t->next_on_cpu)
		if (t != prev && runnable(t))
			found = t;
	for (struct thread *t = c->threads; t && t != start && !found; t = t->next_on_cpu)
		if (t != prev && runnable(t))
			found = t;
	if (!found && prev && runnable(prev))
		found = prev;
	spin_unlock(&c->sched_lock);
	return found;
}

bool sched_others_runnable(struct cpu *c)
{
	bool any = false;
	spin_lock(&c->sched_lock);
	for (struct thread *t = c->threads; t && !any; t = t->next_on_cpu)
		any = t != c->current && runnable(t);
	spin_unlock(&c->sched_lock);
	return any;
}

uint64_t sched_others_deadline(struct cpu *c)
{
	uint64_t d = 0;
	spin_lock(&c->sched_lock);
	for (struct thread *t = c->threads; t; t = t->next_on_cpu)
		if (t != c->current && t->state == THREAD_BLOCKED && t->wait_deadline &&
		    (!d || t->wait_deadline < d))
			d = t->wait_deadline;
	spin_unlock(&c->sched_lock);
	return d;
}

static void timer_set(struct cpu *c, uint64_t deadline)
{
	if (deadline) {
		uint64_t now = rdtsc();
		c->timer_armed = apic_timer_arm(deadline > now ? deadline - now : 1);
	} else if (c->timer_armed) {
		apic_timer_cancel();
		c->timer_armed = false;
	}
}

/* The timer the running thread needs: the end of its slice when another thread could
 * run, or the earliest deadline another thread waits for; none when it is alone. */
static void sched_rearm(struct cpu *c)
{
	uint64_t when = 0;
	if (c->nr_threads > 1 || c->timer_armed) {
		if (sched_others_runnable(c))
			when = rdtsc() + slice_tsc;
		uint64_t d = sched_others_deadline(c);
		if (d && (!when || d < when))
			when = d;
	}
	timer_set(c, when);
}

/* Work left after a switch, on the new stack: the slot of a thread that exited is free
 * only now that its stack is no longer in use. */
static void finish_switch(struct cpu *c, struct thread *from)
{
	if (from && from->state == THREAD_DEAD) {
		spin_lock(&c->sched_lock);
		struct thread **pp = &c->threads;
		while (*pp != from)
			pp = &(*pp)->next_on_cpu;
		*pp = from->next_on_cpu;
		spin_unlock(&c->sched_lock);
		from->next_on_cpu = NULL;
		__atomic_store_n(&from->state, THREAD_FREE, __ATOMIC_RELEASE);
	}
	if (c->current)
		sched_rearm(c);
}

/* Runs next (NULL: the idle loop) on this vCPU instead of prev (NULL: from idle, whose
 * context is dropped). Returns, in prev's context, the thread that switched back to it. */
static struct thread *switch_threads(struct cpu *c, struct thread *prev, struct thread *next)
{
	if (prev && prev->state != THREAD_DEAD)
		fpu_save(prev);
	c->current = next;
	uint64_t ksp;
	if (next) {
		next->state = THREAD_RUNNING;
		c->kstack_top = next->kstack_top;
		load_user_state(c, next);
		ksp = next->ksp;
	} else {
		c->kstack_top = c->idle_stack_top;
		ksp = new_context(c->idle_stack_top - 16, idle_trampoline);
	}
	return context_switch(prev ? &prev->ksp : NULL, ksp, prev);
}

/* The caller has set the current thread's state (READY, BLOCKED or DEAD). */
static void schedule(struct cpu *c)
{
	struct thread *prev = c->current, *next = pick_next(c, prev);
	if (next == prev) {
		prev->state = THREAD_RUNNING;
		return;
	}
	finish_switch(c, switch_threads(c, prev, next));
}

/* First run of a new thread (entered from thread_trampoline). */
NORETURN void thread_first_run(struct thread *from)
{
	struct cpu *c = this_cpu();
	finish_switch(c, from);
	enter_user(user_frame(c->current));
}

NORETURN void idle_first_run(struct thread *from)
{
	struct cpu *c = this_cpu();
	finish_switch(c, from);
	sched_idle(c);
}

NORETURN void sched_idle(struct cpu *c)
{
	for (;;) {
		struct thread *t = pick_next(c, NULL);
		if (t) {
			switch_threads(c, NULL, t);
			__builtin_unreachable();
		}
		uint64_t d = sched_others_deadline(c), now = rdtsc();
		if (d && d <= now)
			continue;
		if (d && (d - now < HALT_MIN_US * tsc_khz / 1000 || !apic_timer_arm(d - now))) {
			cpu_relax();
			continue;
		}
		if (d) {
			c->timer_armed = true;
			plat->halt(c);
		} else {
			halt_for_wake(c,
				      NULL); /* the threads' flags are checked on the next loop */
		}
	}
}

static void bind(struct thread *t, struct cpu *c)
{
	t->cpu = c->index;
	struct regs *f = user_frame(t);
	*f = t->start_regs;
	t->ksp = new_context((uint64_t)f, thread_trampoline);
	if (__atomic_add_fetch(&c->nr_threads, 1, __ATOMIC_RELAXED) == 2)
		fastpath_vcpu_shared(1);
	spin_lock(&c->sched_lock);
	t->next_on_cpu = c->threads;
	c->threads = t;
	__atomic_store_n(&t->state, THREAD_READY, __ATOMIC_RELEASE);
	spin_unlock(&c->sched_lock);
}

void sched_start_on(struct thread *t, struct cpu *c)
{
	bind(t, c);
}

void sched_start(struct thread *t)
{
	struct cpu *best = cpus[0];
	for (uint32_t i = 1; i < nr_cpus; i++)
		if (cpus[i]->nr_threads < best->nr_threads)
			best = cpus[i];
	bind(t, best);
	sched_kick(t);
}

void sched_kick(const struct thread *t)
{
	struct cpu *c = cpus[t->cpu];
	if (t != c->current || c != this_cpu())
		apic_send_wake(c);
}

void sched_exiting(void)
{
	if (__atomic_sub_fetch(&this_cpu()->nr_threads, 1, __ATOMIC_RELAXED) == 1)
		fastpath_vcpu_shared(-1);
}

NORETURN void sched_exit_thread(void)
{
	struct cpu *c = this_cpu();
	c->current->state = THREAD_DEAD;
	schedule(c);
	__builtin_unreachable();
}

void sched_wait(volatile int *flag, uint64_t deadline)
{
	struct cpu *c = this_cpu();
	struct thread *t = c->current;
	t->wait_flag = flag;
	t->wait_deadline = deadline;
	t->state = THREAD_BLOCKED;
	schedule(c);
	t->wait_flag = NULL;
	t->wait_deadline = 0;
}

void sched_yield(void)
{
	struct cpu *c = this_cpu();
	if (c->nr_threads < 2 || !sched_others_runnable(c))
		return;
	c->current->state = THREAD_READY;
	schedule(c);
}

NORETURN static void preempted(void *frame)
{
	struct cpu *c = this_cpu();
	c->current->state = THREAD_READY;
	schedule(c);
	iret_to_user(frame);
}

void sched_interrupt_from_user(struct regs *r)
{
	struct cpu *c = this_cpu();
	if (r->vector == TIMER_VECTOR)
		c->timer_armed = false; /* one-shot: it has fired */
	if (c->nr_threads < 2 && !c->timer_armed)
		return; /* one thread: the fast path */
	struct thread *t = c->current;
	if (!t || !sched_others_runnable(c)) {
		if (t)
			sched_rearm(c);
		return;
	}
	/* The frame is on the vCPU's own stack, which the next thread's interrupts reuse:
	 * move it to this thread's stack and switch from there. */
	struct regs *f = user_frame(t);
	*f = *r;
	f->cs = plat->user_iret_cs;
	switch_stack((uint64_t)f, preempted, f);
}
