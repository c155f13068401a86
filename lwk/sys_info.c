/* Identity, limits, randomness and scheduling queries, answered by the kernel itself. */
#include "syscall.h"
#include "exec.h"
#include "mm.h"
#include "thread.h"
#include "time.h"
#include "uaccess.h"
#include "uvm.h"
#include "x86.h"

#define RLIMIT_STACK 3
#define RLIMIT_NOFILE 7
#define RLIM_NLIMITS 16
#define RLIM_INFINITY UINT64_MAX

struct rlimit64 {
	uint64_t cur, max;
};

static struct rlimit64 limits[RLIM_NLIMITS];
static int umask_value = 022;
static char thread_name[16] = "program";

void limits_init(void)
{
	for (int i = 0; i < RLIM_NLIMITS; i++)
		limits[i] = (struct rlimit64){ RLIM_INFINITY, RLIM_INFINITY };
	limits[RLIMIT_STACK] = (struct rlimit64){ USER_STACK_SIZE, RLIM_INFINITY };
	limits[RLIMIT_NOFILE] = (struct rlimit64){ 1024, 1024 };
}

int64_t sys_zero(struct regs *r)
{
	(void)r;
	return 0;
}

int64_t sys_uname(struct regs *r)
{
	static const char fields[6][65] = { "Linux",	  "lwk",    "6.1.0-lwk",
					    "#1 SMP dsv", "x86_64", "(none)" };
	if (!user_ok(r->rdi, sizeof fields))
		return -EFAULT;
	memcpy((void *)r->rdi, fields, sizeof fields);
	return 0;
}

int64_t sys_getpid(struct regs *r)
{
	(void)r;
	return PROGRAM_PID;
}
int64_t sys_getppid(struct regs *r)
{
	(void)r;
	return 0;
}
int64_t sys_getid(struct regs *r)
{
	(void)r;
	return 0;
} /* the program runs as root of its VM */

int64_t sys_getresid(struct regs *r)
{
	uint64_t p[3] = { r->rdi, r->rsi, r->rdx };
	for (int i = 0; i < 3; i++)
		if (!put_user_u32(p[i], 0))
			return -EFAULT;
	return 0;
}

int64_t sys_getrandom(struct regs *r)
{
	if (!user_ok(r->rdi, r->rsi))
		return -EFAULT;
	uint64_t n = MIN(r->rsi, 1u << 25);
	random_bytes((void *)r->rdi, n);
	return (int64_t)n;
}

static int64_t do_prlimit(uint64_t res, uint64_t new_, uint64_t old)
{
	if (res >= RLIM_NLIMITS)
		return -EINVAL;
	if ((old && !user_ok(old, 16)) || (new_ && !user_ok(new_, 16)))
		return -EFAULT;
	struct rlimit64 n;
	if (new_) {
		memcpy(&n, (const void *)new_, sizeof n);
		if (n.cur > n.max)
			return -EINVAL;
	}
	if (old)
		memcpy((void *)old, &limits[res], sizeof limits[res]);
	if (new_)
		limits[res] = n;
	return 0;
}

int64_t sys_prlimit64(struct regs *r)
{
	if (r->rdi && r->rdi != PROGRAM_PID)
		return -ESRCH;
	return do_prlimit(r->rsi, r->rdx, r->r10);
}

int64_t sys_getrlimit(struct regs *r)
{
	return do_prlimit(r->rdi, 0, r->rsi);
}
int64_t sys_setrlimit(struct regs *r)
{
	return do_prlimit(r->rdi, r->rsi, 0);
}

int64_t sys_sysinfo(struct regs *r)
{
	struct {
		int64_t uptime;
		uint64_t loads[3], totalram, freeram, sharedram, bufferram, totalswap, freeswap;
		uint16_t procs, pad;
		uint64_t totalhigh, freehigh;
		uint32_t mem_unit;
		char reserved[4];
	} si;
	if (!user_ok(r->rdi, sizeof si))
		return -EFAULT;
	memset(&si, 0, sizeof si);
	si.uptime = (int64_t)(clock_ns(CLOCK_MONOTONIC) / 1000000000u);
	si.totalram = uwin.size;
	si.freeram = uwin.size / 2; /* not tracked; a plausible figure */
	si.procs = 1;
	si.mem_unit = 1;
	memcpy((void *)r->rdi, &si, sizeof si);
	return 0;
}

int64_t sys_sched_getaffinity(struct regs *r)
{
	uint64_t bytes = ALIGN_UP(nr_cpus, 64) / 8, len = r->rsi, mask = r->rdx;
	if (len < bytes || (len & 7))
		return -EINVAL;
	if (!user_ok(mask, bytes))
		return -EFAULT;
	memset((void *)mask, 0, bytes);
	for (uint32_t i = 0; i < nr_cpus; i++)
		((uint8_t *)mask)[i / 8] |= (uint8_t)(1u << (i % 8));
	return (int64_t)bytes;
}

int64_t sys_sched_yield(struct regs *r)
{
	(void)r;
	if (this_cpu()->nr_threads > 1)
		sched_yield();
	else
		cpu_relax();
	return 0;
}

int64_t sys_getcpu(struct regs *r)
{
	if (r->rdi && !put_user_u32(r->rdi, cpu_index()))
		return -EFAULT;
	if (r->rsi && !put_user_u32(r->rsi, 0))
		return -EFAULT;
	return 0;
}

int64_t sys_umask(struct regs *r)
{
	int old = umask_value;
	umask_value = (int)(r->rdi & 0777);
	return old;
}

int64_t sys_prctl(struct regs *r)
{
	switch (r->rdi) {
	case 15: /* PR_SET_NAME */
		if (!user_ok(r->rsi, 1))
			return -EFAULT;
		for (size_t i = 0; i < sizeof thread_name; i++) {
			if (!user_ok(r->rsi + i, 1))
				return -EFAULT;
			thread_name[i] = ((const char *)r->rsi)[i];
			if (!thread_name[i])
				break;
		}
		thread_name[sizeof thread_name - 1] = 0;
		return 0;
	case 16: /* PR_GET_NAME */
		if (!user_ok(r->rsi, sizeof thread_name))
			return -EFAULT;
		memcpy((void *)r->rsi, thread_name, sizeof thread_name);
		return 0;
	default:
		return -EINVAL;
	}
}

int64_t sys_getrusage(struct regs *r)
{
	if (!user_ok(r->rsi, 144))
		return -EFAULT;
	memset((void *)r->rsi, 0, 144);
	uint64_t us = clock_ns(CLOCK_MONOTONIC) / 1000;
	((int64_t *)r->rsi)[0] = (int64_t)(us / 1000000); /* ru_utime */
	((int64_t *)r->rsi)[1] = (int64_t)(us % 1000000);
	((int64_t *)r->rsi)[4] = (int64_t)(uwin.size / 1024); /* ru_maxrss: an upper bound */
	return 0;
}

/* times(): all of the program's time counts as user time of this thread, in 100 Hz ticks. */
int64_t sys_times(struct regs *r)
{
	int64_t ticks = (int64_t)(clock_ns(CLOCK_MONOTONIC) / 10000000u);
	if (r->rdi) {
		if (!user_ok(r->rdi, 32))
			return -EFAULT;
		int64_t *tms = (int64_t *)r->rdi;
		tms[0] = ticks;
		tms[1] = tms[2] = tms[3] = 0;
	}
	return ticks;
}

int64_t sys_getpriority(struct regs *r)
{
	(void)r;
	return 20; /* the kernel's encoding of nice 0 */
}

int64_t sys_sched_getparam(struct regs *r)
{
	return put_user_u32(r->rsi, 0) ? 0 : -EFAULT; /* SCHED_OTHER: priority 0 */
}
