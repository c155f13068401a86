/* select and pselect6, offloaded to the VMM as one wait (DSV_HC_SELECT): it reads the
 * fd_sets from user memory once and writes the answer back. The kernel checks the sets'
 * ranges, keeps the timeout and writes the time left back as Linux does; pselect6's signal
 * mask is checked and ignored, like ppoll's (no asynchronous signals are delivered). */
#include "syscall.h"
#include "host.h"
#include "time.h"
#include "uaccess.h"
#include <dsv/fileio.h>

#define NSEC 1000000000ll
#define USEC 1000000ll

static int64_t do_select(int32_t nfds, const uint64_t set[3], int64_t ns)
{
	if (nfds < 0)
		return -EINVAL;
	if ((uint32_t)nfds > DSV_MAX_FILES)
		nfds = DSV_MAX_FILES; /* Linux cuts nfds to the size of the descriptor table */
	uint64_t bytes = ((uint64_t)nfds + 63) / 64 * 8, g[3] = { 0, 0, 0 };
	for (int k = 0; k < 3; k++) {
		if (!set[k])
			continue;
		if (!user_ok(set[k], bytes))
			return -EFAULT;
		g[k] = user_to_phys(set[k]);
	}
	return host_call(DSV_HC_SELECT, (uint64_t)nfds, g[0], g[1], g[2], (uint64_t)ns, 0);
}

/* The time left of a wait of ns that began at start, never below zero. */
static int64_t left(int64_t ns, uint64_t start)
{
	int64_t spent = (int64_t)(clock_ns(CLOCK_MONOTONIC) - start);
	return spent >= ns ? 0 : ns - spent;
}

int64_t sys_select(struct regs *r)
{
	const uint64_t set[3] = { r->rsi, r->rdx, r->r10 };
	uint64_t tv = r->r8;
	int64_t ns = -1;
	if (tv) {
		if (!user_ok(tv, 16))
			return -EFAULT;
		int64_t sec = ((volatile int64_t *)tv)[0], usec = ((volatile int64_t *)tv)[1];
		/* Linux folds whole seconds of tv_usec in; what is left must not be negative */
		sec += usec / USEC;
		usec %= USEC;
		if (sec < 0 || usec < 0)
			return -EINVAL;
		ns = sec > INT64_MAX / NSEC - 1 ? -1 : sec * NSEC + usec * 1000;
	}
	uint64_t start = clock_ns(CLOCK_MONOTONIC);
	int64_t ret = do_select((int32_t)r->rdi, set, ns);
	if (ns >= 0) {
		int64_t rest = left(ns, start);
		((volatile int64_t *)tv)[0] = rest / NSEC;
		((volatile int64_t *)tv)[1] = rest % NSEC / 1000;
	}
	return ret;
}

int64_t sys_pselect6(struct regs *r)
{
	const uint64_t set[3] = { r->rsi, r->rdx, r->r10 };
	uint64_t ts = r->r8, sig = r->r9;
	int64_t ns = -1;
	if (ts) {
		if (!user_ok(ts, 16))
			return -EFAULT;
		int64_t sec = ((volatile int64_t *)ts)[0], nsec = ((volatile int64_t *)ts)[1];
		if (sec < 0 || nsec < 0 || nsec >= NSEC)
			return -EINVAL;
		ns = sec > INT64_MAX / NSEC - 1 ? -1 : sec * NSEC + nsec;
	}
	if (sig) { /* struct { const sigset_t *ss; size_t ss_len; } */
		if (!user_ok(sig, 16))
			return -EFAULT;
		uint64_t ss = ((volatile uint64_t *)sig)[0], len = ((volatile uint64_t *)sig)[1];
		if (ss && len != 8)
			return -EINVAL;
		if (ss && !user_ok(ss, 8))
			return -EFAULT;
	}
	uint64_t start = clock_ns(CLOCK_MONOTONIC);
	int64_t ret = do_select((int32_t)r->rdi, set, ns);
	if (ns >= 0) {
		int64_t rest = left(ns, start);
		((volatile int64_t *)ts)[0] = rest / NSEC;
		((volatile int64_t *)ts)[1] = rest % NSEC;
	}
	return ret;
}
