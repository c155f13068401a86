/*
 * The platform floors: what the host itself costs, measured with a bare vCPU (no hvmm, no
 * lwk) in the same run as the figures they bound. A figure of dsv's without its floor
 * says little: the hosts this project runs on differ twentyfold in trap cost.
 */
#ifndef OVH_FLOORS_H
#define OVH_FLOORS_H

#include <stddef.h>

/* Microseconds per operation over n timed iterations; negative with a reason in why. */
double ovh_floor_trap_us(unsigned n, char *why, size_t whylen);	   /* rdmsr, in-kernel */
double ovh_floor_syscall_us(unsigned n, char *why, size_t whylen); /* CPL3 syscall+sysretq */
double ovh_floor_exit_us(unsigned n, char *why, size_t whylen);	   /* port write to the VMM */

#endif
