/*
 * A bare vCPU for the platform floors: a VM of the runner's own (no hvmm, no lwk) with
 * 4 MiB of RAM, one vCPU in 64-bit supervisor mode and a guest program copied in
 * (bare_layout.h). It measures what the host costs, not what dsv adds.
 */
#ifndef OVH_BARE_VCPU_H
#define OVH_BARE_VCPU_H

#include <stddef.h>
#include <stdint.h>

struct ovh_bare_prog {
	const uint8_t *kcode, *kcode_end; /* supervisor program, at BARE_KCODE */
	const uint8_t *ucode, *ucode_end; /* user program at BARE_UCODE, or NULL */
	unsigned port_exits;		  /* port writes per timed iteration (0 or 1) */
	int user;			  /* 1: the marks must come from CPL3 */
};

/*
 * Runs prog with warmup and then n timed iterations and returns microseconds per timed
 * iteration (wall clock between the start and the done mark, as seen by this process), or
 * a negative value with a reason in why. Any exit other than the ones the program makes
 * is an error, and so is a done mark that reports another count than n.
 */
double ovh_bare_time(const struct ovh_bare_prog *prog, unsigned warmup, unsigned n, char *why,
		     size_t whylen);

#endif
