/* Clocks from the TSC: ns = (tsc - tsc0) * mult >> 32, with mult fixed at boot from the boot
 * info's TSC frequency. CLOCK_REALTIME is the host's wall clock at boot plus that. */
#include "time.h"
#include "errno.h"
#include "uaccess.h"
#include "wait.h"
#include "x86.h"

#define NSEC 1000000000ll

static uint64_t tsc0, mult, inv_mult, realtime0;
uint64_t tsc_khz;

void time_init(uint64_t khz, uint64_t realtime_ns)
{
	tsc0 = rdtsc();
	tsc_khz = khz;
	mult = (1000000ull << 32) / khz;     /* ns per tick, 32.32 fixed point */
	inv_mult = (khz << 32) / 1000000ull; /* ticks per ns, 32.32 fixed point */
	realtime0 = realtime_ns;
}

static uint64_t mono_ns(void)
{
	__extension__ unsigned __int128 t = (unsigned __int128)(rdtsc() - tsc0) * mult;
	return (uint64_t)(t >> 32);
}

static uint64_t ns_to_tsc(uint64_t ns)
{
	__extension__ unsigned __int128 t = (unsigned __int128)ns * inv_mult;
	return (uint64_t)(t >> 32);
}

uint64_t clock_ns(int clock)
{
	switch (clock) {
	case 0:	 /* REALTIME */
	case 5:	 /* REALTIME_COARSE */
	case 11: /* TAI */
		return realtime0 + mono_ns();
	default: /* MONOTONIC, RAW, COARSE, BOOTTIME, and the CPU-time clocks: a thread
		  * always runs on its own vCPU */
		return mono_ns();
	}
}

void time_vdso_data(struct vdso_data *d)
{
	d->tsc0 = tsc0;
	d->mult = mult;
	d->realtime0 = realtime0;
}

static bool clock_valid(int64_t clock)
{
	return clock >= 0 && clock <= 11 && clock != 8 && clock != 9 && clock != 10;
}

int64_t get_user_timespec(uint64_t uva, struct timespec64 *ts)
{
	if (!user_ok(uva, sizeof *ts))
		return -EFAULT;
	memcpy(ts, (const void *)uva, sizeof *ts);
	if (ts->sec < 0 || ts->nsec < 0 || ts->nsec >= NSEC)
		return -EINVAL;
	return 0;
}

static uint64_t ts_ns(const struct timespec64 *ts)
{
	if ((uint64_t)ts->sec > UINT64_MAX / NSEC / 2)
		return UINT64_MAX / 2;
	return (uint64_t)ts->sec * NSEC + (uint64_t)ts->nsec;
}

uint64_t deadline_after(const struct timespec64 *rel)
{
	uint64_t d = rdtsc() + ns_to_tsc(ts_ns(rel));
	return d ? d : 1;
}

uint64_t deadline_at(int clock, const struct timespec64 *abs)
{
	uint64_t now = clock_ns(clock), t = ts_ns(abs);
	struct timespec64 rel = { 0, 0 };
	if (t > now)
		rel = (struct timespec64){ (int64_t)((t - now) / NSEC),
					   (int64_t)((t - now) % NSEC) };
	return deadline_after(&rel);
}

static int64_t put_timespec(uint64_t uva, uint64_t ns)
{
	if (!user_ok(uva, 16))
		return -EFAULT;
	((int64_t *)uva)[0] = (int64_t)(ns / NSEC);
	((int64_t *)uva)[1] = (int64_t)(ns % NSEC);
	return 0;
}

int64_t sys_clock_gettime(struct regs *r)
{
	if (!clock_valid((int64_t)r->rdi))
		return -EINVAL;
	return put_timespec(r->rsi, clock_ns((int)r->rdi));
}

int64_t sys_clock_getres(struct regs *r)
{
	if (!clock_valid((int64_t)r->rdi))
		return -EINVAL;
	return r->rsi ? put_timespec(r->rsi, 1) : 0;
}

int64_t sys_gettimeofday(struct regs *r)
{
	uint64_t ns = clock_ns(CLOCK_REALTIME);
	if (r->rdi) {
		if (!user_ok(r->rdi, 16))
			return -EFAULT;
		((int64_t *)r->rdi)[0] = (int64_t)(ns / NSEC);
		((int64_t *)r->rdi)[1] = (int64_t)(ns % NSEC / 1000);
	}
	if (r->rsi) {
		if (!user_ok(r->rsi, 8))
			return -EFAULT;
		memset((void *)r->rsi, 0, 8);
	}
	return 0;
}

int64_t sys_time(struct regs *r)
{
	int64_t t = (int64_t)(clock_ns(CLOCK_REALTIME) / NSEC);
	if (r->rdi) {
		if (!user_ok(r->rdi, 8))
			return -EFAULT;
		*(int64_t *)r->rdi = t;
	}
	return t;
}

int64_t sys_nanosleep(struct regs *r)
{
	struct timespec64 ts;
	int64_t e = get_user_timespec(r->rdi, &ts);
	if (e)
		return e;
	wait_for(NULL, deadline_after(&ts));
	return 0;
}

int64_t sys_clock_nanosleep(struct regs *r)
{
	int clock = (int)r->rdi;
	if (!clock_valid(clock) || clock == 2 || clock == 3)
		return -EINVAL;
	struct timespec64 ts;
	int64_t e = get_user_timespec(r->rdx, &ts);
	if (e)
		return -e == EFAULT ? -EFAULT : -EINVAL;
	wait_for(NULL,
		 (r->rsi & 1 /* TIMER_ABSTIME */) ? deadline_at(clock, &ts) : deadline_after(&ts));
	return 0;
}
