/* The lwk's vDSO: clock_gettime, gettimeofday and time straight from the TSC, in user
 * mode (a system call costs ~2.6 us on PVM). Anything it does not know goes to the real
 * system call. Built as a small shared object (vdso.lds) and mapped into the program by
 * the kernel with its data page (struct vdso_data) just before it. */
#include <stddef.h>
#include <stdint.h>
#include "../vdso_data.h"

extern const struct vdso_data vvar_page __attribute__((visibility("hidden")));

struct kernel_timespec {
	int64_t sec, nsec;
};

struct kernel_timeval {
	int64_t sec, usec;
};

static inline uint64_t now_ns(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	uint64_t tsc = ((uint64_t)hi << 32) | lo;
	__extension__ unsigned __int128 t =
		(unsigned __int128)(tsc - vvar_page.tsc0) * vvar_page.mult;
	return (uint64_t)(t >> 32);
}

static inline long sys2(long nr, long a, long b)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return ret;
}

int __vdso_clock_gettime(int clock, struct kernel_timespec *ts)
{
	uint64_t ns;
	switch (clock) {
	case 0:	 /* REALTIME */
	case 5:	 /* REALTIME_COARSE */
	case 11: /* TAI */
		ns = vvar_page.realtime0 + now_ns();
		break;
	case 1: /* MONOTONIC */
	case 4: /* MONOTONIC_RAW */
	case 6: /* MONOTONIC_COARSE */
	case 7: /* BOOTTIME */
		ns = now_ns();
		break;
	default:
		return (int)sys2(228, clock, (long)ts);
	}
	ts->sec = (int64_t)(ns / 1000000000u);
	ts->nsec = (int64_t)(ns % 1000000000u);
	return 0;
}

int __vdso_gettimeofday(struct kernel_timeval *tv, void *tz)
{
	if (tz)
		return (int)sys2(96, (long)tv, (long)tz);
	if (tv) {
		uint64_t ns = vvar_page.realtime0 + now_ns();
		tv->sec = (int64_t)(ns / 1000000000u);
		tv->usec = (int64_t)(ns % 1000000000u / 1000u);
	}
	return 0;
}

int64_t __vdso_time(int64_t *t)
{
	int64_t s = (int64_t)((vvar_page.realtime0 + now_ns()) / 1000000000u);
	if (t)
		*t = s;
	return s;
}

int __vdso_getcpu(unsigned *cpu, unsigned *node, void *unused)
{
	(void)unused;
	return (int)sys2(309, (long)cpu, (long)node);
}

int clock_gettime(int, struct kernel_timespec *)
	__attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct kernel_timeval *, void *)
	__attribute__((weak, alias("__vdso_gettimeofday")));
int64_t time(int64_t *) __attribute__((weak, alias("__vdso_time")));
int getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
