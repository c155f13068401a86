/* System call dispatch from syscalls.def. Anything not handled answers -ENOSYS and is logged
 * once. */
#include "syscall.h"
#include "boot.h"
#include "errno.h"
#include "fastpath.h"
#include "futex.h"
#include "thread.h"
#include "time.h"

/* Probed by libc at start-up, which copes with ENOSYS: not worth a log line. */
int64_t sys_enosys_quiet(struct regs *r)
{
	(void)r;
	return -ENOSYS;
}

static const syscall_fn table[] = {
#define LWK_SYSCALL(nr, name, fn) [nr] = fn,
#define LWK_ENOSYS(nr, name)
#include "syscalls.def"
#undef LWK_SYSCALL
#undef LWK_ENOSYS
};

static const char *const syscall_names[] = {
#define LWK_SYSCALL(nr, name, fn) [nr] = #name,
#define LWK_ENOSYS(nr, name) [nr] = #name,
#include "syscalls.def"
#undef LWK_SYSCALL
#undef LWK_ENOSYS
};

#define LOGGED_MAX 1024
static uint64_t logged[LOGGED_MAX / 64];

int64_t sys_enosys(struct regs *r)
{
	uint64_t nr = r->rax;
	uint64_t bit = 1ull << (nr % 64);
	if (nr < LOGGED_MAX && (__atomic_fetch_or(&logged[nr / 64], bit, __ATOMIC_RELAXED) & bit))
		return -ENOSYS;
	const char *name =
		nr < ARRAY_SIZE(syscall_names) && syscall_names[nr] ? syscall_names[nr] : "unknown";
	klog("lwk: system call %lu (%s) is not supported: ENOSYS", nr, name);
	return -ENOSYS;
}

void syscall_dispatch(struct regs *r)
{
	__atomic_add_fetch(&this_cpu()->syscalls, 1, __ATOMIC_RELAXED);
	if (fastpath_on)
		fastpath_syscall_entry(r);
	uint64_t nr = r->rax;
	syscall_fn fn = nr < ARRAY_SIZE(table) ? table[nr] : NULL;
	r->rax = (uint64_t)(fn ? fn(r) : sys_enosys(r));
	if (fastpath_on)
		fastpath_after_syscall(r, nr);
}

/* What the fast path saves, counted alike on every host: a system call's round trip costs
 * 2 to 48 us by host kind (docs/performance.md), the count times that floor is their cost. */
void syscall_report(void)
{
	if (!lwk_verbose)
		return;
	uint64_t n = 0;
	for (uint32_t i = 0; i < nr_cpus; i++)
		if (cpus[i])
			n += __atomic_load_n(&cpus[i]->syscalls, __ATOMIC_RELAXED);
	klog("lwk: %lu system call(s) trapped into the kernel", n);
}
