/* Futexes keyed by user address (there is one address space, so private and shared
 * futexes are the same). thread->futex_addr says what a thread waits on; waiting is
 * wait_for(): halt, or give the vCPU to another thread (sched.c). */
#include "futex.h"
#include "errno.h"
#include "fastpath.h"
#include "lock.h"
#include "sched.h"
#include "syscall.h"
#include "time.h"
#include "uaccess.h"
#include "wait.h"
#include "x86.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256

static spinlock_t futex_lock;

static void wake_thread(struct thread *t)
{
	t->futex_addr = 0;
	__atomic_store_n(&t->futex_woken, 1, __ATOMIC_RELEASE);
	sched_kick(t);
}

int64_t futex_wake(uint64_t uaddr, int64_t n, uint32_t bitset)
{
	int64_t woken = 0;
	spin_lock(&futex_lock);
	for (int i = 0, used = sched_threads_used(); i < used && woken < n; i++) {
		struct thread *t = &threads[i];
		if (t->futex_addr == uaddr && (t->futex_bitset & bitset)) {
			wake_thread(t);
			woken++;
		}
	}
	spin_unlock(&futex_lock);
	return woken;
}

static int64_t futex_requeue(uint64_t uaddr, int64_t nwake, int64_t nmove, uint64_t uaddr2,
			     bool cmp, uint32_t val3)
{
	if (!user_ok(uaddr2, 4) || (uaddr2 & 3))
		return -EFAULT;
	int64_t done = 0;
	spin_lock(&futex_lock);
	if (cmp && *(volatile uint32_t *)uaddr != val3) {
		spin_unlock(&futex_lock);
		return -EAGAIN;
	}
	for (int i = 0, used = sched_threads_used(); i < used; i++) {
		struct thread *t = &threads[i];
		if (t->futex_addr != uaddr)
			continue;
		if (nwake > 0) {
			wake_thread(t);
			nwake--;
			done++;
		} else if (nmove > 0) {
			fastpath_futex_waiter(uaddr2, 1);
			fastpath_futex_waiter(t->futex_counted, -1);
			t->futex_counted = uaddr2;
			t->futex_addr = uaddr2;
			nmove--;
			done++;
		}
	}
	spin_unlock(&futex_lock);
	return done;
}

/* deadline: TSC value, 0 for none */
static int64_t futex_wait(uint64_t uaddr, uint32_t val, uint32_t bitset, uint64_t deadline)
{
	struct thread *t = current_thread();
	spin_lock(&futex_lock);
	/* Counted before the word is read: a waker in user mode (the fast path) stores the word,
	 * then reads the count, so one of the two sees the other. */
	fastpath_futex_waiter(uaddr, 1);
	if (*(volatile uint32_t *)uaddr != val) {
		fastpath_futex_waiter(uaddr, -1);
		spin_unlock(&futex_lock);
		return -EAGAIN;
	}
	t->futex_woken = 0;
	t->futex_bitset = bitset;
	t->futex_addr = t->futex_counted = uaddr;
	spin_unlock(&futex_lock);

	bool woken = wait_for(&t->futex_woken, deadline);
	spin_lock(&futex_lock);
	woken = woken || t->futex_woken; /* a wake may have raced with the timeout */
	t->futex_addr = 0;
	fastpath_futex_waiter(t->futex_counted, -1);
	t->futex_counted = 0;
	spin_unlock(&futex_lock);
	return woken ? 0 : -ETIMEDOUT;
}

int64_t sys_futex(struct regs *r)
{
	uint64_t uaddr = r->rdi, utime = r->r10, uaddr2 = r->r8;
	int op = (int)r->rsi, cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
	uint32_t val = (uint32_t)r->rdx, val3 = (uint32_t)r->r9;
	/* Linux takes the realtime clock only for absolute waits (FUTEX_WAIT's timeout is
	 * relative; the PI operations are not offered here) */
	if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT_BITSET)
		return -ENOSYS;
	if (!user_ok(uaddr, 4))
		return -EFAULT;
	if (uaddr & 3)
		return -EINVAL;

	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET: {
		uint32_t bitset = cmd == FUTEX_WAIT ? ~0u : val3;
		if (!bitset)
			return -EINVAL;
		uint64_t deadline = 0;
		if (utime) {
			struct timespec64 ts;
			int64_t e = get_user_timespec(utime, &ts);
			if (e)
				return e;
			int clock = (op & FUTEX_CLOCK_REALTIME) ? CLOCK_REALTIME : CLOCK_MONOTONIC;
			deadline =
				cmd == FUTEX_WAIT ? deadline_after(&ts) : deadline_at(clock, &ts);
		}
		return futex_wait(uaddr, val, bitset, deadline);
	}
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET: {
		uint32_t bitset = cmd == FUTEX_WAKE ? ~0u : val3;
		if (!bitset)
			return -EINVAL;
		return futex_wake(uaddr, (int32_t)val, bitset);
	}
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		return futex_requeue(uaddr, (int32_t)val, (int32_t)utime, uaddr2,
				     cmd == FUTEX_CMP_REQUEUE, val3);
	default:
		return sys_enosys(r); /* WAKE_OP, the PI operations, ... */
	}
}
