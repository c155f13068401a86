/*
 * The platform floors (floors.h): the bare guest programs of floors_guest.S run on a bare
 * vCPU, and ovh_floors_measure, which runs them pinned to the CPU the lwk's and hvmm's
 * figures use.
 */
#include "floors.h"

#include <math.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bare_vcpu.h"
#include "overhead.h"

extern const uint8_t ovh_guest_exit[], ovh_guest_exit_end[];
extern const uint8_t ovh_guest_trap[], ovh_guest_trap_end[];
extern const uint8_t ovh_guest_sys[], ovh_guest_sys_end[];
extern const uint8_t ovh_guest_user[], ovh_guest_user_end[];

#define WARMUP 100u

double ovh_floor_trap_us(unsigned n, char *why, size_t whylen)
{
	struct ovh_bare_prog p = { .kcode = ovh_guest_trap, .kcode_end = ovh_guest_trap_end };
	return ovh_bare_time(&p, WARMUP, n, why, whylen);
}

double ovh_floor_syscall_us(unsigned n, char *why, size_t whylen)
{
	struct ovh_bare_prog p = { .kcode = ovh_guest_sys,
				   .kcode_end = ovh_guest_sys_end,
				   .ucode = ovh_guest_user,
				   .ucode_end = ovh_guest_user_end,
				   .user = 1 };
	return ovh_bare_time(&p, WARMUP, n, why, whylen);
}

double ovh_floor_exit_us(unsigned n, char *why, size_t whylen)
{
	struct ovh_bare_prog p = { .kcode = ovh_guest_exit,
				   .kcode_end = ovh_guest_exit_end,
				   .port_exits = 1 };
	return ovh_bare_time(&p, WARMUP, n, why, whylen);
}

typedef double (*probe_fn)(unsigned, char *, size_t);

void ovh_floors_measure(struct ovh_ctx *c, struct ovh_floors *f)
{
	static const char *const name[OVH_NFLOORS] = { "trap", "syscall", "exit" };
	static const probe_fn probe[OVH_NFLOORS] = { ovh_floor_trap_us, ovh_floor_syscall_us,
						     ovh_floor_exit_us };
	int cpu = c->cpus[c->ncpus - 1]; /* the CPU of hvmm's and the lwk's figures */
	unsigned n = c->quick ? 2000 : 10000;
	memset(f, 0, sizeof *f);
	cpu_set_t saved, one;
	int have = sched_getaffinity(0, sizeof saved, &saved) == 0;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof one, &one)) {
		ovh_note(f->notes, sizeof f->notes, "Floors not measured: cannot pin to CPU %d.",
			 cpu);
		return;
	}
	bool dead[OVH_NFLOORS] = { false };
	for (int rep = 0; rep < c->reps; rep++) {
		ovh_progress(c, "platform floors: rep %d/%d on CPU %d\n", rep + 1, c->reps, cpu);
		ovh_check_cpus(c, "the platform floors");
		for (int k = 0; k < OVH_NFLOORS; k++) {
			char why[256];
			if (dead[k])
				continue;
			double us = probe[k](n, why, sizeof why);
			if (us > 0 && isfinite(us)) {
				f->us[k][f->n[k]++] = us;
				continue;
			}
			dead[k] = true; /* a broken probe fails the same way every time */
			ovh_note(f->notes, sizeof f->notes, "The bare %s probe failed: %s.",
				 name[k], why);
		}
	}
	if (have)
		sched_setaffinity(0, sizeof saved, &saved);
}
