/* Pipes, eventfds, poll and epoll, offloaded to the VMM (docs/lwk.md "Descriptors"). A
 * blocking wait blocks only the calling vCPU: the VMM performs it on that vCPU's thread.
 * Signal masks (ppoll, epoll_pwait) are accepted and ignored: the lwk delivers no
 * asynchronous signals (sys_signal.c). */
#include "syscall.h"
#include "host.h"
#include "uaccess.h"
#include <dsv/fileio.h>
#include <dsv/sockio.h>

#define FD(x) ((uint64_t)(int64_t)(int32_t)(x))
#define NSEC 1000000000ll
#define EP_MAX (0x7fffffff / DSV_EPOLL_EVENT)
#define EPOLL_CTL_DEL 2

static uint64_t gpa(uint64_t uva)
{
	return user_to_phys(uva);
}

static int64_t do_pipe2(uint64_t fds, uint64_t flags)
{
	if (!user_ok(fds, 8))
		return -EFAULT;
	return host_call(DSV_HC_PIPE2, gpa(fds), flags, 0, 0, 0, 0);
}

int64_t sys_pipe(struct regs *r)
{
	return do_pipe2(r->rdi, 0);
}
int64_t sys_pipe2(struct regs *r)
{
	return do_pipe2(r->rdi, (uint32_t)r->rsi);
}

int64_t sys_eventfd(struct regs *r)
{
	return host_call(DSV_HC_EVENTFD2, (uint32_t)r->rdi, 0, 0, 0, 0, 0);
}

int64_t sys_eventfd2(struct regs *r)
{
	return host_call(DSV_HC_EVENTFD2, (uint32_t)r->rdi, (uint32_t)r->rsi, 0, 0, 0, 0);
}

/* timeout_ns < 0: wait without a limit. */
static int64_t do_poll(uint64_t fds, uint64_t nfds, int64_t timeout_ns)
{
	if (nfds > DSV_MAX_FILES)
		return -EINVAL; /* Linux: over RLIMIT_NOFILE */
	if (nfds && !user_ok(fds, nfds * DSV_POLLFD))
		return -EFAULT;
	return host_call(DSV_HC_POLL, nfds ? gpa(fds) : 0, nfds, (uint64_t)timeout_ns, 0, 0, 0);
}

int64_t sys_poll(struct regs *r)
{
	int32_t ms = (int32_t)r->rdx;
	return do_poll(r->rdi, (uint32_t)r->rsi, ms < 0 ? -1 : ms * 1000000ll);
}

int64_t sys_ppoll(struct regs *r)
{
	int64_t ns = -1;
	if (r->rdx) {
		if (!user_ok(r->rdx, 16))
			return -EFAULT;
		int64_t sec = ((volatile int64_t *)r->rdx)[0],
			nsec = ((volatile int64_t *)r->rdx)[1];
		if (sec < 0 || nsec < 0 || nsec >= NSEC)
			return -EINVAL;
		ns = sec > INT64_MAX / NSEC - 1 ? -1 : sec * NSEC + nsec; /* beyond: no limit */
	}
	return do_poll(r->rdi, (uint32_t)r->rsi, ns);
}

int64_t sys_epoll_create(struct regs *r)
{
	if ((int32_t)r->rdi <= 0)
		return -EINVAL;
	return host_call(DSV_HC_EPOLL_CREATE1, 0, 0, 0, 0, 0, 0);
}

int64_t sys_epoll_create1(struct regs *r)
{
	return host_call(DSV_HC_EPOLL_CREATE1, (uint32_t)r->rdi, 0, 0, 0, 0, 0);
}

int64_t sys_epoll_ctl(struct regs *r)
{
	uint64_t ev = 0;
	if ((uint32_t)r->rsi != EPOLL_CTL_DEL || r->r10) {
		if (!user_ok(r->r10, DSV_EPOLL_EVENT)) {
			if ((uint32_t)r->rsi != EPOLL_CTL_DEL)
				return -EFAULT;
		} else {
			ev = gpa(r->r10);
		}
	}
	return host_call(DSV_HC_EPOLL_CTL, FD(r->rdi), (uint32_t)r->rsi, FD(r->rdx), ev, 0, 0);
}

int64_t sys_epoll_wait(struct regs *r)
{
	int32_t max = (int32_t)r->rdx;
	if (max <= 0 || max > (int32_t)EP_MAX)
		return -EINVAL;
	if (!user_ok(r->rsi, (uint64_t)max * DSV_EPOLL_EVENT))
		return -EFAULT;
	return host_call(DSV_HC_EPOLL_WAIT, FD(r->rdi), gpa(r->rsi),
			 MIN((uint32_t)max, DSV_EPOLL_MAX), (uint32_t)r->r10, 0, 0);
}

int64_t sys_epoll_pwait(struct regs *r)
{
	return sys_epoll_wait(r);
}
