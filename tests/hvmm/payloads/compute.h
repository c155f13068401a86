/* The compute loop shared by loop.elf and its native twin, so results can be compared. */
#ifndef PAYLOAD_COMPUTE_H
#define PAYLOAD_COMPUTE_H

#include <stdint.h>

/* An xorshift-multiply chain: cheap, serial, and impossible to fold away. */
static inline uint64_t compute_loop(uint64_t iters, uint64_t seed)
{
	uint64_t x = seed | 1;

	for (uint64_t i = 0; i < iters; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		x *= 0x2545f4914f6cdd1dull;
	}
	return x;
}

#endif
