/* Time from the TSC alone: no timer interrupts, no exits to the VMM. */
#ifndef LWK_TIME_H
#define LWK_TIME_H

#include "cpu.h"
#include "vdso_data.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1

struct timespec64 {
	int64_t sec, nsec;
};

extern uint64_t tsc_khz; /* from the boot info */

void time_init(uint64_t tsc_khz, uint64_t realtime_ns);
uint64_t clock_ns(int clock);		  /* ns for a CLOCK_* id (unknown ids: monotonic) */
void time_vdso_data(struct vdso_data *d); /* what the vDSO needs to do the same */
int64_t get_user_timespec(uint64_t uva, struct timespec64 *ts); /* 0, -EFAULT or -EINVAL */
uint64_t deadline_after(const struct timespec64 *rel);		/* TSC deadline */
uint64_t deadline_at(int clock, const struct timespec64 *abs);	/* TSC deadline */

int64_t sys_clock_gettime(struct regs *r);
int64_t sys_clock_getres(struct regs *r);
int64_t sys_gettimeofday(struct regs *r);
int64_t sys_time(struct regs *r);
int64_t sys_nanosleep(struct regs *r);
int64_t sys_clock_nanosleep(struct regs *r);

#endif
