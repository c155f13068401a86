/* The page the kernel shares with the vDSO (read-only for the program): what it needs to
 * turn the TSC into time without a system call. Layout shared by lwk/time.c and
 * lwk/vdso/vdso.c. */
#ifndef LWK_VDSO_DATA_H
#define LWK_VDSO_DATA_H

#include <stdint.h>

struct vdso_data {
	uint64_t tsc0;	    /* TSC at boot */
	uint64_t mult;	    /* ns per TSC tick, 32.32 fixed point */
	uint64_t realtime0; /* CLOCK_REALTIME at boot, ns */
};

#endif
